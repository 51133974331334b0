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
 *   it never gives us half of one transaction and half of another. From that snapshot an index
 *   is taken once (struct netidx: each driver record's IDs and HNS ID or its error, each
 *   sandbox's gateway endpoint), then its pages are let go: what is kept is a small fraction
 *   of the file, all of one commit. The index is reused while the file's identity, size, times
 *   and both meta pages are unchanged; any commit renews it. With the layerstore cache, the
 *   look at the file itself is reused as the cache's entries are (struct ls_shared): the
 *   filesystem's watcher invalidates it on any change in network/files/.
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
#include "jscan.h"
#include "jview.h"
#include "ls_internal.h"

#define STORE_REL "network/files/local-kv.db"
#define BUCKET "libnetwork"
#define ROOT_CHAIN "docker/network/v1.0/"
#define WIN_EP_PREFIX ROOT_CHAIN "windows-endpoint"
#define LIBKV_INDEX_LEN 8
#define GW_NETWORK "nat"
#define GW_EP_PREFIX "gateway_"

#define SB_PREFIX ROOT_CHAIN "sandbox/"

/* What load() needs of one commit of the store, taken from one snapshot that is then let go:
 * every Windows driver record, and every sandbox that has a gateway endpoint or whose search
 * for one fails. Strings are offsets into `text`, each NUL-terminated. A record's message is
 * the one reading it would give, whatever container asks (only the "nid" check is the
 * container's, and is made at load). */
struct eprec {
    uint32_t eid;   /* the endpoint ID of its key */
    uint32_t type;  /* the <type> of its key, and its "Type" when code is 0 */
    uint32_t nid;   /* code 0: its "nid"; else the message */
    uint32_t hnsid; /* code 0: its "profileID" */
    int code;       /* 0, or the errno of the message */
};

struct sbrec {
    uint32_t sid; /* the sandbox ID of its key */
    uint32_t gw;  /* code 0: the ID of its gateway endpoint; else the message */
    int code;
};

struct netidx {
    char *text;
    size_t len, cap;
    struct eprec *ep; /* sorted by endpoint ID, then key */
    size_t n_ep, cap_ep;
    struct sbrec *sb; /* sorted by sandbox ID */
    size_t n_sb, cap_sb;
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

static void idx_free(struct netidx *x)
{
    free(x->text);
    free(x->ep);
    free(x->sb);
    memset(x, 0, sizeof(*x));
}

static int idx_oom(struct bf_error *err)
{
    return bf_error_set(err, ENOMEM, "%s: out of memory", STORE_REL);
}

/* Room for one more element of size `sz` in *v (n used of *cap). */
static int idx_grow(void **v, size_t *cap, size_t n, size_t sz, struct bf_error *err)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    void *nv;

    if (n < *cap)
        return 0;
    if (!(nv = reallocarray(*v, ncap, sz)))
        return idx_oom(err);
    *v = nv;
    *cap = ncap;
    return 0;
}

/* Append n bytes and a NUL to the text; *off is where they start. */
static int text_add(struct netidx *x, const char *p, size_t n, uint32_t *off, struct bf_error *err)
{
    if (n >= UINT32_MAX - x->len) /* bounded by the store's own cap long before this */
        return bf_error_set(err, EFBIG, "%s: index of the store over 4 GiB", STORE_REL);
    while (x->len + n + 1 > x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 4096;
        char *nt = realloc(x->text, ncap);
        if (!nt)
            return idx_oom(err);
        x->text = nt;
        x->cap = ncap;
    }
    memcpy(x->text + x->len, p, n);
    x->text[x->len + n] = '\0';
    *off = (uint32_t)x->len;
    x->len += n + 1;
    return 0;
}

static int text_str(struct netidx *x, const char *s, uint32_t *off, struct bf_error *err)
{
    return text_add(x, s, strlen(s), off, err);
}

/* Give back what the arrays and text reserved beyond what they hold. */
static void idx_trim(struct netidx *x)
{
    void *p;

    if (x->len && (p = realloc(x->text, x->len)))
        x->text = p, x->cap = x->len;
    if (x->n_ep && (p = reallocarray(x->ep, x->n_ep, sizeof(*x->ep))))
        x->ep = p, x->cap_ep = x->n_ep;
    if (x->n_sb && (p = reallocarray(x->sb, x->n_sb, sizeof(*x->sb))))
        x->sb = p, x->cap_sb = x->n_sb;
}

/* The order of two driver keys "<prefix><type>/<eid>/" of one endpoint ID: that of
 * "<type>/" (types hold no '/'). */
static int type_key_cmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (int)(unsigned char)(*a ? *a : '/') - (int)(unsigned char)(*b ? *b : '/');
}

static int ep_cmp(const void *a, const void *b, void *text)
{
    const struct eprec *x = a, *y = b;
    const char *t = text;
    int c = strcmp(t + x->eid, t + y->eid);
    return c ? c : type_key_cmp(t + x->type, t + y->type);
}

static int sb_cmp(const void *a, const void *b, void *text)
{
    const struct sbrec *x = a, *y = b;
    const char *t = text;
    return strcmp(t + x->sid, t + y->sid);
}

static char *ep_key(const struct netidx *x, const struct eprec *r)
{
    char *s = NULL;
    return asprintf(&s, WIN_EP_PREFIX "%s/%s/", x->text + r->type, x->text + r->eid) < 0 ? NULL : s;
}

/* The one record of endpoint `eid`, NULL when there is none; two records is an error. */
static int find_rec(const struct netidx *x, const char *eid, const struct eprec **out,
                    struct bf_error *err)
{
    size_t lo = 0, hi = x->n_ep;

    *out = NULL;
    while (lo < hi) { /* the first record whose ID is >= eid */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(x->text + x->ep[mid].eid, eid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == x->n_ep || strcmp(x->text + x->ep[lo].eid, eid) != 0)
        return 0;
    if (lo + 1 < x->n_ep && strcmp(x->text + x->ep[lo + 1].eid, eid) == 0) {
        _cleanup_free_ char *k0 = ep_key(x, &x->ep[lo]), *k1 = ep_key(x, &x->ep[lo + 1]);
        if (!k0 || !k1)
            return bf_error_set(err, ENOMEM, "out of memory");
        return bf_error_set(err, EINVAL, "%s: " BUCKET ": endpoint %s has two records (%s and %s)",
                            STORE_REL, eid, k0, k1);
    }
    *out = &x->ep[lo];
    return 0;
}

/* The gateway endpoint of sandbox `sid` (*gw NULL when it has none). */
static int find_gateway(const struct netidx *x, const char *sid, const char **gw,
                        struct bf_error *err)
{
    size_t lo = 0, hi = x->n_sb;

    *gw = NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(x->text + x->sb[mid].sid, sid);
        if (c == 0) {
            if (x->sb[mid].code)
                return bf_error_set(err, x->sb[mid].code, "%s", x->text + x->sb[mid].gw);
            *gw = x->text + x->sb[mid].gw;
            return 0;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
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

/* The NULL-ended strings of `parts` one after the other, malloc'd (NULL: out of memory). */
static char *cat(const char *const *parts)
{
    size_t n = 1, at = 0;
    char *s;

    for (const char *const *p = parts; *p; p++)
        n += strlen(*p);
    if (!(s = malloc(n)))
        return NULL;
    for (const char *const *p = parts; *p; p++) {
        size_t l = strlen(*p);
        memcpy(s + at, *p, l);
        at += l;
    }
    s[at] = '\0';
    return s;
}

static char *rec_name(const char *key)
{
    return cat((const char *[]){STORE_REL ": " BUCKET ": ", key, NULL});
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

/* What record `key` (of endpoint `eid`, type `ktype`) says whoever asks: its "nid" and
 * "profileID", or the error reading it gives (jansson's reading, the exact messages). */
static int rec_facts(const char *key, const char *eid, const char *ktype, const uint8_t *val,
                     size_t vlen, char **rnid, char **hnsid, struct bf_error *err)
{
    _cleanup_free_ char *what = rec_name(key), *id = NULL, *type = NULL;
    json_t *obj = NULL;
    int rc;

    *rnid = *hnsid = NULL;
    if (!what)
        return bf_error_set(err, ENOMEM, "out of memory");
    rc = parse_value(what, val, vlen, &obj, err);
    if (rc < 0)
        return rc;
    if ((rc = req_string(what, obj, "id", &id, err)) < 0 ||
        (rc = req_string(what, obj, "nid", rnid, err)) < 0 ||
        (rc = req_string(what, obj, "Type", &type, err)) < 0 ||
        (rc = req_string(what, obj, "profileID", hnsid, err)) < 0)
        goto out;
    if (strcmp(id, eid) != 0)
        rc = bf_error_set(err, EINVAL, "%s: \"id\" is %s, not the endpoint %s of its key", what, id,
                          eid);
    else if (strcmp(type, ktype) != 0)
        rc = bf_error_set(err, EINVAL, "%s: \"Type\" is %s, not the %s of its key", what, type,
                          ktype);
out:
    json_decref(obj);
    if (rc < 0) {
        free(*rnid);
        free(*hnsid);
        *rnid = *hnsid = NULL;
    }
    return rc;
}

static bool scanned_is(const struct ls_jscan_member *m, const char *s)
{
    return m->kind == LS_JSCAN_STRING && m->len == strlen(s) && memcmp(m->val, s, m->len) == 0;
}

/* Index the driver record `key` ("<prefix><type>/<eid>/", checked by the caller): the
 * scanner reads the common record without building a tree; anything else is read as
 * rec_facts reads it. */
static int index_rec(struct netidx *x, const char *key, const char *type, size_t tlen,
                     const char *eid, size_t elen, const uint8_t *val, size_t vlen,
                     struct bf_error *err)
{
    struct ls_jscan_member m[4] = {
        {.key = "id"}, {.key = "nid"}, {.key = "Type"}, {.key = "profileID"}};
    struct eprec *r;
    int rc;

    if ((rc = idx_grow((void **)&x->ep, &x->cap_ep, x->n_ep, sizeof(*x->ep), err)) < 0)
        return rc;
    r = &x->ep[x->n_ep];
    *r = (struct eprec){0};
    if ((rc = text_add(x, eid, elen, &r->eid, err)) < 0 ||
        (rc = text_add(x, type, tlen, &r->type, err)) < 0)
        return rc;
    if (vlen >= LIBKV_INDEX_LEN &&
        ls_jscan_object((const char *)val + LIBKV_INDEX_LEN, vlen - LIBKV_INDEX_LEN, m, 4) ==
            LS_JSCAN_OK &&
        scanned_is(&m[0], x->text + r->eid) && scanned_is(&m[2], x->text + r->type) &&
        m[1].kind == LS_JSCAN_STRING && m[3].kind == LS_JSCAN_STRING) {
        if ((rc = text_add(x, m[1].val, m[1].len, &r->nid, err)) < 0 ||
            (rc = text_add(x, m[3].val, m[3].len, &r->hnsid, err)) < 0)
            return rc;
    } else {
        _cleanup_free_ char *e = strndup(eid, elen), *t = strndup(type, tlen);
        _cleanup_free_ char *rnid = NULL, *hnsid = NULL;
        struct bf_error why = BF_ERROR_INIT;

        if (!e || !t)
            return idx_oom(err);
        rc = rec_facts(key, e, t, val, vlen, &rnid, &hnsid, &why);
        if (rc < 0 && why.code == ENOMEM) {
            bf_error_move(err, &why);
            return rc;
        }
        if (rc < 0) {
            r->code = why.code;
            rc = text_str(x, bf_error_message(&why), &r->nid, err);
            bf_error_clear(&why);
        } else if ((rc = text_str(x, rnid, &r->nid, err)) == 0) {
            rc = text_str(x, hnsid, &r->hnsid, err);
        }
        if (rc < 0)
            return rc;
    }
    x->n_ep++;
    return 0;
}

/* Read the indexed record `r` of endpoint `eid`; `nid` (nullable, "" = unknown) must match
 * the record's network. */
static int read_rec(const struct netidx *x, const struct eprec *r, const char *eid, const char *nid,
                    char **hnsid, char **type, struct bf_error *err)
{
    const char *rnid = x->text + r->nid;

    if (r->code)
        return bf_error_set(err, r->code, "%s", rnid);
    if (nid && *nid && strcmp(rnid, nid) != 0) {
        _cleanup_free_ char *key = ep_key(x, r), *what = key ? rec_name(key) : NULL;
        if (!what)
            return bf_error_set(err, ENOMEM, "out of memory");
        return bf_error_set(err, EINVAL, "%s: endpoint %s is on network %s, not %s", what, eid,
                            rnid, nid);
    }
    *hnsid = strdup(x->text + r->hnsid);
    *type = strdup(x->text + r->type);
    if (!*hnsid || !*type) {
        free(*hnsid);
        free(*type);
        *hnsid = *type = NULL;
        return bf_error_set(err, ENOMEM, "out of memory");
    }
    return 0;
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

/* The string member `name` of record `key` (NULL when the record is absent): the scanner
 * reads a plain string member without building a tree, anything else is jansson's. */
static int record_string(const struct bolt_bucket *b, const char *key, const char *name, char **out,
                         struct bf_error *err)
{
    struct ls_jscan_member m = {.key = name};
    _cleanup_free_ char *what = NULL;
    const uint8_t *val;
    size_t vlen;
    bool is_bucket, found;
    json_t *obj;
    int r;

    *out = NULL;
    r = bolt_get(b, key, strlen(key), &val, &vlen, &is_bucket, &found, err);
    if (r < 0 || !found)
        return r;
    if (!is_bucket && vlen >= LIBKV_INDEX_LEN &&
        ls_jscan_object((const char *)val + LIBKV_INDEX_LEN, vlen - LIBKV_INDEX_LEN, &m, 1) ==
            LS_JSCAN_OK &&
        m.kind == LS_JSCAN_STRING) {
        if (!(*out = strndup(m.val, m.len)))
            return bf_error_set(err, ENOMEM, "out of memory");
        return 0;
    }
    if (!(what = rec_name(key)))
        return bf_error_set(err, ENOMEM, "out of memory");
    r = get_record(b, key, &obj, err);
    if (r < 0 || !obj)
        return r;
    r = req_string(what, obj, name, out, err);
    json_decref(obj);
    return r;
}

/* The ID of the gateway endpoint of the sandbox whose record `key` holds (val, vlen), NULL
 * when it has none. The record is read without building a tree (jview.h: jansson's reading
 * and messages). */
static int sandbox_gateway(const struct bolt_bucket *b, const char *key, const uint8_t *val,
                           size_t vlen, bool is_bucket, char **gw_eid, struct bf_error *err)
{
    _cleanup_free_ char *what = rec_name(key);
    struct ls_jdoc d;
    const char *eps, *ep;
    size_t i = 0;
    int r = 0;

    *gw_eid = NULL;
    if (!what)
        return bf_error_set(err, ENOMEM, "out of memory");
    if (is_bucket)
        return bf_error_set(err, EINVAL, "%s: a bucket, not a record", what);
    if (vlen < LIBKV_INDEX_LEN)
        return parse_value(what, val, vlen, NULL, err); /* its message for a short value */
    r = ls_jdoc_open(&d, what, (const char *)val + LIBKV_INDEX_LEN, vlen - LIBKV_INDEX_LEN, err);
    if (r < 0)
        return r;
    eps = ls_jv_get(&d, d.root, "Eps", 3);
    if (eps && !ls_jv_is_array(eps)) {
        r = bf_error_set(err, EINVAL, "%s: \"Eps\" must be an array", what);
        goto out;
    }
    for (ep = eps ? ls_jv_first(&d, eps) : NULL; ep && !d.oom; ep = ls_jv_next(&d, ep), i++) {
        const char *e = ls_jv_get(&d, ep, "Eid", 3), *n = ls_jv_get(&d, ep, "Nid", 3);
        _cleanup_free_ char *eid = NULL, *nid = NULL, *nkey = NULL, *ekey = NULL;
        _cleanup_free_ char *nname = NULL, *ename = NULL;

        if (d.oom)
            break;
        if (!ls_jv_is_object(ep) || !ls_jv_is_string(e) || !ls_jv_is_string(n)) {
            r = bf_error_set(err, EINVAL, "%s: \"Eps\"[%zu] must have string Eid and Nid", what, i);
            break;
        }
        if (!(eid = ls_jv_strdup(&d, e)) || !(nid = ls_jv_strdup(&d, n))) {
            r = bf_error_set(err, ENOMEM, "out of memory");
            break;
        }
        if (!(nkey = cat((const char *[]){ROOT_CHAIN "network/", nid, "/", NULL})) ||
            !(ekey = cat((const char *[]){ROOT_CHAIN "endpoint/", nid, "/", eid, "/", NULL}))) {
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
            *gw_eid = steal_pointer(&eid);
            break;
        }
    }
out:
    if (r == 0 && d.oom)
        r = ls_jdoc_oom(&d);
    ls_jdoc_close(&d);
    return r;
}

struct ls_netcache {
    /* The snapshot the index was taken from, its pages let go: the proof that the index is of
     * the file's last commit (bolt_refresh_at). NULL: nothing cached. */
    struct bolt_db *db;
    bool have_lib; /* the "libnetwork" bucket exists */
    struct netidx x;
    /* The last look at the file (its stamp), reused without another while fresh (struct
     * ls_shared: with the layerstore cache, until the data-root's shared inputs change). */
    struct ls_shared checked;
    struct bf_stamp st;
};

/* One lock for every layerstore's cache: loads are short once the store is indexed. */
static pthread_mutex_t netcache_lock = PTHREAD_MUTEX_INITIALIZER;

static void netcache_drop(struct ls_netcache *nc)
{
    bolt_close(nc->db);
    idx_free(&nc->x);
    memset(nc, 0, sizeof(*nc));
}

void ls_netcache_free(struct ls_netcache *nc)
{
    if (!nc)
        return;
    netcache_drop(nc);
    free(nc);
}

struct build {
    struct netidx *x;
    const struct bolt_bucket *lib;
};

/* Index sandbox `sid`, whose record `key` holds (val, vlen): kept when it has a gateway
 * endpoint, or when looking for one fails (the error is its containers'). */
static int index_sandbox(struct build *b, const char *sid, const char *key, const uint8_t *val,
                         size_t vlen, bool is_bucket, struct bf_error *err)
{
    _cleanup_free_ char *gw = NULL;
    struct bf_error why = BF_ERROR_INIT;
    struct netidx *x = b->x;
    struct sbrec *r;
    int rc;

    rc = sandbox_gateway(b->lib, key, val, vlen, is_bucket, &gw, &why);
    if (rc < 0 && why.code == ENOMEM) {
        bf_error_move(err, &why);
        return rc;
    }
    if (rc == 0 && !gw)
        return 0;
    if ((rc = idx_grow((void **)&x->sb, &x->cap_sb, x->n_sb, sizeof(*x->sb), err)) < 0 ||
        (rc = text_str(x, sid, &x->sb[x->n_sb].sid, err)) < 0)
        goto out;
    r = &x->sb[x->n_sb];
    r->code = why.code;
    rc = text_str(x, why.code ? bf_error_message(&why) : gw, &r->gw, err);
    if (rc == 0)
        x->n_sb++;
out:
    bf_error_clear(&why);
    return rc;
}

/* Every key of the libnetwork bucket: the Windows driver's records
 * "<prefix><type>/<eid>/" and the sandboxes "<sandbox prefix><sid>/". */
static int index_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                       bool is_bucket, struct bf_error *err)
{
    const size_t plen = strlen(WIN_EP_PREFIX), slen = strlen(SB_PREFIX);
    _cleanup_free_ char *k = NULL;
    const char *type, *slash;

    if (memchr(key, '\0', klen))
        return 0; /* no container's ID looks it up */
    if (klen > slen + 1 && memcmp(key, SB_PREFIX, slen) == 0 && key[klen - 1] == '/') {
        _cleanup_free_ char *sid = strndup((const char *)key + slen, klen - slen - 1);
        if (!sid || !(k = strndup((const char *)key, klen)))
            return idx_oom(err);
        return index_sandbox(ctx, sid, k, val, vlen, is_bucket, err);
    }
    if (is_bucket || klen <= plen || memcmp(key, WIN_EP_PREFIX, plen) != 0)
        return 0;
    if (!(k = strndup((const char *)key, klen)))
        return idx_oom(err);
    type = k + plen;
    slash = strchr(type, '/');
    if (!slash || slash == type || slash[1] == '\0' || strchr(slash + 1, '/') != k + klen - 1)
        return 0; /* not the driver's key shape: not a record of ours */
    return index_rec(((struct build *)ctx)->x, k, type, (size_t)(slash - type), slash + 1,
                     klen - (size_t)(slash + 1 - k) - 1, val, vlen, err);
}

/* Bring the cache up to the file: a new snapshot is indexed once, then its pages let go. */
static int netcache_refresh(struct layerstore *ls, struct bf_stamp *st, struct bf_error *err)
{
    struct ls_netcache *nc = ls->netcache;
    struct bolt_bucket root, lib;
    bool reused;
    int r;

    r = bolt_refresh_at(ls->dirfd, STORE_REL, LS_CAP_NETWORK_STORE, &nc->db, &reused, st, err);
    if (r < 0 || reused) {
        if (r < 0)
            netcache_drop(nc);
        return r;
    }
    idx_free(&nc->x);
    bolt_root(nc->db, &root);
    r = bolt_bucket(&root, BUCKET, &lib, &nc->have_lib, err);
    if (r == 0 && nc->have_lib)
        r = bolt_foreach(&lib, index_visit, &(struct build){.x = &nc->x, .lib = &lib}, err);
    if (r < 0) {
        netcache_drop(nc);
        return r;
    }
    bolt_forget_pages(nc->db);
    if (nc->x.n_ep > 1) /* (an empty index has no arrays at all) */
        qsort_r(nc->x.ep, nc->x.n_ep, sizeof(*nc->x.ep), ep_cmp, nc->x.text);
    if (nc->x.n_sb > 1)
        qsort_r(nc->x.sb, nc->x.n_sb, sizeof(*nc->x.sb), sb_cmp, nc->x.text);
    idx_trim(&nc->x);
    return 0;
}

static int load(const struct ls_netcache *nc, const struct ls_container *c, struct ls_endpoints *e,
                struct bf_error *err)
{
    const struct netidx *x = &nc->x;
    const char *gw_eid = NULL;
    _cleanup_free_ char *gw_hnsid = NULL;
    int r = 0;

    if (!nc->have_lib)
        return 0;
    for (size_t i = 0; r == 0 && i < c->n_networks; i++) {
        const struct ls_network *nw = &c->networks[i];
        const struct eprec *rec;

        if (!nw->endpoint_id || !*nw->endpoint_id)
            continue;
        if ((r = find_rec(x, nw->endpoint_id, &rec, err)) < 0 || !rec)
            continue;
        r = read_rec(x, rec, nw->endpoint_id, nw->network_id, &e->v[i].hnsid, &e->v[i].type, err);
        if (r == 0) {
            e->v[i].nat = strcmp(e->v[i].type, "nat") == 0;
            e->n_found++;
        }
    }
    if (r == 0 && e->n_found && c->sandbox_id && *c->sandbox_id)
        r = find_gateway(x, c->sandbox_id, &gw_eid, err);
    if (r == 0 && gw_eid) {
        const struct eprec *rec;
        _cleanup_free_ char *type = NULL;
        if ((r = find_rec(x, gw_eid, &rec, err)) == 0 && rec)
            r = read_rec(x, rec, gw_eid, NULL, &gw_hnsid, &type, err);
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
