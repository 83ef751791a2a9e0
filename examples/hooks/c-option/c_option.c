/*
 * Example ruru hook library in C: at pkt4_send, adds one option to every
 * response (OFFER, ACK, NAK).
 *
 *   "hooks-libraries": [{
 *       "library": "/usr/lib/ruru/hooks/c_option.so",
 *       "parameters": { "code": 252, "text": "http://wpad.example/wpad.dat" }
 *   }]
 *
 * Build: make -C examples/hooks/c-option
 *
 * The parameters arrive as JSON text; a small parser below reads the
 * top-level object (strings with every JSON escape, integers, and skips any
 * other value), so no JSON library is needed.
 */

#include <stdio.h>
#include <string.h>

#include "ruru_hooks.h"

/* The library's state: written once in ruru_hook_load, then only read, so
 * callouts may run on several threads at once. */
static const RuruApi *api;
static RuruLibrary *self;
static uint16_t option_code;
static uint8_t option_text[255];
static size_t option_len;

/* ---- a minimal JSON reader ---- */

struct reader {
    const char *p;
};

static void skip_ws(struct reader *r)
{
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
        r->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Appends one byte; -1 when `out` is full (out == NULL: discard). */
static int put(uint8_t *out, size_t cap, size_t *len, unsigned byte)
{
    if (out != NULL) {
        if (*len >= cap)
            return -1;
        out[*len] = (uint8_t)byte;
    }
    (*len)++;
    return 0;
}

/* Reads a JSON string at r->p (which must be at '"') into out as UTF-8. */
static int read_string(struct reader *r, uint8_t *out, size_t cap, size_t *len)
{
    *len = 0;
    if (*r->p != '"')
        return -1;
    r->p++;
    for (;;) {
        unsigned char c = (unsigned char)*r->p++;
        unsigned cp;
        if (c == '"')
            return 0;
        if (c < 0x20) /* end of text or a raw control character */
            return -1;
        if (c != '\\') {
            if (put(out, cap, len, c))
                return -1;
            continue;
        }
        c = (unsigned char)*r->p++;
        switch (c) {
        case '"': case '\\': case '/': cp = c; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (hex4(r->p, &cp))
                return -1;
            r->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* surrogate pair */
                unsigned lo;
                if (r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                r->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            break;
        default:
            return -1;
        }
        /* UTF-8 encode cp. */
        if (cp < 0x80) {
            if (put(out, cap, len, cp)) return -1;
        } else if (cp < 0x800) {
            if (put(out, cap, len, 0xC0 | (cp >> 6)) || put(out, cap, len, 0x80 | (cp & 0x3F)))
                return -1;
        } else if (cp < 0x10000) {
            if (put(out, cap, len, 0xE0 | (cp >> 12)) ||
                put(out, cap, len, 0x80 | ((cp >> 6) & 0x3F)) ||
                put(out, cap, len, 0x80 | (cp & 0x3F)))
                return -1;
        } else {
            if (put(out, cap, len, 0xF0 | (cp >> 18)) ||
                put(out, cap, len, 0x80 | ((cp >> 12) & 0x3F)) ||
                put(out, cap, len, 0x80 | ((cp >> 6) & 0x3F)) ||
                put(out, cap, len, 0x80 | (cp & 0x3F)))
                return -1;
        }
    }
}

/* Reads a JSON integer (no fraction or exponent) in [min, max]. */
static int read_int(struct reader *r, long min, long max, long *out)
{
    long v = 0;
    int neg = 0, digits = 0;
    if (*r->p == '-') {
        neg = 1;
        r->p++;
    }
    while (*r->p >= '0' && *r->p <= '9') {
        v = v * 10 + (*r->p++ - '0');
        if (++digits > 9) /* beyond any value we accept */
            return -1;
    }
    if (digits == 0 || *r->p == '.' || *r->p == 'e' || *r->p == 'E')
        return -1;
    if (neg)
        v = -v;
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Skips any JSON value (for parameters this library does not know). */
static int skip_value(struct reader *r, int depth)
{
    size_t n;
    skip_ws(r);
    if (depth > 64)
        return -1;
    if (*r->p == '"')
        return read_string(r, NULL, 0, &n);
    if (*r->p == '{' || *r->p == '[') {
        char close = *r->p == '{' ? '}' : ']';
        r->p++;
        skip_ws(r);
        if (*r->p == close) {
            r->p++;
            return 0;
        }
        for (;;) {
            if (close == '}') {
                skip_ws(r);
                if (read_string(r, NULL, 0, &n))
                    return -1;
                skip_ws(r);
                if (*r->p++ != ':')
                    return -1;
            }
            if (skip_value(r, depth + 1))
                return -1;
            skip_ws(r);
            if (*r->p == ',') {
                r->p++;
                continue;
            }
            if (*r->p++ == close)
                return 0;
            return -1;
        }
    }
    /* number, true, false, null */
    if (strchr("-0123456789tfn", *r->p) == NULL || *r->p == '\0')
        return -1;
    while (*r->p && strchr("+-.0123456789eEtruefalsn", *r->p))
        r->p++;
    return 0;
}

static void log_msg(int32_t level, const char *msg)
{
    api->log(self, level, msg);
}

/* Parses {"code": N, "text": "..."}; logs and returns -1 on any error. */
static int parse_params(const char *json)
{
    struct reader r = { json }, start;
    int have_code = 0, have_text = 0;
    uint8_t key[32];
    size_t key_len;
    long code;

    skip_ws(&r);
    if (*r.p++ != '{') {
        log_msg(RURU_LOG_ERROR, "parameters: expected an object {\"code\": N, \"text\": \"...\"}");
        return -1;
    }
    skip_ws(&r);
    if (*r.p == '}')
        r.p++;
    else
        for (;;) {
            skip_ws(&r);
            start = r;
            if (read_string(&r, key, sizeof key, &key_len)) {
                /* Too long for `key`: no key of ours, so read it past. */
                r = start;
                if (read_string(&r, NULL, 0, &key_len)) {
                    log_msg(RURU_LOG_ERROR, "parameters: bad object key");
                    return -1;
                }
                key_len = 0;
            }
            skip_ws(&r);
            if (*r.p++ != ':') {
                log_msg(RURU_LOG_ERROR, "parameters: expected ':'");
                return -1;
            }
            skip_ws(&r);
            if (key_len == 4 && memcmp(key, "code", 4) == 0) {
                if (read_int(&r, 1, 254, &code)) {
                    log_msg(RURU_LOG_ERROR, "parameter code: expected an option code from 1 to 254");
                    return -1;
                }
                option_code = (uint16_t)code;
                have_code = 1;
            } else if (key_len == 4 && memcmp(key, "text", 4) == 0) {
                if (read_string(&r, option_text, sizeof option_text, &option_len) ||
                    option_len == 0) {
                    log_msg(RURU_LOG_ERROR, "parameter text: expected a string of 1 to 255 bytes");
                    return -1;
                }
                have_text = 1;
            } else if (skip_value(&r, 0)) {
                log_msg(RURU_LOG_ERROR, "parameters: malformed JSON");
                return -1;
            }
            skip_ws(&r);
            if (*r.p == ',') {
                r.p++;
                continue;
            }
            if (*r.p++ == '}')
                break;
            log_msg(RURU_LOG_ERROR, "parameters: expected ',' or '}'");
            return -1;
        }
    skip_ws(&r);
    if (*r.p != '\0') {
        log_msg(RURU_LOG_ERROR, "parameters: text after the object");
        return -1;
    }
    if (!have_code || !have_text) {
        log_msg(RURU_LOG_ERROR, "parameters \"code\" and \"text\" are required");
        return -1;
    }
    return 0;
}

/* ---- the exported symbols (declared in ruru_hooks.h) ---- */

uint32_t ruru_hook_abi_version(void)
{
    return RURU_HOOKS_ABI_VERSION;
}

/* The same version as data: ruru reads it from the file before loading it. */
const uint32_t ruru_hook_abi = RURU_HOOKS_ABI_VERSION;

int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *lib, const char *params_json)
{
    char msg[128];
    if (a == NULL || a->abi_version != RURU_HOOKS_ABI_VERSION ||
        a->struct_size < sizeof(RuruApi))
        return -1;
    api = a;
    self = lib;
    if (params_json == NULL || parse_params(params_json) != 0)
        return -1;
    snprintf(msg, sizeof msg, "adding option %u (%u bytes) to every response",
             (unsigned)option_code, (unsigned)option_len);
    log_msg(RURU_LOG_INFO, msg);
    return 0;
}

int32_t ruru_hook_unload(void)
{
    api = NULL;
    self = NULL;
    return 0;
}

int32_t ruru_hook_multi_threading_compatible(void)
{
    return 1;
}

int32_t pkt4_send(RuruCallout *callout)
{
    int32_t rc = api->set_option(callout, "response4", option_code, option_text, option_len);
    if (rc != RURU_OK) {
        char msg[64];
        snprintf(msg, sizeof msg, "pkt4_send: set_option failed (%d)", (int)rc);
        log_msg(RURU_LOG_ERROR, msg);
        return RURU_ERROR;
    }
    return RURU_CONTINUE;
}
