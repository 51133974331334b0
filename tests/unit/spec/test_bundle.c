/* spec_bundle_generate over fixture data-roots (the layerstore fixture builder): the utility
 * VM rules of both formats and Docker's error, createoptions.json bytes, and per-file failure
 * (a broken file never takes the others with it, and is always explained in `error`). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../layerstore/fixture.h"
#include "spec.h"

static struct fx f;
static struct layerstore *ls;

static void setup(void)
{
    struct bf_error err = BF_ERROR_INIT;
    fx_std(&f, "windowsfilter");
    cr_assert_eq(layerstore_open(f.root, NULL, &ls, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
    layerstore_close(ls);
    fx_cleanup(&f);
}

static struct spec_bundle *gen(enum spec_format fmt)
{
    struct spec_options o = {.format = fmt, .compact = true, .host_cpus = 4};
    struct bf_error err = BF_ERROR_INIT;
    struct spec_bundle *b = NULL;

    cr_assert_eq(spec_bundle_generate(ls, CID1, &o, &b, &err), 0, "%s", err.msg);
    return b;
}

static void hyperv(void)
{
    fx_write(&f, "containers/" CID1 "/hostconfig.json",
             "{\"Isolation\":\"hyperv\",\"NetworkMode\":\"nat\"}");
}

Test(bundle, process_createoptions_bytes, .init = setup, .fini = teardown)
{
    struct spec_bundle *b = gen(SPEC_FORMAT_OCI);
    char want[2048];

    cr_expect_null(b->errors);
    cr_expect(!b->hyperv && !b->has_uvm);
    cr_expect_str_eq(b->name, "web");
    /* The fixture container has HasBeenStartedBefore=true, so no flush is ignored. */
    snprintf(want, sizeof(want),
             "[{\"type\":\"flush\",\"IgnoreFlushesDuringBoot\":false},"
             "{\"type\":\"hyperv\",\"IsHyperV\":false},"
             "{\"type\":\"layer\",\"LayerFolderPath\":\"%s/windowsfilter/" CID1 "\","
             "\"LayerPaths\":[\"%s/windowsfilter/" CACHE3 "\",\"%s/windowsfilter/" CACHE2
             "\",\"%s/windowsfilter/" CACHE1 "\"]}]",
             f.root, f.root, f.root, f.root);
    cr_expect_str_eq(b->files[SPEC_FILE_CREATEOPTIONS].data, want);
    cr_expect_eq(b->files[SPEC_FILE_CREATEOPTIONS].len, strlen(want));
    snprintf(want, sizeof(want),
             "%s/windowsfilter/" CACHE3 "\n%s/windowsfilter/" CACHE2 "\n%s/windowsfilter/" CACHE1
             "\n",
             f.root, f.root, f.root);
    cr_expect_str_eq(b->files[SPEC_FILE_LAYERPATHS].data, want);
    cr_expect_gt(b->inputs.n, 0);
    spec_bundle_free(b);
}

Test(bundle, windowsoci_hyperv_without_uvm_is_dockers_error, .init = setup, .fini = teardown)
{
    struct spec_bundle *b;

    hyperv();
    b = gen(SPEC_FORMAT_WINDOWSOCI);
    cr_expect(b->hyperv);
    cr_expect(!b->has_uvm);
    cr_expect_eq(b->files[SPEC_FILE_CONFIG].err.code, ENOENT);
    cr_expect_null(b->files[SPEC_FILE_CONFIG].data);
    cr_expect_str_eq(b->files[SPEC_FILE_CONFIG].err.msg,
                     "container " CID1 ": container image does not contain a utility VM");
    cr_expect_str_eq(b->errors,
                     "container " CID1 ": container image does not contain a utility VM\n");
    /* the other files are unaffected */
    cr_expect_not_null(b->files[SPEC_FILE_LAYERPATHS].data);
    cr_expect_not_null(b->files[SPEC_FILE_CREATEOPTIONS].data);
    spec_bundle_free(b);

    /* oci: no utility VM found is not an error; the runtime searches at start */
    b = gen(SPEC_FORMAT_OCI);
    cr_expect_null(b->errors);
    cr_expect(!b->has_uvm);
    cr_expect_not_null(strstr(b->files[SPEC_FILE_CONFIG].data, "\"hyperv\":{}"));
    spec_bundle_free(b);
}

Test(bundle, uvm_rules_per_format, .init = setup, .fini = teardown)
{
    struct spec_bundle *b;
    char want[512];

    fx_write(&f, "containers/" CID1 "/hostconfig.json", "{\"Isolation\":\"HyperV\"}");
    fx_mkdir(&f, "windowsfilter/" CACHE1 "/UtilityVM"); /* base */
    fx_mkdir(&f, "windowsfilter/" CACHE3 "/UtilityVM"); /* top: an update */

    b = gen(SPEC_FORMAT_WINDOWSOCI); /* seed createSpec: the base layer's */
    snprintf(want, sizeof(want), "%s/windowsfilter/" CACHE1 "/UtilityVM", f.root);
    cr_expect(b->has_uvm);
    cr_expect_str_eq(b->files[SPEC_FILE_UTILITYVM].data, want);
    cr_expect_eq(b->files[SPEC_FILE_UTILITYVM].len, strlen(want));
    spec_bundle_free(b);

    b = gen(SPEC_FORMAT_OCI); /* runtime rule: the first, top-most first */
    snprintf(want, sizeof(want), "%s/windowsfilter/" CACHE3 "/UtilityVM", f.root);
    cr_expect_str_eq(b->files[SPEC_FILE_UTILITYVM].data, want);
    cr_expect_not_null(strstr(b->files[SPEC_FILE_CONFIG].data, want));
    spec_bundle_free(b);
}

Test(bundle, bad_isolation_spares_layerpaths, .init = setup, .fini = teardown)
{
    struct spec_bundle *b;
    const char *msg = "container " CID1 ": containers/" CID1 "/hostconfig.json: invalid "
                      "--isolation: \"vm\" - windows daemon only supports 'default', 'process', "
                      "or 'hyperv'";

    fx_write(&f, "containers/" CID1 "/hostconfig.json", "{\"Isolation\":\"vm\"}");
    b = gen(SPEC_FORMAT_OCI);
    cr_expect_str_eq(b->files[SPEC_FILE_CONFIG].err.msg, msg);
    cr_expect_str_eq(b->files[SPEC_FILE_CREATEOPTIONS].err.msg, msg);
    cr_expect_not_null(b->files[SPEC_FILE_LAYERPATHS].data);
    /* one message, one line, even though two files failed with it */
    char want[1024];
    snprintf(want, sizeof(want), "%s\n", msg);
    cr_expect_str_eq(b->errors, want);
    spec_bundle_free(b);
}

Test(bundle, unreadable_container_fails_every_file, .init = setup, .fini = teardown)
{
    struct spec_bundle *b;

    fx_write(&f, "containers/" CID1 "/config.v2.json", "{not json");
    b = gen(SPEC_FORMAT_OCI);
    cr_expect_null(b->name);
    for (int i = 0; i < SPEC_FILE_COUNT; i++)
        cr_expect_null(b->files[i].data, "%s", spec_file_name(i));
    cr_expect_neq(b->files[SPEC_FILE_CONFIG].err.code, 0);
    cr_expect_not_null(b->errors);
    cr_expect_eq(b->errors[b->errors_len - 1], '\n');
    cr_expect_eq(strchr(b->errors, '\n') - b->errors + 1, (long)b->errors_len); /* one line */
    spec_bundle_free(b);
}

Test(bundle, invalid_id)
{
    struct spec_options o = {0};
    struct bf_error err = BF_ERROR_INIT;
    struct spec_bundle *b = NULL;

    cr_expect_eq(spec_bundle_generate(NULL, "../etc", &o, &b, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "../etc: not a container ID (64 lowercase hex)");
    cr_expect_null(b);
    bf_error_clear(&err);
}

/* GetLayerPath: a layer whose folder is missing fails every file that needs the layer paths,
 * layerpaths included, with createSpec's text and the path as rendered; the folder's
 * appearance is a change. */
Test(bundle, missing_layer_folder_is_dockers_error, .init = setup, .fini = teardown)
{
    struct spec_bundle *b;
    char want[2048];

    fx_rm(&f, "windowsfilter/" CACHE2);
    b = gen(SPEC_FORMAT_OCI);
    snprintf(want, sizeof(want),
             "container " CID1 ": image sha256:%s, layer 2 of 3: failed to get layer path from "
             "graphdriver windowsfilter for ImageID " C2 " - layer folder %s/windowsfilter/" CACHE2
             " does not exist",
             f.image_hex, f.root);
    cr_expect_null(b->files[SPEC_FILE_LAYERPATHS].data);
    cr_expect_str_eq(b->files[SPEC_FILE_LAYERPATHS].err.msg, want);
    cr_expect_str_eq(b->files[SPEC_FILE_CONFIG].err.msg, want);
    cr_expect_str_eq(b->files[SPEC_FILE_CREATEOPTIONS].err.msg, want);
    cr_expect_not_null(strstr(b->errors, want));
    cr_expect(!ls_inputs_changed(ls, &b->inputs));
    fx_mkdir(&f, "windowsfilter/" CACHE2);
    cr_expect(ls_inputs_changed(ls, &b->inputs));
    spec_bundle_free(b);
    b = gen(SPEC_FORMAT_OCI);
    cr_expect_null(b->errors, "%s", b->errors);
    spec_bundle_free(b);

    /* a file in its place, and the path rendered under the Windows root */
    struct layerstore *wls = NULL;
    struct ls_options o = {.hostroot = "C:\\ProgramData\\docker"};
    struct spec_options so = {.format = SPEC_FORMAT_WINDOWSOCI, .host_cpus = 4};
    struct bf_error err = BF_ERROR_INIT;
    fx_rm(&f, "windowsfilter/" CACHE2);
    fx_write(&f, "windowsfilter/" CACHE2, "x");
    cr_assert_eq(layerstore_open(f.root, &o, &wls, &err), 0, "%s", err.msg);
    cr_assert_eq(spec_bundle_generate(wls, CID1, &so, &b, &err), 0, "%s", err.msg);
    snprintf(want, sizeof(want),
             "container " CID1 ": image sha256:%s, layer 2 of 3: failed to get layer path from "
             "graphdriver windowsfilter for ImageID " C2 " - layer folder "
             "C:\\ProgramData\\docker\\windowsfilter\\" CACHE2 " is not a folder",
             f.image_hex);
    cr_expect_str_eq(b->files[SPEC_FILE_LAYERPATHS].err.msg, want);
    cr_expect_str_eq(b->files[SPEC_FILE_CONFIG].err.msg, want);
    spec_bundle_free(b);
    layerstore_close(wls);
}

/* SetupWorkingDirectory through both formats: cleaned for a process container, as stored for a
 * Hyper-V one. */
Test(bundle, working_directory_cleaned_unless_hyperv, .init = setup, .fini = teardown)
{
    char cfg[4096];
    struct spec_bundle *b;
    FILE *fp = fopen(fx_path(&f, "containers/" CID1 "/config.v2.json"), "r");
    cr_assert_not_null(fp);
    size_t n = fread(cfg, 1, sizeof(cfg) - 1, fp);
    fclose(fp);
    cfg[n] = '\0';
    char *wd = strstr(cfg, "\"WorkingDir\":\"\"");
    cr_assert_not_null(wd);
    char rest[4096];
    snprintf(rest, sizeof(rest), "%s", wd + strlen("\"WorkingDir\":\"\""));
    snprintf(wd, sizeof(cfg) - (size_t)(wd - cfg), "\"WorkingDir\":\"C:/app/./logs/../bin/\"%s",
             rest);
    fx_write(&f, "containers/" CID1 "/config.v2.json", cfg);
    /* the windowsoci era knows "default" and "none" for NetworkMode, not "nat" */
    fx_write(&f, "containers/" CID1 "/hostconfig.json", "{\"Isolation\":\"process\"}");
    for (int fmt = 0; fmt < 2; fmt++) {
        b = gen(fmt ? SPEC_FORMAT_WINDOWSOCI : SPEC_FORMAT_OCI);
        cr_assert_null(b->errors, "%s", b->errors);
        cr_expect_not_null(strstr(b->files[SPEC_FILE_CONFIG].data, "\"cwd\":\"C:\\\\app\\\\bin\""),
                           "%s", b->files[SPEC_FILE_CONFIG].data);
        spec_bundle_free(b);
    }
    fx_write(&f, "containers/" CID1 "/hostconfig.json", "{\"Isolation\":\"HyperV\"}");
    fx_mkdir(&f, "windowsfilter/" CACHE1 "/UtilityVM");
    for (int fmt = 0; fmt < 2; fmt++) {
        b = gen(fmt ? SPEC_FORMAT_WINDOWSOCI : SPEC_FORMAT_OCI);
        cr_expect_not_null(
            strstr(b->files[SPEC_FILE_CONFIG].data, "\"cwd\":\"C:/app/./logs/../bin/\""), "%s",
            b->files[SPEC_FILE_CONFIG].data ? b->files[SPEC_FILE_CONFIG].data : b->errors);
        spec_bundle_free(b);
    }
}
