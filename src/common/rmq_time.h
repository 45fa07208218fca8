/* SPDX-License-Identifier: Apache-2.0 */
/* Clocks: monotonic milliseconds for deadlines, wall-clock milliseconds for
 * timestamps that go on the wire (Java System.currentTimeMillis()). */
#ifndef RMQ_TIME_H
#define RMQ_TIME_H

#include "common/rmq_common.h"

int64_t rmq__mono_ms(void);
int64_t rmq__mono_ns(void);
int64_t rmq__wall_ms(void);

#endif /* RMQ_TIME_H */
