/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The statistics reporter and the document's common part (rmq_stats.h,
 * docs/STATISTICS.md). Not in Java (librdkafka's stats_cb).
 */
#include <stdio.h>
#include <stdlib.h>

#include "client/rmq_client_int.h"
#include "client/rmq_stats.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"

struct rmq_stats_reporter_s {
        rmq_client_t *ci;
        rmq_stats_cb_t *cb;
        void *opaque;
        char *type;
        char *name;
        rmq_stats_fill_fn_t *fill;
        void *impl;
        int64_t start_ms;
        rmq_timer_t timer;
        rmq_job_t job;
        uv_mutex_t lock;
        uv_cond_t cond;
        bool queued;  /* a report queued or running (lock) */
        bool stopped; /* (lock) */
};

void rmq__stats_num(cJSON *obj, const char *name, double v) {
        cJSON_AddItemToObject(obj, name, cJSON_CreateNumber(v));
}

/* The "client" object: the instance's transport and memory figures. */
static void client_json(rmq_client_t *ci, cJSON *doc) {
        cJSON *o = cJSON_AddObjectToObject(doc, "client");
        cJSON *mb;
        rmq_remoting_stats_t st;
        memset(&st, 0, sizeof(st));
        rmq__remoting_stats(ci->rm, &st);
        cJSON_AddStringToObject(o, "client_id", ci->client_id);
        rmq__stats_num(o, "connections", (double)st.connected);
        rmq__stats_num(o, "channels", (double)st.channels);
        rmq__stats_num(o, "requests_in_flight", (double)st.pending);
        rmq__stats_num(o, "connects", (double)st.connects);
        rmq__stats_num(o, "connect_failures", (double)st.connect_failures);
        rmq__stats_num(o, "disconnects", (double)st.disconnects);
        rmq__stats_num(o, "reconnects", (double)st.reconnects);
        rmq__stats_num(o, "tx_bytes", (double)st.bytes_out);
        rmq__stats_num(o, "rx_bytes", (double)st.bytes_in);
        rmq__stats_num(o, "tx_frames", (double)st.frames_out);
        rmq__stats_num(o, "rx_frames", (double)st.frames_in);
        rmq__stats_num(o, "callback_queue", (double)rmq__pool_queued(ci->pool));
        mb = cJSON_AddObjectToObject(o, "memory_budget");
        rmq__stats_num(mb, "limit", (double)ci->conf->consumerMemoryBudget);
        rmq__stats_num(mb, "used",
                       (double)atomic_load_explicit(&ci->held_bytes,
                                                    memory_order_relaxed));
}

char *rmq__stats_document(rmq_client_t *ci, const char *type, const char *name,
                          int64_t start_ms, rmq_stats_fill_fn_t *fill,
                          void *impl) {
        cJSON *doc = cJSON_CreateObject();
        char *txt, *out;
        int64_t now = rmq__mono_ms();
        cJSON_AddStringToObject(doc, "name", name ? name : "");
        cJSON_AddStringToObject(doc, "client_id", ci->client_id);
        cJSON_AddStringToObject(doc, "type", type);
        rmq__stats_num(doc, "ts", (double)now * 1000.0);
        rmq__stats_num(doc, "time", (double)(rmq__wall_ms() / 1000));
        rmq__stats_num(doc, "age", (double)(now - start_ms) * 1000.0);
        client_json(ci, doc);
        if (fill)
                fill(impl, doc);
        txt = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);
        if (!txt)
                abort(); /* out of memory (as rmq__malloc) */
        out = rmq__strdup(txt);
        cJSON_free(txt);
        return out;
}

/* @locality the scheduler thread */
static void report_job(rmq_job_t *job) {
        rmq_stats_reporter_t *r =
            RMQ_CONTAINER_OF(job, rmq_stats_reporter_t, job);
        char *doc;
        uv_mutex_lock(&r->lock);
        if (r->stopped) {
                r->queued = false;
                uv_cond_broadcast(&r->cond);
                uv_mutex_unlock(&r->lock);
                return;
        }
        uv_mutex_unlock(&r->lock);
        doc = rmq__stats_document(r->ci, r->type, r->name, r->start_ms, r->fill,
                                  r->impl);
        rmq__assert_no_locks("the statistics callback");
        r->cb(doc, strlen(doc), r->opaque);
        rmq__free(doc);
        uv_mutex_lock(&r->lock);
        r->queued = false;
        uv_cond_broadcast(&r->cond);
        uv_mutex_unlock(&r->lock);
}

/* @locality io thread: only queues the report. */
static void report_timer_cb(rmq_timer_t *t, void *arg) {
        rmq_stats_reporter_t *r = arg;
        RMQ_UNUSED(t);
        uv_mutex_lock(&r->lock);
        if (!r->stopped && !r->queued) {
                r->queued = true;
                r->job.fn = report_job;
                if (rmq__pool_submit(rmq__client_sched_pool(r->ci), &r->job))
                        r->queued = false;
        }
        uv_mutex_unlock(&r->lock);
}

rmq_stats_reporter_t *
rmq__stats_reporter_start(rmq_client_t *ci, const rmq_conf_t *conf,
                          const char *type, const char *name,
                          rmq_stats_fill_fn_t *fill, void *impl) {
        rmq_stats_reporter_t *r;
        if (conf->statisticsIntervalMs <= 0 || !conf->stats_cb)
                return NULL;
        r           = rmq__calloc(1, sizeof(*r));
        r->ci       = ci;
        r->cb       = conf->stats_cb;
        r->opaque   = conf->stats_opaque;
        r->type     = rmq__strdup(type);
        r->name     = rmq__strdup(name ? name : "");
        r->fill     = fill;
        r->impl     = impl;
        r->start_ms = rmq__mono_ms();
        uv_mutex_init(&r->lock);
        uv_cond_init(&r->cond);
        rmq__timer_init(&r->timer, report_timer_cb, r);
        if (rmq__timer_start(ci->io, &r->timer, conf->statisticsIntervalMs,
                             conf->statisticsIntervalMs)) {
                rmq__log(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                         "cannot start the statistics timer of %s %s", type,
                         r->name);
                rmq__stats_reporter_stop(r);
                return NULL;
        }
        return r;
}

void rmq__stats_reporter_stop(rmq_stats_reporter_t *r) {
        if (!r)
                return;
        uv_mutex_lock(&r->lock);
        r->stopped = true;
        uv_mutex_unlock(&r->lock);
        /* After this the timer callback is not running and never runs
         * again: only a queued or running report is left. */
        rmq__timer_stop(r->ci->io, &r->timer);
        uv_mutex_lock(&r->lock);
        while (r->queued)
                uv_cond_wait(&r->cond, &r->lock);
        uv_mutex_unlock(&r->lock);
        uv_cond_destroy(&r->cond);
        uv_mutex_destroy(&r->lock);
        rmq__free(r->type);
        rmq__free(r->name);
        rmq__free(r);
}

/* ---- send counters ---- */

void rmq__send_stats_init(rmq_send_stats_t *st) {
        memset(st, 0, sizeof(*st));
        atomic_init(&st->ok, 0);
        atomic_init(&st->failed, 0);
        atomic_init(&st->rt_sum_ms, 0);
        atomic_init(&st->rt_cnt, 0);
        atomic_init(&st->rt_max_ms, 0);
        st->last_ms = rmq__mono_ms();
}

void rmq__send_stats_json(rmq_send_stats_t *st, cJSON *obj) {
        int64_t now = rmq__mono_ms();
        int64_t ok  = atomic_load_explicit(&st->ok, memory_order_relaxed);
        int64_t failed =
            atomic_load_explicit(&st->failed, memory_order_relaxed);
        int64_t rt_sum =
            atomic_load_explicit(&st->rt_sum_ms, memory_order_relaxed);
        int64_t rt_cnt =
            atomic_load_explicit(&st->rt_cnt, memory_order_relaxed);
        int64_t rt_max =
            atomic_exchange_explicit(&st->rt_max_ms, 0, memory_order_relaxed);
        int64_t span  = now - st->last_ms;
        double secs   = span > 0 ? (double)span / 1000.0 : 0;
        int64_t d_cnt = rt_cnt - st->last_rt_cnt;
        rmq__stats_num(obj, "sends_ok", (double)ok);
        rmq__stats_num(obj, "sends_failed", (double)failed);
        rmq__stats_num(obj, "send_ok_tps",
                       secs > 0 ? (double)(ok - st->last_ok) / secs : 0);
        rmq__stats_num(obj, "send_failed_tps",
                       secs > 0 ? (double)(failed - st->last_failed) / secs
                                : 0);
        rmq__stats_num(
            obj, "send_rt_avg_ms",
            d_cnt > 0 ? (double)(rt_sum - st->last_rt_sum) / (double)d_cnt : 0);
        rmq__stats_num(obj, "send_rt_max_ms", (double)rt_max);
        rmq__stats_num(obj, "send_rt_total_avg_ms",
                       rt_cnt > 0 ? (double)rt_sum / (double)rt_cnt : 0);
        st->last_ok     = ok;
        st->last_failed = failed;
        st->last_rt_sum = rt_sum;
        st->last_rt_cnt = rt_cnt;
        st->last_ms     = now;
}
