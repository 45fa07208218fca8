/* SPDX-License-Identifier: Apache-2.0 */
/* Half messages (stage 3). */
#include "mock/rmq_mock_int.h"

void rmq__mock_half_add(rmq_mock_broker_t *mb, rmq_mock_stored_t *sm) {
        rmq_mock_half_t *hm = rmq__calloc(1, sizeof(*hm));
        hm->commit_offset   = (int64_t)sm->node.key;
        rmq__list_insert_tail(&mb->halves, &hm->link);
}

void rmq__mock_txn_timer_cb(uv_timer_t *t) {
        RMQ_UNUSED(t);
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
