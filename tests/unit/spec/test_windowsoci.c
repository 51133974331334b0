/* windowsoci renderer against expected bytes written by hand from doc §6.1 and the seed's
 * types (tests/data/spec/windowsoci-*.json), and its error cases. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "golden.h"
#include "spec_internal.h"

#define ID "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static struct ls_image img = {.os = "windows",
                              .architecture = "amd64",
                              .os_version = "10.0.17763.1",
                              .rootfs_type = "layers"};
static struct ls_layer layers[] = {{.path = "C:\\ProgramData\\docker\\windowsfilter\\top"},
                                   {.path = "C:\\ProgramData\\docker\\windowsfilter\\base"}};
static struct ls_walk walk = {.layers = layers, .n = 2};

Test(windowsoci, hyperv_golden)
{
    char *args[] = {"/S", "/C", "echo \"hi there\"", "C:\\Program Files\\"};
    char *env[] = {"A=1", "NO_EQUALS", "B=x y"};
    struct spec_mount mounts[] = {
        {.destination = "C:\\a", .source = "C:\\ProgramData\\docker\\volumes\\va\\_data"},
        {.destination = "C:\\data\\logs", .source = "D:\\logs", .readonly = true},
    };
    const char *eps[] = {"1d6bd5ac-9d24-4a8c-bc3a-2b4c27f0d001",
                         "1d6bd5ac-9d24-4a8c-bc3a-2b4c27f0d002"};
    struct ls_container c = {0};
    struct spec_model m = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL, *want = golden_read("windowsoci-hyperv.json", NULL);
    size_t len = 0;

    memcpy(c.id, ID, sizeof(c.id));
    c.path = "cmd";
    c.args = args;
    c.n_args = 4;
    c.config.tty = true;
    c.config.user = "ContainerUser";
    c.config.env = env;
    c.config.n_env = 3;
    c.config.working_dir = "";
    c.config.hostname = "abc123def456";
    c.config.domainname = "contoso.com";
    c.host.cpu_shares = 512;
    c.host.cpu_count = 2;
    c.host.memory = 1073741824;
    c.host.io_maximum_iops = 100;
    c.host.network_mode = "nat";
    m.c = &c;
    m.img = &img;
    m.walk = &walk;
    m.isolation = SPEC_ISOLATION_HYPERV;
    m.layer_folder = "C:\\ProgramData\\docker\\windowsfilter\\eeee";
    m.uvm_path = "C:\\ProgramData\\docker\\windowsfilter\\base\\UtilityVM";
    m.mounts = mounts;
    m.n_mounts = 2;
    m.network_store = true;
    m.endpoints = eps;
    m.n_endpoints = 2;

    cr_assert_eq(spec_render_windowsoci(&m, &out, &len, &err), 0, "%s", err.msg);
    cr_expect_eq(len, strlen(want));
    cr_expect_str_eq(out, want);
    free(out);
    free(want);
}

/* Process isolation, no network store (TP4 fields), ArgsEscaped, no mounts: compact. */
Test(windowsoci, process_tp4_compact)
{
    char *args[] = {"/S /C dir"};
    struct ls_port_binding pb = {.host_ip = "", .host_port = "8080"};
    struct ls_port port = {.port = "80/tcp", .bindings = &pb, .n_bindings = 1};
    struct ls_container c = {0};
    struct spec_model m = {0};
    struct bf_error err = BF_ERROR_INIT;
    struct ls_walk one = {.layers = layers + 1, .n = 1};
    char *out = NULL;
    size_t len = 0;

    memcpy(c.id, ID, sizeof(c.id));
    c.path = "cmd";
    c.args = args;
    c.n_args = 1;
    c.has_been_started_before = true;
    c.config.args_escaped = true;
    c.config.hostname = "abc123def456";
    c.config.working_dir = "C:\\app";
    c.config.mac_address = "00:15:5d:aa:bb:cc";
    c.host.network_mode = "default";
    c.host.port_bindings = &port;
    c.host.n_port_bindings = 1;
    c.host.readonly_rootfs = true;
    m.c = &c;
    m.img = &img;
    m.walk = &one;
    m.isolation = SPEC_ISOLATION_PROCESS;
    m.layer_folder = "C:\\ProgramData\\docker\\windowsfilter\\eeee";
    m.uvm_path = "C:\\ignored-for-process-isolation";
    m.compact = true;

    cr_assert_eq(spec_render_windowsoci(&m, &out, &len, &err), 0, "%s", err.msg);
    cr_expect_str_eq(
        out, "{\"ociVersion\":\"0.3.0 (Windows)\","
             "\"platform\":{\"os\":\"windows\",\"arch\":\"amd64\",\"os.version\":\"10.0.17763.1\"},"
             "\"process\":{\"terminal\":false,\"user\":{},\"args\":[\"cmd\",\"/S /C dir\"],"
             "\"cwd\":\"C:\\\\app\"},"
             "\"root\":{\"path\":\"\",\"readonly\":true},"
             "\"hostname\":\"abc123def456\","
             "\"mounts\":null,"
             "\"windows\":{\"resources\":{\"memory\":{},\"cpu\":{\"shares\":0},\"storage\":{},"
             "\"network\":{}},"
             "\"networking\":{\"mac\":\"00:15:5d:aa:bb:cc\","
             "\"port_bindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}},"
             "\"layer_folder\":\"C:\\\\ProgramData\\\\docker\\\\windowsfilter\\\\eeee\","
             "\"layer_paths\":[\"C:\\\\ProgramData\\\\docker\\\\windowsfilter\\\\base\"]}}");
    cr_expect_eq(len, strlen(out));
    free(out);
}

static int render_mode(const char *mode, bool store, char **out, struct bf_error *err)
{
    struct ls_container c = {0};
    struct spec_model m = {0};
    size_t len;

    memcpy(c.id, ID, sizeof(c.id));
    c.path = "cmd";
    c.host.network_mode = (char *)mode;
    m.c = &c;
    m.img = &img;
    m.walk = &walk;
    m.network_store = store;
    m.compact = true;
    return spec_render_windowsoci(&m, out, &len, err);
}

Test(windowsoci, network_modes)
{
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL;

    cr_assert_eq(render_mode("none", false, &out, &err), 0);
    cr_expect_not_null(strstr(out, "\"networking\":{},"));
    free(out);
    cr_assert_eq(render_mode("nat", true, &out, &err), 0); /* a store: no endpoints known */
    cr_expect_not_null(strstr(out, "\"networking\":{},"));
    free(out);
    out = NULL;
    cr_assert_eq(render_mode("nat", false, &out, &err), -EINVAL);
    cr_expect_null(out);
    cr_expect_str_eq(err.msg, "container " ID ": containers/" ID
                              "/hostconfig.json: invalid network mode: nat");
    bf_error_clear(&err);
}

Test(windowsoci, invalid_utf8_is_an_error_not_a_partial_file)
{
    char *env[] = {"A=caf\xe9"};
    struct ls_container c = {0};
    struct spec_model m = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL;
    size_t len = 0;

    memcpy(c.id, ID, sizeof(c.id));
    c.path = "cmd";
    c.config.env = env;
    c.config.n_env = 1;
    m.c = &c;
    m.img = &img;
    m.walk = &walk;
    m.network_store = true;
    cr_assert_eq(spec_render_windowsoci(&m, &out, &len, &err), -EINVAL);
    cr_expect_null(out);
    cr_expect_str_eq(err.msg, "container " ID ": config.json: a value cannot be written (a string "
                              "that is not valid UTF-8, a number above 2^63-1, or out of memory)");
    bf_error_clear(&err);
}

Test(windowsoci, linux_image_has_no_windows_section)
{
    struct ls_image lin = {.os = "linux", .architecture = "amd64", .rootfs_type = "layers"};
    struct ls_container c = {0};
    struct spec_model m = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL;
    size_t len = 0;

    memcpy(c.id, ID, sizeof(c.id));
    c.path = "/bin/sh";
    c.config.args_escaped = true;
    c.host.network_mode = "bridge"; /* would be "invalid network mode" for a Windows image */
    m.c = &c;
    m.img = &lin;
    m.walk = &walk;
    m.compact = true;
    cr_assert_eq(spec_render_windowsoci(&m, &out, &len, &err), 0, "%s", err.msg);
    cr_expect_str_eq(out, "{\"ociVersion\":\"0.3.0 (Windows)\",\"platform\":{\"os\":\"linux\","
                          "\"arch\":\"amd64\"},\"process\":{\"terminal\":false,\"user\":{},"
                          "\"args\":[\"/bin/sh\"],\"cwd\":\"C:\\\\\"},\"root\":{\"path\":\"\","
                          "\"readonly\":false},\"mounts\":null}");
    free(out);
}
