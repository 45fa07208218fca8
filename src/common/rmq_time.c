/* SPDX-License-Identifier: Apache-2.0 */
#include <time.h>

#include <uv.h>

#include "common/rmq_time.h"

int64_t rmq__mono_ns(void) {
        return (int64_t)uv_hrtime();
}

int64_t rmq__mono_ms(void) {
        return (int64_t)(uv_hrtime() / 1000000u);
}

int64_t rmq__wall_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
