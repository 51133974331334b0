/* seccomp_scan.c - Go 1.19 encoding/json's syntax check (checkValid), with its error texts.
 *
 * json.Unmarshal scans the whole input before decoding anything, so a profile with a syntax
 * error fails with the scanner's SyntaxError whatever else is wrong with it: "invalid character
 * 'x' looking for beginning of value" (the byte quoted as strconv.Quote quotes the rune of that
 * value), "unexpected end of JSON input", and "exceeded max depth" past 10000 open arrays and
 * objects. At the end Go feeds one space, which is why "tru" fails with "invalid character ' '
 * in literal true (expecting 'e')". The same state machine, written for C.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp.h"

#define GO_MAX_DEPTH 10000

enum scan_state {
    S_VALUE,          /* start of a value */
    S_VALUE_OR_CLOSE, /* after '[' */
    S_KEY_OR_CLOSE,   /* after '{' */
    S_KEY,            /* after ',' in an object */
    S_END_VALUE,      /* after a value */
    S_END_TOP,        /* after the top-level value */
    S_STR,
    S_STR_ESC,
    S_STR_U, /* inside \uXXXX, `hex` digits read */
    S_NEG,
    S_INT,  /* after a non-zero first digit */
    S_ZERO, /* after the integer part */
    S_DOT,
    S_FRAC,
    S_EXP,
    S_EXP_SIGN,
    S_EXP_DIGITS,
    S_WORD, /* inside true/false/null */
};

enum { IN_KEY, IN_VALUE, IN_ARRAY };

struct scan {
    enum scan_state st;
    unsigned char *stack; /* what each open container expects next */
    size_t depth;
    int hex;
    const char *word; /* "true", "false", "null" */
    size_t word_pos;
    char msg[80];
};

bool spec_go_json_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* strconv.Quote of the one-rune string string(c) between single quotes, as quoteChar. */
static void go_quote_char(unsigned char c, char *buf, size_t size)
{
    static const char esc[] = "abtnvfr"; /* \a..\r are 7..13 */

    if (c == '\'')
        snprintf(buf, size, "'\\''");
    else if (c == '"')
        snprintf(buf, size, "'\"'");
    else if (c == '\\')
        snprintf(buf, size, "'\\\\'");
    else if (c >= 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else if (c >= 7 && c <= 13)
        snprintf(buf, size, "'\\%c'", esc[c - 7]);
    else if (c < 0x20 || c == 0x7f)
        snprintf(buf, size, "'\\x%02x'", c);
    else if (c > 0xa0 && c != 0xad) /* printable Latin-1, written as UTF-8 */
        snprintf(buf, size, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else
        snprintf(buf, size, "'\\u%04x'", c);
}

static int scan_fail(struct scan *s, unsigned char c, const char *context)
{
    char q[16];

    go_quote_char(c, q, sizeof(q));
    snprintf(s->msg, sizeof(s->msg), "invalid character %s %s", q, context);
    return -1;
}

static int scan_push(struct scan *s, unsigned char c, unsigned char what)
{
    if (s->depth == GO_MAX_DEPTH)
        return scan_fail(s, c, "exceeded max depth");
    s->stack[s->depth++] = what;
    return 0;
}

bool spec_go_json_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* One byte through the state machine; -1 with s->msg on a syntax error. */
static int scan_step(struct scan *s, unsigned char c)
{
    for (;;) {
        switch (s->st) {
        case S_VALUE_OR_CLOSE:
            if (spec_go_json_space(c))
                return 0;
            if (c == ']') {
                s->st = S_END_VALUE;
                continue;
            }
            s->st = S_VALUE;
            continue;
        case S_VALUE:
            if (spec_go_json_space(c))
                return 0;
            switch (c) {
            case '{':
                s->st = S_KEY_OR_CLOSE;
                return scan_push(s, c, IN_KEY);
            case '[':
                s->st = S_VALUE_OR_CLOSE;
                return scan_push(s, c, IN_ARRAY);
            case '"':
                s->st = S_STR;
                return 0;
            case '-':
                s->st = S_NEG;
                return 0;
            case '0':
                s->st = S_ZERO;
                return 0;
            case 't':
            case 'f':
            case 'n':
                s->word = c == 't' ? "true" : c == 'f' ? "false" : "null";
                s->word_pos = 1;
                s->st = S_WORD;
                return 0;
            }
            if (c >= '1' && c <= '9') {
                s->st = S_INT;
                return 0;
            }
            return scan_fail(s, c, "looking for beginning of value");
        case S_KEY_OR_CLOSE:
            if (spec_go_json_space(c))
                return 0;
            if (c == '}') {
                s->stack[s->depth - 1] = IN_VALUE;
                s->st = S_END_VALUE;
                continue;
            }
            s->st = S_KEY;
            continue;
        case S_KEY:
            if (spec_go_json_space(c))
                return 0;
            if (c == '"') {
                s->st = S_STR;
                return 0;
            }
            return scan_fail(s, c, "looking for beginning of object key string");
        case S_END_VALUE:
            if (s->depth == 0) {
                s->st = S_END_TOP;
                continue;
            }
            if (spec_go_json_space(c))
                return 0;
            switch (s->stack[s->depth - 1]) {
            case IN_KEY:
                if (c != ':')
                    return scan_fail(s, c, "after object key");
                s->stack[s->depth - 1] = IN_VALUE;
                s->st = S_VALUE;
                return 0;
            case IN_VALUE:
                if (c == ',') {
                    s->stack[s->depth - 1] = IN_KEY;
                    s->st = S_KEY;
                    return 0;
                }
                if (c != '}')
                    return scan_fail(s, c, "after object key:value pair");
                break;
            default:
                if (c == ',') {
                    s->st = S_VALUE;
                    return 0;
                }
                if (c != ']')
                    return scan_fail(s, c, "after array element");
            }
            s->depth--;
            s->st = s->depth ? S_END_VALUE : S_END_TOP;
            return 0;
        case S_END_TOP:
            if (!spec_go_json_space(c))
                return scan_fail(s, c, "after top-level value");
            return 0;
        case S_STR:
            if (c == '"')
                s->st = S_END_VALUE;
            else if (c == '\\')
                s->st = S_STR_ESC;
            else if (c < 0x20)
                return scan_fail(s, c, "in string literal");
            return 0;
        case S_STR_ESC:
            if (c == 'u') {
                s->hex = 0;
                s->st = S_STR_U;
                return 0;
            }
            if (!strchr("bfnrt\\/\"", c) || !c)
                return scan_fail(s, c, "in string escape code");
            s->st = S_STR;
            return 0;
        case S_STR_U:
            if (!spec_go_json_hex(c))
                return scan_fail(s, c, "in \\u hexadecimal character escape");
            if (++s->hex == 4)
                s->st = S_STR;
            return 0;
        case S_NEG:
            if (c == '0')
                s->st = S_ZERO;
            else if (c >= '1' && c <= '9')
                s->st = S_INT;
            else
                return scan_fail(s, c, "in numeric literal");
            return 0;
        case S_INT:
            if (c >= '0' && c <= '9')
                return 0;
            s->st = S_ZERO;
            continue;
        case S_ZERO:
            if (c == '.') {
                s->st = S_DOT;
                return 0;
            }
            if (c == 'e' || c == 'E') {
                s->st = S_EXP;
                return 0;
            }
            s->st = S_END_VALUE;
            continue;
        case S_DOT:
            if (c < '0' || c > '9')
                return scan_fail(s, c, "after decimal point in numeric literal");
            s->st = S_FRAC;
            return 0;
        case S_FRAC:
            if (c >= '0' && c <= '9')
                return 0;
            if (c == 'e' || c == 'E') {
                s->st = S_EXP;
                return 0;
            }
            s->st = S_END_VALUE;
            continue;
        case S_EXP:
            if (c == '+' || c == '-') {
                s->st = S_EXP_SIGN;
                return 0;
            }
            s->st = S_EXP_SIGN;
            continue;
        case S_EXP_SIGN:
            if (c < '0' || c > '9')
                return scan_fail(s, c, "in exponent of numeric literal");
            s->st = S_EXP_DIGITS;
            return 0;
        case S_EXP_DIGITS:
            if (c >= '0' && c <= '9')
                return 0;
            s->st = S_END_VALUE;
            continue;
        case S_WORD: {
            char ctx[40];
            if (c == (unsigned char)s->word[s->word_pos]) {
                if (!s->word[++s->word_pos])
                    s->st = S_END_VALUE;
                return 0;
            }
            snprintf(ctx, sizeof(ctx), "in literal %s (expecting '%c')", s->word,
                     s->word[s->word_pos]);
            return scan_fail(s, c, ctx);
        }
        }
    }
}

int spec_go_json_check(const unsigned char *p, size_t len, char *msg, size_t size)
{
    struct scan s = {.st = S_VALUE};
    int r = 0;

    s.stack = malloc(GO_MAX_DEPTH);
    if (!s.stack)
        return -ENOMEM;
    for (size_t i = 0; i < len && r == 0; i++)
        r = scan_step(&s, p[i]);
    /* At the end Go feeds one space, which ends a number or fails a word. */
    if (r == 0 && s.st != S_END_TOP)
        r = scan_step(&s, ' ');
    if (r == 0 && s.st != S_END_TOP) {
        snprintf(s.msg, sizeof(s.msg), "unexpected end of JSON input");
        r = -1;
    }
    free(s.stack);
    if (r == 0)
        return 0;
    snprintf(msg, size, "%s", s.msg);
    return -EINVAL;
}
