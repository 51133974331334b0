/* spec/caps.c: caps.TweakCapabilities (moby v20.10.24 oci/caps/utils.go, defaults.go) with
 * NormalizeLegacyCapabilities, over a hand-made struct ls_host (only cap_last_cap is read).
 *
 * "All" is gocapability's List() order (vendor/github.com/syndtr/gocapability/capability/
 * enum_gen.go) kept while cap <= last, where last = /proc/sys/kernel/cap_last_cap, 63 (RHEL6:
 * no such file) meaning CAP_BLOCK_SUSPEND (36), and anything past CAP_AUDIT_READ (37) cut to
 * 37 (caps' init). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"

/* gocapability List(), numbers 0..37 */
static const char *const go_list[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
};

/* caps.DefaultCapabilities() */
static const char *const go_defaults[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};
#define N_DEFAULTS (sizeof(go_defaults) / sizeof(go_defaults[0]))

static char *join(char **v, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = calloc(1, len);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, v[i]);
    }
    return s;
}

static char *joinc(const char *const *v, size_t n)
{
    return join((char **)v, n);
}

/* The expected list as a string: `base` minus the names in `minus` (NULL-terminated), plus
 * `plus` (NULL-terminated). */
static char *expect(const char *const *base, size_t n, const char *const *minus,
                    const char *const *plus)
{
    const char *v[128];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool drop = false;
        for (size_t j = 0; minus && minus[j]; j++)
            drop |= strcmp(minus[j], base[i]) == 0;
        if (!drop)
            v[k++] = base[i];
    }
    for (size_t j = 0; plus && plus[j]; j++)
        v[k++] = plus[j];
    return joinc(v, k);
}

struct run {
    int r;
    char *got; /* joined with ',' */
    size_t n;
    char *msg;
};

static struct run tweak(int last, bool privileged, char **add, size_t n_add, char **drop,
                        size_t n_drop)
{
    struct ls_host h = {.cap_last_cap = last};
    struct ls_linux lx = {.privileged = privileged,
                          .cap_add = add,
                          .n_cap_add = n_add,
                          .cap_drop = drop,
                          .n_cap_drop = n_drop};
    struct bf_error err = BF_ERROR_INIT;
    struct run out = {0};
    char **v = (char **)0x1;
    size_t n = 99;

    out.r = spec_caps_tweak(&h, &lx, &v, &n, &err);
    if (out.r == 0) {
        out.got = join(v, n);
        out.n = n;
        ls_strv_free(v, n);
    } else {
        cr_expect_null(v, "no list on failure");
        cr_expect_eq(n, 0);
        out.msg = strdup(bf_error_message(&err));
    }
    bf_error_clear(&err);
    return out;
}

static void run_free(struct run *r)
{
    free(r->got);
    free(r->msg);
}

#define A(...) ((char *[]){__VA_ARGS__})
#define NA(...) (sizeof((char *[]){__VA_ARGS__}) / sizeof(char *))

Test(caps, exported_defaults_are_dockers)
{
    cr_assert_eq(spec_n_default_caps, N_DEFAULTS);
    for (size_t i = 0; i < N_DEFAULTS; i++)
        cr_expect_str_eq(spec_default_caps[i], go_defaults[i], "[%zu]", i);
}

Test(caps, nothing_to_tweak_gives_the_defaults)
{
    struct run r = tweak(40, false, NULL, 0, NULL, 0);
    char *want = joinc(go_defaults, N_DEFAULTS);
    cr_assert_eq(r.r, 0);
    cr_expect_str_eq(r.got, want);
    free(want);
    run_free(&r);
}

Test(caps, add_lowercase_and_without_prefix)
{
    struct run r = tweak(40, false, A("net_admin", "Sys_Time", "cap_sys_ptrace"),
                         NA("net_admin", "Sys_Time", "cap_sys_ptrace"), NULL, 0);
    char *want = expect(go_defaults, N_DEFAULTS, NULL,
                        (const char *[]){"CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_SYS_PTRACE", NULL});
    cr_assert_eq(r.r, 0, "%s", r.msg);
    cr_expect_str_eq(r.got, want);
    free(want);
    run_free(&r);
}

Test(caps, drop_lowercase_and_without_prefix)
{
    struct run r = tweak(40, false, NULL, 0, A("chown", "CAP_kill", "Net_Raw"),
                         NA("chown", "CAP_kill", "Net_Raw"));
    char *want = expect(go_defaults, N_DEFAULTS,
                        (const char *[]){"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", NULL}, NULL);
    cr_assert_eq(r.r, 0, "%s", r.msg);
    cr_expect_str_eq(r.got, want);
    free(want);
    run_free(&r);
}

Test(caps, drop_then_add_the_same_keeps_it_once_at_the_end)
{
    /* defaults minus drop, then every add appended */
    struct run r = tweak(40, false, A("KILL"), NA("KILL"), A("kill"), NA("kill"));
    char *want = expect(go_defaults, N_DEFAULTS, (const char *[]){"CAP_KILL", NULL},
                        (const char *[]){"CAP_KILL", NULL});
    cr_assert_eq(r.r, 0, "%s", r.msg);
    cr_expect_str_eq(r.got, want);
    free(want);
    run_free(&r);
}

Test(caps, all_in_add_minus_drop)
{
    struct run r = tweak(40, false, A("all", "CAP_SYS_ADMIN"), NA("all", "CAP_SYS_ADMIN"),
                         A("net_raw", "CAP_MKNOD"), NA("net_raw", "CAP_MKNOD"));
    char *want = expect(go_list, 38, (const char *[]){"CAP_NET_RAW", "CAP_MKNOD", NULL}, NULL);
    cr_assert_eq(r.r, 0, "%s", r.msg);
    cr_expect_str_eq(r.got, want);
    cr_expect_eq(r.n, 36);
    free(want);
    run_free(&r);
}

Test(caps, all_in_both_add_wins)
{
    /* inSlice(capAdd, "ALL") is tested first; "ALL" in capDrop matches no capability name */
    struct run r = tweak(40, false, A("ALL"), NA("ALL"), A("ALL"), NA("ALL"));
    char *want = joinc(go_list, 38);
    cr_assert_eq(r.r, 0, "%s", r.msg);
    cr_expect_str_eq(r.got, want);
    free(want);
    run_free(&r);
}

Test(caps, all_in_drop_plus_add)
{
    struct run r =
        tweak(40, false, A("chown", "CAP_KILL", "setuid"), NA("chown", "CAP_KILL", "setuid"),
              A("All", "NET_RAW"), NA("All", "NET_RAW"));
    cr_assert_eq(r.r, 0, "%s", r.msg);
    /* caps = capAdd, as given (normalized), in its order */
    cr_expect_str_eq(r.got, "CAP_CHOWN,CAP_KILL,CAP_SETUID");
    run_free(&r);
}

Test(caps, all_in_drop_without_add_is_empty)
{
    struct run r = tweak(40, false, NULL, 0, A("ALL"), NA("ALL"));
    cr_assert_eq(r.r, 0, "%s", r.msg);
    cr_expect_eq(r.n, 0);
    cr_expect_str_eq(r.got, "");
    run_free(&r);
}

Test(caps, privileged_cut_at_cap_last_cap_and_audit_read)
{
    static const struct {
        int last;
        size_t n;
        const char *final;
    } cases[] = {
        {40, 38, "CAP_AUDIT_READ"},    /* past AUDIT_READ: cut there (no PERFMON, BPF, ...) */
        {37, 38, "CAP_AUDIT_READ"},    /* exactly AUDIT_READ */
        {36, 37, "CAP_BLOCK_SUSPEND"}, /* kernel without AUDIT_READ */
        {35, 36, "CAP_WAKE_ALARM"},    /* older kernel */
        {63, 37, "CAP_BLOCK_SUSPEND"}, /* RHEL6 hack: 63 means BLOCK_SUSPEND */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct run r = tweak(cases[i].last, true, NULL, 0, NULL, 0);
        char *want = joinc(go_list, cases[i].n);
        cr_assert_eq(r.r, 0, "%s", r.msg);
        cr_expect_eq(r.n, cases[i].n, "last %d", cases[i].last);
        cr_expect_str_eq(r.got, want, "last %d", cases[i].last);
        cr_expect_not_null(strstr(r.got, cases[i].final));
        free(want);
        run_free(&r);
    }
}

Test(caps, privileged_ignores_add_and_drop_even_invalid_ones)
{
    struct run r = tweak(40, true, A("foo"), NA("foo"), A("ALL"), NA("ALL"));
    char *want = joinc(go_list, 38);
    cr_assert_eq(r.r, 0, "%s", r.msg);
    cr_expect_str_eq(r.got, want);
    free(want);
    run_free(&r);
}

Test(caps, all_in_add_follows_the_kernel_list)
{
    struct run r = tweak(35, false, A("ALL"), NA("ALL"), A("chown"), NA("chown"));
    char *want = expect(go_list, 36, (const char *[]){"CAP_CHOWN", NULL}, NULL);
    cr_assert_eq(r.r, 0, "%s", r.msg);
    cr_expect_str_eq(r.got, want);
    free(want);
    run_free(&r);
}

Test(caps, unknown_capability_exact_text)
{
    struct run r = tweak(40, false, A("foo"), NA("foo"), NULL, 0);
    cr_expect_lt(r.r, 0);
    cr_expect_eq(r.r, -EINVAL);
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_FOO\"");
    run_free(&r);

    r = tweak(40, false, NULL, 0, A("CAP_FOO"), NA("CAP_FOO"));
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_FOO\"");
    run_free(&r);
}

Test(caps, capabilities_past_the_list_are_unknown)
{
    /* 20.10's list stops at CAP_AUDIT_READ whatever the kernel has */
    struct run r = tweak(40, false, A("perfmon"), NA("perfmon"), NULL, 0);
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_PERFMON\"");
    run_free(&r);
    r = tweak(40, false, A("CAP_BPF"), NA("CAP_BPF"), NULL, 0);
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_BPF\"");
    run_free(&r);
    r = tweak(40, false, A("checkpoint_restore"), NA("checkpoint_restore"), NULL, 0);
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_CHECKPOINT_RESTORE\"");
    run_free(&r);
    /* and at what the kernel has */
    r = tweak(35, false, A("audit_read"), NA("audit_read"), NULL, 0);
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_AUDIT_READ\"");
    run_free(&r);
    r = tweak(35, false, NULL, 0, A("BLOCK_SUSPEND"), NA("BLOCK_SUSPEND"));
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_BLOCK_SUSPEND\"");
    run_free(&r);
    r = tweak(36, false, A("block_suspend"), NA("block_suspend"), NULL, 0);
    cr_expect_eq(r.r, 0, "%s", r.msg);
    run_free(&r);
}

Test(caps, drops_are_checked_before_adds)
{
    struct run r = tweak(40, false, A("foo"), NA("foo"), A("bar"), NA("bar"));
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_BAR\"");
    run_free(&r);
}

Test(caps, all_is_only_all_without_prefix)
{
    /* "CAP_ALL" is not the magic value */
    struct run r = tweak(40, false, A("cap_all"), NA("cap_all"), NULL, 0);
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_ALL\"");
    run_free(&r);
}

Test(caps, duplicates_kept_as_go_keeps_them)
{
    /* default: basics minus drop, then capAdd appended as is (no dedupe) */
    struct run r = tweak(40, false, A("NET_ADMIN", "net_admin", "CHOWN"),
                         NA("NET_ADMIN", "net_admin", "CHOWN"), NULL, 0);
    char *want = expect(go_defaults, N_DEFAULTS, NULL,
                        (const char *[]){"CAP_NET_ADMIN", "CAP_NET_ADMIN", "CAP_CHOWN", NULL});
    cr_assert_eq(r.r, 0, "%s", r.msg);
    cr_expect_str_eq(r.got, want);
    cr_expect_eq(r.n, N_DEFAULTS + 3);
    free(want);
    run_free(&r);

    /* drop ALL: capAdd as is, duplicates too */
    r = tweak(40, false, A("kill", "CAP_KILL"), NA("kill", "CAP_KILL"), A("ALL"), NA("ALL"));
    cr_expect_str_eq(r.got, "CAP_KILL,CAP_KILL");
    run_free(&r);

    /* add ALL: the list once, whatever else capAdd holds */
    r = tweak(40, false, A("ALL", "chown", "ALL"), NA("ALL", "chown", "ALL"), NULL, 0);
    want = joinc(go_list, 38);
    cr_expect_str_eq(r.got, want);
    free(want);
    run_free(&r);
}

/* Regression (once wrong in spec/caps.c normalize): Go prints the name with %q, which escapes '"' and '\\'; bundlefs
 * prints it raw inside quotes. Disabled until fixed. */
Test(caps, unknown_capability_is_quoted_like_go)
{
    struct run r = tweak(40, false, A("a\"b\\c"), NA("a\"b\\c"), NULL, 0);
    cr_expect_str_eq(r.msg, "unknown capability: \"CAP_A\\\"B\\\\C\"");
    run_free(&r);
}
