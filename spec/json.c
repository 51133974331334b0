/* json.c - the spec module's JSON documents: built in an arena, written in one pass. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_utf8.h"
#include "jarena.h"
#include "spec_internal.h"

enum sn_kind {
    SN_NULL,
    SN_TRUE,
    SN_FALSE,
    SN_I64,
    SN_U64,
    SN_NUM, /* a number's bytes as jansson wrote them (a real of an imported document) */
    SN_STR,
    SN_RAW, /* bytes rendered beforehand for raw_depth and raw_compact (spec_b_raw) */
    SN_ARR,
    SN_OBJ,
};

/* A node is in at most one array or object (`linked`): the lists are threaded through it. */
struct spec_node {
    struct spec_node *next; /* the next element or member of the array or object it is in */
    const char *key;        /* a member's key (the builder's caller keeps it alive) */
    uint8_t kind;
    bool linked;
    uint8_t raw_depth;
    bool raw_compact;
    size_t len; /* SN_STR, SN_RAW, SN_NUM: bytes; SN_ARR, SN_OBJ: elements or members */
    union {
        int64_t i;
        uint64_t u;
        const char *s;
        struct {
            struct spec_node *head, *tail;
        } list;
    };
};

/* ---- the arena ---- */

struct spec_ablock {
    struct spec_ablock *next;
    alignas(max_align_t) char data[];
};

#define ARENA_FIRST (16u << 10)
#define ARENA_MAX_STEP (1u << 20)
#define ARENA_OWN (4u << 10)

/* Blocks double from ARENA_FIRST up to ARENA_MAX_STEP; a request above ARENA_OWN that does not
 * fit gets a block of exactly its size, behind the current one, which goes on serving: what a
 * builder holds is at most about twice what it was asked for. */
static void *arena_alloc(struct spec_builder *b, size_t n)
{
    struct spec_ablock *blk;
    size_t size;
    void *p;

    if (n > SIZE_MAX - 8 - sizeof(*blk))
        goto fail;
    n = (n + 7) & ~(size_t)7;
    if ((size_t)(b->end - b->cur) >= n) {
        p = b->cur;
        b->cur += n;
        b->used += n;
        return p;
    }
    size = n > ARENA_OWN ? n : !b->step ? ARENA_FIRST : b->step * 2;
    if (size > ARENA_MAX_STEP && n <= ARENA_OWN)
        size = ARENA_MAX_STEP;
    if (!(blk = malloc(sizeof(*blk) + size)))
        goto fail;
    if (n > ARENA_OWN && b->blocks) {
        blk->next = b->blocks->next;
        b->blocks->next = blk;
    } else {
        blk->next = b->blocks;
        b->blocks = blk;
        if (n <= ARENA_OWN) {
            b->step = size;
            b->cur = blk->data + n;
            b->end = blk->data + size;
        }
    }
    b->used += n;
    return blk->data;
fail:
    b->failed = true;
    return NULL;
}

void spec_b_free(struct spec_builder *b)
{
    struct spec_ablock *blk = b->blocks;

    while (blk) {
        struct spec_ablock *next = blk->next;
        free(blk);
        blk = next;
    }
    b->blocks = NULL;
    b->cur = b->end = NULL;
    b->used = b->step = 0;
}

static struct spec_node *node(struct spec_builder *b, enum sn_kind kind, size_t extra)
{
    struct spec_node *n;

    if (extra > SIZE_MAX - sizeof(*n)) {
        b->failed = true;
        return NULL;
    }
    n = arena_alloc(b, sizeof(*n) + extra);
    if (n) {
        memset(n, 0, sizeof(*n));
        n->kind = (uint8_t)kind;
    }
    return n;
}

/* ---- the writer ----
 * The bytes json_dumpb(root, JSON_INDENT(2) or JSON_COMPACT) gives for the same tree, which
 * the documents were first built as; jansson's rules, kept exactly: objects in insertion
 * order; '"', '\\' and bytes below 0x20 escaped (\b \f \n \r \t, else \u00XX in upper-case
 * hex), everything else as is (no JSON_ENSURE_ASCII, no JSON_ESCAPE_SLASH); "%lld" integers;
 * a string or key that is not UTF-8 by jansson's check is an error, as in json_dumpb. Strings
 * go into the builder unchecked and are checked here, once. */
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
    static const char nl_spaces[] = "\n                                                ";
    const size_t most = sizeof(nl_spaces) - 2; /* spaces after the newline */
    size_t n = (size_t)depth * 2, k = n < most ? n : most;

    if (compact)
        return;
    wb_put(w, nl_spaces, 1 + k);
    for (n -= k; n > 0; n -= k) {
        k = n < most ? n : most;
        wb_put(w, nl_spaces + 1, k);
    }
}

/* "%lld" of v, or of -v when `neg` */
static void wb_uint(struct wbuf *w, uint64_t v, bool neg)
{
    char buf[24], *p = buf + sizeof(buf);

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg)
        *--p = '-';
    wb_put(w, p, (size_t)(buf + sizeof(buf) - p));
}

static void wb_value(struct wbuf *w, const struct spec_node *v, bool compact, int depth)
{
    switch ((enum sn_kind)v->kind) {
    case SN_NULL:
        wb_put(w, "null", 4);
        break;
    case SN_TRUE:
        wb_put(w, "true", 4);
        break;
    case SN_FALSE:
        wb_put(w, "false", 5);
        break;
    case SN_I64:
        wb_uint(w, v->i < 0 ? 0 - (uint64_t)v->i : (uint64_t)v->i, v->i < 0);
        break;
    case SN_U64:
        wb_uint(w, v->u, false);
        break;
    case SN_NUM:
        wb_put(w, v->s, v->len);
        break;
    case SN_STR:
        wb_string(w, v->s, v->len);
        break;
    case SN_RAW:
        /* made for another place: an error, never misindented output */
        if (v->raw_depth != depth || v->raw_compact != compact) {
            w->failed = EINVAL;
            return;
        }
        wb_put(w, v->s, v->len);
        break;
    case SN_ARR:
        wb_char(w, '[');
        for (const struct spec_node *e = v->list.head; e && !w->failed; e = e->next) {
            if (e != v->list.head)
                wb_char(w, ',');
            wb_indent(w, compact, depth + 1);
            wb_value(w, e, compact, depth + 1);
        }
        if (v->list.head)
            wb_indent(w, compact, depth);
        wb_char(w, ']');
        break;
    case SN_OBJ:
        wb_char(w, '{');
        for (const struct spec_node *e = v->list.head; e && !w->failed; e = e->next) {
            if (e != v->list.head)
                wb_char(w, ',');
            wb_indent(w, compact, depth + 1);
            wb_string(w, e->key, strlen(e->key));
            wb_put(w, compact ? ":" : ": ", compact ? 1 : 2);
            wb_value(w, e, compact, depth + 1);
        }
        if (v->list.head)
            wb_indent(w, compact, depth);
        wb_char(w, '}');
        break;
    }
}

/* -ENOMEM, or -EINVAL (a string that is not UTF-8, a fragment out of place, a root that is
 * neither an object nor an array). `hint`, the first buffer's size: the bytes the document's
 * nodes and strings took in the arena, more than the nodes' punctuation and indent mostly. */
static int render_node(const struct spec_node *root, size_t hint, bool compact, char **out,
                       size_t *len)
{
    struct wbuf w = {0};
    char *buf;

    if (root->kind != SN_OBJ && root->kind != SN_ARR)
        return -EINVAL;
    if (hint > 4096 && !wb_grow(&w, hint))
        return -ENOMEM;
    wb_value(&w, root, compact, 0);
    if (!compact)
        wb_char(&w, '\n');
    wb_char(&w, '\0');
    if (w.failed) {
        free(w.p);
        return -w.failed;
    }
    /* Exact size: generated bytes are kept as long as the container's files are cached. */
    buf = realloc(w.p, w.len);
    *out = buf ? buf : w.p;
    *len = w.len - 1;
    return 0;
}

/* ---- building ---- */

struct spec_node *spec_b_strn(struct spec_builder *b, const char *s, size_t len)
{
    struct spec_node *n = node(b, SN_STR, len);

    if (n) {
        char *copy = (char *)(n + 1);
        memcpy(copy, s, len);
        n->s = copy;
        n->len = len;
    }
    return n;
}

struct spec_node *spec_b_str(struct spec_builder *b, const char *s)
{
    return spec_b_strn(b, s ? s : "", s ? strlen(s) : 0);
}

struct spec_node *spec_b_obj(struct spec_builder *b)
{
    return node(b, SN_OBJ, 0);
}

struct spec_node *spec_b_arr(struct spec_builder *b)
{
    return node(b, SN_ARR, 0);
}

struct spec_node *spec_b_u64(struct spec_builder *b, uint64_t v)
{
    struct spec_node *n = node(b, SN_U64, 0);

    if (n)
        n->u = v;
    return n;
}

struct spec_node *spec_b_i64(struct spec_builder *b, int64_t v)
{
    struct spec_node *n = node(b, SN_I64, 0);

    if (n)
        n->i = v;
    return n;
}

struct spec_node *spec_b_bool(struct spec_builder *b, bool v)
{
    return node(b, v ? SN_TRUE : SN_FALSE, 0);
}

struct spec_node *spec_b_null(struct spec_builder *b)
{
    return node(b, SN_NULL, 0);
}

struct spec_node *spec_b_raw(struct spec_builder *b, const char *bytes, size_t len, bool compact,
                             int depth)
{
    struct spec_node *n;

    if (depth < 0 || depth > 255) {
        b->failed = true;
        return NULL;
    }
    if ((n = node(b, SN_RAW, len))) {
        char *copy = (char *)(n + 1);
        memcpy(copy, bytes, len);
        n->s = copy;
        n->len = len;
        n->raw_depth = (uint8_t)depth;
        n->raw_compact = compact;
    }
    return n;
}

size_t spec_b_count(const struct spec_node *v)
{
    return v && (v->kind == SN_ARR || v->kind == SN_OBJ) ? v->len : 0;
}

static bool b_link(struct spec_builder *b, struct spec_node *list, enum sn_kind kind,
                   struct spec_node *v)
{
    if (!list || !v || list->kind != kind || v->linked) {
        b->failed = true;
        return false;
    }
    v->linked = true;
    if (list->list.tail)
        list->list.tail->next = v;
    else
        list->list.head = v;
    list->list.tail = v;
    list->len++;
    return true;
}

void spec_b_put(struct spec_builder *b, struct spec_node *obj, const char *key, struct spec_node *v)
{
    if (b_link(b, obj, SN_OBJ, v))
        v->key = key;
}

void spec_b_push(struct spec_builder *b, struct spec_node *arr, struct spec_node *v)
{
    (void)b_link(b, arr, SN_ARR, v);
}

struct spec_node *spec_b_json(struct spec_builder *b, const json_t *v)
{
    struct spec_node *n = NULL;

    switch (json_typeof(v)) {
    case JSON_NULL:
        return spec_b_null(b);
    case JSON_TRUE:
        return spec_b_bool(b, true);
    case JSON_FALSE:
        return spec_b_bool(b, false);
    case JSON_INTEGER:
        return spec_b_i64(b, json_integer_value(v));
    case JSON_REAL: {
        char *num = json_dumps(v, JSON_ENCODE_ANY);
        if (!num) {
            b->failed = true;
            return NULL;
        }
        n = spec_b_strn(b, num, strlen(num));
        ja_free(num); /* jansson's block: its free function's */
        if (n)
            n->kind = SN_NUM;
        return n;
    }
    case JSON_STRING:
        return spec_b_strn(b, json_string_value(v), json_string_length(v));
    case JSON_ARRAY:
        n = spec_b_arr(b);
        for (size_t i = 0; n && i < json_array_size(v); i++)
            spec_b_push(b, n, spec_b_json(b, json_array_get(v, i)));
        return n;
    case JSON_OBJECT:
        n = spec_b_obj(b);
        for (void *it = json_object_iter((json_t *)v); n && it;
             it = json_object_iter_next((json_t *)v, it)) {
            const char *key = json_object_iter_key(it);
            size_t kl = strlen(key) + 1;
            char *copy = arena_alloc(b, kl);
            if (!copy)
                break;
            memcpy(copy, key, kl);
            spec_b_put(b, n, copy, spec_b_json(b, json_object_iter_value(it)));
        }
        return n;
    }
    b->failed = true;
    return NULL;
}

int spec_json_render_value(const json_t *v, bool compact, int depth, char **out, size_t *len)
{
    struct spec_builder b = {false};
    struct spec_node *n;
    struct wbuf w = {0};

    if (depth < 0 || depth > 255)
        return -EINVAL;
    n = spec_b_json(&b, v);
    if (b.failed) {
        spec_b_free(&b);
        return -ENOMEM;
    }
    wb_value(&w, n, compact, depth);
    spec_b_free(&b);
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

int spec_json_render(json_t *root, bool compact, char **out, size_t *len, struct bf_error *err)
{
    struct spec_builder b = {false};
    struct spec_node *n = spec_b_json(&b, root);
    int r = b.failed ? -ENOMEM : render_node(n, b.used, compact, out, len);

    spec_b_free(&b);
    if (r == -ENOMEM)
        return bf_error_set(err, ENOMEM, "out of memory rendering the spec");
    if (r < 0)
        return bf_error_set(err, EINVAL, "cannot serialize the spec (invalid UTF-8 in a string?)");
    return 0;
}

void spec_b_put_env(struct spec_builder *b, struct spec_node *process, const struct ls_container *c)
{
    struct spec_node *env = NULL;

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

void spec_b_put_hostname(struct spec_builder *b, struct spec_node *root,
                         const struct ls_container *c)
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

int spec_b_finish(struct spec_builder *b, struct spec_node *root, bool compact, const char *id,
                  const char *file, char **out, size_t *len, struct bf_error *err)
{
    int r = b->failed || !root ? -EINVAL : render_node(root, b->used, compact, out, len);

    spec_b_free(b);
    if (r == -EINVAL)
        return bf_error_set(err, EINVAL,
                            "container %s: %s: a value cannot be written (a string that is not "
                            "valid UTF-8, a number above 2^63-1, or out of memory)",
                            id, file);
    if (r < 0)
        return bf_error_set(err, -r, "container %s: %s: out of memory rendering the spec", id,
                            file);
    return 0;
}
