/* lfx.h - Linux (overlay2/vfs) data-roots for the Linux spec tests, on top of the layerstore
 * fixture builder (../layerstore/fixture.h).
 *
 * lfx_init builds an image with os "linux" and the three standard layers (cache ids
 * CACHE1..3), each with its overlay2 folder, `link` and R/overlay2/l/<link> symlink; the base
 * layer holds /etc/passwd (root, app 1000) and /etc/group. lfx_ctr adds a container whose
 * config.v2.json and hostconfig.json are a small default merged (jansson's
 * json_object_update) with the JSON objects the test gives, so a test writes only what it is
 * about. The store is opened lazily (lfx_store) with daemon_config = <R>/daemon.json, so a
 * test writes daemon.json (or not) before it generates anything.
 *
 * Every expected value in the tests comes from moby v20.10.24's code, never from bundlefs.
 */
#ifndef SPEC_TEST_LFX_H
#define SPEC_TEST_LFX_H

#include <jansson.h>
#include <stdbool.h>

#include "../layerstore/fixture.h"
#include "layerstore.h"
#include "spec.h"

#define LINK1 "AAAAAAAAAAAAAAAAAAAAAAAAA1"
#define LINK2 "AAAAAAAAAAAAAAAAAAAAAAAAA2"
#define LINK3 "AAAAAAAAAAAAAAAAAAAAAAAAA3"
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct lfx {
    struct fx f;
    char img[65];
    char daemon_json[256]; /* <R>/daemon.json */
    struct layerstore *ls;
};

struct lfx_ctr {
    const char *name;   /* NULL: "c-<first 12 of id>" */
    const char *config; /* JSON object merged into config.v2.json's Config */
    const char *top;    /* JSON object merged into config.v2.json (replaces members) */
    const char *host;   /* JSON object merged into hostconfig.json */
    bool running;       /* State.Running, State.Pid 1234 */
    bool no_lower;      /* leave overlay2/<mount>/lower out */
};

/* driver: "overlay2" or "vfs" */
void lfx_init(struct lfx *x, const char *driver);
void lfx_cleanup(struct lfx *x);
/* The mount ID lfx_ctr gives container `id`: id with its first character made '9'. */
const char *lfx_mount_id(const char *id); /* static buffer */
/* The 26-character link name of that container's init layer (its mount ID's first 26
 * characters, upper-cased). */
const char *lfx_init_link(const char *id); /* static buffer */
void lfx_ctr(struct lfx *x, const char *id, const struct lfx_ctr *o);
void lfx_daemon_json(struct lfx *x, const char *json);
struct layerstore *lfx_store(struct lfx *x);

/* spec_bundle_generate (oci, pretty) for container id. */
struct spec_bundle *lfx_gen(struct lfx *x, const char *id);
/* The bundle's config.json parsed; fails the test if config.json has an error. */
json_t *lfx_config(struct lfx *x, const char *id);
/* config.json's error message (fails the test if config.json was made); malloc'd. */
char *lfx_config_err(struct lfx *x, const char *id);

/* A member of a JSON tree by a '/'-separated path; array elements by number ("mounts/0"). */
json_t *jp(json_t *root, const char *path);
const char *jps(json_t *root, const char *path); /* string value or NULL */
long long jpi(json_t *root, const char *path);   /* integer value, -999999 when absent */
/* A string array joined with '|' ("" for an empty array, "<absent>" for none, "<bad>" for a
 * non-array); malloc'd. */
char *jjoin(json_t *a);
/* The mount of config.json with this destination, or NULL. */
json_t *jmount(json_t *cfg, const char *dest);
/* Destinations of config.json's mounts joined with '|'; malloc'd. */
char *jdests(json_t *cfg);

#endif
