/* version.c - freshness and generation: when a container's version can be served as it is,
 * validating it against its inputs, and making a new one (ctr_current_locked). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree_internal.h"

static bool version_fresh_locked(const struct bfs_tree *t, const struct version *v, int64_t now)
{
    tree_assert_locked(t);
    if (v->store_gen != t->root.store_gen || v->epoch != t->epoch || v->events != v->ctr->events)
        return false;
    return (v->watched && !v->failed) || now - v->validated_ns <= trust_ns(t);
}

/* Can v be served now without another look at the data-root (with need_bytes: its bytes
 * cached too)? */
bool version_ready_locked(const struct bfs_tree *t, const struct version *v, bool need_bytes,
                          int64_t now)
{
    tree_assert_locked(t);
    return v && version_fresh_locked(t, v, now) && (!need_bytes || v->bytes);
}

static void summarize_file(struct file_sum *f, const char *data, size_t len, bool failed)
{
    f->present = true;
    f->failed = failed;
    f->size = failed ? FAILED_FILE_SIZE : len;
    f->hash = failed ? 0 : bfs_hash(data, len);
}

/* Did a file fail (a note alone, e.g. no endpoint record, fails nothing)? */
static bool bundle_failed(const struct spec_bundle *b)
{
    for (int i = 0; i < SPEC_FILE_COUNT; i++)
        if (b->files[i].err.code)
            return true;
    return false;
}

/* The summary of bundle b (not yet attached). */
static struct version *version_new(struct bfs_tree *t, const struct spec_bundle *b,
                                   const struct stat *cst)
{
    tree_assert_locked(t);
    /* the name lives in the version's own block: one allocation */
    size_t name_len = b->name ? strlen(b->name) : 0;
    struct version *v = calloc(1, sizeof(*v) + name_len + 1);

    if (!v)
        return NULL;
    v->ib.is_version = true;
    for (int i = 0; i < SPEC_FILE_COUNT; i++) {
        const struct spec_blob *f = &b->files[i];
        if (b->omit[i])
            continue;
        summarize_file(&v->f[i], f->data, f->len, f->err.code != 0);
    }
    if (b->errors_len)
        summarize_file(&v->f[BFS_FILE_ERROR], b->errors, b->errors_len, false);
    if (b->has_uvm && !(v->uvm = istr_get_locked(t, b->files[SPEC_FILE_UTILITYVM].data))) {
        free(v);
        return NULL;
    }
    if (b->name)
        v->name = memcpy(v->name_buf, b->name, name_len + 1);
    v->failed = bundle_failed(b);
    v->mtime_ns = ls_inputs_newest_mtime_ns(&b->inputs);
    v->uid = cst->st_uid;
    v->gid = cst->st_gid;
    v->group = cst->st_mode & 0040;
    return v;
}

static bool same_content(const struct version *a, const struct version *b)
{
    if (memcmp(a->f, b->f, sizeof(a->f)) != 0)
        return false;
    if (!a->uvm != !b->uvm || (a->uvm && strcmp(a->uvm, b->uvm) != 0))
        return false;
    return !a->name == !b->name && (!a->name || strcmp(a->name, b->name) == 0);
}

/* Watch every directory b read from. Returns true when all of them are watched. Inputs in a
 * folder whose watch is new are re-checked (*changed): a change between reading and watching
 * would otherwise go unseen. Folders watched before were watched while we read. */
static bool watch_inputs(struct bfs_tree *t, const struct store *s, const struct spec_bundle *b,
                         bool *changed)
{
    struct bfs_watch_ops ops;
    bool all = watch_begin(t, &ops), watcher = all, fresh_dir = false;
    char dir[PATH_MAX];
    const char *last = NULL;
    size_t last_len = 0;

    *changed = false;
    for (size_t i = 0; all && i < b->inputs.n; i++) {
        const char *rel = b->inputs.v[i].rel, *slash = strrchr(rel, '/');
        size_t len = slash ? (size_t)(slash - rel) : 0;
        int r;
        if (!last || len != last_len || memcmp(rel, last, len) != 0) {
            /* inputs come grouped by folder: one watch call per folder */
            if (len >= sizeof(dir)) {
                all = false;
                break;
            }
            memcpy(dir, rel, len);
            dir[len] = '\0';
            last = rel;
            last_len = len;
            r = ops.add(ops.ctx, dir);
            if (r < 0)
                all = false;
            fresh_dir = r > 0;
        }
        if (fresh_dir && !*changed &&
            bf_stamp_changed(layerstore_dirfd(s->ls), rel, &b->inputs.v[i].stamp))
            *changed = true;
    }
    if (watcher)
        watch_end(t);
    if (!all && watcher)
        layerstore_cache_set_trust(s->ls, t->trust_ns); /* some folder is not watched */
    return all;
}

/* Generate container `id` from store s, with the config.v2.json stat. Runs unlocked. */
static int generate(struct bfs_tree *t, struct store *s, const char *id, struct spec_bundle **out,
                    struct stat *cst, bool *watched)
{
    struct spec_bundle *b = NULL;
    struct bf_error err = BF_ERROR_INIT;

    for (int tries = 0;; tries++) {
        bool changed = false;
        if (spec_bundle_generate(s->ls, id, &t->opts.spec, &b, &err) < 0) {
            bfs_log("%s", bf_error_message(&err));
            bf_error_clear(&err);
            return -EIO;
        }
        tree_lock(t);
        t->stats.generations++;
        tree_unlock(t);
        if (bundle_failed(b)) {
            /* A failure may come from reading while Docker changes things (a container being
             * removed, a layer being written). Such a bundle is never served: a container that
             * is gone is ENOENT, one that changed meanwhile is read again. */
            if (!dir_exists(s, "containers", id) ||
                layerstore_container_pending(s->ls, id, LS_PENDING_STATE)) {
                spec_bundle_free(b);
                return -ENOENT;
            }
            if (tries + 1 < REGENERATE_TRIES && ls_inputs_changed(s->ls, &b->inputs)) {
                spec_bundle_free(b);
                b = NULL;
                continue;
            }
        }
        *watched = watch_inputs(t, s, b, &changed);
        if (!changed)
            break;
        if (tries + 1 >= REGENERATE_TRIES) {
            *watched = false; /* keeps changing: let time-based validation catch up */
            break;
        }
        spec_bundle_free(b);
        b = NULL;
    }
    if (!config_stat(s, id, cst)) {
        memset(cst, 0, sizeof(*cst));
        cst->st_mode = S_IFREG | 0600;
    }
    *out = b;
    return 0;
}

static void log_bundle_errors_locked(struct bfs_tree *t, const struct spec_bundle *b)
{
    const char *p = b->errors;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        tree_log_locked(t, "%.*s", len, p);
        p += len + (nl ? 1 : 0);
    }
}

/* One pass of ctr_current_locked: what it saw before dropping the lock (the version, the
 * epochs, the store and the bytes it holds), and what the data-root said meanwhile. */
struct gen_pass {
    struct version *v; /* c->cur when the pass began (the container's reference) */
    struct store *s;   /* held for the unlocked part */
    struct bytes *old; /* v's bytes, held, when v can be validated by their stamps */
    uint64_t epoch0, ev0, sgen;
    int64_t now;
    struct spec_bundle *b; /* generated, when v was not valid */
    struct stat cst;       /* config.v2.json's stat, with b */
    bool valid, watched;
};

/* Claim the generation of c (one thread at a time) and hold what the unlocked part reads. */
static void pass_begin_locked(struct bfs_tree *t, struct ctr *c, struct gen_pass *p)
{
    struct version *v = p->v;

    tree_assert_locked(t);
    c->generating = true;
    p->epoch0 = t->epoch;
    p->ev0 = c->events;
    p->sgen = t->root.store_gen;
    p->s = t->root.store;
    p->s->refs++;
    if (v && !v->failed && v->bytes && v->store_gen == p->sgen && v->bytes->b->inputs.n) {
        p->old = v->bytes;
        p->old->refs++;
    }
}

/* Unlocked: validate the old version by its inputs' stamps, else generate anew. */
static int pass_read(struct bfs_tree *t, struct ctr *c, struct gen_pass *p)
{
    struct version *v = p->v;
    struct bytes *old = p->old;
    struct store *s = p->s;
    int r = 0;

    if (old) {
        p->valid = !ls_inputs_changed(s->ls, &old->b->inputs);
        p->watched = v->watched;
        if (p->valid && !p->watched) {
            /* made before the watcher started, or when a folder could not be watched:
             * watched from now on if it can be (a change meanwhile fails validation);
             * without a watcher watch_inputs answers false and changes nothing */
            bool changed = false;
            p->watched = watch_inputs(t, s, old->b, &changed);
            p->valid = !changed;
        }
    }
    if (!p->valid)
        r = generate(t, s, c->id, &p->b, &p->cst, &p->watched);
    return r;
}

/* Let the next generation of c start, and drop what the pass held. */
static void pass_end_locked(struct bfs_tree *t, struct ctr *c, struct gen_pass *p)
{
    tree_assert_locked(t);
    c->generating = false;
    pthread_cond_broadcast(&t->gen_cond);
    store_unref_locked(p->s);
    if (p->old) {
        t->stats.validations++;
        bytes_unref_locked(p->old);
    }
}

/* Valid as of the epoch and events seen before the check (a change during it leaves the
 * version stale for the next access). Stamped with the time after the check: a check slower
 * than the trust period must not loop. */
static void version_stamp_valid_locked(struct bfs_tree *t, struct version *v,
                                       const struct gen_pass *p)
{
    tree_assert_locked(t);
    v->epoch = p->epoch0;
    v->events = p->ev0;
    v->validated_ns = bf_mono_ns();
    v->watched = p->watched;
}

/* The bundle p generated becomes c's current version (referenced into *out): the same
 * version when its content did not change, else a new one with new inodes. */
static int version_install_locked(struct bfs_tree *t, struct ctr *c, struct gen_pass *p,
                                  struct version **out)
{
    struct version *v = p->v, *nv;
    struct spec_bundle *b = p->b;
    int r;

    tree_assert_locked(t);
    nv = version_new(t, b, &p->cst);
    if (!nv) {
        spec_bundle_free(b);
        return -ENOMEM;
    }
    if (v && same_content(v, nv)) {
        v->mtime_ns = nv->mtime_ns;
        v->uid = nv->uid;
        v->gid = nv->gid;
        v->group = nv->group;
        version_free(t, nv);
        nv = v;
    } else {
        nv->refs = 1; /* c->cur's */
        nv->ctr = c;
        nv->base_ino = t->next_ino;
        t->next_ino += INO_BLOCK;
        t->stats.versions++;
        if (b->errors_len)
            log_bundle_errors_locked(t, b);
        c->cur = nv;
        version_retire_locked(t, v);
    }
    if (b->mount_id[0])
        c->has_mount_id =
            hex_decode(b->mount_id, strlen(b->mount_id), c->mount_id, sizeof(c->mount_id));
    nv->epoch = p->epoch0;
    nv->events = p->ev0;
    nv->store_gen = p->sgen;
    nv->validated_ns = p->now;
    nv->watched = p->watched;
    /* A watched version learns of changes from the watcher; the stamps of what it read
     * (most of a bundle's memory with many layers) are only kept for time-based checks. */
    if (p->watched)
        ls_inputs_free(&b->inputs);
    r = bytes_attach_locked(t, nv, b);
    if (r < 0)
        return r;
    nv->refs++;
    *out = nv;
    return 0;
}

/* A referenced, fresh current version of c; with need_bytes, one whose bytes are cached.
 * Called and returns with t->lock held (drops it while reading the data-root). The caller holds
 * a reference to c. */
int ctr_current_locked(struct bfs_tree *t, struct ctr *c, bool need_bytes, struct version **out)
{
    tree_assert_locked(t);
    for (;;) {
        struct gen_pass p = {0};
        int r;

        while (c->generating)
            tree_wait(t, &t->gen_cond);
        p.now = bf_mono_ns();
        p.v = c->cur;
        if (version_ready_locked(t, p.v, need_bytes, p.now)) {
            p.v->refs++;
            *out = p.v;
            return 0;
        }
        if (!t->root.store)
            return -ENOENT;
        pass_begin_locked(t, c, &p);
        tree_unlock(t);
        r = pass_read(t, c, &p);
        tree_lock(t);
        pass_end_locked(t, c, &p);
        if (r < 0)
            return r;
        if (p.valid) {
            version_stamp_valid_locked(t, p.v, &p);
            if (need_bytes && !p.v->bytes)
                continue; /* evicted meanwhile */
            p.v->refs++;
            *out = p.v;
            return 0;
        }
        return version_install_locked(t, c, &p, out);
    }
}
