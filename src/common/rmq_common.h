/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal basics shared by every layer: includes, allocation, small macros.
 * Never installed.
 */
#ifndef RMQ_COMMON_H
#define RMQ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rocketmq/rmq_err.h"

#define RMQ_UNUSED(x) ((void)(x))
#define RMQ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RMQ_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RMQ_MAX(a, b) ((a) > (b) ? (a) : (b))

#if defined(__GNUC__)
#define RMQ_LIKELY(x) __builtin_expect(!!(x), 1)
#define RMQ_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RMQ_PRINTF(fmt_idx, arg_idx)                                           \
        __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define RMQ_LIKELY(x) (x)
#define RMQ_UNLIKELY(x) (x)
#define RMQ_PRINTF(fmt_idx, arg_idx)
#endif

/*
 * Allocation. Like librdkafka's rd_malloc(), an internal allocation that
 * fails aborts the process with a message: every size the network controls
 * is capped before it reaches the allocator (frames at frameMaxLength), so a
 * failure here means the process is out of memory, not that a peer sent
 * something large.
 */
void *rmq__malloc(size_t size);
void *rmq__calloc(size_t nmemb, size_t size);
void *rmq__realloc(void *ptr, size_t size);
char *rmq__strdup(const char *s);
char *rmq__strndup(const char *s, size_t len);
void rmq__free(void *ptr);

#endif /* RMQ_COMMON_H */
