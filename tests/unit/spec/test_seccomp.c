/* spec_seccomp_build (seccomp.c): Docker 20.10.24's setupSeccomp and its default profile.
 *
 * Ground truth, two kinds:
 * - linux/seccomp-truth.json: what a real dockerd 20.10.24+dfsg1 (Debian 12, amd64) handed to
 *   runc, captured per container (default, --cap-add/--cap-drop variants, two custom profiles)
 *   with the bounding set and profile text it used; linux/seccomp-default-amd64.json is the
 *   default container's linux.seccomp from that capture, byte for byte.
 * - everything else (arm64, +CAP_SYS_ADMIN, the custom profile table): Docker 20.10.24's own
 *   profiles/seccomp package, built from the v20.10.24 tag with its vendored runtime-spec
 *   (GOARCH and the kernel release made inputs) and run on each input; goldens are its
 *   json.Marshal bytes. Each was also checked by hand against the rules in seccomp.c.
 * Where dockerd panics (a null rule or argument) or needs a kernel version it always has, the
 * message is ours.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "seccomp.h"
#include "spec_internal.h"

/* Docker's default capability set (oci_defaults.go), the container's bounding set. */
static const char *const docker_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",  "CAP_SYS_ADMIN",
};
#define N_DOCKER_CAPS 14 /* without the CAP_SYS_ADMIN at the end */

static const struct spec_kernel linux61 = {6, 1};

static char *render(json_t *o, bool compact)
{
    struct bf_error err = BF_ERROR_INIT;
    char *s;
    size_t len;

    cr_assert_eq(spec_json_render(o, compact, &s, &len, &err), 0, "%s", bf_error_message(&err));
    return s;
}

static const struct spec_seccomp_profile *dflt(void)
{
    const struct spec_seccomp_profile *p;
    struct bf_error err = BF_ERROR_INIT;

    cr_assert_eq(spec_seccomp_default(&p, &err), 0, "%s", bf_error_message(&err));
    return p;
}

/* The default profile built for goarch/caps renders (compact, as dockerd's json.Marshal
 * writes) to the golden file's bytes. */
static json_t *expect_default(const char *goarch, size_t n_caps, const char *golden)
{
    struct bf_error err = BF_ERROR_INIT;
    json_t *o;
    char *want, *got;
    size_t n;

    cr_assert_eq(spec_seccomp_build(dflt(), goarch, docker_caps, n_caps, &linux61, &o, &err), 0,
                 "%s", bf_error_message(&err));
    cr_assert_not_null(o);
    want = golden_read(golden, NULL);
    n = strlen(want);
    cr_assert(n > 0 && want[n - 1] == '\n');
    want[n - 1] = '\0';
    got = render(o, true);
    cr_expect_str_eq(got, want, "%s", golden);
    free(want);
    free(got);
    return o;
}

static json_t *rule(json_t *o, size_t i)
{
    return json_array_get(json_object_get(o, "syscalls"), i);
}

static const char *first_name(json_t *o, size_t i)
{
    return json_string_value(json_array_get(json_object_get(rule(o, i), "names"), 0));
}

Test(seccomp, default_amd64)
{
    json_t *o = expect_default("amd64", N_DOCKER_CAPS, "linux/seccomp-default-amd64.json");
    json_t *arg;

    /* Rules kept: the allow list, ptrace (kernel >= 4.8), personality x5, arch_prctl,
     * modify_ldt, clone with the namespace mask, clone3 -> ENOSYS, chroot. */
    cr_expect_eq(json_array_size(json_object_get(o, "syscalls")), 12);
    cr_expect_eq(json_array_size(json_object_get(rule(o, 0), "names")), 346);
    cr_expect_str_eq(first_name(o, 1), "ptrace");
    cr_expect_null(json_object_get(rule(o, 1), "args"));
    cr_expect_str_eq(first_name(o, 7), "arch_prctl");
    cr_expect_str_eq(first_name(o, 8), "modify_ldt");
    cr_expect_str_eq(first_name(o, 9), "clone");
    arg = json_array_get(json_object_get(rule(o, 9), "args"), 0);
    cr_expect(json_is_integer(json_object_get(arg, "value")));
    cr_expect_eq(json_integer_value(json_object_get(arg, "value")), 2114060288);
    cr_expect_null(json_object_get(arg, "valueTwo")); /* omitempty */
    cr_expect_str_eq(first_name(o, 10), "clone3");
    cr_expect_eq(json_integer_value(json_object_get(rule(o, 10), "errnoRet")), 38);
    cr_expect_str_eq(first_name(o, 11), "chroot");
    arg = json_array_get(json_object_get(rule(o, 6), "args"), 0);
    cr_expect_eq(json_integer_value(json_object_get(arg, "value")), 4294967295);
    json_decref(o);
}

Test(seccomp, default_amd64_sys_admin)
{
    json_t *o =
        expect_default("amd64", N_DOCKER_CAPS + 1, "linux/seccomp-default-amd64-sys-admin.json");

    /* The CAP_SYS_ADMIN list comes in after modify_ldt; both clone rules excluded by it go. */
    cr_expect_eq(json_array_size(json_object_get(o, "syscalls")), 11);
    cr_expect_str_eq(first_name(o, 9), "bpf");
    cr_expect_eq(json_array_size(json_object_get(rule(o, 9), "names")), 24);
    cr_expect_str_eq(first_name(o, 10), "chroot");
    json_decref(o);
}

Test(seccomp, default_arm64)
{
    json_t *o = expect_default("arm64", N_DOCKER_CAPS, "linux/seccomp-default-arm64.json");
    json_t *arches = json_object_get(o, "architectures");

    cr_expect_eq(json_array_size(arches), 2);
    cr_expect_str_eq(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_AARCH64");
    cr_expect_str_eq(json_string_value(json_array_get(arches, 1)), "SCMP_ARCH_ARM");
    cr_expect_str_eq(first_name(o, 7), "arm_fadvise64_64"); /* arches arm, arm64 */
    cr_expect_str_eq(first_name(o, 8), "clone");
    json_decref(o);
}

Test(seccomp, default_old_kernel_has_no_ptrace_rule)
{
    const struct spec_kernel k = {4, 7};
    struct bf_error err = BF_ERROR_INIT;
    json_t *o;

    cr_assert_eq(spec_seccomp_build(dflt(), "amd64", docker_caps, N_DOCKER_CAPS, &k, &o, &err), 0);
    cr_expect_eq(json_array_size(json_object_get(o, "syscalls")), 11);
    cr_expect_str_eq(first_name(o, 1), "personality");
    json_decref(o);
}

Test(seccomp, default_unknown_kernel)
{
    struct bf_error err = BF_ERROR_INIT;
    json_t *o;

    cr_assert_eq(spec_seccomp_build(dflt(), "amd64", docker_caps, N_DOCKER_CAPS, NULL, &o, &err),
                 -EINVAL);
    cr_expect_str_eq(err.msg, "the built-in seccomp profile (Docker 20.10.24 default.json): "
                              "syscalls[1] has a minKernel condition and the host's kernel "
                              "version is unknown");
    cr_expect_null(o);
    bf_error_clear(&err);
}

/* Every captured container: our linux.seccomp from its bounding set and profile equals what
 * dockerd wrote, key order and numbers included. */
Test(seccomp, captured_specs)
{
    const struct spec_kernel k = {6, 18}; /* the capture host's kernel */
    json_error_t jerr;
    const char *path;
    char *text = golden_read("linux/seccomp-truth.json", &path);
    json_t *truth = json_loads(text, 0, &jerr), *cases, *c;
    size_t i, n_cases = 0;

    cr_assert_not_null(truth, "%s: %s", path, jerr.text);
    cases = json_object_get(truth, "cases");
    json_array_foreach(cases, i, c)
    {
        struct bf_error err = BF_ERROR_INIT;
        struct spec_seccomp_profile *own = NULL;
        const struct spec_seccomp_profile *p = NULL;
        json_t *bounding = json_object_get(c, "bounding"), *profile = json_object_get(c, "profile");
        const char *name = json_string_value(json_object_get(c, "name")), *caps[64];
        size_t n = json_array_size(bounding);
        char *want, *got;
        json_t *o;

        cr_assert_lt(n, 64);
        for (size_t j = 0; j < n; j++)
            caps[j] = json_string_value(json_array_get(bounding, j));
        if (json_is_string(profile))
            cr_assert_eq(spec_seccomp_parse(json_string_value(profile), json_string_length(profile),
                                            "test", &own, &err),
                         0, "%s: %s", name, bf_error_message(&err));
        p = own ? own : dflt();
        cr_assert_eq(spec_seccomp_build(p, "amd64", caps, n, &k, &o, &err), 0, "%s: %s", name,
                     bf_error_message(&err));
        got = render(o, true);
        want = render(json_object_get(c, "seccomp"), true);
        cr_expect_str_eq(got, want, "%s", name);
        free(got);
        free(want);
        json_decref(o);
        spec_seccomp_free(own);
        n_cases++;
    }
    cr_expect_eq(n_cases, 8);
    json_decref(truth);
    free(text);
}

extern const char spec_seccomp_default_json[];
extern const char spec_seccomp_default_json_end[];

Test(seccomp, embedded_bytes_are_the_data_file)
{
    const char *dir = getenv("BUNDLEFS_TEST_DATA");
    size_t n = (size_t)(spec_seccomp_default_json_end - spec_seccomp_default_json);
    char path[1024], *buf;
    FILE *f;

    snprintf(path, sizeof(path), "%s/../../spec/data/seccomp-default.json",
             dir ? dir : "tests/data");
    f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    buf = malloc(n + 1);
    cr_assert_eq(fread(buf, 1, n + 1, f), n); /* same length: nothing more in the file */
    fclose(f);
    cr_expect_eq(n, 13319); /* moby v20.10.24 profiles/seccomp/default.json */
    cr_expect_eq(memcmp(buf, spec_seccomp_default_json, n), 0);
    free(buf);
}

#define THREADS 8
#define CALLS 2000

static void *default_many(void *arg)
{
    const struct spec_seccomp_profile **seen = arg;
    struct bf_error err = BF_ERROR_INIT;

    for (int i = 0; i < CALLS; i++) {
        const struct spec_seccomp_profile *p = NULL;
        if (spec_seccomp_default(&p, &err) < 0 || (*seen && p != *seen))
            return NULL;
        *seen = p;
    }
    return (void *)1;
}

Test(seccomp, default_parsed_once)
{
    const struct spec_seccomp_profile *seen[THREADS] = {0};
    pthread_t t[THREADS];
    void *ok;

    cr_expect_eq(spec_seccomp_default_parses(), 0);
    for (int i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, default_many, &seen[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        cr_assert_eq(pthread_join(t[i], &ok), 0);
        cr_expect_not_null(ok);
        cr_expect_eq(seen[i], seen[0]);
    }
    cr_expect_eq(seen[0], dflt());
    cr_expect_eq(spec_seccomp_default_parses(), 1);
}

/* ---- custom profiles ---- */

struct build_case {
    const char *name;
    const char *json;
    size_t len;
    const char *caps; /* comma-separated */
    const char *goarch;
    const char *kernel; /* NULL: unknown */
    const char *expect; /* compact JSON, "null" (no seccomp), or "error: <message>" */
};

#define J(s) s, sizeof(s) - 1

/* Generated from Docker 20.10.24 profiles/seccomp run on each input (see the file comment). */
static const struct build_case build_cases[] = {
    {"architectures_as_is",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_"
       "X32\"],\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"),
     "", "arm64", "6.1",
     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]"
     ",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"},
    {"archmap_first_match",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_AARCH64\","
       "\"subArchitectures\":[\"SCMP_ARCH_ARM\"]},{\"architecture\":\"SCMP_ARCH_X86_64\","
       "\"subArchitectures\":[\"SCMP_ARCH_X86\"]},{\"architecture\":\"SCMP_ARCH_X86_64\","
       "\"subArchitectures\":[\"SCMP_ARCH_X32\"]}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_"
     "X86\"]}"},
    {"archmap_no_subarches",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]"
       "}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"]}"},
    {"archmap_no_match",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
       "\"subArchitectures\":[\"SCMP_ARCH_X86\"]}],\"syscalls\":[]}"),
     "", "arm64", "6.1", "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}"},
    {"archmap_mipsle_quirk",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_MIPSEL\"}]"
       "}"),
     "", "mipsle", "6.1", "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}"},
    {"archmap_unknown_goarch",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]"
       ",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"X\",\"includes\":{\"arches\":[\"\"]}},{"
       "\"names\":[\"b\"],\"action\":\"X\",\"excludes\":{\"arches\":[\"amd64\"]}}]}"),
     "", "riscv64", "6.1",
     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"X\"},{"
     "\"names\":[\"b\"],\"action\":\"X\"}]}"},
    {"both_arch_lists",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86\"],\"archMap\":[{"
       "\"architecture\":\"SCMP_ARCH_X86_64\"}]}"),
     "", "amd64", "6.1",
     "error: 'architectures' and 'archMap' were specified in the seccomp profile, use either "
     "'architectures' or 'archMap'"},
    {"empty_architectures_with_archmap",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[],\"archMap\":[{\"architecture\":"
       "\"SCMP_ARCH_X86_64\"}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"]}"},
    {"name_becomes_names",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"name\":\"read\",\"action\":\"SCMP_"
       "ACT_ALLOW\"},{\"name\":\"write\",\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_"
     "ACT_ALLOW\"},{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"},
    {"name_and_names",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"name\":\"read\",\"names\":["
       "\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"),
     "", "amd64", "6.1",
     "error: 'name' and 'names' were specified in the seccomp profile, use either 'name' or "
     "'names'"},
    {"name_and_names_filtered_out",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"name\":\"read\",\"names\":["
       "\"write\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}"),
     "", "amd64", "6.1", "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}"},
    {"names_null_and_empty",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"action\":\"A\"},{\"names\":null,"
       "\"action\":\"B\"},{\"names\":[],\"action\":\"C\"},{\"name\":\"\",\"action\":\"D\"}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":null,\"action\":\"A\"},{"
     "\"names\":null,\"action\":\"B\"},{\"names\":[],\"action\":\"C\"},{\"names\":null,\"action\":"
     "\"D\"}]}"},
    {"errno_ret",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_"
       "ACT_ERRNO\",\"errnoRet\":0},{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":"
       "1},{\"names\":[\"c\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":null}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_"
     "ERRNO\",\"errnoRet\":0},{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},{"
     "\"names\":[\"c\"],\"action\":\"SCMP_ACT_ERRNO\"}]}"},
    {"args",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\","
       "\"args\":[]},{\"names\":[\"b\"],\"action\":\"A\",\"args\":null},{\"names\":[\"c\"],"
       "\"action\":\"A\",\"args\":[{\"index\":1,\"value\":0,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"},"
       "{\"index\":2,\"value\":2114060288,\"valueTwo\":5,\"op\":\"SCMP_CMP_MASKED_EQ\"},{}]}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\"},{"
     "\"names\":[\"b\"],\"action\":\"A\"},{\"names\":[\"c\"],\"action\":\"A\",\"args\":[{\"index\":"
     "1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":2,\"value\":2114060288,\"valueTwo\":5,"
     "\"op\":\"SCMP_CMP_MASKED_EQ\"},{\"index\":0,\"value\":0,\"op\":\"\"}]}]}"},
    {"args_int64_max",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\",\"errnoRet\":"
       "9223372036854775807,\"args\":[{\"index\":9223372036854775807,\"value\":9223372036854775807,"
       "\"valueTwo\":9223372036854775807,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\",\"errnoRet\":"
     "9223372036854775807,\"args\":[{\"index\":9223372036854775807,\"value\":9223372036854775807,"
     "\"valueTwo\":9223372036854775807,\"op\":\"SCMP_CMP_EQ\"}]}]}"},
    {"caps_includes_all_excludes_any",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"all\"],\"action\":\"A\",\"includes\":{"
       "\"caps\":[\"CAP_CHOWN\",\"CAP_KILL\"]}},{\"names\":[\"missing\"],\"action\":\"A\","
       "\"includes\":{\"caps\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]}},{\"names\":[\"any\"],\"action\":"
       "\"A\",\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\",\"CAP_KILL\"]}},{\"names\":[\"none\"],"
       "\"action\":\"A\",\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\",\"CAP_SYS_BOOT\"]}},{\"names\":["
       "\"case\"],\"action\":\"A\",\"includes\":{\"caps\":[\"cap_chown\"]}}]}"),
     "CAP_CHOWN,CAP_KILL", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"all\"],\"action\":\"A\"},{\"names\":["
     "\"none\"],\"action\":\"A\"}]}"},
    {"arches",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"in\"],\"action\":\"A\",\"includes\":{"
       "\"arches\":[\"x86\",\"amd64\"]}},{\"names\":[\"notin\"],\"action\":\"A\",\"includes\":{"
       "\"arches\":[\"arm64\"]}},{\"names\":[\"ex\"],\"action\":\"A\",\"excludes\":{\"arches\":["
       "\"amd64\"]}},{\"names\":[\"scmp_name\"],\"action\":\"A\",\"includes\":{\"arches\":[\"SCMP_"
       "ARCH_X86_64\"]}}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"in\"],\"action\":\"A\"}]}"},
    {"min_kernel",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"in61\"],\"action\":\"A\",\"includes\":"
       "{\"minKernel\":\"6.1\"}},{\"names\":[\"in62\"],\"action\":\"A\",\"includes\":{"
       "\"minKernel\":\"6.2\"}},{\"names\":[\"in5\"],\"action\":\"A\",\"includes\":{\"minKernel\":"
       "\"5.19\"}},{\"names\":[\"in7\"],\"action\":\"A\",\"includes\":{\"minKernel\":\"7.0\"}},{"
       "\"names\":[\"ex50\"],\"action\":\"A\",\"excludes\":{\"minKernel\":\"5.0\"}},{\"names\":["
       "\"ex62\"],\"action\":\"A\",\"excludes\":{\"minKernel\":\"6.2\"}},{\"names\":[\"inempty\"],"
       "\"action\":\"A\",\"includes\":{\"minKernel\":\"\"}},{\"names\":[\"exempty\"],\"action\":"
       "\"A\",\"excludes\":{\"minKernel\":\"\"}},{\"names\":[\"innull\"],\"action\":\"A\","
       "\"includes\":{\"minKernel\":null}}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"in61\"],\"action\":\"A\"},{\"names\":["
     "\"in5\"],\"action\":\"A\"},{\"names\":[\"ex62\"],\"action\":\"A\"},{\"names\":[\"inempty\"],"
     "\"action\":\"A\"},{\"names\":[\"innull\"],\"action\":\"A\"}]}"},
    {"filter_order",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\",\"includes\":{"
       "\"caps\":[\"CAP_SYS_ADMIN\"],\"minKernel\":\"9.0\"}},{\"names\":[\"b\"],\"action\":\"A\","
       "\"excludes\":{\"arches\":[\"amd64\"],\"minKernel\":\"9.0\"}}]}"),
     "", "amd64", NULL, "{\"defaultAction\":\"A\"}"},
    {"min_kernel_unknown",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\"},{\"names\":["
       "\"b\"],\"action\":\"A\",\"includes\":{\"minKernel\":\"4.8\"}}]}"),
     "", "amd64", NULL,
     "error: syscalls[1] has a minKernel condition and the host's kernel version is unknown"},
    {"no_seccomp_empty", J("{}"), "", "amd64", "6.1", "null"},
    {"no_seccomp_null", J("null"), "", "amd64", "6.1", "null"},
    {"no_seccomp_arches_only",
     J("{\"defaultAction\":\"\",\"architectures\":[\"SCMP_ARCH_X86\"],\"syscalls\":[]}"), "",
     "amd64", "6.1", "null"},
    {"empty_default_action",
     J("{\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\",\"includes\":{\"caps\":[\"CAP_SYS_"
       "ADMIN\"]}}]}"),
     "", "amd64", "6.1", "{\"defaultAction\":\"\"}"},
    {"all_filtered",
     J("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\","
       "\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}"),
     "", "amd64", "6.1", "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}"},
    {"null_syscall",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\"},null]}"), "",
     "amd64", "6.1",
     "error: syscalls[1] is null (dockerd 20.10.24 dereferences it and the container does not "
     "start)"},
    {"null_arg",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\",\"args\":[{"
       "\"index\":1},null]}]}"),
     "", "amd64", "6.1",
     "error: syscalls[0].args[1] is null (dockerd 20.10.24 dereferences it and the container does "
     "not start)"},
    {"null_arg_filtered_out",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\",\"args\":[null],"
       "\"includes\":{\"arches\":[\"s390x\"]}}]}"),
     "", "amd64", "6.1", "{\"defaultAction\":\"A\"}"},
    {"keys_fold",
     J("{\"DEFAULTACTION\":\"A\",\"\xc5"
       "\xbf"
       "yscalls\":[{\"NaMeS\":[\"a\"],\"ACTION\":\"B\",\"includes\":{\"min\xe2"
       "\x84"
       "\xaa"
       "ernel\":\"4.8\"}},{\"names\":[\"b\"],\"action\":\"C\",\"includes\":{\"min\xe2"
       "\x84"
       "\xaa"
       "ernel\":\"9.9\"}},{\"names\":[\"c\"],\"action\":\"C\",\"exclude\xc5"
       "\xbf"
       "\":{\"CAPS\":[\"CAP_KILL\"]}},{\"names\":[\"d\"],\"action\":\"D\",\"excludes\":{\"CAPS\":["
       "\"CAP_SYS_ADMIN\"]}}],\"Syscalls \":[1]}"),
     "CAP_CHOWN,CAP_KILL", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"B\"},{\"names\":["
     "\"d\"],\"action\":\"D\"}]}"},
    {"keys_fold_last_wins",
     J("{\"defaultAction\":\"A\",\"DefaultAction\":\"B\",\"syscalls\":[{\"names\":[\"a\"],"
       "\"action\":\"X\",\"Action\":\"Y\",\"aCtion\":\"Z\"}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"B\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"Z\"}]}"},
    {"unknown_fields",
     J("{\"defaultAction\":\"A\",\"defaultErrnoRet\":1,\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
       "\"listenerPath\":\"/"
       "x\",\"x\":{\"y\":[1,{\"z\":null}]},\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\","
       "\"comment\":\"c\",\"extra\":true}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\"}]}"},
    {"dup_struct_merges",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\",\"includes\":{"
       "\"caps\":[\"CAP_KILL\"]},\"includes\":{\"arches\":[\"arm64\"]}},{\"names\":[\"b\"],"
       "\"action\":\"A\",\"includes\":{\"caps\":[\"CAP_KILL\"]},\"includes\":{\"arches\":["
       "\"amd64\"]}}]}"),
     "CAP_CHOWN,CAP_KILL", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"b\"],\"action\":\"A\"}]}"},
    {"dup_slice_reuses",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\",\"b\"],\"action\":\"A\","
       "\"errnoRet\":5},{\"names\":[\"c\"],\"action\":\"C\"}],\"syscalls\":[{\"action\":\"B\"}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\",\"b\"],\"action\":\"B\","
     "\"errnoRet\":5}]}"},
    {"dup_slice_capacity",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\"},{\"names\":["
       "\"b\"],\"action\":\"B\"}],\"syscalls\":[{\"action\":\"X\"}],\"syscalls\":[{\"action\":"
       "\"Y\"},{\"action\":\"Z\"}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"Y\"},{\"names\":["
     "\"b\"],\"action\":\"Z\"}]}"},
    {"dup_names_null_keeps",
     J("{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\",\"b\"],\"names\":[null],"
       "\"action\":\"A\"}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\"}]}"},
    {"null_resets",
     J("{\"defaultAction\":\"A\",\"defaultAction\":null,\"syscalls\":[{\"names\":[\"a\"],\"names\":"
       "null,\"action\":\"A\",\"errnoRet\":3,\"errnoRet\":null,\"args\":[{\"index\":1}],\"args\":"
       "null,\"includes\":{\"minKernel\":\"9.9\"},\"includes\":{\"minKernel\":null},\"includes\":"
       "null}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":null,\"action\":\"A\"}]}"},
    {"strings",
     J("{\"defaultAction\":\"\\u0041\\t\\/"
       "\",\"syscalls\":[{\"names\":[\"\\ud83d\\ude00\",\"\\ud800x\",\"\\udc00\\ud800\","
       "\"\\ud800\\u0041\",\"nul\\u0000\",\"\xc3"
       "\xa9"
       "\"],\"action\":\"A\"}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\\t/\",\"syscalls\":[{\"names\":[\"\xf0"
     "\x9f"
     "\x98"
     "\x80"
     "\",\"\xef"
     "\xbf"
     "\xbd"
     "x\",\"\xef"
     "\xbf"
     "\xbd"
     "\xef"
     "\xbf"
     "\xbd"
     "\",\"\xef"
     "\xbf"
     "\xbd"
     "A\",\"nul\\u0000\",\"\xc3"
     "\xa9"
     "\"],\"action\":\"A\"}]}"},
    {"bad_utf8",
     J("{\"defaultAction\":\"a\xff"
       "b\xed"
       "\xa0"
       "\x80"
       "c\xe2"
       "\x82"
       "\",\"syscalls\":[{\"names\":[\"\xc0"
       "\xaf"
       "\"],\"action\":\"A\"}]}"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"a\xef"
     "\xbf"
     "\xbd"
     "b\xef"
     "\xbf"
     "\xbd"
     "\xef"
     "\xbf"
     "\xbd"
     "\xef"
     "\xbf"
     "\xbd"
     "c\xef"
     "\xbf"
     "\xbd"
     "\xef"
     "\xbf"
     "\xbd"
     "\",\"syscalls\":[{\"names\":[\"\xef"
     "\xbf"
     "\xbd"
     "\xef"
     "\xbf"
     "\xbd"
     "\"],\"action\":\"A\"}]}"},
    {"whitespace",
     J(" \t\r\n{ \"defaultAction\" : \"A\" , \"syscalls\" : [ { \"names\" : [ \"a\" ] , \"action\" "
       ": \"A\" } ] } \n"),
     "", "amd64", "6.1",
     "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\"}]}"},
};

static void run_case(const struct build_case *c)
{
    struct bf_error err = BF_ERROR_INIT;
    struct spec_seccomp_profile *p;
    struct spec_kernel k;
    const char *caps[8];
    char buf[256], *tok, *save = NULL, *got;
    size_t n = 0;
    json_t *o;
    int r;

    snprintf(buf, sizeof(buf), "%s", c->caps);
    for (tok = strtok_r(buf, ",", &save); tok && n < 8; tok = strtok_r(NULL, ",", &save))
        caps[n++] = tok;
    if (c->kernel)
        cr_assert_eq(spec_seccomp_kernel_parse(c->kernel, &k), 0);
    cr_assert_eq(spec_seccomp_parse(c->json, c->len, "test", &p, &err), 0, "%s: %s", c->name,
                 bf_error_message(&err));
    r = spec_seccomp_build(p, c->goarch, caps, n, c->kernel ? &k : NULL, &o, &err);
    if (strncmp(c->expect, "error: ", 7) == 0) {
        cr_expect_lt(r, 0, "%s", c->name);
        cr_expect_null(o, "%s", c->name);
        cr_expect(err.msg && strncmp(err.msg, "test: ", 6) == 0 &&
                      strcmp(err.msg + 6, c->expect + 7) == 0,
                  "%s: got \"%s\", want \"test: %s\"", c->name, bf_error_message(&err),
                  c->expect + 7);
    } else if (strcmp(c->expect, "null") == 0) {
        cr_expect_eq(r, 0, "%s: %s", c->name, bf_error_message(&err));
        cr_expect_null(o, "%s", c->name);
    } else {
        cr_assert_eq(r, 0, "%s: %s", c->name, bf_error_message(&err));
        cr_assert_not_null(o, "%s", c->name);
        got = render(o, true);
        cr_expect_str_eq(got, c->expect, "%s", c->name);
        free(got);
    }
    json_decref(o);
    bf_error_clear(&err);
    spec_seccomp_free(p);
}

Test(seccomp, custom_profiles)
{
    for (size_t i = 0; i < sizeof(build_cases) / sizeof(build_cases[0]); i++)
        run_case(&build_cases[i]);
}

Test(seccomp, numbers_above_int64_are_an_error)
{
    static const char json[] =
        "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\",\"args\":["
        "{\"index\":0,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
        "{\"name\":\"b\",\"names\":[\"c\"],\"action\":\"A\"}]}";
    static const char json2[] = "{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"a\"],"
                                "\"action\":\"A\",\"errnoRet\":9223372036854775808}]}";
    struct bf_error err = BF_ERROR_INIT;
    struct spec_seccomp_profile *p;
    json_t *o;

    /* Go prints the uint64; jansson holds int64. A later error of Docker's own comes first. */
    cr_assert_eq(spec_seccomp_parse(json, sizeof(json) - 1, "test", &p, &err), 0);
    cr_expect_eq(spec_seccomp_build(p, "amd64", NULL, 0, &linux61, &o, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "test: 'name' and 'names' were specified in the seccomp profile, "
                              "use either 'name' or 'names'");
    spec_seccomp_free(p);
    bf_error_clear(&err);
    cr_assert_eq(spec_seccomp_parse(json2, sizeof(json2) - 1, "test", &p, &err), 0);
    cr_expect_eq(spec_seccomp_build(p, "amd64", NULL, 0, &linux61, &o, &err), -ERANGE);
    cr_expect_str_eq(err.msg, "test: syscalls[0]: errnoRet 9223372036854775808 is above 2^63-1, "
                              "which the spec's JSON writer cannot represent");
    cr_expect_null(o);
    spec_seccomp_free(p);
    bf_error_clear(&err);
}

Test(seccomp, goarch)
{
    cr_expect_str_eq(spec_seccomp_goarch("x86_64"), "amd64");
    cr_expect_str_eq(spec_seccomp_goarch("aarch64"), "arm64");
    cr_expect_str_eq(spec_seccomp_goarch("armv7l"), "arm");
    cr_expect_str_eq(spec_seccomp_goarch("i686"), "386");
    cr_expect_str_eq(spec_seccomp_goarch("ppc64le"), "ppc64le");
    cr_expect_str_eq(spec_seccomp_goarch("s390x"), "s390x");
    cr_expect_str_eq(spec_seccomp_goarch("mips64"), "mips64le");
    cr_expect_str_eq(spec_seccomp_goarch("riscv64"), "riscv64");
    cr_expect_null(spec_seccomp_goarch("vax"));
    cr_expect_null(spec_seccomp_goarch(NULL));
}

Test(seccomp, kernel_parse)
{
    struct spec_kernel k;

    cr_assert_eq(spec_seccomp_kernel_parse("6.1.0-18-amd64", &k), 0);
    cr_expect(k.major == 6 && k.minor == 1);
    cr_assert_eq(spec_seccomp_kernel_parse("3.12-1-amd64", &k), 0);
    cr_expect(k.major == 3 && k.minor == 12);
    cr_assert_eq(spec_seccomp_kernel_parse("4.19", &k), 0);
    cr_expect(k.major == 4 && k.minor == 19);
    cr_expect_eq(spec_seccomp_kernel_parse("", &k), -EINVAL);
    cr_expect_eq(spec_seccomp_kernel_parse("6", &k), -EINVAL);
    cr_expect_eq(spec_seccomp_kernel_parse("6.x", &k), -EINVAL);
    cr_expect_eq(spec_seccomp_kernel_parse("99999999999.1", &k), -ERANGE);
}
