/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Received messages, internal side: decoding one PULL_MESSAGE (or
 * CHECK_TRANSACTION_STATE) body into a batch.
 *
 * A batch is one allocation: a header (atomic reference count, the
 * response storage, the MIN_OFFSET/MAX_OFFSET strings, the broker name),
 * the message structs, an array of pointers to them, and one arena with
 * each message's NUL-terminated strings: its topic, its host addresses and
 * its properties rewritten as "k\0v\0k\0v\0" (no per-message map or
 * allocation: lookups walk that string). Bodies stay views into the
 * response storage, except compressed bodies, which are inflated once, at
 * decode, into allocations the batch owns.
 *
 * References: a message's retain/release count on its batch. The decoder
 * returns the batch with one reference, the caller's; the process queue
 * holds one reference per message it stores (rmq__msg_batch_retain_n() takes
 * them in one step), and the caller then drops its own with
 * rmq__msg_batch_release().
 *
 * @see Java: MessageDecoder#decodes, MessageClientExt,
 *      PullAPIWrapper#processPullResult,
 *      DefaultMQPushConsumerImpl#resetRetryAndNamespace
 */
#ifndef RMQ_MESSAGE_EXT_INT_H
#define RMQ_MESSAGE_EXT_INT_H

#include <stdatomic.h>

#include "common/rmq_common.h"
#include "protocol/rmq_message_codec.h"
#include "rocketmq/rmq_message_ext.h"

typedef struct rmq_msg_batch_s rmq_msg_batch_t;

/* One received message. Immutable after decode except consumeStartTime.
 * Every pointer points into its batch (or, for an inflated body, into an
 * allocation the batch owns). */
struct rmq_message_ext_s {
        rmq_msg_batch_t *batch;
        const char *topic; /* as the user sees it (retry topic restored) */
        const char *props; /* arena: "k\0v\0" * propsCnt */
        const char *tags;  /* arena values or NULL */
        const char *keys;
        const char *uniqKey;
        const char *transactionId;
        /* arena slots for "ip:port", written on first use (hostsState:
         * 0 not yet, 1 being written, 2 ready): formatting them costs more
         * than the rest of a message's decode, and few readers want them */
        char *bornHost;
        char *storeHost;
        atomic_int hostsState;
        const uint8_t *body;   /* NULL when bodyLen is 0 */
        size_t bodyLen;
        uint32_t propsLen; /* bytes of props */
        uint16_t propsCnt; /* entries in props (repeated names included) */
        bool bodyOwned;    /* body was inflated: the batch frees it */
        int32_t storeSize;
        int32_t bodyCRC;
        int32_t queueId;
        int32_t flag;
        int32_t sysFlag;
        _Atomic int32_t reconsumeTimes; /* the retry path increments it */
        int64_t queueOffset;
        int64_t commitLogOffset;
        int64_t bornTimestamp;
        int64_t storeTimestamp;
        int64_t preparedTransactionOffset;
        /* Java's CONSUME_START_TIME property, wall-clock ms; 0: not set.
         * Initialised from the wire property (as Java keeps what came on
         * the wire until a consume attempt overwrites it). */
        _Atomic int64_t consumeStartTime;
        rmq_msg_host_t bornHostAddr;
        rmq_msg_host_t storeHostAddr;
        char offsetMsgId[RMQ_OFFSET_MSG_ID_MAX + 1];
};

/* Decides whether a message with TAGS \p tags (\p len bytes, not
 * NUL-terminated) is kept: Java's subscriptionData.getTagsSet().contains(
 * msg.getTags()). Called on the decoding thread, with no lock held. */
typedef bool(rmq_msg_tag_filter_cb_t)(const char *tags, size_t len,
                                      void *opaque);

/* Upper bound of an inflated body when opts->maxBodySize is 0: the frame
 * limit (Java has none; a bound keeps a zlib bomb from exhausting memory). */
#define RMQ_MSG_INFLATE_MAX_DEFAULT ((size_t)16 * 1024 * 1024)

typedef struct rmq_msg_decode_opts_s {
        /* msg.setBrokerName(mq.getBrokerName()); copied; NULL: none. */
        const char *brokerName;
        /* PullResult minOffset/maxOffset, added to every message as the
         * MIN_OFFSET/MAX_OFFSET properties (replacing any on the wire);
         * hasOffsets false: none added. */
        bool hasOffsets;
        int64_t minOffset;
        int64_t maxOffset;
        /* PullAPIWrapper re-filter by tags set (NULL: keep everything).
         * When set, a message without TAGS is dropped. */
        rmq_msg_tag_filter_cb_t *tagFilter;
        void *tagFilterOpaque;
        /* resetRetryAndNamespace: the consumer group as the broker knows
         * it (with namespace): a message whose topic is %RETRY%<group> and
         * that has RETRY_TOPIC shows the RETRY_TOPIC value as its topic.
         * NULL: no restore. */
        const char *retryGroup;
        /* Namespace stripped from the topic (NamespaceUtil.withoutNamespace)
         * when not NULL or empty. */
        const char *ns;
        /* Bound of one inflated body; 0: RMQ_MSG_INFLATE_MAX_DEFAULT. */
        size_t maxBodySize;
        /* Memory accounting (NULL: none): the batch adds the bytes it
         * holds (its allocation, the frame, inflated bodies) when decoded
         * and subtracts them when it dies. */
        _Atomic int64_t *memAcct;
} rmq_msg_decode_opts_t;

/*
 * Decodes every stored message of \p body (\p len bytes) into a batch with
 * one reference (the caller's). Messages the tag filter drops are not in
 * the batch; a batch may hold 0 messages.
 *
 * \p storage is taken in every case (also on failure): memory the batch
 * frees with rmq__free when it dies (the frame \p body points into, as
 * rmq__cmd_take_body() returns it). NULL means nobody owns \p body: the
 * batch then copies it (into the same single allocation).
 *
 * Returns RMQ_OK, or on failure (no batch; \p storage freed; a reason,
 * naming the message and byte position, in \p errstr):
 * RMQ_ERR__BAD_MSG (a malformed message anywhere, or a corrupt zlib
 * body), RMQ_ERR__NOT_SUPPORTED (an LZ4 or ZSTD body), RMQ_ERR__MSG_TOO_LARGE
 * (an inflated body above opts->maxBodySize). Java's decodes() instead keeps
 * the messages before a bad one and silently drops the rest; the caller
 * logs the failure and pulls again.
 *
 * @locality any (normally the pull callback thread). Pure: no I/O, no locks,
 *           no clock.
 * @see Java: MessageDecoder#decodes, PullAPIWrapper#processPullResult,
 *      DefaultMQPushConsumerImpl#resetRetryAndNamespace
 */
rmq_err_t rmq__msg_batch_decode(void *storage, const uint8_t *body, size_t len,
                                const rmq_msg_decode_opts_t *opts,
                                rmq_msg_batch_t **batchp, char *errstr,
                                size_t errstr_size);

/* Number of messages; the i-th (i < count), in wire (queue offset) order. */
size_t rmq__msg_batch_count(const rmq_msg_batch_t *batch);
rmq_message_ext_t *rmq__msg_batch_at(const rmq_msg_batch_t *batch, size_t i);
/* All messages as an array of count pointers (listener-ready), valid while
 * the batch is. */
rmq_message_ext_t *const *rmq__msg_batch_msgs(const rmq_msg_batch_t *batch);

/* Takes \p n references at once (for instance one per message for the
 * process queue); each is dropped by one rmq_message_ext_release() of any
 * of its messages or one rmq__msg_batch_release(). Thread-safe. */
void rmq__msg_batch_retain_n(rmq_msg_batch_t *batch, size_t n);
/* Drops one reference (\p n at once); the last frees the batch.
 * NULL-safe. Thread-safe. */
void rmq__msg_batch_release(rmq_msg_batch_t *batch);
void rmq__msg_batch_release_n(rmq_msg_batch_t *batch, size_t n);
/* Current reference count (tests and assertions only). */
int64_t rmq__msg_batch_refcnt(const rmq_msg_batch_t *batch);

/* The batch a message belongs to. */
static inline rmq_msg_batch_t *rmq__mx_batch(const rmq_message_ext_t *mx) {
        return mx->batch;
}

/* Body length (Java msg.getBody().length, 0 for none). */
static inline size_t rmq__mx_body_len(const rmq_message_ext_t *mx) {
        return mx->bodyLen;
}

/* MAX_OFFSET as a number (the pull response's, else a valid decimal wire
 * property): returns true and sets *out, or false if absent or not a
 * number. */
bool rmq__mx_max_offset(const rmq_message_ext_t *mx, int64_t *out);

/* reconsumeTimes (Java setReconsumeTimes: a concurrent consumer whose
 * send-back failed counts the failed attempt before retrying locally;
 * the orderly service counts every local retry). Lock-free. */
static inline int32_t rmq__mx_reconsume_times(const rmq_message_ext_t *mx) {
        return atomic_load_explicit(
            &((rmq_message_ext_t *)(uintptr_t)mx)->reconsumeTimes,
            memory_order_relaxed);
}
static inline void rmq__mx_set_reconsume_times(rmq_message_ext_t *mx,
                                               int32_t v) {
        atomic_store_explicit(&mx->reconsumeTimes, v, memory_order_relaxed);
}

/* The consume start time (Java MessageAccessor.setConsumeStartTimeStamp /
 * getConsumeStartTimeStamp), wall-clock ms; 0 means not set. Lock-free,
 * any thread. */
static inline void rmq__mx_set_consume_start_time(rmq_message_ext_t *mx,
                                                  int64_t ms) {
        atomic_store_explicit(&mx->consumeStartTime, ms, memory_order_relaxed);
}
static inline int64_t rmq__mx_consume_start_time(const rmq_message_ext_t *mx) {
        return atomic_load_explicit(
            &((rmq_message_ext_t *)(uintptr_t)mx)->consumeStartTime,
            memory_order_relaxed);
}

#endif /* RMQ_MESSAGE_EXT_INT_H */
