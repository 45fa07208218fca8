/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin requests DefaultMQAdminExt / mqadmin use most, answered as the
 * 4.9.8 AdminBrokerProcessor does: GET_BROKER_RUNTIME_INFO (28),
 * GET_TOPIC_STATS_INFO (202), GET_ALL_TOPIC_CONFIG (21),
 * QUERY_TOPIC_CONSUME_BY_WHO (300), GET_PRODUCER_CONNECTION_LIST (204),
 * GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201). Raw remoting calls; the bodies
 * are checked as the Java client reads them.
 */
#include "mock_client.h"
#include "protocol/rmq_jsonr.h"

typedef mtc_fx_t fx_t;

#define T "TopicAd"

static int setup(void **state) {
        fx_t *fx = mtc_fx_new(1);
        if (!fx)
                return -1;
        rmq_mock_topic_create(fx->mc, T, -1, 2, 2);
        *state = fx;
        return 0;
}

/* The body parsed as JSON (the caller deletes it). */
static cJSON *body_json(const rmq_cmd_t *resp) {
        rmq_jsonr_t jr;
        char err[128];
        cJSON *root;
        rmq__jsonr_init(&jr, err, sizeof(err));
        root = rmq__jsonr_parse(&jr, resp->body, resp->body_len);
        if (!root)
                fail_msg("body not JSON: %s", err);
        return root;
}

static const char *str_at(const cJSON *obj, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!cJSON_IsString(v))
                fail_msg("%s is not a string", key);
        return v->valuestring;
}

static double num_at(const cJSON *obj, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!cJSON_IsNumber(v))
                fail_msg("%s is not a number", key);
        return v->valuedouble;
}

static void test_runtime_info(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        cJSON *root, *table;
        mtc_send(fx->c, fx->b0, T, 0, NULL, "a");
        mtc_send(fx->c, fx->b0, T, 1, NULL, "b");
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_BROKER_RUNTIME_INFO, NULL));
        assert_int_equal(resp->code, 0);
        root  = body_json(resp);
        table = cJSON_GetObjectItemCaseSensitive(root, "table");
        assert_non_null(table);
        assert_string_equal(str_at(table, "brokerVersionDesc"), "V4_9_8");
        assert_string_equal(str_at(table, "brokerVersion"), "409");
        assert_string_equal(str_at(table, "msgPutTotalTodayNow"), "2");
        assert_string_equal(str_at(table, "putTps"), "0.0 0.0 0.0");
        assert_string_equal(str_at(table, "getTransferedTps"), "0.0 0.0 0.0");
        assert_string_equal(str_at(table, "commitLogDiskRatio"), "0.0");
        assert_string_equal(str_at(table, "pageCacheLockTimeMills"), "0");
        assert_string_equal(str_at(table, "dispatchBehindBytes"), "0");
        assert_string_equal(str_at(table, "commitLogMinOffset"), "0");
        assert_true(atoll(str_at(table, "commitLogMaxOffset")) > 0);
        assert_true(atoll(str_at(table, "earliestMessageTimeStamp")) > 0);
        assert_true(
            !strncmp(str_at(table, "runtime"), "[ 0 days, 0 hours, ", 19));
        cJSON_Delete(root);
        rmq__cmd_destroy(resp);
}

static void test_topic_stats(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        rmq_mock_msg_t *m;
        char want[160];
        int i;
        for (i = 0; i < 3; i++)
                mtc_send(fx->c, fx->b0, T, 0, NULL, "x");
        assert_int_equal(rmq_mock_queue_truncate(fx->mc, T, 0, 0, 1), RMQ_OK);
        assert_int_equal(rmq_mock_message_get(fx->mc, T, 0, 0, 2, &m), RMQ_OK);
        resp =
            mtc_call(fx->c, fx->b0,
                     mtc_req(RMQ_REQ_GET_TOPIC_STATS_INFO, "topic", T, NULL));
        assert_int_equal(resp->code, 0);
        /* MessageQueue keys, as fastjson writes a map with object keys. */
        snprintf(want, sizeof(want),
                 "{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":"
                 "\"TopicAd\"}:{\"lastUpdateTimestamp\":%lld,\"maxOffset\":3,"
                 "\"minOffset\":1}",
                 (long long)rmq_mock_msg_store_timestamp(m));
        rmq_mock_msg_destroy(m);
        assert_non_null(memmem(resp->body, resp->body_len, want, strlen(want)));
        snprintf(want, sizeof(want),
                 "{\"brokerName\":\"broker-a\",\"queueId\":1,\"topic\":"
                 "\"TopicAd\"}:{\"lastUpdateTimestamp\":0,\"maxOffset\":0,"
                 "\"minOffset\":0}");
        assert_non_null(memmem(resp->body, resp->body_len, want, strlen(want)));
        assert_true(
            !strncmp((const char *)resp->body, "{\"offsetTable\":{", 16));
        rmq__cmd_destroy(resp);
        resp = mtc_call(
            fx->c, fx->b0,
            mtc_req(RMQ_REQ_GET_TOPIC_STATS_INFO, "topic", "NoSuch", NULL));
        assert_int_equal(resp->code, RMQ_ERR_TOPIC_NOT_EXIST);
        assert_string_equal(resp->remark, "topic[NoSuch] not exist");
        rmq__cmd_destroy(resp);
}

static void test_all_topic_config(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        cJSON *root, *table, *tc;
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_ALL_TOPIC_CONFIG, NULL));
        assert_int_equal(resp->code, 0);
        assert_true(resp->ext_present);
        root = body_json(resp);
        assert_true(
            num_at(cJSON_GetObjectItemCaseSensitive(root, "dataVersion"),
                   "counter") > 0);
        table = cJSON_GetObjectItemCaseSensitive(root, "topicConfigTable");
        tc    = cJSON_GetObjectItemCaseSensitive(table, T);
        assert_non_null(tc);
        assert_string_equal(str_at(tc, "topicName"), T);
        assert_int_equal((int)num_at(tc, "readQueueNums"), 2);
        assert_int_equal((int)num_at(tc, "writeQueueNums"), 2);
        assert_int_equal((int)num_at(tc, "perm"), 6);
        assert_string_equal(str_at(tc, "topicFilterType"), "SINGLE_TAG");
        assert_true(
            cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(tc, "order")));
        tc = cJSON_GetObjectItemCaseSensitive(table, "TBW102");
        assert_int_equal((int)num_at(tc, "perm"), 7);
        cJSON_Delete(root);
        rmq__cmd_destroy(resp);
}

/* The groups of a GroupList body. */
static bool group_listed(const rmq_cmd_t *resp, const char *group) {
        cJSON *root = body_json(resp), *g;
        bool found  = false;
        cJSON_ArrayForEach(
            g, cJSON_GetObjectItemCaseSensitive(
                   root, "groupList")) if (cJSON_IsString(g) &&
                                           !strcmp(g->valuestring, group))
            found = true;
        cJSON_Delete(root);
        return found;
}

static void test_topic_consumed_by(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, "CG_SUB", T, "*");
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, "CG_OTHER", "TopicElse", "*");
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_UPDATE_CONSUMER_OFFSET, "consumerGroup",
                                "CG_OFF", "topic", T, "queueId", "0",
                                "commitOffset", "1", NULL));
        rmq__cmd_destroy(resp);
        resp = mtc_call(
            fx->c, fx->b0,
            mtc_req(RMQ_REQ_QUERY_TOPIC_CONSUME_BY_WHO, "topic", T, NULL));
        assert_int_equal(resp->code, 0);
        assert_true(group_listed(resp, "CG_SUB"));
        assert_true(group_listed(resp, "CG_OFF"));
        assert_false(group_listed(resp, "CG_OTHER"));
        rmq__cmd_destroy(resp);
}

static void test_producer_connections(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        cJSON *root, *set, *conn;
        mtc_heartbeat(fx->c, fx->b0, "10.0.0.1@p", "PG_AD", NULL, NULL, NULL);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_PRODUCER_CONNECTION_LIST,
                                "producerGroup", "PG_AD", NULL));
        assert_int_equal(resp->code, 0);
        root = body_json(resp);
        set  = cJSON_GetObjectItemCaseSensitive(root, "connectionSet");
        assert_int_equal(cJSON_GetArraySize(set), 1);
        conn = cJSON_GetArrayItem(set, 0);
        assert_string_equal(str_at(conn, "clientId"), "10.0.0.1@p");
        assert_string_equal(str_at(conn, "language"), "JAVA");
        assert_true(!strncmp(str_at(conn, "clientAddr"), "127.0.0.1:", 10));
        assert_int_equal((int)num_at(conn, "version"), 409);
        cJSON_Delete(root);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_PRODUCER_CONNECTION_LIST,
                                "producerGroup", "PG_NONE", NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "the producer group[PG_NONE] not exist");
        rmq__cmd_destroy(resp);
}

static void test_all_sub_groups(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        cJSON *root, *table, *g;
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, "CG_AD", T, "*");
        /* A pull creates its group too (autoCreateSubscriptionGroup). */
        rmq__cmd_destroy(
            mtc_call(fx->c, fx->b0,
                     mtc_pull_req("CG_PULLER", T, 0, 0, 32,
                                  RMQ_PULL_FLAG_SUBSCRIPTION, 0, "*", 0)));
        resp =
            mtc_call(fx->c, fx->b0,
                     mtc_req(RMQ_REQ_GET_ALL_SUBSCRIPTIONGROUP_CONFIG, NULL));
        assert_int_equal(resp->code, 0);
        root = body_json(resp);
        table =
            cJSON_GetObjectItemCaseSensitive(root, "subscriptionGroupTable");
        g = cJSON_GetObjectItemCaseSensitive(table, "CG_AD");
        assert_non_null(g);
        assert_string_equal(str_at(g, "groupName"), "CG_AD");
        assert_int_equal((int)num_at(g, "retryMaxTimes"), 16);
        assert_int_equal((int)num_at(g, "retryQueueNums"), 1);
        assert_int_equal((int)num_at(g, "brokerId"), 0);
        assert_int_equal((int)num_at(g, "whichBrokerWhenConsumeSlowly"), 1);
        assert_true(
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "consumeEnable")));
        assert_non_null(cJSON_GetObjectItemCaseSensitive(table, "CG_PULLER"));
        /* SubscriptionGroupManager#init's groups. */
        assert_non_null(
            cJSON_GetObjectItemCaseSensitive(table, "TOOLS_CONSUMER"));
        assert_non_null(
            cJSON_GetObjectItemCaseSensitive(table, "CID_ONSAPI_OWNER"));
        assert_true(
            num_at(cJSON_GetObjectItemCaseSensitive(root, "dataVersion"),
                   "counter") >= 9);
        cJSON_Delete(root);
        rmq__cmd_destroy(resp);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_runtime_info, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_topic_stats, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_all_topic_config, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_topic_consumed_by, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_producer_connections, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_all_sub_groups, setup,
                                            mtc_fx_teardown),
        };
        return cmocka_run_group_tests_name("mock_admin", tests, NULL, NULL);
}
