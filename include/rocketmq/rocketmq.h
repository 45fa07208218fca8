/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rocketmq.h
 * @brief rocketmq-c: Apache RocketMQ client library for C (umbrella header).
 *
 * Applications include only this header. See README.md and docs/ for the
 * concepts; each header documents ownership, thread safety and errors of
 * its functions.
 */
#ifndef RMQ_ROCKETMQ_H
#define RMQ_ROCKETMQ_H

#include "rocketmq/rmq_export.h"
#include "rocketmq/rmq_version.h"
#include "rocketmq/rmq_err.h"
#include "rocketmq/rmq_conf.h"
#include "rocketmq/rmq_request_code.h"
#include "rocketmq/rmq_message.h"
#include "rocketmq/rmq_message_ext.h"
#include "rocketmq/rmq_producer.h"
#include "rocketmq/rmq_transaction.h"
#include "rocketmq/rmq_push_consumer.h"
#include "rocketmq/rmq_admin.h"
#include "rocketmq/rmq_lite_pull_consumer.h"
#include "rocketmq/rmq_request_reply.h"

#endif /* RMQ_ROCKETMQ_H */
