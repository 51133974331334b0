/* Image config (imagedb/content/sha256/<digest>): the input is the file, stored under its own
 * SHA-256 so verification passes and the parser sees every input; a loaded image is walked
 * over the fixture's layer store (fuzzed diff_ids drive ChainIDs and layerdb lookups). */
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = fz_root();
    struct bf_error err = BF_ERROR_INIT;
    struct ls_image *img = NULL;
    struct ls_walk w = {0};
    char hex[65], rel[256];
    uint8_t md[32];
    SHA2_CTX ctx;
    int r;

    SHA256Init(&ctx);
    SHA256Update(&ctx, data, size);
    SHA256Final(md, &ctx);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(rel, sizeof(rel), "image/windowsfilter/imagedb/content/sha256/%s", hex);
    fz_put(rel, data, size);

    r = layerstore_image_load(z->ls, hex, &img, NULL, &err);
    fz_check_result(r, &err);
    if (r == 0) {
        FZ_ASSERT(img && img->rootfs_type, "loaded image without rootfs type");
        FZ_ASSERT(img->n_diff_ids <= LS_MAX_LAYERS, "%zu diff_ids", img->n_diff_ids);
        r = layerstore_walk(z->ls, img, &w, NULL, &err);
        fz_check_result(r, &err);
        if (r == 0)
            for (size_t i = 0; i < w.n; i++)
                FZ_ASSERT(bf_is_cache_id(w.layers[i].cache_id), "layer %zu", i);
        ls_walk_free(&w);
    } else {
        FZ_ASSERT(!img, "failed load handed back an image");
    }
    ls_image_free(img);
    if (strcmp(hex, z->fx.image_hex) != 0) /* the fixture's own image stays */
        fz_put(rel, NULL, 0);
    return 0;
}
