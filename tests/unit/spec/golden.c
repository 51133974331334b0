#include "golden.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static char path[1024];

char *golden_read(const char *name, const char **path_out)
{
    const char *dir = getenv("BUNDLEFS_TEST_DATA");
    FILE *f;
    char *buf;
    size_t n;

    snprintf(path, sizeof(path), "%s/spec/%s", dir ? dir : "tests/data", name);
    f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    buf = calloc(1, 1 << 16);
    cr_assert_not_null(buf);
    n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    if (path_out)
        *path_out = path;
    return buf;
}
