/* notify.c - change notification: what a watcher event makes stale, and what the kernel is told
 * to drop (always outside the tree lock), the once-a-second sweep. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tree_internal.h"

/* "containers/<id>[/...]" or "<image>/layerdb/mounts/<id>[/...]": the container it belongs
 * to, or NULL. `name` is the entry within dir_rel (for the parent folders themselves). */
static const char *owner_id(const struct bfs_tree *t, const char *dir_rel, const char *name,
                            char id[LS_ID_LEN + 1])
{
    const char *rest = NULL;
    struct layerstore *ls = t->root.store ? t->root.store->ls : NULL;
    char mounts[64];

    if (strncmp(dir_rel, "containers", 10) == 0 && (dir_rel[10] == '/' || !dir_rel[10]))
        rest = dir_rel[10] ? dir_rel + 11 : name;
    else if (ls) {
        int k = snprintf(mounts, sizeof(mounts), "image/%s/layerdb/mounts",
                         ls_driver_name(layerstore_driver(ls)));
        if (k > 0 && (size_t)k < sizeof(mounts) && strncmp(dir_rel, mounts, k) == 0 &&
            (dir_rel[k] == '/' || !dir_rel[k]))
            rest = dir_rel[k] ? dir_rel + k + 1 : name;
    }
    if (!rest || strlen(rest) < LS_ID_LEN || (rest[LS_ID_LEN] && rest[LS_ID_LEN] != '/'))
        return NULL;
    memcpy(id, rest, LS_ID_LEN);
    id[LS_ID_LEN] = '\0';
    return bf_is_hex64(id) ? id : NULL;
}

/* An event in the storage driver's folder of layers (windowsfilter/, overlay2/, vfs/dir/, or
 * overlay2/l/ of the short links), or in one layer's folder: whose is it? Docker makes such
 * folders for every container it creates, so "everyone's" would make every container stale at
 * every create. A folder that is a known container's layer (its mount-id, or that with
 * "-init") is that container's; one no cached image has as a layer is nobody's (no bundle read
 * it: a version that failed on a missing folder is retried after its trust period anyway);
 * anything else, or anything unsure, is everyone's. */
enum ev_scope { EV_SHARED, EV_OWNER, EV_NONE };

struct layer_ev {
    bool is_layer;         /* dir_rel is the driver's folder or a folder in it */
    char x[LS_ID_LEN + 8]; /* the layer folder's name ("" when unknown: everyone's) */
};

/* The layer folder an event concerns. Reads a short link: called unlocked. */
static void layer_event(struct layerstore *ls, const char *dir_rel, const char *name, unsigned how,
                        struct layer_ev *ev)
{
    const char *top, *rest = NULL;
    char target[128]; /* a short link's target, which rest may point into */
    size_t tl;

    memset(ev, 0, sizeof(*ev));
    if (!ls)
        return;
    switch (layerstore_driver(ls)) {
    case LS_DRIVER_WINDOWSFILTER:
        top = "windowsfilter";
        break;
    case LS_DRIVER_OVERLAY2:
        top = "overlay2";
        break;
    default:
        top = "vfs/dir";
    }
    tl = strlen(top);
    if (strncmp(dir_rel, top, tl) != 0 || (dir_rel[tl] && dir_rel[tl] != '/'))
        return;
    ev->is_layer = true;
    if (!dir_rel[tl]) {
        rest = name;
    } else if (strcmp(dir_rel, "overlay2/l") == 0 && layerstore_driver(ls) == LS_DRIVER_OVERLAY2) {
        /* A short link made anew (a container's create makes two) names the layer it leads to
         * ("../<folder>/diff"). One replaced, removed or changed may have led anywhere before,
         * to a layer some bundle's mountopts was checked against: everyone's. */
        char rel[64];
        ssize_t n = -1;
        if (!(how & BFS_EV_CREATED))
            return;
        if (name && strlen(name) < 32) {
            snprintf(rel, sizeof(rel), "overlay2/l/%s", name);
            n = readlinkat(layerstore_dirfd(ls), rel, target, sizeof(target) - 1);
        }
        if (n < 8 || strncmp(target, "../", 3) != 0)
            return;
        target[n] = '\0';
        if (strcmp(target + n - 5, "/diff") != 0)
            return;
        target[n - 5] = '\0';
        rest = target + 3;
    } else {
        rest = dir_rel + tl + 1;
    }
    if (!rest)
        return;
    size_t xl = strcspn(rest, "/");
    if (xl >= sizeof(ev->x))
        return;
    memcpy(ev->x, rest, xl);
    ev->x[xl] = '\0';
}

/* Called locked. */
static enum ev_scope layer_scope_locked(struct bfs_tree *t, const struct layer_ev *ev,
                                        char id[LS_ID_LEN + 1])
{
    tree_assert_locked(t);
    size_t xl = strlen(ev->x), bl = xl;
    uint8_t key[LS_ID_LEN / 2];

    if (!xl)
        return EV_SHARED;
    if (xl == LS_ID_LEN + 5 && strcmp(ev->x + LS_ID_LEN, "-init") == 0)
        bl = LS_ID_LEN;
    if (bl != LS_ID_LEN)
        return EV_SHARED; /* not a layer's folder: Docker does not change those */
    bool hex = hex_decode(ev->x, bl, key, sizeof(key));
    HTAB_FOREACH (&t->ctrs, p) {
        const struct ctr *c = (const struct ctr *)p;
        if (hex && c->has_mount_id && memcmp(c->mount_id, key, sizeof(key)) == 0) {
            memcpy(id, c->id, LS_ID_LEN + 1);
            return EV_OWNER;
        }
    }
    if (!t->root.store || layerstore_cache_may_use_layer(t->root.store->ls, ev->x))
        return EV_SHARED;
    return EV_NONE;
}

/* What the kernel may hold of one container: its entry in the root and its directory. */
struct inval_ent {
    uint64_t dir_ino;
    char id[LS_ID_LEN + 1];
};

/* Every container of the table (called locked; NULL when out of memory). */
static struct inval_ent *inval_list_locked(struct bfs_tree *t, size_t *n)
{
    tree_assert_locked(t);
    struct inval_ent *v = malloc((t->ctrs.n ? t->ctrs.n : 1) * sizeof(*v));

    *n = 0;
    if (!v)
        return NULL;
    HTAB_FOREACH (&t->ctrs, p) {
        struct ctr *c = (struct ctr *)p;
        v[*n].dir_ino = c->ino;
        memcpy(v[*n].id, c->id, sizeof(c->id));
        ++*n;
    }
    return v;
}

/* Drop the kernel's file entries and attributes of a container's directory (and its entry
 * in the root), so the next access looks up the current version at once. Called unlocked:
 * the kernel may be waiting for a request of ours that needs the lock. */
static void inval_ctr(const struct inval_ent *e, bool root_entry, bfs_inval_fn inval, void *ctx)
{
    for (int f = 0; f < BFS_FILE_COUNT; f++)
        inval(ctx, e->dir_ino, file_names[f]);
    inval(ctx, e->dir_ino, NULL);
    if (root_entry)
        inval(ctx, BFS_ROOT_INO, e->id);
}

static void inval_all(struct inval_ent *v, size_t n, bool root_entries, bfs_inval_fn inval,
                      void *ctx)
{
    if (!v) {
        bfs_log("out of memory: what the kernel cached of the containers may stay stale for "
                "up to the watched timeout");
        return;
    }
    for (size_t i = 0; i < n; i++)
        inval_ctr(&v[i], root_entries, inval, ctx);
    free(v);
}

/* Container id's name as its config.v2.json says now: if another container was given that
 * name (byname.c), it is taken back, since the smaller ID may take it over. Its folder is
 * watched first: one just made is filled later, and nothing lists it (the kernel keeps the
 * names it was given) to watch it before that. Unlocked. */
static void take_back_new_name(struct bfs_tree *t, const char *id)
{
    struct bf_error err = BF_ERROR_INIT;
    struct store *s = store_hold(t);
    char *name = NULL, rel[sizeof("containers/") + LS_ID_LEN];

    snprintf(rel, sizeof(rel), "containers/%s", id);
    tree_watch_add(t, rel);
    if (s && layerstore_container_name(s->ls, id, &name, NULL, &err) == 0 && name && *name) {
        tree_lock(t);
        names_take_back_all_locked(t, name, ctr_find_locked(t, id));
        tree_unlock(t);
    }
    bf_error_clear(&err);
    free(name);
    store_release(t, s);
}

void bfs_tree_changed(struct bfs_tree *t, const char *dir_rel, const char *name, bfs_inval_fn inval,
                      void *ctx)
{
    bfs_tree_changed_how(t, dir_rel, name, 0, inval, ctx);
}

/* Is `name` in folder `dir_rel` the json-file log driver's log of the container whose folder
 * it is (containers/<id>/<id>-json.log, rotated <id>-json.log.N, compressed .N.gz)? dockerd
 * appends to it on every line the container prints, and no bundle reads it. */
static bool is_json_log(const char *dir_rel, const char *name)
{
    static const char suffix[] = "-json.log";
    const size_t pre = sizeof("containers/") - 1, k = sizeof(suffix) - 1;
    const char *id, *rest;

    if (!name || strncmp(dir_rel, "containers/", pre) != 0)
        return false;
    id = dir_rel + pre; /* within dir_rel only once its prefix is known */
    if (strlen(id) != LS_ID_LEN || strncmp(name, id, LS_ID_LEN) != 0 ||
        strncmp(name + LS_ID_LEN, suffix, k) != 0)
        return false;
    rest = name + LS_ID_LEN + k;
    if (!*rest)
        return true;
    if (*rest++ != '.' || !isdigit((unsigned char)*rest))
        return false;
    while (isdigit((unsigned char)*rest))
        rest++;
    return !*rest || strcmp(rest, ".gz") == 0;
}

void bfs_tree_changed_how(struct bfs_tree *t, const char *dir_rel, const char *name, unsigned how,
                          bfs_inval_fn inval, void *ctx)
{
    char idbuf[LS_ID_LEN + 1];
    const char *id;

    if (is_json_log(dir_rel, name)) { /* a line logged: nothing of the container changed */
        tree_lock(t);
        t->stats.events_ignored++;
        tree_unlock(t);
        return;
    }
    struct ctr *c = NULL;
    struct inval_ent one = {0}, *all = NULL;
    size_t n = 0;
    bool shared = false;
    bool in_containers =
        strncmp(dir_rel, "containers", 10) == 0 && (dir_rel[10] == '/' || !dir_rel[10]);
    /* containers/ itself, or the data-root's own entries: a container came or went */
    bool set_changed = !strcmp(dir_rel, "containers") || !dir_rel[0];
    struct layer_ev lev = {0};
    struct store *s = store_hold(t);
    /* containers/ itself changed (chmod, chown, replaced): the root's and by-name's modes */
    bool ctrs_self = (!strcmp(dir_rel, "containers") && !name) ||
                     (!dir_rel[0] && name && !strcmp(name, "containers"));
    struct ctrs_mode ctrs = {0};
    if (s && ctrs_self)
        ctrs = ctrs_stat(s->ls);

    /* config.v2.json or hostconfig.json changed in a container's folder: is it still one?
     * Docker removes a container by writing config.v2.json with State.Dead, then the folder
     * file by file (a rewrite renames a new file over the old: still one) */
    bool hc_gone = false, folder_gone = false;
    if (s) {
        layer_event(s->ls, dir_rel, name, how, &lev);
        /* a container folder that went: its entry leaves the table now, not at the next
         * listing (nothing may ever list the root: the table would keep every container that
         * came and went) */
        if (!strcmp(dir_rel, "containers") && name && bf_is_hex64(name))
            folder_gone = !dir_exists(s, "containers", name);
        if (in_containers && name &&
            (strcmp(name, "hostconfig.json") == 0 || strcmp(name, "config.v2.json") == 0) &&
            strlen(dir_rel) == sizeof("containers/") - 1 + LS_ID_LEN)
            hc_gone = layerstore_container_pending(s->ls, dir_rel + sizeof("containers/") - 1,
                                                   LS_PENDING_STATE);
    }
    tree_lock(t);
    if (folder_gone) {
        struct ctr *gone = ctr_find_locked(t, name);
        if (gone)
            ctr_remove_locked(t, gone);
    }
    if (s) { /* held until here: the containers/ mode read is this store's */
        if (ctrs_self)
            s->ctrs = ctrs;
        store_unref_locked(s);
    }
    id = owner_id(t, dir_rel, name, idbuf);
    /* a folder the listing left out (being written) may just have become a container */
    if (id && in_containers && t->ids.cur &&
        in_list(t->ids.cur->pending, t->ids.cur->n_pending, id))
        set_changed = true;
    /* a listed one that is no container now (Dead, or a file gone): the next listing looks */
    if (id && hc_gone) {
        bool have = !t->ids.cur || !in_idlist(t->ids.cur, id); /* not listed: nothing to do */
        for (size_t k = 0; !have && k < t->ids.n_recheck; k++)
            have = strcmp(t->ids.recheck[k], id) == 0;
        if (!have && t->ids.n_recheck < RECHECK_MAX)
            memcpy(t->ids.recheck[t->ids.n_recheck++], id, LS_ID_LEN + 1);
        else if (!have)
            t->ids.recheck_all = true;
        set_changed = true; /* the kernel forgets its entry: the next lookup looks */
    }
    if (!id && lev.is_layer) {
        enum ev_scope sc = layer_scope_locked(t, &lev, idbuf);
        if (sc == EV_NONE) {
            /* nobody's as far as the versions made so far tell; a generation still running
             * may be reading it (its container's layer folder is known once it is done) */
            HTAB_FOREACH (&t->ctrs, p)
                if (((struct ctr *)p)->generating)
                    ((struct ctr *)p)->events++;
            t->stats.events_ignored++;
            tree_unlock(t);
            return;
        }
        if (sc == EV_OWNER)
            id = idbuf;
    }
    if (id) {
        c = ctr_find_locked(t, id);
        if (c) {
            c->events++;
            one.dir_ino = c->ino;
            memcpy(one.id, c->id, sizeof(c->id));
        }
    } else {
        t->epoch++; /* a shared input (image, layer, daemon.json, ...): every container */
        if (t->root.store)
            layerstore_cache_invalidate(t->root.store->ls);
        shared = true;
        if (inval)
            all = inval_list_locked(t, &n);
    }
    if (set_changed)
        t->ids.epoch++;
    bool any_given = false;
    if (in_containers || !dir_rel[0]) {
        t->names.epoch++;
        /* a container's folder: its name may have changed; another entry of containers/
         * changes no name; the data-root's own entries: anything may have */
        if (id || (in_containers && strcmp(dir_rel, "containers") != 0) || !dir_rel[0]) {
            const char *mark = in_containers ? id : NULL;
            names_mark_locked(t, mark);
            /* the kernel's by-name entries for those names go too (byname.c) */
            if (mark)
                names_take_back_locked(t, c ? c : ctr_find_locked(t, mark));
            else
                names_take_back_all_locked(t, NULL, NULL);
        }
        any_given = id && in_containers && t->names.n_given;
    }
    tree_unlock(t);
    if (any_given) /* its new name may be one another container was given (a duplicate) */
        take_back_new_name(t, id);
    bfs_tree_names_drain(t, inval, ctx);

    if (!inval)
        return;
    if (shared)
        inval_all(all, n, false, inval, ctx);
    if (one.dir_ino)
        inval_ctr(&one, false, inval, ctx);
    if (id && set_changed)
        inval(ctx, BFS_ROOT_INO, id); /* created or removed */
    if (set_changed)
        inval(ctx, BFS_ROOT_INO, NULL); /* the listing the kernel keeps */
    if (in_containers || !dir_rel[0])
        inval(ctx, BFS_BYNAME_INO, NULL); /* a name may have changed */
}

/* The table against containers/ now: a container whose removal no event told of (the watch
 * queue overflowed, a folder was not watched) leaves it, so the table stays bounded by what
 * is live. A listing does it (ctrs_sync_locked). Unlocked. */
static void ctrs_resync(struct bfs_tree *t)
{
    struct idlist *l = NULL;

    tree_lock(t);
    t->ids.epoch++; /* a listing of its own, not the one kept */
    tree_unlock(t);
    if (ids_get(t, true, &l) == 0) {
        tree_lock(t);
        idlist_unref_locked(l);
        tree_unlock(t);
    }
}

void bfs_tree_changed_all(struct bfs_tree *t, bfs_inval_fn inval, void *ctx)
{
    struct inval_ent *all = NULL;
    size_t n = 0;

    tree_lock(t);
    t->epoch++;
    t->ids.epoch++;
    t->names.epoch++;
    t->names.dirty_all = true;
    if (t->root.store)
        layerstore_cache_invalidate(t->root.store->ls);
    HTAB_FOREACH (&t->ctrs, p) {
        ((struct ctr *)p)->events++;
        ((struct ctr *)p)->dir_watched = false; /* watches may be gone (a new data-root) */
    }
    names_take_back_all_locked(t, NULL, NULL);
    if (inval)
        all = inval_list_locked(t, &n);
    tree_unlock(t);
    ctrs_resync(t);
    bfs_tree_names_drain(t, inval, ctx);
    if (!inval)
        return;
    inval_all(all, n, true, inval, ctx);
    inval(ctx, BFS_ROOT_INO, NULL);
    inval(ctx, BFS_BYNAME_INO, NULL);
}

void bfs_tree_sweep(struct bfs_tree *t, bfs_inval_fn inval, void *ctx)
{
    uint64_t *v = NULL;
    size_t n = 0, cap = 0;

    tree_lock(t);
    HTAB_FOREACH (&t->ctrs, p) {
        struct ctr *c = (struct ctr *)p;
        if (!c->listed_base ||
            (c->cur && c->cur->base_ino == c->listed_base && version_watched_locked(t, c->cur)))
            continue;
        if (n == cap) {
            uint64_t *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));
            if (!nv)
                break; /* the rest on the next sweep */
            v = nv;
        }
        v[n++] = c->ino;
        c->listed_base = 0;
    }
    /* A listing that left out folders Docker was still writing: no event says when one has
     * settled without a hostconfig.json, so once a trust period is over they are looked at
     * (they alone: a folder that stays pending costs a look at itself per sweep) and the root
     * is listed anew when one has become a container. */
    struct idlist *pl = NULL;
    if (t->ids.cur && t->ids.cur->n_pending && bf_mono_ns() - t->ids.cur->built_ns > trust_ns(t)) {
        pl = t->ids.cur;
        pl->refs++;
    }
    tree_unlock(t);
    bool relist = false;
    struct store *s = pl ? store_hold(t) : NULL;
    for (size_t i = 0; s && i < pl->n_pending && !relist; i++)
        relist = !layerstore_container_pending(s->ls, pl->pending[i], LS_PENDING_STATE);
    store_release(t, s);
    tree_lock(t);
    bool any_given = false;
    if (relist && t->ids.cur == pl) {
        t->ids.epoch++;
        t->names.epoch++;
        for (size_t i = 0; i < pl->n_pending; i++)
            names_mark_locked(t, pl->pending[i]);
        any_given = t->names.n_given > 0;
    }
    tree_unlock(t);
    /* after the epoch: a name one of them takes over may be one a larger ID was given */
    for (size_t i = 0; any_given && i < pl->n_pending; i++)
        take_back_new_name(t, pl->pending[i]);
    if (any_given)
        bfs_tree_names_drain(t, inval, ctx);
    tree_lock(t);
    idlist_unref_locked(pl);
    /* more containers in the table than the last listing had, for a while: some removals were
     * not seen (a lost event); every ten seconds at most, the table is checked against
     * containers/ */
    bool resync = t->ctrs.n > (t->ids.cur ? t->ids.cur->n : 0) + 64 &&
                  bf_mono_ns() - t->ids.resynced_ns > 10 * (int64_t)1000000000;
    if (resync)
        t->ids.resynced_ns = bf_mono_ns();
    tree_unlock(t);
    if (resync)
        ctrs_resync(t);
    for (size_t i = 0; i < n; i++)
        inval(ctx, v[i], NULL);
    free(v);
    if (relist) {
        inval(ctx, BFS_ROOT_INO, NULL);
        inval(ctx, BFS_BYNAME_INO, NULL);
    }
}
