/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_message_ext.h
 * @brief Received messages (Java org.apache.rocketmq.common.message.MessageExt
 *        as the client sees it: MessageClientExt).
 *
 * A received message is immutable: every getter may be called from any
 * number of threads at once. Messages are zero-copy: one pull response is
 * decoded once into one reference-counted block that holds the response
 * bytes, every message of the response and their strings; a message's body
 * is a view into the response (a compressed body is inflated once, when
 * the response is decoded).
 *
 * Ownership:
 * - A message handed to a listener is borrowed: it is valid until the
 *   listener returns.
 * - rmq_message_ext_retain() keeps it longer; each retain is undone by one
 *   rmq_message_ext_release(), from any thread.
 * - A retained message keeps its whole pull response alive (all the
 *   messages of the response and the response buffer, typically up to
 *   pullBatchSize messages): retain only what you need, release it soon.
 * - Every `const char *` a getter returns is NUL-terminated and valid as
 *   long as the message is (borrowed or retained); never free it.
 *
 * Properties: the names and values the message carries (Java
 * MessageExt.getProperties()), plus MIN_OFFSET and MAX_OFFSET, which the
 * client adds from the pull response (Java PullAPIWrapper.processPullResult).
 * A name that occurs several times on the wire counts once, with its last
 * value (Java's HashMap). A value is truncated at an embedded NUL byte; an
 * entry whose name holds a NUL byte is left out.
 *
 * CONSUME_START_TIME is not a property here. Java's consumer writes it into
 * the message each time a consume attempt starts, and reads it to send back
 * messages whose consumption exceeds consumeTimeout; the library keeps that
 * time in a separate field (a string property that changes while other
 * threads read it would be a data race or would need an allocation per
 * attempt), so rmq_message_ext_property() answers NULL for it and
 * rmq_message_ext_property_at() never lists it.
 */
#ifndef RMQ_MESSAGE_EXT_H
#define RMQ_MESSAGE_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "rmq_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Received messages
 * @{ */

/** Opaque received message (Java MessageExt / MessageClientExt). */
typedef struct rmq_message_ext_s rmq_message_ext_t;

/**
 * @brief The topic (Java getTopic()).
 *
 * For a message the push consumer redelivers from its retry topic
 * (`%RETRY%<group>`), this is the original topic (RETRY_TOPIC property), as
 * Java's DefaultMQPushConsumerImpl.resetRetryAndNamespace sets it; with a
 * namespace configured, the namespace is removed.
 * @returns The topic, never NULL. Thread-safe; never fails.
 */
RMQ_EXPORT const char *rmq_message_ext_topic(const rmq_message_ext_t *mx);

/** @returns The TAGS property or NULL (Java getTags()). Thread-safe. */
RMQ_EXPORT const char *rmq_message_ext_tags(const rmq_message_ext_t *mx);

/** @returns The KEYS property (several keys separated by one blank) or
 *           NULL (Java getKeys()). Thread-safe. */
RMQ_EXPORT const char *rmq_message_ext_keys(const rmq_message_ext_t *mx);

/**
 * @brief The body (Java getBody()), inflated if the sender compressed it.
 *
 * @param lenp  Receives the length in bytes (may be NULL).
 * @returns A view of the body, valid while the message is; NULL (and a
 *          length of 0) for an empty body, as Java's getBody() is null.
 * @remark Thread-safe; never fails.
 */
RMQ_EXPORT const void *rmq_message_ext_body(const rmq_message_ext_t *mx,
                                            size_t *lenp);

/**
 * @brief The message id (Java MessageClientExt.getMsgId()): the UNIQ_KEY
 *        property the producer set if present, else the offset message id.
 * @returns The id, never NULL. Thread-safe.
 */
RMQ_EXPORT const char *rmq_message_ext_msg_id(const rmq_message_ext_t *mx);

/**
 * @brief The offset message id (Java MessageClientExt.getOffsetMsgId()):
 *        upper-case hex of the store host address, its port and the commit
 *        log offset; 32 characters for an IPv4 store host, 56 for IPv6.
 * @returns The id, never NULL. Thread-safe.
 */
RMQ_EXPORT const char *
rmq_message_ext_offset_msg_id(const rmq_message_ext_t *mx);

/** @returns The queue id (Java getQueueId()). */
RMQ_EXPORT int32_t rmq_message_ext_queue_id(const rmq_message_ext_t *mx);

/** @returns The name of the broker the message was pulled from (Java
 *           getBrokerName()), or NULL when the library did not set one. */
RMQ_EXPORT const char *rmq_message_ext_broker_name(const rmq_message_ext_t *mx);

/** @returns The offset in its queue (Java getQueueOffset()). */
RMQ_EXPORT int64_t rmq_message_ext_queue_offset(const rmq_message_ext_t *mx);

/** @returns The offset in the broker's commit log (Java
 *           getCommitLogOffset()). */
RMQ_EXPORT int64_t
rmq_message_ext_commit_log_offset(const rmq_message_ext_t *mx);

/** @returns When the producer created it, in ms since the epoch (Java
 *           getBornTimestamp()). */
RMQ_EXPORT int64_t rmq_message_ext_born_timestamp(const rmq_message_ext_t *mx);

/** @returns When the broker stored it, in ms since the epoch (Java
 *           getStoreTimestamp()). */
RMQ_EXPORT int64_t rmq_message_ext_store_timestamp(const rmq_message_ext_t *mx);

/**
 * @brief The producer's address as the broker saw it (Java getBornHost()),
 *        "ip:port"; an IPv6 address is written as Java's
 *        Inet6Address.getHostAddress() writes it (eight groups, no "::").
 * @returns The address, never NULL. Thread-safe.
 */
RMQ_EXPORT const char *rmq_message_ext_born_host(const rmq_message_ext_t *mx);

/** @returns The storing broker's address, "ip:port" as
 *           rmq_message_ext_born_host() writes it (Java getStoreHost()). */
RMQ_EXPORT const char *rmq_message_ext_store_host(const rmq_message_ext_t *mx);

/** @returns How many times the message was redelivered after a failed
 *           consume (Java getReconsumeTimes()). */
RMQ_EXPORT int32_t rmq_message_ext_reconsume_times(const rmq_message_ext_t *mx);

/** @returns The system flag as stored (Java getSysFlag(); bit 0 still
 *           says whether the sender compressed the body). */
RMQ_EXPORT int32_t rmq_message_ext_sys_flag(const rmq_message_ext_t *mx);

/** @returns The CRC32 the broker computed over the stored (compressed, if
 *           so) body (Java getBodyCRC()). */
RMQ_EXPORT int32_t rmq_message_ext_body_crc(const rmq_message_ext_t *mx);

/** @returns The application flag the producer set (Java getFlag()). */
RMQ_EXPORT int32_t rmq_message_ext_flag(const rmq_message_ext_t *mx);

/** @returns The size of the stored message in bytes (Java
 *           getStoreSize()). */
RMQ_EXPORT int32_t rmq_message_ext_store_size(const rmq_message_ext_t *mx);

/** @returns The prepared transaction offset (Java
 *           getPreparedTransactionOffset()). */
RMQ_EXPORT int64_t
rmq_message_ext_prepared_transaction_offset(const rmq_message_ext_t *mx);

/**
 * @brief The transaction id (Java getTransactionId()): the UNIQ_KEY of a
 *        transactional message (TRAN_MSG property "true", any case), as
 *        Java's PullAPIWrapper.processPullResult sets it.
 * @returns The id, or NULL for other messages. Thread-safe.
 */
RMQ_EXPORT const char *
rmq_message_ext_transaction_id(const rmq_message_ext_t *mx);

/**
 * @brief The value of property \p name (Java getProperty()).
 *
 * Answers user and system properties, and MIN_OFFSET / MAX_OFFSET of the
 * pull response as decimal strings. Never answers CONSUME_START_TIME (see
 * the file comment).
 * @returns The value, or NULL if absent or \p name is NULL. Thread-safe.
 */
RMQ_EXPORT const char *rmq_message_ext_property(const rmq_message_ext_t *mx,
                                                const char *name);

/** @returns The number of properties rmq_message_ext_property_at()
 *           iterates. */
RMQ_EXPORT size_t rmq_message_ext_property_count(const rmq_message_ext_t *mx);

/**
 * @brief The \p idx-th property (0-based), for iteration.
 *
 * Each name appears once. Costs a walk over the message's properties, so
 * a full iteration is quadratic in their (small) number.
 * @param namep   Receives the name (may be NULL).
 * @param valuep  Receives the value (may be NULL).
 * @returns 1, or 0 when \p idx is past the end (nothing written).
 * @remark Thread-safe.
 */
RMQ_EXPORT int rmq_message_ext_property_at(const rmq_message_ext_t *mx,
                                           size_t idx, const char **namep,
                                           const char **valuep);

/**
 * @brief Keep \p mx after the callback that lent it returns.
 *
 * Takes one reference on the message's pull response (which holds every
 * message of the response): the message and all of its strings stay valid
 * until the matching rmq_message_ext_release().
 * @returns \p mx (as a non-const pointer to release later).
 * @remark Thread-safe (atomic); never fails; does not block.
 */
RMQ_EXPORT rmq_message_ext_t *
rmq_message_ext_retain(const rmq_message_ext_t *mx);

/**
 * @brief Undo one rmq_message_ext_retain(). NULL-safe.
 *
 * The last release of the last message of a pull response frees the
 * response. Never release a message you did not retain.
 * @remark Thread-safe; does not block.
 */
RMQ_EXPORT void rmq_message_ext_release(rmq_message_ext_t *mx);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RMQ_MESSAGE_EXT_H */
