/* options.h - the daemon's command line: its -o options parsed (libfuse's fuse_opt, so that
 * `-o spec=oci,allow_other` and mount.fuse3's `DATAROOT MNT -o ...` work alike) and checked,
 * each bad one reported in one message, before anything is opened or mounted. */
#ifndef BFS_OPTIONS_H
#define BFS_OPTIONS_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdio.h>

#include "tree.h"

/* What the command line said, as typed (each string malloc'd, NULL when not given). */
struct bfs_config {
    char *dataroot;
    char *spec;
    char *isolation;
    char *hostroot;
    char *daemon_config;
    char *driver;
    char *credreg;
    char *cpus;
    char *timeout;
    char *watch_timeout;
    char *cache;
    char *trust;
    int compact;
    int nowatch;
    int daemon_open;
    int nopush;
    int noreadahead;
    int nonopts;
};

/* What the checked options ask of the daemon. The tree's strings point into the config. */
struct bfs_options {
    struct bfs_tree_options tree;
    double timeout;       /* entry and attribute timeout, seconds (default 1) */
    double watch_timeout; /* the same for what the watcher invalidates (default 3600) */
};

/* Our -o options out of args into conf (FUSE's own stay in args), and the first non-option
 * argument as the data-root. 0, or -1 when libfuse refused the command line (it said why). */
int bfs_options_parse(struct fuse_args *args, struct bfs_config *conf);
/* Check conf (and the mount point fuse_parse_cmdline found) into out. 0, or -1 after one
 * message on `err` saying what is wrong. hostroot's '/' become '\' in conf. */
int bfs_options_check(struct bfs_config *conf, const char *mountpoint, const char *prog, FILE *err,
                      struct bfs_options *out);
void bfs_config_free(struct bfs_config *conf);
void bfs_options_usage(const char *prog);

/* argv with every -o string's hostroot= value escaped for libfuse's parser; the new strings
 * are also in `owned` (argc entries, freed by the caller). NULL when out of memory. */
char **bfs_options_escape_argv(int argc, char **argv, char **owned);
/* "-ofsname=DATAROOT" escaped for libfuse's option parser (malloc'd), NULL when out of memory. */
char *bfs_options_fsname(const char *dataroot);

#endif
