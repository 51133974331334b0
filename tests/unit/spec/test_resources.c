/* Resources in both formats; every expected number worked out by hand from doc §6.6 and
 * Go's conversion rules (shown in the comments). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "spec_internal.h"

#define ID "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static struct ls_container ctr(void)
{
    struct ls_container c;
    memset(&c, 0, sizeof(c));
    memcpy(c.id, ID, sizeof(c.id));
    return c;
}

Test(resources, ram_bytes)
{
    uint64_t v;
    cr_assert_eq(spec_parse_ram_bytes("20G", &v), 0);
    cr_expect_eq(v, 21474836480ull); /* 20 * 1024^3 */
    cr_assert_eq(spec_parse_ram_bytes("1.5GiB", &v), 0);
    cr_expect_eq(v, 1610612736ull); /* 1.5 * 1024^3 */
    cr_assert_eq(spec_parse_ram_bytes("512 mb", &v), 0);
    cr_expect_eq(v, 536870912ull);
    cr_assert_eq(spec_parse_ram_bytes("10", &v), 0);
    cr_expect_eq(v, 10);
    cr_assert_eq(spec_parse_ram_bytes("2t", &v), 0);
    cr_expect_eq(v, 2199023255552ull);
    cr_expect_eq(spec_parse_ram_bytes("abc", &v), -EINVAL);
    cr_expect_eq(spec_parse_ram_bytes("1.2.3", &v), -EINVAL);
    cr_expect_eq(spec_parse_ram_bytes("20X", &v), -EINVAL);
    cr_expect_eq(spec_parse_ram_bytes("", &v), -EINVAL);
    cr_expect_eq(spec_parse_ram_bytes("-1", &v), -EINVAL);
    cr_expect_eq(spec_parse_ram_bytes("9000000p", &v), -ERANGE);
}

Test(resources, windowsoci_fills_only_nonzero)
{
    struct ls_container c = ctr();
    struct ls_kv opt = {.key = "Size", .value = "20G"};
    struct spec_resources_woci r;
    struct bf_error err = BF_ERROR_INIT;

    cr_assert_eq(spec_resources_woci(&c, &r, &err), 0);
    cr_expect_eq(r.cpu_shares, 0);
    cr_expect(!r.has_cpu_count && !r.has_cpu_percent && !r.has_mem_limit &&
              !r.has_mem_reservation && !r.has_iops && !r.has_bps && !r.has_sandbox_size);

    c.host.cpu_shares = 512;
    c.host.cpu_count = 2;
    c.host.cpu_percent = 50;
    c.host.memory = 1073741824;
    c.host.memory_reservation = 268435456;
    c.host.io_maximum_iops = 100;
    c.host.storage_opt = &opt;
    c.host.n_storage_opt = 1;
    cr_assert_eq(spec_resources_woci(&c, &r, &err), 0);
    cr_expect_eq(r.cpu_shares, 512);
    cr_expect(r.has_cpu_count && r.cpu_count == 2);
    cr_expect(r.has_cpu_percent && r.cpu_percent == 50);
    cr_expect(r.has_mem_limit && r.mem_limit == 1073741824);
    cr_expect(r.has_mem_reservation && r.mem_reservation == 268435456);
    cr_expect(r.has_iops && r.iops == 100);
    cr_expect(!r.has_bps);
    cr_expect(r.has_sandbox_size && r.sandbox_size == 21474836480ull);

    opt.value = "lots";
    cr_assert_eq(spec_resources_woci(&c, &r, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "container " ID ": containers/" ID "/hostconfig.json: StorageOpt "
                              "\"Size\": invalid size: 'lots'");
    bf_error_clear(&err);
}

Test(resources, oci_nothing_set)
{
    struct ls_container c = ctr();
    struct spec_resources_oci r;
    spec_resources_oci(&c, false, 4, &r);
    cr_expect(!r.has_cpu && !r.has_memory && !r.has_storage);
}

Test(resources, oci_plain_values_and_go_conversions)
{
    struct ls_container c = ctr();
    struct spec_resources_oci r;

    c.host.cpu_percent = 50; /* maximum = 50 * 100 */
    c.host.memory = 2147483648;
    c.host.io_maximum_bandwidth = 1000;
    spec_resources_oci(&c, false, 4, &r);
    cr_expect(r.has_cpu);
    cr_expect_eq(r.cpu_count, 0);
    cr_expect_eq(r.cpu_shares, 0);
    cr_expect_eq(r.cpu_maximum, 5000);
    cr_expect(r.has_memory && r.mem_limit == 2147483648ull);
    cr_expect(r.has_storage && r.iops == 0 && r.bps == 1000);

    c = ctr();
    c.host.cpu_shares = 70000; /* uint16(70000) = 70000 - 65536 = 4464 */
    c.host.cpu_percent = 700;  /* uint16(700) * 100 = 70000, in uint16: 4464 */
    spec_resources_oci(&c, false, 4, &r);
    cr_expect_eq(r.cpu_shares, 4464);
    cr_expect_eq(r.cpu_maximum, 4464);
}

Test(resources, oci_nanocpus_hyperv)
{
    struct ls_container c = ctr();
    struct spec_resources_oci r;

    c.host.nano_cpus = 1500000000; /* 1 CPU + remainder: count 2, maximum 1.5e9/2/1e5 = 7500 */
    spec_resources_oci(&c, true, 4, &r);
    cr_expect(r.has_cpu);
    cr_expect_eq(r.cpu_count, 2);
    cr_expect_eq(r.cpu_maximum, 7500);

    c.host.nano_cpus = 2000000000; /* whole CPUs: count 2, maximum stays uint16(percent)*100 */
    spec_resources_oci(&c, true, 4, &r);
    cr_expect_eq(r.cpu_count, 2);
    cr_expect_eq(r.cpu_maximum, 0);

    c.host.nano_cpus = 1; /* count 0 + remainder = 1, maximum 1/1/1e5 = 0 -> at least 1 */
    spec_resources_oci(&c, true, 4, &r);
    cr_expect_eq(r.cpu_count, 1);
    cr_expect_eq(r.cpu_maximum, 1);
}

Test(resources, oci_nanocpus_process_uses_host_cpus)
{
    struct ls_container c = ctr();
    struct spec_resources_oci r;

    c.host.nano_cpus = 500000000; /* 5e8 / 4 / 1e5 = 1250 */
    spec_resources_oci(&c, false, 4, &r);
    cr_expect_eq(r.cpu_count, 0);
    cr_expect_eq(r.cpu_maximum, 1250);

    c.host.nano_cpus = 1000000000; /* 1e9 / 64 / 1e5 = 156.25 -> 156 */
    spec_resources_oci(&c, false, 64, &r);
    cr_expect_eq(r.cpu_maximum, 156);

    c.host.nano_cpus = 10; /* rounds to 0 -> 1 */
    spec_resources_oci(&c, false, 64, &r);
    cr_expect_eq(r.cpu_maximum, 1);
}
