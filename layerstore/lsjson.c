/* lsjson.c - typed access to parsed JSON with Go encoding/json semantics.
 *
 * Docker writes these files with Go's encoding/json, and reads them back the same way, so a
 * missing key and a JSON null both give the zero value, and a value of the wrong type is an
 * error. Numbers for integer fields must be JSON integers in range (Go refuses 1.5 or 1e3 for
 * an int64). Messages name the key path: `<file>: "Config.Env" must be an array of strings`.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bf_util.h"
#include "ls_internal.h"

json_t *ls_j_get(json_t *obj, const char *key)
{
    json_t *v;

    if (!obj || !json_is_object(obj))
        return NULL;
    v = json_object_get(obj, key);
    if (!v) {
        /* Go matches struct field names case-insensitively when there is no exact match
         * ("cpushares" sets CpuShares); of several such keys the last one wins. A key
         * shorter than `key`, or whose first letter differs, cannot be one (strcasecmp
         * compares up to a NUL, so a longer key with a NUL inside still can). */
        size_t n = strlen(key);
        int c0 = tolower((unsigned char)key[0]);
        for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
            const char *k;
            if (json_object_iter_key_len(it) < n)
                continue;
            k = json_object_iter_key(it);
            if (tolower((unsigned char)k[0]) == c0 && strcasecmp(k, key) == 0)
                v = json_object_iter_value(it);
        }
    }
    if (!v || json_is_null(v))
        return NULL;
    return v;
}

static int type_error(const struct ls_jctx *c, const char *path, const char *what)
{
    return bf_error_set(c->err, EINVAL, "%s: \"%s\" must be %s", c->file, path, what);
}

static int oom(const struct ls_jctx *c)
{
    return bf_error_set(c->err, ENOMEM, "%s: out of memory", c->file);
}

int ls_j_string(const struct ls_jctx *c, json_t *v, const char *path, const char *dflt, char **out)
{
    const char *s;

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!dflt)
            return 0;
        s = dflt;
    } else if (!json_is_string(v)) {
        return type_error(c, path, "a string");
    } else {
        s = json_string_value(v);
    }
    *out = strdup(s);
    if (!*out)
        return oom(c);
    return 0;
}

int ls_j_bool(const struct ls_jctx *c, json_t *v, const char *path, bool *out)
{
    *out = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return type_error(c, path, "a boolean");
    *out = json_is_true(v);
    return 0;
}

int ls_j_int64(const struct ls_jctx *c, json_t *v, const char *path, int64_t *out)
{
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    /* json_int_t is long long; jansson refuses integers beyond its range at parse time. */
    if (!json_is_integer(v))
        return type_error(c, path, "an integer");
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int ls_j_uint64(const struct ls_jctx *c, json_t *v, const char *path, uint64_t *out)
{
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return type_error(c, path, "a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

int ls_j_strv(const struct ls_jctx *c, json_t *v, const char *path, char ***out, size_t *n)
{
    char **vec;
    size_t len;

    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return type_error(c, path, "an array of strings");
    len = json_array_size(v);
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!json_is_string(json_array_get(v, i)))
            return type_error(c, path, "an array of strings");
    vec = calloc(len, sizeof(*vec));
    if (!vec)
        return oom(c);
    for (size_t i = 0; i < len; i++) {
        vec[i] = strdup(json_string_value(json_array_get(v, i)));
        if (!vec[i]) {
            ls_strv_free(vec, i);
            return oom(c);
        }
    }
    *out = vec;
    *n = len;
    return 0;
}

int ls_j_object(const struct ls_jctx *c, json_t *v, const char *path, json_t **out)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return type_error(c, path, "an object");
    *out = v;
    return 0;
}

void ls_kv_free(struct ls_kv *kv, size_t n)
{
    if (!kv)
        return;
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ls_kv *)a)->key, ((const struct ls_kv *)b)->key);
}

int ls_j_kv(const struct ls_jctx *c, json_t *v, const char *path, struct ls_kv **out, size_t *n)
{
    struct ls_kv *kv;
    const char *key;
    json_t *val;
    size_t len, i = 0;

    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return type_error(c, path, "an object of strings");
    len = json_object_size(v);
    if (len == 0)
        return 0;
    json_object_foreach(v, key, val)
    {
        /* Go decodes null into a map[string]string value as "". */
        if (!json_is_string(val) && !json_is_null(val))
            return type_error(c, path, "an object of strings");
    }
    kv = calloc(len, sizeof(*kv));
    if (!kv)
        return oom(c);
    json_object_foreach(v, key, val)
    {
        kv[i].key = strdup(key);
        kv[i].value = strdup(json_is_string(val) ? json_string_value(val) : "");
        if (!kv[i].key || !kv[i].value) {
            ls_kv_free(kv, i + 1);
            return oom(c);
        }
        i++;
    }
    qsort(kv, len, sizeof(*kv), kv_cmp);
    *out = kv;
    *n = len;
    return 0;
}
