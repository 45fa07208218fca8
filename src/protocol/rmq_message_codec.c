/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "common/rmq_str.h"
#include "protocol/rmq_message_codec.h"

/* ---- reserved property names ---- */

/* MessageConst.STRING_HASH_SET of 4.9.8, exactly. */
static const char *const reserved_props[] = {
        RMQ_PROP_TRACE_ON,           RMQ_PROP_MSG_REGION,
        RMQ_PROP_KEYS,               RMQ_PROP_TAGS,
        RMQ_PROP_WAIT,               RMQ_PROP_DELAY,
        RMQ_PROP_RETRY_TOPIC,        RMQ_PROP_REAL_TOPIC,
        RMQ_PROP_REAL_QID,           RMQ_PROP_TRAN_MSG,
        RMQ_PROP_PGROUP,             RMQ_PROP_MIN_OFFSET,
        RMQ_PROP_MAX_OFFSET,         RMQ_PROP_BUYER_ID,
        RMQ_PROP_ORIGIN_MESSAGE_ID,  RMQ_PROP_TRANSFER_FLAG,
        RMQ_PROP_CORRECTION_FLAG,    RMQ_PROP_MQ2_FLAG,
        RMQ_PROP_RECONSUME_TIME,     RMQ_PROP_UNIQ_KEY,
        RMQ_PROP_MAX_RECONSUME_TIMES, RMQ_PROP_CONSUME_START_TIME,
        RMQ_PROP_INSTANCE_ID,        RMQ_PROP_CORRELATION_ID,
        RMQ_PROP_REPLY_TO_CLIENT,    RMQ_PROP_TTL,
        RMQ_PROP_ARRIVE_TIME,        RMQ_PROP_PUSH_REPLY_TIME,
        RMQ_PROP_CLUSTER,            RMQ_PROP_MSG_TYPE,
        RMQ_PROP_INNER_MULTI_QUEUE_OFFSET,
};

/* mirrors MessageConst.STRING_HASH_SET.contains */
bool rmq__prop_is_reserved(const char *name) {
        size_t i;
        if (!name)
                return false;
        for (i = 0; i < RMQ_ARRAY_SIZE(reserved_props); i++)
                if (!strcmp(name, reserved_props[i]))
                        return true;
        return false;
}

/* mirrors PullSysFlag.buildSysFlag */
int32_t rmq__pull_sysflag_build(bool commitOffset, bool suspend,
                                bool subscription, bool classFilter,
                                bool litePull) {
        int32_t flag = 0;
        if (commitOffset)
                flag |= RMQ_PULL_FLAG_COMMIT_OFFSET;
        if (suspend)
                flag |= RMQ_PULL_FLAG_SUSPEND;
        if (subscription)
                flag |= RMQ_PULL_FLAG_SUBSCRIPTION;
        if (classFilter)
                flag |= RMQ_PULL_FLAG_CLASS_FILTER;
        if (litePull)
                flag |= RMQ_PULL_FLAG_LITE_PULL;
        return flag;
}

/* ---- properties string ---- */

static void props_put_one(rmq_buf_t *out, bool first, const char *key,
                          const char *val) {
        if (!first)
                rmq__buf_put_u8(out, RMQ_PROP_SEPARATOR);
        rmq__buf_put_str(out, key);
        rmq__buf_put_u8(out, RMQ_PROP_NAME_VALUE_SEPARATOR);
        rmq__buf_put_str(out, val);
}

/* mirrors MessageDecoder.messageProperties2String */
void rmq__props_encode(rmq_buf_t *out, const rmq_prop_t *props, size_t cnt) {
        size_t i;
        bool first = true;
        for (i = 0; i < cnt; i++) {
                if (!props[i].val || !props[i].key)
                        continue;
                props_put_one(out, first, props[i].key, props[i].val);
                first = false;
        }
}

void rmq__props_append(rmq_buf_t *out, size_t start, const char *key,
                       const char *val) {
        props_put_one(out, out->len <= start, key, val);
}

void rmq__props_iter_init(rmq_props_iter_t *it, const char *props,
                          size_t len) {
        it->p   = props;
        it->end = props ? props + len : NULL;
}

/* mirrors one step of MessageDecoder.string2messageProperties */
bool rmq__props_next(rmq_props_iter_t *it, const char **key, size_t *klen,
                     const char **val, size_t *vlen) {
        while (it->p && it->p < it->end) {
                const char *s = it->p;
                const char *e = memchr(s, RMQ_PROP_SEPARATOR,
                                       (size_t)(it->end - s));
                const char *kv;
                if (!e)
                        e = it->end;
                it->p = e < it->end ? e + 1 : it->end;
                kv = memchr(s, RMQ_PROP_NAME_VALUE_SEPARATOR, (size_t)(e - s));
                /* Java: kvSepIndex > index && kvSepIndex < newIndex - 1 */
                if (!kv || kv == s || kv + 1 >= e)
                        continue;
                *key  = s;
                *klen = (size_t)(kv - s);
                *val  = kv + 1;
                *vlen = (size_t)(e - kv - 1);
                return true;
        }
        return false;
}

int rmq__props_get(const char *props, size_t len, const char *key,
                   const char **val, size_t *vlen) {
        rmq_props_iter_t it;
        const char *k, *v;
        size_t kl, vl;
        int found = -1;
        rmq__props_iter_init(&it, props, len);
        while (rmq__props_next(&it, &k, &kl, &v, &vl)) {
                if (rmq__streqn(k, kl, key)) {
                        /* HashMap.put: the last one wins */
                        *val  = v;
                        *vlen = vl;
                        found = 0;
                }
        }
        return found;
}

/* mirrors UtilAll.crc32 */
int32_t rmq__crc32_java(const void *p, size_t n) {
        uLong crc = crc32_z(0L, Z_NULL, 0);
        crc       = crc32_z(crc, (const Bytef *)p, n);
        return (int32_t)(crc & 0x7FFFFFFF);
}

/* ---- hosts ---- */

int rmq__msg_host_format(const rmq_msg_host_t *host, char *dst, size_t size) {
        const uint8_t *ip = host->ip;
        if (host->ipLen == 4)
                return snprintf(dst, size, "%u.%u.%u.%u:%d", ip[0], ip[1],
                                ip[2], ip[3], (int)host->port);
        /* Inet6Address.getHostAddress: no zero compression */
        return snprintf(dst, size, "%x:%x:%x:%x:%x:%x:%x:%x:%d",
                        rmq__be16_read(ip), rmq__be16_read(ip + 2),
                        rmq__be16_read(ip + 4), rmq__be16_read(ip + 6),
                        rmq__be16_read(ip + 8), rmq__be16_read(ip + 10),
                        rmq__be16_read(ip + 12), rmq__be16_read(ip + 14),
                        (int)host->port);
}

int rmq__msg_host_parse(const char *addr, rmq_msg_host_t *host) {
        const char *colon = addr ? strrchr(addr, ':') : NULL;
        char ip[64];
        int32_t port;
        size_t n;
        if (!colon || colon == addr)
                return -1;
        n = (size_t)(colon - addr);
        if (addr[0] == '[' && colon[-1] == ']') {
                addr++;
                n -= 2;
        }
        if (n >= sizeof(ip) || rmq__parse_i32(colon + 1, &port) ||
            port < 0 || port > 65535)
                return -1;
        memcpy(ip, addr, n);
        ip[n] = '\0';
        memset(host, 0, sizeof(*host));
        host->port = port;
        if (inet_pton(AF_INET, ip, host->ip) == 1) {
                host->ipLen = 4;
                return 0;
        }
        if (inet_pton(AF_INET6, ip, host->ip) == 1) {
                host->ipLen = 16;
                return 0;
        }
        return -1;
}

/* ---- stored message ---- */

static void rd_host(rmq_rd_t *rd, rmq_msg_host_t *host, bool v6) {
        const uint8_t *ip;
        host->ipLen = v6 ? 16 : 4;
        ip          = rmq__rd_bytes(rd, host->ipLen);
        if (ip)
                memcpy(host->ip, ip, host->ipLen);
        else
                memset(host->ip, 0, sizeof(host->ip));
        host->port = rmq__rd_i32(rd);
}

/* Reads an int32 length followed by that many bytes. */
static const uint8_t *rd_len_bytes32(rmq_rd_t *rd, size_t *lenp) {
        int32_t n = rmq__rd_i32(rd);
        if (n < 0) {
                rd->err = RMQ_ERR__BAD_MSG;
                n       = 0;
        }
        *lenp = (size_t)n;
        return rmq__rd_bytes(rd, (size_t)n);
}

/* Reads an int16 length followed by that many bytes. */
static const uint8_t *rd_len_bytes16(rmq_rd_t *rd, size_t *lenp) {
        int16_t n = rmq__rd_i16(rd);
        if (n < 0) {
                rd->err = RMQ_ERR__BAD_MSG;
                n       = 0;
        }
        *lenp = (size_t)n;
        return rmq__rd_bytes(rd, (size_t)n);
}

/* Decodes the fields after TOTALSIZE from \p rd, which is bounded to the
 * message. */
static void msg_decode_fields(rmq_rd_t *rd, rmq_msg_view_t *mv) {
        int32_t topicLen;
        mv->magicCode = rmq__rd_i32(rd);
        if (!rd->err && mv->magicCode != RMQ_MSG_MAGIC_V1 &&
            mv->magicCode != RMQ_MSG_MAGIC_V2)
                rd->err = RMQ_ERR__BAD_MSG;
        mv->bodyCRC         = rmq__rd_i32(rd);
        mv->queueId         = rmq__rd_i32(rd);
        mv->flag            = rmq__rd_i32(rd);
        mv->queueOffset     = rmq__rd_i64(rd);
        mv->commitLogOffset = rmq__rd_i64(rd);
        mv->sysFlag         = rmq__rd_i32(rd);
        mv->bornTimestamp   = rmq__rd_i64(rd);
        rd_host(rd, &mv->bornHost, mv->sysFlag & RMQ_SYSFLAG_BORNHOST_V6);
        mv->storeTimestamp = rmq__rd_i64(rd);
        rd_host(rd, &mv->storeHost, mv->sysFlag & RMQ_SYSFLAG_STOREHOST_V6);
        mv->reconsumeTimes            = rmq__rd_i32(rd);
        mv->preparedTransactionOffset = rmq__rd_i64(rd);
        mv->body = rd_len_bytes32(rd, &mv->bodyLen);
        /* V1: signed byte (Java fails on a negative one); V2: int16 */
        if (mv->magicCode == RMQ_MSG_MAGIC_V2)
                topicLen = rmq__rd_i16(rd);
        else
                topicLen = (int8_t)rmq__rd_u8(rd);
        if (topicLen < 0)
                rd->err = RMQ_ERR__BAD_MSG;
        mv->topicLen = topicLen < 0 ? 0 : (size_t)topicLen;
        mv->topic    = (const char *)rmq__rd_bytes(rd, mv->topicLen);
        mv->properties =
            (const char *)rd_len_bytes16(rd, &mv->propertiesLen);
}

/* Minimum TOTALSIZE: every fixed field with IPv4 hosts and empty
 * variable parts. */
#define MSG_MIN_SIZE (4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + \
                      4 + 1 + 2)

/* mirrors MessageDecoder.decode */
rmq_err_t rmq__msg_decode_next(rmq_rd_t *rd, rmq_msg_view_t *mv) {
        rmq_rd_t sub;
        const uint8_t *start = rd->p;
        int32_t size;
        memset(mv, 0, sizeof(*mv));
        size = rmq__rd_i32(rd);
        if (rd->err)
                return rd->err;
        if (size < MSG_MIN_SIZE || (size_t)size - 4 > rmq__rd_remains(rd)) {
                rd->err = RMQ_ERR__BAD_MSG;
                return rd->err;
        }
        mv->storeSize = size;
        rmq__rd_init(&sub, start + 4, (size_t)size - 4);
        msg_decode_fields(&sub, mv);
        if (!sub.err && sub.p != sub.end)
                sub.err = RMQ_ERR__BAD_MSG; /* TOTALSIZE disagrees */
        if (sub.err) {
                rd->err = sub.err;
                return rd->err;
        }
        rd->p = sub.end;
        return RMQ_OK;
}

static int64_t host_size(const rmq_msg_host_t *host) {
        return host->ipLen == 4 || host->ipLen == 16 ? host->ipLen + 4 : -1;
}

static bool use_magic_v2(const rmq_msg_view_t *mv) {
        return mv->magicCode == RMQ_MSG_MAGIC_V2 || mv->topicLen > 127;
}

int64_t rmq__msg_stored_size(const rmq_msg_view_t *mv) {
        int64_t born = host_size(&mv->bornHost);
        int64_t store = host_size(&mv->storeHost);
        int64_t size;
        if (born < 0 || store < 0 || mv->bodyLen > INT32_MAX ||
            mv->topicLen > INT16_MAX || mv->propertiesLen > INT16_MAX)
                return -1;
        size = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + born + 8 + store + 4 + 8 +
               4 + (int64_t)mv->bodyLen + (use_magic_v2(mv) ? 2 : 1) +
               (int64_t)mv->topicLen + 2 + (int64_t)mv->propertiesLen;
        return size > INT32_MAX ? -1 : size;
}

static void put_host(rmq_buf_t *out, const rmq_msg_host_t *host) {
        rmq__buf_put(out, host->ip, host->ipLen);
        rmq__buf_put_i32(out, host->port);
}

/* mirrors MessageDecoder.encode (and the broker's commit log layout) */
rmq_err_t rmq__msg_encode_stored(rmq_buf_t *out, const rmq_msg_view_t *mv) {
        int64_t size = rmq__msg_stored_size(mv);
        bool v2      = use_magic_v2(mv);
        int32_t sysFlag = mv->sysFlag &
                          ~(RMQ_SYSFLAG_BORNHOST_V6 | RMQ_SYSFLAG_STOREHOST_V6);
        if (size < 0)
                return RMQ_ERR__MSG_TOO_LARGE;
        if (mv->bornHost.ipLen == 16)
                sysFlag |= RMQ_SYSFLAG_BORNHOST_V6;
        if (mv->storeHost.ipLen == 16)
                sysFlag |= RMQ_SYSFLAG_STOREHOST_V6;
        rmq__buf_reserve(out, (size_t)size);
        rmq__buf_put_i32(out, (int32_t)size);
        rmq__buf_put_i32(out, v2 ? RMQ_MSG_MAGIC_V2 : RMQ_MSG_MAGIC_V1);
        rmq__buf_put_i32(out, mv->bodyCRC);
        rmq__buf_put_i32(out, mv->queueId);
        rmq__buf_put_i32(out, mv->flag);
        rmq__buf_put_i64(out, mv->queueOffset);
        rmq__buf_put_i64(out, mv->commitLogOffset);
        rmq__buf_put_i32(out, sysFlag);
        rmq__buf_put_i64(out, mv->bornTimestamp);
        put_host(out, &mv->bornHost);
        rmq__buf_put_i64(out, mv->storeTimestamp);
        put_host(out, &mv->storeHost);
        rmq__buf_put_i32(out, mv->reconsumeTimes);
        rmq__buf_put_i64(out, mv->preparedTransactionOffset);
        rmq__buf_put_i32(out, (int32_t)mv->bodyLen);
        rmq__buf_put(out, mv->body, mv->bodyLen);
        if (v2)
                rmq__buf_put_i16(out, (int16_t)mv->topicLen);
        else
                rmq__buf_put_u8(out, (uint8_t)mv->topicLen);
        rmq__buf_put(out, mv->topic, mv->topicLen);
        rmq__buf_put_i16(out, (int16_t)mv->propertiesLen);
        rmq__buf_put(out, mv->properties, mv->propertiesLen);
        return RMQ_OK;
}

/* mirrors CompressorFactory.getCompressor(getCompressionType(sysFlag))
 * .decompress */
rmq_err_t rmq__msg_body_decompress(int32_t sysFlag, const void *body,
                                   size_t len, size_t max_out,
                                   uint8_t **out, size_t *outlen) {
        switch ((sysFlag & RMQ_SYSFLAG_COMPRESSION_MASK) >> 8) {
        case RMQ_COMPRESSION_LEGACY:
        case RMQ_COMPRESSION_ZLIB:
                return rmq__zlib_inflate(body, len, max_out, out, outlen);
        case RMQ_COMPRESSION_LZ4:
        case RMQ_COMPRESSION_ZSTD:
                return RMQ_ERR__NOT_SUPPORTED;
        default:
                return RMQ_ERR__BAD_MSG;
        }
}

/* ---- offsetMsgId ---- */

/* mirrors MessageDecoder.createMessageId(SocketAddress, long) */
size_t rmq__offset_msg_id_create(const rmq_msg_host_t *storeHost,
                                 int64_t commitLogOffset, char *out) {
        uint8_t raw[28];
        size_t n = storeHost->ipLen == 16 ? 16 : 4;
        memcpy(raw, storeHost->ip, n);
        rmq__be32_write(raw + n, (uint32_t)storeHost->port);
        rmq__be64_write(raw + n + 4, (uint64_t)commitLogOffset);
        rmq__hex_upper(raw, n + 12, out);
        return 2 * (n + 12);
}

/* mirrors MessageDecoder.decodeMessageId */
rmq_err_t rmq__offset_msg_id_decode(const char *id, size_t len,
                                    rmq_msg_host_t *host, int64_t *offset) {
        uint8_t raw[28];
        size_t n;
        if (!id || (len != 32 && len != 56) || rmq__unhex(id, len, raw))
                return RMQ_ERR__INVALID_ARG;
        n = len == 32 ? 4 : 16;
        memset(host, 0, sizeof(*host));
        memcpy(host->ip, raw, n);
        host->ipLen = (uint8_t)n;
        host->port  = (int32_t)rmq__be32_read(raw + n);
        *offset     = (int64_t)rmq__be64_read(raw + n + 4);
        return RMQ_OK;
}

rmq_err_t rmq__offset_msg_id_decode_addr(const char *id, size_t len,
                                         char *addr, size_t addr_size,
                                         int64_t *offset) {
        rmq_msg_host_t host;
        rmq_err_t err = rmq__offset_msg_id_decode(id, len, &host, offset);
        if (!err)
                rmq__msg_host_format(&host, addr, addr_size);
        return err;
}

/* ---- batch body ---- */

#define BATCH_FIXED_SIZE (4 + 4 + 4 + 4 + 4 + 2)

/* mirrors MessageDecoder.encodeMessage */
rmq_err_t rmq__batch_encode_one(rmq_buf_t *out, int32_t flag,
                                const void *body, size_t bodyLen,
                                const char *props, size_t propsLen) {
        uint64_t size = (uint64_t)BATCH_FIXED_SIZE + bodyLen + propsLen;
        if (propsLen > INT16_MAX || size > INT32_MAX)
                return RMQ_ERR__MSG_TOO_LARGE;
        rmq__buf_reserve(out, (size_t)size);
        rmq__buf_put_i32(out, (int32_t)size);
        rmq__buf_put_i32(out, 0); /* MAGICCODE */
        rmq__buf_put_i32(out, 0); /* BODYCRC */
        rmq__buf_put_i32(out, flag);
        rmq__buf_put_i32(out, (int32_t)bodyLen);
        rmq__buf_put(out, body, bodyLen);
        rmq__buf_put_i16(out, (int16_t)propsLen);
        rmq__buf_put(out, props, propsLen);
        return RMQ_OK;
}

/* mirrors MessageDecoder.decodeMessage */
rmq_err_t rmq__batch_decode_next(rmq_rd_t *rd, rmq_batch_elem_t *el) {
        const uint8_t *start = rd->p;
        memset(el, 0, sizeof(*el));
        el->storeSize = rmq__rd_i32(rd);
        el->magicCode = rmq__rd_i32(rd);
        el->bodyCRC   = rmq__rd_i32(rd);
        el->flag      = rmq__rd_i32(rd);
        el->body      = rd_len_bytes32(rd, &el->bodyLen);
        el->properties =
            (const char *)rd_len_bytes16(rd, &el->propertiesLen);
        if (!rd->err && (size_t)(rd->p - start) != (size_t)el->storeSize)
                rd->err = RMQ_ERR__BAD_MSG;
        return rd->err;
}

/* ---- zlib ---- */

struct rmq_deflater_s {
        z_stream zs;
};

/* mirrors new java.util.zip.Deflater(level) */
rmq_deflater_t *rmq__deflater_new(int level) {
        rmq_deflater_t *dfl;
        if (level < -1 || level > 9)
                return NULL;
        dfl = rmq__calloc(1, sizeof(*dfl));
        /* Deflater: zlib wrapper, 15-bit window, DEF_MEM_LEVEL 8 */
        if (deflateInit2(&dfl->zs, level, Z_DEFLATED, 15, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
                rmq__free(dfl);
                return NULL;
        }
        return dfl;
}

void rmq__deflater_destroy(rmq_deflater_t *dfl) {
        if (!dfl)
                return;
        deflateEnd(&dfl->zs);
        rmq__free(dfl);
}

/* mirrors ZlibCompressor.compress (one stream per call, reset, not
 * re-created) */
rmq_err_t rmq__deflater_compress(rmq_deflater_t *dfl, const void *in,
                                 size_t len, rmq_buf_t *out) {
        z_stream *zs = &dfl->zs;
        size_t start = out->len;
        int rc;
        if (deflateReset(zs) != Z_OK)
                return RMQ_ERR__FAIL;
        zs->next_in  = (Bytef *)(uintptr_t)in;
        zs->avail_in = 0;
        do {
                size_t room;
                if (zs->avail_in == 0 && len > 0) {
                        zs->avail_in = len > UINT_MAX ? UINT_MAX : (uInt)len;
                        len -= zs->avail_in;
                }
                rmq__buf_reserve(out, deflateBound(zs, zs->avail_in) + 16);
                room          = out->cap - out->len;
                zs->next_out  = out->data + out->len;
                zs->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
                rc = deflate(zs, len > 0 ? Z_NO_FLUSH : Z_FINISH);
                out->len += (size_t)(zs->next_out - (out->data + out->len));
        } while (rc == Z_OK || rc == Z_BUF_ERROR);
        if (rc != Z_STREAM_END) {
                out->len = start;
                return RMQ_ERR__FAIL;
        }
        return RMQ_OK;
}

/* mirrors ZlibCompressor.decompress, bounded */
rmq_err_t rmq__zlib_inflate(const void *in, size_t len, size_t max_out,
                            uint8_t **out, size_t *outlen) {
        z_stream zs;
        rmq_buf_t buf = RMQ_BUF_INIT;
        rmq_err_t err = RMQ_OK;
        size_t limit;
        memset(&zs, 0, sizeof(zs));
        if (inflateInit(&zs) != Z_OK)
                return RMQ_ERR__FAIL;
        /* One byte of room past max_out tells a bomb from an output of
         * exactly max_out bytes. */
        limit      = RMQ_MIN(max_out, SIZE_MAX / 2) + 1;
        zs.next_in = (Bytef *)(uintptr_t)in;
        rmq__buf_init(&buf, RMQ_MIN(limit, RMQ_MAX(RMQ_MIN(len, SIZE_MAX / 8) *
                                                       4,
                                                   256)));
        for (;;) {
                size_t room;
                int rc;
                if (zs.avail_in == 0 && len > 0) {
                        zs.avail_in = len > UINT_MAX ? UINT_MAX : (uInt)len;
                        len -= zs.avail_in;
                }
                if (buf.len == buf.cap)
                        rmq__buf_reserve(&buf, RMQ_MIN(buf.cap,
                                                       limit - buf.len));
                room         = RMQ_MIN(buf.cap, limit) - buf.len;
                zs.next_out  = buf.data + buf.len;
                zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
                rc           = inflate(&zs, Z_NO_FLUSH);
                buf.len += (size_t)(zs.next_out - (buf.data + buf.len));
                if (buf.len > max_out) {
                        err = RMQ_ERR__MSG_TOO_LARGE;
                        break;
                }
                if (rc == Z_STREAM_END)
                        break;
                /* Z_BUF_ERROR with output room left: the input ran out
                 * before the end of the stream (input is refilled above,
                 * so none is left). */
                if ((rc != Z_OK && rc != Z_BUF_ERROR) ||
                    (rc == Z_BUF_ERROR && zs.avail_out > 0)) {
                        err = RMQ_ERR__BAD_MSG;
                        break;
                }
        }
        inflateEnd(&zs);
        if (err) {
                rmq__buf_free(&buf);
                return err;
        }
        *out = rmq__buf_steal(&buf, outlen);
        return RMQ_OK;
}
