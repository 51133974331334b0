/* layerstore.h - read a Docker data-root: images, layers, containers.
 *
 * layerstore knows the on-disk formats of a Docker data-root (../shared/docs/docker-data-root.md
 * §1-§3, §7) and nothing about JSON output or FUSE. It opens the data-root once as a dirfd and
 * opens everything else relative to it through bf_file.h (no symlink is ever followed).
 *
 * Every loader takes an optional `struct ls_inputs *` that collects the identity of each file
 * it read or probed, so callers can tell the newest mtime and whether anything changed since.
 * Every failure fills a struct bf_error whose message names the file and what is wrong.
 */
#ifndef LAYERSTORE_H
#define LAYERSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bf_error.h"
#include "bf_file.h"

#define LS_MAX_LAYERS 125 /* Docker's maxLayerDepth */
#define LS_DIGEST_LEN 71  /* strlen("sha256:") + 64 */
#define LS_ID_LEN 64

enum ls_driver {
    LS_DRIVER_WINDOWSFILTER,
    LS_DRIVER_OVERLAY2,
    LS_DRIVER_VFS,
};

struct ls_options {
    const char *driver;   /* NULL: detect from R/image/<driver>/; else one of the names */
    const char *hostroot; /* NULL: local paths under R; else Windows paths under this root,
                             e.g. "C:\\ProgramData\\docker" (backslash separators) */
    const char *daemon_config; /* the Linux daemon's configuration file (dockerd's
                                  --config-file); NULL: /etc/docker/daemon.json */
    int64_t settle_ns; /* a container folder without hostconfig.json is a container once it
                          has been unchanged this long (0: 1 s; the filesystem's trust=) */
};

struct layerstore;

/* ---- inputs: what a generation read, for mtime and change detection ---- */

struct ls_input {
    char *rel; /* path relative to R */
    struct bf_stamp stamp;
};

/* Each path is in the list once, with the stamp it was first seen with (a later change is a
 * change all the same). `idx` is a hash index over v while the list is being filled. */
struct ls_strblock;
struct ls_input_slot;

struct ls_inputs {
    struct ls_input *v;
    size_t n, cap;
    struct ls_input_slot *idx; /* open addressing (inputs.c); idx_cap a power of two */
    size_t idx_cap;
    struct ls_strblock *strs; /* where the paths are kept (inputs.c) */
    uint32_t *hv; /* ls_inputs_seal_shared: each path's hash, in v's order */
    size_t dead;  /* bytes in strs of paths no entry points to (copied with a block, already in) */
};

/* Record `rel` (a no-op when it is already recorded, or when `in` is NULL). */
int ls_inputs_add(struct ls_inputs *in, const char *rel, const struct bf_stamp *stamp);
/* The stamp `rel` was recorded with, or NULL. */
const struct bf_stamp *ls_inputs_find(const struct ls_inputs *in, const char *rel);
/* Done filling: the index is dropped and the list trimmed to its length (kept memory). */
void ls_inputs_seal(struct ls_inputs *in);
void ls_inputs_free(struct ls_inputs *in);
int64_t ls_inputs_newest_mtime_ns(const struct ls_inputs *in); /* 0 when empty */
/* true when any recorded input changed, vanished or (if recorded absent) appeared */
bool ls_inputs_changed(const struct layerstore *ls, const struct ls_inputs *in);

/* ---- the store ---- */

int layerstore_open(const char *dataroot, const struct ls_options *opts, struct layerstore **out,
                    struct bf_error *err);
void layerstore_close(struct layerstore *ls);

int layerstore_dirfd(const struct layerstore *ls);
enum ls_driver layerstore_driver(const struct layerstore *ls);
const char *ls_driver_name(enum ls_driver d);
/* The data-root as given to layerstore_open, made absolute (no trailing '/'). */
const char *layerstore_root(const struct layerstore *ls);
bool layerstore_windows_paths(const struct layerstore *ls); /* hostroot was given */

/* Render `rel` ('/'-separated, relative to R) as an output path: "<R>/<rel>" locally, or
 * "<hostroot>\<rel with '\'>" for Windows rendering. Returns a malloc'd string or NULL (ENOMEM). */
char *layerstore_path(const struct layerstore *ls, const char *rel);

/* Read any file under R with bf_read_file's guarantees, recording it in `in`. */
int layerstore_read_file(const struct layerstore *ls, const char *rel, size_t cap, char **buf,
                         size_t *len, struct ls_inputs *in, struct bf_error *err);

/* Stat `rel` under R without following links, recording it in `in` (an absent path is recorded
 * as absent: its appearance is a change). *exists=false when absent (not an error). */
int layerstore_probe(const struct layerstore *ls, const char *rel, bool *exists, mode_t *mode,
                     struct ls_inputs *in, struct bf_error *err);

/* layerstore_probe of several entries of one folder in turn: the folder is opened once
 * beneath R and kept in `h` while the next probe is in it too, each entry then costs one
 * fstatat. Same answers, records and messages as layerstore_probe (which it falls back to when
 * the folder cannot be opened). layerstore_probe_done closes what `h` holds. */
struct ls_probe_dir {
    int fd;
    size_t len;
    char dir[256];
};
#define LS_PROBE_DIR_INIT {.fd = -1}
int layerstore_probe_in(const struct layerstore *ls, struct ls_probe_dir *h, const char *rel,
                        bool *exists, mode_t *mode, struct ls_inputs *in, struct bf_error *err);
void layerstore_probe_done(struct ls_probe_dir *h);

/* Record `rel` in `in` as a freshness check will see it (fstatat, not following a last link),
 * for an entry that was looked at some other way (a link read with readlinkat). */
int layerstore_record(const struct layerstore *ls, const char *rel, struct ls_inputs *in,
                      struct bf_error *err);

/* Find the entry of directory `dir_rel` whose name equals `name` case-insensitively (NTFS
 * semantics: "CredentialSpecs" finds "credentialspecs"). *found is a malloc'd actual name, or
 * NULL when there is none (not an error). An exact match wins over other case variants. */
int layerstore_lookup_ci(const struct layerstore *ls, const char *dir_rel, const char *name,
                         char **found, struct ls_inputs *in, struct bf_error *err);

/* ---- ChainID (doc §2) ---- */

/* ChainID of diff_ids[0..n): "" for n == 0, diff_ids[0] for n == 1, then
 * "sha256:" + hex(sha256(prev + " " + next)). out must hold LS_DIGEST_LEN + 1 bytes. */
void ls_chainid(const char *const *diff_ids, size_t n, char *out);
/* One step of the above: out = ChainID of (parent ... , next). */
void ls_chainid_step(const char *parent, const char *next, char *out);
/* layers+base (v1.12): BaseLayerID = hex of the first 32 bytes of SHA-384(base_layer) (64 hex),
 * baseDiffID = "sha256:" + hex(sha256(BaseLayerID)). */
void ls_base_layer_id(const char *base_layer, char out[LS_ID_LEN + 1]);
void ls_base_diff_id(const char *base_layer, char out[LS_DIGEST_LEN + 1]);

/* ---- images (imagedb) ---- */

struct ls_image {
    char id[LS_DIGEST_LEN + 1]; /* "sha256:<hex>" */
    char *os;                   /* NULL when absent */
    char *architecture;         /* NULL when absent */
    char *os_version;           /* "os.version", NULL when absent */
    char *rootfs_type;          /* "layers" or "layers+base" */
    char *base_layer;           /* "base_layer" (layers+base only), else NULL */
    char **diff_ids;            /* base first, each "sha256:<hex>" */
    size_t n_diff_ids;          /* <= LS_MAX_LAYERS */
};

/* image_id: "sha256:<hex>" or bare 64 hex. Verifies SHA-256(bytes) == name. */
int layerstore_image_load(struct layerstore *ls, const char *image_id, struct ls_image **out,
                          struct ls_inputs *in, struct bf_error *err);
void ls_image_free(struct ls_image *img);

/* All image IDs in imagedb/content/sha256 ("sha256:<hex>"), sorted. Entries whose name is not
 * 64 hex are skipped. */
int layerstore_image_ids(struct layerstore *ls, char ***ids, size_t *n, struct bf_error *err);

/* Tags and digests for an image from repositories.json, sorted ("name:tag", "name@sha256:..").
 * A missing repositories.json gives no tags, not an error. */
int layerstore_image_tags(struct layerstore *ls, const char *image_id, char ***tags, size_t *n,
                          struct ls_inputs *in, struct bf_error *err);

/* ---- layers (layerdb) and the walk (doc §2-§3) ---- */

struct ls_layer {
    char chain_id[LS_DIGEST_LEN + 1];
    char diff_id[LS_DIGEST_LEN + 1];
    char cache_id[LS_ID_LEN + 6]; /* validated ^[a-f0-9]{64}(-init)?$ */
    char *rel;                    /* layer folder relative to R, e.g. "windowsfilter/<cache-id>" */
    char *path;                   /* rendered with layerstore_path() */
    /* The UtilityVM probe, when the cache made it already (layerstore_layer_has_uvm). */
    bool uvm_known, has_uvm;
    struct bf_stamp uvm_stamp;
};

struct ls_walk {
    struct ls_layer *layers; /* top-most first, base last */
    size_t n;
    char top_chain_id[LS_DIGEST_LEN + 1]; /* "" for an image without layers */
};

/* The seed's loop: for i = 1..n (i = 0..n for layers+base) take diff_ids[:i], compute its
 * ChainID, read layerdb/sha256/<chain>/cache-id (and check `diff`), resolve the driver folder,
 * prepend. */
int layerstore_walk(struct layerstore *ls, const struct ls_image *img, struct ls_walk *out,
                    struct ls_inputs *in, struct bf_error *err);
void ls_walk_free(struct ls_walk *w);

/* Does the layer folder contain a `UtilityVM` directory? (symlinks are an error, not followed) */
int layerstore_layer_has_uvm(struct layerstore *ls, const struct ls_layer *layer, bool *has,
                             struct ls_inputs *in, struct bf_error *err);

/* ---- the image and walk cache (optional; the filesystem enables it) ---- */

/* Share parsed images, their walks and (windowsfilter) Utility VM probes between every
 * container of an image. An entry is trusted until layerstore_cache_invalidate() and for at
 * most trust_ns before its input files are stat'ed again. Thread-safe. Results are exactly
 * those of the uncached calls (successes only are cached: errors are read again). */
int layerstore_cache_enable(struct layerstore *ls, size_t max_images, int64_t trust_ns);
/* Change the trust period (INT64_MAX: until invalidated, for a caller that watches every
 * folder the entries were read from). */
void layerstore_cache_set_trust(struct layerstore *ls, int64_t trust_ns);
/* May a cached image have the layer whose folder is `cache_id` (a name in the driver's folder)?
 * False only when every image ever cached is still cached and none has it; true without a
 * cache. For the watcher: a new folder in the driver's folder (each container create makes
 * some) concerns no bundle unless a layer of theirs has that name. */
bool layerstore_cache_may_use_layer(struct layerstore *ls, const char *cache_id);
/* An image or layer file may have changed: every entry is read again on next use. */
void layerstore_cache_invalidate(struct layerstore *ls);

struct ls_cache_stats {
    uint64_t hits, misses, validations;
    size_t entries;
    uint64_t layer_hits, layer_misses; /* layers by ChainID */
    size_t layers;
    uint64_t memo_hits, memo_misses; /* rootfs lookups through the image's layers */
    size_t memos;
};
void layerstore_cache_stats(struct layerstore *ls, struct ls_cache_stats *out);

/* ---- daemon configuration (R/config/daemon.json) ---- */

struct ls_daemon_config {
    bool present;    /* the file exists */
    char *isolation; /* from exec-opts "isolation=<v>", NULL when not set */
    char **dns_search;
    size_t n_dns_search;
};

int layerstore_daemon_config_load(struct layerstore *ls, struct ls_daemon_config *out,
                                  struct ls_inputs *in, struct bf_error *err);
void ls_daemon_config_free(struct ls_daemon_config *dc);

/* Does R/network/files/local-kv.db exist (libnetwork store present)? */
int layerstore_has_network_store(struct layerstore *ls, bool *has, struct ls_inputs *in,
                                 struct bf_error *err);

/* ---- host facts (layerstore/host.c) ----
 * What a Linux container's spec needs that no file of the data-root says: the daemon's own
 * configuration and this host's kernel, cgroups, security modules and devices. They are read
 * from fixed host paths (README lists each), never from a path built from data-root contents,
 * once per store (a mount): dockerd itself reads them at its start. */

struct ls_host_device { /* a device node under /dev (runc's HostDevices) */
    char *path;
    char type; /* 'c' or 'b' */
    int64_t major, minor;
    uint32_t mode, uid, gid; /* st_mode without the file type, as runc gives it */
};

struct ls_host {
    /* the daemon configuration file */
    char *config_file;    /* the path it was read from (or would have been) */
    bool config_present;  /* it exists */
    char *cgroup_driver;  /* exec-opts native.cgroupdriver, "" when not set */
    char *cgroup_parent;  /* "cgroup-parent", "" */
    bool init;            /* "init" */
    char *init_path;      /* "init-path", "" */
    char *seccomp_profile; /* the contents of the file "seccomp-profile" names, NULL: none */
    size_t seccomp_profile_len;
    bool userns_remap;     /* "userns-remap" is set (no ID mapping is read: an error) */
    bool rootless;         /* "rootless" */
    struct ls_ulimit *default_ulimits; /* "default-ulimits", sorted by name */
    size_t n_default_ulimits;
    char *config_error; /* the file exists but cannot be read or used: every Linux spec fails */
    /* the host */
    bool cgroup_v2;       /* /sys/fs/cgroup is cgroup2 */
    bool systemd_running; /* /run/systemd/system exists */
    bool apparmor;        /* runc's apparmor.IsEnabled */
    bool in_userns;       /* this process runs in a user namespace */
    bool seccomp;         /* the kernel has seccomp filters */
    bool overlay_index;   /* /sys/module/overlay/parameters/index exists */
    bool sysctl_ping_group_range, sysctl_unprivileged_port_start; /* under /proc/sys */
    int cap_last_cap;                                              /* /proc/sys/kernel/cap_last_cap */
    char machine[32];                                              /* uname -m */
    unsigned kernel_major, kernel_minor;
    char *docker_init; /* docker-init found in dockerd's default PATH, NULL: none */
    /* /dev for privileged containers, by path; NULL until first asked for */
    struct ls_host_device *devices;
    size_t n_devices;
    bool devices_loaded;
    char *devices_error;
};

/* Read every host fact. A daemon configuration that exists but cannot be read or parsed is
 * recorded in config_error (the caller fails Linux specs with it), not returned. */
int ls_host_load(const char *daemon_config, struct ls_host **out, struct bf_error *err);
void ls_host_free(struct ls_host *h);
/* The store's host facts, loaded at the first call (thread-safe); NULL only on ENOMEM. */
const struct ls_host *layerstore_host(struct layerstore *ls, struct bf_error *err);
/* The host's devices (runc's HostDevices: /dev without pts, shm, fd, mqueue, .lxc,
 * .lxd-mounts, .udev and console; char and block nodes only), walked once. */
int layerstore_host_devices(struct layerstore *ls, const struct ls_host_device **v, size_t *n,
                            struct bf_error *err);
/* One device node on the host by path (oci.DevicesFromPath: a link is resolved, a directory
 * walked). Only paths under /dev are looked at. Each path is what follows `path` ("" for the
 * node itself, "/<name>" below a folder), for the caller to put under PathInContainer. */
int ls_host_device_from_path(const char *path, struct ls_host_device **v, size_t *n,
                             struct bf_error *err);
void ls_host_devices_free(struct ls_host_device *v, size_t n);

/* ---- network endpoints (libnetwork's store, R/network/files/local-kv.db, doc §1.3) ---- */

#define LS_CAP_NETWORK_STORE (64u << 20) /* bytes of local-kv.db read at most */

struct ls_container;

struct ls_endpoint {     /* what the store says of one of the container's networks */
    const char *network; /* the ls_network's name (borrowed from the container) */
    char *hnsid;         /* the Windows driver record's profileID; NULL: no record */
    char *type;          /* that record's network type ("nat", "transparent", ...) */
    bool nat;            /* type is "nat": AllowUnqualifiedDNSQuery */
    char *gw_hnsid;      /* GW_INFO: HNS ID of the sandbox's gateway endpoint on the "nat"
                            network when that is another endpoint; else NULL */
};

struct ls_endpoints {
    bool store;            /* local-kv.db exists (else every hnsid is NULL) */
    struct ls_endpoint *v; /* one per container network, in the container's (name) order */
    size_t n;
    size_t n_joined; /* networks with an EndpointID */
    size_t n_found;  /* of those, how many have a Windows driver record */
};

/* Join the container's NetworkSettings.Networks[].EndpointID with the Windows driver's records
 * (bucket "libnetwork", keys "docker/network/v1.0/windows-endpoint<type>/<endpoint-id>/", each
 * value libkv's 8-byte index then the endpoint JSON). GW_INFO follows libnetwork: the sandbox
 * (NetworkSettings.SandboxID) endpoint on the network named "nat" whose name starts with
 * "gateway_". A store that cannot be read, or a record of one of the container's endpoints that
 * is not what the driver writes, is an error naming the file and key; a missing record is not
 * (Docker skips such a network too). Records the file and its stamp in `in`. */
int layerstore_endpoints_load(struct layerstore *ls, const struct ls_container *c,
                              struct ls_endpoints *out, struct ls_inputs *in, struct bf_error *err);
void ls_endpoints_free(struct ls_endpoints *e);

/* ---- containers ---- */

struct ls_kv {
    char *key;
    char *value;
};

struct ls_network { /* NetworkSettings.Networks[name] */
    char *name;
    char *network_id;  /* "NetworkID" */
    char *endpoint_id; /* "EndpointID": libnetwork endpoint ID, not the HNS ID */
    char *mac_address; /* "MacAddress" */
    char *ip_address;  /* "IPAddress" */
};

struct ls_mount { /* MountPoints[destination] */
    char *destination;
    char *source;
    bool rw;
    char *name;        /* volume name, "" for binds */
    char *driver;      /* volume driver, "" for binds */
    char *type;        /* "bind", "volume", ... or "" */
    char *propagation; /* "Propagation": "rprivate", ... or "" */
    /* "Spec" (the API's mount.Mount the mount point was made from) */
    char *spec_type;       /* Spec.Type, "" when absent */
    bool non_recursive;    /* Spec.BindOptions.NonRecursive */
    bool bind_propagation; /* Spec.BindOptions.Propagation is set */
    bool spec_readonly;    /* Spec.ReadOnly */
    int64_t tmpfs_size;    /* Spec.TmpfsOptions.SizeBytes */
    bool has_tmpfs_mode;
    uint32_t tmpfs_mode; /* Spec.TmpfsOptions.Mode (Go os.FileMode bits) */
};

struct ls_ulimit { /* HostConfig.Ulimits[] */
    char *name;
    int64_t soft, hard;
};

struct ls_blkio_device { /* BlkioWeightDevice (weight) or a throttle list (rate) */
    char *path;
    uint64_t value;
};

enum ls_blkio_list {
    LS_BLKIO_WEIGHT,
    LS_BLKIO_READ_BPS,
    LS_BLKIO_WRITE_BPS,
    LS_BLKIO_READ_IOPS,
    LS_BLKIO_WRITE_IOPS,
    LS_BLKIO_COUNT,
};

/* A pointer field of Go's (*bool, *int64): absent/null, or a value. */
struct ls_opt_i64 {
    bool set;
    int64_t v;
};

/* What a Linux container's spec needs beyond the platform-neutral members (layerstore/
 * container_linux.c). Strings are "" when absent. */
struct ls_linux {
    /* config.v2.json */
    int64_t pid; /* State.Pid */
    bool dead;   /* State.Dead */
    char *resolv_conf_path, *hostname_path, *hosts_path, *shm_path;
    char *apparmor_profile, *seccomp_profile, *process_label, *mount_label;
    bool no_new_privileges;
    char *sandbox_key;    /* NetworkSettings.SandboxKey */
    char **exposed_ports; /* the keys of Config.ExposedPorts ("8080/tcp"), sorted */
    size_t n_exposed_ports;
    /* hostconfig.json */
    bool privileged;
    char **cap_add, **cap_drop, **group_add, **device_cgroup_rules, **links;
    size_t n_cap_add, n_cap_drop, n_group_add, n_device_cgroup_rules, n_links;
    struct ls_opt_i64 init, oom_kill_disable, swappiness, pids_limit;
    char *pid_mode, *ipc_mode, *uts_mode, *userns_mode, *cgroupns_mode, *cgroup_parent;
    int64_t shm_size, oom_score_adj, memory_swap, kernel_memory, kernel_memory_tcp;
    int64_t cpu_period, cpu_quota, cpu_rt_period, cpu_rt_runtime;
    char *cpuset_cpus, *cpuset_mems;
    uint16_t blkio_weight;
    struct ls_blkio_device *blkio[LS_BLKIO_COUNT];
    size_t n_blkio[LS_BLKIO_COUNT];
    struct ls_kv *tmpfs, *sysctls; /* sorted by key */
    size_t n_tmpfs, n_sysctls;
    struct ls_ulimit *ulimits;
    size_t n_ulimits;
    /* nil (absent/null) and [] differ: nil keeps the defaults, [] clears them */
    bool has_masked_paths, has_readonly_paths;
    char **masked_paths, **readonly_paths;
    size_t n_masked_paths, n_readonly_paths;
};

struct ls_port_binding {
    char *host_ip;   /* "HostIp" */
    char *host_port; /* "HostPort" */
};

struct ls_port { /* HostConfig.PortBindings["80/tcp"] */
    char *port;
    bool is_null; /* the JSON value was null (Go marshals it back as null) */
    struct ls_port_binding *bindings;
    size_t n_bindings;
};

struct ls_device { /* HostConfig.Devices[] */
    char *path_on_host;
    char *path_in_container;
    char *cgroup_permissions;
};

struct ls_container {
    char id[LS_ID_LEN + 1];
    char *name;          /* "Name" without its leading '/'; NULL when longer than LS_NAME_MAX */
    size_t name_dropped; /* that Name's length (0: kept), which bounds what is kept per container */
    char image_id[LS_DIGEST_LEN + 1]; /* "Image": "sha256:<hex>" */
    char *path;                       /* "Path" */
    char **args;                      /* "Args" */
    size_t n_args;
    char *driver; /* "Driver" */
    char *os;     /* "OS" (HEAD) or NULL */
    bool has_been_started_before;
    bool running; /* State.Running */
    bool dead;    /* State.Dead: Docker is removing it (such a container is never loaded) */

    struct {
        char *hostname;   /* "" when absent */
        char *domainname; /* "" when absent */
        char *user;       /* "" when absent */
        bool tty;
        char **env; /* as stored (entries without '=' are kept here; spec drops them) */
        size_t n_env;
        char *working_dir; /* "" when absent */
        char *image;       /* the name as typed */
        bool args_escaped;
        bool network_disabled;
        char *mac_address; /* "" when absent */
    } config;

    struct ls_network *networks; /* sorted by name */
    size_t n_networks;
    char *sandbox_id;        /* NetworkSettings.SandboxID: libnetwork's sandbox, "" when absent */
    struct ls_mount *mounts; /* in MountPoints key order as read; spec sorts */
    size_t n_mounts;

    struct {
        char *isolation; /* as stored ("" when absent) */
        int64_t cpu_shares, memory, nano_cpus, cpu_count, cpu_percent, memory_reservation;
        uint64_t io_maximum_iops, io_maximum_bandwidth;
        struct ls_kv *storage_opt; /* sorted by key */
        size_t n_storage_opt;
        char **security_opt;
        size_t n_security_opt;
        bool readonly_rootfs;
        uint64_t console_size[2]; /* [height, width]; zeros when absent */
        char *network_mode;       /* "" when absent */
        char **dns_search;
        size_t n_dns_search;
        struct ls_device *devices;
        size_t n_devices;
        struct ls_kv *annotations; /* sorted by key */
        size_t n_annotations;
        struct ls_port *port_bindings; /* sorted by port */
        size_t n_port_bindings;
    } host;

    struct ls_linux lx;

    /* layerdb/mounts/<id>/ */
    char *mount_id;     /* validated like a cache-id */
    char *init_id;      /* NULL when absent */
    char *mount_parent; /* ChainID of the image's top layer, NULL when absent */

    char *layer_rel;  /* the container's own layer folder, relative to R */
    char *layer_path; /* rendered */
};

/* Load containers/<id>/config.v2.json, hostconfig.json and layerdb/mounts/<id>/. `id` must be a
 * full 64-hex ID (use layerstore_container_resolve for prefixes and names). */
int layerstore_container_load(struct layerstore *ls, const char *id, struct ls_container **out,
                              struct ls_inputs *in, struct bf_error *err);
void ls_container_free(struct ls_container *c);

/* Check mounts/<id>/parent against the walk's top ChainID. Error text names both. */
int layerstore_container_check_parent(const struct ls_container *c, const struct ls_walk *w,
                                      struct bf_error *err);

/* Everything a container's layer paths need, in one step with one error wording: load the
 * container, its image and the walk, then check mounts/<id>/parent. Image and walk errors get
 * "container <id>: " in front (container and parent messages already name it). Whatever was
 * loaded is handed back even on failure (*c stays usable for the name); the caller frees
 * *c, *img and *w in every case. `img` may be NULL when the caller does not need it.
 * A disagreeing parent is an error: the paths would describe another layer chain than the
 * container's read-write layer was created on. */
int layerstore_container_walk(struct layerstore *ls, const char *id, struct ls_container **c,
                              struct ls_image **img, struct ls_walk *w, struct ls_inputs *in,
                              struct bf_error *err);

/* Is containers/<id> a folder that is not (or no longer) a container, as Docker writes and
 * removes them file by file? It is when it has no config.v2.json (Docker writes the folder
 * first and removes files in no fixed order), when it has no hostconfig.json and has not been
 * still for the settle period (ls_options.settle_ns, timed by this layerstore from the first
 * sight of the folder's times; one seen within its first settle period may be judged by its
 * file times, if they lie in the past) or holds an atomic write in progress (a ".tmp-"
 * file: a container being written), and, with LS_PENDING_STATE, when its config.v2.json says
 * State.Dead (Docker's first step of a removal; this reads the file). A folder without
 * hostconfig.json unchanged for longer is a container with an empty HostConfig, as Docker's
 * readHostConfig makes it. False when the folder is gone (that is another answer), and when
 * config.v2.json cannot be parsed (the generation reports that). */
#define LS_PENDING_STATE 1u
/* the first look at this data-root's folders (a first listing): a folder first seen so is
 * judged by its file times whenever that look happens */
#define LS_PENDING_FIRST 2u
bool layerstore_container_pending(struct layerstore *ls, const char *id, unsigned flags);

/* IDs of the directories under R/containers that are 64 lowercase hex, sorted. Other names
 * are skipped (they can never be containers: Docker would not load them either). */
int layerstore_container_ids(struct layerstore *ls, char ***ids, size_t *n,
                             struct bf_error *err);

/* Resolve a reference the way `docker` does: a full ID, else an exact name (with or without
 * the leading '/'), else a unique ID prefix. Ambiguous prefix and no match are errors. */
int layerstore_container_resolve(struct layerstore *ls, const char *ref, char out[LS_ID_LEN + 1],
                                 struct bf_error *err);

/* Names are kept up to a directory entry's length: a longer one (Docker's name rule has no
 * limit) cannot be a by-name entry, and is not kept (NULL), so what a container costs does not
 * grow with what its config.v2.json says. */
#define LS_NAME_MAX 255

/* Read just the "Name" of a container (cheap index building). *name is malloc'd, no '/';
 * NULL (and 0 returned) for a name longer than LS_NAME_MAX. */
int layerstore_container_name(struct layerstore *ls, const char *id, char **name,
                              struct ls_inputs *in, struct bf_error *err);

void ls_strv_free(char **v, size_t n);

/* ---- a Linux container's root filesystem (layerstore/rootfs.c) ----
 * One file of the container's root as Docker's getUser finds it on the mounted root
 * (FollowSymlinkInScope, then os.Open), redone on the layers without mounting anything. */

#define LS_CAP_ROOTFS_FILE (16u << 20) /* bytes of one file of a container's root read at most */

/* Read `path` (absolute inside the container, e.g. "/etc/passwd") from container c's root:
 * overlay2 = its own layer (R/overlay2/<mount-id>/diff), its init layer (when c->init_id), then
 * the image's layers from `w` (top-most first), merged as overlayfs does (char device 0/0
 * whiteouts, trusted.overlay.opaque = "y"); vfs = R/vfs/dir/<mount-id> alone (`w` unused).
 * Links are resolved inside that root as moby/sys/symlink's evalSymlinksInScope does (".." and
 * absolute targets stay inside; at most 256 components: more is ELOOP, "evalSymlinksInScope:
 * too many links in <root><path>"), reading each link, never following one.
 * Returns 0 with *found=false when nothing openable is there (absent, or a socket), 0 with
 * *found=true and *buf (NUL-terminated, *len bytes) for a regular file of at most `cap` bytes.
 * -EISDIR when it is a directory, with Go's read error ("read <root><path>: is a directory":
 * Docker opens it and fails reading); other errors: a component under a file ("lstat <path>:
 * not a directory"), a name or path too long, a FIFO or device, a bigger file, a missing layer
 * folder. <root> is the rendered R/overlay2/<mount-id>/merged (or R/vfs/dir/<mount-id>).
 * Every entry looked at in every layer is recorded in `in` (absent ones as absent). */
int layerstore_rootfs_read(struct layerstore *ls, const struct ls_container *c,
                           const struct ls_walk *w, const char *path, size_t cap, char **buf,
                           size_t *len, bool *found, struct ls_inputs *in, struct bf_error *err);

/* The same for several files of one root: the layers are checked once at open, and what one
 * lookup found of the folders on its way is reused by the next (both /etc/passwd and /etc/group
 * look /etc up once). `in` is kept for every get; `c` and `w` must outlive the handle. */
struct ls_rootfs;
int layerstore_rootfs_open(struct layerstore *ls, const struct ls_container *c,
                           const struct ls_walk *w, struct ls_inputs *in, struct ls_rootfs **out,
                           struct bf_error *err);
int layerstore_rootfs_get(struct ls_rootfs *root, const char *path, size_t cap, char **buf,
                          size_t *len, bool *found, struct bf_error *err);
void layerstore_rootfs_close(struct ls_rootfs *root);

/* overlay2: the target of the short link R/overlay2/l/<name> (name: up to 32 of [A-Z0-9]; any
 * other is refused, EINVAL, so nothing beside or above R/overlay2/l is reached), NUL-terminated
 * in buf, the link recorded in `in` with its stamp; or in *link_errno why it cannot be read
 * (readlinkat's ENOENT: no such link, EINVAL: not a link;
 * ENAMETOOLONG: a target of `size` bytes or more), 0 when it was. Every container of an image
 * names its image's links: with the cache, a target is kept and trusted as the image entries
 * are (ls_cache_memo_get). < 0 with err set when R/overlay2/l cannot be opened (it must be a
 * folder reached without links) or memory is short. */
int layerstore_overlay_link(struct layerstore *ls, const char *name, char *buf, size_t size,
                            int *link_errno, struct ls_inputs *in, struct bf_error *err);

#endif
