/* SPDX-License-Identifier: Apache-2.0 */
/* RebalanceImpl (4.9.8): see rmq_rebalance.h. */
#include <stdio.h>

#include "client/rmq_client_api.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "consumer/rmq_rebalance.h"
#include "protocol/rmq_names.h"

/* LOCK_BATCH_MQ / UNLOCK_BATCH_MQ timeout (RebalanceImpl: 1000 ms). */
#define LOCK_TIMEOUT_MS 1000

void rmq__rebalance_init(rmq_rebalance_t *rb, const rmq_rebalance_ops_t *ops,
                         void *owner, rmq_client_t *ci, const rmq_logger_t *lg,
                         const char *group, int message_model,
                         rmq_allocate_t *alloc, int64_t lock_max_live_ms,
                         int64_t pull_max_idle_ms) {
        memset(rb, 0, sizeof(*rb));
        rb->ops              = ops;
        rb->owner            = owner;
        rb->ci               = ci;
        rb->lg               = lg;
        rb->group            = rmq__strdup(group);
        rb->message_model    = message_model;
        rb->alloc            = alloc;
        rb->lock_max_live_ms = lock_max_live_ms;
        rb->pull_max_idle_ms = pull_max_idle_ms;
        uv_mutex_init(&rb->lock);
        rmq__strmap_init(&rb->subs);
}

static void sub_free(void *p) {
        rmq_subscription_data_t *sd = p;
        rmq__subscription_clear(sd);
        rmq__free(sd);
}

/* mirrors RebalanceImpl.destroy */
void rmq__rebalance_destroy(rmq_rebalance_t *rb) {
        size_t i;
        for (i = 0; i < rb->entry_cnt; i++) {
                rmq__pq_set_dropped(rb->entries[i].pq, true);
                rmq__pq_release(rb->entries[i].pq);
                rmq__mq_clear(&rb->entries[i].mq);
        }
        rmq__free(rb->entries);
        rb->entries   = NULL;
        rb->entry_cnt = rb->entry_cap = 0;
        rmq__strmap_clear(&rb->subs, sub_free);
        rmq__allocate_destroy(rb->alloc);
        rb->alloc = NULL;
        rmq__free(rb->group);
        rb->group = NULL;
        uv_mutex_destroy(&rb->lock);
}

/* ---- subscriptions ---- */

void rmq__rebalance_sub_put(rmq_rebalance_t *rb,
                            const rmq_subscription_data_t *sd) {
        rmq_subscription_data_t *copy = rmq__calloc(1, sizeof(*copy)), *old;
        rmq__subscription_copy(copy, sd);
        rmq__lock(&rb->lock);
        old = rmq__strmap_set(&rb->subs, sd->topic, copy);
        rmq__unlock(&rb->lock);
        if (old)
                sub_free(old);
}

bool rmq__rebalance_sub_remove(rmq_rebalance_t *rb, const char *topic) {
        rmq_subscription_data_t *old;
        rmq__lock(&rb->lock);
        old = rmq__strmap_del(&rb->subs, topic);
        rmq__unlock(&rb->lock);
        if (old)
                sub_free(old);
        return old != NULL;
}

bool rmq__rebalance_sub_get(rmq_rebalance_t *rb, const char *topic,
                            rmq_subscription_data_t *out) {
        const rmq_subscription_data_t *sd;
        bool found;
        rmq__lock(&rb->lock);
        sd    = rmq__strmap_get(&rb->subs, topic);
        found = sd != NULL;
        if (sd)
                rmq__subscription_copy(out, sd);
        rmq__unlock(&rb->lock);
        return found;
}

rmq_subscription_data_t *rmq__rebalance_subs(rmq_rebalance_t *rb, size_t *np) {
        rmq_strmap_entry_t *it = NULL, *e;
        rmq_subscription_data_t *v;
        size_t b, n = 0;
        rmq__lock(&rb->lock);
        v = rmq__calloc(rb->subs.count ? rb->subs.count : 1, sizeof(*v));
        while ((e = rmq__strmap_next(&rb->subs, &it, &b)))
                rmq__subscription_copy(&v[n++], e->value);
        rmq__unlock(&rb->lock);
        *np = n;
        return v;
}

void rmq__rebalance_subs_free(rmq_subscription_data_t *subs, size_t n) {
        size_t i;
        for (i = 0; subs && i < n; i++)
                rmq__subscription_clear(&subs[i]);
        rmq__free(subs);
}

int64_t rmq__rebalance_sub_version(rmq_rebalance_t *rb, const char *topic) {
        const rmq_subscription_data_t *sd;
        int64_t v = -1;
        rmq__lock(&rb->lock);
        sd = rmq__strmap_get(&rb->subs, topic);
        if (sd)
                v = sd->subVersion;
        rmq__unlock(&rb->lock);
        return v;
}

void rmq__rebalance_sub_set_version(rmq_rebalance_t *rb, const char *topic,
                                    int64_t version) {
        rmq_subscription_data_t *sd;
        rmq__lock(&rb->lock);
        sd = rmq__strmap_get(&rb->subs, topic);
        if (sd)
                sd->subVersion = version;
        rmq__unlock(&rb->lock);
}

/* ---- the table ---- */

/* The index of \p mq in the table or -1. rb->lock held. */
static int entry_find(rmq_rebalance_t *rb, const rmq_mq_t *mq) {
        size_t i;
        for (i = 0; i < rb->entry_cnt; i++)
                if (rmq__mq_equal(&rb->entries[i].mq, mq))
                        return (int)i;
        return -1;
}

rmq_mq_t *rmq__rebalance_queues(rmq_rebalance_t *rb, rmq_pq_t ***pqsp,
                                size_t *np) {
        rmq_mq_t *mqs;
        rmq_pq_t **pqs = NULL;
        size_t i, n;
        rmq__lock(&rb->lock);
        n   = rb->entry_cnt;
        mqs = rmq__calloc(n ? n : 1, sizeof(*mqs));
        if (pqsp)
                pqs = rmq__calloc(n ? n : 1, sizeof(*pqs));
        for (i = 0; i < n; i++) {
                rmq__mq_copy(&mqs[i], &rb->entries[i].mq);
                if (pqs)
                        pqs[i] = rmq__pq_retain(rb->entries[i].pq);
        }
        rmq__unlock(&rb->lock);
        if (pqsp)
                *pqsp = pqs;
        *np = n;
        return mqs;
}

rmq_pq_t *rmq__rebalance_pq(rmq_rebalance_t *rb, const rmq_mq_t *mq) {
        rmq_pq_t *pq = NULL;
        int i;
        rmq__lock(&rb->lock);
        i = entry_find(rb, mq);
        if (i >= 0)
                pq = rmq__pq_retain(rb->entries[i].pq);
        rmq__unlock(&rb->lock);
        return pq;
}

size_t rmq__rebalance_queue_count(rmq_rebalance_t *rb) {
        size_t n;
        rmq__lock(&rb->lock);
        n = rb->entry_cnt;
        rmq__unlock(&rb->lock);
        return n;
}

/* Takes entry \p i out of the table into \p out. rb->lock held. */
static void entry_take(rmq_rebalance_t *rb, size_t i, rmq_rb_entry_t *out) {
        *out           = rb->entries[i];
        rb->entries[i] = rb->entries[--rb->entry_cnt];
}

static void entry_add(rmq_rebalance_t *rb, const rmq_mq_t *mq, rmq_pq_t *pq) {
        rmq_rb_entry_t *e;
        if (rb->entry_cnt == rb->entry_cap) {
                rb->entry_cap = rb->entry_cap ? rb->entry_cap * 2 : 16;
                rb->entries =
                    rmq__realloc(rb->entries, rb->entry_cap * sizeof(*e));
        }
        e = &rb->entries[rb->entry_cnt++];
        rmq__mq_copy(&e->mq, mq);
        e->pq             = pq;
        e->remove_pending = false;
}

/* mirrors RebalanceImpl.removeProcessQueue */
void rmq__rebalance_remove_pq(rmq_rebalance_t *rb, const rmq_mq_t *mq) {
        rmq_rb_entry_t e;
        bool dropped;
        int i;
        rmq__lock(&rb->lock);
        i = entry_find(rb, mq);
        if (i < 0) {
                rmq__unlock(&rb->lock);
                return;
        }
        entry_take(rb, (size_t)i, &e);
        rmq__unlock(&rb->lock);
        dropped = rmq__pq_dropped(e.pq);
        rmq__pq_set_dropped(e.pq, true);
        rb->ops->remove_unnecessary_mq(rb, &e.mq, e.pq);
        {
                char q[256];
                rmq__mq_format(&e.mq, q, sizeof(q));
                rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                         "Fix Offset, %s, remove unnecessary mq, %s Droped: %s",
                         rb->group, q, dropped ? "true" : "false");
        }
        rmq__pq_release(e.pq);
        rmq__mq_clear(&e.mq);
}

/* ---- locks ---- */

/* The queues of the table grouped by broker
 * (buildProcessQueueTableByBrokerName): broker \p b's queues in
 * out[starts[b] .. starts[b + 1]). */
typedef struct by_broker_s {
        rmq_mq_t *mqs;
        size_t n;
} by_broker_t;

static int cmp_broker(const void *a, const void *b) {
        return strcmp(((const rmq_mq_t *)a)->brokerName,
                      ((const rmq_mq_t *)b)->brokerName);
}

static void lock_request(rmq_rebalance_t *rb, rmq_lock_batch_request_t *req,
                         rmq_mq_t *mqs, size_t n) {
        req->consumerGroup = rb->group;
        req->clientId      = (char *)rmq__client_id(rb->ci);
        req->mqSet         = mqs;
        req->mqSet_cnt     = n;
}

static bool master_of(rmq_rebalance_t *rb, const char *broker_name, char *addr,
                      size_t size) {
        return rmq__client_broker_addr_in_subscribe(
            rb->ci, broker_name, RMQ_MASTER_ID, true, addr, size, NULL, NULL);
}

static bool mq_in(const rmq_mq_t *mq, const rmq_mq_t *set, size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                if (rmq__mq_equal(mq, &set[i]))
                        return true;
        return false;
}

/* mirrors RebalanceImpl.lock */
bool rmq__rebalance_lock(rmq_rebalance_t *rb, const rmq_mq_t *mq) {
        rmq_lock_batch_request_t req;
        rmq_mq_t *locked = NULL;
        size_t n         = 0, i;
        char addr[128], err[256], q[256];
        bool ok = false;
        RMQ__ASSERT_NOT_IO("a queue lock");
        if (!master_of(rb, mq->brokerName, addr, sizeof(addr)))
                return false;
        lock_request(rb, &req, (rmq_mq_t *)mq, 1);
        rmq__mq_format(mq, q, sizeof(q));
        if (rmq__api_lock_batch_mq(rb->ci, addr, &req, LOCK_TIMEOUT_MS, &locked,
                                   &n, err, sizeof(err))) {
                rmq__log(rb->lg, RMQ_LOG_ERROR, "REBALANCE",
                         "lockBatchMQ exception, %s: %s", q, err);
                return false;
        }
        for (i = 0; i < n; i++) {
                rmq_pq_t *pq = rmq__rebalance_pq(rb, &locked[i]);
                if (pq) {
                        rmq__pq_set_locked(pq, true);
                        rmq__pq_set_last_lock_timestamp(pq, rmq__wall_ms());
                        rmq__pq_release(pq);
                }
                if (rmq__mq_equal(&locked[i], mq))
                        ok = true;
        }
        rmq__mq_array_free(locked, n);
        rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                 "the message queue lock %s, %s %s", ok ? "OK" : "Failed",
                 rb->group, q);
        return ok;
}

/* The table's queues sorted by broker name. */
static rmq_mq_t *queues_by_broker(rmq_rebalance_t *rb, size_t *np) {
        rmq_mq_t *mqs = rmq__rebalance_queues(rb, NULL, np);
        if (*np > 1)
                qsort(mqs, *np, sizeof(*mqs), cmp_broker);
        return mqs;
}

/* Calls \p fn with each broker's queues of the table and its master's
 * address (brokers without a known master are skipped), as
 * buildProcessQueueTableByBrokerName groups them. */
typedef void(broker_batch_fn)(rmq_rebalance_t *rb, const char *addr,
                              const rmq_mq_t *mqs, size_t n, bool oneway);

static void for_each_broker(rmq_rebalance_t *rb, broker_batch_fn *fn,
                            bool oneway) {
        size_t n, i = 0;
        rmq_mq_t *mqs = queues_by_broker(rb, &n);
        while (i < n) {
                size_t j = i;
                char addr[128];
                while (j < n && !strcmp(mqs[j].brokerName, mqs[i].brokerName))
                        j++;
                if (master_of(rb, mqs[i].brokerName, addr, sizeof(addr)))
                        fn(rb, addr, &mqs[i], j - i, oneway);
                i = j;
        }
        rmq__mq_array_free(mqs, n);
}

/* lockAll's request to one broker */
static void lock_broker(rmq_rebalance_t *rb, const char *addr,
                        const rmq_mq_t *mqs, size_t n, bool oneway) {
        rmq_lock_batch_request_t req;
        rmq_mq_t *locked = NULL;
        size_t nl        = 0, k;
        char err[256], q[256];
        RMQ_UNUSED(oneway);
        lock_request(rb, &req, (rmq_mq_t *)mqs, n);
        if (rmq__api_lock_batch_mq(rb->ci, addr, &req, LOCK_TIMEOUT_MS, &locked,
                                   &nl, err, sizeof(err))) {
                rmq__log(rb->lg, RMQ_LOG_ERROR, "REBALANCE",
                         "lockBatchMQ exception, broker %s: %s",
                         mqs[0].brokerName, err);
                return;
        }
        for (k = 0; k < n; k++) {
                rmq_pq_t *pq = rmq__rebalance_pq(rb, &mqs[k]);
                if (!pq)
                        continue;
                rmq__mq_format(&mqs[k], q, sizeof(q));
                if (mq_in(&mqs[k], locked, nl)) {
                        if (!rmq__pq_locked(pq))
                                rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                                         "the message queue locked OK, "
                                         "Group: %s %s",
                                         rb->group, q);
                        rmq__pq_set_locked(pq, true);
                        rmq__pq_set_last_lock_timestamp(pq, rmq__wall_ms());
                } else {
                        rmq__pq_set_locked(pq, false);
                        rmq__log(rb->lg, RMQ_LOG_WARN, "REBALANCE",
                                 "the message queue locked Failed, Group: "
                                 "%s %s",
                                 rb->group, q);
                }
                rmq__pq_release(pq);
        }
        rmq__mq_array_free(locked, nl);
}

/* mirrors RebalanceImpl.lockAll */
void rmq__rebalance_lock_all(rmq_rebalance_t *rb) {
        RMQ__ASSERT_NOT_IO("queue locks");
        for_each_broker(rb, lock_broker, false);
}

/* mirrors RebalanceImpl.unlock */
void rmq__rebalance_unlock(rmq_rebalance_t *rb, const rmq_mq_t *mq,
                           bool oneway) {
        rmq_lock_batch_request_t req;
        char addr[128], err[256], q[256];
        if (!master_of(rb, mq->brokerName, addr, sizeof(addr)))
                return;
        lock_request(rb, &req, (rmq_mq_t *)mq, 1);
        rmq__mq_format(mq, q, sizeof(q));
        if (rmq__api_unlock_batch_mq(rb->ci, addr, &req, LOCK_TIMEOUT_MS,
                                     oneway, err, sizeof(err)))
                rmq__log(rb->lg, RMQ_LOG_ERROR, "REBALANCE",
                         "unlockBatchMQ exception, %s: %s", q, err);
        else
                rmq__log(rb->lg, RMQ_LOG_WARN, "REBALANCE",
                         "unlock messageQueue. group:%s, clientId:%s, mq:%s",
                         rb->group, rmq__client_id(rb->ci), q);
}

/* unlockAll's request to one broker */
static void unlock_broker(rmq_rebalance_t *rb, const char *addr,
                          const rmq_mq_t *mqs, size_t n, bool oneway) {
        rmq_lock_batch_request_t req;
        char err[256], q[256];
        size_t k;
        lock_request(rb, &req, (rmq_mq_t *)mqs, n);
        if (rmq__api_unlock_batch_mq(rb->ci, addr, &req, LOCK_TIMEOUT_MS,
                                     oneway, err, sizeof(err))) {
                rmq__log(rb->lg, RMQ_LOG_ERROR, "REBALANCE",
                         "unlockBatchMQ exception, broker %s: %s",
                         mqs[0].brokerName, err);
                return;
        }
        for (k = 0; k < n; k++) {
                rmq_pq_t *pq = rmq__rebalance_pq(rb, &mqs[k]);
                if (!pq)
                        continue;
                rmq__pq_set_locked(pq, false);
                rmq__pq_release(pq);
                rmq__mq_format(&mqs[k], q, sizeof(q));
                rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                         "the message queue unlock OK, Group: %s %s", rb->group,
                         q);
        }
}

/* mirrors RebalanceImpl.unlockAll */
void rmq__rebalance_unlock_all(rmq_rebalance_t *rb, bool oneway) {
        for_each_broker(rb, unlock_broker, oneway);
}

/* ---- the rebalance ---- */

/* removeUnnecessaryMessageQueue, then the entry out of the table; when
 * the queue is busy, the entry is marked to be tried again. */
static bool try_remove(rmq_rebalance_t *rb, const rmq_rb_entry_t *e) {
        bool ok = rb->ops->remove_unnecessary_mq(rb, &e->mq, e->pq);
        int k;
        rmq__lock(&rb->lock);
        k = entry_find(rb, &e->mq);
        if (k >= 0 && rb->entries[k].pq == e->pq) {
                if (ok) {
                        rmq_rb_entry_t gone;
                        entry_take(rb, (size_t)k, &gone);
                        rmq__pq_release(gone.pq);
                        rmq__mq_clear(&gone.mq);
                } else {
                        rb->entries[k].remove_pending = true;
                }
        }
        rmq__unlock(&rb->lock);
        return ok;
}

/* updateProcessQueueTableInRebalance: \p mine is the allocation. Returns
 * true if the table changed. */
static bool update_table(rmq_rebalance_t *rb, const char *topic,
                         const rmq_mq_t *mine, size_t n_mine, bool is_order,
                         rmq_rb_added_t **addedp, size_t *n_addp) {
        bool changed = false;
        size_t i, n_add = 0;
        int64_t now = rmq__wall_ms();
        rmq_rb_added_t *added;
        char q[256];

        /* 1. Queues that are no longer ours, or whose pulls stopped. */
        for (;;) {
                rmq_rb_entry_t e;
                bool found = false, expired = false;
                rmq__lock(&rb->lock);
                for (i = 0; i < rb->entry_cnt; i++) {
                        rmq_rb_entry_t *x = &rb->entries[i];
                        if (strcmp(x->mq.topic, topic) ||
                            rmq__pq_dropped(x->pq))
                                continue;
                        if (!mq_in(&x->mq, mine, n_mine)) {
                                found = true;
                                break;
                        }
                        if (rb->ops->consume_type == RMQ_HB_CONSUME_PASSIVELY &&
                            rmq__pq_is_pull_expired(x->pq, now,
                                                    rb->pull_max_idle_ms)) {
                                found   = true;
                                expired = true;
                                break;
                        }
                }
                if (!found) {
                        rmq__unlock(&rb->lock);
                        break;
                }
                /* marked dropped while still in the table, as Java */
                rmq__pq_set_dropped(rb->entries[i].pq, true);
                e.pq = rmq__pq_retain(rb->entries[i].pq);
                rmq__mq_copy(&e.mq, &rb->entries[i].mq);
                rmq__unlock(&rb->lock);
                if (try_remove(rb, &e)) {
                        changed = true;
                        rmq__mq_format(&e.mq, q, sizeof(q));
                        if (expired)
                                rmq__log(rb->lg, RMQ_LOG_ERROR, "REBALANCE",
                                         "[BUG]doRebalance, %s, remove "
                                         "unnecessary mq, %s, because pull is "
                                         "pause, so try to fixed it",
                                         rb->group, q);
                        else
                                rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                                         "doRebalance, %s, remove "
                                         "unnecessary mq, %s",
                                         rb->group, q);
                }
                rmq__pq_release(e.pq);
                rmq__mq_clear(&e.mq);
        }
        /* Entries dropped above but not removable yet (an orderly queue
         * whose listener held its consume lock), and dropped entries that
         * are no longer ours: tried again each round, as Java's next
         * doRebalance would; one that is ours again comes back below as
         * soon as it is removed. (A queue dropped by an OFFSET_ILLEGAL
         * answer and still ours waits for its offset fix instead.) */
        for (;;) {
                rmq_rb_entry_t e;
                bool found = false;
                rmq__lock(&rb->lock);
                for (i = 0; i < rb->entry_cnt; i++) {
                        rmq_rb_entry_t *x = &rb->entries[i];
                        if (!strcmp(x->mq.topic, topic) &&
                            (x->remove_pending ||
                             (rmq__pq_dropped(x->pq) &&
                              !mq_in(&x->mq, mine, n_mine)))) {
                                found = true;
                                break;
                        }
                }
                if (!found) {
                        rmq__unlock(&rb->lock);
                        break;
                }
                rmq__mq_copy(&e.mq, &rb->entries[i].mq);
                e.pq = rmq__pq_retain(rb->entries[i].pq);
                rmq__unlock(&rb->lock);
                found = try_remove(rb, &e);
                rmq__pq_release(e.pq);
                rmq__mq_clear(&e.mq);
                if (!found)
                        break; /* still busy: next round */
                changed = true;
        }

        /* 2. New queues. */
        added = rmq__calloc(n_mine ? n_mine : 1, sizeof(*added));
        for (i = 0; i < n_mine; i++) {
                const rmq_mq_t *mq = &mine[i];
                int64_t next       = -1;
                rmq_err_t err;
                rmq_pq_t *pq;
                rmq__lock(&rb->lock);
                if (entry_find(rb, mq) >= 0) {
                        rmq__unlock(&rb->lock);
                        continue;
                }
                rmq__unlock(&rb->lock);
                rmq__mq_format(mq, q, sizeof(q));
                if (is_order && !rmq__rebalance_lock(rb, mq)) {
                        rmq__log(rb->lg, RMQ_LOG_WARN, "REBALANCE",
                                 "doRebalance, %s, add a new mq failed, %s, "
                                 "because lock failed",
                                 rb->group, q);
                        continue;
                }
                rb->ops->remove_dirty_offset(rb, mq);
                err = rb->ops->compute_pull_from_where(rb, mq, &next);
                if (err) {
                        rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                                 "doRebalance, %s, compute offset failed, %s",
                                 rb->group, q);
                        continue;
                }
                if (next < 0) {
                        rmq__log(rb->lg, RMQ_LOG_WARN, "REBALANCE",
                                 "doRebalance, %s, add new mq failed, %s",
                                 rb->group, q);
                        continue;
                }
                pq = rmq__pq_new(rmq__wall_ms());
                rmq__pq_set_locked(pq, true);
                added[n_add].mq          = mq;
                added[n_add].pq          = pq;
                added[n_add].next_offset = next;
                n_add++;
                rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                         "doRebalance, %s, add a new mq, %s", rb->group, q);
                changed = true;
        }
        /* The table takes one reference, the dispatched pull the other. */
        if (n_add) {
                rmq__lock(&rb->lock);
                for (i = 0; i < n_add; i++)
                        entry_add(rb, added[i].mq, rmq__pq_retain(added[i].pq));
                rmq__unlock(&rb->lock);
        }
        *addedp = added;
        *n_addp = n_add;
        return changed;
}

/* dispatchPullRequest for the queues update_table added (after
 * messageQueueChanged: the pulls of new queues start once the brokers have
 * the heartbeat with the new subscription version). Frees \p added. */
static void dispatch_added(rmq_rebalance_t *rb, rmq_rb_added_t *added,
                           size_t n_add) {
        if (n_add)
                rb->ops->dispatch(rb, added, n_add);
        rmq__free(added);
}

/* The sorted copy of a NULL-terminated id list; Java sorts with
 * String.compareTo. */
static int cmp_cid(const void *a, const void *b) {
        return rmq__allocate_java_strcmp(*(const char *const *)a,
                                         *(const char *const *)b);
}

/* mirrors RebalanceImpl.rebalanceByTopic */
static void rebalance_topic(rmq_rebalance_t *rb, const char *topic,
                            bool is_order) {
        rmq_mq_t *all = NULL, *mine = NULL;
        size_t n_all = 0, n_mine = 0, n_cid = 0, n_add = 0;
        rmq_rb_added_t *added = NULL;
        char **cids           = NULL;
        char err[512];
        bool retry = rmq__is_retry_topic(topic);
        rmq_err_t e;

        e = rmq__client_subscribe_queues(rb->ci, topic, &all, &n_all);
        if (rb->message_model == RMQ_HB_BROADCASTING) {
                if (e) {
                        rmq__log(rb->lg, RMQ_LOG_WARN, "REBALANCE",
                                 "doRebalance, %s, but the topic[%s] not "
                                 "exist.",
                                 rb->group, topic);
                        return;
                }
                /* No queue lock in broadcasting, orderly or not: 4.9.8
                 * locks here, so a second orderly client of the group
                 * found every queue locked by the first and consumed
                 * nothing until the broker's lock expired (rocketmq#8772,
                 * fixed upstream the same way). */
                if (update_table(rb, topic, all, n_all, false, &added,
                                 &n_add)) {
                        rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                                 "messageQueueChanged %s %s (%zu queues)",
                                 rb->group, topic, n_all);
                        rb->ops->message_queue_changed(rb, topic, all, n_all,
                                                       all, n_all);
                }
                dispatch_added(rb, added, n_add);
                rmq__mq_array_free(all, n_all);
                return;
        }
        /* CLUSTERING */
        if (e && !retry)
                rmq__log(rb->lg, RMQ_LOG_WARN, "REBALANCE",
                         "doRebalance, %s, but the topic[%s] not exist.",
                         rb->group, topic);
        if (rmq__client_find_consumer_ids(rb->ci, topic, rb->group, &cids,
                                          &n_cid, err, sizeof(err))) {
                rmq__log(rb->lg, RMQ_LOG_WARN, "REBALANCE",
                         "doRebalance, %s %s, get consumer id list failed: "
                         "%s",
                         rb->group, topic, err);
                rmq__mq_array_free(all, n_all);
                return;
        }
        if (e) {
                rmq__strv_free(cids);
                return;
        }
        /* Collections.sort(mqAll) (already sorted), Collections.sort(cidAll) */
        if (n_cid > 1)
                qsort(cids, n_cid, sizeof(*cids), cmp_cid);
        if (rmq__allocate(rb->alloc, rb->group, rmq__client_id(rb->ci), all,
                          n_all, (const char *const *)cids, n_cid, &mine,
                          &n_mine, err, sizeof(err))) {
                rmq__log(rb->lg, RMQ_LOG_ERROR, "REBALANCE",
                         "AllocateMessageQueueStrategy.allocate Exception. "
                         "allocateMessageQueueStrategyName=%s: %s",
                         rmq__allocate_name(rb->alloc), err);
                rmq__strv_free(cids);
                rmq__mq_array_free(all, n_all);
                return;
        }
        if (update_table(rb, topic, mine, n_mine, is_order, &added, &n_add)) {
                rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                         "rebalanced result changed. "
                         "allocateMessageQueueStrategyName=%s, group=%s, "
                         "topic=%s, clientId=%s, mqAllSize=%zu, "
                         "cidAllSize=%zu, rebalanceResultSize=%zu",
                         rmq__allocate_name(rb->alloc), rb->group, topic,
                         rmq__client_id(rb->ci), n_all, n_cid, n_mine);
                rb->ops->message_queue_changed(rb, topic, all, n_all, mine,
                                               n_mine);
        }
        dispatch_added(rb, added, n_add);
        rmq__mq_array_free(mine, n_mine);
        rmq__strv_free(cids);
        rmq__mq_array_free(all, n_all);
}

/* mirrors RebalanceImpl.truncateMessageQueueNotMyTopic */
static void truncate_not_my_topic(rmq_rebalance_t *rb) {
        for (;;) {
                rmq_rb_entry_t e;
                size_t i;
                bool found = false;
                char q[256];
                rmq__lock(&rb->lock);
                for (i = 0; i < rb->entry_cnt; i++) {
                        if (!rmq__strmap_get(&rb->subs,
                                             rb->entries[i].mq.topic)) {
                                found = true;
                                break;
                        }
                }
                if (!found) {
                        rmq__unlock(&rb->lock);
                        return;
                }
                entry_take(rb, i, &e);
                rmq__unlock(&rb->lock);
                rmq__pq_set_dropped(e.pq, true);
                rmq__mq_format(&e.mq, q, sizeof(q));
                rmq__log(rb->lg, RMQ_LOG_INFO, "REBALANCE",
                         "doRebalance, %s, truncateMessageQueueNotMyTopic "
                         "remove unnecessary mq, %s",
                         rb->group, q);
                rmq__pq_release(e.pq);
                rmq__mq_clear(&e.mq);
        }
}

/* mirrors RebalanceImpl.doRebalance */
void rmq__rebalance_do(rmq_rebalance_t *rb, bool is_order) {
        rmq_subscription_data_t *subs;
        size_t n, i;
        RMQ__ASSERT_NOT_IO("a rebalance");
        subs = rmq__rebalance_subs(rb, &n);
        for (i = 0; i < n; i++)
                rebalance_topic(rb, subs[i].topic, is_order);
        rmq__rebalance_subs_free(subs, n);
        truncate_not_my_topic(rb);
}
