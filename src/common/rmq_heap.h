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
        int64_t due; /* a deadline (rmq__mono_ms) */
        /* The order: due << 20 | insertion sequence (20 bits), one
         * comparison per step; ties of one millisecond stay in insertion
         * order unless a million nodes go in within that millisecond. */
        int64_t key;
        size_t idx; /* position, RMQ_HEAP_NOT_IN when not in a heap */
} rmq_heap_node_t;

typedef struct rmq_heap_s {
        rmq_heap_node_t **v;
        size_t len, cap;
        uint64_t seq;
} rmq_heap_t;

static inline void rmq__heap_node_init(rmq_heap_node_t *n) {
        n->due = 0;
        n->key = 0;
        n->idx = RMQ_HEAP_NOT_IN;
}

static inline bool rmq__heap_node_in(const rmq_heap_node_t *n) {
        return n->idx != RMQ_HEAP_NOT_IN;
}

/* The earliest node, or NULL. */
static inline rmq_heap_node_t *rmq__heap_top(const rmq_heap_t *h) {
        return h->len ? h->v[0] : NULL;
}

/*
 * The operations are inline: the transport runs one push and one removal
 * per request.
 *
 * rmq__heap_init / rmq__heap_free: an empty heap; free frees the array
 * (not the nodes).
 * rmq__heap_push: inserts \p n (not in a heap) with deadline \p due;
 * returns true if it is now the earliest.
 * rmq__heap_remove: removes \p n if it is in the heap (no-op otherwise).
 * rmq__heap_pop_due: removes and returns the earliest node if it is due
 * at \p now, else NULL.
 */

static inline void rmq__heap_init(rmq_heap_t *h) {
        h->v   = NULL;
        h->len = h->cap = 0;
        h->seq          = 0;
}

static inline void rmq__heap_free(rmq_heap_t *h) {
        rmq__free(h->v);
        rmq__heap_init(h);
}

static inline bool rmq__heap_before(const rmq_heap_node_t *a,
                                    const rmq_heap_node_t *b) {
        return a->key < b->key;
}

static inline void rmq__heap_place(rmq_heap_t *h, size_t i,
                                   rmq_heap_node_t *n) {
        h->v[i] = n;
        n->idx  = i;
}

static inline void rmq__heap_sift_up(rmq_heap_t *h, size_t i) {
        rmq_heap_node_t *n = h->v[i];
        while (i > 0) {
                size_t p = (i - 1) / 2;
                if (!rmq__heap_before(n, h->v[p]))
                        break;
                rmq__heap_place(h, i, h->v[p]);
                i = p;
        }
        rmq__heap_place(h, i, n);
}

/* The latest due a node can have: the key packs due << 20 | seq into 63
 * bits, so dues are clamped (about 139 years of milliseconds). */
#define RMQ_HEAP_DUE_MAX (INT64_MAX >> 21)

static inline bool rmq__heap_push(rmq_heap_t *h, rmq_heap_node_t *n,
                                  int64_t due) {
        if (due > RMQ_HEAP_DUE_MAX)
                due = RMQ_HEAP_DUE_MAX;
        else if (due < 0)
                due = 0;
        if (h->len == h->cap) {
                h->cap = h->cap ? h->cap * 2 : 64;
                h->v   = rmq__realloc(h->v, h->cap * sizeof(*h->v));
        }
        n->due = due;
        n->key = (int64_t)((uint64_t)due << 20) | (int64_t)(h->seq++ & 0xfffff);
        rmq__heap_place(h, h->len++, n);
        rmq__heap_sift_up(h, n->idx);
        return h->v[0] == n;
}

/* Floyd's deletion: the hole left by \p n goes down along the smaller
 * children to a leaf (one comparison per level), then the last node fills
 * it and goes up as far as it must. Requests complete mostly in deadline
 * order, so the node removed is usually the top and the last node (the
 * latest deadline) rarely moves up: about half the comparisons of
 * filling the hole at once and sifting down. */
static inline void rmq__heap_remove(rmq_heap_t *h, rmq_heap_node_t *n) {
        size_t i = n->idx, c;
        rmq_heap_node_t *last;
        if (i == RMQ_HEAP_NOT_IN)
                return;
        n->idx = RMQ_HEAP_NOT_IN;
        last   = h->v[--h->len];
        if (last == n)
                return;
        while ((c = 2 * i + 1) < h->len) {
                if (c + 1 < h->len && rmq__heap_before(h->v[c + 1], h->v[c]))
                        c++;
                rmq__heap_place(h, i, h->v[c]);
                i = c;
        }
        rmq__heap_place(h, i, last);
        rmq__heap_sift_up(h, i);
}

static inline rmq_heap_node_t *rmq__heap_pop_due(rmq_heap_t *h, int64_t now) {
        rmq_heap_node_t *n = rmq__heap_top(h);
        if (!n || n->due > now)
                return NULL;
        rmq__heap_remove(h, n);
        return n;
}

#endif /* RMQ_HEAP_H */
