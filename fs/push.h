/* push.h - the pusher: a container's other files into the kernel's page cache, ahead of their
 * reads.
 *
 * A cold `cat` of a container's files costs one READ round trip each. Files of one container
 * are mostly read together (a runtime taking the bundle, `cat $c/<each file>`, a walk of the
 * mount), so when the first READ of one of them reaches the daemon, the pusher stores the bytes of
 * the container's other files the kernel holds (looked up or listed with attributes) and has not
 * read yet into the kernel's cache of those inodes (FUSE_NOTIFY_STORE), before that READ is
 * answered: the reads that follow are the kernel's alone (its gain: README, Benchmarks).
 *
 * Correct by construction: an inode is one version of a file (tree.h), and a store is the bytes
 * a READ of that inode would get (bfs_read_ino), so a store that races with a READ of the same
 * inode is wasted work, never other bytes. A link target cannot be stored (the kernel keeps
 * pages of regular files only): READLINK stays.
 *
 * Never from a request thread: a store waits for the page lock a concurrent READ of that file
 * holds until the READ is answered, and with every request thread waiting so, nothing would
 * answer it. One thread of its own stores; the READ that asked waits for it at most WAIT_NS
 * (push.c), then is answered anyway. At unmount, bfs_push_stop answers requests itself until
 * that thread is done, for the same reason.
 *
 * Adaptive: where one file of each container is read (`cat <every container>/config.json` after a
 * `find` listed them all), pushing the others would only fill the page cache. One push in
 * PROBE_EVERY is left out (a probe): while none of the last PROBE_WINDOW probes had another file
 * read, the pusher pushes nothing (every trigger is then a probe) and the next such read turns it
 * on.
 */
#ifndef BFS_PUSH_H
#define BFS_PUSH_H

#include <stdint.h>

#include "ops.h"

struct bfs_push;

int bfs_push_start(struct bfs_tree *t, struct fuse_session *se, struct bfs_push **out);
/* After the session loop has ended, before the session is unmounted and destroyed. */
void bfs_push_stop(struct bfs_push *p);
/* A READ of regular file `ino` reached the daemon; called before it is answered (a READLINK
 * is no sign of reading: `ls -l` sends them). Pushes
 * (or makes a probe of) the other files of its container, and returns when they are stored or
 * after WAIT_NS. p may be NULL (no pusher). */
void bfs_push_read(struct bfs_push *p, uint64_t ino);

#endif
