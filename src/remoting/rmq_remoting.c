/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transport on libuv. mirrors NettyRemotingAbstract (request table,
 * processor table, hooks, semaphores) and NettyRemotingClient (invoke
 * sync/async/oneway, close-on-timeout). Channels, frames, name servers and
 * server mode are in their own files (rmq_remoting_int.h).
 */
#include <stdio.h>

#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "remoting/rmq_remoting_int.h"

static void init_handles_on_loop(rmq_io_t *io, void *arg);
static void deadline_timer_cb(uv_timer_t *t);
static void deadline_rearm(rmq_remoting_t *rm);

/* ---- configuration ---- */

void rmq__remoting_conf_defaults(rmq_remoting_conf_t *rconf) {
        rconf->connect_timeout_ms      = 3000;
        rconf->async_permits           = 65535;
        rconf->oneway_permits          = 65535;
        rconf->channel_max_idle_s      = 120;
        rconf->close_socket_if_timeout = true;
        rconf->sndbuf                  = 0;
        rconf->rcvbuf                  = 0;
        rconf->frame_max_length        = RMQ_FRAME_MAX_LENGTH_DEFAULT;
        memset(&rconf->tls, 0, sizeof(rconf->tls));
        rconf->tls.verify = true;
        rconf->reconnect_backoff_ms     = 100;
        rconf->reconnect_backoff_max_ms = 10000;
}

void rmq__remoting_conf_from(rmq_remoting_conf_t *rconf,
                             const rmq_conf_t *conf) {
        rconf->connect_timeout_ms      = conf->connectTimeoutMillis;
        rconf->async_permits           = conf->clientAsyncSemaphoreValue;
        rconf->oneway_permits          = conf->clientOnewaySemaphoreValue;
        rconf->channel_max_idle_s      = conf->clientChannelMaxIdleTimeSeconds;
        rconf->close_socket_if_timeout = conf->clientCloseSocketIfTimeout;
        rconf->sndbuf                  = conf->clientSocketSndBufSize;
        rconf->rcvbuf                  = conf->clientSocketRcvBufSize;
        rconf->frame_max_length        = conf->frameMaxLength;
        rconf->reconnect_backoff_ms     = conf->reconnectBackoffMs;
        rconf->reconnect_backoff_max_ms = conf->reconnectBackoffMaxMs;
        rconf->tls.enabled             = conf->useTLS;
        rconf->tls.verify              = conf->tlsClientAuthServer;
        rconf->tls.ca_file             = conf->tlsClientTrustCertPath;
        rconf->tls.cert_file           = conf->tlsClientCertPath;
        rconf->tls.key_file            = conf->tlsClientKeyPath;
        rconf->tls.key_password        = conf->tlsClientKeyPassword;
}

/* The client TLS context (useTLS). A context that cannot be made is
 * logged here and fails every connection with its reason. */
static void tls_client_init(rmq_remoting_t *rm, const rmq_tls_conf_t *tc) {
        if (!tc->enabled)
                return;
        rm->tls_client =
            rmq__tls_ctx_new(false, tc, rm->tls_err, sizeof(rm->tls_err));
        if (!rm->tls_client) {
                rmq__log(rm->lg, RMQ_LOG_ERROR, "REMOTING", "%s", rm->tls_err);
                return;
        }
        if (!tc->verify)
                rmq__log(rm->lg, RMQ_LOG_WARN, "REMOTING",
                         "TLS without server verification "
                         "(tls.client.authServer=false): any server, or "
                         "anyone in between, is accepted");
}

/* ---- requests ---- */

static rmq_req_t *req_new(rmq_remoting_t *rm, const char *addr, int kind) {
        rmq_req_t *req = rmq__freelist_get(rm->req_cache);
        memset(req, 0, offsetof(rmq_req_t, addr));
        req->addr[0]   = '\0';
        req->errstr[0] = '\0';
        req->rm        = rm;
        req->kind      = kind;
        rmq__heap_node_init(&req->hn);
        rmq__list_init(&req->ch_link);
        if (addr)
                rmq__strlcpy(req->addr, addr, sizeof(req->addr));
        else
                req->to_namesrv = true;
        return req;
}

void rmq__req_free(rmq_req_t *req) {
        rmq__frame_free(req->frame);
        rmq__cmd_destroy(req->resp);
        rmq__freelist_put(req->rm->req_cache, req);
}

void rmq__remoting_run_after_hooks(rmq_remoting_t *rm, const char *addr,
                                   int32_t code, const rmq_cmd_t *resp) {
        int i;
        for (i = 0; i < rm->hook_cnt; i++)
                if (rm->hooks[i].after)
                        rm->hooks[i].after(addr, code, resp,
                                           rm->hooks[i].opaque);
}

static void async_job(rmq_job_t *job) {
        rmq_req_t *req     = RMQ_CONTAINER_OF(job, rmq_req_t, job);
        rmq_remoting_t *rm = req->rm;
        if (req->resp)
                rmq__remoting_run_after_hooks(rm, req->addr, req->code,
                                              req->resp);
        req->cb(req->err, req->resp, req->err ? req->errstr : NULL,
                req->cb_opaque);
        rmq__sem_release(&rm->async_sem);
        rmq__req_free(req);
}

/* Removes \p req from every table; the caller completes it. */
void rmq__req_detach(rmq_remoting_t *rm, rmq_req_t *req) {
        if (req->in_table) {
                rmq__imap_del(&rm->table, req->node.key);
                req->in_table = false;
        }
        /* The deadline timer is left armed: when it fires early it finds
         * nothing due and re-arms (cheaper than re-arming per response). */
        rmq__heap_remove(&rm->deadlines, &req->hn);
        rmq__list_remove(&req->ch_link);
        if (req->queued && req->ch) {
                size_t i;
                for (i = 0; i < req->ch->outq_len; i++) {
                        if (req->ch->outq[i].req == req) {
                                req->ch->outq[i].req  = NULL;
                                req->ch->outq[i].data = NULL;
                                req->ch->outq[i].len  = 0;
                        }
                }
                req->queued = false;
        }
        if (req->ch) {
                rmq__channel_release(req->ch);
                req->ch = NULL;
        }
}

/* Completes a detached request: exactly once per request. */
void rmq__req_complete(rmq_remoting_t *rm, rmq_req_t *req, rmq_err_t err,
                       rmq_cmd_t *resp, const char *fmt, ...) {
        req->err  = err;
        req->resp = resp;
        if (err && fmt) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(req->errstr, sizeof(req->errstr), fmt, ap);
                va_end(ap);
        }
        switch (req->kind) {
        case REQ_SYNC:
                rmq__waiter_signal(req->waiter);
                break;
        case REQ_ASYNC:
                req->job.fn = async_job;
                if ((req->flags & RMQ_INVOKE_F_ON_LOOP) || !rm->cb_pool) {
                        async_job(&req->job);
                } else if (rm->cb_batching) {
                        rmq__list_insert_tail(&rm->cb_batch, &req->job.link);
                        rm->cb_batch_n++;
                } else if (rmq__pool_submit(rm->cb_pool, &req->job)) {
                        async_job(&req->job);
                }
                break;
        default: /* oneway: nothing waits */
                rmq__sem_release(&rm->oneway_sem);
                rmq__req_free(req);
                break;
        }
}

/* Arms the deadline timer for the earliest request. @locality io thread */
static void deadline_rearm(rmq_remoting_t *rm) {
        rmq_heap_node_t *top = rmq__heap_top(&rm->deadlines);
        int64_t delay;
        if (rm->closing)
                return;
        if (!top) {
                if (rm->deadline_armed != INT64_MAX)
                        uv_timer_stop(&rm->deadline_timer);
                rm->deadline_armed = INT64_MAX;
                return;
        }
        rm->deadline_armed = top->due;
        delay              = top->due - rmq__mono_ms();
        uv_timer_start(&rm->deadline_timer, deadline_timer_cb,
                       delay > 0 ? (uint64_t)delay : 0, 0);
}

/* @locality io thread */
static void deadline_timer_cb(uv_timer_t *t) {
        rmq_remoting_t *rm = t->data;
        int64_t now        = rmq__mono_ms();
        rmq_heap_node_t *n;
        RMQ__ASSERT_IO_THREAD(rm->io);
        rm->deadline_armed = INT64_MAX;
        while ((n = rmq__heap_top(&rm->deadlines)) && n->due <= now) {
                rmq_req_t *req    = RMQ_CONTAINER_OF(n, rmq_req_t, hn);
                rmq_channel_t *ch = req->ch;
                bool close_ch     = false;
                char addr[80];
                rmq__strlcpy(addr, ch ? ch->addr : req->addr, sizeof(addr));
                /* mirrors NettyRemotingClient.invokeSync: a sync timeout
                 * closes the socket when clientCloseSocketIfTimeout. */
                if (req->kind == REQ_SYNC && rm->conf.close_socket_if_timeout &&
                    ch && ch->state == CH_CONNECTED) {
                        close_ch = true;
                        rmq__channel_retain(ch);
                }
                rmq__req_detach(rm, req);
                rmq__log(rm->lg, RMQ_LOG_WARN, "REMOTING",
                         "request code %d opaque %d to %s timed out after "
                         "%lld ms",
                         req->code, req->opaque_id, addr,
                         (long long)req->timeout_ms);
                rmq__req_complete(rm, req, RMQ_ERR__TIMED_OUT, NULL,
                                  "wait response on the channel <%s> "
                                  "timeout, %lld(ms)",
                                  addr, (long long)req->timeout_ms);
                if (close_ch) {
                        rmq__channel_fail(ch, RMQ_ERR__TRANSPORT,
                                          "closed after a synchronous "
                                          "request timed out");
                        rmq__channel_release(ch);
                }
        }
        deadline_rearm(rm);
}

typedef struct proc_job_s {
        rmq_job_t job;
        rmq_remoting_t *rm;
        rmq_channel_t *ch;
        rmq_cmd_t *req;
        proc_entry_t pe; /* a copy: the job never points into the table */
} proc_job_t;

void rmq__remoting_run_before_hooks(rmq_remoting_t *rm, const char *addr,
                                    rmq_cmd_t *req) {
        int i;
        for (i = 0; i < rm->hook_cnt; i++)
                if (rm->hooks[i].before)
                        rm->hooks[i].before(addr, req, rm->hooks[i].opaque);
}

static void proc_job_run(rmq_job_t *job) {
        proc_job_t *pj = RMQ_CONTAINER_OF(job, proc_job_t, job);
        rmq__remoting_run_before_hooks(pj->rm, pj->ch->addr, pj->req);
        pj->pe.fn(pj->rm, pj->ch, pj->req, pj->pe.opaque);
        rmq__channel_release(pj->ch);
        rmq__free(pj);
}

static const proc_entry_t *proc_find(rmq_remoting_t *rm, int code) {
        size_t i;
        for (i = 0; i < rm->proc_cnt; i++)
                if (rm->procs[i].code == code)
                        return &rm->procs[i];
        return rm->default_proc.fn ? &rm->default_proc : NULL;
}

void rmq__remoting_on_request(rmq_channel_t *ch, rmq_cmd_t *cmd) {
        rmq_remoting_t *rm     = ch->rm;
        const proc_entry_t *pe = proc_find(rm, cmd->code);
        proc_job_t *pj;
        RMQ__ASSERT_IO_THREAD(rm->io);
        if (!pe) {
                /* mirrors NettyRemotingAbstract.processRequestCommand */
                char remark[64];
                rmq_cmd_t *resp;
                snprintf(remark, sizeof(remark),
                         " request type %d not supported", cmd->code);
                resp = rmq__cmd_new_response(RMQ_ERR_REQUEST_CODE_NOT_SUPPORTED,
                                             remark);
                resp->opaque = cmd->opaque;
                rmq__log(rm->lg, RMQ_LOG_WARN, "REMOTING", "%s%s", ch->addr,
                         remark);
                {
                        size_t blen;
                        uint8_t *data = rmq__frame_encode(rm, resp, &blen);
                        rmq__channel_queue(ch, NULL, data, blen);
                }
                rmq__cmd_destroy(resp);
                rmq__cmd_destroy(cmd);
                return;
        }
        if (pe->on_loop || !rm->cb_pool) {
                rmq__remoting_run_before_hooks(rm, ch->addr, cmd);
                pe->fn(rm, ch, cmd, pe->opaque);
                return;
        }
        pj         = rmq__malloc(sizeof(*pj));
        pj->job.fn = proc_job_run;
        pj->rm     = rm;
        pj->ch     = rmq__channel_retain(ch);
        pj->req    = cmd;
        pj->pe     = *pe;
        if (rmq__pool_submit(rm->cb_pool, &pj->job)) {
                rmq__channel_release(ch);
                rmq__free(pj);
                rmq__cmd_destroy(cmd);
        }
}

void rmq__remoting_on_response(rmq_channel_t *ch, rmq_cmd_t *cmd) {
        rmq_remoting_t *rm = ch->rm;
        rmq_imap_node_t *n = rmq__imap_get(&rm->table, cmd->opaque);
        rmq_req_t *req;
        if (!n) {
                rmq__log(rm->lg, RMQ_LOG_WARN, "REMOTING",
                         "response opaque %d from %s matches no request "
                         "(timed out?); dropped",
                         cmd->opaque, ch->addr);
                rmq__cmd_destroy(cmd);
                return;
        }
        req = RMQ_CONTAINER_OF(n, rmq_req_t, node);
        rmq__req_detach(rm, req);
        rmq__req_complete(rm, req, RMQ_OK, cmd, NULL);
}

/* Hands the async completions gathered by a read callback to the pool
 * (or runs them here if the pool is shutting down, as rmq__req_complete does).
 */
void rmq__remoting_cb_batch_flush(rmq_remoting_t *rm) {
        rm->cb_batching = false;
        if (!rm->cb_batch_n ||
            !rmq__pool_submit_list(rm->cb_pool, &rm->cb_batch,
                                   rm->cb_batch_n)) {
                rm->cb_batch_n = 0;
                return;
        }
        rm->cb_batch_n = 0;
        while (!rmq__list_empty(&rm->cb_batch)) {
                rmq_job_t *job = RMQ_CONTAINER_OF(
                    rmq__list_pop_head(&rm->cb_batch), rmq_job_t, link);
                job->fn(job);
        }
}

void rmq__remoting_dispatch(rmq_remoting_t *rm, rmq_req_t *req) {
        rmq_channel_t *ch;
        RMQ__ASSERT_IO_THREAD(rm->io);
        if (rm->closing) {
                /* a request for a given channel (invoke_channel) posted
                 * just before the close holds a reference to it */
                if (req->ch) {
                        rmq__channel_release(req->ch);
                        req->ch = NULL;
                }
                rmq__req_complete(rm, req, RMQ_ERR__DESTROY, NULL,
                                  "remoting client is shutting down");
                return;
        }
        for (;;) {
                int64_t wait;
                int fails;
                if (req->to_namesrv && !rmq__namesrv_pick(rm, req)) {
                        char why[sizeof(rm->no_namesrv_reason)];
                        rmq__remoting_namesrv_empty_reason(rm, why,
                                                           sizeof(why));
                        rmq__req_complete(rm, req, RMQ_ERR__NO_NAMESRV, NULL,
                                          "%s", why);
                        return;
                }
                if (req->ch ||
                    !(wait = rmq__channel_backoff(rm, req->addr, &fails)))
                        break;
                /* The address is backing off (not Java): a name server
                 * request tries the next server, others fail at once. */
                if (req->to_namesrv &&
                    req->ns_attempts < (int)rmq__namesrv_count(rm)) {
                        rmq__namesrv_failed(rm, req->addr);
                        continue;
                }
                rmq__req_complete(rm, req, RMQ_ERR__CONNECT, NULL,
                                  "connect to %s failed %d time%s in a row: "
                                  "backing off, next attempt in %lld ms",
                                  req->addr, fails, fails == 1 ? "" : "s",
                                  (long long)wait);
                return;
        }
        if (!req->ch) {
                ch = rmq__channel_get(rm, req->addr);
                if (ch->state == CH_CLOSING) {
                        /* failed at once (bad address) */
                        rmq__req_complete(rm, req, RMQ_ERR__CONNECT, NULL,
                                          "connect to %s failed", req->addr);
                        return;
                }
                req->ch = rmq__channel_retain(ch);
        }
        ch = req->ch;
        if (req->kind != REQ_ONEWAY) {
                req->node.key = req->opaque_id;
                if (rmq__imap_get(&rm->table, req->opaque_id)) {
                        /* 2^32 requests later an opaque can come back while
                         * an old one is still waiting: fail the newcomer. */
                        rmq__channel_release(req->ch);
                        req->ch = NULL;
                        rmq__req_complete(rm, req, RMQ_ERR__FAIL, NULL,
                                          "opaque %d already in flight",
                                          req->opaque_id);
                        return;
                }
                rmq__imap_put(&rm->table, &req->node);
                req->in_table = true;
                rmq__list_insert_tail(&ch->pending, &req->ch_link);
                if (rmq__heap_push(&rm->deadlines, &req->hn, req->deadline) &&
                    req->deadline < rm->deadline_armed)
                        deadline_rearm(rm);
        }
        rmq__channel_queue(ch, req, req->frame, req->frame_len);
}

static void req_op_run(rmq_io_t *io, rmq_io_op_t *op) {
        rmq_req_t *req = RMQ_CONTAINER_OF(op, rmq_req_t, op);
        RMQ_UNUSED(io);
        rmq__remoting_dispatch(req->rm, req);
}

/* Encodes \p cmd on the caller's thread after the before-hooks. */
static void req_encode(rmq_remoting_t *rm, rmq_req_t *req, rmq_cmd_t *cmd) {
        if (rm->hook_cnt) /* hooks read and add ext fields */
                rmq__cmd_materialize(cmd);
        rmq__remoting_run_before_hooks(rm, req->to_namesrv ? "" : req->addr,
                                       cmd);
        req->frame     = rmq__frame_encode(rm, cmd, &req->frame_len);
        req->code      = cmd->code;
        req->opaque_id = cmd->opaque;
}

static rmq_err_t req_post(rmq_remoting_t *rm, rmq_req_t *req) {
        req->op.fn = req_op_run;
        rmq__remoting_freeze_procs(rm);
        if (atomic_load(&rm->closed_flag))
                return RMQ_ERR__DESTROY;
        return rmq__io_post(rm->io, &req->op);
}

rmq_err_t rmq__remoting_invoke_sync(rmq_remoting_t *rm, const char *addr,
                                    rmq_cmd_t *cmd, int64_t timeout_ms,
                                    rmq_cmd_t **respp, char *errstr,
                                    size_t errstr_size) {
        rmq_req_t *req;
        rmq_waiter_t waiter;
        rmq_err_t err;
        *respp = NULL;
        if (rmq__io_on_loop(rm->io))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__WOULD_DEADLOCK,
                                   "synchronous request on the I/O thread");
        req             = req_new(rm, addr, REQ_SYNC);
        req->timeout_ms = timeout_ms;
        req->deadline   = rmq__mono_ms() + timeout_ms;
        cmd->flag &= ~RMQ_CMD_FLAG_ONEWAY;
        req_encode(rm, req, cmd);
        rmq__waiter_init(&waiter);
        req->waiter = &waiter;
        err         = req_post(rm, req);
        if (err) {
                rmq__waiter_destroy(&waiter);
                rmq__req_free(req);
                return rmq__seterr(errstr, errstr_size, err,
                                   "remoting client is shutting down");
        }
        rmq__waiter_wait(&waiter);
        rmq__waiter_destroy(&waiter);
        err = req->err;
        if (err) {
                rmq__seterr(errstr, errstr_size, err, "%s", req->errstr);
        } else {
                rmq__remoting_run_after_hooks(rm, req->addr, req->code,
                                              req->resp);
                *respp    = req->resp;
                req->resp = NULL;
        }
        rmq__req_free(req);
        return err;
}

rmq_err_t rmq__remoting_invoke_async(rmq_remoting_t *rm, const char *addr,
                                     rmq_cmd_t *cmd, int64_t timeout_ms,
                                     int flags, rmq_invoke_cb_t *cb,
                                     void *opaque) {
        return rmq__remoting_invoke_async_at(rm, addr, cmd, rmq__mono_ms(),
                                             timeout_ms, flags, cb, opaque);
}

rmq_err_t rmq__remoting_invoke_async_at(rmq_remoting_t *rm, const char *addr,
                                        rmq_cmd_t *cmd, int64_t start,
                                        int64_t timeout_ms, int flags,
                                        rmq_invoke_cb_t *cb, void *opaque) {
        rmq_req_t *req;
        rmq_err_t err;
        /* mirrors invokeAsyncImpl: semaphoreAsync.tryAcquire(timeout); on
         * an I/O thread without waiting, since permits only come back
         * when that thread reads responses (a wait there would stall the
         * loop for the whole timeout) */
        if (!rmq__sem_acquire(&rm->async_sem, timeout_ms))
                return RMQ_ERR__TOO_MANY_REQUESTS;
        req             = req_new(rm, addr, REQ_ASYNC);
        req->timeout_ms = timeout_ms;
        req->deadline   = start + timeout_ms;
        req->flags      = flags;
        req->cb         = cb;
        req->cb_opaque  = opaque;
        cmd->flag &= ~RMQ_CMD_FLAG_ONEWAY;
        req_encode(rm, req, cmd);
        err = req_post(rm, req);
        if (err) {
                rmq__req_free(req);
                rmq__sem_release(&rm->async_sem);
        }
        return err;
}

typedef struct cancel_arg_s {
        rmq_remoting_t *rm;
        int32_t opaque_id;
        bool found;
} cancel_arg_t;

static void cancel_on_loop(rmq_io_t *io, void *arg) {
        cancel_arg_t *ca   = arg;
        rmq_remoting_t *rm = ca->rm;
        rmq_imap_node_t *n;
        rmq_req_t *req;
        RMQ_UNUSED(io);
        n = rmq__imap_get(&rm->table, ca->opaque_id);
        if (!n)
                return;
        req = RMQ_CONTAINER_OF(n, rmq_req_t, node);
        if (req->kind != REQ_ASYNC)
                return;
        ca->found = true;
        rmq__req_detach(rm, req);
        rmq__req_complete(rm, req, RMQ_ERR__DESTROY, NULL,
                          "request code %d opaque %d to %s cancelled",
                          req->code, req->opaque_id, req->addr);
}

bool rmq__remoting_cancel(rmq_remoting_t *rm, int32_t opaque_id) {
        cancel_arg_t ca = {rm, opaque_id, false};
        RMQ__ASSERT_NOT_IO("a request cancel");
        if (rmq__io_call(rm->io, cancel_on_loop, &ca))
                return false;
        return ca.found;
}

rmq_err_t rmq__remoting_invoke_oneway(rmq_remoting_t *rm, const char *addr,
                                      rmq_cmd_t *cmd, int64_t timeout_ms) {
        rmq_req_t *req;
        rmq_err_t err;
        if (!rmq__sem_acquire(&rm->oneway_sem, timeout_ms))
                return RMQ_ERR__TOO_MANY_REQUESTS;
        req             = req_new(rm, addr, REQ_ONEWAY);
        req->timeout_ms = timeout_ms;
        req->deadline   = rmq__mono_ms() + timeout_ms;
        cmd->flag |= RMQ_CMD_FLAG_ONEWAY;
        req_encode(rm, req, cmd);
        err = req_post(rm, req);
        if (err) {
                rmq__req_free(req);
                rmq__sem_release(&rm->oneway_sem);
        }
        return err;
}

rmq_err_t rmq__remoting_invoke_channel(rmq_remoting_t *rm, rmq_channel_t *ch,
                                       rmq_cmd_t *cmd, int64_t timeout_ms,
                                       int flags, rmq_invoke_cb_t *cb,
                                       void *opaque) {
        rmq_req_t *req;
        rmq_err_t err;
        int kind       = cb ? REQ_ASYNC : REQ_ONEWAY;
        rmq_sem_t *sem = cb ? &rm->async_sem : &rm->oneway_sem;
        if (!rmq__sem_acquire(sem, timeout_ms))
                return RMQ_ERR__TOO_MANY_REQUESTS;
        req             = req_new(rm, ch->addr, kind);
        req->ch         = rmq__channel_retain(ch);
        req->timeout_ms = timeout_ms;
        req->deadline   = rmq__mono_ms() + timeout_ms;
        req->flags      = flags;
        req->cb         = cb;
        req->cb_opaque  = opaque;
        if (cb)
                cmd->flag &= ~RMQ_CMD_FLAG_ONEWAY;
        else
                cmd->flag |= RMQ_CMD_FLAG_ONEWAY;
        req_encode(rm, req, cmd);
        if (rmq__io_on_loop(rm->io)) {
                /* refused here rather than completed inside the call: a
                 * caller never sees its callback before this returns */
                if (ch->state == CH_CLOSING || rm->closing) {
                        rmq__channel_release(req->ch);
                        req->ch = NULL;
                        rmq__req_free(req);
                        rmq__sem_release(sem);
                        return RMQ_ERR__TRANSPORT;
                }
                rmq__remoting_dispatch(rm, req);
                return RMQ_OK;
        }
        err = req_post(rm, req);
        if (err) {
                rmq__channel_release(req->ch);
                req->ch = NULL;
                rmq__req_free(req);
                rmq__sem_release(sem);
        }
        return err;
}

/* ---- lifecycle ---- */

rmq_remoting_t *rmq__remoting_new(rmq_io_t *io,
                                  const rmq_remoting_conf_t *rconf,
                                  rmq_pool_t *cb_pool, const rmq_logger_t *lg) {
        rmq_remoting_t *rm = rmq__calloc(1, sizeof(*rm));
        rmq__frame_cache_init(rm);
        rm->req_cache = rmq__freelist_new(sizeof(rmq_req_t), REQ_CACHE_CAP);
        rm->cmd_cache = rmq__freelist_new(sizeof(rmq_cmd_t) + CMD_INLINE_FRAME,
                                          CMD_CACHE_CAP);
        rm->io        = io;
        rm->loop      = rmq__io_loop(io);
        rm->conf      = *rconf;
        /* the strings are only read now */
        rm->conf.tls.ca_file = rm->conf.tls.cert_file = NULL;
        rm->conf.tls.key_file = rm->conf.tls.key_password = NULL;
        rm->cb_pool                                       = cb_pool;
        rm->lg                                            = lg;
        tls_client_init(rm, &rconf->tls);
        atomic_init(&rm->closed_flag, false);
        rmq__strmap_init(&rm->channels);
        rmq__strmap_init(&rm->connected_once);
        rmq__list_init(&rm->accepted);
        rmq__list_init(&rm->flush_list);
        rmq__list_init(&rm->cb_batch);
        rmq__imap_init(&rm->table);
        rmq__heap_init(&rm->deadlines);
        rm->deadline_armed = INT64_MAX;
        atomic_init(&rm->procs_frozen, false);
        rmq__sem_init(&rm->async_sem, rconf->async_permits);
        rmq__sem_init(&rm->oneway_sem, rconf->oneway_permits);
        uv_mutex_init(&rm->ns_lock);
        rmq__strlcpy(rm->no_namesrv_reason,
                     "no name server address is set (namesrvAddr or "
                     "NAMESRV_ADDR)",
                     sizeof(rm->no_namesrv_reason));
        rm->ns_index = (unsigned)(rmq__mono_ns() & 0x7fff);
        rm->backoff  = rmq__backoff_new(rconf->reconnect_backoff_ms,
                                        rconf->reconnect_backoff_max_ms);
        /* libuv handles are initialised on the loop thread. */
        rmq__io_call(io, init_handles_on_loop, rm);
        return rm;
}

static void init_handles_on_loop(rmq_io_t *io, void *arg) {
        rmq_remoting_t *rm = arg;
        RMQ_UNUSED(io);
        RMQ__ASSERT_IO_THREAD(rm->io);
        uv_timer_init(rm->loop, &rm->deadline_timer);
        rm->deadline_timer.data = rm;
        uv_timer_init(rm->loop, &rm->housekeep_timer);
        rm->housekeep_timer.data = rm;
        uv_idle_init(rm->loop, &rm->flush_idle);
        rm->flush_idle.data = rm;
        uv_check_init(rm->loop, &rm->flush_check);
        rm->flush_check.data = rm;
        uv_timer_start(&rm->housekeep_timer, rmq__channel_housekeep_cb,
                       HOUSEKEEP_MS, HOUSEKEEP_MS);
        uv_unref((uv_handle_t *)&rm->housekeep_timer);
}

void rmq__remoting_close(rmq_remoting_t *rm) {
        rmq_heap_node_t *n;
        RMQ__ASSERT_IO_THREAD(rm->io);
        if (rm->closing)
                return;
        atomic_store(&rm->closed_flag, true);
        rm->closing = true;
        if (rm->listener) {
                uv_close((uv_handle_t *)&rm->listener->tcp,
                         rmq__listener_closed);
                rm->listener = NULL;
        }
        rmq__channel_fail_all(rm, RMQ_ERR__DESTROY, "shutdown");
        /* Anything left in the table belongs to no channel (cannot happen:
         * every request is on its channel's pending list). */
        while ((n = rmq__heap_top(&rm->deadlines))) {
                rmq_req_t *req = RMQ_CONTAINER_OF(n, rmq_req_t, hn);
                rmq__req_detach(rm, req);
                rmq__req_complete(rm, req, RMQ_ERR__DESTROY, NULL,
                                  "remoting client is shutting down");
        }
        uv_close((uv_handle_t *)&rm->deadline_timer, NULL);
        uv_close((uv_handle_t *)&rm->housekeep_timer, NULL);
        uv_close((uv_handle_t *)&rm->flush_idle, NULL);
        uv_close((uv_handle_t *)&rm->flush_check, NULL);
        while (!rmq__list_empty(&rm->flush_list)) {
                rmq_list_t *ln    = rmq__list_pop_head(&rm->flush_list);
                rmq_channel_t *ch = RMQ_CONTAINER_OF(ln, rmq_channel_t, flink);
                ch->in_flush      = false;
                rmq__channel_release(ch);
        }
}

void rmq__remoting_free(rmq_remoting_t *rm) {
        if (!rm)
                return;
        rmq__resolver_free(rm->resolver);
        rmq__backoff_free(rm->backoff);
        rmq__frame_cache_release(rm);
        rmq__freelist_release(rm->req_cache);
        rmq__freelist_put_many(rm->cmd_cache, rm->cmd_stash, rm->cmd_stash_n);
        rm->cmd_stash_n = 0;
        rmq__freelist_release(rm->cmd_cache);
        rmq__strmap_clear(&rm->channels, NULL);
        rmq__strmap_clear(&rm->connected_once, NULL);
        rmq__imap_free(&rm->table);
        rmq__heap_free(&rm->deadlines);
        rmq__sem_destroy(&rm->async_sem);
        rmq__sem_destroy(&rm->oneway_sem);
        uv_mutex_destroy(&rm->ns_lock);
        rmq__strv_free(rm->namesrv);
        rmq__tls_ctx_free(rm->tls_client);
        rmq__tls_ctx_free(rm->tls_server);
        rmq__free(rm);
}

static void close_on_loop(rmq_io_t *io, void *arg) {
        RMQ_UNUSED(io);
        rmq__remoting_close(arg);
}

void rmq__remoting_teardown(rmq_io_t *io, rmq_pool_t *cb_pool,
                            rmq_remoting_t *rm) {
        /* 1. The loop closes every channel and fails the pending requests
         *    (their callbacks go to the pool), then stops; the io object
         *    stays valid: posts fail, rmq__io_on_loop() is false. */
        if (io)
                rmq__io_stop(io, rm ? close_on_loop : NULL, rm);
        /* 2. The pool runs what is queued (completions, processors, whose
         *    replies and requests now fail with RMQ_ERR__DESTROY) and
         *    stops. */
        rmq__pool_destroy(cb_pool);
        /* 3. Nothing can reach the transport or the io any more. */
        rmq__remoting_free(rm);
        rmq__io_free(io);
}

rmq_err_t rmq__remoting_register_processor(rmq_remoting_t *rm, int code,
                                           rmq_processor_fn_t *fn, void *opaque,
                                           bool on_loop) {
        proc_entry_t *pe = NULL;
        size_t i;
        if (atomic_load(&rm->procs_frozen)) {
                rmq__log(rm->lg, RMQ_LOG_ERROR, "REMOTING",
                         "processor for request code %d registered after "
                         "traffic started: refused",
                         code);
                return RMQ_ERR__STATE;
        }
        if (code < 0) {
                pe = &rm->default_proc;
        } else {
                for (i = 0; i < rm->proc_cnt && !pe; i++)
                        if (rm->procs[i].code == code)
                                pe = &rm->procs[i];
                if (!pe && rm->proc_cnt == MAX_PROCS)
                        return RMQ_ERR__QUEUE_FULL;
                if (!pe)
                        pe = &rm->procs[rm->proc_cnt++];
        }
        pe->code    = code;
        pe->fn      = fn;
        pe->opaque  = opaque;
        pe->on_loop = on_loop;
        return RMQ_OK;
}

void rmq__remoting_add_hook(rmq_remoting_t *rm, rmq_hook_before_t *before,
                            rmq_hook_after_t *after, void *opaque) {
        if (rm->hook_cnt >= MAX_HOOKS)
                return;
        rm->hooks[rm->hook_cnt].before = before;
        rm->hooks[rm->hook_cnt].after  = after;
        rm->hooks[rm->hook_cnt].opaque = opaque;
        rm->hook_cnt++;
}

typedef struct stats_args_s {
        rmq_remoting_t *rm;
        rmq_remoting_stats_t st;
} stats_args_t;

static void stats_on_loop(rmq_io_t *io, void *arg) {
        stats_args_t *a          = arg;
        rmq_remoting_stats_t *st = &a->st;
        rmq_remoting_t *rm       = a->rm;
        rmq_strmap_entry_t *it   = NULL, *e;
        size_t b;
        rmq_list_t *n;
        RMQ_UNUSED(io);
        st->channels = rm->channels.count;
        for (n = rm->accepted.next; n != &rm->accepted; n = n->next)
                st->channels++;
        while ((e = rmq__strmap_next(&rm->channels, &it, &b)))
                if (((rmq_channel_t *)e->value)->state == CH_CONNECTED)
                        st->connected++;
        st->pending          = rm->table.count;
        st->connects         = rm->connects;
        st->connect_failures = rm->connect_failures;
        st->disconnects      = rm->disconnects;
        st->reconnects       = rm->reconnects;
        st->frames_out       = rm->frames_out;
        st->frames_in        = rm->frames_in;
        st->bytes_out        = rm->bytes_out;
        st->bytes_in         = rm->bytes_in;
        st->connect_attempts = rm->connect_attempts;
}

void rmq__remoting_stats(rmq_remoting_t *rm, rmq_remoting_stats_t *st) {
        stats_args_t a;
        memset(&a, 0, sizeof(a));
        a.rm = rm;
        rmq__io_call(rm->io, stats_on_loop, &a);
        *st = a.st;
}
