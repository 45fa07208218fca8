/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connect back-off (not in Java; docs/CONNECTIONS.md): after a failed
 * connect to an address, new connects to it wait a growing delay with
 * jitter, reset by a successful connect. The table is owned by one
 * transport and used on its loop thread only (no lock).
 *
 * Delay after the n-th failure in a row: min(base * 2^(n-1), max), then
 * scaled by a random factor in [0.8, 1.2] (and capped at max again).
 * base 0 turns the back-off off. At most RMQ_BACKOFF_CAP addresses are
 * remembered; when full, expired entries are dropped, and an address that
 * finds no room is not backed off (bounded memory over boundless safety).
 */
#ifndef RMQ_BACKOFF_H
#define RMQ_BACKOFF_H

#include "common/rmq_common.h"

#define RMQ_BACKOFF_CAP 4096

typedef struct rmq_backoff_s rmq_backoff_t;

/* A table with \p base_ms and \p max_ms (max < base is taken as base). */
rmq_backoff_t *rmq__backoff_new(int64_t base_ms, int64_t max_ms);
void rmq__backoff_free(rmq_backoff_t *b); /* NULL-safe */

/* Milliseconds left before \p addr may be dialled again at \p now (0: now);
 * \p failuresp (may be NULL) receives the failures in a row. */
int64_t rmq__backoff_remaining(rmq_backoff_t *b, const char *addr, int64_t now,
                               int *failuresp);

/* A connect to \p addr failed at \p now: returns the delay before the
 * next attempt (0 when the back-off is off or the table is full). */
int64_t rmq__backoff_failed(rmq_backoff_t *b, const char *addr, int64_t now);

/* A connect to \p addr succeeded: its back-off is forgotten. */
void rmq__backoff_succeeded(rmq_backoff_t *b, const char *addr);

/* The delay (before jitter) after \p failures failures in a row. */
int64_t rmq__backoff_delay(int64_t base_ms, int64_t max_ms, int failures);

/* Addresses remembered (tests). */
size_t rmq__backoff_count(const rmq_backoff_t *b);

#endif /* RMQ_BACKOFF_H */
