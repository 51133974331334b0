/* jview.h - Go encoding/json's reading of a JSON document, straight from its bytes (jview.c).
 *
 * A document is validated once (jscan.c: exactly what jansson accepts); its values are then
 * pointers to their first byte inside the buffer, and members are looked up with ls_j_get's
 * rules: the exact key first (its last duplicate's value), else the case-insensitive spelling
 * first seen last (its last duplicate's value), null meaning absent. An object's members are
 * indexed the first time it is looked into; nothing else is built. Typed reads word their
 * errors as lsjson.c's ls_j_* do. Field tables (struct ls_jfield) say which member fills
 * which field, in the order they are checked: the first error in that order is reported.
 */
#ifndef LS_JVIEW_H
#define LS_JVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bf_error.h"

struct ls_jscan_span;

struct ls_jmember {
    const char *key; /* decoded, not NUL-terminated */
    size_t klen;
    const char *val; /* the value's first byte */
};

#define LS_JDOC_CACHE 8 /* objects whose index is kept at once */

struct ls_jdoc {
    const char *buf, *end, *root;
    const char *file; /* names the file in every message */
    struct bf_error *err;
    struct {
        const char *at; /* the object's '{', NULL: free slot */
        struct ls_jmember *m;
        size_t n;
    } idx[LS_JDOC_CACHE];
    unsigned next_evict;
    bool oom; /* an index could not be made: lookups answered absent, the fill fails */
    const char *memo_obj, *memo_key, *memo_val; /* ls_jv_path's last parent looked up */
    size_t memo_len;
    char **keys; /* decoded keys with escapes, freed with the document */
    size_t n_keys, cap_keys;
    struct ls_jscan_span *spans; /* where each object and array ends (jscan.h); NULL: scanned */
    size_t n_spans;
};

/* Validate `len` bytes as a JSON object. The errors are ls_parse_json's (jansson words what is
 * wrong with the JSON). `buf` must outlive the document. */
int ls_jdoc_open(struct ls_jdoc *d, const char *file, const char *buf, size_t len,
                 struct bf_error *err);
void ls_jdoc_close(struct ls_jdoc *d);

/* Value kinds by their first byte; NULL (absent) is none of them. */
static inline bool ls_jv_is_object(const char *v)
{
    return v && *v == '{';
}
static inline bool ls_jv_is_array(const char *v)
{
    return v && *v == '[';
}
static inline bool ls_jv_is_string(const char *v)
{
    return v && *v == '"';
}
static inline bool ls_jv_is_null(const char *v)
{
    return v && *v == 'n';
}
/* An integer (no fraction or exponent): its value; false for anything else. */
bool ls_jv_integer(const char *v, int64_t *out);

/* ls_j_get: member `key` of `obj` (NULL when obj is not an object, the key is missing or the
 * value null). `path` resolves a dotted path ("Config.Hostname") from `obj` the same way. */
const char *ls_jv_get(struct ls_jdoc *d, const char *obj, const char *key, size_t klen);
const char *ls_jv_path(struct ls_jdoc *d, const char *obj, const char *path);

/* The members of object `obj` as jansson keeps them: one per distinct key, in the order keys
 * were first seen, with the last duplicate's value (null values included). *m is malloc'd. */
int ls_jv_members(struct ls_jdoc *d, const char *obj, struct ls_jmember **m, size_t *n);

/* The elements of array `arr`: the first (NULL when empty), then the one after `prev`. */
const char *ls_jv_first(const struct ls_jdoc *d, const char *arr);
const char *ls_jv_next(const struct ls_jdoc *d, const char *prev);
size_t ls_jv_count(const struct ls_jdoc *d, const char *arr);

/* A string value decoded into a malloc'd, NUL-terminated copy (it holds no NUL). */
char *ls_jv_strdup(const struct ls_jdoc *d, const char *v);

int ls_jdoc_oom(const struct ls_jdoc *d);

/* Typed reads with ls_j_*'s rules and messages; the path named is "<pre>.<path>" (the first
 * pre_len bytes of pre) or "<path>" when pre is NULL. */
struct ls_jname {
    const char *pre;
    int pre_len;
    const char *path;
};
int ls_jv_type_error(const struct ls_jdoc *d, const struct ls_jname *n, const char *what);
int ls_jv_string(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, const char *dflt,
                 char **out);
int ls_jv_bool(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, bool *out);
int ls_jv_int64(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, int64_t *out);
int ls_jv_uint64(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, uint64_t *out);
int ls_jv_strv(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, char ***out,
               size_t *cnt);
int ls_jv_object(const struct ls_jdoc *d, const char *v, const struct ls_jname *n,
                 const char **out);
struct ls_kv;
int ls_jv_kv(struct ls_jdoc *d, const char *v, const struct ls_jname *n, struct ls_kv **out,
             size_t *cnt);

/* ---- field tables ---- */
enum ls_jfield_kind {
    LS_JF_STRING,   /* char * at off; absent/null: strdup(dflt), or NULL when dflt is NULL */
    LS_JF_BOOL,     /* bool at off */
    LS_JF_INT64,    /* int64_t at off */
    LS_JF_UINT64,   /* uint64_t at off */
    LS_JF_STRV,     /* char ** at off, size_t count at off2 */
    LS_JF_KV,       /* struct ls_kv * at off, size_t count at off2, sorted by key */
    LS_JF_OBJECT,   /* only checked: an object, or absent/null */
    LS_JF_OPT_BOOL, /* struct ls_opt_i64 at off: a Go *bool */
    LS_JF_OPT_I64,  /* struct ls_opt_i64 at off: a Go *int64 */
    LS_JF_FN,       /* fn(d, value or NULL, base, the name for messages) */
    LS_JF_TABLE,    /* the table sub (path "") over the same object and base */
};

struct ls_jfield {
    const char *path; /* dotted member path from the object, also the path messages name */
    enum ls_jfield_kind kind;
    size_t off, off2;
    const char *dflt;
    int (*fn)(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n);
    const struct ls_jfield *sub; /* LS_JF_TABLE */
};

/* Fill `base` from object `obj` (NULL: every member absent) field by field, in the order of
 * table `f` (ended by a NULL path); messages name "<pre>.<path>" (the first pre_len bytes of
 * pre; -1: all) or "<path>" when pre is NULL. */
int ls_jv_fill(struct ls_jdoc *d, const char *obj, const char *pre, int pre_len,
               const struct ls_jfield *f, void *base);

#endif
