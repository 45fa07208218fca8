/* SPDX-License-Identifier: Apache-2.0 */
/* Received messages: every captured PULL_MESSAGE / CHECK_TRANSACTION_STATE
 * body decodes into a batch whose messages answer what INDEX.md says;
 * compressed bodies, the tag filter, the retry-topic and namespace restore,
 * Java's property rules, references, IPv6 hosts; and no input crashes
 * (every truncation and random corruption of a valid body). */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "client/rmq_message_ext_int.h"
#include "common/rmq_str.h"
#include "protocol/rmq_message_codec.h"
#include "remoting/rmq_remoting_cmd.h"
#include "testutil.h"

/* ---- helpers ---- */

/* Decodes a fixture's body into a batch, the frame storage handed over. */
static rmq_err_t decode_cmd(rmq_cmd_t *cmd, const rmq_msg_decode_opts_t *opts,
                            rmq_msg_batch_t **batchp, char *err,
                            size_t err_size) {
        const uint8_t *body;
        size_t len;
        void *storage = rmq__cmd_take_body(cmd, &body, &len);
        return rmq__msg_batch_decode(storage, body, len, opts, batchp, err,
                                     err_size);
}

/* Upper-case hex offsetMsgId of an IPv4 "a.b.c.d:port" store host. */
static void expect_offset_msg_id(const char *host, int64_t off, char *out) {
        unsigned a, b, c, d;
        int port;
        assert_int_equal(sscanf(host, "%u.%u.%u.%u:%d", &a, &b, &c, &d, &port),
                         5);
        snprintf(out, 40, "%02X%02X%02X%02X%08X%016llX", a, b, c, d,
                 (unsigned)port, (unsigned long long)off);
}

/* Every getter of \p mx against the INDEX entry \p jm. */
static void assert_mx_matches(const rmq_message_ext_t *mx, const cJSON *jm,
                              const char *minOff, const char *maxOff,
                              const char *topic) {
        const cJSON *jp = cJSON_GetObjectItemCaseSensitive(jm, "properties");
        const cJSON *e;
        const char *expect_body = rmq_test_jstr(jm, "body");
        const char *uniq, *tran, *name, *value;
        char idbuf[64];
        unsigned long clen, ilen;
        size_t blen, nprops = 0, i;
        const void *body;
        const rmq_test_jnum_t nums[] = {
            {rmq_message_ext_store_size(mx), "totalSize"},
            {rmq_message_ext_body_crc(mx), "bodyCRC"},
            {rmq_message_ext_queue_id(mx), "queueId"},
            {rmq_message_ext_flag(mx), "flag"},
            {rmq_message_ext_queue_offset(mx), "queueOffset"},
            {rmq_message_ext_commit_log_offset(mx), "commitLogOffset"},
            {rmq_message_ext_sys_flag(mx), "sysFlag"},
            {rmq_message_ext_born_timestamp(mx), "bornTimestamp"},
            {rmq_message_ext_store_timestamp(mx), "storeTimestamp"},
            {rmq_message_ext_reconsume_times(mx), "reconsumeTimes"},
            {rmq_message_ext_prepared_transaction_offset(mx),
             "preparedTransactionOffset"},
        };

        rmq_test_assert_jnums(jm, nums, RMQ_ARRAY_SIZE(nums));
        assert_string_equal(rmq_message_ext_born_host(mx),
                            rmq_test_jstr(jm, "bornHost"));
        assert_string_equal(rmq_message_ext_store_host(mx),
                            rmq_test_jstr(jm, "storeHost"));
        assert_string_equal(rmq_message_ext_topic(mx),
                            topic ? topic : rmq_test_jstr(jm, "topic"));
        assert_string_equal(rmq_message_ext_broker_name(mx), "broker-a");

        /* properties: each INDEX entry answers, and the iteration lists
         * exactly them plus MIN_OFFSET/MAX_OFFSET */
        cJSON_ArrayForEach(e, jp) {
                assert_non_null(rmq_message_ext_property(mx, e->string));
                assert_string_equal(rmq_message_ext_property(mx, e->string),
                                    e->valuestring);
                nprops++;
        }
        if (minOff) {
                assert_string_equal(rmq_message_ext_property(mx, "MIN_OFFSET"),
                                    minOff);
                assert_string_equal(rmq_message_ext_property(mx, "MAX_OFFSET"),
                                    maxOff);
                nprops += 2;
        } else {
                assert_null(rmq_message_ext_property(mx, "MIN_OFFSET"));
        }
        assert_int_equal(rmq_message_ext_property_count(mx), nprops);
        for (i = 0; i < nprops; i++) {
                const cJSON *je;
                assert_int_equal(
                    rmq_message_ext_property_at(mx, i, &name, &value), 1);
                je = cJSON_GetObjectItemCaseSensitive(jp, name);
                if (je)
                        assert_string_equal(value, je->valuestring);
                else if (!strcmp(name, "MIN_OFFSET"))
                        assert_string_equal(value, minOff);
                else if (!strcmp(name, "MAX_OFFSET"))
                        assert_string_equal(value, maxOff);
                else
                        fail_msg("unexpected property %s", name);
        }
        assert_int_equal(rmq_message_ext_property_at(mx, nprops, &name, &value),
                         0);
        assert_null(rmq_message_ext_property(mx, "NO_SUCH"));
        assert_null(rmq_message_ext_property(mx, NULL));

        /* getters derived from properties */
        e = cJSON_GetObjectItemCaseSensitive(jp, "TAGS");
        if (e)
                assert_string_equal(rmq_message_ext_tags(mx), e->valuestring);
        else
                assert_null(rmq_message_ext_tags(mx));
        e = cJSON_GetObjectItemCaseSensitive(jp, "KEYS");
        if (e)
                assert_string_equal(rmq_message_ext_keys(mx), e->valuestring);
        else
                assert_null(rmq_message_ext_keys(mx));
        expect_offset_msg_id(rmq_test_jstr(jm, "storeHost"),
                             rmq_test_jnum(jm, "commitLogOffset"), idbuf);
        assert_string_equal(rmq_message_ext_offset_msg_id(mx), idbuf);
        uniq = cJSON_GetObjectItemCaseSensitive(jp, "UNIQ_KEY")
                   ? rmq_test_jstr(jp, "UNIQ_KEY")
                   : NULL;
        assert_string_equal(rmq_message_ext_msg_id(mx), uniq ? uniq : idbuf);
        tran = cJSON_GetObjectItemCaseSensitive(jp, "TRAN_MSG")
                   ? rmq_test_jstr(jp, "TRAN_MSG")
                   : NULL;
        if (tran && !strcmp(tran, "true")) {
                assert_non_null(uniq);
                assert_string_equal(rmq_message_ext_transaction_id(mx), uniq);
        } else {
                assert_null(rmq_message_ext_transaction_id(mx));
        }

        /* body: inflated if compressed */
        body = rmq_message_ext_body(mx, &blen);
        if (sscanf(expect_body,
                   "zlib-compressed %lu bytes -> %lu bytes "
                   "inflated",
                   &clen, &ilen) == 2) {
                assert_true(rmq_message_ext_sys_flag(mx) &
                            RMQ_SYSFLAG_COMPRESSED);
                assert_int_equal(blen, ilen);
                assert_memory_equal(body, "big body 0123456789 abcdef", 26);
        } else {
                assert_int_equal(blen, strlen(expect_body));
                assert_memory_equal(body, expect_body, blen);
                /* not compressed: a view into the frame, BODYCRC over it */
                assert_int_equal(rmq__crc32_java(body, blen),
                                 rmq_message_ext_body_crc(mx));
        }
        assert_int_equal(rmq__mx_consume_start_time(mx), 0);
}

/* ---- fixtures ---- */

static void test_fixtures_match_index(void **state) {
        size_t n, i, files = 0, msgs = 0;
        char **names = rmq_test_fixture_list(&n);
        (void)state;
        for (i = 0; i < n; i++) {
                rmq_msg_decode_opts_t opts;
                rmq_msg_batch_t *batch = NULL;
                rmq_cmd_t *cmd;
                const char *minOff, *maxOff;
                char err[256] = "";
                cJSON *j, *jm;
                size_t k = 0;
                if (!rmq_test_fixture_has_stored_msgs(names[i]))
                        continue;
                cmd    = rmq_test_fixture_cmd(names[i], NULL, 0);
                j      = rmq_test_index_body_json(names[i]);
                minOff = rmq__cmd_ext(cmd, "minOffset");
                maxOff = rmq__cmd_ext(cmd, "maxOffset");
                memset(&opts, 0, sizeof(opts));
                opts.brokerName = "broker-a";
                if (minOff && maxOff) {
                        opts.hasOffsets = true;
                        assert_int_equal(
                            rmq__parse_i64(minOff, &opts.minOffset), 0);
                        assert_int_equal(
                            rmq__parse_i64(maxOff, &opts.maxOffset), 0);
                }
                /* the strings outlive the command: copy them */
                minOff = minOff ? strdup(minOff) : NULL;
                maxOff = maxOff ? strdup(maxOff) : NULL;
                if (decode_cmd(cmd, &opts, &batch, err, sizeof(err)))
                        fail_msg("%s: %s", names[i], err);
                rmq__cmd_destroy(cmd);
                assert_int_equal(rmq__msg_batch_count(batch),
                                 cJSON_GetArraySize(j));
                cJSON_ArrayForEach(jm, j) {
                        const rmq_message_ext_t *mx =
                            rmq__msg_batch_at(batch, k);
                        assert_ptr_equal(mx, rmq__msg_batch_msgs(batch)[k]);
                        assert_mx_matches(mx, jm, minOff, maxOff, NULL);
                        k++;
                        msgs++;
                }
                assert_null(rmq__msg_batch_at(batch, k));
                assert_int_equal(rmq__msg_batch_refcnt(batch), 1);
                rmq__msg_batch_release(batch);
                free((void *)minOff);
                free((void *)maxOff);
                cJSON_Delete(j);
                files++;
        }
        rmq_test_strv_free(names);
        assert_int_equal(files, 16);
        assert_true(msgs >= 40);
}

/* 079: the retry topic shows its RETRY_TOPIC when the group matches. */
static void test_retry_topic_restore_fixture(void **state) {
        static const struct {
                const char *group;
                const char *topic;
        } cases[] = {
            {"CG_CONC_r1", "TopicTest"},
            {NULL, "%RETRY%CG_CONC_r1"},
            {"CG_OTHER", "%RETRY%CG_CONC_r1"},
            {"CG_CONC_r", "%RETRY%CG_CONC_r1"},
        };
        size_t i;
        (void)state;
        for (i = 0; i < RMQ_ARRAY_SIZE(cases); i++) {
                rmq_msg_decode_opts_t opts;
                rmq_msg_batch_t *batch = NULL;
                rmq_cmd_t *cmd         = rmq_test_fixture_cmd("079-", NULL, 0);
                cJSON *j               = rmq_test_index_body_json(
                                  "079-broker2client-PULL_MESSAGE-response-"
                                                "SUCCESS-retry-topic.bin");
                memset(&opts, 0, sizeof(opts));
                opts.brokerName = "broker-a";
                opts.retryGroup = cases[i].group;
                assert_int_equal(decode_cmd(cmd, &opts, &batch, NULL, 0),
                                 RMQ_OK);
                rmq__cmd_destroy(cmd);
                assert_int_equal(rmq__msg_batch_count(batch), 1);
                assert_mx_matches(rmq__msg_batch_at(batch, 0), j->child, NULL,
                                  NULL, cases[i].topic);
                /* the property stays */
                assert_string_equal(
                    rmq_message_ext_property(rmq__msg_batch_at(batch, 0),
                                             "RETRY_TOPIC"),
                    "TopicTest");
                rmq__msg_batch_release(batch);
                cJSON_Delete(j);
        }
}

/* ---- synthetic stored messages ---- */

static void host4(rmq_msg_host_t *h, uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                  int32_t port) {
        memset(h, 0, sizeof(*h));
        h->ip[0] = a;
        h->ip[1] = b;
        h->ip[2] = c;
        h->ip[3] = d;
        h->ipLen = 4;
        h->port  = port;
}

static void view_init(rmq_msg_view_t *mv, const char *topic, const char *props,
                      size_t propsLen, const void *body, size_t bodyLen,
                      int64_t queueOffset) {
        memset(mv, 0, sizeof(*mv));
        mv->queueId         = 1;
        mv->queueOffset     = queueOffset;
        mv->commitLogOffset = 1000 + queueOffset;
        mv->bornTimestamp   = 1700000000000LL;
        mv->storeTimestamp  = 1700000000005LL;
        host4(&mv->bornHost, 10, 0, 0, 1, 40000);
        host4(&mv->storeHost, 10, 0, 0, 2, 10911);
        mv->body          = body;
        mv->bodyLen       = bodyLen;
        mv->topic         = topic;
        mv->topicLen      = strlen(topic);
        mv->properties    = props;
        mv->propertiesLen = propsLen;
}

/* Appends a stored message; props given as a C string (no NUL inside). */
static void put_msg(rmq_buf_t *out, const char *topic, const char *props,
                    const char *body, int64_t queueOffset) {
        rmq_msg_view_t mv;
        view_init(&mv, topic, props, strlen(props), body, strlen(body),
                  queueOffset);
        assert_int_equal(rmq__msg_encode_stored(out, &mv), RMQ_OK);
}

/* Decodes \p buf (copied: storage NULL); the batch must be released. */
static rmq_msg_batch_t *decode_buf(const rmq_buf_t *buf,
                                   const rmq_msg_decode_opts_t *opts) {
        rmq_msg_batch_t *batch = NULL;
        char err[256]          = "";
        if (rmq__msg_batch_decode(NULL, buf->data, buf->len, opts, &batch, err,
                                  sizeof(err)))
                fail_msg("decode: %s", err);
        return batch;
}

/* ---- compressed bodies ---- */

static void put_compressed(rmq_buf_t *out, int32_t sysFlag, const void *z,
                           size_t zlen, int64_t queueOffset) {
        rmq_msg_view_t mv;
        view_init(&mv, "TopicZ", "TAGS\001z", 6, z, zlen, queueOffset);
        mv.sysFlag = sysFlag;
        mv.bodyCRC = rmq__crc32_java(z, zlen);
        assert_int_equal(rmq__msg_encode_stored(out, &mv), RMQ_OK);
}

static void test_compressed_bodies(void **state) {
        rmq_deflater_t *dfl = rmq__deflater_new(5);
        rmq_buf_t z = RMQ_BUF_INIT, buf = RMQ_BUF_INIT;
        rmq_msg_batch_t *batch;
        rmq_msg_decode_opts_t opts;
        char raw[6000], err[256];
        const void *body;
        size_t i, blen;
        (void)state;
        for (i = 0; i < sizeof(raw); i++)
                raw[i] = (char)('a' + i % 23);
        assert_int_equal(rmq__deflater_compress(dfl, raw, sizeof(raw), &z),
                         RMQ_OK);
        /* 4.9.8 zlib type marker (769), the legacy flag (1), a plain one */
        put_compressed(&buf,
                       RMQ_SYSFLAG_COMPRESSED | RMQ_SYSFLAG_COMPRESSION_ZLIB,
                       z.data, z.len, 0);
        put_compressed(&buf, RMQ_SYSFLAG_COMPRESSED, z.data, z.len, 1);
        put_msg(&buf, "TopicZ", "", "plain", 2);
        /* compressed flag with an empty body: nothing to inflate (Java
         * reads a body only when bodyLen > 0) */
        put_compressed(&buf, RMQ_SYSFLAG_COMPRESSED, "", 0, 3);
        batch = decode_buf(&buf, NULL);
        assert_int_equal(rmq__msg_batch_count(batch), 4);
        for (i = 0; i < 2; i++) {
                body = rmq_message_ext_body(rmq__msg_batch_at(batch, i), &blen);
                assert_int_equal(blen, sizeof(raw));
                assert_memory_equal(body, raw, sizeof(raw));
                /* the sysFlag stays as stored */
                assert_true(
                    rmq_message_ext_sys_flag(rmq__msg_batch_at(batch, i)) &
                    RMQ_SYSFLAG_COMPRESSED);
        }
        body = rmq_message_ext_body(rmq__msg_batch_at(batch, 2), &blen);
        assert_int_equal(blen, 5);
        assert_memory_equal(body, "plain", 5);
        assert_null(rmq_message_ext_body(rmq__msg_batch_at(batch, 3), &blen));
        assert_int_equal(blen, 0);
        assert_null(rmq_message_ext_broker_name(rmq__msg_batch_at(batch, 0)));
        rmq__msg_batch_release(batch);

        /* the bound on an inflated body */
        memset(&opts, 0, sizeof(opts));
        opts.maxBodySize = sizeof(raw) - 1;
        batch            = NULL;
        err[0]           = '\0';
        assert_int_equal(rmq__msg_batch_decode(NULL, buf.data, buf.len, &opts,
                                               &batch, err, sizeof(err)),
                         RMQ_ERR__MSG_TOO_LARGE);
        assert_null(batch);
        assert_non_null(strstr(err, "#0 at byte 0"));
        opts.maxBodySize = sizeof(raw);
        batch            = decode_buf(&buf, &opts);
        rmq__msg_batch_release(batch);

        /* LZ4 and ZSTD are not supported; types 4..7 are malformed; a
         * corrupt stream is malformed; the second message's error names
         * its position */
        {
                static const struct {
                        int32_t sysFlag;
                        rmq_err_t err;
                } cases[] = {
                    {RMQ_SYSFLAG_COMPRESSED | RMQ_SYSFLAG_COMPRESSION_LZ4,
                     RMQ_ERR__NOT_SUPPORTED},
                    {RMQ_SYSFLAG_COMPRESSED | RMQ_SYSFLAG_COMPRESSION_ZSTD,
                     RMQ_ERR__NOT_SUPPORTED},
                    {RMQ_SYSFLAG_COMPRESSED | (5 << 8), RMQ_ERR__BAD_MSG},
                };
                for (i = 0; i < RMQ_ARRAY_SIZE(cases); i++) {
                        rmq_buf_t b2 = RMQ_BUF_INIT;
                        char pos[64];
                        size_t first;
                        put_msg(&b2, "TopicZ", "", "x", 0);
                        first = b2.len;
                        put_compressed(&b2, cases[i].sysFlag, z.data, z.len, 1);
                        batch = NULL;
                        assert_int_equal(
                            rmq__msg_batch_decode(NULL, b2.data, b2.len, NULL,
                                                  &batch, err, sizeof(err)),
                            cases[i].err);
                        assert_null(batch);
                        snprintf(pos, sizeof(pos), "#1 at byte %zu", first);
                        assert_non_null(strstr(err, pos));
                        rmq__buf_free(&b2);
                }
        }
        {
                rmq_buf_t b2 = RMQ_BUF_INIT;
                uint8_t *bad = malloc(z.len);
                memcpy(bad, z.data, z.len);
                bad[z.len / 2] ^= 0x55;
                bad[z.len - 1] ^= 0x55; /* adler32 */
                put_compressed(&b2, RMQ_SYSFLAG_COMPRESSED, bad, z.len, 0);
                batch = NULL;
                /* the storage is taken on failure too (ASan: no leak) */
                {
                        uint8_t *own = rmq__malloc(b2.len);
                        memcpy(own, b2.data, b2.len);
                        assert_int_equal(
                            rmq__msg_batch_decode(own, own, b2.len, NULL,
                                                  &batch, err, sizeof(err)),
                            RMQ_ERR__BAD_MSG);
                }
                assert_null(batch);
                free(bad);
                rmq__buf_free(&b2);
        }
        rmq__buf_free(&buf);
        rmq__buf_free(&z);
        rmq__deflater_destroy(dfl);
}

/* ---- tag filter ---- */

typedef struct tagset_s {
        const char *const *tags;
        size_t n;
        int calls;
} tagset_t;

static bool tagset_contains(const char *tags, size_t len, void *opaque) {
        tagset_t *ts = opaque;
        size_t i;
        ts->calls++;
        for (i = 0; i < ts->n; i++)
                if (rmq__streqn(tags, len, ts->tags[i]))
                        return true;
        return false;
}

static void test_tag_filter(void **state) {
        static const char *const keep[] = {"TagA", "TagC"};
        tagset_t ts                     = {keep, 2, 0};
        rmq_buf_t buf                   = RMQ_BUF_INIT;
        rmq_msg_batch_t *batch;
        rmq_msg_decode_opts_t opts;
        (void)state;
        put_msg(&buf, "T", "TAGS\001TagA", "0", 0);
        put_msg(&buf, "T", "TAGS\001TagB", "1", 1);
        put_msg(&buf, "T", "KEYS\001k", "2", 2); /* no TAGS: dropped */
        put_msg(&buf, "T", "TAGS\001TagC\002KEYS\001k3", "3", 3);
        put_msg(&buf, "T", "TAGS\001TagAB", "4", 4);
        /* a repeated TAGS: the last one counts (HashMap) */
        put_msg(&buf, "T", "TAGS\001TagB\002TAGS\001TagA", "5", 5);
        memset(&opts, 0, sizeof(opts));
        opts.tagFilter       = tagset_contains;
        opts.tagFilterOpaque = &ts;
        opts.hasOffsets      = true;
        opts.minOffset       = 0;
        opts.maxOffset       = 6;
        batch                = decode_buf(&buf, &opts);
        assert_int_equal(ts.calls, 5);
        assert_int_equal(rmq__msg_batch_count(batch), 3);
        assert_int_equal(
            rmq_message_ext_queue_offset(rmq__msg_batch_at(batch, 0)), 0);
        assert_int_equal(
            rmq_message_ext_queue_offset(rmq__msg_batch_at(batch, 1)), 3);
        assert_string_equal(rmq_message_ext_keys(rmq__msg_batch_at(batch, 1)),
                            "k3");
        assert_int_equal(
            rmq_message_ext_queue_offset(rmq__msg_batch_at(batch, 2)), 5);
        assert_string_equal(rmq_message_ext_tags(rmq__msg_batch_at(batch, 2)),
                            "TagA");
        assert_string_equal(
            rmq_message_ext_property(rmq__msg_batch_at(batch, 2), "MAX_OFFSET"),
            "6");
        rmq__msg_batch_release(batch);

        /* everything filtered: an empty batch */
        ts.n  = 0;
        batch = decode_buf(&buf, &opts);
        assert_int_equal(rmq__msg_batch_count(batch), 0);
        assert_null(rmq__msg_batch_at(batch, 0));
        rmq__msg_batch_release(batch);

        /* no filter: everything */
        batch = decode_buf(&buf, NULL);
        assert_int_equal(rmq__msg_batch_count(batch), 6);
        assert_null(rmq_message_ext_tags(rmq__msg_batch_at(batch, 2)));
        rmq__msg_batch_release(batch);
        rmq__buf_free(&buf);
}

/* ---- retry topic and namespace ---- */

/* The topics of the first \p n messages of \p batch. */
static void assert_topics(const rmq_msg_batch_t *batch, const char *const *want,
                          size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                assert_string_equal(
                    rmq_message_ext_topic(rmq__msg_batch_at(batch, i)),
                    want[i]);
}

static void test_retry_and_namespace(void **state) {
        /* the topics of the 8 messages below, in order */
        static const char *const ns_topics[] = {
            "TopicA",              /* retry topic restored */
            "TopicB",              /* namespace stripped */
            "%RETRY%other",        /* another group's retry topic */
            "%RETRY%grp",          /* no RETRY_TOPIC */
            "ns2%TopicD",          /* another namespace */
            "%DLQ%grp",            /* DLQ */
            "RMQ_SYS_TRACE_TOPIC", /* system topic */
            "TopicE",              /* RETRY_TOPIC ignored */
        };
        static const char *const no_ns_topics[] = {"ns1%TopicA", "ns1%TopicB"};
        rmq_buf_t buf                           = RMQ_BUF_INIT;
        rmq_msg_batch_t *batch;
        rmq_msg_decode_opts_t opts;
        (void)state;
        /* 0: retry message of our group (namespaced) */
        put_msg(&buf, "%RETRY%ns1%grp", "RETRY_TOPIC\001ns1%TopicA", "0", 0);
        /* 1: plain namespaced topic */
        put_msg(&buf, "ns1%TopicB", "", "1", 1);
        /* 2: retry topic of another group: not restored, ns stripped */
        put_msg(&buf, "%RETRY%ns1%other", "RETRY_TOPIC\001ns1%TopicC", "2", 2);
        /* 3: our retry topic without RETRY_TOPIC: ns stripped */
        put_msg(&buf, "%RETRY%ns1%grp", "", "3", 3);
        /* 4: another namespace: unchanged */
        put_msg(&buf, "ns2%TopicD", "", "4", 4);
        /* 5: DLQ topic */
        put_msg(&buf, "%DLQ%ns1%grp", "", "5", 5);
        /* 6: a system topic is never unwrapped */
        put_msg(&buf, "RMQ_SYS_TRACE_TOPIC", "", "6", 6);
        /* 7: RETRY_TOPIC on a non-retry topic: ignored */
        put_msg(&buf, "ns1%TopicE", "RETRY_TOPIC\001ns1%TopicF", "7", 7);
        memset(&opts, 0, sizeof(opts));
        opts.retryGroup = "ns1%grp";
        opts.ns         = "ns1";
        batch           = decode_buf(&buf, &opts);
        assert_int_equal(rmq__msg_batch_count(batch), 8);
        assert_topics(batch, ns_topics, RMQ_ARRAY_SIZE(ns_topics));
        /* the property itself is untouched */
        assert_string_equal(rmq_message_ext_property(
                                rmq__msg_batch_at(batch, 0), "RETRY_TOPIC"),
                            "ns1%TopicA");
        rmq__msg_batch_release(batch);

        /* an empty namespace strips nothing; the retry restore alone */
        opts.ns = "";
        batch   = decode_buf(&buf, &opts);
        assert_topics(batch, no_ns_topics, RMQ_ARRAY_SIZE(no_ns_topics));
        rmq__msg_batch_release(batch);
        rmq__buf_free(&buf);
}

/* ---- property rules (MessageDecoder.string2messageProperties) ---- */

static void decode_props(const char *props, size_t len,
                         const rmq_msg_decode_opts_t *opts,
                         rmq_msg_batch_t **batchp,
                         const rmq_message_ext_t **mxp) {
        rmq_buf_t buf = RMQ_BUF_INIT;
        rmq_msg_view_t mv;
        view_init(&mv, "T", props, len, "b", 1, 0);
        assert_int_equal(rmq__msg_encode_stored(&buf, &mv), RMQ_OK);
        *batchp = decode_buf(&buf, opts);
        assert_int_equal(rmq__msg_batch_count(*batchp), 1);
        *mxp = rmq__msg_batch_at(*batchp, 0);
        rmq__buf_free(&buf);
}

#define PROPS(s) (s), sizeof(s) - 1

static void test_property_rules(void **state) {
        rmq_msg_batch_t *batch;
        const rmq_message_ext_t *mx;
        rmq_msg_decode_opts_t opts;
        const char *n, *v;
        (void)state;

        /* short entries, empty key or value, no separator: skipped; the
         * key ends at the first \001, the value keeps later ones */
        decode_props(PROPS("a\001b\002\002x\002\001yz\002k\001\002"
                           "kk\001v\001w\002AB\002"
                           "ab\001c\002\001\001\002z\001\001"),
                     NULL, &batch, &mx);
        assert_string_equal(rmq_message_ext_property(mx, "a"), "b");
        assert_string_equal(rmq_message_ext_property(mx, "kk"), "v\001w");
        assert_string_equal(rmq_message_ext_property(mx, "ab"), "c");
        /* "z\001\001": key z, value "\001" (the first \001 ends the key) */
        assert_string_equal(rmq_message_ext_property(mx, "z"), "\001");
        assert_null(rmq_message_ext_property(mx, "x"));
        assert_null(rmq_message_ext_property(mx, "k"));
        assert_null(rmq_message_ext_property(mx, ""));
        assert_null(rmq_message_ext_property(mx, "AB"));
        assert_int_equal(rmq_message_ext_property_count(mx), 4);
        rmq__msg_batch_release(batch);

        /* a repeated name: the last value, listed once */
        decode_props(PROPS("K\0011\002L\001x\002K\0012\002K\0013"), NULL,
                     &batch, &mx);
        assert_string_equal(rmq_message_ext_property(mx, "K"), "3");
        assert_int_equal(rmq_message_ext_property_count(mx), 2);
        assert_int_equal(rmq_message_ext_property_at(mx, 0, &n, &v), 1);
        assert_string_equal(n, "L");
        assert_string_equal(v, "x");
        assert_int_equal(rmq_message_ext_property_at(mx, 1, &n, &v), 1);
        assert_string_equal(n, "K");
        assert_string_equal(v, "3");
        assert_int_equal(rmq_message_ext_property_at(mx, 2, &n, &v), 0);
        assert_int_equal(rmq_message_ext_property_at(mx, 1, NULL, NULL), 1);
        rmq__msg_batch_release(batch);

        /* a value with a NUL is cut there; a name with a NUL is left out */
        decode_props(PROPS("v\001ab\0cd\002n\0m\001x\002w\001y"), NULL, &batch,
                     &mx);
        assert_string_equal(rmq_message_ext_property(mx, "v"), "ab");
        assert_string_equal(rmq_message_ext_property(mx, "w"), "y");
        assert_null(rmq_message_ext_property(mx, "n"));
        assert_int_equal(rmq_message_ext_property_count(mx), 2);
        rmq__msg_batch_release(batch);

        /* CONSUME_START_TIME from the wire: a field, not a property;
         * MIN/MAX_OFFSET from the wire answer without pull offsets... */
        decode_props(PROPS("CONSUME_START_TIME\001123456\002MIN_OFFSET\0017"
                           "\002MAX_OFFSET\0019\002UNIQ_KEY\001U1"),
                     NULL, &batch, &mx);
        assert_null(rmq_message_ext_property(mx, "CONSUME_START_TIME"));
        assert_int_equal(rmq__mx_consume_start_time(mx), 123456);
        assert_string_equal(rmq_message_ext_property(mx, "MIN_OFFSET"), "7");
        assert_string_equal(rmq_message_ext_property(mx, "MAX_OFFSET"), "9");
        assert_int_equal(rmq_message_ext_property_count(mx), 3);
        assert_string_equal(rmq_message_ext_msg_id(mx), "U1");
        {
                int64_t mo = 0;
                assert_true(rmq__mx_max_offset(mx, &mo));
                assert_int_equal(mo, 9);
        }
        rmq__mx_set_consume_start_time((rmq_message_ext_t *)mx, 42);
        assert_int_equal(rmq__mx_consume_start_time(mx), 42);
        rmq__msg_batch_release(batch);

        /* ...and are replaced by the pull response's */
        memset(&opts, 0, sizeof(opts));
        opts.hasOffsets = true;
        opts.minOffset  = -5;
        opts.maxOffset  = INT64_MAX;
        decode_props(PROPS("MIN_OFFSET\0017\002MAX_OFFSET\0019\002"
                           "CONSUME_START_TIME\001x"),
                     &opts, &batch, &mx);
        assert_string_equal(rmq_message_ext_property(mx, "MIN_OFFSET"), "-5");
        assert_string_equal(rmq_message_ext_property(mx, "MAX_OFFSET"),
                            "9223372036854775807");
        assert_int_equal(rmq_message_ext_property_count(mx), 2);
        assert_int_equal(rmq__mx_consume_start_time(mx), 0);
        rmq__msg_batch_release(batch);

        /* TRAN_MSG (any case of "true") makes UNIQ_KEY the transaction id;
         * without UNIQ_KEY there is none; "yes" is false */
        decode_props(PROPS("TRAN_MSG\001TRUE\002UNIQ_KEY\001ABC"), NULL, &batch,
                     &mx);
        assert_string_equal(rmq_message_ext_transaction_id(mx), "ABC");
        rmq__msg_batch_release(batch);
        decode_props(PROPS("TRAN_MSG\001true"), NULL, &batch, &mx);
        assert_null(rmq_message_ext_transaction_id(mx));
        rmq__msg_batch_release(batch);
        decode_props(PROPS("TRAN_MSG\001yes\002UNIQ_KEY\001ABC"), NULL, &batch,
                     &mx);
        assert_null(rmq_message_ext_transaction_id(mx));
        rmq__msg_batch_release(batch);

        /* no properties at all; no UNIQ_KEY: msgId is the offset id */
        decode_props("", 0, NULL, &batch, &mx);
        assert_int_equal(rmq_message_ext_property_count(mx), 0);
        assert_int_equal(rmq_message_ext_property_at(mx, 0, &n, &v), 0);
        assert_string_equal(rmq_message_ext_msg_id(mx),
                            rmq_message_ext_offset_msg_id(mx));
        assert_string_equal(rmq_message_ext_offset_msg_id(mx),
                            "0A00000200002A9F00000000000003E8");
        rmq__msg_batch_release(batch);
}

/* ---- references ---- */

static void test_retain_outlives_owner(void **state) {
        rmq_buf_t buf          = RMQ_BUF_INIT;
        rmq_msg_batch_t *batch = NULL;
        rmq_message_ext_t *kept, *kept2;
        uint8_t *storage;
        const void *body;
        size_t blen, len;
        (void)state;
        put_msg(&buf, "TopicR", "TAGS\001t\002KEYS\001k1 k2", "first", 7);
        put_msg(&buf, "TopicR", "TAGS\001u", "second", 8);

        /* the batch owns the storage; the body is a view into it */
        len     = buf.len;
        storage = rmq__malloc(len);
        memcpy(storage, buf.data, len);
        assert_int_equal(
            rmq__msg_batch_decode(storage, storage, len, NULL, &batch, NULL, 0),
            RMQ_OK);
        body = rmq_message_ext_body(rmq__msg_batch_at(batch, 1), &blen);
        assert_true((const uint8_t *)body > storage &&
                    (const uint8_t *)body < storage + len);

        kept = rmq_message_ext_retain(rmq__msg_batch_at(batch, 1));
        assert_ptr_equal(kept, rmq__msg_batch_at(batch, 1));
        assert_int_equal(rmq__msg_batch_refcnt(batch), 2);
        rmq__msg_batch_retain_n(batch, 3);
        assert_int_equal(rmq__msg_batch_refcnt(batch), 5);
        rmq_message_ext_release(rmq__msg_batch_at(batch, 0));
        rmq_message_ext_release(rmq__msg_batch_at(batch, 0));
        rmq_message_ext_release(rmq__msg_batch_at(batch, 1));
        kept2 = rmq_message_ext_retain(rmq__msg_batch_at(batch, 0));
        /* the owner lets go: the kept messages still read (ASan) */
        rmq__msg_batch_release(batch);
        assert_int_equal(rmq__msg_batch_refcnt(rmq__mx_batch(kept)), 2);
        body = rmq_message_ext_body(kept, &blen);
        assert_int_equal(blen, 6);
        assert_memory_equal(body, "second", 6);
        assert_string_equal(rmq_message_ext_topic(kept), "TopicR");
        assert_string_equal(rmq_message_ext_tags(kept), "u");
        assert_string_equal(rmq_message_ext_keys(kept2), "k1 k2");
        rmq_message_ext_release(kept);
        assert_string_equal(rmq_message_ext_born_host(kept2), "10.0.0.1:40000");
        rmq_message_ext_release(kept2); /* frees everything (ASan) */
        rmq_message_ext_release(NULL);
        rmq__msg_batch_release(NULL);

        /* storage NULL: the body is copied into the batch */
        batch = decode_buf(&buf, NULL);
        body  = rmq_message_ext_body(rmq__msg_batch_at(batch, 0), &blen);
        assert_true((const uint8_t *)body < buf.data ||
                    (const uint8_t *)body >= buf.data + buf.len);
        memset(buf.data, 0xEE, buf.len);
        assert_memory_equal(body, "first", 5);
        rmq__msg_batch_release(batch);
        rmq__buf_free(&buf);
}

/* ---- IPv6 ---- */

static void test_ipv6_hosts(void **state) {
        rmq_buf_t buf = RMQ_BUF_INIT;
        rmq_msg_batch_t *batch;
        const rmq_message_ext_t *mx;
        rmq_msg_view_t mv;
        (void)state;
        view_init(&mv, "T6", "TAGS\001v6", 7, "six", 3, 11);
        assert_int_equal(rmq__msg_host_parse("[fd00::2]:1234", &mv.bornHost),
                         0);
        assert_int_equal(
            rmq__msg_host_parse("[2001:db8:0:1::ff]:10911", &mv.storeHost), 0);
        mv.commitLogOffset = 0x0102030405060708LL;
        assert_int_equal(rmq__msg_encode_stored(&buf, &mv), RMQ_OK);
        /* an IPv4 message after it: the flags are per message */
        put_msg(&buf, "T4", "", "four", 12);
        batch = decode_buf(&buf, NULL);
        assert_int_equal(rmq__msg_batch_count(batch), 2);
        mx = rmq__msg_batch_at(batch, 0);
        assert_true(rmq_message_ext_sys_flag(mx) & RMQ_SYSFLAG_BORNHOST_V6);
        assert_true(rmq_message_ext_sys_flag(mx) & RMQ_SYSFLAG_STOREHOST_V6);
        assert_string_equal(rmq_message_ext_born_host(mx),
                            "fd00:0:0:0:0:0:0:2:1234");
        assert_string_equal(rmq_message_ext_store_host(mx),
                            "2001:db8:0:1:0:0:0:ff:10911");
        assert_string_equal(rmq_message_ext_offset_msg_id(mx),
                            "20010DB80000000100000000000000FF00002A9F"
                            "0102030405060708");
        assert_int_equal(strlen(rmq_message_ext_offset_msg_id(mx)), 56);
        assert_string_equal(rmq_message_ext_msg_id(mx),
                            rmq_message_ext_offset_msg_id(mx));
        mx = rmq__msg_batch_at(batch, 1);
        assert_string_equal(rmq_message_ext_store_host(mx), "10.0.0.2:10911");
        assert_int_equal(strlen(rmq_message_ext_offset_msg_id(mx)), 32);
        rmq__msg_batch_release(batch);
        rmq__buf_free(&buf);
}

/* ---- malformed input ---- */

static void test_empty_and_bad_input(void **state) {
        rmq_msg_batch_t *batch = NULL;
        rmq_buf_t buf          = RMQ_BUF_INIT;
        char err[256];
        (void)state;
        assert_int_equal(
            rmq__msg_batch_decode(NULL, NULL, 0, NULL, &batch, NULL, 0),
            RMQ_OK);
        assert_int_equal(rmq__msg_batch_count(batch), 0);
        rmq__msg_batch_release(batch);

        put_msg(&buf, "T", "", "0", 0);
        put_msg(&buf, "T", "", "1", 1);
        put_msg(&buf, "T", "", "2", 2);
        /* a bad magic code in the second message */
        buf.data[buf.len / 3 + 4] ^= 0x01;
        batch = NULL;
        assert_int_equal(rmq__msg_batch_decode(NULL, buf.data, buf.len, NULL,
                                               &batch, err, sizeof(err)),
                         RMQ_ERR__BAD_MSG);
        assert_null(batch);
        {
                char pos[64];
                snprintf(pos, sizeof(pos), "#1 at byte %zu of %zu", buf.len / 3,
                         buf.len);
                assert_non_null(strstr(err, pos));
        }
        rmq__buf_free(&buf);
}

/* xorshift64*, seeded: reproducible. */
static uint64_t rnd_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
        rnd_state ^= rnd_state >> 12;
        rnd_state ^= rnd_state << 25;
        rnd_state ^= rnd_state >> 27;
        return rnd_state * 0x2545F4914F6CDD1DULL;
}

/* Reads everything a listener could read. */
static void touch_all(const rmq_msg_batch_t *batch) {
        size_t i, j, blen, sum = 0;
        for (i = 0; i < rmq__msg_batch_count(batch); i++) {
                const rmq_message_ext_t *mx = rmq__msg_batch_at(batch, i);
                const char *n, *v;
                const uint8_t *b = rmq_message_ext_body(mx, &blen);
                for (j = 0; j < blen; j++)
                        sum += b[j];
                sum += strlen(rmq_message_ext_topic(mx));
                sum += strlen(rmq_message_ext_msg_id(mx));
                sum += strlen(rmq_message_ext_born_host(mx));
                sum += strlen(rmq_message_ext_store_host(mx));
                for (j = 0; rmq_message_ext_property_at(mx, j, &n, &v); j++)
                        sum += strlen(n) + strlen(v) +
                               (rmq_message_ext_property(mx, n) != NULL);
                if (rmq_message_ext_tags(mx))
                        sum += strlen(rmq_message_ext_tags(mx));
        }
        (void)sum;
}

static bool keep_even(const char *tags, size_t len, void *opaque) {
        (void)opaque;
        return len > 0 && (tags[len - 1] & 1) == 0;
}

static void test_truncation_and_corruption(void **state) {
        rmq_deflater_t *dfl = rmq__deflater_new(5);
        rmq_buf_t buf = RMQ_BUF_INIT, z = RMQ_BUF_INIT;
        rmq_msg_decode_opts_t opts;
        rmq_cmd_t *cmd;
        size_t cut, i, ok = 0, boundaries = 0;
        char raw[300];
        (void)state;
        /* a real three-message body, a compressed one, a retry one */
        cmd = rmq_test_fixture_cmd("066-", NULL, 0);
        rmq__buf_put(&buf, cmd->body, cmd->body_len);
        rmq__cmd_destroy(cmd);
        memset(raw, 'q', sizeof(raw));
        assert_int_equal(rmq__deflater_compress(dfl, raw, sizeof(raw), &z),
                         RMQ_OK);
        put_compressed(&buf,
                       RMQ_SYSFLAG_COMPRESSED | RMQ_SYSFLAG_COMPRESSION_ZLIB,
                       z.data, z.len, 3);
        cmd = rmq_test_fixture_cmd("079-", NULL, 0);
        rmq__buf_put(&buf, cmd->body, cmd->body_len);
        rmq__cmd_destroy(cmd);

        memset(&opts, 0, sizeof(opts));
        opts.brokerName = "b";
        opts.hasOffsets = true;
        opts.maxOffset  = 10;
        opts.retryGroup = "CG_CONC_r1";
        opts.ns         = "CG";
        opts.tagFilter  = keep_even;

        /* every truncation: OK exactly at message boundaries */
        for (cut = 0; cut <= buf.len; cut++) {
                rmq_msg_batch_t *batch = NULL;
                uint8_t *own           = rmq__malloc(cut ? cut : 1);
                rmq_err_t err;
                memcpy(own, buf.data, cut);
                err = rmq__msg_batch_decode(
                    own, own, cut, cut % 2 ? &opts : NULL, &batch, NULL, 0);
                if (err) {
                        assert_int_equal(err, RMQ_ERR__BAD_MSG);
                        assert_null(batch);
                        continue;
                }
                boundaries++;
                touch_all(batch);
                rmq__msg_batch_release(batch);
        }
        assert_int_equal(boundaries, 6); /* 0 bytes and after each of 5 */

        /* random corruption: 1..8 bytes changed */
        for (i = 0; i < 20000; i++) {
                rmq_msg_batch_t *batch = NULL;
                uint8_t *copy          = rmq__malloc(buf.len);
                size_t flips           = 1 + rnd() % 8, f;
                rmq_err_t err;
                memcpy(copy, buf.data, buf.len);
                for (f = 0; f < flips; f++) {
                        size_t at = rnd() % buf.len;
                        copy[at] =
                            (uint8_t)(rnd() % 4
                                          ? rnd()
                                          : copy[at] ^ (1u << (rnd() % 8)));
                }
                err = rmq__msg_batch_decode(i % 3 ? copy : NULL, copy, buf.len,
                                            i % 2 ? &opts : NULL, &batch, NULL,
                                            0);
                if (i % 3 == 0)
                        rmq__free(copy);
                if (err) {
                        assert_null(batch);
                        assert_true(err == RMQ_ERR__BAD_MSG ||
                                    err == RMQ_ERR__NOT_SUPPORTED ||
                                    err == RMQ_ERR__MSG_TOO_LARGE);
                        continue;
                }
                ok++;
                touch_all(batch);
                rmq__msg_batch_release(batch);
        }
        /* flips inside bodies and properties decode fine */
        assert_true(ok > 100);
        rmq__buf_free(&buf);
        rmq__buf_free(&z);
        rmq__deflater_destroy(dfl);
}

/* ---- concurrent readers (TSan) ---- */

typedef struct readers_s {
        rmq_msg_batch_t *batch;
        int64_t seen;
} readers_t;

static void reader_run(void *arg) {
        readers_t *r = arg;
        int round;
        for (round = 0; round < 2000; round++) {
                size_t i = (size_t)round % rmq__msg_batch_count(r->batch);
                rmq_message_ext_t *mx =
                    rmq_message_ext_retain(rmq__msg_batch_at(r->batch, i));
                touch_all(r->batch);
                /* the consume service stamps, cleanExpiredMsg reads */
                rmq__mx_set_consume_start_time(mx, round + 1);
                r->seen += rmq__mx_consume_start_time(mx) > 0;
                rmq_message_ext_release(mx);
        }
}

static void test_concurrent_readers(void **state) {
        rmq_cmd_t *cmd = rmq_test_fixture_cmd("066-", NULL, 0);
        rmq_msg_decode_opts_t opts;
        rmq_msg_batch_t *batch = NULL;
        readers_t r[4];
        uv_thread_t t[4];
        int i;
        (void)state;
        memset(&opts, 0, sizeof(opts));
        opts.brokerName = "broker-a";
        opts.hasOffsets = true;
        opts.maxOffset  = 3;
        assert_int_equal(decode_cmd(cmd, &opts, &batch, NULL, 0), RMQ_OK);
        rmq__cmd_destroy(cmd);
        /* one reference per reader thread, dropped by each */
        rmq__msg_batch_retain_n(batch, 4);
        for (i = 0; i < 4; i++) {
                r[i].batch = batch;
                r[i].seen  = 0;
                assert_int_equal(uv_thread_create(&t[i], reader_run, &r[i]), 0);
        }
        rmq__msg_batch_release(batch); /* the owner lets go at once */
        for (i = 0; i < 4; i++) {
                uv_thread_join(&t[i]);
                assert_int_equal(r[i].seen, 2000);
                rmq__msg_batch_release(batch);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fixtures_match_index),
            cmocka_unit_test(test_retry_topic_restore_fixture),
            cmocka_unit_test(test_compressed_bodies),
            cmocka_unit_test(test_tag_filter),
            cmocka_unit_test(test_retry_and_namespace),
            cmocka_unit_test(test_property_rules),
            cmocka_unit_test(test_retain_outlives_owner),
            cmocka_unit_test(test_ipv6_hosts),
            cmocka_unit_test(test_empty_and_bad_input),
            cmocka_unit_test(test_truncation_and_corruption),
            cmocka_unit_test(test_concurrent_readers),
        };
        return cmocka_run_group_tests_name("message_ext", tests, NULL, NULL);
}
