/* jscan.c - validate a JSON object in one pass and pick out top-level members (jscan.h).
 *
 * Why: naming every container reads every config.v2.json, and building jansson's whole tree
 * of each (State, Config, NetworkSettings, ...) to read "ID" and "Name" was most of the cost.
 *
 * Exactness is the point: a file jansson refuses must be refused here, so the grammar below is
 * jansson 2.14's with flags 0 (what ls_parse_json passes), quirks included:
 * - whitespace is ' ', '\t', '\n', '\r'; no BOM; the root must be an object (ls_parse_json's
 *   rule; jansson itself takes an array too); nothing but whitespace after it;
 * - every byte >= 0x80, anywhere, must start a well-formed UTF-8 sequence (no overlongs, no
 *   surrogates, nothing above U+10FFFF): jansson checks that as it reads;
 * - strings: no byte < 0x20; escapes \" \\ \/ \b \f \n \r \t \uXXXX; a \u high surrogate must
 *   be followed by a \u low surrogate, a lone low surrogate is refused, and \u0000 is refused
 *   (values: "not allowed without JSON_ALLOW_NUL"; keys: "NUL byte in object key");
 * - numbers: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; an integer must fit int64 (strtoll),
 *   a real must not overflow a double (strtod giving HUGE_VAL);
 * - literals: jansson reads a whole run of ASCII letters, which must be true, false or null;
 * - a single NUL byte right after a number or a literal is skipped: jansson reads it to end the
 *   token, puts it back, and its one-character push-back buffer treats NUL as "empty", so the
 *   byte is lost (`{"a":1<NUL>}` is accepted);
 * - duplicate keys are allowed, the last value wins but the key keeps its first position
 *   (which matters to ls_j_get's case-insensitive fallback).
 * - nesting: see MAX_DEPTH; a real between 1e308 and 1e310 is settled by strtod itself.
 * What is not worth mirroring exactly is left to jansson (LS_JSCAN_UNSURE): escapes in a
 * top-level key or in a chosen value, too many spellings of one wanted key.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bf_utf8.h"
#include "jscan.h"

/* jansson counts every value's depth (the root is 1) and refuses one deeper than 2048: a
 * container may open inside 2047 others, a scalar inside as many. */
#define MAX_DEPTH 2048
#define CI_MAX 8 /* distinct case-insensitive spellings of one wanted key */

enum vkind { V_NULL, V_STRING, V_OTHER };

struct val {
    enum vkind kind;
    bool escaped;
    const unsigned char *p;
    size_t len;
};

struct want {
    size_t klen;
    bool exact;
    struct val exact_val;
    size_t n_ci;
    struct {
        char key[LS_JSCAN_KEY_MAX + 1];
        struct val v;
    } ci[CI_MAX];
};

/* Bytes a string can hold as they are: 0x20..0x7f except '"' and '\\'. */
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
/* clang-format off */
static const bool plain[256] = {
    R16(0), R16(0),
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
    R16(1), R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' */
    R16(1), R16(1),
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
};
/* clang-format on */

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Nonzero when one of the 8 bytes at p is not plain (< 0x20, '"', '\\' or >= 0x80). Exact:
 * a subtraction borrows only out of a byte that is itself flagged. */
static inline uint64_t special8(const unsigned char *p)
{
    uint64_t x, q, b;

    memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x); /* the first byte lowest: borrows then run towards later bytes */
#endif
    q = x ^ (ONES * '"');
    b = x ^ (ONES * '\\');
    return ((x - ONES * 0x20) | (q - ONES) | (b - ONES) | x) & HIGHS;
}

/* Index of the lowest-addressed byte whose flag bit (0x80) is set in a special8() word. */
static inline unsigned first_byte(uint64_t flags)
{
    return (unsigned)__builtin_ctzll(flags) >> 3;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && *p <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* The value of the 4 hex digits at p, -1 when there are not 4. */
static int32_t hex4(const unsigned char *p, const unsigned char *end)
{
    int32_t v = 0;

    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (is_digit(c))
            v += c - '0';
        else if (c >= 'a' && c <= 'f')
            v += c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v += c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* The string whose opening quote is at *pp: on success *pp is past the closing quote. */
static inline __attribute__((always_inline)) bool
scan_string(const unsigned char **pp, const unsigned char *end, bool *escaped)
{
    const unsigned char *p = *pp + 1;

    *escaped = false;
    for (;;) {
        uint64_t sp = 0;
        while (end - p >= 8 && !(sp = special8(p)))
            p += 8;
        if (sp) {
            /* the lowest flagged byte is the first special one (nothing borrows into it) */
            p += first_byte(sp);
        } else {
            while (p < end && plain[*p])
                p++;
            if (p == end)
                return false;
        }
        if (*p == '"')
            break;
        if (*p < 0x20)
            return false;
        if (*p >= 0x80) {
            size_t n = bf_utf8_seq(p, (size_t)(end - p));
            if (!n)
                return false;
            p += n;
            continue;
        }
        /* a backslash */
        *escaped = true;
        if (++p == end)
            return false;
        if (*p == 'u') {
            int32_t v = hex4(p + 1, end);
            p += 5;
            if (v <= 0)
                return false; /* not 4 hex digits, or \u0000 */
            if (v >= 0xdc00 && v <= 0xdfff)
                return false;
            if (v >= 0xd800 && v <= 0xdbff) {
                if (end - p < 2 || p[0] != '\\' || p[1] != 'u')
                    return false;
                int32_t lo = hex4(p + 2, end);
                if (lo < 0xdc00 || lo > 0xdfff)
                    return false;
                p += 6;
            }
        } else if (*p == '"' || *p == '\\' || *p == '/' || *p == 'b' || *p == 'f' || *p == 'n' ||
                   *p == 'r' || *p == 't') {
            p++;
        } else {
            return false;
        }
    }
    *pp = p + 1;
    return true;
}

/* A real between 1e308 and 1e310 in magnitude, [s, e): does strtod overflow on it, as jansson's
 * jsonp_strtod asks? LS_JSCAN_UNSURE only when there is no memory for a long one's copy. */
static enum ls_jscan_result strtod_overflows(const unsigned char *s, const unsigned char *e)
{
    char small[128], *num = small;
    size_t n = (size_t)(e - s);
    double v;

    if (n >= sizeof(small) && !(num = malloc(n + 1)))
        return LS_JSCAN_UNSURE;
    memcpy(num, s, n);
    num[n] = '\0';
    errno = 0;
    v = strtod(num, NULL);
    bool over = errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL);
    if (num != small)
        free(num);
    return over ? LS_JSCAN_INVALID : LS_JSCAN_OK;
}

/* The number at *pp (a '-' or a digit); *pp is moved past it. */
static enum ls_jscan_result scan_number(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *start = *pp, *p = *pp, *ds;
    bool neg = false, real = false, zero = false;
    int64_t lead, exp = 0;

    if (*p == '-') {
        neg = true;
        p++;
    }
    if (p == end)
        return LS_JSCAN_INVALID;
    ds = p;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return LS_JSCAN_INVALID;
        zero = true;
    } else if (is_digit(*p)) {
        while (p < end && is_digit(*p))
            p++;
    } else {
        return LS_JSCAN_INVALID;
    }
    /* |value| < 10^(lead + exp), and >= 10^(lead + exp - 1) unless it is zero */
    lead = zero ? 0 : p - ds;
    size_t nint = p - ds;
    if (p < end && *p == '.') {
        real = true;
        if (++p == end || !is_digit(*p))
            return LS_JSCAN_INVALID;
        const unsigned char *fs = p;
        while (p < end && is_digit(*p))
            p++;
        if (zero) {
            for (const unsigned char *q = fs; q < p; q++) {
                if (*q != '0') {
                    zero = false;
                    lead = -(q - fs);
                    break;
                }
            }
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool eneg = false;
        real = true;
        if (++p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        if (p == end || !is_digit(*p))
            return LS_JSCAN_INVALID;
        for (; p < end && is_digit(*p); p++)
            if (exp < 1000000000)
                exp = exp * 10 + (*p - '0');
        if (eneg)
            exp = -exp;
    }
    *pp = p;
    if (!real) {
        /* strtoll's range: 19 digits at most, compared with INT64_MAX / -INT64_MIN */
        if (nint < 19)
            return LS_JSCAN_OK;
        if (nint > 19)
            return LS_JSCAN_INVALID;
        return memcmp(ds, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0
                   ? LS_JSCAN_INVALID
                   : LS_JSCAN_OK;
    }
    /* DBL_MAX is 1.797e308: below 1e308 is finite, from 1e309 on strtod overflows */
    if (zero || lead + exp <= 308)
        return LS_JSCAN_OK;
    if (lead + exp >= 310)
        return LS_JSCAN_INVALID;
    return strtod_overflows(start, p);
}

/* A letter run: jansson reads all of it, so "truex" is one invalid token. */
static bool scan_literal(const unsigned char **pp, const unsigned char *end, enum vkind *kind)
{
    const unsigned char *s = *pp, *p = s;
    size_t n;

    while (p < end && is_alpha(*p))
        p++;
    n = p - s;
    *pp = p;
    *kind = V_OTHER;
    if (n == 4 && memcmp(s, "null", 4) == 0) {
        *kind = V_NULL;
        return true;
    }
    return (n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0);
}

/* A top-level key: the value slots it feeds go to dst[]. */
static bool match_key(struct want *w, const struct ls_jscan_member *m, size_t n,
                      const unsigned char *k, size_t klen, bool escaped, struct val **dst,
                      size_t *ndst)
{
    *ndst = 0;
    for (size_t i = 0; i < n; i++) {
        char tmp[LS_JSCAN_KEY_MAX + 1];

        if (escaped)
            return false; /* it might decode to a wanted key: leave it to jansson */
        if (klen != w[i].klen)
            continue; /* strcasecmp: a NUL-free key of another length never matches */
        if (memcmp(k, m[i].key, klen) == 0) {
            w[i].exact = true;
            dst[(*ndst)++] = &w[i].exact_val;
            continue;
        }
        memcpy(tmp, k, klen);
        tmp[klen] = '\0';
        if (strcasecmp(tmp, m[i].key) != 0)
            continue;
        size_t j = 0;
        while (j < w[i].n_ci && memcmp(w[i].ci[j].key, tmp, klen) != 0)
            j++;
        if (j == w[i].n_ci) {
            if (j == CI_MAX)
                return false;
            memcpy(w[i].ci[j].key, tmp, klen + 1);
            w[i].n_ci++;
        }
        dst[(*ndst)++] = &w[i].ci[j].v;
    }
    return true;
}

/* The spans being recorded (ls_jscan_spans); v NULL: none wanted, or given up. */
struct spans {
    struct ls_jscan_span *v;
    size_t n, cap, max;
    uint32_t open[MAX_DEPTH]; /* the open containers' indexes in v */
};

static void span_open(struct spans *sp, size_t depth, const unsigned char *p,
                      const unsigned char *buf)
{
    if (!sp->v)
        return;
    if (sp->n == sp->cap) {
        size_t ncap = sp->cap * 2 < sp->max ? sp->cap * 2 : sp->max;
        struct ls_jscan_span *nv = ncap > sp->cap ? realloc(sp->v, ncap * sizeof(*nv)) : NULL;
        if (!nv) {
            free(sp->v);
            sp->v = NULL;
            return;
        }
        sp->v = nv;
        sp->cap = ncap;
    }
    sp->open[depth] = (uint32_t)sp->n;
    sp->v[sp->n++] = (struct ls_jscan_span){.open = (uint32_t)(p - buf)};
}

static void span_close(struct spans *sp, size_t depth, const unsigned char *p,
                       const unsigned char *buf)
{
    if (sp->v)
        sp->v[sp->open[depth]].close = (uint32_t)(p - buf);
}

static enum ls_jscan_result scan(const char *buf, size_t len, struct ls_jscan_member *m, size_t n,
                                 struct spans *sp)
{
    const unsigned char *p = (const unsigned char *)buf, *end = p + len,
                        *base = (const unsigned char *)buf;
    unsigned char stack[MAX_DEPTH]; /* the open containers' closing brackets */
    struct want w[LS_JSCAN_WANT_MAX];
    struct val *dst[LS_JSCAN_WANT_MAX], v;
    size_t d = 0, ndst = 0;
    bool unsure = false, esc;
    enum ls_jscan_result r;

    if (n > LS_JSCAN_WANT_MAX)
        return LS_JSCAN_UNSURE;
    for (size_t i = 0; i < n; i++) {
        w[i] = (struct want){.klen = strlen(m[i].key)};
        if (w[i].klen > LS_JSCAN_KEY_MAX)
            return LS_JSCAN_UNSURE;
    }

    p = skip_ws(p, end);
    if (p == end || *p != '{')
        return LS_JSCAN_INVALID;
    span_open(sp, d, p, base);
    stack[d++] = '}';
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        goto closed;
    }

key:
    if (p == end || *p != '"')
        return LS_JSCAN_INVALID;
    {
        const unsigned char *ks = p + 1;
        if (!scan_string(&p, end, &esc))
            return LS_JSCAN_INVALID;
        if (d == 1 && !match_key(w, m, n, ks, p - 1 - ks, esc, dst, &ndst))
            unsure = true;
    }
    p = skip_ws(p, end);
    if (p == end || *p != ':')
        return LS_JSCAN_INVALID;
    p = skip_ws(p + 1, end);

value:
    if (p == end || d == MAX_DEPTH)
        return LS_JSCAN_INVALID;
    v = (struct val){.kind = V_OTHER};
    switch (*p) {
    case '"':
        v.kind = V_STRING;
        v.p = p + 1;
        if (!scan_string(&p, end, &v.escaped))
            return LS_JSCAN_INVALID;
        v.len = p - 1 - v.p;
        break;
    case '{':
    case '[':
        if (d == 1) {
            for (size_t i = 0; i < ndst; i++)
                *dst[i] = v;
            ndst = 0;
        }
        span_open(sp, d, p, base);
        stack[d++] = *p == '{' ? '}' : ']';
        p = skip_ws(p + 1, end);
        if (p < end && *p == stack[d - 1]) {
            p++;
            goto closed;
        }
        if (stack[d - 1] == '}')
            goto key;
        goto value;
    case '-':
    case '0' ... '9':
        r = scan_number(&p, end);
        if (r == LS_JSCAN_INVALID)
            return r;
        if (r == LS_JSCAN_UNSURE)
            unsure = true;
        if (p < end && *p == '\0')
            p++; /* lost by jansson's push-back, see the top */
        break;
    default:
        if (!scan_literal(&p, end, &v.kind))
            return LS_JSCAN_INVALID;
        if (p < end && *p == '\0')
            p++;
        break;
    }
    if (d == 1) {
        for (size_t i = 0; i < ndst; i++)
            *dst[i] = v;
        ndst = 0;
    }
    goto next;

closed:
    span_close(sp, d - 1, p - 1, base); /* p is past the closing bracket */
    if (--d == 0)
        goto done;

next:
    p = skip_ws(p, end);
    if (p == end)
        return LS_JSCAN_INVALID;
    if (*p == ',') {
        p = skip_ws(p + 1, end);
        if (stack[d - 1] == '}')
            goto key;
        goto value;
    }
    if (*p != stack[d - 1])
        return LS_JSCAN_INVALID;
    p++;
    goto closed;

done:
    if (skip_ws(p, end) != end)
        return LS_JSCAN_INVALID;
    if (unsure)
        return LS_JSCAN_UNSURE;
    for (size_t i = 0; i < n; i++) {
        const struct val *s = NULL;
        if (w[i].exact)
            s = &w[i].exact_val;
        else if (w[i].n_ci)
            s = &w[i].ci[w[i].n_ci - 1].v;
        m[i].val = NULL;
        m[i].len = 0;
        if (!s || s->kind == V_NULL) {
            m[i].kind = LS_JSCAN_ABSENT;
        } else if (s->kind == V_OTHER) {
            m[i].kind = LS_JSCAN_OTHER;
        } else {
            if (s->escaped)
                return LS_JSCAN_UNSURE;
            m[i].kind = LS_JSCAN_STRING;
            m[i].val = (const char *)s->p;
            m[i].len = s->len;
        }
    }
    return LS_JSCAN_OK;
}

enum ls_jscan_result ls_jscan_object(const char *buf, size_t len, struct ls_jscan_member *m,
                                     size_t n)
{
    struct spans none = {0};
    return scan(buf, len, m, n, &none);
}

enum ls_jscan_result ls_jscan_spans(const char *buf, size_t len, struct ls_jscan_span **spans,
                                    size_t *n_spans)
{
    struct spans *sp = malloc(sizeof(*sp)); /* its open[] is 8 KiB: not on the stack */
    enum ls_jscan_result r;

    *spans = NULL;
    *n_spans = 0;
    if (!sp)
        return ls_jscan_object(buf, len, NULL, 0);
    sp->n = 0;
    sp->cap = 16;
    sp->max = len / 8 > 16 ? len / 8 : 16;
    sp->v = len < UINT32_MAX ? malloc(sp->cap * sizeof(*sp->v)) : NULL;
    r = scan(buf, len, NULL, 0, sp);
    if (r == LS_JSCAN_OK && sp->v) {
        *spans = sp->v;
        *n_spans = sp->n;
    } else {
        free(sp->v);
    }
    free(sp);
    return r;
}
