/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_java_util.h"
#include "protocol/rmq_jsonr.h"
#include "protocol/rmq_jsonw.h"
#include "remoting/rmq_json.h"

/* ---- MessageQueue ---- */

void rmq__mq_init(rmq_mq_t *mq, const char *topic, const char *brokerName,
                  int32_t queueId) {
        mq->topic      = rmq__strdup(topic);
        mq->brokerName = rmq__strdup(brokerName);
        mq->queueId    = queueId;
}

void rmq__mq_copy(rmq_mq_t *dst, const rmq_mq_t *src) {
        rmq__mq_init(dst, src->topic, src->brokerName, src->queueId);
}

void rmq__mq_clear(rmq_mq_t *mq) {
        rmq__free(mq->topic);
        rmq__free(mq->brokerName);
        mq->topic      = NULL;
        mq->brokerName = NULL;
}

void rmq__mq_array_free(rmq_mq_t *mqs, size_t n) {
        size_t i;
        for (i = 0; mqs && i < n; i++)
                rmq__mq_clear(&mqs[i]);
        rmq__free(mqs);
}

static int str_cmp(const char *a, const char *b) {
        if (!a || !b)
                return a ? 1 : (b ? -1 : 0);
        return strcmp(a, b);
}

/* mirrors MessageQueue.compareTo */
int rmq__mq_cmp(const rmq_mq_t *a, const rmq_mq_t *b) {
        int r = str_cmp(a->topic, b->topic);
        if (r)
                return r;
        r = str_cmp(a->brokerName, b->brokerName);
        if (r)
                return r;
        return a->queueId < b->queueId ? -1 : a->queueId > b->queueId;
}

int rmq__mq_qsort_cmp(const void *a, const void *b) {
        return rmq__mq_cmp((const rmq_mq_t *)a, (const rmq_mq_t *)b);
}

/* mirrors MessageQueue.equals */
bool rmq__mq_equal(const rmq_mq_t *a, const rmq_mq_t *b) {
        return a->queueId == b->queueId && !str_cmp(a->topic, b->topic) &&
               !str_cmp(a->brokerName, b->brokerName);
}

static uint32_t str_hash(const char *s) {
        return s ? (uint32_t)rmq__java_hash(s, strlen(s)) : 0;
}

/* mirrors MessageQueue.hashCode */
int32_t rmq__mq_hash(const rmq_mq_t *mq) {
        uint32_t r = 1;
        r = 31 * r + str_hash(mq->brokerName);
        r = 31 * r + (uint32_t)mq->queueId;
        r = 31 * r + str_hash(mq->topic);
        return (int32_t)r;
}

/* mirrors MessageQueue.toString */
int rmq__mq_format(const rmq_mq_t *mq, char *dst, size_t size) {
        return snprintf(dst, size,
                        "MessageQueue [topic=%s, brokerName=%s, queueId=%d]",
                        mq->topic ? mq->topic : "null",
                        mq->brokerName ? mq->brokerName : "null",
                        (int)mq->queueId);
}

/* Permutes \p n elements of \p size bytes at \p v as a Java HashSet of
 * their queues (the queue of element i at \p mq_at(v, i)) iterates. */
static void java_order(void *v, size_t n, size_t size,
                       const rmq_mq_t *(*mq_at)(const void *v, size_t i)) {
        int32_t *h;
        size_t *order, i;
        char *tmp;
        if (n < 2)
                return;
        h     = rmq__calloc(n, sizeof(*h));
        order = rmq__calloc(n, sizeof(*order));
        tmp   = rmq__calloc(n, size);
        for (i = 0; i < n; i++)
                h[i] = rmq__mq_hash(mq_at(v, i));
        rmq__java_hashset_order(h, n, order);
        for (i = 0; i < n; i++)
                memcpy(tmp + i * size, (char *)v + order[i] * size, size);
        memcpy(v, tmp, n * size);
        rmq__free(tmp);
        rmq__free(order);
        rmq__free(h);
}

static const rmq_mq_t *mq_of_mq(const void *v, size_t i) {
        return &((const rmq_mq_t *)v)[i];
}

static const rmq_mq_t *mq_of_offset(const void *v, size_t i) {
        return &((const rmq_mq_offset_t *)v)[i].mq;
}

void rmq__mq_java_order(rmq_mq_t *mqs, size_t n) {
        java_order(mqs, n, sizeof(*mqs), mq_of_mq);
}

void rmq__mq_offset_java_order(rmq_mq_offset_t *v, size_t n) {
        java_order(v, n, sizeof(*v), mq_of_offset);
}

/* MessageQueue as fastjson writes it: members sorted. */
void rmq__mq_json_write(rmq_jsonw_t *jw, const rmq_mq_t *mq) {
        rmq__jsonw_str(jw, "brokerName", mq->brokerName);
        rmq__jsonw_i64(jw, "queueId", mq->queueId);
        rmq__jsonw_str(jw, "topic", mq->topic);
}

static void mq_array_write(rmq_jsonw_t *jw, const char *key,
                           const rmq_mq_t *mqs, size_t n) {
        size_t i;
        rmq__jsonw_arr_open(jw, key);
        for (i = 0; i < n; i++) {
                rmq__jsonw_obj_open(jw, NULL);
                rmq__mq_json_write(jw, &mqs[i]);
                rmq__jsonw_obj_close(jw);
        }
        rmq__jsonw_arr_close(jw);
}

static void mq_read(rmq_jsonr_t *jr, const cJSON *j, rmq_mq_t *mq) {
        if (!cJSON_IsObject(j)) {
                rmq__jsonr_fail(jr, "not an object", "MessageQueue");
                return;
        }
        mq->topic      = rmq__jsonr_strdup(jr, j, "topic", true);
        mq->brokerName = rmq__jsonr_strdup(jr, j, "brokerName", true);
        mq->queueId    = rmq__jsonr_i32(jr, j, "queueId", 0);
}

/* Reads an array of queues into a new array. */
static rmq_mq_t *mq_array_read(rmq_jsonr_t *jr, const cJSON *arr,
                               size_t *np) {
        rmq_mq_t *mqs = rmq__calloc(rmq__jsonr_count(arr) + 1, sizeof(*mqs));
        const cJSON *e;
        *np = 0;
        cJSON_ArrayForEach(e, arr) {
                if (jr->err)
                        break;
                mq_read(jr, e, &mqs[(*np)++]);
        }
        return mqs;
}

/* ---- lock batch ---- */

/* mirrors LockBatchRequestBody.encode */
void rmq__lock_batch_request_encode(const rmq_lock_batch_request_t *req,
                                    rmq_buf_t *out) {
        rmq_jsonw_t jw;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_str(&jw, "clientId", req->clientId);
        rmq__jsonw_str(&jw, "consumerGroup", req->consumerGroup);
        mq_array_write(&jw, "mqSet", req->mqSet, req->mqSet_cnt);
        rmq__jsonw_obj_close(&jw);
}

rmq_err_t rmq__lock_batch_request_decode(const void *body, size_t len,
                                         rmq_lock_batch_request_t *req,
                                         char *errstr, size_t errstr_size) {
        rmq_jsonr_t jr;
        cJSON *root;
        memset(req, 0, sizeof(*req));
        rmq__jsonr_init(&jr, errstr, errstr_size);
        root = rmq__jsonr_parse(&jr, body, len);
        if (!root)
                return jr.err;
        req->consumerGroup = rmq__jsonr_strdup(&jr, root, "consumerGroup",
                                               false);
        req->clientId   = rmq__jsonr_strdup(&jr, root, "clientId", false);
        req->mqSet      = mq_array_read(&jr, rmq__jsonr_array(&jr, root,
                                                              "mqSet"),
                                        &req->mqSet_cnt);
        cJSON_Delete(root);
        return jr.err;
}

void rmq__lock_batch_request_clear(rmq_lock_batch_request_t *req) {
        rmq__mq_array_free(req->mqSet, req->mqSet_cnt);
        rmq__free(req->consumerGroup);
        rmq__free(req->clientId);
        memset(req, 0, sizeof(*req));
}

/* mirrors LockBatchResponseBody.encode */
void rmq__lock_batch_response_encode(const rmq_mq_t *mqs, size_t n,
                                     rmq_buf_t *out) {
        rmq_jsonw_t jw;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        mq_array_write(&jw, "lockOKMQSet", mqs, n);
        rmq__jsonw_obj_close(&jw);
}

rmq_err_t rmq__lock_batch_response_decode(const void *body, size_t len,
                                          rmq_mq_t **mqsp, size_t *np,
                                          char *errstr, size_t errstr_size) {
        rmq_jsonr_t jr;
        cJSON *root;
        rmq_mq_t *mqs;
        size_t n;
        *mqsp = NULL;
        *np   = 0;
        rmq__jsonr_init(&jr, errstr, errstr_size);
        root = rmq__jsonr_parse(&jr, body, len);
        if (!root)
                return jr.err;
        mqs = mq_array_read(&jr, rmq__jsonr_array(&jr, root, "lockOKMQSet"),
                            &n);
        cJSON_Delete(root);
        if (jr.err) {
                rmq__mq_array_free(mqs, n);
                return jr.err;
        }
        *mqsp = mqs;
        *np   = n;
        return RMQ_OK;
}

/* ---- consumer list ---- */

/* mirrors GetConsumerListByGroupResponseBody.encode */
void rmq__consumer_list_encode(const char *const *ids, size_t n,
                               rmq_buf_t *out) {
        rmq_jsonw_t jw;
        size_t i;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_arr_open(&jw, "consumerIdList");
        for (i = 0; i < n; i++)
                rmq__jsonw_str(&jw, NULL, ids[i]);
        rmq__jsonw_arr_close(&jw);
        rmq__jsonw_obj_close(&jw);
}

rmq_err_t rmq__consumer_list_decode(const void *body, size_t len,
                                    char ***idsp, size_t *np, char *errstr,
                                    size_t errstr_size) {
        rmq_jsonr_t jr;
        cJSON *root;
        const cJSON *arr, *e;
        char **ids;
        size_t n = 0;
        *idsp = NULL;
        *np   = 0;
        rmq__jsonr_init(&jr, errstr, errstr_size);
        root = rmq__jsonr_parse(&jr, body, len);
        if (!root)
                return jr.err;
        arr = rmq__jsonr_array(&jr, root, "consumerIdList");
        ids = rmq__calloc(rmq__jsonr_count(arr) + 1, sizeof(char *));
        cJSON_ArrayForEach(e, arr) {
                char *id = rmq__jsonr_item_strdup(&jr, e, "consumerIdList[]");
                if (!id)
                        break;
                ids[n++] = id;
        }
        cJSON_Delete(root);
        if (jr.err) {
                rmq__strv_free(ids);
                return jr.err;
        }
        *idsp = ids;
        *np   = n;
        return RMQ_OK;
}

/* ---- offset tables ---- */

void rmq__mq_offset_map_write(rmq_jsonw_t *jw, const char *key,
                              const rmq_mq_offset_t *e, size_t n) {
        size_t i;
        rmq__jsonw_obj_open(jw, key);
        for (i = 0; i < n; i++) {
                rmq__jsonw_raw_key_begin(jw);
                rmq__mq_json_write(jw, &e[i].mq);
                rmq__jsonw_raw_key_end(jw);
                rmq__jsonw_i64(jw, NULL, e[i].offset);
        }
        rmq__jsonw_obj_close(jw);
}

/* mirrors ResetOffsetBody.encode (fastjson MessageQueue map keys) */
void rmq__offset_table_encode(const rmq_mq_offset_t *entries, size_t n,
                              rmq_buf_t *out) {
        rmq_jsonw_t jw;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__mq_offset_map_write(&jw, "offsetTable", entries, n);
        rmq__jsonw_obj_close(&jw);
}

void rmq__offset_table_free(rmq_mq_offset_t *entries, size_t n) {
        size_t i;
        for (i = 0; entries && i < n; i++)
                rmq__mq_clear(&entries[i].mq);
        rmq__free(entries);
}

/* The queue from an object map key (the key's JSON text). */
static void mq_from_raw_key(rmq_jsonr_t *jr, const cJSON *item,
                            rmq_mq_t *mq) {
        cJSON *k;
        if (!(item->type & RMQ_JSON_RAWKEY) || !item->string) {
                rmq__jsonr_fail(jr, "map key is not a MessageQueue",
                                item->string);
                return;
        }
        k = rmq__json_parse(item->string, strlen(item->string), NULL, 0);
        if (!k) {
                rmq__jsonr_fail(jr, "bad MessageQueue key", item->string);
                return;
        }
        mq_read(jr, k, mq);
        cJSON_Delete(k);
}

/* One entry of the object form: key = queue, value = offset or object. */
static void offset_entry_read(rmq_jsonr_t *jr, const cJSON *item,
                              const char *value_field, rmq_mq_offset_t *e) {
        mq_from_raw_key(jr, item, &e->mq);
        if (jr->err)
                return;
        if (!value_field) {
                if (rmq__json_item_i64(item, &e->offset))
                        rmq__jsonr_fail(jr, "offset not an integer", NULL);
                return;
        }
        if (!cJSON_IsObject(item)) {
                rmq__jsonr_fail(jr, "not an object", "offset table value");
                return;
        }
        e->offset = rmq__jsonr_i64(jr, item, value_field, 0);
}

/* One entry of ResetOffsetBodyForC's list form (MessageQueueForC). */
static void offset_c_entry_read(rmq_jsonr_t *jr, const cJSON *item,
                                rmq_mq_offset_t *e) {
        mq_read(jr, item, &e->mq);
        e->offset = rmq__jsonr_i64(jr, item, "offset", 0);
}

rmq_err_t rmq__offset_table_decode(const void *body, size_t len,
                                   const char *table, const char *value_field,
                                   rmq_mq_offset_t **entriesp, size_t *np,
                                   char *errstr, size_t errstr_size) {
        rmq_jsonr_t jr;
        cJSON *root;
        const cJSON *t, *item;
        rmq_mq_offset_t *entries;
        size_t n = 0;
        *entriesp = NULL;
        *np       = 0;
        rmq__jsonr_init(&jr, errstr, errstr_size);
        root = rmq__jsonr_parse(&jr, body, len);
        if (!root)
                return jr.err;
        t = cJSON_GetObjectItemCaseSensitive(root, table);
        if (t && !cJSON_IsNull(t) && !cJSON_IsObject(t) &&
            !(cJSON_IsArray(t) && !value_field))
                rmq__jsonr_fail(&jr, "not an object", table);
        entries = rmq__calloc(rmq__jsonr_count(t) + 1, sizeof(*entries));
        cJSON_ArrayForEach(item, t) {
                if (jr.err)
                        break;
                if (cJSON_IsArray(t))
                        offset_c_entry_read(&jr, item, &entries[n++]);
                else
                        offset_entry_read(&jr, item, value_field,
                                          &entries[n++]);
        }
        cJSON_Delete(root);
        if (jr.err) {
                rmq__offset_table_free(entries, n);
                return jr.err;
        }
        *entriesp = entries;
        *np       = n;
        return RMQ_OK;
}
