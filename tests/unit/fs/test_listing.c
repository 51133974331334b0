/* test_listing.c - fs/listing.c: listings of the root, by-name and a container's folder, with and
 * without an open, with attributes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_fx.h"

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
