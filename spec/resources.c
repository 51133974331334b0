/* resources.c - CPU, memory and storage limits in both formats.
 *
 * windowsoci (0.3.0): the seed set only cpu.shares (always, even 0) and left the rest as TODO;
 * we fill count, percent, memory limit and reservation, iops, bps and sandbox_size (from
 * StorageOpt "size", key compared case-insensitively, parsed as go-units RAMInBytes) and write
 * each only when it is non-zero, like a pointer Docker would have left nil. Other StorageOpt
 * keys only matter to the graph driver at create time and are ignored here.
 *
 * oci (1.3): Docker's setResourcesInSpec, including Go's conversions: uint16(CpuShares),
 * uint16(CpuPercent)*100 computed in uint16 (it wraps for hostile values, as in Go), and the
 * NanoCpus arithmetic (doc §6.6). Process isolation needs the host's CPU count, which a reader
 * cannot know: the caller passes it (mount option cpus=N).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec_internal.h"

int spec_parse_ram_bytes(const char *s, uint64_t *out)
{
    static const char units[] = "kmgtp";
    const char *p = s, *num_end;
    double size, mul = 1;
    char *end;

    /* ^(\d+(\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$ (go-units allows (\.\d+)*, which its
     * ParseFloat then rejects; the result is the same) */
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    num_end = p;
    if (*p == ' ')
        p++;
    if (*p && strchr(units, tolower((unsigned char)*p))) {
        for (const char *u = units; *u != tolower((unsigned char)*p); u++)
            mul *= 1024;
        mul *= 1024;
        p++;
    }
    if (*p == 'i' || *p == 'I')
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p)
        return -EINVAL;
    size = strtod(s, &end);
    if (end != num_end)
        return -EINVAL;
    size *= mul;
    /* Go's int64(float) of an out-of-range value is undefined; refuse it instead. */
    if (!(size < 9223372036854775808.0))
        return -ERANGE;
    *out = (uint64_t)(int64_t)size;
    return 0;
}

int spec_resources_woci(const struct ls_container *c, struct spec_resources_woci *out,
                        struct bf_error *err)
{
    memset(out, 0, sizeof(*out));
    out->cpu_shares = (uint64_t)c->host.cpu_shares;
    out->cpu_count = (uint64_t)c->host.cpu_count;
    out->has_cpu_count = c->host.cpu_count != 0;
    out->cpu_percent = c->host.cpu_percent;
    out->has_cpu_percent = c->host.cpu_percent != 0;
    out->mem_limit = c->host.memory;
    out->has_mem_limit = c->host.memory != 0;
    out->mem_reservation = (uint64_t)c->host.memory_reservation;
    out->has_mem_reservation = c->host.memory_reservation != 0;
    out->iops = c->host.io_maximum_iops;
    out->has_iops = out->iops != 0;
    out->bps = c->host.io_maximum_bandwidth;
    out->has_bps = out->bps != 0;
    for (size_t i = 0; i < c->host.n_storage_opt; i++) {
        const struct ls_kv *kv = &c->host.storage_opt[i];
        if (strcasecmp(kv->key, "size") != 0)
            continue;
        if (spec_parse_ram_bytes(kv->value, &out->sandbox_size) < 0)
            return bf_error_set(err, EINVAL,
                                "container %s: containers/%s/hostconfig.json: StorageOpt "
                                "\"%s\": invalid size: '%s'",
                                c->id, c->id, kv->key, kv->value);
        out->has_sandbox_size = out->sandbox_size != 0;
    }
    return 0;
}

void spec_resources_oci(const struct ls_container *c, bool hyperv, unsigned host_cpus,
                        struct spec_resources_oci *out)
{
    uint16_t shares = (uint16_t)c->host.cpu_shares;
    uint16_t maximum = (uint16_t)((uint16_t)c->host.cpu_percent * 100);
    uint64_t count = (uint64_t)c->host.cpu_count;
    int64_t nano = c->host.nano_cpus;

    if (nano > 0) {
        if (hyperv) {
            count = (uint64_t)(nano / 1000000000);
            if (nano % 1000000000 != 0) {
                count++;
                maximum = (uint16_t)(nano / (int64_t)count / 100000);
                if (maximum < 1)
                    maximum = 1;
            }
        } else {
            maximum = (uint16_t)(nano / (int64_t)(host_cpus ? host_cpus : 1) / 100000);
            if (maximum < 1)
                maximum = 1;
        }
    }
    memset(out, 0, sizeof(*out));
    out->has_cpu = maximum != 0 || shares != 0 || count != 0;
    out->cpu_count = count;
    out->cpu_shares = shares;
    out->cpu_maximum = maximum;
    out->mem_limit = (uint64_t)c->host.memory;
    out->has_memory = out->mem_limit != 0;
    out->iops = c->host.io_maximum_iops;
    out->bps = c->host.io_maximum_bandwidth;
    out->has_storage = out->iops != 0 || out->bps != 0;
}
