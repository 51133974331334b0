/* tree_fx.c - the fs unit suites' shared fixture: a tree over a fixture data-root (the
 * layerstore tests' builder), and helpers to read it as the kernel would. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tree_fx.h"

struct fx fx;
struct bfs_tree *tree;
bool unchanged; /* bfs_opendir's answer, for the tests that look at it */

void setup(void)
{
    fx_std(&fx, "windowsfilter");
}

struct bfs_watch *tw; /* a test's watcher, stopped even when the test fails */

void teardown(void)
{
    bfs_watch_stop(tw);
    tw = NULL;
    bfs_tree_free(tree);
    tree = NULL;
    fx_cleanup(&fx);
}

void open_tree(unsigned trust_ms, size_t cache_bytes)
{
    struct bfs_tree_options o = {.spec = {.format = SPEC_FORMAT_OCI, .host_cpus = 2},
                                 .trust_ms = trust_ms,
                                 .cache_bytes = cache_bytes};
    struct bf_error err = BF_ERROR_INIT;
    int r = bfs_tree_new(fx.root, &o, &tree, &err);
    cr_assert_eq(r, 0, "bfs_tree_new: %s", bf_error_message(&err));
}

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

void fx_done_signal(struct fx_done *d)
{
    pthread_mutex_lock(&d->lock);
    d->done = true;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

void fx_done_wait(struct fx_done *d, int ms)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&d->lock);
    while (!d->done && pthread_cond_timedwait(&d->cond, &d->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&d->lock);
}

/* The bytes spec_bundle_generate gives for file f of container id (as bundlefsctl prints). */
char *expected(const char *id, int f, size_t *len)
{
    struct ls_options lo = {0};
    struct spec_options so = {.format = SPEC_FORMAT_OCI, .host_cpus = 2};
    struct layerstore *ls = NULL;
    struct spec_bundle *b = NULL;
    struct bf_error err = BF_ERROR_INIT;
    char *out;

    cr_assert_eq(layerstore_open(fx.root, &lo, &ls, &err), 0);
    cr_assert_eq(spec_bundle_generate(ls, id, &so, &b, &err), 0);
    if (f == BFS_FILE_ERROR) {
        *len = b->errors_len;
        out = b->errors ? strdup(b->errors) : strdup("");
    } else {
        cr_assert_eq(b->files[f].err.code, 0, "%s", bf_error_message(&b->files[f].err));
        *len = b->files[f].len;
        out = strdup(b->files[f].data);
    }
    spec_bundle_free(b);
    layerstore_close(ls);
    return out;
}

uint64_t lookup_ok(uint64_t parent, const char *name, struct bfs_attr *a)
{
    struct bfs_attr tmp;
    int r = bfs_lookup(tree, parent, name, a ? a : &tmp);
    cr_assert_eq(r, 0, "lookup %s: %s", name, strerror(-r));
    return a ? a->ino : tmp.ino;
}

/* What a read of handle h returns (a copy, NUL-terminated). */
char *read_handle(struct bfs_handle *h, size_t *len)
{
    struct bfs_pin *pin = NULL;
    const char *data;
    char *copy;

    cr_assert_eq(bfs_read_pin(tree, h, &data, len, &pin), 0);
    copy = malloc(*len + 1);
    memcpy(copy, data, *len);
    copy[*len] = '\0';
    bfs_read_unpin(tree, pin);
    return copy;
}

char *read_all(uint64_t ino, size_t *len, bool *direct)
{
    struct bfs_handle *h = NULL;
    bool d = false;
    int r = bfs_open(tree, ino, &h, &d);
    char *copy;

    cr_assert_eq(r, 0, "open: %s", strerror(-r));
    copy = read_handle(h, len);
    bfs_release(tree, h);
    if (direct)
        *direct = d;
    return copy;
}

bool listed(uint64_t ino, const char *name)
{
    struct bfs_dirlist *l = NULL;
    bool found = false;

    cr_assert_eq(bfs_opendir(tree, ino, &l, &unchanged), 0);
    for (size_t i = 0; i < l->n; i++)
        found |= strcmp(l->v[i].name, name) == 0;
    bfs_dirlist_free(l);
    return found;
}

void set_isolation(const char *id, const char *iso)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", id);
    fx_writef(&fx, rel, "{\"Isolation\":\"%s\",\"NetworkMode\":\"nat\"}", iso);
}

struct inval_rec rec = {.lock = PTHREAD_MUTEX_INITIALIZER};

void record(void *ctx, uint64_t parent, const char *name)
{
    struct inval_rec *r = ctx;
    pthread_mutex_lock(&r->lock);
    if (r->n < sizeof(r->v) / sizeof(r->v[0])) {
        r->v[r->n].parent = parent;
        snprintf(r->v[r->n].name, sizeof(r->v[r->n].name), "%s", name ? name : "");
        r->n++;
    }
    pthread_mutex_unlock(&r->lock);
}

void rec_clear(void)
{
    pthread_mutex_lock(&rec.lock);
    rec.n = 0;
    pthread_mutex_unlock(&rec.lock);
}

/* Was (parent, name) invalidated? name NULL: the inode itself. */
bool recorded(uint64_t parent, const char *name)
{
    bool found = false;
    pthread_mutex_lock(&rec.lock);
    for (size_t i = 0; i < rec.n; i++)
        found |= rec.v[i].parent == parent && strcmp(rec.v[i].name, name ? name : "") == 0;
    pthread_mutex_unlock(&rec.lock);
    return found;
}

bool wait_recorded(uint64_t parent, const char *name)
{
    for (int i = 0; i < 500; i++) { /* bounded: 5 s */
        if (recorded(parent, name))
            return true;
        sleep_ms(10);
    }
    return false;
}

char *read_ino(uint64_t ino, size_t *len, int *err)
{
    struct bfs_pin *pin = NULL;
    const char *data;
    char *copy;

    *err = bfs_read_ino(tree, ino, &data, len, &pin);
    if (*err < 0)
        return NULL;
    copy = malloc(*len + 1);
    memcpy(copy, data, *len);
    copy[*len] = '\0';
    bfs_read_unpin(tree, pin);
    return copy;
}
