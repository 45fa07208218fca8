/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The offset-store interface and the shared in-memory offset table
 * (Java's ConcurrentMap<MessageQueue, AtomicLong> of both stores). See
 * rmq_offset_store.h.
 */
#include <ctype.h>

#include "common/rmq_str.h"
#include "consumer/rmq_offset_store.h"

struct rmq_offset_entry_s {
        rmq_offset_entry_t *next;
        int32_t hash;
        rmq_mq_t mq;
        int64_t offset;
};

#define TABLE_MIN_BUCKETS 16

static size_t bucket_of(const rmq_offset_store_t *os, int32_t hash) {
        uint32_t h = (uint32_t)hash;
        return (h ^ (h >> 16)) & (os->nbuckets - 1);
}

/* Both strings of a queue must be set to be a key (Java: equals on
 * possibly-null fields; our callers never pass NULL ones). */
static bool mq_valid(const rmq_mq_t *mq) {
        return mq && mq->topic && mq->brokerName;
}

static rmq_offset_entry_t *find_locked(const rmq_offset_store_t *os,
                                       const rmq_mq_t *mq, int32_t hash) {
        rmq_offset_entry_t *e = os->buckets[bucket_of(os, hash)];
        for (; e; e = e->next)
                if (e->hash == hash && rmq__mq_equal(&e->mq, mq))
                        return e;
        return NULL;
}

static void rehash_locked(rmq_offset_store_t *os) {
        size_t nb                    = os->nbuckets * 2, i;
        rmq_offset_entry_t **buckets = rmq__calloc(nb, sizeof(*buckets));
        for (i = 0; i < os->nbuckets; i++) {
                rmq_offset_entry_t *e = os->buckets[i], *next;
                for (; e; e = next) {
                        uint32_t h = (uint32_t)e->hash;
                        size_t b   = (h ^ (h >> 16)) & (nb - 1);
                        next       = e->next;
                        e->next    = buckets[b];
                        buckets[b] = e;
                }
        }
        rmq__free(os->buckets);
        os->buckets  = buckets;
        os->nbuckets = nb;
}

/* Adds an entry (the queue must not be in the table). */
static rmq_offset_entry_t *insert_locked(rmq_offset_store_t *os,
                                         const rmq_mq_t *mq, int32_t hash,
                                         int64_t offset) {
        rmq_offset_entry_t *e = rmq__calloc(1, sizeof(*e));
        size_t b;
        if (os->count + 1 > os->nbuckets * 3 / 4)
                rehash_locked(os);
        b         = bucket_of(os, hash);
        e->hash   = hash;
        e->offset = offset;
        rmq__mq_copy(&e->mq, mq);
        e->next        = os->buckets[b];
        os->buckets[b] = e;
        os->count++;
        return e;
}

void rmq__offset_store_init(rmq_offset_store_t *os,
                            const rmq_offset_store_ops_t *ops,
                            const char *groupName, const rmq_logger_t *lg) {
        os->ops       = ops;
        os->groupName = rmq__strdup(groupName ? groupName : "");
        os->lg        = lg;
        if (uv_mutex_init(&os->lock))
                abort();
        os->nbuckets = TABLE_MIN_BUCKETS;
        os->buckets  = rmq__calloc(os->nbuckets, sizeof(*os->buckets));
        os->count    = 0;
}

void rmq__offset_store_fini(rmq_offset_store_t *os) {
        size_t i;
        for (i = 0; i < os->nbuckets; i++) {
                rmq_offset_entry_t *e = os->buckets[i], *next;
                for (; e; e = next) {
                        next = e->next;
                        rmq__mq_clear(&e->mq);
                        rmq__free(e);
                }
        }
        rmq__free(os->buckets);
        os->buckets = NULL;
        uv_mutex_destroy(&os->lock);
        rmq__free(os->groupName);
        os->groupName = NULL;
}

/* ---- table access ---- */

bool rmq__offset_store_table_get(rmq_offset_store_t *os, const rmq_mq_t *mq,
                                 int64_t *offsetp) {
        rmq_offset_entry_t *e;
        if (!mq_valid(mq))
                return false;
        uv_mutex_lock(&os->lock);
        e = find_locked(os, mq, rmq__mq_hash(mq));
        if (e)
                *offsetp = e->offset;
        uv_mutex_unlock(&os->lock);
        return e != NULL;
}

void rmq__offset_store_table_put(rmq_offset_store_t *os, const rmq_mq_t *mq,
                                 int64_t offset) {
        rmq__offset_store_update(os, mq, offset, false);
}

rmq_mq_offset_t *rmq__offset_store_table_snapshot(rmq_offset_store_t *os,
                                                  const rmq_mq_t *mqs, size_t n,
                                                  size_t *np) {
        rmq_mq_offset_t *out;
        size_t i, cnt = 0;
        uv_mutex_lock(&os->lock);
        if (!mqs) {
                out = rmq__calloc(os->count + 1, sizeof(*out));
                for (i = 0; i < os->nbuckets; i++) {
                        const rmq_offset_entry_t *e = os->buckets[i];
                        for (; e; e = e->next) {
                                rmq__mq_copy(&out[cnt].mq, &e->mq);
                                out[cnt++].offset = e->offset;
                        }
                }
        } else {
                out = rmq__calloc(n + 1, sizeof(*out));
                for (i = 0; i < n; i++) {
                        const rmq_offset_entry_t *e;
                        if (!mq_valid(&mqs[i]))
                                continue;
                        e = find_locked(os, &mqs[i], rmq__mq_hash(&mqs[i]));
                        if (!e)
                                continue;
                        rmq__mq_copy(&out[cnt].mq, &e->mq);
                        out[cnt++].offset = e->offset;
                }
        }
        uv_mutex_unlock(&os->lock);
        *np = cnt;
        return out;
}

size_t rmq__offset_store_table_count(rmq_offset_store_t *os) {
        size_t n;
        uv_mutex_lock(&os->lock);
        n = os->count;
        uv_mutex_unlock(&os->lock);
        return n;
}

/* ---- the interface ---- */

rmq_err_t rmq__offset_store_load(rmq_offset_store_t *os, char *errstr,
                                 size_t errstr_size) {
        return os->ops->load ? os->ops->load(os, errstr, errstr_size) : RMQ_OK;
}

/* mirrors LocalFileOffsetStore/RemoteBrokerOffsetStore.updateOffset */
void rmq__offset_store_update(rmq_offset_store_t *os, const rmq_mq_t *mq,
                              int64_t offset, bool increase_only) {
        if (mq_valid(mq))
                rmq__offset_store_update_h(os, mq, rmq__mq_hash(mq), offset,
                                           increase_only);
}

void rmq__offset_store_update_h(rmq_offset_store_t *os, const rmq_mq_t *mq,
                                int32_t hash, int64_t offset,
                                bool increase_only) {
        rmq_offset_entry_t *e;
        if (!mq_valid(mq))
                return;
        uv_mutex_lock(&os->lock);
        e = find_locked(os, mq, hash);
        if (!e)
                insert_locked(os, mq, hash, offset); /* putIfAbsent */
        else if (!increase_only || offset > e->offset)
                e->offset = offset; /* set / compareAndIncreaseOnly */
        uv_mutex_unlock(&os->lock);
}

/* mirrors LocalFileOffsetStore/RemoteBrokerOffsetStore.readOffset */
int64_t rmq__offset_store_read(rmq_offset_store_t *os, const rmq_mq_t *mq,
                               rmq_read_offset_type_t type) {
        int64_t offset;
        if (!mq_valid(mq))
                return RMQ_OFFSET_NOT_FOUND;
        switch (type) {
        case RMQ_MEMORY_FIRST_THEN_STORE:
        case RMQ_READ_FROM_MEMORY:
                if (rmq__offset_store_table_get(os, mq, &offset))
                        return offset;
                if (type == RMQ_READ_FROM_MEMORY)
                        return RMQ_OFFSET_NOT_FOUND;
                /* fall through */
        case RMQ_READ_FROM_STORE:
                if (!os->ops->read_from_store)
                        return RMQ_OFFSET_NOT_FOUND;
                offset = os->ops->read_from_store(os, mq);
                if (offset >= 0)
                        rmq__offset_store_update(os, mq, offset, false);
                return offset;
        default:
                return RMQ_OFFSET_NOT_FOUND;
        }
}

void rmq__offset_store_persist_all(rmq_offset_store_t *os, const rmq_mq_t *mqs,
                                   size_t n) {
        if (!mqs || n == 0 || !os->ops->persist_all)
                return;
        os->ops->persist_all(os, mqs, n);
}

void rmq__offset_store_persist(rmq_offset_store_t *os, const rmq_mq_t *mq) {
        int64_t offset;
        if (!os->ops->persist || !rmq__offset_store_table_get(os, mq, &offset))
                return;
        os->ops->persist(os, mq, offset);
}

/* mirrors LocalFileOffsetStore/RemoteBrokerOffsetStore.removeOffset */
void rmq__offset_store_remove(rmq_offset_store_t *os, const rmq_mq_t *mq) {
        rmq_offset_entry_t **pp, *e;
        int32_t hash;
        if (!mq_valid(mq))
                return;
        hash = rmq__mq_hash(mq);
        uv_mutex_lock(&os->lock);
        for (pp = &os->buckets[bucket_of(os, hash)]; (e = *pp); pp = &e->next) {
                if (e->hash == hash && rmq__mq_equal(&e->mq, mq)) {
                        *pp = e->next;
                        os->count--;
                        rmq__mq_clear(&e->mq);
                        rmq__free(e);
                        break;
                }
        }
        uv_mutex_unlock(&os->lock);
        rmq__dbg(os->lg, OFFSET,
                 "remove unnecessary messageQueue offset. group=%s, "
                 "mq=%s@%s:%d",
                 os->groupName, mq->topic, mq->brokerName, (int)mq->queueId);
}

/* mirrors LocalFileOffsetStore/RemoteBrokerOffsetStore.cloneOffsetTable */
rmq_mq_offset_t *rmq__offset_store_clone(rmq_offset_store_t *os,
                                         const char *topic, size_t *np) {
        rmq_mq_offset_t *out;
        size_t i, cnt = 0;
        bool all = rmq__str_is_blank(topic);
        uv_mutex_lock(&os->lock);
        out = rmq__calloc(os->count + 1, sizeof(*out));
        for (i = 0; i < os->nbuckets; i++) {
                const rmq_offset_entry_t *e = os->buckets[i];
                for (; e; e = e->next) {
                        if (!all && strcmp(topic, e->mq.topic))
                                continue;
                        rmq__mq_copy(&out[cnt].mq, &e->mq);
                        out[cnt++].offset = e->offset;
                }
        }
        uv_mutex_unlock(&os->lock);
        *np = cnt;
        return out;
}

rmq_err_t rmq__offset_store_update_to_broker(rmq_offset_store_t *os,
                                             const rmq_mq_t *mq, int64_t offset,
                                             bool oneway, char *errstr,
                                             size_t errstr_size) {
        if (!os->ops->update_to_broker)
                return RMQ_OK;
        return os->ops->update_to_broker(os, mq, offset, oneway, errstr,
                                         errstr_size);
}

void rmq__offset_store_destroy(rmq_offset_store_t *os) {
        if (!os)
                return;
        rmq__offset_store_fini(os);
        os->ops->destroy(os);
}
