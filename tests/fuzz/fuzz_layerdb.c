/* layerdb one-line files: the input is split at FZ_SEP into the files of the fixture's layer
 * chain and container mount, in this order (an empty part: the file is absent); every file
 * is put back afterwards. The container walk reads them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "spec.h"

#define LDB "image/windowsfilter/layerdb/"
static const struct {
    const char *rel;
    const char *std; /* the fixture's content, NULL = absent */
} files[] = {
    {LDB "sha256/" C1_HEX "/cache-id", CACHE1}, {LDB "sha256/" C1_HEX "/diff", D1},
    {LDB "sha256/" C1_HEX "/parent", NULL},     {LDB "sha256/" C2_HEX "/cache-id", CACHE2},
    {LDB "sha256/" C2_HEX "/diff", D2},         {LDB "sha256/" C2_HEX "/parent", "sha256:" C1_HEX},
    {LDB "sha256/" C3_HEX "/cache-id", CACHE3}, {LDB "sha256/" C3_HEX "/diff", D3},
    {LDB "sha256/" C3_HEX "/parent", C2},       {LDB "mounts/" CID1 "/mount-id", CID1},
    {LDB "mounts/" CID1 "/init-id", NULL},      {LDB "mounts/" CID1 "/parent", C3},
};
#define N_FILES (sizeof(files) / sizeof(files[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = fz_root();
    struct bf_error err = BF_ERROR_INIT;
    const uint8_t *parts[N_FILES];
    size_t lens[N_FILES], n;
    struct ls_container *c = NULL;
    struct ls_image *img = NULL;
    struct ls_walk w = {0};
    int r;

    n = fz_split(data, size, parts, lens, N_FILES);
    for (size_t i = 0; i < n; i++)
        fz_put(files[i].rel, lens[i] ? parts[i] : NULL, lens[i]);
    r = layerstore_container_walk(z->ls, CID1, &c, &img, &w, NULL, &err);
    fz_check_result(r, &err);
    if (r == 0) {
        FZ_ASSERT(w.n == 3, "%zu layers", w.n);
        FZ_ASSERT(c->mount_id && bf_is_cache_id(c->mount_id), "mount-id");
        for (size_t i = 0; i < w.n; i++) {
            FZ_ASSERT(bf_is_cache_id(w.layers[i].cache_id), "cache-id %zu", i);
            FZ_ASSERT(strstr(w.layers[i].path, "/windowsfilter/") &&
                          !strstr(w.layers[i].path, ".."),
                      "path %s", w.layers[i].path);
        }
        char *lp = NULL;
        size_t len = 0;
        r = spec_render_layerpaths(&w, &lp, &len, &err);
        fz_check_result(r, &err);
        free(lp);
    }
    ls_walk_free(&w);
    ls_image_free(img);
    ls_container_free(c);
    for (size_t i = 0; i < n; i++)
        fz_put(files[i].rel, files[i].std, files[i].std ? strlen(files[i].std) : 0);
    return 0;
}
