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
 */
#include <ctype.h>
#include <errno.h>
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

int layerstore_daemon_config_load(struct layerstore *ls, struct ls_daemon_config *out,
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

int layerstore_has_network_store(struct layerstore *ls, bool *has, struct ls_inputs *in,
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
