/* SPDX-License-Identifier: Apache-2.0 */
/* Connect back-off table (see rmq_backoff.h). */
#include "common/rmq_map.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "remoting/rmq_backoff.h"

typedef struct entry_s {
        int failures;
        int64_t until; /* monotonic ms: no dial before */
} entry_t;

struct rmq_backoff_s {
        int64_t base_ms, max_ms;
        uint64_t rnd;
        rmq_strmap_t map;
};

rmq_backoff_t *rmq__backoff_new(int64_t base_ms, int64_t max_ms) {
        rmq_backoff_t *b = rmq__calloc(1, sizeof(*b));
        b->base_ms       = base_ms > 0 ? base_ms : 0;
        b->max_ms        = max_ms > b->base_ms ? max_ms : b->base_ms;
        b->rnd           = (uint64_t)rmq__mono_ns() | 1;
        rmq__strmap_init(&b->map);
        return b;
}

static void entry_free(void *p) {
        rmq__free(p);
}

void rmq__backoff_free(rmq_backoff_t *b) {
        if (!b)
                return;
        rmq__strmap_clear(&b->map, entry_free);
        rmq__free(b);
}

int64_t rmq__backoff_delay(int64_t base_ms, int64_t max_ms, int failures) {
        int64_t d = base_ms;
        int i;
        if (base_ms <= 0 || failures <= 0)
                return 0;
        for (i = 1; i < failures && d < max_ms; i++)
                d *= 2;
        return d < max_ms ? d : max_ms;
}

int64_t rmq__backoff_remaining(rmq_backoff_t *b, const char *addr, int64_t now,
                               int *failuresp) {
        entry_t *e = rmq__strmap_get(&b->map, addr);
        if (failuresp)
                *failuresp = e ? e->failures : 0;
        return e && e->until > now ? e->until - now : 0;
}

/* Drops the entries whose back-off ended more than max ago. */
static void prune(rmq_backoff_t *b, int64_t now) {
        char *victims[64];
        size_t n               = 0, i;
        rmq_strmap_entry_t *it = NULL, *e;
        size_t bucket;
        while ((e = rmq__strmap_next(&b->map, &it, &bucket)) && n < 64) {
                const entry_t *x = e->value;
                if (x->until + b->max_ms <= now)
                        victims[n++] = rmq__strdup(e->key);
        }
        for (i = 0; i < n; i++) {
                rmq__free(rmq__strmap_del(&b->map, victims[i]));
                rmq__free(victims[i]);
        }
}

int64_t rmq__backoff_failed(rmq_backoff_t *b, const char *addr, int64_t now) {
        entry_t *e = rmq__strmap_get(&b->map, addr);
        int64_t d;
        double f;
        uint64_t x;
        if (b->base_ms <= 0)
                return 0;
        if (!e) {
                if (b->map.count >= RMQ_BACKOFF_CAP)
                        prune(b, now);
                if (b->map.count >= RMQ_BACKOFF_CAP)
                        return 0;
                e = rmq__calloc(1, sizeof(*e));
                rmq__strmap_set(&b->map, addr, e);
        }
        /* an address that went unused for longer than the longest delay
         * after its back-off ended starts over, as after a success */
        if (e->failures > 0 && now > e->until + b->max_ms)
                e->failures = 0;
        if (e->failures < 64)
                e->failures++;
        d = rmq__backoff_delay(b->base_ms, b->max_ms, e->failures);
        /* xorshift64: jitter in [0.8, 1.2] */
        x = b->rnd;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b->rnd = x;
        f      = 0.8 + 0.4 * (double)(x >> 11) / (double)(1ull << 53);
        d      = (int64_t)((double)d * f);
        if (d > b->max_ms)
                d = b->max_ms;
        if (d < 1)
                d = 1;
        e->until = now + d;
        return d;
}

void rmq__backoff_succeeded(rmq_backoff_t *b, const char *addr) {
        rmq__free(rmq__strmap_del(&b->map, addr));
}

size_t rmq__backoff_count(const rmq_backoff_t *b) {
        return b->map.count;
}
