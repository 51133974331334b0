/* createoptions.c - the runtime create options (the seed's last getLibcontainerdCreateOptions).
 *
 * A JSON array, in the seed's append order: one "credentials" element per credential spec,
 * then "flush", "hyperv", "layer", and "networkendpoints" only when there are endpoints (the
 * seed appends it only for a non-nil list). Each element is the Go option struct marshalled
 * with its own field names, plus a "type" key first naming which option it is:
 *   {"type":"credentials","Credentials":"<spec>"}
 *   {"type":"flush","IgnoreFlushesDuringBoot":<!HasBeenStartedBefore>}
 *   {"type":"hyperv","IsHyperV":<bool>,"SandboxPath":"<parent of the layer folder>"}  (omitempty)
 *   {"type":"layer","LayerFolderPath":"<layer folder>","LayerPaths":[top ... base]}
 *   {"type":"networkendpoints","Endpoints":[...],"AllowUnqualifiedDNSQuery":<bool>}
 * LayerFolderPath is set for every isolation (from 2016-10-04 on, as the seed's last variant);
 * LayerPaths has no omitempty, so an image without layers gives null.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"

/* {"type": type}, appended to `a` */
static struct spec_node *option(struct spec_builder *b, struct spec_node *a, const char *type)
{
    struct spec_node *o = spec_b_obj(b);

    spec_b_put(b, o, "type", spec_b_str(b, type));
    spec_b_push(b, a, o);
    return o;
}

/* A NULL string fails the document, as it failed jansson's json_pack. */
static struct spec_node *str(struct spec_builder *b, const char *s)
{
    if (!s)
        b->failed = true;
    return s ? spec_b_str(b, s) : NULL;
}

int spec_render_createoptions(const struct spec_model *m, const char *const *credentials,
                              size_t n_credentials, char **out, size_t *len, struct bf_error *err)
{
    struct spec_builder b = {false};
    struct spec_node *a = spec_b_arr(&b), *o;

    for (size_t i = 0; i < n_credentials; i++) {
        o = option(&b, a, "credentials");
        spec_b_put(&b, o, "Credentials", str(&b, credentials[i]));
    }
    o = option(&b, a, "flush");
    spec_b_put(&b, o, "IgnoreFlushesDuringBoot", spec_b_bool(&b, !m->c->has_been_started_before));
    o = option(&b, a, "hyperv");
    if (m->isolation == SPEC_ISOLATION_HYPERV) {
        /* filepath.Dir of the layer folder, with the separator the paths are rendered in */
        const char *lf = m->layer_folder ? m->layer_folder : "";
        const char *cut = strrchr(lf, lf[0] == '/' ? '/' : '\\');
        spec_b_put(&b, o, "IsHyperV", spec_b_bool(&b, true));
        spec_b_put(&b, o, "SandboxPath", spec_b_strn(&b, lf, cut ? (size_t)(cut - lf) : 0));
    } else {
        spec_b_put(&b, o, "IsHyperV", spec_b_bool(&b, false));
    }
    o = option(&b, a, "layer");
    if (m->layer_folder && *m->layer_folder)
        spec_b_put(&b, o, "LayerFolderPath", spec_b_str(&b, m->layer_folder));
    if (m->walk->n) {
        struct spec_node *paths = spec_b_arr(&b);
        for (size_t i = 0; i < m->walk->n; i++)
            spec_b_push(&b, paths, str(&b, m->walk->layers[i].path));
        spec_b_put(&b, o, "LayerPaths", paths);
    } else {
        spec_b_put(&b, o, "LayerPaths", spec_b_null(&b));
    }
    if (m->n_endpoints) {
        o = option(&b, a, "networkendpoints");
        struct spec_node *eps = spec_b_arr(&b);
        for (size_t i = 0; i < m->n_endpoints; i++)
            spec_b_push(&b, eps, str(&b, m->endpoints[i]));
        spec_b_put(&b, o, "Endpoints", eps);
        spec_b_put(&b, o, "AllowUnqualifiedDNSQuery", spec_b_bool(&b, m->allow_unqualified_dns));
    }
    return spec_b_finish(&b, a, m->compact, m->c->id, "createoptions.json", out, len, err);
}
