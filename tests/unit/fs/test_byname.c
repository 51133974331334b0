/* test_byname.c - fs/byname.c: the by-name index. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tree_fx.h"

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, by_name)
{
    char *target = NULL;
    struct bfs_dirlist *l = NULL;
    struct bfs_attr a;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "web", fx.image_hex, NULL, NULL, C3); /* a duplicate name */
    open_tree(0, 0);
    cr_assert_eq(bfs_opendir(tree, BFS_BYNAME_INO, &l, &unchanged), 0);
    cr_assert_eq(l->n, 4);
    cr_assert_str_eq(l->v[2].name, "db");
    cr_assert_str_eq(l->v[3].name, "web");
    cr_assert_eq(l->v[3].type, BFS_LNK);
    bfs_dirlist_free(l);
    lookup_ok(BFS_BYNAME_INO, "web", &a);
    cr_assert_eq(bfs_readlink(tree, a.ino, &target), 0);
    cr_assert_str_eq(target, "../" CID1, "a duplicated name goes to the first ID");
    free(target);
    cr_assert_eq(bfs_lookup(tree, BFS_BYNAME_INO, "nope", &a), -ENOENT);
}

static int fake_watch_add(void *ctx, const char *rel)
{
    (void)ctx, (void)rel;
    return 0; /* "already watched": changes are reported by the test itself */
}

Test(tree, name_index_reads_again_only_what_changed)
{
    const struct bfs_watch_ops ops = {.add = fake_watch_add};
    const char *cid4 = "ef02000000000000000000000000000000000000000000000000000000000000";
    struct bfs_stats s;
    struct bfs_attr a;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    open_tree(3600000, 0);
    bfs_tree_set_watch(tree, &ops);
    lookup_ok(BFS_BYNAME_INO, "web", NULL);
    lookup_ok(BFS_BYNAME_INO, "db", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.name_reads, 3, "the first index reads every name");

    fx_container(&fx, CID2, "db2", fx.image_hex, NULL, NULL, C3); /* renamed */
    bfs_tree_changed(tree, "containers/" CID2, "config.v2.json", NULL, NULL);
    lookup_ok(BFS_BYNAME_INO, "db2", NULL);
    cr_assert_eq(bfs_lookup(tree, BFS_BYNAME_INO, "db", &a), -ENOENT, "the old name is gone");
    lookup_ok(BFS_BYNAME_INO, "cache", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.name_reads, 4, "one container changed: one name read");

    fx_container(&fx, cid4, "late", fx.image_hex, NULL, NULL, C3); /* created */
    bfs_tree_changed(tree, "containers", cid4, NULL, NULL);
    lookup_ok(BFS_BYNAME_INO, "late", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.name_reads, 5, "a new container: its name read");

    bfs_tree_changed_all(tree, NULL, NULL); /* an overflow: everything again */
    lookup_ok(BFS_BYNAME_INO, "web", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.name_reads, 9, "after an overflow every name is read");
    bfs_tree_set_watch(tree, NULL);
}

/* A valid name longer than a directory entry: left out of by-name (its error file says so),
 * and no other entry goes missing with it. */
Test(tree, a_long_name_hides_no_other_container)
{
    static char cfg[16384], name[4200];
    const char *ids[] = {"aaa1110000000000000000000000000000000000000000000000000000000000",
                         "aaa2220000000000000000000000000000000000000000000000000000000000",
                         "fff3330000000000000000000000000000000000000000000000000000000000"};
    const char *long_id = "ccc4440000000000000000000000000000000000000000000000000000000000";
    struct bfs_attr a;
    size_t len = 0;

    fx_container(&fx, ids[0], "alpha", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, ids[1], "beta", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, ids[2], "zulu", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, long_id, "placeholder", fx.image_hex, NULL, NULL, C3);
    memset(name, 'm', 4100);
    name[4100] = '\0';
    FILE *fp = fopen(
        fx_path(&fx, "containers/ccc4440000000000000000000000000000000000000000000000000000000000/"
                     "config.v2.json"),
        "r");
    cr_assert_not_null(fp);
    size_t n = fread(cfg, 1, sizeof(cfg) - 1, fp);
    fclose(fp);
    cfg[n] = '\0';
    char *at = strstr(cfg, "\"Name\":\"/placeholder\"");
    cr_assert_not_null(at);
    static char out[16384];
    snprintf(out, sizeof(out), "%.*s\"Name\":\"/%s\"%s", (int)(at - cfg), cfg, name,
             at + strlen("\"Name\":\"/placeholder\""));
    fx_write(&fx,
             "containers/ccc4440000000000000000000000000000000000000000000000000000000000/"
             "config.v2.json",
             out);
    open_tree(60000, 0);
    const char *names[] = {"web", "alpha", "beta", "zulu"};
    for (size_t i = 0; i < 4; i++)
        cr_expect(listed(BFS_BYNAME_INO, names[i]), "%s listed", names[i]);
    cr_expect(listed(BFS_ROOT_INO, long_id), "the container itself is listed");
    uint64_t d = lookup_ok(BFS_ROOT_INO, long_id, NULL);
    uint64_t e = lookup_ok(d, "error", NULL);
    char *got = read_all(e, &len, NULL);
    cr_expect_not_null(strstr(got, "Name is 4100 bytes, more than a directory entry can be (255): "
                                   "not in by-name"),
                       "%s", got);
    free(got);
    lookup_ok(d, "config.json", NULL);
    cr_expect_eq(bfs_lookup(tree, BFS_BYNAME_INO, "mmmm", &a), -ENOENT);
}

/* The long entry timeout for by-name names (byname.c): given only while every name is
 * watched, and each given name taken back, by name, when its container's folder changes, when
 * the container leaves, when a smaller ID takes the name over, and on an overflow. */
static size_t byname_recorded(const char *name)
{
    size_t k = 0;
    pthread_mutex_lock(&rec.lock);
    for (size_t i = 0; i < rec.n; i++)
        k += rec.v[i].parent == BFS_BYNAME_INO && strcmp(rec.v[i].name, name) == 0;
    pthread_mutex_unlock(&rec.lock);
    return k;
}

Test(tree, by_name_entries_kept_while_watched_and_taken_back_by_name)
{
    const struct bfs_watch_ops ops = {.add = fake_watch_add};
    struct bfs_attr a;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    open_tree(3600000, 0);
    lookup_ok(BFS_BYNAME_INO, "db", &a);
    cr_expect(!a.keep_entry, "without a watcher: the short timeout");
    cr_expect(a.keep_attr, "a link's attributes never change");

    bfs_tree_set_watch(tree, &ops);
    bfs_tree_changed_all(tree, NULL, NULL); /* the index made unwatched is not trusted */
    lookup_ok(BFS_BYNAME_INO, "db", &a);
    cr_expect(a.keep_entry, "every name watched: the long timeout");
    lookup_ok(BFS_BYNAME_INO, "db", &a);
    cr_expect(a.keep_entry, "looked up again: the same name, still kept");
    lookup_ok(BFS_BYNAME_INO, "web", &a);
    lookup_ok(BFS_BYNAME_INO, "cache", &a);
    cr_expect(a.keep_entry);

    /* CID2 renamed (Docker rewrites config.v2.json): "db" is dropped, nothing else */
    rec_clear();
    fx_container(&fx, CID2, "db2", fx.image_hex, NULL, NULL, C3);
    bfs_tree_changed(tree, "containers/" CID2, "config.v2.json", record, &rec);
    cr_expect_eq(byname_recorded("db"), 1, "the old name dropped once");
    cr_expect_eq(byname_recorded("web") + byname_recorded("cache"), 0, "no other name");
    cr_expect_eq(bfs_lookup(tree, BFS_BYNAME_INO, "db", &a), -ENOENT);
    lookup_ok(BFS_BYNAME_INO, "db2", &a);
    cr_expect(a.keep_entry);

    /* a change in its folder that leaves the name as it is: dropped all the same (the event
     * cannot tell), and given again at the next lookup */
    rec_clear();
    bfs_tree_changed(tree, "containers/" CID3, "hostconfig.json", record, &rec);
    cr_expect_eq(byname_recorded("cache"), 1);
    lookup_ok(BFS_BYNAME_INO, "cache", &a);
    cr_expect(a.keep_entry);

    /* CID1 (the smallest ID) renamed to "db2", CID2's: CID1 takes it over, so the entry the
     * kernel holds for "db2" (CID2's link) is dropped with CID1's "web" */
    rec_clear();
    fx_container(&fx, CID1, "db2", fx.image_hex, NULL, NULL, C3);
    bfs_tree_changed(tree, "containers/" CID1, "config.v2.json", record, &rec);
    cr_expect_eq(byname_recorded("web"), 1);
    cr_expect_eq(byname_recorded("db2"), 1, "the name another container was given");
    char *target = NULL;
    lookup_ok(BFS_BYNAME_INO, "db2", &a);
    cr_assert_eq(bfs_readlink(tree, a.ino, &target), 0);
    cr_expect_str_eq(target, "../" CID1);
    free(target);

    /* a container removed, folder and all: its name dropped */
    rec_clear();
    lookup_ok(BFS_BYNAME_INO, "cache", &a);
    fx_rm(&fx, "containers/" CID3);
    bfs_tree_changed(tree, "containers", CID3, record, &rec);
    cr_expect_eq(byname_recorded("cache"), 1);
    cr_expect_eq(bfs_lookup(tree, BFS_BYNAME_INO, "cache", &a), -ENOENT);

    /* an overflow: every name given is dropped */
    rec_clear();
    lookup_ok(BFS_BYNAME_INO, "db2", &a);
    cr_expect(a.keep_entry);
    bfs_tree_changed_all(tree, record, &rec);
    cr_expect_eq(byname_recorded("db2"), 1);
    bfs_tree_set_watch(tree, NULL);
}

/* Names taken back by request threads (a lookup or a listing that finds a container gone) wait
 * for the watcher's next drain; meanwhile names are given again and taken back again. The queue
 * must hold every one of them, not just as many as are given at a time. */
Test(tree, by_name_take_backs_queued_between_drains_all_fit)
{
    const struct bfs_watch_ops ops = {.add = fake_watch_add};
    enum { K = 200 };
    char id[LS_ID_LEN + 1], name[16], rel[96];
    struct bfs_attr a;

    for (int i = 0; i < 2 * K; i++) {
        snprintf(id, sizeof(id), "fa%062d", i);
        snprintf(name, sizeof(name), "n%d", i);
        fx_container(&fx, id, name, fx.image_hex, NULL, NULL, C3);
    }
    open_tree(3600000, 0);
    bfs_tree_set_watch(tree, &ops);
    bfs_tree_changed_all(tree, NULL, NULL);
    for (int round = 0; round < 2; round++) {
        for (int i = round * K; i < (round + 1) * K; i++) {
            snprintf(name, sizeof(name), "n%d", i);
            lookup_ok(BFS_BYNAME_INO, name, &a);
            cr_assert(a.keep_entry, "%s", name);
        }
        for (int i = round * K; i < (round + 1) * K; i++) { /* gone; no event told of it */
            snprintf(id, sizeof(id), "fa%062d", i);
            snprintf(rel, sizeof(rel), "containers/%s", id);
            fx_rm(&fx, rel);
            cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, id, &a), -ENOENT);
        }
    }
    rec_clear();
    bfs_tree_names_drain(tree, record, &rec);
    for (int i = 0; i < 2 * K; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        cr_expect_eq(byname_recorded(name), 1, "%s", name);
    }
    bfs_tree_set_watch(tree, NULL);
}

/* A folder made in containers/ and filled afterwards (Docker's create): once it says a name
 * given to a larger ID, the kernel's entry for that name is dropped, so the folder's files
 * must be seen as they come even before anything lists it. */
Test(tree, by_name_new_folder_filled_later_takes_a_given_name_over)
{
    struct bf_error err = BF_ERROR_INIT;
    const char *small = "abd0000000000000000000000000000000000000000000000000000000000000";
    char *target = NULL, dir[512];
    struct bfs_attr a;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(3600000, 0);
    cr_assert_eq(bfs_watch_start(tree, record, &rec, &tw, &err), 0, "%s", bf_error_message(&err));
    lookup_ok(BFS_BYNAME_INO, "db", &a);
    cr_assert(a.keep_entry, "every name watched: the long timeout");

    rec_clear();
    snprintf(dir, sizeof(dir), "%s/containers/%s", fx.root, small);
    cr_assert_eq(mkdir(dir, 0755), 0, "%s", dir);
    cr_assert(wait_recorded(BFS_ROOT_INO, NULL), "the new folder was seen");
    rec_clear();
    fx_container(&fx, small, "db", fx.image_hex, NULL, NULL, C3); /* a duplicate, smaller ID */
    cr_assert(wait_recorded(BFS_BYNAME_INO, "db"), "the entry given to the larger ID is dropped");
    lookup_ok(BFS_BYNAME_INO, "db", &a);
    cr_assert_eq(bfs_readlink(tree, a.ino, &target), 0);
    cr_expect_str_eq(target, "../abd0000000000000000000000000000000000000000000000000000000000000");
    free(target);
}

/* A folder left without hostconfig.json becomes a container once it has settled, which no
 * event tells (the sweep finds it): a name it takes over from a larger ID that was given it
 * meanwhile is dropped then too. */
Test(tree, by_name_settled_folder_takes_a_given_name_over)
{
    const struct bfs_watch_ops ops = {.add = fake_watch_add};
    const char *small = "abd0000000000000000000000000000000000000000000000000000000000000";
    char *target = NULL, rel[160];
    struct bfs_attr a;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(200, 0);
    bfs_tree_set_watch(tree, &ops);
    bfs_tree_changed_all(tree, NULL, NULL);
    lookup_ok(BFS_BYNAME_INO, "db", &a);

    /* Docker's create stopped after config.v2.json: the folder is no container yet */
    fx_container(&fx, small, "db", fx.image_hex, NULL, NULL, C3);
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", small);
    fx_rm(&fx, rel);
    bfs_tree_changed(tree, "containers", small, NULL, NULL);
    snprintf(rel, sizeof(rel), "containers/%s", small);
    bfs_tree_changed(tree, rel, "config.v2.json", NULL, NULL);
    lookup_ok(BFS_BYNAME_INO, "db", &a);
    cr_assert_eq(bfs_readlink(tree, a.ino, &target), 0);
    cr_assert_str_eq(target, "../" CID2, "the folder being written is no container");
    free(target);
    cr_assert(a.keep_entry, "given while the smaller ID is pending");

    sleep_ms(600); /* settled, and the listing older than the trust period */
    rec_clear();
    bfs_tree_sweep(tree, record, &rec);
    cr_expect_eq(byname_recorded("db"), 1, "the entry given to the larger ID is dropped");
    lookup_ok(BFS_BYNAME_INO, "db", &a);
    cr_assert_eq(bfs_readlink(tree, a.ino, &target), 0);
    cr_expect_str_eq(target, "../abd0000000000000000000000000000000000000000000000000000000000000");
    free(target);
    bfs_tree_set_watch(tree, NULL);
}

/* Two index builds side by side: the second, started while the first is reading names, must
 * not reuse what the first has not yet put in place (each takes the marks made since the last
 * build and reuses the rest), else a rename the first took the mark of is never read again
 * and the stale name is trusted (and given with the long timeout) until its container changes
 * again. The first build is held in its watch of CID3's folder while CID2 is renamed and a
 * second lookup runs. */
static int hook_armed;
static pthread_t hook_thread;
static struct fx_done hook_done = FX_DONE_INIT;

static void *second_lookup(void *arg)
{
    struct bfs_attr a;
    (void)arg;
    bfs_lookup(tree, BFS_BYNAME_INO, "db2", &a);
    fx_done_signal(&hook_done);
    return NULL;
}

static int hooked_watch_add(void *ctx, const char *rel)
{
    (void)ctx;
    if (!hook_armed || strcmp(rel, "containers/" CID3) != 0)
        return 0;
    hook_armed = 0;
    fx_container(&fx, CID2, "db2", fx.image_hex, NULL, NULL, C3);
    bfs_tree_changed(tree, "containers/" CID2, "config.v2.json", NULL, NULL);
    pthread_create(&hook_thread, NULL, second_lookup, NULL);
    fx_done_wait(&hook_done, 300); /* the second build may finish first, or wait for this one */
    return 0;
}

Test(tree, by_name_index_builds_side_by_side_miss_no_rename)
{
    const struct bfs_watch_ops ops = {.add = hooked_watch_add};
    struct bfs_attr a;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    open_tree(3600000, 0);
    bfs_tree_set_watch(tree, &ops);
    bfs_tree_changed_all(tree, NULL, NULL);
    lookup_ok(BFS_BYNAME_INO, "db", &a);

    fx_container(&fx, CID3, "cache2", fx.image_hex, NULL, NULL, C3);
    bfs_tree_changed(tree, "containers/" CID3, "config.v2.json", NULL, NULL);
    hook_armed = 1;
    lookup_ok(BFS_BYNAME_INO, "web", &a); /* the first build, held at CID3 */
    pthread_join(hook_thread, NULL);

    cr_expect_eq(bfs_lookup(tree, BFS_BYNAME_INO, "db", &a), -ENOENT, "CID2 is db2 now");
    cr_expect_eq(bfs_lookup(tree, BFS_BYNAME_INO, "cache", &a), -ENOENT, "CID3 is cache2 now");
    lookup_ok(BFS_BYNAME_INO, "db2", &a);
    lookup_ok(BFS_BYNAME_INO, "cache2", &a);
    bfs_tree_set_watch(tree, NULL);
}
