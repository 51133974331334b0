/* bundle.c - every file of one container, generated together from one reading of its inputs.
 *
 * Failure is per file, never partial: a container that cannot be loaded has every file in
 * error; a broken image or layer store breaks layerpaths, config.json and createoptions.json;
 * an invalid isolation, credential spec or mount breaks only the files that need it. Every
 * message is also a line of the `error` file (duplicates written once).
 *
 * Utility VM: windowsoci follows the seed's createSpec (the base layer's UtilityVM, required
 * for a Hyper-V container of a `layers` image: "container image does not contain a utility
 * VM"); oci follows today's runtime (the first layer, top-most first, that has UtilityVM; none
 * found leaves utilityVMPath out and no `utilityvm` link, as the runtime decides at start).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bf_util.h"
#include "spec.h"
#include "spec_internal.h"

static const char *const file_names[SPEC_FILE_COUNT] = {"config.json", "createoptions.json",
                                                        "layerpaths", "utilityvm", "mountopts"};

const char *spec_file_name(enum spec_file f)
{
    return f < SPEC_FILE_COUNT ? file_names[f] : NULL;
}

int spec_format_parse(const char *s, enum spec_format *out)
{
    if (strcmp(s, "oci") == 0)
        *out = SPEC_FORMAT_OCI;
    else if (strcmp(s, "windowsoci") == 0)
        *out = SPEC_FORMAT_WINDOWSOCI;
    else
        return -EINVAL;
    return 0;
}

void spec_bundle_free(struct spec_bundle *b)
{
    if (!b)
        return;
    for (int i = 0; i < SPEC_FILE_COUNT; i++) {
        free(b->files[i].data);
        bf_error_clear(&b->files[i].err);
    }
    free(b->name);
    free(b->note);
    free(b->name_note);
    free(b->errors);
    ls_inputs_free(&b->inputs);
    free(b);
}

static void fail(struct spec_bundle *b, enum spec_file f, const struct bf_error *e)
{
    if (b->files[f].err.code)
        return;
    bf_error_set(&b->files[f].err, e->code, "%s", bf_error_message(e));
}

static bool image_is_windows(const struct ls_image *img);

static void fail_all(struct spec_bundle *b, const struct bf_error *e)
{
    for (int i = 0; i < SPEC_FILE_COUNT; i++)
        if (i != SPEC_FILE_UTILITYVM && i != SPEC_FILE_MOUNTOPTS)
            fail(b, i, e);
}

/* Which files the container has: a Linux container (its image's os, else config.v2.json's OS,
 * else a Linux storage driver) has config.json, layerpaths and, on overlay2, mountopts; a
 * Windows one config.json, createoptions.json, layerpaths and utilityvm when found. */
static void file_set(struct layerstore *ls, struct spec_bundle *b, const struct ls_container *c,
                     const struct ls_image *img)
{
    if (img && img->os)
        b->is_linux = strcasecmp(img->os, "windows") != 0;
    else if (c && c->os)
        b->is_linux = strcasecmp(c->os, "windows") != 0;
    else
        b->is_linux = layerstore_driver(ls) != LS_DRIVER_WINDOWSFILTER;
    b->omit[SPEC_FILE_UTILITYVM] = !b->has_uvm;
    b->omit[SPEC_FILE_CREATEOPTIONS] = b->is_linux;
    b->omit[SPEC_FILE_MOUNTOPTS] = !b->is_linux || layerstore_driver(ls) != LS_DRIVER_OVERLAY2;
    for (int i = 0; i < SPEC_FILE_COUNT; i++) {
        if (b->omit[i]) {
            free(b->files[i].data);
            b->files[i].data = NULL;
            b->files[i].len = 0;
            bf_error_clear(&b->files[i].err);
        }
    }
}

/* config.json (oci) and mountopts of a Linux container. */
static void linux_files(struct layerstore *ls, struct spec_bundle *b, const struct ls_container *c,
                        const struct ls_image *img, const struct ls_walk *w,
                        const struct spec_options *opts)
{
    struct spec_linux lx = {0};
    struct spec_model m = {.c = c, .img = img, .walk = w, .compact = opts->compact};
    struct bf_error e = BF_ERROR_INIT;
    struct spec_blob *f = &b->files[SPEC_FILE_CONFIG];

    if (spec_linux_prepare(ls, c, w, &lx, &b->inputs, &e) < 0 ||
        spec_render_linux(&m, &lx, &f->data, &f->len, &e) < 0)
        fail(b, SPEC_FILE_CONFIG, &e);
    bf_error_clear(&e);
    if (lx.note && !b->note)
        b->note = steal_pointer(&lx.note);
    if (layerstore_driver(ls) == LS_DRIVER_OVERLAY2 && lx.host) {
        f = &b->files[SPEC_FILE_MOUNTOPTS];
        if (spec_render_mountopts(ls, c, w, lx.host, &f->data, &f->len, &b->inputs, &e) < 0)
            fail(b, SPEC_FILE_MOUNTOPTS, &e);
        bf_error_clear(&e);
    } else if (layerstore_driver(ls) == LS_DRIVER_OVERLAY2) {
        bf_error_set(&e, ENOMEM, "out of memory");
        fail(b, SPEC_FILE_MOUNTOPTS, &e);
        bf_error_clear(&e);
    }
    spec_linux_free(&lx);
}

/* One message as one line of `error`: a newline inside it would split it, and no other control
 * byte (a terminal escape from a hostile name) reaches `cat error`. */
static size_t put_line(char *out, const char *msg)
{
    size_t off = 0;
    for (const char *p = msg; *p; p++)
        out[off++] = *p == '\n' ? ' ' : (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
    out[off++] = '\n';
    return off;
}

static void collect_errors(struct spec_bundle *b)
{
    const char *notes[] = {b->name_note, b->note}; /* after the files' messages */
    size_t total = 0, off = 0;

    for (int i = 0; i < SPEC_FILE_COUNT; i++)
        if (b->files[i].err.code)
            total += strlen(bf_error_message(&b->files[i].err)) + 1;
    for (size_t k = 0; k < BF_ARRAY_SIZE(notes); k++)
        if (notes[k])
            total += strlen(notes[k]) + 1;
    if (!total)
        return;
    b->errors = malloc(total + 1);
    if (!b->errors)
        return;
    for (int i = 0; i < SPEC_FILE_COUNT; i++) {
        const char *msg;
        bool seen = false;
        if (!b->files[i].err.code)
            continue;
        msg = bf_error_message(&b->files[i].err);
        for (int k = 0; k < i; k++)
            if (b->files[k].err.code && strcmp(bf_error_message(&b->files[k].err), msg) == 0)
                seen = true;
        if (!seen)
            off += put_line(b->errors + off, msg);
    }
    for (size_t k = 0; k < BF_ARRAY_SIZE(notes); k++)
        if (notes[k])
            off += put_line(b->errors + off, notes[k]);
    b->errors[off] = '\0';
    b->errors_len = off;
}

/* The format's utility VM rule. Returns 0 with *path NULL when there is none. */
static int find_uvm(struct layerstore *ls, const struct ls_image *img, const struct ls_walk *w,
                    enum spec_format format, char **path, struct ls_inputs *in,
                    struct bf_error *err)
{
    bool has = false;
    int r;

    *path = NULL;
    if (!w->n)
        return 0;
    if (format == SPEC_FORMAT_WINDOWSOCI) {
        if (strcmp(img->rootfs_type, "layers") != 0)
            return 0; /* layers+base: hv_runtime is {} (doc §3.2 rule 1) */
        r = layerstore_layer_has_uvm(ls, &w->layers[w->n - 1], &has, in, err);
        if (r < 0)
            return r;
        if (!has)
            return bf_error_set(err, ENOENT, "container image does not contain a utility VM");
        return asprintf(path, "%s%cUtilityVM", w->layers[w->n - 1].path,
                        layerstore_windows_paths(ls) ? '\\' : '/') < 0
                   ? bf_error_set(err, ENOMEM, "out of memory")
                   : 0;
    }
    for (size_t i = 0; i < w->n; i++) {
        r = layerstore_layer_has_uvm(ls, &w->layers[i], &has, in, err);
        if (r < 0)
            return r;
        if (has)
            return asprintf(path, "%s%cUtilityVM", w->layers[i].path,
                            layerstore_windows_paths(ls) ? '\\' : '/') < 0
                       ? bf_error_set(err, ENOMEM, "out of memory")
                       : 0;
    }
    return 0;
}

static bool image_is_windows(const struct ls_image *img)
{
    return img->os && strcasecmp(img->os, "windows") == 0;
}

/* The container's endpoints from libnetwork's store, as spec_endpoints_build wants them. When
 * the container joined networks but the store has a record of none of them, the files are
 * still made (without endpoints, as Docker would) and the `error` file says why. */
static int load_endpoints(struct layerstore *ls, struct spec_bundle *b,
                          const struct ls_container *c, struct ls_endpoints *eps,
                          struct spec_endpoint_info **info, struct bf_error *err)
{
    int r = layerstore_endpoints_load(ls, c, eps, &b->inputs, err);

    if (r < 0)
        return bf_error_wrap(err, "container %s", c->id);
    if (eps->n && !(*info = calloc(eps->n, sizeof(**info))))
        return bf_error_set(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < eps->n; i++)
        (*info)[i] = (struct spec_endpoint_info){.network = eps->v[i].network,
                                                 .hnsid = eps->v[i].hnsid,
                                                 .nat = eps->v[i].nat,
                                                 .gw_hnsid = eps->v[i].gw_hnsid};
    if (eps->n_joined && !eps->n_found) {
        size_t len = 0;
        for (size_t i = 0; i < c->n_networks; i++)
            if (*c->networks[i].endpoint_id)
                len += strlen(c->networks[i].name) + strlen(c->networks[i].endpoint_id) + 16;
        char *list = calloc(1, len + 1);
        if (!list)
            return bf_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < c->n_networks; i++)
            if (*c->networks[i].endpoint_id)
                sprintf(list + strlen(list), "%s%s endpoint %s", *list ? ", " : "",
                        c->networks[i].name, c->networks[i].endpoint_id);
        r = asprintf(&b->note,
                     "container %s: network/files/local-kv.db: no endpoint record for any of its "
                     "networks (%s): config.json and createoptions.json list no endpoints",
                     c->id, list);
        free(list);
        if (r < 0) {
            b->note = NULL;
            return bf_error_set(err, ENOMEM, "out of memory");
        }
    }
    return 0;
}

int spec_bundle_generate(struct layerstore *ls, const char *id, const struct spec_options *opts,
                         struct spec_bundle **out, struct bf_error *err)
{
    struct spec_bundle *b;
    struct ls_container *c = NULL;
    struct ls_image *img = NULL;
    struct ls_walk walk = {0};
    struct ls_daemon_config dc = {0};
    struct spec_mount *mounts = NULL;
    struct spec_credspec *cs = NULL;
    char **creds = NULL, *uvm = NULL, *shared = NULL;
    const char **endpoints = NULL;
    struct ls_endpoints eps = {0};
    struct spec_endpoint_info *ep_info = NULL;
    size_t n_mounts = 0, n_cs = 0;
    struct bf_error e = BF_ERROR_INIT;
    struct spec_model m = {0};
    enum spec_isolation iso = SPEC_ISOLATION_PROCESS;
    bool config_ok = true, createopts_ok = true, store = false;

    if (!bf_is_hex64(id))
        return bf_error_set(err, EINVAL, "%s: not a container ID (64 lowercase hex)", id);
    b = calloc(1, sizeof(*b));
    if (!b)
        return bf_error_set(err, ENOMEM, "out of memory");
    memcpy(b->id, id, LS_ID_LEN + 1);

    if (layerstore_container_walk(ls, id, &c, &img, &walk, &b->inputs, &e) < 0) {
        b->name = c && c->name ? strdup(c->name) : NULL;
        fail_all(b, &e);
        goto done;
    }
    b->name = c->name ? strdup(c->name) : NULL;
    if (c->name_dropped &&
        asprintf(&b->name_note,
                 "container %s: containers/%s/config.v2.json: Name is %zu bytes, more than a "
                 "directory entry can be (%d): not in by-name",
                 id, id, c->name_dropped, LS_NAME_MAX) < 0)
        b->name_note = NULL;
    if (c->mount_id && strlen(c->mount_id) < sizeof(b->mount_id))
        memcpy(b->mount_id, c->mount_id, strlen(c->mount_id) + 1);
    if (spec_render_layerpaths(&walk, &b->files[SPEC_FILE_LAYERPATHS].data,
                               &b->files[SPEC_FILE_LAYERPATHS].len, &e) < 0)
        fail(b, SPEC_FILE_LAYERPATHS, &e);
    bf_error_clear(&e);

    if (!image_is_windows(img) && opts->format == SPEC_FORMAT_OCI) {
        linux_files(ls, b, c, img, &walk, opts);
        goto done;
    }

    if (layerstore_daemon_config_load(ls, &dc, &b->inputs, &e) < 0 ||
        spec_isolation_resolve(c, &dc, opts->isolation, &iso, &e) < 0) {
        fail(b, SPEC_FILE_CONFIG, &e);
        fail(b, SPEC_FILE_CREATEOPTIONS, &e);
        goto done;
    }
    b->hyperv = iso == SPEC_ISOLATION_HYPERV;
    if (layerstore_has_network_store(ls, &store, &b->inputs, &e) < 0) {
        fail(b, SPEC_FILE_CONFIG, &e);
        fail(b, SPEC_FILE_CREATEOPTIONS, &e);
        goto done;
    }
    if (image_is_windows(img) &&
        spec_credspec_parse(id, c->host.security_opt, c->host.n_security_opt, &cs, &n_cs, &e) ==
            0 &&
        n_cs) {
        creds = calloc(n_cs, sizeof(*creds));
        for (size_t i = 0; creds && i < n_cs && !e.code; i++)
            spec_credspec_read(ls, id, &cs[i], opts->credspec_registry, &creds[i], &b->inputs, &e);
        if (!creds)
            bf_error_set(&e, ENOMEM, "out of memory");
    }
    if (e.code) {
        /* windowsoci (variant B) carries no credentials: only OCI config.json needs them. */
        if (opts->format == SPEC_FORMAT_OCI)
            fail(b, SPEC_FILE_CONFIG, &e);
        fail(b, SPEC_FILE_CREATEOPTIONS, &e);
        createopts_ok = false;
        config_ok = opts->format != SPEC_FORMAT_OCI;
        bf_error_clear(&e);
    }
    if (b->hyperv && image_is_windows(img)) {
        if (find_uvm(ls, img, &walk, opts->format, &uvm, &b->inputs, &e) < 0) {
            bf_error_wrap(&e, "container %s", id);
            fail(b, SPEC_FILE_CONFIG, &e);
            config_ok = false;
            bf_error_clear(&e);
        }
    }
    if (spec_mounts_build(ls, c, &mounts, &n_mounts, &b->inputs, &e) < 0) {
        fail(b, SPEC_FILE_CONFIG, &e);
        config_ok = false;
        bf_error_clear(&e);
    }
    if (strncmp(c->host.network_mode ? c->host.network_mode : "", "container:", 10) == 0) {
        char sid[LS_ID_LEN + 1];
        if (layerstore_container_resolve(ls, c->host.network_mode + 10, sid, &e) < 0) {
            bf_error_wrap(&e, "container %s: NetworkMode %s", id, c->host.network_mode);
            fail(b, SPEC_FILE_CONFIG, &e);
            config_ok = false;
            bf_error_clear(&e);
        } else {
            shared = strdup(sid);
        }
    }

    m.c = c;
    m.img = img;
    m.walk = &walk;
    m.isolation = iso;
    m.layer_folder = c->layer_path;
    m.uvm_path = uvm;
    m.mounts = mounts;
    m.n_mounts = n_mounts;
    m.network_store = store;
    /* Endpoints come from libnetwork's store (Windows images only: nothing else uses them). */
    if (store && image_is_windows(img) &&
        (load_endpoints(ls, b, c, &eps, &ep_info, &e) < 0 ||
         spec_endpoints_build(ep_info, eps.n, &endpoints, &m.n_endpoints, &m.allow_unqualified_dns,
                              &e) < 0)) {
        fail(b, SPEC_FILE_CONFIG, &e);
        fail(b, SPEC_FILE_CREATEOPTIONS, &e);
        config_ok = createopts_ok = false;
        bf_error_clear(&e);
    }
    m.endpoints = endpoints;
    m.compact = opts->compact;
    m.daemon_dns_search = (const char *const *)dc.dns_search;
    m.n_daemon_dns_search = dc.n_dns_search;
    m.shared_container_id = shared;
    m.credential_spec = n_cs && creds ? creds[n_cs - 1] : NULL; /* HEAD: the last one wins */
    if (opts->host_cpus) {
        m.host_cpus = opts->host_cpus;
    } else {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        m.host_cpus = n > 0 ? (unsigned)n : 1;
    }

    if (config_ok) {
        struct spec_blob *f = &b->files[SPEC_FILE_CONFIG];
        int r = opts->format == SPEC_FORMAT_OCI ? spec_render_oci(&m, &f->data, &f->len, &e)
                                                : spec_render_windowsoci(&m, &f->data, &f->len, &e);
        if (r < 0)
            fail(b, SPEC_FILE_CONFIG, &e);
        bf_error_clear(&e);
    }
    if (createopts_ok) {
        struct spec_blob *f = &b->files[SPEC_FILE_CREATEOPTIONS];
        if (spec_render_createoptions(&m, (const char *const *)creds, n_cs, &f->data, &f->len, &e) <
            0)
            fail(b, SPEC_FILE_CREATEOPTIONS, &e);
        bf_error_clear(&e);
    }
    if (uvm) {
        b->has_uvm = true;
        b->files[SPEC_FILE_UTILITYVM].data = steal_pointer(&uvm);
        b->files[SPEC_FILE_UTILITYVM].len = strlen(b->files[SPEC_FILE_UTILITYVM].data);
    }

done:
    bf_error_clear(&e);
    file_set(ls, b, c, img);
    collect_errors(b);
    for (size_t i = 0; creds && i < n_cs; i++)
        free(creds[i]);
    free(creds);
    free(uvm);
    free(shared);
    free(endpoints);
    free(ep_info);
    ls_endpoints_free(&eps);
    spec_credspec_free(cs, n_cs);
    spec_mounts_free(mounts, n_mounts);
    ls_daemon_config_free(&dc);
    ls_walk_free(&walk);
    ls_image_free(img);
    ls_container_free(c);
    ls_inputs_seal(&b->inputs);
    *out = b;
    return 0;
}
