/* test_root.c - fs/root.c: the data-root handle: gone and back. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, dataroot_gone_and_back)
{
    char moved[256];

    open_tree(1, 0);
    cr_assert(listed(BFS_ROOT_INO, CID1));
    snprintf(moved, sizeof(moved), "%s.away", fx.root);
    cr_assert_eq(rename(fx.root, moved), 0);
    cr_assert(bfs_tree_check_root(tree), "the store changed");
    cr_assert_not(listed(BFS_ROOT_INO, CID1), "an empty root while it is gone");
    cr_assert(listed(BFS_ROOT_INO, "by-name"));
    cr_assert_eq(rename(moved, fx.root), 0);
    cr_assert(bfs_tree_check_root(tree));
    cr_assert(listed(BFS_ROOT_INO, CID1), "back again");
    cr_assert_not(bfs_tree_check_root(tree), "no change: nothing to do");
}
