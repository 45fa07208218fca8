/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mock cluster: lifecycle, options, request dispatch, fault injection,
 * request tracking and the public API (include/rocketmq/rmq_mock.h).
 *
 * Every public call runs on the mock's loop thread through rmq__io_call
 * (librdkafka's rd_kafka_op_req), so the mock's state needs no lock; only
 * the request counters have one (they are bumped on the loop and read by
 * tests).
 */
#include <stdarg.h>
#include <stdio.h>

#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_java_util.h"
#include "protocol/rmq_names.h"
#include "protocol/rmq_route.h"

static void housekeep_arm(rmq_mock_cluster_t *mc);

/* ---- time and randomness ---- */

int64_t rmq__mock_now(const rmq_mock_cluster_t *mc) {
        return (int64_t)uv_now(mc->loop);
}

int64_t rmq__mock_wall(const rmq_mock_cluster_t *mc) {
        return mc->wall_base + rmq__mock_now(mc);
}

int32_t rmq__mock_rand(rmq_mock_cluster_t *mc) {
        /* xorshift64*: deterministic, seeded at creation. */
        uint64_t x = mc->rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        mc->rng = x;
        return (int32_t)((x * 0x2545F4914F6CDD1DULL >> 33) % 99999999u);
}

void rmq__mock_timer_arm(rmq_mock_cluster_t *mc, rmq_timer_t *t,
                         int64_t *armed_due, int64_t due) {
        int64_t now = rmq__mock_now(mc);
        if (mc->stopping)
                return;
        if (*armed_due && rmq__timer_pending(mc->io, t) && *armed_due <= due)
                return;
        *armed_due = due;
        rmq__timer_start(mc->io, t, due > now ? due - now : 0, 0);
}

/* ---- responses ---- */

rmq_cmd_t *rmq__mock_response(int code, const char *remark) {
        rmq_cmd_t *resp = rmq__cmd_new_response(code, remark);
        resp->language  = RMQ_LANG_JAVA;
        resp->version   = RMQ_MOCK_VERSION;
        return resp;
}

rmq_cmd_t *rmq__mock_response_hdr(int code, const char *remark) {
        rmq_cmd_t *resp   = rmq__mock_response(code, remark);
        resp->ext_present = true;
        return resp;
}

void rmq__mock_set_body(rmq_cmd_t *cmd, rmq_buf_t *body) {
        size_t len;
        uint8_t *data = rmq__buf_steal(body, &len);
        rmq__cmd_set_body_owned(cmd, data, len);
}

rmq_cmd_t *rmq__mock_response_body(rmq_buf_t *body) {
        rmq_cmd_t *resp = rmq__mock_response(RMQ_OK, NULL);
        rmq__mock_set_body(resp, body);
        return resp;
}

/* Puts the ext fields in the order a Java HashMap<String,String> iterates
 * them (RemotingCommand.extFields), as the real servers write them. */
void rmq__mock_ext_java_order(rmq_cmd_t *cmd) {
        int32_t hashes[64];
        size_t order[64];
        rmq_cmd_ext_t tmp[64];
        uint32_t i, n = cmd->ext_cnt;
        if (n < 2 || n > 64)
                return;
        for (i = 0; i < n; i++)
                hashes[i] = rmq__java_hash(cmd->ext[i].key,
                                           strlen(cmd->ext[i].key));
        rmq__java_hashset_order(hashes, n, order);
        for (i = 0; i < n; i++)
                tmp[i] = cmd->ext[order[i]];
        memcpy(cmd->ext, tmp, n * sizeof(*tmp));
}

static void delayed_free(rmq_mock_delayed_t *d) {
        rmq__cmd_destroy(d->resp);
        rmq__channel_release(d->ch);
        rmq__free(d);
}

static void delayed_fire(rmq_timer_t *t, void *arg) {
        rmq_mock_delayed_t *d = arg;
        RMQ_UNUSED(t);
        rmq__list_remove(&d->link);
        rmq__remoting_reply(d->ep->rm, d->ch, &d->stub, d->resp);
        d->resp = NULL;
        delayed_free(d);
}

void rmq__mock_reply(rmq_mock_ep_t *ep, rmq_channel_t *ch,
                     const rmq_cmd_t *req, rmq_cmd_t *resp) {
        resp->language = RMQ_LANG_JAVA;
        resp->version  = RMQ_MOCK_VERSION;
        rmq__mock_reply_forwarded(ep, ch, req, resp);
}

void rmq__mock_reply_forwarded(rmq_mock_ep_t *ep, rmq_channel_t *ch,
                               const rmq_cmd_t *req, rmq_cmd_t *resp) {
        rmq_mock_cluster_t *mc = ep->mc;
        rmq_mock_delayed_t *d;
        rmq_mock_conn_t *conn = rmq__channel_user(ch);
        rmq__mock_ext_java_order(resp);
        if (conn)
                conn->last_active = rmq__mock_now(mc);
        if (ep->rtt_ms <= 0 || mc->stopping || rmq__cmd_is_oneway(req)) {
                rmq__remoting_reply(ep->rm, ch, req, resp);
                return;
        }
        d                      = rmq__calloc(1, sizeof(*d));
        d->ep                  = ep;
        d->ch                  = rmq__channel_retain(ch);
        d->resp                = resp;
        d->stub.code           = req->code;
        d->stub.opaque         = req->opaque;
        d->stub.flag           = req->flag;
        d->stub.serialize_type = req->serialize_type;
        rmq__timer_init(&d->timer, delayed_fire, d);
        rmq__list_insert_tail(&mc->delayed, &d->link);
        rmq__timer_start(mc->io, &d->timer, ep->rtt_ms, 0);
}

/* ---- header reading ---- */

void rmq__mock_hdr_init(rmq_mock_hdr_t *h, const rmq_cmd_t *cmd) {
        memset(h, 0, sizeof(*h));
        h->cmd = cmd;
}

static const char *hdr_get(rmq_mock_hdr_t *h, const char *key,
                           bool required) {
        const char *v = rmq__cmd_ext(h->cmd, key);
        if (!v && required && !h->err) {
                h->err = 1;
                rmq__strlcpy(h->field, key, sizeof(h->field));
        }
        return v;
}

const char *rmq__mock_hdr_str(rmq_mock_hdr_t *h, const char *key,
                              bool required) {
        return hdr_get(h, key, required);
}

int64_t rmq__mock_hdr_i64(rmq_mock_hdr_t *h, const char *key, bool required,
                          int64_t def) {
        const char *v = hdr_get(h, key, required);
        int64_t out;
        if (!v)
                return def;
        if (rmq__parse_i64(v, &out)) {
                if (!h->err) {
                        h->err = 2;
                        rmq__strlcpy(h->field, key, sizeof(h->field));
                        rmq__strlcpy(h->value, v, sizeof(h->value));
                }
                return def;
        }
        return out;
}

int32_t rmq__mock_hdr_i32(rmq_mock_hdr_t *h, const char *key, bool required,
                          int32_t def) {
        const char *v = hdr_get(h, key, required);
        int32_t out;
        if (!v)
                return def;
        if (rmq__parse_i32(v, &out)) {
                if (!h->err) {
                        h->err = 2;
                        rmq__strlcpy(h->field, key, sizeof(h->field));
                        rmq__strlcpy(h->value, v, sizeof(h->value));
                }
                return def;
        }
        return out;
}

bool rmq__mock_hdr_bool(rmq_mock_hdr_t *h, const char *key, bool def) {
        const char *v = hdr_get(h, key, false);
        return v ? rmq__parse_bool(v) : def;
}

rmq_cmd_t *rmq__mock_hdr_error(const rmq_mock_hdr_t *h) {
        char remark[256];
        /* NettyRemotingAbstract.processRequestCommand: an exception from
         * decodeCommandCustomHeader becomes SYSTEM_ERROR with
         * RemotingHelper.exceptionSimpleDesc(e). */
        if (h->err == 1)
                snprintf(remark, sizeof(remark),
                         "org.apache.rocketmq.remoting.exception."
                         "RemotingCommandException: the custom field <%s> "
                         "is null",
                         h->field);
        else
                snprintf(remark, sizeof(remark),
                         "java.lang.NumberFormatException: For input string: "
                         "\"%s\"",
                         h->value);
        return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
}

/* ---- request tracking ---- */

static void track(rmq_mock_cluster_t *mc, int target, int code) {
        size_t i;
        uv_mutex_lock(&mc->track_lock);
        if (!mc->tracking)
                goto out;
        for (i = 0; i < mc->count_cnt; i++) {
                if (mc->counts[i].target == target &&
                    mc->counts[i].code == code) {
                        mc->counts[i].cnt++;
                        goto out;
                }
        }
        if (mc->count_cnt == mc->count_cap) {
                mc->count_cap = mc->count_cap ? mc->count_cap * 2 : 32;
                mc->counts    = rmq__realloc(mc->counts,
                                             mc->count_cap * sizeof(*mc->counts));
        }
        mc->counts[mc->count_cnt].target = target;
        mc->counts[mc->count_cnt].code   = code;
        mc->counts[mc->count_cnt].cnt    = 1;
        mc->count_cnt++;
out:
        uv_mutex_unlock(&mc->track_lock);
}

/* ---- fault injection ---- */

static bool fault_matches(const rmq_mock_fault_t *f, int target, int code) {
        if (f->code != code || f->pos >= f->cnt)
                return false;
        return f->target == target || (f->target == -1 && target >= 0);
}

/* Takes the next injected error for a request, if any. */
static bool fault_pop(rmq_mock_cluster_t *mc, int target, int code,
                      int *errp) {
        rmq_list_t *n;
        for (n = mc->faults.next; n != &mc->faults; n = n->next) {
                rmq_mock_fault_t *f = RMQ_CONTAINER_OF(n, rmq_mock_fault_t,
                                                       link);
                if (!fault_matches(f, target, code))
                        continue;
                *errp = f->errs[f->pos++];
                if (f->pos == f->cnt) {
                        rmq__list_remove(&f->link);
                        rmq__free(f->errs);
                        rmq__free(f);
                }
                return true;
        }
        return false;
}

static void faults_clear(rmq_mock_cluster_t *mc) {
        while (!rmq__list_empty(&mc->faults)) {
                rmq_mock_fault_t *f = RMQ_CONTAINER_OF(
                    rmq__list_pop_head(&mc->faults), rmq_mock_fault_t, link);
                rmq__free(f->errs);
                rmq__free(f);
        }
}

/* Answers a request with an injected fault that replaces its
 * processing. The answer carries the response header the Java client
 * decodes for that request and response code (MQClientAPIImpl's
 * processPullResponse), so the client takes the injected status's path. */
static void fault_apply(rmq_mock_ep_t *ep, rmq_channel_t *ch, rmq_cmd_t *req,
                        int err) {
        char remark[128];
        rmq_cmd_t *resp;
        if (err == RMQ_ERR__TRANSPORT) {
                rmq__channel_close(ch, "mock: injected connection close");
                return;
        }
        if (err == RMQ_ERR__TIMED_OUT)
                return; /* swallowed: no answer, ever */
        snprintf(remark, sizeof(remark), "[mock] injected %s",
                 rmq_err2name((rmq_err_t)err));
        if (ep->mb && req->code == RMQ_REQ_PULL_MESSAGE &&
            (err == RMQ_ERR_PULL_NOT_FOUND ||
             err == RMQ_ERR_PULL_RETRY_IMMEDIATELY ||
             err == RMQ_ERR_PULL_OFFSET_MOVED || err == RMQ_ERR__BAD_MSG))
                resp = rmq__mock_pull_injected(ep->mb, req, err, remark);
        else
                resp = rmq__mock_response(err, remark);
        rmq__mock_reply(ep, ch, req, resp);
}

/* An injected FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT or
 * SLAVE_NOT_AVAILABLE on a send (or a reply, which the Java client sends
 * and decodes as one) is what the real broker answers for a message it
 * stored but could not flush or replicate in time: the request is
 * processed, and if it succeeds its answer (with the usual
 * SendMessageResponseHeader) gets the injected code. */
static bool stored_anyway(int code, int fault) {
        return (code == RMQ_REQ_SEND_MESSAGE ||
                code == RMQ_REQ_SEND_MESSAGE_V2 ||
                code == RMQ_REQ_SEND_BATCH_MESSAGE ||
                code == RMQ_REQ_SEND_REPLY_MESSAGE ||
                code == RMQ_REQ_SEND_REPLY_MESSAGE_V2) &&
               (fault == RMQ_ERR_FLUSH_DISK_TIMEOUT ||
                fault == RMQ_ERR_FLUSH_SLAVE_TIMEOUT ||
                fault == RMQ_ERR_SLAVE_NOT_AVAILABLE);
}

void rmq__mock_apply_stored_fault(rmq_cmd_t *resp, int fault) {
        if (resp && fault && resp->code == RMQ_OK)
                resp->code = fault; /* stored, but not flushed or synced */
}

/* ---- dispatch ---- */

/* The broker's ACL hook (BrokerController.initialAcl registers the
 * validator as a server RPC hook): a refused request is not processed;
 * the AclException reaches NettyRemotingAbstract.processRequestCommand's
 * catch, which answers SYSTEM_ERROR with exceptionSimpleDesc(e) (the
 * exception, then its top stack frame), nothing for a oneway request. */
static bool acl_refused(rmq_mock_ep_t *ep, rmq_channel_t *ch, rmq_cmd_t *req) {
        char msg[300], remark[512];
        if (!rmq__mock_acl_validate(ep->mc->acl, req, rmq__channel_addr(ch),
                                    msg, sizeof(msg)))
                return false;
        rmq__log(&ep->mc->lg, RMQ_LOG_WARN, "MOCK",
                 "%s: ACL refused %s (%d) from %s: %s", ep->addr,
                 rmq__request_code_name(req->code), req->code,
                 rmq__channel_addr(ch), msg);
        if (rmq__cmd_is_oneway(req))
                return true;
        snprintf(remark, sizeof(remark),
                 "org.apache.rocketmq.acl.common.AclException: %s, "
                 "org.apache.rocketmq.acl.plain.PlainPermissionManager"
                 ".validate(PlainPermissionManager.java)",
                 msg);
        rmq__mock_reply(ep, ch, req,
                        rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark));
        return true;
}

void rmq__mock_dispatch(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                        void *opaque) {
        rmq_mock_ep_t *ep      = opaque;
        rmq_mock_cluster_t *mc = ep->mc;
        rmq_mock_handler_t *h;
        rmq_mock_ctx_t ctx;
        rmq_cmd_t *resp;
        rmq_mock_conn_t *conn = rmq__channel_user(ch);
        int fault = 0;
        RMQ_UNUSED(rm);

        track(mc, ep->id, req->code);
        if (conn)
                conn->last_active = rmq__mock_now(mc);
        rmq__dbg(&mc->lg, MOCK, "%s: request %s (%d) from %s", ep->addr,
                 rmq__request_code_name(req->code), req->code,
                 rmq__channel_addr(ch));
        /* An injected SUCCESS lets the request through: it is answered
         * as without injection (a placeholder in a sequence of faults). */
        if (fault_pop(mc, ep->id, req->code, &fault) && fault != RMQ_OK &&
            !stored_anyway(req->code, fault)) {
                fault_apply(ep, ch, req, fault);
                rmq__cmd_destroy(req);
                return;
        }
        h = rmq__mock_handler(req->code,
                              ep->mb ? RMQ_MOCK_ON_BROKER : RMQ_MOCK_ON_NAMESRV);
        if (!h && !ep->mb) {
                /* The name server's DefaultRequestProcessor is its default
                 * processor; for a code it does not know, processRequest
                 * returns null and NettyRemotingAbstract writes nothing:
                 * the caller times out. */
                rmq__log(&mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: request code %d from %s not handled by the "
                         "name server: not answered",
                         ep->addr, req->code, rmq__channel_addr(ch));
                rmq__cmd_destroy(req);
                return;
        }
        if (!h) {
                /* NettyRemotingAbstract.processRequestCommand: no
                 * processor for the code on the broker. */
                char remark[64];
                snprintf(remark, sizeof(remark),
                         " request type %d not supported", req->code);
                rmq__log(&mc->lg, RMQ_LOG_WARN, "MOCK", "%s: %s%s", ep->addr,
                         rmq__channel_addr(ch), remark);
                rmq__mock_reply(ep, ch, req,
                                rmq__mock_response(
                                    RMQ_ERR_REQUEST_CODE_NOT_SUPPORTED,
                                    remark));
                rmq__cmd_destroy(req);
                return;
        }
        if (ep->mb && mc->acl && acl_refused(ep, ch, req)) {
                rmq__cmd_destroy(req);
                return;
        }
        ctx.mc  = mc;
        ctx.ep  = ep;
        ctx.mb  = ep->mb;
        ctx.ch  = ch;
        ctx.req = req;
        ctx.fault = stored_anyway(req->code, fault) ? fault : 0;
        resp      = h(&ctx);
        rmq__mock_apply_stored_fault(resp, ctx.fault);
        if (resp && ctx.req)
                rmq__mock_reply(ep, ch, ctx.req, resp);
        else
                rmq__cmd_destroy(resp);
        rmq__cmd_destroy(ctx.req);
}

void rmq__mock_channel_event(rmq_remoting_t *rm, rmq_channel_t *ch,
                             rmq_channel_event_t ev, void *opaque) {
        rmq_mock_ep_t *ep = opaque;
        rmq_mock_conn_t *conn;
        RMQ_UNUSED(rm);
        if (ev == RMQ_CHANNEL_CONNECT) {
                conn              = rmq__calloc(1, sizeof(*conn));
                conn->ep          = ep;
                conn->ch          = ch;
                conn->last_active = rmq__mock_now(ep->mc);
                rmq__list_insert_tail(&ep->mc->conns, &conn->link);
                rmq__channel_set_user(ch, conn);
                rmq__dbg(&ep->mc->lg, MOCK, "%s: connection from %s",
                         ep->addr, rmq__channel_addr(ch));
                return;
        }
        /* ClientHousekeepingService.onChannelClose */
        if (ep->mb)
                rmq__mock_client_channel_closed(ep->mb, ch);
        conn = rmq__channel_user(ch);
        rmq__channel_set_user(ch, NULL);
        if (conn)
                rmq__list_remove(&conn->link);
        rmq__free(conn);
}

/* mirrors NettyConnectManageHandler#userEventTriggered(ALL_IDLE) on the
 * servers: a connection with no request and no answer for
 * serverChannelMaxIdleTimeSeconds is closed (and then leaves its groups,
 * as onChannelIdle / onChannelClose do). */
static void conns_close_idle(rmq_mock_cluster_t *mc) {
        int64_t idle_ms = mc->opts.serverChannelMaxIdleTimeSeconds * 1000;
        int64_t now     = rmq__mock_now(mc);
        rmq_channel_t *victims[64];
        size_t nv = 0, i;
        rmq_list_t *n;
        for (n = mc->conns.next; n != &mc->conns && nv < 64; n = n->next) {
                rmq_mock_conn_t *c = RMQ_CONTAINER_OF(n, rmq_mock_conn_t, link);
                if (now - c->last_active >= idle_ms &&
                    rmq__channel_is_open(c->ch))
                        victims[nv++] = rmq__channel_retain(c->ch);
        }
        for (i = 0; i < nv; i++) {
                rmq__log(&mc->lg, RMQ_LOG_INFO, "MOCK",
                         "closing idle connection %s",
                         rmq__channel_addr(victims[i]));
                rmq__channel_close(victims[i], "mock: idle");
                rmq__channel_release(victims[i]);
        }
}

/* ---- options ---- */

enum { OPT_BOOL, OPT_I32, OPT_I64, OPT_DOUBLE };

static const struct {
        const char *name;
        int type;
        size_t off;
        double min, max;
} opt_table[] = {
    {"autoCreateTopicEnable", OPT_BOOL,
     offsetof(rmq_mock_opts_t, autoCreateTopicEnable), 0, 1},
    {"defaultTopicQueueNums", OPT_I32,
     offsetof(rmq_mock_opts_t, defaultTopicQueueNums), 1, 1024},
    {"maxMessageSize", OPT_I64, offsetof(rmq_mock_opts_t, maxMessageSize), 1,
     16 * 1024 * 1024},
    {"longPollingEnable", OPT_BOOL,
     offsetof(rmq_mock_opts_t, longPollingEnable), 0, 1},
    {"delayTimeScale", OPT_DOUBLE, offsetof(rmq_mock_opts_t, delayTimeScale), 0,
     1000},
    {"transactionTimeOut", OPT_I64,
     offsetof(rmq_mock_opts_t, transactionTimeOut), 0, 86400000.0 * 365},
    {"transactionCheckInterval", OPT_I64,
     offsetof(rmq_mock_opts_t, transactionCheckInterval), 1, 86400000.0 * 365},
    {"transactionCheckMax", OPT_I32,
     offsetof(rmq_mock_opts_t, transactionCheckMax), 0, 1000000},
    {"lockExpiry", OPT_I64, offsetof(rmq_mock_opts_t, lockExpiry), 1,
     86400000.0 * 365},
    {"channelExpiredTimeout", OPT_I64,
     offsetof(rmq_mock_opts_t, channelExpiredTimeout), 1, 86400000.0 * 365},
    {"maxReconsumeTimes", OPT_I32, offsetof(rmq_mock_opts_t, maxReconsumeTimes),
     0, 1000000},
    {"printMessages", OPT_BOOL, offsetof(rmq_mock_opts_t, printMessages), 0, 1},
    {"shortPollingTimeMills", OPT_I64,
     offsetof(rmq_mock_opts_t, shortPollingTimeMills), 0, 86400000.0},
    {"longPollingCheckInterval", OPT_I64,
     offsetof(rmq_mock_opts_t, longPollingCheckInterval), 1, 86400000.0},
    {"serverChannelMaxIdleTimeSeconds", OPT_I64,
     offsetof(rmq_mock_opts_t, serverChannelMaxIdleTimeSeconds), 1,
     86400.0 * 365},
    {"storeReplyMessageEnable", OPT_BOOL,
     offsetof(rmq_mock_opts_t, storeReplyMessageEnable), 0, 1},
    {"queryIndexCollisions", OPT_BOOL,
     offsetof(rmq_mock_opts_t, queryIndexCollisions), 0, 1},
    {"traceTopicEnable", OPT_BOOL, offsetof(rmq_mock_opts_t, traceTopicEnable),
     0, 1},
};

static void opts_defaults(rmq_mock_opts_t *o) {
        o->autoCreateTopicEnable    = true;
        o->defaultTopicQueueNums           = 8;
        o->maxMessageSize           = 4 * 1024 * 1024;
        o->longPollingEnable        = true;
        o->delayTimeScale           = 1.0;
        o->transactionTimeOut       = 6000;
        o->transactionCheckInterval = 60000;
        o->transactionCheckMax      = 15;
        o->lockExpiry               = 60000;
        o->channelExpiredTimeout    = 120000;
        o->maxReconsumeTimes        = 16;
        o->printMessages            = false;
        o->shortPollingTimeMills    = 1000;
        o->longPollingCheckInterval        = 5000;
        o->serverChannelMaxIdleTimeSeconds = 120;
        o->storeReplyMessageEnable  = true;
        o->queryIndexCollisions     = false;
}

typedef struct set_args_s {
        rmq_mock_cluster_t *mc;
        const char *name;
        const char *value;
        rmq_err_t err;
        char *errstr;
        size_t errstr_size;
} set_args_t;

static rmq_err_t opt_parse(rmq_mock_opts_t *o, const char *name,
                           const char *value, char *errstr,
                           size_t errstr_size) {
        size_t i;
        for (i = 0; i < RMQ_ARRAY_SIZE(opt_table); i++) {
                char *p = (char *)o + opt_table[i].off;
                int64_t v;
                double d;
                char *end;
                if (strcmp(opt_table[i].name, name))
                        continue;
                switch (opt_table[i].type) {
                case OPT_BOOL:
                        if (!strcmp(value, "true") || !strcmp(value, "1"))
                                *(bool *)p = true;
                        else if (!strcmp(value, "false") ||
                                 !strcmp(value, "0"))
                                *(bool *)p = false;
                        else
                                goto invalid;
                        return RMQ_OK;
                case OPT_DOUBLE:
                        d = strtod(value, &end);
                        if (end == value || *end || d < opt_table[i].min ||
                            d > opt_table[i].max)
                                goto invalid;
                        *(double *)p = d;
                        return RMQ_OK;
                default:
                        if (rmq__parse_i64(value, &v) ||
                            (double)v < opt_table[i].min ||
                            (double)v > opt_table[i].max)
                                goto invalid;
                        if (opt_table[i].type == OPT_I32)
                                *(int32_t *)p = (int32_t)v;
                        else
                                *(int64_t *)p = v;
                        return RMQ_OK;
                }
        invalid:
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__CONF_INVALID,
                                   "invalid value \"%s\" for mock option "
                                   "%s (%s %g..%g)",
                                   value, name,
                                   opt_table[i].type == OPT_BOOL ? "boolean"
                                                                 : "number",
                                   opt_table[i].min, opt_table[i].max);
        }
        return rmq__seterr(errstr, errstr_size, RMQ_ERR__CONF_UNKNOWN,
                           "unknown mock option \"%s\"", name);
}

static void set_on_loop(rmq_io_t *io, void *arg) {
        set_args_t *a          = arg;
        rmq_mock_cluster_t *mc = a->mc;
        int i;
        RMQ_UNUSED(io);
        a->err = opt_parse(&mc->opts, a->name, a->value, a->errstr,
                           a->errstr_size);
        if (a->err)
                return;
        if (!strcmp(a->name, "channelExpiredTimeout") ||
            !strcmp(a->name, "serverChannelMaxIdleTimeSeconds"))
                housekeep_arm(mc);
        if (!strcmp(a->name, "transactionCheckInterval"))
                for (i = 0; i < mc->broker_cnt; i++)
                        rmq__mock_txn_timer_start(mc->brokers[i]);
        if (!strcmp(a->name, "longPollingEnable") ||
            !strcmp(a->name, "longPollingCheckInterval") ||
            !strcmp(a->name, "shortPollingTimeMills"))
                for (i = 0; i < mc->broker_cnt; i++)
                        rmq__mock_pull_hold_timer_start(mc->brokers[i]);
        /* traceTopicEnable: TopicConfigManager creates the trace topic
         * (msgTraceTopicName, RMQ_SYS_TRACE_TOPIC) with one queue; turning
         * it off leaves the topic, as a broker restart would keep it */
        if (!strcmp(a->name, "traceTopicEnable") && mc->opts.traceTopicEnable)
                for (i = 0; i < mc->broker_cnt; i++)
                        if (!rmq__mock_topic_get(mc->brokers[i],
                                                 RMQ_MOCK_TRACE_TOPIC))
                                rmq__mock_topic_put(
                                    mc->brokers[i], RMQ_MOCK_TRACE_TOPIC, 1, 1,
                                    RMQ_PERM_READ | RMQ_PERM_WRITE, 0);
        /* TBW102 exists only while autoCreateTopicEnable is on (the
         * broker creates it at start only then), sized by
         * defaultTopicQueueNums (BrokerConfig). */
        for (i = 0; i < mc->broker_cnt; i++) {
                rmq_mock_broker_t *mb = mc->brokers[i];
                rmq_mock_topic_t *t =
                    rmq__mock_topic_get(mb, RMQ_AUTO_CREATE_TOPIC_KEY);
                if (mc->opts.autoCreateTopicEnable) {
                        if (!t || !strcmp(a->name, "defaultTopicQueueNums"))
                                rmq__mock_topic_put(
                                    mb, RMQ_AUTO_CREATE_TOPIC_KEY,
                                    mc->opts.defaultTopicQueueNums,
                                    mc->opts.defaultTopicQueueNums,
                                    RMQ_PERM_READ | RMQ_PERM_WRITE |
                                        RMQ_PERM_INHERIT,
                                    0);
                } else if (t &&
                           !rmq__mock_topic_del_empty(
                               mb, RMQ_AUTO_CREATE_TOPIC_KEY)) {
                        t->perm = RMQ_PERM_READ | RMQ_PERM_WRITE;
                }
        }
}

rmq_err_t rmq_mock_cluster_set(rmq_mock_cluster_t *mc, const char *name,
                               const char *value, char *errstr,
                               size_t errstr_size) {
        set_args_t a = {mc, name, value, RMQ_OK, errstr, errstr_size};
        if (!mc || !name || !value)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "name and value are required");
        if (rmq__io_call(mc->io, set_on_loop, &a))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__DESTROY,
                                   "mock cluster is being destroyed");
        return a.err;
}

/* ---- ACL ---- */

typedef struct acl_args_s {
        rmq_mock_cluster_t *mc;
        rmq_mock_acl_t *acl;
} acl_args_t;

static void acl_on_loop(rmq_io_t *io, void *arg) {
        acl_args_t *a = arg;
        rmq_mock_acl_t *old = a->mc->acl;
        RMQ_UNUSED(io);
        a->mc->acl = a->acl;
        a->acl     = old;
}

rmq_err_t rmq_mock_cluster_set_acl(rmq_mock_cluster_t *mc, const char *json,
                                   char *errstr, size_t errstr_size) {
        acl_args_t a = {mc, NULL};
        rmq_err_t err;
        if (!mc)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "mc is NULL");
        if (json) {
                char why[300];
                err = rmq__mock_acl_parse(json, &a.acl, why, sizeof(why));
                if (err)
                        return rmq__seterr(errstr, errstr_size, err,
                                           "ACL configuration: %s", why);
        }
        if (rmq__io_call(mc->io, acl_on_loop, &a)) {
                rmq__mock_acl_free(a.acl);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__DESTROY,
                                   "mock cluster is being destroyed");
        }
        rmq__mock_acl_free(a.acl); /* the previous configuration */
        return RMQ_OK;
}

/* ---- lifecycle ---- */

typedef struct new_args_s {
        rmq_mock_cluster_t *mc;
        int namesrv_port;
        int broker_base_port;
        rmq_err_t err;
        char errstr[256];
} new_args_t;

static void housekeep_cb(rmq_timer_t *t, void *arg) {
        rmq_mock_cluster_t *mc = arg;
        RMQ_UNUSED(t);
        rmq__mock_clients_scan(mc);
        conns_close_idle(mc);
}

/* ClientHousekeepingService scans every 10 s; the mock scans at least
 * twice per channelExpiredTimeout and per idle time so short test
 * timeouts work. */
static void housekeep_arm(rmq_mock_cluster_t *mc) {
        int64_t period = RMQ_MIN(10000, mc->opts.channelExpiredTimeout / 2);
        period         = RMQ_MIN(period,
                                 mc->opts.serverChannelMaxIdleTimeSeconds * 1000 / 2);
        if (period < 10)
                period = 10;
        rmq__timer_start(mc->io, &mc->housekeep_timer, period, period);
}

static rmq_err_t ep_start(rmq_mock_ep_t *ep, int port, char *errstr,
                          size_t errstr_size) {
        int bound = 0;
        if (rmq__remoting_listen(ep->rm, "127.0.0.1", port, &bound))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__TRANSPORT,
                                   "cannot listen on 127.0.0.1:%d", port);
        ep->port = bound;
        ep->up   = true;
        snprintf(ep->addr, sizeof(ep->addr), "127.0.0.1:%d", bound);
        return RMQ_OK;
}

static void ep_init(rmq_mock_cluster_t *mc, rmq_mock_ep_t *ep, int id) {
        ep->mc = mc;
        ep->id = id;
        ep->rm = rmq__remoting_new(mc->io, &mc->rconf, NULL, &mc->lg);
        rmq__remoting_register_processor(ep->rm, -1, rmq__mock_dispatch, ep,
                                         true);
        rmq__remoting_set_channel_listener(ep->rm, rmq__mock_channel_event,
                                           ep);
}

static void new_on_loop(rmq_io_t *io, void *arg) {
        new_args_t *a          = arg;
        rmq_mock_cluster_t *mc = a->mc;
        int i;
        RMQ_UNUSED(io);
        mc->loop      = rmq__io_loop(mc->io);
        mc->wall_base = rmq__wall_ms() - rmq__mock_now(mc);
        rmq__timer_init(&mc->housekeep_timer, housekeep_cb, mc);
        ep_init(mc, &mc->namesrv, RMQ_MOCK_NAMESRV_ID);
        a->err = ep_start(&mc->namesrv, a->namesrv_port, a->errstr,
                          sizeof(a->errstr));
        if (a->err)
                return;
        rmq__strlcpy(mc->namesrv_addr, mc->namesrv.addr,
                     sizeof(mc->namesrv_addr));
        for (i = 0; i < mc->broker_cnt; i++) {
                rmq_mock_broker_t *mb = rmq__mock_broker_new(mc, i);
                mc->brokers[i]        = mb;
                ep_init(mc, &mb->ep, i);
                rmq__mock_broker_init_timers(mb);
                a->err = ep_start(&mb->ep, a->broker_base_port
                                               ? a->broker_base_port + i
                                               : 0,
                                  a->errstr, sizeof(a->errstr));
                if (a->err)
                        return;
                rmq__msg_host_parse(mb->ep.addr, &mb->store_host);
                rmq__mock_broker_system_topics(mb);
        }
        housekeep_arm(mc);
}

static void delayed_drop_all(rmq_mock_cluster_t *mc) {
        while (!rmq__list_empty(&mc->delayed)) {
                rmq_mock_delayed_t *d = RMQ_CONTAINER_OF(
                    rmq__list_pop_head(&mc->delayed), rmq_mock_delayed_t,
                    link);
                rmq__timer_stop(mc->io, &d->timer);
                delayed_free(d);
        }
}

static void stop_on_loop(rmq_io_t *io, void *arg) {
        rmq_mock_cluster_t *mc = arg;
        int i;
        RMQ_UNUSED(io);
        mc->stopping = true;
        rmq__mock_http_close(mc);
        for (i = 0; i < mc->broker_cnt; i++)
                if (mc->brokers[i])
                        rmq__mock_broker_close(mc->brokers[i]);
        delayed_drop_all(mc);
        if (mc->namesrv.rm)
                rmq__remoting_close(mc->namesrv.rm);
        for (i = 0; i < mc->broker_cnt; i++)
                if (mc->brokers[i] && mc->brokers[i]->ep.rm)
                        rmq__remoting_close(mc->brokers[i]->ep.rm);
        if (mc->loop)
                rmq__timer_stop(mc->io, &mc->housekeep_timer);
}

void rmq_mock_cluster_destroy(rmq_mock_cluster_t *mc) {
        int i;
        if (!mc)
                return;
        rmq__io_destroy(mc->io, stop_on_loop, mc);
        rmq__remoting_free(mc->namesrv.rm);
        for (i = 0; i < mc->broker_cnt; i++) {
                if (!mc->brokers[i])
                        continue;
                rmq__remoting_free(mc->brokers[i]->ep.rm);
                rmq__mock_broker_free(mc->brokers[i]);
        }
        faults_clear(mc);
        rmq__mock_acl_free(mc->acl);
        uv_mutex_destroy(&mc->track_lock);
        rmq__free(mc->counts);
        rmq__free(mc);
}

rmq_err_t rmq_mock_cluster_new_ports(rmq_mock_cluster_t **mcp, int broker_cnt,
                                     int namesrv_port, int broker_base_port,
                                     char *errstr, size_t errstr_size) {
        rmq_mock_cluster_t *mc;
        new_args_t a;
        if (!mcp)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "mcp is NULL");
        *mcp = NULL;
        if (broker_cnt < 1 || broker_cnt > RMQ_MOCK_MAX_BROKERS)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "broker count %d out of range 1..%d",
                                   broker_cnt, RMQ_MOCK_MAX_BROKERS);
        if (namesrv_port < 0 || namesrv_port > 65535 || broker_base_port < 0 ||
            broker_base_port + broker_cnt - 1 > 65535)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "port out of range");
        mc             = rmq__calloc(1, sizeof(*mc));
        mc->broker_cnt = broker_cnt;
        mc->lg.cb      = rmq__log_stderr_cb;
        mc->lg.level   = RMQ_LOG_ERROR;
        rmq__strlcpy(mc->lg.client_id, "mock", sizeof(mc->lg.client_id));
        {
                const char *dbg = getenv("RMQ_MOCK_DEBUG");
                if (dbg && *dbg)
                        mc->lg.debug = RMQ_DBG_MOCK;
        }
        mc->rng = 0x9E3779B97F4A7C15ULL;
        opts_defaults(&mc->opts);
        rmq__remoting_conf_defaults(&mc->rconf);
        /* The remoting layer's idle check closes the channels it opens;
         * the servers' check of accepted ones is conns_close_idle(). */
        mc->rconf.channel_max_idle_s = 0;
        rmq__list_init(&mc->faults);
        rmq__list_init(&mc->conns);
        rmq__list_init(&mc->delayed);
        uv_mutex_init(&mc->track_lock);
        mc->io = rmq__io_new("rmq-mock", &mc->lg);
        if (!mc->io) {
                uv_mutex_destroy(&mc->track_lock);
                rmq__free(mc);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__FAIL,
                                   "cannot start the mock thread");
        }
        memset(&a, 0, sizeof(a));
        a.mc               = mc;
        a.namesrv_port     = namesrv_port;
        a.broker_base_port = broker_base_port;
        rmq__io_call(mc->io, new_on_loop, &a);
        if (a.err) {
                rmq__seterr(errstr, errstr_size, a.err, "%s", a.errstr);
                rmq_mock_cluster_destroy(mc);
                return a.err;
        }
        *mcp = mc;
        return RMQ_OK;
}

rmq_err_t rmq_mock_cluster_new(rmq_mock_cluster_t **mcp, int broker_cnt,
                               char *errstr, size_t errstr_size) {
        return rmq_mock_cluster_new_ports(mcp, broker_cnt, 0, 0, errstr,
                                          errstr_size);
}

const char *rmq_mock_cluster_namesrv_addr(const rmq_mock_cluster_t *mc) {
        return mc ? mc->namesrv_addr : NULL;
}

int rmq_mock_cluster_broker_cnt(const rmq_mock_cluster_t *mc) {
        return mc ? mc->broker_cnt : 0;
}

const char *rmq_mock_broker_addr(const rmq_mock_cluster_t *mc,
                                 int broker_id) {
        if (!mc || broker_id < 0 || broker_id >= mc->broker_cnt)
                return NULL;
        return mc->brokers[broker_id]->ep.addr;
}

const char *rmq_mock_broker_name(const rmq_mock_cluster_t *mc,
                                 int broker_id) {
        if (!mc || broker_id < 0 || broker_id >= mc->broker_cnt)
                return NULL;
        return mc->brokers[broker_id]->name;
}

/* ---- topics ---- */

typedef struct topic_args_s {
        rmq_mock_cluster_t *mc;
        const char *topic;
        int broker_id;
        int read_queues, write_queues, perm;
        bool set_perm;
        rmq_err_t err;
} topic_args_t;

static void topic_on_loop(rmq_io_t *io, void *arg) {
        topic_args_t *a        = arg;
        rmq_mock_cluster_t *mc = a->mc;
        int i;
        bool found = false;
        RMQ_UNUSED(io);
        for (i = 0; i < mc->broker_cnt; i++) {
                rmq_mock_broker_t *mb = mc->brokers[i];
                rmq_mock_topic_t *t;
                if (a->broker_id >= 0 && a->broker_id != i)
                        continue;
                t = rmq__mock_topic_get(mb, a->topic);
                if (a->set_perm) {
                        if (t) {
                                t->perm = a->perm;
                                found   = true;
                        }
                        continue;
                }
                rmq__mock_topic_put(mb, a->topic, a->read_queues,
                                    a->write_queues,
                                    t ? t->perm
                                      : RMQ_PERM_READ | RMQ_PERM_WRITE,
                                    t ? t->sys_flag : 0);
                found = true;
        }
        a->err = found ? RMQ_OK : RMQ_ERR__NOT_FOUND;
}

static bool broker_arg_ok(const rmq_mock_cluster_t *mc, int broker_id) {
        return broker_id == -1 || (broker_id >= 0 && broker_id < mc->broker_cnt);
}

rmq_err_t rmq_mock_topic_create(rmq_mock_cluster_t *mc, const char *topic,
                                int broker_id, int read_queues,
                                int write_queues) {
        topic_args_t a;
        if (!mc || !topic || !*topic || rmq__name_illegal(topic) ||
            strlen(topic) > RMQ_TOPIC_MAX_LENGTH || !broker_arg_ok(mc, broker_id) ||
            read_queues < 0 || write_queues < 0 || read_queues > 65536 ||
            write_queues > 65536)
                return RMQ_ERR__INVALID_ARG;
        memset(&a, 0, sizeof(a));
        a.mc           = mc;
        a.topic        = topic;
        a.broker_id    = broker_id;
        a.read_queues  = read_queues;
        a.write_queues = write_queues;
        if (rmq__io_call(mc->io, topic_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return a.err;
}

rmq_err_t rmq_mock_topic_set_perm(rmq_mock_cluster_t *mc, const char *topic,
                                  int broker_id, int perm) {
        topic_args_t a;
        if (!mc || !topic || !broker_arg_ok(mc, broker_id) || perm < 0 ||
            perm > 15)
                return RMQ_ERR__INVALID_ARG;
        memset(&a, 0, sizeof(a));
        a.mc        = mc;
        a.topic     = topic;
        a.broker_id = broker_id;
        a.perm      = perm;
        a.set_perm  = true;
        if (rmq__io_call(mc->io, topic_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return a.err;
}

typedef struct truncate_args_s {
        rmq_mock_cluster_t *mc;
        const char *topic;
        int broker_id;
        int queue_id;
        int64_t min_offset;
        rmq_err_t err;
} truncate_args_t;

static void truncate_on_loop(rmq_io_t *io, void *arg) {
        truncate_args_t *a    = arg;
        rmq_mock_broker_t *mb = a->mc->brokers[a->broker_id];
        rmq_mock_topic_t *t   = rmq__mock_topic_get(mb, a->topic);
        rmq_mock_queue_t *q   = t ? rmq__mock_queue(t, a->queue_id) : NULL;
        RMQ_UNUSED(io);
        if (!q) {
                a->err = RMQ_ERR__NOT_FOUND;
                return;
        }
        rmq__mock_queue_truncate(mb, q, a->min_offset);
}

rmq_err_t rmq_mock_queue_truncate(rmq_mock_cluster_t *mc, const char *topic,
                                  int broker_id, int queue_id,
                                  int64_t min_offset) {
        truncate_args_t a = {mc, topic, broker_id, queue_id, min_offset,
                             RMQ_OK};
        if (!mc || !topic || broker_id < 0 || broker_id >= mc->broker_cnt ||
            min_offset < 0)
                return RMQ_ERR__INVALID_ARG;
        if (rmq__io_call(mc->io, truncate_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return a.err;
}

/* ---- fault injection API ---- */

typedef struct fault_args_s {
        rmq_mock_cluster_t *mc;
        rmq_mock_fault_t *f;
} fault_args_t;

static void push_fault_on_loop(rmq_io_t *io, void *arg) {
        fault_args_t *a = arg;
        RMQ_UNUSED(io);
        rmq__list_insert_tail(&a->mc->faults, &a->f->link);
        a->f = NULL;
}

void rmq_mock_push_request_errors_array(rmq_mock_cluster_t *mc, int broker_id,
                                        int request_code, size_t cnt,
                                        const int *errors) {
        fault_args_t a;
        if (!mc || cnt == 0 || !errors ||
            (broker_id != -2 && !broker_arg_ok(mc, broker_id)))
                return;
        a.mc        = mc;
        a.f         = rmq__calloc(1, sizeof(*a.f));
        a.f->target = broker_id;
        a.f->code   = request_code;
        a.f->cnt    = cnt;
        a.f->errs   = rmq__malloc(cnt * sizeof(int));
        memcpy(a.f->errs, errors, cnt * sizeof(int));
        rmq__io_call(mc->io, push_fault_on_loop, &a);
        if (a.f) {
                rmq__free(a.f->errs);
                rmq__free(a.f);
        }
}

void rmq_mock_push_request_errors(rmq_mock_cluster_t *mc, int broker_id,
                                  int request_code, size_t cnt, ...) {
        int *errs;
        size_t i;
        va_list ap;
        if (!mc || cnt == 0 || cnt > 100000)
                return;
        errs = rmq__malloc(cnt * sizeof(int));
        va_start(ap, cnt);
        for (i = 0; i < cnt; i++)
                errs[i] = va_arg(ap, int);
        va_end(ap);
        rmq_mock_push_request_errors_array(mc, broker_id, request_code, cnt,
                                           errs);
        rmq__free(errs);
}

static void clear_faults_on_loop(rmq_io_t *io, void *arg) {
        RMQ_UNUSED(io);
        faults_clear(arg);
}

void rmq_mock_clear_request_errors(rmq_mock_cluster_t *mc) {
        if (mc)
                rmq__io_call(mc->io, clear_faults_on_loop, mc);
}

typedef struct ep_args_s {
        rmq_mock_cluster_t *mc;
        int id;
        int value;
        rmq_err_t err;
} ep_args_t;

static rmq_mock_ep_t *ep_by_id(rmq_mock_cluster_t *mc, int id) {
        if (id == RMQ_MOCK_NAMESRV_ID)
                return &mc->namesrv;
        if (id >= 0 && id < mc->broker_cnt)
                return &mc->brokers[id]->ep;
        return NULL;
}

static void rtt_on_loop(rmq_io_t *io, void *arg) {
        ep_args_t *a      = arg;
        rmq_mock_ep_t *ep = ep_by_id(a->mc, a->id);
        RMQ_UNUSED(io);
        ep->rtt_ms = a->value;
}

rmq_err_t rmq_mock_broker_set_rtt(rmq_mock_cluster_t *mc, int broker_id,
                                  int rtt_ms) {
        ep_args_t a = {mc, broker_id, rtt_ms, RMQ_OK};
        if (!mc || !ep_by_id(mc, broker_id) || rtt_ms < 0)
                return RMQ_ERR__INVALID_ARG;
        if (rmq__io_call(mc->io, rtt_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return RMQ_OK;
}

static void down_on_loop(rmq_io_t *io, void *arg) {
        ep_args_t *a          = arg;
        rmq_mock_broker_t *mb = a->mc->brokers[a->id];
        RMQ_UNUSED(io);
        if (!mb->ep.up)
                return;
        rmq__mock_pull_drop(mb, NULL);
        rmq__remoting_unlisten(mb->ep.rm);
        mb->ep.up = false;
        /* A stopped broker runs no schedule and no transaction checks
         * (their timers do nothing until it is up); its queue locks lived
         * in memory (RebalanceLockManager) and are gone. Messages,
         * offsets and the schedule and half queues are kept. */
        rmq__strmap_clear(&mb->locks, rmq__mock_lock_free);
        rmq__log(&a->mc->lg, RMQ_LOG_INFO, "MOCK", "broker %s (%s) is down",
                 mb->name, mb->ep.addr);
}

static void up_on_loop(rmq_io_t *io, void *arg) {
        ep_args_t *a          = arg;
        rmq_mock_broker_t *mb = a->mc->brokers[a->id];
        int bound             = 0;
        RMQ_UNUSED(io);
        if (mb->ep.up)
                return;
        if (rmq__remoting_listen(mb->ep.rm, "127.0.0.1", mb->ep.port, &bound)) {
                a->err = RMQ_ERR__TRANSPORT;
                return;
        }
        mb->ep.up = true;
        rmq__mock_sched_rearm(mb); /* overdue messages go out now */
        rmq__log(&a->mc->lg, RMQ_LOG_INFO, "MOCK", "broker %s (%s) is up",
                 mb->name, mb->ep.addr);
}

rmq_err_t rmq_mock_broker_set_down(rmq_mock_cluster_t *mc, int broker_id) {
        ep_args_t a = {mc, broker_id, 0, RMQ_OK};
        if (!mc || broker_id < 0 || broker_id >= mc->broker_cnt)
                return RMQ_ERR__INVALID_ARG;
        if (rmq__io_call(mc->io, down_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return a.err;
}

rmq_err_t rmq_mock_broker_set_up(rmq_mock_cluster_t *mc, int broker_id) {
        ep_args_t a = {mc, broker_id, 0, RMQ_OK};
        if (!mc || broker_id < 0 || broker_id >= mc->broker_cnt)
                return RMQ_ERR__INVALID_ARG;
        if (rmq__io_call(mc->io, up_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return a.err;
}

static void registered_on_loop(rmq_io_t *io, void *arg) {
        ep_args_t *a = arg;
        RMQ_UNUSED(io);
        a->mc->brokers[a->id]->registered = a->value != 0;
}

rmq_err_t rmq_mock_broker_set_registered(rmq_mock_cluster_t *mc,
                                         int broker_id, int registered) {
        ep_args_t a = {mc, broker_id, registered, RMQ_OK};
        if (!mc || broker_id < 0 || broker_id >= mc->broker_cnt)
                return RMQ_ERR__INVALID_ARG;
        if (rmq__io_call(mc->io, registered_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return RMQ_OK;
}

static void close_conns_on_loop(rmq_io_t *io, void *arg) {
        ep_args_t *a = arg;
        int i;
        RMQ_UNUSED(io);
        if (a->id == -2 || a->id == -3)
                rmq__remoting_close_channel(a->mc->namesrv.rm, NULL);
        for (i = 0; i < a->mc->broker_cnt; i++) {
                rmq_mock_broker_t *mb = a->mc->brokers[i];
                if (a->id == -1 || a->id == -3 || a->id == i) {
                        rmq__mock_pull_drop(mb, NULL);
                        rmq__remoting_close_channel(mb->ep.rm, NULL);
                }
        }
}

void rmq_mock_close_connections(rmq_mock_cluster_t *mc, int broker_id) {
        ep_args_t a = {mc, broker_id, 0, RMQ_OK};
        if (!mc || broker_id < -3 || broker_id >= mc->broker_cnt)
                return;
        rmq__io_call(mc->io, close_conns_on_loop, &a);
}

typedef struct group_args_s {
        rmq_mock_cluster_t *mc;
        const char *group;
        int broker_id;
        rmq_err_t err;
        char **ids;
        size_t cnt;
} group_args_t;

static void notify_on_loop(rmq_io_t *io, void *arg) {
        group_args_t *a = arg;
        int i;
        RMQ_UNUSED(io);
        a->err = RMQ_ERR__NOT_FOUND;
        for (i = 0; i < a->mc->broker_cnt; i++) {
                rmq_mock_broker_t *mb = a->mc->brokers[i];
                rmq_mock_group_t *g   = rmq__strmap_get(&mb->consumers,
                                                        a->group);
                if (!g || !g->client_cnt)
                        continue;
                rmq__mock_notify_ids_changed(mb, g);
                a->err = RMQ_OK;
        }
}

rmq_err_t rmq_mock_group_notify_ids_changed(rmq_mock_cluster_t *mc,
                                            const char *group) {
        group_args_t a;
        if (!mc || !group)
                return RMQ_ERR__INVALID_ARG;
        memset(&a, 0, sizeof(a));
        a.mc    = mc;
        a.group = group;
        if (rmq__io_call(mc->io, notify_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return a.err;
}

typedef struct reset_args_s {
        rmq_mock_cluster_t *mc;
        const char *group;
        const char *topic;
        int64_t timestamp;
        bool force;
        rmq_err_t err;
} reset_args_t;

/* DefaultMQAdminExtImpl#resetOffsetByTimestamp: the brokers of the
 * topic's route in turn, stopping at the first failure. */
static void reset_on_loop(rmq_io_t *io, void *arg) {
        reset_args_t *a = arg;
        int i;
        RMQ_UNUSED(io);
        a->err = RMQ_ERR_TOPIC_NOT_EXIST;
        for (i = 0; i < a->mc->broker_cnt; i++) {
                rmq_mock_broker_t *mb = a->mc->brokers[i];
                rmq_cmd_t *resp;
                if (!mb->registered || !rmq__mock_topic_get(mb, a->topic))
                        continue;
                if (!mb->ep.up) {
                        a->err = RMQ_ERR__TRANSPORT;
                        return;
                }
                resp   = rmq__mock_reset_offset(mb, a->topic, a->group,
                                                a->timestamp, a->force, false);
                a->err = (rmq_err_t)resp->code;
                rmq__cmd_destroy(resp);
                if (a->err)
                        return;
        }
}

rmq_err_t rmq_mock_group_reset_offset(rmq_mock_cluster_t *mc, const char *group,
                                      const char *topic, int64_t timestamp_ms,
                                      int force) {
        reset_args_t a;
        if (!mc || !group || !topic)
                return RMQ_ERR__INVALID_ARG;
        memset(&a, 0, sizeof(a));
        a.mc        = mc;
        a.group     = group;
        a.topic     = topic;
        a.timestamp = timestamp_ms;
        a.force     = force != 0;
        if (rmq__io_call(mc->io, reset_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return a.err;
}

/* ---- tracking API ---- */

void rmq_mock_start_request_tracking(rmq_mock_cluster_t *mc) {
        if (!mc)
                return;
        uv_mutex_lock(&mc->track_lock);
        mc->tracking  = true;
        mc->count_cnt = 0;
        uv_mutex_unlock(&mc->track_lock);
}

void rmq_mock_stop_request_tracking(rmq_mock_cluster_t *mc) {
        if (!mc)
                return;
        uv_mutex_lock(&mc->track_lock);
        mc->tracking  = false;
        mc->count_cnt = 0;
        uv_mutex_unlock(&mc->track_lock);
}

size_t rmq_mock_request_count(rmq_mock_cluster_t *mc, int broker_id,
                              int request_code) {
        size_t i, n = 0;
        if (!mc)
                return 0;
        uv_mutex_lock(&mc->track_lock);
        for (i = 0; i < mc->count_cnt; i++) {
                const rmq_mock_count_t *c = &mc->counts[i];
                if (c->code != request_code)
                        continue;
                if (broker_id == -3 || c->target == broker_id ||
                    (broker_id == -1 && c->target >= 0))
                        n += c->cnt;
        }
        uv_mutex_unlock(&mc->track_lock);
        return n;
}

/* ---- inspection ---- */

typedef struct insp_args_s {
        rmq_mock_cluster_t *mc;
        const char *topic;
        const char *group;
        int broker_id;
        int queue_id;
        int64_t offset;
        int64_t result;
        rmq_mock_msg_t *msg;
        char *dst;
        size_t dst_size;
} insp_args_t;

static void max_offset_on_loop(rmq_io_t *io, void *arg) {
        insp_args_t *a = arg;
        rmq_mock_topic_t *t;
        RMQ_UNUSED(io);
        a->result = -1;
        t = rmq__mock_topic_get(a->mc->brokers[a->broker_id], a->topic);
        if (t && a->queue_id >= 0 && (size_t)a->queue_id < t->queue_cnt)
                a->result = rmq__mock_queue_max(&t->queues[a->queue_id]);
}

int64_t rmq_mock_queue_max_offset(rmq_mock_cluster_t *mc, const char *topic,
                                  int broker_id, int queue_id) {
        insp_args_t a;
        if (!mc || !topic || broker_id < 0 || broker_id >= mc->broker_cnt)
                return -1;
        memset(&a, 0, sizeof(a));
        a.mc        = mc;
        a.topic     = topic;
        a.broker_id = broker_id;
        a.queue_id  = queue_id;
        if (rmq__io_call(mc->io, max_offset_on_loop, &a))
                return -1;
        return a.result;
}

static void count_on_loop(rmq_io_t *io, void *arg) {
        insp_args_t *a = arg;
        int i;
        size_t q;
        RMQ_UNUSED(io);
        for (i = 0; i < a->mc->broker_cnt; i++) {
                rmq_mock_topic_t *t = rmq__mock_topic_get(a->mc->brokers[i],
                                                          a->topic);
                for (q = 0; t && q < t->queue_cnt; q++)
                        a->result += (int64_t)t->queues[q].cnt;
        }
}

int64_t rmq_mock_topic_message_count(rmq_mock_cluster_t *mc,
                                     const char *topic) {
        insp_args_t a;
        if (!mc || !topic)
                return 0;
        memset(&a, 0, sizeof(a));
        a.mc    = mc;
        a.topic = topic;
        if (rmq__io_call(mc->io, count_on_loop, &a))
                return 0;
        return a.result;
}

/* The public copy of a stored message. */
struct rmq_mock_msg_s {
        char *topic;
        uint8_t *body;
        size_t body_len;
        rmq_mock_props_t props;
        char msg_id[RMQ_OFFSET_MSG_ID_MAX + 1];
        int queue_id;
        int64_t queue_offset;
        int32_t flag;
        int32_t sys_flag;
        int32_t reconsume_times;
        int64_t born_ts;
        int64_t store_ts;
};

static rmq_mock_msg_t *msg_copy(const rmq_mock_cluster_t *mc,
                                const rmq_mock_stored_t *sm) {
        rmq_mock_msg_t *m = rmq__calloc(1, sizeof(*m));
        rmq_msg_view_t mv;
        uint8_t *plain = NULL;
        size_t plain_len;
        rmq__mock_stored_view(sm, &mv);
        m->topic = rmq__strndup(mv.topic, mv.topicLen);
        if ((mv.sysFlag & RMQ_SYSFLAG_COMPRESSED) &&
            !rmq__msg_body_decompress(mv.sysFlag, mv.body, mv.bodyLen,
                                      (size_t)mc->opts.maxMessageSize * 4 +
                                          (1 << 20),
                                      &plain, &plain_len)) {
                m->body     = plain;
                m->body_len = plain_len;
        } else {
                m->body = rmq__malloc(mv.bodyLen + 1);
                if (mv.bodyLen)
                        memcpy(m->body, mv.body, mv.bodyLen);
                m->body_len = mv.bodyLen;
        }
        rmq__mock_props_parse(&m->props, mv.properties, mv.propertiesLen);
        rmq__mock_stored_msg_id(sm, m->msg_id);
        m->queue_id        = mv.queueId;
        m->queue_offset    = mv.queueOffset;
        m->flag            = mv.flag;
        m->sys_flag        = mv.sysFlag;
        m->reconsume_times = mv.reconsumeTimes;
        m->born_ts         = mv.bornTimestamp;
        m->store_ts        = mv.storeTimestamp;
        return m;
}

static void msg_get_on_loop(rmq_io_t *io, void *arg) {
        insp_args_t *a = arg;
        int i;
        RMQ_UNUSED(io);
        for (i = 0; i < a->mc->broker_cnt; i++) {
                rmq_mock_topic_t *t;
                rmq_mock_stored_t *sm;
                if (a->broker_id >= 0 && a->broker_id != i)
                        continue;
                t = rmq__mock_topic_get(a->mc->brokers[i], a->topic);
                if (!t || a->queue_id < 0 ||
                    (size_t)a->queue_id >= t->queue_cnt)
                        continue;
                sm = rmq__mock_queue_at(&t->queues[a->queue_id], a->offset);
                if (sm) {
                        a->msg = msg_copy(a->mc, sm);
                        return;
                }
        }
}

rmq_err_t rmq_mock_message_get(rmq_mock_cluster_t *mc, const char *topic,
                               int broker_id, int queue_id, int64_t offset,
                               rmq_mock_msg_t **msgp) {
        insp_args_t a;
        if (!msgp)
                return RMQ_ERR__INVALID_ARG;
        *msgp = NULL;
        if (!mc || !topic || !broker_arg_ok(mc, broker_id))
                return RMQ_ERR__INVALID_ARG;
        memset(&a, 0, sizeof(a));
        a.mc        = mc;
        a.topic     = topic;
        a.broker_id = broker_id;
        a.queue_id  = queue_id;
        a.offset    = offset;
        if (rmq__io_call(mc->io, msg_get_on_loop, &a))
                return RMQ_ERR__DESTROY;
        *msgp = a.msg;
        return a.msg ? RMQ_OK : RMQ_ERR__NOT_FOUND;
}

void rmq_mock_msg_destroy(rmq_mock_msg_t *msg) {
        if (!msg)
                return;
        rmq__free(msg->topic);
        rmq__free(msg->body);
        rmq__mock_props_clear(&msg->props);
        rmq__free(msg);
}

const char *rmq_mock_msg_topic(const rmq_mock_msg_t *msg) {
        return msg->topic;
}

const void *rmq_mock_msg_body(const rmq_mock_msg_t *msg, size_t *lenp) {
        if (lenp)
                *lenp = msg->body_len;
        return msg->body;
}

const char *rmq_mock_msg_property(const rmq_mock_msg_t *msg,
                                  const char *name) {
        return name ? rmq__mock_props_get(&msg->props, name) : NULL;
}

const char *rmq_mock_msg_offset_msg_id(const rmq_mock_msg_t *msg) {
        return msg->msg_id;
}

int rmq_mock_msg_queue_id(const rmq_mock_msg_t *msg) {
        return msg->queue_id;
}

int64_t rmq_mock_msg_queue_offset(const rmq_mock_msg_t *msg) {
        return msg->queue_offset;
}

int32_t rmq_mock_msg_flag(const rmq_mock_msg_t *msg) {
        return msg->flag;
}

int32_t rmq_mock_msg_sys_flag(const rmq_mock_msg_t *msg) {
        return msg->sys_flag;
}

int32_t rmq_mock_msg_reconsume_times(const rmq_mock_msg_t *msg) {
        return msg->reconsume_times;
}

int64_t rmq_mock_msg_born_timestamp(const rmq_mock_msg_t *msg) {
        return msg->born_ts;
}

int64_t rmq_mock_msg_store_timestamp(const rmq_mock_msg_t *msg) {
        return msg->store_ts;
}

static void committed_on_loop(rmq_io_t *io, void *arg) {
        insp_args_t *a = arg;
        RMQ_UNUSED(io);
        a->result = rmq__mock_offset_get(a->mc->brokers[a->broker_id],
                                         a->group, a->topic, a->queue_id);
}

int64_t rmq_mock_committed_offset(rmq_mock_cluster_t *mc, const char *group,
                                  const char *topic, int broker_id,
                                  int queue_id) {
        insp_args_t a;
        if (!mc || !group || !topic || broker_id < 0 ||
            broker_id >= mc->broker_cnt)
                return -1;
        memset(&a, 0, sizeof(a));
        a.mc        = mc;
        a.group     = group;
        a.topic     = topic;
        a.broker_id = broker_id;
        a.queue_id  = queue_id;
        if (rmq__io_call(mc->io, committed_on_loop, &a))
                return -1;
        return a.result;
}

static void add_ids(group_args_t *a, const rmq_mock_group_t *g) {
        size_t i, j;
        for (i = 0; g && i < g->client_cnt; i++) {
                bool dup = false;
                for (j = 0; j < a->cnt; j++)
                        if (!strcmp(a->ids[j], g->clients[i].client_id))
                                dup = true;
                if (dup)
                        continue;
                a->ids = rmq__realloc(a->ids, (a->cnt + 1) * sizeof(char *));
                a->ids[a->cnt++] = rmq__strdup(g->clients[i].client_id);
        }
}

static void members_on_loop(rmq_io_t *io, void *arg) {
        group_args_t *a = arg;
        int i;
        RMQ_UNUSED(io);
        for (i = 0; i < a->mc->broker_cnt; i++) {
                rmq_mock_broker_t *mb = a->mc->brokers[i];
                if (a->broker_id >= 0 && a->broker_id != i)
                        continue;
                add_ids(a, rmq__strmap_get(&mb->consumers, a->group));
                add_ids(a, rmq__strmap_get(&mb->producers, a->group));
        }
}

rmq_err_t rmq_mock_group_members(rmq_mock_cluster_t *mc, const char *group,
                                 int broker_id, char ***idsp, size_t *cntp) {
        group_args_t a;
        if (!idsp || !cntp)
                return RMQ_ERR__INVALID_ARG;
        *idsp = NULL;
        *cntp = 0;
        if (!mc || !group || !broker_arg_ok(mc, broker_id))
                return RMQ_ERR__INVALID_ARG;
        memset(&a, 0, sizeof(a));
        a.mc        = mc;
        a.group     = group;
        a.broker_id = broker_id;
        if (rmq__io_call(mc->io, members_on_loop, &a)) {
                rmq_mock_strings_destroy(a.ids, a.cnt);
                return RMQ_ERR__DESTROY;
        }
        *idsp = a.ids;
        *cntp = a.cnt;
        return RMQ_OK;
}

void rmq_mock_strings_destroy(char **v, size_t cnt) {
        size_t i;
        if (!v)
                return;
        for (i = 0; i < cnt; i++)
                rmq__free(v[i]);
        rmq__free(v);
}

static void lock_owner_on_loop(rmq_io_t *io, void *arg) {
        insp_args_t *a        = arg;
        rmq_mock_broker_t *mb = a->mc->brokers[a->broker_id];
        const char *owner;
        RMQ_UNUSED(io);
        owner = rmq__mock_lock_owner(mb, a->group, a->topic, mb->name,
                                     a->queue_id);
        a->result = owner != NULL;
        if (owner && a->dst && a->dst_size)
                rmq__strlcpy(a->dst, owner, a->dst_size);
}

int rmq_mock_queue_lock_owner(rmq_mock_cluster_t *mc, const char *group,
                              const char *topic, int broker_id, int queue_id,
                              char *dst, size_t dst_size) {
        insp_args_t a;
        if (!mc || !group || !topic || broker_id < 0 ||
            broker_id >= mc->broker_cnt)
                return 0;
        memset(&a, 0, sizeof(a));
        a.mc        = mc;
        a.group     = group;
        a.topic     = topic;
        a.broker_id = broker_id;
        a.queue_id  = queue_id;
        a.dst       = dst;
        a.dst_size  = dst_size;
        if (rmq__io_call(mc->io, lock_owner_on_loop, &a))
                return 0;
        return (int)a.result;
}

static void half_count_on_loop(rmq_io_t *io, void *arg) {
        insp_args_t *a = arg;
        RMQ_UNUSED(io);
        a->result = rmq__mock_half_count(a->mc);
}

int64_t rmq_mock_half_message_count(rmq_mock_cluster_t *mc) {
        insp_args_t a;
        if (!mc)
                return 0;
        memset(&a, 0, sizeof(a));
        a.mc = mc;
        if (rmq__io_call(mc->io, half_count_on_loop, &a))
                return 0;
        return a.result;
}
