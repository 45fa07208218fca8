/* SPDX-License-Identifier: Apache-2.0 */
/* Outgoing messages. mirrors common.message.Message. */
#include <stdio.h>

#include <uv.h>

#include "client/rmq_message_int.h"
#include "common/rmq_str.h"
#include "protocol/rmq_message_codec.h"

/* ---- bodies ---- */

rmq_body_t *rmq__body_retain(rmq_body_t *body) {
        if (body)
                atomic_fetch_add_explicit(&body->refcnt, 1,
                                          memory_order_relaxed);
        return body;
}

void rmq__body_release(rmq_body_t *body) {
        if (!body || atomic_fetch_sub_explicit(&body->refcnt, 1,
                                               memory_order_acq_rel) != 1)
                return;
        if (body->free_cb)
                body->free_cb(body->data, body->len, body->opaque);
        rmq__free(body);
}

static void free_copied(void *data, size_t len, void *opaque) {
        RMQ_UNUSED(len);
        RMQ_UNUSED(opaque);
        rmq__free(data);
}

/* ---- messages ---- */

static void topic_free(rmq_message_t *msg) {
        if (msg->topic != msg->topic_inline)
                rmq__free(msg->topic);
        msg->topic = NULL;
}

/* A copy of \p topic, inline when short. */
static void topic_set(rmq_message_t *msg, const char *topic) {
        size_t len;
        topic_free(msg);
        if (!topic)
                return;
        len = strlen(topic);
        if (len < sizeof(msg->topic_inline)) {
                memcpy(msg->topic_inline, topic, len + 1);
                msg->topic = msg->topic_inline;
        } else {
                msg->topic = rmq__strndup(topic, len);
        }
}

/* A message with no topic, body or property (not zeroed: the fields). */
static rmq_message_t *message_alloc(void) {
        rmq_message_t *msg = rmq__malloc(sizeof(*msg));
        msg->topic         = NULL;
        msg->flag          = 0;
        msg->body          = NULL;
        msg->props         = msg->props_inline;
        msg->prop_cnt      = 0;
        msg->prop_cap      = RMQ_MSG_PROPS_INLINE;
        atomic_init(&msg->id_state, RMQ_MSG_ID_NONE);
        return msg;
}

static void prop_free(rmq_msg_prop_t *p) {
        if (p->owned)
                rmq__free((char *)p->name); /* the value is in the block */
}

rmq_message_t *rmq_message_new(const char *topic) {
        rmq_message_t *msg = message_alloc();
        topic_set(msg, topic);
        /* Java's Message constructors set waitStoreMsgOK = true (static
         * strings: no allocation). */
        msg->props[0].name  = RMQ_PROP_WAIT;
        msg->props[0].value = "true";
        msg->props[0].owned = false;
        msg->prop_cnt       = 1;
        return msg;
}

void rmq_message_destroy(rmq_message_t *msg) {
        size_t i;
        if (!msg)
                return;
        for (i = 0; i < msg->prop_cnt; i++)
                prop_free(&msg->props[i]);
        if (msg->props != msg->props_inline)
                rmq__free(msg->props);
        rmq__body_release(msg->body);
        topic_free(msg);
        rmq__free(msg);
}

/* Room for one more property. */
static rmq_msg_prop_t *prop_slot(rmq_message_t *msg) {
        if (msg->prop_cnt == msg->prop_cap) {
                size_t cap = msg->prop_cap * 2;
                rmq_msg_prop_t *np;
                if (msg->props == msg->props_inline) {
                        np = rmq__malloc(cap * sizeof(*np));
                        memcpy(np, msg->props_inline,
                               sizeof(msg->props_inline));
                } else {
                        np = rmq__realloc(msg->props, cap * sizeof(*np));
                }
                msg->props    = np;
                msg->prop_cap = cap;
        }
        return &msg->props[msg->prop_cnt++];
}

static void prop_fill(rmq_msg_prop_t *p, const char *name,
                      const char *value);

rmq_message_t *rmq_message_dup(const rmq_message_t *msg) {
        rmq_message_t *d = message_alloc();
        size_t i;
        topic_set(d, msg->topic);
        d->flag = msg->flag;
        d->body = rmq__body_retain(msg->body);
        for (i = 0; i < msg->prop_cnt; i++) {
                const rmq_msg_prop_t *p = &msg->props[i];
                rmq_msg_prop_t *q       = prop_slot(d);
                if (p->owned)
                        prop_fill(q, p->name, p->value);
                else
                        *q = *p; /* static strings are shared */
        }
        return d;
}

static inline const char *id_of(const rmq_message_t *msg) {
        return atomic_load_explicit(&msg->id_state, memory_order_acquire) ==
                       RMQ_MSG_ID_SET
                   ? msg->msg_id
                   : NULL;
}

const char *rmq_message_msg_id(const rmq_message_t *msg) {
        return id_of(msg);
}

/* Records \p id (\p len characters, at most RMQ_MSG_ID_MAX) as \p msg's
 * id. Returns false, leaving the id as it is, if the message has one
 * already (recorded by another send, maybe concurrently: then it waits
 * until that one is readable through rmq_message_msg_id()). */
static bool record_id(rmq_message_t *msg, const char *id, size_t len) {
        int state = RMQ_MSG_ID_NONE;
        if (atomic_compare_exchange_strong_explicit(
                &msg->id_state, &state, RMQ_MSG_ID_WRITING,
                memory_order_acquire, memory_order_acquire)) {
                memcpy(msg->msg_id, id, len);
                msg->msg_id[len] = '\0';
                atomic_store_explicit(&msg->id_state, RMQ_MSG_ID_SET,
                                      memory_order_release);
                return true;
        }
        /* Another send of this message is copying its id in (a few dozen
         * bytes): wait for it. */
        while (state != RMQ_MSG_ID_SET) {
                uv_sleep(0);
                state =
                    atomic_load_explicit(&msg->id_state, memory_order_acquire);
        }
        return false;
}

size_t rmq__message_uniq_id(rmq_message_t *msg, char *out) {
        const char *id = id_of(msg);
        size_t len;
        if (!id) {
                len = rmq__msg_id_create(out);
                if (record_id(msg, out, len))
                        return len;
                id = id_of(msg); /* a concurrent send's */
        }
        len = strlen(id);
        memcpy(out, id, len + 1);
        return len;
}

rmq_message_t *rmq__message_dup_same(const rmq_message_t *msg) {
        rmq_message_t *d = rmq_message_dup(msg);
        const char *id   = id_of(msg);
        if (id)
                record_id(d, id, strlen(id));
        return d;
}

void rmq__message_adopt_id(rmq_message_t *msg, const rmq_message_t *from) {
        const char *id = id_of(from);
        if (id && !id_of(msg))
                record_id(msg, id, strlen(id));
}

rmq_err_t rmq_message_set_topic(rmq_message_t *msg, const char *topic) {
        if (topic != msg->topic)
                topic_set(msg, topic);
        return RMQ_OK;
}

const char *rmq_message_topic(const rmq_message_t *msg) {
        return msg->topic;
}

static ssize_t prop_index(const rmq_message_t *msg, const char *name) {
        size_t i;
        for (i = 0; i < msg->prop_cnt; i++)
                if (!strcmp(msg->props[i].name, name))
                        return (ssize_t)i;
        return -1;
}

/* Sets \p p to copies of \p name and \p value in one block. */
static void prop_fill(rmq_msg_prop_t *p, const char *name,
                      const char *value) {
        size_t nlen = strlen(name), vlen = strlen(value);
        char *b     = rmq__malloc(nlen + vlen + 2);
        memcpy(b, name, nlen + 1);
        memcpy(b + nlen + 1, value, vlen + 1);
        p->name  = b;
        p->value = b + nlen + 1;
        p->owned = true;
}

void rmq__message_put_property(rmq_message_t *msg, const char *name,
                               const char *value) {
        ssize_t i = prop_index(msg, name);
        if (i >= 0) {
                /* \p name or \p value may point into the old block */
                rmq_msg_prop_t old = msg->props[i];
                prop_fill(&msg->props[i], name, value);
                prop_free(&old);
                return;
        }
        prop_fill(prop_slot(msg), name, value);
}

void rmq__message_remove_property(rmq_message_t *msg, const char *name) {
        ssize_t i = prop_index(msg, name);
        if (i < 0)
                return;
        prop_free(&msg->props[i]);
        memmove(&msg->props[i], &msg->props[i + 1],
                (msg->prop_cnt - (size_t)i - 1) * sizeof(*msg->props));
        msg->prop_cnt--;
}

const char *rmq_message_property(const rmq_message_t *msg, const char *name) {
        ssize_t i;
        if (!name)
                return NULL;
        i = prop_index(msg, name);
        return i >= 0 ? msg->props[i].value : NULL;
}

int rmq_message_property_at(const rmq_message_t *msg, size_t idx,
                            const char **namep, const char **valuep) {
        if (idx >= msg->prop_cnt)
                return 0;
        if (namep)
                *namep = msg->props[idx].name;
        if (valuep)
                *valuep = msg->props[idx].value;
        return 1;
}

static rmq_err_t set_or_remove(rmq_message_t *msg, const char *name,
                               const char *value) {
        if (value)
                rmq__message_put_property(msg, name, value);
        else
                rmq__message_remove_property(msg, name);
        return RMQ_OK;
}

rmq_err_t rmq_message_set_tags(rmq_message_t *msg, const char *tags) {
        return set_or_remove(msg, RMQ_PROP_TAGS, tags);
}

const char *rmq_message_tags(const rmq_message_t *msg) {
        return rmq_message_property(msg, RMQ_PROP_TAGS);
}

rmq_err_t rmq_message_set_keys(rmq_message_t *msg, const char *keys) {
        return set_or_remove(msg, RMQ_PROP_KEYS, keys);
}

rmq_err_t rmq_message_add_key(rmq_message_t *msg, const char *key) {
        const char *old;
        char *joined;
        if (!key || !*key)
                return RMQ_ERR__INVALID_ARG;
        old = rmq_message_keys(msg);
        if (!old || !*old)
                return rmq_message_set_keys(msg, key);
        joined = rmq__asprintf("%s%s%s", old, RMQ_PROP_KEY_SEPARATOR, key);
        rmq__message_put_property(msg, RMQ_PROP_KEYS, joined);
        rmq__free(joined);
        return RMQ_OK;
}

const char *rmq_message_keys(const rmq_message_t *msg) {
        return rmq_message_property(msg, RMQ_PROP_KEYS);
}

rmq_err_t rmq_message_set_body_ref(rmq_message_t *msg, void *data, size_t len,
                                   rmq_body_free_cb_t *free_cb, void *opaque) {
        rmq_body_t *b;
        if (!data && len) {
                if (free_cb)
                        free_cb(data, len, opaque);
                return RMQ_ERR__INVALID_ARG;
        }
        b = rmq__malloc(sizeof(*b));
        atomic_init(&b->refcnt, 1);
        b->data    = data;
        b->len     = len;
        b->free_cb = free_cb;
        b->opaque  = opaque;
        rmq__body_release(msg->body);
        msg->body = b;
        return RMQ_OK;
}

rmq_err_t rmq_message_set_body(rmq_message_t *msg, const void *data,
                               size_t len) {
        void *copy;
        if (!data && len)
                return RMQ_ERR__INVALID_ARG;
        copy = rmq__malloc(len ? len : 1);
        if (len)
                memcpy(copy, data, len);
        return rmq_message_set_body_ref(msg, copy, len, free_copied, NULL);
}

const void *rmq_message_body(const rmq_message_t *msg, size_t *lenp) {
        if (lenp)
                *lenp = msg->body ? msg->body->len : 0;
        return msg->body ? msg->body->data : NULL;
}

void rmq_message_set_flag(rmq_message_t *msg, int32_t flag) {
        msg->flag = flag;
}

int32_t rmq_message_flag(const rmq_message_t *msg) {
        return msg->flag;
}

/* Java's s.trim().isEmpty(): trim drops every char <= ' ' at both ends.
 * UTF-8 encodes those code points as the same bytes (and nothing else
 * below 0x80), so bytes compare as well. */
static bool blank(const char *s) {
        if (!s)
                return true;
        for (; *s; s++)
                if ((unsigned char)*s > ' ')
                        return false;
        return true;
}

rmq_err_t rmq_message_put_user_property(rmq_message_t *msg, const char *name,
                                        const char *value) {
        /* mirrors Message.putUserProperty */
        if (name && rmq__prop_is_reserved(name))
                return RMQ_ERR__INVALID_ARG;
        if (blank(name) || blank(value))
                return RMQ_ERR__INVALID_ARG;
        rmq__message_put_property(msg, name, value);
        return RMQ_OK;
}

rmq_err_t rmq_message_set_delay_time_level(rmq_message_t *msg, int level) {
        char tmp[16];
        if (level < 0)
                return RMQ_ERR__INVALID_ARG;
        if (level == 0) {
                rmq__message_remove_property(msg, RMQ_PROP_DELAY);
                return RMQ_OK;
        }
        snprintf(tmp, sizeof(tmp), "%d", level);
        rmq__message_put_property(msg, RMQ_PROP_DELAY, tmp);
        return RMQ_OK;
}

int rmq_message_delay_time_level(const rmq_message_t *msg) {
        const char *v = rmq_message_property(msg, RMQ_PROP_DELAY);
        int32_t level;
        if (!v || rmq__parse_i32(v, &level))
                return 0;
        return level;
}

void rmq_message_set_wait_store_msg_ok(rmq_message_t *msg, int wait) {
        rmq__message_put_property(msg, RMQ_PROP_WAIT, wait ? "true" : "false");
}

int rmq_message_wait_store_msg_ok(const rmq_message_t *msg) {
        /* Java: null means true */
        const char *v = rmq_message_property(msg, RMQ_PROP_WAIT);
        return !v || rmq__parse_bool(v);
}

/* Where rmq__message_encode_props() writes: \p cap bytes at \p out (out may be
 * NULL with cap 0), \p len the length so far, written or not. */
typedef struct props_out_s {
        char *out;
        size_t cap;
        size_t len;
} props_out_t;

static void put_piece(props_out_t *po, const char *s, size_t n) {
        if (n && po->len + n <= po->cap)
                memcpy(po->out + po->len, s, n);
        po->len += n;
}

/* Appends "name\001value", after a \002 unless it is the first pair. */
static inline void put_pair(props_out_t *po, size_t *n, const char *name,
                            size_t name_len, const char *value,
                            size_t value_len) {
        static const char nv  = RMQ_PROP_NAME_VALUE_SEPARATOR;
        static const char sep = RMQ_PROP_SEPARATOR;
        if ((*n)++)
                put_piece(po, &sep, 1);
        put_piece(po, name, name_len);
        put_piece(po, &nv, 1);
        put_piece(po, value, value_len);
}

/* mirrors MessageDecoder.messageProperties2String, with what
 * sendKernelImpl adds and takes away. */
size_t rmq__message_encode_props(const rmq_message_t *msg, const char *uniq_add,
                                 const char *instance_id, bool retry_topic,
                                 char *out, size_t cap, int32_t *reconsume,
                                 int32_t *max_reconsume) {
        props_out_t po = {out, cap, 0};
        size_t i, n = 0;
        if (uniq_add)
                put_pair(&po, &n, RMQ_PROP_UNIQ_KEY,
                         sizeof(RMQ_PROP_UNIQ_KEY) - 1, uniq_add,
                         strlen(uniq_add));
        if (instance_id)
                put_pair(&po, &n, RMQ_PROP_INSTANCE_ID,
                         sizeof(RMQ_PROP_INSTANCE_ID) - 1, instance_id,
                         strlen(instance_id));
        for (i = 0; i < msg->prop_cnt; i++) {
                const rmq_msg_prop_t *p = &msg->props[i];
                if (retry_topic && !strcmp(p->name, RMQ_PROP_RECONSUME_TIME)) {
                        rmq__parse_i32(p->value, reconsume);
                        continue;
                }
                if (retry_topic &&
                    !strcmp(p->name, RMQ_PROP_MAX_RECONSUME_TIMES)) {
                        rmq__parse_i32(p->value, max_reconsume);
                        continue;
                }
                if (instance_id && !strcmp(p->name, RMQ_PROP_INSTANCE_ID))
                        continue; /* replaced, as putProperty replaces */
                put_pair(&po, &n, p->name, strlen(p->name), p->value,
                         strlen(p->value));
        }
        return po.len;
}

/* ---- message queues ---- */

rmq_message_queue_t *rmq_message_queue_new(const char *topic,
                                           const char *broker_name,
                                           int queue_id) {
        rmq_message_queue_t *mq;
        if (!topic || !broker_name || queue_id < 0)
                return NULL;
        mq = rmq__malloc(sizeof(*mq));
        rmq__mq_init(mq, topic, broker_name, queue_id);
        return mq;
}

void rmq_message_queue_destroy(rmq_message_queue_t *mq) {
        if (!mq)
                return;
        rmq__mq_clear(mq);
        rmq__free(mq);
}

const char *rmq_message_queue_topic(const rmq_message_queue_t *mq) {
        return mq->topic;
}

const char *rmq_message_queue_broker_name(const rmq_message_queue_t *mq) {
        return mq->brokerName;
}

int rmq_message_queue_queue_id(const rmq_message_queue_t *mq) {
        return mq->queueId;
}
