/* SPDX-License-Identifier: Apache-2.0 */
/* Offset stores: the shared in-memory table (updateOffset with and without
 * increaseOnly, readOffset types, removeOffset, cloneOffsetTable) and
 * LocalFileOffsetStore: the file path, fastjson's pretty format, the
 * .tmp/.bak dance of MixAll.string2File, the .bak fallback, 4.9.8's
 * merge of persistAll/persist with the file, and files Java writes. Every
 * test works in its own mkdtemp directory. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rmq_log.h"
#include "consumer/rmq_offset_store.h"
#include "testutil.h"

#define CLIENT "192.0.2.2@DEFAULT"
#define GROUP  "CG_BC"

typedef struct fx_s {
        char dir[64];
        char path[256];
        rmq_logger_t lg;
        char logged[4096];
} fx_t;

static void capture_log(rmq_log_level_t level, const char *fac,
                        const char *client_id, const char *msg, void *opaque) {
        fx_t *fx  = opaque;
        size_t at = strlen(fx->logged);
        (void)client_id;
        snprintf(fx->logged + at, sizeof(fx->logged) - at, "%d %s %s\n",
                 (int)level, fac, msg);
}

static int setup(void **state) {
        fx_t *fx = calloc(1, sizeof(*fx));
        snprintf(fx->dir, sizeof(fx->dir), "/tmp/rmq_offset_XXXXXX");
        if (!mkdtemp(fx->dir))
                return -1;
        snprintf(fx->path, sizeof(fx->path), "%s/%s/%s/offsets.json", fx->dir,
                 CLIENT, GROUP);
        fx->lg.cb     = capture_log;
        fx->lg.opaque = fx;
        fx->lg.level  = RMQ_LOG_DEBUG;
        *state        = fx;
        return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw) {
        (void)sb;
        (void)flag;
        (void)ftw;
        return remove(p);
}

static int teardown(void **state) {
        fx_t *fx = *state;
        nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(fx);
        return 0;
}

static rmq_offset_store_t *new_store(fx_t *fx) {
        rmq_offset_store_t *os = NULL;
        char err[256]          = "";
        if (rmq__offset_local_new(&os, fx->dir, CLIENT, GROUP, &fx->lg, err,
                                  sizeof(err)))
                fail_msg("new: %s", err);
        return os;
}

static rmq_mq_t mq_of(const char *topic, const char *broker, int qid) {
        rmq_mq_t mq;
        mq.topic      = (char *)topic;
        mq.brokerName = (char *)broker;
        mq.queueId    = qid;
        return mq;
}

static void write_file(const char *path, const char *content) {
        FILE *f;
        char dir[512], *slash;
        snprintf(dir, sizeof(dir), "%s", path);
        /* mkdir -p */
        for (slash = dir + 1; (slash = strchr(slash, '/')); slash++) {
                *slash = '\0';
                mkdir(dir, 0755);
                *slash = '/';
        }
        f = fopen(path, "wb");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static char *read_file(const char *path) {
        return rmq_test_read_file(path, NULL);
}

static bool exists(const char *path) {
        return access(path, F_OK) == 0;
}

static char *with_suffix(const char *path, const char *suffix) {
        static char buf[300];
        snprintf(buf, sizeof(buf), "%s%s", path, suffix);
        return buf;
}

/* ---- construction ---- */

static void test_paths(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = new_store(fx);
        char def[512], expect[512], *old_home;
        (void)state;
        assert_string_equal(rmq__offset_local_path(os), fx->path);
        assert_int_equal(rmq__offset_store_table_count(os), 0);
        rmq__offset_store_destroy(os);
        rmq__offset_store_destroy(NULL);

        /* the default directory: $HOME/.rocketmq_offsets */
        old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
        setenv("HOME", fx->dir, 1);
        rmq__offset_local_default_dir(def, sizeof(def));
        snprintf(expect, sizeof(expect), "%s/.rocketmq_offsets", fx->dir);
        assert_string_equal(def, expect);
        assert_int_equal(
            rmq__offset_local_new(&os, NULL, CLIENT, GROUP, NULL, NULL, 0),
            RMQ_OK);
        snprintf(expect, sizeof(expect),
                 "%s/.rocketmq_offsets/" CLIENT "/" GROUP "/offsets.json",
                 fx->dir);
        assert_string_equal(rmq__offset_local_path(os), expect);
        rmq__offset_store_destroy(os);
        assert_int_equal(
            rmq__offset_local_new(&os, "", CLIENT, GROUP, NULL, NULL, 0),
            RMQ_OK);
        assert_string_equal(rmq__offset_local_path(os), expect);
        rmq__offset_store_destroy(os);
        if (old_home) {
                setenv("HOME", old_home, 1);
                free(old_home);
        }

        /* clientId and group are required */
        {
                char err[128] = "";
                assert_int_equal(rmq__offset_local_new(&os, fx->dir, NULL,
                                                       GROUP, NULL, err,
                                                       sizeof(err)),
                                 RMQ_ERR__INVALID_ARG);
                assert_null(os);
                assert_true(err[0] != '\0');
        }
        /* nothing is created before a persist */
        assert_false(exists(fx->path));
}

/* ---- the in-memory table ---- */

static void test_update_increase_only(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = new_store(fx);
        rmq_mq_t q0            = mq_of("T", "b", 0);
        rmq_mq_t q0copy        = mq_of("T", "b", 0);
        rmq_mq_t q1            = mq_of("T", "b", 1);
        /* a new queue takes the offset, increaseOnly or not */
        rmq__offset_store_update(os, &q0, 10, true);
        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_MEMORY),
                         10);
        rmq__offset_store_update(os, &q0copy, 5, true); /* equal queue */
        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_MEMORY),
                         10);
        rmq__offset_store_update(os, &q0, 10, true);
        rmq__offset_store_update(os, &q0, 11, true);
        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_MEMORY),
                         11);
        rmq__offset_store_update(os, &q0, 3, false); /* set */
        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_MEMORY),
                         3);
        rmq__offset_store_update(os, &q1, 0, false);
        assert_int_equal(rmq__offset_store_read(os, &q1, RMQ_READ_FROM_MEMORY),
                         0);
        rmq__offset_store_update(os, NULL, 7, false);
        assert_int_equal(rmq__offset_store_table_count(os), 2);
        /* many queues: the table grows */
        {
                int i;
                char topic[32];
                for (i = 0; i < 500; i++) {
                        rmq_mq_t q;
                        snprintf(topic, sizeof(topic), "T%d", i % 7);
                        q = mq_of(topic, i % 2 ? "b1" : "b2", i);
                        rmq__offset_store_update(os, &q, i, true);
                }
                assert_int_equal(rmq__offset_store_table_count(os), 502);
                for (i = 0; i < 500; i++) {
                        rmq_mq_t q;
                        snprintf(topic, sizeof(topic), "T%d", i % 7);
                        q = mq_of(topic, i % 2 ? "b1" : "b2", i);
                        assert_int_equal(rmq__offset_store_read(
                                             os, &q, RMQ_READ_FROM_MEMORY),
                                         i);
                }
        }
        rmq__offset_store_destroy(os);
}

static void test_read_types(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = new_store(fx);
        rmq_mq_t q0            = mq_of("T", "b", 0);
        rmq_mq_t q1            = mq_of("T", "b", 1);
        int64_t off;
        /* nothing anywhere: -1 for every type; NULL mq: -1 */
        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_MEMORY),
                         RMQ_OFFSET_NOT_FOUND);
        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_STORE),
                         RMQ_OFFSET_NOT_FOUND);
        assert_int_equal(
            rmq__offset_store_read(os, &q0, RMQ_MEMORY_FIRST_THEN_STORE),
            RMQ_OFFSET_NOT_FOUND);
        assert_int_equal(rmq__offset_store_read(os, NULL, RMQ_READ_FROM_STORE),
                         RMQ_OFFSET_NOT_FOUND);
        assert_int_equal(rmq__offset_store_table_count(os), 0);

        /* the file has q0=20, q1=30; memory has q0=25 */
        rmq__offset_store_update(os, &q0, 20, false);
        rmq__offset_store_update(os, &q1, 30, false);
        rmq__offset_store_persist_all(os, (rmq_mq_t[]){q0, q1}, 2);
        rmq__offset_store_remove(os, &q1);
        rmq__offset_store_update(os, &q0, 25, false);

        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_MEMORY),
                         25);
        assert_int_equal(
            rmq__offset_store_read(os, &q0, RMQ_MEMORY_FIRST_THEN_STORE), 25);
        /* q1 is not in memory: MEMORY_FIRST_THEN_STORE reads the file and
         * records it */
        assert_int_equal(rmq__offset_store_read(os, &q1, RMQ_READ_FROM_MEMORY),
                         RMQ_OFFSET_NOT_FOUND);
        assert_int_equal(
            rmq__offset_store_read(os, &q1, RMQ_MEMORY_FIRST_THEN_STORE), 30);
        assert_true(rmq__offset_store_table_get(os, &q1, &off));
        assert_int_equal(off, 30);
        /* READ_FROM_STORE answers from the file and overwrites memory
         * (updateOffset(mq, offset, false)) */
        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_STORE),
                         20);
        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_MEMORY),
                         20);
        /* not in the file: -1, memory untouched */
        {
                rmq_mq_t q9 = mq_of("T", "b", 9);
                assert_int_equal(
                    rmq__offset_store_read(os, &q9, RMQ_READ_FROM_STORE),
                    RMQ_OFFSET_NOT_FOUND);
                assert_false(rmq__offset_store_table_get(os, &q9, &off));
        }
        /* local stores have nothing to send to a broker */
        assert_int_equal(
            rmq__offset_store_update_to_broker(os, &q0, 1, true, NULL, 0),
            RMQ_OK);
        rmq__offset_store_destroy(os);
}

static int mq_offset_cmp(const void *a, const void *b) {
        return rmq__mq_cmp(&((const rmq_mq_offset_t *)a)->mq,
                           &((const rmq_mq_offset_t *)b)->mq);
}

static void test_remove_and_clone(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = new_store(fx);
        rmq_mq_t a0 = mq_of("A", "b", 0), a1 = mq_of("A", "b", 1);
        rmq_mq_t b0 = mq_of("B", "b", 0), a0x = mq_of("A", "x", 0);
        rmq_mq_offset_t *t;
        size_t n;
        rmq__offset_store_update(os, &a0, 1, false);
        rmq__offset_store_update(os, &a1, 2, false);
        rmq__offset_store_update(os, &b0, 3, false);
        rmq__offset_store_update(os, &a0x, 4, false);

        t = rmq__offset_store_clone(os, "A", &n);
        assert_int_equal(n, 3);
        qsort(t, n, sizeof(*t), mq_offset_cmp);
        assert_string_equal(t[0].mq.brokerName, "b");
        assert_int_equal(t[0].mq.queueId, 0);
        assert_int_equal(t[0].offset, 1);
        assert_int_equal(t[1].offset, 2);
        assert_string_equal(t[2].mq.brokerName, "x");
        assert_int_equal(t[2].offset, 4);
        rmq__offset_table_free(t, n);
        /* NULL or blank topic: everything; unknown topic: nothing */
        t = rmq__offset_store_clone(os, NULL, &n);
        assert_int_equal(n, 4);
        rmq__offset_table_free(t, n);
        t = rmq__offset_store_clone(os, " \t", &n);
        assert_int_equal(n, 4);
        rmq__offset_table_free(t, n);
        t = rmq__offset_store_clone(os, "C", &n);
        assert_int_equal(n, 0);
        rmq__offset_table_free(t, n);
        /* the clone is a copy */
        t = rmq__offset_store_clone(os, "B", &n);
        rmq__offset_store_update(os, &b0, 99, false);
        assert_int_equal(t[0].offset, 3);
        rmq__offset_table_free(t, n);

        rmq__offset_store_remove(os, &a1);
        rmq__offset_store_remove(os, &a1); /* absent: nothing */
        rmq__offset_store_remove(os, NULL);
        assert_int_equal(rmq__offset_store_table_count(os), 3);
        assert_int_equal(rmq__offset_store_read(os, &a1, RMQ_READ_FROM_MEMORY),
                         RMQ_OFFSET_NOT_FOUND);
        t = rmq__offset_store_clone(os, "A", &n);
        assert_int_equal(n, 2);
        rmq__offset_table_free(t, n);
        rmq__offset_store_destroy(os);
}

/* ---- the file format ---- */

static void test_encode_format(void **state) {
        rmq_mq_offset_t e[2];
        rmq_buf_t buf = RMQ_BUF_INIT;
        (void)state;
        e[0].mq     = mq_of("T", "b", 0);
        e[0].offset = 5;
        e[1].mq     = mq_of("T\"q", "b", 1);
        e[1].offset = 1234567890123LL;
        rmq__offset_local_encode(e, 2, &buf);
        rmq__buf_put_u8(&buf, 0);
        assert_string_equal((const char *)buf.data,
                            "{\n"
                            "\t\"offsetTable\":{{\n"
                            "\t\t\t\"brokerName\":\"b\",\n"
                            "\t\t\t\"queueId\":0,\n"
                            "\t\t\t\"topic\":\"T\"\n"
                            "\t\t}:5,{\n"
                            "\t\t\t\"brokerName\":\"b\",\n"
                            "\t\t\t\"queueId\":1,\n"
                            "\t\t\t\"topic\":\"T\\\"q\"\n"
                            "\t\t}:1234567890123\n"
                            "\t}\n"
                            "}");
        /* what we write, we read */
        {
                rmq_mq_offset_t *d;
                size_t n;
                assert_int_equal(rmq__offset_table_decode(buf.data, buf.len - 1,
                                                          "offsetTable", NULL,
                                                          &d, &n, NULL, 0),
                                 RMQ_OK);
                assert_int_equal(n, 2);
                assert_string_equal(d[1].mq.topic, "T\"q");
                assert_int_equal(d[1].offset, 1234567890123LL);
                rmq__offset_table_free(d, n);
        }
        rmq__buf_reset(&buf);
        rmq__offset_local_encode(NULL, 0, &buf);
        rmq__buf_put_u8(&buf, 0);
        assert_string_equal((const char *)buf.data,
                            "{\n\t\"offsetTable\":{}\n}");
        rmq__buf_free(&buf);
}

/* ---- persistence ---- */

static void test_persist_and_load(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = new_store(fx);
        rmq_mq_t q[3]          = {mq_of("TopicA", "broker-a", 0),
                                  mq_of("TopicA", "broker-a", 1),
                                  mq_of("TopicB", "broker-b", 0)};
        char *content;
        int i;
        for (i = 0; i < 3; i++)
                rmq__offset_store_update(os, &q[i], 100 + i, false);
        /* nothing to persist: nothing written */
        rmq__offset_store_persist_all(os, q, 0);
        assert_false(exists(fx->path));

        rmq__offset_store_persist_all(os, q, 3);
        content = read_file(fx->path);
        assert_non_null(content);
        {
                static const char prefix[] = "{\n\t\"offsetTable\":{{\n\t\t\t"
                                             "\"brokerName\":\"broker-";
                assert_int_equal(strncmp(content, prefix, strlen(prefix)), 0);
        }
        assert_non_null(strstr(content, "\t\t\t\"topic\":\"TopicB\"\n"
                                        "\t\t}:102"));
        assert_string_equal(content + strlen(content) - 5, "\n\t}\n}");
        free(content);
        /* no .tmp left; no .bak on the first write (no previous file) */
        assert_false(exists(with_suffix(fx->path, ".tmp")));
        assert_false(exists(with_suffix(fx->path, ".bak")));
        rmq__offset_store_destroy(os);

        /* a new store loads it */
        os = new_store(fx);
        assert_int_equal(rmq__offset_store_load(os, NULL, 0), RMQ_OK);
        assert_int_equal(rmq__offset_store_table_count(os), 3);
        for (i = 0; i < 3; i++)
                assert_int_equal(
                    rmq__offset_store_read(os, &q[i], RMQ_READ_FROM_MEMORY),
                    100 + i);
        assert_non_null(strstr(fx->logged, "load consumer's offset, " GROUP
                                           " TopicB@broker-b:0 102"));
        /* load overwrites what memory had (putAll) */
        rmq__offset_store_update(os, &q[0], 7, false);
        assert_int_equal(rmq__offset_store_load(os, NULL, 0), RMQ_OK);
        assert_int_equal(
            rmq__offset_store_read(os, &q[0], RMQ_READ_FROM_MEMORY), 100);

        /* the second write keeps the first as .bak */
        rmq__offset_store_update(os, &q[0], 200, false);
        rmq__offset_store_persist_all(os, q, 3);
        content = read_file(with_suffix(fx->path, ".bak"));
        assert_non_null(content);
        assert_non_null(strstr(content, "}:100"));
        assert_null(strstr(content, "}:200"));
        free(content);
        content = read_file(fx->path);
        assert_non_null(strstr(content, "}:200"));
        free(content);
        rmq__offset_store_destroy(os);
}

/* The offset table in the file at \p path, sorted (free with
 * rmq__offset_table_free). */
static rmq_mq_offset_t *read_table(const char *path, size_t *np) {
        char *content = read_file(path);
        rmq_mq_offset_t *t;
        assert_non_null(content);
        assert_int_equal(rmq__offset_table_decode(content, strlen(content),
                                                  "offsetTable", NULL, &t, np,
                                                  NULL, 0),
                         RMQ_OK);
        free(content);
        qsort(t, *np, sizeof(*t), mq_offset_cmp);
        return t;
}

/* 4.9.8: persistAll and persist merge into what the file has. */
static void test_persist_merges_with_file(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = new_store(fx);
        rmq_mq_t b = mq_of("T", "b", 1), c = mq_of("T", "b", 2),
                 d = mq_of("T", "b", 3);
        rmq_mq_offset_t *t;
        size_t n;
        write_file(fx->path, "{\"offsetTable\":{{\"brokerName\":\"b\","
                             "\"queueId\":0,\"topic\":\"T\"}:5,"
                             "{\"brokerName\":\"b\",\"queueId\":1,"
                             "\"topic\":\"T\"}:6}}");
        rmq__offset_store_update(os, &b, 70, false);
        rmq__offset_store_update(os, &c, 90, false);
        /* only b is given: the file keeps T:0, b becomes 70, c is not
         * written; d (given, not in memory) is not written either */
        rmq__offset_store_persist_all(os, (rmq_mq_t[]){b, d}, 2);
        t = read_table(fx->path, &n);
        assert_int_equal(n, 2);
        assert_int_equal(t[0].offset, 5);
        assert_int_equal(t[1].offset, 70);
        rmq__offset_table_free(t, n);

        /* persist(c) adds c; persist(d) (not in memory) writes nothing */
        rmq__offset_store_persist(os, &c);
        rmq__offset_store_persist(os, &d);
        rmq__offset_store_persist(os, NULL);
        t = read_table(fx->path, &n);
        assert_int_equal(n, 3);
        assert_int_equal(t[2].mq.queueId, 2);
        assert_int_equal(t[2].offset, 90);
        rmq__offset_table_free(t, n);
        rmq__offset_store_destroy(os);
}

static void test_bak_fallback(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = new_store(fx);
        rmq_mq_t q             = mq_of("T", "b", 0);
        char err[256];
        char *content;
        /* two writes: .bak holds 1, the file 2 */
        rmq__offset_store_update(os, &q, 1, false);
        rmq__offset_store_persist_all(os, &q, 1);
        rmq__offset_store_update(os, &q, 2, false);
        rmq__offset_store_persist_all(os, &q, 1);
        rmq__offset_store_destroy(os);

        /* a corrupt main file: load falls back to .bak, with a warning */
        write_file(fx->path, "{\"offsetTable\":{{\"brokerName\":");
        os = new_store(fx);
        assert_int_equal(rmq__offset_store_load(os, NULL, 0), RMQ_OK);
        assert_int_equal(rmq__offset_store_read(os, &q, RMQ_READ_FROM_MEMORY),
                         1);
        assert_non_null(strstr(fx->logged, "4 OFFSET readLocalOffset "
                                           "Exception, and try to correct"));
        assert_int_equal(rmq__offset_store_read(os, &q, RMQ_READ_FROM_STORE),
                         1);
        rmq__offset_store_destroy(os);

        /* an empty main file: .bak too */
        write_file(fx->path, "");
        os = new_store(fx);
        assert_int_equal(rmq__offset_store_load(os, NULL, 0), RMQ_OK);
        assert_int_equal(rmq__offset_store_read(os, &q, RMQ_READ_FROM_MEMORY),
                         1);
        rmq__offset_store_destroy(os);

        /* a missing main file: .bak */
        remove(fx->path);
        os = new_store(fx);
        assert_int_equal(rmq__offset_store_load(os, NULL, 0), RMQ_OK);
        assert_int_equal(rmq__offset_store_read(os, &q, RMQ_READ_FROM_MEMORY),
                         1);
        /* a persist from here writes the file (no previous one: .bak
         * stays) */
        rmq__offset_store_update(os, &q, 3, false);
        rmq__offset_store_persist(os, &q);
        content = read_file(fx->path);
        assert_non_null(strstr(content, "}:3"));
        free(content);
        rmq__offset_store_destroy(os);

        /* both corrupt: load fails (Java throws MQClientException),
         * READ_FROM_STORE gives -1 and persistAll writes nothing */
        write_file(fx->path, "not json");
        write_file(with_suffix(fx->path, ".bak"), "{\"offsetTable\":[1]}");
        os     = new_store(fx);
        err[0] = '\0';
        assert_int_equal(rmq__offset_store_load(os, err, sizeof(err)),
                         RMQ_ERR__BAD_MSG);
        assert_non_null(strstr(err, ".bak"));
        assert_int_equal(rmq__offset_store_read(os, &q, RMQ_READ_FROM_STORE),
                         RMQ_OFFSET_NOT_FOUND);
        rmq__offset_store_update(os, &q, 9, false);
        fx->logged[0] = '\0';
        rmq__offset_store_persist_all(os, &q, 1);
        content = read_file(fx->path);
        assert_string_equal(content, "not json");
        free(content);
        assert_non_null(strstr(fx->logged, "3 OFFSET persistAll consumer "
                                           "offset Exception"));
        rmq__offset_store_destroy(os);

        /* neither file: load finds nothing, fine */
        remove(fx->path);
        remove(with_suffix(fx->path, ".bak"));
        os = new_store(fx);
        assert_int_equal(rmq__offset_store_load(os, NULL, 0), RMQ_OK);
        assert_int_equal(rmq__offset_store_table_count(os), 0);
        rmq__offset_store_destroy(os);
}

/* Files as Java 4.9.8 (fastjson 1.2.69) writes them: PrettyFormat with
 * tabs, queues in hash order; and the compact form. */
static void test_java_written_file(void **state) {
        fx_t *fx = *state;
        rmq_offset_store_t *os;
        rmq_mq_t q1 = mq_of("TopicBroadcast", "broker-a", 1);
        rmq_mq_t q0 = mq_of("TopicBroadcast", "broker-a", 0);
        rmq_mq_t r  = mq_of("%RETRY%CG_BC", "broker-a", 0);
        write_file(fx->path, "{\n"
                             "\t\"offsetTable\":{{\n"
                             "\t\t\t\"brokerName\":\"broker-a\",\n"
                             "\t\t\t\"queueId\":1,\n"
                             "\t\t\t\"topic\":\"TopicBroadcast\"\n"
                             "\t\t}:1,{\n"
                             "\t\t\t\"brokerName\":\"broker-a\",\n"
                             "\t\t\t\"queueId\":0,\n"
                             "\t\t\t\"topic\":\"TopicBroadcast\"\n"
                             "\t\t}:0,{\n"
                             "\t\t\t\"brokerName\":\"broker-a\",\n"
                             "\t\t\t\"queueId\":0,\n"
                             "\t\t\t\"topic\":\"%RETRY%CG_BC\"\n"
                             "\t\t}:3\n"
                             "\t}\n"
                             "}");
        os = new_store(fx);
        assert_int_equal(rmq__offset_store_load(os, NULL, 0), RMQ_OK);
        assert_int_equal(rmq__offset_store_table_count(os), 3);
        assert_int_equal(rmq__offset_store_read(os, &q1, RMQ_READ_FROM_MEMORY),
                         1);
        assert_int_equal(rmq__offset_store_read(os, &q0, RMQ_READ_FROM_MEMORY),
                         0);
        assert_int_equal(rmq__offset_store_read(os, &r, RMQ_READ_FROM_MEMORY),
                         3);
        rmq__offset_store_destroy(os);

        /* compact, members in another order, an empty table */
        write_file(fx->path, "{\"offsetTable\":{{\"topic\":\"TopicBroadcast\","
                             "\"queueId\":1,\"brokerName\":\"broker-a\"}:42}}");
        os = new_store(fx);
        assert_int_equal(rmq__offset_store_load(os, NULL, 0), RMQ_OK);
        assert_int_equal(rmq__offset_store_read(os, &q1, RMQ_READ_FROM_MEMORY),
                         42);
        rmq__offset_store_destroy(os);
        write_file(fx->path, "{\n\t\"offsetTable\":{}\n}");
        os = new_store(fx);
        assert_int_equal(rmq__offset_store_load(os, NULL, 0), RMQ_OK);
        assert_int_equal(rmq__offset_store_table_count(os), 0);
        rmq__offset_store_destroy(os);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
            cmocka_unit_test_setup_teardown(test_update_increase_only, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_read_types, setup, teardown),
            cmocka_unit_test_setup_teardown(test_remove_and_clone, setup,
                                            teardown),
            cmocka_unit_test(test_encode_format),
            cmocka_unit_test_setup_teardown(test_persist_and_load, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_persist_merges_with_file,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_bak_fallback, setup, teardown),
            cmocka_unit_test_setup_teardown(test_java_written_file, setup,
                                            teardown),
        };
        return cmocka_run_group_tests_name("offset_local", tests, NULL, NULL);
}
