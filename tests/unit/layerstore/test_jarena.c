/* jarena.c, where jansson's small blocks come from: blocks are distinct, aligned and keep
 * their bytes while alive whatever else comes and goes (on this thread or others); a chunk
 * whose blocks are all gone is used again; a block freed on another thread, or kept past
 * its thread's end, keeps its chunk only as long as it lives; large blocks are malloc's; and
 * jansson itself runs on it (parse, build, dump). Under ASan the chunks are off (every block
 * is malloc's) and the tests that need chunks skip. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jarena.h"
#include "ls_internal.h"

#define CHUNK 65536

/* The test's own thread starts with a chunk, so that what a test counts is what it did. */
static void setup(void)
{
    cr_assert_eq(ja_setup(), 0);
    ja_free(ja_alloc(16));
}

TestSuite(jarena, .init = setup, .timeout = 60);

static void need_chunks(void)
{
    if (!ja_enabled())
        cr_skip_test("the chunks are off in this build (AddressSanitizer)");
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 131 + i);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed * 131 + i))
            return 0;
    return 1;
}

Test(jarena, blocks_are_distinct_aligned_and_keep_their_bytes)
{
    enum { N = 5000 };
    unsigned char *b[N];
    size_t sz[N];

    for (unsigned i = 0; i < N; i++) {
        sz[i] = 1 + (i * 37) % 2048;
        b[i] = ja_alloc(sz[i]);
        cr_assert_not_null(b[i]);
        cr_expect_eq((uintptr_t)b[i] % 16, 0, "block %u not aligned", i);
        fill(b[i], sz[i], i);
    }
    for (unsigned i = 0; i < N; i++)
        cr_assert(intact(b[i], sz[i], i), "block %u overwritten", i);
    for (unsigned i = 0; i < N; i += 2)
        ja_free(b[i]);
    for (unsigned i = 0; i < N; i++) { /* new blocks among the half still alive */
        unsigned char *q = ja_alloc(sz[i]);
        fill(q, sz[i], i + N);
        if (i % 2 == 0)
            b[i] = q;
        else
            ja_free(q);
    }
    for (unsigned i = 0; i < N; i++) {
        cr_assert(intact(b[i], sz[i], i % 2 ? i : i + N), "block %u overwritten", i);
        ja_free(b[i]);
    }
    ja_free(NULL);
}

Test(jarena, a_chunk_whose_blocks_are_gone_is_used_again)
{
    need_chunks();
    void *first = ja_alloc(100), *p;
    size_t in_use = ja_bytes_in_use();

    ja_free(first);
    for (int round = 0; round < 1000; round++) {
        void *v[40];
        for (int i = 0; i < 40; i++)
            v[i] = ja_alloc(1000); /* 40 KB a round: 40 MB in all */
        for (int i = 0; i < 40; i++)
            ja_free(v[i]);
    }
    p = ja_alloc(100);
    cr_expect_eq(p, first, "the chunk was not used again from its start");
    cr_expect_eq(ja_bytes_in_use(), in_use, "chunks grew with blocks that came and went");
    ja_free(p);
}

Test(jarena, large_blocks_are_mallocs)
{
    need_chunks();
    size_t in_use = ja_bytes_in_use();
    void *big[64];

    for (int i = 0; i < 64; i++) {
        big[i] = ja_alloc(2049 + (size_t)i * 4096);
        cr_assert_not_null(big[i]);
        fill(big[i], 2049, (unsigned)i);
    }
    cr_expect_eq(ja_bytes_in_use(), in_use, "a large block took a chunk");
    for (int i = 0; i < 64; i++) {
        cr_expect(intact(big[i], 2049, (unsigned)i));
        ja_free(big[i]); /* free() underneath: ASan and malloc's checks would see a bad one */
    }
}

/* A block outlives everything around it: its chunk stays until it goes, then is free. */
Test(jarena, a_kept_block_keeps_only_its_chunk)
{
    need_chunks();
    size_t in_use = ja_bytes_in_use();
    unsigned char *kept = ja_alloc(64);
    fill(kept, 64, 7);
    for (int round = 0; round < 200; round++) {
        void *v[100];
        for (int i = 0; i < 100; i++)
            v[i] = ja_alloc(2000); /* 200 KB a round: the thread moves through chunks */
        for (int i = 0; i < 100; i++)
            ja_free(v[i]);
    }
    cr_expect(intact(kept, 64, 7), "a live block was reused");
    cr_expect_leq(ja_bytes_in_use(), in_use + 2 * CHUNK,
                  "more than the kept block's chunk and the thread's own stayed in use");
    ja_free(kept);
}

struct handoff {
    void **v;
    size_t n;
};

static void *alloc_many(void *arg)
{
    struct handoff *h = arg;
    for (size_t i = 0; i < h->n; i++) {
        h->v[i] = ja_alloc(48 + i % 200);
        fill(h->v[i], 48, (unsigned)i);
    }
    return NULL; /* the thread ends with its blocks alive */
}

static void *free_many(void *arg)
{
    struct handoff *h = arg;
    for (size_t i = 0; i < h->n; i++) {
        cr_expect(intact(h->v[i], 48, (unsigned)i), "block %zu changed after its thread ended", i);
        ja_free(h->v[i]);
    }
    return NULL;
}

/* Blocks made on a thread that then ends, freed on another: all chunks free again after. */
Test(jarena, blocks_outlive_their_thread_and_are_freed_elsewhere)
{
    need_chunks();
    struct handoff h = {calloc(20000, sizeof(void *)), 20000};
    pthread_t a, b;
    size_t in_use = ja_bytes_in_use();

    cr_assert_eq(pthread_create(&a, NULL, alloc_many, &h), 0);
    pthread_join(a, NULL);
    cr_expect_gt(ja_bytes_in_use(), in_use);
    cr_assert_eq(pthread_create(&b, NULL, free_many, &h), 0);
    pthread_join(b, NULL);
    cr_expect_eq(ja_bytes_in_use(), in_use, "a chunk stayed after its thread and blocks went");
    free(h.v);
}

/* Four threads make blocks and hand half of them to the next thread to free, while they
 * check every block's bytes before it goes. */
#define RING 4096
struct ring {
    pthread_mutex_t lock;
    void *slot[RING];
    unsigned seed[RING];
    size_t head, tail;
};
static struct ring rings[4];

static void *stress(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg, next = (me + 1) % 4, x = me * 7919 + 1;
    void *mine[256] = {0};
    unsigned seeds[256];

    for (unsigned it = 0; it < 200000; it++) {
        x = x * 1103515245u + 12345u;
        unsigned k = (x >> 8) % 256;
        if (mine[k]) {
            if (!intact(mine[k], 32, seeds[k]))
                return (void *)1;
            if (x & 1) {
                ja_free(mine[k]);
            } else { /* to the next thread */
                struct ring *r = &rings[next];
                pthread_mutex_lock(&r->lock);
                if (r->head - r->tail < RING) {
                    r->slot[r->head % RING] = mine[k];
                    r->seed[r->head % RING] = seeds[k];
                    r->head++;
                } else {
                    ja_free(mine[k]);
                }
                pthread_mutex_unlock(&r->lock);
            }
        }
        mine[k] = ja_alloc(32 + (x >> 20) % 512);
        seeds[k] = it;
        fill(mine[k], 32, it);
        struct ring *r = &rings[me]; /* what the previous thread handed over */
        pthread_mutex_lock(&r->lock);
        while (r->tail < r->head) {
            void *p = r->slot[r->tail % RING];
            if (!intact(p, 32, r->seed[r->tail % RING])) {
                pthread_mutex_unlock(&r->lock);
                return (void *)1;
            }
            ja_free(p);
            r->tail++;
        }
        pthread_mutex_unlock(&r->lock);
    }
    for (unsigned k = 0; k < 256; k++)
        ja_free(mine[k]);
    return NULL;
}

Test(jarena, threads_handing_blocks_to_each_other)
{
    pthread_t t[4];
    size_t in_use = ja_bytes_in_use();

    for (int i = 0; i < 4; i++) {
        pthread_mutex_init(&rings[i].lock, NULL);
        rings[i].head = rings[i].tail = 0;
    }
    for (uintptr_t i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, stress, (void *)i), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_expect_null(r, "thread %d saw a block change while alive", i);
    }
    for (int i = 0; i < 4; i++) /* what was handed over after its receiver had stopped */
        for (; rings[i].tail < rings[i].head; rings[i].tail++)
            ja_free(rings[i].slot[rings[i].tail % RING]);
    if (ja_enabled())
        cr_expect_eq(ja_bytes_in_use(), in_use, "chunks stayed after every block went");
}

/* jansson on the chunks: parse (layerstore's path installs jarena), build, dump, free. */
Test(jarena, jansson_runs_on_it)
{
    struct bf_error err = BF_ERROR_INIT;
    const char *doc = "{\"a\":[1,2,{\"b\":\"x\"}],\"c\":\""
                      "0123456789012345678901234567890123456789012345678901234567890123456789"
                      "\",\"d\":{\"e\":null,\"f\":true}}";
    size_t in_use = ja_bytes_in_use();

    for (int i = 0; i < 2000; i++) {
        json_t *root = NULL, *big;
        char *s, longs[5000]; /* a string past 2 KiB: malloc's, in the same tree */
        cr_assert_eq(ls_parse_json("t.json", doc, strlen(doc), &root, &err), 0, "%s",
                     bf_error_message(&err));
        memset(longs, 'z', sizeof(longs) - 1);
        longs[sizeof(longs) - 1] = 0;
        big = json_string(longs);
        cr_assert_not_null(big);
        json_object_set_new(root, "long", big);
        json_object_set_new(root, "n", json_integer(i));
        s = json_dumps(root, JSON_COMPACT);
        cr_assert_not_null(s);
        cr_expect_eq(strlen(s), strlen(doc) - 1 + strlen(",\"long\":\"\",\"n\":}") +
                                    sizeof(longs) - 1 + (size_t)snprintf(NULL, 0, "%d", i));
        ja_free(s);
        json_decref(root);
    }
    cr_expect_eq(ja_bytes_in_use(), in_use, "jansson's trees left chunks in use");
}
