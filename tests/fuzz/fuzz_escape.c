/* The Windows argument escaper (Go's EscapeArg). Oracle: splitting the escaped text back the
 * way CommandLineToArgvW / the MSVC runtime split a (non-first) argument must give exactly
 * one argument equal to the input. Inputs with NUL bytes cannot be C strings: skipped. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "spec.h"

/* Split `s` into arguments (MSVC 2008+ rules, no special first argument). Returns the count;
 * the first argument is written to out (which must hold strlen(s) + 1 bytes). */
static size_t split_first(const char *s, char *out)
{
    size_t count = 0, o = 0;
    bool inq = false, have = false;

    for (;;) {
        while (!inq && (*s == ' ' || *s == '\t'))
            s++, have = false;
        if (!*s)
            break;
        if (!have) {
            count++;
            have = true;
        }
        size_t bs = 0;
        while (*s == '\\')
            bs++, s++;
        if (*s == '"') {
            for (size_t k = 0; k < bs / 2; k++)
                if (count == 1)
                    out[o++] = '\\';
            if (bs % 2) {
                if (count == 1)
                    out[o++] = '"';
            } else if (inq && s[1] == '"') {
                if (count == 1)
                    out[o++] = '"'; /* "" inside quotes: a literal quote (post-2008) */
                s++;
            } else {
                inq = !inq;
            }
            s++;
            continue;
        }
        for (size_t k = 0; k < bs; k++)
            if (count == 1)
                out[o++] = '\\';
        if (!*s)
            break;
        if (!inq && (*s == ' ' || *s == '\t'))
            continue;
        if (count == 1)
            out[o++] = *s;
        s++;
    }
    out[o] = '\0';
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in, *esc, *back;
    size_t n;

    if (memchr(data, '\0', size))
        return 0;
    in = fz_strndup(data, size);
    esc = spec_escape_arg(in);
    FZ_ASSERT(esc, "escape returned NULL");
    FZ_ASSERT(strlen(esc) <= 2 * size + 2, "escaped %zu bytes to %zu", size, strlen(esc));
    back = malloc(strlen(esc) + 1);
    FZ_ASSERT(back, "oom");
    n = split_first(esc, back);
    /* An argument of only spaces/tabs, or empty, is quoted; everything splits to one arg. */
    FZ_ASSERT(n == 1, "\"%s\" escaped to \"%s\" splits into %zu arguments", in, esc, n);
    FZ_ASSERT(strcmp(back, in) == 0, "\"%s\" escaped to \"%s\" reads back as \"%s\"", in, esc,
              back);
    free(back);
    free(esc);
    free(in);
    return 0;
}
