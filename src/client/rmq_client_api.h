/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed requests and responses of MQClientAPIImpl that the producer uses:
 * SEND_MESSAGE / SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE requests and
 * processSendResponse.
 */
#ifndef RMQ_CLIENT_API_H
#define RMQ_CLIENT_API_H

#include "client/rmq_message_int.h"
#include "remoting/rmq_remoting_cmd.h"
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
 * the compact a..n header when \p smart (sendSmartMsg), else SEND_MESSAGE.
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
rmq_err_t rmq__api_process_send_response(const rmq_cmd_t *resp,
                                         const char *topic,
                                         const char *broker_name,
                                         const char *uniq_msg_id,
                                         const char *addr,
                                         rmq_send_result_t **resultp,
                                         char *errstr, size_t errstr_size);

void rmq__send_result_free(rmq_send_result_t *res);

#endif /* RMQ_CLIENT_API_H */
