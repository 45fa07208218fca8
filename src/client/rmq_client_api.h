/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed requests and responses of MQClientAPIImpl (4.9.8), one function
 * per RPC, each with the request header Java sends:
 * - rmq_client_api.c: SEND_MESSAGE / SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE
 *   requests and processSendResponse;
 * - rmq_client_rpc.c: heartbeat and unregister requests, pull (async),
 *   consumer offsets, the consumer list, queue locks, send-back, offset
 *   and time queries, message queries, END_TRANSACTION.
 *
 * The synchronous calls block up to their timeout (never on the I/O
 * thread: RMQ_ERR__WOULD_DEADLOCK) and return RMQ_OK, a local error, or
 * the broker's response code with "CODE: n  DESC: remark" in errstr (Java
 * MQBrokerException). They go to the broker's VIP port where Java does
 * (MixAll.brokerVIPChannel with vipChannelEnabled).
 */
#ifndef RMQ_CLIENT_API_H
#define RMQ_CLIENT_API_H

#include "client/rmq_message_int.h"
#include "protocol/rmq_bodies.h"
#include "remoting/rmq_remoting.h"
#include "rocketmq/rmq_producer.h"

/* SendMessageRequestHeader. */
typedef struct rmq_send_header_s {
        const char *producerGroup;
        const char *topic;
        const char *defaultTopic;
        int32_t defaultTopicQueueNums;
        int32_t queueId;
        int32_t sysFlag;
        int64_t bornTimestamp;
        int32_t flag;
        const char *properties;
        size_t properties_len;
        int32_t reconsumeTimes;
        bool unitMode;
        int32_t maxReconsumeTimes; /* < 0: absent */
        bool batch;
        const char *bname;
        /* A reply (MSG_TYPE=reply): SEND_REPLY_MESSAGE(_V2). */
        bool reply;
        /* The caller knows these need no JSON escaping (checked once:
         * validated names; see rmq__json_plain). */
        bool producerGroup_plain;
        bool topic_plain;
        bool defaultTopic_plain;
        /* Their lengths when the caller knows them (0: strlen). */
        size_t producerGroup_len;
        size_t topic_len;
        size_t defaultTopic_len;
} rmq_send_header_t;

/* Builds the request: SEND_BATCH_MESSAGE for a batch, SEND_MESSAGE_V2 with
 * the compact a..n header when \p smart (sendSmartMsg), else SEND_MESSAGE;
 * for a reply (h->reply) SEND_REPLY_MESSAGE_V2 or SEND_REPLY_MESSAGE.
 * The body and the strings of \p h are referenced, not copied: they must
 * outlive the command. mirrors MQClientAPIImpl.sendMessage and
 * SendMessageRequestHeaderV2.createSendMessageRequestHeaderV2. */
rmq_cmd_t *rmq__api_send_request(const rmq_send_header_t *h, bool smart,
                                 const void *body, size_t body_len);
/* A send request in caller storage: the command and its header as typed
 * fields (rmq__cmd_set_fields: written straight into the frame, no ext
 * strings; materialised only for RPC hooks). */
typedef struct rmq_send_request_s {
        rmq_cmd_t cmd;
        rmq_cmd_field_t fields[14];
} rmq_send_request_t;

/* Builds \p r (rmq__cmd_init_request); release it with
 * rmq__cmd_fini(&r->cmd). The strings of \p h and the body are
 * referenced. */
void rmq__api_send_request_init(rmq_send_request_t *r,
                                const rmq_send_header_t *h, bool smart,
                                const void *body, size_t body_len);

/* The send result (public rmq_send_result_t): one allocation, the strings
 * (and the queue's) stored right behind the struct. */
struct rmq_send_result_s {
        rmq_send_status_t status;
        char *msg_id;
        char *offset_msg_id;
        rmq_message_queue_t mq;
        int64_t queue_offset;
        char *transaction_id;
        char *region_id;
        bool trace_on;
};

/* mirrors MQClientAPIImpl.processSendResponse: RMQ_OK with a new result,
 * or the broker's code with its remark in \p errstr. */
rmq_err_t
rmq__api_process_send_response(const rmq_cmd_t *resp, const char *topic,
                               const char *broker_name, const char *uniq_msg_id,
                               const char *addr, rmq_send_result_t **resultp,
                               char *errstr, size_t errstr_size);

void rmq__send_result_free(rmq_send_result_t *res);

struct rmq_client_s;

/* ---- heartbeat and unregister (MQClientAPIImpl.sendHearbeat,
 * unregisterClient) ---- */

/* A HEART_BEAT request with \p body (referenced: it must outlive the
 * command), language and serialize type from \p conf. */
rmq_cmd_t *rmq__api_heartbeat_request(const rmq_conf_t *conf, const void *body,
                                      size_t len);
/* UNREGISTER_CLIENT (UnregisterClientRequestHeader; NULL groups left
 * out). */
rmq_cmd_t *rmq__api_unregister_client_request(const rmq_conf_t *conf,
                                              const char *clientID,
                                              const char *producerGroup,
                                              const char *consumerGroup);

/* ---- pull (MQClientAPIImpl.pullMessage / processPullResponse) ---- */

/* PullMessageRequestHeader (4.9.8); strings referenced. */
typedef struct rmq_pull_header_s {
        const char *consumerGroup;
        const char *topic;
        int32_t queueId;
        int64_t queueOffset;
        int32_t maxMsgNums;
        int32_t sysFlag;
        int64_t commitOffset;
        int64_t suspendTimeoutMillis;
        const char *subscription; /* NULL: left out */
        int64_t subVersion;
        const char *expressionType; /* NULL: left out */
        const char *bname;          /* the queue's broker name */
} rmq_pull_header_t;

/* PullStatus */
typedef enum rmq_pull_status_e {
        RMQ_PULL_FOUND,
        RMQ_PULL_NO_NEW_MSG,
        RMQ_PULL_NO_MATCHED_MSG,
        RMQ_PULL_OFFSET_ILLEGAL
} rmq_pull_status_t;

/* PullResultExt before its messages are decoded. */
typedef struct rmq_pull_result_s {
        rmq_pull_status_t status;
        int64_t nextBeginOffset;
        int64_t minOffset;
        int64_t maxOffset;
        int64_t suggestWhichBrokerId;
        /* The body (FOUND): \p storage is the memory it lives in, to
         * rmq__free (NULL when the body is a view into a command the
         * result does not own); the callee that takes the result takes
         * storage. */
        void *storage;
        const uint8_t *body;
        size_t body_len;
} rmq_pull_result_t;

/* The PULL_MESSAGE request for \p h. */
rmq_cmd_t *rmq__api_pull_request(const rmq_conf_t *conf,
                                 const rmq_pull_header_t *h);
/* mirrors processPullResponse: RMQ_OK with \p res filled (the body taken
 * out of \p resp into res->storage), or the broker's code (any other than
 * SUCCESS, PULL_NOT_FOUND, PULL_RETRY_IMMEDIATELY, PULL_OFFSET_MOVED) with
 * its remark. */
rmq_err_t rmq__api_process_pull_response(rmq_cmd_t *resp, const char *addr,
                                         rmq_pull_result_t *res, char *errstr,
                                         size_t errstr_size);

/* \p res is NULL when err is not RMQ_OK; otherwise the callee owns
 * res->storage. On the callback pool. */
typedef void(rmq_pull_cb_t)(rmq_err_t err, rmq_pull_result_t *res,
                            const char *errstr, void *opaque);
/* pullMessageAsync. Returns an error (the callback is then not called) or
 * RMQ_OK (it is called exactly once). */
rmq_err_t rmq__api_pull_async(struct rmq_client_s *ci, const char *addr,
                              const rmq_pull_header_t *h, int64_t timeout_ms,
                              rmq_pull_cb_t *cb, void *opaque);

/* The same with a request built by rmq__api_pull_request (the caller
 * keeps and destroys \p req; its opaque identifies the request for
 * rmq__remoting_cancel). */
rmq_err_t rmq__api_pull_send(struct rmq_client_s *ci, const char *addr,
                             rmq_cmd_t *req, int64_t timeout_ms,
                             rmq_pull_cb_t *cb, void *opaque);

/* ---- consumer offsets ---- */

/* queryConsumerOffset (QueryConsumerOffsetRequestHeader). RMQ_OK with the
 * offset, RMQ_ERR_QUERY_NOT_FOUND (22) when the group has none, or
 * another error (a failed request is never "not found"). */
rmq_err_t rmq__api_query_consumer_offset(struct rmq_client_s *ci,
                                         const char *addr, const char *group,
                                         const rmq_mq_t *mq, int64_t timeout_ms,
                                         int64_t *offsetp, char *errstr,
                                         size_t errstr_size);
/* updateConsumerOffset (acknowledged) or updateConsumerOffsetOneway. */
rmq_err_t rmq__api_update_consumer_offset(struct rmq_client_s *ci,
                                          const char *addr, const char *group,
                                          const rmq_mq_t *mq, int64_t offset,
                                          bool oneway, int64_t timeout_ms,
                                          char *errstr, size_t errstr_size);
/* updateConsumerOffset without waiting: the same request (to the VIP port
 * where the synchronous one goes); \p cb gets the raw response (its code
 * is the broker's answer, SUCCESS or an error) or a local error, on the
 * callback pool. Returns an error (the callback is then not called) or
 * RMQ_OK (it is called exactly once, RMQ_ERR__DESTROY at teardown). Never
 * blocks on the answer; any thread. */
rmq_err_t
rmq__api_update_consumer_offset_async(struct rmq_client_s *ci, const char *addr,
                                      const char *group, const rmq_mq_t *mq,
                                      int64_t offset, int64_t timeout_ms,
                                      rmq_invoke_cb_t *cb, void *opaque);

/* ---- rebalance ---- */

/* getConsumerIdListByGroup: the ids as the broker lists them
 * (NULL-terminated, free with rmq__strv_free). */
rmq_err_t rmq__api_get_consumer_id_list(struct rmq_client_s *ci,
                                        const char *addr, const char *group,
                                        int64_t timeout_ms, char ***idsp,
                                        size_t *np, char *errstr,
                                        size_t errstr_size);
/* checkClientInBroker: CHECK_CLIENT_CONFIG with CheckClientRequestBody
 * (can the broker filter by \p sd's expression type?). */
struct rmq_subscription_data_s;
rmq_err_t rmq__api_check_client_in_broker(
    struct rmq_client_s *ci, const char *addr, const char *group,
    const char *client_id, const struct rmq_subscription_data_s *sd,
    int64_t timeout_ms, char *errstr, size_t errstr_size);
/* lockBatchMQ: the queues locked (free with rmq__mq_array_free). */
rmq_err_t rmq__api_lock_batch_mq(struct rmq_client_s *ci, const char *addr,
                                 const rmq_lock_batch_request_t *body,
                                 int64_t timeout_ms, rmq_mq_t **lockedp,
                                 size_t *np, char *errstr, size_t errstr_size);
/* unlockBatchMQ, acknowledged or oneway. */
rmq_err_t rmq__api_unlock_batch_mq(struct rmq_client_s *ci, const char *addr,
                                   const rmq_lock_batch_request_t *body,
                                   int64_t timeout_ms, bool oneway,
                                   char *errstr, size_t errstr_size);

/* ---- retries ---- */

/* consumerSendMessageBack (ConsumerSendMsgBackRequestHeader): the message
 * at \p commitLogOffset, \p originMsgId its msgId, to the retry (or dead
 * letter) topic of \p group. */
rmq_err_t rmq__api_consumer_send_msg_back(
    struct rmq_client_s *ci, const char *addr, const char *brokerName,
    int64_t commitLogOffset, const char *group, int32_t delayLevel,
    const char *originMsgId, const char *originTopic, int32_t maxReconsumeTimes,
    int64_t timeout_ms, char *errstr, size_t errstr_size);

/* ---- offsets and times of a queue (MQAdmin) ---- */

/* searchOffset */
rmq_err_t rmq__api_search_offset(struct rmq_client_s *ci, const char *addr,
                                 const rmq_mq_t *mq, int64_t timestamp,
                                 int64_t timeout_ms, int64_t *offsetp,
                                 char *errstr, size_t errstr_size);
/* getMaxOffset / getMinOffset */
rmq_err_t rmq__api_get_max_offset(struct rmq_client_s *ci, const char *addr,
                                  const rmq_mq_t *mq, int64_t timeout_ms,
                                  int64_t *offsetp, char *errstr,
                                  size_t errstr_size);
rmq_err_t rmq__api_get_min_offset(struct rmq_client_s *ci, const char *addr,
                                  const rmq_mq_t *mq, int64_t timeout_ms,
                                  int64_t *offsetp, char *errstr,
                                  size_t errstr_size);
/* getEarliestMsgStoretime */
rmq_err_t rmq__api_get_earliest_msg_storetime(
    struct rmq_client_s *ci, const char *addr, const rmq_mq_t *mq,
    int64_t timeout_ms, int64_t *timestampp, char *errstr, size_t errstr_size);

/* ---- topics ---- */

/* createTopic: UPDATE_AND_CREATE_TOPIC for \p topic with \p queueNums
 * read and write queues, perm RW, SINGLE_TAG, not ordered (MQAdminImpl's
 * TopicConfig); \p defaultTopic is the createTopic key. */
rmq_err_t rmq__api_create_topic(struct rmq_client_s *ci, const char *addr,
                                const char *defaultTopic, const char *topic,
                                int32_t queueNums, int32_t topicSysFlag,
                                int64_t timeout_ms, char *errstr,
                                size_t errstr_size);

/* ---- messages ---- */

/* viewMessage: the SUCCESS response (its body is the stored message;
 * destroy it with rmq__cmd_destroy). */
rmq_err_t rmq__api_view_message(struct rmq_client_s *ci, const char *addr,
                                int64_t phyoffset, int64_t timeout_ms,
                                rmq_cmd_t **respp, char *errstr,
                                size_t errstr_size);
/* queryMessage (QueryMessageRequestHeader + _UNIQUE_KEY_QUERY), async;
 * \p cb gets the raw response (rmq_invoke_cb_t) on the I/O thread, so that
 * a caller waiting for it on the callback pool cannot block it: \p cb must
 * not block (take the body, signal, return). */
rmq_err_t rmq__api_query_message_async(struct rmq_client_s *ci,
                                       const char *addr, const char *topic,
                                       const char *key, int32_t maxNum,
                                       int64_t beginTimestamp,
                                       int64_t endTimestamp, bool unique_key,
                                       int64_t timeout_ms, rmq_invoke_cb_t *cb,
                                       void *opaque);

/* ---- transactions ---- */

/* EndTransactionRequestHeader (4.9.8); strings referenced. */
typedef struct rmq_end_txn_header_s {
        const char *producerGroup;
        int64_t tranStateTableOffset;
        int64_t commitLogOffset;
        int32_t commitOrRollback; /* RMQ_SYSFLAG_TRANSACTION_* */
        bool fromTransactionCheck;
        const char *msgId;
        const char *transactionId; /* NULL: left out */
        const char *bname;         /* NULL: left out */
} rmq_end_txn_header_t;

/* endTransactionOneway (\p remark may be NULL). */
rmq_err_t rmq__api_end_transaction_oneway(struct rmq_client_s *ci,
                                          const char *addr,
                                          const rmq_end_txn_header_t *h,
                                          const char *remark,
                                          int64_t timeout_ms);

#endif /* RMQ_CLIENT_API_H */
