/* test_ids.c - fs/ids.c: the container ID snapshots: containers that go, folders Docker is
 * still writing, and prefixes before any listing. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <stdlib.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, removed_container_disappears)
{
    char rel[128];
    struct bfs_attr a;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(1, 0);
    lookup_ok(BFS_ROOT_INO, CID2, NULL);
    cr_assert(listed(BFS_ROOT_INO, CID2));
    snprintf(rel, sizeof(rel), "containers/%s", CID2);
    fx_rm(&fx, rel);
    cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, CID2, &a), -ENOENT);
    cr_assert_not(listed(BFS_ROOT_INO, CID2));
    cr_assert(listed(BFS_ROOT_INO, CID1));
}

/* Docker's own order for a new container: the folder, config.v2.json (through a .tmp- file),
 * then hostconfig.json. In between it is no container: not listed, lookups ENOENT. A folder
 * without hostconfig.json that stays still for the trust period is one (an empty HostConfig). */
static void docker_creates(const char *id, bool with_hostconfig)
{
    char dir[128], rel[160], cfg[4096];
    snprintf(dir, sizeof(dir), "containers/%s", id);
    fx_container(&fx, id, "new", fx.image_hex, NULL, NULL, C3);
    snprintf(rel, sizeof(rel), "%s/config.v2.json", dir);
    FILE *fp = fopen(fx_path(&fx, rel), "r");
    cr_assert_not_null(fp);
    size_t n = fread(cfg, 1, sizeof(cfg) - 1, fp);
    fclose(fp);
    cfg[n] = '\0';
    fx_rm(&fx, dir);
    fx_mkdir(&fx, dir);
    snprintf(rel, sizeof(rel), "%s/.tmp-config.v2.json77", dir);
    fx_write(&fx, rel, cfg);
    char to[160];
    snprintf(to, sizeof(to), "%s/config.v2.json", dir);
    fx_mv(&fx, rel, to);
    if (with_hostconfig) {
        snprintf(rel, sizeof(rel), "%s/.tmp-hostconfig.json88", dir);
        fx_write(&fx, rel, "{\"Isolation\":\"process\"}");
        snprintf(to, sizeof(to), "%s/hostconfig.json", dir);
        fx_mv(&fx, rel, to);
    }
}

/* Before the root is ever listed, a prefix is answered from the IDs as listed, looking only at
 * those with the prefix: a folder being written is left out, as a listing leaves it out. */
Test(tree, prefix_before_any_listing)
{
    const char *id3 = "abe7890000000000000000000000000000000000000000000000000000000000";
    char *target = NULL;
    struct bfs_attr a;

    docker_creates(id3, false);
    open_tree(1000, 0);
    lookup_ok(BFS_ROOT_INO, "ab", &a);
    cr_assert_eq(bfs_readlink(tree, a.ino, &target), 0);
    cr_expect_str_eq(target, CID1, "the folder being written does not make it ambiguous");
    free(target);
    target = NULL;
    cr_expect_eq(bfs_lookup(tree, BFS_ROOT_INO, "abe", &a), -ENOENT, "being written");
    cr_expect_eq(bfs_lookup(tree, BFS_ROOT_INO, "abc1231", &a), -ENOENT, "unknown");
    cr_expect(listed(BFS_ROOT_INO, CID1));
    cr_expect(!listed(BFS_ROOT_INO, id3));
    lookup_ok(BFS_ROOT_INO, "ab", &a); /* from the listing now */
    cr_assert_eq(bfs_readlink(tree, a.ino, &target), 0);
    cr_expect_str_eq(target, CID1);
    free(target);
    cr_expect_eq(bfs_lookup(tree, BFS_ROOT_INO, "abe", &a), -ENOENT);
}

Test(tree, a_container_being_written_is_not_one_yet)
{
    const char *id3 = "abe7890000000000000000000000000000000000000000000000000000000000";
    const char *id4 = "abf0120000000000000000000000000000000000000000000000000000000000";
    struct bfs_attr a;
    size_t len = 0;

    open_tree(1000, 0);
    cr_assert(listed(BFS_ROOT_INO, CID1));
    docker_creates(id3, false);
    cr_expect(!listed(BFS_ROOT_INO, id3), "being written: not listed");
    cr_expect(listed(BFS_ROOT_INO, CID1));
    cr_expect_eq(bfs_lookup(tree, BFS_ROOT_INO, id3, &a), -ENOENT);
    cr_expect_eq(bfs_lookup(tree, BFS_ROOT_INO, "abe789", &a), -ENOENT, "nor by prefix");
    /* hostconfig.json written: a container at once */
    fx_write(&fx,
             "containers/abe7890000000000000000000000000000000000000000000000000000000000"
             "/hostconfig.json",
             "{\"Isolation\":\"process\"}");
    cr_expect(listed(BFS_ROOT_INO, id3));
    uint64_t d3 = lookup_ok(BFS_ROOT_INO, id3, NULL);
    lookup_ok(d3, "config.json", NULL);
    lookup_ok(BFS_ROOT_INO, "abe789", NULL);

    /* a folder without hostconfig.json, still for the trust period: an empty HostConfig */
    docker_creates(id4, false);
    cr_expect(!listed(BFS_ROOT_INO, id4));
    sleep_ms(1100);
    cr_expect(listed(BFS_ROOT_INO, id4));
    uint64_t d4 = lookup_ok(BFS_ROOT_INO, id4, NULL);
    uint64_t f = lookup_ok(d4, "layerpaths", NULL);
    char *got = read_all(f, &len, NULL);
    char *want = expected(id4, BFS_FILE_LAYERPATHS, &len);
    cr_expect_str_eq(got, want);
    free(got);
    free(want);
    f = lookup_ok(d4, "config.json", NULL);
    got = read_all(f, &len, NULL);
    want = expected(id4, BFS_FILE_CONFIG, &len);
    cr_expect_str_eq(got, want);
    free(got);
    free(want);

    /* Docker removing id3 file by file, hostconfig.json first: the watcher's event makes the
     * next listing look at it again (ENOENT and not listed while its folder changes) */
    fx_rm(&fx, "containers/abe7890000000000000000000000000000000000000000000000000000000000"
               "/hostconfig.json");
    cr_expect(listed(BFS_ROOT_INO, id3), "no event yet: an ID listed before is not looked at");
    bfs_tree_changed(tree,
                     "containers/abe7890000000000000000000000000000000000000000000000000000000000",
                     "hostconfig.json", NULL, NULL);
    cr_expect(!listed(BFS_ROOT_INO, id3), "being removed: not listed");
    cr_expect_eq(bfs_lookup(tree, BFS_ROOT_INO, id3, &a), -ENOENT);
    /* config.v2.json first (files go in no fixed order; NTFS lists names alphabetically):
     * no container, ENOENT for its files as for the folder, never EIO */
    uint64_t d2 = lookup_ok(BFS_ROOT_INO, id4, NULL);
    fx_rm(&fx, "containers/abf0120000000000000000000000000000000000000000000000000000000000"
               "/config.v2.json");
    bfs_tree_changed(tree,
                     "containers/abf0120000000000000000000000000000000000000000000000000000000000",
                     "config.v2.json", NULL, NULL);
    cr_expect_eq(bfs_lookup(tree, d2, "config.json", &a), -ENOENT);
    cr_expect_eq(bfs_lookup(tree, BFS_ROOT_INO, id4, &a), -ENOENT);
    cr_expect(!listed(BFS_ROOT_INO, id4));
    /* a rewrite (a new file renamed over it) is no removal */
    fx_write(&fx, "containers/" CID1 "/hostconfig.json", "{\"Isolation\":\"process\"}");
    bfs_tree_changed(tree, "containers/" CID1, "hostconfig.json", NULL, NULL);
    cr_expect(listed(BFS_ROOT_INO, CID1));
}

/* Two listings side by side: the second, started while the first is looking at folders, must
 * not trust what the first has not yet put in place (each takes the rechecks made since the
 * last listing and trusts the rest), else a container the first took the recheck of stays
 * listed after it went. The first listing is held in its watch of a pending folder while
 * CID3 loses its hostconfig.json and a second listing runs. */
#define PENDING_ID "ab00000000000000000000000000000000000000000000000000000000000000"
static int hold_armed;
static pthread_t hold_thread;
static struct fx_done hold_done = FX_DONE_INIT;

static void *second_listing(void *arg)
{
    struct bfs_dirlist *l = NULL;
    (void)arg;
    if (bfs_opendir(tree, BFS_ROOT_INO, &l, &unchanged) == 0)
        bfs_dirlist_free(l);
    fx_done_signal(&hold_done);
    return NULL;
}

static int holding_watch_add(void *ctx, const char *rel)
{
    (void)ctx;
    if (!hold_armed || strcmp(rel, "containers/" PENDING_ID) != 0)
        return 0;
    hold_armed = 0;
    fx_rm(&fx, "containers/" CID3 "/hostconfig.json");
    bfs_tree_changed(tree, "containers/" CID3, "hostconfig.json", NULL, NULL);
    pthread_create(&hold_thread, NULL, second_listing, NULL);
    fx_done_wait(&hold_done, 300); /* the second may finish first, or wait for this one */
    return 0;
}

Test(tree, listings_side_by_side_miss_no_recheck)
{
    const struct bfs_watch_ops ops = {.add = holding_watch_add};

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, PENDING_ID, "pending", fx.image_hex, NULL, NULL, C3);
    fx_rm(&fx, "containers/" PENDING_ID "/hostconfig.json");
    fx_write(&fx, "containers/" PENDING_ID "/.tmp-hostconfig.json1", "{}"); /* being written */
    open_tree(3600000, 0);
    bfs_tree_set_watch(tree, &ops);
    bfs_tree_changed_all(tree, NULL, NULL);
    cr_assert(listed(BFS_ROOT_INO, CID2));
    cr_assert(listed(BFS_ROOT_INO, CID3));
    cr_assert_not(listed(BFS_ROOT_INO, PENDING_ID));

    fx_rm(&fx, "containers/" CID2 "/hostconfig.json"); /* no container while it settles */
    bfs_tree_changed(tree, "containers/" CID2, "hostconfig.json", NULL, NULL);
    hold_armed = 1;
    listed(BFS_ROOT_INO, CID1); /* the first listing, held at the pending folder */
    pthread_join(hold_thread, NULL);

    cr_expect_not(listed(BFS_ROOT_INO, CID2), "CID2 lost its hostconfig.json");
    cr_expect_not(listed(BFS_ROOT_INO, CID3), "CID3 lost its hostconfig.json");
    cr_expect(listed(BFS_ROOT_INO, CID1));
    bfs_tree_set_watch(tree, NULL);
}
