/* containers/<id>/config.v2.json: the input is the file of the fixture's container "web";
 * loaded through the full container load and the cheap name read. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define REL "containers/" CID1 "/config.v2.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = fz_root();
    struct bf_error err = BF_ERROR_INIT;
    struct ls_container *c = NULL;
    char *name = NULL;
    int r;

    fz_put(REL, data, size);
    r = layerstore_container_load(z->ls, CID1, &c, NULL, &err);
    fz_check_result(r, &err);
    if (r == 0) {
        FZ_ASSERT(strcmp(c->id, CID1) == 0, "id %s", c->id);
        FZ_ASSERT(bf_is_digest(c->image_id), "image %s", c->image_id);
        FZ_ASSERT(c->name && !strchr(c->name, '/'), "name");
        for (size_t i = 0; i < c->n_mounts; i++)
            FZ_ASSERT(c->mounts[i].destination && c->mounts[i].source, "mount %zu", i);
    }
    ls_container_free(c);
    r = layerstore_container_name(z->ls, CID1, &name, NULL, &err);
    fz_check_result(r, &err);
    free(name);
    return 0;
}
