/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RemoteBrokerOffsetStore: the offsets of a clustering consumer, kept by
 * the brokers (QUERY_CONSUMER_OFFSET / UPDATE_CONSUMER_OFFSET), plus a
 * synchronous "commit everything, acknowledged, within a deadline" for
 * the push consumer's shutdown. See rmq_offset_store.h, which also
 * documents the one deliberate difference from Java (only QUERY_NOT_FOUND
 * reads as "no offset").
 *
 * The table lock (rmq_offset_store.c) is never held here while a broker
 * or the name server is called: every operation works on a snapshot of
 * the table or on the offset it was given.
 *
 * @see Java: org.apache.rocketmq.client.consumer.store.RemoteBrokerOffsetStore
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "client/rmq_client.h"
#include "client/rmq_client_api.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "consumer/rmq_offset_store.h"

/* Java: the 1000 * 5 of queryConsumerOffset and updateConsumerOffset. */
#define REMOTE_TIMEOUT_MS 5000

typedef struct remote_store_s {
        rmq_offset_store_t base; /* first */
        rmq_client_t *ci;        /* outlives the store */
} remote_store_t;

static const rmq_offset_store_ops_t remote_ops;

static remote_store_t *remote_of(rmq_offset_store_t *os) {
        return (remote_store_t *)(void *)os;
}

/* The broker of \p mq into \p addr: its master; else, after a route
 * refresh of mq's topic, any broker of that name. RMQ_OK or
 * RMQ_ERR__NO_BROKER. May block on the name server.
 * @locality any but the I/O thread. @locks none.
 * @see Java: the head of RemoteBrokerOffsetStore#updateConsumeOffsetToBroker
 *      and #fetchConsumeOffsetFromBroker */
static rmq_err_t find_broker(remote_store_t *rs, const rmq_mq_t *mq, char *addr,
                             size_t size, char *errstr, size_t errstr_size) {
        char why[256] = "";
        rmq_err_t err;
        if (rmq__client_broker_addr_in_subscribe(rs->ci, mq->brokerName,
                                                 RMQ_MASTER_ID, true, addr,
                                                 size, NULL, NULL))
                return RMQ_OK;
        /* updateTopicRouteInfoFromNameServer logs and swallows its
         * failures; the lookup below tells what came of it */
        err = rmq__client_update_route(rs->ci, mq->topic, false, NULL, 0, why,
                                       sizeof(why));
        if (err)
                rmq__dbg(rs->base.lg, OFFSET,
                         "updateTopicRouteInfoFromNameServer %s failed: %s",
                         mq->topic, why[0] ? why : rmq_err2str(err));
        if (rmq__client_broker_addr_in_subscribe(rs->ci, mq->brokerName,
                                                 RMQ_MASTER_ID, false, addr,
                                                 size, NULL, NULL))
                return RMQ_OK;
        return rmq__seterr(errstr, errstr_size, RMQ_ERR__NO_BROKER,
                           "The broker[%s] not exist", mq->brokerName);
}

/* ---- operations ---- */

/* mirrors RemoteBrokerOffsetStore#updateConsumeOffsetToBroker(mq, offset,
 * isOneway) */
static rmq_err_t remote_update_to_broker(rmq_offset_store_t *os,
                                         const rmq_mq_t *mq, int64_t offset,
                                         bool oneway, char *errstr,
                                         size_t errstr_size) {
        remote_store_t *rs = remote_of(os);
        char addr[128];
        rmq_err_t err;
        err = find_broker(rs, mq, addr, sizeof(addr), errstr, errstr_size);
        if (err)
                return err;
        return rmq__api_update_consumer_offset(
            rs->ci, addr, os->groupName, mq, offset, oneway, REMOTE_TIMEOUT_MS,
            errstr, errstr_size);
}

/* mirrors the READ_FROM_STORE case of RemoteBrokerOffsetStore#readOffset
 * with #fetchConsumeOffsetFromBroker.
 *
 * DELIBERATE DIFFERENCE: Java answers -1 for every MQBrokerException (any
 * broker code), so a SYSTEM_BUSY answer would make the consumer start
 * from its consumeFromWhere position and skip messages. Only
 * QUERY_NOT_FOUND means "no offset" here; every other failure answers
 * RMQ_OFFSET_ERROR (-2) so the caller retries. */
static int64_t remote_read_from_store(rmq_offset_store_t *os,
                                      const rmq_mq_t *mq) {
        remote_store_t *rs = remote_of(os);
        char addr[128], why[512] = "", q[256];
        int64_t offset = RMQ_OFFSET_NOT_FOUND;
        rmq_err_t err;
        err = find_broker(rs, mq, addr, sizeof(addr), why, sizeof(why));
        if (!err)
                err = rmq__api_query_consumer_offset(
                    rs->ci, addr, os->groupName, mq, REMOTE_TIMEOUT_MS, &offset,
                    why, sizeof(why));
        if (!err)
                return offset;
        rmq__mq_format(mq, q, sizeof(q));
        if (err == RMQ_ERR_QUERY_NOT_FOUND) {
                rmq__dbg(os->lg, OFFSET, "no offset of %s in group %s: %s", q,
                         os->groupName, why);
                return RMQ_OFFSET_NOT_FOUND;
        }
        rmq__log(os->lg, RMQ_LOG_WARN, "OFFSET",
                 "fetchConsumeOffsetFromBroker exception, %s: %s: %s", q,
                 rmq_err2name(err), why[0] ? why : rmq_err2str(err));
        return RMQ_OFFSET_ERROR;
}

/* Sends one offset oneway and logs as persistAll / persist do. */
static void persist_one(rmq_offset_store_t *os, const char *what,
                        const rmq_mq_t *mq, int64_t offset) {
        remote_store_t *rs = remote_of(os);
        char why[512]      = "", q[256];
        rmq_err_t err;
        err = remote_update_to_broker(os, mq, offset, true, why, sizeof(why));
        rmq__mq_format(mq, q, sizeof(q));
        if (err)
                rmq__log(os->lg, RMQ_LOG_ERROR, "OFFSET",
                         "updateConsumeOffsetToBroker exception, %s: %s", q,
                         why[0] ? why : rmq_err2str(err));
        else
                rmq__log(os->lg, RMQ_LOG_INFO, "OFFSET",
                         "[%s] Group: %s ClientId: %s "
                         "updateConsumeOffsetToBroker %s %" PRId64,
                         what, os->groupName, rmq__client_id(rs->ci), q,
                         offset);
}

/* mirrors RemoteBrokerOffsetStore#persistAll: every table entry of a queue
 * in \p mqs goes to its broker oneway; the others leave the table. */
static void remote_persist_all(rmq_offset_store_t *os, const rmq_mq_t *mqs,
                               size_t n) {
        rmq_mq_t *sorted = rmq__calloc(n, sizeof(*sorted));
        rmq_mq_offset_t *entries;
        size_t cnt, i, nunused = 0;
        bool *unused;
        char q[256];
        /* mqs.contains(): a sorted shallow copy, searched */
        memcpy(sorted, mqs, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), rmq__mq_qsort_cmp);
        entries = rmq__offset_store_table_snapshot(os, NULL, 0, &cnt);
        unused  = rmq__calloc(cnt + 1, sizeof(*unused));
        for (i = 0; i < cnt; i++) {
                if (bsearch(&entries[i].mq, sorted, n, sizeof(*sorted),
                            rmq__mq_qsort_cmp)) {
                        persist_one(os, "persistAll", &entries[i].mq,
                                    entries[i].offset);
                } else {
                        unused[i] = true;
                        nunused++;
                }
        }
        for (i = 0; nunused > 0 && i < cnt; i++) {
                if (!unused[i])
                        continue;
                rmq__offset_store_remove(os, &entries[i].mq);
                rmq__mq_format(&entries[i].mq, q, sizeof(q));
                rmq__log(os->lg, RMQ_LOG_INFO, "OFFSET",
                         "remove unused mq, %s, %s", q, os->groupName);
        }
        rmq__free(unused);
        rmq__offset_table_free(entries, cnt);
        rmq__free(sorted);
}

/* mirrors RemoteBrokerOffsetStore#persist */
static void remote_persist(rmq_offset_store_t *os, const rmq_mq_t *mq,
                           int64_t offset) {
        persist_one(os, "persist", mq, offset);
}

static void remote_destroy(rmq_offset_store_t *os) {
        rmq__free(remote_of(os));
}

static const rmq_offset_store_ops_t remote_ops = {
    .name             = "remote",
    .load             = NULL, /* Java: an empty method */
    .read_from_store  = remote_read_from_store,
    .persist_all      = remote_persist_all,
    .persist          = remote_persist,
    .update_to_broker = remote_update_to_broker,
    .destroy          = remote_destroy,
};

/* mirrors the RemoteBrokerOffsetStore constructor */
rmq_err_t rmq__offset_remote_new(rmq_offset_store_t **osp,
                                 struct rmq_client_s *ci, const char *groupName,
                                 const rmq_logger_t *lg, char *errstr,
                                 size_t errstr_size) {
        remote_store_t *rs;
        *osp = NULL;
        if (!ci || !groupName)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "a client instance and groupName are "
                                   "required");
        rs = rmq__calloc(1, sizeof(*rs));
        rmq__offset_store_init(&rs->base, &remote_ops, groupName, lg);
        rs->ci = ci;
        *osp   = &rs->base;
        return RMQ_OK;
}

/* ---- commit_sync (no Java counterpart) ---- */

/*
 * The wait state of one commit_sync, reference counted: one reference for
 * the waiter and one for each request in flight. Whoever drops the last
 * frees it, so callbacks that come after the deadline (the waiter gone)
 * only record their answer and let go. Callbacks touch nothing but this
 * state: no store, no logger, no client.
 */
typedef struct commit_wait_s commit_wait_t;

typedef struct commit_slot_s {
        commit_wait_t *w;
        char addr[128]; /* written before the request is sent */
        bool answered;  /* under w->lock from the send on */
        rmq_err_t err;  /* under w->lock from the send on */
        char reason[256];
} commit_slot_t;

struct commit_wait_s {
        atomic_int refcnt;
        uv_mutex_t lock;
        uv_cond_t cond;
        size_t pending; /* requests whose answer is awaited (under lock) */
        size_t n;
        commit_slot_t slots[];
};

static commit_wait_t *commit_wait_new(size_t n) {
        commit_wait_t *w =
            rmq__calloc(1, sizeof(*w) + n * sizeof(commit_slot_t));
        size_t i;
        atomic_init(&w->refcnt, 1);
        if (uv_mutex_init(&w->lock) || uv_cond_init(&w->cond))
                abort();
        w->n = n;
        for (i = 0; i < n; i++) {
                w->slots[i].w   = w;
                w->slots[i].err = RMQ_ERR__TIMED_OUT;
        }
        return w;
}

static void commit_wait_release(commit_wait_t *w) {
        if (atomic_fetch_sub(&w->refcnt, 1) != 1)
                return;
        uv_cond_destroy(&w->cond);
        uv_mutex_destroy(&w->lock);
        rmq__free(w);
}

/* Records a slot's outcome (lock held). */
static void slot_set(commit_slot_t *slot, rmq_err_t err, const char *reason) {
        slot->answered = true;
        slot->err      = err;
        if (err)
                rmq__strlcpy(slot->reason,
                             reason && *reason ? reason : rmq_err2str(err),
                             sizeof(slot->reason));
}

/* The answer of one UPDATE_CONSUMER_OFFSET, on the callback pool; may
 * come after the waiter has given up. */
static void commit_done(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                        void *opaque) {
        commit_slot_t *slot = opaque;
        commit_wait_t *w    = slot->w;
        char why[256];
        if (!err && resp->code != RMQ_OK) {
                /* MQBrokerException's message */
                err = (rmq_err_t)resp->code;
                snprintf(why, sizeof(why), "CODE: %d  DESC: %s, BROKER: %s",
                         (int)resp->code, resp->remark ? resp->remark : "null",
                         slot->addr);
                errstr = why;
        }
        uv_mutex_lock(&w->lock);
        slot_set(slot, err, errstr);
        if (--w->pending == 0)
                uv_cond_signal(&w->cond);
        uv_mutex_unlock(&w->lock);
        commit_wait_release(w);
}

/* Sends the offset of \p e for \p slot, or records why it could not. */
static void commit_send(remote_store_t *rs, commit_wait_t *w,
                        commit_slot_t *slot, const rmq_mq_offset_t *e,
                        int64_t deadline_ms) {
        char why[256] = "";
        rmq_err_t err;
        if (rmq__mono_ms() >= deadline_ms) {
                err = rmq__seterr(why, sizeof(why), RMQ_ERR__TIMED_OUT,
                                  "the deadline passed before it was sent");
                goto failed;
        }
        err = find_broker(rs, &e->mq, slot->addr, sizeof(slot->addr), why,
                          sizeof(why));
        if (err)
                goto failed;
        /* the callback may run before the call returns */
        uv_mutex_lock(&w->lock);
        w->pending++;
        uv_mutex_unlock(&w->lock);
        atomic_fetch_add(&w->refcnt, 1);
        err = rmq__api_update_consumer_offset_async(
            rs->ci, slot->addr, rs->base.groupName, &e->mq, e->offset,
            REMOTE_TIMEOUT_MS, commit_done, slot);
        if (!err)
                return;
        /* not sent: the callback will not run; the waiter's reference
         * keeps w alive */
        uv_mutex_lock(&w->lock);
        w->pending--;
        uv_mutex_unlock(&w->lock);
        atomic_fetch_sub(&w->refcnt, 1);
        snprintf(why, sizeof(why),
                 "cannot send UPDATE_CONSUMER_OFFSET to %s: %s", slot->addr,
                 rmq_err2str(err));
failed:
        uv_mutex_lock(&w->lock);
        slot_set(slot, err, why);
        uv_mutex_unlock(&w->lock);
}

rmq_err_t rmq__offset_remote_commit_sync(rmq_offset_store_t *os,
                                         const rmq_mq_t *mqs, size_t n,
                                         int64_t deadline_ms, size_t *failedp,
                                         char *errstr, size_t errstr_size) {
        remote_store_t *rs;
        rmq_mq_offset_t *entries;
        commit_wait_t *w;
        size_t cnt, i, failed = 0, first = 0;
        rmq_err_t first_err    = RMQ_OK;
        char first_reason[256] = "", q[256];
        RMQ__ASSERT_NOT_IO("rmq__offset_remote_commit_sync");
        if (failedp)
                *failedp = 0;
        if (!os || os->ops != &remote_ops || !mqs || n == 0)
                return RMQ_OK;
        rs      = remote_of(os);
        entries = rmq__offset_store_table_snapshot(os, mqs, n, &cnt);
        if (cnt == 0) {
                rmq__offset_table_free(entries, cnt);
                return RMQ_OK;
        }
        w = commit_wait_new(cnt);
        /* every request in flight at once */
        for (i = 0; i < cnt; i++)
                commit_send(rs, w, &w->slots[i], &entries[i], deadline_ms);
        uv_mutex_lock(&w->lock);
        while (w->pending > 0) {
                int64_t left = deadline_ms - rmq__mono_ms();
                if (left <= 0)
                        break;
                if (left > 3600 * 1000) /* no overflow of the ns below */
                        left = 3600 * 1000;
                (void)uv_cond_timedwait(&w->cond, &w->lock,
                                        (uint64_t)left * 1000000u);
        }
        for (i = 0; i < cnt; i++) {
                const commit_slot_t *slot = &w->slots[i];
                if (slot->answered && slot->err == RMQ_OK)
                        continue;
                if (failed++ > 0)
                        continue;
                first     = i;
                first_err = slot->err;
                if (slot->answered)
                        rmq__strlcpy(first_reason, slot->reason,
                                     sizeof(first_reason));
                else
                        snprintf(first_reason, sizeof(first_reason),
                                 "no answer from %s before the deadline",
                                 slot->addr);
        }
        uv_mutex_unlock(&w->lock);
        commit_wait_release(w);
        if (failedp)
                *failedp = failed;
        if (failed == 0) {
                rmq__log(os->lg, RMQ_LOG_INFO, "OFFSET",
                         "[commitSync] Group: %s ClientId: %s committed %zu "
                         "offsets",
                         os->groupName, rmq__client_id(rs->ci), cnt);
                rmq__offset_table_free(entries, cnt);
                return RMQ_OK;
        }
        rmq__mq_format(&entries[first].mq, q, sizeof(q));
        rmq__seterr(errstr, errstr_size, first_err,
                    "%zu of %zu offset commits of group %s failed; first: %s "
                    "offset %" PRId64 ": %s",
                    failed, cnt, os->groupName, q, entries[first].offset,
                    first_reason);
        rmq__log(os->lg, RMQ_LOG_WARN, "OFFSET",
                 "[commitSync] %zu of %zu offset commits of group %s failed; "
                 "first: %s offset %" PRId64 ": %s: %s",
                 failed, cnt, os->groupName, q, entries[first].offset,
                 rmq_err2name(first_err), first_reason);
        rmq__offset_table_free(entries, cnt);
        return first_err;
}
