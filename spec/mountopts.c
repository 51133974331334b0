/* mountopts.c - the `mountopts` file of an overlay2 container: the -o string Docker's overlay2
 * driver mounts the container's root with (daemon/graphdriver/overlay2/overlay.go, Get).
 *
 *     [index=off,]lowerdir=<R>/overlay2/l/<link>:...,upperdir=<R>/overlay2/<id>/diff,workdir=...
 *
 * and, when that does not fit a page, Docker's relative form (lowerdir=l/<link>:...,
 * upperdir=<id>/diff,workdir=<id>/work) for a mount run in R/overlay2. The `lower` file is
 * untrusted: every element must be "l/" and a 26-character link name whose link in
 * R/overlay2/l/ points at the diff folder of exactly the layer the chain puts there (the
 * container's init layer, then the image's layers top-most first), so nothing but the
 * container's own layers can ever reach mount(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bf_util.h"
#include "spec.h"
#include "spec_internal.h"

#define LINK_LEN 26

static bool link_name_ok(const char *s, size_t n)
{
    if (n != LINK_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* dst[off..]: the strings up to a NULL, cut to cap - 1 bytes and terminated (as snprintf with
 * "%s%s..." cuts them, without its formatting cost: this runs per layer); the new length. */
static size_t cat(char *dst, size_t cap, size_t off, const char *const *parts)
{
    for (; *parts && off < cap - 1; parts++) {
        size_t n = strlen(*parts);
        if (n > cap - 1 - off)
            n = cap - 1 - off;
        memcpy(dst + off, *parts, n);
        off += n;
    }
    dst[off] = '\0';
    return off;
}
#define CAT(dst, cap, off, ...) cat(dst, cap, off, (const char *const[]){__VA_ARGS__, NULL})

int spec_render_mountopts(struct layerstore *ls, const struct ls_container *c,
                          const struct ls_walk *w, const struct ls_host *h, char **out, size_t *len,
                          struct ls_inputs *in, struct bf_error *err)
{
    char rel[LS_ID_LEN + 64];
    _cleanup_free_ char *lower = NULL, *abs = NULL, *relform = NULL, *root = NULL;
    size_t lower_len = 0, n_expected = w->n + (c->init_id ? 1 : 0), k = 0;
    /* NeedsUserXAttr: a dockerd in a user namespace on 5.11 or later (older kernels it probes
     * with a trial mount, which bundlefs does not make: none) */
    bool userxattr =
        h->in_userns && (h->kernel_major > 5 || (h->kernel_major == 5 && h->kernel_minor >= 11));
    char index[32];
    CAT(index, sizeof(index), 0, h->overlay_index ? "index=off," : "",
        userxattr ? "userxattr," : "");
    long page = sysconf(_SC_PAGESIZE);
    int r;

    *out = NULL;
    CAT(rel, sizeof(rel), 0, "overlay2/", c->mount_id, "/lower");
    r = layerstore_read_file(ls, rel, BF_CAP_SMALL * 16, &lower, &lower_len, in, err);
    if (r < 0)
        return bf_error_wrap(err, "container %s", c->id);
    while (lower_len && (lower[lower_len - 1] == '\n' || lower[lower_len - 1] == ' '))
        lower[--lower_len] = '\0';
    if (!(root = layerstore_path(ls, "overlay2")))
        return bf_error_set(err, ENOMEM, "out of memory");
    size_t cap = strlen(root) * (n_expected + 2) + lower_len * 2 + 256 + 2 * LS_ID_LEN;
    if (!(abs = malloc(cap)) || !(relform = malloc(cap)))
        return bf_error_set(err, ENOMEM, "out of memory");
    size_t ao = CAT(abs, cap, 0, index, "lowerdir=");
    size_t ro = CAT(relform, cap, 0, index, "lowerdir=");

    for (const char *p = lower; *p || k == 0; k++) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char target[256], want[LS_ID_LEN + 16];
        const char *cache_id;

        if (k >= n_expected)
            return bf_error_set(err, EINVAL,
                                "container %s: %s: more layers than the container's chain (%zu)",
                                c->id, rel, n_expected);
        cache_id =
            c->init_id ? (k == 0 ? c->init_id : w->layers[k - 1].cache_id) : w->layers[k].cache_id;
        if (n < 2 || strncmp(p, "l/", 2) != 0 || !link_name_ok(p + 2, n - 2))
            return bf_error_set(err, EINVAL,
                                "container %s: %s: element %zu (\"%.*s\") is not l/<26-character "
                                "link name>",
                                c->id, rel, k + 1, (int)(n > 64 ? 64 : n), p);
        char name[LINK_LEN + 1];
        memcpy(name, p + 2, LINK_LEN);
        name[LINK_LEN] = '\0';
        /* the link is an input (recorded): a new link of that name is a change */
        int lerr;
        if (layerstore_overlay_link(ls, name, target, sizeof(target), &lerr, in, err) < 0)
            return bf_error_wrap(err, "container %s", c->id);
        r = -lerr;
        CAT(want, sizeof(want), 0, "../", cache_id, "/diff");
        if (r < 0 || strcmp(target, want) != 0)
            return bf_error_set(err, EINVAL,
                                "container %s: %s: element %zu: overlay2/l/%s %s, but layer %zu of "
                                "the chain is overlay2/%s/diff",
                                c->id, rel, k + 1, name, r < 0 ? strerror(-r) : "points elsewhere",
                                k + 1, cache_id);
        {
            /* the link's target must be the layer's real folder, not a link out */
            char drel[LS_ID_LEN + 32];
            CAT(drel, sizeof(drel), 0, "overlay2/", cache_id, "/diff");
            if (spec_probe_dir(ls, drel, false, in, err) < 0)
                return bf_error_wrap(err, "container %s: %s: element %zu", c->id, rel, k + 1);
        }
        ao = CAT(abs, cap, ao, k ? ":" : "", root, "/l/", name);
        ro = CAT(relform, cap, ro, k ? ":" : "", "l/", name);
        if (!e)
            break;
        p = e + 1;
    }
    if (k + 1 != n_expected)
        return bf_error_set(err, EINVAL,
                            "container %s: %s: %zu layers, but the container's chain has %zu",
                            c->id, rel, k + 1, n_expected);
    CAT(rel, sizeof(rel), 0, "overlay2/", c->mount_id, "/diff");
    if (spec_probe_dir(ls, rel, false, in, err) < 0)
        return bf_error_wrap(err, "container %s", c->id);
    CAT(rel, sizeof(rel), 0, "overlay2/", c->mount_id, "/work");
    if (spec_probe_dir(ls, rel, false, in, err) < 0)
        return bf_error_wrap(err, "container %s", c->id);
    ao = CAT(abs, cap, ao, ",upperdir=", root, "/", c->mount_id, "/diff,workdir=", root, "/",
             c->mount_id, "/work");
    ro = CAT(relform, cap, ro, ",upperdir=", c->mount_id, "/diff,workdir=", c->mount_id, "/work");
    const char *chosen = (long)ao > page - 1 ? relform : abs;
    if ((long)strlen(chosen) > page - 1)
        return bf_error_set(err, E2BIG,
                            "container %s: cannot mount layer, mount label too large %zu", c->id,
                            strlen(chosen));
    if (asprintf(out, "%s\n", chosen) < 0) {
        *out = NULL;
        return bf_error_set(err, ENOMEM, "out of memory");
    }
    *len = strlen(*out);
    return 0;
}
