/* test_read.c - fs/read.c: opens, reads with and without an open, pins, and the siblings the pusher
 * stores. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, evicted_and_changed_is_served_direct)
{
    uint64_t dir, ino;
    size_t len;
    bool direct = false;
    char *got;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(1, 1);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino = lookup_ok(dir, "config.json", NULL);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    set_isolation(CID1, "hyperv");
    sleep_ms(5);
    got = read_all(ino, &len, &direct);
    cr_assert(direct, "the old inode's size is wrong for the new bytes: bypass the page cache");
    cr_assert(strstr(got, "\"hyperv\""));
    free(got);
}

/* Readers holding handles while a writer changes the container and a 1-byte cache evicts on
 * every generation: every handle's bytes stay whole until it is released (run under ASan in
 * the sanitizer pass; the plain pass checks the bytes). */
static volatile int stress_stop;

static void *stress_reader(void *arg)
{
    uint64_t dir = *(uint64_t *)arg;
    static const char *const names[] = {"config.json", "createoptions.json", "layerpaths"};
    for (int i = 0; !stress_stop && i < 400; i++) {
        struct bfs_attr a;
        struct bfs_handle *h = NULL;
        const char *data;
        size_t len;
        bool direct;
        if (bfs_lookup(tree, dir, names[i % 3], &a) < 0)
            continue;
        /* Every open is one snapshot: its bytes, whole, of its inode's size. The handle is
         * released before its read is done, as a RELEASE handled by another thread would:
         * the read's own pin keeps the bytes. */
        if (i % 2) {
            /* a read without an open (zero-message opens): its inode's bytes, or ESTALE; EIO
             * when the version read a half-written hostconfig.json (the fixture writes in
             * place, unlike Docker) */
            struct bfs_pin *pin = NULL;
            int r = bfs_read_ino(tree, a.ino, &data, &len, &pin);
            cr_assert(r == 0 || r == -ESTALE || r == -EIO, "read_ino: %s", strerror(-r));
            if (r == 0) {
                cr_assert_eq(len, a.size, "a read without an open serves its inode's size");
                bfs_read_unpin(tree, pin);
            }
        } else if (bfs_open(tree, a.ino, &h, &direct) == 0) {
            struct bfs_pin *pin = NULL;
            uint64_t sum = 0;
            cr_assert_eq(bfs_read_pin(tree, h, &data, &len, &pin), 0);
            bfs_release(tree, h);
            for (int pass = 0; pass < 3; pass++) /* read it while others evict */
                for (size_t k = 0; k < len; k++)
                    sum += (unsigned char)data[k];
            cr_assert(len == 0 || sum > 0);
            cr_assert(direct || len == a.size, "a non-direct open serves its inode's size");
            bfs_read_unpin(tree, pin);
        }
        bfs_forget(tree, a.ino, 1);
    }
    return NULL;
}

static void stress(size_t cache_bytes)
{
    pthread_t th[8];
    uint64_t dirs[2];

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(1, cache_bytes);
    dirs[0] = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    dirs[1] = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    stress_stop = 0;
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, stress_reader, &dirs[i % 2]);
    for (int i = 0; i < 60; i++) {
        set_isolation(i % 2 ? CID1 : CID2, i % 4 < 2 ? "hyperv" : "process");
        sleep_ms(2);
    }
    stress_stop = 1;
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
}

Test(tree, stress_handles_survive_eviction_and_changes)
{
    stress(1); /* a 1-byte cache: every generation evicts */
}

Test(tree, stress_handles_survive_version_changes)
{
    stress(0); /* the default cache: versions replaced, bytes kept */
}

/* An open of evicted bytes secures them at once: a change after the open does not reach its
 * reads (generating at the first read instead left nothing to serve after a change). */
Test(tree, open_of_evicted_bytes_is_a_snapshot)
{
    struct bfs_handle *h = NULL;
    size_t len, want_len;
    char *got;
    bool direct = true;
    uint64_t ino;
    char *want;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(60000, 1);
    ino = lookup_ok(lookup_ok(BFS_ROOT_INO, CID1, NULL), "config.json", NULL);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL); /* evicts CID1 */
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_eq(bfs_open(tree, ino, &h, &direct), 0);
    cr_assert_not(direct);
    set_isolation(CID1, "hyperv");
    bfs_tree_changed(tree, "containers/" CID1, "hostconfig.json", NULL, NULL);
    got = read_handle(h, &len);
    cr_assert_eq(len, want_len);
    cr_assert_eq(memcmp(got, want, len), 0, "the bytes of the version that was opened");
    free(got);
    free(want);
    bfs_release(tree, h);
}

/* A read whose handle is released (by another thread's RELEASE) while its reply is being
 * written, then its version replaced and evicted: the read's pin keeps its bytes. */
Test(tree, read_pin_outlives_release_and_eviction)
{
    struct bfs_handle *h = NULL;
    struct bfs_pin *pin = NULL;
    const char *data;
    size_t len, want_len;
    bool direct;
    uint64_t dir, ino;
    char *want;

    open_tree(60000, 1);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino = lookup_ok(dir, "config.json", NULL);
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_eq(bfs_open(tree, ino, &h, &direct), 0);
    cr_assert_eq(bfs_read_pin(tree, h, &data, &len, &pin), 0);
    bfs_release(tree, h);
    bfs_forget(tree, ino, 1);
    set_isolation(CID1, "hyperv");
    bfs_tree_changed(tree, "containers/" CID1, "hostconfig.json", NULL, NULL);
    lookup_ok(dir, "config.json", NULL); /* a new version replaces the old one */
    cr_assert_eq(len, want_len);
    cr_assert_eq(memcmp(data, want, len), 0);
    bfs_read_unpin(tree, pin);
    free(want);
}

/* What the pusher (fs/push.c) may store ahead of a read: the other regular files of the
 * version that the kernel holds and has neither read nor been given. */
Test(tree, file_siblings)
{
    uint64_t dir, cfg, co, lp, got[BFS_FILE_COUNT];
    size_t len;
    char *bytes;
    int err;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(60000, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    cfg = lookup_ok(dir, "config.json", NULL);
    lp = lookup_ok(dir, "layerpaths", NULL);
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, BFS_FILE_COUNT), 1,
                 "createoptions.json is not held by the kernel: only layerpaths");
    cr_assert_eq(got[0], lp);
    co = lookup_ok(dir, "createoptions.json", NULL);
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, BFS_FILE_COUNT), 2);
    cr_assert(got[0] == co && got[1] == lp, "in file order");
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, 1), 1, "at most max");

    /* a file read is not given again */
    bytes = read_ino(co, &len, &err);
    cr_assert_eq(err, 0);
    free(bytes);
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, BFS_FILE_COUNT), 1);
    cr_assert_eq(got[0], lp);
    /* claimed: given from now on */
    cr_assert_eq(bfs_file_siblings(tree, cfg, true, got, BFS_FILE_COUNT), 1);
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, BFS_FILE_COUNT), 0);
    cr_assert_eq(bfs_file_siblings(tree, co, false, got, BFS_FILE_COUNT), 1);
    cr_assert_eq(got[0], cfg, "config.json was neither read nor given");
    /* forgotten by the kernel: never a sibling */
    bfs_forget(tree, cfg, 1);
    cr_assert_eq(bfs_file_siblings(tree, co, false, got, BFS_FILE_COUNT), 0);
    /* another container's files are not siblings; a folder has none */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    cr_assert_eq(bfs_file_siblings(tree, co, false, got, BFS_FILE_COUNT), 0);
    cr_assert_eq(bfs_file_siblings(tree, dir, false, got, BFS_FILE_COUNT), 0);
    cr_assert_eq(bfs_file_siblings(tree, 999999, false, got, BFS_FILE_COUNT), 0);
}

Test(tree, reads_without_open)
{
    uint64_t dir, cfg, lp, other;
    size_t len, want_len;
    char *got, *want;
    int err;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(1, 1); /* a 1-byte cache: every new bundle evicts the previous one */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    cfg = lookup_ok(dir, "config.json", NULL);
    lp = lookup_ok(dir, "layerpaths", NULL);
    got = read_ino(cfg, &len, &err);
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_eq(err, 0);
    cr_assert_eq(len, want_len);
    cr_assert_str_eq(got, want, "the inode's bytes, without a handle");
    free(got);
    free(want);

    /* evicted, inputs unchanged: made again, the same bytes */
    other = lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    (void)other;
    got = read_ino(cfg, &len, &err);
    cr_assert_eq(err, 0, "evicted and unchanged: %s", strerror(-err));
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);

    /* evicted and changed: config.json's bytes are gone for good (ESTALE); layerpaths did
     * not change, so the new version's bytes are this inode's bytes */
    want = expected(CID1, BFS_FILE_LAYERPATHS, &want_len);
    set_isolation(CID1, "hyperv");
    sleep_ms(5); /* past the trust period: CID2 is made again, and evicts CID1's bytes */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    got = read_ino(cfg, &len, &err);
    cr_assert_eq(err, -ESTALE, "a version that can no longer be made: %d", err);
    cr_assert_null(got);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    got = read_ino(lp, &len, &err);
    cr_assert_eq(err, 0, "unchanged file of a changed container: %s", strerror(-err));
    cr_assert_eq(len, want_len);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);

    cr_assert_eq(bfs_read_ino(tree, dir, (const char **)&got, &len, (struct bfs_pin **)&want),
                 -EISDIR);
    cr_assert_eq(bfs_read_ino(tree, 999999, (const char **)&got, &len, (struct bfs_pin **)&want),
                 -ESTALE, "an inode the kernel never had");
}
