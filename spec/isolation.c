/* isolation.c - which isolation a container runs with (doc §1.4, §8).
 *
 * The stored HostConfig.Isolation wins; "" and "default" mean the daemon default, which a
 * reader can only know from R/config/daemon.json's exec-opts. When that says nothing either,
 * the mount option (default process) decides: Docker picked process on Server SKUs and hyperv
 * on client SKUs, which is not knowable from the data-root.
 */
#include <errno.h>
#include <strings.h>

#include "spec_internal.h"

static int parse(const char *v, enum spec_isolation *out)
{
    if (strcasecmp(v, "process") == 0)
        *out = SPEC_ISOLATION_PROCESS;
    else if (strcasecmp(v, "hyperv") == 0)
        *out = SPEC_ISOLATION_HYPERV;
    else
        return -1;
    return 0;
}

static bool is_default(const char *v)
{
    return !v || !*v || strcasecmp(v, "default") == 0;
}

int spec_isolation_resolve(const struct ls_container *c, const struct ls_daemon_config *dc,
                           const char *fallback, enum spec_isolation *out, struct bf_error *err)
{
    const char *v = c->host.isolation;

    if (!is_default(v)) {
        if (parse(v, out) < 0)
            return bf_error_set(err, EINVAL,
                                "container %s: containers/%s/hostconfig.json: invalid --isolation: "
                                "\"%s\" - windows daemon only supports 'default', 'process', or "
                                "'hyperv'",
                                c->id, c->id, v);
        return 0;
    }
    /* layerstore already refused a daemon.json isolation that is not one of these. */
    if (dc && !is_default(dc->isolation) && parse(dc->isolation, out) == 0)
        return 0;
    if (!fallback || !*fallback)
        fallback = "process";
    if (parse(fallback, out) < 0)
        return bf_error_set(err, EINVAL, "isolation option: \"%s\" is not process or hyperv",
                            fallback);
    return 0;
}
