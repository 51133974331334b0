/* log.c - the daemon's one log hook: stderr, or syslog once daemonized. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "tree.h"

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
