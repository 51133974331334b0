/* fuzz_common.c - see fuzz_common.h. */
#include "fuzz_common.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct fz the_root;
static bool built;

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s:%d: invariant violated: %s: ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void cleanup(void)
{
    if (!built)
        return;
    layerstore_close(the_root.ls);
    fx_cleanup(&the_root.fx);
    nftw(the_root.outside, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    built = false;
}

struct fz *fz_root(void)
{
    struct fz *z = &the_root;
    struct bf_error err = BF_ERROR_INIT;
    char path[512];
    FILE *fp;

    if (built)
        return z;
    fx_std(&z->fx, "windowsfilter");
    snprintf(z->outside, sizeof(z->outside), "/tmp/bf-fuzz-outside-XXXXXX");
    if (!mkdtemp(z->outside))
        fz_fail(__FILE__, __LINE__, "mkdtemp", "%s", strerror(errno));
    snprintf(path, sizeof(path), "%s/secret.json", z->outside);
    fp = fopen(path, "w");
    if (!fp)
        fz_fail(__FILE__, __LINE__, "fopen", "%s: %s", path, strerror(errno));
    fputs(FZ_DECOY, fp);
    fclose(fp);
    /* Decoys: a file in R outside every folder a reader may use, and links out of R. */
    fx_write(&z->fx, "secret.json", FZ_DECOY);
    fx_write(&z->fx, "CredentialSpecs/good.json", "{\"CmsPlugins\":[\"ActiveDirectory\"]}");
    fx_write(&z->fx, "CredentialSpecs/Sub/inner.json", "{\"inner\":true}");
    snprintf(path, sizeof(path), "%s/secret.json", z->outside);
    fx_symlink(&z->fx, path, "CredentialSpecs/link.json");
    fx_symlink(&z->fx, z->outside, "CredentialSpecs/linkdir");
    fx_symlink(&z->fx, "../secret.json", "CredentialSpecs/up.json");
    if (layerstore_open(z->fx.root, NULL, &z->ls, &err) < 0)
        fz_fail(__FILE__, __LINE__, "layerstore_open", "%s", bf_error_message(&err));
    built = true;
    atexit(cleanup);
    return z;
}

void fz_put(const char *rel, const void *data, size_t len)
{
    struct fz *z = fz_root();

    if (!data) {
        fx_rm(&z->fx, rel);
        return;
    }
    /* Replace, never write through: the previous input may have left a FIFO or link here. */
    fx_rm(&z->fx, rel);
    fx_write_len(&z->fx, rel, data, len);
}

void fz_put_str(const char *rel, const char *s)
{
    fz_put(rel, s, strlen(s));
}

size_t fz_split(const uint8_t *data, size_t size, const uint8_t **parts, size_t *lens, size_t max)
{
    const size_t sl = strlen(FZ_SEP);
    size_t n = 0, start = 0;

    for (size_t i = 0; n + 1 < max && i + sl <= size; i++) {
        if (memcmp(data + i, FZ_SEP, sl) == 0) {
            parts[n] = data + start;
            lens[n++] = i - start;
            start = i + sl;
            i = start - 1;
        }
    }
    parts[n] = data + start;
    lens[n++] = size - start;
    return n;
}

char *fz_strndup(const uint8_t *data, size_t len)
{
    char *s = malloc(len + 1);

    if (!s)
        abort();
    memcpy(s, data, len);
    s[len] = '\0';
    return s;
}

void fz_check_result(int r, struct bf_error *err)
{
    static int verbose = -1;

    if (verbose < 0)
        verbose = getenv("BF_FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "fuzz: %s\n", r < 0 ? bf_error_message(err) : "ok");
    if (r < 0) {
        FZ_ASSERT(err->code > 0, "r=%d but err.code=%d", r, err->code);
        FZ_ASSERT(r == -err->code, "r=%d but err.code=%d", r, err->code);
        FZ_ASSERT(err->msg && *err->msg, "error %d without a message", err->code);
    } else {
        FZ_ASSERT(r == 0, "unexpected return %d", r);
        FZ_ASSERT(err->code == 0, "success left error %d: %s", err->code, bf_error_message(err));
    }
    bf_error_clear(err);
}

static bool input_has_decoy;

void fz_begin(const uint8_t *data, size_t size)
{
    input_has_decoy = memmem(data, size, FZ_DECOY, strlen(FZ_DECOY)) != NULL;
}

void fz_no_decoy(const char *buf, size_t len)
{
    if (input_has_decoy)
        return;
    FZ_ASSERT(!buf || !memmem(buf, len, FZ_DECOY, strlen(FZ_DECOY)),
              "a decoy outside the allowed folders was read");
}
