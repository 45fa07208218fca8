/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The consumers' part of the statistics document (docs/STATISTICS.md),
 * from the same sources as GET_CONSUMER_RUNNING_INFO: the consumer stats
 * (ConsumerStatsManager) and the process queues.
 */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "client/rmq_stats.h"
#include "common/rmq_str.h"
#include "consumer/rmq_consumer_base.h"
#include "consumer/rmq_consumer_stats.h"

static int str_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void topic_json(cJSON *topics, rmq_consumer_stats_t *stats,
                       const char *group, const char *topic) {
        cJSON *o = cJSON_AddObjectToObject(topics, topic);
        rmq_consume_stat_t cs;
        int64_t value[RMQ_STATS__SET_CNT], times[RMQ_STATS__SET_CNT];
        rmq__consumer_stats_consume_status(stats, group, topic, &cs);
        rmq__consumer_stats_totals(stats, group, topic, value, times);
        /* ConsumeStatus, as the running info's statusTable */
        rmq__stats_num(o, "pull_rt", cs.pullRT);
        rmq__stats_num(o, "pull_tps", cs.pullTPS);
        rmq__stats_num(o, "consume_rt", cs.consumeRT);
        rmq__stats_num(o, "consume_ok_tps", cs.consumeOKTPS);
        rmq__stats_num(o, "consume_failed_tps", cs.consumeFailedTPS);
        rmq__stats_num(o, "consume_failed_msgs_hour",
                       (double)cs.consumeFailedMsgs);
        /* cumulative */
        rmq__stats_num(o, "pulls", (double)times[RMQ_STATS_PULL_RT]);
        rmq__stats_num(o, "pull_rt_sum", (double)value[RMQ_STATS_PULL_RT]);
        rmq__stats_num(o, "pulled_msgs", (double)value[RMQ_STATS_PULL_TPS]);
        rmq__stats_num(o, "consume_calls", (double)times[RMQ_STATS_CONSUME_RT]);
        rmq__stats_num(o, "consume_rt_sum",
                       (double)value[RMQ_STATS_CONSUME_RT]);
        rmq__stats_num(o, "consumed_ok_msgs",
                       (double)value[RMQ_STATS_CONSUME_OK_TPS]);
        rmq__stats_num(o, "consumed_failed_msgs",
                       (double)value[RMQ_STATS_CONSUME_FAILED_TPS]);
}

cJSON *rmq__consumer_stats_doc(cJSON *doc, rmq_consumer_stats_t *stats,
                               const char *group, rmq_rebalance_t *rb,
                               rmq_mq_t *mqs, rmq_pq_t **pqs, size_t nq) {
        cJSON *cons = cJSON_AddObjectToObject(doc, "consumer");
        cJSON *to, *qa;
        size_t ns = 0, n = 0, i;
        rmq_subscription_data_t *subs =
            rb ? rmq__rebalance_subs(rb, &ns) : NULL;
        char **names = rmq__calloc(ns + nq + 1, sizeof(*names));
        int64_t msgs = 0, bytes = 0;

        cJSON_AddStringToObject(cons, "group", group);
        /* the topics, sorted, each once */
        for (i = 0; i < ns; i++)
                names[n++] = subs[i].topic;
        for (i = 0; i < nq; i++)
                names[n++] = mqs[i].topic;
        qsort(names, n, sizeof(*names), str_cmp);
        to = cJSON_AddObjectToObject(cons, "topics");
        for (i = 0; i < n; i++)
                if (i == 0 || strcmp(names[i], names[i - 1]))
                        topic_json(to, stats, group, names[i]);
        rmq__free(names);
        rmq__rebalance_subs_free(subs, ns);

        qa = cJSON_AddArrayToObject(cons, "queues");
        for (i = 0; i < nq; i++) {
                cJSON *q = cJSON_CreateObject();
                rmq_pq_info_t pi;
                int64_t qm = rmq__pq_msg_count(pqs[i]);
                int64_t qb = rmq__pq_msg_size(pqs[i]);
                memset(&pi, 0, sizeof(pi));
                rmq__pq_fill_info(pqs[i], &pi);
                cJSON_AddStringToObject(q, "topic", mqs[i].topic);
                cJSON_AddStringToObject(q, "broker", mqs[i].brokerName);
                rmq__stats_num(q, "queue_id", mqs[i].queueId);
                rmq__stats_num(q, "cached_msgs", (double)qm);
                rmq__stats_num(q, "cached_bytes", (double)qb);
                rmq__stats_num(q, "cached_min_offset",
                               (double)pi.cachedMsgMinOffset);
                rmq__stats_num(q, "cached_max_offset",
                               (double)pi.cachedMsgMaxOffset);
                cJSON_AddBoolToObject(q, "locked", pi.locked);
                cJSON_AddBoolToObject(q, "dropped", pi.droped);
                rmq__stats_num(q, "last_pull_time",
                               (double)pi.lastPullTimestamp);
                rmq__stats_num(q, "last_consume_time",
                               (double)pi.lastConsumeTimestamp);
                cJSON_AddItemToArray(qa, q);
                msgs += qm;
                bytes += qb;
        }
        rmq__stats_num(cons, "cached_msgs", (double)msgs);
        rmq__stats_num(cons, "cached_bytes", (double)bytes);
        for (i = 0; i < nq; i++)
                rmq__pq_release(pqs[i]);
        rmq__free(pqs);
        rmq__mq_array_free(mqs, nq);
        return cons;
}
