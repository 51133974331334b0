/* spec.h - turn what layerstore read into a container's bundle files, as exact bytes.
 *
 * This is the one place bundle bytes come from: the FUSE front end, the command-line tool and
 * the tests all call spec_bundle_generate() and serve or print what it returns. A bundle is a
 * consistent snapshot of one container: every file is rendered once, from one reading of the
 * inputs, and carries its exact length (the filesystem's st_size).
 *
 * Rules: ../shared/docs/docker-data-root.md §3-§6 and ../shared/seeds/ (windowsoci 0.3.0, the
 * seed's createSpec and getLibcontainerdCreateOptions); OCI runtime-spec 1.3.0 `windows`.
 */
#ifndef SPEC_H
#define SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "bf_error.h"
#include "layerstore.h"

enum spec_format {
    SPEC_FORMAT_OCI,        /* OCI runtime-spec 1.3.0 with `windows` as today's Docker builds it */
    SPEC_FORMAT_WINDOWSOCI, /* the seed's 0.3.0 "(Windows)" format, createSpec variant B */
};

struct spec_options {
    enum spec_format format;
    bool compact;                  /* false: 2-space indent + trailing newline */
    const char *isolation;         /* used when hostconfig and daemon.json say nothing;
                                      NULL = "process" */
    const char *credspec_registry; /* directory with one file per registry:// value name;
                                      NULL = registry:// credential specs are an error */
    unsigned host_cpus;            /* host CPU count for NanoCpus with process isolation;
                                      0 = the CPU count of the machine running bundlefs */
};

enum spec_file {
    SPEC_FILE_CONFIG,        /* config.json */
    SPEC_FILE_CREATEOPTIONS, /* createoptions.json */
    SPEC_FILE_LAYERPATHS,    /* layerpaths */
    SPEC_FILE_UTILITYVM,     /* utilityvm symlink target (no newline); only when has_uvm */
    SPEC_FILE_MOUNTOPTS,     /* mountopts: overlay2 mount data of a Linux container's root */
    SPEC_FILE_COUNT,
};

struct spec_blob {
    char *data; /* exact bytes (NUL-terminated for convenience, not counted in len) */
    size_t len;
    struct bf_error err; /* err.code != 0: this file could not be generated; data is NULL */
};

struct spec_bundle {
    char id[LS_ID_LEN + 1];
    char *name;    /* container name without '/', NULL if config.v2.json could not be read */
    bool hyperv;   /* resolved isolation is Hyper-V */
    bool has_uvm;  /* a utility VM folder was found (the utilityvm link exists) */
    bool is_linux; /* a Linux container: no createoptions.json or utilityvm */
    char mount_id[LS_ID_LEN + 6]; /* its read-write layer's folder name ("" when unknown) */
    bool omit[SPEC_FILE_COUNT]; /* files this container does not have (not listed at all) */
    struct spec_blob files[SPEC_FILE_COUNT];
    char *note;   /* a problem that stopped no file (no endpoint record found), or NULL;
                     it is also the last line of `errors` */
    char *name_note; /* a Name too long to be kept (not in by-name), or NULL; a line of
                        `errors` before the note */
    char *errors; /* contents of the `error` file: one message per line, "\n"-terminated;
                     NULL when every file was generated and there is no note */
    size_t errors_len;
    struct ls_inputs inputs; /* every file read or probed, for st_mtime and staleness */
};

/* Generate every file of container `id` (full 64-hex ID). A container whose files cannot be
 * generated still gets a bundle: each failed file has its error set and `errors` lists them.
 * Returns < 0 only when no bundle can be built at all (out of memory, invalid id). */
int spec_bundle_generate(struct layerstore *ls, const char *id, const struct spec_options *opts,
                         struct spec_bundle **out, struct bf_error *err);
void spec_bundle_free(struct spec_bundle *b);
/* Free what the module keeps for the whole process (the default seccomp profile, parsed once,
 * and its results shared per capability set). Only at exit: nothing may generate afterwards. */
void spec_cleanup(void);

const char *spec_file_name(enum spec_file f); /* "config.json", ... */
int spec_format_parse(const char *s, enum spec_format *out);   /* "oci" | "windowsoci" */

/* `layerpaths` bytes: each path followed by '\n', top-most first. Empty walk gives "". */
int spec_render_layerpaths(const struct ls_walk *w, char **out, size_t *len,
                           struct bf_error *err);

/* The Windows argument escaper (Go syscall.EscapeArg, doc §4). Returns malloc'd or NULL. */
char *spec_escape_arg(const char *arg);

#endif
