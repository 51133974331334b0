/* ops.h - the FUSE low-level operations over a bfs_tree. */
#ifndef BFS_OPS_H
#define BFS_OPS_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "tree.h"

struct bfs_fs {
    struct bfs_tree *tree;
    double timeout; /* entry and attribute timeout, seconds */
};

extern const struct fuse_lowlevel_ops bfs_ops;

#endif
