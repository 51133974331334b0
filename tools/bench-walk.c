/* bench-walk - time the layer walk, or the whole cold generation, of every container.
 *
 *   bench-walk DATAROOT [--rounds N] [--driver NAME] [--generate]
 *
 * Walk (default), per container: resolve the ID, load the container, load its image (SHA-256
 * verified), walk the layers, collecting ls_inputs. The baseline merely opens, reads and
 * closes exactly the input files that walk recorded (a recorded-absent file is one failed
 * open), so the ratio is the cost of layerstore's parsing, validation, hashing and bookkeeping
 * over the bare file I/O it cannot avoid.
 *
 * --generate: what the filesystem does on the first read of a container, without FUSE: a
 * fresh layerstore with the image and walk cache (as a new mount has), then spec_bundle_generate
 * of every container (OCI, indented). Two baselines: the performance issue's, reading each
 * container's config.v2.json, hostconfig.json, image config and one cache-id per layer; and
 * every input the bundle records (each once: a regular file opened, read and closed, anything
 * else - a folder, a link, an absent name - one fstatat), the least a generation that looks at
 * those entries must cost. A Linux container's bundle reads far more than the four (its mount
 * files, each layer's diff and parent, /etc/passwd and /etc/group through its layers, lower,
 * the l/ links, the folders handed to mount(8) and runc).
 *
 * One warm-up round fills the page cache first. Then each of N rounds times both sides, one
 * right after the other (the side that goes first alternates), so load on the machine hits
 * both alike; the ratio printed is the median of the N per-round ratios, with their spread.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layerstore.h"
#include "seccomp.h"
#include "spec.h"

struct bench {
    const char *dataroot;
    struct ls_options opts;
    struct spec_options so; /* as the daemon has them: host_cpus found once (fs/tree.c) */
    bool generate;
    struct layerstore *ls;
    char **ids;
    size_t n_ids;
    struct ls_inputs *inputs; /* per container, from the warm-up round: what the read-only
                                 side opens */
    struct ls_inputs *all;    /* --generate: every input its bundle recorded */
    size_t failed, layers, files, all_files;
};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The work bundlefs does to produce one container's layer list. */
static int walk_one(struct bench *b, const char *ref, struct ls_inputs *in, size_t *layers,
                    struct bf_error *err)
{
    char id[LS_ID_LEN + 1];
    struct ls_container *c = NULL;
    struct ls_image *img = NULL;
    struct ls_walk w = {0};
    int r;

    r = layerstore_container_resolve(b->ls, ref, id, err);
    if (r == 0)
        r = layerstore_container_load(b->ls, id, &c, in, err);
    if (r == 0)
        r = layerstore_image_load(b->ls, c->image_id, &img, in, err);
    if (r == 0)
        r = layerstore_walk(b->ls, img, &w, in, err);
    if (r == 0)
        r = layerstore_container_check_parent(c, &w, err);
    if (layers)
        *layers = w.n;
    ls_walk_free(&w);
    ls_image_free(img);
    ls_container_free(c);
    return r;
}

static double round_walk(struct bench *b)
{
    double t0 = now_us();
    for (size_t i = 0; i < b->n_ids; i++) {
        struct ls_inputs in = {0};
        struct bf_error err = BF_ERROR_INIT;
        walk_one(b, b->ids[i], &in, NULL, &err);
        bf_error_clear(&err);
        ls_inputs_free(&in);
    }
    return now_us() - t0;
}

/* A fresh layerstore each round: a new mount starts with an empty image and walk cache.
 * noinline: profile just this with valgrind --tool=callgrind --toggle-collect=round_generate. */
__attribute__((noinline)) static double round_generate(struct bench *b)
{
    struct layerstore *ls = NULL;
    struct bf_error err = BF_ERROR_INIT;
    double t0 = now_us();

    if (layerstore_open(b->dataroot, &b->opts, &ls, &err) < 0 ||
        layerstore_cache_enable(ls, 0, INT64_MAX) < 0) {
        fprintf(stderr, "bench-walk: %s\n", bf_error_message(&err));
        exit(1);
    }
    for (size_t i = 0; i < b->n_ids; i++) {
        struct spec_bundle *bd = NULL;
        spec_bundle_generate(ls, b->ids[i], &b->so, &bd, &err);
        bf_error_clear(&err);
        spec_bundle_free(bd);
    }
    /* The clock stops before the store is closed: a mount frees its caches once, when it
     * ends, not as it generates (each bundle's own memory is freed above, inside the round). */
    double t = now_us() - t0;
    layerstore_close(ls);
    return t;
}

/* The inputs of one generated container: config.v2.json, hostconfig.json, the image
 * config and one cache-id per layer. */
static int generate_one(struct bench *b, const char *id, struct ls_inputs *in,
                        struct ls_inputs *all, size_t *layers, struct bf_error *err)
{
    struct spec_bundle *bd = NULL;
    struct ls_container *c = NULL;
    struct ls_walk w = {0};
    char rel[256];
    int r;

    r = spec_bundle_generate(b->ls, id, &b->so, &bd, err);
    if (r == 0 && bd->errors) {
        r = bf_error_set(err, EIO, "%s: %.*s", id, (int)strcspn(bd->errors, "\n"), bd->errors);
    }
    for (size_t k = 0; r == 0 && k < bd->inputs.n; k++)
        if (ls_inputs_add(all, bd->inputs.v[k].rel, &bd->inputs.v[k].stamp) < 0)
            r = bf_error_set(err, ENOMEM, "out of memory");
    ls_inputs_seal(all);
    spec_bundle_free(bd);
    if (r == 0)
        r = layerstore_container_walk(b->ls, id, &c, NULL, &w, NULL, err);
    if (r == 0) {
        const char *drv = ls_driver_name(layerstore_driver(b->ls));
        snprintf(rel, sizeof(rel), "containers/%s/config.v2.json", id);
        r = ls_inputs_add(in, rel, &(struct bf_stamp){0});
        snprintf(rel, sizeof(rel), "containers/%s/hostconfig.json", id);
        r = r < 0 ? r : ls_inputs_add(in, rel, &(struct bf_stamp){0});
        snprintf(rel, sizeof(rel), "image/%s/imagedb/content/sha256/%s", drv, c->image_id + 7);
        r = r < 0 ? r : ls_inputs_add(in, rel, &(struct bf_stamp){0});
        for (size_t k = 0; r == 0 && k < w.n; k++) {
            snprintf(rel, sizeof(rel), "image/%s/layerdb/sha256/%s/cache-id", drv,
                     w.layers[k].chain_id + 7);
            r = ls_inputs_add(in, rel, &(struct bf_stamp){0});
        }
        if (r < 0)
            r = bf_error_set(err, ENOMEM, "out of memory");
    }
    *layers = w.n;
    ls_walk_free(&w);
    ls_container_free(c);
    return r;
}

/* Open, read and close each input of every container; with `all`, every input its bundle
 * recorded, an entry that is not a regular file (a folder, a link, an absent name) being one
 * fstatat, the least that looking at it costs. */
static double round_read(struct bench *b, bool all)
{
    static char buf[1 << 16];
    int dirfd = layerstore_dirfd(b->ls);
    double t0 = now_us();
    for (size_t i = 0; i < b->n_ids; i++) {
        const struct ls_inputs *in = all ? &b->all[i] : &b->inputs[i];
        for (size_t k = 0; k < in->n; k++) {
            struct stat st;
            if (all && (!in->v[k].stamp.exists || !S_ISREG(in->v[k].stamp.mode))) {
                fstatat(dirfd, in->v[k].rel, &st, AT_SYMLINK_NOFOLLOW);
                continue;
            }
            int fd = openat(dirfd, in->v[k].rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
            if (fd < 0)
                continue;
            while (read(fd, buf, sizeof(buf)) > 0)
                ;
            close(fd);
        }
    }
    return now_us() - t0;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: bench-walk DATAROOT [--rounds N] [--driver NAME] [--generate]\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rounds", required_argument, NULL, 'r'},
        {"driver", required_argument, NULL, 'd'},
        {"generate", no_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct bf_error err = BF_ERROR_INIT;
    struct bench b = {0};
    long rounds = 5, cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int c, status = 0;

    b.so.format = SPEC_FORMAT_OCI;
    b.so.host_cpus = cpus > 0 ? (unsigned)cpus : 1;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': {
            char *end = NULL;
            rounds = strtol(optarg, &end, 10);
            if (!*optarg || *end || rounds < 1 || rounds > 1000) {
                fprintf(stderr, "bench-walk: --rounds must be 1..1000\n");
                return 2;
            }
            break;
        }
        case 'd':
            b.opts.driver = optarg;
            break;
        case 'g':
            b.generate = true;
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
    b.dataroot = argv[optind];
    if (layerstore_open(b.dataroot, &b.opts, &b.ls, &err) < 0 ||
        layerstore_container_ids(b.ls, &b.ids, &b.n_ids, &err) < 0) {
        fprintf(stderr, "bench-walk: %s\n", bf_error_message(&err));
        bf_error_clear(&err);
        layerstore_close(b.ls);
        return 1;
    }
    if (b.n_ids == 0) {
        fprintf(stderr, "bench-walk: %s: no containers\n", argv[optind]);
        layerstore_close(b.ls);
        return 1;
    }
    b.inputs = calloc(b.n_ids, sizeof(*b.inputs));
    b.all = calloc(b.n_ids, sizeof(*b.all));
    if (!b.inputs || !b.all) {
        fprintf(stderr, "bench-walk: out of memory\n");
        return 1;
    }

    /* Warm-up: fills the page cache and records what each walk reads. */
    for (size_t i = 0; i < b.n_ids; i++) {
        size_t layers = 0;
        int r = b.generate ? generate_one(&b, b.ids[i], &b.inputs[i], &b.all[i], &layers, &err)
                           : walk_one(&b, b.ids[i], &b.inputs[i], &layers, &err);
        if (r < 0) {
            if (b.failed < 5)
                fprintf(stderr, "bench-walk: %s\n", bf_error_message(&err));
            bf_error_clear(&err);
            b.failed++;
        }
        b.layers += layers;
        b.files += b.inputs[i].n;
        b.all_files += b.all[i].n;
    }
    if (b.failed)
        status = 1;

    double *tw = calloc((size_t)rounds, sizeof(double)),
           *tr = calloc((size_t)rounds, sizeof(double)),
           *ta = calloc((size_t)rounds, sizeof(double));
    double *q = calloc((size_t)rounds, sizeof(double)),
           *qa = calloc((size_t)rounds, sizeof(double));
    if (!tw || !tr || !ta || !q || !qa) {
        fprintf(stderr, "bench-walk: out of memory\n");
        return 1;
    }
    for (long r = 0; r < rounds; r++) {
        /* the three sides in turn, each round starting with another */
        for (int k = 0; k < (b.generate ? 3 : 2); k++) {
            switch ((r + k) % (b.generate ? 3 : 2)) {
            case 0:
                tw[r] = b.generate ? round_generate(&b) : round_walk(&b);
                break;
            case 1:
                tr[r] = round_read(&b, false);
                break;
            default:
                ta[r] = round_read(&b, true);
            }
        }
        q[r] = tr[r] > 0 ? tw[r] / tr[r] : 0.0;
        qa[r] = ta[r] > 0 ? tw[r] / ta[r] : 0.0;
    }
    double n = (double)b.n_ids;
    const char *side = b.generate ? "generate" : "walk";
    printf("bench-walk: %s (driver %s)%s\n", layerstore_root(b.ls),
           ls_driver_name(layerstore_driver(b.ls)), b.generate ? ", cold generation" : "");
    printf("containers: %zu (%zu failed), layers walked: %zu, input files: %zu (%.1f per "
           "container)\n",
           b.n_ids, b.failed, b.layers, b.files, (double)b.files / n);
    printf("rounds:     %ld (after 1 warm-up round; the sides in turn in each, each round "
           "starting with the next)\n",
           rounds);
    double mw = median(tw, (size_t)rounds), mr = median(tr, (size_t)rounds);
    printf("%-11s %.1f us/container (median round; best %.1f)\n",
           b.generate ? "generate:" : "walk:", mw / n, tw[0] / n);
    printf("read only:  %.1f us/container (open/read/close of %s; median; best %.1f)\n", mr / n,
           b.generate ? "config.v2.json, hostconfig.json, image config, cache-ids"
                      : "the same files",
           tr[0] / n);
    double mq = median(q, (size_t)rounds);
    printf("ratio:      %.2f (median of %ld per-round ratios %s / read only; spread %.2f..%.2f)\n",
           mq, rounds, side, q[0], q[rounds - 1]);
    if (b.generate) {
        double ma = median(ta, (size_t)rounds), mqa = median(qa, (size_t)rounds);
        printf("read all:   %.1f us/container (every input the bundle records, %.1f per "
               "container: files read, the rest fstatat; median; best %.1f)\n",
               ma / n, (double)b.all_files / n, ta[0] / n);
        printf("ratio all:  %.2f (median of %ld per-round ratios generate / read all; spread "
               "%.2f..%.2f)\n",
               mqa, rounds, qa[0], qa[rounds - 1]);
        printf("seccomp:    default profile parsed %lu time(s) in this process\n",
               spec_seccomp_default_parses());
    }
    free(tw);
    free(tr);
    free(ta);
    free(q);
    free(qa);

    for (size_t i = 0; i < b.n_ids; i++) {
        ls_inputs_free(&b.inputs[i]);
        ls_inputs_free(&b.all[i]);
    }
    free(b.inputs);
    free(b.all);
    ls_strv_free(b.ids, b.n_ids);
    layerstore_close(b.ls);
    spec_cleanup();
    return status;
}
