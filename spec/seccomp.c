/* seccomp.c - Docker 20.10.24's setupSeccomp (profiles/seccomp/seccomp_linux.go) and its
 * default profile.
 *
 * The rules, in Docker's order:
 * - no defaultAction and no syscalls: no linux.seccomp at all;
 * - both `architectures` and `archMap`: an error; `architectures` is copied as it is; from
 *   `archMap` the first entry whose architecture is the daemon's (GOARCH -> libseccomp name ->
 *   SCMP_ARCH_*, Docker's two tables) gives that architecture and its subArchitectures;
 * - each syscall rule in profile order is dropped when excludes.arches has the native arch
 *   name ("amd64", "x86", ...), any excludes.caps cap is in the bounding set, the kernel is at
 *   least excludes.minKernel; or when includes.arches is set without it, any includes.caps cap
 *   is missing, the kernel is below includes.minKernel;
 * - a kept rule with both name and names is an error; name becomes ["name"], else names as it
 *   is (null stays null); errnoRet passes as given (0 too); args only when there are some.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "seccomp.h"
#include "spec_internal.h"

extern const char spec_seccomp_default_json[];
extern const char spec_seccomp_default_json_end[];

/* ---- the default profile ---- */

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static struct spec_seccomp_profile *default_profile;
static struct bf_error default_err = BF_ERROR_INIT;
static atomic_ulong default_parses;

static void default_parse(void)
{
    atomic_fetch_add(&default_parses, 1);
    spec_seccomp_parse(spec_seccomp_default_json,
                       (size_t)(spec_seccomp_default_json_end - spec_seccomp_default_json),
                       "the built-in seccomp profile (Docker 20.10.24 default.json)",
                       &default_profile, &default_err);
}

int spec_seccomp_default(const struct spec_seccomp_profile **out, struct bf_error *err)
{
    pthread_once(&default_once, default_parse);
    if (!default_profile)
        return bf_error_set(err, default_err.code ? default_err.code : EINVAL, "%s",
                            bf_error_message(&default_err));
    *out = default_profile;
    return 0;
}

void spec_seccomp_default_release(void)
{
    spec_seccomp_free(default_profile);
    default_profile = NULL;
    bf_error_clear(&default_err);
}

unsigned long spec_seccomp_default_parses(void)
{
    return atomic_load(&default_parses);
}

/* ---- parsing ---- */

int spec_seccomp_parse(const char *json, size_t len, const char *what,
                       struct spec_seccomp_profile **out, struct bf_error *err)
{
    struct spec_seccomp_profile *p;
    _cleanup_free_ char *msg = NULL;
    int r;

    *out = NULL;
    if (len > SPEC_SECCOMP_MAX_BYTES)
        return bf_error_set(err, E2BIG, "%s: the seccomp profile is %zu bytes, more than %u", what,
                            len, SPEC_SECCOMP_MAX_BYTES);
    p = calloc(1, sizeof(*p));
    if (!p || !(p->what = strdup(what))) {
        free(p);
        return bf_error_set(err, ENOMEM, "%s: out of memory reading the seccomp profile", what);
    }
    r = spec_seccomp_decode(json ? json : "", json ? len : 0, p, &msg);
    if (r < 0) {
        spec_seccomp_free(p);
        if (r == -EINVAL)
            return bf_error_set(err, EINVAL, "%s: Decoding seccomp profile failed: %s", what, msg);
        if (r == -ENOMEM)
            return bf_error_set(err, ENOMEM, "%s: out of memory reading the seccomp profile", what);
        return bf_error_set(err, -r, "%s: %s", what, msg ? msg : "cannot read the profile");
    }
    *out = p;
    return 0;
}

void spec_seccomp_free(struct spec_seccomp_profile *p)
{
    if (!p)
        return;
    spec_seccomp_profile_clear(p);
    free(p->what);
    free(p);
}

/* ---- the host ---- */

int spec_seccomp_kernel_parse(const char *release, struct spec_kernel *out)
{
    const char *s = release;
    unsigned long v[2];

    /* fmt.Sscanf "%d.%d" into uint64: blanks before each number, then decimal digits; what
     * follows the second number is not looked at. */
    for (int i = 0; i < 2; i++) {
        char *end;
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        errno = 0;
        v[i] = strtoul(s, &end, 10);
        if (errno == ERANGE || v[i] > (unsigned)-1)
            return -ERANGE;
        s = end;
        if (i == 0 && *s++ != '.')
            return -EINVAL;
    }
    out->major = (unsigned)v[0];
    out->minor = (unsigned)v[1];
    return 0;
}

const char *spec_seccomp_goarch(const char *m)
{
    static const struct {
        const char *machine, *goarch;
    } map[] = {
        {"x86_64", "amd64"},
        {"amd64", "amd64"},
        {"i386", "386"},
        {"i486", "386"},
        {"i586", "386"},
        {"i686", "386"},
        {"aarch64", "arm64"},
        {"arm64", "arm64"},
        {"ppc64le", "ppc64le"},
        {"ppc64", "ppc64"},
        {"ppc", "ppc"},
        {"s390x", "s390x"},
        {"s390", "s390"},
        {"mips64", "mips64le"},
        {"mips", "mipsle"},
        {"riscv64", "riscv64"},
        {"loongarch64", "loong64"},
    };

    if (!m)
        return NULL;
    for (size_t i = 0; i < BF_ARRAY_SIZE(map); i++) {
        if (strcmp(m, map[i].machine) == 0)
            return map[i].goarch;
    }
    if (strncmp(m, "arm", 3) == 0) /* armv5tel, armv6l, armv7l, armv8l */
        return "arm";
    return NULL;
}

/* seccomp_linux.go's goToNative and nativeToSeccomp, as they are (so GOARCH mipsle, whose
 * native name "mipsel" the second table spells "mipsle", gets no architectures). */
static const char *go_to_native(const char *goarch)
{
    static const char *const map[][2] = {
        {"386", "x86"},           {"amd64", "amd64"},
        {"arm", "arm"},           {"arm64", "arm64"},
        {"mips64", "mips64"},     {"mips64p32", "mips64n32"},
        {"mips64le", "mipsel64"}, {"mips64p32le", "mips3l64n32"},
        {"mipsle", "mipsel"},     {"ppc", "ppc"},
        {"ppc64", "ppc64"},       {"ppc64le", "ppc64le"},
        {"s390", "s390"},         {"s390x", "s390x"},
    };

    for (size_t i = 0; goarch && i < BF_ARRAY_SIZE(map); i++) {
        if (strcmp(goarch, map[i][0]) == 0)
            return map[i][1];
    }
    return "";
}

static const char *native_to_seccomp(const char *native)
{
    static const char *const map[][2] = {
        {"x86", "SCMP_ARCH_X86"},           {"amd64", "SCMP_ARCH_X86_64"},
        {"arm", "SCMP_ARCH_ARM"},           {"arm64", "SCMP_ARCH_AARCH64"},
        {"mips64", "SCMP_ARCH_MIPS64"},     {"mips64n32", "SCMP_ARCH_MIPS64N32"},
        {"mipsel64", "SCMP_ARCH_MIPSEL64"}, {"mips3l64n32", "SCMP_ARCH_MIPSEL64N32"},
        {"mipsle", "SCMP_ARCH_MIPSEL"},     {"ppc", "SCMP_ARCH_PPC"},
        {"ppc64", "SCMP_ARCH_PPC64"},       {"ppc64le", "SCMP_ARCH_PPC64LE"},
        {"s390", "SCMP_ARCH_S390"},         {"s390x", "SCMP_ARCH_S390X"},
    };

    for (size_t i = 0; i < BF_ARRAY_SIZE(map); i++) {
        if (strcmp(native, map[i][0]) == 0)
            return map[i][1];
    }
    return NULL;
}

/* ---- setupSeccomp ---- */

static bool str_is(const struct spec_sc_str *s, const char *c)
{
    return s->n == strlen(c) && (s->n == 0 || memcmp(s->s, c, s->n) == 0);
}

static const struct spec_sc_str *strs(const struct spec_sc_slice *s)
{
    return s->v;
}

static bool strs_have(const struct spec_sc_slice *list, const char *c)
{
    for (size_t i = 0; i < list->len; i++) {
        if (str_is(&strs(list)[i], c))
            return true;
    }
    return false;
}

static bool caps_have(const char *const *caps, size_t n, const struct spec_sc_str *c)
{
    for (size_t i = 0; i < n; i++) {
        if (str_is(c, caps[i]))
            return true;
    }
    return false;
}

struct ctx {
    const struct spec_seccomp_profile *p;
    const char *native;
    const char *const *caps;
    size_t n_caps;
    const struct spec_kernel *kernel;
    struct bf_error *err;
    /* The first number the spec writer cannot hold: reported after the whole loop, so that
     * Docker's own errors in later rules come first. */
    bool too_big;
    size_t big_rule;
    char big_field[48];
    uint64_t big_value;
};

/* kernelGreaterEqualThan; -EINVAL when the host's version is unknown. */
static int kernel_ge(const struct ctx *x, size_t i, const struct spec_sc_kver *min)
{
    if (!x->kernel)
        return bf_error_set(x->err, EINVAL,
                            "%s: syscalls[%zu] has a minKernel condition and the host's kernel "
                            "version is unknown",
                            x->p->what, i);
    return x->kernel->major > min->kernel ||
           (x->kernel->major == min->kernel && x->kernel->minor >= min->major);
}

/* 1 when rule i stays for this container, 0 when filtered out. */
static int rule_kept(const struct ctx *x, size_t i, const struct spec_sc_call *c)
{
    int r;

    if (strs_have(&c->excludes.arches, x->native))
        return 0;
    for (size_t k = 0; k < c->excludes.caps.len; k++) {
        if (caps_have(x->caps, x->n_caps, &strs(&c->excludes.caps)[k]))
            return 0;
    }
    if (c->excludes.min_kernel) {
        r = kernel_ge(x, i, c->excludes.min_kernel);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    if (c->includes.arches.len && !strs_have(&c->includes.arches, x->native))
        return 0;
    for (size_t k = 0; k < c->includes.caps.len; k++) {
        if (!caps_have(x->caps, x->n_caps, &strs(&c->includes.caps)[k]))
            return 0;
    }
    if (c->includes.min_kernel)
        return kernel_ge(x, i, c->includes.min_kernel);
    return 1;
}

/* The profile's result stays a jansson tree: it is cached and shared between containers (the
 * default one) and read back by its tests; config.json takes its bytes or a copy (linux.c).
 * The builder remembers failure as spec_builder does. */
struct jtree {
    bool failed;
};

static json_t *jt_check(struct jtree *b, json_t *v)
{
    if (!v)
        b->failed = true;
    return v;
}

static json_t *jt_obj(struct jtree *b)
{
    return jt_check(b, json_object());
}

static json_t *jt_arr(struct jtree *b)
{
    return jt_check(b, json_array());
}

/* rule_build keeps values above INT64_MAX out (too_big) */
static json_t *jt_u64(struct jtree *b, uint64_t v)
{
    return jt_check(b, v <= INT64_MAX ? json_integer((json_int_t)v) : NULL);
}

static void jt_put(struct jtree *b, json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new_nocheck(obj, key, v) < 0)
        b->failed = true;
}

static void jt_push(struct jtree *b, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v) < 0)
        b->failed = true;
}

static json_t *jstr(struct jtree *b, const struct spec_sc_str *s)
{
    /* Decoded strings are valid UTF-8 (Go's unquoting replaced anything else). */
    json_t *v = json_stringn_nocheck(s->s ? s->s : "", s->n);
    if (!v)
        b->failed = true;
    return v;
}

static json_t *jstrs(struct jtree *b, const struct spec_sc_slice *s)
{
    json_t *a = jt_arr(b);

    for (size_t i = 0; a && i < s->len; i++)
        jt_push(b, a, jstr(b, &strs(s)[i]));
    return a;
}

/* Remember the first value above INT64_MAX; true when `v` is one. */
static bool too_big(struct ctx *x, size_t i, const char *field, uint64_t v)
{
    if (v <= INT64_MAX)
        return false;
    if (!x->too_big) {
        x->too_big = true;
        x->big_rule = i;
        snprintf(x->big_field, sizeof(x->big_field), "%s", field);
        x->big_value = v;
    }
    return true;
}

/* One kept rule as a runtime-spec LinuxSyscall. */
static int rule_build(struct ctx *x, struct jtree *b, size_t i, const struct spec_sc_call *c,
                      json_t *list)
{
    json_t *o, *args;
    char field[48];
    bool big = false;

    if (c->name.n && c->names.len)
        return bf_error_set(x->err, EINVAL,
                            "%s: 'name' and 'names' were specified in the seccomp profile, use "
                            "either 'name' or 'names'",
                            x->p->what);
    if (c->has_errno_ret)
        big |= too_big(x, i, "errnoRet", c->errno_ret);
    for (size_t k = 0; k < c->args.len; k++) {
        const struct spec_sc_arg *a = ((struct spec_sc_arg *const *)c->args.v)[k];
        if (!a)
            return bf_error_set(x->err, EINVAL,
                                "%s: syscalls[%zu].args[%zu] is null (dockerd 20.10.24 "
                                "dereferences it and the container does not start)",
                                x->p->what, i, k);
        snprintf(field, sizeof(field), "args[%zu].index", k);
        big |= too_big(x, i, field, a->index);
        snprintf(field, sizeof(field), "args[%zu].value", k);
        big |= too_big(x, i, field, a->value);
        snprintf(field, sizeof(field), "args[%zu].valueTwo", k);
        big |= too_big(x, i, field, a->value_two);
    }
    if (big)
        return 0;

    o = jt_obj(b);
    jt_push(b, list, o);
    if (!o)
        return 0;
    if (c->name.n) {
        json_t *names = jt_arr(b);
        if (names)
            jt_push(b, names, jstr(b, &c->name));
        jt_put(b, o, "names", names);
    } else {
        jt_put(b, o, "names", c->names.nonnil ? jstrs(b, &c->names) : json_null());
    }
    jt_put(b, o, "action", jstr(b, &c->action));
    if (c->has_errno_ret)
        jt_put(b, o, "errnoRet", jt_u64(b, c->errno_ret));
    if (!c->args.len)
        return 0;
    args = jt_arr(b);
    jt_put(b, o, "args", args);
    for (size_t k = 0; args && k < c->args.len; k++) {
        const struct spec_sc_arg *a = ((struct spec_sc_arg *const *)c->args.v)[k];
        json_t *ao = jt_obj(b);
        jt_push(b, args, ao);
        if (!ao)
            break;
        jt_put(b, ao, "index", jt_u64(b, a->index));
        jt_put(b, ao, "value", jt_u64(b, a->value));
        if (a->value_two)
            jt_put(b, ao, "valueTwo", jt_u64(b, a->value_two));
        jt_put(b, ao, "op", jstr(b, &a->op));
    }
    return 0;
}

static int build_arches(const struct ctx *x, struct jtree *b, json_t *root)
{
    const struct spec_seccomp_profile *p = x->p;
    const char *scmp = native_to_seccomp(x->native);
    json_t *arches = NULL;

    if (p->architectures.len && p->arch_map.len)
        return bf_error_set(x->err, EINVAL,
                            "%s: 'architectures' and 'archMap' were specified in the seccomp "
                            "profile, use either 'architectures' or 'archMap'",
                            p->what);
    if (p->architectures.len) {
        arches = jstrs(b, &p->architectures);
    } else if (scmp) {
        const struct spec_sc_arch *map = p->arch_map.v;
        for (size_t i = 0; i < p->arch_map.len; i++) {
            if (!str_is(&map[i].arch, scmp))
                continue;
            arches = jstrs(b, &map[i].sub);
            if (arches && json_array_insert_new(arches, 0, jstr(b, &map[i].arch)) < 0)
                b->failed = true;
            break;
        }
    }
    if (arches)
        jt_put(b, root, "architectures", arches);
    return 0;
}

int spec_seccomp_build(const struct spec_seccomp_profile *p, const char *goarch,
                       const char *const *caps, size_t n_caps, const struct spec_kernel *kernel,
                       json_t **out, struct bf_error *err)
{
    struct ctx x = {.p = p,
                    .native = go_to_native(goarch),
                    .caps = caps,
                    .n_caps = n_caps,
                    .kernel = kernel,
                    .err = err};
    struct jtree b = {false};
    json_t *root, *list = NULL;
    int r;

    *out = NULL;
    if (!p->default_action.n && !p->syscalls.len)
        return 0;
    root = jt_obj(&b);
    if (!root)
        return bf_error_set(err, ENOMEM, "%s: out of memory building linux.seccomp", p->what);
    jt_put(&b, root, "defaultAction", jstr(&b, &p->default_action));
    r = build_arches(&x, &b, root);
    for (size_t i = 0; r == 0 && i < p->syscalls.len; i++) {
        const struct spec_sc_call *c = ((struct spec_sc_call *const *)p->syscalls.v)[i];
        if (!c) {
            r = bf_error_set(err, EINVAL,
                             "%s: syscalls[%zu] is null (dockerd 20.10.24 dereferences it and "
                             "the container does not start)",
                             p->what, i);
            break;
        }
        r = rule_kept(&x, i, c);
        if (r <= 0)
            continue;
        if (!list)
            list = jt_arr(&b);
        r = list ? rule_build(&x, &b, i, c, list) : 0;
    }
    if (r == 0 && x.too_big)
        r = bf_error_set(err, ERANGE,
                         "%s: syscalls[%zu]: %s %llu is above 2^63-1, which the spec's JSON "
                         "writer cannot represent",
                         p->what, x.big_rule, x.big_field, (unsigned long long)x.big_value);
    if (r < 0) {
        json_decref(list);
        json_decref(root);
        return r;
    }
    if (list)
        jt_put(&b, root, "syscalls", list); /* omitempty */
    if (b.failed) {
        json_decref(root);
        return bf_error_set(err, ENOMEM, "%s: out of memory building linux.seccomp", p->what);
    }
    *out = root;
    return 0;
}
