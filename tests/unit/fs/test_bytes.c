/* test_bytes.c - fs/bytes.c: the bounded bytes cache: eviction and regeneration, the grace period,
 * the retained bytes of replaced versions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, evicted_bytes_are_regenerated_for_the_same_inode)
{
    uint64_t dir, ino;
    size_t len, want_len;
    bool direct = true;
    char *got, *want;
    struct bfs_stats s;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(60000, 1); /* a 1-byte cache: every new bundle evicts the previous one */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino = lookup_ok(dir, "createoptions.json", NULL);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL); /* evicts CID1 */
    got = read_all(ino, &len, &direct);
    want = expected(CID1, BFS_FILE_CREATEOPTIONS, &want_len);
    cr_assert_not(direct, "same content: served as the same inode, through the page cache");
    cr_assert_eq(len, want_len);
    cr_assert_eq(memcmp(got, want, len), 0);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 3);
    cr_assert_eq(s.versions, 2);
    free(got);
    free(want);
}

/* The bytes of one generated container, as the cache counts them. */
static size_t one_bundle_cost(void)
{
    struct bfs_stats s;
    open_tree(60000, 0);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID1, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    bfs_tree_free(tree);
    tree = NULL;
    cr_assert_gt(s.cache_bytes, 0);
    return s.cache_bytes;
}

Test(tree, bytes_used_within_a_second_are_spared_up_to_twice_the_bound)
{
    struct bfs_stats s;
    size_t cost;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    cost = one_bundle_cost();
    open_tree(60000, cost + cost / 2); /* room for one and a half */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID1, NULL), "config.json", NULL);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_gt(s.cache_bytes, cost + cost / 2, "the first, just looked up, is spared");
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID3, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_leq(s.cache_bytes, 2 * (cost + cost / 2), "never beyond twice the bound");
    sleep_ms(1100);
    fx_container(&fx, "ef02000000000000000000000000000000000000000000000000000000000000", "late",
                 fx.image_hex, NULL, NULL, C3);
    lookup_ok(lookup_ok(BFS_ROOT_INO,
                        "ef02000000000000000000000000000000000000000000000000000000000000", NULL),
              "config.json", NULL); /* a new bundle: the cache is trimmed */
    bfs_tree_stats(tree, &s);
    cr_assert_leq(s.cache_bytes, cost + cost / 2, "past the grace period: down to the bound");
}

/* A read without a handle (the kernel's own open) of one file, whole or not, as op_read ends
 * it: the bytes, and whether they went whole. */
static void read_file(uint64_t ino, bool whole)
{
    struct bfs_pin *pin = NULL;
    const char *data;
    size_t len;

    cr_assert_eq(bfs_read_ino(tree, ino, &data, &len, &pin), 0);
    cr_assert_gt(len, 0);
    if (whole)
        bfs_read_unpin_whole(tree, pin, ino);
    else
        bfs_read_unpin(tree, pin);
}

/* A tree with room for one bundle and a half (CID2 there too), CID1's folder and config.json
 * looked up: the inodes of both. */
static size_t grace_tree(uint64_t *dir, uint64_t *cfg)
{
    size_t cost;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    cost = one_bundle_cost();
    open_tree(60000, cost + cost / 2);
    *dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    *cfg = lookup_ok(*dir, "config.json", NULL);
    return cost;
}

Test(tree, bytes_handed_to_the_kernel_whole_are_not_spared)
{
    struct bfs_stats s;
    size_t cost;
    uint64_t dir, cfg;

    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    cost = grace_tree(&dir, &cfg);
    read_file(cfg, true);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_gt(s.cache_bytes, cost + cost / 2, "its other files are not read yet: spared");
    read_file(lookup_ok(dir, "createoptions.json", NULL), true);
    read_file(lookup_ok(dir, "layerpaths", NULL), true); /* every file, in the kernel's pages */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL); /* CID1 the oldest */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID3, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_leq(s.cache_bytes, 2 * cost + cost / 2,
                  "within the grace period, but nothing awaits the first: it goes");
    /* its next read (the kernel dropped its pages) makes it again, the same bytes */
    read_file(cfg, true);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 4);
}

Test(tree, bytes_of_a_bundle_read_in_part_are_spared)
{
    struct bfs_stats s;
    size_t cost;
    uint64_t dir, cfg;

    cost = grace_tree(&dir, &cfg);
    lookup_ok(dir, "layerpaths", NULL); /* looked up, not read yet */
    read_file(cfg, false);                /* a part of it only */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_gt(s.cache_bytes, cost + cost / 2, "a part read: still spared");
    read_file(cfg, true);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "createoptions.json", NULL); /* a trim */
    bfs_tree_stats(tree, &s);
    cr_assert_gt(s.cache_bytes, cost + cost / 2, "layerpaths, looked up, is still awaited");
    cr_assert_eq(s.generations, 2);
}

Test(tree, a_file_the_kernel_forgot_and_looked_up_again_is_awaited_again)
{
    struct bfs_stats s;
    size_t cost;
    uint64_t dir, cfg;

    cost = grace_tree(&dir, &cfg);
    read_file(cfg, true);
    read_file(lookup_ok(dir, "createoptions.json", NULL), true);
    read_file(lookup_ok(dir, "layerpaths", NULL), true);
    bfs_forget(tree, cfg, 1); /* its inode, and the pages with it, are gone */
    cr_assert_eq(lookup_ok(dir, "config.json", NULL), cfg, "the same version's inode");
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_gt(s.cache_bytes, cost + cost / 2, "its read is awaited again: spared");
}

/* An old inode read through the newer version's bytes (its own were evicted, the file did not
 * change) fills that inode's pages, not the newer version's inode: those stay awaited. */
Test(tree, a_read_served_by_a_newer_version_delivers_nothing_of_it)
{
    static const char cid4[] = "ef04000000000000000000000000000000000000000000000000000000000000";
    struct bfs_stats s;
    size_t cost;
    uint64_t dir, lp1, lp2, g;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, cid4, "web", fx.image_hex, NULL, NULL, C3);
    cost = one_bundle_cost();
    open_tree(1, 2 * cost + cost / 2); /* room for two and a half */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    lp1 = lookup_ok(dir, "layerpaths", NULL);
    sleep_ms(1100); /* past the grace period: CID1's bundle is the one to go */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID3, NULL), "config.json", NULL);
    set_isolation(CID1, "hyperv"); /* config.json changes, layerpaths does not */
    sleep_ms(5);
    read_file(lookup_ok(dir, "config.json", NULL), true);
    read_file(lookup_ok(dir, "createoptions.json", NULL), true);
    lp2 = lookup_ok(dir, "layerpaths", NULL); /* the new version's, not read yet */
    cr_assert_neq(lp2, lp1);
    read_file(lp1, true); /* served by the new version's bytes */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID3, NULL), "config.json", NULL); /* CID1 the oldest */
    lookup_ok(lookup_ok(BFS_ROOT_INO, cid4, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    g = s.generations;
    read_file(lp2, true);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, g, "the new version's layerpaths was awaited: its bytes stayed");
}

Test(tree, the_cache_letting_go_of_an_eighth_of_its_bound_trims_at_most_every_50_ms)
{
    struct bfs_stats s;
    uint64_t cfg1;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    open_tree(60000, 1); /* a 1-byte cache: every new bundle evicts the one before */
    cfg1 = lookup_ok(lookup_ok(BFS_ROOT_INO, CID1, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.trims, 0, "nothing let go yet");
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.trims, 1, "one bundle let go: more than an eighth of the bound");
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID3, NULL), "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.trims, 1, "not again within 50 ms");
    sleep_ms(60);
    read_file(cfg1, false); /* made again: lets CID3's go */
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.trims, 2);
}

Test(tree, replaced_version_held_by_the_kernel_keeps_its_bytes)
{
    uint64_t dir, old_cfg;
    struct bfs_stats s;
    size_t cost, len, want_len;
    char *got, *want;
    int err;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    cost = one_bundle_cost();
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    open_tree(1, 2 * cost);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    old_cfg = lookup_ok(dir, "config.json", NULL);
    set_isolation(CID1, "hyperv");
    sleep_ms(5);
    cr_assert_neq(lookup_ok(dir, "config.json", NULL), old_cfg, "a new version");
    bfs_tree_stats(tree, &s);
    cr_assert_gt(s.retained_bytes, 0, "the old version's bytes are retained");
    /* the LRU turns over (and past the grace period): the retained bytes stay */
    sleep_ms(1100);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID3, NULL), "config.json", NULL);
    got = read_ino(old_cfg, &len, &err);
    cr_assert_eq(err, 0, "the old inode is still readable: %s", strerror(-err));
    cr_assert_eq(len, want_len);
    cr_assert_str_eq(got, want, "the old version, exactly");
    free(got);
    free(want);
    /* the kernel forgets the old inode: its bytes go */
    bfs_forget(tree, old_cfg, 1);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.retained_bytes, 0, "forgotten: nothing retained");
}
