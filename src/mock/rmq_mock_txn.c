/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transactions: half messages in RMQ_SYS_TRANS_HALF_TOPIC (stored by the
 * send path, TransactionalMessageBridge#parseHalfMessageInner),
 * END_TRANSACTION (EndTransactionProcessor) and the check-backs of
 * TransactionalMessageCheckService / TransactionalMessageServiceImpl#check:
 * every transactionCheckInterval, each unresolved half message born more
 * than transactionTimeOut ago (or CHECK_IMMUNITY_TIME_IN_SECONDS) is put
 * back into the half queue with TRANSACTION_CHECK_TIMES + 1 and
 * CHECK_TRANSACTION_STATE goes to a live channel of its producer group;
 * after transactionCheckMax checks it is moved to
 * TRANS_CHECK_MAX_TIME_TOPIC.
 *
 * The mock keeps the unresolved half messages in a list instead of
 * writing op messages to RMQ_SYS_TRANS_OP_HALF_TOPIC.
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_route.h"

void rmq__mock_half_add(rmq_mock_broker_t *mb, rmq_mock_stored_t *sm) {
        rmq_mock_half_t *hm = rmq__calloc(1, sizeof(*hm));
        hm->commit_offset   = (int64_t)sm->node.key;
        hm->first_offset    = hm->commit_offset;
        hm->stored_at       = rmq__mock_now(mb->ep.mc);
        rmq__list_insert_tail(&mb->halves, &hm->link);
}

static rmq_mock_half_t *half_find(rmq_mock_broker_t *mb, int64_t offset) {
        rmq_list_t *n;
        for (n = mb->halves.next; n != &mb->halves; n = n->next) {
                rmq_mock_half_t *hm = RMQ_CONTAINER_OF(n, rmq_mock_half_t,
                                                       link);
                if (hm->commit_offset == offset || hm->first_offset == offset)
                        return hm;
        }
        return NULL;
}

static void half_del(rmq_mock_half_t *hm) {
        rmq__list_remove(&hm->link);
        rmq__free(hm);
}

void rmq__mock_half_free(rmq_mock_broker_t *mb) {
        while (!rmq__list_empty(&mb->halves))
                rmq__free(RMQ_CONTAINER_OF(rmq__list_pop_head(&mb->halves),
                                           rmq_mock_half_t, link));
}

int64_t rmq__mock_half_count(rmq_mock_cluster_t *mc) {
        int64_t n = 0;
        int i;
        for (i = 0; i < mc->broker_cnt; i++) {
                rmq_list_t *l;
                for (l = mc->brokers[i]->halves.next;
                     l != &mc->brokers[i]->halves; l = l->next)
                        n++;
        }
        return n;
}

/* ---- END_TRANSACTION ---- */

/* mirrors EndTransactionProcessor#checkPrepareMessage */
static const char *check_prepare(const rmq_mock_inner_t *in,
                                 const rmq_msg_view_t *mv, const char *group,
                                 int64_t tran_offset, int64_t commit_offset) {
        const char *pg = rmq__mock_props_get(&in->props, RMQ_PROP_PGROUP);
        if (!pg)
                return "java.lang.NullPointerException";
        if (strcmp(pg, group))
                return "The producer group wrong";
        if (mv->queueOffset != tran_offset)
                return "The transaction state table offset wrong";
        if (mv->commitLogOffset != commit_offset)
                return "The commit log offset wrong";
        return NULL;
}

/* mirrors EndTransactionProcessor#endMessageTransaction and
 * #sendFinalMessage */
static rmq_cmd_t *commit_final(rmq_mock_broker_t *mb, rmq_mock_inner_t *in,
                               int64_t commit_offset) {
        const char *rt = rmq__mock_props_get(&in->props, RMQ_PROP_REAL_TOPIC);
        const char *rq = rmq__mock_props_get(&in->props, RMQ_PROP_REAL_QID);
        rmq_mock_stored_t *sm;
        rmq_mock_put_t st;
        int32_t qid;
        char remark[300];
        if (!rt || !rq || rmq__parse_i32(rq, &qid))
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR,
                                          "java.lang.NumberFormatException: "
                                          "null");
        rmq__mock_inner_set_topic(in, rt);
        in->queue_id = qid;
        /* propertiesString keeps every property of the half message;
         * REAL_TOPIC, REAL_QID and TRAN_MSG leave the map only. */
        rmq__mock_inner_sync_props(in);
        rmq__mock_props_del(&in->props, RMQ_PROP_REAL_TOPIC);
        rmq__mock_props_del(&in->props, RMQ_PROP_REAL_QID);
        rmq__mock_props_del(&in->props, RMQ_PROP_TRAN_MSG);
        in->sys_flag = rmq__sysflag_set_transaction(
            in->sys_flag, RMQ_SYSFLAG_TRANSACTION_COMMIT);
        in->prepared_tx_offset = commit_offset;
        /* rt and rq pointed into the map: use the copy in->topic. */
        if (!rmq__mock_topic_get(mb, in->topic))
                rmq__mock_topic_put(mb, in->topic, qid + 1, qid + 1,
                                    RMQ_PERM_READ | RMQ_PERM_WRITE, 0);
        st = rmq__mock_put(mb, in, &sm);
        if (st == RMQ_MOCK_PUT_OK)
                return rmq__mock_response(RMQ_OK, NULL);
        if (st == RMQ_MOCK_PUT_ILLEGAL) {
                snprintf(remark, sizeof(remark),
                         "The message is illegal, maybe msg body or properties "
                         "length not matched. msg body length limit %lldB, msg "
                         "properties length limit 32KB.",
                         (long long)mb->ep.mc->opts.maxMessageSize);
                return rmq__mock_response(RMQ_ERR_MESSAGE_ILLEGAL, remark);
        }
        return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, "UNKNOWN_ERROR");
}

/* mirrors EndTransactionProcessor#processRequest */
rmq_cmd_t *rmq__mock_h_end_transaction(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb = ctx->mb;
        rmq_mock_hdr_t h;
        const char *group, *bad;
        int64_t tran_offset, commit_offset;
        int32_t cor;
        rmq_mock_stored_t *sm;
        rmq_mock_inner_t in;
        rmq_msg_view_t mv;
        rmq_mock_half_t *hm;
        rmq_cmd_t *resp;
        rmq__mock_hdr_init(&h, ctx->req);
        group         = rmq__mock_hdr_str(&h, "producerGroup", true);
        tran_offset   = rmq__mock_hdr_i64(&h, "tranStateTableOffset", true, 0);
        commit_offset = rmq__mock_hdr_i64(&h, "commitLogOffset", true, 0);
        cor           = rmq__mock_hdr_i32(&h, "commitOrRollback", true, 0);
        rmq__mock_hdr_bool(&h, "fromTransactionCheck", false);
        rmq__mock_hdr_str(&h, "msgId", true);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        /* TRANSACTION_NOT_TYPE (the local transaction said UNKNOW) and
         * unknown values: logged and not answered. */
        if (cor != RMQ_SYSFLAG_TRANSACTION_COMMIT &&
            cor != RMQ_SYSFLAG_TRANSACTION_ROLLBACK)
                return NULL;
        sm = rmq__mock_lookup(mb, commit_offset);
        if (!sm)
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR,
                                          "Find prepared transaction message "
                                          "failed");
        rmq__mock_inner_from_stored(&in, sm, &mv);
        bad = check_prepare(&in, &mv, group, tran_offset, commit_offset);
        if (bad) {
                rmq__mock_inner_clear(&in);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, bad);
        }
        hm = half_find(mb, commit_offset);
        if (cor == RMQ_SYSFLAG_TRANSACTION_COMMIT) {
                resp = commit_final(mb, &in, commit_offset);
                if (resp->code == RMQ_OK && hm)
                        half_del(hm);
        } else {
                resp = rmq__mock_response(RMQ_OK, NULL);
                if (hm)
                        half_del(hm);
        }
        rmq__mock_inner_clear(&in);
        return resp;
}

/* ---- check-backs ---- */

/* ProducerManager#getAvailableChannel: round robin over the group's
 * channels, preferring an open one. */
static rmq_channel_t *producer_channel(rmq_mock_broker_t *mb,
                                       const char *group) {
        rmq_mock_group_t *g = group ? rmq__strmap_get(&mb->producers, group)
                                    : NULL;
        size_t i, idx;
        if (!g || !g->client_cnt)
                return NULL;
        idx = ++mb->tx_rr % g->client_cnt;
        for (i = 0; i < g->client_cnt; i++) {
                rmq_channel_t *ch = g->clients[(idx + i) % g->client_cnt].ch;
                if (rmq__channel_is_open(ch))
                        return ch;
        }
        return NULL;
}

/* DefaultTransactionalMessageCheckListener#resolveDiscardMsg */
static void discard(rmq_mock_broker_t *mb, rmq_mock_inner_t *in) {
        rmq_mock_stored_t *sm;
        rmq__mock_topic_create_in_send_back(mb, RMQ_MOCK_TOPIC_CHECK_MAX, 1,
                                            RMQ_PERM_READ | RMQ_PERM_WRITE, 0);
        rmq__mock_inner_set_topic(in, RMQ_MOCK_TOPIC_CHECK_MAX);
        in->queue_id = 0;
        in->sys_flag = 0;
        rmq__mock_inner_sync_props(in);
        if (rmq__mock_put(mb, in, &sm) != RMQ_MOCK_PUT_OK)
                rmq__log(&mb->ep.mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: discarded half message not stored", mb->name);
}

/* AbstractTransactionalMessageCheckListener#sendCheckMessage */
static void send_check(rmq_mock_broker_t *mb, const rmq_mock_inner_t *in,
                       const rmq_msg_view_t *orig,
                       const rmq_mock_stored_t *copy) {
        rmq_channel_t *ch;
        rmq_msg_view_t mv = *orig;
        rmq_buf_t props = RMQ_BUF_INIT, body = RMQ_BUF_INIT;
        const char *uniq, *rt, *rq;
        char id[RMQ_OFFSET_MSG_ID_MAX + 1];
        int32_t qid = 0;
        rmq_cmd_t *req;
        ch = producer_channel(mb, rmq__mock_props_get(&in->props,
                                                      RMQ_PROP_PGROUP));
        if (!ch) {
                rmq__log(&mb->ep.mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: check transaction failed, channel is null",
                         mb->name);
                return;
        }
        uniq = rmq__mock_props_get(&in->props, RMQ_PROP_UNIQ_KEY);
        rt   = rmq__mock_props_get(&in->props, RMQ_PROP_REAL_TOPIC);
        rq   = rmq__mock_props_get(&in->props, RMQ_PROP_REAL_QID);
        if (!rt || !rq || rmq__parse_i32(rq, &qid))
                return;
        rmq__mock_stored_msg_id(copy, id);
        rmq__mock_props_encode(&in->props, &props);
        /* The message as the check listener holds it: its real topic and
         * queue, the new copy's offsets. */
        mv.topic           = rt;
        mv.topicLen        = strlen(rt);
        mv.queueId         = qid;
        mv.queueOffset     = copy->queue_offset;
        mv.commitLogOffset = (int64_t)copy->node.key;
        mv.properties      = (const char *)props.data;
        mv.propertiesLen   = props.len;
        mv.magicCode       = RMQ_MSG_MAGIC_V1;
        if (rmq__msg_encode_stored(&body, &mv)) {
                rmq__buf_free(&props);
                rmq__buf_free(&body);
                return;
        }
        req           = rmq__cmd_new_request(RMQ_REQ_CHECK_TRANSACTION_STATE);
        req->language = RMQ_LANG_JAVA;
        req->version  = RMQ_MOCK_VERSION;
        rmq__cmd_ext_add_i64(req, "tranStateTableOffset", copy->queue_offset);
        rmq__cmd_ext_add_i64(req, "commitLogOffset", (int64_t)copy->node.key);
        if (uniq) {
                rmq__cmd_ext_add(req, "msgId", uniq);
                rmq__cmd_ext_add(req, "transactionId", uniq);
        }
        rmq__cmd_ext_add(req, "offsetMsgId", id);
        rmq__mock_set_body(req, &body);
        rmq__remoting_invoke_channel(mb->ep.rm, ch, req, 10, 0, NULL, NULL);
        rmq__cmd_destroy(req);
        rmq__buf_free(&props);
}

/* One half message at a check round. */
static void check_one(rmq_mock_broker_t *mb, rmq_mock_half_t *hm,
                      int64_t wall) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        rmq_mock_stored_t *sm  = rmq__mock_lookup(mb, hm->commit_offset);
        rmq_mock_stored_t *copy;
        rmq_mock_inner_t in, renew;
        rmq_msg_view_t mv;
        const char *s;
        int64_t immunity = mc->opts.transactionTimeOut, age, v;
        int32_t check_times = 1;
        char num[16];
        if (!sm) {
                half_del(hm);
                return;
        }
        rmq__mock_inner_from_stored(&in, sm, &mv);
        s = rmq__mock_props_get(&in.props, RMQ_PROP_CHECK_IMMUNITY_TIME_IN_SECONDS);
        if (s && !rmq__parse_i64(s, &v) && v != -1)
                immunity = v * 1000;
        age = wall - mv.bornTimestamp;
        if (!(age > immunity || age <= -1)) {
                rmq__mock_inner_clear(&in);
                return;
        }
        /* TransactionalMessageServiceImpl#needDiscard */
        s = rmq__mock_props_get(&in.props, RMQ_PROP_TRANSACTION_CHECK_TIMES);
        if (s) {
                if (rmq__parse_i32(s, &check_times))
                        check_times = -1;
                if (check_times >= mc->opts.transactionCheckMax) {
                        discard(mb, &in);
                        rmq__mock_inner_clear(&in);
                        half_del(hm);
                        return;
                }
                check_times++;
        }
        snprintf(num, sizeof(num), "%d", (int)check_times);
        rmq__mock_props_put(&in.props, RMQ_PROP_TRANSACTION_CHECK_TIMES, num);
        /* TransactionalMessageBridge#renewHalfMessageInner: flag and
         * reconsume times are not carried over; WAIT=false is set in the
         * (shared) map after the properties string is made. */
        rmq__mock_inner_init(&renew);
        rmq__mock_inner_set_topic(&renew, RMQ_MOCK_TOPIC_HALF);
        renew.queue_id  = mv.queueId;
        renew.sys_flag  = mv.sysFlag;
        renew.body      = mv.body;
        renew.body_len  = mv.bodyLen;
        renew.born_ts   = mv.bornTimestamp;
        renew.born_host = mv.bornHost;
        rmq__mock_props_encode(&in.props, &renew.props_str);
        rmq__mock_props_put(&in.props, RMQ_PROP_WAIT, "false");
        if (rmq__mock_put(mb, &renew, &copy) == RMQ_MOCK_PUT_OK) {
                hm->commit_offset = (int64_t)copy->node.key;
                hm->check_times   = check_times;
                send_check(mb, &in, &mv, copy);
        }
        rmq__mock_inner_clear(&renew);
        rmq__mock_inner_clear(&in);
}

/* TransactionalMessageCheckService: one check round per interval. */
void rmq__mock_txn_timer_cb(uv_timer_t *t) {
        rmq_mock_broker_t *mb = t->data;
        int64_t wall          = rmq__mock_wall(mb->ep.mc);
        rmq_list_t pending, *n;
        /* Halves added by this round (none: copies replace entries) are
         * not checked twice: walk a snapshot. */
        rmq__list_init(&pending);
        rmq__list_move_all(&mb->halves, &pending);
        while ((n = rmq__list_pop_head(&pending))) {
                rmq_mock_half_t *hm = RMQ_CONTAINER_OF(n, rmq_mock_half_t,
                                                       link);
                rmq__list_insert_tail(&mb->halves, &hm->link);
                check_one(mb, hm, wall);
        }
}

void rmq__mock_txn_timer_start(rmq_mock_broker_t *mb) {
        uint64_t every = (uint64_t)mb->ep.mc->opts.transactionCheckInterval;
        if (mb->ep.mc->stopping)
                return;
        uv_timer_start(&mb->txn_timer, rmq__mock_txn_timer_cb, every, every);
}
