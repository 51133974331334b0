/* daemonconfig.c - R/config/daemon.json (Windows default location, doc §1) and the libnetwork
 * store probe.
 *
 * Decisions:
 * - A UTF-8 byte order mark is skipped (Notepad writes one; Docker strips it too).
 * - exec-opts follow Docker's setDefaultIsolation: "key=value", key compared case-insensitively
 *   with surrounding spaces trimmed; the last isolation= wins; its value must be "", default,
 *   process or hyperv (any case), else Docker's "Invalid exec-opt value for 'isolation'".
 *   Other keys are ignored (they belong to other platforms' daemons), an entry without '=' is
 *   Docker's "Unable to parse key/value option".
 * - Every container's generation asks for both, so with the layerstore cache enabled a
 *   successful load is reused under the cache's rule (struct ls_shared): until the data-root's
 *   shared inputs change, and for at most the trust period. A reuse records the same inputs
 *   the load did; an error is read again every time.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bf_util.h"
#include "ls_internal.h"

#define DAEMON_JSON "config/daemon.json"

void ls_daemon_config_free(struct ls_daemon_config *dc)
{
    if (!dc)
        return;
    free(dc->isolation);
    ls_strv_free(dc->dns_search, dc->n_dns_search);
    memset(dc, 0, sizeof(*dc));
}

static char *trim(char *s)
{
    size_t l;

    while (isspace((unsigned char)*s))
        s++;
    l = strlen(s);
    while (l && isspace((unsigned char)s[l - 1]))
        s[--l] = '\0';
    return s;
}

static bool isolation_valid(const char *v)
{
    return !*v || strcasecmp(v, "default") == 0 || strcasecmp(v, "process") == 0 ||
           strcasecmp(v, "hyperv") == 0;
}

static int parse_exec_opts(struct ls_daemon_config *dc, const struct ls_jctx *c, json_t *root)
{
    char **opts = NULL;
    size_t n = 0;
    int r;

    r = ls_j_strv(c, ls_j_get(root, "exec-opts"), "exec-opts", &opts, &n);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n && r == 0; i++) {
        char *eq = strchr(opts[i], '=');
        if (!eq) {
            r = bf_error_set(c->err, EINVAL, "%s: Unable to parse key/value option: %s", c->file,
                             opts[i]);
            break;
        }
        *eq = '\0';
        char *key = trim(opts[i]), *val = trim(eq + 1);
        if (strcasecmp(key, "isolation") != 0)
            continue;
        if (!isolation_valid(val)) {
            r = bf_error_set(c->err, EINVAL, "%s: Invalid exec-opt value for 'isolation':'%s'",
                             c->file, val);
            break;
        }
        free(dc->isolation);
        dc->isolation = strdup(val);
        if (!dc->isolation)
            r = bf_error_set(c->err, ENOMEM, "%s: out of memory", c->file);
    }
    ls_strv_free(opts, n);
    return r;
}

struct ls_dccache {
    pthread_mutex_t lock;
    struct ls_shared dj; /* daemon.json */
    struct ls_daemon_config dc;
    struct ls_inputs dj_in;
    struct ls_shared probe; /* network/files/local-kv.db */
    bool has_store;
    struct ls_inputs probe_in;
};

static pthread_mutex_t dccache_alloc_lock = PTHREAD_MUTEX_INITIALIZER;

void ls_dccache_free(struct ls_dccache *dcc)
{
    if (!dcc)
        return;
    ls_daemon_config_free(&dcc->dc);
    ls_inputs_free(&dcc->dj_in);
    ls_inputs_free(&dcc->probe_in);
    pthread_mutex_destroy(&dcc->lock);
    free(dcc);
}

/* The layerstore's record, NULL without the cache (or memory: then everything is read). */
static struct ls_dccache *dccache(struct layerstore *ls)
{
    struct ls_dccache *dcc;

    if (!ls->cache)
        return NULL;
    pthread_mutex_lock(&dccache_alloc_lock);
    if (!ls->dccache && (ls->dccache = calloc(1, sizeof(*ls->dccache))))
        pthread_mutex_init(&ls->dccache->lock, NULL);
    dcc = ls->dccache;
    pthread_mutex_unlock(&dccache_alloc_lock);
    return dcc;
}

static int dc_copy(struct ls_daemon_config *to, const struct ls_daemon_config *from)
{
    memset(to, 0, sizeof(*to));
    to->present = from->present;
    if (from->isolation && !(to->isolation = strdup(from->isolation)))
        return -ENOMEM;
    if (from->n_dns_search && !(to->dns_search = calloc(from->n_dns_search, sizeof(char *)))) {
        ls_daemon_config_free(to);
        return -ENOMEM;
    }
    for (size_t i = 0; i < from->n_dns_search; i++) {
        if (!(to->dns_search[i] = strdup(from->dns_search[i]))) {
            to->n_dns_search = i;
            ls_daemon_config_free(to);
            return -ENOMEM;
        }
    }
    to->n_dns_search = from->n_dns_search;
    return 0;
}

static int daemon_config_read(struct layerstore *ls, struct ls_daemon_config *out,
                              struct ls_inputs *in, struct bf_error *err)
{
    _cleanup_free_ char *buf = NULL;
    struct ls_daemon_config dc = {0};
    json_t *root = NULL;
    size_t len = 0, skip = 0;
    int r;

    memset(out, 0, sizeof(*out));
    r = layerstore_read_file(ls, DAEMON_JSON, BF_CAP_JSON, &buf, &len, in, err);
    if (r < 0) {
        if (err->code == ENOENT) {
            bf_error_clear(err);
            return 0; /* no daemon.json: present = false */
        }
        return r;
    }
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        skip = 3;
    r = ls_parse_json(DAEMON_JSON, buf + skip, len - skip, &root, err);
    if (r < 0)
        return r;
    dc.present = true;
    struct ls_jctx c = {.file = DAEMON_JSON, .err = err};
    r = parse_exec_opts(&dc, &c, root);
    if (r == 0)
        r = ls_j_strv(&c, ls_j_get(root, "dns-search"), "dns-search", &dc.dns_search,
                      &dc.n_dns_search);
    json_decref(root);
    if (r < 0) {
        ls_daemon_config_free(&dc);
        return r;
    }
    *out = dc;
    return 0;
}

int layerstore_daemon_config_load(struct layerstore *ls, struct ls_daemon_config *out,
                                  struct ls_inputs *in, struct bf_error *err)
{
    struct ls_dccache *dcc = dccache(ls);
    struct ls_inputs rec = {0};
    struct ls_shared sh;
    int r;

    memset(out, 0, sizeof(*out));
    if (!dcc)
        return daemon_config_read(ls, out, in, err);
    pthread_mutex_lock(&dcc->lock);
    if (ls_shared_fresh(ls, &dcc->dj)) {
        r = dc_copy(out, &dcc->dc);
        if (r == 0 && ls_inputs_append(in, &dcc->dj_in) < 0) {
            ls_daemon_config_free(out);
            r = -ENOMEM;
        }
        pthread_mutex_unlock(&dcc->lock);
        return r < 0 ? bf_error_set(err, ENOMEM, "%s: out of memory", DAEMON_JSON) : 0;
    }
    pthread_mutex_unlock(&dcc->lock);
    ls_shared_begin(ls, &sh);
    r = daemon_config_read(ls, out, &rec, err);
    if (ls_inputs_append(in, &rec) < 0 && r == 0) {
        ls_daemon_config_free(out);
        r = bf_error_set(err, ENOMEM, "%s: out of memory", DAEMON_JSON);
    }
    if (r == 0) {
        pthread_mutex_lock(&dcc->lock);
        ls_daemon_config_free(&dcc->dc);
        ls_inputs_free(&dcc->dj_in);
        dcc->dj.valid = false;
        if (dc_copy(&dcc->dc, out) == 0) {
            dcc->dj_in = rec;
            rec = (struct ls_inputs){0};
            dcc->dj = sh;
        }
        pthread_mutex_unlock(&dcc->lock);
    }
    ls_inputs_free(&rec);
    return r;
}

static int has_network_store_probe(struct layerstore *ls, bool *has, struct ls_inputs *in,
                                   struct bf_error *err)
{
    const char *rel = "network/files/local-kv.db";
    struct bf_stamp st;
    mode_t mode = 0;
    int r;

    *has = false;
    r = ls_probe(ls, rel, &st, &mode, in, err);
    if (r < 0)
        return r;
    if (st.exists && !S_ISREG(mode))
        return bf_error_set(err, EINVAL, "%s: not a regular file", rel);
    *has = st.exists;
    return 0;
}

int layerstore_has_network_store(struct layerstore *ls, bool *has, struct ls_inputs *in,
                                 struct bf_error *err)
{
    struct ls_dccache *dcc = dccache(ls);
    struct ls_inputs rec = {0};
    struct ls_shared sh;
    int r;

    *has = false;
    if (!dcc)
        return has_network_store_probe(ls, has, in, err);
    pthread_mutex_lock(&dcc->lock);
    if (ls_shared_fresh(ls, &dcc->probe)) {
        *has = dcc->has_store;
        r = ls_inputs_append(in, &dcc->probe_in);
        pthread_mutex_unlock(&dcc->lock);
        return r < 0 ? bf_error_set(err, ENOMEM, "out of memory") : 0;
    }
    pthread_mutex_unlock(&dcc->lock);
    ls_shared_begin(ls, &sh);
    r = has_network_store_probe(ls, has, &rec, err);
    if (ls_inputs_append(in, &rec) < 0 && r == 0)
        r = bf_error_set(err, ENOMEM, "out of memory");
    if (r == 0) {
        pthread_mutex_lock(&dcc->lock);
        ls_inputs_free(&dcc->probe_in);
        dcc->probe_in = rec;
        rec = (struct ls_inputs){0};
        dcc->has_store = *has;
        dcc->probe = sh;
        pthread_mutex_unlock(&dcc->lock);
    }
    ls_inputs_free(&rec);
    return r;
}
