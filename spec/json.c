/* json.c - the single place a spec tree becomes bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"

int spec_json_render(json_t *root, bool compact, char **out, size_t *len, struct bf_error *err)
{
    size_t flags = compact ? JSON_COMPACT : JSON_INDENT(2);
    size_t need = json_dumpb(root, NULL, 0, flags), got;
    char *buf;

    if (need == 0)
        return bf_error_set(err, EINVAL, "cannot serialize the spec (invalid UTF-8 in a string?)");
    buf = malloc(need + 2);
    if (!buf)
        return bf_error_set(err, ENOMEM, "out of memory rendering the spec");
    got = json_dumpb(root, buf, need, flags);
    if (got != need) {
        free(buf);
        return bf_error_set(err, EIO, "spec serialization changed size while rendering");
    }
    if (!compact)
        buf[got++] = '\n';
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

json_t *spec_b_str(struct spec_builder *b, const char *s)
{
    json_t *v = json_string(s ? s : "");
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
    /* jansson integers are signed 64-bit; Go would print the unsigned value. */
    if (v > INT64_MAX) {
        b->failed = true;
        return NULL;
    }
    return json_integer((json_int_t)v);
}

void spec_b_put(struct spec_builder *b, json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new(obj, key, v) < 0)
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
    int r;

    if (b->failed) {
        json_decref(root);
        return bf_error_set(err, EINVAL,
                            "container %s: %s: a value cannot be written (a string that is not "
                            "valid UTF-8, a number above 2^63-1, or out of memory)",
                            id, file);
    }
    r = spec_json_render(root, compact, out, len, err);
    json_decref(root);
    if (r < 0)
        bf_error_wrap(err, "container %s: %s", id, file);
    return r;
}
