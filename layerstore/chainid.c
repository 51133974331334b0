/* chainid.c - layer ChainIDs (doc §2) and the 2016 layers+base base-layer identities. */
#include <sha2.h>
#include <string.h>

#include "ls_internal.h"

static void hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0xf];
    }
    out[2 * n] = '\0';
}

static void sha256_digest(const void *data, size_t len, char out[LS_DIGEST_LEN + 1])
{
    uint8_t md[SHA256_DIGEST_LENGTH];

    ls_sha256(data, len, md);
    memcpy(out, "sha256:", 7);
    hex(md, sizeof(md), out + 7);
}

void ls_chainid_step(const char *parent, const char *next, char *out)
{
    uint8_t md[SHA256_DIGEST_LENGTH];
    size_t np, nn;
    char buf[2 * LS_DIGEST_LEN + 2];

    if (!parent || !*parent) {
        /* ChainID of a single layer is its DiffID. */
        memmove(out, next, strlen(next) + 1);
        return;
    }
    np = strnlen(parent, LS_DIGEST_LEN);
    nn = strnlen(next, LS_DIGEST_LEN);
    if (parent[np] || next[nn]) { /* never a digest's length: hash it all the slow way */
        SHA2_CTX ctx;
        SHA256Init(&ctx);
        SHA256Update(&ctx, (const uint8_t *)parent, strlen(parent));
        SHA256Update(&ctx, (const uint8_t *)" ", 1);
        SHA256Update(&ctx, (const uint8_t *)next, strlen(next));
        SHA256Final(md, &ctx);
    } else { /* "<parent> <next>" */
        memcpy(buf, parent, np);
        buf[np] = ' ';
        memcpy(buf + np + 1, next, nn);
        ls_sha256(buf, np + 1 + nn, md);
    }
    memcpy(out, "sha256:", 7);
    hex(md, sizeof(md), out + 7);
}

void ls_chainid(const char *const *diff_ids, size_t n, char *out)
{
    char cur[LS_DIGEST_LEN + 1] = "";

    for (size_t i = 0; i < n; i++)
        ls_chainid_step(cur, diff_ids[i], cur);
    memcpy(out, cur, strlen(cur) + 1);
}

void ls_base_layer_id(const char *base_layer, char out[LS_ID_LEN + 1])
{
    uint8_t md[SHA384_DIGEST_LENGTH];
    SHA2_CTX ctx;

    SHA384Init(&ctx);
    SHA384Update(&ctx, (const uint8_t *)base_layer, strlen(base_layer));
    SHA384Final(md, &ctx);
    hex(md, LS_ID_LEN / 2, out); /* the first 32 bytes of the SHA-384 */
}

void ls_base_diff_id(const char *base_layer, char out[LS_DIGEST_LEN + 1])
{
    char id[LS_ID_LEN + 1];

    ls_base_layer_id(base_layer, id);
    sha256_digest(id, LS_ID_LEN, out);
}

void ls_sha256_digest(const void *data, size_t len, char out[LS_DIGEST_LEN + 1])
{
    sha256_digest(data, len, out);
}
