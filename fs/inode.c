/* inode.c - containers, versions and the kernel's inodes (nodes): their references, and the
 * attributes each kind of inode is shown with. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree_internal.h"

const char *const file_names[BFS_FILE_COUNT] = {"config.json", "createoptions.json", "layerpaths",
                                                "utilityvm",   "mountopts",          "error"};

void version_free(struct version *v)
{
    free(v->uvm);
    free(v->name);
    free(v);
}

void version_unref_locked(struct bfs_tree *t, struct version *v)
{
    tree_assert_locked(t);
    if (!v || --v->refs)
        return;
    if (v->bytes)
        bytes_evict_locked(t, v->bytes);
    version_free(v);
}

/* v is no longer its container's current version. While the kernel still holds one of its
 * files (a process may have it open and read it later, after the pages were dropped), its
 * cached bytes move out of the LRU into the retained pool, up to the cache's bound: they can
 * no longer be generated again. Then drops the container's reference. */
void version_retire_locked(struct bfs_tree *t, struct version *v)
{
    tree_assert_locked(t);
    struct bytes *b = v ? v->bytes : NULL;

    if (b && v->refs > 1 && b->in_lru && t->cache.retained + b->cost <= t->opts.cache_bytes) {
        lru_unlink_locked(t, b);
        b->retained = true;
        t->cache.retained += b->cost;
    }
    version_unref_locked(t, v);
}

void ctr_unref_locked(struct bfs_tree *t, struct ctr *c)
{
    tree_assert_locked(t);
    if (!c || --c->refs)
        return;
    version_unref_locked(t, c->cur);
    pthread_cond_destroy(&c->cond);
    free(c);
}

struct ctr *ctr_find_locked(struct bfs_tree *t, const char *id)
{
    tree_assert_locked(t);
    uint64_t h = bfs_hash(id, LS_ID_LEN);
    for (struct hlink *l = htab_first(&t->ctrs, h); l; l = l->next) {
        struct ctr *c = (struct ctr *)l;
        if (l->hash == h && strcmp(c->id, id) == 0)
            return c;
    }
    return NULL;
}

/* The table's container for `id` (created when new). No reference is taken for the caller. */
struct ctr *ctr_get_locked(struct bfs_tree *t, const char *id)
{
    tree_assert_locked(t);
    struct ctr *c = ctr_find_locked(t, id);

    if (c)
        return c;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    memcpy(c->id, id, LS_ID_LEN + 1);
    c->refs = 1;
    c->in_table = true;
    c->ino = t->next_ino;
    t->next_ino += 3;
    pthread_cond_init(&c->cond, NULL);
    if (htab_add(&t->ctrs, &c->h, bfs_hash(id, LS_ID_LEN)) < 0) {
        pthread_cond_destroy(&c->cond);
        free(c);
        return NULL;
    }
    t->stats.containers = t->ctrs.n;
    return c;
}

void ctr_remove_locked(struct bfs_tree *t, struct ctr *c)
{
    tree_assert_locked(t);
    if (!c->in_table)
        return;
    htab_del(&t->ctrs, &c->h);
    c->in_table = false;
    t->stats.containers = t->ctrs.n;
    ctr_unref_locked(t, c);
}

struct node *node_find_locked(struct bfs_tree *t, uint64_t ino)
{
    tree_assert_locked(t);
    uint64_t h = mix64(ino);
    for (struct hlink *l = htab_first(&t->nodes, h); l; l = l->next)
        if (l->hash == h && ((struct node *)l)->ino == ino)
            return (struct node *)l;
    return NULL;
}

/* Count one kernel reference to inode `ino`, creating its node. */
int node_ref_locked(struct bfs_tree *t, uint64_t ino, enum node_kind kind, enum bfs_file file,
                    struct ctr *c, struct version *v)
{
    tree_assert_locked(t);
    struct node *n = node_find_locked(t, ino);

    if (n) {
        n->nlookup++;
        return 0;
    }
    n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->ino = ino;
    n->kind = kind;
    n->file = file;
    n->ctr = c;
    c->refs++;
    if (v) {
        n->ver = v;
        v->refs++;
    }
    n->nlookup = 1;
    if (htab_add(&t->nodes, &n->h, mix64(ino)) < 0) {
        ctr_unref_locked(t, c);
        version_unref_locked(t, v);
        free(n);
        return -ENOMEM;
    }
    t->stats.nodes = t->nodes.n;
    return 0;
}

void bfs_forget(struct bfs_tree *t, uint64_t ino, uint64_t nlookup)
{
    struct node *n;

    tree_lock(t);
    n = node_find_locked(t, ino);
    if (n) {
        n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
        if (!n->nlookup) {
            htab_del(&t->nodes, &n->h);
            t->stats.nodes = t->nodes.n;
            version_unref_locked(t, n->ver);
            ctr_unref_locked(t, n->ctr);
            free(n);
        }
    }
    tree_unlock(t);
}

/* Does the watcher tell of every change to what v was made from? */
bool version_watched_locked(const struct bfs_tree *t, const struct version *v)
{
    tree_assert_locked(t);
    return t->watch.add && v && v->watched && !v->failed;
}

/* The root and by-name: containers/'s owner and mode without its write bits (a user who
 * cannot list containers/ cannot list them either), 0555 root while there is none. Read under
 * the lock: the watcher replaces and frees the store (bfs_tree_check_root). */
void attr_static_dir(struct bfs_tree *t, uint64_t ino, struct bfs_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->ino = ino;
    a->type = BFS_DIR;
    a->perm = 0555;
    a->mtime_ns = t->mounted_ns;
    /* the entry never changes; the attributes follow containers/ (the watcher drops them when
     * it changes; without one they are kept for the short timeout) */
    a->keep_entry = true;
    tree_lock(t);
    if (t->root.store && t->root.store->ctrs.known) {
        a->perm = t->root.store->ctrs.perm;
        a->uid = t->root.store->ctrs.uid;
        a->gid = t->root.store->ctrs.gid;
    }
    a->keep_attr = t->watch.add != NULL;
    tree_unlock(t);
}

int attr_ctr_dir_locked(struct bfs_tree *t, struct ctr *c, const struct stat *cst,
                        struct bfs_attr *a)
{
    tree_assert_locked(t);
    memset(a, 0, sizeof(*a));
    a->ino = c->ino;
    a->type = BFS_DIR;
    a->perm = 0500;
    /* The entry goes when containers/<id> does (containers/ is watched from the start); the
     * attributes follow config.v2.json, in containers/<id> (lookup_root watches it). */
    a->keep_entry = t->watch.add != NULL;
    a->keep_attr = t->watch.add && c->dir_watched;
    if (cst) {
        a->perm |= (cst->st_mode & 0040) ? 0050 : 0;
        a->uid = cst->st_uid;
        a->gid = cst->st_gid;
        a->mtime_ns = (int64_t)cst->st_mtim.tv_sec * 1000000000 + cst->st_mtim.tv_nsec;
    }
    return 0;
}

/* config_stat of container `id` from the store in use, made with the lock released: false
 * when the data-root is missing or config.v2.json is not a file. */
bool ctr_config_stat(struct bfs_tree *t, const char *id, struct stat *st)
{
    struct store *s = store_hold(t);
    bool ok = s && config_stat(s, id, st);

    store_release(t, s);
    return ok;
}

void attr_file_locked(const struct bfs_tree *t, const struct version *v, enum bfs_file f,
                      struct bfs_attr *a)
{
    tree_assert_locked(t);
    memset(a, 0, sizeof(*a));
    a->ino = v->base_ino + f;
    a->keep_entry = a->keep_attr = version_watched_locked(t, v);
    a->uid = v->uid;
    a->gid = v->gid;
    a->mtime_ns = v->mtime_ns;
    if (f == BFS_FILE_UTILITYVM) {
        a->type = BFS_LNK;
        a->perm = 0777;
        a->size = v->uvm ? strlen(v->uvm) : 0;
    } else {
        a->type = BFS_REG;
        a->perm = 0400 | v->group;
        a->size = v->f[f].size;
    }
}

void attr_link(const struct bfs_tree *t, const struct ctr *c, enum node_kind kind,
               struct bfs_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->mtime_ns = t->mounted_ns;
    a->type = BFS_LNK;
    a->perm = 0777;
    /* A link's target never changes, but which name or prefix leads to it does, and those
     * entries are not invalidated one by one: short timeouts. */
    a->keep_attr = true;
    if (kind == N_BYNAME_LINK) {
        a->ino = c->ino + 1;
        a->size = 3 + LS_ID_LEN; /* "../<id>" */
    } else {
        a->ino = c->ino + 2;
        a->size = LS_ID_LEN;
    }
}
