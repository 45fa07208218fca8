/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UPDATE_AND_CREATE_TOPIC (17): AdminBrokerProcessor#updateAndCreateTopic
 * (4.9.8), what DefaultMQProducer#createTopic (MQAdminImpl) sends to every
 * master. The topic config is replaced; the mock's name server answers
 * from the brokers' topic tables, so the route shows it at once, as
 * registerIncrementBrokerData makes it on a real cluster.
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_names.h"

/* The mock's bound on queue counts (a real broker has none; the mock
 * allocates its queues). The same as rmq_mock_topic_create's. */
#define MOCK_MAX_QUEUE_NUMS 65536

/* mirrors AdminBrokerProcessor#updateAndCreateTopic */
rmq_cmd_t *rmq__mock_h_create_topic(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *topic, *filter, *bad;
        int32_t read_queues, write_queues, perm, sys_flag;
        rmq_mock_topic_t *t;
        char remark[400];
        /* CreateTopicRequestHeader through the reflective decoder: the
         * first missing or bad field fails, in the iteration order of the
         * HashSet<Field> RemotingCommand#getClazzFields builds. */
        rmq__mock_hdr_init(&h, ctx->req);
        read_queues  = rmq__mock_hdr_i32(&h, "readQueueNums", true, 0);
        perm         = rmq__mock_hdr_i32(&h, "perm", true, 0);
        write_queues = rmq__mock_hdr_i32(&h, "writeQueueNums", true, 0);
        filter       = rmq__mock_hdr_str(&h, "topicFilterType", true);
        topic        = rmq__mock_hdr_str(&h, "topic", true);
        rmq__mock_hdr_str(&h, "defaultTopic", true);
        sys_flag = rmq__mock_hdr_i32(&h, "topicSysFlag", false, 0);
        rmq__mock_hdr_str(&h, "order", true); /* Boolean.parseBoolean */
        if (h.err)
                return rmq__mock_hdr_error(&h);
        /* CreateTopicRequestHeader#checkFields */
        if (strcmp(filter, "SINGLE_TAG") && strcmp(filter, "MULTI_TAG")) {
                snprintf(remark, sizeof(remark),
                         "org.apache.rocketmq.remoting.exception."
                         "RemotingCommandException: topicFilterType = [%s] "
                         "value invalid",
                         filter);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        bad = rmq__mock_topic_invalid(topic);
        if (bad)
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, bad);
        /* TopicValidator.isSystemTopic (the cluster and broker names are
         * not refused by 4.9.8). */
        if (rmq__is_system_topic(topic)) {
                snprintf(remark, sizeof(remark),
                         "The topic[%s] is conflict with system topic.",
                         topic);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        if (read_queues > MOCK_MAX_QUEUE_NUMS ||
            write_queues > MOCK_MAX_QUEUE_NUMS) {
                snprintf(remark, sizeof(remark),
                         "[mock] queue numbers above %d are not supported",
                         MOCK_MAX_QUEUE_NUMS);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        /* A new TopicConfig replaces the old one: the request's order flag
         * is not applied (4.9.8 leaves TopicConfig.order false). */
        t            = rmq__mock_topic_put(ctx->mb, topic, read_queues,
                                           write_queues, perm, sys_flag);
        t->multi_tag = !strcmp(filter, "MULTI_TAG");
        rmq__log(&ctx->mc->lg, RMQ_LOG_INFO, "MOCK",
                 "%s: updateAndCreateTopic %s by %s", ctx->mb->name, topic,
                 rmq__channel_addr(ctx->ch));
        /* createResponseCommand(null) keeps its remark on success. */
        return rmq__mock_response(RMQ_OK, "not set any response code");
}
