/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320):
 * SendMessageProcessor and AbstractSendMessageProcessor (4.9.8), with the
 * transactional prepare of TransactionalMessageBridge. The header parsing
 * and msgCheck are shared with SEND_REPLY_MESSAGE (rmq_mock_reply.c).
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_names.h"
#include "protocol/rmq_route.h"

/* SendMessageRequestHeaderV2 has a FastCodesHeader#decode: a..n in that
 * order (the mock refuses missing @CFNotNull fields as the reflective
 * decoder would; see docs/MOCK_CLUSTER.md). SendMessageRequestHeader goes
 * through the reflective decoder, whose fields come from a HashSet<Field>
 * (RemotingCommand#getClazzFields): that set's iteration order decides
 * which missing or bad field is reported first. */
void rmq__mock_send_hdr_parse(const rmq_cmd_t *req, rmq_mock_send_hdr_t *sh,
                              rmq_mock_hdr_t *h) {
        memset(sh, 0, sizeof(*sh));
        rmq__mock_hdr_init(h, req);
        if (req->code == RMQ_REQ_SEND_MESSAGE ||
            req->code == RMQ_REQ_SEND_REPLY_MESSAGE) {
                sh->producerGroup = rmq__mock_hdr_str(h, "producerGroup", true);
                sh->has_max_reconsume =
                    rmq__cmd_ext(req, "maxReconsumeTimes") != NULL;
                sh->maxReconsumeTimes =
                    rmq__mock_hdr_i32(h, "maxReconsumeTimes", false, 0);
                sh->properties = rmq__mock_hdr_str(h, "properties", false);
                sh->bornTimestamp =
                    rmq__mock_hdr_i64(h, "bornTimestamp", true, 0);
                sh->topic   = rmq__mock_hdr_str(h, "topic", true);
                sh->sysFlag = rmq__mock_hdr_i32(h, "sysFlag", true, 0);
                sh->has_reconsume_times =
                    rmq__cmd_ext(req, "reconsumeTimes") != NULL;
                sh->reconsumeTimes =
                    rmq__mock_hdr_i32(h, "reconsumeTimes", false, 0);
                sh->flag    = rmq__mock_hdr_i32(h, "flag", true, 0);
                sh->queueId = rmq__mock_hdr_i32(h, "queueId", true, 0);
                sh->defaultTopic = rmq__mock_hdr_str(h, "defaultTopic", true);
                sh->defaultTopicQueueNums =
                    rmq__mock_hdr_i32(h, "defaultTopicQueueNums", true, 0);
                sh->unitMode = rmq__mock_hdr_bool(h, "unitMode", false);
                sh->batch    = rmq__mock_hdr_bool(h, "batch", false);
                return;
        }
        sh->producerGroup = rmq__mock_hdr_str(h, "a", true);
        sh->topic         = rmq__mock_hdr_str(h, "b", true);
        sh->defaultTopic  = rmq__mock_hdr_str(h, "c", true);
        sh->defaultTopicQueueNums = rmq__mock_hdr_i32(h, "d", true, 0);
        sh->queueId       = rmq__mock_hdr_i32(h, "e", true, 0);
        sh->sysFlag       = rmq__mock_hdr_i32(h, "f", true, 0);
        sh->bornTimestamp = rmq__mock_hdr_i64(h, "g", true, 0);
        sh->flag          = rmq__mock_hdr_i32(h, "h", true, 0);
        sh->properties    = rmq__mock_hdr_str(h, "i", false);
        sh->has_reconsume_times = rmq__cmd_ext(req, "j") != NULL;
        sh->reconsumeTimes      = rmq__mock_hdr_i32(h, "j", false, 0);
        sh->unitMode            = rmq__mock_hdr_bool(h, "k", false);
        sh->has_max_reconsume   = rmq__cmd_ext(req, "l") != NULL;
        sh->maxReconsumeTimes   = rmq__mock_hdr_i32(h, "l", false, 0);
        sh->batch               = rmq__mock_hdr_bool(h, "m", false);
}

static rmq_cmd_t *fail(rmq_cmd_t *resp, int code, const char *remark) {
        resp->code = code;
        rmq__cmd_set_remark(resp, remark);
        return resp;
}

/* An exception thrown out of the processor: NettyRemotingAbstract answers
 * with a new SYSTEM_ERROR response (RemotingHelper#exceptionSimpleDesc),
 * without the preSend response's MSG_REGION and TRACE_ON. Takes \p resp. */
static rmq_cmd_t *exception(rmq_cmd_t *resp, const char *remark) {
        rmq__cmd_destroy(resp);
        return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
}

/* The NumberFormatException of a DELAY that is not a number. */
static rmq_cmd_t *bad_delay(rmq_cmd_t *resp, const char *delay) {
        char remark[300];
        snprintf(remark, sizeof(remark),
                 "java.lang.NumberFormatException: For input string: \"%s\"",
                 delay);
        return exception(resp, remark);
}


const char *rmq__mock_topic_invalid(const char *topic) {
        if (rmq__str_is_blank(topic))
                return "The specified topic is blank.";
        if (rmq__name_illegal(topic))
                return "The specified topic contains illegal characters, "
                       "allowing only ^[%|a-zA-Z0-9_-]+$";
        if (strlen(topic) > RMQ_TOPIC_MAX_LENGTH)
                return "The specified topic is longer than topic max length.";
        return NULL;
}

rmq_cmd_t *rmq__mock_msg_check(rmq_mock_ctx_t *ctx,
                               const rmq_mock_send_hdr_t *sh, rmq_cmd_t *resp,
                               rmq_mock_topic_t **tp) {
        rmq_mock_broker_t *mb = ctx->mb;
        rmq_mock_topic_t *t;
        const char *bad;
        char remark[512], tc[320];
        bad = rmq__mock_topic_invalid(sh->topic);
        if (bad)
                return fail(resp, RMQ_ERR_SYSTEM_ERROR, bad);
        if (rmq__is_not_allowed_send_topic(sh->topic)) {
                snprintf(remark, sizeof(remark),
                         "Sending message to topic[%s] is forbidden.",
                         sh->topic);
                return fail(resp, RMQ_ERR_NO_PERMISSION, remark);
        }
        t = rmq__mock_topic_get(mb, sh->topic);
        if (!t) {
                int32_t sys_flag = 0;
                if (sh->unitMode)
                        sys_flag = rmq__is_retry_topic(sh->topic) ? 0x2 : 0x1;
                t = rmq__mock_topic_create_in_send(mb, sh->topic,
                                                   sh->defaultTopic,
                                                   sh->defaultTopicQueueNums,
                                                   sys_flag);
                if (!t && rmq__is_retry_topic(sh->topic))
                        t = rmq__mock_topic_create_in_send_back(
                            mb, sh->topic, 1, RMQ_PERM_READ | RMQ_PERM_WRITE,
                            sys_flag);
                if (!t) {
                        snprintf(remark, sizeof(remark),
                                 "topic[%s] not exist, apply first "
                                 "please!" RMQ_MOCK_FAQ_SUFFIX,
                                 sh->topic);
                        return fail(resp, RMQ_ERR_TOPIC_NOT_EXIST, remark);
                }
        }
        if (sh->queueId >= RMQ_MAX(t->write_queues, t->read_queues)) {
                rmq__mock_topic_format(t, tc, sizeof(tc));
                snprintf(remark, sizeof(remark),
                         "request queueId[%d] is illegal, %s Producer: %s",
                         (int)sh->queueId, tc, rmq__channel_addr(ctx->ch));
                return fail(resp, RMQ_ERR_SYSTEM_ERROR, remark);
        }
        *tp = t;
        return NULL;
}

bool rmq__mock_pick_queue(rmq_mock_ctx_t *ctx, const rmq_mock_topic_t *t,
                          int32_t requested, int32_t *qid) {
        if (requested >= 0) {
                *qid = requested;
                return true;
        }
        if (t->write_queues <= 0)
                return false;
        *qid = rmq__mock_rand(ctx->mc) % t->write_queues;
        return true;
}

void rmq__mock_born_host(const rmq_channel_t *ch, rmq_msg_host_t *host) {
        if (rmq__msg_host_parse(rmq__channel_addr(ch), host))
                rmq__msg_host_parse("127.0.0.1:0", host);
}

/* Puts a message through the store; fills the success header. */
static rmq_cmd_t *put_result(rmq_mock_ctx_t *ctx, rmq_cmd_t *resp,
                             rmq_mock_put_t st, rmq_mock_stored_t *sm,
                             int32_t qid, const rmq_mock_inner_t *in) {
        char remark[300], id[RMQ_OFFSET_MSG_ID_MAX + 1];
        switch (st) {
        case RMQ_MOCK_PUT_OK:
                break;
        case RMQ_MOCK_PUT_ILLEGAL:
        case RMQ_MOCK_PUT_PROPERTIES_SIZE_EXCEEDED:
                rmq__mock_illegal_remark(ctx->mc, remark, sizeof(remark));
                return fail(resp, RMQ_ERR_MESSAGE_ILLEGAL, remark);
        case RMQ_MOCK_PUT_BAD_DELAY:
                return bad_delay(
                    resp, rmq__mock_props_get(&in->props, RMQ_PROP_DELAY));
        default:
                return fail(resp, RMQ_ERR_SYSTEM_ERROR, "UNKNOWN_ERROR");
        }
        rmq__mock_stored_msg_id(sm, id);
        resp->code = RMQ_OK;
        rmq__cmd_ext_add(resp, "msgId", id);
        rmq__cmd_ext_add_i64(resp, "queueId", qid);
        rmq__cmd_ext_add_i64(resp, "queueOffset", sm->queue_offset);
        return resp;
}

/* mirrors TransactionalMessageBridge#parseHalfMessageInner and
 * #putHalfMessage: the message goes to RMQ_SYS_TRANS_HALF_TOPIC queue 0
 * with its real topic and queue in properties. */
static rmq_mock_put_t put_half(rmq_mock_broker_t *mb, rmq_mock_inner_t *in,
                               rmq_mock_stored_t **smp) {
        char qid[16];
        rmq_mock_put_t st;
        snprintf(qid, sizeof(qid), "%d", (int)in->queue_id);
        rmq__mock_props_put(&in->props, RMQ_PROP_REAL_TOPIC, in->topic);
        rmq__mock_props_put(&in->props, RMQ_PROP_REAL_QID, qid);
        in->sys_flag = rmq__sysflag_set_transaction(
            in->sys_flag, RMQ_SYSFLAG_TRANSACTION_NOT);
        rmq__mock_inner_set_topic(in, RMQ_MOCK_TOPIC_HALF);
        in->queue_id = 0;
        rmq__mock_inner_sync_props(in);
        rmq__mock_topic_create_in_send_back(mb, RMQ_MOCK_TOPIC_HALF, 1,
                                            RMQ_PERM_READ | RMQ_PERM_WRITE, 0);
        st = rmq__mock_put(mb, in, smp);
        if (st == RMQ_MOCK_PUT_OK)
                rmq__mock_half_add(mb, *smp);
        return st;
}

/* mirrors SendMessageProcessor#asyncSendMessage (with handleRetryAndDLQ) */
static rmq_cmd_t *send_one(rmq_mock_ctx_t *ctx, const rmq_mock_send_hdr_t *sh,
                           rmq_mock_topic_t *t, rmq_cmd_t *resp) {
        rmq_mock_broker_t *mb = ctx->mb;
        rmq_mock_inner_t in;
        rmq_mock_stored_t *sm = NULL;
        rmq_mock_put_t st;
        const char *wait, *tran;
        int32_t qid;
        if (!rmq__mock_pick_queue(ctx, t, sh->queueId, &qid))
                return exception(resp,
                                 "java.lang.ArithmeticException: / by zero");
        rmq__mock_inner_init(&in);
        rmq__mock_inner_set_topic(&in, sh->topic);
        in.queue_id = qid;
        if (rmq__is_retry_topic(sh->topic)) {
                const char *group = sh->topic + strlen(
                                                    RMQ_RETRY_GROUP_TOPIC_PREFIX);
                int32_t max = ctx->mc->opts.maxReconsumeTimes;
                if (ctx->req->version >= RMQ_MOCK_V3_4_9 &&
                    sh->has_max_reconsume)
                        max = sh->maxReconsumeTimes;
                if (sh->reconsumeTimes >= max) {
                        char *dlq = rmq__dlq_topic(group);
                        rmq__mock_topic_create_in_send_back(
                            mb, dlq, 1, RMQ_PERM_READ | RMQ_PERM_WRITE, 0);
                        rmq__mock_inner_set_topic(&in, dlq);
                        in.queue_id = 0;
                        rmq__free(dlq);
                }
        }
        in.sys_flag        = sh->sysFlag;
        if (t->multi_tag)
                in.sys_flag |= RMQ_SYSFLAG_MULTI_TAGS;
        in.body            = ctx->req->body;
        in.body_len        = ctx->req->body_len;
        in.flag            = sh->flag;
        in.born_ts         = sh->bornTimestamp;
        in.reconsume_times = sh->reconsumeTimes;
        rmq__mock_born_host(ctx->ch, &in.born_host);
        rmq__mock_props_parse(&in.props, sh->properties,
                              sh->properties ? strlen(sh->properties) : 0);
        rmq__mock_props_put(&in.props, RMQ_PROP_CLUSTER, RMQ_MOCK_CLUSTER_NAME);
        wait = rmq__mock_props_get(&in.props, RMQ_PROP_WAIT);
        if (wait) {
                /* "WAIT=true" is not stored, but stays in the map. */
                char *w = rmq__strdup(wait);
                rmq__mock_props_del(&in.props, RMQ_PROP_WAIT);
                rmq__mock_inner_sync_props(&in);
                rmq__mock_props_put(&in.props, RMQ_PROP_WAIT, w);
                rmq__free(w);
        } else {
                rmq__mock_inner_sync_props(&in);
        }
        tran = rmq__mock_props_get(&in.props, RMQ_PROP_TRAN_MSG);
        if (tran && rmq__parse_bool(tran))
                st = put_half(mb, &in, &sm);
        else
                st = rmq__mock_put(mb, &in, &sm);
        resp = put_result(ctx, resp, st, sm, qid, &in);
        rmq__mock_inner_clear(&in);
        return resp;
}

/* mirrors SendMessageProcessor#asyncSendBatchMessage and
 * CommitLog.MessageExtEncoder#encode(MessageExtBatch): each element keeps
 * its own properties, followed by the batch's. */
static rmq_cmd_t *send_batch(rmq_mock_ctx_t *ctx, const rmq_mock_send_hdr_t *sh,
                             rmq_mock_topic_t *t, rmq_cmd_t *resp) {
        rmq_mock_broker_t *mb  = ctx->mb;
        rmq_mock_cluster_t *mc = ctx->mc;
        rmq_mock_props_t props;
        rmq_buf_t bprops = RMQ_BUF_INIT, ids = RMQ_BUF_INIT, one = RMQ_BUF_INIT;
        rmq_batch_elem_t el;
        rmq_msg_host_t bh;
        rmq_rd_t rd;
        const char *delay;
        char remark[300];
        int32_t qid, level = 0;
        int64_t first = -1;
        size_t cnt = 0;
        int32_t sys_flag = sh->sysFlag;
        if (!rmq__mock_pick_queue(ctx, t, sh->queueId, &qid))
                return exception(resp,
                                 "java.lang.ArithmeticException: / by zero");
        if (t->multi_tag)
                sys_flag |= RMQ_SYSFLAG_MULTI_TAGS;
        rmq__mock_props_parse(&props, sh->properties,
                              sh->properties ? strlen(sh->properties) : 0);
        rmq__mock_props_put(&props, RMQ_PROP_CLUSTER, RMQ_MOCK_CLUSTER_NAME);
        delay = rmq__mock_props_get(&props, RMQ_PROP_DELAY);
        if (delay && rmq__parse_i32(delay, &level)) {
                resp = bad_delay(resp, delay);
                rmq__mock_props_clear(&props);
                return resp;
        }
        rmq__mock_props_encode(&props, &bprops);
        rmq__mock_props_clear(&props);
        /* DefaultMessageStore#checkMessages, CommitLog#asyncPutMessages */
        if ((int64_t)ctx->req->body_len > mc->opts.maxMessageSize ||
            rmq__sysflag_transaction(sh->sysFlag) !=
                RMQ_SYSFLAG_TRANSACTION_NOT ||
            level > 0 || bprops.len > INT16_MAX) {
                rmq__mock_illegal_remark(mc, remark, sizeof(remark));
                rmq__buf_free(&bprops);
                return fail(resp, RMQ_ERR_MESSAGE_ILLEGAL, remark);
        }
        /* Every element is checked before any is stored. */
        rmq__rd_init(&rd, ctx->req->body, ctx->req->body_len);
        while (rmq__rd_remains(&rd) > 0) {
                if (rmq__batch_decode_next(&rd, &el)) {
                        rmq__buf_free(&bprops);
                        return exception(resp,
                                         "java.nio.BufferUnderflowException");
                }
                if (el.propertiesLen + 1 + bprops.len > INT16_MAX) {
                        rmq__mock_illegal_remark(mc, remark, sizeof(remark));
                        rmq__buf_free(&bprops);
                        return fail(resp, RMQ_ERR_MESSAGE_ILLEGAL, remark);
                }
        }
        rmq__mock_born_host(ctx->ch, &bh);
        rmq__rd_init(&rd, ctx->req->body, ctx->req->body_len);
        while (rmq__rd_remains(&rd) > 0 && !rmq__batch_decode_next(&rd, &el)) {
                rmq_msg_view_t mv;
                rmq_mock_stored_t *sm;
                char id[RMQ_OFFSET_MSG_ID_MAX + 1];
                rmq__buf_reset(&one);
                rmq__buf_put(&one, el.properties, el.propertiesLen);
                if (el.propertiesLen && bprops.len &&
                    el.properties[el.propertiesLen - 1] != RMQ_PROP_SEPARATOR)
                        rmq__buf_put_u8(&one, RMQ_PROP_SEPARATOR);
                rmq__buf_put(&one, bprops.data, bprops.len);
                memset(&mv, 0, sizeof(mv));
                mv.flag           = el.flag;
                mv.sysFlag        = sys_flag;
                mv.bornTimestamp  = sh->bornTimestamp;
                mv.bornHost       = bh;
                mv.reconsumeTimes = sh->reconsumeTimes;
                mv.body           = el.body;
                mv.bodyLen        = el.bodyLen;
                mv.properties     = (const char *)one.data;
                mv.propertiesLen  = one.len;
                sm = rmq__mock_append(mb, t, qid, &mv);
                if (!sm)
                        break;
                if (first < 0)
                        first = sm->queue_offset;
                rmq__mock_stored_msg_id(sm, id);
                if (cnt++)
                        rmq__buf_put_u8(&ids, ',');
                rmq__buf_put_str(&ids, id);
        }
        rmq__buf_put_u8(&ids, '\0');
        if (first < 0)
                first = rmq__mock_queue_max(rmq__mock_queue(t, qid));
        resp->code = RMQ_OK;
        rmq__cmd_ext_add(resp, "msgId", (const char *)ids.data);
        rmq__cmd_ext_add_i64(resp, "queueId", qid);
        rmq__cmd_ext_add_i64(resp, "queueOffset", first);
        rmq__buf_free(&bprops);
        rmq__buf_free(&ids);
        rmq__buf_free(&one);
        return resp;
}

/* mirrors SendMessageProcessor#asyncProcessRequest for the send codes */
rmq_cmd_t *rmq__mock_h_send(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        rmq_mock_send_hdr_t sh;
        rmq_cmd_t *resp, *failed;
        rmq_mock_topic_t *t = NULL;
        rmq__mock_send_hdr_parse(ctx->req, &sh, &h);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        /* preSend: the response carries MSG_REGION and TRACE_ON whatever
         * the outcome. */
        resp = rmq__mock_response_hdr(RMQ_ERR_SYSTEM_ERROR, NULL);
        rmq__cmd_ext_add(resp, RMQ_PROP_MSG_REGION, RMQ_MOCK_REGION_ID);
        rmq__cmd_ext_add(resp, RMQ_PROP_TRACE_ON, "true");
        failed = rmq__mock_msg_check(ctx, &sh, resp, &t);
        if (failed)
                return failed;
        if (sh.batch)
                return send_batch(ctx, &sh, t, resp);
        return send_one(ctx, &sh, t, resp);
}

/* mirrors SendMessageProcessor#asyncConsumerSendMsgBack: the message at
 * \p offset goes to %RETRY%<group> with the delay of its reconsume count
 * (3 + reconsumeTimes unless the request gives a level), or to
 * %DLQ%<group> after maxReconsumeTimes or with a negative level. */
rmq_cmd_t *rmq__mock_h_send_back(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb = ctx->mb;
        rmq_mock_hdr_t h;
        const char *group, *origin;
        int64_t offset;
        int32_t delay, max;
        bool unit, has_max;
        char *topic;
        rmq_mock_topic_t *t;
        rmq_mock_stored_t *sm, *out;
        rmq_mock_inner_t in;
        rmq_msg_view_t mv;
        rmq_mock_put_t st;
        rmq_cmd_t *resp;
        char remark[300], num[16], id[RMQ_OFFSET_MSG_ID_MAX + 1];
        rmq__mock_hdr_init(&h, ctx->req);
        offset = rmq__mock_hdr_i64(&h, "offset", true, 0);
        group  = rmq__mock_hdr_str(&h, "group", true);
        delay  = rmq__mock_hdr_i32(&h, "delayLevel", true, 0);
        unit   = rmq__mock_hdr_bool(&h, "unitMode", false);
        has_max = rmq__cmd_ext(ctx->req, "maxReconsumeTimes") != NULL;
        max = rmq__mock_hdr_i32(&h, "maxReconsumeTimes", false,
                                ctx->mc->opts.maxReconsumeTimes);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        if (!has_max || ctx->req->version < RMQ_MOCK_V3_4_9)
                max = ctx->mc->opts.maxReconsumeTimes;
        /* The subscription group is auto-created: 1 retry queue. */
        rmq__mock_sub_group_touch(mb, group);
        topic = rmq__retry_topic(group);
        t     = rmq__mock_topic_create_in_send_back(
            mb, topic, 1, RMQ_PERM_READ | RMQ_PERM_WRITE, unit ? 0x2 : 0);
        if (!rmq__perm_is_writeable(t->perm)) {
                snprintf(remark, sizeof(remark),
                         "the topic[%s] sending message is forbidden", topic);
                rmq__free(topic);
                return rmq__mock_response(RMQ_ERR_NO_PERMISSION, remark);
        }
        sm = rmq__mock_lookup(mb, offset);
        if (!sm) {
                snprintf(remark, sizeof(remark),
                         "look message by offset failed, %lld",
                         (long long)offset);
                rmq__free(topic);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        rmq__mock_inner_from_stored(&in, sm, &mv);
        if (!rmq__mock_props_get(&in.props, RMQ_PROP_RETRY_TOPIC))
                rmq__mock_props_put(&in.props, RMQ_PROP_RETRY_TOPIC, in.topic);
        rmq__mock_props_put(&in.props, RMQ_PROP_WAIT, "false");
        in.queue_id = 0;
        if (mv.reconsumeTimes >= max || delay < 0) {
                char *dlq = rmq__dlq_topic(group);
                rmq__mock_topic_create_in_send_back(
                    mb, dlq, 1, RMQ_PERM_READ | RMQ_PERM_WRITE, 0);
                rmq__free(topic);
                topic = dlq;
                delay = 0;
        } else if (delay == 0) {
                delay = 3 + mv.reconsumeTimes;
        }
        snprintf(num, sizeof(num), "%d", (int)delay);
        rmq__mock_props_put(&in.props, RMQ_PROP_DELAY, num);
        rmq__mock_inner_set_topic(&in, topic);
        rmq__free(topic);
        in.reconsume_times = mv.reconsumeTimes + 1;
        in.prepared_tx_offset = 0;
        origin = rmq__mock_props_get(&in.props, RMQ_PROP_ORIGIN_MESSAGE_ID);
        if (!origin || rmq__str_is_blank(origin)) {
                rmq__mock_stored_msg_id(sm, id);
                rmq__mock_props_put(&in.props, RMQ_PROP_ORIGIN_MESSAGE_ID, id);
        }
        rmq__mock_inner_sync_props(&in);
        st = rmq__mock_put(mb, &in, &out);
        /* A failed put answers SYSTEM_ERROR with the status's name. */
        if (st == RMQ_MOCK_PUT_OK)
                resp = rmq__mock_response(RMQ_OK, NULL);
        else
                resp = rmq__mock_response(RMQ_ERR_SYSTEM_ERROR,
                                          rmq__mock_put_status_name(st));
        rmq__mock_inner_clear(&in);
        return resp;
}
