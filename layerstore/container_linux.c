/* container_linux.c - the members of config.v2.json and hostconfig.json that only a Linux
 * container's spec needs (struct ls_linux), decoded with Go's rules as container.c does.
 *
 * Pointer fields of Docker's types (*bool, *int64) keep "absent or null" apart from a value,
 * and MaskedPaths/ReadonlyPaths keep nil apart from []: createSpec treats each differently.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "ls_internal.h"

static int oom(const struct ls_jctx *c)
{
    return bf_error_set(c->err, ENOMEM, "%s: out of memory", c->file);
}

void ls_linux_mount_free(struct ls_mount *m)
{
    free(m->propagation);
    free(m->spec_type);
}

void ls_linux_free(struct ls_linux *lx)
{
    free(lx->resolv_conf_path);
    free(lx->hostname_path);
    free(lx->hosts_path);
    free(lx->shm_path);
    free(lx->apparmor_profile);
    free(lx->seccomp_profile);
    free(lx->process_label);
    free(lx->mount_label);
    free(lx->sandbox_key);
    ls_strv_free(lx->exposed_ports, lx->n_exposed_ports);
    ls_strv_free(lx->cap_add, lx->n_cap_add);
    ls_strv_free(lx->cap_drop, lx->n_cap_drop);
    ls_strv_free(lx->group_add, lx->n_group_add);
    ls_strv_free(lx->device_cgroup_rules, lx->n_device_cgroup_rules);
    ls_strv_free(lx->links, lx->n_links);
    free(lx->pid_mode);
    free(lx->ipc_mode);
    free(lx->uts_mode);
    free(lx->userns_mode);
    free(lx->cgroupns_mode);
    free(lx->cgroup_parent);
    free(lx->cpuset_cpus);
    free(lx->cpuset_mems);
    for (int k = 0; k < LS_BLKIO_COUNT; k++) {
        for (size_t i = 0; i < lx->n_blkio[k]; i++)
            free(lx->blkio[k][i].path);
        free(lx->blkio[k]);
    }
    ls_kv_free(lx->tmpfs, lx->n_tmpfs);
    ls_kv_free(lx->sysctls, lx->n_sysctls);
    for (size_t i = 0; i < lx->n_ulimits; i++)
        free(lx->ulimits[i].name);
    free(lx->ulimits);
    ls_strv_free(lx->masked_paths, lx->n_masked_paths);
    ls_strv_free(lx->readonly_paths, lx->n_readonly_paths);
}

/* A Go pointer field: absent or null leaves it unset. */
static int opt_bool(const struct ls_jctx *c, json_t *v, const char *path, struct ls_opt_i64 *out)
{
    bool b;
    int r = ls_j_bool(c, v, path, &b);

    out->set = r == 0 && v;
    out->v = b;
    return r;
}

static int opt_i64(const struct ls_jctx *c, json_t *v, const char *path, struct ls_opt_i64 *out)
{
    int r = ls_j_int64(c, v, path, &out->v);

    out->set = r == 0 && v;
    return r;
}

/* int64 that must fit Go's narrower field type (int for OomScoreAdj, uint16 for weights). */
static int ranged(const struct ls_jctx *c, json_t *v, const char *path, int64_t lo, int64_t hi,
                  int64_t *out)
{
    int r = ls_j_int64(c, v, path, out);

    if (r == 0 && (*out < lo || *out > hi))
        return bf_error_set(c->err, EINVAL, "%s: \"%s\" is out of range (%lld)", c->file, path,
                            (long long)*out);
    return r;
}

int ls_linux_parse_mount(struct ls_mount *m, const struct ls_jctx *c, json_t *val, const char *path)
{
    char p[4][96];
    json_t *spec, *bind, *tmpfs;
    int64_t mode = 0;
    int r;

    snprintf(p[0], sizeof(p[0]), "%.60s.Propagation", path);
    snprintf(p[1], sizeof(p[1]), "%.60s.Spec", path);
    if ((r = ls_j_string(c, ls_j_get(val, "Propagation"), p[0], "", &m->propagation)) < 0 ||
        (r = ls_j_object(c, ls_j_get(val, "Spec"), p[1], &spec)) < 0)
        return r;
    snprintf(p[0], sizeof(p[0]), "%.60s.Spec.Type", path);
    snprintf(p[1], sizeof(p[1]), "%.60s.Spec.ReadOnly", path);
    snprintf(p[2], sizeof(p[2]), "%.60s.Spec.BindOptions", path);
    snprintf(p[3], sizeof(p[3]), "%.60s.Spec.TmpfsOptions", path);
    if ((r = ls_j_string(c, ls_j_get(spec, "Type"), p[0], "", &m->spec_type)) < 0 ||
        (r = ls_j_bool(c, ls_j_get(spec, "ReadOnly"), p[1], &m->spec_readonly)) < 0 ||
        (r = ls_j_object(c, ls_j_get(spec, "BindOptions"), p[2], &bind)) < 0 ||
        (r = ls_j_object(c, ls_j_get(spec, "TmpfsOptions"), p[3], &tmpfs)) < 0)
        return r;
    if (bind) {
        _cleanup_free_ char *prop = NULL;
        snprintf(p[0], sizeof(p[0]), "%.60s.Spec.BindOptions.NonRecursive", path);
        snprintf(p[1], sizeof(p[1]), "%.60s.Spec.BindOptions.Propagation", path);
        if ((r = ls_j_bool(c, ls_j_get(bind, "NonRecursive"), p[0], &m->non_recursive)) < 0 ||
            (r = ls_j_string(c, ls_j_get(bind, "Propagation"), p[1], "", &prop)) < 0)
            return r;
        m->bind_propagation = *prop != '\0';
    }
    if (tmpfs) {
        snprintf(p[0], sizeof(p[0]), "%.60s.Spec.TmpfsOptions.SizeBytes", path);
        snprintf(p[1], sizeof(p[1]), "%.60s.Spec.TmpfsOptions.Mode", path);
        if ((r = ls_j_int64(c, ls_j_get(tmpfs, "SizeBytes"), p[0], &m->tmpfs_size)) < 0 ||
            (r = ranged(c, ls_j_get(tmpfs, "Mode"), p[1], 0, UINT32_MAX, &mode)) < 0)
            return r;
        m->has_tmpfs_mode = ls_j_get(tmpfs, "Mode") != NULL;
        m->tmpfs_mode = (uint32_t)mode;
    }
    return 0;
}

/* Config.ExposedPorts: a set (map[nat.Port]struct{}), kept as its sorted keys. */
static int parse_exposed_ports(struct ls_linux *lx, const struct ls_jctx *c, json_t *v)
{
    const char *key;
    json_t *val;
    size_t i = 0;

    if (!v)
        return 0;
    if (!json_is_object(v))
        return bf_error_set(c->err, EINVAL, "%s: \"Config.ExposedPorts\" must be an object",
                            c->file);
    if (!json_object_size(v))
        return 0;
    if (!(lx->exposed_ports = calloc(json_object_size(v), sizeof(char *))))
        return oom(c);
    json_object_foreach(v, key, val)
    {
        if (!json_is_object(val) && !json_is_null(val))
            return bf_error_set(c->err, EINVAL,
                                "%s: \"Config.ExposedPorts.%.40s\" must be an object", c->file,
                                key);
        if (!(lx->exposed_ports[i] = strdup(key)))
            return oom(c);
        lx->n_exposed_ports = ++i;
    }
    qsort(lx->exposed_ports, lx->n_exposed_ports, sizeof(char *), ls_strv_cmp);
    return 0;
}

int ls_linux_parse_config(struct ls_container *ct, const struct ls_jctx *c, json_t *root)
{
    struct ls_linux *lx = &ct->lx;
    json_t *state, *ns;
    struct {
        const char *key;
        char **out;
    } strs[] = {
        {"ResolvConfPath", &lx->resolv_conf_path},
        {"HostnamePath", &lx->hostname_path},
        {"HostsPath", &lx->hosts_path},
        {"ShmPath", &lx->shm_path},
        {"AppArmorProfile", &lx->apparmor_profile},
        {"SeccompProfile", &lx->seccomp_profile},
        {"ProcessLabel", &lx->process_label},
        {"MountLabel", &lx->mount_label},
    };
    int r;

    for (size_t i = 0; i < BF_ARRAY_SIZE(strs); i++)
        if ((r = ls_j_string(c, ls_j_get(root, strs[i].key), strs[i].key, "", strs[i].out)) < 0)
            return r;
    if ((r = ls_j_bool(c, ls_j_get(root, "NoNewPrivileges"), "NoNewPrivileges",
                       &lx->no_new_privileges)) < 0 ||
        (r = ls_j_object(c, ls_j_get(root, "State"), "State", &state)) < 0 ||
        (r = ls_j_int64(c, ls_j_get(state, "Pid"), "State.Pid", &lx->pid)) < 0 ||
        (r = ls_j_bool(c, ls_j_get(state, "Dead"), "State.Dead", &lx->dead)) < 0 ||
        (r = ls_j_object(c, ls_j_get(root, "NetworkSettings"), "NetworkSettings", &ns)) < 0 ||
        (r = ls_j_string(c, ls_j_get(ns, "SandboxKey"), "NetworkSettings.SandboxKey", "",
                         &lx->sandbox_key)) < 0)
        return r;
    return parse_exposed_ports(lx, c, ls_j_get(ls_j_get(root, "Config"), "ExposedPorts"));
}

static int parse_ulimits(struct ls_linux *lx, const struct ls_jctx *c, json_t *v)
{
    size_t len;
    int r;

    if (!v)
        return 0;
    if (!json_is_array(v))
        return bf_error_set(c->err, EINVAL, "%s: \"Ulimits\" must be an array of objects", c->file);
    len = json_array_size(v);
    if (!len)
        return 0;
    if (!(lx->ulimits = calloc(len, sizeof(*lx->ulimits))))
        return oom(c);
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get(v, i);
        struct ls_ulimit *u = &lx->ulimits[i];
        char p[3][48];

        lx->n_ulimits = i + 1;
        /* Go decodes a null element of []*Ulimit as nil, which Docker would dereference. */
        if (!json_is_object(e))
            return bf_error_set(c->err, EINVAL, "%s: \"Ulimits\" must be an array of objects",
                                c->file);
        snprintf(p[0], sizeof(p[0]), "Ulimits[%zu].Name", i);
        snprintf(p[1], sizeof(p[1]), "Ulimits[%zu].Soft", i);
        snprintf(p[2], sizeof(p[2]), "Ulimits[%zu].Hard", i);
        if ((r = ls_j_string(c, ls_j_get(e, "Name"), p[0], "", &u->name)) < 0 ||
            (r = ls_j_int64(c, ls_j_get(e, "Soft"), p[1], &u->soft)) < 0 ||
            (r = ls_j_int64(c, ls_j_get(e, "Hard"), p[2], &u->hard)) < 0)
            return r;
    }
    return 0;
}

static int parse_blkio(struct ls_linux *lx, const struct ls_jctx *c, json_t *root,
                       enum ls_blkio_list k)
{
    static const char *const keys[LS_BLKIO_COUNT] = {
        "BlkioWeightDevice",   "BlkioDeviceReadBps",   "BlkioDeviceWriteBps",
        "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
    };
    json_t *v = ls_j_get(root, keys[k]);
    size_t len;
    int r;

    if (!v)
        return 0;
    if (!json_is_array(v))
        return bf_error_set(c->err, EINVAL, "%s: \"%s\" must be an array of objects", c->file,
                            keys[k]);
    len = json_array_size(v);
    if (!len)
        return 0;
    if (!(lx->blkio[k] = calloc(len, sizeof(*lx->blkio[k]))))
        return oom(c);
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get(v, i);
        struct ls_blkio_device *d = &lx->blkio[k][i];
        char p[2][64];
        int64_t w = 0;

        lx->n_blkio[k] = i + 1;
        if (!json_is_object(e))
            return bf_error_set(c->err, EINVAL, "%s: \"%s\" must be an array of objects", c->file,
                                keys[k]);
        snprintf(p[0], sizeof(p[0]), "%s[%zu].Path", keys[k], i);
        snprintf(p[1], sizeof(p[1]), "%s[%zu].%s", keys[k], i,
                 k == LS_BLKIO_WEIGHT ? "Weight" : "Rate");
        if ((r = ls_j_string(c, ls_j_get(e, "Path"), p[0], "", &d->path)) < 0)
            return r;
        if (k == LS_BLKIO_WEIGHT) {
            if ((r = ranged(c, ls_j_get(e, "Weight"), p[1], 0, UINT16_MAX, &w)) < 0)
                return r;
            d->value = (uint64_t)w;
        } else if ((r = ls_j_uint64(c, ls_j_get(e, "Rate"), p[1], &d->value)) < 0) {
            return r;
        }
    }
    return 0;
}

/* A []string whose nil and [] differ. */
static int paths(const struct ls_jctx *c, json_t *root, const char *key, bool *has, char ***v,
                 size_t *n)
{
    json_t *j = ls_j_get(root, key);

    *has = j != NULL;
    return ls_j_strv(c, j, key, v, n);
}

int ls_linux_parse_hostconfig(struct ls_container *ct, const struct ls_jctx *c, json_t *root)
{
    struct ls_linux *lx = &ct->lx;
    struct {
        const char *key;
        char **out;
    } strs[] = {
        {"PidMode", &lx->pid_mode},           {"IpcMode", &lx->ipc_mode},
        {"UTSMode", &lx->uts_mode},           {"UsernsMode", &lx->userns_mode},
        {"CgroupnsMode", &lx->cgroupns_mode}, {"CgroupParent", &lx->cgroup_parent},
        {"CpusetCpus", &lx->cpuset_cpus},     {"CpusetMems", &lx->cpuset_mems},
    };
    struct {
        const char *key;
        char ***v;
        size_t *n;
    } vecs[] = {
        {"CapAdd", &lx->cap_add, &lx->n_cap_add},
        {"CapDrop", &lx->cap_drop, &lx->n_cap_drop},
        {"GroupAdd", &lx->group_add, &lx->n_group_add},
        {"DeviceCgroupRules", &lx->device_cgroup_rules, &lx->n_device_cgroup_rules},
        {"Links", &lx->links, &lx->n_links},
    };
    struct {
        const char *key;
        int64_t *out;
    } ints[] = {
        {"ShmSize", &lx->shm_size},
        {"MemorySwap", &lx->memory_swap},
        {"KernelMemory", &lx->kernel_memory},
        {"KernelMemoryTCP", &lx->kernel_memory_tcp},
        {"CpuPeriod", &lx->cpu_period},
        {"CpuQuota", &lx->cpu_quota},
        {"CpuRealtimePeriod", &lx->cpu_rt_period},
        {"CpuRealtimeRuntime", &lx->cpu_rt_runtime},
        {"OomScoreAdj", &lx->oom_score_adj},
    };
    int64_t w = 0;
    int r;

    for (size_t i = 0; i < BF_ARRAY_SIZE(strs); i++)
        if ((r = ls_j_string(c, ls_j_get(root, strs[i].key), strs[i].key, "", strs[i].out)) < 0)
            return r;
    for (size_t i = 0; i < BF_ARRAY_SIZE(vecs); i++)
        if ((r = ls_j_strv(c, ls_j_get(root, vecs[i].key), vecs[i].key, vecs[i].v, vecs[i].n)) < 0)
            return r;
    for (size_t i = 0; i < BF_ARRAY_SIZE(ints); i++)
        if ((r = ls_j_int64(c, ls_j_get(root, ints[i].key), ints[i].key, ints[i].out)) < 0)
            return r;
    if ((r = ls_j_bool(c, ls_j_get(root, "Privileged"), "Privileged", &lx->privileged)) < 0 ||
        (r = opt_bool(c, ls_j_get(root, "Init"), "Init", &lx->init)) < 0 ||
        (r = opt_bool(c, ls_j_get(root, "OomKillDisable"), "OomKillDisable",
                      &lx->oom_kill_disable)) < 0 ||
        (r = opt_i64(c, ls_j_get(root, "MemorySwappiness"), "MemorySwappiness", &lx->swappiness)) <
            0 ||
        (r = opt_i64(c, ls_j_get(root, "PidsLimit"), "PidsLimit", &lx->pids_limit)) < 0 ||
        (r = ranged(c, ls_j_get(root, "BlkioWeight"), "BlkioWeight", 0, UINT16_MAX, &w)) < 0)
        return r;
    lx->blkio_weight = (uint16_t)w;
    for (int k = 0; k < LS_BLKIO_COUNT; k++)
        if ((r = parse_blkio(lx, c, root, k)) < 0)
            return r;
    if ((r = ls_j_kv(c, ls_j_get(root, "Tmpfs"), "Tmpfs", &lx->tmpfs, &lx->n_tmpfs)) < 0 ||
        (r = ls_j_kv(c, ls_j_get(root, "Sysctls"), "Sysctls", &lx->sysctls, &lx->n_sysctls)) < 0 ||
        (r = parse_ulimits(lx, c, ls_j_get(root, "Ulimits"))) < 0 ||
        (r = paths(c, root, "MaskedPaths", &lx->has_masked_paths, &lx->masked_paths,
                   &lx->n_masked_paths)) < 0 ||
        (r = paths(c, root, "ReadonlyPaths", &lx->has_readonly_paths, &lx->readonly_paths,
                   &lx->n_readonly_paths)) < 0)
        return r;
    return 0;
}
