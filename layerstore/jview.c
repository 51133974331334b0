/* jview.c - members and typed values of a validated JSON object, read from its bytes (jview.h).
 *
 * Why: a container's config.v2.json and hostconfig.json were built into jansson trees only to
 * pick some fifty fields out of them and free the trees again; most of a cold generation's
 * parse went to allocating and freeing those trees. Here the bytes are validated once
 * (jscan.c, which accepts and refuses exactly what jansson does) and every later step walks
 * bytes known to be well-formed: no bounds or grammar checks are repeated, a NUL byte can only
 * be the one jansson skips after a number or literal (so it reads as whitespace), and every
 * container closes before the buffer ends. Only the objects looked into are indexed (one
 * array of members each, kept for LS_JDOC_CACHE objects at a time).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bf_utf8.h"
#include "bf_util.h"
#include "jscan.h"
#include "jview.h"
#include "ls_internal.h"

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0';
}

/* Inside a container: something that is not whitespace comes before the end. */
static inline const char *skip_ws(const char *p)
{
    while (is_ws((unsigned char)*p))
        p++;
    return p;
}

/* Past the closing quote of the string whose opening quote is at p; *esc when it has escapes. */
static inline const char *str_end(const char *p, const char *end, bool *esc)
{
    const unsigned char *q = (const unsigned char *)p + 1, *e = (const unsigned char *)end;

    for (;;) {
        while (e - q >= 8) {
            uint64_t x, a, b, z;
            memcpy(&x, q, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            x = __builtin_bswap64(x);
#endif
            a = x ^ (ONES * '"');
            b = x ^ (ONES * '\\');
            /* a zero byte of a or b; the lowest flag is always a true one */
            z = (((a - ONES) & ~a) | ((b - ONES) & ~b)) & HIGHS;
            if (z) {
                q += (unsigned)__builtin_ctzll(z) >> 3;
                goto found;
            }
            q += 8;
        }
        while (*q != '"' && *q != '\\')
            q++;
    found:
        if (*q == '"')
            return (const char *)q + 1;
        *esc = true;
        q += 2; /* a \uXXXX's digits are plain bytes */
    }
}

/* Past the object or array at p, from the validator's spans: a binary search by its opening
 * offset (NULL when p opens none of them, which a validated document never has). */
static const char *span_end(const struct ls_jdoc *d, const char *p)
{
    uint32_t at = (uint32_t)(p - d->buf);
    size_t lo = 0, hi = d->n_spans;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->spans[mid].open < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n_spans && d->spans[lo].open == at ? d->buf + d->spans[lo].close + 1 : NULL;
}

/* Past the value at p. */
static const char *skip_value(const struct ls_jdoc *d, const char *p)
{
    const char *end = d->end;
    bool esc;

    switch (*p) {
    case '"':
        return str_end(p, end, &esc);
    case '{':
    case '[': {
        const char *past = d->spans ? span_end(d, p) : NULL;
        if (past)
            return past;
        size_t depth = 0;
        for (;;) {
            char c = *p;
            if (c == '"') {
                p = str_end(p, end, &esc);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return p + 1;
            p++;
        }
    }
    default:
        while (p < end && !is_ws((unsigned char)*p) && *p != ',' && *p != '}' && *p != ']')
            p++;
        return p;
    }
}

static unsigned hex4(const unsigned char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* Decode the validated string body [s, e) into o (room for e - s bytes: never longer). */
static size_t decode(const char *s, const char *e, char *o)
{
    const unsigned char *p = (const unsigned char *)s, *end = (const unsigned char *)e;
    size_t n = 0;

    while (p < end) {
        if (*p != '\\') {
            o[n++] = (char)*p++;
            continue;
        }
        switch (p[1]) {
        case 'b':
            o[n++] = '\b';
            break;
        case 'f':
            o[n++] = '\f';
            break;
        case 'n':
            o[n++] = '\n';
            break;
        case 'r':
            o[n++] = '\r';
            break;
        case 't':
            o[n++] = '\t';
            break;
        case 'u': {
            uint32_t cp = hex4(p + 2);
            p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* the validator saw its low half follow */
                cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(p + 2) - 0xDC00);
                p += 6;
            }
            n += bf_utf8_put(o + n, cp);
            continue;
        }
        default: /* " \ / */
            o[n++] = (char)p[1];
            break;
        }
        p += 2;
    }
    return n;
}

int ls_jdoc_oom(const struct ls_jdoc *d)
{
    return bf_error_set(d->err, ENOMEM, "%s: out of memory", d->file);
}

int ls_jdoc_open(struct ls_jdoc *d, const char *file, const char *buf, size_t len,
                 struct bf_error *err)
{
    json_t *tree = NULL;
    int r;

    memset(d, 0, sizeof(*d));
    d->file = file;
    d->err = err;
    d->buf = buf;
    d->end = buf + len;
    switch (ls_jscan_spans(buf, len, &d->spans, &d->n_spans)) {
    case LS_JSCAN_OK:
        d->root = buf;
        while (is_ws((unsigned char)*d->root))
            d->root++; /* an object follows */
        return 0;
    case LS_JSCAN_UNSURE:
        return bf_error_set(err, ENOMEM, "%s: out of memory parsing JSON", file);
    case LS_JSCAN_INVALID:
        break;
    }
    /* jansson words what is wrong, as for every other file */
    r = ls_parse_json(file, buf, len, &tree, err);
    if (r < 0)
        return r;
    json_decref(tree);
    return bf_error_set(err, EINVAL, "%s: invalid JSON (refused by the validator only)", file);
}

void ls_jdoc_close(struct ls_jdoc *d)
{
    for (size_t i = 0; i < LS_JDOC_CACHE; i++)
        free(d->idx[i].m);
    for (size_t i = 0; i < d->n_keys; i++)
        free(d->keys[i]);
    free(d->keys);
    free(d->spans);
    memset(d, 0, sizeof(*d));
}

/* Keep a decoded key until the document closes. */
static bool keep_key(struct ls_jdoc *d, char *k)
{
    if (d->n_keys == d->cap_keys) {
        size_t cap = d->cap_keys ? d->cap_keys * 2 : 8;
        char **v = realloc(d->keys, cap * sizeof(*v));
        if (!v)
            return false;
        d->keys = v;
        d->cap_keys = cap;
    }
    d->keys[d->n_keys++] = k;
    return true;
}

/* The members of object `obj` in file order, duplicates included; NULL without memory (the
 * document's memory error is then set). */
static const struct ls_jmember none;

static const struct ls_jmember *index_object(struct ls_jdoc *d, const char *obj, size_t *n)
{
    struct ls_jmember *m = NULL;
    size_t cnt = 0, cap = 0, slot = LS_JDOC_CACHE;
    const char *p;

    for (size_t i = 0; i < LS_JDOC_CACHE; i++) {
        if (d->idx[i].at == obj) {
            *n = d->idx[i].n;
            return d->idx[i].m ? d->idx[i].m : &none;
        }
        if (!d->idx[i].at && slot == LS_JDOC_CACHE)
            slot = i;
    }
    p = skip_ws(obj + 1);
    while (*p == '"') {
        bool esc = false;
        const char *ks = p + 1, *q = str_end(p, d->end, &esc);
        struct ls_jmember mb = {.key = ks, .klen = (size_t)(q - 1 - ks)};

        if (esc) {
            char *k = malloc(mb.klen + 1);
            if (!k || !keep_key(d, k)) {
                free(k);
                goto oom;
            }
            mb.klen = decode(ks, q - 1, k);
            mb.key = k;
        }
        p = skip_ws(skip_ws(q) + 1); /* past ':' */
        mb.val = p;
        p = skip_ws(skip_value(d, p));
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct ls_jmember *v = realloc(m, nc * sizeof(*m));
            if (!v)
                goto oom;
            m = v;
            cap = nc;
        }
        m[cnt++] = mb;
        if (*p == ',')
            p = skip_ws(p + 1);
    }
    if (slot == LS_JDOC_CACHE) { /* slot 0 keeps the first object indexed: the root */
        slot = 1 + d->next_evict++ % (LS_JDOC_CACHE - 1);
        free(d->idx[slot].m);
    }
    d->idx[slot].at = obj;
    d->idx[slot].m = m;
    d->idx[slot].n = cnt;
    *n = cnt;
    return m ? m : &none;
oom:
    free(m);
    d->oom = true;
    return NULL;
}

static int cmp_key_pos(const void *a, const void *b)
{
    const struct ls_jmember *x = *(const struct ls_jmember *const *)a;
    const struct ls_jmember *y = *(const struct ls_jmember *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);

    if (c)
        return c;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Several spellings of one key matched case-insensitively (no exact one): jansson's object
 * keeps each spelling once, where it was first seen, with its last value, and ls_j_get's scan
 * ends on the spelling first seen last. */
static const char *ci_winner(struct ls_jdoc *d, const struct ls_jmember *m, size_t n,
                             const char *key, size_t klen)
{
    const struct ls_jmember **c = malloc(n * sizeof(*c)), *win_first = NULL, *win_last = NULL;
    size_t k = 0;

    if (!c) {
        d->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (m[i].klen == klen && strncasecmp(m[i].key, key, klen) == 0)
            c[k++] = &m[i];
    qsort(c, k, sizeof(*c), cmp_key_pos);
    for (size_t i = 0; i < k;) {
        size_t j = i;
        while (j + 1 < k && memcmp(c[j + 1]->key, c[i]->key, klen) == 0)
            j++;
        if (!win_first || c[i] > win_first) {
            win_first = c[i];
            win_last = c[j];
        }
        i = j + 1;
    }
    const char *v = win_last->val;
    free(c);
    return v;
}

static inline unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

const char *ls_jv_get(struct ls_jdoc *d, const char *obj, const char *key, size_t klen)
{
    const struct ls_jmember *m;
    const char *v = NULL, *ci_key = NULL;
    unsigned char k0 = klen ? fold((unsigned char)key[0]) : 0;
    bool multi = false;
    size_t n;

    if (!ls_jv_is_object(obj) || !(m = index_object(d, obj, &n)))
        return NULL;
    /* from the end: the first exact match is the last duplicate; the case-insensitive ones
     * (Go's fallback, as ls_j_get makes it) count only when there is none */
    for (size_t i = n; i-- > 0;) {
        if (m[i].klen != klen || (klen && fold((unsigned char)m[i].key[0]) != k0))
            continue;
        if (memcmp(m[i].key, key, klen) == 0) {
            v = m[i].val;
            goto found;
        }
        if (strncasecmp(m[i].key, key, klen) != 0)
            continue;
        if (!ci_key) {
            ci_key = m[i].key;
            v = m[i].val;
        } else if (memcmp(ci_key, m[i].key, klen) != 0) {
            multi = true;
        }
    }
    if (multi)
        v = ci_winner(d, m, n, key, klen);
found:
    return v && *v != 'n' ? v : NULL;
}

const char *ls_jv_path(struct ls_jdoc *d, const char *obj, const char *path)
{
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        if (!dot)
            return ls_jv_get(d, obj, path, len);
        /* tables name one parent many times in a row ("Config.Hostname", "Config.User") */
        if (d->memo_obj != obj || d->memo_len != len || memcmp(d->memo_key, path, len) != 0) {
            d->memo_val = ls_jv_get(d, obj, path, len);
            d->memo_obj = d->oom ? NULL : obj;
            d->memo_key = path;
            d->memo_len = len;
        }
        if (!(obj = d->memo_val))
            return NULL;
        path = dot + 1;
    }
}

#define SMALL_MAP 16 /* up to this many members, duplicates are merged by a plain search */

int ls_jv_members(struct ls_jdoc *d, const char *obj, struct ls_jmember **out, size_t *cnt)
{
    const struct ls_jmember *m;
    struct ls_jmember *o;
    size_t n, k = 0;

    *out = NULL;
    *cnt = 0;
    if (!(m = index_object(d, obj, &n)))
        return ls_jdoc_oom(d);
    if (!n)
        return 0;
    if (!(o = malloc(n * sizeof(*o))))
        return ls_jdoc_oom(d);
    if (n <= SMALL_MAP) {
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < k && !(o[j].klen == m[i].klen && memcmp(o[j].key, m[i].key, m[i].klen) == 0))
                j++;
            if (j == k)
                o[k++] = m[i];
            else
                o[j].val = m[i].val;
        }
    } else {
        const struct ls_jmember **s = malloc(n * sizeof(*s));
        const char **last = calloc(n, sizeof(*last));
        if (!s || !last) {
            free(s);
            free(last);
            free(o);
            return ls_jdoc_oom(d);
        }
        for (size_t i = 0; i < n; i++)
            s[i] = &m[i];
        qsort(s, n, sizeof(*s), cmp_key_pos);
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j + 1 < n && s[j + 1]->klen == s[i]->klen &&
                   memcmp(s[j + 1]->key, s[i]->key, s[i]->klen) == 0)
                j++;
            last[s[i] - m] = s[j]->val;
            i = j + 1;
        }
        for (size_t i = 0; i < n; i++) {
            if (last[i]) {
                o[k] = m[i];
                o[k++].val = last[i];
            }
        }
        free(s);
        free(last);
    }
    *out = o;
    *cnt = k;
    return 0;
}

const char *ls_jv_first(const struct ls_jdoc *d, const char *arr)
{
    const char *p = skip_ws(arr + 1);
    (void)d;
    return *p == ']' ? NULL : p;
}

const char *ls_jv_next(const struct ls_jdoc *d, const char *prev)
{
    const char *p = skip_ws(skip_value(d, prev));
    return *p == ',' ? skip_ws(p + 1) : NULL;
}

size_t ls_jv_count(const struct ls_jdoc *d, const char *arr)
{
    size_t n = 0;
    for (const char *e = ls_jv_first(d, arr); e; e = ls_jv_next(d, e))
        n++;
    return n;
}

bool ls_jv_integer(const char *v, int64_t *out)
{
    const char *p = v;
    bool neg = false;
    uint64_t acc = 0;

    if (!v || (*p != '-' && (*p < '0' || *p > '9')))
        return false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p >= '0' && *p <= '9'; p++)
        acc = acc * 10 + (uint64_t)(*p - '0'); /* the validator kept it in int64's range */
    if (*p == '.' || *p == 'e' || *p == 'E')
        return false;
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

char *ls_jv_strdup(const struct ls_jdoc *d, const char *v)
{
    bool esc = false;
    const char *e = str_end(v, d->end, &esc) - 1;
    size_t raw = (size_t)(e - (v + 1));
    char *s = malloc(raw + 1);

    if (!s)
        return NULL;
    if (esc) {
        s[decode(v + 1, e, s)] = '\0';
    } else {
        memcpy(s, v + 1, raw);
        s[raw] = '\0';
    }
    return s;
}

int ls_jv_type_error(const struct ls_jdoc *d, const struct ls_jname *n, const char *what)
{
    if (n->pre)
        return bf_error_set(d->err, EINVAL, "%s: \"%.*s.%s\" must be %s", d->file, n->pre_len,
                            n->pre, n->path, what);
    return bf_error_set(d->err, EINVAL, "%s: \"%s\" must be %s", d->file, n->path, what);
}

int ls_jv_string(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, const char *dflt,
                 char **out)
{
    *out = NULL;
    if (!v || *v == 'n') {
        if (!dflt)
            return 0;
        *out = strdup(dflt);
    } else if (*v != '"') {
        return ls_jv_type_error(d, n, "a string");
    } else {
        *out = ls_jv_strdup(d, v);
    }
    return *out ? 0 : ls_jdoc_oom(d);
}

int ls_jv_bool(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, bool *out)
{
    *out = false;
    if (!v || *v == 'n')
        return 0;
    if (*v != 't' && *v != 'f')
        return ls_jv_type_error(d, n, "a boolean");
    *out = *v == 't';
    return 0;
}

int ls_jv_int64(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, int64_t *out)
{
    *out = 0;
    if (!v || *v == 'n')
        return 0;
    if (!ls_jv_integer(v, out)) {
        *out = 0;
        return ls_jv_type_error(d, n, "an integer");
    }
    return 0;
}

int ls_jv_uint64(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, uint64_t *out)
{
    int64_t i;

    *out = 0;
    if (!v || *v == 'n')
        return 0;
    if (!ls_jv_integer(v, &i) || i < 0)
        return ls_jv_type_error(d, n, "a non-negative integer");
    *out = (uint64_t)i;
    return 0;
}

int ls_jv_strv(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, char ***out,
               size_t *cnt)
{
    char **vec;
    size_t len = 0, i = 0;

    *out = NULL;
    *cnt = 0;
    if (!v || *v == 'n')
        return 0;
    if (*v != '[')
        return ls_jv_type_error(d, n, "an array of strings");
    for (const char *e = ls_jv_first(d, v); e; e = ls_jv_next(d, e), len++)
        if (*e != '"')
            return ls_jv_type_error(d, n, "an array of strings");
    if (!len)
        return 0;
    if (!(vec = calloc(len, sizeof(*vec))))
        return ls_jdoc_oom(d);
    for (const char *e = ls_jv_first(d, v); e; e = ls_jv_next(d, e), i++) {
        if (!(vec[i] = ls_jv_strdup(d, e))) {
            ls_strv_free(vec, i);
            return ls_jdoc_oom(d);
        }
    }
    *out = vec;
    *cnt = len;
    return 0;
}

int ls_jv_object(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, const char **out)
{
    *out = NULL;
    if (!v || *v == 'n')
        return 0;
    if (*v != '{')
        return ls_jv_type_error(d, n, "an object");
    *out = v;
    return 0;
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ls_kv *)a)->key, ((const struct ls_kv *)b)->key);
}

int ls_jv_kv(struct ls_jdoc *d, const char *v, const struct ls_jname *n, struct ls_kv **out,
             size_t *cnt)
{
    _cleanup_free_ struct ls_jmember *m = NULL;
    struct ls_kv *kv;
    size_t len;
    int r;

    *out = NULL;
    *cnt = 0;
    if (!v || *v == 'n')
        return 0;
    if (*v != '{')
        return ls_jv_type_error(d, n, "an object of strings");
    if ((r = ls_jv_members(d, v, &m, &len)) < 0 || !len)
        return r;
    for (size_t i = 0; i < len; i++) /* Go decodes null into a map[string]string value as "" */
        if (*m[i].val != '"' && *m[i].val != 'n')
            return ls_jv_type_error(d, n, "an object of strings");
    if (!(kv = calloc(len, sizeof(*kv))))
        return ls_jdoc_oom(d);
    for (size_t i = 0; i < len; i++) {
        kv[i].key = strndup(m[i].key, m[i].klen);
        kv[i].value = *m[i].val == '"' ? ls_jv_strdup(d, m[i].val) : strdup("");
        if (!kv[i].key || !kv[i].value) {
            ls_kv_free(kv, i + 1);
            return ls_jdoc_oom(d);
        }
    }
    qsort(kv, len, sizeof(*kv), kv_cmp);
    *out = kv;
    *cnt = len;
    return 0;
}

int ls_jv_fill(struct ls_jdoc *d, const char *obj, const char *pre, int pre_len,
               const struct ls_jfield *f, void *base)
{
    for (const struct ls_jfield *x = f; x->path; x++) {
        const struct ls_jname nm = {.pre = pre, .pre_len = pre_len, .path = x->path};
        const char *v = obj;
        char *at = (char *)base + x->off;
        struct ls_opt_i64 *o = (struct ls_opt_i64 *)at;
        bool b;
        int r = 0;

        if (x->kind != LS_JF_TABLE && x->path[0])
            v = ls_jv_path(d, obj, x->path);
        if (d->oom)
            return ls_jdoc_oom(d);
        switch (x->kind) {
        case LS_JF_STRING:
            r = ls_jv_string(d, v, &nm, x->dflt, (char **)at);
            break;
        case LS_JF_BOOL:
            r = ls_jv_bool(d, v, &nm, (bool *)at);
            break;
        case LS_JF_INT64:
            r = ls_jv_int64(d, v, &nm, (int64_t *)at);
            break;
        case LS_JF_UINT64:
            r = ls_jv_uint64(d, v, &nm, (uint64_t *)at);
            break;
        case LS_JF_STRV:
            r = ls_jv_strv(d, v, &nm, (char ***)at, (size_t *)((char *)base + x->off2));
            break;
        case LS_JF_KV:
            r = ls_jv_kv(d, v, &nm, (struct ls_kv **)at, (size_t *)((char *)base + x->off2));
            break;
        case LS_JF_OBJECT:
            r = ls_jv_object(d, v, &nm, &v);
            break;
        case LS_JF_OPT_BOOL:
            r = ls_jv_bool(d, v, &nm, &b);
            o->set = r == 0 && v;
            o->v = b;
            break;
        case LS_JF_OPT_I64:
            r = ls_jv_int64(d, v, &nm, &o->v);
            o->set = r == 0 && v;
            break;
        case LS_JF_FN:
            r = x->fn(d, v, base, &nm);
            break;
        case LS_JF_TABLE:
            r = ls_jv_fill(d, obj, pre, pre_len, x->sub, base);
            break;
        }
        if (r < 0)
            return r;
        if (d->oom)
            return ls_jdoc_oom(d);
    }
    return 0;
}
