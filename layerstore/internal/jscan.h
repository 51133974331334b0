/* jscan.h - a validating one-pass JSON scanner that builds nothing (jscan.c).
 *
 * It answers one question cheaply: "is this buffer a JSON object that ls_parse_json would
 * accept, and what are the top-level members a caller would read with ls_j_get?". It accepts
 * and rejects exactly what jansson 2.14's json_loadb(buf, len, 0, ...) followed by the
 * object-root check accepts and rejects; where agreement would take more code than the case is
 * worth (an escape in a wanted key or value, too many spellings of one) it answers
 * LS_JSCAN_UNSURE and the caller parses with jansson instead. With no member wanted (n = 0)
 * it is an exact validator: LS_JSCAN_UNSURE then means only that memory ran out.
 * tests/fuzz/fuzz_jscan.c holds it to that against jansson itself.
 */
#ifndef LS_JSCAN_H
#define LS_JSCAN_H

#include <stddef.h>
#include <stdint.h>

enum ls_jscan_result {
    LS_JSCAN_OK,      /* valid; every member's kind/val/len filled */
    LS_JSCAN_INVALID, /* ls_parse_json would fail (not JSON, or not an object at the root) */
    LS_JSCAN_UNSURE,  /* no answer: parse with jansson */
};

enum ls_jscan_kind {
    LS_JSCAN_ABSENT, /* missing or null: ls_j_get gives NULL */
    LS_JSCAN_STRING, /* a string: val/len are its bytes inside the buffer (no escapes in them) */
    LS_JSCAN_OTHER,  /* a number, boolean, object or array */
};

/* One top-level member looked up as ls_j_get does: the exact key (the last duplicate's
 * value), else the case-insensitive matches (strcasecmp) of which the key first seen last
 * wins, again with its last duplicate's value. */
struct ls_jscan_member {
    const char *key; /* in: at most LS_JSCAN_KEY_MAX bytes */
    enum ls_jscan_kind kind;
    const char *val; /* not NUL-terminated */
    size_t len;
};

#define LS_JSCAN_KEY_MAX 15

/* Scan `len` bytes of `buf` once and fill `m[0..n)` (n <= LS_JSCAN_WANT_MAX). */
#define LS_JSCAN_WANT_MAX 4
enum ls_jscan_result ls_jscan_object(const char *buf, size_t len, struct ls_jscan_member *m,
                                     size_t n);

/* Where each object and array of a document ends: the offset of its closing bracket, in the
 * order they open (so by increasing opening offset). */
struct ls_jscan_span {
    uint32_t open, close;
};

/* ls_jscan_object with no member wanted that also gives the spans (*spans malloc'd, *n_spans
 * of them). No spans (*spans NULL) when memory is short, the buffer passes 4 GiB or there would
 * be more than len / 8 of them: the answer is the same. */
enum ls_jscan_result ls_jscan_spans(const char *buf, size_t len, struct ls_jscan_span **spans,
                                    size_t *n_spans);

#endif
