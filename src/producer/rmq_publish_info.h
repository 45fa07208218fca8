/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TopicPublishInfo: the writable queues of a topic, built from its route
 * as MQClientInstance.topicRouteData2TopicPublishInfo builds it, and the
 * queue choice of TopicPublishInfo.selectOneMessageQueue.
 *
 * An info is immutable once built except for its rotating index, and
 * reference-counted so a send can keep the one it started with while a
 * route refresh replaces it.
 */
#ifndef RMQ_PUBLISH_INFO_H
#define RMQ_PUBLISH_INFO_H

#include <stdatomic.h>

#include "client/rmq_message_int.h"
#include "protocol/rmq_route.h"

typedef struct rmq_publish_info_s {
        atomic_int refcnt;
        bool order_topic;
        bool have_route; /* haveTopicRouterInfo */
        rmq_message_queue_t *mqs;
        const rmq_message_queue_t **mq_ptrs; /* for selectors */
        size_t mq_cnt;
        atomic_uint which;             /* sendWhichQueue */
        rmq_topic_route_data_t *route; /* NULL for a placeholder */
} rmq_publish_info_t;

/* An empty placeholder (tryToFindTopicPublishInfo's new TopicPublishInfo). */
rmq_publish_info_t *rmq__publish_info_empty(void);
/* Built from \p route (copied). */
rmq_publish_info_t *rmq__publish_info_from_route(
    const char *topic, const rmq_topic_route_data_t *route);
rmq_publish_info_t *rmq__publish_info_retain(rmq_publish_info_t *tpi);
void rmq__publish_info_release(rmq_publish_info_t *tpi);

/* ok(): at least one queue. */
static inline bool rmq__publish_info_ok(const rmq_publish_info_t *tpi) {
        return tpi && tpi->mq_cnt > 0;
}

/* ThreadLocalIndex.incrementAndGet (one counter per info here). */
int rmq__publish_info_next_index(rmq_publish_info_t *tpi);

/* selectOneMessageQueue(lastBrokerName): rotate, avoiding \p last_broker
 * (may be NULL) when another broker has a queue. */
const rmq_message_queue_t *
rmq__publish_info_select(rmq_publish_info_t *tpi, const char *last_broker);

/* getQueueIdByBroker: the write queue count of \p broker's first
 * writable queue data (PermName.isWriteable), or -1. */
int rmq__publish_info_write_queues(const rmq_publish_info_t *tpi,
                                   const char *broker);

#endif /* RMQ_PUBLISH_INFO_H */
