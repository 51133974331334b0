/* test_ahead.c - fs/ahead.c: readahead along a walk. */
#include <criterion/criterion.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

/* Readahead: when requests ask for containers one after the other in the root's listing
 * order, the next two are made by the tree's own thread (the request that then asks finds
 * them made); a jump elsewhere, a repeat, or readahead off makes nothing ahead. */
static const char *const ahead_ids[] = {
    "a000000000000000000000000000000000000000000000000000000000000001",
    "a000000000000000000000000000000000000000000000000000000000000002",
    "a000000000000000000000000000000000000000000000000000000000000003",
    "a000000000000000000000000000000000000000000000000000000000000004",
    "a000000000000000000000000000000000000000000000000000000000000005",
    "a000000000000000000000000000000000000000000000000000000000000006",
    "a000000000000000000000000000000000000000000000000000000000000007",
    "a000000000000000000000000000000000000000000000000000000000000008",
};

static void list_folder(const char *id)
{
    struct bfs_dirlist *l = NULL;
    uint64_t dir = lookup_ok(BFS_ROOT_INO, id, NULL);

    cr_assert_eq(bfs_readdir(tree, dir, 0, 100, false, &l), 0);
    bfs_dirlist_free(l);
}

static uint64_t readahead_count(void)
{
    struct bfs_stats s;
    bfs_tree_stats(tree, &s);
    return s.readahead;
}

/* Wait (at most 10 s: a bound on a background thread, not a timing) for the count to reach n. */
static uint64_t readahead_wait(uint64_t n)
{
    for (int i = 0; i < 1000 && readahead_count() < n; i++)
        sleep_ms(10);
    return readahead_count();
}

Test(tree, readahead_follows_a_walk)
{
    struct bfs_dirlist *l = NULL;
    struct bfs_stats s0, s1;

    for (size_t i = 0; i < 8; i++)
        fx_container(&fx, ahead_ids[i], NULL, fx.image_hex, NULL, NULL, C3);
    open_tree(60000, 0);
    cr_assert_eq(bfs_tree_readahead(tree, true), 0);
    cr_assert_eq(bfs_readdir(tree, BFS_ROOT_INO, 0, 100, false, &l), 0); /* the listing */
    bfs_dirlist_free(l);

    list_folder(ahead_ids[0]);
    list_folder(ahead_ids[0]);
    sleep_ms(50);
    cr_assert_eq(readahead_count(), 0, "one container asked for twice: no walk yet");
    list_folder(ahead_ids[1]);
    cr_assert_eq(readahead_wait(2), 2, "the next two after a step along the listing");
    /* the walk's next requests find them made (readahead off: its thread is idle) */
    cr_assert_eq(bfs_tree_readahead(tree, false), 0);
    bfs_tree_stats(tree, &s0);
    list_folder(ahead_ids[2]);
    list_folder(ahead_ids[3]);
    bfs_tree_stats(tree, &s1);
    cr_assert_eq(s1.generations, s0.generations, "made ahead: no generation when asked for");

    cr_assert_eq(bfs_tree_readahead(tree, true), 0);
    list_folder(ahead_ids[3]);
    list_folder(ahead_ids[4]);
    cr_assert_eq(readahead_wait(4), 4, "the walk goes on: ids[5] and ids[6]");
    sleep_ms(50);
    cr_assert_eq(readahead_count(), 4);

    /* a step back starts nothing (ids[7] is not made ahead) */
    list_folder(ahead_ids[6]);
    list_folder(ahead_ids[5]);
    sleep_ms(100);
    cr_assert_eq(readahead_count(), 4, "not a walk along the listing");
}
