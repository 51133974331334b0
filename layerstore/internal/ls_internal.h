/* ls_internal.h - what the layerstore .c files share and nobody else sees. */
#ifndef LS_INTERNAL_H
#define LS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "jview.h"
#include "layerstore.h"

struct layerstore {
    int dirfd;                    /* the data-root, opened once */
    enum ls_driver driver;        /* detected or named */
    char *root;                   /* absolute, no trailing '/' */
    char *hostroot;               /* Windows root without trailing '\', or NULL */
    char *image_rel;              /* "image/<driver>" */
    struct ls_cache *cache;       /* images and walks shared by containers; NULL: read every time */
    struct ls_netcache *netcache; /* network.c: libnetwork's store, kept while unchanged */
    struct ls_dccache *dccache;   /* daemonconfig.c: daemon.json and the store probe */
    char *daemon_config;          /* ls_options.daemon_config, NULL: the default path */
    struct ls_host *host;         /* host.c: loaded at first use */
    int64_t settle_ns;            /* ls_options.settle_ns, defaulted */
    int64_t opened_mono_ns;       /* when it was opened (CLOCK_MONOTONIC) */
    struct ls_settle *settle;     /* container.c: folders without hostconfig.json, as seen */
};

/* container.c: the table of folders without hostconfig.json, made at open (NULL: no memory) */
struct ls_settle *ls_settle_new(void);
void ls_settle_free(struct ls_settle *st);

void ls_netcache_free(struct ls_netcache *nc);
void ls_dccache_free(struct ls_dccache *dcc);

/* sha256.c: SHA-256 of a buffer (SHA extensions when the CPU has them); the two ways, for
 * tests (ls_sha256_ni is false, and writes nothing, without the extensions). */
void ls_sha256(const void *data, size_t len, uint8_t out[32]);
void ls_sha256_portable(const void *data, size_t len, uint8_t out[32]);
bool ls_sha256_ni(const void *data, size_t len, uint8_t out[32]);

/* cache.c: the image and walk of `image_id` (deep copies, inputs appended to `in`). */
int ls_cache_image_walk(struct layerstore *ls, const char *image_id, struct ls_image **img,
                        struct ls_walk *w, struct ls_inputs *in, struct bf_error *err);
void ls_cache_free(struct ls_cache *c);
/* Record each of src's paths in dst, in src's order (ls_inputs_add each). */
int ls_inputs_append(struct ls_inputs *dst, const struct ls_inputs *src);
/* ls_inputs_append of each of srcs in turn; when all are shared lists (ls_inputs_seal_shared),
 * their paths are copied into one block and the index grows once. */
int ls_inputs_append_many(struct ls_inputs *dst, const struct ls_inputs *const *srcs, size_t n);
/* Done filling a list that is kept to be appended to others (the cache's entries): as
 * ls_inputs_seal, with the paths in exactly one block and their hashes kept (4 bytes each), so
 * an append from it hashes nothing and copies its paths in one piece. */
void ls_inputs_seal_shared(struct ls_inputs *in);
/* The bytes the list's blocks of paths hold (their capacity): what a test weighs. */
size_t ls_inputs_strbytes(const struct ls_inputs *in);
/* cache.c, layers by ChainID for layerstore_walk (ls->cache set). get: 1 and l's cache-id,
 * folder and UVM probe filled (chain_id and diff_id set by the caller), its inputs appended;
 * 0 when not cached (or changed); -ENOMEM. put: what read_layer verified, with what it
 * recorded, read in the cache epoch `epoch` (taken before reading: an invalidation meanwhile
 * leaves the entry stale). */
uint64_t ls_cache_epoch(struct layerstore *ls);
int ls_cache_layer_get(struct layerstore *ls, struct ls_layer *l, struct ls_inputs *in);
void ls_cache_layer_put(struct layerstore *ls, const struct ls_layer *l, const char *parent,
                        const struct ls_inputs *lin, uint64_t epoch);
/* The layers of a walk the cache has, in one pass: from the layer over `parent` with
 * diffs[0] up, each next over the one before, while the cache has the layer and may use it
 * without checking its stamps again (within the trust period). Each is filled in *slots[i] as
 * ls_cache_layer_get fills it, with its chain_id and diff_id, and its inputs appended to `in`
 * (in order). Returns how many, -ENOMEM. The walk goes on from there layer by layer. */
int ls_cache_layer_run(struct layerstore *ls, const char *parent, const char *const *diffs,
                       size_t n, struct ls_layer *const *slots, struct ls_inputs *in);
/* The ChainID of `diff_id` over `parent` when a cached layer has that pair (a function of
 * the two, so never stale: it saves the SHA-256); false otherwise. */
bool ls_cache_chain_id(struct layerstore *ls, const char *parent, const char *diff_id,
                       char *chain_id);

/* cache.c, values another loader makes from the data-root and many generations repeat
 * (rootfs.c: the image layers' share of a lookup, a file's bytes), kept under `key` with the
 * inputs they were made from and trusted as the image entries are (invalidation, the trust
 * period; the layers their inputs are in count for layerstore_cache_may_use_layer). get: 1 and
 * a copy of the value in *val (the caller frees it), its inputs appended to `in`; 0 when not
 * cached, changed or longer than `max` bytes; -ENOMEM. put: made in cache epoch `epoch` (taken before reading); a
 * value is not kept when memory is short or it is large. At most MEMO_MAX values and
 * MEMO_BYTES of them, least recently used out first. */
int ls_cache_memo_get(struct layerstore *ls, const void *key, size_t klen, size_t max,
                      void **val, size_t *vlen, struct ls_inputs *in);
void ls_cache_memo_put(struct layerstore *ls, const void *key, size_t klen, const void *val,
                       size_t vlen, const struct ls_inputs *min, uint64_t epoch);

/* A data-root-wide load every container repeats (daemon.json, the network store's presence and
 * snapshot): with the cache enabled, it is reused under the image entries' rule, until
 * layerstore_cache_invalidate() and for at most the trust period; each user keeps the loaded
 * value next to its record and its own lock. ls_shared_begin fills a record before loading (an
 * invalidation while loading leaves it stale), which the user keeps once the load succeeded;
 * ls_shared_fresh says whether a kept record may be reused now. Without the cache nothing is
 * ever fresh. */
struct ls_shared {
    bool valid;
    uint64_t epoch;
    int64_t at_ns;
};
void ls_shared_begin(struct layerstore *ls, struct ls_shared *sh);
bool ls_shared_fresh(struct layerstore *ls, const struct ls_shared *sh);

/* Record `rel` in `in` (nullable) with the stamp of what was read, or probe it now when
 * `stamp` is NULL (absent files are recorded as absent: their appearance is a change). */
int ls_record(const struct layerstore *ls, struct ls_inputs *in, const char *rel,
              const struct bf_stamp *stamp, struct bf_error *err);
/* Stat `rel` (no links followed) and record it in `in`; a path that cannot be stat'ed is
 * recorded as absent (so it counts as changed on every check) and the error returned. */
int ls_probe(const struct layerstore *ls, const char *rel, struct bf_stamp *st, mode_t *mode,
             struct ls_inputs *in, struct bf_error *err);
/* True when directory `dir` does not exist (recorded as absent): lets a caller say "no such
 * layer" instead of "no cache-id file" when the whole entry is missing. */
bool ls_dir_absent(const struct layerstore *ls, const char *dir, struct ls_inputs *in);

/* bf_read_line relative to R, recording the input. When `optional` and the file is absent,
 * *out = NULL and 0 is returned. */
int ls_read_line(const struct layerstore *ls, const char *rel, bool optional, char **out,
                 struct ls_inputs *in, struct bf_error *err);

/* Read and parse a JSON file under R (cap BF_CAP_JSON; empty or non-object is an error). When
 * `optional` and the file is absent, *out = NULL and 0 is returned. */
int ls_read_json(const struct layerstore *ls, const char *rel, bool optional, json_t **out,
                 struct ls_inputs *in, struct bf_error *err);

/* Room for `more` further entries in `in`, and in its index (one allocation of each instead of
 * several doublings). */
int ls_inputs_reserve(struct ls_inputs *in, size_t more);

/* The tree json_loadb(buf, len, 0) gives when that is an object, built in one pass (jload.c);
 * NULL for anything else (invalid JSON, another root, a case it leaves to jansson, no memory). */
json_t *ls_json_load_object(const char *buf, size_t len);
/* Parse `len` bytes of `buf` as a JSON object; errors name `rel`. */
int ls_parse_json(const char *rel, const char *buf, size_t len, json_t **out, struct bf_error *err);

/* List the names of directory `rel` under R that satisfy `keep` (nullable), sorted. An absent
 * directory gives an empty list when `optional`. */
int ls_list_dir(const struct layerstore *ls, const char *rel, bool optional,
                bool (*keep)(const char *name), char ***names, size_t *n, struct bf_error *err);

/* ---- typed JSON field access with Go encoding/json semantics ----
 * `path` is the key path used in messages ("Config.Env"); `file` is the file's rel path.
 * A missing key or JSON null gives the zero value ("" / false / 0 / empty list) unless stated.
 * A value of the wrong type is an error: `<file>: "<path>" must be <type>`. */
struct ls_jctx {
    const char *file;
    struct bf_error *err;
};

/* Child `key` of object `obj` (NULL when obj is NULL, the key is missing, or the value null). */
json_t *ls_j_get(json_t *obj, const char *key);

/* *out = malloc'd string; absent/null: strdup(dflt), or NULL when dflt is NULL. */
int ls_j_string(const struct ls_jctx *c, json_t *v, const char *path, const char *dflt, char **out);
int ls_j_bool(const struct ls_jctx *c, json_t *v, const char *path, bool *out);
int ls_j_int64(const struct ls_jctx *c, json_t *v, const char *path, int64_t *out);
int ls_j_uint64(const struct ls_jctx *c, json_t *v, const char *path, uint64_t *out);
/* Array of strings (null/absent: empty, *out NULL). */
int ls_j_strv(const struct ls_jctx *c, json_t *v, const char *path, char ***out, size_t *n);
/* Object or null/absent (then *out = NULL). */
int ls_j_object(const struct ls_jctx *c, json_t *v, const char *path, json_t **out);
/* Object of strings, sorted by key (null/absent: empty). */
int ls_j_kv(const struct ls_jctx *c, json_t *v, const char *path, struct ls_kv **out, size_t *n);
void ls_kv_free(struct ls_kv *kv, size_t n);

/* "sha256:" + hex(SHA-256(data)) */
void ls_sha256_digest(const void *data, size_t len, char out[LS_DIGEST_LEN + 1]);

/* The layer folder of graph-driver id `id` for the store's driver, relative to R. */
char *ls_driver_layer_rel(const struct layerstore *ls, const char *id);

char *ls_strjoin(const char *a, const char *b, const char *c); /* a+b+c, NULL on ENOMEM */
int ls_strv_cmp(const void *a, const void *b);                 /* qsort over char * */

/* container_linux.c: the field tables (jview.h) of what only Linux specs read, which
 * container.c's tables for config.v2.json, hostconfig.json and MountPoints[] run. */
extern const struct ls_jfield ls_linux_config_fields[];
extern const struct ls_jfield ls_linux_hostconfig_fields[];
extern const struct ls_jfield ls_linux_mount_fields[];
void ls_linux_mount_free(struct ls_mount *m);
void ls_linux_free(struct ls_linux *lx);

#endif
