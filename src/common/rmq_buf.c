/* SPDX-License-Identifier: Apache-2.0 */
#include "common/rmq_buf.h"

void rmq__buf_init(rmq_buf_t *buf, size_t cap) {
        buf->data = cap ? rmq__malloc(cap) : NULL;
        buf->len  = 0;
        buf->cap  = cap;
}

void rmq__buf_free(rmq_buf_t *buf) {
        rmq__free(buf->data);
        buf->data = NULL;
        buf->len = buf->cap = 0;
}

uint8_t *rmq__buf_steal(rmq_buf_t *buf, size_t *lenp) {
        uint8_t *d = buf->data;
        if (lenp)
                *lenp = buf->len;
        buf->data = NULL;
        buf->len = buf->cap = 0;
        return d;
}

void rmq__buf_reserve(rmq_buf_t *buf, size_t extra) {
        size_t need = buf->len + extra;
        size_t cap  = buf->cap ? buf->cap : 64;
        if (need <= buf->cap)
                return;
        while (cap < need)
                cap = cap * 2;
        buf->data = rmq__realloc(buf->data, cap);
        buf->cap  = cap;
}

void rmq__buf_put_i64_dec(rmq_buf_t *buf, int64_t v) {
        char tmp[24];
        char *e = tmp + sizeof(tmp);
        char *p = e;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        do {
                *--p = (char)('0' + (u % 10));
                u /= 10;
        } while (u);
        if (v < 0)
                *--p = '-';
        rmq__buf_put(buf, p, (size_t)(e - p));
}

void rmq__buf_put_json_escaped(rmq_buf_t *buf, const char *s, size_t n) {
        static const char hex[] = "0123456789ABCDEF";
        size_t i, start = 0;
        rmq__buf_reserve(buf, n + 2);
        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                const char *esc = NULL;
                char u[6];
                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                rmq__buf_put(buf, s + start, i - start);
                start = i + 1;
                switch (c) {
                case '"': esc = "\\\""; break;
                case '\\': esc = "\\\\"; break;
                case '\n': esc = "\\n"; break;
                case '\r': esc = "\\r"; break;
                case '\t': esc = "\\t"; break;
                case '\b': esc = "\\b"; break;
                case '\f': esc = "\\f"; break;
                default:
                        u[0] = '\\';
                        u[1] = 'u';
                        u[2] = '0';
                        u[3] = '0';
                        u[4] = hex[c >> 4];
                        u[5] = hex[c & 0xf];
                        rmq__buf_put(buf, u, 6);
                        continue;
                }
                rmq__buf_put_str(buf, esc);
        }
        rmq__buf_put(buf, s + start, n - start);
}
