/* ids.c - the container ID snapshots (idlist) that the root's listings and the prefix lookups use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"

/* The position of the first ID >= key in ids (sorted), ids->n when there is none. */
static const char *idlist_key(const void *v, size_t i)
{
    return ((const char(*)[LS_ID_LEN + 1]) v)[i];
}

size_t idlist_lower_bound(const struct idlist *ids, const char *key)
{
    return bf_lower_bound(ids->v, ids->n, idlist_key, key);
}

static int cmp_strp(const void *a, const void *b);

bool in_list(char **v, size_t n, const char *id)
{
    return n && bsearch(&id, v, n, sizeof(*v), cmp_strp);
}

bool in_idlist(const struct idlist *l, const char *id)
{
    size_t i = idlist_lower_bound(l, id);
    return i < l->n && strcmp(l->v[i], id) == 0;
}

/* The n IDs at ids (LS_ID_LEN hex each, sorted; freed, with ids) into l's block. */
static int idlist_take(struct idlist *l, char **ids, size_t n)
{
    l->v = malloc((n ? n : 1) * sizeof(*l->v));
    for (size_t i = 0; i < n; i++) {
        if (l->v)
            memcpy(l->v[i], ids[i], LS_ID_LEN + 1);
        free(ids[i]);
    }
    free(ids);
    if (!l->v)
        return -ENOMEM;
    l->n = n;
    return 0;
}

/* Container IDs on disk (sorted) into l, without the folders Docker may still be writing: an ID
 * the previous listing `prev` of the same store had is one still (folders are checked when they
 * appear, not at every listing); a new one, or one pending before, is looked at. Called
 * unlocked. */
static int list_ids(struct bfs_tree *t, const struct idlist *prev, char (*recheck)[LS_ID_LEN + 1],
                    size_t n_recheck, struct idlist *l)
{
    struct store *s = store_hold(t);
    struct bf_error err = BF_ERROR_INIT;
    char **ids = NULL;
    size_t n = 0, k = 0;
    int r;

    if (!s)
        return 0;
    r = layerstore_container_ids(s->ls, &ids, &n, &err);
    if (r < 0) {
        bfs_log("%s", bf_error_message(&err));
        bf_error_clear(&err);
        store_release(t, s);
        return -EIO;
    }
    for (size_t i = 0; i < n; i++) {
        bool known = prev && in_idlist(prev, ids[i]);
        for (size_t k = 0; known && k < n_recheck; k++)
            known = strcmp(recheck[k], ids[i]) != 0;
        /* State.Dead is read only for the few IDs a later listing looks at: the first reads
         * no file (a removal under way at mount time shows until its folder goes) */
        if (!known && layerstore_container_pending(s->ls, ids[i],
                                                   prev ? LS_PENDING_STATE : LS_PENDING_FIRST)) {
            char **np = realloc(l->pending, (l->n_pending + 1) * sizeof(*np));
            if (!np) {
                free(ids[i]);
                continue; /* left out all the same; listed again next time */
            }
            l->pending = np;
            l->pending[l->n_pending++] = ids[i];
            { /* its hostconfig.json's arrival is an event, with a watcher */
                char rel[sizeof("containers/") + LS_ID_LEN];
                snprintf(rel, sizeof(rel), "containers/%s", ids[i]);
                tree_watch_add(t, rel);
            }
            continue;
        }
        ids[k++] = ids[i];
    }
    store_release(t, s);
    return idlist_take(l, ids, k);
}

/* Is an index built from containers/ (the ID list, the names) still right? Until the watcher
 * sees the change its epoch counts, or, without a watcher or where a folder it read is not
 * watched, for one trust period. Locked. */
bool index_fresh_locked(const struct bfs_tree *t, uint64_t epoch, uint64_t now_epoch,
                        uint64_t store_gen, bool watched, int64_t built_ns, int64_t now)
{
    tree_assert_locked(t);
    return epoch == now_epoch && store_gen == t->root.store_gen &&
           ((t->watch.add && watched) || now - built_ns <= trust_ns(t));
}

void idlist_unref_locked(struct idlist *l)
{
    if (l && --l->refs == 0) {
        free(l->v);
        ls_strv_free(l->pending, l->n_pending);
        free(l);
    }
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Containers that left the data-root leave the table (their inodes live on until the kernel
 * forgets them). Called locked, with a new listing. */
static void ctrs_sync_locked(struct bfs_tree *t, const struct idlist *l)
{
    tree_assert_locked(t);
    HTAB_FOREACH (&t->ctrs, p) {
        struct ctr *c = (struct ctr *)p;
        if (!in_idlist(l, c->id))
            ctr_remove_locked(t, c);
    }
}

/* The sorted container IDs: the snapshot of the last listing while no container came or went
 * (the watcher says so; without one, for one trust period, unless `relist`), else a new
 * listing. Called unlocked; the caller drops the reference with t->lock held. */
int ids_get(struct bfs_tree *t, bool relist, struct idlist **out)
{
    struct idlist *l;
    uint64_t ep, sg;
    int64_t now = bf_mono_ns();
    int r;

    struct idlist *prev = NULL;

    tree_lock(t);
    for (;;) {
        l = t->ids.cur;
        /* (pending folders: the watcher's sweep looks at them, and lists anew when one has
         * become a container) */
        if (l && (t->watch.add || !relist) &&
            index_fresh_locked(t, l->epoch, t->ids.epoch, l->store_gen, true, l->built_ns, now)) {
            l->refs++;
            *out = l;
            tree_unlock(t);
            return 0;
        }
        if (!t->ids.building)
            break;
        tree_wait(t, &t->ids.built); /* the listing under way is likely the one needed */
    }
    t->ids.building = true;
    ep = t->ids.epoch;
    sg = t->root.store_gen;
    if (l && l->store_gen == sg && !t->ids.recheck_all) {
        prev = l;
        prev->refs++;
    }
    char(*recheck)[LS_ID_LEN + 1] = NULL;
    size_t n_recheck = t->ids.n_recheck;
    if (n_recheck && (recheck = malloc(n_recheck * sizeof(*recheck))))
        memcpy(recheck, t->ids.recheck, n_recheck * sizeof(*recheck));
    else if (n_recheck && prev) {
        idlist_unref_locked(prev); /* no memory for the list: look at every folder */
        prev = NULL;
    }
    t->ids.n_recheck = 0;
    t->ids.recheck_all = false;
    tree_unlock(t);

    l = calloc(1, sizeof(*l));
    r = l ? list_ids(t, prev, recheck, recheck ? n_recheck : 0, l) : -ENOMEM;
    free(recheck);
    tree_lock(t);
    idlist_unref_locked(prev);
    if (r < 0) {
        t->ids.recheck_all = true; /* the rechecks taken are forgotten: look at every folder */
        t->ids.building = false;
        pthread_cond_broadcast(&t->ids.built);
        tree_unlock(t);
        if (l)
            ls_strv_free(l->pending, l->n_pending);
        free(l);
        return r;
    }
    l->refs = 2; /* the tree's and the caller's */
    l->epoch = ep;
    l->store_gen = sg;
    l->built_ns = now;
    l->gen = ++t->list_gen;
    ctrs_sync_locked(t, l);
    idlist_unref_locked(t->ids.prev);
    t->ids.prev = t->ids.cur;
    t->ids.cur = l;
    idlist_unref_locked(t->ids.raw); /* the listing answers prefixes from now on */
    t->ids.raw = NULL;
    t->ids.building = false; /* in place: the next listing starts from it */
    pthread_cond_broadcast(&t->ids.built);
    tree_unlock(t);
    *out = l;
    return 0;
}

/* The full ID of a unique prefix into full, else -ENOENT (unknown, or ambiguous as `docker`
 * would say). Once the root was listed, from that listing (kept up to date cheaply: an ID seen
 * before is not looked at again). Before that, a listing would look at every folder (whether
 * Docker is still writing it, two stats each: most of the first prefix lookup's time); the
 * IDs as listed, kept for the next prefixes by the same freshness rule, serve instead, and only
 * the IDs with the prefix are looked at, as the listing would. Called unlocked. */
int lookup_prefix(struct bfs_tree *t, const char *name, char full[LS_ID_LEN + 1])
{
    size_t len = strlen(name), lo, hi, hits = 0;
    struct idlist *l = NULL;
    struct store *s = NULL;
    int64_t now = bf_mono_ns();
    bool raw;
    int r;

    tree_lock(t);
    raw = !(t->ids.cur && t->ids.cur->store_gen == t->root.store_gen && !t->ids.recheck_all);
    if (raw && (l = t->ids.raw) &&
        index_fresh_locked(t, l->epoch, t->ids.epoch, l->store_gen, true, l->built_ns, now))
        l->refs++;
    else
        l = NULL;
    tree_unlock(t);
    if (!raw) {
        r = ids_get(t, false, &l);
        if (r < 0)
            return r;
    } else if (!l) {
        struct bf_error err = BF_ERROR_INIT;
        uint64_t ep, sg;
        tree_lock(t);
        ep = t->ids.epoch;
        sg = t->root.store_gen;
        tree_unlock(t);
        char **raw_ids = NULL;
        size_t n_raw = 0;
        if (!(l = calloc(1, sizeof(*l))))
            return -ENOMEM;
        s = store_hold(t);
        if (s && layerstore_container_ids(s->ls, &raw_ids, &n_raw, &err) < 0) {
            bfs_log("%s", bf_error_message(&err));
            bf_error_clear(&err);
            store_release(t, s);
            free(l);
            return -EIO;
        }
        store_release(t, s);
        s = NULL;
        if (idlist_take(l, raw_ids, n_raw) < 0) {
            free(l);
            return -ENOMEM;
        }
        l->refs = 2; /* the tree's and ours */
        l->epoch = ep;
        l->store_gen = sg;
        l->built_ns = now;
        tree_lock(t);
        idlist_unref_locked(t->ids.raw);
        t->ids.raw = l;
        tree_unlock(t);
    }
    lo = idlist_lower_bound(l, name);
    for (hi = lo; hi < l->n && strncmp(l->v[hi], name, len) == 0; hi++)
        ;
    if (raw && lo < hi)
        s = store_hold(t);
    for (size_t i = lo; i < hi && hits < 2; i++) {
        /* a listing leaves out the folders Docker may still be writing */
        if (raw && (!s || layerstore_container_pending(s->ls, l->v[i], LS_PENDING_FIRST)))
            continue;
        if (hits++ == 0)
            memcpy(full, l->v[i], LS_ID_LEN + 1);
    }
    if (s)
        store_release(t, s);
    tree_lock(t);
    idlist_unref_locked(l);
    tree_unlock(t);
    return hits == 1 ? 0 : -ENOENT;
}

/* Is containers/<id> a container: a directory (no link followed) that Docker is not still
 * writing or removing (its files, and config.v2.json's State.Dead)? An entry of a listing just
 * made is one (`listed`: the listing looked; READDIRPLUS asks for every entry). */
bool ctr_exists(struct bfs_tree *t, const char *id, bool listed)
{
    struct store *s = store_hold(t);
    bool ok;

    if (!s)
        return false;
    ok = dir_exists(s, "containers", id) &&
         (listed || !layerstore_container_pending(s->ls, id, LS_PENDING_STATE));
    store_release(t, s);
    return ok;
}

bool is_hex(const char *s, size_t maxlen)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= maxlen || !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n > 0;
}
