/* root.c - the data-root handle (struct store): opening it, holding it across unlocked reads,
 * noticing it replaced or gone, and the stats of containers/ and a container's files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tree_internal.h"

/* What containers/ lets others do, read now (its owner, group and mode; no link followed). */
struct ctrs_mode ctrs_stat(struct layerstore *ls)
{
    struct ctrs_mode m = {0};
    struct stat st;

    if (fstatat(layerstore_dirfd(ls), "containers", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode))
        m = (struct ctrs_mode){.known = true,
                               .perm = st.st_mode & 0555, /* read-only: no write bits */
                               .uid = st.st_uid,
                               .gid = st.st_gid};
    return m;
}

struct store *store_open(const char *dataroot, const struct ls_options *opts, int64_t trust,
                         struct bf_error *err)
{
    struct store *s = calloc(1, sizeof(*s));
    struct stat st;

    if (!s) {
        bf_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    if (layerstore_open(dataroot, opts, &s->ls, err) < 0) {
        free(s);
        return NULL;
    }
    /* Images and walks are shared by every container of an image (tree.h, Freshness). */
    if (layerstore_cache_enable(s->ls, 0, trust) < 0) {
        layerstore_close(s->ls);
        free(s);
        bf_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    s->ctrs = ctrs_stat(s->ls);
    if (fstat(layerstore_dirfd(s->ls), &st) == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    s->refs = 1;
    return s;
}

void store_unref_locked(struct store *s)
{
    if (s && --s->refs == 0) {
        layerstore_close(s->ls);
        free(s);
    }
}

/* A reference to the store in use, or NULL while the data-root is missing. */
struct store *store_hold(struct bfs_tree *t)
{
    struct store *s;

    tree_assert_unlocked(t); /* what holds the store does I/O with it */
    tree_lock(t);
    s = t->root.store;
    if (s)
        s->refs++;
    tree_unlock(t);
    return s;
}

void store_release(struct bfs_tree *t, struct store *s)
{
    if (!s)
        return;
    tree_lock(t);
    store_unref_locked(s);
    tree_unlock(t);
}

int bfs_tree_open_dir(struct bfs_tree *t, const char *rel, struct bf_error *err)
{
    struct store *s = store_hold(t);
    int fd;

    if (!s)
        return bf_error_set(err, ENOENT, "%s: the data-root is gone", t->dataroot);
    fd = bf_open_beneath(layerstore_dirfd(s->ls), *rel ? rel : ".", O_PATH | O_DIRECTORY, err);
    store_release(t, s);
    return fd;
}

/* With a watcher, the image cache is told of changes (bfs_tree_changed) and needs no
 * periodic re-check; a folder that cannot be watched turns the re-check back on
 * (watch_inputs). Called with t->lock held. */
void apply_cache_trust_locked(struct bfs_tree *t, struct store *s)
{
    tree_assert_locked(t);
    layerstore_cache_set_trust(s->ls, t->watch.add ? INT64_MAX : t->trust_ns);
}

/* Does <parent>/<id> exist as a directory (no link followed)? */
bool dir_exists(const struct store *s, const char *parent, const char *id)
{
    char rel[64 + LS_ID_LEN];
    struct stat st;

    snprintf(rel, sizeof(rel), "%s/%s", parent, id);
    return fstatat(layerstore_dirfd(s->ls), rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISDIR(st.st_mode);
}

/* The stat of containers/<id>/config.v2.json (no link followed): the owner, group bit and
 * mtime the container's directory and files are shown with. False when it is not a file. */
bool config_stat(const struct store *s, const char *id, struct stat *st)
{
    char rel[sizeof("containers/") + LS_ID_LEN + sizeof("/config.v2.json")];

    snprintf(rel, sizeof(rel), "containers/%s/config.v2.json", id);
    return fstatat(layerstore_dirfd(s->ls), rel, st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st->st_mode);
}

static bool root_check_due_locked(struct bfs_tree *t, int64_t now)
{
    tree_assert_locked(t);
    return now - t->root.checked_ns > trust_ns(t);
}

bool bfs_tree_check_root(struct bfs_tree *t)
{
    struct stat st;
    struct store *ns = NULL, *old;
    struct bf_error err = BF_ERROR_INIT;
    bool missing = stat(t->dataroot, &st) != 0 || !S_ISDIR(st.st_mode);

    tree_lock(t);
    t->root.checked_ns = bf_mono_ns();
    if (!missing && t->root.store && t->root.store->dev == st.st_dev &&
        t->root.store->ino == st.st_ino) {
        /* the same data-root: containers/'s mode, for a mount without a watcher */
        struct store *s = t->root.store;
        s->refs++;
        tree_unlock(t);
        struct ctrs_mode m = ctrs_stat(s->ls);
        tree_lock(t);
        s->ctrs = m;
        store_unref_locked(s);
        tree_unlock(t);
        return false;
    }
    if (missing && !t->root.store) {
        tree_unlock(t);
        return false;
    }
    tree_unlock(t);

    if (!missing) {
        ns = store_open(t->dataroot, &t->opts.ls, t->trust_ns, &err);
        if (!ns) {
            tree_lock(t);
            if (!t->root.missing_logged)
                tree_log_locked(t, "%s", bf_error_message(&err));
            t->root.missing_logged = true;
            tree_unlock(t);
            bf_error_clear(&err);
            /* An unusable data-root is served as an empty one, like a missing one. */
        }
    } else {
        tree_lock(t);
        if (!t->root.missing_logged)
            tree_log_locked(t, "%s: the data-root is gone; serving an empty root until it is back",
                            t->dataroot);
        t->root.missing_logged = true;
        tree_unlock(t);
    }

    tree_lock(t);
    old = t->root.store;
    t->root.store = ns;
    if (ns)
        apply_cache_trust_locked(t, ns);
    if (ns) {
        if (t->root.missing_logged)
            tree_log_locked(t, "%s: the data-root is back", t->dataroot);
        t->root.missing_logged = false;
    }
    t->root.store_gen++;
    t->epoch++;
    t->ids.epoch++;
    t->names.epoch++;
    store_unref_locked(old);
    tree_unlock(t);
    return true;
}

/* Polling mode (no watcher): look at the data-root path at most once per trust period. */
void maybe_check_root(struct bfs_tree *t)
{
    bool due;

    if (t->watch.add)
        return; /* the watcher thread checks it */
    tree_lock(t);
    due = root_check_due_locked(t, bf_mono_ns());
    tree_unlock(t);
    if (due)
        bfs_tree_check_root(t);
}
