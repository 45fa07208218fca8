/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message trace (org.apache.rocketmq.client.trace of 4.9.8):
 * TraceDataEncoder.encoderFromContextBean, AsyncTraceDispatcher and the
 * three trace hooks. See rmq_trace.h and docs/TRACE.md.
 */
#include <stdio.h>
#include <string.h>

#include "client/rmq_client_api.h"
#include "client/rmq_trace.h"
#include "common/rmq_buf.h"
#include "common/rmq_list.h"
#include "common/rmq_map.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "consumer/rmq_push_consumer_int.h"
#include "producer/rmq_producer_int.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_msg_id.h"
#include "protocol/rmq_names.h"

/* A dropped record or a failed trace send is logged at most this often,
 * with the number of occurrences since the last line. */
#define TRACE_LOG_INTERVAL_MS 10000
/* AsyncTraceDispatcher: the trace producer's send timeout. */
#define TRACE_SEND_TIMEOUT_MS "5000"

/* One encoded trace context (TraceTransferBean): its data and its keys
 * (the message ids and keys, separated by one space). */
typedef struct trace_rec_s {
        rmq_list_t link;
        char *topic; /* the trace topic it goes to */
        char *keys;
        size_t data_len;
        char data[]; /* data_len bytes, then keys and topic */
} trace_rec_t;

/* The batch being filled (TraceDataSegment). */
typedef struct trace_batch_s {
        char *topic;
        rmq_buf_t data;
        rmq_buf_t keys;
        rmq_strmap_t seen; /* the keys in `keys` (AsyncDataSendTask's set) */
        int64_t count;
        int64_t first_ms;
} trace_batch_t;

/* A message- or send-failure counter logged at most once an interval. */
typedef struct trace_ratelog_s {
        int64_t since_log;
        int64_t last_ms;
} trace_ratelog_t;

struct rmq_tracer_s {
        rmq_logger_t lg;
        char *group; /* the host's group, without the namespace */
        char *topic; /* LOCAL: the trace topic; CLOUD: unused */
        bool cloud;  /* accessChannel CLOUD */
        int64_t queue_cap, batch_size, max_msg_size, polling_ms, wait_ms;
        rmq_producer_t *tp; /* the trace producer */
        uv_thread_t worker;
        bool worker_started;
        uv_mutex_t lock;
        uv_cond_t cond;
        /* under lock */
        rmq_list_t queue;
        int64_t queued;
        bool stopping; /* shutdown: the worker drains and ends */
        bool stopped;  /* shutdown done: records are dropped */
        bool paused;   /* test seam */
        int64_t dropped;
        trace_ratelog_t drop_log;
        trace_ratelog_t fail_log;
};

/* AsyncTraceDispatcher.COUNTER (an atomic counter for names, STYLE R16). */
static atomic_int trace_counter;

/* ---- encoding (TraceDataEncoder.encoderFromContextBean) ---- */

/* Java's StringBuilder.append(String): null becomes "null". */
static void put_field(rmq_buf_t *b, const char *v, char sep) {
        rmq__buf_put_str(b, v ? v : "null");
        rmq__buf_put(b, &sep, 1);
}

static void put_i64(rmq_buf_t *b, int64_t v, char sep) {
        char num[24];
        snprintf(num, sizeof(num), "%lld", (long long)v);
        put_field(b, num, sep);
}

static void put_bool(rmq_buf_t *b, bool v, char sep) {
        put_field(b, v ? "true" : "false", sep);
}

/* TraceTransferBean.transKey of one record: the ids, then the keys split
 * on spaces; duplicates go (a set; records are small), empty ones too. */
static bool keys_has(const rmq_buf_t *keys, const char *k, size_t klen) {
        const char *p   = (const char *)keys->data;
        const char *end = p + keys->len;
        while (p < end) {
                const char *sp = memchr(p, ' ', (size_t)(end - p));
                size_t len     = sp ? (size_t)(sp - p) : (size_t)(end - p);
                if (len == klen && !memcmp(p, k, klen))
                        return true;
                p += len + 1;
        }
        return false;
}

static void keys_add(rmq_buf_t *keys, const char *list) {
        const char *p = list;
        while (p && *p) {
                const char *sp = strchr(p, ' ');
                size_t len     = sp ? (size_t)(sp - p) : strlen(p);
                if (len && !keys_has(keys, p, len)) {
                        if (keys->len)
                                rmq__buf_put(keys, " ", 1);
                        rmq__buf_put(keys, p, len);
                }
                p = sp ? sp + 1 : NULL;
        }
}

/* TraceTransferBean.transKey: the traced message's id and its keys. */
static void trans_keys_add(rmq_buf_t *k, const char *msg_id,
                           const char *keys) {
        keys_add(k, msg_id);
        keys_add(k, keys); /* NULL-safe */
}

static const char *trace_topic_for(const rmq_tracer_t *t, const char *region,
                                   char *buf, size_t size) {
        /* AsyncRunnable.getTraceTopicName */
        if (!t->cloud)
                return t->topic;
        snprintf(buf, size, "%s%s", RMQ_TRACE_TOPIC_PREFIX,
                 region ? region : "null");
        return buf;
}

static void ratelog(rmq_tracer_t *t, trace_ratelog_t *rl, const char *what,
                    const char *detail) {
        int64_t now = rmq__mono_ms(), n = 0;
        rmq__lock(&t->lock);
        rl->since_log++;
        if (!rl->last_ms || now - rl->last_ms >= TRACE_LOG_INTERVAL_MS) {
                n             = rl->since_log;
                rl->since_log = 0;
                rl->last_ms   = now;
        }
        rmq__unlock(&t->lock);
        if (n)
                rmq__log(&t->lg, RMQ_LOG_WARN, "TRACE",
                         "%s (%lld since the last report)%s%s", what,
                         (long long)n, detail ? ": " : "",
                         detail ? detail : "");
}

/* AsyncTraceDispatcher.append: offers the record to the queue; a full
 * queue drops and counts it. Takes \p rec. */
static void enqueue(rmq_tracer_t *t, trace_rec_t *rec) {
        bool drop;
        rmq__lock(&t->lock);
        drop = t->stopped || t->queued >= t->queue_cap;
        if (drop) {
                t->dropped++;
        } else {
                rmq__list_insert_tail(&t->queue, &rec->link);
                t->queued++;
                uv_cond_signal(&t->cond);
        }
        rmq__unlock(&t->lock);
        if (!drop)
                return;
        rmq__free(rec);
        ratelog(t, &t->drop_log,
                "trace record dropped: the trace queue is full "
                "(trace.queueSize)",
                NULL);
}

/* Builds a record from the encoded \p data and \p keys (both consumed). */
static void offer(rmq_tracer_t *t, const char *region, rmq_buf_t *data,
                  rmq_buf_t *keys) {
        char tbuf[300];
        const char *topic = trace_topic_for(t, region, tbuf, sizeof(tbuf));
        size_t tlen = strlen(topic), klen = keys->len;
        trace_rec_t *rec =
            rmq__malloc(sizeof(*rec) + data->len + klen + 1 + tlen + 1);
        rec->data_len = data->len;
        memcpy(rec->data, data->data, data->len);
        rec->keys = rec->data + data->len;
        if (klen)
                memcpy(rec->keys, keys->data, klen);
        rec->keys[klen] = '\0';
        rec->topic      = rec->keys + klen + 1;
        memcpy(rec->topic, topic, tlen + 1);
        rmq__buf_free(data);
        rmq__buf_free(keys);
        enqueue(t, rec);
}

/* ---- the worker (AsyncRunnable, TraceDataSegment, AsyncDataSendTask) ---- */

/* A trace send in flight: its records count as dropped if it fails. */
typedef struct trace_send_s {
        rmq_tracer_t *t;
        int64_t records;
} trace_send_t;

/* \p n records that will never reach the broker. */
static void count_lost(rmq_tracer_t *t, int64_t n) {
        rmq__lock(&t->lock);
        t->dropped += n;
        rmq__unlock(&t->lock);
}

static void send_cb(rmq_producer_t *prod, rmq_err_t err, const char *errstr,
                    const rmq_send_result_t *result, void *opaque) {
        trace_send_t *ts = opaque;
        rmq_tracer_t *t  = ts->t;
        (void)prod;
        (void)result;
        if (err) {
                count_lost(t, ts->records);
                ratelog(t, &t->fail_log, "send trace data failed",
                        errstr ? errstr : rmq_err2str(err));
        }
        rmq__free(ts);
}

/* AsyncDataSendTask.sendTraceDataByMQ: one message, the records' data
 * concatenated, their keys as KEYS, sent asynchronously. */
static void batch_send(rmq_tracer_t *t, trace_batch_t *b) {
        rmq_message_t *msg;
        rmq_err_t err;
        trace_send_t *ts;
        if (!b->count)
                return;
        ts          = rmq__malloc(sizeof(*ts));
        ts->t       = t;
        ts->records = (int64_t)b->count;
        msg = rmq_message_new(b->topic);
        rmq_message_set_body(msg, b->data.data, b->data.len);
        if (b->keys.len) {
                rmq__buf_put(&b->keys, "", 1);
                rmq_message_set_keys(msg, (const char *)b->keys.data);
        }
        err = rmq_producer_send_async(t->tp, msg, send_cb, ts);
        if (err) {
                count_lost(t, ts->records);
                rmq__free(ts);
                ratelog(t, &t->fail_log, "send trace data failed",
                        rmq_err2str(err));
        }
        rmq_message_destroy(msg);
        rmq__buf_reset(&b->data);
        rmq__buf_reset(&b->keys);
        rmq__strmap_clear(&b->seen, NULL);
        b->count    = 0;
        b->first_ms = 0;
}

/* AsyncDataSendTask's keySet: a record's keys added to the batch's,
 * each once. */
static void batch_keys_add(trace_batch_t *b, const char *list) {
        const char *p = list;
        while (p && *p) {
                const char *sp = strchr(p, ' ');
                size_t len     = sp ? (size_t)(sp - p) : strlen(p);
                if (len) {
                        char *k = rmq__strndup(p, len);
                        if (!rmq__strmap_get(&b->seen, k)) {
                                rmq__strmap_set(&b->seen, k, b);
                                if (b->keys.len)
                                        rmq__buf_put(&b->keys, " ", 1);
                                rmq__buf_put(&b->keys, p, len);
                        }
                        rmq__free(k);
                }
                p = sp ? sp + 1 : NULL;
        }
}

/* TraceDataSegment.addTraceTransferBean; a record for another topic
 * (CLOUD: another region) sends the batch first. */
static void batch_add(rmq_tracer_t *t, trace_batch_t *b, trace_rec_t *rec) {
        if (b->count && strcmp(b->topic, rec->topic))
                batch_send(t, b);
        if (!b->count) {
                rmq__free(b->topic);
                b->topic    = rmq__strdup(rec->topic);
                b->first_ms = rmq__mono_ms();
        }
        rmq__buf_put(&b->data, rec->data, rec->data_len);
        batch_keys_add(b, rec->keys);
        b->count++;
        rmq__free(rec);
        if ((int64_t)b->data.len >= t->max_msg_size - 10000 ||
            b->count >= t->batch_size)
                batch_send(t, b);
}

static void worker_run(void *arg) {
        rmq_tracer_t *t = arg;
        trace_batch_t b;
        memset(&b, 0, sizeof(b));
        rmq__strmap_init(&b.seen);
        rmq__lock(&t->lock);
        for (;;) {
                int64_t now, wait;
                while (!t->paused && !rmq__list_empty(&t->queue)) {
                        trace_rec_t *rec = RMQ_CONTAINER_OF(
                            rmq__list_pop_head(&t->queue), trace_rec_t, link);
                        t->queued--;
                        rmq__unlock(&t->lock);
                        batch_add(t, &b, rec);
                        rmq__lock(&t->lock);
                }
                if (t->stopping && !t->paused) {
                        /* nothing is sent after this: later records are
                         * dropped and counted */
                        t->stopped = true;
                        break;
                }
                now  = rmq__mono_ms();
                wait = t->polling_ms;
                if (b.count) {
                        int64_t due = b.first_ms + t->wait_ms - now;
                        if (due <= 0) {
                                /* sendDataByTimeThreshold */
                                rmq__unlock(&t->lock);
                                batch_send(t, &b);
                                rmq__lock(&t->lock);
                                continue;
                        }
                        if (due < wait)
                                wait = due;
                }
                uv_cond_timedwait(&t->cond, &t->lock,
                                  (uint64_t)wait * 1000000u);
        }
        rmq__unlock(&t->lock);
        /* flush: what is left goes out */
        batch_send(t, &b);
        rmq__free(b.topic);
        rmq__buf_free(&b.data);
        rmq__buf_free(&b.keys);
        rmq__strmap_clear(&b.seen, NULL);
}

/* ---- lifecycle ---- */

/* Frees the records still queued, counted as dropped. t->lock held, or
 * the tracer no longer shared. */
static void queue_drop_all(rmq_tracer_t *t) {
        rmq_list_t *n;
        while ((n = rmq__list_pop_head(&t->queue))) {
                rmq__free(RMQ_CONTAINER_OF(n, trace_rec_t, link));
                t->dropped++;
        }
        t->queued = 0;
}

static void tracer_free(rmq_tracer_t *t) {
        queue_drop_all(t);
        rmq_producer_destroy(t->tp);
        uv_cond_destroy(&t->cond);
        uv_mutex_destroy(&t->lock);
        rmq__free(t->group);
        rmq__free(t->topic);
        rmq__free(t);
}

/* The trace producer's conf: the host's (name server, credentials, TLS,
 * logging), with AsyncTraceDispatcher's own settings and no statistics. */
static rmq_conf_t *trace_conf(const rmq_conf_t *conf, const char *group,
                              const char *type, const char *namesrv) {
        rmq_conf_t *c = rmq_conf_dup(conf);
        char *name;
        bool ok = true;
        name = rmq__asprintf("%s-%s-%s-%d", RMQ_TRACE_GROUP_NAME_PREFIX, group,
                             type, atomic_fetch_add(&trace_counter, 1) + 1);
        ok &= !rmq_conf_set(c, "producerGroup", name, NULL, 0);
        rmq__free(name);
        name = rmq__asprintf("%s_%s", RMQ_TRACE_INSTANCE_NAME,
                             namesrv ? namesrv : "");
        ok &= !rmq_conf_set(c, "instanceName", name, NULL, 0);
        rmq__free(name);
        if (namesrv)
                ok &= !rmq_conf_set(c, "namesrvAddr", namesrv, NULL, 0);
        ok &= !rmq_conf_set(c, "test.mock.brokers", "0", NULL, 0);
        ok &= !rmq_conf_set(c, "enableMsgTrace", "false", NULL, 0);
        /* the host's statistics callback is not given the inner producer's
         * documents */
        ok &= !rmq_conf_set(c, "statisticsIntervalMs", "0", NULL, 0);
        ok &=
            !rmq_conf_set(c, "sendMsgTimeout", TRACE_SEND_TIMEOUT_MS, NULL, 0);
        name = rmq__asprintf("%lld", (long long)conf->traceMaxMsgSize);
        ok &= !rmq_conf_set(c, "maxMessageSize", name, NULL, 0);
        rmq__free(name);
        ok &= !rmq_conf_set(c, "namespace", "", NULL, 0);
        if (!ok) {
                rmq_conf_destroy(c);
                return NULL;
        }
        return c;
}

rmq_tracer_t *rmq__tracer_new(const rmq_conf_t *conf, const rmq_logger_t *lg,
                              const char *group) {
        rmq_tracer_t *t = rmq__calloc(1, sizeof(*t));
        t->lg           = *lg;
        t->group        = rmq__strdup(group);
        t->topic     = rmq__strdup(rmq__str_is_blank(conf->customizedTraceTopic)
                                       ? RMQ_TRACE_DEFAULT_TOPIC
                                       : conf->customizedTraceTopic);
        t->cloud     = conf->accessChannel == 1;
        t->queue_cap = conf->traceQueueSize;
        t->batch_size   = conf->traceBatchSize;
        t->max_msg_size = conf->traceMaxMsgSize;
        t->polling_ms   = conf->tracePollingTimeMs;
        t->wait_ms      = conf->traceWaitTimeThresholdMs;
        uv_mutex_init(&t->lock);
        uv_cond_init(&t->cond);
        rmq__list_init(&t->queue);
        return t;
}

void rmq__tracer_start(rmq_tracer_t *t, const rmq_conf_t *conf,
                       const char *type, rmq_client_t *host_ci) {
        const char *namesrv = rmq__client_conf(host_ci)->namesrvAddr;
        rmq_conf_t *c;
        char errstr[512] = "";
        rmq_err_t err    = RMQ_ERR__FAIL;
        t->lg            = *rmq__client_logger(host_ci);
        c                = trace_conf(conf, t->group, type, namesrv);
        if (c) {
                err = rmq_producer_new(&t->tp, c, errstr, sizeof(errstr));
                rmq_conf_destroy(c);
        }
        if (!err)
                err = rmq_producer_start(t->tp, errstr, sizeof(errstr));
        if (!err &&
            rmq__thread_create(&t->worker, "rmq-trace", worker_run, t)) {
                err = RMQ_ERR__FAIL;
                rmq__strlcpy(errstr, "cannot start the trace worker",
                             sizeof(errstr));
        }
        if (err) {
                rmq__log(&t->lg, RMQ_LOG_WARN, "TRACE",
                         "trace dispatcher start failed, no message trace: "
                         "%s",
                         errstr[0] ? errstr : rmq_err2str(err));
                /* records are dropped (and counted) from now on, and so
                 * are those offered before */
                rmq__lock(&t->lock);
                t->stopped = true;
                queue_drop_all(t);
                rmq__unlock(&t->lock);
                return;
        }
        t->worker_started = true;
        rmq__log(&t->lg, RMQ_LOG_INFO, "TRACE",
                 "message trace on: group %s, trace topic %s", t->group,
                 t->cloud ? RMQ_TRACE_TOPIC_PREFIX "<region>" : t->topic);
}

void rmq__tracer_shutdown(rmq_tracer_t *t) {
        if (!t || !t->worker_started)
                return;
        rmq__lock(&t->lock);
        t->stopping = true;
        t->paused   = false;
        uv_cond_signal(&t->cond);
        rmq__unlock(&t->lock);
        uv_thread_join(&t->worker);
        t->worker_started = false;
        /* waits for the batches in flight */
        rmq_producer_shutdown(t->tp);
        rmq__lock(&t->lock);
        t->stopped = true;
        rmq__unlock(&t->lock);
}

void rmq__tracer_destroy(rmq_tracer_t *t) {
        if (!t)
                return;
        rmq__tracer_shutdown(t);
        tracer_free(t);
}

int64_t rmq__tracer_dropped(const rmq_tracer_t *t) {
        int64_t n;
        if (!t)
                return 0;
        rmq__lock((uv_mutex_t *)&t->lock);
        n = t->dropped;
        rmq__unlock((uv_mutex_t *)&t->lock);
        return n;
}

const char *rmq__tracer_topic(const rmq_tracer_t *t) {
        return t->topic;
}

void rmq__tracer_set_paused(rmq_tracer_t *t, bool paused) {
        rmq__lock(&t->lock);
        t->paused = paused;
        uv_cond_signal(&t->cond);
        rmq__unlock(&t->lock);
}

/* ---- SendMessageTraceHookImpl ---- */

static bool is_trace_topic(const rmq_tracer_t *t, const char *topic) {
        /* context.getMessage().getTopic().startsWith(traceTopicName) */
        const char *prefix = t->cloud ? RMQ_TRACE_TOPIC_PREFIX : t->topic;
        return topic && !strncmp(topic, prefix, strlen(prefix));
}

void rmq__trace_send_before(rmq_producer_t *prod, const rmq_send_context_t *ctx,
                            void *opaque) {
        rmq_tracer_t *t = opaque;
        int64_t *ts     = rmq__send_context_trace_ts(ctx);
        (void)prod;
        if (is_trace_topic(t, rmq_message_topic(rmq_send_context_message(ctx))))
                return;
        /* the TraceContext's timeStamp */
        *ts = rmq__wall_ms();
}

void rmq__trace_send_after(rmq_producer_t *prod, const rmq_send_context_t *ctx,
                           void *opaque) {
        rmq_tracer_t *t              = opaque;
        int64_t *ts                  = rmq__send_context_trace_ts(ctx);
        const rmq_send_result_t *res = rmq_send_context_result(ctx);
        const rmq_message_t *msg     = rmq_send_context_message(ctx);
        /* a MessageBatch: its id is the messages' ids joined by commas */
        bool batch = strchr(rmq_send_context_msg_id(ctx), ',') != NULL;
        const char *tags, *keys;
        rmq_buf_t data = RMQ_BUF_INIT, k = RMQ_BUF_INIT;
        int64_t cost;
        (void)prod;
        /* no before (a trace message), no result (oneway, an error, the
         * hand-off of an async send), or the broker turned tracing off */
        if (!*ts || !res || !res->region_id || !res->trace_on)
                return;
        cost = rmq__wall_ms() - *ts;
        if (cost < 0)
                cost = 0;
        /* a MessageBatch has neither tags nor keys */
        tags = batch ? NULL : rmq_message_tags(msg);
        keys = batch ? NULL : rmq_message_keys(msg);
        put_field(&data, "Pub", RMQ_TRACE_CONTENT_SPLITOR);
        put_i64(&data, *ts, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, res->region_id, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, t->group, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, rmq_message_topic(msg), RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, res->msg_id, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, tags, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, keys, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, rmq_send_context_broker_addr(ctx),
                  RMQ_TRACE_CONTENT_SPLITOR);
        put_i64(&data, (int64_t)rmq__send_context_body_len(ctx),
                RMQ_TRACE_CONTENT_SPLITOR);
        put_i64(&data, cost, RMQ_TRACE_CONTENT_SPLITOR);
        put_i64(&data, (int64_t)rmq_send_context_msg_type(ctx),
                RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, res->offset_msg_id, RMQ_TRACE_CONTENT_SPLITOR);
        put_bool(&data, res->status == RMQ_SEND_OK, RMQ_TRACE_FIELD_SPLITOR);
        trans_keys_add(&k, res->msg_id ? res->msg_id : "null", keys);
        offer(t, res->region_id, &data, &k);
}

/* ---- ConsumeMessageTraceHookImpl ---- */

/* ConsumeReturnType ordinals */
static int context_code(const char *return_type) {
        static const char *const names[] = {"SUCCESS", "TIME_OUT", "EXCEPTION",
                                            "RETURNNULL", "FAILED"};
        int i;
        for (i = 0; return_type && i < (int)RMQ_ARRAY_SIZE(names); i++)
                if (!strcmp(return_type, names[i]))
                        return i;
        return 0;
}

static bool traced(const rmq_message_ext_t *mx) {
        /* PROPERTY_TRACE_SWITCH "false": skipped */
        const char *on = rmq_message_ext_property(mx, RMQ_PROP_TRACE_ON);
        return mx && !(on && !strcmp(on, "false"));
}

/* consumeMessageBefore: one SubBefore line per traced message; returns
 * false (nothing offered) when none is. */
static bool sub_before(rmq_tracer_t *t, const char *group,
                       rmq_message_ext_t *const *msgs, size_t n,
                       const char *request_id, int64_t ts,
                       const char **regionp) {
        rmq_buf_t data = RMQ_BUF_INIT, k = RMQ_BUF_INIT;
        const char *region = NULL;
        size_t i, beans = 0;
        /* the context's regionId is the last traced message's */
        for (i = 0; i < n; i++)
                if (traced(msgs[i])) {
                        region = rmq_message_ext_property(msgs[i],
                                                          RMQ_PROP_MSG_REGION);
                        beans++;
                }
        if (!beans)
                return false;
        for (i = 0; i < n; i++) {
                const rmq_message_ext_t *mx = msgs[i];
                const char *keys;
                if (!traced(mx))
                        continue;
                keys = rmq_message_ext_keys(mx);
                put_field(&data, "SubBefore", RMQ_TRACE_CONTENT_SPLITOR);
                put_i64(&data, ts, RMQ_TRACE_CONTENT_SPLITOR);
                put_field(&data, region, RMQ_TRACE_CONTENT_SPLITOR);
                put_field(&data, group, RMQ_TRACE_CONTENT_SPLITOR);
                put_field(&data, request_id, RMQ_TRACE_CONTENT_SPLITOR);
                put_field(&data, rmq_message_ext_msg_id(mx),
                          RMQ_TRACE_CONTENT_SPLITOR);
                put_i64(&data, rmq_message_ext_reconsume_times(mx),
                        RMQ_TRACE_CONTENT_SPLITOR);
                put_field(&data, keys, RMQ_TRACE_FIELD_SPLITOR);
                trans_keys_add(&k, rmq_message_ext_msg_id(mx), keys);
        }
        *regionp = region;
        offer(t, region, &data, &k);
        return true;
}

/* consumeMessageAfter */
static void sub_after(rmq_tracer_t *t, const char *group,
                      rmq_message_ext_t *const *msgs, size_t n,
                      const char *request_id, int64_t before_ts, bool success,
                      int code, const char *region) {
        rmq_buf_t data = RMQ_BUF_INIT, k = RMQ_BUF_INIT;
        int64_t now = rmq__wall_ms(), cost;
        size_t i;
        cost = n ? (now - before_ts) / (int64_t)n : 0;
        if (cost < 0)
                cost = 0;
        for (i = 0; i < n; i++) {
                const rmq_message_ext_t *mx = msgs[i];
                const char *keys;
                if (!traced(mx))
                        continue;
                keys = rmq_message_ext_keys(mx);
                put_field(&data, "SubAfter", RMQ_TRACE_CONTENT_SPLITOR);
                put_field(&data, request_id, RMQ_TRACE_CONTENT_SPLITOR);
                put_field(&data, rmq_message_ext_msg_id(mx),
                          RMQ_TRACE_CONTENT_SPLITOR);
                put_i64(&data, cost, RMQ_TRACE_CONTENT_SPLITOR);
                put_bool(&data, success, RMQ_TRACE_CONTENT_SPLITOR);
                put_field(&data, keys, RMQ_TRACE_CONTENT_SPLITOR);
                put_i64(&data, code, RMQ_TRACE_CONTENT_SPLITOR);
                /* CLOUD: the line ends there, with no field separator */
                if (!t->cloud) {
                        put_i64(&data, now, RMQ_TRACE_CONTENT_SPLITOR);
                        put_field(&data, group, RMQ_TRACE_FIELD_SPLITOR);
                }
                trans_keys_add(&k, rmq_message_ext_msg_id(mx), keys);
        }
        offer(t, region, &data, &k);
}

void rmq__trace_consume_before(rmq_push_consumer_t *pcons,
                               const rmq_consume_hook_context_t *hc,
                               void *opaque) {
        /* the hook's own slots in the caller's context (mqTraceContext) */
        rmq_consume_hook_context_t *mut = (rmq_consume_hook_context_t *)hc;
        rmq_tracer_t *t                 = opaque;
        const char *region              = NULL;
        (void)pcons;
        if (!hc->n)
                return;
        rmq__msg_id_create(mut->trace_request_id);
        mut->trace_ts = rmq__wall_ms();
        if (!sub_before(t, t->group, (rmq_message_ext_t *const *)hc->msgs,
                        hc->n, mut->trace_request_id, mut->trace_ts, &region))
                mut->trace_ts = 0;
        mut->trace_region = region;
}

void rmq__trace_consume_after(rmq_push_consumer_t *pcons,
                              const rmq_consume_hook_context_t *hc,
                              void *opaque) {
        rmq_tracer_t *t = opaque;
        (void)pcons;
        if (!hc->n || !hc->trace_ts)
                return;
        sub_after(t, t->group, (rmq_message_ext_t *const *)hc->msgs, hc->n,
                  hc->trace_request_id, hc->trace_ts, hc->success != 0,
                  context_code(hc->return_type), hc->trace_region);
}

void rmq__trace_pulled(rmq_tracer_t *t, rmq_message_ext_t *const *msgs,
                       size_t n) {
        char request_id[RMQ_MSG_ID_MAX + 1];
        const char *region = NULL;
        int64_t ts;
        if (!t || !n)
                return;
        rmq__msg_id_create(request_id);
        ts = rmq__wall_ms();
        if (sub_before(t, t->group, msgs, n, request_id, ts, &region))
                sub_after(t, t->group, msgs, n, request_id, ts, true, 0,
                          region);
}

/* ---- EndTransactionTraceHookImpl ---- */

void rmq__trace_end_transaction(rmq_tracer_t *t, const char *topic,
                                const char *tags, const char *keys,
                                const char *region, const char *msg_id,
                                const char *addr, const char *transaction_id,
                                rmq_local_transaction_state_t state,
                                bool from_check) {
        rmq_buf_t data = RMQ_BUF_INIT, k = RMQ_BUF_INIT;
        if (!t || is_trace_topic(t, topic))
                return;
        if (!region || !*region)
                region = RMQ_DEFAULT_TRACE_REGION_ID;
        put_field(&data, "EndTransaction", RMQ_TRACE_CONTENT_SPLITOR);
        put_i64(&data, rmq__wall_ms(), RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, region, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, t->group, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, topic, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, msg_id, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, tags, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, keys, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, addr, RMQ_TRACE_CONTENT_SPLITOR);
        /* MessageType.Trans_msg_Commit, whatever the state */
        put_i64(&data, RMQ_TRANS_MSG_COMMIT, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, transaction_id, RMQ_TRACE_CONTENT_SPLITOR);
        put_field(&data, rmq_local_transaction_state_name(state),
                  RMQ_TRACE_CONTENT_SPLITOR);
        put_bool(&data, from_check, RMQ_TRACE_FIELD_SPLITOR);
        trans_keys_add(&k, msg_id ? msg_id : "null", keys);
        offer(t, region, &data, &k);
}

/* ---- public counters ---- */

int64_t rmq_producer_trace_dropped(const rmq_producer_t *prod) {
        return prod ? rmq__tracer_dropped(rmq__producer_tracer(prod)) : 0;
}

int64_t rmq_push_consumer_trace_dropped(const rmq_push_consumer_t *pcons) {
        return pcons ? rmq__tracer_dropped(pcons->tracer) : 0;
}
