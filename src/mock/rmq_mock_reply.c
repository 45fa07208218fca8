/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325):
 * ReplyMessageProcessor (4.9.8). A responder's reply is checked as a send
 * is (msgCheck), pushed to the requester with PUSH_REPLY_MESSAGE_TO_CLIENT
 * (326) on the channel ProducerManager#findChannel gives for its
 * REPLY_TO_CLIENT property, then stored in its topic when
 * storeReplyMessageEnable is on, and only then answered.
 *
 * The broker waits for the requester's answer in Broker2Client#callClient
 * (invokeSync, 10 s) on its processor thread. The mock must not block its
 * loop: it pushes asynchronously and stores and answers in the callback,
 * which keeps the broker's order (push, store, answer).
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"

/* Broker2Client#callClient */
#define PUSH_TIMEOUT_MS 10000

/* A reply on its way: what processReplyMessageRequest holds while the
 * push is in flight. */
typedef struct reply_s {
        rmq_mock_broker_t *mb;
        rmq_channel_t *ch;   /* the responder's (retained), once pushed */
        rmq_cmd_t *req;      /* the responder's request, once pushed */
        rmq_cmd_t *resp;     /* its answer (SendMessageResponseHeader) */
        rmq_mock_inner_t in; /* msgInner; its body is in the request */
        int32_t qid;         /* queueIdInt */
        char *sender;        /* REPLY_TO_CLIENT */
        int fault;           /* rmq_mock_ctx_t.fault */
} reply_t;

static void reply_free(reply_t *r) {
        rmq__mock_inner_clear(&r->in);
        rmq__free(r->sender);
        if (r->ch)
                rmq__channel_release(r->ch);
        rmq__cmd_destroy(r->req);
        rmq__cmd_destroy(r->resp);
        rmq__free(r);
}

/* mirrors ReplyMessageProcessor#handlePushReplyResult, the store and
 * #handlePutMessageResult. Returns the answer. */
static rmq_cmd_t *reply_finish(reply_t *r, bool push_ok, const char *remark) {
        rmq_mock_broker_t *mb  = r->mb;
        rmq_mock_cluster_t *mc = mb->ep.mc;
        rmq_cmd_t *resp        = r->resp;
        rmq_mock_stored_t *sm  = NULL;
        rmq_mock_put_t st;
        char id[RMQ_OFFSET_MSG_ID_MAX + 1], ex[300];
        r->resp = NULL;
        if (push_ok) {
                resp->code = RMQ_OK;
                rmq__cmd_set_remark(resp, NULL);
                /* "set to zore to avoid client decoding exception" */
                rmq__cmd_ext_add(resp, "msgId", "0");
                rmq__cmd_ext_add_i64(resp, "queueId", r->qid);
                rmq__cmd_ext_add_i64(resp, "queueOffset", 0);
        } else {
                resp->code = RMQ_ERR_SYSTEM_ERROR;
                rmq__cmd_set_remark(resp, remark);
        }
        if (!mc->opts.storeReplyMessageEnable)
                return resp;
        st = rmq__mock_put(mb, &r->in, &sm);
        switch (st) {
        case RMQ_MOCK_PUT_OK:
                rmq__mock_stored_msg_id(sm, id);
                rmq__cmd_ext_add(resp, "msgId", id);
                rmq__cmd_ext_add_i64(resp, "queueId", r->qid);
                rmq__cmd_ext_add_i64(resp, "queueOffset", sm->queue_offset);
                break;
        case RMQ_MOCK_PUT_BAD_DELAY:
                /* Message#getDelayTimeLevel throws in the store: the
                 * processor fails as a whole. */
                snprintf(ex, sizeof(ex),
                         "java.lang.NumberFormatException: For input string: "
                         "\"%s\"",
                         rmq__mock_props_get(&r->in.props, RMQ_PROP_DELAY));
                rmq__cmd_destroy(resp);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, ex);
        default:
                /* Logged only: the answer stays the push's. */
                rmq__log(&mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: reply message to %s not stored", mb->name,
                         r->in.topic);
                break;
        }
        return resp;
}

/* The requester answered the push (or the push failed). */
static void push_done(rmq_err_t err, rmq_cmd_t *presp, const char *errstr,
                      void *opaque) {
        reply_t *r             = opaque;
        rmq_mock_cluster_t *mc = r->mb->ep.mc;
        bool ok                = !err && presp->code == RMQ_OK;
        char remark[400];
        rmq_cmd_t *resp;
        if (mc->stopping) {
                reply_free(r);
                return;
        }
        if (!ok)
                rmq__log(&mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: push reply message to <%s> fail: %s",
                         r->mb->name, r->sender,
                         err ? (errstr ? errstr : rmq_err2str(err))
                             : (presp->remark ? presp->remark : "(no remark)"));
        /* Sic: no space before "fail." */
        snprintf(remark, sizeof(remark), "push reply message to %sfail.",
                 r->sender);
        resp = reply_finish(r, ok, remark);
        rmq__mock_apply_stored_fault(resp, r->fault);
        rmq__mock_reply(&r->mb->ep, r->ch, r->req, resp);
        reply_free(r);
}

/* ReplyMessageRequestHeader: every field is set (bornHost and storeHost
 * as "ip:port"); reconsumeTimes only when the request had it. The
 * properties are the reply's with PUSH_REPLY_TIME. */
static rmq_cmd_t *push_request(rmq_mock_ctx_t *ctx,
                               const rmq_mock_send_hdr_t *sh,
                               const reply_t *r) {
        rmq_cmd_t *push = rmq__cmd_new_request(
            RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT);
        rmq_buf_t props = RMQ_BUF_INIT;
        push->language  = RMQ_LANG_JAVA;
        push->version   = RMQ_MOCK_VERSION;
        rmq__mock_props_encode(&r->in.props, &props);
        rmq__cmd_ext_add(push, "bornHost", rmq__channel_addr(ctx->ch));
        rmq__cmd_ext_add(push, "storeHost", ctx->mb->ep.addr);
        rmq__cmd_ext_add_i64(push, "storeTimestamp", rmq__mock_wall(ctx->mc));
        rmq__cmd_ext_add(push, "producerGroup", sh->producerGroup);
        rmq__cmd_ext_add(push, "topic", sh->topic);
        rmq__cmd_ext_add(push, "defaultTopic", sh->defaultTopic);
        rmq__cmd_ext_add_i64(push, "defaultTopicQueueNums",
                             sh->defaultTopicQueueNums);
        rmq__cmd_ext_add_i64(push, "queueId", sh->queueId);
        rmq__cmd_ext_add_i64(push, "sysFlag", sh->sysFlag);
        rmq__cmd_ext_add_i64(push, "bornTimestamp", sh->bornTimestamp);
        rmq__cmd_ext_add_i64(push, "flag", sh->flag);
        rmq__cmd_ext_addn(push, "properties", (const char *)props.data,
                          props.len);
        if (sh->has_reconsume_times)
                rmq__cmd_ext_add_i64(push, "reconsumeTimes",
                                     sh->reconsumeTimes);
        rmq__cmd_ext_add_bool(push, "unitMode", sh->unitMode);
        rmq__mock_ext_java_order(push);
        /* Encoded before rmq__remoting_invoke_channel returns. */
        rmq__cmd_set_body_ref(push, ctx->req->body, ctx->req->body_len);
        rmq__buf_free(&props);
        return push;
}

/* mirrors ReplyMessageProcessor#processReplyMessageRequest and
 * #pushReplyMessage */
rmq_cmd_t *rmq__mock_h_send_reply(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb = ctx->mb;
        rmq_mock_hdr_t h;
        rmq_mock_send_hdr_t sh;
        rmq_mock_topic_t *t = NULL;
        rmq_cmd_t *resp, *failed, *push;
        rmq_channel_t *target;
        const char *sender;
        char remark[400], now[24];
        int32_t qid;
        reply_t *r;
        rmq__mock_send_hdr_parse(ctx->req, &sh, &h);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        resp = rmq__mock_response_hdr(RMQ_ERR_SYSTEM_ERROR, NULL);
        rmq__cmd_ext_add(resp, RMQ_PROP_MSG_REGION, RMQ_MOCK_REGION_ID);
        rmq__cmd_ext_add(resp, RMQ_PROP_TRACE_ON, "true");
        failed = rmq__mock_msg_check(ctx, &sh, resp, &t);
        if (failed)
                return failed;
        if (!rmq__mock_pick_queue(ctx, t, sh.queueId, &qid)) {
                rmq__cmd_destroy(resp);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR,
                                          "java.lang.ArithmeticException: / "
                                          "by zero");
        }
        /* msgInner: the properties string is the request's as it came;
         * the flag, body, born time and host and reconsume times too;
         * the sysFlag is left 0. */
        r       = rmq__calloc(1, sizeof(*r));
        r->mb    = mb;
        r->resp  = resp;
        r->qid   = qid;
        r->fault = ctx->fault;
        rmq__mock_inner_init(&r->in);
        rmq__mock_inner_set_topic(&r->in, sh.topic);
        r->in.queue_id        = qid;
        r->in.body            = ctx->req->body;
        r->in.body_len        = ctx->req->body_len;
        r->in.flag            = sh.flag;
        r->in.born_ts         = sh.bornTimestamp;
        r->in.reconsume_times = sh.reconsumeTimes;
        rmq__mock_born_host(ctx->ch, &r->in.born_host);
        rmq__mock_props_parse(&r->in.props, sh.properties,
                              sh.properties ? strlen(sh.properties) : 0);
        if (sh.properties)
                rmq__buf_put_str(&r->in.props_str, sh.properties);
        sender = rmq__mock_props_get(&r->in.props, RMQ_PROP_REPLY_TO_CLIENT);
        if (!sender) {
                rmq__log(&ctx->mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: REPLY_TO_CLIENT is null, can not reply message",
                         mb->name);
                resp = reply_finish(r, false,
                                    "reply message properties[REPLY_TO_CLIENT] "
                                    "is null");
                reply_free(r);
                return resp;
        }
        r->sender = rmq__strdup(sender);
        target    = rmq__mock_producer_channel(mb, r->sender);
        if (!target) {
                snprintf(remark, sizeof(remark),
                         "push reply message fail, channel of <%s> not found.",
                         r->sender);
                rmq__log(&ctx->mc->lg, RMQ_LOG_WARN, "MOCK", "%s: %s",
                         mb->name, remark);
                resp = reply_finish(r, false, remark);
                reply_free(r);
                return resp;
        }
        snprintf(now, sizeof(now), "%lld", (long long)rmq__mock_wall(ctx->mc));
        rmq__mock_props_put(&r->in.props, RMQ_PROP_PUSH_REPLY_TIME, now);
        push  = push_request(ctx, &sh, r);
        r->ch = rmq__channel_retain(ctx->ch);
        r->req = ctx->req;
        if (rmq__remoting_invoke_channel(mb->ep.rm, target, push,
                                         PUSH_TIMEOUT_MS, RMQ_INVOKE_F_ON_LOOP,
                                         push_done, r)) {
                /* Not sent (RemotingSendRequestException). */
                rmq__cmd_destroy(push);
                rmq__channel_release(r->ch);
                r->ch  = NULL;
                r->req = NULL;
                snprintf(remark, sizeof(remark),
                         "push reply message to %sfail.", r->sender);
                resp = reply_finish(r, false, remark);
                reply_free(r);
                return resp;
        }
        rmq__cmd_destroy(push);
        ctx->req = NULL; /* answered by push_done */
        return NULL;
}
