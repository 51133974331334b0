/* inputs.c - the list of files a generation read or probed, for st_mtime and staleness.
 *
 * Entries are kept in reading order, each path once: a generation meets the same layer folder
 * in its walk, its root, its rootfs lookups and its mount options, and a freshness check then
 * stats it once. A hash index finds a path in constant time (a linear search per add would make
 * a 125-layer walk quadratic); it lives while the list is filled and goes at ls_inputs_seal.
 * The paths are kept in blocks of the list's own (no malloc per path), made
 * one block of their exact size at ls_inputs_seal when the blocks waste more than an eighth (a
 * bundle's list lives as long as it does). The cache's lists (ls_inputs_seal_shared) are
 * appended to every container's: they keep each path's hash and their paths in one block, so
 * an append from one hashes nothing and copies the paths in one piece.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ls_internal.h"

struct ls_strblock {
    struct ls_strblock *next; /* the one filled before */
    size_t used, cap;
    char data[];
};

#define STRBLOCK_MIN 2048
#define STRBLOCK_MAX (64 * 1024)

/* A copy of s (n bytes and its NUL) in the list's blocks. */
static char *str_keep(struct ls_inputs *in, const char *s, size_t n)
{
    struct ls_strblock *b = in->strs;
    char *p;

    if (!b || b->cap - b->used < n + 1) {
        size_t cap = b ? (b->cap < STRBLOCK_MAX ? b->cap * 2 : b->cap) : STRBLOCK_MIN;
        if (cap < n + 1)
            cap = n + 1;
        if (!(b = malloc(sizeof(*b) + cap)))
            return NULL;
        b->next = in->strs;
        b->used = 0;
        b->cap = cap;
        in->strs = b;
    }
    p = b->data + b->used;
    memcpy(p, s, n + 1);
    b->used += n + 1;
    return p;
}

static void strs_free(struct ls_strblock *b)
{
    while (b) {
        struct ls_strblock *next = b->next;
        free(b);
        b = next;
    }
}

/* Eight bytes a step (paths here are ~100 bytes, mostly hex); mixed as splitmix64 does. */
static uint32_t hash_rel(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = n * 0x9e3779b97f4a7c15u, w;

    for (; n >= 8; n -= 8, s += 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x94d049bb133111ebu;
    h ^= h >> 29;
    return (uint32_t)h;
}

/* A slot of the index: the entry's position in v + 1 (0: empty) and its path's hash, so a
 * probe compares paths only on equal hashes and a rebuild hashes nothing. */
struct ls_input_slot {
    uint32_t pos, hash;
};

/* The slot of `rel` (hashed `h`) in the index, or the empty slot where it would go. */
static size_t idx_slot(const struct ls_inputs *in, const char *rel, uint32_t h)
{
    size_t mask = in->idx_cap - 1, i = h & mask;
    while (in->idx[i].pos &&
           (in->idx[i].hash != h || strcmp(in->v[in->idx[i].pos - 1].rel, rel) != 0))
        i = (i + 1) & mask;
    return i;
}

/* An index of at least twice the entries (so probes stay short), rebuilt from the old one. */
static int idx_grow(struct ls_inputs *in, size_t want)
{
    size_t cap = in->idx_cap ? in->idx_cap : 32;
    struct ls_input_slot *idx, *old = in->idx;
    size_t old_cap = in->idx_cap;

    while (cap < want * 2) {
        if (cap > UINT32_MAX / 2)
            return -ENOMEM;
        cap *= 2;
    }
    if (cap == in->idx_cap)
        return 0;
    if (!(idx = calloc(cap, sizeof(*idx))))
        return -ENOMEM;
    in->idx = idx;
    in->idx_cap = cap;
    if (old) {
        for (size_t k = 0; k < old_cap; k++) {
            size_t i = old[k].hash & (cap - 1);
            if (!old[k].pos)
                continue;
            while (idx[i].pos)
                i = (i + 1) & (cap - 1);
            idx[i] = old[k];
        }
        free(old);
    } else {
        for (size_t k = 0; k < in->n; k++) { /* a sealed list filled again */
            uint32_t h = in->hv ? in->hv[k] : hash_rel(in->v[k].rel);
            idx[idx_slot(in, in->v[k].rel, h)] = (struct ls_input_slot){(uint32_t)(k + 1), h};
        }
        free(in->hv); /* it would not follow what comes */
        in->hv = NULL;
    }
    return 0;
}

int ls_inputs_reserve(struct ls_inputs *in, size_t more)
{
    size_t ncap = in->cap ? in->cap : 16;
    struct ls_input *nv;

    if (in->cap - in->n >= more)
        return idx_grow(in, in->n + more);
    while (ncap - in->n < more) {
        if (ncap > SIZE_MAX / 2 / sizeof(*nv) || ncap >= UINT32_MAX / 4)
            return -ENOMEM;
        ncap *= 2;
    }
    nv = realloc(in->v, ncap * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    in->v = nv;
    in->cap = ncap;
    return idx_grow(in, in->n + more);
}

/* ls_inputs_add of `rel`, hashed `h`. */
static int add_hashed(struct ls_inputs *in, const char *rel, uint32_t h,
                      const struct bf_stamp *stamp)
{
    size_t slot;
    char *copy;

    if (idx_grow(in, in->n + 1) < 0)
        return -ENOMEM;
    slot = idx_slot(in, rel, h);
    if (in->idx[slot].pos)
        return 0;
    if (in->n == in->cap && ls_inputs_reserve(in, 1) < 0)
        return -ENOMEM;
    copy = str_keep(in, rel, strlen(rel));
    if (!copy)
        return -ENOMEM;
    in->v[in->n].rel = copy;
    in->v[in->n].stamp = *stamp;
    in->n++;
    in->idx[slot] = (struct ls_input_slot){(uint32_t)in->n, h};
    return 0;
}

int ls_inputs_add(struct ls_inputs *in, const char *rel, const struct bf_stamp *stamp)
{
    return in ? add_hashed(in, rel, hash_rel(rel), stamp) : 0;
}

static bool is_shared(const struct ls_inputs *src)
{
    return src->hv && src->strs && !src->strs->next;
}

/* Shared lists (each one block of paths, hashes kept) appended: their blocks copied whole, one
 * behind the other, into one block behind the one being filled (a path dst has already wastes
 * its bytes there), each new entry pointing into the copy, its hash reused, the index grown
 * once. */
static int append_shared(struct ls_inputs *dst, const struct ls_inputs *const *srcs, size_t n)
{
    size_t entries = 0, bytes = 0, at = 0;
    struct ls_strblock *b;

    for (size_t i = 0; i < n; i++) {
        entries += srcs[i]->n;
        bytes += srcs[i]->n ? srcs[i]->strs->used : 0;
    }
    if (!entries)
        return 0;
    if (ls_inputs_reserve(dst, entries) < 0) /* the index too */
        return -ENOMEM;
    if (!dst->strs) { /* a block to fill, ahead of the copy (its "" no entry points to) */
        if (!str_keep(dst, "", 0))
            return -ENOMEM;
        dst->dead++;
    }
    if (!(b = malloc(sizeof(*b) + bytes)))
        return -ENOMEM;
    b->used = b->cap = bytes;
    b->next = dst->strs->next;
    dst->strs->next = b;
    for (size_t i = 0; i < n; i++) {
        const struct ls_inputs *src = srcs[i];
        const struct ls_strblock *sb = src->strs;
        if (!src->n)
            continue;
        memcpy(b->data + at, sb->data, sb->used);
        for (size_t k = 0; k < src->n; k++) {
            const char *rel = b->data + at + (src->v[k].rel - sb->data);
            size_t slot = idx_slot(dst, rel, src->hv[k]);
            if (dst->idx[slot].pos) {
                dst->dead += strlen(rel) + 1; /* for strs_compact's waste rule */
                continue;
            }
            dst->v[dst->n].rel = (char *)rel;
            dst->v[dst->n].stamp = src->v[k].stamp;
            dst->idx[slot] = (struct ls_input_slot){(uint32_t)++dst->n, src->hv[k]};
        }
        at += sb->used;
    }
    return 0;
}

int ls_inputs_append_many(struct ls_inputs *dst, const struct ls_inputs *const *srcs, size_t n)
{
    if (!dst)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (srcs[i]->n && !is_shared(srcs[i])) { /* not shared: one by one */
            for (size_t k = 0; k < n; k++)
                if (ls_inputs_append(dst, srcs[k]) < 0)
                    return -ENOMEM;
            return 0;
        }
    }
    return append_shared(dst, srcs, n);
}

int ls_inputs_append(struct ls_inputs *dst, const struct ls_inputs *src)
{
    if (!dst || !src->n)
        return 0;
    if (is_shared(src))
        return append_shared(dst, &src, 1);
    if (ls_inputs_reserve(dst, src->n) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < src->n; i++) {
        const char *rel = src->v[i].rel;
        if (add_hashed(dst, rel, src->hv ? src->hv[i] : hash_rel(rel), &src->v[i].stamp) < 0)
            return -ENOMEM;
    }
    return 0;
}

const struct bf_stamp *ls_inputs_find(const struct ls_inputs *in, const char *rel)
{
    size_t slot;

    if (!in || !in->n)
        return NULL;
    if (!in->idx) {
        for (size_t k = 0; k < in->n; k++) /* sealed: rare, and short */
            if (strcmp(in->v[k].rel, rel) == 0)
                return &in->v[k].stamp;
        return NULL;
    }
    slot = idx_slot(in, rel, hash_rel(rel));
    return in->idx[slot].pos ? &in->v[in->idx[slot].pos - 1].stamp : NULL;
}

/* The paths in one block of their exact size, unless the blocks waste at most an eighth of
 * what they hold (`always`: whatever they waste); kept as they are when out of memory. */
static void strs_compact(struct ls_inputs *in, bool always)
{
    size_t total = 0, cap = 0;
    struct ls_strblock *one;

    if (!in->strs || (!in->strs->next && in->strs->used == in->strs->cap))
        return;
    for (struct ls_strblock *b = in->strs; b; b = b->next) {
        total += b->used;
        cap += b->cap;
    }
    total -= in->dead < total ? in->dead : total; /* what entries point to */
    if (!always && cap - total <= total / 8)
        return;
    one = malloc(sizeof(*one) + total);
    if (!one)
        return;
    one->next = NULL;
    one->used = 0;
    one->cap = total;
    for (size_t i = 0; i < in->n; i++) {
        size_t len = strlen(in->v[i].rel);
        memcpy(one->data + one->used, in->v[i].rel, len + 1);
        in->v[i].rel = one->data + one->used;
        one->used += len + 1;
    }
    strs_free(in->strs);
    in->strs = one;
    in->dead = 0;
}

static void seal(struct ls_inputs *in, bool shared)
{
    if (!in)
        return;
    if (shared && in->n && !in->hv && (in->hv = malloc(in->n * sizeof(*in->hv)))) {
        for (size_t k = 0; k < in->idx_cap; k++)
            if (in->idx[k].pos)
                in->hv[in->idx[k].pos - 1] = in->idx[k].hash;
        for (size_t k = 0; !in->idx && k < in->n; k++) /* sealed before */
            in->hv[k] = hash_rel(in->v[k].rel);
    } else if (!shared) {
        free(in->hv);
        in->hv = NULL;
    }
    free(in->idx);
    in->idx = NULL;
    in->idx_cap = 0;
    if (in->n && in->n < in->cap) {
        struct ls_input *nv = realloc(in->v, in->n * sizeof(*nv));
        if (nv) {
            in->v = nv;
            in->cap = in->n;
        }
    }
    strs_compact(in, shared);
}

size_t ls_inputs_strbytes(const struct ls_inputs *in)
{
    size_t cap = 0;

    for (const struct ls_strblock *b = in->strs; b; b = b->next)
        cap += b->cap;
    return cap;
}

void ls_inputs_seal(struct ls_inputs *in)
{
    seal(in, false);
}

void ls_inputs_seal_shared(struct ls_inputs *in)
{
    seal(in, true);
}

void ls_inputs_free(struct ls_inputs *in)
{
    if (!in)
        return;
    strs_free(in->strs);
    free(in->v);
    free(in->idx);
    free(in->hv);
    in->v = NULL;
    in->idx = NULL;
    in->hv = NULL;
    in->dead = 0;
    in->strs = NULL;
    in->n = in->cap = in->idx_cap = 0;
}

int64_t ls_inputs_newest_mtime_ns(const struct ls_inputs *in)
{
    int64_t newest = 0;

    for (size_t i = 0; i < in->n; i++)
        if (in->v[i].stamp.exists && in->v[i].stamp.mtime_ns > newest)
            newest = in->v[i].stamp.mtime_ns;
    return newest;
}

bool ls_inputs_changed(const struct layerstore *ls, const struct ls_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        if (bf_stamp_changed(ls->dirfd, in->v[i].rel, &in->v[i].stamp))
            return true;
    return false;
}
