/* SPDX-License-Identifier: Apache-2.0 */
#include "common/rmq_str.h"
#include "protocol/rmq_heartbeat.h"
#include "protocol/rmq_java_util.h"
#include "protocol/rmq_jsonr.h"
#include "protocol/rmq_jsonw.h"
#include "remoting/rmq_json.h"

/* ---- enum names ---- */

static const char *const consume_type_names[] = {
        "CONSUME_ACTIVELY",
        "CONSUME_PASSIVELY",
};

static const char *const message_model_names[] = {
        "BROADCASTING",
        "CLUSTERING",
};

static const char *const consume_from_names[] = {
        "CONSUME_FROM_LAST_OFFSET",
        "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        "CONSUME_FROM_MIN_OFFSET",
        "CONSUME_FROM_MAX_OFFSET",
        "CONSUME_FROM_FIRST_OFFSET",
        "CONSUME_FROM_TIMESTAMP",
};

static const char *enum_name(const char *const *names, size_t n, int v) {
        return v >= 0 && (size_t)v < n ? names[v] : NULL;
}

static int enum_parse(const char *const *names, size_t n, const char *s) {
        size_t i;
        for (i = 0; s && i < n; i++)
                if (!strcmp(names[i], s))
                        return (int)i;
        return -1;
}

const char *rmq__consume_type_name(int v) {
        return enum_name(consume_type_names,
                         RMQ_ARRAY_SIZE(consume_type_names), v);
}
int rmq__consume_type_parse(const char *name) {
        return enum_parse(consume_type_names,
                          RMQ_ARRAY_SIZE(consume_type_names), name);
}
const char *rmq__message_model_name(int v) {
        return enum_name(message_model_names,
                         RMQ_ARRAY_SIZE(message_model_names), v);
}
int rmq__message_model_parse(const char *name) {
        return enum_parse(message_model_names,
                          RMQ_ARRAY_SIZE(message_model_names), name);
}
const char *rmq__consume_from_where_name(int v) {
        return enum_name(consume_from_names,
                         RMQ_ARRAY_SIZE(consume_from_names), v);
}
int rmq__consume_from_where_parse(const char *name) {
        return enum_parse(consume_from_names,
                          RMQ_ARRAY_SIZE(consume_from_names), name);
}

/* ---- subscriptions ---- */

static bool str_eq(const char *a, const char *b) {
        return a == b || (a && b && !strcmp(a, b));
}

static int32_t java_str_hash(const char *s) {
        return s ? rmq__java_hash(s, strlen(s)) : 0;
}

static bool has_tag(char *const *tags, size_t n, const char *t, size_t len) {
        size_t i;
        for (i = 0; i < n; i++)
                if (rmq__streqn(t, len, tags[i]))
                        return true;
        return false;
}

static bool has_code(const int32_t *codes, size_t n, int32_t c) {
        size_t i;
        for (i = 0; i < n; i++)
                if (codes[i] == c)
                        return true;
        return false;
}

/* Permutes \p n pointer-sized or int32 items into Java HashSet order. */
static void order_tags(rmq_subscription_data_t *sd) {
        size_t n = sd->tagsSet_cnt, i;
        int32_t *h;
        size_t *order;
        char **tags;
        int32_t *codes;
        if (n < 2)
                return;
        h     = rmq__calloc(n, sizeof(*h));
        order = rmq__calloc(n, sizeof(*order));
        tags  = rmq__calloc(n, sizeof(*tags));
        for (i = 0; i < n; i++)
                h[i] = java_str_hash(sd->tagsSet[i]);
        rmq__java_hashset_order(h, n, order);
        for (i = 0; i < n; i++)
                tags[i] = sd->tagsSet[order[i]];
        memcpy(sd->tagsSet, tags, n * sizeof(*tags));
        /* Integer.hashCode is the value itself */
        n     = sd->codeSet_cnt;
        codes = rmq__calloc(n, sizeof(*codes));
        rmq__java_hashset_order(sd->codeSet, n, order);
        for (i = 0; i < n; i++)
                codes[i] = sd->codeSet[order[i]];
        memcpy(sd->codeSet, codes, n * sizeof(*codes));
        rmq__free(codes);
        rmq__free(tags);
        rmq__free(order);
        rmq__free(h);
}

/* The tag part of FilterAPI.buildSubscriptionData. Returns -1 if the
 * expression splits into nothing. */
static int build_tags(rmq_subscription_data_t *sd, const char *sub) {
        const char *p = sub;
        size_t max = strlen(sub) / 2 + 1, nonempty_parts = 0;
        sd->tagsSet = rmq__calloc(max + 1, sizeof(char *));
        sd->codeSet = rmq__calloc(max + 1, sizeof(int32_t));
        for (;;) {
                const char *e = strstr(p, "||");
                size_t len    = e ? (size_t)(e - p) : strlen(p);
                const char *t = p;
                if (len > 0)
                        nonempty_parts++;
                t = rmq__java_trim(t, &len);
                if (len > 0 &&
                    !has_tag(sd->tagsSet, sd->tagsSet_cnt, t, len)) {
                        int32_t code = rmq__java_hash(t, len);
                        sd->tagsSet[sd->tagsSet_cnt++] = rmq__strndup(t, len);
                        if (!has_code(sd->codeSet, sd->codeSet_cnt, code))
                                sd->codeSet[sd->codeSet_cnt++] = code;
                }
                if (!e)
                        break;
                p = e + 2;
        }
        /* String.split drops trailing empty strings: all parts empty
         * leaves no parts, which Java reports as a split error. */
        if (nonempty_parts == 0)
                return -1;
        order_tags(sd);
        return 0;
}

/* mirrors FilterAPI.build / FilterAPI.buildSubscriptionData */
rmq_err_t rmq__subscription_build(rmq_subscription_data_t *sd,
                                  const char *topic, const char *subString,
                                  const char *expressionType,
                                  int64_t subVersion) {
        bool tag = !expressionType ||
                   !strcmp(expressionType, RMQ_EXPRESSION_TYPE_TAG);
        memset(sd, 0, sizeof(*sd));
        if (!topic || (!tag && (!subString || !*subString)))
                return RMQ_ERR__INVALID_ARG;
        sd->topic          = rmq__strdup(topic);
        sd->subVersion     = subVersion;
        sd->expressionType = rmq__strdup(tag ? RMQ_EXPRESSION_TYPE_TAG
                                             : expressionType);
        if (tag && (!subString || !*subString ||
                    !strcmp(subString, RMQ_SUB_ALL))) {
                sd->subString = rmq__strdup(RMQ_SUB_ALL);
                return RMQ_OK;
        }
        sd->subString = rmq__strdup(subString);
        if (tag && build_tags(sd, subString)) {
                rmq__subscription_clear(sd);
                return RMQ_ERR__INVALID_ARG;
        }
        return RMQ_OK;
}

void rmq__subscription_clear(rmq_subscription_data_t *sd) {
        size_t i;
        for (i = 0; i < sd->tagsSet_cnt; i++)
                rmq__free(sd->tagsSet[i]);
        rmq__free(sd->tagsSet);
        rmq__free(sd->codeSet);
        rmq__free(sd->topic);
        rmq__free(sd->subString);
        rmq__free(sd->expressionType);
        memset(sd, 0, sizeof(*sd));
}

void rmq__subscription_copy(rmq_subscription_data_t *dst,
                            const rmq_subscription_data_t *src) {
        size_t i;
        *dst                = *src;
        dst->topic          = rmq__strdup(src->topic);
        dst->subString      = rmq__strdup(src->subString);
        dst->expressionType = rmq__strdup(src->expressionType);
        dst->tagsSet = rmq__calloc(src->tagsSet_cnt + 1, sizeof(char *));
        for (i = 0; i < src->tagsSet_cnt; i++)
                dst->tagsSet[i] = rmq__strdup(src->tagsSet[i]);
        dst->codeSet = rmq__calloc(src->codeSet_cnt + 1, sizeof(int32_t));
        if (src->codeSet_cnt)
                memcpy(dst->codeSet, src->codeSet,
                       src->codeSet_cnt * sizeof(int32_t));
}

/* Set equality: same size and every element of a in b (elements of one
 * set are distinct). */
static bool tags_eq(const rmq_subscription_data_t *a,
                    const rmq_subscription_data_t *b) {
        size_t i;
        if (a->tagsSet_cnt != b->tagsSet_cnt)
                return false;
        for (i = 0; i < a->tagsSet_cnt; i++)
                if (!has_tag(b->tagsSet, b->tagsSet_cnt, a->tagsSet[i],
                             strlen(a->tagsSet[i])))
                        return false;
        return true;
}

static bool codes_eq(const rmq_subscription_data_t *a,
                     const rmq_subscription_data_t *b) {
        size_t i;
        if (a->codeSet_cnt != b->codeSet_cnt)
                return false;
        for (i = 0; i < a->codeSet_cnt; i++)
                if (!has_code(b->codeSet, b->codeSet_cnt, a->codeSet[i]))
                        return false;
        return true;
}

/* mirrors SubscriptionData.equals */
bool rmq__subscription_equal(const rmq_subscription_data_t *a,
                             const rmq_subscription_data_t *b) {
        return a->classFilterMode == b->classFilterMode && codes_eq(a, b) &&
               str_eq(a->subString, b->subString) &&
               a->subVersion == b->subVersion && tags_eq(a, b) &&
               str_eq(a->topic, b->topic) &&
               str_eq(a->expressionType, b->expressionType);
}

/* mirrors SubscriptionData.hashCode (AbstractSet.hashCode: the sum) */
int32_t rmq__subscription_hash(const rmq_subscription_data_t *sd) {
        uint32_t r = 1, sum;
        size_t i;
        r = 31 * r + (sd->classFilterMode ? 1231 : 1237);
        for (sum = 0, i = 0; i < sd->codeSet_cnt; i++)
                sum += (uint32_t)sd->codeSet[i];
        r = 31 * r + sum;
        r = 31 * r + (uint32_t)java_str_hash(sd->subString);
        for (sum = 0, i = 0; i < sd->tagsSet_cnt; i++)
                sum += (uint32_t)java_str_hash(sd->tagsSet[i]);
        r = 31 * r + sum;
        r = 31 * r + (uint32_t)java_str_hash(sd->topic);
        r = 31 * r + (uint32_t)java_str_hash(sd->expressionType);
        return (int32_t)r;
}

/* Stable-permutes \p subs by the hashes \p h into Java HashSet order. */
static void permute_by_hash(rmq_subscription_data_t *subs, size_t n,
                            const int32_t *h) {
        size_t *order = rmq__calloc(n, sizeof(*order)), i;
        rmq_subscription_data_t *tmp = rmq__calloc(n, sizeof(*tmp));
        rmq__java_hashset_order(h, n, order);
        for (i = 0; i < n; i++)
                tmp[i] = subs[order[i]];
        memcpy(subs, tmp, n * sizeof(*tmp));
        rmq__free(tmp);
        rmq__free(order);
}

/* Java: the consumer keeps subscriptions in a ConcurrentHashMap by topic
 * (RebalanceImpl.subscriptionInner); the heartbeat copies its values into
 * HashSet<SubscriptionData>s. Entries that share a set bucket keep the
 * map's order, so both orders are applied, the map's first. */
void rmq__subscription_java_order(rmq_subscription_data_t *subs, size_t n) {
        int32_t *h;
        size_t i;
        if (n < 2)
                return;
        h = rmq__calloc(n, sizeof(*h));
        for (i = 0; i < n; i++)
                h[i] = java_str_hash(subs[i].topic);
        permute_by_hash(subs, n, h);
        for (i = 0; i < n; i++)
                h[i] = rmq__subscription_hash(&subs[i]);
        permute_by_hash(subs, n, h);
        rmq__free(h);
}

bool rmq__subscription_match_tag(const rmq_subscription_data_t *sd,
                                 const char *tag, size_t tag_len) {
        if (sd->tagsSet_cnt == 0 || sd->classFilterMode)
                return true;
        return tag && has_tag(sd->tagsSet, sd->tagsSet_cnt, tag, tag_len);
}

/* ---- heartbeat building ---- */

rmq_heartbeat_data_t *rmq__heartbeat_new(const char *clientID) {
        rmq_heartbeat_data_t *hb = rmq__calloc(1, sizeof(*hb));
        hb->clientID             = rmq__strdup(clientID);
        return hb;
}

void rmq__heartbeat_add_producer(rmq_heartbeat_data_t *hb,
                                 const char *groupName) {
        hb->producerDataSet =
            rmq__realloc(hb->producerDataSet, (hb->producerDataSet_cnt + 1) *
                                                  sizeof(rmq_producer_data_t));
        hb->producerDataSet[hb->producerDataSet_cnt++].groupName =
            rmq__strdup(groupName);
}

rmq_consumer_data_t *rmq__heartbeat_add_consumer(rmq_heartbeat_data_t *hb,
                                                 const char *groupName,
                                                 int consumeType,
                                                 int messageModel,
                                                 int consumeFromWhere,
                                                 bool unitMode) {
        rmq_consumer_data_t *cd;
        hb->consumerDataSet =
            rmq__realloc(hb->consumerDataSet, (hb->consumerDataSet_cnt + 1) *
                                                  sizeof(rmq_consumer_data_t));
        cd = &hb->consumerDataSet[hb->consumerDataSet_cnt++];
        memset(cd, 0, sizeof(*cd));
        cd->groupName        = rmq__strdup(groupName);
        cd->consumeType      = consumeType;
        cd->messageModel     = messageModel;
        cd->consumeFromWhere = consumeFromWhere;
        cd->unitMode         = unitMode;
        return cd;
}

void rmq__consumer_data_add_subscription(rmq_consumer_data_t *cd,
                                         const rmq_subscription_data_t *sd) {
        cd->subscriptionDataSet = rmq__realloc(
            cd->subscriptionDataSet,
            (cd->subscriptionDataSet_cnt + 1) * sizeof(*sd));
        rmq__subscription_copy(
            &cd->subscriptionDataSet[cd->subscriptionDataSet_cnt++], sd);
}

static void consumer_data_clear(rmq_consumer_data_t *cd) {
        size_t i;
        for (i = 0; i < cd->subscriptionDataSet_cnt; i++)
                rmq__subscription_clear(&cd->subscriptionDataSet[i]);
        rmq__free(cd->subscriptionDataSet);
        rmq__free(cd->groupName);
}

void rmq__heartbeat_destroy(rmq_heartbeat_data_t *hb) {
        size_t i;
        if (!hb)
                return;
        for (i = 0; i < hb->producerDataSet_cnt; i++)
                rmq__free(hb->producerDataSet[i].groupName);
        for (i = 0; i < hb->consumerDataSet_cnt; i++)
                consumer_data_clear(&hb->consumerDataSet[i]);
        rmq__free(hb->producerDataSet);
        rmq__free(hb->consumerDataSet);
        rmq__free(hb->clientID);
        rmq__free(hb);
}

/* ---- encode ---- */

void rmq__subscription_write(rmq_jsonw_t *jw, const char *key,
                             const rmq_subscription_data_t *sd) {
        size_t i;
        rmq__jsonw_obj_open(jw, key);
        rmq__jsonw_bool(jw, "classFilterMode", sd->classFilterMode);
        rmq__jsonw_arr_open(jw, "codeSet");
        for (i = 0; i < sd->codeSet_cnt; i++)
                rmq__jsonw_i64(jw, NULL, sd->codeSet[i]);
        rmq__jsonw_arr_close(jw);
        rmq__jsonw_str(jw, "expressionType", sd->expressionType);
        rmq__jsonw_str(jw, "subString", sd->subString);
        rmq__jsonw_i64(jw, "subVersion", sd->subVersion);
        rmq__jsonw_arr_open(jw, "tagsSet");
        for (i = 0; i < sd->tagsSet_cnt; i++)
                rmq__jsonw_str(jw, NULL, sd->tagsSet[i]);
        rmq__jsonw_arr_close(jw);
        rmq__jsonw_str(jw, "topic", sd->topic);
        rmq__jsonw_obj_close(jw);
}

static void encode_consumer(rmq_jsonw_t *jw, const rmq_consumer_data_t *cd) {
        size_t i;
        rmq__jsonw_obj_open(jw, NULL);
        rmq__jsonw_str(jw, "consumeFromWhere",
                       rmq__consume_from_where_name(cd->consumeFromWhere));
        rmq__jsonw_str(jw, "consumeType",
                       rmq__consume_type_name(cd->consumeType));
        rmq__jsonw_str(jw, "groupName", cd->groupName);
        rmq__jsonw_str(jw, "messageModel",
                       rmq__message_model_name(cd->messageModel));
        rmq__jsonw_arr_open(jw, "subscriptionDataSet");
        for (i = 0; i < cd->subscriptionDataSet_cnt; i++)
                rmq__subscription_write(jw, NULL, &cd->subscriptionDataSet[i]);
        rmq__jsonw_arr_close(jw);
        rmq__jsonw_bool(jw, "unitMode", cd->unitMode);
        rmq__jsonw_obj_close(jw);
}

/* mirrors HeartbeatData.encode (fastjson, sorted members) */
void rmq__heartbeat_encode(const rmq_heartbeat_data_t *hb, rmq_buf_t *out) {
        rmq_jsonw_t jw;
        size_t i;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_str(&jw, "clientID", hb->clientID);
        rmq__jsonw_arr_open(&jw, "consumerDataSet");
        for (i = 0; i < hb->consumerDataSet_cnt; i++)
                encode_consumer(&jw, &hb->consumerDataSet[i]);
        rmq__jsonw_arr_close(&jw);
        rmq__jsonw_arr_open(&jw, "producerDataSet");
        for (i = 0; i < hb->producerDataSet_cnt; i++) {
                rmq__jsonw_obj_open(&jw, NULL);
                rmq__jsonw_str(&jw, "groupName",
                               hb->producerDataSet[i].groupName);
                rmq__jsonw_obj_close(&jw);
        }
        rmq__jsonw_arr_close(&jw);
        rmq__jsonw_obj_close(&jw);
}

/* ---- decode ---- */

/* An enum member by name; -1 if absent, an error if unknown. */
static int decode_enum(rmq_jsonr_t *jr, const cJSON *j, const char *key,
                       int (*parse)(const char *)) {
        char *s = rmq__jsonr_strdup(jr, j, key, false);
        int v   = -1;
        if (s && (v = parse(s)) < 0)
                rmq__jsonr_fail(jr, "unknown enum name", s);
        rmq__free(s);
        return v;
}

void rmq__subscription_read(rmq_jsonr_t *jr, const cJSON *j,
                            rmq_subscription_data_t *sd, const char *what) {
        const cJSON *tags, *codes, *e;
        if (!cJSON_IsObject(j)) {
                rmq__jsonr_fail(jr, "not an object", what);
                return;
        }
        sd->classFilterMode = rmq__jsonr_bool(jr, j, "classFilterMode", false);
        sd->topic           = rmq__jsonr_strdup(jr, j, "topic", false);
        sd->subString       = rmq__jsonr_strdup(jr, j, "subString", false);
        sd->subVersion      = rmq__jsonr_i64(jr, j, "subVersion", 0);
        sd->expressionType =
            rmq__jsonr_strdup(jr, j, "expressionType", false);
        tags        = rmq__jsonr_array(jr, j, "tagsSet");
        codes       = rmq__jsonr_array(jr, j, "codeSet");
        sd->tagsSet = rmq__calloc(rmq__jsonr_count(tags) + 1, sizeof(char *));
        sd->codeSet =
            rmq__calloc(rmq__jsonr_count(codes) + 1, sizeof(int32_t));
        cJSON_ArrayForEach(e, tags) {
                char *t = rmq__jsonr_item_strdup(jr, e, "tagsSet[]");
                if (!t)
                        return;
                sd->tagsSet[sd->tagsSet_cnt++] = t;
        }
        cJSON_ArrayForEach(e, codes) {
                int64_t c;
                if (rmq__json_item_i64(e, &c) || c < INT32_MIN ||
                    c > INT32_MAX) {
                        rmq__jsonr_fail(jr, "not an int", "codeSet[]");
                        return;
                }
                sd->codeSet[sd->codeSet_cnt++] = (int32_t)c;
        }
}

static void decode_consumer(rmq_jsonr_t *jr, const cJSON *j,
                            rmq_consumer_data_t *cd) {
        const cJSON *subs, *e;
        if (!cJSON_IsObject(j)) {
                rmq__jsonr_fail(jr, "not an object", "consumerDataSet[]");
                return;
        }
        cd->groupName   = rmq__jsonr_strdup(jr, j, "groupName", true);
        cd->consumeType = decode_enum(jr, j, "consumeType",
                                      rmq__consume_type_parse);
        cd->messageModel = decode_enum(jr, j, "messageModel",
                                       rmq__message_model_parse);
        cd->consumeFromWhere = decode_enum(jr, j, "consumeFromWhere",
                                           rmq__consume_from_where_parse);
        cd->unitMode = rmq__jsonr_bool(jr, j, "unitMode", false);
        subs         = rmq__jsonr_array(jr, j, "subscriptionDataSet");
        cd->subscriptionDataSet = rmq__calloc(rmq__jsonr_count(subs) + 1,
                                              sizeof(rmq_subscription_data_t));
        cJSON_ArrayForEach(e, subs) {
                if (jr->err)
                        return;
                rmq__subscription_read(
                    jr, e,
                    &cd->subscriptionDataSet[cd->subscriptionDataSet_cnt++],
                    "subscriptionDataSet[]");
        }
}

/* mirrors HeartbeatData.decode (fastjson) */
rmq_err_t rmq__heartbeat_decode(const void *body, size_t len,
                                rmq_heartbeat_data_t **hbp, char *errstr,
                                size_t errstr_size) {
        rmq_jsonr_t jr;
        rmq_heartbeat_data_t *hb;
        const cJSON *prods, *cons, *e;
        cJSON *root;
        *hbp = NULL;
        rmq__jsonr_init(&jr, errstr, errstr_size);
        root = rmq__jsonr_parse(&jr, body, len);
        if (!root)
                return jr.err;
        hb           = rmq__calloc(1, sizeof(*hb));
        hb->clientID = rmq__jsonr_strdup(&jr, root, "clientID", false);
        prods        = rmq__jsonr_array(&jr, root, "producerDataSet");
        cons         = rmq__jsonr_array(&jr, root, "consumerDataSet");
        hb->producerDataSet = rmq__calloc(rmq__jsonr_count(prods) + 1,
                                          sizeof(rmq_producer_data_t));
        hb->consumerDataSet = rmq__calloc(rmq__jsonr_count(cons) + 1,
                                          sizeof(rmq_consumer_data_t));
        cJSON_ArrayForEach(e, prods) {
                if (jr.err)
                        break;
                if (!cJSON_IsObject(e)) {
                        rmq__jsonr_fail(&jr, "not an object",
                                        "producerDataSet[]");
                        break;
                }
                hb->producerDataSet[hb->producerDataSet_cnt++].groupName =
                    rmq__jsonr_strdup(&jr, e, "groupName", true);
        }
        cJSON_ArrayForEach(e, cons) {
                if (jr.err)
                        break;
                decode_consumer(&jr, e,
                                &hb->consumerDataSet[hb->consumerDataSet_cnt++]);
        }
        cJSON_Delete(root);
        if (jr.err) {
                rmq__heartbeat_destroy(hb);
                return jr.err;
        }
        *hbp = hb;
        return RMQ_OK;
}
