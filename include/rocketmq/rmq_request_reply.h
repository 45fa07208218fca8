/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_request_reply.h
 * @brief Request-reply (Java DefaultMQProducer#request, RequestCallback,
 *        MessageUtil#createReplyMessage).
 *
 * A requester sends a message with rmq_producer_request() (or a variant)
 * and gets back the reply a responder sent for it. The responder is any
 * consumer of the request topic: it builds the reply with
 * rmq_message_create_reply() and sends it with an ordinary producer
 * (rmq_producer_send()); the broker pushes the reply to the requester's
 * client instance (PUSH_REPLY_MESSAGE_TO_CLIENT), which matches it to the
 * waiting request by its CORRELATION_ID property.
 *
 * Each request sets these properties on the caller's message, as Java's
 * DefaultMQProducerImpl#prepareSendRequest does (so the message records
 * them after the call, as a Java Message does):
 * - `CORRELATION_ID`: a new random UUID (Java CorrelationIdUtil);
 * - `REPLY_TO_CLIENT`: the producer's client id (`ip@instanceName`);
 * - `TTL`: the timeout in milliseconds.
 * The broker adds `CLUSTER` when it stores the request. The reply carries
 * `MSG_TYPE=reply` (set by rmq_message_create_reply()), which makes the
 * responder's producer send it with SEND_REPLY_MESSAGE_V2.
 *
 * Requests waiting for a reply live in a table of the producer's client
 * instance (Java keeps one table per process, RequestFutureHolder); a
 * request whose reply has not come within its timeout fails with
 * RMQ_ERR__TIMED_OUT at its deadline. A reply that comes later, or that
 * matches no request, is acknowledged to the broker and dropped (logged at
 * debug level, facility "producer").
 *
 * Threads: every function is thread-safe. Request callbacks run on the
 * client instance's callback pool (`clientCallbackExecutorThreads`
 * threads), never on the I/O thread and never under a library lock; a
 * callback may call synchronous rmq_* functions, but a synchronous request
 * made from a callback occupies a pool thread that replies also need: keep
 * enough pool threads.
 *
 * Shutdown: rmq_producer_shutdown() (and so rmq_producer_destroy()) fails
 * the producer's pending requests with RMQ_ERR__DESTROY: a waiting
 * rmq_producer_request() returns, and each accepted async request's
 * callback runs (once) before shutdown returns.
 */
#ifndef RMQ_REQUEST_REPLY_H
#define RMQ_REQUEST_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "rmq_err.h"
#include "rmq_export.h"
#include "rmq_message.h"
#include "rmq_message_ext.h"
#include "rmq_producer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Request-reply
 * @{ */

/**
 * @brief Callback of an async request (Java RequestCallback: onSuccess or
 *        onException).
 * @param err     RMQ_OK when \p reply came; else RMQ_ERR__TIMED_OUT (no
 *                reply within the timeout), RMQ_ERR__DESTROY (the
 *                producer shut down first) or the error of the request's
 *                send (a local or broker code).
 * @param errstr  The reason when err != RMQ_OK, else NULL.
 * @param reply   The reply when err == RMQ_OK, else NULL. Borrowed for
 *                the call; rmq_message_ext_retain() keeps it.
 * @remark Runs exactly once per accepted request, on the callback pool.
 */
typedef void(rmq_request_cb_t)(rmq_producer_t *prod, rmq_err_t err,
                               const char *errstr,
                               const rmq_message_ext_t *reply, void *opaque);

/**
 * @brief Send \p msg as a request and wait for its reply (Java
 *        request(msg, timeout)).
 *
 * Sets CORRELATION_ID, REPLY_TO_CLIENT and TTL on \p msg (see the file
 * comment). When no route of the topic is known yet it is fetched first
 * and a heartbeat is sent to every broker (so the broker knows where to
 * push the reply), as prepareSendRequest does. The message is then sent
 * as an async send would send it (queue selection, retries of
 * `retryTimesWhenSendAsyncFailed`), within what is left of \p timeout_ms.
 * \p msg is not taken over.
 *
 * @param timeout_ms The whole time budget (> 0): the send and the wait
 *                   for the reply.
 * @param replyp     Receives the reply; the caller releases it with
 *                   rmq_message_ext_release().
 * @returns RMQ_OK; RMQ_ERR__TIMED_OUT when the reply did not come in time
 *          (errstr "send request message to <topic> OK, but wait reply
 *          message timeout, N ms."); the send's error (validation, route,
 *          transport or broker code: errstr "send request message to
 *          <topic> fail: ..."); RMQ_ERR__INVALID_ARG (NULL argument,
 *          timeout_ms <= 0); RMQ_ERR__STATE (not started);
 *          RMQ_ERR__DESTROY (the producer was shut down while waiting);
 *          RMQ_ERR__WOULD_DEADLOCK on the I/O thread.
 * @remark Thread-safe. Blocks up to \p timeout_ms (plus the route fetch
 *         and heartbeat of a first request to a topic).
 */
RMQ_EXPORT rmq_err_t rmq_producer_request(rmq_producer_t *prod,
                                          rmq_message_t *msg,
                                          int64_t timeout_ms,
                                          rmq_message_ext_t **replyp,
                                          char *errstr, size_t errstr_size);

/**
 * @brief Send \p msg as a request; \p cb gets the reply (Java request(msg,
 *        callback, timeout)).
 *
 * As rmq_producer_request() but does not wait for the reply. If this
 * returns an error, \p cb is never called; if it returns RMQ_OK, \p cb is
 * called exactly once: with the reply, RMQ_ERR__TIMED_OUT at the deadline
 * (errstr "request timeout, no reply message."), the send's error, or
 * RMQ_ERR__DESTROY at shutdown.
 * @returns RMQ_OK, or a validation / state error as rmq_producer_send_async()
 *          returns them (RMQ_ERR__INVALID_ARG for a NULL \p cb or
 *          timeout_ms <= 0).
 * @remark Thread-safe. Blocks only for the route fetch and heartbeat of a
 *         first request to a topic (as Java does).
 */
RMQ_EXPORT rmq_err_t rmq_producer_request_async(rmq_producer_t *prod,
                                                rmq_message_t *msg,
                                                rmq_request_cb_t *cb,
                                                void *opaque,
                                                int64_t timeout_ms,
                                                char *errstr,
                                                size_t errstr_size);

/**
 * @brief rmq_producer_request() to the queue chosen by \p selector (Java
 *        request(msg, selector, arg, timeout)); the send is not retried.
 * @param selector Called once on the calling thread or the callback pool
 *                 (rmq_queue_selector_cb_t); \p arg is passed to it.
 */
RMQ_EXPORT rmq_err_t rmq_producer_request_select(
    rmq_producer_t *prod, rmq_message_t *msg, rmq_queue_selector_cb_t *selector,
    void *arg, int64_t timeout_ms, rmq_message_ext_t **replyp, char *errstr,
    size_t errstr_size);

/** @brief rmq_producer_request_async() to the queue chosen by \p selector
 *         (Java request(msg, selector, arg, callback, timeout)). */
RMQ_EXPORT rmq_err_t rmq_producer_request_select_async(
    rmq_producer_t *prod, rmq_message_t *msg, rmq_queue_selector_cb_t *selector,
    void *arg, rmq_request_cb_t *cb, void *opaque, int64_t timeout_ms,
    char *errstr, size_t errstr_size);

/**
 * @brief rmq_producer_request() to the queue \p mq (Java request(msg, mq,
 *        timeout)); \p mq is copied; the send is not retried on another
 *        queue.
 */
RMQ_EXPORT rmq_err_t rmq_producer_request_to_queue(
    rmq_producer_t *prod, rmq_message_t *msg, const rmq_message_queue_t *mq,
    int64_t timeout_ms, rmq_message_ext_t **replyp, char *errstr,
    size_t errstr_size);

/** @brief rmq_producer_request_async() to the queue \p mq (Java
 *         request(msg, mq, callback, timeout)). */
RMQ_EXPORT rmq_err_t rmq_producer_request_to_queue_async(
    rmq_producer_t *prod, rmq_message_t *msg, const rmq_message_queue_t *mq,
    rmq_request_cb_t *cb, void *opaque, int64_t timeout_ms, char *errstr,
    size_t errstr_size);

/**
 * @brief Build the reply to \p request (Java MessageUtil#createReplyMessage).
 *
 * The reply's topic is `<cluster>_REPLY_TOPIC`, from the request's CLUSTER
 * property (the broker sets it when it stores a message); it carries
 * MSG_TYPE=reply and the request's CORRELATION_ID, REPLY_TO_CLIENT and
 * TTL, and a copy of \p body (\p len bytes; NULL with 0 for none). Send it
 * with any started producer (rmq_producer_send() and its variants).
 *
 * @param request A received request message (borrowed; a listener's
 *                message will do).
 * @param replyp  Receives a new message the caller destroys with
 *                rmq_message_destroy().
 * @returns RMQ_OK; RMQ_ERR__INVALID_ARG when \p request or \p replyp is
 *          NULL or the request has no CLUSTER property (errstr "create
 *          reply message fail, requestMessage error, property[CLUSTER] is
 *          null.").
 * @remark Thread-safe; does not block.
 */
RMQ_EXPORT rmq_err_t rmq_message_create_reply(const rmq_message_ext_t *request,
                                              const void *body, size_t len,
                                              rmq_message_t **replyp,
                                              char *errstr,
                                              size_t errstr_size);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RMQ_REQUEST_REPLY_H */
