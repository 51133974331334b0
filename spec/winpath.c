/* winpath.c - Go's path/filepath.Clean under Windows rules, and the working directory the
 * Windows daemon of the seed's era hands to the runtime.
 *
 * Clean (Go 1.7's path/filepath, GOOS=windows): the volume name (a drive letter "C:" or a UNC
 * "\\host\share") is kept as typed; in the rest '/' and '\' both separate, repeated separators
 * and "." elements go, ".." removes the element before it (at the root it goes, in a relative
 * path it stays), a trailing separator goes, and "" becomes "."; every '/' comes out as '\'.
 * volumeNameLen is Go 1.7's: a UNC volume is two separators, a server name that does not start
 * with a separator or '.', one separator, and a share name that does not start with one;
 * "\\?\" and "\\.\" prefixes are not volumes there (later Go versions changed that).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec_internal.h"

static bool is_sep(char c)
{
    return c == '/' || c == '\\';
}

static size_t volume_len(const char *p, size_t l)
{
    if (l < 2)
        return 0;
    if (p[1] == ':' && ((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
        return 2;
    if (l >= 5 && is_sep(p[0]) && is_sep(p[1]) && !is_sep(p[2]) && p[2] != '.') {
        /* the server name runs to the next separator, which must not be doubled */
        for (size_t n = 3; n < l - 1; n++) {
            if (!is_sep(p[n]))
                continue;
            n++;
            if (is_sep(p[n]) || p[n] == '.')
                return 0;
            while (n < l && !is_sep(p[n]))
                n++;
            return n;
        }
    }
    return 0;
}

char *spec_win_clean(const char *path)
{
    size_t l = strlen(path), vol = volume_len(path, l), n = l - vol, r = 0, w = 0, dotdot = 0;
    const char *p = path + vol;
    char *out = malloc(l + 3), *buf;
    bool rooted;

    if (!out)
        return NULL;
    memcpy(out, path, vol);
    buf = out + vol;
    if (n == 0) {
        /* a volume alone: a UNC one as it is, a drive letter gets "." ("C:" is C's cwd) */
        if (vol > 1 && is_sep(path[0]) && is_sep(path[1])) {
            out[vol] = '\0';
        } else {
            out[vol] = '.';
            out[vol + 1] = '\0';
        }
        goto slashes;
    }
    rooted = is_sep(p[0]);
    if (rooted) {
        buf[w++] = '\\';
        r = dotdot = 1;
    }
    while (r < n) {
        if (is_sep(p[r])) {
            r++; /* empty element */
        } else if (p[r] == '.' && (r + 1 == n || is_sep(p[r + 1]))) {
            r++; /* "." */
        } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || is_sep(p[r + 2]))) {
            r += 2; /* "..": back to the previous separator, or kept where it cannot go back */
            if (w > dotdot) {
                w--;
                while (w > dotdot && !is_sep(buf[w]))
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    buf[w++] = '\\';
                buf[w++] = '.';
                buf[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                buf[w++] = '\\';
            while (r < n && !is_sep(p[r]))
                buf[w++] = p[r++];
        }
    }
    if (w == 0)
        buf[w++] = '.';
    buf[w] = '\0';
slashes:
    for (char *c = out; *c; c++) /* FromSlash, over the volume name too */
        if (*c == '/')
            *c = '\\';
    return out;
}

char *spec_win_cwd(const struct ls_container *c)
{
    const char *wd = c->config.working_dir;

    if (!wd || !*wd)
        return strdup("C:\\");
    /* SetupWorkingDirectory cleans it where the container's filesystem is mounted on the host:
     * not for a container stored as Hyper-V (a "" one is cleaned whatever the daemon's
     * default, as the seed's daemon did). */
    if (c->host.isolation && strcasecmp(c->host.isolation, "hyperv") == 0)
        return strdup(wd);
    return spec_win_clean(wd);
}
