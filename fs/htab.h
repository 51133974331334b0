/* htab.h - a small intrusive chained hash table (the caller embeds struct hlink first in its
 * object, computes the hash and compares keys), and FNV-1a-64 for string keys and content. */
#ifndef BFS_HTAB_H
#define BFS_HTAB_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

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

static inline uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t x = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        x ^= s[i];
        x *= 0x100000001b3ull;
    }
    return x;
}

static inline void htab_free(struct htab *h)
{
    free(h->b);
    h->b = NULL;
    h->nb = h->n = 0;
}

#endif
