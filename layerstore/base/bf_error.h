/* bf_error.h - the error object every fallible bundlefs call fills.
 *
 * A fallible function returns a negative errno-style int and, on failure, fills a caller-owned
 * struct bf_error with a message that names the file and what is wrong. Callers on the way up
 * add context with bf_error_wrap(). The message is converted to a FUSE errno in exactly one
 * place (the fs op handler); the text goes to the log and to the container's `error` file.
 */
#ifndef BF_ERROR_H
#define BF_ERROR_H

#include <stdarg.h>

struct bf_error {
    int code;  /* positive errno value; 0 = no error */
    char *msg; /* heap string, NULL when code == 0 */
};

#define BF_ERROR_INIT {0, NULL}

/* Replace any previous error with (code, message). Returns -code (code must be > 0). */
int bf_error_set(struct bf_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bf_error_setv(struct bf_error *err, int code, const char *fmt, va_list ap);

/* Prefix the current message with context: "<context>: <old message>". Returns -err->code. */
int bf_error_wrap(struct bf_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Move src into dst (dst's old error is released); src is left cleared. */
void bf_error_move(struct bf_error *dst, struct bf_error *src);

void bf_error_clear(struct bf_error *err);

static inline const char *bf_error_message(const struct bf_error *err)
{
    return err->msg ? err->msg : "unknown error";
}

#endif
