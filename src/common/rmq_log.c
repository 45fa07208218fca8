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

static bool log_wanted(const rmq_logger_t *lg, rmq_log_level_t level) {
        if (!lg || !lg->cb)
                return false;
        return (int)level <= lg->level || (level == RMQ_LOG_DEBUG && lg->debug);
}

static void log_assert_unlocked(const char *fac) {
#ifndef NDEBUG
        char what[64];
        if (rmq__locks_held() == 0)
                return;
        snprintf(what, sizeof(what), "a log line [%s]", fac);
        rmq__assert_no_locks(what);
#else
        RMQ_UNUSED(fac);
#endif
}

/* ---- rate limiting ---- */

void rmq__log_rl_init(rmq_log_rl_t *rl) {
        memset(rl->slots, 0, sizeof(rl->slots));
        uv_mutex_init(&rl->lock);
}

void rmq__log_rl_destroy(rmq_log_rl_t *rl) {
        uv_mutex_destroy(&rl->lock);
}

bool rmq__log_rl_check(rmq_log_rl_t *rl, uint64_t key, int64_t now_ms,
                       int64_t interval_ms, uint64_t *droppedp) {
        rmq_log_rl_slot_t *s = &rl->slots[key % RMQ_LOG_RL_SLOTS];
        bool log             = true;
        *droppedp            = 0;
        /* A plain mutex, not a library lock: the callback runs after. */
        uv_mutex_lock(&rl->lock);
        if (s->key != key || s->logged_ms == 0) {
                s->key       = key; /* new line, or it takes over the slot */
                s->dropped   = 0;
                s->logged_ms = now_ms ? now_ms : 1;
        } else if (now_ms - s->logged_ms < interval_ms) {
                s->dropped++;
                log = false;
        } else {
                *droppedp    = s->dropped;
                s->dropped   = 0;
                s->logged_ms = now_ms ? now_ms : 1;
        }
        uv_mutex_unlock(&rl->lock);
        return log;
}

static uv_once_t rl_once = UV_ONCE_INIT;
static rmq_log_rl_t rl_table;

static void rl_table_init(void) {
        rmq__log_rl_init(&rl_table);
}

/* FNV-1a over \p len bytes, continuing \p h. */
static uint64_t fnv(uint64_t h, const void *p, size_t len) {
        const unsigned char *b = p;
        size_t i;
        for (i = 0; i < len; i++) {
                h ^= b[i];
                h *= 1099511628211ull;
        }
        return h;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* The key of a rate-limited line: the logger's identity, the level, the
 * facility and the text without its plain numbers (queue ids, offsets,
 * times left do not make a line different). Numbers joined by '.' or ':'
 * (addresses such as 10.0.0.7:10911) are kept: two brokers' failures are
 * two lines. */
static uint64_t line_key(const rmq_logger_t *lg, rmq_log_level_t level,
                         const char *fac, const char *msg) {
        int lv = (int)level;
        uint64_t key =
            fnv(14695981039346656037ull, lg->client_id, strlen(lg->client_id));
        const char *p = msg, *e;
        key           = fnv(key, &lg->opaque, sizeof(lg->opaque));
        key           = fnv(key, &lv, sizeof(lv));
        key           = fnv(key, fac, strlen(fac) + 1);
        while (*p) {
                bool address = false;
                if (!is_digit(*p)) {
                        key = fnv(key, p++, 1);
                        continue;
                }
                /* a run of digits, '.' and ':' starting with a digit */
                for (e = p; is_digit(*e) || *e == '.' || *e == ':'; e++)
                        if ((*e == '.' || *e == ':') && is_digit(e[1]))
                                address = true;
                if (address)
                        key = fnv(key, p, (size_t)(e - p));
                else /* the number's trailing separators stay in the key */
                        while (p < e && is_digit(*p))
                                p++;
                p = address ? e : p;
        }
        return key;
}

/* Formats and hands a line to the callback; \p limited: rmq__log_rl. */
static void log_v(const rmq_logger_t *lg, rmq_log_level_t level,
                  const char *fac, bool limited, const char *fmt, va_list ap) {
        char msg[1024];
        uint64_t dropped = 0;
        if (!log_wanted(lg, level))
                return;
        log_assert_unlocked(fac);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (limited && lg->rl_ms > 0) {
                uv_once(&rl_once, rl_table_init);
                if (!rmq__log_rl_check(&rl_table, line_key(lg, level, fac, msg),
                                       rmq__mono_ms(), lg->rl_ms, &dropped))
                        return;
        }
        if (dropped) {
                size_t n = strlen(msg);
                snprintf(msg + n, sizeof(msg) - n,
                         " (repeated %llu times since last logged)",
                         (unsigned long long)dropped);
        }
        lg->cb(level, fac, lg->client_id, msg, lg->opaque);
}

void rmq__log(const rmq_logger_t *lg, rmq_log_level_t level, const char *fac,
              const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_v(lg, level, fac, false, fmt, ap);
        va_end(ap);
}

void rmq__log_rl(const rmq_logger_t *lg, rmq_log_level_t level, const char *fac,
                 const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_v(lg, level, fac, true, fmt, ap);
        va_end(ap);
}
