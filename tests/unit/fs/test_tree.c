/* test_tree.c - the bundlefs namespace without FUSE: lookups, listings, versions, snapshots,
 * the bytes cache, freshness (polling and inotify), prefixes, by-name, broken containers and
 * a data-root that goes away and comes back.
 *
 * Expected bytes come from spec_bundle_generate() called directly (the contract is that the
 * filesystem serves exactly what the spec module renders); inode and errno behaviour is
 * asserted from the rules in fs/tree.h.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../layerstore/fixture.h"
#include "tree.h"
#include "watch.h"

static struct fx fx;
static struct bfs_tree *tree;
static bool unchanged; /* bfs_opendir's answer, for the tests that look at it */

static void setup(void)
{
    fx_std(&fx, "windowsfilter");
}

static struct bfs_watch *tw; /* a test's watcher, stopped even when the test fails */

static void teardown(void)
{
    bfs_watch_stop(tw);
    tw = NULL;
    bfs_tree_free(tree);
    tree = NULL;
    fx_cleanup(&fx);
}

static void open_tree(unsigned trust_ms, size_t cache_bytes)
{
    struct bfs_tree_options o = {.spec = {.format = SPEC_FORMAT_OCI, .host_cpus = 2},
                                 .trust_ms = trust_ms,
                                 .cache_bytes = cache_bytes};
    struct bf_error err = BF_ERROR_INIT;
    int r = bfs_tree_new(fx.root, &o, &tree, &err);
    cr_assert_eq(r, 0, "bfs_tree_new: %s", bf_error_message(&err));
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* The bytes spec_bundle_generate gives for file f of container id (as bundlefsctl prints). */
static char *expected(const char *id, int f, size_t *len)
{
    struct ls_options lo = {0};
    struct spec_options so = {.format = SPEC_FORMAT_OCI, .host_cpus = 2};
    struct layerstore *ls = NULL;
    struct spec_bundle *b = NULL;
    struct bf_error err = BF_ERROR_INIT;
    char *out;

    cr_assert_eq(layerstore_open(fx.root, &lo, &ls, &err), 0);
    cr_assert_eq(spec_bundle_generate(ls, id, &so, &b, &err), 0);
    if (f == BFS_FILE_ERROR) {
        *len = b->errors_len;
        out = b->errors ? strdup(b->errors) : strdup("");
    } else {
        cr_assert_eq(b->files[f].err.code, 0, "%s", bf_error_message(&b->files[f].err));
        *len = b->files[f].len;
        out = strdup(b->files[f].data);
    }
    spec_bundle_free(b);
    layerstore_close(ls);
    return out;
}

static uint64_t lookup_ok(uint64_t parent, const char *name, struct bfs_attr *a)
{
    struct bfs_attr tmp;
    int r = bfs_lookup(tree, parent, name, a ? a : &tmp);
    cr_assert_eq(r, 0, "lookup %s: %s", name, strerror(-r));
    return a ? a->ino : tmp.ino;
}

/* What a read of handle h returns (a copy, NUL-terminated). */
static char *read_handle(struct bfs_handle *h, size_t *len)
{
    struct bfs_pin *pin = NULL;
    const char *data;
    char *copy;

    cr_assert_eq(bfs_read_pin(tree, h, &data, len, &pin), 0);
    copy = malloc(*len + 1);
    memcpy(copy, data, *len);
    copy[*len] = '\0';
    bfs_read_unpin(tree, pin);
    return copy;
}

static char *read_all(uint64_t ino, size_t *len, bool *direct)
{
    struct bfs_handle *h = NULL;
    bool d = false;
    int r = bfs_open(tree, ino, &h, &d);
    char *copy;

    cr_assert_eq(r, 0, "open: %s", strerror(-r));
    copy = read_handle(h, len);
    bfs_release(tree, h);
    if (direct)
        *direct = d;
    return copy;
}

static bool listed(uint64_t ino, const char *name)
{
    struct bfs_dirlist *l = NULL;
    bool found = false;

    cr_assert_eq(bfs_opendir(tree, ino, &l, &unchanged), 0);
    for (size_t i = 0; i < l->n; i++)
        found |= strcmp(l->v[i].name, name) == 0;
    bfs_dirlist_free(l);
    return found;
}

static void set_isolation(const char *id, const char *iso)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", id);
    fx_writef(&fx, rel, "{\"Isolation\":\"%s\",\"NetworkMode\":\"nat\"}", iso);
}

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, root_listing_and_container_files)
{
    struct bfs_dirlist *l = NULL;
    struct bfs_attr a;
    uint64_t dir;

    open_tree(0, 0);
    cr_assert_eq(bfs_opendir(tree, BFS_ROOT_INO, &l, &unchanged), 0);
    cr_assert_eq(l->n, 4);
    cr_assert_str_eq(l->v[0].name, ".");
    cr_assert_str_eq(l->v[1].name, "..");
    cr_assert_str_eq(l->v[2].name, "by-name");
    cr_assert_str_eq(l->v[3].name, CID1);
    cr_assert_eq(l->v[3].type, BFS_DIR);
    bfs_dirlist_free(l);

    dir = lookup_ok(BFS_ROOT_INO, CID1, &a);
    cr_assert_eq(a.type, BFS_DIR);
    cr_assert_eq(a.perm, 0550, "the fixture writes 0644 files: group-readable -> 0550");
    cr_assert(listed(dir, "config.json"));
    cr_assert(listed(dir, "createoptions.json"));
    cr_assert(listed(dir, "layerpaths"));
    cr_assert_not(listed(dir, "utilityvm"), "process isolation: no utility VM link");
    cr_assert_not(listed(dir, "error"), "nothing failed: no error file");

    for (int f = BFS_FILE_CONFIG; f <= BFS_FILE_LAYERPATHS; f++) {
        static const char *const names[] = {"config.json", "createoptions.json", "layerpaths"};
        size_t want_len, got_len;
        char *want = expected(CID1, f, &want_len), *got;
        uint64_t ino = lookup_ok(dir, names[f], &a);
        cr_assert_eq(a.type, BFS_REG);
        cr_assert_eq(a.perm, 0440);
        cr_assert_eq(a.size, want_len, "%s: st_size is the exact length", names[f]);
        got = read_all(ino, &got_len, NULL);
        cr_assert_eq(got_len, want_len);
        cr_assert_eq(memcmp(got, want, want_len), 0, "%s: bytes as spec renders them", names[f]);
        free(want);
        free(got);
    }
}

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

Test(tree, content_change_gives_new_inode_and_open_keeps_snapshot)
{
    struct bfs_handle *h = NULL;
    size_t len, len2;
    bool direct = false;
    uint64_t dir, ino1, ino2;
    char *before, *after;

    open_tree(1, 0); /* polling: trusted for 1 ms */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino1 = lookup_ok(dir, "config.json", NULL);
    cr_assert_eq(bfs_open(tree, ino1, &h, &direct), 0);
    cr_assert_not(direct);
    before = read_handle(h, &len);

    set_isolation(CID1, "hyperv");
    sleep_ms(5);
    ino2 = lookup_ok(dir, "config.json", NULL);
    cr_assert_neq(ino2, ino1, "new bytes, new inode");
    after = read_all(ino2, &len2, NULL);
    cr_assert(strstr(after, "\"hyperv\""), "the new version is Hyper-V");
    cr_assert_null(strstr(before, "\"hyperv\""));

    /* The handle opened before the change still reads the old version, whole. */
    free(after);
    after = read_handle(h, &len);
    cr_assert_eq(len, strlen(before));
    cr_assert_str_eq(after, before);
    bfs_release(tree, h);
    free(before);
    free(after);
}

Test(tree, unchanged_content_keeps_inode)
{
    uint64_t dir, ino1, ino2;
    struct bfs_stats s;

    open_tree(1, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino1 = lookup_ok(dir, "layerpaths", NULL);
    /* Rewrite hostconfig.json with the same isolation: an input changed, the bytes did not. */
    set_isolation(CID1, "process");
    sleep_ms(5);
    ino2 = lookup_ok(dir, "layerpaths", NULL);
    cr_assert_eq(ino2, ino1);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 2, "regenerated once after the change");
    cr_assert_eq(s.versions, 1, "but no new version");
}

Test(tree, fresh_version_is_not_regenerated)
{
    uint64_t dir;
    struct bfs_stats s;

    open_tree(60000, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    for (int i = 0; i < 10; i++)
        lookup_ok(dir, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 1);
    cr_assert_eq(s.validations, 0);
}

Test(tree, stale_version_is_validated_not_regenerated)
{
    uint64_t dir;
    struct bfs_stats s;

    open_tree(1, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    lookup_ok(dir, "config.json", NULL);
    sleep_ms(5);
    lookup_ok(dir, "config.json", NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 1, "inputs unchanged: no second generation");
    cr_assert_eq(s.validations, 1, "one re-stat pass");
}

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

Test(tree, evicted_and_changed_is_served_direct)
{
    uint64_t dir, ino;
    size_t len;
    bool direct = false;
    char *got;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(1, 1);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino = lookup_ok(dir, "config.json", NULL);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    set_isolation(CID1, "hyperv");
    sleep_ms(5);
    got = read_all(ino, &len, &direct);
    cr_assert(direct, "the old inode's size is wrong for the new bytes: bypass the page cache");
    cr_assert(strstr(got, "\"hyperv\""));
    free(got);
}

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

Test(tree, broken_container_has_error_file_and_others_work)
{
    char rel[256];
    struct bfs_attr a;
    struct bfs_handle *h = NULL;
    bool direct;
    uint64_t dir, bad;
    size_t len, want_len;
    char *got, *want;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", CID2);
    fx_write(&fx, rel, "{\"Isolation\":5}");
    open_tree(0, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    cr_assert(listed(dir, "error"));
    cr_assert(listed(dir, "config.json"), "a failed file is still listed");
    bad = lookup_ok(dir, "config.json", &a);
    cr_assert_eq(a.size, 1, "a failed file has size 1: the kernel must ask for its bytes");
    cr_assert_eq(bfs_open(tree, bad, &h, &direct), -EIO);
    {
        const char *data;
        size_t n;
        struct bfs_pin *pin;
        cr_assert_eq(bfs_read_ino(tree, bad, &data, &n, &pin), -EIO, "a read without an open");
    }
    got = read_all(lookup_ok(dir, "error", NULL), &len, NULL);
    want = expected(CID2, BFS_FILE_ERROR, &want_len);
    cr_assert_eq(len, want_len);
    cr_assert_str_eq(got, want);
    cr_assert(strstr(got, "hostconfig.json"), "the message names the file: %s", got);
    free(got);
    free(want);

    /* The other container is untouched. */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    cr_assert_not(listed(dir, "error"));
    got = read_all(lookup_ok(dir, "config.json", NULL), &len, NULL);
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_eq(len, want_len);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
}

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

static void *reader(void *arg)
{
    uint64_t dir = *(uint64_t *)arg;
    for (int i = 0; i < 50; i++) {
        struct bfs_attr a;
        size_t len;
        if (bfs_lookup(tree, dir, "config.json", &a) == 0) {
            free(read_all(a.ino, &len, NULL));
            bfs_forget(tree, a.ino, 1);
        }
    }
    return NULL;
}

Test(tree, concurrent_readers_share_one_generation)
{
    pthread_t th[8];
    uint64_t dir;
    struct bfs_stats s;

    open_tree(60000, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, reader, &dir);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    bfs_tree_stats(tree, &s);
    cr_assert_eq(s.generations, 1);
}

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

/* A container removed while it is read is ENOENT, never a bundle of errors (EIO). */
Test(tree, removed_container_is_enoent_not_eio)
{
    char rel[128];
    struct bfs_attr a;
    struct bfs_handle *h = NULL;
    bool direct;
    uint64_t dir, bad, good;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", CID2);
    fx_write(&fx, rel, "{\"Isolation\":5}");
    open_tree(1, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    bad = lookup_ok(dir, "config.json", NULL);
    good = lookup_ok(lookup_ok(BFS_ROOT_INO, CID1, NULL), "config.json", NULL);
    (void)good;
    snprintf(rel, sizeof(rel), "containers/%s", CID2);
    fx_rm(&fx, rel);
    cr_assert_eq(bfs_open(tree, bad, &h, &direct), -ENOENT, "open of a failed file, folder gone");
    sleep_ms(5);
    cr_assert_eq(bfs_lookup(tree, dir, "layerpaths", &a), -ENOENT, "regenerating a gone container");
}

/* Readers holding handles while a writer changes the container and a 1-byte cache evicts on
 * every generation: every handle's bytes stay whole until it is released (run under ASan in
 * the sanitizer pass; the plain pass checks the bytes). */
static volatile int stress_stop;

static void *stress_reader(void *arg)
{
    uint64_t dir = *(uint64_t *)arg;
    static const char *const names[] = {"config.json", "createoptions.json", "layerpaths"};
    for (int i = 0; !stress_stop && i < 400; i++) {
        struct bfs_attr a;
        struct bfs_handle *h = NULL;
        const char *data;
        size_t len;
        bool direct;
        if (bfs_lookup(tree, dir, names[i % 3], &a) < 0)
            continue;
        /* Every open is one snapshot: its bytes, whole, of its inode's size. The handle is
         * released before its read is done, as a RELEASE handled by another thread would:
         * the read's own pin keeps the bytes. */
        if (i % 2) {
            /* a read without an open (zero-message opens): its inode's bytes, or ESTALE; EIO
             * when the version read a half-written hostconfig.json (the fixture writes in
             * place, unlike Docker) */
            struct bfs_pin *pin = NULL;
            int r = bfs_read_ino(tree, a.ino, &data, &len, &pin);
            cr_assert(r == 0 || r == -ESTALE || r == -EIO, "read_ino: %s", strerror(-r));
            if (r == 0) {
                cr_assert_eq(len, a.size, "a read without an open serves its inode's size");
                bfs_read_unpin(tree, pin);
            }
        } else if (bfs_open(tree, a.ino, &h, &direct) == 0) {
            struct bfs_pin *pin = NULL;
            uint64_t sum = 0;
            cr_assert_eq(bfs_read_pin(tree, h, &data, &len, &pin), 0);
            bfs_release(tree, h);
            for (int pass = 0; pass < 3; pass++) /* read it while others evict */
                for (size_t k = 0; k < len; k++)
                    sum += (unsigned char)data[k];
            cr_assert(len == 0 || sum > 0);
            cr_assert(direct || len == a.size, "a non-direct open serves its inode's size");
            bfs_read_unpin(tree, pin);
        }
        bfs_forget(tree, a.ino, 1);
    }
    return NULL;
}

static void stress(size_t cache_bytes)
{
    pthread_t th[8];
    uint64_t dirs[2];

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(1, cache_bytes);
    dirs[0] = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    dirs[1] = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    stress_stop = 0;
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, stress_reader, &dirs[i % 2]);
    for (int i = 0; i < 60; i++) {
        set_isolation(i % 2 ? CID1 : CID2, i % 4 < 2 ? "hyperv" : "process");
        sleep_ms(2);
    }
    stress_stop = 1;
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
}

Test(tree, stress_handles_survive_eviction_and_changes)
{
    stress(1); /* a 1-byte cache: every generation evicts */
}

Test(tree, stress_handles_survive_version_changes)
{
    stress(0); /* the default cache: versions replaced, bytes kept */
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

/* An open of evicted bytes secures them at once: a change after the open does not reach its
 * reads (generating at the first read instead left nothing to serve after a change). */
Test(tree, open_of_evicted_bytes_is_a_snapshot)
{
    struct bfs_handle *h = NULL;
    size_t len, want_len;
    char *got;
    bool direct = true;
    uint64_t ino;
    char *want;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(60000, 1);
    ino = lookup_ok(lookup_ok(BFS_ROOT_INO, CID1, NULL), "config.json", NULL);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL); /* evicts CID1 */
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_eq(bfs_open(tree, ino, &h, &direct), 0);
    cr_assert_not(direct);
    set_isolation(CID1, "hyperv");
    bfs_tree_changed(tree, "containers/" CID1, "hostconfig.json", NULL, NULL);
    got = read_handle(h, &len);
    cr_assert_eq(len, want_len);
    cr_assert_eq(memcmp(got, want, len), 0, "the bytes of the version that was opened");
    free(got);
    free(want);
    bfs_release(tree, h);
}

/* A read whose handle is released (by another thread's RELEASE) while its reply is being
 * written, then its version replaced and evicted: the read's pin keeps its bytes. */
Test(tree, read_pin_outlives_release_and_eviction)
{
    struct bfs_handle *h = NULL;
    struct bfs_pin *pin = NULL;
    const char *data;
    size_t len, want_len;
    bool direct;
    uint64_t dir, ino;
    char *want;

    open_tree(60000, 1);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    ino = lookup_ok(dir, "config.json", NULL);
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_eq(bfs_open(tree, ino, &h, &direct), 0);
    cr_assert_eq(bfs_read_pin(tree, h, &data, &len, &pin), 0);
    bfs_release(tree, h);
    bfs_forget(tree, ino, 1);
    set_isolation(CID1, "hyperv");
    bfs_tree_changed(tree, "containers/" CID1, "hostconfig.json", NULL, NULL);
    lookup_ok(dir, "config.json", NULL); /* a new version replaces the old one */
    cr_assert_eq(len, want_len);
    cr_assert_eq(memcmp(data, want, len), 0);
    bfs_read_unpin(tree, pin);
    free(want);
}

/* A version with a failed file is generated again after the trust period even when watched
 * (a transient EIO or ENOMEM heals without any change); a good watched version is not. */
Test(tree, failed_versions_are_retried_good_ones_trusted)
{
    struct bfs_watch *w = NULL;
    struct bf_error err = BF_ERROR_INIT;
    struct bfs_stats s0, s1;
    char rel[128];
    uint64_t bad_dir, good_dir;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", CID2);
    fx_write(&fx, rel, "{\"Isolation\":5}");
    open_tree(1, 0);
    cr_assert_eq(bfs_watch_start(tree, NULL, NULL, &w, &err), 0, "%s", bf_error_message(&err));
    good_dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    bad_dir = lookup_ok(BFS_ROOT_INO, CID2, NULL);
    lookup_ok(good_dir, "config.json", NULL);
    lookup_ok(bad_dir, "config.json", NULL);
    sleep_ms(5);
    bfs_tree_stats(tree, &s0);
    lookup_ok(good_dir, "config.json", NULL);
    bfs_tree_stats(tree, &s1);
    cr_assert_eq(s1.generations, s0.generations, "watched and good: trusted");
    lookup_ok(bad_dir, "config.json", NULL);
    bfs_tree_stats(tree, &s1);
    cr_assert_eq(s1.generations, s0.generations + 1, "failed: generated again");
    cr_assert_eq(s1.validations, s0.validations, "never validated by stamps");
    bfs_watch_stop(w);
}

/* ---- what the kernel may cache: reads without opens, listings without opens, keep flags,
 * invalidation ---- */

struct inval_rec {
    pthread_mutex_t lock;
    size_t n;
    struct {
        uint64_t parent;
        char name[80];
    } v[4096];
};

static struct inval_rec rec = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void record(void *ctx, uint64_t parent, const char *name)
{
    struct inval_rec *r = ctx;
    pthread_mutex_lock(&r->lock);
    if (r->n < sizeof(r->v) / sizeof(r->v[0])) {
        r->v[r->n].parent = parent;
        snprintf(r->v[r->n].name, sizeof(r->v[r->n].name), "%s", name ? name : "");
        r->n++;
    }
    pthread_mutex_unlock(&r->lock);
}

static void rec_clear(void)
{
    pthread_mutex_lock(&rec.lock);
    rec.n = 0;
    pthread_mutex_unlock(&rec.lock);
}

/* Was (parent, name) invalidated? name NULL: the inode itself. */
static bool recorded(uint64_t parent, const char *name)
{
    bool found = false;
    pthread_mutex_lock(&rec.lock);
    for (size_t i = 0; i < rec.n; i++)
        found |= rec.v[i].parent == parent && strcmp(rec.v[i].name, name ? name : "") == 0;
    pthread_mutex_unlock(&rec.lock);
    return found;
}

static bool wait_recorded(uint64_t parent, const char *name)
{
    for (int i = 0; i < 500; i++) { /* bounded: 5 s */
        if (recorded(parent, name))
            return true;
        sleep_ms(10);
    }
    return false;
}

static char *read_ino(uint64_t ino, size_t *len, int *err)
{
    struct bfs_pin *pin = NULL;
    const char *data;
    char *copy;

    *err = bfs_read_ino(tree, ino, &data, len, &pin);
    if (*err < 0)
        return NULL;
    copy = malloc(*len + 1);
    memcpy(copy, data, *len);
    copy[*len] = '\0';
    bfs_read_unpin(tree, pin);
    return copy;
}

/* What the pusher (fs/push.c) may store ahead of a read: the other regular files of the
 * version that the kernel holds and has neither read nor been given. */
Test(tree, file_siblings)
{
    uint64_t dir, cfg, co, lp, got[BFS_FILE_COUNT];
    size_t len;
    char *bytes;
    int err;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(60000, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    cfg = lookup_ok(dir, "config.json", NULL);
    lp = lookup_ok(dir, "layerpaths", NULL);
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, BFS_FILE_COUNT), 1,
                 "createoptions.json is not held by the kernel: only layerpaths");
    cr_assert_eq(got[0], lp);
    co = lookup_ok(dir, "createoptions.json", NULL);
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, BFS_FILE_COUNT), 2);
    cr_assert(got[0] == co && got[1] == lp, "in file order");
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, 1), 1, "at most max");

    /* a file read is not given again */
    bytes = read_ino(co, &len, &err);
    cr_assert_eq(err, 0);
    free(bytes);
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, BFS_FILE_COUNT), 1);
    cr_assert_eq(got[0], lp);
    /* claimed: given from now on */
    cr_assert_eq(bfs_file_siblings(tree, cfg, true, got, BFS_FILE_COUNT), 1);
    cr_assert_eq(bfs_file_siblings(tree, cfg, false, got, BFS_FILE_COUNT), 0);
    cr_assert_eq(bfs_file_siblings(tree, co, false, got, BFS_FILE_COUNT), 1);
    cr_assert_eq(got[0], cfg, "config.json was neither read nor given");
    /* forgotten by the kernel: never a sibling */
    bfs_forget(tree, cfg, 1);
    cr_assert_eq(bfs_file_siblings(tree, co, false, got, BFS_FILE_COUNT), 0);
    /* another container's files are not siblings; a folder has none */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    cr_assert_eq(bfs_file_siblings(tree, co, false, got, BFS_FILE_COUNT), 0);
    cr_assert_eq(bfs_file_siblings(tree, dir, false, got, BFS_FILE_COUNT), 0);
    cr_assert_eq(bfs_file_siblings(tree, 999999, false, got, BFS_FILE_COUNT), 0);
}

Test(tree, reads_without_open)
{
    uint64_t dir, cfg, lp, other;
    size_t len, want_len;
    char *got, *want;
    int err;

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    open_tree(1, 1); /* a 1-byte cache: every new bundle evicts the previous one */
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    cfg = lookup_ok(dir, "config.json", NULL);
    lp = lookup_ok(dir, "layerpaths", NULL);
    got = read_ino(cfg, &len, &err);
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_eq(err, 0);
    cr_assert_eq(len, want_len);
    cr_assert_str_eq(got, want, "the inode's bytes, without a handle");
    free(got);
    free(want);

    /* evicted, inputs unchanged: made again, the same bytes */
    other = lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    (void)other;
    got = read_ino(cfg, &len, &err);
    cr_assert_eq(err, 0, "evicted and unchanged: %s", strerror(-err));
    want = expected(CID1, BFS_FILE_CONFIG, &want_len);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);

    /* evicted and changed: config.json's bytes are gone for good (ESTALE); layerpaths did
     * not change, so the new version's bytes are this inode's bytes */
    want = expected(CID1, BFS_FILE_LAYERPATHS, &want_len);
    set_isolation(CID1, "hyperv");
    sleep_ms(5); /* past the trust period: CID2 is made again, and evicts CID1's bytes */
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    got = read_ino(cfg, &len, &err);
    cr_assert_eq(err, -ESTALE, "a version that can no longer be made: %d", err);
    cr_assert_null(got);
    lookup_ok(lookup_ok(BFS_ROOT_INO, CID2, NULL), "config.json", NULL);
    got = read_ino(lp, &len, &err);
    cr_assert_eq(err, 0, "unchanged file of a changed container: %s", strerror(-err));
    cr_assert_eq(len, want_len);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);

    cr_assert_eq(bfs_read_ino(tree, dir, (const char **)&got, &len, (struct bfs_pin **)&want),
                 -EISDIR);
    cr_assert_eq(bfs_read_ino(tree, 999999, (const char **)&got, &len, (struct bfs_pin **)&want),
                 -ESTALE, "an inode the kernel never had");
}

/* Every name a listing of `ino` gives, read `max` entries a call, joined with ' '. */
static char *list_chunked(uint64_t ino, size_t max, uint64_t *after, int calls)
{
    char *out = calloc(1, 1 << 16);
    uint64_t last = *after;

    for (int c = 0; calls < 0 || c < calls; c++) {
        struct bfs_dirlist *l = NULL;
        cr_assert_eq(bfs_readdir(tree, ino, last, max, false, &l), 0);
        cr_assert_leq(l->n, max);
        if (!l->n) {
            bfs_dirlist_free(l);
            break;
        }
        for (size_t i = 0; i < l->n; i++) {
            cr_assert_gt(l->v[i].off, last, "offsets grow");
            last = l->v[i].off;
            strcat(out, l->v[i].name);
            strcat(out, " ");
        }
        bfs_dirlist_free(l);
    }
    *after = last;
    return out;
}

Test(tree, listings_without_open_are_one_snapshot)
{
    char rel[128], *first, *rest, *whole;
    uint64_t after = 0, after2 = 0;
    const char *cid4 = "ef02000000000000000000000000000000000000000000000000000000000000";

    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_container(&fx, CID3, "cache", fx.image_hex, NULL, NULL, C3);
    open_tree(3600000, 0);
    whole = list_chunked(BFS_ROOT_INO, 1000, &after2, -1);
    cr_assert_str_eq(whole, ". .. by-name " CID1 " " CID2 " " CID3 " ");
    free(whole);

    /* A listing read two entries at a time goes on in the snapshot it began with, though a
     * container came meanwhile and a newer listing was made. */
    first = list_chunked(BFS_ROOT_INO, 2, &after, 2);
    cr_assert_str_eq(first, ". .. by-name " CID1 " ");
    fx_container(&fx, cid4, "late", fx.image_hex, NULL, NULL, C3);
    bfs_tree_changed(tree, "containers", cid4, NULL, NULL);
    after2 = 0;
    whole = list_chunked(BFS_ROOT_INO, 1000, &after2, -1);
    cr_assert(strstr(whole, cid4), "a new listing has it: %s", whole);
    rest = list_chunked(BFS_ROOT_INO, 2, &after, -1);
    cr_assert_str_eq(rest, CID2 " " CID3 " ", "the old snapshot, whole: %s", rest);
    free(first);
    free(rest);
    free(whole);

    /* by-name the same way */
    after = 0;
    whole = list_chunked(BFS_BYNAME_INO, 1, &after, -1);
    cr_assert_str_eq(whole, ". .. cache db late web ");
    free(whole);

    /* A container's folder: fixed offsets per file, so a file that appears between two
     * calls is listed in its place, and nothing is repeated. */
    after = 0;
    first = list_chunked(lookup_ok(BFS_ROOT_INO, CID2, NULL), 3, &after, 1);
    cr_assert_str_eq(first, ". .. config.json ");
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", CID2);
    fx_write(&fx, rel, "{\"Isolation\":5}");
    bfs_tree_changed(tree, "containers/" CID2, "hostconfig.json", NULL, NULL);
    rest = list_chunked(lookup_ok(BFS_ROOT_INO, CID2, NULL), 3, &after, -1);
    cr_assert_str_eq(rest, "createoptions.json layerpaths error ");
    free(first);
    free(rest);
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

Test(tree, readdirplus_entries_are_lookups)
{
    struct bfs_dirlist *l = NULL;
    struct bfs_stats s0, s1;
    struct bfs_attr a;
    uint64_t dir;
    size_t files = 0;

    open_tree(60000, 0);
    dir = lookup_ok(BFS_ROOT_INO, CID1, NULL);
    bfs_tree_stats(tree, &s0);
    cr_assert_eq(bfs_readdir(tree, dir, 0, 100, true, &l), 0);
    for (size_t i = 0; i < l->n; i++) {
        const struct bfs_dirent *e = &l->v[i];
        if (!strcmp(e->name, ".") || !strcmp(e->name, "..")) {
            cr_assert_not(e->looked_up, "the folder and its parent are never lookups");
            continue;
        }
        cr_assert(e->looked_up, "%s comes with its attributes", e->name);
        lookup_ok(dir, e->name, &a);
        cr_assert_eq(e->attr.ino, a.ino, "the same inode as a lookup");
        cr_assert_eq(e->attr.size, a.size, "the same size as a lookup");
        cr_assert_eq(e->attr.keep_entry, a.keep_entry);
        files++;
    }
    bfs_tree_stats(tree, &s1);
    cr_assert_eq(s1.nodes, s0.nodes + files, "one node per file");
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].looked_up)
            bfs_forget(tree, l->v[i].attr.ino, 2); /* readdirplus's and lookup_ok's */
    bfs_dirlist_free(l);
    bfs_tree_stats(tree, &s1);
    cr_assert_eq(s1.nodes, s0.nodes, "forgotten: the nodes go");

    /* the root's containers come with their folder's attributes, each a lookup (no LOOKUP
     * per folder for a walk that follows); ".", ".." and by-name do not */
    bfs_tree_stats(tree, &s0);
    cr_assert_eq(bfs_readdir(tree, BFS_ROOT_INO, 0, 100, true, &l), 0);
    files = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct bfs_dirent *e = &l->v[i];
        struct bfs_attr a;
        if (e->off <= 3) {
            cr_assert_not(e->looked_up, "%s", e->name);
            continue;
        }
        cr_assert(e->looked_up, "%s", e->name);
        cr_assert_eq(bfs_lookup(tree, BFS_ROOT_INO, e->name, &a), 0);
        cr_assert_eq(e->attr.ino, a.ino);
        cr_assert_eq(e->attr.type, BFS_DIR);
        cr_assert_eq(e->attr.perm, a.perm);
        cr_assert_eq(e->attr.mtime_ns, a.mtime_ns);
        cr_assert_eq(e->attr.keep_attr, a.keep_attr);
        bfs_forget(tree, a.ino, 2); /* readdirplus's and this lookup's */
        files++;
    }
    cr_assert_gt(files, 0);
    bfs_dirlist_free(l);
    bfs_tree_stats(tree, &s1);
    cr_assert_eq(s1.nodes, s0.nodes, "forgotten: the folders' nodes go");
    /* by-name's entries carry no attributes */
    cr_assert_eq(bfs_readdir(tree, BFS_BYNAME_INO, 0, 100, true, &l), 0);
    for (size_t i = 0; i < l->n; i++)
        cr_assert_not(l->v[i].looked_up);
    bfs_dirlist_free(l);
}

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
