/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fastjson-compatible JSON for remoting bodies (cold path: route data,
 * heartbeats, offset tables, lock bodies).
 *
 * The Java broker serialises bodies with fastjson, which writes some things
 * that are not JSON: maps keyed by objects (MessageQueue-keyed offset
 * tables: `{{"brokerName":"b","queueId":0,"topic":"T"}:5}`) and, from older
 * servers, unquoted numeric keys (`{0:"127.0.0.1:10911"}`). The parser here
 * accepts both and builds a cJSON tree: an object or array key becomes the
 * compact JSON text of that key and the item is marked RMQ_JSON_RAWKEY, so
 * the printer writes it back unquoted, as fastjson reads it; an unquoted
 * numeric key becomes an ordinary string key ("0"). Numbers must follow the
 * JSON grammar (no nan, inf or hex). Numbers keep their
 * exact text so 64-bit values survive (cJSON stores doubles).
 *
 * The same lexer decodes JSON remoting headers in place (rmq_remoting_cmd.c).
 */
#ifndef RMQ_JSON_H
#define RMQ_JSON_H

#include <cjson/cJSON.h>

#include "common/rmq_buf.h"

/* Type bit on an item whose key is raw JSON (an object key). cJSON masks
 * types with 0xFF, so this bit is invisible to it. */
#define RMQ_JSON_RAWKEY (1 << 12)

/* Nesting limit of parsed bodies. */
#define RMQ_JSON_MAX_DEPTH 128

/* Parses \p len bytes. Returns the tree (free with cJSON_Delete) or NULL
 * with a reason in \p errstr. Trailing blanks are allowed, anything else
 * after the value is an error. */
cJSON *rmq__json_parse(const char *text, size_t len, char *errstr,
                       size_t errstr_size);

/* Compact printer, fastjson-readable (raw keys unquoted, numbers in their
 * original text). Appends to \p out. */
void rmq__json_print(const cJSON *item, rmq_buf_t *out);
/* Same, into a NUL-terminated string the caller frees with rmq__free. */
char *rmq__json_print_str(const cJSON *item, size_t *lenp);

/* Accessors that tolerate fastjson's types: a number or a numeric string.
 * Return 0 on success, -1 if absent or not a number. */
int rmq__json_get_i64(const cJSON *obj, const char *key, int64_t *out);
int rmq__json_item_i64(const cJSON *item, int64_t *out);
/* String member or NULL. */
const char *rmq__json_get_str(const cJSON *obj, const char *key);
/* Boolean member (true/false, or "true"/"false"); \p def if absent. */
bool rmq__json_get_bool(const cJSON *obj, const char *key, bool def);
/* Adds a number member written with its exact decimal text. */
cJSON *rmq__json_add_i64(cJSON *obj, const char *key, int64_t v);
/* Adds \p child under a raw-JSON key (printed unquoted, as fastjson writes
 * object-keyed maps). */
void rmq__json_add_rawkey(cJSON *obj, const char *raw_key, cJSON *child);

/*
 * Low-level pieces shared with the header decoder. A cursor over mutable
 * text; strings are unescaped in place.
 */
typedef struct rmq_jlex_s {
        char *p;
        char *end;
        int depth;
        const char *err; /* first error, sticky */
} rmq_jlex_t;

void rmq__jlex_ws(rmq_jlex_t *lx);
/* The out-of-line parts of rmq__jlex_expect / rmq__jlex_peek. */
int rmq__jlex_expect_slow(rmq_jlex_t *lx, char c);
char rmq__jlex_peek_slow(rmq_jlex_t *lx);

/* Expects and consumes character \p c (never a blank) after blanks.
 * Returns 0 or -1. Inline: the JSON the brokers write has no blanks, so
 * the character is usually right at the cursor. */
static inline int rmq__jlex_expect(rmq_jlex_t *lx, char c) {
        if (!lx->err && lx->p < lx->end && *lx->p == c) {
                lx->p++;
                return 0;
        }
        return rmq__jlex_expect_slow(lx, c);
}

/* Peeks the next non-blank character, or 0 at the end. */
static inline char rmq__jlex_peek(rmq_jlex_t *lx) {
        if (lx->p < lx->end && (unsigned char)*lx->p > ' ')
                return *lx->p;
        return rmq__jlex_peek_slow(lx);
}
/* Word-at-a-time test (SWAR): the high bit of each byte of the result is
 * set exactly where that byte of y is zero (no carry crosses bytes:
 * (b & 0x7f) + 0x7f <= 0xfe). */
static inline uint64_t rmq__swar_zero_bytes(uint64_t y) {
        const uint64_t m = 0x7f7f7f7f7f7f7f7full;
        return ~(((y & m) + m) | y | m);
}

/* The first '"' or '\\' in [s, end), or end; 8 bytes per step. */
static inline char *rmq__jlex_find_quote_or_backslash(char *s,
                                                      const char *end) {
        while (end - s >= 8) {
                uint64_t x, hit;
                memcpy(&x, s, 8);
                hit = rmq__swar_zero_bytes(x ^ 0x2222222222222222ull) |
                      rmq__swar_zero_bytes(x ^ 0x5c5c5c5c5c5c5c5cull);
                if (hit) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                          \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                        return s + (__builtin_ctzll(hit) >> 3);
#else
                        break;
#endif
                }
                s += 8;
        }
        while (s < end && *s != '"' && *s != '\\')
                s++;
        return s;
}

/* The unescaping part of rmq__jlex_string, from \p s (the first
 * backslash, or the end) of the string that starts at lx->p. */
int rmq__jlex_string_escaped(rmq_jlex_t *lx, char *s, char **sp,
                             size_t *lenp);

/* Parses a string at the cursor ('"' expected), unescaping in place; the
 * result is NUL-terminated inside the buffer. Returns 0 or -1. Inline:
 * most strings have no escapes (a header's ~20 strings per frame); the
 * first quote or backslash is found 8 bytes at a time. */
static inline int rmq__jlex_string(rmq_jlex_t *lx, char **sp,
                                   size_t *lenp) {
        char *s, *q;
        if (rmq__jlex_expect(lx, '"'))
                return -1;
        s = lx->p;
        q = rmq__jlex_find_quote_or_backslash(s, lx->end);
        if (q < lx->end && *q == '"') {
                *q    = '\0';
                lx->p = q + 1;
                *sp   = s;
                *lenp = (size_t)(q - s);
                return 0;
        }
        return rmq__jlex_string_escaped(lx, q, sp, lenp);
}
/* Returns the extent of a number/true/false/null token (not terminated).
 * Returns 0 or -1. */
int rmq__jlex_scalar(rmq_jlex_t *lx, char **sp, size_t *lenp);
/* Skips any value (depth-limited). Returns 0 or -1. */
int rmq__jlex_skip(rmq_jlex_t *lx);

#endif /* RMQ_JSON_H */
