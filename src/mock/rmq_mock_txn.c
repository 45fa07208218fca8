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
 * after transactionCheckMax checks, or once born more than
 * fileReservedTime (72 h) ago, it is moved to TRANS_CHECK_MAX_TIME_TOPIC.
 * A round ends at the first half message too young to check, as the
 * broker's scan of the half queue does.
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
        if (st == RMQ_MOCK_PUT_ILLEGAL ||
            st == RMQ_MOCK_PUT_PROPERTIES_SIZE_EXCEEDED) {
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

/* DefaultTransactionalMessageCheckListener#resolveDiscardMsg and
 * #toMessageExtBrokerInner: the message keeps its flag, sysFlag,
 * reconsume times, born time and host and properties. */
static void discard(rmq_mock_broker_t *mb, rmq_mock_inner_t *in) {
        rmq_mock_stored_t *sm;
        rmq__mock_topic_create_in_send_back(mb, RMQ_MOCK_TOPIC_CHECK_MAX, 1,
                                            RMQ_PERM_READ | RMQ_PERM_WRITE, 0);
        rmq__mock_inner_set_topic(in, RMQ_MOCK_TOPIC_CHECK_MAX);
        in->queue_id = 0; /* TCMT_QUEUE_NUMS is 1 */
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

/* MessageStoreConfig.fileReservedTime (72 h): a half message born
 * longer ago is discarded unchecked (TransactionalMessageServiceImpl
 * #needSkip). */
#define FILE_RESERVED_MS (72LL * 3600 * 1000)

/* mirrors TransactionalMessageBridge#renewHalfMessageInner (flag and
 * reconsume times are not carried over; WAIT=false goes into the map
 * shared with \p in after the properties string is made) and, with
 * \p immunity, #renewImmunityHalfMessageInner (the string is made again
 * after TRAN_PREPARED_QUEUE_OFFSET, the first copy's queue offset, is
 * put). Stores the copy in the half queue; NULL if it was not stored. */
static rmq_mock_stored_t *renew(rmq_mock_broker_t *mb, rmq_mock_inner_t *in,
                                const rmq_msg_view_t *mv, bool immunity) {
        rmq_mock_inner_t copy;
        rmq_mock_stored_t *sm = NULL;
        rmq__mock_inner_init(&copy);
        rmq__mock_inner_set_topic(&copy, RMQ_MOCK_TOPIC_HALF);
        copy.queue_id  = mv->queueId;
        copy.sys_flag  = mv->sysFlag;
        copy.body      = mv->body;
        copy.body_len  = mv->bodyLen;
        copy.born_ts   = mv->bornTimestamp;
        copy.born_host = mv->bornHost;
        rmq__mock_props_encode(&in->props, &copy.props_str);
        rmq__mock_props_put(&in->props, RMQ_PROP_WAIT, "false");
        if (immunity) {
                char num[24];
                if (!rmq__mock_props_get(&in->props,
                                         RMQ_PROP_TRAN_PREPARED_QUEUE_OFFSET)) {
                        snprintf(num, sizeof(num), "%lld",
                                 (long long)mv->queueOffset);
                        rmq__mock_props_put(&in->props,
                                            RMQ_PROP_TRAN_PREPARED_QUEUE_OFFSET,
                                            num);
                }
                rmq__buf_reset(&copy.props_str);
                rmq__mock_props_encode(&in->props, &copy.props_str);
        }
        if (rmq__mock_put(mb, &copy, &sm) != RMQ_MOCK_PUT_OK)
                sm = NULL;
        rmq__mock_inner_clear(&copy);
        return sm;
}

/* What a check round did with a half message. */
typedef enum check_result_e {
        CHECK_GONE,    /* discarded or vanished: freed */
        CHECK_RENEWED, /* a copy went to the end of the half queue */
        CHECK_STOP,    /* not handled: the round ends here (Java's break) */
} check_result_t;

/* TransactionalMessageServiceImpl#getImmunityTime */
static int64_t immunity_ms(const char *s, int64_t transaction_timeout) {
        int64_t v;
        if (rmq__parse_i64(s, &v))
                v = -1;
        return v == -1 ? transaction_timeout : v * 1000;
}

/* mirrors the body of TransactionalMessageServiceImpl#check's loop for
 * one half message, in its order: needDiscard (which counts the check in
 * TRANSACTION_CHECK_TIMES) or needSkip, then "fresh stored", then the
 * immunity time (CHECK_IMMUNITY_TIME_IN_SECONDS: put back with
 * TRAN_PREPARED_QUEUE_OFFSET while immune; else transactionTimeOut, where
 * a young message ends the round), then the check itself. */
static check_result_t check_one(rmq_mock_broker_t *mb, rmq_mock_half_t *hm,
                                int64_t round_start) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        rmq_mock_stored_t *sm  = rmq__mock_lookup(mb, hm->commit_offset);
        rmq_mock_stored_t *copy;
        rmq_mock_inner_t in;
        rmq_msg_view_t mv;
        const char *s;
        int64_t wall        = rmq__mock_wall(mc), immunity, age, prepared;
        int32_t check_times = 1;
        bool gone           = false;
        char num[16];
        if (!sm)
                return CHECK_GONE;
        rmq__mock_inner_from_stored(&in, sm, &mv);
        /* needDiscard */
        s = rmq__mock_props_get(&in.props, RMQ_PROP_TRANSACTION_CHECK_TIMES);
        if (s) {
                if (rmq__parse_i32(s, &check_times))
                        check_times = -1;
                if (check_times >= mc->opts.transactionCheckMax)
                        gone = true;
                else
                        check_times++;
        }
        if (!gone) {
                snprintf(num, sizeof(num), "%d", (int)check_times);
                rmq__mock_props_put(&in.props, RMQ_PROP_TRANSACTION_CHECK_TIMES,
                                    num);
                /* needSkip */
                gone = wall - mv.bornTimestamp > FILE_RESERVED_MS;
        }
        if (gone) {
                discard(mb, &in);
                rmq__mock_inner_clear(&in);
                return CHECK_GONE;
        }
        if (sm->store_ts >= round_start)
                goto stop; /* fresh stored: checked at a later round */
        age      = wall - mv.bornTimestamp;
        immunity = mc->opts.transactionTimeOut;
        s        = rmq__mock_props_get(&in.props,
                                       RMQ_PROP_CHECK_IMMUNITY_TIME_IN_SECONDS);
        if (s) {
                immunity = immunity_ms(s, mc->opts.transactionTimeOut);
                /* checkPrepareQueueOffset: put back while immune, unless
                 * TRAN_PREPARED_QUEUE_OFFSET is -1 (a resolved first copy
                 * is no longer in the list). */
                s = rmq__mock_props_get(&in.props,
                                        RMQ_PROP_TRAN_PREPARED_QUEUE_OFFSET);
                if (age < immunity &&
                    (!s || rmq__parse_i64(s, &prepared) || prepared != -1)) {
                        copy = renew(mb, &in, &mv, true);
                        if (copy) {
                                hm->commit_offset = (int64_t)copy->node.key;
                                rmq__mock_inner_clear(&in);
                                return CHECK_RENEWED;
                        }
                }
        } else if (age >= 0 && age < immunity) {
                goto stop; /* new arrived: so is everything after it */
        }
        /* isNeedCheck; otherwise Java reads more op messages and, finding
         * none, gets no further in this round. */
        if (!(age > immunity || age <= -1))
                goto stop;
        copy = renew(mb, &in, &mv, false);
        if (!copy)
                goto stop; /* Java tries the same offset again */
        hm->commit_offset = (int64_t)copy->node.key;
        send_check(mb, &in, &mv, copy);
        rmq__mock_inner_clear(&in);
        return CHECK_RENEWED;
stop:
        rmq__mock_inner_clear(&in);
        return CHECK_STOP;
}

/* TransactionalMessageCheckService: one check round per interval, over
 * the unresolved half messages in half queue order (a renewed copy goes
 * to the end, as it is appended to the queue; each is looked at once per
 * round). */
void rmq__mock_txn_timer_cb(rmq_timer_t *t, void *arg) {
        rmq_mock_broker_t *mb = arg;
        int64_t start         = rmq__mock_wall(mb->ep.mc);
        size_t n              = 0;
        rmq_list_t *l;
        RMQ_UNUSED(t);
        if (!mb->ep.up)
                return; /* a stopped broker checks nothing */
        for (l = mb->halves.next; l != &mb->halves; l = l->next)
                n++;
        while (n-- > 0) {
                rmq_mock_half_t *hm = RMQ_CONTAINER_OF(
                    rmq__list_pop_head(&mb->halves), rmq_mock_half_t, link);
                switch (check_one(mb, hm, start)) {
                case CHECK_GONE:
                        rmq__free(hm);
                        break;
                case CHECK_RENEWED:
                        rmq__list_insert_tail(&mb->halves, &hm->link);
                        break;
                case CHECK_STOP:
                        rmq__list_insert_head(&mb->halves, &hm->link);
                        return;
                }
        }
}

void rmq__mock_txn_timer_start(rmq_mock_broker_t *mb) {
        int64_t every = mb->ep.mc->opts.transactionCheckInterval;
        if (mb->ep.mc->stopping)
                return;
        rmq__timer_start(mb->ep.mc->io, &mb->txn_timer, every, every);
}
