/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport's internals, shared by its files (never installed):
 *
 *   rmq_remoting.c         requests (table, deadlines, completion), invoke
 *                          API, processors and hooks, lifecycle
 *   rmq_channel.c          channels: connect, read, write, close, idle
 *   rmq_frame_cache.c      outgoing frame buffers (size-class free lists)
 *   rmq_namesrv.c          the name server list and which one is used
 *   rmq_remoting_server.c  server mode (listen, accept) and replies
 *   rmq_resolver.c         host names resolved on a thread of ours
 *   rmq_tls.c              TLS sessions over memory BIOs (rmq_tls.h)
 *
 * Locality: functions marked "@locality io thread" run on the loop thread
 * of rm->io and assert it in debug builds (RMQ__ASSERT_IO_THREAD).
 */
#ifndef RMQ_REMOTING_INT_H
#define RMQ_REMOTING_INT_H

#include <stdatomic.h>

#include "common/rmq_freelist.h"
#include "common/rmq_heap.h"
#include "common/rmq_map.h"
#include "remoting/rmq_backoff.h"
#include "remoting/rmq_remoting.h"
#include "remoting/rmq_tls.h"

#define READ_BUF_SIZE   (64 * 1024)
#define DIRECT_READ_MIN (16 * 1024)
#define MAX_WRITE_BATCH 256
#define HOUSEKEEP_MS    1000
#define MAX_HOOKS       8
#define MAX_PROCS       32

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
#define CMD_INLINE_FRAME 512
#define CMD_CACHE_CAP    1024
#define CMD_STASH        16

enum { CH_CONNECTING, CH_CONNECTED, CH_CLOSING };
enum { REQ_SYNC, REQ_ASYNC, REQ_ONEWAY };

typedef struct rmq_req_s rmq_req_t;
typedef struct rmq_resolver_s rmq_resolver_t;

typedef struct outframe_s {
        rmq_req_t *req; /* owner of data until written; NULL for replies */
        uint8_t *data;
        size_t len;
} outframe_t;

struct rmq_channel_s {
        uv_tcp_t tcp;
        uv_timer_t ctimer;
        uv_connect_t creq;
        rmq_remoting_t *rm;
        atomic_int refcnt;
        int state;
        int handles_open;
        bool outbound;
        bool in_table;
        bool in_flush;
        bool writing_ok; /* connected: frames may be written */
        bool ever_connected;
        rmq_list_t link;    /* accepted list */
        rmq_list_t flink;   /* flush list */
        rmq_list_t pending; /* requests awaiting a response */
        outframe_t *outq;
        size_t outq_len, outq_cap;
        rmq_frame_decoder_t dec;
        uint8_t *rbuf;
        rmq_tls_t *tls; /* TLS session, NULL on plain channels */
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
        rmq_heap_node_t hn; /* in rm->deadlines */
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
        rmq_imap_t table;     /* opaque -> req */
        rmq_heap_t deadlines; /* requests by deadline (loop thread) */

        uv_timer_t deadline_timer;
        int64_t deadline_armed; /* due of the armed timer, INT64_MAX: none */
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
        /* The error of a name server request when the list is empty. */
        char no_namesrv_reason[256];

        /* Processors: fixed once traffic starts (procs_frozen, set by the
         * first listen or request); a later registration is refused, so
         * the loop reads the table without a lock. */
        proc_entry_t procs[MAX_PROCS];
        size_t proc_cnt;
        proc_entry_t default_proc;
        atomic_bool procs_frozen;
        hook_t hooks[MAX_HOOKS];
        int hook_cnt;
        rmq_channel_event_fn_t *ch_listener;
        void *ch_listener_opaque;

        uint64_t connects, frames_out, frames_in;
        /* statistics (loop thread only; read through rmq__remoting_stats) */
        uint64_t bytes_out, bytes_in, connect_failures, disconnects;
        uint64_t reconnects;
        rmq_strmap_t connected_once; /* addresses connected before */
        uint64_t connect_attempts;
        rmq_backoff_t *backoff; /* connect back-off (loop thread) */

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

        rmq_resolver_t *resolver; /* started on the first host name */

        /* TLS contexts: outbound channels use tls_client when
         * conf.tls.enabled (NULL then means it could not be made: the
         * reason is tls_err, and every connection fails with it, never
         * falling back to plain text); accepted channels use tls_server
         * when set (rmq__remoting_set_tls_server). Loop thread after
         * creation. */
        rmq_tls_ctx_t *tls_client;
        rmq_tls_ctx_t *tls_server;
        char tls_err[256];
};

/* In front of every outgoing frame: the free list it returns to (NULL: a
 * plain allocation). 16 bytes, so the frame stays 16-aligned. */
typedef struct frame_hdr_s {
        rmq_freelist_t *home;
        void *unused;
} frame_hdr_t;

/* ---- frame buffers (rmq_frame_cache.c) ---- */
void rmq__frame_cache_init(rmq_remoting_t *rm);
void rmq__frame_cache_release(rmq_remoting_t *rm);
/* A buffer for a frame of \p len bytes (rmq_frame_alloc_fn_t). */
uint8_t *rmq__frame_alloc(size_t len, void *opaque);
/* Frees a frame from rmq__frame_alloc() (NULL-safe). Any thread, also
 * after the transport is gone (the free lists outlive it while buffers
 * are out). */
void rmq__frame_free(uint8_t *data);
/* Frees the \p n frames of a write: one lock per run of one size class. */
void rmq__frames_free(uint8_t **datas, size_t n);
/* Encodes \p cmd into a new frame. */
uint8_t *rmq__frame_encode(rmq_remoting_t *rm, const rmq_cmd_t *cmd,
                           size_t *lenp);

/* ---- requests (rmq_remoting.c) ---- */
void rmq__req_free(rmq_req_t *req);
/* Removes \p req from every table; the caller completes it.
 * @locality io thread */
void rmq__req_detach(rmq_remoting_t *rm, rmq_req_t *req);
/* Completes a detached request: exactly once per request.
 * @locality io thread */
void rmq__req_complete(rmq_remoting_t *rm, rmq_req_t *req, rmq_err_t err,
                       rmq_cmd_t *resp, const char *fmt, ...) RMQ_PRINTF(5, 6);
/* Routes a request to its channel. @locality io thread */
void rmq__remoting_dispatch(rmq_remoting_t *rm, rmq_req_t *req);
/* A request / a response read from \p ch. @locality io thread */
void rmq__remoting_on_request(rmq_channel_t *ch, rmq_cmd_t *cmd);
void rmq__remoting_on_response(rmq_channel_t *ch, rmq_cmd_t *cmd);
/* Hands the completions gathered by a read callback to the pool.
 * @locality io thread */
void rmq__remoting_cb_batch_flush(rmq_remoting_t *rm);
void rmq__remoting_run_before_hooks(rmq_remoting_t *rm, const char *addr,
                                    rmq_cmd_t *req);
void rmq__remoting_run_after_hooks(rmq_remoting_t *rm, const char *addr,
                                   int32_t code, const rmq_cmd_t *resp);
/* Marks the processor table fixed (first listen or request). */
static inline void rmq__remoting_freeze_procs(rmq_remoting_t *rm) {
        if (!atomic_load_explicit(&rm->procs_frozen, memory_order_relaxed))
                atomic_store(&rm->procs_frozen, true);
}

/* ---- channels (rmq_channel.c) ---- */
/* @locality io thread (all of them) */
rmq_channel_t *rmq__channel_new(rmq_remoting_t *rm, const char *addr,
                                bool outbound);
/* Starts reading a connected (or accepted) channel. */
void rmq__channel_start(rmq_channel_t *ch);
/* Closes the channel and fails everything pending on it. A request to the
 * name server that never reached a server is retried on the next one. */
void rmq__channel_fail(rmq_channel_t *ch, rmq_err_t err, const char *reason);
/* rmq__channel_fail of every channel: outbound and accepted. */
void rmq__channel_fail_all(rmq_remoting_t *rm, rmq_err_t err,
                           const char *reason);
/* The outbound channel to \p addr, connecting if needed (may come back
 * already closing when the address is bad). */
rmq_channel_t *rmq__channel_get(rmq_remoting_t *rm, const char *addr);
/* Queues a frame; it is written at the end of this loop turn with
 * whatever else was queued (one writev per channel). */
void rmq__channel_queue(rmq_channel_t *ch, rmq_req_t *req, uint8_t *data,
                        size_t len);
void rmq__channel_housekeep_cb(uv_timer_t *t);
/* The name lookup of \p ch finished (resolver result; \p sa NULL with a
 * reason on failure). */
void rmq__channel_resolved(rmq_channel_t *ch, const struct sockaddr *sa,
                           const char *reason);
/* Milliseconds before \p addr may be dialled again (0: no open channel is
 * needed or the address is not backing off); \p failsp receives the
 * failed connects in a row. */
int64_t rmq__channel_backoff(rmq_remoting_t *rm, const char *addr, int *failsp);

/* ---- name servers (rmq_namesrv.c) ---- */
size_t rmq__namesrv_count(rmq_remoting_t *rm);
/* Picks the name server for \p req (NettyRemotingClient
 * .getAndCreateNameserverChannel). @locality io thread */
bool rmq__namesrv_pick(rmq_remoting_t *rm, rmq_req_t *req);
/* \p addr failed: it is no longer the chosen one. */
void rmq__namesrv_failed(rmq_remoting_t *rm, const char *addr);

/* ---- server mode (rmq_remoting_server.c) ---- */
void rmq__listener_closed(uv_handle_t *h);

/* ---- name lookups (rmq_resolver.c) ---- */
/* Resolves \p host : \p port for \p ch on the resolver thread (started
 * on first use); the result reaches rmq__channel_resolved() on the loop.
 * Returns RMQ_OK, or an error (then nothing is called).
 * @locality io thread */
rmq_err_t rmq__resolver_lookup(rmq_remoting_t *rm, rmq_channel_t *ch,
                               const char *host, int port);
/* The same for any owner: \p done(arg, sa or NULL, reason) runs on the
 * loop with the answer; if the loop is gone by then, \p drop(arg) runs on
 * the resolver thread instead. */
typedef void(rmq_resolved_fn_t)(void *arg, const struct sockaddr *sa,
                                const char *reason);
rmq_err_t rmq__resolver_lookup_fn(rmq_remoting_t *rm, const char *host,
                                  int port, rmq_resolved_fn_t *done,
                                  void (*drop)(void *arg), void *arg);
/* Joins the resolver thread (after the loop stopped). */
void rmq__resolver_free(rmq_resolver_t *rs);

#endif /* RMQ_REMOTING_INT_H */
