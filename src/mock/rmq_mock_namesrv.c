/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mock name server (namesrv DefaultRequestProcessor over
 * RouteInfoManager). Its route table is the brokers' topic tables: every
 * registered broker is registered with every topic it has, as a broker's
 * registerBrokerAll keeps it, so topics created by a send or a heartbeat
 * appear in routes at once.
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_java_util.h"
#include "protocol/rmq_jsonw.h"
#include "protocol/rmq_route.h"

/* The registered brokers that pass \p want, in the order a Java
 * HashMap keyed by brokerName iterates them. Returns the count. */
static size_t brokers_java_order(rmq_mock_cluster_t *mc,
                                 bool (*want)(rmq_mock_broker_t *mb,
                                              const void *arg),
                                 const void *arg,
                                 rmq_mock_broker_t **out) {
        rmq_mock_broker_t *sel[RMQ_MOCK_MAX_BROKERS];
        int32_t hashes[RMQ_MOCK_MAX_BROKERS] = {0};
        size_t order[RMQ_MOCK_MAX_BROKERS];
        size_t n = 0, i;
        int b;
        for (b = 0; b < mc->broker_cnt; b++) {
                rmq_mock_broker_t *mb = mc->brokers[b];
                if (!mb->registered || (want && !want(mb, arg)))
                        continue;
                hashes[n] = rmq__java_hash(mb->name, strlen(mb->name));
                sel[n++]  = mb;
        }
        rmq__java_hashset_order(hashes, n, order);
        for (i = 0; i < n; i++)
                out[i] = sel[order[i]];
        return n;
}

static bool has_topic(rmq_mock_broker_t *mb, const void *arg) {
        return rmq__mock_topic_get(mb, arg) != NULL;
}

/* mirrors DefaultRequestProcessor#getRouteInfoByTopic and
 * RouteInfoManager#pickupTopicRouteData: standard JSON for a request of
 * V4_9_4 (401) or later or with acceptStandardJsonOnly=true, else
 * fastjson's default (bare numeric brokerAddrs keys). */
rmq_cmd_t *rmq__mock_h_route(rmq_mock_ctx_t *ctx) {
        rmq_mock_cluster_t *mc = ctx->mc;
        rmq_mock_broker_t *sel[RMQ_MOCK_MAX_BROKERS];
        rmq_queue_data_t qds[RMQ_MOCK_MAX_BROKERS];
        rmq_broker_data_t bds[RMQ_MOCK_MAX_BROKERS];
        rmq_broker_addr_t addrs[RMQ_MOCK_MAX_BROKERS];
        rmq_topic_route_data_t route;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_mock_hdr_t h;
        const char *topic;
        rmq_cmd_t *resp;
        size_t n, i;
        bool standard;
        rmq__mock_hdr_init(&h, ctx->req);
        topic    = rmq__mock_hdr_str(&h, "topic", true);
        standard = rmq__mock_hdr_bool(&h, "acceptStandardJsonOnly", false);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        n = brokers_java_order(mc, has_topic, topic, sel);
        if (n == 0) {
                char *remark = rmq__asprintf(
                    "No topic route info in name server for the topic: "
                    "%s" RMQ_MOCK_FAQ_SUFFIX,
                    topic);
                resp = rmq__mock_response(RMQ_ERR_TOPIC_NOT_EXIST, remark);
                rmq__free(remark);
                return resp;
        }
        memset(&route, 0, sizeof(route));
        for (i = 0; i < n; i++) {
                rmq_mock_topic_t *t   = rmq__mock_topic_get(sel[i], topic);
                qds[i].brokerName     = sel[i]->name;
                qds[i].readQueueNums  = t->read_queues;
                qds[i].writeQueueNums = t->write_queues;
                qds[i].perm           = t->perm;
                qds[i].topicSysFlag   = t->sys_flag;
                addrs[i].brokerId     = RMQ_MASTER_ID;
                addrs[i].addr         = sel[i]->ep.addr;
                bds[i].cluster        = (char *)RMQ_MOCK_CLUSTER_NAME;
                bds[i].brokerName     = sel[i]->name;
                bds[i].brokerAddrs    = &addrs[i];
                bds[i].brokerAddrs_cnt = 1;
        }
        route.queueDatas      = qds;
        route.queueDatas_cnt  = n;
        route.brokerDatas     = bds;
        route.brokerDatas_cnt = n;
        if (standard || ctx->req->version >= RMQ_MOCK_V4_9_4)
                rmq__topic_route_encode(&route, &body);
        else
                rmq__topic_route_encode_fastjson(&route, &body);
        return rmq__mock_response_body(&body);
}

/* mirrors DefaultRequestProcessor#registerBrokerWithFilterServer: a real
 * broker pointed at the mock name server is answered, not registered. */
rmq_cmd_t *rmq__mock_h_register_broker(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        rmq__mock_hdr_init(&h, ctx->req);
        rmq__mock_hdr_str(&h, "brokerName", true);
        rmq__mock_hdr_str(&h, "brokerAddr", true);
        rmq__mock_hdr_str(&h, "clusterName", true);
        rmq__mock_hdr_str(&h, "haServerAddr", true);
        rmq__mock_hdr_i64(&h, "brokerId", true, 0);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        return rmq__mock_response_hdr(RMQ_OK, NULL);
}

/* mirrors DefaultRequestProcessor#getBrokerClusterInfo:
 * {"brokerAddrTable":{name:BrokerData},"clusterAddrTable":{cluster:[names]}}
 * in fastjson's default form (ClusterInfo#encode): brokerAddrs keys are
 * bare numbers, whatever the client's version. */
rmq_cmd_t *rmq__mock_h_cluster_info(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *sel[RMQ_MOCK_MAX_BROKERS];
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        size_t n = brokers_java_order(ctx->mc, NULL, NULL, sel), i;
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_obj_open(&jw, "brokerAddrTable");
        for (i = 0; i < n; i++) {
                rmq_broker_addr_t addr = {RMQ_MASTER_ID, sel[i]->ep.addr};
                rmq_broker_data_t bd;
                memset(&bd, 0, sizeof(bd));
                bd.cluster         = (char *)RMQ_MOCK_CLUSTER_NAME;
                bd.brokerName      = sel[i]->name;
                bd.brokerAddrs     = &addr;
                bd.brokerAddrs_cnt = 1;
                rmq__broker_data_encode(&jw, sel[i]->name, &bd, true);
        }
        rmq__jsonw_obj_close(&jw);
        rmq__jsonw_obj_open(&jw, "clusterAddrTable");
        if (n) {
                rmq__jsonw_arr_open(&jw, RMQ_MOCK_CLUSTER_NAME);
                for (i = 0; i < n; i++)
                        rmq__jsonw_str(&jw, NULL, sel[i]->name);
                rmq__jsonw_arr_close(&jw);
        }
        rmq__jsonw_obj_close(&jw);
        rmq__jsonw_obj_close(&jw);
        return rmq__mock_response_body(&body);
}

/* mirrors DefaultRequestProcessor#getAllTopicListFromNameserver:
 * {"topicList":[...]} */
rmq_cmd_t *rmq__mock_h_topic_list(rmq_mock_ctx_t *ctx) {
        rmq_mock_cluster_t *mc = ctx->mc;
        rmq_strmap_t seen;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        int b;
        rmq__strmap_init(&seen);
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_arr_open(&jw, "topicList");
        for (b = 0; b < mc->broker_cnt; b++) {
                rmq_mock_broker_t *mb = mc->brokers[b];
                rmq_strmap_entry_t *it = NULL, *e;
                size_t bk;
                if (!mb->registered)
                        continue;
                while ((e = rmq__strmap_next(&mb->topics, &it, &bk))) {
                        if (rmq__strmap_get(&seen, e->key))
                                continue;
                        rmq__strmap_set(&seen, e->key, mb);
                        rmq__jsonw_str(&jw, NULL, e->key);
                }
        }
        rmq__jsonw_arr_close(&jw);
        rmq__jsonw_obj_close(&jw);
        rmq__strmap_clear(&seen, NULL);
        return rmq__mock_response_body(&body);
}
