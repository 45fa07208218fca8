/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "common/rmq_common.h"

static void oom(size_t size) {
        fprintf(stderr, "rocketmq-c: out of memory allocating %zu bytes\n",
                size);
        abort();
}

void *rmq__malloc(size_t size) {
        void *p = malloc(size ? size : 1);
        if (RMQ_UNLIKELY(!p))
                oom(size);
        return p;
}

void *rmq__calloc(size_t nmemb, size_t size) {
        void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
        if (RMQ_UNLIKELY(!p))
                oom(nmemb * size);
        return p;
}

void *rmq__realloc(void *ptr, size_t size) {
        void *p = realloc(ptr, size ? size : 1);
        if (RMQ_UNLIKELY(!p))
                oom(size);
        return p;
}

char *rmq__strndup(const char *s, size_t len) {
        char *d = rmq__malloc(len + 1);
        memcpy(d, s, len);
        d[len] = '\0';
        return d;
}

char *rmq__strdup(const char *s) {
        if (!s)
                return NULL;
        return rmq__strndup(s, strlen(s));
}

void rmq__free(void *ptr) {
        free(ptr);
}
