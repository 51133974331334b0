/* spec/winpath.c: Go's filepath.Clean under Windows rules, checked against Go's own vectors
 * (path/filepath/path_test.go of Go 1.7: cleantests with results FromSlash'ed, then
 * wincleantests), and the working directory rule of the seed's createSpec. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "spec_internal.h"

struct vec {
    const char *in, *want;
};

static void check(const struct vec *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *got = spec_win_clean(v[i].in);
        cr_assert_not_null(got);
        cr_expect_str_eq(got, v[i].want, "Clean(`%s`)", v[i].in);
        free(got);
    }
}

Test(winpath, go_cleantests_with_windows_separators)
{
    static const struct vec v[] = {
        /* already clean */
        {"abc", "abc"},
        {"abc/def", "abc\\def"},
        {"a/b/c", "a\\b\\c"},
        {".", "."},
        {"..", ".."},
        {"../..", "..\\.."},
        {"../../abc", "..\\..\\abc"},
        {"/abc", "\\abc"},
        {"/", "\\"},
        /* empty is the current folder */
        {"", "."},
        /* a trailing separator goes */
        {"abc/", "abc"},
        {"abc/def/", "abc\\def"},
        {"a/b/c/", "a\\b\\c"},
        {"./", "."},
        {"../", ".."},
        {"../../", "..\\.."},
        {"/abc/", "\\abc"},
        /* doubled separators go */
        {"abc//def//ghi", "abc\\def\\ghi"},
        {"//abc", "\\abc"},
        {"///abc", "\\abc"},
        {"//abc//", "\\abc"},
        {"abc//", "abc"},
        /* "." elements go */
        {"abc/./def", "abc\\def"},
        {"/./abc/def", "\\abc\\def"},
        {"abc/.", "abc"},
        /* ".." elements */
        {"abc/def/ghi/../jkl", "abc\\def\\jkl"},
        {"abc/def/../ghi/../jkl", "abc\\jkl"},
        {"abc/def/..", "abc"},
        {"abc/def/../..", "."},
        {"/abc/def/../..", "\\"},
        {"abc/def/../../..", ".."},
        {"/abc/def/../../..", "\\"},
        {"abc/def/../../../ghi/jkl/../../../mno", "..\\..\\mno"},
        {"/../abc", "\\abc"},
        /* combinations */
        {"abc/./../def", "def"},
        {"abc//./../def", "def"},
        {"abc/../../././../def", "..\\..\\def"},
    };
    check(v, sizeof(v) / sizeof(v[0]));
}

Test(winpath, go_wincleantests)
{
    static const struct vec v[] = {
        {"c:", "c:."},
        {"c:\\", "c:\\"},
        {"c:\\abc", "c:\\abc"},
        {"c:abc\\..\\..\\.\\.\\..\\def", "c:..\\..\\def"},
        {"c:\\abc\\def\\..\\..", "c:\\"},
        {"c:\\..\\abc", "c:\\abc"},
        {"c:..\\abc", "c:..\\abc"},
        {"\\", "\\"},
        {"/", "\\"},
        {"\\\\i\\..\\c$", "\\c$"},
        {"\\\\i\\..\\i\\c$", "\\i\\c$"},
        {"\\\\i\\..\\I\\c$", "\\I\\c$"},
        {"\\\\host\\share\\foo\\..\\bar", "\\\\host\\share\\bar"},
        {"//host/share/foo/../baz", "\\\\host\\share\\baz"},
        {"\\\\a\\b\\..\\c", "\\\\a\\b\\c"},
        {"\\\\a\\b", "\\\\a\\b"},
    };
    check(v, sizeof(v) / sizeof(v[0]));
}

Test(winpath, the_issue_examples_and_the_drive_letter_as_typed)
{
    static const struct vec v[] = {
        {"C:/data/x", "C:\\data\\x"},
        {"C:\\a\\..\\b", "C:\\b"},
        {"c:\\work\\", "c:\\work"},
        {"C:", "C:."},
        {"C:..\\x", "C:..\\x"},
        {"C:\\\\deep\\\\\\x\\.\\", "C:\\deep\\x"},
        {"C:\\..\\..", "C:\\"},
        {"\\\\.\\pipe\\x", "\\pipe\\x"},            /* not a volume in Go 1.7 */
        {"\\\\?\\C:\\x", "\\\\?\\C:\\x"},           /* Go 1.7: server "?", share "C:" */
        {"\\\\srv\\\\share\\x", "\\srv\\share\\x"}, /* a doubled separator: no volume */
    };
    check(v, sizeof(v) / sizeof(v[0]));
}

static char *cwd(const char *wd, const char *isolation)
{
    struct ls_container c = {0};
    c.config.working_dir = (char *)wd;
    c.host.isolation = (char *)isolation;
    return spec_win_cwd(&c);
}

Test(winpath, working_directory_rule)
{
    static const struct {
        const char *wd, *iso, *want;
    } v[] = {
        {"", "", "C:\\"},
        {NULL, "hyperv", "C:\\"},
        {"", "hyperv", "C:\\"},
        {"C:/data/x/", "", "C:\\data\\x"}, /* "": cleaned, whatever the daemon default */
        {"C:/data/x/", "process", "C:\\data\\x"},
        {"C:/data/x/", "default", "C:\\data\\x"},
        {"C:/data/x/", "hyperv", "C:/data/x/"}, /* Hyper-V: as stored */
        {"C:/data/x/", "HyperV", "C:/data/x/"}, /* compared case-insensitively */
        {"c:\\work\\..\\app", "PROCESS", "c:\\app"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char *got = cwd(v[i].wd, v[i].iso);
        cr_assert_not_null(got);
        cr_expect_str_eq(got, v[i].want, "WorkingDir `%s`, Isolation `%s`", v[i].wd ? v[i].wd : "",
                         v[i].iso);
        free(got);
    }
}
