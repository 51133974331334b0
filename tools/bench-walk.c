/* bench-walk - time the layer walk over every container of a data-root.
 *
 *   bench-walk DATAROOT [--rounds N] [--driver NAME]
 *
 * Per container: resolve the ID, load the container, load its image (SHA-256 verified), walk
 * the layers, collecting ls_inputs. The baseline, in the same run, merely opens, reads and
 * closes exactly the input files that walk recorded (a recorded-absent file is one failed
 * open), so the ratio is the cost of layerstore's parsing, validation, hashing and bookkeeping
 * over the bare file I/O it cannot avoid. One warm-up round fills the page cache first; then
 * walk and baseline alternate for N rounds and the best and mean rounds are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "layerstore.h"

struct bench {
    struct layerstore *ls;
    char **ids;
    size_t n_ids;
    struct ls_inputs *inputs; /* per container, from the warm-up round */
    size_t failed, layers, files;
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

static double round_read(struct bench *b)
{
    static char buf[1 << 16];
    int dirfd = layerstore_dirfd(b->ls);
    double t0 = now_us();
    for (size_t i = 0; i < b->n_ids; i++) {
        const struct ls_inputs *in = &b->inputs[i];
        for (size_t k = 0; k < in->n; k++) {
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
    fprintf(out, "Usage: bench-walk DATAROOT [--rounds N] [--driver NAME]\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rounds", required_argument, NULL, 'r'},
        {"driver", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ls_options opts = {0};
    struct bf_error err = BF_ERROR_INIT;
    struct bench b = {0};
    long rounds = 5;
    int c, status = 0;

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
            opts.driver = optarg;
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
    if (layerstore_open(argv[optind], &opts, &b.ls, &err) < 0 ||
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
    if (!b.inputs) {
        fprintf(stderr, "bench-walk: out of memory\n");
        return 1;
    }

    /* Warm-up: fills the page cache and records what each walk reads. */
    for (size_t i = 0; i < b.n_ids; i++) {
        size_t layers = 0;
        if (walk_one(&b, b.ids[i], &b.inputs[i], &layers, &err) < 0) {
            if (b.failed < 5)
                fprintf(stderr, "bench-walk: %s\n", bf_error_message(&err));
            bf_error_clear(&err);
            b.failed++;
        }
        b.layers += layers;
        b.files += b.inputs[i].n;
    }
    if (b.failed)
        status = 1;

    double best_walk = 0, best_read = 0, sum_walk = 0, sum_read = 0;
    for (long r = 0; r < rounds; r++) {
        double tw = round_walk(&b);
        double tr = round_read(&b);
        if (r == 0 || tw < best_walk)
            best_walk = tw;
        if (r == 0 || tr < best_read)
            best_read = tr;
        sum_walk += tw;
        sum_read += tr;
    }
    double n = (double)b.n_ids;
    printf("bench-walk: %s (driver %s)\n", layerstore_root(b.ls),
           ls_driver_name(layerstore_driver(b.ls)));
    printf("containers: %zu (%zu failed), layers walked: %zu, input files: %zu (%.1f per "
           "container)\n",
           b.n_ids, b.failed, b.layers, b.files, (double)b.files / n);
    printf("rounds:     %ld (after 1 warm-up round)\n", rounds);
    printf("walk:       %.1f us/container (best round; mean %.1f)\n", best_walk / n,
           sum_walk / (double)rounds / n);
    printf("read only:  %.1f us/container (open/read/close of the same files; best; mean %.1f)\n",
           best_read / n, sum_read / (double)rounds / n);
    printf("ratio:      %.2f (walk / read only, best rounds)\n",
           best_read > 0 ? best_walk / best_read : 0.0);

    for (size_t i = 0; i < b.n_ids; i++)
        ls_inputs_free(&b.inputs[i]);
    free(b.inputs);
    ls_strv_free(b.ids, b.n_ids);
    layerstore_close(b.ls);
    return status;
}
