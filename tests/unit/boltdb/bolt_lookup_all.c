/* bolt-lookup-all FILE - test helper: walk every key of a BoltDB file, then look each one up
 * again from the root (bucket by bucket, then the key) and check the lookup finds the same
 * bytes; also look up each key with a NUL byte appended, which must not be found (no test
 * file has such keys). Prints "<keys> keys, <buckets> buckets: every lookup agrees". Used by
 * tests/integration/boltdb_gocompat.sh on files Go's bbolt wrote. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltdb.h"

struct ctx {
    const struct bolt_db *db;
    size_t keys, buckets;
};

static int fail(struct bf_error *err, const char *what, const uint8_t *k, size_t kl)
{
    return bf_error_set(err, EINVAL, "%s: key %.*s (%zu bytes)", what, (int)kl, (const char *)k,
                        kl);
}

static int visit(void *vctx, const struct bolt_name *path, unsigned depth, const uint8_t *key,
                 size_t klen, const uint8_t *val, size_t vlen, bool is_bucket, struct bf_error *err)
{
    struct ctx *c = vctx;
    struct bolt_bucket b;
    const uint8_t *v;
    size_t vl;
    bool isb, found;
    uint8_t *probe;
    int r;

    bolt_root(c->db, &b);
    for (unsigned i = 0; i < depth; i++) {
        if ((r = bolt_get(&b, path[i].p, path[i].len, &v, &vl, &isb, &found, err)) < 0)
            return r;
        if (!found || !isb)
            return fail(err, "bucket of the path not found", path[i].p, path[i].len);
        if ((r = bolt_bucket_from_value(&b, v, vl, &b, err)) < 0)
            return r;
    }
    if ((r = bolt_get(&b, key, klen, &v, &vl, &isb, &found, err)) < 0)
        return r;
    if (!found || isb != is_bucket || vl != vlen || v != val)
        return fail(err, "lookup disagrees with the walk", key, klen);
    probe = malloc(klen + 1);
    if (!probe)
        return bf_error_set(err, ENOMEM, "out of memory");
    memcpy(probe, key, klen);
    probe[klen] = 0;
    r = bolt_get(&b, probe, klen + 1, &v, &vl, &isb, &found, err);
    free(probe);
    if (r < 0)
        return r;
    if (found)
        return fail(err, "key + NUL found", key, klen);
    if (is_bucket)
        c->buckets++;
    else
        c->keys++;
    return 0;
}

int main(int argc, char **argv)
{
    struct bf_error err = BF_ERROR_INIT;
    struct bolt_db *db = NULL;
    struct ctx c = {0};
    int dirfd, r;

    if (argc != 2) {
        fprintf(stderr, "usage: bolt-lookup-all FILE\n");
        return 2;
    }
    char *d = strdup(argv[1]), *b = strdup(argv[1]);
    dirfd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    r = dirfd < 0 ? -1 : bolt_open_at(dirfd, basename(b), SIZE_MAX, &db, NULL, &err);
    if (r == 0) {
        c.db = db;
        r = bolt_walk(db, visit, &c, &err);
    }
    bolt_close(db);
    if (dirfd >= 0)
        close(dirfd);
    free(d);
    free(b);
    if (r < 0) {
        fprintf(stderr, "bolt-lookup-all: %s\n",
                dirfd < 0 ? "cannot open the folder" : bf_error_message(&err));
        bf_error_clear(&err);
        return 1;
    }
    printf("%zu keys, %zu buckets: every lookup agrees\n", c.keys, c.buckets);
    return 0;
}
