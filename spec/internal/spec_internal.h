/* spec_internal.h - the spec module's building blocks, shared by its renderers and tests. */
#ifndef SPEC_INTERNAL_H
#define SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "bf_error.h"
#include "layerstore.h"

/* ---- Windows paths (winpath.c) ---- */

/* Go's filepath.Clean with Windows rules (Go 1.7: the daemon of the seed's era). */
char *spec_win_clean(const char *path);
/* process.cwd of a Windows container: "C:\" when WorkingDir is empty, else WorkingDir cleaned
 * as SetupWorkingDirectory does, except for a container stored as Hyper-V (kept as stored).
 * NULL when out of memory. */
char *spec_win_cwd(const struct ls_container *c);

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

/* ---- mounts (mounts.c) ---- */

struct spec_mount {
    char *destination;
    char *source;  /* a named local volume: R/volumes/<name>/_data, rendered; else Source */
    bool readonly; /* !RW */
};

/* MountPoints in Docker's order made deterministic: fewer path separators in the cleaned
 * destination first ('/' and '\\' both count), ties by destination bytes. A volume must exist
 * (R/volumes/<name>, recorded in `in`), a bind must have a Source: else Docker's error. */
int spec_mounts_build(const struct layerstore *ls, const struct ls_container *c,
                      struct spec_mount **out, size_t *n, struct ls_inputs *in,
                      struct bf_error *err);
void spec_mounts_free(struct spec_mount *v, size_t n);

/* ---- resources (resources.c) ---- */

/* windowsoci (0.3.0) resources: the seed always set cpu.shares; the fields it left as TODO are
 * filled from HostConfig and written only when non-zero. */
struct spec_resources_woci {
    uint64_t cpu_shares; /* always written */
    bool has_cpu_count, has_cpu_percent, has_mem_limit, has_mem_reservation;
    bool has_iops, has_bps, has_sandbox_size;
    uint64_t cpu_count;
    int64_t cpu_percent;
    int64_t mem_limit;
    uint64_t mem_reservation, iops, bps, sandbox_size;
};

/* OCI 1.3 windows.resources as today's Docker builds it (doc §6.6). */
struct spec_resources_oci {
    bool has_cpu; /* count, shares, maximum: all three or none */
    uint64_t cpu_count;
    uint16_t cpu_shares, cpu_maximum;
    bool has_memory;
    uint64_t mem_limit;
    bool has_storage; /* iops and bps: both or none */
    uint64_t iops, bps;
};

int spec_resources_woci(const struct ls_container *c, struct spec_resources_woci *out,
                        struct bf_error *err);
/* host_cpus: the CPU count used for NanoCpus under process isolation (must be > 0). */
void spec_resources_oci(const struct ls_container *c, bool hyperv, unsigned host_cpus,
                        struct spec_resources_oci *out);

/* go-units RAMInBytes (1024-based): "20G", "512 mb", "1.5GiB"; Docker parses StorageOpt size
 * with it. */
int spec_parse_ram_bytes(const char *s, uint64_t *out);

/* ---- network endpoints ---- */

/* What libnetwork knows of one joined network (filled from its store by the network-endpoints
 * issue; empty until then). */
struct spec_endpoint_info {
    const char *network;  /* network name (input is sorted by it) */
    const char *hnsid;    /* the HNS endpoint ID ("hnsid" / profileID), NULL when unknown */
    bool nat;             /* the network's driver is "nat" */
    const char *gw_hnsid; /* GW_INFO.hnsid of this endpoint's DriverInfo, NULL when none */
};

/* The seed's rule (last getLibcontainerdCreateOptions): each network's hnsid in order, then the
 * last non-empty GW_INFO hnsid seen appended once; AllowUnqualifiedDNSQuery when any endpoint
 * is on a nat network. *list is malloc'd (pointers into `in`), NULL when empty. */
int spec_endpoints_build(const struct spec_endpoint_info *in, size_t n, const char ***list,
                         size_t *n_list, bool *allow_unqualified, struct bf_error *err);

/* ---- the model both renderers work from ---- */

struct spec_model {
    const struct ls_container *c;
    const struct ls_image *img;
    const struct ls_walk *walk;
    enum spec_isolation isolation;
    const char *layer_folder; /* the container's own folder, rendered */
    const char *uvm_path;     /* the format's utility VM rule already applied; NULL = none */
    const struct spec_mount *mounts;
    size_t n_mounts;
    bool network_store;           /* R/network/files/local-kv.db exists */
    const char *const *endpoints; /* HNS endpoint IDs, in output order */
    size_t n_endpoints;
    bool compact;
    /* oci only */
    bool allow_unqualified_dns;           /* an endpoint is on a `nat` network */
    const char *const *daemon_dns_search; /* daemon.json dns-search, used when DnsSearch is empty */
    size_t n_daemon_dns_search;
    const char *shared_container_id; /* full ID for NetworkMode "container:<x>", else NULL */
    const char *credential_spec;     /* the last credential spec's content, NULL = none */
    unsigned host_cpus;
};

/* windowsoci (0.3.0 "(Windows)", createSpec variant B, doc §6.1). */
int spec_render_windowsoci(const struct spec_model *m, char **out, size_t *len,
                           struct bf_error *err);

/* OCI runtime-spec 1.3.0 with `windows` as today's Docker builds it (doc §6.6). */
int spec_render_oci(const struct spec_model *m, char **out, size_t *len, struct bf_error *err);

/* createoptions.json: the seed's last getLibcontainerdCreateOptions as a JSON array in append
 * order. `credentials` holds each credential spec's content, in SecurityOpt order. */
int spec_render_createoptions(const struct spec_model *m, const char *const *credentials,
                              size_t n_credentials, char **out, size_t *len, struct bf_error *err);

/* ---- JSON documents (json.c) ---- */

/* A value of a document being built: json.c's own node, allocated from the builder's arena. */
struct spec_node;
struct spec_ablock;

/* A document builder that remembers failure instead of checking every call: a NULL value (out
 * of memory), a NULL or wrong container, or a node put twice sets `failed`, and
 * spec_b_finish turns that into one error before anything is written. Every node lives in the
 * builder's arena (a few blocks, about twice what was asked for at most), freed at once by
 * spec_b_finish or spec_b_free; `{false}` is an empty builder. */
struct spec_builder {
    bool failed;
    struct spec_ablock *blocks;
    char *cur, *end;   /* what is left of the current block */
    size_t used, step; /* bytes handed out; the current block's size */
};

/* Strings are copied and not checked: the writer checks UTF-8 once, as it writes them. */
struct spec_node *spec_b_str(struct spec_builder *b, const char *s); /* NULL -> "" */
struct spec_node *spec_b_strn(struct spec_builder *b, const char *s, size_t len);
struct spec_node *spec_b_obj(struct spec_builder *b);
struct spec_node *spec_b_arr(struct spec_builder *b);
struct spec_node *spec_b_u64(struct spec_builder *b, uint64_t v);
struct spec_node *spec_b_i64(struct spec_builder *b, int64_t v);
struct spec_node *spec_b_bool(struct spec_builder *b, bool v);
struct spec_node *spec_b_null(struct spec_builder *b);
/* A value rendered beforehand with spec_json_render_value(v, compact, depth) (the bytes are
 * copied), put where the writer meets it at that depth in that format (anywhere else the
 * render fails with EINVAL): for a large shared value, written once instead of once per
 * document. */
struct spec_node *spec_b_raw(struct spec_builder *b, const char *bytes, size_t len, bool compact,
                             int depth);
/* A copy of a jansson value (a document read from a file), keys in its order. */
struct spec_node *spec_b_json(struct spec_builder *b, const json_t *v);
/* Elements of an array, members of an object; 0 for anything else. */
size_t spec_b_count(const struct spec_node *v);
/* Appends: insertion order is the written order. `key` is not copied (a literal, or a string
 * that outlives the builder), and the caller puts each key of an object once: there is no
 * lookup, and a key put twice would be written twice. */
void spec_b_put(struct spec_builder *b, struct spec_node *obj, const char *key,
                struct spec_node *v);
void spec_b_push(struct spec_builder *b, struct spec_node *arr, struct spec_node *v);
/* For a map layerstore gives sorted by key: false for an entry whose next has the same key,
 * so that the last of a key wins, at its place, as it did with jansson's set. */
static inline bool spec_kv_last(const struct ls_kv *kv, size_t n, size_t i)
{
    return i + 1 >= n || strcmp(kv[i].key, kv[i + 1].key) != 0;
}
/* process.env: Config.Env without the entries that lack '=' (both formats, every era). */
void spec_b_put_env(struct spec_builder *b, struct spec_node *process,
                    const struct ls_container *c);
/* "hostname": Hostname, plus "." + Domainname when set; nothing when Hostname is empty. */
void spec_b_put_hostname(struct spec_builder *b, struct spec_node *root,
                         const struct ls_container *c);

/* Write the document: 2-space indent + "\n", or compact; one error naming the container and
 * file when the builder failed or a string is not UTF-8. Frees the builder's arena. */
int spec_b_finish(struct spec_builder *b, struct spec_node *root, bool compact, const char *id,
                  const char *file, char **out, size_t *len, struct bf_error *err);
/* Free the arena of a document that will not be finished (an error on the way). */
void spec_b_free(struct spec_builder *b);

/* A jansson tree written by the same writer: 2-space indent + "\n", or compact. */
int spec_json_render(json_t *root, bool compact, char **out, size_t *len, struct bf_error *err);
/* The bytes of value v as the writer writes it at `depth` (no trailing newline). -errno. */
int spec_json_render_value(const json_t *v, bool compact, int depth, char **out, size_t *len);

/* ---- Linux containers (caps.c, linux_mounts.c, linux.c) ---- */

/* Go's strconv.Quote (fmt's %q) of s, malloc'd: \" \\ \n ... and \xNN for other control bytes
 * and bytes that are not UTF-8. */
char *spec_go_quote(const char *s);

extern const char *const spec_default_caps[];
extern const size_t spec_n_default_caps;

/* caps.TweakCapabilities for HostConfig's CapAdd, CapDrop and Privileged; Docker's
 * `unknown capability: "CAP_X"` for a name this kernel and 20.10 do not know. */
int spec_caps_tweak(const struct ls_host *h, const struct ls_linux *lx, char ***out, size_t *n,
                    struct bf_error *err);

struct spec_lmount { /* one runtime-spec mount */
    char *destination, *type, *source;
    char **options;
    size_t n_options;
};

struct spec_lmounts {
    struct spec_lmount *v;
    size_t n;
    char *rootfs_propagation; /* set by a shared or slave bind, else NULL */
    char *note;               /* network files skipped (a never-started container), or NULL */
};

/* withMounts (and the docker-init bind of withCommonOptions): the default mounts filtered and
 * sized, then the container's binds, volumes, network files, /dev/shm and tmpfs mounts, with
 * the read-only-rootfs and privileged rules. `init_path` is the docker-init bind's source, NULL
 * for none. Every file it looks at under R is recorded in `in`. */
int spec_linux_mounts(const struct layerstore *ls, const struct ls_container *c,
                      const struct ls_host *h, const char *init_path, struct spec_lmounts *out,
                      struct ls_inputs *in, struct bf_error *err);
void spec_lmounts_free(struct spec_lmounts *m);

/* A folder of the data-root whose path the bundle hands to mount(8) or runc: reached without a
 * link (a link would take the mount outside the data-root) and a directory; an absent one is
 * an error unless `optional`. Recorded in `in`. */
int spec_probe_dir(const struct layerstore *ls, const char *rel, bool optional,
                   struct ls_inputs *in, struct bf_error *err);

/* mount.MergeTmpfsOptions over `opts` (consumed on success and on failure). */
int spec_merge_tmpfs_options(char **opts, size_t n, char ***out, size_t *n_out,
                             struct bf_error *err);

struct spec_lnamespace {
    const char *type;
    char *path; /* NULL: a new namespace */
};

struct spec_ldevice { /* linux.devices[] */
    char *path;
    char type;
    int64_t major, minor;
    uint32_t mode, uid, gid;
};

struct spec_lcgroup { /* linux.resources.devices[] */
    bool allow;
    char type[2]; /* "" for every type */
    bool has_major, has_minor;
    int64_t major, minor;
    char access[4];
};

/* Everything a Linux config.json needs beyond the container and its image, made by
 * spec_linux_prepare() with every check that can fail, so that rendering cannot. */
struct spec_linux {
    const struct ls_host *host;
    uint32_t uid, gid;
    uint32_t *gids; /* additionalGids */
    size_t n_gids;
    char **caps;
    size_t n_caps;
    char **env;
    size_t n_env;
    char **args;
    size_t n_args;
    char *root_path;
    struct spec_lmounts mounts;
    struct spec_lnamespace ns[8];
    size_t n_ns;
    bool uts_host; /* hostname "" */
    struct spec_ldevice *devices;
    size_t n_devices;
    struct spec_lcgroup *cgroups;
    size_t n_cgroups;
    char *cgroups_path;
    struct spec_lblkio { /* a blkio list's device, stat'ed on the host */
        int64_t major, minor;
        uint64_t value;
    } * blkio[LS_BLKIO_COUNT];
    size_t n_blkio[LS_BLKIO_COUNT];
    json_t *seccomp; /* owned; NULL: none */
    char *note;      /* a problem that stops no file, or NULL */
};

/* WithUser, WithCapabilities, WithSeccomp, WithMounts, WithNamespaces, WithDevices, WithCgroups
 * and withCommonOptions' checks for container c over image walk w. Every file it reads is
 * recorded in `in`. Errors are Docker's texts with the container named. */
int spec_linux_prepare(struct layerstore *ls, const struct ls_container *c, const struct ls_walk *w,
                       struct spec_linux *out, struct ls_inputs *in, struct bf_error *err);
void spec_linux_free(struct spec_linux *lx);

/* config.json of a Linux container: runtime-spec keys in specs-go order, every value as
 * Docker 20.10's createSpec sets it; ociVersion is 1.3.0 and the libnetwork-setkey hook of a
 * live dockerd is left out. */
int spec_render_linux(const struct spec_model *m, const struct spec_linux *lx, char **out,
                      size_t *len, struct bf_error *err);

/* `mountopts` of an overlay2 container: Docker's overlay2 mount data for its root, from its
 * `lower` file checked against the chain (mountopts.c). Ends with a newline. */
int spec_render_mountopts(struct layerstore *ls, const struct ls_container *c,
                          const struct ls_walk *w, const struct ls_host *h, char **out, size_t *len,
                          struct ls_inputs *in, struct bf_error *err);

#endif
