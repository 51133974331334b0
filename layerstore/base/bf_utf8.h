/* bf_utf8.h - the byte-level rules JSON text shares: well-formed UTF-8 as jansson (and Go's
 * utf8.Valid) accepts it, and runs of plain ASCII found eight bytes at a time. Used by the JSON
 * reader (layerstore/jload.c), the name scanner (jscan.c), the JSON writer (spec/json.c) and the
 * credential-spec check (spec/credspec.c), so all four agree on what UTF-8 is. */
#ifndef BF_UTF8_H
#define BF_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Length of the UTF-8 sequence at s (n > 0 bytes left): 1 for ASCII, 2 to 4 for a well-formed
 * sequence (no overlong forms, no surrogates, nothing above U+10FFFF), 0 when malformed or
 * truncated. */
static inline size_t bf_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        len = 2;
        cp = c & 0x1F;
    } else if (c < 0xF0) {
        len = 3;
        cp = c & 0x0F;
    } else if (c < 0xF5) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* How many bytes from s on are printable ASCII other than '"' and '\\' (0x20..0x7F): eight at
 * a time while a word holds none of the others (bit tricks: a byte with its high bit set, a
 * byte below 0x20, a byte equal to '"' or '\\'), then byte by byte. */
static inline size_t bf_plain_run(const unsigned char *s, const unsigned char *end)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const unsigned char *p = s;

    while (end - p >= 8) {
        uint64_t v, q, b;
        memcpy(&v, p, 8);
        q = v ^ (ones * '"');
        b = v ^ (ones * '\\');
        if ((v | ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs)
            break;
        p += 8;
    }
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
    return (size_t)(p - s);
}

/* The UTF-8 bytes of code point cp (at most U+10FFFF, no surrogate: the callers decoded a
 * valid \\uXXXX escape or pair) into o, which has room for 4; returns how many. */
static inline size_t bf_utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

#endif
