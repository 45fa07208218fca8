/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_lite_pull_consumer.h
 * @brief The lite pull consumer (Java DefaultLitePullConsumer).
 *
 * The application asks for messages with rmq_lite_pull_consumer_poll()
 * instead of receiving them in a listener. The consumer pulls ahead in
 * the background (long polling, one pull at a time per queue) into a
 * cache bounded by the flow control thresholds, and poll() hands out what
 * the cache holds, in order per queue.
 *
 * Two modes, as in Java, which cannot be mixed (RMQ_ERR__STATE):
 * - subscribe: topics and tag (or SQL92) expressions; the group's
 *   rebalance gives this consumer its queues (clustering) or all of them
 *   (broadcasting), exactly as for the push consumer;
 * - assign: the application names the queues (no rebalance, no group
 *   coordination); rmq_lite_pull_consumer_seek() and its variants choose
 *   where each starts.
 *
 * Offsets: poll() moves each queue's consumed offset past the messages it
 * returned. With `autoCommit` (default true) the consumed offsets are
 * committed to the offset store every `autoCommitIntervalMillis` (checked
 * at each poll, as Java) and at shutdown; the client instance persists
 * the store every `persistConsumerOffsetInterval` (to the broker in
 * clustering mode, to a local file in broadcasting mode). Without
 * autoCommit, rmq_lite_pull_consumer_commit_sync() and its variants commit.
 * A commit never moves an offset past what poll() returned.
 *
 * Threads: pulls are asynchronous requests on the client instance's I/O
 * loop, started from its pull service (Java's `pullThreadNums` synchronous
 * pull threads are not needed; the property is accepted and ignored).
 * Queue listeners run on the client instance's callback threads or the
 * calling thread as documented, never on the I/O thread and never under a
 * library lock.
 *
 * Thread safety: an rmq_lite_pull_consumer_t is thread-safe; poll() calls
 * from several threads each get whole pulls (Java's poll is synchronized).
 * rmq_lite_pull_consumer_shutdown() and rmq_lite_pull_consumer_destroy()
 * must not be called from one of the consumer's listeners (they return
 * RMQ_ERR__WOULD_DEADLOCK / refuse).
 *
 * Errors: RMQ_OK, a local RMQ_ERR__* code, or a broker response code (> 0);
 * \p errstr (may be NULL) receives the reason.
 */
#ifndef RMQ_LITE_PULL_CONSUMER_H
#define RMQ_LITE_PULL_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "rmq_admin.h"
#include "rmq_conf.h"
#include "rmq_err.h"
#include "rmq_export.h"
#include "rmq_message.h"
#include "rmq_message_ext.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque lite pull consumer handle. */
typedef struct rmq_lite_pull_consumer_s rmq_lite_pull_consumer_t;

/** @name Life cycle
 * @{ */

/**
 * @brief Create a lite pull consumer from \p conf (copied; the caller
 *        keeps and destroys its conf). Opens no sockets.
 *
 * Reads `consumerGroup`, `messageModel`, `consumeFromWhere`, the lite pull
 * properties (`autoCommit`, `autoCommitIntervalMillis`, `pullBatchSize`
 * (10 unless set), `pullThresholdForAll`, `pullThresholdForQueue`,
 * `pullThresholdSizeForQueue`, `consumeMaxSpan`, `pollTimeoutMillis`,
 * `brokerSuspendMaxTimeMillis`, `consumerTimeoutMillisWhenSuspend`,
 * `consumerPullTimeoutMillis`, `topicMetadataCheckIntervalMillis`) and the
 * client ones; docs/CONFIGURATION.md.
 * @returns RMQ_OK or RMQ_ERR__INVALID_ARG with a reason.
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_new(rmq_lite_pull_consumer_t **lpcp,
                                                const rmq_conf_t *conf,
                                                char *errstr,
                                                size_t errstr_size);

/**
 * @brief Start (Java start()): checks the configuration as Java's
 *        checkConfig does, joins the client instance of its clientId, then
 *        (subscribe mode) fetches the routes of the subscribed topics,
 *        sends heartbeats and wakes the rebalance, or (assign mode) starts
 *        pulling the assigned queues.
 * @returns RMQ_OK; RMQ_ERR__STATE if already started, shut down or a start
 *          failed; RMQ_ERR__INVALID_ARG for a configuration Java refuses
 *          or a group another started consumer of this client instance
 *          uses.
 * @remark Blocks up to about mqClientApiTimeout.
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_start(rmq_lite_pull_consumer_t *lpc,
                                                  char *errstr,
                                                  size_t errstr_size);

/**
 * @brief Shut down, deterministically: polls waiting return (with no
 *        message), pulls stop (those in flight are cancelled), with
 *        autoCommit the consumed offsets are committed, offsets are
 *        persisted with acknowledged requests (within mqClientApiTimeout),
 *        the group is unregistered from the brokers. Messages cached but
 *        not polled are dropped (they are pulled again by whoever takes
 *        the queue). Idempotent.
 * @returns RMQ_OK, or RMQ_ERR__WOULD_DEADLOCK from a listener of this
 *          consumer.
 */
RMQ_EXPORT rmq_err_t
rmq_lite_pull_consumer_shutdown(rmq_lite_pull_consumer_t *lpc);

/** @brief Shut down if needed and free. NULL-safe. Messages returned by
 *         poll() stay valid until released. */
RMQ_EXPORT void rmq_lite_pull_consumer_destroy(rmq_lite_pull_consumer_t *lpc);

/** @returns 1 while started and not shut down (Java isRunning()). */
RMQ_EXPORT int rmq_lite_pull_consumer_is_running(rmq_lite_pull_consumer_t *lpc);

/** @returns The consumer group (without the namespace). */
RMQ_EXPORT const char *
rmq_lite_pull_consumer_group(const rmq_lite_pull_consumer_t *lpc);

/** @returns The client id (`ip@instanceName`) after start, else NULL. */
RMQ_EXPORT const char *
rmq_lite_pull_consumer_client_id(const rmq_lite_pull_consumer_t *lpc);

/**
 * @brief Replace the name server list (Java updateNameServerAddress):
 *        "host:port;host:port". Before start it sets `namesrvAddr`.
 * @returns RMQ_OK or RMQ_ERR__INVALID_ARG (a malformed list).
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_update_name_server_address(
    rmq_lite_pull_consumer_t *lpc, const char *addrs, char *errstr,
    size_t errstr_size);

/** @} */

/** @name Subscribe mode
 * @{ */

/**
 * @brief What the rebalance gave this consumer for \p topic (Java
 *        MessageQueueListener.messageQueueChanged): \p all every queue of
 *        the topic, \p mine the ones this consumer now pulls.
 *
 * Called on the client instance's rebalance thread after the consumer
 * updated its assignment, never under a library lock. The arrays are
 * borrowed for the call.
 */
typedef void(rmq_message_queue_listener_cb_t)(
    rmq_lite_pull_consumer_t *lpc, const char *topic,
    const rmq_message_queue_t *const *all, size_t n_all,
    const rmq_message_queue_t *const *mine, size_t n_mine, void *opaque);

/**
 * @brief Subscribe to \p topic with a tag expression ("*" or NULL for
 *        all, or "TagA || TagB"), Java subscribe(topic, subExpression).
 *        After start, a heartbeat tells the brokers at once and a
 *        rebalance follows.
 * @returns RMQ_OK; RMQ_ERR__INVALID_ARG (bad topic or expression);
 *          RMQ_ERR__STATE after rmq_lite_pull_consumer_assign()
 *          ("Subscribe and assign are mutually exclusive.").
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_subscribe(
    rmq_lite_pull_consumer_t *lpc, const char *topic, const char *expression,
    char *errstr, size_t errstr_size);

/** @brief Subscribe with an SQL92 expression (Java
 *         subscribe(topic, MessageSelector.bySql(sql))). */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_subscribe_sql(
    rmq_lite_pull_consumer_t *lpc, const char *topic, const char *sql,
    char *errstr, size_t errstr_size);

/**
 * @brief Subscribe and be told of every rebalance change of the
 *        consumer's queues (Java subscribe(topic, subExpression,
 *        MessageQueueListener)). One listener per consumer: the last one
 *        given is called for every subscribed topic.
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_subscribe_with_listener(
    rmq_lite_pull_consumer_t *lpc, const char *topic, const char *expression,
    rmq_message_queue_listener_cb_t *cb, void *opaque, char *errstr,
    size_t errstr_size);

/** @brief Remove the subscription of \p topic (Java unsubscribe): its
 *         queues stop at once and their cached messages are dropped.
 *  @returns RMQ_OK or RMQ_ERR__NOT_FOUND. */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_unsubscribe(
    rmq_lite_pull_consumer_t *lpc, const char *topic);

/** @} */

/** @name Assign mode
 * @{ */

/**
 * @brief Pull exactly \p mqs (Java assign): queues no longer in the set
 *        stop and their cached messages are dropped; new ones start from
 *        their committed offset (or consumeFromWhere), or where a later
 *        seek puts them.
 * @returns RMQ_OK; RMQ_ERR__INVALID_ARG for an empty set;
 *          RMQ_ERR__STATE after a subscribe.
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_assign(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *const *mqs,
    size_t cnt, char *errstr, size_t errstr_size);

/**
 * @brief The tag expression the assigned queues of \p topic are pulled
 *        with (Java setSubExpressionForAssign; default "*"). Before start
 *        only.
 * @returns RMQ_OK; RMQ_ERR__INVALID_ARG (blank expression);
 *          RMQ_ERR__STATE after start or after a subscribe.
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_set_sub_expression_for_assign(
    rmq_lite_pull_consumer_t *lpc, const char *topic, const char *expression,
    char *errstr, size_t errstr_size);

/** @} */

/** @name Polling
 * @{ */

/**
 * @brief Take the messages of one pull from the cache (Java poll(timeout)),
 *        waiting up to \p timeout_ms for one (-1: `pollTimeoutMillis`).
 *
 * Messages of one queue come in queue order. The queue's consumed offset
 * moves past the returned messages. With autoCommit, a commit of the
 * consumed offsets is due every `autoCommitIntervalMillis`, done here.
 *
 * @param msgsp Receives an array of \p *cntp messages (NULL when none),
 *              each referenced: free the array and the references with
 *              rmq_lite_pull_consumer_poll_release() (a message retained
 *              with rmq_message_ext_retain() outlives it).
 * @returns RMQ_OK (with \p *cntp 0 when the timeout passed, or the
 *          consumer is shutting down); RMQ_ERR__STATE when not running;
 *          RMQ_ERR__INVALID_ARG for a negative timeout other than -1.
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_poll(rmq_lite_pull_consumer_t *lpc,
                                                 int64_t timeout_ms,
                                                 rmq_message_ext_t ***msgsp,
                                                 size_t *cntp);

/**
 * @brief Message trace records (SubBefore, SubAfter of each pull that
 *        found messages) dropped by this consumer (enableMsgTrace): the
 *        trace queue (`trace.queueSize`) was full, or the trace send
 *        that carried them failed. See docs/TRACE.md.
 * @returns The count since start; 0 without tracing.
 * @remark Thread-safe, never blocks.
 */
RMQ_EXPORT int64_t
rmq_lite_pull_consumer_trace_dropped(const rmq_lite_pull_consumer_t *lpc);

/** @brief Free what rmq_lite_pull_consumer_poll() returned. NULL-safe. */
RMQ_EXPORT void rmq_lite_pull_consumer_poll_release(rmq_message_ext_t **msgs,
                                                    size_t cnt);

/** @brief Stop pulling \p mqs (Java pause); cached messages can still be
 *         polled. Queues not assigned are ignored. */
RMQ_EXPORT void
rmq_lite_pull_consumer_pause(rmq_lite_pull_consumer_t *lpc,
                             const rmq_message_queue_t *const *mqs, size_t cnt);

/** @brief Pull \p mqs again (Java resume). */
RMQ_EXPORT void
rmq_lite_pull_consumer_resume(rmq_lite_pull_consumer_t *lpc,
                              const rmq_message_queue_t *const *mqs,
                              size_t cnt);

/**
 * @brief Move \p mq to \p offset (Java seek): its cached messages are
 *        dropped, a pull in flight is cancelled and nothing pulled before
 *        the seek is delivered; the consumed offset becomes \p offset.
 * @returns RMQ_OK; RMQ_ERR__STATE when not running; RMQ_ERR__NOT_FOUND
 *          when \p mq is not assigned ("The message queue is not in
 *          assigned list"); RMQ_ERR__INVALID_ARG when \p offset is outside
 *          [minOffset, maxOffset] of the queue; the broker's error when
 *          those cannot be read.
 * @remark Blocks for two broker queries (min and max offset).
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_seek(rmq_lite_pull_consumer_t *lpc,
                                                 const rmq_message_queue_t *mq,
                                                 int64_t offset, char *errstr,
                                                 size_t errstr_size);

/** @brief Seek to the queue's min offset (Java seekToBegin). */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_seek_to_begin(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *mq, char *errstr,
    size_t errstr_size);

/** @brief Seek to the queue's max offset (Java seekToEnd). */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_seek_to_end(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *mq, char *errstr,
    size_t errstr_size);

/** @} */

/** @name Offsets
 * @{ */

/**
 * @brief Commit the consumed offset of every assigned queue to the offset
 *        store (Java commitSync() / commitAll()); the client instance
 *        persists it within `persistConsumerOffsetInterval` (at once, in
 *        broadcasting mode: the local file).
 * @returns RMQ_OK or RMQ_ERR__STATE when not running.
 */
RMQ_EXPORT rmq_err_t
rmq_lite_pull_consumer_commit_sync(rmq_lite_pull_consumer_t *lpc);

/**
 * @brief Commit explicit offsets (Java commitSync(Map, persist)): each
 *        assigned queue's offset set to \p offsets[i], but never past the
 *        queue's consumed offset (what poll() returned); queues not
 *        assigned, or with nothing polled or sought yet, are skipped. With \p persist the store persists them
 *        at once (acknowledged requests to the brokers).
 * @returns RMQ_OK; RMQ_ERR__STATE when not running; the first persist
 *          error.
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_commit_offsets(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *const *mqs,
    const int64_t *offsets, size_t cnt, int persist, char *errstr,
    size_t errstr_size);

/** @brief Commit the consumed offsets of \p mqs (Java commit(Set,
 *         persist)). */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_commit_queues(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *const *mqs,
    size_t cnt, int persist, char *errstr, size_t errstr_size);

/**
 * @brief The committed offset of \p mq (Java committed): the store's, read
 *        from the broker (clustering) or the file (broadcasting) if not in
 *        memory.
 * @returns RMQ_OK and the offset (-1: none); RMQ_ERR__STATE when not
 *          running; the broker's error ("Fetch consume offset from broker
 *          exception").
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_committed(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *mq,
    int64_t *offsetp, char *errstr, size_t errstr_size);

/**
 * @brief The offset of the message stored nearest \p timestamp ms (Java
 *        offsetForTimestamp / searchOffset, the broker's binary search:
 *        an exact match or the nearer neighbour; the last message's
 *        offset when every message is older).
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_offset_for_timestamp(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *mq,
    int64_t timestamp, int64_t *offsetp, char *errstr, size_t errstr_size);

/** @} */

/** @name Queues
 * @{ */

/**
 * @brief The readable queues of \p topic (Java fetchMessageQueues), the
 *        route fetched if unknown.
 * @param mqsp Receives an array of \p *cntp queues; free it with
 *             rmq_message_queues_destroy().
 * @returns RMQ_OK, RMQ_ERR__STATE when not running, or the route error.
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_fetch_message_queues(
    rmq_lite_pull_consumer_t *lpc, const char *topic,
    rmq_message_queue_t ***mqsp, size_t *cntp, char *errstr,
    size_t errstr_size);

/**
 * @brief The queues this consumer pulls now (Java assignment()).
 * @param mqsp As for rmq_lite_pull_consumer_fetch_message_queues().
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_assignment(
    rmq_lite_pull_consumer_t *lpc, rmq_message_queue_t ***mqsp, size_t *cntp);

/**
 * @brief Told when the readable queues of a topic change (Java
 *        TopicMessageQueueChangeListener.onChanged): \p mqs every queue
 *        of the topic now. Called from the client instance's scheduler
 *        thread every `topicMetadataCheckIntervalMillis` (first after
 *        10 s, as Java) when the set changed; borrowed arrays.
 */
typedef void(rmq_topic_queue_change_cb_t)(rmq_lite_pull_consumer_t *lpc,
                                          const char *topic,
                                          const rmq_message_queue_t *const *mqs,
                                          size_t cnt, void *opaque);

/**
 * @brief Watch the queues of \p topic (Java
 *        registerTopicMessageQueueChangeListener); a second registration
 *        of a topic replaces the first, with a warning.
 * @returns RMQ_OK; RMQ_ERR__INVALID_ARG (NULL topic or callback); after
 *          start, the error of the first fetch of the queues.
 */
RMQ_EXPORT rmq_err_t rmq_lite_pull_consumer_register_topic_queue_change_cb(
    rmq_lite_pull_consumer_t *lpc, const char *topic,
    rmq_topic_queue_change_cb_t *cb, void *opaque, char *errstr,
    size_t errstr_size);

/**
 * @brief The admin handle of \p lpc (Java: the MQAdmin methods of
 *        DefaultLitePullConsumer; rmq_admin.h).
 * @returns The handle (owned by \p lpc, valid until
 *          rmq_lite_pull_consumer_destroy()), or NULL if \p lpc is NULL.
 *          Its calls return RMQ_ERR__STATE unless \p lpc is running.
 * @remark Thread-safe; never blocks.
 */
RMQ_EXPORT rmq_admin_t *
rmq_lite_pull_consumer_admin(rmq_lite_pull_consumer_t *lpc);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LITE_PULL_CONSUMER_H */
