/* SPDX-License-Identifier: Apache-2.0 */
#include <stdatomic.h>
#include <uv.h>

#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "consumer/rmq_consumer_stats.h"

/* CallSnapshot */
typedef struct call_snapshot_s {
        int64_t timestamp;
        int64_t times;
        int64_t value;
} call_snapshot_t;

/* A window's LinkedList<CallSnapshot>, as a ring of at most `cap`. */
typedef struct ring_s {
        uint8_t head; /* oldest */
        uint8_t cnt;
} ring_t;

#define MINUTE_CAP 7
#define HOUR_CAP   7
#define DAY_CAP    25

/* Per window: ring capacity and sampling period (ms); the first sampling
 * of an item puts a zero snapshot one period back. */
static const uint8_t ring_cap[RMQ_STATS__WINDOW_CNT]    = {MINUTE_CAP, HOUR_CAP,
                                                           DAY_CAP};
static const int64_t ring_period[RMQ_STATS__WINDOW_CNT] = {
    10 * 1000, 10 * 60 * 1000, 60 * 60 * 1000};

/* Tolerance for the minute/hour schedule in rmq__consumer_stats_sample:
 * half a 10 s tick. */
#define SAMPLE_SLACK_MS 5000

/* StatsItem: counters anyone adds to, rings under stats->ring_lock. */
typedef struct stats_item_s {
        _Atomic bool created; /* Java: present in the StatsItemSet's map */
        _Atomic int64_t value;
        _Atomic int64_t times;
        ring_t rings[RMQ_STATS__WINDOW_CNT];
        call_snapshot_t minute[MINUTE_CAP];
        call_snapshot_t hour[HOUR_CAP];
        call_snapshot_t day[DAY_CAP];
} stats_item_t;

/* One topic@group with its item in each of the five sets. */
typedef struct stats_entry_s {
        struct stats_entry_s *next; /* bucket chain */
        uint32_t hash;
        char *topic;
        char *group;
        stats_item_t items[RMQ_STATS__SET_CNT];
} stats_entry_t;

struct rmq_consumer_stats_s {
        /* The topic@group map. Entries are freed only by destroy, so a
         * pointer found under the lock stays valid after it. */
        uv_rwlock_t map_lock;
        stats_entry_t **buckets;
        size_t nbuckets; /* power of two */
        size_t count;

        /* Every item's rings and the sampling schedule. Taken before
         * map_lock when both are needed. */
        uv_mutex_t ring_lock;
        bool sampled;
        int64_t last_minutes_ms;
        int64_t last_hour_ms;
};

static const char *const set_names[RMQ_STATS__SET_CNT] = {
    "PULL_RT", "PULL_TPS", "CONSUME_RT", "CONSUME_OK_TPS",
    "CONSUME_FAILED_TPS"};

const char *rmq__stats_set_name(int set) {
        if (set < 0 || set >= RMQ_STATS__SET_CNT)
                return NULL;
        return set_names[set];
}

/* ---- the map ---- */

/* FNV-1a over topic '@' group: Java's key topic + "@" + group. */
static uint32_t key_hash(const char *topic, const char *group) {
        uint32_t h = 2166136261u;
        const unsigned char *p;
        for (p = (const unsigned char *)topic; *p; p++)
                h = (h ^ *p) * 16777619u;
        h = (h ^ '@') * 16777619u;
        for (p = (const unsigned char *)group; *p; p++)
                h = (h ^ *p) * 16777619u;
        return h;
}

static stats_entry_t *find_locked(const rmq_consumer_stats_t *stats, uint32_t h,
                                  const char *topic, const char *group) {
        stats_entry_t *e = stats->buckets[h & (stats->nbuckets - 1)];
        for (; e; e = e->next)
                if (e->hash == h && !strcmp(e->topic, topic) &&
                    !strcmp(e->group, group))
                        return e;
        return NULL;
}

static void grow_locked(rmq_consumer_stats_t *stats) {
        size_t n          = stats->nbuckets * 2, i;
        stats_entry_t **b = rmq__calloc(n, sizeof(*b));
        for (i = 0; i < stats->nbuckets; i++) {
                stats_entry_t *e = stats->buckets[i], *next;
                for (; e; e = next) {
                        next                 = e->next;
                        e->next              = b[e->hash & (n - 1)];
                        b[e->hash & (n - 1)] = e;
                }
        }
        rmq__free(stats->buckets);
        stats->buckets  = b;
        stats->nbuckets = n;
}

static stats_entry_t *entry_new(uint32_t h, const char *topic,
                                const char *group) {
        stats_entry_t *e = rmq__calloc(1, sizeof(*e));
        int i;
        e->hash  = h;
        e->topic = rmq__strdup(topic);
        e->group = rmq__strdup(group);
        for (i = 0; i < RMQ_STATS__SET_CNT; i++) {
                atomic_init(&e->items[i].created, false);
                atomic_init(&e->items[i].value, 0);
                atomic_init(&e->items[i].times, 0);
        }
        return e;
}

/* The entry of topic@group, created if \p create; NULL otherwise when
 * absent. @locks map_lock (read; write only to create) */
static stats_entry_t *entry_get(rmq_consumer_stats_t *stats, const char *group,
                                const char *topic, bool create) {
        uint32_t h;
        stats_entry_t *e;
        if (!topic)
                topic = "null";
        if (!group)
                group = "null";
        h = key_hash(topic, group);
        uv_rwlock_rdlock(&stats->map_lock);
        e = find_locked(stats, h, topic, group);
        uv_rwlock_rdunlock(&stats->map_lock);
        if (e || !create)
                return e;
        uv_rwlock_wrlock(&stats->map_lock);
        e = find_locked(stats, h, topic, group);
        if (!e) {
                e = entry_new(h, topic, group);
                if (stats->count >= stats->nbuckets)
                        grow_locked(stats);
                e->next = stats->buckets[h & (stats->nbuckets - 1)];
                stats->buckets[h & (stats->nbuckets - 1)] = e;
                stats->count++;
        }
        uv_rwlock_wrunlock(&stats->map_lock);
        return e;
}

rmq_consumer_stats_t *rmq__consumer_stats_new(void) {
        rmq_consumer_stats_t *stats = rmq__calloc(1, sizeof(*stats));
        if (uv_rwlock_init(&stats->map_lock) ||
            uv_mutex_init(&stats->ring_lock))
                abort(); /* as an allocation failure */
        stats->nbuckets = 16;
        stats->buckets  = rmq__calloc(stats->nbuckets, sizeof(*stats->buckets));
        return stats;
}

void rmq__consumer_stats_destroy(rmq_consumer_stats_t *stats) {
        size_t i;
        if (!stats)
                return;
        for (i = 0; i < stats->nbuckets; i++) {
                stats_entry_t *e = stats->buckets[i], *next;
                for (; e; e = next) {
                        next = e->next;
                        rmq__free(e->topic);
                        rmq__free(e->group);
                        rmq__free(e);
                }
        }
        rmq__free(stats->buckets);
        uv_rwlock_destroy(&stats->map_lock);
        uv_mutex_destroy(&stats->ring_lock);
        rmq__free(stats);
}

/* ---- increments ---- */

rmq_stats_entry_t *rmq__consumer_stats_entry(rmq_consumer_stats_t *stats,
                                             const char *group,
                                             const char *topic) {
        return (rmq_stats_entry_t *)entry_get(stats, group, topic, true);
}

/* mirrors StatsItemSet#addValue / #addRTValue (incValue is an int) */
void rmq__consumer_stats_add(rmq_stats_entry_t *entry, rmq_stats_set_t set,
                             int64_t inc) {
        stats_item_t *item = &((stats_entry_t *)entry)->items[set];
        if (!atomic_load_explicit(&item->created, memory_order_relaxed))
                atomic_store_explicit(&item->created, true,
                                      memory_order_relaxed);
        atomic_fetch_add_explicit(&item->value, (int64_t)(int32_t)inc,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&item->times, 1, memory_order_relaxed);
}

static void add_value(rmq_consumer_stats_t *stats, rmq_stats_set_t set,
                      const char *group, const char *topic, int64_t inc) {
        rmq__consumer_stats_add(rmq__consumer_stats_entry(stats, group, topic),
                                set, inc);
}

/* mirrors ConsumerStatsManager#incPullRT */
void rmq__consumer_stats_inc_pull_rt(rmq_consumer_stats_t *stats,
                                     const char *group, const char *topic,
                                     int64_t rt_ms) {
        add_value(stats, RMQ_STATS_PULL_RT, group, topic, rt_ms);
}

/* mirrors ConsumerStatsManager#incPullTPS */
void rmq__consumer_stats_inc_pull_tps(rmq_consumer_stats_t *stats,
                                      const char *group, const char *topic,
                                      int64_t msgs) {
        add_value(stats, RMQ_STATS_PULL_TPS, group, topic, msgs);
}

/* mirrors ConsumerStatsManager#incConsumeRT */
void rmq__consumer_stats_inc_consume_rt(rmq_consumer_stats_t *stats,
                                        const char *group, const char *topic,
                                        int64_t rt_ms) {
        add_value(stats, RMQ_STATS_CONSUME_RT, group, topic, rt_ms);
}

/* mirrors ConsumerStatsManager#incConsumeOKTPS */
void rmq__consumer_stats_inc_consume_ok_tps(rmq_consumer_stats_t *stats,
                                            const char *group,
                                            const char *topic, int64_t msgs) {
        add_value(stats, RMQ_STATS_CONSUME_OK_TPS, group, topic, msgs);
}

/* mirrors ConsumerStatsManager#incConsumeFailedTPS */
void rmq__consumer_stats_inc_consume_failed_tps(rmq_consumer_stats_t *stats,
                                                const char *group,
                                                const char *topic,
                                                int64_t msgs) {
        add_value(stats, RMQ_STATS_CONSUME_FAILED_TPS, group, topic, msgs);
}

/* ---- rings ---- */

static call_snapshot_t *ring_slots(stats_item_t *item, int w) {
        return w == RMQ_STATS_MINUTE ? item->minute
               : w == RMQ_STATS_HOUR ? item->hour
                                     : item->day;
}

static void ring_add(stats_item_t *item, int w, int64_t ts, int64_t times,
                     int64_t value) {
        ring_t *r             = &item->rings[w];
        call_snapshot_t *slot = ring_slots(item, w);
        uint8_t cap           = ring_cap[w];
        if (r->cnt == cap) { /* Java: add, then removeFirst past cap */
                r->head = (uint8_t)((r->head + 1) % cap);
                r->cnt--;
        }
        slot[(r->head + r->cnt) % cap] =
            (call_snapshot_t){.timestamp = ts, .times = times, .value = value};
        r->cnt++;
}

/* mirrors StatsItem#samplingInSeconds / #samplingInMinutes /
 * #samplingInHour. @locks ring_lock held */
static void item_sample(stats_item_t *item, int w, int64_t now_ms) {
        if (item->rings[w].cnt == 0)
                ring_add(item, w, now_ms - ring_period[w], 0, 0);
        ring_add(item, w, now_ms,
                 atomic_load_explicit(&item->times, memory_order_relaxed),
                 atomic_load_explicit(&item->value, memory_order_relaxed));
}

/* mirrors StatsItem#computeStatsData. @locks ring_lock held */
static rmq_stats_snapshot_t item_compute(stats_item_t *item, int w) {
        rmq_stats_snapshot_t ss     = {0, 0.0, 0, 0.0};
        const ring_t *r             = &item->rings[w];
        const call_snapshot_t *slot = ring_slots(item, w), *first, *last;
        if (r->cnt == 0)
                return ss;
        first  = &slot[r->head];
        last   = &slot[(r->head + r->cnt - 1) % ring_cap[w]];
        ss.sum = last->value - first->value;
        ss.tps = ((double)ss.sum * 1000.0) /
                 (double)(last->timestamp - first->timestamp);
        ss.times = last->times - first->times;
        if (ss.times > 0)
                ss.avgpt = ((double)ss.sum * 1.0) / (double)ss.times;
        return ss;
}

/* Samples window \p w of every existing item (StatsItemSet#samplingIn*).
 * @locks ring_lock held; takes map_lock (read) */
static void sample_all_locked(rmq_consumer_stats_t *stats, int w,
                              int64_t now_ms) {
        size_t i;
        int s;
        uv_rwlock_rdlock(&stats->map_lock);
        for (i = 0; i < stats->nbuckets; i++) {
                stats_entry_t *e = stats->buckets[i];
                for (; e; e = e->next)
                        for (s = 0; s < RMQ_STATS__SET_CNT; s++)
                                if (atomic_load_explicit(&e->items[s].created,
                                                         memory_order_relaxed))
                                        item_sample(&e->items[s], w, now_ms);
        }
        uv_rwlock_rdunlock(&stats->map_lock);
}

static void sample_window(rmq_consumer_stats_t *stats, int w, int64_t now_ms) {
        rmq__lock(&stats->ring_lock);
        sample_all_locked(stats, w, now_ms);
        rmq__unlock(&stats->ring_lock);
}

void rmq__consumer_stats_sample_seconds(rmq_consumer_stats_t *stats,
                                        int64_t now_ms) {
        sample_window(stats, RMQ_STATS_MINUTE, now_ms);
}

void rmq__consumer_stats_sample_minutes(rmq_consumer_stats_t *stats,
                                        int64_t now_ms) {
        sample_window(stats, RMQ_STATS_HOUR, now_ms);
}

void rmq__consumer_stats_sample_hour(rmq_consumer_stats_t *stats,
                                     int64_t now_ms) {
        sample_window(stats, RMQ_STATS_DAY, now_ms);
}

/* mirrors StatsItemSet#init's three fixed-rate schedules (first run at
 * once), driven by the owner's 10 s timer. */
void rmq__consumer_stats_sample(rmq_consumer_stats_t *stats, int64_t now_ms) {
        rmq__lock(&stats->ring_lock);
        sample_all_locked(stats, RMQ_STATS_MINUTE, now_ms);
        if (!stats->sampled ||
            now_ms - stats->last_minutes_ms >=
                ring_period[RMQ_STATS_HOUR] - SAMPLE_SLACK_MS) {
                sample_all_locked(stats, RMQ_STATS_HOUR, now_ms);
                stats->last_minutes_ms = now_ms;
        }
        if (!stats->sampled ||
            now_ms - stats->last_hour_ms >=
                ring_period[RMQ_STATS_DAY] - SAMPLE_SLACK_MS) {
                sample_all_locked(stats, RMQ_STATS_DAY, now_ms);
                stats->last_hour_ms = now_ms;
        }
        stats->sampled = true;
        rmq__unlock(&stats->ring_lock);
}

/* ---- reading ---- */

rmq_stats_snapshot_t rmq__consumer_stats_get(rmq_consumer_stats_t *stats,
                                             rmq_stats_set_t set,
                                             rmq_stats_window_t window,
                                             const char *group,
                                             const char *topic) {
        rmq_stats_snapshot_t ss = {0, 0.0, 0, 0.0};
        stats_entry_t *e        = entry_get(stats, group, topic, false);
        if (!e || (unsigned)set >= RMQ_STATS__SET_CNT ||
            (unsigned)window >= RMQ_STATS__WINDOW_CNT)
                return ss;
        rmq__lock(&stats->ring_lock);
        ss = item_compute(&e->items[set], window);
        rmq__unlock(&stats->ring_lock);
        return ss;
}

void rmq__consumer_stats_totals(rmq_consumer_stats_t *stats, const char *group,
                                const char *topic,
                                int64_t value[RMQ_STATS__SET_CNT],
                                int64_t times[RMQ_STATS__SET_CNT]) {
        stats_entry_t *e = entry_get(stats, group, topic, false);
        int i;
        for (i = 0; i < RMQ_STATS__SET_CNT; i++) {
                value[i] = e ? atomic_load_explicit(&e->items[i].value,
                                                    memory_order_relaxed)
                             : 0;
                times[i] = e ? atomic_load_explicit(&e->items[i].times,
                                                    memory_order_relaxed)
                             : 0;
        }
}

/* mirrors ConsumerStatsManager#consumeStatus (and #getConsumeRT) */
void rmq__consumer_stats_consume_status(rmq_consumer_stats_t *stats,
                                        const char *group, const char *topic,
                                        rmq_consume_stat_t *cs) {
        stats_entry_t *e = entry_get(stats, group, topic, false);
        rmq_stats_snapshot_t ss;
        memset(cs, 0, sizeof(*cs));
        if (!e)
                return;
        rmq__lock(&stats->ring_lock);
        cs->pullRT =
            item_compute(&e->items[RMQ_STATS_PULL_RT], RMQ_STATS_MINUTE).avgpt;
        cs->pullTPS =
            item_compute(&e->items[RMQ_STATS_PULL_TPS], RMQ_STATS_MINUTE).tps;
        ss = item_compute(&e->items[RMQ_STATS_CONSUME_RT], RMQ_STATS_MINUTE);
        if (ss.sum == 0)
                ss = item_compute(&e->items[RMQ_STATS_CONSUME_RT],
                                  RMQ_STATS_HOUR);
        cs->consumeRT = ss.avgpt;
        cs->consumeOKTPS =
            item_compute(&e->items[RMQ_STATS_CONSUME_OK_TPS], RMQ_STATS_MINUTE)
                .tps;
        cs->consumeFailedTPS =
            item_compute(&e->items[RMQ_STATS_CONSUME_FAILED_TPS],
                         RMQ_STATS_MINUTE)
                .tps;
        cs->consumeFailedMsgs =
            item_compute(&e->items[RMQ_STATS_CONSUME_FAILED_TPS],
                         RMQ_STATS_HOUR)
                .sum;
        rmq__unlock(&stats->ring_lock);
}

static bool entry_has_stats(stats_entry_t *e) {
        int s;
        for (s = 0; s < RMQ_STATS__SET_CNT; s++)
                if (atomic_load_explicit(&e->items[s].created,
                                         memory_order_relaxed))
                        return true;
        return false;
}

static int key_cmp(const void *a, const void *b) {
        const rmq_stats_key_t *x = a, *y = b;
        int r = strcmp(x->topic, y->topic);
        return r ? r : strcmp(x->group, y->group);
}

size_t rmq__consumer_stats_keys(rmq_consumer_stats_t *stats, const char *group,
                                rmq_stats_key_t **keysp) {
        rmq_stats_key_t *keys;
        size_t i, n = 0;
        uv_rwlock_rdlock(&stats->map_lock);
        keys = rmq__calloc(stats->count + 1, sizeof(*keys));
        for (i = 0; i < stats->nbuckets; i++) {
                stats_entry_t *e = stats->buckets[i];
                for (; e; e = e->next) {
                        if (!entry_has_stats(e) ||
                            (group && strcmp(group, e->group)))
                                continue;
                        keys[n].topic   = rmq__strdup(e->topic);
                        keys[n++].group = rmq__strdup(e->group);
                }
        }
        uv_rwlock_rdunlock(&stats->map_lock);
        qsort(keys, n, sizeof(*keys), key_cmp);
        *keysp = keys;
        return n;
}

void rmq__stats_keys_free(rmq_stats_key_t *keys, size_t n) {
        size_t i;
        for (i = 0; keys && i < n; i++) {
                rmq__free(keys[i].topic);
                rmq__free(keys[i].group);
        }
        rmq__free(keys);
}

void rmq__consumer_stats_reset(rmq_consumer_stats_t *stats) {
        size_t i;
        int s;
        rmq__lock(&stats->ring_lock);
        uv_rwlock_rdlock(&stats->map_lock);
        for (i = 0; i < stats->nbuckets; i++) {
                stats_entry_t *e = stats->buckets[i];
                for (; e; e = e->next) {
                        for (s = 0; s < RMQ_STATS__SET_CNT; s++) {
                                stats_item_t *item = &e->items[s];
                                atomic_store(&item->created, false);
                                atomic_store(&item->value, 0);
                                atomic_store(&item->times, 0);
                                memset(item->rings, 0, sizeof(item->rings));
                        }
                }
        }
        uv_rwlock_rdunlock(&stats->map_lock);
        stats->sampled         = false;
        stats->last_minutes_ms = 0;
        stats->last_hour_ms    = 0;
        rmq__unlock(&stats->ring_lock);
}
