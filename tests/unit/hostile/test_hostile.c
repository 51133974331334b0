/* Hostile and corrupt data-roots (issue 6): every attack gets its exact error, and the rest of
 * the root keeps working.
 *
 * Each test builds a root with three containers: "web" (CID1) and "app" (CID3) on the standard
 * three-layer image, and "db" (CID2) on a one-layer image of its own. The attack is aimed at
 * "web" (or at the standard image's layer store, which "app" shares); then bundlefsctl, run as
 * a program, must print the exact error for "web" and still serve "db" byte for byte (and
 * "app" when the attack was on "web" alone). Symlinks point at real, valid-looking copies
 * outside R, so following one would succeed and be noticed.
 *
 * Complements tests/unit/layerstore (which covers the loaders' messages one by one) with the
 * issue's list: links out of R at every level, ".." and absolute paths in every string that
 * becomes a path, IDs that are not 64 hex, cycles and 10,000 layers, 2 GiB sparse files,
 * deep JSON, NUL bytes and invalid UTF-8, files replaced while being read, permission denied
 * (as an unprivileged user: the tests run as root, so the program is run after setresuid),
 * FIFOs and device nodes (never opened: proven with a blocked FIFO writer and a device whose
 * open would fail with ENXIO).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../layerstore/fixture.h"
#include "layerstore.h"
#include "spec.h"

#define HEX_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define CACHED "5555555555555555555555555555555555555555555555555555555555555555"
#define IMG2_JSON                                                                                  \
    "{\"architecture\":\"amd64\",\"os\":\"windows\",\"rootfs\":{\"type\":\"layers\","              \
    "\"diff_ids\":[\"sha256:" HEX_D "\"]}}"
#define WF "image/windowsfilter/"
#define CFG1 "containers/" CID1 "/config.v2.json"
#define HC1 "containers/" CID1 "/hostconfig.json"
#define LINK "is a symbolic link or passes through one (links are never followed)"
#define NOBODY 65534

static struct fx f;
static char img2[65];
static char outside[192]; /* "<root>.outside": decoys that following a link would reach */

struct run {
    int rc;
    char out[65536];
    char err[16384];
};

static void mkdir_outside(const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", outside, rel);
    cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
}

static void put_outside(const char *rel, const char *data)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", outside, rel);
    FILE *fp = fopen(p, "w");
    cr_assert_not_null(fp, "%s", p);
    fputs(data, fp);
    fclose(fp);
}

static void setup(void)
{
    fx_std(&f, "windowsfilter");
    fx_container(&f, CID3, "app", f.image_hex, NULL, NULL, C3);
    fx_image(&f, IMG2_JSON, img2);
    fx_layer(&f, HEX_D, "sha256:" HEX_D, NULL, CACHED);
    fx_container(&f, CID2, "db", img2, NULL, NULL, "sha256:" HEX_D);
    /* Readable by the unprivileged user of the permission tests (mkdtemp made it 0700). */
    chmod(f.root, 0755);
    snprintf(outside, sizeof(outside), "%s.outside", f.root);
    cr_assert_eq(mkdir(outside, 0755), 0);
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", outside);
    if (outside[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", outside);
    fx_cleanup(&f);
}

TestSuite(hostile, .init = setup, .fini = teardown, .timeout = 120);

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(buf, 1, cap - 1, fp) : 0;
    buf[n] = '\0';
    if (fp)
        fclose(fp);
}

/* Run bundlefsctl with the NULL-terminated arguments, as `uid` (-1: as we are). */
static struct run *ctl_as(int uid, const char *first, ...)
{
    static struct run r;
    const char *argv[16];
    int argc = 0;
    const char *exe = getenv("BUNDLEFSCTL");
    char outp[256], errp[256];
    va_list ap;

    cr_assert_not_null(exe, "BUNDLEFSCTL is not set");
    argv[argc++] = exe;
    va_start(ap, first);
    for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    snprintf(outp, sizeof(outp), "%s.out", f.root);
    snprintf(errp, sizeof(errp), "%s.err", f.root);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        if (uid >= 0 && (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
                         setresuid(uid, uid, uid) < 0))
            _exit(126);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "bundlefsctl did not exit normally (signal %d)",
              WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    r.rc = WEXITSTATUS(st);
    slurp(outp, r.out, sizeof(r.out));
    slurp(errp, r.err, sizeof(r.err));
    unlink(outp);
    unlink(errp);
    return &r;
}

#define ctl(...) ctl_as(-1, __VA_ARGS__)

static char want[8192];
static const char *fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    return want;
}

/* `bundlefsctl R <cmd> <id> [opt]` must fail with exactly "bundlefsctl: <msg>". */
static void expect_fail_as(int uid, const char *cmd, const char *id, const char *opt,
                           const char *msg)
{
    char expected[8192];
    snprintf(expected, sizeof(expected), "bundlefsctl: %s\n", msg); /* msg may be `want` */
    struct run *r = ctl_as(uid, f.root, cmd, id, opt, NULL);
    cr_assert_eq(r->rc, 1, "%s %s: rc %d, out %s, err %s", cmd, id, r->rc, r->out, r->err);
    cr_assert_str_eq(r->err, expected);
    cr_assert_str_eq(r->out, "");
}

static void expect_fail(const char *cmd, const char *id, const char *opt, const char *msg)
{
    expect_fail_as(-1, cmd, id, opt, msg);
}

/* The rest of the root: "db" byte for byte, and "app" too when `app` is set. */
static void rest_ok_as(int uid, bool app)
{
    struct run *r = ctl_as(uid, f.root, "layerpaths", "db", NULL);
    cr_assert_eq(r->rc, 0, "db layerpaths: %s", r->err);
    cr_assert_str_eq(r->out, fmt("%s/windowsfilter/" CACHED "\n", f.root));
    r = ctl_as(uid, f.root, "config", "db", NULL);
    cr_assert_eq(r->rc, 0, "db config: %s", r->err);
    cr_assert(strstr(r->out, "\"ociVersion\": \"1.3.0\""), "db config: %s", r->out);
    r = ctl_as(uid, f.root, "errors", "db", NULL);
    cr_assert_eq(r->rc, 0);
    cr_assert_str_eq(r->out, "");
    r = ctl_as(uid, f.root, "containers", NULL);
    cr_assert(strstr(r->out, fmt(CID2 "\tdb\tsha256:%s\t1\n", img2)), "containers: %s", r->out);
    if (app) {
        r = ctl_as(uid, f.root, "layerpaths", "app", NULL);
        cr_assert_eq(r->rc, 0, "app layerpaths: %s", r->err);
        cr_assert_str_eq(r->out, fmt("%s/windowsfilter/" CACHE3 "\n%s/windowsfilter/" CACHE2
                                     "\n%s/windowsfilter/" CACHE1 "\n",
                                     f.root, f.root, f.root));
        r = ctl_as(uid, f.root, "config", "app", NULL);
        cr_assert_eq(r->rc, 0, "app config: %s", r->err);
    }
}

static void rest_ok(bool app)
{
    rest_ok_as(-1, app);
}

/* Move R/rel next to R (a valid copy outside) and leave an absolute link to it in its place. */
static void link_out(const char *rel, const char *name)
{
    char target[512], cmd[1024];
    snprintf(target, sizeof(target), "%s/%s", outside, name);
    snprintf(cmd, sizeof(cmd), "mv '%s' '%s'", fx_path(&f, rel), target);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    fx_symlink(&f, target, rel);
}

static char *save(const char *rel)
{
    FILE *fp = fopen(fx_path(&f, rel), "r");
    char *buf = calloc(1, 1 << 16);
    cr_assert(fp && buf, "%s", rel);
    size_t n = fread(buf, 1, (1 << 16) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void restore(const char *rel, const char *content)
{
    fx_rm(&f, rel);
    fx_write(&f, rel, content);
}

/* ---- symbolic links at every level, pointing out of R ---- */

Test(hostile, link_out_container_directory)
{
    link_out("containers/" CID1, "ctr");
    expect_fail("layerpaths", CID1, NULL, CFG1 ": " LINK);
    rest_ok(true);
}

Test(hostile, link_out_config_file)
{
    link_out(CFG1, "config.v2.json");
    expect_fail("layerpaths", CID1, NULL, CFG1 ": " LINK);
    rest_ok(true);
}

Test(hostile, link_out_hostconfig_file)
{
    link_out(HC1, "hostconfig.json");
    expect_fail("layerpaths", CID1, NULL, HC1 ": " LINK);
    rest_ok(true);
}

Test(hostile, link_out_mounts_directory)
{
    link_out(WF "layerdb/mounts/" CID1, "mounts");
    expect_fail("layerpaths", CID1, NULL, WF "layerdb/mounts/" CID1 "/mount-id: " LINK);
    rest_ok(true);
}

Test(hostile, link_out_layerdb_entry_itself)
{
    /* layerdb/sha256/<chain> is the link (the middle layer of the shared image) */
    link_out(WF "layerdb/sha256/" C2_HEX, "layer");
    expect_fail("layerpaths", CID1, NULL,
                fmt("container " CID1 ": image sha256:%s, layer 2 of 3: " WF
                    "layerdb/sha256/" C2_HEX "/cache-id: " LINK,
                    f.image_hex));
    rest_ok(false);
}

Test(hostile, link_out_image_config)
{
    char rel[256];
    snprintf(rel, sizeof(rel), WF "imagedb/content/sha256/%s", f.image_hex);
    link_out(rel, "image.json");
    expect_fail("layerpaths", CID1, NULL, fmt("container " CID1 ": %s: " LINK, rel));
    rest_ok(false);
}

Test(hostile, link_out_cache_id_folder)
{
    /* The layer folder named by a cache-id must be a folder (GetLayerPath), and is probed for
     * UtilityVM (Hyper-V). A link there to a folder that has one is never followed: the walk
     * fails on it, for every file that needs the layers. */
    mkdir_outside("layer");
    mkdir_outside("layer/UtilityVM");
    fx_rm(&f, "windowsfilter/" CACHE3);
    fx_symlink(&f, fmt("%s/layer", outside), "windowsfilter/" CACHE3);
    fx_write(&f, HC1, "{\"Isolation\":\"hyperv\"}");
    expect_fail("layerpaths", CID1, NULL,
                fmt("container " CID1 ": image sha256:%s, layer 3 of 3: failed to get layer "
                    "path from graphdriver windowsfilter for ImageID sha256:" C3_HEX
                    " - layer folder %s/windowsfilter/" CACHE3 ": " LINK,
                    f.image_hex, f.root));
    rest_ok(false);
}

Test(hostile, link_out_credential_spec_file_and_folder)
{
    put_outside("spec.json", "{\"outside\":true}");
    fx_write(&f, HC1, "{\"SecurityOpt\":[\"credentialspec=file://spec.json\"]}");
    fx_symlink(&f, fmt("%s/spec.json", outside), "CredentialSpecs/spec.json");
    expect_fail("config", CID1, NULL,
                fmt("container " CID1 ": credential spec '%s/CredentialSpecs/spec.json' for "
                    "container " CID1 " as the file could not be read: \"CredentialSpecs/"
                    "spec.json: " LINK "\"",
                    f.root));
    rest_ok(true);
    /* the folder itself */
    fx_rm(&f, "CredentialSpecs");
    mkdir_outside("creds");
    put_outside("creds/spec.json", "{\"outside\":true}");
    fx_symlink(&f, fmt("%s/creds", outside), "CredentialSpecs");
    expect_fail("config", CID1, NULL,
                fmt("container " CID1 ": credential spec '%s/CredentialSpecs' for "
                    "container " CID1 " as the file could not be read: \"CredentialSpecs: " LINK
                    "\"",
                    f.root));
    rest_ok(true);
}

/* ---- ".." and absolute paths in every string that becomes a path ---- */

static void put_cfg(const char *extra_image, const char *name, const char *mounts)
{
    fx_writef(&f, CFG1,
              "{\"ID\":\"" CID1 "\",\"Name\":\"%s\",\"Image\":\"%s\",\"Driver\":\"windowsfilter\","
              "\"Path\":\"cmd\",\"Config\":{},\"MountPoints\":%s}",
              name, extra_image, mounts);
}

Test(hostile, traversal_in_ids_read_from_files)
{
    static const char *const bad[] = {"../../../../etc", "/etc/passwd", CACHE1 "/../..", "..",
                                      CACHE1 "-init/../x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fx_write(&f, WF "layerdb/sha256/" C1_HEX "/cache-id", bad[i]);
        expect_fail("layerpaths", CID1, NULL,
                    fmt("container " CID1 ": image sha256:%s, layer 1 of 3: " WF
                        "layerdb/sha256/" C1_HEX "/cache-id: invalid cache id value",
                        f.image_hex));
        fx_write(&f, WF "layerdb/mounts/" CID3 "/mount-id", bad[i]);
        expect_fail("layerpaths", CID3, NULL,
                    WF "layerdb/mounts/" CID3 "/mount-id: invalid mount id value");
        fx_write(&f, WF "layerdb/mounts/" CID3 "/mount-id", CID3);
        fx_write(&f, WF "layerdb/mounts/" CID3 "/init-id", bad[i]);
        expect_fail("layerpaths", CID3, NULL,
                    WF "layerdb/mounts/" CID3 "/init-id: invalid init id value");
        fx_rm(&f, WF "layerdb/mounts/" CID3 "/init-id");
        fx_write(&f, WF "layerdb/sha256/" C2_HEX "/parent", fmt("sha256:%s", bad[i]));
        fx_write(&f, WF "layerdb/sha256/" C1_HEX "/cache-id", CACHE1);
        expect_fail("layerpaths", CID1, NULL,
                    fmt("container " CID1 ": image sha256:%s, layer 2 of 3: " WF
                        "layerdb/sha256/" C2_HEX "/parent: invalid checksum digest format",
                        f.image_hex));
        fx_write(&f, WF "layerdb/sha256/" C2_HEX "/parent", "sha256:" C1_HEX);
        rest_ok(false);
    }
}

Test(hostile, traversal_in_config_strings)
{
    put_cfg("sha256:../../../../etc/passwd", "/web", "{}");
    expect_fail("layerpaths", CID1, NULL,
                CFG1 ": \"Image\" is not a valid image ID: \"sha256:../../../../etc/passwd\"");
    put_cfg("/etc/passwd", "/web", "{}");
    expect_fail("layerpaths", CID1, NULL,
                CFG1 ": \"Image\" is not a valid image ID: \"/etc/passwd\"");
    put_cfg(fmt("sha256:%s", f.image_hex), "/../../etc", "{}");
    expect_fail("layerpaths", CID1, NULL,
                CFG1 ": Invalid container name (../../etc), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                     "allowed");
    static const char *const vols[] = {"../../../etc", "/etc", "a/../../b", "..", "a\\\\..\\\\b"};
    for (size_t i = 0; i < sizeof(vols) / sizeof(vols[0]); i++) {
        char mounts[256], shown[64];
        snprintf(mounts, sizeof(mounts),
                 "{\"C:\\\\data\":{\"Name\":\"%s\",\"Driver\":\"local\",\"Type\":\"volume\","
                 "\"Destination\":\"C:\\\\data\"}}",
                 vols[i]);
        put_cfg(fmt("sha256:%s", f.image_hex), "/web", mounts);
        /* the JSON escape \\ is one backslash in the name */
        snprintf(shown, sizeof(shown), "%s", vols[i]);
        for (char *p = shown, *q = shown; *q || (*p = 0); p++, q++) {
            if (q[0] == '\\' && q[1] == '\\')
                q++;
            *p = *q;
        }
        expect_fail("config", CID1, NULL,
                    fmt("container " CID1 ": " CFG1 ": MountPoints[C:\\data]: volume name \"%s\" "
                        "cannot be a folder name",
                        shown));
        /* layerpaths does not need the mounts */
        struct run *r = ctl(f.root, "layerpaths", CID1, NULL);
        cr_assert_eq(r->rc, 0, "%s", r->err);
    }
    rest_ok(true);
}

Test(hostile, traversal_in_credential_specs_and_network_mode)
{
    static const struct {
        const char *opt, *msg;
    } cases[] = {
        {"credentialspec=file:///etc/passwd",
         "container " CID1 ": invalid credential spec - file:// path cannot be absolute"},
        {"credentialspec=file://c:\\\\windows\\\\x.json",
         "container " CID1 ": invalid credential spec - file:// path cannot be absolute"},
        {"credentialspec=file://\\\\\\\\server\\\\share",
         "container " CID1 ": invalid credential spec - file:// path cannot be absolute"},
        {"credentialspec=file://../secret.json",
         "container " CID1
         ": invalid credential spec - file:// path must be under %s/CredentialSpecs"},
        {"credentialspec=file://a/../../secret.json",
         "container " CID1
         ": invalid credential spec - file:// path must be under %s/CredentialSpecs"},
        {"credentialspec=file://a\\\\..\\\\..\\\\secret.json",
         "container " CID1
         ": invalid credential spec - file:// path must be under %s/CredentialSpecs"},
    };
    fx_write(&f, "secret.json", "{\"inside-R-but-not-a-spec\":true}");
    fx_mkdir(&f, "CredentialSpecs");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[512];
        fx_writef(&f, HC1, "{\"SecurityOpt\":[\"%s\"]}", cases[i].opt);
        snprintf(msg, sizeof(msg), cases[i].msg, f.root);
        expect_fail("config", CID1, NULL, msg);
        expect_fail("createoptions", CID1, NULL, msg);
    }
    /* registry:// names become a file name in the registry folder */
    char opt[600];
    snprintf(opt, sizeof(opt), "--credspec-registry=%s/CredentialSpecs", f.root);
    fx_write(&f, HC1, "{\"SecurityOpt\":[\"credentialspec=registry://../secret.json\"]}");
    expect_fail("config", CID1, opt,
                "container " CID1 ": registry credential spec name \"../secret.json\" cannot be a "
                "file name");
    fx_write(&f, HC1, "{\"SecurityOpt\":[\"credentialspec=registry://..\"]}");
    expect_fail("config", CID1, opt,
                "container " CID1 ": registry credential spec name \"..\" cannot be a file name");
    /* NetworkMode container:<ref> is resolved like a CLI argument, never as a path */
    fx_write(&f, HC1, "{\"NetworkMode\":\"container:../../" CID2 "\"}");
    expect_fail("config", CID1, NULL,
                "container " CID1 ": NetworkMode container:../../" CID2
                ": No such container: ../../" CID2);
    rest_ok(true);
}

/* ---- IDs that are not 64 lowercase hex ---- */

Test(hostile, ids_that_are_not_64_hex)
{
    static const char *const names[] = {
        "ABC1230000000000000000000000000000000000000000000000000000000000",  /* upper case */
        "abc123000000000000000000000000000000000000000000000000000000000",   /* 63 */
        "abc12300000000000000000000000000000000000000000000000000000000000", /* 65 */
        "abc123000000000000000000000000000000000000000000000000000000000g",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char rel[160];
        snprintf(rel, sizeof(rel), "containers/%s", names[i]);
        fx_mkdir(&f, rel);
        snprintf(rel, sizeof(rel), "containers/%s/config.v2.json", names[i]);
        fx_writef(&f, rel, "{\"ID\":\"%s\",\"Name\":\"/evil%zu\"}", names[i], i);
    }
    /* never listed: Docker would not load them either */
    struct run *r = ctl(f.root, "containers", NULL);
    cr_assert_eq(r->rc, 0, "%s", r->err);
    cr_assert_str_eq(r->out, fmt(CID1 "\tweb\tsha256:%s\t3\n" CID2 "\tdb\tsha256:%s\t1\n" CID3
                                      "\tapp\tsha256:%s\t3\n",
                                 f.image_hex, img2, f.image_hex));
    /* and not reachable by name, ID or path-like references */
    expect_fail("layerpaths", "evil0", NULL, "No such container: evil0");
    expect_fail("layerpaths", names[0], NULL, fmt("No such container: %s", names[0]));
    expect_fail("layerpaths", "../" CID1, NULL, "No such container: ../" CID1);
    expect_fail("layerpaths", "/" CID1, NULL, "No such container: /" CID1);
    /* an image reference that is not a digest */
    put_cfg("sha256:"
            "ABCDEF0000000000000000000000000000000000000000000000000000000000",
            "/web", "{}");
    expect_fail("layerpaths", CID1, NULL,
                CFG1 ": \"Image\" is not a valid image ID: "
                     "\"sha256:ABCDEF0000000000000000000000000000000000000000000000000000000000\"");
    rest_ok(true);
}

/* ---- layer chains: cycles and 10,000 layers ---- */

Test(hostile, parent_cycles)
{
    /* The walk follows diff_ids, never parent pointers, so a cycle cannot loop: it is a
     * disagreement between the layer store and the image. */
    fx_write(&f, WF "layerdb/sha256/" C1_HEX "/parent", C3);
    expect_fail("layerpaths", CID1, NULL,
                fmt("container " CID1 ": image sha256:%s, layer 1 of 3: " WF
                    "layerdb/sha256/" C1_HEX "/parent: the image's base layer has parent " C3,
                    f.image_hex));
    fx_rm(&f, WF "layerdb/sha256/" C1_HEX "/parent");
    fx_write(&f, WF "layerdb/sha256/" C2_HEX "/parent", C2); /* itself */
    expect_fail("layerpaths", CID1, NULL,
                fmt("container " CID1 ": image sha256:%s, layer 2 of 3: " WF
                    "layerdb/sha256/" C2_HEX "/parent: parent is " C2 ", but the image's layer "
                    "below is sha256:" C1_HEX,
                    f.image_hex));
    rest_ok(false);
}

Test(hostile, ten_thousand_layers)
{
    size_t n = 10000, cap = n * 76 + 256, off = 0;
    char *json = malloc(cap), hex[65];
    cr_assert_not_null(json);
    off += (size_t)snprintf(json + off, cap - off,
                            "{\"os\":\"windows\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(json + off, cap - off, "%s\"sha256:%064zx\"", i ? "," : "", i);
    snprintf(json + off, cap - off, "]}}");
    fx_image(&f, json, hex);
    free(json);
    put_cfg(fmt("sha256:%s", hex), "/web", "{}");
    expect_fail("layerpaths", CID1, NULL,
                fmt("container " CID1 ": " WF "imagedb/content/sha256/%s: image has 10000 layers "
                    "(limit 125): max depth exceeded",
                    hex));
    struct run *r = ctl(f.root, "images", NULL);
    cr_assert_eq(r->rc, 1);
    cr_assert(strstr(r->out, fmt("sha256:%s\t-\t-\t-\t-\n", hex)), "%s", r->out);
    cr_assert(strstr(r->out, fmt("sha256:%s\twindows\tamd64\t1\t-\n", img2)), "%s", r->out);
    rest_ok(true);
}

/* ---- 2 GiB files: refused by their size, never read ---- */

static void sparse(const char *rel, off_t size)
{
    fx_rm(&f, rel);
    fx_write(&f, rel, "{");
    cr_assert_eq(truncate(fx_path(&f, rel), size), 0, "truncate %s", rel);
}

Test(hostile, two_gib_files)
{
    const off_t big = (off_t)2 << 30;
    char *cfg = save(CFG1), *hc = save(HC1);
    /* The message carries the size from fstat: the size check refused it before any read
     * (a file that grows while read says "grew past limit" instead). */
    sparse(CFG1, big);
    expect_fail("layerpaths", CID1, NULL,
                CFG1 ": file too large (2147483648 bytes, limit 16777216)");
    restore(CFG1, cfg);
    sparse(HC1, big);
    expect_fail("layerpaths", CID1, NULL,
                HC1 ": file too large (2147483648 bytes, limit 16777216)");
    restore(HC1, hc);
    sparse(WF "layerdb/sha256/" C2_HEX "/cache-id", big);
    expect_fail("layerpaths", CID1, NULL,
                fmt("container " CID1 ": image sha256:%s, layer 2 of 3: " WF
                    "layerdb/sha256/" C2_HEX "/cache-id: file too large (2147483648 bytes, limit "
                    "4096)",
                    f.image_hex));
    fx_write(&f, WF "layerdb/sha256/" C2_HEX "/cache-id", CACHE2);
    sparse("config/daemon.json", big);
    expect_fail("config", CID1, NULL,
                "config/daemon.json: file too large (2147483648 bytes, limit 16777216)");
    fx_rm(&f, "config/daemon.json");
    free(cfg);
    free(hc);
    rest_ok(false);
}

/* ---- deeply nested JSON, NUL bytes, invalid UTF-8 ---- */

Test(hostile, deeply_nested_json)
{
    size_t depth = 100000;
    char *cfg = save(CFG1), *hc = save(HC1);
    char *deep = malloc(2 * depth + 64);
    cr_assert_not_null(deep);
    strcpy(deep, "{\"Config\":");
    size_t o = strlen(deep);
    for (size_t i = 0; i < depth; i++)
        deep[o++] = '[';
    deep[o] = '\0';
    fx_write(&f, CFG1, deep);
    expect_fail("layerpaths", CID1, NULL,
                CFG1
                ": invalid JSON: maximum parsing depth reached near '[' (line 1, column 2058)");
    restore(CFG1, cfg);
    fx_write(&f, HC1, deep);
    expect_fail("layerpaths", CID1, NULL,
                HC1 ": invalid JSON: maximum parsing depth reached near '[' (line 1, column 2058)");
    restore(HC1, hc);
    /* an image config */
    char hex[65];
    memcpy(deep, "{\"rootfs\":", 10);
    fx_image(&f, deep, hex);
    put_cfg(fmt("sha256:%s", hex), "/web", "{}");
    expect_fail("layerpaths", CID1, NULL,
                fmt("container " CID1 ": " WF "imagedb/content/sha256/%s: invalid JSON: maximum "
                    "parsing depth reached near '[' (line 1, column 2058)",
                    hex));
    free(deep);
    free(cfg);
    free(hc);
    rest_ok(false);
}

Test(hostile, nul_bytes_and_invalid_utf8)
{
    static const struct {
        const char *data;
        size_t len;
        const char *msg;
    } cases[] = {
        {"{\"ID\":\"a\0b\"}", 12,
         CFG1 ": invalid JSON: control character 0x0 near '\"a' (line 1, column 8)"},
        {"{\"ID\":\"a\\u0000b\"}", 18,
         CFG1 ": invalid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near "
              "'\"a\\u0000b\"' (line 1, column 16)"},
        {"{\"ID\":\"\xff\"}", 10,
         CFG1 ": invalid JSON: unable to decode byte 0xff near '\"' (line "
              "1, column 7)"},
        {"{\"ID\":\"\xc0\xaf\"}", 11,
         CFG1 ": invalid JSON: unable to decode byte 0xc0 near '\"' (line 1, column 7)"},
        {"{\"ID\":\"\\ud800\"}", 16,
         CFG1 ": invalid JSON: invalid Unicode '\\uD800' near '\"\\ud800\"' (line 1, column 14)"},
        {"\0{}", 3, CFG1 ": invalid JSON: '[' or '{' expected near end of file (line 1, column 1)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fx_write_len(&f, CFG1, cases[i].data, cases[i].len);
        expect_fail("layerpaths", CID1, NULL, cases[i].msg);
    }
    /* one-line layerdb files and credential specs */
    fx_write_len(&f, WF "layerdb/mounts/" CID3 "/mount-id", CID3 "\0", 65);
    expect_fail("layerpaths", CID3, NULL,
                WF "layerdb/mounts/" CID3 "/mount-id: file contains a NUL byte");
    fx_write(&f, WF "layerdb/mounts/" CID3 "/mount-id", CID3);
    rest_ok(true);
}

/* ---- files replaced while being read ---- */

static char *config_of(struct layerstore *ls, const char *id, struct bf_error *e)
{
    struct spec_options o = {.format = SPEC_FORMAT_OCI, .host_cpus = 2};
    struct spec_bundle *b = NULL;
    char *out = NULL;

    cr_assert_eq(spec_bundle_generate(ls, id, &o, &b, e), 0);
    if (b->files[SPEC_FILE_CONFIG].data)
        out = strdup(b->files[SPEC_FILE_CONFIG].data);
    else
        bf_error_set(e, b->files[SPEC_FILE_CONFIG].err.code, "%s",
                     bf_error_message(&b->files[SPEC_FILE_CONFIG].err));
    spec_bundle_free(b);
    return out;
}

/* A child replaces config.v2.json between two versions as fast as it can, atomically (rename)
 * or in place (truncate and rewrite in two halves); the parent generates meanwhile. Every
 * result must be version A's or version B's exact config.json, or (in place only, where a
 * reader can see a half-written file) an error about that file: never a mix, never a crash. */
static void replaced_while_read(bool atomic)
{
    struct layerstore *ls = NULL;
    struct bf_error e = BF_ERROR_INIT;
    char *va = save(CFG1), *vb = strdup(va), *want_a, *want_b;
    size_t seen_a = 0, seen_b = 0, seen_err = 0;

    cr_assert_eq(layerstore_open(f.root, NULL, &ls, &e), 0);
    char *p = strstr(vb, "\"Path\":\"cmd\"");
    cr_assert_not_null(p);
    memcpy(p, "\"Path\":\"CMD\"", 12);
    want_a = config_of(ls, CID1, &e);
    restore(CFG1, vb);
    want_b = config_of(ls, CID1, &e);
    cr_assert(want_a && want_b && strcmp(want_a, want_b) != 0);

    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        char tmp[512], dst[512];
        snprintf(tmp, sizeof(tmp), "%s.tmp", fx_path(&f, CFG1));
        snprintf(dst, sizeof(dst), "%s", fx_path(&f, CFG1));
        for (unsigned long i = 0;; i++) {
            const char *v = (i & 1) ? vb : va;
            size_t n = strlen(v);
            int fd = open(atomic ? tmp : dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0)
                _exit(1);
            if (write(fd, v, n / 2) < 0 || write(fd, v + n / 2, n - n / 2) < 0)
                _exit(1);
            close(fd);
            if (atomic && rename(tmp, dst) < 0)
                _exit(1);
            /* Leave each version in place a moment: a reader must also meet whole files
             * (otherwise the in-place case could pass on errors alone). */
            usleep(atomic ? 500 : 3000);
        }
    }
    for (int i = 0; i < 400; i++) {
        char *got = config_of(ls, CID1, &e);
        if (got) {
            cr_assert(strcmp(got, want_a) == 0 || strcmp(got, want_b) == 0,
                      "round %d: a config.json that is neither version:\n%s", i, got);
            seen_a += strcmp(got, want_a) == 0;
            seen_b += strcmp(got, want_b) == 0;
            free(got);
        } else {
            cr_assert(!atomic, "round %d: atomic replacement gave an error: %s", i,
                      bf_error_message(&e));
            cr_assert(strncmp(e.msg, CFG1 ": ", strlen(CFG1) + 2) == 0,
                      "round %d: error not about the file being written: %s", i, e.msg);
            if (!seen_err)
                cr_log_info("first refusal: %s", e.msg);
            seen_err++;
        }
        bf_error_clear(&e);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    cr_log_info("%s replacement: %zu version A, %zu version B, %zu half-written files refused",
                atomic ? "atomic" : "in-place", seen_a, seen_b, seen_err);
    cr_assert_gt(seen_a + seen_b, 0);
    restore(CFG1, va);
    layerstore_close(ls);
    free(va);
    free(vb);
    free(want_a);
    free(want_b);
    rest_ok(true);
}

Test(hostile, replaced_atomically_while_read)
{
    replaced_while_read(true);
}

Test(hostile, rewritten_in_place_while_read)
{
    replaced_while_read(false);
}

/* ---- permission denied (as an unprivileged user; root reads everything) ---- */

Test(hostile, permission_denied)
{
    cr_assert_eq(chmod(fx_path(&f, CFG1), 0600), 0);
    expect_fail_as(NOBODY, "layerpaths", CID1, NULL, CFG1 ": permission denied");
    rest_ok_as(NOBODY, true);
    cr_assert_eq(chmod(fx_path(&f, CFG1), 0644), 0);
    /* a directory that cannot be searched */
    cr_assert_eq(chmod(fx_path(&f, WF "layerdb/sha256/" C2_HEX), 0700), 0);
    expect_fail_as(NOBODY, "layerpaths", CID1, NULL,
                   fmt("container " CID1 ": image sha256:%s, layer 2 of 3: " WF
                       "layerdb/sha256/" C2_HEX "/cache-id: permission denied",
                       f.image_hex));
    rest_ok_as(NOBODY, false);
    /* as root, all is well again */
    struct run *r = ctl(f.root, "errors", CID1, NULL);
    cr_assert_eq(r->rc, 0);
    cr_assert_str_eq(r->out, "");
}

/* ---- FIFOs and device nodes: refused without being opened ---- */

Test(hostile, fifo_is_never_opened)
{
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    fx_rm(&f, HC1);
    fx_mkfifo(&f, HC1);
    /* A writer blocks in open() until some reader opens the FIFO. */
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(ready[0]);
        int fd = open(fx_path(&f, HC1), O_WRONLY);
        if (write(ready[1], fd >= 0 ? "o" : "e", 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(ready[1]);
    expect_fail("layerpaths", CID1, NULL, HC1 ": not a regular file");
    expect_fail("config", CID1, NULL, HC1 ": not a regular file");
    rest_ok(true);
    /* The writer is still waiting: nobody opened the FIFO. */
    struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
    cr_assert_eq(poll(&pfd, 1, 200), 0, "the FIFO was opened for reading");
    /* Opening it now releases the writer, which proves it was really waiting. */
    int rd = open(fx_path(&f, HC1), O_RDONLY | O_NONBLOCK);
    cr_assert_geq(rd, 0);
    char c = 0;
    cr_assert_eq(poll(&pfd, 1, 10000), 1, "the writer never got the FIFO open");
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_eq(c, 'o');
    close(rd);
    close(ready[0]);
    waitpid(pid, NULL, 0);
}

Test(hostile, device_nodes_are_never_opened)
{
    /* Major 240 is for local/experimental use and has no driver here: opening the node would
     * fail with ENXIO ("no such device or address"), so only a refusal made before opening
     * gives "not a regular file". */
    fx_rm(&f, CFG1);
    cr_assert_eq(mknod(fx_path(&f, CFG1), S_IFCHR | 0644, makedev(240, 0)), 0);
    expect_fail("layerpaths", CID1, NULL, CFG1 ": not a regular file");
    fx_rm(&f, WF "layerdb/mounts/" CID3 "/mount-id");
    cr_assert_eq(
        mknod(fx_path(&f, WF "layerdb/mounts/" CID3 "/mount-id"), S_IFBLK | 0644, makedev(240, 1)),
        0);
    expect_fail("layerpaths", CID3, NULL,
                WF "layerdb/mounts/" CID3 "/mount-id: not a regular file");
    /* /dev/zero's numbers: an endless file if it were read */
    fx_rm(&f, "config/daemon.json");
    fx_mkdir(&f, "config");
    cr_assert_eq(mknod(fx_path(&f, "config/daemon.json"), S_IFCHR | 0644, makedev(1, 5)), 0);
    expect_fail("config", CID2, NULL, "config/daemon.json: not a regular file");
    fx_rm(&f, "config/daemon.json");
    rest_ok(false);
}
