/* SPDX-License-Identifier: Apache-2.0 */
/*
 * String helpers: bounded copies, error strings, checked number parsing and
 * the Java String.hashCode() used for tag codes.
 */
#ifndef RMQ_STR_H
#define RMQ_STR_H

#include <stdarg.h>

#include "common/rmq_common.h"

/* Copies at most size-1 bytes and always NUL-terminates (size > 0).
 * Returns strlen(src). */
size_t rmq__strlcpy(char *dst, const char *src, size_t size);

/* Writes a formatted message to errstr (if errstr != NULL && size > 0) and
 * returns \p err, so callers can `return rmq__seterr(...)`. */
rmq_err_t rmq__seterr(char *errstr, size_t errstr_size, rmq_err_t err,
                      const char *fmt, ...) RMQ_PRINTF(4, 5);

/* printf into a freshly allocated string. */
char *rmq__asprintf(const char *fmt, ...) RMQ_PRINTF(1, 2);
char *rmq__vasprintf(const char *fmt, va_list ap);

/* Checked decimal parsing of the whole string (leading/trailing blanks are
 * an error). Return 0 on success, -1 on failure (value unchanged). */
int rmq__parse_i64(const char *s, int64_t *out);
int rmq__parse_i32(const char *s, int32_t *out);
/* Same, for a string of known length (no NUL needed). */
int rmq__parse_i64n(const char *s, size_t len, int64_t *out);
/* "true"/"false" as Java's Boolean.parseBoolean: anything but a case-
 * insensitive "true" is false. */
bool rmq__parse_bool(const char *s);
/* Java's isBlank: NULL, empty, or only whitespace. */
bool rmq__str_is_blank(const char *s);

/* Java String.hashCode() of a UTF-8 string (computed over its UTF-16 code
 * units, as Java does). */
int32_t rmq__java_hash(const char *s, size_t len);

/* Case-sensitive equality of a (ptr,len) string with a C string. */
static inline bool rmq__streqn(const char *a, size_t alen, const char *b) {
        size_t blen = strlen(b);
        return alen == blen && memcmp(a, b, alen) == 0;
}

/* Upper-case hex of \p n bytes into \p out (2n chars + NUL). */
void rmq__hex_upper(const uint8_t *in, size_t n, char *out);
/* Parses 2n hex chars into n bytes; returns 0 or -1. */
int rmq__unhex(const char *in, size_t hexlen, uint8_t *out);

#endif /* RMQ_STR_H */
