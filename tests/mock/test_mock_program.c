/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rmq-mock-cluster program: usage errors, --help, its address lines,
 * --topic, --fail, --delay, --set, --print-messages, the --control
 * commands on stdin (each driven through a pipe and its effect checked),
 * the name server lookup endpoint (--http-port, through the client's
 * HTTP GET),
 * and a clean exit (0) on SIGTERM and SIGINT, also after stdin ends. The
 * program is looked up next to the tests directory of the build
 * ($RMQ_MOCK_CLUSTER_BIN overrides).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/rmq_time.h"
#include "mock_client.h"
#include "mock_program.h"
#include "protocol/rmq_route.h"

static void start(mp_proc_t *p, const char *const *args) {
        mp_spawn(p, args, false);
}

static int run_to_end(const char *const *args) {
        mp_proc_t p;
        int status = -1;
        start(&p, args);
        waitpid(p.pid, &status, 0);
        mp_child = 0;
        mp_read_until(&p, "\n", 100);
        close(p.out);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_usage(void **state) {
        const char *help[]    = {"--help", NULL};
        const char *bogus[]   = {"--bogus", NULL};
        const char *missing[] = {"--brokers", NULL};
        const char *bad[]     = {"--brokers", "0", NULL};
        const char *fail[]    = {"--namesrv-port", "0", "--fail", "310:x:1",
                              NULL};
        const char *set[]     = {"--namesrv-port", "0", "--set", "nope=1", NULL};
        (void)state;
        if (!mp_find_program())
                fail_msg("rmq-mock-cluster not found at %s", mp_program);
        assert_int_equal(run_to_end(help), 0);
        assert_int_equal(run_to_end(bogus), 2);
        assert_int_equal(run_to_end(missing), 2);
        assert_int_equal(run_to_end(bad), 2);
        assert_int_equal(run_to_end(fail), 2);
        assert_int_equal(run_to_end(set), 2);
}

static void test_serve_and_stop(void **state) {
        const char *args[] = {"--brokers",          "2",
                              "--namesrv-port",     "0",
                              "--topic",            "ProgTopic:3",
                              "--set",              "maxMessageSize=1000",
                              "--fail",             "GET_ROUTEINFO_BY_TOPIC:1:SYSTEM_BUSY:namesrv",
                              "--fail",             "310:1:14:broker-b",
                              "--delay",            "100:1",
                              "--print-messages",   NULL};
        char ns[64], b0[64], b1[64];
        mp_proc_t p;
        mtc_t *c;
        rmq_cmd_t *resp;
        int64_t t0;
        (void)state;
        if (!mp_find_program())
                fail_msg("rmq-mock-cluster not found at %s", mp_program);
        start(&p, args);
        assert_true(mp_read_until(&p, "broker-b: ", 5000));
        assert_true(mp_read_until(&p, "\n", 1000));
        assert_true(!strncmp(p.buf, "namesrv: 127.0.0.1:", 19));
        mp_addr_after(&p, "namesrv: ", ns, sizeof(ns));
        mp_addr_after(&p, "broker-a: ", b0, sizeof(b0));
        mp_addr_after(&p, "broker-b: ", b1, sizeof(b1));
        c = mtc_new();
        resp = mtc_call(c, ns, mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                       "ProgTopic", NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_BUSY);
        rmq__cmd_destroy(resp);
        resp = mtc_call(c, ns, mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                       "ProgTopic", NULL));
        assert_int_equal(resp->code, 0);
        assert_non_null(memmem(resp->body, resp->body_len,
                               "\"readQueueNums\":3", 17));
        rmq__cmd_destroy(resp);
        resp = mtc_call(c, b1, mtc_send_req("ProgTopic", 2, "TagP", "x"));
        assert_int_equal(resp->code, RMQ_ERR_SERVICE_NOT_AVAILABLE);
        rmq__cmd_destroy(resp);
        t0   = rmq__mono_ms();
        resp = mtc_call(c, b1, mtc_send_req("ProgTopic", 2, "TagP", "hello"));
        assert_int_equal(resp->code, 0);
        assert_true(rmq__mono_ms() - t0 >= 90);
        rmq__cmd_destroy(resp);
        assert_true(mp_read_until(&p,
                                  "topic=ProgTopic broker=broker-b queue=2 "
                                  "offset=0",
                                  3000));
        assert_true(mp_read_until(&p, "body=hello", 1000));
        {
                char big[1200];
                memset(big, 'x', sizeof(big) - 1);
                big[sizeof(big) - 1] = '\0';
                resp = mtc_call(c, b0, mtc_send_req("ProgTopic", 0, NULL, big));
                assert_int_equal(resp->code, RMQ_ERR_MESSAGE_ILLEGAL);
                rmq__cmd_destroy(resp);
        }
        mtc_destroy(c);
        assert_int_equal(mp_stop(&p, SIGTERM), 0);
        (void)b0;
}

/* ---- --control ---- */

/* The route of \p topic: its first queue data's read queue count, or its
 * perm. */
static int route_field(mtc_t *c, const char *ns, const char *topic, bool perm) {
        rmq_cmd_t *resp = mtc_call(
            c, ns,
            mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic", topic, NULL));
        rmq_topic_route_data_t *r;
        char err[128];
        int n;
        assert_int_equal(resp->code, 0);
        assert_int_equal(rmq__topic_route_decode(resp->body, resp->body_len, &r,
                                                 err, sizeof(err)),
                         RMQ_OK);
        n = perm ? r->queueDatas[0].perm : r->queueDatas[0].readQueueNums;
        rmq__topic_route_destroy(r);
        rmq__cmd_destroy(resp);
        return n;
}

static int read_queues(mtc_t *c, const char *ns, const char *topic) {
        return route_field(c, ns, topic, false);
}

static int route_perm(mtc_t *c, const char *ns, const char *topic) {
        return route_field(c, ns, topic, true);
}

static int send_code(mtc_t *c, const char *addr, const char *topic,
                     const char *body) {
        rmq_cmd_t *resp = mtc_call(c, addr, mtc_send_req(topic, 0, NULL, body));
        int code        = resp->code;
        rmq__cmd_destroy(resp);
        return code;
}

static void test_control(void **state) {
        const char *args[] = {"--brokers", "2",         "--namesrv-port",
                              "0",         "--control", NULL};
        char ns[64], b0[64], b1[64];
        mp_proc_t p;
        mtc_t *c;
        mtc_async_t a;
        rmq_cmd_t *resp = NULL;
        int64_t t0;
        (void)state;
        if (!mp_find_program())
                fail_msg("rmq-mock-cluster not found at %s", mp_program);
        mp_spawn(&p, args, true);
        assert_true(mp_read_until(&p, "broker-b: ", 5000));
        assert_true(mp_read_until(&p, "\n", 1000));
        mp_addr_after(&p, "namesrv: ", ns, sizeof(ns));
        mp_addr_after(&p, "broker-a: ", b0, sizeof(b0));
        mp_addr_after(&p, "broker-b: ", b1, sizeof(b1));
        p.pos = p.len;
        c     = mtc_new();

        assert_string_equal(mp_ctl(&p, "bogus"),
                            "error: unknown command or wrong arguments: "
                            "bogus (try help)");
        assert_true(!strncmp(mp_ctl(&p, "help"), "ok ", 3));
        /* topic, queues */
        assert_string_equal(mp_ctl(&p, "topic CtlTopic:3"), "ok");
        assert_int_equal(read_queues(c, ns, "CtlTopic"), 3);
        assert_string_equal(mp_ctl(&p, "queues CtlTopic 5 5"), "ok");
        assert_int_equal(read_queues(c, ns, "CtlTopic"), 5);
        assert_true(!strncmp(mp_ctl(&p, "queues CtlTopic x 5"), "error: ", 7));
        /* fail, count */
        assert_string_equal(mp_ctl(&p, "fail 310:1:SYSTEM_BUSY:broker-a"),
                            "ok");
        assert_true(!strncmp(mp_ctl(&p, "fail 310:x"), "error: ", 7));
        assert_int_equal(send_code(c, b0, "CtlTopic", "x"),
                         RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(send_code(c, b0, "CtlTopic", "x"), 0);
        assert_int_equal(send_code(c, b1, "CtlTopic", "x"), 0);
        assert_string_equal(mp_ctl(&p, "count SEND_MESSAGE_V2"), "ok 3");
        assert_string_equal(mp_ctl(&p, "count 310 broker-a"), "ok 2");
        assert_string_equal(mp_ctl(&p, "count GET_ROUTEINFO_BY_TOPIC namesrv"),
                            "ok 2");
        /* clear */
        assert_string_equal(mp_ctl(&p, "fail 310:1:SYSTEM_BUSY"), "ok");
        assert_string_equal(mp_ctl(&p, "clear"), "ok");
        assert_int_equal(send_code(c, b0, "CtlTopic", "x"), 0);
        /* acl: an unsigned send is refused while ACL is on */
        {
                char path[] = "/tmp/rmq-acl-XXXXXX", line[64];
                static const char json[] =
                    "{\"accounts\":[{\"accessKey\":\"RocketMQ\","
                    "\"secretKey\":\"12345678\"}]}";
                int fd = mkstemp(path);
                assert_true(fd >= 0);
                assert_int_equal(write(fd, json, sizeof(json) - 1),
                                 (ssize_t)(sizeof(json) - 1));
                close(fd);
                snprintf(line, sizeof(line), "acl %s", path);
                assert_string_equal(mp_ctl(&p, line), "ok");
                assert_int_equal(send_code(c, b0, "CtlTopic", "x"),
                                 RMQ_ERR_SYSTEM_ERROR);
                assert_string_equal(mp_ctl(&p, "acl off"), "ok");
                assert_int_equal(send_code(c, b0, "CtlTopic", "x"), 0);
                assert_true(
                    !strncmp(mp_ctl(&p, "acl /nonexistent/acl.json"),
                             "error: ", 7));
                unlink(path);
        }
        /* delay */
        assert_string_equal(mp_ctl(&p, "delay 150:broker-b"), "ok");
        t0 = rmq__mono_ms();
        assert_int_equal(send_code(c, b1, "CtlTopic", "x"), 0);
        assert_true(rmq__mono_ms() - t0 >= 140);
        assert_string_equal(mp_ctl(&p, "delay 0:broker-b"), "ok");
        /* set */
        assert_string_equal(mp_ctl(&p, "set maxMessageSize=10"), "ok");
        assert_int_equal(send_code(c, b0, "CtlTopic", "longer than ten"),
                         RMQ_ERR_MESSAGE_ILLEGAL);
        assert_string_equal(mp_ctl(&p, "set maxMessageSize=4194304"), "ok");
        assert_true(!strncmp(mp_ctl(&p, "set nope=1"), "error: ", 7));
        /* perm */
        assert_string_equal(mp_ctl(&p, "perm CtlTopic 4"), "ok");
        assert_int_equal(route_perm(c, ns, "CtlTopic"), 4);
        assert_string_equal(mp_ctl(&p, "perm CtlTopic 6"), "ok");
        assert_int_equal(route_perm(c, ns, "CtlTopic"), 6);
        /* notify */
        mtc_heartbeat(c, b0, "9.9.9.9@ctl", NULL, "CG_CTL", "CtlTopic", "*");
        assert_string_equal(mp_ctl(&p, "notify CG_CTL"), "ok");
        assert_true(
            mtc_inbox_wait(c, RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED, 1, 3000));
        assert_string_equal(mp_ctl(&p, "notify nobody"),
                            "error: no live member of group nobody");
        /* close: a held pull's connection closes */
        mtc_async_start(c, b0,
                        mtc_pull_req("CG_CTL", "CtlTopic", 1, 0, 32,
                                     RMQ_PULL_FLAG_SUSPEND, 15000, NULL, 0),
                        20000, &a);
        mtc_barrier(c, b0);
        assert_false(mtc_async_done(&a));
        assert_string_equal(mp_ctl(&p, "close broker-a"), "ok");
        assert_true(rmq_test_wait_until(mtc_async_done_cond, &a, 3000));
        assert_int_equal(a.err, RMQ_ERR__TRANSPORT);
        uv_mutex_destroy(&a.lock);
        assert_string_equal(mp_ctl(&p, "close"), "ok");
        assert_true(!strncmp(mp_ctl(&p, "close broker-z"), "error: ", 7));
        /* down, up */
        assert_string_equal(mp_ctl(&p, "down broker-b"), "ok");
        assert_int_not_equal(
            mtc_try_call(c, b1, mtc_send_req("CtlTopic", 0, NULL, "x"), 1000,
                         &resp),
            RMQ_OK);
        assert_true(!strncmp(mp_ctl(&p, "down namesrv"), "error: ", 7));
        assert_string_equal(mp_ctl(&p, "up broker-b"), "ok");
        assert_int_equal(send_code(c, b1, "CtlTopic", "x"), 0);
        /* unregister, register */
        assert_string_equal(mp_ctl(&p, "unregister 1"), "ok");
        {
                rmq_cmd_t *r = mtc_call(c, ns,
                                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC,
                                                "topic", "CtlTopic", NULL));
                assert_null(memmem(r->body, r->body_len, "broker-b", 8));
                rmq__cmd_destroy(r);
        }
        assert_string_equal(mp_ctl(&p, "register 1"), "ok");
        /* End of input ends the commands, not the program. */
        close(p.in);
        rmq_test_sleep_ms(100);
        assert_int_equal(send_code(c, b0, "CtlTopic", "still here"), 0);
        mtc_destroy(c);
        assert_int_equal(mp_stop(&p, SIGTERM), 0);
}

static void test_sigint(void **state) {
        const char *args[] = {"--namesrv-port", "0", "--brokers", "1", NULL};
        mp_proc_t p;
        (void)state;
        if (!mp_find_program())
                fail_msg("rmq-mock-cluster not found at %s", mp_program);
        start(&p, args);
        assert_true(mp_read_until(&p, "broker-a: ", 5000));
        assert_int_equal(mp_stop(&p, SIGINT), 0);
}

static int http_get(mtc_t *c, const char *url, char *body, size_t size) {
        char *b     = NULL, err[256];
        int status  = 0;
        rmq_err_t e = rmq__remoting_http_get(c->rm, url, 3000, 4096, &status,
                                             &b, err, sizeof(err));
        if (e) {
                snprintf(body, size, "%s", err);
                return (int)e;
        }
        snprintf(body, size, "%s", b);
        rmq__free(b);
        return status;
}

/* --http-port: the name server lookup endpoint, and its control
 * commands. */
static void test_http_endpoint(void **state) {
        const char *args[] = {"--brokers",   "1", "--namesrv-port", "0",
                              "--http-port", "0", "--control",      NULL};
        char ns[64], hp[64], url[128], want[80], body[512];
        mp_proc_t p;
        mtc_t *c;
        (void)state;
        if (!mp_find_program())
                fail_msg("rmq-mock-cluster not found at %s", mp_program);
        mp_spawn(&p, args, true);
        assert_true(mp_read_until(&p, "broker-a: ", 5000));
        assert_true(mp_read_until(&p, "\n", 1000));
        mp_addr_after(&p, "namesrv: ", ns, sizeof(ns));
        mp_addr_after(&p, "http: ", hp, sizeof(hp));
        p.pos = p.len;
        c     = mtc_new();
        snprintf(url, sizeof(url), "http://%s/rocketmq/nsaddr", hp);
        snprintf(want, sizeof(want), "%s\n", ns);
        assert_int_equal(http_get(c, url, body, sizeof(body)), 200);
        assert_string_equal(body, want);
        assert_string_equal(mp_ctl(&p, "http-list 10.0.0.1:9876;10.0.0.2:9876"),
                            "ok");
        assert_int_equal(http_get(c, url, body, sizeof(body)), 200);
        assert_string_equal(body, "10.0.0.1:9876;10.0.0.2:9876\n");
        assert_string_equal(mp_ctl(&p, "http-list"), "ok");
        assert_int_equal(http_get(c, url, body, sizeof(body)), 200);
        assert_string_equal(body, want);
        /* another path */
        snprintf(url, sizeof(url), "http://%s/other", hp);
        assert_int_equal(http_get(c, url, body, sizeof(body)), 404);
        snprintf(url, sizeof(url), "http://%s/rocketmq/nsaddr", hp);
        assert_string_equal(mp_ctl(&p, "http-mode 500"), "ok");
        assert_int_equal(http_get(c, url, body, sizeof(body)), 500);
        assert_string_equal(mp_ctl(&p, "http-mode garbage"), "ok");
        assert_int_equal(http_get(c, url, body, sizeof(body)),
                         RMQ_ERR__BAD_MSG);
        assert_string_equal(mp_ctl(&p, "http-mode close"), "ok");
        assert_int_equal(http_get(c, url, body, sizeof(body)),
                         RMQ_ERR__TRANSPORT);
        assert_true(!strncmp(mp_ctl(&p, "http-mode sideways"), "error: ", 7));
        assert_string_equal(mp_ctl(&p, "http-mode ok"), "ok");
        assert_int_equal(http_get(c, url, body, sizeof(body)), 200);
        mtc_destroy(c);
        assert_int_equal(mp_stop(&p, SIGTERM), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_teardown(test_usage, mp_kill_child),
            cmocka_unit_test_teardown(test_serve_and_stop, mp_kill_child),
            cmocka_unit_test_teardown(test_sigint, mp_kill_child),
            cmocka_unit_test_teardown(test_control, mp_kill_child),
            cmocka_unit_test_teardown(test_http_endpoint, mp_kill_child),
        };
        return cmocka_run_group_tests_name("mock_program", tests, NULL, NULL);
}
