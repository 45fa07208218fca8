/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin queries every client offers (Java MQAdmin as MQAdminImpl
 * implements it, 4.9.8): createTopic, searchOffset, maxOffset, minOffset,
 * earliestMsgStoreTime, viewMessage (offset msg id), queryMessage (by key
 * or by unique key, sent to every broker of the topic at once).
 *
 * An rmq_admin_t is a small struct embedded in its owner (producer, push
 * consumer, lite pull consumer): it points at the owner's client instance
 * field, which is NULL until the owner starts, and borrows the owner's
 * conf and logger. The rmq__admin_* functions below take topics with the
 * namespace already applied, as MQAdminImpl receives them from
 * DefaultMQProducer/DefaultMQPushConsumer; the public rmq_admin_*
 * functions (include/rocketmq/rmq_admin.h) apply the owner's namespace
 * and its guard first.
 *
 * Every function blocks (never on the I/O thread: RMQ_ERR__WOULD_DEADLOCK)
 * and may be called from any other thread; none takes a lock across a
 * request.
 *
 * @see Java: MQAdminImpl, MQAdmin, QueryResult
 */
#ifndef RMQ_ADMIN_INT_H
#define RMQ_ADMIN_INT_H

#include "client/rmq_client.h"
#include "client/rmq_message_ext_int.h"
#include "rocketmq/rmq_admin.h"

/* MQAdminImpl.timeoutMillis: every admin request; a QUERY_MESSAGE request
 * gets three times this, and the wait for all brokers' answers four. */
#define RMQ_ADMIN_TIMEOUT_MS 6000

/* Optional guard around each public call (the owner's "state OK" check
 * and in-flight count): enter returns RMQ_OK (leave then follows) or the
 * error to return, with a reason in \p errstr. */
typedef rmq_err_t(rmq_admin_enter_cb_t)(void *owner, char *errstr,
                                        size_t errstr_size);
typedef void(rmq_admin_leave_cb_t)(void *owner);

struct rmq_admin_s {
        /* The owner's client instance field: NULL before start and after
         * shutdown. Read when a call starts. */
        rmq_client_t *const *cip;
        const rmq_conf_t *conf;      /* the owner's (borrowed) */
        const rmq_logger_t *lg;      /* the owner's (borrowed) */
        const char *ns;              /* namespace, NULL or "" for none */
        int64_t timeout_ms;          /* RMQ_ADMIN_TIMEOUT_MS */
        rmq_admin_enter_cb_t *enter; /* NULL: only *cip is checked */
        rmq_admin_leave_cb_t *leave; /* may be NULL */
        void *owner;
};

/* Java QueryResult: the messages each hold one reference on their batch. */
struct rmq_query_result_s {
        int64_t indexLastUpdateTimestamp;
        rmq_message_ext_t **msgs;
        size_t cnt;
};

/* Sets up \p adm for an owner whose client instance will be in *cip once
 * started. \p conf, \p lg and \p ns are borrowed and must outlive \p adm.
 * No guard: a public call checks only that *cip is set. */
void rmq__admin_init(rmq_admin_t *adm, rmq_client_t *const *cip,
                     const rmq_conf_t *conf, const rmq_logger_t *lg,
                     const char *ns);
/* Adds the owner's guard (see rmq_admin_enter_cb_t). */
void rmq__admin_set_guard(rmq_admin_t *adm, rmq_admin_enter_cb_t *enter,
                          rmq_admin_leave_cb_t *leave, void *owner);

/* createTopic(key, newTopic, queueNum, topicSysFlag): UPDATE_AND_CREATE_TOPIC
 * to the master of every broker in the route of \p key, up to 5 tries
 * each; RMQ_OK if one broker at least created it. */
rmq_err_t rmq__admin_create_topic(const rmq_admin_t *adm, const char *key,
                                  const char *new_topic, int queue_num,
                                  int topic_sys_flag, char *errstr,
                                  size_t errstr_size);

/* searchOffset / maxOffset / minOffset / earliestMsgStoreTime of \p mq
 * (its topic with the namespace), at the master of its broker (the
 * topic's route fetched once if the broker is unknown: RMQ_ERR__NO_BROKER
 * if it stays unknown). */
rmq_err_t rmq__admin_search_offset(const rmq_admin_t *adm, const rmq_mq_t *mq,
                                   int64_t timestamp, int64_t *offsetp,
                                   char *errstr, size_t errstr_size);
rmq_err_t rmq__admin_max_offset(const rmq_admin_t *adm, const rmq_mq_t *mq,
                                int64_t *offsetp, char *errstr,
                                size_t errstr_size);
rmq_err_t rmq__admin_min_offset(const rmq_admin_t *adm, const rmq_mq_t *mq,
                                int64_t *offsetp, char *errstr,
                                size_t errstr_size);
rmq_err_t rmq__admin_earliest_msg_store_time(const rmq_admin_t *adm,
                                             const rmq_mq_t *mq,
                                             int64_t *timestampp, char *errstr,
                                             size_t errstr_size);

/* viewMessage(offsetMsgId): VIEW_MESSAGE_BY_ID to the store host the id
 * names. RMQ_OK with a message holding one reference (release it with
 * rmq_message_ext_release), RMQ_ERR_NO_MESSAGE for an id that does not
 * decode, or the transport/broker error. */
rmq_err_t rmq__admin_view_message(const rmq_admin_t *adm, const char *msg_id,
                                  rmq_message_ext_t **mxp, char *errstr,
                                  size_t errstr_size);

/* queryMessage(topic, key, maxNum, begin, end, isUniqKey). RMQ_OK with a
 * result (free with rmq_query_result_destroy; at least one message),
 * RMQ_ERR_NO_MESSAGE when no broker had a matching message,
 * RMQ_ERR_TOPIC_NOT_EXIST when the topic has no route, or the first
 * broker's error when no broker answered at all. */
rmq_err_t rmq__admin_query_message(const rmq_admin_t *adm, const char *topic,
                                   const char *key, int max_num, int64_t begin,
                                   int64_t end, bool uniq_key,
                                   rmq_query_result_t **resultp, char *errstr,
                                   size_t errstr_size);

/* queryMessageByUniqKey(topic, uniqKey): the matching message stored
 * first, from 1 s before the id's time on (one reference, as
 * rmq__admin_view_message). RMQ_ERR__INVALID_ARG for a string that is not
 * a message id. */
rmq_err_t rmq__admin_query_message_by_uniq_key(
    const rmq_admin_t *adm, const char *topic, const char *uniq_key,
    rmq_message_ext_t **mxp, char *errstr, size_t errstr_size);

#endif /* RMQ_ADMIN_INT_H */
