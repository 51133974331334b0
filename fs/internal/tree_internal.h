/* tree_internal.h - what the rooms of the namespace library (the bundlefs-fs library's sources
 * but watch.c and log.c) share: its objects, the tree, and the rules for its lock. Nothing
 * outside them includes it; tree.h is the library's face.
 *
 * Lock order: bfs_watch.lock (watch.c) -> bfs_tree.lock -> layerstore's cache lock. The watcher
 * holds its lock while it opens a folder through bfs_tree_open_dir, so the tree never calls
 * watch.add with its lock held; under the tree lock only layerstore's image cache is told of
 * changes (layerstore_cache_invalidate, _set_trust, _may_use_layer).
 *
 * bfs_tree.lock guards every table, refcount and version field; ctr.cond and ahead.cond wait
 * on it. No data-root I/O, no watch and no kernel invalidation runs with it held: generation,
 * validation, listings and name reads drop it and hold a store reference (store_hold), and
 * invalidations are collected under it and sent after it is released (the kernel may be
 * waiting for a request of ours that needs it). A container generates on one thread at a time
 * (`generating` + its condition variable), so concurrent readers of one container wait for one
 * generation instead of repeating it. Functions named ..._locked expect the lock held, and in
 * debug builds assert it (tree_assert_locked). A line logged with it held (a new version's
 * errors, an ESTALE read, a data-root gone or back) waits in the tree (tree_log_locked) and is
 * written by whoever releases the lock next, after releasing it.
 *
 * Ownership: the container table and the kernel's inodes (nodes) hold containers; a container
 * holds its current version; file nodes hold the version they stand for; the LRU and open
 * handles hold bytes. Versions point back to their container and bytes to their version
 * without a reference (the pointer is cleared when the target goes).
 */
#ifndef BFS_TREE_INTERNAL_H
#define BFS_TREE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "bf_util.h"
#include "hex.h"
#include "htab.h"
#include "tree.h"

struct stat;

#define DEFAULT_TRUST_MS 1000
#define DEFAULT_CACHE_BYTES (16u << 20)
#define FIRST_DYNAMIC_INO 16
#define REGENERATE_TRIES 3
#define FAILED_FILE_SIZE 1 /* tree.h: a size the kernel must ask about */
/* Bytes looked up or read within the grace period are evicted only once the cache holds its
 * bound plus GRACE_EXTRA_MAX (or twice the bound, when smaller): the kernel opens files
 * without telling us, so the read that follows a lookup, and the next read of a file being
 * read, should find its version's bytes (tree.h, Memory). The extra is fixed, not a multiple
 * of the bound: a walk that reads faster touches more bytes within a second, and none of them
 * needs sparing for long. Bytes whose files have all been handed to the kernel whole are not
 * spared: no read is waiting for them (bytes.c, delivered). */
#define GRACE_NS 1000000000
#define GRACE_EXTRA_MAX (4u << 20)
/* A walk through a cache at its bound frees a bundle for each one it makes, and glibc keeps the
 * freed pages in the middle of its heap resident (only its top is given back by itself): once
 * the cache has let go of an eighth of its bound, the thread releasing the lock gives the free
 * pages back (malloc_trim), at most every TRIM_GAP_NS, so the daemon's resident memory follows
 * what is live while it churns, not only at the watcher's periodic trim. */
#define TRIM_GAP_NS 50000000

/* Readahead (bfs_tree_readahead): how many containers past the one being read are made. */
#define AHEAD_DEPTH 2

#define NAMES_DIRTY_MAX 256 /* containers renamed between two name indexes, before a full one */

#define RECHECK_MAX 64 /* listed containers looked at again by the next listing, at most */

struct version;

struct bytes {
    unsigned refs;
    struct spec_bundle *b;
    size_t cost;
    struct version *owner; /* weak */
    struct bytes *prev, *next;
    bool in_lru;
    bool retained;   /* of a superseded version the kernel still holds (version_retire_locked) */
    int64_t used_ns; /* last lookup or read */
};

struct file_sum {
    uint64_t hash;
    uint64_t size : 62;
    uint64_t present : 1; /* listed in the directory */
    uint64_t failed : 1;  /* could not be generated: size 1 (FAILED_FILE_SIZE), reads give EIO */
};

/* The kernel's inodes (nodes) are counted where they belong, with no object of their own:
 * every container and every version owns a block of INO_BLOCK inode numbers (a container its
 * folder, by-name link and prefix link, INO_DIR.. below; a version its files, by enum
 * bfs_file) and keeps the kernel's lookup count of each (nlookup). While one of them is
 * counted, the block is in the tree's inode table (bfs_tree.nodes, keyed by the block's first
 * number) and holds a reference to its owner (a version's block to its container too). A count
 * that reaches UINT32_MAX stays there: that inode is kept until unmount rather than forgotten
 * while the kernel may still hold it. */
#define INO_BLOCK 8
#define INO_DIR 0
#define INO_BYNAME 1
#define INO_PREFIX 2
#define CTR_INOS 3
_Static_assert(BFS_FILE_COUNT <= INO_BLOCK, "a version's files fit in its block");
_Static_assert(FIRST_DYNAMIC_INO % INO_BLOCK == 0, "blocks are aligned");

struct iblock {
    struct hlink h;
    bool is_version;
    uint8_t held; /* inodes of the block with a count */
};

struct ctr;

struct version {
    struct iblock ib;
    unsigned refs;
    uint32_t nlookup[BFS_FILE_COUNT];
    struct ctr *ctr; /* weak: the container outlives its versions' users (nodes hold both) */
    uint64_t base_ino;
    struct file_sum f[BFS_FILE_COUNT];
    const char *uvm;  /* utilityvm link target, NULL when none (interned: struct istr) */
    const char *name; /* container name, NULL when unknown (in the version's own block) */
    int64_t mtime_ns;
    uid_t uid;
    gid_t gid;
    uint16_t group; /* 0040 when config.v2.json is group-readable */
    bool watched;
    bool failed;    /* a file failed: generated again after the trust period, never validated by
                       stamps, so a transient failure (EIO, ENOMEM, ...) heals on its own */
    uint8_t served; /* 1 << file: read by the kernel, or pushed to it (bfs_file_siblings) */
    uint8_t delivered; /* 1 << file: handed to the kernel whole (bfs_read_unpin_whole) */
    struct bytes *bytes;
    /* freshness */
    uint64_t epoch, events, store_gen;
    int64_t validated_ns;
    char name_buf[]; /* name */
};

/* A string many versions share (the utilityvm link target: the base layer's folder), kept
 * once in bfs_tree.strs while a version refers to it. */
struct istr {
    struct hlink h;
    unsigned refs;
    char s[];
};
_Static_assert(BFS_FILE_COUNT <= 8, "served has a bit per file");

/* File f of v is one whose bytes a read would be answered with: a regular file listed, made,
 * not empty (what the pusher stores and what must reach the kernel before v's bytes can go). */
static inline bool version_file_has_bytes(const struct version *v, int f)
{
    return f != BFS_FILE_UTILITYVM && v->f[f].present && !v->f[f].failed && v->f[f].size;
}

struct ctr {
    struct hlink h; /* the container table, by ID */
    struct iblock ib;
    uint64_t ino; /* its block: directory; +1 the by-name link; +2 the prefix link */
    uint64_t events;
    struct version *cur;
    uint64_t listed;      /* hash of the directory's last listing, 0: none yet */
    uint64_t listed_base; /* base_ino of the version last listed, 0: none since the sweep */
    unsigned refs;
    uint32_t nlookup[CTR_INOS];
    char id[LS_ID_LEN + 1];
    bool in_table;
    bool generating;  /* bfs_tree.gen_cond tells when it ends */
    bool dir_watched; /* containers/<id> is watched: its attributes can be kept long */
    bool has_mount_id;
    /* its layer folder's name (64 hex digits), from its last generation */
    uint8_t mount_id[LS_ID_LEN / 2];
    /* The by-name name the kernel was given for it with the long entry timeout (byname.c),
     * NULL: none. Invalidated by name when anything of its folder changes or it leaves. */
    char *byname_given;
    struct hlink given_h; /* in tree_names.given by that name, while it is set */
};
#define CTR_OF_GIVEN(l) ((struct ctr *)((char *)(l)-offsetof(struct ctr, given_h)))

enum node_kind { N_DIR, N_FILE, N_BYNAME_LINK, N_PREFIX_LINK };

/* What one inode the kernel holds stands for (node_find_locked). */
struct node {
    uint64_t ino;
    enum node_kind kind;
    enum bfs_file file;
    struct ctr *ctr;
    struct version *ver; /* N_FILE only */
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

struct name_ent {
    char *name; /* NULL: no usable name (unreadable, empty, not a safe file name) */
    char id[LS_ID_LEN + 1];
};

/* An immutable, shared snapshot of the sorted container IDs (one block: no allocation, pointer
 * or allocator overhead per ID). */
struct idlist {
    unsigned refs;
    char (*v)[LS_ID_LEN + 1];
    size_t n;
    char **pending; /* folders Docker may still be writing (layerstore_container_pending),
                       left out of v and looked at again at the next listing */
    size_t n_pending;
    uint64_t gen; /* which listing: readdir offsets name it (listing_off) */
    uint64_t epoch, store_gen;
    int64_t built_ns;
};

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

/* The data-root in use (root.c). */
struct tree_root {
    struct store *store; /* NULL while the data-root is missing */
    uint64_t store_gen;  /* bumped when the store is replaced */
    bool missing_logged;
    int64_t checked_ns; /* the last look at the data-root path */
};

/* The bounded bytes cache (bytes.c). */
struct tree_cache {
    struct bytes lru; /* sentinel: lru.next is the most recently used */
    size_t bytes;     /* in the LRU */
    size_t retained;  /* bytes of superseded versions, outside the LRU, at most its bound */
    size_t freed;       /* bytes let go since the last trim (bytes_evict_locked) */
    int64_t trimmed_ns; /* when the last trim was asked for */
    bool trim_due;      /* tree_release trims once the lock is released */
};

/* The root's listings (ids.c): the current one and the one before it (NULL: none), so that a
 * listing read in several requests is read from one snapshot. */
struct tree_ids {
    struct idlist *cur, *prev;
    /* Before the first listing: the IDs as listed, none looked at (lookup_prefix). */
    struct idlist *raw;
    uint64_t epoch;      /* bumped when containers/ itself changed: a container came or went */
    int64_t resynced_ns; /* the sweep's last check of the table against containers/ */
    /* listed containers that may be none now (State.Dead, a file gone): looked at again by the
     * next listing (all of them when there were more than fit) */
    char recheck[RECHECK_MAX][LS_ID_LEN + 1];
    size_t n_recheck;
    bool recheck_all;
    /* One listing at a time (ids_get): a listing takes the rechecks and trusts cur for the
     * rest, so one started beside another would miss the other's rechecks. */
    bool building;
    pthread_cond_t built; /* with the lock: building went false */
    uint64_t listed;      /* hash of the root's last listing, 0: none yet */
};

/* by-name's listings (byname.c), as the root's. */
struct tree_names {
    struct namelist *cur, *prev;
    uint64_t epoch; /* bumped when anything under containers/ changed (names live there) */
    /* Containers whose folder changed since the last name index: only they are read again
     * (all of them after an overflow, without the watcher, or on a new data-root). */
    char dirty[NAMES_DIRTY_MAX][LS_ID_LEN + 1];
    size_t ndirty;
    bool dirty_all;
    /* One index is built at a time (names_get): a build takes the marks and reuses the rest
     * of cur, so one started beside another would miss the other's marks. */
    bool building;
    pthread_cond_t built; /* with the lock: building went false */
    uint64_t listed;      /* hash of by-name's last listing, 0: none yet */
    /* Names given with the long entry timeout (ctr.byname_given): how many, and those taken
     * back, for the watcher thread to tell the kernel (names_drain). `inval` always has room
     * for every given name besides those queued, so taking one back never fails. */
    size_t n_given;
    struct htab given; /* the containers with a given name, by that name */
    char **inval;
    size_t n_inval, cap_inval;
};

/* Readahead (ahead.c). */
struct tree_ahead {
    bool running, stop;
    pthread_t thread;
    pthread_cond_t cond;                   /* with the tree's lock */
    char want[AHEAD_DEPTH][LS_ID_LEN + 1]; /* containers to make, nearest first */
    size_t n_want;
    bool have_last; /* the last container a request asked for, in the root's listing */
    uint64_t last_gen;
    size_t last_idx;
};

struct bfs_tree {
    pthread_mutex_t lock; /* see the top of this file; only through tree_lock/tree_unlock */
#ifdef BFS_LOCK_CHECKS
    unsigned long lock_owner; /* the pthread_self() holding lock, 0 when none */
#endif
    char *dataroot;
    struct bfs_tree_options opts;
    int64_t trust_ns;
    int64_t mounted_ns; /* CLOCK_REALTIME: the mtime of the root and by-name */
    struct tree_root root;
    struct htab nodes, ctrs; /* inode blocks (struct iblock), containers by ID */
    struct htab strs;        /* interned strings (struct istr) */
    uint64_t next_ino;
    pthread_cond_t gen_cond; /* with the lock: a container's generation ended */
    uint64_t epoch;          /* bumped when a shared input may have changed */
    struct tree_cache cache;
    struct bfs_watch_ops watch;
    unsigned watch_calls;      /* calls of watch.add in flight (watch_begin) */
    pthread_cond_t watch_cond; /* with the lock: the last of them ended */
    uint64_t list_gen;         /* the last listing made, of the root or by-name (listing_off) */
    struct tree_ids ids;
    struct tree_names names;
    struct tree_ahead ahead;
    struct bfs_stats stats;
    char *log_pending; /* lines logged with the lock held, '\n'-separated (tree_log_locked) */
    size_t log_len;
    unsigned log_dropped; /* lines past LOG_PENDING_MAX, said when written */
};

/* The tree lock. With BFS_LOCK_CHECKS (fs/meson.build: debug and sanitizer builds) the thread
 * holding it is recorded beside it, and every ..._locked function asserts that it is the
 * caller (tree_assert_locked). */
/* The mutex released, then the lines logged while it was held written (tree_log_locked). */
void tree_log_flush(char *lines, unsigned dropped);
/* malloc_trim(0), with the lock released (tree_cache.trim_due). */
void tree_malloc_trim(void);

static inline void tree_release(struct bfs_tree *t)
{
    char *lines = t->log_pending;
    unsigned dropped = t->log_dropped;
    bool trim = t->cache.trim_due;

    if (__builtin_expect(lines != NULL || dropped || trim, 0)) { /* no stores on the usual unlock */
        t->log_pending = NULL;
        t->log_len = 0;
        t->log_dropped = 0;
        t->cache.trim_due = false;
    }
    pthread_mutex_unlock(&t->lock);
    if (lines || dropped)
        tree_log_flush(lines, dropped);
    if (trim)
        tree_malloc_trim();
}

#ifdef BFS_LOCK_CHECKS
_Static_assert(sizeof(pthread_t) == sizeof(unsigned long), "pthread_t is an unsigned long");
void tree_lock_violation(const char *func, bool held) __attribute__((noreturn));

static inline void tree_lock(struct bfs_tree *t)
{
    pthread_mutex_lock(&t->lock);
    __atomic_store_n(&t->lock_owner, (unsigned long)pthread_self(), __ATOMIC_RELAXED);
}

static inline void tree_unlock(struct bfs_tree *t)
{
    __atomic_store_n(&t->lock_owner, 0, __ATOMIC_RELAXED);
    tree_release(t);
}

static inline void tree_wait(struct bfs_tree *t, pthread_cond_t *cond)
{
    __atomic_store_n(&t->lock_owner, 0, __ATOMIC_RELAXED);
    pthread_cond_wait(cond, &t->lock);
    __atomic_store_n(&t->lock_owner, (unsigned long)pthread_self(), __ATOMIC_RELAXED);
}

/* Only the holder ever stores its own id, so another thread's store cannot make this pass. */
#define tree_assert_locked(t)                                                                      \
    do {                                                                                           \
        if (__atomic_load_n(&(t)->lock_owner, __ATOMIC_RELAXED) != (unsigned long)pthread_self())  \
            tree_lock_violation(__func__, false);                                                  \
    } while (0)
/* For what does I/O or takes the lock: this thread must not hold it. */
#define tree_assert_unlocked(t)                                                                    \
    do {                                                                                           \
        if (__atomic_load_n(&(t)->lock_owner, __ATOMIC_RELAXED) == (unsigned long)pthread_self())  \
            tree_lock_violation(__func__, true);                                                   \
    } while (0)
#else
static inline void tree_lock(struct bfs_tree *t)
{
    pthread_mutex_lock(&t->lock);
}

static inline void tree_unlock(struct bfs_tree *t)
{
    tree_release(t);
}

static inline void tree_wait(struct bfs_tree *t, pthread_cond_t *cond)
{
    pthread_cond_wait(cond, &t->lock);
}

#define tree_assert_locked(t) ((void)(t))
#define tree_assert_unlocked(t) ((void)(t))
#endif

/* bfs_log for a caller that holds the lock: the line is written once the lock is released. */
void tree_log_locked(struct bfs_tree *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static inline int64_t trust_ns(const struct bfs_tree *t)
{
    return t->trust_ns;
}

/* The names of a container's files, by enum bfs_file. */
extern const char *const file_names[BFS_FILE_COUNT];

/* root.c */
struct ctrs_mode ctrs_stat(struct layerstore *ls);
struct store *store_open(const char *dataroot, const struct ls_options *opts, int64_t trust,
                         struct bf_error *err);
void store_unref_locked(struct store *s);
struct store *store_hold(struct bfs_tree *t);
void store_release(struct bfs_tree *t, struct store *s);
void apply_cache_trust_locked(struct bfs_tree *t, struct store *s);
bool dir_exists(const struct store *s, const char *parent, const char *id);
bool config_stat(const struct store *s, const char *id, struct stat *st);
void maybe_check_root(struct bfs_tree *t);

/* bytes.c */
void lru_unlink_locked(struct bfs_tree *t, struct bytes *b);
void bytes_unref_locked(struct bytes *b);
void bytes_evict_locked(struct bfs_tree *t, struct bytes *b);
void bytes_touch_locked(struct bfs_tree *t, struct bytes *b);
int bytes_attach_locked(struct bfs_tree *t, struct version *v, struct spec_bundle *b);

/* tree.c: the watcher called without the tree lock. watch_begin copies the ops under it and
 * counts the call in flight (false, and nothing to end, without a watcher); bfs_tree_set_watch
 * waits for those before it returns, so the watcher's context outlives every call of it. */
bool watch_begin(struct bfs_tree *t, struct bfs_watch_ops *ops);
void watch_end(struct bfs_tree *t);
int tree_watch_add(struct bfs_tree *t, const char *rel); /* -ENOSYS without a watcher */

/* inode.c */
void version_free(struct bfs_tree *t, struct version *v);
const char *istr_get_locked(struct bfs_tree *t, const char *s);
void istr_put_locked(struct bfs_tree *t, const char *s);
void inodes_free_locked(struct bfs_tree *t);
void version_unref_locked(struct bfs_tree *t, struct version *v);
void version_retire_locked(struct bfs_tree *t, struct version *v);
void ctr_unref_locked(struct bfs_tree *t, struct ctr *c);
struct ctr *ctr_find_locked(struct bfs_tree *t, const char *id);
struct ctr *ctr_get_locked(struct bfs_tree *t, const char *id);
void ctr_remove_locked(struct bfs_tree *t, struct ctr *c);
bool node_find_locked(struct bfs_tree *t, uint64_t ino, struct node *out);
int node_ref_locked(struct bfs_tree *t, uint64_t ino, enum node_kind kind, enum bfs_file file,
                    struct ctr *c, struct version *v);
bool version_watched_locked(const struct bfs_tree *t, const struct version *v);
void attr_static_dir(struct bfs_tree *t, uint64_t ino, struct bfs_attr *a);
/* The attributes of c's folder from config.v2.json's stat (NULL: none), taken by the caller
 * with the lock released (ctr_config_stat). */
int attr_ctr_dir_locked(struct bfs_tree *t, struct ctr *c, const struct stat *cst,
                        struct bfs_attr *a);
bool ctr_config_stat(struct bfs_tree *t, const char *id, struct stat *st);
void attr_file_locked(const struct bfs_tree *t, const struct version *v, enum bfs_file f,
                      struct bfs_attr *a);
void attr_link(const struct bfs_tree *t, const struct ctr *c, enum node_kind kind,
               struct bfs_attr *a);

/* version.c */
bool version_ready_locked(const struct bfs_tree *t, const struct version *v, bool need_bytes,
                          int64_t now);
int ctr_current_locked(struct bfs_tree *t, struct ctr *c, bool need_bytes, struct version **out);

/* ahead.c */
void ahead_note_locked(struct bfs_tree *t, const struct ctr *c);

/* ids.c */
size_t idlist_lower_bound(const struct idlist *ids, const char *key);
bool in_list(char **v, size_t n, const char *id);
bool in_idlist(const struct idlist *l, const char *id);
bool index_fresh_locked(const struct bfs_tree *t, uint64_t epoch, uint64_t now_epoch,
                        uint64_t store_gen, bool watched, int64_t built_ns, int64_t now);
void idlist_unref_locked(struct idlist *l);
int ids_get(struct bfs_tree *t, bool relist, struct idlist **out);
int lookup_prefix(struct bfs_tree *t, const char *name, char full[LS_ID_LEN + 1]);
bool ctr_exists(struct bfs_tree *t, const char *id, bool listed);
bool is_hex(const char *s, size_t maxlen);

/* byname.c */
void namelist_unref_locked(struct namelist *l);
void names_mark_locked(struct bfs_tree *t, const char *id);
int names_get(struct bfs_tree *t, struct namelist **out);
/* May the kernel keep by-name's entry `name` (container c, from index l) for the long
 * timeout? When it may, the name is recorded on c for names_take_back_locked. */
bool names_give_locked(struct bfs_tree *t, const struct namelist *l, struct ctr *c,
                       const char *name);
/* c's given name, if any, queued for the watcher thread to invalidate (bfs_tree_names_drain). */
void names_take_back_locked(struct bfs_tree *t, struct ctr *c);
/* The same for every container but `keep` whose given name is `name` (NULL: any name). */
void names_take_back_all_locked(struct bfs_tree *t, const char *name, const struct ctr *keep);

/* lookup.c */
int lookup_root(struct bfs_tree *t, const char *name, bool listed, struct bfs_attr *out);

#endif
