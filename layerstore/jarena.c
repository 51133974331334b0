/* Small JSON values from per-thread bump chunks (see jarena.h). */
#include "jarena.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define JA_CHUNK_SHIFT 16
#define JA_CHUNK ((size_t)1 << JA_CHUNK_SHIFT)
#define JA_RESERVE ((size_t)1 << 30)
#define JA_NCHUNKS (JA_RESERVE >> JA_CHUNK_SHIFT)
#define JA_MAX_ALLOC 2048 /* larger blocks (long strings, big tables) come from malloc */
#define JA_KEEP 16        /* free chunks kept resident; the others' pages go back */
#define JA_ALIGN 16

/* JA_RESERVE bytes of address space, committed chunk by chunk; NULL: everything is malloc's */
static char *_Atomic ja_base;
/* Per chunk: its live blocks, plus one while a thread bumps in it. When it drops to 0 the
 * chunk is free; while it is 1 and a thread owns it, nothing in it is alive, so that thread
 * may start over at its beginning. */
static struct {
    atomic_uint n;
    char pad[64 - sizeof(atomic_uint)]; /* each its own cache line: threads' chunks differ */
} ja_live[JA_NCHUNKS];
static pthread_mutex_t ja_lock = PTHREAD_MUTEX_INITIALIZER;
/* Free chunks, under ja_lock: up to JA_KEEP resident ones, used first, then those whose
 * pages went back. */
static uint32_t ja_warm[JA_KEEP], ja_cold[JA_NCHUNKS];
static size_t ja_nwarm, ja_ncold, ja_high;
static atomic_bool ja_exhausted; /* no free chunk and no address space left: malloc's */
static pthread_key_t ja_key;

static __thread struct {
    bool owns;
    uint32_t chunk;
    size_t off;
} ja_cur;

static void ja_release(uint32_t c)
{
    bool warm;

    pthread_mutex_lock(&ja_lock);
    warm = ja_nwarm < JA_KEEP;
    if (warm)
        ja_warm[ja_nwarm++] = c;
    pthread_mutex_unlock(&ja_lock);
    if (!warm) { /* its pages go back first, outside the lock; nobody else has it yet */
        (void)madvise(ja_base + ((size_t)c << JA_CHUNK_SHIFT), JA_CHUNK, MADV_DONTNEED);
        pthread_mutex_lock(&ja_lock);
        ja_cold[ja_ncold++] = c;
        pthread_mutex_unlock(&ja_lock);
    }
    atomic_store_explicit(&ja_exhausted, false, memory_order_relaxed);
}

static void ja_drop(uint32_t c)
{
    if (atomic_fetch_sub_explicit(&ja_live[c].n, 1, memory_order_acq_rel) == 1)
        ja_release(c);
}

/* A thread that ends gives its chunk up (what is still alive in it keeps it until freed). */
static void ja_thread_end(void *unused)
{
    (void)unused;
    if (ja_cur.owns) {
        ja_cur.owns = false;
        ja_drop(ja_cur.chunk);
    }
}

static bool ja_refill(void)
{
    uint32_t c;

    if (ja_cur.owns) {
        ja_cur.owns = false;
        ja_drop(ja_cur.chunk);
    } else if (pthread_setspecific(ja_key, &ja_cur) != 0) {
        return false; /* without the destructor a thread's chunk could outlive it */
    }
    pthread_mutex_lock(&ja_lock);
    if (ja_nwarm) {
        c = ja_warm[--ja_nwarm];
    } else if (ja_ncold) {
        c = ja_cold[--ja_ncold];
    } else if (ja_high < JA_NCHUNKS &&
               mprotect(ja_base + (ja_high << JA_CHUNK_SHIFT), JA_CHUNK, PROT_READ | PROT_WRITE) ==
                   0) {
        c = (uint32_t)ja_high++;
    } else {
        pthread_mutex_unlock(&ja_lock);
        atomic_store_explicit(&ja_exhausted, true, memory_order_relaxed);
        return false;
    }
    pthread_mutex_unlock(&ja_lock);
    atomic_store_explicit(&ja_live[c].n, 1, memory_order_relaxed);
    ja_cur.chunk = c;
    ja_cur.off = 0;
    ja_cur.owns = true;
    return true;
}

void *ja_alloc(size_t n)
{
    char *base = atomic_load_explicit(&ja_base, memory_order_acquire);
    size_t need = (n + JA_ALIGN - 1) & ~(size_t)(JA_ALIGN - 1);
    void *p;

    if (!base || n == 0 || n > JA_MAX_ALLOC)
        return malloc(n);
    if (ja_cur.owns && ja_cur.off &&
        atomic_load_explicit(&ja_live[ja_cur.chunk].n, memory_order_acquire) == 1)
        ja_cur.off = 0; /* everything this thread put in its chunk is gone: reuse it, warm */
    if (!ja_cur.owns || ja_cur.off + need > JA_CHUNK) {
        if (atomic_load_explicit(&ja_exhausted, memory_order_relaxed) || !ja_refill())
            return malloc(n);
    }
    p = base + ((size_t)ja_cur.chunk << JA_CHUNK_SHIFT) + ja_cur.off;
    ja_cur.off += need;
    atomic_fetch_add_explicit(&ja_live[ja_cur.chunk].n, 1, memory_order_relaxed);
    return p;
}

void ja_free(void *p)
{
    char *base = atomic_load_explicit(&ja_base, memory_order_acquire);
    uintptr_t d = (uintptr_t)p - (uintptr_t)base;

    if (base && p && d < JA_RESERVE) {
        ja_drop((uint32_t)(d >> JA_CHUNK_SHIFT));
        return;
    }
    free(p);
}

/* Under AddressSanitizer every value is its own malloc block, so that it sees each lifetime. */
#if defined(__SANITIZE_ADDRESS__)
#define JA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JA_OFF 1
#endif
#endif
#ifndef JA_OFF
#define JA_OFF 0
#endif

/* Under valgrind too: it tracks malloc's blocks (a use after free, a leak), not ours. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

int ja_setup(void)
{
    void *m;

    if (JA_OFF || RUNNING_ON_VALGRIND || ja_base)
        return 0;
    if (pthread_key_create(&ja_key, ja_thread_end) != 0)
        return -EAGAIN;
    /* Address space only: chunks are made writable as they are first needed. */
    m = mmap(NULL, JA_RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return -errno; /* then every value comes from malloc */
    atomic_store_explicit(&ja_base, m, memory_order_release);
    return 0;
}

size_t ja_bytes_in_use(void)
{
    size_t n;

    pthread_mutex_lock(&ja_lock);
    n = (ja_high - ja_nwarm - ja_ncold) << JA_CHUNK_SHIFT;
    pthread_mutex_unlock(&ja_lock);
    return n;
}

int ja_enabled(void)
{
    return atomic_load_explicit(&ja_base, memory_order_acquire) != NULL;
}
