/* test_cache.c - the shared image/walk cache (and its layers by ChainID) gives exactly the
 * uncached results, counts its hits, re-reads after invalidation or a changed input, and never
 * caches an error. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "layerstore.h"
#include "ls_internal.h"

static struct fx fx;

static void setup(void)
{
    fx_std(&fx, "windowsfilter");
    fx_container(&fx, CID2, "db", fx.image_hex, NULL, NULL, C3);
    fx_mkdir(&fx, "windowsfilter/" CACHE1 "/UtilityVM");
}

static void teardown(void)
{
    fx_cleanup(&fx);
}

TestSuite(cache, .init = setup, .fini = teardown);

static struct layerstore *open_ls(bool cached, int64_t trust_ns)
{
    struct layerstore *ls = NULL;
    struct ls_options o = {0};
    struct bf_error err = BF_ERROR_INIT;

    cr_assert_eq(layerstore_open(fx.root, &o, &ls, &err), 0, "%s", bf_error_message(&err));
    if (cached)
        cr_assert_eq(layerstore_cache_enable(ls, 0, trust_ns), 0);
    return ls;
}

struct result {
    struct ls_container *c;
    struct ls_image *img;
    struct ls_walk w;
    struct ls_inputs in;
    int r;
    struct bf_error err;
};

static void run(struct layerstore *ls, const char *id, struct result *res)
{
    memset(res, 0, sizeof(*res));
    res->r = layerstore_container_walk(ls, id, &res->c, &res->img, &res->w, &res->in, &res->err);
}

static void result_free(struct result *res)
{
    ls_container_free(res->c);
    ls_image_free(res->img);
    ls_walk_free(&res->w);
    ls_inputs_free(&res->in);
    bf_error_clear(&res->err);
}

static bool shared_input(const char *rel)
{
    return strncmp(rel, "image/windowsfilter/imagedb/", 28) == 0 ||
           strncmp(rel, "image/windowsfilter/layerdb/sha256/", 35) == 0 ||
           strncmp(rel, "windowsfilter/", 14) == 0;
}

static void assert_same(const struct result *a, const struct result *b)
{
    cr_assert_eq(a->r, 0, "%s", bf_error_message(&a->err));
    cr_assert_eq(b->r, 0, "%s", bf_error_message(&b->err));
    cr_assert_str_eq(a->img->id, b->img->id);
    cr_assert_str_eq(a->img->os, b->img->os);
    cr_assert_str_eq(a->img->os_version, b->img->os_version);
    cr_assert_eq(a->img->n_diff_ids, b->img->n_diff_ids);
    cr_assert_eq(a->w.n, b->w.n);
    cr_assert_str_eq(a->w.top_chain_id, b->w.top_chain_id);
    for (size_t i = 0; i < a->w.n; i++) {
        cr_assert_str_eq(a->w.layers[i].path, b->w.layers[i].path);
        cr_assert_str_eq(a->w.layers[i].cache_id, b->w.layers[i].cache_id);
    }
    /* The image and layer inputs, in order (the container's own files differ by ID). */
    {
        size_t i = 0, k = 0, shared = 0;
        for (;; i++, k++) {
            while (i < a->in.n && !shared_input(a->in.v[i].rel))
                i++;
            while (k < b->in.n &&
                   (!shared_input(b->in.v[k].rel) || strstr(b->in.v[k].rel, "/UtilityVM")))
                k++;
            if (i == a->in.n || k == b->in.n)
                break;
            cr_assert_str_eq(a->in.v[i].rel, b->in.v[k].rel);
            shared++;
        }
        cr_assert_eq(i, a->in.n);
        cr_assert_eq(k, b->in.n);
        cr_assert_geq(shared, 7, "image config and 3 layers x (cache-id, diff...)");
    }
}

Test(cache, same_results_and_one_read_per_image)
{
    struct layerstore *plain = open_ls(false, 0), *cached = open_ls(true, 60000000000LL);
    struct result p1, c1, c2;
    struct ls_cache_stats s;

    run(plain, CID1, &p1);
    run(cached, CID1, &c1);
    run(cached, CID2, &c2);
    assert_same(&p1, &c1);
    assert_same(&p1, &c2);
    layerstore_cache_stats(cached, &s);
    cr_assert_eq(s.misses, 1);
    cr_assert_eq(s.hits, 1);
    cr_assert_eq(s.entries, 1);
    cr_assert_eq(s.validations, 0);
    result_free(&p1);
    result_free(&c1);
    result_free(&c2);
    layerstore_close(plain);
    layerstore_close(cached);
}

Test(cache, uvm_probe_is_cached_and_recorded)
{
    struct layerstore *ls = open_ls(true, 60000000000LL);
    struct result r;
    struct ls_inputs in = {0};
    struct bf_error err = BF_ERROR_INIT;
    bool has = false;

    run(ls, CID1, &r);
    cr_assert_eq(r.r, 0);
    cr_assert(r.w.layers[2].uvm_known);
    cr_assert(r.w.layers[2].has_uvm, "the base layer (CACHE1) has UtilityVM");
    cr_assert_not(r.w.layers[0].has_uvm);
    cr_assert_eq(layerstore_layer_has_uvm(ls, &r.w.layers[2], &has, &in, &err), 0);
    cr_assert(has);
    cr_assert_eq(in.n, 1);
    cr_assert_str_eq(in.v[0].rel, "windowsfilter/" CACHE1 "/UtilityVM");
    cr_assert(in.v[0].stamp.exists);
    ls_inputs_free(&in);
    result_free(&r);
    layerstore_close(ls);
}

Test(cache, invalidate_reads_again)
{
    struct layerstore *ls = open_ls(true, 60000000000LL);
    struct result a, b;
    struct ls_cache_stats s;

    run(ls, CID1, &a);
    layerstore_cache_invalidate(ls);
    run(ls, CID1, &b);
    layerstore_cache_stats(ls, &s);
    cr_assert_eq(s.misses, 2);
    cr_assert_eq(s.hits, 0);
    result_free(&a);
    result_free(&b);
    layerstore_close(ls);
}

Test(cache, changed_input_is_seen_after_the_trust_period)
{
    struct layerstore *ls = open_ls(true, 0); /* check stamps on every use */
    struct result a, b;
    char rel[256];
    struct ls_cache_stats s;

    run(ls, CID1, &a);
    cr_assert_eq(a.r, 0);
    snprintf(rel, sizeof(rel), "image/windowsfilter/layerdb/sha256/%s/cache-id", C2_HEX);
    fx_write(&fx, rel, "not-a-cache-id");
    run(ls, CID1, &b);
    cr_assert_lt(b.r, 0, "the changed cache-id is read, not served from the cache");
    cr_assert(strstr(bf_error_message(&b.err), "invalid cache id value"), "%s",
              bf_error_message(&b.err));
    layerstore_cache_stats(ls, &s);
    cr_assert_eq(s.validations, 1);
    cr_assert_eq(s.misses, 2);
    result_free(&a);
    result_free(&b);
    layerstore_close(ls);
}

Test(cache, errors_are_not_cached)
{
    struct layerstore *ls = open_ls(true, 60000000000LL);
    struct result a, b;
    char rel[256];

    snprintf(rel, sizeof(rel), "image/windowsfilter/layerdb/sha256/%s/cache-id", C2_HEX);
    fx_write(&fx, rel, "../../etc");
    run(ls, CID1, &a);
    cr_assert_lt(a.r, 0);
    fx_write(&fx, rel, CACHE2);
    run(ls, CID1, &b);
    cr_assert_eq(b.r, 0, "fixed on disk: no stale error (%s)", bf_error_message(&b.err));
    result_free(&a);
    result_free(&b);
    layerstore_close(ls);
}

/* Layers by ChainID: a second image over the first one's two lower layers (diff_ids D1, D2,
 * D4) reads only its own top layer, with the very results of an uncached walk.
 *   C4 = printf %s "sha256:$C2 sha256:$D" | sha256sum   (D = 64 x d) */
#define HEX_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define D4 "sha256:" HEX_D
#define C4_HEX "3592bc962f5c2c4810d0fb2661f50e94e7a61cf1498019efc35ed7733654227c"
#define CACHE4 "5555555555555555555555555555555555555555555555555555555555555555"
#define IMAGE2_JSON                                                                                \
    "{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.14393.1066\","           \
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\",\"" D4 "\"]}}"

static void second_image(void)
{
    char hex[65];

    fx_image(&fx, IMAGE2_JSON, hex);
    fx_layer(&fx, C4_HEX, D4, C2, CACHE4);
    fx_container(&fx, CID3, "api", hex, NULL, NULL, "sha256:" C4_HEX);
}

Test(cache, an_image_over_cached_layers_reads_only_its_own)
{
    struct layerstore *plain = open_ls(false, 0), *cached = open_ls(true, 60000000000LL);
    struct result p3, c1, c3;
    struct ls_cache_stats s;

    second_image();
    run(plain, CID3, &p3);
    run(cached, CID1, &c1);
    layerstore_cache_stats(cached, &s);
    cr_assert_eq(s.layer_misses, 3);
    cr_assert_eq(s.layers, 3);
    run(cached, CID3, &c3);
    assert_same(&p3, &c3);
    cr_assert_str_eq(c3.w.top_chain_id, "sha256:" C4_HEX);
    cr_assert_str_eq(c3.w.layers[0].cache_id, CACHE4);
    cr_assert_str_eq(c3.w.layers[2].cache_id, CACHE1);
    layerstore_cache_stats(cached, &s);
    cr_assert_eq(s.misses, 2, "two images");
    cr_assert_eq(s.layer_hits, 2, "the second image's two lower layers from the cache");
    cr_assert_eq(s.layer_misses, 4, "its top layer read");
    cr_assert_eq(s.layers, 4);
    cr_assert(c3.w.layers[2].uvm_known && c3.w.layers[2].has_uvm,
              "the base layer's UtilityVM probe came with it");
    result_free(&p3);
    result_free(&c1);
    result_free(&c3);
    layerstore_close(plain);
    layerstore_close(cached);
}

/* A change to a shared layer reaches every image over it: after an invalidation (what the
 * watcher does), and after the trust period without one. */
Test(cache, a_changed_shared_layer_is_read_again)
{
    struct layerstore *ls = open_ls(true, 60000000000LL), *strict = open_ls(true, 0);
    struct result a, b, c, d, e;
    char rel[256];

    second_image();
    run(ls, CID1, &a);
    run(strict, CID1, &d);
    cr_assert_eq(a.r, 0);
    snprintf(rel, sizeof(rel), "image/windowsfilter/layerdb/sha256/%s/diff", C2_HEX);
    fx_write(&fx, rel, D3);
    run(ls, CID3, &b); /* a new image: only its layers by ChainID are cached, and trusted */
    cr_assert_eq(b.r, 0, "%s", bf_error_message(&b.err));
    run(strict, CID3, &e); /* trust 0: the shared layer's stamps are checked, it is read */
    cr_assert_lt(e.r, 0);
    cr_assert(strstr(bf_error_message(&e.err), "layer diff is " D3), "%s",
              bf_error_message(&e.err));
    layerstore_cache_invalidate(ls);
    run(ls, CID3, &c);
    cr_assert_lt(c.r, 0, "after the invalidation the changed diff is read");
    cr_assert(strstr(bf_error_message(&c.err), "layer diff is " D3), "%s",
              bf_error_message(&c.err));
    result_free(&a);
    result_free(&b);
    result_free(&c);
    result_free(&d);
    result_free(&e);
    layerstore_close(ls);
    layerstore_close(strict);
}

/* A walk that fails on its third layer caches its first two, never the failed one, and the
 * watcher's question "may a cached entry use this layer?" knows them. */
Test(cache, layers_below_a_failure_are_cached_and_known)
{
    struct layerstore *ls = open_ls(true, 60000000000LL);
    struct result a, b;
    char rel[256];
    struct ls_cache_stats s;

    snprintf(rel, sizeof(rel), "image/windowsfilter/layerdb/sha256/%s/diff", C3_HEX);
    fx_write(&fx, rel, D1);
    run(ls, CID1, &a);
    cr_assert_lt(a.r, 0);
    layerstore_cache_stats(ls, &s);
    cr_assert_eq(s.entries, 0);
    cr_assert_eq(s.layers, 2);
    cr_assert(layerstore_cache_may_use_layer(ls, CACHE1));
    cr_assert(layerstore_cache_may_use_layer(ls, CACHE2));
    cr_assert_not(layerstore_cache_may_use_layer(ls, CACHE3));
    run(ls, CID1, &b);
    cr_assert_lt(b.r, 0, "the error is read again");
    layerstore_cache_stats(ls, &s);
    cr_assert_eq(s.layer_hits, 2);
    result_free(&a);
    result_free(&b);
    layerstore_close(ls);
}

/* daemon.json and the network store's presence, asked by every container's generation: with
 * the cache, reused (the same value, the same recorded inputs) until invalidated or past the
 * trust period; never without the cache; an error is read again. */
static char *dc_load(struct layerstore *ls, struct ls_inputs *in, int *r)
{
    struct ls_daemon_config dc;
    struct bf_error err = BF_ERROR_INIT;
    char *iso;

    *r = layerstore_daemon_config_load(ls, &dc, in, &err);
    bf_error_clear(&err);
    if (*r < 0)
        return NULL;
    iso = strdup(dc.isolation ? dc.isolation : (dc.present ? "(unset)" : "(no file)"));
    ls_daemon_config_free(&dc);
    return iso;
}

static bool has_store(struct layerstore *ls, struct ls_inputs *in)
{
    struct bf_error err = BF_ERROR_INIT;
    bool has = false;

    cr_assert_eq(layerstore_has_network_store(ls, &has, in, &err), 0, "%s", bf_error_message(&err));
    return has;
}

static void assert_same_inputs(const struct ls_inputs *a, const struct ls_inputs *b)
{
    cr_assert_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        cr_assert_str_eq(a->v[i].rel, b->v[i].rel);
        cr_assert_eq(memcmp(&a->v[i].stamp, &b->v[i].stamp, sizeof(a->v[i].stamp)), 0, "%s",
                     a->v[i].rel);
    }
}

Test(cache, shared_loads_are_reused_until_invalidated)
{
    struct layerstore *ls = open_ls(true, 60000000000LL), *plain = open_ls(false, 0);
    struct ls_inputs in1 = {0}, in2 = {0};
    char *v;
    int r;

    fx_write(&fx, "config/daemon.json", "{\"exec-opts\":[\"isolation=hyperv\"]}");
    v = dc_load(ls, &in1, &r);
    cr_assert_str_eq(v, "hyperv");
    free(v);
    cr_assert_not(has_store(ls, &in1));
    fx_write(&fx, "config/daemon.json", "{\"exec-opts\":[\"isolation=process\"]}");
    fx_mkdir(&fx, "network/files");
    fx_write(&fx, "network/files/local-kv.db", "x");
    v = dc_load(ls, &in2, &r);
    cr_assert_str_eq(v, "hyperv", "reused: no read within the trust period");
    free(v);
    cr_assert_not(has_store(ls, &in2), "reused");
    assert_same_inputs(&in1, &in2);
    v = dc_load(plain, NULL, &r);
    cr_assert_str_eq(v, "process", "without the cache every call reads");
    free(v);
    cr_assert(has_store(plain, NULL));

    layerstore_cache_invalidate(ls);
    ls_inputs_free(&in2);
    v = dc_load(ls, &in2, &r);
    cr_assert_str_eq(v, "process", "invalidated: read again");
    free(v);
    cr_assert(has_store(ls, &in2));
    cr_assert_eq(in2.n, in1.n);
    cr_assert(bf_stamp_changed(layerstore_dirfd(ls), in1.v[0].rel, &in1.v[0].stamp),
              "the first record is out of date");

    /* an error is not kept: fixed on disk, read again at once */
    fx_write(&fx, "config/daemon.json", "{\"exec-opts\":[\"isolation=bogus\"]}");
    layerstore_cache_invalidate(ls);
    cr_assert_null(dc_load(ls, NULL, &r));
    cr_assert_lt(r, 0);
    fx_write(&fx, "config/daemon.json", "{}");
    v = dc_load(ls, NULL, &r);
    cr_assert_str_eq(v, "(unset)");
    free(v);
    ls_inputs_free(&in1);
    ls_inputs_free(&in2);
    layerstore_close(ls);
    layerstore_close(plain);
}

Test(cache, shared_loads_follow_the_trust_period)
{
    struct layerstore *ls = open_ls(true, 0); /* look again on every use */
    char *v;
    int r;

    v = dc_load(ls, NULL, &r);
    cr_assert_str_eq(v, "(no file)");
    free(v);
    cr_assert_not(has_store(ls, NULL));
    fx_write(&fx, "config/daemon.json", "{\"exec-opts\":[\"isolation=hyperv\"]}");
    fx_mkdir(&fx, "network/files");
    fx_write(&fx, "network/files/local-kv.db", "x");
    v = dc_load(ls, NULL, &r);
    cr_assert_str_eq(v, "hyperv");
    free(v);
    cr_assert(has_store(ls, NULL));
    layerstore_close(ls);
}

/* A UtilityVM probe that fails (a link where the folder would be) is no error of the walk,
 * with or without the cache: the layer stays unprobed, for a bundle to ask where it needs
 * to. Before, the cached walk failed where the uncached one did not. */
Test(cache, a_failed_uvm_probe_is_no_walk_error)
{
    struct layerstore *plain = open_ls(false, 0), *cached = open_ls(true, 60000000000LL);
    struct result p, c, c2;

    fx_symlink(&fx, "/tmp", "windowsfilter/" CACHE2 "/UtilityVM");
    run(plain, CID1, &p);
    run(cached, CID1, &c);
    assert_same(&p, &c);
    cr_assert_not(c.w.layers[1].uvm_known, "the failed probe is not a fact");
    cr_assert(c.w.layers[2].uvm_known && c.w.layers[2].has_uvm);
    run(cached, CID2, &c2); /* from the image entry */
    assert_same(&p, &c2);
    result_free(&p);
    result_free(&c);
    result_free(&c2);
    layerstore_close(plain);
    layerstore_close(cached);
}

/* A walk that fails gives its caller what it looked at, as without the cache (the
 * filesystem watches those files and checks them before retrying). */
Test(cache, a_failed_walk_records_what_it_read)
{
    struct layerstore *plain = open_ls(false, 0), *cached = open_ls(true, 60000000000LL);
    struct result p, c;
    char rel[256];

    snprintf(rel, sizeof(rel), "image/windowsfilter/layerdb/sha256/%s/diff", C3_HEX);
    fx_write(&fx, rel, D1);
    run(plain, CID1, &p);
    run(cached, CID1, &c);
    cr_assert_lt(p.r, 0);
    cr_assert_lt(c.r, 0);
    cr_assert_str_eq(bf_error_message(&c.err), bf_error_message(&p.err));
    for (size_t i = 0; i < p.in.n; i++)
        cr_expect_not_null(ls_inputs_find(&c.in, p.in.v[i].rel), "%s not recorded",
                           p.in.v[i].rel);
    cr_assert_not_null(ls_inputs_find(&c.in, rel));
    result_free(&p);
    result_free(&c);
    layerstore_close(plain);
    layerstore_close(cached);
}

/* ---- values other loaders keep (ls_cache_memo_get/put) ---- */

static bool memo_is(struct layerstore *ls, const char *key, const char *want)
{
    void *val = NULL;
    size_t vlen = 0;
    int r = ls_cache_memo_get(ls, key, strlen(key), SIZE_MAX, &val, &vlen, NULL);
    bool same = want ? r == 1 && vlen == strlen(want) && memcmp(val, want, vlen) == 0 : r == 0;
    free(val);
    return same;
}

Test(cache, a_value_made_before_an_invalidation_does_not_displace_a_newer_one)
{
    struct layerstore *ls = open_ls(true, INT64_MAX);
    struct ls_inputs none = {0};
    uint64_t before = ls_cache_epoch(ls);
    struct ls_cache_stats st;

    /* one generation reads, the watcher invalidates, a second reads and keeps its value; the
     * first one's, made from what was there before, comes in last */
    layerstore_cache_invalidate(ls);
    ls_cache_memo_put(ls, "k", 1, "new", 3, &none, ls_cache_epoch(ls));
    ls_cache_memo_put(ls, "k", 1, "old", 3, &none, before);
    cr_expect(memo_is(ls, "k", "new"), "the newer value stays");
    ls_cache_memo_put(ls, "j", 1, "old", 3, &none, before);
    layerstore_cache_stats(ls, &st);
    cr_expect_eq(st.memos, 1, "a value of a past epoch is not kept: %zu", st.memos);
    cr_expect(memo_is(ls, "j", NULL), "nor used");
    layerstore_close(ls);
}
