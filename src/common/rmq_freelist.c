/* SPDX-License-Identifier: Apache-2.0 */
#include <uv.h>

#include "common/rmq_freelist.h"

#if defined(__SANITIZE_ADDRESS__)
#define RMQ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RMQ_ASAN 1
#endif
#endif

#ifdef RMQ_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct rmq_freelist_s {
        uv_mutex_t lock;
        void *head;    /* cached blocks, linked through their first word */
        size_t cnt;    /* cached blocks */
        size_t cap;    /* most blocks kept */
        size_t size;   /* block size (>= sizeof(void *)) */
        size_t out;    /* blocks handed out and not yet back */
        bool released; /* the owner let go: free the list when out == 0 */
};

rmq_freelist_t *rmq__freelist_new(size_t size, size_t cap) {
        rmq_freelist_t *fl = rmq__calloc(1, sizeof(*fl));
        uv_mutex_init(&fl->lock);
        fl->cap  = cap;
        fl->size = size < sizeof(void *) ? sizeof(void *) : size;
        return fl;
}

size_t rmq__freelist_block_size(const rmq_freelist_t *fl) {
        return fl->size;
}

/* Frees the cached blocks; fl->lock held. Returns the chain to free. */
static void *take_all(rmq_freelist_t *fl) {
        void *p  = fl->head;
        fl->head = NULL;
        fl->cnt  = 0;
        return p;
}

static void free_chain(void *p, size_t size) {
        while (p) {
                void *next;
                UNPOISON(p, size);
                memcpy(&next, p, sizeof(next));
                rmq__free(p);
                p = next;
        }
}

static void freelist_free(rmq_freelist_t *fl) {
        uv_mutex_destroy(&fl->lock);
        rmq__free(fl);
}

void rmq__freelist_release(rmq_freelist_t *fl) {
        void *chain;
        size_t size;
        bool last;
        if (!fl)
                return;
        uv_mutex_lock(&fl->lock);
        fl->released = true;
        chain        = take_all(fl);
        last         = fl->out == 0;
        /* Read under the lock: once it is released, a put of the last
         * block out may free the list. */
        size = fl->size;
        uv_mutex_unlock(&fl->lock);
        free_chain(chain, size);
        if (last)
                freelist_free(fl);
}

void *rmq__freelist_get(rmq_freelist_t *fl) {
        void *p;
        uv_mutex_lock(&fl->lock);
        p = fl->head;
        if (p) {
                UNPOISON(p, fl->size);
                memcpy(&fl->head, p, sizeof(fl->head));
                fl->cnt--;
        }
        fl->out++;
        uv_mutex_unlock(&fl->lock);
        return p ? p : rmq__malloc(fl->size);
}

size_t rmq__freelist_get_many(rmq_freelist_t *fl, void **out, size_t n) {
        size_t k = 0;
        uv_mutex_lock(&fl->lock);
        while (k < n && fl->head) {
                void *p = fl->head;
                UNPOISON(p, fl->size);
                memcpy(&fl->head, p, sizeof(fl->head));
                fl->cnt--;
                out[k++] = p;
        }
        fl->out += k ? k : 1;
        uv_mutex_unlock(&fl->lock);
        if (!k)
                out[k++] = rmq__malloc(fl->size);
        return k;
}

void rmq__freelist_put_many(rmq_freelist_t *fl, void *const *ps, size_t n) {
        size_t i, nfree = 0;
        void *spill[64];
        bool last;
        while (n > 64) { /* keep the spill array bounded */
                rmq__freelist_put_many(fl, ps, 64);
                ps += 64;
                n -= 64;
        }
        uv_mutex_lock(&fl->lock);
        fl->out -= n;
        for (i = 0; i < n; i++) {
                void *p = ps[i];
                if (!fl->released && fl->cnt < fl->cap) {
                        memcpy(p, &fl->head, sizeof(fl->head));
                        POISON(p, fl->size);
                        fl->head = p;
                        fl->cnt++;
                } else {
                        spill[nfree++] = p;
                }
        }
        last = fl->released && fl->out == 0;
        uv_mutex_unlock(&fl->lock);
        for (i = 0; i < nfree; i++)
                rmq__free(spill[i]);
        if (last)
                freelist_free(fl);
}

void rmq__freelist_put(rmq_freelist_t *fl, void *p) {
        bool last = false;
        if (!p)
                return;
        uv_mutex_lock(&fl->lock);
        fl->out--;
        if (!fl->released && fl->cnt < fl->cap) {
                memcpy(p, &fl->head, sizeof(fl->head));
                POISON(p, fl->size);
                fl->head = p;
                fl->cnt++;
                p = NULL;
        }
        last = fl->released && fl->out == 0;
        uv_mutex_unlock(&fl->lock);
        if (p)
                rmq__free(p); /* over the cap, or the owner is gone */
        if (last)
                freelist_free(fl);
}
