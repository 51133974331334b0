/* seccomp_decode.c - a Docker seccomp profile read with Go 1.19's encoding/json rules.
 *
 * dockerd 20.10.24 reads a profile with json.Unmarshal into types.Seccomp, so what a container
 * gets, and the error when it gets nothing, is Go's decoder's doing. After Go's syntax check
 * (seccomp_scan.c) the checked bytes are decoded into the model with Go's value rules: keys
 * match fields case-insensitively (with Go's U+017F/U+212A folds for s and k), unknown keys are
 * skipped, null leaves strings, numbers and structs alone and resets slices and pointers, a
 * repeated key decodes into what is there (structs merge, a slice reuses its elements and
 * capacity as reflect does), strings get Go's unquoting (bad UTF-8 and lone surrogates become
 * U+FFFD). The first type mismatch is kept ("json: cannot unmarshal string into Go struct field
 * Syscall.syscalls.names of type []string") while decoding goes on; a minKernel error
 * (KernelVersion.UnmarshalJSON) stops it and wins. The caller bounds the input
 * (SPEC_SECCOMP_MAX_BYTES); array elements are bounded here (SPEC_SECCOMP_MAX_ITEMS).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_utf8.h"
#include "bf_util.h"
#include "seccomp.h"

/* ---- decoding checked bytes (decode.go's value rules) ---- */

struct dec {
    const unsigned char *p;
    char *saved; /* the first type mismatch, Go's text */
    char *fatal; /* what stopped decoding */
    int fatal_code;
    const char *strct;     /* errorContext.Struct: the struct whose field is being decoded */
    const char *fields[8]; /* errorContext.FieldStack (the model is 4 deep) */
    size_t n_fields;
    size_t items; /* array elements decoded, against SPEC_SECCOMP_MAX_ITEMS */
};

static int dec_fatal(struct dec *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int dec_fatal(struct dec *d, int code, const char *fmt, ...)
{
    va_list ap;

    if (!d->fatal) {
        va_start(ap, fmt);
        if (vasprintf(&d->fatal, fmt, ap) < 0)
            d->fatal = NULL;
        va_end(ap);
        d->fatal_code = d->fatal ? code : ENOMEM;
    }
    return -d->fatal_code;
}

static int dec_oom(struct dec *d)
{
    return dec_fatal(d, ENOMEM, "out of memory");
}

static void ws(struct dec *d)
{
    while (spec_go_json_space(*d->p))
        d->p++;
}

static void skip_string(struct dec *d)
{
    for (d->p++; *d->p != '"'; d->p++) {
        if (*d->p == '\\')
            d->p++;
    }
    d->p++;
}

/* Past one value of checked input; iterative, whatever its depth. */
static void skip_value(struct dec *d)
{
    size_t depth = 0;

    for (;;) {
        unsigned char c;
        ws(d);
        c = *d->p;
        if (c == '"') {
            skip_string(d);
        } else if (c == '{' || c == '[') {
            depth++;
            d->p++;
            continue;
        } else if (c == '}' || c == ']') {
            depth--;
            d->p++;
        } else if (c == ',' || c == ':') {
            d->p++;
            continue;
        } else {
            while (*d->p && !spec_go_json_space(*d->p) && !strchr(",:]}", *d->p))
                d->p++;
        }
        if (depth == 0)
            return;
    }
}

static const char *kind_of(unsigned char c)
{
    switch (c) {
    case '{':
        return "object";
    case '[':
        return "array";
    case '"':
        return "string";
    case 't':
    case 'f':
        return "bool";
    case 'n':
        return "null";
    }
    return "number";
}

/* UnmarshalTypeError, with addErrorContext's struct and field path; only the first is kept. */
static void type_error(struct dec *d, const char *value, const char *type)
{
    char path[128] = "";
    size_t off = 0;
    int n;

    if (d->saved)
        return;
    for (size_t i = 0; i < d->n_fields && off < sizeof(path); i++) {
        n = snprintf(path + off, sizeof(path) - off, "%s%s", i ? "." : "", d->fields[i]);
        off += n > 0 ? (size_t)n : 0;
    }
    if (d->strct || d->n_fields)
        n = asprintf(&d->saved, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
                     value, d->strct ? d->strct : "", path, type);
    else
        n = asprintf(&d->saved, "json: cannot unmarshal %s into Go value of type %s", value, type);
    if (n < 0)
        d->saved = NULL;
}

/* A value of the wrong kind for `type`: recorded, skipped, decoding goes on. */
static int mismatch(struct dec *d, const char *type)
{
    type_error(d, kind_of(*d->p), type);
    skip_value(d);
    return 0;
}

static void put_rune(char *out, size_t *w, uint32_t r)
{
    if (r < 0x80) {
        out[(*w)++] = (char)r;
    } else if (r < 0x800) {
        out[(*w)++] = (char)(0xc0 | (r >> 6));
        out[(*w)++] = (char)(0x80 | (r & 0x3f));
    } else if (r < 0x10000) {
        out[(*w)++] = (char)(0xe0 | (r >> 12));
        out[(*w)++] = (char)(0x80 | ((r >> 6) & 0x3f));
        out[(*w)++] = (char)(0x80 | (r & 0x3f));
    } else {
        out[(*w)++] = (char)(0xf0 | (r >> 18));
        out[(*w)++] = (char)(0x80 | ((r >> 12) & 0x3f));
        out[(*w)++] = (char)(0x80 | ((r >> 6) & 0x3f));
        out[(*w)++] = (char)(0x80 | (r & 0x3f));
    }
}

/* getu4: the \uXXXX at s (n bytes left), or -1. */
static long get_u4(const unsigned char *s, size_t n)
{
    long r = 0;

    if (n < 6 || s[0] != '\\' || s[1] != 'u')
        return -1;
    for (size_t i = 2; i < 6; i++) {
        unsigned c = s[i];
        if (!spec_go_json_hex((unsigned char)c))
            return -1;
        r = r * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return r;
}

/* unquoteBytes of the string literal at d->p (checked), leaving d->p past it. */
static int read_string(struct dec *d, struct spec_sc_str *out)
{
    const unsigned char *s = d->p + 1, *end;
    size_t w = 0;
    char *buf;

    skip_string(d);
    end = d->p - 1;
    /* Every input byte gives at most 3 output bytes (a bad byte becomes U+FFFD). */
    buf = malloc((size_t)(end - s) * 3 + 1);
    if (!buf)
        return dec_oom(d);
    while (s < end) {
        if (*s == '\\') {
            char c = (char)s[1];
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            if (c != 'u') {
                buf[w++] = to[strchr(from, c) - from];
                s += 2;
                continue;
            }
            long r = get_u4(s, (size_t)(end - s));
            s += 6;
            if (r >= 0xd800 && r < 0xe000) {
                long r2 = get_u4(s, (size_t)(end - s));
                if (r < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000) {
                    put_rune(buf, &w,
                             0x10000 + (((uint32_t)r - 0xd800) << 10) + ((uint32_t)r2 - 0xdc00));
                    s += 6;
                    continue;
                }
                r = 0xfffd;
            }
            put_rune(buf, &w, (uint32_t)r);
        } else if (*s < 0x80) {
            buf[w++] = (char)*s++;
        } else {
            size_t k = bf_utf8_seq(s, (size_t)(end - s));
            if (!k) {
                put_rune(buf, &w, 0xfffd);
                s++;
            } else {
                memcpy(buf + w, s, k);
                w += k;
                s += k;
            }
        }
    }
    buf[w] = '\0';
    free(out->s);
    out->s = buf;
    out->n = w;
    return 0;
}

static void str_free(void *e)
{
    free(((struct spec_sc_str *)e)->s);
}

/* A string-kinded field (string, specs.Arch, specs.LinuxSeccompAction, ...). */
static int dec_str(struct dec *d, struct spec_sc_str *out, const char *type)
{
    if (*d->p == '"')
        return read_string(d, out);
    if (*d->p == 'n') {
        d->p += 4;
        return 0;
    }
    return mismatch(d, type);
}

/* strconv.ParseUint(s, 10, bits) succeeded? */
static bool parse_uint(const unsigned char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (max - (s[i] - '0')) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* A uint/uint64 field (dockerd on a 64-bit arch: uint is 64 bits). */
static int dec_uint(struct dec *d, uint64_t *out, const char *type)
{
    const unsigned char *start = d->p;
    char *value;

    if (*d->p == 'n') {
        d->p += 4;
        return 0;
    }
    if (*d->p != '-' && (*d->p < '0' || *d->p > '9'))
        return mismatch(d, type);
    skip_value(d);
    if (parse_uint(start, (size_t)(d->p - start), UINT64_MAX, out))
        return 0;
    if (asprintf(&value, "number %.*s", (int)(d->p - start), start) < 0)
        return dec_oom(d);
    type_error(d, value, type);
    free(value);
    return 0;
}

typedef int (*elem_dec_fn)(struct dec *d, void *elem, const char *type);
typedef void (*elem_free_fn)(void *elem);

static void slice_reset(struct spec_sc_slice *s, size_t esz, elem_free_fn fr)
{
    for (size_t i = 0; i < s->cap; i++)
        fr((char *)s->v + i * esz);
    free(s->v);
    s->v = NULL;
    s->len = s->cap = 0;
}

/* decodeState.array into a slice: elements below the old length (and, within the capacity,
 * above it) are decoded into as they are; growing keeps only the first len. */
static int dec_slice(struct dec *d, struct spec_sc_slice *s, size_t esz, elem_dec_fn fn,
                     elem_free_fn fr, const char *type, const char *elem_type)
{
    size_t i = 0;
    int r;

    if (*d->p == 'n') {
        d->p += 4;
        slice_reset(s, esz, fr);
        s->nonnil = false;
        return 0;
    }
    if (*d->p != '[')
        return mismatch(d, type);
    d->p++;
    for (;;) {
        ws(d);
        if (*d->p == ']')
            break;
        if (++d->items > SPEC_SECCOMP_MAX_ITEMS)
            return dec_fatal(d, E2BIG, "the seccomp profile has more than %u array elements",
                             SPEC_SECCOMP_MAX_ITEMS);
        if (i >= s->cap) {
            size_t cap = s->cap + s->cap / 2;
            char *v = calloc(cap < 4 ? 4 : cap, esz);
            if (!v)
                return dec_oom(d);
            if (s->len)
                memcpy(v, s->v, s->len * esz);
            for (size_t k = s->len; k < s->cap; k++)
                fr((char *)s->v + k * esz);
            free(s->v);
            s->v = v;
            s->cap = cap < 4 ? 4 : cap;
        }
        if (i >= s->len)
            s->len = i + 1;
        r = fn(d, (char *)s->v + i * esz, elem_type);
        if (r < 0)
            return r;
        i++;
        ws(d);
        if (*d->p != ',')
            break;
        d->p++;
    }
    d->p++; /* ']' */
    if (i < s->len)
        s->len = i;
    if (i == 0)
        slice_reset(s, esz, fr);
    s->nonnil = true;
    return 0;
}

static int elem_str(struct dec *d, void *e, const char *type)
{
    return dec_str(d, e, type);
}

static int dec_strs(struct dec *d, struct spec_sc_slice *s, const char *type, const char *elem)
{
    return dec_slice(d, s, sizeof(struct spec_sc_str), elem_str, str_free, type, elem);
}

/* Go's field name match: exact, else equal under ASCII case folding where 's' also matches
 * U+017F and 'k' U+212A (foldFunc; every name here is letters only). */
static bool field_match(const char *name, const struct spec_sc_str *key)
{
    const unsigned char *k = (const unsigned char *)key->s;
    size_t i = 0, n = key->n;

    for (const char *c = name; *c; c++) {
        char up = (char)(*c & ~0x20);
        if (i >= n)
            return false;
        if (k[i] < 0x80) {
            if ((k[i] & ~0x20) != up)
                return false;
            i++;
        } else if (up == 'S' && n - i >= 2 && k[i] == 0xc5 && k[i + 1] == 0xbf) {
            i += 2;
        } else if (up == 'K' && n - i >= 3 && k[i] == 0xe2 && k[i + 1] == 0x84 &&
                   k[i + 2] == 0xaa) {
            i += 3;
        } else {
            return false;
        }
    }
    return i == n;
}

typedef int (*field_dec_fn)(struct dec *d, void *obj, size_t field);

/* decodeState.object into a struct: each member in document order, matched to a field (the
 * error context names it while its value is decoded) or skipped. */
static int dec_struct(struct dec *d, void *obj, const char *strct, const char *const *names,
                      size_t n_names, field_dec_fn fn)
{
    const char *saved_strct = d->strct;
    size_t saved_n = d->n_fields;
    struct spec_sc_str key = {0};
    int r = 0;

    d->p++; /* '{' */
    for (;;) {
        size_t f;
        ws(d);
        if (*d->p == '}')
            break;
        r = read_string(d, &key);
        if (r < 0)
            break;
        ws(d);
        d->p++; /* ':' */
        ws(d);
        for (f = 0; f < n_names && !field_match(names[f], &key); f++)
            ;
        if (f == n_names) {
            skip_value(d);
        } else {
            d->fields[d->n_fields++] = names[f];
            d->strct = strct;
            r = fn(d, obj, f);
            d->strct = saved_strct;
            d->n_fields = saved_n;
            if (r < 0)
                break;
        }
        ws(d);
        if (*d->p != ',')
            break;
        d->p++;
    }
    free(key.s);
    if (r == 0)
        d->p++; /* '}' */
    return r;
}

/* ---- KernelVersion.UnmarshalJSON ---- */

/* Is rune r one strconv.Quote writes as is? Exact for ASCII and Latin-1; beyond that the
 * separators, format characters, private use and noncharacters Go escapes, not every unassigned
 * code point (only an error message depends on it). */
static bool go_printable(uint32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7f;
    if (r <= 0xa0 || r == 0xad || (r >= 0x600 && r <= 0x605) || r == 0x61c || r == 0x6dd ||
        r == 0x70f || r == 0x1680 || r == 0x180e || (r >= 0x2000 && r <= 0x200f) ||
        (r >= 0x2028 && r <= 0x202f) || (r >= 0x205f && r <= 0x206f) || r == 0x3000 ||
        (r >= 0xe000 && r <= 0xf8ff) || r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb) ||
        (r & 0xfffe) == 0xfffe || r >= 0xf0000)
        return false;
    return true;
}

/* strconv.Quote of valid UTF-8 (Go's unquoting leaves nothing else). */
static char *go_quote(const char *s, size_t n)
{
    static const char esc[] = "abtnvfr";
    char *out = malloc(n * 10 + 3), *w = out;

    if (!out)
        return NULL;
    *w++ = '"';
    for (size_t i = 0; i < n;) {
        const unsigned char *u = (const unsigned char *)s + i;
        size_t k = bf_utf8_seq(u, n - i);
        uint32_t r = u[0];
        if (k > 1) {
            r = k == 2 ? u[0] & 0x1f : k == 3 ? u[0] & 0x0f : u[0] & 0x07;
            for (size_t j = 1; j < k; j++)
                r = (r << 6) | (u[j] & 0x3f);
        } else {
            k = 1;
        }
        if (r == '"' || r == '\\') {
            *w++ = '\\';
            *w++ = (char)r;
        } else if (go_printable(r)) {
            memcpy(w, u, k);
            w += k;
        } else if (r >= 7 && r <= 13) {
            *w++ = '\\';
            *w++ = esc[r - 7];
        } else if (r < 0x20 || r == 0x7f) {
            w += sprintf(w, "\\x%02x", r);
        } else if (r < 0x10000) {
            w += sprintf(w, "\\u%04x", r);
        } else {
            w += sprintf(w, "\\U%08x", r);
        }
        i += k;
    }
    *w++ = '"';
    *w = '\0';
    return out;
}

/* strconv.ParseUint(part, 10, 8)'s error text, or NULL when it parses. */
static const char *parse_u8(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (!n)
        return "invalid syntax";
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return "invalid syntax";
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > 255)
            return "value out of range";
    }
    *out = v;
    return NULL;
}

#define KV_EXPECTED "invalid kernel version: %.*s, expected \"<kernel>.<major>\""

static int kver_part(struct dec *d, const unsigned char *raw, int raw_n, const char *s, size_t n,
                     uint64_t *out)
{
    const char *why = parse_u8(s, n, out);
    _cleanup_free_ char *q = NULL;

    if (!why)
        return 0;
    q = go_quote(s, n);
    if (!q)
        return dec_oom(d);
    return dec_fatal(d, EINVAL, KV_EXPECTED ": strconv.ParseUint: parsing %s: %s", raw_n, raw, q,
                     why);
}

/* MinKernel *KernelVersion: null resets it; anything else allocates it and is its raw text. */
static int dec_kver(struct dec *d, struct spec_sc_kver **k)
{
    const unsigned char *raw = d->p;
    struct spec_sc_str ver = {0};
    const char *dot, *dot2;
    uint64_t kernel = 0, major = 0;
    int n, r;

    if (*d->p == 'n') {
        d->p += 4;
        free(*k);
        *k = NULL;
        return 0;
    }
    if (!*k && !(*k = calloc(1, sizeof(**k))))
        return dec_oom(d);
    if (*d->p != '"') {
        skip_value(d);
        n = (int)(d->p - raw);
        return dec_fatal(d, EINVAL,
                         KV_EXPECTED ": json: cannot unmarshal %s into Go value of type string", n,
                         raw, kind_of(*raw));
    }
    r = read_string(d, &ver);
    if (r < 0)
        return r;
    n = (int)(d->p - raw);
    if (ver.n == 0) {
        free(ver.s);
        return 0;
    }
    dot = memchr(ver.s, '.', ver.n);
    dot2 = dot ? memchr(dot + 1, '.', ver.n - (size_t)(dot + 1 - ver.s)) : NULL;
    if (!dot || dot2)
        r = dec_fatal(d, EINVAL, KV_EXPECTED, n, raw);
    if (r == 0)
        r = kver_part(d, raw, n, ver.s, (size_t)(dot - ver.s), &kernel);
    if (r == 0)
        r = kver_part(d, raw, n, dot + 1, ver.n - (size_t)(dot + 1 - ver.s), &major);
    if (r == 0 && kernel == 0 && major == 0)
        r = dec_fatal(d, EINVAL, KV_EXPECTED ": version cannot be 0.0", n, raw);
    free(ver.s);
    if (r < 0)
        return r;
    (*k)->kernel = kernel;
    (*k)->major = major;
    return 0;
}

/* ---- the types ---- */

static const char *const filter_fields[] = {"caps", "arches", "minKernel"};

static int filter_field(struct dec *d, void *obj, size_t f)
{
    struct spec_sc_filter *flt = obj;

    switch (f) {
    case 0:
        return dec_strs(d, &flt->caps, "[]string", "string");
    case 1:
        return dec_strs(d, &flt->arches, "[]string", "string");
    default:
        return dec_kver(d, &flt->min_kernel);
    }
}

/* A struct-typed field or element (not a pointer): null leaves it, an object merges into it. */
static int dec_filter(struct dec *d, struct spec_sc_filter *f)
{
    if (*d->p == 'n') {
        d->p += 4;
        return 0;
    }
    if (*d->p != '{')
        return mismatch(d, "seccomp.Filter");
    return dec_struct(d, f, "Filter", filter_fields, BF_ARRAY_SIZE(filter_fields), filter_field);
}

static void filter_clear(struct spec_sc_filter *f)
{
    slice_reset(&f->caps, sizeof(struct spec_sc_str), str_free);
    slice_reset(&f->arches, sizeof(struct spec_sc_str), str_free);
    free(f->min_kernel);
}

static const char *const arg_fields[] = {"index", "value", "valueTwo", "op"};

static int arg_field(struct dec *d, void *obj, size_t f)
{
    struct spec_sc_arg *a = obj;

    switch (f) {
    case 0:
        return dec_uint(d, &a->index, "uint");
    case 1:
        return dec_uint(d, &a->value, "uint64");
    case 2:
        return dec_uint(d, &a->value_two, "uint64");
    default:
        return dec_str(d, &a->op, "specs.LinuxSeccompOperator");
    }
}

static void arg_free(void *e)
{
    struct spec_sc_arg *a = *(struct spec_sc_arg **)e;

    if (a)
        free(a->op.s);
    free(a);
}

/* A pointer element: null makes it nil; anything else allocates it first (indirect), then an
 * object merges into it and any other kind is a mismatch. */
static int elem_arg(struct dec *d, void *e, const char *type)
{
    struct spec_sc_arg **a = e;

    if (*d->p == 'n') {
        d->p += 4;
        arg_free(e);
        *a = NULL;
        return 0;
    }
    if (!*a && !(*a = calloc(1, sizeof(**a))))
        return dec_oom(d);
    if (*d->p != '{')
        return mismatch(d, type);
    return dec_struct(d, *a, "LinuxSeccompArg", arg_fields, BF_ARRAY_SIZE(arg_fields), arg_field);
}

static const char *const call_fields[] = {"name", "names",   "action",   "errnoRet",
                                          "args", "comment", "includes", "excludes"};

static int call_field(struct dec *d, void *obj, size_t f)
{
    struct spec_sc_call *c = obj;

    switch (f) {
    case 0:
        return dec_str(d, &c->name, "string");
    case 1:
        return dec_strs(d, &c->names, "[]string", "string");
    case 2:
        return dec_str(d, &c->action, "specs.LinuxSeccompAction");
    case 3:
        if (*d->p == 'n') {
            d->p += 4;
            c->has_errno_ret = false;
            c->errno_ret = 0;
            return 0;
        }
        c->has_errno_ret = true;
        return dec_uint(d, &c->errno_ret, "uint");
    case 4:
        return dec_slice(d, &c->args, sizeof(struct spec_sc_arg *), elem_arg, arg_free,
                         "[]*specs.LinuxSeccompArg", "specs.LinuxSeccompArg");
    case 5:
        return dec_str(d, &c->comment, "string");
    case 6:
        return dec_filter(d, &c->includes);
    default:
        return dec_filter(d, &c->excludes);
    }
}

static void call_free(void *e)
{
    struct spec_sc_call *c = *(struct spec_sc_call **)e;

    if (!c)
        return;
    free(c->name.s);
    slice_reset(&c->names, sizeof(struct spec_sc_str), str_free);
    free(c->action.s);
    slice_reset(&c->args, sizeof(struct spec_sc_arg *), arg_free);
    free(c->comment.s);
    filter_clear(&c->includes);
    filter_clear(&c->excludes);
    free(c);
}

static int elem_call(struct dec *d, void *e, const char *type)
{
    struct spec_sc_call **c = e;

    if (*d->p == 'n') {
        d->p += 4;
        call_free(e);
        *c = NULL;
        return 0;
    }
    if (!*c && !(*c = calloc(1, sizeof(**c))))
        return dec_oom(d);
    if (*d->p != '{')
        return mismatch(d, type);
    return dec_struct(d, *c, "Syscall", call_fields, BF_ARRAY_SIZE(call_fields), call_field);
}

static const char *const arch_fields[] = {"architecture", "subArchitectures"};

static int arch_field(struct dec *d, void *obj, size_t f)
{
    struct spec_sc_arch *a = obj;

    if (f == 0)
        return dec_str(d, &a->arch, "specs.Arch");
    return dec_strs(d, &a->sub, "[]specs.Arch", "specs.Arch");
}

static void arch_free(void *e)
{
    struct spec_sc_arch *a = e;

    free(a->arch.s);
    slice_reset(&a->sub, sizeof(struct spec_sc_str), str_free);
}

static int elem_arch(struct dec *d, void *e, const char *type)
{
    if (*d->p == 'n') {
        d->p += 4;
        return 0;
    }
    if (*d->p != '{')
        return mismatch(d, type);
    return dec_struct(d, e, "Architecture", arch_fields, BF_ARRAY_SIZE(arch_fields), arch_field);
}

static const char *const profile_fields[] = {"defaultAction", "architectures", "archMap",
                                             "syscalls"};

static int profile_field(struct dec *d, void *obj, size_t f)
{
    struct spec_seccomp_profile *p = obj;

    switch (f) {
    case 0:
        return dec_str(d, &p->default_action, "specs.LinuxSeccompAction");
    case 1:
        return dec_strs(d, &p->architectures, "[]specs.Arch", "specs.Arch");
    case 2:
        return dec_slice(d, &p->arch_map, sizeof(struct spec_sc_arch), elem_arch, arch_free,
                         "[]seccomp.Architecture", "seccomp.Architecture");
    default:
        return dec_slice(d, &p->syscalls, sizeof(struct spec_sc_call *), elem_call, call_free,
                         "[]*seccomp.Syscall", "seccomp.Syscall");
    }
}

void spec_seccomp_profile_clear(struct spec_seccomp_profile *p)
{
    char *what = p->what;

    free(p->default_action.s);
    slice_reset(&p->architectures, sizeof(struct spec_sc_str), str_free);
    slice_reset(&p->arch_map, sizeof(struct spec_sc_arch), arch_free);
    slice_reset(&p->syscalls, sizeof(struct spec_sc_call *), call_free);
    memset(p, 0, sizeof(*p));
    p->what = what;
}

int spec_seccomp_decode(const char *json, size_t len, struct spec_seccomp_profile *p, char **msg)
{
    _cleanup_free_ char *copy = NULL;
    struct dec d = {0};
    char syntax[96];
    int r;

    *msg = NULL;
    r = spec_go_json_check((const unsigned char *)json, len, syntax, sizeof(syntax));
    if (r == -EINVAL) {
        *msg = strdup(syntax);
        return *msg ? -EINVAL : -ENOMEM;
    }
    if (r < 0)
        return r;
    /* A NUL-terminated copy: checked input has no NUL outside strings, so the decoder can
     * stop at one instead of testing the end everywhere. */
    copy = malloc(len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, json, len);
    copy[len] = '\0';
    d.p = (const unsigned char *)copy;
    ws(&d);
    if (*d.p == '{')
        r = dec_struct(&d, p, "Seccomp", profile_fields, BF_ARRAY_SIZE(profile_fields),
                       profile_field);
    else if (*d.p != 'n')
        r = mismatch(&d, "seccomp.Seccomp");
    if (d.fatal || r < 0) {
        free(d.saved);
        *msg = d.fatal;
        return d.fatal ? -d.fatal_code : r;
    }
    if (d.saved) {
        *msg = d.saved;
        return -EINVAL;
    }
    return 0;
}
