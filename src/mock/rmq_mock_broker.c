/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A mock broker's topics and store: topic configs (TopicConfigManager),
 * consume queues of messages kept in the stored MessageDecoder format with
 * their queue and commit log offsets (DefaultMessageStore, CommitLog), and
 * the properties map the broker works on (a Java HashMap).
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"
#include "protocol/rmq_names.h"
#include "protocol/rmq_route.h"

/* ---- properties: a Java HashMap<String,String> ---- */

static rmq_mock_prop_t *props_find(const rmq_mock_props_t *p,
                                   const char *key) {
        size_t i;
        for (i = 0; i < p->cnt; i++)
                if (!strcmp(p->e[i].key, key))
                        return &p->e[i];
        return NULL;
}

void rmq__mock_props_put(rmq_mock_props_t *p, const char *key,
                         const char *val) {
        rmq_mock_prop_t *e = props_find(p, key);
        if (e) {
                rmq__free(e->val);
                e->val = rmq__strdup(val);
                return;
        }
        if (p->cnt == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 16;
                p->e   = rmq__realloc(p->e, p->cap * sizeof(*p->e));
        }
        e       = &p->e[p->cnt++];
        e->key  = rmq__strdup(key);
        e->val  = rmq__strdup(val);
        e->hash = rmq__java_hash(key, strlen(key));
        e->seq  = p->next_seq++;
        if (p->cnt > p->max_cnt)
                p->max_cnt = p->cnt;
}

void rmq__mock_props_del(rmq_mock_props_t *p, const char *key) {
        rmq_mock_prop_t *e = props_find(p, key);
        size_t i;
        if (!e)
                return;
        i = (size_t)(e - p->e);
        rmq__free(e->key);
        rmq__free(e->val);
        memmove(&p->e[i], &p->e[i + 1], (p->cnt - i - 1) * sizeof(*e));
        p->cnt--;
}

const char *rmq__mock_props_get(const rmq_mock_props_t *p, const char *key) {
        const rmq_mock_prop_t *e = props_find(p, key);
        return e ? e->val : NULL;
}

void rmq__mock_props_clear(rmq_mock_props_t *p) {
        size_t i;
        for (i = 0; i < p->cnt; i++) {
                rmq__free(p->e[i].key);
                rmq__free(p->e[i].val);
        }
        rmq__free(p->e);
        memset(p, 0, sizeof(*p));
}

void rmq__mock_props_parse(rmq_mock_props_t *p, const char *s, size_t len) {
        rmq_props_iter_t it;
        const char *k, *v;
        size_t kl, vl;
        memset(p, 0, sizeof(*p));
        if (!s)
                return;
        rmq__props_iter_init(&it, s, len);
        while (rmq__props_next(&it, &k, &kl, &v, &vl)) {
                char *ks = rmq__strndup(k, kl);
                char *vs = rmq__strndup(v, vl);
                rmq__mock_props_put(p, ks, vs);
                rmq__free(ks);
                rmq__free(vs);
        }
}

static size_t props_capacity(const rmq_mock_props_t *p) {
        size_t cap = 16;
        while (p->max_cnt > cap / 4 * 3)
                cap *= 2;
        return cap;
}

static uint32_t props_bucket(int32_t h, size_t cap) {
        uint32_t u = (uint32_t)h;
        return (u ^ (u >> 16)) & (uint32_t)(cap - 1);
}

void rmq__mock_props_encode(const rmq_mock_props_t *p, rmq_buf_t *out) {
        size_t cap = props_capacity(p), i, j, first = 1;
        size_t *order;
        if (!p->cnt)
                return;
        order = rmq__malloc(p->cnt * sizeof(*order));
        for (i = 0; i < p->cnt; i++)
                order[i] = i;
        /* HashMap iteration: by bucket, then by insertion within one. */
        for (i = 1; i < p->cnt; i++) {
                size_t cur = order[i];
                uint32_t b = props_bucket(p->e[cur].hash, cap);
                for (j = i; j > 0; j--) {
                        const rmq_mock_prop_t *o = &p->e[order[j - 1]];
                        uint32_t ob = props_bucket(o->hash, cap);
                        if (ob < b || (ob == b && o->seq < p->e[cur].seq))
                                break;
                        order[j] = order[j - 1];
                }
                order[j] = cur;
        }
        for (i = 0; i < p->cnt; i++) {
                const rmq_mock_prop_t *e = &p->e[order[i]];
                if (!first)
                        rmq__buf_put_u8(out, RMQ_PROP_SEPARATOR);
                first = 0;
                rmq__buf_put_str(out, e->key);
                rmq__buf_put_u8(out, RMQ_PROP_NAME_VALUE_SEPARATOR);
                rmq__buf_put_str(out, e->val);
        }
        rmq__free(order);
}

/* ---- message inner ---- */

void rmq__mock_inner_init(rmq_mock_inner_t *in) {
        memset(in, 0, sizeof(*in));
}

void rmq__mock_inner_clear(rmq_mock_inner_t *in) {
        rmq__free(in->topic);
        rmq__mock_props_clear(&in->props);
        rmq__buf_free(&in->props_str);
        memset(in, 0, sizeof(*in));
}

void rmq__mock_inner_set_topic(rmq_mock_inner_t *in, const char *topic) {
        char *t = rmq__strdup(topic);
        rmq__free(in->topic);
        in->topic = t;
}

void rmq__mock_inner_sync_props(rmq_mock_inner_t *in) {
        rmq__buf_reset(&in->props_str);
        rmq__mock_props_encode(&in->props, &in->props_str);
}

rmq_err_t rmq__mock_inner_from_stored(rmq_mock_inner_t *in,
                                      const rmq_mock_stored_t *sm,
                                      rmq_msg_view_t *mv) {
        rmq__mock_inner_init(in);
        rmq__mock_stored_view(sm, mv);
        in->topic           = rmq__strndup(mv->topic, mv->topicLen);
        in->queue_id        = mv->queueId;
        in->flag            = mv->flag;
        in->sys_flag        = mv->sysFlag;
        in->reconsume_times = mv->reconsumeTimes;
        in->body            = mv->body;
        in->body_len        = mv->bodyLen;
        in->born_ts         = mv->bornTimestamp;
        in->born_host       = mv->bornHost;
        in->prepared_tx_offset = mv->preparedTransactionOffset;
        rmq__mock_props_parse(&in->props, mv->properties, mv->propertiesLen);
        rmq__buf_put(&in->props_str, mv->properties, mv->propertiesLen);
        return RMQ_OK;
}

/* ---- topics ---- */

rmq_mock_topic_t *rmq__mock_topic_get(rmq_mock_broker_t *mb,
                                      const char *name) {
        return rmq__strmap_get(&mb->topics, name);
}

rmq_mock_topic_t *rmq__mock_topic_put(rmq_mock_broker_t *mb, const char *name,
                                      int32_t read_queues,
                                      int32_t write_queues, int32_t perm,
                                      int32_t sys_flag) {
        rmq_mock_topic_t *t = rmq__mock_topic_get(mb, name);
        size_t need = (size_t)RMQ_MAX(RMQ_MAX(read_queues, write_queues), 0);
        if (!t) {
                t       = rmq__calloc(1, sizeof(*t));
                t->name = rmq__strdup(name);
                rmq__strmap_set(&mb->topics, name, t);
        }
        /* TopicConfigManager: every create or update is a new version. */
        mb->topics_version.counter++;
        mb->topics_version.timestamp = rmq__mock_wall(mb->ep.mc);
        t->read_queues  = read_queues;
        t->write_queues = write_queues;
        t->perm         = perm;
        t->sys_flag     = sys_flag;
        if (need > t->queue_cnt) {
                t->queues = rmq__realloc(t->queues, need * sizeof(*t->queues));
                memset(&t->queues[t->queue_cnt], 0,
                       (need - t->queue_cnt) * sizeof(*t->queues));
                t->queue_cnt = need;
        }
        return t;
}

static void topic_free(void *p) {
        rmq_mock_topic_t *t = p;
        size_t q, i;
        for (q = 0; q < t->queue_cnt; q++) {
                for (i = 0; i < t->queues[q].cnt; i++) {
                        rmq__free(t->queues[q].msgs[i]->data);
                        rmq__free(t->queues[q].msgs[i]);
                }
                rmq__free(t->queues[q].msgs);
        }
        rmq__free(t->queues);
        rmq__free(t->name);
        rmq__free(t);
}

/* Deletes a topic that holds no message (TBW102 when auto-creation is
 * switched off). Returns false if it holds messages. */
bool rmq__mock_topic_del_empty(rmq_mock_broker_t *mb, const char *name) {
        rmq_mock_topic_t *t = rmq__mock_topic_get(mb, name);
        size_t q;
        if (!t)
                return true;
        for (q = 0; q < t->queue_cnt; q++)
                if (t->queues[q].cnt)
                        return false;
        rmq__strmap_del(&mb->topics, name);
        topic_free(t);
        return true;
}

/* mirrors TopicConfigManager#createTopicInSendMessageMethod */
rmq_mock_topic_t *rmq__mock_topic_create_in_send(rmq_mock_broker_t *mb,
                                                 const char *topic,
                                                 const char *default_topic,
                                                 int32_t queue_nums,
                                                 int32_t sys_flag) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        rmq_mock_topic_t *t    = rmq__mock_topic_get(mb, topic);
        rmq_mock_topic_t *def;
        int32_t n;
        if (t)
                return t;
        def = default_topic ? rmq__mock_topic_get(mb, default_topic) : NULL;
        if (!def) {
                rmq__log(&mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: create new topic failed, because the default "
                         "topic[%s] not exist",
                         mb->name, default_topic ? default_topic : "null");
                return NULL;
        }
        if (!strcmp(default_topic, RMQ_AUTO_CREATE_TOPIC_KEY) &&
            !mc->opts.autoCreateTopicEnable)
                def->perm = RMQ_PERM_READ | RMQ_PERM_WRITE;
        if (!rmq__perm_is_inherited(def->perm)) {
                rmq__log(&mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: create new topic failed, because the default "
                         "topic[%s] has no perm [%d]",
                         mb->name, default_topic, def->perm);
                return NULL;
        }
        n = RMQ_MIN(queue_nums, def->write_queues);
        if (n < 0)
                n = 0;
        t = rmq__mock_topic_put(mb, topic, n, n, def->perm & ~RMQ_PERM_INHERIT,
                                sys_flag);
        t->multi_tag = def->multi_tag; /* the default's topicFilterType */
        return t;
}

/* mirrors TopicConfigManager#createTopicInSendMessageBackMethod */
rmq_mock_topic_t *rmq__mock_topic_create_in_send_back(rmq_mock_broker_t *mb,
                                                      const char *topic,
                                                      int32_t queue_nums,
                                                      int32_t perm,
                                                      int32_t sys_flag) {
        rmq_mock_topic_t *t = rmq__mock_topic_get(mb, topic);
        if (t)
                return t;
        return rmq__mock_topic_put(mb, topic, queue_nums, queue_nums, perm,
                                   sys_flag);
}

void rmq__mock_topic_format(const rmq_mock_topic_t *t, char *dst,
                            size_t size) {
        char perm[4];
        rmq__perm_to_string(t->perm, perm);
        snprintf(dst, size,
                 "TopicConfig [topicName=%s, readQueueNums=%d, "
                 "writeQueueNums=%d, perm=%s, topicFilterType=%s, "
                 "topicSysFlag=%d, order=false]",
                 t->name, t->read_queues, t->write_queues, perm,
                 t->multi_tag ? "MULTI_TAG" : "SINGLE_TAG", t->sys_flag);
}

rmq_mock_queue_t *rmq__mock_queue(rmq_mock_topic_t *t, int32_t queue_id) {
        if (queue_id < 0 || (size_t)queue_id >= t->queue_cnt)
                return NULL;
        return &t->queues[queue_id];
}

rmq_mock_stored_t *rmq__mock_queue_at(rmq_mock_queue_t *q, int64_t offset) {
        if (offset < q->min_offset || offset >= rmq__mock_queue_max(q))
                return NULL;
        return q->msgs[offset - q->min_offset];
}

void rmq__mock_queue_truncate(rmq_mock_broker_t *mb, rmq_mock_queue_t *q,
                              int64_t min_offset) {
        size_t n, i;
        if (min_offset > rmq__mock_queue_max(q))
                min_offset = rmq__mock_queue_max(q);
        if (min_offset <= q->min_offset)
                return;
        n = (size_t)(min_offset - q->min_offset);
        for (i = 0; i < n; i++) {
                rmq__imap_del(&mb->by_offset, q->msgs[i]->node.key);
                rmq__free(q->msgs[i]->data);
                rmq__free(q->msgs[i]);
        }
        memmove(q->msgs, q->msgs + n, (q->cnt - n) * sizeof(*q->msgs));
        q->cnt -= n;
        q->min_offset = min_offset;
}

void rmq__mock_broker_system_topics(rmq_mock_broker_t *mb) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        const int32_t rw = RMQ_PERM_READ | RMQ_PERM_WRITE;
        const int32_t rwx = rw | RMQ_PERM_INHERIT;
        /* SubscriptionGroupManager#init */
        static const char *const groups[] = {
            "TOOLS_CONSUMER",     "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP",
            "CID_ONS-HTTP-PROXY", "CID_ONSAPI_PULL",    "CID_ONSAPI_PERMISSION",
            "CID_ONSAPI_OWNER"};
        char reply[64];
        size_t i;
        mb->boot_ts = rmq__mock_wall(mc);
        for (i = 0; i < RMQ_ARRAY_SIZE(groups); i++)
                rmq__mock_sub_group_touch(mb, groups[i]);
        /* TopicConfigManager's constructor, in its order (BenchmarkTest
         * and its 1024 queues are left out). */
        rmq__mock_topic_put(mb, RMQ_MOCK_TOPIC_SELF_TEST, 1, 1, rw, 0);
        if (mc->opts.autoCreateTopicEnable)
                rmq__mock_topic_put(mb, RMQ_AUTO_CREATE_TOPIC_KEY,
                                    mc->opts.defaultTopicQueueNums,
                                    mc->opts.defaultTopicQueueNums, rwx, 0);
        rmq__mock_topic_put(mb, RMQ_MOCK_CLUSTER_NAME, 16, 16, rwx, 0);
        rmq__mock_topic_put(mb, mb->name, 1, 1, rwx, 0);
        rmq__mock_topic_put(mb, RMQ_MOCK_TOPIC_OFFSET_MOVED, 1, 1, rw, 0);
        rmq__mock_topic_put(mb, RMQ_MOCK_TOPIC_SCHEDULE, RMQ_MOCK_DELAY_LEVELS,
                            RMQ_MOCK_DELAY_LEVELS, rw, 0);
        snprintf(reply, sizeof(reply), "%s_REPLY_TOPIC",
                 RMQ_MOCK_CLUSTER_NAME);
        rmq__mock_topic_put(mb, reply, 1, 1, rw, 0);
}

/* ---- the store ---- */

rmq_mock_stored_t *rmq__mock_lookup(rmq_mock_broker_t *mb,
                                    int64_t commit_offset) {
        rmq_imap_node_t *n = rmq__imap_get(&mb->by_offset, commit_offset);
        return n ? RMQ_CONTAINER_OF(n, rmq_mock_stored_t, node) : NULL;
}

void rmq__mock_stored_view(const rmq_mock_stored_t *sm, rmq_msg_view_t *mv) {
        rmq_rd_t rd;
        rmq__rd_init(&rd, sm->data, sm->len);
        if (rmq__msg_decode_next(&rd, mv))
                memset(mv, 0, sizeof(*mv));
}

void rmq__mock_stored_msg_id(const rmq_mock_stored_t *sm, char *out) {
        rmq_msg_view_t mv;
        rmq__mock_stored_view(sm, &mv);
        rmq__offset_msg_id_create(&mv.storeHost, mv.commitLogOffset, out);
}

void rmq__mock_illegal_remark(const rmq_mock_cluster_t *mc, char *dst,
                              size_t size) {
        snprintf(dst, size,
                 "the message is illegal, maybe msg body or properties length "
                 "not matched. msg body length limit %lldB, msg properties "
                 "length limit 32KB.",
                 (long long)mc->opts.maxMessageSize);
}

/* mirrors IndexService#buildIndex: a message is indexed (and moves the
 * index file's end timestamp and offset) when it has a UNIQ_KEY or a
 * non-empty key in KEYS, unless it is a rollback. */
static bool indexed(const rmq_msg_view_t *mv) {
        const char *v;
        size_t vl, i;
        if (rmq__sysflag_transaction(mv->sysFlag) ==
            RMQ_SYSFLAG_TRANSACTION_ROLLBACK)
                return false;
        if (!rmq__props_get(mv->properties, mv->propertiesLen,
                            RMQ_PROP_UNIQ_KEY, &v, &vl))
                return true;
        if (rmq__props_get(mv->properties, mv->propertiesLen, RMQ_PROP_KEYS,
                           &v, &vl))
                return false;
        for (i = 0; i < vl; i++)
                if (v[i] != ' ')
                        return true;
        return false;
}

/* One line per stored message for --print-messages. */
static void print_stored(rmq_mock_broker_t *mb, const rmq_mock_stored_t *sm,
                         const rmq_msg_view_t *mv) {
        char id[RMQ_OFFSET_MSG_ID_MAX + 1];
        char body[100];
        const char *tags = NULL, *keys = NULL;
        size_t tl = 0, kl = 0, i, n = 0;
        rmq__offset_msg_id_create(&mv->storeHost, mv->commitLogOffset, id);
        rmq__props_get(mv->properties, mv->propertiesLen, RMQ_PROP_TAGS, &tags,
                       &tl);
        rmq__props_get(mv->properties, mv->propertiesLen, RMQ_PROP_KEYS, &keys,
                       &kl);
        if (mv->sysFlag & RMQ_SYSFLAG_COMPRESSED) {
                snprintf(body, sizeof(body), "(compressed, %zu bytes)",
                         mv->bodyLen);
        } else {
                for (i = 0; i < mv->bodyLen && n + 5 < sizeof(body); i++) {
                        unsigned char c = mv->body[i];
                        body[n++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
                }
                if (i < mv->bodyLen) {
                        body[n++] = '.';
                        body[n++] = '.';
                        body[n++] = '.';
                }
                body[n] = '\0';
        }
        fprintf(stdout,
                "message topic=%s broker=%s queue=%d offset=%lld msgId=%s "
                "tags=%.*s keys=%.*s body=%s\n",
                sm->topic->name, mb->name, (int)sm->queue_id,
                (long long)sm->queue_offset, id, (int)tl, tags ? tags : "",
                (int)kl, keys ? keys : "", body);
        fflush(stdout);
}

rmq_mock_stored_t *rmq__mock_append(rmq_mock_broker_t *mb,
                                    rmq_mock_topic_t *t, int32_t queue_id,
                                    rmq_msg_view_t *mv) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        rmq_mock_queue_t *q;
        rmq_mock_stored_t *sm;
        rmq_buf_t buf = RMQ_BUF_INIT;
        const char *tags;
        size_t tl, len;
        if (queue_id < 0 || queue_id > 65535)
                return NULL;
        if ((size_t)queue_id >= t->queue_cnt)
                rmq__mock_topic_put(mb, t->name, t->read_queues,
                                    RMQ_MAX(t->write_queues, queue_id + 1),
                                    t->perm, t->sys_flag);
        q                   = &t->queues[queue_id];
        mv->magicCode       = RMQ_MSG_MAGIC_V1;
        mv->queueId         = queue_id;
        mv->queueOffset     = rmq__mock_queue_max(q);
        mv->commitLogOffset = mb->commit_offset;
        mv->storeTimestamp  = rmq__mock_wall(mc);
        mv->storeHost       = mb->store_host;
        mv->bodyCRC         = rmq__crc32_java(mv->body, mv->bodyLen);
        mv->topic           = t->name;
        mv->topicLen        = strlen(t->name);
        if (rmq__msg_encode_stored(&buf, mv)) {
                rmq__buf_free(&buf);
                return NULL;
        }
        sm               = rmq__calloc(1, sizeof(*sm));
        sm->data         = rmq__buf_steal(&buf, &len);
        sm->len          = (uint32_t)len;
        sm->queue_id     = queue_id;
        sm->queue_offset = mv->queueOffset;
        sm->store_ts     = mv->storeTimestamp;
        sm->topic        = t;
        if (!rmq__props_get(mv->properties, mv->propertiesLen, RMQ_PROP_TAGS,
                            &tags, &tl) &&
            tl)
                sm->tags_code = rmq__java_hash(tags, tl);
        sm->node.key = mv->commitLogOffset;
        rmq__imap_put(&mb->by_offset, &sm->node);
        if (q->cnt == q->cap) {
                q->cap  = q->cap ? q->cap * 2 : 16;
                q->msgs = rmq__realloc(q->msgs, q->cap * sizeof(*q->msgs));
        }
        q->msgs[q->cnt++] = sm;
        mb->commit_offset += (int64_t)len;
        if (indexed(mv)) {
                mb->index_last_ts  = mv->storeTimestamp;
                mb->index_last_phy = mv->commitLogOffset;
        }
        if (mc->opts.printMessages)
                print_stored(mb, sm, mv);
        rmq__mock_pull_arriving(mb, t->name, queue_id, sm->tags_code);
        return sm;
}

/* The DELAY property as Message.getDelayTimeLevel (Integer.parseInt). */
static int delay_level(const rmq_mock_inner_t *in, int32_t *level) {
        const char *v = rmq__mock_props_get(&in->props, RMQ_PROP_DELAY);
        *level = 0;
        if (!v)
                return 0;
        return rmq__parse_i32(v, level);
}

const char *rmq__mock_put_status_name(rmq_mock_put_t st) {
        switch (st) {
        case RMQ_MOCK_PUT_OK:
                return "PUT_OK";
        case RMQ_MOCK_PUT_ILLEGAL:
                return "MESSAGE_ILLEGAL";
        case RMQ_MOCK_PUT_PROPERTIES_SIZE_EXCEEDED:
                return "PROPERTIES_SIZE_EXCEEDED";
        default:
                return "UNKNOWN_ERROR";
        }
}

/* The length of UTF-8 text as a Java String's (UTF-16 units). */
static size_t java_length(const uint8_t *s, size_t len) {
        size_t i, n = 0;
        for (i = 0; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        n++;
                if (s[i] >= 0xF0)
                        n++; /* a surrogate pair */
        }
        return n;
}

/* mirrors DefaultMessageStore#asyncPutMessage (checkMessage: topic and
 * properties string length, in Java chars), CommitLog#asyncPutMessage
 * (delay levels) and MessageExtEncoder#encode (properties in UTF-8 bytes:
 * PROPERTIES_SIZE_EXCEEDED; body size) */
rmq_mock_put_t rmq__mock_put(rmq_mock_broker_t *mb, rmq_mock_inner_t *in,
                             rmq_mock_stored_t **smp) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        int32_t tran = rmq__sysflag_transaction(in->sys_flag);
        int32_t level = 0;
        rmq_mock_topic_t *t;
        rmq_msg_view_t mv;
        rmq_mock_stored_t *sm;
        *smp = NULL;
        if (strlen(in->topic) > 127 ||
            java_length(in->props_str.data, in->props_str.len) > INT16_MAX)
                return RMQ_MOCK_PUT_ILLEGAL;
        if (tran == RMQ_SYSFLAG_TRANSACTION_NOT ||
            tran == RMQ_SYSFLAG_TRANSACTION_COMMIT) {
                if (delay_level(in, &level))
                        return RMQ_MOCK_PUT_BAD_DELAY;
                if (level > 0) {
                        char qid[16];
                        if (level > RMQ_MOCK_DELAY_LEVELS) {
                                level = RMQ_MOCK_DELAY_LEVELS;
                                rmq__mock_props_put(&in->props, RMQ_PROP_DELAY,
                                                    "18");
                        }
                        snprintf(qid, sizeof(qid), "%d", (int)in->queue_id);
                        rmq__mock_props_put(&in->props, RMQ_PROP_REAL_TOPIC,
                                            in->topic);
                        rmq__mock_props_put(&in->props, RMQ_PROP_REAL_QID, qid);
                        rmq__mock_inner_sync_props(in);
                        rmq__mock_inner_set_topic(in, RMQ_MOCK_TOPIC_SCHEDULE);
                        in->queue_id = level - 1;
                }
        }
        if (in->props_str.len > INT16_MAX)
                return RMQ_MOCK_PUT_PROPERTIES_SIZE_EXCEEDED;
        if ((int64_t)in->body_len > mc->opts.maxMessageSize)
                return RMQ_MOCK_PUT_ILLEGAL;
        t = rmq__mock_topic_get(mb, in->topic);
        if (!t && !strcmp(in->topic, RMQ_MOCK_TOPIC_SCHEDULE))
                t = rmq__mock_topic_put(mb, RMQ_MOCK_TOPIC_SCHEDULE,
                                        RMQ_MOCK_DELAY_LEVELS,
                                        RMQ_MOCK_DELAY_LEVELS,
                                        RMQ_PERM_READ | RMQ_PERM_WRITE, 0);
        if (!t)
                return RMQ_MOCK_PUT_NO_TOPIC;
        memset(&mv, 0, sizeof(mv));
        mv.flag                      = in->flag;
        mv.sysFlag                   = in->sys_flag;
        mv.bornTimestamp             = in->born_ts;
        mv.bornHost                  = in->born_host;
        mv.reconsumeTimes            = in->reconsume_times;
        mv.preparedTransactionOffset = in->prepared_tx_offset;
        mv.body                      = in->body;
        mv.bodyLen                   = in->body_len;
        mv.properties                = (const char *)in->props_str.data;
        mv.propertiesLen             = in->props_str.len;
        sm = rmq__mock_append(mb, t, in->queue_id, &mv);
        if (!sm)
                return RMQ_MOCK_PUT_ILLEGAL;
        if (level > 0)
                rmq__mock_sched_add(mb, sm, level);
        *smp = sm;
        return RMQ_MOCK_PUT_OK;
}

/* ---- broker lifecycle ---- */

rmq_mock_broker_t *rmq__mock_broker_new(rmq_mock_cluster_t *mc, int id) {
        rmq_mock_broker_t *mb = rmq__calloc(1, sizeof(*mb));
        mb->ep.mc             = mc;
        mb->ep.mb             = mb;
        mb->ep.id             = id;
        mb->registered        = true;
        snprintf(mb->name, sizeof(mb->name), "broker-%c", 'a' + id);
        rmq__strmap_init(&mb->topics);
        rmq__strmap_init(&mb->sub_groups);
        rmq__imap_init(&mb->by_offset);
        rmq__strmap_init(&mb->producers);
        rmq__strmap_init(&mb->producer_ids);
        rmq__strmap_init(&mb->consumers);
        rmq__strmap_init(&mb->offsets);
        rmq__strmap_init(&mb->locks);
        rmq__list_init(&mb->held);
        rmq__list_init(&mb->sched);
        rmq__list_init(&mb->halves);
        return mb;
}

void rmq__mock_broker_init_timers(rmq_mock_broker_t *mb) {
        rmq__timer_init(&mb->pull_timer, rmq__mock_pull_timer_cb, mb);
        rmq__timer_init(&mb->hold_timer, rmq__mock_pull_hold_check_cb, mb);
        rmq__timer_init(&mb->sched_timer, rmq__mock_sched_timer_cb, mb);
        rmq__timer_init(&mb->txn_timer, rmq__mock_txn_timer_cb, mb);
        rmq__mock_txn_timer_start(mb);
        rmq__mock_pull_hold_timer_start(mb);
}

void rmq__mock_broker_close(rmq_mock_broker_t *mb) {
        rmq_io_t *io = mb->ep.mc->io;
        rmq__mock_pull_drop(mb, NULL);
        rmq__timer_stop(io, &mb->pull_timer);
        rmq__timer_stop(io, &mb->hold_timer);
        rmq__timer_stop(io, &mb->sched_timer);
        rmq__timer_stop(io, &mb->txn_timer);
}

void rmq__mock_broker_free(rmq_mock_broker_t *mb) {
        rmq__mock_sched_free(mb);
        rmq__mock_half_free(mb);
        rmq__strmap_clear(&mb->producers, rmq__mock_group_free);
        rmq__strmap_clear(&mb->producer_ids, rmq__mock_channel_release);
        rmq__strmap_clear(&mb->consumers, rmq__mock_group_free);
        rmq__strmap_clear(&mb->offsets, rmq__mock_offsets_free);
        rmq__strmap_clear(&mb->locks, rmq__mock_lock_free);
        rmq__strmap_clear(&mb->topics, topic_free);
        rmq__strmap_clear(&mb->sub_groups, NULL);
        rmq__imap_free(&mb->by_offset);
        rmq__free(mb);
}
