/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MessageQueue and the smaller remoting bodies: lock/unlock batch
 * requests and responses, the consumer id list, and MessageQueue-keyed
 * offset tables.
 *
 * @see Java: MessageQueue (common/.../message/), LockBatchRequestBody,
 *      UnlockBatchRequestBody, LockBatchResponseBody, ResetOffsetBody,
 *      ResetOffsetBodyForC (common/.../protocol/body/),
 *      GetConsumerListByGroupResponseBody (common/.../protocol/header/).
 */
#ifndef RMQ_BODIES_H
#define RMQ_BODIES_H

#include "common/rmq_buf.h"

/* MessageQueue. The same struct is the public rmq_message_queue_t. */
typedef struct rmq_message_queue_s {
        char *topic;
        char *brokerName;
        int32_t queueId;
} rmq_mq_t;

/* Copies the strings. */
void rmq__mq_init(rmq_mq_t *mq, const char *topic, const char *brokerName,
                  int32_t queueId);
void rmq__mq_copy(rmq_mq_t *dst, const rmq_mq_t *src);
void rmq__mq_clear(rmq_mq_t *mq);
/* Clears \p n queues and frees the array (NULL-safe). */
void rmq__mq_array_free(rmq_mq_t *mqs, size_t n);

/* MessageQueue.compareTo: topic, then brokerName, then queueId (strings
 * by bytes, which is Java's order except between supplementary characters
 * and U+E000..U+FFFF). Usable with qsort through rmq__mq_qsort_cmp. */
int rmq__mq_cmp(const rmq_mq_t *a, const rmq_mq_t *b);
int rmq__mq_qsort_cmp(const void *a, const void *b);
/* MessageQueue.equals / hashCode */
bool rmq__mq_equal(const rmq_mq_t *a, const rmq_mq_t *b);
int32_t rmq__mq_hash(const rmq_mq_t *mq);
/* MessageQueue.toString: "MessageQueue [topic=T, brokerName=B, queueId=0]".
 * snprintf semantics. */
int rmq__mq_format(const rmq_mq_t *mq, char *dst, size_t size);
/* Reorders \p n distinct queues as a Java HashSet<MessageQueue> iterates
 * them when filled in this order. */
void rmq__mq_java_order(rmq_mq_t *mqs, size_t n);
/* The members of \p mq as fastjson writes them (brokerName, queueId,
 * topic), into an object the caller opened. */
struct rmq_jsonw_s;
void rmq__mq_json_write(struct rmq_jsonw_s *jw, const rmq_mq_t *mq);

/* LockBatchRequestBody / UnlockBatchRequestBody (same shape; 4.9.8 has no
 * onlyThisBroker member). */
typedef struct rmq_lock_batch_request_s {
        char *consumerGroup;
        char *clientId;
        rmq_mq_t *mqSet;
        size_t mqSet_cnt;
} rmq_lock_batch_request_t;

/* Appends {"clientId":..,"consumerGroup":..,"mqSet":[..]} (fixture 043). */
void rmq__lock_batch_request_encode(const rmq_lock_batch_request_t *req,
                                    rmq_buf_t *out);
/* Fills \p req (clear it with rmq__lock_batch_request_clear, also after a
 * failure). Returns RMQ_OK or RMQ_ERR__BAD_MSG with a reason. */
rmq_err_t rmq__lock_batch_request_decode(const void *body, size_t len,
                                         rmq_lock_batch_request_t *req,
                                         char *errstr, size_t errstr_size);
void rmq__lock_batch_request_clear(rmq_lock_batch_request_t *req);

/* LockBatchResponseBody {"lockOKMQSet":[..]} (fixture 044). The decoded
 * array is freed with rmq__mq_array_free. */
void rmq__lock_batch_response_encode(const rmq_mq_t *mqs, size_t n,
                                     rmq_buf_t *out);
rmq_err_t rmq__lock_batch_response_decode(const void *body, size_t len,
                                          rmq_mq_t **mqsp, size_t *np,
                                          char *errstr, size_t errstr_size);

/* GetConsumerListByGroupResponseBody {"consumerIdList":[..]} (fixture
 * 041). The decoded list is NULL-terminated; free it with rmq__strv_free
 * (common/rmq_net.h). */
void rmq__consumer_list_encode(const char *const *ids, size_t n,
                               rmq_buf_t *out);
rmq_err_t rmq__consumer_list_decode(const void *body, size_t len,
                                    char ***idsp, size_t *np, char *errstr,
                                    size_t errstr_size);

/*
 * MessageQueue-keyed offset tables. fastjson writes Map<MessageQueue, X>
 * with the queue objects as keys: {"offsetTable":{{"brokerName":"b",
 * "queueId":0,"topic":"T"}:5,...}} (ResetOffsetBody, the
 * RESET_CONSUMER_CLIENT_OFFSET body; GetConsumerStatusBody).
 */
typedef struct rmq_mq_offset_s {
        rmq_mq_t mq;
        int64_t offset;
} rmq_mq_offset_t;

/* Appends {"offsetTable":{...}} in the order given. */
void rmq__offset_table_encode(const rmq_mq_offset_t *entries, size_t n,
                              rmq_buf_t *out);
/* Writes \p n entries as a Map<MessageQueue, Long> (fastjson object keys)
 * under member \p key, in the order given. */
void rmq__mq_offset_map_write(struct rmq_jsonw_s *jw, const char *key,
                              const rmq_mq_offset_t *e, size_t n);
/* Reads the MessageQueue-keyed map under member \p table of the body's
 * top-level object. With \p value_field NULL the values must be integers
 * (ResetOffsetBody); otherwise each value is an object and its integer
 * member \p value_field is read (ConsumeStats "offsetTable" with
 * "consumerOffset"/"brokerOffset", ConsumerRunningInfo "mqTable" with
 * "commitOffset"). A list [{"topic","brokerName","queueId","offset"}]
 * (ResetOffsetBodyForC, sent when the admin is a C client) is read too.
 * A missing or null table gives 0 entries. Free with
 * rmq__offset_table_free. Returns RMQ_OK or RMQ_ERR__BAD_MSG. */
rmq_err_t rmq__offset_table_decode(const void *body, size_t len,
                                   const char *table, const char *value_field,
                                   rmq_mq_offset_t **entriesp, size_t *np,
                                   char *errstr, size_t errstr_size);
void rmq__offset_table_free(rmq_mq_offset_t *entries, size_t n);
/* \p v in the order of a Java HashMap keyed by its queues. */
void rmq__mq_offset_java_order(rmq_mq_offset_t *v, size_t n);

#endif /* RMQ_BODIES_H */
