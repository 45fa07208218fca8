/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Latency fault tolerance: mirrors MQFaultStrategy and
 * LatencyFaultToleranceImpl of 4.9.8. A broker whose send took long or
 * failed is avoided for a while (latencyMax -> notAvailableDuration).
 * Thread-safe.
 */
#ifndef RMQ_FAULT_H
#define RMQ_FAULT_H

#include <uv.h>

#include "common/rmq_map.h"
#include "producer/rmq_publish_info.h"

typedef struct rmq_fault_s {
        uv_mutex_t lock;
        bool enabled; /* sendLatencyFaultEnable */
        rmq_strmap_t items; /* brokerName -> fault_item */
        unsigned worst_index;
        int64_t (*now_ms)(void); /* wall clock, replaceable in tests */
} rmq_fault_t;

void rmq__fault_init(rmq_fault_t *f, bool enabled);
void rmq__fault_destroy(rmq_fault_t *f);

/* MQFaultStrategy.updateFaultItem: \p isolation counts as 30 s. */
void rmq__fault_update(rmq_fault_t *f, const char *broker, int64_t latency_ms,
                       bool isolation);
/* LatencyFaultTolerance.isAvailable */
bool rmq__fault_available(rmq_fault_t *f, const char *broker);
/* computeNotAvailableDuration (4.9.8 tables). */
int64_t rmq__fault_not_available_ms(int64_t latency_ms);

/* MQFaultStrategy.selectOneMessageQueue. The result is either a queue of
 * \p tpi or, when every broker is faulty, \p scratch filled with the
 * chosen "not best" broker's queue (caller clears it with rmq__mq_clear
 * when scratch->topic != NULL). */
const rmq_message_queue_t *rmq__fault_select(rmq_fault_t *f,
                                             rmq_publish_info_t *tpi,
                                             const char *last_broker,
                                             rmq_message_queue_t *scratch);

#endif /* RMQ_FAULT_H */
