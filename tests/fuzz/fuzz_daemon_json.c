/* config/daemon.json: the input is the file. */
#include <stdlib.h>
#include <strings.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = fz_root();
    struct bf_error err = BF_ERROR_INIT;
    struct ls_daemon_config dc;
    int r;

    fz_put("config/daemon.json", data, size);
    r = layerstore_daemon_config_load(z->ls, &dc, NULL, &err);
    fz_check_result(r, &err);
    if (r == 0) {
        FZ_ASSERT(dc.present, "file written but not present");
        FZ_ASSERT(!dc.isolation || !*dc.isolation || !strcasecmp(dc.isolation, "default") ||
                      !strcasecmp(dc.isolation, "process") || !strcasecmp(dc.isolation, "hyperv"),
                  "isolation %s", dc.isolation);
    }
    ls_daemon_config_free(&dc);
    return 0;
}
