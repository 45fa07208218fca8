/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message codec: property names and the properties string, sysFlag bits,
 * the stored/pulled message format, batch bodies, offset message ids,
 * CRC32 and zlib. Pure codecs: no I/O, no threads, no clocks.
 *
 * @see Java: MessageDecoder, MessageConst, MessageSysFlag, PullSysFlag,
 *      MessageBatch, UtilAll.crc32, compression.ZlibCompressor
 *      (common/.../common/).
 */
#ifndef RMQ_MESSAGE_CODEC_H
#define RMQ_MESSAGE_CODEC_H

#include "common/rmq_buf.h"

/*
 * Property names (MessageConst, 4.9.8). The ones the reserved set contains
 * are marked with (R); rmq__prop_is_reserved() answers for them.
 */
#define RMQ_PROP_KEYS                 "KEYS"                 /* (R) */
#define RMQ_PROP_TAGS                 "TAGS"                 /* (R) */
#define RMQ_PROP_WAIT                 "WAIT"                 /* (R) */
#define RMQ_PROP_DELAY                "DELAY"                /* (R) */
#define RMQ_PROP_RETRY_TOPIC          "RETRY_TOPIC"          /* (R) */
#define RMQ_PROP_REAL_TOPIC           "REAL_TOPIC"           /* (R) */
#define RMQ_PROP_REAL_QID             "REAL_QID"             /* (R) */
#define RMQ_PROP_TRAN_MSG             "TRAN_MSG"             /* (R) */
#define RMQ_PROP_PGROUP               "PGROUP"               /* (R) */
#define RMQ_PROP_MIN_OFFSET           "MIN_OFFSET"           /* (R) */
#define RMQ_PROP_MAX_OFFSET           "MAX_OFFSET"           /* (R) */
#define RMQ_PROP_BUYER_ID             "BUYER_ID"             /* (R) */
#define RMQ_PROP_ORIGIN_MESSAGE_ID    "ORIGIN_MESSAGE_ID"    /* (R) */
#define RMQ_PROP_TRANSFER_FLAG        "TRANSFER_FLAG"        /* (R) */
#define RMQ_PROP_CORRECTION_FLAG      "CORRECTION_FLAG"      /* (R) */
#define RMQ_PROP_MQ2_FLAG             "MQ2_FLAG"             /* (R) */
#define RMQ_PROP_RECONSUME_TIME       "RECONSUME_TIME"       /* (R) */
#define RMQ_PROP_MSG_REGION           "MSG_REGION"           /* (R) */
#define RMQ_PROP_TRACE_ON             "TRACE_ON"             /* (R) */
#define RMQ_PROP_UNIQ_KEY             "UNIQ_KEY"             /* (R) */
#define RMQ_PROP_MAX_RECONSUME_TIMES  "MAX_RECONSUME_TIMES"  /* (R) */
#define RMQ_PROP_CONSUME_START_TIME   "CONSUME_START_TIME"   /* (R) */
#define RMQ_PROP_TRAN_PREPARED_QUEUE_OFFSET "TRAN_PREPARED_QUEUE_OFFSET"
#define RMQ_PROP_TRANSACTION_CHECK_TIMES "TRANSACTION_CHECK_TIMES"
#define RMQ_PROP_CHECK_IMMUNITY_TIME_IN_SECONDS                                \
        "CHECK_IMMUNITY_TIME_IN_SECONDS"
#define RMQ_PROP_INSTANCE_ID          "INSTANCE_ID"          /* (R) */
#define RMQ_PROP_CORRELATION_ID       "CORRELATION_ID"       /* (R) */
#define RMQ_PROP_REPLY_TO_CLIENT      "REPLY_TO_CLIENT"      /* (R) */
#define RMQ_PROP_TTL                  "TTL"                  /* (R) */
#define RMQ_PROP_ARRIVE_TIME          "ARRIVE_TIME"          /* (R) */
#define RMQ_PROP_PUSH_REPLY_TIME      "PUSH_REPLY_TIME"      /* (R) */
#define RMQ_PROP_CLUSTER              "CLUSTER"              /* (R) */
#define RMQ_PROP_MSG_TYPE             "MSG_TYPE"             /* (R) */
#define RMQ_PROP_INNER_MULTI_DISPATCH "INNER_MULTI_DISPATCH"
#define RMQ_PROP_INNER_MULTI_QUEUE_OFFSET "INNER_MULTI_QUEUE_OFFSET" /* (R) */
/* Not in MessageConst: a start delivery time (ms) some brokers honour;
 * sendKernelImpl reports a message carrying it as Delay_Msg to hooks. */
#define RMQ_PROP_START_DELIVER_TIME   "__STARTDELIVERTIME"
/* Not in MessageConst: the user property DefaultMQProducerImpl puts on a
 * transactional message (its transactionId). */
#define RMQ_PROP_TRANSACTION_ID       "__transactionId__"
/* 5.x names (PROTOCOL.md §5), not reserved by 4.9.8; listed so code that
 * meets them on the wire uses one spelling. */
#define RMQ_PROP_SHARDING_KEY         "__SHARDINGKEY"
#define RMQ_PROP_TIMER_DELIVER_MS     "TIMER_DELIVER_MS"
#define RMQ_PROP_TIMER_DELAY_SEC      "TIMER_DELAY_SEC"
#define RMQ_PROP_TIMER_DELAY_MS       "TIMER_DELAY_MS"
#define RMQ_PROP_INNER_NUM            "INNER_NUM"
#define RMQ_PROP_INNER_BASE           "INNER_BASE"
#define RMQ_PROP_POP_CK               "POP_CK"
#define RMQ_PROP_DLQ_ORIGIN_TOPIC     "DLQ_ORIGIN_TOPIC"
#define RMQ_PROP_DLQ_ORIGIN_MESSAGE_ID "DLQ_ORIGIN_MESSAGE_ID"

/* MessageConst.KEY_SEPARATOR: several KEYS are joined by a blank. */
#define RMQ_PROP_KEY_SEPARATOR " "
/* The MSG_TYPE value of a reply message (MixAll.REPLY_MESSAGE_FLAG). */
#define RMQ_MSG_TYPE_REPLY "reply"

/* True if \p name is in MessageConst.STRING_HASH_SET, the names
 * Message.putUserProperty refuses. @see Java: Message#putUserProperty */
bool rmq__prop_is_reserved(const char *name);

/* MessageSysFlag */
#define RMQ_SYSFLAG_COMPRESSED           0x1
#define RMQ_SYSFLAG_MULTI_TAGS           0x2
#define RMQ_SYSFLAG_TRANSACTION_NOT      0x0
#define RMQ_SYSFLAG_TRANSACTION_PREPARED 0x4
#define RMQ_SYSFLAG_TRANSACTION_COMMIT   0x8
#define RMQ_SYSFLAG_TRANSACTION_ROLLBACK 0xC
#define RMQ_SYSFLAG_TRANSACTION_MASK     0xC
#define RMQ_SYSFLAG_BORNHOST_V6          0x10
#define RMQ_SYSFLAG_STOREHOST_V6         0x20
#define RMQ_SYSFLAG_NEED_UNWRAP          0x40
#define RMQ_SYSFLAG_INNER_BATCH          0x80
#define RMQ_SYSFLAG_COMPRESSION_LZ4      (1 << 8)
#define RMQ_SYSFLAG_COMPRESSION_ZSTD     (2 << 8)
#define RMQ_SYSFLAG_COMPRESSION_ZLIB     (3 << 8)
#define RMQ_SYSFLAG_COMPRESSION_MASK     (7 << 8)

/* CompressionType values, (sysFlag & RMQ_SYSFLAG_COMPRESSION_MASK) >> 8;
 * 0 is the legacy "zlib, no type marker" of older senders. */
#define RMQ_COMPRESSION_LEGACY 0
#define RMQ_COMPRESSION_LZ4    1
#define RMQ_COMPRESSION_ZSTD   2
#define RMQ_COMPRESSION_ZLIB   3

/* MessageSysFlag.getTransactionValue / resetTransactionValue */
static inline int32_t rmq__sysflag_transaction(int32_t sysFlag) {
        return sysFlag & RMQ_SYSFLAG_TRANSACTION_MASK;
}
static inline int32_t rmq__sysflag_set_transaction(int32_t sysFlag,
                                                   int32_t type) {
        return (sysFlag & ~RMQ_SYSFLAG_TRANSACTION_MASK) | type;
}

/* PullSysFlag */
#define RMQ_PULL_FLAG_COMMIT_OFFSET 0x1
#define RMQ_PULL_FLAG_SUSPEND       0x2
#define RMQ_PULL_FLAG_SUBSCRIPTION  0x4
#define RMQ_PULL_FLAG_CLASS_FILTER  0x8
#define RMQ_PULL_FLAG_LITE_PULL     0x10

/* PullSysFlag.buildSysFlag */
int32_t rmq__pull_sysflag_build(bool commitOffset, bool suspend,
                                bool subscription, bool classFilter,
                                bool litePull);

/*
 * Properties string: "k\001v\002k\001v", no trailing separator
 * (MessageDecoder.messageProperties2String, 4.9.8).
 */
#define RMQ_PROP_NAME_VALUE_SEPARATOR '\001'
#define RMQ_PROP_SEPARATOR            '\002'

typedef struct rmq_prop_s {
        const char *key;
        const char *val; /* NULL: skipped, as Java skips null values */
} rmq_prop_t;

/* Appends \p cnt properties. @see Java: messageProperties2String */
void rmq__props_encode(rmq_buf_t *out, const rmq_prop_t *props, size_t cnt);
/* Appends one property to a properties string that starts at offset
 * \p start of \p out (a separator is written if it is not empty). */
void rmq__props_append(rmq_buf_t *out, size_t start, const char *key,
                       const char *val);

/* Zero-copy iteration over a properties string, in wire order, applying
 * Java's rules (string2messageProperties): an entry needs a non-empty
 * name before its first \001 and a non-empty value; other entries are
 * skipped. A name that repeats is returned each time (Java's map keeps
 * the last one; rmq__props_get does too). */
typedef struct rmq_props_iter_s {
        const char *p;
        const char *end;
} rmq_props_iter_t;

void rmq__props_iter_init(rmq_props_iter_t *it, const char *props,
                          size_t len);
bool rmq__props_next(rmq_props_iter_t *it, const char **key, size_t *klen,
                     const char **val, size_t *vlen);

/* Looks \p key up. Returns 0 and a view of the value (not NUL-terminated),
 * or -1 if absent. @see Java: string2messageProperties + Map.get */
int rmq__props_get(const char *props, size_t len, const char *key,
                   const char **val, size_t *vlen);

/* UtilAll.crc32: zlib CRC32 & 0x7FFFFFFF. */
int32_t rmq__crc32_java(const void *p, size_t n);

/*
 * Stored / pulled message (PROTOCOL.md §7).
 */
#define RMQ_MSG_MAGIC_V1    ((int32_t)0xDAA320A7) /* -626843481 */
#define RMQ_MSG_MAGIC_V2    ((int32_t)0xDAA320AB) /* -626843477 */
#define RMQ_MSG_MAGIC_BLANK ((int32_t)0xCBD43194) /* -875286124 */

/* A socket address as the message format carries it. */
typedef struct rmq_msg_host_s {
        uint8_t ip[16];
        uint8_t ipLen; /* 4 or 16 */
        int32_t port;
} rmq_msg_host_t;

/* "ip:port" as Java's RemotingUtil.socketAddress2String prints it (IPv6:
 * eight groups of hex without leading zeros, no "::"). Returns the
 * length written (snprintf semantics). */
int rmq__msg_host_format(const rmq_msg_host_t *host, char *dst, size_t size);
/* Parses a numeric "ip:port" (IPv4 or IPv6). Returns 0 or -1. */
int rmq__msg_host_parse(const char *addr, rmq_msg_host_t *host);

/* Every field of one stored message. Pointers are views into the buffer
 * the message was decoded from (or, for the encoder, the caller's data);
 * nothing is NUL-terminated. */
typedef struct rmq_msg_view_s {
        int32_t storeSize;
        int32_t magicCode;
        int32_t bodyCRC;
        int32_t queueId;
        int32_t flag;
        int64_t queueOffset;
        int64_t commitLogOffset;
        int32_t sysFlag;
        int64_t bornTimestamp;
        rmq_msg_host_t bornHost;
        int64_t storeTimestamp;
        rmq_msg_host_t storeHost;
        int32_t reconsumeTimes;
        int64_t preparedTransactionOffset;
        const uint8_t *body; /* as stored: compressed if the sysFlag says */
        size_t bodyLen;
        const char *topic;
        size_t topicLen;
        const char *properties;
        size_t propertiesLen;
} rmq_msg_view_t;

/* Decodes the next message of a PULL_MESSAGE / CHECK_TRANSACTION_STATE
 * body, without copying. Call while rmq__rd_remains(rd) > 0.
 * Returns RMQ_OK, or RMQ_ERR__BAD_MSG (also left in rd->err) when the
 * message is malformed: unknown magic code, a length past the end or past
 * TOTALSIZE, a V1 topic length above 127, a negative properties length,
 * or TOTALSIZE not equal to the length of the fields.
 * @see Java: MessageDecoder#decode (5.x MessageVersion for V2) */
rmq_err_t rmq__msg_decode_next(rmq_rd_t *rd, rmq_msg_view_t *mv);

/* TOTALSIZE of \p mv when encoded, or -1 if it cannot be encoded (body
 * over INT32_MAX, topic over 32767 bytes, properties over 32767 bytes,
 * a host whose ipLen is not 4 or 16). */
int64_t rmq__msg_stored_size(const rmq_msg_view_t *mv);

/* Appends \p mv in the stored format. TOTALSIZE is computed; BODYCRC,
 * sysFlag and everything else are written as given, except that the
 * BORNHOST_V6/STOREHOST_V6 sysFlag bits are set from the hosts' ipLen.
 * The magic code is V2 if mv->magicCode is V2 or the topic is longer than
 * 127 bytes, else V1. Returns RMQ_ERR__MSG_TOO_LARGE (nothing appended)
 * when rmq__msg_stored_size() says it cannot be encoded.
 * @see Java: MessageDecoder#encode, CommitLog.DefaultAppendMessageCallback */
rmq_err_t rmq__msg_encode_stored(rmq_buf_t *out, const rmq_msg_view_t *mv);

/* Decompresses a stored body according to its sysFlag: types 0 and 3
 * (zlib) are inflated (bounded by \p max_out); LZ4 and ZSTD give
 * RMQ_ERR__NOT_SUPPORTED; types 4..7 give RMQ_ERR__BAD_MSG.
 * @see Java: CompressorFactory.getCompressor(MessageSysFlag.getCompressionType) */
rmq_err_t rmq__msg_body_decompress(int32_t sysFlag, const void *body,
                                   size_t len, size_t max_out,
                                   uint8_t **out, size_t *outlen);

/*
 * offsetMsgId: hex of store host ip (4|16) + port int32 + commitLogOffset
 * int64: 32 or 56 characters.
 */
#define RMQ_OFFSET_MSG_ID_MAX 56

/* Writes the id and a NUL into \p out (RMQ_OFFSET_MSG_ID_MAX + 1 bytes).
 * Returns its length. @see Java: MessageDecoder#createMessageId */
size_t rmq__offset_msg_id_create(const rmq_msg_host_t *storeHost,
                                 int64_t commitLogOffset, char *out);
/* Decodes an id of \p len characters (32 or 56 hex digits, any case).
 * Returns RMQ_OK or RMQ_ERR__INVALID_ARG. @see Java:
 * MessageDecoder#decodeMessageId */
rmq_err_t rmq__offset_msg_id_decode(const char *id, size_t len,
                                    rmq_msg_host_t *host, int64_t *offset);
/* Same, giving the store address as "ip:port" (rmq__msg_host_format). */
rmq_err_t rmq__offset_msg_id_decode_addr(const char *id, size_t len,
                                         char *addr, size_t addr_size,
                                         int64_t *offset);

/*
 * Batch body element (MessageDecoder.encodeMessage / decodeMessage):
 * TOTALSIZE int32, MAGICCODE 0, BODYCRC 0, FLAG int32, BODYLEN int32 +
 * body, PROPERTIESLEN int16 + properties.
 */
typedef struct rmq_batch_elem_s {
        int32_t storeSize;
        int32_t magicCode;
        int32_t bodyCRC;
        int32_t flag;
        const uint8_t *body;
        size_t bodyLen;
        const char *properties;
        size_t propertiesLen;
} rmq_batch_elem_t;

/* Appends one element. Returns RMQ_ERR__MSG_TOO_LARGE (nothing appended)
 * if the properties exceed 32767 bytes or the element INT32_MAX.
 * @see Java: MessageDecoder#encodeMessage */
rmq_err_t rmq__batch_encode_one(rmq_buf_t *out, int32_t flag,
                                const void *body, size_t bodyLen,
                                const char *props, size_t propsLen);
/* Decodes the next element; call while rmq__rd_remains(rd) > 0. Returns
 * RMQ_OK or RMQ_ERR__BAD_MSG (lengths past the end, negative lengths, or
 * TOTALSIZE not matching the fields). @see Java: MessageDecoder#decodeMessage */
rmq_err_t rmq__batch_decode_next(rmq_rd_t *rd, rmq_batch_elem_t *el);

/*
 * zlib, as Java's Deflater(level) / InflaterInputStream.
 */
typedef struct rmq_deflater_s rmq_deflater_t;

/* A reusable compressor at \p level (-1..9; Java's default producer level
 * is 5). Returns NULL if the level is invalid. Not thread-safe: one user
 * at a time. */
rmq_deflater_t *rmq__deflater_new(int level);
void rmq__deflater_destroy(rmq_deflater_t *dfl);
/* Appends the zlib stream (header, deflate data, adler32) of \p in to
 * \p out, the bytes java.util.zip.Deflater(level) writes. The stream is
 * reset (deflateReset) for each call. Returns RMQ_OK or RMQ_ERR__FAIL. */
rmq_err_t rmq__deflater_compress(rmq_deflater_t *dfl, const void *in,
                                 size_t len, rmq_buf_t *out);

/* Inflates a zlib stream into a new buffer (free with rmq__free).
 * Returns RMQ_OK, RMQ_ERR__MSG_TOO_LARGE if the output would exceed
 * \p max_out (nothing returned), or RMQ_ERR__BAD_MSG if the stream is
 * corrupt or truncated. Bytes after the end of the stream are ignored, as
 * InflaterInputStream does. */
rmq_err_t rmq__zlib_inflate(const void *in, size_t len, size_t max_out,
                            uint8_t **out, size_t *outlen);

#endif /* RMQ_MESSAGE_CODEC_H */
