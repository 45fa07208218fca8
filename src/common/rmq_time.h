/* SPDX-License-Identifier: Apache-2.0 */
/* Clocks: monotonic milliseconds for deadlines, wall-clock milliseconds for
 * timestamps that go on the wire (Java System.currentTimeMillis()). */
#ifndef RMQ_TIME_H
#define RMQ_TIME_H

#include "common/rmq_common.h"

int64_t rmq__mono_ms(void);
int64_t rmq__mono_ns(void);
int64_t rmq__wall_ms(void);

/* localtime_r / mktime, serialised with each other (any thread). */
#include <time.h>
void rmq__localtime(time_t t, struct tm *out);
time_t rmq__mktime(struct tm *tm);

#endif /* RMQ_TIME_H */
