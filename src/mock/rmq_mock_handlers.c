/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handler table: one handler per RequestCode, as librdkafka's
 * rd_kafka_mock_api_handlers[] is keyed by ApiKey. The name server and
 * the brokers have separate tables, as the real servers register separate
 * processors; a code missing from the broker's table is answered
 * REQUEST_CODE_NOT_SUPPORTED, one missing from the name server's is not
 * answered at all (rmq__mock_dispatch).
 */
#include "mock/rmq_mock_int.h"

#define CODE_MAX 400

/* namesrv DefaultRequestProcessor */
static rmq_mock_handler_t *const namesrv_handlers[CODE_MAX] = {
    [RMQ_REQ_REGISTER_BROKER]                   = rmq__mock_h_register_broker,
    [RMQ_REQ_GET_ROUTEINFO_BY_TOPIC]            = rmq__mock_h_route,
    [RMQ_REQ_GET_BROKER_CLUSTER_INFO]           = rmq__mock_h_cluster_info,
    [RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER] = rmq__mock_h_topic_list,
};

/* The broker's processors (BrokerController#registerProcessor). */
static rmq_mock_handler_t *const broker_handlers[CODE_MAX] = {
    /* SendMessageProcessor */
    [RMQ_REQ_SEND_MESSAGE]           = rmq__mock_h_send,
    [RMQ_REQ_SEND_MESSAGE_V2]        = rmq__mock_h_send,
    [RMQ_REQ_SEND_BATCH_MESSAGE]     = rmq__mock_h_send,
    [RMQ_REQ_CONSUMER_SEND_MSG_BACK] = rmq__mock_h_send_back,
    /* ReplyMessageProcessor */
    [RMQ_REQ_SEND_REPLY_MESSAGE]    = rmq__mock_h_send_reply,
    [RMQ_REQ_SEND_REPLY_MESSAGE_V2] = rmq__mock_h_send_reply,
    /* EndTransactionProcessor */
    [RMQ_REQ_END_TRANSACTION] = rmq__mock_h_end_transaction,
    /* PullMessageProcessor, QueryMessageProcessor */
    [RMQ_REQ_PULL_MESSAGE]       = rmq__mock_h_pull,
    [RMQ_REQ_QUERY_MESSAGE]      = rmq__mock_h_query_message,
    [RMQ_REQ_VIEW_MESSAGE_BY_ID] = rmq__mock_h_view_message,
    /* ConsumerManageProcessor */
    [RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP] = rmq__mock_h_consumer_list,
    [RMQ_REQ_QUERY_CONSUMER_OFFSET]      = rmq__mock_h_query_offset,
    [RMQ_REQ_UPDATE_CONSUMER_OFFSET]     = rmq__mock_h_update_offset,
    /* AdminBrokerProcessor */
    [RMQ_REQ_UPDATE_AND_CREATE_TOPIC]          = rmq__mock_h_create_topic,
    [RMQ_REQ_GET_ALL_TOPIC_CONFIG]             = rmq__mock_h_all_topic_config,
    [RMQ_REQ_GET_BROKER_RUNTIME_INFO]          = rmq__mock_h_runtime_info,
    [RMQ_REQ_GET_ALL_SUBSCRIPTIONGROUP_CONFIG] = rmq__mock_h_all_sub_groups,
    [RMQ_REQ_GET_TOPIC_STATS_INFO]             = rmq__mock_h_topic_stats,
    [RMQ_REQ_GET_PRODUCER_CONNECTION_LIST] = rmq__mock_h_producer_connections,
    [RMQ_REQ_QUERY_TOPIC_CONSUME_BY_WHO]   = rmq__mock_h_topic_consumed_by,
    [RMQ_REQ_LOCK_BATCH_MQ]                = rmq__mock_h_lock,
    [RMQ_REQ_UNLOCK_BATCH_MQ]              = rmq__mock_h_unlock,
    [RMQ_REQ_GET_MAX_OFFSET]               = rmq__mock_h_max_offset,
    [RMQ_REQ_GET_MIN_OFFSET]               = rmq__mock_h_min_offset,
    [RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP]   = rmq__mock_h_search_offset,
    [RMQ_REQ_GET_EARLIEST_MSG_STORETIME]   = rmq__mock_h_earliest_time,
    [RMQ_REQ_GET_CONSUMER_CONNECTION_LIST] = rmq__mock_h_consumer_connections,
    [RMQ_REQ_GET_CONSUME_STATS]            = rmq__mock_h_consume_stats,
    [RMQ_REQ_GET_CONSUMER_RUNNING_INFO]    = rmq__mock_h_consumer_running_info,
    [RMQ_REQ_CONSUME_MESSAGE_DIRECTLY] = rmq__mock_h_consume_message_directly,
    [RMQ_REQ_INVOKE_BROKER_TO_RESET_OFFSET] = rmq__mock_h_reset_offset,
    [RMQ_REQ_INVOKE_BROKER_TO_GET_CONSUMER_STATUS] =
        rmq__mock_h_consumer_status,
    /* ClientManageProcessor */
    [RMQ_REQ_HEART_BEAT]          = rmq__mock_h_heartbeat,
    [RMQ_REQ_UNREGISTER_CLIENT]   = rmq__mock_h_unregister,
    [RMQ_REQ_CHECK_CLIENT_CONFIG] = rmq__mock_h_check_client_config,
};

rmq_mock_handler_t *rmq__mock_handler(int code, int where) {
        if (code < 0 || code >= CODE_MAX)
                return NULL;
        return where == RMQ_MOCK_ON_NAMESRV ? namesrv_handlers[code]
                                            : broker_handlers[code];
}
