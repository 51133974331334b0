/* The Windows argument escaper against doc §4's vectors and further cases derived by hand
 * from the rule (Go's syscall.EscapeArg). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "spec.h"

static void check(const char *in, const char *want)
{
    char *got = spec_escape_arg(in);
    cr_assert_not_null(got);
    cr_expect_str_eq(got, want, "escape(%s)", in);
    free(got);
}

/* doc §4 table */
Test(escape, doc_vectors)
{
    check("", "\"\"");
    check("cmd", "cmd");
    check("a b", "\"a b\"");
    check("a\"b", "a\\\"b");
    check("a\\b", "a\\b");
    check("a\\\"b", "a\\\\\\\"b");
    check("a b\\", "\"a b\\\\\"");
    check("C:\\Program Files\\", "\"C:\\Program Files\\\\\"");
    check("say \"hi\"", "\"say \\\"hi\\\"\"");
    check("/S /C", "\"/S /C\"");
    check("x\ty", "\"x\ty\"");
}

/* A run of backslashes is doubled only before a quote (or the closing quote). */
Test(escape, backslash_runs)
{
    check("a\\\\b", "a\\\\b");           /* a\\b: no quote follows, unchanged */
    check("a\\\\\"b", "a\\\\\\\\\\\"b"); /* a\\"b -> a\\\\\"b */
    check("\\", "\\");                   /* lone backslash, no space: unchanged */
    check("\\\\ ", "\"\\\\ \"");         /* \\<sp>: the run is not at the end */
    check(" \\\\", "\" \\\\\\\\\"");     /* <sp>\\ -> " \\\\" */
    check("a\\b c\\", "\"a\\b c\\\\\""); /* inner run kept, trailing run doubled */
    check("\"", "\\\"");
    check("\"\"", "\\\"\\\"");
    check("\\\"\\", "\\\\\\\"\\"); /* \"\ -> \\\"\ (no space: no quoting) */
}

/* Only space and TAB trigger quoting; other bytes pass through. */
Test(escape, other_bytes)
{
    check("a\nb", "a\nb");
    check("a\rb", "a\rb");
    check("caf\xc3\xa9", "caf\xc3\xa9");
    check("caf\xc3\xa9 x", "\"caf\xc3\xa9 x\"");
    check(" ", "\" \"");
    check("\t", "\"\t\"");
    check("a'b", "a'b");
}
