/* watch.h - one inotify watcher thread that tells the tree what changed in the data-root.
 *
 * The tree asks it to watch every directory a generation read from (and their parents); each
 * event marks what depends on that directory stale, and the kernel's cached entries for the
 * affected container are dropped through `inval`, from this thread only, never from inside a
 * request handler (libfuse doc/README.notifications). The thread also re-checks once a second
 * that the data-root path still names the directory in use.
 *
 * When a watch cannot be added (fs.inotify.max_user_watches reached, a data-root on a network
 * filesystem whose changes inotify never sees) the versions concerned fall back to time-based
 * validation (tree.h), so correctness never depends on inotify.
 */
#ifndef BFS_WATCH_H
#define BFS_WATCH_H

#include <stdint.h>

#include "bf_error.h"
#include "tree.h"

struct bfs_watch;

/* Ask the watcher thread to log the daemon's figures (containers, kernel inodes, cache bytes,
 * malloc's bytes in use) within a second: async-signal-safe (bundlefs's SIGUSR1). */
void bfs_watch_request_stats(void);

int bfs_watch_start(struct bfs_tree *t, bfs_inval_fn inval, void *ctx, struct bfs_watch **out,
                    struct bf_error *err);
void bfs_watch_stop(struct bfs_watch *w); /* also detaches it from the tree */

#endif
