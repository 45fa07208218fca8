/* SPDX-License-Identifier: Apache-2.0 */
/* Connection helpers: the connect back-off table, the log rate limiter
 * (with an injected clock), the name server lookup URL (MixAll.getWSAddr)
 * and the VIP channel address (MixAll.brokerVIPChannel). */
#include <stdio.h>
#include <stdlib.h>

#include "client/rmq_client_int.h"
#include "common/rmq_conf_int.h"
#include "common/rmq_log.h"
#include "common/rmq_net.h"
#include "remoting/rmq_backoff.h"
#include "rocketmq/rocketmq.h"
#include "testutil.h"

static void test_backoff_delays(void **state) {
        (void)state;
        assert_int_equal(rmq__backoff_delay(100, 10000, 0), 0);
        assert_int_equal(rmq__backoff_delay(100, 10000, 1), 100);
        assert_int_equal(rmq__backoff_delay(100, 10000, 2), 200);
        assert_int_equal(rmq__backoff_delay(100, 10000, 5), 1600);
        assert_int_equal(rmq__backoff_delay(100, 10000, 7), 6400);
        assert_int_equal(rmq__backoff_delay(100, 10000, 8), 10000);
        assert_int_equal(rmq__backoff_delay(100, 10000, 64), 10000);
        assert_int_equal(rmq__backoff_delay(0, 10000, 3), 0);
}

static void test_backoff_table(void **state) {
        rmq_backoff_t *b = rmq__backoff_new(100, 1000);
        int64_t now      = 1000000, d;
        int fails, i;
        (void)state;
        assert_int_equal(rmq__backoff_remaining(b, "h:1", now, &fails), 0);
        assert_int_equal(fails, 0);
        /* each failure: the doubled delay within +-20% jitter */
        for (i = 1; i <= 6; i++) {
                int64_t base = rmq__backoff_delay(100, 1000, i);
                int64_t lo = base * 8 / 10, hi = base * 12 / 10;
                if (hi > 1000)
                        hi = 1000;
                d = rmq__backoff_failed(b, "h:1", now);
                if (d < lo || d > hi)
                        fail_msg("failure %d: delay %lld not in [%lld, %lld]",
                                 i, (long long)d, (long long)lo, (long long)hi);
                assert_int_equal(rmq__backoff_remaining(b, "h:1", now, &fails),
                                 d);
                assert_int_equal(fails, i);
                assert_int_equal(
                    rmq__backoff_remaining(b, "h:1", now + d - 1, NULL), 1);
                assert_int_equal(
                    rmq__backoff_remaining(b, "h:1", now + d, NULL), 0);
                now += d;
        }
        /* another address is independent */
        assert_int_equal(rmq__backoff_remaining(b, "h:2", now, NULL), 0);
        /* a success resets */
        rmq__backoff_failed(b, "h:1", now);
        rmq__backoff_succeeded(b, "h:1");
        assert_int_equal(rmq__backoff_remaining(b, "h:1", now, &fails), 0);
        assert_int_equal(fails, 0);
        d = rmq__backoff_failed(b, "h:1", now);
        assert_true(d >= 80 && d <= 120);
        assert_int_equal(rmq__backoff_count(b), 1);
        /* failures in a row grow the delay; after a quiet spell longer than
         * the maximum delay past the back-off's end, it starts over */
        now += d;
        d = rmq__backoff_failed(b, "h:1", now); /* second in a row */
        assert_true(d >= 160 && d <= 240);
        now += d + 1000 + 1; /* unused for longer than max_ms */
        d = rmq__backoff_failed(b, "h:1", now);
        assert_true(d >= 80 && d <= 120);
        assert_int_equal(rmq__backoff_remaining(b, "h:1", now, &fails), d);
        assert_int_equal(fails, 1);
        rmq__backoff_free(b);

        /* off */
        b = rmq__backoff_new(0, 1000);
        assert_int_equal(rmq__backoff_failed(b, "h:1", now), 0);
        assert_int_equal(rmq__backoff_remaining(b, "h:1", now, NULL), 0);
        rmq__backoff_free(b);
}

static void test_backoff_bounded(void **state) {
        rmq_backoff_t *b = rmq__backoff_new(10, 20);
        char addr[32];
        int i;
        (void)state;
        for (i = 0; i < RMQ_BACKOFF_CAP + 10; i++) {
                snprintf(addr, sizeof(addr), "10.0.0.1:%d", i);
                rmq__backoff_failed(b, addr, 1000);
        }
        assert_int_equal(rmq__backoff_count(b), RMQ_BACKOFF_CAP);
        /* long after, expired entries make room */
        assert_true(rmq__backoff_failed(b, "new:1", 100000) > 0);
        assert_true(rmq__backoff_count(b) <= RMQ_BACKOFF_CAP);
        assert_true(rmq__backoff_remaining(b, "new:1", 100000, NULL) > 0);
        rmq__backoff_free(b);
}

static void test_log_rate_limiter(void **state) {
        rmq_log_rl_t *rl = calloc(1, sizeof(*rl));
        uint64_t dropped = 99;
        int i;
        (void)state;
        rmq__log_rl_init(rl);
        /* first one logged */
        assert_true(rmq__log_rl_check(rl, 42, 1000, 10000, &dropped));
        assert_int_equal(dropped, 0);
        /* repeats within the interval dropped */
        for (i = 0; i < 5; i++)
                assert_false(rmq__log_rl_check(rl, 42, 1000 + i * 1000, 10000,
                                               &dropped));
        /* another key is independent */
        assert_true(rmq__log_rl_check(rl, 43, 2000, 10000, &dropped));
        assert_int_equal(dropped, 0);
        /* after the interval: logged with the count */
        assert_true(rmq__log_rl_check(rl, 42, 11000, 10000, &dropped));
        assert_int_equal(dropped, 5);
        assert_false(rmq__log_rl_check(rl, 42, 11001, 10000, &dropped));
        assert_true(rmq__log_rl_check(rl, 42, 30000, 10000, &dropped));
        assert_int_equal(dropped, 1);
        /* nothing dropped since: no count */
        assert_true(rmq__log_rl_check(rl, 42, 50000, 10000, &dropped));
        assert_int_equal(dropped, 0);
        rmq__log_rl_destroy(rl);
        free(rl);
}

typedef struct lines_s {
        int calls;
        char last[512];
} lines_t;

static void rec_cb(rmq_log_level_t level, const char *fac,
                   const char *client_id, const char *msg, void *opaque) {
        lines_t *r = opaque;
        (void)level;
        (void)fac;
        (void)client_id;
        r->calls++;
        snprintf(r->last, sizeof(r->last), "%s", msg);
}

static void test_log_rl_lines(void **state) {
        lines_t rec;
        rmq_logger_t lg;
        int i;
        (void)state;
        memset(&rec, 0, sizeof(rec));
        memset(&lg, 0, sizeof(lg));
        lg.cb     = rec_cb;
        lg.opaque = &rec;
        lg.level  = RMQ_LOG_WARN;
        lg.rl_ms  = 60000;
        snprintf(lg.client_id, sizeof(lg.client_id), "rl-test-%p",
                 (void *)&rec);
        /* lines differing only in numbers count as one */
        for (i = 0; i < 50; i++)
                rmq__log_rl(&lg, RMQ_LOG_WARN, "T",
                            "connect to 127.0.0.1:%d failed, next in %d ms", 1,
                            i);
        assert_int_equal(rec.calls, 1);
        assert_string_equal(rec.last,
                            "connect to 127.0.0.1:1 failed, next in 0 ms");
        rmq__log_rl(&lg, RMQ_LOG_WARN, "T", "another line");
        assert_int_equal(rec.calls, 2);
        /* another address is another line; plain numbers (a queue id)
         * still fold */
        rmq__log_rl(&lg, RMQ_LOG_WARN, "T",
                    "connect to 127.0.0.2:1 failed, next in 0 ms");
        assert_int_equal(rec.calls, 3);
        rmq__log_rl(&lg, RMQ_LOG_WARN, "T", "pull queue 1 of 10.0.0.7:10911");
        rmq__log_rl(&lg, RMQ_LOG_WARN, "T", "pull queue 2 of 10.0.0.7:10911");
        assert_int_equal(rec.calls, 4);
        rmq__log_rl(&lg, RMQ_LOG_WARN, "T", "pull queue 1 of 10.0.0.8:10911");
        assert_int_equal(rec.calls, 5);
        /* a different facility is another line */
        rmq__log_rl(&lg, RMQ_LOG_WARN, "U",
                    "connect to 127.0.0.1:1 failed, next in 0 ms");
        assert_int_equal(rec.calls, 6);
        /* off: every line */
        lg.rl_ms = 0;
        rmq__log_rl(&lg, RMQ_LOG_WARN, "T", "another line");
        rmq__log_rl(&lg, RMQ_LOG_WARN, "T", "another line");
        assert_int_equal(rec.calls, 8);
        /* below the level: nothing, and not counted */
        lg.rl_ms = 60000;
        rmq__log_rl(&lg, RMQ_LOG_INFO, "T", "info line");
        assert_int_equal(rec.calls, 8);
}

static void test_ws_addr(void **state) {
        rmq_conf_t *conf = rmq_conf_new();
        char url[512];
        (void)state;
        /* MixAll.getWSAddr defaults */
        rmq__client_ws_addr(conf, url, sizeof(url));
        assert_string_equal(url,
                            "http://jmenv.tbsite.net:8080/rocketmq/nsaddr");
        rmq_conf_set(conf, "rocketmq.namesrv.domain", "ns.example.com", NULL,
                     0);
        rmq_conf_set(conf, "rocketmq.namesrv.domain.subgroup", "grp", NULL, 0);
        rmq__client_ws_addr(conf, url, sizeof(url));
        assert_string_equal(url, "http://ns.example.com:8080/rocketmq/grp");
        /* a domain with a port keeps it */
        rmq_conf_set(conf, "rocketmq.namesrv.domain", "127.0.0.1:18080", NULL,
                     0);
        rmq__client_ws_addr(conf, url, sizeof(url));
        assert_string_equal(url, "http://127.0.0.1:18080/rocketmq/grp");
        /* TopAddressing's unit suffix */
        rmq_conf_set(conf, "unitName", "u1", NULL, 0);
        rmq__client_ws_addr(conf, url, sizeof(url));
        assert_string_equal(url,
                            "http://127.0.0.1:18080/rocketmq/grp-u1?nofix=1");
        rmq_conf_destroy(conf);
}

static void test_vip_addr(void **state) {
        char a[64];
        (void)state;
        snprintf(a, sizeof(a), "10.1.2.3:10911");
        rmq__broker_vip_addr(false, a, sizeof(a));
        assert_string_equal(a, "10.1.2.3:10911");
        rmq__broker_vip_addr(true, a, sizeof(a));
        assert_string_equal(a, "10.1.2.3:10909");
        snprintf(a, sizeof(a), "no-port");
        rmq__broker_vip_addr(true, a, sizeof(a));
        assert_string_equal(a, "no-port");
}

static void test_conf_defaults(void **state) {
        rmq_conf_t *conf = rmq_conf_new();
        char buf[128];
        size_t n;
        (void)state;
#define EXPECT(name, want)                                                     \
        n = sizeof(buf);                                                       \
        assert_int_equal(rmq_conf_get(conf, name, buf, &n), RMQ_OK);           \
        assert_string_equal(buf, want)
        EXPECT("rocketmq.namesrv.domain", "jmenv.tbsite.net");
        EXPECT("rocketmq.namesrv.domain.subgroup", "nsaddr");
        EXPECT("rocketmq.namesrv.domain.fetchInterval", "120000");
        EXPECT("reconnect.backoff.ms", "100");
        EXPECT("reconnect.backoff.max.ms", "10000");
        EXPECT("log.rate.limit.ms", "10000");
        EXPECT("vipChannelEnabled", "false");
#undef EXPECT
        rmq_conf_destroy(conf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_backoff_delays),
            cmocka_unit_test(test_backoff_table),
            cmocka_unit_test(test_backoff_bounded),
            cmocka_unit_test(test_log_rate_limiter),
            cmocka_unit_test(test_log_rl_lines),
            cmocka_unit_test(test_ws_addr),
            cmocka_unit_test(test_vip_addr),
            cmocka_unit_test(test_conf_defaults),
        };
        return cmocka_run_group_tests_name("connections", tests, NULL, NULL);
}
