/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "protocol/rmq_jsonr.h"
#include "protocol/rmq_jsonw.h"
#include "protocol/rmq_route.h"

/* mirrors PermName.perm2String */
void rmq__perm_to_string(int32_t perm, char dst[4]) {
        dst[0] = rmq__perm_is_readable(perm) ? 'R' : '-';
        dst[1] = rmq__perm_is_writeable(perm) ? 'W' : '-';
        dst[2] = rmq__perm_is_inherited(perm) ? 'X' : '-';
        dst[3] = '\0';
}

/* ---- destroy ---- */

static void queue_data_clear(rmq_queue_data_t *qd) {
        rmq__free(qd->brokerName);
}

static void broker_data_clear(rmq_broker_data_t *bd) {
        size_t i;
        for (i = 0; i < bd->brokerAddrs_cnt; i++)
                rmq__free(bd->brokerAddrs[i].addr);
        rmq__free(bd->brokerAddrs);
        rmq__free(bd->cluster);
        rmq__free(bd->brokerName);
}

static void filter_server_clear(rmq_filter_server_t *fs) {
        size_t i;
        for (i = 0; i < fs->servers_cnt; i++)
                rmq__free(fs->servers[i]);
        rmq__free(fs->servers);
        rmq__free(fs->brokerAddr);
}

void rmq__topic_route_destroy(rmq_topic_route_data_t *route) {
        size_t i;
        if (!route)
                return;
        for (i = 0; i < route->queueDatas_cnt; i++)
                queue_data_clear(&route->queueDatas[i]);
        for (i = 0; i < route->brokerDatas_cnt; i++)
                broker_data_clear(&route->brokerDatas[i]);
        for (i = 0; i < route->filterServerTable_cnt; i++)
                filter_server_clear(&route->filterServerTable[i]);
        rmq__free(route->queueDatas);
        rmq__free(route->brokerDatas);
        rmq__free(route->filterServerTable);
        rmq__free(route->orderTopicConf);
        rmq__free(route);
}

/* ---- decode ---- */

static void decode_queue_data(rmq_jsonr_t *jr, const cJSON *j,
                              rmq_queue_data_t *qd) {
        if (!cJSON_IsObject(j)) {
                rmq__jsonr_fail(jr, "not an object", "queueDatas[]");
                return;
        }
        qd->brokerName     = rmq__jsonr_strdup(jr, j, "brokerName", true);
        qd->readQueueNums  = rmq__jsonr_i32(jr, j, "readQueueNums", 0);
        qd->writeQueueNums = rmq__jsonr_i32(jr, j, "writeQueueNums", 0);
        qd->perm           = rmq__jsonr_i32(jr, j, "perm", 0);
        qd->topicSysFlag   = rmq__jsonr_i32(
              jr, j, "topicSysFlag", rmq__jsonr_i32(jr, j, "topicSynFlag", 0));
}

static void decode_broker_data(rmq_jsonr_t *jr, const cJSON *j,
                               rmq_broker_data_t *bd) {
        const cJSON *addrs, *a;
        size_t i = 0;
        if (!cJSON_IsObject(j)) {
                rmq__jsonr_fail(jr, "not an object", "brokerDatas[]");
                return;
        }
        bd->cluster    = rmq__jsonr_strdup(jr, j, "cluster", false);
        bd->brokerName = rmq__jsonr_strdup(jr, j, "brokerName", true);
        addrs          = rmq__jsonr_object(jr, j, "brokerAddrs");
        bd->brokerAddrs =
            rmq__calloc(rmq__jsonr_count(addrs) + 1, sizeof(*bd->brokerAddrs));
        cJSON_ArrayForEach(a, addrs) {
                rmq_broker_addr_t *ba = &bd->brokerAddrs[i];
                /* Long keys: quoted by 4.9.8, bare by older fastjson */
                if (rmq__parse_i64(a->string, &ba->brokerId)) {
                        rmq__jsonr_fail(jr, "broker id not a number",
                                        a->string);
                        return;
                }
                ba->addr = rmq__jsonr_item_strdup(jr, a, "brokerAddrs{}");
                if (!ba->addr)
                        return;
                bd->brokerAddrs_cnt = ++i;
        }
}

static void decode_filter_servers(rmq_jsonr_t *jr, const cJSON *j,
                                  rmq_topic_route_data_t *route) {
        const cJSON *e, *s;
        route->filterServerTable =
            rmq__calloc(rmq__jsonr_count(j) + 1, sizeof(rmq_filter_server_t));
        cJSON_ArrayForEach(e, j) {
                rmq_filter_server_t *fs =
                    &route->filterServerTable[route->filterServerTable_cnt++];
                size_t i       = 0;
                fs->brokerAddr = rmq__strdup(e->string);
                if (cJSON_IsNull(e))
                        continue;
                if (!cJSON_IsArray(e)) {
                        rmq__jsonr_fail(jr, "not an array", e->string);
                        return;
                }
                fs->servers =
                    rmq__calloc(rmq__jsonr_count(e) + 1, sizeof(char *));
                cJSON_ArrayForEach(s, e) {
                        fs->servers[i] = rmq__jsonr_item_strdup(
                            jr, s, "filterServerTable[]");
                        if (!fs->servers[i])
                                return;
                        fs->servers_cnt = ++i;
                }
        }
}

/* mirrors TopicRouteData.decode (fastjson) */
rmq_err_t rmq__topic_route_decode(const void *body, size_t len,
                                  rmq_topic_route_data_t **routep, char *errstr,
                                  size_t errstr_size) {
        rmq_jsonr_t jr;
        rmq_topic_route_data_t *route;
        const cJSON *qds, *bds, *fst, *e;
        cJSON *root;
        *routep = NULL;
        rmq__jsonr_init(&jr, errstr, errstr_size);
        root = rmq__jsonr_parse(&jr, body, len);
        if (!root)
                return jr.err;
        route = rmq__calloc(1, sizeof(*route));
        route->orderTopicConf =
            rmq__jsonr_strdup(&jr, root, "orderTopicConf", false);
        qds = rmq__jsonr_array(&jr, root, "queueDatas");
        bds = rmq__jsonr_array(&jr, root, "brokerDatas");
        fst = rmq__jsonr_object(&jr, root, "filterServerTable");
        route->queueDatas =
            rmq__calloc(rmq__jsonr_count(qds) + 1, sizeof(rmq_queue_data_t));
        route->brokerDatas =
            rmq__calloc(rmq__jsonr_count(bds) + 1, sizeof(rmq_broker_data_t));
        cJSON_ArrayForEach(e, qds) {
                if (jr.err)
                        break;
                decode_queue_data(&jr, e,
                                  &route->queueDatas[route->queueDatas_cnt++]);
        }
        cJSON_ArrayForEach(e, bds) {
                if (jr.err)
                        break;
                decode_broker_data(
                    &jr, e, &route->brokerDatas[route->brokerDatas_cnt++]);
        }
        if (!jr.err)
                decode_filter_servers(&jr, fst, route);
        cJSON_Delete(root);
        if (jr.err) {
                rmq__topic_route_destroy(route);
                return jr.err;
        }
        *routep = route;
        return RMQ_OK;
}

/* ---- encode ---- */

void rmq__broker_data_encode(rmq_jsonw_t *jw, const char *key,
                             const rmq_broker_data_t *bd, bool bare_ids) {
        size_t i;
        rmq__jsonw_obj_open(jw, key);
        rmq__jsonw_obj_open(jw, "brokerAddrs");
        for (i = 0; i < bd->brokerAddrs_cnt; i++) {
                char id[24];
                if (bare_ids) {
                        rmq__jsonw_i64_key(jw, bd->brokerAddrs[i].brokerId);
                        rmq__jsonw_str(jw, NULL, bd->brokerAddrs[i].addr);
                        continue;
                }
                snprintf(id, sizeof(id), "%lld",
                         (long long)bd->brokerAddrs[i].brokerId);
                rmq__jsonw_str(jw, id, bd->brokerAddrs[i].addr);
        }
        rmq__jsonw_obj_close(jw);
        rmq__jsonw_str(jw, "brokerName", bd->brokerName);
        rmq__jsonw_str(jw, "cluster", bd->cluster);
        rmq__jsonw_obj_close(jw);
}

static void encode_queue_data(rmq_jsonw_t *jw, const rmq_queue_data_t *qd) {
        rmq__jsonw_obj_open(jw, NULL);
        rmq__jsonw_str(jw, "brokerName", qd->brokerName);
        rmq__jsonw_i64(jw, "perm", qd->perm);
        rmq__jsonw_i64(jw, "readQueueNums", qd->readQueueNums);
        rmq__jsonw_i64(jw, "topicSysFlag", qd->topicSysFlag);
        rmq__jsonw_i64(jw, "writeQueueNums", qd->writeQueueNums);
        rmq__jsonw_obj_close(jw);
}

/* mirrors TopicRouteData.encode (fastjson, sorted members) */
static void route_encode(const rmq_topic_route_data_t *route, bool bare_ids,
                         rmq_buf_t *out) {
        rmq_jsonw_t jw;
        size_t i, j;
        rmq__jsonw_init(&jw, out);
        rmq__jsonw_obj_open(&jw, NULL);
        rmq__jsonw_arr_open(&jw, "brokerDatas");
        for (i = 0; i < route->brokerDatas_cnt; i++)
                rmq__broker_data_encode(&jw, NULL, &route->brokerDatas[i],
                                        bare_ids);
        rmq__jsonw_arr_close(&jw);
        rmq__jsonw_obj_open(&jw, "filterServerTable");
        for (i = 0; i < route->filterServerTable_cnt; i++) {
                const rmq_filter_server_t *fs = &route->filterServerTable[i];
                rmq__jsonw_arr_open(&jw, fs->brokerAddr);
                for (j = 0; j < fs->servers_cnt; j++)
                        rmq__jsonw_str(&jw, NULL, fs->servers[j]);
                rmq__jsonw_arr_close(&jw);
        }
        rmq__jsonw_obj_close(&jw);
        rmq__jsonw_str(&jw, "orderTopicConf", route->orderTopicConf);
        rmq__jsonw_arr_open(&jw, "queueDatas");
        for (i = 0; i < route->queueDatas_cnt; i++)
                encode_queue_data(&jw, &route->queueDatas[i]);
        rmq__jsonw_arr_close(&jw);
        rmq__jsonw_obj_close(&jw);
}

void rmq__topic_route_encode(const rmq_topic_route_data_t *route,
                             rmq_buf_t *out) {
        route_encode(route, false, out);
}

void rmq__topic_route_encode_fastjson(const rmq_topic_route_data_t *route,
                                      rmq_buf_t *out) {
        route_encode(route, true, out);
}

/* ---- copy ---- */

static char **strv_dup(char *const *v, size_t n) {
        char **d = rmq__calloc(n + 1, sizeof(char *));
        size_t i;
        for (i = 0; i < n; i++)
                d[i] = rmq__strdup(v[i]);
        return d;
}

static void broker_data_copy(rmq_broker_data_t *d, const rmq_broker_data_t *s) {
        size_t i;
        d->cluster         = rmq__strdup(s->cluster);
        d->brokerName      = rmq__strdup(s->brokerName);
        d->brokerAddrs_cnt = s->brokerAddrs_cnt;
        d->brokerAddrs =
            rmq__calloc(s->brokerAddrs_cnt + 1, sizeof(*d->brokerAddrs));
        for (i = 0; i < s->brokerAddrs_cnt; i++) {
                d->brokerAddrs[i].brokerId = s->brokerAddrs[i].brokerId;
                d->brokerAddrs[i].addr = rmq__strdup(s->brokerAddrs[i].addr);
        }
}

rmq_topic_route_data_t *
rmq__topic_route_dup(const rmq_topic_route_data_t *route) {
        rmq_topic_route_data_t *d = rmq__calloc(1, sizeof(*d));
        size_t i;
        d->orderTopicConf = rmq__strdup(route->orderTopicConf);
        d->queueDatas_cnt = route->queueDatas_cnt;
        d->queueDatas =
            rmq__calloc(route->queueDatas_cnt + 1, sizeof(rmq_queue_data_t));
        for (i = 0; i < route->queueDatas_cnt; i++) {
                d->queueDatas[i] = route->queueDatas[i];
                d->queueDatas[i].brokerName =
                    rmq__strdup(route->queueDatas[i].brokerName);
        }
        d->brokerDatas_cnt = route->brokerDatas_cnt;
        d->brokerDatas =
            rmq__calloc(route->brokerDatas_cnt + 1, sizeof(rmq_broker_data_t));
        for (i = 0; i < route->brokerDatas_cnt; i++)
                broker_data_copy(&d->brokerDatas[i], &route->brokerDatas[i]);
        d->filterServerTable_cnt = route->filterServerTable_cnt;
        d->filterServerTable     = rmq__calloc(route->filterServerTable_cnt + 1,
                                               sizeof(rmq_filter_server_t));
        for (i = 0; i < route->filterServerTable_cnt; i++) {
                const rmq_filter_server_t *s = &route->filterServerTable[i];
                rmq_filter_server_t *f       = &d->filterServerTable[i];
                f->brokerAddr                = rmq__strdup(s->brokerAddr);
                f->servers_cnt               = s->servers_cnt;
                f->servers = strv_dup(s->servers, s->servers_cnt);
        }
        return d;
}

/* ---- equality ---- */

static bool str_eq(const char *a, const char *b) {
        return a == b || (a && b && !strcmp(a, b));
}

/* QueueData.equals */
static bool queue_data_eq(const rmq_queue_data_t *a,
                          const rmq_queue_data_t *b) {
        return str_eq(a->brokerName, b->brokerName) && a->perm == b->perm &&
               a->readQueueNums == b->readQueueNums &&
               a->writeQueueNums == b->writeQueueNums &&
               a->topicSysFlag == b->topicSysFlag;
}

/* The index of \p id in \p addrs, or -1. */
static int addrs_find(const rmq_broker_addr_t *addrs, size_t n, int64_t id) {
        size_t i;
        for (i = 0; i < n; i++)
                if (addrs[i].brokerId == id)
                        return (int)i;
        return -1;
}

static const rmq_broker_addr_t *addr_find(const rmq_broker_data_t *bd,
                                          int64_t id) {
        int i = addrs_find(bd->brokerAddrs, bd->brokerAddrs_cnt, id);
        return i < 0 ? NULL : &bd->brokerAddrs[i];
}

/* BrokerData.equals (4.9.8: brokerAddrs as a map, and brokerName) */
static bool broker_data_eq(const rmq_broker_data_t *a,
                           const rmq_broker_data_t *b) {
        size_t i;
        if (a->brokerAddrs_cnt != b->brokerAddrs_cnt ||
            !str_eq(a->brokerName, b->brokerName))
                return false;
        for (i = 0; i < a->brokerAddrs_cnt; i++) {
                const rmq_broker_addr_t *o =
                    addr_find(b, a->brokerAddrs[i].brokerId);
                if (!o || !str_eq(o->addr, a->brokerAddrs[i].addr))
                        return false;
        }
        return true;
}

/* HashMap<String, List<String>>.equals */
static bool filter_servers_eq(const rmq_topic_route_data_t *a,
                              const rmq_topic_route_data_t *b) {
        size_t i, j, k;
        if (a->filterServerTable_cnt != b->filterServerTable_cnt)
                return false;
        for (i = 0; i < a->filterServerTable_cnt; i++) {
                const rmq_filter_server_t *x = &a->filterServerTable[i];
                const rmq_filter_server_t *y = NULL;
                for (j = 0; j < b->filterServerTable_cnt && !y; j++)
                        if (str_eq(b->filterServerTable[j].brokerAddr,
                                   x->brokerAddr))
                                y = &b->filterServerTable[j];
                if (!y || x->servers_cnt != y->servers_cnt)
                        return false;
                for (k = 0; k < x->servers_cnt; k++)
                        if (!str_eq(x->servers[k], y->servers[k]))
                                return false;
        }
        return true;
}

/* String.compareTo on brokerName (NULL first), ties by position: a
 * stable sort, as Collections.sort. */
static int name_cmp(const char *a, const char *b) {
        if (!a || !b)
                return a ? 1 : (b ? -1 : 0);
        return strcmp(a, b);
}

static const char *qd_name(const void *items, size_t i) {
        return ((const rmq_queue_data_t *)items)[i].brokerName;
}

static const char *bd_name(const void *items, size_t i) {
        return ((const rmq_broker_data_t *)items)[i].brokerName;
}

/* The order Collections.sort gives \p n items compared by brokerName. */
static size_t *sorted_index(const void *items, size_t n,
                            const char *(*name_of)(const void *, size_t)) {
        size_t *idx = rmq__calloc(n + 1, sizeof(size_t));
        size_t i, j;
        for (i = 0; i < n; i++) {
                for (j = i; j > 0 && name_cmp(name_of(items, idx[j - 1]),
                                              name_of(items, i)) > 0;
                     j--)
                        idx[j] = idx[j - 1];
                idx[j] = i;
        }
        return idx;
}

static bool queue_datas_eq(const rmq_topic_route_data_t *a,
                           const rmq_topic_route_data_t *b) {
        size_t *ia, *ib, i;
        bool eq = true;
        if (a->queueDatas_cnt != b->queueDatas_cnt)
                return false;
        ia = sorted_index(a->queueDatas, a->queueDatas_cnt, qd_name);
        ib = sorted_index(b->queueDatas, b->queueDatas_cnt, qd_name);
        for (i = 0; i < a->queueDatas_cnt && eq; i++)
                eq =
                    queue_data_eq(&a->queueDatas[ia[i]], &b->queueDatas[ib[i]]);
        rmq__free(ia);
        rmq__free(ib);
        return eq;
}

static bool broker_datas_eq(const rmq_topic_route_data_t *a,
                            const rmq_topic_route_data_t *b) {
        size_t *ia, *ib, i;
        bool eq = true;
        if (a->brokerDatas_cnt != b->brokerDatas_cnt)
                return false;
        ia = sorted_index(a->brokerDatas, a->brokerDatas_cnt, bd_name);
        ib = sorted_index(b->brokerDatas, b->brokerDatas_cnt, bd_name);
        for (i = 0; i < a->brokerDatas_cnt && eq; i++)
                eq = broker_data_eq(&a->brokerDatas[ia[i]],
                                    &b->brokerDatas[ib[i]]);
        rmq__free(ia);
        rmq__free(ib);
        return eq;
}

/* mirrors TopicRouteData.equals on sorted clones */
bool rmq__topic_route_equal(const rmq_topic_route_data_t *a,
                            const rmq_topic_route_data_t *b) {
        return str_eq(a->orderTopicConf, b->orderTopicConf) &&
               queue_datas_eq(a, b) && broker_datas_eq(a, b) &&
               filter_servers_eq(a, b);
}

/* mirrors MQClientInstance.topicRouteDataIsChange */
bool rmq__topic_route_changed(const rmq_topic_route_data_t *olddata,
                              const rmq_topic_route_data_t *nowdata) {
        if (!olddata || !nowdata)
                return true;
        return !rmq__topic_route_equal(olddata, nowdata);
}

/* ---- lookups ---- */

const char *rmq__broker_data_addr(const rmq_broker_data_t *bd,
                                  int64_t brokerId) {
        const rmq_broker_addr_t *a = addr_find(bd, brokerId);
        return a ? a->addr : NULL;
}

const char *rmq__broker_data_master_addr(const rmq_broker_data_t *bd) {
        return rmq__broker_data_addr(bd, RMQ_MASTER_ID);
}

const rmq_broker_data_t *
rmq__topic_route_broker(const rmq_topic_route_data_t *route,
                        const char *brokerName) {
        size_t i;
        for (i = 0; i < route->brokerDatas_cnt; i++)
                if (str_eq(route->brokerDatas[i].brokerName, brokerName))
                        return &route->brokerDatas[i];
        return NULL;
}

/* mirrors MQClientInstance.findBrokerAddressInSubscribe */
int rmq__broker_addrs_pick_subscribe(const rmq_broker_addr_t *addrs, size_t n,
                                     int64_t brokerId, bool onlyThisBroker,
                                     bool *slavep) {
        bool slave = brokerId != RMQ_MASTER_ID;
        int idx;
        size_t i;
        if (!n)
                return -1;
        idx = addrs_find(addrs, n, brokerId);
        if (idx < 0 && slave)
                idx = addrs_find(addrs, n, brokerId + 1);
        if (idx < 0 && !onlyThisBroker) {
                /* the first entry of a HashMap<Long, String>: small Long
                 * keys hash to themselves, so the smallest id */
                idx = 0;
                for (i = 1; i < n; i++)
                        if (addrs[i].brokerId < addrs[idx].brokerId)
                                idx = (int)i;
                slave = addrs[idx].brokerId != RMQ_MASTER_ID;
        }
        if (idx >= 0 && slavep)
                *slavep = slave;
        return idx;
}
