/* byname.c - the name index (by-name): every listed container's name, read again only where a
 * container's folder changed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"

static int name_cmp(const void *a, const void *b)
{
    const struct name_ent *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->id, y->id);
}

void namelist_unref_locked(struct namelist *l)
{
    if (l && --l->refs == 0) {
        for (size_t i = 0; i < l->n_by_id; i++)
            free(l->by_id[i].name);
        free(l->by_id);
        free(l->v);
        free(l);
    }
}

/* Mark container `id`'s name to be read again (called locked). */
void names_mark_locked(struct bfs_tree *t, const char *id)
{
    tree_assert_locked(t);
    if (!id || t->names.ndirty == NAMES_DIRTY_MAX)
        t->names.dirty_all = true;
    else
        memcpy(t->names.dirty[t->names.ndirty++], id, LS_ID_LEN + 1);
}

/* Container id's usable name from the data-root, or NULL. Its folder is watched first (a
 * rename after this is an event); *watched is cleared when it cannot be. Unlocked. */
static char *read_name(struct bfs_tree *t, struct store *s, const char *id, bool *watched)
{
    struct bf_error err = BF_ERROR_INIT;
    char *name = NULL, rel[sizeof("containers/") + LS_ID_LEN];

    snprintf(rel, sizeof(rel), "containers/%s", id);
    if (tree_watch_add(t, rel) < 0)
        *watched = false;

    if (layerstore_container_name(s->ls, id, &name, NULL, &err) < 0 || !name || !*name ||
        !bf_is_safe_component(name)) {
        bf_error_clear(&err);
        free(name);
        return NULL; /* a container without a usable name has no by-name link */
    }
    return name;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Fill l->by_id for the containers of ids: names of `old` reused for those not in `dirty`
 * (sorted; all read again when old is NULL). Unlocked. */
static int names_read(struct bfs_tree *t, struct store *s, const struct idlist *ids,
                      const struct namelist *old, char (*dirty)[LS_ID_LEN + 1], size_t ndirty,
                      struct namelist *l, uint64_t *nread)
{
    size_t j = 0;

    l->watched = true;
    l->by_id = calloc(ids->n ? ids->n : 1, sizeof(*l->by_id));
    if (!l->by_id)
        return -ENOMEM;
    for (size_t i = 0; i < ids->n; i++) {
        struct name_ent *e = &l->by_id[l->n_by_id++];
        bool reuse = false;
        memcpy(e->id, ids->v[i], LS_ID_LEN + 1);
        if (old) { /* both sorted by ID: one merge walk */
            while (j < old->n_by_id && strcmp(old->by_id[j].id, e->id) < 0)
                j++;
            reuse = j < old->n_by_id && strcmp(old->by_id[j].id, e->id) == 0 &&
                    !(ndirty && bsearch(e->id, dirty, ndirty, sizeof(*dirty), cmp_id));
        }
        if (reuse && old->by_id[j].name) {
            if (!(e->name = strdup(old->by_id[j].name)))
                return -ENOMEM;
        } else if (!reuse && s) {
            e->name = read_name(t, s, e->id, &l->watched);
            ++*nread;
        }
    }
    return 0;
}

/* l->v from l->by_id: usable names sorted, each kept by its first container (by ID). */
static int names_sort(struct namelist *l)
{
    size_t k = 0, w = 0;

    l->v = calloc(l->n_by_id ? l->n_by_id : 1, sizeof(*l->v));
    if (!l->v)
        return -ENOMEM;
    for (size_t i = 0; i < l->n_by_id; i++)
        if (l->by_id[i].name)
            l->v[k++] = l->by_id[i]; /* the name is by_id's */
    qsort(l->v, k, sizeof(*l->v), name_cmp);
    /* Docker keeps names unique; a broken root may not. The first container (by ID) keeps the
     * name, the others get no link, so readdir and lookup always agree. */
    for (size_t i = 0; i < k; i++)
        if (!w || strcmp(l->v[w - 1].name, l->v[i].name) != 0)
            l->v[w++] = l->v[i];
    l->n = w;
    return 0;
}

/* The name index: the last one while nothing under containers/ changed, else a new one, in
 * which only the containers whose folder changed are read again. Called unlocked; the caller
 * drops the reference with t->lock held. */
int names_get(struct bfs_tree *t, struct namelist **out)
{
    struct idlist *ids = NULL;
    struct namelist *l, *old = NULL;
    char(*dirty)[LS_ID_LEN + 1] = NULL;
    size_t ndirty = 0;
    struct store *s;
    uint64_t ep, sg, nread = 0;
    int64_t now = bf_mono_ns();
    int r;

    tree_lock(t);
    for (;;) {
        l = t->names.cur;
        if (l && index_fresh_locked(t, l->epoch, t->names.epoch, l->store_gen, l->watched,
                                    l->built_ns, now)) {
            l->refs++;
            *out = l;
            tree_unlock(t);
            return 0;
        }
        if (!t->names.building)
            break;
        tree_wait(t, &t->names.built); /* the index being built is likely the one needed */
    }
    t->names.building = true;
    ep = t->names.epoch;
    sg = t->root.store_gen;
    if (l && !t->names.dirty_all && t->watch.add && l->watched && l->store_gen == sg &&
        (dirty = malloc((t->names.ndirty ? t->names.ndirty : 1) * sizeof(*dirty)))) {
        old = l;
        old->refs++;
        ndirty = t->names.ndirty;
        memcpy(dirty, t->names.dirty, ndirty * sizeof(*dirty));
    }
    t->names.ndirty = 0;
    t->names.dirty_all = false;
    tree_unlock(t);
    if (ndirty)
        qsort(dirty, ndirty, sizeof(*dirty), cmp_id);

    r = ids_get(t, false, &ids);
    l = calloc(1, sizeof(*l));
    if (r == 0 && !l)
        r = -ENOMEM;
    if (r == 0) {
        s = store_hold(t);
        r = names_read(t, s, ids, old, dirty, ndirty, l, &nread);
        store_release(t, s);
    }
    if (r == 0)
        r = names_sort(l);
    free(dirty);
    tree_lock(t);
    t->names.building = false;
    pthread_cond_broadcast(&t->names.built);
    t->stats.name_reads += nread;
    idlist_unref_locked(ids);
    namelist_unref_locked(old);
    if (r < 0) {
        t->names.dirty_all = true; /* what was marked is forgotten: read everything next time */
        if (l)
            l->refs = 1;
        namelist_unref_locked(l);
        tree_unlock(t);
        return r;
    }
    l->refs = 2; /* the tree's and the caller's */
    l->epoch = ep;
    l->store_gen = sg;
    l->built_ns = now;
    l->gen = ++t->list_gen;
    namelist_unref_locked(t->names.prev);
    t->names.prev = t->names.cur;
    t->names.cur = l;
    tree_unlock(t);
    *out = l;
    return 0;
}

/* ---- names given with the long entry timeout ----
 *
 * The kernel keeps a by-name entry (name -> link) for the entry timeout it was given. With
 * the short one every warm `grep -r` or `find` over the mount looks each name up again once a
 * second (10,000 LOOKUPs at 10,000 containers). While every name is watched, a lookup gives
 * the long one and records the name on its container (ctr.byname_given); the kernel is told
 * to drop it, by name, when anything in that container's folder changes, when the container
 * leaves the table, when another container takes that name (a duplicate's smaller ID), and
 * on every event that may change any name. Those invalidations are sent by the watcher
 * thread (names_drain): a request thread must not, the kernel holds by-name's lock while a
 * lookup in it is answered.
 *
 * The race with a lookup in flight: a lookup gives the long timeout only when no name event
 * came since its index was made (the index's epoch is the tree's, checked and recorded under
 * the lock). An event after that point finds the name recorded and invalidates it; the
 * kernel's invalidation takes by-name's lock, which the lookup holds until its answer is in
 * place, so it cannot pass the entry it drops. A revalidating LOOKUP holds no lock, but its
 * entry is in the dcache already: the invalidation unhashes it, and the answer after that only
 * sets the timeout of an entry no later walk finds. */

/* Room in names.inval for every given name, every one queued, and one more: names taken back
 * wait for the watcher's drain while lookups give others (n_given + n_inval <= cap_inval). */
static bool inval_room_locked(struct bfs_tree *t)
{
    tree_assert_locked(t);
    if (t->names.cap_inval > t->names.n_given + t->names.n_inval)
        return true;
    size_t cap = t->names.cap_inval ? 2 * t->names.cap_inval : 16;
    char **v = realloc(t->names.inval, cap * sizeof(*v));
    if (!v)
        return false;
    t->names.inval = v;
    t->names.cap_inval = cap;
    return true;
}

bool names_give_locked(struct bfs_tree *t, const struct namelist *l, struct ctr *c,
                       const char *name)
{
    tree_assert_locked(t);
    /* every name watched and no name event since this index was made */
    if (!t->watch.add || !l->watched || l->epoch != t->names.epoch ||
        l->store_gen != t->root.store_gen)
        return false;
    if (c->byname_given) /* given before: the same name, or one an event is taking back */
        return strcmp(c->byname_given, name) == 0;
    if (!c->in_table || !inval_room_locked(t) || !(c->byname_given = strdup(name)))
        return false;
    if (htab_add(&t->names.given, &c->given_h, bfs_hash(name, strlen(name))) < 0) {
        free(c->byname_given);
        c->byname_given = NULL;
        return false;
    }
    t->names.n_given++;
    return true;
}

void names_take_back_locked(struct bfs_tree *t, struct ctr *c)
{
    tree_assert_locked(t);
    if (!c || !c->byname_given)
        return;
    htab_del(&t->names.given, &c->given_h);
    /* room reserved when it was given */
    t->names.inval[t->names.n_inval++] = c->byname_given;
    c->byname_given = NULL;
    t->names.n_given--;
}

/* Every given name whose container is not `keep`, and that is `name` (NULL: any). */
void names_take_back_all_locked(struct bfs_tree *t, const char *name, const struct ctr *keep)
{
    tree_assert_locked(t);
    if (!t->names.n_given)
        return;
    if (!name) {
        HTAB_FOREACH (&t->names.given, p)
            names_take_back_locked(t, CTR_OF_GIVEN(p));
        return;
    }
    uint64_t h = bfs_hash(name, strlen(name));
    for (struct hlink *p = htab_first(&t->names.given, h), *next; p; p = next) {
        struct ctr *c = CTR_OF_GIVEN(p);
        next = p->next; /* unlinked by the take back */
        if (p->hash == h && c != keep && strcmp(c->byname_given, name) == 0)
            names_take_back_locked(t, c);
    }
}

void bfs_tree_names_drain(struct bfs_tree *t, bfs_inval_fn inval, void *ctx)
{
    /* one at a time, each sent with the lock released (tree.h): no allocation to fail */
    for (;;) {
        char *name = NULL;
        tree_lock(t);
        if (t->names.n_inval)
            name = t->names.inval[--t->names.n_inval];
        tree_unlock(t);
        if (!name)
            return;
        if (inval)
            inval(ctx, BFS_BYNAME_INO, name);
        free(name);
    }
}
