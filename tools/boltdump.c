/* boltdump - print the buckets and keys of a BoltDB file (such as Docker's
 * /var/lib/docker/network/files/local-kv.db) with bundlefs's read-only reader.
 *
 *   boltdump [--keys] [--flat] [--max-value=N] FILE
 *
 * Default: a tree, one bucket per line ("name/"), its keys indented below it as
 * "key = value". --keys leaves the values out. --flat prints one line per key,
 * "<bucket path>\t<key>\t<value>", buckets of the path joined by '/', with every value in full.
 * Bytes outside printable ASCII are written as \xNN and '\' as "\\" (in --flat also '/' inside
 * a bucket name, as \x2f), so every line is one key whatever its bytes. The file is read as one
 * consistent snapshot while a daemon may be writing it; nothing is locked or written. The last
 * component of FILE must not be a symbolic link. Errors: "boltdump: <message>", exit status 1;
 * usage errors 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "boltdb.h"

#define DEFAULT_MAX_VALUE 200
#define FILE_CAP (1ull << 30)

struct dump {
    bool keys_only, flat;
    size_t max_value; /* 0: no limit */
};

static void put_escaped(const uint8_t *p, size_t n, bool slash)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\')
            fputs("\\\\", stdout);
        else if (p[i] < 0x20 || p[i] > 0x7e || (slash && p[i] == '/'))
            printf("\\x%02x", p[i]);
        else
            putchar(p[i]);
    }
}

static void put_value(const struct dump *d, const uint8_t *v, size_t n)
{
    if (d->max_value && n > d->max_value) {
        put_escaped(v, d->max_value, false);
        printf("... (%zu bytes)", n);
    } else {
        put_escaped(v, n, false);
    }
}

static int visit(void *ctx, const struct bolt_name *path, unsigned depth, const uint8_t *key,
                 size_t klen, const uint8_t *val, size_t vlen, bool is_bucket, struct bf_error *err)
{
    const struct dump *d = ctx;

    (void)err;
    if (d->flat) {
        if (is_bucket)
            return 0;
        for (unsigned i = 0; i < depth; i++) {
            if (i)
                putchar('/');
            put_escaped(path[i].p, path[i].len, true);
        }
        putchar('\t');
        put_escaped(key, klen, false);
        putchar('\t');
        put_escaped(val, vlen, false);
        putchar('\n');
        return 0;
    }
    printf("%*s", (int)depth * 2, "");
    put_escaped(key, klen, false);
    if (is_bucket) {
        fputs("/\n", stdout);
        return 0;
    }
    if (!d->keys_only) {
        fputs(" = ", stdout);
        put_value(d, val, vlen);
    }
    putchar('\n');
    return 0;
}

static void usage(FILE *out)
{
    fputs("Usage: boltdump [--keys] [--flat] [--max-value=N] FILE\n"
          "Print the buckets and keys of a BoltDB file (read-only, one consistent snapshot).\n"
          "  --keys         keys and buckets only, no values\n"
          "  --flat         one line per key: <bucket path>TAB<key>TAB<value>, values in full\n"
          "  --max-value=N  show at most N bytes of each value in the tree (default 200, 0: all)\n"
          "  --help         this text\n",
          out);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"keys", no_argument, NULL, 'k'},
        {"flat", no_argument, NULL, 'f'},
        {"max-value", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct dump d = {.max_value = DEFAULT_MAX_VALUE};
    struct bf_error err = BF_ERROR_INIT;
    struct bolt_db *db = NULL;
    _cleanup_close_ int dirfd = -1;
    _cleanup_free_ char *dcopy = NULL, *bcopy = NULL;
    char *end;
    int c, r;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            d.keys_only = true;
            break;
        case 'f':
            d.flat = true;
            break;
        case 'm':
            errno = 0;
            d.max_value = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || *optarg == '-') {
                fprintf(stderr, "boltdump: --max-value must be a number, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 1) {
        usage(stderr);
        return 2;
    }
    dcopy = strdup(argv[optind]);
    bcopy = strdup(argv[optind]);
    if (!dcopy || !bcopy) {
        fprintf(stderr, "boltdump: out of memory\n");
        return 1;
    }
    const char *dir = dirname(dcopy), *base = basename(bcopy);
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        fprintf(stderr, "boltdump: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    r = bolt_open_at(dirfd, base, FILE_CAP, &db, NULL, &err);
    if (r == 0) {
        if (!d.flat)
            printf("# %s: page size %u, txid %llu\n", argv[optind], bolt_page_size(db),
                   (unsigned long long)bolt_txid(db));
        r = bolt_walk(db, visit, &d, &err);
    }
    bolt_close(db);
    if (fflush(stdout) != 0 && r == 0)
        r = bf_error_set(&err, errno, "write error: %s", strerror(errno));
    if (r < 0) {
        const char *msg = bf_error_message(&err);
        size_t bl = strlen(base);
        /* The reader names the file as it opened it (its last component): say FILE. */
        if (strncmp(msg, base, bl) == 0 && msg[bl] == ':')
            fprintf(stderr, "boltdump: %s%s\n", argv[optind], msg + bl);
        else
            fprintf(stderr, "boltdump: %s\n", msg);
        bf_error_clear(&err);
        return 1;
    }
    return 0;
}
