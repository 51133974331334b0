/* read.c - opens, reads and pins of a file's bytes, and the siblings the pusher may store. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"

struct bfs_handle {
    struct bytes *bytes; /* pinned at open */
    enum bfs_file file;
};

/* Pin bytes in h (called with t->lock held). */
static void handle_pin_locked(struct bfs_tree *t, struct bfs_handle *h, struct bytes *b)
{
    tree_assert_locked(t);
    h->bytes = b;
    b->refs++;
    bytes_touch_locked(t, b);
}

/* file_version_locked's answer for a file that failed: -ENOENT or -EIO, told apart by
 * failed_file_errno once the lock is released. */
#define FILE_FAILED 1

/* The version regular file `ino` stands for (referenced), and its container, for a read:
 * -ESTALE for an inode the kernel should not have, -EISDIR/-EINVAL for a folder or a link,
 * FILE_FAILED (its container's ID in `id`) for a file that failed. Called locked. */
static int file_version_locked(struct bfs_tree *t, uint64_t ino, struct version **v, struct ctr **c,
                               enum bfs_file *f, char id[LS_ID_LEN + 1])
{
    tree_assert_locked(t);
    struct node nd, *n = &nd;

    *v = NULL;
    if (!node_find_locked(t, ino, n))
        return -ESTALE;
    if (n->kind != N_FILE || n->file == BFS_FILE_UTILITYVM)
        return n->kind == N_DIR ? -EISDIR : -EINVAL;
    if (n->ver->f[n->file].failed) {
        memcpy(id, n->ctr->id, LS_ID_LEN + 1);
        return FILE_FAILED;
    }
    *v = n->ver;
    (*v)->refs++; /* n may be forgotten while the lock is dropped */
    *c = n->ctr;
    *f = n->file;
    return 0;
}

/* A failed file's error, with the lock released: -ENOENT when its container's folder is gone
 * (the data-root's too), else -EIO. */
static int failed_file_errno(struct bfs_tree *t, const char *id)
{
    struct store *s = store_hold(t);
    bool gone = s && !dir_exists(s, "containers", id);

    store_release(t, s);
    return gone ? -ENOENT : -EIO;
}

/* The end of an open or a read: its references dropped, the lock released, then a failed
 * file's errno decided (file_version_locked). */
static int read_end(struct bfs_tree *t, struct version *v, struct version *cur, int r,
                    const char *id)
{
    version_unref_locked(t, v);
    version_unref_locked(t, cur);
    tree_unlock(t);
    return r == FILE_FAILED ? failed_file_errno(t, id) : r;
}

/* A fresh current version of c with its bytes (for v's evicted ones). Called locked. */
static int ctr_current_bytes_locked(struct bfs_tree *t, struct ctr *c, struct version **cur)
{
    tree_assert_locked(t);
    int r;

    c->refs++;
    r = ctr_current_locked(t, c, true, cur);
    ctr_unref_locked(t, c);
    return r;
}

int bfs_open(struct bfs_tree *t, uint64_t ino, struct bfs_handle **out, bool *direct_io)
{
    struct bfs_handle *h = calloc(1, sizeof(*h));
    struct version *v = NULL, *cur = NULL;
    struct ctr *c = NULL;
    char id[LS_ID_LEN + 1];
    int r;

    *out = NULL;
    *direct_io = false;
    if (!h)
        return -ENOMEM;
    tree_lock(t);
    r = file_version_locked(t, ino, &v, &c, &h->file, id);
    if (r != 0)
        goto out;
    if (v->bytes) {
        handle_pin_locked(t, h, v->bytes);
        goto out;
    }
    {
        /* Evicted: generate now, so that this open is one snapshot whatever happens before
         * its reads (generated at the first read instead, a change in between would leave
         * nothing to serve).
         * Identical content re-attaches to v (same inode, same bytes); different content
         * means the inode is out of date. */
        r = ctr_current_bytes_locked(t, c, &cur);
        if (r < 0)
            goto out;
        if (cur != v || !v->bytes) {
            if (!cur->f[h->file].present)
                r = -ENOENT;
            else if (cur->f[h->file].failed)
                r = -EIO;
            if (r < 0)
                goto out;
            *direct_io = true;
        }
        handle_pin_locked(t, h, *direct_io ? cur->bytes : v->bytes);
    }
out:
    r = read_end(t, v, cur, r, id);
    if (r < 0) {
        free(h);
        return r;
    }
    *out = h;
    return 0;
}

int bfs_read_pin(struct bfs_tree *t, struct bfs_handle *h, const char **data, size_t *len,
                 struct bfs_pin **pin)
{
    struct bytes *by;

    /* The read holds its own reference until its reply is written: bytes never go away
     * under a reply, whatever else happens to the handle meanwhile (a RELEASE handled by
     * another thread, an eviction, a new version). */
    tree_lock(t);
    by = h->bytes;
    by->refs++;
    tree_unlock(t);
    if (h->file == BFS_FILE_ERROR) {
        *data = by->b->errors;
        *len = by->b->errors_len;
    } else {
        *data = by->b->files[h->file].data;
        *len = by->b->files[h->file].len;
    }
    *pin = (struct bfs_pin *)by;
    return 0;
}

void bfs_read_unpin(struct bfs_tree *t, struct bfs_pin *pin)
{
    tree_lock(t);
    bytes_unref_locked((struct bytes *)pin);
    tree_unlock(t);
}

void bfs_read_unpin_whole(struct bfs_tree *t, struct bfs_pin *pin, uint64_t ino)
{
    struct bytes *b = (struct bytes *)pin;
    struct node n;

    tree_lock(t);
    /* only the inode's own version: bytes of a newer one with the same file (bfs_read_ino)
     * went to this inode's pages, not to the newer one's inode */
    if (b->owner && node_find_locked(t, ino, &n) && n.kind == N_FILE && n.ver == b->owner)
        b->owner->delivered |= (uint8_t)(1u << n.file);
    bytes_unref_locked(b);
    tree_unlock(t);
}

int bfs_read_ino(struct bfs_tree *t, uint64_t ino, const char **data, size_t *len,
                 struct bfs_pin **pin)
{
    struct version *v = NULL, *cur = NULL;
    struct bytes *by = NULL;
    struct ctr *c = NULL;
    enum bfs_file f = BFS_FILE_CONFIG;
    char id[LS_ID_LEN + 1];
    int r;

    tree_lock(t);
    r = file_version_locked(t, ino, &v, &c, &f, id);
    if (r != 0)
        goto out;
    by = v->bytes;
    if (!by) {
        /* Evicted: generate again. The same content re-attaches to v; a newer version whose
         * file has the same bytes serves them too; other bytes would not match the size and
         * the pages the kernel has of this inode. */
        r = ctr_current_bytes_locked(t, c, &cur);
        if (r < 0)
            goto out;
        if (cur == v || memcmp(&cur->f[f], &v->f[f], sizeof(v->f[f])) == 0) {
            by = cur->bytes;
        } else {
            tree_log_locked(t, "%s/%s: this version changed before it was read, and its bytes were "
                    "evicted: open it again",
                    v->ctr->id, file_names[f]);
            r = -ESTALE;
            goto out;
        }
    }
    by->refs++; /* the read's own pin, as bfs_read_pin's */
    bytes_touch_locked(t, by);
    v->served |= 1u << f;
out:
    r = read_end(t, v, cur, r, id);
    if (r < 0)
        return r;
    if (f == BFS_FILE_ERROR) {
        *data = by->b->errors;
        *len = by->b->errors_len;
    } else {
        *data = by->b->files[f].data;
        *len = by->b->files[f].len;
    }
    *pin = (struct bfs_pin *)by;
    return 0;
}

size_t bfs_file_siblings(struct bfs_tree *t, uint64_t ino, bool claim, uint64_t *out, size_t max)
{
    struct node n, sib;
    struct version *v;
    size_t k = 0;

    tree_lock(t);
    if (!node_find_locked(t, ino, &n) || n.kind != N_FILE)
        goto out;
    v = n.ver;
    for (int f = 0; f < BFS_FILE_COUNT && k < max; f++) {
        if (f == (int)n.file || (v->served & (1u << f)) || !version_file_has_bytes(v, f))
            continue;
        /* the kernel holds it: its node lives from a lookup (or a listing with attributes)
         * to the forget that brings nlookup to 0 */
        if (!node_find_locked(t, v->base_ino + (uint64_t)f, &sib))
            continue;
        out[k++] = sib.ino;
        if (claim)
            v->served |= 1u << f;
    }
out:
    tree_unlock(t);
    return k;
}

void bfs_release(struct bfs_tree *t, struct bfs_handle *h)
{
    if (!h)
        return;
    tree_lock(t);
    bytes_unref_locked(h->bytes);
    tree_unlock(t);
    free(h);
}
