/* faultinject.c - LD_PRELOAD shim that makes the Nth call of a chosen set of functions fail.
 *
 *   LD_PRELOAD=libfaultinject.so BF_FAULT_CALLS=read,fstat BF_FAULT_NTH=7 program ...
 *
 * BF_FAULT_CALLS  comma-separated: open openat openat2 read pread fstat readdir malloc calloc
 *                 realloc (openat2 is the raw syscall(SYS_openat2), how bf_file.c calls it)
 * BF_FAULT_NTH    which call, counted from 1 over all the chosen functions, fails; 0 or unset
 *                 counts only
 * BF_FAULT_ERRNO  the errno it fails with (number; default EIO, ENOMEM for allocations)
 * BF_FAULT_LOG    a file to which the shim appends "injected <function> <n>" when it injects
 *                 the fault, and "calls <total>" at exit: a sweep stops at the first N whose run
 *                 saw no injection.
 * BF_FAULT_DELAY_MS  start counting only this long after the process started.
 * BF_FAULT_ARM_SIGNAL=1  count nothing until SIGUSR2; each SIGUSR2 restarts the count and
 *                 fails call BF_FAULT_NTH + (number of earlier SIGUSR2s): a daemon is mounted
 *                 once, then call 1, 2, 3, ... of successive request batches fail in turn.
 *
 * Allocation functions forward to the sanitizer runtime's when the program is built with ASan
 * (run it with ASAN_OPTIONS=verify_asan_link_order=0), else to glibc's, so memory stays with
 * one allocator and LeakSanitizer still sees every leak an error path makes.
 */
#include <dirent.h>
#include <signal.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum fn {
    F_OPEN,
    F_OPENAT,
    F_OPENAT2,
    F_READ,
    F_PREAD,
    F_FSTAT,
    F_READDIR,
    F_MALLOC,
    F_CALLOC,
    F_REALLOC,
    F_COUNT
};
static const char *const fn_names[F_COUNT] = {"open",  "openat",  "openat2", "read",   "pread",
                                              "fstat", "readdir", "malloc",  "calloc", "realloc"};

static bool chosen[F_COUNT];
static long nth, fail_errno;
static int64_t start_ns, delay_ns;
static atomic_long counter;
static atomic_bool injected;
static char log_path[512];
static int configured; /* 0 no, 1 in progress, 2 done */
static bool arm_mode;
static atomic_bool armed;
static atomic_long nth_now, arms;

static void on_arm(int sig)
{
    (void)sig;
    atomic_store(&nth_now, nth + atomic_fetch_add(&arms, 1));
    atomic_store(&counter, 0);
    atomic_store(&injected, false);
    atomic_store(&armed, true);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void log_line(const char *fmt, long a, const char *s)
{
    char line[128];
    int fd, n;

    if (!log_path[0])
        return;
    n = s ? snprintf(line, sizeof(line), fmt, s, a) : snprintf(line, sizeof(line), fmt, a);
    fd = (int)syscall(SYS_openat, AT_FDCWD, log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                      0644);
    if (fd < 0)
        return;
    if (syscall(SYS_write, fd, line, (size_t)n) < 0) {
        /* nothing to do: the sweep then sees no injection line */
    }
    syscall(SYS_close, fd);
}

/* getenv only: no allocation, safe from inside malloc. */
static void configure(void)
{
    const char *calls, *v;

    if (configured)
        return;
    configured = 1;
    calls = getenv("BF_FAULT_CALLS");
    for (int i = 0; calls && i < F_COUNT; i++) {
        size_t l = strlen(fn_names[i]);
        for (const char *p = calls; (p = strstr(p, fn_names[i])); p += l)
            if ((p == calls || p[-1] == ',') && (p[l] == ',' || p[l] == '\0'))
                chosen[i] = true;
    }
    nth = (v = getenv("BF_FAULT_NTH")) ? strtol(v, NULL, 10) : 0;
    fail_errno = (v = getenv("BF_FAULT_ERRNO")) ? strtol(v, NULL, 10) : 0;
    delay_ns = (v = getenv("BF_FAULT_DELAY_MS")) ? strtol(v, NULL, 10) * 1000000 : 0;
    if ((v = getenv("BF_FAULT_ARM_SIGNAL")) && *v == '1') {
        struct sigaction sa = {.sa_handler = on_arm, .sa_flags = SA_RESTART};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR2, &sa, NULL);
        arm_mode = true;
    }
    if ((v = getenv("BF_FAULT_LOG")))
        snprintf(log_path, sizeof(log_path), "%s", v);
    start_ns = now_ns();
    configured = 2;
}

static bool ready; /* our constructor ran (after a sanitizer runtime's .preinit_array set-up) */

__attribute__((constructor)) static void set_ready(void)
{
    ready = true;
}

/* Should this call of `f` fail? Calls made before our constructor (the dynamic linker's, a
 * sanitizer runtime's own set-up, where even getenv may not work yet) are not counted. */
static bool hit(enum fn f)
{
    if (!ready)
        return false;
    configure();
    if (configured != 2 || !chosen[f])
        return false;
    if (delay_ns && now_ns() - start_ns < delay_ns)
        return false;
    if (arm_mode && !atomic_load(&armed))
        return false;
    long n = atomic_fetch_add(&counter, 1) + 1;
    long want = arm_mode ? atomic_load(&nth_now) : nth;
    if (want <= 0 || n != want)
        return false;
    atomic_store(&injected, true);
    log_line("injected %s %ld\n", n, fn_names[f]);
    return true;
}

static int err_for(enum fn f)
{
    if (fail_errno > 0)
        return (int)fail_errno;
    return f >= F_MALLOC ? ENOMEM : EIO;
}

/* Should this call of f fail? Then errno is what it fails with. */
static bool fail_now(enum fn f)
{
    if (!hit(f))
        return false;
    errno = err_for(f);
    return true;
}

__attribute__((destructor)) static void report(void)
{
    if (!ready)
        return;
    configure();
    log_line("calls %ld\n", atomic_load(&counter), NULL);
}

/* The mode argument of an open-family call, present only when the flags create a file. */
#define OPEN_MODE(flags, mode)                                                                     \
    do {                                                                                           \
        if ((flags) & (O_CREAT | __O_TMPFILE)) {                                                   \
            va_list ap;                                                                            \
            va_start(ap, flags);                                                                   \
            mode = va_arg(ap, mode_t);                                                             \
            va_end(ap);                                                                            \
        }                                                                                          \
    } while (0)

#define NEXT(name)                                                                                 \
    static __typeof__(&name) next_##name;                                                          \
    if (!next_##name)                                                                              \
        next_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name);

/* ---- file calls ---- */

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    NEXT(open);
    OPEN_MODE(flags, mode);
    if (fail_now(F_OPEN))
        return -1;
    return next_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    NEXT(open64);
    OPEN_MODE(flags, mode);
    if (fail_now(F_OPEN))
        return -1;
    return next_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    NEXT(openat);
    OPEN_MODE(flags, mode);
    if (fail_now(F_OPENAT))
        return -1;
    return next_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    NEXT(openat64);
    OPEN_MODE(flags, mode);
    if (fail_now(F_OPENAT))
        return -1;
    return next_openat64(dirfd, path, flags, mode);
}

long syscall(long number, ...)
{
    long a[6];
    va_list ap;
    NEXT(syscall);
    va_start(ap, number);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_openat2 && fail_now(F_OPENAT2))
        return -1;
    return next_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Which file a failed read was on (to the log). */
static void log_fd(int fd)
{
    char link[64], target[256];
    long n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = syscall(SYS_readlinkat, AT_FDCWD, link, target, sizeof(target) - 1);
    if (n > 0) {
        target[n] = '\0';
        log_line("  on %s (%ld)\n", fd, target);
    }
}

/* Reads are counted on regular files only: a daemon's read() of /dev/fuse is libfuse's
 * channel, not a place where bundlefs reads the data-root. */
static bool regular(int fd)
{
    struct stat st;
    return syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode);
}

ssize_t read(int fd, void *buf, size_t n)
{
    NEXT(read);
    if (regular(fd) && fail_now(F_READ)) {
        int e = errno;
        log_fd(fd);
        errno = e;
        return -1;
    }
    return next_read(fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    NEXT(pread);
    if (regular(fd) && fail_now(F_PREAD))
        return -1;
    return next_pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
    NEXT(pread64);
    if (regular(fd) && fail_now(F_PREAD))
        return -1;
    return next_pread64(fd, buf, n, off);
}

int fstat(int fd, struct stat *st)
{
    NEXT(fstat);
    if (fail_now(F_FSTAT))
        return -1;
    return next_fstat(fd, st);
}

int fstat64(int fd, struct stat64 *st)
{
    NEXT(fstat64);
    if (fail_now(F_FSTAT))
        return -1;
    return next_fstat64(fd, st);
}

struct dirent *readdir(DIR *d)
{
    NEXT(readdir);
    if (fail_now(F_READDIR))
        return NULL;
    return next_readdir(d);
}

struct dirent64 *readdir64(DIR *d)
{
    NEXT(readdir64);
    if (fail_now(F_READDIR))
        return NULL;
    return next_readdir64(d);
}

/* ---- allocations ---- */

/* The allocator behind ours, bound by the dynamic linker (no dlsym: a sanitizer runtime
 * intercepts dlsym and cannot serve it before it has initialised): the sanitizer's when one
 * is loaded, else glibc's. free() is not ours at all, so it is always the same allocator's. */
extern void *__interceptor_malloc(size_t) __attribute__((weak));
extern void *__interceptor_calloc(size_t, size_t) __attribute__((weak));
extern void *__interceptor_realloc(void *, size_t) __attribute__((weak));
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

/* BF_FAULT_SKIP_LIB=<text>: allocations made directly by a library whose path contains the
 * text are not counted (libfuse drops a request it cannot allocate, leaving the kernel
 * waiting: its own business, not bundlefs's). */
static bool skipped_caller(void *ret)
{
    static const char *skip;
    static int init;
    Dl_info info;

    if (!init) {
        skip = getenv("BF_FAULT_SKIP_LIB");
        init = 1;
    }
    return skip && *skip && dladdr(ret, &info) && info.dli_fname && strstr(info.dli_fname, skip);
}

void *malloc(size_t n)
{
    if (ready && !skipped_caller(__builtin_return_address(0)) && hit(F_MALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __interceptor_malloc ? __interceptor_malloc(n) : __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    if (ready && !skipped_caller(__builtin_return_address(0)) && hit(F_CALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __interceptor_calloc ? __interceptor_calloc(n, m) : __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    if (ready && !skipped_caller(__builtin_return_address(0)) && hit(F_REALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __interceptor_realloc ? __interceptor_realloc(p, n) : __libc_realloc(p, n);
}
