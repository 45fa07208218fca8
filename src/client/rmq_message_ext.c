/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Received messages: a pull response decoded once into one refcounted
 * batch (STYLE R6, R16.7). See rmq_message_ext_int.h for the layout.
 */
#include <inttypes.h>
#include <stdio.h>

#include <uv.h>

#include "client/rmq_message_ext_int.h"
#include "common/rmq_buf.h"
#include "common/rmq_str.h"
#include "protocol/rmq_names.h"

/* Room for one "ip:port" host string: 39 characters of IPv6 groups, ':'
 * and an int32 port of up to 11 characters, and the NUL. */
#define HOST_STR_MAX 64

/* Decimal int64 and its NUL. */
#define I64_STR_MAX 21

struct rmq_msg_batch_s {
        _Atomic int64_t refcnt;
        void *storage; /* rmq__free'd when the batch dies; may be NULL */
        size_t count;
        size_t ownedBodies; /* messages with an inflated body */
        rmq_message_ext_t *msgs;
        rmq_message_ext_t **ptrs;
        const char *brokerName; /* arena, or NULL */
        bool hasOffsets;
        int64_t maxOffsetNum;
        _Atomic int64_t *memAcct; /* opts->memAcct */
        int64_t memBytes;         /* what it added to *memAcct */
        char minOffset[I64_STR_MAX];
        char maxOffset[I64_STR_MAX];
};

/* ---- decoding ---- */

/* Keep/drop decisions of the first pass, one bit per wire message. */
typedef struct keep_bits_s {
        uint64_t inline_bits[16]; /* 1024 messages: Java's pullBatchSize cap */
        uint64_t *bits;
        size_t cap; /* in bits */
} keep_bits_t;

static void keep_bits_init(keep_bits_t *kb) {
        memset(kb->inline_bits, 0, sizeof(kb->inline_bits));
        kb->bits = kb->inline_bits;
        kb->cap  = sizeof(kb->inline_bits) * 8;
}

static void keep_bits_set(keep_bits_t *kb, size_t i) {
        if (i >= kb->cap) {
                size_t ncap = kb->cap * 2;
                uint64_t *nb;
                while (ncap <= i)
                        ncap *= 2;
                nb = rmq__calloc(ncap / 64, sizeof(*nb));
                memcpy(nb, kb->bits, kb->cap / 8);
                if (kb->bits != kb->inline_bits)
                        rmq__free(kb->bits);
                kb->bits = nb;
                kb->cap  = ncap;
        }
        kb->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static bool keep_bits_get(const keep_bits_t *kb, size_t i) {
        return i < kb->cap && (kb->bits[i / 64] >> (i % 64)) & 1;
}

static void keep_bits_free(keep_bits_t *kb) {
        if (kb->bits != kb->inline_bits)
                rmq__free(kb->bits);
}

/* True if the wire topic is %RETRY%<group>. */
static bool is_group_retry_topic(const rmq_msg_view_t *mv, const char *group) {
        size_t plen = sizeof(RMQ_RETRY_GROUP_TOPIC_PREFIX) - 1;
        size_t glen = strlen(group);
        return mv->topicLen == plen + glen &&
               !memcmp(mv->topic, RMQ_RETRY_GROUP_TOPIC_PREFIX, plen) &&
               !memcmp(mv->topic + plen, group, glen);
}

/* Arena bytes message \p mv may need (an upper bound). */
static size_t arena_need(const rmq_msg_view_t *mv,
                         const rmq_msg_decode_opts_t *opts) {
        size_t topic = mv->topicLen;
        const char *v;
        size_t vlen;
        if (opts->retryGroup && is_group_retry_topic(mv, opts->retryGroup) &&
            !rmq__props_get(mv->properties, mv->propertiesLen,
                            RMQ_PROP_RETRY_TOPIC, &v, &vlen))
                topic = vlen;
        /* Properties: each kept entry "k\001v" of n bytes becomes n + 1
         * bytes, and n entries have n - 1 separators between them. */
        return topic + 1 + mv->propertiesLen + 1 + 2 * HOST_STR_MAX;
}

/* mirrors the TAGS part of PullAPIWrapper.processPullResult */
static bool tag_filter_keeps(const rmq_msg_view_t *mv,
                             const rmq_msg_decode_opts_t *opts) {
        const char *v;
        size_t vlen;
        if (!opts->tagFilter)
                return true;
        if (rmq__props_get(mv->properties, mv->propertiesLen, RMQ_PROP_TAGS, &v,
                           &vlen))
                return false; /* msg.getTags() == null */
        return opts->tagFilter(v, vlen, opts->tagFilterOpaque);
}

/* Arena writer; the bound was computed in the first pass. */
typedef struct arena_s {
        char *p;
        char *end;
} arena_t;

static char *arena_put(arena_t *a, const char *s, size_t len) {
        char *dst = a->p;
        /* The first pass reserved enough: running out is a bug. */
        if ((size_t)(a->end - a->p) < len + 1)
                abort();
        memcpy(dst, s, len);
        dst[len] = '\0';
        a->p += len + 1;
        return dst;
}

/* A slot for a host string, written by hosts_ready(). */
static char *arena_host_slot(arena_t *a) {
        char *dst = a->p;
        if ((size_t)(a->end - a->p) < HOST_STR_MAX)
                abort();
        dst[0] = '\0';
        a->p += HOST_STR_MAX;
        return dst;
}

static void host_format(const rmq_msg_host_t *host, char *dst) {
        int n = rmq__msg_host_format(host, dst, HOST_STR_MAX);
        if (n < 0 || n >= HOST_STR_MAX)
                abort();
}

/* Writes the host strings of \p mx once; any thread. */
static void hosts_ready(const rmq_message_ext_t *cmx) {
        rmq_message_ext_t *mx = (rmq_message_ext_t *)(uintptr_t)cmx;
        int st = atomic_load_explicit(&mx->hostsState, memory_order_acquire);
        int expect = 0;
        if (st == 2)
                return;
        if (atomic_compare_exchange_strong_explicit(&mx->hostsState, &expect,
                                                    1, memory_order_acquire,
                                                    memory_order_acquire)) {
                host_format(&mx->bornHostAddr, mx->bornHost);
                host_format(&mx->storeHostAddr, mx->storeHost);
                atomic_store_explicit(&mx->hostsState, 2,
                                      memory_order_release);
                return;
        }
        while (atomic_load_explicit(&mx->hostsState, memory_order_acquire) !=
               2)
                uv_sleep(0);
}

static bool key_is(const char *k, size_t klen, const char *name,
                   size_t name_len) {
        return klen == name_len && !memcmp(k, name, klen);
}

#define KEY_IS(k, klen, NAME) key_is(k, klen, NAME, sizeof(NAME) - 1)

/* Rewrites the wire properties as "k\0v\0..." into the arena (Java
 * string2messageProperties rules through rmq__props_next), remembering the
 * values the getters need (the last of a repeated name wins), taking
 * CONSUME_START_TIME out into its field and leaving out MIN_OFFSET and
 * MAX_OFFSET when the batch supplies them. Returns the RETRY_TOPIC value
 * or NULL. */
static const char *props_rewrite(rmq_message_ext_t *mx,
                                 const rmq_msg_view_t *mv, bool hasOffsets,
                                 arena_t *a) {
        rmq_props_iter_t it;
        const char *k, *v, *tranMsg = NULL, *retryTopic = NULL;
        size_t klen, vlen;
        uint32_t cnt = 0;

        mx->props = a->p;
        rmq__props_iter_init(&it, mv->properties, mv->propertiesLen);
        while (rmq__props_next(&it, &k, &klen, &v, &vlen)) {
                const char *nul = memchr(v, '\0', vlen);
                const char *val;
                if (memchr(k, '\0', klen))
                        continue; /* unreachable by a C string name */
                if (nul)
                        vlen = (size_t)(nul - v);
                if (KEY_IS(k, klen, RMQ_PROP_CONSUME_START_TIME)) {
                        int64_t ms = 0;
                        if (rmq__parse_i64n(v, vlen, &ms))
                                ms = 0;
                        atomic_store_explicit(&mx->consumeStartTime, ms,
                                              memory_order_relaxed);
                        continue;
                }
                if (hasOffsets && (KEY_IS(k, klen, RMQ_PROP_MIN_OFFSET) ||
                                   KEY_IS(k, klen, RMQ_PROP_MAX_OFFSET)))
                        continue; /* processPullResult overwrites them */
                (void)arena_put(a, k, klen);
                val = arena_put(a, v, vlen);
                cnt++;
                switch (k[0]) {
                case 'T':
                        if (KEY_IS(k, klen, RMQ_PROP_TAGS))
                                mx->tags = val;
                        else if (KEY_IS(k, klen, RMQ_PROP_TRAN_MSG))
                                tranMsg = val;
                        break;
                case 'K':
                        if (KEY_IS(k, klen, RMQ_PROP_KEYS))
                                mx->keys = val;
                        break;
                case 'U':
                        if (KEY_IS(k, klen, RMQ_PROP_UNIQ_KEY))
                                mx->uniqKey = val;
                        break;
                case 'R':
                        if (KEY_IS(k, klen, RMQ_PROP_RETRY_TOPIC))
                                retryTopic = val;
                        break;
                default:
                        break;
                }
        }
        mx->propsLen = (uint32_t)(a->p - mx->props);
        mx->propsCnt = (uint16_t)cnt;
        /* processPullResult: TRAN_MSG=true -> transactionId = UNIQ_KEY */
        if (tranMsg && rmq__parse_bool(tranMsg))
                mx->transactionId = mx->uniqKey;
        return retryTopic;
}

/* Fills \p mx from \p mv (second pass). Returns RMQ_OK or the error of
 * inflating a compressed body (reason in errstr). */
static rmq_err_t msg_fill(rmq_msg_batch_t *batch, rmq_message_ext_t *mx,
                          const rmq_msg_view_t *mv,
                          const rmq_msg_decode_opts_t *opts, arena_t *a) {
        const char *retryTopic, *topic = mv->topic;
        size_t topicLen = mv->topicLen;
        const char *nul;
        char *t;

        memset(mx, 0, sizeof(*mx));
        mx->batch                     = batch;
        mx->storeSize                 = mv->storeSize;
        mx->bodyCRC                   = mv->bodyCRC;
        mx->queueId                   = mv->queueId;
        mx->flag                      = mv->flag;
        mx->sysFlag                   = mv->sysFlag;
        atomic_init(&mx->reconsumeTimes, mv->reconsumeTimes);
        mx->queueOffset               = mv->queueOffset;
        mx->commitLogOffset           = mv->commitLogOffset;
        mx->bornTimestamp             = mv->bornTimestamp;
        mx->storeTimestamp            = mv->storeTimestamp;
        mx->preparedTransactionOffset = mv->preparedTransactionOffset;
        mx->bornHostAddr              = mv->bornHost;
        mx->storeHostAddr             = mv->storeHost;
        atomic_init(&mx->consumeStartTime, 0);

        retryTopic = props_rewrite(mx, mv, batch->hasOffsets, a);

        /* resetRetryAndNamespace */
        if (opts->retryGroup && retryTopic &&
            is_group_retry_topic(mv, opts->retryGroup)) {
                topic    = retryTopic;
                topicLen = strlen(retryTopic);
        }
        nul = memchr(topic, '\0', topicLen);
        if (nul)
                topicLen = (size_t)(nul - topic);
        t = arena_put(a, topic, topicLen);
        if (opts->ns && *opts->ns)
                rmq__ns_unwrap_inplace(t, opts->ns);
        mx->topic = t;

        mx->bornHost  = arena_host_slot(a);
        mx->storeHost = arena_host_slot(a);
        atomic_init(&mx->hostsState, 0);
        rmq__offset_msg_id_create(&mv->storeHost, mv->commitLogOffset,
                                  mx->offsetMsgId);

        /* MessageDecoder.decode: only a body of bodyLen > 0 is read (and
         * inflated when the sysFlag says compressed) */
        if (mv->bodyLen > 0) {
                if (mv->sysFlag & RMQ_SYSFLAG_COMPRESSED) {
                        uint8_t *out  = NULL;
                        size_t outlen = 0;
                        rmq_err_t err = rmq__msg_body_decompress(
                            mv->sysFlag, mv->body, mv->bodyLen,
                            opts->maxBodySize ? opts->maxBodySize
                                              : RMQ_MSG_INFLATE_MAX_DEFAULT,
                            &out, &outlen);
                        if (err)
                                return err;
                        if (outlen == 0) {
                                rmq__free(out);
                                out = NULL;
                        }
                        mx->body      = out;
                        mx->bodyLen   = outlen;
                        mx->bodyOwned = out != NULL;
                        batch->ownedBodies += mx->bodyOwned;
                } else {
                        mx->body    = mv->body;
                        mx->bodyLen = mv->bodyLen;
                }
        }
        return RMQ_OK;
}

static void batch_free(rmq_msg_batch_t *batch) {
        size_t i;
        for (i = 0; batch->ownedBodies && i < batch->count; i++) {
                if (batch->msgs[i].bodyOwned) {
                        rmq__free((void *)(uintptr_t)batch->msgs[i].body);
                        batch->ownedBodies--;
                }
        }
        if (batch->memAcct)
                atomic_fetch_sub_explicit(batch->memAcct, batch->memBytes,
                                          memory_order_relaxed);
        rmq__free(batch->storage);
        rmq__free(batch);
}

static const char *inflate_reason(rmq_err_t err) {
        switch (err) {
        case RMQ_ERR__NOT_SUPPORTED:
                return "compression type not supported (LZ4/ZSTD)";
        case RMQ_ERR__MSG_TOO_LARGE:
                return "inflated body exceeds the maximum body size";
        default:
                return "corrupt compressed body";
        }
}

/* mirrors MessageDecoder.decodes + PullAPIWrapper.processPullResult */
rmq_err_t rmq__msg_batch_decode(void *storage, const uint8_t *body, size_t len,
                                const rmq_msg_decode_opts_t *opts,
                                rmq_msg_batch_t **batchp, char *errstr,
                                size_t errstr_size) {
        static const rmq_msg_decode_opts_t no_opts;
        rmq_msg_batch_t *batch;
        keep_bits_t kb;
        rmq_msg_view_t mv;
        rmq_rd_t rd;
        arena_t a;
        size_t total = 0, kept = 0, arena = 0, i, j, bnlen = 0, size;
        uint8_t *mem;
        rmq_err_t err = RMQ_OK;

        *batchp = NULL;
        if (!opts)
                opts = &no_opts;
        if (!body)
                len = 0;
        keep_bits_init(&kb);

        /* Pass 1: validate every message, apply the tag filter, size the
         * arena. */
        rmq__rd_init(&rd, body, len);
        while (rmq__rd_remains(&rd) > 0) {
                size_t pos = (size_t)(rd.p - (const uint8_t *)body);
                if (rmq__msg_decode_next(&rd, &mv)) {
                        rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                    "malformed stored message #%zu at byte "
                                    "%zu of %zu",
                                    total, pos, len);
                        keep_bits_free(&kb);
                        rmq__free(storage);
                        return RMQ_ERR__BAD_MSG;
                }
                if (tag_filter_keeps(&mv, opts)) {
                        keep_bits_set(&kb, total);
                        kept++;
                        arena += arena_need(&mv, opts);
                }
                total++;
        }
        if (opts->brokerName) {
                bnlen = strlen(opts->brokerName);
                arena += bnlen + 1;
        }

        size = sizeof(*batch) + kept * sizeof(rmq_message_ext_t) +
               kept * sizeof(rmq_message_ext_t *) + arena + (storage ? 0 : len);
        mem   = rmq__malloc(size);
        batch = (rmq_msg_batch_t *)(void *)mem;
        memset(batch, 0, sizeof(*batch));
        atomic_init(&batch->refcnt, 1);
        batch->storage = storage;
        batch->msgs    = (rmq_message_ext_t *)(void *)(mem + sizeof(*batch));
        batch->ptrs    = (rmq_message_ext_t **)(void *)(batch->msgs + kept);
        a.p            = (char *)(batch->ptrs + kept);
        a.end          = a.p + arena;
        if (!storage && len) {
                /* Nobody owns the bytes: keep a copy behind the arena. */
                uint8_t *copy = (uint8_t *)a.end;
                memcpy(copy, body, len);
                body = copy;
        }
        if (opts->brokerName)
                batch->brokerName = arena_put(&a, opts->brokerName, bnlen);
        if (opts->hasOffsets) {
                batch->hasOffsets   = true;
                batch->maxOffsetNum = opts->maxOffset;
                snprintf(batch->minOffset, sizeof(batch->minOffset), "%" PRId64,
                         opts->minOffset);
                snprintf(batch->maxOffset, sizeof(batch->maxOffset), "%" PRId64,
                         opts->maxOffset);
        }

        /* Pass 2: fill the kept messages (the bytes were validated). */
        rmq__rd_init(&rd, body, len);
        for (i = 0, j = 0; i < total; i++) {
                size_t pos = (size_t)(rd.p - body);
                if (rmq__msg_decode_next(&rd, &mv))
                        abort(); /* same bytes as pass 1 */
                if (!keep_bits_get(&kb, i))
                        continue;
                batch->ptrs[j] = &batch->msgs[j];
                batch->count   = j + 1;
                err = msg_fill(batch, &batch->msgs[j], &mv, opts, &a);
                if (err) {
                        rmq__seterr(errstr, errstr_size, err,
                                    "stored message #%zu at byte %zu of %zu: "
                                    "%s",
                                    i, pos, len, inflate_reason(err));
                        break;
                }
                j++;
        }
        keep_bits_free(&kb);
        if (err) {
                batch_free(batch);
                return err;
        }
        if (opts->memAcct) {
                int64_t bytes = (int64_t)size + (storage ? (int64_t)len : 0);
                for (i = 0; batch->ownedBodies && i < batch->count; i++)
                        if (batch->msgs[i].bodyOwned)
                                bytes += (int64_t)batch->msgs[i].bodyLen;
                batch->memAcct  = opts->memAcct;
                batch->memBytes = bytes;
                atomic_fetch_add_explicit(opts->memAcct, bytes,
                                          memory_order_relaxed);
        }
        *batchp = batch;
        return RMQ_OK;
}

size_t rmq__msg_batch_count(const rmq_msg_batch_t *batch) {
        return batch->count;
}

rmq_message_ext_t *rmq__msg_batch_at(const rmq_msg_batch_t *batch, size_t i) {
        return i < batch->count ? batch->ptrs[i] : NULL;
}

rmq_message_ext_t *const *rmq__msg_batch_msgs(const rmq_msg_batch_t *batch) {
        return batch->ptrs;
}

void rmq__msg_batch_retain_n(rmq_msg_batch_t *batch, size_t n) {
        atomic_fetch_add_explicit(&batch->refcnt, (int64_t)n,
                                  memory_order_relaxed);
}

void rmq__msg_batch_release(rmq_msg_batch_t *batch) {
        rmq__msg_batch_release_n(batch, 1);
}

void rmq__msg_batch_release_n(rmq_msg_batch_t *batch, size_t n) {
        if (!batch || !n)
                return;
        if (atomic_fetch_sub_explicit(&batch->refcnt, (int64_t)n,
                                      memory_order_acq_rel) == (int64_t)n)
                batch_free(batch);
}

int64_t rmq__msg_batch_refcnt(const rmq_msg_batch_t *batch) {
        return atomic_load_explicit(
            &((rmq_msg_batch_t *)(uintptr_t)batch)->refcnt,
            memory_order_relaxed);
}

bool rmq__mx_max_offset(const rmq_message_ext_t *mx, int64_t *out) {
        const char *v;
        if (mx->batch->hasOffsets) {
                *out = mx->batch->maxOffsetNum;
                return true;
        }
        v = rmq_message_ext_property(mx, RMQ_PROP_MAX_OFFSET);
        return v && !rmq__parse_i64(v, out);
}

/* ---- public getters ---- */

const char *rmq_message_ext_topic(const rmq_message_ext_t *mx) {
        return mx->topic;
}

const char *rmq_message_ext_tags(const rmq_message_ext_t *mx) {
        return mx->tags;
}

const char *rmq_message_ext_keys(const rmq_message_ext_t *mx) {
        return mx->keys;
}

const void *rmq_message_ext_body(const rmq_message_ext_t *mx, size_t *lenp) {
        if (lenp)
                *lenp = mx->bodyLen;
        return mx->body;
}

/* mirrors MessageClientExt.getMsgId */
const char *rmq_message_ext_msg_id(const rmq_message_ext_t *mx) {
        return mx->uniqKey ? mx->uniqKey : mx->offsetMsgId;
}

/* mirrors MessageClientExt.getOffsetMsgId */
const char *rmq_message_ext_offset_msg_id(const rmq_message_ext_t *mx) {
        return mx->offsetMsgId;
}

int32_t rmq_message_ext_queue_id(const rmq_message_ext_t *mx) {
        return mx->queueId;
}

const char *rmq_message_ext_broker_name(const rmq_message_ext_t *mx) {
        return mx->batch->brokerName;
}

int64_t rmq_message_ext_queue_offset(const rmq_message_ext_t *mx) {
        return mx->queueOffset;
}

int64_t rmq_message_ext_commit_log_offset(const rmq_message_ext_t *mx) {
        return mx->commitLogOffset;
}

int64_t rmq_message_ext_born_timestamp(const rmq_message_ext_t *mx) {
        return mx->bornTimestamp;
}

int64_t rmq_message_ext_store_timestamp(const rmq_message_ext_t *mx) {
        return mx->storeTimestamp;
}

const char *rmq_message_ext_born_host(const rmq_message_ext_t *mx) {
        hosts_ready(mx);
        return mx->bornHost;
}

const char *rmq_message_ext_store_host(const rmq_message_ext_t *mx) {
        hosts_ready(mx);
        return mx->storeHost;
}

int32_t rmq_message_ext_reconsume_times(const rmq_message_ext_t *mx) {
        return rmq__mx_reconsume_times(mx);
}

int32_t rmq_message_ext_sys_flag(const rmq_message_ext_t *mx) {
        return mx->sysFlag;
}

int32_t rmq_message_ext_body_crc(const rmq_message_ext_t *mx) {
        return mx->bodyCRC;
}

int32_t rmq_message_ext_flag(const rmq_message_ext_t *mx) {
        return mx->flag;
}

int32_t rmq_message_ext_store_size(const rmq_message_ext_t *mx) {
        return mx->storeSize;
}

int64_t
rmq_message_ext_prepared_transaction_offset(const rmq_message_ext_t *mx) {
        return mx->preparedTransactionOffset;
}

const char *rmq_message_ext_transaction_id(const rmq_message_ext_t *mx) {
        return mx->transactionId;
}

/* Property walk: entry i starts at *p; returns the value and advances. */
static const char *prop_next(const char **p, const char **key) {
        const char *k = *p;
        const char *v = k + strlen(k) + 1;
        *key          = k;
        *p            = v + strlen(v) + 1;
        return v;
}

/* mirrors Message.getProperty (HashMap.get: the last of a repeated name) */
const char *rmq_message_ext_property(const rmq_message_ext_t *mx,
                                     const char *name) {
        const char *p, *k, *v, *found = NULL;
        uint32_t i;
        if (!name)
                return NULL;
        if (mx->batch->hasOffsets) {
                if (!strcmp(name, RMQ_PROP_MIN_OFFSET))
                        return mx->batch->minOffset;
                if (!strcmp(name, RMQ_PROP_MAX_OFFSET))
                        return mx->batch->maxOffset;
        }
        p = mx->props;
        for (i = 0; i < mx->propsCnt; i++) {
                v = prop_next(&p, &k);
                if (!strcmp(k, name))
                        found = v;
        }
        return found;
}

/* True if the entry named \p k, which ends at \p rest, has a later
 * namesake among the \p left entries after it. */
static bool prop_shadowed(const char *k, const char *rest, uint32_t left) {
        const char *k2;
        while (left-- > 0) {
                prop_next(&rest, &k2);
                if (!strcmp(k, k2))
                        return true;
        }
        return false;
}

/* Visits the visible entries (each name once, with its last value). */
static size_t prop_visible(const rmq_message_ext_t *mx, size_t idx,
                           const char **namep, const char **valuep) {
        const char *p = mx->props, *k, *v;
        size_t seen   = 0;
        uint32_t i;
        for (i = 0; i < mx->propsCnt; i++) {
                v = prop_next(&p, &k);
                if (prop_shadowed(k, p, mx->propsCnt - i - 1))
                        continue;
                if (seen++ == idx) {
                        *namep  = k;
                        *valuep = v;
                        return seen;
                }
        }
        if (mx->batch->hasOffsets) {
                if (seen++ == idx) {
                        *namep  = RMQ_PROP_MIN_OFFSET;
                        *valuep = mx->batch->minOffset;
                        return seen;
                }
                if (seen++ == idx) {
                        *namep  = RMQ_PROP_MAX_OFFSET;
                        *valuep = mx->batch->maxOffset;
                        return seen;
                }
        }
        return seen;
}

size_t rmq_message_ext_property_count(const rmq_message_ext_t *mx) {
        const char *n, *v;
        return prop_visible(mx, SIZE_MAX, &n, &v);
}

int rmq_message_ext_property_at(const rmq_message_ext_t *mx, size_t idx,
                                const char **namep, const char **valuep) {
        const char *n = NULL, *v = NULL;
        if (idx == SIZE_MAX)
                return 0;
        prop_visible(mx, idx, &n, &v);
        if (!n)
                return 0;
        if (namep)
                *namep = n;
        if (valuep)
                *valuep = v;
        return 1;
}

rmq_message_ext_t *rmq_message_ext_retain(const rmq_message_ext_t *mx) {
        rmq__msg_batch_retain_n(mx->batch, 1);
        return (rmq_message_ext_t *)(uintptr_t)mx;
}

void rmq_message_ext_release(rmq_message_ext_t *mx) {
        if (mx)
                rmq__msg_batch_release(mx->batch);
}
