/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MQAdminImpl (4.9.8) and the public rmq_admin_* calls over it (the
 * MQAdmin methods of DefaultMQProducer / DefaultMQPushConsumer: namespace
 * applied, owner's state checked). See rmq_admin.h.
 */
#include <inttypes.h>
#include <stdio.h>

#include "client/rmq_admin.h"
#include "client/rmq_client_api.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_msg_id.h"
#include "protocol/rmq_names.h"

/* MQAdminImpl.createTopic: tries per broker. */
#define CREATE_TOPIC_TRIES 5
/* MQAdminImpl.queryMessageByUniqKey: maxNum, and how long before the
 * id's time the search starts. */
#define UNIQ_KEY_MAX_NUM 32
#define UNIQ_KEY_BACK_MS 1000

void rmq__admin_init(rmq_admin_t *adm, rmq_client_t *const *cip,
                     const rmq_conf_t *conf, const rmq_logger_t *lg,
                     const char *ns) {
        memset(adm, 0, sizeof(*adm));
        adm->cip        = cip;
        adm->conf       = conf;
        adm->lg         = lg;
        adm->ns         = ns;
        adm->timeout_ms = RMQ_ADMIN_TIMEOUT_MS;
}

void rmq__admin_set_guard(rmq_admin_t *adm, rmq_admin_enter_cb_t *enter,
                          rmq_admin_leave_cb_t *leave, void *owner) {
        adm->enter = enter;
        adm->leave = leave;
        adm->owner = owner;
}

/* The owner's client instance, if a blocking call may use it here. */
static rmq_err_t admin_ci(const rmq_admin_t *adm, rmq_client_t **cip,
                          char *errstr, size_t errstr_size) {
        rmq_client_t *ci = *adm->cip;
        *cip             = NULL;
        if (!ci)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                   "The client is not started (or shut "
                                   "down): no admin calls");
        if (rmq__io_on_loop(rmq__client_io(ci)))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__WOULD_DEADLOCK,
                                   "blocking admin call on the I/O thread");
        *cip = ci;
        return RMQ_OK;
}

/* ---- topics ---- */

static int broker_name_cmp(const void *a, const void *b) {
        const rmq_broker_data_t *x = *(const rmq_broker_data_t *const *)a;
        const rmq_broker_data_t *y = *(const rmq_broker_data_t *const *)b;
        return strcmp(x->brokerName, y->brokerName);
}

/* mirrors MQAdminImpl.createTopic */
rmq_err_t rmq__admin_create_topic(const rmq_admin_t *adm, const char *key,
                                  const char *new_topic, int queue_num,
                                  int topic_sys_flag, char *errstr,
                                  size_t errstr_size) {
        rmq_topic_route_data_t *route = NULL;
        const rmq_broker_data_t **bds;
        rmq_client_t *ci;
        rmq_err_t err, last     = RMQ_OK;
        char buf[300], why[512] = "", last_why[512] = "";
        const char *bad;
        bool created = false;
        size_t i;
        int t;
        if ((err = admin_ci(adm, &ci, errstr, errstr_size)))
                return err;
        bad = rmq__check_topic(new_topic, buf, sizeof(buf));
        if (!bad && rmq__is_system_topic(new_topic)) {
                snprintf(buf, sizeof(buf),
                         "The topic[%s] is conflict with system topic.",
                         new_topic);
                bad = buf;
        }
        if (bad)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "create new topic failed: %s", bad);
        err = rmq__client_fetch_route(ci, key, adm->timeout_ms, &route, why,
                                      sizeof(why));
        if (err)
                return rmq__seterr(errstr, errstr_size, err,
                                   "create new topic failed: %s", why);
        if (!route->brokerDatas_cnt) {
                rmq__topic_route_destroy(route);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__NO_BROKER,
                                   "create new topic failed: Not found "
                                   "broker, maybe key is wrong");
        }
        bds = rmq__calloc(route->brokerDatas_cnt, sizeof(*bds));
        for (i = 0; i < route->brokerDatas_cnt; i++)
                bds[i] = &route->brokerDatas[i];
        qsort(bds, route->brokerDatas_cnt, sizeof(*bds), broker_name_cmp);
        for (i = 0; i < route->brokerDatas_cnt; i++) {
                const char *addr = rmq__broker_data_master_addr(bds[i]);
                if (!addr)
                        continue;
                for (t = 0; t < CREATE_TOPIC_TRIES; t++) {
                        err = rmq__api_create_topic(
                            ci, addr, key, new_topic, queue_num, topic_sys_flag,
                            adm->timeout_ms, why, sizeof(why));
                        if (!err)
                                break;
                }
                if (!err) {
                        created = true;
                        rmq__log(adm->lg, RMQ_LOG_INFO, "ADMIN",
                                 "create topic %s on %s: %s:%d", new_topic,
                                 addr, bds[i]->brokerName, queue_num);
                } else {
                        last = err;
                        rmq__strlcpy(last_why, why, sizeof(last_why));
                }
        }
        rmq__free(bds);
        rmq__topic_route_destroy(route);
        if (created)
                return RMQ_OK;
        if (last)
                return rmq__seterr(errstr, errstr_size, last,
                                   "create new topic failed: create topic "
                                   "to broker exception: %s",
                                   last_why);
        /* Java returns quietly when no broker has a master; nothing was
         * created, so say so. */
        return rmq__seterr(errstr, errstr_size, RMQ_ERR__NO_BROKER,
                           "create new topic failed: no master broker in the "
                           "route of %s",
                           key);
}

/* ---- offsets and times of a queue ---- */

enum { Q_SEARCH_OFFSET, Q_MAX_OFFSET, Q_MIN_OFFSET, Q_EARLIEST_TIME };

/* findBrokerAddressInPublish, the route of the queue's topic fetched once
 * if the broker is unknown (the pattern every MQAdminImpl queue query
 * shares), then the query itself. */
static rmq_err_t queue_query(const rmq_admin_t *adm, int what,
                             const rmq_mq_t *mq, int64_t timestamp,
                             int64_t *out, char *errstr, size_t errstr_size) {
        rmq_client_t *ci;
        char addr[128], why[512] = "";
        rmq_err_t err;
        if ((err = admin_ci(adm, &ci, errstr, errstr_size)))
                return err;
        if (!rmq__client_broker_addr_in_publish(ci, mq->brokerName, addr,
                                                sizeof(addr))) {
                rmq__client_update_route(ci, mq->topic, false, NULL, 0, why,
                                         sizeof(why));
                if (!rmq__client_broker_addr_in_publish(ci, mq->brokerName,
                                                        addr, sizeof(addr)))
                        return rmq__seterr(
                            errstr, errstr_size, RMQ_ERR__NO_BROKER,
                            "The broker[%s] not exist%s%s", mq->brokerName,
                            *why ? ": " : "", why);
        }
        switch (what) {
        case Q_SEARCH_OFFSET:
                err = rmq__api_search_offset(ci, addr, mq, timestamp,
                                             adm->timeout_ms, out, why,
                                             sizeof(why));
                break;
        case Q_MAX_OFFSET:
                err = rmq__api_get_max_offset(ci, addr, mq, adm->timeout_ms,
                                              out, why, sizeof(why));
                break;
        case Q_MIN_OFFSET:
                err = rmq__api_get_min_offset(ci, addr, mq, adm->timeout_ms,
                                              out, why, sizeof(why));
                break;
        default:
                err = rmq__api_get_earliest_msg_storetime(
                    ci, addr, mq, adm->timeout_ms, out, why, sizeof(why));
                break;
        }
        if (err)
                return rmq__seterr(errstr, errstr_size, err,
                                   "Invoke Broker[%s] exception: %s", addr,
                                   why);
        return RMQ_OK;
}

/* mirrors MQAdminImpl.searchOffset */
rmq_err_t rmq__admin_search_offset(const rmq_admin_t *adm, const rmq_mq_t *mq,
                                   int64_t timestamp, int64_t *offsetp,
                                   char *errstr, size_t errstr_size) {
        return queue_query(adm, Q_SEARCH_OFFSET, mq, timestamp, offsetp, errstr,
                           errstr_size);
}

/* mirrors MQAdminImpl.maxOffset */
rmq_err_t rmq__admin_max_offset(const rmq_admin_t *adm, const rmq_mq_t *mq,
                                int64_t *offsetp, char *errstr,
                                size_t errstr_size) {
        return queue_query(adm, Q_MAX_OFFSET, mq, 0, offsetp, errstr,
                           errstr_size);
}

/* mirrors MQAdminImpl.minOffset */
rmq_err_t rmq__admin_min_offset(const rmq_admin_t *adm, const rmq_mq_t *mq,
                                int64_t *offsetp, char *errstr,
                                size_t errstr_size) {
        return queue_query(adm, Q_MIN_OFFSET, mq, 0, offsetp, errstr,
                           errstr_size);
}

/* mirrors MQAdminImpl.earliestMsgStoreTime */
rmq_err_t rmq__admin_earliest_msg_store_time(const rmq_admin_t *adm,
                                             const rmq_mq_t *mq,
                                             int64_t *timestampp, char *errstr,
                                             size_t errstr_size) {
        return queue_query(adm, Q_EARLIEST_TIME, mq, 0, timestampp, errstr,
                           errstr_size);
}

/* ---- viewMessage ---- */

/* Decodes a body of stored messages (taking \p storage) into a batch,
 * topics without the namespace when \p ns is set. */
static rmq_err_t decode_body(void *storage, const uint8_t *body, size_t len,
                             const char *ns, rmq_msg_batch_t **batchp,
                             char *errstr, size_t errstr_size) {
        rmq_msg_decode_opts_t opts;
        memset(&opts, 0, sizeof(opts));
        opts.ns = ns;
        return rmq__msg_batch_decode(storage, body, len, &opts, batchp, errstr,
                                     errstr_size);
}

/* mirrors MQAdminImpl.viewMessage(msgId) + MQClientAPIImpl.viewMessage */
rmq_err_t rmq__admin_view_message(const rmq_admin_t *adm, const char *msg_id,
                                  rmq_message_ext_t **mxp, char *errstr,
                                  size_t errstr_size) {
        rmq_client_t *ci;
        rmq_msg_host_t host;
        rmq_msg_batch_t *batch;
        rmq_cmd_t *resp;
        const uint8_t *body;
        char addr[128];
        int64_t offset;
        size_t len;
        void *storage;
        rmq_err_t err;
        *mxp = NULL;
        if ((err = admin_ci(adm, &ci, errstr, errstr_size)))
                return err;
        /* MessageDecoder.decodeMessageId; an InetSocketAddress takes ports
         * 0..65535 only */
        if (rmq__offset_msg_id_decode(msg_id, strlen(msg_id), &host, &offset) ||
            host.port < 0 || host.port > 65535)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR_NO_MESSAGE,
                                   "query message by id finished, but no "
                                   "message.");
        rmq__msg_host_format(&host, addr, sizeof(addr));
        err = rmq__api_view_message(ci, addr, offset, adm->timeout_ms, &resp,
                                    errstr, errstr_size);
        if (err)
                return err;
        storage = rmq__cmd_take_body(resp, &body, &len);
        rmq__cmd_destroy(resp);
        err = decode_body(storage, body, len, adm->ns, &batch, errstr,
                          errstr_size);
        if (err)
                return err;
        if (!rmq__msg_batch_count(batch)) {
                rmq__msg_batch_release(batch);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                   "VIEW_MESSAGE_BY_ID to %s: an answer "
                                   "without a message",
                                   addr);
        }
        /* the batch's reference becomes the message's */
        *mxp = rmq__msg_batch_at(batch, 0);
        return RMQ_OK;
}

/* ---- queryMessage ---- */

typedef struct query_call_s query_call_t;

/* One broker's part of a query (the latch's count). */
typedef struct query_slot_s {
        query_call_t *qc;
        char addr[128];
        bool done;
        rmq_err_t err; /* local error or the broker's code */
        char why[256];
        int64_t indexLastUpdateTimestamp;
        void *storage; /* the SUCCESS body (rmq__cmd_take_body) */
        const uint8_t *body;
        size_t len;
} query_slot_t;

/* The CountDownLatch and result list of MQAdminImpl.queryMessage, shared
 * by the caller and the callbacks (freed by the last of them). */
struct query_call_s {
        uv_mutex_t lock;
        uv_cond_t cond;
        int refcnt;     /* lock */
        size_t pending; /* lock */
        size_t n;
        query_slot_t *slots;
};

static void query_call_release(query_call_t *qc) {
        bool last;
        size_t i;
        rmq__lock(&qc->lock);
        last = --qc->refcnt == 0;
        rmq__unlock(&qc->lock);
        if (!last)
                return;
        for (i = 0; i < qc->n; i++)
                rmq__free(qc->slots[i].storage);
        rmq__free(qc->slots);
        uv_cond_destroy(&qc->cond);
        uv_mutex_destroy(&qc->lock);
        rmq__free(qc);
}

/* Marks \p sl answered (qc->lock held) and counts the latch down. */
static void slot_done_locked(query_slot_t *sl) {
        sl->done = true;
        if (--sl->qc->pending == 0)
                uv_cond_broadcast(&sl->qc->cond);
}

/* The InvokeCallback of MQAdminImpl.queryMessage, on the I/O thread: it
 * only takes the answer and counts the latch down. */
static void query_answered(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                           void *opaque) {
        query_slot_t *sl = opaque;
        query_call_t *qc = sl->qc;
        rmq__lock(&qc->lock);
        if (err) {
                sl->err = err;
                snprintf(sl->why, sizeof(sl->why), "%s",
                         errstr ? errstr : rmq_err2str(err));
        } else if (resp->code != RMQ_OK) {
                sl->err = (rmq_err_t)resp->code;
                snprintf(sl->why, sizeof(sl->why), "CODE: %d  DESC: %s",
                         resp->code, resp->remark ? resp->remark : "null");
        } else if (rmq__cmd_ext_i64(resp, "indexLastUpdateTimestamp",
                                    &sl->indexLastUpdateTimestamp)) {
                /* QueryMessageResponseHeader: both fields @CFNotNull */
                sl->err = RMQ_ERR__BAD_MSG;
                snprintf(sl->why, sizeof(sl->why),
                         "the response has no valid "
                         "\"indexLastUpdateTimestamp\"");
        } else {
                sl->storage = rmq__cmd_take_body(resp, &sl->body, &sl->len);
        }
        slot_done_locked(sl);
        rmq__unlock(&qc->lock);
        query_call_release(qc);
}

/* BrokerData.selectBrokerAddr: the master, else any slave. */
static const char *select_broker_addr(const rmq_broker_data_t *bd) {
        const char *addr = rmq__broker_data_master_addr(bd);
        if (!addr && bd->brokerAddrs_cnt)
                addr = bd->brokerAddrs[(uint64_t)rmq__mono_ms() %
                                       bd->brokerAddrs_cnt]
                           .addr;
        return addr;
}

/* Sends the query to every broker of \p route and waits for the answers
 * (at most 4 * timeout). Returns the call (one reference, the caller's). */
static query_call_t *query_send(const rmq_admin_t *adm, rmq_client_t *ci,
                                const rmq_topic_route_data_t *route,
                                const char *topic, const char *key, int max_num,
                                int64_t begin, int64_t end, bool uniq_key) {
        query_call_t *qc = rmq__calloc(1, sizeof(*qc));
        int64_t deadline;
        bool late;
        size_t i;
        uv_mutex_init(&qc->lock);
        uv_cond_init(&qc->cond);
        qc->slots =
            rmq__calloc(route->brokerDatas_cnt ? route->brokerDatas_cnt : 1,
                        sizeof(*qc->slots));
        for (i = 0; i < route->brokerDatas_cnt; i++) {
                const char *addr = select_broker_addr(&route->brokerDatas[i]);
                if (!addr)
                        continue;
                qc->slots[qc->n].qc = qc;
                rmq__strlcpy(qc->slots[qc->n].addr, addr,
                             sizeof(qc->slots[qc->n].addr));
                qc->n++;
        }
        qc->pending = qc->n;
        qc->refcnt  = 1 + (int)qc->n;
        for (i = 0; i < qc->n; i++) {
                query_slot_t *sl = &qc->slots[i];
                rmq_err_t err    = rmq__api_query_message_async(
                       ci, sl->addr, topic, key, max_num, begin, end, uniq_key,
                       adm->timeout_ms * 3, query_answered, sl);
                if (!err)
                        continue;
                /* Java logs it and leaves the latch to time out; here the
                 * broker counts as answered with the error at once. */
                rmq__lock(&qc->lock);
                sl->err = err;
                snprintf(sl->why, sizeof(sl->why), "cannot send: %s",
                         rmq_err2str(err));
                slot_done_locked(sl);
                rmq__unlock(&qc->lock);
                query_call_release(qc);
        }
        deadline = rmq__mono_ms() + adm->timeout_ms * 4;
        rmq__lock(&qc->lock);
        while (qc->pending > 0) {
                int64_t left = deadline - rmq__mono_ms();
                if (left <= 0)
                        break;
                uv_cond_timedwait(&qc->cond, &qc->lock,
                                  (uint64_t)left * 1000000u);
        }
        late = qc->pending > 0;
        rmq__unlock(&qc->lock);
        if (late)
                rmq__log(adm->lg, RMQ_LOG_WARN, "ADMIN",
                         "queryMessage, maybe some broker failed");
        return qc;
}

/* Is \p key one of the entries of \p keys split on single blanks, as
 * Java's keys.split(" ") gives them (trailing empty entries dropped; ""
 * itself is one empty entry)? */
static bool keys_contain(const char *keys, const char *key) {
        size_t kl = strlen(key);
        const char *p;
        if (!*keys)
                return !*key;
        for (p = keys;;) {
                const char *sp = strchr(p, ' ');
                size_t n       = sp ? (size_t)(sp - p) : strlen(p);
                if (n == kl && !memcmp(p, key, kl))
                        /* an empty entry is kept if a non-empty one
                         * follows */
                        return n > 0 || (sp && sp[strspn(sp, " ")]);
                if (!sp)
                        return false;
                p = sp + 1;
        }
}

/* The messages kept so far (each with one reference). */
typedef struct collect_s {
        rmq_message_ext_t **msgs;
        size_t cnt, cap;
        int64_t indexLastUpdateTimestamp;
} collect_t;

static void collect_add(collect_t *c, rmq_message_ext_t *mx) {
        if (c->cnt == c->cap) {
                c->cap  = c->cap ? c->cap * 2 : 8;
                c->msgs = rmq__realloc(c->msgs, c->cap * sizeof(*c->msgs));
        }
        c->msgs[c->cnt++] = rmq_message_ext_retain(mx);
}

/* Applies MQAdminImpl.queryMessage's filter to one broker's answer: by
 * uniq key, the message stored first of those whose msgId is \p key; by
 * key, those of \p topic with \p key among their KEYS (the index is a
 * hash: others are collisions). \p raw holds the messages as stored (for
 * the test), \p out the same with the namespace removed (what is kept). */
static void collect_matches(const rmq_admin_t *adm, collect_t *c,
                            const rmq_msg_batch_t *raw,
                            const rmq_msg_batch_t *out, const char *topic,
                            const char *key, bool uniq_key) {
        size_t i, n = rmq__msg_batch_count(raw);
        for (i = 0; i < n; i++) {
                const rmq_message_ext_t *rmx = rmq__msg_batch_at(raw, i);
                rmq_message_ext_t *mx        = rmq__msg_batch_at(out, i);
                const char *keys             = rmq_message_ext_keys(rmx);
                bool match;
                if (uniq_key)
                        match = !strcmp(rmq_message_ext_msg_id(rmx), key);
                else if (!keys)
                        continue; /* Java drops these without a word */
                else
                        match = keys_contain(keys, key) &&
                                !strcmp(rmq_message_ext_topic(rmx), topic);
                if (!match) {
                        rmq__log(adm->lg, RMQ_LOG_WARN, "ADMIN",
                                 "queryMessage%s, find message key not "
                                 "matched, maybe hash duplicate: topic=%s "
                                 "msgId=%s keys=%s",
                                 uniq_key ? " by uniqKey" : "",
                                 rmq_message_ext_topic(rmx),
                                 rmq_message_ext_msg_id(rmx), keys ? keys : "");
                        continue;
                }
                if (!uniq_key || !c->cnt) {
                        collect_add(c, mx);
                } else if (rmq_message_ext_store_timestamp(c->msgs[0]) >
                           rmq_message_ext_store_timestamp(mx)) {
                        rmq_message_ext_release(c->msgs[0]);
                        c->cnt = 0;
                        collect_add(c, mx);
                }
        }
}

/* Decodes the answer of \p sl (taking its body) and collects its
 * matches. */
static void collect_slot(const rmq_admin_t *adm, collect_t *c, query_slot_t *sl,
                         const char *topic, const char *key, bool uniq_key) {
        rmq_msg_batch_t *raw = NULL, *out = NULL;
        void *storage = sl->storage;
        char why[256];
        rmq_err_t err = RMQ_OK;
        sl->storage   = NULL;
        /* a namespace: decode twice, as stored (the topic test compares
         * the full topic) and without it (the result) */
        if (adm->ns && *adm->ns)
                err = decode_body(NULL, sl->body, sl->len, NULL, &raw, why,
                                  sizeof(why));
        if (!err)
                err = decode_body(storage, sl->body, sl->len, adm->ns, &out,
                                  why, sizeof(why));
        else
                rmq__free(storage);
        if (err) {
                rmq__log(adm->lg, RMQ_LOG_WARN, "ADMIN",
                         "queryMessage: a bad answer from %s: %s", sl->addr,
                         why);
                rmq__msg_batch_release(raw);
                return;
        }
        if (sl->indexLastUpdateTimestamp > c->indexLastUpdateTimestamp)
                c->indexLastUpdateTimestamp = sl->indexLastUpdateTimestamp;
        collect_matches(adm, c, raw ? raw : out, out, topic, key, uniq_key);
        rmq__msg_batch_release(raw);
        rmq__msg_batch_release(out);
}

/* The route of \p topic the instance has, else the name server's
 * (getAnExistTopicRouteData, updateTopicRouteInfoFromNameServer). */
static rmq_err_t query_route(rmq_client_t *ci, const char *topic,
                             rmq_topic_route_data_t **routep, char *errstr,
                             size_t errstr_size) {
        char why[512] = "";
        rmq_err_t err = RMQ_OK;
        *routep       = rmq__client_route_get(ci, topic);
        if (!*routep) {
                err = rmq__client_update_route(ci, topic, false, NULL, 0, why,
                                               sizeof(why));
                *routep = rmq__client_route_get(ci, topic);
        }
        if (*routep && (*routep)->brokerDatas_cnt)
                return RMQ_OK;
        rmq__topic_route_destroy(*routep);
        *routep = NULL;
        /* Java says TOPIC_NOT_EXIST whatever the route lookup met; a name
         * server that cannot be reached keeps its own error here. */
        return rmq__seterr(errstr, errstr_size,
                           err < 0 ? err : RMQ_ERR_TOPIC_NOT_EXIST,
                           "The topic[%s] not matched route info%s%s", topic,
                           *why ? ": " : "", why);
}

/* Writes " addr (why);" for each broker that failed into \p dst (\p done:
 * the slots answered in time). Returns true if no broker gave an
 * answer. */
static bool describe_failures(const query_call_t *qc, const bool *done,
                              char *dst, size_t size) {
        size_t i, len = 0, answered = 0;
        for (i = 0; i < qc->n; i++) {
                const query_slot_t *sl = &qc->slots[i];
                const char *why = done[i] ? sl->why : "no answer in time";
                if (done[i] && sl->err >= 0)
                        answered++;
                if (done[i] && (!sl->err || sl->err == RMQ_ERR_QUERY_NOT_FOUND))
                        continue;
                if (len < size)
                        len += (size_t)snprintf(dst + len, size - len,
                                                " %s (%s);", sl->addr, why);
        }
        return answered == 0;
}

/* mirrors MQAdminImpl.queryMessage(topic, key, maxNum, begin, end,
 * isUniqKey) */
rmq_err_t rmq__admin_query_message(const rmq_admin_t *adm, const char *topic,
                                   const char *key, int max_num, int64_t begin,
                                   int64_t end, bool uniq_key,
                                   rmq_query_result_t **resultp, char *errstr,
                                   size_t errstr_size) {
        rmq_topic_route_data_t *route;
        rmq_query_result_t *res;
        query_call_t *qc;
        collect_t c = {NULL, 0, 0, 0};
        rmq_client_t *ci;
        char failed[512] = "";
        bool *done;
        rmq_err_t err;
        size_t i;
        *resultp = NULL;
        if ((err = admin_ci(adm, &ci, errstr, errstr_size)) ||
            (err = query_route(ci, topic, &route, errstr, errstr_size)))
                return err;
        qc = query_send(adm, ci, route, topic, key, max_num, begin, end,
                        uniq_key);
        rmq__topic_route_destroy(route);
        if (!qc->n) {
                query_call_release(qc);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR_TOPIC_NOT_EXIST,
                                   "The topic[%s] not matched route info",
                                   topic);
        }
        /* The slots answered by now are the caller's: a late callback only
         * touches a slot not done. */
        done = rmq__calloc(qc->n, sizeof(*done));
        rmq__lock(&qc->lock);
        for (i = 0; i < qc->n; i++)
                done[i] = qc->slots[i].done;
        rmq__unlock(&qc->lock);
        for (i = 0; i < qc->n; i++) {
                query_slot_t *sl = &qc->slots[i];
                if (!done[i])
                        continue;
                if (sl->err && sl->err != RMQ_ERR_QUERY_NOT_FOUND)
                        rmq__log(adm->lg, RMQ_LOG_WARN, "ADMIN",
                                 "queryMessage to %s failed: %s", sl->addr,
                                 sl->why);
                if (!sl->err)
                        collect_slot(adm, &c, sl, topic, key, uniq_key);
        }
        if (!c.cnt) {
                bool none = describe_failures(qc, done, failed, sizeof(failed));
                rmq_err_t first =
                    done[0] ? qc->slots[0].err : RMQ_ERR__TIMED_OUT;
                rmq__free(done);
                query_call_release(qc);
                rmq__free(c.msgs);
                if (none)
                        return rmq__seterr(errstr, errstr_size, first,
                                           "query message by key: no broker "
                                           "of topic %s answered:%s",
                                           topic, failed);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR_NO_MESSAGE,
                                   "query message by key finished, but no "
                                   "message.%s%s",
                                   *failed ? " Brokers that failed:" : "",
                                   failed);
        }
        rmq__free(done);
        query_call_release(qc);
        res                           = rmq__calloc(1, sizeof(*res));
        res->msgs                     = c.msgs;
        res->cnt                      = c.cnt;
        res->indexLastUpdateTimestamp = c.indexLastUpdateTimestamp;
        *resultp                      = res;
        return RMQ_OK;
}

/* mirrors MQAdminImpl.queryMessageByUniqKey(topic, uniqKey) */
rmq_err_t rmq__admin_query_message_by_uniq_key(
    const rmq_admin_t *adm, const char *topic, const char *uniq_key,
    rmq_message_ext_t **mxp, char *errstr, size_t errstr_size) {
        rmq_query_result_t *res;
        int64_t born;
        rmq_err_t err;
        *mxp = NULL;
        born =
            rmq__msg_id_nearly_time(uniq_key, strlen(uniq_key), rmq__wall_ms());
        if (born < 0)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "%s is not a message id (32 or 56 hex "
                                   "digits)",
                                   uniq_key);
        err = rmq__admin_query_message(adm, topic, uniq_key, UNIQ_KEY_MAX_NUM,
                                       born - UNIQ_KEY_BACK_MS, INT64_MAX, true,
                                       &res, errstr, errstr_size);
        if (err)
                return err;
        *mxp = rmq_message_ext_retain(res->msgs[0]);
        rmq_query_result_destroy(res);
        return RMQ_OK;
}

/* ---- the public calls (DefaultMQProducer / DefaultMQPushConsumer) ---- */

static rmq_err_t pub_enter(rmq_admin_t *adm, bool args_ok, char *errstr,
                           size_t errstr_size) {
        if (!adm || !args_ok)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "NULL argument");
        return adm->enter ? adm->enter(adm->owner, errstr, errstr_size)
                          : RMQ_OK;
}

static void pub_leave(rmq_admin_t *adm) {
        if (adm->leave)
                adm->leave(adm->owner);
}

rmq_err_t rmq_admin_create_topic(rmq_admin_t *adm, const char *key,
                                 const char *new_topic, int queue_num,
                                 int topic_sys_flag, char *errstr,
                                 size_t errstr_size) {
        char *t;
        rmq_err_t err = pub_enter(adm, key && new_topic, errstr, errstr_size);
        if (err)
                return err;
        t   = rmq__ns_wrap(adm->ns, new_topic);
        err = rmq__admin_create_topic(adm, key, t, queue_num, topic_sys_flag,
                                      errstr, errstr_size);
        rmq__free(t);
        pub_leave(adm);
        return err;
}

/* queueWithNamespace(mq), then the query. */
static rmq_err_t pub_queue_query(rmq_admin_t *adm, int what,
                                 const rmq_message_queue_t *mq,
                                 int64_t timestamp, int64_t *out, char *errstr,
                                 size_t errstr_size) {
        rmq_mq_t q;
        rmq_err_t err = pub_enter(adm, mq && out, errstr, errstr_size);
        if (err)
                return err;
        q.topic      = rmq__ns_wrap(adm->ns, mq->topic);
        q.brokerName = mq->brokerName;
        q.queueId    = mq->queueId;
        err = queue_query(adm, what, &q, timestamp, out, errstr, errstr_size);
        rmq__free(q.topic);
        pub_leave(adm);
        return err;
}

rmq_err_t rmq_admin_search_offset(rmq_admin_t *adm,
                                  const rmq_message_queue_t *mq,
                                  int64_t timestamp_ms, int64_t *offsetp,
                                  char *errstr, size_t errstr_size) {
        return pub_queue_query(adm, Q_SEARCH_OFFSET, mq, timestamp_ms, offsetp,
                               errstr, errstr_size);
}

rmq_err_t rmq_admin_max_offset(rmq_admin_t *adm, const rmq_message_queue_t *mq,
                               int64_t *offsetp, char *errstr,
                               size_t errstr_size) {
        return pub_queue_query(adm, Q_MAX_OFFSET, mq, 0, offsetp, errstr,
                               errstr_size);
}

rmq_err_t rmq_admin_min_offset(rmq_admin_t *adm, const rmq_message_queue_t *mq,
                               int64_t *offsetp, char *errstr,
                               size_t errstr_size) {
        return pub_queue_query(adm, Q_MIN_OFFSET, mq, 0, offsetp, errstr,
                               errstr_size);
}

rmq_err_t rmq_admin_earliest_msg_store_time(rmq_admin_t *adm,
                                            const rmq_message_queue_t *mq,
                                            int64_t *timestampp, char *errstr,
                                            size_t errstr_size) {
        return pub_queue_query(adm, Q_EARLIEST_TIME, mq, 0, timestampp, errstr,
                               errstr_size);
}

rmq_err_t rmq_admin_view_message(rmq_admin_t *adm, const char *offset_msg_id,
                                 rmq_message_ext_t **mxp, char *errstr,
                                 size_t errstr_size) {
        rmq_err_t err =
            pub_enter(adm, offset_msg_id && mxp, errstr, errstr_size);
        if (err)
                return err;
        err = rmq__admin_view_message(adm, offset_msg_id, mxp, errstr,
                                      errstr_size);
        pub_leave(adm);
        return err;
}

/* mirrors DefaultMQProducer.viewMessage(topic, msgId) */
rmq_err_t rmq_admin_view_message_by_uniq_key(rmq_admin_t *adm,
                                             const char *topic,
                                             const char *msg_id,
                                             rmq_message_ext_t **mxp,
                                             char *errstr, size_t errstr_size) {
        char *t, why[512];
        rmq_err_t err =
            pub_enter(adm, topic && msg_id && mxp, errstr, errstr_size);
        if (err)
                return err;
        /* the offset msg id first; a failure to ask is ignored */
        err = rmq__admin_view_message(adm, msg_id, mxp, why, sizeof(why));
        if (err == RMQ_ERR__STATE || err == RMQ_ERR__WOULD_DEADLOCK) {
                rmq__seterr(errstr, errstr_size, err, "%s", why);
        } else if (err) {
                t   = rmq__ns_wrap(adm->ns, topic);
                err = rmq__admin_query_message_by_uniq_key(adm, t, msg_id, mxp,
                                                           errstr, errstr_size);
                rmq__free(t);
        }
        pub_leave(adm);
        return err;
}

rmq_err_t rmq_admin_query_message(rmq_admin_t *adm, const char *topic,
                                  const char *key, int max_num,
                                  int64_t begin_ms, int64_t end_ms,
                                  rmq_query_result_t **resultp, char *errstr,
                                  size_t errstr_size) {
        char *t;
        rmq_err_t err;
        if (resultp)
                *resultp = NULL;
        err = pub_enter(adm, topic && key && resultp, errstr, errstr_size);
        if (err)
                return err;
        t   = rmq__ns_wrap(adm->ns, topic);
        err = rmq__admin_query_message(adm, t, key, max_num, begin_ms, end_ms,
                                       false, resultp, errstr, errstr_size);
        rmq__free(t);
        pub_leave(adm);
        return err;
}

size_t rmq_query_result_count(const rmq_query_result_t *res) {
        return res ? res->cnt : 0;
}

const rmq_message_ext_t *rmq_query_result_message(const rmq_query_result_t *res,
                                                  size_t i) {
        return res && i < res->cnt ? res->msgs[i] : NULL;
}

int64_t
rmq_query_result_index_last_update_timestamp(const rmq_query_result_t *res) {
        return res ? res->indexLastUpdateTimestamp : 0;
}

void rmq_query_result_destroy(rmq_query_result_t *res) {
        size_t i;
        if (!res)
                return;
        for (i = 0; i < res->cnt; i++)
                rmq_message_ext_release(res->msgs[i]);
        rmq__free(res->msgs);
        rmq__free(res);
}
