/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RemotingCommand: the frame codec for both header serialize types.
 * Mirrors RemotingCommand, RocketMQSerializable, SerializeType and
 * LanguageCode (remoting/.../protocol/).
 *
 * Frame: int32 length (= 4 + headerLen + bodyLen) | int32 (serializeType <<
 * 24 | headerLen) | header | body, big-endian.
 *
 * Commands are pure data: no I/O, locks or clocks here.
 */
#ifndef RMQ_REMOTING_CMD_H
#define RMQ_REMOTING_CMD_H

#include "common/rmq_buf.h"
#include "common/rmq_conf_int.h"
#include "common/rmq_freelist.h"
#include "rocketmq/rmq_request_code.h"

/* flag bits (RemotingCommand RPC_TYPE / RPC_ONEWAY) */
#define RMQ_CMD_FLAG_RESPONSE 0x1
#define RMQ_CMD_FLAG_ONEWAY   0x2

/* LanguageCode */
#define RMQ_LANG_JAVA 0
#define RMQ_LANG_CPP  1

/* MQVersion.Version.V4_9_8.ordinal(): name servers answer routes in
 * standard JSON from V4_9_4 (401) on. */
#define RMQ_REMOTING_VERSION 409

/* Smallest frame: length word + header-length word + empty ROCKETMQ header
 * minimum (2+1+2+4+4+4+4 = 21 bytes). A frame length (the first word) below
 * 4 cannot even hold the header-length word. */
#define RMQ_FRAME_MIN_LENGTH 4
/* Java's default frameMaxLength (com.rocketmq.remoting.frameMaxLength). */
#define RMQ_FRAME_MAX_LENGTH_DEFAULT (16 * 1024 * 1024)

typedef struct rmq_cmd_ext_s {
        const char *key; /* NUL-terminated */
        const char *val; /* NUL-terminated */
        uint32_t klen;
        uint32_t vlen;
} rmq_cmd_ext_t;

#define RMQ_CMD_EXT_INLINE 20
/* Strings the command copies (numbers written by ext_append_i64, ...) go
 * here first, then to heap chunks. */
#define RMQ_CMD_STR_INLINE 64

/* A custom header field kept typed (RemotingCommand.makeCustomHeaderToNet
 * without the strings in between): the encoders write it as the ext field
 * it stands for; rmq__cmd_materialize() turns it into one. */
typedef enum rmq_cmd_field_kind_e {
        RMQ_CMD_FIELD_STR,       /* a string, escaped as JSON needs */
        RMQ_CMD_FIELD_STR_PLAIN, /* a string known to need no escaping */
        RMQ_CMD_FIELD_I64        /* a number, as its decimal text */
} rmq_cmd_field_kind_t;

typedef struct rmq_cmd_field_s {
        const char *key; /* a literal that needs no JSON escaping */
        uint32_t klen;
        uint32_t kind;   /* rmq_cmd_field_kind_t */
        const char *s;   /* STR*: NUL-terminated, referenced */
        size_t slen;
        int64_t i;       /* I64 */
} rmq_cmd_field_t;

/* Chunked string storage: appended strings never move. */
typedef struct rmq_cmd_chunk_s {
        struct rmq_cmd_chunk_s *next;
        size_t used, cap;
        char data[];
} rmq_cmd_chunk_t;

typedef struct rmq_cmd_s {
        int32_t code;
        int32_t language;
        int32_t version;
        int32_t opaque;
        int32_t flag;
        int32_t serialize_type; /* RMQ_SERIALIZE_JSON / _ROCKETMQ */
        const char *remark;     /* NULL when absent */
        size_t remark_len;
        rmq_cmd_ext_t *ext;
        uint32_t ext_cnt, ext_cap;
        /* Bit i (i < 32): the key / the value of ext[i] needs no JSON
         * escaping (set by the appenders that know it: literal keys,
         * numbers, checked names); the encoder copies it without
         * scanning. */
        uint32_t ext_plain_key;
        uint32_t ext_plain_val;
        /* Typed header fields (rmq__cmd_set_fields), referenced; written
         * as ext fields. Set only while ext_cnt is 0: every ext mutator
         * materialises them first. */
        const rmq_cmd_field_t *fields;
        uint32_t field_cnt;
        bool ext_present; /* JSON "extFields":{} was present though empty */
        const uint8_t *body;
        size_t body_len;

        /* storage */
        uint8_t *frame;          /* owned received frame (or NULL) */
        void *body_owned;        /* owned body (rmq__free) or NULL */
        rmq_cmd_chunk_t *chunks; /* owned strings */
        /* A command decoded by rmq__cmd_decode_pooled(): a block of this
         * free list, its frame stored right behind the struct. */
        rmq_freelist_t *home;
        uint32_t str_used; /* bytes of str_inline in use */
        rmq_cmd_ext_t ext_inline[RMQ_CMD_EXT_INLINE];
        char str_inline[RMQ_CMD_STR_INLINE];
} rmq_cmd_t;

/* Next opaque of this process (Java's static AtomicInteger requestId). */
int32_t rmq__cmd_next_opaque(void);

/* A request with a fresh opaque, language CPP, version 409, JSON. */
rmq_cmd_t *rmq__cmd_new_request(int32_t code);
/* The same in caller-provided storage (a command on the stack for the
 * duration of a call); release it with rmq__cmd_fini(), not destroy. */
void rmq__cmd_init_request(rmq_cmd_t *cmd, int32_t code);
/* Frees what a command owns, not the command itself (see
 * rmq__cmd_init_request). */
void rmq__cmd_fini(rmq_cmd_t *cmd);
/* A response (flag RESPONSE) with \p remark (may be NULL). The caller sets
 * opaque and serialize type from the request (rmq__cmd_reply_to). */
rmq_cmd_t *rmq__cmd_new_response(int32_t code, const char *remark);
/* Makes \p resp answer \p req: opaque, response flag, serialize type. */
void rmq__cmd_reply_to(rmq_cmd_t *resp, const rmq_cmd_t *req);
void rmq__cmd_destroy(rmq_cmd_t *cmd);

void rmq__cmd_set_remark(rmq_cmd_t *cmd, const char *remark);

/* Adds an ext field. The key must outlive the command (string literals);
 * the value is copied. Adding a key that exists replaces its value. */
void rmq__cmd_ext_add(rmq_cmd_t *cmd, const char *key, const char *val);
void rmq__cmd_ext_addn(rmq_cmd_t *cmd, const char *key, const char *val,
                       size_t vlen);
void rmq__cmd_ext_add_i64(rmq_cmd_t *cmd, const char *key, int64_t v);
void rmq__cmd_ext_add_bool(rmq_cmd_t *cmd, const char *key, bool v);
/* Appends without checking for an existing key (hot path: fresh command,
 * distinct literal keys). */
void rmq__cmd_ext_append(rmq_cmd_t *cmd, const char *key, const char *val,
                         size_t vlen);
void rmq__cmd_ext_append_i64(rmq_cmd_t *cmd, const char *key, int64_t v);
/* Appends an entry referencing \p key and \p val (no copy): both must
 * stay valid and unchanged until the command is destroyed. \p plain_key,
 * \p plain_val: the caller knows that the key / the value needs no JSON
 * escaping (no '"', '\\' or control character), so the encoder copies it
 * without scanning. */
void rmq__cmd_ext_append_ref(rmq_cmd_t *cmd, const char *key, size_t klen,
                             const char *val, size_t vlen, bool plain_key,
                             bool plain_val);
/* Appends \p key (referenced and \p plain_key as above) with the decimal
 * text of \p v as its value. */
void rmq__cmd_ext_append_ref_i64(rmq_cmd_t *cmd, const char *key,
                                 size_t klen, bool plain_key, int64_t v);
/* The custom header as \p cnt typed fields (referenced: they and their
 * strings must outlive the command), on a command without ext fields.
 * The encoders write them as the ext fields they stand for, in order, at
 * no cost of intermediate strings; the ext lookups (rmq__cmd_ext...) do
 * not see them until rmq__cmd_materialize(), which any ext mutator and
 * the transport (before its RPC hooks) call. */
void rmq__cmd_set_fields(rmq_cmd_t *cmd, const rmq_cmd_field_t *fields,
                         uint32_t cnt);
/* Turns the typed fields into ext fields (no-op without). */
void rmq__cmd_materialize(rmq_cmd_t *cmd);

/* Appends a copy of \p key too: for keys that do not outlive the command
 * (ext fields taken from another command). */
void rmq__cmd_ext_append_dup(rmq_cmd_t *cmd, const char *key, const char *val,
                             size_t vlen);

/* True when \p s (\p n bytes) needs no JSON escaping (no '"', '\\' or
 * control character): callers that check a string once can then mark the
 * ext fields that carry it as plain. */
bool rmq__json_plain(const char *s, size_t n);

/* Ext lookup: value or NULL. */
const char *rmq__cmd_ext(const rmq_cmd_t *cmd, const char *key);
/* Numeric ext lookup: 0 on success, -1 if absent or not an integer. */
int rmq__cmd_ext_i64(const rmq_cmd_t *cmd, const char *key, int64_t *out);
int rmq__cmd_ext_i32(const rmq_cmd_t *cmd, const char *key, int32_t *out);

/* Body: a view the caller keeps alive until the command is encoded or
 * destroyed, or an owned copy. */
void rmq__cmd_set_body_ref(rmq_cmd_t *cmd, const void *data, size_t len);
void rmq__cmd_set_body_copy(rmq_cmd_t *cmd, const void *data, size_t len);
/* Takes \p data (allocated with rmq__malloc) in every case. */
void rmq__cmd_set_body_owned(rmq_cmd_t *cmd, void *data, size_t len);

static inline bool rmq__cmd_is_response(const rmq_cmd_t *cmd) {
        return (cmd->flag & RMQ_CMD_FLAG_RESPONSE) != 0;
}
static inline bool rmq__cmd_is_oneway(const rmq_cmd_t *cmd) {
        return (cmd->flag & RMQ_CMD_FLAG_ONEWAY) != 0;
}

/* Appends the whole frame, length prefix included, in the command's
 * serialize type (one reservation of the exact size). */
void rmq__cmd_encode(const rmq_cmd_t *cmd, rmq_buf_t *out);

/* Returns memory for a frame of exactly \p len bytes (never NULL). */
typedef uint8_t *(rmq_frame_alloc_fn_t)(size_t len, void *opaque);
/* Encodes the whole frame into memory from \p alloc, called once with the
 * exact frame length (so a transport can take it from a free list);
 * returns it and its length in \p lenp. */
uint8_t *rmq__cmd_encode_alloc(const rmq_cmd_t *cmd,
                               rmq_frame_alloc_fn_t *alloc, void *opaque,
                               size_t *lenp);

/* Decodes one whole frame (length prefix included). \p frame is copied.
 * Returns RMQ_OK or RMQ_ERR__BAD_MSG with a reason in errstr. */
rmq_err_t rmq__cmd_decode(const uint8_t *frame, size_t len, rmq_cmd_t **cmdp,
                          char *errstr, size_t errstr_size);
/* Same, taking \p frame (allocated with rmq__malloc) in every case: the
 * body then points into it and header strings are decoded in place. */
rmq_err_t rmq__cmd_decode_owned(uint8_t *frame, size_t len, rmq_cmd_t **cmdp,
                                char *errstr, size_t errstr_size);
/* Same, from a view of \p frame (copied): the command and the copy of a
 * frame that fits are one block of \p fl (whose blocks are larger than
 * rmq_cmd_t), returned to it by rmq__cmd_destroy(); a larger frame is
 * decoded as rmq__cmd_decode() does. */
rmq_err_t rmq__cmd_decode_pooled(const uint8_t *frame, size_t len,
                                 rmq_freelist_t *fl, rmq_cmd_t **cmdp,
                                 char *errstr, size_t errstr_size);
/* The same with a block the caller took from \p fl already (its size is
 * at least sizeof(rmq_cmd_t) + \p len); the block is the command's (on
 * failure too: it went back to \p fl). */
rmq_err_t rmq__cmd_decode_in_block(const uint8_t *frame, size_t len,
                                   void *block, rmq_freelist_t *fl,
                                   rmq_cmd_t **cmdp, char *errstr,
                                   size_t errstr_size);

/* Takes the body out of \p cmd: returns the storage to free with rmq__free
 * (the frame or the owned body; NULL for a body reference), and the body
 * pointer/length through the out-parameters. The command keeps no body. */
void *rmq__cmd_take_body(rmq_cmd_t *cmd, const uint8_t **bodyp,
                         size_t *lenp);

/* Language name (JAVA, CPP, ...) or NULL. */
const char *rmq__language_name(int32_t code);
int32_t rmq__language_code(const char *name, size_t len);

const char *rmq__request_code_name(int code);

/*
 * Streaming frame decoder: bytes in any chunking in, whole frames out.
 */
/* Called per complete frame; takes \p frame (rmq__malloc'ed) in every
 * case. A non-zero return stops feeding (and is returned by feed). */
typedef int(rmq_fdec_frame_cb_t)(uint8_t *frame, size_t len, void *opaque);
/* Called instead, when set, for a frame of at most view_max bytes that
 * lies whole in the bytes fed: \p frame is a view, valid during the call
 * (no allocation, no copy by the decoder). */
typedef int(rmq_fdec_view_cb_t)(const uint8_t *frame, size_t len,
                                void *opaque);

typedef struct rmq_frame_decoder_s {
        uint8_t lenbuf[4];
        size_t lenhave;
        uint8_t *frame; /* allocated at the announced size */
        size_t need;    /* total frame size, length word included */
        size_t have;
        size_t max_len; /* frameMaxLength */
        rmq_fdec_view_cb_t *view_cb;
        size_t view_max;
} rmq_frame_decoder_t;

void rmq__fdec_init(rmq_frame_decoder_t *dec, size_t max_len);
void rmq__fdec_free(rmq_frame_decoder_t *dec);
/* Small frames fed whole go to \p cb as views (see rmq_fdec_view_cb_t);
 * it receives the opaque given to feed. */
void rmq__fdec_set_view(rmq_frame_decoder_t *dec, rmq_fdec_view_cb_t *cb,
                        size_t view_max);

/* Feeds \p len bytes. Returns 0; the callback's non-zero value; or -1 when
 * the stream announces a frame length below the minimum or above max_len
 * (a reason is written to errstr); the decoder is then unusable. */
int rmq__fdec_feed(rmq_frame_decoder_t *dec, const uint8_t *data, size_t len,
                   rmq_fdec_frame_cb_t *cb, void *opaque, char *errstr,
                   size_t errstr_size);

/* Where the next bytes should go, for reading straight into a large
 * frame's buffer (zero copy); NULL when the decoder has no frame buffer
 * waiting. After reading n bytes there, call rmq__fdec_commit(). */
uint8_t *rmq__fdec_direct(rmq_frame_decoder_t *dec, size_t *room);
int rmq__fdec_commit(rmq_frame_decoder_t *dec, size_t n,
                     rmq_fdec_frame_cb_t *cb, void *opaque);

#endif /* RMQ_REMOTING_CMD_H */
