/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's admin requests (AdminBrokerProcessor, 4.9.8) about topics
 * and the broker: UPDATE_AND_CREATE_TOPIC (17), GET_ALL_TOPIC_CONFIG (21),
 * GET_BROKER_RUNTIME_INFO (28), GET_TOPIC_STATS_INFO (202).
 *
 * UPDATE_AND_CREATE_TOPIC is what DefaultMQProducer#createTopic
 * (MQAdminImpl) sends to every master. The topic config is replaced; the
 * mock's name server answers from the brokers' topic tables, so the route
 * shows it at once, as registerIncrementBrokerData makes it on a real
 * cluster.
 */
#include <stdarg.h>
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_java_util.h"
#include "protocol/rmq_jsonw.h"
#include "protocol/rmq_names.h"

/* The mock's bound on queue counts (a real broker has none; the mock
 * allocates its queues). The same as rmq_mock_topic_create's. */
#define MOCK_MAX_QUEUE_NUMS 65536

/* mirrors AdminBrokerProcessor#updateAndCreateTopic */
rmq_cmd_t *rmq__mock_h_create_topic(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *topic, *filter, *bad;
        int32_t read_queues, write_queues, perm, sys_flag;
        rmq_mock_topic_t *t;
        char remark[400];
        /* CreateTopicRequestHeader through the reflective decoder: the
         * first missing or bad field fails, in the iteration order of the
         * HashSet<Field> RemotingCommand#getClazzFields builds. */
        rmq__mock_hdr_init(&h, ctx->req);
        read_queues  = rmq__mock_hdr_i32(&h, "readQueueNums", true, 0);
        perm         = rmq__mock_hdr_i32(&h, "perm", true, 0);
        write_queues = rmq__mock_hdr_i32(&h, "writeQueueNums", true, 0);
        filter       = rmq__mock_hdr_str(&h, "topicFilterType", true);
        topic        = rmq__mock_hdr_str(&h, "topic", true);
        rmq__mock_hdr_str(&h, "defaultTopic", true);
        sys_flag = rmq__mock_hdr_i32(&h, "topicSysFlag", false, 0);
        rmq__mock_hdr_str(&h, "order", true); /* Boolean.parseBoolean */
        if (h.err)
                return rmq__mock_hdr_error(&h);
        /* CreateTopicRequestHeader#checkFields */
        if (strcmp(filter, "SINGLE_TAG") && strcmp(filter, "MULTI_TAG")) {
                snprintf(remark, sizeof(remark),
                         "org.apache.rocketmq.remoting.exception."
                         "RemotingCommandException: topicFilterType = [%s] "
                         "value invalid",
                         filter);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        bad = rmq__mock_topic_invalid(topic);
        if (bad)
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, bad);
        /* TopicValidator.isSystemTopic (the cluster and broker names are
         * not refused by 4.9.8). */
        if (rmq__is_system_topic(topic)) {
                snprintf(remark, sizeof(remark),
                         "The topic[%s] is conflict with system topic.",
                         topic);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        if (read_queues > MOCK_MAX_QUEUE_NUMS ||
            write_queues > MOCK_MAX_QUEUE_NUMS) {
                snprintf(remark, sizeof(remark),
                         "[mock] queue numbers above %d are not supported",
                         MOCK_MAX_QUEUE_NUMS);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        /* A new TopicConfig replaces the old one: the request's order flag
         * is not applied (4.9.8 leaves TopicConfig.order false). */
        t            = rmq__mock_topic_put(ctx->mb, topic, read_queues,
                                           write_queues, perm, sys_flag);
        t->multi_tag = !strcmp(filter, "MULTI_TAG");
        rmq__log(&ctx->mc->lg, RMQ_LOG_INFO, "MOCK",
                 "%s: updateAndCreateTopic %s by %s", ctx->mb->name, topic,
                 rmq__channel_addr(ctx->ch));
        /* createResponseCommand(null) keeps its remark on success. */
        return rmq__mock_response(RMQ_OK, "not set any response code");
}

void rmq__mock_data_version_write(rmq_jsonw_t *jw, const char *key,
                                  const rmq_mock_data_version_t *dv) {
        rmq__jsonw_obj_open(jw, key);
        rmq__jsonw_i64(jw, "counter", dv->counter);
        rmq__jsonw_i64(jw, "timestamp", dv->timestamp);
        rmq__jsonw_obj_close(jw);
}

/* mirrors AdminBrokerProcessor#getAllTopicConfig: TopicConfigManager's
 * TopicConfigSerializeWrapper {"dataVersion":..,"topicConfigTable":{name:
 * TopicConfig}} (the table in the mock's order). */
rmq_cmd_t *rmq__mock_h_all_topic_config(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb  = ctx->mb;
        rmq_strmap_entry_t *it = NULL, *e;
        rmq_buf_t body         = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        rmq_cmd_t *resp;
        size_t b;
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__mock_data_version_write(&jw, "dataVersion", &mb->topics_version);
        rmq__jsonw_obj_open(&jw, "topicConfigTable");
        while ((e = rmq__strmap_next(&mb->topics, &it, &b))) {
                const rmq_mock_topic_t *t = e->value;
                rmq__jsonw_obj_open(&jw, t->name);
                rmq__jsonw_bool(&jw, "order", false);
                rmq__jsonw_i64(&jw, "perm", t->perm);
                rmq__jsonw_i64(&jw, "readQueueNums", t->read_queues);
                rmq__jsonw_str(&jw, "topicFilterType",
                               t->multi_tag ? "MULTI_TAG" : "SINGLE_TAG");
                rmq__jsonw_str(&jw, "topicName", t->name);
                rmq__jsonw_i64(&jw, "topicSysFlag", t->sys_flag);
                rmq__jsonw_i64(&jw, "writeQueueNums", t->write_queues);
                rmq__jsonw_obj_close(&jw);
        }
        rmq__jsonw_obj_close(&jw);
        rmq__jsonw_obj_close(&jw);
        /* createResponseCommand(GetAllTopicConfigResponseHeader.class) */
        resp = rmq__mock_response_hdr(RMQ_OK, NULL);
        rmq__mock_set_body(resp, &body);
        return resp;
}

/* Messages stored on the broker, all topics. */
static int64_t stored_count(rmq_mock_broker_t *mb) {
        rmq_strmap_entry_t *it = NULL, *e;
        int64_t n              = 0;
        size_t b, q;
        while ((e = rmq__strmap_next(&mb->topics, &it, &b))) {
                const rmq_mock_topic_t *t = e->value;
                for (q = 0; q < t->queue_cnt; q++)
                        n += (int64_t)t->queues[q].cnt;
        }
        return n;
}

/* The runtime info's table, built in the broker's put order. */
#define KV_MAX 64
typedef struct kv_s {
        const char *keys[KV_MAX];
        char vals[KV_MAX][96];
        size_t n;
} kv_t;

static void kv_add(kv_t *kv, const char *key, const char *fmt, ...) {
        va_list ap;
        if (kv->n == KV_MAX)
                return;
        kv->keys[kv->n] = key;
        va_start(ap, fmt);
        vsnprintf(kv->vals[kv->n], sizeof(kv->vals[kv->n]), fmt, ap);
        va_end(ap);
        kv->n++;
}

/* mirrors AdminBrokerProcessor#getBrokerRuntimeInfo / #prepareRuntimeInfo
 * with DefaultMessageStore#getRuntimeInfo and StoreStatsService
 * #getRuntimeInfo: KVTable {"table":{...}} with every key the broker
 * sends. The mock keeps no rates, latencies or disk figures: those are 0
 * (tps "0.0 0.0 0.0", as mqadmin clusterList parses them). */
rmq_cmd_t *rmq__mock_h_runtime_info(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb  = ctx->mb;
        rmq_mock_cluster_t *mc = ctx->mc;
        int64_t now = rmq__mock_wall(mc), up = now - mb->boot_ts;
        int64_t puts = stored_count(mb), earliest = 0;
        rmq_strmap_entry_t *it = NULL, *e;
        kv_t kv;
        int32_t hashes[KV_MAX];
        size_t order[KV_MAX], i, b;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        kv.n = 0;
        while ((e = rmq__strmap_next(&mb->topics, &it, &b))) {
                const rmq_mock_topic_t *t = e->value;
                size_t q;
                for (q = 0; q < t->queue_cnt; q++)
                        if (t->queues[q].cnt &&
                            (!earliest ||
                             t->queues[q].msgs[0]->store_ts < earliest))
                                earliest = t->queues[q].msgs[0]->store_ts;
        }
        kv_add(&kv, "bootTimestamp", "%lld", (long long)mb->boot_ts);
        kv_add(&kv, "runtime",
               "[ %lld days, %lld hours, %lld minutes, %lld seconds ]",
               (long long)(up / 86400000), (long long)(up % 86400000 / 3600000),
               (long long)(up % 3600000 / 60000),
               (long long)(up % 60000 / 1000));
        kv_add(&kv, "putMessageEntireTimeMax", "0");
        kv_add(&kv, "putMessageTimesTotal", "%lld",
               (long long)RMQ_MAX(puts, 1));
        kv_add(&kv, "putMessageFailedTimes", "0");
        kv_add(&kv, "putMessageSizeTotal", "%lld",
               (long long)mb->commit_offset);
        kv_add(&kv, "putMessageDistributeTime",
               "[<=0ms]:%lld [0~10ms]:0 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 "
               "[200~500ms]:0 [500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 "
               "[5~10s]:0 [10s~]:0 ",
               (long long)puts);
        kv_add(&kv, "putMessageAverageSize", "%.1f",
               (double)mb->commit_offset / (double)RMQ_MAX(puts, 1));
        kv_add(&kv, "dispatchMaxBuffer", "0");
        kv_add(&kv, "getMessageEntireTimeMax", "0");
        kv_add(&kv, "putTps", "0.0 0.0 0.0");
        kv_add(&kv, "getFoundTps", "0.0 0.0 0.0");
        kv_add(&kv, "getMissTps", "0.0 0.0 0.0");
        kv_add(&kv, "getTotalTps", "0.0 0.0 0.0");
        kv_add(&kv, "getTransferedTps", "0.0 0.0 0.0");
        kv_add(&kv, "putLatency99", "0.00");
        kv_add(&kv, "putLatency999", "0.00");
        kv_add(&kv, "commitLogDiskRatio", "0.0");
        kv_add(&kv, "consumeQueueDiskRatio", "0.0");
        kv_add(&kv, "commitLogMinOffset", "0");
        kv_add(&kv, "commitLogMaxOffset", "%lld", (long long)mb->commit_offset);
        kv_add(&kv, "brokerVersionDesc", "V4_9_8");
        kv_add(&kv, "brokerVersion", "%d", RMQ_MOCK_VERSION);
        kv_add(&kv, "msgPutTotalYesterdayMorning", "0");
        kv_add(&kv, "msgPutTotalTodayMorning", "0");
        kv_add(&kv, "msgPutTotalTodayNow", "%lld", (long long)puts);
        kv_add(&kv, "msgGetTotalYesterdayMorning", "0");
        kv_add(&kv, "msgGetTotalTodayMorning", "0");
        kv_add(&kv, "msgGetTotalTodayNow", "0");
        kv_add(&kv, "sendThreadPoolQueueSize", "0");
        kv_add(&kv, "sendThreadPoolQueueCapacity", "10000");
        kv_add(&kv, "pullThreadPoolQueueSize", "0");
        kv_add(&kv, "pullThreadPoolQueueCapacity", "100000");
        kv_add(&kv, "queryThreadPoolQueueSize", "0");
        kv_add(&kv, "queryThreadPoolQueueCapacity", "20000");
        kv_add(&kv, "EndTransactionQueueSize", "0");
        kv_add(&kv, "EndTransactionThreadPoolQueueCapacity", "100000");
        kv_add(&kv, "dispatchBehindBytes", "0");
        kv_add(&kv, "pageCacheLockTimeMills", "0");
        kv_add(&kv, "sendThreadPoolQueueHeadWaitTimeMills", "0");
        kv_add(&kv, "pullThreadPoolQueueHeadWaitTimeMills", "0");
        kv_add(&kv, "queryThreadPoolQueueHeadWaitTimeMills", "0");
        kv_add(&kv, "earliestMessageTimeStamp", "%lld", (long long)earliest);
        kv_add(&kv, "startAcceptSendRequestTimeStamp", "0");
        kv_add(&kv, "remainTransientStoreBufferNumbs", "2147483647");
        kv_add(&kv, "remainHowManyDataToFlush", "0 B");
        /* a HashMap: written in its iteration order */
        for (i = 0; i < kv.n; i++)
                hashes[i] = rmq__java_hash(kv.keys[i], strlen(kv.keys[i]));
        rmq__java_hashset_order(hashes, kv.n, order);
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_obj_open(&jw, "table");
        for (i = 0; i < kv.n; i++)
                rmq__jsonw_str(&jw, kv.keys[order[i]], kv.vals[order[i]]);
        rmq__jsonw_obj_close(&jw);
        rmq__jsonw_obj_close(&jw);
        return rmq__mock_response_body(&body);
}

/* mirrors AdminBrokerProcessor#getTopicStatsInfo: TopicStatsTable
 * {"offsetTable":{MessageQueue:{"lastUpdateTimestamp","maxOffset",
 * "minOffset"}}} over the write queues, in HashMap order. */
rmq_cmd_t *rmq__mock_h_topic_stats(rmq_mock_ctx_t *ctx) {
        rmq_mock_broker_t *mb = ctx->mb;
        rmq_mock_hdr_t h;
        const char *topic;
        rmq_mock_topic_t *t;
        rmq_mq_t *mqs;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_jsonw_t jw;
        char remark[300];
        int32_t i, n;
        rmq__mock_hdr_init(&h, ctx->req);
        topic = rmq__mock_hdr_str(&h, "topic", true);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        t = rmq__mock_topic_get(mb, topic);
        if (!t) {
                snprintf(remark, sizeof(remark), "topic[%s] not exist", topic);
                return rmq__mock_response(RMQ_ERR_TOPIC_NOT_EXIST, remark);
        }
        n   = RMQ_MAX(t->write_queues, 0);
        mqs = rmq__calloc((size_t)n + 1, sizeof(*mqs));
        for (i = 0; i < n; i++)
                rmq__mq_init(&mqs[i], t->name, mb->name, i);
        rmq__mq_java_order(mqs, (size_t)n);
        rmq__jsonw_init(&jw, &body);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_obj_open(&jw, "offsetTable");
        for (i = 0; i < n; i++) {
                rmq_mock_queue_t *q = rmq__mock_queue(t, mqs[i].queueId);
                int64_t min         = q ? q->min_offset : 0;
                int64_t max         = q ? rmq__mock_queue_max(q) : 0;
                rmq_mock_stored_t *last =
                    q && max > 0 ? rmq__mock_queue_at(q, max - 1) : NULL;
                rmq__jsonw_raw_key_begin(&jw);
                rmq__jsonw_str(&jw, "brokerName", mb->name);
                rmq__jsonw_i64(&jw, "queueId", mqs[i].queueId);
                rmq__jsonw_str(&jw, "topic", t->name);
                rmq__jsonw_raw_key_end(&jw);
                rmq__jsonw_obj_open(&jw, NULL);
                rmq__jsonw_i64(&jw, "lastUpdateTimestamp",
                               last ? last->store_ts : 0);
                rmq__jsonw_i64(&jw, "maxOffset", max);
                rmq__jsonw_i64(&jw, "minOffset", min);
                rmq__jsonw_obj_close(&jw);
        }
        rmq__jsonw_obj_close(&jw);
        rmq__jsonw_obj_close(&jw);
        rmq__mq_array_free(mqs, (size_t)n);
        return rmq__mock_response_body(&body);
}
