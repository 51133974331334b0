/* Credential specs: the seed's parsing and error texts, and resolution that never leaves
 * R/CredentialSpecs. Fixture roots are built here in a temp dir. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec_internal.h"

#define ID "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HC "container " ID ": containers/" ID "/hostconfig.json: "

static char root[PATH_MAX];

static void put(const char *rel, const char *content)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f, "%s", p);
    fputs(content, f);
    fclose(f);
}

static void mk(const char *rel)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
}

static void setup(void)
{
    strcpy(root, "/tmp/bf-credspec-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    mk("image");
    mk("image/windowsfilter");
    mk("credentialspecs"); /* the daemon creates it lowercase; Docker reads "CredentialSpecs" */
    mk("credentialspecs/Sub");
    put("credentialspecs/MySpec.json", "{\"CmsPlugins\":[\"ActiveDirectory\"]}");
    put("credentialspecs/Sub/Inner.json", "inner");
    put("secret.json", "SECRET-OUTSIDE");
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    cr_expect_eq(system(cmd), 0);
}

static int parse1(const char *opt, struct spec_credspec **v, size_t *n, struct bf_error *err)
{
    char *opts[] = {(char *)opt};
    return spec_credspec_parse(ID, opts, 1, v, n, err);
}

static void parse_fails(const char *opt, const char *want)
{
    struct bf_error err = BF_ERROR_INIT;
    struct spec_credspec *v = NULL;
    size_t n = 0;
    cr_assert_eq(parse1(opt, &v, &n, &err), -EINVAL, "%s", opt);
    cr_expect_str_eq(err.msg, want);
    bf_error_clear(&err);
}

Test(credspec, parse_error_texts)
{
    parse_fails("credentialspec", HC "invalid security option: no equals sign in supplied "
                                     "value credentialspec");
    parse_fails("Seccomp=unconfined", HC "security option not supported: seccomp");
    parse_fails("credentialspec=http://x", HC "invalid credential spec security option - value "
                                              "must be prefixed file:// or registry:// followed "
                                              "by a value");
    parse_fails("credentialspec=file://",
                HC "no value supplied for file:// credential spec security option");
    parse_fails("credentialspec=registry://",
                HC "no value supplied for registry:// credential spec security option");
}

Test(credspec, parse_lowercases_and_keeps_order)
{
    char *opts[] = {"CredentialSpec=file://My.JSON", "credentialspec=Registry://WebApp"};
    struct bf_error err = BF_ERROR_INIT;
    struct spec_credspec *v = NULL;
    size_t n = 0;

    cr_assert_eq(spec_credspec_parse(ID, opts, 2, &v, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_expect_eq(v[0].kind, SPEC_CREDSPEC_FILE);
    cr_expect_str_eq(v[0].value, "my.json");
    cr_expect_eq(v[1].kind, SPEC_CREDSPEC_REGISTRY);
    cr_expect_str_eq(v[1].value, "webapp");
    spec_credspec_free(v, n);
}

static int read_file(const char *value, const char *regdir, char **content, struct bf_error *err)
{
    struct layerstore *ls = NULL;
    struct spec_credspec cs = {.kind = SPEC_CREDSPEC_FILE, .value = (char *)value};
    int r;

    cr_assert_eq(layerstore_open(root, NULL, &ls, err), 0, "%s", err->msg);
    r = spec_credspec_read(ls, ID, &cs, regdir, content, NULL, err);
    layerstore_close(ls);
    return r;
}

Test(credspec, file_found_case_insensitively, .init = setup, .fini = teardown)
{
    struct bf_error err = BF_ERROR_INIT;
    char *c = NULL;

    cr_assert_eq(read_file("myspec.json", NULL, &c, &err), 0, "%s", err.msg);
    cr_expect_str_eq(c, "{\"CmsPlugins\":[\"ActiveDirectory\"]}");
    free(c);
    cr_assert_eq(read_file("sub\\inner.json", NULL, &c, &err), 0, "%s", err.msg);
    cr_expect_str_eq(c, "inner");
    free(c);
    cr_assert_eq(read_file("./sub/../sub/inner.json", NULL, &c, &err), 0, "%s", err.msg);
    cr_expect_str_eq(c, "inner");
    free(c);
}

static void file_fails(const char *value, int code, const char *want_fmt)
{
    struct bf_error err = BF_ERROR_INIT;
    char want[PATH_MAX * 4];
    char *c = NULL;

    snprintf(want, sizeof(want), want_fmt, root, root, root);
    cr_assert_eq(read_file(value, NULL, &c, &err), -code, "%s: %s", value, err.msg);
    cr_expect_str_eq(err.msg, want, "%s", value);
    cr_expect_null(c);
    bf_error_clear(&err);
}

Test(credspec, file_refuses_absolute_and_drive, .init = setup, .fini = teardown)
{
    const char *abs = "container " ID ": invalid credential spec - file:// path cannot be absolute";
    file_fails("/etc/passwd", EINVAL, abs);
    file_fails("\\secret.json", EINVAL, abs);
    file_fails("c:\\secret.json", EINVAL, abs);
    file_fails("c:secret.json", EINVAL, abs);
}

Test(credspec, file_refuses_leaving_the_folder, .init = setup, .fini = teardown)
{
    const char *under =
        "container " ID ": invalid credential spec - file:// path must be under %s/credentialspecs";
    file_fails("../secret.json", EINVAL, under);
    file_fails("sub/../../secret.json", EINVAL, under);
    file_fails("..\\secret.json", EINVAL, under);
    file_fails("sub\\..\\..\\secret.json", EINVAL, under);
    /* Docker's plain prefix check let "..\CredentialSpecsX\f" through; we do not. */
    file_fails("..\\credentialspecsX\\f", EINVAL, under);
}

Test(credspec, file_missing_and_symlink, .init = setup, .fini = teardown)
{
    char link[PATH_MAX * 2];

    file_fails("nope.json", ENOENT,
               "container " ID ": credential spec '%s/credentialspecs/nope.json' for container " ID
               " as the file could not be read: \"credentialspecs/nope.json: no such file or "
               "directory\"");
    snprintf(link, sizeof(link), "%s/credentialspecs/evil.json", root);
    cr_assert_eq(symlink("../secret.json", link), 0);
    file_fails("evil.json", ELOOP,
               "container " ID ": credential spec '%s/credentialspecs/evil.json' for container " ID
               " as the file could not be read: \"credentialspecs/evil.json: is a symbolic link "
               "or passes through one (links are never followed)\"");
}

Test(credspec, file_bad_content, .init = setup, .fini = teardown)
{
    put("credentialspecs/latin1.json", "caf\xe9");
    file_fails("latin1.json", EINVAL,
               "container " ID ": %s/credentialspecs/latin1.json: credential spec is not valid "
               "UTF-8");
}

Test(credspec, registry, .init = setup, .fini = teardown)
{
    struct spec_credspec cs = {.kind = SPEC_CREDSPEC_REGISTRY, .value = "webapp"};
    struct bf_error err = BF_ERROR_INIT;
    char regdir[PATH_MAX * 2], want[PATH_MAX * 3];
    char *c = NULL;

    cr_assert_eq(spec_credspec_read(NULL, ID, &cs, NULL, &c, NULL, &err), -ENOTSUP);
    cr_expect_str_eq(err.msg, "container " ID ": credential spec \"webapp\" is in the Windows "
                              "registry, which a Linux reader cannot open; mount with "
                              "credspec-registry=DIR (one file per value name)");
    bf_error_clear(&err);

    snprintf(regdir, sizeof(regdir), "%s/registry", root);
    cr_assert_eq(spec_credspec_read(NULL, ID, &cs, regdir, &c, NULL, &err), -ENOENT);
    snprintf(want, sizeof(want),
             "container " ID ": failed handling spec \"webapp\" for container " ID
             " - %s could not be opened: No such file or directory",
             regdir);
    cr_expect_str_eq(err.msg, want);
    bf_error_clear(&err);
    cr_assert_eq(mkdir(regdir, 0755), 0);
    put("registry/WebApp", "{\"from\":\"registry\"}");
    cr_assert_eq(spec_credspec_read(NULL, ID, &cs, regdir, &c, NULL, &err), 0, "%s", err.msg);
    cr_expect_str_eq(c, "{\"from\":\"registry\"}");
    free(c);

    cs.value = "other";
    cr_assert_eq(spec_credspec_read(NULL, ID, &cs, regdir, &c, NULL, &err), -ENOENT);
    snprintf(want, sizeof(want),
             "container " ID ": credential spec \"other\" for container " ID
             " as it was not found (in %s)",
             regdir);
    cr_expect_str_eq(err.msg, want);
    bf_error_clear(&err);

    /* any other failure: Docker's "error <err> reading credential spec" */
    snprintf(want, sizeof(want), "%s/registry/broken", root);
    cr_assert_eq(mkdir(want, 0755), 0);
    cs.value = "broken";
    cr_assert_eq(spec_credspec_read(NULL, ID, &cs, regdir, &c, NULL, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "container " ID ": error broken: not a regular file reading "
                              "credential spec \"broken\" from registry for container " ID);
    bf_error_clear(&err);

    cs.value = "..";
    cr_assert_eq(spec_credspec_read(NULL, ID, &cs, regdir, &c, NULL, &err), -EINVAL);
    cr_expect_str_eq(err.msg, "container " ID ": registry credential spec name \"..\" cannot be "
                              "a file name");
    bf_error_clear(&err);
}
