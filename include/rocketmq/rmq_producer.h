/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_producer.h
 * @brief The producer (Java DefaultMQProducer).
 *
 * Thread safety: an rmq_producer_t is thread-safe: any function may be called
 * from any thread at any time, except that rmq_producer_destroy() is called
 * once, not concurrently with other calls, and never from a library callback.
 *
 * Callbacks (async send results, send hooks after an async send) run on the
 * client instance's callback pool (`clientCallbackExecutorThreads` threads),
 * never on the I/O thread. A callback may call synchronous rmq_* functions.
 *
 * Errors: RMQ_OK, a local RMQ_ERR__* code, or a broker response code (> 0)
 * such as RMQ_ERR_TOPIC_NOT_EXIST; \p errstr (may be NULL) receives the
 * reason, including the broker's remark.
 *
 * Messages: a send never takes the message (it may be destroyed or changed
 * as soon as the call returns), but it writes the message id into it: the
 * first send that validates a message records a new id there, and every
 * later send of that message carries the same id (Java writes UNIQ_KEY
 * into the caller's Message the same way; rmq_message_msg_id()). That is
 * why the send functions take a non-const message.
 */
#ifndef RMQ_PRODUCER_H
#define RMQ_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include "rmq_conf.h"
#include "rmq_err.h"
#include "rmq_export.h"
#include "rmq_message.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque producer handle. */
typedef struct rmq_producer_s rmq_producer_t;

/** Result of a send (Java SendResult). */
typedef struct rmq_send_result_s rmq_send_result_t;

/** Java SendStatus. */
typedef enum rmq_send_status_t {
        RMQ_SEND_OK             = 0, /**< Stored. */
        RMQ_FLUSH_DISK_TIMEOUT  = 1, /**< Stored, disk flush timed out. */
        RMQ_FLUSH_SLAVE_TIMEOUT = 2, /**< Stored, slave sync timed out. */
        RMQ_SLAVE_NOT_AVAILABLE = 3  /**< Stored, no slave available. */
} rmq_send_status_t;

/** @name Send results
 * @{ */
/** @returns The send status. */
RMQ_EXPORT rmq_send_status_t
rmq_send_result_status(const rmq_send_result_t *res);
/**
 * @brief The Java SendStatus name of \p status ("SEND_OK",
 *        "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT", "SLAVE_NOT_AVAILABLE").
 * @returns A static string, never NULL ("UNKNOWN" for a value outside the
 *          enum). Thread-safe; never fails.
 */
RMQ_EXPORT const char *rmq_send_status_name(rmq_send_status_t status);
/** @returns The message id (UNIQ_KEY; for a batch, the ids comma-joined). */
RMQ_EXPORT const char *rmq_send_result_msg_id(const rmq_send_result_t *res);
/** @returns The broker's offset message id (store host + commit log
 *           offset; for a batch, comma-joined). */
RMQ_EXPORT const char *
rmq_send_result_offset_msg_id(const rmq_send_result_t *res);
/** @returns The queue the message went to (valid with the result). */
RMQ_EXPORT const rmq_message_queue_t *
rmq_send_result_message_queue(const rmq_send_result_t *res);
/** @returns The offset of the message in its queue. */
RMQ_EXPORT int64_t rmq_send_result_queue_offset(const rmq_send_result_t *res);
/** @returns The transaction id or NULL. */
RMQ_EXPORT const char *
rmq_send_result_transaction_id(const rmq_send_result_t *res);
/** @returns The region id (MSG_REGION; "DefaultRegion" when the broker
 *           sends none). */
RMQ_EXPORT const char *rmq_send_result_region_id(const rmq_send_result_t *res);
/** @returns 1 unless the broker answered TRACE_ON=false. */
RMQ_EXPORT int rmq_send_result_trace_on(const rmq_send_result_t *res);
/** @brief Free a result returned by a synchronous send. NULL-safe. */
RMQ_EXPORT void rmq_send_result_destroy(rmq_send_result_t *res);
/** @} */

/** @name Lifecycle
 * @{ */

/**
 * @brief Create a producer from \p conf (copied; the caller keeps and
 *        destroys its conf). Opens no sockets.
 *
 * Reads `producerGroup`, `namesrvAddr`, `instanceName` and the other
 * properties of docs/CONFIGURATION.md.
 * @returns RMQ_OK, or RMQ_ERR__INVALID_ARG / RMQ_ERR__CONF_INVALID with a
 *          reason (for instance an invalid producer group name).
 */
RMQ_EXPORT rmq_err_t rmq_producer_new(rmq_producer_t **prodp,
                                      const rmq_conf_t *conf, char *errstr,
                                      size_t errstr_size);

/**
 * @brief Start the producer (Java start()): joins or creates the client
 *        instance of its clientId, which starts the I/O thread, the route
 *        and heartbeat timers, and sends a first heartbeat.
 * The group is checked with the namespace applied (`namespace%group`, as
 * Java's checkConfig sees it): not blank, at most 255 characters of
 * `[%|a-zA-Z0-9_-]`, not `DEFAULT_PRODUCER`.
 * @returns RMQ_OK; RMQ_ERR__STATE if already started, shut down or failed
 *          to start; RMQ_ERR__INVALID_ARG for an invalid group (the
 *          producer is then START_FAILED and cannot be started again, as in
 *          Java), or if another started producer of this client instance
 *          uses the same group (then it may be started later).
 * @remark Blocks briefly (thread start). Not from a library callback.
 */
RMQ_EXPORT rmq_err_t rmq_producer_start(rmq_producer_t *prod, char *errstr,
                                        size_t errstr_size);

/**
 * @brief Shut down (Java shutdown()): waits for async sends in flight to
 *        complete (their callbacks run), unregisters the group from the
 *        brokers, and releases the client instance (the last handle stops
 *        its threads). Idempotent.
 * @returns RMQ_OK, or RMQ_ERR__WOULD_DEADLOCK from a library callback.
 */
RMQ_EXPORT rmq_err_t rmq_producer_shutdown(rmq_producer_t *prod);

/**
 * @brief Shut down if needed and free. NULL-safe.
 *
 * Called from a library thread of this producer's client instance (a send
 * callback, a hook, a listener of a consumer sharing the instance), where
 * shutting down would wait for that very thread, it refuses: it logs an
 * error and returns, leaving the producer alive and usable, to be
 * destroyed later from an application thread.
 */
RMQ_EXPORT void rmq_producer_destroy(rmq_producer_t *prod);

/** @} */

/** @name Sending
 * @{ */

/**
 * @brief Callback of an async send.
 * @param err     RMQ_OK or the error (local or broker code).
 * @param errstr  Reason when err != RMQ_OK, else NULL.
 * @param result  The result when err == RMQ_OK, else NULL; borrowed for the
 *                duration of the call.
 * @remark Runs on the callback pool, exactly once per accepted send, also
 *         at shutdown (then with RMQ_ERR__DESTROY).
 */
typedef void(rmq_send_cb_t)(rmq_producer_t *prod, rmq_err_t err,
                            const char *errstr,
                            const rmq_send_result_t *result, void *opaque);

/**
 * @brief Choose a queue for a message (Java MessageQueueSelector).
 * @param mqs     The topic's writable queues (borrowed).
 * @param mq_cnt  Their number (>= 1).
 * @param arg     The argument given to the send call.
 * @returns An index into mqs; out of range fails the send with
 *          RMQ_ERR__INVALID_ARG.
 * @remark Runs on the sending thread (sync and oneway) or, for async sends,
 *         possibly on the callback pool. Must not block.
 */
typedef int(rmq_queue_selector_cb_t)(const rmq_message_queue_t *const *mqs,
                                     size_t mq_cnt, const rmq_message_t *msg,
                                     void *arg, void *opaque);

/**
 * @brief Built-in selector of Java's SelectMessageQueueByHash: \p arg is a
 *        NUL-terminated string whose Java String.hashCode() modulo the queue
 *        count picks the queue, so a key maps to the same queue as in a
 *        Java producer.
 */
RMQ_EXPORT int rmq_queue_selector_hash(const rmq_message_queue_t *const *mqs,
                                       size_t mq_cnt, const rmq_message_t *msg,
                                       void *arg, void *opaque);

/**
 * @brief rmq_queue_selector_hash() for a Java `Integer` argument: \p arg
 *        points to an int32_t whose Integer.hashCode() (the value itself)
 *        picks the queue as SelectMessageQueueByHash does (hash % count,
 *        then the absolute value), so an int key maps to the queue a Java
 *        producer passing an Integer chooses. Returns -1 (failing the send)
 *        if \p arg is NULL.
 */
RMQ_EXPORT int
rmq_queue_selector_hash_int32(const rmq_message_queue_t *const *mqs,
                              size_t mq_cnt, const rmq_message_t *msg,
                              void *arg, void *opaque);

/**
 * @brief rmq_queue_selector_hash() for a Java `Long` argument: \p arg
 *        points to an int64_t whose Long.hashCode() (`(int)(v ^ (v >>>
 *        32))`) picks the queue as SelectMessageQueueByHash does.
 */
RMQ_EXPORT int
rmq_queue_selector_hash_int64(const rmq_message_queue_t *const *mqs,
                              size_t mq_cnt, const rmq_message_t *msg,
                              void *arg, void *opaque);

/** @brief Built-in selector of Java's SelectMessageQueueByRandom. */
RMQ_EXPORT int rmq_queue_selector_random(const rmq_message_queue_t *const *mqs,
                                         size_t mq_cnt,
                                         const rmq_message_t *msg, void *arg,
                                         void *opaque);

/**
 * @brief Send \p msg and wait for the broker's answer (Java send(msg)).
 *
 * Chooses a queue, avoiding the broker that just failed, and retries on
 * another broker up to `retryTimesWhenSendFailed` times for transport
 * failures and the retryable broker codes of 4.9.x (TOPIC_NOT_EXIST,
 * SERVICE_NOT_AVAILABLE, SYSTEM_ERROR, NO_PERMISSION, NO_BUYER_ID,
 * NOT_IN_CURRENT_UNIT), all within `sendMsgTimeout`.
 *
 * @param resultp Receives a result the caller frees with
 *                rmq_send_result_destroy(); may be NULL.
 * @returns RMQ_OK (see the result's status), a validation error
 *          (RMQ_ERR_MESSAGE_ILLEGAL, RMQ_ERR__MSG_TOO_LARGE,
 *          RMQ_ERR__INVALID_ARG), RMQ_ERR__NO_ROUTE, RMQ_ERR__TIMED_OUT,
 *          RMQ_ERR__CONNECT, RMQ_ERR__TRANSPORT, RMQ_ERR__STATE (not
 *          started), or the broker's response code.
 * @remark Blocks up to `sendMsgTimeout`. Returns RMQ_ERR__WOULD_DEADLOCK on
 *         the library's I/O thread.
 */
RMQ_EXPORT rmq_err_t rmq_producer_send(rmq_producer_t *prod, rmq_message_t *msg,
                                       rmq_send_result_t **resultp,
                                       char *errstr, size_t errstr_size);

/**
 * @brief Send \p msg asynchronously (Java send(msg, callback)).
 *
 * Validation errors are returned at once (and \p cb is not called). Once
 * RMQ_OK is returned, \p cb is called exactly once. Transport failures are
 * retried up to `retryTimesWhenSendAsyncFailed` times; broker errors go to
 * the callback. The number and bytes of async sends in flight are bounded
 * (`backPressureForAsyncSendNum`, `backPressureForAsyncSendSize`): when the
 * window is full the call waits up to `sendMsgTimeout` for room if
 * `enableBackpressureForAsyncMode` is true, else returns
 * RMQ_ERR__QUEUE_FULL at once.
 * @remark Never blocks on the network (a missing route is fetched
 *         asynchronously).
 */
RMQ_EXPORT rmq_err_t rmq_producer_send_async(rmq_producer_t *prod,
                                             rmq_message_t *msg,
                                             rmq_send_cb_t *cb, void *opaque);

/**
 * @brief Send \p msg without waiting for an answer (Java sendOneway). No
 *        retries. Returns once the request is queued for writing.
 */
RMQ_EXPORT rmq_err_t rmq_producer_send_oneway(rmq_producer_t *prod,
                                              rmq_message_t *msg, char *errstr,
                                              size_t errstr_size);

/** @brief Sync send to the queue \p mq (Java send(msg, mq)); no retries. */
RMQ_EXPORT rmq_err_t rmq_producer_send_to_queue(
    rmq_producer_t *prod, rmq_message_t *msg, const rmq_message_queue_t *mq,
    rmq_send_result_t **resultp, char *errstr, size_t errstr_size);
/**
 * @brief Async send to the queue \p mq (Java send(msg, mq, callback)).
 *
 * When the address of \p mq's broker is not known yet, the topic's route
 * is fetched first (asynchronously, as for rmq_producer_send_async()); a
 * broker that is still unknown then fails the send with
 * RMQ_ERR__NO_BROKER through \p cb. Transport failures are retried on the
 * same queue up to `retryTimesWhenSendAsyncFailed` times.
 */
RMQ_EXPORT rmq_err_t rmq_producer_send_to_queue_async(
    rmq_producer_t *prod, rmq_message_t *msg, const rmq_message_queue_t *mq,
    rmq_send_cb_t *cb, void *opaque);
/** @brief Oneway send to the queue \p mq. */
RMQ_EXPORT rmq_err_t rmq_producer_send_to_queue_oneway(
    rmq_producer_t *prod, rmq_message_t *msg, const rmq_message_queue_t *mq,
    char *errstr, size_t errstr_size);

/**
 * @brief Sync send to the queue chosen by \p selector (Java send(msg,
 *        selector, arg)): the ordered-message send. No retries.
 */
RMQ_EXPORT rmq_err_t rmq_producer_send_select(
    rmq_producer_t *prod, rmq_message_t *msg, rmq_queue_selector_cb_t *selector,
    void *arg, rmq_send_result_t **resultp, char *errstr, size_t errstr_size);
/** @brief Async send to the queue chosen by \p selector. */
RMQ_EXPORT rmq_err_t rmq_producer_send_select_async(
    rmq_producer_t *prod, rmq_message_t *msg, rmq_queue_selector_cb_t *selector,
    void *arg, rmq_send_cb_t *cb, void *opaque);
/** @brief Oneway send to the queue chosen by \p selector. */
RMQ_EXPORT rmq_err_t rmq_producer_send_select_oneway(
    rmq_producer_t *prod, rmq_message_t *msg, rmq_queue_selector_cb_t *selector,
    void *arg, char *errstr, size_t errstr_size);

/**
 * @brief Send \p cnt messages as one batch (Java send(Collection)): one
 *        SEND_BATCH_MESSAGE request, stored as cnt messages.
 *
 * All messages must have the same topic and WAIT flag, no delay level and
 * no retry topic, and the encoded batch must fit `maxMessageSize`.
 * The result's msg id lists every message's id, comma-joined.
 */
RMQ_EXPORT rmq_err_t rmq_producer_send_batch(rmq_producer_t *prod,
                                             rmq_message_t *const *msgs,
                                             size_t cnt,
                                             rmq_send_result_t **resultp,
                                             char *errstr, size_t errstr_size);
/** @brief Async batch send. */
RMQ_EXPORT rmq_err_t rmq_producer_send_batch_async(rmq_producer_t *prod,
                                                   rmq_message_t *const *msgs,
                                                   size_t cnt,
                                                   rmq_send_cb_t *cb,
                                                   void *opaque);
/** @brief Sync batch send to the queue \p mq (Java send(Collection,
 *         mq)); no retries. */
RMQ_EXPORT rmq_err_t rmq_producer_send_batch_to_queue(
    rmq_producer_t *prod, rmq_message_t *const *msgs, size_t cnt,
    const rmq_message_queue_t *mq, rmq_send_result_t **resultp, char *errstr,
    size_t errstr_size);
/** @brief Async batch send to the queue \p mq (Java send(Collection, mq,
 *         callback)), as rmq_producer_send_to_queue_async(). */
RMQ_EXPORT rmq_err_t rmq_producer_send_batch_to_queue_async(
    rmq_producer_t *prod, rmq_message_t *const *msgs, size_t cnt,
    const rmq_message_queue_t *mq, rmq_send_cb_t *cb, void *opaque);

/**
 * @brief The writable queues of \p topic (Java fetchPublishMessageQueues),
 *        fetching the route if needed.
 * @param mqsp Receives an array of \p *cntp queues; free it with
 *             rmq_message_queues_destroy().
 */
RMQ_EXPORT rmq_err_t rmq_producer_fetch_publish_message_queues(
    rmq_producer_t *prod, const char *topic, rmq_message_queue_t ***mqsp,
    size_t *cntp, char *errstr, size_t errstr_size);
/** @brief Free an array from rmq_producer_fetch_publish_message_queues(). */
RMQ_EXPORT void rmq_message_queues_destroy(rmq_message_queue_t **mqs,
                                           size_t cnt);

/** @} */

/** @name Send hooks (Java SendMessageHook)
 * @{ */

/** What a hook sees (valid during the hook call). */
typedef struct rmq_send_context_s rmq_send_context_t;

/** Communication mode of a send (Java CommunicationMode). */
typedef enum rmq_send_mode_t {
        RMQ_SEND_MODE_SYNC   = 0,
        RMQ_SEND_MODE_ASYNC  = 1,
        RMQ_SEND_MODE_ONEWAY = 2
} rmq_send_mode_t;

/**
 * @brief A hook (Java SendMessageHook), called as 4.9.8's
 *        DefaultMQProducerImpl.sendKernelImpl and MQClientAPIImpl call it.
 *
 * Sync and oneway sends: for each attempt (so up to 1 +
 * `retryTimesWhenSendFailed` times for rmq_producer_send()), `before` runs
 * on the sending thread once the broker address is known, just before the
 * request is written, and `after` right after it with the attempt's result
 * or error (oneway: no result, RMQ_OK once the request is queued).
 *
 * Async sends: `before` runs once per send, before the first request goes
 * out. `after` runs twice: right after `before`, with no result and
 * RMQ_OK (the request is handed off; Java's sendKernelImpl ends there),
 * and once more when the send completes, just before the send callback, on
 * the callback pool, with the result or the final error (a broker error,
 * or the transport error once `retryTimesWhenSendAsyncFailed` retries are
 * spent). Retries run no hooks; the queue and broker address in the
 * context are those of the attempt that completed. The first two run on
 * the calling thread, or on the callback pool when the route had to be
 * fetched first.
 *
 * A send that fails before its first request (validation, no route, an
 * unknown broker) runs no hooks; an async send whose time ran out before
 * it has `before` and one `after` with RMQ_ERR__TIMED_OUT.
 */
typedef void(rmq_send_hook_cb_t)(rmq_producer_t *prod,
                                 const rmq_send_context_t *ctx, void *opaque);

/**
 * @brief Register a hook (before rmq_producer_start()). Either callback may
 *        be NULL.
 * @returns RMQ_OK, RMQ_ERR__STATE after start, RMQ_ERR__INVALID_ARG when
 *          more than 8 hooks are registered.
 */
RMQ_EXPORT rmq_err_t rmq_producer_add_send_hook(rmq_producer_t *prod,
                                                const char *name,
                                                rmq_send_hook_cb_t *before,
                                                rmq_send_hook_cb_t *after,
                                                void *opaque);

/** @returns The producer group. */
RMQ_EXPORT const char *
rmq_send_context_producer_group(const rmq_send_context_t *ctx);
/** @returns The message as the application gave it. */
RMQ_EXPORT const rmq_message_t *
rmq_send_context_message(const rmq_send_context_t *ctx);
/** @returns The message id (UNIQ_KEY) of this send. */
RMQ_EXPORT const char *rmq_send_context_msg_id(const rmq_send_context_t *ctx);
/** @returns The queue of this attempt. */
RMQ_EXPORT const rmq_message_queue_t *
rmq_send_context_message_queue(const rmq_send_context_t *ctx);
/** @returns The broker address of this attempt. */
RMQ_EXPORT const char *
rmq_send_context_broker_addr(const rmq_send_context_t *ctx);
/** @returns The client's address (bornHost). */
RMQ_EXPORT const char *rmq_send_context_born_host(const rmq_send_context_t *ctx);
/** @returns The communication mode. */
RMQ_EXPORT rmq_send_mode_t rmq_send_context_mode(const rmq_send_context_t *ctx);
/** @returns In `after`: the result, or NULL on error, for oneway sends,
 *           and in the first `after` of an async send. */
RMQ_EXPORT const rmq_send_result_t *
rmq_send_context_result(const rmq_send_context_t *ctx);
/** @returns In `after`: RMQ_OK or the error of this attempt (async: of
 *           the send). */
RMQ_EXPORT rmq_err_t rmq_send_context_error(const rmq_send_context_t *ctx);
/** @returns The producer's namespace, or NULL. */
RMQ_EXPORT const char *rmq_send_context_namespace(const rmq_send_context_t *ctx);

/** Kind of message a hook sees (Java MessageType). */
typedef enum rmq_message_type_t {
        RMQ_NORMAL_MSG       = 0, /**< Normal_Msg (also every batch). */
        RMQ_TRANS_MSG_HALF   = 1, /**< Trans_Msg_Half: TRAN_MSG=true. */
        RMQ_TRANS_MSG_COMMIT = 2, /**< Trans_msg_Commit (Java's spelling);
                                   *   never reported for a send. */
        RMQ_DELAY_MSG        = 3  /**< Delay_Msg: a delay level or the
                                   *   `__STARTDELIVERTIME` property. */
} rmq_message_type_t;

/**
 * @brief Message trace records dropped by this producer (enableMsgTrace)
 *        because the trace queue (`trace.queueSize`) was full, or lost
 *        in a trace send that failed: the send went on, its trace was
 *        lost. See docs/TRACE.md.
 * @returns The count since start; 0 without tracing.
 * @remark Thread-safe, never blocks.
 */
RMQ_EXPORT int64_t rmq_producer_trace_dropped(const rmq_producer_t *prod);

/** @returns The message's type as SendMessageContext.getMsgType() gives
 *           it in 4.9.8's sendKernelImpl. */
RMQ_EXPORT rmq_message_type_t
rmq_send_context_msg_type(const rmq_send_context_t *ctx);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RMQ_PRODUCER_H */
