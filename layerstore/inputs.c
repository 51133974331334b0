/* inputs.c - the list of files a generation read or probed, for st_mtime and staleness.
 *
 * Entries are appended in reading order and not de-duplicated: the same layer file is read once
 * per walk, and a linear search per add would make a 125-layer walk quadratic.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ls_internal.h"

int ls_inputs_reserve(struct ls_inputs *in, size_t more)
{
    size_t ncap = in->cap ? in->cap : 16;
    struct ls_input *nv;

    if (in->cap - in->n >= more)
        return 0;
    while (ncap - in->n < more) {
        if (ncap > SIZE_MAX / 2 / sizeof(*nv))
            return -ENOMEM;
        ncap *= 2;
    }
    nv = realloc(in->v, ncap * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    in->v = nv;
    in->cap = ncap;
    return 0;
}

int ls_inputs_add(struct ls_inputs *in, const char *rel, const struct bf_stamp *stamp)
{
    char *copy;

    if (!in)
        return 0;
    if (in->n == in->cap && ls_inputs_reserve(in, 1) < 0)
        return -ENOMEM;
    copy = strdup(rel);
    if (!copy)
        return -ENOMEM;
    in->v[in->n].rel = copy;
    in->v[in->n].stamp = *stamp;
    in->n++;
    return 0;
}

void ls_inputs_free(struct ls_inputs *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n; i++)
        free(in->v[i].rel);
    free(in->v);
    in->v = NULL;
    in->n = in->cap = 0;
}

int64_t ls_inputs_newest_mtime_ns(const struct ls_inputs *in)
{
    int64_t newest = 0;

    for (size_t i = 0; i < in->n; i++)
        if (in->v[i].stamp.exists && in->v[i].stamp.mtime_ns > newest)
            newest = in->v[i].stamp.mtime_ns;
    return newest;
}

bool ls_inputs_changed(const struct layerstore *ls, const struct ls_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        if (bf_stamp_changed(ls->dirfd, in->v[i].rel, &in->v[i].stamp))
            return true;
    return false;
}
