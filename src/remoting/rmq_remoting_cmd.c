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

/* ---- decimal text ---- */

/* "00".."99": two digits per division when writing numbers. */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* Decimal digits of \p u. */
static size_t u64_digits(uint64_t u) {
#if defined(__GNUC__)
        /* floor(log10(u)) from the bit length (1233/4096 ~ log10(2)),
         * corrected by one comparison (Bit Twiddling Hacks). */
        static const uint64_t p10[20] = {
            1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
            10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
            100000000000ull, 1000000000000ull, 10000000000000ull,
            100000000000000ull, 1000000000000000ull, 10000000000000000ull,
            100000000000000000ull, 1000000000000000000ull,
            10000000000000000000ull};
        uint64_t v = u | 1; /* 0 has one digit; no other count changes */
        unsigned t = (unsigned)(64 - __builtin_clzll(v)) * 1233 >> 12;
        return t - (v < p10[t]) + 1;
#else
        size_t n = 1;
        while (u >= 10) {
                u /= 10;
                n++;
        }
        return n;
#endif
}

/* Writes the digits of \p u so that they end right before \p end. */
static void u64_write_back(char *end, uint64_t u) {
        while (u >= 100) {
                unsigned r = (unsigned)(u % 100);
                u /= 100;
                end -= 2;
                memcpy(end, digits2 + 2 * r, 2);
        }
        if (u >= 10) {
                end -= 2;
                memcpy(end, digits2 + 2 * u, 2);
        } else {
                *--end = (char)('0' + u);
        }
}

/* Length of the decimal text of \p v. */
static size_t dec_len(int64_t v) {
        uint64_t u;
        if ((uint64_t)v < 10)
                return 1;
        u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        return u64_digits(u) + (v < 0);
}

/* Writes the decimal text of \p v at \p p; returns its length. */
static size_t dec_write(char *p, int64_t v) {
        uint64_t u;
        size_t n;
        if ((uint64_t)v < 10) { /* most header numbers: 0, a queue id... */
                *p = (char)('0' + v);
                return 1;
        }
        u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        n = u64_digits(u) + (v < 0);
        if (v < 0)
                *p = '-';
        u64_write_back(p + n, u);
        return n;
}

static atomic_int opaque_counter;

int32_t rmq__cmd_next_opaque(void) {
        /* Wraps like Java's AtomicInteger.getAndIncrement(). */
        return (int32_t)(uint32_t)atomic_fetch_add_explicit(
            &opaque_counter, 1, memory_order_relaxed);
}

/* Zeroes the fields (not the inline arrays) of \p cmd. */
static void cmd_init(rmq_cmd_t *cmd) {
        memset(cmd, 0, offsetof(rmq_cmd_t, ext_inline));
        cmd->ext     = cmd->ext_inline;
        cmd->ext_cap = RMQ_CMD_EXT_INLINE;
}

static rmq_cmd_t *cmd_alloc(void) {
        rmq_cmd_t *cmd = rmq__malloc(sizeof(*cmd));
        cmd_init(cmd);
        return cmd;
}

void rmq__cmd_init_request(rmq_cmd_t *cmd, int32_t code) {
        cmd_init(cmd);
        cmd->code     = code;
        cmd->language = RMQ_LANG_CPP;
        cmd->version  = RMQ_REMOTING_VERSION;
        cmd->opaque   = rmq__cmd_next_opaque();
}

rmq_cmd_t *rmq__cmd_new_request(int32_t code) {
        rmq_cmd_t *cmd = rmq__malloc(sizeof(*cmd));
        rmq__cmd_init_request(cmd, code);
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

void rmq__cmd_fini(rmq_cmd_t *cmd) {
        rmq_cmd_chunk_t *c, *n;
        for (c = cmd->chunks; c; c = n) {
                n = c->next;
                rmq__free(c);
        }
        if (cmd->ext != cmd->ext_inline)
                rmq__free(cmd->ext);
        if (cmd->frame)
                rmq__free(cmd->frame);
        if (cmd->body_owned)
                rmq__free(cmd->body_owned);
}

void rmq__cmd_destroy(rmq_cmd_t *cmd) {
        if (!cmd)
                return;
        rmq__cmd_fini(cmd);
        if (cmd->home)
                rmq__freelist_put(cmd->home, cmd); /* frame included */
        else
                rmq__free(cmd);
}

/* Room for \p len bytes plus a NUL in the command's string storage:
 * str_inline first, then chunks. */
static inline char *cmd_str_room(rmq_cmd_t *cmd, size_t len) {
        rmq_cmd_chunk_t *c = cmd->chunks;
        char *d;
        if (!c && sizeof(cmd->str_inline) - cmd->str_used >= len + 1) {
                d = cmd->str_inline + cmd->str_used;
                cmd->str_used += (uint32_t)len + 1;
                return d;
        }
        if (!c || c->cap - c->used < len + 1) {
                size_t cap = len + 1 > 448 ? len + 1 : 448;
                c          = rmq__malloc(sizeof(*c) + cap);
                c->used    = 0;
                c->cap     = cap;
                c->next    = cmd->chunks;
                cmd->chunks = c;
        }
        d = c->data + c->used;
        c->used += len + 1;
        return d;
}

/* Copies \p len bytes plus a NUL into the command's string storage. */
static inline char *cmd_strdup(rmq_cmd_t *cmd, const char *s, size_t len) {
        char *d = cmd_str_room(cmd, len);
        memcpy(d, s, len);
        d[len] = '\0';
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
        if (cmd->field_cnt) /* typed fields come first, as ext fields */
                rmq__cmd_materialize(cmd);
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
        if (cmd->field_cnt)
                rmq__cmd_materialize(cmd);
        for (i = 0; i < cmd->ext_cnt; i++) {
                if (!strcmp(cmd->ext[i].key, key)) {
                        cmd->ext[i].val  = cmd_strdup(cmd, val, vlen);
                        cmd->ext[i].vlen = (uint32_t)vlen;
                        if (i < 32)
                                cmd->ext_plain_val &= ~((uint32_t)1 << i);
                        return;
                }
        }
        rmq__cmd_ext_append(cmd, key, val, vlen);
}

void rmq__cmd_ext_add(rmq_cmd_t *cmd, const char *key, const char *val) {
        rmq__cmd_ext_addn(cmd, key, val, strlen(val));
}

static size_t i64_text(int64_t v, char *tmp /* >= 24 */) {
        size_t n = dec_write(tmp, v);
        tmp[n]   = '\0';
        return n;
}

static void ext_set_plain(rmq_cmd_t *cmd, const rmq_cmd_ext_t *e,
                          bool plain_key, bool plain_val) {
        uint32_t i = (uint32_t)(e - cmd->ext);
        if (i >= 32)
                return;
        if (plain_key)
                cmd->ext_plain_key |= (uint32_t)1 << i;
        if (plain_val)
                cmd->ext_plain_val |= (uint32_t)1 << i;
}

void rmq__cmd_ext_append_ref(rmq_cmd_t *cmd, const char *key, size_t klen,
                             const char *val, size_t vlen, bool plain_key,
                             bool plain_val) {
        rmq_cmd_ext_t *e = ext_slot(cmd);
        e->key           = key;
        e->klen          = (uint32_t)klen;
        e->val           = val;
        e->vlen          = (uint32_t)vlen;
        ext_set_plain(cmd, e, plain_key, plain_val);
}

void rmq__cmd_ext_append_ref_i64(rmq_cmd_t *cmd, const char *key,
                                 size_t klen, bool plain_key, int64_t v) {
        size_t n = dec_len(v);
        rmq_cmd_ext_t *e;
        /* The digits, written straight into the storage. */
        char *d = cmd_str_room(cmd, n);
        dec_write(d, v);
        d[n]    = '\0';
        e       = ext_slot(cmd);
        e->key  = key;
        e->klen = (uint32_t)klen;
        e->val  = d;
        e->vlen = (uint32_t)n;
        ext_set_plain(cmd, e, plain_key, true); /* a number is plain */
}

void rmq__cmd_set_fields(rmq_cmd_t *cmd, const rmq_cmd_field_t *fields,
                         uint32_t cnt) {
        if (cmd->field_cnt)
                rmq__cmd_materialize(cmd);
        cmd->fields    = fields;
        cmd->field_cnt = cnt;
        /* One kind at a time: behind existing ext fields, as ext fields. */
        if (cmd->ext_cnt)
                rmq__cmd_materialize(cmd);
}

void rmq__cmd_materialize(rmq_cmd_t *cmd) {
        const rmq_cmd_field_t *f = cmd->fields;
        uint32_t i, n = cmd->field_cnt;
        cmd->fields    = NULL;
        cmd->field_cnt = 0;
        for (i = 0; i < n; i++) {
                if (f[i].kind == RMQ_CMD_FIELD_I64)
                        rmq__cmd_ext_append_ref_i64(cmd, f[i].key, f[i].klen,
                                                    true, f[i].i);
                else
                        rmq__cmd_ext_append_ref(
                            cmd, f[i].key, f[i].klen, f[i].s, f[i].slen, true,
                            f[i].kind == RMQ_CMD_FIELD_STR_PLAIN);
        }
}

void rmq__cmd_ext_add_i64(rmq_cmd_t *cmd, const char *key, int64_t v) {
        char tmp[24];
        size_t n = i64_text(v, tmp);
        rmq__cmd_ext_addn(cmd, key, tmp, n);
}

void rmq__cmd_ext_append_i64(rmq_cmd_t *cmd, const char *key, int64_t v) {
        size_t klen = strlen(key);
        /* The key outlives the command (the rmq__cmd_ext_append rule). */
        rmq__cmd_ext_append_ref_i64(cmd, key, klen, rmq__json_plain(key, klen),
                                    v);
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
        } else if (cmd->home && cmd->body) {
                /* The frame lives in the command's block, which goes back
                 * to its free list: hand out a copy of the body. */
                storage = rmq__malloc(cmd->body_len);
                memcpy(storage, cmd->body, cmd->body_len);
                *bodyp = storage;
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
 * for json_str_len(s, n) bytes; returns the end. */
static uint8_t *put_json_str(uint8_t *p, const char *s, size_t n) {
        static const char hex[] = "0123456789ABCDEF";
        const uint8_t *u = (const uint8_t *)s, *e = u + n;
        *p++ = '"';
        while (u < e) {
                /* Copied while scanned: header strings are short (one-
                 * letter keys, numbers), a memcpy call per run costs more. */
                while (u < e && !json_esc[*u])
                        *p++ = *u++;
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

/* Copies \p n bytes; short copies (most header strings) as two
 * overlapping 8- or 4-byte moves instead of a memcpy call. */
static inline uint8_t *put_short(uint8_t *p, const char *s, size_t n) {
        if (n > 16)
                memcpy(p, s, n);
        else if (n >= 8) {
                memcpy(p, s, 8);
                memcpy(p + n - 8, s + n - 8, 8);
        } else if (n >= 4) {
                memcpy(p, s, 4);
                memcpy(p + n - 4, s + n - 4, 4);
        } else {
                size_t i;
                for (i = 0; i < n; i++)
                        p[i] = (uint8_t)s[i];
        }
        return p + n;
}

/* Writes "s" for a string known to need no escaping. */
static uint8_t *put_plain_str(uint8_t *p, const char *s, size_t n) {
        *p++ = '"';
        p    = put_short(p, s, n);
        *p++ = '"';
        return p;
}

static uint8_t *put_lit(uint8_t *p, const char *lit, size_t n) {
        memcpy(p, lit, n);
        return p + n;
}

#define PUT_LIT(p, lit) put_lit((p), (lit), sizeof(lit) - 1)

static uint8_t *put_dec(uint8_t *p, int64_t v) {
        return p + dec_write((char *)p, v);
}

bool rmq__json_plain(const char *s, size_t n) {
        const uint8_t *u = (const uint8_t *)s;
        size_t i;
        for (i = 0; i < n; i++)
                if (json_esc[u[i]])
                        return false;
        return true;
}

/* Escaped length of \p s (\p n bytes) as a JSON string, quotes included:
 * the exact number of bytes put_json_str() writes. */
static size_t json_str_len(const char *s, size_t n) {
        const uint8_t *u = (const uint8_t *)s, *e = u + n;
        size_t len       = n + 2;
        for (; u < e; u++) {
                if (!json_esc[*u])
                        continue;
                switch (*u) {
                case '"': case '\\': case '\n': case '\r': case '\t':
                case '\b': case '\f':
                        len += 1;
                        break;
                default:
                        len += 5; /* \u00XX */
                        break;
                }
        }
        return len;
}



#define LIT_LEN(lit) (sizeof(lit) - 1)

/* Exact length of the JSON header encode_json_header() writes. */
static size_t json_header_len(const rmq_cmd_t *cmd) {
        const char *lang = rmq__language_name(cmd->language);
        size_t n         = LIT_LEN("{\"code\":") + dec_len(cmd->code);
        uint32_t i;
        if (cmd->ext_cnt || cmd->ext_present || cmd->field_cnt) {
                n += LIT_LEN(",\"extFields\":{") + 1; /* and the '}' */
                for (i = 0; i < cmd->ext_cnt; i++)
                        n += (i ? 1 : 0) +
                             json_str_len(cmd->ext[i].key, cmd->ext[i].klen) +
                             1 +
                             json_str_len(cmd->ext[i].val, cmd->ext[i].vlen);
                for (i = 0; i < cmd->field_cnt; i++) {
                        const rmq_cmd_field_t *f = &cmd->fields[i];
                        n += (i || cmd->ext_cnt ? 1 : 0) + f->klen + 3;
                        n += f->kind == RMQ_CMD_FIELD_I64 ? dec_len(f->i) + 2
                             : f->kind == RMQ_CMD_FIELD_STR_PLAIN
                                 ? f->slen + 2
                                 : json_str_len(f->s, f->slen);
                }
        }
        n += LIT_LEN(",\"flag\":") + dec_len(cmd->flag);
        n += LIT_LEN(",\"language\":") +
             (lang ? json_str_len(lang, strlen(lang)) : dec_len(cmd->language));
        n += LIT_LEN(",\"opaque\":") + dec_len(cmd->opaque);
        if (cmd->remark)
                n += LIT_LEN(",\"remark\":") +
                     json_str_len(cmd->remark, cmd->remark_len);
        n += LIT_LEN(",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":") +
             dec_len(cmd->version) + 1;
        return n;
}

/* The JSON header, written straight into the frame (sized exactly by
 * json_header_len() beforehand). fastjson writes bean properties in
 * alphabetical order. Returns the end. */
static uint8_t *encode_json_header(const rmq_cmd_t *cmd, uint8_t *p) {
        uint32_t i;
        const char *lang = rmq__language_name(cmd->language);
        p = PUT_LIT(p, "{\"code\":");
        p = put_dec(p, cmd->code);
        if (cmd->ext_cnt || cmd->ext_present || cmd->field_cnt) {
                p = PUT_LIT(p, ",\"extFields\":{");
                for (i = 0; i < cmd->ext_cnt; i++) {
                        const rmq_cmd_ext_t *e = &cmd->ext[i];
                        uint32_t bit = i < 32 ? (uint32_t)1 << i : 0;
                        if (i)
                                *p++ = ',';
                        if (cmd->ext_plain_key & cmd->ext_plain_val & bit) {
                                p    = put_plain_str(p, e->key, e->klen);
                                *p++ = ':';
                                p    = put_plain_str(p, e->val, e->vlen);
                                continue;
                        }
                        p    = cmd->ext_plain_key & bit
                                   ? put_plain_str(p, e->key, e->klen)
                                   : put_json_str(p, e->key, e->klen);
                        *p++ = ':';
                        p    = put_json_str(p, e->val, e->vlen);
                }
                for (i = 0; i < cmd->field_cnt; i++) {
                        const rmq_cmd_field_t *f = &cmd->fields[i];
                        if (i || cmd->ext_cnt)
                                *p++ = ',';
                        p    = put_plain_str(p, f->key, f->klen);
                        *p++ = ':';
                        if (f->kind == RMQ_CMD_FIELD_I64) {
                                *p++ = '"';
                                p    = put_dec(p, f->i);
                                *p++ = '"';
                        } else if (f->kind == RMQ_CMD_FIELD_STR_PLAIN) {
                                p = put_plain_str(p, f->s, f->slen);
                        } else {
                                p = put_json_str(p, f->s, f->slen);
                        }
                }
                *p++ = '}';
        }
        p = PUT_LIT(p, ",\"flag\":");
        p = put_dec(p, cmd->flag);
        p = PUT_LIT(p, ",\"language\":");
        if (lang) /* a constant of lang_names: no escaping needed */
                p = put_plain_str(p, lang, strlen(lang));
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
        return p;
}

/* Exact length of the ROCKETMQ (binary) header. */
static size_t binary_header_len(const rmq_cmd_t *cmd) {
        size_t n = 2 + 1 + 2 + 4 + 4 + 4 + 4;
        uint32_t i;
        if (cmd->remark && cmd->remark_len)
                n += cmd->remark_len;
        for (i = 0; i < cmd->ext_cnt; i++)
                n += 2 + (size_t)cmd->ext[i].klen + 4 + cmd->ext[i].vlen;
        for (i = 0; i < cmd->field_cnt; i++) {
                const rmq_cmd_field_t *f = &cmd->fields[i];
                n += 2 + (size_t)f->klen + 4 +
                     (f->kind == RMQ_CMD_FIELD_I64 ? dec_len(f->i) : f->slen);
        }
        return n;
}

static uint8_t *put_be16(uint8_t *p, int16_t v) {
        rmq__be16_write(p, (uint16_t)v);
        return p + 2;
}

static uint8_t *put_be32(uint8_t *p, int32_t v) {
        rmq__be32_write(p, (uint32_t)v);
        return p + 4;
}

static uint8_t *put_bytes(uint8_t *p, const void *s, size_t n) {
        if (n)
                memcpy(p, s, n);
        return p + n;
}

/* RocketMQSerializable.rocketMQProtocolEncode. Returns the end. */
static uint8_t *encode_binary_header(const rmq_cmd_t *cmd, uint8_t *p) {
        uint32_t i;
        uint8_t *ext_len;
        p    = put_be16(p, (int16_t)cmd->code);
        *p++ = (uint8_t)cmd->language;
        p    = put_be16(p, (int16_t)cmd->version);
        p    = put_be32(p, cmd->opaque);
        p    = put_be32(p, cmd->flag);
        if (cmd->remark && cmd->remark_len) {
                p = put_be32(p, (int32_t)cmd->remark_len);
                p = put_bytes(p, cmd->remark, cmd->remark_len);
        } else {
                p = put_be32(p, 0);
        }
        ext_len = p;
        p += 4;
        for (i = 0; i < cmd->ext_cnt; i++) {
                p = put_be16(p, (int16_t)cmd->ext[i].klen);
                p = put_bytes(p, cmd->ext[i].key, cmd->ext[i].klen);
                p = put_be32(p, (int32_t)cmd->ext[i].vlen);
                p = put_bytes(p, cmd->ext[i].val, cmd->ext[i].vlen);
        }
        for (i = 0; i < cmd->field_cnt; i++) {
                const rmq_cmd_field_t *f = &cmd->fields[i];
                p = put_be16(p, (int16_t)f->klen);
                p = put_bytes(p, f->key, f->klen);
                if (f->kind == RMQ_CMD_FIELD_I64) {
                        p = put_be32(p, (int32_t)dec_len(f->i));
                        p = put_dec(p, f->i);
                } else {
                        p = put_be32(p, (int32_t)f->slen);
                        p = put_bytes(p, f->s, f->slen);
                }
        }
        rmq__be32_write(ext_len, (uint32_t)(p - ext_len - 4));
        return p;
}

/* An upper bound of the JSON header length: every string byte escaped
 * as \u00XX. Cheap (no pass over the strings). */
static size_t json_header_bound(const rmq_cmd_t *cmd) {
        size_t n = 200 + (cmd->remark ? cmd->remark_len * 6 : 0);
        uint32_t i;
        for (i = 0; i < cmd->ext_cnt; i++)
                n += ((size_t)cmd->ext[i].klen + cmd->ext[i].vlen) * 6 + 6;
        for (i = 0; i < cmd->field_cnt; i++) {
                const rmq_cmd_field_t *f = &cmd->fields[i];
                n += f->klen + 6 +
                     (f->kind == RMQ_CMD_FIELD_I64         ? 22
                      : f->kind == RMQ_CMD_FIELD_STR_PLAIN ? f->slen
                                                           : f->slen * 6);
        }
        return n;
}

/* Headers whose bound fits are written to a stack scratch first and copied
 * behind the length words once their size is known (a send request's is
 * about 300 bytes); larger ones are sized exactly with a pass over their
 * strings and written in place. */
#define ENCODE_SCRATCH 2048

uint8_t *rmq__cmd_encode_alloc(const rmq_cmd_t *cmd,
                               rmq_frame_alloc_fn_t *alloc, void *opaque,
                               size_t *lenp) {
        uint8_t scratch[ENCODE_SCRATCH];
        uint8_t *dst, *p;
        size_t hlen, len;
        bool copy = false;
        if (cmd->serialize_type == RMQ_SERIALIZE_ROCKETMQ) {
                hlen = binary_header_len(cmd);
        } else if (json_header_bound(cmd) <= sizeof(scratch)) {
                hlen = (size_t)(encode_json_header(cmd, scratch) - scratch);
                copy = true;
        } else {
                hlen = json_header_len(cmd);
        }
        len = 8 + hlen + cmd->body_len;
        dst = alloc(len, opaque);
        if (copy)
                p = put_bytes(dst + 8, scratch, hlen);
        else if (cmd->serialize_type == RMQ_SERIALIZE_ROCKETMQ)
                p = encode_binary_header(cmd, dst + 8);
        else
                p = encode_json_header(cmd, dst + 8);
        /* The length was computed beforehand: they must agree. */
        if ((size_t)(p - dst - 8) != hlen)
                abort();
        p = put_bytes(p, cmd->body, cmd->body_len);
        rmq__be32_write(dst, (uint32_t)(p - dst - 4));
        rmq__be32_write(dst + 4, ((uint32_t)cmd->serialize_type << 24) |
                                     (uint32_t)(hlen & 0xffffff));
        *lenp = len;
        return dst;
}

static uint8_t *buf_alloc(size_t len, void *opaque) {
        rmq_buf_t *out = opaque;
        rmq__buf_reserve(out, len);
        return out->data + out->len;
}

void rmq__cmd_encode(const rmq_cmd_t *cmd, rmq_buf_t *out) {
        size_t len;
        rmq__cmd_encode_alloc(cmd, buf_alloc, out, &len);
        out->len += len;
}

/* ---- decoding ---- */

/* The characters rmq__jlex_scalar() takes into a token. */
static bool scalar_char(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
               (c >= 'A' && c <= 'Z') || c == '-' || c == '+' || c == '.' ||
               c == '_';
}

static int json_int32(rmq_jlex_t *lx, int32_t *out) {
        char *s;
        size_t n;
        int64_t v;
        /* Fast path, the usual form: up to 9 digits right at the cursor,
         * ended by a character that ends a token. Anything else (blanks,
         * signs, longer numbers, the end) takes the general path, which
         * gives the same answers. */
        if (!lx->err && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
                const char *q = lx->p;
                int32_t x     = 0;
                while (q < lx->end && *q >= '0' && *q <= '9' && q - lx->p < 9)
                        x = x * 10 + (*q++ - '0');
                if (q < lx->end && !scalar_char(*q)) {
                        *out  = x;
                        lx->p = (char *)q;
                        return 0;
                }
        }
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

/* The RemotingCommand fields of a JSON header. */
enum {
        HK_NONE, /* not recognised at the cursor: read the key */
        HK_OTHER,
        HK_CODE,
        HK_FLAG,
        HK_OPAQUE,
        HK_VERSION,
        HK_LANGUAGE,
        HK_REMARK,
        HK_EXT,
        HK_SERIALIZE_TYPE
};

static int json_header_key(const char *k, size_t klen) {
        if (rmq__streqn(k, klen, "code"))
                return HK_CODE;
        if (rmq__streqn(k, klen, "flag"))
                return HK_FLAG;
        if (rmq__streqn(k, klen, "opaque"))
                return HK_OPAQUE;
        if (rmq__streqn(k, klen, "version"))
                return HK_VERSION;
        if (rmq__streqn(k, klen, "language"))
                return HK_LANGUAGE;
        if (rmq__streqn(k, klen, "remark"))
                return HK_REMARK;
        if (rmq__streqn(k, klen, "extFields"))
                return HK_EXT;
        return HK_OTHER;
}

#define AT_LIT(p, left, lit)                                                   \
        ((left) >= sizeof(lit) - 1 && !memcmp((p), (lit), sizeof(lit) - 1))

/* The keys fastjson writes, recognised as written ("key": with nothing in
 * between, no escape) and skipped without scanning or terminating them;
 * HK_NONE for anything else, read by the general path (same result). */
static int json_header_key_at(rmq_jlex_t *lx) {
        const char *p = lx->p;
        size_t left   = (size_t)(lx->end - lx->p);
        int key       = HK_NONE;
        size_t n      = 0;
        if (lx->err || left < 8 || p[0] != '"')
                return HK_NONE;
        switch (p[1]) {
        case 'c':
                if (AT_LIT(p, left, "\"code\":"))
                        key = HK_CODE, n = 7;
                break;
        case 'e':
                if (AT_LIT(p, left, "\"extFields\":"))
                        key = HK_EXT, n = 12;
                break;
        case 'f':
                if (AT_LIT(p, left, "\"flag\":"))
                        key = HK_FLAG, n = 7;
                break;
        case 'l':
                if (AT_LIT(p, left, "\"language\":"))
                        key = HK_LANGUAGE, n = 11;
                break;
        case 'o':
                if (AT_LIT(p, left, "\"opaque\":"))
                        key = HK_OPAQUE, n = 9;
                break;
        case 'r':
                if (AT_LIT(p, left, "\"remark\":"))
                        key = HK_REMARK, n = 9;
                break;
        case 's':
                if (AT_LIT(p, left, "\"serializeTypeCurrentRPC\":"))
                        key = HK_SERIALIZE_TYPE, n = 26;
                break;
        case 'v':
                if (AT_LIT(p, left, "\"version\":"))
                        key = HK_VERSION, n = 10;
                break;
        default:
                break;
        }
        lx->p += n;
        return key;
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
                int key = json_header_key_at(&lx);
                if (key == HK_NONE) {
                        if (rmq__jlex_string(&lx, &k, &klen) ||
                            rmq__jlex_expect(&lx, ':'))
                                goto bad;
                        key = json_header_key(k, klen);
                }
                switch (key) {
                case HK_CODE:
                        if (json_int32(&lx, &cmd->code))
                                goto bad;
                        have_code = 1;
                        break;
                case HK_FLAG:
                        if (json_int32(&lx, &cmd->flag))
                                goto bad;
                        break;
                case HK_OPAQUE:
                        if (json_int32(&lx, &cmd->opaque))
                                goto bad;
                        break;
                case HK_VERSION:
                        if (json_int32(&lx, &cmd->version))
                                goto bad;
                        break;
                case HK_LANGUAGE:
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
                        break;
                case HK_REMARK:
                        if (rmq__jlex_peek(&lx) == '"') {
                                char *v;
                                size_t vlen;
                                if (rmq__jlex_string(&lx, &v, &vlen))
                                        goto bad;
                                cmd->remark     = v;
                                cmd->remark_len = vlen;
                        } else if (rmq__jlex_skip(&lx))
                                goto bad;
                        break;
                case HK_EXT:
                        if (decode_json_ext(cmd, &lx))
                                goto bad;
                        break;
                case HK_SERIALIZE_TYPE:
                        /* its usual value, skipped as written */
                        if (AT_LIT(lx.p, (size_t)(lx.end - lx.p), "\"JSON\"")) {
                                lx.p += 6;
                                break;
                        }
                        if (rmq__jlex_skip(&lx))
                                goto bad;
                        break;
                default:
                        if (rmq__jlex_skip(&lx))
                                goto bad;
                        break;
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

/* Checks a frame's length words; returns the header length and type. */
static rmq_err_t frame_check(const uint8_t *frame, size_t len,
                             uint32_t *hlenp, int *stypep, char *errstr,
                             size_t errstr_size) {
        uint32_t total, word, hlen;
        int stype;
        if (len < 8)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "frame too short: %zu bytes", len);
        total = rmq__be32_read(frame);
        word  = rmq__be32_read(frame + 4);
        stype = (int)(word >> 24);
        hlen  = word & 0xffffff;
        if ((size_t)total + 4 != len || (size_t)hlen + 4 > total)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "inconsistent frame: length %u, header "
                                   "length %u, %zu bytes",
                                   total, hlen, len);
        if (stype != RMQ_SERIALIZE_JSON && stype != RMQ_SERIALIZE_ROCKETMQ)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "unknown serialize type %d", stype);
        *hlenp  = hlen;
        *stypep = stype;
        return RMQ_OK;
}

/* Decodes the checked \p frame (which \p cmd may write to) into \p cmd;
 * the body and the JSON header strings point into it. */
static rmq_err_t decode_into(rmq_cmd_t *cmd, uint8_t *frame, size_t len,
                             uint32_t hlen, int stype, char *errstr,
                             size_t errstr_size) {
        rmq_err_t err;
        cmd->serialize_type = stype;
        if (stype == RMQ_SERIALIZE_JSON)
                err = decode_json_header(cmd, (char *)frame + 8, hlen, errstr,
                                         errstr_size);
        else
                err = decode_binary_header(cmd, frame + 8, hlen, errstr,
                                           errstr_size);
        if (err)
                return err;
        cmd->body_len = len - 8 - hlen;
        cmd->body     = cmd->body_len ? frame + 8 + hlen : NULL;
        return RMQ_OK;
}

rmq_err_t rmq__cmd_decode_owned(uint8_t *frame, size_t len, rmq_cmd_t **cmdp,
                                char *errstr, size_t errstr_size) {
        uint32_t hlen = 0;
        int stype     = 0;
        rmq_cmd_t *cmd;
        rmq_err_t err;

        *cmdp = NULL;
        if ((err = frame_check(frame, len, &hlen, &stype, errstr,
                               errstr_size))) {
                rmq__free(frame);
                return err;
        }
        cmd        = cmd_alloc();
        cmd->frame = frame;
        if ((err = decode_into(cmd, frame, len, hlen, stype, errstr,
                               errstr_size))) {
                rmq__cmd_destroy(cmd);
                return err;
        }
        *cmdp = cmd;
        return RMQ_OK;
}

rmq_err_t rmq__cmd_decode_pooled(const uint8_t *frame, size_t len,
                                 rmq_freelist_t *fl, rmq_cmd_t **cmdp,
                                 char *errstr, size_t errstr_size) {
        uint32_t hlen = 0;
        int stype     = 0;
        rmq_err_t err;

        *cmdp = NULL;
        if (len > rmq__freelist_block_size(fl) - sizeof(rmq_cmd_t))
                return rmq__cmd_decode(frame, len, cmdp, errstr, errstr_size);
        if ((err = frame_check(frame, len, &hlen, &stype, errstr,
                               errstr_size)))
                return err;
        return rmq__cmd_decode_in_block(frame, len, rmq__freelist_get(fl), fl,
                                        cmdp, errstr, errstr_size);
}

rmq_err_t rmq__cmd_decode_in_block(const uint8_t *frame, size_t len,
                                   void *block, rmq_freelist_t *fl,
                                   rmq_cmd_t **cmdp, char *errstr,
                                   size_t errstr_size) {
        uint32_t hlen = 0;
        int stype     = 0;
        rmq_cmd_t *cmd = block;
        uint8_t *copy;
        rmq_err_t err;

        *cmdp = NULL;
        if ((err = frame_check(frame, len, &hlen, &stype, errstr,
                               errstr_size))) {
                rmq__freelist_put(fl, block);
                return err;
        }
        cmd_init(cmd);
        cmd->home = fl;
        copy         = (uint8_t *)(cmd + 1);
        memcpy(copy, frame, len);
        if ((err = decode_into(cmd, copy, len, hlen, stype, errstr,
                               errstr_size))) {
                rmq__cmd_destroy(cmd);
                return err;
        }
        *cmdp = cmd;
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

void rmq__fdec_set_view(rmq_frame_decoder_t *dec, rmq_fdec_view_cb_t *cb,
                        size_t view_max) {
        dec->view_cb  = cb;
        dec->view_max = view_max;
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
                if (!dec->frame && !dec->lenhave && dec->view_cb && len >= 8) {
                        /* A small frame whole in the input: a view. */
                        size_t flen = rmq__be32_read(data);
                        if (flen >= RMQ_FRAME_MIN_LENGTH &&
                            flen <= dec->max_len && flen + 4 <= len &&
                            flen + 4 <= dec->view_max) {
                                r = dec->view_cb(data, flen + 4, opaque);
                                data += flen + 4;
                                len -= flen + 4;
                                if (r)
                                        return r;
                                continue;
                        }
                }
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
