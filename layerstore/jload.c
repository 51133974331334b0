/* jload.c - build the jansson tree of a well-formed JSON object in one pass over the buffer.
 *
 * json_loadb reads through a per-byte stream callback, re-checks UTF-8 per byte, copies every
 * token into a growing buffer and strtoll/strtod's it: about half of a container's cold
 * generation went there. This loader makes the same tree (same types, same values, members in
 * the same order, a duplicate key's last value in its first key's place, as jansson's
 * hashtable keeps it) straight from the bytes. It only answers for input jansson accepts with
 * flags 0 and an object root: on anything else - a syntax error, an integer or real out of
 * range, a \u0000 or a lone surrogate, a nesting deeper than JLOAD_MAX_DEPTH, out of memory -
 * it returns NULL and ls_parse_json asks jansson, which words every error as before.
 * tests/unit/layerstore/test_jload.c holds it to jansson, value for value.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bf_utf8.h"
#include "ls_internal.h"

#define JLOAD_MAX_DEPTH 256 /* jansson allows 2048; deeper input is left to it */

/* jansson 2.14 takes a key by length: one that points into the buffer needs no copy. */
#if JANSSON_VERSION_HEX >= 0x020e00
#define KEY_NEEDS_COPY(j, key) ((key) == (j)->tmp)
#define SET_MEMBER(obj, key, len, v) json_object_setn_new_nocheck(obj, key, len, v)
#else
#define KEY_NEEDS_COPY(j, key) true
#define SET_MEMBER(obj, key, len, v) json_object_set_new_nocheck(obj, key, v)
#endif

struct jl {
    const unsigned char *p, *end;
    char *tmp; /* decoded strings and NUL-terminated keys */
    size_t tmp_cap;
};

static inline void skip_ws(struct jl *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static bool tmp_reserve(struct jl *j, size_t need)
{
    char *t;
    size_t cap = j->tmp_cap ? j->tmp_cap : 256;

    if (need <= j->tmp_cap)
        return true;
    while (cap < need)
        cap *= 2;
    t = realloc(j->tmp, cap);
    if (!t)
        return false;
    j->tmp = t;
    j->tmp_cap = cap;
    return true;
}

static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A string at j->p (just after the opening quote). *s and *len: its bytes, inside the buffer
 * when it has no escape, else decoded into j->tmp (NUL-terminated, and valid only until the
 * next string). false: leave it to jansson. */
static bool scan_string(struct jl *j, const char **s, size_t *len)
{
    const unsigned char *start = j->p, *p = j->p;
    size_t o = 0;

    for (;;) {
        p += bf_plain_run(p, j->end);
        if (p >= j->end || *p == '"' || *p == '\\')
            break;
        if (*p < 0x20)
            return false;
        size_t k = bf_utf8_seq(p, (size_t)(j->end - p));
        if (!k)
            return false;
        p += k;
    }
    if (p >= j->end)
        return false;
    if (*p == '"') {
        *s = (const char *)start;
        *len = (size_t)(p - start);
        j->p = p + 1;
        return true;
    }
    /* Escapes: decode into tmp. The decoded text is never longer than the source, so the
     * source length bounds it. */
    {
        const unsigned char *q = p;
        while (q < j->end && *q != '"')
            q += *q == '\\' && q + 1 < j->end ? 2 : 1;
        if (!tmp_reserve(j, (size_t)(q - start) + 1))
            return false;
    }
    memcpy(j->tmp, start, (size_t)(p - start));
    o = (size_t)(p - start);
    while (p < j->end && *p != '"') {
        if (*p == '\\') {
            if (p + 1 >= j->end)
                return false;
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
                j->tmp[o++] = (char)p[1];
                break;
            case 'b':
                j->tmp[o++] = '\b';
                break;
            case 'f':
                j->tmp[o++] = '\f';
                break;
            case 'n':
                j->tmp[o++] = '\n';
                break;
            case 'r':
                j->tmp[o++] = '\r';
                break;
            case 't':
                j->tmp[o++] = '\t';
                break;
            case 'u': {
                int v, lo;
                uint32_t cp;
                if (j->end - p < 6 || (v = hex4(p + 2)) < 0)
                    return false;
                p += 4;
                if (v == 0 || (v >= 0xDC00 && v <= 0xDFFF))
                    return false; /* \u0000 and a lone low surrogate are errors */
                cp = (uint32_t)v;
                if (v >= 0xD800 && v <= 0xDBFF) {
                    if (j->end - p < 8 || p[2] != '\\' || p[3] != 'u' || (lo = hex4(p + 4)) < 0 ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return false;
                    cp = 0x10000 + (((uint32_t)v - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                    p += 6;
                }
                o += bf_utf8_put(j->tmp + o, cp);
                break;
            }
            default:
                return false;
            }
            p += 2;
        } else if (*p < 0x20) {
            return false;
        } else if (*p < 0x80) {
            size_t k = bf_plain_run(p, j->end);
            memcpy(j->tmp + o, p, k);
            o += k;
            p += k;
        } else {
            size_t k = bf_utf8_seq(p, (size_t)(j->end - p));
            if (!k)
                return false;
            memcpy(j->tmp + o, p, k);
            o += k;
            p += k;
        }
    }
    if (p >= j->end)
        return false;
    j->tmp[o] = '\0';
    *s = j->tmp;
    *len = o;
    j->p = p + 1;
    return true;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* A number, by jansson's grammar: an integer (strtoll) when it has no fraction or exponent,
 * else a real (strtod); out of range is left to jansson, which reports it. */
static json_t *scan_number(struct jl *j)
{
    const unsigned char *start = j->p, *p = j->p;
    bool real = false;
    char num[64], *end;

    if (p < j->end && *p == '-')
        p++;
    if (p >= j->end)
        return NULL;
    if (*p == '0') {
        p++;
        if (p < j->end && is_digit(*p))
            return NULL;
    } else if (is_digit(*p)) {
        while (p < j->end && is_digit(*p))
            p++;
    } else {
        return NULL;
    }
    if (p < j->end && *p == '.') {
        p++;
        if (p >= j->end || !is_digit(*p))
            return NULL;
        while (p < j->end && is_digit(*p))
            p++;
        real = true;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->end || !is_digit(*p))
            return NULL;
        while (p < j->end && is_digit(*p))
            p++;
        real = true;
    }
    if ((size_t)(p - start) >= sizeof(num))
        return NULL;
    memcpy(num, start, (size_t)(p - start));
    num[p - start] = '\0';
    errno = 0;
    if (!real) {
        long long v = strtoll(num, &end, 10);
        if (errno == ERANGE)
            return NULL;
        j->p = p;
        return json_integer((json_int_t)v);
    }
    double d = strtod(num, &end);
    if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
        return NULL;
    j->p = p;
    return json_real(d);
}

static json_t *scan_value(struct jl *j, int depth);

static json_t *scan_object(struct jl *j, int depth)
{
    json_t *obj = json_object();

    if (!obj)
        return NULL;
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return obj;
    }
    for (;;) {
        const char *key;
        size_t klen;
        json_t *v;

        if (j->p >= j->end || *j->p != '"')
            goto fail;
        j->p++;
        if (!scan_string(j, &key, &klen))
            goto fail;
        /* A decoded key is in tmp, which the value may reuse, and jansson before 2.14 wants
         * it NUL-terminated: then it is copied to the stack or the heap. */
        char kbuf[64], *kheap = NULL;
        if (KEY_NEEDS_COPY(j, key)) {
            char *k = kbuf;
            if (klen >= sizeof(kbuf) && !(k = kheap = malloc(klen + 1)))
                goto fail;
            memcpy(k, key, klen);
            k[klen] = '\0';
            key = k;
        }
        skip_ws(j);
        if (j->p >= j->end || *j->p != ':') {
            free(kheap);
            goto fail;
        }
        j->p++;
        v = scan_value(j, depth + 1);
        if (!v || SET_MEMBER(obj, key, klen, v) < 0) {
            free(kheap);
            goto fail;
        }
        free(kheap);
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            skip_ws(j);
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            return obj;
        }
        goto fail;
    }
fail:
    json_decref(obj);
    return NULL;
}

static json_t *scan_array(struct jl *j, int depth)
{
    json_t *arr = json_array();

    if (!arr)
        return NULL;
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return arr;
    }
    for (;;) {
        json_t *v = scan_value(j, depth + 1);
        if (!v || json_array_append_new(arr, v) < 0)
            goto fail;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            return arr;
        }
        goto fail;
    }
fail:
    json_decref(arr);
    return NULL;
}

static bool word(struct jl *j, const char *w, size_t n)
{
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return false;
    j->p += n;
    return true;
}

static json_t *scan_value(struct jl *j, int depth)
{
    if (depth > JLOAD_MAX_DEPTH)
        return NULL;
    skip_ws(j);
    if (j->p >= j->end)
        return NULL;
    switch (*j->p) {
    case '{':
        j->p++;
        return scan_object(j, depth);
    case '[':
        j->p++;
        return scan_array(j, depth);
    case '"': {
        const char *s;
        size_t len;
        j->p++;
        if (!scan_string(j, &s, &len))
            return NULL;
        return json_stringn_nocheck(s, len);
    }
    case 't':
        return word(j, "true", 4) ? json_true() : NULL;
    case 'f':
        return word(j, "false", 5) ? json_false() : NULL;
    case 'n':
        return word(j, "null", 4) ? json_null() : NULL;
    default:
        return scan_number(j);
    }
}

json_t *ls_json_load_object(const char *buf, size_t len)
{
    struct jl j = {.p = (const unsigned char *)buf, .end = (const unsigned char *)buf + len};
    json_t *root = NULL;

    skip_ws(&j);
    if (j.p < j.end && *j.p == '{') {
        root = scan_value(&j, 0);
        skip_ws(&j);
        if (root && j.p != j.end) {
            json_decref(root);
            root = NULL;
        }
    }
    free(j.tmp);
    return root;
}
