/* user.h - a Linux container's process.user, as Docker 20.10 resolves it (spec/user.c).
 *
 * Debian 12's dockerd (docker.io 20.10.24+dfsg1) is built against Debian's runc 1.1.5 source,
 * not the runc 1.0.0-rc92 that moby vendors at v20.10.24: the parsing and error texts here are
 * libcontainer/user's at runc v1.1.5 (GetExecUser, GetAdditionalGroups), called the way
 * daemon/oci_linux.go getUser calls them.
 */
#ifndef SPEC_USER_H
#define SPEC_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bf_error.h"
#include "layerstore.h"

struct spec_user {
    uint32_t uid, gid;
    uint32_t *additional_gids; /* [gid] + the user's supplementary groups + GroupAdd */
    size_t n_additional_gids;
};

/* One of the two files as dockerd's os.Open and read see it. */
struct spec_user_file {
    const char *data;       /* NULL: it cannot be opened (absent): read as no entries */
    size_t len;             /* bytes of data (NULs allowed) */
    const char *read_error; /* non-NULL: it opens but its first read fails with this text
                               (a directory: layerstore_rootfs_read's -EISDIR message) */
};

/* Docker 20.10's getUser: `user` is Config.User ("" or NULL = root), passwd/group the file
 * contents (NULL = absent file), group_add HostConfig.GroupAdd. Errors carry Docker's exact
 * text (e.g. "unable to find user app: no matching entries in passwd file"). */
int spec_user_resolve(const char *user, const char *passwd, size_t passwd_len, const char *group,
                      size_t group_len, char *const *group_add, size_t n_group_add,
                      struct spec_user *out, struct bf_error *err);

/* The same with files that may open and fail to read (passwd or group NULL = absent). */
int spec_user_resolve_files(const char *user, const struct spec_user_file *passwd,
                            const struct spec_user_file *group, char *const *group_add,
                            size_t n_group_add, struct spec_user *out, struct bf_error *err);

/* Both steps for container c: /etc/passwd and /etc/group read through its layers
 * (layerstore_rootfs_read, cap LS_CAP_ROOTFS_FILE), then resolved for c->config.user. A
 * directory in place of a file is the read error Docker gives, when Docker reads that file. */
int spec_user_from_rootfs(struct layerstore *ls, const struct ls_container *c,
                          const struct ls_walk *w, char *const *group_add, size_t n_group_add,
                          struct spec_user *out, struct ls_inputs *in, struct bf_error *err);

void spec_user_free(struct spec_user *u);

#endif
