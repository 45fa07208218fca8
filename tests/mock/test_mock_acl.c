/* SPDX-License-Identifier: Apache-2.0 */
/* ACL against the mock cluster: the client signs every request as 4.9.8's
 * AclClientRPCHook, the mock brokers check as PlainAccessValidator and
 * refuse as the 4.9.8 broker does (SYSTEM_ERROR, the AclException in the
 * remark, nothing processed). Sends, consumption, pulls, offsets,
 * heartbeats, admin codes, white lists, a security token, and the secret
 * never showing up in the log. */
#include "consumer_fixture.h"
#include "mock_client.h"
#include "remoting/rmq_acl.h"

#define AK  "RocketMQ"
#define SK  "12345678"
#define BAD "wrong-secret-42"

/* plain_acl.yml as JSON */
static const char acl_json[] =
    "{\"globalWhiteRemoteAddresses\":[\"10.10.103.*\"],"
    " \"accounts\":["
    "  {\"accessKey\":\"" AK "\",\"secretKey\":\"" SK "\","
    "   \"whiteRemoteAddress\":\"\",\"admin\":false,"
    "   \"defaultTopicPerm\":\"DENY\",\"defaultGroupPerm\":\"SUB\","
    "   \"topicPerms\":[\"TopicA=PUB|SUB\",\"TopicSub=SUB\","
    "                 \"TopicDeny=DENY\"],"
    "   \"groupPerms\":[\"GroupDeny=DENY\"]},"
    "  {\"accessKey\":\"AdminUser\",\"secretKey\":\"admin-secret\","
    "   \"admin\":true},"
    "  {\"accessKey\":\"LocalUser\",\"secretKey\":\"local-secret\","
    "   \"whiteRemoteAddress\":\"127.0.0.1\"}]}";

static rmq_mock_cluster_t *acl_cluster(const char *json) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        char err[512];
        fx_topic(mc, "TopicA", 4);
        fx_topic(mc, "TopicSub", 4);
        fx_topic(mc, "TopicDeny", 4);
        fx_topic(mc, "TopicOther", 4);
        if (rmq_mock_cluster_set_acl(mc, json, err, sizeof(err)))
                fail_msg("acl: %s", err);
        return mc;
}

/* ---- the log never carries the secret ---- */

typedef struct secret_log_s {
        uv_mutex_t lock;
        const char *secret;
        int lines;
        int leaks;
} secret_log_t;

static void secret_log_cb(rmq_log_level_t level, const char *fac,
                          const char *client_id, const char *msg,
                          void *opaque) {
        secret_log_t *sl = opaque;
        (void)level;
        (void)fac;
        (void)client_id;
        uv_mutex_lock(&sl->lock);
        sl->lines++;
        if (strstr(msg, sl->secret))
                sl->leaks++;
        uv_mutex_unlock(&sl->lock);
}

/* A producer of instance \p inst with \p ak / \p sk (NULL: not set) and
 * every debug line sent to \p sl (may be NULL). */
static rmq_producer_t *acl_producer(rmq_mock_cluster_t *mc, const char *inst,
                                    const char *ak, const char *sk,
                                    const char *token, secret_log_t *sl) {
        rmq_conf_t *conf = fx_conf(mc, "producerGroup", "PG_ACL", NULL);
        rmq_producer_t *prod;
        char err[512];
        const char *const pairs[] = {"instanceName", inst,
                                     "retryTimesWhenSendFailed", "0", NULL};
        fx_conf_set_pairs(conf, pairs);
        if (ak)
                assert_int_equal(rmq_conf_set(conf, "accessKey", ak, NULL, 0),
                                 RMQ_OK);
        if (sk)
                assert_int_equal(rmq_conf_set(conf, "secretKey", sk, NULL, 0),
                                 RMQ_OK);
        if (token)
                assert_int_equal(
                    rmq_conf_set(conf, "securityToken", token, NULL, 0),
                    RMQ_OK);
        if (sl) {
                const char *const dbg[] = {"debug", "all", "log.level", "7",
                                           NULL};
                fx_conf_set_pairs(conf, dbg);
                rmq_conf_set_log_cb(conf, secret_log_cb);
                rmq_conf_set_opaque(conf, sl);
        }
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        if (rmq_producer_start(prod, err, sizeof(err)))
                fail_msg("start: %s", err);
        return prod;
}

/* A sync send of one message; its error (RMQ_OK on success) and errstr. */
static rmq_err_t acl_send(rmq_producer_t *prod, const char *topic,
                          char *err, size_t err_size) {
        rmq_message_t *msg = fx_msg(topic, "acl body");
        rmq_err_t e;
        err[0] = '\0';
        e      = rmq_producer_send(prod, msg, NULL, err, err_size);
        rmq_message_destroy(msg);
        return e;
}

static void expect_refused(rmq_producer_t *prod, const char *topic,
                           const char *reason) {
        char err[1024];
        rmq_err_t e = acl_send(prod, topic, err, sizeof(err));
        if (e != RMQ_ERR_SYSTEM_ERROR || !strstr(err, reason) ||
            !strstr(err, "AclException"))
                fail_msg("send to %s: %s \"%s\", want SYSTEM_ERROR with "
                         "\"%s\"",
                         topic, rmq_err2name(e), err, reason);
}

/* A raw client (mock_client.h) that signs with \p cred when cred->ak is
 * set, through the same RPC hook mechanism the client instance uses. */
typedef struct cred_s {
        const char *ak, *sk, *token;
} cred_t;

static void cred_hook(const char *addr, rmq_cmd_t *req, void *opaque) {
        const cred_t *cred = opaque;
        (void)addr;
        if (cred->ak)
                assert_int_equal(
                    rmq__acl_sign(req, cred->ak, cred->sk, cred->token), 0);
}

static mtc_t *signed_client(cred_t *cred) {
        mtc_t *c = mtc_new();
        rmq__remoting_add_hook(c->rm, cred_hook, NULL, cred);
        return c;
}

static bool body_has(const rmq_cmd_t *resp, const char *needle) {
        size_t n = strlen(needle), i;
        for (i = 0; i + n <= resp->body_len; i++)
                if (!memcmp(resp->body + i, needle, n))
                        return true;
        return false;
}

typedef struct committed_s {
        rmq_mock_cluster_t *mc;
        const char *group, *topic;
        int64_t want;
} committed_t;

static bool committed_reached(void *arg) {
        committed_t *w = arg;
        return fx_committed_sum(w->mc, w->group, w->topic, 4) >= w->want;
}

/* A good signature: sends are stored, a push consumer (heartbeats, pulls,
 * offset commits) consumes them all and commits; the running info holds
 * no secret; a security token is signed along; no log line, DEBUG
 * included, carries the secret. */
static void test_good_signature(void **state) {
        rmq_mock_cluster_t *mc = acl_cluster(acl_json);
        secret_log_t sl;
        rmq_producer_t *prod, *p2;
        rmq_push_consumer_t *pc;
        rmq_conf_t *conf;
        fx_seen_t *seen = calloc(1, sizeof(*seen));
        fx_count_t cnt  = {mc, "TopicA", 20};
        committed_t cw  = {mc, "GroupOK", "TopicA", 20};
        cred_t cred     = {AK, SK, NULL};
        mtc_t *c;
        rmq_cmd_t *resp;
        char err[512];
        const char *const pairs[] = {"instanceName", "acl-c", "accessKey", AK,
                                     "secretKey", SK, NULL};
        (void)state;
        memset(&sl, 0, sizeof(sl));
        sl.secret = SK;
        uv_mutex_init(&sl.lock);
        prod = acl_producer(mc, "acl-p", AK, SK, NULL, &sl);
        fx_send_n(prod, "TopicA", "acl", "TagA", 20);
        assert_true(rmq_test_wait_until(fx_count_reached, &cnt, 1000));

        conf = fx_conf(mc, "consumerGroup", "GroupOK", fx_from_first);
        fx_conf_set_pairs(conf, pairs);
        rmq_conf_set_log_cb(conf, secret_log_cb);
        rmq_conf_set_opaque(conf, &sl);
        pc = fx_consumer_new(conf);
        fx_consumer_listen(pc, "TopicA", fx_listener_ok, seen);
        fx_consumer_start(pc);
        fx_wait_seen(seen, 20, 20000);
        fx_seen_assert_each(seen, 0, 20, 1);

        /* the running info the broker fetches from the consumer names no
         * credential (Java's has none at all) */
        c    = signed_client(&cred);
        resp = mtc_call(c, rmq_mock_broker_addr(mc, 0),
                        mtc_req(RMQ_REQ_GET_CONSUMER_RUNNING_INFO,
                                "consumerGroup", "GroupOK", "clientId",
                                rmq_push_consumer_client_id(pc), NULL));
        assert_int_equal(resp->code, RMQ_OK);
        assert_non_null(resp->body);
        assert_false(body_has(resp, SK));
        assert_false(body_has(resp, "secretKey"));
        assert_false(body_has(resp, "accessKey"));
        assert_false(body_has(resp, "securityToken"));
        assert_true(body_has(resp, "consumeFromWhere"));
        rmq__cmd_destroy(resp);
        mtc_destroy(c);
        /* the offsets, committed at the latest by the shutdown (the
         * periodic persistence starts 10 s after the start, as Java's) */
        rmq_push_consumer_destroy(pc);
        assert_true(rmq_test_wait_until(committed_reached, &cw, 5000));

        /* a security token is part of the signed content */
        p2 = acl_producer(mc, "acl-tok", AK, SK, "STS-token", NULL);
        assert_int_equal(acl_send(p2, "TopicA", err, sizeof(err)), RMQ_OK);
        rmq_producer_destroy(p2);
        rmq_producer_destroy(prod);
        assert_true(sl.lines > 0);
        assert_int_equal(sl.leaks, 0);
        uv_mutex_destroy(&sl.lock);
        free(seen);
        rmq_mock_cluster_destroy(mc);
}

/* A wrong secret: every send fails with the broker's remark, nothing is
 * stored, sync and async alike; neither the error nor the log (DEBUG
 * included) carries the secret. */
static void test_wrong_secret(void **state) {
        rmq_mock_cluster_t *mc = acl_cluster(acl_json);
        secret_log_t sl;
        rmq_producer_t *prod;
        rmq_message_t *msg;
        fx_async_t a;
        char err[1024];
        (void)state;
        memset(&sl, 0, sizeof(sl));
        memset(&a, 0, sizeof(a));
        sl.secret = BAD;
        uv_mutex_init(&sl.lock);
        prod = acl_producer(mc, "acl-bad", AK, BAD, NULL, &sl);
        expect_refused(prod, "TopicA",
                       "Check signature failed for accessKey=" AK);
        assert_int_equal(acl_send(prod, "TopicA", err, sizeof(err)),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_null(strstr(err, BAD));
        a.expect = 1;
        msg      = fx_msg("TopicA", "async");
        assert_int_equal(rmq_producer_send_async(prod, msg, fx_async_cb, &a),
                         RMQ_OK);
        rmq_message_destroy(msg);
        assert_true(rmq_test_wait_until(fx_async_done, &a, 10000));
        assert_int_equal(atomic_load(&a.errs), 1);
        assert_int_equal(atomic_load(&a.last_err), RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicA"), 0);
        rmq_producer_destroy(prod);
        assert_true(sl.lines > 0);
        assert_int_equal(sl.leaks, 0);
        uv_mutex_destroy(&sl.lock);
        rmq_mock_cluster_destroy(mc);
}

/* Missing permissions: a SUB-only topic, a denied topic, a topic the
 * account has only the DENY default for; an admin account without
 * resource permissions may send anywhere. */
static void test_missing_permission(void **state) {
        rmq_mock_cluster_t *mc = acl_cluster(acl_json);
        rmq_producer_t *prod, *admin;
        char err[512];
        (void)state;
        prod = acl_producer(mc, "acl-perm", AK, SK, NULL, NULL);
        expect_refused(prod, "TopicSub",
                       "No default permission for topic:TopicSub");
        expect_refused(prod, "TopicDeny",
                       "No default permission for topic:TopicDeny");
        expect_refused(prod, "TopicOther",
                       "No default permission for topic:TopicOther");
        assert_int_equal(acl_send(prod, "TopicA", err, sizeof(err)), RMQ_OK);
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicSub"), 0);
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicDeny"), 0);
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicOther"), 0);
        admin = acl_producer(mc, "acl-admin", "AdminUser", "admin-secret",
                             NULL, NULL);
        assert_int_equal(acl_send(admin, "TopicOther", err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicOther"), 1);
        rmq_producer_destroy(admin);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_unknown_key(void **state) {
        rmq_mock_cluster_t *mc = acl_cluster(acl_json);
        rmq_producer_t *prod;
        (void)state;
        prod = acl_producer(mc, "acl-unknown", "NoSuchUser", "whatever-1",
                            NULL, NULL);
        expect_refused(prod, "TopicA", "No acl config for NoSuchUser");
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicA"), 0);
        rmq_producer_destroy(prod);
        /* no credentials at all */
        prod = acl_producer(mc, "acl-none", NULL, NULL, NULL, NULL);
        expect_refused(prod, "TopicA", "No accessKey is configured");
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* Refused unless the code is \p want (a SYSTEM_ERROR whose remark holds
 * \p reason); takes \p req. */
static void call_expect(mtc_t *c, const char *addr, rmq_cmd_t *req,
                        const char *reason) {
        int code        = req->code;
        rmq_cmd_t *resp = mtc_call(c, addr, req);
        if (reason) {
                if (resp->code != RMQ_ERR_SYSTEM_ERROR || !resp->remark ||
                    !strstr(resp->remark, reason))
                        fail_msg("code %d: %d \"%s\", want SYSTEM_ERROR with "
                                 "\"%s\"",
                                 code, resp->code,
                                 resp->remark ? resp->remark : "", reason);
        } else if (resp->code == RMQ_ERR_SYSTEM_ERROR) {
                fail_msg("code %d refused: %s", code,
                         resp->remark ? resp->remark : "");
        }
        rmq__cmd_destroy(resp);
}

static rmq_cmd_t *offset_req(const char *group, const char *topic,
                             const char *offset) {
        return mtc_req(RMQ_REQ_UPDATE_CONSUMER_OFFSET, "consumerGroup", group,
                       "topic", topic, "queueId", "0", "commitOffset", offset,
                       NULL);
}

/* Pulls, offsets, heartbeats and admin codes, request by request, as
 * PlainAccessValidator.parse defines what each needs. */
static void test_pulls_offsets_heartbeats(void **state) {
        rmq_mock_cluster_t *mc = acl_cluster(acl_json);
        cred_t cred            = {AK, SK, NULL};
        mtc_t *c               = signed_client(&cred);
        const char *b0         = rmq_mock_broker_addr(mc, 0);
        rmq_cmd_t *req;
        (void)state;
        mtc_send(c, b0, "TopicA", 0, NULL, "m0");
        call_expect(c, b0, mtc_send_req("TopicSub", 0, NULL, "x"),
                    "No default permission for topic:TopicSub");

        /* PULL_MESSAGE: topic SUB and group SUB */
        call_expect(c, b0,
                    mtc_pull_req("GroupOK", "TopicA", 0, 0, 32, 0, 0, "*", 1),
                    NULL);
        call_expect(c, b0,
                    mtc_pull_req("GroupOK", "TopicSub", 0, 0, 32, 0, 0, "*", 1),
                    NULL);
        call_expect(c, b0,
                    mtc_pull_req("GroupDeny", "TopicA", 0, 0, 32, 0, 0, "*", 1),
                    "No default permission for group:GroupDeny");
        call_expect(
            c, b0, mtc_pull_req("GroupOK", "TopicDeny", 0, 0, 32, 0, 0, "*", 1),
            "No default permission for topic:TopicDeny");
        call_expect(c, b0,
                    mtc_pull_req("GroupOK", "TopicOther", 0, 0, 32, 0, 0, "*",
                                 1),
                    "No default permission for topic:TopicOther");

        /* UPDATE_CONSUMER_OFFSET: group SUB and topic SUB */
        call_expect(c, b0, offset_req("GroupOK", "TopicA", "1"), NULL);
        assert_int_equal(rmq_mock_committed_offset(mc, "GroupOK", "TopicA", 0,
                                                   0),
                         1);
        call_expect(c, b0, offset_req("GroupDeny", "TopicA", "1"),
                    "No default permission for group:GroupDeny");
        call_expect(c, b0, offset_req("GroupOK", "TopicDeny", "1"),
                    "No default permission for topic:TopicDeny");
        assert_int_equal(rmq_mock_committed_offset(mc, "GroupDeny", "TopicA",
                                                   0, 0),
                         -1);
        /* a refused oneway commit is dropped without an answer */
        req = offset_req("GroupDeny", "TopicA", "1");
        mtc_oneway(c, b0, req);
        mtc_barrier(c, b0);
        assert_int_equal(rmq_mock_committed_offset(mc, "GroupDeny", "TopicA",
                                                   0, 0),
                         -1);
        /* QUERY_CONSUMER_OFFSET needs nothing but a good signature in
         * 4.9.8 (PlainAccessValidator.parse has no case for it) */
        call_expect(c, b0,
                    mtc_req(RMQ_REQ_QUERY_CONSUMER_OFFSET, "consumerGroup",
                            "GroupDeny", "topic", "TopicA", "queueId", "0",
                            NULL),
                    NULL);

        /* HEART_BEAT: every consumer group and subscribed topic SUB */
        call_expect(c, b0,
                    mtc_heartbeat_req("cid", "PG", "GroupOK", "TopicA", "*", 1),
                    NULL);
        call_expect(
            c, b0, mtc_heartbeat_req("cid", NULL, "GroupDeny", "TopicA", "*", 1),
            "No default permission for group:GroupDeny");
        call_expect(c, b0,
                    mtc_heartbeat_req("cid", NULL, "GroupOK", "TopicDeny", "*",
                                      1),
                    "No default permission for topic:TopicDeny");

        /* admin codes */
        call_expect(c, b0,
                    mtc_req(RMQ_REQ_UPDATE_AND_CREATE_TOPIC, "topic", "NewT",
                            "defaultTopic", "TBW102", "readQueueNums", "4",
                            "writeQueueNums", "4", "perm", "6",
                            "topicFilterType", "SINGLE_TAG", "order", "false", NULL),
                    "Need admin permission for request code=17, but "
                    "accessKey=" AK " is not");
        cred.ak = "AdminUser";
        cred.sk = "admin-secret";
        call_expect(c, b0,
                    mtc_req(RMQ_REQ_UPDATE_AND_CREATE_TOPIC, "topic", "NewT",
                            "defaultTopic", "TBW102", "readQueueNums", "4",
                            "writeQueueNums", "4", "perm", "6",
                            "topicFilterType", "SINGLE_TAG", "order", "false", NULL),
                    NULL);

        /* an account's whiteRemoteAddress passes without a good
         * signature */
        cred.ak = "LocalUser";
        cred.sk = "not-the-secret";
        call_expect(c, b0,
                    mtc_pull_req("GroupDeny", "TopicDeny", 0, 0, 32, 0, 0, "*",
                                 1),
                    NULL);
        /* a security token is signed along with the rest */
        cred.ak    = AK;
        cred.sk    = SK;
        cred.token = "STS-token";
        call_expect(c, b0,
                    mtc_pull_req("GroupOK", "TopicA", 0, 0, 32, 0, 0, "*", 1),
                    NULL);
        /* the name server checks nothing, as in 4.9.8 */
        cred.ak = NULL;
        call_expect(c, rmq_mock_cluster_namesrv_addr(mc),
                    mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic", "TopicA",
                            NULL),
                    NULL);
        mtc_destroy(c);
        rmq_mock_cluster_destroy(mc);
}

/* A lite pull consumer of \p group assigned every queue of TopicA, with
 * good credentials. */
static rmq_lite_pull_consumer_t *lite_assigned(rmq_mock_cluster_t *mc,
                                               const char *group,
                                               const char *inst) {
        rmq_conf_t *conf = fx_conf(mc, "consumerGroup", group, fx_from_first);
        const char *const pairs[] = {"instanceName", inst, "accessKey", AK,
                                     "secretKey", SK, "autoCommit", "false",
                                     NULL};
        rmq_lite_pull_consumer_t *lpc;
        rmq_message_queue_t **mqs;
        size_t n;
        char err[512];
        fx_conf_set_pairs(conf, pairs);
        if (rmq_lite_pull_consumer_new(&lpc, conf, err, sizeof(err)))
                fail_msg("lite consumer: %s", err);
        rmq_conf_destroy(conf);
        if (rmq_lite_pull_consumer_start(lpc, err, sizeof(err)) ||
            rmq_lite_pull_consumer_fetch_message_queues(lpc, "TopicA", &mqs,
                                                        &n, err,
                                                        sizeof(err)) ||
            rmq_lite_pull_consumer_assign(
                lpc, (const rmq_message_queue_t *const *)mqs, n, err,
                sizeof(err)))
                fail_msg("lite consumer: %s", err);
        rmq_message_queues_destroy(mqs, n);
        return lpc;
}

/* A real consumer's pulls and commits: refused for a denied group
 * (nothing consumed, nothing committed), accepted for an allowed one. */
static void test_lite_pull_consumer(void **state) {
        rmq_mock_cluster_t *mc = acl_cluster(acl_json);
        rmq_producer_t *prod   = acl_producer(mc, "acl-lp", AK, SK, NULL, NULL);
        committed_t cw         = {mc, "GroupOK", "TopicA", 8};
        rmq_lite_pull_consumer_t *lpc;
        rmq_message_ext_t **msgs;
        size_t n;
        int got = 0, polls;
        (void)state;
        fx_send_n(prod, "TopicA", "lp", NULL, 8);
        rmq_mock_start_request_tracking(mc);

        lpc = lite_assigned(mc, "GroupDeny", "acl-lp-deny");
        fx_wait_more_requests(mc, RMQ_REQ_PULL_MESSAGE, 8);
        assert_int_equal(rmq_lite_pull_consumer_poll(lpc, 0, &msgs, &n),
                         RMQ_OK);
        assert_int_equal(n, 0);
        rmq_lite_pull_consumer_poll_release(msgs, n);
        rmq_lite_pull_consumer_destroy(lpc);
        assert_int_equal(fx_committed_sum(mc, "GroupDeny", "TopicA", 4), 0);

        lpc = lite_assigned(mc, "GroupOK", "acl-lp-ok");
        for (polls = 0; got < 8 && polls < 100; polls++) {
                assert_int_equal(
                    rmq_lite_pull_consumer_poll(
                        lpc, 100 * rmq_test_tmout_multiplier(), &msgs, &n),
                    RMQ_OK);
                got += (int)n;
                rmq_lite_pull_consumer_poll_release(msgs, n);
        }
        assert_int_equal(got, 8);
        assert_int_equal(rmq_lite_pull_consumer_commit_sync(lpc), RMQ_OK);
        rmq_lite_pull_consumer_destroy(lpc);
        assert_true(rmq_test_wait_until(committed_reached, &cw, 5000));
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* globalWhiteRemoteAddresses: a listed address needs no credentials; an
 * address outside the list does; ACL off lets everything through. */
static void test_white_list(void **state) {
        static const char white[] =
            "{\"globalWhiteRemoteAddresses\":[\"10.0.0.{1,2}\","
            "\"127.0.0.*\"],\"accounts\":[]}";
        static const char other[] =
            "{\"globalWhiteRemoteAddresses\":[\"10.0.0.1-200\"]}";
        rmq_mock_cluster_t *mc = acl_cluster(white);
        rmq_producer_t *prod;
        char err[512];
        (void)state;
        prod = acl_producer(mc, "acl-white", NULL, NULL, NULL, NULL);
        assert_int_equal(acl_send(prod, "TopicOther", err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_cluster_set_acl(mc, other, err, sizeof(err)),
                         RMQ_OK);
        expect_refused(prod, "TopicOther", "No accessKey is configured");
        assert_int_equal(rmq_mock_cluster_set_acl(mc, NULL, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(acl_send(prod, "TopicOther", err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicOther"), 2);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* The configuration is checked as PlainPermissionManager checks it. */
static void test_bad_configuration(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        char err[512];
        (void)state;
        assert_int_equal(rmq_mock_cluster_set_acl(mc, "{", err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(
            rmq_mock_cluster_set_acl(
                mc,
                "{\"accounts\":[{\"accessKey\":\"short\","
                "\"secretKey\":\"12345678\"}]}",
                err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "longer than 6"));
        assert_int_equal(
            rmq_mock_cluster_set_acl(
                mc,
                "{\"accounts\":[{\"accessKey\":\"RocketMQ\","
                "\"secretKey\":\"sec-12\"}]}",
                err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_null(strstr(err, "sec-12"));
        assert_int_equal(
            rmq_mock_cluster_set_acl(
                mc,
                "{\"accounts\":[{\"accessKey\":\"RocketMQ\","
                "\"secretKey\":\"12345678\",\"topicPerms\":[\"T\"]}]}",
                err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "Parse resource permission failed"));
        rmq_mock_cluster_destroy(mc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_good_signature),
            cmocka_unit_test(test_wrong_secret),
            cmocka_unit_test(test_missing_permission),
            cmocka_unit_test(test_unknown_key),
            cmocka_unit_test(test_pulls_offsets_heartbeats),
            cmocka_unit_test(test_lite_pull_consumer),
            cmocka_unit_test(test_white_list),
            cmocka_unit_test(test_bad_configuration),
        };
        return cmocka_run_group_tests_name("acl", tests, NULL, NULL);
}
