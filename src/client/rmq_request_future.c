/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests waiting for their reply (RequestFutureHolder,
 * RequestResponseFuture) and the reply's arrival
 * (ClientRemotingProcessor#receiveReplyMessage / #processReplyMessage).
 * See rmq_request_future.h for the rules.
 */
#include <stdio.h>

#include "client/rmq_client_int.h"
#include "client/rmq_message_ext_int.h"
#include "client/rmq_request_future.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "protocol/rmq_message_codec.h"

struct rmq_req_table_s {
        uv_mutex_t lock;
        uv_cond_t idle; /* a future ended (signalled when idle_waiters) */
        int idle_waiters;
        rmq_strmap_t map; /* correlation id -> future still in the table */
        rmq_list_t live;  /* every future not freed yet */
};

struct rmq_req_future_s {
        rmq_list_t link; /* tbl->live */
        rmq_client_t *ci;
        rmq_req_table_t *tbl;
        const void *owner;
        char *topic;
        int64_t deadline; /* rmq__mono_ms */
        int64_t timeout_ms;
        rmq_timer_t timer;
        rmq_job_t job;
        /* the caller's, the send callback's, and the completion's (dropped
         * once the completion is delivered, or at cancel) */
        atomic_int refs;
        rmq_req_done_fn_t *done; /* NULL: synchronous */
        void *opaque;
        uv_cond_t cond; /* synchronous: completed */
        /* tbl->lock */
        bool in_table;
        bool armed;
        bool completed;
        /* Set once, with completed, then only read. */
        rmq_err_t err;
        rmq_message_ext_t *reply;
        char errstr[512];
        char corr_id[RMQ_CORRELATION_ID_LEN + 1];
};

/* ---- correlation ids (CorrelationIdUtil) ---- */

void rmq__correlation_id_create(char *dst) {
        static const char hex[] = "0123456789abcdef";
        static atomic_uint_fast64_t counter;
        uint8_t b[16];
        size_t i, o = 0;
        if (uv_random(NULL, NULL, b, sizeof(b), 0, NULL)) {
                /* No entropy source: still unique within the process. */
                uint64_t x = (uint64_t)rmq__mono_ns() ^
                             (atomic_fetch_add(&counter, 1) << 40);
                for (i = 0; i < sizeof(b); i++) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        b[i] = (uint8_t)(x >> 56);
                }
        }
        /* UUID.randomUUID: version 4, IETF variant */
        b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
        b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
        for (i = 0; i < sizeof(b); i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        dst[o++] = '-';
                dst[o++] = hex[b[i] >> 4];
                dst[o++] = hex[b[i] & 0x0f];
        }
        dst[o] = '\0';
}

/* ---- the table ---- */

rmq_req_table_t *rmq__req_table_new(void) {
        rmq_req_table_t *tbl = rmq__calloc(1, sizeof(*tbl));
        uv_mutex_init(&tbl->lock);
        uv_cond_init(&tbl->idle);
        rmq__strmap_init(&tbl->map);
        rmq__list_init(&tbl->live);
        return tbl;
}

void rmq__req_table_destroy(rmq_client_t *ci, rmq_req_table_t *tbl) {
        if (!tbl)
                return;
        /* Every producer failed its own at shutdown; this only guards. */
        rmq__req_futures_fail_owner(ci, NULL);
        rmq__strmap_clear(&tbl->map, NULL);
        uv_cond_destroy(&tbl->idle);
        uv_mutex_destroy(&tbl->lock);
        rmq__free(tbl);
}

/* Takes \p f out of the table: true for the one caller that does. Table
 * lock held. */
static bool take_locked(rmq_req_future_t *f) {
        if (!f->in_table)
                return false;
        rmq__strmap_del(&f->tbl->map, f->corr_id);
        f->in_table = false;
        return true;
}

static bool take(rmq_req_future_t *f) {
        bool took;
        rmq__lock(&f->tbl->lock);
        took = take_locked(f);
        rmq__unlock(&f->tbl->lock);
        return took;
}

void rmq__req_future_release(rmq_req_future_t *f) {
        rmq_req_table_t *tbl;
        if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
                return;
        tbl = f->tbl;
        /* A timer started after the future completed (arm racing a
         * completion) is still due: cancel it before the memory goes. */
        rmq__timer_stop(rmq__client_io(f->ci), &f->timer);
        rmq__lock(&tbl->lock);
        rmq__list_remove(&f->link);
        if (tbl->idle_waiters)
                uv_cond_broadcast(&tbl->idle);
        rmq__unlock(&tbl->lock);
        rmq_message_ext_release(f->reply);
        if (!f->done)
                uv_cond_destroy(&f->cond);
        rmq__free(f->topic);
        rmq__free(f);
}

/* ---- completion ---- */

/* Runs the async callback (RequestResponseFuture#executeRequestCallback
 * and processReplyMessage's onSuccess), then drops the completion's
 * reference. */
static void deliver_run(rmq_req_future_t *f) {
        f->done(f->err, f->err ? f->errstr : NULL, f->err ? NULL : f->reply,
                f->opaque);
        rmq__req_future_release(f);
}

static void deliver_job(rmq_job_t *job) {
        deliver_run(RMQ_CONTAINER_OF(job, rmq_req_future_t, job));
}

/* Delivers an armed async completion: here when \p here (the callback
 * pool, no lock held), else as a job of the callback pool. */
static void deliver(rmq_req_future_t *f, bool here) {
        if (!here) {
                f->job.fn = deliver_job;
                if (!rmq__pool_submit(rmq__client_cb_pool(f->ci), &f->job))
                        return;
                /* The pool is gone (instance teardown): only an
                 * application thread gets here, never the loop, whose
                 * timers stop before the pool. */
        }
        deliver_run(f);
}

/* Completes \p f, which the caller took out of the table (or, at cancel,
 * found completed). The reply's reference moves into \p f. \p here: as
 * for deliver(). */
static void complete(rmq_req_future_t *f, rmq_err_t err, const char *errstr,
                     rmq_message_ext_t *reply, bool here) {
        bool now;
        rmq__lock(&f->tbl->lock);
        f->completed = true;
        f->err       = err;
        f->reply     = reply;
        if (err)
                rmq__strlcpy(f->errstr, errstr ? errstr : rmq_err2str(err),
                             sizeof(f->errstr));
        now = f->armed;
        if (!f->done)
                uv_cond_broadcast(&f->cond);
        rmq__unlock(&f->tbl->lock);
        if (!f->done)
                rmq__req_future_release(f); /* the waiter has its own */
        else if (now)
                deliver(f, here);
        /* else delivered by rmq__req_future_arm() or dropped by
         * rmq__req_future_cancel() */
}

/* mirrors RequestFutureHolder#scanExpiredRequest for one request.
 * @locality io thread */
static void on_deadline(rmq_timer_t *t, void *arg) {
        rmq_req_future_t *f = arg;
        char why[512];
        RMQ_UNUSED(t);
        if (!take(f))
                return;
        rmq__log(&f->ci->lg, RMQ_LOG_WARN, "PRODUCER",
                 "remove timeout request, CorrelationId=%s", f->corr_id);
        if (f->done)
                rmq__strlcpy(why, "request timeout, no reply message.",
                             sizeof(why));
        else
                snprintf(why, sizeof(why),
                         "send request message to <%s> OK, but wait reply "
                         "message timeout, %lld ms.",
                         f->topic, (long long)f->timeout_ms);
        complete(f, RMQ_ERR__TIMED_OUT, why, NULL, false);
}

/* ---- the request's side ---- */

rmq_req_future_t *rmq__req_future_new(rmq_client_t *ci, const void *owner,
                                      const char *corr_id, const char *topic,
                                      int64_t begin_ms, int64_t timeout_ms,
                                      rmq_req_done_fn_t *done, void *opaque) {
        rmq_req_table_t *tbl = ci->req_table;
        rmq_req_future_t *f  = rmq__calloc(1, sizeof(*f));
        f->ci                = ci;
        f->tbl               = tbl;
        f->owner             = owner;
        f->topic             = rmq__strdup(topic);
        f->deadline          = begin_ms + timeout_ms;
        f->timeout_ms        = timeout_ms;
        f->done              = done;
        f->opaque            = opaque;
        atomic_init(&f->refs, 3);
        rmq__strlcpy(f->corr_id, corr_id, sizeof(f->corr_id));
        rmq__timer_init(&f->timer, on_deadline, f);
        if (!done)
                uv_cond_init(&f->cond);
        rmq__lock(&tbl->lock);
        rmq__list_insert_tail(&tbl->live, &f->link);
        f->in_table = true;
        rmq__strmap_set(&tbl->map, f->corr_id, f);
        rmq__unlock(&tbl->lock);
        return f;
}

void rmq__req_future_arm(rmq_req_future_t *f) {
        bool completed;
        int64_t left;
        rmq__lock(&f->tbl->lock);
        f->armed  = true;
        completed = f->completed;
        rmq__unlock(&f->tbl->lock);
        if (completed) {
                if (f->done)
                        deliver(f, false);
                return;
        }
        left = f->deadline - rmq__mono_ms();
        if (rmq__timer_start(rmq__client_io(f->ci), &f->timer,
                             left > 0 ? left : 0, 0) &&
            take(f))
                complete(f, RMQ_ERR__DESTROY, "the client is shutting down",
                         NULL, false);
}

void rmq__req_future_cancel(rmq_req_future_t *f) {
        bool took, was_completed;
        rmq__lock(&f->tbl->lock);
        took          = take_locked(f);
        was_completed = f->completed;
        f->completed  = true;
        rmq__unlock(&f->tbl->lock);
        /* The completion's reference: still held if nobody completed it,
         * or if an async completion waits for arm; a sync completion
         * dropped it already. */
        if (took || (was_completed && f->done))
                rmq__req_future_release(f);
}

void rmq__req_future_send_done(rmq_req_future_t *f, rmq_err_t err,
                               const char *errstr) {
        char why[640];
        /* onSuccess: setSendRequestOk(true); the reply completes it.
         * Java's request(msg, callback, timeout) also calls
         * executeRequestCallback here, i.e. onSuccess(null) before the
         * reply: not done here, each callback runs exactly once. */
        if (!err || !take(f))
                return;
        snprintf(why, sizeof(why), "send request message to <%s> fail: %s",
                 f->topic, errstr ? errstr : rmq_err2str(err));
        complete(f, err, why, NULL, true);
}

rmq_err_t rmq__req_future_wait(rmq_req_future_t *f, rmq_message_ext_t **replyp,
                               char *errstr, size_t errstr_size) {
        rmq_err_t err;
        rmq__lock(&f->tbl->lock);
        while (!f->completed)
                uv_cond_wait(&f->cond, &f->tbl->lock);
        err = f->err;
        if (!err) {
                *replyp  = f->reply;
                f->reply = NULL;
        } else {
                rmq__seterr(errstr, errstr_size, err, "%s", f->errstr);
        }
        rmq__unlock(&f->tbl->lock);
        return err;
}

static bool owner_live_locked(rmq_req_table_t *tbl, const void *owner) {
        rmq_list_t *n;
        for (n = tbl->live.next; n != &tbl->live; n = n->next) {
                rmq_req_future_t *f = RMQ_CONTAINER_OF(n, rmq_req_future_t,
                                                       link);
                if (!owner || f->owner == owner)
                        return true;
        }
        return false;
}

void rmq__req_futures_fail_owner(rmq_client_t *ci, const void *owner) {
        rmq_req_table_t *tbl = ci->req_table;
        rmq_req_future_t **v = NULL;
        size_t n = 0, cap = 0, i;
        rmq_list_t *l;
        rmq__lock(&tbl->lock);
        for (l = tbl->live.next; l != &tbl->live; l = l->next) {
                rmq_req_future_t *f = RMQ_CONTAINER_OF(l, rmq_req_future_t,
                                                       link);
                if ((owner && f->owner != owner) || !take_locked(f))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        v   = rmq__realloc(v, cap * sizeof(*v));
                }
                v[n++] = f; /* alive: its completion reference is held */
        }
        rmq__unlock(&tbl->lock);
        for (i = 0; i < n; i++)
                complete(v[i], RMQ_ERR__DESTROY,
                         "the producer is shutting down, request cancelled",
                         NULL, false);
        rmq__free(v);
        /* Wait for the waiters to go and the callbacks (request and send)
         * to return. */
        rmq__lock(&tbl->lock);
        tbl->idle_waiters++;
        while (owner_live_locked(tbl, owner))
                uv_cond_wait(&tbl->idle, &tbl->lock);
        tbl->idle_waiters--;
        rmq__unlock(&tbl->lock);
}

/* ---- the reply's side ---- */

/* mirrors processReplyMessage: the reply's reference moves to its
 * request, or is dropped. On the callback pool. */
static void process_reply(rmq_client_t *ci, rmq_message_ext_t *mx) {
        rmq_req_table_t *tbl = ci->req_table;
        const char *corr = rmq_message_ext_property(mx, RMQ_PROP_CORRELATION_ID);
        rmq_req_future_t *f = NULL;
        rmq__lock(&tbl->lock);
        if (corr)
                f = rmq__strmap_get(&tbl->map, corr);
        if (f && !take_locked(f))
                f = NULL;
        rmq__unlock(&tbl->lock);
        if (f) {
                complete(f, RMQ_OK, NULL, mx, true);
                return;
        }
        /* Java warns; a reply after its request timed out is expected
         * now and then, so debug here. */
        rmq__dbg(&ci->lg, PRODUCER,
                 "receive reply message, but not matched any request, "
                 "CorrelationId: %s , reply from host: %s",
                 corr ? corr : "null", rmq_message_ext_born_host(mx));
        rmq_message_ext_release(mx);
}

static void host_of(const rmq_cmd_t *req, const char *key,
                    rmq_msg_host_t *host) {
        const char *v = rmq__cmd_ext(req, key);
        if (!v || rmq__msg_host_parse(v, host)) {
                memset(host, 0, sizeof(*host));
                host->ipLen = 4;
        }
}

static int64_t ext_i64(const rmq_cmd_t *req, const char *key, int64_t dflt) {
        int64_t v;
        return rmq__cmd_ext_i64(req, key, &v) ? dflt : v;
}

/* The reply as a one-message batch: the header's fields and the body in
 * the stored format, decoded as a pulled message is (a compressed body is
 * inflated). \p sys_flag: the header's, or without COMPRESSED when the
 * body could not be inflated (Java then keeps it as it came). */
static rmq_err_t reply_decode(const rmq_cmd_t *req, const char *props,
                              size_t props_len, int32_t sys_flag,
                              rmq_message_ext_t **mxp, char *errstr,
                              size_t errstr_size) {
        const char *topic = rmq__cmd_ext(req, "topic");
        rmq_msg_decode_opts_t opts;
        rmq_msg_batch_t *batch = NULL;
        rmq_buf_t buf          = RMQ_BUF_INIT;
        rmq_msg_view_t mv;
        uint8_t *storage;
        size_t len;
        rmq_err_t err;
        memset(&mv, 0, sizeof(mv));
        memset(&opts, 0, sizeof(opts));
        mv.queueId        = (int32_t)ext_i64(req, "queueId", 0);
        mv.flag           = (int32_t)ext_i64(req, "flag", 0);
        mv.sysFlag        = sys_flag;
        mv.bornTimestamp  = ext_i64(req, "bornTimestamp", 0);
        mv.storeTimestamp = ext_i64(req, "storeTimestamp", 0);
        mv.reconsumeTimes = (int32_t)ext_i64(req, "reconsumeTimes", 0);
        host_of(req, "bornHost", &mv.bornHost);
        host_of(req, "storeHost", &mv.storeHost);
        mv.body          = req->body;
        mv.bodyLen       = req->body ? req->body_len : 0;
        mv.topic         = topic;
        mv.topicLen      = strlen(topic);
        mv.properties    = props;
        mv.propertiesLen = props_len;
        if ((err = rmq__msg_encode_stored(&buf, &mv))) {
                rmq__buf_free(&buf);
                return rmq__seterr(errstr, errstr_size, err,
                                   "reply message cannot be encoded");
        }
        storage = rmq__buf_steal(&buf, &len);
        err = rmq__msg_batch_decode(storage, storage, len, &opts, &batch,
                                    errstr, errstr_size);
        if (err)
                return err;
        if (rmq__msg_batch_count(batch) != 1) {
                rmq__msg_batch_release(batch);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "reply message not decoded");
        }
        /* The batch's one reference is the message's. */
        *mxp = rmq__msg_batch_at(batch, 0);
        return RMQ_OK;
}

rmq_cmd_t *rmq__req_reply_receive(rmq_client_t *ci, const char *addr,
                                  const rmq_cmd_t *req) {
        const char *props = rmq__cmd_ext(req, "properties");
        rmq_buf_t pbuf    = RMQ_BUF_INIT;
        rmq_message_ext_t *mx = NULL;
        char now[24], errstr[256];
        int64_t sys_flag;
        rmq_err_t err;
        /* ReplyMessageRequestHeader's @CFNotNull fields the client
         * reads (decodeCommandCustomHeader throws without them) */
        if (!rmq__cmd_ext(req, "topic") ||
            rmq__cmd_ext_i64(req, "sysFlag", &sys_flag)) {
                rmq__log(&ci->lg, RMQ_LOG_WARN, "PRODUCER",
                         "unknown err when receiveReplyMsg from %s: "
                         "incomplete ReplyMessageRequestHeader",
                         addr);
                return rmq__cmd_new_response(RMQ_ERR_SYSTEM_ERROR,
                                             "process reply message fail");
        }
        /* PROPERTY_REPLY_MESSAGE_ARRIVE_TIME */
        if (props)
                rmq__buf_put_str(&pbuf, props);
        snprintf(now, sizeof(now), "%lld", (long long)rmq__wall_ms());
        rmq__props_append(&pbuf, 0, RMQ_PROP_ARRIVE_TIME, now);
        err = reply_decode(req, (const char *)pbuf.data, pbuf.len,
                           (int32_t)sys_flag, &mx, errstr, sizeof(errstr));
        if (err && (sys_flag & RMQ_SYSFLAG_COMPRESSED)) {
                rmq__log(&ci->lg, RMQ_LOG_WARN, "PRODUCER",
                         "err when uncompress constant: %s", errstr);
                err = reply_decode(req, (const char *)pbuf.data, pbuf.len,
                                   (int32_t)(sys_flag & ~RMQ_SYSFLAG_COMPRESSED),
                                   &mx, errstr, sizeof(errstr));
        }
        rmq__buf_free(&pbuf);
        if (err) {
                rmq__log(&ci->lg, RMQ_LOG_WARN, "PRODUCER",
                         "unknown err when receiveReplyMsg from %s: %s", addr,
                         errstr);
                return rmq__cmd_new_response(RMQ_ERR_SYSTEM_ERROR,
                                             "process reply message fail");
        }
        rmq__dbg(&ci->lg, PRODUCER, "receive reply message from %s, topic %s",
                 addr, rmq_message_ext_topic(mx));
        process_reply(ci, mx);
        return rmq__cmd_new_response(RMQ_OK, NULL);
}
