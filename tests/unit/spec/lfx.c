/* lfx.c - see lfx.h. */
#include "jarena.h"
#include "lfx.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINUX_IMAGE_JSON                                                                           \
    "{\"architecture\":\"amd64\",\"os\":\"linux\","                                                \
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\",\"" D3 "\"]}}"

void lfx_init(struct lfx *x, const char *driver)
{
    static const char *const caches[3] = {CACHE1, CACHE2, CACHE3};
    static const char *const links[3] = {LINK1, LINK2, LINK3};
    char rel[256];

    memset(x, 0, sizeof(*x));
    fx_init(&x->f, driver);
    fx_image(&x->f, LINUX_IMAGE_JSON, x->img);
    fx_std_layers(&x->f);
    snprintf(x->daemon_json, sizeof(x->daemon_json), "%s/daemon.json", x->f.root);
    for (int i = 0; i < 3; i++) {
        if (strcmp(driver, "overlay2") == 0) {
            snprintf(rel, sizeof(rel), "overlay2/%s/diff", caches[i]);
            fx_mkdir(&x->f, rel);
            snprintf(rel, sizeof(rel), "overlay2/%s/link", caches[i]);
            fx_write(&x->f, rel, links[i]);
            snprintf(rel, sizeof(rel), "overlay2/l/%s", links[i]);
            char target[128];
            snprintf(target, sizeof(target), "../%s/diff", caches[i]);
            fx_symlink(&x->f, target, rel);
            if (i > 0) { /* lower: the layers below, uppermost first */
                char lower[256] = "";
                for (int k = i - 1; k >= 0; k--)
                    snprintf(lower + strlen(lower), sizeof(lower) - strlen(lower), "%sl/%s",
                             k == i - 1 ? "" : ":", links[k]);
                snprintf(rel, sizeof(rel), "overlay2/%s/lower", caches[i]);
                fx_write(&x->f, rel, lower);
            }
        } else {
            snprintf(rel, sizeof(rel), "vfs/dir/%s", caches[i]);
            fx_mkdir(&x->f, rel);
        }
    }
    if (strcmp(driver, "overlay2") == 0) {
        fx_write(&x->f, "overlay2/" CACHE1 "/diff/etc/passwd",
                 "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
        fx_write(&x->f, "overlay2/" CACHE1 "/diff/etc/group", "root:x:0:\napp:x:1000:\n");
    }
}

void lfx_cleanup(struct lfx *x)
{
    if (x->ls)
        layerstore_close(x->ls);
    x->ls = NULL;
    fx_cleanup(&x->f);
}

const char *lfx_mount_id(const char *id)
{
    static char buf[LS_ID_LEN + 1];
    snprintf(buf, sizeof(buf), "%s", id);
    buf[0] = '9';
    return buf;
}

const char *lfx_init_link(const char *id)
{
    static char buf[27];
    const char *m = lfx_mount_id(id);
    for (int i = 0; i < 26; i++)
        buf[i] = (char)toupper((unsigned char)m[i]);
    buf[26] = '\0';
    return buf;
}

static json_t *load_obj(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j || !json_is_object(j))
        cr_assert_fail("lfx: bad JSON in test: %s (%s)", s, e.text);
    return j;
}

static void write_json(struct fx *f, const char *rel, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    cr_assert_not_null(s);
    fx_write(f, rel, s);
    ja_free(s); /* jansson's block */
}

void lfx_ctr(struct lfx *x, const char *id, const struct lfx_ctr *o)
{
    static const struct lfx_ctr none = {0};
    char rel[256], name[32];
    const char *mount = NULL;
    char mount_buf[LS_ID_LEN + 1];
    json_t *cfg, *top, *host;

    if (!o)
        o = &none;
    snprintf(mount_buf, sizeof(mount_buf), "%s", lfx_mount_id(id));
    mount = mount_buf;
    snprintf(name, sizeof(name), "c-%.12s", id);
    top = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s,s], s:{s:b, s:i}, s:{s:{}}, s:{}, "
                    "s:s, s:b}",
                    "ID", id, "Name", "/", "Image", "", "Driver", x->f.driver, "OS", "linux",
                    "Path", "/bin/sh", "Args", "-c", "echo hi", "State", "Running", o->running,
                    "Pid", o->running ? 1234 : 0, "NetworkSettings", "Networks", "MountPoints",
                    "SeccompProfile", "unconfined", "HasBeenStartedBefore", 0);
    cr_assert_not_null(top);
    {
        char n[64], img[80];
        snprintf(n, sizeof(n), "/%s", o->name ? o->name : name);
        snprintf(img, sizeof(img), "sha256:%s", x->img);
        json_object_set_new(top, "Name", json_string(n));
        json_object_set_new(top, "Image", json_string(img));
    }
    cfg = json_pack("{s:s, s:s, s:s, s:b, s:[], s:s}", "Hostname", "h0st", "Image", "alpine",
                    "User", "", "Tty", 0, "Env", "WorkingDir", "");
    cr_assert_not_null(cfg);
    if (o->config) {
        json_t *j = load_obj(o->config);
        json_object_update(cfg, j);
        json_decref(j);
    }
    json_object_set_new(top, "Config", cfg);
    if (o->top) {
        json_t *j = load_obj(o->top);
        json_object_update(top, j);
        json_decref(j);
    }
    host = json_pack("{s:s, s:s, s:s, s:i, s:s, s:b, s:b}", "NetworkMode", "bridge", "IpcMode",
                     "private", "CgroupnsMode", "host", "ShmSize", 67108864, "Isolation", "",
                     "Privileged", 0, "ReadonlyRootfs", 0);
    cr_assert_not_null(host);
    if (o->host) {
        json_t *j = load_obj(o->host);
        json_object_update(host, j);
        json_decref(j);
    }
    snprintf(rel, sizeof(rel), "containers/%s/config.v2.json", id);
    write_json(&x->f, rel, top);
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", id);
    write_json(&x->f, rel, host);
    json_decref(top);
    json_decref(host);

    snprintf(rel, sizeof(rel), "image/%s/layerdb/mounts/%s/mount-id", x->f.driver, id);
    fx_write(&x->f, rel, mount);
    snprintf(rel, sizeof(rel), "image/%s/layerdb/mounts/%s/init-id", x->f.driver, id);
    fx_writef(&x->f, rel, "%s-init", mount);
    snprintf(rel, sizeof(rel), "image/%s/layerdb/mounts/%s/parent", x->f.driver, id);
    fx_write(&x->f, rel, C3);
    if (strcmp(x->f.driver, "overlay2") == 0) {
        char link[27];
        snprintf(link, sizeof(link), "%s", lfx_init_link(id));
        snprintf(rel, sizeof(rel), "overlay2/%s/diff", mount);
        fx_mkdir(&x->f, rel);
        snprintf(rel, sizeof(rel), "overlay2/%s/work", mount);
        fx_mkdir(&x->f, rel);
        snprintf(rel, sizeof(rel), "overlay2/%s-init/diff", mount);
        fx_mkdir(&x->f, rel);
        snprintf(rel, sizeof(rel), "overlay2/l/%s", link);
        char target[128];
        snprintf(target, sizeof(target), "../%s-init/diff", mount);
        fx_rm(&x->f, rel);
        fx_symlink(&x->f, target, rel);
        if (!o->no_lower) {
            snprintf(rel, sizeof(rel), "overlay2/%s/lower", mount);
            fx_writef(&x->f, rel, "l/%s:l/" LINK3 ":l/" LINK2 ":l/" LINK1, link);
        }
    } else {
        snprintf(rel, sizeof(rel), "vfs/dir/%s", mount);
        fx_mkdir(&x->f, rel);
        snprintf(rel, sizeof(rel), "vfs/dir/%s-init", mount);
        fx_mkdir(&x->f, rel);
    }
}

void lfx_daemon_json(struct lfx *x, const char *json)
{
    fx_write(&x->f, "daemon.json", json);
}

struct layerstore *lfx_store(struct lfx *x)
{
    if (!x->ls) {
        struct ls_options o = {.daemon_config = x->daemon_json};
        struct bf_error err = BF_ERROR_INIT;
        cr_assert_eq(layerstore_open(x->f.root, &o, &x->ls, &err), 0, "%s", bf_error_message(&err));
    }
    return x->ls;
}

struct spec_bundle *lfx_gen(struct lfx *x, const char *id)
{
    struct spec_options o = {.format = SPEC_FORMAT_OCI, .compact = false, .host_cpus = 4};
    struct bf_error err = BF_ERROR_INIT;
    struct spec_bundle *b = NULL;

    cr_assert_eq(spec_bundle_generate(lfx_store(x), id, &o, &b, &err), 0, "%s",
                 bf_error_message(&err));
    return b;
}

json_t *lfx_config(struct lfx *x, const char *id)
{
    struct spec_bundle *b = lfx_gen(x, id);
    json_error_t je;
    json_t *j;

    cr_assert_eq(b->files[SPEC_FILE_CONFIG].err.code, 0, "config.json failed: %s",
                 bf_error_message(&b->files[SPEC_FILE_CONFIG].err));
    cr_assert_not_null(b->files[SPEC_FILE_CONFIG].data);
    j = json_loadb(b->files[SPEC_FILE_CONFIG].data, b->files[SPEC_FILE_CONFIG].len, 0, &je);
    cr_assert_not_null(j, "config.json does not parse: %s", je.text);
    spec_bundle_free(b);
    return j;
}

char *lfx_config_err(struct lfx *x, const char *id)
{
    struct spec_bundle *b = lfx_gen(x, id);
    char *msg;

    cr_assert_neq(b->files[SPEC_FILE_CONFIG].err.code, 0, "config.json was made: %s",
                  b->files[SPEC_FILE_CONFIG].data ? b->files[SPEC_FILE_CONFIG].data : "");
    cr_assert_null(b->files[SPEC_FILE_CONFIG].data);
    msg = strdup(bf_error_message(&b->files[SPEC_FILE_CONFIG].err));
    spec_bundle_free(b);
    return msg;
}

json_t *jp(json_t *root, const char *path)
{
    char buf[512];
    json_t *j = root;

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok && j;
         tok = strtok_r(NULL, "/", &save)) {
        if (json_is_array(j)) {
            char *end;
            long i = strtol(tok, &end, 10);
            j = *end ? NULL : json_array_get(j, (size_t)i);
        } else {
            j = json_object_get(j, tok);
        }
    }
    return j;
}

const char *jps(json_t *root, const char *path)
{
    return json_string_value(jp(root, path));
}

long long jpi(json_t *root, const char *path)
{
    json_t *j = jp(root, path);
    return json_is_integer(j) ? json_integer_value(j) : -999999;
}

char *jjoin(json_t *a)
{
    size_t len = 1;
    char *s;

    if (!a)
        return strdup("<absent>");
    if (!json_is_array(a))
        return strdup("<bad>");
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *v = json_string_value(json_array_get(a, i));
        len += (v ? strlen(v) : 6) + 1;
    }
    s = calloc(1, len);
    for (size_t i = 0; s && i < json_array_size(a); i++) {
        const char *v = json_string_value(json_array_get(a, i));
        if (i)
            strcat(s, "|");
        strcat(s, v ? v : "<nstr>");
    }
    return s;
}

json_t *jmount(json_t *cfg, const char *dest)
{
    json_t *ms = json_object_get(cfg, "mounts");
    for (size_t i = 0; i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        const char *d = json_string_value(json_object_get(m, "destination"));
        if (d && strcmp(d, dest) == 0)
            return m;
    }
    return NULL;
}

char *jdests(json_t *cfg)
{
    json_t *ms = json_object_get(cfg, "mounts"), *a = json_array();
    for (size_t i = 0; i < json_array_size(ms); i++)
        json_array_append(a, json_object_get(json_array_get(ms, i), "destination"));
    char *s = jjoin(a);
    json_decref(a);
    return s;
}
