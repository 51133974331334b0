/* replay.c - run a fuzz target's checks over saved inputs, without libFuzzer.
 *
 *   replay_<target> FILE_OR_DIR...
 *
 * Built with any compiler when fuzzing is off, so the normal and the sanitizer test passes
 * replay the checked-in corpus and every crash ever found (tests/fuzz/regressions/<target>/)
 * through the same target code libFuzzer runs. Prints one line per input only on failure
 * (the target aborts); exits 0 when every input ran. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;

    if (!fp) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *n = realloc(buf, cap);
            if (!n) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                free(buf);
                fclose(fp);
                return -1;
            }
            buf = n;
        }
        size_t r = fread(buf + len, 1, cap - len, fp);
        if (r == 0)
            break;
        len += r;
    }
    fclose(fp);
    /* Exact size: a sanitizer then sees any read past the input. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path, size_t *count)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    DIR *d = opendir(path);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    int rc = 0;

    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char **nn = realloc(names, (n + 1) * sizeof(*names));
        if (!nn || asprintf(&nn[n], "%s/%s", path, e->d_name) < 0) {
            closedir(d);
            return -1;
        }
        names = nn;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && run_path(names[i], count) < 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int rc = 0;

    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count) < 0)
            rc = 1;
    printf("replayed %zu inputs\n", count);
    if (count == 0) {
        fprintf(stderr, "replay: no inputs\n");
        rc = 1;
    }
    return rc;
}
