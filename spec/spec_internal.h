/* spec_internal.h - the spec module's building blocks, shared by its renderers and tests. */
#ifndef SPEC_INTERNAL_H
#define SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "bf_error.h"
#include "layerstore.h"

/* ---- isolation (isolation.c) ---- */

enum spec_isolation {
    SPEC_ISOLATION_PROCESS,
    SPEC_ISOLATION_HYPERV,
};

/* HostConfig.Isolation, compared case-insensitively: "process"/"hyperv" as given; ""/"default"
 * take daemon.json's exec-opts isolation (dc may be NULL or without one), else `fallback`
 * (NULL = "process"). Anything else is Docker's "invalid --isolation" error. */
int spec_isolation_resolve(const struct ls_container *c, const struct ls_daemon_config *dc,
                           const char *fallback, enum spec_isolation *out, struct bf_error *err);

/* ---- credential specs (credspec.c) ---- */

enum spec_credspec_kind {
    SPEC_CREDSPEC_FILE,
    SPEC_CREDSPEC_REGISTRY,
};

struct spec_credspec {
    enum spec_credspec_kind kind;
    char *value; /* what follows file:// or registry:// (lowercased, as Docker did in 2016) */
};

/* Parse HostConfig.SecurityOpt with the 2016 rules (the seed's last
 * getLibcontainerdCreateOptions): each option lowercased, "credentialspec=file://<path>" or
 * "credentialspec=registry://<name>"; Docker's exact error texts. One entry per option, in
 * order. `container_id` is only used in messages. */
int spec_credspec_parse(const char *container_id, char *const *opts, size_t n,
                        struct spec_credspec **out, size_t *n_out, struct bf_error *err);
void spec_credspec_free(struct spec_credspec *v, size_t n);

/* Read one credential spec: file:// from R/CredentialSpecs (every component matched
 * case-insensitively, as on NTFS; absolute paths, drive letters and paths leaving the folder
 * refused), registry:// from `registry_dir` (one file per value name; NULL = error).
 * *content is valid UTF-8 without NUL bytes. */
int spec_credspec_read(struct layerstore *ls, const char *container_id,
                       const struct spec_credspec *cs, const char *registry_dir, char **content,
                       struct ls_inputs *in, struct bf_error *err);

#define SPEC_CREDSPEC_CAP (1u << 20)

#endif
