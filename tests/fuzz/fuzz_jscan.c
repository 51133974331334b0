/* Differential: layerstore/jscan.c against jansson. The same bytes go to ls_jscan_object and
 * to json_loadb with ls_parse_json's flags (0) followed by ls_j_get, the lookup the jansson
 * path of the name read uses. The scanner may say "unsure"; otherwise any disagreement aborts:
 * accepted by one and refused by the other, or a member of another kind or with other bytes.
 * The wanted keys are the name read's two, plus a one-letter and the empty key the fuzzer
 * reaches easily (duplicates and case variants of them exercise the lookup rules). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "fuzz_common.h"
#include "jscan.h"
#include "ls_internal.h"

static const char *const keys[] = {"ID", "Name", "a", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_jscan_member m[BF_ARRAY_SIZE(keys)];
    enum ls_jscan_result r;
    json_error_t jerr;
    json_t *root;
    bool ok;

    for (size_t i = 0; i < BF_ARRAY_SIZE(keys); i++)
        m[i] = (struct ls_jscan_member){.key = keys[i], .kind = 99};
    r = ls_jscan_object((const char *)data, size, m, BF_ARRAY_SIZE(m));
    root = json_loadb((const char *)data, size, 0, &jerr);
    ok = root && json_is_object(root);
    if (r == LS_JSCAN_INVALID)
        FZ_ASSERT(!ok, "scanner refused what jansson accepts");
    if (r == LS_JSCAN_OK) {
        FZ_ASSERT(ok, "scanner accepted what jansson refuses: %s (line %d, column %d)",
                  root ? "not an object" : jerr.text, jerr.line, jerr.column);
        for (size_t i = 0; i < BF_ARRAY_SIZE(keys); i++) {
            json_t *v = ls_j_get(root, keys[i]);
            if (!v) {
                FZ_ASSERT(m[i].kind == LS_JSCAN_ABSENT, "\"%s\": kind %d, jansson: absent", keys[i],
                          m[i].kind);
            } else if (json_is_string(v)) {
                FZ_ASSERT(m[i].kind == LS_JSCAN_STRING, "\"%s\": kind %d, jansson: string", keys[i],
                          m[i].kind);
                FZ_ASSERT(m[i].len == json_string_length(v) &&
                              memcmp(m[i].val, json_string_value(v), m[i].len) == 0,
                          "\"%s\": \"%.*s\", jansson: \"%s\"", keys[i], (int)m[i].len, m[i].val,
                          json_string_value(v));
            } else {
                FZ_ASSERT(m[i].kind == LS_JSCAN_OTHER, "\"%s\": kind %d, jansson: type %d", keys[i],
                          m[i].kind, json_typeof(v));
            }
        }
    }
    if (getenv("BF_FUZZ_VERBOSE"))
        fprintf(stderr, "jscan %d, jansson %s\n", r, ok ? "ok" : "refused");
    json_decref(root);
    return 0;
}
