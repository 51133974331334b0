/* credspec.c - `--security-opt credentialspec=...` (doc §5, the seed's 2016 parsing).
 *
 * Parsing follows the seed exactly, error texts included: the whole option is lowercased
 * first, so file and value names come out lowercase. Resolution does what Docker meant rather
 * than what its prefix check did: a file:// path is split on both '/' and '\\', absolute paths
 * and drive letters are refused, "." and ".." are resolved lexically, and a path that climbs
 * out of R/CredentialSpecs is refused. Because Docker lowercased the name but NTFS is
 * case-insensitive, every component (the folder included: Docker creates "credentialspecs" and
 * reads "CredentialSpecs") is looked up case-insensitively, an exact match first.
 * registry:// values come from a directory the user names (credspec-registry=DIR), one file
 * per value name, since a Linux reader has no HKLM to open.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <unistd.h>

#include "bf_utf8.h"
#include "bf_util.h"
#include "spec_internal.h"

void spec_credspec_free(struct spec_credspec *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].value);
    free(v);
}

static int add(struct spec_credspec **v, size_t *n, enum spec_credspec_kind kind, const char *val,
               struct bf_error *err)
{
    struct spec_credspec *nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (!nv)
        return bf_error_set(err, ENOMEM, "credential specs: out of memory");
    *v = nv;
    nv[*n].kind = kind;
    nv[*n].value = strdup(val);
    if (!nv[*n].value)
        return bf_error_set(err, ENOMEM, "credential specs: out of memory");
    (*n)++;
    return 0;
}

int spec_credspec_parse(const char *container_id, char *const *opts, size_t n,
                        struct spec_credspec **out, size_t *n_out, struct bf_error *err)
{
    struct spec_credspec *v = NULL;
    size_t nv = 0;
    int r = 0;

    for (size_t i = 0; i < n && r == 0; i++) {
        _cleanup_free_ char *opt = strdup(opts[i]);
        char *eq, *val;
        if (!opt) {
            r = bf_error_set(err, ENOMEM, "credential specs: out of memory");
            break;
        }
        for (char *p = opt; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        eq = strchr(opt, '=');
        if (!eq) {
            r = bf_error_set(err, EINVAL,
                             "container %s: containers/%s/hostconfig.json: invalid security "
                             "option: no equals sign in supplied value %s",
                             container_id, container_id, opt);
            break;
        }
        *eq = '\0';
        val = eq + 1;
        if (strcmp(opt, "credentialspec") != 0) {
            r = bf_error_set(err, EINVAL,
                             "container %s: containers/%s/hostconfig.json: security option not "
                             "supported: %s",
                             container_id, container_id, opt);
            break;
        }
        if (strncmp(val, "file://", 7) == 0) {
            if (!val[7])
                r = bf_error_set(err, EINVAL,
                                 "container %s: containers/%s/hostconfig.json: no value supplied "
                                 "for file:// credential spec security option",
                                 container_id, container_id);
            else
                r = add(&v, &nv, SPEC_CREDSPEC_FILE, val + 7, err);
        } else if (strncmp(val, "registry://", 11) == 0) {
            if (!val[11])
                r = bf_error_set(err, EINVAL,
                                 "container %s: containers/%s/hostconfig.json: no value supplied "
                                 "for registry:// credential spec security option",
                                 container_id, container_id);
            else
                r = add(&v, &nv, SPEC_CREDSPEC_REGISTRY, val + 11, err);
        } else {
            r = bf_error_set(err, EINVAL,
                             "container %s: containers/%s/hostconfig.json: invalid credential "
                             "spec security option - value must be prefixed file:// or "
                             "registry:// followed by a value",
                             container_id, container_id);
        }
    }
    if (r < 0) {
        spec_credspec_free(v, nv);
        return r;
    }
    *out = v;
    *n_out = nv;
    return 0;
}

/* Lexically resolve a file:// location into components under the folder. Returns the number
 * of components (0 = the folder itself), -1 when absolute, -2 when it climbs out. */
static int split_location(char *loc, char **comps, size_t max)
{
    size_t n = 0;
    char *save = NULL;

    if (loc[0] == '/' || loc[0] == '\\')
        return -1;
    if (isalpha((unsigned char)loc[0]) && loc[1] == ':')
        return -1; /* "C:\x" is absolute; "c:x" is drive-relative: neither is under the folder */
    for (char *c = strtok_r(loc, "/\\", &save); c; c = strtok_r(NULL, "/\\", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            if (n == 0)
                return -2;
            n--;
            continue;
        }
        if (n == max)
            return -2;
        comps[n++] = c;
    }
    return (int)n;
}

static bool valid_utf8(const unsigned char *s, size_t len)
{
    for (size_t i = 0, k; i < len; i += k)
        if (!(k = bf_utf8_seq(s + i, len - i)))
            return false;
    return true;
}

static int check_content(const char *what, const char *buf, size_t len, struct bf_error *err)
{
    if (memchr(buf, '\0', len))
        return bf_error_set(err, EINVAL, "%s: credential spec contains a NUL byte", what);
    if (!valid_utf8((const unsigned char *)buf, len))
        return bf_error_set(err, EINVAL, "%s: credential spec is not valid UTF-8", what);
    return 0;
}

#define MAX_COMPONENTS 64

static int read_file_spec(struct layerstore *ls, const char *id, const char *value, char **content,
                          struct ls_inputs *in, struct bf_error *err)
{
    _cleanup_free_ char *loc = strdup(value), *folder = NULL, *rel = NULL, *base = NULL;
    _cleanup_free_ char *full = NULL, *buf = NULL;
    char *comps[MAX_COMPONENTS];
    struct bf_error local = BF_ERROR_INIT;
    size_t len = 0;
    int n, r;

    if (!loc)
        return bf_error_set(err, ENOMEM, "credential specs: out of memory");
    r = layerstore_lookup_ci(ls, "", "CredentialSpecs", &folder, in, err);
    if (r < 0)
        return bf_error_wrap(err, "container %s: credential spec", id);
    base = layerstore_path(ls, folder ? folder : "CredentialSpecs");
    if (!base)
        return bf_error_set(err, ENOMEM, "credential specs: out of memory");
    n = split_location(loc, comps, MAX_COMPONENTS);
    if (n == -1)
        return bf_error_set(err, EINVAL,
                            "container %s: invalid credential spec - file:// path cannot be "
                            "absolute",
                            id);
    if (n == -2)
        return bf_error_set(err, EINVAL,
                            "container %s: invalid credential spec - file:// path must be under %s",
                            id, base);

    rel = strdup(folder ? folder : "CredentialSpecs");
    if (!rel)
        return bf_error_set(err, ENOMEM, "credential specs: out of memory");
    /* Once a component is absent the rest cannot exist either: keep the names as given, and
     * let the read below report the missing file with the full path. */
    bool exists = folder != NULL;
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *actual = NULL;
        char *next;
        if (exists) {
            r = layerstore_lookup_ci(ls, rel, comps[i], &actual, in, &local);
            if (r < 0)
                break; /* reported below as a read error of the full path */
            exists = actual != NULL;
        }
        if (asprintf(&next, "%s/%s", rel, actual ? actual : comps[i]) < 0)
            return bf_error_set(err, ENOMEM, "credential specs: out of memory");
        free(rel);
        rel = next;
    }
    full = layerstore_path(ls, rel);
    if (!full)
        return bf_error_set(err, ENOMEM, "credential specs: out of memory");
    if (local.code == 0)
        r = layerstore_read_file(ls, rel, SPEC_CREDSPEC_CAP, &buf, &len, in, &local);
    if (local.code != 0) {
        r = bf_error_set(err, local.code,
                         "container %s: credential spec '%s' for container %s as the file could "
                         "not be read: \"%s\"",
                         id, full, id, bf_error_message(&local));
        bf_error_clear(&local);
        return r;
    }
    r = check_content(full, buf, len, err);
    if (r < 0)
        return bf_error_wrap(err, "container %s", id);
    *content = steal_pointer(&buf);
    return 0;
}

static int read_registry_spec(const char *id, const char *name, const char *dir, char **content,
                              struct bf_error *err)
{
    _cleanup_close_ int dfd = -1;
    _cleanup_free_ char *found = NULL, *buf = NULL, *what = NULL;
    struct bf_error local = BF_ERROR_INIT;
    size_t len = 0;
    int r;

    if (!dir)
        return bf_error_set(err, ENOTSUP,
                            "container %s: credential spec \"%s\" is in the Windows registry, "
                            "which a Linux reader cannot open; mount with credspec-registry=DIR "
                            "(one file per value name)",
                            id, name);
    if (!bf_is_safe_component(name))
        return bf_error_set(err, EINVAL,
                            "container %s: registry credential spec name \"%s\" cannot be a file "
                            "name",
                            id, name);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return bf_error_set(err, errno,
                            "container %s: failed handling spec \"%s\" for container %s - %s "
                            "could not be opened: %s",
                            id, name, id, dir, strerror(errno));
    /* Registry value names are case-insensitive: exact name first, then any case. */
    if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        found = strdup(name);
    } else {
        int dup_fd = dup(dfd);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        struct dirent *e;
        if (!d) {
            if (dup_fd >= 0)
                close(dup_fd);
            return bf_error_set(err, errno, "container %s: %s: cannot list: %s", id, dir,
                                strerror(errno));
        }
        while ((e = readdir(d)))
            if (strcasecmp(e->d_name, name) == 0) {
                found = strdup(e->d_name);
                break;
            }
        closedir(d);
        if (!found)
            return bf_error_set(err, ENOENT,
                                "container %s: credential spec \"%s\" for container %s as it was "
                                "not found (in %s)",
                                id, name, id, dir);
    }
    if (!found)
        return bf_error_set(err, ENOMEM, "credential specs: out of memory");
    r = bf_read_file(dfd, found, SPEC_CREDSPEC_CAP, &buf, &len, NULL, &local);
    if (r < 0) {
        r = bf_error_set(err, local.code,
                         "container %s: error %s reading credential spec \"%s\" from registry for "
                         "container %s",
                         id, bf_error_message(&local), name, id);
        bf_error_clear(&local);
        return r;
    }
    if (asprintf(&what, "%s/%s", dir, found) < 0)
        return bf_error_set(err, ENOMEM, "credential specs: out of memory");
    r = check_content(what, buf, len, err);
    if (r < 0)
        return bf_error_wrap(err, "container %s", id);
    *content = steal_pointer(&buf);
    return 0;
}

int spec_credspec_read(struct layerstore *ls, const char *container_id,
                       const struct spec_credspec *cs, const char *registry_dir, char **content,
                       struct ls_inputs *in, struct bf_error *err)
{
    if (cs->kind == SPEC_CREDSPEC_FILE)
        return read_file_spec(ls, container_id, cs->value, content, in, err);
    return read_registry_spec(container_id, cs->value, registry_dir, content, err);
}
