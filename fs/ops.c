/* ops.c - FUSE low-level operations: requests in, tree calls, replies out.
 *
 * This is the one place where a tree error becomes the caller's errno. Every operation that
 * would change anything answers EROFS (the mount is read-only too, so the kernel usually
 * answers first; these cover a remount and keep the contract in one place).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "ops.h"
#include "push.h"

static struct bfs_fs *fs_of(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

static void to_stat(const struct bfs_attr *a, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_ino = a->ino;
    switch (a->type) {
    case BFS_DIR:
        st->st_mode = S_IFDIR | a->perm;
        st->st_nlink = 2;
        break;
    case BFS_REG:
        st->st_mode = S_IFREG | a->perm;
        st->st_nlink = 1;
        break;
    case BFS_LNK:
        st->st_mode = S_IFLNK | a->perm;
        st->st_nlink = 1;
        break;
    }
    st->st_uid = a->uid;
    st->st_gid = a->gid;
    st->st_size = (off_t)a->size;
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
    st->st_mtim.tv_sec = a->mtime_ns / 1000000000;
    st->st_mtim.tv_nsec = a->mtime_ns % 1000000000;
    st->st_ctim = st->st_mtim;
    st->st_atim = st->st_mtim;
}

static mode_t type_mode(enum bfs_type type)
{
    return type == BFS_DIR ? S_IFDIR : type == BFS_LNK ? S_IFLNK : S_IFREG;
}

/* How long the kernel may keep these attributes: long when the watcher invalidates them. */
static double attr_timeout(const struct bfs_fs *fs, const struct bfs_attr *a)
{
    return a->keep_attr ? fs->watch_timeout : fs->timeout;
}

static void entry_of(const struct bfs_fs *fs, const struct bfs_attr *a, struct fuse_entry_param *e)
{
    memset(e, 0, sizeof(*e));
    e->ino = a->ino;
    e->generation = 1; /* inode numbers are never reused while mounted */
    e->attr_timeout = attr_timeout(fs, a);
    e->entry_timeout = a->keep_entry ? fs->watch_timeout : fs->timeout;
    to_stat(a, &e->attr);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct bfs_fs *fs = fs_of(req);
    struct fuse_entry_param e;
    struct bfs_attr a;
    int r = bfs_lookup(fs->tree, parent, name, &a);

    if (r < 0) {
        fuse_reply_err(req, -r);
        return;
    }
    entry_of(fs, &a, &e);
    if (fuse_reply_entry(req, &e) != 0 && a.ino != BFS_BYNAME_INO)
        bfs_forget(fs->tree, a.ino, 1); /* the kernel never got it (interrupted) */
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    bfs_forget(fs_of(req)->tree, ino, nlookup);
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    for (size_t i = 0; i < count; i++)
        bfs_forget(fs_of(req)->tree, forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct bfs_fs *fs = fs_of(req);
    struct bfs_attr a;
    struct stat st;
    int r = bfs_getattr(fs->tree, ino, &a);

    (void)fi;
    if (r < 0) {
        fuse_reply_err(req, -r);
        return;
    }
    to_stat(&a, &st);
    fuse_reply_attr(req, &st, attr_timeout(fs, &a));
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
    char *target = NULL;
    int r = bfs_readlink(fs_of(req)->tree, ino, &target);

    if (r < 0)
        fuse_reply_err(req, -r);
    else
        fuse_reply_readlink(req, target);
    free(target);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct bfs_dirlist *l = NULL;
    bool unchanged = false;
    int r;

    if (fs_of(req)->no_opendir) {
        /* "List it yourself": the kernel opens directories without asking and keeps what
         * op_readdir gave it until the watcher drops it (bfs_tree_changed, bfs_tree_sweep). */
        fuse_reply_err(req, ENOSYS);
        return;
    }
    r = bfs_opendir(fs_of(req)->tree, ino, &l, &unchanged);
    if (r < 0) {
        fuse_reply_err(req, -r);
        return;
    }
    fi->fh = (uintptr_t)l; /* one listing per open: a reader never sees half of two */
    /* The kernel keeps the listing in its cache and reads it from there while the directory
     * lists the same as last time; a different listing drops the cache at this open. */
    fi->cache_readdir = 1;
    fi->keep_cache = unchanged;
    if (fuse_reply_open(req, fi) != 0)
        bfs_dirlist_free(l);
}

/* The first entry of an open's snapshot after offset `after` (offsets grow along it). */
static size_t dirlist_after(const struct bfs_dirlist *l, uint64_t after)
{
    size_t i = 0, hi = l->n;

    while (i < hi) {
        size_t mid = i + (hi - i) / 2;
        if (l->v[mid].off <= after)
            i = mid + 1;
        else
            hi = mid;
    }
    return i;
}

/* Entries of l from *i on into buf (size bytes) while they fit, *i left at the first that did
 * not; the bytes used. With plus, an entry that came with attributes is sent as a lookup. */
static size_t fill_dirents(fuse_req_t req, const struct bfs_fs *fs, const struct bfs_dirlist *l,
                           size_t *i, char *buf, size_t size, bool plus)
{
    size_t used = 0;

    for (; *i < l->n; ++*i) {
        const struct bfs_dirent *d = &l->v[*i];
        size_t need;
        if (plus) {
            struct fuse_entry_param e;
            if (d->looked_up) {
                entry_of(fs, &d->attr, &e);
            } else {
                /* no attributes: a plain entry, not a lookup */
                memset(&e, 0, sizeof(e));
                e.attr.st_ino = d->ino;
                e.attr.st_mode = type_mode(d->type);
            }
            need = fuse_add_direntry_plus(req, buf + used, size - used, d->name, &e, (off_t)d->off);
        } else {
            struct stat st = {0};
            st.st_ino = d->ino;
            st.st_mode = type_mode(d->type);
            need = fuse_add_direntry(req, buf + used, size - used, d->name, &st, (off_t)d->off);
        }
        if (need > size - used)
            break;
        used += need;
    }
    return used;
}

/* READDIR and READDIRPLUS: the entries after `off`, from this open's snapshot, or (folders
 * the kernel opened itself) from the tree. With plus, entries that come with attributes are
 * lookups the kernel counts; those that do not fit are forgotten here. */
static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                           struct fuse_file_info *fi, bool plus)
{
    struct bfs_fs *fs = fs_of(req);
    struct bfs_dirlist *l = (struct bfs_dirlist *)(uintptr_t)fi->fh, *own = NULL;
    uint64_t after = off < 0 ? 0 : (uint64_t)off;
    size_t used, i = 0;
    char *buf;
    int r;

    if (size > 128 * 1024)
        size = 128 * 1024;
    if (l) {
        i = dirlist_after(l, after);
    } else {
        /* opened by the kernel: the entries after `off`, as many as can fit (an entry takes
         * at least 32 bytes, 160 with attributes) */
        r = bfs_readdir(fs->tree, ino, after, size / (plus ? 160 : 32) + 1, plus, &own);
        if (r < 0) {
            fuse_reply_err(req, -r);
            return;
        }
        l = own;
    }
    buf = malloc(size);
    if (!buf) {
        r = ENOMEM;
        goto fail;
    }
    used = fill_dirents(req, fs, l, &i, buf, size, plus);
    if (fuse_reply_buf(req, buf, used) != 0)
        i = 0; /* the reply did not reach the kernel: none of it was a lookup */
    free(buf);
    for (; own && i < l->n; i++) /* what was not sent */
        if (l->v[i].looked_up)
            bfs_forget(fs->tree, l->v[i].attr.ino, 1);
    bfs_dirlist_free(own);
    return;
fail:
    for (i = 0; own && i < own->n; i++)
        if (own->v[i].looked_up)
            bfs_forget(fs->tree, own->v[i].attr.ino, 1);
    bfs_dirlist_free(own);
    fuse_reply_err(req, r);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    readdir_common(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                           struct fuse_file_info *fi)
{
    readdir_common(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    bfs_dirlist_free((struct bfs_dirlist *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct bfs_fs *fs = fs_of(req);
    struct bfs_handle *h = NULL;
    bool direct = false;
    int r;

    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & (O_TRUNC | O_CREAT))) {
        fuse_reply_err(req, EROFS);
        return;
    }
    if (fs->no_open) {
        /* "Open it yourself": from now on the kernel opens files without asking, keeps their
         * pages (an inode is one version) and sends reads without a handle (op_read). The
         * mount is read-only, so the check above is the kernel's to make from then on. */
        fuse_reply_err(req, ENOSYS);
        return;
    }
    r = bfs_open(fs->tree, ino, &h, &direct);
    if (r < 0) {
        fuse_reply_err(req, -r);
        return;
    }
    fi->fh = (uintptr_t)h;
    /* An inode stands for one version of the bytes, so what the page cache holds stays
     * right for as long as the kernel keeps the inode. */
    fi->keep_cache = !direct;
    fi->direct_io = direct;
    if (fuse_reply_open(req, fi) != 0)
        bfs_release(fs->tree, h);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    struct bfs_fs *fs = fs_of(req);
    struct bfs_tree *t = fs->tree;
    struct bfs_handle *h = (struct bfs_handle *)(uintptr_t)fi->fh;
    struct bfs_pin *pin = NULL;
    const char *data;
    size_t len;
    int r;

    bfs_push_read(fs->push, ino);
    /* Opened by the kernel (zero-message open): the inode names the version. */
    r = h ? bfs_read_pin(t, h, &data, &len, &pin) : bfs_read_ino(t, ino, &data, &len, &pin);
    if (r < 0) {
        fuse_reply_err(req, -r);
        return;
    }
    if (off < 0 || (size_t)off >= len) {
        fuse_reply_buf(req, NULL, 0);
        bfs_read_unpin(t, pin);
        return;
    }
    /* the whole file in one reply, into the page cache (no handle: the kernel keeps pages;
     * not for O_DIRECT, whose reads keep none) */
    bool whole = !h && !(fi && (fi->flags & O_DIRECT)) && off == 0 && size >= len;
    r = fuse_reply_buf(req, data + off, size < len - (size_t)off ? size : len - (size_t)off);
    if (whole && r == 0)
        bfs_read_unpin_whole(t, pin, ino);
    else
        bfs_read_unpin(t, pin);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    bfs_release(fs_of(req)->tree, (struct bfs_handle *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

/* isatty()'s TCGETS on every buffered open, and any other ioctl: none applies to these files.
 * The kernel asks again on every call whatever the answer (it turns ENOSYS into ENOTTY and
 * remembers neither): the true answer, at once, with nothing looked at. */
static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
                     struct fuse_file_info *fi, unsigned flags, const void *in_buf, size_t in_bufsz,
                     size_t out_bufsz)
{
    (void)ino, (void)cmd, (void)arg, (void)fi, (void)flags, (void)in_buf, (void)in_bufsz;
    (void)out_bufsz;
    fuse_reply_err(req, ENOTTY);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    struct statvfs sv = {0};

    (void)ino;
    sv.f_bsize = 4096;
    sv.f_frsize = 4096;
    sv.f_namemax = 255;
    sv.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
    fuse_reply_statfs(req, &sv);
}

/* ---- everything that would change something ---- */

static void erofs(fuse_req_t req)
{
    fuse_reply_err(req, EROFS);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
    (void)ino, (void)attr, (void)to_set, (void)fi;
    erofs(req);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
    (void)parent, (void)name, (void)mode, (void)rdev;
    erofs(req);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    (void)parent, (void)name, (void)mode;
    erofs(req);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    (void)parent, (void)name;
    erofs(req);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
    (void)link, (void)parent, (void)name;
    erofs(req);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                      const char *newname, unsigned int flags)
{
    (void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
    erofs(req);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
    (void)ino, (void)newparent, (void)newname;
    erofs(req);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi)
{
    (void)parent, (void)name, (void)mode, (void)fi;
    erofs(req);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    (void)ino, (void)buf, (void)size, (void)off, (void)fi;
    erofs(req);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                        size_t size, int flags)
{
    (void)ino, (void)name, (void)value, (void)size, (void)flags;
    erofs(req);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    (void)ino, (void)name;
    erofs(req);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                         struct fuse_file_info *fi)
{
    (void)ino, (void)mode, (void)offset, (void)length, (void)fi;
    erofs(req);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
    struct bfs_fs *fs = userdata;

    /* Pages are cached per inode and an inode is one version: no need for the kernel to drop
     * them on every mtime change. */
    conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
    /* READDIRPLUS for every part of a listing, not only the first: the root's entries come
     * with the attributes of each container's folder, a container's files with theirs. A walk
     * that enters the folders (find, ls -l, cat * / *) then sends no LOOKUP each; a bare `ls`
     * of the root pays a stat and a watch per container instead (README, "What the kernel
     * caches", has the figures). */
    conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
    /* Link targets never change for an inode either: the kernel may keep them. */
    if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
        conn->want |= FUSE_CAP_CACHE_SYMLINKS;
    /* Zero-message opens when the kernel has them and the user did not turn them off. */
    fs->no_open = fs->no_open && (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT);
    fs->no_opendir = fs->no_opendir && (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT);
}

const struct fuse_lowlevel_ops bfs_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .readlink = op_readlink,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .open = op_open,
    .read = op_read,
    .release = op_release,
    .statfs = op_statfs,
    .ioctl = op_ioctl,
    .setattr = op_setattr,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_unlink,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .create = op_create,
    .write = op_write,
    .setxattr = op_setxattr,
    .removexattr = op_removexattr,
    .fallocate = op_fallocate,
};
