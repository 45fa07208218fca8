/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading remoting bodies from the cJSON trees rmq__json_parse builds,
 * with fastjson's tolerance (numbers as numbers or numeric strings,
 * booleans as booleans or "true"/"false", null as absent) and a sticky
 * error: the first problem is kept, with a reason, and later reads return
 * defaults, so a decoder reads every member and checks once at the end.
 */
#ifndef RMQ_JSONR_H
#define RMQ_JSONR_H

#include <cjson/cJSON.h>

#include "common/rmq_common.h"

typedef struct rmq_jsonr_s {
        rmq_err_t err; /* RMQ_OK or the first RMQ_ERR__BAD_MSG */
        char *errstr;
        size_t errstr_size;
} rmq_jsonr_t;

void rmq__jsonr_init(rmq_jsonr_t *jr, char *errstr, size_t errstr_size);
/* Records an error (the first one sticks). */
void rmq__jsonr_fail(rmq_jsonr_t *jr, const char *what, const char *key);

/* Parses \p len bytes; the top level must be an object. NULL on error. */
cJSON *rmq__jsonr_parse(rmq_jsonr_t *jr, const void *body, size_t len);

/* A copy of a string member (free with rmq__free), NULL if absent; an
 * error if \p required and absent, or if not a string. */
char *rmq__jsonr_strdup(rmq_jsonr_t *jr, const cJSON *obj, const char *key,
                        bool required);
/* Copy of a string item (array element); an error if not a string. */
char *rmq__jsonr_item_strdup(rmq_jsonr_t *jr, const cJSON *item,
                             const char *what);
/* Integer members; \p def if absent; an error if not an integer or out of
 * range. */
int64_t rmq__jsonr_i64(rmq_jsonr_t *jr, const cJSON *obj, const char *key,
                       int64_t def);
int32_t rmq__jsonr_i32(rmq_jsonr_t *jr, const cJSON *obj, const char *key,
                       int32_t def);
bool rmq__jsonr_bool(rmq_jsonr_t *jr, const cJSON *obj, const char *key,
                     bool def);
/* Array or object member, NULL if absent or null; an error if of another
 * type. */
const cJSON *rmq__jsonr_array(rmq_jsonr_t *jr, const cJSON *obj,
                              const char *key);
const cJSON *rmq__jsonr_object(rmq_jsonr_t *jr, const cJSON *obj,
                               const char *key);
/* Number of children of an array/object (0 for NULL). */
size_t rmq__jsonr_count(const cJSON *arr);

#endif /* RMQ_JSONR_H */
