/* main.c - bundlefs: mount a Docker data-root as read-only container bundles.
 *
 *   bundlefs [options] DATAROOT MOUNTPOINT
 *
 * The session's life: options (options.c) and the data-root are checked before the mount, so
 * a bad data-root or option is reported on the terminal with exit status 1 and nothing is
 * mounted; then the watcher, readahead and the pusher around the libfuse session loop.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ops.h"
#include "options.h"
#include "push.h"
#include "watch.h"

#ifndef BUNDLEFS_VERSION
#define BUNDLEFS_VERSION "unknown"
#endif

static void inval_entry(void *ctx, uint64_t parent, const char *name)
{
    struct fuse_session *se = ctx;
    /* ENOENT (the kernel has no such entry or inode) is the common, harmless answer. */
    if (name)
        fuse_lowlevel_notify_inval_entry(se, parent, name, strlen(name));
    else
        fuse_lowlevel_notify_inval_inode(se, parent, 0, 0); /* attributes and listing */
}

/* SIGUSR1: the daemon's figures, logged by the watcher thread. */
static void on_usr1(int sig)
{
    (void)sig;
    bfs_watch_request_stats();
}

/* Memory held is what is live: glibc raises its mmap threshold to the size of each large
 * block freed, after which such blocks (a 1 MiB config.v2.json, a large generated file) come
 * from the heap and stay resident once freed. A fixed threshold turns that off; the trim
 * threshold returns a heap's freed top the same way. Set before anything is allocated. */
static void malloc_policy(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024);
}

int main(int argc, char **argv)
{
    malloc_policy();
    char **owned = calloc((size_t)argc + 1, sizeof(*owned));
    char **av = owned ? bfs_options_escape_argv(argc, argv, owned) : NULL;
    struct fuse_args args = FUSE_ARGS_INIT(argc, av ? av : argv);
    struct fuse_cmdline_opts opts = {0};
    struct bfs_config conf = {0};
    struct bfs_options o;
    struct bfs_fs fs = {.timeout = 1.0, .watch_timeout = 3600.0};
    struct bf_error err = BF_ERROR_INIT;
    struct fuse_session *se = NULL;
    struct fuse_loop_config *loop = NULL;
    struct bfs_watch *watch = NULL;
    char *fsname = NULL;
    int ret = 1, r;

    if (bfs_options_parse(&args, &conf) == -1)
        goto out;
    if (fuse_parse_cmdline(&args, &opts) != 0)
        goto out;
    if (opts.show_help) {
        bfs_options_usage(argv[0]);
        fuse_cmdline_help();
        fuse_lowlevel_help();
        ret = 0;
        goto out;
    }
    if (opts.show_version) {
        printf("bundlefs %s\n", BUNDLEFS_VERSION);
        printf("FUSE library version %s\n", fuse_pkgversion());
        fuse_lowlevel_version();
        ret = 0;
        goto out;
    }
    if (bfs_options_check(&conf, opts.mountpoint, argv[0], stderr, &o) < 0)
        goto out;
    fs.timeout = o.timeout;
    fs.watch_timeout = o.watch_timeout;
    fs.no_open = !conf.daemon_open; /* and the kernel can (op_init) */

    if (bfs_tree_new(conf.dataroot, &o.tree, &fs.tree, &err) < 0) {
        fprintf(stderr, "bundlefs: %s\n", bf_error_message(&err));
        goto out;
    }
    /* Read-only with the kernel checking permissions (files are 0400/0440, owned as the
     * container's config.v2.json): allow_other never hands a container's secrets to others. */
    fsname = bfs_options_fsname(conf.dataroot);
    if (!fsname || fuse_opt_add_arg(&args, fsname) != 0 ||
        fuse_opt_add_arg(&args, "-oro,default_permissions,subtype=bundlefs") != 0) {
        fprintf(stderr, "bundlefs: out of memory\n");
        goto out;
    }
    se = fuse_session_new(&args, &bfs_ops, sizeof(bfs_ops), &fs);
    if (!se)
        goto out;             /* libfuse said why (an unknown option, usually) */
    signal(SIGUSR1, on_usr1); /* the figures, logged by the watcher thread */
    if (fuse_set_signal_handlers(se) != 0)
        goto out;
    if (fuse_session_mount(se, opts.mountpoint) != 0)
        goto out_signals;
    if (fuse_daemonize(opts.foreground) != 0)
        goto out_unmount;
    if (!opts.foreground) {
        openlog("bundlefs", LOG_PID, LOG_DAEMON);
        bfs_log_use_syslog(true);
    }
    /* After daemonizing: fork() keeps only the calling thread. */
    if (!conf.nowatch && bfs_watch_start(fs.tree, inval_entry, se, &watch, &err) < 0) {
        bfs_log("%s: changes are picked up by re-checking inputs instead", bf_error_message(&err));
        bf_error_clear(&err);
    }
    /* Directories the kernel lists itself stay cached until something drops them: only the
     * watcher can. Set before the loop answers INIT (op_init). */
    fs.no_opendir = watch && !conf.daemon_open;
    if (!conf.noreadahead && (r = bfs_tree_readahead(fs.tree, true)) < 0)
        bfs_log("cannot start readahead (%s): containers are made when asked for", strerror(-r));
    if (!conf.nopush && (r = bfs_push_start(fs.tree, se, &fs.push)) < 0)
        bfs_log("cannot start the pusher (%s): listed files are read on demand", strerror(-r));

    if (opts.singlethread) {
        ret = fuse_session_loop(se);
    } else {
        loop = fuse_loop_cfg_create();
        if (!loop) {
            bfs_log("out of memory");
            goto out_watch;
        }
        fuse_loop_cfg_set_clone_fd(loop, opts.clone_fd);
        /* Unset values come as UINT_MAX: keep libfuse's defaults then. */
        if (opts.max_threads && opts.max_threads <= 100000)
            fuse_loop_cfg_set_max_threads(loop, opts.max_threads);
        if (opts.max_idle_threads <= 100000)
            fuse_loop_cfg_set_idle_threads(loop, opts.max_idle_threads);
        ret = fuse_session_loop_mt(se, loop);
    }
    /* libfuse returns the signal's number after SIGTERM, SIGINT or SIGHUP (its handlers end
     * the loop): a requested stop, unmounted below like any, is a clean exit. A failure of
     * the loop is a negative errno. */
    ret = ret < 0;

out_watch:
    bfs_push_stop(fs.push); /* the loop has ended: no request handler uses it any more */
    fs.push = NULL;
    /* Readahead generations call the watcher: ended before it is (bfs_tree_set_watch also
     * waits for calls in flight, but a generation after it would go unwatched for nothing). */
    bfs_tree_readahead(fs.tree, false);
    bfs_watch_stop(watch);
out_unmount:
    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out:
    if (se)
        fuse_session_destroy(se);
    fuse_loop_cfg_destroy(loop);
    bfs_tree_free(fs.tree);
    spec_cleanup();
    bf_error_clear(&err);
    free(fsname);
    free(opts.mountpoint);
    bfs_config_free(&conf);
    fuse_opt_free_args(&args);
    for (int i = 0; owned && i < argc; i++)
        free(owned[i]);
    free(owned);
    free(av);
    return ret;
}
