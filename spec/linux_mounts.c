/* linux_mounts.c - a Linux container's `mounts`, as Docker 20.10's withMounts builds them
 * (daemon/oci_linux.go, daemon/volumes_unix.go, container/container_unix.go).
 *
 * Order: the default mounts (those a container mount replaces left out, /dev/shm sized by
 * ShmSize), the docker-init bind, then the container's own mounts sorted by the depth of their
 * cleaned destination. Docker walks MountPoints and Tmpfs as Go maps, in random order, so
 * where two of them have the same depth Docker's order is not defined: bundlefs orders such
 * ties by destination; the sort itself is stable, as Go's is for the few mounts a container
 * has (the network files stay resolv.conf, hostname, hosts).
 *
 * Paths of the data-root are rendered under the data-root bundlefs reads (root.path's rule),
 * not under the one Docker's stored paths name: a copied data-root still serves its own files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bf_util.h"
#include "spec.h"
#include "spec_internal.h"

struct umount { /* container.Mount */
    char *source, *destination;
    bool writable, non_recursive, tmpfs;
    char *propagation; /* "" for none */
    char *data;        /* tmpfs options */
    size_t order;
    int depth;
};

struct ulist {
    struct umount *v;
    size_t n, cap;
};

static void ulist_free(struct ulist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].source);
        free(l->v[i].destination);
        free(l->v[i].propagation);
        free(l->v[i].data);
    }
    free(l->v);
}

/* filepath.Clean's separator count: "//a/./b/../c/" is "/a/c", 2. */
static int depth(const char *p)
{
    int d = 0, names = 0;
    const char *s = p;
    bool rooted = *p == '/';

    while (*s) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 0)
            break;
        if (len == 1 && s[0] == '.') {
            /* nothing */
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (names > 0)
                names--;
            else if (!rooted)
                d++; /* a leading ".." stays (counted like a name) */
        } else {
            names++;
        }
        s = e;
    }
    /* "/a/b": 2 separators; "a/b": 1; "/": 1; "": "." has 0. */
    int parts = names + (rooted ? 0 : d);
    if (rooted)
        return parts ? parts : 1;
    return parts ? parts - 1 : 0;
}

static int oom(struct bf_error *err)
{
    return bf_error_set(err, ENOMEM, "out of memory");
}

static struct umount *ulist_add(struct ulist *l, struct bf_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct umount *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            oom(err);
            return NULL;
        }
        l->v = v;
        l->cap = cap;
    }
    struct umount *u = &l->v[l->n++];
    memset(u, 0, sizeof(*u));
    u->order = l->n;
    return u;
}

/* A mount of `source` (consumed, also on failure) at `dest`; NULL when out of memory. */
static struct umount *umount_push(struct ulist *l, char *source, const char *dest,
                                  const char *propagation, bool writable, size_t order,
                                  struct bf_error *err)
{
    struct umount *u = source ? ulist_add(l, err) : NULL;

    if (!u) {
        free(source);
        oom(err);
        return NULL;
    }
    u->source = source;
    u->destination = strdup(dest);
    u->propagation = strdup(propagation);
    u->writable = writable;
    u->depth = depth(dest);
    u->order = order;
    if (!u->destination || !u->propagation) {
        oom(err);
        return NULL;
    }
    return u;
}

static int by_depth_then_dest(const void *a, const void *b)
{
    const struct umount *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return strcmp(x->destination, y->destination);
}

static int by_depth_stable(const void *a, const void *b)
{
    const struct umount *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* A stored path of one of the data-root's container files ("<old root>/containers/<id>/<name>"),
 * as a path under R; NULL (with err) when it is not one. */
static char *relocate(const struct layerstore *ls, const char *field, const char *stored,
                      const char *name, char **rel_out, struct bf_error *err)
{
    size_t n = strlen(stored), nl = strlen(name);
    const size_t tail = strlen("containers/") + LS_ID_LEN + 1 + nl;
    char id[LS_ID_LEN + 1];

    *rel_out = NULL;
    if (n < tail || strcmp(stored + n - nl, name) != 0 || stored[n - nl - 1] != '/' ||
        strncmp(stored + n - tail, "containers/", 11) != 0 ||
        (n > tail && stored[n - tail - 1] != '/')) {
        bf_error_set(err, EINVAL, "%s \"%.200s\" is not a file of a container of this data-root",
                     field, stored);
        return NULL;
    }
    memcpy(id, stored + n - tail + 11, LS_ID_LEN);
    id[LS_ID_LEN] = '\0';
    if (!bf_is_hex64(id)) {
        bf_error_set(err, EINVAL, "%s \"%.200s\" is not a file of a container of this data-root",
                     field, stored);
        return NULL;
    }
    if (asprintf(rel_out, "containers/%s/%s", id, name) < 0) {
        *rel_out = NULL;
        oom(err);
        return NULL;
    }
    char *p = layerstore_path(ls, *rel_out);
    if (!p)
        oom(err);
    return p;
}

int spec_probe_dir(const struct layerstore *ls, const char *rel, bool optional,
                   struct ls_inputs *in, struct bf_error *err)
{
    bool exists = false;
    mode_t mode = 0;

    if (layerstore_probe(ls, rel, &exists, &mode, in, err) < 0)
        return -err->code;
    if (exists && !S_ISDIR(mode))
        return bf_error_set(err, ENOTDIR, "%s: not a directory", rel);
    if (!exists && !optional)
        return bf_error_set(err, ENOENT, "%s: no such directory", rel);
    return 0;
}

static const struct ls_mount *mount_point(const struct ls_container *c, const char *dest)
{
    for (size_t i = 0; i < c->n_mounts; i++)
        if (strcmp(c->mounts[i].destination, dest) == 0)
            return &c->mounts[i];
    return NULL;
}

static bool is_tmpfs_dest(const struct ls_container *c, const char *dest)
{
    for (size_t i = 0; i < c->lx.n_tmpfs; i++)
        if (strcmp(c->lx.tmpfs[i].key, dest) == 0)
            return true;
    for (size_t i = 0; i < c->n_mounts; i++)
        if (strcmp(c->mounts[i].type, "tmpfs") == 0 && strcmp(c->mounts[i].destination, dest) == 0)
            return true;
    return false;
}

/* m.Setup's path: a local volume's _data folder (which must exist), else the bind's Source. */
static int mount_source(const struct layerstore *ls, const struct ls_mount *m, char **out,
                        struct ls_inputs *in, struct bf_error *err)
{
    *out = NULL;
    if (*m->name && (*m->driver || strcmp(m->type, "volume") == 0)) {
        _cleanup_free_ char *rel = NULL, *data = NULL;
        bool exists = false;
        mode_t mode = 0;
        if (*m->driver && strcmp(m->driver, "local") != 0)
            return bf_error_set(err, ENOTSUP,
                                "volume %s of driver %s at %s: only a running dockerd can reach "
                                "that volume driver",
                                m->name, m->driver, m->destination);
        if (!bf_is_safe_component(m->name))
            return bf_error_set(err, EINVAL, "invalid volume name \"%.80s\"", m->name);
        if (asprintf(&rel, "volumes/%s", m->name) < 0 ||
            asprintf(&data, "volumes/%s/_data", m->name) < 0)
            return oom(err);
        if (layerstore_probe(ls, rel, &exists, &mode, in, err) < 0)
            return -err->code;
        if (!exists || !S_ISDIR(mode))
            return bf_error_set(err, ENOENT, "get %s: no such volume", m->name);
        if (spec_probe_dir(ls, data, false, in, err) < 0)
            return -err->code;
        *out = layerstore_path(ls, data);
        return *out ? 0 : oom(err);
    }
    if (!*m->source)
        return bf_error_set(err, EINVAL,
                            "Unable to setup mount point, neither source nor volume defined");
    *out = strdup(m->source);
    return *out ? 0 : oom(err);
}

/* Go's fmt "%o" of a FileMode (the number, not FileMode.String). */
static int tmpfs_data(const struct ls_mount *m, char **out)
{
    char buf[128] = "";
    size_t off = 0;

    if (m->spec_readonly)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "ro");
    if (m->has_tmpfs_mode && m->tmpfs_mode)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%smode=%o", off ? "," : "",
                                m->tmpfs_mode);
    if (m->tmpfs_size) {
        int64_t size = m->tmpfs_size;
        const char *suffix = "";
        static const struct {
            const char *s;
            int64_t d;
        } units[] = {{"g", 1LL << 30}, {"m", 1LL << 20}, {"k", 1LL << 10}};
        for (size_t i = 0; i < BF_ARRAY_SIZE(units); i++) {
            if (size % units[i].d == 0) {
                size /= units[i].d;
                suffix = units[i].s;
                break;
            }
        }
        snprintf(buf + off, sizeof(buf) - off, "%ssize=%lld%s", off ? "," : "", (long long)size,
                 suffix);
    }
    *out = strdup(buf);
    return *out ? 0 : -ENOMEM;
}

/* setupMounts, NetworkMounts, IpcMounts and TmpfsMounts, in the order withMounts sorts. */
static int container_mounts(const struct layerstore *ls, const struct ls_container *c,
                            struct ulist *l, char **note, struct ls_inputs *in,
                            struct bf_error *err)
{
    const struct ls_linux *lx = &c->lx;
    const char *net_dest[3] = {"/etc/resolv.conf", "/etc/hostname", "/etc/hosts"};
    const char *net_field[3] = {"ResolvConfPath", "HostnamePath", "HostsPath"};
    const char *net_name[3] = {"resolv.conf", "hostname", "hosts"};
    const char *net_stored[3] = {lx->resolv_conf_path, lx->hostname_path, lx->hosts_path};
    char *net_override[3] = {NULL, NULL, NULL};
    struct ls_probe_dir pd = LS_PROBE_DIR_INIT; /* the three are in containers/<id> */
    size_t first = 0;
    int r = 0;

    for (size_t i = 0; i < c->n_mounts && r == 0; i++) {
        const struct ls_mount *m = &c->mounts[i];
        char *src = NULL;
        if (is_tmpfs_dest(c, m->destination))
            continue;
        if ((r = mount_source(ls, m, &src, in, err)) < 0)
            break;
        /* TrySetNetworkMount: a mount at a network file's place replaces that file's path. */
        bool net = false;
        for (int k = 0; k < 3; k++) {
            if (strcmp(m->destination, net_dest[k]) == 0) {
                free(net_override[k]);
                net_override[k] = src;
                net = true;
            }
        }
        if (net)
            continue;
        struct umount *u = umount_push(l, src, m->destination, m->propagation, m->rw, 0, err);
        if (!u) {
            r = -ENOMEM;
            break;
        }
        u->non_recursive = strcmp(m->spec_type, "bind") == 0 && m->non_recursive;
    }
    if (r == 0 && l->n)
        qsort(l->v, l->n, sizeof(*l->v), by_depth_then_dest);
    for (size_t i = 0; i < l->n; i++)
        l->v[i].order = i;
    first = l->n;

    /* NetworkMounts: each file only when it exists (Docker stats it and skips it otherwise). */
    for (int k = 0; k < 3 && r == 0; k++) {
        _cleanup_free_ char *rel = NULL;
        char *src = NULL;
        bool exists = true;
        if (!net_override[k] && !*net_stored[k])
            continue;
        if (net_override[k]) {
            src = steal_pointer(&net_override[k]);
        } else {
            src = relocate(ls, net_field[k], net_stored[k], net_name[k], &rel, err);
            if (!src) {
                r = bf_error_wrap(err, "config.v2.json");
                break;
            }
            if ((r = layerstore_probe_in(ls, &pd, rel, &exists, NULL, in, err)) < 0) {
                free(src);
                break;
            }
        }
        if (!exists) {
            if (!*note &&
                asprintf(note,
                         "container %s: %s does not exist (Docker writes it when the container "
                         "starts): config.json does not mount it",
                         c->id, rel) < 0)
                *note = NULL;
            free(src);
            continue;
        }
        const struct ls_mount *mp = mount_point(c, net_dest[k]);
        if (!umount_push(l, src, net_dest[k], "rprivate", mp ? mp->rw : !c->host.readonly_rootfs,
                         first + (size_t)k, err))
            r = -ENOMEM;
    }
    for (int k = 0; k < 3; k++)
        free(net_override[k]);
    layerstore_probe_done(&pd);

    /* IpcMounts, for modes other than private (and "", which older daemons wrote). */
    if (r == 0 && *lx->ipc_mode && strcmp(lx->ipc_mode, "private") != 0 &&
        !mount_point(c, "/dev/shm") && !is_tmpfs_dest(c, "/dev/shm") && *lx->shm_path) {
        _cleanup_free_ char *rel = NULL;
        char *src = NULL;
        if (strcmp(lx->shm_path, "/dev/shm") == 0)
            src = strdup("/dev/shm");
        else if ((src = relocate(ls, "ShmPath", lx->shm_path, "mounts/shm", &rel, err)) &&
                 spec_probe_dir(ls, rel, true, in, err) < 0) {
            free(src);
            src = NULL;
        }
        if (!src && err->code)
            r = bf_error_wrap(err, "config.v2.json");
        else if (!umount_push(l, src, "/dev/shm", "rprivate", true, first + 3, err))
            r = -ENOMEM;
    }

    /* TmpfsMounts: HostConfig.Tmpfs, then MountPoints of type tmpfs. */
    for (size_t i = 0; i < lx->n_tmpfs + c->n_mounts && r == 0; i++) {
        const struct ls_mount *m = i < lx->n_tmpfs ? NULL : &c->mounts[i - lx->n_tmpfs];
        char *data = NULL;
        if (m && strcmp(m->type, "tmpfs") != 0)
            continue;
        struct umount *u = umount_push(l, strdup("tmpfs"), m ? m->destination : lx->tmpfs[i].key,
                                       "", false, first + 4 + i, err);
        if (!u || (m ? tmpfs_data(m, &data) < 0 : !(data = strdup(lx->tmpfs[i].value)))) {
            r = oom(err);
            break;
        }
        u->tmpfs = true;
        u->data = data;
    }
    if (r == 0 && l->n)
        qsort(l->v, l->n, sizeof(*l->v), by_depth_stable);
    return r;
}

/* ---- building the list ---- */

static int opt_push(struct spec_lmount *m, const char *o, struct bf_error *err)
{
    char **v = realloc(m->options, (m->n_options + 1) * sizeof(*v));

    if (!v)
        return oom(err);
    m->options = v;
    if (!(v[m->n_options] = strdup(o)))
        return oom(err);
    m->n_options++;
    return 0;
}

static bool has_opt(const struct spec_lmount *m, const char *o)
{
    for (size_t i = 0; i < m->n_options; i++)
        if (strcmp(m->options[i], o) == 0)
            return true;
    return false;
}

static void clear_ro(struct spec_lmount *m)
{
    size_t k = 0;

    for (size_t i = 0; i < m->n_options; i++) {
        if (strcmp(m->options[i], "ro") == 0)
            free(m->options[i]);
        else
            m->options[k++] = m->options[i];
    }
    m->n_options = k;
}

static struct spec_lmount *lm_add(struct spec_lmounts *out, const char *dest, const char *type,
                                  const char *src, struct bf_error *err)
{
    struct spec_lmount *v = realloc(out->v, (out->n + 1) * sizeof(*v));

    if (!v) {
        oom(err);
        return NULL;
    }
    out->v = v;
    struct spec_lmount *m = &v[out->n++];
    memset(m, 0, sizeof(*m));
    m->destination = strdup(dest);
    m->type = strdup(type);
    m->source = strdup(src);
    if (!m->destination || !m->type || !m->source) {
        oom(err);
        return NULL;
    }
    return m;
}

static int lm_opts(struct spec_lmount *m, const char *const *o, size_t n, struct bf_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (opt_push(m, o[i], err) < 0)
            return -ENOMEM;
    return 0;
}

void spec_lmounts_free(struct spec_lmounts *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].destination);
        free(m->v[i].type);
        free(m->v[i].source);
        ls_strv_free(m->v[i].options, m->v[i].n_options);
    }
    free(m->v);
    free(m->rootfs_propagation);
    free(m->note);
    memset(m, 0, sizeof(*m));
}

/* ---- MergeTmpfsOptions ---- */

struct mflag {
    const char *name;
    int key; /* options sharing a key collide; every propagation option shares -1 */
};

static const struct mflag mflags[] = {
    {"ro", 1},
    {"rw", 1},
    {"suid", 2},
    {"nosuid", 2},
    {"dev", 4},
    {"nodev", 4},
    {"exec", 8},
    {"noexec", 8},
    {"sync", 16},
    {"async", 16},
    {"dirsync", 128},
    {"remount", 32},
    {"mand", 64},
    {"nomand", 64},
    {"atime", 1024},
    {"noatime", 1024},
    {"diratime", 2048},
    {"nodiratime", 2048},
    {"bind", -1},
    {"rbind", -1},
    {"unbindable", -1},
    {"runbindable", -1},
    {"private", -1},
    {"rprivate", -1},
    {"shared", -1},
    {"rshared", -1},
    {"slave", -1},
    {"rslave", -1},
    {"relatime", 1 << 21},
    {"norelatime", 1 << 21},
    {"strictatime", 1 << 24},
    {"nostrictatime", 1 << 24},
};

static const char *const data_keys[] = {"",    "size",      "mode",      "uid",
                                        "gid", "nr_inodes", "nr_blocks", "mpol"};

int spec_merge_tmpfs_options(char **opts, size_t n, char ***out, size_t *n_out,
                             struct bf_error *err)
{
    char **res = n ? calloc(n, sizeof(*res)) : NULL;
    size_t k = n; /* filled from the end: Go prepends while walking backwards */
    int r = 0;

    *out = NULL;
    *n_out = 0;
    if (n == 0) {
        free(opts);
        return 0;
    }
    if (!res) {
        ls_strv_free(opts, n);
        return oom(err);
    }
    for (size_t ii = n; ii-- > 0 && r == 0;) {
        const char *o = opts[ii];
        const struct mflag *f = NULL;
        bool dup = false;
        if (strcmp(o, "defaults") == 0)
            continue;
        for (size_t j = 0; j < BF_ARRAY_SIZE(mflags) && !f; j++)
            if (strcmp(mflags[j].name, o) == 0)
                f = &mflags[j];
        if (f) {
            for (size_t j = k; j < n && !dup; j++)
                for (size_t q = 0; q < BF_ARRAY_SIZE(mflags); q++)
                    if (mflags[q].key == f->key && strcmp(mflags[q].name, res[j]) == 0)
                        dup = true;
        } else {
            const char *eq = strchr(o, '=');
            bool valid = false;
            size_t kl = eq ? (size_t)(eq - o) : 0;
            for (size_t j = 0; eq && j < BF_ARRAY_SIZE(data_keys) && !valid; j++)
                valid = strlen(data_keys[j]) == kl && strncmp(data_keys[j], o, kl) == 0;
            if (!valid) {
                /* Go prints the []string of SplitN(o, "=", 2) with %q */
                _cleanup_free_ char *k = eq ? strndup(o, kl) : NULL;
                _cleanup_free_ char *q1 = spec_go_quote(k ? k : o);
                _cleanup_free_ char *q2 = eq ? spec_go_quote(eq + 1) : NULL;
                if (!q1 || (eq && (!k || !q2)))
                    r = oom(err);
                else
                    r = bf_error_set(err, EINVAL, "Invalid tmpfs option [%s%s%s]", q1,
                                     eq ? " " : "", eq ? q2 : "");
                break;
            }
            for (size_t j = k; j < n && !dup; j++) {
                const char *e2 = strchr(res[j], '=');
                dup = e2 && (size_t)(e2 - res[j]) == kl && strncmp(res[j], o, kl) == 0;
            }
        }
        if (!dup)
            res[--k] = opts[ii], opts[ii] = NULL;
    }
    if (r == 0) {
        memmove(res, res + k, (n - k) * sizeof(*res));
        *out = res;
        *n_out = n - k;
    } else {
        for (size_t j = k; j < n; j++)
            free(res[j]);
        free(res);
    }
    ls_strv_free(opts, n);
    return r;
}

/* ---- withMounts ---- */

static const char *const ro_exempt[] = {"/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev"};

static int add_defaults(const struct ls_container *c, const char *init_path,
                        const struct ulist *user, struct spec_lmounts *out, struct bf_error *err)
{
    static const struct {
        const char *dest, *type, *src;
        const char *opts[7];
    } defaults[] = {
        {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
        {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
        {"/dev/pts",
         "devpts",
         "devpts",
         {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
        {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
        {"/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid", "noexec", "nodev"}},
        {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
        {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777"}},
        {"/sbin/docker-init", "bind", NULL, {"bind", "ro"}},
    };
    bool user_dev = false;

    for (size_t i = 0; i < user->n; i++)
        user_dev |= strcmp(user->v[i].destination, "/dev") == 0;
    for (size_t i = 0; i < BF_ARRAY_SIZE(defaults); i++) {
        const char *dest = defaults[i].dest, *src = defaults[i].src;
        bool skip = false;
        if (!src && !(src = init_path))
            continue;
        for (size_t j = 0; j < user->n && !skip; j++)
            skip = strcmp(user->v[j].destination, dest) == 0;
        if (skip || (user_dev && strncmp(dest, "/dev/", 5) == 0))
            continue;
        if (strcmp(dest, "/dev/shm") == 0 && strcmp(c->lx.ipc_mode, "none") == 0)
            continue;
        struct spec_lmount *m = lm_add(out, dest, defaults[i].type, src, err);
        size_t n = 0;
        while (n < BF_ARRAY_SIZE(defaults[i].opts) && defaults[i].opts[n])
            n++;
        if (!m || lm_opts(m, defaults[i].opts, n, err) < 0)
            return -ENOMEM;
        if (strcmp(dest, "/dev/shm") == 0) {
            char size[40];
            snprintf(size, sizeof(size), "size=%lld", (long long)c->lx.shm_size);
            if (opt_push(m, size, err) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

static int add_user(const struct umount *u, struct spec_lmounts *out, struct bf_error *err)
{
    struct spec_lmount *m;

    if (u->tmpfs) {
        char **opts = NULL, **merged = NULL;
        size_t n = 0, nm = 0;
        int r = 0;
        static const char *const base[] = {"noexec", "nosuid", "nodev", "rprivate"};
        for (size_t i = 0; i < BF_ARRAY_SIZE(base) && r == 0; i++) {
            char **v = realloc(opts, (n + 1) * sizeof(*v));
            if (!v || !(v[n] = strdup(base[i])))
                r = oom(err);
            if (v)
                opts = v, n += r == 0;
        }
        for (const char *p = u->data; r == 0 && *u->data;) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char **v = realloc(opts, (n + 1) * sizeof(*v));
            if (!v || !(v[n] = strndup(p, len)))
                r = oom(err);
            if (v)
                opts = v, n += r == 0;
            if (!e)
                break;
            p = e + 1;
        }
        if (r < 0) {
            ls_strv_free(opts, n);
            return r;
        }
        if ((r = spec_merge_tmpfs_options(opts, n, &merged, &nm, err)) < 0)
            return bf_error_wrap(err, "tmpfs at %s", u->destination);
        m = lm_add(out, u->destination, "tmpfs", u->source, err);
        if (!m) {
            ls_strv_free(merged, nm);
            return -ENOMEM;
        }
        m->options = merged;
        m->n_options = nm;
        return 0;
    }
    m = lm_add(out, u->destination, "bind", u->source, err);
    if (!m || opt_push(m, u->non_recursive ? "bind" : "rbind", err) < 0 ||
        (!u->writable && opt_push(m, "ro", err) < 0))
        return -ENOMEM;
    static const char *const props[] = {"private", "rprivate", "shared",
                                        "rshared", "slave",    "rslave"};
    for (size_t i = 0; i < BF_ARRAY_SIZE(props); i++)
        if (strcmp(u->propagation, props[i]) == 0 && opt_push(m, props[i], err) < 0)
            return -ENOMEM;
    return 0;
}

/* The rootfs propagation a shared or slave bind asks for (Docker also checks that the host
 * mount below the source propagates so, which needs the live host's mount table). */
static int propagation(const struct ulist *l, struct spec_lmounts *out, struct bf_error *err)
{
    const char *rp = NULL;

    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->v[i].propagation;
        if (l->v[i].tmpfs)
            continue;
        if (!strcmp(p, "shared") || !strcmp(p, "rshared")) {
            if (!rp || (strcmp(rp, "shared") != 0 && strcmp(rp, "rshared") != 0))
                rp = "shared";
        } else if (!strcmp(p, "slave") || !strcmp(p, "rslave")) {
            if (!rp)
                rp = "rslave";
        }
    }
    if (rp && !(out->rootfs_propagation = strdup(rp)))
        return oom(err);
    return 0;
}

int spec_linux_mounts(const struct layerstore *ls, const struct ls_container *c,
                      const struct ls_host *h, const char *init_path, struct spec_lmounts *out,
                      struct ls_inputs *in, struct bf_error *err)
{
    struct ulist user = {0};
    size_t n_default;
    int r;

    memset(out, 0, sizeof(*out));
    r = container_mounts(ls, c, &user, &out->note, in, err);
    if (r == 0)
        r = add_defaults(c, init_path, &user, out, err);
    n_default = out->n;
    for (size_t i = 0; i < user.n && r == 0; i++)
        r = add_user(&user.v[i], out, err);
    if (r == 0)
        r = propagation(&user, out, err);
    for (size_t i = 0; i < n_default && r == 0; i++) {
        struct spec_lmount *m = &out->v[i];
        bool exempt = false;
        for (size_t k = 0; k < BF_ARRAY_SIZE(ro_exempt); k++)
            exempt |= strcmp(m->destination, ro_exempt[k]) == 0;
        if (c->host.readonly_rootfs && !exempt && !has_opt(m, "ro"))
            r = opt_push(m, "ro", err);
    }
    /* The read-only rule spares user mounts; the privileged and userns rules do not. */
    for (size_t i = 0; i < out->n && r == 0; i++) {
        if (c->lx.privileged && strcmp(out->v[i].destination, "/sys") == 0)
            clear_ro(&out->v[i]);
        if ((c->lx.privileged || h->userns_remap) && strcmp(out->v[i].type, "cgroup") == 0)
            clear_ro(&out->v[i]);
    }
    ulist_free(&user);
    if (r < 0) {
        spec_lmounts_free(out);
        bf_error_wrap(err, "container %s", c->id);
    }
    return r;
}
