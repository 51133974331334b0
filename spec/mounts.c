/* mounts.c - MountPoints to spec mounts of a Windows container (doc §1.3, the Windows
 * setupMounts of the seed's era).
 *
 * Per mount point, as setupMounts does: lazyInitializeVolume first, then the source.
 * - A mount point with a Driver names a volume, which must exist whatever its Source
 *   (GetWithRef). The local driver's volumes are the folders of R/volumes/: one that is missing
 *   is Docker's "get <name>: no such volume"; it is served from R/volumes/<name>/_data (the
 *   recorded Source is the path on the host that wrote it, possibly another machine's). Another
 *   driver is a plugin only a running daemon can ask: an error that says so, never a guess. Its
 *   _data must be a folder reached without a link, as every path handed to the runtime is.
 * - Without a Driver it is a bind: the recorded Source, and without one Docker's "No source for
 *   mount name ..." error.
 * Docker sorts by the number of separators in the cleaned destination with an unstable sort
 * over a map in random order; we break ties by destination bytes so the output is the same on
 * every read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "bf_util.h"
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

static int volume_source(const struct layerstore *ls, const struct ls_container *c,
                         const struct ls_mount *m, char **out, struct ls_inputs *in,
                         struct bf_error *err)
{
    char rel[512];
    bool exists = false;
    mode_t mode = 0;

    if (strcmp(m->driver, "local") != 0) {
        _cleanup_free_ char *q = spec_go_quote(m->driver);
        return bf_error_set(err, ENOTSUP,
                            "container %s: get %s: volume driver %s is a plugin only a running "
                            "Docker daemon can ask (bundlefs reads files only)",
                            c->id, m->name ? m->name : "", q ? q : m->driver);
    }
    if (!m->name || !bf_is_safe_component(m->name) || strlen(m->name) > 255)
        return bf_error_set(err, EINVAL,
                            "container %s: containers/%s/config.v2.json: MountPoints[%s]: "
                            "volume name \"%s\" cannot be a folder name",
                            c->id, c->id, m->destination ? m->destination : "",
                            m->name ? m->name : "");
    snprintf(rel, sizeof(rel), "volumes/%s", m->name);
    if (layerstore_probe(ls, rel, &exists, &mode, in, err) < 0)
        return bf_error_wrap(err, "container %s: get %s", c->id, m->name);
    if (!exists)
        return bf_error_set(err, ENOENT, "container %s: get %s: no such volume", c->id, m->name);
    if (!S_ISDIR(mode))
        return bf_error_set(err, ENOTDIR, "container %s: get %s: %s is not a folder", c->id,
                            m->name, rel);
    /* what is handed to the runtime is a folder of the data-root, never a link out of it */
    snprintf(rel, sizeof(rel), "volumes/%s/_data", m->name);
    if (layerstore_probe(ls, rel, &exists, &mode, in, err) < 0)
        return bf_error_wrap(err, "container %s: volume %s", c->id, m->name);
    if (!exists || !S_ISDIR(mode))
        return bf_error_set(err, exists ? ENOTDIR : ENOENT, "container %s: volume %s: %s %s", c->id,
                            m->name, rel, exists ? "is not a folder" : "does not exist");
    *out = layerstore_path(ls, rel);
    return *out ? 0 : bf_error_set(err, ENOMEM, "mounts: out of memory");
}

int spec_mounts_build(const struct layerstore *ls, const struct ls_container *c,
                      struct spec_mount **out, size_t *n_out, struct ls_inputs *in,
                      struct bf_error *err)
{
    struct spec_mount *v = calloc(c->n_mounts ? c->n_mounts : 1, sizeof(*v));
    size_t n = 0;

    if (!v)
        return bf_error_set(err, ENOMEM, "mounts: out of memory");
    for (size_t i = 0; i < c->n_mounts; i++, n++) {
        const struct ls_mount *m = &c->mounts[i];
        int r = 0;

        v[n].destination = strdup(m->destination ? m->destination : "");
        v[n].readonly = !m->rw;
        if (m->driver && *m->driver) {
            r = volume_source(ls, c, m, &v[n].source, in, err);
        } else if (m->source && *m->source) {
            v[n].source = strdup(m->source);
        } else {
            _cleanup_free_ char *q = spec_go_quote(m->driver ? m->driver : "");
            r = bf_error_set(err, EINVAL,
                             "container %s: No source for mount name '%s' driver %s "
                             "destination '%s'",
                             c->id, m->name ? m->name : "", q ? q : "\"\"",
                             m->destination ? m->destination : "");
        }
        if (r == 0 && (!v[n].destination || !v[n].source))
            r = bf_error_set(err, ENOMEM, "mounts: out of memory");
        if (r < 0) {
            spec_mounts_free(v, n + 1);
            return r;
        }
    }
    qsort(v, n, sizeof(*v), cmp);
    *out = v;
    *n_out = n;
    return 0;
}
