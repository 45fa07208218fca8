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
 * (one per producer, a few per transport; never process-wide) hands blocks
 * back with one uncontended mutex round trip.
 *
 * Bounded: at most \p cap blocks are kept; beyond that, put() frees.
 * Blocks are not zeroed. In AddressSanitizer builds, cached blocks are
 * poisoned so a use after put() is still reported.
 *
 * Lifetime: the owner calls rmq__freelist_release() when it is done; the
 * list is freed then, or when the last block still out comes back, so a
 * block may outlive its owner (a command kept by a caller after the
 * transport that decoded it is gone).
 */
#ifndef RMQ_FREELIST_H
#define RMQ_FREELIST_H

#include "common/rmq_common.h"

typedef struct rmq_freelist_s rmq_freelist_t;

/* Blocks of \p size bytes, at most \p cap kept. */
rmq_freelist_t *rmq__freelist_new(size_t size, size_t cap);
/* The owner lets go (NULL-safe): cached blocks are freed, and the list
 * itself once every block is back. */
void rmq__freelist_release(rmq_freelist_t *fl);
/* A block of the list's size (cached or new; never NULL). Any thread. */
void *rmq__freelist_get(rmq_freelist_t *fl);
/* Returns a block from rmq__freelist_get() of \p fl (NULL-safe). Any
 * thread. */
void rmq__freelist_put(rmq_freelist_t *fl, void *p);
/* Batches, one lock each: get_many fills \p out with 1 to \p n blocks
 * (the cached ones, or one new) and returns how many; put_many returns
 * \p n blocks. */
size_t rmq__freelist_get_many(rmq_freelist_t *fl, void **out, size_t n);
void rmq__freelist_put_many(rmq_freelist_t *fl, void *const *ps, size_t n);
/* The block size. */
size_t rmq__freelist_block_size(const rmq_freelist_t *fl);

#endif /* RMQ_FREELIST_H */
