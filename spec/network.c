/* network.c - the endpoint list and AllowUnqualifiedDNSQuery (doc §1.3, §6.3, §6.6).
 *
 * Docker walks NetworkSettings.Networks in Go map order (random); the caller passes networks
 * sorted by name so the output is stable. Networks whose endpoint has no HNS ID are skipped, as
 * Docker skips a DriverInfo without "hnsid".
 */
#include <errno.h>
#include <stdlib.h>

#include "spec_internal.h"

int spec_endpoints_build(const struct spec_endpoint_info *in, size_t n, const char ***list,
                         size_t *n_list, bool *allow_unqualified, struct bf_error *err)
{
    const char **v = NULL, *gw = NULL;
    size_t k = 0;

    *list = NULL;
    *n_list = 0;
    *allow_unqualified = false;
    if (n) {
        v = calloc(n + 1, sizeof(*v));
        if (!v)
            return bf_error_set(err, ENOMEM, "endpoints: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (in[i].gw_hnsid && *in[i].gw_hnsid)
            gw = in[i].gw_hnsid;
        if (in[i].hnsid && *in[i].hnsid)
            v[k++] = in[i].hnsid;
        if (in[i].nat)
            *allow_unqualified = true;
    }
    if (gw)
        v[k++] = gw;
    if (!k) {
        free(v);
        return 0;
    }
    *list = v;
    *n_list = k;
    return 0;
}
