/* tree.h - the bundlefs namespace: containers, inodes, versions, the bytes cache.
 *
 * This is the filesystem's model without FUSE: fs/ops.c maps kernel requests onto it, the unit
 * tests drive it directly. Everything it serves comes from spec_bundle_generate().
 *
 * Inodes. The root (1), `by-name` (2), each container's directory and its two symlinks (the
 * by-name link and the ID-prefix link) have numbers that stay the same for as long as the
 * filesystem is mounted. A container's files are versioned: every time a file's bytes change,
 * the file gets a new inode number, as if Docker had replaced it with an atomic rename. So the
 * kernel's page cache and i_size of one inode only ever hold one version, and a process that
 * holds a file open keeps reading exactly the version it opened, however the data-root changes.
 *
 * Memory. A version keeps a small summary (sizes, content hashes, mtime, link targets); the
 * bytes live in a bounded LRU cache. Bytes evicted from it are generated again when next needed
 * and must hash to what the version promised. Bytes looked up or read in the last second are
 * spared up to 4 MiB past the bound, or twice a smaller bound (the read after a lookup, the
 * next read of a file being read), unless every one of their files has been handed to the
 * kernel whole, into the pages of the inode it holds (bfs_read_unpin_whole): then no read
 * waits for them;
 * a version replaced while the kernel still holds one of its files keeps its bytes in a
 * retained pool (up to the bound) until the kernel forgets it. Where the kernel sends opens,
 * an open of an out-of-date inode is served the new bytes with direct I/O (its i_size would be
 * wrong); with zero-message opens (the default) a read of an inode whose bytes can no longer
 * be made fails with ESTALE: only a process that held the file open across a change without
 * reading it for a second, after the kernel dropped its pages, can meet that.
 *
 * A file that cannot be generated has size 1 and its reads fail with EIO (a size of 0 would
 * let the kernel answer reads of it without asking: an empty file instead of the error).
 *
 * Freshness. A version is trusted until the watcher (fs/watch.c) reports a change in one of its
 * input directories, or, where nothing watches, for `trust_ms` after it was last validated.
 * Validation re-stats the recorded inputs (ls_inputs_changed) and regenerates only when one
 * changed.
 */
#ifndef BFS_TREE_H
#define BFS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bf_error.h"
#include "layerstore.h"
#include "spec.h"

#define BFS_ROOT_INO 1
#define BFS_BYNAME_INO 2
#define BFS_BYNAME_DIR "by-name"

/* A container's files: the spec files plus `error`. */
enum bfs_file {
    BFS_FILE_CONFIG = SPEC_FILE_CONFIG,
    BFS_FILE_CREATEOPTIONS = SPEC_FILE_CREATEOPTIONS,
    BFS_FILE_LAYERPATHS = SPEC_FILE_LAYERPATHS,
    BFS_FILE_UTILITYVM = SPEC_FILE_UTILITYVM, /* a symlink */
    BFS_FILE_MOUNTOPTS = SPEC_FILE_MOUNTOPTS,
    BFS_FILE_ERROR = SPEC_FILE_COUNT,
    BFS_FILE_COUNT,
};

enum bfs_type { BFS_DIR, BFS_REG, BFS_LNK };

struct bfs_attr {
    uint64_t ino;
    enum bfs_type type;
    mode_t perm; /* permission bits only */
    uid_t uid;
    gid_t gid;
    uint64_t size;
    int64_t mtime_ns;
    /* The watcher invalidates this entry (keep_entry) or these attributes (keep_attr) when they
     * change, so the kernel may cache them for long; otherwise only for the short timeout. */
    bool keep_entry, keep_attr;
};

struct bfs_dirent {
    char *name;
    uint64_t ino;
    enum bfs_type type;
    uint64_t off;   /* where a listing resumes after this entry */
    bool looked_up; /* bfs_readdir with `plus`: attr is set and counts as a lookup */
    struct bfs_attr attr;
};

struct bfs_dirlist {
    struct bfs_dirent *v;
    size_t n;
};

struct bfs_tree_options {
    struct ls_options ls;     /* driver, hostroot */
    struct spec_options spec; /* format, compact, isolation, credspec registry, cpus */
    unsigned trust_ms;        /* how long a version is trusted without a watcher; 0 = 1000 */
    size_t cache_bytes;       /* bytes cache bound; 0 = 16 MiB */
};

/* Where the watcher is told which directories a version read from. */
struct bfs_watch_ops {
    /* Watch directory `rel` (relative to R, "" for R itself). Returns 1 when a new watch was
     * added, 0 when it was already watched, < 0 when it cannot be watched (the caller then
     * falls back to time-based validation for the version). */
    int (*add)(void *ctx, const char *rel);
    void *ctx;
};

struct bfs_tree;
struct bfs_handle;

int bfs_tree_new(const char *dataroot, const struct bfs_tree_options *opts, struct bfs_tree **out,
                 struct bf_error *err);
void bfs_tree_free(struct bfs_tree *t);
void bfs_tree_set_watch(struct bfs_tree *t, const struct bfs_watch_ops *ops);
/* Open directory `rel` of the data-root in use (O_PATH, no link followed), for the watcher. */
int bfs_tree_open_dir(struct bfs_tree *t, const char *rel, struct bf_error *err);

/* Requests. All return 0 or a negative errno; messages worth logging go to the log callback.
 * lookup and the dirent inodes count a kernel reference (nlookup) that forget() drops. */
int bfs_lookup(struct bfs_tree *t, uint64_t parent, const char *name, struct bfs_attr *out);
void bfs_forget(struct bfs_tree *t, uint64_t ino, uint64_t nlookup);
int bfs_getattr(struct bfs_tree *t, uint64_t ino, struct bfs_attr *out);
int bfs_readlink(struct bfs_tree *t, uint64_t ino, char **target); /* malloc'd */
/* *unchanged: the listing is the one this directory gave last time, so the kernel may keep
 * what it cached of it. */
int bfs_opendir(struct bfs_tree *t, uint64_t ino, struct bfs_dirlist **out, bool *unchanged);
/* Without an open (the kernel lists directories itself and caches what it read): at most
 * `max` entries of directory `ino` after offset `after` (0: from the start). A listing read
 * in several calls is one snapshot of the root or by-name (listing.c). With `plus`,
 * the files of a container's folder come with their attributes, each counted as a lookup
 * (looked_up; whatever the caller does not pass on it must bfs_forget). */
int bfs_readdir(struct bfs_tree *t, uint64_t ino, uint64_t after, size_t max, bool plus,
                struct bfs_dirlist **out);
void bfs_dirlist_free(struct bfs_dirlist *l);

/* Open a regular file: the handle pins one version's bytes (generated again now if they were
 * evicted), so every read of this open is one snapshot. *direct_io is set when the inode is
 * out of date and the open is served the current bytes (see Memory above). */
int bfs_open(struct bfs_tree *t, uint64_t ino, struct bfs_handle **h, bool *direct_io);
/* The bytes of an open handle, held (pinned) until bfs_read_unpin: a read's reply never
 * outlives what it sends. */
struct bfs_pin;
int bfs_read_pin(struct bfs_tree *t, struct bfs_handle *h, const char **data, size_t *len,
                 struct bfs_pin **pin);
void bfs_read_unpin(struct bfs_tree *t, struct bfs_pin *pin);
/* bfs_read_unpin, after a read without a handle or a store that handed the kernel inode
 * `ino`'s whole file (its first byte through its last) into its page cache: those bytes are
 * no longer awaited for that file, so the cache's grace period stops sparing them for it. */
void bfs_read_unpin_whole(struct bfs_tree *t, struct bfs_pin *pin, uint64_t ino);
void bfs_release(struct bfs_tree *t, struct bfs_handle *h);
/* Zero-message opens: the kernel opens files itself and reads come without a handle. Pins the
 * bytes of the version inode `ino` stands for (generated again when evicted; -ESTALE when they
 * can no longer be made), -EIO for a file that failed, -ENOENT when its container is gone. */
int bfs_read_ino(struct bfs_tree *t, uint64_t ino, const char **data, size_t *len,
                 struct bfs_pin **pin);

/* The other regular files of the version inode `ino` stands for that the kernel holds (looked
 * up, or listed with attributes) and that it has neither read nor been given (at most `max`
 * inodes into `out`); with `claim` they count as given from now on. What the pusher (push.h)
 * stores into the kernel's page cache when one file of a container is read. */
size_t bfs_file_siblings(struct bfs_tree *t, uint64_t ino, bool claim, uint64_t *out, size_t max);

/* Readahead on or off (off by default; bfs_tree_free turns it off): while requests ask for
 * containers one after the other in the root's listing order, a thread of the tree's own makes
 * the next two before they are asked for (ahead.c). */
int bfs_tree_readahead(struct bfs_tree *t, bool on);

/* ---- change notification (called by the watcher thread, never from a request) ---- */

/* What the kernel caches is dropped through inval(ctx, parent, name): the entry `name` of
 * directory `parent`, or with name NULL what it keeps of directory `parent` itself (its
 * attributes and its listing). Never called with the tree's lock held. */
typedef void (*bfs_inval_fn)(void *ctx, uint64_t parent, const char *name);

/* Something changed in watched directory `dir_rel` (entry `name`, may be NULL). Marks what
 * depends on it stale and drops the kernel's entries and attributes for it. */
void bfs_tree_changed(struct bfs_tree *t, const char *dir_rel, const char *name, bfs_inval_fn inval,
                      void *ctx);
/* The same, knowing what happened: BFS_EV_CREATED when `name` was made (it did not exist
 * before, so nothing generated can have read it), 0 when unknown (any change). */
#define BFS_EV_CREATED 1u
void bfs_tree_changed_how(struct bfs_tree *t, const char *dir_rel, const char *name, unsigned how,
                          bfs_inval_fn inval, void *ctx);
/* Drop the kernel's cached listing of every container folder listed since the last sweep
 * whose version changed since, or that the watcher does not fully cover (the watcher thread
 * calls this once a second). */
void bfs_tree_sweep(struct bfs_tree *t, bfs_inval_fn inval, void *ctx);
/* Everything may have changed (watch queue overflow, unknown watch, data-root replaced):
 * every container is stale and every entry of it the kernel may hold is dropped. */
void bfs_tree_changed_all(struct bfs_tree *t, bfs_inval_fn inval, void *ctx);
/* Tell the kernel to drop the by-name entries taken back since the last call (names given
 * with the long entry timeout whose container changed or left; the watcher thread calls this
 * after every batch of events and once a second). */
void bfs_tree_names_drain(struct bfs_tree *t, bfs_inval_fn inval, void *ctx);
/* Re-check that the data-root path still names the directory in use; reopen it when it was
 * replaced, serve an empty root while it is missing. Returns true when the store changed. */
bool bfs_tree_check_root(struct bfs_tree *t);

/* ---- logging ---- */
void bfs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bfs_log_use_syslog(bool on);

/* ---- statistics, for tests and benchmarks ---- */
struct bfs_stats {
    uint64_t generations;    /* spec_bundle_generate calls */
    uint64_t validations;    /* input re-stat passes */
    uint64_t versions;       /* versions created */
    uint64_t name_reads;     /* config.v2.json names read for the by-name index */
    uint64_t readahead;      /* containers made ahead of a walk (bfs_tree_readahead) */
    uint64_t events_ignored; /* watcher events that concern no bundle (the layers' folder, logs) */
    uint64_t trims;          /* free heap pages given back after the cache let go (bytes.c) */
    size_t cache_bytes;      /* bytes currently in the cache */
    size_t retained_bytes;   /* bytes of superseded versions the kernel may still read */
    size_t containers;       /* containers known */
    size_t nodes;            /* inodes the kernel holds */
};
void bfs_tree_stats(struct bfs_tree *t, struct bfs_stats *out);

#endif
