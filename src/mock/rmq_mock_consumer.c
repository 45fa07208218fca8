/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Consumer-facing requests: the group's client list, committed offsets
 * (ConsumerManageProcessor), queue locks (AdminBrokerProcessor over
 * RebalanceLockManager) and the admin views mqadmin uses
 * (GET_CONSUMER_CONNECTION_LIST, GET_CONSUME_STATS; the requests
 * forwarded to clients are in rmq_mock_broker2client.c).
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_java_util.h"
#include "protocol/rmq_jsonw.h"
#include "protocol/rmq_names.h"
#include "protocol/rmq_route.h"

/* mirrors ConsumerManageProcessor#getConsumerListByGroup */
rmq_cmd_t *rmq__mock_h_consumer_list(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *group;
        rmq_mock_group_t *g;
        rmq_cmd_t *resp;
        rmq__mock_hdr_init(&h, ctx->req);
        group = rmq__mock_hdr_str(&h, "consumerGroup", true);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        g = rmq__strmap_get(&ctx->mb->consumers, group);
        if (g && g->client_cnt) {
                rmq_buf_t body = RMQ_BUF_INIT;
                size_t n;
                const char **ids = rmq__mock_group_ids(g, &n);
                rmq__consumer_list_encode(ids, n, &body);
                rmq__free(ids);
                resp = rmq__mock_response_hdr(RMQ_OK, NULL);
                rmq__mock_set_body(resp, &body);
                return resp;
        }
        {
                char *remark = rmq__asprintf("no consumer for this group, %s",
                                             group);
                resp = rmq__mock_response_hdr(RMQ_ERR_SYSTEM_ERROR, remark);
                rmq__free(remark);
        }
        return resp;
}

/* mirrors ConsumerManageProcessor#updateConsumerOffset */
rmq_cmd_t *rmq__mock_h_update_offset(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *group, *topic;
        int32_t qid;
        int64_t off;
        rmq__mock_hdr_init(&h, ctx->req);
        group = rmq__mock_hdr_str(&h, "consumerGroup", true);
        topic = rmq__mock_hdr_str(&h, "topic", true);
        qid   = rmq__mock_hdr_i32(&h, "queueId", true, 0);
        off   = rmq__mock_hdr_i64(&h, "commitOffset", true, 0);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        rmq__mock_offset_set(ctx->mb, group, topic, qid, off);
        return rmq__mock_response_hdr(RMQ_OK, NULL);
}

/* mirrors ConsumerManageProcessor#queryConsumerOffset: without a
 * committed offset the answer is 0 while the queue still starts at 0 (the
 * message there is "in memory"), else QUERY_NOT_FOUND. */
rmq_cmd_t *rmq__mock_h_query_offset(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *group, *topic;
        rmq_mock_topic_t *t;
        rmq_mock_queue_t *q;
        rmq_cmd_t *resp;
        int32_t qid;
        int64_t off;
        rmq__mock_hdr_init(&h, ctx->req);
        group = rmq__mock_hdr_str(&h, "consumerGroup", true);
        topic = rmq__mock_hdr_str(&h, "topic", true);
        qid   = rmq__mock_hdr_i32(&h, "queueId", true, 0);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        off = rmq__mock_offset_get(ctx->mb, group, topic, qid);
        t   = rmq__mock_topic_get(ctx->mb, topic);
        q   = t ? rmq__mock_queue(t, qid) : NULL;
        if (off < 0 && (!q || q->min_offset <= 0))
                off = 0;
        if (off < 0)
                return rmq__mock_response_hdr(
                    RMQ_ERR_QUERY_NOT_FOUND,
                    "Not found, V3_0_6_SNAPSHOT maybe this group consumer "
                    "boot first");
        resp = rmq__mock_response_hdr(RMQ_OK, NULL);
        rmq__cmd_ext_add_i64(resp, "offset", off);
        return resp;
}

/* ---- locks (RebalanceLockManager) ---- */

static char *lock_key(const char *group, const rmq_mq_t *mq) {
        return rmq__asprintf("%s\001%s\001%s\001%d", group, mq->topic,
                             mq->brokerName ? mq->brokerName : "",
                             (int)mq->queueId);
}

/* tryLock of one queue: true if \p client_id holds it afterwards. */
static bool try_lock(rmq_mock_broker_t *mb, const char *group,
                     const rmq_mq_t *mq, const char *client_id) {
        int64_t now = rmq__mock_now(mb->ep.mc);
        char *key   = lock_key(group, mq);
        rmq_mock_lock_t *l = rmq__strmap_get(&mb->locks, key);
        bool expired;
        if (!l) {
                l            = rmq__calloc(1, sizeof(*l));
                l->client_id = rmq__strdup(client_id);
                rmq__strmap_set(&mb->locks, key, l);
                l->last_update = now;
                rmq__free(key);
                return true;
        }
        rmq__free(key);
        expired = now - l->last_update > mb->ep.mc->opts.lockExpiry;
        if (!strcmp(l->client_id, client_id) && !expired) {
                l->last_update = now;
                return true;
        }
        if (expired) {
                rmq__free(l->client_id);
                l->client_id   = rmq__strdup(client_id);
                l->last_update = now;
                return true;
        }
        return false;
}

static rmq_cmd_t *body_error(const char *err) {
        char remark[300];
        snprintf(remark, sizeof(remark), "com.alibaba.fastjson.JSONException: %s",
                 err);
        return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
}

/* mirrors AdminBrokerProcessor#lockBatchMQ */
rmq_cmd_t *rmq__mock_h_lock(rmq_mock_ctx_t *ctx) {
        rmq_lock_batch_request_t lr;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_mq_t *ok;
        size_t i, n = 0;
        char err[200];
        memset(&lr, 0, sizeof(lr));
        if (rmq__lock_batch_request_decode(ctx->req->body, ctx->req->body_len,
                                           &lr, err, sizeof(err)) ||
            !lr.consumerGroup || !lr.clientId) {
                rmq__lock_batch_request_clear(&lr);
                return body_error(err[0] ? err : "consumerGroup/clientId");
        }
        ok = rmq__calloc(lr.mqSet_cnt + 1, sizeof(*ok));
        for (i = 0; i < lr.mqSet_cnt; i++) {
                if (!lr.mqSet[i].topic)
                        continue;
                if (try_lock(ctx->mb, lr.consumerGroup, &lr.mqSet[i],
                             lr.clientId))
                        rmq__mq_copy(&ok[n++], &lr.mqSet[i]);
        }
        rmq__mq_java_order(ok, n);
        rmq__lock_batch_response_encode(ok, n, &body);
        rmq__mq_array_free(ok, n);
        rmq__lock_batch_request_clear(&lr);
        return rmq__mock_response_body(&body);
}

/* mirrors AdminBrokerProcessor#unlockBatchMQ */
rmq_cmd_t *rmq__mock_h_unlock(rmq_mock_ctx_t *ctx) {
        rmq_lock_batch_request_t lr;
        size_t i;
        char err[200];
        memset(&lr, 0, sizeof(lr));
        if (rmq__lock_batch_request_decode(ctx->req->body, ctx->req->body_len,
                                           &lr, err, sizeof(err)) ||
            !lr.consumerGroup || !lr.clientId) {
                rmq__lock_batch_request_clear(&lr);
                return body_error(err[0] ? err : "consumerGroup/clientId");
        }
        for (i = 0; i < lr.mqSet_cnt; i++) {
                char *key;
                rmq_mock_lock_t *l;
                if (!lr.mqSet[i].topic)
                        continue;
                key = lock_key(lr.consumerGroup, &lr.mqSet[i]);
                l   = rmq__strmap_get(&ctx->mb->locks, key);
                if (l && !strcmp(l->client_id, lr.clientId))
                        rmq__mock_lock_free(rmq__strmap_del(&ctx->mb->locks,
                                                            key));
                rmq__free(key);
        }
        rmq__lock_batch_request_clear(&lr);
        return rmq__mock_response(RMQ_OK, NULL);
}

/* ---- admin views ---- */

/* "connectionSet":[Connection...] of a group's clients (Connection:
 * clientAddr, clientId, language, version). */
static void connection_set_write(rmq_jsonw_t *jw, const rmq_mock_group_t *g) {
        size_t i;
        rmq__jsonw_arr_open(jw, "connectionSet");
        for (i = 0; g && i < g->client_cnt; i++) {
                const rmq_mock_client_t *c = &g->clients[i];
                const char *lang           = rmq__language_name(c->language);
                rmq__jsonw_obj_open(jw, NULL);
                rmq__jsonw_str(jw, "clientAddr", rmq__channel_addr(c->ch));
                rmq__jsonw_str(jw, "clientId", c->client_id);
                rmq__jsonw_str(jw, "language", lang ? lang : "OTHER");
                rmq__jsonw_i64(jw, "version", c->version);
                rmq__jsonw_obj_close(jw);
        }
        rmq__jsonw_arr_close(jw);
}

/* mirrors AdminBrokerProcessor#getConsumerConnectionList (ConsumerConnection) */
rmq_cmd_t *rmq__mock_h_consumer_connections(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *group;
        rmq_mock_group_t *g;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        rmq_cmd_t *resp;
        size_t i;
        rmq__mock_hdr_init(&h, ctx->req);
        group = rmq__mock_hdr_str(&h, "consumerGroup", true);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        g = rmq__strmap_get(&ctx->mb->consumers, group);
        if (!g) {
                char *remark = rmq__asprintf("the consumer group[%s] not online",
                                             group);
                resp = rmq__mock_response(RMQ_ERR_CONSUMER_NOT_ONLINE, remark);
                rmq__free(remark);
                return resp;
        }
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        connection_set_write(&jw, g);
        rmq__jsonw_str(&jw, "consumeFromWhere",
                       rmq__consume_from_where_name(g->consume_from_where));
        rmq__jsonw_str(&jw, "consumeType",
                       rmq__consume_type_name(g->consume_type));
        rmq__jsonw_str(&jw, "messageModel",
                       rmq__message_model_name(g->message_model));
        rmq__jsonw_obj_open(&jw, "subscriptionTable");
        for (i = 0; i < g->sub_cnt; i++)
                rmq__subscription_write(&jw, g->subs[i].topic, &g->subs[i]);
        rmq__jsonw_obj_close(&jw);
        rmq__jsonw_obj_close(&jw);
        return rmq__mock_response_body(&body);
}

/* Does group \p g subscribe \p topic (or subscribe nothing)? */
static bool group_wants_topic(const rmq_mock_group_t *g, const char *topic) {
        size_t i;
        if (!g || !g->sub_cnt)
                return true;
        for (i = 0; i < g->sub_cnt; i++)
                if (!strcmp(g->subs[i].topic, topic))
                        return true;
        return false;
}

static void consume_stats_topic(rmq_mock_broker_t *mb, rmq_jsonw_t *jw,
                                const char *group, rmq_mock_topic_t *t) {
        int32_t i;
        for (i = 0; i < t->read_queues; i++) {
                rmq_mock_queue_t *q = rmq__mock_queue(t, i);
                int64_t broker_off  = q ? rmq__mock_queue_max(q) : 0;
                int64_t cons_off = rmq__mock_offset_get(mb, group, t->name, i);
                int64_t last     = 0;
                if (cons_off < 0)
                        cons_off = 0;
                if (q && cons_off - 1 >= 0) {
                        rmq_mock_stored_t *sm = rmq__mock_queue_at(q,
                                                                   cons_off - 1);
                        if (sm)
                                last = sm->store_ts;
                }
                rmq__jsonw_raw_key_begin(jw);
                rmq__jsonw_str(jw, "brokerName", mb->name);
                rmq__jsonw_i64(jw, "queueId", i);
                rmq__jsonw_str(jw, "topic", t->name);
                rmq__jsonw_raw_key_end(jw);
                rmq__jsonw_obj_open(jw, NULL);
                rmq__jsonw_i64(jw, "brokerOffset", broker_off);
                rmq__jsonw_i64(jw, "consumerOffset", cons_off);
                rmq__jsonw_i64(jw, "lastTimestamp", last);
                rmq__jsonw_obj_close(jw);
        }
}

/* mirrors AdminBrokerProcessor#getConsumeStats (ConsumeStats; consumeTps
 * is always 0 here) */
rmq_cmd_t *rmq__mock_h_consume_stats(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb = ctx->mb;
        rmq_mock_hdr_t h;
        const char *group, *topic;
        rmq_mock_group_t *g;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        rmq__mock_hdr_init(&h, ctx->req);
        group = rmq__mock_hdr_str(&h, "consumerGroup", true);
        topic = rmq__mock_hdr_str(&h, "topic", false);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        g = rmq__strmap_get(&mb->consumers, group);
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_i64(&jw, "consumeTps", 0);
        rmq__jsonw_obj_open(&jw, "offsetTable");
        if (topic && *topic) {
                rmq_mock_topic_t *t = rmq__mock_topic_get(mb, topic);
                if (t && group_wants_topic(g, topic))
                        consume_stats_topic(mb, &jw, group, t);
        } else {
                /* ConsumerOffsetManager#whichTopicByConsumer */
                rmq_strmap_entry_t *it = NULL, *e;
                size_t b, gl = strlen(group);
                while ((e = rmq__strmap_next(&mb->offsets, &it, &b))) {
                        size_t kl = strlen(e->key);
                        char *tn;
                        rmq_mock_topic_t *t;
                        if (kl <= gl + 1 || strcmp(e->key + kl - gl, group) ||
                            e->key[kl - gl - 1] != '@')
                                continue;
                        tn = rmq__strndup(e->key, kl - gl - 1);
                        t  = rmq__mock_topic_get(mb, tn);
                        if (t && group_wants_topic(g, tn))
                                consume_stats_topic(mb, &jw, group, t);
                        rmq__free(tn);
                }
        }
        rmq__jsonw_obj_close(&jw);
        rmq__jsonw_obj_close(&jw);
        return rmq__mock_response_body(&body);
}

/* mirrors AdminBrokerProcessor#getProducerConnectionList: ProducerConnection
 * {"connectionSet":[...]} of the group's channels. */
rmq_cmd_t *rmq__mock_h_producer_connections(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *group;
        rmq_mock_group_t *g;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        char remark[300];
        rmq__mock_hdr_init(&h, ctx->req);
        group = rmq__mock_hdr_str(&h, "producerGroup", true);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        g = rmq__strmap_get(&ctx->mb->producers, group);
        if (!g) {
                snprintf(remark, sizeof(remark),
                         "the producer group[%s] not exist", group);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        connection_set_write(&jw, g);
        rmq__jsonw_obj_close(&jw);
        return rmq__mock_response_body(&body);
}

/* A group name once in \p names (up to \p cap). */
static void name_add(const char **names, size_t *n, size_t cap,
                     const char *name) {
        size_t i;
        for (i = 0; i < *n; i++)
                if (!strcmp(names[i], name))
                        return;
        if (*n < cap)
                names[(*n)++] = name;
}

/* mirrors AdminBrokerProcessor#queryTopicConsumeByWho: GroupList
 * {"groupList":[...]} of the groups whose members subscribe the topic
 * (ConsumerManager) and those with an offset for it
 * (ConsumerOffsetManager#whichGroupByTopic), in HashSet order. */
rmq_cmd_t *rmq__mock_h_topic_consumed_by(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb = ctx->mb;
        rmq_mock_hdr_t h;
        const char *topic, *names[256];
        int32_t hashes[256];
        size_t order[256], n = 0, i, b, tl;
        rmq_strmap_entry_t *it = NULL, *e;
        rmq_buf_t body         = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        rmq__mock_hdr_init(&h, ctx->req);
        topic = rmq__mock_hdr_str(&h, "topic", true);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        tl = strlen(topic);
        while ((e = rmq__strmap_next(&mb->consumers, &it, &b))) {
                const rmq_mock_group_t *g = e->value;
                for (i = 0; i < g->sub_cnt; i++)
                        if (!strcmp(g->subs[i].topic, topic))
                                name_add(names, &n, RMQ_ARRAY_SIZE(names),
                                         g->name);
        }
        it = NULL;
        while ((e = rmq__strmap_next(&mb->offsets, &it, &b))) {
                /* "topic@group", split at the one '@' */
                const char *at = strchr(e->key, '@');
                if (at && (size_t)(at - e->key) == tl &&
                    !strncmp(e->key, topic, tl) && !strchr(at + 1, '@'))
                        name_add(names, &n, RMQ_ARRAY_SIZE(names), at + 1);
        }
        for (i = 0; i < n; i++)
                hashes[i] = rmq__java_hash(names[i], strlen(names[i]));
        rmq__java_hashset_order(hashes, n, order);
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_arr_open(&jw, "groupList");
        for (i = 0; i < n; i++)
                rmq__jsonw_str(&jw, NULL, names[order[i]]);
        rmq__jsonw_arr_close(&jw);
        rmq__jsonw_obj_close(&jw);
        return rmq__mock_response_body(&body);
}

/* mirrors AdminBrokerProcessor#getAllSubscriptionGroup: the
 * SubscriptionGroupManager as JSON, {"dataVersion":..,
 * "subscriptionGroupTable":{name:SubscriptionGroupConfig}} (default
 * configs; the table in the mock's order). */
rmq_cmd_t *rmq__mock_h_all_sub_groups(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb  = ctx->mb;
        rmq_strmap_entry_t *it = NULL, *e;
        rmq_buf_t body         = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        size_t b;
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__mock_data_version_write(&jw, "dataVersion",
                                     &mb->sub_groups_version);
        rmq__jsonw_obj_open(&jw, "subscriptionGroupTable");
        while ((e = rmq__strmap_next(&mb->sub_groups, &it, &b))) {
                rmq__jsonw_obj_open(&jw, e->key);
                rmq__jsonw_i64(&jw, "brokerId", RMQ_MASTER_ID);
                rmq__jsonw_bool(&jw, "consumeBroadcastEnable", true);
                rmq__jsonw_bool(&jw, "consumeEnable", true);
                rmq__jsonw_bool(&jw, "consumeFromMinEnable", true);
                rmq__jsonw_str(&jw, "groupName", e->key);
                rmq__jsonw_bool(&jw, "notifyConsumerIdsChangedEnable", true);
                rmq__jsonw_i64(&jw, "retryMaxTimes",
                               ctx->mc->opts.maxReconsumeTimes);
                rmq__jsonw_i64(&jw, "retryQueueNums", 1);
                rmq__jsonw_i64(&jw, "whichBrokerWhenConsumeSlowly", 1);
                rmq__jsonw_obj_close(&jw);
        }
        rmq__jsonw_obj_close(&jw);
        rmq__jsonw_obj_close(&jw);
        return rmq__mock_response_body(&body);
}
