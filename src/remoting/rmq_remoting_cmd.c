/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RemotingCommand codec. mirrors RemotingCommand.encodeHeader/decode and
 * RocketMQSerializable.rocketMQProtocolEncode/Decode.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "common/rmq_str.h"
#include "remoting/rmq_json.h"
#include "remoting/rmq_remoting_cmd.h"

static const char *const lang_names[] = {
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST"};

const char *rmq__language_name(int32_t code) {
        if (code < 0 || (size_t)code >= RMQ_ARRAY_SIZE(lang_names))
                return NULL;
        return lang_names[code];
}

int32_t rmq__language_code(const char *name, size_t len) {
        size_t i;
        for (i = 0; i < RMQ_ARRAY_SIZE(lang_names); i++)
                if (rmq__streqn(name, len, lang_names[i]))
                        return (int32_t)i;
        return -1;
}

static atomic_int opaque_counter;

int32_t rmq__cmd_next_opaque(void) {
        /* Wraps like Java's AtomicInteger.getAndIncrement(). */
        return (int32_t)(uint32_t)atomic_fetch_add_explicit(
            &opaque_counter, 1, memory_order_relaxed);
}

static rmq_cmd_t *cmd_alloc(void) {
        rmq_cmd_t *cmd = rmq__malloc(sizeof(*cmd));
        memset(cmd, 0, offsetof(rmq_cmd_t, ext_inline));
        cmd->ext     = cmd->ext_inline;
        cmd->ext_cap = RMQ_CMD_EXT_INLINE;
        return cmd;
}

rmq_cmd_t *rmq__cmd_new_request(int32_t code) {
        rmq_cmd_t *cmd = cmd_alloc();
        cmd->code      = code;
        cmd->language  = RMQ_LANG_CPP;
        cmd->version   = RMQ_REMOTING_VERSION;
        cmd->opaque    = rmq__cmd_next_opaque();
        return cmd;
}

rmq_cmd_t *rmq__cmd_new_response(int32_t code, const char *remark) {
        rmq_cmd_t *cmd = cmd_alloc();
        cmd->code      = code;
        cmd->language  = RMQ_LANG_CPP;
        cmd->version   = RMQ_REMOTING_VERSION;
        cmd->flag      = RMQ_CMD_FLAG_RESPONSE;
        if (remark)
                rmq__cmd_set_remark(cmd, remark);
        return cmd;
}

void rmq__cmd_reply_to(rmq_cmd_t *resp, const rmq_cmd_t *req) {
        resp->opaque         = req->opaque;
        resp->flag           = (resp->flag | RMQ_CMD_FLAG_RESPONSE) &
                               ~RMQ_CMD_FLAG_ONEWAY;
        resp->serialize_type = req->serialize_type;
}

void rmq__cmd_destroy(rmq_cmd_t *cmd) {
        rmq_cmd_chunk_t *c, *n;
        if (!cmd)
                return;
        for (c = cmd->chunks; c; c = n) {
                n = c->next;
                rmq__free(c);
        }
        if (cmd->ext != cmd->ext_inline)
                rmq__free(cmd->ext);
        rmq__free(cmd->frame);
        rmq__free(cmd->body_owned);
        rmq__free(cmd);
}

/* Copies \p len bytes plus a NUL into the command's string chunks. */
static char *cmd_strdup(rmq_cmd_t *cmd, const char *s, size_t len) {
        rmq_cmd_chunk_t *c = cmd->chunks;
        char *d;
        if (!c || c->cap - c->used < len + 1) {
                size_t cap = len + 1 > 448 ? len + 1 : 448;
                c          = rmq__malloc(sizeof(*c) + cap);
                c->used    = 0;
                c->cap     = cap;
                c->next    = cmd->chunks;
                cmd->chunks = c;
        }
        d = c->data + c->used;
        memcpy(d, s, len);
        d[len] = '\0';
        c->used += len + 1;
        return d;
}

void rmq__cmd_set_remark(rmq_cmd_t *cmd, const char *remark) {
        if (!remark) {
                cmd->remark     = NULL;
                cmd->remark_len = 0;
                return;
        }
        cmd->remark_len = strlen(remark);
        cmd->remark     = cmd_strdup(cmd, remark, cmd->remark_len);
}

static rmq_cmd_ext_t *ext_slot(rmq_cmd_t *cmd) {
        if (cmd->ext_cnt == cmd->ext_cap) {
                uint32_t cap = cmd->ext_cap * 2;
                if (cmd->ext == cmd->ext_inline) {
                        cmd->ext = rmq__malloc(cap * sizeof(*cmd->ext));
                        memcpy(cmd->ext, cmd->ext_inline,
                               sizeof(cmd->ext_inline));
                } else {
                        cmd->ext = rmq__realloc(cmd->ext,
                                                cap * sizeof(*cmd->ext));
                }
                cmd->ext_cap = cap;
        }
        return &cmd->ext[cmd->ext_cnt++];
}

void rmq__cmd_ext_append(rmq_cmd_t *cmd, const char *key, const char *val,
                         size_t vlen) {
        rmq_cmd_ext_t *e = ext_slot(cmd);
        e->key           = key;
        e->klen          = (uint32_t)strlen(key);
        e->val           = cmd_strdup(cmd, val, vlen);
        e->vlen          = (uint32_t)vlen;
}

void rmq__cmd_ext_append_dup(rmq_cmd_t *cmd, const char *key, const char *val,
                             size_t vlen) {
        size_t klen      = strlen(key);
        rmq_cmd_ext_t *e = ext_slot(cmd);
        e->key           = cmd_strdup(cmd, key, klen);
        e->klen          = (uint32_t)klen;
        e->val           = cmd_strdup(cmd, val, vlen);
        e->vlen          = (uint32_t)vlen;
}

void rmq__cmd_ext_addn(rmq_cmd_t *cmd, const char *key, const char *val,
                       size_t vlen) {
        uint32_t i;
        for (i = 0; i < cmd->ext_cnt; i++) {
                if (!strcmp(cmd->ext[i].key, key)) {
                        cmd->ext[i].val  = cmd_strdup(cmd, val, vlen);
                        cmd->ext[i].vlen = (uint32_t)vlen;
                        return;
                }
        }
        rmq__cmd_ext_append(cmd, key, val, vlen);
}

void rmq__cmd_ext_add(rmq_cmd_t *cmd, const char *key, const char *val) {
        rmq__cmd_ext_addn(cmd, key, val, strlen(val));
}

static size_t i64_text(int64_t v, char *tmp /* >= 24 */) {
        char *e = tmp + 23, *p = e;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        *e = '\0';
        do {
                *--p = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                *--p = '-';
        memmove(tmp, p, (size_t)(e - p) + 1);
        return (size_t)(e - p);
}

void rmq__cmd_ext_add_i64(rmq_cmd_t *cmd, const char *key, int64_t v) {
        char tmp[24];
        size_t n = i64_text(v, tmp);
        rmq__cmd_ext_addn(cmd, key, tmp, n);
}

void rmq__cmd_ext_append_i64(rmq_cmd_t *cmd, const char *key, int64_t v) {
        char tmp[24];
        size_t n = i64_text(v, tmp);
        rmq__cmd_ext_append(cmd, key, tmp, n);
}

void rmq__cmd_ext_add_bool(rmq_cmd_t *cmd, const char *key, bool v) {
        rmq__cmd_ext_add(cmd, key, v ? "true" : "false");
}

const char *rmq__cmd_ext(const rmq_cmd_t *cmd, const char *key) {
        uint32_t i;
        for (i = 0; i < cmd->ext_cnt; i++)
                if (!strcmp(cmd->ext[i].key, key))
                        return cmd->ext[i].val;
        return NULL;
}

int rmq__cmd_ext_i64(const rmq_cmd_t *cmd, const char *key, int64_t *out) {
        uint32_t i;
        for (i = 0; i < cmd->ext_cnt; i++)
                if (!strcmp(cmd->ext[i].key, key))
                        return rmq__parse_i64n(cmd->ext[i].val,
                                               cmd->ext[i].vlen, out);
        return -1;
}

int rmq__cmd_ext_i32(const rmq_cmd_t *cmd, const char *key, int32_t *out) {
        int64_t v;
        if (rmq__cmd_ext_i64(cmd, key, &v) || v < INT32_MIN || v > INT32_MAX)
                return -1;
        *out = (int32_t)v;
        return 0;
}

void rmq__cmd_set_body_ref(rmq_cmd_t *cmd, const void *data, size_t len) {
        rmq__free(cmd->body_owned);
        cmd->body_owned = NULL;
        cmd->body       = data;
        cmd->body_len   = len;
}

void rmq__cmd_set_body_owned(rmq_cmd_t *cmd, void *data, size_t len) {
        rmq__free(cmd->body_owned);
        cmd->body_owned = data;
        cmd->body       = data;
        cmd->body_len   = len;
}

void rmq__cmd_set_body_copy(rmq_cmd_t *cmd, const void *data, size_t len) {
        void *d = rmq__malloc(len ? len : 1);
        if (len)
                memcpy(d, data, len);
        rmq__cmd_set_body_owned(cmd, d, len);
}

void *rmq__cmd_take_body(rmq_cmd_t *cmd, const uint8_t **bodyp,
                         size_t *lenp) {
        void *storage;
        *bodyp = cmd->body;
        *lenp  = cmd->body_len;
        if (cmd->body_owned) {
                storage         = cmd->body_owned;
                cmd->body_owned = NULL;
        } else if (cmd->frame && cmd->body) {
                /* Header strings of a JSON command may live in the frame;
                 * copy them out before handing the frame away. */
                uint32_t i;
                storage = cmd->frame;
                for (i = 0; i < cmd->ext_cnt; i++) {
                        cmd->ext[i].val =
                            cmd_strdup(cmd, cmd->ext[i].val, cmd->ext[i].vlen);
                        cmd->ext[i].key =
                            cmd_strdup(cmd, cmd->ext[i].key, cmd->ext[i].klen);
                }
                if (cmd->remark)
                        cmd->remark =
                            cmd_strdup(cmd, cmd->remark, cmd->remark_len);
                cmd->frame = NULL;
        } else {
                storage = NULL;
        }
        cmd->body     = NULL;
        cmd->body_len = 0;
        return storage;
}

/* ---- encoding ---- */

/* Bytes a JSON string must escape: control characters, '"' and '\\'. */
static const uint8_t json_esc[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

/* Writes "s" (quoted, escaped as fastjson escapes) at \p p, which has room
 * for 6 * n + 2 bytes; returns the end. */
static uint8_t *put_json_str(uint8_t *p, const char *s, size_t n) {
        static const char hex[] = "0123456789ABCDEF";
        const uint8_t *u = (const uint8_t *)s, *e = u + n;
        *p++ = '"';
        while (u < e) {
                const uint8_t *run = u;
                while (u < e && !json_esc[*u])
                        u++;
                memcpy(p, run, (size_t)(u - run));
                p += u - run;
                if (u == e)
                        break;
                *p++ = '\\';
                switch (*u) {
                case '"': *p++ = '"'; break;
                case '\\': *p++ = '\\'; break;
                case '\n': *p++ = 'n'; break;
                case '\r': *p++ = 'r'; break;
                case '\t': *p++ = 't'; break;
                case '\b': *p++ = 'b'; break;
                case '\f': *p++ = 'f'; break;
                default:
                        *p++ = 'u';
                        *p++ = '0';
                        *p++ = '0';
                        *p++ = (uint8_t)hex[*u >> 4];
                        *p++ = (uint8_t)hex[*u & 0xf];
                        break;
                }
                u++;
        }
        *p++ = '"';
        return p;
}

static uint8_t *put_lit(uint8_t *p, const char *lit, size_t n) {
        memcpy(p, lit, n);
        return p + n;
}

#define PUT_LIT(p, lit) put_lit((p), (lit), sizeof(lit) - 1)

static uint8_t *put_dec(uint8_t *p, int64_t v) {
        char tmp[24];
        char *e = tmp + sizeof(tmp), *q = e;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        do {
                *--q = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                *--q = '-';
        memcpy(p, q, (size_t)(e - q));
        return p + (e - q);
}

/* The JSON header, written straight into the frame buffer (one size check
 * up front, then raw writes). fastjson writes bean properties in
 * alphabetical order. */
static void encode_json_header(const rmq_cmd_t *cmd, rmq_buf_t *out) {
        uint32_t i;
        const char *lang = rmq__language_name(cmd->language);
        size_t need = 200 + (cmd->remark ? cmd->remark_len * 6 : 0);
        uint8_t *p;
        for (i = 0; i < cmd->ext_cnt; i++)
                need += ((size_t)cmd->ext[i].klen + cmd->ext[i].vlen) * 6 + 6;
        rmq__buf_reserve(out, need);
        p = out->data + out->len;
        p = PUT_LIT(p, "{\"code\":");
        p = put_dec(p, cmd->code);
        if (cmd->ext_cnt || cmd->ext_present) {
                p = PUT_LIT(p, ",\"extFields\":{");
                for (i = 0; i < cmd->ext_cnt; i++) {
                        if (i)
                                *p++ = ',';
                        p    = put_json_str(p, cmd->ext[i].key, cmd->ext[i].klen);
                        *p++ = ':';
                        p    = put_json_str(p, cmd->ext[i].val, cmd->ext[i].vlen);
                }
                *p++ = '}';
        }
        p = PUT_LIT(p, ",\"flag\":");
        p = put_dec(p, cmd->flag);
        p = PUT_LIT(p, ",\"language\":");
        if (lang)
                p = put_json_str(p, lang, strlen(lang));
        else
                p = put_dec(p, cmd->language);
        p = PUT_LIT(p, ",\"opaque\":");
        p = put_dec(p, cmd->opaque);
        if (cmd->remark) {
                p = PUT_LIT(p, ",\"remark\":");
                p = put_json_str(p, cmd->remark, cmd->remark_len);
        }
        p = PUT_LIT(p, ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
        p    = put_dec(p, cmd->version);
        *p++ = '}';
        out->len = (size_t)(p - out->data);
}

static void encode_binary_header(const rmq_cmd_t *cmd, rmq_buf_t *out) {
        uint32_t i;
        size_t ext_off;
        rmq__buf_put_i16(out, (int16_t)cmd->code);
        rmq__buf_put_u8(out, (uint8_t)cmd->language);
        rmq__buf_put_i16(out, (int16_t)cmd->version);
        rmq__buf_put_i32(out, cmd->opaque);
        rmq__buf_put_i32(out, cmd->flag);
        if (cmd->remark && cmd->remark_len) {
                rmq__buf_put_i32(out, (int32_t)cmd->remark_len);
                rmq__buf_put(out, cmd->remark, cmd->remark_len);
        } else {
                rmq__buf_put_i32(out, 0);
        }
        ext_off = out->len;
        rmq__buf_put_i32(out, 0);
        for (i = 0; i < cmd->ext_cnt; i++) {
                rmq__buf_put_i16(out, (int16_t)cmd->ext[i].klen);
                rmq__buf_put(out, cmd->ext[i].key, cmd->ext[i].klen);
                rmq__buf_put_i32(out, (int32_t)cmd->ext[i].vlen);
                rmq__buf_put(out, cmd->ext[i].val, cmd->ext[i].vlen);
        }
        rmq__buf_set_i32(out, ext_off, (int32_t)(out->len - ext_off - 4));
}

void rmq__cmd_encode(const rmq_cmd_t *cmd, rmq_buf_t *out) {
        size_t start = out->len, hstart;
        size_t hlen;
        rmq__buf_reserve(out, 256 + cmd->body_len);
        rmq__buf_put_i32(out, 0); /* total length, patched below */
        rmq__buf_put_i32(out, 0); /* type | header length */
        hstart = out->len;
        if (cmd->serialize_type == RMQ_SERIALIZE_ROCKETMQ)
                encode_binary_header(cmd, out);
        else
                encode_json_header(cmd, out);
        hlen = out->len - hstart;
        rmq__buf_put(out, cmd->body, cmd->body_len);
        rmq__buf_set_i32(out, start, (int32_t)(out->len - start - 4));
        rmq__buf_set_i32(out, start + 4,
                         (int32_t)(((uint32_t)cmd->serialize_type << 24) |
                                   (uint32_t)(hlen & 0xffffff)));
}

/* ---- decoding ---- */

static int json_int32(rmq_jlex_t *lx, int32_t *out) {
        char *s;
        size_t n;
        int64_t v;
        if (rmq__jlex_scalar(lx, &s, &n) || rmq__parse_i64n(s, n, &v) ||
            v < INT32_MIN || v > INT32_MAX)
                return -1;
        *out = (int32_t)v;
        return 0;
}

static int decode_json_ext(rmq_cmd_t *cmd, rmq_jlex_t *lx) {
        char c = rmq__jlex_peek(lx);
        if (c == 'n')
                return rmq__jlex_skip(lx); /* null */
        if (rmq__jlex_expect(lx, '{'))
                return -1;
        cmd->ext_present = true;
        if (rmq__jlex_peek(lx) == '}') {
                lx->p++;
                return 0;
        }
        for (;;) {
                char *k, *v;
                size_t klen, vlen;
                if (rmq__jlex_string(lx, &k, &klen) ||
                    rmq__jlex_expect(lx, ':'))
                        return -1;
                c = rmq__jlex_peek(lx);
                if (c == '"') {
                        rmq_cmd_ext_t *e;
                        if (rmq__jlex_string(lx, &v, &vlen))
                                return -1;
                        e       = ext_slot(cmd);
                        e->key  = k;
                        e->klen = (uint32_t)klen;
                        e->val  = v;
                        e->vlen = (uint32_t)vlen;
                } else {
                        rmq_cmd_ext_t *e;
                        if (rmq__jlex_scalar(lx, &v, &vlen))
                                return -1;
                        if (!rmq__streqn(v, vlen, "null")) {
                                e       = ext_slot(cmd);
                                e->key  = k;
                                e->klen = (uint32_t)klen;
                                e->val  = cmd_strdup(cmd, v, vlen);
                                e->vlen = (uint32_t)vlen;
                        }
                }
                c = rmq__jlex_peek(lx);
                if (c == ',') {
                        lx->p++;
                        continue;
                }
                return rmq__jlex_expect(lx, '}');
        }
}

static rmq_err_t decode_json_header(rmq_cmd_t *cmd, char *h, size_t hlen,
                                    char *errstr, size_t errstr_size) {
        rmq_jlex_t lx = {h, h + hlen, 0, NULL};
        int have_code = 0;
        if (rmq__jlex_expect(&lx, '{'))
                goto bad;
        if (rmq__jlex_peek(&lx) == '}')
                goto bad;
        for (;;) {
                char *k;
                size_t klen;
                char c;
                if (rmq__jlex_string(&lx, &k, &klen) ||
                    rmq__jlex_expect(&lx, ':'))
                        goto bad;
                if (rmq__streqn(k, klen, "code")) {
                        if (json_int32(&lx, &cmd->code))
                                goto bad;
                        have_code = 1;
                } else if (rmq__streqn(k, klen, "flag")) {
                        if (json_int32(&lx, &cmd->flag))
                                goto bad;
                } else if (rmq__streqn(k, klen, "opaque")) {
                        if (json_int32(&lx, &cmd->opaque))
                                goto bad;
                } else if (rmq__streqn(k, klen, "version")) {
                        if (json_int32(&lx, &cmd->version))
                                goto bad;
                } else if (rmq__streqn(k, klen, "language")) {
                        if (rmq__jlex_peek(&lx) == '"') {
                                char *v;
                                size_t vlen;
                                if (rmq__jlex_string(&lx, &v, &vlen))
                                        goto bad;
                                cmd->language = rmq__language_code(v, vlen);
                                if (cmd->language < 0)
                                        cmd->language = 7; /* OTHER */
                        } else if (json_int32(&lx, &cmd->language))
                                goto bad;
                } else if (rmq__streqn(k, klen, "remark")) {
                        if (rmq__jlex_peek(&lx) == '"') {
                                char *v;
                                size_t vlen;
                                if (rmq__jlex_string(&lx, &v, &vlen))
                                        goto bad;
                                cmd->remark     = v;
                                cmd->remark_len = vlen;
                        } else if (rmq__jlex_skip(&lx))
                                goto bad;
                } else if (rmq__streqn(k, klen, "extFields")) {
                        if (decode_json_ext(cmd, &lx))
                                goto bad;
                } else if (rmq__jlex_skip(&lx)) {
                        goto bad;
                }
                c = rmq__jlex_peek(&lx);
                if (c == ',') {
                        lx.p++;
                        continue;
                }
                if (rmq__jlex_expect(&lx, '}'))
                        goto bad;
                break;
        }
        /* Not rmq__jlex_peek() != 0: peek answers 0 for a NUL byte too. */
        rmq__jlex_ws(&lx);
        if (lx.p != lx.end) {
                lx.err = "trailing bytes after the header object";
                goto bad;
        }
        if (!have_code) {
                lx.err = "no \"code\" field";
                goto bad;
        }
        return RMQ_OK;
bad:
        return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                           "bad JSON remoting header at byte %zu: %s",
                           (size_t)(lx.p - h),
                           lx.err ? lx.err : "syntax error");
}

static rmq_err_t decode_binary_header(rmq_cmd_t *cmd, const uint8_t *h,
                                      size_t hlen, char *errstr,
                                      size_t errstr_size) {
        rmq_rd_t rd;
        int32_t rlen, elen;
        rmq__rd_init(&rd, h, hlen);
        cmd->code     = rmq__rd_i16(&rd);
        cmd->language = rmq__rd_u8(&rd);
        cmd->version  = rmq__rd_i16(&rd);
        cmd->opaque   = rmq__rd_i32(&rd);
        cmd->flag     = rmq__rd_i32(&rd);
        rlen          = rmq__rd_i32(&rd);
        if (rd.err || rlen < 0 || (size_t)rlen > rmq__rd_remains(&rd))
                goto bad;
        if (rlen > 0) {
                const uint8_t *r = rmq__rd_bytes(&rd, (size_t)rlen);
                cmd->remark     = cmd_strdup(cmd, (const char *)r, (size_t)rlen);
                cmd->remark_len = (size_t)rlen;
        }
        elen = rmq__rd_i32(&rd);
        if (rd.err || elen < 0 || (size_t)elen != rmq__rd_remains(&rd))
                goto bad;
        while (rmq__rd_remains(&rd) > 0) {
                int16_t kl = rmq__rd_i16(&rd);
                const uint8_t *k, *v;
                int32_t vl;
                rmq_cmd_ext_t *e;
                if (kl < 0)
                        goto bad;
                k  = rmq__rd_bytes(&rd, (size_t)kl);
                vl = rmq__rd_i32(&rd);
                if (rd.err || vl < 0)
                        goto bad;
                v = rmq__rd_bytes(&rd, (size_t)vl);
                if (rd.err)
                        goto bad;
                e       = ext_slot(cmd);
                e->key  = cmd_strdup(cmd, (const char *)k, (size_t)kl);
                e->klen = (uint32_t)kl;
                e->val  = cmd_strdup(cmd, (const char *)v, (size_t)vl);
                e->vlen = (uint32_t)vl;
        }
        return RMQ_OK;
bad:
        return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                           "bad ROCKETMQ remoting header (%zu bytes)", hlen);
}

rmq_err_t rmq__cmd_decode_owned(uint8_t *frame, size_t len, rmq_cmd_t **cmdp,
                                char *errstr, size_t errstr_size) {
        uint32_t total, word, hlen;
        int stype;
        rmq_cmd_t *cmd;
        rmq_err_t err;

        *cmdp = NULL;
        if (len < 8) {
                rmq__free(frame);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "frame too short: %zu bytes", len);
        }
        total = rmq__be32_read(frame);
        word  = rmq__be32_read(frame + 4);
        stype = (int)(word >> 24);
        hlen  = word & 0xffffff;
        if ((size_t)total + 4 != len || (size_t)hlen + 4 > total) {
                rmq__free(frame);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "inconsistent frame: length %u, header "
                                   "length %u, %zu bytes",
                                   total, hlen, len);
        }
        if (stype != RMQ_SERIALIZE_JSON && stype != RMQ_SERIALIZE_ROCKETMQ) {
                rmq__free(frame);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "unknown serialize type %d", stype);
        }
        cmd                 = cmd_alloc();
        cmd->frame          = frame;
        cmd->serialize_type = stype;
        if (stype == RMQ_SERIALIZE_JSON)
                err = decode_json_header(cmd, (char *)frame + 8, hlen, errstr,
                                         errstr_size);
        else
                err = decode_binary_header(cmd, frame + 8, hlen, errstr,
                                           errstr_size);
        if (err) {
                rmq__cmd_destroy(cmd);
                return err;
        }
        cmd->body_len = total - 4 - hlen;
        cmd->body     = cmd->body_len ? frame + 8 + hlen : NULL;
        *cmdp         = cmd;
        return RMQ_OK;
}

rmq_err_t rmq__cmd_decode(const uint8_t *frame, size_t len, rmq_cmd_t **cmdp,
                          char *errstr, size_t errstr_size) {
        uint8_t *copy = rmq__malloc(len ? len : 1);
        if (len)
                memcpy(copy, frame, len);
        return rmq__cmd_decode_owned(copy, len, cmdp, errstr, errstr_size);
}

/* ---- streaming frame decoder ---- */

void rmq__fdec_init(rmq_frame_decoder_t *dec, size_t max_len) {
        memset(dec, 0, sizeof(*dec));
        dec->max_len = max_len ? max_len : RMQ_FRAME_MAX_LENGTH_DEFAULT;
}

void rmq__fdec_free(rmq_frame_decoder_t *dec) {
        rmq__free(dec->frame);
        dec->frame = NULL;
        dec->need = dec->have = dec->lenhave = 0;
}

static int fdec_complete(rmq_frame_decoder_t *dec, rmq_fdec_frame_cb_t *cb,
                         void *opaque) {
        uint8_t *f = dec->frame;
        size_t n   = dec->need;
        dec->frame   = NULL;
        dec->need    = 0;
        dec->have    = 0;
        dec->lenhave = 0;
        return cb(f, n, opaque);
}

int rmq__fdec_feed(rmq_frame_decoder_t *dec, const uint8_t *data, size_t len,
                   rmq_fdec_frame_cb_t *cb, void *opaque, char *errstr,
                   size_t errstr_size) {
        while (len > 0) {
                size_t n;
                int r;
                if (!dec->frame) {
                        uint32_t flen;
                        n = RMQ_MIN(4 - dec->lenhave, len);
                        memcpy(dec->lenbuf + dec->lenhave, data, n);
                        dec->lenhave += n;
                        data += n;
                        len -= n;
                        if (dec->lenhave < 4)
                                break;
                        flen = rmq__be32_read(dec->lenbuf);
                        /* Java: LengthFieldBasedFrameDecoder(frameMaxLength,
                         * 0, 4, 0, 4) then a header-length word. */
                        if (flen < RMQ_FRAME_MIN_LENGTH ||
                            (size_t)flen > dec->max_len) {
                                rmq__seterr(errstr, errstr_size,
                                            RMQ_ERR__BAD_MSG,
                                            "frame length %u out of range "
                                            "%d..%zu",
                                            flen, RMQ_FRAME_MIN_LENGTH,
                                            dec->max_len);
                                return -1;
                        }
                        dec->need  = (size_t)flen + 4;
                        dec->frame = rmq__malloc(dec->need);
                        memcpy(dec->frame, dec->lenbuf, 4);
                        dec->have = 4;
                        continue;
                }
                n = RMQ_MIN(dec->need - dec->have, len);
                memcpy(dec->frame + dec->have, data, n);
                dec->have += n;
                data += n;
                len -= n;
                if (dec->have == dec->need) {
                        r = fdec_complete(dec, cb, opaque);
                        if (r)
                                return r;
                }
        }
        return 0;
}

uint8_t *rmq__fdec_direct(rmq_frame_decoder_t *dec, size_t *room) {
        if (!dec->frame || dec->have >= dec->need)
                return NULL;
        *room = dec->need - dec->have;
        return dec->frame + dec->have;
}

int rmq__fdec_commit(rmq_frame_decoder_t *dec, size_t n,
                     rmq_fdec_frame_cb_t *cb, void *opaque) {
        dec->have += n;
        if (dec->frame && dec->have == dec->need)
                return fdec_complete(dec, cb, opaque);
        return 0;
}
