/* boltdb.h - a read-only reader of BoltDB (bbolt) files, such as libnetwork's local-kv.db.
 *
 * Written from the public description of the format (bbolt 1.3, file format version 2): two
 * meta pages, the valid one with the highest transaction ID wins; buckets are B+trees of
 * branch and leaf pages, sub-buckets are leaf values flagged as buckets (inline when their
 * root page id is 0, the page then follows the 16-byte bucket header inside the value), and a
 * page may run over `overflow` further pages.
 *
 * Opening takes one consistent snapshot: the pages the chosen meta page can reach are copied
 * into memory, then both meta pages are read again; if a writer committed in between, the copy
 * is thrown away and taken again (a bounded number of times). A transaction never writes
 * pages the previous committed meta can reach, so an unchanged meta proves the copy is whole.
 * Everything after opening works on that copy: no file access, no locks on the daemon's file.
 *
 * Every page id, offset and count is checked against the snapshot before it is used: a
 * truncated, corrupt or hostile file gives an error naming the file and the page, never a
 * crash, a read outside the snapshot, a loop or unbounded work (a page is visited at most once
 * per walk, trees are at most BOLT_MAX_DEPTH deep, buckets nest at most BOLT_MAX_NESTING).
 */
#ifndef BOLTDB_H
#define BOLTDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bf_error.h"
#include "bf_file.h"

#define BOLT_MAX_DEPTH 64   /* levels of one bucket's B+tree */
#define BOLT_MAX_NESTING 64 /* buckets within buckets */
#define BOLT_OPEN_RETRIES 32 /* snapshots taken while a writer keeps committing (~0.4 s) */

struct bolt_db;

/* One bucket of a snapshot (a value type: copy it freely while the db is open). */
struct bolt_bucket {
    const struct bolt_db *db;
    uint64_t root;      /* root page id; 0 for an inline bucket */
    const uint8_t *inl; /* inline bucket: its page (inside the parent's value) */
    size_t inl_len;     /* bytes of that page */
    unsigned nesting;   /* 0 for the root bucket */
};

/* Open `rel` under `dirfd` with bf_open_beneath (no symlink followed, regular files only) and
 * take a snapshot of at most `cap` bytes. `stamp` (nullable) receives what was read. */
int bolt_open_at(int dirfd, const char *rel, size_t cap, struct bolt_db **out,
                 struct bf_stamp *stamp, struct bf_error *err);
/* Keep or renew a snapshot: when `rel` is still the file *db was taken from (same device,
 * inode, size, mtime and ctime) and both its meta pages are unchanged (every commit rewrites
 * one), *db stays and *reused is true; otherwise *db (may be NULL) is replaced by a new
 * snapshot. On failure *db is closed and NULL. */
int bolt_refresh_at(int dirfd, const char *rel, size_t cap, struct bolt_db **db, bool *reused,
                    struct bf_stamp *stamp, struct bf_error *err);
/* The same over bytes in memory (tests, fuzzing); `name` is used in messages. The bytes are
 * copied. */
int bolt_open_mem(const void *buf, size_t len, const char *name, struct bolt_db **out,
                  struct bf_error *err);
void bolt_close(struct bolt_db *db);
/* Let the snapshot's pages go and keep only what bolt_refresh_at compares (the file's stamp
 * and both meta pages): for a caller that has taken from one snapshot all it needs and wants
 * to know when that is stale. Afterwards no page is reachable (a lookup fails as past the
 * end of the file); bolt_refresh_at renews it like any snapshot. */
void bolt_forget_pages(struct bolt_db *db);

uint64_t bolt_txid(const struct bolt_db *db);
uint32_t bolt_page_size(const struct bolt_db *db);
const char *bolt_name(const struct bolt_db *db);

/* The root bucket: its keys are the top-level bucket names. */
void bolt_root(const struct bolt_db *db, struct bolt_bucket *out);

/* Look `key` up in bucket `b`. *found false: no such key (not an error). On success *val
 * points into the snapshot (valid until bolt_close) and *is_bucket tells a sub-bucket. */
int bolt_get(const struct bolt_bucket *b, const void *key, size_t klen, const uint8_t **val,
             size_t *vlen, bool *is_bucket, bool *found, struct bf_error *err);

/* The sub-bucket `name` of `b`. *found false when there is no such key; a key that holds a
 * plain value is an error ("<key>: not a bucket"). */
int bolt_bucket(const struct bolt_bucket *b, const char *name, struct bolt_bucket *out, bool *found,
                struct bf_error *err);

/* Called for each key in order. Return 0 to go on, > 0 to stop (the walk returns that value),
 * < 0 to fail (the walk returns it; the callback fills err). For a sub-bucket `val` is its
 * raw 16-byte header (and inline page) and is_bucket is true. */
typedef int (*bolt_visit_fn)(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                             size_t vlen, bool is_bucket, struct bf_error *err);

/* Every key of bucket `b` (not descending into sub-buckets), in key order. Keys must be
 * strictly increasing and no page may be reached twice. */
int bolt_foreach(const struct bolt_bucket *b, bolt_visit_fn fn, void *ctx, struct bf_error *err);

/* Open the sub-bucket whose leaf value is (val, vlen), as passed to a visit callback. */
int bolt_bucket_from_value(const struct bolt_bucket *parent, const uint8_t *val, size_t vlen,
                           struct bolt_bucket *out, struct bf_error *err);

/* Depth-first walk of every bucket and key of the file. `path`/`depth` name the bucket the
 * key is in (path[0..depth), each a bucket name with its length). A bucket is reported as a
 * key with is_bucket before its own keys. No page is visited twice in the whole walk. */
struct bolt_name {
    const uint8_t *p;
    size_t len;
};
typedef int (*bolt_walk_fn)(void *ctx, const struct bolt_name *path, unsigned depth,
                            const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                            bool is_bucket, struct bf_error *err);
int bolt_walk(const struct bolt_db *db, bolt_walk_fn fn, void *ctx, struct bf_error *err);

#endif
