/* log.c - the daemon's one log hook: stderr, or syslog once daemonized; and the lines logged
 * with the tree lock held, kept until it is released. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "tree_internal.h"

/* What waits for the lock's release at most: a flood of lines beyond it is counted instead. */
#define LOG_PENDING_MAX (64u << 10)

static bool log_syslog;

void bfs_log_use_syslog(bool on)
{
    log_syslog = on;
}

void bfs_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (log_syslog) {
        vsyslog(LOG_ERR, fmt, ap);
    } else {
        char line[4096];
        vsnprintf(line, sizeof(line), fmt, ap);
        fprintf(stderr, "bundlefs: %s\n", line);
    }
    va_end(ap);
}

void tree_log_locked(struct bfs_tree *t, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    int n;
    char *p;

    tree_assert_locked(t);
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    if (t->log_len + (size_t)n + 1 > LOG_PENDING_MAX ||
        !(p = realloc(t->log_pending, t->log_len + (size_t)n + 2))) {
        t->log_dropped++;
        return;
    }
    memcpy(p + t->log_len, line, (size_t)n);
    p[t->log_len + (size_t)n] = '\n';
    p[t->log_len + (size_t)n + 1] = '\0';
    t->log_pending = p;
    t->log_len += (size_t)n + 1;
}

void tree_log_flush(char *lines, unsigned dropped)
{
    for (char *p = lines; p && *p;) {
        char *nl = strchr(p, '\n');
        if (!nl) /* every line ends with one; a NUL inside a line ends them all */
            break;
        *nl = '\0';
        bfs_log("%s", p);
        p = nl + 1;
    }
    free(lines);
    if (dropped)
        bfs_log("%u more log lines dropped while the tree was busy", dropped);
}
