/* The `layerpaths` bytes: every path newline-terminated, top-most first, nothing else. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

Test(layerpaths, two_layers)
{
    struct ls_layer layers[2] = {{.path = "/r/windowsfilter/top"},
                                 {.path = "/r/windowsfilter/base"}};
    struct ls_walk w = {.layers = layers, .n = 2};
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL;
    size_t len = 0;

    cr_assert_eq(spec_render_layerpaths(&w, &out, &len, &err), 0);
    cr_expect_eq(len, strlen("/r/windowsfilter/top\n/r/windowsfilter/base\n"));
    cr_expect_str_eq(out, "/r/windowsfilter/top\n/r/windowsfilter/base\n");
    free(out);
}

Test(layerpaths, empty_walk_is_empty_file)
{
    struct ls_walk w = {0};
    struct bf_error err = BF_ERROR_INIT;
    char *out = NULL;
    size_t len = 99;

    cr_assert_eq(spec_render_layerpaths(&w, &out, &len, &err), 0);
    cr_expect_eq(len, 0);
    cr_expect_str_eq(out, "");
    free(out);
}
