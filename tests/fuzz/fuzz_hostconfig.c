/* containers/<id>/hostconfig.json: the input is the file of the fixture's container "web";
 * loaded, then the whole bundle is generated in both formats (isolation, resources, devices,
 * ports, credential specs and mounts all come from this file). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "spec.h"

#define REL "containers/" CID1 "/hostconfig.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = fz_root();

    fz_begin(data, size);
    struct bf_error err = BF_ERROR_INIT;
    struct ls_container *c = NULL;
    int r;

    fz_put(REL, data, size);
    r = layerstore_container_load(z->ls, CID1, &c, NULL, &err);
    fz_check_result(r, &err);
    ls_container_free(c);
    if (r < 0)
        return 0;
    for (int f = 0; f < 2; f++) {
        struct spec_options o = {
            .format = f ? SPEC_FORMAT_WINDOWSOCI : SPEC_FORMAT_OCI, .compact = f, .host_cpus = 4};
        struct spec_bundle *b = NULL;
        r = spec_bundle_generate(z->ls, CID1, &o, &b, &err);
        fz_check_result(r, &err);
        FZ_ASSERT(b, "no bundle");
        for (int i = 0; i < SPEC_FILE_COUNT; i++) {
            FZ_ASSERT(!b->files[i].data || !b->files[i].err.code, "file %d has data and error", i);
            if (b->files[i].data) {
                FZ_ASSERT(strlen(b->files[i].data) == b->files[i].len, "file %d length", i);
                fz_no_decoy(b->files[i].data, b->files[i].len);
            }
        }
        spec_bundle_free(b);
    }
    return 0;
}
