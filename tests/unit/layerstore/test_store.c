/* Opening a data-root: driver detection, path rendering, file reading, case-insensitive
 * lookup, and the inputs list. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "layerstore.h"

static struct fx f;

static void teardown(void)
{
    fx_cleanup(&f);
}

TestSuite(store, .fini = teardown, .timeout = 20);

static char *open_error(const char *root, const char *driver)
{
    struct ls_options o = {.driver = driver};
    struct layerstore *ls = NULL;
    struct bf_error err = BF_ERROR_INIT;
    int r = layerstore_open(root, &o, &ls, &err);
    cr_assert_lt(r, 0, "open should fail");
    cr_assert_null(ls);
    char *m = strdup(bf_error_message(&err));
    bf_error_clear(&err);
    return m;
}

static struct layerstore *open_ok(const char *root, const char *driver, const char *hostroot)
{
    struct ls_options o = {.driver = driver, .hostroot = hostroot};
    struct layerstore *ls = NULL;
    struct bf_error err = BF_ERROR_INIT;
    int r = layerstore_open(root, &o, &ls, &err);
    cr_assert_eq(r, 0, "open: %s", bf_error_message(&err));
    return ls;
}

Test(store, detects_each_driver)
{
    const char *names[] = {"windowsfilter", "overlay2", "vfs"};
    enum ls_driver want[] = {LS_DRIVER_WINDOWSFILTER, LS_DRIVER_OVERLAY2, LS_DRIVER_VFS};
    for (int i = 0; i < 3; i++) {
        fx_init(&f, names[i]);
        fx_write(&f, "image/README", "files next to driver folders are ignored");
        struct layerstore *ls = open_ok(f.root, NULL, NULL);
        cr_assert_eq(layerstore_driver(ls), want[i]);
        cr_assert_str_eq(ls_driver_name(layerstore_driver(ls)), names[i]);
        cr_assert_not(layerstore_windows_paths(ls));
        layerstore_close(ls);
        fx_cleanup(&f);
    }
}

Test(store, unsupported_detected_driver)
{
    fx_init(&f, "aufs");
    char *m = open_error(f.root, NULL);
    cr_assert_str_eq(m,
                     "image/aufs: unsupported storage driver \"aufs\" (supported: windowsfilter, "
                     "overlay2, vfs)");
    free(m);
}

Test(store, unsupported_named_driver)
{
    fx_init(&f, "windowsfilter");
    char *m = open_error(f.root, "zfs");
    cr_assert_str_eq(m, "unsupported storage driver \"zfs\" (supported: windowsfilter, overlay2, "
                        "vfs)");
    free(m);
}

Test(store, several_drivers_need_a_name)
{
    fx_init(&f, "vfs");
    fx_mkdir(&f, "image/overlay2");
    fx_mkdir(&f, "image/aufs");
    char *m = open_error(f.root, NULL);
    cr_assert_str_eq(m, "image: contains several storage drivers (aufs, overlay2, vfs); name one "
                        "explicitly");
    free(m);
    struct layerstore *ls = open_ok(f.root, "overlay2", NULL);
    cr_assert_eq(layerstore_driver(ls), LS_DRIVER_OVERLAY2);
    layerstore_close(ls);
}

Test(store, named_driver_must_exist)
{
    fx_init(&f, "windowsfilter");
    char *m = open_error(f.root, "vfs");
    cr_assert_str_eq(m, "storage driver vfs: image/vfs: no such file or directory");
    free(m);
}

Test(store, not_a_data_root)
{
    fx_init(&f, NULL);
    char *m = open_error(f.root, NULL);
    cr_assert_str_eq(m, "cannot detect the storage driver (is this a Docker data-root?): image: "
                        "no such file or directory");
    free(m);
    fx_mkdir(&f, "image");
    m = open_error(f.root, NULL);
    cr_assert_str_eq(m, "image: no storage driver directory found (is this a Docker data-root?)");
    free(m);
}

Test(store, missing_data_root)
{
    fx_init(&f, NULL);
    char path[256];
    snprintf(path, sizeof(path), "%s/nope", f.root);
    char *m = open_error(path, NULL);
    char want[512];
    snprintf(want, sizeof(want), "%s: cannot open data-root: No such file or directory", path);
    cr_assert_str_eq(m, want);
    free(m);
}

Test(store, symlinked_driver_directory)
{
    fx_init(&f, NULL);
    fx_mkdir(&f, "real-windowsfilter");
    fx_symlink(&f, "../real-windowsfilter", "image/windowsfilter");
    char *m = open_error(f.root, NULL);
    cr_assert_str_eq(
        m, "image/windowsfilter: is a symbolic link or passes through one (links are never "
           "followed)");
    free(m);
    m = open_error(f.root, "windowsfilter");
    cr_assert_str_eq(m, "storage driver windowsfilter: image/windowsfilter: is a symbolic link or "
                        "passes through one (links are never followed)");
    free(m);
}

Test(store, symlinked_image_directory)
{
    fx_init(&f, NULL);
    fx_mkdir(&f, "real-image/vfs");
    fx_symlink(&f, "real-image", "image");
    char *m = open_error(f.root, NULL);
    cr_assert_str_eq(m, "cannot detect the storage driver (is this a Docker data-root?): image: "
                        "is a symbolic link or passes through one (links are never followed)");
    free(m);
}

Test(store, root_is_made_absolute)
{
    fx_init(&f, "vfs");
    char messy[256];
    snprintf(messy, sizeof(messy), "%s/./", f.root);
    struct layerstore *ls = open_ok(messy, NULL, NULL);
    cr_assert_str_eq(layerstore_root(ls), f.root);
    char *p = layerstore_path(ls, "vfs/dir/x");
    char want[256];
    snprintf(want, sizeof(want), "%s/vfs/dir/x", f.root);
    cr_assert_str_eq(p, want);
    free(p);
    layerstore_close(ls);
    cr_assert_eq(chdir("/tmp"), 0);
    ls = open_ok(f.root + strlen("/tmp/"), NULL, NULL);
    cr_assert_str_eq(layerstore_root(ls), f.root);
    layerstore_close(ls);
}

Test(store, hostroot_rendering)
{
    fx_init(&f, "windowsfilter");
    struct layerstore *ls = open_ok(f.root, NULL, "C:\\ProgramData\\docker\\");
    cr_assert(layerstore_windows_paths(ls));
    char *p = layerstore_path(ls, "windowsfilter/abc");
    cr_assert_str_eq(p, "C:\\ProgramData\\docker\\windowsfilter\\abc");
    free(p);
    /* the local root stays available */
    cr_assert_str_eq(layerstore_root(ls), f.root);
    layerstore_close(ls);
    struct ls_options o = {.hostroot = ""};
    struct bf_error err = BF_ERROR_INIT;
    cr_assert_lt(layerstore_open(f.root, &o, &ls, &err), 0);
    cr_assert_str_eq(bf_error_message(&err), "host root: empty Windows path");
    bf_error_clear(&err);
}

Test(store, read_file_records_input)
{
    fx_init(&f, "windowsfilter");
    fx_write(&f, "config/daemon.json", "{}");
    struct layerstore *ls = open_ok(f.root, NULL, NULL);
    struct ls_inputs in = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *buf = NULL;
    size_t len = 0;
    cr_assert_eq(layerstore_read_file(ls, "config/daemon.json", 100, &buf, &len, &in, &err), 0);
    cr_assert_str_eq(buf, "{}");
    cr_assert_eq(len, 2);
    free(buf);
    cr_assert_eq(in.n, 1);
    cr_assert_str_eq(in.v[0].rel, "config/daemon.json");
    cr_assert(in.v[0].stamp.exists);
    cr_assert_eq(in.v[0].stamp.size, 2);
    /* cap */
    cr_assert_lt(layerstore_read_file(ls, "config/daemon.json", 1, &buf, &len, &in, &err), 0);
    cr_assert_str_eq(bf_error_message(&err),
                     "config/daemon.json: file too large (2 bytes, limit 1)");
    /* absent: an error, recorded as absent */
    cr_assert_eq(layerstore_read_file(ls, "config/nope", 100, &buf, &len, &in, &err), -ENOENT);
    cr_assert_str_eq(bf_error_message(&err), "config/nope: no such file or directory");
    cr_assert_eq(in.n, 2, "each path once: the second read of daemon.json adds nothing");
    cr_assert_not(in.v[1].stamp.exists);
    cr_assert_not(ls_inputs_changed(ls, &in));
    fx_write(&f, "config/nope", "x");
    cr_assert(ls_inputs_changed(ls, &in));
    /* climbing out is refused before any syscall */
    cr_assert_lt(layerstore_read_file(ls, "../etc/passwd", 100, &buf, &len, NULL, &err), 0);
    cr_assert_str_eq(bf_error_message(&err),
                     "../etc/passwd: refusing a path that is absolute, empty or climbs with ..");
    bf_error_clear(&err);
    ls_inputs_free(&in);
    layerstore_close(ls);
}

Test(store, lookup_ci)
{
    fx_init(&f, "windowsfilter");
    fx_write(&f, "credentialspecs/a.json", "{}");
    struct layerstore *ls = open_ok(f.root, NULL, NULL);
    struct ls_inputs in = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *found = NULL;
    cr_assert_eq(layerstore_lookup_ci(ls, "", "CredentialSpecs", &found, &in, &err), 0);
    cr_assert_str_eq(found, "credentialspecs");
    free(found);
    cr_assert_eq(in.n, 1);
    cr_assert_str_eq(in.v[0].rel, ".");
    cr_assert_eq(layerstore_lookup_ci(ls, "credentialspecs", "A.JSON", &found, NULL, &err), 0);
    cr_assert_str_eq(found, "a.json");
    free(found);
    cr_assert_eq(layerstore_lookup_ci(ls, "credentialspecs", "b.json", &found, NULL, &err), 0);
    cr_assert_null(found);
    /* absent directory: not found, not an error */
    cr_assert_eq(layerstore_lookup_ci(ls, "nowhere", "x", &found, NULL, &err), 0);
    cr_assert_null(found);
    /* an exact match wins over other case variants */
    fx_write(&f, "credentialspecs/B.json", "{}");
    fx_write(&f, "credentialspecs/b.json", "{}");
    fx_write(&f, "credentialspecs/b.JSON", "{}");
    cr_assert_eq(layerstore_lookup_ci(ls, "credentialspecs", "b.JSON", &found, NULL, &err), 0);
    cr_assert_str_eq(found, "b.JSON");
    free(found);
    cr_assert_eq(layerstore_lookup_ci(ls, "credentialspecs", "B.Json", &found, NULL, &err), 0);
    cr_assert_str_eq(found, "B.json"); /* first in byte order */
    free(found);
    /* a new entry changes the directory's stamp */
    cr_assert_not(ls_inputs_changed(ls, &in));
    fx_mkdir(&f, "CredentialSpecs");
    cr_assert(ls_inputs_changed(ls, &in));
    /* a symlinked directory is an error */
    fx_symlink(&f, "credentialspecs", "linked");
    cr_assert_lt(layerstore_lookup_ci(ls, "linked", "a.json", &found, NULL, &err), 0);
    cr_assert_str_eq(bf_error_message(&err),
                     "linked: is a symbolic link or passes through one (links are never followed)");
    bf_error_clear(&err);
    ls_inputs_free(&in);
    layerstore_close(ls);
}

/* ls_inputs (inputs.c): each path once with its first stamp, in reading order, found by
 * path before and after ls_inputs_seal (which puts the paths in one block), whatever their
 * number and lengths (past a block's size too). */
Test(store, inputs_keep_each_path_once_across_blocks_and_seal)
{
    struct ls_inputs in = {0};
    enum { N = 5000 };
    static char rel[N][300];

    for (int i = 0; i < N; i++) {
        int len = 1 + (i * 7919) % 280;
        for (int k = 0; k < len; k++)
            rel[i][k] = (char)('a' + (i + k) % 26);
        snprintf(rel[i] + len, sizeof(rel[i]) - (size_t)len, "/%d", i);
        cr_assert_eq(ls_inputs_add(&in, rel[i], &(struct bf_stamp){.size = i}), 0);
        cr_assert_eq(ls_inputs_add(&in, rel[i / 2], &(struct bf_stamp){.size = -1}), 0,
                     "a path recorded again is a no-op");
    }
    cr_assert_eq(in.n, N);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N; i++) {
            const struct bf_stamp *st = ls_inputs_find(&in, rel[i]);
            cr_assert_not_null(st, "%s", rel[i]);
            cr_assert_eq(st->size, i, "the first stamp is kept");
            cr_assert_str_eq(in.v[i].rel, rel[i], "reading order");
        }
        ls_inputs_seal(&in);
    }
    cr_assert_eq(ls_inputs_add(&in, "after/seal", &(struct bf_stamp){0}), 0);
    cr_assert_eq(ls_inputs_add(&in, rel[7], &(struct bf_stamp){0}), 0);
    cr_assert_eq(in.n, N + 1);
    cr_assert_str_eq(in.v[N].rel, "after/seal");
    cr_assert_str_eq(in.v[7].rel, rel[7]);
    ls_inputs_free(&in);
    cr_assert_eq(in.n, 0);
}

/* layerstore_probe_in gives what layerstore_probe gives, entry by entry: answers, modes,
 * messages and records, through a kept folder, a folder changing between probes, a missing
 * folder, a linked folder and a link where an entry belongs. */
Test(store, probe_in_a_folder_is_probe)
{
    static const char *const rels[] = {
        "c/a/file",  "c/a/dir",      "c/a/none",  "c/a/link",  "c/b/file", "c/a/file",
        "c/gone/x",  "c/gone/y",     "c/ln/file", "c/a/dir/x", "c/a",      "c/a/dir",
    };
    fx_init(&f, "windowsfilter");
    fx_write(&f, "c/a/file", "1");
    fx_mkdir(&f, "c/a/dir");
    fx_symlink(&f, "file", "c/a/link");
    fx_write(&f, "c/b/file", "22");
    fx_symlink(&f, "a", "c/ln");
    fx_write(&f, "c/a/dir/x", "333");
    struct layerstore *ls = open_ok(f.root, NULL, NULL);
    struct ls_inputs plain = {0}, kept = {0};
    struct ls_probe_dir pd = LS_PROBE_DIR_INIT;

    for (size_t i = 0; i < sizeof(rels) / sizeof(*rels); i++) {
        struct bf_error e1 = BF_ERROR_INIT, e2 = BF_ERROR_INIT;
        bool x1 = true, x2 = false;
        mode_t m1 = 1, m2 = 2;
        int r1 = layerstore_probe(ls, rels[i], &x1, &m1, &plain, &e1);
        int r2 = layerstore_probe_in(ls, &pd, rels[i], &x2, &m2, &kept, &e2);
        cr_assert_eq(r2, r1, "%s: %d (%s), plain %d (%s)", rels[i], r2, bf_error_message(&e2),
                     r1, bf_error_message(&e1));
        if (r1 < 0) {
            cr_assert_str_eq(bf_error_message(&e2), bf_error_message(&e1), "%s", rels[i]);
        } else {
            cr_assert_eq(x2, x1, "%s", rels[i]);
            cr_assert_eq(m2, m1, "%s", rels[i]);
        }
        bf_error_clear(&e1);
        bf_error_clear(&e2);
    }
    layerstore_probe_done(&pd);
    cr_assert_eq(pd.fd, -1);
    cr_assert_eq(kept.n, plain.n);
    for (size_t i = 0; i < plain.n; i++) {
        const struct bf_stamp *s = ls_inputs_find(&kept, plain.v[i].rel);
        cr_assert_not_null(s, "%s recorded", plain.v[i].rel);
        cr_assert_eq(s->exists, plain.v[i].stamp.exists, "%s", plain.v[i].rel);
        cr_assert_eq(s->ino, plain.v[i].stamp.ino, "%s", plain.v[i].rel);
    }
    ls_inputs_free(&plain);
    ls_inputs_free(&kept);
    layerstore_close(ls);
}
