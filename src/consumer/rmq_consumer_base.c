/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pieces the push and the lite pull consumer share (rmq_consumer_base.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "client/rmq_client_api.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "consumer/rmq_consumer_base.h"
#include "protocol/rmq_names.h"

rmq_err_t rmq__consumer_check_config(const rmq_conf_t *conf, const char *group,
                                     char *errstr, size_t errstr_size) {
        char buf[300];
        const char *why = rmq__check_group(group, buf, sizeof(buf));
        int64_t ts;
        if (!why && !strcmp(group, RMQ_DEFAULT_CONSUMER_GROUP))
                why = "consumerGroup can not equal DEFAULT_CONSUMER, please "
                      "specify another one.";
        if (why)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "%s", why);
        if (conf->consumeTimestamp &&
            rmq__parse_yyyymmddhhmmss(conf->consumeTimestamp, &ts))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "consumeTimestamp is invalid, the valid "
                                   "format is yyyyMMddHHmmss,but received %s",
                                   conf->consumeTimestamp);
        return RMQ_OK;
}

rmq_allocate_t *rmq__consumer_conf_allocate(const rmq_conf_t *conf) {
        switch (conf->allocateMessageQueueStrategy) {
        case 1:
                return rmq__allocate_by_circle();
        case 2:
                return rmq__allocate_consistent_hash(
                    RMQ_ALLOCATE_VIRTUAL_NODE_CNT_DEFAULT);
        default:
                return rmq__allocate_averagely();
        }
}

int rmq__consumer_message_model(const rmq_conf_t *conf) {
        return conf->messageModel == RMQ_CONF_BROADCASTING ? RMQ_HB_BROADCASTING
                                                           : RMQ_HB_CLUSTERING;
}

rmq_err_t rmq__consumer_offsets_new(rmq_offset_store_t **osp, rmq_client_t *ci,
                                    const rmq_conf_t *conf, const char *group,
                                    int message_model, const rmq_logger_t *lg,
                                    char *errstr, size_t errstr_size) {
        rmq_err_t err;
        if (message_model == RMQ_HB_BROADCASTING)
                err = rmq__offset_local_new(osp, conf->localOffsetStoreDir,
                                            rmq__client_id(ci), group, lg,
                                            errstr, errstr_size);
        else
                err = rmq__offset_remote_new(osp, ci, group, lg, errstr,
                                             errstr_size);
        if (!err)
                err = rmq__offset_store_load(*osp, errstr, errstr_size);
        if (err && *osp) {
                rmq__offset_store_destroy(*osp);
                *osp = NULL;
        }
        return err;
}

void rmq__consumer_heartbeat_data(rmq_rebalance_t *rb, const rmq_conf_t *conf,
                                  int consume_type, int consume_from_where,
                                  rmq_heartbeat_data_t *hb) {
        rmq_consumer_data_t *cd;
        rmq_subscription_data_t *subs;
        size_t n, i;
        cd   = rmq__heartbeat_add_consumer(hb, rb->group, consume_type,
                                           rb->message_model, consume_from_where,
                                           conf->unitMode);
        subs = rmq__rebalance_subs(rb, &n);
        rmq__subscription_java_order(subs, n);
        for (i = 0; i < n; i++)
                rmq__consumer_data_add_subscription(cd, &subs[i]);
        rmq__rebalance_subs_free(subs, n);
}

void rmq__consumer_collect_topics(rmq_rebalance_t *rb, rmq_strmap_t *topics) {
        rmq_subscription_data_t *subs;
        size_t n, i;
        subs = rmq__rebalance_subs(rb, &n);
        for (i = 0; i < n; i++)
                if (!rmq__strmap_get(topics, subs[i].topic))
                        rmq__strmap_set(topics, subs[i].topic, (void *)1);
        rmq__rebalance_subs_free(subs, n);
}

void rmq__consumer_update_sub_routes(rmq_rebalance_t *rb, bool missing_only) {
        rmq_subscription_data_t *subs;
        size_t n, i;
        subs = rmq__rebalance_subs(rb, &n);
        for (i = 0; i < n; i++) {
                rmq_topic_route_data_t *rd;
                char e[256];
                if (missing_only &&
                    (rd = rmq__client_route_get(rb->ci, subs[i].topic))) {
                        rmq__topic_route_destroy(rd);
                        continue;
                }
                if (rmq__client_update_route(rb->ci, subs[i].topic, false, NULL,
                                             0, e, sizeof(e)) &&
                    !rmq__is_retry_topic(subs[i].topic))
                        rmq__log(rb->lg, RMQ_LOG_WARN, "CONSUMER",
                                 "no route of %s yet: %s", subs[i].topic, e);
        }
        rmq__rebalance_subs_free(subs, n);
}

rmq_err_t rmq__consumer_check_client_in_broker(rmq_rebalance_t *rb,
                                               const rmq_conf_t *conf,
                                               char *errstr,
                                               size_t errstr_size) {
        rmq_subscription_data_t *subs;
        rmq_err_t err = RMQ_OK;
        size_t n, i;
        subs = rmq__rebalance_subs(rb, &n);
        for (i = 0; i < n && !err; i++) {
                char addr[128], why[512];
                if (!subs[i].expressionType ||
                    !strcmp(subs[i].expressionType, "TAG") ||
                    !rmq__client_broker_addr_by_topic(rb->ci, subs[i].topic,
                                                      addr, sizeof(addr)))
                        continue;
                err = rmq__api_check_client_in_broker(
                    rb->ci, addr, rb->group, rmq__client_id(rb->ci), &subs[i],
                    conf->mqClientApiTimeout, why, sizeof(why));
                if (err)
                        rmq__seterr(errstr, errstr_size, err,
                                    "Check client in broker error, maybe "
                                    "because you use %s to filter message, "
                                    "but server has not been upgraded to "
                                    "support! (%s: %s)",
                                    subs[i].expressionType, addr, why);
        }
        rmq__rebalance_subs_free(subs, n);
        return err;
}

rmq_err_t rmq__consumer_fetch_queues(rmq_client_t *ci, const rmq_conf_t *conf,
                                     const char *topic,
                                     rmq_message_queue_t ***mqsp, size_t *cntp,
                                     char *errstr, size_t errstr_size) {
        rmq_mq_t *mqs = NULL;
        size_t n      = 0;
        char *full    = rmq__ns_wrap(conf->namespace_, topic);
        rmq_err_t err;
        *mqsp = NULL;
        *cntp = 0;
        if (rmq__client_subscribe_queues(ci, full, &mqs, &n)) {
                err = rmq__client_update_route(ci, full, false, NULL, 0, errstr,
                                               errstr_size);
                if (!err)
                        err = rmq__client_subscribe_queues(ci, full, &mqs, &n);
                if (err) {
                        rmq__free(full);
                        return rmq__seterr(errstr, errstr_size, err,
                                           "Can not find Message Queue for "
                                           "this topic, %s",
                                           topic);
                }
        }
        rmq__free(full);
        *mqsp = rmq__consumer_queues_out(conf, mqs, n);
        *cntp = n;
        rmq__mq_array_free(mqs, n);
        return RMQ_OK;
}

rmq_message_queue_t **rmq__consumer_queues_out(const rmq_conf_t *conf,
                                               const rmq_mq_t *mqs, size_t n) {
        rmq_message_queue_t **out = rmq__calloc(n ? n : 1, sizeof(*out));
        size_t i;
        for (i = 0; i < n; i++) {
                char *t = rmq__ns_unwrap(mqs[i].topic, conf->namespace_);
                out[i] =
                    rmq_message_queue_new(t, mqs[i].brokerName, mqs[i].queueId);
                rmq__free(t);
        }
        return out;
}

void rmq__consumer_commit_at_shutdown(rmq_offset_store_t *os,
                                      const rmq_conf_t *conf, int message_model,
                                      const rmq_logger_t *lg, const char *group,
                                      const rmq_mq_t *mqs, size_t n) {
        size_t failed = 0;
        char err[512];
        if (!n)
                return;
        if (message_model != RMQ_HB_CLUSTERING) {
                rmq__offset_store_persist_all(os, mqs, n);
                return;
        }
        if (rmq__offset_remote_commit_sync(
                os, mqs, n, rmq__mono_ms() + conf->mqClientApiTimeout, &failed,
                err, sizeof(err)))
                rmq__log(lg, RMQ_LOG_WARN, "CONSUMER",
                         "shutdown: %zu of %zu offsets of %s not committed "
                         "(their messages will be consumed again): %s",
                         failed, n, group, err);
}

rmq_cmd_t *rmq__consumer_status_response(rmq_offset_store_t *os,
                                         const rmq_cmd_t *req) {
        const char *topic = rmq__cmd_ext(req, "topic");
        size_t n;
        rmq_mq_offset_t *table = rmq__offset_store_clone(os, topic, &n);
        rmq_cmd_t *resp        = rmq__cmd_new_response(RMQ_OK, NULL);
        rmq_buf_t b;
        rmq__buf_init(&b, 256);
        rmq__mq_offset_java_order(table, n);
        rmq__consumer_status_body_encode(table, n, NULL, 0, &b);
        rmq__cmd_set_body_copy(resp, b.data, b.len);
        rmq__buf_free(&b);
        rmq__offset_table_free(table, n);
        return resp;
}

void rmq__consumer_running_info_base(rmq_consumer_running_info_t *info,
                                     rmq_client_t *ci, const rmq_conf_t *conf,
                                     const char *group, int64_t start_ms,
                                     const char *consume_type) {
        const char *name;
        char val[1024];
        int idx;
        memset(info, 0, sizeof(*info));
        /* MixAll.object2Properties: the settings by their Java field
         * names */
        for (idx = 0; rmq_conf_property_info(idx, &name, NULL, NULL, NULL);
             idx++) {
                size_t sz = sizeof(val);
                /* no credentials: Java's live in the RPC hook, not in
                 * the consumer's fields */
                if (strchr(name, '.') || !strcmp(name, "debug") ||
                    !strcmp(name, "accessKey") ||
                    rmq__conf_prop_secret(name))
                        continue;
                if (rmq_conf_get(conf, name, val, &sz) == RMQ_OK && *val)
                        rmq__running_info_add_prop(info, name, val);
        }
        rmq__running_info_add_prop(info, "consumerGroup", group);
        snprintf(val, sizeof(val), "%" PRId64, start_ms);
        rmq__running_info_add_prop(info, RMQ_PROP_CONSUMER_START_TIMESTAMP,
                                   val);
        rmq__remoting_namesrv_list(rmq__client_remoting(ci), val, sizeof(val));
        rmq__running_info_add_prop(info, RMQ_PROP_NAMESERVER_ADDR, val);
        rmq__running_info_add_prop(info, RMQ_PROP_CONSUME_TYPE, consume_type);
        rmq__running_info_add_prop(info, RMQ_PROP_CLIENT_VERSION, "V4_9_8");
}

rmq_cmd_t *
rmq__consumer_running_info_response(rmq_consumer_running_info_t *info) {
        rmq_buf_t b;
        rmq_cmd_t *resp;
        rmq__running_info_props_java_order(info);
        rmq__buf_init(&b, 2048);
        rmq__consumer_running_info_encode(info, &b);
        rmq__running_info_clear(info);
        resp = rmq__cmd_new_response(RMQ_OK, NULL);
        rmq__cmd_set_body_copy(resp, b.data, b.len);
        rmq__buf_free(&b);
        return resp;
}
