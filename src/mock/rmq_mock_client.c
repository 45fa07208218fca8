/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Clients of a mock broker: producer and consumer groups (ProducerManager,
 * ConsumerManager, ConsumerGroupInfo), heartbeats and unregistration
 * (ClientManageProcessor), NOTIFY_CONSUMER_IDS_CHANGED (Broker2Client,
 * DefaultConsumerIdsChangeListener), channel expiry
 * (ClientHousekeepingService), committed offsets (ConsumerOffsetManager)
 * and queue locks (RebalanceLockManager).
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_jsonr.h"
#include "protocol/rmq_names.h"
#include "protocol/rmq_route.h"

/* TopicSysFlag.buildSysFlag(false, true) */
#define TOPIC_SYSFLAG_UNIT_SUB 0x2

/* ---- subscription groups ---- */

void rmq__mock_sub_group_touch(rmq_mock_broker_t *mb, const char *group) {
        if (!group || rmq__strmap_get(&mb->sub_groups, group))
                return;
        rmq__strmap_set(&mb->sub_groups, group, mb);
        mb->sub_groups_version.counter++;
        mb->sub_groups_version.timestamp = rmq__mock_wall(mb->ep.mc);
}

/* ---- groups ---- */

rmq_mock_group_t *rmq__mock_group_get(rmq_strmap_t *groups, const char *name) {
        rmq_mock_group_t *g = rmq__strmap_get(groups, name);
        if (!g) {
                g                     = rmq__calloc(1, sizeof(*g));
                g->name               = rmq__strdup(name);
                g->consume_type       = -1;
                g->message_model      = -1;
                g->consume_from_where = -1;
                rmq__strmap_set(groups, name, g);
        }
        return g;
}

static void client_clear(rmq_mock_client_t *c) {
        rmq__channel_release(c->ch);
        rmq__free(c->client_id);
}

void rmq__mock_group_free(void *p) {
        rmq_mock_group_t *g = p;
        size_t i;
        for (i = 0; i < g->client_cnt; i++)
                client_clear(&g->clients[i]);
        rmq__free(g->clients);
        for (i = 0; i < g->sub_cnt; i++)
                rmq__subscription_clear(&g->subs[i]);
        rmq__free(g->subs);
        rmq__free(g->name);
        rmq__free(g);
}

static void group_del(rmq_strmap_t *groups, rmq_mock_group_t *g) {
        rmq__strmap_del(groups, g->name);
        rmq__mock_group_free(g);
}

static rmq_mock_client_t *group_find(rmq_mock_group_t *g,
                                     const rmq_channel_t *ch) {
        size_t i;
        for (i = 0; i < g->client_cnt; i++)
                if (g->clients[i].ch == ch)
                        return &g->clients[i];
        return NULL;
}

static void group_remove_at(rmq_mock_group_t *g, size_t i) {
        client_clear(&g->clients[i]);
        memmove(&g->clients[i], &g->clients[i + 1],
                (g->client_cnt - i - 1) * sizeof(*g->clients));
        g->client_cnt--;
}

static bool group_remove(rmq_mock_group_t *g, const rmq_channel_t *ch) {
        rmq_mock_client_t *c = group_find(g, ch);
        if (!c)
                return false;
        group_remove_at(g, (size_t)(c - g->clients));
        return true;
}

/* ConsumerGroupInfo.updateChannel / ProducerManager.registerProducer:
 * true if the channel is new in the group. */
static bool group_update_channel(rmq_mock_cluster_t *mc, rmq_mock_group_t *g,
                                 rmq_channel_t *ch, const char *client_id,
                                 const rmq_cmd_t *req) {
        rmq_mock_client_t *c = group_find(g, ch);
        bool added           = false;
        if (!c) {
                if (g->client_cnt >= RMQ_MOCK_MAX_GROUP_CLIENTS)
                        return false;
                if (g->client_cnt == g->client_cap) {
                        g->client_cap = g->client_cap ? g->client_cap * 2 : 4;
                        g->clients    = rmq__realloc(
                            g->clients, g->client_cap * sizeof(*g->clients));
                }
                c = &g->clients[g->client_cnt++];
                memset(c, 0, sizeof(*c));
                c->ch = rmq__channel_retain(ch);
                added = true;
        }
        if (!c->client_id || strcmp(c->client_id, client_id)) {
                rmq__free(c->client_id);
                c->client_id = rmq__strdup(client_id);
        }
        c->language    = req->language;
        c->version     = req->version;
        c->last_update = rmq__mock_now(mc);
        g->last_update = c->last_update;
        return added;
}

/* ---- ProducerManager.clientChannelTable ---- */

void rmq__mock_channel_release(void *ch) {
        rmq__channel_release(ch);
}

/* A producer's channel became new in one of its groups: the client id
 * now names it (clientChannelTable.put). */
static void producer_id_set(rmq_mock_broker_t *mb, const char *client_id,
                            rmq_channel_t *ch) {
        rmq_channel_t *old = rmq__strmap_set(&mb->producer_ids, client_id,
                                             rmq__channel_retain(ch));
        if (old)
                rmq__channel_release(old);
}

/* clientChannelTable.remove(clientId): whichever channel the id names,
 * and although the client may still be in another group, as the broker
 * does. */
static void producer_id_del(rmq_mock_broker_t *mb, const char *client_id) {
        rmq_channel_t *old = rmq__strmap_del(&mb->producer_ids, client_id);
        if (old)
                rmq__channel_release(old);
}

rmq_channel_t *rmq__mock_producer_channel(rmq_mock_broker_t *mb,
                                          const char *client_id) {
        return rmq__strmap_get(&mb->producer_ids, client_id);
}

static rmq_subscription_data_t *group_sub(rmq_mock_group_t *g,
                                          const char *topic) {
        size_t i;
        for (i = 0; i < g->sub_cnt; i++)
                if (!strcmp(g->subs[i].topic, topic))
                        return &g->subs[i];
        return NULL;
}

/* mirrors ConsumerGroupInfo#updateSubscription */
static bool group_update_subs(rmq_mock_group_t *g,
                              const rmq_consumer_data_t *cd) {
        bool updated = false;
        size_t i, j;
        for (i = 0; i < cd->subscriptionDataSet_cnt; i++) {
                const rmq_subscription_data_t *sd = &cd->subscriptionDataSet[i];
                rmq_subscription_data_t *old;
                if (!sd->topic)
                        continue;
                old = group_sub(g, sd->topic);
                if (!old) {
                        g->subs = rmq__realloc(g->subs, (g->sub_cnt + 1) *
                                                            sizeof(*g->subs));
                        rmq__subscription_copy(&g->subs[g->sub_cnt++], sd);
                        updated = true;
                } else if (sd->subVersion > old->subVersion) {
                        rmq__subscription_clear(old);
                        rmq__subscription_copy(old, sd);
                }
        }
        for (i = 0; i < g->sub_cnt;) {
                bool exist = false;
                for (j = 0; j < cd->subscriptionDataSet_cnt; j++)
                        if (cd->subscriptionDataSet[j].topic &&
                            !strcmp(cd->subscriptionDataSet[j].topic,
                                    g->subs[i].topic))
                                exist = true;
                if (exist) {
                        i++;
                        continue;
                }
                rmq__subscription_clear(&g->subs[i]);
                memmove(&g->subs[i], &g->subs[i + 1],
                        (g->sub_cnt - i - 1) * sizeof(*g->subs));
                g->sub_cnt--;
                updated = true;
        }
        return updated;
}

const char **rmq__mock_group_ids(const rmq_mock_group_t *g, size_t *np) {
        const char **ids = rmq__calloc(g->client_cnt + 1, sizeof(char *));
        size_t i;
        for (i = 0; i < g->client_cnt; i++)
                ids[i] = g->clients[i].client_id;
        *np = g->client_cnt;
        return ids;
}

/* mirrors Broker2Client#notifyConsumerIdsChanged, to every channel */
void rmq__mock_notify_ids_changed(rmq_mock_broker_t *mb,
                                  rmq_mock_group_t *g) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        size_t i;
        if (mc->stopping)
                return;
        for (i = 0; i < g->client_cnt; i++) {
                rmq_cmd_t *req;
                if (!rmq__channel_is_open(g->clients[i].ch))
                        continue;
                req           = rmq__cmd_new_request(
                    RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED);
                req->language = RMQ_LANG_JAVA;
                req->version  = RMQ_MOCK_VERSION;
                rmq__cmd_ext_add(req, "consumerGroup", g->name);
                rmq__remoting_invoke_channel(mb->ep.rm, g->clients[i].ch, req,
                                             10, 0, NULL, NULL);
                rmq__cmd_destroy(req);
        }
}

/* ---- handlers ---- */

/* mirrors ClientManageProcessor#heartBeat */
rmq_cmd_t *rmq__mock_h_heartbeat(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb  = ctx->mb;
        rmq_mock_cluster_t *mc = ctx->mc;
        rmq_heartbeat_data_t *hb = NULL;
        char err[200], remark[300];
        size_t i;
        if (!ctx->req->body_len)
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR,
                                          "java.lang.NullPointerException");
        if (rmq__heartbeat_decode(ctx->req->body, ctx->req->body_len, &hb, err,
                                  sizeof(err))) {
                snprintf(remark, sizeof(remark),
                         "com.alibaba.fastjson.JSONException: %s", err);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        for (i = 0; i < hb->consumerDataSet_cnt; i++) {
                const rmq_consumer_data_t *cd = &hb->consumerDataSet[i];
                rmq_mock_group_t *g;
                char *retry;
                bool r1, r2;
                /* The subscription group is auto-created
                 * (autoCreateSubscriptionGroup), and with it the retry
                 * topic: 1 queue, RW. */
                retry = rmq__retry_topic(cd->groupName);
                rmq__mock_topic_create_in_send_back(
                    mb, retry, 1, RMQ_PERM_READ | RMQ_PERM_WRITE,
                    cd->unitMode ? TOPIC_SYSFLAG_UNIT_SUB : 0);
                rmq__free(retry);
                rmq__mock_sub_group_touch(mb, cd->groupName);
                g = rmq__mock_group_get(&mb->consumers, cd->groupName);
                g->consume_type       = cd->consumeType;
                g->message_model      = cd->messageModel;
                g->consume_from_where = cd->consumeFromWhere;
                r1 = group_update_channel(mc, g, ctx->ch,
                                          hb->clientID ? hb->clientID : "",
                                          ctx->req);
                r2 = group_update_subs(g, cd);
                if (r1 || r2)
                        rmq__mock_notify_ids_changed(mb, g);
        }
        for (i = 0; i < hb->producerDataSet_cnt; i++) {
                const char *id = hb->clientID ? hb->clientID : "";
                rmq_mock_group_t *g = rmq__mock_group_get(
                    &mb->producers, hb->producerDataSet[i].groupName);
                /* ProducerManager#registerProducer */
                if (group_update_channel(mc, g, ctx->ch, id, ctx->req))
                        producer_id_set(mb, id, ctx->ch);
        }
        rmq__heartbeat_destroy(hb);
        return rmq__mock_response(RMQ_OK, NULL);
}

/* mirrors ClientManageProcessor#unregisterClient */
rmq_cmd_t *rmq__mock_h_unregister(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb = ctx->mb;
        rmq_mock_hdr_t h;
        const char *client_id, *pgroup, *cgroup;
        rmq__mock_hdr_init(&h, ctx->req);
        client_id = rmq__mock_hdr_str(&h, "clientID", true);
        pgroup = rmq__mock_hdr_str(&h, "producerGroup", false);
        cgroup = rmq__mock_hdr_str(&h, "consumerGroup", false);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        if (pgroup) {
                rmq_mock_group_t *g = rmq__strmap_get(&mb->producers, pgroup);
                /* ProducerManager#unregisterProducer */
                if (g) {
                        group_remove(g, ctx->ch);
                        producer_id_del(mb, client_id);
                        if (!g->client_cnt)
                                group_del(&mb->producers, g);
                }
        }
        if (cgroup) {
                rmq_mock_group_t *g = rmq__strmap_get(&mb->consumers, cgroup);
                if (g) {
                        group_remove(g, ctx->ch);
                        if (!g->client_cnt)
                                group_del(&mb->consumers, g);
                        else
                                rmq__mock_notify_ids_changed(mb, g);
                }
        }
        return rmq__mock_response_hdr(RMQ_OK, NULL);
}

/* mirrors ClientManageProcessor#checkClientConfig: a TAG subscription
 * (ExpressionType#isTagType: TAG, empty or none) is fine; any other type
 * needs enablePropertyFilter, which is off by default. */
rmq_cmd_t *rmq__mock_h_check_client_config(rmq_mock_ctx_t *ctx) {
        rmq_jsonr_t jr;
        cJSON *root;
        const cJSON *sd;
        char *type = NULL, err[200], remark[300];
        rmq_cmd_t *resp;
        if (!ctx->req->body_len)
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR,
                                          "java.lang.NullPointerException");
        rmq__jsonr_init(&jr, err, sizeof(err));
        root = rmq__jsonr_parse(&jr, ctx->req->body, ctx->req->body_len);
        sd   = root ? rmq__jsonr_object(&jr, root, "subscriptionData") : NULL;
        if (sd)
                type = rmq__jsonr_strdup(&jr, sd, "expressionType", false);
        if (jr.err) {
                snprintf(remark, sizeof(remark),
                         "com.alibaba.fastjson.JSONException: %s", err);
                resp = rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        } else if (sd && type && *type &&
                   strcmp(type, RMQ_EXPRESSION_TYPE_TAG)) {
                snprintf(remark, sizeof(remark),
                         "The broker does not support consumer to filter "
                         "message by %s",
                         type);
                resp = rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        } else {
                resp = rmq__mock_response(RMQ_OK, NULL);
        }
        rmq__free(type);
        cJSON_Delete(root);
        return resp;
}

/* ---- housekeeping ---- */

/* Removes \p ch from every group of \p groups; notifies consumer groups
 * that lost a member (ConsumerManager#doChannelCloseEvent). */
static void groups_channel_closed(rmq_mock_broker_t *mb, rmq_strmap_t *groups,
                                  rmq_channel_t *ch, bool consumers) {
        rmq_mock_group_t *victims[64];
        size_t nv, i;
        do {
                rmq_strmap_entry_t *it = NULL, *e;
                size_t b;
                nv = 0;
                while ((e = rmq__strmap_next(groups, &it, &b)) && nv < 64) {
                        rmq_mock_group_t *g = e->value;
                        if (group_find(g, ch))
                                victims[nv++] = g;
                }
                for (i = 0; i < nv; i++) {
                        rmq_mock_group_t *g = victims[i];
                        if (!consumers)
                                producer_id_del(mb,
                                                group_find(g, ch)->client_id);
                        group_remove(g, ch);
                        if (!g->client_cnt)
                                group_del(groups, g);
                        else if (consumers)
                                rmq__mock_notify_ids_changed(mb, g);
                }
        } while (nv == 64);
}

void rmq__mock_client_channel_closed(rmq_mock_broker_t *mb,
                                     rmq_channel_t *ch) {
        rmq__mock_pull_drop(mb, ch);
        groups_channel_closed(mb, &mb->producers, ch, false);
        groups_channel_closed(mb, &mb->consumers, ch, true);
}

/* ProducerManager/ConsumerManager#scanNotActiveChannel: removes clients
 * whose last heartbeat is older than channelExpiredTimeout and closes
 * their channels. */
static void groups_scan(rmq_mock_broker_t *mb, rmq_strmap_t *groups,
                        bool producers, int64_t now) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        rmq_channel_t *close_list[64];
        size_t nc = 0, i;
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b;
        while ((e = rmq__strmap_next(groups, &it, &b))) {
                rmq_mock_group_t *g = e->value;
                for (i = 0; i < g->client_cnt;) {
                        rmq_mock_client_t *c = &g->clients[i];
                        if (now - c->last_update <=
                            mc->opts.channelExpiredTimeout) {
                                i++;
                                continue;
                        }
                        rmq__log(&mc->lg, RMQ_LOG_WARN, "MOCK",
                                 "%s: remove expired channel %s from group "
                                 "%s",
                                 mb->name, rmq__channel_addr(c->ch), g->name);
                        if (nc < 64)
                                close_list[nc++] = rmq__channel_retain(c->ch);
                        if (producers)
                                producer_id_del(mb, c->client_id);
                        group_remove_at(g, i);
                }
        }
        for (i = 0; i < nc; i++) {
                if (rmq__channel_is_open(close_list[i]))
                        rmq__channel_close(close_list[i],
                                           "mock: client channel expired");
                rmq__channel_release(close_list[i]);
        }
}

static void groups_drop_empty(rmq_strmap_t *groups) {
        for (;;) {
                rmq_strmap_entry_t *it = NULL, *e;
                size_t b;
                rmq_mock_group_t *empty = NULL;
                while ((e = rmq__strmap_next(groups, &it, &b)))
                        if (!((rmq_mock_group_t *)e->value)->client_cnt)
                                empty = e->value;
                if (!empty)
                        return;
                group_del(groups, empty);
        }
}

void rmq__mock_clients_scan(rmq_mock_cluster_t *mc) {
        int64_t now = rmq__mock_now(mc);
        int i;
        for (i = 0; i < mc->broker_cnt; i++) {
                rmq_mock_broker_t *mb = mc->brokers[i];
                groups_scan(mb, &mb->producers, true, now);
                groups_scan(mb, &mb->consumers, false, now);
                groups_drop_empty(&mb->producers);
                groups_drop_empty(&mb->consumers);
        }
}

/* ---- offsets (ConsumerOffsetManager) ---- */

void rmq__mock_offsets_free(void *p) {
        rmq_mock_offsets_t *o = p;
        rmq__free(o->offset);
        rmq__free(o);
}

static char *offsets_key(const char *group, const char *topic) {
        return rmq__asprintf("%s@%s", topic, group);
}

int64_t rmq__mock_offset_get(rmq_mock_broker_t *mb, const char *group,
                             const char *topic, int32_t queue_id) {
        char *key = offsets_key(group, topic);
        rmq_mock_offsets_t *o = rmq__strmap_get(&mb->offsets, key);
        rmq__free(key);
        if (!o || queue_id < 0 || (size_t)queue_id >= o->cnt)
                return -1;
        return o->offset[queue_id];
}

void rmq__mock_offset_set(rmq_mock_broker_t *mb, const char *group,
                          const char *topic, int32_t queue_id, int64_t off) {
        char *key = offsets_key(group, topic);
        rmq_mock_offsets_t *o = rmq__strmap_get(&mb->offsets, key);
        if (queue_id < 0 || queue_id > 65535) {
                rmq__free(key);
                return;
        }
        if (!o) {
                o = rmq__calloc(1, sizeof(*o));
                rmq__strmap_set(&mb->offsets, key, o);
        }
        rmq__free(key);
        if ((size_t)queue_id >= o->cnt) {
                size_t n = (size_t)queue_id + 1, i;
                o->offset = rmq__realloc(o->offset, n * sizeof(*o->offset));
                for (i = o->cnt; i < n; i++)
                        o->offset[i] = -1;
                o->cnt = n;
        }
        o->offset[queue_id] = off;
}

/* ---- locks (RebalanceLockManager) ---- */

void rmq__mock_lock_free(void *p) {
        rmq_mock_lock_t *l = p;
        rmq__free(l->client_id);
        rmq__free(l);
}

static char *lock_key(const char *group, const char *topic,
                      const char *broker, int32_t queue_id) {
        return rmq__asprintf("%s\001%s\001%s\001%d", group, topic, broker,
                             (int)queue_id);
}

const char *rmq__mock_lock_owner(rmq_mock_broker_t *mb, const char *group,
                                 const char *topic, const char *broker,
                                 int32_t queue_id) {
        char *key = lock_key(group, topic, broker, queue_id);
        rmq_mock_lock_t *l = rmq__strmap_get(&mb->locks, key);
        rmq__free(key);
        if (!l || rmq__mock_now(mb->ep.mc) - l->last_update >
                      mb->ep.mc->opts.lockExpiry)
                return NULL;
        return l->client_id;
}
