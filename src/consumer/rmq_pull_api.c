/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PullAPIWrapper: pullKernelImpl and processPullResult (4.9.8), shared by
 * the push consumer (rmq_pull.c) and the lite pull consumer.
 */
#include <stdio.h>
#include <string.h>

#include "consumer/rmq_pull_api.h"
#include "protocol/rmq_message_codec.h"

/* MQVersion.Version.V4_1_0_SNAPSHOT.ordinal(): brokers below it cannot
 * filter by SQL92. */
#define VERSION_V4_1_0_SNAPSHOT 232

rmq_err_t rmq__pull_build(rmq_client_t *ci, const rmq_conf_t *conf,
                          const rmq_pull_args_t *a, char *addr,
                          size_t addr_size, rmq_cmd_t **reqp, char *err,
                          size_t err_size) {
        const rmq_mq_t *mq                = a->mq;
        const rmq_subscription_data_t *sd = a->sd;
        rmq_pull_header_t h;
        bool slave  = false;
        int version = 0;

        /* findBrokerAddressInSubscribe, the route refreshed once */
        if (!rmq__client_broker_addr_in_subscribe(
                ci, mq->brokerName, a->broker_id, false, addr, addr_size,
                &slave, &version)) {
                rmq__client_update_route(ci, mq->topic, false, NULL, 0, NULL,
                                         0);
                if (!rmq__client_broker_addr_in_subscribe(
                        ci, mq->brokerName, a->broker_id, false, addr,
                        addr_size, &slave, &version)) {
                        snprintf(err, err_size, "The broker[%s] not exist",
                                 mq->brokerName);
                        return RMQ_ERR__NO_BROKER;
                }
        }
        if (sd->expressionType && strcmp(sd->expressionType, "TAG") &&
            version < VERSION_V4_1_0_SNAPSHOT) {
                snprintf(err, err_size,
                         "The broker[%s, %d] does not upgrade to support for "
                         "filter message by %s",
                         mq->brokerName, version, sd->expressionType);
                return RMQ_ERR__NOT_SUPPORTED;
        }
        memset(&h, 0, sizeof(h));
        h.consumerGroup        = a->group;
        h.topic                = mq->topic;
        h.queueId              = mq->queueId;
        h.queueOffset          = a->offset;
        h.maxMsgNums           = a->max_nums;
        h.sysFlag              = a->sys_flag;
        h.commitOffset         = a->commit_offset;
        h.suspendTimeoutMillis = a->suspend_ms;
        h.subscription         = a->send_subscription ? sd->subString : NULL;
        h.subVersion           = a->sub_version;
        h.expressionType       = sd->expressionType;
        h.bname                = mq->brokerName;
        /* a slave does not take offsets */
        if (slave)
                h.sysFlag &= ~RMQ_PULL_FLAG_COMMIT_OFFSET;
        *reqp = rmq__api_pull_request(conf, &h);
        return RMQ_OK;
}

static bool tag_filter(const char *tags, size_t len, void *opaque) {
        return rmq__subscription_match_tag(opaque, tags, len);
}

rmq_err_t rmq__pull_decode(rmq_client_t *ci, rmq_pull_result_t *res,
                           const rmq_mq_t *mq,
                           const rmq_subscription_data_t *sd,
                           const char *retry_group, const char *ns,
                           rmq_msg_batch_t **batchp, char *err,
                           size_t err_size) {
        rmq_msg_decode_opts_t opts;
        void *storage = res->storage;

        res->storage = NULL;
        memset(&opts, 0, sizeof(opts));
        opts.brokerName = mq->brokerName;
        opts.hasOffsets = true;
        opts.minOffset  = res->minOffset;
        opts.maxOffset  = res->maxOffset;
        if (sd->tagsSet_cnt > 0 && !sd->classFilterMode) {
                opts.tagFilter       = tag_filter;
                opts.tagFilterOpaque = (void *)sd;
        }
        opts.retryGroup = retry_group;
        opts.ns         = ns;
        opts.memAcct    = rmq__client_held_bytes(ci);
        return rmq__msg_batch_decode(storage, res->body, res->body_len, &opts,
                                     batchp, err, err_size);
}
