/* ChainID vectors (doc §2), derived independently with sha256sum/sha384sum (see fixture.h),
 * and the SHA-256 under them (sha256.c). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "layerstore.h"
#include "ls_internal.h"

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

/* ls_sha256 (sha256.c): FIPS 180-4's own examples, and the SHA extensions' code held to
 * libmd's on every length that crosses a block or padding edge and on long random buffers. */
static void digest_hex(const uint8_t md[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

Test(sha256, known_answers)
{
    static const struct {
        const char *in, *want;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t md[32];
        char hex[65];
        ls_sha256(v[i].in, strlen(v[i].in), md);
        digest_hex(md, hex);
        cr_expect_str_eq(hex, v[i].want, "SHA-256 of \"%s\"", v[i].in);
        ls_sha256_portable(v[i].in, strlen(v[i].in), md);
        digest_hex(md, hex);
        cr_expect_str_eq(hex, v[i].want, "libmd's SHA-256 of \"%s\"", v[i].in);
    }
}

Test(sha256, extensions_equal_libmd)
{
    static uint8_t buf[70000];
    uint8_t a[32], b[32];
    uint32_t x = 12345;

    for (size_t i = 0; i < sizeof(buf); i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    if (!ls_sha256_ni(buf, 1, a))
        cr_skip_test("this CPU has no SHA extensions: ls_sha256 is libmd's");
    for (size_t len = 0; len <= 1100; len++) { /* every edge of the first 17 blocks */
        cr_assert(ls_sha256_ni(buf + len % 7, len, a));
        ls_sha256_portable(buf + len % 7, len, b);
        cr_assert_arr_eq(a, b, 32, "length %zu", len);
    }
    for (size_t len = 1100; len < sizeof(buf) - 8; len = len * 3 / 2 + 13) {
        cr_assert(ls_sha256_ni(buf + 3, len, a));
        ls_sha256_portable(buf + 3, len, b);
        cr_assert_arr_eq(a, b, 32, "length %zu", len);
    }
}
