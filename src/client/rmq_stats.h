/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The statistics callback (librdkafka's stats_cb idea; not in Java): every
 * statisticsIntervalMs each started handle (producer, push consumer, lite
 * pull consumer) whose conf has a stats callback gets one JSON document
 * describing itself and its client instance (docs/STATISTICS.md names
 * every field; keep them stable).
 *
 * A handle starts a reporter when it starts and stops it at shutdown. The
 * reporter's timer runs on the instance's timer service (I/O thread) and
 * only queues the report on the scheduler thread "rmq-sched", at most once
 * at a time; the report builds the document (the instance's part here,
 * the handle's part through its fill function) and calls the application
 * with no library lock held (asserted in debug builds, as for the log
 * callback). rmq__stats_reporter_stop() waits for a report in progress:
 * after it returns the callback is never called again.
 *
 * Nothing from the configuration is dumped into the document (no
 * credentials can leak through it).
 *
 * The figures come from counters kept on the hot paths with relaxed
 * atomics (the producer's rmq_send_stats_t), from the transport's
 * loop-thread counters (rmq__remoting_stats) and from the consumer stats
 * (ConsumerStatsManager) that GET_CONSUMER_RUNNING_INFO reads too.
 */
#ifndef RMQ_STATS_H
#define RMQ_STATS_H

#include <stdatomic.h>

#include <cjson/cJSON.h>

#include "client/rmq_client.h"

typedef struct rmq_stats_reporter_s rmq_stats_reporter_t;

/* Adds the handle's own members to the document \p doc (an object).
 * Called on the scheduler thread (or a test's) with no library lock held;
 * one call at a time per reporter. */
typedef void(rmq_stats_fill_fn_t)(void *impl, cJSON *doc);

/* Starts the reporter of one handle of \p ci (started). \p type is the
 * document's "type" ("producer", "push_consumer", "lite_pull_consumer"),
 * \p name its "name" (the group). NULL when the statistics are off
 * (statisticsIntervalMs 0 or no callback in \p conf). \p impl must stay
 * valid until rmq__stats_reporter_stop(). Not from the I/O thread. */
rmq_stats_reporter_t *
rmq__stats_reporter_start(rmq_client_t *ci, const rmq_conf_t *conf,
                          const char *type, const char *name,
                          rmq_stats_fill_fn_t *fill, void *impl);

/* Stops and frees \p r (NULL-safe): waits for a report in progress; no
 * call of the application's callback after it returns. Not from the
 * scheduler thread, nor with a library lock held. */
void rmq__stats_reporter_stop(rmq_stats_reporter_t *r);

/* One document (what the reporter gives the callback), a new string to
 * free with rmq__free; \p start_ms (monotonic) gives "age". */
char *rmq__stats_document(rmq_client_t *ci, const char *type, const char *name,
                          int64_t start_ms, rmq_stats_fill_fn_t *fill,
                          void *impl);

/* ---- helpers for the handles' fill functions ---- */

/* obj[name] = v (a number; integers are exact up to 2^53). */
void rmq__stats_num(cJSON *obj, const char *name, double v);

/* A producer's send counters: updated on the send paths with relaxed
 * atomics (no lock), read by its reporter. */
typedef struct rmq_send_stats_s {
        _Atomic int64_t ok;
        _Atomic int64_t failed;
        _Atomic int64_t rt_sum_ms; /* of the ok sync and async sends */
        _Atomic int64_t rt_cnt;
        _Atomic int64_t rt_max_ms; /* since the last document */
        /* the last document's figures (the reporter's thread only) */
        int64_t last_ok, last_failed, last_rt_sum, last_rt_cnt, last_ms;
} rmq_send_stats_t;

void rmq__send_stats_init(rmq_send_stats_t *st);

/* Counts one send's outcome: \p ok or not; \p rt_ms >= 0 adds to the
 * response time figures (an ok sync or async send; -1: none). */
static inline void rmq__send_stats_add(rmq_send_stats_t *st, bool ok,
                                       int64_t rt_ms) {
        if (!ok) {
                atomic_fetch_add_explicit(&st->failed, 1, memory_order_relaxed);
                return;
        }
        atomic_fetch_add_explicit(&st->ok, 1, memory_order_relaxed);
        if (rt_ms >= 0) {
                int64_t max =
                    atomic_load_explicit(&st->rt_max_ms, memory_order_relaxed);
                atomic_fetch_add_explicit(&st->rt_sum_ms, rt_ms,
                                          memory_order_relaxed);
                atomic_fetch_add_explicit(&st->rt_cnt, 1, memory_order_relaxed);
                while (rt_ms > max &&
                       !atomic_compare_exchange_weak_explicit(
                           &st->rt_max_ms, &max, rt_ms, memory_order_relaxed,
                           memory_order_relaxed))
                        ;
        }
}

/* Adds the send figures to \p obj (docs/STATISTICS.md "producer"): the
 * totals, and the TPS, average and max RT since the previous call
 * (the start of the counters for the first). One caller at a time. */
void rmq__send_stats_json(rmq_send_stats_t *st, cJSON *obj);

#endif /* RMQ_STATS_H */
