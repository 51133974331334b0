/* host.c - the facts of this host a Linux spec needs (struct ls_host in layerstore.h).
 *
 * This is the one documented exception to "nothing outside the data-root is opened": fixed
 * host paths only (the daemon configuration file, /proc, /sys, /run/systemd/system, /dev and
 * dockerd's default PATH for docker-init), each read the way dockerd 20.10 reads it. No path
 * here is ever built from data-root contents, except that a device a container names is looked
 * up under /dev (and nowhere else), as Docker's DevicesFromPath does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bf_util.h"
#include "ls_internal.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define DEFAULT_DAEMON_CONFIG "/etc/docker/daemon.json"
#define HOST_CAP_FILE (1u << 20) /* daemon.json and a seccomp profile it names */
#define HOST_MAX_DEVICES 65536   /* /dev entries kept at most */
#define HOST_MAX_DEPTH 16        /* /dev folders deep */

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A whole host file of at most `cap` bytes; -ENOENT when absent. */
static int read_host_file(const char *path, size_t cap, char **buf, size_t *len,
                          struct bf_error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    _cleanup_free_ char *b = NULL;
    struct stat st;
    size_t have = 0;

    if (fd < 0)
        return bf_error_set(err, errno, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0)
        return bf_error_set(err, errno, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return bf_error_set(err, EINVAL, "%s: not a regular file", path);
    if ((size_t)st.st_size > cap)
        return bf_error_set(err, EFBIG, "%s: larger than %zu bytes", path, cap);
    if (!(b = malloc(cap + 1)))
        return bf_error_set(err, ENOMEM, "%s: out of memory", path);
    for (;;) {
        ssize_t n = read(fd, b + have, cap + 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return bf_error_set(err, errno, "%s: %s", path, strerror(errno));
        if (n == 0)
            break;
        have += (size_t)n;
        if (have > cap)
            return bf_error_set(err, EFBIG, "%s: larger than %zu bytes", path, cap);
    }
    b[have] = '\0';
    *len = have;
    *buf = steal_pointer(&b);
    return 0;
}

/* First line of a small kernel file, "" when it cannot be read. */
static void read_small(const char *path, char *out, size_t size)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, out, size - 1);

    out[n > 0 ? n : 0] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

static int ulimit_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ls_ulimit *)a)->name, ((const struct ls_ulimit *)b)->name);
}

/* "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 2048}}, as Docker's
 * units.Ulimit; the map's order is Go's (random), so they are kept sorted by name. */
static int parse_default_ulimits(struct ls_host *h, const struct ls_jctx *c, json_t *v)
{
    const char *key;
    json_t *val;
    size_t i = 0;
    int r;

    if (!v)
        return 0;
    if (!json_is_object(v))
        return bf_error_set(c->err, EINVAL, "%s: \"default-ulimits\" must be an object", c->file);
    if (!json_object_size(v))
        return 0;
    if (!(h->default_ulimits = calloc(json_object_size(v), sizeof(*h->default_ulimits))))
        return bf_error_set(c->err, ENOMEM, "out of memory");
    json_object_foreach(v, key, val)
    {
        struct ls_ulimit *u = &h->default_ulimits[i];
        char p[3][96];

        h->n_default_ulimits = ++i;
        if (!json_is_object(val))
            return bf_error_set(c->err, EINVAL, "%s: \"default-ulimits.%.40s\" must be an object",
                                c->file, key);
        snprintf(p[0], sizeof(p[0]), "default-ulimits.%.40s.Name", key);
        snprintf(p[1], sizeof(p[1]), "default-ulimits.%.40s.Soft", key);
        snprintf(p[2], sizeof(p[2]), "default-ulimits.%.40s.Hard", key);
        if ((r = ls_j_string(c, ls_j_get(val, "Name"), p[0], key, &u->name)) < 0 ||
            (r = ls_j_int64(c, ls_j_get(val, "Soft"), p[1], &u->soft)) < 0 ||
            (r = ls_j_int64(c, ls_j_get(val, "Hard"), p[2], &u->hard)) < 0)
            return r;
    }
    qsort(h->default_ulimits, h->n_default_ulimits, sizeof(*h->default_ulimits), ulimit_cmp);
    return 0;
}

static bool go_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* parsers.ParseKeyValueOpt: "key=value", both TrimSpace'd; NULL when there is no '=' or the key
 * is not `want` (any case); *matched tells the two apart from ENOMEM. */
static char *kv_value(const char *opt, const char *want, bool *matched)
{
    const char *eq = strchr(opt, '=');
    const char *k = opt, *ke;

    *matched = false;
    if (!eq)
        return NULL;
    while (go_space(*k))
        k++;
    ke = eq;
    while (ke > k && go_space(ke[-1]))
        ke--;
    if ((size_t)(ke - k) != strlen(want) || strncasecmp(k, want, strlen(want)) != 0)
        return NULL;
    *matched = true;
    eq++;
    while (go_space(*eq))
        eq++;
    size_t n = strlen(eq);
    while (n && go_space(eq[n - 1]))
        n--;
    return strndup(eq, n);
}

static int parse_daemon_config(struct ls_host *h, const char *file, json_t *root,
                               struct bf_error *err)
{
    const struct ls_jctx c = {.file = file, .err = err};
    char **opts = NULL, *seccomp = NULL, *userns = NULL;
    size_t n = 0;
    int r;

    if ((r = ls_j_strv(&c, ls_j_get(root, "exec-opts"), "exec-opts", &opts, &n)) < 0)
        return r;
    /* getCD: the first native.cgroupdriver option, even an empty one. */
    for (size_t i = 0; i < n; i++) {
        bool matched;
        char *v = kv_value(opts[i], "native.cgroupdriver", &matched);
        if (matched) {
            if (!v) {
                ls_strv_free(opts, n);
                return bf_error_set(err, ENOMEM, "out of memory");
            }
            free(h->cgroup_driver);
            h->cgroup_driver = v;
            break;
        }
    }
    ls_strv_free(opts, n);
    if (strcmp(h->cgroup_driver, "none") == 0)
        return bf_error_set(err, EINVAL,
                            "%s: native.cgroupdriver option none is internally used and cannot "
                            "be specified manually",
                            file);
    if (*h->cgroup_driver && strcmp(h->cgroup_driver, "cgroupfs") != 0 &&
        strcmp(h->cgroup_driver, "systemd") != 0)
        return bf_error_set(err, EINVAL, "%s: native.cgroupdriver option %s not supported", file,
                            h->cgroup_driver);
    free(h->cgroup_parent);
    free(h->init_path);
    h->cgroup_parent = h->init_path = NULL;
    if ((r = ls_j_string(&c, ls_j_get(root, "cgroup-parent"), "cgroup-parent", "",
                         &h->cgroup_parent)) < 0 ||
        (r = ls_j_bool(&c, ls_j_get(root, "init"), "init", &h->init)) < 0 ||
        (r = ls_j_string(&c, ls_j_get(root, "init-path"), "init-path", "", &h->init_path)) < 0 ||
        (r = ls_j_bool(&c, ls_j_get(root, "rootless"), "rootless", &h->rootless)) < 0 ||
        (r = ls_j_string(&c, ls_j_get(root, "seccomp-profile"), "seccomp-profile", "", &seccomp)) <
            0 ||
        (r = ls_j_string(&c, ls_j_get(root, "userns-remap"), "userns-remap", "", &userns)) < 0 ||
        (r = parse_default_ulimits(h, &c, ls_j_get(root, "default-ulimits"))) < 0) {
        free(seccomp);
        free(userns);
        return r;
    }
    h->userns_remap = *userns != '\0';
    free(userns);
    /* verifyDaemonSettings: with systemd's driver the parent must be a slice */
    bool systemd = strcmp(h->cgroup_driver, "systemd") == 0;
    size_t pl = strlen(h->cgroup_parent);
    if (systemd && pl && (pl < 6 || strcmp(h->cgroup_parent + pl - 6, ".slice") != 0)) {
        free(seccomp);
        return bf_error_set(err, EINVAL,
                            "%s: cgroup-parent for systemd cgroup should be a valid slice named "
                            "as \"xxx.slice\"",
                            file);
    }
    /* setupSeccompProfile: the file is read once, whatever it says. */
    if (*seccomp) {
        struct bf_error e = BF_ERROR_INIT;
        r = read_host_file(seccomp, HOST_CAP_FILE, &h->seccomp_profile, &h->seccomp_profile_len,
                           &e);
        if (r < 0) {
            char why[128];
            snprintf(why, sizeof(why), "%s", strerror(e.code));
            if (why[0] >= 'A' && why[0] <= 'Z' && !(why[1] >= 'A' && why[1] <= 'Z'))
                why[0] = (char)(why[0] - 'A' + 'a'); /* Go's errno text */
            bf_error_set(err, e.code, "%s: opening seccomp profile (%s) failed: open %s: %s", file,
                         seccomp, seccomp, why);
        }
        bf_error_clear(&e);
    }
    free(seccomp);
    return r;
}

static int load_daemon_config(struct ls_host *h, struct bf_error *err)
{
    _cleanup_free_ char *buf = NULL;
    struct bf_error e = BF_ERROR_INIT;
    json_error_t jerr;
    json_t *root;
    size_t len = 0;
    int r;

    r = read_host_file(h->config_file, HOST_CAP_FILE, &buf, &len, &e);
    if (r < 0 && e.code == ENOENT) {
        bf_error_clear(&e);
        return 0;
    }
    h->config_present = true;
    if (r == 0) {
        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root || !json_is_object(root))
            r = bf_error_set(&e, EINVAL, "%s: %s", h->config_file,
                             root ? "not a JSON object" : jerr.text);
        else
            r = parse_daemon_config(h, h->config_file, root, &e);
        json_decref(root);
    }
    if (r < 0) {
        h->config_error = strdup(bf_error_message(&e));
        bf_error_clear(&e);
        if (!h->config_error)
            return bf_error_set(err, ENOMEM, "out of memory");
    }
    return 0;
}

/* exec.LookPath("docker-init") with the PATH dockerd runs with under systemd. */
static char *find_docker_init(void)
{
    static const char *const dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                       "/usr/bin",        "/sbin",          "/bin"};

    for (size_t i = 0; i < BF_ARRAY_SIZE(dirs); i++) {
        char p[64];
        struct stat st;
        snprintf(p, sizeof(p), "%s/docker-init", dirs[i]);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
            return strdup(p);
    }
    return NULL;
}

static bool apparmor_enabled(void)
{
    char buf[8];

    /* runc's IsEnabled (the `container` variable of the daemon's environment aside) */
    if (!exists("/sys/kernel/security/apparmor") || !exists("/sbin/apparmor_parser"))
        return false;
    read_small("/sys/module/apparmor/parameters/enabled", buf, sizeof(buf));
    return buf[0] == 'Y';
}

static bool running_in_userns(void)
{
    char buf[128];
    unsigned long a, b, c;

    read_small("/proc/self/uid_map", buf, sizeof(buf));
    if (!*buf)
        return false;
    return !(sscanf(buf, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL);
}

/* sysinfo's check: PR_GET_SECCOMP is known and SECCOMP_MODE_FILTER is (a NULL filter is EFAULT
 * where filters exist, EINVAL where they do not). */
static bool seccomp_filters(void)
{
    if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
        return false;
    return !(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0) < 0 && errno == EINVAL);
}

int ls_host_load(const char *daemon_config, struct ls_host **out, struct bf_error *err)
{
    struct ls_host *h = calloc(1, sizeof(*h));
    struct utsname u;
    struct statfs sf;
    char buf[256];
    int r;

    *out = NULL;
    if (!h)
        return bf_error_set(err, ENOMEM, "out of memory");
    h->config_file = strdup(daemon_config ? daemon_config : DEFAULT_DAEMON_CONFIG);
    h->cgroup_driver = strdup("");
    h->cgroup_parent = strdup("");
    h->init_path = strdup("");
    if (!h->config_file || !h->cgroup_driver || !h->cgroup_parent || !h->init_path) {
        ls_host_free(h);
        return bf_error_set(err, ENOMEM, "out of memory");
    }
    r = load_daemon_config(h, err);
    if (r < 0) {
        ls_host_free(h);
        return r;
    }
    h->cgroup_v2 = statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
    {
        struct stat st;
        h->systemd_running = lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
    }
    h->apparmor = apparmor_enabled();
    h->in_userns = running_in_userns();
    h->overlay_index = exists("/sys/module/overlay/parameters/index");
    h->sysctl_ping_group_range = exists("/proc/sys/net/ipv4/ping_group_range");
    h->sysctl_unprivileged_port_start = exists("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    read_small("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf));
    h->cap_last_cap = *buf ? atoi(buf) : 63;
    h->seccomp = seccomp_filters();
    if (uname(&u) == 0) {
        snprintf(h->machine, sizeof(h->machine), "%.31s", u.machine);
        sscanf(u.release, "%u.%u", &h->kernel_major, &h->kernel_minor);
    }
    h->docker_init = find_docker_init();
    *out = h;
    return 0;
}

void ls_host_devices_free(struct ls_host_device *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].path);
    free(v);
}

void ls_host_free(struct ls_host *h)
{
    if (!h)
        return;
    free(h->config_file);
    free(h->cgroup_driver);
    free(h->cgroup_parent);
    free(h->init_path);
    free(h->seccomp_profile);
    for (size_t i = 0; i < h->n_default_ulimits; i++)
        free(h->default_ulimits[i].name);
    free(h->default_ulimits);
    free(h->config_error);
    free(h->docker_init);
    ls_host_devices_free(h->devices, h->n_devices);
    free(h->devices_error);
    free(h);
}

struct devlist {
    struct ls_host_device *v;
    size_t n, cap;
};

static int devlist_add(struct devlist *l, const char *path, const struct stat *st,
                       struct bf_error *err)
{
    if (l->n == HOST_MAX_DEVICES)
        return bf_error_set(err, E2BIG, "/dev: more than %d device nodes", HOST_MAX_DEVICES);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct ls_host_device *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return bf_error_set(err, ENOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    struct ls_host_device *d = &l->v[l->n];
    if (!(d->path = strdup(path)))
        return bf_error_set(err, ENOMEM, "out of memory");
    d->type = S_ISBLK(st->st_mode) ? 'b' : 'c';
    d->major = major(st->st_rdev);
    d->minor = minor(st->st_rdev);
    d->mode = st->st_mode & ~(uint32_t)S_IFMT; /* runc keeps the permission bits */
    d->uid = st->st_uid;
    d->gid = st->st_gid;
    l->n++;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* runc's GetDevices: ReadDir order (sorted by name), folders by lstat, skipped names. When
 * `as` is set, each path is rewritten with it in place of `dir`'s prefix (DevicesFromPath). */
static int walk_devices(const char *dir, size_t strip, const char *as, bool skip, int depth,
                        struct devlist *l, struct bf_error *err)
{
    static const char *const skipped[] = {"pts",  "shm",         "fd",   "mqueue",
                                          ".lxc", ".lxd-mounts", ".udev"};
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;

    if (depth > HOST_MAX_DEPTH)
        return 0;
    if (!(d = opendir(dir)))
        return depth ? 0 : bf_error_set(err, errno, "%s: %s", dir, strerror(errno));
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (n == cap) {
            char **nv = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*nv));
            if (!nv) {
                r = bf_error_set(err, ENOMEM, "out of memory");
                break;
            }
            names = nv;
        }
        if (!(names[n] = strdup(de->d_name))) {
            r = bf_error_set(err, ENOMEM, "out of memory");
            break;
        }
        n++;
        if (n > HOST_MAX_DEVICES) {
            r = bf_error_set(err, E2BIG, "%s: more than %d entries", dir, HOST_MAX_DEVICES);
            break;
        }
    }
    closedir(d);
    if (r == 0 && n)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; r == 0 && i < n; i++) {
        char p[PATH_MAX], shown[PATH_MAX];
        struct stat st;
        if (snprintf(p, sizeof(p), "%s/%s", dir, names[i]) >= (int)sizeof(p) || lstat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            bool skip_it = false;
            for (size_t k = 0; skip && k < BF_ARRAY_SIZE(skipped); k++)
                skip_it |= strcmp(names[i], skipped[k]) == 0;
            if (!skip_it)
                r = walk_devices(p, strip, as, skip, depth + 1, l, err);
            continue;
        }
        if (skip && strcmp(names[i], "console") == 0)
            continue;
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
            continue;
        if (as)
            snprintf(shown, sizeof(shown), "%s%s", as, p + strip);
        r = devlist_add(l, as ? shown : p, &st, err);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return r;
}

int ls_host_device_from_path(const char *path, struct ls_host_device **v, size_t *n,
                             struct bf_error *err)
{
    struct devlist l = {0};
    char resolved[PATH_MAX];
    struct stat st;
    int r;

    *v = NULL;
    *n = 0;
    if (strncmp(path, "/dev/", 5) != 0 || strstr(path, "/../") ||
        !strcmp(path + strlen(path) - 3, "/.."))
        return bf_error_set(err, EINVAL,
                            "error gathering device information while adding custom device "
                            "\"%s\": bundlefs looks up devices under /dev only",
                            path);
    /* Resolved whole first (every link, /dev/fd/N and the like included): only a place under
     * /dev itself is ever looked at or walked. */
    if (!realpath(path, resolved))
        return bf_error_set(err, errno,
                            "error gathering device information while adding custom device "
                            "\"%s\": %s",
                            path, strerror(errno));
    if (strncmp(resolved, "/dev/", 5) != 0)
        return bf_error_set(err, EINVAL,
                            "error gathering device information while adding custom device "
                            "\"%s\": it leads out of /dev (%s)",
                            path, resolved);
    if (lstat(resolved, &st) < 0)
        return bf_error_set(err, errno,
                            "error gathering device information while adding custom device "
                            "\"%s\": %s",
                            path, strerror(errno));
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        r = devlist_add(&l, "", &st, err);
    } else if (S_ISDIR(st.st_mode)) {
        r = walk_devices(resolved, strlen(resolved), "", false, 1, &l, err);
    } else {
        return bf_error_set(err, EINVAL,
                            "error gathering device information while adding custom device "
                            "\"%s\": not a device node",
                            path);
    }
    if (r == 0 && !l.n)
        r = bf_error_set(err, EINVAL,
                         "error gathering device information while adding custom device "
                         "\"%s\": not a device node",
                         path);
    if (r < 0) {
        ls_host_devices_free(l.v, l.n);
        return r;
    }
    *v = l.v;
    *n = l.n;
    return 0;
}

static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;

const struct ls_host *layerstore_host(struct layerstore *ls, struct bf_error *err)
{
    struct ls_host *h;

    pthread_mutex_lock(&host_lock);
    if (!ls->host && ls_host_load(ls->daemon_config, &ls->host, err) < 0)
        ls->host = NULL;
    h = ls->host;
    pthread_mutex_unlock(&host_lock);
    return h;
}

int layerstore_host_devices(struct layerstore *ls, const struct ls_host_device **v, size_t *n,
                            struct bf_error *err)
{
    const struct ls_host *ch = layerstore_host(ls, err);
    struct ls_host *h = (struct ls_host *)ch;
    struct devlist l = {0};
    int r = 0;

    if (!h)
        return -err->code;
    pthread_mutex_lock(&host_lock);
    if (!h->devices_loaded) {
        struct bf_error e = BF_ERROR_INIT;
        if (walk_devices("/dev", 0, NULL, true, 0, &l, &e) < 0) {
            ls_host_devices_free(l.v, l.n);
            h->devices_error = strdup(bf_error_message(&e));
            bf_error_clear(&e);
        } else {
            h->devices = l.v;
            h->n_devices = l.n;
        }
        h->devices_loaded = true;
    }
    if (h->devices_error)
        r = bf_error_set(err, EIO, "%s", h->devices_error);
    *v = h->devices;
    *n = h->n_devices;
    pthread_mutex_unlock(&host_lock);
    return r;
}
