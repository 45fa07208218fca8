/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transport (rmq_remoting) against a small test server built from the same
 * transport in server mode, plus a raw libuv server for bad frames.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/rmq_io.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "remoting/rmq_remoting.h"
#include "testutil.h"

#define CODE_ECHO     1000
#define CODE_SWALLOW  1001
#define CODE_CLOSE    1002
#define CODE_DELAY    1003
#define CODE_SERVER_Q 1004 /* server asks the client back */
#define CODE_FROM_SRV 1005

static rmq_logger_t quiet = {rmq__log_stderr_cb, NULL, 3, 0, "test", 0};

/* ---- test server ---- */

typedef struct server_s {
        rmq_io_t *io;
        rmq_remoting_t *rm;
        int port;
        atomic_int received;
        atomic_int oneways;
        atomic_int connects;
        atomic_int closes;
        atomic_int client_answers;
        char last_access_key[64];
        uv_mutex_t lock;
} server_t;

typedef struct delayed_s {
        uv_timer_t t;
        rmq_remoting_t *rm;
        rmq_channel_t *ch;
        rmq_cmd_t *req;
} delayed_t;

static void delayed_closed(uv_handle_t *h) {
        free(h->data);
}

static void delayed_fire(uv_timer_t *t) {
        delayed_t *d    = t->data;
        rmq_cmd_t *resp = rmq__cmd_new_response(0, "late");
        rmq__remoting_reply(d->rm, d->ch, d->req, resp);
        rmq__channel_release(d->ch);
        rmq__cmd_destroy(d->req);
        uv_close((uv_handle_t *)&d->t, delayed_closed);
}

static void client_answer_cb(rmq_err_t err, rmq_cmd_t *resp,
                             const char *errstr, void *opaque) {
        server_t *s = opaque;
        (void)errstr;
        if (!err && resp && resp->code == 0 &&
            !strcmp(rmq__cmd_ext(resp, "answer"), "42"))
                atomic_fetch_add(&s->client_answers, 1);
}

static void server_proc(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                        void *opaque) {
        server_t *s = opaque;
        rmq_cmd_t *resp;
        const char *ak = rmq__cmd_ext(req, "AccessKey");
        atomic_fetch_add(&s->received, 1);
        if (ak) {
                uv_mutex_lock(&s->lock);
                rmq__strlcpy(s->last_access_key, ak,
                             sizeof(s->last_access_key));
                uv_mutex_unlock(&s->lock);
        }
        if (rmq__cmd_is_oneway(req))
                atomic_fetch_add(&s->oneways, 1);
        switch (req->code) {
        case CODE_ECHO:
                resp = rmq__cmd_new_response(0, NULL);
                rmq__cmd_ext_add(resp, "echo",
                                 rmq__cmd_ext(req, "v") ? rmq__cmd_ext(req, "v")
                                                        : "");
                rmq__cmd_set_body_copy(resp, req->body, req->body_len);
                rmq__remoting_reply(rm, ch, req, resp);
                break;
        case CODE_SWALLOW:
                break;
        case CODE_CLOSE:
                rmq__channel_close(ch, "test server closes");
                break;
        case CODE_DELAY: {
                delayed_t *d = calloc(1, sizeof(*d));
                int64_t ms   = 0;
                rmq__cmd_ext_i64(req, "ms", &ms);
                d->rm  = rm;
                d->ch  = rmq__channel_retain(ch);
                d->req = req;
                uv_timer_init(rmq__io_loop(s->io), &d->t);
                d->t.data = d;
                uv_timer_start(&d->t, delayed_fire, (uint64_t)ms, 0);
                return; /* req kept */
        }
        case CODE_SERVER_Q: {
                rmq_cmd_t *q = rmq__cmd_new_request(CODE_FROM_SRV);
                rmq_cmd_t *oq = rmq__cmd_new_request(CODE_FROM_SRV);
                rmq__cmd_ext_add(q, "question", "life");
                /* one with an answer, one oneway */
                rmq__remoting_invoke_channel(rm, ch, q, 3000, 0,
                                             client_answer_cb, s);
                rmq__remoting_invoke_channel(rm, ch, oq, 3000, 0, NULL, NULL);
                rmq__cmd_destroy(q);
                rmq__cmd_destroy(oq);
                resp = rmq__cmd_new_response(0, NULL);
                rmq__remoting_reply(rm, ch, req, resp);
                break;
        }
        default:
                break;
        }
        rmq__cmd_destroy(req);
}

static void server_events(rmq_remoting_t *rm, rmq_channel_t *ch,
                          rmq_channel_event_t ev, void *opaque) {
        server_t *s = opaque;
        (void)rm;
        (void)ch;
        if (ev == RMQ_CHANNEL_CONNECT)
                atomic_fetch_add(&s->connects, 1);
        else
                atomic_fetch_add(&s->closes, 1);
}

static server_t *server_start(int port) {
        server_t *s = calloc(1, sizeof(*s));
        rmq_remoting_conf_t rc;
        int i;
        uv_mutex_init(&s->lock);
        rmq__remoting_conf_defaults(&rc);
        s->io = rmq__io_new("test-srv", &quiet);
        s->rm = rmq__remoting_new(s->io, &rc, NULL, &quiet);
        for (i = CODE_ECHO; i <= CODE_SERVER_Q; i++)
                rmq__remoting_register_processor(s->rm, i, server_proc, s,
                                                 true);
        rmq__remoting_set_channel_listener(s->rm, server_events, s);
        assert_int_equal(rmq__remoting_listen(s->rm, "127.0.0.1", port,
                                              &s->port),
                         RMQ_OK);
        return s;
}

static void server_on_stop(rmq_io_t *io, void *arg) {
        (void)io;
        rmq__remoting_close(arg);
}

static void server_stop(server_t *s) {
        rmq__io_destroy(s->io, server_on_stop, s->rm);
        rmq__remoting_free(s->rm);
        uv_mutex_destroy(&s->lock);
        free(s);
}

/* ---- client ---- */

typedef struct client_s {
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
} client_t;

static void client_proc(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                        void *opaque) {
        rmq_cmd_t *resp = rmq__cmd_new_response(0, NULL);
        (void)opaque;
        rmq__cmd_ext_add(resp, "answer", "42");
        rmq__remoting_reply(rm, ch, req, resp); /* dropped if oneway */
        rmq__cmd_destroy(req);
}

static client_t *client_new_conf(const rmq_remoting_conf_t *rc) {
        client_t *c = calloc(1, sizeof(*c));
        c->io       = rmq__io_new("test-cli", &quiet);
        c->pool     = rmq__pool_new("test-cb", 2);
        c->rm       = rmq__remoting_new(c->io, rc, c->pool, &quiet);
        rmq__remoting_register_processor(c->rm, CODE_FROM_SRV, client_proc,
                                         NULL, false);
        return c;
}

static client_t *client_new(void) {
        rmq_remoting_conf_t rc;
        rmq__remoting_conf_defaults(&rc);
        return client_new_conf(&rc);
}

static void client_destroy(client_t *c) {
        rmq__io_destroy(c->io, server_on_stop, c->rm);
        rmq__pool_destroy(c->pool);
        rmq__remoting_free(c->rm);
        free(c);
}

static void addr_of(server_t *s, char *buf, size_t size) {
        snprintf(buf, size, "127.0.0.1:%d", s->port);
}

static rmq_err_t call(client_t *c, const char *addr, int code,
                      int64_t timeout, rmq_cmd_t **respp, char *err,
                      size_t errsize) {
        rmq_cmd_t *req = rmq__cmd_new_request(code);
        rmq_err_t e;
        rmq__cmd_ext_add(req, "v", "x");
        e = rmq__remoting_invoke_sync(c->rm, addr, req, timeout, respp, err,
                                      errsize);
        rmq__cmd_destroy(req);
        return e;
}

/* ---- async bookkeeping ---- */

typedef struct async_rec_s {
        atomic_int calls;
        atomic_int ok;
        atomic_int errs[8];
        int expect;
} async_rec_t;

typedef struct async_one_s {
        async_rec_t *rec;
        int idx;
        atomic_int called;
} async_one_t;

static int err_slot(rmq_err_t e) {
        switch (e) {
        case RMQ_OK: return 0;
        case RMQ_ERR__TIMED_OUT: return 1;
        case RMQ_ERR__TRANSPORT: return 2;
        case RMQ_ERR__DESTROY: return 3;
        case RMQ_ERR__CONNECT: return 4;
        case RMQ_ERR__BAD_MSG: return 5;
        default: return 6;
        }
}

static void async_cb(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                     void *opaque) {
        async_one_t *one = opaque;
        char want[16];
        (void)errstr;
        if (atomic_fetch_add(&one->called, 1) != 0)
                fail_msg("callback %d called twice", one->idx);
        if (!err) {
                snprintf(want, sizeof(want), "%d", one->idx);
                if (!resp || strcmp(rmq__cmd_ext(resp, "echo"), want))
                        fail_msg("callback %d got the wrong response",
                                 one->idx);
                atomic_fetch_add(&one->rec->ok, 1);
        } else if (resp) {
                fail_msg("error with a response");
        }
        atomic_fetch_add(&one->rec->errs[err_slot(err)], 1);
        atomic_fetch_add(&one->rec->calls, 1);
}

static bool all_called(void *arg) {
        async_rec_t *r = arg;
        return atomic_load(&r->calls) == r->expect;
}

static void fire_async(client_t *c, const char *addr, int code, int n,
                       async_one_t *ones, async_rec_t *rec, int64_t timeout) {
        int i;
        rec->expect = n;
        for (i = 0; i < n; i++) {
                rmq_cmd_t *req = rmq__cmd_new_request(code);
                char v[16];
                snprintf(v, sizeof(v), "%d", i);
                rmq__cmd_ext_add(req, "v", v);
                ones[i].rec = rec;
                ones[i].idx = i;
                assert_int_equal(rmq__remoting_invoke_async(
                                     c->rm, addr, req, timeout, 0, async_cb,
                                     &ones[i]),
                                 RMQ_OK);
                rmq__cmd_destroy(req);
        }
}

/* ---- tests ---- */

static void test_sync_both_serialize_types(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64], err[256];
        int st;
        (void)state;
        addr_of(s, addr, sizeof(addr));
        for (st = 0; st < 2; st++) {
                rmq_cmd_t *req = rmq__cmd_new_request(CODE_ECHO), *resp;
                req->serialize_type = st;
                rmq__cmd_ext_add(req, "v", "hello");
                rmq__cmd_set_body_ref(req, "body!", 5);
                assert_int_equal(rmq__remoting_invoke_sync(c->rm, addr, req,
                                                           3000, &resp, err,
                                                           sizeof(err)),
                                 RMQ_OK);
                assert_int_equal(resp->code, 0);
                assert_int_equal(resp->opaque, req->opaque);
                assert_int_equal(resp->serialize_type, st);
                assert_string_equal(rmq__cmd_ext(resp, "echo"), "hello");
                assert_int_equal(resp->body_len, 5);
                assert_memory_equal(resp->body, "body!", 5);
                rmq__cmd_destroy(resp);
                rmq__cmd_destroy(req);
        }
        client_destroy(c);
        server_stop(s);
}

static void test_async_many_each_once(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        enum { N = 5000 };
        async_one_t *ones = calloc(N, sizeof(*ones));
        async_rec_t rec;
        (void)state;
        memset(&rec, 0, sizeof(rec));
        addr_of(s, addr, sizeof(addr));
        fire_async(c, addr, CODE_ECHO, N, ones, &rec, 10000);
        assert_true(rmq_test_wait_until(all_called, &rec, 20000));
        assert_int_equal(atomic_load(&rec.ok), N);
        client_destroy(c);
        server_stop(s);
        free(ones);
}

static bool oneways_arrived(void *arg) {
        server_t *s = arg;
        return atomic_load(&s->oneways) == 200;
}

static void test_oneway(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        int i;
        (void)state;
        addr_of(s, addr, sizeof(addr));
        for (i = 0; i < 200; i++) {
                rmq_cmd_t *req = rmq__cmd_new_request(CODE_ECHO);
                assert_int_equal(rmq__remoting_invoke_oneway(c->rm, addr, req,
                                                             3000),
                                 RMQ_OK);
                assert_true(rmq__cmd_is_oneway(req));
                rmq__cmd_destroy(req);
        }
        assert_true(rmq_test_wait_until(oneways_arrived, s, 10000));
        client_destroy(c);
        server_stop(s);
}

typedef struct thread_arg_s {
        client_t *c;
        const char *addr;
        int ok;
} thread_arg_t;

static void hammer(void *arg) {
        thread_arg_t *t = arg;
        int i;
        for (i = 0; i < 300; i++) {
                rmq_cmd_t *resp = NULL;
                if (call(t->c, t->addr, CODE_ECHO, 5000, &resp, NULL, 0) ==
                        RMQ_OK &&
                    !strcmp(rmq__cmd_ext(resp, "echo"), "x"))
                        t->ok++;
                rmq__cmd_destroy(resp);
        }
}

static void test_many_threads_sync(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        uv_thread_t th[8];
        thread_arg_t ta[8];
        int i;
        rmq_remoting_stats_t st;
        (void)state;
        addr_of(s, addr, sizeof(addr));
        for (i = 0; i < 8; i++) {
                ta[i].c    = c;
                ta[i].addr = addr;
                ta[i].ok   = 0;
                uv_thread_create(&th[i], hammer, &ta[i]);
        }
        for (i = 0; i < 8; i++) {
                uv_thread_join(&th[i]);
                assert_int_equal(ta[i].ok, 300);
        }
        /* every caller shared one channel */
        rmq__remoting_stats(c->rm, &st);
        assert_int_equal(st.channels, 1);
        assert_int_equal(st.connects, 1);
        assert_int_equal(st.pending, 0);
        client_destroy(c);
        server_stop(s);
}

static void test_timeouts(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64], err[256];
        rmq_cmd_t *resp = NULL;
        int64_t t0;
        enum { N = 50 };
        async_one_t ones[N];
        async_rec_t rec;
        rmq_remoting_stats_t st;
        (void)state;
        memset(ones, 0, sizeof(ones));
        memset(&rec, 0, sizeof(rec));
        addr_of(s, addr, sizeof(addr));
        /* async: each times out on its own deadline */
        fire_async(c, addr, CODE_SWALLOW, N, ones, &rec, 200);
        assert_true(rmq_test_wait_until(all_called, &rec, 5000));
        assert_int_equal(atomic_load(&rec.errs[1]), N);
        /* sync: times out, and (clientCloseSocketIfTimeout) closes */
        t0 = rmq__mono_ms();
        assert_int_equal(call(c, addr, CODE_SWALLOW, 300, &resp, err,
                              sizeof(err)),
                         RMQ_ERR__TIMED_OUT);
        assert_true(rmq__mono_ms() - t0 >= 295);
        assert_true(rmq__mono_ms() - t0 < 300 + 1500 * rmq_test_tmout_multiplier());
        assert_non_null(strstr(err, "timeout"));
        assert_null(resp);
        rmq__remoting_stats(c->rm, &st);
        assert_int_equal(st.pending, 0);
        assert_int_equal(st.channels, 0);
        /* the next call reconnects */
        assert_int_equal(call(c, addr, CODE_ECHO, 3000, &resp, NULL, 0),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
        rmq__remoting_stats(c->rm, &st);
        assert_int_equal(st.connects, 2);
        client_destroy(c);
        server_stop(s);
}

static void test_server_closes_mid_request(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64], err[256];
        rmq_cmd_t *resp = NULL;
        enum { N = 20 };
        async_one_t ones[N];
        async_rec_t rec;
        (void)state;
        memset(ones, 0, sizeof(ones));
        memset(&rec, 0, sizeof(rec));
        addr_of(s, addr, sizeof(addr));
        /* requests that will never be answered, then one that makes the
         * server close the connection: all fail at once */
        fire_async(c, addr, CODE_SWALLOW, N, ones, &rec, 30000);
        assert_int_equal(call(c, addr, CODE_CLOSE, 30000, &resp, err,
                              sizeof(err)),
                         RMQ_ERR__TRANSPORT);
        assert_non_null(strstr(err, "closed"));
        assert_true(rmq_test_wait_until(all_called, &rec, 5000));
        assert_int_equal(atomic_load(&rec.errs[2]), N);
        /* reconnects */
        assert_int_equal(call(c, addr, CODE_ECHO, 3000, &resp, NULL, 0),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
        client_destroy(c);
        server_stop(s);
}

static bool client_answered(void *arg) {
        server_t *s = arg;
        return atomic_load(&s->client_answers) == 1 &&
               atomic_load(&s->received) >= 1;
}

static void test_server_initiated_requests(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        rmq_cmd_t *resp = NULL;
        (void)state;
        addr_of(s, addr, sizeof(addr));
        assert_int_equal(call(c, addr, CODE_SERVER_Q, 3000, &resp, NULL, 0),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
        assert_true(rmq_test_wait_until(client_answered, s, 5000));
        client_destroy(c);
        server_stop(s);
}

static void test_unsupported_code(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        rmq_cmd_t *resp = NULL;
        (void)state;
        addr_of(s, addr, sizeof(addr));
        assert_int_equal(call(c, addr, 4242, 3000, &resp, NULL, 0), RMQ_OK);
        assert_int_equal(resp->code, RMQ_ERR_REQUEST_CODE_NOT_SUPPORTED);
        assert_string_equal(resp->remark, " request type 4242 not supported");
        rmq__cmd_destroy(resp);
        client_destroy(c);
        server_stop(s);
}

typedef struct reach_s {
        client_t *c;
        const char *addr;
} reach_t;

static bool reachable(void *arg) {
        reach_t *r      = arg;
        rmq_cmd_t *resp = NULL;
        rmq_err_t e     = call(r->c, r->addr, CODE_ECHO, 3000, &resp, NULL, 0);
        rmq__cmd_destroy(resp);
        return e == RMQ_OK;
}

static void test_reconnect_after_server_restart(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64], err[256];
        rmq_cmd_t *resp = NULL;
        int port;
        (void)state;
        addr_of(s, addr, sizeof(addr));
        port = s->port;
        assert_int_equal(call(c, addr, CODE_ECHO, 3000, &resp, NULL, 0),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
        server_stop(s);
        /* down: connect refused */
        assert_int_equal(call(c, addr, CODE_ECHO, 3000, &resp, err,
                              sizeof(err)),
                         RMQ_ERR__CONNECT);
        assert_non_null(strstr(err, "connect"));
        s = server_start(port);
        /* reached again once the connect back-off (100 ms after one
         * failure, reconnect.backoff.ms) is over */
        {
                reach_t r = {c, addr};
                assert_true(rmq_test_wait_until(reachable, &r, 3000));
        }
        client_destroy(c);
        server_stop(s);
}

static void test_shutdown_with_requests_in_flight(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        enum { N = 300 };
        async_one_t *ones = calloc(N, sizeof(*ones));
        async_rec_t rec;
        (void)state;
        memset(&rec, 0, sizeof(rec));
        addr_of(s, addr, sizeof(addr));
        fire_async(c, addr, CODE_SWALLOW, N, ones, &rec, 60000);
        client_destroy(c); /* returns after every callback has run */
        assert_int_equal(atomic_load(&rec.calls), N);
        assert_int_equal(atomic_load(&rec.errs[3]), N);
        {
                int i;
                for (i = 0; i < N; i++)
                        assert_int_equal(atomic_load(&ones[i].called), 1);
        }
        server_stop(s);
        free(ones);
}

static void test_namesrv_failover(void **state) {
        server_t *s = server_start(0);
        server_t *dead = server_start(0);
        client_t *c = client_new();
        char list[128], chosen[80];
        int dead_port = dead->port, i;
        rmq_cmd_t *resp = NULL;
        (void)state;
        server_stop(dead);
        /* the dead one twice, so the round-robin start always hits it */
        snprintf(list, sizeof(list), "127.0.0.1:%d;127.0.0.1:%d; 127.0.0.1:%d",
                 dead_port, dead_port, s->port);
        rmq__remoting_set_namesrv(c->rm, list);
        for (i = 0; i < 5; i++) {
                assert_int_equal(call(c, NULL, CODE_ECHO, 5000, &resp, NULL,
                                      0),
                                 RMQ_OK);
                rmq__cmd_destroy(resp);
        }
        rmq__remoting_chosen_namesrv(c->rm, chosen, sizeof(chosen));
        snprintf(list, sizeof(list), "127.0.0.1:%d", s->port);
        assert_string_equal(chosen, list);
        client_destroy(c);
        server_stop(s);
}

static void test_no_namesrv(void **state) {
        client_t *c = client_new();
        rmq_cmd_t *resp = NULL;
        char err[256];
        (void)state;
        assert_int_equal(call(c, NULL, CODE_ECHO, 1000, &resp, err,
                              sizeof(err)),
                         RMQ_ERR__NO_NAMESRV);
        assert_non_null(strstr(err, "name server"));
        client_destroy(c);
}

static void test_async_permits(void **state) {
        server_t *s = server_start(0);
        rmq_remoting_conf_t rc;
        client_t *c;
        char addr[64];
        async_one_t ones[2];
        async_rec_t rec;
        rmq_cmd_t *req;
        int64_t t0;
        (void)state;
        memset(ones, 0, sizeof(ones));
        memset(&rec, 0, sizeof(rec));
        rmq__remoting_conf_defaults(&rc);
        rc.async_permits = 2;
        c = client_new_conf(&rc);
        addr_of(s, addr, sizeof(addr));
        fire_async(c, addr, CODE_SWALLOW, 2, ones, &rec, 400);
        req = rmq__cmd_new_request(CODE_ECHO);
        t0  = rmq__mono_ms();
        assert_int_equal(rmq__remoting_invoke_async(c->rm, addr, req, 100, 0,
                                                    async_cb, NULL),
                         RMQ_ERR__TOO_MANY_REQUESTS);
        assert_true(rmq__mono_ms() - t0 >= 95);
        /* permits come back when the first two time out */
        assert_true(rmq_test_wait_until(all_called, &rec, 5000));
        {
                async_one_t one;
                async_rec_t r2;
                memset(&one, 0, sizeof(one));
                memset(&r2, 0, sizeof(r2));
                one.rec   = &r2;
                one.idx   = 7;
                r2.expect = 1;
                rmq__cmd_ext_add(req, "v", "7");
                assert_int_equal(rmq__remoting_invoke_async(
                                     c->rm, addr, req, 3000, 0, async_cb, &one),
                                 RMQ_OK);
                assert_true(rmq_test_wait_until(all_called, &r2, 5000));
                assert_int_equal(atomic_load(&r2.ok), 1);
        }
        rmq__cmd_destroy(req);
        client_destroy(c);
        server_stop(s);
}

static atomic_int after_calls;

static void hook_before(const char *addr, rmq_cmd_t *req, void *opaque) {
        (void)addr;
        rmq__cmd_ext_add(req, "AccessKey", (const char *)opaque);
}

static void hook_after(const char *addr, int32_t code, const rmq_cmd_t *resp,
                       void *opaque) {
        (void)addr;
        (void)opaque;
        if (code == CODE_ECHO && resp && resp->code == 0)
                atomic_fetch_add(&after_calls, 1);
}

static void test_rpc_hooks(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        rmq_cmd_t *resp = NULL;
        (void)state;
        rmq__remoting_add_hook(c->rm, hook_before, hook_after, "AK123");
        addr_of(s, addr, sizeof(addr));
        assert_int_equal(call(c, addr, CODE_ECHO, 3000, &resp, NULL, 0),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
        uv_mutex_lock(&s->lock);
        assert_string_equal(s->last_access_key, "AK123");
        uv_mutex_unlock(&s->lock);
        assert_int_equal(atomic_load(&after_calls), 1);
        client_destroy(c);
        server_stop(s);
}

static char hook_saw_v[32];

static void hook_before_reads(const char *addr, rmq_cmd_t *req,
                              void *opaque) {
        const char *v = rmq__cmd_ext(req, "v");
        (void)addr;
        rmq__strlcpy(hook_saw_v, v ? v : "(none)", sizeof(hook_saw_v));
        rmq__cmd_ext_add(req, "AccessKey", (const char *)opaque);
}

/* A request whose header is typed fields (the producer's send request):
 * the RPC hooks see them as ext fields, and the peer gets them and what
 * the hooks added. */
static void test_rpc_hooks_typed_fields(void **state) {
        static const rmq_cmd_field_t fields[] = {
            {"v", 1, RMQ_CMD_FIELD_I64, NULL, 0, 42},
            {"w", 1, RMQ_CMD_FIELD_STR, "a\"b", 3, 0}};
        server_t *s = server_start(0);
        client_t *c = client_new();
        rmq_cmd_t *req = rmq__cmd_new_request(CODE_ECHO), *resp = NULL;
        char addr[64];
        (void)state;
        rmq__remoting_add_hook(c->rm, hook_before_reads, NULL, "AK456");
        addr_of(s, addr, sizeof(addr));
        rmq__cmd_set_fields(req, fields, 2);
        assert_int_equal(rmq__remoting_invoke_sync(c->rm, addr, req, 3000,
                                                   &resp, NULL, 0),
                         RMQ_OK);
        assert_string_equal(hook_saw_v, "42");
        assert_string_equal(rmq__cmd_ext(resp, "echo"), "42");
        uv_mutex_lock(&s->lock);
        assert_string_equal(s->last_access_key, "AK456");
        uv_mutex_unlock(&s->lock);
        rmq__cmd_destroy(resp);
        rmq__cmd_destroy(req);
        client_destroy(c);
        server_stop(s);
}

static void deadlock_proc(rmq_remoting_t *rm, rmq_channel_t *ch,
                          rmq_cmd_t *req, void *opaque) {
        rmq_cmd_t *resp = NULL, *inner = rmq__cmd_new_request(CODE_ECHO);
        atomic_int *res = opaque;
        (void)ch;
        atomic_store(res, rmq__remoting_invoke_sync(rm, "127.0.0.1:1", inner,
                                                    100, &resp, NULL, 0));
        rmq__cmd_destroy(inner);
        rmq__cmd_destroy(req);
}

static bool got_result(void *arg) {
        return atomic_load((atomic_int *)arg) != 1;
}

static void test_sync_on_loop_refused(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        rmq_cmd_t *resp = NULL;
        atomic_int res;
        (void)state;
        atomic_init(&res, 1);
        rmq__remoting_register_processor(c->rm, CODE_FROM_SRV + 100,
                                         deadlock_proc, &res, true);
        rmq__remoting_register_processor(c->rm, CODE_FROM_SRV, deadlock_proc,
                                         &res, true);
        addr_of(s, addr, sizeof(addr));
        assert_int_equal(call(c, addr, CODE_SERVER_Q, 3000, &resp, NULL, 0),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
        assert_true(rmq_test_wait_until(got_result, &res, 5000));
        assert_int_equal(atomic_load(&res), RMQ_ERR__WOULD_DEADLOCK);
        client_destroy(c);
        server_stop(s);
}

/* ---- a raw server that answers with garbage ---- */

typedef struct raw_s {
        rmq_io_t *io;
        uv_tcp_t srv;
        uv_tcp_t conn;
        int port;
        const uint8_t *reply;
        size_t reply_len;
        bool have_conn;
} raw_t;

static void raw_alloc(uv_handle_t *h, size_t s, uv_buf_t *b) {
        static char buf[4096];
        (void)h;
        (void)s;
        *b = uv_buf_init(buf, sizeof(buf));
}

static void raw_written(uv_write_t *w, int st) {
        (void)st;
        free(w);
}

static void raw_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
        raw_t *r = st->data;
        (void)b;
        if (n > 0) {
                uv_write_t *w = malloc(sizeof(*w));
                uv_buf_t out  = uv_buf_init((char *)r->reply,
                                            (unsigned)r->reply_len);
                uv_write(w, st, &out, 1, raw_written);
        }
}

static void raw_conn(uv_stream_t *srv, int status) {
        raw_t *r = srv->data;
        if (status || r->have_conn)
                return;
        uv_tcp_init(srv->loop, &r->conn);
        r->conn.data = r;
        if (!uv_accept(srv, (uv_stream_t *)&r->conn)) {
                r->have_conn = true;
                uv_read_start((uv_stream_t *)&r->conn, raw_alloc, raw_read);
        }
}

static void raw_listen(rmq_io_t *io, void *arg) {
        raw_t *r = arg;
        struct sockaddr_in sin;
        int len = sizeof(sin);
        uv_tcp_init(rmq__io_loop(io), &r->srv);
        r->srv.data = r;
        uv_ip4_addr("127.0.0.1", 0, &sin);
        uv_tcp_bind(&r->srv, (struct sockaddr *)&sin, 0);
        uv_listen((uv_stream_t *)&r->srv, 16, raw_conn);
        uv_tcp_getsockname(&r->srv, (struct sockaddr *)&sin, &len);
        r->port = ntohs(sin.sin_port);
}

static void raw_stop(rmq_io_t *io, void *arg) {
        raw_t *r = arg;
        (void)io;
        uv_close((uv_handle_t *)&r->srv, NULL);
        if (r->have_conn)
                uv_close((uv_handle_t *)&r->conn, NULL);
}

static void bad_frame_case(const uint8_t *reply, size_t len, rmq_err_t want) {
        raw_t r;
        client_t *c = client_new();
        char addr[64], err[256];
        rmq_cmd_t *resp = NULL;
        memset(&r, 0, sizeof(r));
        r.reply     = reply;
        r.reply_len = len;
        r.io        = rmq__io_new("test-raw", &quiet);
        rmq__io_call(r.io, raw_listen, &r);
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", r.port);
        assert_int_equal(call(c, addr, CODE_ECHO, 3000, &resp, err,
                              sizeof(err)),
                         want);
        assert_null(resp);
        client_destroy(c);
        rmq__io_destroy(r.io, raw_stop, &r);
}

static void test_bad_frames_close_channel(void **state) {
        /* length word far above frameMaxLength */
        static const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
        /* a whole frame whose JSON header is broken */
        static const uint8_t badhdr[] = {0, 0, 0, 7, 0, 0, 0, 3, '{', 'x', '}'};
        /* a frame whose header length exceeds the frame */
        static const uint8_t badlen[] = {0, 0, 0, 6, 0, 0, 0, 99, '{', '}'};
        (void)state;
        bad_frame_case(huge, sizeof(huge), RMQ_ERR__BAD_MSG);
        bad_frame_case(badhdr, sizeof(badhdr), RMQ_ERR__BAD_MSG);
        bad_frame_case(badlen, sizeof(badlen), RMQ_ERR__BAD_MSG);
}

static void test_large_frames(void **state) {
        /* bodies that cross the direct-read path, in both directions */
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        size_t sizes[] = {0, 1, 65535, 65536, 200000, 4 * 1024 * 1024};
        size_t i;
        (void)state;
        addr_of(s, addr, sizeof(addr));
        for (i = 0; i < RMQ_ARRAY_SIZE(sizes); i++) {
                uint8_t *body  = malloc(sizes[i] + 1);
                rmq_cmd_t *req = rmq__cmd_new_request(CODE_ECHO), *resp;
                size_t k;
                for (k = 0; k < sizes[i]; k++)
                        body[k] = (uint8_t)(k * 31 + i);
                rmq__cmd_set_body_ref(req, body, sizes[i]);
                assert_int_equal(rmq__remoting_invoke_sync(c->rm, addr, req,
                                                           10000, &resp, NULL,
                                                           0),
                                 RMQ_OK);
                assert_int_equal(resp->body_len, sizes[i]);
                if (sizes[i])
                        assert_memory_equal(resp->body, body, sizes[i]);
                rmq__cmd_destroy(resp);
                rmq__cmd_destroy(req);
                free(body);
        }
        client_destroy(c);
        server_stop(s);
}

static bool server_saw_close(void *arg) {
        server_t *s = arg;
        return atomic_load(&s->closes) == 1;
}

static void test_delayed_reply_and_server_events(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64];
        rmq_cmd_t *req = rmq__cmd_new_request(CODE_DELAY), *resp = NULL;
        (void)state;
        addr_of(s, addr, sizeof(addr));
        rmq__cmd_ext_add_i64(req, "ms", 150);
        assert_int_equal(rmq__remoting_invoke_sync(c->rm, addr, req, 3000,
                                                   &resp, NULL, 0),
                         RMQ_OK);
        assert_string_equal(resp->remark, "late");
        rmq__cmd_destroy(resp);
        rmq__cmd_destroy(req);
        assert_int_equal(atomic_load(&s->connects), 1);
        /* closing our side is seen by the server as a channel close */
        rmq__remoting_close_channel(c->rm, addr);
        assert_true(rmq_test_wait_until(server_saw_close, s, 5000));
        client_destroy(c);
        server_stop(s);
}

static void test_hostname_and_bad_addresses(void **state) {
        server_t *s = server_start(0);
        client_t *c = client_new();
        char addr[64], err[256];
        rmq_cmd_t *resp = NULL;
        (void)state;
        /* a host name is resolved (off the loop thread's hot path) */
        snprintf(addr, sizeof(addr), "localhost:%d", s->port);
        assert_int_equal(call(c, addr, CODE_ECHO, 5000, &resp, err,
                              sizeof(err)),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
        /* an address without a port fails at once with a reason */
        assert_int_equal(call(c, "no-port-here", CODE_ECHO, 1000, &resp, err,
                              sizeof(err)),
                         RMQ_ERR__CONNECT);
        assert_null(resp);
        client_destroy(c);
        server_stop(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sync_both_serialize_types),
            cmocka_unit_test(test_async_many_each_once),
            cmocka_unit_test(test_oneway),
            cmocka_unit_test(test_many_threads_sync),
            cmocka_unit_test(test_timeouts),
            cmocka_unit_test(test_server_closes_mid_request),
            cmocka_unit_test(test_server_initiated_requests),
            cmocka_unit_test(test_unsupported_code),
            cmocka_unit_test(test_reconnect_after_server_restart),
            cmocka_unit_test(test_shutdown_with_requests_in_flight),
            cmocka_unit_test(test_namesrv_failover),
            cmocka_unit_test(test_no_namesrv),
            cmocka_unit_test(test_async_permits),
            cmocka_unit_test(test_rpc_hooks),
            cmocka_unit_test(test_rpc_hooks_typed_fields),
            cmocka_unit_test(test_sync_on_loop_refused),
            cmocka_unit_test(test_bad_frames_close_channel),
            cmocka_unit_test(test_large_frames),
            cmocka_unit_test(test_delayed_reply_and_server_events),
            cmocka_unit_test(test_hostname_and_bad_addresses),
        };
        return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
