/* SPDX-License-Identifier: Apache-2.0 */
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

void rmq__freelist_init(rmq_freelist_t *fl, size_t size, size_t cap) {
        uv_mutex_init(&fl->lock);
        fl->head = NULL;
        fl->cnt  = 0;
        fl->cap  = cap;
        fl->size = size < sizeof(void *) ? sizeof(void *) : size;
}

void rmq__freelist_destroy(rmq_freelist_t *fl) {
        void *p = fl->head;
        while (p) {
                void *next;
                UNPOISON(p, fl->size);
                memcpy(&next, p, sizeof(next));
                rmq__free(p);
                p = next;
        }
        fl->head = NULL;
        fl->cnt  = 0;
        uv_mutex_destroy(&fl->lock);
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
        uv_mutex_unlock(&fl->lock);
        return p ? p : rmq__malloc(fl->size);
}

void rmq__freelist_put(rmq_freelist_t *fl, void *p) {
        if (!p)
                return;
        uv_mutex_lock(&fl->lock);
        if (fl->cnt < fl->cap) {
                memcpy(p, &fl->head, sizeof(fl->head));
                POISON(p, fl->size);
                fl->head = p;
                fl->cnt++;
                p = NULL;
        }
        uv_mutex_unlock(&fl->lock);
        rmq__free(p); /* over the cap */
}
