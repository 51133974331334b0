/* hex.h - lowercase hex digits to bytes and back (IDs kept in half the space). */
#ifndef BFS_HEX_H
#define BFS_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The n bytes that the n_chars characters at s stand for, when they are exactly 2n lowercase
 * hex digits; false otherwise (out then partly written). */
static inline bool hex_decode(const char *s, size_t n_chars, uint8_t *out, size_t n)
{
    if (n_chars != 2 * n)
        return false;
    for (size_t i = 0; i < 2 * n; i++) {
        int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                                             : -1;
        if (d < 0)
            return false;
        out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] << 4) | d : d);
    }
    return true;
}

/* 2n lowercase hex digits of the n bytes at p, NUL-terminated, into out (2n + 1 bytes). */
static inline void hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

#endif
