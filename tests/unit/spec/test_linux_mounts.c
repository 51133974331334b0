/* spec/linux_mounts.c: withMounts (moby v20.10.24 daemon/oci_linux.go WithMounts and
 * withCommonOptions' docker-init bind), setupMounts (daemon/volumes_unix.go), NetworkMounts,
 * IpcMounts, TmpfsMounts and TrySetNetworkMount (container/container_unix.go),
 * ConvertTmpfsOptions (volume/mounts/linux_parser.go) and mount.MergeTmpfsOptions
 * (vendor/github.com/moby/sys/mount/flags_unix.go).
 *
 * Most tests call spec_linux_mounts() on a container loaded from a fixture data-root, with a
 * hand-made struct ls_host; a few go through spec_bundle_generate. Mounts are compared as text,
 * one line per mount: "<destination> <type> <source> <options joined with ','>", with the
 * data-root written as R. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfx.h"
#include "spec_internal.h"

static struct lfx x;

static void setup(void)
{
    lfx_init(&x, "overlay2");
}

static void teardown(void)
{
    lfx_cleanup(&x);
}

/* oci.DefaultLinuxSpec().Mounts, /dev/shm sized by ShmSize 67108864 (lfx's default) */
#define M_PROC "/proc proc proc nosuid,noexec,nodev\n"
#define M_DEV "/dev tmpfs tmpfs nosuid,strictatime,mode=755,size=65536k\n"
#define M_PTS "/dev/pts devpts devpts nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5\n"
#define M_SYS "/sys sysfs sysfs nosuid,noexec,nodev,ro\n"
#define M_CGROUP "/sys/fs/cgroup cgroup cgroup ro,nosuid,noexec,nodev\n"
#define M_MQUEUE "/dev/mqueue mqueue mqueue nosuid,noexec,nodev\n"
#define M_SHM "/dev/shm tmpfs shm nosuid,noexec,nodev,mode=1777,size=67108864\n"
#define DEFAULTS M_PROC M_DEV M_PTS M_SYS M_CGROUP M_MQUEUE M_SHM

struct lm {
    int r;
    char *text; /* the mounts as lines */
    char *propagation;
    char *note;
    char *msg;
};

static char *dump(const struct spec_lmounts *m)
{
    size_t cap = 256, len = 0, rl = strlen(x.f.root);
    char *s = malloc(cap);

    s[0] = '\0';
    for (size_t i = 0; i < m->n; i++) {
        const struct spec_lmount *e = &m->v[i];
        char src[1024], line[4096];
        if (strncmp(e->source, x.f.root, rl) == 0)
            snprintf(src, sizeof(src), "R%s", e->source + rl);
        else
            snprintf(src, sizeof(src), "%s", e->source);
        int n = snprintf(line, sizeof(line), "%s %s %s ", e->destination, e->type, src);
        for (size_t k = 0; k < e->n_options; k++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s", k ? "," : "", e->options[k]);
        snprintf(line + n, sizeof(line) - (size_t)n, "\n");
        while (len + strlen(line) + 1 > cap)
            s = realloc(s, cap *= 2);
        strcpy(s + len, line);
        len += strlen(line);
    }
    return s;
}

static struct lm run_h(const char *id, const struct ls_host *h, const char *init)
{
    struct layerstore *ls = lfx_store(&x);
    struct ls_container *c = NULL;
    struct ls_inputs in = {0};
    struct bf_error err = BF_ERROR_INIT;
    struct spec_lmounts m;
    struct lm out = {0};

    cr_assert_eq(layerstore_container_load(ls, id, &c, &in, &err), 0, "%s", bf_error_message(&err));
    out.r = spec_linux_mounts(ls, c, h, init, &m, &in, &err);
    if (out.r == 0) {
        out.text = dump(&m);
        out.propagation = m.rootfs_propagation ? strdup(m.rootfs_propagation) : NULL;
        out.note = m.note ? strdup(m.note) : NULL;
        spec_lmounts_free(&m);
    } else {
        out.msg = strdup(bf_error_message(&err));
    }
    bf_error_clear(&err);
    ls_inputs_free(&in);
    ls_container_free(c);
    return out;
}

static struct lm run(const char *id)
{
    struct ls_host h = {0};
    return run_h(id, &h, NULL);
}

static void lm_free(struct lm *l)
{
    free(l->text);
    free(l->propagation);
    free(l->note);
    free(l->msg);
}

static void ctr(const char *top, const char *host)
{
    lfx_ctr(&x, CID1, &(struct lfx_ctr){.top = top, .host = host});
}

/* ---- MergeTmpfsOptions ---- */

struct merged {
    int r;
    char *got;
    char *msg;
};

static struct merged merge(const char *const *opts, size_t n)
{
    char **v = calloc(n + 1, sizeof(*v)), **out = (char **)0x1;
    size_t n_out = 99;
    struct bf_error err = BF_ERROR_INIT;
    struct merged m = {0};

    for (size_t i = 0; i < n; i++)
        v[i] = strdup(opts[i]);
    m.r = spec_merge_tmpfs_options(v, n, &out, &n_out, &err);
    /* opts (array and strings) were consumed */
    if (m.r == 0) {
        size_t len = 1;
        for (size_t i = 0; i < n_out; i++)
            len += strlen(out[i]) + 1;
        m.got = calloc(1, len);
        for (size_t i = 0; i < n_out; i++) {
            if (i)
                strcat(m.got, ",");
            strcat(m.got, out[i]);
        }
        ls_strv_free(out, n_out);
    } else {
        cr_expect_null(out);
        cr_expect_eq(n_out, 0);
        m.msg = strdup(bf_error_message(&err));
    }
    bf_error_clear(&err);
    return m;
}

#define MERGE(...)                                                                                 \
    merge((const char *const[]){__VA_ARGS__},                                                      \
          sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void expect_merge(struct merged m, const char *want)
{
    cr_expect_eq(m.r, 0, "%s", m.msg ? m.msg : "");
    if (m.got)
        cr_expect_str_eq(m.got, want);
    free(m.got);
    free(m.msg);
}

static void expect_merge_err(struct merged m, const char *want)
{
    cr_expect_eq(m.r, -EINVAL);
    if (m.msg)
        cr_expect_str_eq(m.msg, want);
    free(m.got);
    free(m.msg);
}

Test(merge_tmpfs, nothing_to_merge)
{
    expect_merge(MERGE("noexec", "nosuid", "nodev", "rprivate", "rw", "size=64m"),
                 "noexec,nosuid,nodev,rprivate,rw,size=64m");
    expect_merge(merge(NULL, 0), "");
}

Test(merge_tmpfs, reverse_order_dedupe_last_wins_in_its_place)
{
    /* walked backwards, each new key prepended: the last of a key stays, where it was */
    expect_merge(MERGE("noexec", "nosuid", "nodev", "rprivate", "exec", "size=1m", "size=2m"),
                 "nosuid,nodev,rprivate,exec,size=2m");
    expect_merge(MERGE("nosuid", "noexec", "nosuid"), "noexec,nosuid");
}

Test(merge_tmpfs, propagation_flags_collide)
{
    /* every propagation flag has the key -1, bind and rbind included */
    expect_merge(MERGE("rprivate", "shared", "bind"), "bind");
    expect_merge(MERGE("noexec", "rprivate", "rslave", "nodev"), "noexec,rslave,nodev");
    expect_merge(MERGE("runbindable", "private"), "private");
}

Test(merge_tmpfs, ro_rw_collide)
{
    expect_merge(MERGE("ro", "nosuid", "rw"), "nosuid,rw");
    expect_merge(MERGE("rw", "ro"), "ro");
}

Test(merge_tmpfs, flags_collide_by_value)
{
    /* pairs share a flag value (sync/async, atime/noatime, ...); dirsync, relatime and
     * strictatime are flags of their own */
    expect_merge(MERGE("sync", "async", "dirsync", "atime", "noatime", "relatime", "strictatime"),
                 "async,dirsync,noatime,relatime,strictatime");
    expect_merge(MERGE("suid", "dev", "exec", "nosuid", "nodev", "noexec"), "nosuid,nodev,noexec");
    expect_merge(MERGE("mand", "nomand", "diratime", "nodiratime", "norelatime", "nostrictatime"),
                 "nomand,nodiratime,norelatime,nostrictatime");
    expect_merge(MERGE("remount", "remount"), "remount");
}

Test(merge_tmpfs, data_options_by_key)
{
    expect_merge(MERGE("mode=1777", "uid=1", "mode=700", "gid=2"), "uid=1,mode=700,gid=2");
    expect_merge(MERGE("nr_inodes=10", "nr_blocks=20", "mpol=default", "size=1g"),
                 "nr_inodes=10,nr_blocks=20,mpol=default,size=1g");
    /* "" is a valid key: "=x" is a data option */
    expect_merge(MERGE("=x", "=y"), "=y");
    /* the value may hold '=' */
    expect_merge(MERGE("mpol=bind=1"), "mpol=bind=1");
    /* a data key and a flag never collide */
    expect_merge(MERGE("size=1m", "ro", "size=2m"), "ro,size=2m");
}

Test(merge_tmpfs, defaults_dropped)
{
    expect_merge(MERGE("defaults", "noexec", "defaults"), "noexec");
    expect_merge(MERGE("defaults"), "");
}

Test(merge_tmpfs, invalid_option_error_text)
{
    /* fmt.Errorf("Invalid tmpfs option %q", strings.SplitN(option, "=", 2)) */
    expect_merge_err(MERGE("noexec", "foo"), "Invalid tmpfs option [\"foo\"]");
    expect_merge_err(MERGE("foo=bar"), "Invalid tmpfs option [\"foo\" \"bar\"]");
    expect_merge_err(MERGE("huge=always"), "Invalid tmpfs option [\"huge\" \"always\"]");
    expect_merge_err(MERGE("size=1m", "foo=a=b"), "Invalid tmpfs option [\"foo\" \"a=b\"]");
    expect_merge_err(MERGE(""), "Invalid tmpfs option [\"\"]");
    expect_merge_err(MERGE("x="), "Invalid tmpfs option [\"x\" \"\"]");
    /* walked backwards: the last bad option is the one reported */
    expect_merge_err(MERGE("bad1", "noexec", "bad2"), "Invalid tmpfs option [\"bad2\"]");
    /* keys are case sensitive */
    expect_merge_err(MERGE("Size=1m"), "Invalid tmpfs option [\"Size\" \"1m\"]");
    expect_merge_err(MERGE("RO"), "Invalid tmpfs option [\"RO\"]");
}

/* Regression (once wrong in spec/linux_mounts.c spec_merge_tmpfs_options): Go's %q escapes '"' and '\\' (and
 * non-printable bytes) in each element; bundlefs prints them raw. */
Test(merge_tmpfs, invalid_option_quoted_like_go)
{
    expect_merge_err(MERGE("a\"b"), "Invalid tmpfs option [\"a\\\"b\"]");
    expect_merge_err(MERGE("k=v\\w"), "Invalid tmpfs option [\"k\" \"v\\\\w\"]");
}

/* ---- the default mounts ---- */

Test(linux_mounts, defaults_only, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL);
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS);
    cr_expect_null(l.propagation);
    cr_expect_null(l.note);
    lm_free(&l);
}

Test(linux_mounts, init_bind_after_the_defaults, .init = setup, .fini = teardown)
{
    struct ls_host h = {0};
    ctr(NULL, NULL);
    struct lm l = run_h(CID1, &h, "/usr/libexec/docker-init");
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/sbin/docker-init bind /usr/libexec/docker-init bind,ro\n");
    lm_free(&l);

    /* a user mount there replaces it, as any default */
    ctr("{\"MountPoints\":{\"/sbin/docker-init\":{\"Source\":\"/opt/tini\","
        "\"Destination\":\"/sbin/docker-init\",\"RW\":false,\"Type\":\"bind\"}}}",
        NULL);
    l = run_h(CID1, &h, "/usr/libexec/docker-init");
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/sbin/docker-init bind /opt/tini rbind,ro\n");
    lm_free(&l);
}

Test(linux_mounts, shm_size_option, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"ShmSize\":1048576}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_not_null(strstr(l.text, "/dev/shm tmpfs shm nosuid,noexec,nodev,mode=1777,"
                                      "size=1048576\n"),
                       "%s", l.text);
    lm_free(&l);

    /* strconv.FormatInt(ShmSize): whatever is stored, 0 included */
    ctr(NULL, "{\"ShmSize\":0}");
    l = run(CID1);
    cr_expect_not_null(strstr(l.text, "mode=1777,size=0\n"), "%s", l.text);
    lm_free(&l);
}

Test(linux_mounts, ipc_none_drops_dev_shm, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"IpcMode\":\"none\"}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, M_PROC M_DEV M_PTS M_SYS M_CGROUP M_MQUEUE);
    lm_free(&l);
}

Test(linux_mounts, ipc_modes_and_shm_path, .init = setup, .fini = teardown)
{
    /* shareable: IpcMounts binds ShmPath, which replaces the default /dev/shm */
    ctr("{\"ShmPath\":\"/var/lib/docker/containers/" CID1 "/mounts/shm\"}",
        "{\"IpcMode\":\"shareable\"}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, M_PROC M_DEV M_PTS M_SYS M_CGROUP M_MQUEUE
                     "/dev/shm bind R/containers/" CID1 "/mounts/shm rbind,rprivate\n");
    lm_free(&l);

    /* host: ShmPath is the host's /dev/shm */
    ctr("{\"ShmPath\":\"/dev/shm\"}", "{\"IpcMode\":\"host\"}");
    l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, M_PROC M_DEV M_PTS M_SYS M_CGROUP M_MQUEUE
                     "/dev/shm bind /dev/shm rbind,rprivate\n");
    lm_free(&l);

    /* private and "" (an older daemon's): no IpcMounts, the default /dev/shm */
    ctr("{\"ShmPath\":\"/var/lib/docker/containers/" CID1 "/mounts/shm\"}",
        "{\"IpcMode\":\"private\"}");
    l = run(CID1);
    cr_expect_str_eq(l.text, DEFAULTS);
    lm_free(&l);
    ctr("{\"ShmPath\":\"/var/lib/docker/containers/" CID1 "/mounts/shm\"}", "{\"IpcMode\":\"\"}");
    l = run(CID1);
    cr_expect_str_eq(l.text, DEFAULTS);
    lm_free(&l);

    /* shareable without ShmPath: nothing to bind, the default stays */
    ctr(NULL, "{\"IpcMode\":\"shareable\"}");
    l = run(CID1);
    cr_expect_str_eq(l.text, DEFAULTS);
    lm_free(&l);

    /* a user mount at /dev/shm: IpcMounts returns nothing (HasMountFor) */
    ctr("{\"ShmPath\":\"/var/lib/docker/containers/" CID1 "/mounts/shm\",\"MountPoints\":{"
        "\"/dev/shm\":{\"Source\":\"/big/shm\",\"Destination\":\"/dev/shm\",\"RW\":true,"
        "\"Type\":\"bind\"}}}",
        "{\"IpcMode\":\"shareable\"}");
    l = run(CID1);
    cr_expect_str_eq(l.text,
                     M_PROC M_DEV M_PTS M_SYS M_CGROUP M_MQUEUE "/dev/shm bind /big/shm rbind\n");
    lm_free(&l);
}

Test(linux_mounts, user_dev_drops_every_default_under_dev, .init = setup, .fini = teardown)
{
    struct ls_host h = {0};
    ctr("{\"MountPoints\":{\"/dev\":{\"Source\":\"/dev\",\"Destination\":\"/dev\",\"RW\":true,"
        "\"Type\":\"bind\",\"Propagation\":\"rprivate\"}}}",
        NULL);
    struct lm l = run_h(CID1, &h, "/usr/bin/docker-init");
    cr_assert_eq(l.r, 0, "%s", l.msg);
    /* /dev/pts, /dev/mqueue, /dev/shm go; /sbin/docker-init is not under /dev/ */
    cr_expect_str_eq(l.text, M_PROC M_SYS M_CGROUP "/sbin/docker-init bind /usr/bin/docker-init "
                                                   "bind,ro\n/dev bind /dev rbind,rprivate\n");
    lm_free(&l);

    /* the same for a tmpfs at /dev */
    ctr(NULL, "{\"Tmpfs\":{\"/dev\":\"size=1m\"}}");
    l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, M_PROC M_SYS M_CGROUP
                     "/dev tmpfs tmpfs noexec,nosuid,nodev,rprivate,size=1m\n");
    lm_free(&l);
}

/* ---- ordering ---- */

Test(linux_mounts, ordered_by_depth_with_stable_ties, .init = setup, .fini = teardown)
{
    fx_write(&x.f, "containers/" CID1 "/resolv.conf", "nameserver 1.1.1.1\n");
    fx_write(&x.f, "containers/" CID1 "/hostname", "h0st\n");
    fx_write(&x.f, "containers/" CID1 "/hosts", "127.0.0.1 localhost\n");
    ctr("{\"ResolvConfPath\":\"/var/lib/docker/containers/" CID1 "/resolv.conf\","
        "\"HostnamePath\":\"/var/lib/docker/containers/" CID1 "/hostname\","
        "\"HostsPath\":\"/var/lib/docker/containers/" CID1 "/hosts\","
        "\"MountPoints\":{"
        "\"/a/b/c\":{\"Source\":\"/s/abc\",\"Destination\":\"/a/b/"
        "c\",\"RW\":true,\"Type\":\"bind\"},"
        "\"/z\":{\"Source\":\"/s/z\",\"Destination\":\"/z\",\"RW\":true,\"Type\":\"bind\"},"
        "\"/m/\":{\"Source\":\"/s/m\",\"Destination\":\"/m/\",\"RW\":true,\"Type\":\"bind\"},"
        "\"/a/b\":{\"Source\":\"/s/ab\",\"Destination\":\"/a/b\",\"RW\":false,\"Type\":\"bind\"},"
        "\"/q/../a/x\":{\"Source\":\"/s/ax\",\"Destination\":\"/q/../a/x\",\"RW\":true,"
        "\"Type\":\"bind\"}}}",
        "{\"Tmpfs\":{\"/tmp\":\"\",\"/run/x\":\"size=1m\"}}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    /* depth = separators in filepath.Clean(destination); within a depth: the mount points
     * (by destination: Docker's map order is random), the network files, IpcMounts, then
     * tmpfs, as withMounts appends them (sort.Sort is an insertion sort for so few) */
    cr_expect_str_eq(l.text, DEFAULTS
                     "/m/ bind /s/m rbind\n"
                     "/z bind /s/z rbind\n"
                     "/tmp tmpfs tmpfs noexec,nosuid,nodev,rprivate\n"
                     "/a/b bind /s/ab rbind,ro\n"
                     "/q/../a/x bind /s/ax rbind\n"
                     "/etc/resolv.conf bind R/containers/" CID1 "/resolv.conf rbind,rprivate\n"
                     "/etc/hostname bind R/containers/" CID1 "/hostname rbind,rprivate\n"
                     "/etc/hosts bind R/containers/" CID1 "/hosts rbind,rprivate\n"
                     "/run/x tmpfs tmpfs noexec,nosuid,nodev,rprivate,size=1m\n"
                     "/a/b/c bind /s/abc rbind\n");
    lm_free(&l);
}

/* ---- read-only rootfs and privileged ---- */

Test(linux_mounts, read_only_rootfs, .init = setup, .fini = teardown)
{
    struct ls_host h = {0};
    fx_write(&x.f, "containers/" CID1 "/resolv.conf", "nameserver 1.1.1.1\n");
    fx_write(&x.f, "containers/" CID1 "/hosts", "127.0.0.1 localhost\n");
    ctr("{\"ResolvConfPath\":\"/var/lib/docker/containers/" CID1 "/resolv.conf\","
        "\"HostsPath\":\"/var/lib/docker/containers/" CID1 "/hosts\","
        "\"MountPoints\":{"
        "\"/data\":{\"Source\":\"/s/data\",\"Destination\":\"/"
        "data\",\"RW\":true,\"Type\":\"bind\"},"
        "\"/etc/hosts\":{\"Source\":\"/s/hosts\",\"Destination\":\"/etc/hosts\",\"RW\":true,"
        "\"Type\":\"bind\"}}}",
        "{\"ReadonlyRootfs\":true,\"Tmpfs\":{\"/tmp\":\"\"}}");
    struct lm l = run_h(CID1, &h, "/usr/bin/docker-init");
    cr_assert_eq(l.r, 0, "%s", l.msg);
    /* "ro" goes on the non-user mounts outside /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue:
     * those (sysfs, cgroup, docker-init) have it already. User mounts are spared; a network
     * file is Writable = !ReadonlyRootfs unless a mount point says RW. */
    cr_expect_str_eq(l.text, DEFAULTS "/sbin/docker-init bind /usr/bin/docker-init bind,ro\n"
                                      "/data bind /s/data rbind\n"
                                      "/tmp tmpfs tmpfs noexec,nosuid,nodev,rprivate\n"
                                      "/etc/resolv.conf bind R/containers/" CID1
                                      "/resolv.conf rbind,ro,rprivate\n"
                                      "/etc/hosts bind /s/hosts rbind,rprivate\n");
    lm_free(&l);
}

Test(linux_mounts, privileged_clears_ro_of_sys_and_cgroup, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"Privileged\":true}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, M_PROC M_DEV M_PTS
                     "/sys sysfs sysfs nosuid,noexec,nodev\n"
                     "/sys/fs/cgroup cgroup cgroup nosuid,noexec,nodev\n" M_MQUEUE M_SHM);
    lm_free(&l);

    /* with a read-only root: ro is added first (already there), then cleared */
    ctr(NULL, "{\"Privileged\":true,\"ReadonlyRootfs\":true}");
    l = run(CID1);
    cr_expect_str_eq(l.text, M_PROC M_DEV M_PTS
                     "/sys sysfs sysfs nosuid,noexec,nodev\n"
                     "/sys/fs/cgroup cgroup cgroup nosuid,noexec,nodev\n" M_MQUEUE M_SHM);
    lm_free(&l);
}

Test(linux_mounts, userns_remap_clears_ro_of_cgroup_only, .init = setup, .fini = teardown)
{
    struct ls_host h = {.userns_remap = true};
    ctr(NULL, NULL);
    struct lm l = run_h(CID1, &h, NULL);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, M_PROC M_DEV M_PTS M_SYS
                     "/sys/fs/cgroup cgroup cgroup nosuid,noexec,nodev\n" M_MQUEUE M_SHM);
    lm_free(&l);
}

Test(linux_mounts, privileged_cgroup_rule_is_by_type, .init = setup, .fini = teardown)
{
    /* a user bind over /sys/fs/cgroup is type bind: its ro stays */
    ctr("{\"MountPoints\":{\"/sys/fs/cgroup\":{\"Source\":\"/sys/fs/cgroup\","
        "\"Destination\":\"/sys/fs/cgroup\",\"RW\":false,\"Type\":\"bind\"}}}",
        "{\"Privileged\":true}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text,
                     M_PROC M_DEV M_PTS "/sys sysfs sysfs nosuid,noexec,nodev\n" M_MQUEUE M_SHM
                                        "/sys/fs/cgroup bind /sys/fs/cgroup rbind,ro\n");
    lm_free(&l);
}

/* Regression (once wrong in spec/linux_mounts.c spec_linux_mounts): WithMounts clears "ro" of every mount whose
 * destination is /sys when privileged (`for i := range s.Mounts`), user mounts included;
 * bundlefs clears it on the default /sys only, so a read-only bind at /sys keeps "ro". */
Test(linux_mounts, privileged_clears_ro_of_a_user_sys_mount, .init = setup, .fini = teardown)
{
    ctr("{\"MountPoints\":{\"/sys\":{\"Source\":\"/sys\",\"Destination\":\"/sys\","
        "\"RW\":false,\"Type\":\"bind\"}}}",
        "{\"Privileged\":true}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, M_PROC M_DEV M_PTS
                     "/sys/fs/cgroup cgroup cgroup nosuid,noexec,nodev\n" M_MQUEUE M_SHM
                     "/sys bind /sys rbind\n");
    lm_free(&l);
}

/* ---- binds and propagation ---- */

Test(linux_mounts, bind_options, .init = setup, .fini = teardown)
{
    ctr("{\"MountPoints\":{"
        "\"/a\":{\"Source\":\"/s/a\",\"Destination\":\"/a\",\"RW\":true,\"Type\":\"bind\","
        "\"Propagation\":\"rprivate\",\"Spec\":{\"Type\":\"bind\",\"Source\":\"/s/a\","
        "\"Target\":\"/a\",\"BindOptions\":{\"NonRecursive\":true}}},"
        "\"/b\":{\"Source\":\"/s/b\",\"Destination\":\"/b\",\"RW\":false,\"Type\":\"bind\","
        "\"Propagation\":\"private\"},"
        "\"/c\":{\"Source\":\"/s/c\",\"Destination\":\"/c\",\"RW\":true,\"Type\":\"volume\","
        "\"Name\":\"\",\"Spec\":{\"Type\":\"volume\",\"BindOptions\":{\"NonRecursive\":true}}}}}",
        NULL);
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    /* NonRecursive counts for Spec.Type bind only */
    cr_expect_str_eq(l.text, DEFAULTS "/a bind /s/a bind,rprivate\n"
                                      "/b bind /s/b rbind,ro,private\n"
                                      "/c bind /s/c rbind\n");
    cr_expect_null(l.propagation);
    lm_free(&l);
}

Test(linux_mounts, shared_and_slave_set_rootfs_propagation, .init = setup, .fini = teardown)
{
    ctr("{\"MountPoints\":{\"/a\":{\"Source\":\"/s/a\",\"Destination\":\"/a\",\"RW\":true,"
        "\"Type\":\"bind\",\"Propagation\":\"rshared\"}}}",
        NULL);
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/a bind /s/a rbind,rshared\n");
    cr_expect_str_eq(l.propagation, "shared");
    lm_free(&l);

    ctr("{\"MountPoints\":{\"/a\":{\"Source\":\"/s/a\",\"Destination\":\"/a\",\"RW\":true,"
        "\"Type\":\"bind\",\"Propagation\":\"slave\"}}}",
        NULL);
    l = run(CID1);
    cr_expect_str_eq(l.propagation, "rslave");
    lm_free(&l);

    /* shared wins over slave, whatever the order */
    ctr("{\"MountPoints\":{"
        "\"/a\":{\"Source\":\"/s/a\",\"Destination\":\"/a\",\"RW\":true,\"Type\":\"bind\","
        "\"Propagation\":\"shared\"},"
        "\"/b/c\":{\"Source\":\"/s/b\",\"Destination\":\"/b/c\",\"RW\":true,\"Type\":\"bind\","
        "\"Propagation\":\"rslave\"}}}",
        NULL);
    l = run(CID1);
    cr_expect_str_eq(l.propagation, "shared");
    lm_free(&l);
    ctr("{\"MountPoints\":{"
        "\"/a\":{\"Source\":\"/s/a\",\"Destination\":\"/a\",\"RW\":true,\"Type\":\"bind\","
        "\"Propagation\":\"rslave\"},"
        "\"/b/c\":{\"Source\":\"/s/b\",\"Destination\":\"/b/c\",\"RW\":true,\"Type\":\"bind\","
        "\"Propagation\":\"rshared\"}}}",
        NULL);
    l = run(CID1);
    cr_expect_str_eq(l.propagation, "shared");
    lm_free(&l);
}

/* Regression (once wrong in spec/linux_mounts.c mount_source): MountPoint.Setup's text for a bind without a source
 * is "Unable to setup mount point, neither source nor volume defined"; bundlefs words its own
 * ("No source for mount name ..."). */
Test(linux_mounts, bind_without_source_error_text, .init = setup, .fini = teardown)
{
    ctr("{\"MountPoints\":{\"/a\":{\"Source\":\"\",\"Destination\":\"/a\",\"RW\":true,"
        "\"Type\":\"bind\"}}}",
        NULL);
    struct lm l = run(CID1);
    cr_expect_lt(l.r, 0);
    cr_expect_str_eq(l.msg, "container " CID1 ": Unable to setup mount point, neither source nor "
                            "volume defined");
    lm_free(&l);
}

/* ---- volumes ---- */

#define VOL(name, drv, rw)                                                                         \
    "{\"MountPoints\":{\"/data\":{\"Source\":\"\",\"Destination\":\"/data\",\"RW\":" rw ","        \
    "\"Name\":\"" name "\",\"Driver\":\"" drv "\",\"Type\":\"volume\","                            \
    "\"Propagation\":\"\",\"Spec\":{\"Type\":\"volume\",\"Source\":\"" name "\","                  \
    "\"Target\":\"/data\"}}}}"

Test(linux_mounts, local_volume_is_its_data_folder, .init = setup, .fini = teardown)
{
    fx_mkdir(&x.f, "volumes/vol1/_data");
    ctr(VOL("vol1", "local", "true"), NULL);
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/data bind R/volumes/vol1/_data rbind\n");
    lm_free(&l);

    ctr(VOL("vol1", "local", "false"), NULL);
    l = run(CID1);
    cr_expect_str_eq(l.text, DEFAULTS "/data bind R/volumes/vol1/_data rbind,ro\n");
    lm_free(&l);
}

Test(linux_mounts, missing_volume, .init = setup, .fini = teardown)
{
    ctr(VOL("vol1", "local", "true"), NULL);
    struct lm l = run(CID1);
    cr_expect_eq(l.r, -ENOENT);
    /* volume/service OpErr{Op: "get", Name, Err: errNoSuchVolume} */
    cr_expect_str_eq(l.msg, "container " CID1 ": get vol1: no such volume");
    lm_free(&l);

    /* a file named like the volume is no volume either */
    fx_write(&x.f, "volumes/vol1", "x");
    l = run(CID1);
    cr_expect_str_eq(l.msg, "container " CID1 ": get vol1: no such volume");
    lm_free(&l);
}

/* Regression (once wrong in spec/linux.c spec_linux_prepare + spec/linux_mounts.c mount_source): mount_source's
 * messages already start with "container <id>: " and spec_linux_prepare wraps every
 * spec_linux_mounts error with it again: "container <id>: container <id>: get vol1: ...". */
Test(linux_mounts, missing_volume_through_the_bundle, .init = setup, .fini = teardown)
{
    ctr(VOL("vol1", "local", "true"), NULL);
    char *msg = lfx_config_err(&x, CID1);
    cr_expect_str_eq(msg, "container " CID1 ": get vol1: no such volume");
    free(msg);
}

Test(linux_mounts, volume_of_another_driver_is_an_error, .init = setup, .fini = teardown)
{
    fx_mkdir(&x.f, "volumes/vol1/_data");
    ctr(VOL("vol1", "nfs-plugin", "true"), NULL);
    struct lm l = run(CID1);
    cr_expect_lt(l.r, 0);
    cr_expect_not_null(strstr(l.msg, "vol1"), "%s", l.msg);
    cr_expect_not_null(strstr(l.msg, "nfs-plugin"), "%s", l.msg);
    cr_expect_eq(strncmp(l.msg, "container " CID1 ": ", 75), 0, "%s", l.msg);
    lm_free(&l);
}

Test(linux_mounts, volume_name_cannot_leave_the_volumes_folder, .init = setup, .fini = teardown)
{
    fx_mkdir(&x.f, "etc/_data");
    ctr(VOL("../etc", "local", "true"), NULL);
    struct lm l = run(CID1);
    cr_expect_lt(l.r, 0);
    cr_expect_null(l.text);
    lm_free(&l);
}

/* ---- tmpfs ---- */

Test(linux_mounts, hostconfig_tmpfs_merged, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"Tmpfs\":{\"/run\":\"rw,noexec,size=64m,mode=1777\",\"/tmp\":\"exec\"}}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/run tmpfs tmpfs nosuid,nodev,rprivate,rw,noexec,size=64m,"
                                      "mode=1777\n"
                                      "/tmp tmpfs tmpfs nosuid,nodev,rprivate,exec\n");
    lm_free(&l);
}

Test(linux_mounts, hostconfig_tmpfs_invalid_option, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"Tmpfs\":{\"/run\":\"size=1m,foo\"}}");
    struct lm l = run(CID1);
    cr_expect_eq(l.r, -EINVAL);
    cr_expect_not_null(strstr(l.msg, "Invalid tmpfs option [\"foo\"]"), "%s", l.msg);
    lm_free(&l);

    /* strings.Split(data, ","): an empty element is an option too */
    ctr(NULL, "{\"Tmpfs\":{\"/run\":\"size=1m,,mode=700\"}}");
    l = run(CID1);
    cr_expect_not_null(l.msg);
    if (l.msg)
        cr_expect_not_null(strstr(l.msg, "Invalid tmpfs option [\"\"]"), "%s", l.msg);
    lm_free(&l);
}

#define TMPFS_MP(dest, ro, opts)                                                                   \
    "\"" dest "\":{\"Source\":\"\",\"Destination\":\"" dest "\",\"RW\":true,"                      \
    "\"Type\":\"tmpfs\",\"Spec\":{\"Type\":\"tmpfs\",\"Target\":\"" dest                           \
    "\",\"ReadOnly\":" ro opts "}}"

Test(linux_mounts, tmpfs_mount_points_convert_tmpfs_options, .init = setup, .fini = teardown)
{
    ctr("{\"MountPoints\":{" TMPFS_MP("/g", "true", ",\"TmpfsOptions\":{\"SizeBytes\":3221225472,\"Mode\":1023}") "," TMPFS_MP("/m", "false", ",\"TmpfsOptions\":{\"SizeBytes\":1610612736,\"Mode\":448}") "," TMPFS_MP(
            "/k", "false", ",\"TmpfsOptions\":{\"SizeBytes\":2048}") "," TMPFS_MP("/n", "false",
                                                                                  ",\"TmpfsOptions"
                                                                                  "\":{"
                                                                                  "\"SizeBytes\":"
                                                                                  "1000,\"Mode\":"
                                                                                  "0}") "," TMPFS_MP("/p",
                                                                                                     "false",
                                                                                                     "") "}}",
        NULL);
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    /* ConvertTmpfsOptions: "ro", "mode=%o" (Mode != 0), "size=<n><g|m|k>" with the first
     * suffix that divides evenly, else bytes */
    cr_expect_not_null(strstr(l.text, "/g tmpfs tmpfs noexec,nosuid,nodev,rprivate,ro,mode=1777,"
                                      "size=3g\n"),
                       "%s", l.text);
    cr_expect_not_null(strstr(l.text, "/m tmpfs tmpfs noexec,nosuid,nodev,rprivate,mode=700,"
                                      "size=1536m\n"),
                       "%s", l.text);
    cr_expect_not_null(strstr(l.text, "/k tmpfs tmpfs noexec,nosuid,nodev,rprivate,size=2k\n"),
                       "%s", l.text);
    cr_expect_not_null(strstr(l.text, "/n tmpfs tmpfs noexec,nosuid,nodev,rprivate,size=1000\n"),
                       "%s", l.text);
    cr_expect_not_null(strstr(l.text, "/p tmpfs tmpfs noexec,nosuid,nodev,rprivate\n"), "%s",
                       l.text);
    cr_expect_eq(strncmp(l.text, DEFAULTS, strlen(DEFAULTS)), 0);
    lm_free(&l);
}

Test(linux_mounts, a_tmpfs_destination_hides_the_mount_point, .init = setup, .fini = teardown)
{
    /* setupMounts skips a mount point whose destination is a tmpfs mount's */
    ctr("{\"MountPoints\":{\"/run\":{\"Source\":\"/s/run\",\"Destination\":\"/run\","
        "\"RW\":true,\"Type\":\"bind\"}}}",
        "{\"Tmpfs\":{\"/run\":\"\"}}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/run tmpfs tmpfs noexec,nosuid,nodev,rprivate\n");
    lm_free(&l);
}

Test(linux_mounts, tmpfs_propagation_does_not_count, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"Tmpfs\":{\"/run\":\"rshared\"}}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/run tmpfs tmpfs noexec,nosuid,nodev,rshared\n");
    cr_expect_null(l.propagation);
    lm_free(&l);
}

/* ---- network files ---- */

Test(linux_mounts, network_files_relocated_under_the_data_root, .init = setup, .fini = teardown)
{
    fx_write(&x.f, "containers/" CID1 "/resolv.conf", "nameserver 1.1.1.1\n");
    fx_write(&x.f, "containers/" CID1 "/hostname", "h0st\n");
    fx_write(&x.f, "containers/" CID1 "/hosts", "127.0.0.1 localhost\n");
    /* stored under the data-root Docker had (another path than this copy) */
    ctr("{\"ResolvConfPath\":\"/old/docker/containers/" CID1 "/resolv.conf\","
        "\"HostnamePath\":\"/old/docker/containers/" CID1 "/hostname\","
        "\"HostsPath\":\"/old/docker/containers/" CID1 "/hosts\"}",
        NULL);
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS
                     "/etc/resolv.conf bind R/containers/" CID1 "/resolv.conf rbind,rprivate\n"
                     "/etc/hostname bind R/containers/" CID1 "/hostname rbind,rprivate\n"
                     "/etc/hosts bind R/containers/" CID1 "/hosts rbind,rprivate\n");
    cr_expect_null(l.note);
    lm_free(&l);
}

Test(linux_mounts, network_files_of_the_joined_container, .init = setup, .fini = teardown)
{
    /* NetworkMode container:<x>: Docker stores the other container's files */
    fx_write(&x.f, "containers/" CID2 "/resolv.conf", "nameserver 1.1.1.1\n");
    fx_write(&x.f, "containers/" CID2 "/hosts", "127.0.0.1 localhost\n");
    ctr("{\"ResolvConfPath\":\"/var/lib/docker/containers/" CID2 "/resolv.conf\","
        "\"HostsPath\":\"/var/lib/docker/containers/" CID2 "/hosts\"}",
        "{\"NetworkMode\":\"container:" CID2 "\"}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS
                     "/etc/resolv.conf bind R/containers/" CID2 "/resolv.conf rbind,rprivate\n"
                     "/etc/hosts bind R/containers/" CID2 "/hosts rbind,rprivate\n");
    lm_free(&l);
}

Test(linux_mounts, absent_network_files_skipped_with_a_note, .init = setup, .fini = teardown)
{
    fx_write(&x.f, "containers/" CID1 "/resolv.conf", "nameserver 1.1.1.1\n");
    ctr("{\"ResolvConfPath\":\"/var/lib/docker/containers/" CID1 "/resolv.conf\","
        "\"HostnamePath\":\"/var/lib/docker/containers/" CID1 "/hostname\","
        "\"HostsPath\":\"/var/lib/docker/containers/" CID1 "/hosts\"}",
        NULL);
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/etc/resolv.conf bind R/containers/" CID1
                                      "/resolv.conf rbind,rprivate\n");
    /* the first file skipped is named */
    cr_expect_str_eq(l.note, "container " CID1 ": containers/" CID1 "/hostname does not exist "
                             "(Docker writes it when the container starts): config.json does "
                             "not mount it");
    lm_free(&l);
}

Test(linux_mounts, absent_network_files_note_in_the_bundle, .init = setup, .fini = teardown)
{
    ctr("{\"ResolvConfPath\":\"/var/lib/docker/containers/" CID1 "/resolv.conf\"}", NULL);
    struct spec_bundle *b = lfx_gen(&x, CID1);
    const char *note = "container " CID1 ": containers/" CID1 "/resolv.conf does not exist "
                       "(Docker writes it when the container starts): config.json does not "
                       "mount it";
    cr_expect_eq(b->files[SPEC_FILE_CONFIG].err.code, 0, "%s",
                 bf_error_message(&b->files[SPEC_FILE_CONFIG].err));
    cr_expect_not_null(b->files[SPEC_FILE_CONFIG].data);
    cr_expect_str_eq(b->note, note);
    char want[1024];
    snprintf(want, sizeof(want), "%s\n", note);
    cr_expect_str_eq(b->errors, want);
    spec_bundle_free(b);
}

Test(linux_mounts, network_file_not_of_a_container_is_an_error, .init = setup, .fini = teardown)
{
    ctr("{\"ResolvConfPath\":\"/etc/resolv.conf\"}", NULL);
    struct lm l = run(CID1);
    cr_expect_eq(l.r, -EINVAL);
    cr_expect_str_eq(l.msg, "container " CID1 ": config.v2.json: ResolvConfPath "
                            "\"/etc/resolv.conf\" is not a file of a container of this "
                            "data-root");
    lm_free(&l);

    ctr("{\"HostsPath\":\"/var/lib/docker/containers/" CID1 "/../../../../etc/hosts\"}", NULL);
    l = run(CID1);
    cr_expect_eq(l.r, -EINVAL);
    lm_free(&l);

    ctr("{\"HostnamePath\":\"/var/lib/docker/containers/nothex/hostname\"}", NULL);
    l = run(CID1);
    cr_expect_eq(l.r, -EINVAL);
    lm_free(&l);
}

Test(linux_mounts, mount_at_a_network_file_replaces_it, .init = setup, .fini = teardown)
{
    /* TrySetNetworkMount: the mount point's path becomes ResolvConfPath; the file is then
     * mounted in the network files' place, as NetworkMounts makes it (rprivate, RW from the
     * mount point) */
    char top[2048];
    fx_write(&x.f, "host-resolv.conf", "nameserver 9.9.9.9\n");
    fx_write(&x.f, "containers/" CID1 "/resolv.conf", "nameserver 1.1.1.1\n");
    fx_write(&x.f, "containers/" CID1 "/hosts", "127.0.0.1 localhost\n");
    snprintf(top, sizeof(top),
             "{\"ResolvConfPath\":\"/var/lib/docker/containers/" CID1 "/resolv.conf\","
             "\"HostsPath\":\"/var/lib/docker/containers/" CID1 "/hosts\","
             "\"MountPoints\":{"
             "\"/etc/resolv.conf\":{\"Source\":\"%s/host-resolv.conf\","
             "\"Destination\":\"/etc/resolv.conf\",\"RW\":false,\"Type\":\"bind\","
             "\"Propagation\":\"rshared\"},"
             "\"/z/y\":{\"Source\":\"/s/zy\",\"Destination\":\"/z/y\",\"RW\":true,"
             "\"Type\":\"bind\"}}}",
             x.f.root);
    ctr(top, NULL);
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text,
                     DEFAULTS "/z/y bind /s/zy rbind\n"
                              "/etc/resolv.conf bind R/host-resolv.conf rbind,ro,rprivate\n"
                              "/etc/hosts bind R/containers/" CID1 "/hosts rbind,rprivate\n");
    /* the mount point's own propagation is not used */
    cr_expect_null(l.propagation);
    lm_free(&l);

    /* with no ResolvConfPath at all */
    snprintf(top, sizeof(top),
             "{\"MountPoints\":{\"/etc/resolv.conf\":{\"Source\":\"%s/host-resolv.conf\","
             "\"Destination\":\"/etc/resolv.conf\",\"RW\":true,\"Type\":\"bind\"}}}",
             x.f.root);
    ctr(top, NULL);
    l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/etc/resolv.conf bind R/host-resolv.conf rbind,rprivate\n");
    lm_free(&l);
}

Test(linux_mounts, volume_at_a_network_file, .init = setup, .fini = teardown)
{
    fx_mkdir(&x.f, "volumes/dns/_data");
    ctr("{\"MountPoints\":{\"/etc/hosts\":{\"Source\":\"\",\"Destination\":\"/etc/hosts\","
        "\"RW\":true,\"Name\":\"dns\",\"Driver\":\"local\",\"Type\":\"volume\"}}}",
        "{\"ReadonlyRootfs\":true}");
    struct lm l = run(CID1);
    cr_assert_eq(l.r, 0, "%s", l.msg);
    cr_expect_str_eq(l.text, DEFAULTS "/etc/hosts bind R/volumes/dns/_data rbind,rprivate\n");
    lm_free(&l);
}
