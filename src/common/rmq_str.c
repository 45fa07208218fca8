/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>

#include "common/rmq_str.h"

size_t rmq__strlcpy(char *dst, const char *src, size_t size) {
        size_t len = strlen(src);
        if (size) {
                size_t n = len < size - 1 ? len : size - 1;
                memcpy(dst, src, n);
                dst[n] = '\0';
        }
        return len;
}

rmq_err_t rmq__seterr(char *errstr, size_t errstr_size, rmq_err_t err,
                      const char *fmt, ...) {
        va_list ap;
        if (errstr && errstr_size) {
                va_start(ap, fmt);
                vsnprintf(errstr, errstr_size, fmt, ap);
                va_end(ap);
        }
        return err;
}

char *rmq__vasprintf(const char *fmt, va_list ap) {
        va_list ap2;
        int n;
        char *s;
        va_copy(ap2, ap);
        n = vsnprintf(NULL, 0, fmt, ap2);
        va_end(ap2);
        if (n < 0)
                n = 0;
        s = rmq__malloc((size_t)n + 1);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        return s;
}

char *rmq__asprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        s = rmq__vasprintf(fmt, ap);
        va_end(ap);
        return s;
}

int rmq__parse_i64n(const char *s, size_t len, int64_t *out) {
        size_t i = 0;
        int neg = 0;
        uint64_t v = 0;
        const uint64_t lim = (uint64_t)INT64_MAX;
        if (!s || len == 0)
                return -1;
        if (s[0] == '-' || s[0] == '+') {
                neg = s[0] == '-';
                i   = 1;
                if (len == 1)
                        return -1;
        }
        /* Up to 18 digits cannot overflow: no check (and no division)
         * per digit. */
        if (len - i <= 18) {
                for (; i < len; i++) {
                        if (s[i] < '0' || s[i] > '9')
                                return -1;
                        v = v * 10 + (unsigned)(s[i] - '0');
                }
        }
        for (; i < len; i++) {
                unsigned d;
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                d = (unsigned)(s[i] - '0');
                if (v > (lim + (uint64_t)neg - d) / 10)
                        return -1;
                v = v * 10 + d;
        }
        if (neg)
                *out = v == lim + 1 ? INT64_MIN : -(int64_t)v;
        else
                *out = (int64_t)v;
        return 0;
}

int rmq__parse_i64(const char *s, int64_t *out) {
        if (!s)
                return -1;
        return rmq__parse_i64n(s, strlen(s), out);
}

int rmq__parse_i32(const char *s, int32_t *out) {
        int64_t v;
        if (rmq__parse_i64(s, &v) || v < INT32_MIN || v > INT32_MAX)
                return -1;
        *out = (int32_t)v;
        return 0;
}

bool rmq__parse_bool(const char *s) {
        if (!s || strlen(s) != 4)
                return false;
        return (s[0] | 0x20) == 't' && (s[1] | 0x20) == 'r' &&
               (s[2] | 0x20) == 'u' && (s[3] | 0x20) == 'e';
}

int32_t rmq__java_hash(const char *s, size_t len) {
        /* Decode UTF-8 to code points, emit UTF-16 units into the hash.
         * Invalid sequences count as U+FFFD, as Java's decoder does. */
        uint32_t h = 0;
        size_t i   = 0;
        const unsigned char *u = (const unsigned char *)s;
        while (i < len) {
                uint32_t cp;
                unsigned char c = u[i];
                size_t n;
                if (c < 0x80) {
                        cp = c;
                        n  = 1;
                } else if ((c & 0xe0) == 0xc0 && i + 1 < len &&
                           (u[i + 1] & 0xc0) == 0x80) {
                        cp = ((uint32_t)(c & 0x1f) << 6) | (u[i + 1] & 0x3f);
                        n  = 2;
                } else if ((c & 0xf0) == 0xe0 && i + 2 < len &&
                           (u[i + 1] & 0xc0) == 0x80 &&
                           (u[i + 2] & 0xc0) == 0x80) {
                        cp = ((uint32_t)(c & 0x0f) << 12) |
                             ((uint32_t)(u[i + 1] & 0x3f) << 6) |
                             (u[i + 2] & 0x3f);
                        n = 3;
                } else if ((c & 0xf8) == 0xf0 && i + 3 < len &&
                           (u[i + 1] & 0xc0) == 0x80 &&
                           (u[i + 2] & 0xc0) == 0x80 &&
                           (u[i + 3] & 0xc0) == 0x80) {
                        cp = ((uint32_t)(c & 0x07) << 18) |
                             ((uint32_t)(u[i + 1] & 0x3f) << 12) |
                             ((uint32_t)(u[i + 2] & 0x3f) << 6) |
                             (u[i + 3] & 0x3f);
                        n = 4;
                } else {
                        cp = 0xfffd;
                        n  = 1;
                }
                i += n;
                if (cp >= 0x10000) {
                        cp -= 0x10000;
                        h = 31 * h + (0xd800 + (cp >> 10));
                        h = 31 * h + (0xdc00 + (cp & 0x3ff));
                } else {
                        h = 31 * h + cp;
                }
        }
        return (int32_t)h;
}

/* Two upper-case digits per byte value. */
static const char hex_pairs[513] =
    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
    "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F"
    "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F"
    "606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F"
    "808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F"
    "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"
    "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
    "E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF";

void rmq__hex_upper(const uint8_t *in, size_t n, char *out) {
        size_t i;
        /* one table lookup per byte (the ids of every received message
         * come through here) */
        for (i = 0; i < n; i++)
                memcpy(out + 2 * i, hex_pairs + 2 * in[i], 2);
        out[2 * n] = '\0';
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int rmq__unhex(const char *in, size_t hexlen, uint8_t *out) {
        size_t i;
        if (hexlen % 2)
                return -1;
        for (i = 0; i < hexlen / 2; i++) {
                int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -1;
                out[i] = (uint8_t)((hi << 4) | lo);
        }
        return 0;
}

/* UtilAll.isBlank / StringUtils.isBlank: NULL, empty or only ASCII
 * whitespace (Character.isWhitespace over ASCII). */
bool rmq__str_is_blank(const char *s) {
        if (!s)
                return true;
        for (; *s; s++)
                if (!(*s == ' ' || (*s >= '\t' && *s <= '\r') ||
                      (*s >= 0x1c && *s <= 0x1f)))
                        return false;
        return true;
}
