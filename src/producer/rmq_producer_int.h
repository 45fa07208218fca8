/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The producer's entry points for the rest of the library.
 */
#ifndef RMQ_PRODUCER_INT_H
#define RMQ_PRODUCER_INT_H

#include "client/rmq_client.h"
#include "rocketmq/rmq_producer.h"

/* Starts \p prod (new, not started) as the instance's own producer
 * (Java MQClientInstance.defaultMQProducer, started with start(false)):
 * its producerGroup is used as is (no namespace), it joins \p ci without
 * taking a reference and without starting it. Shut down and destroy it
 * with the public calls before the instance goes. */
rmq_err_t rmq__producer_start_inner(rmq_producer_t *prod, rmq_client_t *ci,
                                    char *errstr, size_t errstr_size);

#endif /* RMQ_PRODUCER_INT_H */
