/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Offset and message queries: GET_MAX_OFFSET, GET_MIN_OFFSET,
 * SEARCH_OFFSET_BY_TIMESTAMP, GET_EARLIEST_MSG_STORETIME
 * (AdminBrokerProcessor over DefaultMessageStore and ConsumeQueue),
 * VIEW_MESSAGE_BY_ID and QUERY_MESSAGE (QueryMessageProcessor over the
 * index of KEYS and UNIQ_KEY, IndexService).
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"

/* MessageStoreConfig.maxMsgsNumBatch / defaultQueryMaxNum */
#define MAX_MSGS_NUM_BATCH    64
#define DEFAULT_QUERY_MAX_NUM 32

typedef struct queue_hdr_s {
        const char *topic;
        int32_t queue_id;
} queue_hdr_t;

/* topic + queueId headers; NULL queue when none exists yet (the store
 * would create an empty one: offsets 0). */
static rmq_mock_queue_t *queue_of(rmq_mock_ctx_t *ctx, rmq_mock_hdr_t *h) {
        const char *topic;
        int32_t qid;
        rmq_mock_topic_t *t;
        rmq__mock_hdr_init(h, ctx->req);
        topic = rmq__mock_hdr_str(h, "topic", true);
        qid   = rmq__mock_hdr_i32(h, "queueId", true, 0);
        if (h->err)
                return NULL;
        t = rmq__mock_topic_get(ctx->mb, topic);
        return t ? rmq__mock_queue(t, qid) : NULL;
}

static rmq_cmd_t *offset_resp(const char *key, int64_t v) {
        rmq_cmd_t *resp = rmq__mock_response_hdr(RMQ_OK, NULL);
        rmq__cmd_ext_add_i64(resp, key, v);
        return resp;
}

/* mirrors AdminBrokerProcessor#getMaxOffset */
rmq_cmd_t *rmq__mock_h_max_offset(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        rmq_mock_queue_t *q = queue_of(ctx, &h);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        return offset_resp("offset", q ? rmq__mock_queue_max(q) : 0);
}

/* mirrors AdminBrokerProcessor#getMinOffset */
rmq_cmd_t *rmq__mock_h_min_offset(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        rmq_mock_queue_t *q = queue_of(ctx, &h);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        return offset_resp("offset", q ? q->min_offset : 0);
}

/* mirrors AdminBrokerProcessor#getEarliestMsgStoretime: -1 when empty */
rmq_cmd_t *rmq__mock_h_earliest_time(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        rmq_mock_queue_t *q = queue_of(ctx, &h);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        return offset_resp("timestamp",
                           q && q->cnt ? q->msgs[0]->store_ts : -1);
}

/* mirrors ConsumeQueue#getOffsetInQueueByTime: a binary search that ends
 * on an exact match or the nearer neighbour. */
int64_t rmq__mock_queue_offset_by_time(const rmq_mock_queue_t *q, int64_t ts) {
        int64_t low = 0, high, mid, target = -1, left = -1, right = -1;
        int64_t left_ts = -1, right_ts = -1, off;
        if (!q || !q->cnt)
                return 0;
        high = (int64_t)q->cnt - 1;
        while (high >= low) {
                int64_t st;
                mid = (low + high) / 2;
                st  = q->msgs[mid]->store_ts;
                if (st == ts) {
                        target = mid;
                        break;
                } else if (st > ts) {
                        high     = mid - 1;
                        right    = mid;
                        right_ts = st;
                } else {
                        low     = mid + 1;
                        left    = mid;
                        left_ts = st;
                }
        }
        if (target != -1)
                off = target;
        else if (left_ts == -1)
                off = right;
        else if (right_ts == -1)
                off = left;
        else
                off = (ts - left_ts < 0 ? left_ts - ts : ts - left_ts) >
                              (ts - right_ts < 0 ? right_ts - ts
                                                 : ts - right_ts)
                          ? right
                          : left;
        return q->min_offset + off;
}

/* mirrors AdminBrokerProcessor#searchOffsetByTimestamp */
rmq_cmd_t *rmq__mock_h_search_offset(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        rmq_mock_queue_t *q = queue_of(ctx, &h);
        int64_t ts          = rmq__mock_hdr_i64(&h, "timestamp", true, 0);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        return offset_resp("offset", rmq__mock_queue_offset_by_time(q, ts));
}

/* mirrors QueryMessageProcessor#viewMessageById */
rmq_cmd_t *rmq__mock_h_view_message(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        rmq_mock_stored_t *sm;
        rmq_cmd_t *resp;
        int64_t off;
        rmq__mock_hdr_init(&h, ctx->req);
        off = rmq__mock_hdr_i64(&h, "offset", true, 0);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        sm = rmq__mock_lookup(ctx->mb, off);
        if (!sm) {
                char remark[96];
                snprintf(remark, sizeof(remark),
                         "can not find message by the offset, %lld",
                         (long long)off);
                return rmq__mock_response(RMQ_ERR_SYSTEM_ERROR, remark);
        }
        resp = rmq__mock_response(RMQ_OK, NULL);
        rmq__cmd_set_body_copy(resp, sm->data, sm->len);
        return resp;
}

/* Is \p key one of the message's index keys (UNIQ_KEY, or a blank-
 * separated KEYS entry)? IndexService#buildIndex skips rolled back
 * messages. */
static bool has_index_key(const rmq_mock_stored_t *sm, const char *key) {
        rmq_msg_view_t mv;
        const char *v;
        size_t vl, kl = strlen(key);
        rmq__mock_stored_view(sm, &mv);
        if (rmq__sysflag_transaction(mv.sysFlag) ==
            RMQ_SYSFLAG_TRANSACTION_ROLLBACK)
                return false;
        if (!rmq__props_get(mv.properties, mv.propertiesLen, RMQ_PROP_UNIQ_KEY,
                            &v, &vl) &&
            vl == kl && !memcmp(v, key, kl))
                return true;
        if (!rmq__props_get(mv.properties, mv.propertiesLen, RMQ_PROP_KEYS, &v,
                            &vl)) {
                const char *p = v, *end = v + vl;
                while (p < end) {
                        const char *sp = memchr(p, ' ', (size_t)(end - p));
                        size_t n       = sp ? (size_t)(sp - p) : (size_t)(end - p);
                        if (n == kl && !memcmp(p, key, kl))
                                return true;
                        p += n + 1;
                }
        }
        return false;
}

static int cmp_desc(const void *a, const void *b) {
        const rmq_mock_stored_t *x = *(rmq_mock_stored_t *const *)a;
        const rmq_mock_stored_t *y = *(rmq_mock_stored_t *const *)b;
        return x->node.key < y->node.key ? 1 : x->node.key > y->node.key ? -1 : 0;
}

static int cmp_asc(const void *a, const void *b) {
        return -cmp_desc(a, b);
}

/* Adds the messages of \p t stored within [begin, end] that the index
 * gives for \p key (every one of them when \p all: a hash collision). */
static void query_topic(const rmq_mock_topic_t *t, const char *key,
                        int64_t begin, int64_t end, bool all,
                        rmq_mock_stored_t ***foundp, size_t *nfp,
                        size_t *capp) {
        size_t q, i;
        for (q = 0; q < t->queue_cnt; q++) {
                for (i = 0; i < t->queues[q].cnt; i++) {
                        rmq_mock_stored_t *sm = t->queues[q].msgs[i];
                        if (sm->store_ts < begin || sm->store_ts > end ||
                            (!all && !has_index_key(sm, key)))
                                continue;
                        if (*nfp == *capp) {
                                *capp   = *capp ? *capp * 2 : 16;
                                *foundp = rmq__realloc(
                                    *foundp, *capp * sizeof(**foundp));
                        }
                        (*foundp)[(*nfp)++] = sm;
                }
        }
}

/* mirrors QueryMessageProcessor#queryMessage and
 * DefaultMessageStore#queryMessage: the newest maxNum (at most 64)
 * messages of the topic with the key stored within [begin, end], in
 * commit log order.
 *
 * indexLastUpdateTimestamp/Phyoffset: IndexService#queryOffset reads the
 * last index file's end values (the store time and commit log offset of
 * the last message indexed by a key), but DefaultMessageStore#queryMessage
 * copies them into its QueryMessageResult only after the index gave some
 * offsets ("if (queryOffsetResult.getPhyOffsets().isEmpty()) break;"
 * comes first). With none found, QueryMessageProcessor#queryMessage
 * answers QUERY_NOT_FOUND with both left 0; a found answer carries them.
 * (The real index matches hash("topic#key") and can return offsets of
 * messages since deleted; the mock matches the key exactly over the
 * messages it keeps.) */
rmq_cmd_t *rmq__mock_h_query_message(rmq_mock_ctx_t *ctx) {
        rmq_mock_hdr_t h;
        const char *topic, *key, *uniq;
        int32_t max_num;
        int64_t begin, end;
        rmq_mock_topic_t *t;
        rmq_mock_stored_t **found = NULL;
        size_t nf = 0, cap = 0, i;
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_cmd_t *resp;
        rmq__mock_hdr_init(&h, ctx->req);
        topic   = rmq__mock_hdr_str(&h, "topic", true);
        key     = rmq__mock_hdr_str(&h, "key", true);
        max_num = rmq__mock_hdr_i32(&h, "maxNum", true, 0);
        begin   = rmq__mock_hdr_i64(&h, "beginTimestamp", true, 0);
        end     = rmq__mock_hdr_i64(&h, "endTimestamp", true, 0);
        if (h.err)
                return rmq__mock_hdr_error(&h);
        uniq = rmq__cmd_ext(ctx->req, "_UNIQUE_KEY_QUERY");
        if (uniq && !strcmp(uniq, "true"))
                max_num = DEFAULT_QUERY_MAX_NUM;
        max_num = RMQ_MIN(max_num, MAX_MSGS_NUM_BATCH);
        if (ctx->mc->opts.queryIndexCollisions) {
                /* every message of the range collides, whatever its topic
                 * and keys (the client filters them out) */
                rmq_strmap_entry_t *it = NULL, *e;
                size_t b;
                while ((e = rmq__strmap_next(&ctx->mb->topics, &it, &b)))
                        query_topic(e->value, key, begin, end, true, &found,
                                    &nf, &cap);
        } else if ((t = rmq__mock_topic_get(ctx->mb, topic))) {
                query_topic(t, key, begin, end, false, &found, &nf, &cap);
        }
        if (nf)
                qsort(found, nf, sizeof(*found), cmp_desc);
        if (max_num >= 0 && nf > (size_t)max_num)
                nf = (size_t)max_num;
        if (!nf) {
                rmq__free(found);
                resp = rmq__mock_response_hdr(
                    RMQ_ERR_QUERY_NOT_FOUND,
                    "can not find message, maybe time range not correct");
                rmq__cmd_ext_add_i64(resp, "indexLastUpdateTimestamp", 0);
                rmq__cmd_ext_add_i64(resp, "indexLastUpdatePhyoffset", 0);
                return resp;
        }
        resp = rmq__mock_response_hdr(RMQ_OK, NULL);
        rmq__cmd_ext_add_i64(resp, "indexLastUpdateTimestamp",
                             ctx->mb->index_last_ts);
        rmq__cmd_ext_add_i64(resp, "indexLastUpdatePhyoffset",
                             ctx->mb->index_last_phy);
        qsort(found, nf, sizeof(*found), cmp_asc);
        for (i = 0; i < nf; i++)
                rmq__buf_put(&body, found[i]->data, found[i]->len);
        rmq__free(found);
        rmq__mock_set_body(resp, &body);
        return resp;
}
