/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An intrusive binary min-heap of deadlines: the one deadline structure of
 * the library. The transport keeps its request deadlines in one (a request
 * times out at its own deadline), the timer service its timers, the mock
 * cluster its delayed answers and scheduled work.
 *
 * Nodes are embedded in their owners; removal of any node is O(log n)
 * through the index each node keeps. Equal deadlines come out in the order
 * they went in (a sequence number breaks ties), so timers due at the same
 * millisecond fire in the order they were scheduled.
 *
 * Not thread-safe: the owner serialises access (the transport: its loop
 * thread; the timer service: its lock).
 */
#ifndef RMQ_HEAP_H
#define RMQ_HEAP_H

#include "common/rmq_common.h"

#define RMQ_HEAP_NOT_IN SIZE_MAX

typedef struct rmq_heap_node_s {
        int64_t due;  /* the key: a deadline (rmq__mono_ms) */
        uint64_t seq; /* insertion order, for ties */
        size_t idx;   /* position, RMQ_HEAP_NOT_IN when not in a heap */
} rmq_heap_node_t;

typedef struct rmq_heap_s {
        rmq_heap_node_t **v;
        size_t len, cap;
        uint64_t seq;
} rmq_heap_t;

void rmq__heap_init(rmq_heap_t *h);
/* Frees the array (not the nodes). */
void rmq__heap_free(rmq_heap_t *h);

static inline void rmq__heap_node_init(rmq_heap_node_t *n) {
        n->due = 0;
        n->seq = 0;
        n->idx = RMQ_HEAP_NOT_IN;
}

static inline bool rmq__heap_node_in(const rmq_heap_node_t *n) {
        return n->idx != RMQ_HEAP_NOT_IN;
}

/* Inserts \p n (not in a heap) with deadline \p due. Returns true if it is
 * now the earliest. */
bool rmq__heap_push(rmq_heap_t *h, rmq_heap_node_t *n, int64_t due);
/* Removes \p n if it is in \p h (no-op otherwise). */
void rmq__heap_remove(rmq_heap_t *h, rmq_heap_node_t *n);
/* The earliest node, or NULL. */
static inline rmq_heap_node_t *rmq__heap_top(const rmq_heap_t *h) {
        return h->len ? h->v[0] : NULL;
}
/* Removes and returns the earliest node if it is due at \p now, else
 * NULL. */
rmq_heap_node_t *rmq__heap_pop_due(rmq_heap_t *h, int64_t now);

#endif /* RMQ_HEAP_H */
