/* Containers: config.v2.json, hostconfig.json, layerdb/mounts; lookup; every bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fixture.h"
#include "layerstore.h"

static struct fx f;
static struct layerstore *ls;

static void teardown(void)
{
    layerstore_close(ls);
    ls = NULL;
    fx_cleanup(&f);
}

TestSuite(container, .fini = teardown, .timeout = 30);

static void std_open(const char *driver, const char *hostroot)
{
    struct ls_options o = {.hostroot = hostroot};
    struct bf_error err = BF_ERROR_INIT;
    fx_std(&f, driver);
    cr_assert_eq(layerstore_open(f.root, &o, &ls, &err), 0, "%s", bf_error_message(&err));
}

static struct ls_container *load_ok(const char *id)
{
    struct ls_container *c = NULL;
    struct bf_error err = BF_ERROR_INIT;
    cr_assert_eq(layerstore_container_load(ls, id, &c, NULL, &err), 0, "%s",
                 bf_error_message(&err));
    return c;
}

static char *load_err(const char *id)
{
    struct ls_container *c = NULL;
    struct bf_error err = BF_ERROR_INIT;
    cr_assert_lt(layerstore_container_load(ls, id, &c, NULL, &err), 0, "load should fail");
    cr_assert_null(c);
    char *m = strdup(bf_error_message(&err));
    bf_error_clear(&err);
    return m;
}

static void expect_cfg_error(const char *file, const char *json, const char *tail);

#define CFG1 "containers/" CID1 "/config.v2.json"
#define HC1 "containers/" CID1 "/hostconfig.json"
#define MNT1(d) "image/" d "/layerdb/mounts/" CID1

Test(container, windowsfilter_minimal)
{
    std_open("windowsfilter", NULL);
    struct ls_container *c = load_ok(CID1);
    cr_assert_str_eq(c->id, CID1);
    cr_assert_str_eq(c->name, "web");
    char img[80];
    snprintf(img, sizeof(img), "sha256:%s", f.image_hex);
    cr_assert_str_eq(c->image_id, img);
    cr_assert_str_eq(c->path, "cmd");
    cr_assert_eq(c->n_args, 3);
    cr_assert_str_eq(c->args[2], "echo hi");
    cr_assert_str_eq(c->driver, "windowsfilter");
    cr_assert_null(c->os);
    cr_assert(c->has_been_started_before);
    cr_assert_not(c->running);
    cr_assert_str_eq(c->config.hostname, "abc123000000");
    cr_assert_str_eq(c->config.domainname, "");
    cr_assert_str_eq(c->config.user, "");
    cr_assert(c->config.tty);
    cr_assert_eq(c->config.n_env, 2);
    cr_assert_str_eq(c->config.env[1], "B");
    cr_assert_str_eq(c->config.working_dir, "");
    cr_assert_str_eq(c->config.image, "microsoft/nanoserver");
    cr_assert_not(c->config.args_escaped);
    cr_assert_str_eq(c->config.mac_address, "");
    cr_assert_eq(c->n_networks, 1);
    cr_assert_str_eq(c->networks[0].name, "nat");
    cr_assert_str_eq(c->networks[0].endpoint_id, "e1");
    cr_assert_eq(c->n_mounts, 0);
    cr_assert_str_eq(c->host.isolation, "process");
    cr_assert_str_eq(c->host.network_mode, "nat");
    cr_assert_eq(c->host.cpu_shares, 0);
    cr_assert_str_eq(c->mount_id, CID1);
    cr_assert_null(c->init_id);
    cr_assert_str_eq(c->mount_parent, C3);
    cr_assert_str_eq(c->layer_rel, "windowsfilter/" CID1);
    char want[512];
    snprintf(want, sizeof(want), "%s/windowsfilter/" CID1, f.root);
    cr_assert_str_eq(c->layer_path, want);
    ls_container_free(c);
}

Test(container, overlay2_and_vfs_layer_folders)
{
    std_open("overlay2", NULL);
    struct ls_container *c = load_ok(CID1);
    cr_assert_str_eq(c->mount_id, MOUNT_OV);
    cr_assert_str_eq(c->init_id, MOUNT_OV "-init");
    cr_assert_str_eq(c->layer_rel, "overlay2/" MOUNT_OV "/diff");
    ls_container_free(c);
    teardown();
    std_open("vfs", "C:\\ProgramData\\docker");
    c = load_ok(CID1);
    cr_assert_str_eq(c->layer_rel, "vfs/dir/" MOUNT_OV);
    cr_assert_str_eq(c->layer_path, "C:\\ProgramData\\docker\\vfs\\dir\\" MOUNT_OV);
    ls_container_free(c);
}

Test(container, windows_layer_folder_rendering)
{
    std_open("windowsfilter", "C:\\ProgramData\\docker");
    struct ls_container *c = load_ok(CID1);
    cr_assert_str_eq(c->layer_path, "C:\\ProgramData\\docker\\windowsfilter\\" CID1);
    ls_container_free(c);
    /* mount-id differing from the ID on windowsfilter: mount-id is used, no failure */
    fx_write(&f, MNT1("windowsfilter") "/mount-id", CACHEB);
    c = load_ok(CID1);
    cr_assert_str_eq(c->layer_path, "C:\\ProgramData\\docker\\windowsfilter\\" CACHEB);
    ls_container_free(c);
}

Test(container, every_field)
{
    std_open("windowsfilter", NULL);
    fx_writef(&f, CFG1,
              "{\"ID\":\"" CID1 "\",\"Name\":\"/my.app-1_x\",\"Image\":\"sha256:%s\","
              "\"Driver\":\"windowsfilter\",\"OS\":\"windows\",\"Path\":\"C:\\\\app.exe\","
              "\"Args\":null,\"HasBeenStartedBefore\":false,\"State\":{\"Running\":true},"
              "\"Config\":{\"Hostname\":\"h\",\"Domainname\":\"example.com\",\"User\":"
              "\"ContainerUser\",\"Tty\":false,\"Env\":null,\"WorkingDir\":\"C:\\\\w\","
              "\"Image\":\"app:1\",\"ArgsEscaped\":true,\"NetworkDisabled\":true,"
              "\"MacAddress\":\"00:11:22:33:44:55\",\"Unknown\":{\"x\":[1,2]}},"
              "\"NetworkSettings\":{\"Networks\":{\"zeta\":{\"NetworkID\":\"nz\",\"EndpointID\":"
              "\"ez\"},\"alpha\":null,\"nat\":{\"EndpointID\":\"en\",\"MacAddress\":\"m\"}}},"
              "\"MountPoints\":{\"C:\\\\data\":{\"Source\":\"C:\\\\ProgramData\\\\docker\\\\"
              "volumes\\\\v\\\\_data\",\"Destination\":\"C:\\\\data\",\"RW\":true,\"Name\":\"v\","
              "\"Driver\":\"local\",\"Type\":\"volume\"},\"C:\\\\ro\":{\"Source\":\"C:\\\\host\","
              "\"RW\":false}}}",
              f.image_hex);
    fx_write(
        &f, HC1,
        "{\"Isolation\":\"hyperv\",\"CpuShares\":512,\"Memory\":1073741824,"
        "\"NanoCpus\":1500000000,\"CpuCount\":2,\"CpuPercent\":50,\"MemoryReservation\":-1,"
        "\"IOMaximumIOps\":100,\"IOMaximumBandwidth\":18446744073709551,"
        "\"StorageOpt\":{\"size\":\"20G\",\"a\":null},\"SecurityOpt\":[\"credentialspec=file://"
        "x.json\"],\"ReadonlyRootfs\":true,\"ConsoleSize\":[30,120,7],\"NetworkMode\":"
        "\"container:web\",\"DnsSearch\":[\"a.example\",\"b.example\"],\"Devices\":[{"
        "\"PathOnHost\":\"class/5B45201D-F2F2-4F3B-85BB-30FF1F953599\",\"PathInContainer\":"
        "\"\",\"CgroupPermissions\":\"\"},null],\"Annotations\":{\"z\":\"1\",\"a\":\"2\"},"
        "\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"},{\"HostIp\":"
        "\"127.0.0.1\",\"HostPort\":\"81\"}],\"443/tcp\":null},\"Binds\":[\"C:\\\\x:C:\\\\y\"]}");
    struct ls_container *c = load_ok(CID1);
    cr_assert_str_eq(c->name, "my.app-1_x");
    cr_assert_str_eq(c->os, "windows");
    cr_assert_str_eq(c->path, "C:\\app.exe");
    cr_assert_eq(c->n_args, 0);
    cr_assert_null(c->args);
    cr_assert_not(c->has_been_started_before);
    cr_assert(c->running);
    cr_assert_str_eq(c->config.domainname, "example.com");
    cr_assert_str_eq(c->config.user, "ContainerUser");
    cr_assert_not(c->config.tty);
    cr_assert_eq(c->config.n_env, 0);
    cr_assert_str_eq(c->config.working_dir, "C:\\w");
    cr_assert(c->config.args_escaped);
    cr_assert(c->config.network_disabled);
    cr_assert_str_eq(c->config.mac_address, "00:11:22:33:44:55");
    /* networks sorted by name; a null entry has empty fields */
    cr_assert_eq(c->n_networks, 3);
    cr_assert_str_eq(c->networks[0].name, "alpha");
    cr_assert_str_eq(c->networks[0].endpoint_id, "");
    cr_assert_str_eq(c->networks[1].name, "nat");
    cr_assert_str_eq(c->networks[1].mac_address, "m");
    cr_assert_str_eq(c->networks[2].network_id, "nz");
    cr_assert_str_eq(c->networks[2].endpoint_id, "ez");
    /* mounts in file order; Destination falls back to the key */
    cr_assert_eq(c->n_mounts, 2);
    cr_assert_str_eq(c->mounts[0].destination, "C:\\data");
    cr_assert_str_eq(c->mounts[0].source, "C:\\ProgramData\\docker\\volumes\\v\\_data");
    cr_assert(c->mounts[0].rw);
    cr_assert_str_eq(c->mounts[0].name, "v");
    cr_assert_str_eq(c->mounts[0].driver, "local");
    cr_assert_str_eq(c->mounts[0].type, "volume");
    cr_assert_str_eq(c->mounts[1].destination, "C:\\ro");
    cr_assert_str_eq(c->mounts[1].source, "C:\\host");
    cr_assert_not(c->mounts[1].rw);
    cr_assert_str_eq(c->mounts[1].type, "");
    /* hostconfig */
    cr_assert_str_eq(c->host.isolation, "hyperv");
    cr_assert_eq(c->host.cpu_shares, 512);
    cr_assert_eq(c->host.memory, 1073741824);
    cr_assert_eq(c->host.nano_cpus, 1500000000);
    cr_assert_eq(c->host.cpu_count, 2);
    cr_assert_eq(c->host.cpu_percent, 50);
    cr_assert_eq(c->host.memory_reservation, -1);
    cr_assert_eq(c->host.io_maximum_iops, 100);
    cr_assert_eq(c->host.io_maximum_bandwidth, 18446744073709551ull);
    cr_assert_eq(c->host.n_storage_opt, 2);
    cr_assert_str_eq(c->host.storage_opt[0].key, "a");
    cr_assert_str_eq(c->host.storage_opt[0].value, "");
    cr_assert_str_eq(c->host.storage_opt[1].key, "size");
    cr_assert_str_eq(c->host.storage_opt[1].value, "20G");
    cr_assert_eq(c->host.n_security_opt, 1);
    cr_assert_str_eq(c->host.security_opt[0], "credentialspec=file://x.json");
    cr_assert(c->host.readonly_rootfs);
    cr_assert_eq(c->host.console_size[0], 30);
    cr_assert_eq(c->host.console_size[1], 120);
    cr_assert_str_eq(c->host.network_mode, "container:web");
    cr_assert_eq(c->host.n_dns_search, 2);
    cr_assert_str_eq(c->host.dns_search[1], "b.example");
    cr_assert_eq(c->host.n_devices, 2);
    cr_assert_str_eq(c->host.devices[0].path_on_host, "class/5B45201D-F2F2-4F3B-85BB-30FF1F953599");
    cr_assert_str_eq(c->host.devices[1].path_on_host, "");
    cr_assert_eq(c->host.n_annotations, 2);
    cr_assert_str_eq(c->host.annotations[0].key, "a");
    cr_assert_str_eq(c->host.annotations[1].value, "1");
    cr_assert_eq(c->host.n_port_bindings, 2);
    cr_assert_str_eq(c->host.port_bindings[0].port, "443/tcp");
    cr_assert(c->host.port_bindings[0].is_null);
    cr_assert_eq(c->host.port_bindings[0].n_bindings, 0);
    cr_assert_str_eq(c->host.port_bindings[1].port, "80/tcp");
    cr_assert_not(c->host.port_bindings[1].is_null);
    cr_assert_eq(c->host.port_bindings[1].n_bindings, 2);
    cr_assert_str_eq(c->host.port_bindings[1].bindings[0].host_port, "8080");
    cr_assert_str_eq(c->host.port_bindings[1].bindings[1].host_ip, "127.0.0.1");
    ls_container_free(c);
}

Test(container, nulls_and_absent_keys_are_zero_values)
{
    std_open("windowsfilter", NULL);
    fx_writef(&f, CFG1,
              "{\"ID\":\"" CID1 "\",\"Name\":null,\"Image\":\"sha256:%s\",\"Driver\":"
              "\"windowsfilter\",\"Config\":null,\"State\":null,\"NetworkSettings\":null,"
              "\"MountPoints\":null,\"Path\":null}",
              f.image_hex);
    fx_write(&f, HC1,
             "{\"Isolation\":null,\"CpuShares\":null,\"ConsoleSize\":null,\"StorageOpt\":null,"
             "\"PortBindings\":null,\"Devices\":null}");
    struct ls_container *c = load_ok(CID1);
    cr_assert_str_eq(c->name, "");
    cr_assert_str_eq(c->path, "");
    cr_assert_str_eq(c->config.hostname, "");
    cr_assert_str_eq(c->config.image, "");
    cr_assert_eq(c->config.n_env, 0);
    cr_assert_eq(c->n_networks, 0);
    cr_assert_eq(c->n_mounts, 0);
    cr_assert_str_eq(c->host.isolation, "");
    cr_assert_str_eq(c->host.network_mode, "");
    cr_assert_eq(c->host.console_size[0], 0);
    cr_assert_eq(c->host.n_port_bindings, 0);
    ls_container_free(c);
}

Test(container, duplicate_keys_last_wins)
{
    std_open("windowsfilter", NULL);
    fx_write(&f, HC1, "{\"Isolation\":\"process\",\"Isolation\":\"hyperv\"}");
    struct ls_container *c = load_ok(CID1);
    cr_assert_str_eq(c->host.isolation, "hyperv");
    ls_container_free(c);
}

Test(container, field_names_match_case_insensitively_like_go)
{
    std_open("windowsfilter", NULL);
    /* exact match preferred; otherwise the last case-insensitive match */
    fx_write(&f, HC1,
             "{\"cpushares\":7,\"CPUSHARES\":8,\"isolation\":\"hyperv\",\"Memory\":1,"
             "\"memory\":2}");
    struct ls_container *c = load_ok(CID1);
    cr_assert_eq(c->host.cpu_shares, 8);
    cr_assert_str_eq(c->host.isolation, "hyperv");
    cr_assert_eq(c->host.memory, 1);
    ls_container_free(c);
    /* but map keys (network names) are data, kept as written */
    fx_writef(&f, CFG1,
              "{\"id\":\"" CID1 "\",\"Image\":\"sha256:%s\",\"driver\":\"windowsfilter\","
              "\"networksettings\":{\"networks\":{\"NAT\":{\"endpointid\":\"e\"}}}}",
              f.image_hex);
    c = load_ok(CID1);
    cr_assert_eq(c->n_networks, 1);
    cr_assert_str_eq(c->networks[0].name, "NAT");
    cr_assert_str_eq(c->networks[0].endpoint_id, "e");
    ls_container_free(c);
}

Test(container, out_of_range_integer)
{
    std_open("windowsfilter", NULL);
    /* jansson refuses integers beyond int64 while parsing; the message names file and place */
    expect_cfg_error(
        HC1, "{\"CpuShares\":99999999999999999999}",
        "invalid JSON: too big integer near '99999999999999999999' (line 1, column 33)");
}

/* Replace `key`'s value in the std config.v2.json (or hostconfig.json) and expect `tail`. */
static void expect_cfg_error(const char *file, const char *json, const char *tail)
{
    char want[1024];
    fx_write(&f, file, json);
    char *m = load_err(CID1);
    snprintf(want, sizeof(want), "%s: %s", file, tail);
    cr_assert_str_eq(m, want, "for %s: got %s", json, m);
    free(m);
}

static char cfgbuf[4096];
/* A valid config.v2.json with `extra` appended as the last keys (last wins). */
static const char *cfg_with(const char *extra)
{
    snprintf(cfgbuf, sizeof(cfgbuf),
             "{\"ID\":\"" CID1 "\",\"Name\":\"/web\",\"Image\":\"sha256:%s\","
             "\"Driver\":\"windowsfilter\"%s%s}",
             f.image_hex, *extra ? "," : "", extra);
    return cfgbuf;
}

Test(container, config_wrong_types)
{
    std_open("windowsfilter", NULL);
    const char *cases[][2] = {
        {"\"Config\":{\"Env\":\"A=1\"}", "\"Config.Env\" must be an array of strings"},
        {"\"Config\":{\"Env\":[\"A=1\",2]}", "\"Config.Env\" must be an array of strings"},
        {"\"Config\":[]", "\"Config\" must be an object"},
        {"\"Config\":{\"Tty\":\"true\"}", "\"Config.Tty\" must be a boolean"},
        {"\"Config\":{\"Hostname\":1}", "\"Config.Hostname\" must be a string"},
        {"\"Config\":{\"ArgsEscaped\":1}", "\"Config.ArgsEscaped\" must be a boolean"},
        {"\"Args\":[\"a\",{}]", "\"Args\" must be an array of strings"},
        {"\"Path\":[]", "\"Path\" must be a string"},
        {"\"HasBeenStartedBefore\":\"yes\"", "\"HasBeenStartedBefore\" must be a boolean"},
        {"\"State\":{\"Running\":1}", "\"State.Running\" must be a boolean"},
        {"\"State\":true", "\"State\" must be an object"},
        {"\"Name\":5", "\"Name\" must be a string"},
        {"\"ID\":5", "\"ID\" must be a string"},
        {"\"Image\":5", "\"Image\" must be a string"},
        {"\"OS\":5", "\"OS\" must be a string"},
        {"\"Driver\":5", "\"Driver\" must be a string"},
        {"\"NetworkSettings\":[]", "\"NetworkSettings\" must be an object"},
        {"\"NetworkSettings\":{\"Networks\":[]}", "\"NetworkSettings.Networks\" must be an object"},
        {"\"NetworkSettings\":{\"Networks\":{\"nat\":1}}",
         "\"NetworkSettings.Networks.nat\" must be an object"},
        {"\"NetworkSettings\":{\"Networks\":{\"nat\":{\"EndpointID\":5}}}",
         "\"NetworkSettings.Networks.nat.EndpointID\" must be a string"},
        {"\"MountPoints\":[]", "\"MountPoints\" must be an object"},
        {"\"MountPoints\":{\"C:\\\\d\":null}", "\"MountPoints.C:\\d\" must be an object"},
        {"\"MountPoints\":{\"C:\\\\d\":{\"RW\":\"true\"}}",
         "\"MountPoints.C:\\d.RW\" must be a boolean"},
        {"\"MountPoints\":{\"C:\\\\d\":{\"Source\":1}}",
         "\"MountPoints.C:\\d.Source\" must be a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_cfg_error(CFG1, cfg_with(cases[i][0]), cases[i][1]);
}

/* Two wrong members: the one checked first is reported, wherever each is in the file (the
 * field tables keep the order the members have always been checked in). */
Test(container, first_error_in_check_order)
{
    std_open("windowsfilter", NULL);
    expect_cfg_error(CFG1, cfg_with("\"State\":{\"Pid\":\"x\"},\"Config\":{\"Tty\":1}"),
                     "\"Config.Tty\" must be a boolean");
    expect_cfg_error(CFG1, cfg_with("\"MountPoints\":{\"C:\\\\d\":{\"RW\":1}},\"Path\":5"),
                     "\"Path\" must be a string");
    expect_cfg_error(CFG1, cfg_with("\"NetworkSettings\":{\"SandboxKey\":1,\"SandboxID\":2}"),
                     "\"NetworkSettings.SandboxID\" must be a string");
    expect_cfg_error(CFG1, cfg_with("\"config\":{\"Tty\":true},\"Config\":{\"Tty\":1}"),
                     "\"Config.Tty\" must be a boolean"); /* the exact key wins */
    fx_write(&f, CFG1, cfg_with(""));
    expect_cfg_error(HC1, "{\"PortBindings\":[],\"CpuShares\":\"x\"}",
                     "\"CpuShares\" must be an integer");
    expect_cfg_error(HC1, "{\"Ulimits\":{},\"PidMode\":1}", "\"PidMode\" must be a string");
    expect_cfg_error(HC1, "{\"Sysctls\":[],\"BlkioWeight\":70000}",
                     "\"BlkioWeight\" is out of range (70000)");
}

Test(container, hostconfig_wrong_types)
{
    std_open("windowsfilter", NULL);
    const char *cases[][2] = {
        {"{\"CpuShares\":1.5}", "\"CpuShares\" must be an integer"},
        {"{\"Memory\":\"1\"}", "\"Memory\" must be an integer"},
        {"{\"NanoCpus\":1e9}", "\"NanoCpus\" must be an integer"},
        {"{\"CpuCount\":true}", "\"CpuCount\" must be an integer"},
        {"{\"CpuPercent\":[]}", "\"CpuPercent\" must be an integer"},
        {"{\"MemoryReservation\":{}}", "\"MemoryReservation\" must be an integer"},
        {"{\"IOMaximumIOps\":-1}", "\"IOMaximumIOps\" must be a non-negative integer"},
        {"{\"IOMaximumBandwidth\":\"5\"}", "\"IOMaximumBandwidth\" must be a non-negative integer"},
        {"{\"Isolation\":1}", "\"Isolation\" must be a string"},
        {"{\"StorageOpt\":{\"size\":20}}", "\"StorageOpt\" must be an object of strings"},
        {"{\"StorageOpt\":[]}", "\"StorageOpt\" must be an object of strings"},
        {"{\"SecurityOpt\":\"credentialspec=x\"}", "\"SecurityOpt\" must be an array of strings"},
        {"{\"ReadonlyRootfs\":0}", "\"ReadonlyRootfs\" must be a boolean"},
        {"{\"ConsoleSize\":[1,\"x\"]}",
         "\"ConsoleSize\" must be an array of 2 non-negative integers"},
        {"{\"ConsoleSize\":[-1,2]}", "\"ConsoleSize\" must be an array of 2 non-negative integers"},
        {"{\"ConsoleSize\":{}}", "\"ConsoleSize\" must be an array of 2 non-negative integers"},
        {"{\"NetworkMode\":{}}", "\"NetworkMode\" must be a string"},
        {"{\"DnsSearch\":[1]}", "\"DnsSearch\" must be an array of strings"},
        {"{\"Devices\":[1]}", "\"Devices\" must be an array of objects"},
        {"{\"Devices\":{}}", "\"Devices\" must be an array of objects"},
        {"{\"Devices\":[{\"PathOnHost\":1}]}", "\"Devices[0].PathOnHost\" must be a string"},
        {"{\"Annotations\":{\"a\":[]}}", "\"Annotations\" must be an object of strings"},
        {"{\"PortBindings\":[]}", "\"PortBindings\" must be an object"},
        {"{\"PortBindings\":{\"80/tcp\":{}}}",
         "\"PortBindings.80/tcp\" must be an array of objects"},
        {"{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":80}]}}",
         "\"PortBindings.80/tcp[0].HostPort\" must be a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_cfg_error(HC1, cases[i][0], cases[i][1]);
}

Test(container, identity_errors)
{
    std_open("windowsfilter", NULL);
    expect_cfg_error(CFG1, cfg_with("\"ID\":\"" CID2 "\""),
                     "Container " CID2 " is stored at " CID1);
    expect_cfg_error(CFG1, cfg_with("\"ID\":\"\""),
                     "\"ID\" is missing (the container is stored at " CID1 ")");
    expect_cfg_error(CFG1, cfg_with("\"Name\":\"/bad name\""),
                     "Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                     "allowed");
    expect_cfg_error(CFG1, cfg_with("\"Name\":\"/a/../../b\""),
                     "Invalid container name (a/../../b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                     "allowed");
    expect_cfg_error(CFG1, cfg_with("\"Name\":\"/x\""),
                     "Invalid container name (x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    expect_cfg_error(CFG1, cfg_with("\"Image\":\"ubuntu\""),
                     "\"Image\" is not a valid image ID: \"ubuntu\"");
    expect_cfg_error(CFG1, cfg_with("\"Image\":null"), "\"Image\" is not a valid image ID: \"\"");
    expect_cfg_error(CFG1, cfg_with("\"Driver\":\"overlay2\""),
                     "container was created with storage driver \"overlay2\", but the data-root "
                     "is read with \"windowsfilter\" (Docker skips such containers)");
    expect_cfg_error(CFG1, cfg_with("\"Driver\":null"),
                     "container was created with storage driver \"\", but the data-root is read "
                     "with \"windowsfilter\" (Docker skips such containers)");
}

Test(container, bad_files)
{
    std_open("windowsfilter", NULL);
    expect_cfg_error(CFG1, "", "file is empty");
    expect_cfg_error(CFG1, "\n\t ", "file is empty");
    expect_cfg_error(CFG1, "garbage",
                     "invalid JSON: '[' or '{' expected near 'garbage' (line 1, column 7)");
    expect_cfg_error(CFG1, "[1]", "expected a JSON object");
    fx_write(&f, CFG1, cfg_with(""));
    expect_cfg_error(HC1, "{",
                     "invalid JSON: string or '}' expected near end of file (line 1, "
                     "column 1)");
    fx_write(&f, CFG1, cfg_with(""));
    fx_rm(&f, HC1);
    /* a folder that just changed: being written or removed (missing_hostconfig_* below) */
    char *m = load_err(CID1);
    cr_assert_str_eq(m, HC1 ": no such file or directory, and containers/" CID1 " has not been "
                            "unchanged for 1000 ms or holds an atomic write in progress (.tmp-*): "
                            "a container being written or removed");
    free(m);
    fx_write(&f, HC1, "{}");
    fx_rm(&f, CFG1);
    m = load_err(CID1);
    cr_assert_str_eq(m, CFG1 ": no such file or directory");
    free(m);
    fx_mkfifo(&f, CFG1);
    m = load_err(CID1);
    cr_assert_str_eq(m, CFG1 ": not a regular file");
    free(m);
    fx_rm(&f, CFG1);
    size_t n = (16u << 20) + 10;
    char *big = malloc(n);
    memset(big, ' ', n);
    fx_write_len(&f, CFG1, big, n);
    free(big);
    m = load_err(CID1);
    cr_assert_str_eq(m, CFG1 ": file too large (16777226 bytes, limit 16777216)");
    free(m);
}

Test(container, symlinks)
{
    std_open("windowsfilter", NULL);
    /* the config file */
    fx_mv(&f, CFG1, "cfg");
    fx_symlink(&f, "../../cfg", CFG1);
    char *m = load_err(CID1);
    cr_assert_str_eq(m, CFG1 ": is a symbolic link or passes through one (links are never "
                             "followed)");
    free(m);
    fx_rm(&f, CFG1);
    fx_mv(&f, "cfg", CFG1);
    /* the container's directory */
    fx_mv(&f, "containers/" CID1, "ctr");
    fx_symlink(&f, "../ctr", "containers/" CID1);
    m = load_err(CID1);
    cr_assert_str_eq(m, CFG1 ": is a symbolic link or passes through one (links are never "
                             "followed)");
    free(m);
    fx_rm(&f, "containers/" CID1);
    fx_mv(&f, "ctr", "containers/" CID1);
    /* containers/ itself */
    fx_mv(&f, "containers", "ctrs");
    fx_symlink(&f, "ctrs", "containers");
    m = load_err(CID1);
    cr_assert_str_eq(m, CFG1 ": is a symbolic link or passes through one (links are never "
                             "followed)");
    free(m);
    char **ids = NULL;
    size_t n = 0;
    struct bf_error err = BF_ERROR_INIT;
    cr_assert_lt(layerstore_container_ids(ls, &ids, &n, &err), 0);
    cr_assert_str_eq(bf_error_message(&err),
                     "containers: is a symbolic link or passes through one (links are never "
                     "followed)");
    bf_error_clear(&err);
    fx_rm(&f, "containers");
    fx_mv(&f, "ctrs", "containers");
    /* the mounts directory */
    fx_mv(&f, MNT1("windowsfilter"), "mnt");
    fx_symlink(&f, "../../../../mnt", MNT1("windowsfilter"));
    m = load_err(CID1);
    cr_assert_str_eq(m, MNT1("windowsfilter") "/mount-id: is a symbolic link or passes through "
                                              "one (links are never followed)");
    free(m);
}

Test(container, mounts_dir_errors)
{
    std_open("overlay2", NULL);
    const char *cases[][3] = {
        {"mount-id", "../../../etc", "/mount-id: invalid mount id value"},
        {"mount-id", MOUNT_OV "/x", "/mount-id: invalid mount id value"},
        {"mount-id", "", "/mount-id: file is empty"},
        {"init-id", "../x-init", "/init-id: invalid init id value"},
        {"parent", "sha256:nothex", "/parent: invalid checksum digest format"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char rel[256], want[512];
        snprintf(rel, sizeof(rel), MNT1("overlay2") "/%s", cases[i][0]);
        fx_std_layers(&f);
        fx_container(&f, CID1, "web", f.image_hex, MOUNT_OV, MOUNT_OV "-init", C3);
        fx_write(&f, rel, cases[i][1]);
        char *m = load_err(CID1);
        snprintf(want, sizeof(want), MNT1("overlay2") "%s", cases[i][2]);
        cr_assert_str_eq(m, want);
        free(m);
    }
    fx_container(&f, CID1, "web", f.image_hex, MOUNT_OV, MOUNT_OV "-init", C3);
    fx_rm(&f, MNT1("overlay2") "/mount-id");
    char *m = load_err(CID1);
    cr_assert_str_eq(m, MNT1("overlay2") "/mount-id: no such file or directory");
    free(m);
    fx_rm(&f, MNT1("overlay2"));
    m = load_err(CID1);
    cr_assert_str_eq(m, MNT1("overlay2") ": no such directory (the container has no read-write "
                                         "layer)");
    free(m);
    /* absent init-id and parent are fine */
    fx_container(&f, CID1, "web", f.image_hex, MOUNT_OV, NULL, NULL);
    struct ls_container *c = load_ok(CID1);
    cr_assert_null(c->init_id);
    cr_assert_null(c->mount_parent);
    ls_container_free(c);
}

Test(container, invalid_ids_never_touch_paths)
{
    std_open("windowsfilter", NULL);
    const char *bad[] = {"", "abc", "../../etc", CID1 "0",
                         "ABC1230000000000000000000000000000000000000000000000000000000000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[256];
        char *m = load_err(bad[i]);
        snprintf(want, sizeof(want),
                 "invalid container ID \"%s\": must be 64 lowercase hex characters", bad[i]);
        cr_assert_str_eq(m, want);
        free(m);
    }
}

Test(container, list_skips_non_ids_and_broken_ones_do_not_hide_others)
{
    std_open("windowsfilter", NULL);
    fx_container(&f, CID3, "db", f.image_hex, NULL, NULL, C3);
    fx_container(&f, CID2, "broken", f.image_hex, NULL, NULL, C3);
    fx_write(&f, "containers/" CID2 "/config.v2.json", "{broken");
    fx_mkdir(&f, "containers/tmp");
    fx_mkdir(&f, "containers/ABC1230000000000000000000000000000000000000000000000000000000000");
    fx_mkdir(&f, "containers/abc123000000000000000000000000000000000000000000000000000000000");
    char **ids = NULL;
    size_t n = 0;
    struct bf_error err = BF_ERROR_INIT;
    cr_assert_eq(layerstore_container_ids(ls, &ids, &n, &err), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(ids[0], CID1);
    cr_assert_str_eq(ids[1], CID2);
    cr_assert_str_eq(ids[2], CID3);
    int ok = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        struct ls_container *c = NULL;
        if (layerstore_container_load(ls, ids[i], &c, NULL, &err) == 0)
            ok++;
        else
            bad++;
        ls_container_free(c);
    }
    cr_assert_eq(ok, 2);
    cr_assert_eq(bad, 1);
    bf_error_clear(&err);
    ls_strv_free(ids, n);
}

/* A long listing comes sorted as strcmp orders it (store.c sorts it by the first eight bytes,
 * then equal runs by strcmp): IDs that share 0 to 63 leading characters, in creation order
 * unlike the sorted one. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(container, long_listing_is_sorted_as_strcmp_orders)
{
    enum { N = 600 };
    static char want[N + 1][LS_ID_LEN + 1];
    char *wantp[N + 1], rel[128];
    char **ids = NULL;
    size_t n = 0;
    struct bf_error err = BF_ERROR_INIT;
    unsigned x = 12345;

    std_open("windowsfilter", NULL);
    for (int i = 0; i < N; i++) {
        int shared = i % 64; /* leading characters shared with the previous ID */
        for (int k = 0; k < LS_ID_LEN; k++) {
            x = x * 1103515245u + 12345u;
            want[i][k] = k < shared && i ? want[i - 1][k] : "0123456789abcdef"[(x >> 16) & 15];
        }
        want[i][LS_ID_LEN] = '\0';
        snprintf(rel, sizeof(rel), "containers/%.64s", want[i]);
        fx_mkdir(&f, rel);
        wantp[i] = want[i];
    }
    memcpy(want[N], CID1, LS_ID_LEN + 1); /* the fixture's own */
    wantp[N] = want[N];
    qsort(wantp, N + 1, sizeof(*wantp), cmp_str);
    cr_assert_eq(layerstore_container_ids(ls, &ids, &n, &err), 0, "%s", bf_error_message(&err));
    cr_assert_eq(n, N + 1);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(ids[i], wantp[i], "entry %zu", i);
    ls_strv_free(ids, n);
}

Test(container, no_containers_directory)
{
    fx_init(&f, "vfs");
    struct bf_error err = BF_ERROR_INIT;
    cr_assert_eq(layerstore_open(f.root, NULL, &ls, &err), 0);
    char **ids = NULL;
    size_t n = 7;
    cr_assert_eq(layerstore_container_ids(ls, &ids, &n, &err), 0);
    cr_assert_eq(n, 0);
    char out[LS_ID_LEN + 1];
    cr_assert_eq(layerstore_container_resolve(ls, "abc", out, &err), -ENOENT);
    cr_assert_str_eq(bf_error_message(&err), "No such container: abc");
    bf_error_clear(&err);
}

static char *resolve(const char *ref, int *rc)
{
    static char out[LS_ID_LEN + 1];
    struct bf_error err = BF_ERROR_INIT;
    *rc = layerstore_container_resolve(ls, ref, out, &err);
    if (*rc < 0) {
        static char msg[512];
        snprintf(msg, sizeof(msg), "%s", bf_error_message(&err));
        bf_error_clear(&err);
        return msg;
    }
    return out;
}

Test(container, lookup)
{
    int rc;
    std_open("windowsfilter", NULL);
    fx_container(&f, CID2, "api", f.image_hex, NULL, NULL, C3);
    /* a container whose *name* looks like another one's ID prefix: names win, as in docker */
    fx_container(&f, CID3, "abd", f.image_hex, NULL, NULL, C3);
    /* a broken container does not break lookups of the others */
    fx_mkdir(&f, "containers/abe0000000000000000000000000000000000000000000000000000000000000");
    cr_assert_str_eq(resolve(CID1, &rc), CID1);
    cr_assert_str_eq(resolve("abc", &rc), CID1);
    cr_assert_str_eq(resolve("abc123", &rc), CID1);
    cr_assert_str_eq(resolve("ef", &rc), CID3);
    cr_assert_str_eq(resolve("web", &rc), CID1);
    cr_assert_str_eq(resolve("/web", &rc), CID1);
    cr_assert_str_eq(resolve("api", &rc), CID2);
    cr_assert_str_eq(resolve("abd", &rc), CID3);
    cr_assert_str_eq(resolve("abd4", &rc), CID2);
    cr_assert_str_eq(resolve("ab", &rc), "Multiple IDs found with provided prefix: ab");
    cr_assert_eq(rc, -EINVAL);
    cr_assert_str_eq(resolve("a", &rc), "Multiple IDs found with provided prefix: a");
    cr_assert_str_eq(resolve("nope", &rc), "No such container: nope");
    cr_assert_eq(rc, -ENOENT);
    cr_assert_str_eq(resolve("/", &rc), "No such container: /");
    cr_assert_str_eq(resolve("WEB", &rc), "No such container: WEB");
    cr_assert_str_eq(resolve("ABC", &rc), "No such container: ABC");
    cr_assert_str_eq(resolve("", &rc), "Prefix can't be empty");
    cr_assert_str_eq(resolve(CID1 "0", &rc), "No such container: " CID1 "0");
    /* a symlinked container directory is found by its full ID; loading then refuses it */
    fx_mv(&f, "containers/" CID2, "moved");
    fx_symlink(&f, "../moved", "containers/" CID2);
    cr_assert_str_eq(resolve(CID2, &rc), CID2);
    cr_assert_eq(rc, 0);
    char *m = load_err(CID2);
    cr_assert_str_eq(m, "containers/" CID2 "/config.v2.json: is a symbolic link or passes through "
                        "one (links are never followed)");
    free(m);
}

Test(container, name_only)
{
    std_open("windowsfilter", NULL);
    char *name = NULL;
    struct bf_error err = BF_ERROR_INIT;
    struct ls_inputs in = {0};
    cr_assert_eq(layerstore_container_name(ls, CID1, &name, &in, &err), 0);
    cr_assert_str_eq(name, "web");
    free(name);
    cr_assert_eq(in.n, 1);
    cr_assert_str_eq(in.v[0].rel, CFG1);
    ls_inputs_free(&in);
    fx_write(&f, CFG1, cfg_with("\"ID\":\"" CID2 "\""));
    cr_assert_lt(layerstore_container_name(ls, CID1, &name, NULL, &err), 0);
    cr_assert_str_eq(bf_error_message(&err), CFG1 ": Container " CID2 " is stored at " CID1);
    bf_error_clear(&err);
}

Test(container, inputs)
{
    std_open("overlay2", NULL);
    struct ls_container *c = NULL;
    struct bf_error err = BF_ERROR_INIT;
    struct ls_inputs in = {0};
    cr_assert_eq(layerstore_container_load(ls, CID1, &c, &in, &err), 0);
    cr_assert_eq(in.n, 5);
    cr_assert_str_eq(in.v[0].rel, CFG1);
    cr_assert_str_eq(in.v[1].rel, HC1);
    cr_assert_str_eq(in.v[2].rel, MNT1("overlay2") "/mount-id");
    cr_assert_str_eq(in.v[3].rel, MNT1("overlay2") "/init-id");
    cr_assert_str_eq(in.v[4].rel, MNT1("overlay2") "/parent");
    cr_assert_not(ls_inputs_changed(ls, &in));
    fx_write(&f, HC1, "{\"Isolation\":\"hyperv\"}");
    cr_assert(ls_inputs_changed(ls, &in));
    ls_inputs_free(&in);
    ls_container_free(c);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* readHostConfig: a missing hostconfig.json is an empty HostConfig, for a folder Docker is done
 * with. Docker writes config.v2.json, then hostconfig.json, each through a ".tmp-" file renamed
 * into place; until the folder has been still for the settle period, and while such a file is
 * there, it is no container yet. */
Test(container, missing_hostconfig_is_empty_once_settled)
{
    struct ls_options o = {.settle_ns = 150000000}; /* 150 ms */
    struct bf_error err = BF_ERROR_INIT;
    struct ls_inputs in = {0};
    struct ls_container *c = NULL;

    fx_std(&f, "windowsfilter");
    cr_assert_eq(layerstore_open(f.root, &o, &ls, &err), 0, "%s", bf_error_message(&err));
    cr_expect_not(layerstore_container_pending(ls, CID1, LS_PENDING_STATE),
                  "hostconfig.json is there");
    /* Docker's order for a new container: the folder, config.v2.json through its temp file */
    fx_rm(&f, "containers/" CID1);
    fx_mkdir(&f, "containers/" CID1);
    cr_expect(layerstore_container_pending(ls, CID1, LS_PENDING_STATE));
    fx_write(&f, "containers/" CID1 "/.tmp-config.v2.json123456", cfg_with(""));
    fx_mv(&f, "containers/" CID1 "/.tmp-config.v2.json123456", CFG1);
    cr_expect(layerstore_container_pending(ls, CID1, LS_PENDING_STATE));
    char *m = load_err(CID1);
    cr_expect_not_null(strstr(m, "a container being written or removed"), "%s", m);
    free(m);
    /* hostconfig.json's temp file, still there after the settle period: pending */
    fx_write(&f, "containers/" CID1 "/.tmp-hostconfig.json654321", "{\"Isolation\":\"hyperv\"}");
    sleep_ms(300);
    cr_expect(layerstore_container_pending(ls, CID1, LS_PENDING_STATE),
              "an atomic write in progress");
    /* renamed into place: a container at once, whatever the time */
    fx_mv(&f, "containers/" CID1 "/.tmp-hostconfig.json654321", HC1);
    cr_expect_not(layerstore_container_pending(ls, CID1, LS_PENDING_STATE));
    c = load_ok(CID1);
    cr_expect_str_eq(c->host.isolation, "hyperv");
    ls_container_free(c);
    /* a copy that lost hostconfig.json, still for the settle period from when it was first
     * seen so (the watcher sees the removal at once): an empty HostConfig */
    fx_rm(&f, HC1);
    cr_expect(layerstore_container_pending(ls, CID1, LS_PENDING_STATE), "just seen");
    sleep_ms(300);
    cr_expect_not(layerstore_container_pending(ls, CID1, LS_PENDING_STATE));
    cr_assert_eq(layerstore_container_load(ls, CID1, &c, &in, &err), 0, "%s",
                 bf_error_message(&err));
    cr_expect_str_eq(c->host.isolation, "");
    cr_expect_eq(c->host.memory, 0);
    cr_expect_str_eq(c->host.network_mode, "");
    ls_container_free(c);
    /* recorded absent: its appearance is a change */
    cr_assert_not_null(ls_inputs_find(&in, HC1));
    cr_expect_not(ls_inputs_find(&in, HC1)->exists);
    cr_expect_not(ls_inputs_changed(ls, &in));
    fx_write(&f, HC1, "{}");
    cr_expect(ls_inputs_changed(ls, &in));
    ls_inputs_free(&in);
    /* one that is there but broken stays an error, settled or not */
    fx_write(&f, HC1, "{");
    sleep_ms(300);
    m = load_err(CID1);
    cr_expect_not_null(strstr(m, "invalid JSON"), "%s", m);
    free(m);
    /* a folder that is gone is not pending (it is no container at all) */
    fx_rm(&f, "containers/" CID1);
    cr_expect_not(layerstore_container_pending(ls, CID1, LS_PENDING_STATE));
}

/* Docker's removal: config.v2.json written with State.Dead, the read-write layer released,
 * then the folder removed file by file. Dead, or without config.v2.json, is no container. */
Test(container, dead_or_without_config_is_no_container)
{
    std_open("windowsfilter", NULL);
    cr_expect_not(layerstore_container_pending(ls, CID1, LS_PENDING_STATE));
    fx_write(&f, CFG1, cfg_with("\"State\":{\"Running\":false,\"Dead\":true}"));
    cr_expect(layerstore_container_pending(ls, CID1, LS_PENDING_STATE), "Dead");
    cr_expect_not(layerstore_container_pending(ls, CID1, 0), "without reading the state");
    char *m = load_err(CID1);
    cr_expect_str_eq(m, CFG1 ": State.Dead: the container is being removed");
    free(m);
    /* Go's rules: the key in any case */
    fx_write(&f, CFG1, cfg_with("\"state\":{\"dead\":true}"));
    cr_expect(layerstore_container_pending(ls, CID1, LS_PENDING_STATE));
    fx_write(&f, CFG1, cfg_with("\"State\":{\"Dead\":false}"));
    cr_expect_not(layerstore_container_pending(ls, CID1, LS_PENDING_STATE));
    /* config.v2.json gone first (files go in no fixed order) */
    fx_rm(&f, CFG1);
    cr_expect(layerstore_container_pending(ls, CID1, 0));
    /* unreadable or broken: not pending, the generation says what is wrong */
    fx_write(&f, CFG1, "{not json");
    cr_expect_not(layerstore_container_pending(ls, CID1, LS_PENDING_STATE));
    fx_rm(&f, "containers/" CID1);
    cr_expect_not(layerstore_container_pending(ls, CID1, LS_PENDING_STATE), "gone is not pending");
}

/* Docker's name rule has no length limit; a directory entry has. A longer name is not kept
 * (what a container costs stays bounded) and says so; everything else is read as usual. */
Test(container, names_longer_than_an_entry_are_not_kept)
{
    std_open("windowsfilter", NULL);
    static char name[4200], cfg[8192];
    memset(name, 'a', 4100);
    name[4100] = '\0';
    snprintf(cfg, sizeof(cfg),
             "{\"ID\":\"" CID1 "\",\"Name\":\"/%s\",\"Image\":\"sha256:%s\","
             "\"Driver\":\"windowsfilter\"}",
             name, f.image_hex);
    fx_write(&f, CFG1, cfg);
    struct ls_container *c = load_ok(CID1);
    cr_expect_null(c->name);
    cr_expect_eq(c->name_dropped, 4100);
    ls_container_free(c);
    char *n = (char *)1;
    struct bf_error err = BF_ERROR_INIT;
    cr_assert_eq(layerstore_container_name(ls, CID1, &n, NULL, &err), 0, "%s", err.msg);
    cr_expect_null(n);
    /* 255 is a directory entry's length: kept */
    name[255] = '\0';
    snprintf(cfg, sizeof(cfg),
             "{\"ID\":\"" CID1 "\",\"Name\":\"/%s\",\"Image\":\"sha256:%s\","
             "\"Driver\":\"windowsfilter\"}",
             name, f.image_hex);
    fx_write(&f, CFG1, cfg);
    c = load_ok(CID1);
    cr_expect_eq(strlen(c->name), 255);
    cr_expect_eq(c->name_dropped, 0);
    ls_container_free(c);
}

/* The settle period is timed by the layerstore's own clock from the first sight of a folder's
 * times: file times from another clock neither keep a folder pending (a time in the future)
 * nor settle one at once (a clock that lags: times that look old for a folder just written). */
Test(container, settle_is_timed_here_not_by_file_times)
{
    struct ls_options o = {.settle_ns = 150000000};
    struct bf_error err = BF_ERROR_INIT;
    struct timespec future[2] = {{.tv_sec = 4102444800}, {.tv_sec = 4102444800}}; /* 2100 */
    struct timespec past[2] = {{.tv_sec = 946684800}, {.tv_sec = 946684800}};     /* 2000 */

    fx_std(&f, "windowsfilter");
    fx_rm(&f, HC1);
    cr_assert_eq(utimensat(AT_FDCWD, fx_path(&f, "containers/" CID1), future, 0), 0);
    cr_assert_eq(layerstore_open(f.root, &o, &ls, &err), 0, "%s", bf_error_message(&err));
    cr_expect(layerstore_container_pending(ls, CID1, 0), "a time in the future: not yet");
    sleep_ms(300);
    cr_expect_not(layerstore_container_pending(ls, CID1, 0), "still since first seen: settled");
    /* a folder first seen after the layerstore's first settle period, its times old */
    fx_mkdir(&f, "containers/" CID2);
    fx_write(&f, "containers/" CID2 "/config.v2.json", "{}");
    cr_assert_eq(utimensat(AT_FDCWD, fx_path(&f, "containers/" CID2), past, 0), 0);
    cr_expect(layerstore_container_pending(ls, CID2, 0), "new to this layerstore: waits");
    sleep_ms(300);
    cr_expect_not(layerstore_container_pending(ls, CID2, 0));
    /* its times change: the wait starts again */
    fx_write(&f, "containers/" CID2 "/other", "x");
    cr_expect(layerstore_container_pending(ls, CID2, 0));
}

/* More folders without hostconfig.json than any fixed table would hold: each is timed until it
 * has one or goes, so every one settles (none is forgotten and made to wait again), and one
 * judged settled stays so. */
Test(container, many_folders_without_hostconfig_all_settle)
{
    struct ls_options o = {.settle_ns = 100000000};
    struct bf_error err = BF_ERROR_INIT;
    struct timespec old[2] = {{.tv_sec = 1704067200}, {.tv_sec = 1704067200}}; /* 2024 */
    enum { N = 1500 };
    static char ids[N][65];

    fx_init(&f, "windowsfilter");
    for (int i = 0; i < N; i++) {
        char rel[128];
        snprintf(ids[i], sizeof(ids[i]), "%064x", i + 1);
        snprintf(rel, sizeof(rel), "containers/%.64s/config.v2.json", ids[i]);
        fx_write(&f, rel, "{}");
        snprintf(rel, sizeof(rel), "containers/%.64s", ids[i]);
        cr_assert_eq(utimensat(AT_FDCWD, fx_path(&f, rel), old, 0), 0);
    }
    cr_assert_eq(layerstore_open(f.root, &o, &ls, &err), 0, "%s", bf_error_message(&err));
    sleep_ms(200); /* past the young layerstore's window */
    int pending = 0;
    for (int i = 0; i < N; i++) /* the first listing judges by file times */
        pending += layerstore_container_pending(ls, ids[i], LS_PENDING_FIRST);
    cr_expect_eq(pending, 0);
    for (int round = 0; round < 2; round++) {
        pending = 0;
        for (int i = 0; i < N; i++)
            pending += layerstore_container_pending(ls, ids[i], 0);
        cr_expect_eq(pending, 0, "round %d: once settled, settled", round);
    }
    /* every folder touched now: each waits, and each settles */
    for (int i = 0; i < N; i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "containers/%.64s/x", ids[i]);
        fx_write(&f, rel, "x");
    }
    pending = 0;
    for (int i = 0; i < N; i++)
        pending += layerstore_container_pending(ls, ids[i], 0);
    cr_expect_eq(pending, N);
    sleep_ms(200);
    pending = 0;
    for (int i = 0; i < N; i++)
        pending += layerstore_container_pending(ls, ids[i], 0);
    cr_expect_eq(pending, 0, "all of them settle, none forgotten");
}
