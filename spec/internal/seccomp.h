/* seccomp.h - linux.seccomp as Docker 20.10.24 builds it (profiles/seccomp,
 * daemon/seccomp_linux.go).
 *
 * A profile is Docker's types.Seccomp read with Go's encoding/json rules (seccomp_decode.c):
 * the built-in default (spec/data/seccomp-default.json, which is byte-for-byte what 20.10.24's
 * DefaultProfile() marshals to) or a custom one from HostConfig.SecurityOpt "seccomp=<json>".
 * spec_seccomp_build() is setupSeccomp for one container (seccomp.c). Whether a container gets
 * seccomp at all is the caller's part of WithSeccomp: none for "seccomp=unconfined" and for
 * privileged containers; a custom profile, else daemon.json's seccomp-profile, else the default.
 */
#ifndef SPEC_SECCOMP_H
#define SPEC_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bf_error.h"

struct spec_seccomp_profile;

/* A profile's JSON text is refused above this size (the default is 13 KB), and a profile whose
 * arrays hold more than SPEC_SECCOMP_MAX_ITEMS elements in all. */
#define SPEC_SECCOMP_MAX_BYTES (1u << 20)
#define SPEC_SECCOMP_MAX_ITEMS 65536u

/* The built-in default profile, parsed once per process (pthread_once); the same pointer every
 * call. Never freed. */
int spec_seccomp_default(const struct spec_seccomp_profile **out, struct bf_error *err);
/* Free the default profile at exit (spec_cleanup); nothing may use it afterwards. */
void spec_seccomp_default_release(void);
/* How many times the default was parsed (0 before the first call, then 1). */
unsigned long spec_seccomp_default_parses(void);

/* Parse a profile given as JSON text; `what` names the source in messages ("container <id>:
 * containers/<id>/hostconfig.json: SecurityOpt seccomp"). Errors are Docker's: "<what>:
 * Decoding seccomp profile failed: <Go's encoding/json message>". */
int spec_seccomp_parse(const char *json, size_t len, const char *what,
                       struct spec_seccomp_profile **out, struct bf_error *err);
void spec_seccomp_free(struct spec_seccomp_profile *p);

struct spec_kernel {
    unsigned major, minor; /* "6.1.0-18-amd64" -> 6, 1 */
};

/* Docker's parseRelease (fmt.Sscanf(release, "%d.%d")): the uname release's first two numbers.
 * -EINVAL when it does not start that way, -ERANGE when a number does not fit. */
int spec_seccomp_kernel_parse(const char *release, struct spec_kernel *out);

/* runtime.GOARCH of a daemon built for the machine uname(2) reports ("x86_64" -> "amd64",
 * "aarch64" -> "arm64", "armv7l" -> "arm", "i686" -> "386", "mips64" -> "mips64le", which is
 * the only 64-bit MIPS port Debian ships); NULL when unknown. A 32-bit dockerd on a 64-bit
 * kernel has the 32-bit GOARCH: pass that instead. */
const char *spec_seccomp_goarch(const char *uname_machine);

/* setupSeccomp: the runtime-spec linux.seccomp object for a container whose process has the
 * capability bounding set caps[0..n_caps) ("CAP_X" names), built by a daemon of GOARCH `goarch`
 * (NULL or unknown: Docker's empty native arch) on a host running `kernel` (NULL: unknown, an
 * error only when a rule has a minKernel). Keys in the order and with the omitempty of the
 * runtime-spec types 20.10.24 vendors (defaultAction, architectures, syscalls: names, action,
 * errnoRet, args: index, value, valueTwo, op); that version has no defaultErrnoRet, flags are
 * never set, and neither are listenerPath/listenerMetadata. *out is NULL when Docker sets no
 * seccomp (a profile with no defaultAction and no syscalls). */
int spec_seccomp_build(const struct spec_seccomp_profile *p, const char *goarch,
                       const char *const *caps, size_t n_caps, const struct spec_kernel *kernel,
                       json_t **out, struct bf_error *err);

/* ---- the model: Go's values as decoded (seccomp_decode.c fills it, seccomp.c reads it) ---- */

/* A Go string: NUL-terminated copy, n bytes (a \u0000 escape can put NULs inside). */
struct spec_sc_str {
    char *s;
    size_t n;
};

/* A Go slice: `len` elements in use of `cap` allocated (zeroed past what was ever written);
 * nonnil tells [] from null. Decoding reuses elements as Go's decoder does. */
struct spec_sc_slice {
    void *v;
    size_t len, cap;
    bool nonnil;
};

struct spec_sc_kver {
    uint64_t kernel, major;
};

struct spec_sc_filter {
    struct spec_sc_slice caps, arches; /* struct spec_sc_str */
    struct spec_sc_kver *min_kernel;   /* NULL = not given */
};

struct spec_sc_arg {
    uint64_t index, value, value_two;
    struct spec_sc_str op;
};

struct spec_sc_call {
    struct spec_sc_str name;
    struct spec_sc_slice names; /* struct spec_sc_str */
    struct spec_sc_str action;
    bool has_errno_ret;
    uint64_t errno_ret;
    struct spec_sc_slice args; /* struct spec_sc_arg *, NULL for a JSON null */
    struct spec_sc_str comment;
    struct spec_sc_filter includes, excludes;
};

struct spec_sc_arch {
    struct spec_sc_str arch;
    struct spec_sc_slice sub; /* struct spec_sc_str */
};

struct spec_seccomp_profile {
    char *what;
    struct spec_sc_str default_action;
    struct spec_sc_slice architectures; /* struct spec_sc_str */
    struct spec_sc_slice arch_map;      /* struct spec_sc_arch */
    struct spec_sc_slice syscalls;      /* struct spec_sc_call *, NULL for a JSON null */
};

/* Go's json.Unmarshal of `json` into a zeroed *p (seccomp_decode.c). On failure (-EINVAL: Go's
 * error; -E2BIG: over SPEC_SECCOMP_MAX_ITEMS; -ENOMEM) *msg is the text alone, no prefix (NULL
 * for -ENOMEM), and *p holds whatever was decoded: clear it either way. */
int spec_seccomp_decode(const char *json, size_t len, struct spec_seccomp_profile *p, char **msg);
/* Free everything but `what` and zero the rest. */
void spec_seccomp_profile_clear(struct spec_seccomp_profile *p);

/* Go's checkValid over len bytes (seccomp_scan.c): 0, or -EINVAL with Go's SyntaxError text in
 * msg (at most `size` bytes), or -ENOMEM. Checked input has no NUL byte and no control byte in
 * a string. */
int spec_go_json_check(const unsigned char *p, size_t len, char *msg, size_t size);
bool spec_go_json_space(unsigned char c); /* ' ', '\t', '\r', '\n' */
bool spec_go_json_hex(unsigned char c);

#endif
