/* OCI 1.3.0 renderer against expected bytes written by hand from doc §6.6 and runtime-spec's
 * specs-go field order; the golden file itself must pass the official schema validator. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "golden.h"
#include "spec_internal.h"

#define ID "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static struct ls_image win_img = {
    .os = "windows", .architecture = "amd64", .rootfs_type = "layers"};
static struct ls_layer layers[] = {{.path = "C:\\ProgramData\\docker\\windowsfilter\\top"},
                                   {.path = "C:\\ProgramData\\docker\\windowsfilter\\base"}};
static struct ls_walk walk = {.layers = layers, .n = 2};

Test(oci, hyperv_golden_and_schema_valid)
{
    char *args[] = {"--dir", "C:\\Data dir\\", "a\"b"};
    char *env[] = {"A=1", "NOPE"};
    struct spec_mount mounts[] = {
        {.destination = "C:\\a", .source = "C:\\ProgramData\\docker\\volumes\\va\\_data"},
        {.destination = "C:\\data\\logs", .source = "D:\\logs", .readonly = true},
    };
    struct ls_device devs[] = {{.path_on_host = "class/5B45201D-F2F2-4F3B-85BB-30FF1F953599"},
                               {.path_on_host = "class://AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"}};
    struct ls_kv ann[] = {{.key = "com.example.a", .value = "1"},
                          {.key = "com.example.b", .value = "two"}};
    const char *eps[] = {"1d6bd5ac-9d24-4a8c-bc3a-2b4c27f0d001"};
    const char *dns[] = {"corp.contoso.com"};
    struct ls_container c = {0};
    struct spec_model m = {0};
    struct bf_error err = BF_ERROR_INIT;
    const char *golden_path = NULL;
    char *out = NULL, *want = golden_read("oci-hyperv.json", &golden_path);
    size_t len = 0;

    memcpy(c.id, ID, sizeof(c.id));
    c.path = "C:\\app.exe";
    c.args = args;
    c.n_args = 3;
    c.config.args_escaped = true;
    c.config.tty = true;
    c.config.user = "ContainerUser";
    c.config.env = env;
    c.config.n_env = 2;
    c.config.working_dir = "C:\\app";
    c.config.hostname = "abc123def456";
    c.host.console_size[0] = 30;
    c.host.console_size[1] = 120;
    c.host.nano_cpus = 1500000000; /* Hyper-V: count 2, maximum 1.5e9/2/1e5 = 7500 */
    c.host.memory = 1073741824;
    c.host.devices = devs;
    c.host.n_devices = 2;
    c.host.annotations = ann;
    c.host.n_annotations = 2;
    m.c = &c;
    m.img = &win_img;
    m.walk = &walk;
    m.isolation = SPEC_ISOLATION_HYPERV;
    m.layer_folder = "C:\\ProgramData\\docker\\windowsfilter\\eeee";
    m.uvm_path = "C:\\ProgramData\\docker\\windowsfilter\\top\\UtilityVM";
    m.mounts = mounts;
    m.n_mounts = 2;
    m.network_store = true;
    m.endpoints = eps;
    m.n_endpoints = 1;
    m.allow_unqualified_dns = true;
    m.daemon_dns_search = dns;
    m.n_daemon_dns_search = 1;
    m.credential_spec = "{\"CmsPlugins\":[\"ActiveDirectory\"]}";
    m.host_cpus = 4;

    cr_assert_eq(spec_render_oci(&m, &out, &len, &err), 0, "%s", err.msg);
    cr_expect_eq(len, strlen(want));
    cr_expect_str_eq(out, want);
    free(out);
    free(want);

    const char *validate = getenv("VALIDATE_OCI");
    if (validate) {
        char cmd[4096];
        snprintf(cmd, sizeof(cmd), "'%s' --windows '%s' >/dev/null", validate, golden_path);
        cr_expect_eq(system(cmd), 0, "validate-oci-config rejected %s", golden_path);
    }
}

/* Process isolation, plain args, nothing optional: the smallest Windows document. */
Test(oci, process_minimal_compact)
{
    struct ls_container c = {0};
    struct spec_model m = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL;
    size_t len = 0;

    memcpy(c.id, ID, sizeof(c.id));
    c.path = "cmd";
    c.has_been_started_before = true;
    c.host.nano_cpus = 500000000; /* process: 5e8 / 4 host CPUs / 1e5 = 1250 */
    m.c = &c;
    m.img = &win_img;
    m.walk = &walk;
    m.isolation = SPEC_ISOLATION_PROCESS;
    m.layer_folder = "C:\\w\\eeee";
    m.compact = true;
    m.host_cpus = 4;
    cr_assert_eq(spec_render_oci(&m, &out, &len, &err), 0, "%s", err.msg);
    cr_expect_str_eq(out, "{\"ociVersion\":\"1.3.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
                          "\"args\":[\"cmd\"],\"cwd\":\"C:\\\\\"},\"root\":{\"path\":\"\"},"
                          "\"windows\":{\"layerFolders\":["
                          "\"C:\\\\ProgramData\\\\docker\\\\windowsfilter\\\\top\","
                          "\"C:\\\\ProgramData\\\\docker\\\\windowsfilter\\\\base\","
                          "\"C:\\\\w\\\\eeee\"],"
                          "\"resources\":{\"cpu\":{\"count\":0,\"shares\":0,\"maximum\":1250}},"
                          "\"network\":{}}}");
    free(out);
}

Test(oci, linux_image_has_no_windows_section)
{
    struct ls_image lin = {.os = "linux", .architecture = "amd64", .rootfs_type = "layers"};
    char *args[] = {"-c", "echo hi"};
    struct ls_container c = {0};
    struct spec_model m = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL;
    size_t len = 0;

    memcpy(c.id, ID, sizeof(c.id));
    c.path = "/bin/sh";
    c.args = args;
    c.n_args = 2;
    c.config.args_escaped = true; /* only Windows images turn this into commandLine */
    m.c = &c;
    m.img = &lin;
    m.walk = &walk;
    m.compact = true;
    cr_assert_eq(spec_render_oci(&m, &out, &len, &err), 0, "%s", err.msg);
    cr_expect_str_eq(out, "{\"ociVersion\":\"1.3.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
                          "\"args\":[\"/bin/sh\",\"-c\",\"echo hi\"],\"cwd\":\"/\"},"
                          "\"root\":{\"path\":\"\"}}");
    free(out);
}

Test(oci, errors)
{
    struct ls_device bad = {.path_on_host = "/dev/sda"};
    struct ls_container c = {0};
    struct spec_model m = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL;
    size_t len = 0;

    memcpy(c.id, ID, sizeof(c.id));
    c.path = "cmd";
    c.host.devices = &bad;
    c.host.n_devices = 1;
    m.c = &c;
    m.img = &win_img;
    m.walk = &walk;
    m.layer_folder = "C:\\w";
    cr_assert_eq(spec_render_oci(&m, &out, &len, &err), -EINVAL);
    cr_expect_null(out);
    cr_expect_str_eq(err.msg, "container " ID ": containers/" ID "/hostconfig.json: invalid "
                              "device assignment path: '/dev/sda', must be 'class/ID' or "
                              "'IDType://ID'");
    bf_error_clear(&err);

    bad.path_on_host = "vpci-location-path://PCIP\\VEN_1234";
    cr_assert_eq(spec_render_oci(&m, &out, &len, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "container " ID ": containers/" ID "/hostconfig.json: device "
                              "'vpci-location-path://PCIP\\VEN_1234': idType 'vpci-location-path' "
                              "is not allowed by runtime-spec 1.3.0 (only 'class')");
    bf_error_clear(&err);

    c.n_args = 0;
    c.host.n_devices = 0;
    m.credential_spec = "[1,2]";
    cr_assert_eq(spec_render_oci(&m, &out, &len, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "container " ID ": credential spec is not a JSON object (another "
                              "JSON type), and runtime-spec's windows.credentialSpec must be one");
    bf_error_clear(&err);
}
