/* boltbuild.h - write small BoltDB images in memory for the reader's tests.
 *
 * Independent of the reader: the layout is written from the format description (boltdb.c's
 * header comment repeats it), and the integration test checks files of this shape with Go's
 * bbolt. Pages: 0 and 1 meta, 2 an empty freelist, then whatever the test adds. Each leaf is
 * one page, grown with overflow pages when its elements need more room.
 */
#ifndef BOLTBUILD_H
#define BOLTBUILD_H

#include <stddef.h>
#include <stdint.h>

#define BB_PS 4096u

struct bb {
    uint8_t *buf;
    size_t len;
    uint64_t npages;
};

struct bb_kv {
    const void *k;
    size_t kl;
    const void *v;
    size_t vl;
    uint32_t flags; /* 1 = the value is a bucket */
};

void bb_init(struct bb *b);
void bb_free(struct bb *b);
/* Append a leaf page holding kv[0..n) (sorted by the caller); returns its page id. */
uint64_t bb_leaf(struct bb *b, const struct bb_kv *kv, size_t n);
/* Append a branch page: child[i] with first key keys[i]; returns its page id. */
uint64_t bb_branch(struct bb *b, const uint64_t *child, const char *const *keys, size_t n);
/* Write meta page `which` (0/1): root bucket page, txid; pgid = b->npages. */
void bb_meta(struct bb *b, int which, uint64_t root, uint64_t txid);
/* Re-seal meta page `which` after a test changed its fields (recompute the checksum). */
void bb_meta_reseal(struct bb *b, int which);
/* A non-inline bucket value (16 bytes) into out. */
void bb_bucket_value(uint8_t out[16], uint64_t root);
/* An inline bucket value into out (room for 16 + 16 + 16n + data); returns its length. */
size_t bb_inline_value(uint8_t *out, const struct bb_kv *kv, size_t n);
/* Little-endian stores into the image, for corrupting it. */
void bb_put16(struct bb *b, size_t off, uint16_t v);
void bb_put32(struct bb *b, size_t off, uint32_t v);
void bb_put64(struct bb *b, size_t off, uint64_t v);
/* Offsets: page p's header fields and element i's fields. */
#define BB_PAGE(p) ((size_t)(p)*BB_PS)
#define BB_P_FLAGS(p) (BB_PAGE(p) + 8)
#define BB_P_COUNT(p) (BB_PAGE(p) + 10)
#define BB_P_OVERFLOW(p) (BB_PAGE(p) + 12)
#define BB_ELEM(p, i) (BB_PAGE(p) + 16 + (size_t)(i)*16)
#define BB_META(w)                                                                                 \
    (BB_PAGE(w) + 16) /* magic; +4 version; +8 page size; +16 root; +40 pgid;                      \
                         +48 txid; +56 checksum */

#endif
