/* layerstore_rootfs_read: a file of a container's root through its layers, on fixture roots.
 *
 * The expected results are those of Docker on the mounted root (moby/sys/symlink's
 * FollowSymlinkInScope over an overlayfs mount, then os.Open), written out by hand here; the
 * rules were also compared with that Go code on real overlay mounts of random layer trees.
 * Whiteouts (mknod 0/0) and trusted.* xattrs need root, which these tests have; without it
 * they are skipped, saying so.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixture.h"
#include "layerstore.h"

#define UP "overlay2/" MOUNT_OV "/diff"
#define INIT "overlay2/" MOUNT_OV "-init/diff"
#define L3 "overlay2/" CACHE3 "/diff" /* the image's top layer */
#define L2 "overlay2/" CACHE2 "/diff"
#define L1 "overlay2/" CACHE1 "/diff" /* its base layer */
#define VFS "vfs/dir/" MOUNT_OV
#define MERGED "/overlay2/" MOUNT_OV "/merged"

static struct fx f;
static struct layerstore *ls;
static struct ls_container *ct;
static struct ls_walk w;

static void teardown(void)
{
    ls_container_free(ct);
    ct = NULL;
    ls_walk_free(&w);
    layerstore_close(ls);
    ls = NULL;
    fx_cleanup(&f);
}

#ifdef ROOTFS_MEMO
/* Every test again with the cache on and trusted for no time (meson.build). */
#define rootfs rootfs_memo
#endif
TestSuite(rootfs, .fini = teardown, .timeout = 20);

/* The standard root (3-layer image, container CID1 with an init layer), every layer folder
 * created and empty. */
static void setup(const char *driver)
{
    struct ls_options o = {0};
    struct bf_error err = BF_ERROR_INIT;

    fx_std(&f, driver);
    if (strcmp(driver, "vfs") == 0) {
        fx_mkdir(&f, VFS);
    } else {
        fx_mkdir(&f, UP);
        fx_mkdir(&f, INIT);
        fx_mkdir(&f, L3);
        fx_mkdir(&f, L2);
        fx_mkdir(&f, L1);
    }
    cr_assert_eq(layerstore_open(f.root, &o, &ls, &err), 0, "%s", bf_error_message(&err));
#ifdef ROOTFS_MEMO
    cr_assert_eq(layerstore_cache_enable(ls, 0, 0), 0);
#endif
    cr_assert_eq(layerstore_container_walk(ls, CID1, &ct, NULL, &w, NULL, &err), 0, "%s",
                 bf_error_message(&err));
}

struct res {
    int rc;
    bool found;
    char *data;
    size_t len;
    char msg[8192];
};

static struct res rd_cap(const char *path, size_t cap, struct ls_inputs *in)
{
    struct res r = {0};
    struct bf_error err = BF_ERROR_INIT;

    r.rc = layerstore_rootfs_read(ls, ct, &w, path, cap, &r.data, &r.len, &r.found, in, &err);
    if (r.rc < 0) {
        cr_assert_eq(r.rc, -err.code);
        cr_assert_null(r.data);
        cr_assert(!r.found);
        snprintf(r.msg, sizeof(r.msg), "%s", bf_error_message(&err));
    } else {
        cr_assert_eq(err.code, 0);
        cr_assert(r.found == (r.data != NULL));
    }
    bf_error_clear(&err);
    return r;
}

static struct res rd(const char *path)
{
    return rd_cap(path, LS_CAP_ROOTFS_FILE, NULL);
}

static void expect_data(const char *path, const char *want)
{
    struct res r = rd(path);
    cr_assert_eq(r.rc, 0, "%s: %s", path, r.msg);
    cr_assert(r.found, "%s: not found", path);
    cr_assert_eq(r.len, strlen(want), "%s: %zu bytes", path, r.len);
    cr_assert_str_eq(r.data, want, "%s", path);
    free(r.data);
}

static void expect_absent(const char *path)
{
    struct res r = rd(path);
    cr_assert_eq(r.rc, 0, "%s: %s", path, r.msg);
    cr_assert(!r.found, "%s: found \"%s\"", path, r.data ? r.data : "");
}

/* The message with "<R>" in place of the fixture root. */
static void expect_error(const char *path, int code, const char *want)
{
    struct res r = rd(path);
    char full[8192];
    const char *at = strstr(want, "<R>");

    if (at)
        snprintf(full, sizeof(full), "%.*s%s%s", (int)(at - want), want, f.root, at + 3);
    else
        snprintf(full, sizeof(full), "%s", want);
    cr_assert_eq(r.rc, -code, "%s: rc %d (%s)", path, r.rc, r.msg);
    cr_assert_str_eq(r.msg, full, "%s", path);
}

static bool need_root(void)
{
    if (geteuid() != 0) {
        cr_skip_test("needs root: whiteouts are device nodes, opaque marks trusted.* xattrs");
        return false;
    }
    return true;
}

static void whiteout(const char *rel)
{
    const char *p = fx_path(&f, rel);
    cr_assert_eq(mknod(p, S_IFCHR | 0600, makedev(0, 0)), 0, "mknod %s: %s", p, strerror(errno));
}

static void set_opaque(const char *rel, const char *value)
{
    const char *p = fx_path(&f, rel);
    cr_assert_eq(setxattr(p, "trusted.overlay.opaque", value, strlen(value), 0), 0,
                 "setxattr %s: %s", p, strerror(errno));
}

/* ---- layers ---- */

Test(rootfs, file_in_the_base_layer)
{
    setup("overlay2");
    fx_write(&f, L1 "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    expect_data("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    expect_absent("/etc/group");
    expect_absent("/nonexistent/passwd");
}

Test(rootfs, higher_layers_win)
{
    setup("overlay2");
    fx_write(&f, L1 "/etc/passwd", "base\n");
    fx_write(&f, L2 "/etc/passwd", "middle\n");
    expect_data("/etc/passwd", "middle\n");
    fx_write(&f, INIT "/etc/passwd", "init\n");
    expect_data("/etc/passwd", "init\n");
    fx_write(&f, UP "/etc/passwd", "container\n");
    expect_data("/etc/passwd", "container\n");
    /* Directories merge: each file comes from the highest layer that has it. */
    fx_write(&f, L1 "/etc/group", "root:x:0:\n");
    expect_data("/etc/group", "root:x:0:\n");
}

Test(rootfs, paths_are_cleaned_as_filepath_join_does)
{
    setup("overlay2");
    fx_write(&f, L1 "/etc/passwd", "p\n");
    expect_data("etc/passwd", "p\n");
    expect_data("/../etc/./passwd", "p\n");
    expect_data("//etc//passwd/", "p\n");
}

Test(rootfs, whiteout_char_device_hides_lower_layers)
{
    if (!need_root())
        return;
    setup("overlay2");
    fx_write(&f, L1 "/etc/passwd", "base\n");
    fx_mkdir(&f, L3 "/etc");
    whiteout(L3 "/etc/passwd");
    expect_absent("/etc/passwd");
    /* A file put back above the whiteout is seen again. */
    fx_write(&f, UP "/etc/passwd", "again\n");
    expect_data("/etc/passwd", "again\n");
}

Test(rootfs, whiteout_of_a_directory_hides_everything_in_it)
{
    if (!need_root())
        return;
    setup("overlay2");
    fx_write(&f, L1 "/etc/passwd", "base\n");
    whiteout(L2 "/etc");
    expect_absent("/etc/passwd");
    /* A new /etc above the whiteout starts empty: nothing below it shows through. */
    fx_write(&f, UP "/etc/group", "g\n");
    expect_absent("/etc/passwd");
    expect_data("/etc/group", "g\n");
}

Test(rootfs, aufs_whiteout_names_are_ordinary_files)
{
    /* overlayfs gives .wh.<name> and .wh..wh..opq no meaning; Docker's overlay2 turns them
     * into device nodes and xattrs when it extracts a layer, so none is ever on disk. */
    setup("overlay2");
    fx_write(&f, L1 "/etc/passwd", "base\n");
    fx_write(&f, L3 "/etc/.wh.passwd", "");
    fx_write(&f, L3 "/etc/.wh..wh..opq", "");
    expect_data("/etc/passwd", "base\n");
    expect_data("/etc/.wh.passwd", "");
}

Test(rootfs, opaque_directory_hides_the_layers_below)
{
    if (!need_root())
        return;
    setup("overlay2");
    fx_write(&f, L1 "/etc/passwd", "base\n");
    fx_write(&f, L1 "/etc/group", "base-group\n");
    fx_write(&f, L2 "/etc/group", "g\n");
    set_opaque(L2 "/etc", "y");
    expect_absent("/etc/passwd");
    expect_data("/etc/group", "g\n");
    /* Only the exact value "y" counts (ovl_check_dir_xattr). */
    set_opaque(L2 "/etc", "yes");
    expect_data("/etc/passwd", "base\n");
    set_opaque(L2 "/etc", "n");
    expect_data("/etc/passwd", "base\n");
}

Test(rootfs, a_non_directory_below_a_directory_ends_the_merge)
{
    setup("overlay2");
    fx_mkdir(&f, UP "/etc");
    fx_write(&f, L3 "/etc", "a file named etc\n");
    fx_write(&f, L1 "/etc/passwd", "hidden\n");
    expect_absent("/etc/passwd");
}

Test(rootfs, a_file_where_a_directory_is_needed)
{
    /* Lstat of /etc/passwd under a file /etc fails with ENOTDIR, which FollowSymlinkInScope
     * returns: Docker fails the container start with it. */
    setup("overlay2");
    fx_write(&f, L3 "/etc", "a file\n");
    fx_write(&f, L1 "/etc/passwd", "hidden\n");
    expect_error("/etc/passwd", ENOTDIR, "lstat <R>" MERGED "/etc/passwd: not a directory");
}

Test(rootfs, a_directory_in_place_of_the_file)
{
    /* os.Open of a directory works; its first read fails: the caller gets Go's read error. */
    setup("overlay2");
    fx_mkdir(&f, L2 "/etc/passwd");
    expect_error("/etc/passwd", EISDIR, "read <R>" MERGED "/etc/passwd: is a directory");
    expect_error("/", EISDIR, "read <R>" MERGED ": is a directory");
}

/* ---- links ---- */

Test(rootfs, relative_link_through_the_layers)
{
    setup("overlay2");
    fx_symlink(&f, "../usr/share/base-passwd/passwd", L3 "/etc/passwd");
    fx_write(&f, L1 "/usr/share/base-passwd/passwd", "from usr\n");
    expect_data("/etc/passwd", "from usr\n");
    /* The link's target is looked up in the merged root, not in the link's own layer. */
    fx_write(&f, UP "/usr/share/base-passwd/passwd", "container's copy\n");
    expect_data("/etc/passwd", "container's copy\n");
}

Test(rootfs, absolute_link_restarts_at_the_root)
{
    setup("overlay2");
    fx_symlink(&f, "/usr/lib/passwd", UP "/etc/passwd");
    fx_write(&f, L2 "/usr/lib/passwd", "abs\n");
    expect_data("/etc/passwd", "abs\n");
    /* A link in a middle component, to a directory. */
    fx_symlink(&f, "/usr/etc", L1 "/etc2");
    fx_write(&f, L1 "/usr/etc/group", "via dir link\n");
    expect_data("/etc2/group", "via dir link\n");
}

Test(rootfs, links_never_leave_the_root)
{
    setup("overlay2");
    /* The host has /etc/os-release and /proc/self/root; the container's root has neither. */
    fx_symlink(&f, "../../../../../../../../etc/os-release", L1 "/etc/passwd");
    expect_absent("/etc/passwd");
    fx_write(&f, L1 "/etc/os-release", "the container's own\n");
    expect_data("/etc/passwd", "the container's own\n");
    fx_symlink(&f, "/proc/self/root/etc/shadow", L1 "/etc/group");
    expect_absent("/etc/group");
    fx_write(&f, L2 "/proc/self/root/etc/shadow", "inside\n");
    expect_data("/etc/group", "inside\n");
    /* ".." climbs no further than the root, even through a link. */
    fx_symlink(&f, "..", L1 "/up");
    fx_write(&f, L1 "/x", "x\n");
    expect_data("/up/up/up/x", "x\n");
}

Test(rootfs, dotdot_is_lexical_as_in_evalSymlinksInScope)
{
    /* "missing/../group" is "/etc/group" to Docker (the kernel would say ENOENT). */
    setup("overlay2");
    fx_symlink(&f, "missing/../group", L1 "/etc/passwd");
    fx_write(&f, L1 "/etc/group", "g\n");
    expect_data("/etc/passwd", "g\n");
}

Test(rootfs, link_loop_is_too_many_links)
{
    setup("overlay2");
    fx_symlink(&f, "passwd", L1 "/etc/passwd");
    expect_error("/etc/passwd", ELOOP,
                 "evalSymlinksInScope: too many links in <R>" MERGED "/etc/passwd");
    /* Pointing at itself the escaping way is the same loop. */
    fx_rm(&f, L1 "/etc/passwd");
    fx_symlink(&f, "../../../../etc/passwd", L1 "/etc/passwd");
    expect_error("/etc/passwd", ELOOP,
                 "evalSymlinksInScope: too many links in <R>" MERGED "/etc/passwd");
}

Test(rootfs, the_limit_counts_components_not_links)
{
    /* maxIter 255 counts every component: "/etc/passwd" costs three ("", "etc", "passwd"),
     * each further link in a chain one more. A chain of 253 links fits (its file is the 256th
     * component, n = 255), one of 254 does not. Far more than the kernel's 40. */
    setup("overlay2");
    char rel[128], target[32];
    for (int i = 0; i < 253; i++) {
        snprintf(rel, sizeof(rel), L1 "/etc/l%d", i);
        snprintf(target, sizeof(target), "l%d", i + 1);
        fx_symlink(&f, target, rel);
    }
    fx_write(&f, L1 "/etc/l253", "end\n");
    fx_symlink(&f, "l1", L1 "/etc/passwd");
    expect_data("/etc/passwd", "end\n"); /* passwd -> l1 -> ... -> l253: 253 links */
    fx_rm(&f, L1 "/etc/passwd");
    fx_symlink(&f, "l0", L1 "/etc/passwd");
    expect_error("/etc/passwd", ELOOP,
                 "evalSymlinksInScope: too many links in <R>" MERGED "/etc/passwd");
}

Test(rootfs, dangling_link_is_absent)
{
    setup("overlay2");
    fx_symlink(&f, "/nowhere/passwd", L1 "/etc/passwd");
    expect_absent("/etc/passwd");
}

/* ---- what is not a regular file, sizes ---- */

Test(rootfs, fifo_is_refused_without_blocking)
{
    setup("overlay2");
    fx_mkfifo(&f, L2 "/etc/passwd");
    expect_error("/etc/passwd", EINVAL,
                 L2 "/etc/passwd: /etc/passwd of the container is a FIFO, not a regular file");
}

Test(rootfs, socket_is_absent)
{
    /* open(2) of a socket is ENXIO: GetExecUserPath treats the file as missing. */
    setup("overlay2");
    fx_mkdir(&f, L2 "/etc");
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char cwd[4096];
    cr_assert(getcwd(cwd, sizeof(cwd)));
    cr_assert_eq(chdir(fx_path(&f, L2 "/etc")), 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "passwd");
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
    cr_assert_eq(chdir(cwd), 0);
    close(fd);
    expect_absent("/etc/passwd");
}

Test(rootfs, device_node_is_refused)
{
    if (!need_root())
        return;
    setup("overlay2");
    fx_mkdir(&f, L2 "/etc");
    const char *p = fx_path(&f, L2 "/etc/passwd");
    cr_assert_eq(mknod(p, S_IFCHR | 0600, makedev(1, 3)), 0, "%s", strerror(errno));
    expect_error("/etc/passwd", EINVAL,
                 L2 "/etc/passwd: /etc/passwd of the container is a character device, not a "
                    "regular file");
}

Test(rootfs, file_over_the_cap)
{
    cr_assert_eq(LS_CAP_ROOTFS_FILE, 16u << 20);
    setup("overlay2");
    fx_write(&f, L1 "/etc/passwd", "0123456789abcdefX");
    struct res r = rd_cap("/etc/passwd", 16, NULL);
    cr_assert_eq(r.rc, -EFBIG);
    cr_assert_str_eq(r.msg, L1 "/etc/passwd: file too large (17 bytes, limit 16)");
    r = rd_cap("/etc/passwd", 17, NULL);
    cr_assert_eq(r.rc, 0);
    cr_assert_str_eq(r.data, "0123456789abcdefX");
    free(r.data);
}

Test(rootfs, long_names_and_paths)
{
    setup("overlay2");
    char name[300], path[400];
    memset(name, 'n', 256);
    name[256] = '\0';
    snprintf(path, sizeof(path), "/etc/%s", name);
    char want[600];
    fx_mkdir(&f, L1 "/etc");
    snprintf(want, sizeof(want), "lstat <R>" MERGED "/etc/%s: file name too long", name);
    expect_error(path, ENAMETOOLONG, want);
    /* 255 bytes is a name like any other; under a missing directory nothing is looked up. */
    name[255] = '\0';
    snprintf(path, sizeof(path), "/etc/%s", name);
    expect_absent(path);
    memset(name, 'n', 256);
    snprintf(path, sizeof(path), "/missing/%s", name);
    expect_absent(path);
    /* The whole host path is limited to PATH_MAX (4096 with its NUL), names or not. */
    char longp[4400] = "";
    memset(name, 'd', 200);
    name[200] = '\0';
    while (strlen(longp) < 4100) {
        strcat(longp, "/");
        strcat(longp, name);
    }
    struct res r = rd(longp);
    cr_assert_eq(r.rc, -ENAMETOOLONG, "%s", r.msg);
    cr_assert(strstr(r.msg, ": file name too long"), "%s", r.msg);
}

/* ---- layer folders, drivers, containers ---- */

Test(rootfs, missing_layer_folder)
{
    setup("overlay2");
    fx_rm(&f, L2);
    expect_error("/etc/passwd", ENOENT, L2 ": layer directory does not exist");
}

Test(rootfs, container_without_init_layer)
{
    setup("overlay2");
    fx_write(&f, INIT "/etc/passwd", "init\n");
    fx_write(&f, L1 "/etc/passwd", "base\n");
    free(ct->init_id);
    ct->init_id = NULL;
    expect_data("/etc/passwd", "base\n");
}

Test(rootfs, vfs_reads_the_containers_own_copy)
{
    setup("vfs");
    fx_write(&f, VFS "/etc/passwd", "vfs\n");
    expect_data("/etc/passwd", "vfs\n");
    fx_symlink(&f, "../usr/passwd", VFS "/etc/group");
    fx_write(&f, VFS "/usr/passwd", "linked\n");
    expect_data("/etc/group", "linked\n");
    /* No layers below, and no whiteouts: vfs applies them when it copies. */
    fx_write(&f, "vfs/dir/" CACHE1 "/etc/shadow", "image layer\n");
    expect_absent("/etc/shadow");
    fx_mkfifo(&f, VFS "/etc/shadow");
    expect_error("/etc/shadow", EINVAL,
                 VFS "/etc/shadow: /etc/shadow of the container is a FIFO, not a regular file");
    expect_error("/etc", EISDIR, "read <R>/" VFS "/etc: is a directory");
    if (geteuid() == 0) {
        /* No whiteouts in vfs: a device 0:0 is a device, whose open(2) is ENXIO. */
        const char *p = fx_path(&f, VFS "/etc/gshadow");
        cr_assert_eq(mknod(p, S_IFCHR | 0600, makedev(0, 0)), 0, "%s", strerror(errno));
        expect_absent("/etc/gshadow");
    }
}

Test(rootfs, windowsfilter_is_refused)
{
    struct ls_options o = {0};
    struct bf_error err = BF_ERROR_INIT;
    fx_std(&f, "windowsfilter");
    cr_assert_eq(layerstore_open(f.root, &o, &ls, &err), 0, "%s", bf_error_message(&err));
    cr_assert_eq(layerstore_container_walk(ls, CID1, &ct, NULL, &w, NULL, &err), 0, "%s",
                 bf_error_message(&err));
    expect_error("/etc/passwd", EINVAL,
                 "container " CID1 ": reading its root filesystem needs overlay2 or vfs, not "
                 "windowsfilter");
}

/* ---- change detection ---- */

static bool changed_after(struct ls_inputs *in)
{
    bool c = ls_inputs_changed(ls, in);
    ls_inputs_free(in);
    return c;
}

Test(rootfs, every_entry_looked_at_is_an_input)
{
    setup("overlay2");
    struct ls_inputs in = {0};
    struct res r;

    fx_write(&f, L1 "/etc/passwd", "base\n");
    r = rd_cap("/etc/passwd", LS_CAP_ROOTFS_FILE, &in);
    cr_assert(r.found);
    free(r.data);
    cr_assert(!ls_inputs_changed(ls, &in), "nothing changed yet");
    /* A copy appearing in a higher layer (where /etc was absent) is a change. */
    fx_write(&f, UP "/etc/passwd", "new\n");
    cr_assert(changed_after(&in));

    r = rd_cap("/etc/passwd", LS_CAP_ROOTFS_FILE, &in);
    free(r.data);
    cr_assert(!ls_inputs_changed(ls, &in));
    fx_write(&f, UP "/etc/passwd", "newer and longer\n");
    cr_assert(changed_after(&in));

    /* A link's target changing is seen through the link's own stamp. */
    fx_rm(&f, UP "/etc/passwd");
    fx_symlink(&f, "/usr/p", UP "/etc/passwd");
    r = rd_cap("/etc/passwd", LS_CAP_ROOTFS_FILE, &in);
    cr_assert(!r.found);
    cr_assert(!ls_inputs_changed(ls, &in), "a link is a stable input");
    fx_write(&f, L3 "/usr/p", "appeared\n");
    cr_assert(changed_after(&in));
    expect_data("/etc/passwd", "appeared\n");
}

Test(rootfs, a_new_whiteout_is_a_change)
{
    if (!need_root())
        return;
    setup("overlay2");
    struct ls_inputs in = {0};
    fx_write(&f, L1 "/etc/passwd", "base\n");
    fx_mkdir(&f, L2 "/etc");
    struct res r = rd_cap("/etc/passwd", LS_CAP_ROOTFS_FILE, &in);
    free(r.data);
    whiteout(L2 "/etc/passwd");
    cr_assert(changed_after(&in));
    r = rd_cap("/etc/passwd", LS_CAP_ROOTFS_FILE, &in);
    cr_assert(!r.found);
    ls_inputs_free(&in);
}

/* ---- the memo (the image layers' answers, kept with the cache) ---- */

/* A reading of path with the cache on and trusted for ever, so the memo is used whenever it
 * has the value; the inputs recorded. */
static struct res rd_in(const char *path, struct ls_inputs *in)
{
    return rd_cap(path, LS_CAP_ROOTFS_FILE, in);
}

static void trusted_cache(void)
{
    cr_assert_eq(layerstore_cache_enable(ls, 0, INT64_MAX), 0);
}

static bool same_inputs(const struct ls_inputs *a, const struct ls_inputs *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct bf_stamp *s = ls_inputs_find(b, a->v[i].rel);
        if (!s || s->exists != a->v[i].stamp.exists || s->ino != a->v[i].stamp.ino ||
            s->mtime_ns != a->v[i].stamp.mtime_ns)
            return false;
    }
    return true;
}

Test(rootfs, memo_answers_as_the_layers_do)
{
    setup("overlay2");
    struct ls_inputs plain = {0}, first = {0}, second = {0};
    struct ls_cache_stats st;
    struct res a, b, c;

    fx_write(&f, L1 "/etc/passwd", "root:x:0:0::/:/bin/sh\n");
    fx_write(&f, L2 "/etc/group", "root:x:0:\n");
    fx_mkdir(&f, INIT "/etc");
    a = rd_in("/etc/passwd", &plain); /* no cache yet: read through the layers */
    trusted_cache();
    b = rd_in("/etc/passwd", &first);
    c = rd_in("/etc/passwd", &second);
    layerstore_cache_stats(ls, &st);
    cr_assert(a.found && b.found && c.found);
    cr_assert_str_eq(b.data, a.data);
    cr_assert_str_eq(c.data, a.data);
    cr_assert_eq(c.len, a.len);
    cr_assert_gt(st.memo_hits, 0, "the second reading used the memo");
    cr_assert(same_inputs(&plain, &first) && same_inputs(&first, &plain), "same inputs");
    cr_assert(same_inputs(&plain, &second) && same_inputs(&second, &plain),
              "a memo hit records what reading records");
    free(a.data);
    free(b.data);
    free(c.data);
    ls_inputs_free(&plain);
    ls_inputs_free(&first);
    ls_inputs_free(&second);
    expect_data("/etc/group", "root:x:0:\n");
}

Test(rootfs, memo_follows_the_cache_invalidation)
{
    setup("overlay2");
    trusted_cache();
    fx_write(&f, L1 "/etc/passwd", "old\n");
    expect_data("/etc/passwd", "old\n");
    /* trusted: the layers are not looked at again until the watcher says so */
    fx_write(&f, L2 "/etc/passwd", "newer\n");
    expect_data("/etc/passwd", "old\n");
    layerstore_cache_invalidate(ls);
    expect_data("/etc/passwd", "newer\n");
    /* a file's bytes likewise */
    fx_write(&f, L2 "/etc/passwd", "rewritten\n");
    layerstore_cache_invalidate(ls);
    expect_data("/etc/passwd", "rewritten\n");
}

Test(rootfs, memo_keeps_an_absent_answer_too)
{
    setup("overlay2");
    trusted_cache();
    fx_mkdir(&f, L1 "/etc");
    expect_absent("/etc/passwd");
    expect_absent("/etc/group");
    /* trusted: absent in every image layer stays the answer until the watcher says otherwise,
     * as a file found does (the layers are not asked again) */
    fx_write(&f, L1 "/etc/passwd", "appeared\n");
    expect_absent("/etc/passwd");
    layerstore_cache_invalidate(ls);
    expect_data("/etc/passwd", "appeared\n");
}

Test(rootfs, memo_checks_its_stamps_after_the_trust_period)
{
    setup("overlay2");
    cr_assert_eq(layerstore_cache_enable(ls, 0, 0), 0); /* every use checks */
    fx_write(&f, L1 "/etc/passwd", "old\n");
    expect_data("/etc/passwd", "old\n");
    fx_write(&f, L1 "/etc/passwd", "rewritten\n");
    expect_data("/etc/passwd", "rewritten\n");
    /* a folder appearing above the parent's merge: the child's answer is another one */
    fx_mkdir(&f, L3 "/etc");
    fx_write(&f, L3 "/etc/passwd", "top\n");
    expect_data("/etc/passwd", "top\n");
    fx_rm(&f, L3 "/etc/passwd");
    expect_data("/etc/passwd", "rewritten\n");
}

Test(rootfs, memo_is_per_stack_of_layer_folders)
{
    setup("overlay2");
    struct bf_error err = BF_ERROR_INIT;
    trusted_cache();
    fx_write(&f, L1 "/etc/passwd", "base\n");
    expect_data("/etc/passwd", "base\n");
    /* the same chain over other folders (a cache-id rewritten): nothing of the old one */
    ls_walk_free(&w);
    ls_container_free(ct);
    ct = NULL;
    fx_mkdir(&f, "overlay2/" CACHE3 "x/diff/etc");
    fx_write(&f, "overlay2/" CACHE3 "x/diff/etc/passwd", "other\n");
    cr_assert_eq(layerstore_container_walk(ls, CID1, &ct, NULL, &w, NULL, &err), 0, "%s",
                 bf_error_message(&err));
    free(w.layers[0].rel);
    w.layers[0].rel = strdup("overlay2/" CACHE3 "x/diff");
    expect_data("/etc/passwd", "other\n");
}

Test(rootfs, a_layer_only_the_memo_has_counts_as_used)
{
    setup("overlay2");
    trusted_cache();
    fx_write(&f, L1 "/etc/passwd", "base\n");
    cr_assert(!layerstore_cache_may_use_layer(ls, CACHE1), "a new cache has no layer");
    expect_data("/etc/passwd", "base\n");
    cr_assert(layerstore_cache_may_use_layer(ls, CACHE1));
    cr_assert(!layerstore_cache_may_use_layer(ls, MOUNT_OV), "the container's own layer is not");
}

#ifndef ROOTFS_MEMO
/* Random layer trees (files, folders, opaque folders, whiteouts, links) read with the cache
 * trusted for ever, twice, and after the container's own layers change under the kept image
 * answers: every result (found, bytes, error text) is the one a reading without the cache
 * gives. */
static const char *const rnd_names[] = {"etc", "etc/passwd", "etc/group", "a", "a/b", "l"};
static const char *const rnd_targets[] = {"/etc", "../etc/passwd", "a/b", "/a", "etc", "/l", ".."};
static const char *const rnd_reads[] = {"/etc/passwd", "/etc/group", "/a/b", "/l/passwd",
                                        "/l", "/a/b/passwd", "/etc/../a/b"};

static void rnd_layer(const char *layer, unsigned *seed, bool whiteouts)
{
    char rel[256];

    fx_rm(&f, layer);
    fx_mkdir(&f, layer);
    for (size_t i = 0; i < sizeof(rnd_names) / sizeof(*rnd_names); i++) {
        snprintf(rel, sizeof(rel), "%s/%s", layer, rnd_names[i]);
        if (strchr(rnd_names[i], '/')) { /* only inside a folder of this layer */
            char parent[256];
            struct stat st;
            snprintf(parent, sizeof(parent), "%s", fx_path(&f, rel));
            *strrchr(parent, '/') = '\0';
            if (lstat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
                continue;
        }
        switch (rand_r(seed) % 7) {
        case 0:
        case 1:
            break; /* absent */
        case 2:
            fx_mkdir(&f, rel);
            if (whiteouts && rand_r(seed) % 3 == 0)
                set_opaque(rel, "y");
            break;
        case 3:
            fx_writef(&f, rel, "%s in %s %u\n", rnd_names[i], layer, rand_r(seed) % 100);
            break;
        case 4:
            fx_symlink(&f, rnd_targets[rand_r(seed) % (sizeof(rnd_targets) / sizeof(char *))],
                       rel);
            break;
        case 5:
            if (whiteouts)
                whiteout(rel);
            break;
        default:
            fx_mkdir(&f, rel);
        }
    }
}

static void rnd_compare(struct layerstore *plain, struct layerstore *cached, unsigned round)
{
    for (size_t i = 0; i < sizeof(rnd_reads) / sizeof(*rnd_reads); i++) {
        struct res a = {0}, b = {0};
        struct bf_error ea = BF_ERROR_INIT, eb = BF_ERROR_INIT;
        a.rc = layerstore_rootfs_read(plain, ct, &w, rnd_reads[i], 64, &a.data, &a.len, &a.found,
                                      NULL, &ea);
        b.rc = layerstore_rootfs_read(cached, ct, &w, rnd_reads[i], 64, &b.data, &b.len,
                                      &b.found, NULL, &eb);
        cr_assert_eq(b.rc, a.rc, "round %u %s: %d (%s) with the memo, %d (%s) without", round,
                     rnd_reads[i], b.rc, bf_error_message(&eb), a.rc, bf_error_message(&ea));
        cr_assert_eq(b.found, a.found, "round %u %s", round, rnd_reads[i]);
        if (a.rc < 0)
            cr_assert_str_eq(bf_error_message(&eb), bf_error_message(&ea), "round %u %s", round,
                             rnd_reads[i]);
        if (a.found) {
            cr_assert_eq(b.len, a.len, "round %u %s", round, rnd_reads[i]);
            cr_assert_str_eq(b.data, a.data, "round %u %s", round, rnd_reads[i]);
        }
        free(a.data);
        free(b.data);
        bf_error_clear(&ea);
        bf_error_clear(&eb);
    }
}

Test(rootfs, memo_equals_reading_on_random_trees)
{
    bool root = geteuid() == 0;
    struct ls_options o = {0};
    struct bf_error err = BF_ERROR_INIT;
    struct layerstore *cached = NULL;
    unsigned seed = 20261202;

    setup("overlay2");
    for (unsigned round = 0; round < 150; round++) {
        const char *image[] = {L3, L2, L1}, *own[] = {UP, INIT};
        for (size_t k = 0; k < 3; k++)
            rnd_layer(image[k], &seed, root);
        for (size_t k = 0; k < 2; k++)
            rnd_layer(own[k], &seed, root);
        cr_assert_eq(layerstore_open(f.root, &o, &cached, &err), 0, "%s", bf_error_message(&err));
        cr_assert_eq(layerstore_cache_enable(cached, 0, INT64_MAX), 0);
        rnd_compare(ls, cached, round); /* fills the memo */
        rnd_compare(ls, cached, round); /* answers from it */
        for (int again = 0; again < 3; again++) {
            /* another container's own layers over the same kept image answers */
            for (size_t k = 0; k < 2; k++)
                rnd_layer(own[k], &seed, root);
            rnd_compare(ls, cached, round);
        }
        layerstore_close(cached);
        cached = NULL;
    }
}
#endif

#ifndef ROOTFS_MEMO
/* A model check over one cache kept for the whole run: the layers change one entry at a time
 * (a file rewritten, a folder made opaque or not, a whiteout, a link, a folder turned into a
 * link...), and after each change every read with the cache is compared with one without it.
 * Checked every stamp (trust 0) or trusted and invalidated, the result, bytes, error text and
 * inputs (paths and stamps) must be the uncached reading's; trusted and not invalidated, any
 * answer that differs must be seen as stale through its inputs. The container alternates with
 * and without its init layer (the memo's layer indexes are relative to the image's). */
static const char *const mc_names[] = {"etc",   "etc/passwd", "etc/group", "etc/sub",
                                       "etc/sub/f", "a",      "a/b",       "a/b/c",
                                       "l",     "etc/l"};
static const char *const mc_targets[] = {"/etc", "../etc/passwd", "a/b", "/a", "etc", "/l",
                                         "..",   "sub",           "passwd", "/etc/sub/f", "f"};
static const char *const mc_reads[] = {"/etc/passwd", "/etc/group", "/a/b",       "/a/b/c",
                                       "/l/passwd",   "/l",         "/etc/sub/f", "/etc/l",
                                       "/etc/l/f",    "/a/b/c/d",   "/etc/../a/b", "/nothere",
                                       "/etc/nothere", "/l/sub/f"};

static bool mc_stamp_eq(const struct bf_stamp *a, const struct bf_stamp *b)
{
    return a->exists == b->exists && (!a->exists || (a->ino == b->ino && a->dev == b->dev &&
                                                     a->size == b->size && a->mode == b->mode &&
                                                     a->mtime_ns == b->mtime_ns &&
                                                     a->ctime_ns == b->ctime_ns));
}

/* Same paths, each with the same stamp. */
static bool mc_same_inputs(const struct ls_inputs *a, const struct ls_inputs *b, char *why,
                           size_t cap)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct ls_inputs *x = pass ? b : a, *y = pass ? a : b;
        for (size_t i = 0; i < x->n; i++) {
            const struct bf_stamp *s = ls_inputs_find(y, x->v[i].rel);
            if (!s || !mc_stamp_eq(s, &x->v[i].stamp)) {
                snprintf(why, cap, "%s %s", x->v[i].rel,
                         !s ? (pass ? "only with the cache" : "only without the cache")
                            : "stamped differently");
                return false;
            }
        }
    }
    return true;
}

static void mc_mutate(unsigned *seed, const char *const *layers, size_t n_layers)
{
    const char *layer = layers[rand_r(seed) % n_layers];
    const char *name = mc_names[rand_r(seed) % (sizeof(mc_names) / sizeof(*mc_names))];
    char rel[256], parent[256];
    struct stat st;

    snprintf(rel, sizeof(rel), "%s/%s", layer, name);
    for (const char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
        /* its folders first */
        snprintf(parent, sizeof(parent), "%s/%.*s", layer, (int)(s - name), name);
        if (lstat(fx_path(&f, parent), &st) != 0 || !S_ISDIR(st.st_mode)) {
            fx_rm(&f, parent);
            fx_mkdir(&f, parent);
        }
    }
    switch (rand_r(seed) % 9) {
    case 0:
        fx_rm(&f, rel);
        break;
    case 1:
        fx_rm(&f, rel);
        fx_mkdir(&f, rel);
        break;
    case 2: /* opaque or not, the folder kept */
        if (lstat(fx_path(&f, rel), &st) != 0 || !S_ISDIR(st.st_mode)) {
            fx_rm(&f, rel);
            fx_mkdir(&f, rel);
        }
        if (rand_r(seed) % 2)
            set_opaque(rel, "y");
        else
            (void)removexattr(fx_path(&f, rel), "trusted.overlay.opaque");
        break;
    case 3:
    case 4: /* a file (rewritten in place when one is there) */
        if (lstat(fx_path(&f, rel), &st) != 0 || !S_ISREG(st.st_mode))
            fx_rm(&f, rel);
        fx_writef(&f, rel, "%s in %s %u\n", name, layer, rand_r(seed) % 1000);
        break;
    case 5:
    case 6:
        fx_rm(&f, rel);
        fx_symlink(&f, mc_targets[rand_r(seed) % (sizeof(mc_targets) / sizeof(*mc_targets))],
                   rel);
        break;
    case 7:
        fx_rm(&f, rel);
        whiteout(rel);
        break;
    default: /* the layer's own folder: a path where the search must go on or stop */
        fx_rm(&f, rel);
        fx_mkfifo(&f, rel);
    }
}

/* 0: every stamp checked; 1: trusted and invalidated; 2: trusted, not invalidated. */
static unsigned mc_compare(struct layerstore *cached, int mode, unsigned step)
{
    unsigned stale = 0;
    for (size_t i = 0; i < sizeof(mc_reads) / sizeof(*mc_reads); i++) {
        struct res a = {0}, b = {0};
        struct ls_inputs ia = {0}, ib = {0};
        struct bf_error ea = BF_ERROR_INIT, eb = BF_ERROR_INIT;
        char why[512] = "";
        a.rc = layerstore_rootfs_read(ls, ct, &w, mc_reads[i], 64, &a.data, &a.len, &a.found,
                                      &ia, &ea);
        b.rc = layerstore_rootfs_read(cached, ct, &w, mc_reads[i], 64, &b.data, &b.len,
                                      &b.found, &ib, &eb);
        bool same = b.rc == a.rc && b.found == a.found &&
                    (a.rc == 0 || strcmp(bf_error_message(&ea), bf_error_message(&eb)) == 0) &&
                    (!a.found || (a.len == b.len && memcmp(a.data, b.data, a.len) == 0));
        if (mode < 2) {
            cr_assert(same, "step %u mode %d %s: %d %s (%s) with the cache, %d %s (%s) without",
                      step, mode, mc_reads[i], b.rc, b.found ? b.data : "-",
                      bf_error_message(&eb), a.rc, a.found ? a.data : "-",
                      bf_error_message(&ea));
            cr_assert(mc_same_inputs(&ia, &ib, why, sizeof(why)), "step %u mode %d %s: %s", step,
                      mode, mc_reads[i], why);
        } else if (!same) {
            stale++;
            cr_assert(ls_inputs_changed(ls, &ib),
                      "step %u %s: a stale answer (%d %s, now %d %s) its inputs call fresh", step,
                      mc_reads[i], b.rc, b.found ? b.data : "-", a.rc, a.found ? a.data : "-");
        }
        free(a.data);
        free(b.data);
        ls_inputs_free(&ia);
        ls_inputs_free(&ib);
        bf_error_clear(&ea);
        bf_error_clear(&eb);
    }
    return stale;
}

Test(rootfs, memo_model_check_over_a_changing_root)
{
    if (!need_root())
        return;
    const char *env = getenv("BF_MC_STEPS");
    unsigned steps = env ? (unsigned)atoi(env) : 300, seed = 20261203, stale = 0;
    struct ls_options o = {0};
    struct bf_error err = BF_ERROR_INIT;
    struct layerstore *cached = NULL;
    const char *layers[] = {L3, L2, L1, L3, L2, L1, UP, INIT};
    char *init_id;

    if (getenv("BF_MC_SEED"))
        seed = (unsigned)atoi(getenv("BF_MC_SEED"));
    setup("overlay2");
    init_id = ct->init_id;
    cr_assert_eq(layerstore_open(f.root, &o, &cached, &err), 0, "%s", bf_error_message(&err));
    cr_assert_eq(layerstore_cache_enable(cached, 0, 0), 0);
    for (unsigned step = 0; step < steps; step++) {
        int mode = (int)(step / 50 % 3);
        mc_mutate(&seed, layers, sizeof(layers) / sizeof(*layers));
        if (rand_r(&seed) % 2)
            mc_mutate(&seed, layers, sizeof(layers) / sizeof(*layers));
        ct->init_id = rand_r(&seed) % 4 ? init_id : NULL;
        layerstore_cache_set_trust(cached, mode ? INT64_MAX : 0);
        if (mode == 1)
            layerstore_cache_invalidate(cached);
        stale += mc_compare(cached, mode, step);
        mc_compare(cached, mode, step); /* again, from what the first one kept */
        usleep(5000); /* the next change lands on another tick of the file clock */
    }
    ct->init_id = init_id;
    cr_log_info("%u steps, %u stale answers seen as stale", steps, stale);
    layerstore_close(cached);
}
#endif

#ifndef ROOTFS_MEMO
/* Readers in threads over one cache while the layers change and the cache is invalidated and
 * its trust moved, with more names than the memo keeps (its LRU evicts under them): nothing
 * is misread (ASan), and once the changes stop, every answer is the uncached one. */
#include <pthread.h>

struct mt_arg {
    struct layerstore *ls;
    const atomic_bool *stop;
    unsigned seed;
    unsigned reads, errors;
};

static void *mt_reader(void *p)
{
    struct mt_arg *a = p;
    char path[64];

    while (!atomic_load(a->stop)) {
        unsigned k = rand_r(&a->seed);
        struct bf_error err = BF_ERROR_INIT;
        struct ls_inputs in = {0};
        char *data = NULL;
        size_t len = 0;
        bool found;
        if (k % 3 == 0)
            snprintf(path, sizeof(path), "/etc/n%u", k / 3 % 1500); /* many absent names */
        else
            snprintf(path, sizeof(path), "%s",
                     mc_reads[k / 3 % (sizeof(mc_reads) / sizeof(*mc_reads))]);
        int rc = layerstore_rootfs_read(a->ls, ct, &w, path, 64, &data, &len, &found, &in, &err);
        a->reads++;
        a->errors += rc < 0;
        free(data);
        ls_inputs_free(&in);
        bf_error_clear(&err);
    }
    return NULL;
}

Test(rootfs, memo_under_threads_and_eviction)
{
    if (!need_root())
        return;
    struct ls_options o = {0};
    struct bf_error err = BF_ERROR_INIT;
    struct layerstore *cached = NULL;
    const char *layers[] = {L3, L2, L1};
    struct ls_cache_stats st;
    atomic_bool stop = false;
    struct mt_arg args[4];
    pthread_t th[4];
    unsigned seed = 7, reads = 0;

    setup("overlay2");
    cr_assert_eq(layerstore_open(f.root, &o, &cached, &err), 0, "%s", bf_error_message(&err));
    cr_assert_eq(layerstore_cache_enable(cached, 0, 0), 0);
    for (int i = 0; i < 4; i++) {
        args[i] = (struct mt_arg){.ls = cached, .stop = &stop, .seed = 100u + (unsigned)i};
        cr_assert_eq(pthread_create(&th[i], NULL, mt_reader, &args[i]), 0);
    }
    for (unsigned step = 0; step < 300; step++) {
        mc_mutate(&seed, layers, 3);
        if (rand_r(&seed) % 2)
            layerstore_cache_invalidate(cached);
        layerstore_cache_set_trust(cached, rand_r(&seed) % 2 ? INT64_MAX : 0);
        usleep(2000);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        reads += args[i].reads;
    }
    layerstore_cache_stats(cached, &st);
    cr_log_info("%u reads in 4 threads; memo: %zu kept, %" PRIu64 " hits, %" PRIu64 " misses",
                reads, st.memos, st.memo_hits, st.memo_misses);
    cr_assert_leq(st.memos, 1024);
    usleep(5000);
    layerstore_cache_invalidate(cached);
    mc_compare(cached, 1, 300);
    mc_compare(cached, 1, 301);
    layerstore_close(cached);
}
#endif
