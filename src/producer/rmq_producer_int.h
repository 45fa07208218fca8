/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The producer's entry points for the rest of the library.
 */
#ifndef RMQ_PRODUCER_INT_H
#define RMQ_PRODUCER_INT_H

#include "client/rmq_client.h"
#include "rocketmq/rmq_producer.h"

/* Starts \p prod (new, not started) as the instance's own producer
 * (Java MQClientInstance.defaultMQProducer, started with start(false)):
 * its producerGroup is used as is (no namespace), it joins \p ci without
 * taking a reference and without starting it. Shut down and destroy it
 * with the public calls before the instance goes. */
rmq_err_t rmq__producer_start_inner(rmq_producer_t *prod, rmq_client_t *ci,
                                    char *errstr, size_t errstr_size);

/* ---- message trace (client/rmq_trace.c) ---- */

/* The producer's trace dispatcher (enableMsgTrace) from start on, or
 * NULL. */
struct rmq_tracer_s *rmq__producer_tracer(const rmq_producer_t *prod);
/* The body length as sent (compressed, or the encoded batch), Java's
 * SendMessageContext.getMessage().getBody().length in the hooks. */
size_t rmq__send_context_body_len(const rmq_send_context_t *ctx);
/* A per-send slot (zero at first) the trace hook keeps its start time
 * in between before and after (Java's mqTraceContext). */
int64_t *rmq__send_context_trace_ts(const rmq_send_context_t *ctx);

/* ---- the transactional producer (rmq_txn.c) ---- */

/* A producer's transaction listener and check executor. */
typedef struct rmq_txn_s rmq_txn_t;

/* Producer internals rmq_txn.c uses. enter/leave bracket a blocking public
 * call (state RUNNING, not on the I/O thread; shutdown waits for it):
 * RMQ_OK or the error, with a reason; on RMQ_OK leave follows. */
rmq_err_t rmq__producer_enter(rmq_producer_t *prod, char *errstr,
                              size_t errstr_size);
void rmq__producer_leave(rmq_producer_t *prod);
/* Before start: swaps *txnp with the producer's (the caller frees what
 * *txnp then holds). RMQ_ERR__STATE (nothing changed) once started. */
rmq_err_t rmq__producer_set_txn(rmq_producer_t *prod, rmq_txn_t **txnp);
/* Set before start, never changed after it. */
rmq_txn_t *rmq__producer_txn(const rmq_producer_t *prod);
/* The group with the namespace (from start on). */
const char *rmq__producer_group(const rmq_producer_t *prod);
const rmq_conf_t *rmq__producer_conf(const rmq_producer_t *prod);
/* The client instance while started. */
rmq_client_t *rmq__producer_client(const rmq_producer_t *prod);
const rmq_logger_t *rmq__producer_logger(const rmq_producer_t *prod);

/* What the producer calls; every one accepts a NULL \p txn (no
 * listener) and does nothing then. */
/* At the end of a successful start: starts the check executor. */
void rmq__txn_start(rmq_txn_t *txn, rmq_producer_t *prod);
/* True on a thread of the check executor (where shutting the producer
 * down would join itself). */
bool rmq__txn_on_check_thread(rmq_txn_t *txn);
/* At shutdown, once the producer is unregistered (no check comes in any
 * more) and before it lets its client instance go: drops the queued
 * checks, waits for the running ones, joins the executor. */
void rmq__txn_stop(rmq_txn_t *txn, rmq_producer_t *prod);
void rmq__txn_destroy(rmq_txn_t *txn);
/* rmq_member_ops_t.process_request of a producer (\p impl):
 * CHECK_TRANSACTION_STATE goes to the check executor; no answer. */
rmq_cmd_t *rmq__txn_process_request(void *impl, const char *addr,
                                    const rmq_cmd_t *req);

/* ---- request-reply (rmq_request_reply.c) ---- */

/* The send of a request (DefaultMQProducerImpl.request*: sendDefaultImpl,
 * sendSelectImpl with \p selector, or sendKernelImpl to \p mq, in ASYNC
 * mode) within \p timeout_ms instead of sendMsgTimeout. Between
 * rmq__producer_enter() and rmq__producer_leave(). Errors and the
 * callback as rmq_producer_send_async(). */
rmq_err_t rmq__producer_send_request(rmq_producer_t *prod, rmq_message_t *msg,
                                     const rmq_message_queue_t *mq,
                                     rmq_queue_selector_cb_t *selector,
                                     void *arg, int64_t timeout_ms,
                                     rmq_send_cb_t *cb, void *opaque);

#endif /* RMQ_PRODUCER_INT_H */
