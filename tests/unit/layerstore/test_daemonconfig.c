/* R/config/daemon.json and the libnetwork store probe. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "layerstore.h"

static struct fx f;
static struct layerstore *ls;

static void setup(void)
{
    struct bf_error err = BF_ERROR_INIT;
    fx_init(&f, "windowsfilter");
    cr_assert_eq(layerstore_open(f.root, NULL, &ls, &err), 0, "%s", bf_error_message(&err));
}

static void teardown(void)
{
    layerstore_close(ls);
    fx_cleanup(&f);
}

TestSuite(daemonconfig, .init = setup, .fini = teardown, .timeout = 20);

#define DJ "config/daemon.json"

Test(daemonconfig, absent)
{
    struct ls_daemon_config dc;
    struct bf_error err = BF_ERROR_INIT;
    struct ls_inputs in = {0};
    cr_assert_eq(layerstore_daemon_config_load(ls, &dc, &in, &err), 0);
    cr_assert_not(dc.present);
    cr_assert_null(dc.isolation);
    cr_assert_eq(dc.n_dns_search, 0);
    cr_assert_eq(in.n, 1);
    cr_assert_not(in.v[0].stamp.exists);
    fx_write(&f, DJ, "{}");
    cr_assert(ls_inputs_changed(ls, &in));
    ls_inputs_free(&in);
}

Test(daemonconfig, fields)
{
    struct ls_daemon_config dc;
    struct bf_error err = BF_ERROR_INIT;
    /* with a UTF-8 BOM, as Notepad writes it; the last isolation wins; key case-insensitive */
    fx_write(&f, DJ,
             "\xef\xbb\xbf{\"exec-opts\":[\"isolation=process\",\"native.cgroupdriver=x\","
             "\" Isolation = HyperV \"],\"dns-search\":[\"corp.example\",\"example\"],"
             "\"hosts\":[\"npipe://\"]}");
    cr_assert_eq(layerstore_daemon_config_load(ls, &dc, NULL, &err), 0, "%s",
                 bf_error_message(&err));
    cr_assert(dc.present);
    cr_assert_str_eq(dc.isolation, "HyperV");
    cr_assert_eq(dc.n_dns_search, 2);
    cr_assert_str_eq(dc.dns_search[0], "corp.example");
    ls_daemon_config_free(&dc);
    fx_write(&f, DJ, "{\"exec-opts\":null}");
    cr_assert_eq(layerstore_daemon_config_load(ls, &dc, NULL, &err), 0);
    cr_assert(dc.present);
    cr_assert_null(dc.isolation);
    ls_daemon_config_free(&dc);
}

Test(daemonconfig, errors)
{
    const char *cases[][2] = {
        {"", DJ ": file is empty"},
        {"\xef\xbb\xbf", DJ ": file is empty"},
        {"{\"exec-opts\":\"isolation=hyperv\"}", DJ ": \"exec-opts\" must be an array of strings"},
        {"{\"exec-opts\":[\"isolation\"]}", DJ ": Unable to parse key/value option: isolation"},
        {"{\"exec-opts\":[\"isolation=vm\"]}", DJ ": Invalid exec-opt value for 'isolation':'vm'"},
        {"{\"dns-search\":\"a\"}", DJ ": \"dns-search\" must be an array of strings"},
        {"[]", DJ ": expected a JSON object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ls_daemon_config dc;
        struct bf_error err = BF_ERROR_INIT;
        fx_write(&f, DJ, cases[i][0]);
        cr_assert_lt(layerstore_daemon_config_load(ls, &dc, NULL, &err), 0);
        cr_assert_str_eq(bf_error_message(&err), cases[i][1]);
        bf_error_clear(&err);
    }
}

Test(daemonconfig, symlinked)
{
    struct ls_daemon_config dc;
    struct bf_error err = BF_ERROR_INIT;
    fx_write(&f, "elsewhere.json", "{}");
    fx_symlink(&f, "../elsewhere.json", DJ);
    cr_assert_lt(layerstore_daemon_config_load(ls, &dc, NULL, &err), 0);
    cr_assert_str_eq(bf_error_message(&err),
                     DJ ": is a symbolic link or passes through one (links are never followed)");
    bf_error_clear(&err);
}

Test(daemonconfig, network_store)
{
    bool has = true;
    struct bf_error err = BF_ERROR_INIT;
    struct ls_inputs in = {0};
    cr_assert_eq(layerstore_has_network_store(ls, &has, &in, &err), 0);
    cr_assert_not(has);
    fx_write(&f, "network/files/local-kv.db", "bolt");
    cr_assert(ls_inputs_changed(ls, &in));
    cr_assert_eq(layerstore_has_network_store(ls, &has, NULL, &err), 0);
    cr_assert(has);
    fx_rm(&f, "network/files/local-kv.db");
    fx_mkdir(&f, "network/files/local-kv.db");
    cr_assert_lt(layerstore_has_network_store(ls, &has, NULL, &err), 0);
    cr_assert_str_eq(bf_error_message(&err), "network/files/local-kv.db: not a regular file");
    bf_error_clear(&err);
    ls_inputs_free(&in);
}
