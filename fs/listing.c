/* listing.c - directory listings and their offsets (one snapshot per listing read in parts). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"

static int dl_add(struct bfs_dirlist *l, size_t *cap, const char *name, uint64_t ino,
                  enum bfs_type type, uint64_t off)
{
    if (l->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct bfs_dirent *v = realloc(l->v, nc * sizeof(*v));
        if (!v)
            return -ENOMEM;
        l->v = v;
        *cap = nc;
    }
    if (!(l->v[l->n].name = strdup(name)))
        return -ENOMEM;
    l->v[l->n].ino = ino;
    l->v[l->n].type = type;
    l->v[l->n].off = off;
    l->v[l->n].looked_up = false;
    l->n++;
    return 0;
}

void bfs_dirlist_free(struct bfs_dirlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
    free(l);
}

/* Offsets. Every entry carries the offset that resumes after it. The fixed entries ("." "..", and
 * by-name in the root) are 1..3; a container's files are 3 + their bfs_file, whatever else the
 * folder holds; the entries of the root and of by-name name their snapshot (idlist, namelist
 * gen) and their index in it, so a listing read in several requests (the kernel caches
 * listings and reads them without opening the directory) continues in the snapshot it began
 * with, even after a newer one was made (the one before the newest is kept for that). */

#define OFF_FIXED_MAX 3
#define OFF_GEN_SHIFT 40
#define OFF_GEN_MASK ((1ull << 23) - 1) /* offsets stay positive in an off_t */
#define OFF_IDX_MASK ((1ull << OFF_GEN_SHIFT) - 1)

static uint64_t listing_off(uint64_t gen, size_t i)
{
    return ((gen & OFF_GEN_MASK) << OFF_GEN_SHIFT) | ((uint64_t)i + 1 + OFF_FIXED_MAX);
}

/* Where a listing resumes after offset `after`: the snapshot generation it named (0: none)
 * and the first index to give. */
static size_t listing_next(uint64_t after, uint64_t *gen)
{
    *gen = 0;
    if (after <= OFF_FIXED_MAX)
        return 0;
    *gen = after >> OFF_GEN_SHIFT;
    return (size_t)((after & OFF_IDX_MASK) - OFF_FIXED_MAX);
}

static bool gen_is(uint64_t gen, uint64_t want)
{
    return want && (gen & OFF_GEN_MASK) == want;
}

/* A listing's identity: names, inode numbers and types (never 0). */
static uint64_t dirlist_hash(const struct bfs_dirlist *l)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < l->n; i++) {
        h = mix64(h ^ bfs_hash(l->v[i].name, strlen(l->v[i].name)));
        h = mix64(h ^ l->v[i].ino ^ ((uint64_t)l->v[i].type << 62));
    }
    return h | 1;
}

/* Record listing l as the last one of a directory; true when it equals the one before. */
static bool listed_again(uint64_t *last, const struct bfs_dirlist *l)
{
    uint64_t h = dirlist_hash(l);
    bool same = *last == h;

    *last = h;
    return same;
}

/* The entries of the root after offset `after`, at most `max`, from snapshot ids. Locked. */
static int list_root_locked(struct bfs_tree *t, const struct idlist *ids, uint64_t after,
                            size_t max, struct bfs_dirlist *l, size_t *cap)
{
    tree_assert_locked(t);
    static const struct {
        const char *name;
        uint64_t ino;
    } fixed[] = {{".", BFS_ROOT_INO}, {"..", BFS_ROOT_INO}, {BFS_BYNAME_DIR, BFS_BYNAME_INO}};
    uint64_t gen;
    int r = 0;

    for (uint64_t k = after + 1; r == 0 && k <= 3 && l->n < max; k++)
        r = dl_add(l, cap, fixed[k - 1].name, fixed[k - 1].ino, BFS_DIR, k);
    for (size_t i = listing_next(after, &gen); r == 0 && i < ids->n && l->n < max; i++) {
        struct ctr *c = ctr_get_locked(t, ids->v[i]);
        r = c ? dl_add(l, cap, ids->v[i], c->ino, BFS_DIR, listing_off(ids->gen, i)) : -ENOMEM;
    }
    return r;
}

/* The containers of a root listing with their attributes, as if each was looked up (a walk
 * that lists the root and then enters every folder needs no LOOKUP each). A container gone
 * meanwhile stays a plain entry. */
static void list_root_plus(struct bfs_tree *t, struct bfs_dirlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct bfs_dirent *d = &l->v[i];
        if (d->off <= 3 || lookup_root(t, d->name, true, &d->attr) < 0)
            continue;
        d->looked_up = true;
    }
}

static int list_byname_locked(struct bfs_tree *t, const struct namelist *names, uint64_t after,
                              size_t max, struct bfs_dirlist *l, size_t *cap)
{
    tree_assert_locked(t);
    uint64_t gen;
    int r = 0;

    if (after < 1 && l->n < max)
        r = dl_add(l, cap, ".", BFS_BYNAME_INO, BFS_DIR, 1);
    if (r == 0 && after < 2 && l->n < max)
        r = dl_add(l, cap, "..", BFS_ROOT_INO, BFS_DIR, 2);
    for (size_t i = listing_next(after, &gen); r == 0 && i < names->n && l->n < max; i++) {
        struct ctr *c = ctr_get_locked(t, names->v[i].id);
        r = c ? dl_add(l, cap, names->v[i].name, c->ino + 1, BFS_LNK, listing_off(names->gen, i))
              : -ENOMEM;
    }
    return r;
}

/* A container's folder after offset `after`; with `plus`, its files with their attributes,
 * counted as lookups (called locked, drops the lock meanwhile). */
static int list_ctr_locked(struct bfs_tree *t, const struct node *n, uint64_t after, size_t max,
                           bool plus, struct bfs_dirlist *l, size_t *cap)
{
    tree_assert_locked(t);
    struct ctr *c = n->ctr;
    struct version *v = NULL;
    int r;

    if (after == 0)
        ahead_note_locked(t, c);
    c->refs++;
    r = ctr_current_locked(t, c, false, &v);
    if (r == 0 && after < 1 && l->n < max)
        r = dl_add(l, cap, ".", c->ino, BFS_DIR, 1);
    if (r == 0 && after < 2 && l->n < max)
        r = dl_add(l, cap, "..", BFS_ROOT_INO, BFS_DIR, 2);
    for (int f = 0; r == 0 && f < BFS_FILE_COUNT && l->n < max; f++) {
        struct bfs_dirent *e;
        if (!v->f[f].present || (uint64_t)f + 3 <= after)
            continue;
        r = dl_add(l, cap, file_names[f], v->base_ino + f,
                   f == BFS_FILE_UTILITYVM ? BFS_LNK : BFS_REG, (uint64_t)f + 3);
        if (r < 0 || !plus)
            continue;
        e = &l->v[l->n - 1];
        attr_file_locked(t, v, f, &e->attr);
        r = node_ref_locked(t, e->attr.ino, N_FILE, f, c, v);
        e->looked_up = r == 0;
    }
    if (r == 0)
        c->listed_base = v->base_ino; /* bfs_tree_sweep: what the kernel may have cached */
    version_unref_locked(t, v);
    ctr_unref_locked(t, c);
    return r;
}

/* The root's or by-name's snapshot that offset `after` continues (referenced), or the
 * current one. Called unlocked; the reference is dropped with t->lock held. */
static int snapshot_for(struct bfs_tree *t, uint64_t ino, uint64_t after, void **out)
{
    uint64_t gen;

    listing_next(after, &gen);
    tree_lock(t);
    if (ino == BFS_ROOT_INO) {
        struct idlist *cand[2] = {t->ids.cur, t->ids.prev};
        for (int i = 0; i < 2; i++) {
            if (cand[i] && gen_is(gen, cand[i]->gen)) {
                cand[i]->refs++;
                *out = cand[i];
                tree_unlock(t);
                return 0;
            }
        }
    } else {
        struct namelist *cand[2] = {t->names.cur, t->names.prev};
        for (int i = 0; i < 2; i++) {
            if (cand[i] && gen_is(gen, cand[i]->gen)) {
                cand[i]->refs++;
                *out = cand[i];
                tree_unlock(t);
                return 0;
            }
        }
    }
    tree_unlock(t);
    /* A new listing, or one so old that its snapshot is gone: it goes on in the current
     * one at the same index (entries that came or went meanwhile may be missed or repeated,
     * as POSIX allows for a directory changed while read). */
    if (ino == BFS_ROOT_INO) {
        /* Without a watcher, a listing from the start is made anew, as `ls` expects */
        maybe_check_root(t);
        return ids_get(t, after == 0, (struct idlist **)out);
    }
    return names_get(t, (struct namelist **)out);
}

/* Entries of directory `ino` after offset `after`, at most `max`, into l. */
static int list_dir(struct bfs_tree *t, uint64_t ino, uint64_t after, size_t max, bool plus,
                    struct bfs_dirlist *l, size_t *cap, bool *unchanged)
{
    struct node n;
    void *snap = NULL;
    int r;

    if (ino == BFS_ROOT_INO || ino == BFS_BYNAME_INO) {
        r = snapshot_for(t, ino, after, &snap);
        if (r < 0)
            return r;
        tree_lock(t);
        if (ino == BFS_ROOT_INO) {
            r = list_root_locked(t, snap, after, max, l, cap);
            if (r == 0 && unchanged)
                *unchanged = listed_again(&t->ids.listed, l);
            idlist_unref_locked(snap);
            if (r == 0 && plus) {
                tree_unlock(t);
                list_root_plus(t, l);
                return 0;
            }
        } else {
            r = list_byname_locked(t, snap, after, max, l, cap);
            if (r == 0 && unchanged)
                *unchanged = listed_again(&t->names.listed, l);
            namelist_unref_locked(snap);
        }
        tree_unlock(t);
        return r;
    }
    tree_lock(t);
    if (!node_find_locked(t, ino, &n))
        r = -ESTALE;
    else if (n.kind != N_DIR)
        r = -ENOTDIR;
    else if ((r = list_ctr_locked(t, &n, after, max, plus, l, cap)) == 0 && unchanged)
        *unchanged = listed_again(&n.ctr->listed, l);
    tree_unlock(t);
    return r;
}

int bfs_opendir(struct bfs_tree *t, uint64_t ino, struct bfs_dirlist **out, bool *unchanged)
{
    struct bfs_dirlist *l = calloc(1, sizeof(*l));
    size_t cap = 0;
    int r;

    *out = NULL;
    *unchanged = false;
    if (!l)
        return -ENOMEM;
    r = list_dir(t, ino, 0, SIZE_MAX, false, l, &cap, unchanged);
    if (r < 0) {
        bfs_dirlist_free(l);
        return r;
    }
    *out = l;
    return 0;
}

int bfs_readdir(struct bfs_tree *t, uint64_t ino, uint64_t after, size_t max, bool plus,
                struct bfs_dirlist **out)
{
    struct bfs_dirlist *l = calloc(1, sizeof(*l));
    size_t cap = 0;
    int r;

    *out = NULL;
    if (!l)
        return -ENOMEM;
    r = list_dir(t, ino, after, max, plus, l, &cap, NULL);
    if (r < 0) {
        for (size_t i = 0; i < l->n; i++)
            if (l->v[i].looked_up)
                bfs_forget(t, l->v[i].attr.ino, 1);
        bfs_dirlist_free(l);
        return r;
    }
    *out = l;
    return 0;
}
