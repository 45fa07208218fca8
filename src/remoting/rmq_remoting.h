/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport: mirrors NettyRemotingAbstract, NettyRemotingClient and
 * (for the mock broker and tests) NettyRemotingServer, on libuv.
 *
 * One rmq_remoting_t lives on one rmq_io_t loop thread, which owns every
 * socket. Channels are keyed by "host:port", connected on first use and
 * shared by all callers; accepted channels (server mode) are reached
 * through the rmq_channel_t handed to processors and channel listeners.
 *
 * Requests: a table keyed by opaque plus a deadline heap with one timer
 * (Java's scanResponseTable, but each request times out at its own
 * deadline). A channel that fails closes and fails every request pending
 * on it at once; the next call reconnects.
 *
 * Threads: invoke_* may be called from any thread; invoke_sync returns
 * RMQ_ERR__WOULD_DEADLOCK on the loop thread. Async callbacks run on the
 * callback pool given at creation (or on the loop thread when there is none
 * or RMQ_INVOKE_F_ON_LOOP is set). A call that returns an error never calls
 * its callback; one that returns RMQ_OK calls it exactly once.
 */
#ifndef RMQ_REMOTING_H
#define RMQ_REMOTING_H

#include "common/rmq_io.h"
#include "common/rmq_log.h"
#include "common/rmq_thread.h"
#include "remoting/rmq_remoting_cmd.h"
#include "remoting/rmq_tls.h"

typedef struct rmq_remoting_s rmq_remoting_t;
typedef struct rmq_channel_s rmq_channel_t;

typedef struct rmq_remoting_conf_s {
        int64_t connect_timeout_ms;      /* connectTimeoutMillis, 3000 */
        int64_t async_permits;           /* clientAsyncSemaphoreValue */
        int64_t oneway_permits;          /* clientOnewaySemaphoreValue */
        int64_t channel_max_idle_s;      /* clientChannelMaxIdleTimeSeconds */
        bool close_socket_if_timeout;    /* clientCloseSocketIfTimeout */
        int64_t sndbuf;                  /* clientSocketSndBufSize (0=OS) */
        int64_t rcvbuf;                  /* clientSocketRcvBufSize (0=OS) */
        int64_t frame_max_length;        /* frameMaxLength */
        /* Outbound TLS (useTLS, tls.client.*): its strings are read by
         * rmq__remoting_new only. */
        rmq_tls_conf_t tls;
        int64_t reconnect_backoff_ms;    /* reconnect.backoff.ms (not Java) */
        int64_t reconnect_backoff_max_ms; /* reconnect.backoff.max.ms */
} rmq_remoting_conf_t;

/* Java defaults. */
void rmq__remoting_conf_defaults(rmq_remoting_conf_t *rconf);
/* From a client configuration. */
void rmq__remoting_conf_from(rmq_remoting_conf_t *rconf,
                             const rmq_conf_t *conf);

/* Creates the transport on \p io. \p cb_pool (may be NULL) runs async
 * callbacks and processors not marked on-loop. \p lg must outlive it. */
rmq_remoting_t *rmq__remoting_new(rmq_io_t *io,
                                  const rmq_remoting_conf_t *rconf,
                                  rmq_pool_t *cb_pool,
                                  const rmq_logger_t *lg);

/* Starts closing every channel and listener (pending requests fail with
 * RMQ_ERR__DESTROY); runs on the loop thread (call it from the io's on_stop
 * or through rmq__io_call). Further invokes fail with RMQ_ERR__DESTROY. */
void rmq__remoting_close(rmq_remoting_t *rm);
/* Frees \p rm. Call after the loop has run every close callback (after
 * rmq__io_stop returned) and after the callback pool has drained. */
void rmq__remoting_free(rmq_remoting_t *rm);
/* Tears down \p rm with the loop and the callback pool it runs on, in the
 * one safe order (each may be NULL): the loop closes the transport (every
 * pending request fails with RMQ_ERR__DESTROY, its callback queued on the
 * pool) and stops; the pool runs what is queued and stops (processors
 * still queued may answer: their replies are dropped, their requests fail
 * with RMQ_ERR__DESTROY); then the transport and the io are freed. Not
 * from the loop or a pool thread. */
void rmq__remoting_teardown(rmq_io_t *io, rmq_pool_t *cb_pool,
                            rmq_remoting_t *rm);

/* Name server list "a:p;b:p" (updateNameServerAddressList): a list with
 * other addresses than the current one replaces it, shuffled, and drops
 * the chosen server if it left the list; the same addresses (in any
 * order) or an empty list change nothing. Returns whether it changed.
 * Any thread; logs nothing (callers may hold locks). */
bool rmq__remoting_set_namesrv(rmq_remoting_t *rm, const char *list);
/* The chosen name server (or "" if none yet) into \p dst. */
void rmq__remoting_chosen_namesrv(rmq_remoting_t *rm, char *dst, size_t size);
/* The error a name server request gets while the list is empty (default:
 * "no name server address is set (namesrvAddr or NAMESRV_ADDR)"); the
 * name server lookup sets why it found none. Any thread. */
void rmq__remoting_set_namesrv_empty_reason(rmq_remoting_t *rm,
                                            const char *reason);
/* That error text, into \p dst. Any thread. */
void rmq__remoting_namesrv_empty_reason(rmq_remoting_t *rm, char *dst,
                                        size_t size);
/* HTTP GET of \p url ("http://host[:port]/path") on the transport's loop
 * (rmq_http.c, for the name server lookup). Blocks the calling thread,
 * which must not be the loop thread, until the answer, an error or
 * \p timeout_ms. RMQ_OK: \p statusp gets the status and \p bodyp the body
 * (NUL-terminated, the caller frees it with rmq__free); otherwise the
 * reason is in \p errstr: RMQ_ERR__CONNECT (lookup or connect failed),
 * RMQ_ERR__TIMED_OUT, RMQ_ERR__TRANSPORT (closed or reset), RMQ_ERR__BAD_MSG
 * (not HTTP, too large: over \p max_body body bytes), RMQ_ERR__DESTROY. */
rmq_err_t rmq__remoting_http_get(rmq_remoting_t *rm, const char *url,
                                 int64_t timeout_ms, size_t max_body,
                                 int *statusp, char **bodyp, char *errstr,
                                 size_t errstr_size);
/* The name server list as Java's running info prints it ("a:p;b:p;"). */
void rmq__remoting_namesrv_list(rmq_remoting_t *rm, char *dst, size_t size);

/* ---- invocations. addr NULL = the name server (chosen and failed over as
 * NettyRemotingClient.getAndCreateNameserverChannel). ---- */

/* Callback: err is RMQ_OK with a response, or a local error (timeout,
 * connect, transport, destroy) with \p resp NULL and a reason. \p resp is
 * borrowed: it is destroyed after the callback returns (the callback may
 * keep the body with rmq__cmd_take_body). */
typedef void(rmq_invoke_cb_t)(rmq_err_t err, rmq_cmd_t *resp,
                              const char *errstr, void *opaque);

#define RMQ_INVOKE_F_ON_LOOP 0x1 /* run the callback on the loop thread */

rmq_err_t rmq__remoting_invoke_sync(rmq_remoting_t *rm, const char *addr,
                                    rmq_cmd_t *req, int64_t timeout_ms,
                                    rmq_cmd_t **respp, char *errstr,
                                    size_t errstr_size);
rmq_err_t rmq__remoting_invoke_async(rmq_remoting_t *rm, const char *addr,
                                     rmq_cmd_t *req, int64_t timeout_ms,
                                     int flags, rmq_invoke_cb_t *cb,
                                     void *opaque);
/* The same for a caller that has just read the clock: the request's
 * deadline is \p start_ms (rmq__mono_ms) + \p timeout_ms. */
rmq_err_t rmq__remoting_invoke_async_at(rmq_remoting_t *rm, const char *addr,
                                        rmq_cmd_t *req, int64_t start_ms,
                                        int64_t timeout_ms, int flags,
                                        rmq_invoke_cb_t *cb, void *opaque);
/* Completes the asynchronous request with opaque \p opaque_id, if it is
 * waiting for its answer, with RMQ_ERR__DESTROY ("cancelled"); an answer
 * that arrives later is dropped as unknown. Returns true if one was
 * cancelled. A request posted but not yet dispatched is not found: posts
 * run in order, so a cancel made after invoke returned always finds it
 * (or it completed already). Not on the I/O thread (waits for it). */
bool rmq__remoting_cancel(rmq_remoting_t *rm, int32_t opaque_id);

/* Marks \p req oneway and queues it; returns once queued (the write
 * happens on the loop). */
rmq_err_t rmq__remoting_invoke_oneway(rmq_remoting_t *rm, const char *addr,
                                      rmq_cmd_t *req, int64_t timeout_ms);

/* Server side: a request to a connected peer (a client of the mock). cb
 * NULL = oneway. */
rmq_err_t rmq__remoting_invoke_channel(rmq_remoting_t *rm, rmq_channel_t *ch,
                                       rmq_cmd_t *req, int64_t timeout_ms,
                                       int flags, rmq_invoke_cb_t *cb,
                                       void *opaque);

/* ---- requests from the peer ---- */

/* A processor takes \p req (destroy it with rmq__cmd_destroy) and answers
 * with rmq__remoting_reply(), now or later, from any thread. \p ch is valid
 * during the call; rmq__channel_retain() keeps it. */
typedef void(rmq_processor_fn_t)(rmq_remoting_t *rm, rmq_channel_t *ch,
                                 rmq_cmd_t *req, void *opaque);

/* code -1 registers the default processor. on_loop: run on the loop thread
 * (the mock broker), else on the callback pool. Unregistered codes are
 * answered REQUEST_CODE_NOT_SUPPORTED as Java does. Registering a code
 * again replaces its processor. The table is fixed once traffic starts
 * (the first request or listen): a later registration is refused with
 * RMQ_ERR__STATE (and logged), so the loop reads it without a lock. At
 * most 32 codes (RMQ_ERR__QUEUE_FULL beyond). */
rmq_err_t rmq__remoting_register_processor(rmq_remoting_t *rm, int code,
                                           rmq_processor_fn_t *fn,
                                           void *opaque, bool on_loop);

/* Answers \p req (its opaque and serialize type are copied into \p resp,
 * which is always taken). Nothing is sent for a oneway request or a closed
 * channel. Any thread. */
void rmq__remoting_reply(rmq_remoting_t *rm, rmq_channel_t *ch,
                         const rmq_cmd_t *req, rmq_cmd_t *resp);

/* ---- hooks (RPCHook): before runs on the invoking thread before the
 * request is encoded (it may add ext fields); after runs with the response
 * (sync: caller thread; async: callback thread). ---- */
typedef void(rmq_hook_before_t)(const char *addr, rmq_cmd_t *req,
                                void *opaque);
typedef void(rmq_hook_after_t)(const char *addr, int32_t req_code,
                               const rmq_cmd_t *resp, void *opaque);
void rmq__remoting_add_hook(rmq_remoting_t *rm, rmq_hook_before_t *before,
                            rmq_hook_after_t *after, void *opaque);

/* ---- server mode and channel events ---- */

/* Listens on host:port (port 0 = ephemeral); \p portp receives the port.
 * Loop thread or any thread (runs through rmq__io_call). */
rmq_err_t rmq__remoting_listen(rmq_remoting_t *rm, const char *host, int port,
                               int *portp);
/* Serves TLS on the connections accepted from now on (\p conf with
 * cert_file and key_file; ca_file set with verify requires client
 * certificates signed by it); \p conf NULL or not enabled: plain text
 * again. Connections already accepted keep what they have. Returns
 * RMQ_ERR__SSL with the reason when the files cannot be used. Any
 * thread (runs through rmq__io_call). */
rmq_err_t rmq__remoting_set_tls_server(rmq_remoting_t *rm,
                                       const rmq_tls_conf_t *conf, char *errstr,
                                       size_t errstr_size);
/* Stops listening and closes every accepted channel (broker "down"). */
void rmq__remoting_unlisten(rmq_remoting_t *rm);

typedef enum rmq_channel_event_e {
        RMQ_CHANNEL_CONNECT,
        RMQ_CHANNEL_CLOSE
} rmq_channel_event_t;
/* Called on the loop thread. */
typedef void(rmq_channel_event_fn_t)(rmq_remoting_t *rm, rmq_channel_t *ch,
                                     rmq_channel_event_t ev, void *opaque);
void rmq__remoting_set_channel_listener(rmq_remoting_t *rm,
                                        rmq_channel_event_fn_t *fn,
                                        void *opaque);

/* Closes the channel to \p addr (or every channel when addr is NULL),
 * failing its requests with RMQ_ERR__TRANSPORT. Any thread. */
void rmq__remoting_close_channel(rmq_remoting_t *rm, const char *addr);
/* Loop thread: closes \p ch. */
void rmq__channel_close(rmq_channel_t *ch, const char *reason);

rmq_channel_t *rmq__channel_retain(rmq_channel_t *ch);
void rmq__channel_release(rmq_channel_t *ch);
/* Remote "ip:port". */
const char *rmq__channel_addr(const rmq_channel_t *ch);
bool rmq__channel_is_open(const rmq_channel_t *ch);
/* Per-channel user data (the mock's connection state). Loop thread. */
void rmq__channel_set_user(rmq_channel_t *ch, void *user);
void *rmq__channel_user(const rmq_channel_t *ch);

/* Counters for tests, benchmarks and the statistics callback
 * (loop-consistent snapshots, docs/STATISTICS.md). */
typedef struct rmq_remoting_stats_s {
        size_t channels;  /* open or opening, accepted ones included */
        size_t connected; /* outbound channels connected */
        size_t pending;   /* requests waiting for a response */
        uint64_t connects;         /* outbound connections established */
        uint64_t connect_failures; /* outbound connects that failed */
        uint64_t disconnects;      /* established outbound ones closed */
        uint64_t reconnects; /* connects to an address connected before */
        uint64_t connect_attempts; /* dials started (back-off tests) */
        uint64_t frames_out;
        uint64_t frames_in;
        uint64_t bytes_out; /* written to sockets (frames handed to libuv) */
        uint64_t bytes_in;  /* read from sockets */
} rmq_remoting_stats_t;
void rmq__remoting_stats(rmq_remoting_t *rm, rmq_remoting_stats_t *st);

#endif /* RMQ_REMOTING_H */
