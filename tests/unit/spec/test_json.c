/* spec_json_render, bundlefs's own JSON writer, against the bytes jansson's json_dumpb gives for
 * the same tree (what every golden file was made with): indented and compact, every escape,
 * multi-byte UTF-8, empty and deep containers, integer limits, reals; and its errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"

static void check_like_jansson(json_t *root)
{
    for (int compact = 0; compact < 2; compact++) {
        size_t flags = compact ? JSON_COMPACT : JSON_INDENT(2);
        size_t need = json_dumpb(root, NULL, 0, flags);
        char *want = malloc(need + 2), *got = NULL;
        size_t len = 0;
        struct bf_error err = BF_ERROR_INIT;

        cr_assert(need > 0);
        cr_assert_not_null(want);
        cr_assert_eq(json_dumpb(root, want, need, flags), need);
        if (!compact)
            want[need++] = '\n';
        want[need] = '\0';
        cr_assert_eq(spec_json_render(root, compact, &got, &len, &err), 0, "%s",
                     bf_error_message(&err));
        cr_expect_eq(len, need, "compact %d: length %zu, jansson %zu", compact, len, need);
        cr_expect_eq(got[len], '\0');
        cr_expect(len == need && memcmp(got, want, len) == 0,
                  "compact %d:\n--- got\n%s\n--- jansson\n%s", compact, got, want);
        free(got);
        free(want);
    }
    json_decref(root);
}

Test(json, exact_bytes)
{
    json_t *root = json_pack("{s:s, s:[i, b, n], s:{}, s:[]}", "a", "x\"y", "b", -1, 1, "c", "d");
    char *got = NULL;
    size_t len = 0;
    struct bf_error err = BF_ERROR_INIT;
    const char *want = "{\n  \"a\": \"x\\\"y\",\n  \"b\": [\n    -1,\n    true,\n    null\n  ],\n"
                       "  \"c\": {},\n  \"d\": []\n}\n";

    cr_assert_eq(spec_json_render(root, false, &got, &len, &err), 0);
    cr_expect_str_eq(got, want);
    cr_expect_eq(len, strlen(want));
    free(got);
    cr_assert_eq(spec_json_render(root, true, &got, &len, &err), 0);
    cr_expect_str_eq(got, "{\"a\":\"x\\\"y\",\"b\":[-1,true,null],\"c\":{},\"d\":[]}");
    free(got);
    json_decref(root);
}

Test(json, escapes_like_jansson)
{
    json_t *root = json_object(), *arr = json_array();
    char all[128];

    /* every byte below 0x80 (NUL too, through json_stringn), in keys and values */
    for (int i = 0; i < 128; i++)
        all[i] = (char)i;
    json_array_append_new(arr, json_stringn(all, sizeof(all)));
    for (int i = 0; i < 128; i++) {
        char s[4] = {'<', (char)(i ? i : 1), '>', 0};
        json_array_append_new(arr, json_string(s));
    }
    json_object_set_new(root, "all", arr);
    json_object_set_new(root, "key \"\\\x01\x1f/\t\n", json_string("v"));
    json_object_set_new(root, "", json_string(""));
    json_object_set_new(root, "slash", json_string("C:\\Windows\\System32 /a/b"));
    json_object_set_new(root, "utf8",
                        json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf "
                                    "\xf4\x8f\xbf\xbf \xc2\x80\x7f"));
    check_like_jansson(root);
}

Test(json, shapes_like_jansson)
{
    json_t *root = json_object(), *deep = root;

    json_object_set_new(
        root, "ints",
        json_pack("[I, I, I, i]", (json_int_t)INT64_MAX, (json_int_t)INT64_MIN, (json_int_t)0, 42));
    json_object_set_new(root, "reals",
                        json_pack("[f, f, f, f, f]", 1.0, 0.1, -2.5e-300, 1e22, 123456789.125));
    json_object_set_new(
        root, "empty",
        json_pack("{s:{}, s:[], s:[[]], s:[{}], s:{s:[]}}", "o", "a", "aa", "ao", "oa", "x"));
    json_object_set_new(root, "bools", json_pack("[b, b, n]", 1, 0));
    /* deeper than jansson's 32-space indent chunk */
    for (int i = 0; i < 40; i++) {
        json_t *next = json_object();
        json_object_set_new(deep, i % 2 ? "o" : "p", next);
        json_object_set_new(deep, "n", json_integer(i));
        deep = next;
    }
    json_object_set_new(deep, "leaf", json_pack("[s, [i]]", "x", 1));
    check_like_jansson(root);
    check_like_jansson(json_pack("[s, {s:i}]", "top-level array", "k", 1));
    check_like_jansson(json_object());
    check_like_jansson(json_array());
}

/* A string jansson would not dump (not UTF-8: only json_*_nocheck can make one) is an error,
 * as json_dumpb's 0 was; so is a root that is not an object or array. */
Test(json, errors)
{
    static const char *const bad[] = {
        "\xff", "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xc3", "\x80"};
    char *got = NULL;
    size_t len = 0;
    struct bf_error err = BF_ERROR_INIT;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *root = json_pack("{s:[s, o]}", "k", "fine", json_string_nocheck(bad[i]));
        cr_assert_not_null(root);
        cr_expect_eq(json_dumpb(root, NULL, 0, JSON_INDENT(2)), 0, "case %zu", i);
        cr_expect_eq(spec_json_render(root, false, &got, &len, &err), -EINVAL, "case %zu", i);
        cr_expect_str_eq(bf_error_message(&err),
                         "cannot serialize the spec (invalid UTF-8 in a string?)");
        cr_expect_null(got);
        bf_error_clear(&err);
        json_decref(root);
    }
    json_t *s = json_string("x");
    cr_expect_eq(spec_json_render(s, false, &got, &len, &err), -EINVAL);
    bf_error_clear(&err);
    json_decref(s);
}

/* The writer scans eight bytes at a time: a byte to escape or a UTF-8 sequence at every
 * position of a string, and strings of every length around a word. */
Test(json, every_position_like_jansson)
{
    static const char *const specials[] = {"\"",   "\\",       "\x01",         "\x1f",
                                           "\n",   "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                           "\x7f", " "};
    json_t *root = json_array();

    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++)
        for (size_t pos = 0; pos < 40; pos++) {
            char s[64];
            memset(s, 'a' + (int)(pos % 26), sizeof(s));
            memcpy(s + pos, specials[k], strlen(specials[k]));
            s[pos + strlen(specials[k]) + 3] = '\0';
            json_array_append_new(root, json_string(s));
        }
    for (size_t n = 0; n < 40; n++) {
        char s[64];
        memset(s, 'x', n);
        s[n] = '\0';
        json_array_append_new(root, json_string(s));
    }
    cr_assert_eq(json_array_size(root), 440);
    check_like_jansson(root);
}

/* {"ociVersion":"1.3.0","linux":{"n":1,"seccomp":v}} */
static struct spec_node *doc(struct spec_builder *b, struct spec_node *v)
{
    struct spec_node *root = spec_b_obj(b), *lnx = spec_b_obj(b);

    spec_b_put(b, root, "ociVersion", spec_b_str(b, "1.3.0"));
    spec_b_put(b, lnx, "n", spec_b_i64(b, 1));
    spec_b_put(b, lnx, "seccomp", v);
    spec_b_put(b, root, "linux", lnx);
    return root;
}

#define BAD_VALUE                                                                                  \
    "container c: config.json: a value cannot be written (a string that is not valid UTF-8, a "    \
    "number above 2^63-1, or out of memory)"

/* A value rendered beforehand and put back where it was rendered for gives the bytes of the
 * value written in place; anywhere else (another depth, the other format) the render fails. */
Test(json, raw_fragments_are_the_bytes_in_place)
{
    json_t *frag = json_pack("{s:s,s:[i,i,{s:b}],s:{}}", "defaultAction", "SCMP_ACT_ERRNO", "a", 1,
                             2, "x", 1, "empty");
    for (int compact = 0; compact < 2; compact++) {
        char *want = NULL, *got = NULL, *bytes = NULL;
        size_t wl = 0, gl = 0, bl = 0;
        struct bf_error err = BF_ERROR_INIT;
        struct spec_builder b = {false};

        cr_assert_eq(spec_b_finish(&b, doc(&b, spec_b_json(&b, frag)), compact, "c", "config.json",
                                   &want, &wl, &err),
                     0);
        cr_assert_eq(spec_json_render_value(frag, compact, 2, &bytes, &bl), 0);
        cr_assert_eq(spec_b_finish(&b, doc(&b, spec_b_raw(&b, bytes, bl, compact, 2)), compact, "c",
                                   "config.json", &got, &gl, &err),
                     0);
        cr_expect_eq(gl, wl);
        cr_expect_str_eq(got, want);
        free(got);
        got = NULL;
        /* one level deeper, or the other format: an error, not misindented bytes */
        struct spec_node *deeper = spec_b_obj(&b), *a = spec_b_obj(&b), *bb = spec_b_obj(&b);
        spec_b_put(&b, bb, "c", spec_b_raw(&b, bytes, bl, compact, 2));
        spec_b_put(&b, a, "b", bb);
        spec_b_put(&b, deeper, "a", a);
        cr_expect_eq(spec_b_finish(&b, deeper, compact, "c", "config.json", &got, &gl, &err),
                     -EINVAL);
        cr_expect_str_eq(bf_error_message(&err), BAD_VALUE);
        cr_expect_null(got);
        bf_error_clear(&err);
        cr_expect_eq(spec_b_finish(&b, doc(&b, spec_b_raw(&b, bytes, bl, compact, 2)), !compact,
                                   "c", "config.json", &got, &gl, &err),
                     -EINVAL);
        cr_expect_null(got);
        bf_error_clear(&err);
        free(bytes);
        free(want);
    }
    json_decref(frag);
}

/* What the builder makes is what jansson would have dumped for the same calls: integers at
 * their limits (a uint64 above INT64_MAX written bare), booleans, null, empty containers, a
 * string with a NUL byte, keys in insertion order, and strings across arena blocks. */
Test(json, builder_like_jansson)
{
    for (int compact = 0; compact < 2; compact++) {
        struct spec_builder b = {false};
        struct spec_node *root = spec_b_obj(&b), *a = spec_b_arr(&b);
        json_t *j = json_object(), *ja = json_array();
        static char big[3][40000];
        char *got = NULL, *want;
        size_t len = 0;
        struct bf_error err = BF_ERROR_INIT;

        spec_b_put(&b, root, "z", spec_b_i64(&b, INT64_MIN));
        json_object_set_new(j, "z", json_integer(INT64_MIN));
        spec_b_put(&b, root, "a", spec_b_i64(&b, -1));
        json_object_set_new(j, "a", json_integer(-1));
        spec_b_put(&b, root, "m", spec_b_u64(&b, INT64_MAX));
        json_object_set_new(j, "m", json_integer(INT64_MAX));
        spec_b_put(&b, root, "t", spec_b_bool(&b, true));
        json_object_set_new(j, "t", json_true());
        spec_b_put(&b, root, "f", spec_b_bool(&b, false));
        json_object_set_new(j, "f", json_false());
        spec_b_put(&b, root, "n", spec_b_null(&b));
        json_object_set_new(j, "n", json_null());
        spec_b_put(&b, root, "e", spec_b_obj(&b));
        json_object_set_new(j, "e", json_object());
        spec_b_put(&b, root, "nul", spec_b_strn(&b, "a\0b", 3));
        json_object_set_new(j, "nul", json_stringn("a\0b", 3));
        spec_b_put(&b, root, "null-string", spec_b_str(&b, NULL));
        json_object_set_new(j, "null-string", json_string(""));
        for (size_t i = 0; i < 3; i++) {
            memset(big[i], 'a' + (int)i, sizeof(big[i]) - 1);
            spec_b_push(&b, a, spec_b_str(&b, big[i]));
            json_array_append_new(ja, json_string(big[i]));
        }
        spec_b_push(&b, a, spec_b_arr(&b));
        json_array_append_new(ja, json_array());
        spec_b_put(&b, root, "a2", a);
        json_object_set_new(j, "a2", ja);
        cr_assert_eq(spec_b_finish(&b, root, compact, "c", "config.json", &got, &len, &err), 0);
        cr_assert_eq(spec_json_render(j, compact, &want, &len, &err), 0);
        cr_expect_str_eq(got, want);
        free(want);
        free(got);

        /* above INT64_MAX: the bare number */
        root = spec_b_arr(&b);
        spec_b_push(&b, root, spec_b_u64(&b, UINT64_MAX));
        cr_assert_eq(spec_b_finish(&b, root, compact, "c", "config.json", &got, &len, &err), 0);
        cr_expect_str_eq(got,
                         compact ? "[18446744073709551615]" : "[\n  18446744073709551615\n]\n");
        free(got);
        json_decref(j);
    }
}

/* A node put twice, a NULL value, a put into something that is not an object, a string that is
 * not UTF-8 (as a value or a key), a root that is neither object nor array: one error, and the
 * arena freed (the sanitizer build checks). */
Test(json, builder_errors)
{
    for (int k = 0; k < 7; k++) {
        struct spec_builder b = {false};
        struct spec_node *root = spec_b_obj(&b), *v = spec_b_str(&b, "x");
        char *got = NULL;
        size_t len = 0;
        struct bf_error err = BF_ERROR_INIT;

        switch (k) {
        case 0:
            spec_b_put(&b, root, "a", v);
            spec_b_put(&b, root, "b", v);
            break;
        case 1:
            spec_b_put(&b, root, "a", NULL);
            break;
        case 2:
            spec_b_put(&b, v, "a", spec_b_str(&b, "y"));
            break;
        case 3:
            spec_b_push(&b, root, v);
            break;
        case 4:
            spec_b_put(&b, root, "a", spec_b_str(&b, "\xc3"));
            break;
        case 5:
            spec_b_put(&b, root, "\xff", v);
            break;
        case 6:
            root = v;
            break;
        }
        cr_expect(b.failed == (k < 4), "case %d", k);
        cr_expect_eq(spec_b_finish(&b, root, false, "c", "config.json", &got, &len, &err), -EINVAL,
                     "case %d", k);
        cr_expect_str_eq(bf_error_message(&err), BAD_VALUE, "case %d", k);
        cr_expect_null(got);
        cr_expect_null(b.blocks);
        bf_error_clear(&err);
    }
}
