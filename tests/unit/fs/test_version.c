/* test_version.c - fs/version.c: freshness and generation: new inodes for new bytes, validation
 * instead of regeneration, one generation for concurrent readers, failed versions retried. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, content_change_gives_new_inode_and_open_keeps_snapshot)
{
    struct bfs_handle *h = NULL;
    size_t len, len2;
    bool direct = false;
    uint64_t dir, ino1, ino2;
    char *before, *after;

    open_tree(1, 0); /* polling: trusted for 1 ms */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino1 = lookup_ok(dir, "config.json", NULL);
    cr_assert_eq(bfs_open(tree, ino1, &h, &direct), 0);
    cr_assert_not(direct);
    before = read_handle(h, &len);

    set_isolation(CID1, "hyperv");
    sleep_ms(5);
    ino2 = lookup_ok(dir, "config.json", NULL);
    cr_assert_neq(ino2, ino1, "new bytes, new inode");
    after = read_all(ino2, &len2, NULL);
    cr_assert(strstr(after, "\"hyperv\""), "the new version is Hyper-V");
    cr_assert_null(strstr(before, "\"hyperv\""));

    /* The handle opened before the change still reads the old version, whole. */
    free(after);
    after = read_handle(h, &len);
    cr_assert_eq(len, strlen(before));
    cr_assert_str_eq(after, before);
    bfs_release(tree, h);
    free(before);
    free(after);
}

Test(tree, unchanged_content_keeps_inode)
{
    uint64_t dir, ino1, ino2;
    struct bfs_stats s;

    open_tree(1, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino1 = lookup_ok(dir, "layerpaths", NULL);
    /* Rewrite hostconfig.json with the same isolation: an input changed, the bytes did not. */
    set_isolation(CID1, "process");
    sleep_ms(5);
    ino2 = lookup_ok(dir, "layerpaths", NULL);
    cr_assert_eq(ino2, ino1);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 2, "regenerated once after the change");
    cr_assert_eq(s.versions, 1, "but no new version");
}

Test(tree, fresh_version_is_not_regenerated)
{
    uint64_t dir;
    struct bfs_stats s;

    open_tree(60000, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    for (int i = 0; i < 10; i++)
        lookup_ok(dir, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 1);
    cr_assert_eq(s.validations, 0);
}

Test(tree, stale_version_is_validated_not_regenerated)
{
    uint64_t dir;
    struct bfs_stats s;

    open_tree(1, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    lookup_ok(dir, "config.json", NULL);
    sleep_ms(5);
    lookup_ok(dir, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 1, "inputs unchanged: no second generation");
    cr_assert_eq(s.validations, 1, "one re-stat pass");
}

Test(tree, broken_container_has_error_file_and_others_work)
{
    char rel[256];
    struct bfs_attr a;
    struct bfs_handle *h = NULL;
    bool direct;
    uint64_t dir, bad;
    size_t len, want_len;
    char *got, *want;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", CID2);
    fx_write(&fx, rel, "{\"Isolation\":5}");
    open_tree(0, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    cr_assert(listed(dir, "error"));
    cr_assert(listed(dir, "config.json"), "a failed file is still listed");
    bad = lookup_ok(dir, "config.json", &a);
    cr_assert_eq(a.size, 1, "a failed file has size 1: the kernel must ask for its bytes");
    cr_assert_eq(bfs_open(tree, bad, &h, &direct), -EIO);
    {
        const char *data;
        size_t n;
        struct bfs_pin *pin;
        cr_assert_eq(bfs_read_ino(tree, bad, &data, &n, &pin), -EIO, "a read without an open");
    }
    got = read_all(lookup_ok(dir, "error", NULL), &len, NULL);
    want = expected(CID2, BFS_FILE_ERROR, &want_len);
    cr_assert_eq(len, want_len);
    cr_assert_str_eq(got, want);
    cr_assert(strstr(got, "hostconfig.json"), "the message names the file: %s", got);
    free(got);
    free(want);

    /* The other container is untouched. */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    cr_assert_not(listed(dir, "error"));
    got = read_all(lookup_ok(dir, "config.json", NULL), &len, NULL);
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_eq(len, want_len);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
}

static void *reader(void *arg)
{
    uint64_t dir = *(uint64_t *)arg;
    for (int i = 0; i < 50; i++) {
        struct bfs_attr a;
        size_t len;
        if (bfs_lookup(tree, dir, "config.json", &a) == 0) {
            free(read_all(a.ino, &len, NULL));
            bfs_forget(tree, a.ino, 1);
        }
    }
    return NULL;
}

Test(tree, concurrent_readers_share_one_generation)
{
    pthread_t th[8];
    uint64_t dir;
    struct bfs_stats s;

    open_tree(60000, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, reader, &dir);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 1);
}

/* A container removed while it is read is ENOENT, never a bundle of errors (EIO). */
Test(tree, removed_container_is_enoent_not_eio)
{
    char rel[128];
    struct bfs_attr a;
    struct bfs_handle *h = NULL;
    bool direct;
    uint64_t dir, bad, good;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", CID2);
    fx_write(&fx, rel, "{\"Isolation\":5}");
    open_tree(1, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    bad = lookup_ok(dir, "config.json", NULL);
    good = lookup_ok(lookup_ok(BFS_ROOT_INO, CID1, NULL), "config.json", NULL);
    (void)good;
    snprintf(rel, sizeof(rel), "containers/%s", CID2);
    fx_rm(&fx, rel);
    cr_assert_eq(bfs_open(tree, bad, &h, &direct), -ENOENT, "open of a failed file, folder gone");
    {
        const char *data;
        size_t n;
        struct bfs_pin *pin;
        cr_assert_eq(bfs_read_ino(tree, bad, &data, &n, &pin), -ENOENT,
                     "a read without an open of a failed file, folder gone");
    }
    sleep_ms(5);
    cr_assert_eq(bfs_lookup(tree, dir, "layerpaths", &a), -ENOENT, "regenerating a gone container");
}

/* A version with a failed file is generated again after the trust period even when watched
 * (a transient EIO or ENOMEM heals without any change); a good watched version is not. */
Test(tree, failed_versions_are_retried_good_ones_trusted)
{
    struct bfs_watch *w = NULL;
    struct bf_error err = BF_ERROR_INIT;
    struct bfs_stats s0, s1;
    char rel[128];
    uint64_t bad_dir, good_dir;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", CID2);
    fx_write(&fx, rel, "{\"Isolation\":5}");
    open_tree(1, 0);
    cr_assert_eq(bfs_watch_start(tree, NULL, NULL, &w, &err), 0, "%s", bf_error_message(&err));
    good_dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    bad_dir = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    lookup_ok(good_dir, "config.json", NULL);
    lookup_ok(bad_dir, "config.json", NULL);
    sleep_ms(5);
    bfs_tree_stats(tree, &s0);
    lookup_ok(good_dir, "config.json", NULL);
    bfs_tree_stats(tree, &s1);
    cr_assert_eq(s1.generations, s0.generations, "watched and good: trusted");
    lookup_ok(bad_dir, "config.json", NULL);
    bfs_tree_stats(tree, &s1);
    cr_assert_eq(s1.generations, s0.generations + 1, "failed: generated again");
    cr_assert_eq(s1.validations, s0.validations, "never validated by stamps");
    bfs_watch_stop(w);
}

/* A watcher whose context is freed once it is cleared, as bfs_watch_stop frees its own. */
struct toggled_watch {
    unsigned magic;
    unsigned long calls;
};

static int toggled_add(void *ctx, const char *rel)
{
    struct toggled_watch *w = ctx;
    (void)rel;
    cr_assert_eq(w->magic, 0x5ca1ab1e, "a call with a freed or foreign context");
    __atomic_add_fetch(&w->calls, 1, __ATOMIC_RELAXED);
    sched_yield(); /* a call in flight when the watcher goes */
    return 0;
}

static void *watch_user(void *arg)
{
    volatile bool *stop = arg;
    struct bfs_attr a;
    size_t len;

    while (!*stop) {
        if (bfs_lookup(tree, BFS_ROOT_INO, CID1, &a) == 0) {
            uint64_t dir = a.ino;
            if (bfs_lookup(tree, dir, "config.json", &a) == 0) {
                free(read_all(a.ino, &len, NULL));
                bfs_forget(tree, a.ino, 1);
            }
            bfs_forget(tree, dir, 1);
        }
        if (bfs_lookup(tree, BFS_BYNAME_INO, "web", &a) == 0)
            bfs_forget(tree, a.ino, 1);
    }
    return NULL;
}

/* The watcher cleared (bfs_watch_stop) while lookups and generations call it: once
 * bfs_tree_set_watch(NULL) returns, no call of the old one is in flight or still to come. */
Test(tree, watcher_cleared_while_in_use)
{
    volatile bool stop = false;
    pthread_t th[2];

    open_tree(1, 0);
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, watch_user, (void *)&stop);
    cr_assert_eq(bfs_tree_readahead(tree, true), 0);
    for (int i = 0; i < 400; i++) {
        struct toggled_watch *w = malloc(sizeof(*w));
        cr_assert(w);
        *w = (struct toggled_watch){.magic = 0x5ca1ab1e};
        const struct bfs_watch_ops ops = {.add = toggled_add, .ctx = w};
        bfs_tree_set_watch(tree, &ops);
        sched_yield();
        bfs_tree_set_watch(tree, NULL);
        w->magic = 0;
        free(w);
    }
    stop = true;
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
}
