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
