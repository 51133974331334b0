/* Image configs (imagedb) and tags (repositories.json), good and bad. */
#include <criterion/criterion.h>
#include <errno.h>
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

TestSuite(image, .init = setup, .fini = teardown, .timeout = 30);

#define IMGDIR "image/windowsfilter/imagedb/content/sha256/"

/* Write `json` as an image and return its load error (exact message), or NULL on success. */
static char *load_error(const char *json, char hex[65])
{
    struct ls_image *img = NULL;
    struct bf_error err = BF_ERROR_INIT;
    fx_image(&f, json, hex);
    if (layerstore_image_load(ls, hex, &img, NULL, &err) == 0) {
        ls_image_free(img);
        return NULL;
    }
    cr_assert_null(img);
    char *m = strdup(bf_error_message(&err));
    bf_error_clear(&err);
    return m;
}

static void expect_error(const char *json, const char *tail)
{
    char hex[65], want[1024];
    char *m = load_error(json, hex);
    cr_assert_not_null(m, "load should fail for %s", json);
    snprintf(want, sizeof(want), IMGDIR "%s: %s", hex, tail);
    cr_assert_str_eq(m, want);
    free(m);
}

Test(image, fields)
{
    char hex[65];
    struct ls_image *img = NULL;
    struct bf_error err = BF_ERROR_INIT;
    fx_image(&f, STD_IMAGE_JSON, hex);
    /* STD_IMAGE_JSON's ID, from: printf %s "$STD_IMAGE_JSON" | sha256sum */
    cr_assert_str_eq(hex, "e9f21e7103a634ff5178f5eb330431af75caa8389ad82f678898c0b1b4ef54b8");
    char id[80];
    snprintf(id, sizeof(id), "sha256:%s", hex);
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(layerstore_image_load(ls, k ? id : hex, &img, NULL, &err), 0, "%s",
                     bf_error_message(&err));
        cr_assert_str_eq(img->id, id);
        cr_assert_str_eq(img->os, "windows");
        cr_assert_str_eq(img->architecture, "amd64");
        cr_assert_str_eq(img->os_version, "10.0.14393.1066");
        cr_assert_str_eq(img->rootfs_type, "layers");
        cr_assert_null(img->base_layer);
        cr_assert_eq(img->n_diff_ids, 3);
        cr_assert_str_eq(img->diff_ids[0], D1);
        cr_assert_str_eq(img->diff_ids[2], D3);
        ls_image_free(img);
    }
}

Test(image, nulls_are_absent)
{
    char hex[65];
    struct ls_image *img = NULL;
    struct bf_error err = BF_ERROR_INIT;
    fx_image(&f, "{\"os\":null,\"os.version\":null,\"rootfs\":{\"type\":\"layers\"}}", hex);
    cr_assert_eq(layerstore_image_load(ls, hex, &img, NULL, &err), 0, "%s", bf_error_message(&err));
    cr_assert_null(img->os);
    cr_assert_null(img->architecture);
    cr_assert_null(img->os_version);
    cr_assert_eq(img->n_diff_ids, 0);
    ls_image_free(img);
}

Test(image, layers_base_fields)
{
    char hex[65];
    struct ls_image *img = NULL;
    struct bf_error err = BF_ERROR_INIT;
    fx_image(&f,
             "{\"rootfs\":{\"type\":\"layers+base\",\"base_layer\":\"" BASE_LAYER
             "\",\"diff_ids\":[\"" D1 "\"]}}",
             hex);
    cr_assert_eq(layerstore_image_load(ls, hex, &img, NULL, &err), 0, "%s", bf_error_message(&err));
    cr_assert_str_eq(img->rootfs_type, "layers+base");
    cr_assert_str_eq(img->base_layer, BASE_LAYER);
    ls_image_free(img);
}

Test(image, invalid_ids)
{
    const char *bad[] = {"",
                         "xyz",
                         "sha256:" HEX_A "0",
                         "sha512:" HEX_A,
                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                         "../../../../etc/passwd"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ls_image *img = NULL;
        struct bf_error err = BF_ERROR_INIT;
        char want[256];
        cr_assert_eq(layerstore_image_load(ls, bad[i], &img, NULL, &err), -EINVAL);
        snprintf(want, sizeof(want),
                 "invalid image ID \"%s\": must be sha256: followed by 64 lowercase hex "
                 "characters",
                 bad[i]);
        cr_assert_str_eq(bf_error_message(&err), want);
        bf_error_clear(&err);
    }
}

Test(image, hash_mismatch)
{
    struct ls_image *img = NULL;
    struct bf_error err = BF_ERROR_INIT;
    fx_write(&f, IMGDIR HEX_A, "{}");
    cr_assert_lt(layerstore_image_load(ls, HEX_A, &img, NULL, &err), 0);
    /* printf %s '{}' | sha256sum */
    cr_assert_str_eq(bf_error_message(&err), IMGDIR HEX_A
                     ": failed to verify: sha256:" HEX_A " (content digest is "
                     "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a)");
    bf_error_clear(&err);
}

Test(image, missing)
{
    struct ls_image *img = NULL;
    struct bf_error err = BF_ERROR_INIT;
    cr_assert_eq(layerstore_image_load(ls, HEX_B, &img, NULL, &err), -ENOENT);
    cr_assert_str_eq(bf_error_message(&err), IMGDIR HEX_B ": no such file or directory");
    bf_error_clear(&err);
}

Test(image, empty_and_garbage)
{
    /* the empty file's name is its hash: printf '' | sha256sum */
    expect_error("", "file is empty");
    expect_error("not json", "invalid JSON: '[' or '{' expected near 'not' (line 1, column 3)");
    expect_error("{\"os\":", "invalid JSON: unexpected token near end of file (line 1, column 6)");
    expect_error("[]", "expected a JSON object");
    expect_error("{\"os\":\"a\\u0000b\"}",
                 "invalid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near "
                 "'\"a\\u0000b\"' (line 1, column 16)");
}

Test(image, wrong_types)
{
    expect_error("{\"os\":5,\"rootfs\":{\"type\":\"layers\"}}", "\"os\" must be a string");
    expect_error("{\"architecture\":[],\"rootfs\":{\"type\":\"layers\"}}",
                 "\"architecture\" must be a string");
    expect_error("{\"os.version\":true,\"rootfs\":{\"type\":\"layers\"}}",
                 "\"os.version\" must be a string");
    expect_error("{\"rootfs\":\"layers\"}", "\"rootfs\" must be an object");
    expect_error("{\"rootfs\":{\"type\":1}}", "\"rootfs.type\" must be a string");
    expect_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":\"" D1 "\"}}",
                 "\"rootfs.diff_ids\" must be an array of strings");
    expect_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",7]}}",
                 "\"rootfs.diff_ids\" must be an array of strings");
    expect_error("{\"rootfs\":{\"type\":\"layers+base\",\"base_layer\":{},\"diff_ids\":[]}}",
                 "\"rootfs.base_layer\" must be a string");
}

Test(image, wrong_shape)
{
    expect_error("{\"os\":\"windows\"}", "invalid image JSON, no RootFS key");
    expect_error("{\"rootfs\":null}", "invalid image JSON, no RootFS key");
    expect_error("{\"rootfs\":{\"diff_ids\":[]}}",
                 "unsupported rootfs type \"\" (expected \"layers\" or \"layers+base\")");
    expect_error("{\"rootfs\":{\"type\":\"squash\"}}",
                 "unsupported rootfs type \"squash\" (expected \"layers\" or \"layers+base\")");
    expect_error("{\"rootfs\":{\"type\":\"layers+base\",\"diff_ids\":[]}}",
                 "\"rootfs.base_layer\" is required for rootfs type layers+base");
    expect_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:../../x\"]}}",
                 "\"rootfs.diff_ids[0]\" is not a sha256 digest: \"sha256:../../x\"");
    expect_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" HEX_B "\"]}}",
                 "\"rootfs.diff_ids[1]\" is not a sha256 digest: \"" HEX_B "\"");
}

static char *many_layers(const char *type, int n)
{
    size_t cap = 200 + (size_t)n * 80;
    char *s = malloc(cap);
    int off =
        snprintf(s, cap, "{\"rootfs\":{\"type\":\"%s\",\"base_layer\":\"x\",\"diff_ids\":[", type);
    for (int i = 0; i < n; i++)
        off += snprintf(s + off, cap - (size_t)off, "%s\"sha256:%064x\"", i ? "," : "", i);
    snprintf(s + off, cap - (size_t)off, "]}}");
    return s;
}

Test(image, max_depth)
{
    char hex[65];
    char *j = many_layers("layers", 125);
    char *m = load_error(j, hex);
    cr_assert_null(m, "125 layers are allowed: %s", m);
    free(j);
    j = many_layers("layers", 126);
    expect_error(j, "image has 126 layers (limit 125): max depth exceeded");
    free(j);
    /* the layers+base base layer counts */
    j = many_layers("layers+base", 125);
    expect_error(j, "image has 126 layers (limit 125): max depth exceeded");
    free(j);
}

Test(image, symlinked_and_special_files)
{
    char hex[65];
    struct ls_image *img = NULL;
    struct bf_error err = BF_ERROR_INIT;
    fx_image(&f, STD_IMAGE_JSON, hex);
    char rel[256], target[512];
    snprintf(rel, sizeof(rel), IMGDIR "%s", hex);
    fx_mv(&f, rel, "moved-config");
    fx_symlink(&f, "../../../../../moved-config", rel);
    cr_assert_lt(layerstore_image_load(ls, hex, &img, NULL, &err), 0);
    snprintf(target, sizeof(target),
             "%s: is a symbolic link or passes through one (links are never followed)", rel);
    cr_assert_str_eq(bf_error_message(&err), target);
    fx_rm(&f, rel);
    fx_mkfifo(&f, rel);
    cr_assert_lt(layerstore_image_load(ls, hex, &img, NULL, &err), 0);
    snprintf(target, sizeof(target), "%s: not a regular file", rel);
    cr_assert_str_eq(bf_error_message(&err), target);
    bf_error_clear(&err);
}

Test(image, oversized)
{
    struct ls_image *img = NULL;
    struct bf_error err = BF_ERROR_INIT;
    size_t n = (16u << 20) + 1;
    char *big = malloc(n);
    memset(big, ' ', n);
    fx_write_len(&f, IMGDIR HEX_C, big, n);
    free(big);
    cr_assert_lt(layerstore_image_load(ls, HEX_C, &img, NULL, &err), 0);
    cr_assert_str_eq(bf_error_message(&err),
                     IMGDIR HEX_C ": file too large (16777217 bytes, limit 16777216)");
    bf_error_clear(&err);
}

Test(image, list_ids)
{
    char a[65], b[65];
    char **ids = NULL;
    size_t n = 0;
    struct bf_error err = BF_ERROR_INIT;
    cr_assert_eq(layerstore_image_ids(ls, &ids, &n, &err), 0);
    cr_assert_eq(n, 0);
    fx_image(&f, STD_IMAGE_JSON, a);
    fx_image(&f, "{}", b);
    fx_write(&f, IMGDIR "not-an-id", "{}");
    fx_write(&f, IMGDIR HEX_A ".tmp", "{}");
    cr_assert_eq(layerstore_image_ids(ls, &ids, &n, &err), 0);
    cr_assert_eq(n, 2);
    /* sorted: 44136fa3... ('{}') before e9f21e71... */
    cr_assert_str_eq(ids[0],
                     "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    cr_assert_str_eq(ids[1],
                     "sha256:e9f21e7103a634ff5178f5eb330431af75caa8389ad82f678898c0b1b4ef54b8");
    ls_strv_free(ids, n);
}

#define REPOS "image/windowsfilter/repositories.json"

Test(image, tags)
{
    char **tags = NULL;
    size_t n = 9;
    struct bf_error err = BF_ERROR_INIT;
    struct ls_inputs in = {0};
    /* no repositories.json: no tags */
    cr_assert_eq(layerstore_image_tags(ls, HEX_A, &tags, &n, &in, &err), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(in.n, 1);
    cr_assert_not(in.v[0].stamp.exists);
    fx_write(&f, REPOS,
             "{\"Repositories\":{\"microsoft/nanoserver\":{\"microsoft/nanoserver:latest\":"
             "\"sha256:" HEX_A "\",\"microsoft/nanoserver@sha256:" HEX_C "\":\"sha256:" HEX_A
             "\",\"microsoft/nanoserver:old\":\"sha256:" HEX_B "\"},"
             "\"app\":{\"app:1.0\":\"sha256:" HEX_A "\"},\"empty\":null}}");
    cr_assert(ls_inputs_changed(ls, &in));
    cr_assert_eq(layerstore_image_tags(ls, "sha256:" HEX_A, &tags, &n, NULL, &err), 0, "%s",
                 bf_error_message(&err));
    cr_assert_eq(n, 3);
    cr_assert_str_eq(tags[0], "app:1.0");
    cr_assert_str_eq(tags[1], "microsoft/nanoserver:latest");
    cr_assert_str_eq(tags[2], "microsoft/nanoserver@sha256:" HEX_C);
    ls_strv_free(tags, n);
    cr_assert_eq(layerstore_image_tags(ls, HEX_C, &tags, &n, NULL, &err), 0);
    cr_assert_eq(n, 0);
    ls_inputs_free(&in);
}

Test(image, tags_bad_shapes)
{
    char **tags = NULL;
    size_t n = 0;
    struct bf_error err = BF_ERROR_INIT;
    const char *cases[][2] = {
        {"{\"Repositories\":[]}", REPOS ": \"Repositories\" must be an object"},
        {"{\"Repositories\":{\"a\":[]}}", REPOS ": \"Repositories.a\" must be an object"},
        {"{\"Repositories\":{\"a\":{\"a:1\":5}}}",
         REPOS ": \"Repositories.a.a:1\" must be a string"},
        {"", REPOS ": file is empty"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fx_write(&f, REPOS, cases[i][0]);
        cr_assert_lt(layerstore_image_tags(ls, HEX_A, &tags, &n, NULL, &err), 0);
        cr_assert_str_eq(bf_error_message(&err), cases[i][1]);
    }
    bf_error_clear(&err);
}
