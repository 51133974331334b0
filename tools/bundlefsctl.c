/* bundlefsctl - command-line front end over layerstore and spec.
 *
 *   bundlefsctl [OPTIONS] DATAROOT COMMAND [ARG]
 *
 * Every command prints plain, newline-terminated text on stdout. Failures print
 * "bundlefsctl: <message>" on stderr and exit 1; usage errors exit 2. Commands that list many
 * things (containers, images) print every entry they can, print a placeholder line for a broken
 * one (its error goes to stderr), and exit 1 at the end if anything was broken.
 *
 * Adding a command: write `static int cmd_x(struct ctl *ctl, const char *arg, struct bf_error
 * *err)` and add one row to `commands[]`. Return 0, a negative errno with `err` filled (printed
 * by main), or CTL_PARTIAL when the command already reported its errors itself.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_util.h"
#include "layerstore.h"
#include "spec.h"

#define CTL_PARTIAL 1 /* some entries were broken; already reported on stderr */

struct ctl {
    const char *dataroot;
    struct ls_options ls_opts;
    struct spec_options spec; /* for the spec commands */
    struct layerstore *ls;
};

struct command {
    const char *name;
    const char *arg; /* NULL: takes no argument; else the argument's name for usage */
    const char *help;
    int (*run)(struct ctl *ctl, const char *arg, struct bf_error *err);
};

static void report(const char *msg)
{
    fprintf(stderr, "bundlefsctl: %s\n", msg);
}

static const char *dash(const char *s)
{
    return s && *s ? s : "-";
}

/* ---- helpers ---- */

static int resolve_image(struct ctl *ctl, const char *ref, char out[LS_DIGEST_LEN + 1],
                         struct bf_error *err)
{
    const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
    char **ids = NULL;
    size_t n = 0, hits = 0;
    const char *hit = NULL;
    int r;

    if (!*hex)
        return bf_error_set(err, EINVAL, "Prefix can't be empty");
    r = layerstore_image_ids(ctl->ls, &ids, &n, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(ids[i] + 7, hex, strlen(hex)) == 0) {
            hits++;
            hit = ids[i];
        }
    }
    if (hits == 1)
        memcpy(out, hit, LS_DIGEST_LEN + 1);
    else if (hits > 1)
        r = bf_error_set(err, EINVAL, "Multiple IDs found with provided prefix: %s", ref);
    else if (bf_is_hex64(hex))
        snprintf(out, LS_DIGEST_LEN + 1, "sha256:%s", hex); /* let loading say what is wrong */
    else
        r = bf_error_set(err, ENOENT, "No such image: %s", ref);
    ls_strv_free(ids, n);
    return r;
}

/* ---- commands ---- */

static int cmd_containers(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    char **ids = NULL;
    size_t n = 0;
    bool broken = false;
    int r;

    (void)arg;
    r = layerstore_container_ids(ctl->ls, &ids, &n, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        struct bf_error e = BF_ERROR_INIT;
        struct ls_container *c = NULL;
        struct ls_walk w = {0};

        if (layerstore_container_walk(ctl->ls, ids[i], &c, NULL, &w, NULL, &e) < 0) {
            ls_walk_free(&w);
            ls_container_free(c);
            printf("%s\t-\t-\t-\n", ids[i]);
            fflush(stdout);
            report(bf_error_message(&e));
            bf_error_clear(&e);
            broken = true;
            continue;
        }
        printf("%s\t%s\t%s\t%zu\n", c->id, c->name ? c->name : "", c->image_id, w.n);
        ls_walk_free(&w);
        ls_container_free(c);
    }
    ls_strv_free(ids, n);
    return broken ? CTL_PARTIAL : 0;
}

static int cmd_images(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    char **ids = NULL;
    size_t n = 0;
    bool broken = false;
    int r;

    (void)arg;
    r = layerstore_image_ids(ctl->ls, &ids, &n, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        struct bf_error e = BF_ERROR_INIT;
        struct ls_image *img = NULL;
        char **tags = NULL;
        size_t nt = 0;

        if (layerstore_image_load(ctl->ls, ids[i], &img, NULL, &e) < 0 ||
            layerstore_image_tags(ctl->ls, ids[i], &tags, &nt, NULL, &e) < 0) {
            printf("%s\t-\t-\t-\t-\n", ids[i]);
            fflush(stdout);
            report(bf_error_message(&e));
            bf_error_clear(&e);
            ls_image_free(img);
            broken = true;
            continue;
        }
        size_t layers = img->n_diff_ids + (img->base_layer ? 1 : 0);
        printf("%s\t%s\t%s\t%zu\t", img->id, dash(img->os), dash(img->architecture), layers);
        for (size_t t = 0; t < nt; t++)
            printf("%s%s", t ? "," : "", tags[t]);
        printf("%s\n", nt ? "" : "-");
        ls_strv_free(tags, nt);
        ls_image_free(img);
    }
    ls_strv_free(ids, n);
    return broken ? CTL_PARTIAL : 0;
}

static int cmd_layers(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    char id[LS_DIGEST_LEN + 1];
    struct ls_image *img = NULL;
    struct ls_walk w = {0};
    int r;

    r = resolve_image(ctl, arg, id, err);
    if (r < 0)
        return r;
    r = layerstore_image_load(ctl->ls, id, &img, NULL, err);
    if (r < 0)
        return r;
    r = layerstore_walk(ctl->ls, img, &w, NULL, err);
    ls_image_free(img);
    if (r < 0)
        return r;
    for (size_t i = 0; i < w.n; i++)
        printf("%s\t%s\t%s\t%s\n", w.layers[i].chain_id, w.layers[i].diff_id, w.layers[i].cache_id,
               w.layers[i].path);
    ls_walk_free(&w);
    return 0;
}

/* Print one file of the container's bundle: exactly the bytes the filesystem serves. */
/* The bundle of CONTAINER (an ID, unique prefix or name); id receives its full ID. */
static int generate(struct ctl *ctl, const char *arg, char id[LS_ID_LEN + 1],
                    struct spec_bundle **b, struct bf_error *err)
{
    int r = layerstore_container_resolve(ctl->ls, arg, id, err);

    return r < 0 ? r : spec_bundle_generate(ctl->ls, id, &ctl->spec, b, err);
}

static int print_bundle_file(struct ctl *ctl, const char *arg, enum spec_file which,
                             struct bf_error *err)
{
    char id[LS_ID_LEN + 1];
    struct spec_bundle *b = NULL;
    const struct spec_blob *f;
    int r;

    r = generate(ctl, arg, id, &b, err);
    if (r < 0)
        return r;
    f = &b->files[which];
    if (f->err.code) {
        r = bf_error_set(err, f->err.code, "%s", bf_error_message(&f->err));
    } else if (which == SPEC_FILE_UTILITYVM && !b->has_uvm) {
        r = bf_error_set(err, ENOENT, "container %s has no utility VM (%s)", id,
                         b->is_linux ? "a Linux container"
                         : b->hyperv ? "its image has no UtilityVM folder"
                                     : "not Hyper-V isolated");
    } else if (b->omit[which]) {
        r = bf_error_set(err, ENOENT, "container %s has no %s (%s)", id, spec_file_name(which),
                         b->is_linux ? "a Linux container on the storage driver of this data-root"
                                     : "a Windows container");
    } else if (f->len && fwrite(f->data, 1, f->len, stdout) != f->len) {
        r = bf_error_set(err, errno ? errno : EIO, "stdout: write error");
    } else if (which == SPEC_FILE_UTILITYVM && putchar('\n') == EOF) {
        r = bf_error_set(err, EIO, "stdout: write error");
    }
    spec_bundle_free(b);
    return r;
}

static int cmd_layerpaths(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    return print_bundle_file(ctl, arg, SPEC_FILE_LAYERPATHS, err);
}

static int cmd_config(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    return print_bundle_file(ctl, arg, SPEC_FILE_CONFIG, err);
}

static int cmd_createoptions(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    return print_bundle_file(ctl, arg, SPEC_FILE_CREATEOPTIONS, err);
}

static int cmd_utilityvm(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    return print_bundle_file(ctl, arg, SPEC_FILE_UTILITYVM, err);
}

static int cmd_mountopts(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    return print_bundle_file(ctl, arg, SPEC_FILE_MOUNTOPTS, err);
}

/* The names of the files the container's folder has, one per line, in the mount's order. */
static int cmd_files(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    char id[LS_ID_LEN + 1];
    struct spec_bundle *b = NULL;
    int r;

    r = generate(ctl, arg, id, &b, err);
    if (r < 0)
        return r;
    for (int i = 0; i < SPEC_FILE_COUNT; i++)
        if (!b->omit[i])
            printf("%s\n", spec_file_name(i));
    if (b->errors_len)
        printf("error\n");
    spec_bundle_free(b);
    if (fflush(stdout) != 0)
        return bf_error_set(err, EIO, "stdout: write error");
    return 0;
}

/* The `error` file: empty output (and exit 0) when every file was generated. */
static int cmd_errors(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    char id[LS_ID_LEN + 1];
    struct spec_bundle *b = NULL;
    int r;

    r = generate(ctl, arg, id, &b, err);
    if (r < 0)
        return r;
    if (b->errors_len && fwrite(b->errors, 1, b->errors_len, stdout) != b->errors_len)
        r = bf_error_set(err, errno ? errno : EIO, "stdout: write error");
    spec_bundle_free(b);
    return r;
}

static int cmd_layerfolder(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    char id[LS_ID_LEN + 1];
    struct ls_container *c = NULL;
    int r;

    r = layerstore_container_resolve(ctl->ls, arg, id, err);
    if (r < 0)
        return r;
    r = layerstore_container_load(ctl->ls, id, &c, NULL, err);
    if (r < 0)
        return r;
    printf("%s\n", c->layer_path);
    ls_container_free(c);
    return 0;
}

static int cmd_resolve(struct ctl *ctl, const char *arg, struct bf_error *err)
{
    char id[LS_ID_LEN + 1];
    int r;

    r = layerstore_container_resolve(ctl->ls, arg, id, err);
    if (r < 0)
        return r;
    printf("%s\n", id);
    return 0;
}

static const struct command commands[] = {
    {"containers", NULL, "one line per container: id, name, image id, layer count", cmd_containers},
    {"images", NULL, "one line per image: id, os, architecture, layer count, tags", cmd_images},
    {"layers", "IMAGE", "the image's layers, top-most first: chain id, diff id, cache id, path",
     cmd_layers},
    {"layerpaths", "CONTAINER", "the container's `layerpaths` file", cmd_layerpaths},
    {"config", "CONTAINER", "the container's `config.json` (see --spec)", cmd_config},
    {"createoptions", "CONTAINER", "the container's `createoptions.json`", cmd_createoptions},
    {"utilityvm", "CONTAINER", "where the `utilityvm` link points (Hyper-V only)", cmd_utilityvm},
    {"mountopts", "CONTAINER", "the overlay2 mount options of a Linux container's root",
     cmd_mountopts},
    {"errors", "CONTAINER", "the container's `error` file (empty when all is well)", cmd_errors},
    {"files", "CONTAINER", "the names of the files the container's folder has", cmd_files},
    {"layerfolder", "CONTAINER", "the container's own (read-write) layer folder", cmd_layerfolder},
    {"resolve", "REF", "the full ID of a container given by ID, unique ID prefix or name",
     cmd_resolve},
};

/* ---- main ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: bundlefsctl [OPTIONS] DATAROOT COMMAND [ARG]\n"
            "\n"
            "Read a Docker data-root (e.g. /var/lib/docker, or a copy of C:\\ProgramData\\docker)\n"
            "and print what bundlefs would serve.\n"
            "\n"
            "Options:\n"
            "  --driver=NAME            storage driver: windowsfilter, overlay2 or vfs\n"
            "                           (default: detected from DATAROOT/image/)\n"
            "  --hostroot=WINPATH       render paths as Windows paths under WINPATH,\n"
            "                           e.g. C:\\ProgramData\\docker (default: local paths)\n"
            "  --spec=oci|windowsoci    spec format (default: oci)\n"
            "  --isolation=process|hyperv  isolation when neither the container nor\n"
            "                           config/daemon.json says (default: process)\n"
            "  --compact                compact JSON (default: indented)\n"
            "  --credspec-registry=DIR  directory of registry:// credential specs\n"
            "  --cpus=N                 host CPU count for NanoCpus (default: this machine's)\n"
            "  --daemon-config=FILE     the Linux daemon's configuration (dockerd --config-file;\n"
            "                           default: /etc/docker/daemon.json)\n"
            "  --help                   show this help\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < BF_ARRAY_SIZE(commands); i++) {
        char head[64];
        snprintf(head, sizeof(head), "%s%s%s", commands[i].name, commands[i].arg ? " " : "",
                 commands[i].arg ? commands[i].arg : "");
        fprintf(out, "  %-24s %s\n", head, commands[i].help);
    }
    fprintf(out, "\nCONTAINER is a full ID, a unique ID prefix or a name; IMAGE is a full or\n"
                 "unique prefix of an image ID (with or without \"sha256:\").\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "bundlefsctl: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'bundlefsctl --help'.\n");
    return 2;
}

static int parse_options(int argc, char **argv, struct ctl *ctl)
{
    enum {
        O_DRIVER = 256,
        O_HOSTROOT,
        O_SPEC,
        O_ISOLATION,
        O_COMPACT,
        O_CREDREG,
        O_CPUS,
        O_HELP,
        O_DAEMONCFG
    };
    static const struct option longopts[] = {
        {"driver", required_argument, NULL, O_DRIVER},
        {"hostroot", required_argument, NULL, O_HOSTROOT},
        {"spec", required_argument, NULL, O_SPEC},
        {"isolation", required_argument, NULL, O_ISOLATION},
        {"compact", no_argument, NULL, O_COMPACT},
        {"credspec-registry", required_argument, NULL, O_CREDREG},
        {"cpus", required_argument, NULL, O_CPUS},
        {"daemon-config", required_argument, NULL, O_DAEMONCFG},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0;
    /* GNU permutation: options may also follow the command (no ID or name starts with '-'). */
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_DRIVER:
            ctl->ls_opts.driver = optarg;
            break;
        case O_HOSTROOT:
            ctl->ls_opts.hostroot = optarg;
            break;
        case O_DAEMONCFG:
            ctl->ls_opts.daemon_config = optarg;
            break;
        case O_SPEC:
            if (strcmp(optarg, "oci") == 0)
                ctl->spec.format = SPEC_FORMAT_OCI;
            else if (strcmp(optarg, "windowsoci") == 0)
                ctl->spec.format = SPEC_FORMAT_WINDOWSOCI;
            else
                return usage_error("--spec must be oci or windowsoci, not '%s'", optarg);
            break;
        case O_ISOLATION:
            if (strcmp(optarg, "process") != 0 && strcmp(optarg, "hyperv") != 0)
                return usage_error("--isolation must be process or hyperv, not '%s'", optarg);
            ctl->spec.isolation = optarg;
            break;
        case O_COMPACT:
            ctl->spec.compact = true;
            break;
        case O_CREDREG:
            ctl->spec.credspec_registry = optarg;
            break;
        case O_CPUS: {
            char *end = NULL;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || !*optarg || *end || v == 0 || v > 65536 || optarg[0] == '-')
                return usage_error("--cpus must be a positive integer, not '%s'", optarg);
            ctl->spec.host_cpus = (unsigned)v;
            break;
        }
        case O_HELP:
            usage(stdout);
            exit(0);
        default:
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct ctl ctl = {.spec = {.format = SPEC_FORMAT_OCI}};
    struct bf_error err = BF_ERROR_INIT;
    const struct command *cmd = NULL;
    const char *arg = NULL;
    int r;

    r = parse_options(argc, argv, &ctl);
    if (r)
        return r;
    if (argc - optind < 2)
        return usage_error("%s",
                           argc - optind < 1 ? "missing DATAROOT and COMMAND" : "missing COMMAND");
    ctl.dataroot = argv[optind];
    for (size_t i = 0; i < BF_ARRAY_SIZE(commands); i++)
        if (strcmp(commands[i].name, argv[optind + 1]) == 0)
            cmd = &commands[i];
    if (!cmd)
        return usage_error("unknown command '%s'", argv[optind + 1]);
    if (cmd->arg) {
        if (argc - optind != 3)
            return usage_error(
                argc - optind < 3 ? "%s: missing argument" : "%s: too many arguments", cmd->name);
        arg = argv[optind + 2];
    } else if (argc - optind != 2) {
        return usage_error("%s: takes no argument", cmd->name);
    }

    r = layerstore_open(ctl.dataroot, &ctl.ls_opts, &ctl.ls, &err);
    if (r == 0)
        r = cmd->run(&ctl, arg, &err);
    layerstore_close(ctl.ls);
    spec_cleanup();
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (r >= 0)
            r = bf_error_set(&err, errno ? errno : EIO, "stdout: write error: %s",
                             strerror(errno ? errno : EIO));
    }
    if (r < 0) {
        report(bf_error_message(&err));
        bf_error_clear(&err);
        return 1;
    }
    return r == CTL_PARTIAL ? 1 : 0;
}
