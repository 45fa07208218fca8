/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>

#include "protocol/rmq_jsonw.h"

void rmq__jsonw_init(rmq_jsonw_t *jw, rmq_buf_t *buf) {
        memset(jw, 0, sizeof(*jw));
        jw->buf = buf;
}

static void put_string(rmq_buf_t *buf, const char *s, size_t len) {
        rmq__buf_put_u8(buf, '"');
        rmq__buf_put_json_escaped(buf, s, len);
        rmq__buf_put_u8(buf, '"');
}

/* The comma and "key": before a value. */
static void prefix(rmq_jsonw_t *jw, const char *key) {
        if (jw->key_done) {
                jw->key_done = false;
                return;
        }
        if (jw->cnt[jw->depth]++)
                rmq__buf_put_u8(jw->buf, ',');
        if (key) {
                put_string(jw->buf, key, strlen(key));
                rmq__buf_put_u8(jw->buf, ':');
        }
}

static void jw_open(rmq_jsonw_t *jw, const char *key, char c) {
        prefix(jw, key);
        rmq__buf_put_u8(jw->buf, (uint8_t)c);
        assert(jw->depth + 1 < RMQ_JSONW_MAX_DEPTH);
        jw->cnt[++jw->depth] = 0;
}

static void jw_close(rmq_jsonw_t *jw, char c) {
        assert(jw->depth > 0);
        jw->depth--;
        rmq__buf_put_u8(jw->buf, (uint8_t)c);
}

void rmq__jsonw_obj_open(rmq_jsonw_t *jw, const char *key) {
        jw_open(jw, key, '{');
}

void rmq__jsonw_obj_close(rmq_jsonw_t *jw) {
        jw_close(jw, '}');
}

void rmq__jsonw_arr_open(rmq_jsonw_t *jw, const char *key) {
        jw_open(jw, key, '[');
}

void rmq__jsonw_arr_close(rmq_jsonw_t *jw) {
        jw_close(jw, ']');
}

void rmq__jsonw_strn(rmq_jsonw_t *jw, const char *key, const char *s,
                     size_t len) {
        if (!s && key)
                return;
        prefix(jw, key);
        if (s)
                put_string(jw->buf, s, len);
        else
                rmq__buf_put_str(jw->buf, "null");
}

void rmq__jsonw_str(rmq_jsonw_t *jw, const char *key, const char *s) {
        rmq__jsonw_strn(jw, key, s, s ? strlen(s) : 0);
}

void rmq__jsonw_i64(rmq_jsonw_t *jw, const char *key, int64_t v) {
        prefix(jw, key);
        rmq__buf_put_i64_dec(jw->buf, v);
}

void rmq__jsonw_bool(rmq_jsonw_t *jw, const char *key, bool v) {
        prefix(jw, key);
        rmq__buf_put_str(jw->buf, v ? "true" : "false");
}

void rmq__jsonw_i64_key(rmq_jsonw_t *jw, int64_t key) {
        prefix(jw, NULL);
        rmq__buf_put_i64_dec(jw->buf, key);
        rmq__buf_put_u8(jw->buf, ':');
        jw->key_done = true;
}

void rmq__jsonw_raw_key_begin(rmq_jsonw_t *jw) {
        jw_open(jw, NULL, '{');
}

void rmq__jsonw_raw_key_end(rmq_jsonw_t *jw) {
        jw_close(jw, '}');
        rmq__buf_put_u8(jw->buf, ':');
        jw->key_done = true;
}
