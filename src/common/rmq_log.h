/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-handle logging (STYLE R9): a level filter, debug facilities, and the
 * application's callback. No process-global logger.
 */
#ifndef RMQ_LOG_H
#define RMQ_LOG_H

#include <uv.h>

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
        /* Rate limiting of rmq__log_rl() lines: an identical line (same
         * client id, opaque, facility, level and text) is logged at most
         * once per rl_ms (log.rate.limit.ms); 0: never limited. */
        int64_t rl_ms;
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

/* As rmq__log() for the noisy paths (connect failures, pull failures
 * while a broker is down): the first of identical lines (same client id,
 * opaque, facility, level and text but for its digits, so that a queue id
 * or a time left does not make a line new)
 * is logged, the repeats within lg->rl_ms are counted and dropped, and
 * the first after that is logged with " (repeated N times since last
 * logged)" counting the dropped ones. Thread-safe; bounded memory (a fixed
 * table shared by all loggers; two lines whose keys share a slot replace
 * each other's count, so a count may be lost, never a first line). */
void rmq__log_rl(const rmq_logger_t *lg, rmq_log_level_t level, const char *fac,
                 const char *fmt, ...) RMQ_PRINTF(4, 5);

/* The limiter of rmq__log_rl(), with its clock injected (unit tests). A
 * table of RMQ_LOG_RL_SLOTS slots, each the last key seen there, when its
 * line was logged and how many repeats were dropped since. */
#define RMQ_LOG_RL_SLOTS 512
typedef struct rmq_log_rl_slot_s {
        uint64_t key;
        int64_t logged_ms;
        uint64_t dropped;
} rmq_log_rl_slot_t;
typedef struct rmq_log_rl_s {
        uv_mutex_t lock;
        rmq_log_rl_slot_t slots[RMQ_LOG_RL_SLOTS];
} rmq_log_rl_t;
void rmq__log_rl_init(rmq_log_rl_t *rl);
void rmq__log_rl_destroy(rmq_log_rl_t *rl);
/* Whether the line of \p key is to be logged at \p now_ms; if so,
 * \p droppedp receives the repeats dropped since it was last logged
 * (0: none, or the first time). Thread-safe. */
bool rmq__log_rl_check(rmq_log_rl_t *rl, uint64_t key, int64_t now_ms,
                       int64_t interval_ms, uint64_t *droppedp);

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
