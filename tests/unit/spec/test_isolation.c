/* Isolation resolution: stored value, daemon default, option default, invalid value. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "spec_internal.h"

#define ID "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static int resolve(const char *stored, const char *daemon, const char *fallback,
                   enum spec_isolation *out, struct bf_error *err)
{
    struct ls_container c = {0};
    struct ls_daemon_config dc = {.present = daemon != NULL, .isolation = (char *)daemon};

    memcpy(c.id, ID, sizeof(c.id));
    c.host.isolation = (char *)stored;
    return spec_isolation_resolve(&c, daemon ? &dc : NULL, fallback, out, err);
}

Test(isolation, stored_value_wins_any_case)
{
    struct bf_error err = BF_ERROR_INIT;
    enum spec_isolation iso;

    cr_assert_eq(resolve("process", "hyperv", "hyperv", &iso, &err), 0);
    cr_expect_eq(iso, SPEC_ISOLATION_PROCESS);
    cr_assert_eq(resolve("HyperV", "process", NULL, &iso, &err), 0);
    cr_expect_eq(iso, SPEC_ISOLATION_HYPERV);
    cr_assert_eq(resolve("PROCESS", NULL, "hyperv", &iso, &err), 0);
    cr_expect_eq(iso, SPEC_ISOLATION_PROCESS);
}

Test(isolation, default_takes_daemon_json)
{
    struct bf_error err = BF_ERROR_INIT;
    enum spec_isolation iso;

    cr_assert_eq(resolve("", "hyperv", "process", &iso, &err), 0);
    cr_expect_eq(iso, SPEC_ISOLATION_HYPERV);
    cr_assert_eq(resolve("Default", "HYPERV", "process", &iso, &err), 0);
    cr_expect_eq(iso, SPEC_ISOLATION_HYPERV);
    cr_assert_eq(resolve(NULL, "process", "hyperv", &iso, &err), 0);
    cr_expect_eq(iso, SPEC_ISOLATION_PROCESS);
}

Test(isolation, no_daemon_value_takes_option_then_process)
{
    struct bf_error err = BF_ERROR_INIT;
    enum spec_isolation iso;

    cr_assert_eq(resolve("default", NULL, "hyperv", &iso, &err), 0);
    cr_expect_eq(iso, SPEC_ISOLATION_HYPERV);
    cr_assert_eq(resolve("", "default", "hyperv", &iso, &err), 0);
    cr_expect_eq(iso, SPEC_ISOLATION_HYPERV);
    cr_assert_eq(resolve("", NULL, NULL, &iso, &err), 0);
    cr_expect_eq(iso, SPEC_ISOLATION_PROCESS);
}

Test(isolation, unknown_value_is_dockers_error)
{
    struct bf_error err = BF_ERROR_INIT;
    enum spec_isolation iso;

    cr_assert_eq(resolve("vm", "hyperv", NULL, &iso, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "container " ID ": containers/" ID "/hostconfig.json: invalid "
                              "--isolation: \"vm\" - windows daemon only supports 'default', "
                              "'process', or 'hyperv'");
    bf_error_clear(&err);
    cr_assert_eq(resolve("", NULL, "container", &iso, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "isolation option: \"container\" is not process or hyperv");
    bf_error_clear(&err);
}
