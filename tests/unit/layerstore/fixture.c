/* fixture.c - see fixture.h. Failures abort the test (criterion reports the crash). */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
    fprintf(stderr, "fixture: %s %s: %s\n", what, path, strerror(errno));
    abort();
}

char *fx_path(struct fx *f, const char *rel)
{
    /* one per thread: a test's helper thread and its main thread each get their own */
    static _Thread_local char buf[4096];
    snprintf(buf, sizeof(buf), "%s/%s", f->root, rel);
    return buf;
}

static void mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                die("mkdir", tmp);
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        die("mkdir", tmp);
}

static void mkparent(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    char *slash = strrchr(tmp, '/');
    if (slash && slash != tmp) {
        *slash = '\0';
        mkdir_p(tmp);
    }
}

void fx_init(struct fx *f, const char *driver)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->root, sizeof(f->root), "/tmp/ls-test-XXXXXX");
    if (!mkdtemp(f->root))
        die("mkdtemp", f->root);
    f->driver = driver;
    if (driver) {
        char rel[64];
        snprintf(rel, sizeof(rel), "image/%s", driver);
        fx_mkdir(f, rel);
    }
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void fx_rm(struct fx *f, const char *rel)
{
    nftw(fx_path(f, rel), rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fx_cleanup(struct fx *f)
{
    if (f->root[0])
        nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    f->root[0] = '\0';
}

void fx_write_len(struct fx *f, const char *rel, const char *data, size_t len)
{
    const char *p = fx_path(f, rel);
    mkparent(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        die("open", p);
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0)
            die("write", p);
        data += w;
        len -= (size_t)w;
    }
    close(fd);
}

void fx_write(struct fx *f, const char *rel, const char *data)
{
    fx_write_len(f, rel, data, strlen(data));
}

void fx_writef(struct fx *f, const char *rel, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    fx_write(f, rel, s);
    free(s);
}

void fx_mkdir(struct fx *f, const char *rel)
{
    mkdir_p(fx_path(f, rel));
}

void fx_symlink(struct fx *f, const char *target, const char *rel)
{
    const char *p = fx_path(f, rel);
    mkparent(p);
    if (symlink(target, p) < 0)
        die("symlink", p);
}

void fx_mkfifo(struct fx *f, const char *rel)
{
    const char *p = fx_path(f, rel);
    mkparent(p);
    if (mkfifo(p, 0644) < 0)
        die("mkfifo", p);
}

void fx_mv(struct fx *f, const char *from, const char *to)
{
    char a[4096];
    snprintf(a, sizeof(a), "%s", fx_path(f, from));
    const char *b = fx_path(f, to);
    mkparent(b);
    if (rename(a, b) < 0)
        die("rename", a);
}

void fx_image(struct fx *f, const char *json, char out[65])
{
    char rel[256];
    SHA2_CTX ctx;
    uint8_t md[32];

    SHA256Init(&ctx);
    SHA256Update(&ctx, (const uint8_t *)json, strlen(json));
    SHA256Final(md, &ctx);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
    snprintf(rel, sizeof(rel), "image/%s/imagedb/content/sha256/%s", f->driver, out);
    fx_write(f, rel, json);
}

void fx_layer(struct fx *f, const char *chain_hex, const char *diff, const char *parent,
              const char *cache_id)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "image/%s/layerdb/sha256/%s/diff", f->driver, chain_hex);
    fx_write(f, rel, diff);
    snprintf(rel, sizeof(rel), "image/%s/layerdb/sha256/%s/cache-id", f->driver, chain_hex);
    fx_write(f, rel, cache_id);
    snprintf(rel, sizeof(rel), "image/%s/layerdb/sha256/%s/size", f->driver, chain_hex);
    fx_write(f, rel, "1234");
    if (parent) {
        snprintf(rel, sizeof(rel), "image/%s/layerdb/sha256/%s/parent", f->driver, chain_hex);
        fx_write(f, rel, parent);
    }
    /* the layer's folder, which GetLayerPath requires (a cache id a test made invalid on
     * purpose gets none) */
    if (strlen(cache_id) < 64 || strchr(cache_id, '/') || strchr(cache_id, '.'))
        return;
    if (strcmp(f->driver, "overlay2") == 0)
        snprintf(rel, sizeof(rel), "overlay2/%s/diff", cache_id);
    else if (strcmp(f->driver, "vfs") == 0)
        snprintf(rel, sizeof(rel), "vfs/dir/%s", cache_id);
    else
        snprintf(rel, sizeof(rel), "%s/%s", f->driver, cache_id);
    fx_mkdir(f, rel);
}

void fx_std_layers(struct fx *f)
{
    fx_layer(f, C1_HEX, D1, NULL, CACHE1);
    fx_layer(f, C2_HEX, D2, "sha256:" C1_HEX, CACHE2);
    fx_layer(f, C3_HEX, D3, C2, CACHE3);
}

void fx_container(struct fx *f, const char *id, const char *name, const char *image_hex,
                  const char *mount_id, const char *init_id, const char *parent)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "containers/%s/config.v2.json", id);
    fx_writef(f, rel,
              "{\"ID\":\"%s\",\"Name\":\"/%s\",\"Image\":\"sha256:%s\",\"Driver\":\"%s\","
              "\"Path\":\"cmd\",\"Args\":[\"/S\",\"/C\",\"echo hi\"],"
              "\"Config\":{\"Hostname\":\"%.12s\",\"Env\":[\"A=1\",\"B\"],\"Tty\":true,"
              "\"Image\":\"microsoft/nanoserver\",\"WorkingDir\":\"\"},"
              "\"HasBeenStartedBefore\":true,\"State\":{\"Running\":false},"
              "\"NetworkSettings\":{\"Networks\":{\"nat\":{\"NetworkID\":\"n1\","
              "\"EndpointID\":\"e1\",\"MacAddress\":\"00:15:5d:00:00:01\"}}},"
              "\"MountPoints\":{}}",
              id, name, image_hex, f->driver, id);
    snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", id);
    fx_write(f, rel, "{\"Isolation\":\"process\",\"NetworkMode\":\"nat\"}");
    snprintf(rel, sizeof(rel), "image/%s/layerdb/mounts/%s/mount-id", f->driver, id);
    fx_write(f, rel, mount_id ? mount_id : id);
    if (init_id) {
        snprintf(rel, sizeof(rel), "image/%s/layerdb/mounts/%s/init-id", f->driver, id);
        fx_write(f, rel, init_id);
    }
    if (parent) {
        snprintf(rel, sizeof(rel), "image/%s/layerdb/mounts/%s/parent", f->driver, id);
        fx_write(f, rel, parent);
    }
}

void fx_std(struct fx *f, const char *driver)
{
    fx_init(f, driver);
    fx_image(f, STD_IMAGE_JSON, f->image_hex);
    fx_std_layers(f);
    if (strcmp(driver, "windowsfilter") == 0)
        fx_container(f, CID1, "web", f->image_hex, NULL, NULL, C3);
    else
        fx_container(f, CID1, "web", f->image_hex, MOUNT_OV, MOUNT_OV "-init", C3);
}
