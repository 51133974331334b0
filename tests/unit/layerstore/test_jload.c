/* jload.c against jansson: for every input, ls_json_load_object gives exactly the tree
 * json_loadb(buf, len, 0) gives (same types, values and member order, compared through
 * jansson's own compact dump) or NULL; NULL for everything jansson refuses or that is not an
 * object, so ls_parse_json's messages stay jansson's. Hand-made cases, then every file of the
 * JSON fuzz corpora. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jarena.h"
#include "ls_internal.h"

static char *dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    cr_assert_not_null(s);
    return s;
}

/* 1: both accept, same tree; 0: both refuse; -1: jansson accepts and jload leaves it to it */
static int compare(const char *buf, size_t len)
{
    json_error_t e;
    json_t *want = json_loadb(buf, len, 0, &e), *got = ls_json_load_object(buf, len);
    int r;

    if (!want || !json_is_object(want)) {
        cr_expect_null(got, "jload accepted what jansson refuses: [%.*s]", (int)len, buf);
        r = 0;
    } else if (!got) {
        r = -1;
    } else {
        char *w = dump(want), *g = dump(got);
        cr_expect_str_eq(g, w, "tree of [%.*s]", (int)len, buf);
        cr_expect(json_equal(want, got));
        ja_free(w);
        ja_free(g);
        r = 1;
    }
    json_decref(want);
    json_decref(got);
    return r;
}

#define ACCEPT(lit) cr_expect_eq(compare(lit, sizeof(lit) - 1), 1, "accept [%s]", lit)
#define REFUSE(lit) cr_expect_eq(compare(lit, sizeof(lit) - 1), 0, "refuse [%s]", lit)

Test(jload, accepts_like_jansson)
{
    ACCEPT("{}");
    ACCEPT(" \t\r\n{ \"a\" : 1 , \"b\":[ ] ,\"c\":{ } }\n ");
    ACCEPT("{\"a\":1,\"b\":2,\"a\":3}"); /* a duplicate keeps its place, the last value wins */
    ACCEPT("{\"Env\":[\"A=1\",\"B\"],\"env\":null,\"ENV\":[]}");
    ACCEPT("{\"k\\n\\\"\\\\\\/"
           "\":\"\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\uDBFF\\uDFFF\"}");
    ACCEPT("{\"caf\xc3\xa9\":\"\xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf\x7f\"}");
    ACCEPT("{\"n\":[0,-0,123,-9223372036854775808,9223372036854775807,1.5,-0.0,1e5,1E+5,"
           "2e-3,1e-400,0.1,123456789.125e-3,4.9e-324,1.7976931348623157e308]}");
    ACCEPT("{\"t\":true,\"f\":false,\"n\":null,\"a\":[true,[false,[null,[{}]]]]}");
    ACCEPT("{\"a key longer than sixty-four bytes, which the loader copies to the heap...\":1,"
           "\"an escaped key longer than sixty-four bytes \\t which the loader decodes ....\":2}");
    /* decoded keys whose values are decoded too (one scratch buffer for both) */
    ACCEPT("{\"a\\tb\":\"c\\nd\",\"e\\u00e9\":[\"\\\"x\",{\"\\/\":\"\\\\\"}]}");
    /* a decoded string longer than the loader's first scratch buffer */
    char big[4000] = "{\"s\":\"";
    for (int i = 0; i < 300; i++)
        strcat(big, "x\\n\\u00e9");
    strcat(big, "\"}");
    cr_expect_eq(compare(big, strlen(big)), 1);
}

Test(jload, refuses_like_jansson)
{
    REFUSE("");
    REFUSE("[]");
    REFUSE("\"s\"");
    REFUSE("1");
    REFUSE("{");
    REFUSE("{\"a\"}");
    REFUSE("{\"a\":}");
    REFUSE("{\"a\":1,}");
    REFUSE("{,}");
    REFUSE("{\"a\":[1,]}");
    REFUSE("{\"a\":[1 2]}");
    REFUSE("{\"a\":1 \"b\":2}");
    REFUSE("{a:1}");
    REFUSE("{'a':1}");
    REFUSE("{\"a\":01}");
    REFUSE("{\"a\":1.}");
    REFUSE("{\"a\":.5}");
    REFUSE("{\"a\":-}");
    REFUSE("{\"a\":+1}");
    REFUSE("{\"a\":1e}");
    REFUSE("{\"a\":1e+}");
    REFUSE("{\"a\":0x10}");
    REFUSE("{\"a\":tru}");
    REFUSE("{\"a\":truex}");
    REFUSE("{\"a\":nul}");
    REFUSE("{\"a\":NaN}");
    REFUSE("{\"a\":\"\x01\"}");
    REFUSE("{\"a\":\"tab\there\"}");
    REFUSE("{\"a\":\"\\u0000\"}");
    REFUSE("{\"a\\u0000\":1}");
    REFUSE("{\"a\":\"\\ud83d\"}");
    REFUSE("{\"a\":\"\\ud83dx\"}");
    REFUSE("{\"a\":\"\\ud83d\\u0041\"}");
    REFUSE("{\"a\":\"\\ude00\"}");
    REFUSE("{\"a\":\"\\q\"}");
    REFUSE("{\"a\":\"\\u12\"}");
    REFUSE("{\"a\":\"\\u12G4\"}");
    REFUSE("{\"a\":\"\xff\"}");
    REFUSE("{\"a\":\"\xc0\x80\"}");
    REFUSE("{\"a\":\"\xed\xa0\x80\"}");
    REFUSE("{\"a\":\"\xf4\x90\x80\x80\"}");
    REFUSE("{\"a\":\"\xe2\x82\"}");
    REFUSE("{\"\xff\":1}");
    REFUSE("{\"a\":\"unterminated}");
    REFUSE("{} x");
    REFUSE("{}{}");
    REFUSE("{}\x0b");
    REFUSE("\x0b{}");
    REFUSE("\xef\xbb\xbf{}");
    REFUSE("{\"a\":9223372036854775808}");
    REFUSE("{\"a\":-9223372036854775809}");
    REFUSE("{\"a\":1e400}");
    REFUSE("{\"a\":-1e400}");
    cr_expect_eq(compare("{\"a\":1}\0", 8), 0); /* a NUL after the object */
    cr_expect_eq(compare("{\"a\":\"\0\"}", 8), 0);
}

/* What jload leaves to jansson, which accepts it: deep nesting, and a NUL byte right after a
 * number or literal (jansson's push-back quirk, see jscan.c). */
Test(jload, leaves_to_jansson)
{
    cr_expect_eq(compare("{\"a\":1\0}", 8), -1);
    cr_expect_eq(compare("{\"a\":true\0,\"b\":null\0}", 21), -1);
    char buf[1000];
    size_t n = 0;

    buf[n++] = '{';
    buf[n++] = '"';
    buf[n++] = 'a';
    buf[n++] = '"';
    buf[n++] = ':';
    for (int i = 0; i < 300; i++)
        buf[n++] = '[';
    for (int i = 0; i < 300; i++)
        buf[n++] = ']';
    buf[n++] = '}';
    cr_expect_eq(compare(buf, n), -1);
}

/* Every file of the JSON fuzz corpora: jload agrees with jansson wherever it answers, and
 * answers for every corpus file jansson accepts that is not a deep nesting. */
Test(jload, fuzz_corpora)
{
    static const char *const dirs[] = {"config_v2", "hostconfig", "image_config", "daemon_json",
                                       "credspec",  "jscan",      "repositories"};
    const char *data = getenv("BUNDLEFS_TEST_DATA");
    size_t files = 0, both = 0;

    cr_assert_not_null(data, "BUNDLEFS_TEST_DATA is not set");
    for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/../fuzz/corpus/%s", data, dirs[d]);
        DIR *dir = opendir(path);
        if (!dir)
            continue;
        struct dirent *de;
        while ((de = readdir(dir))) {
            char file[8192];
            if (de->d_name[0] == '.')
                continue;
            snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
            FILE *f = fopen(file, "rb");
            cr_assert_not_null(f, "%s", file);
            static char buf[1 << 20];
            size_t len = fread(buf, 1, sizeof(buf), f);
            fclose(f);
            files++;
            int r = compare(buf, len);
            if (r == 1)
                both++;
            /* left to jansson: deep nesting, and jansson's NUL-after-a-token quirk */
            cr_expect(r != -1 || memchr(buf, 0, len) || memmem(buf, len, "[[[[[[[[[[[[[[[[", 16) ||
                          memmem(buf, len, "{\"a\":{\"a\":{\"a\":{", 16),
                      "jload left %s to jansson", file);
        }
        closedir(dir);
    }
    cr_expect_gt(files, 50, "only %zu corpus files found", files);
    cr_expect_gt(both, 20, "only %zu corpus files accepted by both", both);
}

/* The loader scans eight bytes at a time: an escape, a control byte, a quote or a UTF-8
 * sequence (valid or not) at every position of a string, in a key and in a value. */
Test(jload, every_position_like_jansson)
{
    static const struct {
        const char *text;
        int want; /* 1 accepted, 0 refused */
    } cases[] = {{"\\\"", 1}, {"\\\\", 1},     {"\\n", 1},      {"\\u00e9", 1},
                 {"\x01", 0}, {"\x1f", 0},     {"\xc3\xa9", 1}, {"\xf0\x9f\x98\x80", 1},
                 {"\x7f", 1}, {"\xc3\x28", 0}, {"\xff", 0},     {"\"", 0}};

    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
        for (size_t pos = 0; pos < 30; pos++)
            for (int in_key = 0; in_key < 2; in_key++) {
                char s[64], doc[160];
                memset(s, 'a' + (int)(pos % 26), pos);
                snprintf(s + pos, sizeof(s) - pos, "%sxyz", cases[k].text);
                if (in_key)
                    snprintf(doc, sizeof(doc), "{\"%s\":1}", s);
                else
                    snprintf(doc, sizeof(doc), "{\"k\":\"%s\"}", s);
                cr_expect_eq(compare(doc, strlen(doc)), cases[k].want, "case %zu at %zu in [%s]", k,
                             pos, doc);
            }
}

