/* tree.c - the tree's lifecycle: made, given a watcher, its figures, freed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tree_internal.h"

int bfs_tree_new(const char *dataroot, const struct bfs_tree_options *opts, struct bfs_tree **out,
                 struct bf_error *err)
{
    struct bfs_tree *t = calloc(1, sizeof(*t));

    *out = NULL;
    if (!t)
        return bf_error_set(err, ENOMEM, "out of memory");
    t->opts = *opts;
    if (!t->opts.trust_ms)
        t->opts.trust_ms = DEFAULT_TRUST_MS;
    if (!t->opts.cache_bytes)
        t->opts.cache_bytes = DEFAULT_CACHE_BYTES;
    if (!t->opts.spec.host_cpus) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        t->opts.spec.host_cpus = n > 0 ? (unsigned)n : 1; /* fixed for the mount's lifetime */
    }
    t->trust_ns = (int64_t)t->opts.trust_ms * 1000000;
    /* a folder without hostconfig.json settles in one trust period (layerstore_container_pending)
     */
    if (!t->opts.ls.settle_ns)
        t->opts.ls.settle_ns = t->trust_ns;
    t->dataroot = realpath(dataroot, NULL);
    if (!t->dataroot) {
        int e = errno;
        free(t);
        return bf_error_set(err, e, "%s: %s", dataroot, strerror(e));
    }
    t->root.store = store_open(t->dataroot, &t->opts.ls, t->trust_ns, err);
    if (!t->root.store) {
        free(t->dataroot);
        free(t);
        return -err->code;
    }
    /* Later checks follow the name as given (a symlinked data-root may be re-pointed), made
     * absolute because the daemon changes its working directory. */
    free(t->dataroot);
    if (dataroot[0] == '/') {
        t->dataroot = strdup(dataroot);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd || asprintf(&t->dataroot, "%s/%s", cwd, dataroot) < 0)
            t->dataroot = NULL;
        free(cwd);
    }
    if (!t->dataroot) {
        store_unref_locked(t->root.store);
        free(t);
        return bf_error_set(err, ENOMEM, "out of memory");
    }
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->ahead.cond, NULL);
    pthread_cond_init(&t->watch_cond, NULL);
    pthread_cond_init(&t->names.built, NULL);
    pthread_cond_init(&t->ids.built, NULL);
    pthread_cond_init(&t->gen_cond, NULL);
    t->cache.lru.next = t->cache.lru.prev = &t->cache.lru;
    t->next_ino = FIRST_DYNAMIC_INO;
    t->root.checked_ns = bf_mono_ns();
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t->mounted_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    *out = t;
    return 0;
}

void bfs_tree_free(struct bfs_tree *t)
{
    if (!t)
        return;
    bfs_tree_readahead(t, false);
    tree_lock(t);
    inodes_free_locked(t);
    HTAB_FOREACH (&t->ctrs, p) {
        ((struct ctr *)p)->in_table = false;
        ctr_unref_locked(t, (struct ctr *)p);
    }
    free(t->ctrs.b);
    htab_free(&t->strs); /* empty: every version is gone */
    while (t->cache.lru.next != &t->cache.lru)
        bytes_evict_locked(t, t->cache.lru.next);
    namelist_unref_locked(t->names.cur);
    namelist_unref_locked(t->names.prev);
    for (size_t i = 0; i < t->names.n_inval; i++)
        free(t->names.inval[i]);
    free(t->names.inval);
    htab_free(&t->names.given);
    idlist_unref_locked(t->ids.cur);
    idlist_unref_locked(t->ids.prev);
    idlist_unref_locked(t->ids.raw);
    store_unref_locked(t->root.store);
    tree_unlock(t);
    pthread_cond_destroy(&t->ahead.cond);
    pthread_cond_destroy(&t->watch_cond);
    pthread_cond_destroy(&t->names.built);
    pthread_cond_destroy(&t->ids.built);
    pthread_mutex_destroy(&t->lock);
    free(t->dataroot);
    free(t);
}

void bfs_tree_set_watch(struct bfs_tree *t, const struct bfs_watch_ops *ops)
{
    tree_lock(t);
    if (ops)
        t->watch = *ops;
    else
        memset(&t->watch, 0, sizeof(t->watch));
    t->epoch++; /* versions validated under the other regime are re-checked */
    if (t->root.store)
        apply_cache_trust_locked(t, t->root.store);
    /* calls of the old watcher still in flight: its context is freed once this returns */
    while (t->watch_calls)
        tree_wait(t, &t->watch_cond);
    tree_unlock(t);
}

bool watch_begin(struct bfs_tree *t, struct bfs_watch_ops *ops)
{
    tree_lock(t);
    *ops = t->watch;
    if (ops->add)
        t->watch_calls++;
    tree_unlock(t);
    return ops->add != NULL;
}

void watch_end(struct bfs_tree *t)
{
    tree_lock(t);
    if (--t->watch_calls == 0)
        pthread_cond_broadcast(&t->watch_cond);
    tree_unlock(t);
}

int tree_watch_add(struct bfs_tree *t, const char *rel)
{
    struct bfs_watch_ops ops;
    int r;

    if (!watch_begin(t, &ops))
        return -ENOSYS;
    r = ops.add(ops.ctx, rel);
    watch_end(t);
    return r;
}

void bfs_tree_stats(struct bfs_tree *t, struct bfs_stats *out)
{
    tree_lock(t);
    *out = t->stats;
    out->cache_bytes = t->cache.bytes;
    out->retained_bytes = t->cache.retained;
    tree_unlock(t);
}

#ifdef BFS_LOCK_CHECKS
void tree_lock_violation(const char *func, bool held)
{
    fprintf(stderr, "bundlefs: %s called %s the tree lock\n", func, held ? "with" : "without");
    abort();
}
#endif
