/* bf_util.h - ownership helpers shared by every module (systemd/crun style cleanup attributes),
 * and the small helpers they all use. */
#ifndef BF_UTIL_H
#define BF_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline void bf_freep(void *p)
{
    free(*(void **)p);
}

static inline void bf_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

#define _cleanup_free_ __attribute__((cleanup(bf_freep)))
#define _cleanup_close_ __attribute__((cleanup(bf_closep)))

/* Hand ownership on: returns the pointer and leaves NULL behind so the cleanup is a no-op. */
#define steal_pointer(pp)                                                                          \
    ({                                                                                             \
        __typeof__(*(pp)) _tmp = *(pp);                                                            \
        *(pp) = NULL;                                                                              \
        _tmp;                                                                                      \
    })

#define steal_fd(fdp)                                                                              \
    ({                                                                                             \
        int _tmp = *(fdp);                                                                         \
        *(fdp) = -1;                                                                               \
        _tmp;                                                                                      \
    })

#define BF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds: the one clock of trust and settle periods, cache ages,
 * grace periods and the watcher's timers. */
static inline int64_t bf_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The one binary search of the sorted ID and name arrays: the first i in [0, n) whose
 * key_at(v, i) is not less than `key` by strcmp (n when there is none). */
static inline size_t bf_lower_bound(const void *v, size_t n,
                                    const char *(*key_at)(const void *v, size_t i), const char *key)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(key_at(v, mid), key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#endif
