/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON bodies a consumer answers broker-initiated requests with:
 * ConsumerRunningInfo (GET_CONSUMER_RUNNING_INFO, 307: mqadmin
 * consumerStatus / consumerProgress), ConsumeMessageDirectlyResult
 * (CONSUME_MESSAGE_DIRECTLY, 309) and GetConsumerStatusBody
 * (GET_CONSUMER_STATUS_FROM_CLIENT, 221).
 *
 * Encoded as fastjson 1.2.x writes them in 4.9.8 (RemotingSerializable
 * encode = JSON.toJSONString, no pretty printing): bean properties in
 * alphabetical order, null members left out, maps keyed by MessageQueue
 * written with the queue objects as (non-standard) keys, doubles as Java
 * prints them and NaN/Infinity as null.
 *
 * Ownership: every struct here owns its strings and arrays (rmq__malloc);
 * the _add helpers copy their arguments, _clear frees everything. Not
 * thread-safe: one thread fills, encodes or decodes a struct at a time.
 *
 * @see Java: ConsumerRunningInfo, ProcessQueueInfo, ConsumeStatus,
 *      ConsumeMessageDirectlyResult, CMResult, GetConsumerStatusBody
 *      (common/.../protocol/body/), SubscriptionData
 *      (common/.../protocol/heartbeat/), RemotingSerializable (remoting).
 */
#ifndef RMQ_RUNNING_INFO_H
#define RMQ_RUNNING_INFO_H

#include "common/rmq_buf.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_heartbeat.h"

/* ConsumerRunningInfo property names (the Java constants' values; note
 * PROP_CONSUME_ORDERLY's value has no second underscore). */
#define RMQ_PROP_NAMESERVER_ADDR          "PROP_NAMESERVER_ADDR"
#define RMQ_PROP_THREADPOOL_CORE_SIZE     "PROP_THREADPOOL_CORE_SIZE"
#define RMQ_PROP_CONSUME_ORDERLY          "PROP_CONSUMEORDERLY"
#define RMQ_PROP_CONSUME_TYPE             "PROP_CONSUME_TYPE"
#define RMQ_PROP_CLIENT_VERSION           "PROP_CLIENT_VERSION"
#define RMQ_PROP_CONSUMER_START_TIMESTAMP "PROP_CONSUMER_START_TIMESTAMP"

/* ProcessQueueInfo, Java's field names (and its misspelt "droped"). */
typedef struct rmq_process_queue_info_s {
        int64_t commitOffset;
        int64_t cachedMsgMinOffset;
        int64_t cachedMsgMaxOffset;
        int32_t cachedMsgCount;
        int32_t cachedMsgSizeInMiB;
        int64_t transactionMsgMinOffset;
        int64_t transactionMsgMaxOffset;
        int32_t transactionMsgCount;
        bool locked;
        int64_t tryUnlockTimes;
        int64_t lastLockTimestamp;
        bool droped; /* sic */
        int64_t lastPullTimestamp;
        int64_t lastConsumeTimestamp;
} rmq_process_queue_info_t;

/* ConsumeStatus (what ConsumerStatsManager#consumeStatus computes). Not
 * rmq_consume_status_t: that is the public listener result. */
typedef struct rmq_consume_stat_s {
        double pullRT;
        double pullTPS;
        double consumeRT;
        double consumeOKTPS;
        double consumeFailedTPS;
        int64_t consumeFailedMsgs;
} rmq_consume_stat_t;

/* One java.util.Properties entry. */
typedef struct rmq_running_info_prop_s {
        char *name;
        char *value;
} rmq_running_info_prop_t;

/* One mqTable entry. */
typedef struct rmq_running_info_mq_s {
        rmq_mq_t mq;
        rmq_process_queue_info_t pq;
} rmq_running_info_mq_t;

/* One statusTable entry (key: topic). */
typedef struct rmq_running_info_status_s {
        char *topic;
        rmq_consume_stat_t status;
} rmq_running_info_status_t;

/* ConsumerRunningInfo. The arrays may be in any order: the encoder writes
 * subscriptionSet, mqTable and statusTable sorted as Java's TreeSet /
 * TreeMaps hold them, and properties in the order of the array (fastjson
 * iterates the Properties map; see rmq__running_info_props_java_order). */
typedef struct rmq_consumer_running_info_s {
        rmq_running_info_prop_t *properties;
        size_t properties_cnt;
        rmq_subscription_data_t *subscriptionSet;
        size_t subscriptionSet_cnt;
        rmq_running_info_mq_t *mqTable;
        size_t mqTable_cnt;
        rmq_running_info_status_t *statusTable;
        size_t statusTable_cnt;
        char *jstack; /* NULL: left out (set only for jstackEnable) */
} rmq_consumer_running_info_t;

/* Building (DefaultMQPushConsumerImpl#consumerRunningInfo,
 * MQClientInstance#consumerRunningInfo). Start from a zeroed struct;
 * everything is copied. A property added twice keeps one entry: the first
 * one's position with the last value (Properties.put). */
void rmq__running_info_add_prop(rmq_consumer_running_info_t *info,
                                const char *name, const char *value);
void rmq__running_info_add_subscription(rmq_consumer_running_info_t *info,
                                        const rmq_subscription_data_t *sd);
void rmq__running_info_add_mq(rmq_consumer_running_info_t *info,
                              const rmq_mq_t *mq,
                              const rmq_process_queue_info_t *pq);
void rmq__running_info_add_status(rmq_consumer_running_info_t *info,
                                  const char *topic,
                                  const rmq_consume_stat_t *cs);
void rmq__running_info_set_jstack(rmq_consumer_running_info_t *info,
                                  const char *jstack);
/* Frees everything and zeroes \p info (NULL-safe). */
void rmq__running_info_clear(rmq_consumer_running_info_t *info);

/* Reorders the properties as a java.util.Properties filled in the array's
 * order iterates them on Java 9 and later (fixture 095 was captured on
 * such a JVM): Properties keeps a ConcurrentHashMap(8) there, so the
 * order is by bin (spread(String.hashCode) & (table size - 1)), and
 * within a bin by insertion, as rearranged by each resize's list split.
 * (Bins of 8 or more colliding names, which Java treeifies, are not
 * modelled. Java 8's Hashtable-based Properties iterates in another
 * order.) @see Java: ConcurrentHashMap#putVal, #transfer */
void rmq__running_info_props_java_order(rmq_consumer_running_info_t *info);

/* Appends the body as ConsumerRunningInfo#encode writes it (fixture 095):
 * {"jstack":..,"mqTable":{{mq}:{..},..},"properties":{..},
 *  "statusTable":{"topic":{..}},"subscriptionSet":[..]}. Duplicate keys
 * of the sorted collections are written once, as the Java collections
 * would hold them (TreeMap: the last value; TreeSet: the first element,
 * compared by topic + "@" + subString). */
void rmq__consumer_running_info_encode(const rmq_consumer_running_info_t *info,
                                       rmq_buf_t *out);
/* Decodes such a body into a zeroed \p info, keeping the body's order
 * (clear it with rmq__running_info_clear, also after a failure).
 * Property values that are not strings are kept as their JSON text; a
 * null or missing double reads as 0. Returns RMQ_OK or RMQ_ERR__BAD_MSG
 * with a reason in \p errstr. */
rmq_err_t rmq__consumer_running_info_decode(const void *body, size_t len,
                                            rmq_consumer_running_info_t *info,
                                            char *errstr, size_t errstr_size);

/* CMResult; -1 means null (left out of the JSON). */
typedef enum rmq_cm_result_e {
        RMQ_CR_SUCCESS         = 0,
        RMQ_CR_LATER           = 1,
        RMQ_CR_ROLLBACK        = 2,
        RMQ_CR_COMMIT          = 3,
        RMQ_CR_THROW_EXCEPTION = 4,
        RMQ_CR_RETURN_NULL     = 5,
} rmq_cm_result_t;

/* "CR_SUCCESS", ... or NULL; and back (-1 for an unknown name). */
const char *rmq__cm_result_name(int v);
int rmq__cm_result_parse(const char *name);

/* ConsumeMessageDirectlyResult (Java defaults: order false, autoCommit
 * true). */
typedef struct rmq_consume_directly_result_s {
        bool order;
        bool autoCommit;
        int consumeResult; /* rmq_cm_result_t or -1 */
        char *remark;      /* NULL: left out */
        int64_t spentTimeMills;
} rmq_consume_directly_result_t;

/* Appends {"autoCommit":..,"consumeResult":"CR_..","order":..,
 * "remark":..,"spentTimeMills":..}. */
void rmq__consume_directly_result_encode(
    const rmq_consume_directly_result_t *res, rmq_buf_t *out);
/* Decodes into \p res (free remark with rmq__free, also after a failure).
 * Returns RMQ_OK or RMQ_ERR__BAD_MSG (also for an unknown CMResult). */
rmq_err_t
rmq__consume_directly_result_decode(const void *body, size_t len,
                                    rmq_consume_directly_result_t *res,
                                    char *errstr, size_t errstr_size);

/* One consumerTable entry of GetConsumerStatusBody (keyed by a client id
 * in a broker's aggregate answer). */
typedef struct rmq_consumer_status_group_s {
        const char *group;
        const rmq_mq_offset_t *offsets;
        size_t offsets_cnt;
} rmq_consumer_status_group_t;

/* Appends GetConsumerStatusBody {"consumerTable":{"group":{{mq}:off,..}},
 * "messageQueueTable":{{mq}:off,..}} with every map in the order given
 * (Java's are HashMaps: use rmq__mq_java_order for their order; a Java
 * client answers with an empty consumerTable). Borrowed input. Decode the
 * messageQueueTable with rmq__offset_table_decode(.., "messageQueueTable",
 * NULL, ..). */
void rmq__consumer_status_body_encode(
    const rmq_mq_offset_t *messageQueueTable, size_t messageQueueTable_cnt,
    const rmq_consumer_status_group_t *consumerTable, size_t consumerTable_cnt,
    rmq_buf_t *out);

#endif /* RMQ_RUNNING_INFO_H */
