/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "common/rmq_buf.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "protocol/rmq_msg_id.h"

int64_t rmq__month_start_ms(int64_t ms, int month_delta) {
        time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        struct tm tm;
        rmq__localtime(secs, &tm);
        tm.tm_mday  = 1;
        tm.tm_hour  = 0;
        tm.tm_min   = 0;
        tm.tm_sec   = 0;
        tm.tm_mon  += month_delta;
        tm.tm_isdst = -1;
        return (int64_t)rmq__mktime(&tm) * 1000;
}

void rmq__msg_id_gen_init(rmq_msg_id_gen_t *gen, const uint8_t *ip,
                          size_t ip_len, uint16_t pid, int32_t hash,
                          int64_t now_ms) {
        uint8_t raw[16 + 2 + 4];
        ip_len = ip_len == 16 ? 16 : 4;
        memcpy(raw, ip, ip_len);
        rmq__be16_write(raw + ip_len, pid);
        rmq__be32_write(raw + ip_len + 2, (uint32_t)hash);
        rmq__hex_upper(raw, ip_len + 6, gen->fix);
        gen->fixLen = 2 * (ip_len + 6);
        atomic_init(&gen->startTime, rmq__month_start_ms(now_ms, 0));
        atomic_init(&gen->nextStartTime, rmq__month_start_ms(now_ms, 1));
        atomic_init(&gen->counter, 0);
}

/* mirrors MessageClientIDSetter.createUniqID */
size_t rmq__msg_id_gen_next(rmq_msg_id_gen_t *gen, int64_t now_ms,
                            char *out) {
        uint8_t tail[6];
        int32_t diff;
        if (now_ms >= atomic_load(&gen->nextStartTime)) {
                /* setStartTime: racing threads store the same month; the
                 * start is stored first so whoever sees the new end also
                 * sees the new start. */
                atomic_store(&gen->startTime, rmq__month_start_ms(now_ms, 0));
                atomic_store(&gen->nextStartTime,
                             rmq__month_start_ms(now_ms, 1));
        }
        /* Java: (int)(current - startTime), i.e. the low 32 bits */
        diff = (int32_t)(uint32_t)(uint64_t)(now_ms -
                                             atomic_load(&gen->startTime));
        if (diff < 0 && diff > -1000000)
                diff = 0; /* "may cause by NTP" */
        rmq__be32_write(tail, (uint32_t)diff);
        rmq__be16_write(tail + 4,
                        (uint16_t)atomic_fetch_add(&gen->counter, 1));
        memcpy(out, gen->fix, gen->fixLen);
        rmq__hex_upper(tail, sizeof(tail), out + gen->fixLen);
        return gen->fixLen + 2 * sizeof(tail);
}

/* ---- the process-wide generator ---- */

static uv_once_t default_once = UV_ONCE_INIT;
static rmq_msg_id_gen_t default_gen;
static atomic_bool default_started;
static char default_ip[64];

/* Parses a numeric address; returns its length (4 or 16) or 0. */
static size_t parse_ip(const char *s, uint8_t *ip) {
        if (inet_pton(AF_INET, s, ip) == 1)
                return 4;
        if (inet_pton(AF_INET6, s, ip) == 1)
                return 16;
        return 0;
}

static void default_init(void) {
        char addr[64];
        uint8_t ip[16];
        size_t ip_len;
        int32_t hash;
        int64_t now = rmq__wall_ms();
        if (default_ip[0])
                rmq__strlcpy(addr, default_ip, sizeof(addr));
        else
                rmq__local_address(addr, sizeof(addr));
        ip_len = parse_ip(addr, ip);
        if (!ip_len) {
                /* MessageClientIDSetter.createFakeIP: the low four bytes
                 * of the current time */
                rmq__be32_write(ip, (uint32_t)(uint64_t)now);
                ip_len = 4;
        }
        /* Java uses the class loader's identity hash: any int fixed for
         * the process. */
        if (uv_random(NULL, NULL, &hash, sizeof(hash), 0, NULL))
                hash = (int32_t)((uint32_t)getpid() * 2654435761u ^
                                 (uint32_t)now);
        rmq__msg_id_gen_init(&default_gen, ip, ip_len,
                             (uint16_t)getpid(), hash, now);
        atomic_store(&default_started, true);
}

size_t rmq__msg_id_create(char *out) {
        uv_once(&default_once, default_init);
        return rmq__msg_id_gen_next(&default_gen, rmq__wall_ms(), out);
}

rmq_err_t rmq__msg_id_set_ip(const char *ip) {
        uint8_t tmp[16];
        if (atomic_load(&default_started))
                return RMQ_ERR__STATE;
        if (!ip || strlen(ip) >= sizeof(default_ip) || !parse_ip(ip, tmp))
                return RMQ_ERR__INVALID_ARG;
        rmq__strlcpy(default_ip, ip, sizeof(default_ip));
        return RMQ_OK;
}

/* ---- reading an id ---- */

/* UtilAll.string2bytes of a 32- or 56-character id; returns the byte
 * count or 0. */
static size_t id_bytes(const char *id, size_t len, uint8_t *raw) {
        if (!id || (len != 32 && len != 56) || rmq__unhex(id, len, raw))
                return 0;
        return len / 2;
}

/* mirrors MessageClientIDSetter.getNearlyTimeFromID */
int64_t rmq__msg_id_nearly_time(const char *id, size_t len, int64_t now_ms) {
        uint8_t raw[28];
        size_t n = id_bytes(id, len, raw);
        int64_t span, start;
        if (!n)
                return -1;
        span  = (int64_t)rmq__be32_read(raw + n - 6);
        start = rmq__month_start_ms(now_ms, 0);
        if (start + span >= now_ms)
                start = rmq__month_start_ms(now_ms, -1);
        return start + span;
}

/* mirrors MessageClientIDSetter.getIPStrFromID (UtilAll.ipToIPv4Str /
 * ipToIPv6Str) */
int rmq__msg_id_ip_str(const char *id, size_t len, char *dst, size_t size) {
        uint8_t raw[28];
        size_t n = id_bytes(id, len, raw);
        const uint8_t *ip = raw;
        if (!n)
                return -1;
        if (n == 16)
                snprintf(dst, size, "%u.%u.%u.%u", ip[0], ip[1], ip[2],
                         ip[3]);
        else
                snprintf(dst, size,
                         "%02x%02x:%02x%02x:%02x%02x:%02x%02x:"
                         "%02x%02x:%02x%02x:%02x%02x:%02x%02x",
                         ip[0], ip[1], ip[2], ip[3], ip[4], ip[5], ip[6],
                         ip[7], ip[8], ip[9], ip[10], ip[11], ip[12], ip[13],
                         ip[14], ip[15]);
        return 0;
}

/* mirrors MessageClientIDSetter.getPidFromID */
int rmq__msg_id_pid(const char *id, size_t len) {
        uint8_t raw[28];
        size_t n = id_bytes(id, len, raw);
        if (!n)
                return -1;
        return rmq__be16_read(raw + n - 12);
}
