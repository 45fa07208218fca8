/* SPDX-License-Identifier: Apache-2.0 */
/* Intrusive circular doubly linked list (libuv's queue idea, as inline
 * functions rather than macros). */
#ifndef RMQ_LIST_H
#define RMQ_LIST_H

#include <stddef.h>

typedef struct rmq_list_s {
        struct rmq_list_s *next;
        struct rmq_list_s *prev;
} rmq_list_t;

#define RMQ_CONTAINER_OF(ptr, type, field)                                     \
        ((type *)(void *)((char *)(ptr)-offsetof(type, field)))

static inline void rmq__list_init(rmq_list_t *h) {
        h->next = h->prev = h;
}

static inline int rmq__list_empty(const rmq_list_t *h) {
        return h->next == h;
}

static inline void rmq__list_insert_tail(rmq_list_t *h, rmq_list_t *n) {
        n->prev       = h->prev;
        n->next       = h;
        h->prev->next = n;
        h->prev       = n;
}

static inline void rmq__list_insert_head(rmq_list_t *h, rmq_list_t *n) {
        n->next       = h->next;
        n->prev       = h;
        h->next->prev = n;
        h->next       = n;
}

static inline void rmq__list_remove(rmq_list_t *n) {
        n->prev->next = n->next;
        n->next->prev = n->prev;
        n->next = n->prev = n;
}

/* Moves every element of \p from to the tail of \p to; \p from ends empty. */
static inline void rmq__list_move_all(rmq_list_t *from, rmq_list_t *to) {
        if (rmq__list_empty(from))
                return;
        from->next->prev = to->prev;
        to->prev->next   = from->next;
        from->prev->next = to;
        to->prev         = from->prev;
        rmq__list_init(from);
}

static inline rmq_list_t *rmq__list_pop_head(rmq_list_t *h) {
        rmq_list_t *n;
        if (rmq__list_empty(h))
                return NULL;
        n = h->next;
        rmq__list_remove(n);
        return n;
}

#endif /* RMQ_LIST_H */
