/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_push_consumer.h
 * @brief The push consumer (Java DefaultMQPushConsumer).
 *
 * A push consumer subscribes to topics, is given queues by the rebalance
 * of its group (clustering) or all of them (broadcasting), pulls their
 * messages with long polling and hands them to a listener: concurrently
 * (several worker threads, failed messages retried through the broker's
 * retry topic) or orderly (one listener call at a time per queue, queues
 * locked on the broker). Offsets are kept by the broker (clustering) or in
 * a local file (broadcasting) and committed in the background.
 *
 * Threads: the listener runs on the consumer's own worker pool
 * (`consumeThreadMin` threads, "rmq-cons-N"), never on the I/O thread
 * and never under a library lock. Consume hooks run on the same threads,
 * around the listener. Pulls, rebalancing and offset commits run on the
 * client instance's threads (DESIGN.md): the I/O loop, the pull and
 * rebalance services, the scheduler.
 *
 * Thread safety: an rmq_push_consumer_t is thread-safe: any function may be
 * called from any thread, except that rmq_push_consumer_shutdown() and
 * rmq_push_consumer_destroy() must not be called from the consumer's own
 * listener or hooks (they wait for those to return: RMQ_ERR__WOULD_DEADLOCK
 * is returned there) nor from another library callback.
 *
 * Messages handed to the listener are borrowed (valid until it returns);
 * rmq_message_ext_retain() keeps one longer (rmq_message_ext.h).
 *
 * Errors: RMQ_OK, a local RMQ_ERR__* code, or a broker response code (> 0);
 * \p errstr (may be NULL) receives the reason.
 */
#ifndef RMQ_PUSH_CONSUMER_H
#define RMQ_PUSH_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "rmq_conf.h"
#include "rmq_err.h"
#include "rmq_export.h"
#include "rmq_message.h"
#include "rmq_message_ext.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque push consumer handle. */
typedef struct rmq_push_consumer_s rmq_push_consumer_t;

/** @name Listeners
 * @{ */

/** What a concurrent listener returns (Java ConsumeConcurrentlyStatus). */
typedef enum rmq_consume_status_t {
        /** Consumed: the messages up to the context's ack index count as
         *  consumed, the others are retried. */
        RMQ_CONSUME_SUCCESS = 0,
        /** Retry every message of the call later (through the broker's
         *  retry topic, with the context's delay level). */
        RMQ_RECONSUME_LATER = 1
} rmq_consume_status_t;

/** What an orderly listener returns (Java ConsumeOrderlyStatus). */
typedef enum rmq_consume_orderly_status_t {
        /** Consumed (with autoCommit, the offset is committed). */
        RMQ_ORDERLY_SUCCESS = 0,
        /** autoCommit false: hand the messages of this transaction again
         *  later. (With autoCommit, treated as SUCCESS, as Java does.) */
        RMQ_ORDERLY_ROLLBACK = 1,
        /** autoCommit false: commit what was consumed. (With autoCommit,
         *  treated as SUCCESS.) */
        RMQ_ORDERLY_COMMIT = 2,
        /** Stop this queue for suspendCurrentQueueTimeMillis, then hand the
         *  same messages again (up to maxReconsumeTimes, then they go to
         *  the dead letter queue). */
        RMQ_ORDERLY_SUSPEND_CURRENT_QUEUE_A_MOMENT = 3
} rmq_consume_orderly_status_t;

/** The context of a concurrent listener call (Java
 *  ConsumeConcurrentlyContext); valid during the call. */
typedef struct rmq_consume_context_s rmq_consume_context_t;

/** @returns The queue the messages come from. */
RMQ_EXPORT const rmq_message_queue_t *
rmq_consume_context_message_queue(const rmq_consume_context_t *ctx);
/**
 * @brief With RMQ_CONSUME_SUCCESS, the index of the last message consumed:
 *        the messages after it are retried (Java ackIndex; default: the
 *        last message of the call).
 */
RMQ_EXPORT void rmq_consume_context_set_ack_index(rmq_consume_context_t *ctx,
                                                  int ack_index);
/** @returns The ack index. */
RMQ_EXPORT int rmq_consume_context_ack_index(const rmq_consume_context_t *ctx);
/**
 * @brief The delay level of the retry (Java delayLevelWhenNextConsume):
 *        0 (the default) lets the broker choose (3 + reconsume times), a
 *        negative level sends the messages straight to the dead letter
 *        queue, a positive one is that level (1s 5s 10s 30s 1m ...).
 */
RMQ_EXPORT void rmq_consume_context_set_delay_level(rmq_consume_context_t *ctx,
                                                    int level);
/** @returns The delay level. */
RMQ_EXPORT int
rmq_consume_context_delay_level(const rmq_consume_context_t *ctx);

/** The context of an orderly listener call (Java ConsumeOrderlyContext);
 *  valid during the call. */
typedef struct rmq_consume_orderly_context_s rmq_consume_orderly_context_t;

/** @returns The queue the messages come from. */
RMQ_EXPORT const rmq_message_queue_t *rmq_consume_orderly_context_message_queue(
    const rmq_consume_orderly_context_t *ctx);
/** @brief Commit offsets automatically (default 1, Java autoCommit). With
 *         0, only RMQ_ORDERLY_COMMIT commits. */
RMQ_EXPORT void
rmq_consume_orderly_context_set_auto_commit(rmq_consume_orderly_context_t *ctx,
                                            int auto_commit);
/** @returns 1 or 0. */
RMQ_EXPORT int rmq_consume_orderly_context_auto_commit(
    const rmq_consume_orderly_context_t *ctx);
/** @brief How long RMQ_ORDERLY_SUSPEND_CURRENT_QUEUE_A_MOMENT suspends the
 *         queue, 10..30000 ms (-1, the default: the consumer's
 *         suspendCurrentQueueTimeMillis). */
RMQ_EXPORT void rmq_consume_orderly_context_set_suspend_time_millis(
    rmq_consume_orderly_context_t *ctx, int64_t ms);
/** @returns The suspend time (-1: the consumer's). */
RMQ_EXPORT int64_t rmq_consume_orderly_context_suspend_time_millis(
    const rmq_consume_orderly_context_t *ctx);

/**
 * @brief A concurrent listener (Java MessageListenerConcurrently): up to
 *        `consumeMessageBatchMaxSize` messages of one queue.
 *
 * Runs on a consumer worker; several calls run at once (one per worker).
 * \p msgs and their content are borrowed for the call. A listener has no
 * exception: returning RMQ_RECONSUME_LATER is how it reports a failure.
 */
typedef rmq_consume_status_t(rmq_listener_concurrently_cb_t)(
    rmq_push_consumer_t *pcons, const rmq_message_ext_t *const *msgs,
    size_t msg_cnt, rmq_consume_context_t *ctx, void *opaque);

/**
 * @brief An orderly listener (Java MessageListenerOrderly): one call at a
 *        time per queue, messages in queue order.
 */
typedef rmq_consume_orderly_status_t(rmq_listener_orderly_cb_t)(
    rmq_push_consumer_t *pcons, const rmq_message_ext_t *const *msgs,
    size_t msg_cnt, rmq_consume_orderly_context_t *ctx, void *opaque);

/**
 * @brief Set the concurrent listener (Java registerMessageListener). Before
 *        start; replaces any listener set before.
 * @returns RMQ_OK, RMQ_ERR__INVALID_ARG (NULL \p cb), RMQ_ERR__STATE after
 *          start.
 */
RMQ_EXPORT rmq_err_t rmq_push_consumer_set_listener_concurrently(
    rmq_push_consumer_t *pcons, rmq_listener_concurrently_cb_t *cb,
    void *opaque);

/** @brief Set the orderly listener; as above. */
RMQ_EXPORT rmq_err_t rmq_push_consumer_set_listener_orderly(
    rmq_push_consumer_t *pcons, rmq_listener_orderly_cb_t *cb, void *opaque);

/** @} */

/** @name Lifecycle
 * @{ */

/**
 * @brief Create a push consumer from \p conf (copied; the caller keeps and
 *        destroys its conf). Opens no sockets.
 *
 * Reads `consumerGroup`, `messageModel`, `consumeFromWhere` and the other
 * consumer properties of docs/CONFIGURATION.md, and the client ones
 * (`namesrvAddr`, `instanceName`, ...).
 * @returns RMQ_OK or RMQ_ERR__INVALID_ARG with a reason.
 */
RMQ_EXPORT rmq_err_t rmq_push_consumer_new(rmq_push_consumer_t **pconsp,
                                           const rmq_conf_t *conf, char *errstr,
                                           size_t errstr_size);

/**
 * @brief Start (Java start()): checks the configuration as Java's
 *        checkConfig does, joins the client instance of its clientId,
 *        fetches the routes of the subscribed topics, sends a heartbeat to
 *        every broker and waits for their answers, then wakes the
 *        rebalance, after which pulls begin.
 * @returns RMQ_OK; RMQ_ERR__STATE if already started (or shut down, or a
 *          start failed); RMQ_ERR__INVALID_ARG for a configuration Java
 *          refuses (the reason in \p errstr), no listener, or a group
 *          another started consumer of this client instance uses.
 * @remark Blocks up to about mqClientApiTimeout (route queries,
 *         heartbeats). Not from a library callback.
 */
RMQ_EXPORT rmq_err_t rmq_push_consumer_start(rmq_push_consumer_t *pcons,
                                             char *errstr, size_t errstr_size);

/**
 * @brief Shut down (Java shutdown()), deterministically: pulls stop (those
 *        in flight are cancelled), no new listener call starts, running
 *        ones finish (waiting up to `awaitTerminationMillisWhenShutdown`,
 *        0: until they return), offsets are committed with acknowledged
 *        requests (within mqClientApiTimeout), orderly queues are unlocked,
 *        the group is unregistered from the brokers, and every thread of
 *        the consumer is joined. Idempotent.
 * @returns RMQ_OK, or RMQ_ERR__WOULD_DEADLOCK from the consumer's own
 *          listener or hook (or another library callback).
 */
RMQ_EXPORT rmq_err_t rmq_push_consumer_shutdown(rmq_push_consumer_t *pcons);

/**
 * @brief Shut down if needed and free. NULL-safe. From the consumer's own
 *        listener or another library callback it refuses (logs an error
 *        and returns, leaving the consumer alive).
 */
RMQ_EXPORT void rmq_push_consumer_destroy(rmq_push_consumer_t *pcons);

/** @} */

/** @name Subscriptions
 * @{ */

/**
 * @brief Subscribe to \p topic with a tag expression (Java subscribe(topic,
 *        subExpression)): "*" or NULL for every message, or tags joined by
 *        "||" ("TagA || TagB"). Replaces an earlier subscription of the
 *        topic. After start, a heartbeat tells the brokers at once and a
 *        rebalance follows.
 * @returns RMQ_OK or RMQ_ERR__INVALID_ARG (a bad topic or expression).
 */
RMQ_EXPORT rmq_err_t rmq_push_consumer_subscribe(rmq_push_consumer_t *pcons,
                                                 const char *topic,
                                                 const char *expression,
                                                 char *errstr,
                                                 size_t errstr_size);

/**
 * @brief Subscribe with an SQL92 expression over message properties (Java
 *        MessageSelector.bySql): the broker filters (it must run with
 *        enablePropertyFilter=true; otherwise pulls fail with its error).
 */
RMQ_EXPORT rmq_err_t rmq_push_consumer_subscribe_sql(rmq_push_consumer_t *pcons,
                                                     const char *topic,
                                                     const char *sql,
                                                     char *errstr,
                                                     size_t errstr_size);

/** @brief Remove the subscription of \p topic (Java unsubscribe); its
 *         queues are dropped at the next rebalance.
 *  @returns RMQ_OK or RMQ_ERR__NOT_FOUND. */
RMQ_EXPORT rmq_err_t rmq_push_consumer_unsubscribe(rmq_push_consumer_t *pcons,
                                                   const char *topic);

/** @} */

/** @name Queue allocation (AllocateMessageQueueStrategy)
 * @{
 * The built-in strategies are chosen with the `allocateMessageQueueStrategy`
 * property (AVG, the default, AVG_BY_CIRCLE, CONSISTENT_HASH); the ones that
 * need data are set here, before start. */

/**
 * @brief A user strategy: given the group, this client's id, every queue of
 *        a topic (sorted as Java sorts them) and every client id of the
 *        group (sorted), fill \p resultp with the queues this client takes
 *        (an array of \p *result_cnt queue pointers taken from \p mq_all;
 *        allocate it with malloc(); the library frees it with free()).
 *        Return 0, or non-zero to keep the current assignment (as a Java
 *        strategy that throws). Called on the rebalance thread.
 */
typedef int(rmq_allocate_strategy_cb_t)(
    const char *consumer_group, const char *current_cid,
    const rmq_message_queue_t *const *mq_all, size_t mq_cnt,
    const char *const *cid_all, size_t cid_cnt,
    const rmq_message_queue_t ***resultp, size_t *result_cnt, void *opaque);

/** @brief Use \p cb, named \p name (Java getName()). Before start. */
RMQ_EXPORT rmq_err_t rmq_push_consumer_set_allocate_strategy(
    rmq_push_consumer_t *pcons, const char *name,
    rmq_allocate_strategy_cb_t *cb, void *opaque);

/** @brief AllocateMessageQueueByConfig: always these queues (copied). */
RMQ_EXPORT rmq_err_t rmq_push_consumer_set_allocate_by_config(
    rmq_push_consumer_t *pcons, const rmq_message_queue_t *const *mqs,
    size_t cnt);

/** @brief AllocateMessageQueueByMachineRoom: the queues of brokers named
 *         "<idc>@<name>" for the given idcs, spread averagely. */
RMQ_EXPORT rmq_err_t rmq_push_consumer_set_allocate_by_machine_room(
    rmq_push_consumer_t *pcons, const char *const *idcs, size_t cnt);

/** @} */

/** @name Consume hooks (Java ConsumeMessageHook)
 * @{ */

/** What a consume hook sees (valid during the hook call). */
typedef struct rmq_consume_hook_context_s rmq_consume_hook_context_t;

/** A hook: called before and after each listener call, on its worker. */
typedef void(rmq_consume_hook_cb_t)(rmq_push_consumer_t *pcons,
                                    const rmq_consume_hook_context_t *ctx,
                                    void *opaque);

/**
 * @brief Register a hook (Java registerConsumeMessageHook). Before start; at
 *        most 8.
 * @returns RMQ_OK, RMQ_ERR__STATE after start, RMQ_ERR__INVALID_ARG.
 */
RMQ_EXPORT rmq_err_t rmq_push_consumer_add_consume_hook(
    rmq_push_consumer_t *pcons, const char *name, rmq_consume_hook_cb_t *before,
    rmq_consume_hook_cb_t *after, void *opaque);

/** @returns The consumer group (without the namespace). */
RMQ_EXPORT const char *
rmq_consume_hook_context_group(const rmq_consume_hook_context_t *ctx);
/** @returns The queue. */
RMQ_EXPORT const rmq_message_queue_t *
rmq_consume_hook_context_message_queue(const rmq_consume_hook_context_t *ctx);
/** @returns The messages of the call and their count in \p cntp. */
RMQ_EXPORT const rmq_message_ext_t *const *
rmq_consume_hook_context_messages(const rmq_consume_hook_context_t *ctx,
                                  size_t *cntp);
/** @returns After the call: 1 if it succeeded (CONSUME_SUCCESS, or SUCCESS
 *           or COMMIT for orderly), else 0. */
RMQ_EXPORT int
rmq_consume_hook_context_success(const rmq_consume_hook_context_t *ctx);
/** @returns After the call: the status name ("CONSUME_SUCCESS",
 *           "RECONSUME_LATER", "SUCCESS", ...), NULL before. */
RMQ_EXPORT const char *
rmq_consume_hook_context_status(const rmq_consume_hook_context_t *ctx);
/** @returns After the call: Java's ConsumeReturnType name ("SUCCESS",
 *           "TIME_OUT", "FAILED", "RETURNNULL", "EXCEPTION"), NULL before. */
RMQ_EXPORT const char *
rmq_consume_hook_context_return_type(const rmq_consume_hook_context_t *ctx);
/** @returns The namespace or NULL. */
RMQ_EXPORT const char *
rmq_consume_hook_context_namespace(const rmq_consume_hook_context_t *ctx);

/** @} */

/**
 * @brief Message trace records (SubBefore, SubAfter) dropped by this
 *        consumer (enableMsgTrace): the trace queue (`trace.queueSize`)
 *        was full, or the trace send that carried them failed. See
 *        docs/TRACE.md.
 * @returns The count since start; 0 without tracing.
 * @remark Thread-safe, never blocks.
 */
RMQ_EXPORT int64_t
rmq_push_consumer_trace_dropped(const rmq_push_consumer_t *pcons);

/** @name Other operations
 * @{ */

/**
 * @brief Pause pulling (Java suspend()): no new pull starts (those in
 *        flight complete and their messages are still consumed), the
 *        rebalance stops until rmq_push_consumer_resume().
 */
RMQ_EXPORT void rmq_push_consumer_suspend(rmq_push_consumer_t *pcons);
/** @brief Resume pulling (Java resume()), with a rebalance at once. */
RMQ_EXPORT void rmq_push_consumer_resume(rmq_push_consumer_t *pcons);
/** @returns 1 while suspended. */
RMQ_EXPORT int rmq_push_consumer_is_suspended(rmq_push_consumer_t *pcons);

/**
 * @brief Send a consumed message back for a retry (Java
 *        sendMessageBack(msg, delayLevel, brokerName)): CONSUMER_SEND_MSG_BACK
 *        to \p broker_name (NULL: the message's store host), falling back to
 *        a send to the group's retry topic as Java does.
 * @remark Blocks up to 5 s. From a listener too.
 */
RMQ_EXPORT rmq_err_t rmq_push_consumer_send_message_back(
    rmq_push_consumer_t *pcons, const rmq_message_ext_t *mx, int delay_level,
    const char *broker_name, char *errstr, size_t errstr_size);

/**
 * @brief The readable queues of \p topic (Java
 *        fetchSubscribeMessageQueues), the route fetched if unknown.
 * @param mqsp Receives an array of \p *cntp queues; free it with
 *             rmq_message_queues_destroy() (rmq_producer.h).
 * @returns RMQ_OK, RMQ_ERR__STATE before start, or the route error.
 */
RMQ_EXPORT rmq_err_t rmq_push_consumer_fetch_subscribe_message_queues(
    rmq_push_consumer_t *pcons, const char *topic, rmq_message_queue_t ***mqsp,
    size_t *cntp, char *errstr, size_t errstr_size);

/** @returns The consumer group (without the namespace). */
RMQ_EXPORT const char *
rmq_push_consumer_group(const rmq_push_consumer_t *pcons);
/** @returns The client id (`ip@instanceName`) after start, else NULL. */
RMQ_EXPORT const char *
rmq_push_consumer_client_id(const rmq_push_consumer_t *pcons);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RMQ_PUSH_CONSUMER_H */
