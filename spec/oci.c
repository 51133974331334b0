/* oci.c - config.json in OCI runtime-spec 1.3.0 form, as today's Docker builds it for Windows
 * (doc §6.6, variant G), keys in the order of runtime-spec's specs-go types.
 *
 * Where we differ from what moby writes, it is to be a valid 1.3.0 document or to say more:
 * - windows.credentialSpec is the credential spec as a JSON object (the schema's type); moby
 *   assigns the raw string. A spec that is not a JSON object is an error for config.json.
 * - windows.hyperv.utilityVMPath is filled when we found the utility VM (the first layer,
 *   top-most first, that has UtilityVM); moby leaves it empty and lets the runtime search.
 * - root.path: the runtime volume GUID path is never written to disk, so it is "" (the field is
 *   required; Docker itself writes "" for Hyper-V).
 * - allowUnqualifiedDNSQuery and the endpoint list come from libnetwork's store (a later
 *   issue); until then the list is empty.
 * Images whose os is not windows get the platform-neutral fields and no `windows` section.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec.h"
#include "spec_internal.h"

static bool is_windows(const struct spec_model *m)
{
    return m->img->os && strcasecmp(m->img->os, "windows") == 0;
}

static struct spec_node *process(struct spec_builder *b, const struct spec_model *m)
{
    const struct ls_container *c = m->c;
    struct spec_node *p = spec_b_obj(b), *user = spec_b_obj(b);

    if (c->config.tty) {
        struct spec_node *box = spec_b_obj(b);
        spec_b_put(b, p, "terminal", spec_b_bool(b, true));
        spec_b_put(b, box, "height", spec_b_u64(b, c->host.console_size[0]));
        spec_b_put(b, box, "width", spec_b_u64(b, c->host.console_size[1]));
        spec_b_put(b, p, "consoleSize", box);
    }
    spec_b_put(b, user, "uid", spec_b_i64(b, 0));
    spec_b_put(b, user, "gid", spec_b_i64(b, 0));
    if (c->config.user && *c->config.user)
        spec_b_put(b, user, "username", spec_b_str(b, c->config.user));
    spec_b_put(b, p, "user", user);
    if (is_windows(m) && c->config.args_escaped) {
        /* Path as is, then each Arg escaped, space-joined (doc §4 "G"). */
        size_t cap = strlen(c->path ? c->path : "") + 1, used;
        char *line = malloc(cap);
        if (!line) {
            b->failed = true;
        } else {
            strcpy(line, c->path ? c->path : "");
            used = strlen(line);
            for (size_t i = 0; i < c->n_args && line; i++) {
                char *e = spec_escape_arg(c->args[i]);
                char *n = e ? realloc(line, used + strlen(e) + 2) : NULL;
                if (!n) {
                    free(e);
                    free(line);
                    line = NULL;
                    b->failed = true;
                    break;
                }
                line = n;
                line[used++] = ' ';
                strcpy(line + used, e);
                used += strlen(e);
                free(e);
            }
            if (line)
                spec_b_put(b, p, "commandLine", spec_b_str(b, line));
            free(line);
        }
    } else {
        struct spec_node *args = spec_b_arr(b);
        spec_b_push(b, args, spec_b_str(b, c->path));
        for (size_t i = 0; i < c->n_args; i++)
            spec_b_push(b, args, spec_b_str(b, c->args[i]));
        spec_b_put(b, p, "args", args);
    }
    spec_b_put_env(b, p, c);
    if (is_windows(m)) {
        char *cwd = spec_win_cwd(c);
        if (!cwd)
            b->failed = true;
        spec_b_put(b, p, "cwd", cwd ? spec_b_str(b, cwd) : NULL);
        free(cwd);
    } else {
        spec_b_put(b, p, "cwd",
                   spec_b_str(b, c->config.working_dir && *c->config.working_dir
                                     ? c->config.working_dir
                                     : "/"));
    }
    return p;
}

static int devices(struct spec_builder *b, const struct ls_container *c, struct spec_node **out,
                   struct bf_error *err)
{
    struct spec_node *list = spec_b_arr(b);

    for (size_t i = 0; i < c->host.n_devices; i++) {
        const char *p = c->host.devices[i].path_on_host ? c->host.devices[i].path_on_host : "";
        const char *sep = strstr(p, "://");
        struct spec_node *d = spec_b_obj(b);
        if (strncmp(p, "class/", 6) == 0 && p[6]) {
            spec_b_put(b, d, "id", spec_b_str(b, p + 6));
            spec_b_put(b, d, "idType", spec_b_str(b, "class"));
        } else if (sep && sep != p && sep[3]) {
            char type[64];
            size_t tl = (size_t)(sep - p);
            if (tl >= sizeof(type))
                tl = sizeof(type) - 1;
            memcpy(type, p, tl);
            type[tl] = '\0';
            if (strcmp(type, "class") != 0) {
                /* Docker passes any IDType through; runtime-spec 1.3.0 only defines "class",
                 * and an OCI config.json from bundlefs must validate. */
                return bf_error_set(err, EINVAL,
                                    "container %s: containers/%s/hostconfig.json: device '%s': "
                                    "idType '%s' is not allowed by runtime-spec 1.3.0 (only "
                                    "'class')",
                                    c->id, c->id, p, type);
            }
            spec_b_put(b, d, "id", spec_b_str(b, sep + 3));
            spec_b_put(b, d, "idType", spec_b_str(b, type));
        } else {
            return bf_error_set(err, EINVAL,
                                "container %s: containers/%s/hostconfig.json: invalid device "
                                "assignment path: '%s', must be 'class/ID' or 'IDType://ID'",
                                c->id, c->id, p);
        }
        spec_b_push(b, list, d);
    }
    *out = list;
    return 0;
}

static struct spec_node *resources(struct spec_builder *b, const struct spec_model *m)
{
    struct spec_resources_oci r;
    struct spec_node *res;

    spec_resources_oci(m->c, m->isolation == SPEC_ISOLATION_HYPERV, m->host_cpus, &r);
    if (!r.has_cpu && !r.has_memory && !r.has_storage)
        return NULL;
    res = spec_b_obj(b);
    if (r.has_memory) {
        struct spec_node *mem = spec_b_obj(b);
        spec_b_put(b, mem, "limit", spec_b_u64(b, r.mem_limit));
        spec_b_put(b, res, "memory", mem);
    }
    if (r.has_cpu) {
        struct spec_node *cpu = spec_b_obj(b);
        spec_b_put(b, cpu, "count", spec_b_u64(b, r.cpu_count));
        spec_b_put(b, cpu, "shares", spec_b_u64(b, r.cpu_shares));
        spec_b_put(b, cpu, "maximum", spec_b_u64(b, r.cpu_maximum));
        spec_b_put(b, res, "cpu", cpu);
    }
    if (r.has_storage) {
        struct spec_node *sto = spec_b_obj(b);
        spec_b_put(b, sto, "iops", spec_b_u64(b, r.iops));
        spec_b_put(b, sto, "bps", spec_b_u64(b, r.bps));
        spec_b_put(b, res, "storage", sto);
    }
    return res;
}

static struct spec_node *network(struct spec_builder *b, const struct spec_model *m)
{
    const struct ls_container *c = m->c;
    struct spec_node *net = spec_b_obj(b);

    if (m->n_endpoints) {
        struct spec_node *eps = spec_b_arr(b);
        for (size_t i = 0; i < m->n_endpoints; i++)
            spec_b_push(b, eps, spec_b_str(b, m->endpoints[i]));
        spec_b_put(b, net, "endpointList", eps);
    }
    if (m->allow_unqualified_dns)
        spec_b_put(b, net, "allowUnqualifiedDNSQuery", spec_b_bool(b, true));
    if (c->host.n_dns_search || m->n_daemon_dns_search) {
        struct spec_node *dns = spec_b_arr(b);
        if (c->host.n_dns_search)
            for (size_t i = 0; i < c->host.n_dns_search; i++)
                spec_b_push(b, dns, spec_b_str(b, c->host.dns_search[i]));
        else
            for (size_t i = 0; i < m->n_daemon_dns_search; i++)
                spec_b_push(b, dns, spec_b_str(b, m->daemon_dns_search[i]));
        spec_b_put(b, net, "DNSSearchList", dns);
    }
    if (m->shared_container_id)
        spec_b_put(b, net, "networkSharedContainerName", spec_b_str(b, m->shared_container_id));
    return net;
}

static int windows_section(struct spec_builder *b, const struct spec_model *m,
                           struct spec_node **out, struct bf_error *err)
{
    const struct ls_container *c = m->c;
    struct spec_node *win = spec_b_obj(b), *folders = spec_b_arr(b), *devs = NULL, *res;
    int r;

    for (size_t i = 0; i < m->walk->n; i++)
        spec_b_push(b, folders, spec_b_str(b, m->walk->layers[i].path));
    spec_b_push(b, folders, spec_b_str(b, m->layer_folder));
    spec_b_put(b, win, "layerFolders", folders);
    r = devices(b, c, &devs, err);
    if (r < 0)
        return r;
    if (spec_b_count(devs))
        spec_b_put(b, win, "devices", devs);
    res = resources(b, m);
    if (res)
        spec_b_put(b, win, "resources", res);
    if (m->credential_spec) {
        json_error_t jerr;
        json_t *cs = json_loads(m->credential_spec, JSON_REJECT_DUPLICATES, &jerr);
        if (!cs || !json_is_object(cs)) {
            json_decref(cs);
            return bf_error_set(err, EINVAL,
                                "container %s: credential spec is not a JSON object (%s), and "
                                "runtime-spec's windows.credentialSpec must be one",
                                c->id, cs ? "another JSON type" : jerr.text);
        }
        spec_b_put(b, win, "credentialSpec", spec_b_json(b, cs));
        json_decref(cs);
    }
    if (!c->has_been_started_before)
        spec_b_put(b, win, "ignoreFlushesDuringBoot", spec_b_bool(b, true));
    if (m->isolation == SPEC_ISOLATION_HYPERV) {
        struct spec_node *hv = spec_b_obj(b);
        if (m->uvm_path)
            spec_b_put(b, hv, "utilityVMPath", spec_b_str(b, m->uvm_path));
        spec_b_put(b, win, "hyperv", hv);
    }
    spec_b_put(b, win, "network", network(b, m));
    *out = win;
    return 0;
}

int spec_render_oci(const struct spec_model *m, char **out, size_t *len, struct bf_error *err)
{
    const struct ls_container *c = m->c;
    struct spec_builder b = {false};
    struct spec_node *root = spec_b_obj(&b), *rt = spec_b_obj(&b), *win = NULL;
    int r;

    if (is_windows(m)) {
        r = windows_section(&b, m, &win, err);
        if (r < 0) {
            spec_b_free(&b);
            return r;
        }
    }
    spec_b_put(&b, root, "ociVersion", spec_b_str(&b, "1.3.0"));
    spec_b_put(&b, root, "process", process(&b, m));
    spec_b_put(&b, rt, "path", spec_b_str(&b, ""));
    spec_b_put(&b, root, "root", rt);
    spec_b_put_hostname(&b, root, c);
    if (m->n_mounts) {
        struct spec_node *mounts = spec_b_arr(&b);
        for (size_t i = 0; i < m->n_mounts; i++) {
            struct spec_node *mt = spec_b_obj(&b);
            spec_b_put(&b, mt, "destination", spec_b_str(&b, m->mounts[i].destination));
            spec_b_put(&b, mt, "source", spec_b_str(&b, m->mounts[i].source));
            if (m->mounts[i].readonly) {
                struct spec_node *o = spec_b_arr(&b);
                spec_b_push(&b, o, spec_b_str(&b, "ro"));
                spec_b_put(&b, mt, "options", o);
            }
            spec_b_push(&b, mounts, mt);
        }
        spec_b_put(&b, root, "mounts", mounts);
    }
    if (c->host.n_annotations) {
        struct spec_node *an = spec_b_obj(&b);
        for (size_t i = 0; i < c->host.n_annotations; i++)
            if (spec_kv_last(c->host.annotations, c->host.n_annotations, i))
                spec_b_put(&b, an, c->host.annotations[i].key,
                           spec_b_str(&b, c->host.annotations[i].value));
        spec_b_put(&b, root, "annotations", an);
    }
    if (win)
        spec_b_put(&b, root, "windows", win);

    return spec_b_finish(&b, root, m->compact, c->id, "config.json", out, len, err);
}
