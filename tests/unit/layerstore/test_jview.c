/* jview.c: Go encoding/json's reading of a document from its bytes, as ls_j_* read jansson's
 * tree: member lookup (exact, case-insensitive, duplicates, null), jansson's iteration order,
 * typed reads and their messages, field tables and their check order, deep nesting, long
 * strings and escapes. Lookups are also asked of ls_j_get on jansson's own tree. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jview.h"
#include "ls_internal.h"

TestSuite(jview, .timeout = 60);

static struct bf_error err = BF_ERROR_INIT;
static struct ls_jdoc doc;

static void open_doc(const char *buf, size_t len)
{
    bf_error_clear(&err);
    int r = ls_jdoc_open(&doc, "f.json", buf, len, &err);
    cr_assert_eq(r, 0, "open [%.*s]: %s", (int)len, buf, bf_error_message(&err));
}

#define OPEN(lit) open_doc(lit, sizeof(lit) - 1)

/* json_dumps's text as a malloc'd copy (jansson's allocator may be layerstore's arena). */
static char *dumps(const json_t *j)
{
    json_malloc_t m;
    json_free_t f;
    char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY), *s = strdup(t);
    json_get_alloc_funcs(&m, &f);
    f(t);
    return s;
}

/* The value ls_jv_get gives for key, as its JSON text up to the next ',' or '}' at depth 0. */
static char *get_text(const char *obj, const char *key)
{
    const char *v = ls_jv_get(&doc, obj, key, strlen(key));
    if (!v)
        return strdup("(absent)");
    json_error_t e;
    json_t *j = json_loadb(v, strlen(v), JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &e);
    cr_assert_not_null(j, "value at [%s]", v);
    char *s = dumps(j);
    json_decref(j);
    return s;
}

/* ls_j_get on jansson's tree of the same bytes, as text. */
static char *jansson_text(const char *buf, size_t len, const char *key)
{
    json_error_t e;
    json_t *root = json_loadb(buf, len, 0, &e), *v;
    cr_assert_not_null(root);
    v = ls_j_get(root, key);
    char *s = v ? dumps(v) : strdup("(absent)");
    json_decref(root);
    return s;
}

static void expect_get(const char *buf, const char *key, const char *want)
{
    open_doc(buf, strlen(buf));
    char *got = get_text(doc.root, key), *j = jansson_text(buf, strlen(buf), key);
    cr_expect_str_eq(got, want, "\"%s\" in %s", key, buf);
    cr_expect_str_eq(j, want, "ls_j_get disagrees with the test: \"%s\" in %s", key, buf);
    free(got);
    free(j);
    ls_jdoc_close(&doc);
}

Test(jview, lookup_exact_and_duplicates)
{
    expect_get("{\"a\":1,\"b\":2}", "a", "1");
    expect_get("{\"a\":1,\"b\":2}", "c", "(absent)");
    expect_get("{\"a\":1,\"a\":2}", "a", "2");           /* the last duplicate */
    expect_get("{\"a\":1,\"A\":2}", "a", "1");           /* exact before case-insensitive */
    expect_get("{\"A\":2,\"a\":1}", "a", "1");           /* whatever the order */
    expect_get("{\"a\":null,\"A\":2}", "a", "(absent)"); /* an exact null does not fall back */
    expect_get("{\"a\":1,\"a\":null}", "a", "(absent)");
    expect_get("{\"a\":null,\"a\":3}", "a", "3");
    expect_get("{\"ab\":1}", "a", "(absent)");
    expect_get("{\"\":5}", "", "5");
    expect_get("{}", "a", "(absent)");
}

Test(jview, lookup_case_insensitive)
{
    expect_get("{\"ID\":\"x\"}", "id", "\"x\"");
    expect_get("{\"iD\":1,\"Id\":2}", "id", "2");          /* the spelling first seen last */
    expect_get("{\"iD\":1,\"Id\":2,\"iD\":3}", "id", "2"); /* iD was first seen before Id */
    expect_get("{\"Id\":2,\"iD\":1,\"Id\":4}", "id", "1");
    expect_get("{\"iD\":1,\"Id\":2,\"Id\":5}", "id", "5"); /* the winner's last duplicate */
    expect_get("{\"iD\":1,\"Id\":null}", "id", "(absent)");
    expect_get("{\"I\\u0044\":7}", "ID", "7"); /* an escaped key decodes to the exact one */
    expect_get("{\"i\\u0064\":7,\"ID\":8}", "ID", "8");
    expect_get("{\"\\u0069\\u0064\":7}", "ID", "7");
    expect_get("{\"\\u00c9\":1}", "\xc3\xa9", "(absent)"); /* only ASCII letters fold */
    expect_get("{\"N\\u00e9\":1}", "N\xc3\xa9", "1");
    /* 16 spellings, each three times, interleaved */
    char buf[4096];
    size_t n = 0;
    const char *sp[] = {"name", "NAME", "Name", "nAme", "naMe", "namE", "NAme", "NaMe",
                        "NamE", "nAMe", "nAmE", "naME", "NAMe", "NAmE", "NaME", "nAME"};
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{");
    for (int rep = 0; rep < 3; rep++)
        for (size_t i = 0; i < 16; i++)
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"%s\":%d", n > 1 ? "," : "",
                                  sp[(i * 7 + (size_t)rep) % 16], (int)(rep * 100 + i));
    snprintf(buf + n, sizeof(buf) - n, "}");
    expect_get(buf, "NAMEX", "(absent)");
    /* "Name" itself is spelled exactly among them: make a variant without it */
    char *noexact = strdup(buf);
    for (char *p = noexact; (p = strstr(p, "\"Name\"")); p++)
        memcpy(p + 1, "nAMe", 4);
    char *want = jansson_text(noexact, strlen(noexact), "Name");
    expect_get(noexact, "Name", want);
    free(want);
    free(noexact);
}

Test(jview, nested_and_paths)
{
    OPEN("{\"Config\":{\"Hostname\":\"h\",\"env\":[\"A=1\"]},\"config\":{\"Hostname\":\"x\"},"
         "\"State\":{\"Dead\":true}}");
    char *s = get_text(ls_jv_path(&doc, doc.root, "Config"), "Hostname");
    cr_expect_str_eq(s, "\"h\"");
    free(s);
    cr_expect_not_null(ls_jv_path(&doc, doc.root, "Config.Env"));
    cr_expect_null(ls_jv_path(&doc, doc.root, "Config.Missing.Deeper"));
    cr_expect_null(ls_jv_path(&doc, doc.root, "State.Dead.x")); /* not an object */
    cr_expect(ls_jv_path(&doc, doc.root, "state.dead")[0] == 't');
    ls_jdoc_close(&doc);
}

Test(jview, members_like_jansson)
{
    /* small (plain search) and large (sorted) maps: distinct keys in first-seen order, each
     * with its last value, null values kept */
    for (int big = 0; big < 2; big++) {
        char buf[8192];
        size_t n =
            (size_t)snprintf(buf, sizeof(buf), "{\"b\":1,\"a\":2,\"b\":3,\"c\":null,\"a\":4");
        for (int i = 0; big && i < 40; i++)
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",\"k%d\":%d,\"b\":%d", i % 25, i,
                                  100 + i);
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",\"\\u0062\":5}");
        open_doc(buf, n);
        struct ls_jmember *m;
        size_t cnt;
        cr_assert_eq(ls_jv_members(&doc, doc.root, &m, &cnt), 0);
        json_error_t e;
        json_t *root = json_loadb(buf, n, 0, &e), *v;
        const char *k;
        size_t i = 0;
        cr_assert_eq(cnt, json_object_size(root));
        json_object_foreach(root, k, v)
        {
            cr_expect_eq(m[i].klen, strlen(k));
            cr_expect_eq(memcmp(m[i].key, k, m[i].klen), 0, "member %zu: %s", i, k);
            char *a = dumps(v);
            json_t *jv = json_loadb(m[i].val, strlen(m[i].val),
                                    JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &e);
            char *b = dumps(jv);
            cr_expect_str_eq(b, a, "value of %s", k);
            free(a);
            free(b);
            json_decref(jv);
            i++;
        }
        json_decref(root);
        free(m);
        ls_jdoc_close(&doc);
    }
}

static const struct ls_jname nm = {.path = "P"};
static const struct ls_jname pre = {.pre = "Outer.key", .pre_len = 5, .path = "P"};

Test(jview, typed_reads)
{
    OPEN("{\"s\":\"a\\u00e9\\n\\ud83d\\ude00\",\"n\":null,\"i\":-9223372036854775808,"
         "\"max\":9223372036854775807,\"z\":-0,\"r\":1.0,\"e\":1e2,\"t\":true,\"f\":false,"
         "\"v\":[\"x\",\"y\"],\"vn\":[\"x\",null],\"kv\":{\"b\":\"2\",\"a\":null},"
         "\"kvbad\":{\"a\":1},\"o\":{}}");
    const char *r = doc.root;
    char *s;
    int64_t i;
    uint64_t u;
    bool b;
    char **v;
    size_t n;
    struct ls_kv *kv;

    cr_assert_eq(ls_jv_string(&doc, ls_jv_get(&doc, r, "s", 1), &nm, "", &s), 0);
    cr_expect_str_eq(s, "a\xc3\xa9\n\xf0\x9f\x98\x80");
    free(s);
    cr_assert_eq(ls_jv_string(&doc, ls_jv_get(&doc, r, "n", 1), &nm, "dflt", &s), 0);
    cr_expect_str_eq(s, "dflt");
    free(s);
    cr_assert_eq(ls_jv_string(&doc, NULL, &nm, NULL, &s), 0);
    cr_expect_null(s);
    cr_expect_eq(ls_jv_string(&doc, ls_jv_get(&doc, r, "t", 1), &nm, "", &s), -EINVAL);
    cr_expect_str_eq(bf_error_message(&err), "f.json: \"P\" must be a string");
    cr_expect_eq(ls_jv_string(&doc, ls_jv_get(&doc, r, "i", 1), &pre, "", &s), -EINVAL);
    cr_expect_str_eq(bf_error_message(&err), "f.json: \"Outer.P\" must be a string");

    cr_assert_eq(ls_jv_int64(&doc, ls_jv_get(&doc, r, "i", 1), &nm, &i), 0);
    cr_expect_eq(i, INT64_MIN);
    cr_assert_eq(ls_jv_int64(&doc, ls_jv_get(&doc, r, "max", 3), &nm, &i), 0);
    cr_expect_eq(i, INT64_MAX);
    cr_assert_eq(ls_jv_int64(&doc, ls_jv_get(&doc, r, "z", 1), &nm, &i), 0);
    cr_expect_eq(i, 0);
    cr_expect_eq(ls_jv_int64(&doc, ls_jv_get(&doc, r, "r", 1), &nm, &i), -EINVAL);
    cr_expect_str_eq(bf_error_message(&err), "f.json: \"P\" must be an integer");
    cr_expect_eq(ls_jv_int64(&doc, ls_jv_get(&doc, r, "e", 1), &nm, &i), -EINVAL);
    cr_assert_eq(ls_jv_uint64(&doc, ls_jv_get(&doc, r, "z", 1), &nm, &u), 0);
    cr_expect_eq(ls_jv_uint64(&doc, ls_jv_get(&doc, r, "i", 1), &nm, &u), -EINVAL);
    cr_expect_str_eq(bf_error_message(&err), "f.json: \"P\" must be a non-negative integer");

    cr_assert_eq(ls_jv_bool(&doc, ls_jv_get(&doc, r, "t", 1), &nm, &b), 0);
    cr_expect(b);
    cr_assert_eq(ls_jv_bool(&doc, ls_jv_get(&doc, r, "f", 1), &nm, &b), 0);
    cr_expect_not(b);
    cr_expect_eq(ls_jv_bool(&doc, ls_jv_get(&doc, r, "s", 1), &nm, &b), -EINVAL);
    cr_expect_str_eq(bf_error_message(&err), "f.json: \"P\" must be a boolean");

    cr_assert_eq(ls_jv_strv(&doc, ls_jv_get(&doc, r, "v", 1), &nm, &v, &n), 0);
    cr_expect_eq(n, 2);
    cr_expect_str_eq(v[1], "y");
    ls_strv_free(v, n);
    cr_expect_eq(ls_jv_strv(&doc, ls_jv_get(&doc, r, "vn", 2), &nm, &v, &n), -EINVAL);
    cr_expect_str_eq(bf_error_message(&err), "f.json: \"P\" must be an array of strings");
    cr_expect_eq(ls_jv_strv(&doc, ls_jv_get(&doc, r, "o", 1), &nm, &v, &n), -EINVAL);

    cr_assert_eq(ls_jv_kv(&doc, ls_jv_get(&doc, r, "kv", 2), &nm, &kv, &n), 0);
    cr_expect_eq(n, 2);
    cr_expect_str_eq(kv[0].key, "a"); /* sorted */
    cr_expect_str_eq(kv[0].value, "");
    cr_expect_str_eq(kv[1].value, "2");
    ls_kv_free(kv, n);
    cr_expect_eq(ls_jv_kv(&doc, ls_jv_get(&doc, r, "kvbad", 5), &nm, &kv, &n), -EINVAL);
    cr_expect_str_eq(bf_error_message(&err), "f.json: \"P\" must be an object of strings");

    const char *o;
    cr_expect_eq(ls_jv_object(&doc, ls_jv_get(&doc, r, "v", 1), &nm, &o), -EINVAL);
    cr_expect_str_eq(bf_error_message(&err), "f.json: \"P\" must be an object");
    cr_assert_eq(ls_jv_object(&doc, ls_jv_get(&doc, r, "n", 1), &nm, &o), 0);
    cr_expect_null(o);
    ls_jdoc_close(&doc);
}

struct rec {
    char *a, *b;
    int64_t n;
    bool t;
};

static const struct ls_jfield rec_fields[] = {
    {.path = "A", .kind = LS_JF_STRING, .off = offsetof(struct rec, a), .dflt = ""},
    {.path = "In.N", .kind = LS_JF_INT64, .off = offsetof(struct rec, n)},
    {.path = "In.B", .kind = LS_JF_STRING, .off = offsetof(struct rec, b)},
    {.path = "T", .kind = LS_JF_BOOL, .off = offsetof(struct rec, t)},
    {.path = NULL},
};

static int fill(const char *buf, struct rec *x)
{
    memset(x, 0, sizeof(*x));
    open_doc(buf, strlen(buf));
    int r = ls_jv_fill(&doc, doc.root, "Outer.key", -1, rec_fields, x);
    ls_jdoc_close(&doc);
    return r;
}

static void rec_free(struct rec *x)
{
    free(x->a);
    free(x->b);
}

Test(jview, fill_in_table_order)
{
    struct rec x;

    cr_assert_eq(fill("{\"t\":true,\"in\":{\"n\":5,\"B\":\"b\"},\"a\":\"s\"}", &x), 0);
    cr_expect_str_eq(x.a, "s");
    cr_expect_eq(x.n, 5);
    cr_expect_str_eq(x.b, "b");
    cr_expect(x.t);
    rec_free(&x);
    cr_assert_eq(fill("{}", &x), 0);
    cr_expect_str_eq(x.a, "");
    cr_expect_null(x.b);
    rec_free(&x);
    /* two errors: the table's first is reported, wherever it is in the file */
    cr_expect_eq(fill("{\"T\":1,\"In\":{\"N\":\"x\"}}", &x), -EINVAL);
    cr_expect_str_eq(bf_error_message(&err), "f.json: \"Outer.key.In.N\" must be an integer");
    rec_free(&x);
    /* a later duplicate repairs an earlier wrong value */
    cr_assert_eq(fill("{\"T\":1,\"T\":false,\"In\":[],\"In\":{\"N\":-3}}", &x), 0);
    cr_expect_eq(x.n, -3);
    rec_free(&x);
}

Test(jview, deep_nesting_and_long_strings)
{
    /* jansson's own limit: the root and 2047 arrays under a member; one more is refused with
     * jansson's message */
    for (int n = 2047; n <= 2048; n++) {
        size_t len = 8 + 2 * (size_t)n + 8;
        char *b = malloc(len + 1);
        memcpy(b, "{\"a\":", 5);
        memset(b + 5, '[', n);
        memset(b + 5 + n, ']', n);
        memcpy(b + 5 + 2 * n, ",\"b\":1}", 8);
        size_t l = 5 + 2 * (size_t)n + 7;
        b[l] = '\0';
        bf_error_clear(&err);
        int r = ls_jdoc_open(&doc, "f.json", b, l, &err);
        if (n == 2047) {
            cr_assert_eq(r, 0, "%s", bf_error_message(&err));
            char *s = get_text(doc.root, "b"); /* skipping the deep value */
            cr_expect_str_eq(s, "1");
            free(s);
            ls_jdoc_close(&doc);
        } else {
            cr_expect_eq(r, -EINVAL);
            cr_expect(strstr(bf_error_message(&err), "maximum parsing depth reached"), "%s",
                      bf_error_message(&err));
        }
        free(b);
    }
    /* 4 MiB of string with escapes every 1000 bytes and a surrogate pair at the end */
    size_t big = 4u << 20;
    char *b = malloc(big + big / 500 + 64), *want = malloc(big + 8);
    size_t n = 0, w = 0;
    n += (size_t)sprintf(b, "{\"s\":\"");
    for (size_t i = 0; i < big; i++) {
        if (i % 1000 == 999) {
            memcpy(b + n, "\\\"", 2);
            n += 2;
            want[w++] = '"';
        } else {
            b[n++] = (char)('a' + i % 26);
            want[w++] = (char)('a' + i % 26);
        }
    }
    n += (size_t)sprintf(b + n, "\\ud834\\udd1e\"}");
    memcpy(want + w, "\xf0\x9d\x84\x9e", 5);
    open_doc(b, n);
    char *s;
    cr_assert_eq(ls_jv_string(&doc, ls_jv_get(&doc, doc.root, "s", 1), &nm, "", &s), 0);
    cr_expect_eq(strlen(s), w + 4);
    cr_expect_eq(memcmp(s, want, w + 5), 0);
    free(s);
    ls_jdoc_close(&doc);
    free(b);
    free(want);
}

Test(jview, open_errors_are_jansson_s)
{
    struct {
        const char *doc, *msg;
    } cases[] = {
        {"", "f.json: file is empty"},
        {" \n", "f.json: file is empty"},
        {"[1]", "f.json: expected a JSON object"},
        {"{\"a\":1,}", "f.json: invalid JSON: string or '}' expected near '}' (line 1, column 8)"},
        {"{\"a\":9223372036854775808}",
         "f.json: invalid JSON: too big integer near '9223372036854775808' (line 1, column 24)"},
        {"{\"a\":\"\\u0000\"}",
         "f.json: invalid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"\\u0000\"' "
         "(line 1, column 13)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bf_error_clear(&err);
        cr_expect_eq(ls_jdoc_open(&doc, "f.json", cases[i].doc, strlen(cases[i].doc), &err),
                     -EINVAL);
        cr_expect_str_eq(bf_error_message(&err), cases[i].msg);
    }
    /* the NUL byte jansson loses after a number is whitespace to the reader too */
    open_doc("{\"a\":1\0,\"b\":2}", 14);
    char *s = get_text(doc.root, "b");
    cr_expect_str_eq(s, "2");
    free(s);
    ls_jdoc_close(&doc);
}
