/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transport benchmark: our remoting transport (rmq_remoting, client and
 * server mode) against the raw limit of libuv on loopback, with the same
 * framing and the same bytes.
 *
 * Frames: a SEND_MESSAGE_V2 request (code 310, the compact a..n header of
 * fixture 005, a body of --body bytes) answered by a SEND_MESSAGE_V2-style
 * response (code 0, the ext fields of fixture 007, no body). The reference
 * sends the bytes our encoder produces for those commands.
 *
 * Implementations ("impl"):
 *   server ref       bare libuv, one thread: parses the 4-byte length prefix
 *                    and writes the pre-encoded response per request (one
 *                    writev per read callback).
 *   server rmq       rmq_remoting in server mode, processor on the loop
 *                    (like the mock broker): decodes, builds and encodes a
 *                    response per request.
 *   client ref       bare libuv, one thread: writes the pre-encoded request
 *                    W times, counts response frames by length prefix and
 *                    writes one request per response (one writev per read
 *                    callback). W=1 is the single-thread ping-pong.
 *   client ref-hop   ping-pong where an application thread hands each
 *                    request to the loop thread with uv_async_send and waits
 *                    on a condition variable (the minimum cost of our
 *                    thread hop).
 *   client rmq       rmq__remoting_invoke_async, callbacks on a pool of one
 *                    thread; each callback issues the next request
 *                    (pipelined) -- or rmq__remoting_invoke_sync from the
 *                    main thread (sync).
 *   client rmq-loop  the same with RMQ_INVOKE_F_ON_LOOP.
 *
 * Modes:
 *   bench_transport server --impl ref|rmq [--port N] [--ser json|rocketmq]
 *       Prints "port N pid P" and serves until killed (SIGTERM; it also
 *       dies with its parent).
 *   bench_transport client --impl I --port N --case pipelined|sync ...
 *       One measurement in this process; prints one "result" line.
 *   bench_transport compare --ref-port N --rmq-port M --case C --impls
 *       ref,rmq,rmq-loop --rounds 5 ...
 *       Runs the impls alternately (ref, cand, ref, cand, ...), each run in
 *       a fresh forked child (so RSS is per run), and prints medians and
 *       candidate/reference ratios.
 *
 * Common options: --w N (requests in flight), --body N (bytes), --secs S
 * (measured window), --warmup S, --count N (instead of a time window: run N
 * requests after N warm-up requests; the measured part is bracketed with
 * CALLGRIND_ZERO_STATS / CALLGRIND_DUMP_STATS_AT for instructions/request),
 * --ser json|rocketmq, --fresh-cmd (build a new request command per request
 * instead of re-using one with a fresh opaque), --label TEXT, --ref-pid P
 * --rmq-pid P (server pids, for server CPU time per request), --req-bytes N
 * and --resp-bytes N (reference client and server: frames of exactly N
 * bytes, as bench/run_producer.sh uses to match the producer's frames).
 *
 * TLS: with RMQ_BENCH_TLS_DIR set to a directory written by
 * rmq_mock_tls_generate (e.g. `rmq-mock-cluster --tls-selfsigned DIR`),
 * the rmq server serves TLS with DIR/server.pem and the rmq clients
 * verify it against DIR/ca.pem (the reference impls stay plain).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "bench_util.h"

#include "common/rmq_io.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "remoting/rmq_remoting.h"

#define READ_SIZE       (64 * 1024)
#define INVOKE_TIMEOUT  60000
#define MAX_IMPLS       4
#define MAX_ROUNDS      64

static rmq_logger_t quiet = {rmq__log_stderr_cb, NULL, 3, 0, "bench", 0};

/* ---- options ---- */

typedef struct opts_s {
        const char *mode;
        const char *impl;
        const char *impls;
        const char *label;
        int pipelined; /* --case: 1 pipelined, 0 sync */
        int w;
        size_t body;
        double secs;
        double warmup;
        long count;
        int rounds;
        int port;
        int ref_port;
        int rmq_port;
        int ref_pid;
        int rmq_pid;
        int srv_pid; /* of the server this client talks to */
        int ser;
        bool fresh_cmd;
        long req_bytes;  /* reference frames: exact request size */
        long resp_bytes; /* reference frames: exact response size */
} opts_t;

/* What a child reports to the compare parent. */
typedef struct result_s {
        int ok;
        uint64_t reqs;      /* completed in the window */
        uint64_t errors;
        double secs;        /* window */
        double cli_cpu_s;   /* this process, in the window */
        double srv_cpu_s;   /* the server process, in the window; <0 unknown */
        long hwm_kb;        /* VmHWM at the end of the window */
} result_t;

/* Window bookkeeping shared by every client. */
typedef struct window_s {
        double t0, c0, s0;
        uint64_t n0;
} window_t;

static void window_open(window_t *win, const opts_t *o, uint64_t done) {
        win->n0 = done;
        win->c0 = bench_proc_cpu_s();
        win->s0 = bench_pid_cpu_s(o->srv_pid);
        win->t0 = bench_now_s();
}

static void window_close(const window_t *win, const opts_t *o, uint64_t done,
                         result_t *res) {
        double s1 = bench_pid_cpu_s(o->srv_pid);
        bench_procstat_t ps;
        res->secs      = bench_now_s() - win->t0;
        res->reqs      = done - win->n0;
        res->cli_cpu_s = bench_proc_cpu_s() - win->c0;
        res->srv_cpu_s = s1 >= 0 && win->s0 >= 0 ? s1 - win->s0 : -1;
        bench_proc_status(&ps);
        res->hwm_kb = ps.hwm_kb;
        res->ok     = 1;
}

/* Server CPU us per request, or -1 if unknown. */
static double srv_us_per_req(const result_t *res) {
        return res->srv_cpu_s < 0 ? -1
                                  : bench_per(res->srv_cpu_s, 1e6, res->reqs);
}

/* One request at a time through \p one: --count N warm-up requests, then N
 * measured ones for callgrind; or --warmup seconds, then --secs measured. */
static void run_serial(const opts_t *o, void (*one)(void *arg), void *arg,
                       result_t *res) {
        window_t win;
        uint64_t done = 0;
        double end;
        if (o->count > 0) {
                long i;
                for (i = 0; i < o->count; i++)
                        one(arg);
                CALLGRIND_ZERO_STATS;
                window_open(&win, o, 0);
                for (i = 0; i < o->count; i++)
                        one(arg);
                CALLGRIND_DUMP_STATS_AT("measured");
                window_close(&win, o, (uint64_t)o->count, res);
        } else {
                end = bench_now_s() + o->warmup;
                while (bench_now_s() < end)
                        one(arg);
                window_open(&win, o, 0);
                end = win.t0 + o->secs;
                do {
                        one(arg);
                        done++;
                } while (bench_now_s() < end);
                window_close(&win, o, done, res);
        }
}

/* ---- the frames ---- */

static uint8_t *body_buf;

static rmq_cmd_t *build_request(const opts_t *o) {
        rmq_cmd_t *cmd = rmq__cmd_new_request(RMQ_REQ_SEND_MESSAGE_V2);
        static const char props[] =
            "UNIQ_KEY\001FD000000000000000000000000000002400230946E097EB94C52"
            "0000\002WAIT\001true\002TAGS\001TagA";
        cmd->serialize_type = o->ser;
        /* SendMessageRequestHeaderV2 as fixture 005 has it. */
        rmq__cmd_ext_append(cmd, "a", "PG_DEMO", 7);
        rmq__cmd_ext_append(cmd, "b", "TopicTest", 9);
        rmq__cmd_ext_append(cmd, "c", "TBW102", 6);
        rmq__cmd_ext_append(cmd, "d", "4", 1);
        rmq__cmd_ext_append(cmd, "e", "0", 1);
        rmq__cmd_ext_append(cmd, "f", "0", 1);
        rmq__cmd_ext_append(cmd, "g", "1795617272914", 13);
        rmq__cmd_ext_append(cmd, "h", "0", 1);
        rmq__cmd_ext_append(cmd, "i", props, sizeof(props) - 1);
        rmq__cmd_ext_append(cmd, "j", "0", 1);
        rmq__cmd_ext_append(cmd, "k", "false", 5);
        rmq__cmd_ext_append(cmd, "m", "false", 5);
        rmq__cmd_ext_append(cmd, "n", "broker-a", 8);
        rmq__cmd_set_body_ref(cmd, body_buf, o->body);
        return cmd;
}

static rmq_cmd_t *build_response(void) {
        rmq_cmd_t *resp = rmq__cmd_new_response(RMQ_OK, NULL);
        /* The ext fields of fixture 007, in its order. */
        rmq__cmd_ext_append(resp, "queueId", "0", 1);
        rmq__cmd_ext_append(resp, "TRACE_ON", "true", 4);
        rmq__cmd_ext_append(resp, "MSG_REGION", "DefaultRegion", 13);
        rmq__cmd_ext_append(resp, "msgId",
                            "7F00000100002A9F0000000000000000", 32);
        rmq__cmd_ext_append(resp, "queueOffset", "0", 1);
        return resp;
}

/* Pre-encoded frames for the reference. The opaque is a typical 6-digit
 * one so the length matches what the transport sends. */
static uint8_t *encode_fixed(rmq_cmd_t *cmd, size_t *lenp) {
        rmq_buf_t b = RMQ_BUF_INIT;
        cmd->opaque = 123456;
        rmq__cmd_encode(cmd, &b);
        rmq__cmd_destroy(cmd);
        return rmq__buf_steal(&b, lenp);
}

/* --req-bytes N: the reference sends N-byte request frames (the body is
 * resized), e.g. the size bench_producer measured for the producer's
 * requests. The reference only counts frames by length prefix, so only
 * the size matters. */
static uint8_t *ref_request_frame(const opts_t *o, size_t *lenp) {
        uint8_t *f = encode_fixed(build_request(o), lenp);
        opts_t oo  = *o;
        long delta = o->req_bytes - (long)*lenp;
        if (o->req_bytes <= 0 || delta == 0)
                return f;
        if ((long)o->body + delta < 0)
                bench_die("--req-bytes %ld is below the header size",
                          o->req_bytes);
        rmq__free(f);
        oo.body = (size_t)((long)o->body + delta);
        if (oo.body > o->body) {
                body_buf = realloc(body_buf, oo.body);
                memset(body_buf + o->body, 'x', oo.body - o->body);
        }
        return encode_fixed(build_request(&oo), lenp);
}

/* --resp-bytes N: N-byte response frames (a body pads the frame). */
static uint8_t *ref_response_frame(const opts_t *o, size_t *lenp) {
        rmq_cmd_t *resp      = build_response();
        static uint8_t pad[4096];
        uint8_t *f;
        resp->serialize_type = o->ser;
        if (o->resp_bytes <= 0)
                return encode_fixed(resp, lenp);
        f = encode_fixed(resp, lenp);
        if (o->resp_bytes == (long)*lenp)
                return f;
        if (o->resp_bytes < (long)*lenp ||
            o->resp_bytes - (long)*lenp > (long)sizeof(pad))
                bench_die("--resp-bytes %ld: the header alone takes %zu bytes",
                          o->resp_bytes, *lenp);
        rmq__free(f);
        resp                 = build_response();
        resp->serialize_type = o->ser;
        rmq__cmd_set_body_ref(resp, pad, (size_t)o->resp_bytes - *lenp);
        return encode_fixed(resp, lenp);
}

/* ---- the reference: bare libuv ---- */

/* Counts complete frames by their length prefix. */
typedef struct fparse_s {
        uint8_t len[4];
        unsigned have;
        uint32_t left;
} fparse_t;

static size_t fparse_feed(fparse_t *p, const uint8_t *d, size_t n) {
        size_t frames = 0;
        while (n) {
                size_t k;
                if (p->have < 4) {
                        p->len[p->have++] = *d++;
                        n--;
                        if (p->have == 4) {
                                p->left = rmq__be32_read(p->len);
                                if (!p->left) {
                                        frames++;
                                        p->have = 0;
                                }
                        }
                        continue;
                }
                k = RMQ_MIN(n, (size_t)p->left);
                d += k;
                n -= k;
                p->left -= (uint32_t)k;
                if (!p->left) {
                        frames++;
                        p->have = 0;
                }
        }
        return frames;
}

typedef struct wreq_s {
        uv_write_t w;
        uv_buf_t bufs[];
} wreq_t;

static void wreq_done(uv_write_t *w, int status) {
        if (status < 0 && status != UV_ECANCELED)
                bench_warn("write: %s", uv_strerror(status));
        free(w);
}

/* One writev of \p n copies of \p frame. */
static int write_copies(uv_stream_t *s, const uint8_t *frame, size_t len,
                        size_t n) {
        wreq_t *wr = malloc(sizeof(*wr) + n * sizeof(uv_buf_t));
        size_t i;
        int r;
        for (i = 0; i < n; i++)
                wr->bufs[i] = uv_buf_init((char *)frame, (unsigned)len);
        r = uv_write(&wr->w, s, wr->bufs, (unsigned)n, wreq_done);
        if (r)
                free(wr);
        return r;
}

static void ref_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
        static char rbuf[READ_SIZE]; /* one loop thread per process */
        (void)h;
        (void)suggested;
        *buf = uv_buf_init(rbuf, sizeof(rbuf));
}

/* ---- reference server ---- */

typedef struct ref_conn_s {
        uv_tcp_t tcp;
        fparse_t fp;
} ref_conn_t;

static uint8_t *srv_resp;
static size_t srv_resp_len;

static void ref_conn_closed(uv_handle_t *h) {
        free(h->data);
}

static void ref_srv_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
        ref_conn_t *c = s->data;
        size_t frames;
        if (nread < 0) {
                uv_close((uv_handle_t *)s, ref_conn_closed);
                return;
        }
        frames = fparse_feed(&c->fp, (const uint8_t *)buf->base,
                             (size_t)nread);
        if (frames && write_copies(s, srv_resp, srv_resp_len, frames))
                uv_close((uv_handle_t *)s, ref_conn_closed);
}

static void ref_on_conn(uv_stream_t *server, int status) {
        ref_conn_t *c;
        if (status < 0)
                return;
        c = calloc(1, sizeof(*c));
        uv_tcp_init(server->loop, &c->tcp);
        c->tcp.data = c;
        if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
                uv_close((uv_handle_t *)&c->tcp, ref_conn_closed);
                return;
        }
        uv_tcp_nodelay(&c->tcp, 1);
        uv_read_start((uv_stream_t *)&c->tcp, ref_alloc, ref_srv_read);
}

static void serve_ref(const opts_t *o) {
        uv_loop_t loop;
        uv_tcp_t l;
        struct sockaddr_in sa;
        struct sockaddr_storage ss;
        int namelen = sizeof(ss);
        srv_resp = ref_response_frame(o, &srv_resp_len);
        uv_loop_init(&loop);
        uv_tcp_init(&loop, &l);
        uv_ip4_addr("127.0.0.1", o->port, &sa);
        if (uv_tcp_bind(&l, (struct sockaddr *)&sa, 0) ||
            uv_listen((uv_stream_t *)&l, 128, ref_on_conn))
                bench_die("cannot listen on port %d", o->port);
        uv_tcp_getsockname(&l, (struct sockaddr *)&ss, &namelen);
        printf("port %d pid %d\n", ntohs(((struct sockaddr_in *)&ss)->sin_port),
               (int)getpid());
        fflush(stdout);
        uv_run(&loop, UV_RUN_DEFAULT);
}

/* ---- our server ---- */

static void rmq_srv_proc(rmq_remoting_t *rm, rmq_channel_t *ch,
                         rmq_cmd_t *req, void *opaque) {
        (void)opaque;
        rmq__remoting_reply(rm, ch, req, build_response());
        rmq__cmd_destroy(req);
}

/* RMQ_BENCH_TLS_DIR/<file>, or NULL when the variable is not set. */
static const char *tls_file(const char *file, char *buf, size_t size) {
        const char *dir = getenv("RMQ_BENCH_TLS_DIR");
        if (!dir || !*dir)
                return NULL;
        snprintf(buf, size, "%s/%s", dir, file);
        return buf;
}

static void serve_rmq(const opts_t *o) {
        rmq_remoting_conf_t rc;
        rmq_io_t *io;
        rmq_remoting_t *rm;
        int port = 0;
        rmq__remoting_conf_defaults(&rc);
        io = rmq__io_new("bench-srv", &quiet);
        rm = rmq__remoting_new(io, &rc, NULL, &quiet);
        rmq__remoting_register_processor(rm, RMQ_REQ_SEND_MESSAGE_V2,
                                         rmq_srv_proc, NULL, true);
        rmq__remoting_register_processor(rm, -1, rmq_srv_proc, NULL, true);
        {
                char cert[512], key[512], err[512];
                rmq_tls_conf_t tc;
                memset(&tc, 0, sizeof(tc));
                tc.cert_file = tls_file("server.pem", cert, sizeof(cert));
                tc.key_file  = tls_file("server.key", key, sizeof(key));
                tc.enabled   = tc.cert_file != NULL;
                if (tc.enabled &&
                    rmq__remoting_set_tls_server(rm, &tc, err, sizeof(err)))
                        bench_die("TLS: %s", err);
        }
        if (rmq__remoting_listen(rm, "127.0.0.1", o->port, &port))
                bench_die("cannot listen on port %d", o->port);
        printf("port %d pid %d\n", port, (int)getpid());
        fflush(stdout);
        for (;;)
                pause(); /* SIGTERM ends the process */
}

/* ---- reference client (one loop thread; W = 1 is ping-pong) ---- */

typedef struct ref_cli_s {
        const opts_t *o;
        uv_loop_t loop;
        uv_tcp_t tcp;
        uv_connect_t creq;
        uv_timer_t timer;
        fparse_t fp;
        uint8_t *req;
        size_t req_len;
        uint64_t issued, done, target;
        bool stopping;
        int phase;
        window_t win;
        result_t *res;
} ref_cli_t;

static void ref_cli_issue(ref_cli_t *c, uint64_t n) {
        if (c->stopping || c->issued >= c->target)
                return;
        n = RMQ_MIN(n, c->target - c->issued);
        if (!n)
                return;
        if (write_copies((uv_stream_t *)&c->tcp, c->req, c->req_len, n))
                bench_die("write failed");
        c->issued += n;
}

static void ref_cli_finish(ref_cli_t *c) {
        uv_close((uv_handle_t *)&c->tcp, NULL);
        uv_close((uv_handle_t *)&c->timer, NULL);
}

/* Count mode: phase 0 warms up with --count requests, phase 1 measures
 * --count requests. */
static void ref_cli_phase_done(ref_cli_t *c) {
        const opts_t *o = c->o;
        if (c->phase == 0) {
                c->phase = 1;
                CALLGRIND_ZERO_STATS;
                window_open(&c->win, o, c->done);
                c->target = c->done + (uint64_t)o->count;
                ref_cli_issue(c, (uint64_t)o->w);
                return;
        }
        CALLGRIND_DUMP_STATS_AT("measured");
        window_close(&c->win, o, c->done, c->res);
        ref_cli_finish(c);
}

static void ref_cli_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
        ref_cli_t *c = s->data;
        size_t frames;
        if (nread < 0)
                bench_die("reference client read: %s", uv_strerror((int)nread));
        frames = fparse_feed(&c->fp, (const uint8_t *)buf->base,
                             (size_t)nread);
        if (!frames)
                return;
        c->done += frames;
        ref_cli_issue(c, frames);
        if (c->o->count > 0) {
                if (c->done == c->target)
                        ref_cli_phase_done(c);
        } else if (c->stopping && c->done == c->issued) {
                ref_cli_finish(c);
        }
}

static void ref_cli_timer(uv_timer_t *t) {
        ref_cli_t *c = t->data;
        if (c->phase == 0) {
                c->phase = 1;
                window_open(&c->win, c->o, c->done);
                uv_timer_start(&c->timer, ref_cli_timer,
                               (uint64_t)(c->o->secs * 1000), 0);
                return;
        }
        window_close(&c->win, c->o, c->done, c->res);
        c->stopping = true;
        if (c->done == c->issued)
                ref_cli_finish(c);
}

static void ref_cli_connected(uv_connect_t *cr, int status) {
        ref_cli_t *c = cr->data;
        if (status < 0)
                bench_die("connect: %s", uv_strerror(status));
        uv_tcp_nodelay(&c->tcp, 1);
        uv_read_start((uv_stream_t *)&c->tcp, ref_alloc, ref_cli_read);
        if (c->o->count > 0) {
                c->target = (uint64_t)c->o->count;
        } else {
                c->target = UINT64_MAX;
                uv_timer_start(&c->timer, ref_cli_timer,
                               (uint64_t)(c->o->warmup * 1000), 0);
        }
        ref_cli_issue(c, (uint64_t)c->o->w);
}

static void run_ref_client(const opts_t *o, int w, result_t *res) {
        ref_cli_t c;
        struct sockaddr_in sa;
        opts_t oo = *o;
        memset(&c, 0, sizeof(c));
        oo.w  = w;
        c.o   = &oo;
        c.res = res;
        c.req = ref_request_frame(o, &c.req_len);
        uv_loop_init(&c.loop);
        uv_tcp_init(&c.loop, &c.tcp);
        uv_timer_init(&c.loop, &c.timer);
        c.tcp.data   = &c;
        c.timer.data = &c;
        c.creq.data  = &c;
        uv_ip4_addr("127.0.0.1", o->port, &sa);
        uv_tcp_connect(&c.creq, &c.tcp, (struct sockaddr *)&sa,
                       ref_cli_connected);
        uv_run(&c.loop, UV_RUN_DEFAULT);
        uv_loop_close(&c.loop);
        rmq__free(c.req);
}

/* ---- reference ping-pong with a thread hop ---- */

typedef struct hop_s {
        const opts_t *o;
        uv_loop_t loop;
        uv_tcp_t tcp;
        uv_connect_t creq;
        uv_async_t async;
        uv_thread_t tid;
        fparse_t fp;
        uint8_t *req;
        size_t req_len;
        uv_mutex_t lock;
        uv_cond_t cond;
        bool got; /* response arrived (loop -> app) */
        bool stop; /* app -> loop */
} hop_t;

static void hop_async(uv_async_t *a) {
        hop_t *h = a->data;
        bool stop;
        uv_mutex_lock(&h->lock);
        stop = h->stop;
        uv_mutex_unlock(&h->lock);
        if (stop) {
                uv_close((uv_handle_t *)&h->tcp, NULL);
                uv_close((uv_handle_t *)&h->async, NULL);
                return;
        }
        if (write_copies((uv_stream_t *)&h->tcp, h->req, h->req_len, 1))
                bench_die("write failed");
}

static void hop_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
        hop_t *h = s->data;
        if (nread < 0)
                bench_die("ref-hop read: %s", uv_strerror((int)nread));
        if (fparse_feed(&h->fp, (const uint8_t *)buf->base, (size_t)nread)) {
                uv_mutex_lock(&h->lock);
                h->got = true;
                uv_cond_signal(&h->cond);
                uv_mutex_unlock(&h->lock);
        }
}

static void hop_connected(uv_connect_t *cr, int status) {
        hop_t *h = cr->data;
        if (status < 0)
                bench_die("connect: %s", uv_strerror(status));
        uv_tcp_nodelay(&h->tcp, 1);
        uv_read_start((uv_stream_t *)&h->tcp, ref_alloc, hop_read);
}

static void hop_thread(void *arg) {
        hop_t *h = arg;
        uv_run(&h->loop, UV_RUN_DEFAULT);
}

static void hop_ping(void *arg) {
        hop_t *h = arg;
        uv_async_send(&h->async);
        uv_mutex_lock(&h->lock);
        while (!h->got)
                uv_cond_wait(&h->cond, &h->lock);
        h->got = false;
        uv_mutex_unlock(&h->lock);
}

static void run_ref_hop_client(const opts_t *o, result_t *res) {
        hop_t h;
        struct sockaddr_in sa;
        memset(&h, 0, sizeof(h));
        h.o   = o;
        h.req = ref_request_frame(o, &h.req_len);
        uv_mutex_init(&h.lock);
        uv_cond_init(&h.cond);
        uv_loop_init(&h.loop);
        uv_tcp_init(&h.loop, &h.tcp);
        uv_async_init(&h.loop, &h.async, hop_async);
        h.tcp.data   = &h;
        h.async.data = &h;
        h.creq.data  = &h;
        uv_ip4_addr("127.0.0.1", o->port, &sa);
        uv_tcp_connect(&h.creq, &h.tcp, (struct sockaddr *)&sa, hop_connected);
        /* Connected before the loop thread takes over. */
        uv_run(&h.loop, UV_RUN_ONCE);
        uv_thread_create(&h.tid, hop_thread, &h);
        run_serial(o, hop_ping, &h, res);
        uv_mutex_lock(&h.lock);
        h.stop = true;
        uv_mutex_unlock(&h.lock);
        uv_async_send(&h.async);
        uv_thread_join(&h.tid);
        uv_loop_close(&h.loop);
        uv_cond_destroy(&h.cond);
        uv_mutex_destroy(&h.lock);
        rmq__free(h.req);
}

/* ---- our client ---- */

typedef struct rmq_cli_s {
        const opts_t *o;
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
        char addr[64];
        int flags;
        rmq_cmd_t *cmd_main; /* used by the main thread only */
        rmq_cmd_t *cmd_cb;   /* used by the (single) callback thread only */
        atomic_uint_fast64_t issued, done, errors;
        atomic_uint_fast64_t target;
        atomic_bool stopping;
        atomic_bool err_printed;
        uint64_t sync_errors; /* invoke_sync from the main thread */
} rmq_cli_t;

static void rmq_cli_cb(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                       void *opaque);

/* Claims one more request of the current phase. */
static bool rmq_cli_claim(rmq_cli_t *c) {
        uint_fast64_t i = atomic_load(&c->issued);
        do {
                if (atomic_load(&c->stopping) ||
                    i >= atomic_load(&c->target))
                        return false;
        } while (!atomic_compare_exchange_weak(&c->issued, &i, i + 1));
        return true;
}

static void rmq_cli_error(rmq_cli_t *c, rmq_err_t err, const char *errstr) {
        atomic_fetch_add(&c->errors, 1);
        if (!atomic_exchange(&c->err_printed, true))
                bench_warn("request failed: %s: %s", rmq_err2name(err),
                           errstr ? errstr : "");
}

static void rmq_cli_issue(rmq_cli_t *c, rmq_cmd_t *cmd) {
        rmq_cmd_t *fresh = NULL;
        rmq_err_t err;
        if (c->o->fresh_cmd)
                cmd = fresh = build_request(c->o);
        else
                cmd->opaque = rmq__cmd_next_opaque();
        err = rmq__remoting_invoke_async(c->rm, c->addr, cmd, INVOKE_TIMEOUT,
                                         c->flags, rmq_cli_cb, c);
        rmq__cmd_destroy(fresh);
        if (err) {
                rmq_cli_error(c, err, "invoke_async refused");
                atomic_fetch_add(&c->done, 1);
        }
}

static void rmq_cli_cb(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                       void *opaque) {
        rmq_cli_t *c = opaque;
        (void)resp;
        if (err)
                rmq_cli_error(c, err, errstr);
        /* Issue the next one before counting this one, so that done ==
         * issued means nothing is in flight nor about to be issued. */
        if (rmq_cli_claim(c))
                rmq_cli_issue(c, c->cmd_cb);
        atomic_fetch_add(&c->done, 1);
}

static void rmq_cli_prime(rmq_cli_t *c, int w) {
        int i;
        for (i = 0; i < w && rmq_cli_claim(c); i++)
                rmq_cli_issue(c, c->cmd_main);
}

static void rmq_cli_drain(rmq_cli_t *c) {
        while (atomic_load(&c->done) != atomic_load(&c->issued))
                uv_sleep(1);
}

static void rmq_cli_on_stop(rmq_io_t *io, void *arg) {
        (void)io;
        rmq__remoting_close(arg);
}

static void run_rmq_pipelined(rmq_cli_t *c, result_t *res) {
        const opts_t *o = c->o;
        window_t win;
        if (o->count > 0) {
                atomic_store(&c->target, (uint64_t)o->count);
                rmq_cli_prime(c, o->w);
                while (atomic_load(&c->done) < (uint64_t)o->count)
                        uv_sleep(1);
                rmq_cli_drain(c);
                CALLGRIND_ZERO_STATS;
                window_open(&win, o, atomic_load(&c->done));
                atomic_store(&c->target, 2 * (uint64_t)o->count);
                rmq_cli_prime(c, o->w);
                while (atomic_load(&c->done) < 2 * (uint64_t)o->count)
                        uv_sleep(1);
                rmq_cli_drain(c);
                CALLGRIND_DUMP_STATS_AT("measured");
                window_close(&win, o, atomic_load(&c->done), res);
                return;
        }
        atomic_store(&c->target, UINT64_MAX);
        rmq_cli_prime(c, o->w);
        bench_sleep_s(o->warmup);
        window_open(&win, o, atomic_load(&c->done));
        bench_sleep_s(o->secs);
        window_close(&win, o, atomic_load(&c->done), res);
        atomic_store(&c->stopping, true);
        rmq_cli_drain(c);
}

static void rmq_sync_one(void *arg) {
        rmq_cli_t *c   = arg;
        rmq_cmd_t *cmd = c->cmd_main, *fresh = NULL, *resp = NULL;
        char errstr[256];
        rmq_err_t err;
        if (c->o->fresh_cmd)
                cmd = fresh = build_request(c->o);
        else
                cmd->opaque = rmq__cmd_next_opaque();
        err = rmq__remoting_invoke_sync(c->rm, c->addr, cmd, INVOKE_TIMEOUT,
                                        &resp, errstr, sizeof(errstr));
        if (err && !c->sync_errors++)
                bench_warn("sync: %s: %s", rmq_err2name(err), errstr);
        rmq__cmd_destroy(resp);
        rmq__cmd_destroy(fresh);
}

static void run_rmq_sync(rmq_cli_t *c, result_t *res) {
        run_serial(c->o, rmq_sync_one, c, res);
        res->errors = c->sync_errors;
}

static void run_rmq_client(const opts_t *o, bool on_loop, result_t *res) {
        rmq_remoting_conf_t rc;
        rmq_cli_t *c = calloc(1, sizeof(*c));
        char ca[512];
        c->o = o;
        rmq__remoting_conf_defaults(&rc);
        rc.tls.ca_file = tls_file("ca.pem", ca, sizeof(ca));
        rc.tls.enabled = rc.tls.ca_file != NULL;
        c->io    = rmq__io_new("bench-io", &quiet);
        c->pool  = rmq__pool_new("bench-cb", 1);
        c->rm    = rmq__remoting_new(c->io, &rc, c->pool, &quiet);
        c->flags = on_loop ? RMQ_INVOKE_F_ON_LOOP : 0;
        snprintf(c->addr, sizeof(c->addr), "127.0.0.1:%d", o->port);
        c->cmd_main = build_request(o);
        c->cmd_cb   = build_request(o);
        if (o->pipelined)
                run_rmq_pipelined(c, res);
        else
                run_rmq_sync(c, res);
        res->errors += atomic_load(&c->errors);
        rmq__io_destroy(c->io, rmq_cli_on_stop, c->rm);
        rmq__pool_destroy(c->pool);
        rmq__remoting_free(c->rm);
        rmq__cmd_destroy(c->cmd_main);
        rmq__cmd_destroy(c->cmd_cb);
        free(c);
}

/* One measurement in this process. */
static void run_client(const opts_t *o, const char *impl, result_t *res) {
        memset(res, 0, sizeof(*res));
        if (!strcmp(impl, "ref"))
                run_ref_client(o, o->pipelined ? o->w : 1, res);
        else if (!strcmp(impl, "ref-hop"))
                run_ref_hop_client(o, res);
        else if (!strcmp(impl, "rmq"))
                run_rmq_client(o, false, res);
        else if (!strcmp(impl, "rmq-loop"))
                run_rmq_client(o, true, res);
        else
                bench_die("unknown client impl %s", impl);
}

/* ---- compare: alternate impls in forked children ---- */

static bool impl_is_ref(const char *impl) {
        return !strncmp(impl, "ref", 3);
}

static bool fork_run(const opts_t *o, const char *impl, result_t *res) {
        int fds[2], st;
        pid_t pid;
        ssize_t n;
        opts_t oo = *o;
        if (pipe(fds))
                bench_die("pipe: %s", strerror(errno));
        oo.port    = impl_is_ref(impl) ? o->ref_port : o->rmq_port;
        oo.srv_pid = impl_is_ref(impl) ? o->ref_pid : o->rmq_pid;
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                bench_die("fork: %s", strerror(errno));
        if (pid == 0) {
                result_t r;
                close(fds[0]);
                run_client(&oo, impl, &r);
                if (write(fds[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
                        _exit(3);
                _exit(0);
        }
        close(fds[1]);
        memset(res, 0, sizeof(*res));
        n = read(fds[0], res, sizeof(*res));
        close(fds[0]);
        waitpid(pid, &st, 0);
        return n == (ssize_t)sizeof(*res) && res->ok && WIFEXITED(st) &&
               WEXITSTATUS(st) == 0;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double median(const double *v, int n) {
        double s[MAX_ROUNDS];
        memcpy(s, v, (size_t)n * sizeof(*v));
        qsort(s, (size_t)n, sizeof(*s), cmp_double);
        return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

typedef struct series_s {
        const char *impl;
        double rate[MAX_ROUNDS];
        double cli_us[MAX_ROUNDS]; /* client CPU us per request */
        double srv_us[MAX_ROUNDS]; /* server CPU us per request */
        double hwm[MAX_ROUNDS];
        uint64_t errors;
        int n;
} series_t;

static const char *cand_label(const opts_t *o, const char *impl) {
        if (!o->pipelined)
                return !strcmp(impl, "rmq") ? "invoke_sync" : impl;
        if (!strcmp(impl, "rmq-loop"))
                return "cb=loop";
        if (!strcmp(impl, "rmq"))
                return "cb=pool";
        return impl;
}

static void compare(const opts_t *o) {
        series_t ser[MAX_IMPLS];
        char list[256], *save = NULL, *tok;
        int ni = 0, r, i;
        char params[128];
        snprintf(list, sizeof(list), "%s", o->impls);
        for (tok = strtok_r(list, ",", &save); tok && ni < MAX_IMPLS;
             tok = strtok_r(NULL, ",", &save)) {
                memset(&ser[ni], 0, sizeof(ser[ni]));
                ser[ni++].impl = tok;
        }
        if (ni < 2)
                bench_die(
                    "--impls needs a reference and at least one candidate");
        if (o->pipelined)
                snprintf(params, sizeof(params),
                         "pipelined_async w=%d body=%zu", o->w, o->body);
        else
                snprintf(params, sizeof(params), "sync_rtt body=%zu", o->body);
        if (o->ser == RMQ_SERIALIZE_ROCKETMQ)
                snprintf(params + strlen(params), sizeof(params) - strlen(params),
                         " ser=rocketmq");
        if (o->fresh_cmd)
                snprintf(params + strlen(params), sizeof(params) - strlen(params),
                         " fresh_cmd");
        for (r = 0; r < o->rounds; r++) {
                for (i = 0; i < ni; i++) {
                        series_t *s = &ser[i];
                        result_t res;
                        if (!fork_run(o, s->impl, &res)) {
                                bench_warn("%s run %d failed", s->impl, r);
                                continue;
                        }
                        s->rate[s->n]   = (double)res.reqs / res.secs;
                        s->cli_us[s->n] =
                            bench_per(res.cli_cpu_s, 1e6, res.reqs);
                        s->srv_us[s->n] = srv_us_per_req(&res);
                        s->hwm[s->n]    = (double)res.hwm_kb;
                        s->errors += res.errors;
                        s->n++;
                        printf("# %s %s round %d %s: %.0f req/s, client cpu "
                               "%.2f us/req, server cpu %.2f us/req, VmHWM "
                               "%ld kB%s\n",
                               params, o->label, r, s->impl,
                               s->rate[s->n - 1], s->cli_us[s->n - 1],
                               s->srv_us[s->n - 1], res.hwm_kb,
                               res.errors ? " (ERRORS)" : "");
                        fflush(stdout);
                }
        }
        for (i = 0; i < ni; i++) {
                series_t *s = &ser[i];
                if (!s->n)
                        bench_die("no successful run of %s", s->impl);
                printf("# summary %s %s %s: median %.0f req/s (%.2f us/req), "
                       "client cpu %.2f us/req, server cpu %.2f us/req, VmHWM "
                       "%.0f kB, errors %" PRIu64 "\n",
                       params, o->label, s->impl, median(s->rate, s->n),
                       1e6 / median(s->rate, s->n), median(s->cli_us, s->n),
                       median(s->srv_us, s->n), median(s->hwm, s->n),
                       s->errors);
        }
        for (i = 1; i < ni; i++) {
                series_t *ref = &ser[0], *cand = &ser[i];
                double mr = median(ref->rate, ref->n);
                double mc = median(cand->rate, cand->n);
                int nrun  = RMQ_MIN(ref->n, cand->n);
                if (!impl_is_ref(cand->impl))
                        printf("%s %s %s: %s %.0f req/s, rmq %.0f req/s, "
                               "ratio %.2f (median of %d)\n",
                               params, o->label, cand_label(o, cand->impl),
                               ref->impl, mr, mc, mc / mr, nrun);
                else
                        printf("%s %s %s: %s %.0f req/s, %s %.0f req/s, "
                               "ratio %.2f (median of %d)\n",
                               params, o->label, "hop_cost", ref->impl, mr,
                               cand->impl, mc, mc / mr, nrun);
        }
        /* Peak RSS of the client processes (each run is a fresh process). */
        if (o->pipelined) {
                printf("vm_hwm %s %s:", params, o->label);
                for (i = 0; i < ni; i++)
                        printf("%s %s %.0f kB", i ? "," : "",
                               impl_is_ref(ser[i].impl)
                                   ? ser[i].impl
                                   : cand_label(o, ser[i].impl),
                               median(ser[i].hwm, ser[i].n));
                printf(" (VmHWM of the client, median of %d)\n", ser[0].n);
        }
        /* Candidates against a second reference (sync: the thread hop). */
        if (ni >= 3 && impl_is_ref(ser[1].impl)) {
                for (i = 2; i < ni; i++) {
                        double mr = median(ser[1].rate, ser[1].n);
                        double mc = median(ser[i].rate, ser[i].n);
                        if (impl_is_ref(ser[i].impl))
                                continue;
                        printf("%s %s vs_hop %s: %s %.0f req/s, rmq %.0f "
                               "req/s, ratio %.2f (median of %d)\n",
                               params, o->label, cand_label(o, ser[i].impl),
                               ser[1].impl, mr, mc, mc / mr,
                               RMQ_MIN(ser[1].n, ser[i].n));
                }
        }
        fflush(stdout);
}

/* ---- main ---- */

/* Exits 2, also for -h. */
static void usage(int code) {
        (void)code;
        fprintf(stderr,
                "usage: bench_transport server --impl ref|rmq [--port N]\n"
                "       bench_transport client --impl ref|ref-hop|rmq|rmq-loop "
                "--port N [case options]\n"
                "       bench_transport compare --ref-port N --rmq-port M "
                "--impls ref,rmq,... [case options]\n"
                "case options: --case pipelined|sync --w N --body N --secs S "
                "--warmup S --count N --rounds N --ser json|rocketmq "
                "--fresh-cmd --label TEXT --ref-pid P --rmq-pid P "
                "--server-pid P --req-bytes N --resp-bytes N\n");
        exit(2);
}

static const bench_choice_t cases[] = {
    {"pipelined", 1},
    {"sync", 0},
    {NULL, 0},
};

static const bench_choice_t sers[] = {
    {"json", RMQ_SERIALIZE_JSON},
    {"rocketmq", RMQ_SERIALIZE_ROCKETMQ},
    {NULL, 0},
};

int main(int argc, char **argv) {
        opts_t o;
        const bench_opt_t opts[] = {
            BENCH_FLAG("--fresh-cmd", &o.fresh_cmd),
            BENCH_STR("--impl", &o.impl),
            BENCH_STR("--impls", &o.impls),
            BENCH_STR("--label", &o.label),
            BENCH_CHOICE("--case", &o.pipelined, "case", cases),
            BENCH_INT("--w", &o.w),
            BENCH_SIZE("--body", &o.body),
            BENCH_DBL("--secs", &o.secs),
            BENCH_DBL("--warmup", &o.warmup),
            BENCH_LONG("--count", &o.count),
            BENCH_INT("--rounds", &o.rounds),
            BENCH_INT("--port", &o.port),
            BENCH_INT("--ref-port", &o.ref_port),
            BENCH_INT("--rmq-port", &o.rmq_port),
            BENCH_INT("--ref-pid", &o.ref_pid),
            BENCH_INT("--rmq-pid", &o.rmq_pid),
            BENCH_LONG("--req-bytes", &o.req_bytes),
            BENCH_LONG("--resp-bytes", &o.resp_bytes),
            BENCH_INT("--server-pid", &o.srv_pid),
            BENCH_CHOICE("--ser", &o.ser, "serialize type", sers),
            BENCH_OPTS_END,
        };
        bench_prog = "bench_transport";
        memset(&o, 0, sizeof(o));
        o.pipelined = true;
        o.w         = 1000;
        o.body      = 1024;
        o.secs      = 1.0;
        o.warmup    = 0.2;
        o.rounds    = 5;
        o.label     = "pin=none";
        o.impls     = "ref,rmq,rmq-loop";
        o.ser       = RMQ_SERIALIZE_JSON;
        if (argc < 2)
                usage(2);
        o.mode = argv[1];
        bench_opts_parse(opts, argc, argv, 2, usage);
        if (o.w < 1)
                o.w = 1;
        if (o.rounds < 1 || o.rounds > MAX_ROUNDS)
                bench_die("--rounds must be 1..%d", MAX_ROUNDS);
        body_buf = bench_body_new(o.body);
        signal(SIGPIPE, SIG_IGN);

        if (!strcmp(o.mode, "server")) {
                bench_die_with_parent(); /* die with the driver */
                if (o.impl && !strcmp(o.impl, "ref"))
                        serve_ref(&o);
                else if (o.impl && !strcmp(o.impl, "rmq"))
                        serve_rmq(&o);
                else
                        usage(2);
        } else if (!strcmp(o.mode, "client")) {
                result_t res;
                if (!o.impl || !o.port)
                        usage(2);
                run_client(&o, o.impl, &res);
                printf(
                    "result impl=%s case=%s w=%d body=%zu reqs=%" PRIu64
                    " secs=%.3f rate=%.0f client_cpu_us_per_req=%.3f "
                    "server_cpu_us_per_req=%.3f vm_hwm_kb=%ld errors=%" PRIu64
                    "\n",
                    o.impl, o.pipelined ? "pipelined" : "sync",
                    o.pipelined ? o.w : 1, o.body, res.reqs, res.secs,
                    (double)res.reqs / res.secs,
                    bench_per(res.cli_cpu_s, 1e6, res.reqs),
                    srv_us_per_req(&res), res.hwm_kb, res.errors);
        } else if (!strcmp(o.mode, "compare")) {
                if (!o.ref_port || !o.rmq_port)
                        usage(2);
                compare(&o);
        } else {
                usage(2);
        }
        free(body_buf);
        return 0;
}
