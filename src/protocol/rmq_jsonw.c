/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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

/* mirrors fastjson SerializeWriter#writeDouble: null for NaN/Infinity,
 * else Double.toString (plain for 1e-3 <= |v| < 1e7, else d.dddE±n) with
 * the shortest digits that read back as v. (JDKs before 19 print a few
 * values with more digits than needed, JDK-4511638; not modelled.) */
void rmq__json_put_double(rmq_buf_t *buf, double v) {
        char tmp[40], digits[20], out[48];
        int prec, e10 = 0, nd = 0, i, o = 0;
        const char *p;
        if (isnan(v) || isinf(v)) {
                rmq__buf_put_str(buf, "null");
                return;
        }
        if (v == 0) {
                rmq__buf_put_str(buf, signbit(v) ? "-0.0" : "0.0");
                return;
        }
        /* The shortest %e that round-trips (strtod and snprintf share the
         * locale's decimal point, so this works in any locale). When one
         * digit is enough, the closest two-digit decimal is taken if it
         * round-trips too (Double.toString's rule since JDK 19; it only
         * matters for the smallest subnormals: 4.9E-324, not 5.0E-324). */
        for (prec = 0; prec < 17; prec++) {
                snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
                if (strtod(tmp, NULL) == v)
                        break;
        }
        if (prec == 0) {
                char two[40];
                snprintf(two, sizeof(two), "%.1e", v);
                if (strtod(two, NULL) == v)
                        memcpy(tmp, two, sizeof(two));
        }
        /* Digits up to the exponent (skipping the sign and the locale's
         * decimal point), then the exponent. */
        for (p = tmp; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9' && nd < (int)sizeof(digits) - 1)
                        digits[nd++] = *p;
        if (*p == 'e')
                e10 = (int)strtol(p + 1, NULL, 10);
        while (nd > 1 && digits[nd - 1] == '0')
                nd--;
        if (v < 0)
                out[o++] = '-';
        if (e10 >= -3 && e10 < 7) {
                if (e10 < 0) {
                        out[o++] = '0';
                        out[o++] = '.';
                        for (i = -1; i > e10; i--)
                                out[o++] = '0';
                        for (i = 0; i < nd; i++)
                                out[o++] = digits[i];
                } else {
                        for (i = 0; i <= e10; i++)
                                out[o++] = i < nd ? digits[i] : '0';
                        out[o++] = '.';
                        if (nd > e10 + 1)
                                for (i = e10 + 1; i < nd; i++)
                                        out[o++] = digits[i];
                        else
                                out[o++] = '0';
                }
                rmq__buf_put(buf, out, (size_t)o);
                return;
        }
        out[o++] = digits[0];
        out[o++] = '.';
        if (nd > 1)
                for (i = 1; i < nd; i++)
                        out[o++] = digits[i];
        else
                out[o++] = '0';
        o += snprintf(out + o, sizeof(out) - (size_t)o, "E%d", e10);
        rmq__buf_put(buf, out, (size_t)o);
}

void rmq__jsonw_double(rmq_jsonw_t *jw, const char *key, double v) {
        prefix(jw, key);
        rmq__json_put_double(jw->buf, v);
}
