/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Consumer statistics: pull and consume RT/TPS per "topic@group", computed
 * exactly as Java's StatsItem does, for ConsumerRunningInfo's statusTable
 * (mqadmin consumerStatus / consumerProgress).
 *
 * One object per client instance, shared by its consumers (Java:
 * MQClientInstance#consumerStatsManager). Five item sets (PULL_RT,
 * PULL_TPS, CONSUME_RT, CONSUME_OK_TPS, CONSUME_FAILED_TPS); an item of a
 * set comes to exist at its first increment, and from then on each
 * sampling appends a snapshot (time, times, value) to its rings: every
 * 10 s to the minute ring (7 snapshots), every 10 min to the hour ring
 * (7), every hour to the day ring (25); the first sampling of an item
 * first puts a zero snapshot one period back. A window's figures come from
 * its ring's oldest and newest snapshots.
 *
 * Time is the owner's: it calls rmq__consumer_stats_sample() with the
 * current wall-clock time every 10 s (Java schedules the three samplings
 * at fixed rates from the start); tests pass times explicitly.
 *
 * Threads: every function is thread-safe. The increments are cheap: a
 * read-locked lookup of the topic@group entry (the write lock only to
 * create one) and two relaxed atomic adds; sampling and reading take one
 * internal mutex for the rings. No lock is held across calls, no user code
 * is called.
 *
 * Not ported: StatsItem's printAtMinutes/Hour/Day log lines, and the
 * removal of items (the client's stats manager never removes any).
 *
 * @see Java: ConsumerStatsManager (client/.../stat/), StatsItemSet,
 *      StatsItem, RTStatsItem, StatsSnapshot (common/.../stats/).
 */
#ifndef RMQ_CONSUMER_STATS_H
#define RMQ_CONSUMER_STATS_H

#include "common/rmq_common.h"
#include "protocol/rmq_running_info.h"

typedef struct rmq_consumer_stats_s rmq_consumer_stats_t;

/* The item sets (ConsumerStatsManager's StatsItemSets). */
typedef enum rmq_stats_set_e {
        RMQ_STATS_PULL_RT = 0,        /* "PULL_RT" */
        RMQ_STATS_PULL_TPS,           /* "PULL_TPS" */
        RMQ_STATS_CONSUME_RT,         /* "CONSUME_RT" */
        RMQ_STATS_CONSUME_OK_TPS,     /* "CONSUME_OK_TPS" */
        RMQ_STATS_CONSUME_FAILED_TPS, /* "CONSUME_FAILED_TPS" */
        RMQ_STATS__SET_CNT
} rmq_stats_set_t;

/* The sampling windows. */
typedef enum rmq_stats_window_e {
        RMQ_STATS_MINUTE = 0, /* samplingInSeconds: 10 s, 7 snapshots */
        RMQ_STATS_HOUR,       /* samplingInMinutes: 10 min, 7 snapshots */
        RMQ_STATS_DAY,        /* samplingInHour: 1 h, 25 snapshots */
        RMQ_STATS__WINDOW_CNT
} rmq_stats_window_t;

/* StatsSnapshot */
typedef struct rmq_stats_snapshot_s {
        int64_t sum;
        double tps;
        int64_t times;
        double avgpt;
} rmq_stats_snapshot_t;

/* A topic@group that has stats. */
typedef struct rmq_stats_key_s {
        char *topic;
        char *group;
} rmq_stats_key_t;

/* Java's set name ("PULL_RT", ...), NULL for an unknown value. */
const char *rmq__stats_set_name(int set);

rmq_consumer_stats_t *rmq__consumer_stats_new(void);
/* NULL-safe; no other call may run concurrently or after. */
void rmq__consumer_stats_destroy(rmq_consumer_stats_t *stats);

/* The increments (ConsumerStatsManager#incPullRT ...). As in Java the
 * value is cast to a 32-bit int and each call counts one time.
 * @locality any thread (pull callbacks, consume workers) */
void rmq__consumer_stats_inc_pull_rt(rmq_consumer_stats_t *stats,
                                     const char *group, const char *topic,
                                     int64_t rt_ms);
void rmq__consumer_stats_inc_pull_tps(rmq_consumer_stats_t *stats,
                                      const char *group, const char *topic,
                                      int64_t msgs);
void rmq__consumer_stats_inc_consume_rt(rmq_consumer_stats_t *stats,
                                        const char *group, const char *topic,
                                        int64_t rt_ms);
void rmq__consumer_stats_inc_consume_ok_tps(rmq_consumer_stats_t *stats,
                                            const char *group,
                                            const char *topic, int64_t msgs);
void rmq__consumer_stats_inc_consume_failed_tps(rmq_consumer_stats_t *stats,
                                                const char *group,
                                                const char *topic,
                                                int64_t msgs);

/* The same increments through a topic@group handle, for hot paths (no
 * lookup): the entry is created if needed and stays valid as long as the
 * stats object (reset keeps it). */
typedef struct rmq_stats_entry_s rmq_stats_entry_t;
rmq_stats_entry_t *rmq__consumer_stats_entry(rmq_consumer_stats_t *stats,
                                             const char *group,
                                             const char *topic);
void rmq__consumer_stats_add(rmq_stats_entry_t *entry, rmq_stats_set_t set,
                             int64_t inc);
/* ConsumerStatsManager#consumeStatus: pullRT = PULL_RT minute avgpt,
 * pullTPS = PULL_TPS minute tps, consumeRT = CONSUME_RT minute avgpt (the
 * hour window's when the minute sum is 0), consumeOKTPS / consumeFailedTPS
 * = minute tps, consumeFailedMsgs = CONSUME_FAILED_TPS hour sum. Zeros
 * for what has no stats. */
void rmq__consumer_stats_consume_status(rmq_consumer_stats_t *stats,
                                        const char *group, const char *topic,
                                        rmq_consume_stat_t *cs);

/* The cumulative counters of topic@group since its first increment (or
 * the last reset): for each set the sum of the values and the number of
 * increments (zeros when absent). Lock-free reads of the counters the
 * samplings read; for the statistics document's totals. */
void rmq__consumer_stats_totals(rmq_consumer_stats_t *stats, const char *group,
                                const char *topic,
                                int64_t value[RMQ_STATS__SET_CNT],
                                int64_t times[RMQ_STATS__SET_CNT]);

/* StatsItemSet#getStatsDataIn{Minute,Hour,Day} of one set: zeros if the
 * item does not exist. */
rmq_stats_snapshot_t rmq__consumer_stats_get(rmq_consumer_stats_t *stats,
                                             rmq_stats_set_t set,
                                             rmq_stats_window_t window,
                                             const char *group,
                                             const char *topic);

/* The timer entry point, called every 10 s with the wall clock in ms:
 * samples the minute rings on every call, the hour rings on the first
 * call and then once 10 min have passed since the last time (within 5 s,
 * half a tick, so timer jitter does not skip a tick), the day rings
 * likewise every hour. */
void rmq__consumer_stats_sample(rmq_consumer_stats_t *stats, int64_t now_ms);
/* The three samplings on their own (StatsItem#samplingInSeconds,
 * #samplingInMinutes, #samplingInHour for every item of every set). */
void rmq__consumer_stats_sample_seconds(rmq_consumer_stats_t *stats,
                                        int64_t now_ms);
void rmq__consumer_stats_sample_minutes(rmq_consumer_stats_t *stats,
                                        int64_t now_ms);
void rmq__consumer_stats_sample_hour(rmq_consumer_stats_t *stats,
                                     int64_t now_ms);

/* The topic@group pairs with an item in any set, sorted by topic then
 * group; for one group only if \p group is not NULL. Returns the count;
 * free the array with rmq__stats_keys_free. */
size_t rmq__consumer_stats_keys(rmq_consumer_stats_t *stats, const char *group,
                                rmq_stats_key_t **keysp);
void rmq__stats_keys_free(rmq_stats_key_t *keys, size_t n);

/* Forgets every item, counter and snapshot and restarts the sampling
 * schedule (tests). Memory-safe with concurrent increments, which then
 * count from the reset on. */
void rmq__consumer_stats_reset(rmq_consumer_stats_t *stats);

#endif /* RMQ_CONSUMER_STATS_H */
