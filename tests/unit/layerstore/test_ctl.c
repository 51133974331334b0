/* bundlefsctl's layerstore commands, run as a program over fixture roots: exact stdout, stderr
 * and exit status. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

static struct fx f;

static void teardown(void)
{
    fx_cleanup(&f);
}

TestSuite(ctl, .fini = teardown, .timeout = 60);

struct run {
    int rc;
    char out[16384];
    char err[16384];
};

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(buf, 1, cap - 1, fp) : 0;
    buf[n] = '\0';
    if (fp)
        fclose(fp);
}

/* Run the program named by environment variable `var` with the NULL-terminated arguments. */
static struct run *run_prog(const char *var, const char *first, va_list ap)
{
    static struct run r;
    const char *argv[16];
    int argc = 0;
    const char *exe = getenv(var);
    cr_assert_not_null(exe, "%s is not set", var);
    argv[argc++] = exe;
    for (const char *a = first; a; a = va_arg(ap, const char *))
        argv[argc++] = a;
    argv[argc] = NULL;
    char outp[256], errp[256];
    snprintf(outp, sizeof(outp), "%s.out", f.root);
    snprintf(errp, sizeof(errp), "%s.err", f.root);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st), "bundlefsctl did not exit normally");
    r.rc = WEXITSTATUS(st);
    slurp(outp, r.out, sizeof(r.out));
    slurp(errp, r.err, sizeof(r.err));
    unlink(outp);
    unlink(errp);
    return &r;
}

static struct run *ctl(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    struct run *r = run_prog("BUNDLEFSCTL", first, ap);
    va_end(ap);
    return r;
}

static struct run *bench(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    struct run *r = run_prog("BENCH_WALK", first, ap);
    va_end(ap);
    return r;
}

#define WF(x) "%s/windowsfilter/" x

static char want[8192];
static const char *fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    return want;
}

Test(ctl, layerpaths_exact_bytes)
{
    fx_std(&f, "windowsfilter");
    struct run *r = ctl(f.root, "layerpaths", "web", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    cr_assert_str_eq(r->out,
                     fmt(WF(CACHE3) "\n" WF(CACHE2) "\n" WF(CACHE1) "\n", f.root, f.root, f.root));
    cr_assert_str_eq(r->err, "");
    r = ctl("--hostroot=C:\\ProgramData\\docker", f.root, "layerpaths", "abc", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    cr_assert_str_eq(r->out, "C:\\ProgramData\\docker\\windowsfilter\\" CACHE3 "\n"
                             "C:\\ProgramData\\docker\\windowsfilter\\" CACHE2 "\n"
                             "C:\\ProgramData\\docker\\windowsfilter\\" CACHE1 "\n");
    /* options may follow the command too */
    r = ctl(f.root, "layerpaths", CID1, "--hostroot=C:\\d", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    cr_assert_str_eq(r->out, "C:\\d\\windowsfilter\\" CACHE3 "\nC:\\d\\windowsfilter\\" CACHE2
                             "\nC:\\d\\windowsfilter\\" CACHE1 "\n");
}

Test(ctl, layerpaths_empty_image)
{
    char hex[65];
    fx_init(&f, "vfs");
    fx_image(&f, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", hex);
    fx_container(&f, CID1, "empty", hex, MOUNT_OV, NULL, NULL);
    struct run *r = ctl(f.root, "layerpaths", "empty", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    cr_assert_str_eq(r->out, "");
}

Test(ctl, layerpaths_errors)
{
    fx_std(&f, "windowsfilter");
    fx_write(&f, "image/windowsfilter/layerdb/mounts/" CID1 "/parent", C2);
    struct run *r = ctl(f.root, "layerpaths", "web", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert_str_eq(r->out, "");
    cr_assert_str_eq(r->err, fmt("bundlefsctl: image/windowsfilter/layerdb/mounts/" CID1
                                 "/parent: container " CID1 " is on layer " C2
                                 ", but its image sha256:%s has top layer " C3 "\n",
                                 f.image_hex));
    fx_write(&f, "image/windowsfilter/layerdb/mounts/" CID1 "/parent", C3);
    fx_write(&f, "image/windowsfilter/layerdb/sha256/" C2_HEX "/cache-id", "../../x");
    r = ctl(f.root, "layerpaths", "web", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert_str_eq(r->out, "");
    cr_assert_str_eq(r->err, fmt("bundlefsctl: container " CID1 ": image sha256:%s, layer 2 of 3: "
                                 "image/windowsfilter/layerdb/sha256/" C2_HEX
                                 "/cache-id: invalid cache id value\n",
                                 f.image_hex));
    r = ctl(f.root, "layerpaths", "nope", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert_str_eq(r->err, "bundlefsctl: No such container: nope\n");
}

Test(ctl, containers_listing_with_a_broken_one)
{
    fx_std(&f, "windowsfilter");
    fx_container(&f, CID3, "db", f.image_hex, NULL, NULL, C3);
    fx_container(&f, CID2, "broken", f.image_hex, NULL, NULL, C3);
    fx_write(&f, "containers/" CID2 "/config.v2.json", "{\"ID\":\"" CID3 "\"}");
    fx_mkdir(&f, "containers/not-a-container");
    struct run *r = ctl(f.root, "containers", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert_str_eq(r->out, fmt(CID1 "\tweb\tsha256:%s\t3\n" CID2 "\t-\t-\t-\n" CID3
                                      "\tdb\tsha256:%s\t3\n",
                                 f.image_hex, f.image_hex));
    cr_assert_str_eq(r->err, "bundlefsctl: containers/" CID2 "/config.v2.json: Container " CID3
                             " is stored at " CID2 "\n");
    fx_rm(&f, "containers/" CID2);
    r = ctl(f.root, "containers", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
}

Test(ctl, images_and_layers)
{
    char hex2[65];
    fx_std(&f, "windowsfilter");
    fx_image(&f, "{\"rootfs\":{\"type\":\"layers+base\",\"base_layer\":\"x\",\"diff_ids\":[]}}",
             hex2);
    fx_writef(&f, "image/windowsfilter/repositories.json",
              "{\"Repositories\":{\"microsoft/nanoserver\":{\"microsoft/nanoserver:latest\":"
              "\"sha256:%s\",\"microsoft/nanoserver:10\":\"sha256:%s\"}}}",
              f.image_hex, f.image_hex);
    struct run *r = ctl(f.root, "images", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    /* images are listed sorted by ID */
    char l1[512], l2[512];
    snprintf(l1, sizeof(l1),
             "sha256:%s\twindows\tamd64\t3\tmicrosoft/nanoserver:10,microsoft/nanoserver:latest\n",
             f.image_hex);
    snprintf(l2, sizeof(l2), "sha256:%s\t-\t-\t1\t-\n", hex2);
    cr_assert_str_eq(r->out, fmt("%s%s", strcmp(f.image_hex, hex2) < 0 ? l1 : l2,
                                 strcmp(f.image_hex, hex2) < 0 ? l2 : l1));

    char prefix[16];
    snprintf(prefix, sizeof(prefix), "sha256:%.5s", f.image_hex);
    r = ctl(f.root, "layers", prefix, NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    cr_assert_str_eq(r->out,
                     fmt(C3 "\t" D3 "\t" CACHE3 "\t" WF(CACHE3) "\n" C2 "\t" D2 "\t" CACHE2 "\t" WF(
                             CACHE2) "\n" D1 "\t" D1 "\t" CACHE1 "\t" WF(CACHE1) "\n",
                         f.root, f.root, f.root));
    r = ctl(f.root, "layers", "0000", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert_str_eq(r->err, "bundlefsctl: No such image: 0000\n");
    r = ctl(f.root, "layers", HEX_B, NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert_str_eq(r->err, "bundlefsctl: image/windowsfilter/imagedb/content/sha256/" HEX_B
                             ": no such file or directory\n");
}

Test(ctl, resolve_and_layerfolder)
{
    fx_std(&f, "overlay2");
    fx_container(&f, CID2, "api", f.image_hex, CACHEB, NULL, C3);
    struct run *r = ctl(f.root, "resolve", "/api", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    cr_assert_str_eq(r->out, CID2 "\n");
    r = ctl(f.root, "resolve", "abc", NULL);
    cr_assert_str_eq(r->out, CID1 "\n");
    r = ctl(f.root, "resolve", "ab", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert_str_eq(r->out, "");
    cr_assert_str_eq(r->err, "bundlefsctl: Multiple IDs found with provided prefix: ab\n");
    r = ctl(f.root, "layerfolder", "api", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    cr_assert_str_eq(r->out, fmt("%s/overlay2/" CACHEB "/diff\n", f.root));
    r = ctl("--hostroot=C:\\ProgramData\\docker", f.root, "layerfolder", "web", NULL);
    cr_assert_str_eq(r->out, "C:\\ProgramData\\docker\\overlay2\\" MOUNT_OV "\\diff\n");
}

Test(ctl, driver_option)
{
    fx_std(&f, "vfs");
    fx_mkdir(&f, "image/overlay2");
    struct run *r = ctl(f.root, "resolve", "web", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert_str_eq(r->err, "bundlefsctl: image: contains several storage drivers (overlay2, "
                             "vfs); name one explicitly\n");
    r = ctl("--driver=vfs", f.root, "layerfolder", "web", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    cr_assert_str_eq(r->out, fmt("%s/vfs/dir/" MOUNT_OV "\n", f.root));
    r = ctl("--driver=aufs", f.root, "resolve", "web", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert_str_eq(r->err, "bundlefsctl: unsupported storage driver \"aufs\" (supported: "
                             "windowsfilter, overlay2, vfs)\n");
}

Test(ctl, usage_errors)
{
    fx_std(&f, "vfs");
    struct run *r = ctl(NULL);
    cr_assert_eq(r->rc, 2);
    cr_assert_str_eq(r->err, "bundlefsctl: missing DATAROOT and COMMAND\nTry 'bundlefsctl "
                             "--help'.\n");
    r = ctl(f.root, NULL);
    cr_assert_eq(r->rc, 2);
    r = ctl(f.root, "frobnicate", NULL);
    cr_assert_eq(r->rc, 2);
    cr_assert_str_eq(r->err, "bundlefsctl: unknown command 'frobnicate'\nTry 'bundlefsctl "
                             "--help'.\n");
    r = ctl(f.root, "layerpaths", NULL);
    cr_assert_eq(r->rc, 2);
    cr_assert_str_eq(r->err, "bundlefsctl: layerpaths: missing argument\nTry 'bundlefsctl "
                             "--help'.\n");
    r = ctl(f.root, "containers", "x", NULL);
    cr_assert_eq(r->rc, 2);
    r = ctl("--spec=json", f.root, "containers", NULL);
    cr_assert_eq(r->rc, 2);
    cr_assert_str_eq(r->err, "bundlefsctl: --spec must be oci or windowsoci, not 'json'\nTry "
                             "'bundlefsctl --help'.\n");
    r = ctl("--cpus=0", f.root, "containers", NULL);
    cr_assert_eq(r->rc, 2);
    r = ctl("--isolation=vm", f.root, "containers", NULL);
    cr_assert_eq(r->rc, 2);
    r = ctl("--bogus", f.root, "containers", NULL);
    cr_assert_eq(r->rc, 2);
    cr_assert_str_eq(r->err, "bundlefsctl: unknown or incomplete option '--bogus'\nTry "
                             "'bundlefsctl --help'.\n");
    /* the spec options are accepted */
    r = ctl("--spec=windowsoci", "--isolation=hyperv", "--compact", "--cpus=4",
            "--credspec-registry=/tmp", f.root, "resolve", "web", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    r = ctl("--help", NULL);
    cr_assert_eq(r->rc, 0);
    cr_assert(strstr(r->out, "layerpaths CONTAINER") != NULL);
}

/* Not a timing test: the benchmark runs, walks what the fixture holds, and reports. */
Test(ctl, bench_walk_smoke)
{
    fx_std(&f, "overlay2");
    fx_container(&f, CID2, "api", f.image_hex, CACHEB, NULL, C3);
    struct run *r = bench(f.root, "--rounds", "2", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    /* per container: config.v2.json, hostconfig.json, mount-id, init-id, parent (init-id of
     * CID2 recorded absent), the image config, 3 layers x (cache-id, diff, parent, the layer's
     * folder) = 18 */
    cr_assert(strstr(r->out, "containers: 2 (0 failed), layers walked: 6, input files: 36 (18.0 "
                             "per container)\n") != NULL,
              "%s", r->out);
    cr_assert(strstr(r->out, "\nratio:") != NULL, "%s", r->out);
    /* a broken container is counted and reported, and the exit status says so */
    fx_write(&f, "image/overlay2/layerdb/mounts/" CID2 "/parent", C2);
    r = bench(f.root, "--rounds", "1", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert(strstr(r->out, "containers: 2 (1 failed)") != NULL, "%s", r->out);
    r = bench(NULL);
    cr_assert_eq(r->rc, 2);
}
