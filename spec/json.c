/* json.c - the single place a spec tree becomes bytes. */
#include <errno.h>
#include <stdlib.h>

#include "spec_internal.h"

int spec_json_render(json_t *root, bool compact, char **out, size_t *len, struct bf_error *err)
{
    size_t flags = compact ? JSON_COMPACT : JSON_INDENT(2);
    size_t need = json_dumpb(root, NULL, 0, flags), got;
    char *buf;

    if (need == 0)
        return bf_error_set(err, EINVAL, "cannot serialize the spec (invalid UTF-8 in a string?)");
    buf = malloc(need + 2);
    if (!buf)
        return bf_error_set(err, ENOMEM, "out of memory rendering the spec");
    got = json_dumpb(root, buf, need, flags);
    if (got != need) {
        free(buf);
        return bf_error_set(err, EIO, "spec serialization changed size while rendering");
    }
    if (!compact)
        buf[got++] = '\n';
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}
