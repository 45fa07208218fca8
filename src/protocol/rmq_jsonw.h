/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compact JSON writer for remoting bodies, in the shape fastjson writes
 * them: no blanks, callers write members in alphabetical order (fastjson
 * sorts bean properties), null members left out, object-valued map keys
 * unquoted. Writes straight into an rmq_buf_t (which aborts on OOM, so no
 * call can fail); commas are tracked here so callers cannot get them
 * wrong.
 */
#ifndef RMQ_JSONW_H
#define RMQ_JSONW_H

#include "common/rmq_buf.h"

#define RMQ_JSONW_MAX_DEPTH 16

typedef struct rmq_jsonw_s {
        rmq_buf_t *buf;
        int depth;
        bool key_done; /* a raw key was written: the value needs no comma */
        uint32_t cnt[RMQ_JSONW_MAX_DEPTH]; /* members so far, per level */
} rmq_jsonw_t;

void rmq__jsonw_init(rmq_jsonw_t *jw, rmq_buf_t *buf);

/* \p key is the member name inside an object, NULL inside an array, at
 * the top level, or after rmq__jsonw_raw_key_end(). */
void rmq__jsonw_obj_open(rmq_jsonw_t *jw, const char *key);
void rmq__jsonw_obj_close(rmq_jsonw_t *jw);
void rmq__jsonw_arr_open(rmq_jsonw_t *jw, const char *key);
void rmq__jsonw_arr_close(rmq_jsonw_t *jw);

/* A NULL \p s leaves the member out (fastjson skips null fields); inside
 * an array it writes null. */
void rmq__jsonw_str(rmq_jsonw_t *jw, const char *key, const char *s);
void rmq__jsonw_strn(rmq_jsonw_t *jw, const char *key, const char *s,
                     size_t len);
void rmq__jsonw_i64(rmq_jsonw_t *jw, const char *key, int64_t v);
void rmq__jsonw_bool(rmq_jsonw_t *jw, const char *key, bool v);
/* A double as fastjson writes it (rmq__json_put_double). */
void rmq__jsonw_double(rmq_jsonw_t *jw, const char *key, double v);
/* Appends \p v as fastjson writes a double: Java's Double.toString form
 * with the shortest digits that read back as \p v ("0.0", "12.5",
 * "0.16666666666666666", "1.0E7", "1.0E-4"), "null" for NaN and
 * infinities. */
void rmq__json_put_double(rmq_buf_t *buf, double v);

/* A number used as a map key, written bare as fastjson writes a Long key
 * by default ({0:"..."}); write the value with key NULL. */
void rmq__jsonw_i64_key(rmq_jsonw_t *jw, int64_t key);

/* An object used as a map key (fastjson's MessageQueue-keyed maps):
 * raw_key_begin() opens the key object, write its members, then
 * raw_key_end() closes it and writes ':'; write the value with key NULL. */
void rmq__jsonw_raw_key_begin(rmq_jsonw_t *jw);
void rmq__jsonw_raw_key_end(rmq_jsonw_t *jw);

#endif /* RMQ_JSONW_H */
