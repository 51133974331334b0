/* ChainID vectors (doc §2), derived independently with sha256sum/sha384sum (see fixture.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"
#include "layerstore.h"

Test(chainid, empty_list_is_no_layer)
{
    char out[LS_DIGEST_LEN + 1] = "garbage";
    ls_chainid(NULL, 0, out);
    cr_assert_str_eq(out, "");
}

Test(chainid, single_layer_is_its_diff_id)
{
    const char *d[] = {D1};
    char out[LS_DIGEST_LEN + 1];
    ls_chainid(d, 1, out);
    cr_assert_str_eq(out, D1);
}

Test(chainid, two_and_three_layers)
{
    const char *d[] = {D1, D2, D3};
    char out[LS_DIGEST_LEN + 1];
    ls_chainid(d, 2, out);
    cr_assert_str_eq(out, C2);
    ls_chainid(d, 3, out);
    cr_assert_str_eq(out, C3);
}

Test(chainid, step_matches_rule)
{
    char out[LS_DIGEST_LEN + 1];
    ls_chainid_step("", D1, out);
    cr_assert_str_eq(out, D1);
    ls_chainid_step(D1, D2, out);
    cr_assert_str_eq(out, C2);
    ls_chainid_step(C2, D3, out);
    cr_assert_str_eq(out, C3);
    /* in place, as the walk uses it */
    strcpy(out, C2);
    ls_chainid_step(out, D3, out);
    cr_assert_str_eq(out, C3);
}

Test(chainid, order_matters)
{
    const char *d[] = {D2, D1};
    char out[LS_DIGEST_LEN + 1];
    ls_chainid(d, 2, out);
    cr_assert_str_neq(out, C2);
}

Test(chainid, layers_base_identities)
{
    char id[LS_ID_LEN + 1], diff[LS_DIGEST_LEN + 1];
    ls_base_layer_id(BASE_LAYER, id);
    cr_assert_str_eq(id, BL_HEX);
    ls_base_diff_id(BASE_LAYER, diff);
    cr_assert_str_eq(diff, "sha256:" BD_HEX);
    const char *d[] = {"sha256:" BD_HEX, D1, D2};
    char out[LS_DIGEST_LEN + 1];
    ls_chainid(d, 2, out);
    cr_assert_str_eq(out, "sha256:" BC2_HEX);
    ls_chainid(d, 3, out);
    cr_assert_str_eq(out, "sha256:" BC3_HEX);
}
