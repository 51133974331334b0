/* The layer walk on fixture roots for each driver, layers+base, Windows rendering, and every
 * bad layerdb input with its exact error. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "layerstore.h"

static struct fx f;

static void teardown(void)
{
    fx_cleanup(&f);
}

TestSuite(walk, .fini = teardown, .timeout = 20);

static struct layerstore *open_ls(const char *hostroot)
{
    struct ls_options o = {.driver = NULL, .hostroot = hostroot};
    struct layerstore *ls = NULL;
    struct bf_error err = BF_ERROR_INIT;
    int r = layerstore_open(f.root, &o, &ls, &err);
    cr_assert_eq(r, 0, "open: %s", bf_error_message(&err));
    return ls;
}

/* Load image `hex` and walk it; returns 0 and fills w, or the error message in *msg. */
static int walk(struct layerstore *ls, const char *hex, struct ls_walk *w, char **msg,
                struct ls_inputs *in)
{
    struct bf_error err = BF_ERROR_INIT;
    struct ls_image *img = NULL;
    int r = layerstore_image_load(ls, hex, &img, in, &err);
    if (r == 0) {
        r = layerstore_walk(ls, img, w, in, &err);
        ls_image_free(img);
    }
    if (r < 0) {
        cr_assert_neq(err.code, 0);
        *msg = strdup(bf_error_message(&err));
    }
    bf_error_clear(&err);
    return r;
}

static void expect_paths(const struct ls_walk *w, const char *p0, const char *p1, const char *p2)
{
    const char *want[] = {p0, p1, p2};
    cr_assert_eq(w->n, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_str_eq(w->layers[i].path, want[i], "layer %d", i);
}

static char *rootpath(const char *rel)
{
    static char buf[3][512];
    static int k;
    k = (k + 1) % 3;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", f.root, rel);
    return buf[k];
}

Test(walk, windowsfilter)
{
    fx_std(&f, "windowsfilter");
    struct layerstore *ls = open_ls(NULL);
    cr_assert_eq(layerstore_driver(ls), LS_DRIVER_WINDOWSFILTER);
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, NULL), 0, "%s", msg);
    expect_paths(&w, rootpath("windowsfilter/" CACHE3), rootpath("windowsfilter/" CACHE2),
                 rootpath("windowsfilter/" CACHE1));
    cr_assert_str_eq(w.layers[0].chain_id, C3);
    cr_assert_str_eq(w.layers[1].chain_id, C2);
    cr_assert_str_eq(w.layers[2].chain_id, D1);
    cr_assert_str_eq(w.layers[0].diff_id, D3);
    cr_assert_str_eq(w.layers[2].diff_id, D1);
    cr_assert_str_eq(w.layers[0].cache_id, CACHE3);
    cr_assert_str_eq(w.layers[0].rel, "windowsfilter/" CACHE3);
    cr_assert_str_eq(w.top_chain_id, C3);
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, overlay2)
{
    fx_std(&f, "overlay2");
    struct layerstore *ls = open_ls(NULL);
    cr_assert_eq(layerstore_driver(ls), LS_DRIVER_OVERLAY2);
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, NULL), 0, "%s", msg);
    expect_paths(&w, rootpath("overlay2/" CACHE3 "/diff"), rootpath("overlay2/" CACHE2 "/diff"),
                 rootpath("overlay2/" CACHE1 "/diff"));
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, vfs)
{
    fx_std(&f, "vfs");
    struct layerstore *ls = open_ls(NULL);
    cr_assert_eq(layerstore_driver(ls), LS_DRIVER_VFS);
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls,
                      "sha256:"
                      "",
                      &w, &msg, NULL),
                 -EINVAL);
    free(msg);
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, NULL), 0, "%s", msg);
    expect_paths(&w, rootpath("vfs/dir/" CACHE3), rootpath("vfs/dir/" CACHE2),
                 rootpath("vfs/dir/" CACHE1));
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, windows_paths)
{
    fx_std(&f, "windowsfilter");
    struct layerstore *ls = open_ls("C:\\ProgramData\\docker");
    cr_assert(layerstore_windows_paths(ls));
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, NULL), 0, "%s", msg);
    expect_paths(&w, "C:\\ProgramData\\docker\\windowsfilter\\" CACHE3,
                 "C:\\ProgramData\\docker\\windowsfilter\\" CACHE2,
                 "C:\\ProgramData\\docker\\windowsfilter\\" CACHE1);
    cr_assert_str_eq(w.layers[0].rel, "windowsfilter/" CACHE3);
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, windows_paths_normalised_root)
{
    /* trailing separator dropped, '/' turned into '\' */
    fx_std(&f, "overlay2");
    struct layerstore *ls = open_ls("D:/docker\\");
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, NULL), 0, "%s", msg);
    cr_assert_str_eq(w.layers[0].path, "D:\\docker\\overlay2\\" CACHE3 "\\diff");
    char *p = layerstore_path(ls, "a/b/c");
    cr_assert_str_eq(p, "D:\\docker\\a\\b\\c");
    free(p);
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, layers_base)
{
    char hex[65];
    fx_init(&f, "windowsfilter");
    fx_image(&f,
             "{\"os\":\"windows\",\"rootfs\":{\"type\":\"layers+base\",\"base_layer\":\"" BASE_LAYER
             "\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}",
             hex);
    fx_layer(&f, BD_HEX, "sha256:" BD_HEX, NULL, BL_HEX);
    fx_layer(&f, BC2_HEX, D1, "sha256:" BD_HEX, CACHE1);
    fx_layer(&f, BC3_HEX, D2, "sha256:" BC2_HEX, CACHE2);
    struct layerstore *ls = open_ls(NULL);
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, hex, &w, &msg, NULL), 0, "%s", msg);
    expect_paths(&w, rootpath("windowsfilter/" CACHE2), rootpath("windowsfilter/" CACHE1),
                 rootpath("windowsfilter/" BL_HEX));
    cr_assert_str_eq(w.top_chain_id, "sha256:" BC3_HEX);
    cr_assert_str_eq(w.layers[2].chain_id, "sha256:" BD_HEX);
    cr_assert_str_eq(w.layers[2].diff_id, "sha256:" BD_HEX);
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, layers_base_only_base)
{
    char hex[65];
    fx_init(&f, "windowsfilter");
    fx_image(&f,
             "{\"rootfs\":{\"type\":\"layers+base\",\"base_layer\":\"" BASE_LAYER
             "\",\"diff_ids\":[]}}",
             hex);
    fx_layer(&f, BD_HEX, "sha256:" BD_HEX, NULL, BL_HEX);
    struct layerstore *ls = open_ls("C:\\ProgramData\\docker");
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, hex, &w, &msg, NULL), 0, "%s", msg);
    cr_assert_eq(w.n, 1);
    cr_assert_str_eq(w.layers[0].path, "C:\\ProgramData\\docker\\windowsfilter\\" BL_HEX);
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, image_without_layers)
{
    char hex[65];
    fx_init(&f, "windowsfilter");
    fx_image(&f, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":null}}", hex);
    struct layerstore *ls = open_ls(NULL);
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, hex, &w, &msg, NULL), 0, "%s", msg);
    cr_assert_eq(w.n, 0);
    cr_assert_str_eq(w.top_chain_id, "");
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, whitespace_is_trimmed)
{
    fx_std(&f, "windowsfilter");
    fx_write(&f, "image/windowsfilter/layerdb/sha256/" C2_HEX "/cache-id", " \n" CACHE2 "\r\n\t");
    fx_write(&f, "image/windowsfilter/layerdb/sha256/" C2_HEX "/diff", D2 "\n");
    struct layerstore *ls = open_ls(NULL);
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, NULL), 0, "%s", msg);
    cr_assert_str_eq(w.layers[1].cache_id, CACHE2);
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, init_suffix_cache_id_is_valid)
{
    fx_std(&f, "overlay2");
    fx_write(&f, "image/overlay2/layerdb/sha256/" C3_HEX "/cache-id", CACHE3 "-init");
    fx_mkdir(&f, "overlay2/" CACHE3 "-init/diff");
    struct layerstore *ls = open_ls(NULL);
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, NULL), 0, "%s", msg);
    cr_assert_str_eq(w.layers[0].path, rootpath("overlay2/" CACHE3 "-init/diff"));
    ls_walk_free(&w);
    layerstore_close(ls);
}

/* Build the std windowsfilter root, let `mutate` break it, and return the walk's error. */
static char *walk_fails(void (*mutate)(void))
{
    fx_std(&f, "windowsfilter");
    mutate();
    struct layerstore *ls = open_ls(NULL);
    struct ls_walk w;
    char *msg = NULL;
    int r = walk(ls, f.image_hex, &w, &msg, NULL);
    cr_assert_lt(r, 0, "the walk should have failed");
    layerstore_close(ls);
    return msg;
}

#define L2 "image/windowsfilter/layerdb/sha256/" C2_HEX
#define L3 "image/windowsfilter/layerdb/sha256/" C3_HEX

static char expected[1024];
static const char *ctx(int i)
{
    snprintf(expected, sizeof(expected), "image sha256:%s, layer %d of 3: ", f.image_hex, i);
    return expected;
}
#define assert_msg(msg, layer, tail)                                                               \
    do {                                                                                           \
        char _want[2048];                                                                          \
        snprintf(_want, sizeof(_want), "%s%s", ctx(layer), tail);                                  \
        cr_assert_str_eq(msg, _want);                                                              \
        free(msg);                                                                                 \
    } while (0)

static void bad_cache_traversal(void)
{
    fx_write(&f, L2 "/cache-id", "../../../etc");
}
Test(walk, cache_id_traversal)
{
    char *m = walk_fails(bad_cache_traversal);
    assert_msg(m, 2, L2 "/cache-id: invalid cache id value");
}

static void bad_cache_upper(void)
{
    fx_write(&f, L2 "/cache-id",
             "2222222222222222222222222222222222222222222222222222222222222ABC");
}
Test(walk, cache_id_uppercase)
{
    char *m = walk_fails(bad_cache_upper);
    assert_msg(m, 2, L2 "/cache-id: invalid cache id value");
}

static void bad_cache_hex_traversal(void)
{
    fx_write(&f, L2 "/cache-id", CACHE2 "/../../x");
}
Test(walk, cache_id_hex_then_traversal)
{
    char *m = walk_fails(bad_cache_hex_traversal);
    assert_msg(m, 2, L2 "/cache-id: invalid cache id value");
}

static void empty_cache(void)
{
    fx_write(&f, L2 "/cache-id", " \n");
}
Test(walk, cache_id_empty)
{
    char *m = walk_fails(empty_cache);
    assert_msg(m, 2, L2 "/cache-id: file is empty");
}

static void missing_cache(void)
{
    fx_rm(&f, L2 "/cache-id");
}
Test(walk, cache_id_missing)
{
    char *m = walk_fails(missing_cache);
    assert_msg(m, 2, L2 "/cache-id: no such file or directory");
}

static void missing_layer(void)
{
    fx_rm(&f, L3);
}
Test(walk, layer_missing_from_store)
{
    char *m = walk_fails(missing_layer);
    assert_msg(m, 3, L3 ": layer does not exist");
}

static void missing_layerdb(void)
{
    fx_rm(&f, "image/windowsfilter/layerdb");
}
Test(walk, layerdb_missing)
{
    char *m = walk_fails(missing_layerdb);
    assert_msg(m, 1, "image/windowsfilter/layerdb/sha256/" C1_HEX ": layer does not exist");
}

static void diff_mismatch(void)
{
    fx_write(&f, L2 "/diff", D3);
}
Test(walk, diff_mismatch)
{
    char *m = walk_fails(diff_mismatch);
    assert_msg(m, 2, L2 "/diff: layer diff is " D3 ", but the image's diff_id is " D2);
}

static void diff_garbage(void)
{
    fx_write(&f, L2 "/diff", "sha256:xyz");
}
Test(walk, diff_garbage)
{
    char *m = walk_fails(diff_garbage);
    assert_msg(m, 2, L2 "/diff: invalid checksum digest format");
}

static void parent_mismatch(void)
{
    fx_write(&f, L3 "/parent", D1);
}
Test(walk, parent_mismatch)
{
    char *m = walk_fails(parent_mismatch);
    assert_msg(m, 3, L3 "/parent: parent is " D1 ", but the image's layer below is " C2);
}

static void parent_missing(void)
{
    fx_rm(&f, L3 "/parent");
}
Test(walk, parent_missing)
{
    char *m = walk_fails(parent_missing);
    assert_msg(m, 3, L3 "/parent: missing, but the layer's parent should be " C2);
}

static void base_with_parent(void)
{
    fx_write(&f, "image/windowsfilter/layerdb/sha256/" C1_HEX "/parent", C3);
}
Test(walk, base_layer_with_parent)
{
    char *m = walk_fails(base_with_parent);
    assert_msg(m, 1,
               "image/windowsfilter/layerdb/sha256/" C1_HEX
               "/parent: the image's base layer has parent " C3);
}

static void symlinked_file(void)
{
    fx_write(&f, "elsewhere", CACHE2);
    fx_rm(&f, L2 "/cache-id");
    fx_symlink(&f, "../../../../../elsewhere", L2 "/cache-id");
}
Test(walk, symlinked_cache_id)
{
    char *m = walk_fails(symlinked_file);
    assert_msg(m, 2,
               L2 "/cache-id: is a symbolic link or passes through one (links are never followed)");
}

static void symlinked_layer_dir(void)
{
    fx_mv(&f, L2, "moved-layer");
    fx_symlink(&f, "../../../../moved-layer", L2);
}
Test(walk, symlinked_layer_directory)
{
    char *m = walk_fails(symlinked_layer_dir);
    assert_msg(m, 2,
               L2 "/cache-id: is a symbolic link or passes through one (links are never followed)");
}

static void symlinked_layerdb_sha(void)
{
    fx_mv(&f, "image/windowsfilter/layerdb/sha256", "moved-sha");
    fx_symlink(&f, "../../../moved-sha", "image/windowsfilter/layerdb/sha256");
}
Test(walk, symlinked_layerdb_sha256_directory)
{
    char *m = walk_fails(symlinked_layerdb_sha);
    assert_msg(m, 1,
               "image/windowsfilter/layerdb/sha256/" C1_HEX
               "/cache-id: is a symbolic link or passes through one (links are never followed)");
}

static void symlinked_layerdb(void)
{
    fx_mv(&f, "image/windowsfilter/layerdb", "moved-layerdb");
    fx_symlink(&f, "../../moved-layerdb", "image/windowsfilter/layerdb");
}
Test(walk, symlinked_layerdb_directory)
{
    char *m = walk_fails(symlinked_layerdb);
    assert_msg(m, 1,
               "image/windowsfilter/layerdb/sha256/" C1_HEX
               "/cache-id: is a symbolic link or passes through one (links are never followed)");
}

static void fifo_cache(void)
{
    fx_rm(&f, L2 "/cache-id");
    fx_mkfifo(&f, L2 "/cache-id");
}
Test(walk, fifo_instead_of_file_does_not_block)
{
    char *m = walk_fails(fifo_cache);
    assert_msg(m, 2, L2 "/cache-id: not a regular file");
}

static void dir_cache(void)
{
    fx_rm(&f, L2 "/cache-id");
    fx_mkdir(&f, L2 "/cache-id");
}
Test(walk, directory_instead_of_file)
{
    char *m = walk_fails(dir_cache);
    assert_msg(m, 2, L2 "/cache-id: not a regular file");
}

static void oversized_cache(void)
{
    char big[5000];
    memset(big, 'a', sizeof(big));
    fx_write_len(&f, L2 "/cache-id", big, sizeof(big));
}
Test(walk, oversized_cache_id)
{
    char *m = walk_fails(oversized_cache);
    assert_msg(m, 2, L2 "/cache-id: file too large (5000 bytes, limit 4096)");
}

static void nul_cache(void)
{
    fx_write_len(&f, L2 "/cache-id", CACHE2 "\0", 65);
}
Test(walk, nul_byte_in_cache_id)
{
    char *m = walk_fails(nul_cache);
    assert_msg(m, 2, L2 "/cache-id: file contains a NUL byte");
}

Test(walk, check_parent)
{
    fx_std(&f, "windowsfilter");
    struct layerstore *ls = open_ls(NULL);
    struct bf_error err = BF_ERROR_INIT;
    struct ls_container *c = NULL;
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, NULL), 0, "%s", msg);
    cr_assert_eq(layerstore_container_load(ls, CID1, &c, NULL, &err), 0, "%s",
                 bf_error_message(&err));
    cr_assert_eq(layerstore_container_check_parent(c, &w, &err), 0);
    free(c->mount_parent);
    c->mount_parent = strdup(C2);
    cr_assert_lt(layerstore_container_check_parent(c, &w, &err), 0);
    char want[1024];
    snprintf(want, sizeof(want),
             "image/windowsfilter/layerdb/mounts/" CID1 "/parent: container " CID1
             " is on layer " C2 ", but its image sha256:%s has top layer " C3,
             f.image_hex);
    cr_assert_str_eq(bf_error_message(&err), want);
    free(c->mount_parent);
    c->mount_parent = NULL;
    cr_assert_lt(layerstore_container_check_parent(c, &w, &err), 0);
    snprintf(want, sizeof(want),
             "image/windowsfilter/layerdb/mounts/" CID1 "/parent: container " CID1
             " is on layer (none), but its image sha256:%s has top layer " C3,
             f.image_hex);
    cr_assert_str_eq(bf_error_message(&err), want);
    bf_error_clear(&err);
    ls_container_free(c);
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, utility_vm_probe)
{
    fx_std(&f, "windowsfilter");
    fx_mkdir(&f, "windowsfilter/" CACHE1 "/UtilityVM/Files");
    fx_mkdir(&f, "windowsfilter/" CACHE3 "/Files");
    fx_write(&f, "windowsfilter/" CACHE2 "/UtilityVM", "not a directory");
    struct layerstore *ls = open_ls(NULL);
    struct bf_error err = BF_ERROR_INIT;
    struct ls_inputs in = {0};
    struct ls_walk w;
    char *msg = NULL;
    bool has = true;
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, NULL), 0, "%s", msg);
    cr_assert_eq(layerstore_layer_has_uvm(ls, &w.layers[0], &has, &in, &err), 0);
    cr_assert_not(has);
    cr_assert_eq(layerstore_layer_has_uvm(ls, &w.layers[1], &has, &in, &err), 0);
    cr_assert_not(has);
    cr_assert_eq(layerstore_layer_has_uvm(ls, &w.layers[2], &has, &in, &err), 0);
    cr_assert(has);
    cr_assert_eq(in.n, 3);
    cr_assert_str_eq(in.v[2].rel, "windowsfilter/" CACHE1 "/UtilityVM");
    cr_assert(in.v[2].stamp.exists);
    cr_assert_not(in.v[0].stamp.exists);
    /* a symlinked UtilityVM is an error, never followed */
    fx_rm(&f, "windowsfilter/" CACHE1 "/UtilityVM");
    fx_symlink(&f, "../" CACHE3, "windowsfilter/" CACHE1 "/UtilityVM");
    cr_assert(ls_inputs_changed(ls, &in));
    cr_assert_lt(layerstore_layer_has_uvm(ls, &w.layers[2], &has, NULL, &err), 0);
    cr_assert_str_eq(bf_error_message(&err),
                     "windowsfilter/" CACHE1
                     "/UtilityVM: is a symbolic link or passes through one (links are never "
                     "followed)");
    bf_error_clear(&err);
    ls_inputs_free(&in);
    ls_walk_free(&w);
    layerstore_close(ls);
}

Test(walk, inputs_record_every_file)
{
    fx_std(&f, "windowsfilter");
    struct layerstore *ls = open_ls(NULL);
    struct ls_inputs in = {0};
    struct ls_walk w;
    char *msg = NULL;
    cr_assert_eq(walk(ls, f.image_hex, &w, &msg, &in), 0, "%s", msg);
    /* image config + 3 x (cache-id, diff, parent, the layer's folder); the base layer's parent
     * is recorded absent */
    cr_assert_eq(in.n, 13);
    cr_assert_str_eq(in.v[4].rel, "windowsfilter/" CACHE1);
    char img_rel[256];
    snprintf(img_rel, sizeof(img_rel), "image/windowsfilter/imagedb/content/sha256/%s",
             f.image_hex);
    cr_assert_str_eq(in.v[0].rel, img_rel);
    cr_assert_str_eq(in.v[1].rel, "image/windowsfilter/layerdb/sha256/" C1_HEX "/cache-id");
    cr_assert_str_eq(in.v[3].rel, "image/windowsfilter/layerdb/sha256/" C1_HEX "/parent");
    cr_assert_not(in.v[3].stamp.exists);
    cr_assert(in.v[4].stamp.exists);
    cr_assert_gt(ls_inputs_newest_mtime_ns(&in), 0);
    cr_assert_not(ls_inputs_changed(ls, &in));
    /* a recorded-absent file appearing is a change */
    fx_write(&f, "image/windowsfilter/layerdb/sha256/" C1_HEX "/parent", C2);
    cr_assert(ls_inputs_changed(ls, &in));
    fx_rm(&f, "image/windowsfilter/layerdb/sha256/" C1_HEX "/parent");
    cr_assert_not(ls_inputs_changed(ls, &in));
    /* rewriting a file (new inode or size) is a change */
    fx_write(&f, L3 "/cache-id", CACHE3 "\n");
    cr_assert(ls_inputs_changed(ls, &in));
    ls_inputs_free(&in);
    ls_walk_free(&w);
    layerstore_close(ls);
}
