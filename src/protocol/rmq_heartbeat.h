/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HEART_BEAT body and subscriptions.
 *
 * @see Java: HeartbeatData, ProducerData, ConsumerData, SubscriptionData,
 *      ConsumeType, MessageModel, ConsumeFromWhere
 *      (common/.../protocol/heartbeat/), FilterAPI (common/.../filter/).
 */
#ifndef RMQ_HEARTBEAT_H
#define RMQ_HEARTBEAT_H

#include "common/rmq_buf.h"
#include "protocol/rmq_jsonr.h"
#include "protocol/rmq_jsonw.h"

/* Enum values are the Java ordinals; -1 means null (left out of the
 * JSON). The names are distinct from the public API's enums on purpose. */
typedef enum rmq_hb_consume_type_e {
        RMQ_HB_CONSUME_ACTIVELY  = 0, /* pull / lite pull */
        RMQ_HB_CONSUME_PASSIVELY = 1, /* push */
} rmq_hb_consume_type_t;

typedef enum rmq_hb_message_model_e {
        RMQ_HB_BROADCASTING = 0,
        RMQ_HB_CLUSTERING   = 1,
} rmq_hb_message_model_t;

typedef enum rmq_hb_consume_from_e {
        RMQ_HB_CONSUME_FROM_LAST_OFFSET                          = 0,
        RMQ_HB_CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST = 1,
        RMQ_HB_CONSUME_FROM_MIN_OFFSET                           = 2,
        RMQ_HB_CONSUME_FROM_MAX_OFFSET                           = 3,
        RMQ_HB_CONSUME_FROM_FIRST_OFFSET                         = 4,
        RMQ_HB_CONSUME_FROM_TIMESTAMP                            = 5,
} rmq_hb_consume_from_t;

/* Java enum names ("CONSUME_PASSIVELY", ...), NULL for an unknown value;
 * and back (-1 for an unknown name). */
const char *rmq__consume_type_name(int v);
int rmq__consume_type_parse(const char *name);
const char *rmq__message_model_name(int v);
int rmq__message_model_parse(const char *name);
const char *rmq__consume_from_where_name(int v);
int rmq__consume_from_where_parse(const char *name);

/* SubscriptionData.SUB_ALL and ExpressionType */
#define RMQ_SUB_ALL              "*"
#define RMQ_EXPRESSION_TYPE_TAG  "TAG"
#define RMQ_EXPRESSION_TYPE_SQL92 "SQL92"

typedef struct rmq_subscription_data_s {
        bool classFilterMode;
        char *topic;
        char *subString;
        char **tagsSet; /* Java HashSet iteration order when built here */
        size_t tagsSet_cnt;
        int32_t *codeSet; /* String.hashCode of each tag, same order */
        size_t codeSet_cnt;
        int64_t subVersion;
        char *expressionType;
} rmq_subscription_data_t;

/* FilterAPI.build(topic, subString, type): for TAG (or a NULL type) a
 * NULL, "" or "*" expression becomes "*"; otherwise it is split on "||",
 * each part trimmed (String.trim), empty parts dropped, duplicates
 * dropped, and tagsSet/codeSet are put in Java's HashSet order; subString
 * is kept as given. For another type (SQL92) the expression is kept as is
 * and must not be empty. \p subVersion is the caller's clock (Java takes
 * System.currentTimeMillis()).
 * Returns RMQ_OK, or RMQ_ERR__INVALID_ARG (\p sd zeroed) for a NULL topic,
 * an empty non-TAG expression, or a TAG expression made only of "||"
 * ("subString split error"). */
rmq_err_t rmq__subscription_build(rmq_subscription_data_t *sd,
                                  const char *topic, const char *subString,
                                  const char *expressionType,
                                  int64_t subVersion);
void rmq__subscription_copy(rmq_subscription_data_t *dst,
                            const rmq_subscription_data_t *src);
void rmq__subscription_clear(rmq_subscription_data_t *sd);
/* SubscriptionData.equals (subVersion included; sets compare as sets). */
bool rmq__subscription_equal(const rmq_subscription_data_t *a,
                             const rmq_subscription_data_t *b);
/* SubscriptionData.hashCode. */
int32_t rmq__subscription_hash(const rmq_subscription_data_t *sd);
/* Reorders \p n subscriptions into the order a Java consumer's heartbeat
 * lists them: its subscription table (a ConcurrentHashMap keyed by topic)
 * copied into a HashSet<SubscriptionData>; ties within a set bucket keep
 * the map's order. (The map is modelled with HashMap's resize rule, which
 * differs from ConcurrentHashMap's at exactly 12 entries.) */
void rmq__subscription_java_order(rmq_subscription_data_t *subs, size_t n);
/* True if the TAG subscription accepts \p tag (NULL: untagged), as the
 * broker's and client's tag filter: "*" accepts all, else tagsSet must
 * contain it. @see Java: PullAPIWrapper#processPullResult */
bool rmq__subscription_match_tag(const rmq_subscription_data_t *sd,
                                 const char *tag, size_t tag_len);

/* SubscriptionData as fastjson writes it (members sorted; \p key NULL in
 * an array), and read back into a zeroed \p sd (clear it also after a
 * failure; \p what names the element in errors). */
void rmq__subscription_write(rmq_jsonw_t *jw, const char *key,
                             const rmq_subscription_data_t *sd);
void rmq__subscription_read(rmq_jsonr_t *jr, const cJSON *j,
                            rmq_subscription_data_t *sd, const char *what);

typedef struct rmq_producer_data_s {
        char *groupName;
} rmq_producer_data_t;

typedef struct rmq_consumer_data_s {
        char *groupName;
        int consumeType;      /* rmq_hb_consume_type_t or -1 */
        int messageModel;     /* rmq_hb_message_model_t or -1 */
        int consumeFromWhere; /* rmq_hb_consume_from_t or -1 */
        rmq_subscription_data_t *subscriptionDataSet;
        size_t subscriptionDataSet_cnt;
        bool unitMode;
} rmq_consumer_data_t;

typedef struct rmq_heartbeat_data_s {
        char *clientID;
        rmq_producer_data_t *producerDataSet;
        size_t producerDataSet_cnt;
        rmq_consumer_data_t *consumerDataSet;
        size_t consumerDataSet_cnt;
} rmq_heartbeat_data_t;

/* Building (MQClientInstance#prepareHeartbeatData). Everything is
 * copied. */
rmq_heartbeat_data_t *rmq__heartbeat_new(const char *clientID);
void rmq__heartbeat_add_producer(rmq_heartbeat_data_t *hb,
                                 const char *groupName);
rmq_consumer_data_t *rmq__heartbeat_add_consumer(rmq_heartbeat_data_t *hb,
                                                 const char *groupName,
                                                 int consumeType,
                                                 int messageModel,
                                                 int consumeFromWhere,
                                                 bool unitMode);
void rmq__consumer_data_add_subscription(rmq_consumer_data_t *cd,
                                         const rmq_subscription_data_t *sd);
void rmq__heartbeat_destroy(rmq_heartbeat_data_t *hb);

/* Appends the body as fastjson writes it (fixtures 029/031/051/053/060):
 * members alphabetical, sets in the order of the arrays, NULL members and
 * -1 enums left out. */
void rmq__heartbeat_encode(const rmq_heartbeat_data_t *hb, rmq_buf_t *out);
/* Decodes a HEART_BEAT body (for the mock broker). Returns RMQ_OK or
 * RMQ_ERR__BAD_MSG with a reason in \p errstr (not JSON, wrong member
 * types, an unknown enum name, a consumer without groupName). */
rmq_err_t rmq__heartbeat_decode(const void *body, size_t len,
                                rmq_heartbeat_data_t **hbp, char *errstr,
                                size_t errstr_size);

#endif /* RMQ_HEARTBEAT_H */
