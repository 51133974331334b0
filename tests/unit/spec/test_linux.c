/* spec/linux.c: config.json of a Linux container as Docker 20.10.24's createSpec builds it
 * (daemon/oci_linux.go, oci/defaults.go, oci/oci.go, daemon/daemon_unix.go, container/env.go,
 * container/container.go), through spec_bundle_generate and config.json parsed with jansson.
 *
 * The fixture containers (lfx.h) use SeccompProfile "unconfined" unless a test is about
 * seccomp. Host facts that change the output (cgroup v2 and systemd, /proc/sys entries,
 * AppArmor, docker-init in PATH, seccomp) are read from layerstore_host() where a test
 * depends on them, so the expectations hold on any host. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jarena.h"
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

static void ctr(const char *config, const char *top, const char *host)
{
    lfx_ctr(&x, CID1, &(struct lfx_ctr){.config = config, .top = top, .host = host});
}

static json_t *cfg(void)
{
    return lfx_config(&x, CID1);
}

static const struct ls_host *host(void)
{
    return layerstore_host(lfx_store(&x), NULL);
}

static void expect_joined(json_t *a, const char *want)
{
    char *s = jjoin(a);
    cr_expect_str_eq(s, want);
    free(s);
}

static void expect_err(const char *rest)
{
    char *msg = lfx_config_err(&x, CID1);
    char want[2048];
    snprintf(want, sizeof(want), "container " CID1 ": %s", rest);
    cr_expect_str_eq(msg, want);
    free(msg);
}

/* "type[:path]|..." of linux.namespaces */
static char *namespaces(json_t *c)
{
    json_t *ns = jp(c, "linux/namespaces");
    char *s = calloc(1, 1024);
    for (size_t i = 0; i < json_array_size(ns); i++) {
        json_t *n = json_array_get(ns, i);
        const char *p = json_string_value(json_object_get(n, "path"));
        snprintf(s + strlen(s), 1024 - strlen(s), "%s%s%s%s", i ? "|" : "",
                 json_string_value(json_object_get(n, "type")), p ? ":" : "", p ? p : "");
    }
    return s;
}

static void expect_ns(json_t *c, const char *want)
{
    char *s = namespaces(c);
    cr_expect_str_eq(s, want);
    free(s);
}

/* ---- the bundle's files ---- */

Test(lspec, linux_container_has_no_createoptions_or_utilityvm, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    struct spec_bundle *b = lfx_gen(&x, CID1);
    cr_expect(b->is_linux);
    cr_expect(b->omit[SPEC_FILE_CREATEOPTIONS]);
    cr_expect(b->omit[SPEC_FILE_UTILITYVM]);
    cr_expect(!b->omit[SPEC_FILE_CONFIG]);
    cr_expect(!b->omit[SPEC_FILE_LAYERPATHS]);
    cr_expect(!b->omit[SPEC_FILE_MOUNTOPTS]);
    cr_expect_null(b->files[SPEC_FILE_CREATEOPTIONS].data);
    cr_expect_eq(b->files[SPEC_FILE_CREATEOPTIONS].err.code, 0);
    cr_expect_null(b->files[SPEC_FILE_UTILITYVM].data);
    cr_expect(!b->has_uvm && !b->hyperv);
    cr_expect_not_null(b->files[SPEC_FILE_CONFIG].data);
    cr_expect_not_null(b->files[SPEC_FILE_MOUNTOPTS].data);
    cr_expect_null(b->errors, "%s", b->errors);
    /* pretty: 2-space indent, one trailing newline */
    const struct spec_blob *f = &b->files[SPEC_FILE_CONFIG];
    cr_expect_eq(f->len, strlen(f->data));
    cr_expect_eq(f->data[f->len - 1], '\n');
    cr_expect_eq(strncmp(f->data, "{\n  \"ociVersion\"", 16), 0, "%.40s", f->data);
    spec_bundle_free(b);
}

Test(lspec, vfs_container)
{
    struct lfx v;
    lfx_init(&v, "vfs");
    lfx_ctr(&v, CID1, NULL);
    struct spec_bundle *b = lfx_gen(&v, CID1);
    char want[512];
    cr_expect(b->is_linux);
    cr_expect(b->omit[SPEC_FILE_CREATEOPTIONS] && b->omit[SPEC_FILE_UTILITYVM] &&
              b->omit[SPEC_FILE_MOUNTOPTS]);
    cr_assert_eq(b->files[SPEC_FILE_CONFIG].err.code, 0, "%s",
                 bf_error_message(&b->files[SPEC_FILE_CONFIG].err));
    json_t *c = json_loads(b->files[SPEC_FILE_CONFIG].data, 0, NULL);
    snprintf(want, sizeof(want), "%s/vfs/dir/%s", v.f.root, lfx_mount_id(CID1));
    cr_expect_str_eq(jps(c, "root/path"), want);
    json_decref(c);
    spec_bundle_free(b);
    lfx_cleanup(&v);
}

Test(lspec, root_hostname_and_common_members, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    char want[512];
    snprintf(want, sizeof(want), "%s/overlay2/%s/merged", x.f.root, lfx_mount_id(CID1));
    cr_expect_str_eq(jps(c, "root/path"), want);
    cr_expect_null(jp(c, "root/readonly"));
    cr_expect_str_eq(jps(c, "hostname"), "h0st");
    cr_expect_null(jp(c, "process/terminal"));
    /* WithOOMScore(&HostConfig.OomScoreAdj): always there */
    cr_expect_eq(jpi(c, "process/oomScoreAdj"), 0);
    cr_expect_null(jp(c, "process/noNewPrivileges"));
    cr_expect_null(jp(c, "hooks"), "the libnetwork-setkey hook is left out");
    cr_expect_str_eq(jps(c, "process/cwd"), "/");
    expect_joined(jp(c, "process/args"), "/bin/sh|-c|echo hi");
    cr_expect_eq(jpi(c, "process/user/uid"), 0);
    cr_expect_eq(jpi(c, "process/user/gid"), 0);
    /* getUser: [gid] + supplementary groups (root is in none of the image's) */
    cr_expect_eq(json_array_size(jp(c, "process/user/additionalGids")), 1);
    cr_expect_eq(jpi(c, "process/user/additionalGids/0"), 0);
    /* linux.devices: []specs.LinuxDevice{} with nothing added: omitted */
    cr_expect_null(jp(c, "linux/devices"));
    cr_expect_null(jp(c, "linux/seccomp"));
    cr_expect_null(jp(c, "linux/rootfsPropagation"));
    cr_expect_null(jp(c, "linux/mountLabel"));
    cr_expect_null(jp(c, "process/selinuxLabel"));
    json_decref(c);

    ctr("{\"Tty\":true}", "{\"NoNewPrivileges\":true,\"MountLabel\":\"system_u:object_r:x\"}",
        "{\"ReadonlyRootfs\":true,\"OomScoreAdj\":500}");
    c = cfg();
    cr_expect(json_is_true(jp(c, "process/terminal")));
    cr_expect(json_is_true(jp(c, "root/readonly")));
    cr_expect(json_is_true(jp(c, "process/noNewPrivileges")));
    cr_expect_eq(jpi(c, "process/oomScoreAdj"), 500);
    cr_expect_str_eq(jps(c, "linux/mountLabel"), "system_u:object_r:x");
    json_decref(c);
}

Test(lspec, apparmor_profile_only_where_apparmor_is_enabled, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    if (!host()->apparmor) {
        cr_expect_null(jp(c, "process/apparmorProfile"));
    } else {
        cr_expect_str_eq(jps(c, "process/apparmorProfile"), "docker-default");
    }
    json_decref(c);
    ctr(NULL, NULL, "{\"Privileged\":true}");
    c = cfg();
    if (host()->apparmor)
        cr_expect_str_eq(jps(c, "process/apparmorProfile"), "unconfined");
    json_decref(c);
    ctr(NULL, "{\"AppArmorProfile\":\"mine\"}", "{\"Privileged\":true}");
    c = cfg();
    if (host()->apparmor)
        cr_expect_str_eq(jps(c, "process/apparmorProfile"), "mine");
    else
        cr_expect_null(jp(c, "process/apparmorProfile"));
    json_decref(c);
}

/* ---- env ---- */

Test(lspec, env_defaults, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    expect_joined(jp(c, "process/env"), DEFAULT_PATH "|HOSTNAME=h0st");
    json_decref(c);
}

Test(lspec, env_replace_by_key_in_place, .init = setup, .fini = teardown)
{
    ctr("{\"Env\":[\"FOO=1\",\"HOSTNAME=other\",\"PATH=/x\"]}", NULL, NULL);
    json_t *c = cfg();
    expect_joined(jp(c, "process/env"), "PATH=/x|HOSTNAME=other|FOO=1");
    json_decref(c);
}

Test(lspec, env_bare_key_unsets_a_default, .init = setup, .fini = teardown)
{
    ctr("{\"Env\":[\"HOSTNAME\",\"BAR\",\"A=\"]}", NULL, NULL);
    json_t *c = cfg();
    /* BAR is no default: nothing to remove, and it is not appended either */
    expect_joined(jp(c, "process/env"), DEFAULT_PATH "|A=");
    json_decref(c);

    ctr("{\"Env\":[\"PATH=/y\",\"PATH\"]}", NULL, NULL);
    c = cfg();
    expect_joined(jp(c, "process/env"), "HOSTNAME=h0st");
    json_decref(c);
}

Test(lspec, env_term_with_tty, .init = setup, .fini = teardown)
{
    ctr("{\"Tty\":true}", NULL, NULL);
    json_t *c = cfg();
    expect_joined(jp(c, "process/env"), DEFAULT_PATH "|HOSTNAME=h0st|TERM=xterm");
    json_decref(c);

    ctr("{\"Tty\":true,\"Env\":[\"X=1\",\"TERM=vt100\"]}", NULL, NULL);
    c = cfg();
    expect_joined(jp(c, "process/env"), DEFAULT_PATH "|HOSTNAME=h0st|TERM=vt100|X=1");
    json_decref(c);

    /* without a tty TERM is no default: appended */
    ctr("{\"Env\":[\"TERM=vt100\"]}", NULL, NULL);
    c = cfg();
    expect_joined(jp(c, "process/env"), DEFAULT_PATH "|HOSTNAME=h0st|TERM=vt100");
    json_decref(c);
}

Test(lspec, env_duplicates_appended, .init = setup, .fini = teardown)
{
    /* the cache holds the defaults only: appended entries are never replaced or removed */
    ctr("{\"Env\":[\"FOO=1\",\"FOO=2\",\"FOO\",\"HOSTNAME=a\",\"HOSTNAME=b\"]}", NULL, NULL);
    json_t *c = cfg();
    expect_joined(jp(c, "process/env"), DEFAULT_PATH "|HOSTNAME=b|FOO=1|FOO=2");
    json_decref(c);
}

/* Regression (once wrong in spec/linux.c make_env): ReplaceOrAppendEnvValues keeps a default's index in its cache
 * after the default was unset, so "PATH" then "PATH=/y" puts PATH=/y back at index 0; bundlefs
 * no longer finds the removed default and appends PATH=/y at the end. */
Test(lspec, env_unset_then_set_again_keeps_the_place, .init = setup, .fini = teardown)
{
    ctr("{\"Env\":[\"PATH\",\"PATH=/y\"]}", NULL, NULL);
    json_t *c = cfg();
    expect_joined(jp(c, "process/env"), "PATH=/y|HOSTNAME=h0st");
    json_decref(c);
}

Test(lspec, hostname_in_env_and_hostname, .init = setup, .fini = teardown)
{
    ctr("{\"Hostname\":\"\"}", NULL, NULL);
    json_t *c = cfg();
    expect_joined(jp(c, "process/env"), DEFAULT_PATH "|HOSTNAME=");
    cr_expect_null(jp(c, "hostname"));
    json_decref(c);
}

/* ---- args and --init ---- */

static void init_case(const char *daemon, const char *hostcfg, bool want_init)
{
    lfx_daemon_json(&x, daemon);
    ctr(NULL, NULL, hostcfg);
    json_t *c = cfg();
    if (want_init) {
        expect_joined(jp(c, "process/args"), "/sbin/docker-init|--|/bin/sh|-c|echo hi");
        json_t *m = jmount(c, "/sbin/docker-init");
        cr_assert_not_null(m);
        cr_expect_str_eq(jps(m, "type"), "bind");
        cr_expect_str_eq(jps(m, "source"), "/opt/bin/docker-init");
        expect_joined(jp(m, "options"), "bind|ro");
    } else {
        expect_joined(jp(c, "process/args"), "/bin/sh|-c|echo hi");
        cr_expect_null(jmount(c, "/sbin/docker-init"));
    }
    json_decref(c);
}

Test(lspec, init_true_with_daemon_init_path, .init = setup, .fini = teardown)
{
    init_case("{\"init-path\":\"/opt/bin/docker-init\"}", "{\"Init\":true}", true);
}

Test(lspec, init_false_overrides_daemon_init, .init = setup, .fini = teardown)
{
    init_case("{\"init\":true,\"init-path\":\"/opt/bin/docker-init\"}", "{\"Init\":false}", false);
}

Test(lspec, init_null_takes_daemon_init, .init = setup, .fini = teardown)
{
    init_case("{\"init\":true,\"init-path\":\"/opt/bin/docker-init\"}", "{\"Init\":null}", true);
}

Test(lspec, init_null_without_daemon_init, .init = setup, .fini = teardown)
{
    init_case("{\"init-path\":\"/opt/bin/docker-init\"}", "{\"Init\":null}", false);
}

Test(lspec, init_only_in_a_private_pid_namespace, .init = setup, .fini = teardown)
{
    init_case("{\"init-path\":\"/opt/bin/docker-init\"}", "{\"Init\":true,\"PidMode\":\"host\"}",
              false);
}

Test(lspec, init_found_in_path_or_dockers_error, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"Init\":true}");
    const struct ls_host *h = host();
    if (h->docker_init) {
        json_t *c = cfg();
        expect_joined(jp(c, "process/args"), "/sbin/docker-init|--|/bin/sh|-c|echo hi");
        cr_expect_str_eq(jps(jmount(c, "/sbin/docker-init"), "source"), h->docker_init);
        json_decref(c);
    } else {
        expect_err("exec: \"docker-init\": executable file not found in $PATH");
    }
}

Test(lspec, args_from_path_and_args, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"Path\":\"/entry.sh\",\"Args\":[]}", NULL);
    json_t *c = cfg();
    expect_joined(jp(c, "process/args"), "/entry.sh");
    json_decref(c);
}

/* ---- cwd ---- */

Test(lspec, cwd_clean, .init = setup, .fini = teardown)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"/a/../b/", "/b"}, {"", "/"},       {"/x//y/.", "/x/y"},
        {"/", "/"},         {"/../..", "/"}, {"/srv/app/", "/srv/app"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char config[128];
        snprintf(config, sizeof(config), "{\"WorkingDir\":\"%s\"}", cases[i].in);
        ctr(config, NULL, NULL);
        json_t *c = cfg();
        cr_expect_str_eq(jps(c, "process/cwd"), cases[i].want, "WorkingDir %s", cases[i].in);
        json_decref(c);
    }
}

/* ---- namespaces ---- */

Test(lspec, namespaces_default, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    expect_ns(c, "mount|network|uts|pid|ipc");
    json_decref(c);
}

Test(lspec, network_modes_with_a_new_namespace, .init = setup, .fini = teardown)
{
    static const char *const modes[] = {"bridge", "none", "", "default", "mynet"};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        char hc[128];
        snprintf(hc, sizeof(hc), "{\"NetworkMode\":\"%s\"}", modes[i]);
        ctr(NULL, NULL, hc);
        json_t *c = cfg();
        expect_ns(c, "mount|network|uts|pid|ipc");
        json_decref(c);
    }
    /* NetworkDisabled: the default spec's namespace stays */
    ctr("{\"NetworkDisabled\":true}", NULL, NULL);
    json_t *c = cfg();
    expect_ns(c, "mount|network|uts|pid|ipc");
    json_decref(c);
}

/* NetworkMode host: 20.10 joins NetworkSettings.SandboxKey, the daemon's <exec-root>/netns/default,
 * which only a running dockerd has bound to the host's namespace; bundlefs lists no network
 * namespace (the host's, as today's Docker writes it). README, "Linux containers". */
Test(lspec, network_host_has_no_network_namespace, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"NetworkSettings\":{\"SandboxKey\":\"/var/run/docker/netns/default\"}}",
        "{\"NetworkMode\":\"host\"}");
    json_t *c = cfg();
    expect_ns(c, "mount|uts|pid|ipc");
    json_decref(c);
}

static void donor(const char *id, const char *name, bool running, const char *shm)
{
    char top[512];
    snprintf(top, sizeof(top), "{\"ShmPath\":\"%s\"}", shm ? shm : "");
    lfx_ctr(&x, id, &(struct lfx_ctr){.name = name, .running = running, .top = top});
}

Test(lspec, network_container_mode, .init = setup, .fini = teardown)
{
    donor(CID2, "web2", true, NULL);
    ctr(NULL, NULL, "{\"NetworkMode\":\"container:" CID2 "\"}");
    json_t *c = cfg();
    expect_ns(c, "mount|network:/proc/1234/ns/net|uts|pid|ipc");
    /* a joined network namespace gets none of the network sysctls */
    cr_expect_null(jp(c, "linux/sysctl/net.ipv4.ping_group_range"));
    cr_expect_null(jp(c, "linux/sysctl/net.ipv4.ip_unprivileged_port_start"));
    json_decref(c);

    /* by name */
    ctr(NULL, NULL, "{\"NetworkMode\":\"container:web2\"}");
    c = cfg();
    expect_ns(c, "mount|network:/proc/1234/ns/net|uts|pid|ipc");
    json_decref(c);
}

Test(lspec, network_container_mode_errors, .init = setup, .fini = teardown)
{
    donor(CID2, "web2", false, NULL);
    /* getNetworkedContainer */
    ctr(NULL, NULL, "{\"NetworkMode\":\"container:web2\"}");
    expect_err("cannot join network of a non running container: web2");
    ctr(NULL, NULL, "{\"NetworkMode\":\"container:" CID1 "\"}");
    expect_err("cannot join own network");
}

Test(lspec, container_modes_with_a_missing_target, .init = setup, .fini = teardown)
{
    /* daemon.GetContainer: "No such container: <ref>", wrapped as each getter wraps it */
    ctr(NULL, NULL, "{\"NetworkMode\":\"container:web9\"}");
    expect_err("No such container: web9");
    ctr(NULL, NULL, "{\"IpcMode\":\"container:web9\"}");
    expect_err("can't join IPC of container web9: No such container: web9");
    ctr(NULL, NULL, "{\"PidMode\":\"container:web9\"}");
    expect_err("cannot join PID of a non running container: web9: No such container: web9");
}

Test(lspec, ipc_modes, .init = setup, .fini = teardown)
{
    static const char *const newns[] = {"private", "shareable", "none", ""};
    for (size_t i = 0; i < sizeof(newns) / sizeof(newns[0]); i++) {
        char hc[128];
        snprintf(hc, sizeof(hc), "{\"IpcMode\":\"%s\"}", newns[i]);
        ctr(NULL, NULL, hc);
        json_t *c = cfg();
        expect_ns(c, "mount|network|uts|pid|ipc");
        json_decref(c);
    }
    ctr(NULL, NULL, "{\"IpcMode\":\"host\"}");
    json_t *c = cfg();
    expect_ns(c, "mount|network|uts|pid");
    json_decref(c);

    ctr(NULL, NULL, "{\"IpcMode\":\"x\"}");
    expect_err("Invalid IPC mode: x");
    ctr(NULL, NULL, "{\"IpcMode\":\"Private\"}");
    expect_err("Invalid IPC mode: Private");
}

Test(lspec, ipc_container_mode, .init = setup, .fini = teardown)
{
    fx_mkdir(&x.f, "containers/" CID2 "/mounts/shm");
    donor(CID2, "web2", true, "/var/lib/docker/containers/" CID2 "/mounts/shm");
    ctr(NULL, "{\"ShmPath\":\"/var/lib/docker/containers/" CID2 "/mounts/shm\"}",
        "{\"IpcMode\":\"container:web2\"}");
    json_t *c = cfg();
    expect_ns(c, "mount|network|uts|pid|ipc:/proc/1234/ns/ipc");
    /* IpcMounts: the donor's shm bound at /dev/shm */
    char want[512];
    snprintf(want, sizeof(want), "%s/containers/" CID2 "/mounts/shm", x.f.root);
    cr_expect_str_eq(jps(jmount(c, "/dev/shm"), "source"), want);
    json_decref(c);
}

Test(lspec, ipc_container_mode_errors, .init = setup, .fini = teardown)
{
    /* getIpcContainer: errors.Wrap(err, "can't join IPC of container " + id) */
    fx_mkdir(&x.f, "containers/" CID2 "/mounts/shm");
    donor(CID2, "web2", false, "/var/lib/docker/containers/" CID2 "/mounts/shm");
    ctr(NULL, NULL, "{\"IpcMode\":\"container:web2\"}");
    expect_err("can't join IPC of container web2: container " CID2 " is not running");

    /* a running donor without a shm folder: not shareable */
    donor(CID3, "web3", true, "/var/lib/docker/containers/" CID3 "/mounts/shm");
    ctr(NULL, NULL, "{\"IpcMode\":\"container:" CID3 "\"}");
    expect_err("can't join IPC of container " CID3 ": non-shareable IPC (hint: use "
               "IpcMode:shareable for the donor container)");
}

Test(lspec, pid_modes, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"PidMode\":\"host\"}");
    json_t *c = cfg();
    expect_ns(c, "mount|network|uts|ipc");
    json_decref(c);

    donor(CID2, "web2", true, NULL);
    ctr(NULL, NULL, "{\"PidMode\":\"container:web2\"}");
    c = cfg();
    expect_ns(c, "mount|network|uts|pid:/proc/1234/ns/pid|ipc");
    json_decref(c);

    donor(CID2, "web2", false, NULL);
    ctr(NULL, NULL, "{\"PidMode\":\"container:web2\"}");
    /* getPidContainer's checkContainer: containerIsRunning, not wrapped */
    expect_err("container " CID2 " is not running");
}

Test(lspec, uts_host, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"UTSMode\":\"host\"}");
    json_t *c = cfg();
    expect_ns(c, "mount|network|pid|ipc");
    cr_expect_null(jp(c, "hostname"));
    /* the environment keeps Config.Hostname */
    expect_joined(jp(c, "process/env"), DEFAULT_PATH "|HOSTNAME=h0st");
    json_decref(c);
}

Test(lspec, cgroupns_modes, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"CgroupnsMode\":\"private\"}");
    json_t *c = cfg();
    expect_ns(c, "mount|network|uts|pid|ipc|cgroup");
    json_decref(c);
    ctr(NULL, NULL, "{\"CgroupnsMode\":\"host\"}");
    c = cfg();
    expect_ns(c, "mount|network|uts|pid|ipc");
    json_decref(c);
    ctr(NULL, NULL, "{\"CgroupnsMode\":\"\"}");
    c = cfg();
    expect_ns(c, "mount|network|uts|pid|ipc");
    json_decref(c);
    ctr(NULL, NULL, "{\"CgroupnsMode\":\"x\"}");
    expect_err("invalid cgroup namespace mode: x");
}

Test(lspec, all_namespace_modes_together, .init = setup, .fini = teardown)
{
    fx_mkdir(&x.f, "containers/" CID2 "/mounts/shm");
    donor(CID2, "web2", true, "/var/lib/docker/containers/" CID2 "/mounts/shm");
    ctr(NULL, NULL,
        "{\"NetworkMode\":\"container:web2\",\"IpcMode\":\"container:web2\","
        "\"PidMode\":\"container:web2\",\"UTSMode\":\"host\",\"CgroupnsMode\":\"private\"}");
    json_t *c = cfg();
    expect_ns(c, "mount|network:/proc/1234/ns/net|pid:/proc/1234/ns/pid|ipc:/proc/1234/ns/ipc|"
                 "cgroup");
    json_decref(c);
}

/* ---- devices ---- */

#define DEFAULT_CGROUP_RULES 8

static void expect_rule(json_t *r, bool allow, const char *type, long long major, long long minor,
                        const char *access)
{
    cr_assert_not_null(r);
    cr_expect_eq(json_is_true(json_object_get(r, "allow")), allow);
    if (type)
        cr_expect_str_eq(jps(r, "type"), type);
    else
        cr_expect_null(json_object_get(r, "type"));
    if (major == -999999)
        cr_expect_null(json_object_get(r, "major"));
    else
        cr_expect_eq(jpi(r, "major"), major);
    if (minor == -999999)
        cr_expect_null(json_object_get(r, "minor"));
    else
        cr_expect_eq(jpi(r, "minor"), minor);
    cr_expect_str_eq(jps(r, "access"), access);
}

#define NONE -999999

Test(lspec, default_device_cgroup_rules, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    json_t *c = cfg(), *d = jp(c, "linux/resources/devices");
    cr_assert_eq(json_array_size(d), DEFAULT_CGROUP_RULES);
    expect_rule(json_array_get(d, 0), false, NULL, NONE, NONE, "rwm");
    expect_rule(json_array_get(d, 1), true, "c", 1, 5, "rwm");
    expect_rule(json_array_get(d, 2), true, "c", 1, 3, "rwm");
    expect_rule(json_array_get(d, 3), true, "c", 1, 9, "rwm");
    expect_rule(json_array_get(d, 4), true, "c", 1, 8, "rwm");
    expect_rule(json_array_get(d, 5), true, "c", 5, 0, "rwm");
    expect_rule(json_array_get(d, 6), true, "c", 5, 1, "rwm");
    expect_rule(json_array_get(d, 7), false, "c", 10, 229, "rwm");
    json_decref(c);
}

Test(lspec, device_cgroup_rules_parsed, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL,
        "{\"DeviceCgroupRules\":[\"c 1:3 rwm\",\"a *:* m\",\"b 8:* rw\","
        "\"c 42:0 rrr\"]}");
    json_t *c = cfg(), *d = jp(c, "linux/resources/devices");
    cr_assert_eq(json_array_size(d), DEFAULT_CGROUP_RULES + 4);
    expect_rule(json_array_get(d, 8), true, "c", 1, 3, "rwm");
    expect_rule(json_array_get(d, 9), true, "a", -1, -1, "m");
    expect_rule(json_array_get(d, 10), true, "b", 8, -1, "rw");
    expect_rule(json_array_get(d, 11), true, "c", 42, 0, "rrr");
    json_decref(c);
}

Test(lspec, device_cgroup_rule_errors, .init = setup, .fini = teardown)
{
    static const char *const bad[] = {"c 1:3",    "x 1:3 rwm", "c 1:3 rwmx", "c 1:3 rwm ",
                                      " c 1:3 r", "c 1: r",    "c :1 r",     "c 1-3 r",
                                      "c 1:3 q",  "c  1:3 r",  "c 1:3\tr",   ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char hc[256], want[256];
        json_t *s = json_string(bad[i]);
        char *q = json_dumps(s, JSON_ENCODE_ANY);
        snprintf(hc, sizeof(hc), "{\"DeviceCgroupRules\":[%s]}", q);
        ja_free(q); /* jansson's block */
        json_decref(s);
        ctr(NULL, NULL, hc);
        snprintf(want, sizeof(want), "invalid device cgroup rule format: '%s'", bad[i]);
        expect_err(want);
    }
    /* strconv.ParseInt(.., 10, 64) out of range */
    ctr(NULL, NULL, "{\"DeviceCgroupRules\":[\"c 99999999999999999999:1 r\"]}");
    expect_err("invalid major value in device cgroup rule format: 'c 99999999999999999999:1 r'");
    ctr(NULL, NULL, "{\"DeviceCgroupRules\":[\"c 1:9223372036854775808 r\"]}");
    expect_err("invalid minor value in device cgroup rule format: 'c 1:9223372036854775808 r'");
    /* the largest int64 is fine */
    ctr(NULL, NULL, "{\"DeviceCgroupRules\":[\"c 9223372036854775807:0 r\"]}");
    json_t *c = cfg();
    cr_expect_eq(jpi(c, "linux/resources/devices/8/major"), 9223372036854775807LL);
    json_decref(c);
}

Test(lspec, host_device_mapping, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL,
        "{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/mynull\","
        "\"CgroupPermissions\":\"rw\"}]}");
    json_t *c = cfg(), *d = jp(c, "linux/devices");
    cr_assert_eq(json_array_size(d), 1);
    cr_expect_str_eq(jps(d, "0/path"), "/dev/mynull");
    cr_expect_str_eq(jps(d, "0/type"), "c");
    cr_expect_eq(jpi(d, "0/major"), 1);
    cr_expect_eq(jpi(d, "0/minor"), 3);
    cr_expect_eq(jpi(d, "0/fileMode"), 0666);
    cr_expect_eq(jpi(d, "0/uid"), 0);
    cr_expect_eq(jpi(d, "0/gid"), 0);
    /* its cgroup rule after the defaults, with the mapping's permissions */
    json_t *r = jp(c, "linux/resources/devices");
    cr_assert_eq(json_array_size(r), DEFAULT_CGROUP_RULES + 1);
    expect_rule(json_array_get(r, 8), true, "c", 1, 3, "rw");
    json_decref(c);
}

Test(lspec, privileged_devices, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"Privileged\":true,\"DeviceCgroupRules\":[\"bad rule\"]}");
    json_t *c = cfg(), *r = jp(c, "linux/resources/devices");
    /* one rule: allow everything; DeviceCgroupRules are not even parsed */
    cr_assert_eq(json_array_size(r), 1);
    expect_rule(json_array_get(r, 0), true, NULL, NONE, NONE, "rwm");
    if (!host()->in_userns) {
        json_t *d = jp(c, "linux/devices");
        bool null_found = false;
        for (size_t i = 0; i < json_array_size(d); i++) {
            const char *p = jps(json_array_get(d, i), "path");
            cr_expect_eq(strncmp(p, "/dev/", 5), 0, "%s", p);
            cr_expect_eq(strncmp(p, "/dev/pts/", 9) && strncmp(p, "/dev/shm/", 9) &&
                             strcmp(p, "/dev/console"),
                         true, "%s is one runc leaves out", p);
            null_found |= strcmp(p, "/dev/null") == 0;
        }
        cr_expect(null_found, "/dev/null among the host's devices");
    }
    json_decref(c);
}

Test(lspec, privileged_device_mappings, .init = setup, .fini = teardown)
{
    /* privileged: the host's devices, then each mapping whose paths differ (rwm, no rule) */
    ctr(NULL, NULL,
        "{\"Privileged\":true,\"Devices\":["
        "{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/null\","
        "\"CgroupPermissions\":\"r\"},"
        "{\"PathOnHost\":\"/dev/zero\",\"PathInContainer\":\"/dev/xzero\","
        "\"CgroupPermissions\":\"r\"}]}");
    if (host()->in_userns)
        cr_skip_test("privileged devices are not listed in a user namespace");
    json_t *c = cfg(), *d = jp(c, "linux/devices");
    size_t n = json_array_size(d), nulls = 0;
    cr_assert_gt(n, 1);
    for (size_t i = 0; i < n; i++)
        nulls += strcmp(jps(json_array_get(d, i), "path"), "/dev/null") == 0;
    cr_expect_eq(nulls, 1, "/dev/null once: a same-path mapping is skipped");
    cr_expect_str_eq(jps(json_array_get(d, n - 1), "path"), "/dev/xzero");
    cr_expect_eq(jpi(json_array_get(d, n - 1), "major"), 1);
    cr_expect_eq(jpi(json_array_get(d, n - 1), "minor"), 5);
    cr_expect_eq(json_array_size(jp(c, "linux/resources/devices")), 1);
    json_decref(c);
}

/* ---- cgroupsPath ---- */

Test(lspec, cgroups_path_cgroupfs, .init = setup, .fini = teardown)
{
    lfx_daemon_json(&x, "{\"exec-opts\":[\"native.cgroupdriver=cgroupfs\"]}");
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "/docker/" CID1);
    json_decref(c);

    ctr(NULL, NULL, "{\"CgroupParent\":\"/custom\"}");
    c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "/custom/" CID1);
    json_decref(c);

    /* filepath.Join cleans */
    ctr(NULL, NULL, "{\"CgroupParent\":\"/a/../b/\"}");
    c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "/b/" CID1);
    json_decref(c);
    ctr(NULL, NULL, "{\"CgroupParent\":\"rel\"}");
    c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "rel/" CID1);
    json_decref(c);
}

Test(lspec, cgroups_path_daemon_cgroup_parent, .init = setup, .fini = teardown)
{
    lfx_daemon_json(&x, "{\"exec-opts\":[\"native.cgroupdriver=cgroupfs\"],"
                        "\"cgroup-parent\":\"/daemonparent\"}");
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "/daemonparent/" CID1);
    json_decref(c);
    /* HostConfig's wins */
    ctr(NULL, NULL, "{\"CgroupParent\":\"/mine\"}");
    c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "/mine/" CID1);
    json_decref(c);
}

Test(lspec, cgroups_path_systemd, .init = setup, .fini = teardown)
{
    lfx_daemon_json(&x, "{\"exec-opts\":[\"native.cgroupdriver=systemd\"]}");
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "system.slice:docker:" CID1);
    json_decref(c);
    ctr(NULL, NULL, "{\"CgroupParent\":\"my.slice\"}");
    c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "my.slice:docker:" CID1);
    json_decref(c);
}

Test(lspec, cgroups_path_systemd_daemon_parent_and_rootless, .init = setup, .fini = teardown)
{
    lfx_daemon_json(&x, "{\"exec-opts\":[\"native.cgroupdriver=systemd\"],\"rootless\":true}");
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "user.slice:docker:" CID1);
    json_decref(c);
}

Test(lspec, cgroups_path_systemd_daemon_parent, .init = setup, .fini = teardown)
{
    lfx_daemon_json(&x, "{\"exec-opts\":[\"native.cgroupdriver=systemd\"],"
                        "\"cgroup-parent\":\"daemon.slice\"}");
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "daemon.slice:docker:" CID1);
    json_decref(c);
}

Test(lspec, cgroups_path_default_driver_follows_the_host, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    const struct ls_host *h = host();
    json_t *c = cfg();
    /* UsingSystemd: cgroup v2 and /run/systemd/system */
    if (h->cgroup_v2 && h->systemd_running)
        cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "system.slice:docker:" CID1);
    else
        cr_expect_str_eq(jps(c, "linux/cgroupsPath"), "/docker/" CID1);
    json_decref(c);
}

Test(lspec, daemon_config_error_fails_config_json, .init = setup, .fini = teardown)
{
    char want[512];
    lfx_daemon_json(&x, "{\"exec-opts\":[\"native.cgroupdriver=foo\"]}");
    ctr(NULL, NULL, NULL);
    snprintf(want, sizeof(want), "%s: native.cgroupdriver option foo not supported", x.daemon_json);
    expect_err(want);
}

Test(lspec, userns_remap_is_refused, .init = setup, .fini = teardown)
{
    lfx_daemon_json(&x, "{\"userns-remap\":\"default\"}");
    ctr(NULL, NULL, NULL);
    char *msg = lfx_config_err(&x, CID1);
    cr_expect_not_null(strstr(msg, "userns-remap"), "%s", msg);
    free(msg);
}

/* ---- resources ---- */

Test(lspec, resources_defaults, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    json_t *c = cfg(), *r = jp(c, "linux/resources");
    /* Memory: &specs.LinuxMemory{} with nothing set */
    cr_expect(json_is_object(jp(r, "memory")));
    cr_expect_eq(json_object_size(jp(r, "memory")), 0);
    /* CPU: shares always (CPUShares >= 0) */
    cr_expect_eq(json_object_size(jp(r, "cpu")), 1);
    cr_expect_eq(jpi(r, "cpu/shares"), 0);
    /* Pids: nil when PidsLimit is nil */
    cr_expect_null(jp(r, "pids"));
    /* BlockIO: Weight is &blkioWeight, always */
    cr_expect_eq(json_object_size(jp(r, "blockIO")), 1);
    cr_expect_eq(jpi(r, "blockIO/weight"), 0);
    json_decref(c);
}

Test(lspec, resources_memory, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL,
        "{\"Memory\":1073741824,\"MemoryReservation\":536870912,\"MemorySwap\":2147483648,"
        "\"KernelMemory\":104857600,\"KernelMemoryTCP\":52428800,\"MemorySwappiness\":60,"
        "\"OomKillDisable\":false}");
    json_t *c = cfg(), *m = jp(c, "linux/resources/memory");
    cr_expect_eq(jpi(m, "limit"), 1073741824);
    cr_expect_eq(jpi(m, "reservation"), 536870912);
    cr_expect_eq(jpi(m, "swap"), 2147483648LL);
    cr_expect_eq(jpi(m, "kernel"), 104857600);
    cr_expect_eq(jpi(m, "kernelTCP"), 52428800);
    cr_expect_eq(jpi(m, "swappiness"), 60);
    cr_expect(json_is_false(jp(m, "disableOOMKiller")));
    cr_expect_eq(json_object_size(m), 7);
    json_decref(c);

    /* only what Docker sets: > 0 for limit, reservation and swap; != 0 for the kernel ones */
    ctr(NULL, NULL,
        "{\"Memory\":0,\"MemoryReservation\":-1,\"MemorySwap\":-1,\"KernelMemory\":0,"
        "\"MemorySwappiness\":null,\"OomKillDisable\":true}");
    c = cfg();
    m = jp(c, "linux/resources/memory");
    cr_expect_eq(json_object_size(m), 1);
    cr_expect(json_is_true(jp(m, "disableOOMKiller")));
    json_decref(c);

    ctr(NULL, NULL, "{\"KernelMemory\":-1}");
    c = cfg();
    cr_expect_eq(jpi(c, "linux/resources/memory/kernel"), -1);
    json_decref(c);
}

Test(lspec, resources_cpu, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"CpuShares\":512,\"NanoCpus\":1500000000}");
    json_t *c = cfg(), *p = jp(c, "linux/resources/cpu");
    cr_expect_eq(jpi(p, "shares"), 512);
    cr_expect_eq(jpi(p, "period"), 100000);
    cr_expect_eq(jpi(p, "quota"), 150000);
    cr_expect_eq(json_object_size(p), 3);
    json_decref(c);

    ctr(NULL, NULL,
        "{\"CpuPeriod\":50000,\"CpuQuota\":25000,\"CpuRealtimePeriod\":1000000,"
        "\"CpuRealtimeRuntime\":950000,\"CpusetCpus\":\"0-1\",\"CpusetMems\":\"0\"}");
    c = cfg();
    p = jp(c, "linux/resources/cpu");
    cr_expect_eq(jpi(p, "shares"), 0);
    cr_expect_eq(jpi(p, "period"), 50000);
    cr_expect_eq(jpi(p, "quota"), 25000);
    cr_expect_eq(jpi(p, "realtimePeriod"), 1000000);
    cr_expect_eq(jpi(p, "realtimeRuntime"), 950000);
    cr_expect_str_eq(jps(p, "cpus"), "0-1");
    cr_expect_str_eq(jps(p, "mems"), "0");
    json_decref(c);

    /* NanoCPUs first, then CPUPeriod/CPUQuota override what they set */
    ctr(NULL, NULL, "{\"NanoCpus\":500000000,\"CpuPeriod\":20000}");
    c = cfg();
    p = jp(c, "linux/resources/cpu");
    cr_expect_eq(jpi(p, "period"), 20000);
    cr_expect_eq(jpi(p, "quota"), 50000);
    json_decref(c);

    ctr(NULL, NULL, "{\"CpuQuota\":-1}");
    c = cfg();
    cr_expect_eq(jpi(c, "linux/resources/cpu/quota"), -1);
    cr_expect_null(jp(c, "linux/resources/cpu/period"));
    json_decref(c);
}

Test(lspec, resources_negative_shares, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"CpuShares\":-2}");
    expect_err("shares: invalid argument");
}

Test(lspec, resources_pids, .init = setup, .fini = teardown)
{
    static const struct {
        const char *v;
        long long want;
    } cases[] = {{"100", 100}, {"0", -1}, {"-5", -1}, {"-1", -1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char hc[64];
        snprintf(hc, sizeof(hc), "{\"PidsLimit\":%s}", cases[i].v);
        ctr(NULL, NULL, hc);
        json_t *c = cfg();
        cr_expect_eq(jpi(c, "linux/resources/pids/limit"), cases[i].want, "PidsLimit %s",
                     cases[i].v);
        json_decref(c);
    }
    ctr(NULL, NULL, "{\"PidsLimit\":null}");
    json_t *c = cfg();
    cr_expect_null(jp(c, "linux/resources/pids"));
    json_decref(c);
}

Test(lspec, resources_blkio, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL,
        "{\"BlkioWeight\":300,\"BlkioWeightDevice\":[{\"Path\":\"/dev/null\",\"Weight\":200}],"
        "\"BlkioDeviceReadBps\":[{\"Path\":\"/dev/zero\",\"Rate\":1048576}],"
        "\"BlkioDeviceWriteIOps\":[{\"Path\":\"/dev/null\",\"Rate\":100}]}");
    json_t *c = cfg(), *b = jp(c, "linux/resources/blockIO");
    cr_expect_eq(jpi(b, "weight"), 300);
    cr_expect_eq(json_array_size(jp(b, "weightDevice")), 1);
    cr_expect_eq(jpi(b, "weightDevice/0/major"), 1);
    cr_expect_eq(jpi(b, "weightDevice/0/minor"), 3);
    cr_expect_eq(jpi(b, "weightDevice/0/weight"), 200);
    cr_expect_eq(jpi(b, "throttleReadBpsDevice/0/major"), 1);
    cr_expect_eq(jpi(b, "throttleReadBpsDevice/0/minor"), 5);
    cr_expect_eq(jpi(b, "throttleReadBpsDevice/0/rate"), 1048576);
    cr_expect_eq(jpi(b, "throttleWriteIOPSDevice/0/rate"), 100);
    cr_expect_null(jp(b, "throttleWriteBpsDevice"));
    cr_expect_null(jp(b, "throttleReadIOPSDevice"));
    json_decref(c);
}

/* Regression (once wrong in spec/linux.c blkio_list): Go's error is os.PathError{"stat", path, ENOENT}:
 * "stat /dev/nonexistent: no such file or directory" (Go's lower-case errno text); bundlefs
 * uses strerror ("No such file or directory") and, unlike every other config.json error, does
 * not name the container. */
Test(lspec, resources_blkio_missing_device, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL,
        "{\"BlkioDeviceReadBps\":[{\"Path\":\"/dev/nonexistent-bundlefs\",\"Rate\":1}]}");
    expect_err("stat /dev/nonexistent-bundlefs: no such file or directory");
}

/* ---- sysctls ---- */

Test(lspec, sysctls_domainname_network_defaults_and_override, .init = setup, .fini = teardown)
{
    ctr("{\"Domainname\":\"example.com\"}", NULL,
        "{\"Sysctls\":{\"net.ipv4.ip_unprivileged_port_start\":\"1024\","
        "\"kernel.shm_rmid_forced\":\"1\",\"kernel.domainname\":\"over.example\"}}");
    const struct ls_host *h = host();
    json_t *c = cfg(), *s = jp(c, "linux/sysctl");
    cr_expect_str_eq(jps(s, "kernel.domainname"), "over.example");
    cr_expect_str_eq(jps(s, "net.ipv4.ip_unprivileged_port_start"), "1024");
    cr_expect_str_eq(jps(s, "kernel.shm_rmid_forced"), "1");
    if (h->sysctl_ping_group_range && !h->in_userns)
        cr_expect_str_eq(jps(s, "net.ipv4.ping_group_range"), "0 2147483647");
    else
        cr_expect_null(jp(s, "net.ipv4.ping_group_range"));
    /* sorted by key, as Go marshals a map */
    const char *k, *prev = "";
    json_t *v;
    json_object_foreach(s, k, v)
    {
        cr_expect_lt(strcmp(prev, k), 0, "%s before %s", prev, k);
        prev = k;
    }
    json_decref(c);
}

Test(lspec, sysctls_network_defaults_for_a_private_netns_only, .init = setup, .fini = teardown)
{
    const struct ls_host *h;
    ctr(NULL, NULL, NULL);
    h = host();
    json_t *c = cfg();
    if (h->sysctl_unprivileged_port_start)
        cr_expect_str_eq(jps(c, "linux/sysctl/net.ipv4.ip_unprivileged_port_start"), "0");
    if (h->sysctl_ping_group_range && !h->in_userns)
        cr_expect_str_eq(jps(c, "linux/sysctl/net.ipv4.ping_group_range"), "0 2147483647");
    cr_expect_null(jp(c, "linux/sysctl/kernel.domainname"));
    json_decref(c);

    ctr("{\"Domainname\":\"example.com\"}", NULL, "{\"NetworkMode\":\"host\"}");
    c = cfg();
    cr_expect_eq(json_object_size(jp(c, "linux/sysctl")), 1);
    cr_expect_str_eq(jps(c, "linux/sysctl/kernel.domainname"), "example.com");
    json_decref(c);

    /* nothing at all: the empty map is omitted */
    ctr(NULL, NULL, "{\"NetworkMode\":\"host\"}");
    c = cfg();
    cr_expect_null(jp(c, "linux/sysctl"));
    json_decref(c);
}

/* ---- rlimits ---- */

Test(lspec, rlimits_container_then_daemon_defaults, .init = setup, .fini = teardown)
{
    lfx_daemon_json(&x, "{\"default-ulimits\":{"
                        "\"nofile\":{\"Name\":\"nofile\",\"Soft\":1,\"Hard\":2},"
                        "\"memlock\":{\"Name\":\"memlock\",\"Soft\":64,\"Hard\":128},"
                        "\"core\":{\"Name\":\"core\",\"Soft\":0,\"Hard\":0}}}");
    ctr(NULL, NULL,
        "{\"Ulimits\":[{\"Name\":\"nproc\",\"Soft\":10,\"Hard\":20},"
        "{\"Name\":\"nofile\",\"Soft\":1024,\"Hard\":2048}]}");
    json_t *c = cfg(), *r = jp(c, "process/rlimits");
    cr_assert_eq(json_array_size(r), 4);
    cr_expect_str_eq(jps(r, "0/type"), "RLIMIT_NPROC");
    cr_expect_eq(jpi(r, "0/soft"), 10);
    cr_expect_eq(jpi(r, "0/hard"), 20);
    cr_expect_str_eq(jps(r, "1/type"), "RLIMIT_NOFILE");
    cr_expect_eq(jpi(r, "1/soft"), 1024);
    cr_expect_eq(jpi(r, "1/hard"), 2048);
    /* the daemon's, not overridden, in name order (Go: map order) */
    cr_expect_str_eq(jps(r, "2/type"), "RLIMIT_CORE");
    cr_expect_eq(jpi(r, "2/soft"), 0);
    cr_expect_str_eq(jps(r, "3/type"), "RLIMIT_MEMLOCK");
    cr_expect_eq(jpi(r, "3/hard"), 128);
    json_decref(c);
}

Test(lspec, rlimits_none_omitted, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"Ulimits\":[]}");
    json_t *c = cfg();
    cr_expect_null(jp(c, "process/rlimits"));
    json_decref(c);

    /* the daemon's alone (host facts are read once per store: a new one) */
    lfx_cleanup(&x);
    lfx_init(&x, "overlay2");
    lfx_daemon_json(&x, "{\"default-ulimits\":{\"nofile\":{\"Name\":\"nofile\",\"Soft\":5,"
                        "\"Hard\":6}}}");
    ctr(NULL, NULL, NULL);
    c = cfg();
    cr_expect_eq(json_array_size(jp(c, "process/rlimits")), 1);
    cr_expect_str_eq(jps(c, "process/rlimits/0/type"), "RLIMIT_NOFILE");
    cr_expect_eq(jpi(c, "process/rlimits/0/soft"), 5);
    json_decref(c);
}

/* Regression (once wrong in spec/linux.c render_process + spec/json.c spec_b_u64): Go writes uint64(ul.Soft), so
 * "--ulimit memlock=-1:-1" (unlimited, widely used) is 18446744073709551615 in config.json;
 * bundlefs refuses values past INT64_MAX and config.json fails. */
Test(lspec, rlimits_unlimited_is_uint64_max, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"Ulimits\":[{\"Name\":\"memlock\",\"Soft\":-1,\"Hard\":-1}]}");
    struct spec_bundle *b = lfx_gen(&x, CID1);
    const char *data = b->files[SPEC_FILE_CONFIG].data;
    cr_expect_eq(b->files[SPEC_FILE_CONFIG].err.code, 0, "%s",
                 bf_error_message(&b->files[SPEC_FILE_CONFIG].err));
    if (data) {
        cr_expect_not_null(strstr(data, "\"hard\": 18446744073709551615"), "%s", data);
        cr_expect_not_null(strstr(data, "\"soft\": 18446744073709551615"), "%s", data);
    }
    spec_bundle_free(b);
}

/* ---- capabilities ---- */

static const char *const default_caps =
    "CAP_CHOWN|CAP_DAC_OVERRIDE|CAP_FSETID|CAP_FOWNER|CAP_MKNOD|CAP_NET_RAW|CAP_SETGID|"
    "CAP_SETUID|CAP_SETFCAP|CAP_SETPCAP|CAP_NET_BIND_SERVICE|CAP_SYS_CHROOT|CAP_KILL|"
    "CAP_AUDIT_WRITE";

Test(lspec, capabilities_root_gets_three_sets, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    json_t *c = cfg(), *p = jp(c, "process/capabilities");
    expect_joined(jp(p, "bounding"), default_caps);
    expect_joined(jp(p, "effective"), default_caps);
    expect_joined(jp(p, "permitted"), default_caps);
    cr_expect_null(jp(p, "inheritable"));
    cr_expect_null(jp(p, "ambient"));
    cr_expect_eq(json_object_size(p), 3);
    json_decref(c);
}

Test(lspec, capabilities_non_root_bounding_only, .init = setup, .fini = teardown)
{
    ctr("{\"User\":\"app\"}", NULL, "{\"CapAdd\":[\"net_admin\"]}");
    json_t *c = cfg(), *p = jp(c, "process/capabilities");
    cr_expect_eq(jpi(c, "process/user/uid"), 1000);
    cr_expect_eq(jpi(c, "process/user/gid"), 1000);
    char want[1024];
    snprintf(want, sizeof(want), "%s|CAP_NET_ADMIN", default_caps);
    expect_joined(jp(p, "bounding"), want);
    cr_expect_null(jp(p, "effective"));
    cr_expect_null(jp(p, "permitted"));
    json_decref(c);

    /* a uid that is in no passwd file */
    ctr("{\"User\":\"4242:4242\"}", NULL, NULL);
    c = cfg();
    cr_expect_eq(jpi(c, "process/user/uid"), 4242);
    cr_expect_eq(json_object_size(jp(c, "process/capabilities")), 1);
    json_decref(c);
}

Test(lspec, capabilities_drop_all_is_empty, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"CapDrop\":[\"ALL\"]}");
    json_t *c = cfg();
    /* caps = capAdd = nil: every set omitted, capabilities {} */
    cr_expect(json_is_object(jp(c, "process/capabilities")));
    cr_expect_eq(json_object_size(jp(c, "process/capabilities")), 0);
    json_decref(c);
}

Test(lspec, capabilities_privileged_follow_the_host, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"Privileged\":true}");
    const struct ls_host *h = host();
    int last = h->cap_last_cap == 63 ? 36 : h->cap_last_cap > 37 ? 37 : h->cap_last_cap;
    json_t *c = cfg();
    cr_expect_eq(json_array_size(jp(c, "process/capabilities/bounding")), (size_t)last + 1);
    cr_expect_str_eq(jps(c, "process/capabilities/bounding/0"), "CAP_CHOWN");
    json_decref(c);
}

Test(lspec, capabilities_unknown_fails_config_json, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"CapAdd\":[\"foo\"]}");
    expect_err("unknown capability: \"CAP_FOO\"");
}

/* Regression (once wrong in spec/linux.c spec_linux_prepare): createSpec applies WithDevices and WithNamespaces
 * before WithCapabilities and WithMounts, so their errors are the ones Docker reports;
 * bundlefs checks capabilities and mounts first. */
Test(lspec, first_error_in_createspec_order, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"CapAdd\":[\"foo\"],\"DeviceCgroupRules\":[\"bad\"]}");
    expect_err("invalid device cgroup rule format: 'bad'");
    ctr(NULL, NULL, "{\"CapAdd\":[\"foo\"],\"IpcMode\":\"x\"}");
    expect_err("Invalid IPC mode: x");
}

/* ---- seccomp ---- */

Test(lspec, seccomp_unconfined_and_privileged_have_none, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"SeccompProfile\":\"unconfined\"}", NULL);
    json_t *c = cfg();
    cr_expect_null(jp(c, "linux/seccomp"));
    json_decref(c);
    ctr(NULL, "{\"SeccompProfile\":\"\"}", "{\"Privileged\":true}");
    c = cfg();
    cr_expect_null(jp(c, "linux/seccomp"));
    json_decref(c);
}

Test(lspec, seccomp_default_profile, .init = setup, .fini = teardown)
{
    ctr(NULL, "{\"SeccompProfile\":\"\"}", NULL);
    if (!host()->seccomp) {
        json_t *c = cfg();
        cr_expect_null(jp(c, "linux/seccomp"));
        json_decref(c);
        return;
    }
    json_t *c = cfg();
    cr_expect_str_eq(jps(c, "linux/seccomp/defaultAction"), "SCMP_ACT_ERRNO");
    cr_expect_gt(json_array_size(jp(c, "linux/seccomp/syscalls")), 0);
    json_decref(c);
}

Test(lspec, seccomp_daemon_and_container_profiles, .init = setup, .fini = teardown)
{
    char json[512];
    fx_write(&x.f, "profile.json", "{\"defaultAction\":\"SCMP_ACT_LOG\"}");
    snprintf(json, sizeof(json), "{\"seccomp-profile\":\"%s/profile.json\"}", x.f.root);
    lfx_daemon_json(&x, json);
    ctr(NULL, "{\"SeccompProfile\":\"\"}", NULL);
    if (!host()->seccomp) {
        /* without kernel support: the daemon's is ignored, a container's is an error */
        json_t *c = cfg();
        cr_expect_null(jp(c, "linux/seccomp"));
        json_decref(c);
        ctr(NULL, "{\"SeccompProfile\":\"{\\\"defaultAction\\\":\\\"SCMP_ACT_TRAP\\\"}\"}", NULL);
        char *msg = lfx_config_err(&x, CID1);
        cr_expect_str_eq(msg, "seccomp is not enabled in your kernel, cannot run a custom "
                              "seccomp profile");
        free(msg);
        return;
    }
    json_t *c = cfg();
    cr_expect_str_eq(jps(c, "linux/seccomp/defaultAction"), "SCMP_ACT_LOG");
    json_decref(c);
    /* the container's own profile wins */
    ctr(NULL, "{\"SeccompProfile\":\"{\\\"defaultAction\\\":\\\"SCMP_ACT_TRAP\\\"}\"}", NULL);
    c = cfg();
    cr_expect_str_eq(jps(c, "linux/seccomp/defaultAction"), "SCMP_ACT_TRAP");
    json_decref(c);
}

/* ---- masked and read-only paths ---- */

#define MASKED                                                                                     \
    "/proc/asound|/proc/acpi|/proc/kcore|/proc/keys|/proc/latency_stats|/proc/timer_list|"         \
    "/proc/timer_stats|/proc/sched_debug|/proc/scsi|/sys/firmware"
#define READONLY "/proc/bus|/proc/fs|/proc/irq|/proc/sys|/proc/sysrq-trigger"

Test(lspec, masked_and_readonly_paths, .init = setup, .fini = teardown)
{
    /* nil: the defaults of oci.DefaultLinuxSpec (20.10.24 has no powercap entry) */
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    expect_joined(jp(c, "linux/maskedPaths"), MASKED);
    expect_joined(jp(c, "linux/readonlyPaths"), READONLY);
    json_decref(c);

    ctr(NULL, NULL, "{\"MaskedPaths\":null,\"ReadonlyPaths\":null}");
    c = cfg();
    expect_joined(jp(c, "linux/maskedPaths"), MASKED);
    expect_joined(jp(c, "linux/readonlyPaths"), READONLY);
    json_decref(c);

    /* []: none (WithMaskedPaths([]) and omitempty) */
    ctr(NULL, NULL, "{\"MaskedPaths\":[],\"ReadonlyPaths\":[]}");
    c = cfg();
    cr_expect_null(jp(c, "linux/maskedPaths"));
    cr_expect_null(jp(c, "linux/readonlyPaths"));
    json_decref(c);

    /* HostConfig's own */
    ctr(NULL, NULL, "{\"MaskedPaths\":[\"/proc/foo\"],\"ReadonlyPaths\":[\"/proc/bar\",\"/x\"]}");
    c = cfg();
    expect_joined(jp(c, "linux/maskedPaths"), "/proc/foo");
    expect_joined(jp(c, "linux/readonlyPaths"), "/proc/bar|/x");
    json_decref(c);
}

Test(lspec, masked_and_readonly_paths_privileged, .init = setup, .fini = teardown)
{
    /* WithMounts clears both for a privileged container ... */
    ctr(NULL, NULL, "{\"Privileged\":true}");
    json_t *c = cfg();
    cr_expect_null(jp(c, "linux/maskedPaths"));
    cr_expect_null(jp(c, "linux/readonlyPaths"));
    json_decref(c);
    /* ... but WithMaskedPaths/WithReadonlyPaths of a non-nil HostConfig list run after it */
    ctr(NULL, NULL, "{\"Privileged\":true,\"MaskedPaths\":[\"/proc/foo\"]}");
    c = cfg();
    expect_joined(jp(c, "linux/maskedPaths"), "/proc/foo");
    cr_expect_null(jp(c, "linux/readonlyPaths"));
    json_decref(c);
}

/* ---- mounts through the bundle ---- */

Test(lspec, default_mounts_in_config_json, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, NULL);
    json_t *c = cfg();
    char *d = jdests(c);
    cr_expect_str_eq(d, "/proc|/dev|/dev/pts|/sys|/sys/fs/cgroup|/dev/mqueue|/dev/shm");
    free(d);
    json_t *shm = jmount(c, "/dev/shm");
    cr_expect_str_eq(jps(shm, "type"), "tmpfs");
    cr_expect_str_eq(jps(shm, "source"), "shm");
    expect_joined(jp(shm, "options"), "nosuid|noexec|nodev|mode=1777|size=67108864");
    json_decref(c);
}

Test(lspec, linux_mounts_errors_name_the_container_once, .init = setup, .fini = teardown)
{
    ctr(NULL, NULL, "{\"Tmpfs\":{\"/run\":\"foo\"}}");
    char *msg = lfx_config_err(&x, CID1);
    cr_expect_str_eq(msg, "container " CID1 ": tmpfs at /run: Invalid tmpfs option [\"foo\"]");
    free(msg);
}

/* ---- user ---- */

Test(lspec, user_from_the_image_passwd, .init = setup, .fini = teardown)
{
    ctr("{\"User\":\"nobody\"}", NULL, NULL);
    expect_err("unable to find user nobody: no matching entries in passwd file");
}
