/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transport on libuv. mirrors NettyRemotingAbstract (request table, processor
 * table, hooks, semaphores) and NettyRemotingClient (channel table, name
 * server choice, connect timeout, close-on-failure).
 */
#include <stdatomic.h>
#include <stdio.h>

#include "common/rmq_freelist.h"
#include "common/rmq_map.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "remoting/rmq_remoting.h"

#define READ_BUF_SIZE     (64 * 1024)
#define DIRECT_READ_MIN   (16 * 1024)
#define MAX_WRITE_BATCH   256
#define HOUSEKEEP_MS      1000
#define MAX_HOOKS         8

/* Outgoing frames come from size-class free lists (a request is encoded on
 * the caller's thread and freed on the loop thread once written), each
 * class keeping at most FRAME_CACHE_CAP idle buffers and at most
 * FRAME_CACHE_BYTES of them (so 0.5, 1 and 2 MiB for the classes up to
 * 2 KiB, 2 MiB for the larger ones; in practice one or two classes are
 * in use); larger frames are plain allocations. A frame is preceded by a
 * frame_hdr_t naming its list. Requests (rmq_req_t, allocated by the
 * caller, freed on the callback pool or the loop) come from a free list
 * of REQ_CACHE_CAP.
 * The caps cover an async window of about a thousand requests in flight:
 * with smaller ones, blocks go back to malloc/free whenever the number in
 * flight swings by more than the cap (callgrind: -285 instructions per
 * async send at a window of 1000 with these caps against 128/512). */
#define FRAME_CLASSES     6
#define FRAME_CLASS_MIN   512 /* classes 512 B .. 16 KiB, powers of two */
#define FRAME_CACHE_CAP   1024
#define FRAME_CACHE_BYTES (2 * 1024 * 1024)
#define REQ_CACHE_CAP     1024
/* Received frames of at most CMD_INLINE_FRAME bytes that arrive whole in
 * one read (a send response is ~250 bytes) are decoded from the read
 * buffer into one block holding the command and a copy of the frame,
 * from a free list of CMD_CACHE_CAP blocks: no frame allocation, and the
 * block, freed on the callback pool, comes back to the loop thread. */
#define CMD_INLINE_FRAME  512
#define CMD_CACHE_CAP     1024
#define CMD_STASH         16

enum { CH_CONNECTING, CH_CONNECTED, CH_CLOSING };
enum { REQ_SYNC, REQ_ASYNC, REQ_ONEWAY };

typedef struct rmq_req_s rmq_req_t;

typedef struct outframe_s {
        rmq_req_t *req; /* owner of data until written; NULL for replies */
        uint8_t *data;
        size_t len;
} outframe_t;

struct rmq_channel_s {
        uv_tcp_t tcp;
        uv_timer_t ctimer;
        uv_connect_t creq;
        uv_getaddrinfo_t gai;
        rmq_remoting_t *rm;
        atomic_int refcnt;
        int state;
        int handles_open;
        bool outbound;
        bool in_table;
        bool in_flush;
        bool writing_ok; /* connected: frames may be written */
        bool ever_connected;
        bool resolving;
        rmq_list_t link;    /* accepted list */
        rmq_list_t flink;   /* flush list */
        rmq_list_t pending; /* requests awaiting a response */
        outframe_t *outq;
        size_t outq_len, outq_cap;
        rmq_frame_decoder_t dec;
        uint8_t *rbuf;
        bool rbuf_busy;
        int64_t last_active;
        void *user;
        char addr[80];
};

struct rmq_req_s {
        rmq_io_op_t op;
        rmq_imap_node_t node;
        rmq_list_t ch_link;
        rmq_job_t job;
        rmq_remoting_t *rm;
        rmq_channel_t *ch;
        size_t heap_idx;
        int64_t deadline;
        int64_t timeout_ms;
        int kind;
        int flags;
        int32_t code;
        int32_t opaque_id;
        int ns_attempts;
        bool to_namesrv;
        bool in_table;
        bool queued; /* frame sits in ch->outq */
        uint8_t *frame;
        size_t frame_len;
        rmq_err_t err;
        rmq_cmd_t *resp;
        rmq_invoke_cb_t *cb;
        void *cb_opaque;
        rmq_waiter_t *waiter;
        /* From here on not zeroed by req_new (only the first bytes). */
        char addr[80];
        char errstr[224];
};

typedef struct proc_entry_s {
        int code;
        rmq_processor_fn_t *fn;
        void *opaque;
        bool on_loop;
} proc_entry_t;

typedef struct hook_s {
        rmq_hook_before_t *before;
        rmq_hook_after_t *after;
        void *opaque;
} hook_t;

typedef struct listener_s {
        uv_tcp_t tcp;
        rmq_remoting_t *rm;
} listener_t;

struct rmq_remoting_s {
        rmq_io_t *io;
        uv_loop_t *loop;
        rmq_remoting_conf_t conf;
        rmq_pool_t *cb_pool;
        const rmq_logger_t *lg;
        bool closing; /* loop side */
        atomic_bool closed_flag;

        rmq_strmap_t channels; /* outbound, by addr */
        rmq_list_t accepted;
        rmq_list_t flush_list;
        rmq_imap_t table; /* opaque -> req */
        rmq_req_t **heap;
        size_t heap_len, heap_cap;

        uv_timer_t deadline_timer;
        uv_timer_t housekeep_timer;
        uv_idle_t flush_idle;
        uv_check_t flush_check;
        bool flush_active;
        listener_t *listener;

        rmq_sem_t async_sem;
        rmq_sem_t oneway_sem;

        /* Async completions of one read callback, handed to the callback
         * pool at its end in one submission (one wake-up of the pool rather
         * than one per response). Loop thread. */
        bool cb_batching;
        rmq_list_t cb_batch;
        size_t cb_batch_n;

        uv_mutex_t ns_lock;
        char **namesrv;
        size_t namesrv_cnt;
        unsigned ns_index;
        char ns_chosen[80];

        proc_entry_t *procs;
        size_t proc_cnt;
        proc_entry_t default_proc;
        hook_t hooks[MAX_HOOKS];
        int hook_cnt;
        rmq_channel_event_fn_t *ch_listener;
        void *ch_listener_opaque;

        uint64_t connects, frames_out, frames_in;

        rmq_freelist_t *frame_cache[FRAME_CLASSES];
        rmq_freelist_t *req_cache;
        rmq_freelist_t *cmd_cache;
        /* Command blocks taken from cmd_cache in batches by the loop thread
         * (the only one that takes them), so a received frame costs no
         * lock. Loop thread. */
        void *cmd_stash[CMD_STASH];
        size_t cmd_stash_n;
        /* The outbound channel used last (requests mostly go to one
         * broker): found without hashing its address. Cleared when it
         * fails. Loop thread. */
        rmq_channel_t *last_ch;
};

/* In front of every outgoing frame: the free list it returns to (NULL: a
 * plain allocation). 16 bytes, so the frame stays 16-aligned. */
typedef struct frame_hdr_s {
        rmq_freelist_t *home;
        void *unused;
} frame_hdr_t;

static void channel_fail(rmq_channel_t *ch, rmq_err_t err, const char *reason);
static void init_handles_on_loop(rmq_io_t *io, void *arg);
static size_t namesrv_count(rmq_remoting_t *rm);
static void channel_queue(rmq_channel_t *ch, rmq_req_t *req, uint8_t *data,
                          size_t len);
static void req_complete(rmq_remoting_t *rm, rmq_req_t *req, rmq_err_t err,
                         rmq_cmd_t *resp, const char *fmt, ...)
    RMQ_PRINTF(5, 6);
static void dispatch_req(rmq_remoting_t *rm, rmq_req_t *req);
static int on_frame_view(const uint8_t *frame, size_t len, void *opaque);

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
}

/* ---- deadline heap (min-heap on req->deadline) ---- */

static void heap_swap(rmq_remoting_t *rm, size_t a, size_t b) {
        rmq_req_t *t = rm->heap[a];
        rm->heap[a]  = rm->heap[b];
        rm->heap[b]  = t;
        rm->heap[a]->heap_idx = a;
        rm->heap[b]->heap_idx = b;
}

static void heap_up(rmq_remoting_t *rm, size_t i) {
        while (i > 0) {
                size_t p = (i - 1) / 2;
                if (rm->heap[p]->deadline <= rm->heap[i]->deadline)
                        break;
                heap_swap(rm, p, i);
                i = p;
        }
}

static void heap_down(rmq_remoting_t *rm, size_t i) {
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < rm->heap_len &&
                    rm->heap[l]->deadline < rm->heap[m]->deadline)
                        m = l;
                if (r < rm->heap_len &&
                    rm->heap[r]->deadline < rm->heap[m]->deadline)
                        m = r;
                if (m == i)
                        break;
                heap_swap(rm, i, m);
                i = m;
        }
}

static void deadline_timer_cb(uv_timer_t *t);

static void heap_rearm(rmq_remoting_t *rm) {
        int64_t delay;
        if (rm->closing)
                return;
        if (rm->heap_len == 0) {
                uv_timer_stop(&rm->deadline_timer);
                return;
        }
        delay = rm->heap[0]->deadline - rmq__mono_ms();
        uv_timer_start(&rm->deadline_timer, deadline_timer_cb,
                       delay > 0 ? (uint64_t)delay : 0, 0);
}

static void heap_push(rmq_remoting_t *rm, rmq_req_t *req) {
        bool new_top;
        if (rm->heap_len == rm->heap_cap) {
                rm->heap_cap = rm->heap_cap ? rm->heap_cap * 2 : 64;
                rm->heap = rmq__realloc(rm->heap,
                                        rm->heap_cap * sizeof(*rm->heap));
        }
        req->heap_idx         = rm->heap_len;
        rm->heap[rm->heap_len++] = req;
        heap_up(rm, req->heap_idx);
        new_top = rm->heap[0] == req;
        if (new_top)
                heap_rearm(rm);
}

static void heap_remove(rmq_remoting_t *rm, rmq_req_t *req) {
        size_t i = req->heap_idx;
        if (i == SIZE_MAX)
                return;
        req->heap_idx = SIZE_MAX;
        rm->heap_len--;
        if (i != rm->heap_len) {
                rm->heap[i]           = rm->heap[rm->heap_len];
                rm->heap[i]->heap_idx = i;
                heap_down(rm, i);
                heap_up(rm, i);
        }
}

/* ---- frame buffers ---- */

/* A buffer for a frame of \p len bytes (rmq_frame_alloc_fn_t). */
static uint8_t *frame_alloc(size_t len, void *opaque) {
        rmq_remoting_t *rm = opaque;
        size_t need        = len + sizeof(frame_hdr_t);
        size_t cls_size    = FRAME_CLASS_MIN;
        frame_hdr_t *h;
        int c;
        for (c = 0; c < FRAME_CLASSES; c++, cls_size *= 2) {
                if (need <= cls_size) {
                        h       = rmq__freelist_get(rm->frame_cache[c]);
                        h->home = rm->frame_cache[c];
                        return (uint8_t *)(h + 1);
                }
        }
        h       = rmq__malloc(need);
        h->home = NULL;
        return (uint8_t *)(h + 1);
}

/* Frees a frame from frame_alloc() (NULL-safe). Any thread, also after
 * the transport is gone (the free lists outlive it while buffers are out).
 */
static void frame_free(uint8_t *data) {
        frame_hdr_t *h;
        if (!data)
                return;
        h = (frame_hdr_t *)data - 1;
        if (h->home)
                rmq__freelist_put(h->home, h);
        else
                rmq__free(h);
}

/* Frees the \p n frames of a write: one lock per run of frames of the
 * same size class. */
static void frames_free(uint8_t **datas, size_t n) {
        void *batch[32];
        rmq_freelist_t *home = NULL;
        size_t i, k = 0;
        for (i = 0; i < n; i++) {
                frame_hdr_t *h = (frame_hdr_t *)datas[i] - 1;
                if (!h->home) {
                        rmq__free(h);
                        continue;
                }
                if (k && (h->home != home || k == RMQ_ARRAY_SIZE(batch))) {
                        rmq__freelist_put_many(home, batch, k);
                        k = 0;
                }
                home       = h->home;
                batch[k++] = h;
        }
        if (k)
                rmq__freelist_put_many(home, batch, k);
}

/* Encodes \p cmd into a new frame. */
static uint8_t *frame_encode(rmq_remoting_t *rm, const rmq_cmd_t *cmd,
                             size_t *lenp) {
        return rmq__cmd_encode_alloc(cmd, frame_alloc, rm, lenp);
}

/* ---- requests ---- */

static rmq_req_t *req_new(rmq_remoting_t *rm, const char *addr, int kind) {
        rmq_req_t *req = rmq__freelist_get(rm->req_cache);
        memset(req, 0, offsetof(rmq_req_t, addr));
        req->addr[0]   = '\0';
        req->errstr[0] = '\0';
        req->rm        = rm;
        req->kind      = kind;
        req->heap_idx  = SIZE_MAX;
        rmq__list_init(&req->ch_link);
        if (addr)
                rmq__strlcpy(req->addr, addr, sizeof(req->addr));
        else
                req->to_namesrv = true;
        return req;
}

static void req_free(rmq_req_t *req) {
        frame_free(req->frame);
        rmq__cmd_destroy(req->resp);
        rmq__freelist_put(req->rm->req_cache, req);
}

static void run_after_hooks(rmq_remoting_t *rm, const char *addr,
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
                run_after_hooks(rm, req->addr, req->code, req->resp);
        req->cb(req->err, req->resp, req->err ? req->errstr : NULL,
                req->cb_opaque);
        rmq__sem_release(&rm->async_sem);
        req_free(req);
}

/* Removes \p req from every table; the caller completes it. */
static void req_detach(rmq_remoting_t *rm, rmq_req_t *req) {
        if (req->in_table) {
                rmq__imap_del(&rm->table, req->node.key);
                req->in_table = false;
        }
        heap_remove(rm, req);
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
static void req_complete(rmq_remoting_t *rm, rmq_req_t *req, rmq_err_t err,
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
                req_free(req);
                break;
        }
}

static void deadline_timer_cb(uv_timer_t *t) {
        rmq_remoting_t *rm = t->data;
        int64_t now        = rmq__mono_ms();
        while (rm->heap_len && rm->heap[0]->deadline <= now) {
                rmq_req_t *req        = rm->heap[0];
                rmq_channel_t *ch     = req->ch;
                bool close_ch         = false;
                char addr[80];
                rmq__strlcpy(addr, ch ? ch->addr : req->addr, sizeof(addr));
                /* mirrors NettyRemotingClient.invokeSync: a sync timeout
                 * closes the socket when clientCloseSocketIfTimeout. */
                if (req->kind == REQ_SYNC && rm->conf.close_socket_if_timeout &&
                    ch && ch->state == CH_CONNECTED) {
                        close_ch = true;
                        rmq__channel_retain(ch);
                }
                req_detach(rm, req);
                rmq__log(rm->lg, RMQ_LOG_WARN, "REMOTING",
                         "request code %d opaque %d to %s timed out after "
                         "%lld ms",
                         req->code, req->opaque_id, addr,
                         (long long)req->timeout_ms);
                req_complete(rm, req, RMQ_ERR__TIMED_OUT, NULL,
                             "wait response on the channel <%s> timeout, "
                             "%lld(ms)",
                             addr, (long long)req->timeout_ms);
                if (close_ch) {
                        channel_fail(ch, RMQ_ERR__TRANSPORT,
                                     "closed after a synchronous request "
                                     "timed out");
                        rmq__channel_release(ch);
                }
        }
        heap_rearm(rm);
}

/* ---- channels ---- */

rmq_channel_t *rmq__channel_retain(rmq_channel_t *ch) {
        atomic_fetch_add_explicit(&ch->refcnt, 1, memory_order_relaxed);
        return ch;
}

void rmq__channel_release(rmq_channel_t *ch) {
        size_t i;
        if (atomic_fetch_sub_explicit(&ch->refcnt, 1, memory_order_acq_rel) !=
            1)
                return;
        for (i = 0; i < ch->outq_len; i++)
                frame_free(ch->outq[i].data);
        rmq__free(ch->outq);
        rmq__fdec_free(&ch->dec);
        rmq__free(ch->rbuf);
        rmq__free(ch);
}

const char *rmq__channel_addr(const rmq_channel_t *ch) {
        return ch->addr;
}

bool rmq__channel_is_open(const rmq_channel_t *ch) {
        return ch->state != CH_CLOSING;
}

void rmq__channel_set_user(rmq_channel_t *ch, void *user) {
        ch->user = user;
}

void *rmq__channel_user(const rmq_channel_t *ch) {
        return ch->user;
}

static void channel_handle_closed(uv_handle_t *h) {
        rmq_channel_t *ch = h->data;
        if (--ch->handles_open == 0)
                rmq__channel_release(ch); /* the handles' reference */
}

static rmq_channel_t *channel_new(rmq_remoting_t *rm, const char *addr,
                                  bool outbound) {
        rmq_channel_t *ch = rmq__calloc(1, sizeof(*ch));
        ch->rm            = rm;
        atomic_init(&ch->refcnt, 1);
        ch->outbound = outbound;
        ch->state    = outbound ? CH_CONNECTING : CH_CONNECTED;
        rmq__list_init(&ch->link);
        rmq__list_init(&ch->flink);
        rmq__list_init(&ch->pending);
        rmq__fdec_init(&ch->dec, (size_t)rm->conf.frame_max_length);
        rmq__fdec_set_view(&ch->dec, on_frame_view, CMD_INLINE_FRAME);
        rmq__strlcpy(ch->addr, addr ? addr : "", sizeof(ch->addr));
        uv_tcp_init(rm->loop, &ch->tcp);
        ch->tcp.data     = ch;
        ch->handles_open = 1;
        if (outbound) {
                uv_timer_init(rm->loop, &ch->ctimer);
                ch->ctimer.data = ch;
                ch->handles_open++;
        }
        ch->last_active = rmq__mono_ms();
        return ch;
}

static void channel_notify(rmq_channel_t *ch, rmq_channel_event_t ev) {
        rmq_remoting_t *rm = ch->rm;
        if (rm->ch_listener)
                rm->ch_listener(rm, ch, ev, rm->ch_listener_opaque);
}

/* Closes the channel and fails everything pending on it. A request to the
 * name server that never reached a server is retried on the next one. */
static void channel_fail(rmq_channel_t *ch, rmq_err_t err, const char *reason) {
        rmq_remoting_t *rm = ch->rm;
        bool was_connected = ch->state == CH_CONNECTED;
        rmq_list_t retry;
        size_t i;

        if (ch->state == CH_CLOSING)
                return;
        ch->state      = CH_CLOSING;
        ch->writing_ok = false;
        if (rm->last_ch == ch)
                rm->last_ch = NULL;
        rmq__channel_retain(ch); /* while we work */
        if (ch->in_table) {
                rmq__strmap_del(&rm->channels, ch->addr);
                ch->in_table = false;
                rmq__channel_release(ch); /* the table's reference */
        }
        rmq__list_remove(&ch->link);
        if (ch->in_flush) {
                rmq__list_remove(&ch->flink);
                ch->in_flush = false;
                rmq__channel_release(ch); /* the flush list's reference */
        }
        uv_mutex_lock(&rm->ns_lock);
        if (!strcmp(rm->ns_chosen, ch->addr))
                rm->ns_chosen[0] = '\0';
        uv_mutex_unlock(&rm->ns_lock);

        if (reason && !rm->closing)
                rmq__log(rm->lg, RMQ_LOG_WARN,
                         "REMOTING", "channel %s closed: %s", ch->addr,
                         reason);

        /* Unsent frames: oneway requests are ours to finish here; sync and
         * async ones are also on the pending list. */
        rmq__list_init(&retry);
        for (i = 0; i < ch->outq_len; i++) {
                outframe_t *of = &ch->outq[i];
                rmq_req_t *req = of->req;
                if (!req) {
                        frame_free(of->data);
                        continue;
                }
                req->queued = false;
                if (req->kind != REQ_ONEWAY)
                        continue;
                rmq__channel_release(req->ch);
                req->ch = NULL;
                if (req->to_namesrv && !ch->ever_connected && !rm->closing &&
                    req->ns_attempts < (int)namesrv_count(rm) &&
                    req->deadline > rmq__mono_ms())
                        rmq__list_insert_tail(&retry, &req->ch_link);
                else
                        req_complete(rm, req, err, NULL, "%s", "");
        }
        ch->outq_len = 0;

        while (!rmq__list_empty(&ch->pending)) {
                rmq_req_t *req = RMQ_CONTAINER_OF(ch->pending.next, rmq_req_t,
                                                  ch_link);
                req_detach(rm, req);
                if (req->to_namesrv && req->frame && !ch->ever_connected &&
                    !rm->closing && req->ns_attempts < (int)namesrv_count(rm) &&
                    req->deadline > rmq__mono_ms())
                        rmq__list_insert_tail(&retry, &req->ch_link);
                else
                        req_complete(rm, req, err, NULL,
                                     "channel <%s> closed: %s", ch->addr,
                                     reason ? reason : "shutdown");
        }

        if (was_connected || !ch->outbound)
                channel_notify(ch, RMQ_CHANNEL_CLOSE);
        if (ch->resolving)
                uv_cancel((uv_req_t *)&ch->gai);
        if (ch->outbound)
                uv_close((uv_handle_t *)&ch->ctimer, channel_handle_closed);
        uv_close((uv_handle_t *)&ch->tcp, channel_handle_closed);

        while (!rmq__list_empty(&retry)) {
                rmq_req_t *req = RMQ_CONTAINER_OF(retry.next, rmq_req_t,
                                                  ch_link);
                rmq__list_remove(&req->ch_link);
                rmq__log(rm->lg, RMQ_LOG_WARN, "REMOTING",
                         "name server %s unreachable, trying the next one",
                         ch->addr);
                dispatch_req(rm, req);
        }
        rmq__channel_release(ch);
}

void rmq__channel_close(rmq_channel_t *ch, const char *reason) {
        channel_fail(ch, RMQ_ERR__TRANSPORT, reason);
}

/* ---- writing ---- */

typedef struct write_s {
        uv_write_t w;
        rmq_channel_t *ch;
        size_t n;
        uint8_t **datas;
        int oneway_cnt;
        uv_buf_t bufs[];
} write_t;

static void write_cb(uv_write_t *w, int status) {
        write_t *wr        = (write_t *)w;
        rmq_channel_t *ch  = wr->ch;
        rmq_remoting_t *rm = ch->rm;
        size_t i;
        frames_free(wr->datas, wr->n);
        for (i = 0; i < (size_t)wr->oneway_cnt; i++)
                rmq__sem_release(&rm->oneway_sem);
        if (status < 0 && status != UV_ECANCELED)
                channel_fail(ch, RMQ_ERR__TRANSPORT, uv_strerror(status));
        rmq__free(wr->datas);
        rmq__free(wr);
        rmq__channel_release(ch);
}

static void channel_flush(rmq_channel_t *ch) {
        rmq_remoting_t *rm = ch->rm;
        while (ch->writing_ok && ch->outq_len > 0) {
                size_t n = RMQ_MIN(ch->outq_len, (size_t)MAX_WRITE_BATCH);
                size_t i, k = 0;
                write_t *wr = rmq__malloc(sizeof(*wr) + n * sizeof(uv_buf_t));
                int r;
                wr->ch         = rmq__channel_retain(ch);
                wr->datas      = rmq__malloc(n * sizeof(uint8_t *));
                wr->oneway_cnt = 0;
                for (i = 0; i < n; i++) {
                        outframe_t *of = &ch->outq[i];
                        rmq_req_t *req = of->req;
                        if (!of->data)
                                continue; /* forgotten (timed out) */
                        wr->bufs[k]  = uv_buf_init((char *)of->data,
                                                   (unsigned)of->len);
                        wr->datas[k] = of->data;
                        k++;
                        if (req) {
                                req->frame  = NULL;
                                req->queued = false;
                                if (req->kind == REQ_ONEWAY) {
                                        /* written: the permit goes back in
                                         * write_cb */
                                        wr->oneway_cnt++;
                                        rmq__channel_release(req->ch);
                                        req->ch = NULL;
                                        req_free(req);
                                }
                        }
                }
                memmove(ch->outq, ch->outq + n,
                        (ch->outq_len - n) * sizeof(outframe_t));
                ch->outq_len -= n;
                wr->n = k;
                rm->frames_out += k;
                if (k == 0) {
                        rmq__free(wr->datas);
                        rmq__free(wr);
                        rmq__channel_release(ch);
                        continue;
                }
                ch->last_active = rmq__mono_ms();
                r = uv_write(&wr->w, (uv_stream_t *)&ch->tcp, wr->bufs,
                             (unsigned)k, write_cb);
                if (r) {
                        write_cb(&wr->w, r);
                        return;
                }
        }
}

static void flush_all(rmq_remoting_t *rm) {
        while (!rmq__list_empty(&rm->flush_list)) {
                rmq_list_t *n     = rmq__list_pop_head(&rm->flush_list);
                rmq_channel_t *ch = RMQ_CONTAINER_OF(n, rmq_channel_t, flink);
                ch->in_flush      = false;
                channel_flush(ch);
                rmq__channel_release(ch);
        }
        if (rm->flush_active) {
                uv_idle_stop(&rm->flush_idle);
                uv_check_stop(&rm->flush_check);
                rm->flush_active = false;
        }
}

static void flush_idle_cb(uv_idle_t *h) {
        flush_all(h->data);
}

static void flush_check_cb(uv_check_t *h) {
        flush_all(h->data);
}

/* Queues a frame on \p ch; it is written at the end of this loop turn with
 * whatever else was queued (one writev per channel). */
static void channel_queue(rmq_channel_t *ch, rmq_req_t *req, uint8_t *data,
                          size_t len) {
        rmq_remoting_t *rm = ch->rm;
        outframe_t *of;
        if (ch->outq_len == ch->outq_cap) {
                ch->outq_cap = ch->outq_cap ? ch->outq_cap * 2 : 16;
                ch->outq     = rmq__realloc(ch->outq,
                                            ch->outq_cap * sizeof(outframe_t));
        }
        of       = &ch->outq[ch->outq_len++];
        of->req  = req;
        of->data = data;
        of->len  = len;
        if (req)
                req->queued = true;
        if (!ch->writing_ok || ch->in_flush)
                return;
        ch->in_flush = true;
        rmq__list_insert_tail(&rm->flush_list, &ch->flink);
        rmq__channel_retain(ch);
        if (!rm->flush_active && !rm->closing) {
                uv_idle_start(&rm->flush_idle, flush_idle_cb);
                uv_check_start(&rm->flush_check, flush_check_cb);
                rm->flush_active = true;
        }
}

static void channel_writable(rmq_channel_t *ch) {
        rmq_remoting_t *rm = ch->rm;
        ch->writing_ok     = true;
        if (ch->outq_len && !ch->in_flush) {
                ch->in_flush = true;
                rmq__list_insert_tail(&rm->flush_list, &ch->flink);
                rmq__channel_retain(ch);
                if (!rm->flush_active && !rm->closing) {
                        uv_idle_start(&rm->flush_idle, flush_idle_cb);
                        uv_check_start(&rm->flush_check, flush_check_cb);
                        rm->flush_active = true;
                }
        }
}

/* ---- reading ---- */

typedef struct proc_job_s {
        rmq_job_t job;
        rmq_remoting_t *rm;
        rmq_channel_t *ch;
        rmq_cmd_t *req;
        const proc_entry_t *pe;
} proc_job_t;

static void run_before_hooks(rmq_remoting_t *rm, const char *addr,
                             rmq_cmd_t *req) {
        int i;
        for (i = 0; i < rm->hook_cnt; i++)
                if (rm->hooks[i].before)
                        rm->hooks[i].before(addr, req, rm->hooks[i].opaque);
}

static void proc_job_run(rmq_job_t *job) {
        proc_job_t *pj = RMQ_CONTAINER_OF(job, proc_job_t, job);
        run_before_hooks(pj->rm, pj->ch->addr, pj->req);
        pj->pe->fn(pj->rm, pj->ch, pj->req, pj->pe->opaque);
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

static void handle_request(rmq_channel_t *ch, rmq_cmd_t *cmd) {
        rmq_remoting_t *rm    = ch->rm;
        const proc_entry_t *pe = proc_find(rm, cmd->code);
        proc_job_t *pj;
        if (!pe) {
                /* mirrors NettyRemotingAbstract.processRequestCommand */
                char remark[64];
                rmq_cmd_t *resp;
                snprintf(remark, sizeof(remark), " request type %d not supported",
                         cmd->code);
                resp = rmq__cmd_new_response(
                    RMQ_ERR_REQUEST_CODE_NOT_SUPPORTED, remark);
                resp->opaque = cmd->opaque;
                rmq__log(rm->lg, RMQ_LOG_WARN, "REMOTING", "%s%s", ch->addr,
                         remark);
                {
                        size_t blen;
                        uint8_t *data = frame_encode(rm, resp, &blen);
                        channel_queue(ch, NULL, data, blen);
                }
                rmq__cmd_destroy(resp);
                rmq__cmd_destroy(cmd);
                return;
        }
        if (pe->on_loop || !rm->cb_pool) {
                run_before_hooks(rm, ch->addr, cmd);
                pe->fn(rm, ch, cmd, pe->opaque);
                return;
        }
        pj         = rmq__malloc(sizeof(*pj));
        pj->job.fn = proc_job_run;
        pj->rm     = rm;
        pj->ch     = rmq__channel_retain(ch);
        pj->req    = cmd;
        pj->pe     = pe;
        if (rmq__pool_submit(rm->cb_pool, &pj->job)) {
                rmq__channel_release(ch);
                rmq__free(pj);
                rmq__cmd_destroy(cmd);
        }
}

static void handle_response(rmq_channel_t *ch, rmq_cmd_t *cmd) {
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
        req_detach(rm, req);
        req_complete(rm, req, RMQ_OK, cmd, NULL);
}

/* A decoded frame (or a decoding error) from either decoder callback. */
static int on_cmd(rmq_channel_t *ch, rmq_err_t derr, rmq_cmd_t *cmd,
                  const char *err) {
        rmq_remoting_t *rm = ch->rm;
        if (derr) {
                channel_fail(ch, RMQ_ERR__BAD_MSG, err);
                return 1;
        }
        rm->frames_in++;
        if (rmq__cmd_is_response(cmd))
                handle_response(ch, cmd);
        else
                handle_request(ch, cmd);
        return ch->state == CH_CLOSING;
}

static int on_frame(uint8_t *frame, size_t len, void *opaque) {
        rmq_channel_t *ch = opaque;
        rmq_cmd_t *cmd;
        char err[200];
        rmq_err_t derr;
        if (ch->state == CH_CLOSING) {
                rmq__free(frame);
                return 1;
        }
        derr = rmq__cmd_decode_owned(frame, len, &cmd, err, sizeof(err));
        return on_cmd(ch, derr, cmd, err);
}

/* A small frame whole in the read buffer (a view). */
static int on_frame_view(const uint8_t *frame, size_t len, void *opaque) {
        rmq_channel_t *ch  = opaque;
        rmq_remoting_t *rm = ch->rm;
        rmq_cmd_t *cmd;
        char err[200];
        rmq_err_t derr;
        if (ch->state == CH_CLOSING)
                return 1;
        /* len <= CMD_INLINE_FRAME (the decoder's view_max): a block fits */
        if (!rm->cmd_stash_n)
                rm->cmd_stash_n = rmq__freelist_get_many(
                    rm->cmd_cache, rm->cmd_stash, RMQ_ARRAY_SIZE(rm->cmd_stash));
        derr = rmq__cmd_decode_in_block(frame, len,
                                        rm->cmd_stash[--rm->cmd_stash_n],
                                        rm->cmd_cache, &cmd, err, sizeof(err));
        return on_cmd(ch, derr, cmd, err);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
        rmq_channel_t *ch = h->data;
        size_t room;
        uint8_t *direct = rmq__fdec_direct(&ch->dec, &room);
        RMQ_UNUSED(suggested);
        if (direct && room >= DIRECT_READ_MIN) {
                *buf = uv_buf_init((char *)direct, (unsigned)room);
                return;
        }
        if (!ch->rbuf)
                ch->rbuf = rmq__malloc(READ_BUF_SIZE);
        *buf = uv_buf_init((char *)ch->rbuf, READ_BUF_SIZE);
}

/* Hands the async completions gathered by a read callback to the pool
 * (or runs them here if the pool is shutting down, as req_complete does). */
static void cb_batch_flush(rmq_remoting_t *rm) {
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

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
        rmq_channel_t *ch  = s->data;
        rmq_remoting_t *rm = ch->rm;
        char err[200];
        if (nread == 0)
                return;
        if (nread < 0) {
                channel_fail(ch, RMQ_ERR__TRANSPORT,
                             nread == UV_EOF ? "connection closed by peer"
                                             : uv_strerror((int)nread));
                return;
        }
        ch->last_active = rmq__mono_ms();
        rmq__channel_retain(ch);
        rm->cb_batching = rm->cb_pool != NULL;
        if ((uint8_t *)buf->base != ch->rbuf) {
                rmq__fdec_commit(&ch->dec, (size_t)nread, on_frame, ch);
        } else if (rmq__fdec_feed(&ch->dec, ch->rbuf, (size_t)nread, on_frame,
                                  ch, err, sizeof(err)) < 0) {
                channel_fail(ch, RMQ_ERR__BAD_MSG, err);
        }
        if (rm->cb_batching)
                cb_batch_flush(rm);
        rmq__channel_release(ch);
}

static void channel_start(rmq_channel_t *ch) {
        rmq_remoting_t *rm = ch->rm;
        int r;
        uv_tcp_nodelay(&ch->tcp, 1);
        if (rm->conf.sndbuf > 0) {
                int v = (int)rm->conf.sndbuf;
                uv_send_buffer_size((uv_handle_t *)&ch->tcp, &v);
        }
        if (rm->conf.rcvbuf > 0) {
                int v = (int)rm->conf.rcvbuf;
                uv_recv_buffer_size((uv_handle_t *)&ch->tcp, &v);
        }
        ch->state          = CH_CONNECTED;
        ch->ever_connected = true;
        ch->last_active    = rmq__mono_ms();
        r = uv_read_start((uv_stream_t *)&ch->tcp, alloc_cb, read_cb);
        if (r) {
                channel_fail(ch, RMQ_ERR__TRANSPORT, uv_strerror(r));
                return;
        }
        channel_notify(ch, RMQ_CHANNEL_CONNECT);
        if (ch->state == CH_CONNECTED)
                channel_writable(ch);
}

/* ---- connecting ---- */

static void connect_cb(uv_connect_t *c, int status) {
        rmq_channel_t *ch = c->data;
        rmq_remoting_t *rm = ch->rm;
        if (ch->state == CH_CLOSING) {
                rmq__channel_release(ch);
                return;
        }
        uv_timer_stop(&ch->ctimer);
        if (status < 0) {
                char reason[160];
                snprintf(reason, sizeof(reason), "connect to %s failed: %s",
                         ch->addr, uv_strerror(status));
                channel_fail(ch, RMQ_ERR__CONNECT, reason);
        } else {
                rm->connects++;
                rmq__dbg(rm->lg, REMOTING, "connected to %s", ch->addr);
                channel_start(ch);
        }
        rmq__channel_release(ch);
}

static void connect_timeout_cb(uv_timer_t *t) {
        rmq_channel_t *ch = t->data;
        char reason[160];
        snprintf(reason, sizeof(reason), "connect to %s timed out after %lld ms",
                 ch->addr, (long long)ch->rm->conf.connect_timeout_ms);
        channel_fail(ch, RMQ_ERR__CONNECT, reason);
}

static void channel_connect_sa(rmq_channel_t *ch, const struct sockaddr *sa) {
        int r;
        ch->creq.data = ch;
        rmq__channel_retain(ch); /* for connect_cb */
        r = uv_tcp_connect(&ch->creq, &ch->tcp, sa, connect_cb);
        if (r) {
                char reason[160];
                rmq__channel_release(ch);
                snprintf(reason, sizeof(reason), "connect to %s failed: %s",
                         ch->addr, uv_strerror(r));
                channel_fail(ch, RMQ_ERR__CONNECT, reason);
        }
}

static void gai_cb(uv_getaddrinfo_t *g, int status, struct addrinfo *res) {
        rmq_channel_t *ch = g->data;
        ch->resolving     = false;
        if (ch->state != CH_CLOSING) {
                if (status < 0 || !res) {
                        char reason[160];
                        snprintf(reason, sizeof(reason),
                                 "cannot resolve %s: %s", ch->addr,
                                 uv_strerror(status));
                        channel_fail(ch, RMQ_ERR__CONNECT, reason);
                } else {
                        channel_connect_sa(ch, res->ai_addr);
                }
        }
        if (res)
                uv_freeaddrinfo(res);
        rmq__channel_release(ch);
}

static rmq_channel_t *channel_open(rmq_remoting_t *rm, const char *addr) {
        rmq_channel_t *ch = channel_new(rm, addr, true);
        struct sockaddr_storage ss;
        rmq__strmap_set(&rm->channels, addr, rmq__channel_retain(ch));
        ch->in_table = true;
        uv_timer_start(&ch->ctimer, connect_timeout_cb,
                       (uint64_t)rm->conf.connect_timeout_ms, 0);
        rmq__dbg(rm->lg, REMOTING, "connecting to %s", addr);
        if (!rmq__addr_parse_numeric(addr, &ss)) {
                channel_connect_sa(ch, (struct sockaddr *)&ss);
        } else {
                char host[256], port[8];
                int p, r;
                struct addrinfo hints;
                if (rmq__addr_split(addr, host, sizeof(host), &p)) {
                        channel_fail(ch, RMQ_ERR__CONNECT,
                                     "bad address (expected host:port)");
                } else {
                        memset(&hints, 0, sizeof(hints));
                        hints.ai_family   = AF_UNSPEC;
                        hints.ai_socktype = SOCK_STREAM;
                        snprintf(port, sizeof(port), "%d", p);
                        ch->gai.data  = ch;
                        ch->resolving = true;
                        rmq__channel_retain(ch);
                        r = uv_getaddrinfo(rm->loop, &ch->gai, gai_cb, host,
                                           port, &hints);
                        if (r) {
                                ch->resolving = false;
                                rmq__channel_release(ch);
                                channel_fail(ch, RMQ_ERR__CONNECT,
                                             uv_strerror(r));
                        }
                }
        }
        return ch;
}

static rmq_channel_t *channel_get(rmq_remoting_t *rm, const char *addr) {
        rmq_channel_t *ch = rm->last_ch;
        if (ch && ch->state != CH_CLOSING && !strcmp(ch->addr, addr))
                return ch;
        ch = rmq__strmap_get(&rm->channels, addr);
        if (!ch || ch->state == CH_CLOSING)
                ch = channel_open(rm, addr);
        rm->last_ch = ch->state != CH_CLOSING ? ch : NULL;
        return ch;
}

/* mirrors NettyRemotingClient.getAndCreateNameserverChannel: keep the chosen
 * server while its channel lives, else take the next one round-robin. */
static bool namesrv_pick(rmq_remoting_t *rm, rmq_req_t *req) {
        bool ok = false;
        uv_mutex_lock(&rm->ns_lock);
        if (rm->ns_chosen[0] && req->ns_attempts == 0) {
                rmq_channel_t *ch = rmq__strmap_get(&rm->channels,
                                                    rm->ns_chosen);
                if (ch && ch->state != CH_CLOSING) {
                        rmq__strlcpy(req->addr, rm->ns_chosen,
                                     sizeof(req->addr));
                        ok = true;
                }
        }
        if (!ok && rm->namesrv_cnt > 0) {
                unsigned idx = ++rm->ns_index % (unsigned)rm->namesrv_cnt;
                rmq__strlcpy(rm->ns_chosen, rm->namesrv[idx],
                             sizeof(rm->ns_chosen));
                rmq__strlcpy(req->addr, rm->ns_chosen, sizeof(req->addr));
                rmq__log(rm->lg, RMQ_LOG_INFO, "REMOTING",
                         "new name server is chosen: %s", rm->ns_chosen);
                ok = true;
        }
        uv_mutex_unlock(&rm->ns_lock);
        if (ok)
                req->ns_attempts++;
        return ok;
}

/* Loop thread: routes a request to its channel. */
static void dispatch_req(rmq_remoting_t *rm, rmq_req_t *req) {
        rmq_channel_t *ch;
        if (rm->closing) {
                req_complete(rm, req, RMQ_ERR__DESTROY, NULL,
                             "remoting client is shutting down");
                return;
        }
        if (req->to_namesrv && !namesrv_pick(rm, req)) {
                req_complete(rm, req, RMQ_ERR__NO_NAMESRV, NULL,
                             "no name server address is set (namesrvAddr or "
                             "NAMESRV_ADDR)");
                return;
        }
        if (!req->ch) {
                ch = channel_get(rm, req->addr);
                if (ch->state == CH_CLOSING) {
                        /* failed at once (bad address) */
                        req_complete(rm, req, RMQ_ERR__CONNECT, NULL,
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
                        req_complete(rm, req, RMQ_ERR__FAIL, NULL,
                                     "opaque %d already in flight",
                                     req->opaque_id);
                        return;
                }
                rmq__imap_put(&rm->table, &req->node);
                req->in_table = true;
                rmq__list_insert_tail(&ch->pending, &req->ch_link);
                heap_push(rm, req);
        }
        channel_queue(ch, req, req->frame, req->frame_len);
}

static void req_op_run(rmq_io_t *io, rmq_io_op_t *op) {
        rmq_req_t *req = RMQ_CONTAINER_OF(op, rmq_req_t, op);
        RMQ_UNUSED(io);
        dispatch_req(req->rm, req);
}

/* Encodes \p cmd on the caller's thread after the before-hooks. */
static void req_encode(rmq_remoting_t *rm, rmq_req_t *req, rmq_cmd_t *cmd) {
        if (rm->hook_cnt) /* hooks read and add ext fields */
                rmq__cmd_materialize(cmd);
        run_before_hooks(rm, req->to_namesrv ? "" : req->addr, cmd);
        req->frame     = frame_encode(rm, cmd, &req->frame_len);
        req->code      = cmd->code;
        req->opaque_id = cmd->opaque;
}

static rmq_err_t req_post(rmq_remoting_t *rm, rmq_req_t *req) {
        req->op.fn = req_op_run;
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
                return rmq__seterr(errstr, errstr_size,
                                   RMQ_ERR__WOULD_DEADLOCK,
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
                req_free(req);
                return rmq__seterr(errstr, errstr_size, err,
                                   "remoting client is shutting down");
        }
        rmq__waiter_wait(&waiter);
        rmq__waiter_destroy(&waiter);
        err = req->err;
        if (err) {
                rmq__seterr(errstr, errstr_size, err, "%s", req->errstr);
        } else {
                run_after_hooks(rm, req->addr, req->code, req->resp);
                *respp    = req->resp;
                req->resp = NULL;
        }
        req_free(req);
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
        /* mirrors invokeAsyncImpl: semaphoreAsync.tryAcquire(timeout) */
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
                req_free(req);
                rmq__sem_release(&rm->async_sem);
        }
        return err;
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
                req_free(req);
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
        int kind = cb ? REQ_ASYNC : REQ_ONEWAY;
        rmq_sem_t *sem = cb ? &rm->async_sem : &rm->oneway_sem;
        if (!rmq__sem_acquire(sem, rmq__io_on_loop(rm->io) ? 0 : timeout_ms))
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
                if (ch->state == CH_CLOSING) {
                        rmq__channel_release(req->ch);
                        req->ch = NULL;
                        req_free(req);
                        rmq__sem_release(sem);
                        return RMQ_ERR__TRANSPORT;
                }
                dispatch_req(rm, req);
                return RMQ_OK;
        }
        err = req_post(rm, req);
        if (err) {
                rmq__channel_release(req->ch);
                req->ch = NULL;
                req_free(req);
                rmq__sem_release(sem);
        }
        return err;
}

/* ---- replies ---- */

typedef struct reply_op_s {
        rmq_io_op_t op;
        rmq_channel_t *ch;
        uint8_t *data;
        size_t len;
} reply_op_t;

static void reply_op_run(rmq_io_t *io, rmq_io_op_t *op) {
        reply_op_t *ro = RMQ_CONTAINER_OF(op, reply_op_t, op);
        RMQ_UNUSED(io);
        if (ro->ch->state != CH_CLOSING && !ro->ch->rm->closing)
                channel_queue(ro->ch, NULL, ro->data, ro->len);
        else
                frame_free(ro->data);
        rmq__channel_release(ro->ch);
        rmq__free(ro);
}

void rmq__remoting_reply(rmq_remoting_t *rm, rmq_channel_t *ch,
                         const rmq_cmd_t *req, rmq_cmd_t *resp) {
        size_t len;
        uint8_t *data;
        if (rmq__cmd_is_oneway(req)) {
                rmq__cmd_destroy(resp);
                return;
        }
        rmq__cmd_reply_to(resp, req);
        run_after_hooks(rm, ch->addr, req->code, resp);
        data = frame_encode(rm, resp, &len);
        rmq__cmd_destroy(resp);
        if (rmq__io_on_loop(rm->io)) {
                if (ch->state != CH_CLOSING && !rm->closing)
                        channel_queue(ch, NULL, data, len);
                else
                        frame_free(data);
                return;
        }
        {
                reply_op_t *ro = rmq__malloc(sizeof(*ro));
                ro->op.fn      = reply_op_run;
                ro->ch         = rmq__channel_retain(ch);
                ro->data       = data;
                ro->len        = len;
                if (rmq__io_post(rm->io, &ro->op)) {
                        rmq__channel_release(ch);
                        frame_free(data);
                        rmq__free(ro);
                }
        }
}

/* ---- server mode ---- */

static void listener_closed(uv_handle_t *h) {
        rmq__free(h->data);
}

static void on_connection(uv_stream_t *server, int status) {
        listener_t *l      = server->data;
        rmq_remoting_t *rm = l->rm;
        rmq_channel_t *ch;
        struct sockaddr_storage ss;
        int namelen = sizeof(ss);
        char addr[80];
        if (status < 0)
                return;
        ch = channel_new(rm, "", false);
        if (uv_accept(server, (uv_stream_t *)&ch->tcp)) {
                channel_fail(ch, RMQ_ERR__TRANSPORT, NULL);
                return;
        }
        if (!uv_tcp_getpeername(&ch->tcp, (struct sockaddr *)&ss, &namelen)) {
                rmq__addr_format(&ss, addr, sizeof(addr));
                rmq__strlcpy(ch->addr, addr, sizeof(ch->addr));
        }
        rmq__list_insert_tail(&rm->accepted, &ch->link);
        channel_start(ch);
}

typedef struct listen_args_s {
        rmq_remoting_t *rm;
        const char *host;
        int port;
        int bound;
        int err;
} listen_args_t;

static void listen_on_loop(rmq_io_t *io, void *arg) {
        listen_args_t *a   = arg;
        rmq_remoting_t *rm = a->rm;
        struct sockaddr_storage ss;
        char addr[300];
        listener_t *l;
        int namelen = sizeof(ss);
        RMQ_UNUSED(io);
        if (rm->listener || rm->closing) {
                a->err = UV_EBUSY;
                return;
        }
        snprintf(addr, sizeof(addr), "%s:%d", a->host, a->port ? a->port : 1);
        if (rmq__addr_parse_numeric(addr, &ss)) {
                a->err = UV_EINVAL;
                return;
        }
        if (ss.ss_family == AF_INET)
                ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)a->port);
        else
                ((struct sockaddr_in6 *)&ss)->sin6_port =
                    htons((uint16_t)a->port);
        l     = rmq__calloc(1, sizeof(*l));
        l->rm = rm;
        uv_tcp_init(rm->loop, &l->tcp);
        l->tcp.data = l;
        a->err = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0);
        if (!a->err)
                a->err = uv_listen((uv_stream_t *)&l->tcp, 1024,
                                   on_connection);
        if (!a->err)
                a->err = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss,
                                            &namelen);
        if (a->err) {
                uv_close((uv_handle_t *)&l->tcp, listener_closed);
                return;
        }
        a->bound     = ntohs(ss.ss_family == AF_INET
                                 ? ((struct sockaddr_in *)&ss)->sin_port
                                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
        rm->listener = l;
}

rmq_err_t rmq__remoting_listen(rmq_remoting_t *rm, const char *host, int port,
                               int *portp) {
        listen_args_t a = {rm, host, port, 0, 0};
        if (rmq__io_call(rm->io, listen_on_loop, &a))
                return RMQ_ERR__DESTROY;
        if (a.err)
                return RMQ_ERR__TRANSPORT;
        if (portp)
                *portp = a.bound;
        return RMQ_OK;
}

static void unlisten_on_loop(rmq_io_t *io, void *arg) {
        rmq_remoting_t *rm = arg;
        RMQ_UNUSED(io);
        if (rm->listener) {
                uv_close((uv_handle_t *)&rm->listener->tcp, listener_closed);
                rm->listener = NULL;
        }
        while (!rmq__list_empty(&rm->accepted)) {
                rmq_channel_t *ch = RMQ_CONTAINER_OF(rm->accepted.next,
                                                     rmq_channel_t, link);
                channel_fail(ch, RMQ_ERR__TRANSPORT, "listener stopped");
        }
}

void rmq__remoting_unlisten(rmq_remoting_t *rm) {
        rmq__io_call(rm->io, unlisten_on_loop, rm);
}

void rmq__remoting_set_channel_listener(rmq_remoting_t *rm,
                                        rmq_channel_event_fn_t *fn,
                                        void *opaque) {
        rm->ch_listener        = fn;
        rm->ch_listener_opaque = opaque;
}

typedef struct close_args_s {
        rmq_remoting_t *rm;
        const char *addr;
} close_args_t;

static void close_channel_on_loop(rmq_io_t *io, void *arg) {
        close_args_t *a    = arg;
        rmq_remoting_t *rm = a->rm;
        RMQ_UNUSED(io);
        if (a->addr) {
                rmq_channel_t *ch = rmq__strmap_get(&rm->channels, a->addr);
                if (ch)
                        channel_fail(ch, RMQ_ERR__TRANSPORT, "closed on request");
                return;
        }
        for (;;) {
                rmq_strmap_entry_t *it = NULL;
                size_t b;
                rmq_strmap_entry_t *e = rmq__strmap_next(&rm->channels, &it, &b);
                if (!e)
                        break;
                channel_fail(e->value, RMQ_ERR__TRANSPORT, "closed on request");
        }
        while (!rmq__list_empty(&rm->accepted))
                channel_fail(RMQ_CONTAINER_OF(rm->accepted.next, rmq_channel_t,
                                              link),
                             RMQ_ERR__TRANSPORT, "closed on request");
}

void rmq__remoting_close_channel(rmq_remoting_t *rm, const char *addr) {
        close_args_t a = {rm, addr};
        rmq__io_call(rm->io, close_channel_on_loop, &a);
}

/* ---- housekeeping ---- */

static void housekeep_cb(uv_timer_t *t) {
        rmq_remoting_t *rm = t->data;
        int64_t now        = rmq__mono_ms();
        int64_t idle_ms    = rm->conf.channel_max_idle_s * 1000;
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b;
        rmq_channel_t *victims[32];
        size_t nv = 0, i;
        if (idle_ms <= 0)
                return;
        /* mirrors NettyConnectManageHandler.userEventTriggered(ALL_IDLE). */
        while ((e = rmq__strmap_next(&rm->channels, &it, &b)) && nv < 32) {
                rmq_channel_t *ch = e->value;
                if (ch->state == CH_CONNECTED &&
                    now - ch->last_active >= idle_ms &&
                    rmq__list_empty(&ch->pending))
                        victims[nv++] = rmq__channel_retain(ch);
        }
        for (i = 0; i < nv; i++) {
                rmq__dbg(rm->lg, REMOTING, "closing idle channel %s",
                         victims[i]->addr);
                channel_fail(victims[i], RMQ_ERR__TRANSPORT, NULL);
                rmq__channel_release(victims[i]);
        }
}

/* ---- lifecycle ---- */

rmq_remoting_t *rmq__remoting_new(rmq_io_t *io,
                                  const rmq_remoting_conf_t *rconf,
                                  rmq_pool_t *cb_pool,
                                  const rmq_logger_t *lg) {
        rmq_remoting_t *rm = rmq__calloc(1, sizeof(*rm));
        size_t cls         = FRAME_CLASS_MIN;
        int c;
        for (c = 0; c < FRAME_CLASSES; c++, cls *= 2)
                rm->frame_cache[c] =
                    rmq__freelist_new(cls, RMQ_MIN(FRAME_CACHE_CAP,
                                                   FRAME_CACHE_BYTES / cls));
        rm->req_cache = rmq__freelist_new(sizeof(rmq_req_t), REQ_CACHE_CAP);
        rm->cmd_cache = rmq__freelist_new(sizeof(rmq_cmd_t) + CMD_INLINE_FRAME,
                                          CMD_CACHE_CAP);
        rm->io             = io;
        rm->loop           = rmq__io_loop(io);
        rm->conf           = *rconf;
        rm->cb_pool        = cb_pool;
        rm->lg             = lg;
        atomic_init(&rm->closed_flag, false);
        rmq__strmap_init(&rm->channels);
        rmq__list_init(&rm->accepted);
        rmq__list_init(&rm->flush_list);
        rmq__list_init(&rm->cb_batch);
        rmq__imap_init(&rm->table);
        rmq__sem_init(&rm->async_sem, rconf->async_permits);
        rmq__sem_init(&rm->oneway_sem, rconf->oneway_permits);
        uv_mutex_init(&rm->ns_lock);
        rm->ns_index = (unsigned)(rmq__mono_ns() & 0x7fff);
        /* libuv handles are initialised on the loop thread. */
        rmq__io_call(io, init_handles_on_loop, rm);
        return rm;
}

static void init_handles_on_loop(rmq_io_t *io, void *arg) {
        rmq_remoting_t *rm = arg;
        RMQ_UNUSED(io);
        uv_timer_init(rm->loop, &rm->deadline_timer);
        rm->deadline_timer.data = rm;
        uv_timer_init(rm->loop, &rm->housekeep_timer);
        rm->housekeep_timer.data = rm;
        uv_idle_init(rm->loop, &rm->flush_idle);
        rm->flush_idle.data = rm;
        uv_check_init(rm->loop, &rm->flush_check);
        rm->flush_check.data = rm;
        uv_timer_start(&rm->housekeep_timer, housekeep_cb, HOUSEKEEP_MS,
                       HOUSEKEEP_MS);
        uv_unref((uv_handle_t *)&rm->housekeep_timer);
}

void rmq__remoting_close(rmq_remoting_t *rm) {
        if (rm->closing)
                return;
        atomic_store(&rm->closed_flag, true);
        rm->closing = true;
        if (rm->listener) {
                uv_close((uv_handle_t *)&rm->listener->tcp, listener_closed);
                rm->listener = NULL;
        }
        for (;;) {
                rmq_strmap_entry_t *it = NULL;
                size_t b;
                rmq_strmap_entry_t *e = rmq__strmap_next(&rm->channels, &it, &b);
                if (!e)
                        break;
                channel_fail(e->value, RMQ_ERR__DESTROY, "shutdown");
        }
        while (!rmq__list_empty(&rm->accepted))
                channel_fail(RMQ_CONTAINER_OF(rm->accepted.next, rmq_channel_t,
                                              link),
                             RMQ_ERR__DESTROY, "shutdown");
        /* Anything left in the table belongs to no channel (cannot happen:
         * every request is on its channel's pending list). */
        while (rm->heap_len) {
                rmq_req_t *req = rm->heap[0];
                req_detach(rm, req);
                req_complete(rm, req, RMQ_ERR__DESTROY, NULL,
                             "remoting client is shutting down");
        }
        uv_close((uv_handle_t *)&rm->deadline_timer, NULL);
        uv_close((uv_handle_t *)&rm->housekeep_timer, NULL);
        uv_close((uv_handle_t *)&rm->flush_idle, NULL);
        uv_close((uv_handle_t *)&rm->flush_check, NULL);
        while (!rmq__list_empty(&rm->flush_list)) {
                rmq_list_t *n     = rmq__list_pop_head(&rm->flush_list);
                rmq_channel_t *ch = RMQ_CONTAINER_OF(n, rmq_channel_t, flink);
                ch->in_flush      = false;
                rmq__channel_release(ch);
        }
}

void rmq__remoting_free(rmq_remoting_t *rm) {
        int c;
        if (!rm)
                return;
        for (c = 0; c < FRAME_CLASSES; c++)
                rmq__freelist_release(rm->frame_cache[c]);
        rmq__freelist_release(rm->req_cache);
        rmq__freelist_put_many(rm->cmd_cache, rm->cmd_stash, rm->cmd_stash_n);
        rm->cmd_stash_n = 0;
        rmq__freelist_release(rm->cmd_cache);
        rmq__strmap_clear(&rm->channels, NULL);
        rmq__imap_free(&rm->table);
        rmq__free(rm->heap);
        rmq__sem_destroy(&rm->async_sem);
        rmq__sem_destroy(&rm->oneway_sem);
        uv_mutex_destroy(&rm->ns_lock);
        rmq__strv_free(rm->namesrv);
        rmq__free(rm->procs);
        rmq__free(rm);
}

void rmq__remoting_set_namesrv(rmq_remoting_t *rm, const char *list) {
        size_t n, i;
        char **v = rmq__namesrv_list_split(list ? list : "", &n);
        bool keep = false;
        if (n == 0) {
                rmq__strv_free(v);
                return;
        }
        uv_mutex_lock(&rm->ns_lock);
        for (i = 0; i < n; i++)
                if (!strcmp(v[i], rm->ns_chosen))
                        keep = true;
        if (!keep)
                rm->ns_chosen[0] = '\0';
        rmq__strv_free(rm->namesrv);
        rm->namesrv     = v;
        rm->namesrv_cnt = n;
        uv_mutex_unlock(&rm->ns_lock);
}

static size_t namesrv_count(rmq_remoting_t *rm) {
        size_t n;
        uv_mutex_lock(&rm->ns_lock);
        n = rm->namesrv_cnt;
        uv_mutex_unlock(&rm->ns_lock);
        return n;
}

void rmq__remoting_chosen_namesrv(rmq_remoting_t *rm, char *dst, size_t size) {
        uv_mutex_lock(&rm->ns_lock);
        rmq__strlcpy(dst, rm->ns_chosen, size);
        uv_mutex_unlock(&rm->ns_lock);
}

void rmq__remoting_register_processor(rmq_remoting_t *rm, int code,
                                      rmq_processor_fn_t *fn, void *opaque,
                                      bool on_loop) {
        proc_entry_t *pe;
        if (code < 0) {
                rm->default_proc.code    = -1;
                rm->default_proc.fn      = fn;
                rm->default_proc.opaque  = opaque;
                rm->default_proc.on_loop = on_loop;
                return;
        }
        for (pe = rm->procs; pe && pe < rm->procs + rm->proc_cnt; pe++)
                if (pe->code == code)
                        break;
        if (!pe || pe == rm->procs + rm->proc_cnt) {
                rm->procs = rmq__realloc(rm->procs,
                                         (rm->proc_cnt + 1) * sizeof(*pe));
                pe        = &rm->procs[rm->proc_cnt++];
        }
        pe->code    = code;
        pe->fn      = fn;
        pe->opaque  = opaque;
        pe->on_loop = on_loop;
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
        rmq_list_t *n;
        RMQ_UNUSED(io);
        st->channels = rm->channels.count;
        for (n = rm->accepted.next; n != &rm->accepted; n = n->next)
                st->channels++;
        st->pending    = rm->table.count;
        st->connects   = rm->connects;
        st->frames_out = rm->frames_out;
        st->frames_in  = rm->frames_in;
}

void rmq__remoting_stats(rmq_remoting_t *rm, rmq_remoting_stats_t *st) {
        stats_args_t a;
        memset(&a, 0, sizeof(a));
        a.rm = rm;
        rmq__io_call(rm->io, stats_on_loop, &a);
        *st = a.st;
}
