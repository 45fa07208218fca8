/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Name server lookup over HTTP (Java TopAddressing, MixAll.getWSAddr,
 * MQClientAPIImpl.fetchNameServerAddr) against the mock's endpoint: a
 * client with only rocketmq.namesrv.domain finds the name server and
 * sends; a changed list is applied at the next fetch; HTTP errors are
 * logged and keep the old list; an unreachable endpoint gives a clear
 * error on first use.
 */
#include "consumer_fixture.h"

typedef struct lookup_fx_s {
        rmq_mock_cluster_t *mc;
        int port;
        fx_logcap_t lc;
} lookup_fx_t;

static void fx_http(lookup_fx_t *f) {
        char err[256];
        f->mc = fx_cluster(1);
        if (rmq_mock_http_start(f->mc, 0, &f->port, err, sizeof(err)))
                fail_msg("http: %s", err);
}

/* A started producer whose only name server setting is the domain. */
static rmq_producer_t *lookup_producer_at(const char *host, int port,
                                          const char *group, fx_logcap_t *lc,
                                          const char *const *extra) {
        rmq_conf_t *conf;
        char dom[64];
        unsetenv("NAMESRV_ADDR"); /* read by rmq_conf_new */
        conf = rmq_conf_new();
        snprintf(dom, sizeof(dom), "%s:%d", host, port);
        fx_conf_set_pairs(
            conf, (const char *const[]){
                      "producerGroup", group, "rocketmq.namesrv.domain", dom,
                      "rocketmq.namesrv.domain.subgroup", "nsaddr-test", NULL});
        fx_conf_set_pairs(conf, extra);
        if (lc) {
                fx_logcap_attach(conf, lc);
                fx_conf_set_pairs(
                    conf, (const char *const[]){"log.level", "6", NULL});
        } else {
                fx_conf_set_pairs(
                    conf, (const char *const[]){"log.level", "2", NULL});
        }
        return fx_producer_from_conf(conf);
}

static rmq_producer_t *lookup_producer(int port, const char *group,
                                       fx_logcap_t *lc,
                                       const char *const *extra) {
        return lookup_producer_at("127.0.0.1", port, group, lc, extra);
}

static rmq_err_t send_one(rmq_producer_t *prod, const char *topic, char *err,
                          size_t errsize) {
        rmq_message_t *msg = fx_msg(topic, "hello");
        rmq_err_t e        = rmq_producer_send(prod, msg, NULL, err, errsize);
        rmq_message_destroy(msg);
        return e;
}

/* A producer with only the domain \p host:<port> finds the name server
 * (fetched in start, as MQClientInstance.start) and sends. */
static void lookup_and_send(const char *host) {
        lookup_fx_t f;
        rmq_producer_t *prod;
        char err[512];
        memset(&f, 0, sizeof(f));
        fx_http(&f);
        fx_topic(f.mc, "TL", 4);
        prod = lookup_producer_at(host, f.port, "PG_LOOKUP", NULL, NULL);
        assert_true(rmq_mock_http_requests(f.mc) >= 1);
        if (send_one(prod, "TL", err, sizeof(err)))
                fail_msg("send: %s", err);
        assert_int_equal(rmq_mock_topic_message_count(f.mc, "TL"), 1);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(f.mc);
}

static void test_lookup_finds_namesrv(void **state) {
        (void)state;
        lookup_and_send("127.0.0.1");
}

/* A host name: looked up on the transport's resolver thread. */
static void test_lookup_by_host_name(void **state) {
        (void)state;
        lookup_and_send("localhost");
}

typedef struct moved_s {
        rmq_producer_t *prod;
        rmq_mock_cluster_t *to;
} moved_t;

static bool lands_in_new_cluster(void *arg) {
        moved_t *m = arg;
        char err[512];
        send_one(m->prod, "TL", err, sizeof(err));
        return rmq_mock_topic_message_count(m->to, "TL") > 0;
}

static void test_list_change_applied(void **state) {
        lookup_fx_t f;
        rmq_mock_cluster_t *mc2 = fx_cluster(1);
        rmq_producer_t *prod;
        moved_t m;
        char err[512];
        (void)state;
        memset(&f, 0, sizeof(f));
        fx_http(&f);
        fx_topic(f.mc, "TL", 4);
        fx_topic(mc2, "TL", 4);
        fx_logcap_init(&f.lc, "name server address changed", NULL);
        prod =
            lookup_producer(f.port, "PG_MOVE", &f.lc,
                            (const char *const[]){
                                "rocketmq.namesrv.domain.fetchInterval", "100",
                                "pollNameServerInterval", "100", NULL});
        assert_int_equal(fx_logcap_hits(&f.lc, 0, NULL), 1); /* null -> x */
        if (send_one(prod, "TL", err, sizeof(err)))
                fail_msg("send: %s", err);
        assert_int_equal(rmq_mock_topic_message_count(f.mc, "TL"), 1);
        /* the endpoint now names the other cluster's name server */
        assert_int_equal(
            rmq_mock_http_set_list(f.mc, rmq_mock_cluster_namesrv_addr(mc2)),
            RMQ_OK);
        m.prod = prod;
        m.to   = mc2;
        assert_true(rmq_test_wait_until(lands_in_new_cluster, &m, 10000));
        assert_int_equal(fx_logcap_hits(&f.lc, 0, NULL), 2);
        rmq_producer_destroy(prod);
        fx_logcap_fini(&f.lc);
        rmq_mock_cluster_destroy(mc2);
        rmq_mock_cluster_destroy(f.mc);
}

static bool got_failure_line(void *arg) {
        return fx_logcap_hits(arg, 1, NULL) > 0;
}

/* Each endpoint fault: a clear warning, the old list kept (sends go on). */
static void test_http_errors_keep_list(void **state) {
        static const struct {
                rmq_mock_http_mode_t mode;
                int status;
                const char *want;
        } cases[] = {
            {RMQ_MOCK_HTTP_STATUS, 404,
             "failed: statusCode=404; keeping 127.0.0.1:"},
            {RMQ_MOCK_HTTP_STATUS, 500, "failed: statusCode=500; keeping"},
            {RMQ_MOCK_HTTP_GARBAGE, 0, "not an HTTP response"},
            {RMQ_MOCK_HTTP_CLOSE, 0, "connection closed before any response"},
            {RMQ_MOCK_HTTP_HANG, 0, "no complete answer within 3000 ms"},
        };
        lookup_fx_t f;
        rmq_producer_t *prod;
        char err[512];
        size_t i;
        (void)state;
        memset(&f, 0, sizeof(f));
        fx_http(&f);
        fx_topic(f.mc, "TL", 4);
        prod = lookup_producer(
            f.port, "PG_ERRS", NULL,
            (const char *const[]){"rocketmq.namesrv.domain.fetchInterval",
                                  "100", NULL});
        for (i = 0; i < RMQ_ARRAY_SIZE(cases); i++) {
                fx_logcap_t lc;
                fx_logcap_init(&lc, "name server address changed",
                               cases[i].want);
                /* the logger of a started producer cannot change: use a
                 * second producer in its own instance for the lines */
                {
                        char inst[32];
                        rmq_producer_t *p2;
                        snprintf(inst, sizeof(inst), "errs-%zu", i);
                        p2 = lookup_producer(
                            f.port, "PG_ERRS2", &lc,
                            (const char *const[]){
                                "rocketmq.namesrv.domain.fetchInterval", "100",
                                "log.rate.limit.ms", "0", "instanceName", inst,
                                NULL});
                        assert_int_equal(
                            rmq_mock_http_set_mode(f.mc, cases[i].mode,
                                                   cases[i].status),
                            RMQ_OK);
                        if (!rmq_test_wait_until(got_failure_line, &lc, 15000))
                                fail_msg("case %zu: no line with \"%s\"", i,
                                         cases[i].want);
                        /* the list stays: both still send */
                        if (send_one(p2, "TL", err, sizeof(err)))
                                fail_msg("case %zu: send: %s", i, err);
                        if (send_one(prod, "TL", err, sizeof(err)))
                                fail_msg("case %zu: send: %s", i, err);
                        /* never "changed" after the first fetch */
                        assert_int_equal(fx_logcap_hits(&lc, 0, NULL), 1);
                        assert_int_equal(
                            rmq_mock_http_set_mode(f.mc, RMQ_MOCK_HTTP_OK, 0),
                            RMQ_OK);
                        rmq_producer_destroy(p2);
                }
                fx_logcap_fini(&lc);
        }
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(f.mc);
}

static void test_unreachable_endpoint(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        char err[512];
        int port;
        (void)state;
        /* a port where nothing listens */
        assert_int_equal(rmq_mock_http_start(mc, 0, &port, err, sizeof(err)),
                         RMQ_OK);
        rmq_mock_cluster_destroy(mc);
        prod = lookup_producer(port, "PG_UNREACH", NULL, NULL);
        assert_int_equal(send_one(prod, "TL", err, sizeof(err)),
                         RMQ_ERR__NO_NAMESRV);
        print_message("%s\n", err);
        assert_non_null(strstr(err, "No name server address"));
        assert_non_null(strstr(err, "the lookup at http://127.0.0.1:"));
        assert_non_null(strstr(err, "/rocketmq/nsaddr-test failed"));
        assert_non_null(strstr(err, "connect failed"));
        rmq_producer_destroy(prod);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lookup_finds_namesrv),
            cmocka_unit_test(test_lookup_by_host_name),
            cmocka_unit_test(test_list_change_applied),
            cmocka_unit_test(test_http_errors_keep_list),
            cmocka_unit_test(test_unreachable_endpoint),
        };
        return cmocka_run_group_tests_name("namesrv_lookup", tests, NULL, NULL);
}
