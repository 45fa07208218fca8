/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin requests a broker carries out by asking consumer clients
 * (Broker2Client and AdminBrokerProcessor#callConsumer):
 * GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY forwarded to one
 * client, INVOKE_BROKER_TO_RESET_OFFSET (RESET_CONSUMER_CLIENT_OFFSET sent
 * oneway to the group's clients) and INVOKE_BROKER_TO_GET_CONSUMER_STATUS
 * (GET_CONSUMER_STATUS_FROM_CLIENT asked of the group's clients).
 *
 * The broker waits for the clients synchronously on a processor thread;
 * the mock must not block its loop, so it keeps the admin's request,
 * asks the clients asynchronously and answers the admin when every client
 * has answered or timed out.
 */
#include <ctype.h>
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_running_info.h"
#include "protocol/rmq_java_util.h"
#include "protocol/rmq_jsonw.h"

/* MQVersion.Version.V3_0_7_SNAPSHOT.ordinal(): the oldest client the
 * broker resets or asks for its status. */
#define V3_0_7_SNAPSHOT 28
/* MQVersion.Version.V3_1_8_SNAPSHOT.ordinal(): the oldest client a
 * request is forwarded to (callConsumer). */
#define V3_1_8_SNAPSHOT 62
/* Broker2Client#callClient waits this long. */
#define CALL_CLIENT_TIMEOUT_MS 10000
/* Broker2Client#getConsumeStatus waits this long for each client. */
#define CONSUMER_STATUS_TIMEOUT_MS 5000
/* Broker2Client#resetOffset's invokeOneway timeout. */
#define RESET_ONEWAY_TIMEOUT_MS 5000

/* mirrors MQVersion#getVersionDesc for 0 <= \p v < V3_1_8_SNAPSHOT, the
 * only ordinals the broker names: MQVersion.Version starts with 16
 * V3_0_0 pre-releases, then a _SNAPSHOT and a release of each of
 * V3_0_1..V3_0_15 and V3_1_0..V3_1_9, ... */
static void version_desc(int32_t v, char *dst, size_t size) {
        static const char *const v300[] = {
            "SNAPSHOT", "ALPHA1",         "BETA1", "BETA2",
            "BETA3",    "BETA4",          "BETA5", "BETA6_SNAPSHOT",
            "BETA6",    "BETA7_SNAPSHOT", "BETA7", "BETA8_SNAPSHOT",
            "BETA8",    "BETA9_SNAPSHOT", "BETA9", "FINAL"};
        int minor = 0, patch;
        if ((size_t)v < RMQ_ARRAY_SIZE(v300)) {
                snprintf(dst, size, "V3_0_0_%s", v300[v]);
                return;
        }
        v -= (int32_t)RMQ_ARRAY_SIZE(v300);
        patch = 1 + v / 2; /* V3_0_1 .. V3_0_15 */
        if (v >= 30) {
                minor = 1;
                patch = (v - 30) / 2;
        }
        snprintf(dst, size, "V3_%d_%d%s", minor, patch,
                 v % 2 ? "" : "_SNAPSHOT");
}

/* The SYSTEM_ERROR a negative version gives: getVersionDesc throws. */
static rmq_cmd_t *bad_version_error(int32_t version) {
        char remark[96];
        snprintf(remark, sizeof(remark),
                 "java.lang.ArrayIndexOutOfBoundsException: %d", (int)version);
        return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
}

/* Broker2Client's refusal of a client older than V3_0_7_SNAPSHOT. */
static rmq_cmd_t *unsupported_client_error(int32_t version) {
        char remark[128], desc[32];
        if (version < 0)
                return bad_version_error(version);
        version_desc(version, desc, sizeof(desc));
        snprintf(remark, sizeof(remark),
                 "the client does not support this feature. version=%s", desc);
        return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
}

/* A request the broker starts (RemotingCommand.createRequestCommand):
 * JSON, language JAVA, the broker's version. */
static rmq_cmd_t *broker_request(int code) {
        rmq_cmd_t *req = rmq__cmd_new_request(code);
        req->language  = RMQ_LANG_JAVA;
        req->version   = RMQ_MOCK_VERSION;
        return req;
}

/* ---- callConsumer: one request forwarded to one client ---- */

/* An admin request forwarded to a client. */
typedef struct call_client_s {
        rmq_mock_ep_t *ep;
        rmq_channel_t *ch; /* the admin's */
        rmq_cmd_t *req;    /* the admin's */
        char *group;
        char *client_id;
} call_client_t;

static void call_client_free(call_client_t *cc) {
        rmq__channel_release(cc->ch);
        rmq__cmd_destroy(cc->req);
        rmq__free(cc->group);
        rmq__free(cc->client_id);
        rmq__free(cc);
}

/* The client's answer as the broker writes it back: the same command
 * (code, remark, ext fields, body, language, version), with the admin's
 * opaque and serialize type. */
static rmq_cmd_t *answer_copy(const rmq_cmd_t *cresp) {
        rmq_cmd_t *resp = rmq__cmd_new_response(cresp->code, NULL);
        uint32_t i;
        if (cresp->remark)
                rmq__cmd_set_remark(resp, cresp->remark);
        for (i = 0; i < cresp->ext_cnt; i++)
                rmq__cmd_ext_append_dup(resp, cresp->ext[i].key,
                                        cresp->ext[i].val, cresp->ext[i].vlen);
        resp->ext_present = cresp->ext_present;
        resp->language    = cresp->language;
        resp->version     = cresp->version;
        if (cresp->body_len)
                rmq__cmd_set_body_copy(resp, cresp->body, cresp->body_len);
        return resp;
}

static void call_client_done(rmq_err_t err, rmq_cmd_t *cresp,
                             const char *errstr, void *opaque) {
        call_client_t *cc = opaque;
        rmq_cmd_t *resp;
        char remark[512];
        if (err == RMQ_ERR__TIMED_OUT) {
                snprintf(remark, sizeof(remark),
                         "consumer <%s> <%s> Timeout: "
                         "org.apache.rocketmq.remoting.exception."
                         "RemotingTimeoutException: %s",
                         cc->group, cc->client_id, errstr ? errstr : "");
                resp = rmq__mock_response(RMQ_ERR_CONSUME_MSG_TIMEOUT, remark);
        } else if (err) {
                snprintf(remark, sizeof(remark),
                         "invoke consumer <%s> <%s> Exception: %s", cc->group,
                         cc->client_id, errstr ? errstr : rmq_err2str(err));
                resp = rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        } else {
                rmq__mock_reply_forwarded(cc->ep, cc->ch, cc->req,
                                          answer_copy(cresp));
                call_client_free(cc);
                return;
        }
        rmq__mock_reply(cc->ep, cc->ch, cc->req, resp);
        call_client_free(cc);
}

/* mirrors AdminBrokerProcessor#callConsumer: forwards the admin's request
 * (its code, ext fields and body; with \p broker_name put into the ext
 * fields and \p body instead of the admin's when given) to the client
 * \p client_id of \p group, whose answer goes back to the admin. Returns
 * the admin's answer now, or NULL when it comes later (ctx->req kept). */
static rmq_cmd_t *call_consumer(rmq_mock_ctx_t *ctx, const char *group,
                                const char *client_id, const char *broker_name,
                                const rmq_mock_stored_t *body) {
        rmq_mock_group_t *g;
        rmq_mock_client_t *c = NULL;
        call_client_t *cc;
        rmq_cmd_t *fwd;
        char remark[300];
        size_t i;
        /* ConsumerManager#findChannel (a null clientId matches nobody) */
        g = rmq__strmap_get(&ctx->mb->consumers, group);
        for (i = 0; g && client_id && i < g->client_cnt; i++)
                if (!strcmp(g->clients[i].client_id, client_id))
                        c = &g->clients[i];
        if (!c) {
                snprintf(remark, sizeof(remark),
                         "The Consumer <%s> <%s> not online", group,
                         client_id ? client_id : "null");
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        if (c->version < V3_1_8_SNAPSHOT) {
                char desc[32];
                if (c->version < 0)
                        return bad_version_error(c->version);
                version_desc(c->version, desc, sizeof(desc));
                snprintf(remark, sizeof(remark),
                         "The Consumer <%s> Version <%s> too low to finish, "
                         "please upgrade it to V3_1_8_SNAPSHOT",
                         client_id, desc);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        /* createRequestCommand(code, null) + setExtFields(the admin's
         * HashMap) + setBody */
        fwd = broker_request(ctx->req->code);
        for (i = 0; i < ctx->req->ext_cnt; i++)
                if (!broker_name || strcmp(ctx->req->ext[i].key, "brokerName"))
                        rmq__cmd_ext_append_dup(fwd, ctx->req->ext[i].key,
                                                ctx->req->ext[i].val,
                                                ctx->req->ext[i].vlen);
        if (broker_name)
                rmq__cmd_ext_add(fwd, "brokerName", broker_name);
        rmq__mock_ext_java_order(fwd);
        if (body)
                rmq__cmd_set_body_copy(fwd, body->data, body->len);
        else if (ctx->req->body_len)
                rmq__cmd_set_body_copy(fwd, ctx->req->body, ctx->req->body_len);
        cc            = rmq__calloc(1, sizeof(*cc));
        cc->ep        = ctx->ep;
        cc->ch        = rmq__channel_retain(ctx->ch);
        cc->group     = rmq__strdup(group);
        cc->client_id = rmq__strdup(client_id);
        cc->req       = ctx->req; /* the callback answers it */
        if (rmq__remoting_invoke_channel(
                ctx->ep->rm, c->ch, fwd, CALL_CLIENT_TIMEOUT_MS,
                RMQ_INVOKE_F_ON_LOOP, call_client_done, cc)) {
                cc->req = NULL; /* still the caller's */
                call_client_free(cc);
                rmq__cmd_destroy(fwd);
                snprintf(remark, sizeof(remark),
                         "invoke consumer <%s> <%s> Exception: channel closed",
                         group, client_id);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        rmq__cmd_destroy(fwd);
        ctx->req = NULL; /* answered by call_client_done */
        return NULL;
}

/* mirrors AdminBrokerProcessor#getConsumerRunningInfo */
rmq_cmd_t *rmq__mock_h_consumer_running_info(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *group, *client_id;
        rmq__mock_hdr_init(&h, ctx->req);
        group     = rmq__mock_hdr_str(&h, "consumerGroup", true);
        client_id = rmq__mock_hdr_str(&h, "clientId", true);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        return call_consumer(ctx, group, client_id, NULL, NULL);
}

/* mirrors MessageDecoder#decodeMessageId as far as the broker uses it
 * (the commit log offset; the address is ignored): a remark of the
 * exception it throws, or NULL. The ip is 8 hex digits for an id of 32
 * characters, else 32; a shorter id fails in String#substring (Java 8's
 * message). Characters that are not hex digits decode to garbage in Java:
 * here they give an offset that finds nothing (-1). */
static const char *msg_id_offset(const char *id, int64_t *offset, char *remark,
                                 size_t size) {
        size_t len, ip_len, end;
        rmq_msg_host_t host;
        if (!id)
                return "java.lang.NullPointerException";
        len    = strlen(id);
        ip_len = len == 32 ? 8 : 32;
        end    = len < ip_len       ? ip_len
                 : len < ip_len + 8 ? ip_len + 8
                                    : ip_len + 24;
        if (len < end) {
                snprintf(remark, size,
                         "java.lang.StringIndexOutOfBoundsException: String "
                         "index out of range: %zu",
                         end);
                return remark;
        }
        if (rmq__offset_msg_id_decode(id, ip_len + 24, &host, offset))
                *offset = -1;
        return NULL;
}

/* mirrors AdminBrokerProcessor#consumeMessageDirectly: the message of the
 * offset msgId (DefaultMessageStore#selectOneMessageByOffset; none is a
 * NullPointerException) is forwarded as the body, with the broker's name
 * put into the ext fields. */
rmq_cmd_t *rmq__mock_h_consume_message_directly(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *group, *client_id, *msg_id, *exc;
        rmq_mock_stored_t *sm = NULL;
        int64_t offset        = -1;
        char remark[160];
        rmq__mock_hdr_init(&h, ctx->req);
        group     = rmq__mock_hdr_str(&h, "consumerGroup", true);
        client_id = rmq__mock_hdr_str(&h, "clientId", false);
        msg_id    = rmq__mock_hdr_str(&h, "msgId", false);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        exc = msg_id_offset(msg_id, &offset, remark, sizeof(remark));
        if (!exc) {
                sm = offset >= 0 ? rmq__mock_lookup(ctx->mb, offset) : NULL;
                if (!sm)
                        exc = "java.lang.NullPointerException";
        }
        if (exc)
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, exc);
        return call_consumer(ctx, group, client_id, ctx->mb->name, sm);
}

/* ---- resetOffset ---- */

/* ResetOffsetBodyForC {"offsetTable":[MessageQueueForC...]} (members as
 * fastjson sorts them). */
static void offset_list_encode(const rmq_mq_offset_t *e, size_t n,
                               rmq_buf_t *out) {
        rmq_jsonw_t jw;
        size_t i;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_arr_open(&jw, "offsetTable");
        for (i = 0; i < n; i++) {
                rmq__jsonw_obj_open(&jw, NULL);
                rmq__jsonw_str(&jw, "brokerName", e[i].mq.brokerName);
                rmq__jsonw_i64(&jw, "offset", e[i].offset);
                rmq__jsonw_i64(&jw, "queueId", e[i].mq.queueId);
                rmq__jsonw_str(&jw, "topic", e[i].mq.topic);
                rmq__jsonw_obj_close(&jw);
        }
        rmq__jsonw_arr_close(&jw);
        rmq__jsonw_obj_close(&jw);
}

/* mirrors Broker2Client#resetOffset */
rmq_cmd_t *rmq__mock_reset_offset(rmq_mock_broker_t *mb, const char *topic,
                                  const char *group, int64_t timestamp,
                                  bool force, bool is_c) {
        rmq_mock_topic_t *t = rmq__mock_topic_get(mb, topic);
        rmq_mock_group_t *g;
        rmq_mq_offset_t *table;
        rmq_mq_t *mqs;
        int64_t *offs;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_cmd_t *req, *resp = NULL;
        char remark[512];
        size_t n, i;
        if (!t) {
                snprintf(remark, sizeof(remark),
                         "[reset-offset] reset offset failed, no topic in this "
                         "broker. topic=%s",
                         topic);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        n    = t->write_queues > 0 ? (size_t)t->write_queues : 0;
        mqs  = rmq__calloc(n + 1, sizeof(*mqs));
        offs = rmq__calloc(n + 1, sizeof(*offs));
        for (i = 0; i < n; i++) {
                rmq_mock_queue_t *q = rmq__mock_queue(t, (int32_t)i);
                int64_t consumer =
                    rmq__mock_offset_get(mb, group, topic, (int32_t)i);
                int64_t at;
                if (consumer == -1) {
                        snprintf(remark, sizeof(remark),
                                 "THe consumer group <%s> not exist", group);
                        resp = rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
                        goto out;
                }
                if (timestamp == -1)
                        at = q ? rmq__mock_queue_max(q) : 0;
                else
                        at = rmq__mock_queue_offset_by_time(q, timestamp);
                if (at < 0)
                        at = 0;
                rmq__mq_init(&mqs[i], topic, mb->name, (int32_t)i);
                offs[i] = force || at < consumer ? at : consumer;
        }
        /* the HashMap<MessageQueue, Long> filled queue by queue */
        rmq__mq_java_order(mqs, n);
        table = rmq__calloc(n + 1, sizeof(*table));
        for (i = 0; i < n; i++) {
                table[i].mq     = mqs[i];
                table[i].offset = offs[mqs[i].queueId];
        }
        /* ResetOffsetRequestHeader: isForce is never set (false). */
        req = broker_request(RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET);
        rmq__cmd_ext_add(req, "topic", topic);
        rmq__cmd_ext_add(req, "group", group);
        rmq__cmd_ext_add_i64(req, "timestamp", timestamp);
        rmq__cmd_ext_add_bool(req, "isForce", false);
        rmq__mock_ext_java_order(req);
        if (is_c)
                offset_list_encode(table, n, &body);
        else
                rmq__offset_table_encode(table, n, &body);
        rmq__mock_set_body(req, &body);
        g = rmq__strmap_get(&mb->consumers, group);
        if (!g || !g->client_cnt) {
                snprintf(remark, sizeof(remark),
                         "Consumer not online, so can not reset offset, "
                         "Group: %s Topic: %s Timestamp: %lld",
                         group, topic, (long long)timestamp);
                resp = rmq__mock_response(RMQ_ERR_CONSUMER_NOT_ONLINE, remark);
        }
        for (i = 0; !resp && i < g->client_cnt; i++) {
                rmq_mock_client_t *c = &g->clients[i];
                if (c->version < V3_0_7_SNAPSHOT) {
                        resp = unsupported_client_error(c->version);
                        break;
                }
                /* invokeOneway; a failure is only logged */
                if (!mb->ep.mc->stopping && rmq__channel_is_open(c->ch))
                        rmq__remoting_invoke_channel(mb->ep.rm, c->ch, req,
                                                     RESET_ONEWAY_TIMEOUT_MS, 0,
                                                     NULL, NULL);
        }
        rmq__cmd_destroy(req);
        if (!resp) {
                rmq__offset_table_encode(table, n, &body);
                resp = rmq__mock_response_body(&body);
        }
        rmq__free(table); /* the queues are freed with mqs */
out:
        rmq__mq_array_free(mqs, n);
        rmq__free(offs);
        return resp;
}

/* mirrors AdminBrokerProcessor#resetOffset: a CPP admin gets its clients
 * sent ResetOffsetBodyForC. */
rmq_cmd_t *rmq__mock_h_reset_offset(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *topic, *group, *force;
        int64_t timestamp;
        rmq__mock_hdr_init(&h, ctx->req);
        topic     = rmq__mock_hdr_str(&h, "topic", true);
        group     = rmq__mock_hdr_str(&h, "group", true);
        timestamp = rmq__mock_hdr_i64(&h, "timestamp", true, 0);
        force     = rmq__mock_hdr_str(&h, "isForce", true);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        return rmq__mock_reset_offset(ctx->mb, topic, group, timestamp,
                                      rmq__parse_bool(force),
                                      ctx->req->language == RMQ_LANG_CPP);
}

/* ---- getConsumeStatus ---- */

typedef struct status_call_s status_call_t;

/* One client asked. */
typedef struct status_slot_s {
        status_call_t *sc;
        char *client_id;
        rmq_channel_t *ch;      /* while the clients are asked (not retained) */
        rmq_mq_offset_t *table; /* its messageQueueTable */
        size_t table_cnt;
        bool answered; /* SUCCESS with a body that decoded */
} status_slot_t;

struct status_call_s {
        rmq_mock_ep_t *ep;
        rmq_channel_t *ch; /* the admin's */
        rmq_cmd_t *req;    /* the admin's */
        size_t pending;
        status_slot_t *slots;
        size_t slot_cnt;
};

/* GetConsumerStatusBody {"consumerTable":{clientId:{mq:offset}},
 * "messageQueueTable":{}}: HashMaps, as they iterate; consumerTable filled
 * client by client (a client id seen twice keeps its place, the later
 * value). */
static void status_encode(status_call_t *sc, rmq_buf_t *out) {
        size_t n             = 0, i, j;
        status_slot_t **uniq = rmq__calloc(sc->slot_cnt + 1, sizeof(*uniq));
        int32_t *hashes      = rmq__calloc(sc->slot_cnt + 1, sizeof(*hashes));
        size_t *order        = rmq__calloc(sc->slot_cnt + 1, sizeof(*order));
        rmq_consumer_status_group_t *tab =
            rmq__calloc(sc->slot_cnt + 1, sizeof(*tab));
        for (i = 0; i < sc->slot_cnt; i++) {
                status_slot_t *s = &sc->slots[i];
                if (!s->answered)
                        continue;
                for (j = 0; j < n; j++)
                        if (!strcmp(uniq[j]->client_id, s->client_id))
                                break;
                uniq[j] = s;
                if (j == n)
                        hashes[n++] =
                            rmq__java_hash(s->client_id, strlen(s->client_id));
        }
        rmq__java_hashset_order(hashes, n, order);
        for (i = 0; i < n; i++) {
                status_slot_t *s = uniq[order[i]];
                rmq__mq_offset_java_order(s->table, s->table_cnt);
                tab[i].group       = s->client_id;
                tab[i].offsets     = s->table;
                tab[i].offsets_cnt = s->table_cnt;
        }
        rmq__consumer_status_body_encode(NULL, 0, tab, n, out);
        rmq__free(tab);
        rmq__free(order);
        rmq__free(hashes);
        rmq__free(uniq);
}

/* One client answered or failed: the admin is answered after the last. */
static void status_release(status_call_t *sc) {
        rmq_buf_t body = RMQ_BUF_INIT;
        size_t i;
        if (--sc->pending)
                return;
        status_encode(sc, &body);
        rmq__mock_reply(sc->ep, sc->ch, sc->req,
                        rmq__mock_response_body(&body));
        for (i = 0; i < sc->slot_cnt; i++) {
                rmq__free(sc->slots[i].client_id);
                rmq__offset_table_free(sc->slots[i].table,
                                       sc->slots[i].table_cnt);
        }
        rmq__free(sc->slots);
        rmq__channel_release(sc->ch);
        rmq__cmd_destroy(sc->req);
        rmq__free(sc);
}

static void status_done(rmq_err_t err, rmq_cmd_t *cresp, const char *errstr,
                        void *opaque) {
        status_slot_t *s = opaque;
        char why[200];
        RMQ_UNUSED(errstr);
        /* SUCCESS with a body counts; other answers and exceptions (a
         * timeout, a body that does not decode) are only logged. */
        if (!err && cresp->code == RMQ_OK && cresp->body_len &&
            !rmq__offset_table_decode(cresp->body, cresp->body_len,
                                      "messageQueueTable", NULL, &s->table,
                                      &s->table_cnt, why, sizeof(why)))
                s->answered = true;
        status_release(s->sc);
}

/* mirrors AdminBrokerProcessor#getConsumerStatus and
 * Broker2Client#getConsumeStatus: the clients (or only the one whose
 * client id is the header's clientAddr) are asked at once rather than one
 * after the other, each for up to 5 s. */
rmq_cmd_t *rmq__mock_h_consumer_status(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *topic, *group, *origin;
        rmq_mock_group_t *g;
        status_call_t *sc;
        rmq_cmd_t *req;
        char remark[300];
        size_t i;
        rmq__mock_hdr_init(&h, ctx->req);
        topic  = rmq__mock_hdr_str(&h, "topic", true);
        group  = rmq__mock_hdr_str(&h, "group", true);
        origin = rmq__mock_hdr_str(&h, "clientAddr", false);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        g = rmq__strmap_get(&ctx->mb->consumers, group);
        if (!g) /* getConsumerGroupInfo(group) is null */
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR,
                                          "java.lang.NullPointerException");
        if (!g->client_cnt) {
                snprintf(remark, sizeof(remark),
                         "No Any Consumer online in the consumer group: [%s]",
                         group);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        sc          = rmq__calloc(1, sizeof(*sc));
        sc->slots   = rmq__calloc(g->client_cnt, sizeof(*sc->slots));
        sc->ep      = ctx->ep;
        sc->ch      = rmq__channel_retain(ctx->ch);
        sc->pending = 1; /* released below, once every client is asked */
        for (i = 0; i < g->client_cnt; i++) {
                const rmq_mock_client_t *c = &g->clients[i];
                bool only                  = !rmq__str_is_blank(origin);
                if (c->version < V3_0_7_SNAPSHOT) {
                        size_t k;
                        for (k = 0; k < sc->slot_cnt; k++)
                                rmq__free(sc->slots[k].client_id);
                        rmq__channel_release(sc->ch);
                        rmq__free(sc->slots);
                        rmq__free(sc);
                        return unsupported_client_error(c->version);
                }
                if (only && strcmp(origin, c->client_id))
                        continue;
                sc->slots[sc->slot_cnt].sc        = sc;
                sc->slots[sc->slot_cnt].client_id = rmq__strdup(c->client_id);
                sc->slots[sc->slot_cnt].ch        = c->ch;
                sc->slot_cnt++;
                if (only)
                        break;
        }
        sc->req  = ctx->req;
        ctx->req = NULL;
        req      = broker_request(RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT);
        rmq__cmd_ext_add(req, "topic", topic);
        rmq__cmd_ext_add(req, "group", group);
        rmq__mock_ext_java_order(req);
        for (i = 0; i < sc->slot_cnt; i++) {
                status_slot_t *s = &sc->slots[i];
                /* one request object, sent to one client after the other
                 * in Java; at once here, so each needs its own opaque */
                req->opaque = rmq__cmd_next_opaque();
                sc->pending++;
                if (rmq__remoting_invoke_channel(
                        ctx->ep->rm, s->ch, req, CONSUMER_STATUS_TIMEOUT_MS,
                        RMQ_INVOKE_F_ON_LOOP, status_done, s))
                        sc->pending--; /* the exception is only logged */
        }
        rmq__cmd_destroy(req);
        status_release(sc);
        return NULL;
}
