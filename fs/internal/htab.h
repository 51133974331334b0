/* htab.h - a small intrusive chained hash table (the caller embeds struct hlink first in its
 * object, computes the hash and compares keys), and bfs_hash for string keys and content. */
#ifndef BFS_HTAB_H
#define BFS_HTAB_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct hlink {
    struct hlink *next;
    uint64_t hash;
};

struct htab {
    struct hlink **b;
    size_t nb, n;
};

static inline int htab_add(struct htab *h, struct hlink *l, uint64_t hash)
{
    if (h->n + 1 > h->nb) {
        size_t nb = h->nb ? h->nb * 2 : 64;
        struct hlink **b = calloc(nb, sizeof(*b));
        if (!b)
            return -ENOMEM;
        for (size_t i = 0; i < h->nb; i++) {
            for (struct hlink *p = h->b[i], *next; p; p = next) {
                next = p->next;
                p->next = b[p->hash & (nb - 1)];
                b[p->hash & (nb - 1)] = p;
            }
        }
        free(h->b);
        h->b = b;
        h->nb = nb;
    }
    l->hash = hash;
    l->next = h->b[hash & (h->nb - 1)];
    h->b[hash & (h->nb - 1)] = l;
    h->n++;
    return 0;
}

static inline void htab_del(struct htab *h, struct hlink *l)
{
    for (struct hlink **pp = &h->b[l->hash & (h->nb - 1)]; *pp; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            h->n--;
            return;
        }
    }
}

static inline struct hlink *htab_first(const struct htab *h, uint64_t hash)
{
    return h->nb ? h->b[hash & (h->nb - 1)] : NULL;
}

/* A 64-bit hash of n bytes, eight at a time (a byte at a time would dominate the summary of a
 * container's files). Not for anything an attacker must not collide; the same bytes give the
 * same hash within a run. */
static inline uint64_t bfs_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x243f6a8885a308d3ull ^ (n * 0x9e3779b97f4a7c15ull), w;

    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    w = 0;
    if (n)
        memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

/* Every link of h, bucket by bucket, as `p` (a struct hlink *). The next link is read before
 * the body runs, so the body may unlink or free p; it must not add to h. `break` leaves the
 * bucket only, as in the nested loops this stands for. */
#define HTAB_FOREACH(h, p)                                                                         \
    for (size_t p##_b_ = 0; p##_b_ < (h)->nb; p##_b_++)                                            \
        for (struct hlink *p = (h)->b[p##_b_], *p##_next_ = p ? p->next : NULL; p;                 \
             p = p##_next_, p##_next_ = p ? p->next : NULL)

static inline void htab_free(struct htab *h)
{
    free(h->b);
    h->b = NULL;
    h->nb = h->n = 0;
}

#endif
