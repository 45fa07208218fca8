/* SPDX-License-Identifier: Apache-2.0 */
#include "common/rmq_heap.h"

void rmq__heap_init(rmq_heap_t *h) {
        h->v   = NULL;
        h->len = h->cap = 0;
        h->seq          = 0;
}

void rmq__heap_free(rmq_heap_t *h) {
        rmq__free(h->v);
        rmq__heap_init(h);
}

static inline bool before(const rmq_heap_node_t *a, const rmq_heap_node_t *b) {
        return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static inline void place(rmq_heap_t *h, size_t i, rmq_heap_node_t *n) {
        h->v[i] = n;
        n->idx  = i;
}

static void sift_up(rmq_heap_t *h, size_t i) {
        rmq_heap_node_t *n = h->v[i];
        while (i > 0) {
                size_t p = (i - 1) / 2;
                if (!before(n, h->v[p]))
                        break;
                place(h, i, h->v[p]);
                i = p;
        }
        place(h, i, n);
}

static void sift_down(rmq_heap_t *h, size_t i) {
        rmq_heap_node_t *n = h->v[i];
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m;
                if (l >= h->len)
                        break;
                m = r < h->len && before(h->v[r], h->v[l]) ? r : l;
                if (!before(h->v[m], n))
                        break;
                place(h, i, h->v[m]);
                i = m;
        }
        place(h, i, n);
}

bool rmq__heap_push(rmq_heap_t *h, rmq_heap_node_t *n, int64_t due) {
        if (h->len == h->cap) {
                h->cap = h->cap ? h->cap * 2 : 64;
                h->v   = rmq__realloc(h->v, h->cap * sizeof(*h->v));
        }
        n->due = due;
        n->seq = h->seq++;
        place(h, h->len++, n);
        sift_up(h, n->idx);
        return h->v[0] == n;
}

void rmq__heap_remove(rmq_heap_t *h, rmq_heap_node_t *n) {
        size_t i = n->idx;
        rmq_heap_node_t *moved;
        if (i == RMQ_HEAP_NOT_IN || i >= h->len || h->v[i] != n)
                return;
        n->idx = RMQ_HEAP_NOT_IN;
        h->len--;
        if (i == h->len)
                return;
        moved = h->v[h->len];
        place(h, i, moved);
        sift_down(h, i);
        sift_up(h, moved->idx);
}

rmq_heap_node_t *rmq__heap_pop_due(rmq_heap_t *h, int64_t now) {
        rmq_heap_node_t *n = rmq__heap_top(h);
        if (!n || n->due > now)
                return NULL;
        rmq__heap_remove(h, n);
        return n;
}
