/* network.c - the container's network endpoints from libnetwork's store (doc §1.3).
 *
 * Since 2017 Docker's Windows network driver persists each endpoint in
 * R/network/files/local-kv.db (BoltDB, bucket "libnetwork"), under
 * "docker/network/v1.0/windows-endpoint<type>/<endpoint-id>/". libkv frames every value as an
 * 8-byte little-endian index followed by the JSON the driver marshalled: "id", "nid", "Type",
 * "profileID" (the HNS endpoint ID that goes into the spec), "MacAddress", ...
 *
 * Decisions:
 * - The whole store is read as one consistent snapshot (boltdb.h), so a daemon that is writing
 *   it never gives us half of one transaction and half of another. The snapshot and its index
 *   of driver records are kept with the layerstore and reused while the file's identity, size,
 *   times and both meta pages are unchanged (a store of a few MB is then not copied again for
 *   every container); any commit renews it. With the layerstore cache, the look at the file
 *   itself is reused as the cache's entries are (struct ls_shared): the filesystem's watcher
 *   invalidates it on any change in network/files/.
 * - A record is trusted only when it is the container's: its key names the container's
 *   EndpointID, its "id" says the same and its "nid" is the NetworkID of config.v2.json.
 *   Anything else about the container's own records is an error, never a guess.
 * - A joined network without a record is skipped, as Docker skips an endpoint whose
 *   DriverInfo has no "hnsid"; the caller decides what to say when none is found at all.
 * - GW_INFO: libnetwork attaches the driver info of the sandbox's endpoint on the gateway
 *   network ("nat" on Windows, endpoint name "gateway_...") to every other endpoint. It is
 *   found through the sandbox record (docker/network/v1.0/sandbox/<SandboxID>/, "Eps"), the
 *   network records ("name") and libnetwork's endpoint records ("name").
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bf_util.h"
#include "boltdb.h"
#include "ls_internal.h"

#define STORE_REL "network/files/local-kv.db"
#define BUCKET "libnetwork"
#define ROOT_CHAIN "docker/network/v1.0/"
#define WIN_EP_PREFIX ROOT_CHAIN "windows-endpoint"
#define LIBKV_INDEX_LEN 8
#define GW_NETWORK "nat"
#define GW_EP_PREFIX "gateway_"

struct winrec {
    char *eid, *type, *key;
    const uint8_t *val;
    size_t vlen;
};

struct scan {
    struct winrec *v;
    size_t n, cap;
};

void ls_endpoints_free(struct ls_endpoints *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].hnsid);
        free(e->v[i].type);
        free(e->v[i].gw_hnsid);
    }
    free(e->v);
    memset(e, 0, sizeof(*e));
}

static void scan_free(struct scan *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].eid);
        free(s->v[i].type);
        free(s->v[i].key);
    }
    free(s->v);
}

/* Collect every Windows driver endpoint record: "<prefix><type>/<eid>/". */
static int scan_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                      bool is_bucket, struct bf_error *err)
{
    struct scan *s = ctx;
    const size_t plen = strlen(WIN_EP_PREFIX);
    char *k, *type, *eid, *slash;

    if (is_bucket || klen <= plen || memcmp(key, WIN_EP_PREFIX, plen) != 0 ||
        memchr(key, '\0', klen))
        return 0;
    k = strndup((const char *)key, klen);
    if (!k)
        return bf_error_set(err, ENOMEM, "%s: out of memory", STORE_REL);
    type = k + plen;
    slash = strchr(type, '/');
    if (!slash || slash == type || slash[1] == '\0' || strchr(slash + 1, '/') != k + klen - 1) {
        free(k); /* not the driver's key shape: not a record of ours */
        return 0;
    }
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 8;
        struct winrec *nv = realloc(s->v, ncap * sizeof(*nv));
        if (!nv) {
            free(k);
            return bf_error_set(err, ENOMEM, "%s: out of memory", STORE_REL);
        }
        s->v = nv;
        s->cap = ncap;
    }
    type = strndup(type, (size_t)(slash - type));
    eid = strndup(slash + 1, strlen(slash + 1) - 1);
    if (!type || !eid) {
        free(type);
        free(eid);
        free(k);
        return bf_error_set(err, ENOMEM, "%s: out of memory", STORE_REL);
    }
    s->v[s->n++] = (struct winrec){.eid = eid, .type = type, .key = k, .val = val, .vlen = vlen};
    return 0;
}

/* Records sorted by endpoint ID, then key (the store's own order of two records of one ID):
 * a container's record is found by binary search, not by a scan of every record. */
static int rec_cmp(const void *a, const void *b)
{
    const struct winrec *x = a, *y = b;
    int c = strcmp(x->eid, y->eid);
    return c ? c : strcmp(x->key, y->key);
}

/* The one record of endpoint `eid`, NULL when there is none; two records is an error. */
static int find_rec(const struct scan *s, const char *eid, const struct winrec **out,
                    struct bf_error *err)
{
    size_t lo = 0, hi = s->n;

    *out = NULL;
    while (lo < hi) { /* the first record whose ID is >= eid */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->v[mid].eid, eid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == s->n || strcmp(s->v[lo].eid, eid) != 0)
        return 0;
    if (lo + 1 < s->n && strcmp(s->v[lo + 1].eid, eid) == 0)
        return bf_error_set(err, EINVAL, "%s: " BUCKET ": endpoint %s has two records (%s and %s)",
                            STORE_REL, eid, s->v[lo].key, s->v[lo + 1].key);
    *out = &s->v[lo];
    return 0;
}

/* Parse a libkv value: the 8-byte index, then a JSON object. `what` names it in messages. */
static int parse_value(const char *what, const uint8_t *val, size_t vlen, json_t **out,
                       struct bf_error *err)
{
    if (vlen < LIBKV_INDEX_LEN)
        return bf_error_set(err, EINVAL,
                            "%s: value of %zu bytes is shorter than libkv's %d-byte "
                            "index",
                            what, vlen, LIBKV_INDEX_LEN);
    return ls_parse_json(what, (const char *)val + LIBKV_INDEX_LEN, vlen - LIBKV_INDEX_LEN, out,
                         err);
}

static char *rec_name(const char *key)
{
    char *s = NULL;
    return asprintf(&s, "%s: " BUCKET ": %s", STORE_REL, key) < 0 ? NULL : s;
}

/* A required string member of a record. */
static int req_string(const char *what, json_t *obj, const char *name, char **out,
                      struct bf_error *err)
{
    struct ls_jctx c = {.file = what, .err = err};

    if (!ls_j_get(obj, name))
        return bf_error_set(err, EINVAL, "%s: \"%s\" is missing", what, name);
    return ls_j_string(&c, ls_j_get(obj, name), name, NULL, out);
}

/* Read the Windows driver record `r` of endpoint `eid`; `nid` (nullable, "" = unknown) must
 * match the record's network. */
static int read_rec(const struct winrec *r, const char *eid, const char *nid, char **hnsid,
                    char **type, struct bf_error *err)
{
    _cleanup_free_ char *what = rec_name(r->key), *id = NULL, *rnid = NULL;
    json_t *obj = NULL;
    int rc;

    if (!what)
        return bf_error_set(err, ENOMEM, "out of memory");
    rc = parse_value(what, r->val, r->vlen, &obj, err);
    if (rc < 0)
        return rc;
    if ((rc = req_string(what, obj, "id", &id, err)) < 0 ||
        (rc = req_string(what, obj, "nid", &rnid, err)) < 0 ||
        (rc = req_string(what, obj, "Type", type, err)) < 0 ||
        (rc = req_string(what, obj, "profileID", hnsid, err)) < 0)
        goto out;
    if (strcmp(id, eid) != 0)
        rc = bf_error_set(err, EINVAL, "%s: \"id\" is %s, not the endpoint %s of its key", what, id,
                          eid);
    else if (strcmp(*type, r->type) != 0)
        rc = bf_error_set(err, EINVAL, "%s: \"Type\" is %s, not the %s of its key", what, *type,
                          r->type);
    else if (nid && *nid && strcmp(rnid, nid) != 0)
        rc = bf_error_set(err, EINVAL, "%s: endpoint %s is on network %s, not %s", what, eid, rnid,
                          nid);
out:
    json_decref(obj);
    if (rc < 0) {
        free(*hnsid);
        free(*type);
        *hnsid = *type = NULL;
    }
    return rc;
}

/* Look up libnetwork record `key` and return its JSON object, NULL when absent. */
static int get_record(const struct bolt_bucket *b, const char *key, json_t **out,
                      struct bf_error *err)
{
    _cleanup_free_ char *what = rec_name(key);
    const uint8_t *val;
    size_t vlen;
    bool is_bucket, found;
    int r;

    *out = NULL;
    if (!what)
        return bf_error_set(err, ENOMEM, "out of memory");
    r = bolt_get(b, key, strlen(key), &val, &vlen, &is_bucket, &found, err);
    if (r < 0 || !found)
        return r;
    if (is_bucket)
        return bf_error_set(err, EINVAL, "%s: a bucket, not a record", what);
    return parse_value(what, val, vlen, out, err);
}

/* The string member `name` of record `key` (NULL when the record is absent). */
static int record_string(const struct bolt_bucket *b, const char *key, const char *name, char **out,
                         struct bf_error *err)
{
    _cleanup_free_ char *what = rec_name(key);
    json_t *obj;
    int r;

    *out = NULL;
    if (!what)
        return bf_error_set(err, ENOMEM, "out of memory");
    r = get_record(b, key, &obj, err);
    if (r < 0 || !obj)
        return r;
    r = req_string(what, obj, name, out, err);
    json_decref(obj);
    return r;
}

/* The endpoint ID of the sandbox's gateway endpoint, NULL when there is none. */
static int gateway_endpoint(const struct bolt_bucket *b, const char *sandbox_id, char **gw_eid,
                            struct bf_error *err)
{
    _cleanup_free_ char *key = NULL, *what = NULL;
    json_t *sb = NULL, *eps;
    size_t i;
    int r = 0;

    *gw_eid = NULL;
    if (asprintf(&key, ROOT_CHAIN "sandbox/%s/", sandbox_id) < 0 || !(what = rec_name(key)))
        return bf_error_set(err, ENOMEM, "out of memory");
    r = get_record(b, key, &sb, err);
    if (r < 0 || !sb)
        return r;
    eps = ls_j_get(sb, "Eps");
    if (eps && !json_is_array(eps)) {
        json_decref(sb);
        return bf_error_set(err, EINVAL, "%s: \"Eps\" must be an array", what);
    }
    for (i = 0; i < json_array_size(eps); i++) {
        json_t *ep = json_array_get(eps, i);
        const char *eid = json_string_value(ls_j_get(ep, "Eid"));
        const char *nid = json_string_value(ls_j_get(ep, "Nid"));
        _cleanup_free_ char *nkey = NULL, *ekey = NULL, *nname = NULL, *ename = NULL;

        if (!json_is_object(ep) || !eid || !nid) {
            r = bf_error_set(err, EINVAL, "%s: \"Eps\"[%zu] must have string Eid and Nid", what, i);
            break;
        }
        if (asprintf(&nkey, ROOT_CHAIN "network/%s/", nid) < 0 ||
            asprintf(&ekey, ROOT_CHAIN "endpoint/%s/%s/", nid, eid) < 0) {
            r = bf_error_set(err, ENOMEM, "out of memory");
            break;
        }
        if ((r = record_string(b, nkey, "name", &nname, err)) < 0)
            break;
        if (!nname || strcmp(nname, GW_NETWORK) != 0)
            continue;
        if ((r = record_string(b, ekey, "name", &ename, err)) < 0)
            break;
        if (ename && strncmp(ename, GW_EP_PREFIX, strlen(GW_EP_PREFIX)) == 0) {
            if (!(*gw_eid = strdup(eid)))
                r = bf_error_set(err, ENOMEM, "out of memory");
            break;
        }
    }
    json_decref(sb);
    return r;
}

struct ls_netcache {
    struct bolt_db *db; /* NULL: nothing cached */
    bool have_lib;      /* the "libnetwork" bucket exists */
    struct bolt_bucket lib;
    struct scan s; /* the Windows driver's records in it */
    /* The last look at the file (its stamp), reused without another while fresh (struct
     * ls_shared: with the layerstore cache, until the data-root's shared inputs change). */
    struct ls_shared checked;
    struct bf_stamp st;
};

/* One lock for every layerstore's cache: loads are short once the snapshot is indexed. */
static pthread_mutex_t netcache_lock = PTHREAD_MUTEX_INITIALIZER;

static void netcache_drop(struct ls_netcache *nc)
{
    bolt_close(nc->db);
    scan_free(&nc->s);
    memset(nc, 0, sizeof(*nc));
}

void ls_netcache_free(struct ls_netcache *nc)
{
    if (!nc)
        return;
    netcache_drop(nc);
    free(nc);
}

/* Bring the cache up to the file: a new snapshot is indexed once. */
static int netcache_refresh(struct layerstore *ls, struct bf_stamp *st, struct bf_error *err)
{
    struct ls_netcache *nc = ls->netcache;
    struct bolt_bucket root;
    bool reused;
    int r;

    r = bolt_refresh_at(ls->dirfd, STORE_REL, LS_CAP_NETWORK_STORE, &nc->db, &reused, st, err);
    if (r < 0 || reused) {
        if (r < 0)
            netcache_drop(nc);
        return r;
    }
    scan_free(&nc->s);
    memset(&nc->s, 0, sizeof(nc->s));
    bolt_root(nc->db, &root);
    r = bolt_bucket(&root, BUCKET, &nc->lib, &nc->have_lib, err);
    if (r == 0 && nc->have_lib)
        r = bolt_foreach(&nc->lib, scan_visit, &nc->s, err);
    if (r == 0 && nc->s.n > 1)
        qsort(nc->s.v, nc->s.n, sizeof(*nc->s.v), rec_cmp);
    if (r < 0)
        netcache_drop(nc);
    return r;
}

static int load(const struct ls_netcache *nc, const struct ls_container *c, struct ls_endpoints *e,
                struct bf_error *err)
{
    const struct bolt_bucket *lib = &nc->lib;
    const struct scan *s = &nc->s;
    _cleanup_free_ char *gw_eid = NULL, *gw_hnsid = NULL;
    int r = 0;

    if (!nc->have_lib)
        return 0;
    for (size_t i = 0; r == 0 && i < c->n_networks; i++) {
        const struct ls_network *nw = &c->networks[i];
        const struct winrec *rec;

        if (!nw->endpoint_id || !*nw->endpoint_id)
            continue;
        if ((r = find_rec(s, nw->endpoint_id, &rec, err)) < 0 || !rec)
            continue;
        r = read_rec(rec, nw->endpoint_id, nw->network_id, &e->v[i].hnsid, &e->v[i].type, err);
        if (r == 0) {
            e->v[i].nat = strcmp(e->v[i].type, "nat") == 0;
            e->n_found++;
        }
    }
    if (r == 0 && e->n_found && c->sandbox_id && *c->sandbox_id)
        r = gateway_endpoint(lib, c->sandbox_id, &gw_eid, err);
    if (r == 0 && gw_eid) {
        const struct winrec *rec;
        _cleanup_free_ char *type = NULL;
        if ((r = find_rec(s, gw_eid, &rec, err)) == 0 && rec)
            r = read_rec(rec, gw_eid, NULL, &gw_hnsid, &type, err);
    }
    for (size_t i = 0; r == 0 && gw_hnsid && i < e->n; i++) {
        if (!e->v[i].hnsid || strcmp(c->networks[i].endpoint_id, gw_eid) == 0)
            continue;
        if (!(e->v[i].gw_hnsid = strdup(gw_hnsid)))
            r = bf_error_set(err, ENOMEM, "out of memory");
    }
    return r;
}

int layerstore_endpoints_load(struct layerstore *ls, const struct ls_container *c,
                              struct ls_endpoints *out, struct ls_inputs *in, struct bf_error *err)
{
    struct ls_endpoints e = {0};
    struct ls_shared sh = {0};
    struct bf_stamp st;
    mode_t mode = 0;
    bool fresh = false;
    int r = 0;

    memset(out, 0, sizeof(*out));
    if (c->n_networks) {
        e.v = calloc(c->n_networks, sizeof(*e.v));
        if (!e.v)
            return bf_error_set(err, ENOMEM, "out of memory");
    }
    e.n = c->n_networks;
    for (size_t i = 0; i < e.n; i++) {
        e.v[i].network = c->networks[i].name;
        if (c->networks[i].endpoint_id && *c->networks[i].endpoint_id)
            e.n_joined++;
    }
    pthread_mutex_lock(&netcache_lock);
    if (!ls->netcache && !(ls->netcache = calloc(1, sizeof(*ls->netcache))))
        r = bf_error_set(err, ENOMEM, "out of memory");
    if (r == 0 && (fresh = ls_shared_fresh(ls, &ls->netcache->checked)))
        st = ls->netcache->st;
    pthread_mutex_unlock(&netcache_lock);
    if (r == 0 && !fresh) {
        ls_shared_begin(ls, &sh);
        r = bf_stat_beneath(ls->dirfd, STORE_REL, &st, &mode, err);
    }
    if (r == 0 && !st.exists) {
        if (!fresh) { /* remembered absent too */
            pthread_mutex_lock(&netcache_lock);
            ls->netcache->st = st;
            ls->netcache->checked = sh;
            pthread_mutex_unlock(&netcache_lock);
        }
        r = ls_record(ls, in, STORE_REL, &st, err);
        goto done;
    }
    if (r == 0) {
        pthread_mutex_lock(&netcache_lock);
        if (!fresh && (r = netcache_refresh(ls, &st, err)) == 0) {
            ls->netcache->st = st;
            ls->netcache->checked = sh;
        }
        if (r == 0) {
            e.store = true;
            r = ls_record(ls, in, STORE_REL, &st, err);
        }
        if (r == 0)
            r = load(ls->netcache, c, &e, err);
        pthread_mutex_unlock(&netcache_lock);
    }
    if (r < 0 && !e.store) {
        struct bf_error ignored = BF_ERROR_INIT;
        ls_record(ls, in, STORE_REL, NULL, &ignored); /* re-read on every check */
        bf_error_clear(&ignored);
    }
done:
    if (r < 0) {
        ls_endpoints_free(&e);
        return r;
    }
    *out = e;
    return 0;
}
