/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The producer. mirrors DefaultMQProducer and DefaultMQProducerImpl
 * (sendDefaultImpl, sendKernelImpl, sendSelectImpl, batch, start,
 * shutdown) and the send half of MQClientAPIImpl (sendMessageAsync,
 * onExceptionImpl).
 */
#include <stdio.h>

#include "client/rmq_admin.h"
#include "client/rmq_client.h"
#include "client/rmq_client_api.h"
#include "client/rmq_message_int.h"
#include "client/rmq_request_future.h"
#include "client/rmq_trace.h"
#include "client/rmq_stats.h"
#include "common/rmq_freelist.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "producer/rmq_fault.h"
#include "producer/rmq_producer_int.h"
#include "producer/rmq_publish_info.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_msg_id.h"
#include "protocol/rmq_names.h"
#include "rocketmq/rmq_producer.h"

enum { PS_CREATE_JUST, PS_RUNNING, PS_SHUTDOWN_ALREADY, PS_START_FAILED };
enum { SEND_DEFAULT, SEND_TO_QUEUE, SEND_SELECT };

#define MAX_HOOKS 8

/* Cached send_t blocks per producer (rmq_freelist: allocated on the sending
 * thread, freed on the callback pool); about 2 KiB each, as many as the
 * async window (backPressureForAsyncSendNum) holds, at most this many. */
#define SEND_CACHE_CAP 1024
/* Inline storage of a send: the topic (TOPIC_MAX_LENGTH 127 fits, with a
 * short namespace) and the properties string of a typical message. Longer
 * ones go to the heap. */
#define SEND_TOPIC_INLINE 160
#define SEND_PROPS_INLINE 256

typedef struct send_hook_s {
        char *name;
        rmq_send_hook_cb_t *before;
        rmq_send_hook_cb_t *after;
        void *opaque;
} send_hook_t;

struct rmq_producer_s {
        rmq_conf_t *conf;
        rmq_logger_t lg;
        char *group; /* with the namespace */
        /* Checked at start (rmq__json_plain): the group and
         * createTopicKey need no JSON escaping, so neither do the send
         * headers' producerGroup and defaultTopic; the encoder copies
         * them as they are, and the topic too (a name validated with its
         * namespace, see check_message). */
        bool group_plain;
        bool default_topic_plain;
        size_t group_len;
        size_t default_topic_len;
        uv_mutex_t lock;
        /* Changed under lock; read without it on the send paths. */
        atomic_int state;
        /* Public calls in progress; shutdown waits for 0 on idle_cond. */
        atomic_int active;
        uv_cond_t idle_cond;
        rmq_client_t *ci;
        /* The instance's own producer (rmq__producer_start_inner): uses
         * its instance without holding a reference. */
        bool inner;
        rmq_strmap_t pub_table; /* topic -> rmq_publish_info_t * */
        rmq_fault_t fault;
        rmq_deflater_t **deflaters;
        size_t ndeflaters;
        send_hook_t hooks[MAX_HOOKS];
        int hook_cnt;
        /* async window (back-pressure) */
        uv_mutex_t win_lock;
        uv_cond_t win_cond;
        int win_waiters; /* threads in uv_cond_*wait(win_cond) */
        int64_t win_num;
        int64_t win_bytes;
        rmq_freelist_t *send_cache; /* send_t blocks */
        rmq_admin_t admin; /* the MQAdmin calls (rmq_producer_admin) */
        rmq_txn_t *txn; /* the transaction listener (rmq_txn.c) or NULL */
        rmq_tracer_t *tracer; /* enableMsgTrace (rmq_trace.c) or NULL */
        rmq_send_stats_t send_stats;     /* statistics (rmq_stats.h) */
        rmq_stats_reporter_t *reporter; /* from start to shutdown */
};

struct rmq_send_context_s {
        const rmq_producer_t *prod;
        const rmq_message_t *msg;
        const char *msg_id;
        const rmq_message_queue_t *mq;
        const char *addr;
        rmq_send_mode_t mode;
        const rmq_send_result_t *result;
        rmq_err_t err;
        bool batch;
        size_t body_len;   /* the body as sent (compressed, batch) */
        int64_t *trace_ts; /* the send's slot for the trace hook */
};

/* One send: the prepared request pieces plus the state of its attempts.
 * Blocks come from prod->send_cache and are not zeroed: send_new()
 * initialises every field up to `errstr`; the character arrays from there
 * on only need their first byte. */
typedef struct send_s {
        rmq_producer_t *prod;
        rmq_send_mode_t mode;
        int kind;
        const char *topic; /* with the namespace: topic_inline or topic_heap */
        size_t topic_len;
        char *topic_heap;
        const rmq_message_t *umsg;
        rmq_message_t *msg_keep; /* async: a copy for hooks and selectors */
        const char *uniq_id;     /* uniq_inline or uniq_heap (a batch) */
        char *uniq_heap;
        const char *props;       /* properties string: props_inline or heap */
        size_t props_len;
        char *props_heap;
        rmq_body_t *body_ref;
        uint8_t *owned_body;
        const void *body;
        size_t body_len;
        int32_t sys_flag;
        int32_t flag;
        bool batch;
        bool reply; /* MSG_TYPE=reply: SEND_REPLY_MESSAGE(_V2) */
        int32_t reconsume_times;
        int32_t max_reconsume_times;
        int64_t begin_first;
        int64_t timeout;
        rmq_publish_info_t *tpi;
        /* The queue of this attempt. Its strings are either owned
         * (mq_owned) or borrowed from a queue of s->tpi, which this send
         * holds. */
        rmq_message_queue_t mq;
        bool have_mq;
        bool mq_owned;
        int times;
        int async_retries;
        bool tried_default;
        bool addr_lookup; /* the route is fetched for s->mq's broker */
        bool hooked;      /* async: the before hooks ran (once per send) */
        rmq_queue_selector_cb_t *selector;
        void *sel_arg;
        rmq_send_cb_t *cb;
        void *cb_opaque;
        int64_t attempt_start;
        int64_t trace_ts; /* rmq_send_context_t.trace_ts */
        size_t win_bytes;
        rmq_err_t err;
        size_t brokers_len;
        /* Only the first byte of these is initialised by send_new(). */
        char errstr[768];
        char brokers_sent[256];
        char route_why[256]; /* why the topic's route fetch failed */
        char addr[96];
        char topic_inline[SEND_TOPIC_INLINE];
        char uniq_inline[RMQ_MSG_ID_MAX + 1];
        char props_inline[SEND_PROPS_INLINE];
} send_t;

/* ---- validation (Validators) ---- */

static rmq_err_t check_body_and_topic(const rmq_producer_t *prod,
                                      const char *topic, size_t body_len,
                                      bool has_body, char *errstr,
                                      size_t errstr_size) {
        char buf[300];
        const char *why = rmq__check_topic(topic, buf, sizeof(buf));
        if (why)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "%s", why);
        if (rmq__is_not_allowed_send_topic(topic))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "Sending message to topic[%s] is "
                                   "forbidden.",
                                   topic);
        if (!has_body)
                return rmq__seterr(errstr, errstr_size,
                                   RMQ_ERR_MESSAGE_ILLEGAL,
                                   "the message body is null");
        if (body_len == 0)
                return rmq__seterr(errstr, errstr_size,
                                   RMQ_ERR_MESSAGE_ILLEGAL,
                                   "the message body length is zero");
        if ((int64_t)body_len > prod->conf->maxMessageSize)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__MSG_TOO_LARGE,
                                   "the message body size over max value, "
                                   "MAX: %lld",
                                   (long long)prod->conf->maxMessageSize);
        return RMQ_OK;
}

static rmq_err_t message_null(char *errstr, size_t errstr_size) {
        return rmq__seterr(errstr, errstr_size, RMQ_ERR_MESSAGE_ILLEGAL,
                           "the message is null");
}

/* mirrors Validators.checkMessage of \p msg with \p topic as its topic
 * (a send checks the topic with the namespace, DefaultMQProducer.send's
 * withNamespace coming first). */
static rmq_err_t check_message(const rmq_producer_t *prod,
                               const rmq_message_t *msg, const char *topic,
                               char *errstr, size_t errstr_size) {
        return check_body_and_topic(prod, topic, msg->body ? msg->body->len : 0,
                                    msg->body && msg->body->data, errstr,
                                    errstr_size);
}

/* ---- publish info table ---- */

static rmq_publish_info_t *pub_get(rmq_producer_t *prod, const char *topic) {
        rmq_publish_info_t *tpi;
        uv_mutex_lock(&prod->lock);
        tpi = rmq__strmap_get(&prod->pub_table, topic);
        if (tpi)
                rmq__publish_info_retain(tpi);
        uv_mutex_unlock(&prod->lock);
        return tpi;
}

static void pub_put_placeholder(rmq_producer_t *prod, const char *topic) {
        uv_mutex_lock(&prod->lock);
        if (!rmq__strmap_get(&prod->pub_table, topic))
                rmq__strmap_set(&prod->pub_table, topic,
                                rmq__publish_info_empty());
        uv_mutex_unlock(&prod->lock);
}

static void pub_release_cb(void *p) {
        rmq__publish_info_release(p);
}

/* The member interface (rmq_member_ops_t); route_updated and need_update
 * run under the instance's route lock: no logging there. */

static void ops_collect_topics(void *impl, rmq_strmap_t *topics) {
        rmq_producer_t *prod = impl;
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b;
        uv_mutex_lock(&prod->lock);
        while ((e = rmq__strmap_next(&prod->pub_table, &it, &b)))
                rmq__strmap_set(topics, e->key, (void *)1);
        uv_mutex_unlock(&prod->lock);
}

static void ops_route_updated(void *impl, const char *topic,
                              const rmq_topic_route_data_t *route) {
        rmq_producer_t *prod    = impl;
        rmq_publish_info_t *tpi = rmq__publish_info_from_route(topic, route);
        rmq_publish_info_t *old;
        uv_mutex_lock(&prod->lock);
        old = rmq__strmap_set(&prod->pub_table, topic, tpi);
        uv_mutex_unlock(&prod->lock);
        rmq__publish_info_release(old);
}

static bool ops_need_update(void *impl, const char *topic) {
        rmq_producer_t *prod = impl;
        rmq_publish_info_t *tpi;
        bool need;
        uv_mutex_lock(&prod->lock);
        tpi  = rmq__strmap_get(&prod->pub_table, topic);
        need = tpi && !rmq__publish_info_ok(tpi);
        uv_mutex_unlock(&prod->lock);
        return need;
}

static const rmq_member_ops_t producer_ops = {
    .kind           = RMQ_MEMBER_PRODUCER,
    .collect_topics = ops_collect_topics,
    .route_updated  = ops_route_updated,
    .need_update    = ops_need_update,
    .process_request = rmq__txn_process_request,
};

/* mirrors DefaultMQProducerImpl.tryToFindTopicPublishInfo (blocking). */
/* A route fetch that failed for a reason worth telling the sender (the
 * name server could not be reached, TLS failed, no answer), rather than
 * "the topic has no route". */
static bool route_failure_told(rmq_err_t err) {
        return err == RMQ_ERR__CONNECT || err == RMQ_ERR__SSL ||
               err == RMQ_ERR__TIMED_OUT || err == RMQ_ERR__TRANSPORT;
}

/* tryToFindTopicPublishInfo; \p why (may be NULL) receives the reason
 * the topic's own route fetch failed (route_failure_told), or "". */
static rmq_publish_info_t *find_publish_info(rmq_producer_t *prod,
                                             const char *topic, char *why,
                                             size_t why_size) {
        rmq_publish_info_t *tpi = pub_get(prod, topic);
        char buf[256];
        rmq_err_t err;
        if (why && why_size)
                why[0] = '\0';
        if (rmq__publish_info_ok(tpi))
                return tpi;
        rmq__publish_info_release(tpi);
        pub_put_placeholder(prod, topic);
        buf[0] = '\0';
        err = rmq__client_update_route(prod->ci, topic, false, NULL, 0, buf,
                                       sizeof(buf));
        if (why && why_size && route_failure_told(err))
                rmq__strlcpy(why, buf, why_size);
        tpi = pub_get(prod, topic);
        if (tpi && (tpi->have_route || rmq__publish_info_ok(tpi)))
                return tpi;
        rmq__publish_info_release(tpi);
        rmq__client_update_route(prod->ci, topic, true,
                                 prod->conf->createTopicKey,
                                 (int)prod->conf->defaultTopicQueueNums, NULL,
                                 0);
        return pub_get(prod, topic);
}

/* ---- hooks ---- */

static void call_hooks(send_t *s, bool after, const rmq_send_result_t *res,
                       rmq_err_t err) {
        rmq_producer_t *prod = s->prod;
        rmq_send_context_t ctx;
        int i;
        ctx.prod     = prod;
        ctx.msg      = s->msg_keep ? s->msg_keep : s->umsg;
        ctx.msg_id   = s->uniq_id;
        ctx.mq       = &s->mq;
        ctx.addr     = s->addr;
        ctx.mode     = s->mode;
        ctx.result   = res;
        ctx.err      = err;
        ctx.batch    = s->batch;
        ctx.body_len = s->body_len;
        ctx.trace_ts = &s->trace_ts;
        for (i = 0; i < prod->hook_cnt; i++) {
                rmq_send_hook_cb_t *cb =
                    after ? prod->hooks[i].after : prod->hooks[i].before;
                if (cb)
                        cb(prod, &ctx, prod->hooks[i].opaque);
        }
}

/* Runs the before or after hooks; without hooks (the usual case) no call
 * is made. */
static inline void run_hooks(send_t *s, bool after,
                             const rmq_send_result_t *res, rmq_err_t err) {
        if (s->prod->hook_cnt)
                call_hooks(s, after, res, err);
}

/* ---- preparing a send ---- */

static rmq_deflater_t *deflater_take(rmq_producer_t *prod) {
        rmq_deflater_t *d = NULL;
        uv_mutex_lock(&prod->lock);
        if (prod->ndeflaters)
                d = prod->deflaters[--prod->ndeflaters];
        uv_mutex_unlock(&prod->lock);
        return d ? d : rmq__deflater_new((int)prod->conf->compressLevel);
}

static void deflater_give(rmq_producer_t *prod, rmq_deflater_t *d) {
        uv_mutex_lock(&prod->lock);
        prod->deflaters = rmq__realloc(prod->deflaters, (prod->ndeflaters + 1) *
                                                            sizeof(*prod->deflaters));
        prod->deflaters[prod->ndeflaters++] = d;
        uv_mutex_unlock(&prod->lock);
}

/* The message's UNIQ_KEY, TRAN_MSG and MSG_TYPE properties in one
 * pass. */
static void find_props(const rmq_message_t *msg, const char **uniq,
                       const char **tran, const char **type) {
        size_t i;
        *uniq = *tran = *type = NULL;
        for (i = 0; i < msg->prop_cnt; i++) {
                const rmq_msg_prop_t *p = &msg->props[i];
                if (!strcmp(p->name, RMQ_PROP_UNIQ_KEY))
                        *uniq = p->value;
                else if (!strcmp(p->name, RMQ_PROP_TRAN_MSG))
                        *tran = p->value;
                else if (!strcmp(p->name, RMQ_PROP_MSG_TYPE))
                        *type = p->value;
        }
}

static send_t *send_new(rmq_producer_t *prod, rmq_send_mode_t mode,
                        int kind) {
        send_t *s = rmq__freelist_get(prod->send_cache);
        memset(s, 0, offsetof(send_t, errstr));
        s->errstr[0]           = '\0';
        s->brokers_sent[0]     = '\0';
        s->route_why[0]        = '\0';
        s->addr[0]             = '\0';
        s->prod                = prod;
        s->mode                = mode;
        s->kind                = kind;
        s->max_reconsume_times = -1;
        s->begin_first         = rmq__mono_ms();
        s->timeout             = prod->conf->sendMsgTimeout;
        return s;
}

static void send_free(send_t *s) {
        if (!s)
                return;
        /* Usually all NULL (inline storage): no free(NULL) calls. */
        if (s->topic_heap)
                rmq__free(s->topic_heap);
        if (s->msg_keep)
                rmq_message_destroy(s->msg_keep);
        if (s->uniq_heap)
                rmq__free(s->uniq_heap);
        if (s->props_heap)
                rmq__free(s->props_heap);
        rmq__body_release(s->body_ref);
        if (s->owned_body)
                rmq__free(s->owned_body);
        if (s->mq_owned)
                rmq__mq_clear(&s->mq);
        rmq__publish_info_release(s->tpi);
        rmq__freelist_put(s->prod->send_cache, s);
}

/* s->topic = \p topic (may be NULL) with the producer's namespace. */
static inline void set_topic(send_t *s, const char *topic) {
        const char *ns = s->prod->conf->namespace_;
        size_t len;
        if (!topic)
                return; /* s->topic stays NULL: "topic is blank" */
        if (ns && *ns) {
                s->topic_heap = rmq__ns_wrap(ns, topic);
                s->topic      = s->topic_heap;
                s->topic_len  = strlen(s->topic);
                return;
        }
        len          = strlen(topic);
        s->topic_len = len;
        if (len < sizeof(s->topic_inline)) {
                memcpy(s->topic_inline, topic, len + 1);
                s->topic = s->topic_inline;
        } else {
                s->topic_heap = rmq__strndup(topic, len);
                s->topic      = s->topic_heap;
        }
}

/* The topic of a send result: s->topic without the namespace; *freep
 * receives what to free. */
static const char *result_topic(const send_t *s, char **freep) {
        const char *ns = s->prod->conf->namespace_;
        *freep         = NULL;
        if (!ns || !*ns)
                return s->topic; /* rmq__ns_unwrap would copy it as is */
        *freep = rmq__ns_unwrap(s->topic, ns);
        return *freep;
}

/* Every public send call runs between call_enter() and call_leave(), so
 * shutdown can wait for the calls in progress before it releases the
 * client instance; the fast path takes no lock. The counter is raised
 * before the state is read, and shutdown stores the state before it reads
 * the counter (both sequentially consistent), so either the call sees the
 * shutdown or shutdown sees the call. mirrors makeSureStateOK for the
 * error. */
static void call_leave(rmq_producer_t *prod);

static rmq_err_t call_enter(rmq_producer_t *prod, char *errstr,
                            size_t errstr_size) {
        int st;
        atomic_fetch_add(&prod->active, 1);
        st = atomic_load(&prod->state);
        if (st == PS_RUNNING)
                return RMQ_OK;
        call_leave(prod);
        return rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                           "The producer service state not OK, %s",
                           st == PS_CREATE_JUST ? "CREATE_JUST (not started)"
                           : st == PS_SHUTDOWN_ALREADY ? "SHUTDOWN_ALREADY"
                                                       : "START_FAILED");
}

static void call_leave(rmq_producer_t *prod) {
        if (atomic_fetch_sub(&prod->active, 1) == 1 &&
            atomic_load(&prod->state) != PS_RUNNING) {
                uv_mutex_lock(&prod->lock);
                uv_cond_broadcast(&prod->idle_cond);
                uv_mutex_unlock(&prod->lock);
        }
}

/* The admin calls run between call_enter() and call_leave() too
 * (makeSureStateOK in DefaultMQProducerImpl's MQAdmin methods). */
static rmq_err_t admin_enter(void *owner, char *errstr, size_t errstr_size) {
        return call_enter(owner, errstr, errstr_size);
}

static void admin_leave(void *owner) {
        call_leave(owner);
}

rmq_admin_t *rmq_producer_admin(rmq_producer_t *prod) {
        return prod ? &prod->admin : NULL;
}

/* s->props = \p msg's properties as sent (rmq__message_encode_props),
 * written inline in one pass, or again to the heap if too long. */
static inline void set_props(send_t *s, const rmq_message_t *msg,
                             const char *uniq_add, bool retry_topic) {
        const char *ns          = s->prod->conf->namespace_;
        const char *instance_id = ns && *ns ? ns : NULL;
        char *props             = s->props_inline;
        size_t len;
        len = rmq__message_encode_props(msg, uniq_add, instance_id, retry_topic,
                                        props, sizeof(s->props_inline) - 1,
                                        &s->reconsume_times,
                                        &s->max_reconsume_times);
        if (len + 1 > sizeof(s->props_inline)) {
                props = s->props_heap = rmq__malloc(len + 1);
                rmq__message_encode_props(
                    msg, uniq_add, instance_id, retry_topic, props, len,
                    &s->reconsume_times, &s->max_reconsume_times);
        }
        props[len]   = '\0'; /* the request references it as a C string */
        s->props     = props;
        s->props_len = len;
}

/* Validates one message and fills the request pieces of \p s. */
static rmq_err_t send_prepare_one(send_t *s, rmq_message_t *msg, char *errstr,
                                  size_t errstr_size) {
        rmq_producer_t *prod = s->prod;
        const char *uniq, *tran, *type;
        rmq_err_t err;
        size_t len;
        if (!msg)
                return message_null(errstr, errstr_size);
        set_topic(s, msg->topic);
        if ((err = check_message(prod, msg, s->topic, errstr, errstr_size)))
                return err;
        s->umsg = msg;
        s->flag = msg->flag;
        find_props(msg, &uniq, &tran, &type);
        /* MQClientAPIImpl.sendMessage: isReply */
        s->reply = type && !strcmp(type, RMQ_MSG_TYPE_REPLY);
        /* MessageClientIDSetter.setUniqID: keep a UNIQ_KEY already set,
         * else the id the message got on its first send, else a new one,
         * written into the message. */
        if (uniq) {
                len = strlen(uniq);
                if (len < sizeof(s->uniq_inline)) {
                        memcpy(s->uniq_inline, uniq, len + 1);
                        s->uniq_id = s->uniq_inline;
                } else {
                        s->uniq_heap = rmq__strndup(uniq, len);
                        s->uniq_id   = s->uniq_heap;
                }
        } else {
                rmq__message_uniq_id(msg, s->uniq_inline);
                s->uniq_id = s->uniq_inline;
        }
        set_props(s, msg, uniq ? NULL : s->uniq_id,
                  rmq__is_retry_topic(s->topic));
        if (rmq__parse_bool(tran))
                s->sys_flag |= RMQ_SYSFLAG_TRANSACTION_PREPARED;
        s->body_ref = rmq__body_retain(msg->body);
        s->body     = msg->body->data;
        s->body_len = msg->body->len;
        /* tryToCompressMessage */
        if ((int64_t)s->body_len >= prod->conf->compressMsgBodyOverHowmuch) {
                rmq_deflater_t *d = deflater_take(prod);
                rmq_buf_t z       = RMQ_BUF_INIT;
                if (d && !rmq__deflater_compress(d, s->body, s->body_len, &z)) {
                        s->owned_body = rmq__buf_steal(&z, &s->body_len);
                        s->body       = s->owned_body;
                        s->sys_flag |= RMQ_SYSFLAG_COMPRESSED |
                                       RMQ_SYSFLAG_COMPRESSION_ZLIB;
                } else {
                        rmq__buf_free(&z);
                        rmq__log(&prod->lg, RMQ_LOG_ERROR, "PRODUCER",
                                 "tryToCompressMessage failed; sending the "
                                 "body uncompressed");
                }
                if (d)
                        deflater_give(prod, d);
        }
        return RMQ_OK;
}

/* mirrors DefaultMQProducer.batch and MessageBatch.generateFromList */
static rmq_err_t send_prepare_batch(send_t *s, rmq_message_t *const *msgs,
                                    size_t cnt, char *errstr,
                                    size_t errstr_size) {
        rmq_producer_t *prod = s->prod;
        rmq_buf_t body = RMQ_BUF_INIT, ids = RMQ_BUF_INIT;
        rmq_message_t *hdr;
        size_t i;
        rmq_err_t err;
        int wait0;
        if (!msgs || cnt == 0)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "Failed to initiate the MessageBatch: no "
                                   "messages");
        wait0 = msgs[0] ? rmq_message_wait_store_msg_ok(msgs[0]) : 1;
        for (i = 0; i < cnt; i++) {
                const rmq_message_t *m = msgs[i];
                const char *why = NULL;
                if (!m || !m->topic)
                        why = "a message or its topic is null";
                else if (rmq_message_delay_time_level(m) > 0)
                        why = "TimeDelayLevel is not supported for batching";
                else if (rmq__is_retry_topic(m->topic))
                        why = "Retry Group is not supported for batching";
                else if (strcmp(m->topic, msgs[0]->topic))
                        why = "The topic of the messages in one batch should "
                              "be the same";
                else if (rmq_message_wait_store_msg_ok(m) != wait0)
                        why = "The waitStoreMsgOK of the messages in one "
                              "batch should the same";
                if (why) {
                        rmq__buf_free(&body);
                        rmq__buf_free(&ids);
                        return rmq__seterr(errstr, errstr_size,
                                           RMQ_ERR__INVALID_ARG,
                                           "Failed to initiate the "
                                           "MessageBatch: %s",
                                           why);
                }
        }
        for (i = 0; i < cnt; i++) {
                rmq_message_t *m = msgs[i];
                char id[RMQ_MSG_ID_MAX + 1];
                const char *uniq, *tran, *type, *add = NULL;
                rmq_buf_t props = RMQ_BUF_INIT;
                int32_t r = 0, mr = -1;
                size_t plen;
                /* MessageBatch: each message as the caller set it, the
                 * batch below with the namespace (DefaultMQProducer.batch) */
                if ((err = check_message(prod, m, m->topic, errstr,
                                         errstr_size))) {
                        rmq__buf_free(&body);
                        rmq__buf_free(&ids);
                        return err;
                }
                find_props(m, &uniq, &tran, &type);
                if (!uniq) {
                        /* DefaultMQProducer.batch: setUniqID on each */
                        rmq__message_uniq_id(m, id);
                        uniq = add = id;
                }
                if (ids.len)
                        rmq__buf_put_u8(&ids, ',');
                rmq__buf_put_str(&ids, uniq);
                plen = rmq__message_encode_props(m, add, NULL, false, NULL, 0,
                                                 &r, &mr);
                rmq__message_encode_props(m, add, NULL, false,
                                          (char *)rmq__buf_grow(&props, plen),
                                          plen, &r, &mr);
                err = rmq__batch_encode_one(&body, m->flag, m->body->data,
                                            m->body->len, (char *)props.data,
                                            props.len);
                rmq__buf_free(&props);
                if (err) {
                        rmq__buf_free(&body);
                        rmq__buf_free(&ids);
                        return rmq__seterr(errstr, errstr_size, err,
                                           "Failed to initiate the "
                                           "MessageBatch: properties too "
                                           "large");
                }
        }
        rmq__buf_put_u8(&ids, 0);
        s->uniq_heap = (char *)rmq__buf_steal(&ids, NULL);
        s->uniq_id   = s->uniq_heap;
        s->umsg      = msgs[0];
        s->batch     = true;
        set_topic(s, msgs[0]->topic);
        /* The MessageBatch's own properties: its WAIT, and INSTANCE_ID
         * with a namespace (sendKernelImpl sets it on the batch only). */
        hdr = rmq_message_new(NULL);
        if (!wait0)
                rmq_message_set_wait_store_msg_ok(hdr, 0);
        set_props(s, hdr, NULL, false);
        rmq_message_destroy(hdr);
        s->owned_body = rmq__buf_steal(&body, &s->body_len);
        s->body       = s->owned_body;
        /* Validators.checkMessage(batch) */
        return check_body_and_topic(prod, s->topic, s->body_len, true, errstr,
                                    errstr_size);
}

/* ---- one attempt (sendKernelImpl) ---- */

/* Resolves the broker address of s->mq. mirrors the start of
 * sendKernelImpl (findBrokerAddressInPublish, then a route refresh). */
static rmq_err_t resolve_addr(send_t *s, bool may_block) {
        rmq_producer_t *prod = s->prod;
        if (!rmq__client_broker_addr_in_publish(prod->ci, s->mq.brokerName,
                                                s->addr, sizeof(s->addr))) {
                if (may_block) {
                        rmq_publish_info_t *tpi =
                            find_publish_info(prod, s->mq.topic, NULL, 0);
                        rmq__publish_info_release(tpi);
                }
                if (!rmq__client_broker_addr_in_publish(
                        prod->ci, s->mq.brokerName, s->addr, sizeof(s->addr)))
                        return rmq__seterr(s->errstr, sizeof(s->errstr),
                                           RMQ_ERR__NO_BROKER,
                                           "The broker[%s] not exist",
                                           s->mq.brokerName);
        }
        if (prod->conf->vipChannelEnabled)
                rmq__broker_vip_addr(true, s->addr, sizeof(s->addr));
        return RMQ_OK;
}

/* The request of this attempt, built in \p r (caller storage; release
 * with rmq__cmd_fini(&r->cmd)). It references the send's strings and body,
 * which outlive it. */
static void build_request(send_t *s, rmq_send_request_t *r) {
        rmq_cmd_t *cmd = &r->cmd;
        rmq_producer_t *prod = s->prod;
        rmq_send_header_t h;
        memset(&h, 0, sizeof(h));
        h.producerGroup         = prod->group;
        h.topic                 = s->topic;
        h.defaultTopic          = prod->conf->createTopicKey;
        h.defaultTopicQueueNums = (int32_t)prod->conf->defaultTopicQueueNums;
        h.queueId               = s->mq.queueId;
        h.sysFlag               = s->sys_flag;
        h.bornTimestamp         = rmq__wall_ms();
        h.flag                  = s->flag;
        h.properties            = s->props;
        h.properties_len        = s->props_len;
        h.reconsumeTimes        = s->reconsume_times;
        h.unitMode              = prod->conf->unitMode;
        h.maxReconsumeTimes     = s->max_reconsume_times;
        h.batch                 = s->batch;
        h.bname                 = s->mq.brokerName;
        h.reply                 = s->reply;
        h.producerGroup_plain   = prod->group_plain;
        h.topic_plain           = true; /* validated: ^[%|a-zA-Z0-9_-]+$ */
        h.defaultTopic_plain    = prod->default_topic_plain;
        h.producerGroup_len     = prod->group_len;
        h.topic_len             = s->topic_len;
        h.defaultTopic_len      = prod->default_topic_len;
        if (!h.properties) {
                h.properties     = "";
                h.properties_len = 0;
        }
        rmq__api_send_request_init(r, &h, prod->conf->sendSmartMsg, s->body,
                                   s->body_len);
        cmd->language       = (int32_t)prod->conf->language;
        cmd->serialize_type = (int32_t)prod->conf->serializeType;
}

/* s->mq = a copy of \p mq. */
static void set_mq(send_t *s, const rmq_message_queue_t *mq) {
        if (s->mq_owned)
                rmq__mq_clear(&s->mq);
        rmq__mq_copy(&s->mq, mq);
        s->have_mq  = true;
        s->mq_owned = true;
}

/* s->mq = the queue a selection returned: a queue of s->tpi, borrowed (no
 * copy; s holds s->tpi), or the fault strategy's \p scratch, taken over. */
static void set_mq_selected(send_t *s, const rmq_message_queue_t *mq,
                            rmq_message_queue_t *scratch) {
        if (s->mq_owned)
                rmq__mq_clear(&s->mq);
        s->mq       = *mq;
        s->have_mq  = true;
        s->mq_owned = mq == scratch;
        if (mq == scratch)
                scratch->topic = scratch->brokerName = NULL;
}

/* Result topic without the namespace (processSendResponse). */
static rmq_err_t process_response(send_t *s, const rmq_cmd_t *resp,
                                  rmq_send_result_t **resultp) {
        char *tofree;
        const char *topic = result_topic(s, &tofree);
        rmq_err_t err     = rmq__api_process_send_response(
            resp, topic, s->mq.brokerName, s->uniq_id, s->addr, resultp,
            s->errstr, sizeof(s->errstr));
        rmq__free(tofree);
        return err;
}

/* One synchronous or oneway attempt to s->mq within \p timeout ms. */
static rmq_err_t kernel_sync(send_t *s, int64_t timeout,
                             rmq_send_result_t **resultp) {
        rmq_producer_t *prod = s->prod;
        rmq_send_request_t reqbuf;
        rmq_cmd_t *req = &reqbuf.cmd, *resp = NULL;
        rmq_err_t err;
        *resultp = NULL;
        if ((err = resolve_addr(s, true)))
                return err;
        run_hooks(s, false, NULL, RMQ_OK);
        build_request(s, &reqbuf);
        if (s->mode == RMQ_SEND_MODE_ONEWAY) {
                err = rmq__remoting_invoke_oneway(
                    rmq__client_remoting(prod->ci), s->addr, req, timeout);
                if (err)
                        rmq__seterr(s->errstr, sizeof(s->errstr), err,
                                    "oneway send to %s failed: %s", s->addr,
                                    rmq_err2str(err));
        } else {
                err = rmq__remoting_invoke_sync(rmq__client_remoting(prod->ci),
                                                s->addr, req, timeout, &resp,
                                                s->errstr, sizeof(s->errstr));
                if (!err)
                        err = process_response(s, resp, resultp);
        }
        rmq__cmd_fini(req);
        rmq__cmd_destroy(resp);
        run_hooks(s, true, *resultp, err);
        return err;
}

/* DefaultMQProducer.retryResponseCodes of 4.9.8. */
static bool retryable_broker_code(rmq_err_t err) {
        switch ((int)err) {
        case RMQ_ERR_TOPIC_NOT_EXIST:
        case RMQ_ERR_SERVICE_NOT_AVAILABLE:
        case RMQ_ERR_SYSTEM_ERROR:
        case RMQ_ERR_NO_PERMISSION:
        case RMQ_ERR_NO_BUYER_ID:
        case RMQ_ERR_NOT_IN_CURRENT_UNIT:
                return true;
        default:
                return false;
        }
}

/* Appends to s->brokers_sent, truncating at its size. */
static void brokers_append(send_t *s, const char *p, size_t n) {
        n = RMQ_MIN(n, sizeof(s->brokers_sent) - 1 - s->brokers_len);
        memcpy(s->brokers_sent + s->brokers_len, p, n);
        s->brokers_len += n;
        s->brokers_sent[s->brokers_len] = '\0';
}

/* Appends ", broker" (the first without the comma). */
static void note_broker(send_t *s, const char *broker) {
        if (s->brokers_len)
                brokers_append(s, ", ", 2);
        brokers_append(s, broker, strlen(broker));
}

static const rmq_message_queue_t *select_queue(send_t *s,
                                               const char *last_broker,
                                               rmq_message_queue_t *scratch) {
        return rmq__fault_select(&s->prod->fault, s->tpi, last_broker,
                                 scratch);
}

static rmq_err_t no_route_error(send_t *s, char *errstr, size_t errstr_size) {
        char why[256];
        /* validateNameServerSetting (a fetched list counts too) */
        if (!rmq__client_has_namesrv(s->prod->ci, why, sizeof(why)))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__NO_NAMESRV,
                                   "No name server address, please set it. "
                                   "(%s)",
                                   why);
        if (s->route_why[0]) /* beyond Java: why the fetch failed */
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__NO_ROUTE,
                                   "No route info of this topic: %s (the "
                                   "name server could not be asked: %s)",
                                   s->topic, s->route_why);
        return rmq__seterr(errstr, errstr_size, RMQ_ERR__NO_ROUTE,
                           "No route info of this topic: %s", s->topic);
}

/* mirrors DefaultMQProducerImpl.sendDefaultImpl for SYNC and ONEWAY. */
static rmq_err_t send_default_blocking(send_t *s, rmq_send_result_t **resultp,
                                       char *errstr, size_t errstr_size) {
        rmq_producer_t *prod = s->prod;
        int times_total = s->mode == RMQ_SEND_MODE_SYNC
                              ? 1 + (int)prod->conf->retryTimesWhenSendFailed
                              : 1;
        rmq_send_result_t *result = NULL, *attempt_res;
        rmq_err_t err             = RMQ_OK, last = RMQ_OK;
        bool call_timeout         = false;
        char last_broker[128]     = "";

        s->tpi = find_publish_info(prod, s->topic, s->route_why,
                                   sizeof(s->route_why));
        if (!rmq__publish_info_ok(s->tpi))
                return no_route_error(s, errstr, errstr_size);
        for (s->times = 0; s->times < times_total; s->times++) {
                rmq_message_queue_t scratch;
                const rmq_message_queue_t *mq;
                int64_t begin, cost;
                mq = select_queue(s, *last_broker ? last_broker : NULL,
                                  &scratch);
                if (!mq)
                        break;
                set_mq_selected(s, mq, &scratch);
                rmq__strlcpy(last_broker, s->mq.brokerName,
                             sizeof(last_broker));
                note_broker(s, s->mq.brokerName);
                begin = rmq__mono_ms();
                cost  = begin - s->begin_first;
                if (s->timeout < cost) {
                        call_timeout = true;
                        break;
                }
                err = kernel_sync(s, s->timeout - cost, &attempt_res);
                rmq__fault_update(&prod->fault, s->mq.brokerName,
                                  rmq__mono_ms() - begin,
                                  err && err != RMQ_ERR__DESTROY);
                if (!err) {
                        /* Only a successful attempt replaces the result:
                         * a stored message's result (FLUSH_DISK_TIMEOUT,
                         * ...) survives a failing retry. */
                        rmq__send_result_free(result);
                        result = attempt_res;
                        if (s->mode == RMQ_SEND_MODE_SYNC &&
                            result->status != RMQ_SEND_OK &&
                            prod->conf->retryAnotherBrokerWhenNotStoreOK)
                                continue;
                        *resultp = result;
                        return RMQ_OK;
                }
                last = err;
                rmq__log(&prod->lg, RMQ_LOG_WARN, "PRODUCER",
                         "send to %s (%s queue %d) failed, %s: %s", s->addr,
                         s->mq.brokerName, s->mq.queueId,
                         s->times + 1 < times_total ? "resend at once"
                                                    : "giving up",
                         s->errstr);
                if (err == RMQ_ERR__DESTROY || err == RMQ_ERR__WOULD_DEADLOCK)
                        break;
                if (err > 0 && !retryable_broker_code(err)) {
                        /* a broker answer that is not retried */
                        if (result) {
                                *resultp = result;
                                return RMQ_OK;
                        }
                        return rmq__seterr(errstr, errstr_size, err, "%s",
                                           s->errstr);
                }
        }
        if (result) {
                *resultp = result;
                return RMQ_OK;
        }
        if (call_timeout)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__TIMED_OUT,
                                   "sendDefaultImpl call timeout");
        return rmq__seterr(errstr, errstr_size, last ? last : RMQ_ERR__FAIL,
                           "Send [%d] times, still failed, cost [%lld]ms, "
                           "Topic: %s, BrokersSent: [%s]: %s",
                           s->times, (long long)(rmq__mono_ms() - s->begin_first),
                           s->topic, s->brokers_sent, s->errstr);
}

/* mirrors sendSelectImpl / send(msg, mq): one attempt to a given queue.
 * Unlike sendDefaultImpl these never call updateFaultItem. */
static rmq_err_t send_fixed_blocking(send_t *s,
                                     const rmq_message_queue_t *mq,
                                     rmq_send_result_t **resultp,
                                     char *errstr, size_t errstr_size) {
        rmq_err_t err;
        int64_t cost = rmq__mono_ms() - s->begin_first;
        if (cost > s->timeout)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__TIMED_OUT,
                                   "sendSelectImpl call timeout");
        set_mq(s, mq);
        err = kernel_sync(s, s->timeout - cost, resultp);
        if (err)
                return rmq__seterr(errstr, errstr_size, err, "%s", s->errstr);
        return RMQ_OK;
}

/* Applies the selector to the topic's queues (namespace stripped, as
 * parsePublishMessageQueues); writes the chosen queue into \p out. */
static rmq_err_t run_selector(send_t *s, rmq_message_queue_t *out,
                              char *errstr, size_t errstr_size) {
        const rmq_message_t *msg = s->msg_keep ? s->msg_keep : s->umsg;
        rmq_publish_info_t *tpi  = s->tpi;
        size_t i;
        int idx;
        rmq_message_queue_t *user_mqs;
        const rmq_message_queue_t **ptrs;
        const char *ns = s->prod->conf->namespace_;
        if (!ns || !*ns) {
                idx = s->selector(tpi->mq_ptrs, tpi->mq_cnt, msg, s->sel_arg,
                                  NULL);
        } else {
                user_mqs = rmq__calloc(tpi->mq_cnt, sizeof(*user_mqs));
                ptrs     = rmq__calloc(tpi->mq_cnt, sizeof(*ptrs));
                for (i = 0; i < tpi->mq_cnt; i++) {
                        char *t = rmq__ns_unwrap(tpi->mqs[i].topic, ns);
                        rmq__mq_init(&user_mqs[i], t, tpi->mqs[i].brokerName,
                                     tpi->mqs[i].queueId);
                        rmq__free(t);
                        ptrs[i] = &user_mqs[i];
                }
                idx = s->selector(ptrs, tpi->mq_cnt, msg, s->sel_arg, NULL);
                for (i = 0; i < tpi->mq_cnt; i++)
                        rmq__mq_clear(&user_mqs[i]);
                rmq__free(user_mqs);
                rmq__free(ptrs);
        }
        if (idx < 0 || (size_t)idx >= tpi->mq_cnt)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "select message queue returned index %d "
                                   "of %zu queues",
                                   idx, tpi->mq_cnt);
        rmq__mq_copy(out, &tpi->mqs[idx]);
        return RMQ_OK;
}

/* ---- the public synchronous and oneway calls ---- */

/* call_enter() for a blocking call; on success call_leave() follows. */
static rmq_err_t guard_thread(rmq_producer_t *prod, char *errstr,
                              size_t errstr_size) {
        rmq_err_t err = call_enter(prod, errstr, errstr_size);
        if (err)
                return err;
        if (rmq__io_on_loop(rmq__client_io(prod->ci))) {
                call_leave(prod);
                return rmq__seterr(errstr, errstr_size,
                                   RMQ_ERR__WOULD_DEADLOCK,
                                   "blocking send on the I/O thread");
        }
        return RMQ_OK;
}

static rmq_err_t send_blocking(rmq_producer_t *prod, rmq_send_mode_t mode,
                               int kind, rmq_message_t *msg,
                               rmq_message_t *const *batch, size_t batch_cnt,
                               const rmq_message_queue_t *mq,
                               rmq_queue_selector_cb_t *selector, void *arg,
                               rmq_send_result_t **resultp, char *errstr,
                               size_t errstr_size) {
        send_t *s;
        rmq_send_result_t *result = NULL;
        rmq_err_t err;
        if (resultp)
                *resultp = NULL;
        if ((err = guard_thread(prod, errstr, errstr_size)))
                return err;
        s = send_new(prod, mode, kind);
        err = batch ? send_prepare_batch(s, batch, batch_cnt, errstr,
                                         errstr_size)
                    : send_prepare_one(s, msg, errstr, errstr_size);
        if (err)
                goto out;
        if (kind == SEND_DEFAULT) {
                err = send_default_blocking(s, &result, errstr, errstr_size);
        } else if (kind == SEND_TO_QUEUE) {
                char *qt = rmq__ns_wrap(prod->conf->namespace_, mq->topic);
                bool same = !strcmp(qt, s->topic);
                rmq_message_queue_t q;
                rmq__mq_init(&q, qt, mq->brokerName, mq->queueId);
                rmq__free(qt);
                if (!same)
                        err = rmq__seterr(errstr, errstr_size,
                                          RMQ_ERR__INVALID_ARG,
                                          "message's topic not equal mq's "
                                          "topic");
                else
                        err = send_fixed_blocking(s, &q, &result, errstr,
                                                  errstr_size);
                rmq__mq_clear(&q);
        } else {
                rmq_message_queue_t q;
                s->selector = selector;
                s->sel_arg  = arg;
                s->tpi      = find_publish_info(prod, s->topic, s->route_why,
                                                sizeof(s->route_why));
                if (!rmq__publish_info_ok(s->tpi)) {
                        err = no_route_error(s, errstr, errstr_size);
                } else if (!(err = run_selector(s, &q, errstr,
                                                errstr_size))) {
                        err = send_fixed_blocking(s, &q, &result, errstr,
                                                  errstr_size);
                        rmq__mq_clear(&q);
                }
        }
        if (!err && resultp) {
                *resultp = result;
                result   = NULL;
        }
out:
        rmq__send_stats_add(&prod->send_stats, !err,
                            mode == RMQ_SEND_MODE_ONEWAY
                                ? -1
                                : rmq__mono_ms() - s->begin_first);
        rmq__send_result_free(result);
        send_free(s);
        call_leave(prod);
        return err;
}

rmq_err_t rmq_producer_send(rmq_producer_t *prod, rmq_message_t *msg,
                            rmq_send_result_t **resultp, char *errstr,
                            size_t errstr_size) {
        return send_blocking(prod, RMQ_SEND_MODE_SYNC, SEND_DEFAULT, msg, NULL,
                             0, NULL, NULL, NULL, resultp, errstr,
                             errstr_size);
}

rmq_err_t rmq_producer_send_oneway(rmq_producer_t *prod, rmq_message_t *msg,
                                   char *errstr, size_t errstr_size) {
        return send_blocking(prod, RMQ_SEND_MODE_ONEWAY, SEND_DEFAULT, msg,
                             NULL, 0, NULL, NULL, NULL, NULL, errstr,
                             errstr_size);
}

rmq_err_t rmq_producer_send_to_queue(rmq_producer_t *prod, rmq_message_t *msg,
                                     const rmq_message_queue_t *mq,
                                     rmq_send_result_t **resultp, char *errstr,
                                     size_t errstr_size) {
        if (!mq)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "mq is NULL");
        return send_blocking(prod, RMQ_SEND_MODE_SYNC, SEND_TO_QUEUE, msg,
                             NULL, 0, mq, NULL, NULL, resultp, errstr,
                             errstr_size);
}

rmq_err_t rmq_producer_send_to_queue_oneway(rmq_producer_t *prod,
                                            rmq_message_t *msg,
                                            const rmq_message_queue_t *mq,
                                            char *errstr, size_t errstr_size) {
        if (!mq)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "mq is NULL");
        return send_blocking(prod, RMQ_SEND_MODE_ONEWAY, SEND_TO_QUEUE, msg,
                             NULL, 0, mq, NULL, NULL, NULL, errstr,
                             errstr_size);
}

rmq_err_t rmq_producer_send_select(rmq_producer_t *prod, rmq_message_t *msg,
                                   rmq_queue_selector_cb_t *selector, void *arg,
                                   rmq_send_result_t **resultp, char *errstr,
                                   size_t errstr_size) {
        if (!selector)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "selector is NULL");
        return send_blocking(prod, RMQ_SEND_MODE_SYNC, SEND_SELECT, msg, NULL,
                             0, NULL, selector, arg, resultp, errstr,
                             errstr_size);
}

rmq_err_t rmq_producer_send_select_oneway(rmq_producer_t *prod,
                                          rmq_message_t *msg,
                                          rmq_queue_selector_cb_t *selector,
                                          void *arg, char *errstr,
                                          size_t errstr_size) {
        if (!selector)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "selector is NULL");
        return send_blocking(prod, RMQ_SEND_MODE_ONEWAY, SEND_SELECT, msg,
                             NULL, 0, NULL, selector, arg, NULL, errstr,
                             errstr_size);
}

rmq_err_t rmq_producer_send_batch(rmq_producer_t *prod,
                                  rmq_message_t *const *msgs, size_t cnt,
                                  rmq_send_result_t **resultp, char *errstr,
                                  size_t errstr_size) {
        return send_blocking(prod, RMQ_SEND_MODE_SYNC, SEND_DEFAULT, NULL,
                             msgs, cnt, NULL, NULL, NULL, resultp, errstr,
                             errstr_size);
}

rmq_err_t rmq_producer_send_batch_to_queue(rmq_producer_t *prod,
                                           rmq_message_t *const *msgs,
                                           size_t cnt,
                                           const rmq_message_queue_t *mq,
                                           rmq_send_result_t **resultp,
                                           char *errstr, size_t errstr_size) {
        if (!mq)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "mq is NULL");
        return send_blocking(prod, RMQ_SEND_MODE_SYNC, SEND_TO_QUEUE, NULL,
                             msgs, cnt, mq, NULL, NULL, resultp, errstr,
                             errstr_size);
}

/* ---- async sends ---- */

/* Wakes the window's waiters only if there are any (a broadcast costs
 * even when nobody waits). */
static void window_release(rmq_producer_t *prod, size_t bytes) {
        uv_mutex_lock(&prod->win_lock);
        prod->win_num--;
        prod->win_bytes -= (int64_t)bytes;
        if (prod->win_waiters)
                uv_cond_broadcast(&prod->win_cond);
        uv_mutex_unlock(&prod->win_lock);
}

/* The async window (Java 5's backPressureForAsyncSendNum/Size). The clock
 * is read only when the window is full. */
static rmq_err_t window_acquire(rmq_producer_t *prod, size_t bytes,
                                int64_t timeout_ms) {
        const rmq_conf_t *c = prod->conf;
        int64_t deadline    = -1;
        rmq_err_t err       = RMQ_OK;
        uv_mutex_lock(&prod->win_lock);
        while (prod->win_num > 0 &&
               (prod->win_num >= c->backPressureForAsyncSendNum ||
                prod->win_bytes + (int64_t)bytes >
                    c->backPressureForAsyncSendSize)) {
                int64_t now = rmq__mono_ms(), left;
                if (deadline < 0)
                        deadline = now + timeout_ms;
                left = deadline - now;
                if (!c->enableBackpressureForAsyncMode || left <= 0 ||
                    prod->state != PS_RUNNING) {
                        err = RMQ_ERR__QUEUE_FULL;
                        break;
                }
                prod->win_waiters++;
                uv_cond_timedwait(&prod->win_cond, &prod->win_lock,
                                  (uint64_t)left * 1000000u);
                prod->win_waiters--;
        }
        if (!err) {
                prod->win_num++;
                prod->win_bytes += (int64_t)bytes;
        }
        uv_mutex_unlock(&prod->win_lock);
        return err;
}

typedef struct finish_job_s {
        send_t *s;
        rmq_err_t err;
        rmq_send_result_t *res;
} finish_job_t;

static inline void finish_now(send_t *s, rmq_err_t err,
                              rmq_send_result_t *res) {
        rmq_producer_t *prod = s->prod;
        size_t bytes         = s->win_bytes;
        /* The completion's after hooks (sendMessageAsync on success or a
         * broker error, onExceptionImpl when it gives up), for a send
         * whose before hooks ran. */
        if (s->hooked)
                run_hooks(s, true, err ? NULL : res, err);
        rmq__send_stats_add(&prod->send_stats, !err,
                            rmq__mono_ms() - s->begin_first);
        s->cb(prod, err, err ? s->errstr : NULL, err ? NULL : res,
              s->cb_opaque);
        rmq__send_result_free(res);
        send_free(s);
        window_release(prod, bytes);
}

static void finish_job_run(void *arg) {
        finish_job_t *fj = arg;
        finish_now(fj->s, fj->err, fj->res);
        rmq__free(fj);
}

/* Ends an accepted async send: the callback runs on the callback pool,
 * never on the application thread that called send_async. */
static void async_finish(send_t *s, rmq_err_t err, rmq_send_result_t *res,
                         bool in_caller) {
        finish_job_t *fj;
        if (err && !s->errstr[0])
                rmq__seterr(s->errstr, sizeof(s->errstr), err, "%s",
                            rmq_err2str(err));
        if (!in_caller) {
                finish_now(s, err, res);
                return;
        }
        fj      = rmq__malloc(sizeof(*fj));
        fj->s   = s;
        fj->err = err;
        fj->res = res;
        if (rmq__pool_submit_fn(rmq__client_cb_pool(s->prod->ci),
                                finish_job_run, fj)) {
                /* The pool is stopping: no thread is left to run it. */
                rmq__free(fj);
                finish_now(s, err, res);
        }
}

static void async_attempt(send_t *s, bool in_caller);
static void async_find_route(send_t *s, bool in_caller);

/* mirrors MQClientAPIImpl.onExceptionImpl with needRetry = true */
static void async_on_exception(send_t *s, rmq_err_t err, bool in_caller) {
        rmq_producer_t *prod = s->prod;
        if (err != RMQ_ERR__DESTROY &&
            ++s->async_retries <= prod->conf->retryTimesWhenSendAsyncFailed) {
                if (s->kind == SEND_DEFAULT && s->tpi) {
                        rmq_message_queue_t scratch;
                        char last[128];
                        const rmq_message_queue_t *mq;
                        rmq__strlcpy(last, s->mq.brokerName, sizeof(last));
                        mq = select_queue(s, last, &scratch);
                        if (mq)
                                set_mq_selected(s, mq, &scratch);
                        else if (scratch.topic)
                                rmq__mq_clear(&scratch);
                        note_broker(s, s->mq.brokerName);
                }
                rmq__log(&prod->lg, RMQ_LOG_WARN, "PRODUCER",
                         "async send msg by retry %d times. topic=%s, "
                         "brokerName=%s: %s",
                         s->async_retries, s->topic, s->mq.brokerName,
                         s->errstr);
                s->errstr[0] = '\0';
                async_attempt(s, in_caller);
                return;
        }
        async_finish(s, err, NULL, in_caller);
}

static void async_response(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                           void *opaque) {
        send_t *s            = opaque;
        rmq_producer_t *prod = s->prod;
        rmq_send_result_t *res = NULL;
        /* The latency only feeds the fault strategy: no clock read when it
         * is off (rmq__fault_update ignores it then). */
        int64_t cost = prod->fault.enabled ? rmq__mono_ms() - s->attempt_start
                                           : 0;
        if (!err) {
                err = process_response(s, resp, &res);
                rmq__fault_update(&prod->fault, s->mq.brokerName, cost,
                                  err != RMQ_OK);
                /* A broker error is not retried (needRetry = false). */
                async_finish(s, err, res, false);
                return;
        }
        rmq__fault_update(&prod->fault, s->mq.brokerName, cost,
                          err != RMQ_ERR__DESTROY);
        rmq__strlcpy(s->errstr, errstr ? errstr : rmq_err2str(err),
                     sizeof(s->errstr));
        async_on_exception(s, err, false);
}

/* One async attempt to s->mq: the first is sendKernelImpl +
 * sendMessageAsync, a retry sendMessageAsync from onExceptionImpl. Hooks
 * as there: before once, when the first request is about to go; after
 * right then with no result (the tail of sendKernelImpl), and once more
 * when the send completes (finish_now); retries run none. */
static void async_attempt(send_t *s, bool in_caller) {
        rmq_producer_t *prod = s->prod;
        int64_t now          = rmq__mono_ms();
        int64_t left         = s->timeout - (now - s->begin_first);
        bool first           = !s->hooked;
        /* encoded before invoke returns: the stack will do */
        rmq_send_request_t req;
        rmq_err_t err;
        if ((err = resolve_addr(s, false))) {
                /* sendKernelImpl: tryToFindTopicPublishInfo(mq.topic) and
                 * findBrokerAddressInPublish again, on the first attempt
                 * (a retry of onExceptionImpl only looks the address up) */
                if (!s->addr_lookup && !s->async_retries) {
                        s->addr_lookup = true;
                        s->errstr[0]   = '\0';
                        async_find_route(s, in_caller);
                        return;
                }
                /* Java throws from sendKernelImpl: no async retry. */
                async_finish(s, err, NULL, in_caller);
                return;
        }
        if (first) {
                s->hooked = true;
                run_hooks(s, false, NULL, RMQ_OK);
        }
        if (left <= 0) {
                rmq__seterr(s->errstr, sizeof(s->errstr), RMQ_ERR__TIMED_OUT,
                            "sendKernelImpl call timeout");
                async_finish(s, RMQ_ERR__TIMED_OUT, NULL, in_caller);
                return;
        }
        /* The attempt's latency counts from its start, hooks included, as
         * sendDefaultImpl's beginTimestampPrev. */
        s->attempt_start = now;
        build_request(s, &req);
        /* Before the hand-off, so that it always precedes the completion's
         * after hook (which may run as soon as the request is queued). */
        if (first)
                run_hooks(s, true, NULL, RMQ_OK);
        err = rmq__remoting_invoke_async_at(rmq__client_remoting(prod->ci),
                                            s->addr, &req.cmd, now, left, 0,
                                            async_response, s);
        rmq__cmd_fini(&req.cmd);
        if (err) {
                rmq__fault_update(&prod->fault, s->mq.brokerName,
                                  rmq__mono_ms() - s->attempt_start, true);
                rmq__seterr(s->errstr, sizeof(s->errstr), err,
                            "send request to %s failed: %s", s->addr,
                            rmq_err2str(err));
                async_on_exception(s, err, in_caller);
        }
}

static void async_dispatch(send_t *s, bool in_caller) {
        rmq_message_queue_t scratch, q;
        const rmq_message_queue_t *mq;
        rmq_err_t err;
        if (s->kind == SEND_SELECT) {
                err = run_selector(s, &q, s->errstr, sizeof(s->errstr));
                if (err) {
                        async_finish(s, err, NULL, in_caller);
                        return;
                }
                set_mq(s, &q);
                rmq__mq_clear(&q);
        } else {
                mq = select_queue(s, NULL, &scratch);
                if (!mq) {
                        err = no_route_error(s, s->errstr, sizeof(s->errstr));
                        async_finish(s, err, NULL, in_caller);
                        return;
                }
                set_mq_selected(s, mq, &scratch);
        }
        note_broker(s, s->mq.brokerName);
        async_attempt(s, in_caller);
}

static void async_route_done(rmq_client_t *ci, rmq_err_t err,
                             const char *errstr, void *opaque) {
        send_t *s               = opaque;
        rmq_producer_t *prod    = s->prod;
        rmq_publish_info_t *tpi = pub_get(prod, s->topic);
        RMQ_UNUSED(ci);
        /* tryToFindTopicPublishInfo: fall back to the createTopicKey
         * route, once, when the topic has none. */
        if (!s->tried_default && !s->addr_lookup && route_failure_told(err) &&
            errstr)
                rmq__strlcpy(s->route_why, errstr, sizeof(s->route_why));
        if (!rmq__publish_info_ok(tpi) && !(tpi && tpi->have_route) &&
            !s->tried_default && err != RMQ_ERR__DESTROY &&
            err != RMQ_ERR__NO_NAMESRV) {
                s->tried_default = true;
                rmq__publish_info_release(tpi);
                err = rmq__client_update_route_async(
                    prod->ci, s->topic, true, prod->conf->createTopicKey,
                    (int)prod->conf->defaultTopicQueueNums, async_route_done,
                    s);
                if (!err)
                        return;
                tpi = NULL;
        }
        if (s->addr_lookup && err != RMQ_ERR__DESTROY) {
                /* back in sendKernelImpl: the address, or "The broker[x]
                 * not exist" */
                rmq__publish_info_release(tpi);
                async_attempt(s, false);
                return;
        }
        if (rmq__publish_info_ok(tpi) && err != RMQ_ERR__DESTROY) {
                s->tpi = tpi;
                async_dispatch(s, false);
                return;
        }
        rmq__publish_info_release(tpi);
        if (err == RMQ_ERR__NO_NAMESRV || err == RMQ_ERR__DESTROY)
                rmq__seterr(s->errstr, sizeof(s->errstr), err, "%s",
                            errstr ? errstr : rmq_err2str(err));
        else
                err = no_route_error(s, s->errstr, sizeof(s->errstr));
        async_finish(s, err, NULL, false);
}

static rmq_err_t send_async_start(rmq_producer_t *prod, int kind,
                                  rmq_message_t *msg,
                                  rmq_message_t *const *batch, size_t batch_cnt,
                                  const rmq_message_queue_t *mq,
                                  rmq_queue_selector_cb_t *selector, void *arg,
                                  int64_t timeout, rmq_send_cb_t *cb,
                                  void *opaque);

static rmq_err_t send_async(rmq_producer_t *prod, int kind, rmq_message_t *msg,
                            rmq_message_t *const *batch, size_t batch_cnt,
                            const rmq_message_queue_t *mq,
                            rmq_queue_selector_cb_t *selector, void *arg,
                            rmq_send_cb_t *cb, void *opaque) {
        rmq_err_t err;
        if (!cb)
                return RMQ_ERR__INVALID_ARG;
        if ((err = call_enter(prod, NULL, 0)))
                return err;
        err = send_async_start(prod, kind, msg, batch, batch_cnt, mq,
                               selector, arg, prod->conf->sendMsgTimeout, cb,
                               opaque);
        call_leave(prod);
        return err;
}

static rmq_err_t send_async_start(rmq_producer_t *prod, int kind,
                                  rmq_message_t *msg,
                                  rmq_message_t *const *batch, size_t batch_cnt,
                                  const rmq_message_queue_t *mq,
                                  rmq_queue_selector_cb_t *selector, void *arg,
                                  int64_t timeout, rmq_send_cb_t *cb,
                                  void *opaque) {
        send_t *s;
        rmq_err_t err;
        s          = send_new(prod, RMQ_SEND_MODE_ASYNC, kind);
        s->timeout = timeout;
        err = batch ? send_prepare_batch(s, batch, batch_cnt, NULL, 0)
                    : send_prepare_one(s, msg, NULL, 0);
        if (!err && kind == SEND_TO_QUEUE) {
                char *qt = rmq__ns_wrap(prod->conf->namespace_, mq->topic);
                if (strcmp(qt, s->topic))
                        err = RMQ_ERR__INVALID_ARG;
                else {
                        rmq_message_queue_t q;
                        rmq__mq_init(&q, qt, mq->brokerName, mq->queueId);
                        set_mq(s, &q);
                        rmq__mq_clear(&q);
                }
                rmq__free(qt);
        }
        if (!err)
                err = window_acquire(prod, s->body_len, s->timeout);
        if (err) {
                send_free(s);
                return err;
        }
        s->win_bytes = s->body_len;
        s->cb        = cb;
        s->cb_opaque = opaque;
        s->selector  = selector;
        s->sel_arg   = arg;
        if (prod->hook_cnt || selector)
                s->msg_keep = rmq__message_dup_same(batch ? batch[0] : msg);
        s->umsg = NULL; /* the caller's message is not used after return */
        if (kind == SEND_TO_QUEUE) {
                note_broker(s, s->mq.brokerName);
                async_attempt(s, true);
                return RMQ_OK;
        }
        s->tpi = pub_get(prod, s->topic);
        if (rmq__publish_info_ok(s->tpi)) {
                async_dispatch(s, true);
                return RMQ_OK;
        }
        rmq__publish_info_release(s->tpi);
        s->tpi = NULL;
        async_find_route(s, true);
        return RMQ_OK;
}

/* mirrors tryToFindTopicPublishInfo(s->topic) without blocking: the
 * topic joins the publish table (so the periodic refresh keeps its route)
 * and its route is fetched; the send goes on in async_route_done. */
static void async_find_route(send_t *s, bool in_caller) {
        rmq_producer_t *prod = s->prod;
        rmq_err_t err;
        s->tried_default = false;
        pub_put_placeholder(prod, s->topic);
        err = rmq__client_update_route_async(prod->ci, s->topic, false, NULL, 0,
                                             async_route_done, s);
        if (err) {
                rmq__seterr(s->errstr, sizeof(s->errstr), err,
                            "cannot query the route of %s: %s", s->topic,
                            rmq_err2str(err));
                async_finish(s, err, NULL, in_caller);
        }
}

rmq_err_t rmq_producer_send_async(rmq_producer_t *prod, rmq_message_t *msg,
                                  rmq_send_cb_t *cb, void *opaque) {
        return send_async(prod, SEND_DEFAULT, msg, NULL, 0, NULL, NULL, NULL,
                          cb, opaque);
}

rmq_err_t rmq_producer_send_to_queue_async(rmq_producer_t *prod,
                                           rmq_message_t *msg,
                                           const rmq_message_queue_t *mq,
                                           rmq_send_cb_t *cb, void *opaque) {
        if (!mq)
                return RMQ_ERR__INVALID_ARG;
        return send_async(prod, SEND_TO_QUEUE, msg, NULL, 0, mq, NULL, NULL,
                          cb, opaque);
}

rmq_err_t rmq_producer_send_select_async(rmq_producer_t *prod,
                                         rmq_message_t *msg,
                                         rmq_queue_selector_cb_t *selector,
                                         void *arg, rmq_send_cb_t *cb,
                                         void *opaque) {
        if (!selector)
                return RMQ_ERR__INVALID_ARG;
        return send_async(prod, SEND_SELECT, msg, NULL, 0, NULL, selector, arg,
                          cb, opaque);
}

rmq_err_t rmq_producer_send_batch_async(rmq_producer_t *prod,
                                        rmq_message_t *const *msgs, size_t cnt,
                                        rmq_send_cb_t *cb, void *opaque) {
        return send_async(prod, SEND_DEFAULT, NULL, msgs, cnt, NULL, NULL,
                          NULL, cb, opaque);
}

rmq_err_t rmq_producer_send_batch_to_queue_async(
    rmq_producer_t *prod, rmq_message_t *const *msgs, size_t cnt,
    const rmq_message_queue_t *mq, rmq_send_cb_t *cb, void *opaque) {
        if (!mq)
                return RMQ_ERR__INVALID_ARG;
        return send_async(prod, SEND_TO_QUEUE, NULL, msgs, cnt, mq, NULL, NULL,
                          cb, opaque);
}

rmq_err_t rmq__producer_send_request(rmq_producer_t *prod, rmq_message_t *msg,
                                     const rmq_message_queue_t *mq,
                                     rmq_queue_selector_cb_t *selector,
                                     void *arg, int64_t timeout_ms,
                                     rmq_send_cb_t *cb, void *opaque) {
        int kind = mq ? SEND_TO_QUEUE : selector ? SEND_SELECT : SEND_DEFAULT;
        return send_async_start(prod, kind, msg, NULL, 0, mq, selector, arg,
                                timeout_ms, cb, opaque);
}

/* ---- selectors ---- */

/* SelectMessageQueueByHash: hashCode() % size, then Math.abs of a
 * negative remainder. The remainder is above -size, so Math.abs never
 * meets Integer.MIN_VALUE (whose abs stays negative): the index is always
 * in range. */
static int hash_pick(int32_t hash, size_t mq_cnt) {
        int32_t value = hash % (int32_t)mq_cnt;
        return value < 0 ? -value : value;
}

int rmq_queue_selector_hash(const rmq_message_queue_t *const *mqs,
                            size_t mq_cnt, const rmq_message_t *msg, void *arg,
                            void *opaque) {
        const char *key = arg;
        RMQ_UNUSED(mqs);
        RMQ_UNUSED(msg);
        RMQ_UNUSED(opaque);
        if (!key || !mq_cnt)
                return -1;
        return hash_pick(rmq__java_hash(key, strlen(key)), mq_cnt);
}

int rmq_queue_selector_hash_int32(const rmq_message_queue_t *const *mqs,
                                  size_t mq_cnt, const rmq_message_t *msg,
                                  void *arg, void *opaque) {
        const int32_t *key = arg;
        RMQ_UNUSED(mqs);
        RMQ_UNUSED(msg);
        RMQ_UNUSED(opaque);
        if (!key || !mq_cnt)
                return -1;
        return hash_pick(*key, mq_cnt); /* Integer.hashCode: the value */
}

int rmq_queue_selector_hash_int64(const rmq_message_queue_t *const *mqs,
                                  size_t mq_cnt, const rmq_message_t *msg,
                                  void *arg, void *opaque) {
        const int64_t *key = arg;
        uint64_t v;
        RMQ_UNUSED(mqs);
        RMQ_UNUSED(msg);
        RMQ_UNUSED(opaque);
        if (!key || !mq_cnt)
                return -1;
        /* Long.hashCode: (int)(value ^ (value >>> 32)) */
        v = (uint64_t)*key;
        return hash_pick((int32_t)(uint32_t)(v ^ (v >> 32)), mq_cnt);
}

int rmq_queue_selector_random(const rmq_message_queue_t *const *mqs,
                              size_t mq_cnt, const rmq_message_t *msg,
                              void *arg, void *opaque) {
        static atomic_uint seed;
        unsigned x;
        RMQ_UNUSED(mqs);
        RMQ_UNUSED(msg);
        RMQ_UNUSED(arg);
        RMQ_UNUSED(opaque);
        if (!mq_cnt)
                return -1;
        /* a xorshift step on a shared seed; seeded from the clock */
        x = atomic_load(&seed);
        if (!x)
                x = (unsigned)rmq__mono_ns() | 1u;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        atomic_store(&seed, x);
        return (int)(x % (unsigned)mq_cnt);
}

/* ---- fetchPublishMessageQueues ---- */

static rmq_err_t fetch_queues(rmq_producer_t *prod, const char *topic,
                              rmq_message_queue_t ***mqsp, size_t *cntp,
                              char *errstr, size_t errstr_size);

rmq_err_t rmq_producer_fetch_publish_message_queues(
    rmq_producer_t *prod, const char *topic, rmq_message_queue_t ***mqsp,
    size_t *cntp, char *errstr, size_t errstr_size) {
        rmq_err_t err;
        *mqsp = NULL;
        *cntp = 0;
        if (!topic)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "topic is NULL");
        if ((err = guard_thread(prod, errstr, errstr_size)))
                return err;
        err = fetch_queues(prod, topic, mqsp, cntp, errstr, errstr_size);
        call_leave(prod);
        return err;
}

static rmq_err_t fetch_queues(rmq_producer_t *prod, const char *topic,
                              rmq_message_queue_t ***mqsp, size_t *cntp,
                              char *errstr, size_t errstr_size) {
        char *t;
        rmq_topic_route_data_t *route;
        rmq_publish_info_t *tpi;
        rmq_err_t err;
        size_t i;
        t   = rmq__ns_wrap(prod->conf->namespace_, topic);
        err = rmq__client_update_route(prod->ci, t, false, NULL, 0, errstr,
                                       errstr_size);
        if (err) {
                rmq__free(t);
                return err;
        }
        route = rmq__client_route_get(prod->ci, t);
        tpi   = route ? rmq__publish_info_from_route(t, route) : NULL;
        rmq__topic_route_destroy(route);
        if (!rmq__publish_info_ok(tpi)) {
                rmq__publish_info_release(tpi);
                rmq__free(t);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__NO_ROUTE,
                                   "Can not find Message Queue for this "
                                   "topic, %s",
                                   topic);
        }
        *mqsp = rmq__calloc(tpi->mq_cnt, sizeof(**mqsp));
        for (i = 0; i < tpi->mq_cnt; i++) {
                char *u = rmq__ns_unwrap(tpi->mqs[i].topic,
                                         prod->conf->namespace_);
                (*mqsp)[i] = rmq_message_queue_new(u, tpi->mqs[i].brokerName,
                                                   tpi->mqs[i].queueId);
                rmq__free(u);
        }
        *cntp = tpi->mq_cnt;
        rmq__publish_info_release(tpi);
        rmq__free(t);
        return RMQ_OK;
}

void rmq_message_queues_destroy(rmq_message_queue_t **mqs, size_t cnt) {
        size_t i;
        if (!mqs)
                return;
        for (i = 0; i < cnt; i++)
                rmq_message_queue_destroy(mqs[i]);
        rmq__free(mqs);
}

/* ---- hooks ---- */

rmq_err_t rmq_producer_add_send_hook(rmq_producer_t *prod, const char *name,
                                     rmq_send_hook_cb_t *before,
                                     rmq_send_hook_cb_t *after, void *opaque) {
        rmq_err_t err = RMQ_OK;
        uv_mutex_lock(&prod->lock);
        if (prod->state != PS_CREATE_JUST)
                err = RMQ_ERR__STATE;
        else if (prod->hook_cnt >= MAX_HOOKS)
                err = RMQ_ERR__INVALID_ARG;
        else {
                send_hook_t *h = &prod->hooks[prod->hook_cnt++];
                h->name        = rmq__strdup(name ? name : "");
                h->before      = before;
                h->after       = after;
                h->opaque      = opaque;
        }
        uv_mutex_unlock(&prod->lock);
        return err;
}

const char *rmq_send_context_producer_group(const rmq_send_context_t *ctx) {
        return ctx->prod->group;
}

const rmq_message_t *rmq_send_context_message(const rmq_send_context_t *ctx) {
        return ctx->msg;
}

const char *rmq_send_context_msg_id(const rmq_send_context_t *ctx) {
        return ctx->msg_id;
}

const rmq_message_queue_t *
rmq_send_context_message_queue(const rmq_send_context_t *ctx) {
        return ctx->mq;
}

const char *rmq_send_context_broker_addr(const rmq_send_context_t *ctx) {
        return ctx->addr;
}

const char *rmq_send_context_born_host(const rmq_send_context_t *ctx) {
        return rmq__client_ip(ctx->prod->ci);
}

rmq_send_mode_t rmq_send_context_mode(const rmq_send_context_t *ctx) {
        return ctx->mode;
}

const rmq_send_result_t *rmq_send_context_result(const rmq_send_context_t *ctx) {
        return ctx->result;
}

rmq_err_t rmq_send_context_error(const rmq_send_context_t *ctx) {
        return ctx->err;
}

const char *rmq_send_context_namespace(const rmq_send_context_t *ctx) {
        return ctx->prod->conf->namespace_;
}

rmq_message_type_t rmq_send_context_msg_type(const rmq_send_context_t *ctx) {
        /* sendKernelImpl: a MessageBatch keeps Normal_Msg (it has only
         * WAIT); TRAN_MSG=true is a half message; a delay level or
         * __STARTDELIVERTIME wins over both */
        const char *tran;
        if (ctx->batch)
                return RMQ_NORMAL_MSG;
        if (rmq_message_property(ctx->msg, RMQ_PROP_START_DELIVER_TIME) ||
            rmq_message_property(ctx->msg, RMQ_PROP_DELAY))
                return RMQ_DELAY_MSG;
        tran = rmq_message_property(ctx->msg, RMQ_PROP_TRAN_MSG);
        return tran && !strcmp(tran, "true") ? RMQ_TRANS_MSG_HALF
                                             : RMQ_NORMAL_MSG;
}

/* ---- lifecycle ---- */

rmq_err_t rmq_producer_new(rmq_producer_t **prodp, const rmq_conf_t *conf,
                           char *errstr, size_t errstr_size) {
        rmq_producer_t *prod;
        *prodp = NULL;
        if (!conf)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "conf is NULL");
        prod       = rmq__calloc(1, sizeof(*prod));
        prod->conf = rmq_conf_dup(conf);
        rmq__logger_from_conf(&prod->lg, prod->conf, "");
        uv_mutex_init(&prod->lock);
        uv_cond_init(&prod->idle_cond);
        uv_mutex_init(&prod->win_lock);
        uv_cond_init(&prod->win_cond);
        rmq__strmap_init(&prod->pub_table);
        rmq__fault_init(&prod->fault, prod->conf->sendLatencyFaultEnable);
        prod->send_cache = rmq__freelist_new(
            sizeof(send_t),
            (size_t)RMQ_MIN(RMQ_MAX(prod->conf->backPressureForAsyncSendNum,
                                    (int64_t)16),
                            (int64_t)SEND_CACHE_CAP));
        rmq__admin_init(&prod->admin, &prod->ci, prod->conf, &prod->lg,
                        prod->conf->namespace_);
        rmq__admin_set_guard(&prod->admin, admin_enter, admin_leave, prod);
        rmq__send_stats_init(&prod->send_stats);
        prod->state = PS_CREATE_JUST;
        *prodp      = prod;
        return RMQ_OK;
}

/* Creates the trace dispatcher and registers its send hook (the state is
 * not RUNNING yet: no send reads the hooks). */
static void trace_start(rmq_producer_t *prod) {
        send_hook_t *h;
        if (prod->tracer)
                return;
        if (prod->hook_cnt >= MAX_HOOKS) {
                rmq__log(&prod->lg, RMQ_LOG_WARN, "TRACE",
                         "enableMsgTrace: no room for the trace hook (8 "
                         "hooks registered): no message trace");
                return;
        }
        prod->tracer = rmq__tracer_new(prod->conf, &prod->lg,
                                       prod->conf->producerGroup);
        h         = &prod->hooks[prod->hook_cnt++];
        h->name   = rmq__strdup("SendMessageTraceHook");
        h->before = rmq__trace_send_before;
        h->after  = rmq__trace_send_after;
        h->opaque = prod->tracer;
        rmq__tracer_start(prod->tracer, prod->conf, "PRODUCE", prod->ci);
}

/* The statistics document's "producer" object (docs/STATISTICS.md). */
static void stats_fill(void *impl, cJSON *doc) {
        rmq_producer_t *prod = impl;
        cJSON *o             = cJSON_AddObjectToObject(doc, "producer");
        int64_t num, bytes;
        cJSON_AddStringToObject(o, "group", prod->group);
        rmq__send_stats_json(&prod->send_stats, o);
        uv_mutex_lock(&prod->win_lock);
        num   = prod->win_num;
        bytes = prod->win_bytes;
        uv_mutex_unlock(&prod->win_lock);
        rmq__stats_num(o, "async_in_flight", (double)num);
        rmq__stats_num(o, "async_in_flight_bytes", (double)bytes);
        rmq__stats_num(o, "async_limit",
                       (double)prod->conf->backPressureForAsyncSendNum);
        rmq__stats_num(o, "async_limit_bytes",
                       (double)prod->conf->backPressureForAsyncSendSize);
        rmq__stats_num(o, "trace_dropped",
                       (double)rmq_producer_trace_dropped(prod));
}

/* rmq_producer_start, or with \p inner_ci the start of an instance's own
 * producer (MQClientInstance.defaultMQProducer, DefaultMQProducerImpl
 * start(false)): its group as given (no namespace), the instance neither
 * acquired nor started. */
static rmq_err_t producer_start(rmq_producer_t *prod, rmq_client_t *inner_ci,
                                char *errstr, size_t errstr_size) {
        char buf[300];
        const char *why;
        rmq_err_t err;
        uv_mutex_lock(&prod->lock);
        if (prod->state != PS_CREATE_JUST) {
                int st = prod->state;
                uv_mutex_unlock(&prod->lock);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                   "The producer service state not OK, maybe "
                                   "started once, %s",
                                   st == PS_RUNNING ? "RUNNING"
                                   : st == PS_SHUTDOWN_ALREADY
                                       ? "SHUTDOWN_ALREADY"
                                       : "START_FAILED");
        }
        prod->state = PS_START_FAILED;
        uv_mutex_unlock(&prod->lock);
        /* DefaultMQProducer.start: the group gets the namespace, then
         * checkConfig checks it. A config error leaves START_FAILED, as in
         * Java (a second start fails with RMQ_ERR__STATE). */
        prod->group = inner_ci ? rmq__strdup(prod->conf->producerGroup)
                               : rmq__ns_wrap(prod->conf->namespace_,
                                              prod->conf->producerGroup);
        why = rmq__check_group(prod->group, buf, sizeof(buf));
        if (!why && !inner_ci &&
            !strcmp(prod->group, RMQ_DEFAULT_PRODUCER_GROUP))
                why = "producerGroup can not equal DEFAULT_PRODUCER, please "
                      "specify another one.";
        if (why) {
                rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG, "%s",
                            why);
                rmq__free(prod->group);
                prod->group = NULL;
                return RMQ_ERR__INVALID_ARG;
        }
        prod->group_len   = strlen(prod->group);
        prod->group_plain = rmq__json_plain(prod->group, prod->group_len);
        prod->default_topic_len   = strlen(prod->conf->createTopicKey);
        prod->default_topic_plain = rmq__json_plain(
            prod->conf->createTopicKey, prod->default_topic_len);
        prod->inner = inner_ci != NULL;
        prod->ci    = inner_ci ? inner_ci : rmq__client_acquire(prod->conf);
        rmq__logger_from_conf(&prod->lg, prod->conf, rmq__client_id(prod->ci));
        err = rmq__client_register(prod->ci, prod->group, &producer_ops,
                                   prod);
        if (err) {
                rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                            "The producer group[%s] has been created "
                            "before, specify another name please.",
                            prod->group);
                if (!prod->inner)
                        rmq__client_release(prod->ci);
                prod->ci = NULL;
                rmq__free(prod->group);
                prod->group = NULL;
                uv_mutex_lock(&prod->lock);
                prod->state = PS_CREATE_JUST;
                uv_mutex_unlock(&prod->lock);
                return RMQ_ERR__INVALID_ARG;
        }
        pub_put_placeholder(prod, prod->conf->createTopicKey);
        err = inner_ci ? RMQ_OK
                       : rmq__client_start(prod->ci, errstr, errstr_size);
        if (err) {
                rmq__client_unregister(prod->ci, RMQ_MEMBER_PRODUCER, prod->group);
                rmq__client_release(prod->ci);
                prod->ci = NULL;
                return err;
        }
        rmq__txn_start(prod->txn, prod);
        /* DefaultMQProducer(enableMsgTrace): the trace hooks, then
         * traceDispatcher.start; a failure is only logged */
        if (!inner_ci && prod->conf->enableMsgTrace)
                trace_start(prod);
        uv_mutex_lock(&prod->lock);
        prod->state = PS_RUNNING;
        uv_mutex_unlock(&prod->lock);
        if (!inner_ci)
                prod->reporter = rmq__stats_reporter_start(
                    prod->ci, prod->conf, "producer", prod->group,
                    stats_fill, prod);
        rmq__log(&prod->lg, RMQ_LOG_INFO, "PRODUCER",
                 "the producer [%s] start OK", prod->group);
        rmq__client_heartbeat_now(prod->ci);
        return RMQ_OK;
}

rmq_err_t rmq_producer_start(rmq_producer_t *prod, char *errstr,
                             size_t errstr_size) {
        return producer_start(prod, NULL, errstr, errstr_size);
}

rmq_err_t rmq__producer_start_inner(rmq_producer_t *prod, rmq_client_t *ci,
                                    char *errstr, size_t errstr_size) {
        return producer_start(prod, ci, errstr, errstr_size);
}

/* ---- for the transactional producer (rmq_txn.c) ---- */

rmq_err_t rmq__producer_enter(rmq_producer_t *prod, char *errstr,
                              size_t errstr_size) {
        return guard_thread(prod, errstr, errstr_size);
}

void rmq__producer_leave(rmq_producer_t *prod) {
        call_leave(prod);
}

rmq_err_t rmq__producer_set_txn(rmq_producer_t *prod, rmq_txn_t **txnp) {
        rmq_err_t err = RMQ_ERR__STATE;
        uv_mutex_lock(&prod->lock);
        if (prod->state == PS_CREATE_JUST) {
                rmq_txn_t *old = prod->txn;
                prod->txn      = *txnp;
                *txnp          = old;
                err            = RMQ_OK;
        }
        uv_mutex_unlock(&prod->lock);
        return err;
}

rmq_txn_t *rmq__producer_txn(const rmq_producer_t *prod) {
        return prod->txn;
}

const char *rmq__producer_group(const rmq_producer_t *prod) {
        return prod->group;
}

const rmq_conf_t *rmq__producer_conf(const rmq_producer_t *prod) {
        return prod->conf;
}

rmq_client_t *rmq__producer_client(const rmq_producer_t *prod) {
        return prod->ci;
}

rmq_tracer_t *rmq__producer_tracer(const rmq_producer_t *prod) {
        return prod->tracer;
}

size_t rmq__send_context_body_len(const rmq_send_context_t *ctx) {
        return ctx->body_len;
}

int64_t *rmq__send_context_trace_ts(const rmq_send_context_t *ctx) {
        return ctx->trace_ts;
}

const rmq_logger_t *rmq__producer_logger(const rmq_producer_t *prod) {
        return &prod->lg;
}

rmq_err_t rmq_producer_shutdown(rmq_producer_t *prod) {
        bool running;
        if ((prod->ci && rmq__client_on_own_thread(prod->ci)) ||
            rmq__txn_on_check_thread(prod->txn))
                return RMQ_ERR__WOULD_DEADLOCK;
        uv_mutex_lock(&prod->lock);
        running = prod->state == PS_RUNNING;
        if (running)
                prod->state = PS_SHUTDOWN_ALREADY;
        uv_mutex_unlock(&prod->lock);
        if (!running)
                return RMQ_OK;
        rmq__stats_reporter_stop(prod->reporter);
        prod->reporter = NULL;
        /* Requests waiting for a reply end now (RMQ_ERR__DESTROY): their
         * waiters return and their callbacks run. */
        rmq__req_futures_fail_owner(prod->ci, prod);
        /* Let the calls in progress return ... */
        uv_mutex_lock(&prod->lock);
        while (prod->active > 0)
                uv_cond_wait(&prod->idle_cond, &prod->lock);
        uv_mutex_unlock(&prod->lock);
        /* ... and every accepted async send finish: its callback runs. */
        uv_mutex_lock(&prod->win_lock);
        uv_cond_broadcast(&prod->win_cond);
        prod->win_waiters++;
        while (prod->win_num > 0)
                uv_cond_wait(&prod->win_cond, &prod->win_lock);
        prod->win_waiters--;
        uv_mutex_unlock(&prod->win_lock);
        rmq__client_unregister(prod->ci, RMQ_MEMBER_PRODUCER, prod->group);
        /* No check arrives any more: drop the queued ones, finish the
         * running one (it still answers through prod->ci). */
        rmq__txn_stop(prod->txn, prod);
        /* traceDispatcher.shutdown() (Java: after the producer's): the
         * last traces go out, before the instance (and a private mock
         * cluster of test.mock.brokers) may go */
        rmq__tracer_shutdown(prod->tracer);
        if (!prod->inner)
                rmq__client_release(prod->ci);
        prod->ci = NULL;
        rmq__log(&prod->lg, RMQ_LOG_INFO, "PRODUCER",
                 "the producer [%s] shutdown OK", prod->group);
        return RMQ_OK;
}

void rmq_producer_destroy(rmq_producer_t *prod) {
        size_t i;
        int h;
        if (!prod)
                return;
        if (rmq_producer_shutdown(prod) == RMQ_ERR__WOULD_DEADLOCK) {
                /* The producer is still registered and in use: freeing it
                 * here would leave the instance's timers calling into
                 * freed memory. */
                rmq__log(&prod->lg, RMQ_LOG_ERROR, "PRODUCER",
                         "rmq_producer_destroy() called from a library "
                         "thread (a callback): refused, the producer [%s] "
                         "stays alive; destroy it from an application "
                         "thread",
                         prod->group ? prod->group : "");
                return;
        }
        rmq__strmap_clear(&prod->pub_table, pub_release_cb);
        rmq__fault_destroy(&prod->fault);
        for (i = 0; i < prod->ndeflaters; i++)
                rmq__deflater_destroy(prod->deflaters[i]);
        rmq__free(prod->deflaters);
        for (h = 0; h < prod->hook_cnt; h++)
                rmq__free(prod->hooks[h].name);
        rmq__freelist_release(prod->send_cache);
        rmq__txn_destroy(prod->txn);
        rmq__tracer_destroy(prod->tracer);
        uv_cond_destroy(&prod->win_cond);
        uv_mutex_destroy(&prod->win_lock);
        uv_cond_destroy(&prod->idle_cond);
        uv_mutex_destroy(&prod->lock);
        rmq__free(prod->group);
        rmq_conf_destroy(prod->conf);
        rmq__free(prod);
}
