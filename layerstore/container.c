/* container.c - containers/<id>/{config.v2.json,hostconfig.json} and layerdb/mounts/<id>/
 * (doc §1.2-§1.4, §7), and container lookup.
 *
 * Decisions:
 * - config.v2.json and hostconfig.json fill struct ls_container straight from their bytes,
 *   by the field tables below (jview.h: which member fills which field, in the order they are
 *   checked); no JSON tree is built.
 * - The name read (by-name index, lookup by name) builds no tree: jscan.c validates the file
 *   and picks "ID" and "Name" in one pass; whatever it is unsure of, the field reading does.
 * - A missing hostconfig.json is an empty HostConfig, as Docker's readHostConfig makes it, but
 *   only for a folder that has settled: Docker writes config.v2.json first and hostconfig.json
 *   right after, and removes files in no fixed order, so a folder that has not been still for
 *   the settle period (the filesystem's trust=; timed here from the first sight of its times,
 *   never by the file times' own clock) or holds an atomic write in progress (".tmp-*") is a
 *   container being written or removed, and is no container yet (ENOENT, not listed): a spec
 *   built on defaults for it would be a wrong answer. One that exists but cannot be read or
 *   parsed stays an error.
 * - "Name" must be empty or satisfy Docker's name rule; names become directory names and
 *   lookup keys, so a name with '/' or control characters is refused with Docker's text.
 * - "Driver" must be the store's driver: Docker skips such containers, we report them.
 * - The container's layer folder comes from mount-id, also for windowsfilter where Docker sets
 *   mount-id = container ID: if they ever differ, mount-id is what the driver used.
 * - Lookup follows the docker CLI/daemon order: full ID, then exact name, then unique prefix.
 */
#include <ctype.h>
#include <stddef.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bf_util.h"
#include "jscan.h"
#include "jview.h"
#include "ls_internal.h"

static bool hostconfig_pending(struct layerstore *ls, const char *id, bool first);

static bool valid_name(const char *n)
{
    /* ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$ */
    if (!isalnum((unsigned char)n[0]) || !n[1])
        return false;
    for (const char *p = n + 1; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

static void networks_free(struct ls_network *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].network_id);
        free(v[i].endpoint_id);
        free(v[i].mac_address);
        free(v[i].ip_address);
    }
    free(v);
}

static void mounts_free(struct ls_mount *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].destination);
        free(v[i].source);
        free(v[i].name);
        free(v[i].driver);
        free(v[i].type);
        ls_linux_mount_free(&v[i]);
    }
    free(v);
}

static void devices_free(struct ls_device *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].path_on_host);
        free(v[i].path_in_container);
        free(v[i].cgroup_permissions);
    }
    free(v);
}

static void ports_free(struct ls_port *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].port);
        for (size_t j = 0; j < v[i].n_bindings; j++) {
            free(v[i].bindings[j].host_ip);
            free(v[i].bindings[j].host_port);
        }
        free(v[i].bindings);
    }
    free(v);
}

void ls_container_free(struct ls_container *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->path);
    ls_strv_free(c->args, c->n_args);
    free(c->driver);
    free(c->os);
    free(c->config.hostname);
    free(c->config.domainname);
    free(c->config.user);
    ls_strv_free(c->config.env, c->config.n_env);
    free(c->config.working_dir);
    free(c->config.image);
    free(c->config.mac_address);
    networks_free(c->networks, c->n_networks);
    free(c->sandbox_id);
    mounts_free(c->mounts, c->n_mounts);
    free(c->host.isolation);
    ls_kv_free(c->host.storage_opt, c->host.n_storage_opt);
    ls_strv_free(c->host.security_opt, c->host.n_security_opt);
    free(c->host.network_mode);
    ls_strv_free(c->host.dns_search, c->host.n_dns_search);
    devices_free(c->host.devices, c->host.n_devices);
    ls_kv_free(c->host.annotations, c->host.n_annotations);
    ports_free(c->host.port_bindings, c->host.n_port_bindings);
    free(c->mount_id);
    free(c->init_id);
    free(c->mount_parent);
    free(c->layer_rel);
    free(c->layer_path);
    ls_linux_free(&c->lx);
    free(c);
}

static int oom(const struct ls_jctx *c)
{
    return bf_error_set(c->err, ENOMEM, "%s: out of memory", c->file);
}

/* "ID" (already taken as ls_j_string would: "" when absent) against the directory name. */
static int check_id(const struct ls_jctx *c, const char *id, const char *dir_id)
{
    if (!*id)
        return bf_error_set(c->err, EINVAL, "%s: \"ID\" is missing (the container is stored at %s)",
                            c->file, dir_id);
    if (strcmp(id, dir_id) != 0)
        return bf_error_set(c->err, EINVAL, "%s: Container %.80s is stored at %s", c->file, id,
                            dir_id);
    return 0;
}

/* "Name" (as ls_j_string took it) without its leading '/', checked; *name is malloc'd, or
 * NULL for a valid name longer than LS_NAME_MAX (its length in *dropped). */
static int take_name(const struct ls_jctx *c, const char *raw, char **name, size_t *dropped)
{
    const char *n = raw[0] == '/' ? raw + 1 : raw;
    size_t len = strlen(n);

    *dropped = 0;
    if (*n && !valid_name(n))
        return bf_error_set(c->err, EINVAL,
                            "%s: Invalid container name (%.80s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                            "are allowed",
                            c->file, n);
    if (len > LS_NAME_MAX) {
        *name = NULL;
        *dropped = len;
        return 0;
    }
    *name = strdup(n);
    if (!*name)
        return oom(c);
    return 0;
}

/* "ID" and "Name": shared by the full load and the cheap name read's fallback. */
static int doc_id_name(struct ls_jdoc *d, const char *root, const char *dir_id, char **name,
                       size_t *dropped)
{
    const struct ls_jctx c = {.file = d->file, .err = d->err};
    _cleanup_free_ char *id = NULL, *raw = NULL;
    int r;

    const char *v = ls_jv_get(d, root, "ID", 2);
    if (d->oom)
        return ls_jdoc_oom(d);
    r = ls_jv_string(d, v, &(struct ls_jname){.path = "ID"}, "", &id);
    if (r < 0)
        return r;
    r = check_id(&c, id, dir_id);
    if (r < 0)
        return r;
    v = ls_jv_get(d, root, "Name", 4);
    if (d->oom)
        return ls_jdoc_oom(d);
    r = ls_jv_string(d, v, &(struct ls_jname){.path = "Name"}, "", &raw);
    if (r < 0)
        return r;
    return take_name(&c, raw, name, dropped);
}
/* The same as ls_j_string on a scanned member (ls_jscan_object gave LS_JSCAN_OK). */
static int scanned_string(const struct ls_jctx *c, const struct ls_jscan_member *m, char **out)
{
    *out = NULL;
    if (m->kind == LS_JSCAN_OTHER)
        return bf_error_set(c->err, EINVAL, "%s: \"%s\" must be a string", c->file, m->key);
    *out = m->kind == LS_JSCAN_STRING ? strndup(m->val, m->len) : strdup("");
    if (!*out)
        return oom(c);
    return 0;
}

/* parse_id_name over the file's bytes without building a tree: 1 when the scanner could not
 * answer (the caller parses with jansson), else 0 or the error parse_id_name would give. */
static int scan_id_name(const struct ls_jctx *c, const char *buf, size_t len, const char *dir_id,
                        char **name, size_t *dropped)
{
    struct ls_jscan_member m[2] = {{.key = "ID"}, {.key = "Name"}};
    _cleanup_free_ char *id = NULL, *raw = NULL;
    int r;

    if (ls_jscan_object(buf, len, m, BF_ARRAY_SIZE(m)) != LS_JSCAN_OK)
        return 1; /* also when invalid: jansson words the error */
    r = scanned_string(c, &m[0], &id);
    if (r < 0)
        return r;
    r = check_id(c, id, dir_id);
    if (r < 0)
        return r;
    r = scanned_string(c, &m[1], &raw);
    if (r < 0)
        return r;
    return take_name(c, raw, name, dropped);
}

#define CT(f) offsetof(struct ls_container, f)

/* "<pre>.<key>" for messages about a map's member; NULL on ENOMEM. */
static char *member_path(const char *pre, const struct ls_jmember *m)
{
    char *p;
    return asprintf(&p, "%s.%.*s", pre, (int)m->klen, m->key) < 0 ? NULL : p;
}

static int fill_id_name(struct ls_jdoc *d, const char *root, void *base, const struct ls_jname *n)
{
    struct ls_container *ct = base;
    (void)n;
    return doc_id_name(d, root, ct->id, &ct->name, &ct->name_dropped);
}

static int fill_image(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_container *ct = base;
    _cleanup_free_ char *image = NULL;
    int r = ls_jv_string(d, v, n, "", &image);

    if (r < 0)
        return r;
    if (!bf_is_digest(image))
        return bf_error_set(d->err, EINVAL, "%s: \"Image\" is not a valid image ID: \"%.80s\"",
                            d->file, image);
    memcpy(ct->image_id, image, LS_DIGEST_LEN + 1);
    return 0;
}

static int network_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ls_network *)a)->name, ((const struct ls_network *)b)->name);
}

#define NW(f) offsetof(struct ls_network, f)
/* NetworkSettings.Networks[<name>] */
static const struct ls_jfield network_fields[] = {
    {.path = "NetworkID", .kind = LS_JF_STRING, .off = NW(network_id), .dflt = ""},
    {.path = "EndpointID", .kind = LS_JF_STRING, .off = NW(endpoint_id), .dflt = ""},
    {.path = "MacAddress", .kind = LS_JF_STRING, .off = NW(mac_address), .dflt = ""},
    {.path = "IPAddress", .kind = LS_JF_STRING, .off = NW(ip_address), .dflt = ""},
    {.path = NULL},
};

static int fill_networks(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_container *ct = base;
    _cleanup_free_ struct ls_jmember *m = NULL;
    const char *nets;
    size_t len;
    int r;

    if ((r = ls_jv_object(d, v, n, &nets)) < 0 || !nets)
        return r;
    if ((r = ls_jv_members(d, nets, &m, &len)) < 0 || !len)
        return r;
    ct->networks = calloc(len, sizeof(*ct->networks));
    if (!ct->networks)
        return ls_jdoc_oom(d);
    for (size_t i = 0; i < len; i++) {
        struct ls_network *nw = &ct->networks[i];
        _cleanup_free_ char *p = member_path(n->path, &m[i]);
        const char *obj;

        ct->n_networks = i + 1;
        nw->name = strndup(m[i].key, m[i].klen);
        if (!p || !nw->name)
            return ls_jdoc_oom(d);
        if ((r = ls_jv_object(d, m[i].val, &(struct ls_jname){.path = p}, &obj)) < 0 ||
            (r = ls_jv_fill(d, obj, p, -1, network_fields, nw)) < 0)
            return r;
    }
    qsort(ct->networks, ct->n_networks, sizeof(*ct->networks), network_cmp);
    return 0;
}

#define MT(f) offsetof(struct ls_mount, f)
/* MountPoints[<destination>]; ls_linux_mount_fields follow */
static const struct ls_jfield mount_fields[] = {
    {.path = "Source", .kind = LS_JF_STRING, .off = MT(source), .dflt = ""},
    {.path = "Destination", .kind = LS_JF_STRING, .off = MT(destination), .dflt = ""},
    {.path = "RW", .kind = LS_JF_BOOL, .off = MT(rw)},
    {.path = "Name", .kind = LS_JF_STRING, .off = MT(name), .dflt = ""},
    {.path = "Driver", .kind = LS_JF_STRING, .off = MT(driver), .dflt = ""},
    {.path = "Type", .kind = LS_JF_STRING, .off = MT(type), .dflt = ""},
    {.path = NULL},
};

static int fill_mounts(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_container *ct = base;
    _cleanup_free_ struct ls_jmember *m = NULL;
    const char *mps;
    size_t len;
    int r;

    if ((r = ls_jv_object(d, v, n, &mps)) < 0 || !mps)
        return r;
    if ((r = ls_jv_members(d, mps, &m, &len)) < 0 || !len)
        return r;
    ct->mounts = calloc(len, sizeof(*ct->mounts));
    if (!ct->mounts)
        return ls_jdoc_oom(d);
    for (size_t i = 0; i < len; i++) {
        struct ls_mount *mt = &ct->mounts[i];
        _cleanup_free_ char *p = member_path(n->path, &m[i]);

        ct->n_mounts = i + 1;
        if (!p)
            return ls_jdoc_oom(d);
        /* A null entry would be a nil *MountPoint that Docker dereferences: refuse it. */
        if (!ls_jv_is_object(m[i].val))
            return bf_error_set(d->err, EINVAL, "%s: \"%s\" must be an object", d->file, p);
        /* the Linux members' messages cut the mount's path at 60 bytes */
        if ((r = ls_jv_fill(d, m[i].val, p, -1, mount_fields, mt)) < 0 ||
            (r = ls_jv_fill(d, m[i].val, p, 60, ls_linux_mount_fields, mt)) < 0)
            return r;
        /* Docker builds the spec from the Destination field; the map key is the same value in
         * every file Docker writes, so it is the fallback when the field is missing. */
        if (!*mt->destination) {
            free(mt->destination);
            if (!(mt->destination = strndup(m[i].key, m[i].klen)))
                return ls_jdoc_oom(d);
        }
    }
    return 0;
}

/* config.v2.json, member by member in the order they are checked: the first error in this
 * order is the one reported. */
static const struct ls_jfield config_v2_fields[] = {
    {.path = "", .kind = LS_JF_FN, .fn = fill_id_name}, /* "ID", then "Name" */
    {.path = "Image", .kind = LS_JF_FN, .fn = fill_image},
    {.path = "Path", .kind = LS_JF_STRING, .off = CT(path), .dflt = ""},
    {.path = "Args", .kind = LS_JF_STRV, .off = CT(args), .off2 = CT(n_args)},
    {.path = "Driver", .kind = LS_JF_STRING, .off = CT(driver), .dflt = ""},
    {.path = "OS", .kind = LS_JF_STRING, .off = CT(os)},
    {.path = "HasBeenStartedBefore", .kind = LS_JF_BOOL, .off = CT(has_been_started_before)},
    {.path = "State", .kind = LS_JF_OBJECT},
    {.path = "State.Running", .kind = LS_JF_BOOL, .off = CT(running)},
    {.path = "State.Dead", .kind = LS_JF_BOOL, .off = CT(dead)},
    {.path = "Config", .kind = LS_JF_OBJECT},
    {.path = "Config.Hostname", .kind = LS_JF_STRING, .off = CT(config.hostname), .dflt = ""},
    {.path = "Config.Domainname", .kind = LS_JF_STRING, .off = CT(config.domainname), .dflt = ""},
    {.path = "Config.User", .kind = LS_JF_STRING, .off = CT(config.user), .dflt = ""},
    {.path = "Config.Tty", .kind = LS_JF_BOOL, .off = CT(config.tty)},
    {.path = "Config.Env", .kind = LS_JF_STRV, .off = CT(config.env), .off2 = CT(config.n_env)},
    {.path = "Config.WorkingDir", .kind = LS_JF_STRING, .off = CT(config.working_dir), .dflt = ""},
    {.path = "Config.Image", .kind = LS_JF_STRING, .off = CT(config.image), .dflt = ""},
    {.path = "Config.ArgsEscaped", .kind = LS_JF_BOOL, .off = CT(config.args_escaped)},
    {.path = "Config.NetworkDisabled", .kind = LS_JF_BOOL, .off = CT(config.network_disabled)},
    {.path = "Config.MacAddress", .kind = LS_JF_STRING, .off = CT(config.mac_address), .dflt = ""},
    {.path = "NetworkSettings", .kind = LS_JF_OBJECT},
    {.path = "NetworkSettings.Networks", .kind = LS_JF_FN, .fn = fill_networks},
    {.path = "NetworkSettings.SandboxID", .kind = LS_JF_STRING, .off = CT(sandbox_id), .dflt = ""},
    {.path = "", .kind = LS_JF_TABLE, .sub = ls_linux_config_fields},
    {.path = "MountPoints", .kind = LS_JF_FN, .fn = fill_mounts},
    {.path = NULL},
};

static int fill_console_size(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_container *ct = base;
    size_t i = 0;
    (void)n;

    if (!v)
        return 0;
    if (!ls_jv_is_array(v))
        goto bad;
    /* Go decodes into [2]uint: missing elements stay 0, extra elements are dropped. */
    for (const char *e = ls_jv_first(d, v); e && i < 2; e = ls_jv_next(d, e), i++) {
        int64_t x;
        if (ls_jv_is_null(e))
            continue;
        if (!ls_jv_integer(e, &x) || x < 0)
            goto bad;
        ct->host.console_size[i] = (uint64_t)x;
    }
    return 0;
bad:
    return bf_error_set(d->err, EINVAL,
                        "%s: \"ConsoleSize\" must be an array of 2 non-negative integers", d->file);
}

#define DV(f) offsetof(struct ls_device, f)
/* HostConfig.Devices[i] */
static const struct ls_jfield device_fields[] = {
    {.path = "PathOnHost", .kind = LS_JF_STRING, .off = DV(path_on_host), .dflt = ""},
    {.path = "PathInContainer", .kind = LS_JF_STRING, .off = DV(path_in_container), .dflt = ""},
    {.path = "CgroupPermissions", .kind = LS_JF_STRING, .off = DV(cgroup_permissions), .dflt = ""},
    {.path = NULL},
};

static int fill_devices(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_container *ct = base;
    size_t len, i = 0;
    int r;
    (void)n;

    if (!v)
        return 0;
    if (!ls_jv_is_array(v))
        return bf_error_set(d->err, EINVAL, "%s: \"Devices\" must be an array of objects", d->file);
    if (!(len = ls_jv_count(d, v)))
        return 0;
    ct->host.devices = calloc(len, sizeof(*ct->host.devices));
    if (!ct->host.devices)
        return ls_jdoc_oom(d);
    for (const char *e = ls_jv_first(d, v); e; e = ls_jv_next(d, e), i++) {
        char p[48];

        ct->host.n_devices = i + 1;
        if (!ls_jv_is_object(e) && !ls_jv_is_null(e))
            return bf_error_set(d->err, EINVAL, "%s: \"Devices\" must be an array of objects",
                                d->file);
        snprintf(p, sizeof(p), "Devices[%zu]", i);
        if ((r = ls_jv_fill(d, ls_jv_is_object(e) ? e : NULL, p, -1, device_fields,
                            &ct->host.devices[i])) < 0)
            return r;
    }
    return 0;
}

static int port_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ls_port *)a)->port, ((const struct ls_port *)b)->port);
}

#define PB(f) offsetof(struct ls_port_binding, f)
/* HostConfig.PortBindings[<port>][j] */
static const struct ls_jfield binding_fields[] = {
    {.path = "HostIp", .kind = LS_JF_STRING, .off = PB(host_ip), .dflt = ""},
    {.path = "HostPort", .kind = LS_JF_STRING, .off = PB(host_port), .dflt = ""},
    {.path = NULL},
};

static int fill_ports(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_container *ct = base;
    _cleanup_free_ struct ls_jmember *m = NULL;
    size_t len;
    int r;

    if ((r = ls_jv_object(d, v, n, &v)) < 0 || !v)
        return r;
    if ((r = ls_jv_members(d, v, &m, &len)) < 0 || !len)
        return r;
    ct->host.port_bindings = calloc(len, sizeof(*ct->host.port_bindings));
    if (!ct->host.port_bindings)
        return ls_jdoc_oom(d);
    for (size_t i = 0; i < len; i++) {
        struct ls_port *p = &ct->host.port_bindings[i];
        _cleanup_free_ char *kp = member_path(n->path, &m[i]);
        const char *val = m[i].val;
        size_t nb, j = 0;

        ct->host.n_port_bindings = i + 1;
        p->port = strndup(m[i].key, m[i].klen);
        if (!p->port || !kp)
            return ls_jdoc_oom(d);
        if (ls_jv_is_null(val)) {
            p->is_null = true;
            continue;
        }
        if (!ls_jv_is_array(val))
            return bf_error_set(d->err, EINVAL, "%s: \"%s\" must be an array of objects", d->file,
                                kp);
        if (!(nb = ls_jv_count(d, val)))
            continue;
        p->bindings = calloc(nb, sizeof(*p->bindings));
        if (!p->bindings)
            return ls_jdoc_oom(d);
        for (const char *e = ls_jv_first(d, val); e; e = ls_jv_next(d, e), j++) {
            _cleanup_free_ char *pre = NULL;

            p->n_bindings = j + 1;
            if (!ls_jv_is_object(e) && !ls_jv_is_null(e))
                return bf_error_set(d->err, EINVAL, "%s: \"%s\" must be an array of objects",
                                    d->file, kp);
            if (asprintf(&pre, "%s[%zu]", kp, j) < 0)
                return ls_jdoc_oom(d);
            if ((r = ls_jv_fill(d, ls_jv_is_object(e) ? e : NULL, pre, -1, binding_fields,
                                &p->bindings[j])) < 0)
                return r;
        }
    }
    qsort(ct->host.port_bindings, ct->host.n_port_bindings, sizeof(*ct->host.port_bindings),
          port_cmp);
    return 0;
}

/* hostconfig.json, member by member in the order they are checked. */
static const struct ls_jfield hostconfig_fields[] = {
    {.path = "Isolation", .kind = LS_JF_STRING, .off = CT(host.isolation), .dflt = ""},
    {.path = "CpuShares", .kind = LS_JF_INT64, .off = CT(host.cpu_shares)},
    {.path = "Memory", .kind = LS_JF_INT64, .off = CT(host.memory)},
    {.path = "NanoCpus", .kind = LS_JF_INT64, .off = CT(host.nano_cpus)},
    {.path = "CpuCount", .kind = LS_JF_INT64, .off = CT(host.cpu_count)},
    {.path = "CpuPercent", .kind = LS_JF_INT64, .off = CT(host.cpu_percent)},
    {.path = "MemoryReservation", .kind = LS_JF_INT64, .off = CT(host.memory_reservation)},
    {.path = "IOMaximumIOps", .kind = LS_JF_UINT64, .off = CT(host.io_maximum_iops)},
    {.path = "IOMaximumBandwidth", .kind = LS_JF_UINT64, .off = CT(host.io_maximum_bandwidth)},
    {.path = "StorageOpt",
     .kind = LS_JF_KV,
     .off = CT(host.storage_opt),
     .off2 = CT(host.n_storage_opt)},
    {.path = "SecurityOpt",
     .kind = LS_JF_STRV,
     .off = CT(host.security_opt),
     .off2 = CT(host.n_security_opt)},
    {.path = "ReadonlyRootfs", .kind = LS_JF_BOOL, .off = CT(host.readonly_rootfs)},
    {.path = "ConsoleSize", .kind = LS_JF_FN, .fn = fill_console_size},
    {.path = "NetworkMode", .kind = LS_JF_STRING, .off = CT(host.network_mode), .dflt = ""},
    {.path = "DnsSearch",
     .kind = LS_JF_STRV,
     .off = CT(host.dns_search),
     .off2 = CT(host.n_dns_search)},
    {.path = "Devices", .kind = LS_JF_FN, .fn = fill_devices},
    {.path = "Annotations",
     .kind = LS_JF_KV,
     .off = CT(host.annotations),
     .off2 = CT(host.n_annotations)},
    {.path = "PortBindings", .kind = LS_JF_FN, .fn = fill_ports},
    {.path = "", .kind = LS_JF_TABLE, .sub = ls_linux_hostconfig_fields},
    {.path = NULL},
};
static int load_mounts_dir(struct layerstore *ls, struct ls_container *ct, struct ls_inputs *in,
                           struct bf_error *err)
{
    char dir[160], rel[192];
    int r;

    snprintf(dir, sizeof(dir), "%s/layerdb/mounts/%s", ls->image_rel, ct->id);
    snprintf(rel, sizeof(rel), "%s/mount-id", dir);
    r = ls_read_line(ls, rel, false, &ct->mount_id, in, err);
    if (r < 0) {
        if (err->code == ENOENT && ls_dir_absent(ls, dir, in))
            return bf_error_set(
                err, ENOENT, "%s: no such directory (the container has no read-write layer)", dir);
        return r;
    }
    if (!bf_is_cache_id(ct->mount_id))
        return bf_error_set(err, EINVAL, "%s: invalid mount id value", rel);

    snprintf(rel, sizeof(rel), "%s/init-id", dir);
    r = ls_read_line(ls, rel, true, &ct->init_id, in, err);
    if (r < 0)
        return r;
    if (ct->init_id && !bf_is_cache_id(ct->init_id))
        return bf_error_set(err, EINVAL, "%s: invalid init id value", rel);

    snprintf(rel, sizeof(rel), "%s/parent", dir);
    r = ls_read_line(ls, rel, true, &ct->mount_parent, in, err);
    if (r < 0)
        return r;
    if (ct->mount_parent && !bf_is_digest(ct->mount_parent))
        return bf_error_set(err, EINVAL, "%s: invalid checksum digest format", rel);

    ct->layer_rel = ls_driver_layer_rel(ls, ct->mount_id);
    if (!ct->layer_rel || !(ct->layer_path = layerstore_path(ls, ct->layer_rel)))
        return bf_error_set(err, ENOMEM, "%s: out of memory", dir);
    return 0;
}

static int invalid_id(const char *id, struct bf_error *err)
{
    return bf_error_set(err, EINVAL,
                        "invalid container ID \"%.80s\": must be 64 lowercase hex characters",
                        id ? id : "");
}

/* Read `rel` (capped as every JSON file) and fill `ct` from it by table `f`; `optional`: an
 * absent file is 1 (nothing filled). */
static int load_json(struct layerstore *ls, const char *rel, bool optional,
                     const struct ls_jfield *f, struct ls_container *ct, struct ls_inputs *in,
                     struct bf_error *err)
{
    _cleanup_free_ char *buf = NULL;
    struct ls_jdoc d;
    size_t len = 0;
    int r;

    r = layerstore_read_file(ls, rel, BF_CAP_JSON, &buf, &len, in, err);
    if (r < 0) {
        if (optional && err->code == ENOENT) {
            bf_error_clear(err);
            return 1;
        }
        return r;
    }
    r = ls_jdoc_open(&d, rel, buf, len, err);
    if (r < 0)
        return r;
    r = ls_jv_fill(&d, d.root, NULL, -1, f, ct);
    ls_jdoc_close(&d);
    return r;
}

int layerstore_container_load(struct layerstore *ls, const char *id, struct ls_container **out,
                              struct ls_inputs *in, struct bf_error *err)
{
    char rel[128];
    struct ls_container *ct;
    int r;

    *out = NULL;
    if (!bf_is_hex64(id))
        return invalid_id(id, err);
    ct = calloc(1, sizeof(*ct));
    if (!ct)
        return bf_error_set(err, ENOMEM, "container %s: out of memory", id);
    memcpy(ct->id, id, LS_ID_LEN + 1);

    snprintf(rel, sizeof(rel), "containers/%s/config.v2.json", id);
    r = load_json(ls, rel, false, config_v2_fields, ct, in, err);
    if (r < 0)
        goto fail;
    if (ct->dead) {
        /* Docker's first step of a removal: written with Dead, then the layer released, then
         * the folder removed file by file */
        r = bf_error_set(err, ENOENT, "%s: State.Dead: the container is being removed", rel);
        goto fail;
    }
    if (strcmp(ct->driver, ls_driver_name(ls->driver)) != 0) {
        r = bf_error_set(err, EINVAL,
                         "%s: container was created with storage driver \"%.40s\", but the "
                         "data-root is read with \"%s\" (Docker skips such containers)",
                         rel, ct->driver, ls_driver_name(ls->driver));
        goto fail;
    }

    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", id);
    r = load_json(ls, rel, true, hostconfig_fields, ct, in, err);
    if (r < 0)
        goto fail;
    if (r == 1) {
        if (hostconfig_pending(ls, id, false)) {
            r = bf_error_set(err, ENOENT,
                             "%s: no such file or directory, and containers/%s has not been "
                             "unchanged for %lld ms or holds an atomic write in progress "
                             "(.tmp-*): a container being written or removed",
                             rel, id, (long long)(ls->settle_ns / 1000000));
            goto fail;
        }
        /* readHostConfig: a missing file is an empty HostConfig */
        struct ls_jdoc d = {.file = rel, .err = err};
        r = ls_jv_fill(&d, NULL, NULL, -1, hostconfig_fields, ct);
        ls_jdoc_close(&d);
        if (r < 0)
            goto fail;
    }

    r = load_mounts_dir(ls, ct, in, err);
    if (r < 0)
        goto fail;
    *out = ct;
    return 0;
fail:
    ls_container_free(ct);
    return r;
}

int layerstore_container_check_parent(const struct ls_container *c, const struct ls_walk *w,
                                      struct bf_error *err)
{
    const char *have = c->mount_parent ? c->mount_parent : "";

    if (strcmp(have, w->top_chain_id) == 0)
        return 0;
    return bf_error_set(err, EINVAL,
                        "image/%s/layerdb/mounts/%s/parent: container %s is on layer %s, but "
                        "its image %s has top layer %s",
                        c->driver, c->id, c->id, *have ? have : "(none)", c->image_id,
                        *w->top_chain_id ? w->top_chain_id : "(none)");
}

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Docker's atomic writer (ioutils.AtomicWriteFile) writes "<dir>/.tmp-<name><random>" and
 * renames it into place. */
static bool has_tmp_files(const struct layerstore *ls, const char *dir_rel)
{
    struct bf_error e = BF_ERROR_INIT;
    int fd = bf_open_beneath(ls->dirfd, dir_rel, O_DIRECTORY, &e);
    bool found = false;
    DIR *d;

    bf_error_clear(&e);
    if (fd < 0)
        return false;
    if (!(d = fdopendir(fd))) {
        close(fd);
        return true; /* unsure: not settled */
    }
    /* Docker's container folder holds a dozen entries: a folder of thousands is looked at so
     * far (a hostile one costs one bounded scan per look, not one per entry it holds) */
    size_t seen = 0;
    for (struct dirent *de; !found && seen < 4096 && (de = readdir(d)); seen++)
        found = strncmp(de->d_name, ".tmp-", 5) == 0;
    closedir(d);
    return found;
}

/* Folders without hostconfig.json, as this layerstore saw them: the settle period is timed
 * here, from the first sight of a folder's (mtime, ctime), not from the file times, which
 * come from another clock (a copy from a host whose clock ran ahead, a network server's that
 * lags). Sorted by ID; an entry stays while its folder lacks hostconfig.json (what it costs is
 * bounded by the folders there are: each time the table has doubled, entries whose folder has
 * one again, or is gone, are dropped). */
struct settle_ent {
    char id[LS_ID_LEN + 1];
    int64_t mtime_ns, ctime_ns, seen_ns;
};
struct ls_settle {
    pthread_mutex_t lock;
    struct settle_ent *v;
    size_t n, cap, prune_at;
};

struct ls_settle *ls_settle_new(void)
{
    struct ls_settle *st = calloc(1, sizeof(*st));

    if (st) {
        pthread_mutex_init(&st->lock, NULL);
        st->prune_at = 1024;
    }
    return st;
}

void ls_settle_free(struct ls_settle *st)
{
    if (st) {
        pthread_mutex_destroy(&st->lock);
        free(st->v);
        free(st);
    }
}

/* The first entry whose ID is >= id. */
static const char *settle_key(const void *v, size_t i)
{
    return ((const struct settle_ent *)v)[i].id;
}

static size_t settle_lower_bound(const struct ls_settle *st, const char *id)
{
    return bf_lower_bound(st->v, st->n, settle_key, id);
}

/* Drop the entries of folders that have hostconfig.json again or are gone. Locked. */
static void settle_prune_locked(struct layerstore *ls, struct ls_settle *st)
{
    size_t k = 0;
    for (size_t i = 0; i < st->n; i++) {
        char hc[sizeof("containers/") + LS_ID_LEN + sizeof("/hostconfig.json")];
        struct stat sb;
        snprintf(hc, sizeof(hc), "containers/%s/hostconfig.json", st->v[i].id);
        bool keep = fstatat(ls->dirfd, hc, &sb, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
        if (keep) {
            snprintf(hc, sizeof(hc), "containers/%s", st->v[i].id);
            keep = fstatat(ls->dirfd, hc, &sb, AT_SYMLINK_NOFOLLOW) == 0;
        }
        if (keep)
            st->v[k++] = st->v[i];
    }
    st->n = k;
    st->prune_at = st->n * 2 > 1024 ? st->n * 2 : 1024;
}

/* The folder has hostconfig.json (again), or is gone: its entry goes. */
static void settle_forget(struct layerstore *ls, const char *id)
{
    struct ls_settle *st = ls->settle;

    pthread_mutex_lock(&st->lock);
    size_t k = settle_lower_bound(st, id);
    if (k < st->n && strcmp(st->v[k].id, id) == 0) {
        memmove(&st->v[k], &st->v[k + 1], (st->n - k - 1) * sizeof(*st->v));
        st->n--;
    }
    pthread_mutex_unlock(&st->lock);
}

/* Has the folder (of these times) been still for the settle period? A folder first seen while
 * the layerstore is young (the first listing, or a one-shot bundlefsctl) is judged by its file
 * times, which must lie in the past; one first seen later is new to us, and waits. */
static bool settled(struct layerstore *ls, const char *id, int64_t mtime_ns, int64_t ctime_ns,
                    bool first)
{
    int64_t now = bf_mono_ns(), changed = mtime_ns > ctime_ns ? mtime_ns : ctime_ns;
    struct ls_settle *st = ls->settle;
    bool ok;

    pthread_mutex_lock(&st->lock);
    size_t k = settle_lower_bound(st, id);
    if (k < st->n && strcmp(st->v[k].id, id) == 0) {
        struct settle_ent *e = &st->v[k];
        if (e->mtime_ns == mtime_ns && e->ctime_ns == ctime_ns) {
            ok = now - e->seen_ns >= ls->settle_ns;
        } else { /* changed since: the wait starts again */
            e->mtime_ns = mtime_ns;
            e->ctime_ns = ctime_ns;
            e->seen_ns = now;
            ok = false;
        }
        pthread_mutex_unlock(&st->lock);
        return ok;
    }
    int64_t real = real_ns();
    ok = (first || now - ls->opened_mono_ns < ls->settle_ns) && changed <= real &&
         real - changed >= ls->settle_ns;
    if (st->n >= st->prune_at) {
        settle_prune_locked(ls, st);
        k = settle_lower_bound(st, id);
    }
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        struct settle_ent *v = realloc(st->v, cap * sizeof(*v));
        if (!v) {
            pthread_mutex_unlock(&st->lock);
            return false; /* no memory: not yet (asked again later) */
        }
        st->v = v;
        st->cap = cap;
    }
    memmove(&st->v[k + 1], &st->v[k], (st->n - k) * sizeof(*st->v));
    st->n++;
    struct settle_ent *e = &st->v[k];
    memcpy(e->id, id, LS_ID_LEN + 1);
    e->mtime_ns = mtime_ns;
    e->ctime_ns = ctime_ns;
    /* judged settled by its file times: as if seen still a settle period ago */
    e->seen_ns = ok ? now - ls->settle_ns : now;
    pthread_mutex_unlock(&st->lock);
    return ok;
}

/* hostconfig.json missing from a folder that has not been still for the settle period or
 * holds an atomic write in progress. */
static bool hostconfig_pending(struct layerstore *ls, const char *id, bool first)
{
    char dir[sizeof("containers/") + LS_ID_LEN], hc[sizeof(dir) + sizeof("/hostconfig.json")];
    struct stat st;

    snprintf(dir, sizeof(dir), "containers/%s", id);
    snprintf(hc, sizeof(hc), "%s/hostconfig.json", dir);
    if (fstatat(ls->dirfd, hc, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
        settle_forget(ls, id); /* there (or not a missing file): read as it is */
        return false;
    }
    if (fstatat(ls->dirfd, dir, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
        settle_forget(ls, id); /* gone: no container, and not a pending one either */
        return false;
    }
    if (has_tmp_files(ls, dir))
        return true;
    return !settled(ls, id, (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                    (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec, first);
}

/* State.Dead of config.v2.json, read alone; false when unreadable. */
static bool state_dead(struct layerstore *ls, const char *id)
{
    char rel[sizeof("containers/") + LS_ID_LEN + sizeof("/config.v2.json")];
    struct bf_error e = BF_ERROR_INIT;
    _cleanup_free_ char *buf = NULL;
    const char *state = NULL;
    struct ls_jdoc d;
    size_t len = 0;
    bool dead = false;

    snprintf(rel, sizeof(rel), "containers/%s/config.v2.json", id);
    if (layerstore_read_file(ls, rel, BF_CAP_JSON, &buf, &len, NULL, &e) == 0 &&
        ls_jdoc_open(&d, rel, buf, len, &e) == 0) {
        if (ls_jv_object(&d, ls_jv_get(&d, d.root, "State", 5), &(struct ls_jname){.path = "State"},
                         &state) == 0 &&
            ls_jv_bool(&d, ls_jv_get(&d, state, "Dead", 4),
                       &(struct ls_jname){.path = "State.Dead"}, &dead) < 0)
            dead = false;
        if (d.oom)
            dead = false;
        ls_jdoc_close(&d);
    }
    bf_error_clear(&e);
    return dead;
}

bool layerstore_container_pending(struct layerstore *ls, const char *id, unsigned flags)
{
    char dir[sizeof("containers/") + LS_ID_LEN], cfg[sizeof(dir) + sizeof("/config.v2.json")];
    struct stat st;

    if (!bf_is_hex64(id))
        return false;
    snprintf(dir, sizeof(dir), "containers/%s", id);
    snprintf(cfg, sizeof(cfg), "%s/config.v2.json", dir);
    if (fstatat(ls->dirfd, cfg, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
        /* no config.v2.json: written next, or removed already (a folder that is gone is not
         * pending: that is another answer) */
        return fstatat(ls->dirfd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    return hostconfig_pending(ls, id, flags & LS_PENDING_FIRST) ||
           ((flags & LS_PENDING_STATE) && state_dead(ls, id));
}

int layerstore_container_ids(struct layerstore *ls, char ***ids, size_t *n, struct bf_error *err)
{
    /* Every hex-named entry is listed, whatever its type: a symlink or a file there is a
     * broken container that loading reports, as Docker's restore would log it. */
    return ls_list_dir(ls, "containers", true, bf_is_hex64, ids, n, err);
}

int layerstore_container_name(struct layerstore *ls, const char *id, char **name,
                              struct ls_inputs *in, struct bf_error *err)
{
    char rel[128];
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r;

    *name = NULL;
    if (!bf_is_hex64(id))
        return invalid_id(id, err);
    snprintf(rel, sizeof(rel), "containers/%s/config.v2.json", id);
    /* What ls_read_json reads and records; the scanner answers for well-formed files, jansson
     * for the rest (and words every error about the JSON itself). */
    r = layerstore_read_file(ls, rel, BF_CAP_JSON, &buf, &len, in, err);
    if (r < 0)
        return r;
    const struct ls_jctx c = {.file = rel, .err = err};
    size_t dropped = 0;
    r = scan_id_name(&c, buf, len, id, name, &dropped);
    if (r <= 0)
        return r;
    struct ls_jdoc d;
    r = ls_jdoc_open(&d, rel, buf, len, err);
    if (r < 0)
        return r;
    r = doc_id_name(&d, d.root, id, name, &dropped);
    ls_jdoc_close(&d);
    return r;
}

static bool is_hex_prefix(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

int layerstore_container_resolve(struct layerstore *ls, const char *ref, char out[LS_ID_LEN + 1],
                                 struct bf_error *err)
{
    char **ids = NULL;
    size_t n = 0, hits = 0;
    const char *name, *hit = NULL;
    int r;

    if (!ref || !*ref)
        return bf_error_set(err, EINVAL, "Prefix can't be empty");
    /* 1. full ID: probe the one directory entry instead of listing them all. An entry that
     * exists but cannot be stat'ed safely (a symlink) still matches: loading reports it. */
    if (bf_is_hex64(ref)) {
        char rel[LS_ID_LEN + 16];
        struct bf_stamp st = {0};
        struct bf_error local = BF_ERROR_INIT;
        snprintf(rel, sizeof(rel), "containers/%s", ref);
        r = bf_stat_beneath(ls->dirfd, rel, &st, NULL, &local);
        bool match = r == 0 ? st.exists : local.code == ELOOP;
        bf_error_clear(&local);
        if (match) {
            memcpy(out, ref, LS_ID_LEN + 1);
            return 0;
        }
    }
    r = layerstore_container_ids(ls, &ids, &n, err);
    if (r < 0)
        return r;
    /* 1. full ID */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ids[i], ref) == 0) {
            memcpy(out, ids[i], LS_ID_LEN + 1);
            goto done;
        }
    }
    /* 2. exact name, with or without the leading '/'; unreadable containers have no name */
    name = ref[0] == '/' ? ref + 1 : ref;
    if (*name) {
        for (size_t i = 0; i < n; i++) {
            _cleanup_free_ char *cn = NULL;
            struct bf_error local = BF_ERROR_INIT;
            if (layerstore_container_name(ls, ids[i], &cn, NULL, &local) < 0) {
                bf_error_clear(&local);
                continue;
            }
            if (strcmp(cn, name) == 0) {
                memcpy(out, ids[i], LS_ID_LEN + 1);
                goto done;
            }
        }
    }
    /* 3. unique ID prefix */
    if (is_hex_prefix(ref)) {
        for (size_t i = 0; i < n; i++) {
            if (strncmp(ids[i], ref, strlen(ref)) == 0) {
                hits++;
                hit = ids[i];
            }
        }
    }
    if (hits > 1) {
        r = bf_error_set(err, EINVAL, "Multiple IDs found with provided prefix: %s", ref);
        goto out;
    }
    if (hits == 0) {
        r = bf_error_set(err, ENOENT, "No such container: %.80s", ref);
        goto out;
    }
    memcpy(out, hit, LS_ID_LEN + 1);
done:
    r = 0;
out:
    ls_strv_free(ids, n);
    return r;
}
