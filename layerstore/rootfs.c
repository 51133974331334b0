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
    bool overlay;
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

/* Opaque as overlayfs tests it (ovl_check_dir_xattr): the value is exactly "y". */
static int is_opaque(struct rfs *r, int pathfd, const char *rel, bool *opaque)
{
    _cleanup_close_ int dfd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char v[2];
    ssize_t n;

    *opaque = false;
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

/* Look `child` (parent->vpath + one component) up in every layer of `parent`, overlayfs' way
 * (ovl_lookup_single): the first layer holding it decides, whiteouts and opaque directories
 * and non-directories below a directory stop the search. */
static int lookup(struct rfs *r, const struct rfs_node *parent, struct rfs_node *child)
{
    bool found = false;

    for (size_t k = 0; k < parent->n_layers; k++) {
        size_t layer = parent->layers[k];
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
            if ((rc = ls_record(r->ls, r->in, rel, &stamp, r->err)) < 0)
                return rc;
            continue;
        }
        if (fstat(fd, &st) < 0)
            return bf_error_set(r->err, errno, "%s: cannot stat: %s", rel, strerror(errno));
        bf_stamp_from_stat(&stamp, &st, true);
        if ((rc = ls_record(r->ls, r->in, rel, &stamp, r->err)) < 0)
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
    size_t n_segs = 0;
    int rc = 0;

    if (!cur)
        return bf_error_set(r->err, ENOMEM, "%s: out of memory", path);
    segs = calloc(RFS_MAX_ITER + 2, sizeof(*segs));
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
        segs[n_segs++] = (struct rfs_seg){.s = s, .pos = 0, .len = tlen + 1};
    }
    segs_free(segs, n_segs);
    if (rc < 0)
        return rc;
    *final = steal_pointer(&cur);
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
        for (size_t i = 0; w && i < w->n; i++)
            r->layer_rel[r->n_layers++] = w->layers[i].rel;
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
