/* store.c - opening a data-root, detecting its storage driver, rendering paths, reading files.
 *
 * Decisions:
 * - The data-root path given by the user is trusted and may itself be (or pass through) a
 *   symlink, e.g. /var/lib/docker -> /srv/docker. Everything inside it is opened relative to
 *   the one dirfd and no symlink inside it is ever followed.
 * - Driver detection mirrors Docker's own "prior driver" rule: exactly one directory under
 *   R/image/ names the driver; several are an error asking for an explicit driver, because
 *   guessing could serve another daemon configuration's containers.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bf_util.h"
#include "jarena.h"
#include "ls_internal.h"

static const char *const driver_names[] = {
    [LS_DRIVER_WINDOWSFILTER] = "windowsfilter",
    [LS_DRIVER_OVERLAY2] = "overlay2",
    [LS_DRIVER_VFS] = "vfs",
};

#define SUPPORTED_DRIVERS "windowsfilter, overlay2, vfs"

const char *ls_driver_name(enum ls_driver d)
{
    if ((size_t)d < BF_ARRAY_SIZE(driver_names))
        return driver_names[d];
    return "unknown";
}

static bool driver_from_name(const char *name, enum ls_driver *out)
{
    for (size_t i = 0; i < BF_ARRAY_SIZE(driver_names); i++) {
        if (strcmp(name, driver_names[i]) == 0) {
            *out = (enum ls_driver)i;
            return true;
        }
    }
    return false;
}

char *ls_strjoin(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
    char *s = malloc(la + lb + lc + 1);

    if (!s)
        return NULL;
    memcpy(s, a, la);
    if (lb)
        memcpy(s + la, b, lb);
    if (lc)
        memcpy(s + la + lb, c, lc);
    s[la + lb + lc] = '\0';
    return s;
}

int ls_strv_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first eight bytes of s as a big-endian number, NUL-padded: numbers order as strcmp
 * orders those bytes. */
static uint64_t prefix_key(const char *s)
{
    uint64_t key = 0;
    size_t j = 0;

    for (; j < 8 && s[j]; j++)
        key = key << 8 | (unsigned char)s[j];
    return j == 0 ? 0 : j < 8 ? key << (8 * (8 - j)) : key;
}

/* Sort v as qsort with ls_strv_cmp would, without a call per comparison: a radix sort on the
 * names' first eight bytes, a byte a pass, then each run of equal keys put in order by strcmp. */
static void strv_sort(char **v, size_t n)
{
    uint64_t *key = n > 64 ? malloc(n * 2 * sizeof(*key)) : NULL;
    char **tmp = key ? malloc(n * sizeof(*tmp)) : NULL;

    if (!tmp) {
        free(key);
        qsort(v, n, sizeof(*v), ls_strv_cmp);
        return;
    }
    uint64_t *k = key, *tk = key + n;
    char **s = v, **ts = tmp;
    for (size_t i = 0; i < n; i++)
        k[i] = prefix_key(v[i]);
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((k[i] >> shift) & 0xff) + 1]++;
        if (count[((k[0] >> shift) & 0xff) + 1] == n)
            continue; /* every key has this byte */
        for (size_t b = 1; b < 257; b++)
            count[b] += count[b - 1];
        for (size_t i = 0; i < n; i++) {
            size_t to = count[(k[i] >> shift) & 0xff]++;
            tk[to] = k[i];
            ts[to] = s[i];
        }
        uint64_t *xk = k;
        char **xs = s;
        k = tk, tk = xk, s = ts, ts = xs; /* the sorted side becomes the input */
    }
    if (s != v)
        memcpy(v, s, n * sizeof(*v));
    key = k < tk ? k : tk; /* the allocation's start, whichever side it is now */
    for (size_t i = 1; i < n; i++) { /* runs of equal keys: insertion by strcmp */
        char *x = v[i];
        size_t j = i;
        while (j > 0 && k[j - 1] == k[i] && strcmp(v[j - 1], x) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    free(tmp);
    free(key);
}

void ls_strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Lexically absolute: cwd-prefixed, "." and empty components dropped, no trailing '/'. ".."
 * is kept as written: resolving it lexically could be wrong across a symlink. */
static char *absolute_root(const char *dataroot)
{
    _cleanup_free_ char *cwd = NULL, *joined = NULL;
    char *out, *o;
    const char *p;

    if (dataroot[0] != '/') {
        cwd = getcwd(NULL, 0);
        if (!cwd)
            return NULL;
        joined = ls_strjoin(cwd, "/", dataroot);
    } else {
        joined = strdup(dataroot);
    }
    if (!joined)
        return NULL;
    out = malloc(strlen(joined) + 2);
    if (!out)
        return NULL;
    o = out;
    p = joined;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t l = (size_t)(end - p);
        if (l == 0 || (l == 1 && p[0] == '.')) {
            p = end;
            continue;
        }
        *o++ = '/';
        memcpy(o, p, l);
        o += l;
        p = end;
    }
    if (o == out)
        *o++ = '/';
    *o = '\0';
    return out;
}

static char *normalize_hostroot(const char *h)
{
    size_t l = strlen(h);
    char *s = strdup(h);

    if (!s)
        return NULL;
    for (size_t i = 0; i < l; i++)
        if (s[i] == '/')
            s[i] = '\\';
    while (l > 0 && s[l - 1] == '\\')
        s[--l] = '\0';
    return s;
}

/* Exactly one directory under image/ names the driver (symlinks there are an error). */
static int detect_driver(struct layerstore *ls, enum ls_driver *out, struct bf_error *err)
{
    _cleanup_free_ char *all = NULL;
    char **names = NULL;
    const char *found = NULL;
    size_t n = 0, count = 0;
    int r;

    r = ls_list_dir(ls, "image", false, NULL, &names, &n, err);
    if (r < 0)
        return bf_error_wrap(err, "cannot detect the storage driver (is this a Docker data-root?)");
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *rel = ls_strjoin("image/", names[i], NULL);
        mode_t mode = 0;
        struct bf_stamp st;

        if (!rel) {
            r = bf_error_set(err, ENOMEM, "image: out of memory");
            goto out;
        }
        r = bf_stat_beneath(ls->dirfd, rel, &st, &mode, err);
        if (r < 0)
            goto out;
        if (!st.exists || !S_ISDIR(mode))
            continue;
        char *joined = NULL;
        if (asprintf(&joined, "%s%s%s", all ? all : "", all ? ", " : "", names[i]) < 0) {
            r = bf_error_set(err, ENOMEM, "image: out of memory");
            goto out;
        }
        free(all);
        all = joined;
        if (!found)
            found = names[i];
        count++;
    }
    if (count == 0)
        r = bf_error_set(err, ENOENT,
                         "image: no storage driver directory found (is this a Docker data-root?)");
    else if (count > 1)
        r = bf_error_set(err, EINVAL,
                         "image: contains several storage drivers (%s); name one explicitly", all);
    else if (!driver_from_name(found, out))
        r = bf_error_set(err, ENOTSUP,
                         "image/%s: unsupported storage driver \"%s\" (supported: %s)", found,
                         found, SUPPORTED_DRIVERS);
    else
        r = 0;
out:
    ls_strv_free(names, n);
    return r;
}

static void json_alloc_install(void);

int layerstore_open(const char *dataroot, const struct ls_options *opts, struct layerstore **out,
                    struct bf_error *err)
{
    struct layerstore *ls;
    enum ls_driver drv = LS_DRIVER_WINDOWSFILTER;
    int r;

    /* jansson's allocation functions before any thread can be inside jansson (the first
     * parse installs them too, for a caller that parses without a layerstore) */
    json_alloc_install();

    if (!dataroot || !*dataroot)
        return bf_error_set(err, EINVAL, "data-root: empty path");
    ls = calloc(1, sizeof(*ls));
    if (!ls)
        return bf_error_set(err, ENOMEM, "data-root: out of memory");
    ls->dirfd = open(dataroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ls->dirfd < 0) {
        r = bf_error_set(err, errno, "%s: cannot open data-root: %s", dataroot, strerror(errno));
        goto fail;
    }
    ls->root = absolute_root(dataroot);
    if (!ls->root) {
        r = bf_error_set(err, errno ? errno : ENOMEM, "%s: cannot make the path absolute: %s",
                         dataroot, strerror(errno ? errno : ENOMEM));
        goto fail;
    }
    if (opts && opts->hostroot) {
        if (!*opts->hostroot) {
            r = bf_error_set(err, EINVAL, "host root: empty Windows path");
            goto fail;
        }
        ls->hostroot = normalize_hostroot(opts->hostroot);
        if (!ls->hostroot) {
            r = bf_error_set(err, ENOMEM, "host root: out of memory");
            goto fail;
        }
    }
    ls->settle_ns = opts && opts->settle_ns > 0 ? opts->settle_ns : 1000000000;
    ls->opened_mono_ns = bf_mono_ns();
    if (!(ls->settle = ls_settle_new())) {
        r = bf_error_set(err, ENOMEM, "out of memory");
        goto fail;
    }
    if (opts && opts->daemon_config && !(ls->daemon_config = strdup(opts->daemon_config))) {
        r = bf_error_set(err, ENOMEM, "daemon configuration: out of memory");
        goto fail;
    }
    if (opts && opts->driver) {
        if (!driver_from_name(opts->driver, &drv)) {
            r = bf_error_set(err, ENOTSUP, "unsupported storage driver \"%s\" (supported: %s)",
                             opts->driver, SUPPORTED_DRIVERS);
            goto fail;
        }
    } else {
        r = detect_driver(ls, &drv, err);
        if (r < 0)
            goto fail;
    }
    ls->driver = drv;
    if (asprintf(&ls->image_rel, "image/%s", ls_driver_name(drv)) < 0) {
        ls->image_rel = NULL;
        r = bf_error_set(err, ENOMEM, "data-root: out of memory");
        goto fail;
    }
    /* A named driver must still be this data-root's: image/<driver>/ has to be a directory. */
    {
        _cleanup_close_ int fd = bf_open_beneath(ls->dirfd, ls->image_rel, O_DIRECTORY, err);
        if (fd < 0) {
            r = bf_error_wrap(err, "storage driver %s", ls_driver_name(drv));
            goto fail;
        }
    }
    *out = ls;
    return 0;
fail:
    layerstore_close(ls);
    return r;
}

void layerstore_close(struct layerstore *ls)
{
    if (!ls)
        return;
    if (ls->dirfd >= 0)
        close(ls->dirfd);
    ls_cache_free(ls->cache);
    ls_netcache_free(ls->netcache);
    ls_dccache_free(ls->dccache);
    ls_host_free(ls->host);
    ls_settle_free(ls->settle);
    free(ls->daemon_config);
    free(ls->root);
    free(ls->hostroot);
    free(ls->image_rel);
    free(ls);
}

int layerstore_dirfd(const struct layerstore *ls)
{
    return ls->dirfd;
}

enum ls_driver layerstore_driver(const struct layerstore *ls)
{
    return ls->driver;
}

const char *layerstore_root(const struct layerstore *ls)
{
    return ls->root;
}

bool layerstore_windows_paths(const struct layerstore *ls)
{
    return ls->hostroot != NULL;
}

char *layerstore_path(const struct layerstore *ls, const char *rel)
{
    if (ls->hostroot) {
        char *s = ls_strjoin(ls->hostroot, "\\", rel);
        if (s)
            for (char *p = s + strlen(ls->hostroot); *p; p++)
                if (*p == '/')
                    *p = '\\';
        return s;
    }
    if (strcmp(ls->root, "/") == 0)
        return ls_strjoin("/", rel, NULL);
    return ls_strjoin(ls->root, "/", rel);
}

int ls_record(const struct layerstore *ls, struct ls_inputs *in, const char *rel,
              const struct bf_stamp *stamp, struct bf_error *err)
{
    struct bf_stamp probed = {.exists = false};

    if (!in)
        return 0;
    if (!stamp) {
        /* What could not be read or probed (a link, a FIFO, a folder where a file belongs) is
         * recorded as bf_stamp_changed will look at it again, with fstatat: unchanged while
         * it stays what it is, so its error is not made anew at every check. */
        struct stat st;
        if (fstatat(ls->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
            bf_stamp_from_stat(&probed, &st, false);
        stamp = &probed;
    }
    if (ls_inputs_add(in, rel, stamp) < 0)
        return bf_error_set(err, ENOMEM, "%s: out of memory recording an input", rel);
    return 0;
}

int layerstore_read_file(const struct layerstore *ls, const char *rel, size_t cap, char **buf,
                         size_t *len, struct ls_inputs *in, struct bf_error *err)
{
    struct bf_stamp stamp;
    int r;

    r = bf_read_file(ls->dirfd, rel, cap, buf, len, &stamp, err);
    if (r < 0) {
        struct bf_error ignored = BF_ERROR_INIT;
        ls_record(ls, in, rel, NULL, &ignored);
        bf_error_clear(&ignored);
        return r;
    }
    r = ls_record(ls, in, rel, &stamp, err);
    if (r < 0) {
        free(*buf);
        *buf = NULL;
    }
    return r;
}

int ls_read_line(const struct layerstore *ls, const char *rel, bool optional, char **out,
                 struct ls_inputs *in, struct bf_error *err)
{
    struct bf_stamp stamp;
    int r;

    *out = NULL;
    r = bf_read_line(ls->dirfd, rel, out, &stamp, err);
    if (r < 0) {
        struct bf_error ignored = BF_ERROR_INIT;
        ls_record(ls, in, rel, NULL, &ignored);
        bf_error_clear(&ignored);
        if (optional && err->code == ENOENT) {
            bf_error_clear(err);
            return 0;
        }
        return r;
    }
    r = ls_record(ls, in, rel, &stamp, err);
    if (r < 0) {
        free(*out);
        *out = NULL;
    }
    return r;
}

/* jansson (2.14) can drop a byte when an allocation fails inside its lexer and go on parsing
 * (upstream issue #362): the result would be a silently different string. Every allocation
 * it makes goes through here, so a parse during which one failed is discarded as a whole. */
static __thread bool json_alloc_failed;
static pthread_once_t json_alloc_once = PTHREAD_ONCE_INIT;

static void *json_alloc(size_t n)
{
    void *p = ja_alloc(n);
    if (!p)
        json_alloc_failed = true;
    return p;
}

static void json_alloc_setup(void)
{
    (void)ja_setup(); /* without it, malloc's blocks */
    json_set_alloc_funcs(json_alloc, ja_free);
}

static void json_alloc_install(void)
{
    pthread_once(&json_alloc_once, json_alloc_setup);
}

int ls_parse_json(const char *rel, const char *buf, size_t len, json_t **out, struct bf_error *err)
{
    json_error_t jerr;
    json_t *root;
    size_t i = 0;

    while (i < len && isspace((unsigned char)buf[i]))
        i++;
    if (i == len)
        return bf_error_set(err, EINVAL, "%s: file is empty", rel);
    /* Duplicate keys: the last one wins (jansson's default, as Go's encoding/json). */
    json_alloc_install();
    /* The common case, a well-formed object, without jansson's parser; it has the last word
     * on everything else (jload.c), so every message stays jansson's. */
    root = ls_json_load_object(buf, len);
    if (root) {
        *out = root;
        return 0;
    }
    json_alloc_failed = false;
    root = json_loadb(buf, len, 0, &jerr);
    if (json_alloc_failed || (!root && json_error_code(&jerr) == json_error_out_of_memory)) {
        json_decref(root);
        return bf_error_set(err, ENOMEM, "%s: out of memory parsing JSON", rel);
    }
    if (!root)
        return bf_error_set(err, EINVAL, "%s: invalid JSON: %s (line %d, column %d)", rel,
                            jerr.text, jerr.line, jerr.column);
    if (!json_is_object(root)) {
        json_decref(root);
        return bf_error_set(err, EINVAL, "%s: expected a JSON object", rel);
    }
    *out = root;
    return 0;
}

int ls_read_json(const struct layerstore *ls, const char *rel, bool optional, json_t **out,
                 struct ls_inputs *in, struct bf_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r;

    *out = NULL;
    r = layerstore_read_file(ls, rel, BF_CAP_JSON, &buf, &len, in, err);
    if (r < 0) {
        if (optional && err->code == ENOENT) {
            bf_error_clear(err);
            return 0;
        }
        return r;
    }
    return ls_parse_json(rel, buf, len, out, err);
}

static int open_dir(const struct layerstore *ls, const char *rel, struct bf_error *err)
{
    return bf_open_beneath(ls->dirfd, (!rel || !*rel) ? "." : rel, O_DIRECTORY, err);
}

int ls_list_dir(const struct layerstore *ls, const char *rel, bool optional,
                bool (*keep)(const char *name), char ***names, size_t *n, struct bf_error *err)
{
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    DIR *d;
    struct dirent *de;
    int fd, r;

    *names = NULL;
    *n = 0;
    fd = open_dir(ls, rel, err);
    if (fd < 0) {
        if (optional && err->code == ENOENT) {
            bf_error_clear(err);
            return 0;
        }
        return fd;
    }
    d = fdopendir(fd);
    if (!d) {
        r = errno;
        close(fd);
        return bf_error_set(err, r, "%s: cannot read directory: %s", rel, strerror(r));
    }
    while ((errno = 0, de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (keep && !keep(de->d_name))
            continue;
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = realloc(v, ncap * sizeof(*v));
            if (!nv)
                goto oom;
            v = nv;
            cap = ncap;
        }
        v[cnt] = strdup(de->d_name);
        if (!v[cnt])
            goto oom;
        cnt++;
    }
    if (errno) {
        r = errno;
        closedir(d);
        ls_strv_free(v, cnt);
        return bf_error_set(err, r, "%s: cannot read directory: %s", rel, strerror(r));
    }
    closedir(d);
    if (cnt)
        strv_sort(v, cnt);
    *names = v;
    *n = cnt;
    return 0;
oom:
    closedir(d);
    ls_strv_free(v, cnt);
    return bf_error_set(err, ENOMEM, "%s: out of memory listing the directory", rel);
}

int layerstore_lookup_ci(const struct layerstore *ls, const char *dir_rel, const char *name,
                         char **found, struct ls_inputs *in, struct bf_error *err)
{
    const char *rel = (!dir_rel || !*dir_rel) ? "." : dir_rel;
    char **names = NULL;
    size_t n = 0;
    int r;

    *found = NULL;
    /* The directory's own stamp changes when entries are added, removed or renamed. */
    r = ls_record(ls, in, rel, NULL, err);
    if (r < 0)
        return r;
    r = ls_list_dir(ls, rel, true, NULL, &names, &n, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n && !*found; i++)
        if (strcmp(names[i], name) == 0)
            *found = steal_pointer(&names[i]);
    /* Several case variants (possible on Linux only): the first in byte order, stable. */
    for (size_t i = 0; i < n && !*found; i++)
        if (strcasecmp(names[i], name) == 0)
            *found = steal_pointer(&names[i]);
    ls_strv_free(names, n);
    return 0;
}

/* Probed already in this generation, through a path without links: the same answer. */
static const struct bf_stamp *probed_before(const struct ls_inputs *in, const char *rel)
{
    const struct bf_stamp *seen = ls_inputs_find(in, rel);
    return seen && seen->beneath && (S_ISDIR(seen->mode) || S_ISREG(seen->mode)) ? seen : NULL;
}

/* A probe's outcome r recorded: what could not be probed as bf_stamp_changed will see it. */
static int probe_record(const struct layerstore *ls, const char *rel, int r,
                        const struct bf_stamp *st, struct ls_inputs *in, struct bf_error *err)
{
    if (r < 0) {
        struct bf_error ignored = BF_ERROR_INIT;
        ls_record(ls, in, rel, NULL, &ignored);
        bf_error_clear(&ignored);
        return r;
    }
    return ls_record(ls, in, rel, st, err);
}

int ls_probe(const struct layerstore *ls, const char *rel, struct bf_stamp *st, mode_t *mode,
             struct ls_inputs *in, struct bf_error *err)
{
    const struct bf_stamp *seen = probed_before(in, rel);

    if (seen) {
        *st = *seen;
        if (mode)
            *mode = seen->mode;
        return 0;
    }
    return probe_record(ls, rel, bf_stat_beneath(ls->dirfd, rel, st, mode, err), st, in, err);
}

bool ls_dir_absent(const struct layerstore *ls, const char *dir, struct ls_inputs *in)
{
    struct bf_stamp st;
    struct bf_error local = BF_ERROR_INIT;
    bool absent = bf_stat_beneath(ls->dirfd, dir, &st, NULL, &local) == 0 && !st.exists;

    if (absent)
        ls_record(ls, in, dir, &st, &local);
    bf_error_clear(&local);
    return absent;
}

int layerstore_record(const struct layerstore *ls, const char *rel, struct ls_inputs *in,
                      struct bf_error *err)
{
    return ls_record(ls, in, rel, NULL, err);
}

int layerstore_probe(const struct layerstore *ls, const char *rel, bool *exists, mode_t *mode,
                     struct ls_inputs *in, struct bf_error *err)
{
    struct bf_stamp st = {0};
    mode_t m = 0;
    int r = ls_probe(ls, rel, &st, &m, in, err);

    *exists = r == 0 && st.exists;
    if (mode)
        *mode = m;
    return r;
}

int layerstore_probe_in(const struct layerstore *ls, struct ls_probe_dir *h, const char *rel,
                        bool *exists, mode_t *mode, struct ls_inputs *in, struct bf_error *err)
{
    const char *slash = strrchr(rel, '/');
    size_t dl = slash ? (size_t)(slash - rel) : 0;
    struct bf_stamp st = {.exists = false};
    mode_t m = 0;
    int r;

    if (probed_before(in, rel) || !slash || dl >= sizeof(h->dir))
        return layerstore_probe(ls, rel, exists, mode, in, err);
    if (h->fd < 0 || h->len != dl || memcmp(h->dir, rel, dl) != 0) {
        struct bf_error local = BF_ERROR_INIT;
        layerstore_probe_done(h);
        memcpy(h->dir, rel, dl);
        h->dir[dl] = '\0';
        h->fd = bf_open_dir_beneath(ls->dirfd, h->dir, &local);
        bf_error_clear(&local);
        if (h->fd < 0) /* missing, a link, ...: the plain probe says what, exactly */
            return layerstore_probe(ls, rel, exists, mode, in, err);
        h->len = dl;
    }
    r = probe_record(ls, rel, bf_stat_in(h->fd, slash + 1, rel, &st, &m, err), &st, in, err);
    *exists = r == 0 && st.exists;
    if (mode)
        *mode = m;
    return r;
}

void layerstore_probe_done(struct ls_probe_dir *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    h->len = 0;
}
