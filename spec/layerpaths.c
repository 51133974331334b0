/* layerpaths.c - the `layerpaths` file: the image's layer folders, top-most first, one a line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int spec_render_layerpaths(const struct ls_walk *w, char **out, size_t *len, struct bf_error *err)
{
    size_t total = 0, off = 0;
    char *buf;

    for (size_t i = 0; i < w->n; i++)
        total += strlen(w->layers[i].path) + 1;
    buf = malloc(total + 1);
    if (!buf)
        return bf_error_set(err, ENOMEM, "layerpaths: out of memory");
    for (size_t i = 0; i < w->n; i++) {
        size_t l = strlen(w->layers[i].path);
        memcpy(buf + off, w->layers[i].path, l);
        off += l;
        buf[off++] = '\n';
    }
    buf[off] = '\0';
    *out = buf;
    *len = off;
    return 0;
}
