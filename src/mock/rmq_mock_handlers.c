/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handler table: one handler per RequestCode, as librdkafka's
 * rd_kafka_mock_api_handlers[] is keyed by ApiKey. The name server and
 * the brokers have separate tables, as the real servers register separate
 * processors; a code missing from a table is answered
 * REQUEST_CODE_NOT_SUPPORTED.
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
    [RMQ_REQ_SEND_MESSAGE]        = rmq__mock_h_send,
    [RMQ_REQ_SEND_MESSAGE_V2]     = rmq__mock_h_send,
    [RMQ_REQ_SEND_BATCH_MESSAGE]  = rmq__mock_h_send,
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
