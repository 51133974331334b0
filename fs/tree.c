/* tree.c - the bundlefs namespace (see tree.h for the model).
 *
 * Locking: one mutex guards every table, refcount and version field. Generation (the only slow
 * step: it reads the data-root) runs with the mutex dropped; a container generates on one
 * thread at a time (`generating` + a condition variable), so concurrent readers of one
 * container wait for one generation instead of repeating it.
 *
 * Ownership: the container table and the kernel's inodes (nodes) hold containers; a container
 * holds its current version; file nodes hold the version they stand for; the LRU and open
 * handles hold bytes. Versions point back to their container and bytes to their version
 * without a reference (the pointer is cleared when the target goes).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "bf_util.h"
#include "htab.h"
#include "tree.h"

#define DEFAULT_TRUST_MS 1000
#define DEFAULT_CACHE_BYTES (16u << 20)
#define FIRST_DYNAMIC_INO 16
#define REGENERATE_TRIES 3
#define FAILED_FILE_SIZE 1 /* tree.h: a size the kernel must ask about */
/* Bytes looked up or read within the grace period are evicted only once the cache holds its
 * bound plus GRACE_EXTRA_MAX (or twice the bound, when smaller): the kernel opens files
 * without telling us, so the read that follows a lookup, and the next read of a file being
 * read, should find its version's bytes (tree.h, Memory). The extra is fixed, not a multiple
 * of the bound: a walk that reads faster touches more bytes within a second (at 2,500
 * containers a second, 27 MB), and none of them needs sparing for long. */
#define GRACE_NS 1000000000
#define GRACE_EXTRA_MAX (4u << 20)

/* ---- logging ---- */

static bool log_syslog;

void bfs_log_use_syslog(bool on)
{
    log_syslog = on;
}

void bfs_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (log_syslog) {
        vsyslog(LOG_ERR, fmt, ap);
    } else {
        char line[4096];
        vsnprintf(line, sizeof(line), fmt, ap);
        fprintf(stderr, "bundlefs: %s\n", line);
    }
    va_end(ap);
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* ---- objects ---- */

struct version;

struct bytes {
    unsigned refs;
    struct spec_bundle *b;
    size_t cost;
    struct version *owner; /* weak */
    struct bytes *prev, *next;
    bool in_lru;
    bool retained;   /* of a superseded version the kernel still holds (version_retire) */
    int64_t used_ns; /* last lookup or read */
};

struct file_sum {
    bool present; /* listed in the directory */
    bool failed;  /* could not be generated: size 0, open gives EIO */
    uint64_t size;
    uint64_t hash;
};

struct ctr;

struct version {
    unsigned refs;
    struct ctr *ctr; /* weak: the container outlives its versions' users (nodes hold both) */
    uint64_t base_ino;
    struct file_sum f[BFS_FILE_COUNT];
    char *uvm;  /* utilityvm link target, NULL when none */
    char *name; /* container name, NULL when unknown */
    int64_t mtime_ns;
    uid_t uid;
    gid_t gid;
    mode_t group; /* 0040 when config.v2.json is group-readable */
    struct bytes *bytes;
    /* freshness */
    uint64_t epoch, events, store_gen;
    int64_t validated_ns;
    bool watched;
    bool failed;     /* a file failed: generated again after the trust period, never validated by
                        stamps, so a transient failure (EIO, ENOMEM, ...) heals on its own */
    unsigned served; /* 1 << file: read by the kernel, or pushed to it (bfs_file_siblings) */
};

struct ctr {
    struct hlink h;
    char id[LS_ID_LEN + 1];
    unsigned refs;
    bool in_table;
    uint64_t ino; /* directory; +1 the by-name link; +2 the prefix link */
    uint64_t events;
    struct version *cur;
    bool generating;
    pthread_cond_t cond;
    uint64_t listed;              /* hash of the directory's last listing, 0: none yet */
    uint64_t listed_base;         /* base_ino of the version last listed, 0: none since the sweep */
    bool dir_watched;             /* containers/<id> is watched: its attributes can be kept long */
    char mount_id[LS_ID_LEN + 6]; /* its layer folder's name, from its last generation */
};

enum node_kind { N_DIR, N_FILE, N_BYNAME_LINK, N_PREFIX_LINK };

struct node {
    struct hlink h;
    uint64_t ino;
    enum node_kind kind;
    enum bfs_file file;
    struct ctr *ctr;     /* ref */
    struct version *ver; /* ref, N_FILE only */
    uint64_t nlookup;
};

struct ctrs_mode {
    bool known;
    mode_t perm;
    uid_t uid;
    gid_t gid;
};

struct store {
    struct layerstore *ls;
    unsigned refs;
    dev_t dev;
    ino_t ino;
    struct ctrs_mode ctrs; /* the root and by-name show no more than containers/ does */
};

/* What containers/ lets others do, read now (its owner, group and mode; no link followed). */
static struct ctrs_mode ctrs_stat(struct layerstore *ls)
{
    struct ctrs_mode m = {0};
    struct stat st;

    if (fstatat(layerstore_dirfd(ls), "containers", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode))
        m = (struct ctrs_mode){.known = true,
                               .perm = st.st_mode & 0555, /* read-only: no write bits */
                               .uid = st.st_uid,
                               .gid = st.st_gid};
    return m;
}

struct name_ent {
    char *name; /* NULL: no usable name (unreadable, empty, not a safe file name) */
    char id[LS_ID_LEN + 1];
};

/* Readahead (bfs_tree_readahead): how many containers past the one being read are made. */
#define AHEAD_DEPTH 2

#define NAMES_DIRTY_MAX 256 /* containers renamed between two name indexes, before a full one */

#define RECHECK_MAX 64 /* listed containers looked at again by the next listing, at most */

/* An immutable, shared snapshot of the sorted container IDs. */
struct idlist {
    unsigned refs;
    char **v;
    size_t n;
    char **pending; /* folders Docker may still be writing (layerstore_container_pending),
                       left out of v and looked at again at the next listing */
    size_t n_pending;
    uint64_t gen; /* which listing: readdir offsets name it (listing_off) */
    uint64_t epoch, store_gen;
    int64_t built_ns;
};

/* The position of the first ID >= key in ids (sorted), ids->n when there is none. */
static size_t idlist_lower_bound(const struct idlist *ids, const char *key)
{
    size_t lo = 0, hi = ids->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ids->v[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* An immutable, shared snapshot of the name index: every listed container's name, sorted by
 * ID (by_id, which owns the names), and the usable names sorted (v, one container each). */
struct namelist {
    unsigned refs;
    struct name_ent *by_id;
    size_t n_by_id;
    struct name_ent *v;
    size_t n;
    uint64_t gen;
    uint64_t epoch, store_gen;
    int64_t built_ns;
    bool watched; /* every containers/<id> read is watched: changes come as events */
};

struct bfs_tree {
    pthread_mutex_t lock;
    char *dataroot;
    struct bfs_tree_options opts;
    int64_t trust_ns;
    struct store *store; /* NULL while the data-root is missing */
    uint64_t store_gen;
    bool root_missing_logged;
    int64_t root_checked_ns;
    int64_t mounted_ns; /* CLOCK_REALTIME: the mtime of the root and by-name */
    struct htab nodes, ctrs;
    uint64_t next_ino;
    uint64_t epoch;   /* bumped when a shared input may have changed */
    struct bytes lru; /* sentinel: lru.next is the most recently used */
    size_t cache_bytes;
    size_t retained_bytes; /* bytes of superseded versions, outside the LRU, at most its bound */
    struct bfs_watch_ops watch;
    /* The listings of the root and of by-name, each the current one and the one before it
     * (NULL: none), so that a listing read in several requests is read from one snapshot. */
    struct idlist *ids, *ids_prev;
    struct namelist *names, *names_prev;
    uint64_t list_gen;
    uint64_t ids_epoch;  /* bumped when containers/ itself changed: a container came or went */
    int64_t resynced_ns; /* the sweep's last check of the table against containers/ */
    /* listed containers that may be none now (State.Dead, a file gone): looked at again by the
     * next listing (all of them when there were more than fit) */
    char recheck[RECHECK_MAX][LS_ID_LEN + 1];
    size_t n_recheck;
    bool recheck_all;
    uint64_t names_epoch; /* bumped when anything under containers/ changed (names live there) */
    /* Containers whose folder changed since the last name index: only they are read again
     * (all of them after an overflow, without the watcher, or on a new data-root). */
    char names_dirty[NAMES_DIRTY_MAX][LS_ID_LEN + 1];
    size_t names_ndirty;
    bool names_dirty_all;
    uint64_t root_listed, byname_listed; /* hashes of the last listings, 0: none yet */
    struct {
        bool running, stop;
        pthread_t thread;
        pthread_cond_t cond;                   /* with t->lock */
        char want[AHEAD_DEPTH][LS_ID_LEN + 1]; /* containers to make, nearest first */
        size_t n_want;
        bool have_last; /* the last container a request asked for, in the root's listing */
        uint64_t last_gen;
        size_t last_idx;
    } ahead;
    struct bfs_stats stats;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *const file_names[BFS_FILE_COUNT] = {
    "config.json", "createoptions.json", "layerpaths", "utilityvm", "mountopts", "error"};

/* ---- store ---- */

static struct store *store_open(const char *dataroot, const struct ls_options *opts, int64_t trust,
                                struct bf_error *err)
{
    struct store *s = calloc(1, sizeof(*s));
    struct stat st;

    if (!s) {
        bf_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    if (layerstore_open(dataroot, opts, &s->ls, err) < 0) {
        free(s);
        return NULL;
    }
    /* Images and walks are shared by every container of an image (tree.h, Freshness). */
    if (layerstore_cache_enable(s->ls, 0, trust) < 0) {
        layerstore_close(s->ls);
        free(s);
        bf_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    s->ctrs = ctrs_stat(s->ls);
    if (fstat(layerstore_dirfd(s->ls), &st) == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    s->refs = 1;
    return s;
}

static void store_unref_locked(struct store *s)
{
    if (s && --s->refs == 0) {
        layerstore_close(s->ls);
        free(s);
    }
}

/* A reference to the store in use, or NULL while the data-root is missing. */
static struct store *store_hold(struct bfs_tree *t)
{
    struct store *s;

    pthread_mutex_lock(&t->lock);
    s = t->store;
    if (s)
        s->refs++;
    pthread_mutex_unlock(&t->lock);
    return s;
}

static void store_release(struct bfs_tree *t, struct store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&t->lock);
    store_unref_locked(s);
    pthread_mutex_unlock(&t->lock);
}

int bfs_tree_open_dir(struct bfs_tree *t, const char *rel, struct bf_error *err)
{
    struct store *s = store_hold(t);
    int fd;

    if (!s)
        return bf_error_set(err, ENOENT, "%s: the data-root is gone", t->dataroot);
    fd = bf_open_beneath(layerstore_dirfd(s->ls), *rel ? rel : ".", O_PATH | O_DIRECTORY, err);
    store_release(t, s);
    return fd;
}

/* With a watcher, the image cache is told of changes (bfs_tree_changed) and needs no
 * periodic re-check; a folder that cannot be watched turns the re-check back on
 * (watch_inputs). Called with t->lock held. */
static void apply_cache_trust(struct bfs_tree *t, struct store *s)
{
    layerstore_cache_set_trust(s->ls, t->watch.add ? INT64_MAX : t->trust_ns);
}

/* ---- bytes and the LRU ---- */

static void lru_unlink(struct bfs_tree *t, struct bytes *b)
{
    if (!b->in_lru)
        return;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    b->in_lru = false;
    t->cache_bytes -= b->cost;
}

static void lru_push(struct bfs_tree *t, struct bytes *b)
{
    b->next = t->lru.next;
    b->prev = &t->lru;
    t->lru.next->prev = b;
    t->lru.next = b;
    b->in_lru = true;
    t->cache_bytes += b->cost;
}

static void bytes_unref(struct bytes *b)
{
    if (b && --b->refs == 0) {
        spec_bundle_free(b->b);
        free(b);
    }
}

/* Drop the cache's reference (and the owner's pointer) to b. The LRU, or the retained pool,
 * holds exactly one reference while b is in it, so this can never drop a handle's. */
static void bytes_evict(struct bfs_tree *t, struct bytes *b)
{
    if (b->owner && b->owner->bytes == b)
        b->owner->bytes = NULL;
    b->owner = NULL;
    if (b->in_lru) {
        lru_unlink(t, b);
        bytes_unref(b);
    } else if (b->retained) {
        b->retained = false;
        t->retained_bytes -= b->cost;
        bytes_unref(b);
    }
}

/* b was looked up or read: the most recently used (called with t->lock held). */
static void bytes_touch(struct bfs_tree *t, struct bytes *b)
{
    b->used_ns = now_ns();
    if (b->in_lru) {
        lru_unlink(t, b);
        lru_push(t, b);
    }
}

/* Evict from the least recently used end down to the bound, sparing `keep` and, up to the
 * grace extra past the bound, what was used within the grace period. */
static void lru_trim(struct bfs_tree *t, const struct bytes *keep)
{
    int64_t now = now_ns();
    size_t extra = t->opts.cache_bytes < GRACE_EXTRA_MAX ? t->opts.cache_bytes : GRACE_EXTRA_MAX;

    while (t->cache_bytes > t->opts.cache_bytes && t->lru.prev != keep && t->lru.prev != &t->lru) {
        struct bytes *b = t->lru.prev;
        if (now - b->used_ns < GRACE_NS && t->cache_bytes <= t->opts.cache_bytes + extra)
            break; /* the rest is newer still */
        bytes_evict(t, b);
    }
}

static size_t bundle_cost(const struct spec_bundle *b)
{
    size_t cost = sizeof(*b) + b->errors_len + 64;
    for (int i = 0; i < SPEC_FILE_COUNT; i++)
        cost += b->files[i].len + 32;
    for (size_t i = 0; i < b->inputs.n; i++)
        cost += sizeof(struct ls_input) + strlen(b->inputs.v[i].rel) + 24;
    return cost;
}

/* Give version v the bundle b (consumed) as its cached bytes. */
static int bytes_attach(struct bfs_tree *t, struct version *v, struct spec_bundle *b)
{
    struct bytes *by = calloc(1, sizeof(*by));

    if (!by) {
        spec_bundle_free(b);
        return -ENOMEM;
    }
    by->refs = 1; /* the LRU's */
    by->b = b;
    by->cost = bundle_cost(b);
    by->used_ns = now_ns();
    if (v->bytes)
        bytes_evict(t, v->bytes);
    by->owner = v;
    v->bytes = by;
    lru_push(t, by);
    lru_trim(t, by);
    return 0;
}

/* ---- versions, containers, nodes ---- */

static void version_free(struct version *v)
{
    free(v->uvm);
    free(v->name);
    free(v);
}

static void version_unref(struct bfs_tree *t, struct version *v)
{
    if (!v || --v->refs)
        return;
    if (v->bytes)
        bytes_evict(t, v->bytes);
    version_free(v);
}

/* v is no longer its container's current version. While the kernel still holds one of its
 * files (a process may have it open and read it later, after the pages were dropped), its
 * cached bytes move out of the LRU into the retained pool, up to the cache's bound: they can
 * no longer be generated again. Then drops the container's reference. */
static void version_retire(struct bfs_tree *t, struct version *v)
{
    struct bytes *b = v ? v->bytes : NULL;

    if (b && v->refs > 1 && b->in_lru && t->retained_bytes + b->cost <= t->opts.cache_bytes) {
        lru_unlink(t, b);
        b->retained = true;
        t->retained_bytes += b->cost;
    }
    version_unref(t, v);
}

static void ctr_unref(struct bfs_tree *t, struct ctr *c)
{
    if (!c || --c->refs)
        return;
    version_unref(t, c->cur);
    pthread_cond_destroy(&c->cond);
    free(c);
}

static struct ctr *ctr_find(struct bfs_tree *t, const char *id)
{
    uint64_t h = bfs_hash(id, LS_ID_LEN);
    for (struct hlink *l = htab_first(&t->ctrs, h); l; l = l->next) {
        struct ctr *c = (struct ctr *)l;
        if (l->hash == h && strcmp(c->id, id) == 0)
            return c;
    }
    return NULL;
}

/* The table's container for `id` (created when new). No reference is taken for the caller. */
static struct ctr *ctr_get(struct bfs_tree *t, const char *id)
{
    struct ctr *c = ctr_find(t, id);

    if (c)
        return c;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    memcpy(c->id, id, LS_ID_LEN + 1);
    c->refs = 1;
    c->in_table = true;
    c->ino = t->next_ino;
    t->next_ino += 3;
    pthread_cond_init(&c->cond, NULL);
    if (htab_add(&t->ctrs, &c->h, bfs_hash(id, LS_ID_LEN)) < 0) {
        pthread_cond_destroy(&c->cond);
        free(c);
        return NULL;
    }
    t->stats.containers = t->ctrs.n;
    return c;
}

static void ctr_remove(struct bfs_tree *t, struct ctr *c)
{
    if (!c->in_table)
        return;
    htab_del(&t->ctrs, &c->h);
    c->in_table = false;
    t->stats.containers = t->ctrs.n;
    ctr_unref(t, c);
}

static struct node *node_find(struct bfs_tree *t, uint64_t ino)
{
    uint64_t h = mix64(ino);
    for (struct hlink *l = htab_first(&t->nodes, h); l; l = l->next)
        if (l->hash == h && ((struct node *)l)->ino == ino)
            return (struct node *)l;
    return NULL;
}

/* Count one kernel reference to inode `ino`, creating its node. */
static int node_ref(struct bfs_tree *t, uint64_t ino, enum node_kind kind, enum bfs_file file,
                    struct ctr *c, struct version *v)
{
    struct node *n = node_find(t, ino);

    if (n) {
        n->nlookup++;
        return 0;
    }
    n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->ino = ino;
    n->kind = kind;
    n->file = file;
    n->ctr = c;
    c->refs++;
    if (v) {
        n->ver = v;
        v->refs++;
    }
    n->nlookup = 1;
    if (htab_add(&t->nodes, &n->h, mix64(ino)) < 0) {
        ctr_unref(t, c);
        version_unref(t, v);
        free(n);
        return -ENOMEM;
    }
    t->stats.nodes = t->nodes.n;
    return 0;
}

void bfs_forget(struct bfs_tree *t, uint64_t ino, uint64_t nlookup)
{
    struct node *n;

    pthread_mutex_lock(&t->lock);
    n = node_find(t, ino);
    if (n) {
        n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
        if (!n->nlookup) {
            htab_del(&t->nodes, &n->h);
            t->stats.nodes = t->nodes.n;
            version_unref(t, n->ver);
            ctr_unref(t, n->ctr);
            free(n);
        }
    }
    pthread_mutex_unlock(&t->lock);
}

/* ---- generation ---- */

static int64_t trust_ns(const struct bfs_tree *t)
{
    return t->trust_ns;
}

static bool version_fresh(const struct bfs_tree *t, const struct version *v, int64_t now)
{
    if (v->store_gen != t->store_gen || v->epoch != t->epoch || v->events != v->ctr->events)
        return false;
    return (v->watched && !v->failed) || now - v->validated_ns <= trust_ns(t);
}

/* Can v be served now without another look at the data-root (with need_bytes: its bytes
 * cached too)? */
static bool version_ready(const struct bfs_tree *t, const struct version *v, bool need_bytes,
                          int64_t now)
{
    return v && version_fresh(t, v, now) && (!need_bytes || v->bytes);
}

static void summarize_file(struct file_sum *f, const char *data, size_t len, bool failed)
{
    f->present = true;
    f->failed = failed;
    f->size = failed ? FAILED_FILE_SIZE : len;
    f->hash = failed ? 0 : bfs_hash(data, len);
}

/* Did a file fail (a note alone, e.g. no endpoint record, fails nothing)? */
static bool bundle_failed(const struct spec_bundle *b)
{
    for (int i = 0; i < SPEC_FILE_COUNT; i++)
        if (b->files[i].err.code)
            return true;
    return false;
}

/* The summary of bundle b (not yet attached). */
static struct version *version_new(const struct spec_bundle *b, const struct stat *cst)
{
    struct version *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    for (int i = 0; i < SPEC_FILE_COUNT; i++) {
        const struct spec_blob *f = &b->files[i];
        if (b->omit[i])
            continue;
        summarize_file(&v->f[i], f->data, f->len, f->err.code != 0);
    }
    if (b->errors_len)
        summarize_file(&v->f[BFS_FILE_ERROR], b->errors, b->errors_len, false);
    if (b->has_uvm && !(v->uvm = strdup(b->files[SPEC_FILE_UTILITYVM].data)))
        goto oom;
    if (b->name && !(v->name = strdup(b->name)))
        goto oom;
    v->failed = bundle_failed(b);
    v->mtime_ns = ls_inputs_newest_mtime_ns(&b->inputs);
    v->uid = cst->st_uid;
    v->gid = cst->st_gid;
    v->group = cst->st_mode & 0040;
    return v;
oom:
    version_free(v);
    return NULL;
}

static bool same_content(const struct version *a, const struct version *b)
{
    if (memcmp(a->f, b->f, sizeof(a->f)) != 0)
        return false;
    if (!a->uvm != !b->uvm || (a->uvm && strcmp(a->uvm, b->uvm) != 0))
        return false;
    return !a->name == !b->name && (!a->name || strcmp(a->name, b->name) == 0);
}

/* Watch every directory b read from. Returns true when all of them are watched. Inputs in a
 * folder whose watch is new are re-checked (*changed): a change between reading and watching
 * would otherwise go unseen. Folders watched before were watched while we read. */
static bool watch_inputs(struct bfs_tree *t, const struct store *s, const struct spec_bundle *b,
                         bool *changed)
{
    bool all = t->watch.add != NULL, fresh_dir = false;
    char dir[PATH_MAX];
    const char *last = NULL;
    size_t last_len = 0;

    *changed = false;
    for (size_t i = 0; all && i < b->inputs.n; i++) {
        const char *rel = b->inputs.v[i].rel, *slash = strrchr(rel, '/');
        size_t len = slash ? (size_t)(slash - rel) : 0;
        int r;
        if (!last || len != last_len || memcmp(rel, last, len) != 0) {
            /* inputs come grouped by folder: one watch call per folder */
            if (len >= sizeof(dir)) {
                all = false;
                break;
            }
            memcpy(dir, rel, len);
            dir[len] = '\0';
            last = rel;
            last_len = len;
            r = t->watch.add(t->watch.ctx, dir);
            if (r < 0)
                all = false;
            fresh_dir = r > 0;
        }
        if (fresh_dir && !*changed &&
            bf_stamp_changed(layerstore_dirfd(s->ls), rel, &b->inputs.v[i].stamp))
            *changed = true;
    }
    if (!all && t->watch.add)
        layerstore_cache_set_trust(s->ls, t->trust_ns); /* some folder is not watched */
    return all;
}

/* Does <parent>/<id> exist as a directory (no link followed)? */
static bool dir_exists(const struct store *s, const char *parent, const char *id)
{
    char rel[64 + LS_ID_LEN];
    struct stat st;

    snprintf(rel, sizeof(rel), "%s/%s", parent, id);
    return fstatat(layerstore_dirfd(s->ls), rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISDIR(st.st_mode);
}

/* The stat of containers/<id>/config.v2.json (no link followed): the owner, group bit and
 * mtime the container's directory and files are shown with. False when it is not a file. */
static bool config_stat(const struct store *s, const char *id, struct stat *st)
{
    char rel[sizeof("containers/") + LS_ID_LEN + sizeof("/config.v2.json")];

    snprintf(rel, sizeof(rel), "containers/%s/config.v2.json", id);
    return fstatat(layerstore_dirfd(s->ls), rel, st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st->st_mode);
}

/* Generate container `id` from store s, with the config.v2.json stat. Runs unlocked. */
static int generate(struct bfs_tree *t, struct store *s, const char *id, struct spec_bundle **out,
                    struct stat *cst, bool *watched)
{
    struct spec_bundle *b = NULL;
    struct bf_error err = BF_ERROR_INIT;

    for (int tries = 0;; tries++) {
        bool changed = false;
        if (spec_bundle_generate(s->ls, id, &t->opts.spec, &b, &err) < 0) {
            bfs_log("%s", bf_error_message(&err));
            bf_error_clear(&err);
            return -EIO;
        }
        pthread_mutex_lock(&t->lock);
        t->stats.generations++;
        pthread_mutex_unlock(&t->lock);
        if (bundle_failed(b)) {
            /* A failure may come from reading while Docker changes things (a container being
             * removed, a layer being written). Such a bundle is never served: a container that
             * is gone is ENOENT, one that changed meanwhile is read again. */
            if (!dir_exists(s, "containers", id) ||
                layerstore_container_pending(s->ls, id, LS_PENDING_STATE)) {
                spec_bundle_free(b);
                return -ENOENT;
            }
            if (tries + 1 < REGENERATE_TRIES && ls_inputs_changed(s->ls, &b->inputs)) {
                spec_bundle_free(b);
                b = NULL;
                continue;
            }
        }
        *watched = watch_inputs(t, s, b, &changed);
        if (!changed)
            break;
        if (tries + 1 >= REGENERATE_TRIES) {
            *watched = false; /* keeps changing: let time-based validation catch up */
            break;
        }
        spec_bundle_free(b);
        b = NULL;
    }
    if (!config_stat(s, id, cst)) {
        memset(cst, 0, sizeof(*cst));
        cst->st_mode = S_IFREG | 0600;
    }
    *out = b;
    return 0;
}

static void log_bundle_errors(const struct spec_bundle *b)
{
    const char *p = b->errors;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        bfs_log("%.*s", len, p);
        p += len + (nl ? 1 : 0);
    }
}

/* A referenced, fresh current version of c; with need_bytes, one whose bytes are cached.
 * Called and returns with t->lock held (drops it while reading the data-root). The caller holds
 * a reference to c. */
static int ctr_current(struct bfs_tree *t, struct ctr *c, bool need_bytes, struct version **out)
{
    for (;;) {
        struct version *v, *nv;
        struct store *s;
        struct bytes *old = NULL;
        struct spec_bundle *b = NULL;
        struct stat cst;
        uint64_t epoch0, ev0, sgen;
        int64_t now;
        bool valid = false, watched = false;
        int r = 0;

        while (c->generating)
            pthread_cond_wait(&c->cond, &t->lock);
        now = now_ns();
        v = c->cur;
        if (version_ready(t, v, need_bytes, now)) {
            v->refs++;
            *out = v;
            return 0;
        }
        if (!t->store)
            return -ENOENT;
        c->generating = true;
        epoch0 = t->epoch;
        ev0 = c->events;
        sgen = t->store_gen;
        s = t->store;
        s->refs++;
        if (v && !v->failed && v->bytes && v->store_gen == sgen && v->bytes->b->inputs.n) {
            old = v->bytes;
            old->refs++;
        }
        pthread_mutex_unlock(&t->lock);

        if (old) {
            valid = !ls_inputs_changed(s->ls, &old->b->inputs);
            watched = v->watched;
            if (valid && !watched && t->watch.add) {
                /* made before the watcher started, or when a folder could not be watched:
                 * watched from now on if it can be (a change meanwhile fails validation) */
                bool changed = false;
                watched = watch_inputs(t, s, old->b, &changed);
                valid = !changed;
            }
        }
        if (!valid)
            r = generate(t, s, c->id, &b, &cst, &watched);

        pthread_mutex_lock(&t->lock);
        c->generating = false;
        pthread_cond_broadcast(&c->cond);
        store_unref_locked(s);
        if (old) {
            t->stats.validations++;
            bytes_unref(old);
        }
        if (r < 0)
            return r;
        if (valid) {
            /* Valid as of the epoch and events seen before the check (a change during it
             * leaves the version stale for the next access). Stamped with the time after
             * the check: a check slower than the trust period must not loop. */
            v->epoch = epoch0;
            v->events = ev0;
            v->validated_ns = now_ns();
            v->watched = watched;
            if (need_bytes && !v->bytes)
                continue; /* evicted meanwhile */
            v->refs++;
            *out = v;
            return 0;
        }
        nv = version_new(b, &cst);
        if (!nv) {
            spec_bundle_free(b);
            return -ENOMEM;
        }
        if (v && same_content(v, nv)) {
            v->mtime_ns = nv->mtime_ns;
            v->uid = nv->uid;
            v->gid = nv->gid;
            v->group = nv->group;
            version_free(nv);
            nv = v;
        } else {
            nv->refs = 1; /* c->cur's */
            nv->ctr = c;
            nv->base_ino = t->next_ino;
            t->next_ino += BFS_FILE_COUNT;
            t->stats.versions++;
            if (b->errors_len)
                log_bundle_errors(b);
            c->cur = nv;
            version_retire(t, v);
        }
        if (b->mount_id[0])
            memcpy(c->mount_id, b->mount_id, sizeof(c->mount_id));
        nv->epoch = epoch0;
        nv->events = ev0;
        nv->store_gen = sgen;
        nv->validated_ns = now;
        nv->watched = watched;
        /* A watched version learns of changes from the watcher; the stamps of what it read
         * (most of a bundle's memory at 30 layers) are only kept for time-based checks. */
        if (watched)
            ls_inputs_free(&b->inputs);
        r = bytes_attach(t, nv, b);
        if (r < 0)
            return r;
        nv->refs++;
        *out = nv;
        return 0;
    }
}

/* ---- readahead ----
 *
 * A walk of the mount (find, ls -R, cat <every container>/<file>, a runtime scanning bundles)
 * asks for containers in the root's listing order, one after the other, and each first ask
 * waits for a generation while the machine's other cores idle. When the container a request
 * asks for is the one after the previous one in the root's current listing, a thread of the
 * tree's own makes the next AHEAD_DEPTH containers (what a listing of their folders would
 * make: their version, watched, with its bytes), so the walk finds them made. A jump anywhere
 * else starts no readahead; a request for a container being made waits for that generation
 * instead of starting another (ctr_current). The bytes go to the bounded cache like any. */

/* A request asks for container c (called locked). */
static void ahead_note(struct bfs_tree *t, const struct ctr *c)
{
    const struct idlist *ids = t->ids;
    size_t idx;
    bool same_list, next;

    if (!t->ahead.running || !ids || (idx = idlist_lower_bound(ids, c->id)) == ids->n ||
        strcmp(ids->v[idx], c->id) != 0)
        return;
    same_list = t->ahead.have_last && t->ahead.last_gen == ids->gen;
    if (same_list && idx == t->ahead.last_idx)
        return; /* the same container again (its next file) */
    next = same_list && idx == t->ahead.last_idx + 1;
    t->ahead.have_last = true;
    t->ahead.last_gen = ids->gen;
    t->ahead.last_idx = idx;
    if (!next)
        return;
    t->ahead.n_want = 0;
    for (size_t k = 1; k <= AHEAD_DEPTH && idx + k < ids->n; k++)
        memcpy(t->ahead.want[t->ahead.n_want++], ids->v[idx + k], LS_ID_LEN + 1);
    pthread_cond_signal(&t->ahead.cond);
}

static void *ahead_thread(void *arg)
{
    struct bfs_tree *t = arg;

    pthread_mutex_lock(&t->lock);
    while (!t->ahead.stop) {
        char id[LS_ID_LEN + 1];
        struct version *v = NULL;
        struct ctr *c;
        int r;
        if (t->ahead.n_want == 0) {
            pthread_cond_wait(&t->ahead.cond, &t->lock);
            continue;
        }
        memcpy(id, t->ahead.want[0], sizeof(id));
        memmove(t->ahead.want[0], t->ahead.want[1], (--t->ahead.n_want) * sizeof(t->ahead.want[0]));
        c = ctr_get(t, id);
        if (!c || (!c->generating && version_ready(t, c->cur, true, now_ns())))
            continue; /* made already */
        c->refs++;
        r = ctr_current(t, c, true, &v); /* unlocked while it reads */
        if (r == 0)
            t->stats.readahead++;
        else if (r == -ENOENT && c->in_table && c->refs == 2 && !c->cur)
            ctr_remove(t, c); /* gone meanwhile: nothing holds it */
        version_unref(t, v);
        ctr_unref(t, c);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

int bfs_tree_readahead(struct bfs_tree *t, bool on)
{
    int r = 0;

    pthread_mutex_lock(&t->lock);
    if (on && !t->ahead.running) {
        t->ahead.stop = false;
        r = -pthread_create(&t->ahead.thread, NULL, ahead_thread, t);
        t->ahead.running = r == 0;
    } else if (!on && t->ahead.running) {
        t->ahead.stop = true;
        pthread_cond_signal(&t->ahead.cond);
        pthread_mutex_unlock(&t->lock);
        pthread_join(t->ahead.thread, NULL);
        pthread_mutex_lock(&t->lock);
        t->ahead.running = false;
        t->ahead.have_last = false;
        t->ahead.n_want = 0;
    }
    pthread_mutex_unlock(&t->lock);
    return r;
}

/* ---- attributes ---- */

/* Does the watcher tell of every change to what v was made from? */
static bool watched(const struct bfs_tree *t, const struct version *v)
{
    return t->watch.add && v && v->watched && !v->failed;
}

/* The root and by-name: containers/'s owner and mode without its write bits (a user who
 * cannot list containers/ cannot list them either), 0555 root while there is none. */
static void attr_static_dir(const struct bfs_tree *t, uint64_t ino, struct bfs_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->ino = ino;
    a->type = BFS_DIR;
    a->perm = 0555;
    if (t->store && t->store->ctrs.known) {
        a->perm = t->store->ctrs.perm;
        a->uid = t->store->ctrs.uid;
        a->gid = t->store->ctrs.gid;
    }
    a->mtime_ns = t->mounted_ns;
    /* the entry never changes; the attributes follow containers/ (the watcher drops them when
     * it changes; without one they are kept for the short timeout) */
    a->keep_entry = true;
    a->keep_attr = t->watch.add != NULL;
}

static int attr_ctr_dir(struct bfs_tree *t, struct ctr *c, struct bfs_attr *a)
{
    struct stat st;

    memset(a, 0, sizeof(*a));
    a->ino = c->ino;
    a->type = BFS_DIR;
    a->perm = 0500;
    /* The entry goes when containers/<id> does (containers/ is watched from the start); the
     * attributes follow config.v2.json, in containers/<id> (lookup_root watches it). */
    a->keep_entry = t->watch.add != NULL;
    a->keep_attr = t->watch.add && c->dir_watched;
    if (t->store && config_stat(t->store, c->id, &st)) {
        a->perm |= (st.st_mode & 0040) ? 0050 : 0;
        a->uid = st.st_uid;
        a->gid = st.st_gid;
        a->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
    return 0;
}

static void attr_file(const struct bfs_tree *t, const struct version *v, enum bfs_file f,
                      struct bfs_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->ino = v->base_ino + f;
    a->keep_entry = a->keep_attr = watched(t, v);
    a->uid = v->uid;
    a->gid = v->gid;
    a->mtime_ns = v->mtime_ns;
    if (f == BFS_FILE_UTILITYVM) {
        a->type = BFS_LNK;
        a->perm = 0777;
        a->size = v->uvm ? strlen(v->uvm) : 0;
    } else {
        a->type = BFS_REG;
        a->perm = 0400 | v->group;
        a->size = v->f[f].size;
    }
}

static void attr_link(const struct bfs_tree *t, const struct ctr *c, enum node_kind kind,
                      struct bfs_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->mtime_ns = t->mounted_ns;
    a->type = BFS_LNK;
    a->perm = 0777;
    /* A link's target never changes, but which name or prefix leads to it does, and those
     * entries are not invalidated one by one: short timeouts. */
    a->keep_attr = true;
    if (kind == N_BYNAME_LINK) {
        a->ino = c->ino + 1;
        a->size = 3 + LS_ID_LEN; /* "../<id>" */
    } else {
        a->ino = c->ino + 2;
        a->size = LS_ID_LEN;
    }
}

/* ---- the data-root ---- */

static bool root_check_due(struct bfs_tree *t, int64_t now)
{
    return now - t->root_checked_ns > trust_ns(t);
}

bool bfs_tree_check_root(struct bfs_tree *t)
{
    struct stat st;
    struct store *ns = NULL, *old;
    struct bf_error err = BF_ERROR_INIT;
    bool missing = stat(t->dataroot, &st) != 0 || !S_ISDIR(st.st_mode);

    pthread_mutex_lock(&t->lock);
    t->root_checked_ns = now_ns();
    if (!missing && t->store && t->store->dev == st.st_dev && t->store->ino == st.st_ino) {
        /* the same data-root: containers/'s mode, for a mount without a watcher */
        struct store *s = t->store;
        s->refs++;
        pthread_mutex_unlock(&t->lock);
        struct ctrs_mode m = ctrs_stat(s->ls);
        pthread_mutex_lock(&t->lock);
        s->ctrs = m;
        store_unref_locked(s);
        pthread_mutex_unlock(&t->lock);
        return false;
    }
    if (missing && !t->store) {
        pthread_mutex_unlock(&t->lock);
        return false;
    }
    pthread_mutex_unlock(&t->lock);

    if (!missing) {
        ns = store_open(t->dataroot, &t->opts.ls, t->trust_ns, &err);
        if (!ns) {
            pthread_mutex_lock(&t->lock);
            if (!t->root_missing_logged)
                bfs_log("%s", bf_error_message(&err));
            t->root_missing_logged = true;
            pthread_mutex_unlock(&t->lock);
            bf_error_clear(&err);
            /* An unusable data-root is served as an empty one, like a missing one. */
        }
    } else {
        pthread_mutex_lock(&t->lock);
        if (!t->root_missing_logged)
            bfs_log("%s: the data-root is gone; serving an empty root until it is back",
                    t->dataroot);
        t->root_missing_logged = true;
        pthread_mutex_unlock(&t->lock);
    }

    pthread_mutex_lock(&t->lock);
    old = t->store;
    t->store = ns;
    if (ns)
        apply_cache_trust(t, ns);
    if (ns) {
        if (t->root_missing_logged)
            bfs_log("%s: the data-root is back", t->dataroot);
        t->root_missing_logged = false;
    }
    t->store_gen++;
    t->epoch++;
    t->ids_epoch++;
    t->names_epoch++;
    store_unref_locked(old);
    pthread_mutex_unlock(&t->lock);
    return true;
}

/* Polling mode (no watcher): look at the data-root path at most once per trust period. */
static void maybe_check_root(struct bfs_tree *t)
{
    bool due;

    if (t->watch.add)
        return; /* the watcher thread checks it */
    pthread_mutex_lock(&t->lock);
    due = root_check_due(t, now_ns());
    pthread_mutex_unlock(&t->lock);
    if (due)
        bfs_tree_check_root(t);
}

static int cmp_strp(const void *a, const void *b);

static bool in_list(char **v, size_t n, const char *id)
{
    return n && bsearch(&id, v, n, sizeof(*v), cmp_strp);
}

/* Container IDs on disk (sorted) into l, without the folders Docker may still be writing: an ID
 * the previous listing `prev` of the same store had is one still (folders are checked when they
 * appear, not at every listing); a new one, or one pending before, is looked at. Called
 * unlocked. */
static int list_ids(struct bfs_tree *t, const struct idlist *prev, char (*recheck)[LS_ID_LEN + 1],
                    size_t n_recheck, struct idlist *l)
{
    struct store *s = store_hold(t);
    struct bf_error err = BF_ERROR_INIT;
    char **ids = NULL;
    size_t n = 0, k = 0;
    int r;

    if (!s)
        return 0;
    r = layerstore_container_ids(s->ls, &ids, &n, &err);
    if (r < 0) {
        bfs_log("%s", bf_error_message(&err));
        bf_error_clear(&err);
        store_release(t, s);
        return -EIO;
    }
    for (size_t i = 0; i < n; i++) {
        bool known = prev && in_list(prev->v, prev->n, ids[i]);
        for (size_t k = 0; known && k < n_recheck; k++)
            known = strcmp(recheck[k], ids[i]) != 0;
        /* State.Dead is read only for the few IDs a later listing looks at: the first reads
         * no file (a removal under way at mount time shows until its folder goes) */
        if (!known && layerstore_container_pending(s->ls, ids[i],
                                                   prev ? LS_PENDING_STATE : LS_PENDING_FIRST)) {
            char **np = realloc(l->pending, (l->n_pending + 1) * sizeof(*np));
            if (!np) {
                free(ids[i]);
                continue; /* left out all the same; listed again next time */
            }
            l->pending = np;
            l->pending[l->n_pending++] = ids[i];
            if (t->watch.add) { /* its hostconfig.json's arrival is an event */
                char rel[sizeof("containers/") + LS_ID_LEN];
                snprintf(rel, sizeof(rel), "containers/%s", ids[i]);
                t->watch.add(t->watch.ctx, rel);
            }
            continue;
        }
        ids[k++] = ids[i];
    }
    store_release(t, s);
    l->v = ids;
    l->n = k;
    return 0;
}

/* Is an index built from containers/ (the ID list, the names) still right? Until the watcher
 * sees the change its epoch counts, or, without a watcher or where a folder it read is not
 * watched, for one trust period. Locked. */
static bool index_fresh(const struct bfs_tree *t, uint64_t epoch, uint64_t now_epoch,
                        uint64_t store_gen, bool watched, int64_t built_ns, int64_t now)
{
    return epoch == now_epoch && store_gen == t->store_gen &&
           ((t->watch.add && watched) || now - built_ns <= trust_ns(t));
}

static void idlist_unref(struct idlist *l)
{
    if (l && --l->refs == 0) {
        ls_strv_free(l->v, l->n);
        ls_strv_free(l->pending, l->n_pending);
        free(l);
    }
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Containers that left the data-root leave the table (their inodes live on until the kernel
 * forgets them). Called locked, with a new listing. */
static void ctrs_sync(struct bfs_tree *t, const struct idlist *l)
{
    for (size_t b = 0; b < t->ctrs.nb; b++) {
        for (struct hlink *p = t->ctrs.b[b], *next; p; p = next) {
            struct ctr *c = (struct ctr *)p;
            const char *key = c->id;
            next = p->next;
            if (!l->n || !bsearch(&key, l->v, l->n, sizeof(*l->v), cmp_strp))
                ctr_remove(t, c);
        }
    }
}

/* The sorted container IDs: the snapshot of the last listing while no container came or went
 * (the watcher says so; without one, for one trust period, unless `relist`), else a new
 * listing. Called unlocked; the caller drops the reference with t->lock held. */
static int ids_get(struct bfs_tree *t, bool relist, struct idlist **out)
{
    struct idlist *l;
    uint64_t ep, sg;
    int64_t now = now_ns();
    int r;

    struct idlist *prev = NULL;

    pthread_mutex_lock(&t->lock);
    l = t->ids;
    /* (pending folders: the watcher's sweep looks at them, and lists anew when one has
     * become a container) */
    if (l && (t->watch.add || !relist) &&
        index_fresh(t, l->epoch, t->ids_epoch, l->store_gen, true, l->built_ns, now)) {
        l->refs++;
        *out = l;
        pthread_mutex_unlock(&t->lock);
        return 0;
    }
    ep = t->ids_epoch;
    sg = t->store_gen;
    if (l && l->store_gen == sg && !t->recheck_all) {
        prev = l;
        prev->refs++;
    }
    char(*recheck)[LS_ID_LEN + 1] = NULL;
    size_t n_recheck = t->n_recheck;
    if (n_recheck && (recheck = malloc(n_recheck * sizeof(*recheck))))
        memcpy(recheck, t->recheck, n_recheck * sizeof(*recheck));
    else if (n_recheck && prev) {
        idlist_unref(prev); /* no memory for the list: look at every folder */
        prev = NULL;
    }
    t->n_recheck = 0;
    t->recheck_all = false;
    pthread_mutex_unlock(&t->lock);

    l = calloc(1, sizeof(*l));
    r = l ? list_ids(t, prev, recheck, recheck ? n_recheck : 0, l) : -ENOMEM;
    free(recheck);
    if (prev) {
        pthread_mutex_lock(&t->lock);
        idlist_unref(prev);
        pthread_mutex_unlock(&t->lock);
    }
    if (r < 0) {
        free(l);
        return r;
    }
    l->refs = 2; /* the tree's and the caller's */
    l->epoch = ep;
    l->store_gen = sg;
    l->built_ns = now;
    pthread_mutex_lock(&t->lock);
    l->gen = ++t->list_gen;
    ctrs_sync(t, l);
    idlist_unref(t->ids_prev);
    t->ids_prev = t->ids;
    t->ids = l;
    pthread_mutex_unlock(&t->lock);
    *out = l;
    return 0;
}

/* Is containers/<id> a container: a directory (no link followed) that Docker is not still
 * writing or removing (its files, and config.v2.json's State.Dead)? An entry of a listing just
 * made is one (`listed`: the listing looked; READDIRPLUS asks for every entry). */
static bool ctr_exists(struct bfs_tree *t, const char *id, bool listed)
{
    struct store *s = store_hold(t);
    bool ok;

    if (!s)
        return false;
    ok = dir_exists(s, "containers", id) &&
         (listed || !layerstore_container_pending(s->ls, id, LS_PENDING_STATE));
    store_release(t, s);
    return ok;
}

static bool is_hex(const char *s, size_t maxlen)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= maxlen || !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n > 0;
}

/* ---- the name index (by-name) ---- */

static int name_cmp(const void *a, const void *b)
{
    const struct name_ent *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->id, y->id);
}

static void namelist_unref(struct namelist *l)
{
    if (l && --l->refs == 0) {
        for (size_t i = 0; i < l->n_by_id; i++)
            free(l->by_id[i].name);
        free(l->by_id);
        free(l->v);
        free(l);
    }
}

/* Mark container `id`'s name to be read again (called locked). */
static void names_mark(struct bfs_tree *t, const char *id)
{
    if (!id || t->names_ndirty == NAMES_DIRTY_MAX)
        t->names_dirty_all = true;
    else
        memcpy(t->names_dirty[t->names_ndirty++], id, LS_ID_LEN + 1);
}

/* Container id's usable name from the data-root, or NULL. Its folder is watched first (a
 * rename after this is an event); *watched is cleared when it cannot be. Unlocked. */
static char *read_name(struct bfs_tree *t, struct store *s, const char *id, bool *watched)
{
    struct bf_error err = BF_ERROR_INIT;
    char *name = NULL, rel[sizeof("containers/") + LS_ID_LEN];

    snprintf(rel, sizeof(rel), "containers/%s", id);
    if (!t->watch.add || t->watch.add(t->watch.ctx, rel) < 0)
        *watched = false;

    if (layerstore_container_name(s->ls, id, &name, NULL, &err) < 0 || !name || !*name ||
        !bf_is_safe_component(name)) {
        bf_error_clear(&err);
        free(name);
        return NULL; /* a container without a usable name has no by-name link */
    }
    return name;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Fill l->by_id for the containers of ids: names of `old` reused for those not in `dirty`
 * (sorted; all read again when old is NULL). Unlocked. */
static int names_read(struct bfs_tree *t, struct store *s, const struct idlist *ids,
                      const struct namelist *old, char (*dirty)[LS_ID_LEN + 1], size_t ndirty,
                      struct namelist *l, uint64_t *nread)
{
    size_t j = 0;

    l->watched = true;
    l->by_id = calloc(ids->n ? ids->n : 1, sizeof(*l->by_id));
    if (!l->by_id)
        return -ENOMEM;
    for (size_t i = 0; i < ids->n; i++) {
        struct name_ent *e = &l->by_id[l->n_by_id++];
        bool reuse = false;
        memcpy(e->id, ids->v[i], LS_ID_LEN + 1);
        if (old) { /* both sorted by ID: one merge walk */
            while (j < old->n_by_id && strcmp(old->by_id[j].id, e->id) < 0)
                j++;
            reuse = j < old->n_by_id && strcmp(old->by_id[j].id, e->id) == 0 &&
                    !(ndirty && bsearch(e->id, dirty, ndirty, sizeof(*dirty), cmp_id));
        }
        if (reuse && old->by_id[j].name) {
            if (!(e->name = strdup(old->by_id[j].name)))
                return -ENOMEM;
        } else if (!reuse && s) {
            e->name = read_name(t, s, e->id, &l->watched);
            ++*nread;
        }
    }
    return 0;
}

/* l->v from l->by_id: usable names sorted, each kept by its first container (by ID). */
static int names_sort(struct namelist *l)
{
    size_t k = 0, w = 0;

    l->v = calloc(l->n_by_id ? l->n_by_id : 1, sizeof(*l->v));
    if (!l->v)
        return -ENOMEM;
    for (size_t i = 0; i < l->n_by_id; i++)
        if (l->by_id[i].name)
            l->v[k++] = l->by_id[i]; /* the name is by_id's */
    qsort(l->v, k, sizeof(*l->v), name_cmp);
    /* Docker keeps names unique; a broken root may not. The first container (by ID) keeps the
     * name, the others get no link, so readdir and lookup always agree. */
    for (size_t i = 0; i < k; i++)
        if (!w || strcmp(l->v[w - 1].name, l->v[i].name) != 0)
            l->v[w++] = l->v[i];
    l->n = w;
    return 0;
}

/* The name index: the last one while nothing under containers/ changed, else a new one, in
 * which only the containers whose folder changed are read again. Called unlocked; the caller
 * drops the reference with t->lock held. */
static int names_get(struct bfs_tree *t, struct namelist **out)
{
    struct idlist *ids = NULL;
    struct namelist *l, *old = NULL;
    char(*dirty)[LS_ID_LEN + 1] = NULL;
    size_t ndirty = 0;
    struct store *s;
    uint64_t ep, sg, nread = 0;
    int64_t now = now_ns();
    int r;

    pthread_mutex_lock(&t->lock);
    l = t->names;
    if (l && index_fresh(t, l->epoch, t->names_epoch, l->store_gen, l->watched, l->built_ns, now)) {
        l->refs++;
        *out = l;
        pthread_mutex_unlock(&t->lock);
        return 0;
    }
    ep = t->names_epoch;
    sg = t->store_gen;
    if (l && !t->names_dirty_all && t->watch.add && l->watched && l->store_gen == sg &&
        (dirty = malloc((t->names_ndirty ? t->names_ndirty : 1) * sizeof(*dirty)))) {
        old = l;
        old->refs++;
        ndirty = t->names_ndirty;
        memcpy(dirty, t->names_dirty, ndirty * sizeof(*dirty));
    }
    t->names_ndirty = 0;
    t->names_dirty_all = false;
    pthread_mutex_unlock(&t->lock);
    if (ndirty)
        qsort(dirty, ndirty, sizeof(*dirty), cmp_id);

    r = ids_get(t, false, &ids);
    l = calloc(1, sizeof(*l));
    if (r == 0 && !l)
        r = -ENOMEM;
    if (r == 0) {
        s = store_hold(t);
        r = names_read(t, s, ids, old, dirty, ndirty, l, &nread);
        store_release(t, s);
    }
    if (r == 0)
        r = names_sort(l);
    free(dirty);
    pthread_mutex_lock(&t->lock);
    t->stats.name_reads += nread;
    idlist_unref(ids);
    namelist_unref(old);
    if (r < 0) {
        t->names_dirty_all = true; /* what was marked is forgotten: read everything next time */
        if (l)
            l->refs = 1;
        namelist_unref(l);
        pthread_mutex_unlock(&t->lock);
        return r;
    }
    l->refs = 2; /* the tree's and the caller's */
    l->epoch = ep;
    l->store_gen = sg;
    l->built_ns = now;
    l->gen = ++t->list_gen;
    namelist_unref(t->names_prev);
    t->names_prev = t->names;
    t->names = l;
    pthread_mutex_unlock(&t->lock);
    *out = l;
    return 0;
}

/* ---- requests ---- */

static int lookup_root(struct bfs_tree *t, const char *name, bool listed, struct bfs_attr *out)
{
    char full[LS_ID_LEN + 1] = "";
    bool prefix = false, dir_watched = false;
    struct ctr *c;
    int r;

    if (strcmp(name, BFS_BYNAME_DIR) == 0) {
        attr_static_dir(t, BFS_BYNAME_INO, out);
        return 0;
    }
    if (!is_hex(name, LS_ID_LEN))
        return -ENOENT;
    maybe_check_root(t);
    if (strlen(name) == LS_ID_LEN) {
        char rel[sizeof("containers/") + LS_ID_LEN];
        /* Watched before its attributes are read: a change after this is seen. */
        snprintf(rel, sizeof(rel), "containers/%s", name);
        if (t->watch.add && t->watch.add(t->watch.ctx, rel) >= 0)
            dir_watched = true;
        if (!ctr_exists(t, name, listed))
            goto gone;
        memcpy(full, name, sizeof(full));
    } else {
        struct idlist *l = NULL;
        size_t lo, len = strlen(name);
        bool unique;
        r = ids_get(t, false, &l);
        if (r < 0)
            return r;
        lo = idlist_lower_bound(l, name);
        unique = lo < l->n && strncmp(l->v[lo], name, len) == 0 &&
                 (lo + 1 == l->n || strncmp(l->v[lo + 1], name, len) != 0);
        if (unique)
            memcpy(full, l->v[lo], sizeof(full));
        pthread_mutex_lock(&t->lock);
        idlist_unref(l);
        pthread_mutex_unlock(&t->lock);
        if (!unique)
            return -ENOENT; /* unknown, or ambiguous as `docker` would say */
        prefix = true;
    }

    pthread_mutex_lock(&t->lock);
    c = ctr_get(t, full);
    if (!c) {
        pthread_mutex_unlock(&t->lock);
        return -ENOMEM;
    }
    if (prefix) {
        attr_link(t, c, N_PREFIX_LINK, out);
        r = node_ref(t, out->ino, N_PREFIX_LINK, 0, c, NULL);
    } else {
        c->dir_watched |= dir_watched;
        r = attr_ctr_dir(t, c, out);
        if (r == 0)
            r = node_ref(t, out->ino, N_DIR, 0, c, NULL);
    }
    pthread_mutex_unlock(&t->lock);
    return r;

gone:
    pthread_mutex_lock(&t->lock);
    c = ctr_find(t, name);
    if (c)
        ctr_remove(t, c);
    pthread_mutex_unlock(&t->lock);
    return -ENOENT;
}

static int lookup_byname(struct bfs_tree *t, const char *name, struct bfs_attr *out)
{
    struct namelist *names = NULL;
    struct ctr *c;
    int r = names_get(t, &names);

    if (r < 0)
        return r;
    pthread_mutex_lock(&t->lock);
    r = -ENOENT;
    for (size_t lo = 0, hi = names->n; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(name, names->v[mid].name);
        if (cmp == 0) {
            c = ctr_get(t, names->v[mid].id);
            if (!c) {
                r = -ENOMEM;
                break;
            }
            attr_link(t, c, N_BYNAME_LINK, out);
            r = node_ref(t, out->ino, N_BYNAME_LINK, 0, c, NULL);
            break;
        }
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    namelist_unref(names);
    pthread_mutex_unlock(&t->lock);
    return r;
}

static int file_by_name(const char *name)
{
    for (int i = 0; i < BFS_FILE_COUNT; i++)
        if (strcmp(name, file_names[i]) == 0)
            return i;
    return -1;
}

static int lookup_ctr(struct bfs_tree *t, struct node *dirn, const char *name, struct bfs_attr *out)
{
    struct ctr *c = dirn->ctr;
    struct version *v = NULL;
    int f = file_by_name(name), r;

    if (f < 0)
        return -ENOENT;
    ahead_note(t, c);
    c->refs++;
    r = ctr_current(t, c, false, &v);
    if (r == 0 && !v->f[f].present)
        r = -ENOENT;
    if (r == 0) {
        if (v->bytes)
            bytes_touch(t, v->bytes); /* its read is likely next (lru_trim) */
        attr_file(t, v, f, out);
        r = node_ref(t, out->ino, N_FILE, f, c, v);
    }
    version_unref(t, v);
    ctr_unref(t, c);
    return r;
}

int bfs_lookup(struct bfs_tree *t, uint64_t parent, const char *name, struct bfs_attr *out)
{
    struct node *n;
    int r;

    if (parent == BFS_ROOT_INO)
        return lookup_root(t, name, false, out);
    if (parent == BFS_BYNAME_INO)
        return lookup_byname(t, name, out);
    pthread_mutex_lock(&t->lock);
    n = node_find(t, parent);
    if (!n)
        r = -ESTALE;
    else if (n->kind != N_DIR)
        r = -ENOTDIR;
    else
        r = lookup_ctr(t, n, name, out);
    pthread_mutex_unlock(&t->lock);
    return r;
}

int bfs_getattr(struct bfs_tree *t, uint64_t ino, struct bfs_attr *out)
{
    struct node *n;
    int r = 0;

    if (ino == BFS_ROOT_INO || ino == BFS_BYNAME_INO) {
        attr_static_dir(t, ino, out);
        return 0;
    }
    pthread_mutex_lock(&t->lock);
    n = node_find(t, ino);
    if (!n)
        r = -ESTALE;
    else if (n->kind == N_DIR)
        r = attr_ctr_dir(t, n->ctr, out);
    else if (n->kind == N_FILE)
        attr_file(t, n->ver, n->file, out);
    else
        attr_link(t, n->ctr, n->kind, out);
    pthread_mutex_unlock(&t->lock);
    return r;
}

int bfs_readlink(struct bfs_tree *t, uint64_t ino, char **target)
{
    struct node *n;
    int r = 0;

    *target = NULL;
    pthread_mutex_lock(&t->lock);
    n = node_find(t, ino);
    if (!n)
        r = -ESTALE;
    else if (n->kind == N_BYNAME_LINK)
        r = asprintf(target, "../%s", n->ctr->id) < 0 ? -ENOMEM : 0;
    else if (n->kind == N_PREFIX_LINK)
        r = (*target = strdup(n->ctr->id)) ? 0 : -ENOMEM;
    else if (n->kind == N_FILE && n->file == BFS_FILE_UTILITYVM && n->ver->uvm)
        r = (*target = strdup(n->ver->uvm)) ? 0 : -ENOMEM;
    else
        r = -EINVAL;
    pthread_mutex_unlock(&t->lock);
    if (r < 0)
        *target = NULL;
    return r;
}

static int dl_add(struct bfs_dirlist *l, size_t *cap, const char *name, uint64_t ino,
                  enum bfs_type type, uint64_t off)
{
    if (l->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct bfs_dirent *v = realloc(l->v, nc * sizeof(*v));
        if (!v)
            return -ENOMEM;
        l->v = v;
        *cap = nc;
    }
    if (!(l->v[l->n].name = strdup(name)))
        return -ENOMEM;
    l->v[l->n].ino = ino;
    l->v[l->n].type = type;
    l->v[l->n].off = off;
    l->v[l->n].looked_up = false;
    l->n++;
    return 0;
}

void bfs_dirlist_free(struct bfs_dirlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
    free(l);
}

/* ---- listings ----
 *
 * Every entry carries the offset that resumes after it. The fixed entries ("." "..", and
 * by-name in the root) are 1..3; a container's files are 3 + their bfs_file, whatever else the
 * folder holds; the entries of the root and of by-name name their snapshot (idlist, namelist
 * gen) and their index in it, so a listing read in several requests (the kernel caches
 * listings and reads them without opening the directory) continues in the snapshot it began
 * with, even after a newer one was made (the one before the newest is kept for that). */

#define OFF_FIXED_MAX 3
#define OFF_GEN_SHIFT 40
#define OFF_GEN_MASK ((1ull << 23) - 1) /* offsets stay positive in an off_t */
#define OFF_IDX_MASK ((1ull << OFF_GEN_SHIFT) - 1)

static uint64_t listing_off(uint64_t gen, size_t i)
{
    return ((gen & OFF_GEN_MASK) << OFF_GEN_SHIFT) | ((uint64_t)i + 1 + OFF_FIXED_MAX);
}

/* Where a listing resumes after offset `after`: the snapshot generation it named (0: none)
 * and the first index to give. */
static size_t listing_next(uint64_t after, uint64_t *gen)
{
    *gen = 0;
    if (after <= OFF_FIXED_MAX)
        return 0;
    *gen = after >> OFF_GEN_SHIFT;
    return (size_t)((after & OFF_IDX_MASK) - OFF_FIXED_MAX);
}

static bool gen_is(uint64_t gen, uint64_t want)
{
    return want && (gen & OFF_GEN_MASK) == want;
}

/* A listing's identity: names, inode numbers and types (never 0). */
static uint64_t dirlist_hash(const struct bfs_dirlist *l)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < l->n; i++) {
        h = mix64(h ^ bfs_hash(l->v[i].name, strlen(l->v[i].name)));
        h = mix64(h ^ l->v[i].ino ^ ((uint64_t)l->v[i].type << 62));
    }
    return h | 1;
}

/* Record listing l as the last one of a directory; true when it equals the one before. */
static bool listed_again(uint64_t *last, const struct bfs_dirlist *l)
{
    uint64_t h = dirlist_hash(l);
    bool same = *last == h;

    *last = h;
    return same;
}

/* The entries of the root after offset `after`, at most `max`, from snapshot ids. Locked. */
static int list_root(struct bfs_tree *t, const struct idlist *ids, uint64_t after, size_t max,
                     struct bfs_dirlist *l, size_t *cap)
{
    static const struct {
        const char *name;
        uint64_t ino;
    } fixed[] = {{".", BFS_ROOT_INO}, {"..", BFS_ROOT_INO}, {BFS_BYNAME_DIR, BFS_BYNAME_INO}};
    uint64_t gen;
    int r = 0;

    for (uint64_t k = after + 1; r == 0 && k <= 3 && l->n < max; k++)
        r = dl_add(l, cap, fixed[k - 1].name, fixed[k - 1].ino, BFS_DIR, k);
    for (size_t i = listing_next(after, &gen); r == 0 && i < ids->n && l->n < max; i++) {
        struct ctr *c = ctr_get(t, ids->v[i]);
        r = c ? dl_add(l, cap, ids->v[i], c->ino, BFS_DIR, listing_off(ids->gen, i)) : -ENOMEM;
    }
    return r;
}

/* The containers of a root listing with their attributes, as if each was looked up (a walk
 * that lists the root and then enters every folder needs no LOOKUP each). A container gone
 * meanwhile stays a plain entry. */
static void list_root_plus(struct bfs_tree *t, struct bfs_dirlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct bfs_dirent *d = &l->v[i];
        if (d->off <= 3 || lookup_root(t, d->name, true, &d->attr) < 0)
            continue;
        d->looked_up = true;
    }
}

static int list_byname(struct bfs_tree *t, const struct namelist *names, uint64_t after, size_t max,
                       struct bfs_dirlist *l, size_t *cap)
{
    uint64_t gen;
    int r = 0;

    if (after < 1 && l->n < max)
        r = dl_add(l, cap, ".", BFS_BYNAME_INO, BFS_DIR, 1);
    if (r == 0 && after < 2 && l->n < max)
        r = dl_add(l, cap, "..", BFS_ROOT_INO, BFS_DIR, 2);
    for (size_t i = listing_next(after, &gen); r == 0 && i < names->n && l->n < max; i++) {
        struct ctr *c = ctr_get(t, names->v[i].id);
        r = c ? dl_add(l, cap, names->v[i].name, c->ino + 1, BFS_LNK, listing_off(names->gen, i))
              : -ENOMEM;
    }
    return r;
}

/* A container's folder after offset `after`; with `plus`, its files with their attributes,
 * counted as lookups (called locked, drops the lock meanwhile). */
static int list_ctr(struct bfs_tree *t, struct node *n, uint64_t after, size_t max, bool plus,
                    struct bfs_dirlist *l, size_t *cap)
{
    struct ctr *c = n->ctr;
    struct version *v = NULL;
    int r;

    if (after == 0)
        ahead_note(t, c);
    c->refs++;
    r = ctr_current(t, c, false, &v);
    if (r == 0 && after < 1 && l->n < max)
        r = dl_add(l, cap, ".", c->ino, BFS_DIR, 1);
    if (r == 0 && after < 2 && l->n < max)
        r = dl_add(l, cap, "..", BFS_ROOT_INO, BFS_DIR, 2);
    for (int f = 0; r == 0 && f < BFS_FILE_COUNT && l->n < max; f++) {
        struct bfs_dirent *e;
        if (!v->f[f].present || (uint64_t)f + 3 <= after)
            continue;
        r = dl_add(l, cap, file_names[f], v->base_ino + f,
                   f == BFS_FILE_UTILITYVM ? BFS_LNK : BFS_REG, (uint64_t)f + 3);
        if (r < 0 || !plus)
            continue;
        e = &l->v[l->n - 1];
        attr_file(t, v, f, &e->attr);
        r = node_ref(t, e->attr.ino, N_FILE, f, c, v);
        e->looked_up = r == 0;
    }
    if (r == 0)
        c->listed_base = v->base_ino; /* bfs_tree_sweep: what the kernel may have cached */
    version_unref(t, v);
    ctr_unref(t, c);
    return r;
}

/* The root's or by-name's snapshot that offset `after` continues (referenced), or the
 * current one. Called unlocked; the reference is dropped with t->lock held. */
static int snapshot_for(struct bfs_tree *t, uint64_t ino, uint64_t after, void **out)
{
    uint64_t gen;

    listing_next(after, &gen);
    pthread_mutex_lock(&t->lock);
    if (ino == BFS_ROOT_INO) {
        struct idlist *cand[2] = {t->ids, t->ids_prev};
        for (int i = 0; i < 2; i++) {
            if (cand[i] && gen_is(gen, cand[i]->gen)) {
                cand[i]->refs++;
                *out = cand[i];
                pthread_mutex_unlock(&t->lock);
                return 0;
            }
        }
    } else {
        struct namelist *cand[2] = {t->names, t->names_prev};
        for (int i = 0; i < 2; i++) {
            if (cand[i] && gen_is(gen, cand[i]->gen)) {
                cand[i]->refs++;
                *out = cand[i];
                pthread_mutex_unlock(&t->lock);
                return 0;
            }
        }
    }
    pthread_mutex_unlock(&t->lock);
    /* A new listing, or one so old that its snapshot is gone: it goes on in the current
     * one at the same index (entries that came or went meanwhile may be missed or repeated,
     * as POSIX allows for a directory changed while read). */
    if (ino == BFS_ROOT_INO) {
        /* Without a watcher, a listing from the start is made anew, as `ls` expects */
        maybe_check_root(t);
        return ids_get(t, after == 0, (struct idlist **)out);
    }
    return names_get(t, (struct namelist **)out);
}

/* Entries of directory `ino` after offset `after`, at most `max`, into l. */
static int list_dir(struct bfs_tree *t, uint64_t ino, uint64_t after, size_t max, bool plus,
                    struct bfs_dirlist *l, size_t *cap, bool *unchanged)
{
    struct node *n;
    void *snap = NULL;
    int r;

    if (ino == BFS_ROOT_INO || ino == BFS_BYNAME_INO) {
        r = snapshot_for(t, ino, after, &snap);
        if (r < 0)
            return r;
        pthread_mutex_lock(&t->lock);
        if (ino == BFS_ROOT_INO) {
            r = list_root(t, snap, after, max, l, cap);
            if (r == 0 && unchanged)
                *unchanged = listed_again(&t->root_listed, l);
            idlist_unref(snap);
            if (r == 0 && plus) {
                pthread_mutex_unlock(&t->lock);
                list_root_plus(t, l);
                return 0;
            }
        } else {
            r = list_byname(t, snap, after, max, l, cap);
            if (r == 0 && unchanged)
                *unchanged = listed_again(&t->byname_listed, l);
            namelist_unref(snap);
        }
        pthread_mutex_unlock(&t->lock);
        return r;
    }
    pthread_mutex_lock(&t->lock);
    n = node_find(t, ino);
    if (!n)
        r = -ESTALE;
    else if (n->kind != N_DIR)
        r = -ENOTDIR;
    else if ((r = list_ctr(t, n, after, max, plus, l, cap)) == 0 && unchanged)
        *unchanged = listed_again(&n->ctr->listed, l);
    pthread_mutex_unlock(&t->lock);
    return r;
}

int bfs_opendir(struct bfs_tree *t, uint64_t ino, struct bfs_dirlist **out, bool *unchanged)
{
    struct bfs_dirlist *l = calloc(1, sizeof(*l));
    size_t cap = 0;
    int r;

    *out = NULL;
    *unchanged = false;
    if (!l)
        return -ENOMEM;
    r = list_dir(t, ino, 0, SIZE_MAX, false, l, &cap, unchanged);
    if (r < 0) {
        bfs_dirlist_free(l);
        return r;
    }
    *out = l;
    return 0;
}

int bfs_readdir(struct bfs_tree *t, uint64_t ino, uint64_t after, size_t max, bool plus,
                struct bfs_dirlist **out)
{
    struct bfs_dirlist *l = calloc(1, sizeof(*l));
    size_t cap = 0;
    int r;

    *out = NULL;
    if (!l)
        return -ENOMEM;
    r = list_dir(t, ino, after, max, plus, l, &cap, NULL);
    if (r < 0) {
        for (size_t i = 0; i < l->n; i++)
            if (l->v[i].looked_up)
                bfs_forget(t, l->v[i].attr.ino, 1);
        bfs_dirlist_free(l);
        return r;
    }
    *out = l;
    return 0;
}

struct bfs_handle {
    struct bytes *bytes; /* pinned at open */
    enum bfs_file file;
};

/* Pin bytes in h (called with t->lock held). */
static void handle_pin(struct bfs_tree *t, struct bfs_handle *h, struct bytes *b)
{
    h->bytes = b;
    b->refs++;
    bytes_touch(t, b);
}

/* The version regular file `ino` stands for (referenced), and its container, for a read:
 * -ESTALE for an inode the kernel should not have, -EISDIR/-EINVAL for a folder or a link,
 * -ENOENT/-EIO for a file that failed (its container gone, or not). Called locked. */
static int file_version(struct bfs_tree *t, uint64_t ino, struct version **v, struct ctr **c,
                        enum bfs_file *f)
{
    struct node *n = node_find(t, ino);

    *v = NULL;
    if (!n)
        return -ESTALE;
    if (n->kind != N_FILE || n->file == BFS_FILE_UTILITYVM)
        return n->kind == N_DIR ? -EISDIR : -EINVAL;
    if (n->ver->f[n->file].failed)
        return t->store && !dir_exists(t->store, "containers", n->ctr->id) ? -ENOENT : -EIO;
    *v = n->ver;
    (*v)->refs++; /* n may be forgotten while the lock is dropped */
    *c = n->ctr;
    *f = n->file;
    return 0;
}

/* A fresh current version of c with its bytes (for v's evicted ones). Called locked. */
static int ctr_current_bytes(struct bfs_tree *t, struct ctr *c, struct version **cur)
{
    int r;

    c->refs++;
    r = ctr_current(t, c, true, cur);
    ctr_unref(t, c);
    return r;
}

int bfs_open(struct bfs_tree *t, uint64_t ino, struct bfs_handle **out, bool *direct_io)
{
    struct bfs_handle *h = calloc(1, sizeof(*h));
    struct version *v = NULL, *cur = NULL;
    struct ctr *c = NULL;
    int r;

    *out = NULL;
    *direct_io = false;
    if (!h)
        return -ENOMEM;
    pthread_mutex_lock(&t->lock);
    r = file_version(t, ino, &v, &c, &h->file);
    if (r < 0)
        goto out;
    if (v->bytes) {
        handle_pin(t, h, v->bytes);
        goto out;
    }
    {
        /* Evicted: generate now, so that this open is one snapshot whatever happens before
         * its reads (generating at the first read instead was cheaper for warm reads, but a
         * change in between left nothing to serve: the fs-concurrency test saw EIO).
         * Identical content re-attaches to v (same inode, same bytes); different content
         * means the inode is out of date. */
        r = ctr_current_bytes(t, c, &cur);
        if (r < 0)
            goto out;
        if (cur != v || !v->bytes) {
            if (!cur->f[h->file].present)
                r = -ENOENT;
            else if (cur->f[h->file].failed)
                r = -EIO;
            if (r < 0)
                goto out;
            *direct_io = true;
        }
        handle_pin(t, h, *direct_io ? cur->bytes : v->bytes);
    }
out:
    version_unref(t, v);
    version_unref(t, cur);
    pthread_mutex_unlock(&t->lock);
    if (r < 0) {
        free(h);
        return r;
    }
    *out = h;
    return 0;
}

int bfs_read_pin(struct bfs_tree *t, struct bfs_handle *h, const char **data, size_t *len,
                 struct bfs_pin **pin)
{
    struct bytes *by;

    /* The read holds its own reference until its reply is written: bytes never go away
     * under a reply, whatever else happens to the handle meanwhile (a RELEASE handled by
     * another thread, an eviction, a new version). */
    pthread_mutex_lock(&t->lock);
    by = h->bytes;
    by->refs++;
    pthread_mutex_unlock(&t->lock);
    if (h->file == BFS_FILE_ERROR) {
        *data = by->b->errors;
        *len = by->b->errors_len;
    } else {
        *data = by->b->files[h->file].data;
        *len = by->b->files[h->file].len;
    }
    *pin = (struct bfs_pin *)by;
    return 0;
}

void bfs_read_unpin(struct bfs_tree *t, struct bfs_pin *pin)
{
    pthread_mutex_lock(&t->lock);
    bytes_unref((struct bytes *)pin);
    pthread_mutex_unlock(&t->lock);
}

int bfs_read_ino(struct bfs_tree *t, uint64_t ino, const char **data, size_t *len,
                 struct bfs_pin **pin)
{
    struct version *v = NULL, *cur = NULL;
    struct bytes *by = NULL;
    struct ctr *c = NULL;
    enum bfs_file f = BFS_FILE_CONFIG;
    int r;

    pthread_mutex_lock(&t->lock);
    r = file_version(t, ino, &v, &c, &f);
    if (r < 0)
        goto out;
    by = v->bytes;
    if (!by) {
        /* Evicted: generate again. The same content re-attaches to v; a newer version whose
         * file has the same bytes serves them too; other bytes would not match the size and
         * the pages the kernel has of this inode. */
        r = ctr_current_bytes(t, c, &cur);
        if (r < 0)
            goto out;
        if (cur == v || memcmp(&cur->f[f], &v->f[f], sizeof(v->f[f])) == 0) {
            by = cur->bytes;
        } else {
            bfs_log("%s/%s: this version changed before it was read, and its bytes were "
                    "evicted: open it again",
                    v->ctr->id, file_names[f]);
            r = -ESTALE;
            goto out;
        }
    }
    by->refs++; /* the read's own pin, as bfs_read_pin's */
    bytes_touch(t, by);
    v->served |= 1u << f;
out:
    version_unref(t, v);
    version_unref(t, cur);
    pthread_mutex_unlock(&t->lock);
    if (r < 0)
        return r;
    if (f == BFS_FILE_ERROR) {
        *data = by->b->errors;
        *len = by->b->errors_len;
    } else {
        *data = by->b->files[f].data;
        *len = by->b->files[f].len;
    }
    *pin = (struct bfs_pin *)by;
    return 0;
}

size_t bfs_file_siblings(struct bfs_tree *t, uint64_t ino, bool claim, uint64_t *out, size_t max)
{
    struct node *n, *sib;
    struct version *v;
    size_t k = 0;

    pthread_mutex_lock(&t->lock);
    n = node_find(t, ino);
    if (!n || n->kind != N_FILE)
        goto out;
    v = n->ver;
    for (int f = 0; f < BFS_FILE_COUNT && k < max; f++) {
        if (f == (int)n->file || f == BFS_FILE_UTILITYVM || (v->served & (1u << f)) ||
            !v->f[f].present || v->f[f].failed || v->f[f].size == 0)
            continue;
        /* the kernel holds it: its node lives from a lookup (or a listing with attributes)
         * to the forget that brings nlookup to 0 */
        sib = node_find(t, v->base_ino + (uint64_t)f);
        if (!sib)
            continue;
        out[k++] = sib->ino;
        if (claim)
            v->served |= 1u << f;
    }
out:
    pthread_mutex_unlock(&t->lock);
    return k;
}

void bfs_release(struct bfs_tree *t, struct bfs_handle *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&t->lock);
    bytes_unref(h->bytes);
    pthread_mutex_unlock(&t->lock);
    free(h);
}

/* ---- change notification ---- */

/* "containers/<id>[/...]" or "<image>/layerdb/mounts/<id>[/...]": the container it belongs
 * to, or NULL. `name` is the entry within dir_rel (for the parent folders themselves). */
static const char *owner_id(const struct bfs_tree *t, const char *dir_rel, const char *name,
                            char id[LS_ID_LEN + 1])
{
    const char *rest = NULL;
    struct layerstore *ls = t->store ? t->store->ls : NULL;
    char mounts[64];

    if (strncmp(dir_rel, "containers", 10) == 0 && (dir_rel[10] == '/' || !dir_rel[10]))
        rest = dir_rel[10] ? dir_rel + 11 : name;
    else if (ls) {
        int k = snprintf(mounts, sizeof(mounts), "image/%s/layerdb/mounts",
                         ls_driver_name(layerstore_driver(ls)));
        if (k > 0 && (size_t)k < sizeof(mounts) && strncmp(dir_rel, mounts, k) == 0 &&
            (dir_rel[k] == '/' || !dir_rel[k]))
            rest = dir_rel[k] ? dir_rel + k + 1 : name;
    }
    if (!rest || strlen(rest) < LS_ID_LEN || (rest[LS_ID_LEN] && rest[LS_ID_LEN] != '/'))
        return NULL;
    memcpy(id, rest, LS_ID_LEN);
    id[LS_ID_LEN] = '\0';
    return bf_is_hex64(id) ? id : NULL;
}

/* An event in the storage driver's folder of layers (windowsfilter/, overlay2/, vfs/dir/, or
 * overlay2/l/ of the short links), or in one layer's folder: whose is it? Docker makes such
 * folders for every container it creates, so "everyone's" would make every container stale at
 * every create. A folder that is a known container's layer (its mount-id, or that with
 * "-init") is that container's; one no cached image has as a layer is nobody's (no bundle read
 * it: a version that failed on a missing folder is retried after its trust period anyway);
 * anything else, or anything unsure, is everyone's. */
enum ev_scope { EV_SHARED, EV_OWNER, EV_NONE };

struct layer_ev {
    bool is_layer;         /* dir_rel is the driver's folder or a folder in it */
    char x[LS_ID_LEN + 8]; /* the layer folder's name ("" when unknown: everyone's) */
};

/* The layer folder an event concerns. Reads a short link: called unlocked. */
static void layer_event(struct layerstore *ls, const char *dir_rel, const char *name, unsigned how,
                        struct layer_ev *ev)
{
    const char *top, *rest = NULL;
    char target[128]; /* a short link's target, which rest may point into */
    size_t tl;

    memset(ev, 0, sizeof(*ev));
    if (!ls)
        return;
    switch (layerstore_driver(ls)) {
    case LS_DRIVER_WINDOWSFILTER:
        top = "windowsfilter";
        break;
    case LS_DRIVER_OVERLAY2:
        top = "overlay2";
        break;
    default:
        top = "vfs/dir";
    }
    tl = strlen(top);
    if (strncmp(dir_rel, top, tl) != 0 || (dir_rel[tl] && dir_rel[tl] != '/'))
        return;
    ev->is_layer = true;
    if (!dir_rel[tl]) {
        rest = name;
    } else if (strcmp(dir_rel, "overlay2/l") == 0 && layerstore_driver(ls) == LS_DRIVER_OVERLAY2) {
        /* A short link made anew (a container's create makes two) names the layer it leads to
         * ("../<folder>/diff"). One replaced, removed or changed may have led anywhere before,
         * to a layer some bundle's mountopts was checked against: everyone's. */
        char rel[64];
        ssize_t n = -1;
        if (!(how & BFS_EV_CREATED))
            return;
        if (name && strlen(name) < 32) {
            snprintf(rel, sizeof(rel), "overlay2/l/%s", name);
            n = readlinkat(layerstore_dirfd(ls), rel, target, sizeof(target) - 1);
        }
        if (n < 8 || strncmp(target, "../", 3) != 0)
            return;
        target[n] = '\0';
        if (strcmp(target + n - 5, "/diff") != 0)
            return;
        target[n - 5] = '\0';
        rest = target + 3;
    } else {
        rest = dir_rel + tl + 1;
    }
    if (!rest)
        return;
    size_t xl = strcspn(rest, "/");
    if (xl >= sizeof(ev->x))
        return;
    memcpy(ev->x, rest, xl);
    ev->x[xl] = '\0';
}

/* Called locked. */
static enum ev_scope layer_scope_locked(struct bfs_tree *t, const struct layer_ev *ev,
                                        char id[LS_ID_LEN + 1])
{
    size_t xl = strlen(ev->x), bl = xl;

    if (!xl)
        return EV_SHARED;
    if (xl == LS_ID_LEN + 5 && strcmp(ev->x + LS_ID_LEN, "-init") == 0)
        bl = LS_ID_LEN;
    if (bl != LS_ID_LEN)
        return EV_SHARED; /* not a layer's folder: Docker does not change those */
    for (size_t b = 0; b < t->ctrs.nb; b++) {
        for (struct hlink *p = t->ctrs.b[b]; p; p = p->next) {
            const struct ctr *c = (const struct ctr *)p;
            if (strlen(c->mount_id) == bl && memcmp(c->mount_id, ev->x, bl) == 0) {
                memcpy(id, c->id, LS_ID_LEN + 1);
                return EV_OWNER;
            }
        }
    }
    if (!t->store || layerstore_cache_may_use_layer(t->store->ls, ev->x))
        return EV_SHARED;
    return EV_NONE;
}

/* What the kernel may hold of one container: its entry in the root and its directory. */
struct inval_ent {
    uint64_t dir_ino;
    char id[LS_ID_LEN + 1];
};

/* Every container of the table (called locked; NULL when out of memory). */
static struct inval_ent *inval_list(struct bfs_tree *t, size_t *n)
{
    struct inval_ent *v = malloc((t->ctrs.n ? t->ctrs.n : 1) * sizeof(*v));

    *n = 0;
    if (!v)
        return NULL;
    for (size_t b = 0; b < t->ctrs.nb; b++) {
        for (struct hlink *p = t->ctrs.b[b]; p; p = p->next) {
            struct ctr *c = (struct ctr *)p;
            v[*n].dir_ino = c->ino;
            memcpy(v[*n].id, c->id, sizeof(c->id));
            ++*n;
        }
    }
    return v;
}

/* Drop the kernel's file entries and attributes of a container's directory (and its entry
 * in the root), so the next access looks up the current version at once. Called unlocked:
 * the kernel may be waiting for a request of ours that needs the lock. */
static void inval_ctr(const struct inval_ent *e, bool root_entry, bfs_inval_fn inval, void *ctx)
{
    for (int f = 0; f < BFS_FILE_COUNT; f++)
        inval(ctx, e->dir_ino, file_names[f]);
    inval(ctx, e->dir_ino, NULL);
    if (root_entry)
        inval(ctx, BFS_ROOT_INO, e->id);
}

static void inval_all(struct inval_ent *v, size_t n, bool root_entries, bfs_inval_fn inval,
                      void *ctx)
{
    if (!v) {
        bfs_log("out of memory: what the kernel cached of the containers may stay stale for "
                "up to the watched timeout");
        return;
    }
    for (size_t i = 0; i < n; i++)
        inval_ctr(&v[i], root_entries, inval, ctx);
    free(v);
}

void bfs_tree_changed(struct bfs_tree *t, const char *dir_rel, const char *name, bfs_inval_fn inval,
                      void *ctx)
{
    bfs_tree_changed_how(t, dir_rel, name, 0, inval, ctx);
}

void bfs_tree_changed_how(struct bfs_tree *t, const char *dir_rel, const char *name, unsigned how,
                          bfs_inval_fn inval, void *ctx)
{
    char idbuf[LS_ID_LEN + 1];
    const char *id;
    struct ctr *c = NULL;
    struct inval_ent one = {0}, *all = NULL;
    size_t n = 0;
    bool shared = false;
    bool in_containers =
        strncmp(dir_rel, "containers", 10) == 0 && (dir_rel[10] == '/' || !dir_rel[10]);
    /* containers/ itself, or the data-root's own entries: a container came or went */
    bool set_changed = !strcmp(dir_rel, "containers") || !dir_rel[0];
    struct layer_ev lev = {0};
    struct store *s = store_hold(t);
    /* containers/ itself changed (chmod, chown, replaced): the root's and by-name's modes */
    bool ctrs_self = (!strcmp(dir_rel, "containers") && !name) ||
                     (!dir_rel[0] && name && !strcmp(name, "containers"));
    struct ctrs_mode ctrs = {0};
    if (s && ctrs_self)
        ctrs = ctrs_stat(s->ls);

    /* config.v2.json or hostconfig.json changed in a container's folder: is it still one?
     * Docker removes a container by writing config.v2.json with State.Dead, then the folder
     * file by file (a rewrite renames a new file over the old: still one) */
    bool hc_gone = false, folder_gone = false;
    if (s) {
        layer_event(s->ls, dir_rel, name, how, &lev);
        /* a container folder that went: its entry leaves the table now, not at the next
         * listing (nothing may ever list the root: the table would keep every container that
         * came and went) */
        if (!strcmp(dir_rel, "containers") && name && bf_is_hex64(name))
            folder_gone = !dir_exists(s, "containers", name);
        if (in_containers && name &&
            (strcmp(name, "hostconfig.json") == 0 || strcmp(name, "config.v2.json") == 0) &&
            strlen(dir_rel) == sizeof("containers/") - 1 + LS_ID_LEN)
            hc_gone = layerstore_container_pending(s->ls, dir_rel + sizeof("containers/") - 1,
                                                   LS_PENDING_STATE);
    }
    pthread_mutex_lock(&t->lock);
    if (folder_gone) {
        struct ctr *gone = ctr_find(t, name);
        if (gone)
            ctr_remove(t, gone);
    }
    if (s) { /* held until here: the containers/ mode read is this store's */
        if (ctrs_self)
            s->ctrs = ctrs;
        store_unref_locked(s);
    }
    id = owner_id(t, dir_rel, name, idbuf);
    /* a folder the listing left out (being written) may just have become a container */
    if (id && in_containers && t->ids && in_list(t->ids->pending, t->ids->n_pending, id))
        set_changed = true;
    /* a listed one that is no container now (Dead, or a file gone): the next listing looks */
    if (id && hc_gone) {
        bool have = !t->ids || !in_list(t->ids->v, t->ids->n, id); /* not listed: nothing to do */
        for (size_t k = 0; !have && k < t->n_recheck; k++)
            have = strcmp(t->recheck[k], id) == 0;
        if (!have && t->n_recheck < RECHECK_MAX)
            memcpy(t->recheck[t->n_recheck++], id, LS_ID_LEN + 1);
        else if (!have)
            t->recheck_all = true;
        set_changed = true; /* the kernel forgets its entry: the next lookup looks */
    }
    if (!id && lev.is_layer) {
        enum ev_scope sc = layer_scope_locked(t, &lev, idbuf);
        if (sc == EV_NONE) {
            /* nobody's as far as the versions made so far tell; a generation still running
             * may be reading it (its container's layer folder is known once it is done) */
            for (size_t b = 0; b < t->ctrs.nb; b++)
                for (struct hlink *p = t->ctrs.b[b]; p; p = p->next)
                    if (((struct ctr *)p)->generating)
                        ((struct ctr *)p)->events++;
            t->stats.events_ignored++;
            pthread_mutex_unlock(&t->lock);
            return;
        }
        if (sc == EV_OWNER)
            id = idbuf;
    }
    if (id) {
        c = ctr_find(t, id);
        if (c) {
            c->events++;
            one.dir_ino = c->ino;
            memcpy(one.id, c->id, sizeof(c->id));
        }
    } else {
        t->epoch++; /* a shared input (image, layer, daemon.json, ...): every container */
        if (t->store)
            layerstore_cache_invalidate(t->store->ls);
        shared = true;
        if (inval)
            all = inval_list(t, &n);
    }
    if (set_changed)
        t->ids_epoch++;
    if (in_containers || !dir_rel[0]) {
        t->names_epoch++;
        /* a container's folder: its name may have changed; another entry of containers/
         * changes no name; the data-root's own entries: anything may have */
        if (id || (in_containers && strcmp(dir_rel, "containers") != 0) || !dir_rel[0])
            names_mark(t, in_containers ? id : NULL);
    }
    pthread_mutex_unlock(&t->lock);

    if (!inval)
        return;
    if (shared)
        inval_all(all, n, false, inval, ctx);
    if (one.dir_ino)
        inval_ctr(&one, false, inval, ctx);
    if (id && set_changed)
        inval(ctx, BFS_ROOT_INO, id); /* created or removed */
    if (set_changed)
        inval(ctx, BFS_ROOT_INO, NULL); /* the listing the kernel keeps */
    if (in_containers || !dir_rel[0])
        inval(ctx, BFS_BYNAME_INO, NULL); /* a name may have changed */
}

/* The table against containers/ now: a container whose removal no event told of (the watch
 * queue overflowed, a folder was not watched) leaves it, so the table stays bounded by what
 * is live. A listing does it (ctrs_sync). Unlocked. */
static void ctrs_resync(struct bfs_tree *t)
{
    struct idlist *l = NULL;

    pthread_mutex_lock(&t->lock);
    t->ids_epoch++; /* a listing of its own, not the one kept */
    pthread_mutex_unlock(&t->lock);
    if (ids_get(t, true, &l) == 0) {
        pthread_mutex_lock(&t->lock);
        idlist_unref(l);
        pthread_mutex_unlock(&t->lock);
    }
}

void bfs_tree_changed_all(struct bfs_tree *t, bfs_inval_fn inval, void *ctx)
{
    struct inval_ent *all = NULL;
    size_t n = 0;

    pthread_mutex_lock(&t->lock);
    t->epoch++;
    t->ids_epoch++;
    t->names_epoch++;
    t->names_dirty_all = true;
    if (t->store)
        layerstore_cache_invalidate(t->store->ls);
    for (size_t b = 0; b < t->ctrs.nb; b++) {
        for (struct hlink *p = t->ctrs.b[b]; p; p = p->next) {
            ((struct ctr *)p)->events++;
            ((struct ctr *)p)->dir_watched = false; /* watches may be gone (a new data-root) */
        }
    }
    if (inval)
        all = inval_list(t, &n);
    pthread_mutex_unlock(&t->lock);
    ctrs_resync(t);
    if (!inval)
        return;
    inval_all(all, n, true, inval, ctx);
    inval(ctx, BFS_ROOT_INO, NULL);
    inval(ctx, BFS_BYNAME_INO, NULL);
}

void bfs_tree_sweep(struct bfs_tree *t, bfs_inval_fn inval, void *ctx)
{
    uint64_t *v = NULL;
    size_t n = 0, cap = 0;

    pthread_mutex_lock(&t->lock);
    for (size_t b = 0; b < t->ctrs.nb; b++) {
        for (struct hlink *p = t->ctrs.b[b]; p; p = p->next) {
            struct ctr *c = (struct ctr *)p;
            if (!c->listed_base ||
                (c->cur && c->cur->base_ino == c->listed_base && watched(t, c->cur)))
                continue;
            if (n == cap) {
                uint64_t *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));
                if (!nv)
                    break; /* the rest on the next sweep */
                v = nv;
            }
            v[n++] = c->ino;
            c->listed_base = 0;
        }
    }
    /* A listing that left out folders Docker was still writing: no event says when one has
     * settled without a hostconfig.json, so once a trust period is over they are looked at
     * (they alone: a folder that stays pending costs a look at itself per sweep) and the root
     * is listed anew when one has become a container. */
    struct idlist *pl = NULL;
    if (t->ids && t->ids->n_pending && now_ns() - t->ids->built_ns > trust_ns(t)) {
        pl = t->ids;
        pl->refs++;
    }
    pthread_mutex_unlock(&t->lock);
    bool relist = false;
    struct store *s = pl ? store_hold(t) : NULL;
    for (size_t i = 0; s && i < pl->n_pending && !relist; i++)
        relist = !layerstore_container_pending(s->ls, pl->pending[i], LS_PENDING_STATE);
    store_release(t, s);
    pthread_mutex_lock(&t->lock);
    if (relist && t->ids == pl) {
        t->ids_epoch++;
        t->names_epoch++;
        for (size_t i = 0; i < pl->n_pending; i++)
            names_mark(t, pl->pending[i]);
    }
    idlist_unref(pl);
    /* more containers in the table than the last listing had, for a while: some removals were
     * not seen (a lost event); every ten seconds at most, the table is checked against
     * containers/ */
    bool resync = t->ctrs.n > (t->ids ? t->ids->n : 0) + 64 &&
                  now_ns() - t->resynced_ns > 10 * (int64_t)1000000000;
    if (resync)
        t->resynced_ns = now_ns();
    pthread_mutex_unlock(&t->lock);
    if (resync)
        ctrs_resync(t);
    for (size_t i = 0; i < n; i++)
        inval(ctx, v[i], NULL);
    free(v);
    if (relist) {
        inval(ctx, BFS_ROOT_INO, NULL);
        inval(ctx, BFS_BYNAME_INO, NULL);
    }
}

/* ---- the tree ---- */

int bfs_tree_new(const char *dataroot, const struct bfs_tree_options *opts, struct bfs_tree **out,
                 struct bf_error *err)
{
    struct bfs_tree *t = calloc(1, sizeof(*t));

    *out = NULL;
    if (!t)
        return bf_error_set(err, ENOMEM, "out of memory");
    t->opts = *opts;
    if (!t->opts.trust_ms)
        t->opts.trust_ms = DEFAULT_TRUST_MS;
    if (!t->opts.cache_bytes)
        t->opts.cache_bytes = DEFAULT_CACHE_BYTES;
    if (!t->opts.spec.host_cpus) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        t->opts.spec.host_cpus = n > 0 ? (unsigned)n : 1; /* fixed for the mount's lifetime */
    }
    t->trust_ns = (int64_t)t->opts.trust_ms * 1000000;
    /* a folder without hostconfig.json settles in one trust period (layerstore_container_pending)
     */
    if (!t->opts.ls.settle_ns)
        t->opts.ls.settle_ns = t->trust_ns;
    t->dataroot = realpath(dataroot, NULL);
    if (!t->dataroot) {
        int e = errno;
        free(t);
        return bf_error_set(err, e, "%s: %s", dataroot, strerror(e));
    }
    t->store = store_open(t->dataroot, &t->opts.ls, t->trust_ns, err);
    if (!t->store) {
        free(t->dataroot);
        free(t);
        return -err->code;
    }
    /* Later checks follow the name as given (a symlinked data-root may be re-pointed), made
     * absolute because the daemon changes its working directory. */
    free(t->dataroot);
    if (dataroot[0] == '/') {
        t->dataroot = strdup(dataroot);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd || asprintf(&t->dataroot, "%s/%s", cwd, dataroot) < 0)
            t->dataroot = NULL;
        free(cwd);
    }
    if (!t->dataroot) {
        store_unref_locked(t->store);
        free(t);
        return bf_error_set(err, ENOMEM, "out of memory");
    }
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->ahead.cond, NULL);
    t->lru.next = t->lru.prev = &t->lru;
    t->next_ino = FIRST_DYNAMIC_INO;
    t->root_checked_ns = now_ns();
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t->mounted_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    *out = t;
    return 0;
}

void bfs_tree_free(struct bfs_tree *t)
{
    if (!t)
        return;
    bfs_tree_readahead(t, false);
    pthread_mutex_lock(&t->lock);
    for (size_t b = 0; b < t->nodes.nb; b++) {
        for (struct hlink *p = t->nodes.b[b], *next; p; p = next) {
            struct node *n = (struct node *)p;
            next = p->next;
            version_unref(t, n->ver);
            ctr_unref(t, n->ctr);
            free(n);
        }
    }
    free(t->nodes.b);
    for (size_t b = 0; b < t->ctrs.nb; b++) {
        for (struct hlink *p = t->ctrs.b[b], *next; p; p = next) {
            next = p->next;
            ((struct ctr *)p)->in_table = false;
            ctr_unref(t, (struct ctr *)p);
        }
    }
    free(t->ctrs.b);
    while (t->lru.next != &t->lru)
        bytes_evict(t, t->lru.next);
    namelist_unref(t->names);
    namelist_unref(t->names_prev);
    idlist_unref(t->ids);
    idlist_unref(t->ids_prev);
    store_unref_locked(t->store);
    pthread_mutex_unlock(&t->lock);
    pthread_cond_destroy(&t->ahead.cond);
    pthread_mutex_destroy(&t->lock);
    free(t->dataroot);
    free(t);
}

void bfs_tree_set_watch(struct bfs_tree *t, const struct bfs_watch_ops *ops)
{
    pthread_mutex_lock(&t->lock);
    if (ops)
        t->watch = *ops;
    else
        memset(&t->watch, 0, sizeof(t->watch));
    t->epoch++; /* versions validated under the other regime are re-checked */
    if (t->store)
        apply_cache_trust(t, t->store);
    pthread_mutex_unlock(&t->lock);
}

void bfs_tree_stats(struct bfs_tree *t, struct bfs_stats *out)
{
    pthread_mutex_lock(&t->lock);
    *out = t->stats;
    out->cache_bytes = t->cache_bytes;
    out->retained_bytes = t->retained_bytes;
    pthread_mutex_unlock(&t->lock);
}
