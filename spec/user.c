/* user.c - process.user from Config.User, /etc/passwd and /etc/group (Docker 20.10 getUser).
 *
 * getUser (daemon/oci_linux.go) calls runc's libcontainer/user; Debian 12's dockerd links
 * runc 1.1.5's copy (its binary carries 1.1's "%w" texts and libcontainer/userns), and these
 * are its rules:
 * - Config.User is split on ':' (a third field is ignored): "user", "uid", "user:group",
 *   "uid:gid", ":group", "" (GetExecUser's parseLine).
 * - Numbers are strconv.Atoi: optional sign, decimal digits, int64; in the files a bad number
 *   reads as 0 and an overflowing one as the int64 limit (parseParts ignores the error, keeps
 *   the value). The user's and group's own ids are range-checked (0..2^31-1, ErrRange) only
 *   when a numeric one matched no entry; ids from the files are not, and the spec gets the low
 *   32 bits of whatever was read (getUser's uint32()).
 * - /etc/passwd: bufio.Scanner lines (one trailing '\r' dropped; a line of 64 KiB or more fails
 *   the whole file: "bufio.Scanner: token too long"), each trimmed of Unicode white space
 *   (bytes.TrimSpace), blank ones skipped, '#' lines NOT skipped (ParsePasswdFilter). The user
 *   is the first entry whose name (or, for a numeric user, uid; for "" uid 0) matches.
 * - /etc/group: lines of any length, trimmed, blank and '#' lines skipped (ParseGroupFilter).
 *   With an explicit group the first entry named so (numeric: with that gid) gives the gid;
 *   without one, every entry listing the matched user's name (exact, ',' separated) is a
 *   supplementary group, in file order, duplicates kept. No name matched: no groups.
 * - additionalGids = [gid] + supplementary + GroupAdd (getUser), never de-duplicated across
 *   the three. GroupAdd (GetAdditionalGroups): each entry takes the first group in the file
 *   whose name or decimal gid equals it and whose gid is not taken yet, else its own number
 *   (ParseInt; not a number: "Unable to find group X: no matching entries in group file"). So a
 *   name given twice is an error and a number given twice is one gid. Docker returns these in
 *   Go map order: for up to 8 groups a rotation of the order here (this one with probability
 *   (9 - n) / 8), random beyond; this takes first-added order.
 * - A file that cannot be opened is no entries (GetExecUserPath); one that opens but cannot be
 *   read fails where it is parsed, with the read error (passwd always; group only when a group
 *   is named, a user matched, or GroupAdd is set).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "user.h"

#define GO_MAX_SCAN_TOKEN (64 * 1024) /* bufio.MaxScanTokenSize */
#define ID_MIN 0
#define ID_MAX INT64_C(2147483647) /* libcontainer/user maxID (1<<31 - 1) */

static const char err_range[] = "uids and gids must be in range 0-2147483647";
static const char err_too_long[] = "bufio.Scanner: token too long";

struct bytes {
    const char *p;
    size_t n;
};

struct i64v {
    int64_t *v;
    size_t n, cap;
};

static int i64v_push(struct i64v *a, int64_t x)
{
    if (a->n == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 8;
        int64_t *nv = realloc(a->v, ncap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        a->v = nv;
        a->cap = ncap;
    }
    a->v[a->n++] = x;
    return 0;
}

static bool bytes_eq(struct bytes b, const char *s, size_t n)
{
    return b.n == n && memcmp(b.p, s, n) == 0;
}

/* ---- Go's strconv and bytes, as far as libcontainer/user uses them ---- */

/* The length of a unicode.IsSpace rune at the start of p (0: none). An invalid UTF-8 byte is
 * RuneError, never space; a valid encoding is unique, so comparing bytes is decoding. */
static size_t space_at(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    switch (p[0]) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
        return 1;
    }
    if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2; /* U+0085, U+00A0 */
    if (n < 3)
        return 0;
    if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
        return 3; /* U+1680 */
    if (p[0] == 0xe2 && p[1] == 0x80 &&
        ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
        return 3; /* U+2000-200A, U+2028, U+2029, U+202F */
    if ((p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
        (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))
        return 3; /* U+205F, U+3000 */
    return 0;
}

/* The same for the rune ending p[n-1] (utf8.DecodeLastRune: each encoding above is a lead byte
 * and continuation bytes, so its lead byte is the one DecodeLastRune starts from). */
static size_t space_before(const unsigned char *p, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++)
        if (space_at(p + n - k, k) == k)
            return k;
    return 0;
}

/* bytes.TrimSpace */
static struct bytes go_trim(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t k;

    while ((k = space_at(u, n)) > 0) {
        u += k;
        n -= k;
    }
    while ((k = space_before(u, n)) > 0)
        n -= k;
    return (struct bytes){(const char *)u, n};
}

/* strconv.Atoi on a 64-bit Go (ParseInt(s, 10, 0)): true without error. *v is what Atoi
 * returns even with an error: 0 for bad syntax, the int64 limit on overflow. */
static bool go_atoi(const char *s, size_t n, int64_t *v)
{
    const uint64_t cutoff = UINT64_MAX / 10 + 1;
    uint64_t un = 0;
    bool neg = false;

    *v = 0;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        if (un >= cutoff || un * 10 + d < un * 10) {
            *v = neg ? INT64_MIN : INT64_MAX; /* ParseUint stops at the overflow */
            return false;
        }
        un = un * 10 + d;
    }
    if (!neg && un > (uint64_t)INT64_MAX) {
        *v = INT64_MAX;
        return false;
    }
    if (neg && un > (uint64_t)INT64_MAX + 1) {
        *v = INT64_MIN;
        return false;
    }
    *v = neg ? (int64_t)(0 - un) : (int64_t)un;
    return true;
}

/* ---- the two file formats ---- */

struct lines {
    const char *p;
    size_t n, pos;
    bool scanner; /* bufio.Scanner's 64 KiB limit (passwd); else bufio.Reader.ReadLine */
};

/* The next line without its '\n' (and one '\r' before it): 1, 0 at the end, -1 too long. */
static int next_line(struct lines *l, struct bytes *line)
{
    const char *start = l->p + l->pos, *nl;
    size_t rest = l->n - l->pos, len;

    if (l->pos >= l->n)
        return 0;
    nl = memchr(start, '\n', rest);
    len = nl ? (size_t)(nl - start) : rest;
    /* The Scanner's buffer (64 KiB) must hold the line and its '\n': a line of 64 KiB or
     * more fills it with no end in sight, whether or not the file ends there. */
    if (l->scanner && len >= GO_MAX_SCAN_TOKEN)
        return -1;
    l->pos += len + (nl ? 1 : 0);
    if (len > 0 && start[len - 1] == '\r')
        len--;
    *line = (struct bytes){start, len};
    return 1;
}

/* parseLine: the first `max` fields of bytes.Split(line, ":"); returns how many there are. */
static size_t split_fields(struct bytes line, struct bytes *f, size_t max)
{
    size_t k = 0, start = 0;

    for (size_t i = 0; i <= line.n && k < max; i++)
        if (i == line.n || line.p[i] == ':') {
            f[k++] = (struct bytes){line.p + start, i - start};
            start = i + 1;
        }
    return k;
}

struct group_entry {
    struct bytes name;
    int64_t gid;
    struct bytes list; /* the members field, "" when absent */
};

/* The next /etc/group entry (ParseGroupFilter: blank and '#' lines skipped). 1 or 0. */
static int next_group(struct lines *l, struct group_entry *g)
{
    struct bytes line, f[4];
    size_t nf;

    while (next_line(l, &line) > 0) {
        line = go_trim(line.p, line.n);
        if (line.n == 0 || line.p[0] == '#')
            continue;
        nf = split_fields(line, f, 4);
        g->name = f[0];
        g->gid = 0;
        if (nf > 2)
            go_atoi(f[2].p, f[2].n, &g->gid);
        g->list = nf > 3 ? f[3] : (struct bytes){"", 0};
        return 1;
    }
    return 0;
}

static bool group_lists(const struct group_entry *g, struct bytes name)
{
    size_t start = 0;

    if (g->list.n == 0)
        return false;
    for (size_t i = 0; i <= g->list.n; i++)
        if (i == g->list.n || g->list.p[i] == ',') {
            if (i - start == name.n && memcmp(g->list.p + start, name.p, name.n) == 0)
                return true;
            start = i + 1;
        }
    return false;
}

/* ---- GetExecUser ---- */

struct exec_user {
    int64_t uid, gid;
    struct i64v sgids;
};

static int find_user(const char *user_arg, bool uid_ok, int64_t uid_arg,
                     const struct spec_user_file *pw, bool *matched, struct bytes *name,
                     struct exec_user *eu, struct bf_error *err)
{
    struct lines l = {.p = pw->data, .n = pw->len, .scanner = true};
    struct bytes line, f[4];
    int r;

    *matched = false;
    if (pw->read_error)
        return bf_error_set(err, EIO, "unable to find user %s: %s", *user_arg ? user_arg : "0",
                            pw->read_error);
    if (!pw->data)
        return 0;
    /* Every line is read, even after a match: a too long one fails the whole file. */
    while ((r = next_line(&l, &line)) > 0) {
        int64_t uid = 0, gid = 0;
        size_t nf;
        bool hit;

        line = go_trim(line.p, line.n);
        if (line.n == 0 || *matched)
            continue;
        nf = split_fields(line, f, 4);
        if (nf > 2)
            go_atoi(f[2].p, f[2].n, &uid);
        if (nf > 3)
            go_atoi(f[3].p, f[3].n, &gid);
        if (!*user_arg)
            hit = uid == 0;
        else if (uid_ok)
            hit = uid == uid_arg;
        else
            hit = bytes_eq(f[0], user_arg, strlen(user_arg));
        if (hit) {
            *matched = true;
            *name = f[0];
            eu->uid = uid;
            eu->gid = gid;
        }
    }
    if (r < 0)
        return bf_error_set(err, EINVAL, "unable to find user %s: %s", *user_arg ? user_arg : "0",
                            err_too_long);
    return 0;
}

static int exec_user(const char *spec, const struct spec_user_file *pw,
                     const struct spec_user_file *gr, struct exec_user *eu, struct bf_error *err)
{
    const char *colon = strchr(spec, ':'), *gend;
    _cleanup_free_ char *user_arg = NULL, *group_arg = NULL;
    struct bytes name = {"", 0};
    int64_t uid_arg, gid_arg;
    bool uid_ok, gid_ok, matched;
    int r;

    user_arg = strndup(spec, colon ? (size_t)(colon - spec) : strlen(spec));
    gend = colon ? strchrnul(colon + 1, ':') : NULL;
    group_arg = colon ? strndup(colon + 1, (size_t)(gend - colon - 1)) : strdup("");
    if (!user_arg || !group_arg)
        return bf_error_set(err, ENOMEM, "user %s: out of memory", spec);
    uid_ok = go_atoi(user_arg, strlen(user_arg), &uid_arg);
    gid_ok = go_atoi(group_arg, strlen(group_arg), &gid_arg);

    eu->uid = eu->gid = 0;
    if ((r = find_user(user_arg, uid_ok, uid_arg, pw, &matched, &name, eu, err)) < 0)
        return r;
    if (!matched && *user_arg) {
        if (!uid_ok)
            return bf_error_set(err, ENOENT,
                                "unable to find user %s: no matching entries in passwd file",
                                user_arg);
        if (uid_arg < ID_MIN || uid_arg > ID_MAX)
            return bf_error_set(err, ERANGE, "%s", err_range);
        eu->uid = uid_arg;
    }

    if (!*group_arg && name.n == 0)
        return 0;
    if (gr->read_error)
        return bf_error_set(err, EIO, "unable to find groups for spec %.*s: %s", (int)name.n,
                            name.p, gr->read_error);
    struct lines l = {.p = gr->data, .n = gr->data ? gr->len : 0};
    struct group_entry g;
    bool have = false;
    while (gr->data && next_group(&l, &g) > 0) {
        if (!*group_arg) {
            if (group_lists(&g, name) && i64v_push(&eu->sgids, g.gid) < 0)
                return bf_error_set(err, ENOMEM, "user %s: out of memory", spec);
        } else if (!have &&
                   (gid_ok ? g.gid == gid_arg : bytes_eq(g.name, group_arg, strlen(group_arg)))) {
            have = true;
            eu->gid = g.gid;
        }
    }
    if (*group_arg && !have) {
        if (!gid_ok)
            return bf_error_set(err, ENOENT,
                                "unable to find group %s: no matching entries in group file",
                                group_arg);
        if (gid_arg < ID_MIN || gid_arg > ID_MAX)
            return bf_error_set(err, ERANGE, "%s", err_range);
        eu->gid = gid_arg;
    }
    return 0;
}

/* ---- GetAdditionalGroups ---- */

/* A set of gids, open addressing; holds at most n_group_add entries. */
struct gidset {
    int64_t *slot;
    bool *used;
    size_t mask;
};

static int gidset_init(struct gidset *s, size_t n)
{
    size_t cap = 16;

    while (cap < 2 * n + 2)
        cap *= 2;
    s->slot = calloc(cap, sizeof(*s->slot));
    s->used = calloc(cap, sizeof(*s->used));
    s->mask = cap - 1;
    return s->slot && s->used ? 0 : -ENOMEM;
}

static void gidset_free(struct gidset *s)
{
    free(s->slot);
    free(s->used);
}

/* Adds x; false when it was there already. */
static bool gidset_add(struct gidset *s, int64_t x)
{
    size_t h = (size_t)(((uint64_t)x * UINT64_C(0x9e3779b97f4a7c15)) >> 17) & s->mask;

    while (s->used[h]) {
        if (s->slot[h] == x)
            return false;
        h = (h + 1) & s->mask;
    }
    s->used[h] = true;
    s->slot[h] = x;
    return true;
}

struct ag_value { /* one distinct GroupAdd string, and the groups matching it in file order */
    const char *s;
    size_t n;
    struct i64v gids;
    size_t cursor; /* entries before it have a gid already taken: skipped for good */
};

static int ag_cmp(const void *a, const void *b)
{
    const struct ag_value *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static struct ag_value *ag_find(struct ag_value *v, size_t n, const char *s, size_t len)
{
    struct ag_value key = {.s = s, .n = len};
    return bsearch(&key, v, n, sizeof(*v), ag_cmp);
}

static char *join_group_add(char *const *group_add, size_t n)
{
    size_t total = 3;
    char *out, *o;

    for (size_t i = 0; i < n; i++)
        total += strlen(group_add[i]) + 1;
    if (!(out = malloc(total)))
        return NULL;
    o = out;
    *o++ = '[';
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(group_add[i]);
        if (i)
            *o++ = ' ';
        memcpy(o, group_add[i], k);
        o += k;
    }
    *o++ = ']';
    *o = '\0';
    return out;
}

static int additional_groups(char *const *group_add, size_t n, const struct spec_user_file *gr,
                             struct i64v *out, struct bf_error *err)
{
    struct ag_value *vals = NULL;
    struct gidset set = {0};
    size_t nv = 0;
    int r = 0;

    if (gr->read_error) {
        _cleanup_free_ char *list = join_group_add(group_add, n);
        return bf_error_set(err, EIO, "Unable to find additional groups %s: %s",
                            list ? list : "[...]", gr->read_error);
    }
    vals = calloc(n, sizeof(*vals));
    if (!vals || gidset_init(&set, n) < 0) {
        r = bf_error_set(err, ENOMEM, "GroupAdd: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        vals[i] = (struct ag_value){.s = group_add[i], .n = strlen(group_add[i])};
    qsort(vals, n, sizeof(*vals), ag_cmp);
    for (size_t i = 0; i < n; i++)
        if (nv == 0 || ag_cmp(&vals[nv - 1], &vals[i]) != 0)
            vals[nv++] = vals[i];

    if (gr->data) {
        struct lines l = {.p = gr->data, .n = gr->len};
        struct group_entry g;
        while (next_group(&l, &g) > 0) {
            char num[24];
            int k = snprintf(num, sizeof(num), "%" PRId64, g.gid);
            struct ag_value *by_name = ag_find(vals, nv, g.name.p, g.name.n);
            struct ag_value *by_gid = ag_find(vals, nv, num, (size_t)k);
            if ((by_name && i64v_push(&by_name->gids, g.gid) < 0) ||
                (by_gid && by_gid != by_name && i64v_push(&by_gid->gids, g.gid) < 0)) {
                r = bf_error_set(err, ENOMEM, "GroupAdd: out of memory");
                goto out;
            }
        }
    }

    for (size_t i = 0; i < n; i++) {
        const char *ag = group_add[i];
        struct ag_value *v = ag_find(vals, nv, ag, strlen(ag));
        bool found = false;
        int64_t gid;

        while (v->cursor < v->gids.n && !found) {
            gid = v->gids.v[v->cursor++];
            if (gidset_add(&set, gid)) {
                found = true;
                if (i64v_push(out, gid) < 0) {
                    r = bf_error_set(err, ENOMEM, "GroupAdd: out of memory");
                    goto out;
                }
            }
        }
        if (found)
            continue;
        if (!go_atoi(ag, strlen(ag), &gid)) {
            r = bf_error_set(err, ENOENT,
                             "Unable to find group %s: no matching entries in group file", ag);
            goto out;
        }
        if (gid < ID_MIN || gid > ID_MAX) {
            r = bf_error_set(err, ERANGE, "%s", err_range);
            goto out;
        }
        if (gidset_add(&set, gid) && i64v_push(out, gid) < 0) {
            r = bf_error_set(err, ENOMEM, "GroupAdd: out of memory");
            goto out;
        }
    }
out:
    for (size_t i = 0; vals && i < nv; i++)
        free(vals[i].gids.v);
    free(vals);
    gidset_free(&set);
    return r;
}

/* ---- getUser ---- */

int spec_user_resolve_files(const char *user, const struct spec_user_file *passwd,
                            const struct spec_user_file *group, char *const *group_add,
                            size_t n_group_add, struct spec_user *out, struct bf_error *err)
{
    static const struct spec_user_file absent = {0};
    struct exec_user eu = {0};
    struct i64v add = {0};
    uint32_t *gids = NULL;
    size_t n;
    int r;

    *out = (struct spec_user){0};
    if (!passwd)
        passwd = &absent;
    if (!group)
        group = &absent;
    if ((r = exec_user(user ? user : "", passwd, group, &eu, err)) < 0)
        goto out;
    if (n_group_add > 0 && (r = additional_groups(group_add, n_group_add, group, &add, err)) < 0)
        goto out;
    n = 1 + eu.sgids.n + add.n;
    gids = malloc(n * sizeof(*gids));
    if (!gids) {
        r = bf_error_set(err, ENOMEM, "user: out of memory for %zu groups", n);
        goto out;
    }
    gids[0] = (uint32_t)eu.gid;
    for (size_t i = 0; i < eu.sgids.n; i++)
        gids[1 + i] = (uint32_t)eu.sgids.v[i];
    for (size_t i = 0; i < add.n; i++)
        gids[1 + eu.sgids.n + i] = (uint32_t)add.v[i];
    out->uid = (uint32_t)eu.uid;
    out->gid = (uint32_t)eu.gid;
    out->additional_gids = steal_pointer(&gids);
    out->n_additional_gids = n;
out:
    free(eu.sgids.v);
    free(add.v);
    return r;
}

int spec_user_resolve(const char *user, const char *passwd, size_t passwd_len, const char *group,
                      size_t group_len, char *const *group_add, size_t n_group_add,
                      struct spec_user *out, struct bf_error *err)
{
    struct spec_user_file pw = {.data = passwd, .len = passwd_len};
    struct spec_user_file gr = {.data = group, .len = group_len};

    return spec_user_resolve_files(user, &pw, &gr, group_add, n_group_add, out, err);
}

/* Read one file for getUser: a directory is kept as its read error (Docker fails on it only
 * where it reads that file), everything else that goes wrong is an error now. */
static int read_user_file(struct ls_rootfs *root, const char *path, char **buf,
                          struct spec_user_file *f, char **read_error, struct bf_error *err)
{
    bool found;
    size_t len = 0;
    int r = layerstore_rootfs_get(root, path, LS_CAP_ROOTFS_FILE, buf, &len, &found, err);

    *f = (struct spec_user_file){0};
    if (r == -EISDIR) {
        *read_error = err->msg;
        err->msg = NULL;
        err->code = 0;
        f->read_error = *read_error;
        return 0;
    }
    if (r < 0)
        return r;
    if (found) {
        f->data = *buf;
        f->len = len;
    }
    return 0;
}

int spec_user_from_rootfs(struct layerstore *ls, const struct ls_container *c,
                          const struct ls_walk *w, char *const *group_add, size_t n_group_add,
                          struct spec_user *out, struct ls_inputs *in, struct bf_error *err)
{
    _cleanup_free_ char *pw_buf = NULL, *gr_buf = NULL, *pw_err = NULL, *gr_err = NULL;
    struct spec_user_file pw, gr;
    struct ls_rootfs *root = NULL;
    int r;

    *out = (struct spec_user){0};
    if ((r = layerstore_rootfs_open(ls, c, w, in, &root, err)) < 0)
        return r;
    r = read_user_file(root, "/etc/passwd", &pw_buf, &pw, &pw_err, err);
    if (r == 0)
        r = read_user_file(root, "/etc/group", &gr_buf, &gr, &gr_err, err);
    layerstore_rootfs_close(root);
    if (r < 0)
        return r;
    return spec_user_resolve_files(c->config.user, &pw, &gr, group_add, n_group_add, out, err);
}

void spec_user_free(struct spec_user *u)
{
    if (!u)
        return;
    free(u->additional_gids);
    u->additional_gids = NULL;
    u->n_additional_gids = 0;
}
