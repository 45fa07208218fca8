/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration table: Java defaults, validation, unsupported values,
 * copies, NAMESRV_ADDR, and the error table. */
#include <stdio.h>
#include <stdlib.h>

#include "common/rmq_conf_int.h"
#include "common/rmq_log.h"
#include "rocketmq/rocketmq.h"
#include "testutil.h"

static void expect_get(rmq_conf_t *conf, const char *name, const char *want) {
        char buf[256];
        size_t n = sizeof(buf);
        assert_int_equal(rmq_conf_get(conf, name, buf, &n), RMQ_OK);
        if (strcmp(buf, want))
                fail_msg("%s: got \"%s\", want \"%s\"", name, buf, want);
}

static void test_java_defaults(void **state) {
        rmq_conf_t *conf;
        (void)state;
        unsetenv("NAMESRV_ADDR");
        conf = rmq_conf_new();
        expect_get(conf, "sendMsgTimeout", "3000");
        expect_get(conf, "retryTimesWhenSendFailed", "2");
        expect_get(conf, "retryTimesWhenSendAsyncFailed", "2");
        expect_get(conf, "compressMsgBodyOverHowmuch", "4096");
        expect_get(conf, "maxMessageSize", "4194304");
        expect_get(conf, "defaultTopicQueueNums", "4");
        expect_get(conf, "createTopicKey", "TBW102");
        expect_get(conf, "producerGroup", "DEFAULT_PRODUCER");
        expect_get(conf, "pollNameServerInterval", "30000");
        expect_get(conf, "heartbeatBrokerInterval", "30000");
        expect_get(conf, "persistConsumerOffsetInterval", "5000");
        expect_get(conf, "mqClientApiTimeout", "3000");
        expect_get(conf, "connectTimeoutMillis", "3000");
        expect_get(conf, "clientAsyncSemaphoreValue", "65535");
        expect_get(conf, "clientOnewaySemaphoreValue", "65535");
        expect_get(conf, "clientCloseSocketIfTimeout", "true");
        expect_get(conf, "frameMaxLength", "16777216");
        expect_get(conf, "serializeType", "JSON");
        expect_get(conf, "instanceName", "DEFAULT");
        expect_get(conf, "vipChannelEnabled", "false");
        expect_get(conf, "sendLatencyFaultEnable", "false");
        expect_get(conf, "retryAnotherBrokerWhenNotStoreOK", "false");
        expect_get(conf, "compressLevel", "5");
        expect_get(conf, "namesrvAddr", "");
        assert_null(conf->namesrvAddr);
        assert_true(conf->clientCallbackExecutorThreads >= 1);
        rmq_conf_destroy(conf);
}

static void test_namesrv_addr_env(void **state) {
        rmq_conf_t *conf;
        (void)state;
        setenv("NAMESRV_ADDR", "10.0.0.1:9876;10.0.0.2:9876", 1);
        conf = rmq_conf_new();
        expect_get(conf, "namesrvAddr", "10.0.0.1:9876;10.0.0.2:9876");
        rmq_conf_destroy(conf);
        setenv("NAMESRV_ADDR", "not an address", 1);
        conf = rmq_conf_new();
        assert_null(conf->namesrvAddr);
        rmq_conf_destroy(conf);
        unsetenv("NAMESRV_ADDR");
}

static void test_set_and_validate(void **state) {
        rmq_conf_t *conf = rmq_conf_new();
        char err[256];
        (void)state;
        assert_int_equal(rmq_conf_set(conf, "sendMsgTimeout", "100", err,
                                      sizeof(err)),
                         RMQ_OK);
        expect_get(conf, "sendMsgTimeout", "100");
        assert_int_equal(rmq_conf_set(conf, "sendMsgTimeout", "abc", err,
                                      sizeof(err)),
                         RMQ_ERR__CONF_INVALID);
        assert_non_null(strstr(err, "integer"));
        assert_int_equal(rmq_conf_set(conf, "sendMsgTimeout", "0", err,
                                      sizeof(err)),
                         RMQ_ERR__CONF_INVALID);
        assert_non_null(strstr(err, "out of range"));
        assert_int_equal(rmq_conf_set(conf, "sendMsgTimeout", "12 ", err,
                                      sizeof(err)),
                         RMQ_ERR__CONF_INVALID);
        assert_int_equal(rmq_conf_set(conf, "noSuchThing", "1", err,
                                      sizeof(err)),
                         RMQ_ERR__CONF_UNKNOWN);
        assert_non_null(strstr(err, "noSuchThing"));
        assert_int_equal(rmq_conf_set(conf, "unitMode", "yes", err,
                                      sizeof(err)),
                         RMQ_ERR__CONF_INVALID);
        assert_int_equal(rmq_conf_set(conf, "serializeType", "ROCKETMQ", err,
                                      sizeof(err)),
                         RMQ_OK);
        assert_int_equal(conf->serializeType, RMQ_SERIALIZE_ROCKETMQ);
        assert_int_equal(rmq_conf_set(conf, "serializeType", "XML", err,
                                      sizeof(err)),
                         RMQ_ERR__CONF_INVALID);
        assert_non_null(strstr(err, "JSON|ROCKETMQ"));
        assert_int_equal(rmq_conf_set(conf, "namesrvAddr", "host-no-port",
                                      err, sizeof(err)),
                         RMQ_ERR__CONF_INVALID);
        assert_int_equal(rmq_conf_set(conf, "namesrvAddr",
                                      "a:1; [::1]:9876", err, sizeof(err)),
                         RMQ_OK);
        /* TLS is accepted; the server is verified unless told not to */
        assert_int_equal(rmq_conf_set(conf, "useTLS", "true", err, sizeof(err)),
                         RMQ_OK);
        {
                char v[16];
                size_t vs = sizeof(v);
                assert_int_equal(
                    rmq_conf_get(conf, "tls.client.authServer", v, &vs),
                    RMQ_OK);
                assert_string_equal(v, "true");
        }
        assert_int_equal(rmq_conf_set(conf, "useTLS", "false", err,
                                      sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_conf_set(conf, "debug", "remoting,route", err,
                                      sizeof(err)),
                         RMQ_OK);
        assert_int_equal(conf->debug_mask, RMQ_DBG_REMOTING | RMQ_DBG_ROUTE);
        assert_int_equal(rmq_conf_set(conf, "debug", "remoting,bogus", err,
                                      sizeof(err)),
                         RMQ_ERR__CONF_INVALID);
        /* NULL resets to the default */
        assert_int_equal(rmq_conf_set(conf, "sendMsgTimeout", NULL, err,
                                      sizeof(err)),
                         RMQ_OK);
        expect_get(conf, "sendMsgTimeout", "3000");
        rmq_conf_destroy(conf);
}

static void test_get_sizes_and_dup(void **state) {
        rmq_conf_t *conf = rmq_conf_new(), *dup;
        char small[3];
        size_t n = 0;
        (void)state;
        rmq_conf_set(conf, "producerGroup", "PG_TEST", NULL, 0);
        assert_int_equal(rmq_conf_get(conf, "producerGroup", NULL, &n),
                         RMQ_OK);
        assert_int_equal(n, 8);
        n = sizeof(small);
        assert_int_equal(rmq_conf_get(conf, "producerGroup", small, &n),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(n, 8);
        dup = rmq_conf_dup(conf);
        rmq_conf_set(conf, "producerGroup", "OTHER", NULL, 0);
        expect_get(dup, "producerGroup", "PG_TEST");
        rmq_conf_destroy(conf);
        rmq_conf_destroy(dup);
        rmq_conf_destroy(NULL);
}

static void test_property_table_is_documented(void **state) {
        int i, n = 0;
        const char *name, *type, *def, *doc;
        (void)state;
        for (i = 0; rmq_conf_property_info(i, &name, &type, &def, &doc); i++) {
                char buf[256];
                size_t len = sizeof(buf);
                rmq_conf_t *conf = rmq_conf_new();
                assert_true(strlen(doc) > 10);
                /* every listed property can be read back */
                assert_int_equal(rmq_conf_get(conf, name, buf, &len), RMQ_OK);
                rmq_conf_destroy(conf);
                n++;
        }
        assert_true(n >= 40);
        assert_int_equal(rmq_conf_property_info(-1, NULL, NULL, NULL, NULL),
                         0);
}

static void test_err_table(void **state) {
        (void)state;
        assert_string_equal(rmq_err2name(RMQ_OK), "OK");
        assert_string_equal(rmq_err2name(RMQ_ERR_TOPIC_NOT_EXIST),
                            "TOPIC_NOT_EXIST");
        assert_int_equal(RMQ_ERR_TOPIC_NOT_EXIST, 17);
        assert_int_equal(RMQ_ERR_PULL_NOT_FOUND, 19);
        assert_int_equal(RMQ_ERR_SYSTEM_BUSY, 2);
        assert_string_equal(rmq_err2name(RMQ_ERR__TIMED_OUT), "_TIMED_OUT");
        assert_string_equal(rmq_err2str(RMQ_ERR__TIMED_OUT),
                            "Local: timed out");
        assert_string_equal(rmq_err2name((rmq_err_t)9999), "UNKNOWN");
        assert_non_null(rmq_err2str((rmq_err_t)-9999));
        assert_true(rmq_version() == RMQ_VERSION_HEX);
        assert_string_equal(rmq_version_str(), RMQ_VERSION_STR);
}

typedef struct logrec_s {
        int calls;
        char last[256];
} logrec_t;

static void log_cb(rmq_log_level_t level, const char *fac, const char *cid,
                   const char *msg, void *opaque) {
        logrec_t *r = opaque;
        (void)level;
        (void)cid;
        r->calls++;
        snprintf(r->last, sizeof(r->last), "%s:%s", fac, msg);
}

static void test_logger_levels_and_debug(void **state) {
        logrec_t rec = {0, ""};
        rmq_logger_t lg = {log_cb, &rec, RMQ_LOG_WARN, 0, "id", 0};
        (void)state;
        rmq__log(&lg, RMQ_LOG_INFO, "X", "hidden %d", 1);
        assert_int_equal(rec.calls, 0);
        rmq__log(&lg, RMQ_LOG_ERROR, "X", "shown %d", 2);
        assert_int_equal(rec.calls, 1);
        assert_string_equal(rec.last, "X:shown 2");
        rmq__dbg(&lg, ROUTE, "off");
        assert_int_equal(rec.calls, 1);
        lg.debug = RMQ_DBG_ROUTE;
        rmq__dbg(&lg, ROUTE, "on %s", "now");
        assert_int_equal(rec.calls, 2);
        assert_string_equal(rec.last, "ROUTE:on now");
        rmq__dbg(&lg, PRODUCER, "other facility");
        assert_int_equal(rec.calls, 2);
        lg.cb = NULL; /* silenced */
        rmq__log(&lg, RMQ_LOG_ERROR, "X", "nothing");
        assert_int_equal(rec.calls, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_java_defaults),
            cmocka_unit_test(test_namesrv_addr_env),
            cmocka_unit_test(test_set_and_validate),
            cmocka_unit_test(test_get_sizes_and_dup),
            cmocka_unit_test(test_property_table_is_documented),
            cmocka_unit_test(test_err_table),
            cmocka_unit_test(test_logger_levels_and_debug),
        };
        return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
