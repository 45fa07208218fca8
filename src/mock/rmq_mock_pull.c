/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PULL_MESSAGE (PullMessageProcessor over DefaultMessageStore#getMessage)
 * and long polling (PullRequestHoldService): a pull that finds nothing
 * with FLAG_SUSPEND is held (for its suspend timeout, or
 * shortPollingTimeMills with longPollingEnable off) and executed again
 * without suspending when
 * - a message arrives on its queue whose tags code its filter (the
 *   subscription when it was held) accepts, with longPollingEnable on
 *   (DefaultMessageStore's ReputMessageService notifies only then), or
 * - at the hold service's periodic check (every longPollingCheckInterval,
 *   5 s as the broker's fixed wait, or shortPollingTimeMills with long
 *   polling off) the queue's max offset has passed the pull's offset
 *   (whatever the tags: the re-run may answer NO_MATCHED_MSG with an
 *   advanced nextBeginOffset), or its hold time is over.
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_route.h"

/* GetMessageStatus */
typedef enum get_status_e {
        GET_FOUND,
        GET_NO_MATCHED_MESSAGE,
        GET_NO_MESSAGE_IN_QUEUE,
        GET_OFFSET_TOO_SMALL,
        GET_OFFSET_OVERFLOW_ONE,
        GET_OFFSET_OVERFLOW_BADLY,
} get_status_t;

static const char *const get_status_names[] = {
    "FOUND",
    "NO_MATCHED_MESSAGE",
    "NO_MESSAGE_IN_QUEUE",
    "OFFSET_TOO_SMALL",
    "OFFSET_OVERFLOW_ONE",
    "OFFSET_OVERFLOW_BADLY",
};

typedef struct get_result_s {
        get_status_t status;
        int64_t next_begin;
        int64_t min_offset;
        int64_t max_offset;
        rmq_buf_t body;
        int count;
        bool bad_capacity; /* new GetMessageResult(maxMsgNums) threw */
} get_result_t;

/* PullMessageRequestHeader */
typedef struct pull_hdr_s {
        const char *consumerGroup;
        const char *topic;
        int32_t queueId;
        int64_t queueOffset;
        int32_t maxMsgNums;
        int32_t sysFlag;
        int64_t commitOffset;
        int64_t suspendTimeoutMillis;
        const char *subscription;
        int64_t subVersion;
        const char *expressionType;
} pull_hdr_t;

static void pull_hdr_parse(const rmq_cmd_t *req, pull_hdr_t *ph,
                           rmq_mock_hdr_t *h) {
        rmq__mock_hdr_init(h, req);
        ph->consumerGroup = rmq__mock_hdr_str(h, "consumerGroup", true);
        ph->topic         = rmq__mock_hdr_str(h, "topic", true);
        ph->queueId       = rmq__mock_hdr_i32(h, "queueId", true, 0);
        ph->queueOffset   = rmq__mock_hdr_i64(h, "queueOffset", true, 0);
        ph->maxMsgNums    = rmq__mock_hdr_i32(h, "maxMsgNums", true, 0);
        ph->sysFlag       = rmq__mock_hdr_i32(h, "sysFlag", true, 0);
        ph->commitOffset  = rmq__mock_hdr_i64(h, "commitOffset", true, 0);
        ph->suspendTimeoutMillis =
            rmq__mock_hdr_i64(h, "suspendTimeoutMillis", true, 0);
        ph->subscription   = rmq__mock_hdr_str(h, "subscription", false);
        ph->subVersion     = rmq__mock_hdr_i64(h, "subVersion", true, 0);
        ph->expressionType = rmq__mock_hdr_str(h, "expressionType", false);
}

static bool is_tag_type(const rmq_subscription_data_t *sd) {
        return !sd->expressionType ||
               !strcmp(sd->expressionType, RMQ_EXPRESSION_TYPE_TAG);
}

/* ExpressionMessageFilter#isMatchedByConsumeQueue: by tags code. */
static bool filter_match(const rmq_subscription_data_t *sd,
                         int32_t tags_code) {
        size_t i;
        if (!sd || sd->classFilterMode || !is_tag_type(sd))
                return true;
        if (!sd->subString || !strcmp(sd->subString, RMQ_SUB_ALL))
                return true;
        for (i = 0; i < sd->codeSet_cnt; i++)
                if (sd->codeSet[i] == tags_code)
                        return true;
        return false;
}

/* DefaultMessageStore#isTheBatchFull (messages are all "in memory"). */
static bool batch_full(const get_result_t *r, uint32_t size,
                       int32_t max_msgs) {
        if (r->body.len == 0 || r->count == 0)
                return false;
        if (max_msgs <= r->count)
                return true;
        if (r->body.len + size > RMQ_MOCK_MAX_TRANSFER_BYTES)
                return true;
        return r->count > RMQ_MOCK_MAX_TRANSFER_COUNT - 1;
}

/* mirrors DefaultMessageStore#getMessage */
static void get_message(rmq_mock_queue_t *q, int64_t offset, int32_t max_msgs,
                        const rmq_subscription_data_t *sd, get_result_t *r) {
        int64_t limit, scanned = 0;
        r->min_offset = q ? q->min_offset : 0;
        r->max_offset = q ? rmq__mock_queue_max(q) : 0;
        if (r->max_offset == 0) {
                r->status     = GET_NO_MESSAGE_IN_QUEUE;
                r->next_begin = 0;
                return;
        }
        if (offset < r->min_offset) {
                r->status     = GET_OFFSET_TOO_SMALL;
                r->next_begin = r->min_offset;
                return;
        }
        if (offset == r->max_offset) {
                r->status     = GET_OFFSET_OVERFLOW_ONE;
                r->next_begin = offset;
                return;
        }
        if (offset > r->max_offset) {
                r->status     = GET_OFFSET_OVERFLOW_BADLY;
                r->next_begin = r->max_offset;
                return;
        }
        /* Only here, with messages to read, is the result sized by
         * maxMsgNums (an ArrayList: a negative capacity throws). */
        if (max_msgs < 0) {
                r->bad_capacity = true;
                return;
        }
        /* The consume queue is read for max(16000 bytes, maxMsgNums
         * entries) of 20 bytes each. */
        limit = RMQ_MAX(800, (int64_t)max_msgs);
        r->status = GET_NO_MATCHED_MESSAGE;
        for (; offset + scanned < r->max_offset && scanned < limit;
             scanned++) {
                rmq_mock_stored_t *sm = rmq__mock_queue_at(q, offset + scanned);
                if (batch_full(r, sm->len, max_msgs))
                        break;
                if (!filter_match(sd, sm->tags_code))
                        continue;
                rmq__buf_put(&r->body, sm->data, sm->len);
                r->count++;
                r->status = GET_FOUND;
        }
        r->next_begin = offset + scanned;
}

/* The response header of a pull answer (PullMessageResponseHeader). */
static void pull_resp_header(rmq_cmd_t *resp, int64_t next_begin,
                             int64_t min_offset, int64_t max_offset) {
        rmq__cmd_ext_add_i64(resp, "nextBeginOffset", next_begin);
        rmq__cmd_ext_add_i64(resp, "minOffset", min_offset);
        rmq__cmd_ext_add_i64(resp, "maxOffset", max_offset);
        rmq__cmd_ext_add_i64(resp, "suggestWhichBrokerId", RMQ_MASTER_ID);
}

static rmq_cmd_t *fail(rmq_cmd_t *resp, int code, const char *remark) {
        resp->code = code;
        rmq__cmd_set_remark(resp, remark);
        return resp;
}

/* PullRequestHoldService#suspendPullRequest: \p sd is the filter the
 * request is matched with on message arrival (copied). Takes \p req. */
static bool hold(rmq_mock_broker_t *mb, rmq_channel_t *ch, rmq_cmd_t *req,
                 const pull_hdr_t *ph, const rmq_subscription_data_t *sd,
                 int64_t polling_ms) {
        rmq_mock_conn_t *conn = rmq__channel_user(ch);
        rmq_mock_pull_t *p;
        if (!conn || conn->held_pulls >= RMQ_MOCK_MAX_HELD_PER_CHANNEL ||
            mb->ep.mc->stopping)
                return false;
        p           = rmq__calloc(1, sizeof(*p));
        p->mb       = mb;
        p->ch       = rmq__channel_retain(ch);
        p->req      = req;
        p->topic    = rmq__strdup(ph->topic);
        p->queue_id = ph->queueId;
        p->offset   = ph->queueOffset;
        p->deadline = rmq__mock_now(mb->ep.mc) + RMQ_MAX(polling_ms, 0);
        rmq__subscription_copy(&p->filter, sd);
        conn->held_pulls++;
        rmq__list_insert_tail(&mb->held, &p->link);
        return true;
}

/* mirrors PullMessageProcessor#processRequest. Returns the response, or
 * NULL when the request was held (and taken: *heldp). */
static rmq_cmd_t *pull_process(rmq_mock_broker_t *mb, rmq_channel_t *ch,
                               rmq_cmd_t *req, bool allow_suspend,
                               bool *heldp) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        rmq_subscription_data_t own, *sd = NULL;
        bool own_used = false;
        rmq_mock_hdr_t h;
        pull_hdr_t ph;
        rmq_mock_topic_t *t;
        get_result_t gr;
        rmq_cmd_t *resp;
        char remark[512];
        bool has_suspend, has_commit, has_sub;
        *heldp = false;
        pull_hdr_parse(req, &ph, &h);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        rmq__mock_sub_group_touch(mb, ph.consumerGroup);
        resp        = rmq__mock_response_hdr(RMQ_ERR_SYSTEM_ERROR, NULL);
        has_suspend = (ph.sysFlag & RMQ_PULL_FLAG_SUSPEND) != 0;
        has_commit  = (ph.sysFlag & RMQ_PULL_FLAG_COMMIT_OFFSET) != 0;
        has_sub     = (ph.sysFlag & RMQ_PULL_FLAG_SUBSCRIPTION) != 0;
        t           = rmq__mock_topic_get(mb, ph.topic);
        if (!t) {
                snprintf(remark, sizeof(remark),
                         "topic[%s] not exist, apply first please! "
                         RMQ_MOCK_FAQ_SUFFIX,
                         ph.topic);
                return fail(resp, RMQ_ERR_TOPIC_NOT_EXIST, remark);
        }
        if (!rmq__perm_is_readable(t->perm)) {
                snprintf(remark, sizeof(remark),
                         "the topic[%s] pulling message is forbidden",
                         ph.topic);
                return fail(resp, RMQ_ERR_NO_PERMISSION, remark);
        }
        if (ph.queueId < 0 || ph.queueId >= t->read_queues) {
                snprintf(remark, sizeof(remark),
                         "queueId[%d] is illegal, topic:[%s] "
                         "topicConfig.readQueueNums:[%d] consumer:[/%s]",
                         (int)ph.queueId, ph.topic, (int)t->read_queues,
                         rmq__channel_addr(ch));
                return fail(resp, RMQ_ERR_SYSTEM_ERROR, remark);
        }
        if (has_sub) {
                if (rmq__subscription_build(&own, ph.topic, ph.subscription,
                                            ph.expressionType,
                                            ph.subVersion))
                        return fail(resp, RMQ_ERR_SUBSCRIPTION_PARSE_FAILED,
                                    "parse the consumer's subscription "
                                    "failed");
                sd       = &own;
                own_used = true;
        } else {
                rmq_mock_group_t *g = rmq__strmap_get(&mb->consumers,
                                                      ph.consumerGroup);
                size_t i;
                if (!g)
                        return fail(resp, RMQ_ERR_SUBSCRIPTION_NOT_EXIST,
                                    "the consumer's group info not "
                                    "exist" RMQ_MOCK_FAQ_SUFFIX);
                for (i = 0; i < g->sub_cnt; i++)
                        if (!strcmp(g->subs[i].topic, ph.topic))
                                sd = &g->subs[i];
                if (!sd)
                        return fail(resp, RMQ_ERR_SUBSCRIPTION_NOT_EXIST,
                                    "the consumer's subscription not "
                                    "exist" RMQ_MOCK_FAQ_SUFFIX);
                if (sd->subVersion < ph.subVersion)
                        return fail(resp, RMQ_ERR_SUBSCRIPTION_NOT_LATEST,
                                    "the consumer's subscription not "
                                    "latest");
        }
        if (!is_tag_type(sd)) {
                /* enablePropertyFilter is off, as by default. */
                snprintf(remark, sizeof(remark),
                         "The broker does not support consumer to filter "
                         "message by %s",
                         sd->expressionType);
                if (own_used)
                        rmq__subscription_clear(&own);
                return fail(resp, RMQ_ERR_SYSTEM_ERROR, remark);
        }
        memset(&gr, 0, sizeof(gr));
        get_message(rmq__mock_queue(t, ph.queueId), ph.queueOffset,
                    ph.maxMsgNums, sd, &gr);
        if (gr.bad_capacity) {
                /* An exception out of the processor: a new response. */
                snprintf(remark, sizeof(remark),
                         "java.lang.IllegalArgumentException: Illegal "
                         "Capacity: %d",
                         (int)ph.maxMsgNums);
                if (own_used)
                        rmq__subscription_clear(&own);
                rmq__cmd_destroy(resp);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        rmq__cmd_set_remark(resp, get_status_names[gr.status]);
        pull_resp_header(resp, gr.next_begin, gr.min_offset, gr.max_offset);
        switch (gr.status) {
        case GET_FOUND:
                resp->code = RMQ_OK;
                rmq__mock_set_body(resp, &gr.body);
                break;
        case GET_NO_MESSAGE_IN_QUEUE:
                resp->code = ph.queueOffset != 0 ? RMQ_ERR_PULL_OFFSET_MOVED
                                                 : RMQ_ERR_PULL_NOT_FOUND;
                break;
        case GET_NO_MATCHED_MESSAGE:
                resp->code = RMQ_ERR_PULL_RETRY_IMMEDIATELY;
                break;
        case GET_OFFSET_OVERFLOW_ONE:
                resp->code = RMQ_ERR_PULL_NOT_FOUND;
                break;
        default: /* OFFSET_TOO_SMALL, OFFSET_OVERFLOW_BADLY */
                resp->code = RMQ_ERR_PULL_OFFSET_MOVED;
                break;
        }
        rmq__buf_free(&gr.body);
        if (resp->code == RMQ_ERR_PULL_NOT_FOUND && allow_suspend &&
            has_suspend) {
                int64_t polling = mc->opts.longPollingEnable
                                      ? ph.suspendTimeoutMillis
                                      : mc->opts.shortPollingTimeMills;
                if (hold(mb, ch, req, &ph, sd, polling)) {
                        *heldp = true;
                        rmq__cmd_destroy(resp);
                        resp = NULL;
                }
        }
        if (own_used)
                rmq__subscription_clear(&own);
        if (allow_suspend && has_commit)
                rmq__mock_offset_set(mb, ph.consumerGroup, ph.topic,
                                     ph.queueId, ph.commitOffset);
        return resp;
}

rmq_cmd_t *rmq__mock_h_pull(rmq_mock_ctx_t *ctx) {
        bool held;
        rmq_cmd_t *resp = pull_process(ctx->mb, ctx->ch, ctx->req, true,
                                       &held);
        if (held)
                ctx->req = NULL;
        return resp;
}

rmq_cmd_t *rmq__mock_pull_injected(rmq_mock_broker_t *mb, const rmq_cmd_t *req,
                                   int code, const char *remark) {
        const char *topic   = rmq__cmd_ext(req, "topic");
        rmq_mock_topic_t *t = topic ? rmq__mock_topic_get(mb, topic) : NULL;
        rmq_mock_queue_t *q = NULL;
        rmq_cmd_t *resp     = rmq__mock_response_hdr(code, remark);
        int64_t offset = 0, min = 0, max = 0, next;
        int32_t qid = -1;
        rmq__cmd_ext_i32(req, "queueId", &qid);
        rmq__cmd_ext_i64(req, "queueOffset", &offset);
        if (t)
                q = rmq__mock_queue(t, qid);
        if (q) {
                min = q->min_offset;
                max = rmq__mock_queue_max(q);
        }
        next = offset;
        /* DefaultMessageStore#getMessage's corrections: below min -> min
         * (OFFSET_TOO_SMALL), above max -> max (OFFSET_OVERFLOW_BADLY),
         * an empty queue -> 0 (NO_MESSAGE_IN_QUEUE). */
        if (code == RMQ_ERR_PULL_OFFSET_MOVED)
                next = offset < min ? min : offset > max ? max : offset;
        if (code == RMQ_ERR__BAD_MSG) {
                /* (mock only) a FOUND whose body is not a stored message:
                 * one that claims 4096 bytes and is cut off after its
                 * magic code. nextBeginOffset skips the queue's messages,
                 * so a client that trusted it would lose them. */
                rmq_buf_t body = RMQ_BUF_INIT;
                resp->code     = RMQ_OK;
                rmq__cmd_set_remark(resp, "FOUND");
                rmq__buf_put_i32(&body, 4096);
                rmq__buf_put_i32(&body, RMQ_MSG_MAGIC_V1);
                rmq__buf_put(&body, "\0\0\0\0\0\0\0\0", 8);
                rmq__mock_set_body(resp, &body);
                next = offset > max ? offset : max;
        }
        pull_resp_header(resp, next, min, max);
        return resp;
}

static void pull_free(rmq_mock_pull_t *p) {
        rmq_mock_conn_t *conn = rmq__channel_user(p->ch);
        if (conn && conn->held_pulls > 0)
                conn->held_pulls--;
        rmq__subscription_clear(&p->filter);
        rmq__channel_release(p->ch);
        rmq__cmd_destroy(p->req);
        rmq__free(p->topic);
        rmq__free(p);
}

/* PullMessageProcessor#executeRequestWhenWakeup */
static void wakeup(rmq_mock_broker_t *mb, rmq_mock_pull_t *p) {
        bool held;
        rmq_cmd_t *resp;
        rmq__list_remove(&p->link);
        resp = pull_process(mb, p->ch, p->req, false, &held);
        if (resp)
                rmq__mock_reply(&mb->ep, p->ch, p->req, resp);
        pull_free(p);
}

/* Executes the woken pulls (on their own loop turn, so a batch being
 * stored is seen whole). */
void rmq__mock_pull_timer_cb(rmq_timer_t *t, void *arg) {
        rmq_mock_broker_t *mb = arg;
        rmq_list_t *n, *next;
        RMQ_UNUSED(t);
        mb->pull_timer_due = 0;
        for (n = mb->held.next; n != &mb->held; n = next) {
                rmq_mock_pull_t *p = RMQ_CONTAINER_OF(n, rmq_mock_pull_t, link);
                next               = n->next;
                if (!p->woken)
                        continue;
                wakeup(mb, p);
                /* The list may have changed: start again. */
                next = mb->held.next;
        }
}

static void wake_soon(rmq_mock_broker_t *mb, rmq_mock_pull_t *p) {
        p->woken = true;
        rmq__mock_timer_arm(mb->ep.mc, &mb->pull_timer, &mb->pull_timer_due,
                            rmq__mock_now(mb->ep.mc));
}

/* The queue's max offset, 0 when it does not exist. */
static int64_t queue_max(rmq_mock_broker_t *mb, const char *topic,
                         int32_t queue_id) {
        rmq_mock_topic_t *t = rmq__mock_topic_get(mb, topic);
        rmq_mock_queue_t *q = t ? rmq__mock_queue(t, queue_id) : NULL;
        return q ? rmq__mock_queue_max(q) : 0;
}

/* mirrors PullRequestHoldService#checkHoldRequest: notifyMessageArriving
 * with the queue's max offset and no tags code (every filter matches). */
void rmq__mock_pull_hold_check_cb(rmq_timer_t *t, void *arg) {
        rmq_mock_broker_t *mb = arg;
        int64_t now           = rmq__mock_now(mb->ep.mc);
        rmq_list_t *n;
        RMQ_UNUSED(t);
        for (n = mb->held.next; n != &mb->held; n = n->next) {
                rmq_mock_pull_t *p = RMQ_CONTAINER_OF(n, rmq_mock_pull_t, link);
                if (queue_max(mb, p->topic, p->queue_id) > p->offset ||
                    now >= p->deadline)
                        wake_soon(mb, p);
        }
}

void rmq__mock_pull_hold_timer_start(rmq_mock_broker_t *mb) {
        const rmq_mock_opts_t *o = &mb->ep.mc->opts;
        int64_t every = o->longPollingEnable ? o->longPollingCheckInterval
                                             : o->shortPollingTimeMills;
        if (mb->ep.mc->stopping)
                return;
        if (every < 1)
                every = 1;
        rmq__timer_start(mb->ep.mc->io, &mb->hold_timer, every, every);
}

/* mirrors NotifyMessageArrivingListener#arriving ->
 * PullRequestHoldService#notifyMessageArriving with the new message's
 * tags code: the pulls held on the queue whose filter accepts it, or
 * whose hold time is over. */
void rmq__mock_pull_arriving(rmq_mock_broker_t *mb, const char *topic,
                             int32_t queue_id, int32_t tags_code) {
        int64_t now = rmq__mock_now(mb->ep.mc), max = -1;
        rmq_list_t *n;
        if (!mb->ep.mc->opts.longPollingEnable)
                return;
        for (n = mb->held.next; n != &mb->held; n = n->next) {
                rmq_mock_pull_t *p = RMQ_CONTAINER_OF(n, rmq_mock_pull_t, link);
                if (p->queue_id != queue_id || strcmp(p->topic, topic))
                        continue;
                if (max < 0)
                        max = queue_max(mb, topic, queue_id);
                if ((max > p->offset && filter_match(&p->filter, tags_code)) ||
                    now >= p->deadline)
                        wake_soon(mb, p);
        }
}

void rmq__mock_pull_drop(rmq_mock_broker_t *mb, rmq_channel_t *ch) {
        rmq_list_t *n, *next;
        for (n = mb->held.next; n != &mb->held; n = next) {
                rmq_mock_pull_t *p = RMQ_CONTAINER_OF(n, rmq_mock_pull_t, link);
                next               = n->next;
                if (ch && p->ch != ch)
                        continue;
                rmq__list_remove(&p->link);
                pull_free(p);
        }
}
