/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "producer/rmq_publish_info.h"

static rmq_publish_info_t *info_alloc(void) {
        rmq_publish_info_t *tpi = rmq__calloc(1, sizeof(*tpi));
        atomic_init(&tpi->refcnt, 1);
        /* ThreadLocalIndex starts from a random non-negative value. */
        atomic_init(&tpi->which,
                    (unsigned)((uint64_t)rmq__mono_ns() * 2654435761u) &
                        0x7fffffffu);
        return tpi;
}

rmq_publish_info_t *rmq__publish_info_empty(void) {
        return info_alloc();
}

static void add_mq(rmq_publish_info_t *tpi, size_t *cap, const char *topic,
                   const char *broker, int qid) {
        if (tpi->mq_cnt == *cap) {
                *cap     = *cap ? *cap * 2 : 8;
                tpi->mqs = rmq__realloc(tpi->mqs, *cap * sizeof(*tpi->mqs));
        }
        rmq__mq_init(&tpi->mqs[tpi->mq_cnt++], topic, broker, qid);
}

static int qd_cmp(const void *a, const void *b) {
        /* QueueData.compareTo: by brokerName */
        const rmq_queue_data_t *x = *(const rmq_queue_data_t *const *)a;
        const rmq_queue_data_t *y = *(const rmq_queue_data_t *const *)b;
        return strcmp(x->brokerName, y->brokerName);
}

/* mirrors MQClientInstance.topicRouteData2TopicPublishInfo */
rmq_publish_info_t *rmq__publish_info_from_route(
    const char *topic, const rmq_topic_route_data_t *route) {
        rmq_publish_info_t *tpi = info_alloc();
        size_t cap = 0, i;
        int k;
        tpi->route      = rmq__topic_route_dup(route);
        tpi->have_route = true;
        if (route->orderTopicConf && *route->orderTopicConf) {
                /* "brokerA:4;brokerB:4" */
                char **items = NULL;
                const char *p = route->orderTopicConf;
                while (p && *p) {
                        const char *e = strchr(p, ';');
                        size_t len    = e ? (size_t)(e - p) : strlen(p);
                        char *item    = rmq__strndup(p, len);
                        char *colon   = strchr(item, ':');
                        int32_t n;
                        if (colon) {
                                *colon = '\0';
                                if (!rmq__parse_i32(colon + 1, &n))
                                        for (k = 0; k < n; k++)
                                                add_mq(tpi, &cap, topic, item,
                                                       k);
                        }
                        rmq__free(item);
                        p = e ? e + 1 : NULL;
                }
                rmq__free(items);
                tpi->order_topic = true;
        } else {
                const rmq_queue_data_t **qds = rmq__calloc(
                    route->queueDatas_cnt + 1, sizeof(*qds));
                for (i = 0; i < route->queueDatas_cnt; i++)
                        qds[i] = &route->queueDatas[i];
                qsort(qds, route->queueDatas_cnt, sizeof(*qds), qd_cmp);
                for (i = 0; i < route->queueDatas_cnt; i++) {
                        const rmq_queue_data_t *qd = qds[i];
                        const rmq_broker_data_t *bd;
                        if (!rmq__perm_is_writeable(qd->perm))
                                continue;
                        bd = rmq__topic_route_broker(route, qd->brokerName);
                        if (!bd || !rmq__broker_data_master_addr(bd))
                                continue;
                        for (k = 0; k < qd->writeQueueNums; k++)
                                add_mq(tpi, &cap, topic, qd->brokerName, k);
                }
                rmq__free(qds);
        }
        tpi->mq_ptrs = rmq__calloc(tpi->mq_cnt + 1, sizeof(*tpi->mq_ptrs));
        for (i = 0; i < tpi->mq_cnt; i++)
                tpi->mq_ptrs[i] = &tpi->mqs[i];
        return tpi;
}

rmq_publish_info_t *rmq__publish_info_retain(rmq_publish_info_t *tpi) {
        atomic_fetch_add_explicit(&tpi->refcnt, 1, memory_order_relaxed);
        return tpi;
}

void rmq__publish_info_release(rmq_publish_info_t *tpi) {
        size_t i;
        if (!tpi || atomic_fetch_sub_explicit(&tpi->refcnt, 1,
                                              memory_order_acq_rel) != 1)
                return;
        for (i = 0; i < tpi->mq_cnt; i++)
                rmq__mq_clear(&tpi->mqs[i]);
        rmq__free(tpi->mqs);
        rmq__free(tpi->mq_ptrs);
        rmq__topic_route_destroy(tpi->route);
        rmq__free(tpi);
}

int rmq__publish_info_next_index(rmq_publish_info_t *tpi) {
        unsigned v = atomic_fetch_add_explicit(&tpi->which, 1,
                                               memory_order_relaxed) + 1;
        return (int)(v & 0x7fffffffu);
}

static const rmq_message_queue_t *select_any(rmq_publish_info_t *tpi) {
        int pos = rmq__publish_info_next_index(tpi) % (int)tpi->mq_cnt;
        return &tpi->mqs[pos];
}

const rmq_message_queue_t *
rmq__publish_info_select(rmq_publish_info_t *tpi, const char *last_broker) {
        size_t i;
        if (!tpi->mq_cnt)
                return NULL;
        if (!last_broker)
                return select_any(tpi);
        for (i = 0; i < tpi->mq_cnt; i++) {
                const rmq_message_queue_t *mq = select_any(tpi);
                if (strcmp(mq->brokerName, last_broker))
                        return mq;
        }
        return select_any(tpi);
}

int rmq__publish_info_write_queues(const rmq_publish_info_t *tpi,
                                   const char *broker) {
        size_t i;
        if (!tpi->route)
                return -1;
        for (i = 0; i < tpi->route->queueDatas_cnt; i++) {
                const rmq_queue_data_t *qd = &tpi->route->queueDatas[i];
                if (rmq__perm_is_writeable(qd->perm) &&
                    !strcmp(qd->brokerName, broker))
                        return qd->writeQueueNums;
        }
        return -1;
}
