/* test_notify.c - fs/notify.c: change notification: the watcher's events, what the kernel is told
 * to drop, the sweep, events in the layers' folder. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, watcher_sees_changes)
{
    struct bfs_watch *w = NULL;
    struct bf_error err = BF_ERROR_INIT;
    struct bfs_stats s;
    uint64_t dir, ino1, ino2 = 0;

    open_tree(3600000, 0); /* an hour: only the watcher can make it look again */
    cr_assert_eq(bfs_watch_start(tree, NULL, NULL, &w, &err), 0, "%s", bf_error_message(&err));
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino1 = lookup_ok(dir, "config.json", NULL);
    set_isolation(CID1, "hyperv");
    for (int i = 0; i < 500; i++) { /* bounded: 5 s */
        ino2 = lookup_ok(dir, "config.json", NULL);
        if (ino2 != ino1)
            break;
        sleep_ms(10);
    }
    cr_assert_neq(ino2, ino1, "the watcher marked the container stale");
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.versions, 2);
    bfs_watch_stop(w);
}

Test(tree, watcher_drops_what_the_kernel_keeps)
{
    struct bf_error err = BF_ERROR_INIT;
    const char *cid4 = "ef02000000000000000000000000000000000000000000000000000000000000";
    struct bfs_dirlist *l = NULL;
    uint64_t dir;
    char rel[160];

    open_tree(3600000, 0);
    rec_clear();
    cr_assert_eq(bfs_watch_start(tree, record, &rec, &tw, &err), 0, "%s", bf_error_message(&err));
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    lookup_ok(dir, "config.json", NULL);
    cr_assert_eq(bfs_readdir(tree, dir, 0, 100, false, &l), 0);
    bfs_dirlist_free(l);

    /* a container's input: its file entries and its folder (attributes, listing) */
    set_isolation(CID1, "hyperv");
    cr_assert(wait_recorded(dir, "config.json"), "the file entry is dropped");
    cr_assert(wait_recorded(dir, NULL), "the folder's attributes and listing are dropped");
    cr_assert(wait_recorded(BFS_BYNAME_INO, NULL), "by-name's listing (a name may change)");
    cr_assert_not(recorded(BFS_ROOT_INO, NULL), "the root lists the same containers");

    /* a new container: the root's listing */
    rec_clear();
    fx_container(&fx, cid4, "late", fx.image_hex, NULL, NULL, C3);
    cr_assert(wait_recorded(BFS_ROOT_INO, NULL), "the root's listing is dropped");
    cr_assert(wait_recorded(BFS_ROOT_INO, cid4), "and the new name's entry");

    /* a shared input (the image): every container's entries */
    rec_clear();
    snprintf(rel, sizeof(rel), "image/windowsfilter/imagedb/content/sha256/%s", fx.image_hex);
    {
        char full[512];
        snprintf(full, sizeof(full), "%s/%s", fx.root, rel);
        FILE *f = fopen(full, "a");
        cr_assert_not_null(f, "%s", full);
        fclose(f);
    }
    cr_assert(wait_recorded(dir, "config.json"), "an image change drops every container's files");
    cr_assert(wait_recorded(dir, NULL));

    /* everything: every container's root entry too */
    rec_clear();
    bfs_tree_changed_all(tree, record, &rec);
    cr_assert(recorded(BFS_ROOT_INO, CID1));
    cr_assert(recorded(dir, "config.json"));
    cr_assert(recorded(BFS_ROOT_INO, NULL));
    cr_assert(recorded(BFS_BYNAME_INO, NULL));
}

Test(tree, sweep_drops_listings_the_watcher_cannot)
{
    struct bfs_dirlist *l = NULL;
    uint64_t dir;

    open_tree(1, 0); /* polling, trusted for 1 ms */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    rec_clear();
    bfs_tree_sweep(tree, record, &rec);
    cr_assert_not(recorded(dir, NULL), "never listed: nothing to drop");
    cr_assert_eq(bfs_readdir(tree, dir, 0, 100, false, &l), 0);
    bfs_dirlist_free(l);
    bfs_tree_sweep(tree, record, &rec);
    cr_assert(recorded(dir, NULL), "listed, not watched: dropped at the sweep");
    rec_clear();
    bfs_tree_sweep(tree, record, &rec);
    cr_assert_not(recorded(dir, NULL), "not listed since: nothing to drop");
}

/* Events in the layers' folder: Docker makes folders there for every container it creates. A
 * folder no bundle read is nobody's; a container's own layer folder is that container's; a
 * cached image's layer is everyone's (as is anything unsure). */
Test(tree, layer_folder_events_concern_only_their_bundles)
{
    struct bfs_stats s;
    uint64_t d1, d2;
    const char *other = "9999999999999999999999999999999999999999999999999999999999999999";

    fx_container(&fx, CID2, "api", fx.image_hex, NULL, NULL, C3);
    fx_mkdir(&fx, "windowsfilter/" CID1);
    fx_mkdir(&fx, "windowsfilter/" CID2);
    open_tree(3600000, 0); /* an hour: only an event makes a version look again */
    d1 = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    d2 = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    lookup_ok(d1, "config.json", NULL);
    lookup_ok(d2, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 2);
    cr_assert_eq(s.validations, 0);

    /* a new container's folders: nobody's */
    fx_mkdir(&fx, "windowsfilter/"
                  "9999999999999999999999999999999999999999999999999999999999999999");
    bfs_tree_changed(tree, "windowsfilter", other, NULL, NULL);
    bfs_tree_changed(tree,
                     "windowsfilter/"
                     "9999999999999999999999999999999999999999999999999999999999999999",
                     "Files", NULL, NULL);
    lookup_ok(d1, "config.json", NULL);
    lookup_ok(d2, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_expect_eq(s.validations, 0, "no bundle is re-checked for another container's folder");
    cr_expect_eq(s.events_ignored, 2);

    /* CID2's own layer folder: CID2 alone */
    bfs_tree_changed(tree, "windowsfilter", CID2, NULL, NULL);
    lookup_ok(d1, "config.json", NULL);
    lookup_ok(d2, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_expect_eq(s.validations, 1, "only the container whose folder it is");

    /* a layer of the cached image, or inside one: everyone's */
    bfs_tree_changed(tree, "windowsfilter", CACHE2, NULL, NULL);
    lookup_ok(d1, "config.json", NULL);
    lookup_ok(d2, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_expect_eq(s.validations, 3);
    bfs_tree_changed(tree, "windowsfilter/" CACHE1, "UtilityVM", NULL, NULL);
    lookup_ok(d1, "config.json", NULL);
    lookup_ok(d2, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_expect_eq(s.validations, 5);
    /* the driver's folder itself, or a name that is no layer's: everyone's */
    bfs_tree_changed(tree, "windowsfilter", NULL, NULL, NULL);
    bfs_tree_changed(tree, "windowsfilter", "not-a-layer", NULL, NULL);
    lookup_ok(d1, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_expect_eq(s.validations, 6);
    cr_expect_eq(s.generations, 2, "validated, never generated again");
}

/* The json-file log driver appends to containers/<id>/<id>-json.log on every line a container
 * prints (and rotates it to .1, .2.gz, ...): nothing of a bundle reads it, so those events make
 * nothing stale and drop nothing the kernel keeps; a name that only looks like one is still an
 * event of the container. */
Test(tree, json_file_log_writes_concern_no_bundle)
{
    struct bfs_stats s0, s1;
    struct bfs_attr a;
    uint64_t dir;
    size_t len;
    char *data;
    const char *logs[] = {CID1 "-json.log", CID1 "-json.log.1", CID1 "-json.log.12.gz"};
    const char *not_logs[] = {CID1 "-json.log.x", CID1 "-json.log.1.bz2", CID2 "-json.log",
                              CID1 "-json.logs", "config.v2.json"};

    open_tree(3600000, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    uint64_t ino = lookup_ok(dir, "config.json", NULL);
    data = read_all(ino, &len, NULL);
    free(data);
    bfs_tree_stats(tree, &s0);
    for (size_t i = 0; i < sizeof(logs) / sizeof(*logs); i++) {
        rec_clear();
        bfs_tree_changed(tree, "containers/" CID1, logs[i], record, &rec);
        cr_expect_eq(rec.n, 0, "%s: %zu invalidations", logs[i], rec.n);
    }
    bfs_tree_stats(tree, &s1);
    cr_expect_eq(s1.events_ignored, s0.events_ignored + 3);
    cr_expect_eq(lookup_ok(dir, "config.json", &a), ino, "the same version");
    cr_expect_eq(s1.versions, s0.versions);
    for (size_t i = 0; i < sizeof(not_logs) / sizeof(*not_logs); i++) {
        rec_clear();
        bfs_tree_changed(tree, "containers/" CID1, not_logs[i], record, &rec);
        cr_expect(recorded(dir, NULL), "%s: an event of the container", not_logs[i]);
    }
}
