/* image/<driver>/repositories.json: the input is the file; tags of the fixture's image and of
 * an image that is not in it are looked up. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define REL "image/windowsfilter/repositories.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = fz_root();
    struct bf_error err = BF_ERROR_INIT;
    const char *ids[2] = {z->fx.image_hex, "sha256:" HEX_A};

    fz_put(REL, data, size);
    for (int k = 0; k < 2; k++) {
        char **tags = NULL;
        size_t n = 0;
        int r = layerstore_image_tags(z->ls, ids[k], &tags, &n, NULL, &err);
        fz_check_result(r, &err);
        FZ_ASSERT(r == 0 || (!tags && !n), "failure handed back tags");
        for (size_t i = 1; i < n; i++)
            FZ_ASSERT(strcmp(tags[i - 1], tags[i]) <= 0, "tags not sorted");
        ls_strv_free(tags, n);
    }
    return 0;
}
