/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Consumer benchmark, after RocketMQ's example benchmark Consumer
 * (example/src/main/java/org/apache/rocketmq/example/benchmark/
 * Consumer.java): a push consumer with a listener that only counts, or a
 * lite pull consumer with a thread that polls and counts, a line of
 * statistics every second and a summary at the end.
 *
 *   bench_consumer [-n namesrv] [-t topic] [-g group] [-s size] [-m count]
 *                  [-w threads] [-b batch] [--pull-batch N] [-X name=value]
 *                  [--lite subscribe|assign]
 *
 *   -n ADDR         name server; default: an in-process mock cluster
 *                   (rmq_mock_cluster_new) with --mock-brokers brokers (1)
 *                   and the topic created with --queues queues (4).
 *   -t TOPIC        topic (BenchmarkTest).
 *   -g GROUP        consumer group (benchmark_consumer_<pid>: a new group,
 *                   which starts from the first offset).
 *   -s N            body size of the prefilled messages (128).
 *   -m N            messages: the topic is prefilled with N messages
 *                   (default 100000), then consumed until N arrived.
 *   -w N            consumeThreadMin (and consumeThreadMax) (20); push only.
 *   -b N            consumeMessageBatchMaxSize (1); push only.
 *   --pull-batch N  pullBatchSize (32; with --lite 10, the lite pull
 *                   consumer's default).
 *   -X NAME=VALUE   any other consumer property; repeatable.
 *   --lite MODE     a lite pull consumer (Java DefaultLitePullConsumer)
 *                   instead of the push consumer, with Java's defaults
 *                   (autoCommit, pullThresholdForAll 10000, ...):
 *                   subscribe  subscribe to the topic (the group's
 *                              rebalance gives it every queue);
 *                   assign     fetch the topic's queues and assign them
 *                              all (a new group: each starts at its
 *                              first offset, consumeFromWhere).
 *                   One thread ("bench-poll") polls (timeout -1:
 *                   pollTimeoutMillis, as Java's poll()), counts each
 *                   message as the push listener does, and releases the
 *                   batch; it stands for the application, as the
 *                   listener threads do in push mode, and its CPU is the
 *                   process's.
 *   --no-prefill    consume what the topic holds (or receives) instead.
 *   --prefill-threads N   threads sending the prefill batches (4).
 *   --timeout S     give up (exit 1) after S seconds without a message (60).
 *   --quiet         no per-second lines.
 *
 * The prefill: --prefill-threads threads of one producer (its own client
 * instance, destroyed before the consumer starts) send batches
 * (rmq_producer_send_batch, up to 256 messages or 256 KiB each) round
 * robin over the topic's queues. The mock has no faster public way in.
 *
 * Every second: consume TPS, average and maximum born-to-consume (B2C) and
 * store-to-consume (S2C) latency in ms (message timestamps are in ms).
 * With a prefilled topic the latencies are the age of the backlog, not a
 * delivery latency: every message was stored before the consumer started.
 *
 * At the end a summary: messages, elapsed time (from
 * rmq_push_consumer_start() to the last message), msgs/s, wall ns per
 * message, CPU per message (getrusage: the whole process; and without the
 * in-process mock's thread, from /proc/self/task/N/stat), max RSS
 * (getrusage ru_maxrss), and one machine-readable "result" line. With the
 * in-process mock, RSS and process CPU include the mock (and its copy of
 * every message).
 *
 * Idle mode:
 *   bench_consumer --idle S [--settle S2] [-n namesrv] [-t topic]
 *       Starts a consumer on an empty topic, waits --settle seconds (3)
 *       for the rebalance and the first (long-polling) pulls, then counts
 *       for S seconds the context switches of every thread of the process
 *       (/proc/self/task/N/status: voluntary_ctxt_switches, i.e. wake-ups
 *       after blocking, and nonvoluntary_ctxt_switches) and their CPU, and
 *       prints them per thread, and the totals with and without the
 *       in-process mock's thread ("rmq-mock") and the main thread (and,
 *       with --lite, the polling thread, which waits in poll()).
 *
 * Measurement modes (used by bench/run_consumer.sh):
 *   bench_consumer --serve-mock [-m N -s size] [--mock-brokers N] [-t topic]
 *                  [--queues N]
 *       Runs a mock cluster in this process, prefills it with N messages
 *       (0: none), prints "namesrv ADDR pid P" and serves until killed
 *       (SIGTERM; it also dies with its parent).
 *   --server-pid P  with -n: the mock's CPU during the consumption, from
 *                   /proc/P/stat, in the summary.
 *   --cg-warmup N   under valgrind --tool=callgrind: after N messages
 *                   CALLGRIND_ZERO_STATS, after the last one
 *                   CALLGRIND_DUMP_STATS_AT("consume"), which writes
 *                   <callgrind.out>.1; its "totals:" divided by the
 *                   "measured" count printed is the instructions per
 *                   delivered message (every thread of this process).
 */
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "bench_util.h"

/* The consumer under test (--lite). */
enum cons_mode { MODE_PUSH, MODE_LITE_SUBSCRIBE, MODE_LITE_ASSIGN };

static const char *const mode_names[] = {"push", "lite-subscribe",
                                         "lite-assign"};

typedef struct opts_s {
        int mode; /* enum cons_mode */
        const char *namesrv;
        const char *topic;
        const char *group;
        size_t body;
        long count;
        int threads;
        int batch;
        int pull_batch;
        int brokers;
        int queues;
        int prefill_threads;
        int server_pid;
        long cg_warmup;
        double idle;
        double settle;
        double timeout;
        bool serve_mock;
        bool no_prefill;
        bool quiet;
        bool in_process; /* the mock runs in this process */
        const char *props[32];
        int prop_cnt;
} opts_t;

static int64_t wall_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the threads of this process (/proc/self/task) ---- */

typedef struct task_s {
        int tid;
        char name[32];
        long long vcsw;  /* voluntary_ctxt_switches */
        long long nvcsw; /* nonvoluntary_ctxt_switches */
        double cpu_s;    /* utime + stime */
} task_t;

typedef struct tasks_s {
        task_t *v;
        size_t n;
} tasks_t;

static void task_read(task_t *t) {
        char path[96], line[256];
        FILE *f;
        snprintf(path, sizeof(path), "/proc/self/task/%d/status", t->tid);
        if ((f = fopen(path, "r"))) {
                while (fgets(line, sizeof(line), f)) {
                        if (!strncmp(line, "Name:", 5))
                                sscanf(line + 5, " %31[^\n]", t->name);
                        else if (!strncmp(line, "voluntary_ctxt_switches:", 24))
                                t->vcsw = strtoll(line + 24, NULL, 10);
                        else if (!strncmp(line,
                                          "nonvoluntary_ctxt_switches:", 27))
                                t->nvcsw = strtoll(line + 27, NULL, 10);
                }
                fclose(f);
        }
        snprintf(path, sizeof(path), "/proc/self/task/%d/stat", t->tid);
        t->cpu_s = bench_stat_cpu_s(path);
        if (t->cpu_s < 0)
                t->cpu_s = 0;
}

static void tasks_take(tasks_t *ts) {
        DIR *d = opendir("/proc/self/task");
        struct dirent *e;
        size_t cap = 64;
        ts->n      = 0;
        ts->v      = calloc(cap, sizeof(*ts->v));
        if (!d)
                return;
        while ((e = readdir(d))) {
                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                if (ts->n == cap)
                        ts->v = realloc(ts->v, (cap *= 2) * sizeof(*ts->v));
                memset(&ts->v[ts->n], 0, sizeof(ts->v[0]));
                ts->v[ts->n].tid = atoi(e->d_name);
                task_read(&ts->v[ts->n]);
                ts->n++;
        }
        closedir(d);
}

static const task_t *tasks_find(const tasks_t *ts, int tid) {
        size_t i;
        for (i = 0; i < ts->n; i++)
                if (ts->v[i].tid == tid)
                        return &ts->v[i];
        return NULL;
}

static bool is_mock_thread(const task_t *t) {
        return !strcmp(t->name, "rmq-mock");
}

/* The thread that polls a lite pull consumer (the application's). */
static bool is_poll_thread(const task_t *t) {
        return !strcmp(t->name, "bench-poll");
}

/* CPU seconds of the in-process mock's thread between two snapshots.
 * (/proc/self/task/N/stat counts whole clock ticks per thread, so summing
 * the client's many threads would lose up to a tick each; the client's
 * share is the process's getrusage() total minus this one thread's.) */
static double tasks_cpu_mock(const tasks_t *a, const tasks_t *z) {
        double m = 0;
        size_t i;
        for (i = 0; i < z->n; i++) {
                const task_t *t0 = tasks_find(a, z->v[i].tid);
                if (is_mock_thread(&z->v[i]))
                        m += z->v[i].cpu_s - (t0 ? t0->cpu_s : 0);
        }
        return m;
}

/* User + system CPU seconds of this process from \p a to \p z. */
static double ru_cpu_s(const struct rusage *a, const struct rusage *z) {
        return bench_tv_s(z->ru_utime) + bench_tv_s(z->ru_stime) -
               bench_tv_s(a->ru_utime) - bench_tv_s(a->ru_stime);
}

/* Context switches (voluntary + involuntary) from \p a to \p z. */
static long ru_csw(const struct rusage *a, const struct rusage *z) {
        return (z->ru_nvcsw - a->ru_nvcsw) + (z->ru_nivcsw - a->ru_nivcsw);
}

/* ---- counting listener ---- */

/* One per consume thread, written by that thread only (relaxed stores, no
 * read-modify-write), read by the main thread. */
typedef struct slot_s {
        _Alignas(64) atomic_uint_fast64_t msgs;
        atomic_uint_fast64_t b2c_sum_ms;
        atomic_uint_fast64_t s2c_sum_ms;
        atomic_uint_fast64_t b2c_max_ms; /* since the last line: the main */
        atomic_uint_fast64_t s2c_max_ms; /* thread takes and zeroes them */
        atomic_uint_fast64_t first_ns;
        atomic_uint_fast64_t last_ns;
} slot_t;

#define MAX_SLOTS 1024
static slot_t slots[MAX_SLOTS];
static atomic_int slot_cnt;
static _Thread_local slot_t *my_slot;

static void add_relaxed(atomic_uint_fast64_t *a, uint64_t v) {
        atomic_store_explicit(a,
                              atomic_load_explicit(a, memory_order_relaxed) + v,
                              memory_order_relaxed);
}

static void max_relaxed(atomic_uint_fast64_t *a, uint64_t v) {
        uint_fast64_t m = atomic_load_explicit(a, memory_order_relaxed);
        while (v > m && !atomic_compare_exchange_weak(a, &m, v))
                ;
}

/* Counts \p msg_cnt received messages in the calling thread's slot. */
static void count_msgs(const rmq_message_ext_t *const *msgs, size_t msg_cnt) {
        slot_t *s        = my_slot;
        int64_t now      = wall_ms();
        uint64_t b2c_sum = 0, s2c_sum = 0, b2c_max = 0, s2c_max = 0;
        size_t i;
        if (!s) {
                int k = atomic_fetch_add(&slot_cnt, 1);
                if (k >= MAX_SLOTS)
                        bench_die("more than %d consume threads", MAX_SLOTS);
                s = my_slot = &slots[k];
        }
        for (i = 0; i < msg_cnt; i++) {
                int64_t b   = now - rmq_message_ext_born_timestamp(msgs[i]);
                int64_t st  = now - rmq_message_ext_store_timestamp(msgs[i]);
                uint64_t ub = b > 0 ? (uint64_t)b : 0;
                uint64_t us = st > 0 ? (uint64_t)st : 0;
                b2c_sum += ub;
                s2c_sum += us;
                if (ub > b2c_max)
                        b2c_max = ub;
                if (us > s2c_max)
                        s2c_max = us;
        }
        add_relaxed(&s->b2c_sum_ms, b2c_sum);
        add_relaxed(&s->s2c_sum_ms, s2c_sum);
        max_relaxed(&s->b2c_max_ms, b2c_max);
        max_relaxed(&s->s2c_max_ms, s2c_max);
        {
                uint64_t t = bench_now_ns();
                if (!atomic_load_explicit(&s->first_ns, memory_order_relaxed))
                        atomic_store_explicit(&s->first_ns, t,
                                              memory_order_relaxed);
                atomic_store_explicit(&s->last_ns, t, memory_order_relaxed);
        }
        /* last: the main thread reads the count, then the times */
        atomic_store_explicit(
            &s->msgs,
            atomic_load_explicit(&s->msgs, memory_order_relaxed) + msg_cnt,
            memory_order_release);
}

static rmq_consume_status_t on_msgs(rmq_push_consumer_t *pcons,
                                    const rmq_message_ext_t *const *msgs,
                                    size_t msg_cnt, rmq_consume_context_t *ctx,
                                    void *opaque) {
        (void)pcons;
        (void)ctx;
        (void)opaque;
        count_msgs(msgs, msg_cnt);
        return RMQ_CONSUME_SUCCESS;
}

typedef struct totals_s {
        uint64_t msgs, b2c_sum, s2c_sum, b2c_max, s2c_max, first_ns, last_ns;
} totals_t;

/* Sums the slots; \p take_max zeroes the per-line maxima. */
static void totals_take(totals_t *t, bool take_max) {
        int i, n = atomic_load(&slot_cnt);
        memset(t, 0, sizeof(*t));
        for (i = 0; i < n && i < MAX_SLOTS; i++) {
                slot_t *s = &slots[i];
                uint64_t v;
                t->msgs += atomic_load_explicit(&s->msgs, memory_order_acquire);
                t->b2c_sum +=
                    atomic_load_explicit(&s->b2c_sum_ms, memory_order_relaxed);
                t->s2c_sum +=
                    atomic_load_explicit(&s->s2c_sum_ms, memory_order_relaxed);
                if (take_max) {
                        v = atomic_exchange(&s->b2c_max_ms, 0);
                        if (v > t->b2c_max)
                                t->b2c_max = v;
                        v = atomic_exchange(&s->s2c_max_ms, 0);
                        if (v > t->s2c_max)
                                t->s2c_max = v;
                }
                v = atomic_load_explicit(&s->first_ns, memory_order_relaxed);
                if (v && (!t->first_ns || v < t->first_ns))
                        t->first_ns = v;
                v = atomic_load_explicit(&s->last_ns, memory_order_relaxed);
                if (v > t->last_ns)
                        t->last_ns = v;
        }
}

/* ---- prefill ---- */

typedef struct prefill_s {
        rmq_producer_t *prod;
        const opts_t *o;
        uint8_t *body;
        long n;
        size_t per_batch;
        atomic_long next;
        atomic_long sent;
} prefill_t;

static void prefill_thread(void *arg) {
        prefill_t *pf        = arg;
        rmq_message_t **msgs = calloc(pf->per_batch, sizeof(*msgs));
        char errstr[512];
        for (;;) {
                long first = atomic_fetch_add(&pf->next, (long)pf->per_batch);
                size_t k, i;
                int tries;
                if (first >= pf->n)
                        break;
                k = (size_t)(pf->n - first) < pf->per_batch
                        ? (size_t)(pf->n - first)
                        : pf->per_batch;
                for (i = 0; i < k; i++) {
                        msgs[i] = rmq_message_new(pf->o->topic);
                        rmq_message_set_tags(msgs[i], "TagBench");
                        rmq_message_set_body_ref(msgs[i], pf->body, pf->o->body,
                                                 NULL, NULL);
                }
                for (tries = 0;; tries++) {
                        rmq_err_t err = rmq_producer_send_batch(
                            pf->prod, msgs, k, NULL, errstr, sizeof(errstr));
                        if (!err)
                                break;
                        if (tries == 5)
                                bench_die("prefill: %s: %s", rmq_err2name(err),
                                          errstr);
                        uv_sleep(100);
                }
                for (i = 0; i < k; i++)
                        rmq_message_destroy(msgs[i]);
                atomic_fetch_add(&pf->sent, (long)k);
        }
        free(msgs);
}

/* Sends \p n messages of o->body bytes to o->topic through \p namesrv. */
static void prefill(const char *namesrv, const opts_t *o, long n) {
        prefill_t pf;
        rmq_conf_t *conf = rmq_conf_new();
        uv_thread_t *tids;
        char errstr[512];
        uint64_t t0 = bench_now_ns();
        int t;
        if (n <= 0)
                return;
        memset(&pf, 0, sizeof(pf));
        pf.o    = o;
        pf.n    = n;
        pf.body = bench_body_new(o->body);
        /* up to 256 messages or about 256 KiB per batch */
        pf.per_batch = 262144 / (o->body + 128);
        if (pf.per_batch > 256)
                pf.per_batch = 256;
        if (pf.per_batch < 1)
                pf.per_batch = 1;
        if (rmq_conf_set(conf, "namesrvAddr", namesrv, errstr,
                         sizeof(errstr)) ||
            rmq_conf_set(conf, "producerGroup", "benchmark_prefill", errstr,
                         sizeof(errstr)) ||
            /* its own client instance, gone before the consumer starts */
            rmq_conf_set(conf, "instanceName", "bench_prefill", errstr,
                         sizeof(errstr)) ||
            rmq_producer_new(&pf.prod, conf, errstr, sizeof(errstr)) ||
            rmq_producer_start(pf.prod, errstr, sizeof(errstr)))
                bench_die("prefill producer: %s", errstr);
        rmq_conf_destroy(conf);
        tids = calloc((size_t)o->prefill_threads, sizeof(*tids));
        for (t = 0; t < o->prefill_threads; t++)
                if (uv_thread_create(&tids[t], prefill_thread, &pf))
                        bench_die("cannot start a prefill thread");
        for (t = 0; t < o->prefill_threads; t++)
                uv_thread_join(&tids[t]);
        rmq_producer_destroy(pf.prod);
        fprintf(stderr,
                "prefilled %ld messages of %zu B in %.2f s (%zu per batch, "
                "%d threads)\n",
                atomic_load(&pf.sent), o->body,
                (double)(bench_now_ns() - t0) / 1e9, pf.per_batch,
                o->prefill_threads);
        free(tids);
        free(pf.body);
}

/* ---- the consumer ---- */

/* The consumer under test: a push consumer with the counting listener, or
 * a lite pull consumer and the thread that polls it. */
typedef struct cons_s {
        const opts_t *o;
        rmq_push_consumer_t *pcons;
        rmq_lite_pull_consumer_t *lpc;
        uv_thread_t poller;
        bool polling;     /* the poller runs */
        atomic_bool stop; /* the poller is to stop */
} cons_t;

/* The application's side of the lite pull model: poll, count, release. */
static void poll_thread(void *arg) {
        cons_t *c = arg;
        pthread_setname_np(pthread_self(), "bench-poll");
        while (!atomic_load(&c->stop)) {
                rmq_message_ext_t **msgs;
                size_t cnt;
                rmq_err_t err =
                    rmq_lite_pull_consumer_poll(c->lpc, -1, &msgs, &cnt);
                if (err) {
                        if (!atomic_load(&c->stop))
                                bench_die("poll: %s", rmq_err2name(err));
                        break;
                }
                if (cnt)
                        count_msgs((const rmq_message_ext_t *const *)msgs, cnt);
                rmq_lite_pull_consumer_poll_release(msgs, cnt);
        }
}

static void cons_new(cons_t *c, const opts_t *o) {
        rmq_conf_t *conf = rmq_conf_new();
        char errstr[512], num[32];
        int i;
        memset(c, 0, sizeof(*c));
        c->o = o;
        bench_conf_set(conf, "namesrvAddr", o->namesrv);
        bench_conf_set(conf, "consumerGroup", o->group);
        bench_conf_set(conf, "consumeFromWhere", "CONSUME_FROM_FIRST_OFFSET");
        if (o->mode == MODE_PUSH) {
                snprintf(num, sizeof(num), "%d", o->threads);
                bench_conf_set(conf, "consumeThreadMax", num);
                bench_conf_set(conf, "consumeThreadMin", num);
                snprintf(num, sizeof(num), "%d", o->batch);
                bench_conf_set(conf, "consumeMessageBatchMaxSize", num);
        }
        snprintf(num, sizeof(num), "%d", o->pull_batch);
        bench_conf_set(conf, "pullBatchSize", num);
        for (i = 0; i < o->prop_cnt; i++) {
                char name[256];
                const char *eq = strchr(o->props[i], '=');
                snprintf(name, sizeof(name), "%.*s", (int)(eq - o->props[i]),
                         o->props[i]);
                bench_conf_set(conf, name, eq + 1);
        }
        if (o->mode != MODE_PUSH) {
                if (rmq_lite_pull_consumer_new(&c->lpc, conf, errstr,
                                               sizeof(errstr)))
                        bench_die("consumer: %s", errstr);
                if (o->mode == MODE_LITE_SUBSCRIBE &&
                    rmq_lite_pull_consumer_subscribe(c->lpc, o->topic, "*",
                                                     errstr, sizeof(errstr)))
                        bench_die("subscribe: %s", errstr);
                rmq_conf_destroy(conf);
                return;
        }
        if (rmq_push_consumer_new(&c->pcons, conf, errstr, sizeof(errstr)))
                bench_die("consumer: %s", errstr);
        rmq_conf_destroy(conf);
        if (rmq_push_consumer_set_listener_concurrently(c->pcons, on_msgs,
                                                        NULL))
                bench_die("cannot set the listener");
        if (rmq_push_consumer_subscribe(c->pcons, o->topic, "*", errstr,
                                        sizeof(errstr)))
                bench_die("subscribe: %s", errstr);
}

/* Starts the consumer; in assign mode also fetches and assigns the
 * topic's queues; with a lite pull consumer starts the poller. */
static void cons_start(cons_t *c) {
        rmq_message_queue_t **mqs;
        size_t cnt;
        char errstr[512];
        if (c->pcons) {
                if (rmq_push_consumer_start(c->pcons, errstr, sizeof(errstr)))
                        bench_die("cannot start the consumer: %s", errstr);
                return;
        }
        if (rmq_lite_pull_consumer_start(c->lpc, errstr, sizeof(errstr)))
                bench_die("cannot start the consumer: %s", errstr);
        if (c->o->mode == MODE_LITE_ASSIGN) {
                if (rmq_lite_pull_consumer_fetch_message_queues(
                        c->lpc, c->o->topic, &mqs, &cnt, errstr,
                        sizeof(errstr)) ||
                    rmq_lite_pull_consumer_assign(
                        c->lpc, (const rmq_message_queue_t *const *)mqs, cnt,
                        errstr, sizeof(errstr)))
                        bench_die("assign: %s", errstr);
                rmq_message_queues_destroy(mqs, cnt);
        }
        if (uv_thread_create(&c->poller, poll_thread, c))
                bench_die("cannot start the polling thread");
        c->polling = true;
}

/* Shuts the consumer down and frees it. A lite pull consumer's shutdown
 * ends the poll the poller may be waiting in. */
static void cons_destroy(cons_t *c) {
        if (c->pcons) {
                rmq_push_consumer_shutdown(c->pcons);
                rmq_push_consumer_destroy(c->pcons);
                return;
        }
        atomic_store(&c->stop, true);
        rmq_lite_pull_consumer_shutdown(c->lpc);
        if (c->polling)
                uv_thread_join(&c->poller);
        rmq_lite_pull_consumer_destroy(c->lpc);
}

/* "threads=N batch=N" (push) or "mode=lite-..." for the summary lines. */
static void cons_desc(const opts_t *o, char *buf, size_t size) {
        if (o->mode == MODE_PUSH)
                snprintf(buf, size, "threads=%d batch=%d", o->threads,
                         o->batch);
        else
                snprintf(buf, size, "mode=%s", mode_names[o->mode]);
}

/* Consumes o->count messages with a line per second and a summary. */
static int run_throughput(const opts_t *o, cons_t *c) {
        struct rusage ru0, ru1;
        tasks_t ts0, ts1;
        totals_t prev, cur;
        uint64_t t_start, t_line, t_progress;
        uint64_t last_msgs = 0, cg_base = 0;
        double srv0, srv1, mock_s, client_s, cpu_s, elapsed;
        bool cg_on = false, stalled = false;
        int64_t n;
        char desc[64];

        getrusage(RUSAGE_SELF, &ru0);
        tasks_take(&ts0);
        srv0    = bench_pid_cpu_s(o->server_pid);
        t_start = bench_now_ns();
        if (RUNNING_ON_VALGRIND && o->cg_warmup <= 0) {
                CALLGRIND_ZERO_STATS;
                cg_on = true;
        }
        cons_start(c);
        memset(&prev, 0, sizeof(prev));
        t_line = t_progress = t_start;
        for (;;) {
                uint64_t t;
                bench_sleep_s(0.01);
                t = bench_now_ns();
                totals_take(&cur, false);
                if (cur.msgs != last_msgs) {
                        last_msgs  = cur.msgs;
                        t_progress = t;
                }
                if (!cg_on && RUNNING_ON_VALGRIND &&
                    cur.msgs >= (uint64_t)o->cg_warmup) {
                        CALLGRIND_ZERO_STATS;
                        totals_take(&cur, false);
                        cg_base = cur.msgs;
                        cg_on   = true;
                }
                if (cur.msgs >= (uint64_t)o->count)
                        break;
                if ((double)(t - t_progress) / 1e9 > o->timeout) {
                        stalled = true;
                        break;
                }
                if (t - t_line >= 1000000000u) {
                        uint64_t dn;
                        totals_take(&cur, true);
                        dn = cur.msgs - prev.msgs;
                        if (!o->quiet)
                                printf(
                                    "Current Time: %6.2f s | Consume TPS: "
                                    "%8.0f | AVG(B2C) RT(ms): %9.3f | "
                                    "AVG(S2C) RT(ms): %9.3f | MAX(B2C) "
                                    "RT(ms): %6" PRIu64 " | MAX(S2C) "
                                    "RT(ms): %6" PRIu64 "\n",
                                    (double)(t - t_start) / 1e9,
                                    (double)dn * 1e9 / (double)(t - t_line),
                                    dn ? (double)(cur.b2c_sum - prev.b2c_sum) /
                                             (double)dn
                                       : 0,
                                    dn ? (double)(cur.s2c_sum - prev.s2c_sum) /
                                             (double)dn
                                       : 0,
                                    cur.b2c_max, cur.s2c_max);
                        fflush(stdout);
                        prev   = cur;
                        t_line = t;
                }
        }
        if (cg_on) {
                CALLGRIND_DUMP_STATS_AT("consume");
                printf("callgrind: measured %" PRIu64
                       " messages (after %" PRIu64 " warm-up messages)\n",
                       cur.msgs - cg_base, cg_base);
        }
        getrusage(RUSAGE_SELF, &ru1);
        tasks_take(&ts1);
        srv1 = bench_pid_cpu_s(o->server_pid);
        totals_take(&cur, true);
        n        = (int64_t)cur.msgs;
        elapsed  = (double)(cur.last_ns - t_start) / 1e9;
        cpu_s    = ru_cpu_s(&ru0, &ru1);
        mock_s   = tasks_cpu_mock(&ts0, &ts1);
        client_s = cpu_s - mock_s;
        cons_desc(o, desc, sizeof(desc));
        if (stalled)
                bench_warn("no message for %.0f s: %" PRId64 " of %ld consumed",
                           o->timeout, n, o->count);
        if (n > 0) {
                printf("[Complete] body=%zu %s "
                       "pullBatch=%d: Consume Total: %" PRId64
                       " in %.3f s (start to last message; first after "
                       "%.3f s), %.0f msgs/s, %.0f ns/msg wall; CPU "
                       "%.0f ns/msg process (user %.0f, sys %.0f)",
                       o->body, desc, o->pull_batch, n, elapsed,
                       (double)(cur.first_ns - t_start) / 1e9,
                       (double)n / elapsed, elapsed * 1e9 / (double)n,
                       cpu_s * 1e9 / (double)n,
                       (bench_tv_s(ru1.ru_utime) - bench_tv_s(ru0.ru_utime)) *
                           1e9 / (double)n,
                       (bench_tv_s(ru1.ru_stime) - bench_tv_s(ru0.ru_stime)) *
                           1e9 / (double)n);
                if (o->in_process)
                        printf(", %.0f ns/msg without the in-process mock "
                               "thread (mock %.0f)",
                               client_s * 1e9 / (double)n,
                               mock_s * 1e9 / (double)n);
                if (srv0 >= 0 && srv1 >= 0)
                        printf(", server %.0f ns/msg",
                               (srv1 - srv0) * 1e9 / (double)n);
                printf("; %.2f minor faults/msg, %.2f context switches/msg"
                       "; max RSS %ld kB; Avg B2C %.1f ms, Avg S2C %.1f "
                       "ms\n",
                       (double)(ru1.ru_minflt - ru0.ru_minflt) / (double)n,
                       (double)ru_csw(&ru0, &ru1) / (double)n, ru1.ru_maxrss,
                       (double)cur.b2c_sum / (double)n,
                       (double)cur.s2c_sum / (double)n);
                printf("result body=%zu %s pull_batch=%d "
                       "msgs=%" PRId64 " secs=%.4f rate=%.0f "
                       "wall_ns_per_msg=%.0f cpu_ns_per_msg=%.0f "
                       "client_cpu_ns_per_msg=%.0f "
                       "server_cpu_ns_per_msg=%.0f max_rss_kb=%ld "
                       "first_s=%.4f\n",
                       o->body, desc, o->pull_batch, n, elapsed,
                       (double)n / elapsed, elapsed * 1e9 / (double)n,
                       cpu_s * 1e9 / (double)n, client_s * 1e9 / (double)n,
                       bench_delta_per(srv0, srv1, 1e9, (uint64_t)n),
                       ru1.ru_maxrss, (double)(cur.first_ns - t_start) / 1e9);
        }
        fflush(stdout);
        free(ts0.v);
        free(ts1.v);
        return stalled || n < o->count ? 1 : 0;
}

/* --idle: wake-ups and CPU of an idle consumer. */
static int run_idle(const opts_t *o, cons_t *cons) {
        struct rusage ru0, ru1;
        tasks_t ts0, ts1;
        uint64_t t0, t1;
        double secs, cpu_s;
        long long all = 0, lib = 0, all_nv = 0;
        double cpu_lib = 0;
        size_t i;
        int main_tid = (int)getpid();

        cons_start(cons);
        bench_sleep_s(o->settle);
        tasks_take(&ts0);
        getrusage(RUSAGE_SELF, &ru0);
        t0 = bench_now_ns();
        bench_sleep_s(o->idle);
        t1 = bench_now_ns();
        getrusage(RUSAGE_SELF, &ru1);
        tasks_take(&ts1);
        secs  = (double)(t1 - t0) / 1e9;
        cpu_s = ru_cpu_s(&ru0, &ru1);
        printf("idle consumer on %s (%s), %.1f s after a %.1f s settle; "
               "per thread:\n",
               o->topic, o->namesrv, secs, o->settle);
        printf("  %-16s %7s %12s %12s %10s\n", "thread", "tid", "wakeups/s",
               "involunt./s", "cpu ms");
        for (i = 0; i < ts1.n; i++) {
                const task_t *z = &ts1.v[i];
                const task_t *a = tasks_find(&ts0, z->tid);
                long long v     = z->vcsw - (a ? a->vcsw : 0);
                long long nv    = z->nvcsw - (a ? a->nvcsw : 0);
                double c        = z->cpu_s - (a ? a->cpu_s : 0);
                bool is_lib     = z->tid != main_tid && !is_mock_thread(z) &&
                              !is_poll_thread(z);
                printf("  %-16s %7d %12.2f %12.2f %10.1f%s\n", z->name, z->tid,
                       (double)v / secs, (double)nv / secs, c * 1e3,
                       z->tid == main_tid  ? "  (main: sleeping)"
                       : is_lib            ? ""
                       : is_poll_thread(z) ? "  (polling)"
                                           : "  (in-process mock)");
                all += v + nv;
                all_nv += nv;
                if (is_lib) {
                        lib += v + nv;
                        cpu_lib += c;
                }
        }
        printf("idle: consumer library threads %.2f wake-ups/s (context "
               "switches, voluntary + involuntary), CPU %.1f ms/s; all "
               "threads %.2f/s (involuntary %.2f/s); process getrusage: "
               "%.2f switches/s, CPU %.2f ms/s (%.3f%%)\n",
               (double)lib / secs, cpu_lib * 1e3 / secs, (double)all / secs,
               (double)all_nv / secs, (double)ru_csw(&ru0, &ru1) / secs,
               cpu_s * 1e3 / secs, cpu_s * 100 / secs);
        printf("result idle secs=%.2f lib_wakeups_per_s=%.2f "
               "lib_cpu_ms_per_s=%.2f all_wakeups_per_s=%.2f "
               "process_cpu_ms_per_s=%.2f max_rss_kb=%ld\n",
               secs, (double)lib / secs, cpu_lib * 1e3 / secs,
               (double)all / secs, cpu_s * 1e3 / secs, ru1.ru_maxrss);
        fflush(stdout);
        free(ts0.v);
        free(ts1.v);
        return 0;
}

/* ---- the mock in its own process ---- */

static void serve_mock(const opts_t *o) {
        rmq_mock_cluster_t *mc;
        bench_die_with_parent(); /* die with the driver */
        mc = bench_mock_new(o->brokers, o->topic, o->queues);
        prefill(rmq_mock_cluster_namesrv_addr(mc), o, o->count);
        bench_mock_serve(mc);
}

/* ---- main ---- */

static void usage(int code) {
        fprintf(code ? stderr : stdout,
                "usage: bench_consumer [-n namesrv] [-t topic] [-g group] "
                "[-s size] [-m count]\n"
                "                      [-w threads] [-b batch] "
                "[--pull-batch N] [-X name=value]...\n"
                "                      [--no-prefill] [--prefill-threads N] "
                "[--mock-brokers N]\n"
                "                      [--queues N] [--timeout S] [--quiet] "
                "[--server-pid P]\n"
                "                      [--cg-warmup N] [--lite "
                "subscribe|assign]\n"
                "       bench_consumer --idle S [--settle S] [-n namesrv] "
                "[-t topic] [-w threads]\n"
                "                      [--lite subscribe|assign]\n"
                "       bench_consumer --serve-mock [-m N -s size] "
                "[--mock-brokers N] [-t topic]\n"
                "                      [--queues N]\n"
                "See the comment at the top of bench/bench_consumer.c.\n");
        exit(code);
}

/* -X NAME=VALUE */
static void add_prop(const char *name, const char *v, void *dest) {
        opts_t *o = dest;
        (void)name;
        if (!strchr(v, '=') || o->prop_cnt == 32)
                bench_die("-X %s: want name=value (at most 32)", v);
        o->props[o->prop_cnt++] = v;
}

static void parse(int argc, char **argv, opts_t *o) {
        static const bench_choice_t lite_modes[] = {
            {"subscribe", MODE_LITE_SUBSCRIBE},
            {"assign", MODE_LITE_ASSIGN},
            {NULL, 0}};
        const bench_opt_t opts[] = {
            BENCH_FLAG("--serve-mock", &o->serve_mock),
            BENCH_FLAG("--no-prefill", &o->no_prefill),
            BENCH_FLAG("--quiet", &o->quiet),
            BENCH_STR("-n", &o->namesrv),
            BENCH_STR("-t", &o->topic),
            BENCH_STR("-g", &o->group),
            BENCH_SIZE("-s", &o->body),
            BENCH_LONG("-m", &o->count),
            BENCH_INT("-w", &o->threads),
            BENCH_INT("-b", &o->batch),
            BENCH_INT("--pull-batch", &o->pull_batch),
            BENCH_CALL("-X", add_prop, o),
            BENCH_INT("--prefill-threads", &o->prefill_threads),
            BENCH_INT("--mock-brokers", &o->brokers),
            BENCH_INT("--queues", &o->queues),
            BENCH_DBL("--timeout", &o->timeout),
            BENCH_INT("--server-pid", &o->server_pid),
            BENCH_LONG("--cg-warmup", &o->cg_warmup),
            BENCH_DBL("--idle", &o->idle),
            BENCH_DBL("--settle", &o->settle),
            BENCH_CHOICE("--lite", &o->mode, "lite mode", lite_modes),
            BENCH_OPTS_END,
        };
        memset(o, 0, sizeof(*o));
        o->topic           = "BenchmarkTest";
        o->body            = 128;
        o->count           = 100000;
        o->threads         = 20;
        o->batch           = 1;
        o->pull_batch      = -1; /* the consumer's default */
        o->brokers         = 1;
        o->queues          = 4;
        o->prefill_threads = 4;
        o->settle          = 3;
        o->timeout         = 60;
        bench_opts_parse(opts, argc, argv, 1, usage);
        if (o->pull_batch == -1)
                o->pull_batch = o->mode == MODE_PUSH ? 32 : 10;
        if (o->body < 1 || o->threads < 1 || o->batch < 1 ||
            o->pull_batch < 1 || o->queues < 1 || o->prefill_threads < 1)
                bench_die(
                    "size, threads, batch, pull batch, queues and prefill "
                    "threads must be >= 1");
        if (!o->serve_mock && !o->idle && o->count < 1)
                bench_die("-m must be >= 1");
}

int main(int argc, char **argv) {
        opts_t o;
        rmq_mock_cluster_t *mc = NULL;
        cons_t cons;
        char group[64];
        int rc;

        bench_prog = "bench_consumer";
        parse(argc, argv, &o);
        signal(SIGPIPE, SIG_IGN);
        if (o.serve_mock)
                serve_mock(&o);
        if (!o.group) {
                snprintf(group, sizeof(group), "benchmark_consumer_%d",
                         (int)getpid());
                o.group = group;
        }
        if (!o.namesrv) {
                mc           = bench_mock_new(o.brokers, o.topic, o.queues);
                o.namesrv    = rmq_mock_cluster_namesrv_addr(mc);
                o.in_process = true;
        }
        printf("bench_consumer: namesrv %s%s, topic %s, group %s, %s, %s\n",
               o.namesrv, mc ? " (in-process mock)" : "", o.topic, o.group,
               mode_names[o.mode], o.idle > 0 ? "idle" : "consuming");
        if (o.idle > 0) {
                cons_new(&cons, &o);
                rc = run_idle(&o, &cons);
        } else {
                if (!o.no_prefill)
                        prefill(o.namesrv, &o, o.count);
                if (mc && !o.no_prefill &&
                    rmq_mock_topic_message_count(mc, o.topic) != o.count)
                        bench_die(
                            "the mock holds %" PRId64 " messages, not %ld",
                            rmq_mock_topic_message_count(mc, o.topic), o.count);
                if (o.mode == MODE_PUSH)
                        printf("consumer: %d threads (consumeThreadMin), "
                               "consumeMessageBatchMaxSize %d, ",
                               o.threads, o.batch);
                else
                        printf("consumer: %s, one polling thread, ",
                               mode_names[o.mode]);
                printf("pullBatchSize %d, %ld messages of %zu B\n",
                       o.pull_batch, o.count, o.body);
                fflush(stdout);
                cons_new(&cons, &o);
                rc = run_throughput(&o, &cons);
        }
        cons_destroy(&cons);
        rmq_mock_cluster_destroy(mc);
        return rc;
}
