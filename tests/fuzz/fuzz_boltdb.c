/* BoltDB files (libnetwork's local-kv.db): the input is the whole file.
 *
 * In memory: open, walk every bucket and key, and look each key up again from the root; the
 * lookup must succeed and find exactly the bytes the walk reported.
 * Through the data-root: the input becomes R/network/files/local-kv.db and the endpoints of a
 * container joined to three networks (endpoint IDs "e1..", "e2..", "e3..", sandbox "5b..") are
 * loaded from it; found endpoints must carry an HNS ID and a type. The file is removed after. */
#include <stdlib.h>
#include <string.h>

#include "boltdb.h"
#include "fuzz_common.h"

#define EP(c)                                                                                      \
    c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
        c c c c c c c c c c c c c c c c c
#define STORE "network/files/local-kv.db"

struct walk_ctx {
    const struct bolt_db *db;
    size_t n;
};

static int visit(void *vctx, const struct bolt_name *path, unsigned depth, const uint8_t *key,
                 size_t klen, const uint8_t *val, size_t vlen, bool is_bucket, struct bf_error *err)
{
    struct walk_ctx *c = vctx;
    struct bolt_bucket b;
    const uint8_t *v;
    size_t vl;
    bool isb, found;
    int r;

    bolt_root(c->db, &b);
    for (unsigned i = 0; i < depth; i++) {
        r = bolt_get(&b, path[i].p, path[i].len, &v, &vl, &isb, &found, err);
        FZ_ASSERT(r == 0, "lookup of a walked bucket failed: %s", bf_error_message(err));
        FZ_ASSERT(found && isb, "bucket %u of the path not found by lookup", i);
        r = bolt_bucket_from_value(&b, v, vl, &b, err);
        FZ_ASSERT(r == 0, "walked bucket cannot be opened: %s", bf_error_message(err));
    }
    /* The walk checked every page of the path and that each key lies within its branch
     * keys, so the lookup must find the very element the walk reported. */
    r = bolt_get(&b, key, klen, &v, &vl, &isb, &found, err);
    FZ_ASSERT(r == 0, "lookup of a walked key failed: %s", bf_error_message(err));
    FZ_ASSERT(found && isb == is_bucket && v == val && vl == vlen, "lookup disagrees with walk");
    c->n++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = fz_root();
    struct bf_error err = BF_ERROR_INIT;
    struct bolt_db *db = NULL;
    int r;

    fz_begin(data, size);
    r = bolt_open_mem(data, size, "fuzz.db", &db, &err);
    fz_check_result(r, &err);
    if (r == 0) {
        struct walk_ctx c = {.db = db};
        r = bolt_walk(db, visit, &c, &err);
        fz_check_result(r, &err);
    }
    bolt_close(db);

    struct ls_network nets[3] = {
        {.name = "a", .network_id = "", .endpoint_id = EP("e")},
        {.name = "b", .network_id = EP("1"), .endpoint_id = EP("f")},
        {.name = "c", .network_id = "", .endpoint_id = ""},
    };
    struct ls_container ct = {.networks = nets, .n_networks = 3, .sandbox_id = EP("5")};
    struct ls_endpoints eps;
    fz_put(STORE, data, size);
    r = layerstore_endpoints_load(z->ls, &ct, &eps, NULL, &err);
    fz_check_result(r, &err);
    if (r == 0) {
        FZ_ASSERT(eps.store && eps.n == 3 && eps.n_joined == 2 && eps.n_found <= 2, "counts");
        for (size_t i = 0; i < eps.n; i++) {
            FZ_ASSERT(!eps.v[i].hnsid == !eps.v[i].type, "hnsid without type");
            FZ_ASSERT(eps.v[i].hnsid || !eps.v[i].gw_hnsid, "GW_INFO without an endpoint");
            if (eps.v[i].hnsid)
                fz_no_decoy(eps.v[i].hnsid, strlen(eps.v[i].hnsid));
        }
    }
    ls_endpoints_free(&eps);
    fz_put(STORE, NULL, 0);
    return 0;
}
