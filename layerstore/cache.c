/* cache.c - images and layer walks shared by every container of an image.
 *
 * Keyed by image ID (the SHA-256 of the image config, so two containers naming the same ID
 * name the same bytes). An entry holds the parsed image, its walk, the Utility VM probe of
 * each layer (windowsfilter) and the stamps of every file read for them. It is trusted until
 * layerstore_cache_invalidate() (the filesystem's watcher calls it when an image or layer
 * folder changes) and, in any case, for at most `trust_ns` before its stamps are checked
 * again (one re-stat pass per image, not per container). Callers get deep copies, so
 * everything they own stays theirs to free, exactly as without the cache.
 *
 * Layers are cached too, by ChainID (which names the layer and everything below it), so an
 * image whose lower layers another image has is walked only for its own: an entry holds the
 * layer's facts (cache-id, folder, on windowsfilter the UtilityVM probe) and the stamps of
 * what reading them looked at, trusted and checked again under the same rules. An image entry
 * refers to the layer entries that verified its walk (holding them) instead of keeping its
 * own copy of their facts and stamps; its freshness is its own stamps' and theirs.
 *
 * Only successful loads are cached: an error is read again every time, so its message
 * always describes the data-root as it is now.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bf_util.h"
#include "ls_internal.h"

/* A place in an LRU list (most recent first), the first member of an entry. */
struct lru {
    struct lru *prev, *next;
};

struct lentry;

struct centry {
    struct lru link;
    unsigned refs;
    char image_id[LS_DIGEST_LEN + 1];
    struct ls_image *img;
    /* Its walk: with `layers`, only walk.n and walk.top_chain_id, the layers being those
     * entries' (top-most first = layers[n_layers - 1 - i]). */
    struct ls_walk walk;
    /* What was read for it: its own inputs, then (base first) those of the layer entries
     * that verified its walk, held by reference (layers) rather than copied; without them
     * (layers NULL) `in` holds the walk's inputs too. */
    struct ls_inputs in;
    struct lentry **layers;
    size_t n_layers;
    uint64_t epoch;
    int64_t validated_ns;
};

/* A layer by ChainID: its facts as layerstore_walk verified them. */
struct lentry {
    struct lru link;
    struct lentry *hnext; /* its bucket's chain (by ChainID) */
    struct lentry *pnext; /* its pair bucket's chain (by parent ChainID and DiffID) */
    unsigned refs;
    char parent[LS_DIGEST_LEN + 1]; /* the ChainID below ("" for a base layer) */
    struct ls_layer layer;          /* rel and path owned */
    struct ls_inputs in;
    uint64_t epoch;
    int64_t validated_ns;
};

/* A value another loader made from the data-root (ls_cache_memo_put): key, value and the
 * inputs it was made from, in one block each. */
struct mentry {
    struct lru link;
    struct mentry *hnext;
    unsigned refs;
    uint64_t hash;
    size_t klen, vlen, bytes; /* bytes: what it holds, its inputs too (MEMO_BYTES) */
    unsigned char *key, *val;
    struct ls_inputs in;
    uint64_t epoch;
    int64_t validated_ns;
};

#define MEMO_BUCKETS 1024       /* a power of two */
#define MEMO_MAX 1024           /* values kept */
#define MEMO_BYTES (4u << 20)   /* their bytes at most: keys, values and inputs */

#define LAYER_BUCKETS 2048 /* a power of two */
/* Layers kept in the LRU (about 1.3 KB each with their stamps); an image entry keeps those of
 * its walk alive besides, at most max images x LS_MAX_LAYERS. */
#define LAYER_MAX 2048

struct ls_cache {
    pthread_mutex_t lock;
    struct lru lru; /* images, most recent first */
    size_t n, max;
    struct lru llru; /* layers, most recent first */
    struct lentry *buckets[LAYER_BUCKETS];
    struct lentry *pbuckets[LAYER_BUCKETS];
    size_t ln;
    struct lru mlru; /* memo values, most recent first */
    struct mentry *mbuckets[MEMO_BUCKETS];
    size_t mn, mbytes;
    uint64_t epoch;
    int64_t trust_ns;
    struct ls_cache_stats stats;
    bool evicted; /* an entry left for room: what it had is no longer known */
};

static void lru_remove(struct lru *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(struct lru *head, struct lru *e)
{
    e->next = head->next;
    e->prev = head;
    head->next->prev = e;
    head->next = e;
}

static void lentry_unref(struct lentry *e)
{
    if (!e || --e->refs)
        return;
    free(e->layer.rel);
    free(e->layer.path);
    ls_inputs_free(&e->in);
    free(e);
}

static void mentry_unref(struct mentry *e)
{
    if (!e || --e->refs)
        return;
    ls_inputs_free(&e->in);
    free(e);
}

static void centry_unref(struct centry *e)
{
    if (!e || --e->refs)
        return;
    ls_image_free(e->img);
    if (e->walk.layers)
        ls_walk_free(&e->walk);
    ls_inputs_free(&e->in);
    for (size_t i = 0; i < e->n_layers; i++)
        lentry_unref(e->layers[i]);
    free(e->layers);
    free(e);
}

static size_t layer_bucket(const char *chain_id)
{
    /* "sha256:<hex>": the hex is already uniform */
    size_t h = 0;
    for (const char *p = chain_id + 7; *p && p < chain_id + 7 + 12; p++)
        h = h * 16 + (size_t)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
    return h & (LAYER_BUCKETS - 1);
}

static size_t pair_bucket(const char *parent, const char *diff_id)
{
    return (layer_bucket(parent) * 31 + layer_bucket(diff_id)) & (LAYER_BUCKETS - 1);
}

/* Out of the LRU and its buckets; the caller drops the list's reference. */
static void layer_unlink(struct ls_cache *c, struct lentry *e)
{
    struct lentry **pp = &c->buckets[layer_bucket(e->layer.chain_id)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    e->hnext = NULL;
    pp = &c->pbuckets[pair_bucket(e->parent, e->layer.diff_id)];
    while (*pp && *pp != e)
        pp = &(*pp)->pnext;
    if (*pp)
        *pp = e->pnext;
    e->pnext = NULL;
    lru_remove(&e->link);
    c->ln--;
}

static void unlink_entry(struct ls_cache *c, struct centry *e)
{
    lru_remove(&e->link);
    c->n--;
}

static void push_front(struct ls_cache *c, struct centry *e)
{
    lru_push_front(&c->lru, &e->link);
    c->n++;
}

/* Out of the memo's LRU and bucket; the caller drops the list's reference. */
static void memo_unlink(struct ls_cache *c, struct mentry *e)
{
    struct mentry **pp = &c->mbuckets[e->hash & (MEMO_BUCKETS - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    e->hnext = NULL;
    lru_remove(&e->link);
    c->mn--;
    c->mbytes -= e->bytes;
}

int layerstore_cache_enable(struct layerstore *ls, size_t max_images, int64_t trust_ns)
{
    struct ls_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return -ENOMEM;
    pthread_mutex_init(&c->lock, NULL);
    c->lru.next = c->lru.prev = &c->lru;
    c->llru.next = c->llru.prev = &c->llru;
    c->mlru.next = c->mlru.prev = &c->mlru;
    c->max = max_images ? max_images : 256;
    c->trust_ns = trust_ns;
    ls_cache_free(ls->cache);
    ls->cache = c;
    return 0;
}

void ls_cache_free(struct ls_cache *c)
{
    if (!c)
        return;
    while (c->lru.next != &c->lru) {
        struct centry *e = (struct centry *)c->lru.next;
        unlink_entry(c, e);
        centry_unref(e);
    }
    while (c->llru.next != &c->llru) {
        struct lentry *e = (struct lentry *)c->llru.next;
        layer_unlink(c, e);
        lentry_unref(e);
    }
    while (c->mlru.next != &c->mlru) {
        struct mentry *e = (struct mentry *)c->mlru.next;
        memo_unlink(c, e);
        mentry_unref(e);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void layerstore_cache_set_trust(struct layerstore *ls, int64_t trust_ns)
{
    if (!ls->cache)
        return;
    pthread_mutex_lock(&ls->cache->lock);
    ls->cache->trust_ns = trust_ns;
    pthread_mutex_unlock(&ls->cache->lock);
}

/* Is rel inside the driver's folder of layer `name` ("<driver folder>/<name>/...")? */
static bool rel_in_layer(const char *rel, const char *name)
{
    const char *slash = strchr(rel, '/');
    size_t n = strlen(name);

    if (slash && strncmp(rel, "vfs/", 4) == 0)
        slash = strchr(slash + 1, '/'); /* vfs/dir/<name> */
    return slash && strncmp(slash + 1, name, n) == 0 && (slash[1 + n] == '/' || !slash[1 + n]);
}

/* Layer i of e's walk, top-most first. */
static const struct ls_layer *entry_layer(const struct centry *e, size_t i)
{
    return e->layers ? &e->layers[e->n_layers - 1 - i]->layer : &e->walk.layers[i];
}

bool layerstore_cache_may_use_layer(struct layerstore *ls, const char *cache_id)
{
    struct ls_cache *c = ls->cache;
    bool may;

    if (!c)
        return true;
    pthread_mutex_lock(&c->lock);
    may = c->evicted;
    for (struct lru *p = c->lru.next; !may && p != &c->lru; p = p->next) {
        const struct centry *e = (const struct centry *)p;
        for (size_t i = 0; !may && i < e->walk.n; i++)
            may = strcmp(entry_layer(e, i)->cache_id, cache_id) == 0;
    }
    for (struct lru *p = c->llru.next; !may && p != &c->llru; p = p->next)
        may = strcmp(((const struct lentry *)p)->layer.cache_id, cache_id) == 0;
    /* A memo value depends on exactly what it recorded: the layer folders it looked in. */
    for (struct lru *p = c->mlru.next; !may && p != &c->mlru; p = p->next) {
        const struct mentry *e = (const struct mentry *)p;
        for (size_t i = 0; !may && i < e->in.n; i++)
            may = rel_in_layer(e->in.v[i].rel, cache_id);
    }
    pthread_mutex_unlock(&c->lock);
    return may;
}

void layerstore_cache_invalidate(struct layerstore *ls)
{
    if (!ls->cache)
        return;
    pthread_mutex_lock(&ls->cache->lock);
    ls->cache->epoch++;
    pthread_mutex_unlock(&ls->cache->lock);
}

void layerstore_cache_stats(struct layerstore *ls, struct ls_cache_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!ls->cache)
        return;
    pthread_mutex_lock(&ls->cache->lock);
    *out = ls->cache->stats;
    out->entries = ls->cache->n;
    out->layers = ls->cache->ln;
    out->memos = ls->cache->mn;
    pthread_mutex_unlock(&ls->cache->lock);
}

/* ---- deep copies ---- */

static char *dup_or_null(const char *s, bool *oom)
{
    char *d;
    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

static struct ls_image *image_dup(const struct ls_image *src)
{
    struct ls_image *img = calloc(1, sizeof(*img));
    bool oom = false;

    if (!img)
        return NULL;
    memcpy(img->id, src->id, sizeof(img->id));
    img->os = dup_or_null(src->os, &oom);
    img->architecture = dup_or_null(src->architecture, &oom);
    img->os_version = dup_or_null(src->os_version, &oom);
    img->rootfs_type = dup_or_null(src->rootfs_type, &oom);
    img->base_layer = dup_or_null(src->base_layer, &oom);
    if (src->n_diff_ids) {
        img->diff_ids = calloc(src->n_diff_ids, sizeof(*img->diff_ids));
        oom |= !img->diff_ids;
        for (size_t i = 0; img->diff_ids && i < src->n_diff_ids; i++, img->n_diff_ids++)
            img->diff_ids[i] = dup_or_null(src->diff_ids[i], &oom);
    }
    if (oom) {
        ls_image_free(img);
        return NULL;
    }
    return img;
}

static int walk_dup(const struct centry *e, struct ls_walk *w)
{
    const struct ls_walk *src = &e->walk;
    bool oom = false;

    memset(w, 0, sizeof(*w));
    memcpy(w->top_chain_id, src->top_chain_id, sizeof(w->top_chain_id));
    if (!src->n)
        return 0;
    /* every field is assigned below: no need to zero a 125-layer array first */
    w->layers = malloc(src->n * sizeof(*w->layers));
    if (!w->layers)
        return -ENOMEM;
    for (size_t i = 0; i < src->n; i++, w->n++) {
        const struct ls_layer *l = entry_layer(e, i);
        w->layers[i] = *l;
        w->layers[i].rel = dup_or_null(l->rel, &oom);
        w->layers[i].path = dup_or_null(l->path, &oom);
    }
    if (oom) {
        ls_walk_free(w);
        return -ENOMEM;
    }
    return 0;
}

/* ---- lookup and fill ---- */

/* With c->lock held, for an entry the caller holds a reference to: whether it may still be
 * used. Within the trust period it may; past it (*checked) its stamps are checked again with
 * the lock dropped (held again on return), and *validated_ns moves on when none changed. */
static bool fresh_locked(struct layerstore *ls, const struct ls_inputs *in, int64_t *validated_ns,
                         int64_t now, bool *checked)
{
    bool changed;

    *checked = now - *validated_ns > ls->cache->trust_ns;
    if (!*checked)
        return true;
    pthread_mutex_unlock(&ls->cache->lock);
    changed = ls_inputs_changed(ls, in);
    pthread_mutex_lock(&ls->cache->lock);
    if (!changed)
        *validated_ns = now;
    return !changed;
}

/* fresh_locked for an image entry: its own inputs and its layer entries'. */
static bool image_fresh_locked(struct layerstore *ls, struct centry *e, int64_t now, bool *checked)
{
    bool changed;

    *checked = now - e->validated_ns > ls->cache->trust_ns;
    if (!*checked)
        return true;
    pthread_mutex_unlock(&ls->cache->lock);
    changed = ls_inputs_changed(ls, &e->in);
    for (size_t i = 0; !changed && i < e->n_layers; i++)
        changed = ls_inputs_changed(ls, &e->layers[i]->in);
    pthread_mutex_lock(&ls->cache->lock);
    if (!changed)
        e->validated_ns = now;
    return !changed;
}

/* A referenced, valid entry for image_id, or NULL. */
static struct centry *lookup(struct layerstore *ls, const char *image_id)
{
    struct ls_cache *c = ls->cache;
    struct centry *e = NULL;
    int64_t now = bf_mono_ns();
    bool fresh, checked;

    pthread_mutex_lock(&c->lock);
    for (struct lru *p = c->lru.next; p != &c->lru; p = p->next) {
        if (strcmp(((struct centry *)p)->image_id, image_id) == 0) {
            e = (struct centry *)p;
            break;
        }
    }
    if (e && e->epoch != c->epoch) {
        unlink_entry(c, e);
        centry_unref(e);
        e = NULL;
    }
    if (!e) {
        c->stats.misses++;
        pthread_mutex_unlock(&c->lock);
        return NULL;
    }
    unlink_entry(c, e);
    push_front(c, e);
    e->refs++;
    fresh = image_fresh_locked(ls, e, now, &checked);
    c->stats.validations += checked;
    if (!fresh) {
        if (e->link.prev) {
            unlink_entry(c, e);
            e->refs--; /* the list's reference; ours keeps it alive */
        }
        centry_unref(e);
        c->stats.misses++;
        pthread_mutex_unlock(&c->lock);
        return NULL;
    }
    c->stats.hits++;
    pthread_mutex_unlock(&c->lock);
    return e;
}

static bool same_layer(const struct ls_layer *a, const struct ls_layer *b)
{
    const struct bf_stamp *x = &a->uvm_stamp, *y = &b->uvm_stamp;

    return strcmp(a->chain_id, b->chain_id) == 0 && strcmp(a->diff_id, b->diff_id) == 0 &&
           strcmp(a->cache_id, b->cache_id) == 0 && !a->rel == !b->rel &&
           (!a->rel || strcmp(a->rel, b->rel) == 0) && !a->path == !b->path &&
           (!a->path || strcmp(a->path, b->path) == 0) && a->uvm_known == b->uvm_known &&
           a->has_uvm == b->has_uvm &&
           (!a->uvm_known ||
            (x->dev == y->dev && x->ino == y->ino && x->size == y->size &&
             x->mtime_ns == y->mtime_ns && x->ctime_ns == y->ctime_ns && x->mode == y->mode &&
             x->exists == y->exists && x->beneath == y->beneath));
}

/* Refer to the layer entries of e's walk (base first) instead of copying their inputs: each
 * must be of the entry's epoch and hold exactly the walk's facts (the walk read or reused
 * them; a later walk may have put the layer again). False, with nothing held, when any is
 * missing: the entry then keeps the walk's inputs itself. */
static bool share_layers(struct ls_cache *c, struct centry *e)
{
    struct lentry **v;
    size_t n = 0;

    if (!e->walk.n || !(v = calloc(e->walk.n, sizeof(*v))))
        return false;
    pthread_mutex_lock(&c->lock);
    for (size_t i = e->walk.n; i-- > 0;) {
        const struct ls_layer *l = &e->walk.layers[i];
        struct lentry *le = c->buckets[layer_bucket(l->chain_id)];
        while (le && strcmp(le->layer.chain_id, l->chain_id) != 0)
            le = le->hnext;
        if (!le || le->epoch != e->epoch || !same_layer(&le->layer, l))
            break;
        le->refs++;
        v[n++] = le;
    }
    if (n < e->walk.n) {
        while (n)
            lentry_unref(v[--n]);
        pthread_mutex_unlock(&c->lock);
        free(v);
        return false;
    }
    pthread_mutex_unlock(&c->lock);
    e->layers = v;
    e->n_layers = n;
    for (size_t i = 0; i < e->walk.n; i++) {
        free(e->walk.layers[i].rel);
        free(e->walk.layers[i].path);
    }
    free(e->walk.layers); /* the layer entries hold the very same facts */
    e->walk.layers = NULL;
    return true;
}

/* Load image + walk into a new entry, then insert it (the walk, with the cache, also made
 * each windowsfilter layer's UtilityVM probe: read_layer_cached). The epoch is taken before
 * reading: an invalidation while we read leaves the entry stale. On failure what was looked
 * at is the caller's, as it would be without the cache. */
static int fill(struct layerstore *ls, const char *image_id, struct centry **out,
                struct ls_inputs *in, struct bf_error *err)
{
    struct ls_cache *c = ls->cache;
    struct centry *e = calloc(1, sizeof(*e));
    struct ls_inputs walk_in = {0};
    int r;

    *out = NULL;
    if (!e)
        return bf_error_set(err, ENOMEM, "out of memory");
    e->refs = 1;
    e->epoch = ls_cache_epoch(ls);
    e->validated_ns = bf_mono_ns();
    r = layerstore_image_load(ls, image_id, &e->img, &e->in, err);
    /* room for what each layer records (cache-id, diff, parent, its folder, on windowsfilter
     * the UtilityVM probe): the list and its index grow once, not layer by layer */
    if (r == 0 && ls_inputs_reserve(&walk_in, (e->img->n_diff_ids + 1) * 6) < 0)
        r = bf_error_set(err, ENOMEM, "out of memory");
    if (r == 0)
        r = layerstore_walk(ls, e->img, &e->walk, &walk_in, err);
    if (r == 0 && !share_layers(c, e) && ls_inputs_append(&e->in, &walk_in) < 0)
        r = bf_error_set(err, ENOMEM, "out of memory");
    if (r < 0) {
        /* what was looked at is the caller's (out of memory: the error stands anyway) */
        if (ls_inputs_append(in, &e->in) == 0)
            (void)ls_inputs_append(in, &walk_in);
        ls_inputs_free(&walk_in);
        pthread_mutex_lock(&c->lock);
        centry_unref(e);
        pthread_mutex_unlock(&c->lock);
        return r;
    }
    ls_inputs_free(&walk_in);
    ls_inputs_seal_shared(&e->in);
    memcpy(e->image_id, e->img->id, sizeof(e->image_id));
    pthread_mutex_lock(&c->lock);
    e->refs++; /* the list's */
    push_front(c, e);
    while (c->n > c->max) {
        struct centry *last = (struct centry *)c->lru.prev;
        unlink_entry(c, last);
        centry_unref(last);
        c->evicted = true;
    }
    pthread_mutex_unlock(&c->lock);
    *out = e;
    return 0;
}

/* The image and walk of `image_id` for a caller that owns what it gets. */
int ls_cache_image_walk(struct layerstore *ls, const char *image_id, struct ls_image **img,
                        struct ls_walk *w, struct ls_inputs *in, struct bf_error *err)
{
    char key[LS_DIGEST_LEN + 1];
    struct centry *e;
    int r;

    /* Entries are keyed "sha256:<hex>"; the container's Image field has that form, a bare
     * hex is accepted by the loader too. */
    if (bf_is_hex64(image_id))
        snprintf(key, sizeof(key), "sha256:%s", image_id);
    else
        snprintf(key, sizeof(key), "%s", image_id);
    e = lookup(ls, key);
    if (!e) {
        r = fill(ls, image_id, &e, in, err);
        if (r < 0)
            return r;
    }
    *img = image_dup(e->img);
    r = *img ? walk_dup(e, w) : -ENOMEM;
    if (r == 0) {
        /* its own inputs, then its layers' (entries in the cache do not change), in one block */
        const struct ls_inputs *lists[LS_MAX_LAYERS + 1];
        size_t k = 0;
        lists[k++] = &e->in;
        for (size_t i = 0; i < e->n_layers && k < BF_ARRAY_SIZE(lists); i++)
            lists[k++] = &e->layers[i]->in;
        r = ls_inputs_append_many(in, lists, k);
    }
    pthread_mutex_lock(&ls->cache->lock);
    centry_unref(e);
    pthread_mutex_unlock(&ls->cache->lock);
    if (r < 0) {
        ls_image_free(*img);
        *img = NULL;
        ls_walk_free(w);
        return bf_error_set(err, ENOMEM, "out of memory");
    }
    return 0;
}

/* ---- layers by ChainID ---- */

uint64_t ls_cache_epoch(struct layerstore *ls)
{
    uint64_t epoch;

    pthread_mutex_lock(&ls->cache->lock);
    epoch = ls->cache->epoch;
    pthread_mutex_unlock(&ls->cache->lock);
    return epoch;
}

/* What a cached layer verified, copied for a caller that owns it: its cache-id, folder and
 * UtilityVM probe (*oom set when a copy fails). */
static void copy_facts(struct ls_layer *l, const struct ls_layer *src, bool *oom)
{
    memcpy(l->cache_id, src->cache_id, sizeof(l->cache_id));
    l->rel = dup_or_null(src->rel, oom);
    l->path = dup_or_null(src->path, oom);
    l->uvm_known = src->uvm_known;
    l->has_uvm = src->has_uvm;
    l->uvm_stamp = src->uvm_stamp;
}

int ls_cache_layer_get(struct layerstore *ls, struct ls_layer *l, struct ls_inputs *in)
{
    struct ls_cache *c = ls->cache;
    struct lentry *e;
    int64_t now = bf_mono_ns();
    bool checked, oom = false;

    pthread_mutex_lock(&c->lock);
    for (e = c->buckets[layer_bucket(l->chain_id)]; e; e = e->hnext)
        if (strcmp(e->layer.chain_id, l->chain_id) == 0)
            break;
    if (e && e->epoch != c->epoch) {
        layer_unlink(c, e);
        lentry_unref(e);
        e = NULL;
    }
    if (!e) {
        c->stats.layer_misses++;
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    lru_remove(&e->link); /* to the front */
    lru_push_front(&c->llru, &e->link);
    e->refs++;
    if (!fresh_locked(ls, &e->in, &e->validated_ns, now, &checked)) {
        if (e->link.prev) {
            layer_unlink(c, e);
            e->refs--; /* the list's reference; ours keeps it alive */
        }
        lentry_unref(e);
        c->stats.layer_misses++;
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    pthread_mutex_unlock(&c->lock);
    /* The entry does not change once in the cache: copy it without the lock. */
    copy_facts(l, &e->layer, &oom);
    if (!oom && ls_inputs_append(in, &e->in) < 0)
        oom = true;
    pthread_mutex_lock(&c->lock);
    c->stats.layer_hits++;
    lentry_unref(e);
    pthread_mutex_unlock(&c->lock);
    return oom ? -ENOMEM : 1;
}

int ls_cache_layer_run(struct layerstore *ls, const char *parent, const char *const *diffs,
                       size_t n, struct ls_layer *const *slots, struct ls_inputs *in)
{
    struct ls_cache *c = ls->cache;
    struct lentry *run[LS_MAX_LAYERS];
    const struct ls_inputs *lists[LS_MAX_LAYERS];
    int64_t now = bf_mono_ns();
    size_t k = 0;
    bool oom = false;

    if (n > LS_MAX_LAYERS)
        n = LS_MAX_LAYERS;
    static const char no_parent[LS_DIGEST_LEN + 1]; /* pair_bucket reads past "sha256:" */

    pthread_mutex_lock(&c->lock);
    for (; k < n; k++) {
        const char *over = k ? run[k - 1]->layer.chain_id : *parent ? parent : no_parent;
        struct lentry *e = c->pbuckets[pair_bucket(over, diffs[k])];
        while (e && (strcmp(e->layer.diff_id, diffs[k]) != 0 || strcmp(e->parent, over) != 0))
            e = e->pnext;
        if (!e || e->epoch != c->epoch || now - e->validated_ns > c->trust_ns)
            break; /* the rest layer by layer: a miss, or stamps to check */
        lru_remove(&e->link); /* to the front */
        lru_push_front(&c->llru, &e->link);
        e->refs++;
        run[k] = e;
    }
    c->stats.layer_hits += k;
    pthread_mutex_unlock(&c->lock);
    /* The entries do not change once in the cache: copied without the lock. */
    for (size_t i = 0; i < k; i++) {
        struct ls_layer *l = slots[i];
        const struct ls_layer *src = &run[i]->layer;
        memcpy(l->chain_id, src->chain_id, sizeof(l->chain_id));
        memcpy(l->diff_id, src->diff_id, sizeof(l->diff_id));
        copy_facts(l, src, &oom);
        lists[i] = &run[i]->in;
    }
    if (!oom && ls_inputs_append_many(in, lists, k) < 0)
        oom = true;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < k; i++)
        lentry_unref(run[i]);
    pthread_mutex_unlock(&c->lock);
    return oom ? -ENOMEM : (int)k;
}

bool ls_cache_chain_id(struct layerstore *ls, const char *parent, const char *diff_id,
                       char *chain_id)
{
    struct ls_cache *c = ls->cache;
    bool known = false;

    pthread_mutex_lock(&c->lock);
    for (struct lentry *e = c->pbuckets[pair_bucket(parent, diff_id)]; e && !known; e = e->pnext) {
        if (strcmp(e->parent, parent) == 0 && strcmp(e->layer.diff_id, diff_id) == 0) {
            memcpy(chain_id, e->layer.chain_id, sizeof(e->layer.chain_id));
            known = true;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return known;
}

void ls_cache_layer_put(struct layerstore *ls, const struct ls_layer *l, const char *parent,
                        const struct ls_inputs *lin, uint64_t epoch)
{
    struct ls_cache *c = ls->cache;
    struct lentry *e = calloc(1, sizeof(*e)), *old;
    bool oom = false;
    size_t b;

    if (!e)
        return; /* not cached: the next walk reads it again */
    e->layer = *l;
    snprintf(e->parent, sizeof(e->parent), "%s", parent);
    e->layer.rel = dup_or_null(l->rel, &oom);
    e->layer.path = dup_or_null(l->path, &oom);
    if (oom || ls_inputs_append(&e->in, lin) < 0) {
        e->refs = 1;
        lentry_unref(e);
        return;
    }
    ls_inputs_seal_shared(&e->in);
    e->refs = 1; /* the list's */
    e->epoch = epoch;
    e->validated_ns = bf_mono_ns();
    b = layer_bucket(l->chain_id);
    pthread_mutex_lock(&c->lock);
    for (old = c->buckets[b]; old; old = old->hnext)
        if (strcmp(old->layer.chain_id, l->chain_id) == 0)
            break;
    if (old) { /* another walk put it meanwhile: the newer one stays */
        layer_unlink(c, old);
        lentry_unref(old);
    }
    e->hnext = c->buckets[b];
    c->buckets[b] = e;
    b = pair_bucket(e->parent, e->layer.diff_id);
    e->pnext = c->pbuckets[b];
    c->pbuckets[b] = e;
    lru_push_front(&c->llru, &e->link);
    c->ln++;
    while (c->ln > LAYER_MAX) {
        struct lentry *last = (struct lentry *)c->llru.prev;
        layer_unlink(c, last);
        lentry_unref(last);
    }
    pthread_mutex_unlock(&c->lock);
}

/* ---- data-root-wide loads (struct ls_shared, ls_internal.h) ---- */

void ls_shared_begin(struct layerstore *ls, struct ls_shared *sh)
{
    sh->valid = true;
    sh->epoch = 0;
    sh->at_ns = bf_mono_ns();
    if (ls->cache)
        sh->epoch = ls_cache_epoch(ls);
}

bool ls_shared_fresh(struct layerstore *ls, const struct ls_shared *sh)
{
    bool fresh = false;

    if (!sh->valid || !ls->cache)
        return false;
    pthread_mutex_lock(&ls->cache->lock);
    fresh = sh->epoch == ls->cache->epoch && bf_mono_ns() - sh->at_ns <= ls->cache->trust_ns;
    pthread_mutex_unlock(&ls->cache->lock);
    return fresh;
}

/* ---- values other loaders make (rootfs.c) ---- */

static uint64_t memo_hash(const unsigned char *key, size_t klen)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < klen; i++)
        h = (h ^ key[i]) * 0x100000001b3ull;
    return h;
}

int ls_cache_memo_get(struct layerstore *ls, const void *key, size_t klen, size_t max,
                      void **val, size_t *vlen, struct ls_inputs *in)
{
    struct ls_cache *c = ls->cache;
    uint64_t h = memo_hash(key, klen);
    struct mentry *e;
    int64_t now = bf_mono_ns();
    bool checked;
    int r = 1;

    *val = NULL;
    *vlen = 0;
    pthread_mutex_lock(&c->lock);
    for (e = c->mbuckets[h & (MEMO_BUCKETS - 1)]; e; e = e->hnext)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            break;
    if (e && e->epoch != c->epoch) {
        memo_unlink(c, e);
        mentry_unref(e);
        e = NULL;
    }
    if (!e || e->vlen > max) {
        c->stats.memo_misses++;
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    lru_remove(&e->link); /* to the front */
    lru_push_front(&c->mlru, &e->link);
    e->refs++;
    if (!fresh_locked(ls, &e->in, &e->validated_ns, now, &checked)) {
        if (e->link.prev) {
            memo_unlink(c, e);
            e->refs--; /* the list's reference; ours keeps it alive */
        }
        mentry_unref(e);
        c->stats.memo_misses++;
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    pthread_mutex_unlock(&c->lock);
    /* The entry does not change once in the cache: copy it without the lock. */
    if (!(*val = malloc(e->vlen ? e->vlen : 1)) || ls_inputs_append(in, &e->in) < 0) {
        free(*val);
        *val = NULL;
        r = -ENOMEM;
    } else {
        memcpy(*val, e->val, e->vlen);
        *vlen = e->vlen;
    }
    pthread_mutex_lock(&c->lock);
    c->stats.memo_hits += r == 1;
    mentry_unref(e);
    pthread_mutex_unlock(&c->lock);
    return r;
}

void ls_cache_memo_put(struct layerstore *ls, const void *key, size_t klen, const void *val,
                       size_t vlen, const struct ls_inputs *min, uint64_t epoch)
{
    struct ls_cache *c = ls->cache;
    struct mentry *e, *old;
    size_t b;

    if (klen + vlen > MEMO_BYTES / 16)
        return; /* too big to keep: read again each time */
    if (!(e = calloc(1, sizeof(*e) + klen + vlen)))
        return;
    e->key = (unsigned char *)(e + 1);
    e->val = e->key + klen;
    memcpy(e->key, key, klen);
    memcpy(e->val, val, vlen);
    e->klen = klen;
    e->vlen = vlen;
    e->hash = memo_hash(key, klen);
    e->refs = 1; /* the list's */
    if (ls_inputs_append(&e->in, min) < 0) {
        mentry_unref(e);
        return;
    }
    ls_inputs_seal_shared(&e->in);
    e->bytes = sizeof(*e) + klen + vlen + ls_inputs_strbytes(&e->in) +
               e->in.n * (sizeof(*e->in.v) + sizeof(*e->in.hv));
    if (e->bytes > MEMO_BYTES / 16) {
        mentry_unref(e);
        return;
    }
    e->epoch = epoch;
    e->validated_ns = bf_mono_ns();
    b = e->hash & (MEMO_BUCKETS - 1);
    pthread_mutex_lock(&c->lock);
    if (epoch != c->epoch) {
        /* made from what was there before an invalidation: it would never be used, and it
         * would push out a value made since (the same key's, or the LRU's last) */
        pthread_mutex_unlock(&c->lock);
        mentry_unref(e);
        return;
    }
    for (old = c->mbuckets[b]; old; old = old->hnext)
        if (old->hash == e->hash && old->klen == klen && memcmp(old->key, key, klen) == 0)
            break;
    if (old) { /* another generation of this epoch put it meanwhile: the last one stays */
        memo_unlink(c, old);
        mentry_unref(old);
    }
    e->hnext = c->mbuckets[b];
    c->mbuckets[b] = e;
    lru_push_front(&c->mlru, &e->link);
    c->mn++;
    c->mbytes += e->bytes;
    while (c->mn > MEMO_MAX || c->mbytes > MEMO_BYTES) {
        struct mentry *last = (struct mentry *)c->mlru.prev;
        memo_unlink(c, last);
        mentry_unref(last);
    }
    pthread_mutex_unlock(&c->lock);
}
