/* spec/mountopts.c: overlay2's mount data for a container's root (moby v20.10.24
 * daemon/graphdriver/overlay2/overlay.go Get):
 *
 *   indexOff + "lowerdir=" + join(path.Join(home, each `lower` element), ":") +
 *   ",upperdir=" + home/<id>/diff + ",workdir=" + home/<id>/work
 *
 * and, when that passes pageSize-1 bytes, the same relative to home (lowerdir=<lower as is>,
 * upperdir=<id>/diff, workdir=<id>/work). indexOff is "index=off," where
 * /sys/module/overlay/parameters/index exists. bundlefs checks every `lower` element against
 * the container's chain (init layer, then the image's layers top-most first) before anything
 * can reach mount(8); each hostile shape has its own error. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lfx.h"
#include "spec_internal.h"

static struct lfx x;

static void setup(void)
{
    lfx_init(&x, "overlay2");
    lfx_ctr(&x, CID1, NULL);
}

static void teardown(void)
{
    lfx_cleanup(&x);
}

struct mo {
    int r;
    char *out;
    size_t len;
    char *msg;
};

static struct mo render(const char *id, bool index)
{
    struct layerstore *ls = lfx_store(&x);
    struct ls_container *c = NULL;
    struct ls_walk w = {0};
    struct ls_host h = {.overlay_index = index};
    struct ls_inputs in = {0};
    struct bf_error err = BF_ERROR_INIT;
    struct mo m = {0};

    cr_assert_eq(layerstore_container_walk(ls, id, &c, NULL, &w, &in, &err), 0, "%s",
                 bf_error_message(&err));
    m.r = spec_render_mountopts(ls, c, &w, &h, &m.out, &m.len, &in, &err);
    if (m.r < 0) {
        cr_expect_null(m.out);
        m.msg = strdup(bf_error_message(&err));
    } else {
        cr_expect_eq(m.len, strlen(m.out));
    }
    bf_error_clear(&err);
    ls_inputs_free(&in);
    ls_walk_free(&w);
    ls_container_free(c);
    return m;
}

static void mo_free(struct mo *m)
{
    free(m->out);
    free(m->msg);
}

static const char *mount_id(void)
{
    return lfx_mount_id(CID1);
}

static void write_lower(const char *s)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "overlay2/%s/lower", mount_id());
    fx_write(&x.f, rel, s);
}

/* overlay2/l/LINK3 removed and made again pointing at `target` */
static void relink3(const char *target)
{
    fx_rm(&x.f, "overlay2/l/" LINK3);
    fx_symlink(&x.f, target, "overlay2/l/" LINK3);
}

/* "container <id>: overlay2/<mount>/lower: " + rest */
static char *lower_msg(const char *rest)
{
    char *s = NULL;
    cr_assert_geq(asprintf(&s, "container " CID1 ": overlay2/%s/lower: %s", mount_id(), rest), 0);
    return s;
}

Test(mountopts, valid_chain_absolute_form, .init = setup, .fini = teardown)
{
    char want[4096], home[512], mid[65];
    struct mo m = render(CID1, false);

    snprintf(mid, sizeof(mid), "%s", mount_id());
    snprintf(home, sizeof(home), "%s/overlay2", x.f.root);
    snprintf(want, sizeof(want),
             "lowerdir=%s/l/%s:%s/l/" LINK3 ":%s/l/" LINK2 ":%s/l/" LINK1
             ",upperdir=%s/%s/diff,workdir=%s/%s/work\n",
             home, lfx_init_link(CID1), home, home, home, home, mid, home, mid);
    cr_assert_eq(m.r, 0, "%s", m.msg);
    cr_expect_str_eq(m.out, want);
    mo_free(&m);
}

Test(mountopts, index_off_first_where_the_parameter_exists, .init = setup, .fini = teardown)
{
    struct mo m = render(CID1, true);
    cr_assert_eq(m.r, 0, "%s", m.msg);
    cr_expect_eq(strncmp(m.out, "index=off,lowerdir=", 19), 0, "%s", m.out);
    mo_free(&m);
}

Test(mountopts, through_the_bundle_overlay2_only, .init = setup, .fini = teardown)
{
    struct spec_bundle *b = lfx_gen(&x, CID1);
    const struct ls_host *h = layerstore_host(x.ls, NULL);
    char want[4096], home[512], mid[65];

    snprintf(mid, sizeof(mid), "%s", mount_id());
    snprintf(home, sizeof(home), "%s/overlay2", x.f.root);
    snprintf(want, sizeof(want),
             "%slowerdir=%s/l/%s:%s/l/" LINK3 ":%s/l/" LINK2 ":%s/l/" LINK1
             ",upperdir=%s/%s/diff,workdir=%s/%s/work\n",
             h->overlay_index ? "index=off," : "", home, lfx_init_link(CID1), home, home, home,
             home, mid, home, mid);
    cr_expect(!b->omit[SPEC_FILE_MOUNTOPTS]);
    cr_expect_eq(b->files[SPEC_FILE_MOUNTOPTS].err.code, 0, "%s",
                 bf_error_message(&b->files[SPEC_FILE_MOUNTOPTS].err));
    cr_expect_str_eq(b->files[SPEC_FILE_MOUNTOPTS].data, want);
    cr_expect_eq(b->files[SPEC_FILE_MOUNTOPTS].len, strlen(want));
    cr_expect_str_eq(spec_file_name(SPEC_FILE_MOUNTOPTS), "mountopts");
    spec_bundle_free(b);
}

/* Every input of a fresh bundle is as recorded: the l/ links are recorded as the freshness
 * check sees them (lstat), not as absent (which read as changed at every check, so every
 * overlay2 container was made anew on each one). Each path is recorded once. */
Test(mountopts, a_fresh_bundle_is_not_stale_and_a_repointed_link_is, .init = setup,
     .fini = teardown)
{
    struct spec_bundle *b = lfx_gen(&x, CID1);
    char rel[64];

    cr_assert_eq(b->files[SPEC_FILE_MOUNTOPTS].err.code, 0);
    cr_expect(!ls_inputs_changed(x.ls, &b->inputs));
    for (size_t i = 0; i < b->inputs.n; i++)
        for (size_t k = i + 1; k < b->inputs.n; k++)
            cr_expect_str_neq(b->inputs.v[i].rel, b->inputs.v[k].rel);
    snprintf(rel, sizeof(rel), "overlay2/l/%s", LINK3);
    cr_expect_not_null(ls_inputs_find(&b->inputs, rel));
    relink3("../" CACHE2 "/diff");
    cr_expect(ls_inputs_changed(x.ls, &b->inputs));
    spec_bundle_free(b);
}

Test(mountopts, a_broken_lower_fails_mountopts_only, .init = setup, .fini = teardown)
{
    struct spec_bundle *b;

    write_lower("l/" LINK3);
    b = lfx_gen(&x, CID1);
    cr_expect_neq(b->files[SPEC_FILE_MOUNTOPTS].err.code, 0);
    cr_expect_null(b->files[SPEC_FILE_MOUNTOPTS].data);
    cr_expect_eq(b->files[SPEC_FILE_CONFIG].err.code, 0, "%s",
                 bf_error_message(&b->files[SPEC_FILE_CONFIG].err));
    cr_expect_not_null(b->files[SPEC_FILE_LAYERPATHS].data);
    cr_expect_not_null(b->errors);
    cr_expect_not_null(strstr(b->errors, "overlay2/"), "%s", b->errors);
    spec_bundle_free(b);
}

Test(mountopts, vfs_has_no_mountopts)
{
    struct lfx v;
    struct spec_bundle *b;

    lfx_init(&v, "vfs");
    lfx_ctr(&v, CID1, NULL);
    b = lfx_gen(&v, CID1);
    cr_expect(b->omit[SPEC_FILE_MOUNTOPTS]);
    cr_expect_null(b->files[SPEC_FILE_MOUNTOPTS].data);
    cr_expect_eq(b->files[SPEC_FILE_MOUNTOPTS].err.code, 0);
    spec_bundle_free(b);
    lfx_cleanup(&v);
}

Test(mountopts, trailing_newline_of_lower_is_tolerated, .init = setup, .fini = teardown)
{
    char lower[256];
    snprintf(lower, sizeof(lower), "l/%s:l/" LINK3 ":l/" LINK2 ":l/" LINK1 "\n",
             lfx_init_link(CID1));
    write_lower(lower);
    struct mo m = render(CID1, false);
    cr_expect_eq(m.r, 0, "%s", m.msg);
    mo_free(&m);
}

/* ---- a long chain: the relative form ---- */

static void sha256_hex(const char *s, char out[65])
{
    SHA2_CTX ctx;
    uint8_t md[32];
    SHA256Init(&ctx);
    SHA256Update(&ctx, (const uint8_t *)s, strlen(s));
    SHA256Final(md, &ctx);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* An overlay2 image of n layers (diff IDs sha256:<%064x of 0x1000+i>), its layers' folders and
 * links (L + 25 digits), and container CID2 on it. Returns the relative `lower`. */
static char *long_chain(struct lfx *lx, int n)
{
    char(*chain)[72] = calloc((size_t)n, sizeof(*chain));
    char(*cache)[65] = calloc((size_t)n, sizeof(*cache));
    char(*link)[27] = calloc((size_t)n, sizeof(*link));
    size_t cap = (size_t)n * 80 + 4096;
    char *img = malloc(cap), *lower = calloc(1, cap), rel[256], target[128], hex[65];
    char img_hex[65];

    lfx_init(lx, "overlay2");
    snprintf(img, cap,
             "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
             "\"layers\",\"diff_ids\":[");
    for (int i = 0; i < n; i++) {
        char diff[72];
        snprintf(diff, sizeof(diff), "sha256:%064x", 0x1000 + i);
        snprintf(img + strlen(img), cap - strlen(img), "%s\"%s\"", i ? "," : "", diff);
        if (i == 0) {
            snprintf(chain[0], sizeof(chain[0]), "%s", diff);
        } else {
            char both[160];
            snprintf(both, sizeof(both), "%s %s", chain[i - 1], diff);
            sha256_hex(both, hex);
            snprintf(chain[i], sizeof(chain[i]), "sha256:%s", hex);
        }
        snprintf(cache[i], sizeof(cache[i]), "%064x", 0xc000 + i);
        snprintf(link[i], sizeof(link[i]), "L%025d", i);
        fx_layer(&lx->f, chain[i] + 7, diff, i ? chain[i - 1] : NULL, cache[i]);
        snprintf(rel, sizeof(rel), "overlay2/%s/diff", cache[i]);
        fx_mkdir(&lx->f, rel);
        snprintf(rel, sizeof(rel), "overlay2/l/%s", link[i]);
        snprintf(target, sizeof(target), "../%s/diff", cache[i]);
        fx_symlink(&lx->f, target, rel);
    }
    snprintf(img + strlen(img), cap - strlen(img), "]}}");
    fx_image(&lx->f, img, img_hex);
    /* the container on it: lfx_ctr with this image and top layer */
    snprintf(lx->img, sizeof(lx->img), "%s", img_hex);
    lfx_ctr(lx, CID2, &(struct lfx_ctr){.no_lower = true});
    snprintf(rel, sizeof(rel), "image/overlay2/layerdb/mounts/%s/parent", CID2);
    fx_write(&lx->f, rel, chain[n - 1]);
    snprintf(lower, cap, "l/%s", lfx_init_link(CID2));
    for (int i = n - 1; i >= 0; i--)
        snprintf(lower + strlen(lower), cap - strlen(lower), ":l/%s", link[i]);
    snprintf(rel, sizeof(rel), "overlay2/%s/lower", lfx_mount_id(CID2));
    fx_write(&lx->f, rel, lower);
    free(chain);
    free(cache);
    free(link);
    free(img);
    return lower;
}

static struct mo render_in(struct lfx *lx, const char *id, bool index)
{
    struct lfx save = x;
    x = *lx;
    struct mo m = render(id, index);
    *lx = x;
    x = save;
    return m;
}

Test(mountopts, long_chain_relative_form)
{
    struct lfx lx;
    char *lower = long_chain(&lx, LS_MAX_LAYERS);
    char mid[65], want[8192];
    long page = sysconf(_SC_PAGESIZE);

    snprintf(mid, sizeof(mid), "%s", lfx_mount_id(CID2));
    for (int index = 0; index < 2; index++) {
        struct mo m = render_in(&lx, CID2, index);
        cr_assert_eq(m.r, 0, "%s", m.msg);
        snprintf(want, sizeof(want), "%slowerdir=%s,upperdir=%s/diff,workdir=%s/work\n",
                 index ? "index=off," : "", lower, mid, mid);
        cr_expect_str_eq(m.out, want);
        /* Docker's rule: relative only because the absolute one passes a page */
        cr_expect_gt((long)strlen(lower) * 2, page, "the test needs a chain past a page");
        cr_expect_lt((long)strlen(m.out), page);
        mo_free(&m);
    }
    free(lower);
    lfx_cleanup(&lx);
}

Test(mountopts, chain_just_under_a_page_stays_absolute)
{
    /* With the 19-byte fixture root, home is 28 bytes and each absolute element 57: the
     * absolute form is 223 + 58 * (layers + 1) bytes. 65 image layers: 4051 <= 4095. */
    struct lfx lx;
    char *lower = long_chain(&lx, 65);
    long page = sysconf(_SC_PAGESIZE);

    cr_assert_eq(strlen(lx.f.root), 19, "fixture root length changed: %s", lx.f.root);
    if (page != 4096) {
        free(lower);
        lfx_cleanup(&lx);
        cr_skip_test("page size %ld", page);
    }
    struct mo m = render_in(&lx, CID2, false);
    cr_assert_eq(m.r, 0, "%s", m.msg);
    cr_expect_eq(strlen(m.out) - 1, 223 + 58 * 66);
    cr_expect_not_null(strstr(m.out, lx.f.root), "absolute: %.80s", m.out);
    mo_free(&m);
    /* index=off adds 10: 4061, still absolute */
    m = render_in(&lx, CID2, true);
    cr_expect_not_null(strstr(m.out, lx.f.root));
    mo_free(&m);
    free(lower);
    lfx_cleanup(&lx);

    /* 66 image layers: 4109 > 4095, relative */
    lower = long_chain(&lx, 66);
    m = render_in(&lx, CID2, false);
    cr_assert_eq(m.r, 0, "%s", m.msg);
    cr_expect_null(strstr(m.out, lx.f.root), "relative: %.80s", m.out);
    cr_expect_eq(strncmp(m.out, "lowerdir=l/", 11), 0);
    mo_free(&m);
    free(lower);
    lfx_cleanup(&lx);
}

/* ---- hostile `lower` files ---- */

Test(mountopts, element_not_a_link_name, .init = setup, .fini = teardown)
{
    static const struct {
        const char *elem, *shown;
    } cases[] = {
        {"l/SHORT", "l/SHORT"},
        {"../../../etc", "../../../etc"},
        {"/etc/passwd", "/etc/passwd"},
        {"l/aaaaaaaaaaaaaaaaaaaaaaaaa3", "l/aaaaaaaaaaaaaaaaaaaaaaaaa3"},   /* lower case */
        {"l/AAAAAAAAAAAAAAAAAAAAAAAAA3X", "l/AAAAAAAAAAAAAAAAAAAAAAAAA3X"}, /* 27 */
        {"l/AAAAAAAAAAAAAAAAAAAAAAAA/3", "l/AAAAAAAAAAAAAAAAAAAAAAAA/3"},
        {"x/AAAAAAAAAAAAAAAAAAAAAAAAA3", "x/AAAAAAAAAAAAAAAAAAAAAAAAA3"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char lower[256], rest[256];
        snprintf(lower, sizeof(lower), "l/%s:%s:l/" LINK2 ":l/" LINK1, lfx_init_link(CID1),
                 cases[i].elem);
        write_lower(lower);
        struct mo m = render(CID1, false);
        snprintf(rest, sizeof(rest), "element 2 (\"%s\") is not l/<26-character link name>",
                 cases[i].shown);
        char *want = lower_msg(rest);
        cr_expect_eq(m.r, -EINVAL, "%s", cases[i].elem);
        cr_expect_str_eq(m.msg, want);
        free(want);
        mo_free(&m);
    }
}

Test(mountopts, empty_lower_file, .init = setup, .fini = teardown)
{
    write_lower("");
    struct mo m = render(CID1, false);
    char *want = lower_msg("element 1 (\"\") is not l/<26-character link name>");
    cr_expect_str_eq(m.msg, want);
    free(want);
    mo_free(&m);
}

Test(mountopts, link_points_at_another_layer, .init = setup, .fini = teardown)
{
    /* LINK2 in the place of LINK3: a real link, but to the wrong layer */
    char lower[256];
    snprintf(lower, sizeof(lower), "l/%s:l/" LINK2 ":l/" LINK2 ":l/" LINK1, lfx_init_link(CID1));
    write_lower(lower);
    struct mo m = render(CID1, false);
    char *want = lower_msg("element 2: overlay2/l/" LINK2 " points elsewhere, but layer 2 of the "
                           "chain is overlay2/" CACHE3 "/diff");
    cr_expect_eq(m.r, -EINVAL);
    cr_expect_str_eq(m.msg, want);
    free(want);
    mo_free(&m);
}

Test(mountopts, link_out_of_the_root, .init = setup, .fini = teardown)
{
    relink3("/etc");
    struct mo m = render(CID1, false);
    char *want = lower_msg("element 2: overlay2/l/" LINK3 " points elsewhere, but layer 2 of the "
                           "chain is overlay2/" CACHE3 "/diff");
    cr_expect_str_eq(m.msg, want);
    free(want);
    mo_free(&m);

    /* relative escape */
    relink3("../../../" CACHE3 "/diff");
    m = render(CID1, false);
    cr_expect_eq(m.r, -EINVAL);
    cr_expect_not_null(strstr(m.msg, "points elsewhere"), "%s", m.msg);
    mo_free(&m);
}

Test(mountopts, missing_link, .init = setup, .fini = teardown)
{
    fx_rm(&x.f, "overlay2/l/" LINK1);
    struct mo m = render(CID1, false);
    char *want = lower_msg("element 4: overlay2/l/" LINK1 " No such file or directory, but layer "
                           "4 of the chain is overlay2/" CACHE1 "/diff");
    cr_expect_eq(m.r, -EINVAL);
    cr_expect_str_eq(m.msg, want);
    free(want);
    mo_free(&m);
}

Test(mountopts, link_folder_is_a_symlink, .init = setup, .fini = teardown)
{
    fx_mv(&x.f, "overlay2/l", "elsewhere");
    fx_symlink(&x.f, "../elsewhere", "overlay2/l");
    struct mo m = render(CID1, false);
    cr_expect_lt(m.r, 0);
    cr_expect_null(m.out);
    cr_expect_eq(strncmp(m.msg, "container " CID1 ": ", 75), 0, "%s", m.msg);
    mo_free(&m);
}

Test(mountopts, too_many_elements, .init = setup, .fini = teardown)
{
    char lower[256];
    snprintf(lower, sizeof(lower), "l/%s:l/" LINK3 ":l/" LINK2 ":l/" LINK1 ":l/" LINK1,
             lfx_init_link(CID1));
    write_lower(lower);
    struct mo m = render(CID1, false);
    char *want = lower_msg("more layers than the container's chain (4)");
    cr_expect_eq(m.r, -EINVAL);
    cr_expect_str_eq(m.msg, want);
    free(want);
    mo_free(&m);
}

Test(mountopts, too_few_elements, .init = setup, .fini = teardown)
{
    char lower[256];
    snprintf(lower, sizeof(lower), "l/%s:l/" LINK3 ":l/" LINK2, lfx_init_link(CID1));
    write_lower(lower);
    struct mo m = render(CID1, false);
    char *want = lower_msg("3 layers, but the container's chain has 4");
    cr_expect_eq(m.r, -EINVAL);
    cr_expect_str_eq(m.msg, want);
    free(want);
    mo_free(&m);

    /* the init layer left out: every element is then one place off */
    snprintf(lower, sizeof(lower), "l/" LINK3 ":l/" LINK2 ":l/" LINK1);
    write_lower(lower);
    m = render(CID1, false);
    cr_expect_not_null(strstr(m.msg, "element 1: overlay2/l/" LINK3 " points elsewhere"), "%s",
                       m.msg);
    mo_free(&m);
}

Test(mountopts, missing_diff_folder, .init = setup, .fini = teardown)
{
    char rel[128], want[512];
    snprintf(rel, sizeof(rel), "overlay2/%s/diff", mount_id());
    fx_rm(&x.f, rel);
    struct mo m = render(CID1, false);
    snprintf(want, sizeof(want), "container " CID1 ": overlay2/%s/diff: no such directory",
             mount_id());
    cr_expect_eq(m.r, -ENOENT);
    cr_expect_str_eq(m.msg, want);
    mo_free(&m);

    /* a file there is no better */
    fx_write(&x.f, rel, "x");
    m = render(CID1, false);
    snprintf(want, sizeof(want), "container " CID1 ": overlay2/%s/diff: not a directory",
             mount_id());
    cr_expect_str_eq(m.msg, want);
    mo_free(&m);
}

/* A folder mount(8) is handed must be the data-root's own, never a link out of it (overlay's
 * workdir cleanup deletes what is in a linked work folder; a linked layer shows its target). */
Test(mountopts, linked_work_or_upper_folder, .init = setup, .fini = teardown)
{
    static const char *const parts[] = {"work", "diff"};
    for (size_t i = 0; i < 2; i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "overlay2/%s/%s", mount_id(), parts[i]);
        fx_rm(&x.f, rel);
        fx_symlink(&x.f, "/tmp", rel);
        struct mo m = render(CID1, false);
        cr_expect_lt(m.r, 0, "%s: a link is refused", parts[i]);
        cr_expect(m.msg && strstr(m.msg, "link"), "%s: %s", parts[i], m.msg ? m.msg : "(none)");
        mo_free(&m);
        fx_rm(&x.f, rel);
        fx_mkdir(&x.f, rel);
    }
}

Test(mountopts, missing_lower_file, .init = setup, .fini = teardown)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "overlay2/%s/lower", mount_id());
    fx_rm(&x.f, rel);
    struct mo m = render(CID1, false);
    cr_expect_lt(m.r, 0);
    cr_expect_eq(strncmp(m.msg, "container " CID1 ": ", 75), 0, "%s", m.msg);
    cr_expect_not_null(strstr(m.msg, "lower"), "%s", m.msg);
    mo_free(&m);
}

/* ---- the short links kept with the cache (layerstore_overlay_link) ---- */

static bool link_recorded(const char *link)
{
    struct layerstore *ls = lfx_store(&x);
    struct ls_container *c = NULL;
    struct ls_walk w = {0};
    struct ls_host h = {0};
    struct ls_inputs in = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL, rel[64];
    size_t len;
    bool rec;

    cr_assert_eq(layerstore_container_walk(ls, CID1, &c, NULL, &w, &in, &err), 0, "%s",
                 bf_error_message(&err));
    cr_assert_eq(spec_render_mountopts(ls, c, &w, &h, &out, &len, &in, &err), 0, "%s",
                 bf_error_message(&err));
    snprintf(rel, sizeof(rel), "overlay2/l/%s", link);
    rec = ls_inputs_find(&in, rel) != NULL;
    free(out);
    ls_inputs_free(&in);
    ls_walk_free(&w);
    ls_container_free(c);
    return rec;
}

Test(mountopts, links_from_the_cache_are_what_the_folder_says, .init = setup, .fini = teardown)
{
    struct mo plain = render(CID1, false), a, b;
    struct ls_cache_stats st;

    cr_assert_eq(plain.r, 0, "%s", plain.msg);
    cr_assert_eq(layerstore_cache_enable(lfx_store(&x), 0, INT64_MAX), 0);
    a = render(CID1, false);
    b = render(CID1, false);
    cr_assert_eq(a.r, 0, "%s", a.msg);
    cr_assert_eq(b.r, 0, "%s", b.msg);
    cr_expect_str_eq(a.out, plain.out);
    cr_expect_str_eq(b.out, plain.out);
    layerstore_cache_stats(lfx_store(&x), &st);
    cr_expect_geq(st.memo_hits, 3, "the image's three links came from the cache (%llu)",
                  (unsigned long long)st.memo_hits);
    cr_expect(link_recorded(LINK3), "a link from the cache is an input all the same");
    mo_free(&plain);
    mo_free(&a);
    mo_free(&b);
}

Test(mountopts, a_replaced_link_is_seen, .init = setup, .fini = teardown)
{
    struct mo m;

    /* trusted: the cached target stands until the watcher says something changed */
    cr_assert_eq(layerstore_cache_enable(lfx_store(&x), 0, INT64_MAX), 0);
    m = render(CID1, false);
    cr_assert_eq(m.r, 0, "%s", m.msg);
    mo_free(&m);
    relink3("../" CACHE2 "/diff");
    m = render(CID1, false);
    cr_expect_eq(m.r, 0, "still trusted: %s", m.msg ? m.msg : "");
    mo_free(&m);
    layerstore_cache_invalidate(lfx_store(&x));
    m = render(CID1, false);
    cr_expect_eq(m.r, -EINVAL);
    cr_expect(m.msg && strstr(m.msg, "overlay2/l/" LINK3 " points elsewhere"), "%s",
              m.msg ? m.msg : "(none)");
    mo_free(&m);

    /* checked at every use (trust 0): seen without an invalidation */
    relink3("../" CACHE3 "/diff");
    cr_assert_eq(layerstore_cache_enable(lfx_store(&x), 0, 0), 0);
    m = render(CID1, false);
    cr_assert_eq(m.r, 0, "%s", m.msg);
    mo_free(&m);
    relink3("../" CACHE2 "/diff");
    m = render(CID1, false);
    cr_expect_eq(m.r, -EINVAL, "%s", m.msg ? m.msg : "");
    mo_free(&m);
}

Test(mountopts, overlay_link_reads_one_short_link_and_nothing_else, .init = setup, .fini = teardown)
{
    struct layerstore *ls = lfx_store(&x);
    struct bf_error err = BF_ERROR_INIT;
    struct ls_inputs in = {0};
    char buf[256];
    int lerr = -1;

    for (int cached = 0; cached < 2; cached++) {
        if (cached)
            cr_assert_eq(layerstore_cache_enable(ls, 0, INT64_MAX), 0);
        cr_assert_eq(layerstore_overlay_link(ls, LINK3, buf, sizeof(buf), &lerr, &in, &err), 0,
                     "%s", bf_error_message(&err));
        cr_expect_eq(lerr, 0);
        cr_expect_str_eq(buf, "../" CACHE3 "/diff");
        /* a name is one short link's: nothing else of the folder, or above it, is reached */
        const char *bad[] = {"../l/" LINK3, "..", ".", "", LINK3 "/", "a" LINK3};
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
            cr_expect_eq(layerstore_overlay_link(ls, bad[i], buf, sizeof(buf), &lerr, &in, &err),
                         -EINVAL, "\"%s\" was read: %s", bad[i], buf);
            cr_expect_not_null(strstr(bf_error_message(&err), "not a short link name"), "%s",
                               bf_error_message(&err));
            bf_error_clear(&err);
        }
    }
    /* a file or a folder of that name is not a link: EINVAL, as readlink(2) says */
    fx_rm(&x.f, "overlay2/l/" LINK3);
    fx_write(&x.f, "overlay2/l/" LINK3, "x");
    fx_rm(&x.f, "overlay2/l/" LINK2);
    fx_mkdir(&x.f, "overlay2/l/" LINK2);
    layerstore_cache_invalidate(ls);
    cr_assert_eq(layerstore_overlay_link(ls, LINK3, buf, sizeof(buf), &lerr, &in, &err), 0);
    cr_expect_eq(lerr, EINVAL, "%d", lerr);
    cr_assert_eq(layerstore_overlay_link(ls, LINK2, buf, sizeof(buf), &lerr, &in, &err), 0);
    cr_expect_eq(lerr, EINVAL, "%d", lerr);
    fx_rm(&x.f, "overlay2/l/" LINK2);
    cr_assert_eq(layerstore_overlay_link(ls, LINK2, buf, sizeof(buf), &lerr, &in, &err), 0);
    cr_expect_eq(lerr, ENOENT, "%d", lerr);
    ls_inputs_free(&in);
}

/* A link replaced (renamed over, as a new one is) while it is read: whatever target is returned,
 * its inputs must say "changed" unless that target is the link's now. */
#include <pthread.h>
#include <stdatomic.h>

struct swapper {
    char tmp[512], dst[512]; /* made before the thread starts */
    atomic_uint seq; /* odd while a swap is under way */
    atomic_int stop;
    unsigned swaps;
};

static void *swap_links(void *p)
{
    struct swapper *s = p;

    while (!atomic_load(&s->stop)) {
        /* targets of two lengths: an inode number reused within one clock tick still differs */
        (void)symlink(s->swaps % 2 ? "../" CACHE2 "/diff/" : "../" CACHE3 "/diff", s->tmp);
        atomic_fetch_add(&s->seq, 1);
        (void)rename(s->tmp, s->dst);
        atomic_fetch_add(&s->seq, 1);
        s->swaps++;
    }
    return NULL;
}

Test(mountopts, a_link_replaced_while_read_is_a_change, .init = setup, .fini = teardown)
{
    struct layerstore *ls = lfx_store(&x);
    struct bf_error err = BF_ERROR_INIT;
    struct swapper s = {0};
    const char *env = getenv("BF_SWAP_ROUNDS");
    unsigned missed = 0, rounds = env ? (unsigned)atoi(env) : 3000;
    char buf[256], now[256];
    pthread_t th;

    /* the paths made here, not by fx_path in both threads at once */
    snprintf(s.tmp, sizeof(s.tmp), "%s", fx_path(&x.f, "overlay2/l/TMPLINK"));
    snprintf(s.dst, sizeof(s.dst), "%s", fx_path(&x.f, "overlay2/l/" LINK3));
    cr_assert_eq(pthread_create(&th, NULL, swap_links, &s), 0);
    for (unsigned i = 0; i < rounds; i++) {
        struct ls_inputs in = {0};
        int lerr;
        cr_assert_eq(layerstore_overlay_link(ls, LINK3, buf, sizeof(buf), &lerr, &in, &err), 0,
                     "%s", bf_error_message(&err));
        for (;;) { /* the link as it is now, and its stamp's verdict, with no swap between */
            unsigned seq = atomic_load(&s.seq);
            ssize_t n = readlink(s.dst, now, sizeof(now) - 1);
            now[n > 0 ? n : 0] = '\0';
            bool stale = lerr == 0 && strcmp(buf, now) != 0 && !ls_inputs_changed(ls, &in);
            if (seq % 2 == 0 && atomic_load(&s.seq) == seq) {
                missed += stale;
                break;
            }
        }
        ls_inputs_free(&in);
    }
    atomic_store(&s.stop, 1);
    pthread_join(th, NULL);
    cr_log_info("%u reads, %u swaps", rounds, s.swaps);
    cr_expect_eq(missed, 0, "%u of %u reads kept a target their stamp does not have", missed,
                 rounds);
}
