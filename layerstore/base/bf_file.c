#include "bf_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bf_util.h"

/* 0 = unknown, 1 = openat2 works, -1 = kernel lacks it (fall back to the O_NOFOLLOW walk). */
static int have_openat2;

static const char *describe_errno(int e)
{
    switch (e) {
    case ENOENT:
        return "no such file or directory";
    case ELOOP:
        return "is a symbolic link or passes through one (links are never followed)";
    case EXDEV:
        return "path leaves the data-root";
    case ENOTDIR:
        return "a path component is not a directory";
    case EACCES:
    case EPERM:
        return "permission denied";
    default:
        return strerror(e);
    }
}

static bool rel_is_sane(const char *rel)
{
    const char *p = rel;

    if (!rel || !*rel || *rel == '/')
        return false;
    /* Reject ".." components outright: no caller has a reason to climb. */
    while (*p) {
        const char *end = strchrnul(p, '/');
        if (end - p == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p = *end ? end + 1 : end;
    }
    return true;
}

static int refuse_rel(const char *rel, struct bf_error *err)
{
    return bf_error_set(err, EINVAL, "%s: refusing a path that is absolute, empty or climbs with ..",
                        rel ? rel : "(null)");
}

static int open_walk(int dirfd, const char *rel, int flags)
{
    _cleanup_free_ char *copy = strdup(rel);
    _cleanup_close_ int cur = -1;
    char *save = NULL, *comp, *next;
    int base = dirfd;

    if (!copy)
        return -ENOMEM;
    comp = strtok_r(copy, "/", &save);
    while (comp) {
        next = strtok_r(NULL, "/", &save);
        int f = next ? (O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY)
                     : (O_RDONLY | O_CLOEXEC | O_NOFOLLOW | flags);
        int fd = openat(base, comp, f);
        if (fd < 0)
            return -errno;
        bf_closep(&cur);
        cur = fd;
        base = cur;
        comp = next;
    }
    return steal_fd(&cur);
}

static int open_raw(int dirfd, const char *rel, int flags)
{
    if (have_openat2 >= 0) {
        struct open_how how = {
            .flags = (uint64_t)(O_RDONLY | O_CLOEXEC | O_NOFOLLOW | flags),
            .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
        if (fd >= 0) {
            have_openat2 = 1;
            return (int)fd;
        }
        if (errno != ENOSYS && errno != EPERM)
            return -errno;
        if (errno == EPERM && have_openat2 == 1)
            return -EPERM;
        /* ENOSYS, or a seccomp filter that refuses openat2 with EPERM: walk by hand. */
        have_openat2 = -1;
    }
    return open_walk(dirfd, rel, flags);
}

int bf_open_beneath(int dirfd, const char *rel, int flags, struct bf_error *err)
{
    int fd;

    if (!rel_is_sane(rel))
        return refuse_rel(rel, err);
    fd = open_raw(dirfd, rel, flags);
    if (fd == -ENOTDIR && !(flags & O_PATH)) {
        /* O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR; say what it really is. */
        int probe = open_raw(dirfd, rel, O_PATH);
        if (probe >= 0) {
            struct stat st;
            if (fstat(probe, &st) == 0 && S_ISLNK(st.st_mode))
                fd = -ELOOP;
            close(probe);
        }
    }
    if (fd >= 0 && (flags & O_PATH)) {
        /* O_PATH|O_NOFOLLOW hands back the link itself instead of failing; refuse it here. */
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
            close(fd);
            fd = -ELOOP;
        }
    }
    if (fd < 0)
        return bf_error_set(err, -fd, "%s: %s", rel, describe_errno(-fd));
    return fd;
}

int bf_open_entry_beneath(int dirfd, const char *rel, struct bf_error *err)
{
    int fd;

    if (!rel_is_sane(rel))
        return refuse_rel(rel, err);
    fd = open_raw(dirfd, rel, O_PATH);
    if (fd < 0)
        return bf_error_set(err, -fd, "%s: %s", rel, describe_errno(-fd));
    return fd;
}

void bf_stamp_from_stat(struct bf_stamp *stamp, const struct stat *st, bool beneath)
{
    *stamp = (struct bf_stamp){
        .dev = st->st_dev,
        .ino = st->st_ino,
        .size = st->st_size,
        .mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
        .ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec,
        .mode = st->st_mode,
        .exists = true,
        .beneath = beneath,
    };
}

/* Open `rel` for reading only once it is known to be a regular file. Opening is not harmless
 * for everything a data-root can hold: a device node's open runs its driver (a tape rewinds,
 * a watchdog arms) and a FIFO's open wakes a writer blocked on it. So the type is checked
 * with fstatat first, and anything else is refused without an open (its exact error comes
 * from an O_PATH open, which opens nothing). The check resolves intermediate links the
 * ordinary way and the open none at all, so a link anywhere still fails the open. What is
 * left is a race: a device swapped in between the check and the open by a live writer would
 * be opened once (O_NONBLOCK keeps even that from blocking) and then refused. Reopening an
 * O_PATH descriptor through /proc/self/fd would close that window but made the layer walk
 * about 55% slower (bench-walk), so it is not done. */
static int open_regular(int dirfd, const char *rel, struct stat *st, struct bf_error *err)
{
    struct stat pre;
    int fd;

    if (rel_is_sane(rel) && fstatat(dirfd, rel, &pre, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISREG(pre.st_mode)) {
        _cleanup_close_ int pfd = bf_open_beneath(dirfd, rel, O_PATH, err);
        if (pfd < 0)
            return pfd;
        return bf_error_set(err, EINVAL, "%s: not a regular file", rel);
    }
    fd = bf_open_beneath(dirfd, rel, O_NONBLOCK | O_NOCTTY, err);
    if (fd < 0)
        return fd;
    if (fstat(fd, st) < 0) {
        int e = errno;
        close(fd);
        return bf_error_set(err, e, "%s: cannot stat: %s", rel, strerror(e));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return bf_error_set(err, EINVAL, "%s: not a regular file", rel);
    }
    return fd;
}

int bf_read_file(int dirfd, const char *rel, size_t cap, char **buf, size_t *len,
                 struct bf_stamp *stamp, struct bf_error *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *data = NULL;
    struct stat st;
    size_t used = 0, alloc;

    fd = open_regular(dirfd, rel, &st, err);
    if (fd < 0)
        return fd;
    if ((uint64_t)st.st_size > cap)
        return bf_error_set(err, EFBIG, "%s: file too large (%lld bytes, limit %zu)", rel,
                            (long long)st.st_size, cap);
    alloc = (size_t)st.st_size + 1;
    data = malloc(alloc + 1);
    if (!data)
        return bf_error_set(err, ENOMEM, "%s: out of memory reading %zu bytes", rel, alloc);
    /* Read until EOF; the file may grow while we read it, so the cap is enforced again. */
    for (;;) {
        if (used == alloc) {
            if (alloc > cap)
                return bf_error_set(err, EFBIG, "%s: file too large (grew past limit %zu)", rel,
                                    cap);
            size_t nalloc = alloc * 2 > cap + 1 ? cap + 1 : alloc * 2;
            char *n = realloc(data, nalloc + 1);
            if (!n)
                return bf_error_set(err, ENOMEM, "%s: out of memory", rel);
            data = n;
            alloc = nalloc;
        }
        ssize_t r = read(fd, data + used, alloc - used);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return bf_error_set(err, errno, "%s: read error: %s", rel, strerror(errno));
        }
        if (r == 0)
            break;
        used += (size_t)r;
        /* Short of the byte past the size fstat gave: that is the end, no read to see it
         * (a file that grows later has another stamp). A short read before that size is
         * not (some network filesystems return those): read on. */
        if (used < alloc && used >= (size_t)st.st_size)
            break;
    }
    if (used > cap)
        return bf_error_set(err, EFBIG, "%s: file too large (grew past limit %zu)", rel, cap);
    data[used] = '\0';
    if (stamp)
        bf_stamp_from_stat(stamp, &st, true);
    *buf = steal_pointer(&data);
    if (len)
        *len = used;
    return 0;
}

int bf_read_line(int dirfd, const char *rel, char **out, struct bf_stamp *stamp,
                 struct bf_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, start = 0;
    int r;

    r = bf_read_file(dirfd, rel, BF_CAP_SMALL, &buf, &len, stamp, err);
    if (r < 0)
        return r;
    if (memchr(buf, '\0', len))
        return bf_error_set(err, EINVAL, "%s: file contains a NUL byte", rel);
    while (start < len && isspace((unsigned char)buf[start]))
        start++;
    while (len > start && isspace((unsigned char)buf[len - 1]))
        len--;
    if (len == start)
        return bf_error_set(err, EINVAL, "%s: file is empty", rel);
    buf[len] = '\0';
    if (start)
        memmove(buf, buf + start, len - start + 1);
    *out = steal_pointer(&buf);
    return 0;
}

int bf_stat_beneath(int dirfd, const char *rel, struct bf_stamp *stamp, mode_t *mode,
                    struct bf_error *err)
{
    _cleanup_close_ int fd = -1;
    struct stat st;

    if (!rel_is_sane(rel))
        return refuse_rel(rel, err);
    /* bf_open_beneath(O_PATH) and a second fstat, in one: the O_PATH descriptor of a last
     * component that is a link is the link itself, refused here as there. */
    fd = open_raw(dirfd, rel, O_PATH);
    if (fd == -ENOENT) {
        if (stamp)
            *stamp = (struct bf_stamp){.exists = false};
        if (mode)
            *mode = 0;
        return 0;
    }
    if (fd >= 0 && fstat(fd, &st) < 0)
        return bf_error_set(err, errno, "%s: cannot stat: %s", rel, strerror(errno));
    if (fd >= 0 && S_ISLNK(st.st_mode))
        fd = -ELOOP;
    if (fd < 0)
        return bf_error_set(err, -fd, "%s: %s", rel, describe_errno(-fd));
    if (stamp)
        bf_stamp_from_stat(stamp, &st, true);
    if (mode)
        *mode = st.st_mode;
    return 0;
}

int bf_open_dir_beneath(int dirfd, const char *rel, struct bf_error *err)
{
    int fd;

    if (!rel_is_sane(rel))
        return refuse_rel(rel, err);
    fd = open_raw(dirfd, rel, O_PATH | O_DIRECTORY);
    if (fd < 0)
        return bf_error_set(err, -fd, "%s: %s", rel, describe_errno(-fd));
    return fd;
}

int bf_stat_in(int dirfd, const char *name, const char *rel, struct bf_stamp *stamp, mode_t *mode,
               struct bf_error *err)
{
    struct stat st;

    if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return bf_error_set(err, EINVAL, "%s: not one name of a folder", rel);
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
            return bf_error_set(err, errno, "%s: %s", rel, describe_errno(errno));
        if (stamp)
            *stamp = (struct bf_stamp){.exists = false};
        if (mode)
            *mode = 0;
        return 0;
    }
    if (S_ISLNK(st.st_mode))
        return bf_error_set(err, ELOOP, "%s: %s", rel, describe_errno(ELOOP));
    if (stamp)
        bf_stamp_from_stat(stamp, &st, true);
    if (mode)
        *mode = st.st_mode;
    return 0;
}

/* One fstatat instead of an open beneath: nothing is read through this path, only compared.
 * A link planted in a middle component changes the stamp (so the caller reads the file again,
 * through bf_open_beneath, which refuses the link) unless it leads to the very same inode,
 * whose bytes are the ones already read. */
bool bf_stamp_changed(int dirfd, const char *rel, const struct bf_stamp *old)
{
    struct stat st;
    struct bf_stamp now;

    if (fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT || errno == ENOTDIR ? old->exists : true;
    if (!old->exists)
        return true;
    bf_stamp_from_stat(&now, &st, false);
    return now.dev != old->dev || now.ino != old->ino || now.size != old->size ||
           now.mtime_ns != old->mtime_ns || now.ctime_ns != old->ctime_ns;
}

/* Without a branch per byte: digests are random hex, on which a per-byte branch mispredicts
 * (and the loop vectorises). */
static bool is_lower_hex(const char *s, size_t n)
{
    unsigned ok = 1;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        ok &= ((unsigned char)(c - '0') < 10) | ((unsigned char)(c - 'a') < 6);
    }
    return ok;
}

bool bf_is_hex64(const char *s)
{
    return s && strnlen(s, 65) == 64 && is_lower_hex(s, 64);
}

bool bf_is_digest(const char *s)
{
    return s && strncmp(s, "sha256:", 7) == 0 && bf_is_hex64(s + 7);
}

bool bf_is_cache_id(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n == 64)
        return is_lower_hex(s, 64);
    return n == 69 && is_lower_hex(s, 64) && strcmp(s + 64, "-init") == 0;
}

bool bf_is_safe_component(const char *s)
{
    if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    return strpbrk(s, "/\\") == NULL;
}
