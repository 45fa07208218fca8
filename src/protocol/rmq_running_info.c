/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/rmq_str.h"
#include "protocol/rmq_jsonr.h"
#include "protocol/rmq_jsonw.h"
#include "protocol/rmq_running_info.h"
#include "remoting/rmq_json.h"

/* ---- building ---- */

static bool str_eq(const char *a, const char *b) {
        return a == b || (a && b && !strcmp(a, b));
}

void rmq__running_info_add_prop(rmq_consumer_running_info_t *info,
                                const char *name, const char *value) {
        size_t i;
        for (i = 0; i < info->properties_cnt; i++) {
                if (str_eq(info->properties[i].name, name)) {
                        rmq__free(info->properties[i].value);
                        info->properties[i].value =
                            value ? rmq__strdup(value) : NULL;
                        return;
                }
        }
        info->properties =
            rmq__realloc(info->properties, (info->properties_cnt + 1) *
                                               sizeof(*info->properties));
        info->properties[info->properties_cnt].name =
            name ? rmq__strdup(name) : NULL;
        info->properties[info->properties_cnt++].value =
            value ? rmq__strdup(value) : NULL;
}

void rmq__running_info_add_subscription(rmq_consumer_running_info_t *info,
                                        const rmq_subscription_data_t *sd) {
        info->subscriptionSet = rmq__realloc(
            info->subscriptionSet,
            (info->subscriptionSet_cnt + 1) * sizeof(*info->subscriptionSet));
        rmq__subscription_copy(
            &info->subscriptionSet[info->subscriptionSet_cnt++], sd);
}

void rmq__running_info_add_mq(rmq_consumer_running_info_t *info,
                              const rmq_mq_t *mq,
                              const rmq_process_queue_info_t *pq) {
        rmq_running_info_mq_t *e;
        info->mqTable = rmq__realloc(info->mqTable, (info->mqTable_cnt + 1) *
                                                        sizeof(*info->mqTable));
        e             = &info->mqTable[info->mqTable_cnt++];
        rmq__mq_copy(&e->mq, mq);
        e->pq = *pq;
}

void rmq__running_info_add_status(rmq_consumer_running_info_t *info,
                                  const char *topic,
                                  const rmq_consume_stat_t *cs) {
        rmq_running_info_status_t *e;
        info->statusTable =
            rmq__realloc(info->statusTable, (info->statusTable_cnt + 1) *
                                                sizeof(*info->statusTable));
        e         = &info->statusTable[info->statusTable_cnt++];
        e->topic  = topic ? rmq__strdup(topic) : NULL;
        e->status = *cs;
}

void rmq__running_info_set_jstack(rmq_consumer_running_info_t *info,
                                  const char *jstack) {
        rmq__free(info->jstack);
        info->jstack = jstack ? rmq__strdup(jstack) : NULL;
}

void rmq__running_info_clear(rmq_consumer_running_info_t *info) {
        size_t i;
        if (!info)
                return;
        for (i = 0; i < info->properties_cnt; i++) {
                rmq__free(info->properties[i].name);
                rmq__free(info->properties[i].value);
        }
        rmq__free(info->properties);
        for (i = 0; i < info->subscriptionSet_cnt; i++)
                rmq__subscription_clear(&info->subscriptionSet[i]);
        rmq__free(info->subscriptionSet);
        for (i = 0; i < info->mqTable_cnt; i++)
                rmq__mq_clear(&info->mqTable[i].mq);
        rmq__free(info->mqTable);
        for (i = 0; i < info->statusTable_cnt; i++)
                rmq__free(info->statusTable[i].topic);
        rmq__free(info->statusTable);
        rmq__free(info->jstack);
        memset(info, 0, sizeof(*info));
}

/* ---- Java 9+ Properties order ---- */

/* ConcurrentHashMap.spread */
static uint32_t chm_spread(int32_t h) {
        uint32_t u = (uint32_t)h;
        return (u ^ (u >> 16)) & 0x7fffffffu;
}

/* A single-threaded ConcurrentHashMap(8) filled with the names in array
 * order: table of 16 created at the first put, each new key appended to
 * its bin's list, the table doubled once the count reaches 3/4 of it; a
 * resize walks the bins from the last, keeps each list's longest tail
 * going to one side ("lastRun") as it is and pushes the nodes before it
 * onto the front of their side's list. Then iterates bin by bin. */
void rmq__running_info_props_java_order(rmq_consumer_running_info_t *info) {
        size_t cnt = info->properties_cnt, n = 16, i, k;
        uint32_t *hash;
        size_t *next, *bins, *nbins;
        rmq_running_info_prop_t *tmp;
        const size_t NIL = (size_t)-1;
        if (cnt < 2)
                return;
        hash = rmq__calloc(cnt, sizeof(*hash));
        next = rmq__calloc(cnt, sizeof(*next));
        bins = rmq__malloc(n * sizeof(*bins));
        for (i = 0; i < n; i++)
                bins[i] = NIL;
        for (k = 0; k < cnt; k++) {
                const char *name = info->properties[k].name;
                size_t *pp;
                hash[k] =
                    chm_spread(name ? rmq__java_hash(name, strlen(name)) : 0);
                next[k] = NIL;
                for (pp = &bins[hash[k] & (n - 1)]; *pp != NIL; pp = &next[*pp])
                        ;
                *pp = k;
                if (k + 1 < n - (n >> 2))
                        continue;
                /* transfer() to a table of 2n */
                nbins = rmq__malloc(2 * n * sizeof(*nbins));
                for (i = n; i-- > 0;) {
                        size_t f = bins[i], p, last_run, ln, hn;
                        uint32_t run_bit;
                        nbins[i] = nbins[i + n] = NIL;
                        if (f == NIL)
                                continue;
                        run_bit  = hash[f] & n;
                        last_run = f;
                        for (p = next[f]; p != NIL; p = next[p]) {
                                if ((hash[p] & n) != run_bit) {
                                        run_bit  = hash[p] & n;
                                        last_run = p;
                                }
                        }
                        ln = run_bit ? NIL : last_run;
                        hn = run_bit ? last_run : NIL;
                        for (p = f; p != last_run;) {
                                size_t nx = next[p];
                                if (hash[p] & n) {
                                        next[p] = hn;
                                        hn      = p;
                                } else {
                                        next[p] = ln;
                                        ln      = p;
                                }
                                p = nx;
                        }
                        nbins[i]     = ln;
                        nbins[i + n] = hn;
                }
                rmq__free(bins);
                bins = nbins;
                n *= 2;
        }
        tmp = rmq__malloc(cnt * sizeof(*tmp));
        for (i = 0, k = 0; i < n; i++) {
                size_t p;
                for (p = bins[i]; p != NIL; p = next[p])
                        tmp[k++] = info->properties[p];
        }
        memcpy(info->properties, tmp, cnt * sizeof(*tmp));
        rmq__free(tmp);
        rmq__free(bins);
        rmq__free(next);
        rmq__free(hash);
}

/* ---- encoding ---- */

/* ProcessQueueInfo's bean properties, sorted. */
static void pq_write(rmq_jsonw_t *jw, const rmq_process_queue_info_t *pq) {
        rmq__jsonw_obj_open(jw, NULL);
        rmq__jsonw_i64(jw, "cachedMsgCount", pq->cachedMsgCount);
        rmq__jsonw_i64(jw, "cachedMsgMaxOffset", pq->cachedMsgMaxOffset);
        rmq__jsonw_i64(jw, "cachedMsgMinOffset", pq->cachedMsgMinOffset);
        rmq__jsonw_i64(jw, "cachedMsgSizeInMiB", pq->cachedMsgSizeInMiB);
        rmq__jsonw_i64(jw, "commitOffset", pq->commitOffset);
        rmq__jsonw_bool(jw, "droped", pq->droped);
        rmq__jsonw_i64(jw, "lastConsumeTimestamp", pq->lastConsumeTimestamp);
        rmq__jsonw_i64(jw, "lastLockTimestamp", pq->lastLockTimestamp);
        rmq__jsonw_i64(jw, "lastPullTimestamp", pq->lastPullTimestamp);
        rmq__jsonw_bool(jw, "locked", pq->locked);
        rmq__jsonw_i64(jw, "transactionMsgCount", pq->transactionMsgCount);
        rmq__jsonw_i64(jw, "transactionMsgMaxOffset",
                       pq->transactionMsgMaxOffset);
        rmq__jsonw_i64(jw, "transactionMsgMinOffset",
                       pq->transactionMsgMinOffset);
        rmq__jsonw_i64(jw, "tryUnlockTimes", pq->tryUnlockTimes);
        rmq__jsonw_obj_close(jw);
}

/* ConsumeStatus's bean properties, sorted. */
static void status_write(rmq_jsonw_t *jw, const char *key,
                         const rmq_consume_stat_t *cs) {
        rmq__jsonw_obj_open(jw, key);
        rmq__jsonw_i64(jw, "consumeFailedMsgs", cs->consumeFailedMsgs);
        rmq__jsonw_double(jw, "consumeFailedTPS", cs->consumeFailedTPS);
        rmq__jsonw_double(jw, "consumeOKTPS", cs->consumeOKTPS);
        rmq__jsonw_double(jw, "consumeRT", cs->consumeRT);
        rmq__jsonw_double(jw, "pullRT", cs->pullRT);
        rmq__jsonw_double(jw, "pullTPS", cs->pullTPS);
        rmq__jsonw_obj_close(jw);
}

/* An element and its index, so qsort's result is deterministic and runs
 * of equal keys are in insertion order. */
typedef struct sort_ref_s {
        const void *elem;
        char *key; /* SubscriptionData's compare string, else NULL */
        size_t idx;
} sort_ref_t;

static int idx_cmp(const sort_ref_t *a, const sort_ref_t *b) {
        return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int nullable_strcmp(const char *a, const char *b) {
        if (!a || !b)
                return a ? 1 : (b ? -1 : 0);
        return strcmp(a, b);
}

static int mq_ref_cmp(const void *x, const void *y) {
        const sort_ref_t *a = x, *b = y;
        int r = rmq__mq_cmp(&((const rmq_running_info_mq_t *)a->elem)->mq,
                            &((const rmq_running_info_mq_t *)b->elem)->mq);
        return r ? r : idx_cmp(a, b);
}

static int status_ref_cmp(const void *x, const void *y) {
        const sort_ref_t *a = x, *b = y;
        int r = nullable_strcmp(
            ((const rmq_running_info_status_t *)a->elem)->topic,
            ((const rmq_running_info_status_t *)b->elem)->topic);
        return r ? r : idx_cmp(a, b);
}

static int key_ref_cmp(const void *x, const void *y) {
        const sort_ref_t *a = x, *b = y;
        int r = strcmp(a->key, b->key);
        return r ? r : idx_cmp(a, b);
}

static sort_ref_t *refs_new(const void *arr, size_t elem_size, size_t n) {
        sort_ref_t *refs = rmq__calloc(n + 1, sizeof(*refs));
        size_t i;
        for (i = 0; i < n; i++) {
                refs[i].elem = (const char *)arr + i * elem_size;
                refs[i].idx  = i;
        }
        return refs;
}

/* mirrors ConsumerRunningInfo#encode (fastjson) */
void rmq__consumer_running_info_encode(const rmq_consumer_running_info_t *info,
                                       rmq_buf_t *out) {
        rmq_jsonw_t jw;
        sort_ref_t *refs;
        size_t i, n;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_str(&jw, "jstack", info->jstack);

        /* TreeMap<MessageQueue, ProcessQueueInfo>: sorted, last put wins */
        n    = info->mqTable_cnt;
        refs = refs_new(info->mqTable, sizeof(*info->mqTable), n);
        qsort(refs, n, sizeof(*refs), mq_ref_cmp);
        rmq__jsonw_obj_open(&jw, "mqTable");
        for (i = 0; i < n; i++) {
                const rmq_running_info_mq_t *e = refs[i].elem;
                if (i + 1 < n &&
                    rmq__mq_equal(
                        &e->mq,
                        &((const rmq_running_info_mq_t *)refs[i + 1].elem)->mq))
                        continue;
                rmq__jsonw_raw_key_begin(&jw);
                rmq__mq_json_write(&jw, &e->mq);
                rmq__jsonw_raw_key_end(&jw);
                pq_write(&jw, &e->pq);
        }
        rmq__jsonw_obj_close(&jw);
        rmq__free(refs);

        /* Properties: the map's iteration order (the array's). */
        rmq__jsonw_obj_open(&jw, "properties");
        for (i = 0; i < info->properties_cnt; i++) {
                const rmq_running_info_prop_t *p = &info->properties[i];
                if (p->name && p->value) /* Properties holds no nulls */
                        rmq__jsonw_str(&jw, p->name, p->value);
        }
        rmq__jsonw_obj_close(&jw);

        /* TreeMap<String, ConsumeStatus>: sorted, last put wins */
        n    = info->statusTable_cnt;
        refs = refs_new(info->statusTable, sizeof(*info->statusTable), n);
        qsort(refs, n, sizeof(*refs), status_ref_cmp);
        rmq__jsonw_obj_open(&jw, "statusTable");
        for (i = 0; i < n; i++) {
                const rmq_running_info_status_t *e = refs[i].elem;
                if (!e->topic) /* TreeMap refuses a null key */
                        continue;
                if (i + 1 < n &&
                    str_eq(e->topic,
                           ((const rmq_running_info_status_t *)refs[i + 1].elem)
                               ->topic))
                        continue;
                status_write(&jw, e->topic, &e->status);
        }
        rmq__jsonw_obj_close(&jw);
        rmq__free(refs);

        /* TreeSet<SubscriptionData>: by topic + "@" + subString, the
         * first added of equal ones kept */
        n = info->subscriptionSet_cnt;
        refs =
            refs_new(info->subscriptionSet, sizeof(*info->subscriptionSet), n);
        for (i = 0; i < n; i++) {
                const rmq_subscription_data_t *sd = refs[i].elem;
                refs[i].key =
                    rmq__asprintf("%s@%s", sd->topic ? sd->topic : "null",
                                  sd->subString ? sd->subString : "null");
        }
        qsort(refs, n, sizeof(*refs), key_ref_cmp);
        rmq__jsonw_arr_open(&jw, "subscriptionSet");
        for (i = 0; i < n; i++) {
                if (i > 0 && !strcmp(refs[i].key, refs[i - 1].key))
                        continue;
                rmq__subscription_write(&jw, NULL, refs[i].elem);
        }
        rmq__jsonw_arr_close(&jw);
        for (i = 0; i < n; i++)
                rmq__free(refs[i].key);
        rmq__free(refs);

        rmq__jsonw_obj_close(&jw);
}

/* ---- decoding ---- */

/* A double member: a number, a numeric string, or 0 when absent/null. */
static double read_double(rmq_jsonr_t *jr, const cJSON *obj, const char *key) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
        char *end;
        double d;
        if (!it || cJSON_IsNull(it))
                return 0.0;
        if (cJSON_IsNumber(it))
                return it->valuedouble;
        if (cJSON_IsString(it) && it->valuestring[0]) {
                d = strtod(it->valuestring, &end);
                if (!*end)
                        return d;
        }
        rmq__jsonr_fail(jr, "not a number", key);
        return 0.0;
}

static void pq_read(rmq_jsonr_t *jr, const cJSON *j,
                    rmq_process_queue_info_t *pq) {
        if (!cJSON_IsObject(j)) {
                rmq__jsonr_fail(jr, "not an object", "mqTable value");
                return;
        }
        pq->commitOffset       = rmq__jsonr_i64(jr, j, "commitOffset", 0);
        pq->cachedMsgMinOffset = rmq__jsonr_i64(jr, j, "cachedMsgMinOffset", 0);
        pq->cachedMsgMaxOffset = rmq__jsonr_i64(jr, j, "cachedMsgMaxOffset", 0);
        pq->cachedMsgCount     = rmq__jsonr_i32(jr, j, "cachedMsgCount", 0);
        pq->cachedMsgSizeInMiB = rmq__jsonr_i32(jr, j, "cachedMsgSizeInMiB", 0);
        pq->transactionMsgMinOffset =
            rmq__jsonr_i64(jr, j, "transactionMsgMinOffset", 0);
        pq->transactionMsgMaxOffset =
            rmq__jsonr_i64(jr, j, "transactionMsgMaxOffset", 0);
        pq->transactionMsgCount =
            rmq__jsonr_i32(jr, j, "transactionMsgCount", 0);
        pq->locked            = rmq__jsonr_bool(jr, j, "locked", false);
        pq->tryUnlockTimes    = rmq__jsonr_i64(jr, j, "tryUnlockTimes", 0);
        pq->lastLockTimestamp = rmq__jsonr_i64(jr, j, "lastLockTimestamp", 0);
        pq->droped            = rmq__jsonr_bool(jr, j, "droped", false);
        pq->lastPullTimestamp = rmq__jsonr_i64(jr, j, "lastPullTimestamp", 0);
        pq->lastConsumeTimestamp =
            rmq__jsonr_i64(jr, j, "lastConsumeTimestamp", 0);
}

static void status_read(rmq_jsonr_t *jr, const cJSON *j,
                        rmq_consume_stat_t *cs) {
        if (!cJSON_IsObject(j)) {
                rmq__jsonr_fail(jr, "not an object", "statusTable value");
                return;
        }
        cs->pullRT            = read_double(jr, j, "pullRT");
        cs->pullTPS           = read_double(jr, j, "pullTPS");
        cs->consumeRT         = read_double(jr, j, "consumeRT");
        cs->consumeOKTPS      = read_double(jr, j, "consumeOKTPS");
        cs->consumeFailedTPS  = read_double(jr, j, "consumeFailedTPS");
        cs->consumeFailedMsgs = rmq__jsonr_i64(jr, j, "consumeFailedMsgs", 0);
}

/* The mqTable: the queues (object keys) through rmq__offset_table_decode,
 * the values from the tree, child by child in the same order. */
static void mq_table_read(rmq_jsonr_t *jr, const void *body, size_t len,
                          const cJSON *root,
                          rmq_consumer_running_info_t *info) {
        rmq_mq_offset_t *keys = NULL;
        size_t n = 0, i = 0;
        const cJSON *t, *item;
        rmq_err_t err;
        if (jr->err)
                return;
        err = rmq__offset_table_decode(body, len, "mqTable", "commitOffset",
                                       &keys, &n, jr->errstr, jr->errstr_size);
        if (err) {
                jr->err = err;
                return;
        }
        t             = rmq__jsonr_object(jr, root, "mqTable");
        info->mqTable = rmq__calloc(n + 1, sizeof(*info->mqTable));
        cJSON_ArrayForEach(item, t) {
                rmq_running_info_mq_t *e;
                if (jr->err || i >= n)
                        break;
                e                = &info->mqTable[info->mqTable_cnt++];
                e->mq            = keys[i].mq; /* moved */
                keys[i].mq.topic = keys[i].mq.brokerName = NULL;
                pq_read(jr, item, &e->pq);
                i++;
        }
        if (!jr->err && i != n)
                rmq__jsonr_fail(jr, "inconsistent", "mqTable");
        rmq__offset_table_free(keys, n);
}

/* mirrors ConsumerRunningInfo.decode (fastjson) */
rmq_err_t rmq__consumer_running_info_decode(const void *body, size_t len,
                                            rmq_consumer_running_info_t *info,
                                            char *errstr, size_t errstr_size) {
        rmq_jsonr_t jr;
        cJSON *root;
        const cJSON *t, *item;
        memset(info, 0, sizeof(*info));
        rmq__jsonr_init(&jr, errstr, errstr_size);
        root = rmq__jsonr_parse(&jr, body, len);
        if (!root)
                return jr.err;

        t = rmq__jsonr_object(&jr, root, "properties");
        cJSON_ArrayForEach(item, t) {
                if (jr.err)
                        break;
                if (cJSON_IsNull(item))
                        continue;
                if (cJSON_IsString(item)) {
                        rmq__running_info_add_prop(info, item->string,
                                                   item->valuestring);
                } else {
                        char *text = rmq__json_print_str(item, NULL);
                        rmq__running_info_add_prop(info, item->string, text);
                        rmq__free(text);
                }
        }

        t                     = rmq__jsonr_array(&jr, root, "subscriptionSet");
        info->subscriptionSet = rmq__calloc(rmq__jsonr_count(t) + 1,
                                            sizeof(*info->subscriptionSet));
        cJSON_ArrayForEach(item, t) {
                if (jr.err)
                        break;
                rmq__subscription_read(
                    &jr, item,
                    &info->subscriptionSet[info->subscriptionSet_cnt++],
                    "subscriptionSet[]");
        }

        mq_table_read(&jr, body, len, root, info);

        t = rmq__jsonr_object(&jr, root, "statusTable");
        info->statusTable =
            rmq__calloc(rmq__jsonr_count(t) + 1, sizeof(*info->statusTable));
        cJSON_ArrayForEach(item, t) {
                rmq_running_info_status_t *e;
                if (jr.err)
                        break;
                e        = &info->statusTable[info->statusTable_cnt++];
                e->topic = rmq__strdup(item->string ? item->string : "");
                status_read(&jr, item, &e->status);
        }

        info->jstack = rmq__jsonr_strdup(&jr, root, "jstack", false);
        cJSON_Delete(root);
        return jr.err;
}

/* ---- ConsumeMessageDirectlyResult ---- */

static const char *const cm_result_names[] = {
    "CR_SUCCESS", "CR_LATER",           "CR_ROLLBACK",
    "CR_COMMIT",  "CR_THROW_EXCEPTION", "CR_RETURN_NULL"};

const char *rmq__cm_result_name(int v) {
        if (v < 0 || v >= (int)RMQ_ARRAY_SIZE(cm_result_names))
                return NULL;
        return cm_result_names[v];
}

int rmq__cm_result_parse(const char *name) {
        size_t i;
        for (i = 0; name && i < RMQ_ARRAY_SIZE(cm_result_names); i++)
                if (!strcmp(name, cm_result_names[i]))
                        return (int)i;
        return -1;
}

/* mirrors ConsumeMessageDirectlyResult#encode (fastjson) */
void rmq__consume_directly_result_encode(
    const rmq_consume_directly_result_t *res, rmq_buf_t *out) {
        rmq_jsonw_t jw;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_bool(&jw, "autoCommit", res->autoCommit);
        rmq__jsonw_str(&jw, "consumeResult",
                       rmq__cm_result_name(res->consumeResult));
        rmq__jsonw_bool(&jw, "order", res->order);
        rmq__jsonw_str(&jw, "remark", res->remark);
        rmq__jsonw_i64(&jw, "spentTimeMills", res->spentTimeMills);
        rmq__jsonw_obj_close(&jw);
}

rmq_err_t
rmq__consume_directly_result_decode(const void *body, size_t len,
                                    rmq_consume_directly_result_t *res,
                                    char *errstr, size_t errstr_size) {
        rmq_jsonr_t jr;
        cJSON *root;
        char *cr;
        memset(res, 0, sizeof(*res));
        res->autoCommit    = true;
        res->consumeResult = -1;
        rmq__jsonr_init(&jr, errstr, errstr_size);
        root = rmq__jsonr_parse(&jr, body, len);
        if (!root)
                return jr.err;
        res->order          = rmq__jsonr_bool(&jr, root, "order", false);
        res->autoCommit     = rmq__jsonr_bool(&jr, root, "autoCommit", true);
        res->remark         = rmq__jsonr_strdup(&jr, root, "remark", false);
        res->spentTimeMills = rmq__jsonr_i64(&jr, root, "spentTimeMills", 0);
        cr = rmq__jsonr_strdup(&jr, root, "consumeResult", false);
        if (cr && (res->consumeResult = rmq__cm_result_parse(cr)) < 0)
                rmq__jsonr_fail(&jr, "unknown enum name", cr);
        rmq__free(cr);
        cJSON_Delete(root);
        return jr.err;
}

/* ---- GetConsumerStatusBody ---- */

/* mirrors GetConsumerStatusBody#encode (fastjson) */
void rmq__consumer_status_body_encode(
    const rmq_mq_offset_t *messageQueueTable, size_t messageQueueTable_cnt,
    const rmq_consumer_status_group_t *consumerTable, size_t consumerTable_cnt,
    rmq_buf_t *out) {
        rmq_jsonw_t jw;
        size_t i;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_obj_open(&jw, "consumerTable");
        for (i = 0; i < consumerTable_cnt; i++) {
                const rmq_consumer_status_group_t *g = &consumerTable[i];
                if (!g->group) /* fastjson would write a null key; skip */
                        continue;
                rmq__mq_offset_map_write(&jw, g->group, g->offsets,
                                         g->offsets_cnt);
        }
        rmq__jsonw_obj_close(&jw);
        rmq__mq_offset_map_write(&jw, "messageQueueTable", messageQueueTable,
                                 messageQueueTable_cnt);
        rmq__jsonw_obj_close(&jw);
}
