/* escape.c - Windows command-line escaping of one argument (doc §4).
 *
 * Reproduces Go's syscall.EscapeArg byte for byte, because Docker's Windows daemon builds
 * process args with it when Config.ArgsEscaped is false: the runtime later joins the args
 * with spaces into one CommandLine, and CommandLineToArgvW must split it back exactly.
 * - ""                       -> `""`
 * - no '"', '\\', ' ', '\t'  -> unchanged
 * - otherwise: quote when there is a space or TAB; a run of backslashes is doubled when a
 *   '"' follows (and the '"' becomes `\"`), or when the closing quote follows.
 * Anything else (newlines, non-ASCII bytes) passes through untouched, as in Go.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

char *spec_escape_arg(const char *arg)
{
    size_t len = strlen(arg), out = 0, slashes = 0;
    bool space = false, special = false;
    char *buf;

    if (len == 0)
        return strdup("\"\"");
    for (size_t i = 0; i < len; i++) {
        if (arg[i] == ' ' || arg[i] == '\t')
            space = special = true;
        else if (arg[i] == '"' || arg[i] == '\\')
            special = true;
    }
    if (!special)
        return strdup(arg);

    /* Worst case: every byte is a backslash doubled, plus two quotes and the NUL. */
    buf = malloc(2 * len + 3);
    if (!buf)
        return NULL;
    if (space)
        buf[out++] = '"';
    for (size_t i = 0; i < len; i++) {
        char c = arg[i];
        if (c == '\\') {
            slashes++;
            buf[out++] = c;
        } else if (c == '"') {
            for (; slashes > 0; slashes--)
                buf[out++] = '\\';
            buf[out++] = '\\';
            buf[out++] = '"';
        } else {
            slashes = 0;
            buf[out++] = c;
        }
    }
    if (space) {
        for (; slashes > 0; slashes--)
            buf[out++] = '\\';
        buf[out++] = '"';
    }
    buf[out] = '\0';
    return buf;
}
