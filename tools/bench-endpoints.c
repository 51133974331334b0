/* bench-endpoints - what reading libnetwork's store costs per container, in one run.
 *
 *   bench-endpoints DATAROOT [--rounds N]
 *
 * For every container (loaded once beforehand), three timings, best of N rounds:
 *   container  layerstore_container_load alone (config.v2.json, hostconfig.json, mounts):
 *              the baseline, what every generation pays anyway;
 *   cached     layerstore_endpoints_load with one layerstore (the index taken from one
 *              snapshot of local-kv.db is reused while the file is unchanged, as in the daemon);
 *   renewed    the same with a fresh layerstore per container, so every call takes a new
 *              snapshot of the whole file and indexes it (what each bundlefsctl process does,
 *              and the daemon once per commit of the store).
 * Prints microseconds per container and the ratios of cached and renewed to the baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layerstore.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int die(const char *what, struct bf_error *err)
{
    fprintf(stderr, "bench-endpoints: %s: %s\n", what, bf_error_message(err));
    return 1;
}

int main(int argc, char **argv)
{
    struct bf_error err = BF_ERROR_INIT;
    struct layerstore *ls = NULL;
    struct ls_container **cs;
    char **ids = NULL;
    size_t n = 0, found = 0;
    int rounds = 5;
    double best[3] = {1e30, 1e30, 1e30};

    if (argc == 4 && strcmp(argv[2], "--rounds") == 0 && atoi(argv[3]) > 0)
        rounds = atoi(argv[3]);
    else if (argc != 2) {
        fprintf(stderr, "usage: bench-endpoints DATAROOT [--rounds N]\n");
        return 2;
    }
    if (layerstore_open(argv[1], NULL, &ls, &err) < 0 ||
        layerstore_container_ids(ls, &ids, &n, &err) < 0)
        return die(argv[1], &err);
    if (!n) {
        fprintf(stderr, "bench-endpoints: %s: no containers\n", argv[1]);
        return 1;
    }
    cs = calloc(n, sizeof(*cs));
    for (size_t i = 0; cs && i < n; i++)
        if (layerstore_container_load(ls, ids[i], &cs[i], NULL, &err) < 0)
            return die(ids[i], &err);
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (size_t i = 0; i < n; i++) {
            struct ls_container *c;
            if (layerstore_container_load(ls, ids[i], &c, NULL, &err) < 0)
                return die(ids[i], &err);
            ls_container_free(c);
        }
        double t1 = now();
        found = 0;
        for (size_t i = 0; i < n; i++) {
            struct ls_endpoints e;
            if (layerstore_endpoints_load(ls, cs[i], &e, NULL, &err) < 0)
                return die(ids[i], &err);
            found += e.n_found;
            ls_endpoints_free(&e);
        }
        double t2 = now();
        for (size_t i = 0; i < n; i++) {
            struct layerstore *fresh;
            struct ls_endpoints e;
            if (layerstore_open(argv[1], NULL, &fresh, &err) < 0 ||
                layerstore_endpoints_load(fresh, cs[i], &e, NULL, &err) < 0)
                return die(ids[i], &err);
            ls_endpoints_free(&e);
            layerstore_close(fresh);
        }
        double t3 = now();
        double d[3] = {t1 - t0, t2 - t1, t3 - t2};
        for (int k = 0; k < 3; k++)
            if (d[k] < best[k])
                best[k] = d[k];
    }
    printf("%zu containers, %zu endpoint records found per round, best of %d rounds\n", n, found,
           rounds);
    printf("container load (baseline)  %9.1f us/container\n", best[0] / (double)n * 1e6);
    printf("endpoints, cached snapshot %9.1f us/container  ratio %.2f\n", best[1] / (double)n * 1e6,
           best[1] / best[0]);
    printf("endpoints, renewed snapshot%9.1f us/container  ratio %.2f\n", best[2] / (double)n * 1e6,
           best[2] / best[0]);
    for (size_t i = 0; i < n; i++)
        ls_container_free(cs[i]);
    free(cs);
    ls_strv_free(ids, n);
    layerstore_close(ls);
    return 0;
}
