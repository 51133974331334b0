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
    /* The spans: the same answer, and where they are given, every object and array outside a
     * string, in opening order, each ending at its matching bracket (found here naively). */
    struct ls_jscan_span *sp = NULL;
    size_t n_sp = 0;
    enum ls_jscan_result r2 = ls_jscan_spans((const char *)data, size, &sp, &n_sp);
    FZ_ASSERT(r2 == ls_jscan_object((const char *)data, size, NULL, 0), "spans: answer %d", r2);
    if (r2 == LS_JSCAN_OK && sp) {
        size_t opens[2048], depth = 0, k = 0;
        bool in_str = false;
        for (size_t i = 0; i < size; i++) {
            unsigned char c = data[i];
            if (in_str) {
                if (c == '\\')
                    i++;
                else if (c == '"')
                    in_str = false;
            } else if (c == '"') {
                in_str = true;
            } else if (c == '{' || c == '[') {
                FZ_ASSERT(k < n_sp && sp[k].open == i, "span %zu opens at %zu", k, i);
                FZ_ASSERT(depth < 2048, "depth");
                opens[depth++] = k++;
            } else if (c == '}' || c == ']') {
                FZ_ASSERT(depth > 0, "close without open at %zu", i);
                size_t o = opens[--depth];
                FZ_ASSERT(sp[o].close == i, "span %zu closes at %u, not %zu", o, sp[o].close, i);
            }
        }
        FZ_ASSERT(k == n_sp && depth == 0, "%zu of %zu spans", k, n_sp);
    }
    free(sp);
    if (getenv("BF_FUZZ_VERBOSE"))
        fprintf(stderr, "jscan %d, jansson %s\n", r, ok ? "ok" : "refused");
    json_decref(root);
    return 0;
}
