/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MQClientAPIImpl's requests besides sends (4.9.8): one function per RPC,
 * each with the request header Java writes (makeCustomHeaderToNet: every
 * non-null field, the superclass's bname included; primitive fields
 * always).
 */
#include <stdio.h>

#include "client/rmq_client.h"
#include "client/rmq_client_api.h"
#include "protocol/rmq_heartbeat.h"
#include "protocol/rmq_jsonw.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"

/* RemotingCommand.createRequestCommand with the client's language and
 * serialize type. */
static rmq_cmd_t *new_request(const rmq_conf_t *conf, int32_t code) {
        rmq_cmd_t *req      = rmq__cmd_new_request(code);
        req->language       = (int32_t)conf->language;
        req->serialize_type = (int32_t)conf->serializeType;
        return req;
}

static void add_str(rmq_cmd_t *req, const char *key, const char *v) {
        if (v)
                rmq__cmd_ext_append(req, key, v, strlen(v));
}

/* MixAll.brokerVIPChannel */
static void vip(const rmq_conf_t *conf, const char *addr, char *dst,
                size_t size) {
        rmq__strlcpy(dst, addr, size);
        rmq__broker_vip_addr(conf->vipChannelEnabled, dst, size);
}

/* MQBrokerException's message. */
static rmq_err_t broker_error(const rmq_cmd_t *resp, const char *addr,
                              char *errstr, size_t errstr_size) {
        return rmq__seterr(errstr, errstr_size, (rmq_err_t)resp->code,
                           "CODE: %d  DESC: %s, BROKER: %s", resp->code,
                           resp->remark ? resp->remark : "null", addr);
}

/* invokeSync to \p addr (its VIP port when \p use_vip and enabled),
 * taking \p req. RMQ_OK with a SUCCESS response in \p respp, or the
 * error. */
static rmq_err_t call_sync(rmq_client_t *ci, const char *addr, bool use_vip,
                           rmq_cmd_t *req, int64_t timeout_ms,
                           rmq_cmd_t **respp, char *errstr,
                           size_t errstr_size) {
        const rmq_conf_t *conf = rmq__client_conf(ci);
        char to[128];
        rmq_cmd_t *resp = NULL;
        rmq_err_t err;
        *respp = NULL;
        if (use_vip)
                vip(conf, addr, to, sizeof(to));
        else
                rmq__strlcpy(to, addr, sizeof(to));
        err = rmq__remoting_invoke_sync(rmq__client_remoting(ci), to, req,
                                        timeout_ms, &resp, errstr, errstr_size);
        rmq__cmd_destroy(req);
        if (err)
                return err;
        if (resp->code != RMQ_OK) {
                err = broker_error(resp, to, errstr, errstr_size);
                rmq__cmd_destroy(resp);
                return err;
        }
        *respp = resp;
        return RMQ_OK;
}

/* call_sync for a request whose answer carries nothing. */
static rmq_err_t call_sync_ack(rmq_client_t *ci, const char *addr,
                               rmq_cmd_t *req, int64_t timeout_ms, char *errstr,
                               size_t errstr_size) {
        rmq_cmd_t *resp;
        rmq_err_t err = call_sync(ci, addr, true, req, timeout_ms, &resp,
                                  errstr, errstr_size);
        if (!err)
                rmq__cmd_destroy(resp);
        return err;
}

/* invokeAsync to \p addr (its VIP port when enabled), taking \p req;
 * \p flags as rmq__remoting_invoke_async's. */
static rmq_err_t call_async(rmq_client_t *ci, const char *addr, rmq_cmd_t *req,
                            int64_t timeout_ms, int flags, rmq_invoke_cb_t *cb,
                            void *opaque) {
        char to[128];
        rmq_err_t err;
        vip(rmq__client_conf(ci), addr, to, sizeof(to));
        err = rmq__remoting_invoke_async(rmq__client_remoting(ci), to, req,
                                         timeout_ms, flags, cb, opaque);
        rmq__cmd_destroy(req);
        return err;
}

/* invokeOneway to \p to, taking \p req; \p what names the request in
 * \p errstr. */
static rmq_err_t call_oneway(rmq_client_t *ci, const char *to, rmq_cmd_t *req,
                             int64_t timeout_ms, const char *what, char *errstr,
                             size_t errstr_size) {
        rmq_err_t err = rmq__remoting_invoke_oneway(rmq__client_remoting(ci),
                                                    to, req, timeout_ms);
        rmq__cmd_destroy(req);
        if (err)
                rmq__seterr(errstr, errstr_size, err,
                            "cannot send %s to %s: %s", what, to,
                            rmq_err2str(err));
        return err;
}

/* A required number from a response header. */
static rmq_err_t resp_i64(const rmq_cmd_t *resp, const char *key, int64_t *out,
                          char *errstr, size_t errstr_size) {
        if (rmq__cmd_ext_i64(resp, key, out))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "the response has no valid \"%s\"", key);
        return RMQ_OK;
}

/* ---- heartbeat and unregister ---- */

rmq_cmd_t *rmq__api_heartbeat_request(const rmq_conf_t *conf, const void *body,
                                      size_t len) {
        rmq_cmd_t *req = new_request(conf, RMQ_REQ_HEART_BEAT);
        rmq__cmd_set_body_ref(req, body, len);
        return req;
}

rmq_cmd_t *rmq__api_unregister_client_request(const rmq_conf_t *conf,
                                              const char *clientID,
                                              const char *producerGroup,
                                              const char *consumerGroup) {
        rmq_cmd_t *req = new_request(conf, RMQ_REQ_UNREGISTER_CLIENT);
        add_str(req, "clientID", clientID);
        add_str(req, "producerGroup", producerGroup);
        add_str(req, "consumerGroup", consumerGroup);
        return req;
}

/* ---- pull ---- */

rmq_cmd_t *rmq__api_pull_request(const rmq_conf_t *conf,
                                 const rmq_pull_header_t *h) {
        rmq_cmd_t *req = new_request(conf, RMQ_REQ_PULL_MESSAGE);
        add_str(req, "consumerGroup", h->consumerGroup);
        add_str(req, "topic", h->topic);
        rmq__cmd_ext_append_i64(req, "queueId", h->queueId);
        rmq__cmd_ext_append_i64(req, "queueOffset", h->queueOffset);
        rmq__cmd_ext_append_i64(req, "maxMsgNums", h->maxMsgNums);
        rmq__cmd_ext_append_i64(req, "sysFlag", h->sysFlag);
        rmq__cmd_ext_append_i64(req, "commitOffset", h->commitOffset);
        rmq__cmd_ext_append_i64(req, "suspendTimeoutMillis",
                                h->suspendTimeoutMillis);
        add_str(req, "subscription", h->subscription);
        rmq__cmd_ext_append_i64(req, "subVersion", h->subVersion);
        add_str(req, "expressionType", h->expressionType);
        add_str(req, "bname", h->bname);
        return req;
}

rmq_err_t rmq__api_process_pull_response(rmq_cmd_t *resp, const char *addr,
                                         rmq_pull_result_t *res, char *errstr,
                                         size_t errstr_size) {
        memset(res, 0, sizeof(*res));
        switch (resp->code) {
        case RMQ_OK:
                res->status = RMQ_PULL_FOUND;
                break;
        case RMQ_ERR_PULL_NOT_FOUND:
                res->status = RMQ_PULL_NO_NEW_MSG;
                break;
        case RMQ_ERR_PULL_RETRY_IMMEDIATELY:
                res->status = RMQ_PULL_NO_MATCHED_MSG;
                break;
        case RMQ_ERR_PULL_OFFSET_MOVED:
                res->status = RMQ_PULL_OFFSET_ILLEGAL;
                break;
        default:
                return broker_error(resp, addr, errstr, errstr_size);
        }
        /* PullMessageResponseHeader: all four are @CFNotNull */
        if (resp_i64(resp, "nextBeginOffset", &res->nextBeginOffset, errstr,
                     errstr_size) ||
            resp_i64(resp, "minOffset", &res->minOffset, errstr, errstr_size) ||
            resp_i64(resp, "maxOffset", &res->maxOffset, errstr, errstr_size) ||
            resp_i64(resp, "suggestWhichBrokerId", &res->suggestWhichBrokerId,
                     errstr, errstr_size))
                return RMQ_ERR__BAD_MSG;
        if (resp->body)
                res->storage =
                    rmq__cmd_take_body(resp, &res->body, &res->body_len);
        return RMQ_OK;
}

typedef struct pull_ctx_s {
        rmq_pull_cb_t *cb;
        void *opaque;
        char addr[96];
} pull_ctx_t;

static void pull_done(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                      void *opaque) {
        pull_ctx_t *pc = opaque;
        rmq_pull_result_t res;
        char buf[512];
        if (err) {
                pc->cb(err, NULL, errstr, pc->opaque);
        } else if ((err = rmq__api_process_pull_response(resp, pc->addr, &res,
                                                         buf, sizeof(buf)))) {
                pc->cb(err, NULL, buf, pc->opaque);
        } else {
                pc->cb(RMQ_OK, &res, NULL, pc->opaque);
        }
        rmq__free(pc);
}

rmq_err_t rmq__api_pull_send(rmq_client_t *ci, const char *addr,
                             rmq_cmd_t *req, int64_t timeout_ms,
                             rmq_pull_cb_t *cb, void *opaque) {
        pull_ctx_t *pc = rmq__malloc(sizeof(*pc));
        rmq_err_t err;
        pc->cb     = cb;
        pc->opaque = opaque;
        /* pullMessageAsync sends to addr as found (no VIP port) */
        rmq__strlcpy(pc->addr, addr, sizeof(pc->addr));
        err = rmq__remoting_invoke_async(rmq__client_remoting(ci), addr, req,
                                         timeout_ms, 0, pull_done, pc);
        if (err)
                rmq__free(pc);
        return err;
}

rmq_err_t rmq__api_pull_async(rmq_client_t *ci, const char *addr,
                              const rmq_pull_header_t *h, int64_t timeout_ms,
                              rmq_pull_cb_t *cb, void *opaque) {
        rmq_cmd_t *req = rmq__api_pull_request(rmq__client_conf(ci), h);
        rmq_err_t err  = rmq__api_pull_send(ci, addr, req, timeout_ms, cb,
                                            opaque);
        rmq__cmd_destroy(req);
        return err;
}

/* ---- consumer offsets ---- */

static void add_queue(rmq_cmd_t *req, const rmq_mq_t *mq) {
        add_str(req, "topic", mq->topic);
        rmq__cmd_ext_append_i64(req, "queueId", mq->queueId);
}

rmq_err_t rmq__api_query_consumer_offset(rmq_client_t *ci, const char *addr,
                                         const char *group, const rmq_mq_t *mq,
                                         int64_t timeout_ms, int64_t *offsetp,
                                         char *errstr, size_t errstr_size) {
        rmq_cmd_t *req =
            new_request(rmq__client_conf(ci), RMQ_REQ_QUERY_CONSUMER_OFFSET);
        rmq_cmd_t *resp;
        rmq_err_t err;
        add_str(req, "consumerGroup", group);
        add_queue(req, mq);
        add_str(req, "bname", mq->brokerName);
        err = call_sync(ci, addr, true, req, timeout_ms, &resp, errstr,
                        errstr_size);
        if (err)
                return err;
        err = resp_i64(resp, "offset", offsetp, errstr, errstr_size);
        rmq__cmd_destroy(resp);
        return err;
}

/* UPDATE_CONSUMER_OFFSET with its UpdateConsumerOffsetRequestHeader, as
 * updateConsumerOffset, updateConsumerOffsetOneway and the async form
 * send it. */
static rmq_cmd_t *update_offset_request(const rmq_conf_t *conf,
                                        const char *group, const rmq_mq_t *mq,
                                        int64_t offset) {
        rmq_cmd_t *req = new_request(conf, RMQ_REQ_UPDATE_CONSUMER_OFFSET);
        add_str(req, "consumerGroup", group);
        add_queue(req, mq);
        rmq__cmd_ext_append_i64(req, "commitOffset", offset);
        add_str(req, "bname", mq->brokerName);
        return req;
}

rmq_err_t rmq__api_update_consumer_offset(rmq_client_t *ci, const char *addr,
                                          const char *group, const rmq_mq_t *mq,
                                          int64_t offset, bool oneway,
                                          int64_t timeout_ms, char *errstr,
                                          size_t errstr_size) {
        const rmq_conf_t *conf = rmq__client_conf(ci);
        rmq_cmd_t *req         = update_offset_request(conf, group, mq, offset);
        if (oneway) {
                char to[128];
                vip(conf, addr, to, sizeof(to));
                return call_oneway(ci, to, req, timeout_ms,
                                   "UPDATE_CONSUMER_OFFSET", errstr,
                                   errstr_size);
        }
        return call_sync_ack(ci, addr, req, timeout_ms, errstr, errstr_size);
}

rmq_err_t rmq__api_update_consumer_offset_async(
    rmq_client_t *ci, const char *addr, const char *group, const rmq_mq_t *mq,
    int64_t offset, int64_t timeout_ms, rmq_invoke_cb_t *cb, void *opaque) {
        rmq_cmd_t *req =
            update_offset_request(rmq__client_conf(ci), group, mq, offset);
        /* the VIP port, as the synchronous updateConsumerOffset */
        return call_async(ci, addr, req, timeout_ms, 0, cb, opaque);
}

/* ---- rebalance ---- */

rmq_err_t rmq__api_get_consumer_id_list(rmq_client_t *ci, const char *addr,
                                        const char *group, int64_t timeout_ms,
                                        char ***idsp, size_t *np, char *errstr,
                                        size_t errstr_size) {
        rmq_cmd_t *req = new_request(rmq__client_conf(ci),
                                     RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP);
        rmq_cmd_t *resp;
        rmq_err_t err;
        *idsp = NULL;
        *np   = 0;
        add_str(req, "consumerGroup", group);
        err = call_sync(ci, addr, true, req, timeout_ms, &resp, errstr,
                        errstr_size);
        if (err)
                return err;
        if (!resp->body) /* Java: SUCCESS without a body throws */
                err = broker_error(resp, addr, errstr, errstr_size);
        else
                err = rmq__consumer_list_decode(resp->body, resp->body_len,
                                                idsp, np, errstr, errstr_size);
        rmq__cmd_destroy(resp);
        return err;
}

/* mirrors MQClientAPIImpl.checkClientInBroker */
rmq_err_t rmq__api_check_client_in_broker(rmq_client_t *ci, const char *addr,
                                          const char *group,
                                          const char *client_id,
                                          const rmq_subscription_data_t *sd,
                                          int64_t timeout_ms, char *errstr,
                                          size_t errstr_size) {
        rmq_cmd_t *req =
            new_request(rmq__client_conf(ci), RMQ_REQ_CHECK_CLIENT_CONFIG);
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        size_t len;
        uint8_t *data;
        /* CheckClientRequestBody, members sorted as fastjson writes them */
        rmq__jsonw_init(&jw, &b);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_str(&jw, "clientId", client_id);
        rmq__jsonw_str(&jw, "group", group);
        rmq__subscription_write(&jw, "subscriptionData", sd);
        rmq__jsonw_obj_close(&jw);
        data = rmq__buf_steal(&b, &len);
        rmq__cmd_set_body_owned(req, data, len);
        return call_sync_ack(ci, addr, req, timeout_ms, errstr, errstr_size);
}

rmq_err_t rmq__api_lock_batch_mq(rmq_client_t *ci, const char *addr,
                                 const rmq_lock_batch_request_t *body,
                                 int64_t timeout_ms, rmq_mq_t **lockedp,
                                 size_t *np, char *errstr, size_t errstr_size) {
        rmq_cmd_t *req =
            new_request(rmq__client_conf(ci), RMQ_REQ_LOCK_BATCH_MQ);
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_cmd_t *resp;
        rmq_err_t err;
        size_t len;
        uint8_t *data;
        *lockedp = NULL;
        *np      = 0;
        rmq__lock_batch_request_encode(body, &b);
        data = rmq__buf_steal(&b, &len);
        rmq__cmd_set_body_owned(req, data, len);
        err = call_sync(ci, addr, true, req, timeout_ms, &resp, errstr,
                        errstr_size);
        if (err)
                return err;
        err = rmq__lock_batch_response_decode(resp->body, resp->body_len,
                                              lockedp, np, errstr, errstr_size);
        rmq__cmd_destroy(resp);
        return err;
}

rmq_err_t rmq__api_unlock_batch_mq(rmq_client_t *ci, const char *addr,
                                   const rmq_lock_batch_request_t *body,
                                   int64_t timeout_ms, bool oneway,
                                   char *errstr, size_t errstr_size) {
        rmq_cmd_t *req =
            new_request(rmq__client_conf(ci), RMQ_REQ_UNLOCK_BATCH_MQ);
        rmq_buf_t b = RMQ_BUF_INIT;
        size_t len;
        uint8_t *data;
        rmq__lock_batch_request_encode(body, &b);
        data = rmq__buf_steal(&b, &len);
        rmq__cmd_set_body_owned(req, data, len);
        if (oneway) /* unlockBatchMQ oneway goes to addr itself (no VIP) */
                return call_oneway(ci, addr, req, timeout_ms, "UNLOCK_BATCH_MQ",
                                   errstr, errstr_size);
        return call_sync_ack(ci, addr, req, timeout_ms, errstr, errstr_size);
}

/* ---- retries ---- */

rmq_err_t rmq__api_consumer_send_msg_back(
    rmq_client_t *ci, const char *addr, const char *brokerName,
    int64_t commitLogOffset, const char *group, int32_t delayLevel,
    const char *originMsgId, const char *originTopic, int32_t maxReconsumeTimes,
    int64_t timeout_ms, char *errstr, size_t errstr_size) {
        const rmq_conf_t *conf = rmq__client_conf(ci);
        rmq_cmd_t *req = new_request(conf, RMQ_REQ_CONSUMER_SEND_MSG_BACK);
        rmq__cmd_ext_append_i64(req, "offset", commitLogOffset);
        add_str(req, "group", group);
        rmq__cmd_ext_append_i64(req, "delayLevel", delayLevel);
        add_str(req, "originMsgId", originMsgId);
        add_str(req, "originTopic", originTopic);
        /* a primitive boolean: always written */
        rmq__cmd_ext_append(req, "unitMode", conf->unitMode ? "true" : "false",
                            conf->unitMode ? 4 : 5);
        rmq__cmd_ext_append_i64(req, "maxReconsumeTimes", maxReconsumeTimes);
        add_str(req, "bname", brokerName);
        return call_sync_ack(ci, addr, req, timeout_ms, errstr, errstr_size);
}

/* ---- offsets and times of a queue ---- */

/* A request whose header is a queue (topic, queueId, bname) and whose
 * answer is one number under \p field. */
static rmq_err_t queue_query(rmq_client_t *ci, int32_t code, const char *addr,
                             const rmq_mq_t *mq, const int64_t *timestamp,
                             const char *field, int64_t timeout_ms,
                             int64_t *out, char *errstr, size_t errstr_size) {
        rmq_cmd_t *req = new_request(rmq__client_conf(ci), code);
        rmq_cmd_t *resp;
        rmq_err_t err;
        add_queue(req, mq);
        if (timestamp)
                rmq__cmd_ext_append_i64(req, "timestamp", *timestamp);
        add_str(req, "bname", mq->brokerName);
        err = call_sync(ci, addr, true, req, timeout_ms, &resp, errstr,
                        errstr_size);
        if (err)
                return err;
        err = resp_i64(resp, field, out, errstr, errstr_size);
        rmq__cmd_destroy(resp);
        return err;
}

rmq_err_t rmq__api_search_offset(rmq_client_t *ci, const char *addr,
                                 const rmq_mq_t *mq, int64_t timestamp,
                                 int64_t timeout_ms, int64_t *offsetp,
                                 char *errstr, size_t errstr_size) {
        return queue_query(ci, RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP, addr, mq,
                           &timestamp, "offset", timeout_ms, offsetp, errstr,
                           errstr_size);
}

rmq_err_t rmq__api_get_max_offset(rmq_client_t *ci, const char *addr,
                                  const rmq_mq_t *mq, int64_t timeout_ms,
                                  int64_t *offsetp, char *errstr,
                                  size_t errstr_size) {
        return queue_query(ci, RMQ_REQ_GET_MAX_OFFSET, addr, mq, NULL, "offset",
                           timeout_ms, offsetp, errstr, errstr_size);
}

rmq_err_t rmq__api_get_min_offset(rmq_client_t *ci, const char *addr,
                                  const rmq_mq_t *mq, int64_t timeout_ms,
                                  int64_t *offsetp, char *errstr,
                                  size_t errstr_size) {
        return queue_query(ci, RMQ_REQ_GET_MIN_OFFSET, addr, mq, NULL, "offset",
                           timeout_ms, offsetp, errstr, errstr_size);
}

rmq_err_t rmq__api_get_earliest_msg_storetime(
    rmq_client_t *ci, const char *addr, const rmq_mq_t *mq, int64_t timeout_ms,
    int64_t *timestampp, char *errstr, size_t errstr_size) {
        return queue_query(ci, RMQ_REQ_GET_EARLIEST_MSG_STORETIME, addr, mq,
                           NULL, "timestamp", timeout_ms, timestampp, errstr,
                           errstr_size);
}

/* ---- topics ---- */

/* mirrors MQClientAPIImpl.createTopic with MQAdminImpl's TopicConfig */
rmq_err_t rmq__api_create_topic(rmq_client_t *ci, const char *addr,
                                const char *defaultTopic, const char *topic,
                                int32_t queueNums, int32_t topicSysFlag,
                                int64_t timeout_ms, char *errstr,
                                size_t errstr_size) {
        rmq_cmd_t *req =
            new_request(rmq__client_conf(ci), RMQ_REQ_UPDATE_AND_CREATE_TOPIC);
        add_str(req, "topic", topic);
        add_str(req, "defaultTopic", defaultTopic);
        rmq__cmd_ext_append_i64(req, "readQueueNums", queueNums);
        rmq__cmd_ext_append_i64(req, "writeQueueNums", queueNums);
        rmq__cmd_ext_append_i64(req, "perm", RMQ_PERM_READ | RMQ_PERM_WRITE);
        add_str(req, "topicFilterType", "SINGLE_TAG");
        rmq__cmd_ext_append_i64(req, "topicSysFlag", topicSysFlag);
        add_str(req, "order", "false");
        return call_sync_ack(ci, addr, req, timeout_ms, errstr, errstr_size);
}

/* ---- messages ---- */

rmq_err_t rmq__api_view_message(rmq_client_t *ci, const char *addr,
                                int64_t phyoffset, int64_t timeout_ms,
                                rmq_cmd_t **respp, char *errstr,
                                size_t errstr_size) {
        rmq_cmd_t *req =
            new_request(rmq__client_conf(ci), RMQ_REQ_VIEW_MESSAGE_BY_ID);
        rmq__cmd_ext_append_i64(req, "offset", phyoffset);
        return call_sync(ci, addr, true, req, timeout_ms, respp, errstr,
                         errstr_size);
}

rmq_err_t rmq__api_query_message_async(rmq_client_t *ci, const char *addr,
                                       const char *topic, const char *key,
                                       int32_t maxNum, int64_t beginTimestamp,
                                       int64_t endTimestamp, bool unique_key,
                                       int64_t timeout_ms, rmq_invoke_cb_t *cb,
                                       void *opaque) {
        rmq_cmd_t *req =
            new_request(rmq__client_conf(ci), RMQ_REQ_QUERY_MESSAGE);
        add_str(req, "topic", topic);
        add_str(req, "key", key);
        rmq__cmd_ext_append_i64(req, "maxNum", maxNum);
        rmq__cmd_ext_append_i64(req, "beginTimestamp", beginTimestamp);
        rmq__cmd_ext_append_i64(req, "endTimestamp", endTimestamp);
        /* MixAll.UNIQUE_MSG_QUERY_FLAG */
        rmq__cmd_ext_append(req, "_UNIQUE_KEY_QUERY",
                            unique_key ? "true" : "false", unique_key ? 4 : 5);
        /* on the loop: a caller waiting on the callback pool (a send
         * callback) must not keep its own answers from arriving */
        return call_async(ci, addr, req, timeout_ms, RMQ_INVOKE_F_ON_LOOP, cb,
                          opaque);
}

/* ---- transactions ---- */

rmq_err_t rmq__api_end_transaction_oneway(rmq_client_t *ci, const char *addr,
                                          const rmq_end_txn_header_t *h,
                                          const char *remark,
                                          int64_t timeout_ms) {
        rmq_cmd_t *req =
            new_request(rmq__client_conf(ci), RMQ_REQ_END_TRANSACTION);
        rmq_err_t err;
        add_str(req, "producerGroup", h->producerGroup);
        rmq__cmd_ext_append_i64(req, "tranStateTableOffset",
                                h->tranStateTableOffset);
        rmq__cmd_ext_append_i64(req, "commitLogOffset", h->commitLogOffset);
        rmq__cmd_ext_append_i64(req, "commitOrRollback", h->commitOrRollback);
        rmq__cmd_ext_append(req, "fromTransactionCheck",
                            h->fromTransactionCheck ? "true" : "false",
                            h->fromTransactionCheck ? 4 : 5);
        add_str(req, "msgId", h->msgId);
        add_str(req, "transactionId", h->transactionId);
        add_str(req, "bname", h->bname);
        if (remark)
                rmq__cmd_set_remark(req, remark);
        err = rmq__remoting_invoke_oneway(rmq__client_remoting(ci), addr, req,
                                          timeout_ms);
        rmq__cmd_destroy(req);
        return err;
}
