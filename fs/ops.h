/* ops.h - the FUSE low-level operations over a bfs_tree. */
#ifndef BFS_OPS_H
#define BFS_OPS_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "tree.h"

struct bfs_push;

struct bfs_fs {
    struct bfs_tree *tree;
    double timeout;       /* entry and attribute timeout, seconds */
    double watch_timeout; /* the same for what the watcher invalidates (bfs_attr keep_*) */
    bool no_open;         /* the kernel opens files itself (zero-message opens) */
    bool no_opendir;      /* ... and directories, caching their listings (needs the watcher) */
    struct bfs_push *push; /* NULL: listed files are not pushed into the page cache (push.h) */
};

extern const struct fuse_lowlevel_ops bfs_ops;

#endif
