/* bf_file.h - the only way bundlefs opens anything inside a data-root.
 *
 * Every path is relative to the data-root's dirfd and is resolved without following a single
 * symbolic link (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH, or a component-by-component
 * O_NOFOLLOW walk where openat2 is missing). Files are opened O_NONBLOCK and must be regular
 * files, so a FIFO or device node planted in a data-root is refused, never read or blocked on.
 * Reads are capped: a file larger than the cap is an error, never a huge allocation.
 */
#ifndef BF_FILE_H
#define BF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "bf_error.h"

/* Identity and version of one input file, as seen when it was read. */
struct bf_stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;
    mode_t mode;  /* the type and permission bits seen (0 when absent) */
    bool exists;  /* false: the path was probed and absent (its appearance is a change too) */
    bool beneath; /* reached with no link in any component (an open beneath, not fstatat) */
};

/* The stamp of what `st` describes; `beneath` as above. */
void bf_stamp_from_stat(struct bf_stamp *stamp, const struct stat *st, bool beneath);

/* Caps on what is read from a data-root (bytes). */
#define BF_CAP_JSON (16u << 20) /* config.v2.json, hostconfig.json, image configs, repositories */
#define BF_CAP_SMALL (4096u)    /* layerdb one-liners: diff, cache-id, parent, mount-id, ... */

/* Open `rel` (a '/'-separated path relative to dirfd, no leading '/', no ".." escaping)
 * without following symlinks. `flags` are added to O_RDONLY|O_CLOEXEC|O_NOFOLLOW (use
 * O_DIRECTORY for directories, O_PATH to probe). Returns an fd or -errno; on failure err says
 * "<rel>: <what is wrong>". */
int bf_open_beneath(int dirfd, const char *rel, int flags, struct bf_error *err);

/* An O_PATH descriptor of `rel` itself, never following a link: a symbolic link as the last
 * component is handed back (for fstat and readlinkat(fd, "")), one in a middle component is
 * ELOOP as above. Only layerstore/rootfs.c wants the link itself; everyone else refuses it. */
int bf_open_entry_beneath(int dirfd, const char *rel, struct bf_error *err);

/* Read a whole regular file of at most `cap` bytes. The buffer is NUL-terminated (not counted
 * in *len). `stamp` (nullable) receives the identity of what was read. */
int bf_read_file(int dirfd, const char *rel, size_t cap, char **buf, size_t *len,
                 struct bf_stamp *stamp, struct bf_error *err);

/* Read a one-line layerdb file (diff, cache-id, parent, mount-id, ...): whitespace trimmed at
 * both ends as Docker's TrimSpace does. Empty content is an error ("<rel>: file is empty"). */
int bf_read_line(int dirfd, const char *rel, char **out, struct bf_stamp *stamp,
                 struct bf_error *err);

/* Stat `rel` without following symlinks. *exists=false (and 0 returned) when it is absent. */
int bf_stat_beneath(int dirfd, const char *rel, struct bf_stamp *stamp, mode_t *mode,
                    struct bf_error *err);

/* An O_PATH descriptor of the folder `rel` (O_DIRECTORY: a link there is ENOTDIR, so no fstat
 * is needed to refuse it). -errno, err set as bf_open_beneath sets it. */
int bf_open_dir_beneath(int dirfd, const char *rel, struct bf_error *err);

/* bf_stat_beneath of `rel`, whose last component `name` is looked up in `dirfd`, a descriptor
 * of rel's folder opened beneath the data-root (no link on the way, nothing more to check):
 * one fstatat. The same answers and messages. */
int bf_stat_in(int dirfd, const char *name, const char *rel, struct bf_stamp *stamp, mode_t *mode,
               struct bf_error *err);

/* Re-stat and compare: true when the file changed, appeared or vanished since `old`. */
bool bf_stamp_changed(int dirfd, const char *rel, const struct bf_stamp *old);

/* Validators for strings that become path components. */
bool bf_is_hex64(const char *s);              /* exactly 64 of [0-9a-f] */
bool bf_is_digest(const char *s);             /* "sha256:" + hex64 */
bool bf_is_cache_id(const char *s);           /* ^[a-f0-9]{64}(-init)?$ */
bool bf_is_safe_component(const char *s);     /* non-empty, no '/', '\\', NUL; not "." or ".." */

#endif
