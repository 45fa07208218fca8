/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests brokers send to the client. mirrors ClientRemotingProcessor
 * (processRequest and its handlers) and the MQClientInstance methods they
 * reach (rebalanceImmediately, resetOffset, getConsumerStatus,
 * consumerRunningInfo, consumeMessageDirectly): each request goes to the
 * member that owns it, and is answered as Java answers it when none does.
 * Runs on the callback pool, registered before the instance's first
 * request.
 */
#include <stdio.h>

#include "client/rmq_client_int.h"
#include "client/rmq_request_future.h"
#include "common/rmq_str.h"
#include "protocol/rmq_message_codec.h"

/* The codes Java's MQClientAPIImpl registers its processor for. */
static const int codes[] = {RMQ_REQ_CHECK_TRANSACTION_STATE,
                            RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED,
                            RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET,
                            RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT,
                            RMQ_REQ_GET_CONSUMER_RUNNING_INFO,
                            RMQ_REQ_CONSUME_MESSAGE_DIRECTLY,
                            RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT};

/* RemotingCommand.createResponseCommand(null)'s remark, which Java
 * answers keep (PROTOCOL.md). */
#define JAVA_DEFAULT_REMARK "not set any response code"

/* The PGROUP property of the message in a CHECK_TRANSACTION_STATE body,
 * into \p dst; false if the body is no message or has none. */
static bool check_body_group(const rmq_cmd_t *req, char *dst, size_t size) {
        rmq_msg_view_t mv;
        rmq_rd_t rd;
        const char *v;
        size_t vlen;
        if (!req->body)
                return false;
        rmq__rd_init(&rd, req->body, req->body_len);
        if (rmq__msg_decode_next(&rd, &mv) ||
            rmq__props_get(mv.properties, mv.propertiesLen, RMQ_PROP_PGROUP, &v,
                           &vlen))
                return false;
        if (vlen >= size)
                return false;
        memcpy(dst, v, vlen);
        dst[vlen] = '\0';
        return true;
}

/* Hands \p req to the member of \p kind and \p group; \p *found tells
 * whether there was one. */
static rmq_cmd_t *to_member(rmq_client_t *ci, int kind, const char *group,
                            const char *addr, const rmq_cmd_t *req,
                            bool *found) {
        rmq_member_t *m =
            group ? rmq__client_member_find(ci, kind, group) : NULL;
        rmq_cmd_t *resp = NULL;
        *found          = m != NULL;
        if (!m)
                return NULL;
        if (m->ops->process_request)
                resp = m->ops->process_request(m->impl, addr, req);
        rmq__client_member_unref(ci, m);
        return resp;
}

static rmq_cmd_t *no_group(int32_t code, const char *group) {
        char remark[300];
        snprintf(remark, sizeof(remark),
                 "The Consumer Group <%s> not exist in this consumer",
                 group ? group : "null");
        return rmq__cmd_new_response(code, remark);
}

rmq_cmd_t *rmq__client_answer(rmq_client_t *ci, const char *addr,
                              const rmq_cmd_t *req) {
        rmq_cmd_t *resp = NULL;
        const char *group;
        char pgroup[256];
        bool found;
        switch (req->code) {
        case RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED:
                /* mirrors notifyConsumerIdsChanged */
                rmq__log(&ci->lg, RMQ_LOG_INFO, "REBALANCE",
                         "receive broker's notification[%s], the consumer "
                         "group: %s changed, rebalance immediately",
                         addr,
                         rmq__cmd_ext(req, "consumerGroup")
                             ? rmq__cmd_ext(req, "consumerGroup")
                             : "");
                rmq__client_rebalance_now(ci);
                break;
        case RMQ_REQ_CHECK_TRANSACTION_STATE:
                /* mirrors checkTransactionState: the producer of the
                 * half message's PGROUP answers later, by END_TRANSACTION */
                if (!check_body_group(req, pgroup, sizeof(pgroup))) {
                        rmq__log(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                                 "checkTransactionState, decode message "
                                 "failed or no producer group (from %s)",
                                 addr);
                        break;
                }
                to_member(ci, RMQ_MEMBER_PRODUCER, pgroup, addr, req, &found);
                if (!found)
                        rmq__dbg(&ci->lg, PRODUCER,
                                 "checkTransactionState, pick producer by "
                                 "group[%s] failed",
                                 pgroup);
                break;
        case RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET:
                group = rmq__cmd_ext(req, "group");
                rmq__log(&ci->lg, RMQ_LOG_INFO, "OFFSET",
                         "invoke reset offset operation from broker. "
                         "brokerAddr=%s, topic=%s, group=%s, timestamp=%s",
                         addr,
                         rmq__cmd_ext(req, "topic") ? rmq__cmd_ext(req, "topic")
                                                    : "",
                         group ? group : "",
                         rmq__cmd_ext(req, "timestamp")
                             ? rmq__cmd_ext(req, "timestamp")
                             : "");
                resp = to_member(ci, RMQ_MEMBER_CONSUMER, group, addr, req,
                                 &found);
                if (!found)
                        rmq__log(&ci->lg, RMQ_LOG_INFO, "OFFSET",
                                 "[reset-offset] consumer dose not exist. "
                                 "group=%s",
                                 group ? group : "");
                break;
        case RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT:
                group = rmq__cmd_ext(req, "group");
                resp  = to_member(ci, RMQ_MEMBER_CONSUMER, group, addr, req,
                                  &found);
                if (!found) {
                        /* getConsumerStatus: an empty map */
                        static const char empty[] =
                            "{\"consumerTable\":{},\"messageQueueTable\":{}}";
                        resp =
                            rmq__cmd_new_response(RMQ_OK, JAVA_DEFAULT_REMARK);
                        rmq__cmd_set_body_copy(resp, empty, sizeof(empty) - 1);
                }
                break;
        case RMQ_REQ_GET_CONSUMER_RUNNING_INFO:
        case RMQ_REQ_CONSUME_MESSAGE_DIRECTLY:
                group = rmq__cmd_ext(req, "consumerGroup");
                resp  = to_member(ci, RMQ_MEMBER_CONSUMER, group, addr, req,
                                  &found);
                if (!found)
                        resp = no_group(RMQ_ERR_SYSTEM_ERROR, group);
                break;
        case RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT:
                resp = rmq__req_reply_receive(ci, addr, req);
                break;
        default:
                break;
        }
        if (resp)
                resp->language = (int32_t)ci->conf->language;
        return resp;
}

static void client_processor(rmq_remoting_t *rm, rmq_channel_t *ch,
                             rmq_cmd_t *req, void *opaque) {
        rmq_cmd_t *resp =
            rmq__client_answer(opaque, rmq__channel_addr(ch), req);
        if (resp)
                rmq__remoting_reply(rm, ch, req, resp);
        rmq__cmd_destroy(req);
}

void rmq__client_processor_register(rmq_client_t *ci) {
        size_t i;
        for (i = 0; i < RMQ_ARRAY_SIZE(codes); i++)
                rmq__remoting_register_processor(ci->rm, codes[i],
                                                 client_processor, ci, false);
}
