/* The BoltDB reader over hand-made images (boltbuild.c): what a valid file holds is read back
 * exactly, and every corruption gives its exact error, never a crash, a loop or a read outside
 * the file (the suite also runs under ASan/UBSan). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boltbuild.h"
#include "boltdb.h"

#define KV(k, v)                                                                                   \
    {                                                                                              \
        k, sizeof(k) - 1, v, sizeof(v) - 1, 0                                                      \
    }

static struct bb img;
static struct bolt_db *db;
static struct bf_error err = BF_ERROR_INIT;

static void teardown(void)
{
    bolt_close(db);
    db = NULL;
    bb_free(&img);
    bf_error_clear(&err);
}

/* Root (page 3) -> bucket "b" (page 4) holding a, bb, ccc. */
static void simple(void)
{
    struct bb_kv kv[] = {KV("a", "1"), KV("bb", "22"), KV("ccc", "")};
    uint8_t bv[16];
    uint64_t leaf;

    bb_init(&img);
    leaf = bb_leaf(&img, kv, 3);
    bb_bucket_value(bv, leaf);
    struct bb_kv root[] = {{"b", 1, bv, 16, 1}};
    uint64_t r = bb_leaf(&img, root, 1);
    bb_meta(&img, 0, r, 10);
    bb_meta(&img, 1, r, 9);
}

static int open_img(void)
{
    return bolt_open_mem(img.buf, img.len, "t.db", &db, &err);
}

static void expect_open_error(const char *msg)
{
    cr_assert_lt(open_img(), 0);
    cr_assert_null(db);
    cr_assert_str_eq(err.msg, msg);
}

static void get_str(const struct bolt_bucket *b, const char *key, const char *want)
{
    const uint8_t *v;
    size_t vl;
    bool is_bucket, found;

    cr_assert_eq(bolt_get(b, key, strlen(key), &v, &vl, &is_bucket, &found, &err), 0, "%s",
                 bf_error_message(&err));
    if (!want) {
        cr_assert(!found, "%s found", key);
        return;
    }
    cr_assert(found, "%s not found", key);
    cr_assert_not(is_bucket);
    cr_assert_eq(vl, strlen(want));
    cr_assert_arr_eq(v, want, vl);
}

struct collect {
    char out[8192];
};

static int collect_fn(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                      bool is_bucket, struct bf_error *e)
{
    struct collect *c = ctx;
    (void)e;
    snprintf(c->out + strlen(c->out), sizeof(c->out) - strlen(c->out), "%.*s%s=%.*s;", (int)kl,
             (const char *)k, is_bucket ? "/" : "", is_bucket ? 0 : (int)vl, (const char *)v);
    return 0;
}

static int foreach_bucket(const char *name, struct collect *c)
{
    struct bolt_bucket root, b;
    bool found;
    int r;

    bolt_root(db, &root);
    r = bolt_bucket(&root, name, &b, &found, &err);
    if (r < 0)
        return r;
    cr_assert(found);
    return bolt_foreach(&b, collect_fn, c, &err);
}

TestSuite(boltdb, .fini = teardown);

Test(boltdb, reads_keys_and_values)
{
    struct bolt_bucket root, b;
    struct collect c = {{0}};
    bool found;

    simple();
    cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));
    cr_assert_eq(bolt_txid(db), 10);
    cr_assert_eq(bolt_page_size(db), 4096);
    bolt_root(db, &root);
    cr_assert_eq(bolt_bucket(&root, "b", &b, &found, &err), 0);
    cr_assert(found);
    get_str(&b, "a", "1");
    get_str(&b, "bb", "22");
    get_str(&b, "ccc", "");
    get_str(&b, "b", NULL);
    get_str(&b, "", NULL);
    get_str(&b, "zzz", NULL);
    cr_assert_eq(bolt_bucket(&root, "nope", &b, &found, &err), 0);
    cr_assert_not(found);
    cr_assert_eq(foreach_bucket("b", &c), 0);
    cr_assert_str_eq(c.out, "a=1;bb=22;ccc=;");
}

Test(boltdb, highest_valid_txid_wins_and_a_broken_meta_falls_back)
{
    struct bb_kv old[] = {KV("k", "old")}, new[] = {KV("k", "new")};
    uint8_t bv1[16], bv2[16];
    struct collect c = {{0}};

    bb_init(&img);
    bb_bucket_value(bv1, bb_leaf(&img, old, 1));
    bb_bucket_value(bv2, bb_leaf(&img, new, 1));
    struct bb_kv r1[] = {{"b", 1, bv1, 16, 1}}, r2[] = {{"b", 1, bv2, 16, 1}};
    uint64_t root1 = bb_leaf(&img, r1, 1), root2 = bb_leaf(&img, r2, 1);
    bb_meta(&img, 0, root1, 4);
    bb_meta(&img, 1, root2, 5);
    cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));
    cr_assert_eq(bolt_txid(db), 5);
    cr_assert_eq(foreach_bucket("b", &c), 0);
    cr_assert_str_eq(c.out, "k=new;");
    bolt_close(db);
    db = NULL;

    /* A torn meta 1 (checksum no longer matches): meta 0 is used. */
    img.buf[BB_META(1) + 48] ^= 1;
    memset(c.out, 0, sizeof(c.out));
    cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));
    cr_assert_eq(bolt_txid(db), 4);
    cr_assert_eq(foreach_bucket("b", &c), 0);
    cr_assert_str_eq(c.out, "k=old;");
    bolt_close(db);
    db = NULL;

    /* A broken meta 0: meta 1 is found at its page size. */
    bb_meta(&img, 1, root2, 5);
    bb_put32(&img, BB_META(0), 0xdeadbeef);
    cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));
    cr_assert_eq(bolt_txid(db), 5);
}

Test(boltdb, inline_buckets_nested_buckets_and_overflow_values)
{
    static char big[10000];
    uint8_t inl[256], bv[16], nv[16];
    struct collect c = {{0}};
    struct bolt_bucket root, outer, in, deep;
    bool found;

    memset(big, 'x', sizeof(big));
    bb_init(&img);
    struct bb_kv ikv[] = {KV("i1", "v1"), KV("i2", "v2")};
    size_t il = bb_inline_value(inl, ikv, 2);
    struct bb_kv dkv[] = {{"big", 3, big, sizeof(big), 0}, KV("small", "s")};
    uint64_t deep_leaf = bb_leaf(&img, dkv, 2); /* 10 KB: runs over two overflow pages */
    cr_assert_eq(img.npages - deep_leaf, 3);
    bb_bucket_value(nv, deep_leaf);
    struct bb_kv okv[] = {{"deep", 4, nv, 16, 1}, {"inl", 3, inl, il, 1}, KV("plain", "p")};
    bb_bucket_value(bv, bb_leaf(&img, okv, 3));
    struct bb_kv rkv[] = {{"outer", 5, bv, 16, 1}};
    uint64_t r = bb_leaf(&img, rkv, 1);
    bb_meta(&img, 0, r, 2);
    bb_meta(&img, 1, r, 1);
    cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));

    bolt_root(db, &root);
    cr_assert_eq(bolt_bucket(&root, "outer", &outer, &found, &err), 0);
    cr_assert_eq(bolt_bucket(&outer, "inl", &in, &found, &err), 0);
    cr_assert(found);
    cr_assert_eq(in.root, 0);
    get_str(&in, "i1", "v1");
    get_str(&in, "i2", "v2");
    get_str(&in, "i3", NULL);
    cr_assert_eq(bolt_bucket(&outer, "deep", &deep, &found, &err), 0);
    get_str(&deep, "small", "s");
    const uint8_t *v;
    size_t vl;
    bool isb;
    cr_assert_eq(bolt_get(&deep, "big", 3, &v, &vl, &isb, &found, &err), 0);
    cr_assert(found);
    cr_assert_eq(vl, sizeof(big));
    cr_assert_arr_eq(v, big, sizeof(big));
    cr_assert_eq(bolt_bucket(&outer, "plain", &deep, &found, &err), -EINVAL);
    cr_assert_str_eq(err.msg, "t.db: plain: not a bucket");
    cr_assert_eq(foreach_bucket("outer", &c), 0);
    cr_assert_str_eq(c.out, "deep/=;inl/=;plain=p;");
}

/* Root -> bucket "b" whose root is a branch page over two leaves. Returns the branch id. */
static uint64_t two_level(void)
{
    struct bb_kv l1[] = {KV("a", "1"), KV("b", "2")}, l2[] = {KV("m", "3"), KV("n", "4")};
    uint8_t bv[16];

    bb_init(&img);
    uint64_t p1 = bb_leaf(&img, l1, 2), p2 = bb_leaf(&img, l2, 2);
    uint64_t child[] = {p1, p2};
    const char *keys[] = {"a", "m"};
    uint64_t br = bb_branch(&img, child, keys, 2);
    bb_bucket_value(bv, br);
    struct bb_kv root[] = {{"b", 1, bv, 16, 1}};
    uint64_t r = bb_leaf(&img, root, 1);
    bb_meta(&img, 0, r, 3);
    bb_meta(&img, 1, r, 2);
    return br;
}

Test(boltdb, branch_pages)
{
    struct collect c = {{0}};
    struct bolt_bucket root, b;
    bool found;

    two_level();
    cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));
    bolt_root(db, &root);
    cr_assert_eq(bolt_bucket(&root, "b", &b, &found, &err), 0);
    get_str(&b, "a", "1");
    get_str(&b, "b", "2");
    get_str(&b, "m", "3");
    get_str(&b, "n", "4");
    get_str(&b, "c", NULL);
    get_str(&b, "0", NULL); /* before the first key */
    get_str(&b, "z", NULL);
    cr_assert_eq(foreach_bucket("b", &c), 0);
    cr_assert_str_eq(c.out, "a=1;b=2;m=3;n=4;");
}

Test(boltdb, truncated_files)
{
    expect_open_error("t.db: no valid meta page (meta 0: truncated; meta 1: none found at any "
                      "page size)");
    simple();
    img.len = 10;
    expect_open_error("t.db: no valid meta page (meta 0: truncated; meta 1: none found at any "
                      "page size)");
    teardown();
    simple();
    img.len = 4 * 4096 + 100; /* the last page (the root) is cut */
    expect_open_error("t.db: truncated: meta (txid 10) counts 5 pages of 4096 bytes but the file "
                      "has 16484 bytes");
}

Test(boltdb, bad_magic_version_and_both_metas_invalid)
{
    simple();
    bb_put32(&img, BB_META(0), 0x12345678);
    bb_put32(&img, BB_META(1), 0x12345678);
    expect_open_error("t.db: no valid meta page (meta 0: bad magic 0x12345678; meta 1: none "
                      "found at any page size)");
    teardown();
    simple();
    bb_put32(&img, BB_META(0) + 4, 3);
    bb_meta_reseal(&img, 0);
    img.buf[BB_META(1) + 20] ^= 0x40; /* root changed, checksum not */
    expect_open_error("t.db: no valid meta page (meta 0: unsupported version 3; meta 1: at offset "
                      "4096: checksum mismatch)");
    teardown();
    simple();
    bb_put32(&img, BB_META(0) + 8, 1000);
    bb_meta_reseal(&img, 0);
    bb_put32(&img, BB_META(1) + 8, 1000);
    bb_meta_reseal(&img, 1);
    expect_open_error("t.db: no valid meta page (meta 0: invalid page size 1000; meta 1: at "
                      "offset 4096: invalid page size 1000)");
}

Test(boltdb, meta_fields_out_of_range)
{
    simple();
    bb_put64(&img, BB_META(0) + 40, UINT64_MAX);
    bb_meta_reseal(&img, 0);
    expect_open_error("t.db: meta (txid 10): invalid page count 18446744073709551615");
    teardown();
    simple();
    bb_put64(&img, BB_META(0) + 40, 1ull << 40);
    bb_meta_reseal(&img, 0);
    expect_open_error("t.db: truncated: meta (txid 10) counts 1099511627776 pages of 4096 bytes "
                      "but the file has 20480 bytes");
    teardown();
    simple();
    bb_put64(&img, BB_META(0) + 16, 99);
    bb_meta_reseal(&img, 0);
    expect_open_error("t.db: meta (txid 10): root page 99 past the end (5 pages)");
}

static void expect_walk_error(const char *msg)
{
    struct collect c = {{0}};
    cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));
    cr_assert_lt(foreach_bucket("b", &c), 0);
    cr_assert_str_eq(err.msg, msg);
}

static void expect_get_error(const char *key, const char *msg)
{
    struct bolt_bucket root, b;
    const uint8_t *v;
    size_t vl;
    bool found, isb;

    if (!db)
        cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));
    bolt_root(db, &root);
    cr_assert_eq(bolt_bucket(&root, "b", &b, &found, &err), 0, "%s", bf_error_message(&err));
    cr_assert_lt(bolt_get(&b, key, strlen(key), &v, &vl, &isb, &found, &err), 0);
    cr_assert_str_eq(err.msg, msg);
}

Test(boltdb, page_id_past_the_end)
{
    uint64_t br = two_level();
    bb_put64(&img, BB_ELEM(br, 1) + 8, 1000);
    expect_walk_error("t.db: page 1000: past the end (7 pages)");
    expect_get_error("n", "t.db: page 1000: past the end (7 pages)");
}

Test(boltdb, page_cycles)
{
    uint64_t br = two_level();
    bb_put64(&img, BB_ELEM(br, 1) + 8, br); /* the branch is its own child */
    expect_walk_error("t.db: page 5: reached twice (a cycle or a shared page)");
    expect_get_error("n", "t.db: page 5: tree deeper than 64 levels");
}

Test(boltdb, shared_pages_are_refused)
{
    uint64_t br = two_level();
    bb_put64(&img, BB_ELEM(br, 1) + 8, br - 2); /* both children are the first leaf */
    expect_walk_error("t.db: page 3: reached twice (a cycle or a shared page)");
}

Test(boltdb, counts_that_overflow)
{
    simple();
    bb_put16(&img, BB_P_COUNT(3), 0xffff);
    expect_walk_error("t.db: page 3: 65535 elements do not fit in 4096 bytes");
    expect_get_error("a", "t.db: page 3: 65535 elements do not fit in 4096 bytes");
}

Test(boltdb, overflow_runs_past_the_end)
{
    simple();
    bb_put32(&img, BB_P_OVERFLOW(3), UINT32_MAX);
    expect_walk_error("t.db: page 3: 4294967295 overflow pages run past the end (5 pages)");
}

Test(boltdb, element_offsets_and_sizes_past_the_page)
{
    simple();
    bb_put32(&img, BB_ELEM(3, 1) + 4, UINT32_MAX); /* pos */
    expect_walk_error("t.db: page 3: element 1: key or value past the end of the page");
    teardown();
    simple();
    bb_put32(&img, BB_ELEM(3, 2) + 12, UINT32_MAX); /* vsize */
    expect_walk_error("t.db: page 3: element 2: key or value past the end of the page");
    teardown();
    uint64_t br = two_level();
    bb_put32(&img, BB_ELEM(br, 0) + 4, 5000); /* branch ksize */
    expect_get_error("a", "t.db: page 5: element 0: key or value past the end of the page");
}

Test(boltdb, wrong_page_kinds_and_ids)
{
    simple();
    bb_put16(&img, BB_P_FLAGS(3), 0x10);
    expect_walk_error("t.db: page 3: not a branch or leaf page (flags 0x10)");
    teardown();
    simple();
    bb_put64(&img, BB_PAGE(3), 7);
    expect_walk_error("t.db: page 3: header names page 7");
    teardown();
    uint64_t br = two_level();
    bb_put64(&img, BB_ELEM(br, 0) + 8, 0); /* a meta page as a child */
    expect_walk_error("t.db: page 0: not a branch or leaf page (flags 0x4)");
    teardown();
    br = two_level();
    bb_put16(&img, BB_P_COUNT(br), 0);
    expect_get_error("a", "t.db: page 5: branch page without elements");
}

Test(boltdb, keys_out_of_order)
{
    simple();
    img.buf[BB_PAGE(3) + 16 + 3 * 16] = 'c'; /* "a" -> "c": now after "bb" */
    expect_walk_error("t.db: page 3: element 1: key out of order");
}

/* Branch keys bound their subtrees (a lookup descends by them): keys outside are refused. */
Test(boltdb, branch_keys_bound_their_children)
{
    uint64_t br = two_level(); /* branch "a" -> [a b], "m" -> [m n] */
    img.buf[BB_PAGE(br) + 16 + 2 * 16 + 1] = 'b';
    expect_walk_error("t.db: page 3: element 1: key not below its parent's next key");
    teardown();
    br = two_level();
    img.buf[BB_PAGE(br) + 16 + 2 * 16 + 1] = 'z';
    expect_walk_error("t.db: page 4: element 0: key below its parent's key");
    teardown();
    br = two_level();
    img.buf[BB_PAGE(br) + 16 + 2 * 16] = 'n';
    expect_walk_error("t.db: page 5: element 1: key out of order");
}

static void expect_bucket_error(const char *msg)
{
    struct bolt_bucket root, b;
    bool found;

    cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));
    bolt_root(db, &root);
    cr_assert_lt(bolt_bucket(&root, "b", &b, &found, &err), 0);
    cr_assert_str_eq(err.msg, msg);
}

Test(boltdb, bad_bucket_values)
{
    struct bb_kv kv[] = {{"b", 1, "short", 5, 1}};
    bb_init(&img);
    uint64_t r = bb_leaf(&img, kv, 1);
    bb_meta(&img, 0, r, 1);
    bb_meta(&img, 1, r, 0);
    expect_bucket_error("t.db: bucket value of 5 bytes is shorter than its 16-byte header");
    teardown();

    uint8_t inl[40] = {0}; /* root 0: inline, but only 8 bytes of page follow */
    struct bb_kv kv2[] = {{"b", 1, inl, 24, 1}};
    bb_init(&img);
    r = bb_leaf(&img, kv2, 1);
    bb_meta(&img, 0, r, 1);
    bb_meta(&img, 1, r, 0);
    expect_get_error("x", "t.db: inline bucket page: 8 bytes, shorter than a page header");
    teardown();

    struct bb_kv ikv[] = {KV("k", "v")};
    uint8_t iv[64];
    size_t il = bb_inline_value(iv, ikv, 1);
    iv[16 + 10] = 3; /* the inline page claims 3 elements */
    struct bb_kv kv3[] = {{"b", 1, iv, il, 1}};
    bb_init(&img);
    r = bb_leaf(&img, kv3, 1);
    bb_meta(&img, 0, r, 1);
    bb_meta(&img, 1, r, 0);
    expect_get_error("k", "t.db: inline bucket page: 3 elements do not fit in 34 bytes");
}

/* Inline buckets nested 70 deep: the walk stops at the nesting limit. */
static int walk_count(void *ctx, const struct bolt_name *path, unsigned depth, const uint8_t *k,
                      size_t kl, const uint8_t *v, size_t vl, bool is_bucket, struct bf_error *e)
{
    (void)path, (void)depth, (void)k, (void)kl, (void)v, (void)vl, (void)is_bucket, (void)e;
    ++*(int *)ctx;
    return 0;
}

Test(boltdb, nesting_limit)
{
    size_t cap = 70 * 64 + 64, len;
    uint8_t *a = calloc(1, cap), *b = calloc(1, cap);
    int n = 0;

    struct bb_kv leafkv[] = {KV("k", "v")};
    len = bb_inline_value(a, leafkv, 1);
    for (int i = 0; i < 70; i++) {
        struct bb_kv kv[] = {{"n", 1, a, len, 1}};
        len = bb_inline_value(b, kv, 1);
        uint8_t *t = a;
        a = b;
        b = t;
    }
    bb_init(&img);
    struct bb_kv top[] = {{"b", 1, a, len, 1}};
    uint64_t r = bb_leaf(&img, top, 1);
    bb_meta(&img, 0, r, 1);
    bb_meta(&img, 1, r, 0);
    cr_assert_eq(open_img(), 0, "%s", bf_error_message(&err));
    cr_assert_lt(bolt_walk(db, walk_count, &n, &err), 0);
    cr_assert_str_eq(err.msg, "t.db: buckets nested deeper than 64");
    cr_assert_eq(n, 65);
    free(a);
    free(b);
}

Test(boltdb, walk_reports_paths)
{
    struct bolt_db *d;
    simple();
    cr_assert_eq(open_img(), 0);
    d = db;
    int n = 0;
    cr_assert_eq(bolt_walk(d, walk_count, &n, &err), 0);
    cr_assert_eq(n, 4); /* the bucket and its three keys */
}

/* ---- opening files ---- */

static char dir[] = "/tmp/bf-boltdb-XXXXXX";

static int dirfd_with(const char *name, const void *data, size_t len)
{
    char path[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (data) {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, len, f), len);
        fclose(f);
    }
    return open(dir, O_RDONLY | O_DIRECTORY);
}

Test(boltdb, files_through_the_data_root_rules)
{
    struct bf_stamp st = {0};
    char cmd[300];
    int fd;

    simple();
    fd = dirfd_with("x.db", img.buf, img.len);
    cr_assert_eq(bolt_open_at(fd, "x.db", 1 << 20, &db, &st, &err), 0, "%s",
                 bf_error_message(&err));
    cr_assert(st.exists);
    cr_assert_eq(st.size, (off_t)img.len);
    cr_assert_eq(bolt_txid(db), 10);
    bolt_close(db);
    db = NULL;

    cr_assert_lt(bolt_open_at(fd, "x.db", 8192, &db, NULL, &err), 0);
    cr_assert_str_eq(err.msg, "x.db: 5 pages of 4096 bytes exceed the 8192-byte limit");

    cr_assert_eq(symlinkat("x.db", fd, "link.db"), 0);
    cr_assert_lt(bolt_open_at(fd, "link.db", 1 << 20, &db, NULL, &err), 0);
    cr_assert_str_eq(err.msg, "link.db: is a symbolic link or passes through one (links are "
                              "never followed)");

    cr_assert_eq(mkfifoat(fd, "fifo.db", 0600), 0);
    cr_assert_lt(bolt_open_at(fd, "fifo.db", 1 << 20, &db, NULL, &err), 0);
    cr_assert_str_eq(err.msg, "fifo.db: not a regular file");
    close(fd);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A snapshot whose pages were let go still proves whether the file is unchanged: reused
 * while it is, renewed (and readable again) by a commit, even one that keeps the size. */
Test(boltdb, forgotten_pages_keep_the_proof)
{
    struct bolt_bucket root, b;
    bool found, reused;
    char path[300], cmd[300];
    int fd;

    simple();
    fd = dirfd_with("x.db", img.buf, img.len);
    cr_assert_eq(bolt_open_at(fd, "x.db", 1 << 20, &db, NULL, &err), 0, "%s",
                 bf_error_message(&err));
    bolt_forget_pages(db);
    cr_assert_eq(bolt_txid(db), 10);
    bolt_root(db, &root);
    cr_assert_lt(bolt_bucket(&root, "b", &b, &found, &err), 0);
    cr_assert_str_eq(err.msg, "x.db: page 4: past the end (0 pages)");
    cr_assert_eq(bolt_refresh_at(fd, "x.db", 1 << 20, &db, &reused, NULL, &err), 0);
    cr_assert(reused);
    bb_meta(&img, 1, 4, 11); /* a commit: meta 1 now wins */
    snprintf(path, sizeof(path), "%s/x.db", dir);
    FILE *f = fopen(path, "r+");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(img.buf, 1, img.len, f), img.len);
    fclose(f);
    cr_assert_eq(bolt_refresh_at(fd, "x.db", 1 << 20, &db, &reused, NULL, &err), 0, "%s",
                 bf_error_message(&err));
    cr_assert_not(reused);
    cr_assert_eq(bolt_txid(db), 11);
    bolt_root(db, &root);
    cr_assert_eq(bolt_bucket(&root, "b", &b, &found, &err), 0, "%s", bf_error_message(&err));
    cr_assert(found);
    get_str(&b, "bb", "22");
    close(fd);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
