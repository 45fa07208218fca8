/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Producers and consumers over TLS to the mock cluster (name server and
 * brokers serving TLS), configured with the public properties useTLS and
 * tls.client.*: send and consume with verification, mutual TLS with an
 * encrypted key, and a failure that names its reason.
 */
#include <unistd.h>

#include "common/rmq_time.h"
#include "consumer_fixture.h"
#include "producer_fixture.h"

#define pf rmq_test_pki

static rmq_mock_cluster_t *tls_cluster(const char *client_ca) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        char err[512];
        if (rmq_mock_cluster_set_tls(mc, pf("server.pem"), pf("server.key"),
                                     client_ca, err, sizeof(err)))
                fail_msg("mock TLS: %s", err);
        fx_topic(mc, "TlsTopic", 4);
        return mc;
}

typedef struct seen_s {
        atomic_int n;
} seen_t;

static rmq_consume_status_t on_msgs(rmq_push_consumer_t *pc,
                                    const rmq_message_ext_t *const *msgs,
                                    size_t cnt, rmq_consume_context_t *ctx,
                                    void *opaque) {
        seen_t *s = opaque;
        (void)pc;
        (void)msgs;
        (void)ctx;
        atomic_fetch_add(&s->n, (int)cnt);
        return RMQ_CONSUME_SUCCESS;
}

static bool seen_20(void *arg) {
        return atomic_load(&((seen_t *)arg)->n) >= 20;
}

/* 20 messages sent and consumed over TLS with \p extra client
 * properties. */
static void send_and_consume(rmq_mock_cluster_t *mc, const char *const *extra,
                             const char *group) {
        rmq_producer_t *prod = fx_producer(mc, group, extra);
        rmq_push_consumer_t *pc;
        seen_t seen;
        const char *cextra[24];
        size_t i, k = 0;
        atomic_init(&seen.n, 0);
        for (i = 0; extra[i]; i++)
                cextra[k++] = extra[i];
        cextra[k++] = "consumeFromWhere";
        cextra[k++] = "CONSUME_FROM_FIRST_OFFSET";
        cextra[k]   = NULL;
        fx_send_n(prod, "TlsTopic", "tls", "T", 20);
        pc = fx_consumer_run(mc, group, "TlsTopic", cextra, on_msgs, &seen);
        assert_true(rmq_test_wait_until(seen_20, &seen, 15000));
        fx_destroy(pc, prod, mc);
}

static void test_tls_send_consume_verified(void **state) {
        rmq_mock_cluster_t *mc    = tls_cluster(NULL);
        const char *const extra[] = {
            "useTLS", "true", "tls.client.trustCertPath", pf("ca.pem"), NULL};
        (void)state;
        send_and_consume(mc, extra, "TlsGroup");
}

static void test_tls_mutual_encrypted_key(void **state) {
        rmq_mock_cluster_t *mc    = tls_cluster(pf("ca.pem"));
        const char *const extra[] = {"useTLS",
                                     "true",
                                     "tls.client.trustCertPath",
                                     pf("ca.pem"),
                                     "tls.client.certPath",
                                     pf("client.pem"),
                                     "tls.client.keyPath",
                                     pf("client-enc.key"),
                                     "tls.client.keyPassword",
                                     "rocketmq",
                                     NULL};
        (void)state;
        send_and_consume(mc, extra, "TlsMutualGroup");
}

static atomic_int verify_logged;

static void log_cb(rmq_log_level_t level, const char *fac,
                   const char *client_id, const char *msg, void *opaque) {
        (void)fac;
        (void)client_id;
        (void)opaque;
        if (level <= RMQ_LOG_WARN && strstr(msg, "TLS handshake with") &&
            strstr(msg, "certificate verify failed: unable to get local "
                        "issuer certificate"))
                atomic_fetch_add(&verify_logged, 1);
}

static char async_err[1024];
static atomic_int async_done;

static void on_async(rmq_producer_t *prod, rmq_err_t err, const char *errstr,
                     const rmq_send_result_t *result, void *opaque) {
        (void)prod;
        (void)result;
        (void)opaque;
        snprintf(async_err, sizeof(async_err), "%d %s", (int)err,
                 errstr ? errstr : "");
        atomic_store(&async_done, 1);
}

static bool async_finished(void *arg) {
        (void)arg;
        return atomic_load(&async_done) != 0;
}

/* Verification on, CA unknown: sends fail promptly (as Java, with "No
 * route info": the name server is not reached), the reason logged and, beyond
 * Java, given in the send's error, sync and async. */
static void test_tls_untrusted_fails(void **state) {
        rmq_mock_cluster_t *mc    = tls_cluster(NULL);
        const char *const extra[] = {"useTLS", "true",
                                     "tls.client.trustCertPath",
                                     pf("other-ca.pem"), NULL};
        rmq_producer_t *prod;
        rmq_message_t *msg     = fx_msg("TlsTopic", "x");
        rmq_send_result_t *res = NULL;
        char err[512];
        int64_t t0;
        (void)state;
        rmq_conf_t *conf = fx_conf(mc, "producerGroup", "TlsBadGroup", extra);
        rmq_conf_set_log_cb(conf, log_cb);
        assert_int_equal(rmq_conf_set(conf, "log.level", "4", err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        if (rmq_producer_start(prod, err, sizeof(err)))
                fail_msg("start: %s", err);
        t0 = rmq__mono_ms();
        assert_int_not_equal(
            rmq_producer_send(prod, msg, &res, err, sizeof(err)), RMQ_OK);
        print_message("    %s\n", err);
        assert_non_null(strstr(err, "TlsTopic"));
        /* the send's error carries the name server's TLS reason */
        assert_non_null(strstr(err, "certificate verify failed"));
        assert_true(atomic_load(&verify_logged) > 0);
        assert_true(rmq__mono_ms() - t0 < 5000 * rmq_test_tmout_multiplier());
        /* async: the same (the second fetch may meet the connect back-off
         * the failed handshake started: its reason is given then) */
        atomic_store(&async_done, 0);
        assert_int_equal(rmq_producer_send_async(prod, msg, on_async, NULL),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(async_finished, NULL, 10000));
        print_message("    async: %s\n", async_err);
        assert_non_null(strstr(async_err, "No route info of this topic"));
        assert_non_null(strstr(async_err, "the name server could not be asked"));
        assert_int_equal(rmq_mock_topic_message_count(mc, "TlsTopic"), 0);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_tls_send_consume_verified),
            cmocka_unit_test(test_tls_mutual_encrypted_key),
            cmocka_unit_test(test_tls_untrusted_fails),
        };
        return cmocka_run_group_tests(tests, rmq_test_pki_setup,
                                      rmq_test_pki_teardown);
}
