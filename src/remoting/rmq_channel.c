/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Channels: one TCP connection each, outbound (connected on first use,
 * keyed by "host:port") or accepted (server mode). mirrors
 * NettyRemotingClient's channel table and NettyConnectManageHandler
 * (connect timeout, close on failure, idle close). Everything here runs on
 * the loop thread (@locality io thread) but the reference counting.
 */
#include <stdio.h>

#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "remoting/rmq_remoting_int.h"

static int on_frame_view(const uint8_t *frame, size_t len, void *opaque);
static void tls_start(rmq_channel_t *ch);
static void tls_flush(rmq_channel_t *ch);
static void tls_on_read(rmq_channel_t *ch, const uint8_t *data, size_t len);
static void tls_send(rmq_channel_t *ch);

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
                rmq__frame_free(ch->outq[i].data);
        rmq__free(ch->outq);
        rmq__fdec_free(&ch->dec);
        rmq__free(ch->rbuf);
        rmq__tls_free(ch->tls);
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

rmq_channel_t *rmq__channel_new(rmq_remoting_t *rm, const char *addr,
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

/* A name-server request that never reached a connected name server goes
 * to the next one (NettyRemotingClient.getAndCreateNameserverChannel),
 * while name servers and time are left. */
static bool ns_retryable(rmq_remoting_t *rm, const rmq_channel_t *ch,
                         const rmq_req_t *req) {
        return req->to_namesrv && req->frame && !ch->ever_connected &&
               !rm->closing && req->ns_attempts < (int)rmq__namesrv_count(rm) &&
               req->deadline > rmq__mono_ms();
}

/* Closes the channel and fails everything pending on it. A request to the
 * name server that never reached a server is retried on the next one. */
void rmq__channel_fail(rmq_channel_t *ch, rmq_err_t err, const char *reason) {
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
        rmq__namesrv_failed(rm, ch->addr);
        if (was_connected && ch->outbound)
                rm->disconnects++;
        else if (ch->outbound && err == RMQ_ERR__CONNECT)
                rm->connect_failures++;
        /* a failed dial or TLS handshake: the address backs off */
        if (ch->outbound && !ch->ever_connected &&
            (err == RMQ_ERR__CONNECT || err == RMQ_ERR__SSL) && !rm->closing)
                rmq__backoff_failed(rm->backoff, ch->addr, rmq__mono_ms());

        if (reason && !rm->closing)
                rmq__log_rl(rm->lg, RMQ_LOG_WARN, "REMOTING",
                            "channel %s closed: %s", ch->addr, reason);

        /* Unsent frames: oneway requests are ours to finish here; sync and
         * async ones are also on the pending list. */
        rmq__list_init(&retry);
        for (i = 0; i < ch->outq_len; i++) {
                outframe_t *of = &ch->outq[i];
                rmq_req_t *req = of->req;
                if (!req) {
                        rmq__frame_free(of->data);
                        continue;
                }
                req->queued = false;
                if (req->kind != REQ_ONEWAY)
                        continue;
                rmq__channel_release(req->ch);
                req->ch = NULL;
                if (ns_retryable(rm, ch, req))
                        rmq__list_insert_tail(&retry, &req->ch_link);
                else
                        rmq__req_complete(rm, req, err, NULL, "%s", "");
        }
        ch->outq_len = 0;

        while (!rmq__list_empty(&ch->pending)) {
                rmq_req_t *req =
                    RMQ_CONTAINER_OF(ch->pending.next, rmq_req_t, ch_link);
                rmq__req_detach(rm, req);
                if (ns_retryable(rm, ch, req))
                        rmq__list_insert_tail(&retry, &req->ch_link);
                else
                        rmq__req_complete(rm, req, err, NULL,
                                          "channel <%s> closed: %s", ch->addr,
                                          reason ? reason : "shutdown");
        }

        /* CLOSE only after a CONNECT (an accepted TLS channel whose
         * handshake failed never connected) */
        if (ch->ever_connected)
                channel_notify(ch, RMQ_CHANNEL_CLOSE);
        if (ch->outbound || ch->tls) /* TLS: the handshake timer */
                uv_close((uv_handle_t *)&ch->ctimer, channel_handle_closed);
        uv_close((uv_handle_t *)&ch->tcp, channel_handle_closed);

        while (!rmq__list_empty(&retry)) {
                rmq_req_t *req =
                    RMQ_CONTAINER_OF(retry.next, rmq_req_t, ch_link);
                rmq__list_remove(&req->ch_link);
                rmq__log_rl(rm->lg, RMQ_LOG_WARN, "REMOTING",
                            "name server %s unreachable, trying the next one",
                            ch->addr);
                rmq__remoting_dispatch(rm, req);
        }
        rmq__channel_release(ch);
}

void rmq__channel_fail_all(rmq_remoting_t *rm, rmq_err_t err,
                           const char *reason) {
        for (;;) {
                rmq_strmap_entry_t *it = NULL;
                size_t b;
                rmq_strmap_entry_t *e =
                    rmq__strmap_next(&rm->channels, &it, &b);
                if (!e)
                        break;
                rmq__channel_fail(e->value, err, reason);
        }
        while (!rmq__list_empty(&rm->accepted))
                rmq__channel_fail(
                    RMQ_CONTAINER_OF(rm->accepted.next, rmq_channel_t, link),
                    err, reason);
}

void rmq__channel_close(rmq_channel_t *ch, const char *reason) {
        rmq__channel_fail(ch, RMQ_ERR__TRANSPORT, reason);
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
        rmq__frames_free(wr->datas, wr->n);
        for (i = 0; i < (size_t)wr->oneway_cnt; i++)
                rmq__sem_release(&rm->oneway_sem);
        if (status < 0 && status != UV_ECANCELED)
                rmq__channel_fail(ch, RMQ_ERR__TRANSPORT, uv_strerror(status));
        rmq__free(wr->datas);
        rmq__free(wr);
        rmq__channel_release(ch);
}

static void channel_flush(rmq_channel_t *ch) {
        rmq_remoting_t *rm = ch->rm;
        if (ch->tls) {
                tls_flush(ch);
                return;
        }
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
                        wr->bufs[k] =
                            uv_buf_init((char *)of->data, (unsigned)of->len);
                        wr->datas[k] = of->data;
                        k++;
                        rm->bytes_out += of->len;
                        if (req) {
                                req->frame  = NULL;
                                req->queued = false;
                                if (req->kind == REQ_ONEWAY) {
                                        /* written: the permit goes back in
                                         * write_cb */
                                        wr->oneway_cnt++;
                                        rmq__channel_release(req->ch);
                                        req->ch = NULL;
                                        rmq__req_free(req);
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

/* Puts \p ch on the flush list (which holds a reference) and starts the
 * handles that flush it at the end of this loop turn. */
static void flush_schedule(rmq_channel_t *ch) {
        rmq_remoting_t *rm = ch->rm;
        ch->in_flush       = true;
        rmq__list_insert_tail(&rm->flush_list, &ch->flink);
        rmq__channel_retain(ch);
        if (!rm->flush_active && !rm->closing) {
                uv_idle_start(&rm->flush_idle, flush_idle_cb);
                uv_check_start(&rm->flush_check, flush_check_cb);
                rm->flush_active = true;
        }
}

/* Queues a frame on \p ch; it is written at the end of this loop turn with
 * whatever else was queued (one writev per channel). */
void rmq__channel_queue(rmq_channel_t *ch, rmq_req_t *req, uint8_t *data,
                        size_t len) {
        outframe_t *of;
        if (ch->outq_len == ch->outq_cap) {
                ch->outq_cap = ch->outq_cap ? ch->outq_cap * 2 : 16;
                ch->outq =
                    rmq__realloc(ch->outq, ch->outq_cap * sizeof(outframe_t));
        }
        of       = &ch->outq[ch->outq_len++];
        of->req  = req;
        of->data = data;
        of->len  = len;
        if (req)
                req->queued = true;
        if (ch->writing_ok && !ch->in_flush)
                flush_schedule(ch);
}

static void channel_writable(rmq_channel_t *ch) {
        ch->writing_ok = true;
        if (ch->outq_len && !ch->in_flush)
                flush_schedule(ch);
}

/* ---- reading ---- */

static int on_cmd(rmq_channel_t *ch, rmq_err_t derr, rmq_cmd_t *cmd,
                  const char *err) {
        rmq_remoting_t *rm = ch->rm;
        if (derr) {
                rmq__channel_fail(ch, RMQ_ERR__BAD_MSG, err);
                return 1;
        }
        rm->frames_in++;
        if (rmq__cmd_is_response(cmd))
                rmq__remoting_on_response(ch, cmd);
        else
                rmq__remoting_on_request(ch, cmd);
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
                rm->cmd_stash_n =
                    rmq__freelist_get_many(rm->cmd_cache, rm->cmd_stash,
                                           RMQ_ARRAY_SIZE(rm->cmd_stash));
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
        /* TLS: ciphertext goes to the read buffer, the decrypted bytes
         * into the frame (tls_on_read) */
        if (direct && room >= DIRECT_READ_MIN && !ch->tls) {
                *buf = uv_buf_init((char *)direct, (unsigned)room);
                return;
        }
        if (!ch->rbuf)
                ch->rbuf = rmq__malloc(READ_BUF_SIZE);
        *buf = uv_buf_init((char *)ch->rbuf, READ_BUF_SIZE);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
        rmq_channel_t *ch  = s->data;
        rmq_remoting_t *rm = ch->rm;
        char err[200];
        if (nread == 0)
                return;
        if (nread < 0) {
                if (ch->tls && !rmq__tls_established(ch->tls)) {
                        char why[200];
                        snprintf(why, sizeof(why),
                                 "TLS handshake with %s failed: %s", ch->addr,
                                 nread == UV_EOF
                                     ? "connection closed by peer (not a "
                                       "TLS server, or it refused us)"
                                     : uv_strerror((int)nread));
                        rmq__channel_fail(ch, RMQ_ERR__SSL, why);
                        return;
                }
                rmq__channel_fail(ch, RMQ_ERR__TRANSPORT,
                                  nread == UV_EOF ? "connection closed by peer"
                                                  : uv_strerror((int)nread));
                return;
        }
        ch->last_active = rmq__mono_ms();
        rm->bytes_in += (uint64_t)nread;
        rmq__channel_retain(ch);
        rm->cb_batching = rm->cb_pool != NULL;
        if (ch->tls) {
                tls_on_read(ch, (const uint8_t *)buf->base, (size_t)nread);
        } else if ((uint8_t *)buf->base != ch->rbuf) {
                rmq__fdec_commit(&ch->dec, (size_t)nread, on_frame, ch);
        } else if (rmq__fdec_feed(&ch->dec, ch->rbuf, (size_t)nread, on_frame,
                                  ch, err, sizeof(err)) < 0) {
                rmq__channel_fail(ch, RMQ_ERR__BAD_MSG, err);
        }
        if (rm->cb_batching)
                rmq__remoting_cb_batch_flush(rm);
        rmq__channel_release(ch);
}

/* The channel carries frames from now on. */
static void channel_ready(rmq_channel_t *ch) {
        ch->state          = CH_CONNECTED;
        ch->ever_connected = true;
        ch->last_active    = rmq__mono_ms();
        if (ch->outbound) /* connected (and TLS handshake done) */
                rmq__backoff_succeeded(ch->rm->backoff, ch->addr);
        channel_notify(ch, RMQ_CHANNEL_CONNECT);
        if (ch->state == CH_CONNECTED)
                channel_writable(ch);
}

void rmq__channel_start(rmq_channel_t *ch) {
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
        ch->last_active = rmq__mono_ms();
        r = uv_read_start((uv_stream_t *)&ch->tcp, alloc_cb, read_cb);
        if (r) {
                rmq__channel_fail(ch, RMQ_ERR__TRANSPORT, uv_strerror(r));
                return;
        }
        if (ch->outbound ? rm->conf.tls.enabled : rm->tls_server != NULL) {
                tls_start(ch); /* channel_ready once the handshake is done */
                return;
        }
        channel_ready(ch);
}

/* ---- TLS (rmq_tls.h): the handshake after the TCP connect (or accept),
 * then frames encrypted on write and decrypted on read into the frame
 * decoder. Never falls back to plain text: any failure closes the
 * channel with RMQ_ERR__SSL and the reason, which fails what is pending
 * on it; the next request reconnects. ---- */

typedef struct tls_write_s {
        uv_write_t w;
        rmq_channel_t *ch;
        uint8_t *data;
} tls_write_t;

static void tls_write_cb(uv_write_t *w, int status) {
        tls_write_t *tw   = (tls_write_t *)w;
        rmq_channel_t *ch = tw->ch;
        if (status < 0 && status != UV_ECANCELED)
                rmq__channel_fail(ch, RMQ_ERR__TRANSPORT, uv_strerror(status));
        rmq__free(tw->data);
        rmq__free(tw);
        rmq__channel_release(ch);
}

/* Writes what the TLS engine has for the peer (records, handshake
 * messages, alerts). */
static void tls_send(rmq_channel_t *ch) {
        size_t len;
        uint8_t *data;
        tls_write_t *tw;
        uv_buf_t b;
        int r;
        if (ch->state == CH_CLOSING)
                return;
        data = rmq__tls_take_output(ch->tls, &len);
        if (!data)
                return;
        tw       = rmq__malloc(sizeof(*tw));
        tw->ch   = rmq__channel_retain(ch);
        tw->data = data;
        b        = uv_buf_init((char *)data, (unsigned)len);
        ch->rm->bytes_out += len; /* statistics: bytes on the wire */
        r = uv_write(&tw->w, (uv_stream_t *)&ch->tcp, &b, 1, tls_write_cb);
        if (r)
                tls_write_cb(&tw->w, r);
}

/* Closes \p ch: "TLS <what> <addr> failed: " and the
 * verification result or OpenSSL's reason. */
static void tls_fail(rmq_channel_t *ch, const char *what,
                     const char *fallback) {
        char why[160], msg[320];
        rmq__tls_reason(ch->tls, fallback, why, sizeof(why));
        snprintf(msg, sizeof(msg), "TLS %s %s failed: %s", what, ch->addr, why);
        rmq__channel_fail(ch, RMQ_ERR__SSL, msg);
}

static void tls_timeout_cb(uv_timer_t *t) {
        rmq_channel_t *ch = t->data;
        char reason[160];
        snprintf(reason, sizeof(reason),
                 "TLS handshake with %s timed out after %lld ms", ch->addr,
                 (long long)ch->rm->conf.connect_timeout_ms);
        rmq__channel_fail(ch, RMQ_ERR__SSL, reason);
}

/* One handshake step; true once the channel is ready for frames. */
static bool tls_handshake_step(rmq_channel_t *ch) {
        int r = rmq__tls_handshake(ch->tls);
        tls_send(ch);
        if (ch->state == CH_CLOSING)
                return false;
        if (r == RMQ_TLS_ERROR) {
                tls_fail(ch, "handshake with", "handshake failure");
                return false;
        }
        if (r == RMQ_TLS_WANT)
                return false;
        uv_timer_stop(&ch->ctimer);
        rmq__dbg(ch->rm->lg, REMOTING, "TLS established with %s", ch->addr);
        channel_ready(ch);
        return ch->state != CH_CLOSING;
}

static void tls_start(rmq_channel_t *ch) {
        rmq_remoting_t *rm = ch->rm;
        rmq_tls_ctx_t *ctx = ch->outbound ? rm->tls_client : rm->tls_server;
        char why[384];
        if (!ctx) {
                snprintf(why, sizeof(why), "no TLS to %s: %s", ch->addr,
                         rm->tls_err);
                rmq__channel_fail(ch, RMQ_ERR__SSL, why);
                return;
        }
        ch->tls = rmq__tls_new(ctx, ch->outbound ? ch->addr : NULL);
        if (!ch->tls) {
                tls_fail(ch, "setup for", "bad peer name");
                return;
        }
        if (!ch->outbound) {
                /* accepted: a timer of its own for the handshake */
                uv_timer_init(rm->loop, &ch->ctimer);
                ch->ctimer.data = ch;
                ch->handles_open++;
        }
        uv_timer_start(&ch->ctimer, tls_timeout_cb,
                       (uint64_t)rm->conf.connect_timeout_ms, 0);
        tls_handshake_step(ch); /* the client hello */
}

static void tls_on_read(rmq_channel_t *ch, const uint8_t *data, size_t len) {
        char err[200];
        rmq__tls_feed(ch->tls, data, len);
        if (!rmq__tls_established(ch->tls) && !tls_handshake_step(ch))
                return;
        for (;;) {
                size_t room;
                uint8_t *dst = rmq__fdec_direct(&ch->dec, &room);
                bool direct  = dst && room >= DIRECT_READ_MIN;
                int n;
                if (!direct) {
                        /* the ciphertext in rbuf was taken by the feed */
                        if (!ch->rbuf)
                                ch->rbuf = rmq__malloc(READ_BUF_SIZE);
                        dst  = ch->rbuf;
                        room = READ_BUF_SIZE;
                }
                n = rmq__tls_read(ch->tls, dst, room);
                if (n == RMQ_TLS_WANT)
                        break;
                if (n == RMQ_TLS_ERROR) {
                        tls_send(ch);
                        tls_fail(ch, "session with", "session closed by peer");
                        return;
                }
                if (direct) {
                        rmq__fdec_commit(&ch->dec, (size_t)n, on_frame, ch);
                } else if (rmq__fdec_feed(&ch->dec, dst, (size_t)n, on_frame,
                                          ch, err, sizeof(err)) < 0) {
                        rmq__channel_fail(ch, RMQ_ERR__BAD_MSG, err);
                        return;
                }
                if (ch->state == CH_CLOSING)
                        return;
        }
        tls_send(ch); /* post-handshake messages (session tickets) */
}

/* channel_flush of a TLS channel: every queued frame encrypted into one
 * write. */
static void tls_flush(rmq_channel_t *ch) {
        rmq_remoting_t *rm = ch->rm;
        bool failed        = false;
        size_t i;
        if (!ch->writing_ok || !ch->outq_len)
                return;
        for (i = 0; i < ch->outq_len; i++) {
                outframe_t *of = &ch->outq[i];
                rmq_req_t *req = of->req;
                if (!of->data)
                        continue; /* forgotten (timed out) */
                if (rmq__tls_write(ch->tls, of->data, of->len)) {
                        failed = true;
                        break;
                }
                rmq__frame_free(of->data);
                rm->frames_out++;
                if (req) {
                        req->frame  = NULL;
                        req->queued = false;
                        if (req->kind == REQ_ONEWAY) {
                                rmq__channel_release(req->ch);
                                req->ch = NULL;
                                rmq__req_free(req);
                                rmq__sem_release(&rm->oneway_sem);
                        }
                }
        }
        if (rmq__tls_write_flush(ch->tls))
                failed = true;
        memmove(ch->outq, ch->outq + i,
                (ch->outq_len - i) * sizeof(outframe_t));
        ch->outq_len -= i;
        ch->last_active = rmq__mono_ms();
        tls_send(ch);
        if (failed)
                tls_fail(ch, "write to", "encryption failed");
}

/* ---- connecting ---- */

static void connect_cb(uv_connect_t *c, int status) {
        rmq_channel_t *ch  = c->data;
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
                rmq__channel_fail(ch, RMQ_ERR__CONNECT, reason);
        } else {
                rm->connects++;
                if (rmq__strmap_get(&rm->connected_once, ch->addr))
                        rm->reconnects++;
                else
                        rmq__strmap_set(&rm->connected_once, ch->addr,
                                        (void *)1);
                rmq__dbg(rm->lg, REMOTING, "connected to %s", ch->addr);
                rmq__channel_start(ch);
        }
        rmq__channel_release(ch);
}

static void connect_timeout_cb(uv_timer_t *t) {
        rmq_channel_t *ch = t->data;
        char reason[160];
        snprintf(reason, sizeof(reason),
                 "connect to %s timed out after %lld ms", ch->addr,
                 (long long)ch->rm->conf.connect_timeout_ms);
        rmq__channel_fail(ch, RMQ_ERR__CONNECT, reason);
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
                rmq__channel_fail(ch, RMQ_ERR__CONNECT, reason);
        }
}

/* The resolver's answer for \p ch (which it retained). */
void rmq__channel_resolved(rmq_channel_t *ch, const struct sockaddr *sa,
                           const char *reason) {
        RMQ__ASSERT_IO_THREAD(ch->rm->io);
        if (ch->state != CH_CLOSING) {
                if (!sa) {
                        char why[200];
                        snprintf(why, sizeof(why), "cannot resolve %s: %s",
                                 ch->addr, reason ? reason : "no address");
                        rmq__channel_fail(ch, RMQ_ERR__CONNECT, why);
                } else {
                        channel_connect_sa(ch, sa);
                }
        }
        rmq__channel_release(ch);
}

static rmq_channel_t *channel_open(rmq_remoting_t *rm, const char *addr) {
        rmq_channel_t *ch = rmq__channel_new(rm, addr, true);
        struct sockaddr_storage ss;
        rmq__strmap_set(&rm->channels, addr, rmq__channel_retain(ch));
        ch->in_table = true;
        uv_timer_start(&ch->ctimer, connect_timeout_cb,
                       (uint64_t)rm->conf.connect_timeout_ms, 0);
        rm->connect_attempts++;
        rmq__dbg(rm->lg, REMOTING, "connecting to %s", addr);
        if (!rmq__addr_parse_numeric(addr, &ss)) {
                channel_connect_sa(ch, (struct sockaddr *)&ss);
        } else {
                /* A host name: looked up on the transport's own resolver
                 * thread (never libuv's process-wide pool, DESIGN). */
                char host[256];
                int p;
                rmq_err_t err;
                if (rmq__addr_split(addr, host, sizeof(host), &p)) {
                        rmq__channel_fail(ch, RMQ_ERR__CONNECT,
                                          "bad address (expected host:port)");
                        return ch;
                }
                err =
                    rmq__resolver_lookup(rm, rmq__channel_retain(ch), host, p);
                if (err) {
                        rmq__channel_release(ch);
                        rmq__channel_fail(ch, RMQ_ERR__CONNECT,
                                          "cannot start a name lookup");
                }
        }
        return ch;
}

rmq_channel_t *rmq__channel_get(rmq_remoting_t *rm, const char *addr) {
        rmq_channel_t *ch = rm->last_ch;
        if (ch && ch->state != CH_CLOSING && !strcmp(ch->addr, addr))
                return ch;
        ch = rmq__strmap_get(&rm->channels, addr);
        if (!ch || ch->state == CH_CLOSING)
                ch = channel_open(rm, addr);
        rm->last_ch = ch->state != CH_CLOSING ? ch : NULL;
        return ch;
}

int64_t rmq__channel_backoff(rmq_remoting_t *rm, const char *addr,
                             int *failsp) {
        rmq_channel_t *ch = rm->last_ch;
        *failsp           = 0;
        if (ch && ch->state != CH_CLOSING && !strcmp(ch->addr, addr))
                return 0;
        ch = rmq__strmap_get(&rm->channels, addr);
        if (ch && ch->state != CH_CLOSING)
                return 0;
        return rmq__backoff_remaining(rm->backoff, addr, rmq__mono_ms(),
                                      failsp);
}

/* ---- housekeeping ---- */

void rmq__channel_housekeep_cb(uv_timer_t *t) {
        rmq_remoting_t *rm     = t->data;
        int64_t now            = rmq__mono_ms();
        int64_t idle_ms        = rm->conf.channel_max_idle_s * 1000;
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
                rmq__channel_fail(victims[i], RMQ_ERR__TRANSPORT, NULL);
                rmq__channel_release(victims[i]);
        }
}
