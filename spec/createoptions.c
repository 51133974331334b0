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

static bool add(json_t *a, json_t *o)
{
    return o && json_array_append_new(a, o) == 0;
}

/* Unchecked: spec_b_finish checks UTF-8 while writing (json.c). */
static json_t *spec_str(const char *s)
{
    return s ? json_stringn_nocheck(s, strlen(s)) : NULL;
}

int spec_render_createoptions(const struct spec_model *m, const char *const *credentials,
                              size_t n_credentials, char **out, size_t *len, struct bf_error *err)
{
    json_t *a = json_array(), *paths = NULL;
    bool ok = a != NULL;
    char *sandbox = NULL;

    for (size_t i = 0; ok && i < n_credentials; i++)
        ok = add(a, json_pack("{s:s, s:s}", "type", "credentials", "Credentials", credentials[i]));
    if (ok)
        ok = add(a, json_pack("{s:s, s:b}", "type", "flush", "IgnoreFlushesDuringBoot",
                              !m->c->has_been_started_before));
    if (ok && m->isolation == SPEC_ISOLATION_HYPERV) {
        /* filepath.Dir of the layer folder, with the separator the paths are rendered in */
        const char *lf = m->layer_folder ? m->layer_folder : "";
        const char *cut = strrchr(lf, lf[0] == '/' ? '/' : '\\');
        sandbox = strndup(lf, cut ? (size_t)(cut - lf) : 0);
        ok = sandbox && add(a, json_pack("{s:s, s:b, s:s}", "type", "hyperv", "IsHyperV", 1,
                                         "SandboxPath", sandbox));
    } else if (ok) {
        ok = add(a, json_pack("{s:s, s:b}", "type", "hyperv", "IsHyperV", 0));
    }
    if (ok) {
        json_t *layer = json_pack("{s:s}", "type", "layer");
        if (m->walk->n) {
            paths = json_array();
            for (size_t i = 0; paths && i < m->walk->n; i++)
                if (json_array_append_new(paths, spec_str(m->walk->layers[i].path)) < 0)
                    ok = false;
        } else {
            paths = json_null();
        }
        ok = ok && layer && paths;
        if (ok && m->layer_folder && *m->layer_folder)
            ok = json_object_set_new(layer, "LayerFolderPath", spec_str(m->layer_folder)) == 0;
        if (ok)
            ok = json_object_set_new(layer, "LayerPaths", paths) == 0;
        else
            json_decref(paths);
        ok = ok && add(a, layer);
        if (!ok)
            json_decref(layer);
    }
    if (ok && m->n_endpoints) {
        json_t *eps = json_array();
        for (size_t i = 0; eps && i < m->n_endpoints; i++)
            if (json_array_append_new(eps, spec_str(m->endpoints[i])) < 0)
                ok = false;
        ok = ok && eps &&
             add(a, json_pack("{s:s, s:o, s:b}", "type", "networkendpoints", "Endpoints", eps,
                              "AllowUnqualifiedDNSQuery", m->allow_unqualified_dns));
    }
    free(sandbox);
    struct spec_builder b = {.failed = !ok};
    return spec_b_finish(&b, a, m->compact, m->c->id, "createoptions.json", out, len, err);
}
