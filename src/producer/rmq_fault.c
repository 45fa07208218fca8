/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "producer/rmq_fault.h"

/* MQFaultStrategy, 4.9.8 */
static const int64_t latency_max[]  = {50, 100, 550, 1000, 2000, 3000, 15000};
static const int64_t not_available[] = {0,     0,      30000, 60000,
                                        120000, 180000, 600000};

typedef struct fault_item_s {
        char *name;
        int64_t current_latency;
        int64_t start_timestamp;
} fault_item_t;

static void item_free(void *p) {
        fault_item_t *it = p;
        rmq__free(it->name);
        rmq__free(it);
}

void rmq__fault_init(rmq_fault_t *f, bool enabled) {
        uv_mutex_init(&f->lock);
        f->enabled     = enabled;
        f->worst_index = 0;
        f->now_ms      = rmq__wall_ms;
        rmq__strmap_init(&f->items);
}

void rmq__fault_destroy(rmq_fault_t *f) {
        rmq__strmap_clear(&f->items, item_free);
        uv_mutex_destroy(&f->lock);
}

int64_t rmq__fault_not_available_ms(int64_t latency_ms) {
        int i;
        for (i = (int)RMQ_ARRAY_SIZE(latency_max) - 1; i >= 0; i--)
                if (latency_ms >= latency_max[i])
                        return not_available[i];
        return 0;
}

void rmq__fault_update(rmq_fault_t *f, const char *broker, int64_t latency_ms,
                       bool isolation) {
        fault_item_t *it;
        int64_t duration;
        if (!f->enabled)
                return;
        duration = rmq__fault_not_available_ms(isolation ? 30000 : latency_ms);
        uv_mutex_lock(&f->lock);
        it = rmq__strmap_get(&f->items, broker);
        if (!it) {
                it       = rmq__calloc(1, sizeof(*it));
                it->name = rmq__strdup(broker);
                rmq__strmap_set(&f->items, broker, it);
        }
        it->current_latency = latency_ms;
        it->start_timestamp = f->now_ms() + duration;
        uv_mutex_unlock(&f->lock);
}

static bool item_available(const rmq_fault_t *f, const fault_item_t *it) {
        return f->now_ms() - it->start_timestamp >= 0;
}

bool rmq__fault_available(rmq_fault_t *f, const char *broker) {
        fault_item_t *it;
        bool ok = true;
        uv_mutex_lock(&f->lock);
        it = rmq__strmap_get(&f->items, broker);
        if (it)
                ok = item_available(f, it);
        uv_mutex_unlock(&f->lock);
        return ok;
}

typedef struct item_snap_s {
        bool available;
        int64_t latency;
        int64_t start;
        const char *name;
} item_snap_t;

/* FaultItem.compareTo: available first, then lower latency, then earlier
 * start. */
static int snap_cmp(const void *a, const void *b) {
        const item_snap_t *x = a, *y = b;
        if (x->available != y->available)
                return x->available ? -1 : 1;
        if (x->latency != y->latency)
                return x->latency < y->latency ? -1 : 1;
        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        return 0;
}

/* LatencyFaultToleranceImpl.pickOneAtLeast. f->lock held. */
static char *pick_one_at_least(rmq_fault_t *f) {
        rmq_strmap_entry_t *iter = NULL, *e;
        size_t b, n = 0, half;
        item_snap_t *v;
        char *name;
        if (!f->items.count)
                return NULL;
        v = rmq__calloc(f->items.count, sizeof(*v));
        while ((e = rmq__strmap_next(&f->items, &iter, &b))) {
                const fault_item_t *it = e->value;
                v[n].available         = item_available(f, it);
                v[n].latency           = it->current_latency;
                v[n].start             = it->start_timestamp;
                v[n].name              = it->name;
                n++;
        }
        qsort(v, n, sizeof(*v), snap_cmp);
        half = n / 2;
        if (half == 0)
                name = rmq__strdup(v[0].name);
        else
                name = rmq__strdup(
                    v[(++f->worst_index & 0x7fffffffu) % half].name);
        rmq__free(v);
        return name;
}

const rmq_message_queue_t *rmq__fault_select(rmq_fault_t *f,
                                             rmq_publish_info_t *tpi,
                                             const char *last_broker,
                                             rmq_message_queue_t *scratch) {
        size_t i;
        unsigned index;
        int wq;
        char *not_best;
        scratch->topic = NULL;
        if (!f->enabled)
                return rmq__publish_info_select(tpi, last_broker);
        if (!tpi->mq_cnt)
                return NULL;
        /* unsigned: Java's int wraps after 2^31 sends (then Math.abs), C's
         * signed overflow is undefined; the pos is masked as Java's
         * abs(index) % size is non-negative */
        index = (unsigned)rmq__publish_info_next_index(tpi);
        for (i = 0; i < tpi->mq_cnt; i++) {
                const rmq_message_queue_t *mq =
                    &tpi->mqs[(index++ & 0x7fffffffu) % tpi->mq_cnt];
                if (rmq__fault_available(f, mq->brokerName))
                        return mq;
        }
        uv_mutex_lock(&f->lock);
        not_best = pick_one_at_least(f);
        uv_mutex_unlock(&f->lock);
        wq = not_best ? rmq__publish_info_write_queues(tpi, not_best) : -1;
        if (wq > 0) {
                const rmq_message_queue_t *mq = rmq__publish_info_select(tpi,
                                                                         NULL);
                rmq__mq_init(scratch, mq->topic, not_best,
                             rmq__publish_info_next_index(tpi) % wq);
                rmq__free(not_best);
                return scratch;
        }
        if (not_best) {
                fault_item_t *it;
                uv_mutex_lock(&f->lock);
                it = rmq__strmap_del(&f->items, not_best);
                uv_mutex_unlock(&f->lock);
                if (it)
                        item_free(it);
                rmq__free(not_best);
        }
        return rmq__publish_info_select(tpi, NULL);
}
