/* fuzz_common.h - what every libFuzzer target shares.
 *
 * Parsers that read through the data-root's dirfd are fed by writing the fuzz input into a
 * file of one small data-root (the unit tests' standard fixture: one image of three layers and
 * container "web"), created once per fuzzing process and removed at exit. The store is opened
 * once; each input rewrites the files it is about and every target puts back what it changed.
 *
 * Invariants checked on every input (a violation aborts, which libFuzzer reports as a crash):
 * a failing call sets a positive error code and a non-empty message; a succeeding call leaves
 * no error behind; nothing read may come from the decoy files planted outside the places the
 * readers are allowed to look (fz_no_decoy). BF_FUZZ_VERBOSE=1 prints every result (to see
 * what a seed reaches: `BF_FUZZ_VERBOSE=1 fuzz_generate SEED...`).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "../unit/layerstore/fixture.h"
#include "bf_error.h"
#include "layerstore.h"

/* The content of every decoy file: inside R but outside the allowed folders, and next to R. */
#define FZ_DECOY "FUZZ-DECOY-MUST-NEVER-BE-READ"

struct fz {
    struct fx fx;
    struct layerstore *ls;
    char outside[160]; /* a directory next to R holding a decoy (target of planted symlinks) */
};

/* The process's data-root, built on first use. */
struct fz *fz_root(void);

/* Write `len` bytes to R/rel (parents created), or remove it when data is NULL. */
void fz_put(const char *rel, const void *data, size_t len);
void fz_put_str(const char *rel, const char *s);

/* Split the input at every occurrence of FZ_SEP into at most `max` parts. Returns the number
 * of parts (at least 1). Part i is parts[i] (not NUL-terminated) of lens[i] bytes. */
#define FZ_SEP "\n@@@@\n"
size_t fz_split(const uint8_t *data, size_t size, const uint8_t **parts, size_t *lens, size_t max);

/* A NUL-terminated copy (malloc'd; aborts on ENOMEM). */
char *fz_strndup(const uint8_t *data, size_t len);

/* Abort with a message when the condition is false. */
#define FZ_ASSERT(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                       \
    } while (0)
void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* r is a loader's return value and err its error: check the error contract, then clear it. */
void fz_check_result(int r, struct bf_error *err);

/* Abort when `len` bytes at `buf` contain the decoy text, unless the current input (given to
 * fz_begin) carries that text itself: the fuzzer learns it from the comparison and may copy it
 * into a value that is rightly echoed back. */
void fz_begin(const uint8_t *data, size_t size);
void fz_no_decoy(const char *buf, size_t len);

#endif
