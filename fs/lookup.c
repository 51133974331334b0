/* lookup.c - lookups, getattr and readlink: a name or an inode to its attributes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tree_internal.h"

int lookup_root(struct bfs_tree *t, const char *name, bool listed, struct bfs_attr *out)
{
    char full[LS_ID_LEN + 1] = "";
    bool prefix = false, dir_watched = false;
    struct ctr *c;
    int r;

    if (strcmp(name, BFS_BYNAME_DIR) == 0) {
        attr_static_dir(t, BFS_BYNAME_INO, out);
        return 0;
    }
    if (!is_hex(name, LS_ID_LEN))
        return -ENOENT;
    maybe_check_root(t);
    if (strlen(name) == LS_ID_LEN) {
        char rel[sizeof("containers/") + LS_ID_LEN];
        /* Watched before its attributes are read: a change after this is seen. */
        snprintf(rel, sizeof(rel), "containers/%s", name);
        if (tree_watch_add(t, rel) >= 0)
            dir_watched = true;
        if (!ctr_exists(t, name, listed))
            goto gone;
        memcpy(full, name, sizeof(full));
    } else {
        r = lookup_prefix(t, name, full);
        if (r < 0)
            return r;
        prefix = true;
    }
    struct stat cst;
    bool have_cst = !prefix && ctr_config_stat(t, full, &cst);

    tree_lock(t);
    c = ctr_get_locked(t, full);
    if (!c) {
        tree_unlock(t);
        return -ENOMEM;
    }
    if (prefix) {
        attr_link(t, c, N_PREFIX_LINK, out);
        r = node_ref_locked(t, out->ino, N_PREFIX_LINK, 0, c, NULL);
    } else {
        c->dir_watched |= dir_watched;
        r = attr_ctr_dir_locked(t, c, have_cst ? &cst : NULL, out);
        if (r == 0)
            r = node_ref_locked(t, out->ino, N_DIR, 0, c, NULL);
    }
    tree_unlock(t);
    return r;

gone:
    tree_lock(t);
    c = ctr_find_locked(t, name);
    if (c)
        ctr_remove_locked(t, c);
    tree_unlock(t);
    return -ENOENT;
}

static const char *namelist_key(const void *v, size_t i)
{
    return ((const struct name_ent *)v)[i].name;
}

static int lookup_byname(struct bfs_tree *t, const char *name, struct bfs_attr *out)
{
    struct namelist *names = NULL;
    struct ctr *c;
    size_t i;
    int r = names_get(t, &names);

    if (r < 0)
        return r;
    tree_lock(t);
    r = -ENOENT;
    i = bf_lower_bound(names->v, names->n, namelist_key, name);
    if (i < names->n && strcmp(names->v[i].name, name) == 0) {
        c = ctr_get_locked(t, names->v[i].id);
        if (!c) {
            r = -ENOMEM;
        } else {
            attr_link(t, c, N_BYNAME_LINK, out);
            r = node_ref_locked(t, out->ino, N_BYNAME_LINK, 0, c, NULL);
            out->keep_entry = r == 0 && names_give_locked(t, names, c, name);
        }
    }
    namelist_unref_locked(names);
    tree_unlock(t);
    return r;
}

static int file_by_name(const char *name)
{
    for (int i = 0; i < BFS_FILE_COUNT; i++)
        if (strcmp(name, file_names[i]) == 0)
            return i;
    return -1;
}

static int lookup_ctr_locked(struct bfs_tree *t, const struct node *dirn, const char *name,
                             struct bfs_attr *out)
{
    tree_assert_locked(t);
    struct ctr *c = dirn->ctr;
    struct version *v = NULL;
    int f = file_by_name(name), r;

    if (f < 0)
        return -ENOENT;
    ahead_note_locked(t, c);
    c->refs++;
    r = ctr_current_locked(t, c, false, &v);
    if (r == 0 && !v->f[f].present)
        r = -ENOENT;
    if (r == 0) {
        if (v->bytes)
            bytes_touch_locked(t, v->bytes); /* its read is likely next (lru_trim_locked) */
        attr_file_locked(t, v, f, out);
        r = node_ref_locked(t, out->ino, N_FILE, f, c, v);
    }
    version_unref_locked(t, v);
    ctr_unref_locked(t, c);
    return r;
}

int bfs_lookup(struct bfs_tree *t, uint64_t parent, const char *name, struct bfs_attr *out)
{
    struct node n;
    int r;

    if (parent == BFS_ROOT_INO)
        return lookup_root(t, name, false, out);
    if (parent == BFS_BYNAME_INO)
        return lookup_byname(t, name, out);
    tree_lock(t);
    if (!node_find_locked(t, parent, &n))
        r = -ESTALE;
    else if (n.kind != N_DIR)
        r = -ENOTDIR;
    else
        r = lookup_ctr_locked(t, &n, name, out);
    tree_unlock(t);
    return r;
}

int bfs_getattr(struct bfs_tree *t, uint64_t ino, struct bfs_attr *out)
{
    struct node n;
    int r = 0;

    if (ino == BFS_ROOT_INO || ino == BFS_BYNAME_INO) {
        attr_static_dir(t, ino, out);
        return 0;
    }
    tree_lock(t);
    if (!node_find_locked(t, ino, &n)) {
        r = -ESTALE;
    } else if (n.kind == N_DIR) {
        /* config.v2.json's stat is made unlocked; the reference keeps the container. */
        struct ctr *c = n.ctr;
        struct stat cst;
        bool have_cst;

        c->refs++;
        tree_unlock(t);
        have_cst = ctr_config_stat(t, c->id, &cst);
        tree_lock(t);
        r = attr_ctr_dir_locked(t, c, have_cst ? &cst : NULL, out);
        ctr_unref_locked(t, c);
    } else if (n.kind == N_FILE) {
        attr_file_locked(t, n.ver, n.file, out);
    } else {
        attr_link(t, n.ctr, n.kind, out);
    }
    tree_unlock(t);
    return r;
}

int bfs_readlink(struct bfs_tree *t, uint64_t ino, char **target)
{
    struct node n;
    int r = 0;

    *target = NULL;
    tree_lock(t);
    if (!node_find_locked(t, ino, &n))
        r = -ESTALE;
    else if (n.kind == N_BYNAME_LINK)
        r = asprintf(target, "../%s", n.ctr->id) < 0 ? -ENOMEM : 0;
    else if (n.kind == N_PREFIX_LINK)
        r = (*target = strdup(n.ctr->id)) ? 0 : -ENOMEM;
    else if (n.kind == N_FILE && n.file == BFS_FILE_UTILITYVM && n.ver->uvm)
        r = (*target = strdup(n.ver->uvm)) ? 0 : -ENOMEM;
    else
        r = -EINVAL;
    tree_unlock(t);
    if (r < 0)
        *target = NULL;
    return r;
}
