/* bolt-churn-check FILE PIDFILE - test helper: while the process in PIDFILE (bolttool churn)
 * keeps committing to FILE, open the file again and again and check each snapshot: bucket "c"
 * has exactly 200 keys, all with the same value (each transaction of the writer sets them all
 * to one new value). Prints "<reads> reads, <values> distinct values seen, <busy> busy"; exits 1
 * on the first inconsistent or unreadable snapshot. "Changed while being read" (EAGAIN: every
 * retry saw a new commit) is the reader's honest answer to a writer that never pauses, which
 * a slow (sanitized) build meets now and then: it is counted, and fails the check only when it
 * is more common than a good read. Used by tests/integration/boltdb_gocompat.sh. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boltdb.h"

struct ctx {
    const uint8_t *first;
    size_t firstlen, n;
};

static int visit(void *vctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                 bool is_bucket, struct bf_error *err)
{
    struct ctx *c = vctx;
    (void)k;
    (void)kl;
    if (is_bucket)
        return bf_error_set(err, EINVAL, "unexpected bucket in c");
    if (!c->first) {
        c->first = v;
        c->firstlen = vl;
    } else if (vl != c->firstlen || memcmp(v, c->first, vl) != 0) {
        return bf_error_set(err, EINVAL, "two values in one snapshot: %.12s... and %.12s...",
                            (const char *)c->first, (const char *)v);
    }
    c->n++;
    return 0;
}

int main(int argc, char **argv)
{
    struct bf_error err = BF_ERROR_INIT;
    size_t reads = 0, values = 0, busy = 0;
    char last[32] = "";
    pid_t pid;
    FILE *pf;

    if (argc != 3 || !(pf = fopen(argv[2], "r")) || fscanf(pf, "%d", &pid) != 1) {
        fprintf(stderr, "usage: bolt-churn-check FILE PIDFILE\n");
        return 2;
    }
    fclose(pf);
    char *d = strdup(argv[1]), *b = strdup(argv[1]);
    int dirfd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        perror(argv[1]);
        return 1;
    }
    while (kill(pid, 0) == 0) {
        struct bolt_db *db = NULL;
        struct bolt_bucket root, c;
        struct ctx cx = {0};
        bool found = false;
        int r = bolt_open_at(dirfd, basename(b), 1u << 30, &db, NULL, &err);
        if (r == 0) {
            bolt_root(db, &root);
            r = bolt_bucket(&root, "c", &c, &found, &err);
        }
        if (r == 0 && !found)
            r = bf_error_set(&err, EINVAL, "no bucket c");
        if (r == 0)
            r = bolt_foreach(&c, visit, &cx, &err);
        if (r == 0 && cx.n != 200)
            r = bf_error_set(&err, EINVAL, "%zu keys in c, not 200", cx.n);
        if (r == 0 && strncmp(last, (const char *)cx.first, cx.firstlen < 31 ? cx.firstlen : 31)) {
            values++;
            snprintf(last, sizeof(last), "%.*s", (int)(cx.firstlen < 31 ? cx.firstlen : 31),
                     (const char *)cx.first);
        }
        bolt_close(db);
        if (r < 0 && err.code == EAGAIN) {
            bf_error_clear(&err);
            busy++;
            continue;
        }
        if (r < 0) {
            fprintf(stderr, "bolt-churn-check: read %zu: %s\n", reads + 1, bf_error_message(&err));
            bf_error_clear(&err);
            close(dirfd);
            free(d);
            free(b);
            return 1;
        }
        reads++;
    }
    printf("%zu reads, %zu distinct values seen, %zu busy\n", reads, values, busy);
    close(dirfd);
    free(d);
    free(b);
    if (!reads || busy > reads) {
        fprintf(stderr, "bolt-churn-check: %zu good reads, %zu busy: the writer starves the "
                        "reader\n", reads, busy);
        return 1;
    }
    return 0;
}
