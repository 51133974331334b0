/* mounts.c - MountPoints to spec mounts (doc §1.3, v1.13 setupMounts).
 *
 * Docker sorts by the number of separators in the cleaned destination with an unstable sort
 * over a map in random order; we break ties by destination bytes so the output is the same on
 * every read. A named volume of the local driver is served from R/volumes/<name>/_data (the
 * recorded Source is the path on the host that wrote it, possibly another machine's); a bind,
 * or a volume of another driver, keeps its recorded Source.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"

void spec_mounts_free(struct spec_mount *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].destination);
        free(v[i].source);
    }
    free(v);
}

static bool is_sep(char c)
{
    return c == '/' || c == '\\';
}

/* strings.Count(filepath.Clean(dst), separator): Clean collapses runs of separators and drops
 * a trailing one unless it is the root ("/" or "C:\\"). */
static size_t depth(const char *p)
{
    size_t len = strlen(p), runs = 0, last_run = 0;

    for (size_t i = 0; i < len; i++)
        if (is_sep(p[i]) && (i == 0 || !is_sep(p[i - 1]))) {
            runs++;
            last_run = i;
        }
    if (len && is_sep(p[len - 1]) && runs > 0) {
        bool root = last_run == 0 || (last_run == 2 && p[1] == ':');
        if (!root)
            runs--;
    }
    return runs;
}

static int cmp(const void *a, const void *b)
{
    const struct spec_mount *x = a, *y = b;
    size_t dx = depth(x->destination), dy = depth(y->destination);
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return strcmp(x->destination, y->destination);
}

int spec_mounts_build(const struct layerstore *ls, const struct ls_container *c,
                      struct spec_mount **out, size_t *n_out, struct bf_error *err)
{
    struct spec_mount *v = calloc(c->n_mounts ? c->n_mounts : 1, sizeof(*v));
    size_t n = 0;

    if (!v)
        return bf_error_set(err, ENOMEM, "mounts: out of memory");
    for (size_t i = 0; i < c->n_mounts; i++, n++) {
        const struct ls_mount *m = &c->mounts[i];
        bool local_volume = m->name && *m->name &&
                            (!m->driver || !*m->driver || strcmp(m->driver, "local") == 0) &&
                            (!m->type || !*m->type || strcmp(m->type, "volume") == 0);
        v[n].destination = strdup(m->destination ? m->destination : "");
        v[n].readonly = !m->rw;
        if (local_volume) {
            char rel[512];
            if (!bf_is_safe_component(m->name) || strlen(m->name) > 255) {
                spec_mounts_free(v, n + 1);
                return bf_error_set(err, EINVAL,
                                    "container %s: containers/%s/config.v2.json: MountPoints[%s]: "
                                    "volume name \"%s\" cannot be a folder name",
                                    c->id, c->id, m->destination, m->name);
            }
            snprintf(rel, sizeof(rel), "volumes/%s/_data", m->name);
            v[n].source = layerstore_path(ls, rel);
        } else {
            v[n].source = strdup(m->source ? m->source : "");
        }
        if (!v[n].destination || !v[n].source) {
            spec_mounts_free(v, n + 1);
            return bf_error_set(err, ENOMEM, "mounts: out of memory");
        }
    }
    qsort(v, n, sizeof(*v), cmp);
    *out = v;
    *n_out = n;
    return 0;
}
