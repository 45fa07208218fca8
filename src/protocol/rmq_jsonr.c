/* SPDX-License-Identifier: Apache-2.0 */
#include "common/rmq_str.h"
#include "protocol/rmq_jsonr.h"
#include "remoting/rmq_json.h"

void rmq__jsonr_init(rmq_jsonr_t *jr, char *errstr, size_t errstr_size) {
        jr->err         = RMQ_OK;
        jr->errstr      = errstr;
        jr->errstr_size = errstr_size;
}

void rmq__jsonr_fail(rmq_jsonr_t *jr, const char *what, const char *key) {
        if (jr->err)
                return;
        jr->err = rmq__seterr(jr->errstr, jr->errstr_size, RMQ_ERR__BAD_MSG,
                              "invalid body: %s%s%s", what, key ? ": " : "",
                              key ? key : "");
}

cJSON *rmq__jsonr_parse(rmq_jsonr_t *jr, const void *body, size_t len) {
        cJSON *root = rmq__json_parse((const char *)body, len, jr->errstr,
                                      jr->errstr_size);
        if (!root) {
                jr->err = RMQ_ERR__BAD_MSG;
                return NULL;
        }
        if (!cJSON_IsObject(root)) {
                rmq__jsonr_fail(jr, "not a JSON object", NULL);
                cJSON_Delete(root);
                return NULL;
        }
        return root;
}

/* The member, or NULL when absent or null. */
static const cJSON *member(const cJSON *obj, const char *key) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
        return it && !cJSON_IsNull(it) ? it : NULL;
}

char *rmq__jsonr_item_strdup(rmq_jsonr_t *jr, const cJSON *item,
                             const char *what) {
        if (jr->err)
                return NULL;
        if (!cJSON_IsString(item) || !item->valuestring) {
                rmq__jsonr_fail(jr, "not a string", what);
                return NULL;
        }
        return rmq__strdup(item->valuestring);
}

char *rmq__jsonr_strdup(rmq_jsonr_t *jr, const cJSON *obj, const char *key,
                        bool required) {
        const cJSON *it = member(obj, key);
        if (jr->err)
                return NULL;
        if (!it) {
                if (required)
                        rmq__jsonr_fail(jr, "missing member", key);
                return NULL;
        }
        return rmq__jsonr_item_strdup(jr, it, key);
}

int64_t rmq__jsonr_i64(rmq_jsonr_t *jr, const cJSON *obj, const char *key,
                       int64_t def) {
        const cJSON *it = member(obj, key);
        int64_t v;
        if (jr->err || !it)
                return def;
        if (rmq__json_item_i64(it, &v)) {
                rmq__jsonr_fail(jr, "not an integer", key);
                return def;
        }
        return v;
}

int32_t rmq__jsonr_i32(rmq_jsonr_t *jr, const cJSON *obj, const char *key,
                       int32_t def) {
        int64_t v = rmq__jsonr_i64(jr, obj, key, def);
        if (v < INT32_MIN || v > INT32_MAX) {
                rmq__jsonr_fail(jr, "integer out of range", key);
                return def;
        }
        return (int32_t)v;
}

bool rmq__jsonr_bool(rmq_jsonr_t *jr, const cJSON *obj, const char *key,
                     bool def) {
        const cJSON *it = member(obj, key);
        if (jr->err || !it)
                return def;
        if (!cJSON_IsBool(it) && !cJSON_IsString(it)) {
                rmq__jsonr_fail(jr, "not a boolean", key);
                return def;
        }
        return rmq__json_get_bool(obj, key, def);
}

static const cJSON *container(rmq_jsonr_t *jr, const cJSON *obj,
                              const char *key, bool array) {
        const cJSON *it = member(obj, key);
        if (jr->err || !it)
                return NULL;
        if (array ? !cJSON_IsArray(it) : !cJSON_IsObject(it)) {
                rmq__jsonr_fail(jr, array ? "not an array" : "not an object",
                                key);
                return NULL;
        }
        return it;
}

const cJSON *rmq__jsonr_array(rmq_jsonr_t *jr, const cJSON *obj,
                              const char *key) {
        return container(jr, obj, key, true);
}

const cJSON *rmq__jsonr_object(rmq_jsonr_t *jr, const cJSON *obj,
                               const char *key) {
        return container(jr, obj, key, false);
}

size_t rmq__jsonr_count(const cJSON *arr) {
        return arr ? (size_t)cJSON_GetArraySize(arr) : 0;
}
