/* test_inode.c - fs/inode.c: attributes (mtime, keep flags) and the kernel's references (forget).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, mtime_is_newest_input)
{
    struct bfs_attr a;
    struct stat st;
    uint64_t dir;
    char rel[128];

    /* Make hostconfig.json clearly the newest input. */
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", CID1);
    cr_assert_eq(utimensat(AT_FDCWD, fx_path(&fx, rel),
                           (struct timespec[]){{0, UTIME_OMIT}, {2000000000, 123456789}}, 0),
                 0);
    stat(fx_path(&fx, rel), &st);
    open_tree(0, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    lookup_ok(dir, "config.json", &a);
    cr_assert_eq(a.mtime_ns, 2000000000LL * 1000000000 + 123456789);
}

Test(tree, forget_releases_nodes)
{
    struct bfs_stats s;
    uint64_t dir, f;

    open_tree(0, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    lookup_ok(BFS_ROOT_INO, CID1, NULL);
    f = lookup_ok(dir, "layerpaths", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.nodes, 2);
    bfs_forget(tree, f, 1);
    bfs_forget(tree, dir, 1);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.nodes, 1, "the directory was looked up twice");
    bfs_forget(tree, dir, 1);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.nodes, 0);
    cr_assert_eq(bfs_getattr(tree, f, &(struct bfs_attr){0}), -ESTALE);
}

/* A container's and a version's inodes share one block of counts (inode.c): each inode lives
 * and goes by its own count, and one never looked up is unknown even while its block lives. */
Test(tree, inodes_of_one_block_are_counted_apart)
{
    struct bfs_stats s;
    struct bfs_attr a;
    uint64_t dir, cfg, lp;
    char *target = NULL;

    open_tree(0, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    cfg = lookup_ok(dir, "config.json", NULL);
    lp = lookup_ok(dir, "layerpaths", NULL);
    lookup_ok(dir, "layerpaths", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.nodes, 3);
    cr_assert_eq(bfs_getattr(tree, dir + 2, &a), -ESTALE, "the prefix link was never looked up");
    cr_assert_eq(bfs_readlink(tree, dir + 1, &target), -ESTALE, "nor the by-name link");
    cr_assert_eq(bfs_getattr(tree, cfg + 1, &a), -ESTALE, "nor createoptions.json");

    bfs_forget(tree, dir, 1); /* the files hold their version, and it its container */
    cr_assert_eq(bfs_getattr(tree, dir, &a), -ESTALE);
    cr_assert_eq(bfs_getattr(tree, cfg, &a), 0);
    bfs_forget(tree, cfg, 1);
    cr_assert_eq(bfs_getattr(tree, cfg, &a), -ESTALE);
    cr_assert_eq(bfs_getattr(tree, lp, &a), 0, "its sibling was looked up twice");
    bfs_forget(tree, lp, 1);
    cr_assert_eq(bfs_getattr(tree, lp, &a), 0);
    bfs_forget(tree, lp, 5); /* more than counted: gone, never below zero */
    cr_assert_eq(bfs_getattr(tree, lp, &a), -ESTALE);
    bfs_forget(tree, lp, 1);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.nodes, 0);

    /* looked up again: the same numbers while the version is the same */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    cr_assert_eq(lookup_ok(dir, "config.json", NULL), cfg);
}

Test(tree, keep_flags_follow_the_watcher)
{
    struct bf_error err = BF_ERROR_INIT;
    struct bfs_attr a;
    uint64_t dir;
    char rel[128];

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(1000, 0);
    /* polling: only what never changes is kept long (by-name's entry; its attributes follow
     * containers/'s mode) */
    lookup_ok(BFS_ROOT_INO, "by-name", &a);
    cr_assert(a.keep_entry && !a.keep_attr);
    dir = lookup_ok(BFS_ROOT_INO, CID1, &a);
    cr_assert_not(a.keep_entry || a.keep_attr, "polling: short timeouts");
    lookup_ok(dir, "config.json", &a);
    cr_assert_not(a.keep_entry || a.keep_attr, "polling: short timeouts");

    cr_assert_eq(bfs_watch_start(tree, record, &rec, &tw, &err), 0, "%s", bf_error_message(&err));
    dir = lookup_ok(BFS_ROOT_INO, CID1, &a);
    cr_assert(a.keep_entry && a.keep_attr, "watched: the container's folder");
    lookup_ok(dir, "config.json", &a);
    cr_assert(a.keep_entry && a.keep_attr, "watched: a file of a watched version");
    lookup_ok(BFS_ROOT_INO, "abc", &a);
    cr_assert_not(a.keep_entry, "prefix entries are not invalidated one by one");
    cr_assert(a.keep_attr, "a link's attributes never change");

    /* a version with a failed file is generated again after the trust period: short */
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", CID2);
    fx_write(&fx, rel, "{\"Isolation\":5}");
    dir = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    lookup_ok(dir, "config.json", &a);
    cr_assert_not(a.keep_entry || a.keep_attr, "a failed version is not kept");
}
