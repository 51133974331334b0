/* json.c - the single place a spec tree becomes bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_utf8.h"
#include "jarena.h"
#include "spec_internal.h"

/* A uint64 above INT64_MAX, which jansson's signed integers cannot hold: a string node of
 * SPEC_U64_MARK and the decimal digits, written by the writer as the bare number. No other
 * string can start so: every string the builder takes is checked UTF-8, and 0xff never is. */
#define SPEC_U64_MARK "\0\xff"
#define SPEC_U64_MARK_LEN 2

/* A value rendered beforehand (spec_b_raw): a string node of SPEC_RAW_MARK, the depth it was
 * rendered at, the format ('c' compact, 'i' indented), and its bytes, written as they are. The
 * writer checks the depth and format against where it meets the node: a fragment made for
 * another place is an error, never misindented output. */
#define SPEC_RAW_MARK "\0\xfe"
#define SPEC_RAW_MARK_LEN 2

/* The bytes json_dumpb(root, JSON_INDENT(2) or JSON_COMPACT) gives, written in one pass.
 * json_dumpb walks the tree twice here (once to size the buffer) and, per object and array,
 * formats its address into a loop-detection table, per string decodes every UTF-8 sequence and
 * calls back per piece: three quarters of a container's generation were spent there. The trees
 * are ours (no cycles: every node is inserted once, with _new). jansson's rules, kept exactly:
 * objects in insertion order; '"', '\\' and bytes below 0x20 escaped (\b \f \n \r \t, else
 * \u00XX in upper-case hex), everything else as is (no JSON_ENSURE_ASCII, no
 * JSON_ESCAPE_SLASH); "%lld" integers; reals, which only a credential spec file can bring, by
 * jansson itself; a string that is not UTF-8 by jansson's check is an error, as in
 * json_dumpb. */
struct wbuf {
    char *p;
    size_t len, cap;
    int failed; /* ENOMEM or EINVAL (not UTF-8): the whole render fails */
};

static bool wb_grow(struct wbuf *w, size_t more)
{
    size_t cap = w->cap ? w->cap : 4096;
    char *p;

    if (w->failed)
        return false;
    while (cap - w->len < more) {
        if (cap > SIZE_MAX / 2) {
            w->failed = ENOMEM;
            return false;
        }
        cap *= 2;
    }
    p = realloc(w->p, cap);
    if (!p) {
        w->failed = ENOMEM;
        return false;
    }
    w->p = p;
    w->cap = cap;
    return true;
}

static inline void wb_put(struct wbuf *w, const char *s, size_t n)
{
    if (w->cap - w->len < n && !wb_grow(w, n))
        return;
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

static inline void wb_char(struct wbuf *w, char c)
{
    if (w->cap == w->len && !wb_grow(w, 1))
        return;
    w->p[w->len++] = c;
}

static void wb_string(struct wbuf *w, const char *str, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str, *end = s + len, *run = s;

    wb_char(w, '"');
    while (s < end) {
        s += bf_plain_run(s, end);
        if (s >= end)
            break;
        unsigned c = *s;
        if (c >= 0x80) {
            size_t k = bf_utf8_seq(s, (size_t)(end - s));
            if (!k) {
                w->failed = EINVAL;
                return;
            }
            s += k;
            continue;
        }
        wb_put(w, (const char *)run, (size_t)(s - run));
        switch (c) {
        case '"':
            wb_put(w, "\\\"", 2);
            break;
        case '\\':
            wb_put(w, "\\\\", 2);
            break;
        case '\b':
            wb_put(w, "\\b", 2);
            break;
        case '\f':
            wb_put(w, "\\f", 2);
            break;
        case '\n':
            wb_put(w, "\\n", 2);
            break;
        case '\r':
            wb_put(w, "\\r", 2);
            break;
        case '\t':
            wb_put(w, "\\t", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            wb_put(w, u, sizeof(u));
        }
        }
        run = ++s;
    }
    wb_put(w, (const char *)run, (size_t)(s - run));
    wb_char(w, '"');
}

/* What jansson's dump_indent writes before an element at `depth`. */
static void wb_indent(struct wbuf *w, bool compact, int depth)
{
    static const char spaces[] = "                                ";

    if (compact)
        return;
    wb_char(w, '\n');
    for (size_t n = (size_t)depth * 2; n > 0;) {
        size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
        wb_put(w, spaces, k);
        n -= k;
    }
}

static void wb_value(struct wbuf *w, const json_t *v, bool compact, int depth)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        wb_put(w, "null", 4);
        break;
    case JSON_TRUE:
        wb_put(w, "true", 4);
        break;
    case JSON_FALSE:
        wb_put(w, "false", 5);
        break;
    case JSON_INTEGER: {
        char num[32];
        int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        wb_put(w, num, (size_t)n);
        break;
    }
    case JSON_REAL: {
        char *num = json_dumps(v, JSON_ENCODE_ANY);
        if (!num) {
            w->failed = ENOMEM;
            return;
        }
        wb_put(w, num, strlen(num));
        ja_free(num); /* jansson's block: its free function's */
        break;
    }
    case JSON_STRING: {
        const char *str = json_string_value(v);
        size_t len = json_string_length(v);
        if (len > SPEC_U64_MARK_LEN && memcmp(str, SPEC_U64_MARK, SPEC_U64_MARK_LEN) == 0) {
            wb_put(w, str + SPEC_U64_MARK_LEN, len - SPEC_U64_MARK_LEN); /* spec_b_u64 */
        } else if (len > SPEC_RAW_MARK_LEN + 2 &&
                   memcmp(str, SPEC_RAW_MARK, SPEC_RAW_MARK_LEN) == 0) {
            /* spec_b_raw */
            if ((unsigned char)str[SPEC_RAW_MARK_LEN] != (unsigned)depth ||
                str[SPEC_RAW_MARK_LEN + 1] != (compact ? 'c' : 'i')) {
                w->failed = EINVAL;
                return;
            }
            wb_put(w, str + SPEC_RAW_MARK_LEN + 2, len - SPEC_RAW_MARK_LEN - 2);
        } else {
            wb_string(w, str, len);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        wb_char(w, '[');
        for (size_t i = 0; i < n && !w->failed; i++) {
            if (i)
                wb_char(w, ',');
            wb_indent(w, compact, depth + 1);
            wb_value(w, json_array_get(v, i), compact, depth + 1);
        }
        if (n)
            wb_indent(w, compact, depth);
        wb_char(w, ']');
        break;
    }
    case JSON_OBJECT: {
        void *it = json_object_iter((json_t *)v);
        bool any = it != NULL;
        wb_char(w, '{');
        for (bool first = true; it && !w->failed; first = false) {
            const char *key = json_object_iter_key(it);
            if (!first)
                wb_char(w, ',');
            wb_indent(w, compact, depth + 1);
            wb_string(w, key, strlen(key));
            wb_put(w, compact ? ":" : ": ", compact ? 1 : 2);
            wb_value(w, json_object_iter_value(it), compact, depth + 1);
            it = json_object_iter_next((json_t *)v, it);
        }
        if (any)
            wb_indent(w, compact, depth);
        wb_char(w, '}');
        break;
    }
    }
}

int spec_json_render_value(const json_t *v, bool compact, int depth, char **out, size_t *len)
{
    struct wbuf w = {0};

    if (depth < 0 || depth > 255)
        return -EINVAL;
    wb_value(&w, v, compact, depth);
    if (w.failed) {
        free(w.p);
        return -w.failed;
    }
    if (!w.p && !(w.p = malloc(1)))
        return -ENOMEM;
    *out = w.p;
    *len = w.len;
    return 0;
}

json_t *spec_b_raw(struct spec_builder *b, const char *bytes, size_t len, bool compact, int depth)
{
    char *s = malloc(SPEC_RAW_MARK_LEN + 2 + len);
    json_t *j = NULL;

    if (s && depth >= 0 && depth <= 255) {
        memcpy(s, SPEC_RAW_MARK, SPEC_RAW_MARK_LEN);
        s[SPEC_RAW_MARK_LEN] = (char)(unsigned char)depth;
        s[SPEC_RAW_MARK_LEN + 1] = compact ? 'c' : 'i';
        memcpy(s + SPEC_RAW_MARK_LEN + 2, bytes, len);
        j = json_stringn_nocheck(s, SPEC_RAW_MARK_LEN + 2 + len);
    }
    free(s);
    if (!j)
        b->failed = true;
    return j;
}

int spec_json_render(json_t *root, bool compact, char **out, size_t *len, struct bf_error *err)
{
    struct wbuf w = {0};
    char *buf;

    if (!json_is_object(root) && !json_is_array(root))
        return bf_error_set(err, EINVAL, "cannot serialize the spec (invalid UTF-8 in a string?)");
    wb_value(&w, root, compact, 0);
    if (!compact)
        wb_char(&w, '\n');
    wb_char(&w, '\0');
    if (w.failed) {
        free(w.p);
        if (w.failed == ENOMEM)
            return bf_error_set(err, ENOMEM, "out of memory rendering the spec");
        return bf_error_set(err, EINVAL, "cannot serialize the spec (invalid UTF-8 in a string?)");
    }
    /* Exact size: generated bytes are kept as long as the container's files are cached. */
    buf = realloc(w.p, w.len);
    *out = buf ? buf : w.p;
    *len = w.len - 1;
    return 0;
}

/* Strings and keys go in unchecked: spec_json_render checks UTF-8 as it writes them (once,
 * instead of once here and again in json_dumpb), and spec_b_finish words a failure there
 * as it words one found while building. */
json_t *spec_b_str(struct spec_builder *b, const char *s)
{
    json_t *v = s ? json_stringn_nocheck(s, strlen(s)) : json_string("");
    if (!v)
        b->failed = true;
    return v;
}

json_t *spec_b_obj(struct spec_builder *b)
{
    json_t *o = json_object();
    if (!o)
        b->failed = true;
    return o;
}

json_t *spec_b_arr(struct spec_builder *b)
{
    json_t *a = json_array();
    if (!a)
        b->failed = true;
    return a;
}

json_t *spec_b_u64(struct spec_builder *b, uint64_t v)
{
    if (v > INT64_MAX) {
        char num[SPEC_U64_MARK_LEN + 24];
        memcpy(num, SPEC_U64_MARK, SPEC_U64_MARK_LEN);
        int n = snprintf(num + SPEC_U64_MARK_LEN, sizeof(num) - SPEC_U64_MARK_LEN, "%" PRIu64, v);
        json_t *j = json_stringn_nocheck(num, SPEC_U64_MARK_LEN + (size_t)n);
        if (!j)
            b->failed = true;
        return j;
    }
    return json_integer((json_int_t)v);
}

void spec_b_put(struct spec_builder *b, json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new_nocheck(obj, key, v) < 0)
        b->failed = true;
}

void spec_b_push(struct spec_builder *b, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v) < 0)
        b->failed = true;
}

void spec_b_put_env(struct spec_builder *b, json_t *process, const struct ls_container *c)
{
    json_t *env = NULL;

    for (size_t i = 0; i < c->config.n_env; i++) {
        if (!strchr(c->config.env[i], '='))
            continue;
        if (!env)
            env = spec_b_arr(b);
        spec_b_push(b, env, spec_b_str(b, c->config.env[i]));
    }
    if (env)
        spec_b_put(b, process, "env", env); /* omitempty */
}

void spec_b_put_hostname(struct spec_builder *b, json_t *root, const struct ls_container *c)
{
    char *full = NULL;

    if (!c->config.hostname || !*c->config.hostname)
        return;
    if (c->config.domainname && *c->config.domainname &&
        asprintf(&full, "%s.%s", c->config.hostname, c->config.domainname) < 0) {
        b->failed = true;
        return;
    }
    spec_b_put(b, root, "hostname", spec_b_str(b, full ? full : c->config.hostname));
    free(full);
}

int spec_b_finish(struct spec_builder *b, json_t *root, bool compact, const char *id,
                  const char *file, char **out, size_t *len, struct bf_error *err)
{
    int r = 0;

    if (!b->failed) {
        r = spec_json_render(root, compact, out, len, err);
        if (r == -EINVAL) { /* not UTF-8: a string went in unchecked */
            bf_error_clear(err);
            b->failed = true;
        }
    }
    if (b->failed) {
        json_decref(root);
        return bf_error_set(err, EINVAL,
                            "container %s: %s: a value cannot be written (a string that is not "
                            "valid UTF-8, a number above 2^63-1, or out of memory)",
                            id, file);
    }
    json_decref(root);
    if (r < 0)
        bf_error_wrap(err, "container %s: %s", id, file);
    return r;
}
