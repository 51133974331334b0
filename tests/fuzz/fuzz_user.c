/* process.user from Config.User, /etc/passwd, /etc/group and GroupAdd (spec/user.c). The
 * input is those four, split at FZ_SEP (GroupAdd one entry a line; a missing part is an absent
 * file). Checked on every input: the error contract, additionalGids starting with the gid, and
 * that the plain wrapper gives the same answer. */
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "fuzz_common.h"
#include "user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *parts[4] = {0};
    size_t lens[4] = {0}, n = fz_split(data, size, parts, lens, 4);
    char *user = fz_strndup(parts[0], lens[0]);
    char *adds = n > 3 ? fz_strndup(parts[3], lens[3]) : NULL;
    char *add[64];
    size_t n_add = 0;
    struct spec_user u, v;
    struct bf_error err = BF_ERROR_INIT;
    int r, r2;

    for (char *s = adds, *t; s && n_add < 64 && (t = strsep(&s, "\n"));)
        add[n_add++] = t;
    r = spec_user_resolve(user, n > 1 ? (const char *)parts[1] : NULL, n > 1 ? lens[1] : 0,
                          n > 2 ? (const char *)parts[2] : NULL, n > 2 ? lens[2] : 0, add, n_add,
                          &u, &err);
    _cleanup_free_ char *msg = err.msg ? strdup(err.msg) : NULL;
    fz_check_result(r, &err);
    if (r == 0) {
        FZ_ASSERT(u.n_additional_gids <= 1 + lens[2] + n_add, "%zu gids", u.n_additional_gids);
        FZ_ASSERT(u.n_additional_gids >= 1 && u.additional_gids[0] == u.gid, "gid %u", u.gid);
    }
    struct spec_user_file pw = {.data = n > 1 ? (const char *)parts[1] : NULL,
                                .len = n > 1 ? lens[1] : 0};
    struct spec_user_file gr = {.data = n > 2 ? (const char *)parts[2] : NULL,
                                .len = n > 2 ? lens[2] : 0};
    r2 = spec_user_resolve_files(user, &pw, &gr, add, n_add, &v, &err);
    FZ_ASSERT(r2 == r, "%d then %d", r, r2);
    FZ_ASSERT(r < 0
                  ? strcmp(err.msg, msg) == 0
                  : v.uid == u.uid && v.gid == u.gid && v.n_additional_gids == u.n_additional_gids,
              "the two entry points disagree");
    fz_check_result(r2, &err);
    spec_user_free(&u);
    spec_user_free(&v);
    free(user);
    free(adds);
    return 0;
}
