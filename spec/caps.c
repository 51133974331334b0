/* caps.c - the capability list of a Linux container, as Docker 20.10's caps.TweakCapabilities
 * computes it (oci/caps/utils.go).
 *
 * "All" is gocapability's list in its own order, up to what this kernel has
 * (/proc/sys/kernel/cap_last_cap) and never past CAP_AUDIT_READ: 20.10 leaves out CAP_PERFMON,
 * CAP_BPF and CAP_CHECKPOINT_RESTORE, which the runc it shipped with did not know.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bf_utf8.h"
#include "bf_util.h"
#include "spec_internal.h"

static const char *const all_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
};
#define CAP_AUDIT_READ 37
#define CAP_BLOCK_SUSPEND 36

const char *const spec_default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};
const size_t spec_n_default_caps = BF_ARRAY_SIZE(spec_default_caps);

char *spec_go_quote(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 4 + 3), *o = out;

    if (!out)
        return NULL;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        static const char esc[] = "\a\b\f\n\r\t\v";
        static const char let[] = "abfnrtv";
        const char *e = *p ? strchr(esc, *p) : NULL;
        size_t len = 0;
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p++;
        } else if (e) {
            *o++ = '\\';
            *o++ = let[e - esc];
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            o += sprintf(o, "\\x%02x", *p++);
        } else if (*p < 0x80) {
            *o++ = (char)*p++;
        } else if ((len = bf_utf8_seq(p, strlen((const char *)p))) > 0) {
            memcpy(o, p, len);
            o += len;
            p += len;
        } else {
            o += sprintf(o, "\\x%02x", *p++);
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* How many of all_caps this kernel and 20.10 know (gocapability's init, caps' init). */
static size_t known(const struct ls_host *h)
{
    int last = h->cap_last_cap;

    if (last == 63) /* RHEL6 has no cap_last_cap */
        last = CAP_BLOCK_SUSPEND;
    if (last > CAP_AUDIT_READ)
        last = CAP_AUDIT_READ;
    return last < 0 ? 0 : (size_t)last + 1;
}

static bool in(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* NormalizeLegacyCapabilities: upper-cased, "CAP_" added, "ALL" kept; unknown is an error. */
static int normalize(const struct ls_host *h, char *const *in_v, size_t n, char ***out,
                     struct bf_error *err)
{
    char **v = n ? calloc(n, sizeof(*v)) : NULL;
    size_t k = known(h);

    *out = v;
    if (n && !v)
        return bf_error_set(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(in_v[i]);
        char *c = malloc(len + 5);
        if (!c)
            return bf_error_set(err, ENOMEM, "out of memory");
        for (size_t j = 0; j <= len; j++)
            c[j] = (char)toupper((unsigned char)in_v[i][j]);
        v[i] = c;
        if (strcmp(c, "ALL") == 0)
            continue;
        if (strncmp(c, "CAP_", 4) != 0) {
            memmove(c + 4, c, len + 1);
            memcpy(c, "CAP_", 4);
        }
        bool ok = false;
        for (size_t j = 0; j < k && !ok; j++)
            ok = strcmp(all_caps[j], c) == 0;
        if (!ok) {
            _cleanup_free_ char *q = spec_go_quote(c);
            return bf_error_set(err, EINVAL, "unknown capability: %s", q ? q : "\"?\"");
        }
    }
    return 0;
}

static int push(char ***v, size_t *n, const char *s, struct bf_error *err)
{
    char **nv = realloc(*v, (*n + 1) * sizeof(**v));

    if (!nv)
        return bf_error_set(err, ENOMEM, "out of memory");
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return bf_error_set(err, ENOMEM, "out of memory");
    (*n)++;
    return 0;
}

int spec_caps_tweak(const struct ls_host *h, const struct ls_linux *lx, char ***out, size_t *n,
                    struct bf_error *err)
{
    char **add = NULL, **drop = NULL, **v = NULL;
    size_t nv = 0, k = known(h);
    int r = 0;

    *out = NULL;
    *n = 0;
    if (lx->privileged) {
        for (size_t i = 0; i < k && r == 0; i++)
            r = push(&v, &nv, all_caps[i], err);
        goto done;
    }
    if (!lx->n_cap_add && !lx->n_cap_drop) {
        for (size_t i = 0; i < spec_n_default_caps && r == 0; i++)
            r = push(&v, &nv, spec_default_caps[i], err);
        goto done;
    }
    if ((r = normalize(h, lx->cap_drop, lx->n_cap_drop, &drop, err)) < 0 ||
        (r = normalize(h, lx->cap_add, lx->n_cap_add, &add, err)) < 0)
        goto done;
    if (in(add, lx->n_cap_add, "ALL")) {
        for (size_t i = 0; i < k && r == 0; i++)
            if (!in(drop, lx->n_cap_drop, all_caps[i]))
                r = push(&v, &nv, all_caps[i], err);
    } else if (in(drop, lx->n_cap_drop, "ALL")) {
        for (size_t i = 0; i < lx->n_cap_add && r == 0; i++)
            r = push(&v, &nv, add[i], err);
    } else {
        for (size_t i = 0; i < spec_n_default_caps && r == 0; i++)
            if (!in(drop, lx->n_cap_drop, spec_default_caps[i]))
                r = push(&v, &nv, spec_default_caps[i], err);
        for (size_t i = 0; i < lx->n_cap_add && r == 0; i++)
            r = push(&v, &nv, add[i], err);
    }
done:
    ls_strv_free(add, add ? lx->n_cap_add : 0);
    ls_strv_free(drop, drop ? lx->n_cap_drop : 0);
    if (r < 0) {
        ls_strv_free(v, nv);
        return r;
    }
    *out = v;
    *n = nv;
    return 0;
}
