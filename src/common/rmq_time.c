/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
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

/* glibc serialises its time-zone state internally, but sanitizers do not
 * see that lock; one of ours makes every local-time conversion of the
 * library visibly ordered (and costs nothing next to the conversion). */
static uv_mutex_t tz_lock;
static uv_once_t tz_once = UV_ONCE_INIT;

static void tz_init(void) {
        if (uv_mutex_init(&tz_lock))
                abort();
}

void rmq__localtime(time_t t, struct tm *out) {
        uv_once(&tz_once, tz_init);
        uv_mutex_lock(&tz_lock);
        localtime_r(&t, out);
        uv_mutex_unlock(&tz_lock);
}

time_t rmq__mktime(struct tm *tm) {
        time_t t;
        uv_once(&tz_once, tz_init);
        uv_mutex_lock(&tz_lock);
        t = mktime(tm);
        uv_mutex_unlock(&tz_lock);
        return t;
}
