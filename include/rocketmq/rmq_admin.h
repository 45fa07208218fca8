/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_admin.h
 * @brief The admin queries every client offers (Java MQAdmin, implemented
 *        by MQAdminImpl; DefaultMQProducer and DefaultMQPushConsumer
 *        expose them): create a topic, offsets and store times of a queue,
 *        and looking messages up by offset message id, by unique key (the
 *        msgId of a send result) or by key (the KEYS property).
 *
 * The handle: an rmq_admin_t is borrowed from a producer
 * (rmq_producer_admin()) or a push consumer (rmq_push_consumer_admin()).
 * It is part of its owner: never free it; it stays valid as long as the
 * owner exists (until rmq_producer_destroy() / rmq_push_consumer_destroy()),
 * and its calls work while the owner is started: before rmq_*_start() and
 * after rmq_*_shutdown() they return RMQ_ERR__STATE. The calls use the
 * owner's client instance (connections, routes), its namespace and its
 * `mqClientApiTimeout` for route lookups.
 *
 * Namespace: as in Java, the topics given here (and in a queue) are the
 * user's, without the owner's `namespace`; the library adds it on the wire
 * and removes it from the topics of the messages returned.
 *
 * Thread safety: every function is thread-safe and may be called from any
 * application thread, also from a listener or a send callback; none may be
 * called from the library's I/O thread (RMQ_ERR__WOULD_DEADLOCK; no
 * callback runs there). The owner's shutdown waits for the admin calls in
 * progress; calls made after it begins return RMQ_ERR__STATE. Never call
 * one after the owner is destroyed.
 *
 * Blocking: every call waits for the broker(s): at most 6 s per request
 * (MQAdminImpl's timeoutMillis), plus a route lookup of at most
 * `mqClientApiTimeout` when a route is not known yet;
 * rmq_admin_query_message() asks all brokers of the topic at once and
 * waits at most 24 s in all (each request 18 s), as Java does.
 *
 * Errors: RMQ_OK, a local RMQ_ERR__* code, or a broker or name server
 * response code (> 0) such as RMQ_ERR_TOPIC_NOT_EXIST or
 * RMQ_ERR_NO_MESSAGE; \p errstr (may be NULL) receives the reason,
 * including the broker's remark and address. See docs/ADMIN.md.
 */
#ifndef RMQ_ADMIN_H
#define RMQ_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "rmq_err.h"
#include "rmq_export.h"
#include "rmq_message.h"
#include "rmq_message_ext.h"
#include "rmq_producer.h"
#include "rmq_push_consumer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque admin handle, borrowed from its owner (see above). */
typedef struct rmq_admin_s rmq_admin_t;

/** Result of rmq_admin_query_message() (Java QueryResult). */
typedef struct rmq_query_result_s rmq_query_result_t;

/** @name Getting the handle
 * @{ */

/**
 * @brief The admin handle of \p prod (Java: the MQAdmin methods of
 *        DefaultMQProducer).
 * @returns The handle (owned by \p prod, valid until
 *          rmq_producer_destroy()), or NULL if \p prod is NULL. Its calls
 *          return RMQ_ERR__STATE unless \p prod is started.
 * @remark Thread-safe; never blocks.
 */
RMQ_EXPORT rmq_admin_t *rmq_producer_admin(rmq_producer_t *prod);

/**
 * @brief The admin handle of \p pcons (Java: the MQAdmin methods of
 *        DefaultMQPushConsumer).
 * @returns The handle (owned by \p pcons, valid until
 *          rmq_push_consumer_destroy()), or NULL if \p pcons is NULL. Its
 *          calls return RMQ_ERR__STATE unless \p pcons is started.
 * @remark Thread-safe; never blocks.
 */
RMQ_EXPORT rmq_admin_t *rmq_push_consumer_admin(rmq_push_consumer_t *pcons);

/** @} */

/** @name Topics and queues
 * @{ */

/**
 * @brief Create \p new_topic on every broker that serves \p key (Java
 *        createTopic(key, newTopic, queueNum, topicSysFlag)).
 *
 * Fetches the route of \p key from the name server (usually "TBW102",
 * the `createTopicKey`), then sends UPDATE_AND_CREATE_TOPIC (read and write
 * queues = \p queue_num, perm RW, SINGLE_TAG) to the master of each of its
 * brokers, in broker name order, trying each up to 5 times. The brokers
 * register the topic with the name server, so it may take until their next
 * registration (a real cluster: up to 30 s) before producers see its route.
 *
 * @param key             Topic whose brokers get the new topic (not
 *                        namespaced).
 * @param new_topic       The topic to create, without the namespace.
 * @param queue_num       Read and write queues per broker.
 * @param topic_sys_flag  TopicSysFlag bits; 0 for an ordinary topic (Java
 *                        createTopic(key, newTopic, queueNum)).
 * @returns RMQ_OK when at least one broker created it;
 *          RMQ_ERR__INVALID_ARG for an invalid or system topic name (as
 *          Validators.checkTopic and isSystemTopic) or a NULL argument;
 *          the name server's code (RMQ_ERR_TOPIC_NOT_EXIST: no route for
 *          \p key); RMQ_ERR__NO_BROKER when the route has no master broker;
 *          otherwise the last broker's error; RMQ_ERR__STATE.
 * @remark Thread-safe; blocks (up to 6 s per request).
 */
RMQ_EXPORT rmq_err_t rmq_admin_create_topic(rmq_admin_t *adm, const char *key,
                                            const char *new_topic,
                                            int queue_num, int topic_sys_flag,
                                            char *errstr, size_t errstr_size);

/**
 * @brief The offset of the message of \p mq stored at \p timestamp_ms, or
 *        the nearest one (Java searchOffset(mq, timestamp)), as the broker
 *        finds it in the queue (SEARCH_OFFSET_BY_TIMESTAMP).
 *
 * @param mq       The queue (its topic without the namespace); borrowed.
 * @param offsetp  Receives the offset (not written on failure).
 * @returns RMQ_OK; RMQ_ERR__NO_BROKER when the queue's broker is in no
 *          route (the topic's route is fetched once first); a transport
 *          error (RMQ_ERR__CONNECT, RMQ_ERR__TIMED_OUT, ...) or the
 *          broker's code; RMQ_ERR__STATE; RMQ_ERR__INVALID_ARG for NULL
 *          arguments.
 * @remark Thread-safe; blocks (up to 6 s, plus a route lookup).
 */
RMQ_EXPORT rmq_err_t rmq_admin_search_offset(rmq_admin_t *adm,
                                             const rmq_message_queue_t *mq,
                                             int64_t timestamp_ms,
                                             int64_t *offsetp, char *errstr,
                                             size_t errstr_size);

/**
 * @brief The max offset of \p mq: the offset the next message will get
 *        (Java maxOffset(mq)). Errors as rmq_admin_search_offset().
 */
RMQ_EXPORT rmq_err_t rmq_admin_max_offset(rmq_admin_t *adm,
                                          const rmq_message_queue_t *mq,
                                          int64_t *offsetp, char *errstr,
                                          size_t errstr_size);

/**
 * @brief The min offset of \p mq: its oldest message still stored (Java
 *        minOffset(mq)). Errors as rmq_admin_search_offset().
 */
RMQ_EXPORT rmq_err_t rmq_admin_min_offset(rmq_admin_t *adm,
                                          const rmq_message_queue_t *mq,
                                          int64_t *offsetp, char *errstr,
                                          size_t errstr_size);

/**
 * @brief The store time (ms since the epoch) of the oldest message of
 *        \p mq (Java earliestMsgStoreTime(mq)); a broker answers -1 for a
 *        queue without messages. Errors as rmq_admin_search_offset().
 */
RMQ_EXPORT rmq_err_t rmq_admin_earliest_msg_store_time(
    rmq_admin_t *adm, const rmq_message_queue_t *mq, int64_t *timestampp,
    char *errstr, size_t errstr_size);

/** @} */

/** @name Looking messages up
 * @{ */

/**
 * @brief The message of an offset message id (Java viewMessage(offsetMsgId)):
 *        the id names the broker's store address and the message's commit
 *        log offset; VIEW_MESSAGE_BY_ID goes to that address.
 *
 * @param offset_msg_id  An offset message id (32 or 56 hex digits), e.g.
 *                       rmq_send_result_offset_msg_id() or
 *                       rmq_message_ext_offset_msg_id().
 * @param mxp  Receives the message, with one reference the caller drops
 *             with rmq_message_ext_release() (not written on failure).
 * @returns RMQ_OK; RMQ_ERR_NO_MESSAGE when \p offset_msg_id is not an
 *          offset message id ("query message by id finished, but no
 *          message."); the broker's code when it has no message there (a
 *          4.9 broker answers RMQ_ERR_SYSTEM_ERROR, remark "can not find
 *          message by the offset, N"); a transport error when the address
 *          cannot be reached; RMQ_ERR__STATE; RMQ_ERR__INVALID_ARG.
 * @remark Thread-safe; blocks (up to 6 s).
 */
RMQ_EXPORT rmq_err_t rmq_admin_view_message(rmq_admin_t *adm,
                                            const char *offset_msg_id,
                                            rmq_message_ext_t **mxp,
                                            char *errstr, size_t errstr_size);

/**
 * @brief The message whose id is \p msg_id in \p topic (Java
 *        viewMessage(topic, msgId)): \p msg_id is first tried as an offset
 *        message id (rmq_admin_view_message(); any failure is ignored),
 *        then as the message's unique key, the msgId of a send result
 *        (Java queryMessageByUniqKey: QUERY_MESSAGE with the unique-key
 *        flag to every broker of \p topic, from 1 s before the time the id
 *        carries; of several matches the one stored first).
 *
 * @param topic   The topic, without the namespace.
 * @param msg_id  A unique key or an offset message id.
 * @param mxp     Receives the message, one reference (release it with
 *                rmq_message_ext_release()).
 * @returns RMQ_OK; RMQ_ERR_NO_MESSAGE when no broker has it ("query message
 *          by key finished, but no message."); RMQ_ERR_TOPIC_NOT_EXIST
 *          when \p topic has no route; RMQ_ERR__INVALID_ARG when \p msg_id
 *          is not a message id (32 or 56 hex digits) or an argument is
 *          NULL; a transport error when no broker of the topic could be
 *          asked; RMQ_ERR__STATE.
 * @remark Thread-safe; blocks (up to 6 s, then up to 24 s).
 */
RMQ_EXPORT rmq_err_t rmq_admin_view_message_by_uniq_key(
    rmq_admin_t *adm, const char *topic, const char *msg_id,
    rmq_message_ext_t **mxp, char *errstr, size_t errstr_size);

/**
 * @brief The messages of \p topic whose KEYS contain \p key, stored
 *        between \p begin_ms and \p end_ms (Java queryMessage(topic, key,
 *        maxNum, begin, end)).
 *
 * QUERY_MESSAGE goes to every broker of the topic at once (its master, or
 * a slave when it has none); each broker answers from its index, at most
 * \p max_num messages (a 4.9 broker caps this at 64), the newest. Since the
 * index is a hash, a broker may also return messages of other keys or
 * topics; those are dropped here, as in Java: a message is kept only if
 * its topic is \p topic and one of its blank-separated KEYS equals \p key.
 * The messages of all brokers are concatenated (in route order; within a
 * broker, in commit log order); a broker that fails or times out is left
 * out (logged as a warning).
 *
 * @param max_num   Messages per broker.
 * @param begin_ms  Store time range, ms since the epoch (INT64_MAX as the
 *                  end for "up to now").
 * @param resultp   Receives the result (at least one message); free it
 *                  with rmq_query_result_destroy().
 * @returns RMQ_OK; RMQ_ERR_NO_MESSAGE when no broker had a matching message
 *          ("query message by key finished, but no message.", plus the
 *          brokers that failed, if any); RMQ_ERR_TOPIC_NOT_EXIST when the
 *          topic has no route; the first broker's transport error when no
 *          broker could be asked at all (Java reports NO_MESSAGE then too);
 *          RMQ_ERR__STATE; RMQ_ERR__INVALID_ARG for NULL arguments.
 * @remark Thread-safe; blocks (up to 24 s).
 */
RMQ_EXPORT rmq_err_t rmq_admin_query_message(rmq_admin_t *adm,
                                             const char *topic, const char *key,
                                             int max_num, int64_t begin_ms,
                                             int64_t end_ms,
                                             rmq_query_result_t **resultp,
                                             char *errstr, size_t errstr_size);

/** @returns The number of messages (>= 1). */
RMQ_EXPORT size_t rmq_query_result_count(const rmq_query_result_t *res);

/**
 * @returns The \p i-th message (i < count), borrowed: valid until
 *          rmq_query_result_destroy(); rmq_message_ext_retain() keeps it
 *          longer. NULL when \p i is out of range.
 */
RMQ_EXPORT const rmq_message_ext_t *
rmq_query_result_message(const rmq_query_result_t *res, size_t i);

/** @returns The newest indexLastUpdateTimestamp the brokers answered
 *           (Java QueryResult.getIndexLastUpdateTimestamp()). */
RMQ_EXPORT int64_t
rmq_query_result_index_last_update_timestamp(const rmq_query_result_t *res);

/** @brief Free a result and drop its messages' references. NULL-safe. */
RMQ_EXPORT void rmq_query_result_destroy(rmq_query_result_t *res);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RMQ_ADMIN_H */
