/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded, thread-safe free list of equally sized blocks.
 *
 * Why: on the send path many blocks are allocated on one thread and freed
 * on another (a request is built by the application thread, written by the
 * I/O thread and completed on the callback pool). glibc serves such
 * producer/consumer traffic badly: the freeing thread's tcache fills, the
 * allocating thread's stays empty, and every block goes through the arena
 * bins (_int_malloc/_int_free, consolidation, heap trimming and the page
 * faults that follow). A free list owned by the object that allocates
 * (one per producer, one per transport; never process-wide) hands blocks
 * back with one uncontended mutex round trip.
 *
 * Bounded: at most \p cap blocks are kept; beyond that, put() frees. Blocks
 * are not zeroed. In AddressSanitizer builds, cached blocks are poisoned so
 * a use after put() is still reported.
 */
#ifndef RMQ_FREELIST_H
#define RMQ_FREELIST_H

#include <uv.h>

#include "common/rmq_common.h"

typedef struct rmq_freelist_s {
        uv_mutex_t lock;
        void *head;  /* cached blocks, linked through their first word */
        size_t cnt;  /* cached blocks */
        size_t cap;  /* most blocks kept */
        size_t size; /* block size (>= sizeof(void *)) */
} rmq_freelist_t;

void rmq__freelist_init(rmq_freelist_t *fl, size_t size, size_t cap);
/* Frees every cached block. Blocks still out are the callers'. */
void rmq__freelist_destroy(rmq_freelist_t *fl);
/* A block of fl->size bytes (cached or new; never NULL). Any thread. */
void *rmq__freelist_get(rmq_freelist_t *fl);
/* Returns a block from rmq__freelist_get (NULL-safe). Any thread. */
void rmq__freelist_put(rmq_freelist_t *fl, void *p);

#endif /* RMQ_FREELIST_H */
