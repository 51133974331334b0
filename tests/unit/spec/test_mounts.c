/* Mounts: deterministic order by cleaned depth then destination; local volumes served from
 * R/volumes/<name>/_data and required to exist; binds keep their Source; read-only = !RW;
 * the Windows setupMounts errors of the seed's era, word for word. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec_internal.h"

#define ID "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

static char root[PATH_MAX];
static struct layerstore *ls;

static void setup(void)
{
    char p[PATH_MAX + 32];
    struct bf_error err = BF_ERROR_INIT;
    struct ls_options o = {.hostroot = "C:\\ProgramData\\docker"};

    strcpy(root, "/tmp/bf-mounts-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    snprintf(p, sizeof(p), "%s/image", root);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/image/windowsfilter", root);
    cr_assert_eq(mkdir(p, 0755), 0);
    cr_assert_eq(layerstore_open(root, &o, &ls, &err), 0, "%s", err.msg);
}

static void mkvolume(const char *name)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof(p), "%s/volumes", root);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/volumes/%s", root, name);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/volumes/%s/_data", root, name);
    cr_assert_eq(mkdir(p, 0755), 0);
}

/* The error spec_mounts_build gives for one mount point (NULL when it succeeds). */
static char *one(struct ls_mount m, struct ls_inputs *in)
{
    struct ls_container c = {.mounts = &m, .n_mounts = 1};
    struct bf_error err = BF_ERROR_INIT;
    struct spec_mount *v = NULL;
    size_t n = 0;

    memcpy(c.id, ID, sizeof(c.id));
    if (spec_mounts_build(ls, &c, &v, &n, in, &err) == 0) {
        spec_mounts_free(v, n);
        return NULL;
    }
    return err.msg;
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    layerstore_close(ls);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    cr_expect_eq(system(cmd), 0);
}

Test(mounts, order_sources_readonly, .init = setup, .fini = teardown)
{
    struct ls_mount m[] = {
        {.destination = "C:\\data\\logs",
         .source = "D:\\logs",
         .rw = true,
         .name = "",
         .driver = ""},
        {.destination = "C:\\b\\", .source = "D:\\b", .rw = false, .name = "", .driver = ""},
        {.destination = "C:\\a",
         .source = "C:\\ProgramData\\docker\\volumes\\va\\_data",
         .rw = true,
         .name = "va",
         .driver = "local",
         .type = "volume"},
        {.destination = "C:\\cache", .source = "\\\\srv\\share", .rw = true, .type = "bind"},
    };
    struct ls_container c = {.mounts = m, .n_mounts = 4};
    mkvolume("va");
    struct bf_error err = BF_ERROR_INIT;
    struct spec_mount *v = NULL;
    size_t n = 0;

    memcpy(c.id, ID, sizeof(c.id));
    cr_assert_eq(spec_mounts_build(ls, &c, &v, &n, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 4);
    /* depth 1: C:\a, C:\b\ (trailing separator cleaned away), C:\cache; depth 2: C:\data\logs */
    cr_expect_str_eq(v[0].destination, "C:\\a");
    cr_expect_str_eq(v[0].source, "C:\\ProgramData\\docker\\volumes\\va\\_data");
    cr_expect(!v[0].readonly);
    cr_expect_str_eq(v[1].destination, "C:\\b\\");
    cr_expect(v[1].readonly);
    cr_expect_str_eq(v[2].destination, "C:\\cache");
    cr_expect_str_eq(v[2].source, "\\\\srv\\share"); /* a bind: Source as recorded */
    cr_expect_str_eq(v[3].destination, "C:\\data\\logs");
    cr_expect_str_eq(v[3].source, "D:\\logs");
    spec_mounts_free(v, n);
}

Test(mounts, linux_paths_and_root, .init = setup, .fini = teardown)
{
    struct ls_mount m[] = {
        {.destination = "/var/lib/x", .source = "/srv/x", .rw = true},
        {.destination = "//data//", .source = "/srv/d", .rw = true},
        {.destination = "/", .source = "/srv/root", .rw = true},
    };
    struct ls_container c = {.mounts = m, .n_mounts = 3};
    struct bf_error err = BF_ERROR_INIT;
    struct spec_mount *v = NULL;
    size_t n = 0;

    cr_assert_eq(spec_mounts_build(ls, &c, &v, &n, NULL, &err), 0);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(v[0].destination, "/");        /* depth 1 */
    cr_expect_str_eq(v[1].destination, "//data//"); /* cleans to "/data": depth 1 */
    cr_expect_str_eq(v[2].destination, "/var/lib/x");
    spec_mounts_free(v, n);
}

Test(mounts, volume_name_cannot_traverse, .init = setup, .fini = teardown)
{
    struct ls_mount m[] = {{.destination = "C:\\x",
                            .source = "",
                            .rw = true,
                            .name = "..",
                            .driver = "local",
                            .type = "volume"}};
    struct ls_container c = {.mounts = m, .n_mounts = 1};
    struct bf_error err = BF_ERROR_INIT;
    struct spec_mount *v = NULL;
    size_t n = 0;

    memcpy(c.id, ID, sizeof(c.id));
    cr_assert_eq(spec_mounts_build(ls, &c, &v, &n, NULL, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "container " ID ": containers/" ID "/config.v2.json: "
                              "MountPoints[C:\\x]: volume name \"..\" cannot be a folder name");
    bf_error_clear(&err);
}

Test(mounts, none, .init = setup, .fini = teardown)
{
    struct ls_container c = {0};
    struct bf_error err = BF_ERROR_INIT;
    struct spec_mount *v = NULL;
    size_t n = 7;

    cr_assert_eq(spec_mounts_build(ls, &c, &v, &n, NULL, &err), 0);
    cr_expect_eq(n, 0);
    spec_mounts_free(v, n);
}

Test(mounts, a_volume_must_exist_whatever_its_source, .init = setup, .fini = teardown)
{
    struct ls_mount m = {.destination = "C:\\a",
                         .source = "C:\\ProgramData\\docker\\volumes\\va\\_data",
                         .rw = true,
                         .name = "va",
                         .driver = "local",
                         .type = "volume"};
    struct ls_inputs in = {0};
    char *msg = one(m, &in);

    cr_expect_str_eq(msg, "container " ID ": get va: no such volume");
    free(msg);
    /* recorded as absent: the volume's creation changes the bundle */
    cr_assert_not_null(ls_inputs_find(&in, "volumes/va"));
    cr_expect(!ls_inputs_find(&in, "volumes/va")->exists);
    mkvolume("va");
    cr_expect(ls_inputs_changed(ls, &in));
    ls_inputs_free(&in);
    cr_expect_null(one(m, NULL));
    /* its _data must be a folder of the data-root: not a link out, not missing */
    char d[PATH_MAX + 64];
    snprintf(d, sizeof(d), "%s/volumes/va/_data", root);
    cr_assert_eq(rmdir(d), 0);
    msg = one(m, NULL);
    cr_expect_str_eq(msg, "container " ID ": volume va: volumes/va/_data does not exist");
    free(msg);
    cr_assert_eq(symlink("/etc", d), 0);
    msg = one(m, NULL);
    cr_expect_str_eq(msg, "container " ID ": volume va: volumes/va/_data: is a symbolic link or "
                          "passes through one (links are never followed)");
    free(msg);
    cr_assert_eq(unlink(d), 0);
    cr_assert_eq(mkdir(d, 0755), 0);
    /* a file where the volume's folder belongs */
    m.name = "vf";
    char p[PATH_MAX + 32];
    snprintf(p, sizeof(p), "%s/volumes/vf", root);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fclose(f);
    msg = one(m, NULL);
    cr_expect_str_eq(msg, "container " ID ": get vf: volumes/vf is not a folder");
    free(msg);
}

Test(mounts, a_volume_of_another_driver_needs_the_daemon, .init = setup, .fini = teardown)
{
    struct ls_mount m = {.destination = "C:\\cache",
                         .source = "\\\\srv\\share",
                         .rw = true,
                         .name = "remote",
                         .driver = "smb",
                         .type = "volume"};
    char *msg = one(m, NULL);

    cr_expect_str_eq(msg, "container " ID ": get remote: volume driver \"smb\" is a plugin only a "
                          "running Docker daemon can ask (bundlefs reads files only)");
    free(msg);
}

Test(mounts, neither_source_nor_volume, .init = setup, .fini = teardown)
{
    struct ls_mount m = {
        .destination = "C:\\data", .source = "", .rw = true, .name = "n1", .driver = ""};
    char *msg = one(m, NULL);

    cr_expect_str_eq(msg, "container " ID ": No source for mount name 'n1' driver \"\" "
                          "destination 'C:\\data'");
    free(msg);
    /* a name without a driver is no volume (lazyInitializeVolume needs the driver) */
    m.source = NULL;
    m.name = NULL;
    m.driver = NULL;
    msg = one(m, NULL);
    cr_expect_str_eq(msg, "container " ID ": No source for mount name '' driver \"\" "
                          "destination 'C:\\data'");
    free(msg);
}
