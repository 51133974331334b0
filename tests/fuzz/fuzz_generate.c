/* The whole generate path (spec_bundle_generate) over a small fuzzed data-root.
 *
 * Input: one flags byte, then parts split at FZ_SEP, each written over the fixture's file (an
 * empty part keeps the fixture's file, except daemon.json which is then absent):
 *   0 containers/<id>/config.v2.json ("@IMAGE@" is replaced by part 2's digest)
 *   1 containers/<id>/hostconfig.json
 *   2 an image config, stored under its own SHA-256
 *   3 config/daemon.json
 *   4 CredentialSpecs/fuzz.json
 *   5 layerdb/mounts/<id>/parent
 * Flags: bit 0 windowsoci, bit 1 compact, bit 2 Windows paths (hostroot), bit 3 isolation
 * fallback hyperv, bit 4 a UtilityVM folder in the base layer, bit 5 a credential spec
 * registry directory. Every file is put back afterwards. */
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "spec.h"

#define CFG "containers/" CID1 "/config.v2.json"
#define HC "containers/" CID1 "/hostconfig.json"
#define MPARENT "image/windowsfilter/layerdb/mounts/" CID1 "/parent"
#define UVM "windowsfilter/" CACHE1 "/UtilityVM"
#define NPARTS 6

static struct layerstore *win_ls;
static char *std_cfg, *std_hc;

static char *slurp(struct fz *z, const char *rel)
{
    struct bf_error err = BF_ERROR_INIT;
    char *buf = NULL;
    if (layerstore_read_file(z->ls, rel, BF_CAP_JSON, &buf, NULL, NULL, &err) < 0)
        abort();
    return buf;
}

static void setup(struct fz *z)
{
    struct bf_error err = BF_ERROR_INIT;
    struct ls_options o = {.hostroot = "C:\\ProgramData\\docker"};

    if (win_ls)
        return;
    if (layerstore_open(z->fx.root, &o, &win_ls, &err) < 0)
        abort();
    std_cfg = slurp(z, CFG);
    std_hc = slurp(z, HC);
}

static void digest_hex(const uint8_t *d, size_t n, char hex[65])
{
    uint8_t md[32];
    SHA2_CTX ctx;
    SHA256Init(&ctx);
    SHA256Update(&ctx, d, n);
    SHA256Final(md, &ctx);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* part with every "@IMAGE@" replaced by hex (malloc'd, *outlen set) */
static char *substitute(const uint8_t *p, size_t n, const char *hex, size_t *outlen)
{
    const char *tag = "@IMAGE@";
    size_t tl = strlen(tag), o = 0;
    char *out = malloc(n * 10 + 1); /* 7 -> 64 bytes per tag at most */

    if (!out)
        abort();
    for (size_t i = 0; i < n;) {
        if (i + tl <= n && memcmp(p + i, tag, tl) == 0) {
            memcpy(out + o, hex, 64);
            o += 64;
            i += tl;
        } else {
            out[o++] = (char)p[i++];
        }
    }
    *outlen = o;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = fz_root();

    fz_begin(data, size);
    struct bf_error err = BF_ERROR_INIT;
    const uint8_t *parts[NPARTS] = {0};
    size_t lens[NPARTS] = {0}, n, cfglen = 0;
    char hex[65], imgrel[160];
    char *cfg = NULL;
    unsigned flags;
    char regdir[300];

    if (size < 1)
        return 0;
    setup(z);
    flags = data[0];
    n = fz_split(data + 1, size - 1, parts, lens, NPARTS);

    if (n > 2 && lens[2]) {
        digest_hex(parts[2], lens[2], hex);
        snprintf(imgrel, sizeof(imgrel), "image/windowsfilter/imagedb/content/sha256/%s", hex);
        fz_put(imgrel, parts[2], lens[2]);
    } else {
        memcpy(hex, z->fx.image_hex, 65);
        imgrel[0] = '\0';
    }
    if (lens[0]) {
        cfg = substitute(parts[0], lens[0], hex, &cfglen);
        fz_put(CFG, cfg, cfglen);
    }
    if (n > 1 && lens[1])
        fz_put(HC, parts[1], lens[1]);
    fz_put("config/daemon.json", n > 3 && lens[3] ? parts[3] : NULL, lens[3]);
    if (n > 4 && lens[4])
        fz_put("CredentialSpecs/fuzz.json", parts[4], lens[4]);
    if (n > 5 && lens[5])
        fz_put(MPARENT, parts[5], lens[5]);
    if (flags & 16)
        fx_mkdir(&z->fx, UVM);
    snprintf(regdir, sizeof(regdir), "%s/CredentialSpecs", z->fx.root);

    struct spec_options o = {
        .format = (flags & 1) ? SPEC_FORMAT_WINDOWSOCI : SPEC_FORMAT_OCI,
        .compact = (flags & 2) != 0,
        .isolation = (flags & 8) ? "hyperv" : NULL,
        .credspec_registry = (flags & 32) ? regdir : NULL,
        .host_cpus = 1 + (flags >> 6),
    };
    struct spec_bundle *b = NULL;
    int r = spec_bundle_generate((flags & 4) ? win_ls : z->ls, CID1, &o, &b, &err);
    fz_check_result(r, &err);
    FZ_ASSERT(b, "no bundle");
    if (getenv("BF_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz: files: %s", b->errors ? b->errors : "all generated\n");
    bool any_err = false;
    for (int i = 0; i < SPEC_FILE_COUNT; i++) {
        struct spec_blob *f = &b->files[i];
        FZ_ASSERT(!(f->data && f->err.code), "file %d has data and an error", i);
        if (f->err.code) {
            any_err = true;
            FZ_ASSERT(f->err.msg && *f->err.msg, "file %d: error without message", i);
            /* the error file holds each message on one line: newlines become spaces, other
             * control bytes '?' */
            char *line = strdup(f->err.msg);
            FZ_ASSERT(line, "oom");
            for (char *p = line; *p; p++)
                if (*p == '\n')
                    *p = ' ';
                else if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    *p = '?';
            FZ_ASSERT(b->errors && strstr(b->errors, line), "file %d: error not listed", i);
            free(line);
        }
        if (f->data) {
            FZ_ASSERT(strlen(f->data) == f->len, "file %d: length %zu vs %zu", i, f->len,
                      strlen(f->data));
            fz_no_decoy(f->data, f->len);
        }
    }
    FZ_ASSERT(any_err == (b->errors != NULL), "error file disagrees with the files");
    FZ_ASSERT(!b->errors || (b->errors_len == strlen(b->errors) && b->errors_len &&
                             b->errors[b->errors_len - 1] == '\n'),
              "error file shape");
    FZ_ASSERT(b->has_uvm == (b->files[SPEC_FILE_UTILITYVM].data != NULL), "utilityvm");
    spec_bundle_free(b);

    /* put the fixture back */
    fx_rm(&z->fx, UVM);
    if (imgrel[0] && strcmp(hex, z->fx.image_hex) != 0)
        fz_put(imgrel, NULL, 0);
    fz_put_str(CFG, std_cfg);
    fz_put_str(HC, std_hc);
    fz_put("config/daemon.json", NULL, 0);
    fz_put("CredentialSpecs/fuzz.json", NULL, 0);
    fz_put_str(MPARENT, C3);
    free(cfg);
    return 0;
}
