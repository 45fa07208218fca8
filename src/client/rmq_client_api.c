/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "client/rmq_client_api.h"
#include "common/rmq_str.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_names.h"

rmq_cmd_t *rmq__api_send_request(const rmq_send_header_t *h, bool smart,
                                 const void *body, size_t body_len) {
        rmq_cmd_t *cmd;
        bool v2 = smart || h->batch;
        cmd = rmq__cmd_new_request(h->batch ? RMQ_REQ_SEND_BATCH_MESSAGE
                                   : v2     ? RMQ_REQ_SEND_MESSAGE_V2
                                            : RMQ_REQ_SEND_MESSAGE);
        /* Field order as the 4.9.8 client's HashMap writes them. */
        rmq__cmd_ext_append(cmd, v2 ? "a" : "producerGroup", h->producerGroup,
                            strlen(h->producerGroup));
        rmq__cmd_ext_append(cmd, v2 ? "b" : "topic", h->topic,
                            strlen(h->topic));
        rmq__cmd_ext_append(cmd, v2 ? "c" : "defaultTopic", h->defaultTopic,
                            strlen(h->defaultTopic));
        rmq__cmd_ext_append_i64(cmd, v2 ? "d" : "defaultTopicQueueNums",
                                h->defaultTopicQueueNums);
        rmq__cmd_ext_append_i64(cmd, v2 ? "e" : "queueId", h->queueId);
        rmq__cmd_ext_append_i64(cmd, v2 ? "f" : "sysFlag", h->sysFlag);
        rmq__cmd_ext_append_i64(cmd, v2 ? "g" : "bornTimestamp",
                                h->bornTimestamp);
        rmq__cmd_ext_append_i64(cmd, v2 ? "h" : "flag", h->flag);
        if (h->properties)
                rmq__cmd_ext_append(cmd, v2 ? "i" : "properties",
                                    h->properties, h->properties_len);
        rmq__cmd_ext_append_i64(cmd, v2 ? "j" : "reconsumeTimes",
                                h->reconsumeTimes);
        rmq__cmd_ext_append(cmd, v2 ? "k" : "unitMode",
                            h->unitMode ? "true" : "false",
                            h->unitMode ? 4 : 5);
        if (h->maxReconsumeTimes >= 0)
                rmq__cmd_ext_append_i64(cmd, v2 ? "l" : "maxReconsumeTimes",
                                        h->maxReconsumeTimes);
        rmq__cmd_ext_append(cmd, v2 ? "m" : "batch",
                            h->batch ? "true" : "false", h->batch ? 4 : 5);
        if (h->bname)
                rmq__cmd_ext_append(cmd, v2 ? "n" : "bname", h->bname,
                                    strlen(h->bname));
        rmq__cmd_set_body_ref(cmd, body, body_len);
        return cmd;
}

void rmq__send_result_free(rmq_send_result_t *res) {
        if (!res)
                return;
        rmq__free(res->msg_id);
        rmq__free(res->offset_msg_id);
        rmq__mq_clear(&res->mq);
        rmq__free(res->transaction_id);
        rmq__free(res->region_id);
        rmq__free(res);
}

rmq_err_t rmq__api_process_send_response(const rmq_cmd_t *resp,
                                         const char *topic,
                                         const char *broker_name,
                                         const char *uniq_msg_id,
                                         const char *addr,
                                         rmq_send_result_t **resultp,
                                         char *errstr, size_t errstr_size) {
        rmq_send_status_t status;
        rmq_send_result_t *res;
        int32_t qid = 0;
        int64_t off = 0;
        const char *v;
        *resultp = NULL;
        switch (resp->code) {
        case RMQ_ERR_FLUSH_DISK_TIMEOUT:
                status = RMQ_FLUSH_DISK_TIMEOUT;
                break;
        case RMQ_ERR_FLUSH_SLAVE_TIMEOUT:
                status = RMQ_FLUSH_SLAVE_TIMEOUT;
                break;
        case RMQ_ERR_SLAVE_NOT_AVAILABLE:
                status = RMQ_SLAVE_NOT_AVAILABLE;
                break;
        case RMQ_OK:
                status = RMQ_SEND_OK;
                break;
        default:
                /* MQBrokerException */
                return rmq__seterr(errstr, errstr_size, (rmq_err_t)resp->code,
                                   "CODE: %d  DESC: %s  BROKER: %s", resp->code,
                                   resp->remark ? resp->remark : "",
                                   addr ? addr : "");
        }
        if (rmq__cmd_ext_i32(resp, "queueId", &qid) ||
            rmq__cmd_ext_i64(resp, "queueOffset", &off))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "send response from %s lacks queueId or "
                                   "queueOffset",
                                   addr ? addr : "");
        res         = rmq__calloc(1, sizeof(*res));
        res->status = status;
        res->msg_id = rmq__strdup(uniq_msg_id ? uniq_msg_id : "");
        v = rmq__cmd_ext(resp, "msgId");
        res->offset_msg_id = rmq__strdup(v ? v : "");
        rmq__mq_init(&res->mq, topic, broker_name, qid);
        res->queue_offset   = off;
        v                   = rmq__cmd_ext(resp, "transactionId");
        res->transaction_id = v ? rmq__strdup(v) : NULL;
        v                   = rmq__cmd_ext(resp, RMQ_PROP_MSG_REGION);
        res->region_id = rmq__strdup(v && *v ? v : RMQ_DEFAULT_TRACE_REGION_ID);
        v              = rmq__cmd_ext(resp, RMQ_PROP_TRACE_ON);
        res->trace_on  = !(v && !strcmp(v, "false"));
        *resultp       = res;
        return RMQ_OK;
}

/* ---- public accessors ---- */

rmq_send_status_t rmq_send_result_status(const rmq_send_result_t *res) {
        return res->status;
}

const char *rmq_send_result_msg_id(const rmq_send_result_t *res) {
        return res->msg_id;
}

const char *rmq_send_result_offset_msg_id(const rmq_send_result_t *res) {
        return res->offset_msg_id;
}

const rmq_message_queue_t *
rmq_send_result_message_queue(const rmq_send_result_t *res) {
        return &res->mq;
}

int64_t rmq_send_result_queue_offset(const rmq_send_result_t *res) {
        return res->queue_offset;
}

const char *rmq_send_result_transaction_id(const rmq_send_result_t *res) {
        return res->transaction_id;
}

const char *rmq_send_result_region_id(const rmq_send_result_t *res) {
        return res->region_id;
}

int rmq_send_result_trace_on(const rmq_send_result_t *res) {
        return res->trace_on;
}

void rmq_send_result_destroy(rmq_send_result_t *res) {
        rmq__send_result_free(res);
}
