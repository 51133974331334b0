/* jscan.c, the tree-less JSON scanner of the name read: every rule it mirrors from jansson
 * 2.14 (flags 0, object root), what it leaves to jansson (UNSURE), the ls_j_get lookup rules
 * for the members it returns, and layerstore_container_name over both of its paths.
 * Each expected accept/refuse is also asked of jansson itself, so a case that states the rule
 * wrongly fails here rather than passing for the wrong reason. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "jscan.h"
#include "layerstore.h"

TestSuite(jscan, .timeout = 60);

static struct ls_jscan_member m[2];

static enum ls_jscan_result scan(const char *buf, size_t len)
{
    m[0] = (struct ls_jscan_member){.key = "ID"};
    m[1] = (struct ls_jscan_member){.key = "Name"};
    return ls_jscan_object(buf, len, m, 2);
}

/* jansson as ls_parse_json calls it: 1 accepted (an object), 0 refused */
static int jansson_ok(const char *buf, size_t len)
{
    json_error_t e;
    json_t *root = json_loadb(buf, len, 0, &e);
    int ok = root && json_is_object(root);
    json_decref(root);
    return ok;
}

static void expect(enum ls_jscan_result want, const char *buf, size_t len)
{
    enum ls_jscan_result r = scan(buf, len);
    cr_assert_eq(r, want, "scan of [%.*s] gave %d, expected %d", (int)len, buf, r, want);
    if (want != LS_JSCAN_UNSURE)
        cr_assert_eq(jansson_ok(buf, len), want == LS_JSCAN_OK,
                     "jansson disagrees with the test about [%.*s]", (int)len, buf);
}

/* string literals, embedded NULs included */
#define OK(lit) expect(LS_JSCAN_OK, lit, sizeof(lit) - 1)
#define BAD(lit) expect(LS_JSCAN_INVALID, lit, sizeof(lit) - 1)
#define UNSURE(lit) expect(LS_JSCAN_UNSURE, lit, sizeof(lit) - 1)

static void expect_member(int i, enum ls_jscan_kind kind, const char *val)
{
    cr_assert_eq(m[i].kind, kind, "\"%s\": kind %d, expected %d", m[i].key, m[i].kind, kind);
    if (kind == LS_JSCAN_STRING) {
        cr_assert_eq(m[i].len, strlen(val));
        cr_assert_eq(memcmp(m[i].val, val, m[i].len), 0, "\"%s\": \"%.*s\", expected \"%s\"",
                     m[i].key, (int)m[i].len, m[i].val, val);
    }
}

/* ---- strings ---- */

Test(jscan, escapes)
{
    OK("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}");
    OK("{\"a\":\"\\u0041\\u00e9\\u20AC\\uffff\"}");
    BAD("{\"a\":\"\\x\"}");
    BAD("{\"a\":\"\\U0041\"}");
    BAD("{\"a\":\"\\u004\"}");
    BAD("{\"a\":\"\\u00G1\"}");
    BAD("{\"a\":\"\\");
    BAD("{\"a\":\"\\\"}");
    BAD("{\"a\":\"\\'\"}");
}

Test(jscan, surrogates)
{
    OK("{\"a\":\"\\ud83d\\ude00\"}");
    OK("{\"a\":\"\\uDBFF\\uDFFF\"}");
    BAD("{\"a\":\"\\ud83d\"}");        /* lone high */
    BAD("{\"a\":\"\\ud83dx\"}");       /* high, then no escape */
    BAD("{\"a\":\"\\ud83d\\n\"}");     /* high, then another escape */
    BAD("{\"a\":\"\\ud83d\\ud83d\"}"); /* high, high */
    BAD("{\"a\":\"\\ud83d\\u0041\"}"); /* high, not a low */
    BAD("{\"a\":\"\\ude00\"}");        /* lone low */
    BAD("{\"a\":\"\\ude00\\ud83d\"}"); /* reversed pair */
}

Test(jscan, nul_escape)
{
    BAD("{\"a\":\"\\u0000\"}"); /* \u0000 is not allowed without JSON_ALLOW_NUL */
    BAD("{\"a\\u0000\":1}");    /* NUL byte in object key not supported */
    BAD("{\"x\":{\"\\u0000\":1}}");
    OK("{\"a\":\"\\u0001\"}");
}

Test(jscan, control_characters)
{
    BAD("{\"a\":\"\t\"}");
    BAD("{\"a\":\"\n\"}");
    BAD("{\"a\":\"\x01\"}");
    BAD("{\"a\":\"\x1f\"}");
    BAD("{\"a\":\"x\0y\"}"); /* a raw NUL inside a string */
    BAD("{\"a\x1f\":1}");
    OK("{\"a\":\"\x7f \"}");
}

Test(jscan, utf8)
{
    OK("{\"a\":\"\xc2\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"}");
    OK("{\"\xc3\xa9\":\"\xed\x9f\xbf\xee\x80\x80\"}"); /* U+D7FF, U+E000 */
    BAD("{\"a\":\"\xc0\x80\"}");                       /* overlong NUL */
    BAD("{\"a\":\"\xc1\xbf\"}");
    BAD("{\"a\":\"\xe0\x9f\xbf\"}");     /* overlong 3-byte */
    BAD("{\"a\":\"\xf0\x8f\xbf\xbf\"}"); /* overlong 4-byte */
    BAD("{\"a\":\"\xed\xa0\x80\"}");     /* a surrogate, encoded */
    BAD("{\"a\":\"\xf4\x90\x80\x80\"}"); /* above U+10FFFF */
    BAD("{\"a\":\"\xf5\x80\x80\x80\"}");
    BAD("{\"a\":\"\xff\"}");
    BAD("{\"a\":\"\x80\"}");     /* a lone continuation byte */
    BAD("{\"a\":\"\xe2\x82\"}"); /* truncated by the quote */
    BAD("{\"a\":\"\xe2\x82");    /* truncated by the end */
    BAD("{\"a\":\"\xc3\xa9\xc3\"}");
    BAD("{\"a\":1}\xc3\xa9"); /* outside a string too */
}

/* The 8-bytes-at-a-time string loop against jansson: every byte value at every offset of a
 * string long enough for it, and next to each kind of byte that stops the loop. */
Test(jscan, every_byte_in_a_string)
{
    char b[64];
    for (int c = 0; c < 256; c++) {
        for (int at = 0; at < 20; at++) {
            for (int tail = 0; tail < 3; tail++) {
                static const char *const tails[] = {"", "\\n", "\xc3\xa9"};
                int n = snprintf(b, sizeof(b), "{\"a\":\"%.*s", at, "xxxxxxxxxxxxxxxxxxxxxxxx");
                b[n++] = (char)c;
                n += snprintf(b + n, sizeof(b) - n, "%sxxxxxxxxxxx\"}", tails[tail]);
                int want = jansson_ok(b, n) ? LS_JSCAN_OK : LS_JSCAN_INVALID;
                cr_assert_eq(scan(b, n), want, "byte 0x%02x at %d: [%.*s]", c, at, n, b);
            }
        }
    }
}

/* ---- numbers ---- */

Test(jscan, number_grammar)
{
    OK("{\"a\":[0,-0,1,-1,10,0.5,-0.5,1e5,1E5,1e+5,1e-5,1.5e-3,-1.25E+10,0e0,0.0]}");
    BAD("{\"a\":01}");
    BAD("{\"a\":-01}");
    BAD("{\"a\":00}");
    BAD("{\"a\":1.}");
    BAD("{\"a\":.5}");
    BAD("{\"a\":-}");
    BAD("{\"a\":-a}");
    BAD("{\"a\":+1}");
    BAD("{\"a\":1e}");
    BAD("{\"a\":1e+}");
    BAD("{\"a\":1.e5}");
    BAD("{\"a\":0x10}");
    BAD("{\"a\":--1}");
    BAD("{\"a\":1.5.3}");
    BAD("{\"a\":1e5e5}");
    BAD("{\"a\":1");
    BAD("{\"a\":-");
}

Test(jscan, integer_range)
{
    OK("{\"a\":9223372036854775807}");
    OK("{\"a\":-9223372036854775808}");
    OK("{\"a\":999999999999999999}");
    BAD("{\"a\":9223372036854775808}");
    BAD("{\"a\":-9223372036854775809}");
    BAD("{\"a\":9999999999999999999}");
    BAD("{\"a\":12345678901234567890123}");
    /* a real is no integer: no int64 limit */
    OK("{\"a\":9223372036854775808.0}");
    OK("{\"a\":12345678901234567890123e0}");
}

Test(jscan, real_range)
{
    OK("{\"a\":1e307}");
    OK("{\"a\":9.99e307}");
    OK("{\"a\":0.1e308}");
    OK("{\"a\":1e-400}"); /* underflow is no error */
    OK("{\"a\":-1e-99999999999999999999}");
    OK("{\"a\":0e99999999999999999999}");
    OK("{\"a\":0.000e400}");
    BAD("{\"a\":1e309}");
    BAD("{\"a\":-1e309}");
    BAD("{\"a\":1e99999999999999999999}");
    BAD("{\"a\":0.00001e315}");
    BAD("{\"a\":123.5e307}");
    /* between 1e308 and 1e310 strtod decides, as it does for jansson */
    OK("{\"a\":1e308}");
    OK("{\"a\":1.7976931348623157e308}");
    OK("{\"a\":-0.17976931348623157e309}");
    BAD("{\"a\":1.8e308}");
    BAD("{\"a\":1.7976931348623159e308}");
    BAD("{\"a\":-9.99e308}");
    /* a long one in the band: copied whole for strtod */
    char b[400];
    int n = snprintf(b, sizeof(b), "{\"a\":1.%0300de308}", 0);
    expect(LS_JSCAN_OK, b, (size_t)n);
    n = snprintf(b, sizeof(b), "{\"a\":1.8%0300de308}", 0);
    expect(LS_JSCAN_INVALID, b, (size_t)n);
}

/* ---- literals, structure ---- */

Test(jscan, literals)
{
    OK("{\"a\":[true,false,null]}");
    BAD("{\"a\":truex}");
    BAD("{\"a\":True}");
    BAD("{\"a\":nul}");
    BAD("{\"a\":nulll}");
    BAD("{\"a\":tru}");
    BAD("{\"a\":t}");
    BAD("{\"a\":true1}");
    BAD("{\"a\":NaN}");
    BAD("{\"a\":Infinity}");
    BAD("{\"a\":undefined}");
}

/* jansson drops one NUL byte right after a number or a literal (see jscan.c) */
Test(jscan, nul_after_token)
{
    OK("{\"a\":1\0}");
    OK("{\"a\":1.5e3\0 }");
    OK("{\"a\":[true\0,false\0,null\0]}");
    OK("{\"a\":-0\0\n}");
    BAD("{\"a\":1\0\0}");
    BAD("{\"a\":\"x\"\0}");
    BAD("{\"a\":[]\0}");
    BAD("{\0\"a\":1}");
    BAD("{\"a\"\0:1}");
    BAD("{\"a\":1}\0");
    BAD("{\"a\":1,\0\"b\":2}");
}

Test(jscan, structure)
{
    OK("{}");
    OK(" \t\r\n{ \"a\" : [ 1 , { } , [ ] ] , \"b\" : { \"c\" : \"d\" } } \n");
    OK("{\"\":\"\"}");
    BAD("");
    BAD("   ");
    BAD("\v{}"); /* not JSON whitespace */
    BAD("{}\f");
    BAD("\xef\xbb\xbf{}"); /* a BOM */
    BAD("[]");             /* jansson takes it; ls_parse_json wants an object */
    BAD("[{\"ID\":\"x\"}]");
    BAD("\"x\"");
    BAD("1");
    BAD("null");
    BAD("{");
    BAD("{\"a\"");
    BAD("{\"a\":");
    BAD("{\"a\"}");
    BAD("{\"a\" 1}");
    BAD("{\"a\"::1}");
    BAD("{,}");
    BAD("{\"a\":1,}");
    BAD("{\"a\":1,,\"b\":2}");
    BAD("{\"a\":1 \"b\":2}");
    BAD("{1:2}");
    BAD("{a:1}");
    BAD("{'a':1}");
    BAD("{\"a\":[1,]}");
    BAD("{\"a\":[,1]}");
    BAD("{\"a\":[1 2]}");
    BAD("{\"a\":[}");
    BAD("{\"a\":{]}");
    BAD("{\"a\":[1}}");
    BAD("{\"a\":1]");
    BAD("{\"a\":1}}");
    BAD("{\"a\":/*c*/1}");
}

Test(jscan, trailing)
{
    OK("{} \n\t\r ");
    BAD("{} x");
    BAD("{}{}");
    BAD("{},");
    BAD("{}]");
    BAD("{} 1");
    BAD("{}\"\"");
}

Test(jscan, depth)
{
    /* jansson's limit is 2048 values deep: the root and 2047 arrays, the innermost empty, or
     * the root, 2046 arrays and a scalar */
    for (int n = 2040; n <= 2049; n++) {
        size_t len = 6 + 2 * (size_t)n;
        char *b = malloc(len + 1);
        cr_assert_not_null(b);
        memcpy(b, "{\"a\":", 5);
        memset(b + 5, '[', n);
        memset(b + 5 + n, ']', n);
        b[len - 1] = '}';
        b[len] = '\0';
        expect(n <= 2047 ? LS_JSCAN_OK : LS_JSCAN_INVALID, b, len);
        /* the innermost [] becomes a scalar: inside n - 1 arrays, as deep as n arrays */
        b[5 + n - 1] = '1';
        b[5 + n] = ' ';
        expect(n <= 2047 ? LS_JSCAN_OK : LS_JSCAN_INVALID, b, len);
        free(b);
    }
}

/* ---- the members, as ls_j_get finds them ---- */

Test(jscan, members)
{
    OK("{\"ID\":\"abc\",\"Name\":\"/web\"}");
    expect_member(0, LS_JSCAN_STRING, "abc");
    expect_member(1, LS_JSCAN_STRING, "/web");
    OK("{\"x\":{\"ID\":\"a\",\"Name\":\"b\"},\"y\":[{\"ID\":\"c\"}]}"); /* nested: not members */
    expect_member(0, LS_JSCAN_ABSENT, NULL);
    expect_member(1, LS_JSCAN_ABSENT, NULL);
    OK("{\"ID\":null,\"Name\":\"\"}");
    expect_member(0, LS_JSCAN_ABSENT, NULL);
    expect_member(1, LS_JSCAN_STRING, "");
    OK("{\"ID\":1,\"Name\":true}");
    expect_member(0, LS_JSCAN_OTHER, NULL);
    expect_member(1, LS_JSCAN_OTHER, NULL);
    OK("{\"ID\":{\"ID\":\"x\"},\"Name\":[\"x\"]}");
    expect_member(0, LS_JSCAN_OTHER, NULL);
    expect_member(1, LS_JSCAN_OTHER, NULL);
    OK("{\"ID\":false,\"Name\":-1.5}");
    expect_member(0, LS_JSCAN_OTHER, NULL);
    expect_member(1, LS_JSCAN_OTHER, NULL);
    OK("{\"ID \":\"x\",\"Names\":\"y\",\"I\":\"z\"}");
    expect_member(0, LS_JSCAN_ABSENT, NULL);
    expect_member(1, LS_JSCAN_ABSENT, NULL);
    UNSURE("{\"ID\":\"\xc3\xa9\\u00e9\",\"Name\":\"\xc3\xa9\"}"); /* escaped and chosen */
    OK("{\"ID\":\"\xc3\xa9\",\"Name\":\"\xc3\xa9\"}");
    expect_member(0, LS_JSCAN_STRING, "\xc3\xa9");
}

Test(jscan, escapes_left_to_jansson)
{
    UNSURE("{\"ID\":\"a\\/b\"}");
    UNSURE("{\"Name\":\"\\/web\"}");
    UNSURE("{\"\\u0049D\":\"x\"}"); /* decodes to "ID" */
    UNSURE("{\"a\\n\":1,\"ID\":\"x\"}");
    /* an escape elsewhere costs nothing */
    OK("{\"ID\":\"x\",\"a\":\"\\n\",\"b\":{\"\\u0049D\":\"y\"}}");
    expect_member(0, LS_JSCAN_STRING, "x");
    /* a replaced escaped value is not the chosen one */
    OK("{\"ID\":\"\\n\",\"ID\":\"y\"}");
    expect_member(0, LS_JSCAN_STRING, "y");
    /* and an invalid document is invalid whatever it holds */
    BAD("{\"ID\":\"\\/\",\"a\":01}");
}

Test(jscan, duplicates)
{
    OK("{\"ID\":\"a\",\"Name\":\"n\",\"ID\":\"b\"}");
    expect_member(0, LS_JSCAN_STRING, "b");
    OK("{\"ID\":\"a\",\"ID\":null}");
    expect_member(0, LS_JSCAN_ABSENT, NULL);
    OK("{\"ID\":null,\"ID\":\"a\"}");
    expect_member(0, LS_JSCAN_STRING, "a");
    OK("{\"ID\":\"a\",\"ID\":7}");
    expect_member(0, LS_JSCAN_OTHER, NULL);
    OK("{\"ID\":{},\"ID\":\"a\"}");
    expect_member(0, LS_JSCAN_STRING, "a");
}

Test(jscan, case_insensitive)
{
    OK("{\"id\":\"x\",\"NAME\":\"y\"}");
    expect_member(0, LS_JSCAN_STRING, "x");
    expect_member(1, LS_JSCAN_STRING, "y");
    /* an exact key wins wherever it is */
    OK("{\"ID\":\"e\",\"id\":\"x\"}");
    expect_member(0, LS_JSCAN_STRING, "e");
    OK("{\"id\":\"x\",\"ID\":\"e\",\"Id\":\"z\"}");
    expect_member(0, LS_JSCAN_STRING, "e");
    /* an exact null stops the search */
    OK("{\"ID\":null,\"id\":\"x\"}");
    expect_member(0, LS_JSCAN_ABSENT, NULL);
    /* of several spellings the one first seen last wins, with its last value */
    OK("{\"id\":\"a\",\"Id\":\"b\",\"id\":\"c\"}");
    expect_member(0, LS_JSCAN_STRING, "b");
    OK("{\"Id\":\"b\",\"id\":\"a\",\"Id\":\"c\"}");
    expect_member(0, LS_JSCAN_STRING, "a");
    OK("{\"name\":\"a\",\"nAme\":null}");
    expect_member(1, LS_JSCAN_ABSENT, NULL);
    OK("{\"name\":null,\"nAme\":\"b\",\"name\":\"c\"}");
    expect_member(1, LS_JSCAN_STRING, "b");
    OK("{\"id\":\"a\",\"x\":{\"Id\":\"b\"}}"); /* a nested spelling is no member */
    expect_member(0, LS_JSCAN_STRING, "a");
    OK("{\"iD\":1}");
    expect_member(0, LS_JSCAN_OTHER, NULL);
    /* more spellings than the scanner keeps: jansson answers */
    UNSURE("{\"name\":1,\"nAme\":1,\"naMe\":1,\"namE\":1,\"NAme\":1,\"NaMe\":1,\"NamE\":1,"
           "\"nAMe\":1,\"nAmE\":1}");
    OK("{\"name\":1,\"nAme\":1,\"naMe\":1,\"namE\":1,\"NAme\":1,\"NaMe\":1,\"NamE\":1,"
       "\"nAMe\":\"8\",\"nAMe\":\"x\",\"name\":2}");
    expect_member(1, LS_JSCAN_STRING, "x");
}

Test(jscan, docker_file)
{
    /* the shape Docker writes (abridged), with the usual escapes Go puts in other values */
    OK("{\"StreamConfig\":{},\"State\":{\"Running\":false,\"Pid\":0,\"ExitCode\":0,"
       "\"StartedAt\":\"0001-01-01T00:00:00Z\",\"Health\":null},\"ID\":\"" CID1 "\","
       "\"Created\":\"2026-11-23T00:38:56.233772114Z\",\"Path\":\"sh\",\"Args\":[\"-c\","
       "\"echo \\u003chi\\u003e \\u0026\\u0026 exit 0\"],\"Config\":{\"Env\":null,"
       "\"Labels\":{}},\"Image\":\"sha256:" HEX_A "\",\"Name\":\"/web-1\",\"RestartCount\":0,"
       "\"MountPoints\":{},\"NetworkSettings\":{\"Ports\":{\"80/tcp\":null}}}\n");
    expect_member(0, LS_JSCAN_STRING, CID1);
    expect_member(1, LS_JSCAN_STRING, "/web-1");
}

/* ---- layerstore_container_name: the scanned path and jansson's give the same answers ---- */

static struct fx f;
static struct layerstore *ls;

static void name_teardown(void)
{
    layerstore_close(ls);
    ls = NULL;
    fx_cleanup(&f);
}

TestSuite(jscan_name, .fini = name_teardown, .timeout = 60);

#define CFG1 "containers/" CID1 "/config.v2.json"

static void name_open(void)
{
    struct bf_error err = BF_ERROR_INIT;
    fx_std(&f, "overlay2");
    cr_assert_eq(layerstore_open(f.root, &(struct ls_options){0}, &ls, &err), 0, "%s",
                 bf_error_message(&err));
}

/* name of CID1 whose config.v2.json is `len` bytes of `json`: 0 and `want`, or the error */
static void name_is(const char *json, size_t len, int rc, const char *want)
{
    struct bf_error err = BF_ERROR_INIT;
    struct ls_inputs in = {0};
    char *name = NULL;

    fx_write_len(&f, CFG1, json, len);
    int r = layerstore_container_name(ls, CID1, &name, &in, &err);
    cr_assert_eq(r, rc, "[%.*s]: %d (%s)", (int)len, json, r, bf_error_message(&err));
    cr_assert_eq(in.n, 1, "the file is recorded once");
    cr_assert_str_eq(in.v[0].rel, CFG1);
    if (rc == 0) {
        cr_assert_str_eq(name, want);
    } else {
        cr_assert_null(name);
        cr_assert_str_eq(bf_error_message(&err), want);
    }
    free(name);
    bf_error_clear(&err);
    ls_inputs_free(&in);
}

#define NAME_OK(lit, want) name_is(lit, sizeof(lit) - 1, 0, want)
#define NAME_ERR(lit, msg) name_is(lit, sizeof(lit) - 1, -EINVAL, CFG1 ": " msg)
#define IDJ "\"ID\":\"" CID1 "\""

Test(jscan_name, scanned)
{
    name_open();
    NAME_OK("{" IDJ ",\"Name\":\"/web\"}", "web");
    NAME_OK("{" IDJ ",\"Name\":\"web\"}", "web");
    NAME_OK("{" IDJ "}", "");
    NAME_OK("{" IDJ ",\"Name\":null}", "");
    NAME_OK("{" IDJ ",\"Name\":\"/\"}", "");
    NAME_OK("{\"id\":\"" CID1 "\",\"nAME\":\"/a.b_c-d\"}", "a.b_c-d");
    NAME_OK("{" IDJ ",\"Name\":\"/x1\",\"Name\":\"/x2\",\"name\":\"/x3\"}", "x2");
    NAME_OK("{" IDJ ",\"Name\":\"/web\",\"n\":1\0}", "web");
    NAME_ERR("{\"Name\":\"/web\"}", "\"ID\" is missing (the container is stored at " CID1 ")");
    NAME_ERR("{\"ID\":null}", "\"ID\" is missing (the container is stored at " CID1 ")");
    NAME_ERR("{\"ID\":\"" CID2 "\",\"Name\":7}", "Container " CID2 " is stored at " CID1);
    NAME_ERR("{\"ID\":7}", "\"ID\" must be a string");
    NAME_ERR("{" IDJ ",\"Name\":[]}", "\"Name\" must be a string");
    NAME_ERR("{" IDJ ",\"Name\":\"/a b\"}",
             "Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    NAME_ERR("{" IDJ ",\"Name\":\"//web\"}",
             "Invalid container name (/web), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    NAME_ERR("{" IDJ ",\"Name\":\"/w\"}",
             "Invalid container name (w), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

Test(jscan_name, fallback)
{
    name_open();
    /* escapes in the values, an escaped key, deep nesting, a real near overflow: jansson */
    NAME_OK("{\"ID\":\"\\u0061bc1230000000000000000000000000000000000000000000000000000000000\","
            "\"Name\":\"\\/w\\u0065b\"}",
            "web");
    NAME_OK("{" IDJ ",\"\\u004eame\":\"/esc\"}", "esc");
    NAME_OK("{" IDJ ",\"Name\":\"/web\",\"x\":1e308}", "web");
    NAME_ERR("{" IDJ ",\"Name\":\"/web\",\"x\":1.8e308}",
             "invalid JSON: real number overflow near '1.8e308' (line 1, column 98)");
    NAME_ERR("{" IDJ ",\"Name\":\"\\/a\\tb\"}",
             "Invalid container name (a\tb), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    /* every error about the JSON itself is jansson's */
    NAME_ERR("", "file is empty");
    NAME_ERR(" \v", "file is empty");
    NAME_ERR("[]", "expected a JSON object");
    NAME_ERR("{" IDJ ",\"Name\":\"/web\"",
             "invalid JSON: '}' expected near end of file (line 1, column 86)");
    NAME_ERR("{" IDJ ",\"Name\":\"/web\",\"x\":01}",
             "invalid JSON: invalid token near '0' (line 1, column 92)");
    NAME_ERR("\xef\xbb\xbf{" IDJ "}",
             "invalid JSON: '[' or '{' expected near '\xef\xbb\xbf' (line 1, column 1)");
    NAME_ERR("{" IDJ ",\"x\":\"\\ud800\"}",
             "invalid JSON: invalid Unicode '\\uD800' near '\"\\ud800\"' (line 1, column 85)");
}

/* ls_jscan_spans: each object and array in opening order with its closing bracket; none for a
 * document the scanner refuses. */
Test(jscan, spans_of_objects_and_arrays)
{
    const char *doc = "{\"a\":[1,{\"b\":\"}]\"},[]],\"c\":{},\"d\":\"[\"}";
    struct ls_jscan_span *sp = NULL;
    size_t n = 0;

    cr_assert_eq(ls_jscan_spans(doc, strlen(doc), &sp, &n), LS_JSCAN_OK);
    cr_assert_not_null(sp);
    cr_assert_eq(n, 5, "the root, the array, the inner object, [] and {}: %zu", n);
    for (size_t i = 0; i < n; i++) {
        cr_assert(doc[sp[i].open] == '{' || doc[sp[i].open] == '[', "span %zu", i);
        cr_assert_eq(doc[sp[i].close], doc[sp[i].open] == '{' ? '}' : ']', "span %zu", i);
        cr_assert(i == 0 || sp[i].open > sp[i - 1].open, "in opening order");
    }
    cr_assert_eq(sp[0].open, 0);
    cr_assert_eq(sp[0].close, strlen(doc) - 1);
    cr_assert_eq(sp[1].open, 5);
    cr_assert_eq(doc[sp[1].close + 1], ',', "the array ends before ,\"c\"");
    free(sp);
    cr_assert_eq(ls_jscan_spans("{\"a\":[}", 7, &sp, &n), LS_JSCAN_INVALID);
    cr_assert_null(sp);
    cr_assert_eq(n, 0);
}
