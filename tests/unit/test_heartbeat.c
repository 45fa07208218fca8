/* SPDX-License-Identifier: Apache-2.0 */
/* Heartbeat bodies and subscriptions: every captured heartbeat decodes and
 * re-encodes to the Java client's bytes; heartbeats built from scratch with
 * the same values give the same bytes (subscription order included);
 * tag expressions build as FilterAPI does, sets in Java's HashSet order;
 * malformed bodies give clean errors. */
#include <stdio.h>
#include <stdlib.h>

#include "common/rmq_str.h"
#include "protocol/rmq_heartbeat.h"
#include "remoting/rmq_remoting_cmd.h"
#include "testutil.h"

static void assert_body_equals(const rmq_buf_t *out, const rmq_cmd_t *cmd) {
        if (out->len != cmd->body_len ||
            memcmp(out->data, cmd->body, out->len))
                fail_msg("encoded:\n%.*s\nfixture:\n%.*s", (int)out->len,
                         (const char *)out->data, (int)cmd->body_len,
                         (const char *)cmd->body);
}

static void test_every_fixture_heartbeat_round_trips(void **state) {
        size_t n, i, seen = 0;
        char **names = rmq_test_fixture_list(&n);
        (void)state;
        for (i = 0; i < n; i++) {
                rmq_cmd_t *cmd;
                rmq_heartbeat_data_t *hb = NULL;
                rmq_buf_t out = RMQ_BUF_INIT;
                char err[256] = "";
                if (!strstr(names[i], "client2broker-HEART_BEAT"))
                        continue;
                cmd = rmq_test_fixture_cmd(names[i], NULL, 0);
                if (rmq__heartbeat_decode(cmd->body, cmd->body_len, &hb, err,
                                          sizeof(err)))
                        fail_msg("%s: %s", names[i], err);
                assert_non_null(hb->clientID);
                assert_memory_equal(hb->clientID, "192.0.2.2@", 10);
                assert_true(hb->producerDataSet_cnt >= 1);
                rmq__heartbeat_encode(hb, &out);
                assert_body_equals(&out, cmd);
                rmq__buf_free(&out);
                rmq__heartbeat_destroy(hb);
                rmq__cmd_destroy(cmd);
                seen++;
        }
        rmq_test_strv_free(names);
        assert_int_equal(seen, 9);
}

static void test_decoded_fields(void **state) {
        rmq_cmd_t *cmd           = rmq_test_fixture_cmd("031-", NULL, 0);
        rmq_heartbeat_data_t *hb = NULL;
        const rmq_consumer_data_t *cd;
        const rmq_subscription_data_t *sd;
        (void)state;
        assert_int_equal(rmq__heartbeat_decode(cmd->body, cmd->body_len, &hb,
                                               NULL, 0),
                         RMQ_OK);
        assert_string_equal(hb->clientID, "192.0.2.2@orderly-16465");
        assert_int_equal(hb->consumerDataSet_cnt, 1);
        cd = &hb->consumerDataSet[0];
        assert_string_equal(cd->groupName, "CG_ORDER_r1");
        assert_int_equal(cd->consumeType, RMQ_HB_CONSUME_PASSIVELY);
        assert_int_equal(cd->messageModel, RMQ_HB_CLUSTERING);
        assert_int_equal(cd->consumeFromWhere,
                         RMQ_HB_CONSUME_FROM_FIRST_OFFSET);
        assert_false(cd->unitMode);
        assert_int_equal(cd->subscriptionDataSet_cnt, 2);
        sd = &cd->subscriptionDataSet[1];
        assert_string_equal(sd->topic, "TopicOrder");
        assert_string_equal(sd->subString, "TagOrder");
        assert_int_equal(sd->subVersion, 1795617277057LL);
        assert_int_equal(sd->tagsSet_cnt, 1);
        assert_string_equal(sd->tagsSet[0], "TagOrder");
        assert_int_equal(sd->codeSet_cnt, 1);
        assert_int_equal(sd->codeSet[0], -714019852);
        assert_int_equal(sd->codeSet[0], rmq__java_hash("TagOrder", 8));
        assert_true(rmq__subscription_match_tag(sd, "TagOrder", 8));
        assert_false(rmq__subscription_match_tag(sd, "TagOther", 8));
        assert_false(rmq__subscription_match_tag(sd, NULL, 0));
        sd = &cd->subscriptionDataSet[0];
        assert_string_equal(sd->subString, "*");
        assert_true(rmq__subscription_match_tag(sd, NULL, 0));
        rmq__heartbeat_destroy(hb);
        rmq__cmd_destroy(cmd);
        /* the lite pull consumer */
        cmd = rmq_test_fixture_cmd("053-", NULL, 0);
        assert_int_equal(rmq__heartbeat_decode(cmd->body, cmd->body_len, &hb,
                                               NULL, 0),
                         RMQ_OK);
        assert_int_equal(hb->consumerDataSet[0].consumeType,
                         RMQ_HB_CONSUME_ACTIVELY);
        assert_int_equal(hb->consumerDataSet[0].consumeFromWhere,
                         RMQ_HB_CONSUME_FROM_LAST_OFFSET);
        rmq__heartbeat_destroy(hb);
        rmq__cmd_destroy(cmd);
}

typedef struct sub_spec_s {
        const char *topic;
        const char *expr;
        int64_t subVersion;
} sub_spec_t;

/* Builds a heartbeat as the client will, adding the subscriptions in the
 * order given, then putting them in Java's order. */
static void build_and_compare(const char *fixture, const char *clientID,
                              const char *group, int type, int model,
                              int from, const sub_spec_t *subs, size_t nsubs,
                              const char *const *producers, size_t nprod) {
        rmq_cmd_t *cmd           = rmq_test_fixture_cmd(fixture, NULL, 0);
        rmq_heartbeat_data_t *hb = rmq__heartbeat_new(clientID);
        rmq_buf_t out = RMQ_BUF_INIT;
        size_t i;
        if (group) {
                rmq_consumer_data_t *cd = rmq__heartbeat_add_consumer(
                    hb, group, type, model, from, false);
                for (i = 0; i < nsubs; i++) {
                        rmq_subscription_data_t sd;
                        assert_int_equal(rmq__subscription_build(
                                             &sd, subs[i].topic, subs[i].expr,
                                             NULL, subs[i].subVersion),
                                         RMQ_OK);
                        rmq__consumer_data_add_subscription(cd, &sd);
                        rmq__subscription_clear(&sd);
                }
                rmq__subscription_java_order(cd->subscriptionDataSet,
                                             cd->subscriptionDataSet_cnt);
        }
        for (i = 0; i < nprod; i++)
                rmq__heartbeat_add_producer(hb, producers[i]);
        rmq__heartbeat_encode(hb, &out);
        assert_body_equals(&out, cmd);
        rmq__buf_free(&out);
        rmq__heartbeat_destroy(hb);
        rmq__cmd_destroy(cmd);
}

static void test_built_heartbeats_match_java(void **state) {
        static const char *const inner[] = {"CLIENT_INNER_PRODUCER"};
        static const char *const tx[] = {"PG_TX_DEMO",
                                         "CLIENT_INNER_PRODUCER"};
        /* given in the opposite order of the fixture's */
        static const sub_spec_t orderly[] = {
            {"TopicOrder", "TagOrder", 1795617277057LL},
            {"%RETRY%CG_ORDER_r1", "*", 1795617277129LL},
        };
        static const sub_spec_t orderly2[] = {
            {"TopicOrder", "TagOrder", 1795617380474LL},
            {"%RETRY%CG_ORDER_r2", "*", 1795617380585LL},
        };
        static const sub_spec_t conc1[] = {
            {"TopicTest", "*", 1795617278438LL},
            {"%RETRY%CG_CONC_r1", "*", 1795617278644LL},
        };
        /* the other group name puts the retry topic second in Java */
        static const sub_spec_t conc2[] = {
            {"%RETRY%CG_CONC_r2", "*", 1795617380390LL},
            {"TopicTest", "*", 1795617380308LL},
        };
        static const sub_spec_t bc[] = {
            {"TopicBroadcast", NULL, 1795617277147LL},
        };
        static const sub_spec_t lite[] = {
            {"TopicLite", "", 1795617278337LL},
        };
        (void)state;
        build_and_compare("031-", "192.0.2.2@orderly-16465", "CG_ORDER_r1",
                          RMQ_HB_CONSUME_PASSIVELY, RMQ_HB_CLUSTERING,
                          RMQ_HB_CONSUME_FROM_FIRST_OFFSET, orderly, 2, inner,
                          1);
        build_and_compare("135-", "192.0.2.2@orderly-17896", "CG_ORDER_r2",
                          RMQ_HB_CONSUME_PASSIVELY, RMQ_HB_CLUSTERING,
                          RMQ_HB_CONSUME_FROM_FIRST_OFFSET, orderly2, 2,
                          inner, 1);
        build_and_compare("060-", "192.0.2.2@concurrent-16464", "CG_CONC_r1",
                          RMQ_HB_CONSUME_PASSIVELY, RMQ_HB_CLUSTERING,
                          RMQ_HB_CONSUME_FROM_FIRST_OFFSET, conc1, 2, inner,
                          1);
        build_and_compare("126-", "192.0.2.2@concurrent-17895", "CG_CONC_r2",
                          RMQ_HB_CONSUME_PASSIVELY, RMQ_HB_CLUSTERING,
                          RMQ_HB_CONSUME_FROM_FIRST_OFFSET, conc2, 2, inner,
                          1);
        build_and_compare("029-", "192.0.2.2@broadcast-16466", "CG_BC_r1",
                          RMQ_HB_CONSUME_PASSIVELY, RMQ_HB_BROADCASTING,
                          RMQ_HB_CONSUME_FROM_FIRST_OFFSET, bc, 1, inner, 1);
        build_and_compare("053-", "192.0.2.2@lite-subscribe-16467@STREAM",
                          "CG_LITE_subscribe_r1", RMQ_HB_CONSUME_ACTIVELY,
                          RMQ_HB_CLUSTERING, RMQ_HB_CONSUME_FROM_LAST_OFFSET,
                          lite, 1, inner, 1);
        build_and_compare("172-", "192.0.2.2@lite-assign-18128@STREAM",
                          "CG_LITE_assign_r2", RMQ_HB_CONSUME_ACTIVELY,
                          RMQ_HB_CLUSTERING, RMQ_HB_CONSUME_FROM_LAST_OFFSET,
                          NULL, 0, inner, 1);
        build_and_compare("051-", "192.0.2.2@tx-16463", NULL, 0, 0, 0, NULL,
                          0, tx, 2);
}

/* Orders printed by a JDK 17 for the same input (HashSet<String> and
 * HashSet<Integer> filled as FilterAPI does). */
static void test_tag_expression_like_java(void **state) {
        static const char *const java_tags[] = {"TagA", "Aa", "BB", "zzz",
                                                "hello world", "TagC",
                                                "TagB"};
        static const int32_t java_codes[] = {2598919, 2112,    121146,
                                             1794106052, 2598921, 2598920};
        static const char *const java_big[] = {
            "T7",  "T119", "T105", "T126", "T70", "T91", "T63",
            "T84", "T21",  "T98",  "T42",  "T56", "T77", "T14",
            "T35", "T49",  "T112", "T28",  "T133", "T0"};
        const char *expr =
            " TagC || TagA||TagB || zzz || Aa || BB || TagA || || hello world ";
        rmq_subscription_data_t sd, cp;
        char big[256];
        size_t i, n = 0;
        (void)state;
        assert_int_equal(rmq__subscription_build(&sd, "T", expr, "TAG", 42),
                         RMQ_OK);
        assert_string_equal(sd.subString, expr); /* kept as given */
        assert_string_equal(sd.expressionType, "TAG");
        assert_int_equal(sd.subVersion, 42);
        assert_int_equal(sd.tagsSet_cnt, 7);
        for (i = 0; i < 7; i++)
                assert_string_equal(sd.tagsSet[i], java_tags[i]);
        /* "Aa" and "BB" share a hash: one code */
        assert_int_equal(sd.codeSet_cnt, 6);
        for (i = 0; i < 6; i++)
                assert_int_equal(sd.codeSet[i], java_codes[i]);
        assert_true(rmq__subscription_match_tag(&sd, "zzz", 3));
        assert_false(rmq__subscription_match_tag(&sd, "zz", 2));
        /* copy, equality, hash */
        rmq__subscription_copy(&cp, &sd);
        assert_true(rmq__subscription_equal(&sd, &cp));
        assert_int_equal(rmq__subscription_hash(&sd),
                         rmq__subscription_hash(&cp));
        cp.subVersion++;
        assert_false(rmq__subscription_equal(&sd, &cp));
        /* sets compare as sets */
        cp.subVersion = sd.subVersion;
        {
                char *t       = cp.tagsSet[0];
                cp.tagsSet[0] = cp.tagsSet[1];
                cp.tagsSet[1] = t;
        }
        assert_true(rmq__subscription_equal(&sd, &cp));
        rmq__subscription_clear(&cp);
        rmq__subscription_clear(&sd);
        /* 20 tags: the set resizes to 32 buckets */
        for (i = 0; i < 20; i++)
                n += (size_t)snprintf(big + n, sizeof(big) - n, "%sT%zu",
                                      i ? "||" : "", i * 7);
        assert_int_equal(rmq__subscription_build(&sd, "T", big, NULL, 1),
                         RMQ_OK);
        assert_int_equal(sd.tagsSet_cnt, 20);
        for (i = 0; i < 20; i++)
                assert_string_equal(sd.tagsSet[i], java_big[i]);
        rmq__subscription_clear(&sd);
}

static void test_subscription_build_rules(void **state) {
        rmq_subscription_data_t sd;
        (void)state;
        /* NULL, "" and "*" subscribe to everything */
        assert_int_equal(rmq__subscription_build(&sd, "T", NULL, NULL, 1),
                         RMQ_OK);
        assert_string_equal(sd.subString, "*");
        assert_int_equal(sd.tagsSet_cnt, 0);
        rmq__subscription_clear(&sd);
        /* only separators: Java's "subString split error" */
        assert_int_equal(rmq__subscription_build(&sd, "T", "||||", NULL, 1),
                         RMQ_ERR__INVALID_ARG);
        assert_null(sd.topic);
        /* blanks only: no tags, but no error either (as Java) */
        assert_int_equal(rmq__subscription_build(&sd, "T", " || ", NULL, 1),
                         RMQ_OK);
        assert_int_equal(sd.tagsSet_cnt, 0);
        assert_string_equal(sd.subString, " || ");
        rmq__subscription_clear(&sd);
        /* "a|||b": split left to right into "a" and "|b" */
        assert_int_equal(rmq__subscription_build(&sd, "T", "a|||b", NULL, 1),
                         RMQ_OK);
        assert_int_equal(sd.tagsSet_cnt, 2);
        assert_string_equal(sd.tagsSet[0], "a");
        assert_string_equal(sd.tagsSet[1], "|b");
        rmq__subscription_clear(&sd);
        /* SQL92 is kept as it is, and must not be empty */
        assert_int_equal(rmq__subscription_build(&sd, "T", "a > 5 || b",
                                                 RMQ_EXPRESSION_TYPE_SQL92,
                                                 7),
                         RMQ_OK);
        assert_string_equal(sd.expressionType, "SQL92");
        assert_string_equal(sd.subString, "a > 5 || b");
        assert_int_equal(sd.tagsSet_cnt, 0);
        rmq__subscription_clear(&sd);
        assert_int_equal(rmq__subscription_build(&sd, "T", "",
                                                 RMQ_EXPRESSION_TYPE_SQL92,
                                                 7),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq__subscription_build(&sd, NULL, "*", NULL, 7),
                         RMQ_ERR__INVALID_ARG);
}

static void test_enum_names(void **state) {
        (void)state;
        assert_string_equal(rmq__consume_type_name(RMQ_HB_CONSUME_PASSIVELY),
                            "CONSUME_PASSIVELY");
        assert_null(rmq__consume_type_name(7));
        assert_null(rmq__consume_type_name(-1));
        assert_int_equal(rmq__message_model_parse("BROADCASTING"),
                         RMQ_HB_BROADCASTING);
        assert_int_equal(rmq__message_model_parse("clustering"), -1);
        assert_int_equal(rmq__consume_from_where_parse(
                             "CONSUME_FROM_TIMESTAMP"),
                         RMQ_HB_CONSUME_FROM_TIMESTAMP);
        assert_string_equal(rmq__consume_from_where_name(3),
                            "CONSUME_FROM_MAX_OFFSET");
}

/* Strings that need escaping survive encode -> decode -> encode. */
static void test_escaping_round_trip(void **state) {
        rmq_heartbeat_data_t *hb = rmq__heartbeat_new("ip@\"quoted\"\\\x01");
        rmq_heartbeat_data_t *back = NULL;
        rmq_consumer_data_t *cd;
        rmq_subscription_data_t sd;
        rmq_buf_t a = RMQ_BUF_INIT, b = RMQ_BUF_INIT;
        (void)state;
        cd = rmq__heartbeat_add_consumer(hb, "g\n1", RMQ_HB_CONSUME_PASSIVELY,
                                         -1, RMQ_HB_CONSUME_FROM_TIMESTAMP,
                                         true);
        assert_int_equal(rmq__subscription_build(&sd, "T\u00e9",
                                                 "h\xc3\xa9 || \"x\"", NULL,
                                                 -5),
                         RMQ_OK);
        rmq__consumer_data_add_subscription(cd, &sd);
        rmq__heartbeat_encode(hb, &a);
        /* a null enum is left out, as fastjson leaves out nulls */
        assert_null(memmem(a.data, a.len, "messageModel", 12));
        assert_int_equal(rmq__heartbeat_decode(a.data, a.len, &back, NULL, 0),
                         RMQ_OK);
        assert_string_equal(back->clientID, hb->clientID);
        assert_string_equal(back->consumerDataSet[0].groupName, "g\n1");
        assert_int_equal(back->consumerDataSet[0].messageModel, -1);
        assert_true(back->consumerDataSet[0].unitMode);
        assert_true(rmq__subscription_equal(
            &back->consumerDataSet[0].subscriptionDataSet[0], &sd));
        rmq__heartbeat_encode(back, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        rmq__subscription_clear(&sd);
        rmq__heartbeat_destroy(back);
        rmq__heartbeat_destroy(hb);
        rmq__buf_free(&a);
        rmq__buf_free(&b);
}

static void expect_bad(const char *s) {
        rmq_heartbeat_data_t *hb = (void *)1;
        char err[256] = "";
        assert_int_equal(rmq__heartbeat_decode(s, strlen(s), &hb, err,
                                               sizeof(err)),
                         RMQ_ERR__BAD_MSG);
        assert_null(hb);
        assert_true(err[0] != '\0');
}

static void test_malformed_heartbeats(void **state) {
        char deep[600];
        size_t i;
        (void)state;
        expect_bad("[]");
        expect_bad("{\"clientID\":5}");
        expect_bad("{\"producerDataSet\":{}}");
        expect_bad("{\"producerDataSet\":[{}]}"); /* no groupName */
        expect_bad("{\"consumerDataSet\":[{\"groupName\":\"g\","
                   "\"consumeType\":\"CONSUME_POP\"}]}");
        expect_bad("{\"consumerDataSet\":[{\"groupName\":\"g\","
                   "\"messageModel\":\"X\"}]}");
        expect_bad("{\"consumerDataSet\":[{\"groupName\":\"g\","
                   "\"subscriptionDataSet\":[{\"codeSet\":[\"x\"]}]}]}");
        expect_bad("{\"consumerDataSet\":[{\"groupName\":\"g\","
                   "\"subscriptionDataSet\":[{\"tagsSet\":[1]}]}]}");
        expect_bad("{\"consumerDataSet\":[{\"groupName\":\"g\","
                   "\"subscriptionDataSet\":[{\"codeSet\":[4294967296]}]}]}");
        expect_bad("{\"consumerDataSet\":[{\"groupName\":\"g\","
                   "\"unitMode\":[]}]}");
        expect_bad("{\"clientID\":\"c\""); /* truncated */
        for (i = 0; i < sizeof(deep) - 1; i++)
                deep[i] = i % 2 ? '[' : '{';
        deep[sizeof(deep) - 1] = '\0';
        expect_bad(deep);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_fixture_heartbeat_round_trips),
            cmocka_unit_test(test_decoded_fields),
            cmocka_unit_test(test_built_heartbeats_match_java),
            cmocka_unit_test(test_tag_expression_like_java),
            cmocka_unit_test(test_subscription_build_rules),
            cmocka_unit_test(test_enum_names),
            cmocka_unit_test(test_escaping_round_trip),
            cmocka_unit_test(test_malformed_heartbeats),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
