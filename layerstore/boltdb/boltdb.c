/* boltdb.c - read-only BoltDB reader over one in-memory snapshot (see boltdb.h).
 *
 * On-disk layout (little-endian, bbolt 1.3, version 2), as relied on here:
 *   page header (16 bytes): id u64, flags u16, count u16, overflow u32
 *   flags: 0x01 branch, 0x02 leaf, 0x04 meta, 0x10 freelist
 *   meta (after the header of pages 0 and 1): magic u32 0xED0CDAED, version u32 2,
 *     page size u32, flags u32, root bucket {root pgid u64, sequence u64}, freelist pgid u64,
 *     high-water pgid u64 (pages in use), txid u64, checksum u64 = FNV-1a 64 of the 56 bytes
 *     before it
 *   branch element (16 bytes): pos u32, ksize u32, child pgid u64
 *   leaf element (16 bytes): flags u32 (0x01 = bucket), pos u32, ksize u32, vsize u32
 *   `pos` counts from the element itself; the key follows, then the value.
 *   bucket value: root pgid u64, sequence u64; root 0 = inline, a leaf page follows.
 */
#include "boltdb.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bf_util.h"

#define PAGE_HDR 16
#define ELEM_SIZE 16
#define META_SIZE 64 /* the meta struct after the page header, checksum included */
#define META_SUMMED 56
#define META_BYTES (PAGE_HDR + META_SIZE)
#define BOLT_MAGIC 0xED0CDAEDu
#define BOLT_VERSION 2u
#define FLAG_BRANCH 0x01
#define FLAG_LEAF 0x02
#define LEAF_BUCKET 0x01
#define MIN_PAGE_SIZE 512u
#define MAX_PAGE_SIZE (1u << 20)

struct metas {
    uint8_t raw[2][META_BYTES];
    ssize_t got[2];
};

struct bolt_db {
    char *name;
    uint8_t *data; /* pages 0 .. npages-1 */
    uint64_t npages;
    uint32_t ps;
    uint64_t txid;
    uint64_t root;
    struct metas metas;    /* both meta pages as they were when the snapshot was taken */
    struct bf_stamp stamp; /* the file then (bolt_open_at / bolt_refresh_at only) */
};

struct meta {
    uint32_t magic, version, page_size, flags;
    uint64_t root, sequence, freelist, pgid, txid, checksum;
};

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return le16toh(v);
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return le32toh(v);
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return le64toh(v);
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- where the bytes come from: a file descriptor or memory ---- */

struct source {
    int fd; /* -1: memory */
    const uint8_t *mem;
    size_t memlen;
};

/* Read up to len bytes at off; returns bytes read (short at the end) or -errno. */
static ssize_t src_read(const struct source *s, void *dst, size_t len, uint64_t off)
{
    size_t got = 0;

    if (s->fd < 0) {
        if (off >= s->memlen)
            return 0;
        got = s->memlen - off < len ? s->memlen - off : len;
        memcpy(dst, s->mem + off, got);
        return (ssize_t)got;
    }
    while (got < len) {
        ssize_t r = pread(s->fd, (uint8_t *)dst + got, len - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int src_size(const struct source *s, uint64_t *size)
{
    struct stat st;

    if (s->fd < 0) {
        *size = s->memlen;
        return 0;
    }
    if (fstat(s->fd, &st) < 0)
        return -errno;
    *size = (uint64_t)st.st_size;
    return 0;
}

/* ---- meta pages ---- */

static void meta_decode(const uint8_t *p, struct meta *m)
{
    const uint8_t *q = p + PAGE_HDR;
    m->magic = rd32(q);
    m->version = rd32(q + 4);
    m->page_size = rd32(q + 8);
    m->flags = rd32(q + 12);
    m->root = rd64(q + 16);
    m->sequence = rd64(q + 24);
    m->freelist = rd64(q + 32);
    m->pgid = rd64(q + 40);
    m->txid = rd64(q + 48);
    m->checksum = rd64(q + 56);
}

static bool page_size_ok(uint32_t ps)
{
    return ps >= MIN_PAGE_SIZE && ps <= MAX_PAGE_SIZE && (ps & (ps - 1)) == 0;
}

/* Validate the meta page read into raw (got bytes); on failure `why` says what is wrong. */
static bool meta_check(const uint8_t *raw, ssize_t got, struct meta *m, char *why, size_t whylen)
{
    if (got < (ssize_t)META_BYTES) {
        snprintf(why, whylen, "truncated");
        return false;
    }
    meta_decode(raw, m);
    if (m->magic != BOLT_MAGIC) {
        snprintf(why, whylen, "bad magic 0x%08x", m->magic);
        return false;
    }
    if (m->version != BOLT_VERSION) {
        snprintf(why, whylen, "unsupported version %u", m->version);
        return false;
    }
    if (fnv1a64(raw + PAGE_HDR, META_SUMMED) != m->checksum) {
        snprintf(why, whylen, "checksum mismatch");
        return false;
    }
    if (!page_size_ok(m->page_size)) {
        snprintf(why, whylen, "invalid page size %u", m->page_size);
        return false;
    }
    return true;
}

static int read_metas(const struct source *s, uint32_t ps, struct metas *ms)
{
    for (int i = 0; i < 2; i++) {
        memset(ms->raw[i], 0, META_BYTES);
        ms->got[i] = src_read(s, ms->raw[i], META_BYTES, (uint64_t)i * ps);
        if (ms->got[i] < 0)
            return (int)ms->got[i];
    }
    return 0;
}

/* Find the page size and choose the meta to use: the valid one with the highest txid. */
static int choose_meta(const struct source *s, const char *name, uint32_t *ps_out, struct metas *ms,
                       struct meta *chosen, struct bf_error *err)
{
    uint8_t raw[META_BYTES];
    char why0[96], why1[128];
    struct meta m0, m1;
    bool ok0, ok1;
    uint32_t ps = 0;
    unsigned seen1 = 0;
    ssize_t got;

    got = src_read(s, raw, sizeof(raw), 0);
    if (got < 0)
        return bf_error_set(err, (int)-got, "%s: %s", name, strerror((int)-got));
    ok0 = meta_check(raw, got, &m0, why0, sizeof(why0));
    if (ok0) {
        ps = m0.page_size;
    } else {
        /* Meta 0 is unusable: look for meta 1 at each possible page size, as bbolt does. */
        snprintf(why1, sizeof(why1), "none found at any page size");
        for (uint32_t c = MIN_PAGE_SIZE; c <= MAX_PAGE_SIZE && !ps; c *= 2) {
            struct meta m;
            char why[96];
            got = src_read(s, raw, sizeof(raw), c);
            if (got < 0)
                return bf_error_set(err, (int)-got, "%s: %s", name, strerror((int)-got));
            bool valid = meta_check(raw, got, &m, why, sizeof(why));
            if (valid && m.page_size == c)
                ps = c;
            else if (got >= (ssize_t)META_BYTES && m.magic == BOLT_MAGIC && !seen1++)
                snprintf(why1, sizeof(why1), "at offset %u: %.80s", c,
                         valid ? "page size does not match the offset" : why);
        }
        if (!ps)
            return bf_error_set(err, EINVAL, "%s: no valid meta page (meta 0: %s; meta 1: %s)",
                                name, why0, why1);
    }
    int r = read_metas(s, ps, ms);
    if (r < 0)
        return bf_error_set(err, -r, "%s: %s", name, strerror(-r));
    ok0 = meta_check(ms->raw[0], ms->got[0], &m0, why0, sizeof(why0));
    ok1 = meta_check(ms->raw[1], ms->got[1], &m1, why1, sizeof(why1));
    if (ok0 && m0.page_size != ps) {
        ok0 = false;
        snprintf(why0, sizeof(why0), "page size %u differs from meta 1's %u", m0.page_size, ps);
    }
    if (ok1 && m1.page_size != ps) {
        ok1 = false;
        snprintf(why1, sizeof(why1), "page size %u differs from meta 0's %u", m1.page_size, ps);
    }
    if (!ok0 && !ok1)
        return bf_error_set(err, EINVAL, "%s: no valid meta page (meta 0: %s; meta 1: %s)", name,
                            why0, why1);
    *chosen = ok0 && (!ok1 || m0.txid >= m1.txid) ? m0 : m1;
    *ps_out = ps;
    return 0;
}

static int snapshot(const struct source *s, const char *name, size_t cap, struct bolt_db *db,
                    struct bf_error *err)
{
    for (int attempt = 0; attempt < BOLT_OPEN_RETRIES; attempt++) {
        struct metas before, after;
        if (attempt && s->fd >= 0) {
            /* A writer committed during the copy: wait a little longer each time (1 ms, 2 ms,
             * ... at most 16 ms), so a daemon that commits in bursts leaves a gap. */
            struct timespec ts = {0, (attempt < 5 ? 1L << (attempt - 1) : 16L) * 1000000L};
            nanosleep(&ts, NULL);
        }
        struct meta m = {0};
        uint64_t size = 0, need;
        uint32_t ps = 0;
        ssize_t got;
        int r;

        r = choose_meta(s, name, &ps, &before, &m, err);
        if (r < 0)
            return r;
        /* The size after the meta: bbolt grows the file before it commits a meta that counts
         * the new pages, and never shrinks it. */
        r = src_size(s, &size);
        if (r < 0)
            return bf_error_set(err, -r, "%s: %s", name, strerror(-r));
        if (m.pgid < 2 || m.pgid > UINT64_MAX / ps)
            return bf_error_set(err, EINVAL, "%s: meta (txid %llu): invalid page count %llu", name,
                                (unsigned long long)m.txid, (unsigned long long)m.pgid);
        need = m.pgid * ps;
        if (need > cap)
            return bf_error_set(err, EFBIG, "%s: %llu pages of %u bytes exceed the %zu-byte limit",
                                name, (unsigned long long)m.pgid, ps, cap);
        if (need > size)
            return bf_error_set(err, EINVAL,
                                "%s: truncated: meta (txid %llu) counts %llu pages of %u bytes "
                                "but the file has %llu bytes",
                                name, (unsigned long long)m.txid, (unsigned long long)m.pgid, ps,
                                (unsigned long long)size);
        if (m.root >= m.pgid)
            return bf_error_set(
                err, EINVAL, "%s: meta (txid %llu): root page %llu past the end (%llu pages)", name,
                (unsigned long long)m.txid, (unsigned long long)m.root, (unsigned long long)m.pgid);
        free(db->data);
        db->data = malloc(need);
        if (!db->data)
            return bf_error_set(err, ENOMEM, "%s: out of memory for %llu bytes", name,
                                (unsigned long long)need);
        got = src_read(s, db->data, need, 0);
        if (got < 0)
            return bf_error_set(err, (int)-got, "%s: %s", name, strerror((int)-got));
        r = read_metas(s, ps, &after);
        if (r < 0)
            return bf_error_set(err, -r, "%s: %s", name, strerror(-r));
        if ((uint64_t)got != need || memcmp(&before, &after, sizeof(before)) != 0)
            continue; /* a writer committed (or truncated) meanwhile: take it again */
        db->metas = after;
        db->npages = m.pgid;
        db->ps = ps;
        db->txid = m.txid;
        db->root = m.root;
        return 0;
    }
    return bf_error_set(err, EAGAIN, "%s: changed while being read (%d attempts)", name,
                        BOLT_OPEN_RETRIES);
}

static int open_source(const struct source *s, const char *name, size_t cap, struct bolt_db **out,
                       struct bf_error *err)
{
    struct bolt_db *db = calloc(1, sizeof(*db));
    int r;

    *out = NULL;
    if (!db || !(db->name = strdup(name))) {
        free(db);
        return bf_error_set(err, ENOMEM, "%s: out of memory", name);
    }
    r = snapshot(s, name, cap, db, err);
    if (r < 0) {
        bolt_close(db);
        return r;
    }
    *out = db;
    return 0;
}

static void stamp_of(const struct stat *st, struct bf_stamp *out)
{
    bf_stamp_from_stat(out, st, false);
}

static bool same_stamp(const struct bf_stamp *a, const struct bf_stamp *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

int bolt_refresh_at(int dirfd, const char *rel, size_t cap, struct bolt_db **db, bool *reused,
                    struct bf_stamp *stamp, struct bf_error *err)
{
    _cleanup_close_ int fd = -1;
    struct bolt_db *fresh = NULL;
    struct bf_stamp before;
    struct stat st;
    int r;

    *reused = false;
    fd = bf_open_beneath(dirfd, rel, O_NONBLOCK, err);
    if (fd < 0)
        goto fail;
    if (fstat(fd, &st) < 0) {
        r = bf_error_set(err, errno, "%s: %s", rel, strerror(errno));
        goto fail_r;
    }
    if (!S_ISREG(st.st_mode)) {
        r = bf_error_set(err, EINVAL, "%s: not a regular file", rel);
        goto fail_r;
    }
    stamp_of(&st, &before);
    struct source s = {.fd = fd};
    if (*db && same_stamp(&before, &(*db)->stamp)) {
        struct metas now;
        /* Same file, same size and times: reuse the snapshot unless a commit happened
         * within the timestamps' granularity (every commit writes a meta page). */
        if (read_metas(&s, (*db)->ps, &now) == 0 && memcmp(&now, &(*db)->metas, sizeof(now)) == 0) {
            *reused = true;
            if (stamp)
                *stamp = before;
            return 0;
        }
    }
    r = open_source(&s, rel, cap, &fresh, err);
    if (r < 0)
        goto fail_r;
    /* The identity as it was when the consistent snapshot was taken. */
    if (fstat(fd, &st) < 0) {
        bolt_close(fresh);
        r = bf_error_set(err, errno, "%s: %s", rel, strerror(errno));
        goto fail_r;
    }
    stamp_of(&st, &fresh->stamp);
    if (stamp)
        *stamp = fresh->stamp;
    bolt_close(*db);
    *db = fresh;
    return 0;
fail:
    r = fd;
fail_r:
    bolt_close(*db);
    *db = NULL;
    return r;
}

int bolt_open_at(int dirfd, const char *rel, size_t cap, struct bolt_db **out,
                 struct bf_stamp *stamp, struct bf_error *err)
{
    bool reused;

    *out = NULL;
    return bolt_refresh_at(dirfd, rel, cap, out, &reused, stamp, err);
}

int bolt_open_mem(const void *buf, size_t len, const char *name, struct bolt_db **out,
                  struct bf_error *err)
{
    struct source s = {.fd = -1, .mem = buf, .memlen = len};
    return open_source(&s, name, SIZE_MAX, out, err);
}

void bolt_close(struct bolt_db *db)
{
    if (!db)
        return;
    free(db->data);
    free(db->name);
    free(db);
}

void bolt_forget_pages(struct bolt_db *db)
{
    free(db->data);
    db->data = NULL;
    db->npages = 0;
}

uint64_t bolt_txid(const struct bolt_db *db)
{
    return db->txid;
}

uint32_t bolt_page_size(const struct bolt_db *db)
{
    return db->ps;
}

const char *bolt_name(const struct bolt_db *db)
{
    return db->name;
}

void bolt_root(const struct bolt_db *db, struct bolt_bucket *out)
{
    *out = (struct bolt_bucket){.db = db, .root = db->root};
}

/* ---- pages and elements ---- */

struct page {
    const uint8_t *p;
    uint64_t span; /* bytes of the page including its overflow */
    uint64_t id;
    bool inl;
    uint16_t flags, count;
};

static const char *page_label(const struct page *pg, char *buf, size_t n)
{
    if (pg->inl)
        snprintf(buf, n, "inline bucket page");
    else
        snprintf(buf, n, "page %llu", (unsigned long long)pg->id);
    return buf;
}

#define PAGE_ERR(db, pg, err, ...)                                                                 \
    ({                                                                                             \
        char _lbl[48], _msg[160];                                                                  \
        snprintf(_msg, sizeof(_msg), __VA_ARGS__);                                                 \
        bf_error_set(err, EINVAL, "%s: %s: %s", (db)->name, page_label(pg, _lbl, sizeof(_lbl)),    \
                     _msg);                                                                        \
    })

static int page_check(const struct bolt_db *db, struct page *pg, struct bf_error *err)
{
    pg->flags = rd16(pg->p + 8);
    pg->count = rd16(pg->p + 10);
    if (!(pg->flags & (FLAG_BRANCH | FLAG_LEAF)) ||
        (pg->flags & FLAG_BRANCH && pg->flags & FLAG_LEAF))
        return PAGE_ERR(db, pg, err, "not a branch or leaf page (flags 0x%x)", pg->flags);
    if (pg->inl && !(pg->flags & FLAG_LEAF))
        return PAGE_ERR(db, pg, err, "not a leaf page (flags 0x%x)", pg->flags);
    if (PAGE_HDR + (uint64_t)pg->count * ELEM_SIZE > pg->span)
        return PAGE_ERR(db, pg, err, "%u elements do not fit in %llu bytes", pg->count,
                        (unsigned long long)pg->span);
    return 0;
}

static int page_at(const struct bolt_db *db, uint64_t id, struct page *pg, struct bf_error *err)
{
    uint64_t overflow;

    *pg = (struct page){.id = id};
    if (id >= db->npages)
        return bf_error_set(err, EINVAL, "%s: page %llu: past the end (%llu pages)", db->name,
                            (unsigned long long)id, (unsigned long long)db->npages);
    pg->p = db->data + id * db->ps;
    if (rd64(pg->p) != id)
        return bf_error_set(err, EINVAL, "%s: page %llu: header names page %llu", db->name,
                            (unsigned long long)id, (unsigned long long)rd64(pg->p));
    overflow = rd32(pg->p + 12);
    if (overflow >= db->npages - id)
        return bf_error_set(err, EINVAL,
                            "%s: page %llu: %llu overflow pages run past the end (%llu pages)",
                            db->name, (unsigned long long)id, (unsigned long long)overflow,
                            (unsigned long long)db->npages);
    pg->span = (overflow + 1) * db->ps;
    return page_check(db, pg, err);
}

static int bucket_page(const struct bolt_bucket *b, struct page *pg, struct bf_error *err)
{
    if (!b->inl)
        return page_at(b->db, b->root, pg, err);
    *pg = (struct page){.p = b->inl, .span = b->inl_len, .inl = true};
    if (b->inl_len < PAGE_HDR)
        return PAGE_ERR(b->db, pg, err, "%zu bytes, shorter than a page header", b->inl_len);
    return page_check(b->db, pg, err);
}

struct elem {
    const uint8_t *key, *val;
    size_t klen, vlen;
    uint32_t flags; /* leaf */
    uint64_t child; /* branch */
};

static int elem_at(const struct bolt_db *db, const struct page *pg, unsigned i, struct elem *e,
                   struct bf_error *err)
{
    uint64_t base = PAGE_HDR + (uint64_t)i * ELEM_SIZE, start, end;
    const uint8_t *ep = pg->p + base;

    *e = (struct elem){0};
    if (pg->flags & FLAG_BRANCH) {
        start = base + rd32(ep);
        e->klen = rd32(ep + 4);
        e->child = rd64(ep + 8);
        end = start + e->klen;
    } else {
        e->flags = rd32(ep);
        start = base + rd32(ep + 4);
        e->klen = rd32(ep + 8);
        e->vlen = rd32(ep + 12);
        end = start + e->klen + e->vlen;
    }
    if (end > pg->span)
        return PAGE_ERR(db, pg, err, "element %u: key or value past the end of the page", i);
    e->key = pg->p + start;
    e->val = e->key + e->klen;
    return 0;
}

static int keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

/* ---- lookup ---- */

int bolt_get(const struct bolt_bucket *b, const void *key, size_t klen, const uint8_t **val,
             size_t *vlen, bool *is_bucket, bool *found, struct bf_error *err)
{
    struct page pg;
    struct elem e;
    int r;

    *found = false;
    *val = NULL;
    *vlen = 0;
    *is_bucket = false;
    r = bucket_page(b, &pg, err);
    for (unsigned depth = 0; r == 0; depth++) {
        unsigned lo = 0, hi = pg.count;
        if (depth >= BOLT_MAX_DEPTH)
            return PAGE_ERR(b->db, &pg, err, "tree deeper than %d levels", BOLT_MAX_DEPTH);
        /* lo = first element whose key is >= the key looked for */
        while (lo < hi) {
            unsigned mid = lo + (hi - lo) / 2;
            if ((r = elem_at(b->db, &pg, mid, &e, err)) < 0)
                return r;
            if (keycmp(e.key, e.klen, key, klen) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (pg.flags & FLAG_LEAF) {
            if (lo == pg.count)
                return 0;
            if ((r = elem_at(b->db, &pg, lo, &e, err)) < 0)
                return r;
            if (keycmp(e.key, e.klen, key, klen) != 0)
                return 0;
            *found = true;
            *val = e.val;
            *vlen = e.vlen;
            *is_bucket = e.flags & LEAF_BUCKET;
            return 0;
        }
        if (!pg.count)
            return PAGE_ERR(b->db, &pg, err, "branch page without elements");
        /* The child that may hold the key: the exact match, else the one before it. */
        if (lo < pg.count) {
            if ((r = elem_at(b->db, &pg, lo, &e, err)) < 0)
                return r;
            if (keycmp(e.key, e.klen, key, klen) != 0 && lo > 0)
                lo--;
        } else {
            lo--;
        }
        if ((r = elem_at(b->db, &pg, lo, &e, err)) < 0)
            return r;
        r = page_at(b->db, e.child, &pg, err);
    }
    return r;
}

int bolt_bucket_from_value(const struct bolt_bucket *parent, const uint8_t *val, size_t vlen,
                           struct bolt_bucket *out, struct bf_error *err)
{
    const struct bolt_db *db = parent->db;

    if (parent->nesting + 1 > BOLT_MAX_NESTING)
        return bf_error_set(err, EINVAL, "%s: buckets nested deeper than %d", db->name,
                            BOLT_MAX_NESTING);
    if (vlen < 16)
        return bf_error_set(err, EINVAL,
                            "%s: bucket value of %zu bytes is shorter than its 16-byte header",
                            db->name, vlen);
    *out = (struct bolt_bucket){.db = db, .root = rd64(val), .nesting = parent->nesting + 1};
    if (out->root == 0) {
        out->inl = val + 16;
        out->inl_len = vlen - 16;
    }
    return 0;
}

int bolt_bucket(const struct bolt_bucket *b, const char *name, struct bolt_bucket *out, bool *found,
                struct bf_error *err)
{
    const uint8_t *val;
    size_t vlen;
    bool is_bucket;
    int r = bolt_get(b, name, strlen(name), &val, &vlen, &is_bucket, found, err);

    if (r < 0 || !*found)
        return r;
    if (!is_bucket)
        return bf_error_set(err, EINVAL, "%s: %s: not a bucket", b->db->name, name);
    return bolt_bucket_from_value(b, val, vlen, out, err);
}

/* ---- traversal ---- */

struct trav {
    const struct bolt_db *db;
    uint8_t *seen; /* one bit per page: each page is visited at most once */
    int (*leaf)(struct trav *t, void *bctx, const struct bolt_bucket *b, const struct elem *e,
                struct bf_error *err);
    bolt_visit_fn fn; /* bolt_foreach */
    void *ctx;
    bolt_walk_fn wfn; /* bolt_walk */
    struct bolt_name path[BOLT_MAX_NESTING + 1];
};

struct order {
    const uint8_t *prev;
    size_t prevlen;
    bool have;
};

/* Keys a subtree may hold, from its parent branch: [lo, hi); NULL = unbounded. A lookup
 * descends by these keys, so a walk that checks them proves every key it reports is found. */
struct range {
    const uint8_t *lo, *hi;
    size_t lolen, hilen;
};

/* Check a whole page before anything in it is used: every element within the page, keys
 * strictly increasing (for a leaf, also after the bucket's previous key), and within the range
 * its parent gives. A key is reported only once its page is known good, so a lookup of it
 * always finds it. */
static int check_page(struct trav *t, const struct page *pg, const struct order *o,
                      const struct range *rg, struct bf_error *err)
{
    struct elem e, prev = {0};
    int r;

    for (unsigned i = 0; i < pg->count; i++) {
        if ((r = elem_at(t->db, pg, i, &e, err)) < 0)
            return r;
        if (i > 0 && keycmp(e.key, e.klen, prev.key, prev.klen) <= 0)
            return PAGE_ERR(t->db, pg, err, "element %u: key out of order", i);
        if (i == 0 && pg->flags & FLAG_LEAF && o->have &&
            keycmp(e.key, e.klen, o->prev, o->prevlen) <= 0)
            return PAGE_ERR(t->db, pg, err, "element %u: key out of order", i);
        if (rg->hi && keycmp(e.key, e.klen, rg->hi, rg->hilen) >= 0)
            return PAGE_ERR(t->db, pg, err, "element %u: key not below its parent's next key", i);
        if (pg->flags & FLAG_LEAF && rg->lo && keycmp(e.key, e.klen, rg->lo, rg->lolen) < 0)
            return PAGE_ERR(t->db, pg, err, "element %u: key below its parent's key", i);
        prev = e;
    }
    return 0;
}

static int visit_page(struct trav *t, const struct bolt_bucket *b, struct page *pg, unsigned depth,
                      struct order *o, const struct range *rg, void *bctx, struct bf_error *err)
{
    struct elem e, next;
    int r;

    if (!pg->inl) {
        if (t->seen[pg->id / 8] & (1u << (pg->id % 8)))
            return PAGE_ERR(t->db, pg, err, "reached twice (a cycle or a shared page)");
        t->seen[pg->id / 8] |= (uint8_t)(1u << (pg->id % 8));
    }
    if (depth >= BOLT_MAX_DEPTH)
        return PAGE_ERR(t->db, pg, err, "tree deeper than %d levels", BOLT_MAX_DEPTH);
    if ((r = check_page(t, pg, o, rg, err)) < 0)
        return r;
    for (unsigned i = 0; i < pg->count; i++) {
        elem_at(t->db, pg, i, &e, err); /* checked above: cannot fail */
        if (pg->flags & FLAG_BRANCH) {
            struct page child;
            struct range sub = *rg;
            if (i + 1 < pg->count) {
                elem_at(t->db, pg, i + 1, &next, err);
                sub.hi = next.key;
                sub.hilen = next.klen;
            }
            if (i > 0) { /* the first child also holds what sorts before its key */
                sub.lo = e.key;
                sub.lolen = e.klen;
            }
            if ((r = page_at(t->db, e.child, &child, err)) < 0)
                return r;
            if ((r = visit_page(t, b, &child, depth + 1, o, &sub, bctx, err)) != 0)
                return r;
            continue;
        }
        o->prev = e.key;
        o->prevlen = e.klen;
        o->have = true;
        if ((r = t->leaf(t, bctx, b, &e, err)) != 0)
            return r;
    }
    return 0;
}

static int visit_bucket(struct trav *t, const struct bolt_bucket *b, void *bctx,
                        struct bf_error *err)
{
    struct order o = {0};
    struct range all = {0};
    struct page pg;
    int r = bucket_page(b, &pg, err);

    return r < 0 ? r : visit_page(t, b, &pg, 0, &o, &all, bctx, err);
}

static int trav_init(struct trav *t, const struct bolt_db *db, struct bf_error *err)
{
    t->db = db;
    t->seen = calloc(db->npages / 8 + 1, 1);
    if (!t->seen)
        return bf_error_set(err, ENOMEM, "%s: out of memory", db->name);
    return 0;
}

static int foreach_leaf(struct trav *t, void *bctx, const struct bolt_bucket *b,
                        const struct elem *e, struct bf_error *err)
{
    (void)bctx;
    (void)b;
    return t->fn(t->ctx, e->key, e->klen, e->val, e->vlen, e->flags & LEAF_BUCKET, err);
}

int bolt_foreach(const struct bolt_bucket *b, bolt_visit_fn fn, void *ctx, struct bf_error *err)
{
    struct trav t = {.leaf = foreach_leaf, .fn = fn, .ctx = ctx};
    int r = trav_init(&t, b->db, err);

    if (r == 0)
        r = visit_bucket(&t, b, NULL, err);
    free(t.seen);
    return r;
}

static int walk_leaf(struct trav *t, void *bctx, const struct bolt_bucket *b, const struct elem *e,
                     struct bf_error *err)
{
    unsigned depth = b->nesting;
    struct bolt_bucket sub;
    int r;

    (void)bctx;
    r = t->wfn(t->ctx, t->path, depth, e->key, e->klen, e->val, e->vlen, e->flags & LEAF_BUCKET,
               err);
    if (r != 0 || !(e->flags & LEAF_BUCKET))
        return r;
    if ((r = bolt_bucket_from_value(b, e->val, e->vlen, &sub, err)) < 0)
        return r;
    t->path[depth] = (struct bolt_name){e->key, e->klen};
    return visit_bucket(t, &sub, NULL, err);
}

int bolt_walk(const struct bolt_db *db, bolt_walk_fn fn, void *ctx, struct bf_error *err)
{
    struct trav t = {.leaf = walk_leaf, .wfn = fn, .ctx = ctx};
    struct bolt_bucket root;
    int r = trav_init(&t, db, err);

    bolt_root(db, &root);
    if (r == 0)
        r = visit_bucket(&t, &root, NULL, err);
    free(t.seen);
    return r;
}
