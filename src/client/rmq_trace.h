/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message trace: the port of org.apache.rocketmq.client.trace
 * (AsyncTraceDispatcher, TraceDataEncoder, the Send/Consume/EndTransaction
 * trace hooks). docs/TRACE.md describes the records and their fields.
 *
 * A tracer belongs to one producer or consumer (the host) with
 * enableMsgTrace. The host's hooks encode a record (TraceDataEncoder) on
 * the calling thread and offer it to a bounded queue; a full queue drops
 * the record and counts it, nothing blocks. A worker thread batches the
 * records and hands each batch, as one message to the trace topic, to an
 * internal producer (its own client instance, as Java's trace producer),
 * asynchronously. That producer has no tracer: it never traces itself.
 */
#ifndef RMQ_TRACE_H
#define RMQ_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "client/rmq_client.h"
#include "rocketmq/rmq_lite_pull_consumer.h"
#include "rocketmq/rmq_producer.h"
#include "rocketmq/rmq_push_consumer.h"
#include "rocketmq/rmq_transaction.h"

/* TraceConstants */
#define RMQ_TRACE_CONTENT_SPLITOR   '\001'
#define RMQ_TRACE_FIELD_SPLITOR     '\002'
#define RMQ_TRACE_GROUP_NAME_PREFIX "_INNER_TRACE_PRODUCER"
#define RMQ_TRACE_INSTANCE_NAME     "PID_CLIENT_INNER_TRACE_PRODUCER"
#define RMQ_TRACE_TOPIC_PREFIX      "rmq_sys_TRACE_DATA_"
#define RMQ_TRACE_DEFAULT_TOPIC     "RMQ_SYS_TRACE_TOPIC"

typedef struct rmq_tracer_s rmq_tracer_t;

/*
 * mirrors new AsyncTraceDispatcher(group, type, customizedTraceTopic): the
 * queue and settings of \p conf (the host's); records offered before
 * rmq__tracer_start() wait in the queue.
 */
rmq_tracer_t *rmq__tracer_new(const rmq_conf_t *conf, const rmq_logger_t *lg,
                              const char *group);
/*
 * mirrors AsyncTraceDispatcher.start(namesrvAddr, accessChannel): starts
 * the trace producer (group `_INNER_TRACE_PRODUCER-<group>-<type>-<n>`,
 * instance `PID_CLIENT_INNER_TRACE_PRODUCER_<namesrvAddr>`, the host's
 * conf otherwise, with sendMsgTimeout 5000 and maxMessageSize
 * trace.maxMsgSize) and the worker. \p host_ci is the host's started
 * instance (its name server address is used). A failure is logged and
 * the host runs on without traces (records are dropped and counted), as
 * Java only logs it.
 * @locality application thread (the host's start).
 */
void rmq__tracer_start(rmq_tracer_t *t, const rmq_conf_t *conf,
                       const char *type, rmq_client_t *host_ci);
/*
 * mirrors AsyncTraceDispatcher.shutdown: the worker sends every queued
 * record and stops, the trace producer shuts down (which waits for the
 * batches in flight, each bounded by its 5 s send timeout). Records
 * offered afterwards are dropped. NULL-safe, idempotent.
 * @locality application thread (the host's shutdown).
 */
void rmq__tracer_shutdown(rmq_tracer_t *t);
/* Shuts down if needed and frees. NULL-safe. */
void rmq__tracer_destroy(rmq_tracer_t *t);
/* Records dropped because the queue was full (or came after shutdown). */
int64_t rmq__tracer_dropped(const rmq_tracer_t *t);
/* The trace topic (LOCAL), or the prefix of the regional ones (CLOUD). */
const char *rmq__tracer_topic(const rmq_tracer_t *t);
/* Test seam: while paused the worker takes no record from the queue. */
void rmq__tracer_set_paused(rmq_tracer_t *t, bool paused);

/* SendMessageTraceHookImpl, as a producer's send hook (opaque: the
 * tracer). */
void rmq__trace_send_before(rmq_producer_t *prod, const rmq_send_context_t *ctx,
                            void *opaque);
void rmq__trace_send_after(rmq_producer_t *prod, const rmq_send_context_t *ctx,
                           void *opaque);

/* ConsumeMessageTraceHookImpl, as a push consumer's consume hook
 * (opaque: the tracer). */
void rmq__trace_consume_before(rmq_push_consumer_t *pcons,
                               const rmq_consume_hook_context_t *hc,
                               void *opaque);
void rmq__trace_consume_after(rmq_push_consumer_t *pcons,
                              const rmq_consume_hook_context_t *hc,
                              void *opaque);

/* ConsumeMessageTraceHookImpl as DefaultLitePullConsumerImpl.pullSyncImpl
 * runs it after each pull that found messages: SubBefore, then SubAfter
 * with success, contextCode 0. NULL \p t: nothing. */
void rmq__trace_pulled(rmq_tracer_t *t, rmq_message_ext_t *const *msgs,
                       size_t n);

/* EndTransactionTraceHookImpl (DefaultMQProducerImpl
 * doExecuteEndTransactionHook): \p msg_id, \p addr (the broker) and
 * \p transaction_id (NULL: "null") as Java gives them. NULL \p t:
 * nothing. */
void rmq__trace_end_transaction(rmq_tracer_t *t, const char *topic,
                                const char *tags, const char *keys,
                                const char *region, const char *msg_id,
                                const char *addr, const char *transaction_id,
                                rmq_local_transaction_state_t state,
                                bool from_check);

#endif /* RMQ_TRACE_H */
