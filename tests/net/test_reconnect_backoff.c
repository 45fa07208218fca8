/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connect back-off (not in Java, docs/CONNECTIONS.md): a closed port is
 * dialled a few times while many requests fail at once with the back-off
 * error; a success resets it; name server requests skip a backing-off
 * server for the next one; reconnect.backoff.ms 0 dials every time. And
 * the name server list's updates (updateNameServerAddressList).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/rmq_io.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "remoting/rmq_remoting.h"
#include "testutil.h"

#define CODE_ECHO 1000

static rmq_logger_t quiet = {rmq__log_stderr_cb, NULL, 2, 0, "test", 0};

typedef struct server_s {
        rmq_io_t *io;
        rmq_remoting_t *rm;
        int port;
} server_t;

static void echo_proc(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                      void *opaque) {
        (void)opaque;
        rmq__remoting_reply(rm, ch, req, rmq__cmd_new_response(0, NULL));
        rmq__cmd_destroy(req);
}

static server_t *server_start(int port) {
        server_t *s = calloc(1, sizeof(*s));
        rmq_remoting_conf_t rc;
        rmq__remoting_conf_defaults(&rc);
        s->io = rmq__io_new("test-srv", &quiet);
        s->rm = rmq__remoting_new(s->io, &rc, NULL, &quiet);
        rmq__remoting_register_processor(s->rm, CODE_ECHO, echo_proc, s, true);
        assert_int_equal(
            rmq__remoting_listen(s->rm, "127.0.0.1", port, &s->port), RMQ_OK);
        return s;
}

static void on_stop(rmq_io_t *io, void *arg) {
        (void)io;
        rmq__remoting_close(arg);
}

static void server_stop(server_t *s) {
        rmq__io_destroy(s->io, on_stop, s->rm);
        rmq__remoting_free(s->rm);
        free(s);
}

/* A port nobody listens on (bound once, then released). */
static int closed_port(void) {
        server_t *s = server_start(0);
        int port    = s->port;
        server_stop(s);
        return port;
}

typedef struct client_s {
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
} client_t;

static client_t *client_new(int64_t base, int64_t max) {
        client_t *c = calloc(1, sizeof(*c));
        rmq_remoting_conf_t rc;
        rmq__remoting_conf_defaults(&rc);
        rc.reconnect_backoff_ms     = base;
        rc.reconnect_backoff_max_ms = max;
        c->io                       = rmq__io_new("test-cli", &quiet);
        c->pool                     = rmq__pool_new("test-cb", 1);
        c->rm = rmq__remoting_new(c->io, &rc, c->pool, &quiet);
        return c;
}

static void client_destroy(client_t *c) {
        rmq__io_destroy(c->io, on_stop, c->rm);
        rmq__pool_destroy(c->pool);
        rmq__remoting_free(c->rm);
        free(c);
}

static rmq_err_t call(client_t *c, const char *addr, char *err,
                      size_t errsize) {
        rmq_cmd_t *req  = rmq__cmd_new_request(CODE_ECHO);
        rmq_cmd_t *resp = NULL;
        rmq_err_t e = rmq__remoting_invoke_sync(c->rm, addr, req, 3000, &resp,
                                                err, errsize);
        rmq__cmd_destroy(req);
        rmq__cmd_destroy(resp);
        return e;
}

static uint64_t attempts(client_t *c) {
        rmq_remoting_stats_t st;
        rmq__remoting_stats(c->rm, &st);
        return st.connect_attempts;
}

static void test_closed_port_backs_off(void **state) {
        int port    = closed_port();
        client_t *c = client_new(100, 800);
        char addr[64], err[512];
        int calls = 0, fast = 0;
        int64_t end;
        uint64_t dials;
        (void)state;
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
        /* first call: dials, refused */
        assert_int_equal(call(c, addr, err, sizeof(err)), RMQ_ERR__CONNECT);
        assert_int_equal(attempts(c), 1);
        /* at once again: no dial, the back-off error */
        assert_int_equal(call(c, addr, err, sizeof(err)), RMQ_ERR__CONNECT);
        assert_int_equal(attempts(c), 1);
        assert_non_null(strstr(err, addr));
        assert_non_null(strstr(err, "backing off, next attempt in"));
        assert_non_null(strstr(err, "failed 1 time in a row"));
        /* 1.5 s of calls: delays 100, 200, 400, 800, 800 (+-20%) allow at
         * most 6 more dials, whatever the number of calls */
        end = rmq__mono_ms() + 1500;
        while (rmq__mono_ms() < end) {
                assert_int_equal(call(c, addr, err, sizeof(err)),
                                 RMQ_ERR__CONNECT);
                calls++;
                if (strstr(err, "backing off"))
                        fast++;
                rmq_test_sleep_ms(5);
        }
        dials = attempts(c);
        print_message("%d calls, %d failed fast, %llu dials\n", calls, fast,
                      (unsigned long long)dials);
        assert_true(dials >= 2);
        assert_true(dials <= 8);
        assert_true(fast >= calls - (int)dials);
        client_destroy(c);
}

typedef struct succ_s {
        client_t *c;
        const char *addr;
} succ_t;

static bool call_ok(void *arg) {
        succ_t *s = arg;
        char err[256];
        return call(s->c, s->addr, err, sizeof(err)) == RMQ_OK;
}

static void test_success_resets(void **state) {
        int port    = closed_port();
        client_t *c = client_new(100, 400);
        char addr[64], err[512];
        server_t *s;
        succ_t sc;
        (void)state;
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
        assert_int_equal(call(c, addr, err, sizeof(err)), RMQ_ERR__CONNECT);
        assert_int_equal(call(c, addr, err, sizeof(err)), RMQ_ERR__CONNECT);
        assert_non_null(strstr(err, "backing off"));
        /* the server comes: reached once the back-off ends */
        s       = server_start(port);
        sc.c    = c;
        sc.addr = addr;
        assert_true(rmq_test_wait_until(call_ok, &sc, 3000));
        server_stop(s);
        /* the peer closed: the next call dials again at once (the success
         * reset the back-off), is refused, and only then backs off with
         * one failure */
        {
                uint64_t before = attempts(c);
                int64_t until =
                    rmq__mono_ms() + 3000 * rmq_test_tmout_multiplier();
                rmq_err_t e;
                /* the close may not have reached the client yet */
                while ((e = call(c, addr, err, sizeof(err))) == RMQ_OK &&
                       rmq__mono_ms() < until)
                        rmq_test_sleep_ms(10);
                assert_int_equal(e, RMQ_ERR__CONNECT);
                if (!strstr(err, "backing off")) {
                        assert_true(attempts(c) > before);
                        assert_int_equal(call(c, addr, err, sizeof(err)),
                                         RMQ_ERR__CONNECT);
                }
                assert_non_null(strstr(err, "failed 1 time in a row"));
        }
        client_destroy(c);
}

static void test_backoff_off(void **state) {
        int port    = closed_port();
        client_t *c = client_new(0, 0);
        char addr[64], err[512];
        int i;
        (void)state;
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
        for (i = 0; i < 5; i++) {
                assert_int_equal(call(c, addr, err, sizeof(err)),
                                 RMQ_ERR__CONNECT);
                assert_null(strstr(err, "backing off"));
        }
        assert_int_equal(attempts(c), 5);
        client_destroy(c);
}

/* Name server requests: a backing-off server is skipped for the next
 * one (NettyRemotingClient.getAndCreateNameserverChannel tries the next
 * on failure). */
static void test_namesrv_skips_backing_off(void **state) {
        int port    = closed_port();
        server_t *s = server_start(0);
        client_t *c = client_new(1000, 10000);
        char list[128], err[512], chosen[80];
        int i;
        (void)state;
        snprintf(list, sizeof(list), "127.0.0.1:%d;127.0.0.1:%d", port,
                 s->port);
        rmq__remoting_set_namesrv(c->rm, list);
        for (i = 0; i < 20; i++) {
                if (call(c, NULL, err, sizeof(err)) != RMQ_OK)
                        fail_msg("name server call %d: %s", i, err);
        }
        rmq__remoting_chosen_namesrv(c->rm, chosen, sizeof(chosen));
        snprintf(list, sizeof(list), "127.0.0.1:%d", s->port);
        assert_string_equal(chosen, list);
        /* the closed one was dialled at most once */
        assert_true(attempts(c) <= 2);
        client_destroy(c);
        server_stop(s);
}

/* updateNameServerAddressList: other addresses replace the list (in some
 * order), the same ones in another order change nothing, an empty list is
 * ignored; the chosen server stays only while it is listed. */
static void test_namesrv_list_update(void **state) {
        client_t *c = client_new(100, 1000);
        server_t *s = server_start(0);
        char list[256], chosen[80], want[80];
        (void)state;
        assert_true(rmq__remoting_set_namesrv(c->rm, "10.0.0.1:1;10.0.0.2:2;"
                                                     "10.0.0.3:3"));
        rmq__remoting_namesrv_list(c->rm, list, sizeof(list));
        assert_int_equal(strlen(list), strlen("10.0.0.1:1;10.0.0.2:2;"
                                              "10.0.0.3:3;"));
        assert_non_null(strstr(list, "10.0.0.1:1;"));
        assert_non_null(strstr(list, "10.0.0.2:2;"));
        assert_non_null(strstr(list, "10.0.0.3:3;"));
        assert_false(rmq__remoting_set_namesrv(c->rm, "10.0.0.3:3;10.0.0.1:1;"
                                                      "10.0.0.2:2"));
        assert_false(rmq__remoting_set_namesrv(c->rm, ""));
        assert_true(rmq__remoting_set_namesrv(c->rm, "10.0.0.3:3;10.0.0.1:1"));
        /* the chosen one */
        snprintf(want, sizeof(want), "127.0.0.1:%d", s->port);
        assert_true(rmq__remoting_set_namesrv(c->rm, want));
        assert_int_equal(call(c, NULL, list, sizeof(list)), RMQ_OK);
        rmq__remoting_chosen_namesrv(c->rm, chosen, sizeof(chosen));
        assert_string_equal(chosen, want);
        snprintf(list, sizeof(list), "%s;10.0.0.9:9", want);
        assert_true(rmq__remoting_set_namesrv(c->rm, list));
        rmq__remoting_chosen_namesrv(c->rm, chosen, sizeof(chosen));
        assert_string_equal(chosen, want); /* still listed: kept */
        assert_true(rmq__remoting_set_namesrv(c->rm, "10.0.0.9:9"));
        rmq__remoting_chosen_namesrv(c->rm, chosen, sizeof(chosen));
        assert_string_equal(chosen, ""); /* gone: dropped */
        client_destroy(c);
        server_stop(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_closed_port_backs_off),
            cmocka_unit_test(test_success_resets),
            cmocka_unit_test(test_backoff_off),
            cmocka_unit_test(test_namesrv_skips_backing_off),
            cmocka_unit_test(test_namesrv_list_update),
        };
        return cmocka_run_group_tests_name("reconnect_backoff", tests, NULL,
                                           NULL);
}
