/* fs/options.c: the daemon's -o options, parsed and checked without mounting anything. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "options.h"

static struct bfs_config conf;
static struct bfs_options opts;
static char *msg; /* what bfs_options_check said */

static void cleanup(void)
{
    bfs_config_free(&conf);
    free(msg);
    msg = NULL;
}

TestSuite(options, .fini = cleanup);

/* Parse "bundlefs -o OPTS DATAROOT" (no -o when OPTS is NULL) and check it with mount point
 * `mnt`; the message, if any, is in msg. */
static int check(const char *o, const char *dataroot, const char *mnt)
{
    char *argv[5];
    int argc = 0, r;
    size_t len = 0;
    FILE *err = open_memstream(&msg, &len);

    argv[argc++] = "bundlefs";
    if (o) {
        argv[argc++] = "-o";
        argv[argc++] = (char *)o;
    }
    if (dataroot)
        argv[argc++] = (char *)dataroot;
    argv[argc] = NULL;
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    cr_assert_not_null(err);
    cr_assert_eq(bfs_options_parse(&args, &conf), 0);
    r = bfs_options_check(&conf, mnt, "bundlefs", err, &opts);
    fclose(err);
    fuse_opt_free_args(&args);
    return r;
}

Test(options, defaults)
{
    cr_assert_eq(check(NULL, "/var/lib/docker", "/mnt"), 0);
    cr_assert_str_eq(msg, "");
    cr_assert_str_eq(conf.dataroot, "/var/lib/docker");
    cr_assert_eq(opts.tree.spec.format, SPEC_FORMAT_OCI);
    cr_assert_eq(opts.timeout, 1.0);
    cr_assert_eq(opts.watch_timeout, 3600.0);
    cr_assert_eq(opts.tree.trust_ms, 0);
    cr_assert_eq(opts.tree.cache_bytes, 0);
    cr_assert_eq(opts.tree.spec.host_cpus, 0);
    cr_assert_eq(conf.nowatch + conf.daemon_open + conf.nopush + conf.noreadahead, 0);
}

Test(options, every_option_is_taken)
{
    cr_assert_eq(check("spec=windowsoci,isolation=hyperv,hostroot=C:/ProgramData/docker,"
                       "driver=vfs,daemon_config=/d.json,credspec-registry=/r,cpus=4,timeout=0,"
                       "watch_timeout=86400,trust=5,cache=2,compact,nowatch,daemon_open,nopush,"
                       "noreadahead",
                       "/root", "/mnt"),
                 0);
    cr_assert_str_eq(msg, "");
    cr_assert_eq(opts.tree.spec.format, SPEC_FORMAT_WINDOWSOCI);
    cr_assert_str_eq(opts.tree.spec.isolation, "hyperv");
    cr_assert_str_eq(opts.tree.ls.hostroot, "C:\\ProgramData\\docker");
    cr_assert_str_eq(opts.tree.ls.driver, "vfs");
    cr_assert_str_eq(opts.tree.ls.daemon_config, "/d.json");
    cr_assert_str_eq(opts.tree.spec.credspec_registry, "/r");
    cr_assert(opts.tree.spec.compact);
    cr_assert_eq(opts.tree.spec.host_cpus, 4);
    cr_assert_eq(opts.timeout, 0.0);
    cr_assert_eq(opts.watch_timeout, 86400.0);
    cr_assert_eq(opts.tree.trust_ms, 5);
    cr_assert_eq(opts.tree.cache_bytes, (size_t)2 << 20);
    cr_assert(conf.nowatch && conf.daemon_open && conf.nopush && conf.noreadahead);
}

/* Each {options, the whole output}: refused with exactly that message. */
static void refused_all(const char *const (*cases)[2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(check(cases[i][0], "/root", "/mnt"), -1, "%s", cases[i][0]);
        cr_assert_str_eq(msg, cases[i][1], "%s", cases[i][0]);
        cleanup();
    }
}

/* The bug fixed in 71a1d66: a number that did not parse was reported, and then the value it
 * left behind could add "must be at least 1". One message, the whole output. */
Test(options, a_number_that_does_not_parse_is_one_message)
{
    static const char *const cases[][2] = {
        {"cpus=x", "bundlefs: -o cpus must be a whole number up to 65536, not 'x'\n"},
        {"timeout=-1", "bundlefs: -o timeout must be a whole number up to 86400, not '-1'\n"},
        {"watch_timeout=86401",
         "bundlefs: -o watch_timeout must be a whole number up to 86400, not '86401'\n"},
        {"trust=x", "bundlefs: -o trust must be a whole number up to 3600000, not 'x'\n"},
        {"cache=x", "bundlefs: -o cache must be a whole number up to 1048576, not 'x'\n"},
        {"cache=", "bundlefs: -o cache must be a whole number up to 1048576, not ''\n"},
        {"cpus=4,cache=1x", "bundlefs: -o cache must be a whole number up to 1048576, not '1x'\n"},
    };
    refused_all(cases, BF_ARRAY_SIZE(cases));
}

Test(options, numbers_below_their_minimum)
{
    static const char *const cases[][2] = {
        {"cpus=0", "bundlefs: -o cpus must be at least 1\n"},
        {"trust=0", "bundlefs: -o trust must be at least 1\n"},
        {"cache=0", "bundlefs: -o cache must be at least 1 (MiB)\n"},
    };
    refused_all(cases, BF_ARRAY_SIZE(cases));
}

Test(options, words_that_are_not_allowed)
{
    static const char *const cases[][2] = {
        {"spec=bogus", "bundlefs: -o spec must be oci or windowsoci, not 'bogus'\n"},
        {"isolation=bogus", "bundlefs: -o isolation must be process or hyperv, not 'bogus'\n"},
    };
    refused_all(cases, BF_ARRAY_SIZE(cases));
}

Test(options, missing_arguments)
{
    cr_assert_eq(check(NULL, NULL, NULL), -1);
    cr_assert_str_eq(msg, "bundlefs: missing DATAROOT and MOUNTPOINT\nTry 'bundlefs --help'.\n");
    cleanup();
    cr_assert_eq(check(NULL, "/root", NULL), -1);
    cr_assert_str_eq(msg, "bundlefs: missing MOUNTPOINT\nTry 'bundlefs --help'.\n");
}

Test(options, hostroot_backslashes_survive_libfuse)
{
    char *argv[] = {"bundlefs",
                    "-o",
                    "ro,hostroot=C:\\ProgramData\\docker,compact",
                    "-ohostroot=D:\\x",
                    "-o",
                    "hostroot=E:\\\\y",
                    NULL};
    char *owned[7] = {0};
    char **av = bfs_options_escape_argv(6, argv, owned);

    cr_assert_not_null(av);
    cr_assert_str_eq(av[2], "ro,hostroot=C:\\\\ProgramData\\\\docker,compact");
    cr_assert_str_eq(av[3], "-ohostroot=D:\\\\x");
    cr_assert_eq(av[5], argv[5]); /* doubled already: left alone */
    cr_assert_null(av[6]);
    for (int i = 0; i < 6; i++)
        free(owned[i]);
    free(av);
}

Test(options, fsname_is_escaped)
{
    char *o = bfs_options_fsname("/a,b\\c");

    cr_assert_str_eq(o, "-ofsname=/a\\,b\\\\c");
    free(o);
}
