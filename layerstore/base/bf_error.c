#include "bf_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocation failure while formatting an error must still leave a usable error behind. */
static char oom_message[] = "out of memory while formatting an error message";

static void release(struct bf_error *err)
{
    if (err->msg != oom_message)
        free(err->msg);
    err->msg = NULL;
}

int bf_error_setv(struct bf_error *err, int code, const char *fmt, va_list ap)
{
    char *msg = NULL;

    if (code <= 0)
        code = EIO;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = oom_message;
    release(err);
    err->code = code;
    err->msg = msg;
    return -code;
}

int bf_error_set(struct bf_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = bf_error_setv(err, code, fmt, ap);
    va_end(ap);
    return ret;
}

int bf_error_wrap(struct bf_error *err, const char *fmt, ...)
{
    char *ctx = NULL, *msg = NULL;
    va_list ap;

    if (err->code == 0)
        err->code = EIO;
    va_start(ap, fmt);
    if (vasprintf(&ctx, fmt, ap) < 0)
        ctx = NULL;
    va_end(ap);
    if (ctx && asprintf(&msg, "%s: %s", ctx, bf_error_message(err)) >= 0) {
        release(err);
        err->msg = msg;
    }
    free(ctx);
    return -err->code;
}

void bf_error_move(struct bf_error *dst, struct bf_error *src)
{
    if (dst == src)
        return;
    release(dst);
    *dst = *src;
    src->code = 0;
    src->msg = NULL;
}

void bf_error_clear(struct bf_error *err)
{
    release(err);
    err->code = 0;
}
