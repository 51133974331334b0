/* rootfs.c - one file of a Linux container's root filesystem, read through its layers.
 *
 * Docker 20.10's getUser (daemon/oci_linux.go) finds /etc/passwd and /etc/group with
 * container.GetResourcePath: moby/sys/symlink's FollowSymlinkInScope over the mounted root
 * (overlay2: R/overlay2/<mount-id>/merged; vfs: R/vfs/dir/<mount-id>), then os.Open of the
 * path it returns. Nothing is mounted here, so both steps are redone on the layers:
 *
 * - The path is evaluated as evalSymlinksInScope does: one component at a time, each prefix
 *   cleaned lexically ("/a/missing/../b" is "/a/b", ".." stops at the root), Lstat'ed, and a
 *   link's target put in front of what is left (an absolute one restarting at the root). At
 *   most 256 rounds (its maxIter 255 counts every component, empty ones too, not only links):
 *   more is its "too many links" error. An Lstat that fails with anything but ENOENT is an
 *   error with Go's text ("lstat <path>: not a directory" for a component under a file).
 * - Each Lstat is answered the way Linux 6.1's overlayfs answers it for Docker's mount
 *   (upper = the container's diff, then its init layer, then the image's layers): the first
 *   layer holding the name decides; a character device 0/0 there is a whiteout (absent); a
 *   directory is merged with the same directory of the layers below until one is opaque
 *   (xattr trusted.overlay.opaque = "y") or holds a non-directory or whiteout there. AUFS
 *   names (.wh.<name>, .wh..wh..opq) are ordinary files to overlayfs, and so here: Docker's
 *   overlay2 converts them when it extracts a layer. vfs is one plain directory.
 * - The result is opened as os.Open would: absent or a socket (ENXIO) is "not found", which
 *   GetExecUserPath treats as an empty file; a directory opens, and its first read fails:
 *   -EISDIR with Go's "read <path>: is a directory" for the caller to hand on. A FIFO or a
 *   device (Docker would block on it, or read a host device) is refused, as is a file over
 *   `cap`.
 *
 * Links are never followed by the kernel: every entry is opened O_PATH|O_NOFOLLOW beneath the
 * data-root (bf_open_entry_beneath) and a link read with readlinkat on that descriptor. Each
 * entry looked at in each layer is recorded in `in` (absent ones as absent), so a file that
 * appears in a higher layer, a new whiteout or a changed link changes the bundle.
 * Needs CAP_SYS_ADMIN to see trusted.* xattrs (as dockerd has): without it, opaque directories
 * read as ordinary ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bf_util.h"
#include "ls_internal.h"

#define RFS_MAX_ITER 255  /* evalSymlinksInScope's maxIter */
#define RFS_PATH_MAX 4096 /* an Lstat of a longer host path is ENAMETOOLONG */
#define RFS_NAME_MAX 255  /* likewise for one component */
#define RFS_MAX_LAYERS (LS_MAX_LAYERS + 2)
_Static_assert(RFS_MAX_LAYERS < 256, "the memo keys a layer in one byte");

enum rfs_kind {
    RK_ABSENT,
    RK_DIR,
    RK_REG,
    RK_LNK,
    RK_FIFO,
    RK_SOCK,
    RK_CHR,
    RK_BLK,
};

struct rfs_node {
    char *vpath; /* clean, absolute inside the root: "/" or "/etc/passwd" */
    size_t vlen;
    enum rfs_kind kind;
    size_t top;     /* the layer the entry comes from (not for RK_ABSENT) */
    dev_t rdev;     /* RK_CHR, RK_BLK */
    size_t *layers; /* RK_DIR: the layers merged into it, top-most first */
    size_t n_layers;
    char *link; /* RK_LNK: its target */
};

struct rfs {
    struct layerstore *ls;
    struct ls_inputs *in;
    struct bf_error *err;
    const char *layer_rel[RFS_MAX_LAYERS];
    size_t n_layers;
    size_t n_own; /* the container's own layers (its diff, its init layer) come first */
    bool overlay;
    bool memo;                  /* the image layers' answers are kept in the cache (memo_key) */
    unsigned char stack_id[32]; /* SHA-256 of the image layers' folders, in order */
    char *init_rel;         /* the init layer's folder (owned) */
    char *root;             /* the rendered mount point, as Docker's messages name it */
    struct rfs_node *stack; /* stack[0] is "/", stack[i] the i-th component's prefix */
    size_t depth, cap;
};

/* A segment of the path still to walk: a link's target and "/" go in front of the rest. */
struct rfs_seg {
    char *s;
    size_t pos, len;
};

static void node_free(struct rfs_node *n)
{
    free(n->vpath);
    free(n->layers);
    free(n->link);
    memset(n, 0, sizeof(*n));
}

static void rfs_free(struct rfs *r)
{
    for (size_t i = 0; i < r->depth; i++)
        node_free(&r->stack[i]);
    free(r->stack);
    free(r->init_rel);
    free(r->root);
}

static const char *kind_name(enum rfs_kind k)
{
    switch (k) {
    case RK_FIFO:
        return "FIFO";
    case RK_CHR:
        return "character device";
    case RK_BLK:
        return "block device";
    case RK_SOCK:
        return "socket";
    case RK_DIR:
        return "directory";
    case RK_LNK:
        return "symbolic link";
    default:
        return "file";
    }
}

static enum rfs_kind kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return RK_DIR;
    if (S_ISREG(m))
        return RK_REG;
    if (S_ISLNK(m))
        return RK_LNK;
    if (S_ISFIFO(m))
        return RK_FIFO;
    if (S_ISSOCK(m))
        return RK_SOCK;
    if (S_ISCHR(m))
        return RK_CHR;
    return RK_BLK;
}

/* "<layer>/<vpath without its '/'>", or the layer itself for "/". */
static char *layer_path(const struct rfs *r, size_t layer, const char *vpath)
{
    return ls_strjoin(r->layer_rel[layer], strcmp(vpath, "/") == 0 ? "" : vpath, NULL);
}

/* Opaque as overlayfs tests it (ovl_check_dir_xattr): the value is exactly "y". An O_PATH
 * descriptor takes no fgetxattr, but its /proc/self/fd link names exactly the folder it holds:
 * one system call instead of an open, the read and a close (which stay the way when /proc is
 * not there or refuses). */
static int is_opaque(struct rfs *r, int pathfd, const char *rel, bool *opaque)
{
    _cleanup_close_ int dfd = -1;
    char v[2], self[32];
    ssize_t n;

    *opaque = false;
    snprintf(self, sizeof(self), "/proc/self/fd/%d", pathfd);
    n = getxattr(self, "trusted.overlay.opaque", v, sizeof(v));
    if (n >= 0 || errno == ENODATA || errno == ENOTSUP || errno == ERANGE) {
        *opaque = n == 1 && v[0] == 'y';
        return 0;
    }
    dfd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return bf_error_set(r->err, errno, "%s: cannot open directory: %s", rel, strerror(errno));
    n = fgetxattr(dfd, "trusted.overlay.opaque", v, sizeof(v));
    if (n < 0) {
        if (errno == ENODATA || errno == ENOTSUP || errno == ERANGE)
            return 0;
        return bf_error_set(r->err, errno, "%s: cannot read xattr trusted.overlay.opaque: %s", rel,
                            strerror(errno));
    }
    *opaque = n == 1 && v[0] == 'y';
    return 0;
}

static int read_link(struct rfs *r, int pathfd, const char *rel, char **out)
{
    char buf[RFS_PATH_MAX];
    ssize_t n = readlinkat(pathfd, "", buf, sizeof(buf));

    if (n < 0)
        return bf_error_set(r->err, errno, "%s: cannot read symbolic link: %s", rel,
                            strerror(errno));
    if ((size_t)n >= sizeof(buf))
        return bf_error_set(r->err, ENAMETOOLONG, "%s: symbolic link target too long", rel);
    *out = strndup(buf, (size_t)n);
    if (!*out)
        return bf_error_set(r->err, ENOMEM, "%s: out of memory", rel);
    return 0;
}

static int lookup_image(struct rfs *r, const struct rfs_node *parent, size_t from,
                        struct rfs_node *child, bool found);

/* Look `child` (parent->vpath + one component) up in the layers parent->layers[from..],
 * overlayfs' way (ovl_lookup_single): the first layer holding it decides, whiteouts and opaque
 * directories and non-directories below a directory stop the search. `found`: a layer above
 * `from` has it, as a directory (child->layers has room for every layer from `from` on). The
 * image's layers are asked through the memo when it is on (lookup_image), recorded in `in`. */
static int lookup_from(struct rfs *r, const struct rfs_node *parent, size_t from,
                       struct rfs_node *child, bool found, bool use_memo, struct ls_inputs *in)
{
    for (size_t k = from; k < parent->n_layers; k++) {
        size_t layer = parent->layers[k];
        if (use_memo && layer >= r->n_own)
            return lookup_image(r, parent, k, child, found);
        _cleanup_free_ char *rel = layer_path(r, layer, child->vpath);
        _cleanup_close_ int fd = -1;
        struct bf_error local = BF_ERROR_INIT;
        struct bf_stamp stamp = {.exists = false};
        struct stat st;
        enum rfs_kind kind;
        int rc;

        if (!rel)
            return bf_error_set(r->err, ENOMEM, "%s: out of memory", child->vpath);
        fd = bf_open_entry_beneath(layerstore_dirfd(r->ls), rel, &local);
        if (fd < 0) {
            if (local.code != ENOENT) {
                bf_error_move(r->err, &local);
                return fd;
            }
            bf_error_clear(&local);
            if ((rc = ls_record(r->ls, in, rel, &stamp, r->err)) < 0)
                return rc;
            continue;
        }
        if (fstat(fd, &st) < 0)
            return bf_error_set(r->err, errno, "%s: cannot stat: %s", rel, strerror(errno));
        bf_stamp_from_stat(&stamp, &st, true);
        if ((rc = ls_record(r->ls, in, rel, &stamp, r->err)) < 0)
            return rc;
        kind = kind_of(st.st_mode);
        if (r->overlay && kind == RK_CHR && st.st_rdev == makedev(0, 0))
            break; /* a whiteout: absent here and below */
        if (found && kind != RK_DIR)
            break; /* below a directory: ends the merge */
        if (!found) {
            found = true;
            child->kind = kind;
            child->top = layer;
            child->rdev = st.st_rdev;
            if (kind == RK_LNK)
                return read_link(r, fd, rel, &child->link);
            if (kind != RK_DIR)
                return 0;
            child->layers = calloc(parent->n_layers - k, sizeof(*child->layers));
            if (!child->layers)
                return bf_error_set(r->err, ENOMEM, "%s: out of memory", rel);
        }
        child->layers[child->n_layers++] = layer;
        if (r->overlay && k + 1 < parent->n_layers) {
            bool opaque;
            if ((rc = is_opaque(r, fd, rel, &opaque)) < 0)
                return rc;
            if (opaque)
                break;
        }
    }
    if (!found)
        child->kind = RK_ABSENT;
    return 0;
}

static int lookup(struct rfs *r, const struct rfs_node *parent, struct rfs_node *child)
{
    return lookup_from(r, parent, 0, child, false, r->memo, r->in);
}

/* ---- the memo: what the image's layers answer, shared by the containers of an image ----
 *
 * Every container of an image looks /etc, /etc/passwd and /etc/group up in the same image
 * layers below its own two. The image layers' part of parent->layers is the image-only
 * lookup of the parent (by induction from "/", where it is all of them), so the image-only
 * lookup of the child, merged under what the container's layers found, is the full answer.
 * That answer is kept in the cache under the SHA-256 of the image layers' folders, the image
 * layers of the parent's merge and the path, with the entries it looked at as its inputs: the
 * watcher's events and the trust period apply to it as to the image entries, and a value is
 * never used for another set of folders or another parent. The bytes of a small file of the
 * image's layers are kept likewise, with that file as their input. */

#define MEMO_FILE_MAX (64u << 10) /* a file's bytes are kept up to this size */

/* A lookup's answer as kept: a header, the layers (indexes into the image's), the link. */
struct memo_node {
    uint32_t kind, top, n_layers, link_len;
    uint64_t rdev;
};

/* key = stack || tag || what else the answer depends on || vpath. A lookup ('L') depends on
 * the image layers of the parent's merge (one byte each: RFS_MAX_LAYERS < 256), which its
 * own inputs do not cover (a directory appearing in a layer above changes them); a file's
 * bytes ('F') on the layer it is in. */
static size_t memo_key(const struct rfs *r, char tag, const size_t *layers, size_t n_layers,
                       const char *vpath, unsigned char *key, size_t cap)
{
    size_t vlen = strlen(vpath), n = sizeof(r->stack_id) + 1 + 1 + n_layers + vlen, at = 0;

    if (n > cap)
        return 0;
    memcpy(key, r->stack_id, sizeof(r->stack_id));
    at += sizeof(r->stack_id);
    key[at++] = (unsigned char)tag;
    key[at++] = (unsigned char)n_layers;
    for (size_t i = 0; i < n_layers; i++)
        key[at++] = (unsigned char)(layers[i] - r->n_own);
    memcpy(key + at, vpath, vlen);
    return n;
}

static unsigned char *memo_encode(const struct rfs *r, const struct rfs_node *m, size_t *len)
{
    struct memo_node h = {
        .kind = m->kind,
        .top = m->kind == RK_ABSENT ? 0 : (uint32_t)(m->top - r->n_own), /* no layer has it */
        .n_layers = (uint32_t)m->n_layers,
        .link_len = m->link ? (uint32_t)strlen(m->link) : 0,
        .rdev = m->rdev,
    };
    size_t n = sizeof(h) + h.n_layers * sizeof(uint32_t) + h.link_len;
    unsigned char *v = malloc(n), *p = v;

    if (!v)
        return NULL;
    memcpy(p, &h, sizeof(h));
    p += sizeof(h);
    for (size_t i = 0; i < m->n_layers; i++, p += sizeof(uint32_t)) {
        uint32_t l = (uint32_t)(m->layers[i] - r->n_own);
        memcpy(p, &l, sizeof(l));
    }
    if (h.link_len)
        memcpy(p, m->link, h.link_len);
    *len = n;
    return v;
}

/* The kept answer into m (its vpath left alone); false when it is not one this stack can have
 * made (the value is then not used). */
static bool memo_decode(const struct rfs *r, const unsigned char *v, size_t len,
                        struct rfs_node *m)
{
    struct memo_node h;
    size_t n_image = r->n_layers - r->n_own;

    if (len < sizeof(h))
        return false;
    memcpy(&h, v, sizeof(h));
    if (h.kind > RK_BLK || h.n_layers > n_image || h.top >= n_image ||
        len != sizeof(h) + h.n_layers * sizeof(uint32_t) + h.link_len)
        return false;
    m->kind = (enum rfs_kind)h.kind;
    m->top = r->n_own + h.top;
    m->rdev = (dev_t)h.rdev;
    if (h.n_layers) {
        if (!(m->layers = calloc(h.n_layers, sizeof(*m->layers))))
            return false;
        for (size_t i = 0; i < h.n_layers; i++) {
            uint32_t l;
            memcpy(&l, v + sizeof(h) + i * sizeof(l), sizeof(l));
            if (l >= n_image)
                return false;
            m->layers[m->n_layers++] = r->n_own + l;
        }
    }
    if (h.link_len && !(m->link = strndup((const char *)v + len - h.link_len, h.link_len)))
        return false;
    return true;
}

/* The image layers' answer m under what the layers above found (`found`: a directory, its
 * layers so far in child->layers). */
static int memo_merge(struct rfs_node *child, bool found, struct rfs_node *m)
{
    if (found) {
        /* below a directory only a directory merges; child->layers has room for them all */
        for (size_t i = 0; m->kind == RK_DIR && i < m->n_layers; i++)
            child->layers[child->n_layers++] = m->layers[i];
        return 0;
    }
    child->kind = m->kind;
    child->top = m->top;
    child->rdev = m->rdev;
    child->link = steal_pointer(&m->link);
    free(child->layers);
    child->layers = steal_pointer(&m->layers);
    child->n_layers = m->n_layers;
    return 0;
}

static int lookup_image(struct rfs *r, const struct rfs_node *parent, size_t from,
                        struct rfs_node *child, bool found)
{
    unsigned char key[32 + 2 + RFS_MAX_LAYERS + RFS_PATH_MAX];
    size_t klen = memo_key(r, 'L', parent->layers + from, parent->n_layers - from, child->vpath,
                           key, sizeof(key)),
           vlen;
    struct rfs_node m = {.vpath = child->vpath, .vlen = child->vlen, .kind = RK_ABSENT};
    struct ls_inputs mi = {0};
    void *val = NULL;
    uint64_t epoch;
    int rc;

    if (!klen)
        return lookup_from(r, parent, from, child, found, false, r->in);
    rc = ls_cache_memo_get(r->ls, key, klen, SIZE_MAX, &val, &vlen, r->in);
    if (rc < 0)
        return bf_error_set(r->err, ENOMEM, "%s: out of memory", child->vpath);
    if (rc == 1) {
        bool ok = memo_decode(r, val, vlen, &m);
        free(val);
        if (ok) {
            rc = memo_merge(child, found, &m);
            m.vpath = NULL;
            node_free(&m);
            return rc;
        }
        m.vpath = NULL;
        node_free(&m);
        m = (struct rfs_node){.vpath = child->vpath, .vlen = child->vlen, .kind = RK_ABSENT};
    }
    /* Not kept: the image's layers alone, as the first layers to hold it. */
    epoch = ls_cache_epoch(r->ls);
    rc = lookup_from(r, parent, from, &m, false, false, &mi);
    if (rc == 0 && (rc = ls_inputs_append(r->in, &mi)) < 0)
        rc = bf_error_set(r->err, ENOMEM, "%s: out of memory", child->vpath);
    if (rc == 0) {
        unsigned char *v = memo_encode(r, &m, &vlen);
        if (v)
            ls_cache_memo_put(r->ls, key, klen, v, vlen, &mi, epoch);
        free(v);
        rc = memo_merge(child, found, &m);
    } else {
        (void)ls_inputs_append(r->in, &mi); /* what was looked at, as without the memo */
    }
    ls_inputs_free(&mi);
    m.vpath = NULL;
    node_free(&m);
    return rc;
}

/* A regular file of the image's layers: its bytes from the memo, or read and kept there when
 * small. 1 with *buf set; 0 when the caller reads it itself (then anything about it, an error
 * too, is the caller's to find); -ENOMEM. */
static int memo_file(struct rfs *r, const struct rfs_node *node, const char *rel, size_t cap,
                     char **buf, size_t *len)
{
    unsigned char key[32 + 2 + 1 + RFS_PATH_MAX];
    size_t klen = memo_key(r, 'F', &node->top, 1, node->vpath, key, sizeof(key)), vlen = 0;
    struct ls_inputs mi = {0};
    struct bf_error local = BF_ERROR_INIT;
    struct bf_stamp stamp;
    void *val = NULL;
    char *data = NULL;
    uint64_t epoch;
    int rc;

    if (!klen)
        return 0;
    rc = ls_cache_memo_get(r->ls, key, klen, cap, &val, &vlen, r->in);
    if (rc < 0)
        return bf_error_set(r->err, ENOMEM, "%s: out of memory", rel);
    if (rc == 1) {
        if (!(data = realloc(val, vlen + 1))) {
            free(val);
            return bf_error_set(r->err, ENOMEM, "%s: out of memory", rel);
        }
        data[vlen] = '\0';
        *buf = data;
        *len = vlen;
        return 1;
    }
    epoch = ls_cache_epoch(r->ls);
    if (bf_read_file(layerstore_dirfd(r->ls), rel, cap, &data, &vlen, &stamp, &local) < 0) {
        bf_error_clear(&local);
        return 0;
    }
    if (ls_record(r->ls, &mi, rel, &stamp, r->err) < 0 ||
        ls_record(r->ls, r->in, rel, &stamp, r->err) < 0) {
        free(data);
        ls_inputs_free(&mi);
        return -ENOMEM;
    }
    if (vlen <= MEMO_FILE_MAX)
        ls_cache_memo_put(r->ls, key, klen, data, vlen, &mi, epoch);
    ls_inputs_free(&mi);
    *buf = data;
    *len = vlen;
    return 1;
}

static int go_errno(struct rfs *r, int code, const char *op, const char *vpath, const char *what)
{
    return bf_error_set(r->err, code, "%s %s%s: %s", op, r->root, vpath, what);
}

/* Is `pre` ("/" or "/a/b") the path of a directory that holds `path`, or `path` itself? */
static bool path_has_prefix(const char *path, size_t plen, const char *pre, size_t prelen)
{
    if (prelen == 1)
        return true;
    return plen >= prelen && memcmp(path, pre, prelen) == 0 &&
           (plen == prelen || path[prelen] == '/');
}

/* What Lstat(root + vpath) sees. vpath is clean and absolute, never "/". The stack keeps the
 * nodes of the previous answer's prefixes: each round of the walk changes the path by one
 * component, so at most one lookup is new. */
static int rfs_lstat(struct rfs *r, const char *vpath, const struct rfs_node **out)
{
    size_t vlen = strlen(vpath), keep = r->depth;
    int rc;

    if (strlen(r->root) + vlen >= RFS_PATH_MAX)
        return go_errno(r, ENAMETOOLONG, "lstat", vpath, "file name too long");
    while (keep > 1 &&
           !path_has_prefix(vpath, vlen, r->stack[keep - 1].vpath, r->stack[keep - 1].vlen))
        keep--;
    while (r->depth > keep)
        node_free(&r->stack[--r->depth]);

    while (r->stack[r->depth - 1].vlen != vlen) {
        const struct rfs_node *parent = &r->stack[r->depth - 1];
        size_t start = parent->vlen == 1 ? 1 : parent->vlen + 1;
        const char *end = memchr(vpath + start, '/', vlen - start);
        size_t clen = (end ? (size_t)(end - vpath) : vlen) - start;
        struct rfs_node child = {0};

        if (parent->kind == RK_ABSENT) {
            /* ENOENT on the way: the rest is absent too (no layer is asked). */
        } else if (parent->kind != RK_DIR) {
            /* Only files and missing names ever become a prefix: links are expanded. */
            return go_errno(r, ENOTDIR, "lstat", vpath, "not a directory");
        } else if (clen > RFS_NAME_MAX) {
            return go_errno(r, ENAMETOOLONG, "lstat", vpath, "file name too long");
        }
        if (r->depth == r->cap) {
            size_t ncap = r->cap * 2;
            struct rfs_node *ns = realloc(r->stack, ncap * sizeof(*ns));
            if (!ns)
                return bf_error_set(r->err, ENOMEM, "%s: out of memory", vpath);
            r->stack = ns;
            r->cap = ncap;
            parent = &r->stack[r->depth - 1];
        }
        child.vlen = start + clen;
        child.vpath = strndup(vpath, child.vlen);
        if (!child.vpath)
            return bf_error_set(r->err, ENOMEM, "%s: out of memory", vpath);
        child.kind = RK_ABSENT;
        if (parent->kind == RK_DIR && (rc = lookup(r, parent, &child)) < 0) {
            node_free(&child);
            return rc;
        }
        r->stack[r->depth++] = child;
    }
    *out = &r->stack[r->depth - 1];
    return 0;
}

/* cur is clean and absolute; p one component ("", "/" excluded). Go: Clean("/" + b + p). */
static char *clean_step(const char *cur, const char *p, size_t plen)
{
    size_t clen = strlen(cur);

    if (plen == 1 && p[0] == '.')
        return strdup(cur);
    if (plen == 2 && p[0] == '.' && p[1] == '.') {
        const char *slash = strrchr(cur, '/');
        size_t n = slash == cur ? 1 : (size_t)(slash - cur);
        return strndup(cur, n);
    }
    char *out = malloc(clen + 1 + plen + 1);
    if (!out)
        return NULL;
    if (clen == 1) {
        out[0] = '/';
        memcpy(out + 1, p, plen);
        out[1 + plen] = '\0';
    } else {
        memcpy(out, cur, clen);
        out[clen] = '/';
        memcpy(out + clen + 1, p, plen);
        out[clen + 1 + plen] = '\0';
    }
    return out;
}

/* Go's filepath.Join("/", path): the clean absolute form. */
static char *clean_abs(const char *path)
{
    size_t n = strlen(path);
    char *out = malloc(n + 2), *o = out;
    const char *p = path;

    if (!out)
        return NULL;
    *o++ = '/';
    while (*p) {
        const char *e = strchrnul(p, '/');
        size_t len = (size_t)(e - p);
        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (o > out + 1 && o[-1] != '/')
                o--;
            if (o > out + 1)
                o--;
        } else {
            if (o > out + 1)
                *o++ = '/';
            memcpy(o, p, len);
            o += len;
        }
        p = *e ? e + 1 : e;
    }
    *o = '\0';
    return out;
}

static void segs_free(struct rfs_seg *segs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(segs[i].s);
    free(segs);
}

/* evalSymlinksInScope(root + path, root): *final is the clean path inside the root. */
static int rfs_eval(struct rfs *r, const char *path, char **final)
{
    _cleanup_free_ char *cur = strdup("/");
    struct rfs_seg *segs = NULL;
    size_t n_segs = 0, cap_segs = 8; /* one per link met, grown as they come */
    int rc = 0;

    if (!cur)
        return bf_error_set(r->err, ENOMEM, "%s: out of memory", path);
    segs = calloc(cap_segs, sizeof(*segs));
    if (!segs || !(segs[0].s = strdup(path))) {
        free(segs);
        return bf_error_set(r->err, ENOMEM, "%s: out of memory", path);
    }
    segs[0].len = strlen(path);
    n_segs = 1;

    for (size_t n = 0; n_segs > 0; n++) {
        struct rfs_seg *top = &segs[n_segs - 1];
        const char *p = top->s + top->pos;
        const char *slash = memchr(p, '/', top->len - top->pos);
        size_t plen = slash ? (size_t)(slash - p) : top->len - top->pos;
        const struct rfs_node *node;
        _cleanup_free_ char *clean = NULL;

        if (n > RFS_MAX_ITER) {
            rc = bf_error_set(r->err, ELOOP, "evalSymlinksInScope: too many links in %s%s", r->root,
                              path);
            break;
        }
        top->pos += plen + (slash ? 1 : 0);
        _cleanup_free_ char *comp = strndup(p, plen);
        if (!comp) {
            rc = bf_error_set(r->err, ENOMEM, "%s: out of memory", path);
            break;
        }
        while (n_segs > 0 && segs[n_segs - 1].pos >= segs[n_segs - 1].len)
            free(segs[--n_segs].s);
        if (plen == 0)
            continue;
        clean = clean_step(cur, comp, plen);
        if (!clean) {
            rc = bf_error_set(r->err, ENOMEM, "%s: out of memory", path);
            break;
        }
        if (strcmp(clean, "/") == 0) {
            free(cur);
            cur = steal_pointer(&clean);
            continue;
        }
        if ((rc = rfs_lstat(r, clean, &node)) < 0)
            break;
        if (node->kind != RK_LNK) {
            free(cur);
            cur = steal_pointer(&clean);
            continue;
        }
        /* A link: its target and "/" go in front of what is left. */
        size_t tlen = strlen(node->link);
        char *s = malloc(tlen + 2);
        if (!s) {
            rc = bf_error_set(r->err, ENOMEM, "%s: out of memory", path);
            break;
        }
        memcpy(s, node->link, tlen);
        s[tlen] = '/';
        s[tlen + 1] = '\0';
        if (node->link[0] == '/') {
            free(cur);
            if (!(cur = strdup("/"))) {
                free(s);
                rc = bf_error_set(r->err, ENOMEM, "%s: out of memory", path);
                break;
            }
        }
        /* n_segs <= links met + 1 <= n + 1, and n <= RFS_MAX_ITER here. */
        if (n_segs == cap_segs) {
            struct rfs_seg *ns = realloc(segs, 2 * cap_segs * sizeof(*segs));
            if (!ns) {
                free(s);
                rc = bf_error_set(r->err, ENOMEM, "%s: out of memory", path);
                break;
            }
            segs = ns;
            cap_segs *= 2;
        }
        segs[n_segs++] = (struct rfs_seg){.s = s, .pos = 0, .len = tlen + 1};
    }
    segs_free(segs, n_segs);
    if (rc < 0)
        return rc;
    *final = steal_pointer(&cur);
    return 0;
}

/* The image layers' folders, in order, as the memo's key names them. */
static int stack_hash(struct rfs *r)
{
    size_t n = 0, at = 0;
    char *all;

    for (size_t i = r->n_own; i < r->n_layers; i++)
        n += strlen(r->layer_rel[i]) + 1;
    if (!(all = malloc(n)))
        return bf_error_set(r->err, ENOMEM, "out of memory");
    for (size_t i = r->n_own; i < r->n_layers; i++) {
        size_t l = strlen(r->layer_rel[i]);
        memcpy(all + at, r->layer_rel[i], l);
        all[at + l] = '\n'; /* layer folders are checked names: no newline in them */
        at += l + 1;
    }
    ls_sha256(all, n, r->stack_id);
    free(all);
    r->memo = true;
    return 0;
}

static int rfs_setup(struct rfs *r, struct layerstore *ls, const struct ls_container *c,
                     const struct ls_walk *w)
{
    enum ls_driver d = layerstore_driver(ls);
    int rc;

    if (d != LS_DRIVER_OVERLAY2 && d != LS_DRIVER_VFS)
        return bf_error_set(r->err, EINVAL,
                            "container %s: reading its root filesystem needs overlay2 or vfs, "
                            "not %s",
                            c->id, ls_driver_name(d));
    if (!c->layer_rel || !c->mount_id)
        return bf_error_set(r->err, EINVAL, "container %s: no read-write layer", c->id);
    r->overlay = d == LS_DRIVER_OVERLAY2;
    /* Docker's mount: upper = the container's diff, lowers = its init layer, then the image's
     * layers top-most first. vfs: the container's folder is a full copy of all of them. */
    r->layer_rel[r->n_layers++] = c->layer_rel;
    if (r->overlay) {
        _cleanup_free_ char *merged = ls_strjoin("overlay2/", c->mount_id, "/merged");

        if (w && w->n > LS_MAX_LAYERS)
            return bf_error_set(r->err, EINVAL, "container %s: max depth exceeded", c->id);
        if (c->init_id) {
            r->init_rel = ls_driver_layer_rel(ls, c->init_id);
            if (!r->init_rel)
                return bf_error_set(r->err, ENOMEM, "container %s: out of memory", c->id);
            r->layer_rel[r->n_layers++] = r->init_rel;
        }
        r->n_own = r->n_layers;
        for (size_t i = 0; w && i < w->n; i++)
            r->layer_rel[r->n_layers++] = w->layers[i].rel;
        if (ls->cache && r->n_layers > r->n_own && (rc = stack_hash(r)) < 0)
            return rc;
        r->root = merged ? layerstore_path(ls, merged) : NULL;
    } else {
        r->root = layerstore_path(ls, c->layer_rel);
    }
    if (!r->root)
        return bf_error_set(r->err, ENOMEM, "container %s: out of memory", c->id);

    r->cap = 16;
    r->stack = calloc(r->cap, sizeof(*r->stack));
    if (!r->stack)
        return bf_error_set(r->err, ENOMEM, "container %s: out of memory", c->id);
    r->depth = 1;
    r->stack[0].vpath = strdup("/");
    r->stack[0].vlen = 1;
    r->stack[0].kind = RK_DIR;
    r->stack[0].layers = calloc(r->n_layers, sizeof(size_t));
    if (!r->stack[0].vpath || !r->stack[0].layers)
        return bf_error_set(r->err, ENOMEM, "container %s: out of memory", c->id);

    /* Every layer must be a directory: overlayfs would not mount, vfs would have no root. */
    for (size_t i = 0; i < r->n_layers; i++) {
        struct bf_stamp st;
        mode_t mode;

        if ((rc = ls_probe(ls, r->layer_rel[i], &st, &mode, r->in, r->err)) < 0)
            return rc;
        if (!st.exists)
            return bf_error_set(r->err, ENOENT, "%s: layer directory does not exist",
                                r->layer_rel[i]);
        if (!S_ISDIR(mode))
            return bf_error_set(r->err, ENOTDIR, "%s: layer is not a directory", r->layer_rel[i]);
        r->stack[0].layers[r->stack[0].n_layers++] = i;
    }
    return 0;
}

int layerstore_rootfs_open(struct layerstore *ls, const struct ls_container *c,
                           const struct ls_walk *w, struct ls_inputs *in, struct ls_rootfs **out,
                           struct bf_error *err)
{
    struct rfs *r = calloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    if (!r)
        return bf_error_set(err, ENOMEM, "container %s: out of memory", c->id);
    *r = (struct rfs){.ls = ls, .in = in, .err = err};
    if ((rc = rfs_setup(r, ls, c, w)) < 0) {
        rfs_free(r);
        free(r);
        return rc;
    }
    *out = (struct ls_rootfs *)r;
    return 0;
}

void layerstore_rootfs_close(struct ls_rootfs *root)
{
    if (root) {
        rfs_free((struct rfs *)root);
        free(root);
    }
}

int layerstore_rootfs_get(struct ls_rootfs *root, const char *path, size_t cap, char **buf,
                          size_t *len, bool *found, struct bf_error *err)
{
    struct rfs *r = (struct rfs *)root;
    _cleanup_free_ char *abs = NULL, *final = NULL, *rel = NULL;
    const struct rfs_node *node;
    struct bf_stamp stamp;
    int rc;

    r->err = err;
    *buf = NULL;
    if (len)
        *len = 0;
    *found = false;
    if (!path || !(abs = clean_abs(path)))
        return bf_error_set(err, path ? ENOMEM : EINVAL, "rootfs: %s",
                            path ? "out of memory" : "no path given");
    if (strcmp(abs, "/") == 0)
        return go_errno(r, EISDIR, "read", "", "is a directory");
    if ((rc = rfs_eval(r, abs, &final)) < 0)
        return rc;
    if (strcmp(final, "/") == 0)
        return go_errno(r, EISDIR, "read", "", "is a directory");
    if ((rc = rfs_lstat(r, final, &node)) < 0)
        return rc;
    /* os.Open, then the first read. */
    if (node->kind == RK_ABSENT || node->kind == RK_SOCK ||
        (node->kind == RK_CHR && node->rdev == makedev(0, 0))) {
        /* A socket's open(2) is ENXIO, as is a device 0:0's (no driver has it; overlayfs
         * hides those, vfs shows them): os.Open fails, GetExecUserPath sees no file. */
        return 0;
    }
    if (node->kind == RK_DIR)
        return go_errno(r, EISDIR, "read", final, "is a directory");
    rel = layer_path(r, node->top, final);
    if (node->kind != RK_REG) {
        /* A FIFO would block dockerd's open; a device would read the host's. */
        return bf_error_set(err, EINVAL, "%s: %s of the container is a %s, not a regular file",
                            rel ? rel : final, final, kind_name(node->kind));
    }
    if (!rel)
        return bf_error_set(err, ENOMEM, "%s: out of memory", final);
    if (r->memo && node->top >= r->n_own) {
        size_t n = 0;
        if ((rc = memo_file(r, node, rel, cap, buf, &n)) < 0)
            return rc;
        if (rc == 1) {
            if (len)
                *len = n;
            *found = true;
            return 0;
        }
    }
    rc = bf_read_file(layerstore_dirfd(r->ls), rel, cap, buf, len, &stamp, err);
    if (rc < 0) {
        struct bf_error ignored = BF_ERROR_INIT;
        ls_record(r->ls, r->in, rel, NULL, &ignored);
        bf_error_clear(&ignored);
        return rc;
    }
    if ((rc = ls_record(r->ls, r->in, rel, &stamp, err)) < 0) {
        free(*buf);
        *buf = NULL;
        return rc;
    }
    *found = true;
    return 0;
}

int layerstore_rootfs_read(struct layerstore *ls, const struct ls_container *c,
                           const struct ls_walk *w, const char *path, size_t cap, char **buf,
                           size_t *len, bool *found, struct ls_inputs *in, struct bf_error *err)
{
    struct ls_rootfs *root = NULL;
    int rc;

    *buf = NULL;
    if (len)
        *len = 0;
    *found = false;
    if (!path)
        return bf_error_set(err, EINVAL, "rootfs: no path given");
    if ((rc = layerstore_rootfs_open(ls, c, w, in, &root, err)) < 0)
        return rc;
    rc = layerstore_rootfs_get(root, path, cap, buf, len, found, err);
    layerstore_rootfs_close(root);
    return rc;
}

/* ---- overlay2's short links ---- */

int layerstore_overlay_link(struct layerstore *ls, const char *name, char *buf, size_t size,
                            int *link_errno, struct ls_inputs *in, struct bf_error *err)
{
    /* 32 zero bytes, which no stack's SHA-256 is, keep these keys apart from the rfs ones */
    unsigned char key[32 + 1 + 32];
    char rel[sizeof("overlay2/l/") + 32];
    size_t nlen = strlen(name), klen = 32 + 1 + nlen, vlen = 0;
    struct ls_inputs li = {0};
    void *val = NULL;
    uint64_t epoch = 0;
    struct bf_stamp stamp;
    struct stat st;
    ssize_t n;
    int rc;

    *link_errno = 0;
    if (nlen == 0 || nlen > 32 || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != nlen ||
        size == 0)
        return bf_error_set(err, EINVAL, "overlay2/l/%.40s: not a short link name", name);
    memset(key, 0, 32);
    key[32] = 'K';
    memcpy(key + 33, name, nlen);
    if (ls->cache) {
        rc = ls_cache_memo_get(ls, key, klen, size - 1, &val, &vlen, in);
        if (rc < 0)
            return bf_error_set(err, ENOMEM, "out of memory");
        if (rc == 1) {
            memcpy(buf, val, vlen);
            buf[vlen] = '\0';
            free(val);
            return 0;
        }
        epoch = ls_cache_epoch(ls);
    }
    snprintf(rel, sizeof(rel), "overlay2/l/%s", name);
    /* one component below a folder opened beneath: no link on the way is followed */
    _cleanup_close_ int ldir =
        bf_open_beneath(layerstore_dirfd(ls), "overlay2/l", O_DIRECTORY | O_PATH, err);
    if (ldir < 0)
        return ldir;
    /* the link itself, stamped and read through one descriptor: the target kept is the one
     * of the inode stamped, so a link replaced meanwhile is a change at the next check */
    _cleanup_close_ int lfd = openat(ldir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (lfd < 0 || fstat(lfd, &st) < 0) {
        *link_errno = errno;
        buf[0] = '\0';
        return 0;
    }
    n = S_ISLNK(st.st_mode) ? readlinkat(lfd, "", buf, size) : (errno = EINVAL, -1);
    if (n < 0 || (size_t)n >= size) {
        *link_errno = n < 0 ? errno : ENAMETOOLONG;
        buf[0] = '\0';
        return 0;
    }
    buf[n] = '\0';
    bf_stamp_from_stat(&stamp, &st, false); /* as bf_stamp_changed looks at it again */
    if (ls_record(ls, &li, rel, &stamp, err) < 0 || ls_inputs_append(in, &li) < 0) {
        ls_inputs_free(&li);
        return bf_error_set(err, ENOMEM, "out of memory");
    }
    if (ls->cache)
        ls_cache_memo_put(ls, key, klen, buf, (size_t)n, &li, epoch);
    ls_inputs_free(&li);
    return 0;
}
