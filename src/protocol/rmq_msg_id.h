/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's unique message id (the UNIQ_KEY property, the msgId users
 * see): upper-case hex of
 *   [ip 4|16 bytes][pid int16][classloader hash int32]   fixed per process
 *   [ms since the 1st of the current month 00:00 local time, int32]
 *   [counter int16]
 * = 32 characters for an IPv4 address, 56 for IPv6.
 *
 * @see Java: MessageClientIDSetter (common/.../message/).
 */
#ifndef RMQ_MSG_ID_H
#define RMQ_MSG_ID_H

#include <stdatomic.h>

#include "common/rmq_common.h"

#define RMQ_MSG_ID_MAX 56 /* characters of an id with an IPv6 address */

/*
 * A generator. Java has one per class loader; the library has one per
 * process (rmq__msg_id_create), and tests make their own with a fixed
 * address, pid, hash and clock.
 */
typedef struct rmq_msg_id_gen_s {
        char fix[2 * (16 + 2 + 4) + 1]; /* hex of ip + pid + hash */
        size_t fixLen;
        _Atomic int64_t startTime;     /* start of the current month, ms */
        _Atomic int64_t nextStartTime; /* start of the next month, ms */
        atomic_uint counter;
} rmq_msg_id_gen_t;

/* \p ip is 4 or 16 bytes. \p now_ms sets the first month window. */
void rmq__msg_id_gen_init(rmq_msg_id_gen_t *gen, const uint8_t *ip,
                          size_t ip_len, uint16_t pid, int32_t hash,
                          int64_t now_ms);
/* Writes the next id and a NUL into \p out (RMQ_MSG_ID_MAX + 1 bytes);
 * returns its length. Thread-safe. @see Java:
 * MessageClientIDSetter#createUniqID */
size_t rmq__msg_id_gen_next(rmq_msg_id_gen_t *gen, int64_t now_ms,
                            char *out);

/* The process-wide generator, initialised once (uv_once) on first use
 * with the address of rmq__local_address(), the pid and a random int in
 * place of the class loader hash. Thread-safe. */
size_t rmq__msg_id_create(char *out);
/* Sets the address the process-wide generator uses (numeric IPv4 or
 * IPv6). Like an allocator hook, it must be called before the first id is
 * made: returns RMQ_ERR__STATE afterwards, RMQ_ERR__INVALID_ARG for a
 * non-numeric address. Not thread-safe with rmq__msg_id_create. */
rmq_err_t rmq__msg_id_set_ip(const char *ip);

/*
 * Reading an id back. An id is 32 or 56 hex characters; anything else
 * gives -1 / an error.
 */

/* The time the id was made, within the month before \p now_ms (local
 * time), in ms since the epoch; -1 for a bad id. @see Java:
 * MessageClientIDSetter#getNearlyTimeFromID */
int64_t rmq__msg_id_nearly_time(const char *id, size_t len, int64_t now_ms);
/* The address as Java prints it (IPv4 dotted; IPv6 as eight groups of
 * four hex digits). Returns 0 or -1. @see Java:
 * MessageClientIDSetter#getIPStrFromID */
int rmq__msg_id_ip_str(const char *id, size_t len, char *dst, size_t size);
/* The pid (0..65535) or -1. @see Java: MessageClientIDSetter#getPidFromID */
int rmq__msg_id_pid(const char *id, size_t len);

/* Start of the month that contains \p ms, local time, offset by
 * \p month_delta months; in ms since the epoch. Exposed for tests.
 * @see Java: MessageClientIDSetter#setStartTime (Calendar) */
int64_t rmq__month_start_ms(int64_t ms, int month_delta);

#endif /* RMQ_MSG_ID_H */
