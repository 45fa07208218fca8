/* SPDX-License-Identifier: Apache-2.0 */
/* PULL_MESSAGE and long polling (stage 2). */
#include "mock/rmq_mock_int.h"

void rmq__mock_pull_arriving(rmq_mock_broker_t *mb, const char *topic,
                             int32_t queue_id) {
        RMQ_UNUSED(mb);
        RMQ_UNUSED(topic);
        RMQ_UNUSED(queue_id);
}

void rmq__mock_pull_drop(rmq_mock_broker_t *mb, rmq_channel_t *ch) {
        RMQ_UNUSED(mb);
        RMQ_UNUSED(ch);
}

void rmq__mock_pull_timer_cb(uv_timer_t *t) {
        RMQ_UNUSED(t);
}
