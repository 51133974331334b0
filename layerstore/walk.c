/* walk.c - the seed's layer walk (doc §2-§3): diff_ids -> ChainIDs -> cache-ids -> folders.
 *
 * for i = 1..n: chain = ChainID(diff_ids[:i]); cache = layerdb/sha256/<chain>/cache-id;
 * prepend the driver's folder for cache. The result is top-most layer first, base layer last.
 * For the 2016 "layers+base" type the walk starts at i = 0, whose ChainID is the synthesised
 * baseDiffID, so the base layer's folder comes last.
 *
 * Besides the cache-id, each layer's `diff` must equal the diff_id it was reached by and its
 * `parent` (absent on the first layer) must equal the previous ChainID: a layerdb that
 * disagrees with the image is reported, never papered over. Each layer's folder must exist as
 * a folder reached without a link: Docker's GetLayerPath asks the graph driver for it
 * (windowsfilter activates the layer, overlay2 and vfs stat it), so a data-root copied without
 * its layer content fails as createSpec does, with its text, instead of naming folders that
 * are not there. The probe is an input (its appearance is a change).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bf_util.h"
#include "ls_internal.h"

char *ls_driver_layer_rel(const struct layerstore *ls, const char *id)
{
    switch (ls->driver) {
    case LS_DRIVER_WINDOWSFILTER:
        return ls_strjoin("windowsfilter/", id, NULL);
    case LS_DRIVER_OVERLAY2:
        return ls_strjoin("overlay2/", id, "/diff");
    case LS_DRIVER_VFS:
        return ls_strjoin("vfs/dir/", id, NULL);
    }
    return NULL;
}

void ls_walk_free(struct ls_walk *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->layers[i].rel);
        free(w->layers[i].path);
    }
    free(w->layers);
    w->layers = NULL;
    w->n = 0;
    w->top_chain_id[0] = '\0';
}

/* The layer's folder, as GetLayerPath finds it or fails. */
static int layer_folder(struct layerstore *ls, const struct ls_layer *l, struct ls_inputs *in,
                        struct bf_error *err)
{
    struct bf_stamp st;
    mode_t mode = 0;
    int r = ls_probe(ls, l->rel, &st, &mode, in, err);
    _cleanup_free_ char *why = NULL;

    if (r == 0 && st.exists && S_ISDIR(mode))
        return 0;
    if (r < 0) {
        /* "<rel>: <what is wrong>" (a link, a name too long): keep what is wrong */
        const char *m = bf_error_message(err), *p = strstr(m, ": ");
        why = strdup(p ? p + 2 : m);
        bf_error_clear(err);
    }
    return bf_error_set(err,
                        r < 0       ? EINVAL
                        : st.exists ? ENOTDIR
                                    : ENOENT,
                        "failed to get layer path from graphdriver %s for ImageID %s - layer "
                        "folder %s%s%s",
                        ls_driver_name(ls->driver), l->chain_id, l->path,
                        r < 0       ? ": "
                        : st.exists ? " is not a folder"
                                    : " does not exist",
                        r < 0 ? (why ? why : "cannot be looked at") : "");
}

/* Read one layerdb entry and fill `l` (chain_id and diff_id already set). */
static int read_layer(struct layerstore *ls, struct ls_layer *l, const char *parent,
                      struct ls_inputs *in, struct bf_error *err)
{
    char dir[128], rel[160];
    _cleanup_free_ char *cache = NULL, *diff = NULL, *par = NULL;
    int r;

    snprintf(dir, sizeof(dir), "%s/layerdb/sha256/%s", ls->image_rel, l->chain_id + 7);

    snprintf(rel, sizeof(rel), "%s/cache-id", dir);
    r = ls_read_line(ls, rel, false, &cache, in, err);
    if (r < 0) {
        if (err->code == ENOENT && ls_dir_absent(ls, dir, in))
            return bf_error_set(err, ENOENT, "%s: layer does not exist", dir);
        return r;
    }
    if (!bf_is_cache_id(cache))
        return bf_error_set(err, EINVAL, "%s: invalid cache id value", rel);
    memcpy(l->cache_id, cache, strlen(cache) + 1);

    snprintf(rel, sizeof(rel), "%s/diff", dir);
    r = ls_read_line(ls, rel, false, &diff, in, err);
    if (r < 0)
        return r;
    if (!bf_is_digest(diff))
        return bf_error_set(err, EINVAL, "%s: invalid checksum digest format", rel);
    if (strcmp(diff, l->diff_id) != 0)
        return bf_error_set(err, EINVAL, "%s: layer diff is %s, but the image's diff_id is %s", rel,
                            diff, l->diff_id);

    snprintf(rel, sizeof(rel), "%s/parent", dir);
    r = ls_read_line(ls, rel, true, &par, in, err);
    if (r < 0)
        return r;
    if (par && !bf_is_digest(par))
        return bf_error_set(err, EINVAL, "%s: invalid checksum digest format", rel);
    if (!*parent && par)
        return bf_error_set(err, EINVAL, "%s: the image's base layer has parent %s", rel, par);
    if (*parent && !par)
        return bf_error_set(err, EINVAL, "%s: missing, but the layer's parent should be %s", rel,
                            parent);
    if (par && strcmp(par, parent) != 0)
        return bf_error_set(err, EINVAL, "%s: parent is %s, but the image's layer below is %s", rel,
                            par, parent);

    l->rel = ls_driver_layer_rel(ls, l->cache_id);
    if (!l->rel)
        return bf_error_set(err, ENOMEM, "%s: out of memory", dir);
    l->path = layerstore_path(ls, l->rel);
    if (!l->path)
        return bf_error_set(err, ENOMEM, "%s: out of memory", dir);
    return layer_folder(ls, l, in, err);
}

/* read_layer with the cache: the layer from it when it has the ChainID, else read (with the
 * UtilityVM probe on windowsfilter, which the cache's images need; one that fails leaves the
 * layer unprobed, for the bundle to ask where it needs to, as without the cache) and put
 * there. */
static int read_layer_cached(struct layerstore *ls, struct ls_layer *l, const char *parent,
                             struct ls_inputs *in, struct bf_error *err)
{
    struct ls_inputs lin = {0};
    uint64_t epoch;
    int r = ls_cache_layer_get(ls, l, in);

    if (r != 0)
        return r < 0 ? bf_error_set(err, ENOMEM, "out of memory") : 0;
    epoch = ls_cache_epoch(ls);
    r = read_layer(ls, l, parent, &lin, err);
    if (r == 0 && ls->driver == LS_DRIVER_WINDOWSFILTER) {
        bool has = false;
        size_t before = lin.n;
        if (layerstore_layer_has_uvm(ls, l, &has, &lin, err) < 0) {
            bf_error_clear(err);
        } else if (lin.n > before) {
            l->uvm_known = true;
            l->has_uvm = has;
            l->uvm_stamp = lin.v[lin.n - 1].stamp;
        }
    }
    if (r == 0)
        ls_cache_layer_put(ls, l, parent, &lin, epoch);
    /* what was looked at is the caller's too, failed or not */
    if (ls_inputs_append(in, &lin) < 0 && r == 0)
        r = bf_error_set(err, ENOMEM, "out of memory");
    ls_inputs_free(&lin);
    return r;
}

int layerstore_walk(struct layerstore *ls, const struct ls_image *img, struct ls_walk *out,
                    struct ls_inputs *in, struct bf_error *err)
{
    char base_diff[LS_DIGEST_LEN + 1], chain[LS_DIGEST_LEN + 1] = "";
    const char *prev_chain;
    struct ls_walk w = {0};
    bool with_base = img->rootfs_type && strcmp(img->rootfs_type, "layers+base") == 0;
    size_t total = img->n_diff_ids + (with_base ? 1 : 0);
    int r;

    memset(out, 0, sizeof(*out));
    if (with_base && !img->base_layer)
        return bf_error_set(err, EINVAL, "image %s: rootfs type layers+base without base_layer",
                            img->id);
    if (total > LS_MAX_LAYERS)
        return bf_error_set(err, EINVAL, "image %s: %zu layers: max depth exceeded", img->id,
                            total);
    if (total == 0)
        return 0;
    if (with_base)
        ls_base_diff_id(img->base_layer, base_diff);
    w.layers = calloc(total, sizeof(*w.layers));
    if (!w.layers)
        return bf_error_set(err, ENOMEM, "image %s: out of memory", img->id);
    w.n = total;
    size_t from = 0;
    if (ls->cache) {
        /* what the cache has of the chain from the base up, in one pass */
        const char *diffs[LS_MAX_LAYERS];
        struct ls_layer *slots[LS_MAX_LAYERS];
        for (size_t i = 0; i < total; i++) {
            diffs[i] = with_base ? (i == 0 ? base_diff : img->diff_ids[i - 1]) : img->diff_ids[i];
            slots[i] = &w.layers[total - 1 - i];
        }
        r = ls_cache_layer_run(ls, "", diffs, total, slots, in);
        if (r < 0) {
            ls_walk_free(&w);
            return bf_error_set(err, ENOMEM, "image %s: out of memory", img->id);
        }
        from = (size_t)r;
        if (from)
            memcpy(chain, w.layers[total - from].chain_id, sizeof(chain));
    }
    for (size_t i = from; i < total; i++) {
        /* Prepend: layer i (counted from the base) lands at index total-1-i. */
        struct ls_layer *l = &w.layers[total - 1 - i];
        const char *diff =
            with_base ? (i == 0 ? base_diff : img->diff_ids[i - 1]) : img->diff_ids[i];
        char parent[LS_DIGEST_LEN + 1];

        memcpy(parent, chain, sizeof(parent));
        prev_chain = parent;
        if (!*prev_chain || !ls->cache || !ls_cache_chain_id(ls, prev_chain, diff, chain))
            ls_chainid_step(prev_chain, diff, chain);
        memcpy(l->chain_id, chain, sizeof(l->chain_id));
        memcpy(l->diff_id, diff, strlen(diff) + 1);
        r = ls->cache ? read_layer_cached(ls, l, prev_chain, in, err)
                      : read_layer(ls, l, prev_chain, in, err);
        if (r < 0) {
            ls_walk_free(&w);
            return bf_error_wrap(err, "image %s, layer %zu of %zu", img->id, i + 1, total);
        }
    }
    memcpy(w.top_chain_id, chain, sizeof(w.top_chain_id));
    *out = w;
    return 0;
}

int layerstore_layer_has_uvm(struct layerstore *ls, const struct ls_layer *layer, bool *has,
                             struct ls_inputs *in, struct bf_error *err)
{
    _cleanup_free_ char *rel = ls_strjoin(layer->rel, "/UtilityVM", NULL);
    struct bf_stamp st;
    mode_t mode = 0;
    int r;

    *has = false;
    if (!rel)
        return bf_error_set(err, ENOMEM, "%s: out of memory", layer->rel);
    if (layer->uvm_known) { /* probed by the cache: record what it saw */
        *has = layer->has_uvm;
        return ls_record(ls, in, rel, &layer->uvm_stamp, err);
    }
    /* Docker's own casing ("UtilityVM") is what a copied NTFS tree keeps; exact match only. */
    r = ls_probe(ls, rel, &st, &mode, in, err);
    if (r < 0)
        return r;
    *has = st.exists && S_ISDIR(mode);
    return 0;
}

int layerstore_container_walk(struct layerstore *ls, const char *id, struct ls_container **c,
                              struct ls_image **img, struct ls_walk *w, struct ls_inputs *in,
                              struct bf_error *err)
{
    struct ls_image *local = NULL, **ip = img ? img : &local;
    int r;

    *c = NULL;
    *ip = NULL;
    r = layerstore_container_load(ls, id, c, in, err);
    if (r < 0)
        return r;
    if (ls->cache) {
        r = ls_cache_image_walk(ls, (*c)->image_id, ip, w, in, err);
    } else {
        r = layerstore_image_load(ls, (*c)->image_id, ip, in, err);
        if (r == 0)
            r = layerstore_walk(ls, *ip, w, in, err);
    }
    if (r < 0)
        bf_error_wrap(err, "container %s", id);
    else
        r = layerstore_container_check_parent(*c, w, err);
    ls_image_free(local);
    return r;
}
