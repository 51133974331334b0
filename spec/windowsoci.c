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

struct builder {
    bool failed;
};

static json_t *str(struct builder *b, const char *s)
{
    json_t *v = json_string(s ? s : "");
    if (!v)
        b->failed = true;
    return v;
}

static void put(struct builder *b, json_t *o, const char *k, json_t *v)
{
    if (!v || json_object_set_new(o, k, v) < 0)
        b->failed = true;
}

static void push(struct builder *b, json_t *a, json_t *v)
{
    if (!v || json_array_append_new(a, v) < 0)
        b->failed = true;
}

static json_t *obj(struct builder *b)
{
    json_t *o = json_object();
    if (!o)
        b->failed = true;
    return o;
}

static json_t *arr(struct builder *b)
{
    json_t *a = json_array();
    if (!a)
        b->failed = true;
    return a;
}

static json_t *u64(struct builder *b, uint64_t v)
{
    /* jansson integers are signed 64-bit; Go would print the unsigned value. */
    if (v > INT64_MAX) {
        b->failed = true;
        return NULL;
    }
    return json_integer((json_int_t)v);
}

static json_t *process(struct builder *b, const struct spec_model *m)
{
    const struct ls_container *c = m->c;
    json_t *p = obj(b), *user = obj(b), *args = arr(b), *env = arr(b);
    size_t n_env = 0;

    put(b, p, "terminal", json_boolean(c->config.tty));
    if (c->config.user && *c->config.user)
        put(b, user, "user", str(b, c->config.user));
    put(b, p, "user", user);
    for (size_t i = 0; i <= c->n_args; i++) {
        const char *a = i == 0 ? c->path : c->args[i - 1];
        if (c->config.args_escaped) {
            push(b, args, str(b, a));
        } else {
            char *e = spec_escape_arg(a ? a : "");
            push(b, args, e ? str(b, e) : NULL);
            free(e);
        }
    }
    put(b, p, "args", args);
    for (size_t i = 0; i < c->config.n_env; i++)
        if (strchr(c->config.env[i], '=')) {
            push(b, env, str(b, c->config.env[i]));
            n_env++;
        }
    if (n_env)
        put(b, p, "env", env);
    else
        json_decref(env);
    put(b, p, "cwd",
        str(b, c->config.working_dir && *c->config.working_dir ? c->config.working_dir : "C:\\"));
    return p;
}

static json_t *resources(struct builder *b, const struct spec_resources_woci *r)
{
    json_t *res = obj(b), *mem = obj(b), *cpu = obj(b), *sto = obj(b);

    if (r->has_mem_limit)
        put(b, mem, "limit", json_integer(r->mem_limit));
    if (r->has_mem_reservation)
        put(b, mem, "reservation", u64(b, r->mem_reservation));
    if (r->has_cpu_count)
        put(b, cpu, "count", u64(b, r->cpu_count));
    put(b, cpu, "shares", u64(b, r->cpu_shares));
    if (r->has_cpu_percent)
        put(b, cpu, "percent", json_integer(r->cpu_percent));
    if (r->has_iops)
        put(b, sto, "iops", u64(b, r->iops));
    if (r->has_bps)
        put(b, sto, "bps", u64(b, r->bps));
    if (r->has_sandbox_size)
        put(b, sto, "sandbox_size", u64(b, r->sandbox_size));
    put(b, res, "memory", mem);
    put(b, res, "cpu", cpu);
    put(b, res, "storage", sto);
    put(b, res, "network", obj(b));
    return res;
}

static int networking(struct builder *b, const struct spec_model *m, json_t **out,
                      struct bf_error *err)
{
    const struct ls_container *c = m->c;
    const char *mode = c->host.network_mode ? c->host.network_mode : "";
    json_t *net = obj(b);

    if (m->network_store) {
        if (m->n_endpoints) {
            json_t *eps = arr(b);
            for (size_t i = 0; i < m->n_endpoints; i++)
                push(b, eps, str(b, m->endpoints[i]));
            put(b, net, "endpoints", eps);
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
                put(b, net, "mac", str(b, c->config.mac_address));
            if (c->host.n_port_bindings) {
                json_t *pm = obj(b);
                for (size_t i = 0; i < c->host.n_port_bindings; i++) {
                    const struct ls_port *p = &c->host.port_bindings[i];
                    json_t *list = p->is_null ? json_null() : arr(b);
                    for (size_t k = 0; !p->is_null && k < p->n_bindings; k++) {
                        json_t *pb = obj(b);
                        put(b, pb, "HostIp", str(b, p->bindings[k].host_ip));
                        put(b, pb, "HostPort", str(b, p->bindings[k].host_port));
                        push(b, list, pb);
                    }
                    put(b, pm, p->port, list);
                }
                put(b, net, "port_bindings", pm);
            }
        }
        *out = net;
        return 0;
    }
    json_decref(net);
    return bf_error_set(err, EINVAL,
                        "container %s: containers/%s/hostconfig.json: invalid network mode: %s",
                        c->id, c->id, mode);
}

int spec_render_windowsoci(const struct spec_model *m, char **out, size_t *len,
                           struct bf_error *err)
{
    const struct ls_container *c = m->c;
    struct builder b = {false};
    struct spec_resources_woci res;
    json_t *root, *plat, *rt, *win, *mounts, *net = NULL;
    int r;

    r = spec_resources_woci(c, &res, err);
    if (r < 0)
        return r;
    if (m->img->os && strcasecmp(m->img->os, "windows") == 0) {
        r = networking(&b, m, &net, err);
        if (r < 0)
            return r;
    }

    root = obj(&b);
    put(&b, root, "ociVersion", str(&b, "0.3.0 (Windows)"));
    plat = obj(&b);
    put(&b, plat, "os", str(&b, m->img->os ? m->img->os : ""));
    put(&b, plat, "arch", str(&b, m->img->architecture ? m->img->architecture : ""));
    if (m->img->os_version && *m->img->os_version)
        put(&b, plat, "os.version", str(&b, m->img->os_version));
    put(&b, root, "platform", plat);
    put(&b, root, "process", process(&b, m));
    rt = obj(&b);
    put(&b, rt, "path", str(&b, ""));
    put(&b, rt, "readonly", json_boolean(c->host.readonly_rootfs));
    put(&b, root, "root", rt);
    if (c->config.hostname && *c->config.hostname) {
        char *full = NULL;
        if (c->config.domainname && *c->config.domainname) {
            if (asprintf(&full, "%s.%s", c->config.hostname, c->config.domainname) < 0)
                full = NULL, b.failed = true;
        }
        put(&b, root, "hostname", str(&b, full ? full : c->config.hostname));
        free(full);
    }
    if (m->n_mounts) {
        mounts = arr(&b);
        for (size_t i = 0; i < m->n_mounts; i++) {
            json_t *mt = obj(&b);
            put(&b, mt, "destination", str(&b, m->mounts[i].destination));
            put(&b, mt, "type", str(&b, ""));
            put(&b, mt, "source", str(&b, m->mounts[i].source));
            put(&b, mt, "readonly", json_boolean(m->mounts[i].readonly));
            push(&b, mounts, mt);
        }
    } else {
        mounts = json_null();
    }
    put(&b, root, "mounts", mounts);

    /* Images that are not Windows images get the platform-neutral fields only. */
    if (!m->img->os || strcasecmp(m->img->os, "windows") != 0)
        goto render;
    win = obj(&b);
    put(&b, win, "resources", resources(&b, &res));
    put(&b, win, "networking", net);
    if (!c->has_been_started_before)
        put(&b, win, "first_start", json_true());
    if (m->layer_folder && *m->layer_folder)
        put(&b, win, "layer_folder", str(&b, m->layer_folder));
    if (m->walk->n) {
        json_t *lp = arr(&b);
        for (size_t i = 0; i < m->walk->n; i++)
            push(&b, lp, str(&b, m->walk->layers[i].path));
        put(&b, win, "layer_paths", lp);
    }
    if (m->isolation == SPEC_ISOLATION_HYPERV) {
        json_t *hv = obj(&b);
        if (m->uvm_path)
            put(&b, hv, "image_path", str(&b, m->uvm_path));
        put(&b, win, "hv_runtime", hv);
    }
    put(&b, root, "windows", win);

render:
    if (b.failed) {
        json_decref(root);
        return bf_error_set(err, EINVAL,
                            "container %s: config.json: a value cannot be written (a string that "
                            "is not valid UTF-8, a number above 2^63-1, or out of memory)",
                            c->id);
    }
    r = spec_json_render(root, m->compact, out, len, err);
    if (r < 0)
        bf_error_wrap(err, "container %s: config.json", c->id);
    json_decref(root);
    return r;
}
