/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "common/rmq_log.h"
#include "common/rmq_time.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"

void rmq__log_stderr_cb(rmq_log_level_t level, const char *fac,
                        const char *client_id, const char *msg, void *opaque) {
        static const char *names[] = {"EMERG", "ALERT", "CRIT", "ERROR",
                                      "WARN",  "NOTICE", "INFO", "DEBUG"};
        struct timespec ts;
        struct tm tm;
        char when[32];
        RMQ_UNUSED(opaque);
        clock_gettime(CLOCK_REALTIME, &ts);
        rmq__localtime(ts.tv_sec, &tm);
        strftime(when, sizeof(when), "%H:%M:%S", &tm);
        fprintf(stderr, "%s.%03d %s [%s] %s%s%s\n", when,
                (int)(ts.tv_nsec / 1000000),
                (unsigned)level < 8 ? names[level] : "?", fac,
                client_id && *client_id ? client_id : "",
                client_id && *client_id ? ": " : "", msg);
}

int rmq__log_parse_debug(const char *s, uint32_t *maskp) {
        static const struct {
                const char *name;
                uint32_t bit;
        } facs[] = {{"remoting", RMQ_DBG_REMOTING}, {"route", RMQ_DBG_ROUTE},
                    {"producer", RMQ_DBG_PRODUCER}, {"consumer", RMQ_DBG_CONSUMER},
                    {"rebalance", RMQ_DBG_REBALANCE}, {"offset", RMQ_DBG_OFFSET},
                    {"trace", RMQ_DBG_TRACE},       {"mock", RMQ_DBG_MOCK},
                    {"all", RMQ_DBG_ALL}};
        uint32_t mask = 0;
        const char *p = s;
        while (p && *p) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                size_t i;
                int found = 0;
                while (len && *p == ' ') {
                        p++;
                        len--;
                }
                while (len && p[len - 1] == ' ')
                        len--;
                if (len) {
                        for (i = 0; i < RMQ_ARRAY_SIZE(facs); i++) {
                                if (rmq__streqn(p, len, facs[i].name)) {
                                        mask |= facs[i].bit;
                                        found = 1;
                                }
                        }
                        if (!found)
                                return -1;
                }
                p = e ? e + 1 : NULL;
        }
        *maskp = mask;
        return 0;
}

void rmq__log(const rmq_logger_t *lg, rmq_log_level_t level, const char *fac,
              const char *fmt, ...) {
        char msg[1024];
        va_list ap;
        if (!lg || !lg->cb)
                return;
        if ((int)level > lg->level &&
            !(level == RMQ_LOG_DEBUG && lg->debug))
                return;
#ifndef NDEBUG
        /* STYLE R16.6: the application's callback never runs under a
         * library lock. */
        if (rmq__locks_held() != 0) {
                fprintf(stderr,
                        "rocketmq-c: a log line [%s] under a library lock "
                        "(a bug in the library); aborting\n",
                        fac);
                abort();
        }
#endif
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        lg->cb(level, fac, lg->client_id, msg, lg->opaque);
}
