/* SPDX-License-Identifier: Apache-2.0 */
/* Queue allocation strategies: every vector computed by the Java 4.9.8
 * strategies (allocate_vectors.h) gives the same queues in the same order
 * or the same exception message; names, constructor checks, the MD5 ring
 * hash and String.compareTo order; and, over seeded random sizes, AVG,
 * AVG_BY_CIRCLE and CONSISTENT_HASH hand every queue to exactly one
 * consumer. */
#include <stdio.h>

#include "common/rmq_str.h"
#include "consumer/rmq_allocate.h"
#include "testutil.h"

#include "allocate_vectors.h"

/* The resolver of the AV_NEARBY vectors: the text before the first '-'. */
static const char *room_of(const char *s, char *buf, size_t size) {
        const char *dash;
        size_t len;
        if (!s)
                return NULL;
        dash = strchr(s, '-');
        len  = dash ? (size_t)(dash - s) : strlen(s);
        if (len >= size)
                return NULL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        return buf;
}

static const char *broker_room(const rmq_mq_t *mq, char *buf, size_t size,
                               void *opaque) {
        (void)opaque;
        return room_of(mq->brokerName, buf, size);
}

static const char *consumer_room(const char *cid, char *buf, size_t size,
                                 void *opaque) {
        (void)opaque;
        return room_of(cid, buf, size);
}

/* The AV_HASH_JAVA custom HashFunction: (long) key.hashCode(). */
static int64_t java_string_hash(const char *key, void *opaque) {
        (void)opaque;
        return rmq__java_hash(key, strlen(key));
}

/* Borrowing views of generated queues (rmq_mq_t has non-const members). */
static rmq_mq_t *mq_view(const av_mq_t *v, size_t n) {
        rmq_mq_t *mqs = rmq__calloc(n ? n : 1, sizeof(*mqs));
        size_t i;
        for (i = 0; i < n; i++) {
                mqs[i].topic      = (char *)v[i].topic;
                mqs[i].brokerName = (char *)v[i].brokerName;
                mqs[i].queueId    = v[i].queueId;
        }
        return mqs;
}

static rmq_allocate_t *make_strategy(int kind, const av_case_t *c) {
        rmq_mq_t *cfg;
        rmq_allocate_t *s = NULL;
        switch (kind) {
        case AV_AVG:
                return rmq__allocate_averagely();
        case AV_CIRCLE:
                return rmq__allocate_by_circle();
        case AV_CONFIG:
                cfg = mq_view(c->config, c->config_cnt);
                s   = rmq__allocate_by_config(c->config ? cfg : NULL,
                                            c->config_cnt);
                rmq__free(cfg);
                return s;
        case AV_MACHINE_ROOM:
                return rmq__allocate_by_machine_room(c->idcs, c->idc_cnt);
        case AV_NEARBY:
                return rmq__allocate_machine_room_nearby(
                    make_strategy(c->inner, c), broker_room, consumer_room,
                    NULL);
        case AV_HASH:
                return rmq__allocate_consistent_hash(c->vnode_cnt);
        case AV_HASH_JAVA:
                return rmq__allocate_consistent_hash_custom(
                    c->vnode_cnt, java_string_hash, NULL);
        }
        return NULL;
}

static bool mq_is(const rmq_mq_t *mq, const av_mq_t *v) {
        return !strcmp(mq->topic, v->topic) &&
               !strcmp(mq->brokerName, v->brokerName) &&
               mq->queueId == v->queueId;
}

/* Runs one vector; prints what differs and returns false on a mismatch. */
static bool run_case(size_t ci, const av_case_t *c) {
        rmq_allocate_t *s = make_strategy(c->kind, c);
        rmq_mq_t *mqs     = mq_view(c->mqs, c->mq_cnt);
        rmq_mq_t *res     = (rmq_mq_t *)1;
        size_t res_cnt    = 99, i;
        char errstr[512]  = "";
        rmq_err_t err;
        bool ok = true;

        assert_non_null(s);
        if (strcmp(rmq__allocate_name(s), c->name)) {
                printf("case %zu (%s): name %s, Java %s\n", ci, c->section,
                       rmq__allocate_name(s), c->name);
                ok = false;
        }
        err = rmq__allocate(s, c->group, c->current_cid, c->mq_cnt ? mqs : NULL,
                            c->mq_cnt, c->cids, c->cid_cnt, &res, &res_cnt,
                            errstr, sizeof(errstr));
        if (c->error) {
                if (err != RMQ_ERR__INVALID_ARG || strcmp(errstr, c->error) ||
                    res || res_cnt) {
                        printf("case %zu (%s): err %d \"%s\", Java threw "
                               "\"%s\"\n",
                               ci, c->section, (int)err, errstr, c->error);
                        ok = false;
                }
        } else if (err != RMQ_OK) {
                printf("case %zu (%s): err %d \"%s\", Java returned %zu "
                       "queues\n",
                       ci, c->section, (int)err, errstr, c->expect_cnt);
                ok = false;
        } else if (res_cnt != c->expect_cnt || (res_cnt == 0) != !res) {
                printf("case %zu (%s, cid %s): %zu queues, Java %zu\n", ci,
                       c->section, c->current_cid, res_cnt, c->expect_cnt);
                ok = false;
        } else {
                for (i = 0; i < res_cnt; i++) {
                        size_t x           = (size_t)c->expect[i];
                        const av_mq_t *exp = x < c->mq_cnt
                                                 ? &c->mqs[x]
                                                 : &c->config[x - c->mq_cnt];
                        if (!mq_is(&res[i], exp)) {
                                printf("case %zu (%s, cid %s): queue %zu is "
                                       "%s/%s/%d, Java %s/%s/%d\n",
                                       ci, c->section, c->current_cid, i,
                                       res[i].topic, res[i].brokerName,
                                       (int)res[i].queueId, exp->topic,
                                       exp->brokerName, (int)exp->queueId);
                                ok = false;
                                break;
                        }
                }
        }
        if (err == RMQ_OK)
                rmq__mq_array_free(res, res_cnt);
        rmq__free(mqs);
        rmq__allocate_destroy(s);
        return ok;
}

static void test_java_vectors(void **state) {
        size_t i, failed = 0, n = RMQ_ARRAY_SIZE(av_cases);
        (void)state;
        for (i = 0; i < n; i++)
                if (!run_case(i, &av_cases[i]))
                        failed++;
        printf("%zu Java vectors, %zu mismatches\n", n, failed);
        assert_int_equal(failed, 0);
}

static void test_names(void **state) {
        static const char *const idcs[] = {"idc1"};
        rmq_allocate_t *s;
        (void)state;
        s = rmq__allocate_averagely();
        assert_string_equal(rmq__allocate_name(s), "AVG");
        rmq__allocate_destroy(s);
        s = rmq__allocate_by_circle();
        assert_string_equal(rmq__allocate_name(s), "AVG_BY_CIRCLE");
        rmq__allocate_destroy(s);
        s = rmq__allocate_by_config(NULL, 0);
        assert_string_equal(rmq__allocate_name(s), "CONFIG");
        rmq__allocate_destroy(s);
        s = rmq__allocate_by_machine_room(idcs, 1);
        assert_string_equal(rmq__allocate_name(s), "MACHINE_ROOM");
        rmq__allocate_destroy(s);
        s = rmq__allocate_consistent_hash(
            RMQ_ALLOCATE_VIRTUAL_NODE_CNT_DEFAULT);
        assert_string_equal(rmq__allocate_name(s), "CONSISTENT_HASH");
        s = rmq__allocate_machine_room_nearby(s, broker_room, consumer_room,
                                              NULL);
        assert_string_equal(rmq__allocate_name(s),
                            "MACHINE_ROOM_NEARBY-CONSISTENT_HASH");
        rmq__allocate_destroy(s);
}

static void test_constructor_errors(void **state) {
        (void)state;
        /* Java: IllegalArgumentException("illegal virtualNodeCnt :-1") */
        assert_null(rmq__allocate_consistent_hash(-1));
        assert_null(rmq__allocate_consistent_hash_custom(-5, NULL, NULL));
        /* Java: NullPointerException; the inner strategy is taken anyway
         * (the sanitizer build checks that it is freed). */
        assert_null(rmq__allocate_machine_room_nearby(
            rmq__allocate_averagely(), NULL, consumer_room, NULL));
        assert_null(rmq__allocate_machine_room_nearby(rmq__allocate_averagely(),
                                                      broker_room, NULL, NULL));
        assert_null(rmq__allocate_machine_room_nearby(NULL, broker_room,
                                                      consumer_room, NULL));
        assert_null(rmq__allocate_custom(NULL, NULL, NULL));
}

static void test_md5_hash(void **state) {
        (void)state;
        /* MD5("") = d41d8cd9..., MD5("abc") = 90015098... */
        assert_true(rmq__allocate_md5_hash("", 0) == INT64_C(0xd41d8cd9));
        assert_true(rmq__allocate_md5_hash("abc", 3) == INT64_C(0x90015098));
}

static void test_java_strcmp(void **state) {
        (void)state;
        assert_true(rmq__allocate_java_strcmp("a", "b") < 0);
        assert_true(rmq__allocate_java_strcmp("b", "a") > 0);
        assert_true(rmq__allocate_java_strcmp("ab", "ab") == 0);
        assert_true(rmq__allocate_java_strcmp("a", "ab") < 0);
        assert_true(rmq__allocate_java_strcmp("", "a") < 0);
        assert_true(rmq__allocate_java_strcmp(NULL, "a") < 0);
        /* U+1F600 (surrogates D83D DE00) sorts before U+FF21 in Java. */
        assert_true(
            rmq__allocate_java_strcmp("\360\237\230\200", "\357\274\241") < 0);
        assert_true(
            rmq__allocate_java_strcmp("\357\274\241", "\360\237\230\200") > 0);
        /* Same high surrogate: the low one decides (U+1F600 < U+1F601). */
        assert_true(rmq__allocate_java_strcmp("\360\237\230\200",
                                              "\360\237\230\201") < 0);
        assert_true(rmq__allocate_java_strcmp("\303\251", "\344\270\255") < 0);
}

/* A custom strategy: the last queue, or an error for group "bad". */
static rmq_err_t last_queue(const char *consumer_group, const char *current_cid,
                            const rmq_mq_t *mq_all, size_t mq_cnt,
                            const char *const *cid_all, size_t cid_cnt,
                            rmq_mq_t **resultp, size_t *result_cnt,
                            char *errstr, size_t errstr_size, void *opaque) {
        (void)current_cid;
        (void)cid_all;
        (void)cid_cnt;
        *(int *)opaque += 1;
        if (!strcmp(consumer_group, "bad")) {
                *resultp    = rmq__calloc(1, sizeof(**resultp));
                *result_cnt = 1;
                rmq__mq_copy(&(*resultp)[0], &mq_all[0]);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__FAIL,
                                   "no good");
        }
        *resultp    = rmq__calloc(1, sizeof(**resultp));
        *result_cnt = 1;
        rmq__mq_copy(&(*resultp)[0], &mq_all[mq_cnt - 1]);
        return RMQ_OK;
}

static void test_custom(void **state) {
        static const char *const cids[] = {"a@1"};
        rmq_mq_t mqs[2];
        rmq_mq_t *res = NULL;
        size_t cnt    = 0;
        int calls     = 0;
        char errstr[64];
        rmq_allocate_t *s = rmq__allocate_custom("LAST", last_queue, &calls);
        (void)state;
        rmq__mq_init(&mqs[0], "T", "b", 0);
        rmq__mq_init(&mqs[1], "T", "b", 1);
        assert_string_equal(rmq__allocate_name(s), "LAST");
        /* No check(): an empty current id reaches the callback. */
        assert_int_equal(
            rmq__allocate(s, "g", "", mqs, 2, cids, 1, &res, &cnt, NULL, 0),
            RMQ_OK);
        assert_int_equal(cnt, 1);
        assert_int_equal(res[0].queueId, 1);
        rmq__mq_array_free(res, cnt);
        assert_int_equal(rmq__allocate(s, "bad", "a@1", mqs, 2, cids, 1, &res,
                                       &cnt, errstr, sizeof(errstr)),
                         RMQ_ERR__FAIL);
        assert_null(res);
        assert_int_equal(cnt, 0);
        assert_string_equal(errstr, "no good");
        assert_int_equal(calls, 2);
        /* Under MACHINE_ROOM_NEARBY the custom strategy runs per room. */
        s = rmq__allocate_machine_room_nearby(s, broker_room, consumer_room,
                                              NULL);
        assert_string_equal(rmq__allocate_name(s), "MACHINE_ROOM_NEARBY-LAST");
        rmq__allocate_destroy(s);
        rmq__mq_clear(&mqs[0]);
        rmq__mq_clear(&mqs[1]);
}

static void test_errstr_optional(void **state) {
        static const char *const cids[] = {"a@1"};
        rmq_mq_t mq;
        rmq_mq_t *res     = NULL;
        size_t cnt        = 0;
        rmq_allocate_t *s = rmq__allocate_averagely();
        char small[8];
        (void)state;
        rmq__mq_init(&mq, "T", "b", 0);
        assert_int_equal(
            rmq__allocate(s, "g", NULL, &mq, 1, cids, 1, &res, &cnt, NULL, 0),
            RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq__allocate(s, "g", "a@1", &mq, 1, cids, 0, &res,
                                       &cnt, small, sizeof(small)),
                         RMQ_ERR__INVALID_ARG);
        assert_string_equal(small, "cidAll ");
        /* Absent: no queues, no error. */
        assert_int_equal(rmq__allocate(s, "g", "z@9", &mq, 1, cids, 1, &res,
                                       &cnt, small, sizeof(small)),
                         RMQ_OK);
        assert_null(res);
        assert_int_equal(cnt, 0);
        rmq__allocate_destroy(s);
        rmq__mq_clear(&mq);
}

/* ---- property: every queue goes to exactly one consumer ---- */

static uint64_t rng_state = UINT64_C(0x2545f4914f6cdd1d);

static uint32_t rng(uint32_t n) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (uint32_t)(rng_state % n);
}

static void check_partition(rmq_allocate_t *s, size_t mq_cnt, size_t cid_cnt,
                            bool balanced) {
        rmq_mq_t *mqs = rmq__calloc(mq_cnt, sizeof(*mqs));
        char **cids   = rmq__calloc(cid_cnt, sizeof(*cids));
        int *owner    = rmq__calloc(mq_cnt, sizeof(*owner));
        size_t i, j, min = SIZE_MAX, max = 0, brokers = 1 + rng(4);
        char name[32];

        for (i = 0; i < mq_cnt; i++) {
                snprintf(name, sizeof(name), "broker-%zu", i % brokers);
                rmq__mq_init(&mqs[i], "TopicP", name, (int32_t)i);
                owner[i] = -1;
        }
        for (i = 0; i < cid_cnt; i++)
                cids[i] = rmq__asprintf("10.%u.%u.%zu@%u", rng(256), rng(256),
                                        i, rng(100000));
        qsort(mqs, mq_cnt, sizeof(*mqs), rmq__mq_qsort_cmp);
        for (i = 0; i < cid_cnt; i++) {
                rmq_mq_t *res = NULL;
                size_t cnt    = 0;
                char errstr[128];
                assert_int_equal(rmq__allocate(s, "g", cids[i], mqs, mq_cnt,
                                               (const char *const *)cids,
                                               cid_cnt, &res, &cnt, errstr,
                                               sizeof(errstr)),
                                 RMQ_OK);
                for (j = 0; j < cnt; j++) {
                        /* queueId is the creation index; find it */
                        size_t k;
                        for (k = 0; k < mq_cnt; k++)
                                if (rmq__mq_equal(&mqs[k], &res[j]))
                                        break;
                        assert_true(k < mq_cnt);
                        if (owner[k] != -1)
                                fail_msg("%s: queue %zu given to consumers "
                                         "%d and %zu (%zu queues, %zu "
                                         "consumers)",
                                         rmq__allocate_name(s), k, owner[k], i,
                                         mq_cnt, cid_cnt);
                        owner[k] = (int)i;
                }
                min = RMQ_MIN(min, cnt);
                max = RMQ_MAX(max, cnt);
                rmq__mq_array_free(res, cnt);
        }
        for (i = 0; i < mq_cnt; i++)
                if (owner[i] == -1)
                        fail_msg("%s: queue %zu given to nobody (%zu queues, "
                                 "%zu consumers)",
                                 rmq__allocate_name(s), i, mq_cnt, cid_cnt);
        if (balanced)
                assert_true(max - min <= 1);
        for (i = 0; i < cid_cnt; i++)
                rmq__free(cids[i]);
        rmq__free(cids);
        rmq__free(owner);
        rmq__mq_array_free(mqs, mq_cnt);
}

static void test_partition_property(void **state) {
        int iter;
        (void)state;
        for (iter = 0; iter < 300; iter++) {
                size_t mq_cnt  = 1 + rng(64);
                size_t cid_cnt = 1 + rng(20);
                rmq_allocate_t *s;

                s = rmq__allocate_averagely();
                check_partition(s, mq_cnt, cid_cnt, true);
                rmq__allocate_destroy(s);

                s = rmq__allocate_by_circle();
                check_partition(s, mq_cnt, cid_cnt, true);
                rmq__allocate_destroy(s);

                s = rmq__allocate_consistent_hash(1 + (int)rng(60));
                check_partition(s, mq_cnt, cid_cnt, false);
                rmq__allocate_destroy(s);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_java_vectors),
            cmocka_unit_test(test_names),
            cmocka_unit_test(test_constructor_errors),
            cmocka_unit_test(test_md5_hash),
            cmocka_unit_test(test_java_strcmp),
            cmocka_unit_test(test_custom),
            cmocka_unit_test(test_errstr_optional),
            cmocka_unit_test(test_partition_property),
        };
        return cmocka_run_group_tests_name("allocate", tests, NULL, NULL);
}
