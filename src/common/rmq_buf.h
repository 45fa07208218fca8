/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growable byte buffer with big-endian writers, and a bounds-checked reader
 * cursor with a sticky error (STYLE R10).
 */
#ifndef RMQ_BUF_H
#define RMQ_BUF_H

#include "common/rmq_common.h"

typedef struct rmq_buf_s {
        uint8_t *data;
        size_t len;
        size_t cap;
} rmq_buf_t;

#define RMQ_BUF_INIT {NULL, 0, 0}

void rmq__buf_init(rmq_buf_t *buf, size_t cap);
void rmq__buf_free(rmq_buf_t *buf);
/* Hands the storage to the caller (who frees it with rmq__free) and resets
 * the buffer to empty. */
uint8_t *rmq__buf_steal(rmq_buf_t *buf, size_t *lenp);
void rmq__buf_reserve(rmq_buf_t *buf, size_t extra);

static inline void rmq__buf_reset(rmq_buf_t *buf) {
        buf->len = 0;
}

/* Returns a pointer to \p n fresh bytes at the end (not initialised). */
static inline uint8_t *rmq__buf_grow(rmq_buf_t *buf, size_t n) {
        uint8_t *p;
        if (RMQ_UNLIKELY(buf->cap - buf->len < n))
                rmq__buf_reserve(buf, n);
        p = buf->data + buf->len;
        buf->len += n;
        return p;
}

static inline void rmq__buf_put(rmq_buf_t *buf, const void *src, size_t n) {
        if (n)
                memcpy(rmq__buf_grow(buf, n), src, n);
}

static inline void rmq__buf_put_str(rmq_buf_t *buf, const char *s) {
        rmq__buf_put(buf, s, strlen(s));
}

static inline void rmq__buf_put_u8(rmq_buf_t *buf, uint8_t v) {
        *rmq__buf_grow(buf, 1) = v;
}

static inline void rmq__be16_write(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static inline void rmq__be32_write(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static inline void rmq__be64_write(uint8_t *p, uint64_t v) {
        rmq__be32_write(p, (uint32_t)(v >> 32));
        rmq__be32_write(p + 4, (uint32_t)v);
}

static inline uint16_t rmq__be16_read(const uint8_t *p) {
        return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

static inline uint32_t rmq__be32_read(const uint8_t *p) {
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
               ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t rmq__be64_read(const uint8_t *p) {
        return ((uint64_t)rmq__be32_read(p) << 32) | rmq__be32_read(p + 4);
}

static inline void rmq__buf_put_i16(rmq_buf_t *buf, int16_t v) {
        rmq__be16_write(rmq__buf_grow(buf, 2), (uint16_t)v);
}

static inline void rmq__buf_put_i32(rmq_buf_t *buf, int32_t v) {
        rmq__be32_write(rmq__buf_grow(buf, 4), (uint32_t)v);
}

static inline void rmq__buf_put_i64(rmq_buf_t *buf, int64_t v) {
        rmq__be64_write(rmq__buf_grow(buf, 8), (uint64_t)v);
}

/* Overwrites 4 bytes at \p off (which must already be written). */
static inline void rmq__buf_set_i32(rmq_buf_t *buf, size_t off, int32_t v) {
        rmq__be32_write(buf->data + off, (uint32_t)v);
}

/* Decimal text of \p v, no allocation beyond the buffer's growth. */
void rmq__buf_put_i64_dec(rmq_buf_t *buf, int64_t v);

/* Appends \p s (\p n bytes of UTF-8) as the inside of a JSON string:
 * escapes quote, backslash and control characters (\u00XX as fastjson). */
void rmq__buf_put_json_escaped(rmq_buf_t *buf, const char *s, size_t n);

/*
 * Reader cursor. The first failure sticks in `err` (RMQ_ERR__BAD_MSG); later
 * reads return 0 / NULL and never read past `end`.
 */
typedef struct rmq_rd_s {
        const uint8_t *p;
        const uint8_t *end;
        rmq_err_t err;
} rmq_rd_t;

static inline void rmq__rd_init(rmq_rd_t *rd, const void *data, size_t len) {
        rd->p   = (const uint8_t *)data;
        rd->end = rd->p + len;
        rd->err = RMQ_OK;
}

static inline size_t rmq__rd_remains(const rmq_rd_t *rd) {
        return rd->err ? 0 : (size_t)(rd->end - rd->p);
}

static inline int rmq__rd_need(rmq_rd_t *rd, size_t n) {
        if (RMQ_UNLIKELY(rd->err))
                return 0;
        if (RMQ_UNLIKELY((size_t)(rd->end - rd->p) < n)) {
                rd->err = RMQ_ERR__BAD_MSG;
                return 0;
        }
        return 1;
}

static inline uint8_t rmq__rd_u8(rmq_rd_t *rd) {
        if (!rmq__rd_need(rd, 1))
                return 0;
        return *rd->p++;
}

static inline int16_t rmq__rd_i16(rmq_rd_t *rd) {
        uint16_t v;
        if (!rmq__rd_need(rd, 2))
                return 0;
        v = rmq__be16_read(rd->p);
        rd->p += 2;
        return (int16_t)v;
}

static inline int32_t rmq__rd_i32(rmq_rd_t *rd) {
        uint32_t v;
        if (!rmq__rd_need(rd, 4))
                return 0;
        v = rmq__be32_read(rd->p);
        rd->p += 4;
        return (int32_t)v;
}

static inline int64_t rmq__rd_i64(rmq_rd_t *rd) {
        uint64_t v;
        if (!rmq__rd_need(rd, 8))
                return 0;
        v = rmq__be64_read(rd->p);
        rd->p += 8;
        return (int64_t)v;
}

/* A view of the next \p n bytes (no copy); NULL on failure. */
static inline const uint8_t *rmq__rd_bytes(rmq_rd_t *rd, size_t n) {
        const uint8_t *p;
        if (!rmq__rd_need(rd, n))
                return NULL;
        p = rd->p;
        rd->p += n;
        return p;
}

static inline void rmq__rd_skip(rmq_rd_t *rd, size_t n) {
        (void)rmq__rd_bytes(rd, n);
}

#endif /* RMQ_BUF_H */
