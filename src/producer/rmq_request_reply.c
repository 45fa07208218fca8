/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request-reply, the requester's and the responder's calls: mirrors
 * DefaultMQProducer#request and DefaultMQProducerImpl#request* (with
 * prepareSendRequest and waitResponse) and MessageUtil#createReplyMessage
 * (4.9.8). The futures, their expiry and the reply's arrival are in
 * client/rmq_request_future.c.
 */
#include <stdio.h>
#include <string.h>

#include "client/rmq_message_int.h"
#include "client/rmq_request_future.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "producer/rmq_producer_int.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_names.h"
#include "rocketmq/rmq_request_reply.h"

/* What an async request's future calls back. */
typedef struct async_req_s {
        rmq_producer_t *prod;
        rmq_request_cb_t *cb;
        void *opaque;
} async_req_t;

static void async_done(rmq_err_t err, const char *errstr,
                       const rmq_message_ext_t *reply, void *opaque) {
        async_req_t *ar = opaque;
        ar->cb(ar->prod, err, errstr, reply, ar->opaque);
        rmq__free(ar);
}

/* The request's send callback (the SendCallback of request*). */
static void request_sent(rmq_producer_t *prod, rmq_err_t err,
                         const char *errstr, const rmq_send_result_t *res,
                         void *opaque) {
        RMQ_UNUSED(prod);
        RMQ_UNUSED(res);
        rmq__req_future_send_done(opaque, err, errstr);
        rmq__req_future_release(opaque);
}

/* The routes of the reply topics (<cluster>_REPLY_TOPIC) of the clusters
 * serving \p topic. Beyond Java's prepareSendRequest: a responder may
 * send the reply to any broker of the cluster, which can push it only
 * over a connection this client opened with a heartbeat; with these
 * routes known, the heartbeat that follows reaches every such broker,
 * not only those of the request topic. */
static void reply_topic_routes(rmq_client_t *ci, const char *topic) {
        rmq_topic_route_data_t *rd = rmq__client_route_get(ci, topic);
        size_t i, j;
        if (!rd)
                return;
        for (i = 0; i < rd->brokerDatas_cnt; i++) {
                const char *cluster = rd->brokerDatas[i].cluster;
                char *reply;
                bool seen = false;
                if (!cluster || !*cluster)
                        continue;
                for (j = 0; j < i && !seen; j++)
                        seen = rd->brokerDatas[j].cluster &&
                               !strcmp(rd->brokerDatas[j].cluster, cluster);
                if (seen)
                        continue;
                reply = rmq__asprintf("%s%s", cluster, RMQ_REPLY_TOPIC_POSTFIX);
                if (!rmq__client_has_route(ci, reply))
                        rmq__client_update_route(ci, reply, false, NULL, 0,
                                                 NULL, 0);
                rmq__free(reply);
        }
        rmq__topic_route_destroy(rd);
}

/* mirrors prepareSendRequest: the request properties on \p msg, and, when
 * no route of the topic (\p topic, with the namespace) is known, the
 * route (tryToFindTopicPublishInfo), the reply topics' routes
 * (reply_topic_routes) and a heartbeat to every broker, so that the
 * broker can push the reply to this client. */
static void prepare_send_request(rmq_producer_t *prod, rmq_client_t *ci,
                                 rmq_message_t *msg, const char *topic,
                                 const char *corr_id, int64_t timeout_ms) {
        const rmq_conf_t *conf = rmq__producer_conf(prod);
        char ttl[24];
        int64_t begin, cost;
        snprintf(ttl, sizeof(ttl), "%lld", (long long)timeout_ms);
        rmq__message_put_property(msg, RMQ_PROP_CORRELATION_ID, corr_id);
        rmq__message_put_property(msg, RMQ_PROP_REPLY_TO_CLIENT,
                                  rmq__client_id(ci));
        rmq__message_put_property(msg, RMQ_PROP_TTL, ttl);
        if (!topic || rmq__client_has_route(ci, topic))
                return;
        begin = rmq__mono_ms();
        if (rmq__client_update_route(ci, topic, false, NULL, 0, NULL, 0))
                rmq__client_update_route(ci, topic, true, conf->createTopicKey,
                                         (int)conf->defaultTopicQueueNums,
                                         NULL, 0);
        reply_topic_routes(ci, topic);
        rmq__client_heartbeat_sync(ci);
        cost = rmq__mono_ms() - begin;
        if (cost > 500)
                rmq__log(rmq__producer_logger(prod), RMQ_LOG_WARN, "PRODUCER",
                         "prepare send request for <%s> cost %lld ms", topic,
                         (long long)cost);
}

/* Every request variant: a sync one when \p cb is NULL (the reply into
 * \p replyp), else an async one. */
static rmq_err_t request(rmq_producer_t *prod, rmq_message_t *msg,
                         const rmq_message_queue_t *mq,
                         rmq_queue_selector_cb_t *selector, void *arg,
                         int64_t timeout_ms, rmq_request_cb_t *cb,
                         void *opaque, rmq_message_ext_t **replyp,
                         char *errstr, size_t errstr_size) {
        int64_t begin = rmq__mono_ms();
        char corr_id[RMQ_CORRELATION_ID_LEN + 1];
        async_req_t *ar = NULL;
        rmq_req_future_t *f;
        rmq_client_t *ci;
        char *topic = NULL;
        rmq_err_t err;
        if (replyp)
                *replyp = NULL;
        if (!prod || !msg || timeout_ms <= 0 || (!cb && !replyp))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "request: NULL argument or timeout <= 0");
        if ((err = rmq__producer_enter(prod, errstr, errstr_size)))
                return err;
        ci = rmq__producer_client(prod);
        if (rmq_message_topic(msg))
                topic = rmq__ns_wrap(rmq__producer_conf(prod)->namespace_,
                                     rmq_message_topic(msg));
        rmq__correlation_id_create(corr_id);
        prepare_send_request(prod, ci, msg, topic, corr_id, timeout_ms);
        if (cb) {
                ar         = rmq__malloc(sizeof(*ar));
                ar->prod   = prod;
                ar->cb     = cb;
                ar->opaque = opaque;
        }
        f = rmq__req_future_new(ci, prod, corr_id, topic ? topic : "", begin,
                                timeout_ms, cb ? async_done : NULL, ar);
        err = rmq__producer_send_request(prod, msg, mq, selector, arg,
                                         timeout_ms - (rmq__mono_ms() - begin),
                                         request_sent, f);
        if (err) {
                rmq__req_future_cancel(f);
                rmq__req_future_release(f); /* the send callback's */
                rmq__req_future_release(f);
                rmq__free(ar);
                rmq__producer_leave(prod);
                rmq__seterr(errstr, errstr_size, err,
                            "send request message to <%s> fail: %s",
                            topic ? topic : "null", rmq_err2str(err));
                rmq__free(topic);
                return err;
        }
        rmq__req_future_arm(f);
        rmq__producer_leave(prod);
        rmq__free(topic);
        if (!cb)
                err = rmq__req_future_wait(f, replyp, errstr, errstr_size);
        rmq__req_future_release(f);
        return err;
}

rmq_err_t rmq_producer_request(rmq_producer_t *prod, rmq_message_t *msg,
                               int64_t timeout_ms, rmq_message_ext_t **replyp,
                               char *errstr, size_t errstr_size) {
        return request(prod, msg, NULL, NULL, NULL, timeout_ms, NULL, NULL,
                       replyp, errstr, errstr_size);
}

rmq_err_t rmq_producer_request_async(rmq_producer_t *prod, rmq_message_t *msg,
                                     rmq_request_cb_t *cb, void *opaque,
                                     int64_t timeout_ms, char *errstr,
                                     size_t errstr_size) {
        if (!cb)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "request: NULL callback");
        return request(prod, msg, NULL, NULL, NULL, timeout_ms, cb, opaque,
                       NULL, errstr, errstr_size);
}

rmq_err_t rmq_producer_request_select(rmq_producer_t *prod, rmq_message_t *msg,
                                      rmq_queue_selector_cb_t *selector,
                                      void *arg, int64_t timeout_ms,
                                      rmq_message_ext_t **replyp, char *errstr,
                                      size_t errstr_size) {
        if (!selector)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "request: NULL selector");
        return request(prod, msg, NULL, selector, arg, timeout_ms, NULL, NULL,
                       replyp, errstr, errstr_size);
}

rmq_err_t rmq_producer_request_select_async(
    rmq_producer_t *prod, rmq_message_t *msg, rmq_queue_selector_cb_t *selector,
    void *arg, rmq_request_cb_t *cb, void *opaque, int64_t timeout_ms,
    char *errstr, size_t errstr_size) {
        if (!selector || !cb)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "request: NULL selector or callback");
        return request(prod, msg, NULL, selector, arg, timeout_ms, cb, opaque,
                       NULL, errstr, errstr_size);
}

rmq_err_t rmq_producer_request_to_queue(rmq_producer_t *prod,
                                        rmq_message_t *msg,
                                        const rmq_message_queue_t *mq,
                                        int64_t timeout_ms,
                                        rmq_message_ext_t **replyp,
                                        char *errstr, size_t errstr_size) {
        if (!mq)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "request: NULL queue");
        return request(prod, msg, mq, NULL, NULL, timeout_ms, NULL, NULL,
                       replyp, errstr, errstr_size);
}

rmq_err_t rmq_producer_request_to_queue_async(
    rmq_producer_t *prod, rmq_message_t *msg, const rmq_message_queue_t *mq,
    rmq_request_cb_t *cb, void *opaque, int64_t timeout_ms, char *errstr,
    size_t errstr_size) {
        if (!mq || !cb)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "request: NULL queue or callback");
        return request(prod, msg, mq, NULL, NULL, timeout_ms, cb, opaque, NULL,
                       errstr, errstr_size);
}

/* ---- the responder's side (MessageUtil) ---- */

rmq_err_t rmq_message_create_reply(const rmq_message_ext_t *request,
                                   const void *body, size_t len,
                                   rmq_message_t **replyp, char *errstr,
                                   size_t errstr_size) {
        static const char *const copied[] = {RMQ_PROP_CORRELATION_ID,
                                             RMQ_PROP_REPLY_TO_CLIENT,
                                             RMQ_PROP_TTL};
        const char *cluster;
        rmq_message_t *msg;
        char *topic;
        size_t i;
        if (replyp)
                *replyp = NULL;
        if (!request || !replyp)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "create reply message fail, "
                                   "requestMessage cannot be null.");
        cluster = rmq_message_ext_property(request, RMQ_PROP_CLUSTER);
        if (!cluster)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "create reply message fail, "
                                   "requestMessage error, property[%s] is "
                                   "null.",
                                   RMQ_PROP_CLUSTER);
        topic = rmq__asprintf("%s%s", cluster, RMQ_REPLY_TOPIC_POSTFIX);
        msg   = rmq_message_new(topic);
        rmq__free(topic);
        /* new Message() sets no WAIT property (the broker reads none as
         * true) */
        rmq__message_remove_property(msg, RMQ_PROP_WAIT);
        if (len && rmq_message_set_body(msg, body, len)) {
                rmq_message_destroy(msg);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "create reply message fail: bad body");
        }
        rmq__message_put_property(msg, RMQ_PROP_MSG_TYPE, RMQ_MSG_TYPE_REPLY);
        for (i = 0; i < RMQ_ARRAY_SIZE(copied); i++) {
                const char *v = rmq_message_ext_property(request, copied[i]);
                if (v)
                        rmq__message_put_property(msg, copied[i], v);
        }
        *replyp = msg;
        return RMQ_OK;
}
