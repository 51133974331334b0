/* boltbuild.c - see boltbuild.h. */
#include "boltbuild.h"

#include <stdlib.h>
#include <string.h>

static void grow(struct bb *b, uint64_t pages)
{
    size_t nlen = (size_t)(b->npages + pages) * BB_PS;
    b->buf = realloc(b->buf, nlen);
    if (!b->buf)
        abort();
    memset(b->buf + b->len, 0, nlen - b->len);
    b->len = nlen;
    b->npages += pages;
}

void bb_put16(struct bb *b, size_t off, uint16_t v)
{
    for (int i = 0; i < 2; i++)
        b->buf[off + i] = (uint8_t)(v >> (8 * i));
}

void bb_put32(struct bb *b, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->buf[off + i] = (uint8_t)(v >> (8 * i));
}

void bb_put64(struct bb *b, size_t off, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b->buf[off + i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void bb_init(struct bb *b)
{
    *b = (struct bb){0};
    grow(b, 3);
    put64(b->buf + BB_PAGE(0), 0);
    put16(b->buf + BB_PAGE(0) + 8, 0x04);
    put64(b->buf + BB_PAGE(1), 1);
    put16(b->buf + BB_PAGE(1) + 8, 0x04);
    put64(b->buf + BB_PAGE(2), 2);
    put16(b->buf + BB_PAGE(2) + 8, 0x10); /* freelist, count 0 */
}

void bb_free(struct bb *b)
{
    free(b->buf);
    *b = (struct bb){0};
}

/* Lay out a leaf page (header + elements + data) at p; returns its byte size. */
static size_t leaf_at(uint8_t *p, uint64_t id, const struct bb_kv *kv, size_t n)
{
    size_t data = 16 + 16 * n;

    put64(p, id);
    put16(p + 8, 0x02);
    put16(p + 10, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = p + 16 + 16 * i;
        put32(e, kv[i].flags);
        put32(e + 4, (uint32_t)(data - (16 + 16 * i)));
        put32(e + 8, (uint32_t)kv[i].kl);
        put32(e + 12, (uint32_t)kv[i].vl);
        memcpy(p + data, kv[i].k, kv[i].kl);
        memcpy(p + data + kv[i].kl, kv[i].v, kv[i].vl);
        data += kv[i].kl + kv[i].vl;
    }
    return data;
}

static size_t leaf_size(const struct bb_kv *kv, size_t n)
{
    size_t s = 16 + 16 * n;
    for (size_t i = 0; i < n; i++)
        s += kv[i].kl + kv[i].vl;
    return s;
}

uint64_t bb_leaf(struct bb *b, const struct bb_kv *kv, size_t n)
{
    uint64_t id = b->npages, pages = (leaf_size(kv, n) + BB_PS - 1) / BB_PS;

    if (!pages)
        pages = 1;
    grow(b, pages);
    leaf_at(b->buf + BB_PAGE(id), id, kv, n);
    put32(b->buf + BB_PAGE(id) + 12, (uint32_t)(pages - 1));
    return id;
}

uint64_t bb_branch(struct bb *b, const uint64_t *child, const char *const *keys, size_t n)
{
    uint64_t id = b->npages;
    uint8_t *p;
    size_t data = 16 + 16 * n;

    grow(b, 1);
    p = b->buf + BB_PAGE(id);
    put64(p, id);
    put16(p + 8, 0x01);
    put16(p + 10, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = p + 16 + 16 * i;
        size_t kl = strlen(keys[i]);
        put32(e, (uint32_t)(data - (16 + 16 * i)));
        put32(e + 4, (uint32_t)kl);
        put64(e + 8, child[i]);
        memcpy(p + data, keys[i], kl);
        data += kl;
    }
    return id;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

void bb_meta_reseal(struct bb *b, int which)
{
    uint8_t *m = b->buf + BB_META(which);
    put64(m + 56, fnv1a(m, 56));
}

void bb_meta(struct bb *b, int which, uint64_t root, uint64_t txid)
{
    uint8_t *m = b->buf + BB_META(which);
    put32(m, 0xED0CDAED);
    put32(m + 4, 2);
    put32(m + 8, BB_PS);
    put32(m + 12, 0);
    put64(m + 16, root);
    put64(m + 24, 0);
    put64(m + 32, 2); /* freelist page */
    put64(m + 40, b->npages);
    put64(m + 48, txid);
    bb_meta_reseal(b, which);
}

void bb_bucket_value(uint8_t out[16], uint64_t root)
{
    put64(out, root);
    put64(out + 8, 0);
}

size_t bb_inline_value(uint8_t *out, const struct bb_kv *kv, size_t n)
{
    bb_bucket_value(out, 0);
    return 16 + leaf_at(out + 16, 0, kv, n);
}
