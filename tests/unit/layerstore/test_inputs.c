/* ls_inputs appends (inputs.c): a list sealed to be shared (the cache's entries) appended to
 * empty and filled lists gives what adding its paths one by one gives. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "layerstore.h"
#include "ls_internal.h"

enum { N = 3000 };
static char rel[N][200];

static void fill_paths(void)
{
    for (int i = 0; i < N; i++) {
        int len = 1 + (i * 7919) % 180;
        for (int k = 0; k < len; k++)
            rel[i][k] = (char)('a' + (i + k) % 26);
        snprintf(rel[i] + len, sizeof(rel[i]) - (size_t)len, "/%d", i);
    }
}

/* `got` holds exactly `want`'s paths, in its order, with its stamps, each found by path. */
static void same_list(const struct ls_inputs *got, const struct ls_inputs *want)
{
    cr_assert_eq(got->n, want->n);
    for (size_t i = 0; i < want->n; i++) {
        cr_assert_str_eq(got->v[i].rel, want->v[i].rel, "entry %zu", i);
        cr_assert_eq(got->v[i].stamp.size, want->v[i].stamp.size, "entry %zu's stamp", i);
        const struct bf_stamp *st = ls_inputs_find(got, want->v[i].rel);
        cr_assert_not_null(st, "%s", want->v[i].rel);
        cr_assert_eq(st->size, want->v[i].stamp.size);
    }
}

Test(inputs, shared_list_appended_to_empty_and_filled_lists)
{
    struct ls_inputs shared = {0}, empty = {0}, filled = {0}, ref = {0};

    fill_paths();
    for (int i = 0; i < N; i++)
        cr_assert_eq(ls_inputs_add(&shared, rel[i], &(struct bf_stamp){.size = i}), 0);
    ls_inputs_seal_shared(&shared);
    cr_assert_not_null(shared.hv, "a shared list keeps its hashes");

    /* into an empty list: a copy, which later adds extend and deduplicate */
    cr_assert_eq(ls_inputs_append(&empty, &shared), 0);
    same_list(&empty, &shared);
    cr_assert_eq(ls_inputs_add(&empty, rel[5], &(struct bf_stamp){.size = -1}), 0);
    cr_assert_eq(ls_inputs_add(&empty, "new/path", &(struct bf_stamp){.size = -2}), 0);
    cr_assert_eq(empty.n, N + 1, "a path of the copy recorded again is a no-op");
    cr_assert_eq(ls_inputs_find(&empty, rel[5])->size, 5, "the copy's stamp is kept");
    cr_assert_str_eq(empty.v[N].rel, "new/path");
    cr_assert(empty.v[0].rel != shared.v[0].rel, "the paths are the list's own");

    /* into a filled list: its own first, each path once, its stamps kept */
    cr_assert_eq(ls_inputs_add(&filled, "own/a", &(struct bf_stamp){.size = -3}), 0);
    cr_assert_eq(ls_inputs_add(&filled, rel[7], &(struct bf_stamp){.size = -4}), 0);
    cr_assert_eq(ls_inputs_add(&ref, "own/a", &(struct bf_stamp){.size = -3}), 0);
    cr_assert_eq(ls_inputs_add(&ref, rel[7], &(struct bf_stamp){.size = -4}), 0);
    for (int i = 0; i < N; i++)
        cr_assert_eq(ls_inputs_add(&ref, rel[i], &(struct bf_stamp){.size = i}), 0);
    cr_assert_eq(ls_inputs_append(&filled, &shared), 0);
    same_list(&filled, &ref);

    /* the shared list added to after its seal: its hashes go, and it still appends right */
    cr_assert_eq(ls_inputs_add(&shared, "late/one", &(struct bf_stamp){.size = N}), 0);
    cr_assert_null(shared.hv);
    cr_assert_eq(ls_inputs_add(&ref, "late/one", &(struct bf_stamp){.size = N}), 0);
    ls_inputs_free(&filled);
    cr_assert_eq(ls_inputs_add(&filled, "own/a", &(struct bf_stamp){.size = -3}), 0);
    cr_assert_eq(ls_inputs_add(&filled, rel[7], &(struct bf_stamp){.size = -4}), 0);
    cr_assert_eq(ls_inputs_append(&filled, &shared), 0);
    same_list(&filled, &ref);

    /* sealed again, shared, and copied once more; then sealed as a bundle's list is */
    ls_inputs_seal_shared(&shared);
    ls_inputs_free(&empty);
    cr_assert_eq(ls_inputs_append(&empty, &shared), 0);
    same_list(&empty, &shared);
    ls_inputs_seal(&empty);
    cr_assert_null(empty.hv);
    same_list(&empty, &shared);

    ls_inputs_free(&shared);
    ls_inputs_free(&empty);
    ls_inputs_free(&filled);
    ls_inputs_free(&ref);
}

/* A short list that wastes most of its block is compacted at its seal; a shared one always. */
Test(inputs, seal_compacts_wasteful_blocks)
{
    struct ls_inputs in = {0};

    cr_assert_eq(ls_inputs_add(&in, "a/b", &(struct bf_stamp){0}), 0);
    ls_inputs_seal(&in);
    cr_assert_str_eq(in.v[0].rel, "a/b");
    ls_inputs_seal_shared(&in);
    cr_assert_str_eq(in.v[0].rel, "a/b");
    cr_assert_not_null(in.hv);
    ls_inputs_free(&in);
}

/* A shared list appended again and again to one list (each copy of its block then holds only
 * paths already there) costs the paths once after the seal, not once per append. */
Test(inputs, repeated_appends_leave_no_dead_copies_after_seal)
{
    struct ls_inputs shared = {0}, dst = {0};
    size_t need = 0;

    fill_paths();
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(ls_inputs_add(&shared, rel[i], &(struct bf_stamp){.size = i}), 0);
        need += strlen(rel[i]) + 1;
    }
    ls_inputs_seal_shared(&shared);
    for (int k = 0; k < 20; k++)
        cr_assert_eq(ls_inputs_append(&dst, &shared), 0);
    cr_assert_eq(dst.n, 1000);
    cr_assert_gt(ls_inputs_strbytes(&dst), 20 * need, "each append copied the block");
    ls_inputs_seal(&dst);
    cr_assert_leq(ls_inputs_strbytes(&dst), need + need / 8, "%zu bytes for %zu",
                  ls_inputs_strbytes(&dst), need);
    same_list(&dst, &shared);
    ls_inputs_free(&shared);
    ls_inputs_free(&dst);
}

/* Several shared lists appended at once (the layers of a walk from the cache) give what
 * adding their paths one by one gives: order, first stamps, each path once; a list that is
 * not shared among them, and empty ones, too. */
Test(inputs, many_lists_appended_at_once)
{
    struct ls_inputs parts[5] = {0}, ref = {0}, got = {0}, mixed = {0};
    const struct ls_inputs *v[5];

    fill_paths();
    /* overlapping ranges: 0..999, 800..1799, none, 1700..2999, 0..9 */
    int lo[5] = {0, 800, 0, 1700, 0}, hi[5] = {1000, 1800, 0, 3000, 10};
    for (int p = 0; p < 5; p++) {
        for (int i = lo[p]; i < hi[p]; i++)
            cr_assert_eq(ls_inputs_add(&parts[p], rel[i], &(struct bf_stamp){.size = p * N + i}),
                         0);
        ls_inputs_seal_shared(&parts[p]);
        v[p] = &parts[p];
    }
    cr_assert_eq(ls_inputs_add(&ref, "own/first", &(struct bf_stamp){.size = -1}), 0);
    cr_assert_eq(ls_inputs_add(&got, "own/first", &(struct bf_stamp){.size = -1}), 0);
    for (int p = 0; p < 5; p++)
        for (size_t k = 0; k < parts[p].n; k++)
            cr_assert_eq(ls_inputs_add(&ref, parts[p].v[k].rel, &parts[p].v[k].stamp), 0);
    cr_assert_eq(ls_inputs_append_many(&got, v, 5), 0);
    same_list(&got, &ref);
    cr_assert_eq(got.n, 1 + N, "each path once");
    ls_inputs_seal(&got);
    same_list(&got, &ref);

    /* one of them added to after its seal (no longer shared): appended one by one instead */
    cr_assert_eq(ls_inputs_add(&parts[1], "late/one", &(struct bf_stamp){.size = -5}), 0);
    cr_assert_null(parts[1].hv);
    cr_assert_eq(ls_inputs_add(&ref, "late/one", &(struct bf_stamp){.size = -5}), 0);
    ls_inputs_free(&ref);
    for (int p = 0; p < 5; p++)
        for (size_t k = 0; k < parts[p].n; k++)
            cr_assert_eq(ls_inputs_add(&ref, parts[p].v[k].rel, &parts[p].v[k].stamp), 0);
    cr_assert_eq(ls_inputs_append_many(&mixed, v, 5), 0);
    same_list(&mixed, &ref);

    for (int p = 0; p < 5; p++)
        ls_inputs_free(&parts[p]);
    ls_inputs_free(&ref);
    ls_inputs_free(&got);
    ls_inputs_free(&mixed);
}
