/* bench-read - read a tree of container folders, or a list of files, and time it.
 *
 *   bench-read [--passes N] [--op read|stat] [--save-list FILE] [--copy-to DIR] --walk DIR
 *   bench-read [--passes N] [--op read|stat] [--procs P] --list FILE --root DIR
 *
 * The one reader used by tools/bench for both sides of every comparison (a bundlefs mount and
 * the same bytes on tmpfs, or the data-root's own input files), so both are read the same way:
 * one process (or P forked processes), one open/read-to-EOF/close per file, readlink per
 * symlink, a 64 KiB buffer, CLOCK_MONOTONIC around each whole pass.
 *
 * --walk DIR: every folder of DIR whose name is a 64-hex container ID (so a mount's by-name is
 *   skipped), each read with readdir, then every regular file read and every symlink read with
 *   readlink: what `cat MNT/<id>/<each file>` does, listing included. --save-list writes what pass
 * 1 visited as a list; --copy-to writes what pass 1 read under another folder (the tmpfs copy).
 * --list FILE: lines `f PATH` (file: read it), `l PATH` (symlink: readlink), `d PATH` (folder:
 *   readdir it), PATH relative to --root. --procs P splits the list into P contiguous parts
 *   read by P forked processes at once, timed from a common start to the last exit.
 * --op stat: lstat every entry instead (the lookup cost, no read).
 *
 * Each pass prints one line:
 *   pass N: dirs D files F links L errors E bytes B us T sum S
 * where errors counts entries that could not be opened or read (a file bundlefs cannot
 * generate fails with EIO; the benchmark reports it rather than hides it) and sum is an
 * order-independent checksum of every path with its bytes (or link target, or size for
 * --op stat), so two trees read with the same sum hold the same bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)
#define MAX_PROCS 64

enum op { OP_READ, OP_STAT };

struct stats {
    uint64_t dirs, files, links, errors, bytes, sum;
};

struct entry {
    char type; /* 'f', 'l' or 'd' */
    char *path;
};

struct list {
    struct entry *v;
    size_t n, cap;
};

static char buf[BUF_SIZE];

static void freep(void *p)
{
    free(*(void **)p);
}
#define cleanup_free __attribute__((cleanup(freep)))

static void closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
#define cleanup_close __attribute__((cleanup(closep)))

static void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
#define cleanup_fclose __attribute__((cleanup(fclosep)))

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* FNV-1a 64, continued from h. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t fnv_path(const char *path)
{
    return fnv(0xcbf29ce484222325ULL, path, strlen(path) + 1);
}

static void list_add(struct list *l, char type, const char *path)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        if (!l->v) {
            perror("bench-read");
            exit(1);
        }
    }
    l->v[l->n].type = type;
    l->v[l->n].path = strdup(path);
    if (!l->v[l->n].path) {
        perror("bench-read");
        exit(1);
    }
    l->n++;
}

static void list_free(struct list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
}

static bool is_container_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == 64;
}

/* Read one file to EOF: its bytes are hashed (and copied to copyfd when >= 0). */
static void read_file(int dirfd, const char *name, const char *rel, int copyfd, struct stats *st)
{
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    uint64_t h = fnv_path(rel);
    ssize_t r;

    if (fd < 0) {
        st->errors++;
        return;
    }
    while ((r = read(fd, buf, sizeof(buf))) > 0) {
        h = fnv(h, buf, (size_t)r);
        st->bytes += (uint64_t)r;
        if (copyfd >= 0 && write(copyfd, buf, (size_t)r) != r) {
            perror("bench-read: copy");
            exit(1);
        }
    }
    if (r < 0) {
        st->errors++;
        return;
    }
    st->files++;
    st->sum += h;
}

static void read_link(int dirfd, const char *name, const char *rel, int copydir, struct stats *st)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

    if (n < 0) {
        st->errors++;
        return;
    }
    target[n] = '\0';
    if (copydir >= 0 && symlinkat(target, copydir, name) < 0) {
        perror("bench-read: copy");
        exit(1);
    }
    st->links++;
    st->bytes += (uint64_t)n;
    st->sum += fnv(fnv_path(rel), target, (size_t)n);
}

static void stat_entry(int dirfd, const char *name, const char *rel, struct stats *st)
{
    struct stat sb;

    if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
        st->errors++;
        return;
    }
    if (S_ISDIR(sb.st_mode))
        st->dirs++;
    else if (S_ISLNK(sb.st_mode))
        st->links++;
    else
        st->files++;
    st->sum += fnv(fnv_path(rel), &sb.st_size, sizeof(sb.st_size));
}

/* readdir a folder to the end: what a listing costs. */
static void read_dir(int dirfd, const char *name, struct stats *st)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    DIR *d;

    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        st->errors++;
        return;
    }
    while (readdir(d))
        ;
    closedir(d);
    st->dirs++;
}

/* One container folder: list it, then read (or stat) every entry. */
static void walk_container(int rootfd, const char *id, enum op op, struct list *save, int copyroot,
                           struct stats *st)
{
    cleanup_close int copydir = -1;
    int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    struct dirent *de;
    DIR *d;

    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        st->errors++;
        return;
    }
    if (copyroot >= 0) {
        if (mkdirat(copyroot, id, 0755) < 0 ||
            (copydir = openat(copyroot, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            perror("bench-read: copy");
            exit(1);
        }
    }
    st->dirs++;
    while ((de = readdir(d))) {
        char rel[2 * NAME_MAX + 2];
        unsigned char type = de->d_type;

        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(rel, sizeof(rel), "%s/%s", id, de->d_name);
        if (type == DT_UNKNOWN) {
            struct stat sb;
            if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
                st->errors++;
                continue;
            }
            type = S_ISREG(sb.st_mode) ? DT_REG : S_ISLNK(sb.st_mode) ? DT_LNK : DT_DIR;
        }
        if (type != DT_REG && type != DT_LNK)
            continue;
        if (save)
            list_add(save, type == DT_REG ? 'f' : 'l', rel);
        if (op == OP_STAT) {
            stat_entry(dirfd(d), de->d_name, rel, st);
        } else if (type == DT_LNK) {
            read_link(dirfd(d), de->d_name, rel, copydir, st);
        } else {
            cleanup_close int out = -1;
            if (copydir >= 0 && (out = openat(copydir, de->d_name,
                                              O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
                perror("bench-read: copy");
                exit(1);
            }
            read_file(dirfd(d), de->d_name, rel, out, st);
        }
    }
    closedir(d);
}

static int walk_pass(const char *root, enum op op, struct list *save, const char *copyto,
                     struct stats *st)
{
    cleanup_close int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int copyroot = -1;
    struct dirent *de;
    struct list ids = {0};
    DIR *d;

    if (rootfd < 0) {
        fprintf(stderr, "bench-read: %s: %s\n", root, strerror(errno));
        return -1;
    }
    if (copyto && (copyroot = open(copyto, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "bench-read: %s: %s\n", copyto, strerror(errno));
        return -1;
    }
    /* The listing is part of the pass: fdopendir takes a duplicate so rootfd stays ours. */
    int lfd = dup(rootfd);
    if (lfd < 0 || !(d = fdopendir(lfd))) {
        fprintf(stderr, "bench-read: %s: %s\n", root, strerror(errno));
        if (lfd >= 0)
            close(lfd);
        return -1;
    }
    while ((de = readdir(d)))
        if (is_container_id(de->d_name))
            list_add(&ids, 'd', de->d_name);
    closedir(d);
    st->dirs++;
    for (size_t i = 0; i < ids.n; i++)
        walk_container(rootfd, ids.v[i].path, op, save, copyroot, st);
    list_free(&ids);
    return 0;
}

static void list_pass(int rootfd, const struct entry *v, size_t n, enum op op, struct stats *st)
{
    for (size_t i = 0; i < n; i++) {
        if (op == OP_STAT)
            stat_entry(rootfd, v[i].path, v[i].path, st);
        else if (v[i].type == 'f')
            read_file(rootfd, v[i].path, v[i].path, -1, st);
        else if (v[i].type == 'l')
            read_link(rootfd, v[i].path, v[i].path, -1, st);
        else
            read_dir(rootfd, v[i].path, st);
    }
}

static int list_load(const char *file, struct list *l)
{
    cleanup_fclose FILE *f = fopen(file, "re");
    cleanup_free char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;

    if (!f) {
        fprintf(stderr, "bench-read: %s: %s\n", file, strerror(errno));
        return -1;
    }
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n < 3 || !strchr("fld", line[0]) || line[1] != ' ' || line[2] == '/') {
            fprintf(stderr,
                    "bench-read: %s:%zu: expected 'f PATH', 'l PATH' or 'd PATH' with PATH "
                    "relative\n",
                    file, lineno);
            return -1;
        }
        list_add(l, line[0], line + 2);
    }
    if (l->n == 0) {
        fprintf(stderr, "bench-read: %s: empty list\n", file);
        return -1;
    }
    return 0;
}

static int list_save(const char *file, const struct list *l)
{
    cleanup_fclose FILE *f = fopen(file, "we");

    if (!f) {
        fprintf(stderr, "bench-read: %s: %s\n", file, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < l->n; i++)
        fprintf(f, "%c %s\n", l->v[i].type, l->v[i].path);
    if (fflush(f) != 0 || ferror(f)) {
        fprintf(stderr, "bench-read: %s: %s\n", file, strerror(errno));
        return -1;
    }
    return 0;
}

static void stats_add(struct stats *a, const struct stats *b)
{
    a->dirs += b->dirs;
    a->files += b->files;
    a->links += b->links;
    a->errors += b->errors;
    a->bytes += b->bytes;
    a->sum += b->sum;
}

static int full_read(int fd, void *p, size_t n)
{
    char *c = p;
    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* P forked readers over contiguous parts of the list, released at once; the time runs from
 * the release to the last child's exit. */
static int procs_pass(int rootfd, const struct list *l, long procs, enum op op, struct stats *st,
                      double *us)
{
    int ready[2], go[2], res[2];
    pid_t pids[MAX_PROCS];
    double t0;
    int status = 0;

    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
        perror("bench-read: pipe");
        return -1;
    }
    fflush(stdout);
    for (long p = 0; p < procs; p++) {
        size_t lo = l->n * (size_t)p / (size_t)procs, hi = l->n * (size_t)(p + 1) / (size_t)procs;
        pids[p] = fork();
        if (pids[p] < 0) {
            perror("bench-read: fork");
            exit(1);
        }
        if (pids[p] == 0) {
            struct stats mine = {0};
            char c = 'r';
            close(go[1]);
            if (write(ready[1], &c, 1) != 1)
                _exit(1);
            while (read(go[0], &c, 1) < 0 && errno == EINTR)
                ;
            list_pass(rootfd, l->v + lo, hi - lo, op, &mine);
            _exit(write(res[1], &mine, sizeof(mine)) == (ssize_t)sizeof(mine) ? 0 : 1);
        }
    }
    close(ready[1]);
    close(res[1]);
    close(go[0]);
    for (long p = 0; p < procs; p++) {
        char c;
        if (full_read(ready[0], &c, 1) < 0) {
            fprintf(stderr, "bench-read: a reader process died before the start\n");
            status = -1;
            break;
        }
    }
    t0 = now_us();
    close(go[1]);
    for (long p = 0; p < procs; p++) {
        int ws;
        while (waitpid(pids[p], &ws, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
            status = -1;
    }
    *us = now_us() - t0;
    for (long p = 0; p < procs && status == 0; p++) {
        struct stats one;
        if (full_read(res[0], &one, sizeof(one)) < 0) {
            status = -1;
            break;
        }
        stats_add(st, &one);
    }
    close(ready[0]);
    close(res[0]);
    if (status < 0)
        fprintf(stderr, "bench-read: a reader process failed\n");
    return status;
}

static long parse_count(const char *opt, const char *arg, long max)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (!*arg || *end || errno || v < 1 || v > max) {
        fprintf(stderr, "bench-read: %s must be 1..%ld\n", opt, max);
        exit(2);
    }
    return v;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: bench-read [--passes N] [--op read|stat] [--save-list FILE] "
                 "[--copy-to DIR] --walk DIR\n"
                 "       bench-read [--passes N] [--op read|stat] [--procs P] --list FILE "
                 "--root DIR\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"passes", required_argument, NULL, 'n'},
        {"op", required_argument, NULL, 'o'},
        {"procs", required_argument, NULL, 'p'},
        {"walk", required_argument, NULL, 'w'},
        {"list", required_argument, NULL, 'l'},
        {"root", required_argument, NULL, 'r'},
        {"save-list", required_argument, NULL, 's'},
        {"copy-to", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *walk = NULL, *listfile = NULL, *root = NULL, *savefile = NULL, *copyto = NULL;
    long passes = 1, procs = 0;
    enum op op = OP_READ;
    __attribute__((cleanup(list_free))) struct list l = {0}, saved = {0};
    int c, status = 0;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            passes = parse_count("--passes", optarg, 1000);
            break;
        case 'p':
            procs = parse_count("--procs", optarg, MAX_PROCS);
            break;
        case 'o':
            if (!strcmp(optarg, "read")) {
                op = OP_READ;
            } else if (!strcmp(optarg, "stat")) {
                op = OP_STAT;
            } else {
                fprintf(stderr, "bench-read: --op must be read or stat, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'w':
            walk = optarg;
            break;
        case 'l':
            listfile = optarg;
            break;
        case 'r':
            root = optarg;
            break;
        case 's':
            savefile = optarg;
            break;
        case 'c':
            copyto = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || !walk == !listfile || (listfile && !root) || (walk && (root || procs)) ||
        (listfile && (savefile || copyto))) {
        fprintf(stderr, "bench-read: give either --walk DIR, or --list FILE --root DIR "
                        "(--procs only with --list; --save-list and --copy-to only with "
                        "--walk)\n");
        usage(stderr);
        return 2;
    }
    if (copyto && op != OP_READ) {
        fprintf(stderr, "bench-read: --copy-to needs --op read\n");
        return 2;
    }
    /* A reader killed by the harness must not take a SIGPIPE path that hides the cause. */
    signal(SIGPIPE, SIG_IGN);

    cleanup_close int rootfd = -1;
    if (listfile) {
        if (list_load(listfile, &l) < 0)
            return 1;
        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
            fprintf(stderr, "bench-read: %s: %s\n", root, strerror(errno));
            return 1;
        }
    }
    for (long pass = 1; pass <= passes && status == 0; pass++) {
        struct stats st = {0};
        double t0, us = 0;

        if (walk) {
            t0 = now_us();
            status = walk_pass(walk, op, pass == 1 && savefile ? &saved : NULL,
                               pass == 1 ? copyto : NULL, &st);
            us = now_us() - t0;
        } else if (procs > 0) {
            status = procs_pass(rootfd, &l, procs, op, &st, &us);
        } else {
            t0 = now_us();
            list_pass(rootfd, l.v, l.n, op, &st);
            us = now_us() - t0;
        }
        if (status < 0)
            break;
        printf("pass %ld: dirs %" PRIu64 " files %" PRIu64 " links %" PRIu64 " errors %" PRIu64
               " bytes %" PRIu64 " us %.1f sum %016" PRIx64 "\n",
               pass, st.dirs, st.files, st.links, st.errors, st.bytes, us, st.sum);
        fflush(stdout);
        if (pass == 1 && savefile && list_save(savefile, &saved) < 0)
            status = -1;
    }
    return status < 0 ? 1 : 0;
}
