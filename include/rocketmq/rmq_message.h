/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_message.h
 * @brief Outgoing messages (Java org.apache.rocketmq.common.message.Message)
 *        and message queues (MessageQueue).
 *
 * An rmq_message_t belongs to the application: send functions never take it,
 * and it may be reused or destroyed as soon as a send call returns (the
 * library copies or references what it keeps). One thread at a time may
 * modify a message; concurrent reads from several threads are safe once it
 * is no longer modified.
 *
 * A send writes one thing into the message: its message id (UNIQ_KEY),
 * recorded by the first send that accepts it, as Java's send writes
 * UNIQ_KEY into the Message. Every later send of the same message,
 * including a retry by the application after a timeout, carries the same
 * id, so consumers can de-duplicate. Recording is a thread-safe set-once:
 * sends of one message from several threads at once are safe and carry one
 * id. See rmq_message_msg_id().
 */
#ifndef RMQ_MESSAGE_H
#define RMQ_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "rmq_err.h"
#include "rmq_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Messages
 * @{ */

/** Opaque outgoing message. */
typedef struct rmq_message_s rmq_message_t;

/**
 * @brief Create a message for \p topic (may be NULL and set later).
 *
 * As Java's Message constructor, a new message has `WAIT=true`
 * (waitStoreMsgOK) set.
 * @returns A message the caller destroys with rmq_message_destroy().
 * @remark Thread-safe; never fails (aborts on out-of-memory).
 */
RMQ_EXPORT rmq_message_t *rmq_message_new(const char *topic);

/**
 * @brief Free \p msg and release its body (a body given with
 *        rmq_message_set_body_ref() has its free_cb called once no send
 *        references it any longer). NULL-safe.
 */
RMQ_EXPORT void rmq_message_destroy(rmq_message_t *msg);

/**
 * @brief Copy \p msg (topic, flag, properties; the body is shared by
 *        reference, zero-copy). The copy is destroyed independently.
 *
 * The copy is a new message: it has no message id until it is sent (a
 * copy sent next to its original must not look like a duplicate of it).
 */
RMQ_EXPORT rmq_message_t *rmq_message_dup(const rmq_message_t *msg);

/** @brief Set the topic (copied). NULL clears it.
 *  @returns RMQ_OK. */
RMQ_EXPORT rmq_err_t rmq_message_set_topic(rmq_message_t *msg,
                                           const char *topic);
/** @returns The topic or NULL; valid until the topic is changed. */
RMQ_EXPORT const char *rmq_message_topic(const rmq_message_t *msg);

/** @brief Set the TAGS property (Java setTags). NULL removes it. */
RMQ_EXPORT rmq_err_t rmq_message_set_tags(rmq_message_t *msg,
                                          const char *tags);
/** @returns The TAGS property or NULL. */
RMQ_EXPORT const char *rmq_message_tags(const rmq_message_t *msg);

/**
 * @brief Set the KEYS property (Java setKeys(String)). Several keys are
 *        separated by one space. NULL removes it.
 */
RMQ_EXPORT rmq_err_t rmq_message_set_keys(rmq_message_t *msg,
                                          const char *keys);
/** @brief Append one key to KEYS, space-separated (Java
 *         setKeys(Collection)). */
RMQ_EXPORT rmq_err_t rmq_message_add_key(rmq_message_t *msg, const char *key);
/** @returns The KEYS property or NULL. */
RMQ_EXPORT const char *rmq_message_keys(const rmq_message_t *msg);

/**
 * @brief Set the body to a copy of \p len bytes at \p data.
 * @returns RMQ_OK, or RMQ_ERR__INVALID_ARG if data is NULL with len > 0.
 */
RMQ_EXPORT rmq_err_t rmq_message_set_body(rmq_message_t *msg,
                                          const void *data, size_t len);

/** Frees a body given by reference. */
typedef void(rmq_body_free_cb_t)(void *data, size_t len, void *opaque);

/**
 * @brief Set the body to \p data without copying it.
 *
 * \p free_cb (may be NULL) is called exactly once, from any library or
 * application thread, when neither the message nor any send still uses the
 * body, even when this call fails.
 * @returns RMQ_OK, or RMQ_ERR__INVALID_ARG if data is NULL with len > 0.
 */
RMQ_EXPORT rmq_err_t rmq_message_set_body_ref(rmq_message_t *msg, void *data,
                                              size_t len,
                                              rmq_body_free_cb_t *free_cb,
                                              void *opaque);

/** @returns The body (NULL if none) and its length in \p lenp (may be
 *           NULL). */
RMQ_EXPORT const void *rmq_message_body(const rmq_message_t *msg,
                                        size_t *lenp);

/** @brief Set the application flag (Java Message.flag; the broker stores it
 *         and consumers see it). */
RMQ_EXPORT void rmq_message_set_flag(rmq_message_t *msg, int32_t flag);
/** @returns The flag. */
RMQ_EXPORT int32_t rmq_message_flag(const rmq_message_t *msg);

/**
 * @brief Set a user property (Java putUserProperty); name and value are
 *        copied, and a property of that name is replaced.
 *
 * Refused, with RMQ_ERR__INVALID_ARG and nothing changed:
 * - a name the system reserves (Java MessageConst.STRING_HASH_SET of
 *   4.9.8, where Java throws "The Property<name> is used by system"):
 *   TRACE_ON, MSG_REGION, KEYS, TAGS, WAIT, DELAY, RETRY_TOPIC,
 *   REAL_TOPIC, REAL_QID, TRAN_MSG, PGROUP, MIN_OFFSET, MAX_OFFSET,
 *   BUYER_ID, ORIGIN_MESSAGE_ID, TRANSFER_FLAG, CORRECTION_FLAG, MQ2_FLAG,
 *   RECONSUME_TIME, UNIQ_KEY, MAX_RECONSUME_TIMES, CONSUME_START_TIME,
 *   INSTANCE_ID, CORRELATION_ID, REPLY_TO_CLIENT, TTL, ARRIVE_TIME,
 *   PUSH_REPLY_TIME, CLUSTER, MSG_TYPE, INNER_MULTI_QUEUE_OFFSET (use the
 *   dedicated setters: rmq_message_set_tags() and the others);
 * - a NULL or blank name or value (only characters <= ' ', as Java's
 *   trim().isEmpty()).
 *
 * @returns RMQ_OK or RMQ_ERR__INVALID_ARG.
 */
RMQ_EXPORT rmq_err_t rmq_message_put_user_property(rmq_message_t *msg,
                                                   const char *name,
                                                   const char *value);

/**
 * @brief The message id (Java MessageClientIDSetter.getUniqID): the
 *        UNIQ_KEY the first send of this message gave it, as in its send
 *        result (rmq_send_result_msg_id(); for a batch, each message has its
 *        own).
 * @returns The id, or NULL until a send call has validated the message (a
 *          send that fails validation records none; one that fails later,
 *          for instance for want of a route, keeps the id it recorded).
 *          Valid until the message is destroyed; never changes once set.
 * @remark Thread-safe, also during sends of the message on other threads.
 */
RMQ_EXPORT const char *rmq_message_msg_id(const rmq_message_t *msg);

/** @returns The value of any property (user or system), or NULL. The id
 *           that sends record is not a property: see rmq_message_msg_id(). */
RMQ_EXPORT const char *rmq_message_property(const rmq_message_t *msg,
                                            const char *name);

/**
 * @brief Iterate the properties in order: returns 1 and the idx-th
 *        name/value, or 0 past the end.
 */
RMQ_EXPORT int rmq_message_property_at(const rmq_message_t *msg, size_t idx,
                                       const char **namep,
                                       const char **valuep);

/**
 * @brief Delay level 1..18 for the broker's delay levels (1s 5s 10s 30s 1m
 *        2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h); 0 removes it.
 * @returns RMQ_OK or RMQ_ERR__INVALID_ARG for a negative level.
 */
RMQ_EXPORT rmq_err_t rmq_message_set_delay_time_level(rmq_message_t *msg,
                                                      int level);
/** @returns The delay level (0 when none). */
RMQ_EXPORT int rmq_message_delay_time_level(const rmq_message_t *msg);

/** @brief Set WAIT (waitStoreMsgOK): whether the broker answers only after
 *         the message is stored (default true). */
RMQ_EXPORT void rmq_message_set_wait_store_msg_ok(rmq_message_t *msg,
                                                  int wait);
/** @returns WAIT as 1 or 0. */
RMQ_EXPORT int rmq_message_wait_store_msg_ok(const rmq_message_t *msg);

/** @} */

/** @name Message queues
 * @{ */

/** A queue of a topic on one broker (Java MessageQueue). Immutable. */
typedef struct rmq_message_queue_s rmq_message_queue_t;

/** @brief Create a queue handle; the caller destroys it.
 *  @returns NULL if topic or broker_name is NULL or queue_id < 0. */
RMQ_EXPORT rmq_message_queue_t *rmq_message_queue_new(const char *topic,
                                                      const char *broker_name,
                                                      int queue_id);
/** @brief Free a queue created by rmq_message_queue_new(). NULL-safe. */
RMQ_EXPORT void rmq_message_queue_destroy(rmq_message_queue_t *mq);
/** @returns The topic. */
RMQ_EXPORT const char *rmq_message_queue_topic(const rmq_message_queue_t *mq);
/** @returns The broker name. */
RMQ_EXPORT const char *
rmq_message_queue_broker_name(const rmq_message_queue_t *mq);
/** @returns The queue id. */
RMQ_EXPORT int rmq_message_queue_queue_id(const rmq_message_queue_t *mq);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RMQ_MESSAGE_H */
