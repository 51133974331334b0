/* layerstore_endpoints_load over a fixture data-root whose network/files/local-kv.db is built
 * by boltbuild.c: records found and joined by EndpointID, GW_INFO through the sandbox, and
 * every record that is not what the Windows driver writes gives its exact error. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../layerstore/fixture.h"
#include "boltbuild.h"
#include "layerstore.h"

/* Records are {key, JSON} or {key, NULL, raw bytes, length}: the short form is the common one. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define X64(c)                                                                                     \
    c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
        c c c c c c c c c c c c c c c c c
#define EA X64("a")
#define EB X64("b")
#define EG X64("9")
#define NA X64("1")
#define NB X64("2")
#define NNAT X64("3")
#define SB X64("5")
#define P "docker/network/v1.0/"
#define STORE "network/files/local-kv.db"
#define KA P "windows-endpointnat/" EA "/"
#define KB P "windows-endpointtransparent/" EB "/"
#define IDX "\x07\0\0\0\0\0\0\0" /* libkv's index */

static struct fx fx;
static struct layerstore *ls;
static struct bf_error err = BF_ERROR_INIT;
static struct ls_endpoints eps;
static struct ls_inputs in;
static struct ls_network nets[3];
static struct ls_container ct;

static void setup(void)
{
    fx_std(&fx, "windowsfilter");
    cr_assert_eq(layerstore_open(fx.root, NULL, &ls, &err), 0);
    nets[0] = (struct ls_network){.name = "alpha", .network_id = NA, .endpoint_id = EA};
    nets[1] = (struct ls_network){.name = "beta", .network_id = NB, .endpoint_id = EB};
    nets[2] = (struct ls_network){.name = "gamma", .network_id = "", .endpoint_id = ""};
    ct = (struct ls_container){.networks = nets, .n_networks = 3, .sandbox_id = ""};
}

static void teardown(void)
{
    ls_endpoints_free(&eps);
    ls_inputs_free(&in);
    layerstore_close(ls);
    fx_cleanup(&fx);
    bf_error_clear(&err);
}

TestSuite(endpoints, .init = setup, .fini = teardown);

struct rec {
    const char *k, *v; /* v: JSON, or NULL for raw (or, with bucket, an empty bucket) */
    const char *raw;
    size_t rawlen;
    int bucket;
};

static uint64_t txid = 3;

/* Write the store: bucket "libnetwork" with recs (sorted here), plus bucket "other". Each
 * store is a new transaction, as every bbolt commit is. */
static void store(struct rec *r, size_t n)
{
    struct bb img;
    struct bb_kv *kv = calloc(n + 1, sizeof(*kv));
    char **vals = calloc(n + 1, sizeof(*vals));
    uint8_t bv[16], ov[16];

    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(r[j].k, r[i].k) < 0) {
                struct rec t = r[i];
                r[i] = r[j];
                r[j] = t;
            }
    bb_init(&img);
    for (size_t i = 0; i < n; i++) {
        size_t vl = r[i].v ? 8 + strlen(r[i].v) : r[i].rawlen;
        vals[i] = malloc(vl + 32);
        if (r[i].bucket) {
            vl = bb_inline_value((uint8_t *)vals[i], NULL, 0);
        } else if (r[i].v) {
            memcpy(vals[i], IDX, 8);
            memcpy(vals[i] + 8, r[i].v, vl - 8);
        } else {
            memcpy(vals[i], r[i].raw, vl);
        }
        kv[i] = (struct bb_kv){r[i].k, strlen(r[i].k), vals[i], vl, r[i].bucket ? 1 : 0};
    }
    bb_bucket_value(bv, bb_leaf(&img, kv, n));
    struct bb_kv okv[] = {{"x", 1, "y", 1, 0}};
    bb_bucket_value(ov, bb_leaf(&img, okv, 1));
    struct bb_kv root[] = {{"libnetwork", 10, bv, 16, 1}, {"other", 5, ov, 16, 1}};
    uint64_t rp = bb_leaf(&img, root, n ? 2 : 0);
    bb_meta(&img, 0, rp, ++txid);
    bb_meta(&img, 1, rp, txid - 1);
    fx_write_len(&fx, STORE, (const char *)img.buf, img.len);
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
    free(kv);
    bb_free(&img);
}

#define REC_A "{\"id\":\"" EA "\",\"nid\":\"" NA "\",\"Type\":\"nat\",\"profileID\":\"HNS-A\"}"
#define REC_B                                                                                      \
    "{\"id\":\"" EB "\",\"nid\":\"" NB "\",\"Type\":\"transparent\",\"profileID\":\"HNS-B\"}"

/* Each load records into a list of its own, as each generation does. */
static int load(void)
{
    ls_inputs_free(&in);
    return layerstore_endpoints_load(ls, &ct, &eps, &in, &err);
}

static void expect_error(const char *msg)
{
    cr_assert_lt(load(), 0);
    cr_assert_str_eq(err.msg, msg);
}

Test(endpoints, no_store)
{
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_not(eps.store);
    cr_assert_eq(eps.n, 3);
    cr_assert_eq(eps.n_joined, 2);
    cr_assert_eq(eps.n_found, 0);
    cr_assert_null(eps.v[0].hnsid);
    cr_assert_eq(in.n, 1);
    cr_assert_str_eq(in.v[0].rel, STORE);
    cr_assert_not(in.v[0].stamp.exists);
}

Test(endpoints, records_joined_by_endpoint_id)
{
    struct rec r[] = {
        {KB, REC_B},
        {KA, REC_A},
        {P "windows-endpointnat/" X64("c") "/", "{\"id\":\"other\"}"}, /* not ours: not read */
        {P "network/" NA "/", "{\"name\":\"alpha\"}"},
    };
    store(r, 4);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert(eps.store);
    cr_assert_eq(eps.n_found, 2);
    cr_assert_str_eq(eps.v[0].network, "alpha");
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-A");
    cr_assert_str_eq(eps.v[0].type, "nat");
    cr_assert(eps.v[0].nat);
    cr_assert_str_eq(eps.v[1].hnsid, "HNS-B");
    cr_assert_not(eps.v[1].nat);
    cr_assert_null(eps.v[2].hnsid);
    cr_assert_null(eps.v[0].gw_hnsid);
    cr_assert_eq(in.n, 1);
    cr_assert(in.v[0].stamp.exists);
    cr_assert_gt(in.v[0].stamp.size, 0);
}

Test(endpoints, missing_records_and_buckets)
{
    struct rec r[] = {{KB, REC_B}};
    store(r, 1);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_eq(eps.n_found, 1);
    cr_assert_null(eps.v[0].hnsid);
    ls_endpoints_free(&eps);
    store(NULL, 0); /* no libnetwork bucket at all */
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert(eps.store);
    cr_assert_eq(eps.n_found, 0);
}

Test(endpoints, gateway_endpoint_through_the_sandbox)
{
    struct rec r[] = {
        {KA, REC_A},
        {KB, REC_B},
        {P "windows-endpointnat/" EG "/",
         "{\"id\":\"" EG "\",\"nid\":\"" NNAT "\",\"Type\":\"nat\",\"profileID\":\"HNS-GW\"}"},
        {P "network/" NNAT "/", "{\"id\":\"" NNAT "\",\"name\":\"nat\"}"},
        {P "network/" NA "/", "{\"id\":\"" NA "\",\"name\":\"alpha\"}"},
        {P "endpoint/" NNAT "/" EG "/", "{\"name\":\"gateway_555555555555\"}"},
        {P "sandbox/" SB "/", "{\"ID\":\"" SB "\",\"Eps\":[{\"Eid\":\"" EA "\",\"Nid\":\"" NA
                              "\"},{\"Eid\":\"" EG "\",\"Nid\":\"" NNAT "\"}]}"},
    };
    store(r, 7);
    ct.sandbox_id = SB;
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].gw_hnsid, "HNS-GW");
    cr_assert_str_eq(eps.v[1].gw_hnsid, "HNS-GW");
    cr_assert_null(eps.v[2].gw_hnsid);
    ls_endpoints_free(&eps);

    /* The container's own endpoint on nat is the gateway: no GW_INFO for it. */
    nets[0].endpoint_id = EG;
    nets[0].network_id = NNAT;
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-GW");
    cr_assert_null(eps.v[0].gw_hnsid);
    cr_assert_str_eq(eps.v[1].gw_hnsid, "HNS-GW");
}

Test(endpoints, bad_sandbox_record)
{
    struct rec r[] = {{KA, REC_A}, {P "sandbox/" SB "/", "{\"Eps\":{}}"}};
    store(r, 2);
    ct.sandbox_id = SB;
    expect_error(STORE ": libnetwork: " P "sandbox/" SB "/: \"Eps\" must be an array");
}

Test(endpoints, value_shorter_than_the_index)
{
    struct rec r[] = {{KA, NULL, "abc", 3}};
    store(r, 1);
    expect_error(STORE ": libnetwork: " KA ": value of 3 bytes is shorter than libkv's 8-byte "
                       "index");
}

Test(endpoints, fields_the_driver_always_writes)
{
    struct rec r1[] = {{KA, "{\"id\":\"" EA "\",\"nid\":\"" NA "\",\"Type\":\"nat\"}"}};
    store(r1, 1);
    expect_error(STORE ": libnetwork: " KA ": \"profileID\" is missing");
    struct rec r2[] = {
        {KA, "{\"id\":\"" EA "\",\"nid\":\"" NA "\",\"Type\":\"nat\",\"profileID\":7}"}};
    store(r2, 1);
    expect_error(STORE ": libnetwork: " KA ": \"profileID\" must be a string");
}

Test(endpoints, records_of_someone_else)
{
    struct rec r1[] = {
        {KA, "{\"id\":\"x\",\"nid\":\"" NA "\",\"Type\":\"nat\",\"profileID\":\"H\"}"}};
    store(r1, 1);
    expect_error(STORE ": libnetwork: " KA ": \"id\" is x, not the endpoint " EA " of its key");
    struct rec r2[] = {
        {KA, "{\"id\":\"" EA "\",\"nid\":\"" NA "\",\"Type\":\"ics\",\"profileID\":\"H\"}"}};
    store(r2, 1);
    expect_error(STORE ": libnetwork: " KA ": \"Type\" is ics, not the nat of its key");
    struct rec r3[] = {
        {KA, "{\"id\":\"" EA "\",\"nid\":\"" NB "\",\"Type\":\"nat\",\"profileID\":\"H\"}"}};
    store(r3, 1);
    expect_error(STORE ": libnetwork: " KA ": endpoint " EA " is on network " NB ", not " NA);
    struct rec r4[] = {{KA, REC_A}, {P "windows-endpointl2bridge/" EA "/", REC_A}};
    store(r4, 2);
    expect_error(STORE ": libnetwork: endpoint " EA " has two records (" P
                       "windows-endpointl2bridge/" EA "/ and " KA ")");
}

Test(endpoints, value_not_json)
{
    struct rec r[] = {{KA, "{\"id\":"}};
    store(r, 1);
    cr_assert_lt(load(), 0);
    cr_assert(strncmp(err.msg, STORE ": libnetwork: " KA ": ", strlen(STORE KA) + 16) == 0, "%s",
              err.msg);
}

Test(endpoints, store_is_read_without_following_links)
{
    fx_write(&fx, "network/files/real.db", "x");
    fx_symlink(&fx, "real.db", STORE);
    expect_error(STORE ": is a symbolic link or passes through one (links are never followed)");
    /* recorded as a freshness check sees it: the link itself, unchanged until it changes */
    cr_assert_eq(in.n, 1);
    cr_assert(in.v[0].stamp.exists);
    cr_assert(S_ISLNK(in.v[0].stamp.mode));
    cr_assert_not(ls_inputs_changed(ls, &in));
    fx_rm(&fx, STORE);
    fx_write(&fx, STORE, "x");
    cr_assert(ls_inputs_changed(ls, &in));
}

Test(endpoints, broken_store)
{
    fx_write(&fx, STORE, "not a bolt file at all, just text");
    expect_error(STORE ": no valid meta page (meta 0: truncated; meta 1: none found at any page "
                       "size)");
}

/* The snapshot is kept with the layerstore and renewed by a commit, even one that leaves the
 * file's size as it was (bbolt preallocates). */
Test(endpoints, a_commit_is_seen)
{
    struct rec r1[] = {{KA, REC_A}};
    struct rec r2[] = {
        {KA, "{\"id\":\"" EA "\",\"nid\":\"" NA "\",\"Type\":\"nat\",\"profileID\":\"HNS-Z\"}"}};
    store(r1, 1);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-A");
    ls_endpoints_free(&eps);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-A");
    ls_endpoints_free(&eps);
    off_t size = in.v[0].stamp.size;
    store(r2, 1);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-Z");
    cr_assert_eq(in.v[0].stamp.size, size);
    ls_endpoints_free(&eps);
    fx_write(&fx, STORE, "garbage");
    expect_error(STORE ": no valid meta page (meta 0: truncated; meta 1: none found at any page "
                       "size)");
}

/* With the layerstore cache (the filesystem's), the look at the store is reused while the
 * cache trusts it: a commit is seen once the cache is invalidated (the watcher does that on
 * any change in network/files/), or on every use with no trust period. */
Test(endpoints, a_commit_is_seen_through_the_cache)
{
    struct rec r1[] = {{KA, REC_A}};
    struct rec r2[] = {
        {KA, "{\"id\":\"" EA "\",\"nid\":\"" NA "\",\"Type\":\"nat\",\"profileID\":\"HNS-Z\"}"}};
    cr_assert_eq(layerstore_cache_enable(ls, 0, 60000000000LL), 0);
    store(r1, 1);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-A");
    ls_endpoints_free(&eps);
    struct bf_stamp first = in.v[0].stamp;
    store(r2, 1);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-A", "trusted: the store is not looked at again");
    cr_assert_eq(memcmp(&first, &in.v[0].stamp, sizeof(first)), 0,
                 "a reuse records the stamp it was loaded with");
    ls_endpoints_free(&eps);
    layerstore_cache_invalidate(ls);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-Z", "invalidated: the commit is seen");
    ls_endpoints_free(&eps);
    layerstore_cache_set_trust(ls, 0);
    store(r1, 1);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-A", "no trust period: every use looks");
    ls_endpoints_free(&eps);
    layerstore_cache_set_trust(ls, 60000000000LL);
    fx_write(&fx, STORE, "garbage");
    layerstore_cache_invalidate(ls);
    cr_assert_lt(load(), 0);
    store(r2, 1);
    cr_assert_eq(load(), 0, "a failed look is not kept: %s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-Z");
}

/* Every record and sandbox is read once per commit, whoever asks: what is wrong with another
 * container's record or sandbox is not this container's error. */
Test(endpoints, other_containers_bad_records_are_theirs)
{
    struct rec r[] = {
        {KA, REC_A},
        {KB, REC_B},
        {P "windows-endpointnat/" X64("c") "/", "{\"id\":"},
        {P "windows-endpointnat/" X64("d") "/", NULL, "ab", 2},
        {P "windows-endpointics/" X64("e") "/", "{\"id\":\"" X64("e") "\",\"Type\":\"nat\"}"},
        {P "sandbox/" X64("6") "/", "{\"Eps\":7}"},
        {P "sandbox/" X64("7") "/", NULL, NULL, 0, 1},
    };
    store(r, 7);
    ct.sandbox_id = SB;
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_eq(eps.n_found, 2);
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-A");
    ls_endpoints_free(&eps);
    nets[1].endpoint_id = X64("d");
    expect_error(STORE ": libnetwork: " P
                       "windows-endpointnat/" X64("d") "/: value of 2 bytes "
                                                       "is shorter than libkv's 8-byte index");
    nets[1].endpoint_id = X64("e");
    expect_error(STORE ": libnetwork: " P "windows-endpointics/" X64("e") "/: \"nid\" is "
                                                                          "missing");
    nets[1].endpoint_id = EB;
    ct.sandbox_id = X64("6");
    expect_error(STORE ": libnetwork: " P "sandbox/" X64("6") "/: \"Eps\" must be an array");
    ct.sandbox_id = X64("7");
    expect_error(STORE ": libnetwork: " P "sandbox/" X64("7") "/: a bucket, not a record");
}

/* What the scanner cannot read plainly (escapes, other spellings of a member) is read as
 * jansson reads it, to the same values. */
Test(endpoints, escaped_and_respelled_members)
{
    struct rec r[] = {
        {KA, "{\"id\":\"\\u0061" X64("a") "\",\"nid\":\"" NA "\",\"Type\":\"nat\","
                                          "\"profileID\":\"HNS-\\u0041\"}"},
        {KB, "{\"ID\":\"" EB "\",\"nid\":\"" NB "\",\"type\":\"transparent\","
             "\"profileid\":\"HNS-B\"}"},
    };
    /* EA is 64 'a': the escaped one above is 65, so not the key's */
    store(r, 2);
    expect_error(STORE ": libnetwork: " KA ": \"id\" is a" EA ", not the endpoint " EA
                       " of its key");
    char v0[512];
    snprintf(v0, sizeof(v0),
             "{\"id\":\"\\u0061%s\",\"nid\":\"" NA "\",\"Type\":\"nat\",\"profileID\":\"HNS-"
             "\\u0041\"}",
             EA + 1);
    struct rec r2[] = {
        {KA, v0},
        {KB, "{\"ID\":\"" EB "\",\"nid\":\"" NB "\",\"type\":\"transparent\","
             "\"profileid\":\"HNS-B\"}"},
    };
    store(r2, 2);
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-A");
    cr_assert_str_eq(eps.v[1].hnsid, "HNS-B");
    cr_assert_str_eq(eps.v[1].type, "transparent");
}

/* Two records of one endpoint are named in the store's key order, which is not the order of
 * their types when one type begins the other ('-' sorts before '/'). */
Test(endpoints, two_records_in_key_order)
{
    struct rec r[] = {{KA, REC_A}, {P "windows-endpointnat-x/" EA "/", REC_A}};
    store(r, 2);
    expect_error(STORE ": libnetwork: endpoint " EA " has two records (" P
                       "windows-endpointnat-x/" EA "/ and " KA ")");
}

#define GW_RECS(sb, eg, hns)                                                                       \
    {P "windows-endpointnat/" eg "/",                                                              \
     "{\"id\":\"" eg "\",\"nid\":\"" NNAT "\",\"Type\":\"nat\",\"profileID\":\"" hns "\"}"},       \
        {P "endpoint/" NNAT "/" eg "/", "{\"name\":\"gateway_1\"}"},                               \
    {                                                                                              \
        P "sandbox/" sb "/", "{\"Eps\":[{\"Eid\":\"" eg "\",\"Nid\":\"" NNAT "\"}]}"               \
    }

/* Sandboxes are found by their ID, whatever order their keys have in the store. */
Test(endpoints, gateways_of_many_sandboxes)
{
    struct rec r[] = {
        {KA, REC_A},
        {P "network/" NNAT "/", "{\"name\":\"nat\"}"},
        GW_RECS(SB, X64("8"), "HNS-GW8"),
        GW_RECS(SB "-x", X64("9"), "HNS-GW9"),
        GW_RECS(SB "-", X64("7"), "HNS-GW7"),
    };
    store(r, 11);
    nets[1].endpoint_id = "";
    ct.sandbox_id = SB;
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].gw_hnsid, "HNS-GW8");
    ls_endpoints_free(&eps);
    ct.sandbox_id = SB "-x";
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].gw_hnsid, "HNS-GW9");
    ls_endpoints_free(&eps);
    ct.sandbox_id = SB "-";
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].gw_hnsid, "HNS-GW7");
    ls_endpoints_free(&eps);
    ct.sandbox_id = X64("4");
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_null(eps.v[0].gw_hnsid);
}

/* store() sorts the records it is given: change one by its key. */
static void set_value(struct rec *r, size_t n, const char *key, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].k, key) == 0)
            r[i].v = v;
}

/* The gateway's own records give their errors to the sandbox's containers. */
Test(endpoints, gateway_records_not_what_libnetwork_writes)
{
    struct rec r[] = {
        {KA, REC_A},
        {P "network/" NNAT "/", "{\"name\":7}"},
        GW_RECS(SB, EG, "HNS-GW"),
    };
    store(r, 5);
    ct.sandbox_id = SB;
    expect_error(STORE ": libnetwork: " P "network/" NNAT "/: \"name\" must be a string");
    set_value(r, 5, P "network/" NNAT "/", "{\"name\":\"nat\"}");
    set_value(r, 5, P "endpoint/" NNAT "/" EG "/", "{\"nom\":\"gateway_1\"}");
    store(r, 5);
    expect_error(STORE ": libnetwork: " P "endpoint/" NNAT "/" EG "/: \"name\" is missing");
    set_value(r, 5, P "endpoint/" NNAT "/" EG "/", "{\"name\":\"gateway_1\"}");
    set_value(r, 5, P "windows-endpointnat/" EG "/",
              "{\"id\":\"" EG "\",\"Type\":\"nat\",\"profileID\":\"HNS-GW\"}");
    store(r, 5);
    expect_error(STORE ": libnetwork: " P "windows-endpointnat/" EG "/: \"nid\" is missing");
}

/* A store of many records none of which is what the driver writes: each container that
 * names one gets that record's error; the others are not touched by it. */
Test(endpoints, a_store_of_bad_records)
{
    enum { N = 3000 };
    struct rec *r = calloc(N + 1, sizeof(*r));
    char(*keys)[160] = calloc(N, sizeof(*keys)), eid[80];

    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof(keys[i]), P "windows-endpointnat/%064d/", i);
        r[i] = (struct rec){.k = keys[i], .v = i % 2 ? "{\"id\":" : "[]"};
    }
    r[N] = (struct rec){KA, REC_A};
    store(r, N + 1);
    nets[1].endpoint_id = "";
    cr_assert_eq(load(), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(eps.v[0].hnsid, "HNS-A");
    ls_endpoints_free(&eps);
    snprintf(eid, sizeof(eid), "%064d", 1234);
    nets[0].endpoint_id = eid;
    expect_error(STORE ": libnetwork: " P "windows-endpointnat/"
                       "0000000000000000000000000000000000000000000000000000000000001234/: "
                       "expected a JSON object");
    free(keys);
    free(r);
}
