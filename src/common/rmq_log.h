/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-handle logging (STYLE R9): a level filter, debug facilities, and the
 * application's callback. No process-global logger.
 */
#ifndef RMQ_LOG_H
#define RMQ_LOG_H

#include "common/rmq_common.h"
#include "rocketmq/rmq_conf.h"

/* Debug facilities (`debug` property). */
#define RMQ_DBG_REMOTING  0x01u
#define RMQ_DBG_ROUTE     0x02u
#define RMQ_DBG_PRODUCER  0x04u
#define RMQ_DBG_CONSUMER  0x08u
#define RMQ_DBG_REBALANCE 0x10u
#define RMQ_DBG_OFFSET    0x20u
#define RMQ_DBG_TRACE     0x40u
#define RMQ_DBG_MOCK      0x80u
#define RMQ_DBG_ALL       0xffu

typedef struct rmq_logger_s {
        rmq_log_cb_t *cb;
        void *opaque;
        int level;      /* messages above this syslog level are dropped */
        uint32_t debug; /* RMQ_DBG_* bits */
        char client_id[160];
} rmq_logger_t;

/* The default callback: "<time> <LEVEL> [<fac>] <client_id> <msg>" to
 * stderr. */
void rmq__log_stderr_cb(rmq_log_level_t level, const char *fac,
                        const char *client_id, const char *msg, void *opaque);

/* Parses a `debug` value ("remoting,route,...,all") into RMQ_DBG_* bits;
 * returns -1 on an unknown word. */
int rmq__log_parse_debug(const char *s, uint32_t *maskp);

void rmq__log(const rmq_logger_t *lg, rmq_log_level_t level, const char *fac,
              const char *fmt, ...) RMQ_PRINTF(4, 5);

static inline bool rmq__log_enabled(const rmq_logger_t *lg,
                                    rmq_log_level_t level) {
        return lg && lg->cb && (int)level <= lg->level;
}

static inline bool rmq__dbg_enabled(const rmq_logger_t *lg, uint32_t bit) {
        return lg && (lg->debug & bit);
}

/* Debug log that costs one test when the facility is off; FAC is the
 * suffix of an RMQ_DBG_ constant, which also names the facility. */
#define rmq__dbg(lg, FAC, ...)                                                 \
        do {                                                                   \
                if (rmq__dbg_enabled((lg), RMQ_DBG_##FAC))                     \
                        rmq__log((lg), RMQ_LOG_DEBUG, #FAC, __VA_ARGS__);      \
        } while (0)

#endif /* RMQ_LOG_H */
