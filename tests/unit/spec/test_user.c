/* process.user: Docker 20.10's getUser over runc 1.1.5's libcontainer/user (spec/user.c).
 *
 * Expected values are written from the rules in user.c's header; each was also checked
 * against the Go code itself (GetExecUserPath and GetAdditionalGroupsPath of runc v1.1.5,
 * called as daemon/oci_linux.go does). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../layerstore/fixture.h"
#include "user.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "app:x:1000:1001:App:/home/app:/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\n"
                            "daemon:x:1:\n"
                            "wheel:x:10:root,app\n"
                            "audio:x:29:app\n"
                            "staff:x:50:\n"
                            "app:x:1001:\n"
                            "nogroup:x:65534:\n";

struct got {
    int rc;
    struct spec_user u;
    char msg[1024];
};

static struct got resolve_files(const char *user, const struct spec_user_file *pw,
                                const struct spec_user_file *gr, char *const *add, size_t n_add)
{
    struct got g = {0};
    struct bf_error err = BF_ERROR_INIT;

    g.rc = spec_user_resolve_files(user, pw, gr, add, n_add, &g.u, &err);
    if (g.rc < 0) {
        cr_assert_eq(g.rc, -err.code);
        cr_assert_null(g.u.additional_gids);
        snprintf(g.msg, sizeof(g.msg), "%s", bf_error_message(&err));
    }
    bf_error_clear(&err);
    return g;
}

static struct got resolve(const char *user, const char *pw, const char *gr, char *const *add,
                          size_t n_add)
{
    struct spec_user_file p = {.data = pw, .len = pw ? strlen(pw) : 0};
    struct spec_user_file g = {.data = gr, .len = gr ? strlen(gr) : 0};
    return resolve_files(user, pw ? &p : NULL, gr ? &g : NULL, add, n_add);
}

/* want: uid, gid, then the additionalGids, ended by -1 */
static void expect_ids(struct got g, const char *what, long uid, long gid, ...)
{
    va_list ap;
    size_t i = 0;
    long v;

    cr_assert_eq(g.rc, 0, "%s: %s", what, g.msg);
    cr_assert_eq(g.u.uid, (uint32_t)uid, "%s: uid %u", what, g.u.uid);
    cr_assert_eq(g.u.gid, (uint32_t)gid, "%s: gid %u", what, g.u.gid);
    va_start(ap, gid);
    while ((v = va_arg(ap, long)) != -1) {
        cr_assert_lt(i, g.u.n_additional_gids, "%s: only %zu additional gids", what,
                     g.u.n_additional_gids);
        cr_assert_eq(g.u.additional_gids[i], (uint32_t)v, "%s: additional gid %zu is %u", what, i,
                     g.u.additional_gids[i]);
        i++;
    }
    va_end(ap);
    cr_assert_eq(i, g.u.n_additional_gids, "%s: %zu additional gids, want %zu", what,
                 g.u.n_additional_gids, i);
    spec_user_free(&g.u);
}

static void expect_err(struct got g, const char *what, int code, const char *msg)
{
    cr_assert_eq(g.rc, -code, "%s: rc %d (%s)", what, g.rc, g.msg);
    cr_assert_str_eq(g.msg, msg, "%s", what);
}

#define E -1L

Test(user, names_and_numbers)
{
    expect_ids(resolve("", passwd, group, NULL, 0), "\"\"", 0, 0, 0L, 10L, E);
    expect_ids(resolve(NULL, passwd, group, NULL, 0), "NULL", 0, 0, 0L, 10L, E);
    expect_ids(resolve("root", passwd, group, NULL, 0), "root", 0, 0, 0L, 10L, E);
    expect_ids(resolve("app", passwd, group, NULL, 0), "app", 1000, 1001, 1001L, 10L, 29L, E);
    /* A numeric user is a uid: its entry gives the gid and the supplementary groups. */
    expect_ids(resolve("1000", passwd, group, NULL, 0), "1000", 1000, 1001, 1001L, 10L, 29L, E);
    expect_ids(resolve("+1000", passwd, group, NULL, 0), "+1000", 1000, 1001, 1001L, 10L, 29L, E);
    expect_ids(resolve("01000", passwd, group, NULL, 0), "01000", 1000, 1001, 1001L, 10L, 29L, E);
    /* A uid no entry has: gid 0, no groups. */
    expect_ids(resolve("4242", passwd, group, NULL, 0), "4242", 4242, 0, 0L, E);
    expect_ids(resolve("2147483647", passwd, group, NULL, 0), "max", 2147483647, 0, 0L, E);
}

Test(user, user_and_group)
{
    /* An explicit group sets the gid and drops the supplementary groups. */
    expect_ids(resolve("app:staff", passwd, group, NULL, 0), "app:staff", 1000, 50, 50L, E);
    expect_ids(resolve("app:50", passwd, group, NULL, 0), "app:50", 1000, 50, 50L, E);
    expect_ids(resolve("1000:1000", passwd, group, NULL, 0), "1000:1000", 1000, 1000, 1000L, E);
    expect_ids(resolve("4242:4343", passwd, group, NULL, 0), "4242:4343", 4242, 4343, 4343L, E);
    expect_ids(resolve(":audio", passwd, group, NULL, 0), ":audio", 0, 29, 29L, E);
    expect_ids(resolve("app:", passwd, group, NULL, 0), "app:", 1000, 1001, 1001L, 10L, 29L, E);
    expect_ids(resolve(":", passwd, group, NULL, 0), ":", 0, 0, 0L, 10L, E);
    /* Only two fields count. */
    expect_ids(resolve("app:staff:whatever", passwd, group, NULL, 0), "3 fields", 1000, 50, 50L, E);
}

Test(user, unknown_names_and_bad_numbers)
{
    expect_err(resolve("nosuch", passwd, group, NULL, 0), "nosuch", ENOENT,
               "unable to find user nosuch: no matching entries in passwd file");
    expect_err(resolve("app:nosuch", passwd, group, NULL, 0), "app:nosuch", ENOENT,
               "unable to find group nosuch: no matching entries in group file");
    expect_err(resolve("2147483648", passwd, group, NULL, 0), "2^31", ERANGE,
               "uids and gids must be in range 0-2147483647");
    expect_err(resolve("-1", passwd, group, NULL, 0), "-1", ERANGE,
               "uids and gids must be in range 0-2147483647");
    expect_err(resolve("app:-1", passwd, group, NULL, 0), "app:-1", ERANGE,
               "uids and gids must be in range 0-2147483647");
    /* Past int64 a number is not a number: it is looked up as a name. */
    expect_err(resolve("99999999999999999999", passwd, group, NULL, 0), "2^66", ENOENT,
               "unable to find user 99999999999999999999: no matching entries in passwd file");
    expect_err(resolve(" app", passwd, group, NULL, 0), "space", ENOENT,
               "unable to find user  app: no matching entries in passwd file");
    expect_err(resolve("1_000", passwd, group, NULL, 0), "underscore", ENOENT,
               "unable to find user 1_000: no matching entries in passwd file");
}

Test(user, missing_files)
{
    expect_ids(resolve("", NULL, NULL, NULL, 0), "root, no files", 0, 0, 0L, E);
    expect_ids(resolve("1000", NULL, NULL, NULL, 0), "1000", 1000, 0, 0L, E);
    expect_ids(resolve("1000:1000", NULL, NULL, NULL, 0), "1000:1000", 1000, 1000, 1000L, E);
    expect_err(resolve("app", NULL, group, NULL, 0), "app", ENOENT,
               "unable to find user app: no matching entries in passwd file");
    expect_err(resolve("0:staff", NULL, NULL, NULL, 0), "0:staff", ENOENT,
               "unable to find group staff: no matching entries in group file");
    /* passwd without group: the user's gid, no supplementary groups. */
    expect_ids(resolve("app", passwd, NULL, NULL, 0), "app", 1000, 1001, 1001L, E);
    /* Empty files are the same as absent ones. */
    expect_ids(resolve("", "", "", NULL, 0), "empty", 0, 0, 0L, E);
}

Test(user, supplementary_groups_in_file_order_with_duplicates)
{
    const char *gr = "app:x:1001:app\n" /* the primary group listing the user: kept twice */
                     "b:x:7:x,app,y\n"
                     "c:x:7:app\n"       /* same gid again: kept */
                     "d:x:8:apps\n"      /* not a member */
                     "e:x:9: app\n"      /* " app" is not "app" */
                     "#f:x:11:app\n"     /* a comment */
                     "  g:x:12:app  \n"; /* trimmed */
    expect_ids(resolve("app", passwd, gr, NULL, 0), "app", 1000, 1001, 1001L, 1001L, 7L, 7L, 12L,
               E);
}

Test(user, group_add_by_name_and_number)
{
    char *add[] = {"audio", "4242", "staff", "0"};
    expect_ids(resolve("app", passwd, group, add, 4), "app", 1000, 1001, 1001L, 10L, 29L, 29L,
               4242L, 50L, 0L, E);
    /* Without /etc/group numbers still work, names do not. */
    char *nums[] = {"5", "+6"};
    expect_ids(resolve("", NULL, NULL, nums, 2), "numbers", 0, 0, 0L, 5L, 6L, E);
    char *name[] = {"audio"};
    expect_err(resolve("", passwd, NULL, name, 1), "no group file", ENOENT,
               "Unable to find group audio: no matching entries in group file");
    char *bad[] = {"nosuch"};
    expect_err(resolve("", passwd, group, bad, 1), "unknown", ENOENT,
               "Unable to find group nosuch: no matching entries in group file");
    char *neg[] = {"-5"};
    expect_err(resolve("", passwd, group, neg, 1), "negative", ERANGE,
               "uids and gids must be in range 0-2147483647");
    char *big[] = {"2147483648"};
    expect_err(resolve("", passwd, group, big, 1), "2^31", ERANGE,
               "uids and gids must be in range 0-2147483647");
}

Test(user, group_add_duplicates)
{
    /* A number given twice (or naming a group already added) is one gid... */
    char *nums[] = {"29", "audio", "29"};
    struct got g = resolve("", passwd, group, nums, 3);
    cr_assert_eq(g.rc, -ENOENT, "%s", g.msg);
    cr_assert_str_eq(g.msg, "Unable to find group audio: no matching entries in group file");
    char *twice[] = {"29", "29", "4242", "4242"};
    expect_ids(resolve("", passwd, group, twice, 4), "numbers twice", 0, 0, 0L, 10L, 29L, 4242L, E);
    /* ...but a name given twice is an error: its only match is taken. */
    char *names[] = {"audio", "audio"};
    expect_err(resolve("", passwd, group, names, 2), "names twice", ENOENT,
               "Unable to find group audio: no matching entries in group file");
    /* Two groups of that name: the second takes the second entry. */
    const char *gr = "audio:x:29:\naudio:x:63:\n";
    expect_ids(resolve("", passwd, gr, names, 2), "two audio groups", 0, 0, 0L, 29L, 63L, E);
    /* The primary gid and GroupAdd are not de-duplicated against each other. */
    char *own[] = {"1001"};
    expect_ids(resolve("app", passwd, group, own, 1), "own gid", 1000, 1001, 1001L, 10L, 29L, 1001L,
               E);
    /* A name and the number of the same group: the number finds its gid taken, adds none. */
    char *both[] = {"audio", "29"};
    expect_ids(resolve("", passwd, group, both, 2), "name and number", 0, 0, 0L, 10L, 29L, E);
}

Test(user, numbers_in_the_files)
{
    /* Atoi errors are ignored: a bad number is 0, an overflowing one the int64 limit; no range
     * check for ids read from the files, and the spec keeps their low 32 bits. */
    const char *pw = "neg:x:-1:-2::/:\n"
                     "big:x:4294967296:4294967297::/:\n"
                     "huge:x:99999999999999999999:-99999999999999999999::/:\n"
                     "word:x:abc:def::/:\n"
                     "short:x\n";
    expect_ids(resolve("neg", pw, NULL, NULL, 0), "neg", 4294967295, 4294967294, 4294967294L, E);
    expect_ids(resolve("big", pw, NULL, NULL, 0), "big", 0, 1, 1L, E);
    expect_ids(resolve("huge", pw, NULL, NULL, 0), "huge", 4294967295, 0, 0L, E);
    expect_ids(resolve("word", pw, NULL, NULL, 0), "word", 0, 0, 0L, E);
    /* "" matches the first entry with uid 0, which "word" is (abc reads as 0). */
    const char *gr = "wordy:x:5:word\nshorty:x:6:short\n";
    expect_ids(resolve("", pw, gr, NULL, 0), "first uid 0", 0, 0, 0L, 5L, E);
    expect_ids(resolve("short", pw, gr, NULL, 0), "short", 0, 0, 0L, 6L, E);
    /* A group's gid that reads as 0 still matches group "0". */
    expect_ids(resolve("0:0", "", "odd:x:zero:\n", NULL, 0), "0:0", 0, 0, 0L, E);
    char *add[] = {"odd"};
    expect_ids(resolve("", "", "odd:x:zero:\n", add, 1), "odd", 0, 0, 0L, 0L, E);
}

Test(user, hostile_and_malformed_lines)
{
    /* passwd: comments are entries too (the first with uid 0 wins for ""), white space around
     * a line is trimmed (Unicode's too), CRLF endings, blank lines, NULs in names. */
    const char pw[] = "\r\n   \n# a comment with no uid\n"
                      " \t app:x:1000:1001::/:\r\n"
                      "\xc2\xa0"
                      "nb:x:7:7::/:"
                      "\xe3\x80\x80"
                      "\n"
                      "z\0z:x:9:9::/:\n";
    struct spec_user_file p = {.data = pw, .len = sizeof(pw) - 1};
    struct spec_user_file g = {.data = group, .len = strlen(group)};
    struct got r = resolve_files("", &p, &g, NULL, 0);
    expect_ids(r, "comment is uid 0", 0, 0, 0L, E);
    expect_ids(resolve_files("app", &p, &g, NULL, 0), "trimmed", 1000, 1001, 1001L, 10L, 29L, E);
    expect_ids(resolve_files("nb", &p, &g, NULL, 0), "nbsp", 7, 7, 7L, E);
    expect_ids(resolve_files("9", &p, &g, NULL, 0), "NUL in a name", 9, 9, 9L, E);
    /* A lone invalid UTF-8 byte is not space. */
    expect_err(resolve("nb", "\xa0nb:x:7:7::/:\n", NULL, NULL, 0), "invalid utf-8", ENOENT,
               "unable to find user nb: no matching entries in passwd file");
}

Test(user, passwd_line_of_64k_fails_the_whole_file)
{
    /* bufio.Scanner: a line of 65536 bytes or more is ErrTooLong, wherever it is. */
    size_t n = 65536;
    char *pw = malloc(strlen(passwd) + n + 2);
    strcpy(pw, passwd);
    memset(pw + strlen(passwd), 'x', n - 1);
    strcpy(pw + strlen(passwd) + n - 1, "\n");
    expect_ids(resolve("app", pw, group, NULL, 0), "65535", 1000, 1001, 1001L, 10L, 29L, E);
    memset(pw + strlen(passwd), 'x', n);
    strcpy(pw + strlen(passwd) + n, "\n");
    expect_err(resolve("app", pw, group, NULL, 0), "65536", EINVAL,
               "unable to find user app: bufio.Scanner: token too long");
    pw[strlen(passwd) + n] = '\0'; /* at the end without a newline: the same */
    expect_err(resolve("", pw, group, NULL, 0), "65536 at EOF", EINVAL,
               "unable to find user 0: bufio.Scanner: token too long");
    free(pw);

    /* /etc/group has no such limit (ReadLine, runc 1.1). */
    size_t gn = 1 << 20;
    char *gr = malloc(gn + 64);
    strcpy(gr, "big:x:77:");
    for (size_t i = strlen(gr); i < gn; i++)
        gr[i] = i % 4 == 3 ? ',' : 'z';
    gr[gn - 1] = ',';
    strcpy(gr + gn, "app\n");
    expect_ids(resolve("app", passwd, gr, NULL, 0), "1 MiB group line", 1000, 1001, 1001L, 77L, E);
    free(gr);
}

Test(user, files_that_cannot_be_read)
{
    /* A directory opens, and its first read fails: where Docker reads it, that is the error. */
    const char *dir = "read /var/lib/docker/overlay2/x/merged/etc/passwd: is a directory";
    const char *gdir = "read /var/lib/docker/overlay2/x/merged/etc/group: is a directory";
    struct spec_user_file pd = {.read_error = dir}, gd = {.read_error = gdir};
    struct spec_user_file p = {.data = passwd, .len = strlen(passwd)};
    char *add[] = {"a", "b c"};
    char msg[256];

    snprintf(msg, sizeof(msg), "unable to find user 0: %s", dir);
    expect_err(resolve_files("", &pd, NULL, NULL, 0), "passwd dir", EIO, msg);
    snprintf(msg, sizeof(msg), "unable to find user app: %s", dir);
    expect_err(resolve_files("app", &pd, NULL, NULL, 0), "passwd dir", EIO, msg);
    /* group is read only for a named group, a matched user, or GroupAdd. */
    expect_ids(resolve_files("1000", NULL, &gd, NULL, 0), "not read", 1000, 0, 0L, E);
    snprintf(msg, sizeof(msg), "unable to find groups for spec app: %s", gdir);
    expect_err(resolve_files("app", &p, &gd, NULL, 0), "group dir", EIO, msg);
    snprintf(msg, sizeof(msg), "unable to find groups for spec : %s", gdir);
    expect_err(resolve_files("5:staff", NULL, &gd, NULL, 0), "group dir", EIO, msg);
    snprintf(msg, sizeof(msg), "Unable to find additional groups [a b c]: %s", gdir);
    expect_err(resolve_files("5", NULL, &gd, add, 2), "group dir", EIO, msg);
}

Test(user, plain_wrapper_is_the_same)
{
    struct spec_user u;
    struct bf_error err = BF_ERROR_INIT;
    char *add[] = {"staff"};
    cr_assert_eq(
        spec_user_resolve("app", passwd, strlen(passwd), group, strlen(group), add, 1, &u, &err), 0,
        "%s", bf_error_message(&err));
    cr_assert_eq(u.uid, 1000);
    cr_assert_eq(u.gid, 1001);
    cr_assert_eq(u.n_additional_gids, 4);
    uint32_t want[] = {1001, 10, 29, 50};
    cr_assert_arr_eq(u.additional_gids, want, sizeof(want));
    spec_user_free(&u);
    spec_user_free(&u); /* idempotent */
    spec_user_free(NULL);
}

/* ---- from a container's layers ---- */

#define UP "overlay2/" MOUNT_OV "/diff"
#define L1 "overlay2/" CACHE1 "/diff"

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

static void setup(void)
{
    struct ls_options o = {0};
    struct bf_error err = BF_ERROR_INIT;
    fx_std(&f, "overlay2");
    fx_mkdir(&f, UP);
    fx_mkdir(&f, "overlay2/" MOUNT_OV "-init/diff");
    fx_mkdir(&f, "overlay2/" CACHE3 "/diff");
    fx_mkdir(&f, "overlay2/" CACHE2 "/diff");
    fx_mkdir(&f, L1);
    cr_assert_eq(layerstore_open(f.root, &o, &ls, &err), 0, "%s", bf_error_message(&err));
    cr_assert_eq(layerstore_container_walk(ls, CID1, &ct, NULL, &w, NULL, &err), 0, "%s",
                 bf_error_message(&err));
}

static struct got from_rootfs(const char *user, char *const *add, size_t n_add,
                              struct ls_inputs *in)
{
    struct got g = {0};
    struct bf_error err = BF_ERROR_INIT;
    free(ct->config.user);
    ct->config.user = strdup(user);
    g.rc = spec_user_from_rootfs(ls, ct, &w, add, n_add, &g.u, in, &err);
    if (g.rc < 0)
        snprintf(g.msg, sizeof(g.msg), "%s", bf_error_message(&err));
    bf_error_clear(&err);
    return g;
}

Test(user, from_the_layers, .init = setup, .fini = teardown)
{
    struct ls_inputs in = {0};
    fx_write(&f, L1 "/etc/passwd", passwd);
    fx_symlink(&f, "../usr/share/group", L1 "/etc/group");
    fx_write(&f, UP "/usr/share/group", group);
    char *add[] = {"staff"};
    expect_ids(from_rootfs("app", add, 1, &in), "app", 1000, 1001, 1001L, 10L, 29L, 50L, E);
    cr_assert_gt(in.n, 0);
    cr_assert(!ls_inputs_changed(ls, &in));
    ls_inputs_free(&in);
    expect_ids(from_rootfs("", NULL, 0, NULL), "root", 0, 0, 0L, 10L, E);

    /* No files at all: root, and a named user is Docker's error. */
    fx_rm(&f, L1 "/etc");
    fx_rm(&f, UP "/usr");
    expect_ids(from_rootfs("", NULL, 0, NULL), "empty root", 0, 0, 0L, E);
    expect_err(from_rootfs("app", NULL, 0, NULL), "app", ENOENT,
               "unable to find user app: no matching entries in passwd file");
}

Test(user, from_the_layers_errors, .init = setup, .fini = teardown)
{
    char msg[1024];
    fx_write(&f, L1 "/etc/passwd", passwd);
    fx_mkdir(&f, L1 "/etc/group");
    /* /etc/group a directory: read only when needed. */
    expect_ids(from_rootfs("4242", NULL, 0, NULL), "not read", 4242, 0, 0L, E);
    snprintf(msg, sizeof(msg),
             "unable to find groups for spec app: read %s/overlay2/" MOUNT_OV
             "/merged/etc/group: is a directory",
             f.root);
    expect_err(from_rootfs("app", NULL, 0, NULL), "group dir", EIO, msg);
    /* A link loop in /etc/group fails before /etc/passwd is parsed, whatever the user. */
    fx_rm(&f, L1 "/etc/group");
    fx_symlink(&f, "group", L1 "/etc/group");
    snprintf(msg, sizeof(msg),
             "evalSymlinksInScope: too many links in %s/overlay2/" MOUNT_OV "/merged/etc/group",
             f.root);
    expect_err(from_rootfs("4242", NULL, 0, NULL), "loop", ELOOP, msg);
}
