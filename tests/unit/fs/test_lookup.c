/* test_lookup.c - fs/lookup.c: lookups of ID prefixes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, prefixes)
{
    char *target = NULL;
    struct bfs_attr a;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(0, 0);
    lookup_ok(BFS_ROOT_INO, "abc", &a);
    cr_assert_eq(a.type, BFS_LNK);
    cr_assert_eq(a.size, 64);
    cr_assert_eq(bfs_readlink(tree, a.ino, &target), 0);
    cr_assert_str_eq(target, CID1);
    free(target);
    cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, "ab", &a), -ENOENT, "ambiguous");
    cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, "f", &a), -ENOENT, "unknown");
    cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, "web", &a), -ENOENT, "names live in by-name");
    cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, "ABC", &a), -ENOENT, "IDs are lowercase");
    cr_assert_not(listed(BFS_ROOT_INO, "abc"), "prefixes are not listed");
}

/* Prefixes come from a cached ID list: a container created or removed afterwards is seen
 * (here after the trust period; with a watcher, at its event). */
Test(tree, prefixes_follow_changes)
{
    struct bfs_attr a;
    char rel[128];

    open_tree(1, 0);
    cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, "ef0", &a), -ENOENT);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    sleep_ms(5);
    lookup_ok(BFS_ROOT_INO, "ef0", &a);
    cr_assert_eq(a.type, BFS_LNK);
    snprintf(rel, sizeof(rel), "containers/%s", CID3);
    fx_rm(&fx, rel);
    sleep_ms(5);
    cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, "ef0", &a), -ENOENT);
}
