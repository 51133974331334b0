/* linux.c - config.json of a Linux container, as Docker 20.10.24's createSpec builds it
 * (daemon/oci_linux.go with oci/defaults.go, oci/caps, daemon/seccomp_linux.go).
 *
 * spec_linux_prepare() does every step that reads or can fail (the user from the container's
 * own /etc/passwd and /etc/group, capabilities, seccomp, mounts, joined namespaces, devices);
 * spec_render_linux() only writes what it found, in specs-go's key order and omitempty rules.
 * Where Go iterates a map (sysctls, daemon default-ulimits) the output is sorted, as Go's JSON
 * encoder sorts map keys; the ulimits of daemon.json are appended in name order.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "bf_util.h"
#include "seccomp.h"
#include "spec.h"
#include "spec_internal.h"
#include "user.h"

/* Bounds on what one hostile container can make the generation cost: Docker has none, but no
 * real container comes near them, and without them time and memory grow with a product of
 * inputs (links x the linked container's Env, device folders x their nodes, mounts squared). */
#define MAX_LIST 4096     /* MountPoints, Tmpfs, Sysctls, Ulimits, Devices, rules, groups */
#define MAX_LINKS 64      /* HostConfig.Links */
#define MAX_ENV 65536     /* process.env entries, links' included */
#define MAX_DEVICES 16384 /* linux.devices entries (folders and privileged expand) */

static const char *const default_masked[] = {
    "/proc/asound",        "/proc/acpi",       "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",          "/sys/firmware",
};
static const char *const default_readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                               "/proc/sysrq-trigger"};

static int oom(struct bf_error *err)
{
    return bf_error_set(err, ENOMEM, "out of memory");
}

/* Go's filepath.Clean for '/'-separated paths. */
static char *path_clean(const char *p)
{
    size_t n = strlen(p), o = 0, floor = 0; /* out[0..floor) is never removed by ".." */
    char *out = malloc(n + 2);
    bool rooted = p[0] == '/';

    if (!out)
        return NULL;
    if (rooted)
        out[o++] = '/', floor = 1;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && p[e] != '/')
            e++;
        size_t len = e - i;
        if (len == 0 || (len == 1 && p[i] == '.')) {
            /* empty or "." */
        } else if (len == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (o > floor) {
                while (o > floor && out[o - 1] != '/')
                    o--;
                if (o > floor)
                    o--; /* the separator before the removed name */
            } else if (!rooted) {
                if (o > 0)
                    out[o++] = '/';
                out[o++] = '.';
                out[o++] = '.';
                floor = o;
            }
        } else {
            if (o > (rooted ? 1u : 0u))
                out[o++] = '/';
            memcpy(out + o, p + i, len);
            o += len;
        }
        i = e + 1;
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    return out;
}

/* ---- process ---- */

static bool mode_is_container(const char *m)
{
    return strncmp(m, "container:", 10) == 0;
}

static bool pid_private(const struct ls_linux *lx)
{
    return strcmp(lx->pid_mode, "host") != 0 && !mode_is_container(lx->pid_mode);
}

static int strv_push(char ***v, size_t *n, const char *s, size_t len, struct bf_error *err)
{
    char **nv = realloc(*v, (*n + 1) * sizeof(**v));

    if (!nv)
        return oom(err);
    *v = nv;
    if (!(nv[*n] = len == SIZE_MAX ? strdup(s) : strndup(s, len)))
        return oom(err);
    (*n)++;
    return 0;
}

/* ---- legacy links (setupLinkedContainers, links.Link.ToEnv) ---- */

static int target(struct layerstore *ls, const struct ls_container *c, const char *ref,
                  struct ls_container **t, struct ls_inputs *in, struct bf_error *err);

struct port { /* nat.Port "8080/tcp" */
    const char *s;
    int num; /* Port.Int(): 0 when not a number */
    size_t port_len;
    const char *proto;
};

static int port_less(const struct port *a, const struct port *b)
{
    /* nat.Sort's order in ToEnv: by number, tcp first among equals */
    return a->num < b->num || (a->num == b->num && strcasecmp(a->proto, "tcp") == 0);
}

static int env_addf(char ***v, size_t *n, struct bf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int env_addf(char ***v, size_t *n, struct bf_error *err, const char *fmt, ...)
{
    va_list ap;
    char *e;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&e, fmt, ap);
    va_end(ap);
    if (r < 0)
        return oom(err);
    r = strv_push(v, n, e, SIZE_MAX, err);
    free(e);
    return r;
}

/* s upper-cased into buf (ASCII, as Go's ToUpper for these names). */
static const char *upper(const char *s, char *buf, size_t size)
{
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++)
        buf[i] = (char)toupper((unsigned char)s[i]);
    buf[i] = '\0';
    return buf;
}

/* ToEnv for one link: alias is the link's name's last element, upper-cased, '-' as '_'. */
static int link_env(const char *name, const char *ip, const struct ls_container *child, char ***env,
                    size_t *n, struct bf_error *err)
{
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    const struct ls_linux *cl = &child->lx;
    size_t np = cl->n_exposed_ports;
    struct port *ports = np ? calloc(np, sizeof(*ports)) : NULL;
    char alias[256];
    int r = 0;

    if (np && !ports)
        return oom(err);
    snprintf(alias, sizeof(alias), "%s", base);
    for (char *a = alias; *a; a++)
        *a = *a == '-' ? '_' : (char)toupper((unsigned char)*a);
    for (size_t i = 0; i < np; i++) {
        const char *p = cl->exposed_ports[i], *slash = strchr(p, '/');
        ports[i].s = p;
        ports[i].port_len = slash ? (size_t)(slash - p) : strlen(p);
        ports[i].proto = slash ? slash + 1 : "tcp";
        char num[16] = "";
        bool digits = ports[i].port_len > 0 && ports[i].port_len < sizeof(num);
        for (size_t k = 0; digits && k < ports[i].port_len; k++)
            digits = p[k] >= '0' && p[k] <= '9';
        if (digits) {
            memcpy(num, p, ports[i].port_len);
            ports[i].num = atoi(num);
        }
    }
    /* a stable insertion sort: the ports are few (Config.ExposedPorts) */
    for (size_t i = 1; i < np; i++)
        for (size_t j = i; j > 0 && port_less(&ports[j], &ports[j - 1]); j--) {
            struct port t = ports[j];
            ports[j] = ports[j - 1];
            ports[j - 1] = t;
        }
#define P(x) (int)(x).port_len, (x).s
    if (np)
        r = env_addf(env, n, err, "%s_PORT=%s://%s:%.*s", alias, ports[0].proto, ip, P(ports[0]));
    for (size_t i = 0; i < np && r == 0;) {
        size_t j = i;
        /* nextContiguous */
        if (i + 1 < np) {
            int value = ports[i].num;
            j = np - 1;
            for (size_t k = i + 1; k < np; k++, value++)
                if (ports[k].num > value + 1) {
                    j = k - 1;
                    break;
                }
        }
        if (j > i + 1) {
            char up[16], upq[16];
            upper(ports[i].proto, up, sizeof(up));
            upper(ports[j].proto, upq, sizeof(upq));
            const struct port *p = &ports[i], *q = &ports[j];
            if ((r = env_addf(env, n, err, "%s_PORT_%.*s_%s_START=%s://%s:%.*s", alias, P(*p), up,
                              p->proto, ip, P(*p))) < 0 ||
                (r = env_addf(env, n, err, "%s_PORT_%.*s_%s_ADDR=%s", alias, P(*p), up, ip)) < 0 ||
                (r = env_addf(env, n, err, "%s_PORT_%.*s_%s_PROTO=%s", alias, P(*p), up,
                              p->proto)) < 0 ||
                (r = env_addf(env, n, err, "%s_PORT_%.*s_%s_PORT_START=%.*s", alias, P(*p), up,
                              P(*p))) < 0 ||
                (r = env_addf(env, n, err, "%s_PORT_%.*s_%s_END=%s://%s:%.*s", alias, P(*p), upq,
                              q->proto, ip, P(*q))) < 0 ||
                (r = env_addf(env, n, err, "%s_PORT_%.*s_%s_PORT_END=%.*s", alias, P(*p), upq,
                              P(*q))) < 0)
                break;
            i = j + 1;
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < np && r == 0; i++) {
        const struct port *p = &ports[i];
        char up[16];
        upper(p->proto, up, sizeof(up));
        if ((r = env_addf(env, n, err, "%s_PORT_%.*s_%s=%s://%s:%.*s", alias, P(*p), up, p->proto,
                          ip, P(*p))) < 0 ||
            (r = env_addf(env, n, err, "%s_PORT_%.*s_%s_ADDR=%s", alias, P(*p), up, ip)) < 0 ||
            (r = env_addf(env, n, err, "%s_PORT_%.*s_%s_PORT=%.*s", alias, P(*p), up, P(*p))) < 0 ||
            (r = env_addf(env, n, err, "%s_PORT_%.*s_%s_PROTO=%s", alias, P(*p), up, p->proto)) < 0)
            break;
    }
#undef P
    free(ports);
    if (r == 0)
        r = env_addf(env, n, err, "%s_NAME=%s", alias, name);
    for (size_t i = 0; i < child->config.n_env && r == 0; i++) {
        const char *e = child->config.env[i], *eq = strchr(e, '=');
        if (!eq || (eq - e == 4 && (!strncmp(e, "HOME", 4) || !strncmp(e, "PATH", 4))))
            continue;
        r = env_addf(env, n, err, "%s_ENV_%.*s=%s", alias, (int)(eq - e), e, eq + 1);
    }
    return r;
}

static const struct ls_network *network_named(const struct ls_container *c, const char *name)
{
    for (size_t i = 0; i < c->n_networks; i++)
        if (strcmp(c->networks[i].name, name) == 0)
            return &c->networks[i];
    return NULL;
}

static bool mode_user_defined(const char *m)
{
    return *m && strcmp(m, "default") != 0 && strcmp(m, "bridge") != 0 && strcmp(m, "host") != 0 &&
           strcmp(m, "none") != 0 && strncmp(m, "container:", 10) != 0;
}

struct link {
    char *name, *alias; /* opts.ParseLink */
};

static int link_cmp(const void *a, const void *b)
{
    return strcmp(((const struct link *)a)->alias, ((const struct link *)b)->alias);
}

/* The environment of the container's legacy links. Docker registers them only off user-defined
 * networks and makes them only for a container on the default bridge; its map of children has
 * no order, so links come in alias order. */
static int links_env(struct layerstore *ls, const struct ls_container *c, char ***env, size_t *n,
                     struct ls_inputs *in, struct bf_error *err)
{
    const struct ls_linux *lx = &c->lx;
    struct link *links;
    int r = 0;

    if (!lx->n_links || mode_user_defined(c->host.network_mode) || !network_named(c, "bridge"))
        return 0;
    if (!(links = calloc(lx->n_links, sizeof(*links))))
        return oom(err);
    for (size_t i = 0; i < lx->n_links && r == 0; i++) {
        const char *l = lx->links[i], *colon = strchr(l, ':');
        if (!*l)
            r = bf_error_set(err, EINVAL, "empty string specified for links");
        else if (colon && strchr(colon + 1, ':'))
            r = bf_error_set(err, EINVAL, "bad format for links: %s", l);
        else if (!colon) {
            links[i].name = strdup(l);
            links[i].alias = strdup(l);
        } else if (l[0] == '/') {
            const char *a = strrchr(colon + 1, '/');
            links[i].name = strndup(l + 1, (size_t)(colon - l - 1));
            links[i].alias = strdup(a ? a + 1 : colon + 1);
        } else {
            links[i].name = strndup(l, (size_t)(colon - l));
            links[i].alias = strdup(colon + 1);
        }
        if (r == 0 && (!links[i].name || !links[i].alias))
            r = oom(err);
    }
    if (r == 0)
        qsort(links, lx->n_links, sizeof(*links), link_cmp);
    if (r == 0 && lx->n_links && !c->name)
        r = bf_error_set(err, ENAMETOOLONG,
                         "containers/%s/config.v2.json: Name is %zu bytes: bundlefs keeps names "
                         "up to %d bytes (a directory entry's), and its Links need it",
                         c->id, c->name_dropped, LS_NAME_MAX);
    for (size_t i = 0; i < lx->n_links && r == 0; i++) {
        struct ls_container *child = NULL;
        _cleanup_free_ char *full = NULL;
        if (asprintf(&full, "/%s/%s", c->name, links[i].alias) < 0) {
            full = NULL;
            r = oom(err);
            break;
        }
        if ((r = target(ls, c, links[i].name, &child, in, err)) < 0) {
            bf_error_wrap(err, "could not get container for %s", links[i].name);
            break;
        }
        /* a child sharing another's network is linked to that one */
        for (int hops = 0; r == 0 && mode_is_container(child->host.network_mode); hops++) {
            struct ls_container *next = NULL;
            if (hops == 16)
                r = bf_error_set(err, ELOOP, "%s: too many container: network modes", full);
            else if ((r = target(ls, c, child->host.network_mode + 10, &next, in, err)) == 0) {
                ls_container_free(child);
                child = next;
            }
        }
        const struct ls_network *cb = child ? network_named(child, "bridge") : NULL;
        if (r == 0 && strcmp(child->host.network_mode, "host") == 0)
            r = bf_error_set(err, EINVAL,
                             "conflicting options: host type networking can't be used with "
                             "links. This would result in undefined behavior");
        else if (r == 0 && !child->running)
            r = bf_error_set(err, EBUSY, "Cannot link to a non running container: /%s AS %s",
                             child->name ? child->name : "", full);
        else if (r == 0 && !cb)
            r = bf_error_set(err, EINVAL, "container %s not attached to default bridge network",
                             child->id);
        else if (r == 0)
            r = link_env(full, cb->ip_address, child, env, n, err);
        ls_container_free(child);
    }
    for (size_t i = 0; i < lx->n_links; i++) {
        free(links[i].name);
        free(links[i].alias);
    }
    free(links);
    return r;
}

/* CreateDaemonEnvironment + ReplaceOrAppendEnvValues: the defaults' keys (PATH, HOSTNAME, TERM,
 * the links') keep their slots: an entry of Config.Env replaces the value in the slot of its key
 * (an entry without '=' empties it, and a later one of that key fills it again), every other
 * entry is appended; emptied slots go at the end. */
static int make_env(struct layerstore *ls, const struct ls_container *c, struct spec_linux *out,
                    struct ls_inputs *in, struct bf_error *err)
{
    _cleanup_free_ char *host = NULL;
    size_t n_defaults;
    size_t *klen = NULL;
    int r;

    if (asprintf(&host, "HOSTNAME=%s", c->config.hostname) < 0)
        return oom(err);
    if ((r = strv_push(&out->env, &out->n_env,
                       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       SIZE_MAX, err)) < 0 ||
        (r = strv_push(&out->env, &out->n_env, host, SIZE_MAX, err)) < 0 ||
        (c->config.tty && (r = strv_push(&out->env, &out->n_env, "TERM=xterm", SIZE_MAX, err)) < 0))
        return r;
    if ((r = links_env(ls, c, &out->env, &out->n_env, in, err)) < 0)
        return r;
    n_defaults = out->n_env;
    if (!(klen = calloc(n_defaults, sizeof(*klen))))
        return oom(err);
    for (size_t k = 0; k < n_defaults; k++) {
        const char *eq = strchr(out->env[k], '=');
        klen[k] = eq ? (size_t)(eq - out->env[k]) : strlen(out->env[k]);
    }
    /* the key of a default slot stays that slot's even while it is emptied */
    char **keys = calloc(n_defaults ? n_defaults : 1, sizeof(*keys));
    for (size_t k = 0; keys && k < n_defaults; k++)
        if (!(keys[k] = strndup(out->env[k], klen[k])))
            r = oom(err);
    if (!keys)
        r = oom(err);
    for (size_t i = 0; r == 0 && i < c->config.n_env; i++) {
        const char *e = c->config.env[i], *eq = strchr(e, '=');
        size_t kl = eq ? (size_t)(eq - e) : strlen(e);
        ssize_t hit = -1;
        for (size_t k = 0; k < n_defaults; k++)
            if (klen[k] == kl && strncmp(keys[k], e, kl) == 0)
                hit = (ssize_t)k;
        if (!eq) {
            if (hit >= 0) {
                free(out->env[hit]);
                out->env[hit] = NULL;
            }
            continue;
        }
        if (hit >= 0) {
            char *v = strdup(e);
            if (!v) {
                r = oom(err);
                break;
            }
            free(out->env[hit]);
            out->env[hit] = v;
        } else {
            r = strv_push(&out->env, &out->n_env, e, SIZE_MAX, err);
        }
    }
    ls_strv_free(keys, keys ? n_defaults : 0);
    free(klen);
    size_t k = 0;
    for (size_t i = 0; i < out->n_env; i++)
        if (out->env[i])
            out->env[k++] = out->env[i];
    out->n_env = k;
    return r;
}

static int make_args(const struct ls_container *c, const char *init, struct spec_linux *out,
                     struct bf_error *err)
{
    int r = 0;

    if (init &&
        ((r = strv_push(&out->args, &out->n_args, "/sbin/docker-init", SIZE_MAX, err)) < 0 ||
         (r = strv_push(&out->args, &out->n_args, "--", SIZE_MAX, err)) < 0))
        return r;
    if ((r = strv_push(&out->args, &out->n_args, c->path, SIZE_MAX, err)) < 0)
        return r;
    for (size_t i = 0; i < c->n_args && r == 0; i++)
        r = strv_push(&out->args, &out->n_args, c->args[i], SIZE_MAX, err);
    return r;
}

/* getUser: GetExecUserPath over the container's own /etc/passwd and /etc/group. */
static int resolve_user(struct layerstore *ls, const struct ls_container *c,
                        const struct ls_walk *w, struct spec_linux *out, struct ls_inputs *in,
                        struct bf_error *err)
{
    struct spec_user u = {0};
    int r = spec_user_from_rootfs(ls, c, w, c->lx.group_add, c->lx.n_group_add, &u, in, err);

    if (r < 0)
        return r;
    out->uid = u.uid;
    out->gid = u.gid;
    out->gids = steal_pointer(&u.additional_gids);
    out->n_gids = u.n_additional_gids;
    spec_user_free(&u);
    return 0;
}

/* ---- namespaces ---- */

static struct spec_lnamespace *ns_set(struct spec_linux *out, const char *type)
{
    for (size_t i = 0; i < out->n_ns; i++)
        if (strcmp(out->ns[i].type, type) == 0)
            return &out->ns[i];
    if (out->n_ns == BF_ARRAY_SIZE(out->ns))
        return NULL;
    out->ns[out->n_ns] = (struct spec_lnamespace){.type = type};
    return &out->ns[out->n_ns++];
}

static void ns_remove(struct spec_linux *out, const char *type)
{
    for (size_t i = 0; i < out->n_ns; i++) {
        if (strcmp(out->ns[i].type, type) == 0) {
            free(out->ns[i].path);
            memmove(&out->ns[i], &out->ns[i + 1], (out->n_ns - i - 1) * sizeof(out->ns[0]));
            out->n_ns--;
            return;
        }
    }
}

/* The container a "container:<ref>" mode names, loaded (its files become inputs). */
static int target(struct layerstore *ls, const struct ls_container *c, const char *ref,
                  struct ls_container **t, struct ls_inputs *in, struct bf_error *err)
{
    char id[LS_ID_LEN + 1];
    int r;

    *t = NULL;
    if ((r = layerstore_container_resolve(ls, ref, id, err)) < 0)
        return r;
    (void)c;
    return layerstore_container_load(ls, id, t, in, err);
}

static int ns_path(struct spec_lnamespace *ns, int64_t pid, const char *name, struct bf_error *err)
{
    free(ns->path);
    if (asprintf(&ns->path, "/proc/%lld/ns/%s", (long long)pid, name) < 0) {
        ns->path = NULL;
        return oom(err);
    }
    return 0;
}

static int namespaces(struct layerstore *ls, const struct ls_container *c, struct spec_linux *out,
                      struct ls_inputs *in, struct bf_error *err)
{
    static const char *const defaults[] = {"mount", "network", "uts", "pid", "ipc"};
    const struct ls_linux *lx = &c->lx;
    const char *net = c->host.network_mode, *ipc = lx->ipc_mode;
    struct ls_container *t = NULL;
    int r = 0;

    for (size_t i = 0; i < BF_ARRAY_SIZE(defaults); i++)
        ns_set(out, defaults[i]);
    if (!c->config.network_disabled) {
        struct spec_lnamespace *ns = ns_set(out, "network");
        if (mode_is_container(net)) {
            if ((r = target(ls, c, net + 10, &t, in, err)) < 0)
                return r;
            if (strcmp(t->id, c->id) == 0)
                r = bf_error_set(err, EINVAL, "cannot join own network");
            else if (!t->running)
                r = bf_error_set(err, EBUSY, "cannot join network of a non running container: %s",
                                 net + 10);
            else
                r = ns_path(ns, t->lx.pid, "net", err);
            ls_container_free(t);
            t = NULL;
            if (r < 0)
                return r;
        } else if (strcmp(net, "host") == 0) {
            /* 20.10 joins SandboxKey, the daemon's <exec-root>/netns/default (the host's
             * namespace, bound there by a running dockerd): no namespace is the same network
             * without the daemon, as today's Docker writes it */
            ns_remove(out, "network");
        }
    }
    if (mode_is_container(ipc)) {
        const char *ref = ipc + 10;
        struct spec_lnamespace *ns = ns_set(out, "ipc");
        r = target(ls, c, ref, &t, in, err);
        if (r == 0 && !t->running)
            r = bf_error_set(err, EBUSY, "container %s is not running", t->id);
        if (r == 0) {
            /* the donor's ShmPath must be a folder (IpcMode shareable) */
            bool ok = false;
            const char *sp = t->lx.shm_path;
            size_t n = strlen(sp);
            if (n > 11 && strcmp(sp + n - 11, "/mounts/shm") == 0) {
                char rel[LS_ID_LEN + 32];
                bool exists = false;
                mode_t mode = 0;
                snprintf(rel, sizeof(rel), "containers/%s/mounts/shm", t->id);
                r = layerstore_probe(ls, rel, &exists, &mode, in, err);
                ok = r == 0 && exists && S_ISDIR(mode);
            }
            if (r == 0 && !ok)
                r = bf_error_set(err, EINVAL,
                                 "non-shareable IPC (hint: use IpcMode:shareable for the donor "
                                 "container)");
        }
        if (r == 0)
            r = ns_path(ns, t->lx.pid, "ipc", err);
        ls_container_free(t);
        t = NULL;
        if (r < 0)
            return bf_error_wrap(err, "can't join IPC of container %s", ref);
    } else if (strcmp(ipc, "host") == 0) {
        ns_remove(out, "ipc");
    } else if (*ipc && strcmp(ipc, "private") != 0 && strcmp(ipc, "shareable") != 0 &&
               strcmp(ipc, "none") != 0) {
        return bf_error_set(err, EINVAL, "Invalid IPC mode: %s", ipc);
    }
    if (mode_is_container(lx->pid_mode)) {
        const char *ref = lx->pid_mode + 10;
        r = target(ls, c, ref, &t, in, err);
        if (r < 0)
            return bf_error_wrap(err, "cannot join PID of a non running container: %s", ref);
        if (!t->running)
            r = bf_error_set(err, EBUSY, "container %s is not running", t->id);
        else
            r = ns_path(ns_set(out, "pid"), t->lx.pid, "pid", err);
        ls_container_free(t);
        if (r < 0)
            return r;
    } else if (strcmp(lx->pid_mode, "host") == 0) {
        ns_remove(out, "pid");
    }
    if (strcmp(lx->uts_mode, "host") == 0) {
        ns_remove(out, "uts");
        out->uts_host = true;
    }
    if (*lx->cgroupns_mode) {
        if (strcmp(lx->cgroupns_mode, "host") != 0 && strcmp(lx->cgroupns_mode, "private") != 0)
            return bf_error_set(err, EINVAL, "invalid cgroup namespace mode: %s",
                                lx->cgroupns_mode);
        if (strcmp(lx->cgroupns_mode, "private") == 0)
            ns_set(out, "cgroup");
    }
    return 0;
}

/* ---- devices ---- */

static int device_add(struct spec_linux *out, const struct ls_host_device *d, const char *path,
                      const char *perms, bool rule, struct bf_error *err)
{
    if (out->n_devices >= MAX_DEVICES)
        return bf_error_set(err, E2BIG, "more than %d device nodes", MAX_DEVICES);
    struct spec_ldevice *v = realloc(out->devices, (out->n_devices + 1) * sizeof(*v));

    if (!v)
        return oom(err);
    out->devices = v;
    v[out->n_devices] = (struct spec_ldevice){.path = strdup(path),
                                              .type = d->type,
                                              .major = d->major,
                                              .minor = d->minor,
                                              .mode = d->mode,
                                              .uid = d->uid,
                                              .gid = d->gid};
    if (!v[out->n_devices].path)
        return oom(err);
    out->n_devices++;
    if (!rule)
        return 0;
    struct spec_lcgroup *cg = realloc(out->cgroups, (out->n_cgroups + 1) * sizeof(*cg));
    if (!cg)
        return oom(err);
    out->cgroups = cg;
    cg = &cg[out->n_cgroups++];
    *cg = (struct spec_lcgroup){.allow = true,
                                .type = {d->type, 0},
                                .has_major = true,
                                .major = d->major,
                                .has_minor = true,
                                .minor = d->minor};
    snprintf(cg->access, sizeof(cg->access), "%.3s", perms);
    return 0;
}

/* oci.DevicesFromPath for one HostConfig.Devices entry. */
static int devices_from_path(struct spec_linux *out, const struct ls_device *dm, const char *perms,
                             bool rule, struct bf_error *err)
{
    struct ls_host_device *v = NULL;
    size_t n = 0;
    int r = ls_host_device_from_path(dm->path_on_host, &v, &n, err);

    for (size_t i = 0; i < n && r == 0; i++) {
        _cleanup_free_ char *p = NULL;
        /* a single node is shown at PathInContainer, a folder's nodes below it */
        if (asprintf(&p, "%s%s", dm->path_in_container, v[i].path) < 0)
            p = NULL;
        r = p ? device_add(out, &v[i], p, perms, rule, err) : oom(err);
    }
    ls_host_devices_free(v, n);
    return r;
}

static int cgroup_rule(struct spec_linux *out, const char *rule, struct bf_error *err)
{
    /* ^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$ */
    const char *p = rule;
    struct spec_lcgroup cg = {.allow = true, .has_major = true, .has_minor = true};
    int64_t *num[2] = {&cg.major, &cg.minor};

    if (!(*p == 'a' || *p == 'c' || *p == 'b') || p[1] != ' ')
        goto bad;
    cg.type[0] = *p;
    p += 2;
    for (int k = 0; k < 2; k++) {
        if (*p == '*') {
            *num[k] = -1;
            p++;
        } else {
            const char *s = p;
            long long v = 0;
            bool overflow = false;
            while (*p >= '0' && *p <= '9') {
                if (v > (INT64_MAX - (*p - '0')) / 10)
                    overflow = true;
                else
                    v = v * 10 + (*p - '0');
                p++;
            }
            if (p == s)
                goto bad;
            if (overflow)
                return bf_error_set(err, EINVAL,
                                    "invalid %s value in device cgroup rule format: '%s'",
                                    k ? "minor" : "major", rule);
            *num[k] = v;
        }
        if (*p++ != (k ? ' ' : ':'))
            goto bad;
    }
    size_t n = strspn(p, "rwm");
    if (n < 1 || n > 3 || p[n])
        goto bad;
    memcpy(cg.access, p, n);
    struct spec_lcgroup *v = realloc(out->cgroups, (out->n_cgroups + 1) * sizeof(*v));
    if (!v)
        return oom(err);
    out->cgroups = v;
    v[out->n_cgroups++] = cg;
    return 0;
bad:
    return bf_error_set(err, EINVAL, "invalid device cgroup rule format: '%s'", rule);
}

static int devices(struct layerstore *ls, const struct ls_container *c, struct spec_linux *out,
                   struct bf_error *err)
{
    static const struct spec_lcgroup defaults[] = {
        {false, "", false, false, 0, 0, "rwm"}, {true, "c", true, true, 1, 5, "rwm"},
        {true, "c", true, true, 1, 3, "rwm"},   {true, "c", true, true, 1, 9, "rwm"},
        {true, "c", true, true, 1, 8, "rwm"},   {true, "c", true, true, 5, 0, "rwm"},
        {true, "c", true, true, 5, 1, "rwm"},   {false, "c", true, true, 10, 229, "rwm"},
    };
    const struct ls_linux *lx = &c->lx;
    int r = 0;

    if (lx->privileged && !out->host->in_userns) {
        const struct ls_host_device *hv;
        size_t hn;
        if ((r = layerstore_host_devices(ls, &hv, &hn, err)) < 0)
            return r;
        for (size_t i = 0; i < hn && r == 0; i++)
            r = device_add(out, &hv[i], hv[i].path, "rwm", false, err);
        for (size_t i = 0; i < c->host.n_devices && r == 0; i++)
            if (strcmp(c->host.devices[i].path_on_host, c->host.devices[i].path_in_container) != 0)
                r = devices_from_path(out, &c->host.devices[i], "rwm", false, err);
        if (r < 0)
            return r;
        if (!(out->cgroups = calloc(1, sizeof(*out->cgroups))))
            return oom(err);
        out->cgroups[0] = (struct spec_lcgroup){.allow = true, .access = "rwm"};
        out->n_cgroups = 1;
        return 0;
    }
    if (!(out->cgroups = malloc(sizeof(defaults))))
        return oom(err);
    memcpy(out->cgroups, defaults, sizeof(defaults));
    out->n_cgroups = BF_ARRAY_SIZE(defaults);
    for (size_t i = 0; i < c->host.n_devices && r == 0; i++)
        r = devices_from_path(out, &c->host.devices[i], c->host.devices[i].cgroup_permissions, true,
                              err);
    for (size_t i = 0; i < lx->n_device_cgroup_rules && r == 0; i++)
        r = cgroup_rule(out, lx->device_cgroup_rules[i], err);
    return r;
}

/* Go's text of an errno (its syscall table: strerror with a lower-case first letter). */
static void go_errno(int e, char *buf, size_t size)
{
    snprintf(buf, size, "%s", strerror(e));
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] - 'A' + 'a');
}

/* Does `path` resolve (links followed, as stat(2) does) to a place under /dev? */
static bool under_dev(const char *path)
{
    char *real = realpath(path, NULL);
    bool ok = real && strncmp(real, "/dev/", 5) == 0;

    free(real);
    return ok;
}

/* WithResources' checks: shares must not be negative; each blkio device path is stat'ed on the
 * host (getBlkioWeightDevices, getBlkioThrottleDevices), under /dev only. */
static int resources(const struct ls_container *c, struct spec_linux *out, struct bf_error *err)
{
    const struct ls_linux *l = &c->lx;

    for (int k = 0; k < LS_BLKIO_COUNT; k++) {
        if (!l->n_blkio[k])
            continue;
        if (!(out->blkio[k] = calloc(l->n_blkio[k], sizeof(*out->blkio[k]))))
            return oom(err);
        for (size_t i = 0; i < l->n_blkio[k]; i++) {
            const struct ls_blkio_device *d = &l->blkio[k][i];
            struct stat st;
            char why[128];
            if (strncmp(d->path, "/dev/", 5) != 0 || strstr(d->path, "/../")) {
                snprintf(why, sizeof(why), "bundlefs looks up devices under /dev only");
            } else if (stat(d->path, &st) < 0) {
                go_errno(errno, why, sizeof(why));
            } else if (!under_dev(d->path)) {
                snprintf(why, sizeof(why), "the link leads out of /dev");
            } else {
                out->blkio[k][out->n_blkio[k]++] = (struct spec_lblkio){
                    .major = major(st.st_rdev), .minor = minor(st.st_rdev), .value = d->value};
                continue;
            }
            return bf_error_set(err, ENOENT, "stat %s: %s", d->path, why);
        }
    }
    if (c->host.cpu_shares < 0)
        return bf_error_set(err, EINVAL, "shares: invalid argument");
    return 0;
}

/* ---- cgroups, seccomp ---- */

static int cgroups_path(const struct ls_container *c, const struct ls_host *h,
                        struct spec_linux *out, struct bf_error *err)
{
    bool systemd = strcmp(h->cgroup_driver, "systemd") == 0 ||
                   (!*h->cgroup_driver && h->cgroup_v2 && h->systemd_running);
    const char *parent = systemd ? (h->rootless ? "user.slice" : "system.slice") : "/docker";
    _cleanup_free_ char *joined = NULL;

    if (*c->lx.cgroup_parent)
        parent = c->lx.cgroup_parent;
    else if (*h->cgroup_parent)
        parent = h->cgroup_parent;
    if (systemd) {
        if (asprintf(&out->cgroups_path, "%s:docker:%s", parent, c->id) < 0)
            out->cgroups_path = NULL;
    } else if (asprintf(&joined, "%s/%s", parent, c->id) >= 0) {
        out->cgroups_path = path_clean(joined);
    }
    return out->cgroups_path ? 0 : oom(err);
}

/* The default profile's result depends only on the capability set (the architecture and kernel
 * are the host's): built once per set and shared, read-only (jansson's reference counts are
 * atomic). Bounded: a new set beyond the last slot replaces the oldest. */
#define SECCOMP_CACHE 16
/* Where seccomp sits in config.json (root, then "linux", then its member): the depth its
 * rendered bytes are made for, which the writer checks where it puts them. */
#define SECCOMP_DEPTH 2
static struct {
    char *caps; /* the set joined with ',' */
    json_t *obj;
    char *bytes[2]; /* obj as written at SECCOMP_DEPTH: [0] indented, [1] compact */
    size_t len[2];
} seccomp_cache[SECCOMP_CACHE];
static size_t seccomp_next;
static pthread_mutex_t seccomp_lock = PTHREAD_MUTEX_INITIALIZER;

static char *caps_key(const struct spec_linux *out)
{
    size_t len = 1;
    for (size_t i = 0; i < out->n_caps; i++)
        len += strlen(out->caps[i]) + 1;
    char *k = malloc(len), *p = k;
    if (!k)
        return NULL;
    for (size_t i = 0; i < out->n_caps; i++) {
        size_t n = strlen(out->caps[i]);
        memcpy(p, out->caps[i], n);
        p[n] = ',';
        p += n + 1;
    }
    *p = '\0';
    return k;
}

void spec_cleanup(void)
{
    pthread_mutex_lock(&seccomp_lock);
    for (size_t i = 0; i < SECCOMP_CACHE; i++) {
        free(seccomp_cache[i].caps);
        json_decref(seccomp_cache[i].obj);
        free(seccomp_cache[i].bytes[0]);
        free(seccomp_cache[i].bytes[1]);
        memset(&seccomp_cache[i], 0, sizeof(seccomp_cache[i]));
    }
    pthread_mutex_unlock(&seccomp_lock);
    spec_seccomp_default_release();
}

static int seccomp_default(const struct spec_linux *out, json_t **obj, struct bf_error *err)
{
    const struct ls_host *h = out->host;
    const struct spec_seccomp_profile *def = NULL;
    struct spec_kernel k = {h->kernel_major, h->kernel_minor};
    _cleanup_free_ char *key = caps_key(out);
    int r;

    if (!key)
        return oom(err);
    pthread_mutex_lock(&seccomp_lock);
    for (size_t i = 0; i < SECCOMP_CACHE; i++) {
        if (seccomp_cache[i].caps && strcmp(seccomp_cache[i].caps, key) == 0) {
            *obj = json_incref(seccomp_cache[i].obj);
            pthread_mutex_unlock(&seccomp_lock);
            return 0;
        }
    }
    pthread_mutex_unlock(&seccomp_lock);
    if ((r = spec_seccomp_default(&def, err)) < 0 ||
        (r = spec_seccomp_build(def, spec_seccomp_goarch(h->machine),
                                (const char *const *)out->caps, out->n_caps, &k, obj, err)) < 0)
        return r;
    if (!*obj)
        return 0;
    /* written once per set: every config.json then copies these bytes (a failure just leaves
     * the object to be written each time) */
    char *bytes[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        if (spec_json_render_value(*obj, k == 1, SECCOMP_DEPTH, &bytes[k], &len[k]) < 0)
            bytes[k] = NULL;
    pthread_mutex_lock(&seccomp_lock);
    size_t slot = seccomp_next++ % SECCOMP_CACHE;
    free(seccomp_cache[slot].caps);
    json_decref(seccomp_cache[slot].obj);
    free(seccomp_cache[slot].bytes[0]);
    free(seccomp_cache[slot].bytes[1]);
    seccomp_cache[slot].caps = steal_pointer(&key);
    seccomp_cache[slot].obj = json_incref(*obj);
    for (int k = 0; k < 2; k++) {
        seccomp_cache[slot].bytes[k] = bytes[k];
        seccomp_cache[slot].len[k] = len[k];
    }
    pthread_mutex_unlock(&seccomp_lock);
    return 0;
}

/* The seccomp member of config.json: the cached bytes of a default profile's result, or the
 * object (a custom profile, or a set the cache no longer holds). */
static struct spec_node *seccomp_node(struct spec_builder *b, json_t *obj, bool compact)
{
    struct spec_node *raw = NULL;

    pthread_mutex_lock(&seccomp_lock);
    for (size_t i = 0; i < SECCOMP_CACHE && !raw; i++)
        if (seccomp_cache[i].obj == obj && seccomp_cache[i].bytes[compact])
            raw = spec_b_raw(b, seccomp_cache[i].bytes[compact], seccomp_cache[i].len[compact],
                             compact, SECCOMP_DEPTH);
    pthread_mutex_unlock(&seccomp_lock);
    return raw ? raw : spec_b_json(b, obj);
}

static int seccomp(const struct ls_container *c, struct spec_linux *out, struct bf_error *err)
{
    const struct ls_host *h = out->host;
    const struct spec_seccomp_profile *def = NULL;
    struct spec_seccomp_profile *custom = NULL;
    struct spec_kernel k = {h->kernel_major, h->kernel_minor};
    const char *prof = c->lx.seccomp_profile;
    int r;

    if (strcmp(prof, "unconfined") == 0 || c->lx.privileged)
        return 0;
    if (!h->seccomp) {
        if (*prof)
            return bf_error_set(err, ENOTSUP,
                                "seccomp is not enabled in your kernel, cannot run "
                                "a custom seccomp profile");
        return 0;
    }
    if (*prof || h->seccomp_profile) {
        char what[160];
        if (*prof)
            snprintf(what, sizeof(what), "config.v2.json: SeccompProfile");
        else
            snprintf(what, sizeof(what), "%.100s: seccomp-profile", h->config_file);
        r = *prof ? spec_seccomp_parse(prof, strlen(prof), what, &custom, err)
                  : spec_seccomp_parse(h->seccomp_profile, h->seccomp_profile_len, what, &custom,
                                       err);
        if (r < 0)
            return r;
    } else {
        return seccomp_default(out, &out->seccomp, err);
    }
    r = spec_seccomp_build(custom ? custom : def, spec_seccomp_goarch(h->machine),
                           (const char *const *)out->caps, out->n_caps, &k, &out->seccomp, err);
    spec_seccomp_free(custom);
    return r;
}

static int limits(const struct ls_container *c, struct bf_error *err)
{
    const struct ls_linux *l = &c->lx;
    const struct {
        const char *what;
        size_t n, max;
    } v[] = {
        {"MountPoints and Tmpfs", c->n_mounts + l->n_tmpfs, MAX_LIST},
        {"Sysctls", l->n_sysctls, MAX_LIST},
        {"Ulimits", l->n_ulimits, MAX_LIST},
        {"Devices", c->host.n_devices, MAX_LIST},
        {"DeviceCgroupRules", l->n_device_cgroup_rules, MAX_LIST},
        {"GroupAdd", l->n_group_add, MAX_LIST},
        {"CapAdd and CapDrop", l->n_cap_add + l->n_cap_drop, MAX_LIST},
        {"Links", l->n_links, MAX_LINKS},
        {"Config.Env", c->config.n_env, MAX_ENV},
    };

    for (size_t i = 0; i < BF_ARRAY_SIZE(v); i++)
        if (v[i].n > v[i].max)
            return bf_error_set(err, E2BIG, "%s has %zu entries, more than bundlefs serves (%zu)",
                                v[i].what, v[i].n, v[i].max);
    return 0;
}

/* BaseFS: where the container's root is mounted (overlay2) or lives (vfs). */
static int root_path(struct layerstore *ls, const struct ls_container *c, struct spec_linux *out,
                     struct ls_inputs *in, struct bf_error *err)
{
    _cleanup_free_ char *rel = NULL, *dir = NULL;

    switch (layerstore_driver(ls)) {
    case LS_DRIVER_OVERLAY2:
        /* Docker creates merged when it mounts: absent is fine, a link never is */
        if (asprintf(&dir, "overlay2/%s", c->mount_id) < 0 ||
            asprintf(&rel, "overlay2/%s/merged", c->mount_id) < 0)
            return oom(err);
        if (spec_probe_dir(ls, dir, false, in, err) < 0 ||
            spec_probe_dir(ls, rel, true, in, err) < 0)
            return -err->code;
        break;
    case LS_DRIVER_VFS:
        if (asprintf(&rel, "vfs/dir/%s", c->mount_id) < 0)
            return oom(err);
        if (spec_probe_dir(ls, rel, false, in, err) < 0)
            return -err->code;
        break;
    default:
        return bf_error_set(err, ENOTSUP,
                            "a Linux container on the %s driver has no root filesystem bundlefs "
                            "knows",
                            ls_driver_name(layerstore_driver(ls)));
    }
    if (!rel || !(out->root_path = layerstore_path(ls, rel)))
        return oom(err);
    return 0;
}

int spec_linux_prepare(struct layerstore *ls, const struct ls_container *c, const struct ls_walk *w,
                       struct spec_linux *out, struct ls_inputs *in, struct bf_error *err)
{
    const struct ls_linux *lx = &c->lx;
    const char *init = NULL;
    int r;

    memset(out, 0, sizeof(*out));
    if (!(out->host = layerstore_host(ls, err)))
        return -ENOMEM;
    if (out->host->config_error)
        return bf_error_set(err, EINVAL, "container %s: %s", c->id, out->host->config_error);
    if (out->host->userns_remap)
        return bf_error_set(err, ENOTSUP,
                            "container %s: %s sets userns-remap: bundlefs does not read the "
                            "daemon's ID mappings",
                            c->id, out->host->config_file);
    bool want_init = pid_private(lx) && (lx->init.set ? lx->init.v : out->host->init);
    if (want_init)
        init = *out->host->init_path ? out->host->init_path : out->host->docker_init;
    /* createSpec's order, so that of several problems Docker's first is the one reported */
    if ((r = limits(c, err)) < 0 || (r = make_env(ls, c, out, in, err)) < 0 ||
        (out->n_env > MAX_ENV &&
         (r = bf_error_set(err, E2BIG, "process.env would have %zu entries, more than %d",
                           out->n_env, MAX_ENV)) < 0) ||
        (r = root_path(ls, c, out, in, err)) < 0 ||
        (want_init && !init &&
         (r = bf_error_set(err, ENOENT,
                           "exec: \"docker-init\": executable file not found in $PATH")) < 0) ||
        (r = make_args(c, init, out, err)) < 0 || (r = cgroups_path(c, out->host, out, err)) < 0 ||
        (r = resources(c, out, err)) < 0 || (r = devices(ls, c, out, err)) < 0 ||
        (r = resolve_user(ls, c, w, out, in, err)) < 0 ||
        (r = namespaces(ls, c, out, in, err)) < 0 ||
        (r = spec_caps_tweak(out->host, lx, &out->caps, &out->n_caps, err)) < 0 ||
        (r = seccomp(c, out, err)) < 0)
        return bf_error_wrap(err, "container %s", c->id);
    if ((r = spec_linux_mounts(ls, c, out->host, init, &out->mounts, in, err)) < 0)
        return r;
    if (out->mounts.note)
        out->note = strdup(out->mounts.note);
    return 0;
}

void spec_linux_free(struct spec_linux *lx)
{
    free(lx->gids);
    ls_strv_free(lx->caps, lx->n_caps);
    ls_strv_free(lx->env, lx->n_env);
    ls_strv_free(lx->args, lx->n_args);
    free(lx->root_path);
    spec_lmounts_free(&lx->mounts);
    for (size_t i = 0; i < lx->n_ns; i++)
        free(lx->ns[i].path);
    for (size_t i = 0; i < lx->n_devices; i++)
        free(lx->devices[i].path);
    free(lx->devices);
    free(lx->cgroups);
    free(lx->cgroups_path);
    for (int k = 0; k < LS_BLKIO_COUNT; k++)
        free(lx->blkio[k]);
    json_decref(lx->seccomp);
    free(lx->note);
    memset(lx, 0, sizeof(*lx));
}

/* ---- rendering ---- */

static struct spec_node *strv(struct spec_builder *b, char *const *v, size_t n)
{
    struct spec_node *a = spec_b_arr(b);
    for (size_t i = 0; i < n; i++)
        spec_b_push(b, a, spec_b_str(b, v[i]));
    return a;
}

static struct spec_node *cstrv(struct spec_builder *b, const char *const *v, size_t n)
{
    return strv(b, (char *const *)v, n);
}

static struct spec_node *render_process(struct spec_builder *b, const struct spec_model *m,
                                        const struct spec_linux *lx)
{
    const struct ls_container *c = m->c;
    const struct ls_linux *l = &c->lx;
    struct spec_node *p = spec_b_obj(b), *user = spec_b_obj(b), *caps = spec_b_obj(b);
    _cleanup_free_ char *cwd = NULL;

    if (c->config.tty)
        spec_b_put(b, p, "terminal", spec_b_bool(b, true));
    spec_b_put(b, user, "uid", spec_b_u64(b, lx->uid));
    spec_b_put(b, user, "gid", spec_b_u64(b, lx->gid));
    if (lx->n_gids) {
        struct spec_node *g = spec_b_arr(b);
        for (size_t i = 0; i < lx->n_gids; i++)
            spec_b_push(b, g, spec_b_u64(b, lx->gids[i]));
        spec_b_put(b, user, "additionalGids", g);
    }
    spec_b_put(b, p, "user", user);
    spec_b_put(b, p, "args", strv(b, lx->args, lx->n_args));
    if (lx->n_env)
        spec_b_put(b, p, "env", strv(b, lx->env, lx->n_env));
    cwd = *c->config.working_dir ? path_clean(c->config.working_dir) : strdup("/");
    spec_b_put(b, p, "cwd", spec_b_str(b, cwd));
    if (!cwd)
        b->failed = true;
    /* SetCapabilities: 20.10 gives a non-root user the bounding set only */
    if (lx->n_caps) {
        spec_b_put(b, caps, "bounding", strv(b, lx->caps, lx->n_caps));
        if (lx->uid == 0) {
            spec_b_put(b, caps, "effective", strv(b, lx->caps, lx->n_caps));
            spec_b_put(b, caps, "permitted", strv(b, lx->caps, lx->n_caps));
        }
    }
    spec_b_put(b, p, "capabilities", caps);
    if (l->n_ulimits || lx->host->n_default_ulimits) {
        struct spec_node *rl = spec_b_arr(b);
        for (size_t k = 0; k < l->n_ulimits + lx->host->n_default_ulimits; k++) {
            const struct ls_ulimit *u =
                k < l->n_ulimits ? &l->ulimits[k] : &lx->host->default_ulimits[k - l->n_ulimits];
            bool dup = false;
            for (size_t j = 0; k >= l->n_ulimits && j < l->n_ulimits && !dup; j++)
                dup = strcmp(l->ulimits[j].name, u->name) == 0;
            if (dup)
                continue;
            struct spec_node *o = spec_b_obj(b);
            char type[96];
            size_t i = 0;
            i += (size_t)snprintf(type, sizeof(type), "RLIMIT_");
            for (const char *s = u->name; *s && i + 1 < sizeof(type); s++)
                type[i++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
            type[i] = '\0';
            spec_b_put(b, o, "type", spec_b_str(b, type));
            spec_b_put(b, o, "hard", spec_b_u64(b, (uint64_t)u->hard));
            spec_b_put(b, o, "soft", spec_b_u64(b, (uint64_t)u->soft));
            spec_b_push(b, rl, o);
        }
        spec_b_put(b, p, "rlimits", rl);
    }
    if (l->no_new_privileges)
        spec_b_put(b, p, "noNewPrivileges", spec_b_bool(b, true));
    if (lx->host->apparmor)
        spec_b_put(b, p, "apparmorProfile",
                   spec_b_str(b, *l->apparmor_profile ? l->apparmor_profile
                                 : l->privileged      ? "unconfined"
                                                      : "docker-default"));
    spec_b_put(b, p, "oomScoreAdj", spec_b_i64(b, l->oom_score_adj));
    if (!l->privileged && *l->process_label)
        spec_b_put(b, p, "selinuxLabel", spec_b_str(b, l->process_label));
    return p;
}

static struct spec_node *render_mounts(struct spec_builder *b, const struct spec_lmounts *ms)
{
    struct spec_node *a = spec_b_arr(b);

    for (size_t i = 0; i < ms->n; i++) {
        const struct spec_lmount *mt = &ms->v[i];
        struct spec_node *o = spec_b_obj(b);
        spec_b_put(b, o, "destination", spec_b_str(b, mt->destination));
        if (*mt->type)
            spec_b_put(b, o, "type", spec_b_str(b, mt->type));
        if (*mt->source)
            spec_b_put(b, o, "source", spec_b_str(b, mt->source));
        if (mt->n_options)
            spec_b_put(b, o, "options", strv(b, mt->options, mt->n_options));
        spec_b_push(b, a, o);
    }
    return a;
}

struct sysctl {
    const char *key, *value;
    size_t order; /* Docker's first, then HostConfig's */
};

static int sysctl_cmp(const void *a, const void *b)
{
    const struct sysctl *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

/* Docker's sysctls (kernel.domainname, the two network defaults), HostConfig's over them (the
 * last of a key wins); sorted by key as Go marshals a map. */
static struct spec_node *render_sysctl(struct spec_builder *b, const struct spec_model *m,
                                       const struct spec_linux *lx)
{
    const struct ls_container *c = m->c;
    const char *net = c->host.network_mode;
    bool private_net = strcmp(net, "host") != 0 && !mode_is_container(net);
    size_t n = 0;
    struct sysctl *v;
    struct spec_node *o;

    if (c->lx.n_sysctls > SIZE_MAX / sizeof(*v) - 3 ||
        !(v = malloc((3 + c->lx.n_sysctls) * sizeof(*v)))) {
        b->failed = true;
        return NULL;
    }
    if (*c->config.domainname)
        v[n] = (struct sysctl){"kernel.domainname", c->config.domainname, n}, n++;
    if (private_net && !lx->host->in_userns && lx->host->sysctl_ping_group_range)
        v[n] = (struct sysctl){"net.ipv4.ping_group_range", "0 2147483647", n}, n++;
    if (private_net && lx->host->sysctl_unprivileged_port_start)
        v[n] = (struct sysctl){"net.ipv4.ip_unprivileged_port_start", "0", n}, n++;
    for (size_t i = 0; i < c->lx.n_sysctls; i++)
        v[n] = (struct sysctl){c->lx.sysctls[i].key, c->lx.sysctls[i].value, n}, n++;
    if (!n) {
        free(v);
        return NULL;
    }
    qsort(v, n, sizeof(*v), sysctl_cmp);
    o = spec_b_obj(b);
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || strcmp(v[i].key, v[i + 1].key) != 0)
            spec_b_put(b, o, v[i].key, spec_b_str(b, v[i].value));
    free(v);
    return o;
}

static struct spec_node *blkio_list(struct spec_builder *b, const struct spec_linux *lx,
                                    enum ls_blkio_list k)
{
    struct spec_node *a = spec_b_arr(b);

    for (size_t i = 0; i < lx->n_blkio[k]; i++) {
        struct spec_node *o = spec_b_obj(b);
        spec_b_put(b, o, "major", spec_b_i64(b, lx->blkio[k][i].major));
        spec_b_put(b, o, "minor", spec_b_i64(b, lx->blkio[k][i].minor));
        spec_b_put(b, o, k == LS_BLKIO_WEIGHT ? "weight" : "rate",
                   spec_b_u64(b, lx->blkio[k][i].value));
        spec_b_push(b, a, o);
    }
    return a;
}

static struct spec_node *render_resources(struct spec_builder *b, const struct spec_model *m,
                                          const struct spec_linux *lx)
{
    const struct ls_container *c = m->c;
    const struct ls_linux *l = &c->lx;
    struct spec_node *res = spec_b_obj(b), *devs = spec_b_arr(b), *mem = spec_b_obj(b),
                     *cpu = spec_b_obj(b);
    struct spec_node *blk = spec_b_obj(b);
    static const char *const blk_keys[LS_BLKIO_COUNT] = {
        "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
        "throttleWriteIOPSDevice"};

    for (size_t i = 0; i < lx->n_cgroups; i++) {
        const struct spec_lcgroup *g = &lx->cgroups[i];
        struct spec_node *o = spec_b_obj(b);
        spec_b_put(b, o, "allow", spec_b_bool(b, g->allow));
        if (*g->type)
            spec_b_put(b, o, "type", spec_b_str(b, g->type));
        if (g->has_major)
            spec_b_put(b, o, "major", spec_b_i64(b, g->major));
        if (g->has_minor)
            spec_b_put(b, o, "minor", spec_b_i64(b, g->minor));
        if (*g->access)
            spec_b_put(b, o, "access", spec_b_str(b, g->access));
        spec_b_push(b, devs, o);
    }
    if (spec_b_count(devs))
        spec_b_put(b, res, "devices", devs);
    if (c->host.memory > 0)
        spec_b_put(b, mem, "limit", spec_b_i64(b, c->host.memory));
    if (c->host.memory_reservation > 0)
        spec_b_put(b, mem, "reservation", spec_b_i64(b, c->host.memory_reservation));
    if (l->memory_swap > 0)
        spec_b_put(b, mem, "swap", spec_b_i64(b, l->memory_swap));
    if (l->kernel_memory)
        spec_b_put(b, mem, "kernel", spec_b_i64(b, l->kernel_memory));
    if (l->kernel_memory_tcp)
        spec_b_put(b, mem, "kernelTCP", spec_b_i64(b, l->kernel_memory_tcp));
    if (l->swappiness.set)
        spec_b_put(b, mem, "swappiness", spec_b_u64(b, (uint64_t)l->swappiness.v));
    if (l->oom_kill_disable.set)
        spec_b_put(b, mem, "disableOOMKiller", spec_b_bool(b, l->oom_kill_disable.v));
    spec_b_put(b, res, "memory", mem);

    spec_b_put(b, cpu, "shares",
               spec_b_u64(b, (uint64_t)(c->host.cpu_shares < 0 ? 0 : c->host.cpu_shares)));
    {
        bool has_period = false, has_quota = false;
        uint64_t period = 0;
        int64_t quota = 0;
        if (c->host.nano_cpus > 0) {
            period = 100000;
            /* Go's int64 arithmetic wraps; so does this (in unsigned, defined) */
            quota = (int64_t)((uint64_t)c->host.nano_cpus * 100000u) / 1000000000;
            has_period = has_quota = true;
        }
        if (l->cpu_period)
            period = (uint64_t)l->cpu_period, has_period = true;
        if (l->cpu_quota)
            quota = l->cpu_quota, has_quota = true;
        if (has_quota)
            spec_b_put(b, cpu, "quota", spec_b_i64(b, quota));
        if (has_period)
            spec_b_put(b, cpu, "period", spec_b_u64(b, period));
    }
    if (l->cpu_rt_runtime)
        spec_b_put(b, cpu, "realtimeRuntime", spec_b_i64(b, l->cpu_rt_runtime));
    if (l->cpu_rt_period)
        spec_b_put(b, cpu, "realtimePeriod", spec_b_u64(b, (uint64_t)l->cpu_rt_period));
    if (*l->cpuset_cpus)
        spec_b_put(b, cpu, "cpus", spec_b_str(b, l->cpuset_cpus));
    if (*l->cpuset_mems)
        spec_b_put(b, cpu, "mems", spec_b_str(b, l->cpuset_mems));
    spec_b_put(b, res, "cpu", cpu);
    if (l->pids_limit.set) {
        struct spec_node *pids = spec_b_obj(b);
        spec_b_put(b, pids, "limit", spec_b_i64(b, l->pids_limit.v <= 0 ? -1 : l->pids_limit.v));
        spec_b_put(b, res, "pids", pids);
    }
    spec_b_put(b, blk, "weight", spec_b_u64(b, l->blkio_weight));
    for (int k = 0; k < LS_BLKIO_COUNT; k++) {
        if (!l->n_blkio[k])
            continue;
        spec_b_put(b, blk, blk_keys[k], blkio_list(b, lx, k));
    }
    spec_b_put(b, res, "blockIO", blk);
    return res;
}

static struct spec_node *render_linux(struct spec_builder *b, const struct spec_model *m,
                                      const struct spec_linux *lx)
{
    const struct ls_container *c = m->c;
    const struct ls_linux *l = &c->lx;
    struct spec_node *lnx = spec_b_obj(b), *ns = spec_b_arr(b), *sys;

    if ((sys = render_sysctl(b, m, lx)))
        spec_b_put(b, lnx, "sysctl", sys);
    spec_b_put(b, lnx, "resources", render_resources(b, m, lx));
    spec_b_put(b, lnx, "cgroupsPath", spec_b_str(b, lx->cgroups_path));
    for (size_t i = 0; i < lx->n_ns; i++) {
        struct spec_node *o = spec_b_obj(b);
        spec_b_put(b, o, "type", spec_b_str(b, lx->ns[i].type));
        if (lx->ns[i].path)
            spec_b_put(b, o, "path", spec_b_str(b, lx->ns[i].path));
        spec_b_push(b, ns, o);
    }
    spec_b_put(b, lnx, "namespaces", ns);
    if (lx->n_devices) {
        struct spec_node *a = spec_b_arr(b);
        for (size_t i = 0; i < lx->n_devices; i++) {
            const struct spec_ldevice *d = &lx->devices[i];
            struct spec_node *o = spec_b_obj(b);
            char t[2] = {d->type, 0};
            spec_b_put(b, o, "path", spec_b_str(b, d->path));
            spec_b_put(b, o, "type", spec_b_str(b, t));
            spec_b_put(b, o, "major", spec_b_i64(b, d->major));
            spec_b_put(b, o, "minor", spec_b_i64(b, d->minor));
            spec_b_put(b, o, "fileMode", spec_b_u64(b, d->mode));
            spec_b_put(b, o, "uid", spec_b_u64(b, d->uid));
            spec_b_put(b, o, "gid", spec_b_u64(b, d->gid));
            spec_b_push(b, a, o);
        }
        spec_b_put(b, lnx, "devices", a);
    }
    if (lx->seccomp)
        spec_b_put(b, lnx, "seccomp", seccomp_node(b, lx->seccomp, m->compact));
    if (lx->mounts.rootfs_propagation)
        spec_b_put(b, lnx, "rootfsPropagation", spec_b_str(b, lx->mounts.rootfs_propagation));
    /* HostConfig's lists when stored (Docker writes them at create), else the defaults; a
     * privileged container has none unless its HostConfig names some. */
    if (l->has_masked_paths) {
        if (l->n_masked_paths)
            spec_b_put(b, lnx, "maskedPaths", strv(b, l->masked_paths, l->n_masked_paths));
    } else if (!l->privileged) {
        spec_b_put(b, lnx, "maskedPaths", cstrv(b, default_masked, BF_ARRAY_SIZE(default_masked)));
    }
    if (l->has_readonly_paths) {
        if (l->n_readonly_paths)
            spec_b_put(b, lnx, "readonlyPaths", strv(b, l->readonly_paths, l->n_readonly_paths));
    } else if (!l->privileged) {
        spec_b_put(b, lnx, "readonlyPaths",
                   cstrv(b, default_readonly, BF_ARRAY_SIZE(default_readonly)));
    }
    if (*l->mount_label)
        spec_b_put(b, lnx, "mountLabel", spec_b_str(b, l->mount_label));
    return lnx;
}

int spec_render_linux(const struct spec_model *m, const struct spec_linux *lx, char **out,
                      size_t *len, struct bf_error *err)
{
    const struct ls_container *c = m->c;
    struct spec_builder b = {false};
    struct spec_node *root = spec_b_obj(&b), *rt = spec_b_obj(&b), *lnx;

    spec_b_put(&b, root, "ociVersion", spec_b_str(&b, "1.3.0"));
    spec_b_put(&b, root, "process", render_process(&b, m, lx));
    spec_b_put(&b, rt, "path", spec_b_str(&b, lx->root_path));
    if (c->host.readonly_rootfs)
        spec_b_put(&b, rt, "readonly", spec_b_bool(&b, true));
    spec_b_put(&b, root, "root", rt);
    if (!lx->uts_host && *c->config.hostname)
        spec_b_put(&b, root, "hostname", spec_b_str(&b, c->config.hostname));
    if (lx->mounts.n)
        spec_b_put(&b, root, "mounts", render_mounts(&b, &lx->mounts));
    lnx = render_linux(&b, m, lx);
    spec_b_put(&b, root, "linux", lnx);
    return spec_b_finish(&b, root, m->compact, c->id, "config.json", out, len, err);
}
