/* layerstore/host.c: the daemon configuration file as dockerd 20.10.24 reads it
 * (daemon/config, daemon/daemon_unix.go getCD/VerifyCgroupDriver/setupSeccompProfile,
 * pkg/parsers.ParseKeyValueOpt), through ls_host_load(path).
 *
 * A file that exists but cannot be used is recorded in config_error (every Linux spec then
 * fails with it); ls_host_load itself only fails for out-of-memory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "layerstore.h"

static struct fx f;
static char path[256];

static void setup(void)
{
    fx_init(&f, NULL);
    snprintf(path, sizeof(path), "%s/daemon.json", f.root);
}

static void teardown(void)
{
    fx_cleanup(&f);
}

static struct ls_host *load(const char *json)
{
    struct ls_host *h = NULL;
    struct bf_error err = BF_ERROR_INIT;

    if (json)
        fx_write(&f, "daemon.json", json);
    cr_assert_eq(ls_host_load(path, &h, &err), 0, "%s", bf_error_message(&err));
    cr_assert_not_null(h);
    cr_expect_str_eq(h->config_file, path);
    return h;
}

/* A config whose only problem is `json`: config_error set, the call itself succeeds. */
static char *load_error(const char *json)
{
    struct ls_host *h = load(json);
    char *msg;

    cr_expect(h->config_present);
    cr_assert_not_null(h->config_error, "no config_error for %s", json);
    msg = strdup(h->config_error);
    ls_host_free(h);
    return msg;
}

Test(host, missing_file_gives_the_defaults, .init = setup, .fini = teardown)
{
    struct ls_host *h = load(NULL);

    cr_expect(!h->config_present);
    cr_expect_null(h->config_error);
    cr_expect_str_eq(h->cgroup_driver, "");
    cr_expect_str_eq(h->cgroup_parent, "");
    cr_expect(!h->init);
    cr_expect_str_eq(h->init_path, "");
    cr_expect_null(h->seccomp_profile);
    cr_expect(!h->userns_remap);
    cr_expect(!h->rootless);
    cr_expect_eq(h->n_default_ulimits, 0);
    cr_expect_null(h->default_ulimits);
    ls_host_free(h);
}

Test(host, null_path_is_etc_docker_daemon_json)
{
    struct ls_host *h = NULL;
    struct bf_error err = BF_ERROR_INIT;

    cr_assert_eq(ls_host_load(NULL, &h, &err), 0, "%s", bf_error_message(&err));
    cr_expect_str_eq(h->config_file, "/etc/docker/daemon.json");
    ls_host_free(h);
}

Test(host, empty_object_is_present_without_error, .init = setup, .fini = teardown)
{
    struct ls_host *h = load("{}");

    cr_expect(h->config_present);
    cr_expect_null(h->config_error);
    cr_expect_str_eq(h->cgroup_driver, "");
    ls_host_free(h);
}

Test(host, cgroupdriver_from_exec_opts, .init = setup, .fini = teardown)
{
    struct ls_host *h = load("{\"exec-opts\":[\"native.cgroupdriver=systemd\"]}");
    cr_expect_str_eq(h->cgroup_driver, "systemd");
    cr_expect_null(h->config_error);
    ls_host_free(h);

    h = load("{\"exec-opts\":[\"native.cgroupdriver=cgroupfs\"]}");
    cr_expect_str_eq(h->cgroup_driver, "cgroupfs");
    ls_host_free(h);
}

Test(host, cgroupdriver_first_wins, .init = setup, .fini = teardown)
{
    /* getCD returns the first option whose key matches */
    struct ls_host *h = load("{\"exec-opts\":[\"isolation=process\","
                             "\"native.cgroupdriver=systemd\",\"native.cgroupdriver=cgroupfs\"]}");
    cr_expect_str_eq(h->cgroup_driver, "systemd");
    cr_expect_null(h->config_error);
    ls_host_free(h);

    /* ... and does not check the later ones (VerifyCgroupDriver looks at getCD only) */
    h = load("{\"exec-opts\":[\"native.cgroupdriver=cgroupfs\",\"native.cgroupdriver=bogus\"]}");
    cr_expect_str_eq(h->cgroup_driver, "cgroupfs");
    cr_expect_null(h->config_error);
    ls_host_free(h);
}

Test(host, cgroupdriver_key_case_and_spaces, .init = setup, .fini = teardown)
{
    /* ParseKeyValueOpt trims both sides; the key is compared with strings.EqualFold */
    struct ls_host *h = load("{\"exec-opts\":[\" Native.CgroupDriver = systemd \"]}");
    cr_expect_str_eq(h->cgroup_driver, "systemd");
    cr_expect_null(h->config_error);
    ls_host_free(h);

    /* an option without '=' does not parse and is skipped */
    h = load("{\"exec-opts\":[\"native.cgroupdriver\",\"native.cgroupdriver=cgroupfs\"]}");
    cr_expect_str_eq(h->cgroup_driver, "cgroupfs");
    ls_host_free(h);
}

Test(host, cgroupdriver_invalid_value_error_text, .init = setup, .fini = teardown)
{
    char want[512];
    char *msg = load_error("{\"exec-opts\":[\"native.cgroupdriver=foo\"]}");

    snprintf(want, sizeof(want), "%s: native.cgroupdriver option foo not supported", path);
    cr_expect_str_eq(msg, want);
    free(msg);

    /* the value is compared exactly */
    msg = load_error("{\"exec-opts\":[\"native.cgroupdriver=Systemd\"]}");
    snprintf(want, sizeof(want), "%s: native.cgroupdriver option Systemd not supported", path);
    cr_expect_str_eq(msg, want);
    free(msg);
}

/* Regression (once wrong in layerstore/host.c parse_daemon_config): VerifyCgroupDriver has its own text for "none":
 * "native.cgroupdriver option none is internally used and cannot be specified manually";
 * bundlefs gives the generic "... not supported". */
Test(host, cgroupdriver_none_has_its_own_text, .init = setup, .fini = teardown)
{
    char want[512];
    char *msg = load_error("{\"exec-opts\":[\"native.cgroupdriver=none\"]}");

    snprintf(want, sizeof(want),
             "%s: native.cgroupdriver option none is internally used and cannot be specified "
             "manually",
             path);
    cr_expect_str_eq(msg, want);
    free(msg);
}

/* Regression (once wrong in layerstore/host.c parse_daemon_config): getCD returns the first matching option even
 * when its value is empty ("native.cgroupdriver=" means "not set"); bundlefs skips it and takes
 * a later one. */
Test(host, cgroupdriver_first_wins_even_when_empty, .init = setup, .fini = teardown)
{
    struct ls_host *h =
        load("{\"exec-opts\":[\"native.cgroupdriver=\",\"native.cgroupdriver=systemd\"]}");
    cr_expect_str_eq(h->cgroup_driver, "");
    cr_expect_null(h->config_error);
    ls_host_free(h);
}

Test(host, default_ulimits_sorted_by_name, .init = setup, .fini = teardown)
{
    struct ls_host *h = load("{\"default-ulimits\":{"
                             "\"nproc\":{\"Name\":\"nproc\",\"Soft\":10,\"Hard\":20},"
                             "\"core\":{\"Name\":\"core\",\"Soft\":-1,\"Hard\":-1},"
                             "\"nofile\":{\"Name\":\"nofile\",\"Soft\":1024,\"Hard\":65536}}}");

    cr_expect_null(h->config_error);
    cr_assert_eq(h->n_default_ulimits, 3);
    cr_expect_str_eq(h->default_ulimits[0].name, "core");
    cr_expect_eq(h->default_ulimits[0].soft, -1);
    cr_expect_eq(h->default_ulimits[0].hard, -1);
    cr_expect_str_eq(h->default_ulimits[1].name, "nofile");
    cr_expect_eq(h->default_ulimits[1].soft, 1024);
    cr_expect_eq(h->default_ulimits[1].hard, 65536);
    cr_expect_str_eq(h->default_ulimits[2].name, "nproc");
    cr_expect_eq(h->default_ulimits[2].soft, 10);
    cr_expect_eq(h->default_ulimits[2].hard, 20);
    ls_host_free(h);
}

Test(host, default_ulimits_wrong_type, .init = setup, .fini = teardown)
{
    char *msg = load_error("{\"default-ulimits\":[1]}");
    cr_expect_not_null(strstr(msg, "default-ulimits"), "%s", msg);
    cr_expect_eq(strncmp(msg, path, strlen(path)), 0, "%s", msg);
    free(msg);
}

Test(host, cgroup_parent_init_and_init_path, .init = setup, .fini = teardown)
{
    struct ls_host *h = load("{\"cgroup-parent\":\"/mine\",\"init\":true,"
                             "\"init-path\":\"/opt/bin/tini\",\"rootless\":true}");

    cr_expect_null(h->config_error);
    cr_expect_str_eq(h->cgroup_parent, "/mine");
    cr_expect(h->init);
    cr_expect_str_eq(h->init_path, "/opt/bin/tini");
    cr_expect(h->rootless);
    ls_host_free(h);

    h = load("{\"init\":false}");
    cr_expect(!h->init);
    ls_host_free(h);
}

Test(host, seccomp_profile_file_is_read, .init = setup, .fini = teardown)
{
    char json[512];
    const char *profile = "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}\n";
    struct ls_host *h;

    fx_write(&f, "profile.json", profile);
    snprintf(json, sizeof(json), "{\"seccomp-profile\":\"%s/profile.json\"}", f.root);
    h = load(json);
    cr_expect_null(h->config_error);
    cr_assert_not_null(h->seccomp_profile);
    cr_expect_eq(h->seccomp_profile_len, strlen(profile));
    cr_expect_str_eq(h->seccomp_profile, profile);
    ls_host_free(h);
}

Test(host, seccomp_profile_unset_reads_nothing, .init = setup, .fini = teardown)
{
    struct ls_host *h = load("{\"seccomp-profile\":\"\"}");
    cr_expect_null(h->seccomp_profile);
    cr_expect_null(h->config_error);
    ls_host_free(h);
}

/* setupSeccompProfile: fmt.Errorf("opening seccomp profile (%s) failed: %v", p, err) with
 * os.ReadFile's *PathError: "open <p>: no such file or directory". */
Test(host, seccomp_profile_missing_error_text, .init = setup, .fini = teardown)
{
    char json[512], want[1024];
    char *msg;

    snprintf(json, sizeof(json), "{\"seccomp-profile\":\"%s/nope.json\"}", f.root);
    msg = load_error(json);
    snprintf(want, sizeof(want), "opening seccomp profile (%s/nope.json) failed: ", f.root);
    cr_expect_not_null(strstr(msg, want), "%s", msg);
    cr_expect_eq(strncmp(msg, path, strlen(path)), 0, "names daemon.json: %s", msg);
    free(msg);
}

/* Regression (once wrong in layerstore/host.c parse_daemon_config): the cause is bundlefs's "<p>: No such file or
 * directory" (strerror), not Go's "open <p>: no such file or directory". */
Test(host, seccomp_profile_missing_cause_is_gos, .init = setup, .fini = teardown)
{
    char json[512], want[1024];
    char *msg;

    snprintf(json, sizeof(json), "{\"seccomp-profile\":\"%s/nope.json\"}", f.root);
    msg = load_error(json);
    snprintf(want, sizeof(want),
             "%s: opening seccomp profile (%s/nope.json) failed: open %s/nope.json: no such file "
             "or directory",
             path, f.root, f.root);
    cr_expect_str_eq(msg, want);
    free(msg);
}

Test(host, userns_remap_flag, .init = setup, .fini = teardown)
{
    struct ls_host *h = load("{\"userns-remap\":\"default\"}");
    cr_expect(h->userns_remap);
    cr_expect_null(h->config_error);
    ls_host_free(h);

    h = load("{\"userns-remap\":\"\"}");
    cr_expect(!h->userns_remap);
    ls_host_free(h);

    h = load("{}");
    cr_expect(!h->userns_remap);
    ls_host_free(h);
}

Test(host, invalid_json_is_config_error_not_failure, .init = setup, .fini = teardown)
{
    char *msg = load_error("{\"exec-opts\": [");
    cr_expect_eq(strncmp(msg, path, strlen(path)), 0, "%s", msg);
    cr_expect_gt(strlen(msg), strlen(path) + 2);
    free(msg);

    msg = load_error("[]");
    char want[512];
    snprintf(want, sizeof(want), "%s: not a JSON object", path);
    cr_expect_str_eq(msg, want);
    free(msg);

    msg = load_error("");
    cr_expect_eq(strncmp(msg, path, strlen(path)), 0, "%s", msg);
    free(msg);
}

Test(host, wrong_member_type_is_config_error, .init = setup, .fini = teardown)
{
    char *msg = load_error("{\"init\":\"yes\"}");
    cr_expect_not_null(strstr(msg, "init"), "%s", msg);
    free(msg);

    msg = load_error("{\"exec-opts\":\"native.cgroupdriver=systemd\"}");
    cr_expect_not_null(strstr(msg, "exec-opts"), "%s", msg);
    free(msg);

    msg = load_error("{\"cgroup-parent\":5}");
    cr_expect_not_null(strstr(msg, "cgroup-parent"), "%s", msg);
    free(msg);
}

Test(host, unreadable_config_is_config_error, .init = setup, .fini = teardown)
{
    struct ls_host *h;

    fx_mkdir(&f, "daemon.json"); /* a folder where the file should be */
    h = load(NULL);
    cr_expect(h->config_present);
    cr_expect_not_null(h->config_error);
    ls_host_free(h);
}

Test(host, host_facts_are_sane)
{
    struct ls_host *h = NULL;
    struct bf_error err = BF_ERROR_INIT;

    cr_assert_eq(ls_host_load("/nonexistent/daemon.json", &h, &err), 0);
    cr_expect(!h->config_present);
    cr_expect_geq(h->cap_last_cap, 0);
    cr_expect_neq(h->machine[0], '\0');
    cr_expect_gt(h->kernel_major, 0);
    cr_expect(!h->devices_loaded);
    ls_host_free(h);
}
