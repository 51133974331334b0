/* test_root.c - fs/root.c: the data-root handle: gone and back. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

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

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Lines logged with the tree lock held are written once it is released, each once, in order:
 * the data-root gone, then back. */
Test(tree, dataroot_gone_and_back_are_logged_after_the_lock, .init = cr_redirect_stderr)
{
    char moved[256], out[8192] = "";
    size_t n;

    open_tree(1, 0);
    snprintf(moved, sizeof(moved), "%s.away", fx.root);
    cr_assert_eq(rename(fx.root, moved), 0);
    cr_assert(bfs_tree_check_root(tree));
    cr_assert_not(bfs_tree_check_root(tree), "still gone: said once");
    cr_assert_eq(rename(moved, fx.root), 0);
    cr_assert(bfs_tree_check_root(tree));
    fflush(stderr);
    n = fread(out, 1, sizeof(out) - 1, cr_get_redirected_stderr());
    out[n] = '\0';
    cr_assert_eq(count_of(out, "the data-root is gone; serving an empty root until it is back"), 1,
                 "%s", out);
    cr_assert_eq(count_of(out, "the data-root is back"), 1, "%s", out);
    cr_assert(strstr(out, "is gone") < strstr(out, "is back"), "%s", out);
}

struct swap_arg {
    volatile bool stop;
    unsigned long reads;
};

/* getattr of the root and by-name, and by-name's lookup, while the data-root is swapped. */
static void *static_dir_reader(void *p)
{
    struct swap_arg *a = p;
    struct bfs_attr at;

    while (!a->stop) {
        cr_assert_eq(bfs_getattr(tree, BFS_ROOT_INO, &at), 0);
        cr_assert_eq(at.type, BFS_DIR);
        cr_assert_eq(bfs_getattr(tree, BFS_BYNAME_INO, &at), 0);
        cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, BFS_BYNAME_DIR, &at), 0);
        a->reads++;
    }
    return NULL;
}

/* The watcher replaces and frees the store while the root's attributes are read from it
 * (attr_static_dir): under ASan a read of the freed store is reported. */
Test(tree, static_dir_attrs_during_dataroot_swap)
{
    struct swap_arg arg = {0};
    pthread_t th[2];
    char moved[256];

    open_tree(1, 0);
    snprintf(moved, sizeof(moved), "%s.away", fx.root);
    for (size_t i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, static_dir_reader, &arg);
    for (int i = 0; i < 300; i++) {
        cr_assert_eq(rename(fx.root, moved), 0);
        cr_assert(bfs_tree_check_root(tree));
        cr_assert_eq(rename(moved, fx.root), 0);
        cr_assert(bfs_tree_check_root(tree));
    }
    arg.stop = true;
    for (size_t i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    cr_assert_gt(arg.reads, 0);
}
