/* container_linux.c - the members of config.v2.json and hostconfig.json that only a Linux
 * container's spec needs (struct ls_linux), field tables that container.c's tables run.
 *
 * Pointer fields of Docker's types (*bool, *int64) keep "absent or null" apart from a value,
 * and MaskedPaths/ReadonlyPaths keep nil apart from []: createSpec treats each differently.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "jview.h"
#include "ls_internal.h"

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

#define CT(f) offsetof(struct ls_container, f)
#define MT(f) offsetof(struct ls_mount, f)

static int out_of_range(const struct ls_jdoc *d, const struct ls_jname *n, int64_t v)
{
    if (n->pre)
        return bf_error_set(d->err, EINVAL, "%s: \"%.*s.%s\" is out of range (%lld)", d->file,
                            n->pre_len, n->pre, n->path, (long long)v);
    return bf_error_set(d->err, EINVAL, "%s: \"%s\" is out of range (%lld)", d->file, n->path,
                        (long long)v);
}

/* int64 that must fit Go's narrower field type (uint16 for weights, uint32 for a mode). */
static int ranged(const struct ls_jdoc *d, const char *v, const struct ls_jname *n, int64_t lo,
                  int64_t hi, int64_t *out)
{
    int r = ls_jv_int64(d, v, n, out);

    if (r == 0 && (*out < lo || *out > hi))
        return out_of_range(d, n, *out);
    return r;
}

static int fill_bind_propagation(struct ls_jdoc *d, const char *v, void *base,
                                 const struct ls_jname *n)
{
    struct ls_mount *m = base;
    _cleanup_free_ char *prop = NULL;
    int r = ls_jv_string(d, v, n, "", &prop);

    m->bind_propagation = r == 0 && *prop;
    return r;
}

static int fill_tmpfs_mode(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_mount *m = base;
    int64_t mode = 0;
    int r = ranged(d, v, n, 0, UINT32_MAX, &mode);

    m->has_tmpfs_mode = v != NULL;
    m->tmpfs_mode = (uint32_t)mode;
    return r;
}

/* MountPoints[<destination>]: Propagation and Spec (the API's mount.Mount). */
const struct ls_jfield ls_linux_mount_fields[] = {
    {.path = "Propagation", .kind = LS_JF_STRING, .off = MT(propagation), .dflt = ""},
    {.path = "Spec", .kind = LS_JF_OBJECT},
    {.path = "Spec.Type", .kind = LS_JF_STRING, .off = MT(spec_type), .dflt = ""},
    {.path = "Spec.ReadOnly", .kind = LS_JF_BOOL, .off = MT(spec_readonly)},
    {.path = "Spec.BindOptions", .kind = LS_JF_OBJECT},
    {.path = "Spec.TmpfsOptions", .kind = LS_JF_OBJECT},
    {.path = "Spec.BindOptions.NonRecursive", .kind = LS_JF_BOOL, .off = MT(non_recursive)},
    {.path = "Spec.BindOptions.Propagation", .kind = LS_JF_FN, .fn = fill_bind_propagation},
    {.path = "Spec.TmpfsOptions.SizeBytes", .kind = LS_JF_INT64, .off = MT(tmpfs_size)},
    {.path = "Spec.TmpfsOptions.Mode", .kind = LS_JF_FN, .fn = fill_tmpfs_mode},
    {.path = NULL},
};

/* Config.ExposedPorts: a set (map[nat.Port]struct{}), kept as its sorted keys. */
static int fill_exposed_ports(struct ls_jdoc *d, const char *v, void *base,
                              const struct ls_jname *n)
{
    struct ls_linux *lx = &((struct ls_container *)base)->lx;
    _cleanup_free_ struct ls_jmember *m = NULL;
    size_t len;
    int r;
    (void)n;

    if (!v)
        return 0;
    if (!ls_jv_is_object(v))
        return bf_error_set(d->err, EINVAL, "%s: \"Config.ExposedPorts\" must be an object",
                            d->file);
    if ((r = ls_jv_members(d, v, &m, &len)) < 0 || !len)
        return r;
    if (!(lx->exposed_ports = calloc(len, sizeof(char *))))
        return ls_jdoc_oom(d);
    for (size_t i = 0; i < len; i++) {
        if (!ls_jv_is_object(m[i].val) && !ls_jv_is_null(m[i].val))
            return bf_error_set(d->err, EINVAL,
                                "%s: \"Config.ExposedPorts.%.*s\" must be an object", d->file,
                                m[i].klen < 40 ? (int)m[i].klen : 40, m[i].key);
        if (!(lx->exposed_ports[i] = strndup(m[i].key, m[i].klen)))
            return ls_jdoc_oom(d);
        lx->n_exposed_ports = i + 1;
    }
    qsort(lx->exposed_ports, lx->n_exposed_ports, sizeof(char *), ls_strv_cmp);
    return 0;
}

/* config.v2.json's members only a Linux spec reads, checked after NetworkSettings.SandboxID. */
const struct ls_jfield ls_linux_config_fields[] = {
    {.path = "ResolvConfPath", .kind = LS_JF_STRING, .off = CT(lx.resolv_conf_path), .dflt = ""},
    {.path = "HostnamePath", .kind = LS_JF_STRING, .off = CT(lx.hostname_path), .dflt = ""},
    {.path = "HostsPath", .kind = LS_JF_STRING, .off = CT(lx.hosts_path), .dflt = ""},
    {.path = "ShmPath", .kind = LS_JF_STRING, .off = CT(lx.shm_path), .dflt = ""},
    {.path = "AppArmorProfile", .kind = LS_JF_STRING, .off = CT(lx.apparmor_profile), .dflt = ""},
    {.path = "SeccompProfile", .kind = LS_JF_STRING, .off = CT(lx.seccomp_profile), .dflt = ""},
    {.path = "ProcessLabel", .kind = LS_JF_STRING, .off = CT(lx.process_label), .dflt = ""},
    {.path = "MountLabel", .kind = LS_JF_STRING, .off = CT(lx.mount_label), .dflt = ""},
    {.path = "NoNewPrivileges", .kind = LS_JF_BOOL, .off = CT(lx.no_new_privileges)},
    {.path = "State", .kind = LS_JF_OBJECT},
    {.path = "State.Pid", .kind = LS_JF_INT64, .off = CT(lx.pid)},
    {.path = "State.Dead", .kind = LS_JF_BOOL, .off = CT(lx.dead)},
    {.path = "NetworkSettings", .kind = LS_JF_OBJECT},
    {.path = "NetworkSettings.SandboxKey",
     .kind = LS_JF_STRING,
     .off = CT(lx.sandbox_key),
     .dflt = ""},
    {.path = "Config.ExposedPorts", .kind = LS_JF_FN, .fn = fill_exposed_ports},
    {.path = NULL},
};

#define UL(f) offsetof(struct ls_ulimit, f)
static const struct ls_jfield ulimit_fields[] = {
    {.path = "Name", .kind = LS_JF_STRING, .off = UL(name), .dflt = ""},
    {.path = "Soft", .kind = LS_JF_INT64, .off = UL(soft)},
    {.path = "Hard", .kind = LS_JF_INT64, .off = UL(hard)},
    {.path = NULL},
};

static int fill_ulimits(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_linux *lx = &((struct ls_container *)base)->lx;
    size_t len, i = 0;
    int r;
    (void)n;

    if (!v)
        return 0;
    if (!ls_jv_is_array(v))
        goto bad;
    if (!(len = ls_jv_count(d, v)))
        return 0;
    if (!(lx->ulimits = calloc(len, sizeof(*lx->ulimits))))
        return ls_jdoc_oom(d);
    for (const char *e = ls_jv_first(d, v); e; e = ls_jv_next(d, e), i++) {
        char p[40];

        lx->n_ulimits = i + 1;
        /* Go decodes a null element of []*Ulimit as nil, which Docker would dereference. */
        if (!ls_jv_is_object(e))
            goto bad;
        snprintf(p, sizeof(p), "Ulimits[%zu]", i);
        if ((r = ls_jv_fill(d, e, p, -1, ulimit_fields, &lx->ulimits[i])) < 0)
            return r;
    }
    return 0;
bad:
    return bf_error_set(d->err, EINVAL, "%s: \"Ulimits\" must be an array of objects", d->file);
}

/* The five lists of struct ls_blkio_device, by their member's name. */
static const char *const blkio_keys[LS_BLKIO_COUNT] = {
    [LS_BLKIO_WEIGHT] = "BlkioWeightDevice",        [LS_BLKIO_READ_BPS] = "BlkioDeviceReadBps",
    [LS_BLKIO_WRITE_BPS] = "BlkioDeviceWriteBps",   [LS_BLKIO_READ_IOPS] = "BlkioDeviceReadIOps",
    [LS_BLKIO_WRITE_IOPS] = "BlkioDeviceWriteIOps",
};

static int fill_blkio(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_linux *lx = &((struct ls_container *)base)->lx;
    size_t len, i = 0, k = 0;
    int r;

    while (strcmp(blkio_keys[k], n->path) != 0)
        k++;
    if (!v)
        return 0;
    if (!ls_jv_is_array(v))
        goto bad;
    if (!(len = ls_jv_count(d, v)))
        return 0;
    if (!(lx->blkio[k] = calloc(len, sizeof(*lx->blkio[k]))))
        return ls_jdoc_oom(d);
    for (const char *e = ls_jv_first(d, v); e; e = ls_jv_next(d, e), i++) {
        struct ls_blkio_device *dev = &lx->blkio[k][i];
        char p[48];
        int64_t w = 0;

        lx->n_blkio[k] = i + 1;
        if (!ls_jv_is_object(e))
            goto bad;
        snprintf(p, sizeof(p), "%s[%zu]", blkio_keys[k], i);
        const struct ls_jname np = {.pre = p, .pre_len = -1, .path = "Path"};
        if ((r = ls_jv_string(d, ls_jv_get(d, e, "Path", 4), &np, "", &dev->path)) < 0)
            return r;
        if (k == LS_BLKIO_WEIGHT) {
            const struct ls_jname nw = {.pre = p, .pre_len = -1, .path = "Weight"};
            if ((r = ranged(d, ls_jv_get(d, e, "Weight", 6), &nw, 0, UINT16_MAX, &w)) < 0)
                return r;
            dev->value = (uint64_t)w;
        } else {
            const struct ls_jname nr = {.pre = p, .pre_len = -1, .path = "Rate"};
            if ((r = ls_jv_uint64(d, ls_jv_get(d, e, "Rate", 4), &nr, &dev->value)) < 0)
                return r;
        }
        if (d->oom)
            return ls_jdoc_oom(d);
    }
    return 0;
bad:
    return bf_error_set(d->err, EINVAL, "%s: \"%s\" must be an array of objects", d->file,
                        blkio_keys[k]);
}

static int fill_blkio_weight(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    int64_t w = 0;
    int r = ranged(d, v, n, 0, UINT16_MAX, &w);

    ((struct ls_container *)base)->lx.blkio_weight = (uint16_t)w;
    return r;
}

/* MaskedPaths, ReadonlyPaths: a []string whose nil and [] differ. */
static int fill_masked(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_linux *lx = &((struct ls_container *)base)->lx;
    lx->has_masked_paths = v != NULL;
    return ls_jv_strv(d, v, n, &lx->masked_paths, &lx->n_masked_paths);
}

static int fill_readonly(struct ls_jdoc *d, const char *v, void *base, const struct ls_jname *n)
{
    struct ls_linux *lx = &((struct ls_container *)base)->lx;
    lx->has_readonly_paths = v != NULL;
    return ls_jv_strv(d, v, n, &lx->readonly_paths, &lx->n_readonly_paths);
}

/* hostconfig.json's members only a Linux spec reads, checked after PortBindings. */
const struct ls_jfield ls_linux_hostconfig_fields[] = {
    {.path = "PidMode", .kind = LS_JF_STRING, .off = CT(lx.pid_mode), .dflt = ""},
    {.path = "IpcMode", .kind = LS_JF_STRING, .off = CT(lx.ipc_mode), .dflt = ""},
    {.path = "UTSMode", .kind = LS_JF_STRING, .off = CT(lx.uts_mode), .dflt = ""},
    {.path = "UsernsMode", .kind = LS_JF_STRING, .off = CT(lx.userns_mode), .dflt = ""},
    {.path = "CgroupnsMode", .kind = LS_JF_STRING, .off = CT(lx.cgroupns_mode), .dflt = ""},
    {.path = "CgroupParent", .kind = LS_JF_STRING, .off = CT(lx.cgroup_parent), .dflt = ""},
    {.path = "CpusetCpus", .kind = LS_JF_STRING, .off = CT(lx.cpuset_cpus), .dflt = ""},
    {.path = "CpusetMems", .kind = LS_JF_STRING, .off = CT(lx.cpuset_mems), .dflt = ""},
    {.path = "CapAdd", .kind = LS_JF_STRV, .off = CT(lx.cap_add), .off2 = CT(lx.n_cap_add)},
    {.path = "CapDrop", .kind = LS_JF_STRV, .off = CT(lx.cap_drop), .off2 = CT(lx.n_cap_drop)},
    {.path = "GroupAdd", .kind = LS_JF_STRV, .off = CT(lx.group_add), .off2 = CT(lx.n_group_add)},
    {.path = "DeviceCgroupRules",
     .kind = LS_JF_STRV,
     .off = CT(lx.device_cgroup_rules),
     .off2 = CT(lx.n_device_cgroup_rules)},
    {.path = "Links", .kind = LS_JF_STRV, .off = CT(lx.links), .off2 = CT(lx.n_links)},
    {.path = "ShmSize", .kind = LS_JF_INT64, .off = CT(lx.shm_size)},
    {.path = "MemorySwap", .kind = LS_JF_INT64, .off = CT(lx.memory_swap)},
    {.path = "KernelMemory", .kind = LS_JF_INT64, .off = CT(lx.kernel_memory)},
    {.path = "KernelMemoryTCP", .kind = LS_JF_INT64, .off = CT(lx.kernel_memory_tcp)},
    {.path = "CpuPeriod", .kind = LS_JF_INT64, .off = CT(lx.cpu_period)},
    {.path = "CpuQuota", .kind = LS_JF_INT64, .off = CT(lx.cpu_quota)},
    {.path = "CpuRealtimePeriod", .kind = LS_JF_INT64, .off = CT(lx.cpu_rt_period)},
    {.path = "CpuRealtimeRuntime", .kind = LS_JF_INT64, .off = CT(lx.cpu_rt_runtime)},
    {.path = "OomScoreAdj", .kind = LS_JF_INT64, .off = CT(lx.oom_score_adj)},
    {.path = "Privileged", .kind = LS_JF_BOOL, .off = CT(lx.privileged)},
    {.path = "Init", .kind = LS_JF_OPT_BOOL, .off = CT(lx.init)},
    {.path = "OomKillDisable", .kind = LS_JF_OPT_BOOL, .off = CT(lx.oom_kill_disable)},
    {.path = "MemorySwappiness", .kind = LS_JF_OPT_I64, .off = CT(lx.swappiness)},
    {.path = "PidsLimit", .kind = LS_JF_OPT_I64, .off = CT(lx.pids_limit)},
    {.path = "BlkioWeight", .kind = LS_JF_FN, .fn = fill_blkio_weight},
    {.path = "BlkioWeightDevice", .kind = LS_JF_FN, .fn = fill_blkio},
    {.path = "BlkioDeviceReadBps", .kind = LS_JF_FN, .fn = fill_blkio},
    {.path = "BlkioDeviceWriteBps", .kind = LS_JF_FN, .fn = fill_blkio},
    {.path = "BlkioDeviceReadIOps", .kind = LS_JF_FN, .fn = fill_blkio},
    {.path = "BlkioDeviceWriteIOps", .kind = LS_JF_FN, .fn = fill_blkio},
    {.path = "Tmpfs", .kind = LS_JF_KV, .off = CT(lx.tmpfs), .off2 = CT(lx.n_tmpfs)},
    {.path = "Sysctls", .kind = LS_JF_KV, .off = CT(lx.sysctls), .off2 = CT(lx.n_sysctls)},
    {.path = "Ulimits", .kind = LS_JF_FN, .fn = fill_ulimits},
    {.path = "MaskedPaths", .kind = LS_JF_FN, .fn = fill_masked},
    {.path = "ReadonlyPaths", .kind = LS_JF_FN, .fn = fill_readonly},
    {.path = NULL},
};
