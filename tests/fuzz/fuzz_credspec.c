/* Credential spec option strings (HostConfig.SecurityOpt): the input is split at '\n' into
 * options, parsed with the seed's rules, and every parsed spec is read: file:// from
 * R/CredentialSpecs (which holds links out of R and sits next to a decoy in R), registry://
 * from a directory holding a link to the decoy. A decoy's bytes must never come back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "spec_internal.h"

#define MAX_OPTS 8

static char registry[256];

static void make_registry(struct fz *z)
{
    char p[512], target[256];
    FILE *fp;

    if (registry[0])
        return;
    snprintf(registry, sizeof(registry), "%s/registry", z->outside);
    if (mkdir(registry, 0755) < 0)
        abort();
    snprintf(p, sizeof(p), "%s/MySpec", registry);
    fp = fopen(p, "w");
    if (!fp)
        abort();
    fputs("{\"CmsPlugins\":[\"ActiveDirectory\"]}", fp);
    fclose(fp);
    snprintf(p, sizeof(p), "%s/evil", registry);
    snprintf(target, sizeof(target), "%s/secret.json", z->outside);
    if (symlink(target, p) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz *z = fz_root();

    fz_begin(data, size);
    struct bf_error err = BF_ERROR_INIT;
    char *opts[MAX_OPTS];
    size_t n = 0, start = 0, ncs = 0;
    struct spec_credspec *cs = NULL;
    int r;

    make_registry(z);
    for (size_t i = 0; i <= size && n < MAX_OPTS; i++) {
        if (i == size || data[i] == '\n') {
            opts[n++] = fz_strndup(data + start, i - start);
            start = i + 1;
        }
    }
    r = spec_credspec_parse(CID1, opts, n, &cs, &ncs, &err);
    fz_check_result(r, &err);
    if (r == 0)
        FZ_ASSERT(ncs == n, "%zu options gave %zu specs", n, ncs);
    for (size_t i = 0; r == 0 && i < ncs; i++) {
        char *content = NULL;
        for (int reg = 0; reg < 2; reg++) {
            int rr = spec_credspec_read(z->ls, CID1, &cs[i], reg ? registry : NULL, &content, NULL,
                                        &err);
            fz_check_result(rr, &err);
            if (rr == 0) {
                FZ_ASSERT(content, "no content");
                fz_no_decoy(content, strlen(content));
            }
            free(content);
            content = NULL;
        }
    }
    spec_credspec_free(cs, ncs);
    for (size_t i = 0; i < n; i++)
        free(opts[i]);
    return 0;
}
