/* image.c - image configs (imagedb, doc §1.1) and tags (repositories.json, doc §1.5).
 *
 * Decisions:
 * - Only sha256 content addresses exist in a graphdriver data-root; other algorithms are refused
 *   as invalid IDs rather than silently skipped.
 * - `rootfs` is required (Docker: "invalid image JSON, no RootFS key"); its type must be
 *   "layers" or the 2016 "layers+base". Any other type is an error, because the image would
 *   have no usable layer list and an empty `layerpaths` would be a silently shorter result.
 * - Every diff_id must be "sha256:" + 64 lowercase hex: the first one is a ChainID and so a
 *   path component under layerdb.
 * - The layer count includes the layers+base base layer; more than 125 is Docker's
 *   "max depth exceeded" (such an image could never have been registered).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "jview.h"
#include "ls_internal.h"

static int parse_image_id(const char *image_id, char hexid[LS_ID_LEN + 1], struct bf_error *err)
{
    const char *h = image_id;

    if (h && strncmp(h, "sha256:", 7) == 0)
        h += 7;
    if (!bf_is_hex64(h))
        return bf_error_set(err, EINVAL,
                            "invalid image ID \"%.80s\": must be sha256: followed by 64 lowercase "
                            "hex characters",
                            image_id ? image_id : "");
    memcpy(hexid, h, LS_ID_LEN + 1);
    return 0;
}

void ls_image_free(struct ls_image *img)
{
    if (!img)
        return;
    free(img->os);
    free(img->architecture);
    free(img->os_version);
    free(img->rootfs_type);
    free(img->base_layer);
    ls_strv_free(img->diff_ids, img->n_diff_ids);
    free(img);
}

/* The image config's fields, read straight from its bytes (jview.h: ls_j_get's rules and
 * ls_j_*'s messages, no tree built: a config of 125 layers holds as many history entries). */
static int parse_image(struct ls_image *img, struct ls_jdoc *d)
{
    const char *root = d->root, *rootfs = NULL, *diffs;
    size_t total;
    int r;

    if ((r = ls_jv_string(d, ls_jv_get(d, root, "os", 2), &(struct ls_jname){.path = "os"}, NULL,
                          &img->os)) < 0 ||
        (r = ls_jv_string(d, ls_jv_get(d, root, "architecture", 12),
                          &(struct ls_jname){.path = "architecture"}, NULL,
                          &img->architecture)) < 0 ||
        (r = ls_jv_string(d, ls_jv_get(d, root, "os.version", 10),
                          &(struct ls_jname){.path = "os.version"}, NULL, &img->os_version)) < 0)
        return r;
    r = ls_jv_object(d, ls_jv_get(d, root, "rootfs", 6), &(struct ls_jname){.path = "rootfs"},
                     &rootfs);
    if (r < 0)
        return r;
    if (!rootfs)
        return bf_error_set(d->err, EINVAL, "%s: invalid image JSON, no RootFS key", d->file);
    r = ls_jv_string(d, ls_jv_get(d, rootfs, "type", 4), &(struct ls_jname){.path = "rootfs.type"},
                     "", &img->rootfs_type);
    if (r < 0)
        return r;
    if (strcmp(img->rootfs_type, "layers") != 0 && strcmp(img->rootfs_type, "layers+base") != 0)
        return bf_error_set(d->err, EINVAL,
                            "%s: unsupported rootfs type \"%.80s\" (expected \"layers\" or "
                            "\"layers+base\")",
                            d->file, img->rootfs_type);
    if (strcmp(img->rootfs_type, "layers+base") == 0) {
        r = ls_jv_string(d, ls_jv_get(d, rootfs, "base_layer", 10),
                         &(struct ls_jname){.path = "rootfs.base_layer"}, "", &img->base_layer);
        if (r < 0)
            return r;
        if (!*img->base_layer)
            return bf_error_set(d->err, EINVAL,
                                "%s: \"rootfs.base_layer\" is required for rootfs type "
                                "layers+base",
                                d->file);
    }
    diffs = ls_jv_get(d, rootfs, "diff_ids", 8);
    if (ls_jv_is_array(diffs)) {
        total = ls_jv_count(d, diffs) + (img->base_layer ? 1 : 0);
        if (total > LS_MAX_LAYERS)
            return bf_error_set(d->err, EINVAL,
                                "%s: image has %zu layers (limit %d): max depth exceeded", d->file,
                                total, LS_MAX_LAYERS);
    }
    r = ls_jv_strv(d, diffs, &(struct ls_jname){.path = "rootfs.diff_ids"}, &img->diff_ids,
                   &img->n_diff_ids);
    if (r < 0)
        return r;
    if (d->oom)
        return ls_jdoc_oom(d);
    for (size_t i = 0; i < img->n_diff_ids; i++)
        if (!bf_is_digest(img->diff_ids[i]))
            return bf_error_set(d->err, EINVAL,
                                "%s: \"rootfs.diff_ids[%zu]\" is not a sha256 digest: \"%.80s\"",
                                d->file, i, img->diff_ids[i]);
    return 0;
}

int layerstore_image_load(struct layerstore *ls, const char *image_id, struct ls_image **out,
                          struct ls_inputs *in, struct bf_error *err)
{
    _cleanup_free_ char *rel = NULL, *buf = NULL;
    char hexid[LS_ID_LEN + 1], actual[LS_DIGEST_LEN + 1];
    struct ls_image *img;
    struct ls_jdoc d;
    size_t len = 0;
    int r;

    *out = NULL;
    r = parse_image_id(image_id, hexid, err);
    if (r < 0)
        return r;
    if (asprintf(&rel, "%s/imagedb/content/sha256/%s", ls->image_rel, hexid) < 0) {
        rel = NULL;
        return bf_error_set(err, ENOMEM, "image %s: out of memory", hexid);
    }
    r = layerstore_read_file(ls, rel, BF_CAP_JSON, &buf, &len, in, err);
    if (r < 0)
        return r;
    ls_sha256_digest(buf, len, actual);
    if (strcmp(actual + 7, hexid) != 0)
        return bf_error_set(err, EINVAL, "%s: failed to verify: sha256:%s (content digest is %s)",
                            rel, hexid, actual);
    r = ls_jdoc_open(&d, rel, buf, len, err);
    if (r < 0)
        return r;
    img = calloc(1, sizeof(*img));
    if (!img) {
        ls_jdoc_close(&d);
        return bf_error_set(err, ENOMEM, "%s: out of memory", rel);
    }
    snprintf(img->id, sizeof(img->id), "sha256:%s", hexid);
    r = parse_image(img, &d);
    ls_jdoc_close(&d);
    if (r < 0) {
        ls_image_free(img);
        return r;
    }
    *out = img;
    return 0;
}

int layerstore_image_ids(struct layerstore *ls, char ***ids, size_t *n, struct bf_error *err)
{
    _cleanup_free_ char *rel = ls_strjoin(ls->image_rel, "/imagedb/content/sha256", NULL);
    char **names = NULL;
    size_t cnt = 0;
    int r;

    *ids = NULL;
    *n = 0;
    if (!rel)
        return bf_error_set(err, ENOMEM, "imagedb: out of memory");
    /* A daemon that never pulled anything may not have created imagedb yet: no images. */
    r = ls_list_dir(ls, rel, true, bf_is_hex64, &names, &cnt, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < cnt; i++) {
        char *d = ls_strjoin("sha256:", names[i], NULL);
        if (!d) {
            ls_strv_free(names, cnt);
            return bf_error_set(err, ENOMEM, "%s: out of memory", rel);
        }
        free(names[i]);
        names[i] = d;
    }
    *ids = names;
    *n = cnt;
    return 0;
}

int layerstore_image_tags(struct layerstore *ls, const char *image_id, char ***tags, size_t *n,
                          struct ls_inputs *in, struct bf_error *err)
{
    _cleanup_free_ char *rel = ls_strjoin(ls->image_rel, "/repositories.json", NULL);
    char hexid[LS_ID_LEN + 1], want[LS_DIGEST_LEN + 1];
    json_t *root = NULL, *repos = NULL, *refs, *val;
    const char *repo, *ref;
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    int r;

    *tags = NULL;
    *n = 0;
    if (!rel)
        return bf_error_set(err, ENOMEM, "repositories.json: out of memory");
    r = parse_image_id(image_id, hexid, err);
    if (r < 0)
        return r;
    snprintf(want, sizeof(want), "sha256:%s", hexid);
    r = ls_read_json(ls, rel, true, &root, in, err);
    if (r < 0 || !root)
        return r;
    struct ls_jctx c = {.file = rel, .err = err};
    r = ls_j_object(&c, ls_j_get(root, "Repositories"), "Repositories", &repos);
    if (r < 0)
        goto out;
    if (repos) {
        json_object_foreach(repos, repo, refs)
        {
            if (json_is_null(refs))
                continue;
            if (!json_is_object(refs)) {
                r = bf_error_set(err, EINVAL, "%s: \"Repositories.%s\" must be an object", rel,
                                 repo);
                goto out;
            }
            json_object_foreach(refs, ref, val)
            {
                if (!json_is_string(val)) {
                    r = bf_error_set(err, EINVAL, "%s: \"Repositories.%s.%s\" must be a string",
                                     rel, repo, ref);
                    goto out;
                }
                if (strcmp(json_string_value(val), want) != 0)
                    continue;
                if (cnt == cap) {
                    size_t ncap = cap ? cap * 2 : 4;
                    char **nv = realloc(v, ncap * sizeof(*v));
                    if (!nv) {
                        r = bf_error_set(err, ENOMEM, "%s: out of memory", rel);
                        goto out;
                    }
                    v = nv;
                    cap = ncap;
                }
                v[cnt] = strdup(ref);
                if (!v[cnt]) {
                    r = bf_error_set(err, ENOMEM, "%s: out of memory", rel);
                    goto out;
                }
                cnt++;
            }
        }
    }
    if (cnt)
        qsort(v, cnt, sizeof(*v), ls_strv_cmp);
    *tags = steal_pointer(&v);
    *n = cnt;
    r = 0;
out:
    ls_strv_free(v, cnt);
    json_decref(root);
    return r;
}
