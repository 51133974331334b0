/* The seed's endpoint rule: hnsids in network order, the last GW_INFO hnsid appended once,
 * AllowUnqualifiedDNSQuery when any endpoint is on a nat network. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "spec_internal.h"

Test(network, order_gw_info_and_nat)
{
    struct spec_endpoint_info in[] = {
        {.network = "a", .hnsid = "H1", .nat = false, .gw_hnsid = "G1"},
        {.network = "b", .hnsid = NULL, .nat = false}, /* no DriverInfo hnsid: skipped */
        {.network = "c", .hnsid = "H3", .nat = true, .gw_hnsid = "G3"},
        {.network = "d", .hnsid = "H4", .nat = false, .gw_hnsid = ""},
    };
    struct bf_error err = BF_ERROR_INIT;
    const char **list = NULL;
    size_t n = 0;
    bool allow = false;

    cr_assert_eq(spec_endpoints_build(in, 4, &list, &n, &allow, &err), 0);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(list[0], "H1");
    cr_expect_str_eq(list[1], "H3");
    cr_expect_str_eq(list[2], "H4");
    cr_expect_str_eq(list[3], "G3"); /* the last non-empty GW_INFO, once, at the end */
    cr_expect(allow);
    free(list);
}

Test(network, nothing_known_is_a_nil_list)
{
    struct spec_endpoint_info in[] = {{.network = "nat", .hnsid = NULL, .nat = false}};
    struct bf_error err = BF_ERROR_INIT;
    const char **list = (const char **)1;
    size_t n = 9;
    bool allow = true;

    cr_assert_eq(spec_endpoints_build(in, 1, &list, &n, &allow, &err), 0);
    cr_expect_null(list);
    cr_expect_eq(n, 0);
    cr_expect(!allow);
    cr_assert_eq(spec_endpoints_build(NULL, 0, &list, &n, &allow, &err), 0);
    cr_expect_null(list);
}
