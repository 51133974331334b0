/* windowsoci.c - config.json in the seed's 0.3.0 "(Windows)" format (doc §6.1, variant B).
 *
 * Key names, order and presence follow the JSON tags of the seed's windowsoci types: fields
 * without omitempty are always written (`mounts` is null when there are none, `terminal`,
 * `args`, `cwd`, `root.path`, `root.readonly` always appear); omitempty fields are left out when
 * empty; `json:"-"` fields (the console size) never appear. Platform carries `os.version` as
 * v1.12 did (the doc's variant B; the seed's type file is the later one without it).
 *
 * root.path is the runtime volume path (BaseFS), which Docker never writes to disk; the field
 * has no omitempty, so it is written as "". Resources: cpu.shares is always written as the seed
 * did; the fields the seed left as TODO are filled from HostConfig and written when non-zero.
 * Networking: the endpoint list (omitempty) when there is a network store; without one, the
 * seed's TP4 fields (mac from Config.MacAddress, port_bindings from HostConfig.PortBindings)
 * for network mode ""/"default", nothing for "none", and "invalid network mode: <mode>" for
 * anything else. The TP4 `bridge` came from the daemon's -b flag, which the data-root does not
 * record, so it is left empty (and so omitted).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec.h"
#include "spec_internal.h"

static struct spec_node *process(struct spec_builder *b, const struct spec_model *m)
{
    const struct ls_container *c = m->c;
    struct spec_node *p = spec_b_obj(b), *user = spec_b_obj(b), *args = spec_b_arr(b);

    spec_b_put(b, p, "terminal", spec_b_bool(b, c->config.tty));
    if (c->config.user && *c->config.user)
        spec_b_put(b, user, "user", spec_b_str(b, c->config.user));
    spec_b_put(b, p, "user", user);
    for (size_t i = 0; i <= c->n_args; i++) {
        const char *a = i == 0 ? c->path : c->args[i - 1];
        if (c->config.args_escaped) {
            spec_b_push(b, args, spec_b_str(b, a));
        } else {
            char *e = spec_escape_arg(a ? a : "");
            spec_b_push(b, args, e ? spec_b_str(b, e) : NULL);
            free(e);
        }
    }
    spec_b_put(b, p, "args", args);
    spec_b_put_env(b, p, c);
    char *cwd = spec_win_cwd(c);
    if (!cwd)
        b->failed = true;
    spec_b_put(b, p, "cwd", cwd ? spec_b_str(b, cwd) : NULL);
    free(cwd);
    return p;
}

static struct spec_node *resources(struct spec_builder *b, const struct spec_resources_woci *r)
{
    struct spec_node *res = spec_b_obj(b), *mem = spec_b_obj(b), *cpu = spec_b_obj(b),
                     *sto = spec_b_obj(b);

    if (r->has_mem_limit)
        spec_b_put(b, mem, "limit", spec_b_i64(b, r->mem_limit));
    if (r->has_mem_reservation)
        spec_b_put(b, mem, "reservation", spec_b_u64(b, r->mem_reservation));
    if (r->has_cpu_count)
        spec_b_put(b, cpu, "count", spec_b_u64(b, r->cpu_count));
    spec_b_put(b, cpu, "shares", spec_b_u64(b, r->cpu_shares));
    if (r->has_cpu_percent)
        spec_b_put(b, cpu, "percent", spec_b_i64(b, r->cpu_percent));
    if (r->has_iops)
        spec_b_put(b, sto, "iops", spec_b_u64(b, r->iops));
    if (r->has_bps)
        spec_b_put(b, sto, "bps", spec_b_u64(b, r->bps));
    if (r->has_sandbox_size)
        spec_b_put(b, sto, "sandbox_size", spec_b_u64(b, r->sandbox_size));
    spec_b_put(b, res, "memory", mem);
    spec_b_put(b, res, "cpu", cpu);
    spec_b_put(b, res, "storage", sto);
    spec_b_put(b, res, "network", spec_b_obj(b));
    return res;
}

static int networking(struct spec_builder *b, const struct spec_model *m, struct spec_node **out,
                      struct bf_error *err)
{
    const struct ls_container *c = m->c;
    const char *mode = c->host.network_mode ? c->host.network_mode : "";
    struct spec_node *net = spec_b_obj(b);

    if (m->network_store) {
        if (m->n_endpoints) {
            struct spec_node *eps = spec_b_arr(b);
            for (size_t i = 0; i < m->n_endpoints; i++)
                spec_b_push(b, eps, spec_b_str(b, m->endpoints[i]));
            spec_b_put(b, net, "endpoints", eps);
        }
        *out = net;
        return 0;
    }
    /* TP4 compatibility: SplitN(mode, ":", 2)[0] */
    size_t head = strcspn(mode, ":");
    if (head == 4 && strncmp(mode, "none", 4) == 0) {
        *out = net;
        return 0;
    }
    if ((head == 7 && strncmp(mode, "default", 7) == 0) || head == 0) {
        if (!c->config.network_disabled) {
            if (c->config.mac_address && *c->config.mac_address)
                spec_b_put(b, net, "mac", spec_b_str(b, c->config.mac_address));
            if (c->host.n_port_bindings) {
                struct spec_node *pm = spec_b_obj(b);
                for (size_t i = 0; i < c->host.n_port_bindings; i++) {
                    const struct ls_port *p = &c->host.port_bindings[i];
                    if (i + 1 < c->host.n_port_bindings &&
                        strcmp(p->port, c->host.port_bindings[i + 1].port) == 0)
                        continue; /* sorted: the last of a port wins, as jansson's set did */
                    struct spec_node *list = p->is_null ? spec_b_null(b) : spec_b_arr(b);
                    for (size_t k = 0; !p->is_null && k < p->n_bindings; k++) {
                        struct spec_node *pb = spec_b_obj(b);
                        spec_b_put(b, pb, "HostIp", spec_b_str(b, p->bindings[k].host_ip));
                        spec_b_put(b, pb, "HostPort", spec_b_str(b, p->bindings[k].host_port));
                        spec_b_push(b, list, pb);
                    }
                    spec_b_put(b, pm, p->port, list);
                }
                spec_b_put(b, net, "port_bindings", pm);
            }
        }
        *out = net;
        return 0;
    }
    return bf_error_set(err, EINVAL,
                        "container %s: containers/%s/hostconfig.json: invalid network mode: %s",
                        c->id, c->id, mode);
}

int spec_render_windowsoci(const struct spec_model *m, char **out, size_t *len,
                           struct bf_error *err)
{
    const struct ls_container *c = m->c;
    struct spec_builder b = {false};
    struct spec_resources_woci res;
    struct spec_node *root, *plat, *rt, *win, *mounts, *net = NULL;
    int r;

    r = spec_resources_woci(c, &res, err);
    if (r < 0)
        return r;
    if (m->img->os && strcasecmp(m->img->os, "windows") == 0) {
        r = networking(&b, m, &net, err);
        if (r < 0) {
            spec_b_free(&b);
            return r;
        }
    }

    root = spec_b_obj(&b);
    spec_b_put(&b, root, "ociVersion", spec_b_str(&b, "0.3.0 (Windows)"));
    plat = spec_b_obj(&b);
    spec_b_put(&b, plat, "os", spec_b_str(&b, m->img->os ? m->img->os : ""));
    spec_b_put(&b, plat, "arch", spec_b_str(&b, m->img->architecture ? m->img->architecture : ""));
    if (m->img->os_version && *m->img->os_version)
        spec_b_put(&b, plat, "os.version", spec_b_str(&b, m->img->os_version));
    spec_b_put(&b, root, "platform", plat);
    spec_b_put(&b, root, "process", process(&b, m));
    rt = spec_b_obj(&b);
    spec_b_put(&b, rt, "path", spec_b_str(&b, ""));
    spec_b_put(&b, rt, "readonly", spec_b_bool(&b, c->host.readonly_rootfs));
    spec_b_put(&b, root, "root", rt);
    spec_b_put_hostname(&b, root, c);
    if (m->n_mounts) {
        mounts = spec_b_arr(&b);
        for (size_t i = 0; i < m->n_mounts; i++) {
            struct spec_node *mt = spec_b_obj(&b);
            spec_b_put(&b, mt, "destination", spec_b_str(&b, m->mounts[i].destination));
            spec_b_put(&b, mt, "type", spec_b_str(&b, ""));
            spec_b_put(&b, mt, "source", spec_b_str(&b, m->mounts[i].source));
            spec_b_put(&b, mt, "readonly", spec_b_bool(&b, m->mounts[i].readonly));
            spec_b_push(&b, mounts, mt);
        }
    } else {
        mounts = spec_b_null(&b);
    }
    spec_b_put(&b, root, "mounts", mounts);

    /* Images that are not Windows images get the platform-neutral fields only. */
    if (!m->img->os || strcasecmp(m->img->os, "windows") != 0)
        goto render;
    win = spec_b_obj(&b);
    spec_b_put(&b, win, "resources", resources(&b, &res));
    spec_b_put(&b, win, "networking", net);
    if (!c->has_been_started_before)
        spec_b_put(&b, win, "first_start", spec_b_bool(&b, true));
    if (m->layer_folder && *m->layer_folder)
        spec_b_put(&b, win, "layer_folder", spec_b_str(&b, m->layer_folder));
    if (m->walk->n) {
        struct spec_node *lp = spec_b_arr(&b);
        for (size_t i = 0; i < m->walk->n; i++)
            spec_b_push(&b, lp, spec_b_str(&b, m->walk->layers[i].path));
        spec_b_put(&b, win, "layer_paths", lp);
    }
    if (m->isolation == SPEC_ISOLATION_HYPERV) {
        struct spec_node *hv = spec_b_obj(&b);
        if (m->uvm_path)
            spec_b_put(&b, hv, "image_path", spec_b_str(&b, m->uvm_path));
        spec_b_put(&b, win, "hv_runtime", hv);
    }
    spec_b_put(&b, root, "windows", win);

render:
    return spec_b_finish(&b, root, m->compact, c->id, "config.json", out, len, err);
}
