/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Producer benchmark, after RocketMQ's example benchmark Producer
 * (example/src/main/java/org/apache/rocketmq/example/benchmark/
 * Producer.java): a few threads send messages of a fixed size as fast as
 * they can and a line of statistics is printed every second.
 *
 *   bench_producer [-n namesrv] [-t topic] [-g group] [-w threads] [-s size]
 *                  [-a [--window N]] [-o] [-c count | -d seconds]
 *
 *   -n ADDR         name server; default: an in-process mock cluster
 *                   (rmq_mock_cluster_new) with --mock-brokers brokers (1).
 *   -t TOPIC        topic (BenchmarkTest); created on the mock with
 *                   --queues write/read queues per broker (4).
 *   -g GROUP        producer group (benchmark_producer).
 *   -w N            sending threads: default 4 for sync and oneway, 1 for
 *                   async (the window keeps the sends in flight).
 *   -s N            body size in bytes (128).
 *   -a              async: rmq_producer_send_async; the window is the
 *                   producer's backPressureForAsyncSendNum (--window, 1000)
 *                   with enableBackpressureForAsyncMode=true, so a send
 *                   waits for room when the window is full.
 *   -o              oneway: rmq_producer_send_oneway.
 *   -c N            stop after N messages (all threads together).
 *   -d S            stop after S seconds (default 10 unless -c is given).
 *   --reuse-msg     send one message per thread over and over; by default
 *                   each send builds a new message (as the Java benchmark
 *                   does) sharing one body (rmq_message_set_body_ref).
 *
 * Every second: send TPS, maximum and average RT in ms (sync and oneway:
 * the call; async: from the call to the callback) and failures (send
 * failed: the call returned an error; response failed: the callback got
 * one). At the end a summary. After the producer has started and at the
 * end it prints the process's VmRSS, VmHWM and Threads (/proc/self/status);
 * with the in-process mock those include the mock's thread and memory
 * (use -n with --serve-mock to see the producer alone).
 *
 * Measurement modes (used by bench/run_producer.sh):
 *   bench_producer --serve-mock [--mock-brokers N] [-t topic] [--queues N]
 *       Runs a mock cluster in this process, prints "namesrv ADDR pid P"
 *       and serves until killed (SIGTERM; it also dies with its parent).
 *   --warmup S --result [--server-pid P]
 *       Sends for S seconds first, then measures -d seconds and prints one
 *       machine-readable "result" line: rate, RT, client CPU per message,
 *       server CPU per message (from /proc/P/stat) and the request and
 *       response bytes per message the server read and wrote
 *       (/proc/P/io: rchar, wchar), VmRSS, VmHWM and threads.
 *   --count N
 *       Fixed count for valgrind --tool=callgrind: N messages as warm-up,
 *       then N more bracketed by CALLGRIND_ZERO_STATS and
 *       CALLGRIND_DUMP_STATS_AT("measured"), which writes
 *       <callgrind.out>.1 whose "totals:" divided by N is the figure
 *       (instructions per sent message, every thread of the process).
 *   --quiet         no per-second lines.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <uv.h>

#include "bench_util.h"

enum { MODE_SYNC, MODE_ASYNC, MODE_ONEWAY };

typedef struct opts_s {
        const char *namesrv;
        const char *topic;
        const char *group;
        int threads;
        size_t body;
        int mode;
        int window;
        long count;    /* -c */
        double secs;   /* -d */
        double warmup; /* --warmup */
        long cg_count; /* --count */
        int brokers;
        int queues;
        int server_pid;
        bool serve_mock;
        bool result;
        bool quiet;
        bool reuse_msg;
} opts_t;

/* Counters shared by the sending threads and the callbacks. */
typedef struct stats_s {
        atomic_uint_fast64_t ok;        /* completed successfully */
        atomic_uint_fast64_t send_fail; /* the call returned an error */
        atomic_uint_fast64_t resp_fail; /* the callback got an error */
        atomic_uint_fast64_t rt_sum_ns; /* of the ok ones */
        atomic_uint_fast64_t rt_max_ns; /* since the last snapshot */
} stats_t;

typedef struct bench_s {
        opts_t o;
        rmq_producer_t *prod;
        uint8_t *body;
        stats_t st;
        /* Sends are claimed against a target (count modes) or until stop. */
        atomic_uint_fast64_t issued;
        atomic_uint_fast64_t done; /* ok + failures, async completions */
        atomic_uint_fast64_t target;
        atomic_bool stop;
        uv_mutex_t lock; /* phase changes and completion of a target */
        uv_cond_t cond;
        uint64_t t0_ns;
} bench_t;

/* rchar and wchar of another process (bytes read and written by its
 * system calls), or -1. */
static void other_io(int pid, long long *rchar, long long *wchar) {
        char path[64], line[128];
        FILE *f;
        *rchar = *wchar = -1;
        if (pid <= 0)
                return;
        snprintf(path, sizeof(path), "/proc/%d/io", pid);
        f = fopen(path, "r");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (!strncmp(line, "rchar:", 6))
                        *rchar = strtoll(line + 6, NULL, 10);
                else if (!strncmp(line, "wchar:", 6))
                        *wchar = strtoll(line + 6, NULL, 10);
        }
        fclose(f);
}

static void print_proc(const char *when) {
        bench_procstat_t ps;
        bench_proc_status(&ps);
        printf("process %s: VmRSS %ld kB, VmHWM %ld kB, Threads %ld\n", when,
               ps.rss_kb, ps.hwm_kb, ps.threads);
        fflush(stdout);
}

/* ---- counting ---- */

static void rt_record(stats_t *st, uint64_t rt) {
        uint_fast64_t m = atomic_load_explicit(&st->rt_max_ns,
                                               memory_order_relaxed);
        atomic_fetch_add_explicit(&st->rt_sum_ns, rt, memory_order_relaxed);
        while (rt > m && !atomic_compare_exchange_weak(&st->rt_max_ns, &m, rt))
                ;
}

/* One send is over (success or failure). */
static void finish_one(bench_t *b) {
        uint_fast64_t d = atomic_fetch_add(&b->done, 1) + 1;
        if (d == atomic_load(&b->target)) {
                uv_mutex_lock(&b->lock);
                uv_cond_broadcast(&b->cond);
                uv_mutex_unlock(&b->lock);
        }
}

/* Claims the next send; waits while a count phase is complete. False
 * once the benchmark stops. */
static bool claim(bench_t *b) {
        for (;;) {
                uint_fast64_t i = atomic_load(&b->issued);
                if (atomic_load(&b->stop))
                        return false;
                if (i < atomic_load(&b->target)) {
                        if (atomic_compare_exchange_weak(&b->issued, &i,
                                                         i + 1))
                                return true;
                        continue;
                }
                uv_mutex_lock(&b->lock);
                while (!atomic_load(&b->stop) &&
                       atomic_load(&b->issued) >= atomic_load(&b->target))
                        uv_cond_wait(&b->cond, &b->lock);
                uv_mutex_unlock(&b->lock);
        }
}

static rmq_message_t *make_msg(bench_t *b) {
        rmq_message_t *msg = rmq_message_new(b->o.topic);
        /* A view of the shared body: no copy, nothing to free. */
        rmq_message_set_body_ref(msg, b->body, b->o.body, NULL, NULL);
        return msg;
}

/* The async callbacks reach the benchmark through this (a program, not the
 * library: one benchmark per process); the opaque carries the send's start
 * time, so a send needs no allocation of ours. */
static bench_t *the_bench;

static void on_sent(rmq_producer_t *prod, rmq_err_t err, const char *errstr,
                    const rmq_send_result_t *res, void *opaque) {
        bench_t *b = the_bench;
        (void)prod;
        (void)res;
        if (err) {
                if (atomic_fetch_add(&b->st.resp_fail, 1) == 0)
                        bench_warn("send failed: %s: %s", rmq_err2name(err),
                                   errstr ? errstr : "");
        } else {
                rt_record(&b->st, bench_now_ns() - (uint64_t)(uintptr_t)opaque);
                atomic_fetch_add_explicit(&b->st.ok, 1, memory_order_relaxed);
        }
        finish_one(b);
}

static void sender(void *arg) {
        bench_t *b         = arg;
        rmq_message_t *msg = b->o.reuse_msg ? make_msg(b) : NULL;
        char errstr[512];
        while (claim(b)) {
                rmq_message_t *m = msg ? msg : make_msg(b);
                uint64_t t0      = bench_now_ns();
                rmq_err_t err;
                switch (b->o.mode) {
                case MODE_ASYNC:
                        err = rmq_producer_send_async(b->prod, m, on_sent,
                                                      (void *)(uintptr_t)t0);
                        if (err)
                                snprintf(errstr, sizeof(errstr), "%s",
                                         rmq_err2str(err));
                        break;
                case MODE_ONEWAY:
                        err = rmq_producer_send_oneway(b->prod, m, errstr,
                                                       sizeof(errstr));
                        break;
                default:
                        err = rmq_producer_send(b->prod, m, NULL, errstr,
                                                sizeof(errstr));
                        break;
                }
                if (err) {
                        if (atomic_fetch_add(&b->st.send_fail, 1) == 0)
                                bench_warn("send failed: %s: %s",
                                           rmq_err2name(err), errstr);
                        finish_one(b);
                } else if (b->o.mode != MODE_ASYNC) {
                        rt_record(&b->st, bench_now_ns() - t0);
                        atomic_fetch_add_explicit(&b->st.ok, 1,
                                                  memory_order_relaxed);
                        finish_one(b);
                }
                if (!msg)
                        rmq_message_destroy(m);
        }
        rmq_message_destroy(msg);
}

/* ---- snapshots ---- */

typedef struct snap_s {
        uint64_t t_ns;
        uint64_t ok, send_fail, resp_fail, rt_sum_ns;
        double cpu_s, srv_cpu_s;
        double user_s, sys_s; /* this process, getrusage */
        long long srv_rchar, srv_wchar;
} snap_t;

static void snap_take(bench_t *b, snap_t *s) {
        s->t_ns      = bench_now_ns();
        s->ok        = atomic_load(&b->st.ok);
        s->send_fail = atomic_load(&b->st.send_fail);
        s->resp_fail = atomic_load(&b->st.resp_fail);
        s->rt_sum_ns = atomic_load(&b->st.rt_sum_ns);
        s->cpu_s     = bench_proc_cpu_s();
        {
                struct rusage ru;
                getrusage(RUSAGE_SELF, &ru);
                s->user_s = bench_tv_s(ru.ru_utime);
                s->sys_s  = bench_tv_s(ru.ru_stime);
        }
        s->srv_cpu_s = bench_pid_cpu_s(b->o.server_pid);
        other_io(b->o.server_pid, &s->srv_rchar, &s->srv_wchar);
}

static void sleep_until_ns(uint64_t t) {
        for (;;) {
                uint64_t n = bench_now_ns();
                struct timespec ts;
                if (n >= t)
                        return;
                ts.tv_sec  = (time_t)((t - n) / 1000000000u);
                ts.tv_nsec = (long)((t - n) % 1000000000u);
                nanosleep(&ts, NULL);
        }
}

static void print_second(bench_t *b, const snap_t *a, const snap_t *z) {
        uint64_t n      = z->ok - a->ok;
        double secs     = (double)(z->t_ns - a->t_ns) / 1e9;
        uint64_t max_ns = atomic_exchange(&b->st.rt_max_ns, 0);
        printf("Current Time: %.3f s Send TPS: %.0f Max RT(ms): %.3f Average "
               "RT(ms): %7.3f Send Failed: %" PRIu64 " Response Failed: %" PRIu64
               "\n",
               (double)(z->t_ns - b->t0_ns) / 1e9, (double)n / secs,
               (double)max_ns / 1e6,
               n ? (double)(z->rt_sum_ns - a->rt_sum_ns) / (double)n / 1e6 : 0,
               z->send_fail, z->resp_fail);
        fflush(stdout);
}

/* Waits until every claimed send has completed. */
static void drain(bench_t *b) {
        while (atomic_load(&b->done) < atomic_load(&b->issued))
                uv_sleep(1);
}

static void set_target(bench_t *b, uint64_t t) {
        uv_mutex_lock(&b->lock);
        atomic_store(&b->target, t);
        uv_cond_broadcast(&b->cond);
        uv_mutex_unlock(&b->lock);
}

static void wait_done(bench_t *b, uint64_t n) {
        uv_mutex_lock(&b->lock);
        while (atomic_load(&b->done) < n)
                uv_cond_wait(&b->cond, &b->lock);
        uv_mutex_unlock(&b->lock);
}

static void stop_senders(bench_t *b) {
        uv_mutex_lock(&b->lock);
        atomic_store(&b->stop, true);
        uv_cond_broadcast(&b->cond);
        uv_mutex_unlock(&b->lock);
}

static const char *mode_name(int mode) {
        return mode == MODE_ASYNC ? "async" : mode == MODE_ONEWAY ? "oneway"
                                                                  : "sync";
}

/* --count: N warm-up messages, then N measured ones for callgrind. */
static void run_count(bench_t *b) {
        uint64_t n = (uint64_t)b->o.cg_count;
        snap_t a, z;
        set_target(b, n);
        wait_done(b, n);
        drain(b);
        CALLGRIND_ZERO_STATS;
        snap_take(b, &a);
        set_target(b, 2 * n);
        wait_done(b, 2 * n);
        drain(b);
        CALLGRIND_DUMP_STATS_AT("measured");
        snap_take(b, &z);
        printf("count %s body=%zu threads=%d: %" PRIu64 " messages in %.3f s, "
               "%.0f msgs/s, client cpu %.2f us/msg, failures %" PRIu64 "\n",
               mode_name(b->o.mode), b->o.body, b->o.threads, n,
               (double)(z.t_ns - a.t_ns) / 1e9,
               (double)n / ((double)(z.t_ns - a.t_ns) / 1e9),
               (z.cpu_s - a.cpu_s) * 1e6 / (double)n,
               (z.send_fail - a.send_fail) + (z.resp_fail - a.resp_fail));
}

/* -c / -d with a line per second, and --warmup/--result. */
static void run_timed(bench_t *b) {
        const opts_t *o = &b->o;
        snap_t first, prev, cur, w0;
        uint64_t end_ns, measure_from;
        bool have_w0 = false;
        uint64_t max_ns = 0;
        bench_procstat_t ps;
        set_target(b, o->count > 0 ? (uint64_t)o->count : UINT64_MAX);
        snap_take(b, &first);
        prev         = first;
        w0           = first;
        measure_from = first.t_ns + (uint64_t)(o->warmup * 1e9);
        end_ns       = o->secs > 0 ? measure_from + (uint64_t)(o->secs * 1e9)
                                   : UINT64_MAX;
        if (o->warmup <= 0)
                have_w0 = true;
        for (;;) {
                uint64_t next = prev.t_ns + 1000000000u;
                bool last;
                if (!have_w0 && next > measure_from)
                        next = measure_from;
                if (next > end_ns)
                        next = end_ns;
                if (o->count > 0) {
                        /* finish_one() signals when the count is reached */
                        uv_mutex_lock(&b->lock);
                        while (atomic_load(&b->done) < (uint64_t)o->count) {
                                uint64_t n = bench_now_ns();
                                if (n >= next)
                                        break;
                                uv_cond_timedwait(&b->cond, &b->lock,
                                                  next - n);
                        }
                        uv_mutex_unlock(&b->lock);
                } else {
                        sleep_until_ns(next);
                }
                snap_take(b, &cur);
                last = cur.t_ns >= end_ns ||
                       (o->count > 0 && cur.ok + cur.send_fail +
                                                cur.resp_fail >=
                                            (uint64_t)o->count);
                if (!have_w0 && cur.t_ns >= measure_from) {
                        /* The measured window starts here. */
                        w0      = cur;
                        have_w0 = true;
                        atomic_store(&b->st.rt_max_ns, 0);
                        prev = cur;
                        continue;
                }
                if (have_w0) {
                        uint64_t m = atomic_load(&b->st.rt_max_ns);
                        if (m > max_ns)
                                max_ns = m;
                }
                if (!o->quiet && cur.t_ns - prev.t_ns >= 500000000u)
                        print_second(b, &prev, &cur);
                else if (o->quiet)
                        atomic_store(&b->st.rt_max_ns, 0);
                prev = cur;
                if (last)
                        break;
        }
        stop_senders(b);
        {
                uint64_t n   = cur.ok - w0.ok;
                double secs  = (double)(cur.t_ns - w0.t_ns) / 1e9;
                uint64_t fl  = (cur.send_fail - w0.send_fail) +
                               (cur.resp_fail - w0.resp_fail);
                double avg   = n ? (double)(cur.rt_sum_ns - w0.rt_sum_ns) /
                                     (double)n / 1e6
                                 : 0;
                double rate  = (double)n / secs;
                double cli   = bench_per(cur.cpu_s - w0.cpu_s, 1e6, n);
                double srv =
                    bench_delta_per(w0.srv_cpu_s, cur.srv_cpu_s, 1e6, n);
                double rq = bench_delta_per((double)w0.srv_rchar,
                                            (double)cur.srv_rchar, 1, n);
                double rs = bench_delta_per((double)w0.srv_wchar,
                                            (double)cur.srv_wchar, 1, n);
                bench_proc_status(&ps);
                printf("[Complete] %s body=%zu threads=%d: Send Total: "
                       "%" PRIu64 " in %.2f s, Send TPS: %.0f, Max RT(ms): "
                       "%.3f, Average RT(ms): %.3f, Failed: %" PRIu64 "\n",
                       mode_name(o->mode), o->body, o->threads, n, secs, rate,
                       (double)max_ns / 1e6, avg, fl);
                if (o->result)
                        printf("result mode=%s body=%zu threads=%d window=%d "
                               "msgs=%" PRIu64 " secs=%.3f rate=%.0f "
                               "avg_rt_ms=%.4f max_rt_ms=%.3f failures=%" PRIu64
                               " client_cpu_us_per_msg=%.3f "
                               "client_user_us_per_msg=%.3f "
                               "client_sys_us_per_msg=%.3f "
                               "server_cpu_us_per_msg=%.3f "
                               "req_bytes_per_msg=%.1f resp_bytes_per_msg=%.1f "
                               "vm_rss_kb=%ld vm_hwm_kb=%ld threads_now=%ld\n",
                               mode_name(o->mode), o->body, o->threads,
                               o->mode == MODE_ASYNC ? o->window : 0, n, secs,
                               rate, avg, (double)max_ns / 1e6, fl, cli,
                               bench_per(cur.user_s - w0.user_s, 1e6, n),
                               bench_per(cur.sys_s - w0.sys_s, 1e6, n), srv, rq,
                               rs, ps.rss_kb, ps.hwm_kb, ps.threads);
                fflush(stdout);
        }
}

/* ---- the mock in its own process ---- */

static void serve_mock(const opts_t *o) {
        bench_die_with_parent(); /* die with the driver */
        bench_mock_serve(bench_mock_new(o->brokers, o->topic, o->queues));
}

/* ---- main ---- */

static void usage(int code) {
        fprintf(stderr,
                "usage: bench_producer [-n namesrv] [-t topic] [-g group] "
                "[-w threads] [-s size]\n"
                "                      [-a [--window N]] [-o] [-c count | -d "
                "seconds] [--reuse-msg]\n"
                "                      [--mock-brokers N] [--queues N] "
                "[--quiet]\n"
                "                      [--warmup S --result [--server-pid P]] "
                "[--count N]\n"
                "       bench_producer --serve-mock [--mock-brokers N] [-t "
                "topic] [--queues N]\n");
        exit(code);
}

static void parse(int argc, char **argv, opts_t *o) {
        const bench_opt_t opts[] = {
            BENCH_SET("-a", &o->mode, MODE_ASYNC),
            BENCH_SET("-o", &o->mode, MODE_ONEWAY),
            BENCH_FLAG("--serve-mock", &o->serve_mock),
            BENCH_FLAG("--result", &o->result),
            BENCH_FLAG("--quiet", &o->quiet),
            BENCH_FLAG("--reuse-msg", &o->reuse_msg),
            BENCH_STR("-n", &o->namesrv),
            BENCH_STR("-t", &o->topic),
            BENCH_STR("-g", &o->group),
            BENCH_INT("-w", &o->threads),
            BENCH_SIZE("-s", &o->body),
            BENCH_INT("--window", &o->window),
            BENCH_LONG("-c", &o->count),
            BENCH_DBL("-d", &o->secs),
            BENCH_DBL("--warmup", &o->warmup),
            BENCH_LONG("--count", &o->cg_count),
            BENCH_INT("--mock-brokers", &o->brokers),
            BENCH_INT("--queues", &o->queues),
            BENCH_INT("--server-pid", &o->server_pid),
            BENCH_OPTS_END,
        };
        memset(o, 0, sizeof(*o));
        o->topic   = "BenchmarkTest";
        o->group   = "benchmark_producer";
        o->threads = -1;
        o->body    = 128;
        o->window  = 1000;
        o->secs    = -1;
        o->brokers = 1;
        o->queues  = 4;
        bench_opts_parse(opts, argc, argv, 1, usage);
        if (o->threads < 0)
                o->threads = o->mode == MODE_ASYNC ? 1 : 4;
        if (o->threads < 1 || o->window < 1 || o->body < 1 || o->queues < 1)
                bench_die("threads, window, size and queues must be >= 1");
        if (o->secs < 0)
                o->secs = o->count > 0 || o->cg_count > 0 ? 0 : 10;
}

int main(int argc, char **argv) {
        bench_t *b = calloc(1, sizeof(*b));
        rmq_mock_cluster_t *mc = NULL;
        uv_thread_t *tids;
        rmq_conf_t *conf;
        char errstr[512], num[32];
        uint64_t failed;
        int t;

        bench_prog = "bench_producer";
        parse(argc, argv, &b->o);
        signal(SIGPIPE, SIG_IGN);
        if (b->o.serve_mock)
                serve_mock(&b->o);
        the_bench = b;
        uv_mutex_init(&b->lock);
        uv_cond_init(&b->cond);
        b->body = bench_body_new(b->o.body);

        if (!b->o.namesrv) {
                mc = bench_mock_new(b->o.brokers, b->o.topic, b->o.queues);
                b->o.namesrv = rmq_mock_cluster_namesrv_addr(mc);
        }
        conf = rmq_conf_new();
        bench_conf_set(conf, "namesrvAddr", b->o.namesrv);
        bench_conf_set(conf, "producerGroup", b->o.group);
        if (b->o.mode == MODE_ASYNC) {
                snprintf(num, sizeof(num), "%d", b->o.window);
                bench_conf_set(conf, "backPressureForAsyncSendNum", num);
                bench_conf_set(conf, "enableBackpressureForAsyncMode", "true");
        }
        if (rmq_producer_new(&b->prod, conf, errstr, sizeof(errstr)) ||
            rmq_producer_start(b->prod, errstr, sizeof(errstr)))
                bench_die("cannot start the producer: %s", errstr);
        rmq_conf_destroy(conf);
        printf("bench_producer %s: namesrv %s%s, topic %s, body %zu B, "
               "%d thread%s",
               mode_name(b->o.mode), b->o.namesrv,
               mc ? " (in-process mock)" : "", b->o.topic, b->o.body,
               b->o.threads, b->o.threads == 1 ? "" : "s");
        if (b->o.mode == MODE_ASYNC)
                printf(", window (backPressureForAsyncSendNum) %d",
                       b->o.window);
        printf("%s\n", b->o.reuse_msg ? ", one message reused" : "");
        print_proc("after start");

        b->t0_ns = bench_now_ns();
        tids     = calloc((size_t)b->o.threads, sizeof(*tids));
        for (t = 0; t < b->o.threads; t++)
                if (uv_thread_create(&tids[t], sender, b))
                        bench_die("cannot start thread %d", t);
        if (b->o.cg_count > 0)
                run_count(b);
        else
                run_timed(b);
        stop_senders(b);
        for (t = 0; t < b->o.threads; t++)
                uv_thread_join(&tids[t]);
        drain(b);
        print_proc("at the end");
        failed = atomic_load(&b->st.send_fail) + atomic_load(&b->st.resp_fail);
        rmq_producer_destroy(b->prod);
        rmq_mock_cluster_destroy(mc);
        uv_cond_destroy(&b->cond);
        uv_mutex_destroy(&b->lock);
        free(tids);
        free(b->body);
        free(b);
        return failed ? 1 : 0; /* the smoke tests fail on any failure */
}
