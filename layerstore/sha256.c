/* sha256.c - SHA-256 of a buffer: the x86 SHA extensions where the CPU has them, libmd's
 * portable code otherwise (FIPS 180-4 either way; the unit tests hold the two to each other).
 *
 * Every image config is hashed when loaded (its ID is its digest) and every layer's ChainID
 * is a hash: 12 KB configs of deep images cost about 900 k instructions each in libmd's C,
 * a tenth of that with SHA256RNDS2. */
#include <sha2.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ls_internal.h"

void ls_sha256_portable(const void *data, size_t len, uint8_t out[32])
{
    SHA2_CTX ctx;

    SHA256Init(&ctx);
    SHA256Update(&ctx, data, len);
    SHA256Final(out, &ctx);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>

#define NI __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

/* The state as SHA256RNDS2 wants it: {A,B,E,F} and {C,D,G,H}, then `n` 64-byte blocks. */
NI static void blocks_ni(__m128i *abef, __m128i *cdgh, const uint8_t *p, size_t n)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i s0 = *abef, s1 = *cdgh;

    for (; n; n--, p += 64) {
        __m128i m[4], save0 = s0, save1 = s1;
        for (int g = 0; g < 16; g++) {
            __m128i w, k;
            if (g < 4) {
                m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
            } else { /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
                w = _mm_add_epi32(_mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]),
                                  _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4));
                m[g & 3] = _mm_sha256msg2_epu32(w, m[(g + 3) & 3]);
            }
            k = _mm_add_epi32(m[g & 3], _mm_load_si128((const __m128i *)(K + 4 * g)));
            s1 = _mm_sha256rnds2_epu32(s1, s0, k); /* rounds 4g, 4g+1 */
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(k, 0x0e)); /* 4g+2, 4g+3 */
        }
        s0 = _mm_add_epi32(s0, save0);
        s1 = _mm_add_epi32(s1, save1);
    }
    *abef = s0;
    *cdgh = s1;
}

NI static void sha256_ni(const void *data, size_t len, uint8_t out[32])
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const uint8_t *p = data;
    uint8_t tail[128] = {0};
    size_t full = len / 64, rest = len % 64, ntail = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    __m128i abcd = _mm_loadu_si128((const __m128i *)h0),
            efgh = _mm_loadu_si128((const __m128i *)(h0 + 4)), t, abef, cdgh;

    /* lanes 0..3 {a,b,c,d} {e,f,g,h} -> ABEF {f,e,b,a} and CDGH {h,g,d,c} */
    t = _mm_shuffle_epi32(abcd, 0xb1);    /* {b,a,d,c} */
    efgh = _mm_shuffle_epi32(efgh, 0x1b); /* {h,g,f,e} */
    abef = _mm_alignr_epi8(t, efgh, 8);
    cdgh = _mm_blend_epi16(efgh, t, 0xf0);

    blocks_ni(&abef, &cdgh, p, full);
    memcpy(tail, p + full * 64, rest);
    tail[rest] = 0x80;
    for (int i = 0; i < 8; i++)
        tail[ntail - 1 - i] = (uint8_t)(bits >> (8 * i));
    blocks_ni(&abef, &cdgh, tail, ntail / 64);

    /* and back: {f,e,b,a} {h,g,d,c} -> {a,b,c,d} {e,f,g,h} */
    t = _mm_shuffle_epi32(abef, 0x1b);    /* {a,b,e,f} */
    cdgh = _mm_shuffle_epi32(cdgh, 0xb1); /* {g,h,c,d} */
    abcd = _mm_blend_epi16(t, cdgh, 0xf0);
    efgh = _mm_alignr_epi8(cdgh, t, 8);
    /* big-endian words out */
    {
        const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
        _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(abcd, bswap));
        _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(efgh, bswap));
    }
}

/* CPUID, not __builtin_cpu_supports: clang 14 has no "sha" feature string for it. */
static int cpu_has_sha(void)
{
    unsigned a, b, c, d;

    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
        return 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}

bool ls_sha256_ni(const void *data, size_t len, uint8_t out[32])
{
    static atomic_int have = -1; /* every thread that asks first computes the same answer */
    int h = atomic_load_explicit(&have, memory_order_relaxed);

    if (h < 0) {
        h = cpu_has_sha();
        atomic_store_explicit(&have, h, memory_order_relaxed);
    }
    if (!h)
        return false;
    sha256_ni(data, len, out);
    return true;
}
#else
bool ls_sha256_ni(const void *data, size_t len, uint8_t out[32])
{
    (void)data;
    (void)len;
    (void)out;
    return false;
}
#endif

void ls_sha256(const void *data, size_t len, uint8_t out[32])
{
    if (!ls_sha256_ni(data, len, out))
        ls_sha256_portable(data, len, out);
}
