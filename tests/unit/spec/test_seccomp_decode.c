/* spec_seccomp_parse (seccomp_decode.c, seccomp_scan.c): Go 1.19 encoding/json's reading of a
 * Docker seccomp profile, and its error texts.
 *
 * Every expected message is what Docker 20.10.24's seccomp.LoadProfile returned for the same
 * bytes: its profiles/seccomp package, built from the v20.10.24 tag with Go 1.19 (Debian 12's,
 * the one docker.io 20.10.24 is built with), was run on each input. Our own limits (size, array
 * elements) have our own messages. How values decode (case folding, merges, nulls, unquoting)
 * is pinned through spec_seccomp_build in test_seccomp.c; here, the model itself for a few.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp.h"

struct error_case {
    const char *name;
    const char *json; /* NULL: GO_MAX_DEPTH ("syn_depth" one more) '[' built at run time */
    size_t len;
    const char *expect; /* "error: <message after the `what` prefix>" */
};

#define J(s) s, sizeof(s) - 1

/* Generated from Docker 20.10.24 profiles/seccomp run on each input (see the file comment). */
static const struct error_case error_cases[] = {
    {"syn_empty", J(""), "error: Decoding seccomp profile failed: unexpected end of JSON input"},
    {"syn_space", J(" "), "error: Decoding seccomp profile failed: unexpected end of JSON input"},
    {"syn_truncated", J("{\"defaultAction\":\"A\""),
     "error: Decoding seccomp profile failed: unexpected end of JSON input"},
    {"syn_trailing", J("{} x"),
     "error: Decoding seccomp profile failed: invalid character 'x' after top-level value"},
    {"syn_tru", J("tru"),
     "error: Decoding seccomp profile failed: invalid character ' ' in literal true (expecting "
     "'e')"},
    {"syn_minus", J("-"),
     "error: Decoding seccomp profile failed: invalid character ' ' in numeric literal"},
    {"syn_bom",
     J("\xef"
       "\xbb"
       "\xbf"
       "{}"),
     "error: Decoding seccomp profile failed: invalid character '\xc3"
     "\xaf"
     "' looking for beginning of value"},
    {"syn_quote_key", J("{'a':1}"),
     "error: Decoding seccomp profile failed: invalid character '\\'' looking for beginning of "
     "object key string"},
    {"syn_colon", J("{\"a\" 1}"),
     "error: Decoding seccomp profile failed: invalid character '1' after object key"},
    {"syn_comma_obj", J("{\"a\":1 \"b\":2}"),
     "error: Decoding seccomp profile failed: invalid character '\"' after object key:value pair"},
    {"syn_comma_arr", J("[1 2]"),
     "error: Decoding seccomp profile failed: invalid character '2' after array element"},
    {"syn_trailing_comma", J("{\"a\":1,}"),
     "error: Decoding seccomp profile failed: invalid character '}' looking for beginning of "
     "object key string"},
    {"syn_newline_in_string", J("{\"a\":\"x\ny\"}"),
     "error: Decoding seccomp profile failed: invalid character '\\n' in string literal"},
    {"syn_bad_escape", J("{\"a\":\"\\x\"}"),
     "error: Decoding seccomp profile failed: invalid character 'x' in string escape code"},
    {"syn_bad_u", J("{\"a\":\"\\u12g4\"}"),
     "error: Decoding seccomp profile failed: invalid character 'g' in \\u hexadecimal character "
     "escape"},
    {"syn_leading_zero", J("{\"a\":01}"),
     "error: Decoding seccomp profile failed: invalid character '1' after object key:value pair"},
    {"syn_dot", J("{\"a\":1.}"),
     "error: Decoding seccomp profile failed: invalid character '}' after decimal point in numeric "
     "literal"},
    {"syn_exp", J("{\"a\":1e}"),
     "error: Decoding seccomp profile failed: invalid character '}' in exponent of numeric "
     "literal"},
    {"syn_nul",
     J("{\"a\":\x00"
       "}"),
     "error: Decoding seccomp profile failed: invalid character '\\x00' looking for beginning of "
     "value"},
    {"syn_ctrl",
     J("\x01"
       ""),
     "error: Decoding seccomp profile failed: invalid character '\\x01' looking for beginning of "
     "value"},
    {"syn_del",
     J("\x7f"
       ""),
     "error: Decoding seccomp profile failed: invalid character '\\x7f' looking for beginning of "
     "value"},
    {"syn_latin1",
     J("\xe9"
       ""),
     "error: Decoding seccomp profile failed: invalid character '\xc3"
     "\xa9"
     "' looking for beginning of value"},
    {"syn_c1",
     J("\x85"
       ""),
     "error: Decoding seccomp profile failed: invalid character '\\u0085' looking for beginning of "
     "value"},
    {"syn_nbsp",
     J("\xa0"
       ""),
     "error: Decoding seccomp profile failed: invalid character '\\u00a0' looking for beginning of "
     "value"},
    {"syn_backslash", J("\\"),
     "error: Decoding seccomp profile failed: invalid character '\\\\' looking for beginning of "
     "value"},
    {"syn_apostrophe", J("'"),
     "error: Decoding seccomp profile failed: invalid character '\\'' looking for beginning of "
     "value"},
    {"syn_dquote_after", J("{\"a\":1}\""),
     "error: Decoding seccomp profile failed: invalid character '\"' after top-level value"},
    {"syn_nul_word", J("nul"),
     "error: Decoding seccomp profile failed: invalid character ' ' in literal null (expecting "
     "'l')"},
    {"syn_fals", J("fals"),
     "error: Decoding seccomp profile failed: invalid character ' ' in literal false (expecting "
     "'e')"},
    {"syn_falsy", J("falsy"),
     "error: Decoding seccomp profile failed: invalid character 'y' in literal false (expecting "
     "'e')"},
    {"syn_depth", NULL, 0,
     "error: Decoding seccomp profile failed: invalid character '[' exceeded max depth"},
    {"syn_depth_ok_but_truncated", NULL, 0,
     "error: Decoding seccomp profile failed: unexpected end of JSON input"},
    {"type_top_array", J("[]"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal array into Go value of type "
     "seccomp.Seccomp"},
    {"type_top_string", J("\"x\""),
     "error: Decoding seccomp profile failed: json: cannot unmarshal string into Go value of type "
     "seccomp.Seccomp"},
    {"type_top_number", J("1"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number into Go value of type "
     "seccomp.Seccomp"},
    {"type_top_bool", J("true"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal bool into Go value of type "
     "seccomp.Seccomp"},
    {"type_default_action", J("{\"defaultAction\":1}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field "
     "Seccomp.defaultAction of type specs.LinuxSeccompAction"},
    {"type_architectures", J("{\"architectures\":\"SCMP_ARCH_X86\"}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field "
     "Seccomp.architectures of type []specs.Arch"},
    {"type_architectures_elem", J("{\"architectures\":[1]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field "
     "Seccomp.architectures of type specs.Arch"},
    {"type_archmap", J("{\"archMap\":{}}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal object into Go struct field "
     "Seccomp.archMap of type []seccomp.Architecture"},
    {"type_archmap_elem", J("{\"archMap\":[[]]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal array into Go struct field "
     "Seccomp.archMap of type seccomp.Architecture"},
    {"type_archmap_arch", J("{\"archMap\":[{\"architecture\":true}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal bool into Go struct field "
     "Architecture.archMap.architecture of type specs.Arch"},
    {"type_archmap_sub", J("{\"archMap\":[{\"subArchitectures\":[{}]}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal object into Go struct field "
     "Architecture.archMap.subArchitectures of type specs.Arch"},
    {"type_syscalls", J("{\"syscalls\":{}}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal object into Go struct field "
     "Seccomp.syscalls of type []*seccomp.Syscall"},
    {"type_syscall_elem", J("{\"syscalls\":[\"read\"]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field "
     "Seccomp.syscalls of type seccomp.Syscall"},
    {"type_name", J("{\"syscalls\":[{\"name\":[\"a\"]}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal array into Go struct field "
     "Syscall.syscalls.name of type string"},
    {"type_names", J("{\"syscalls\":[{\"names\":\"read\"}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field "
     "Syscall.syscalls.names of type []string"},
    {"type_names_elem", J("{\"syscalls\":[{\"names\":[1]}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field "
     "Syscall.syscalls.names of type string"},
    {"type_action", J("{\"syscalls\":[{\"action\":null,\"action\":false}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal bool into Go struct field "
     "Syscall.syscalls.action of type specs.LinuxSeccompAction"},
    {"type_errno_neg", J("{\"syscalls\":[{\"errnoRet\":-1}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number -1 into Go struct "
     "field Syscall.syscalls.errnoRet of type uint"},
    {"type_errno_float", J("{\"syscalls\":[{\"errnoRet\":1.0}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number 1.0 into Go struct "
     "field Syscall.syscalls.errnoRet of type uint"},
    {"type_errno_exp", J("{\"syscalls\":[{\"errnoRet\":1e2}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number 1e2 into Go struct "
     "field Syscall.syscalls.errnoRet of type uint"},
    {"type_errno_string", J("{\"syscalls\":[{\"errnoRet\":\"1\"}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field "
     "Syscall.syscalls.errnoRet of type uint"},
    {"type_args", J("{\"syscalls\":[{\"args\":{}}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal object into Go struct field "
     "Syscall.syscalls.args of type []*specs.LinuxSeccompArg"},
    {"type_args_elem", J("{\"syscalls\":[{\"args\":[1]}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field "
     "Syscall.syscalls.args of type specs.LinuxSeccompArg"},
    {"type_arg_index", J("{\"syscalls\":[{\"args\":[{\"index\":\"0\"}]}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field "
     "LinuxSeccompArg.syscalls.args.index of type uint"},
    {"type_arg_value_big", J("{\"syscalls\":[{\"args\":[{\"value\":18446744073709551616}]}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number 18446744073709551616 "
     "into Go struct field LinuxSeccompArg.syscalls.args.value of type uint64"},
    {"type_arg_value_two", J("{\"syscalls\":[{\"args\":[{\"valueTwo\":-0}]}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number -0 into Go struct "
     "field LinuxSeccompArg.syscalls.args.valueTwo of type uint64"},
    {"type_arg_op", J("{\"syscalls\":[{\"args\":[{\"op\":1}]}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field "
     "LinuxSeccompArg.syscalls.args.op of type specs.LinuxSeccompOperator"},
    {"type_comment", J("{\"syscalls\":[{\"comment\":{}}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal object into Go struct field "
     "Syscall.syscalls.comment of type string"},
    {"type_includes", J("{\"syscalls\":[{\"includes\":[]}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal array into Go struct field "
     "Syscall.syscalls.includes of type seccomp.Filter"},
    {"type_excludes", J("{\"syscalls\":[{\"excludes\":\"x\"}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field "
     "Syscall.syscalls.excludes of type seccomp.Filter"},
    {"type_caps", J("{\"syscalls\":[{\"includes\":{\"caps\":\"CAP_X\"}}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field "
     "Filter.syscalls.includes.caps of type []string"},
    {"type_arches_elem", J("{\"syscalls\":[{\"excludes\":{\"arches\":[true]}}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal bool into Go struct field "
     "Filter.syscalls.excludes.arches of type string"},
    {"type_first_kept", J("{\"defaultAction\":1,\"syscalls\":[{\"names\":\"x\"}]}"),
     "error: Decoding seccomp profile failed: json: cannot unmarshal number into Go struct field "
     "Seccomp.defaultAction of type specs.LinuxSeccompAction"},
    {"kv_number", J("{\"syscalls\":[{\"includes\":{\"minKernel\":4.8}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: 4.8, expected "
     "\"<kernel>.<major>\": json: cannot unmarshal number into Go value of type string"},
    {"kv_object", J("{\"syscalls\":[{\"includes\":{\"minKernel\":{ \"a\" : 1 }}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: { \"a\" : 1 }, expected "
     "\"<kernel>.<major>\": json: cannot unmarshal object into Go value of type string"},
    {"kv_array", J("{\"syscalls\":[{\"includes\":{\"minKernel\":[]}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: [], expected "
     "\"<kernel>.<major>\": json: cannot unmarshal array into Go value of type string"},
    {"kv_bool", J("{\"syscalls\":[{\"includes\":{\"minKernel\":false}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: false, expected "
     "\"<kernel>.<major>\": json: cannot unmarshal bool into Go value of type string"},
    {"kv_one_part", J("{\"syscalls\":[{\"includes\":{\"minKernel\":\"4\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"4\", expected "
     "\"<kernel>.<major>\""},
    {"kv_three_parts", J("{\"syscalls\":[{\"includes\":{\"minKernel\":\"4.8.1\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"4.8.1\", expected "
     "\"<kernel>.<major>\""},
    {"kv_syntax", J("{\"syscalls\":[{\"includes\":{\"minKernel\":\"4.x\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"4.x\", expected "
     "\"<kernel>.<major>\": strconv.ParseUint: parsing \"x\": invalid syntax"},
    {"kv_empty_part", J("{\"syscalls\":[{\"includes\":{\"minKernel\":\".8\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \".8\", expected "
     "\"<kernel>.<major>\": strconv.ParseUint: parsing \"\": invalid syntax"},
    {"kv_range", J("{\"syscalls\":[{\"includes\":{\"minKernel\":\"256.1\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"256.1\", expected "
     "\"<kernel>.<major>\": strconv.ParseUint: parsing \"256\": value out of range"},
    {"kv_range_first", J("{\"syscalls\":[{\"includes\":{\"minKernel\":\"300x.1\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"300x.1\", expected "
     "\"<kernel>.<major>\": strconv.ParseUint: parsing \"300x\": value out of range"},
    {"kv_sign", J("{\"syscalls\":[{\"includes\":{\"minKernel\":\"+4.8\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"+4.8\", expected "
     "\"<kernel>.<major>\": strconv.ParseUint: parsing \"+4\": invalid syntax"},
    {"kv_zero", J("{\"syscalls\":[{\"includes\":{\"minKernel\":\"0.0\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"0.0\", expected "
     "\"<kernel>.<major>\": version cannot be 0.0"},
    {"kv_escaped", J("{\"syscalls\":[{\"includes\":{\"minKernel\":\"4\\u002e8\\u002e\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"4\\u002e8\\u002e\", "
     "expected \"<kernel>.<major>\""},
    {"kv_quote", J("{\"syscalls\":[{\"excludes\":{\"minKernel\":\"4.\\t\\\"\\u00e9\\u0001\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"4.\\t\\\"\\u00e9\\u0001\", "
     "expected \"<kernel>.<major>\": strconv.ParseUint: parsing \"\\t\\\"\xc3"
     "\xa9"
     "\\x01\": invalid syntax"},
    {"kv_wins_over_type_error",
     J("{\"defaultAction\":1,\"syscalls\":[{\"includes\":{\"minKernel\":\"x\"}}]}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"x\", expected "
     "\"<kernel>.<major>\""},
    {"kv_stops_decoding",
     J("{\"syscalls\":[{\"includes\":{\"minKernel\":\"x\"}},{\"includes\":{\"minKernel\":\"y\"}}],"
       "\"defaultAction\":1}"),
     "error: Decoding seccomp profile failed: invalid kernel version: \"x\", expected "
     "\"<kernel>.<major>\""},
};

Test(seccomp_decode, errors_are_dockers)
{
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const struct error_case *c = &error_cases[i];
        struct bf_error err = BF_ERROR_INIT;
        struct spec_seccomp_profile *p = NULL;
        char *built = NULL;
        const char *json = c->json;
        size_t len = c->len;

        if (!json) {
            len = strcmp(c->name, "syn_depth") == 0 ? 10001 : 10000;
            built = malloc(len);
            cr_assert_not_null(built);
            memset(built, '[', len);
            json = built;
        }
        cr_expect_eq(spec_seccomp_parse(json, len, "test", &p, &err), -EINVAL, "%s", c->name);
        cr_expect_null(p, "%s", c->name);
        cr_expect(err.msg && strncmp(err.msg, "test: ", 6) == 0 &&
                      strcmp(err.msg + 6, c->expect + 7) == 0,
                  "%s: got \"%s\", want \"test: %s\"", c->name, bf_error_message(&err),
                  c->expect + 7);
        bf_error_clear(&err);
        free(built);
    }
}

Test(seccomp_decode, size_is_bounded)
{
    struct bf_error err = BF_ERROR_INIT;
    struct spec_seccomp_profile *p;
    size_t n = SPEC_SECCOMP_MAX_BYTES + 1;
    char *big = malloc(n);

    cr_assert_not_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    cr_expect_eq(spec_seccomp_parse(big, n, "test", &p, &err), -E2BIG);
    cr_expect_str_eq(err.msg, "test: the seccomp profile is 1048577 bytes, more than 1048576");
    bf_error_clear(&err);
    cr_expect_eq(spec_seccomp_parse(big, n - 1 - 1, "test", &p, &err), -EINVAL);
    cr_expect_str_eq(err.msg,
                     "test: Decoding seccomp profile failed: unexpected end of JSON input");
    bf_error_clear(&err);
    big[n - 2] = '}';
    cr_expect_eq(spec_seccomp_parse(big, n - 1, "test", &p, &err), 0);
    spec_seccomp_free(p);
    free(big);
}

Test(seccomp_decode, array_elements_are_bounded)
{
    struct bf_error err = BF_ERROR_INIT;
    struct spec_seccomp_profile *p;
    size_t cap = 16 + 2 * (SPEC_SECCOMP_MAX_ITEMS + 1) + 2, len = 0;
    char *buf = malloc(cap);

    cr_assert_not_null(buf);
    len += (size_t)sprintf(buf, "{\"syscalls\":[");
    for (unsigned i = 0; i <= SPEC_SECCOMP_MAX_ITEMS; i++)
        len += (size_t)sprintf(buf + len, "%s0", i ? "," : "");
    len += (size_t)sprintf(buf + len, "]}");
    cr_expect_eq(spec_seccomp_parse(buf, len, "test", &p, &err), -E2BIG);
    cr_expect_str_eq(err.msg, "test: the seccomp profile has more than 65536 array elements");
    cr_expect_null(p);
    bf_error_clear(&err);
    free(buf);
}

static struct spec_seccomp_profile *parse(const char *json)
{
    struct bf_error err = BF_ERROR_INIT;
    struct spec_seccomp_profile *p;

    cr_assert_eq(spec_seccomp_parse(json, strlen(json), "test", &p, &err), 0, "%s",
                 bf_error_message(&err));
    return p;
}

static struct spec_sc_call *call(const struct spec_seccomp_profile *p, size_t i)
{
    return ((struct spec_sc_call **)p->syscalls.v)[i];
}

Test(seccomp_decode, model)
{
    struct spec_seccomp_profile *p;
    struct spec_sc_call *c;

    p = parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[]},"
              "{\"names\":null,\"errnoRet\":0,\"includes\":{\"minKernel\":\"4.8\"}},null]}");
    cr_expect_str_eq(p->default_action.s, "SCMP_ACT_ERRNO");
    cr_assert_eq(p->syscalls.len, 3);
    cr_expect(call(p, 0)->names.nonnil && call(p, 0)->names.len == 0); /* [] */
    c = call(p, 1);
    cr_expect(!c->names.nonnil);                      /* null */
    cr_expect(c->has_errno_ret && c->errno_ret == 0); /* a *uint set to 0 */
    cr_assert_not_null(c->includes.min_kernel);
    cr_expect(c->includes.min_kernel->kernel == 4 && c->includes.min_kernel->major == 8);
    cr_expect_null(c->excludes.min_kernel);
    cr_expect_null(call(p, 2)); /* a nil *Syscall */
    spec_seccomp_free(p);

    /* A second "syscalls" decodes into the first's elements: Go's reflect reuses them. */
    p = parse("{\"syscalls\":[{\"names\":[\"a\"],\"action\":\"A\"},{\"action\":\"B\"}],"
              "\"syscalls\":[{\"action\":\"C\"}]}");
    cr_assert_eq(p->syscalls.len, 1);
    cr_expect_eq(p->syscalls.cap, 4);
    cr_expect_str_eq(call(p, 0)->action.s, "C");
    cr_expect_str_eq(((struct spec_sc_str *)call(p, 0)->names.v)[0].s, "a");
    spec_seccomp_free(p);

    /* \u0000 is a NUL inside the string; n counts it. */
    p = parse("{\"defaultAction\":\"a\\u0000b\"}");
    cr_expect_eq(p->default_action.n, 3);
    cr_expect_eq(memcmp(p->default_action.s, "a\0b", 4), 0);
    spec_seccomp_free(p);
}
