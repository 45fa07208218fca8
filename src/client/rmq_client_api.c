/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "client/rmq_client_api.h"
#include "common/rmq_str.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_names.h"

/* SendMessageRequestHeader field names: V1 (long) and V2 (a..n), with
 * their lengths; none needs JSON escaping. */
enum {
        F_GROUP,
        F_TOPIC,
        F_DEFAULT_TOPIC,
        F_DEFAULT_QUEUE_NUMS,
        F_QUEUE_ID,
        F_SYS_FLAG,
        F_BORN,
        F_FLAG,
        F_PROPS,
        F_RECONSUME,
        F_UNIT_MODE,
        F_MAX_RECONSUME,
        F_BATCH,
        F_BNAME,
        F_CNT
};

typedef struct hdr_name_s {
        const char *name;
        size_t len;
} hdr_name_t;

#define HN(s) {s, sizeof(s) - 1}
static const hdr_name_t hdr_names[2][F_CNT] = {
    {HN("producerGroup"), HN("topic"), HN("defaultTopic"),
     HN("defaultTopicQueueNums"), HN("queueId"), HN("sysFlag"),
     HN("bornTimestamp"), HN("flag"), HN("properties"),
     HN("reconsumeTimes"), HN("unitMode"), HN("maxReconsumeTimes"),
     HN("batch"), HN("bname")},
    {HN("a"), HN("b"), HN("c"), HN("d"), HN("e"), HN("f"), HN("g"),
     HN("h"), HN("i"), HN("j"), HN("k"), HN("l"), HN("m"), HN("n")}};
#undef HN

/* A string field, referenced; \p plain: the caller checked it needs no
 * escaping, else it is scanned at encoding. */
static void put_field(rmq_cmd_field_t *f, const hdr_name_t *n, const char *v,
                      size_t vlen, bool plain) {
        f->key  = n->name;
        f->klen = (uint32_t)n->len;
        f->kind = plain ? RMQ_CMD_FIELD_STR_PLAIN : RMQ_CMD_FIELD_STR;
        f->s    = v;
        f->slen = vlen;
}

static void put_i64(rmq_cmd_field_t *f, const hdr_name_t *n, int64_t v) {
        f->key  = n->name;
        f->klen = (uint32_t)n->len;
        f->kind = RMQ_CMD_FIELD_I64;
        f->i    = v;
}

static void put_bool(rmq_cmd_field_t *f, const hdr_name_t *n, bool v) {
        put_field(f, n, v ? "true" : "false", v ? 4 : 5, true);
}

void rmq__api_send_request_init(rmq_send_request_t *r,
                                const rmq_send_header_t *h, bool smart,
                                const void *body, size_t body_len) {
        bool v2                 = smart || h->batch;
        const hdr_name_t *names = hdr_names[v2];
        rmq_cmd_field_t *f      = r->fields;
        int32_t code            = h->batch ? RMQ_REQ_SEND_BATCH_MESSAGE
                                  : v2     ? RMQ_REQ_SEND_MESSAGE_V2
                                           : RMQ_REQ_SEND_MESSAGE;
        if (h->reply && !h->batch)
                code = v2 ? RMQ_REQ_SEND_REPLY_MESSAGE_V2
                          : RMQ_REQ_SEND_REPLY_MESSAGE;
        rmq__cmd_init_request(&r->cmd, code);
        /* Field order as the 4.9.8 client's HashMap writes them. */
        put_field(f++, &names[F_GROUP], h->producerGroup,
                  h->producerGroup_len ? h->producerGroup_len
                                       : strlen(h->producerGroup),
                  h->producerGroup_plain);
        put_field(f++, &names[F_TOPIC], h->topic,
                  h->topic_len ? h->topic_len : strlen(h->topic),
                  h->topic_plain);
        put_field(f++, &names[F_DEFAULT_TOPIC], h->defaultTopic,
                  h->defaultTopic_len ? h->defaultTopic_len
                                      : strlen(h->defaultTopic),
                  h->defaultTopic_plain);
        put_i64(f++, &names[F_DEFAULT_QUEUE_NUMS], h->defaultTopicQueueNums);
        put_i64(f++, &names[F_QUEUE_ID], h->queueId);
        put_i64(f++, &names[F_SYS_FLAG], h->sysFlag);
        put_i64(f++, &names[F_BORN], h->bornTimestamp);
        put_i64(f++, &names[F_FLAG], h->flag);
        if (h->properties)
                put_field(f++, &names[F_PROPS], h->properties,
                          h->properties_len, false);
        put_i64(f++, &names[F_RECONSUME], h->reconsumeTimes);
        put_bool(f++, &names[F_UNIT_MODE], h->unitMode);
        if (h->maxReconsumeTimes >= 0)
                put_i64(f++, &names[F_MAX_RECONSUME], h->maxReconsumeTimes);
        put_bool(f++, &names[F_BATCH], h->batch);
        if (h->bname)
                put_field(f++, &names[F_BNAME], h->bname, strlen(h->bname),
                          false);
        rmq__cmd_set_fields(&r->cmd, r->fields, (uint32_t)(f - r->fields));
        rmq__cmd_set_body_ref(&r->cmd, body, body_len);
}

rmq_cmd_t *rmq__api_send_request(const rmq_send_header_t *h, bool smart,
                                 const void *body, size_t body_len) {
        rmq_send_request_t *r = rmq__malloc(sizeof(*r));
        rmq__api_send_request_init(r, h, smart, body, body_len);
        /* as ext fields: callers look them up (the fields would be freed
         * with the command anyway: cmd is r's first member) */
        rmq__cmd_materialize(&r->cmd);
        return &r->cmd;
}

void rmq__send_result_free(rmq_send_result_t *res) {
        /* One block: the strings live behind the struct. */
        rmq__free(res);
}

/* The ext fields processSendResponse reads, found in one pass; each is the
 * first field of that name, as rmq__cmd_ext() finds it. */
typedef struct send_resp_ext_s {
        const rmq_cmd_ext_t *queue_id;
        const rmq_cmd_ext_t *queue_offset;
        const rmq_cmd_ext_t *msg_id;
        const rmq_cmd_ext_t *transaction_id;
        const rmq_cmd_ext_t *region;
        const rmq_cmd_ext_t *trace_on;
} send_resp_ext_t;

/* strcmp(e->key, key) == 0 without a call: the key is NUL-terminated
 * at klen, so comparing key's bytes and its NUL is the same test (an
 * embedded NUL included). */
static void first_of(const rmq_cmd_ext_t **slot, const rmq_cmd_ext_t *e,
                     const char *key, size_t n) {
        if (!*slot && e->klen >= n && !memcmp(e->key, key, n + 1))
                *slot = e;
}

static void send_resp_ext(const rmq_cmd_t *resp, send_resp_ext_t *x) {
        uint32_t i;
        memset(x, 0, sizeof(*x));
        for (i = 0; i < resp->ext_cnt; i++) {
                const rmq_cmd_ext_t *e = &resp->ext[i];
                switch (e->key[0]) {
                case 'q':
                        first_of(&x->queue_id, e, "queueId",
                                 sizeof("queueId") - 1);
                        first_of(&x->queue_offset, e, "queueOffset",
                                 sizeof("queueOffset") - 1);
                        break;
                case 'm':
                        first_of(&x->msg_id, e, "msgId",
                                 sizeof("msgId") - 1);
                        break;
                case 't':
                        first_of(&x->transaction_id, e, "transactionId",
                                 sizeof("transactionId") - 1);
                        break;
                case 'M':
                        first_of(&x->region, e, RMQ_PROP_MSG_REGION,
                                 sizeof(RMQ_PROP_MSG_REGION) - 1);
                        break;
                case 'T':
                        first_of(&x->trace_on, e, RMQ_PROP_TRACE_ON,
                                 sizeof(RMQ_PROP_TRACE_ON) - 1);
                        break;
                default:
                        break;
                }
        }
}

/* Copies \p s (\p n bytes and a NUL) to \p *pp and advances it. */
static char *put_str(char **pp, const char *s, size_t n) {
        char *d = *pp;
        memcpy(d, s, n);
        d[n] = '\0';
        *pp += n + 1;
        return d;
}

rmq_err_t rmq__api_process_send_response(const rmq_cmd_t *resp,
                                         const char *topic,
                                         const char *broker_name,
                                         const char *uniq_msg_id,
                                         const char *addr,
                                         rmq_send_result_t **resultp,
                                         char *errstr, size_t errstr_size) {
        rmq_send_status_t status;
        rmq_send_result_t *res;
        send_resp_ext_t x;
        int64_t qid = 0, off = 0;
        const char *msg_id, *off_id, *txn, *region;
        size_t l_msg, l_off = 0, l_topic, l_broker, l_txn = 0, l_region;
        char *p;
        *resultp = NULL;
        switch (resp->code) {
        case RMQ_ERR_FLUSH_DISK_TIMEOUT:
                status = RMQ_FLUSH_DISK_TIMEOUT;
                break;
        case RMQ_ERR_FLUSH_SLAVE_TIMEOUT:
                status = RMQ_FLUSH_SLAVE_TIMEOUT;
                break;
        case RMQ_ERR_SLAVE_NOT_AVAILABLE:
                status = RMQ_SLAVE_NOT_AVAILABLE;
                break;
        case RMQ_OK:
                status = RMQ_SEND_OK;
                break;
        default:
                /* MQBrokerException */
                return rmq__seterr(errstr, errstr_size, (rmq_err_t)resp->code,
                                   "CODE: %d  DESC: %s  BROKER: %s", resp->code,
                                   resp->remark ? resp->remark : "",
                                   addr ? addr : "");
        }
        send_resp_ext(resp, &x);
        if (!x.queue_id ||
            rmq__parse_i64n(x.queue_id->val, x.queue_id->vlen, &qid) ||
            qid < INT32_MIN || qid > INT32_MAX || !x.queue_offset ||
            rmq__parse_i64n(x.queue_offset->val, x.queue_offset->vlen, &off))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "send response from %s lacks queueId or "
                                   "queueOffset",
                                   addr ? addr : "");
        /* The result and its strings in one block (freed with one free). */
        /* Ext values are copied with their lengths: a value with a NUL
         * inside reads the same as a C string (what strdup would copy). */
        msg_id = uniq_msg_id ? uniq_msg_id : "";
        off_id = "";
        if (x.msg_id) {
                off_id = x.msg_id->val;
                l_off  = x.msg_id->vlen;
        }
        txn = NULL;
        if (x.transaction_id) {
                txn   = x.transaction_id->val;
                l_txn = x.transaction_id->vlen;
        }
        if (x.region && *x.region->val) {
                region   = x.region->val;
                l_region = x.region->vlen;
        } else {
                region   = RMQ_DEFAULT_TRACE_REGION_ID;
                l_region = sizeof(RMQ_DEFAULT_TRACE_REGION_ID) - 1;
        }
        l_msg    = strlen(msg_id);
        l_topic  = strlen(topic);
        l_broker = strlen(broker_name);
        res = rmq__malloc(sizeof(*res) + l_msg + l_off + l_topic + l_broker +
                          l_txn + l_region + 6);
        p                   = (char *)(res + 1);
        res->status         = status;
        res->msg_id         = put_str(&p, msg_id, l_msg);
        res->offset_msg_id  = put_str(&p, off_id, l_off);
        res->mq.topic       = put_str(&p, topic, l_topic);
        res->mq.brokerName  = put_str(&p, broker_name, l_broker);
        res->mq.queueId     = (int32_t)qid;
        res->queue_offset   = off;
        res->transaction_id = txn ? put_str(&p, txn, l_txn) : NULL;
        res->region_id      = put_str(&p, region, l_region);
        /* strcmp(val, "false") == 0, the NUL included in the comparison */
        res->trace_on = !(x.trace_on && x.trace_on->vlen >= 5 &&
                          !memcmp(x.trace_on->val, "false", 6));
        *resultp      = res;
        return RMQ_OK;
}

/* ---- public accessors ---- */

const char *rmq_send_status_name(rmq_send_status_t status) {
        switch (status) {
        case RMQ_SEND_OK:
                return "SEND_OK";
        case RMQ_FLUSH_DISK_TIMEOUT:
                return "FLUSH_DISK_TIMEOUT";
        case RMQ_FLUSH_SLAVE_TIMEOUT:
                return "FLUSH_SLAVE_TIMEOUT";
        case RMQ_SLAVE_NOT_AVAILABLE:
                return "SLAVE_NOT_AVAILABLE";
        }
        return "UNKNOWN";
}

rmq_send_status_t rmq_send_result_status(const rmq_send_result_t *res) {
        return res->status;
}

const char *rmq_send_result_msg_id(const rmq_send_result_t *res) {
        return res->msg_id;
}

const char *rmq_send_result_offset_msg_id(const rmq_send_result_t *res) {
        return res->offset_msg_id;
}

const rmq_message_queue_t *
rmq_send_result_message_queue(const rmq_send_result_t *res) {
        return &res->mq;
}

int64_t rmq_send_result_queue_offset(const rmq_send_result_t *res) {
        return res->queue_offset;
}

const char *rmq_send_result_transaction_id(const rmq_send_result_t *res) {
        return res->transaction_id;
}

const char *rmq_send_result_region_id(const rmq_send_result_t *res) {
        return res->region_id;
}

int rmq_send_result_trace_on(const rmq_send_result_t *res) {
        return res->trace_on;
}

void rmq_send_result_destroy(rmq_send_result_t *res) {
        rmq__send_result_free(res);
}
