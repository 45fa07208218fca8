/* SPDX-License-Identifier: Apache-2.0 */
/* Message codec: every stored message in the captured PULL_MESSAGE and
 * CHECK_TRANSACTION_STATE bodies decodes to what INDEX.md says and
 * re-encodes to the same bytes; the batch body and the properties of every
 * captured send decode and re-encode; the compressor reproduces the Java
 * client's zlib stream; malformed input gives clean errors. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "common/rmq_str.h"
#include "protocol/rmq_message_codec.h"
#include "remoting/rmq_remoting_cmd.h"
#include "testutil.h"

/* ---- fixture helpers ---- */

static void assert_host(const rmq_msg_host_t *h, const char *expect) {
        char s[80];
        rmq__msg_host_format(h, s, sizeof(s));
        assert_string_equal(s, expect);
}

/* Properties equal the INDEX object (a map: a name the broker wrote twice,
 * as WAIT in stored batch messages, appears once there, in the order of
 * its first appearance). */
static void assert_props(const char *props, size_t len, const cJSON *jp) {
        rmq_props_iter_t it;
        const cJSON *e = jp->child;
        const char *k, *v, *gv;
        size_t kl, vl, gvl;
        rmq__props_iter_init(&it, props, len);
        while (rmq__props_next(&it, &k, &kl, &v, &vl)) {
                char *kz = strndup(k, kl);
                const cJSON *je = cJSON_GetObjectItemCaseSensitive(jp, kz);
                assert_non_null(je);
                if (je == e)
                        e = e->next; /* first appearance, in order */
                assert_int_equal(rmq__props_get(props, len, kz, &gv, &gvl),
                                 0);
                assert_true(rmq__streqn(gv, gvl, je->valuestring));
                free(kz);
        }
        assert_null(e); /* every INDEX entry seen, in order */
}

static void assert_body(const rmq_msg_view_t *mv, const char *expect) {
        unsigned long clen, ilen;
        if (sscanf(expect, "zlib-compressed %lu bytes -> %lu bytes inflated",
                   &clen, &ilen) == 2) {
                uint8_t *out = NULL;
                size_t outlen = 0;
                assert_true(mv->sysFlag & RMQ_SYSFLAG_COMPRESSED);
                assert_int_equal(mv->bodyLen, clen);
                assert_int_equal(rmq__msg_body_decompress(mv->sysFlag,
                                                          mv->body,
                                                          mv->bodyLen,
                                                          4 << 20, &out,
                                                          &outlen),
                                 RMQ_OK);
                assert_int_equal(outlen, ilen);
                assert_memory_equal(out, "big body 0123456789 abcdef", 26);
                rmq__free(out);
        } else {
                assert_false(mv->sysFlag & RMQ_SYSFLAG_COMPRESSED);
                assert_int_equal(mv->bodyLen, strlen(expect));
                assert_memory_equal(mv->body, expect, mv->bodyLen);
        }
}

static void assert_msg_matches(const rmq_msg_view_t *mv, const cJSON *jm) {
        const rmq_test_jnum_t nums[] = {
            {mv->storeSize, "totalSize"},
            {mv->bodyCRC, "bodyCRC"},
            {mv->queueId, "queueId"},
            {mv->flag, "flag"},
            {mv->queueOffset, "queueOffset"},
            {mv->commitLogOffset, "commitLogOffset"},
            {mv->sysFlag, "sysFlag"},
            {mv->bornTimestamp, "bornTimestamp"},
            {mv->storeTimestamp, "storeTimestamp"},
            {mv->reconsumeTimes, "reconsumeTimes"},
            {mv->preparedTransactionOffset, "preparedTransactionOffset"},
        };
        char magic[24];
        rmq_test_assert_jnums(jm, nums, RMQ_ARRAY_SIZE(nums));
        snprintf(magic, sizeof(magic), "0x%08X", (uint32_t)mv->magicCode);
        assert_string_equal(magic, rmq_test_jstr(jm, "magicCode"));
        assert_host(&mv->bornHost, rmq_test_jstr(jm, "bornHost"));
        assert_host(&mv->storeHost, rmq_test_jstr(jm, "storeHost"));
        assert_true(
            rmq__streqn(mv->topic, mv->topicLen, rmq_test_jstr(jm, "topic")));
        assert_props(mv->properties, mv->propertiesLen,
                     cJSON_GetObjectItemCaseSensitive(jm, "properties"));
        assert_body(mv, rmq_test_jstr(jm, "body"));
        /* The broker's BODYCRC is UtilAll.crc32 of the stored body. */
        assert_int_equal(rmq__crc32_java(mv->body, mv->bodyLen), mv->bodyCRC);
}

/* ---- tests ---- */

static void test_every_stored_body_matches_index(void **state) {
        size_t n, i, files = 0, msgs = 0;
        char **names = rmq_test_fixture_list(&n);
        (void)state;
        for (i = 0; i < n; i++) {
                rmq_cmd_t *cmd;
                cJSON *j, *jm;
                rmq_rd_t rd;
                rmq_buf_t re = RMQ_BUF_INIT;
                if (!rmq_test_fixture_has_stored_msgs(names[i]))
                        continue;
                cmd = rmq_test_fixture_cmd(names[i], NULL, 0);
                j   = rmq_test_index_body_json(names[i]);
                rmq__rd_init(&rd, cmd->body, cmd->body_len);
                cJSON_ArrayForEach(jm, j) {
                        rmq_msg_view_t mv;
                        assert_true(rmq__rd_remains(&rd) > 0);
                        assert_int_equal(rmq__msg_decode_next(&rd, &mv),
                                         RMQ_OK);
                        assert_msg_matches(&mv, jm);
                        assert_int_equal(rmq__msg_encode_stored(&re, &mv),
                                         RMQ_OK);
                        msgs++;
                }
                assert_int_equal(rmq__rd_remains(&rd), 0);
                assert_int_equal(rd.err, RMQ_OK);
                /* Re-encoding every view gives the broker's bytes back. */
                assert_int_equal(re.len, cmd->body_len);
                assert_memory_equal(re.data, cmd->body, re.len);
                rmq__buf_free(&re);
                cJSON_Delete(j);
                rmq__cmd_destroy(cmd);
                files++;
        }
        rmq_test_strv_free(names);
        assert_int_equal(files, 16);
        assert_true(msgs >= 40);
}

static void test_check_transaction_offset_msg_id(void **state) {
        rmq_cmd_t *cmd = rmq_test_fixture_cmd("076-", NULL, 0);
        rmq_rd_t rd;
        rmq_msg_view_t mv;
        char id[RMQ_OFFSET_MSG_ID_MAX + 1], addr[64];
        const char *v;
        size_t vl;
        int64_t off;
        (void)state;
        rmq__rd_init(&rd, cmd->body, cmd->body_len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        assert_int_equal(rmq__offset_msg_id_create(&mv.storeHost,
                                                   mv.commitLogOffset, id),
                         32);
        assert_string_equal(id, rmq__cmd_ext(cmd, "offsetMsgId"));
        assert_int_equal(rmq__offset_msg_id_decode_addr(id, strlen(id), addr,
                                                        sizeof(addr), &off),
                         RMQ_OK);
        assert_string_equal(addr, "127.0.0.1:10911");
        assert_int_equal(off, 6129);
        /* the header's msgId is the message's UNIQ_KEY */
        assert_int_equal(rmq__props_get(mv.properties, mv.propertiesLen,
                                        RMQ_PROP_UNIQ_KEY, &v, &vl),
                         0);
        assert_true(rmq__streqn(v, vl, rmq__cmd_ext(cmd, "msgId")));
        assert_int_equal(rmq__sysflag_transaction(mv.sysFlag),
                         RMQ_SYSFLAG_TRANSACTION_NOT);
        rmq__cmd_destroy(cmd);
}

static void test_send_header_properties(void **state) {
        size_t n, i, seen = 0;
        char **names = rmq_test_fixture_list(&n);
        (void)state;
        for (i = 0; i < n; i++) {
                rmq_cmd_t *cmd;
                const char *props, *k, *v;
                size_t kl, vl, cnt = 0;
                rmq_props_iter_t it;
                rmq_buf_t re = RMQ_BUF_INIT;
                if (!strstr(names[i], "client2broker-SEND_"))
                        continue;
                cmd   = rmq_test_fixture_cmd(names[i], NULL, 0);
                props = rmq__cmd_ext(cmd, "i");
                assert_non_null(props);
                /* Rebuild the string from the parsed entries: it must be
                 * the same bytes (no trailing separator, order kept). */
                rmq__props_iter_init(&it, props, strlen(props));
                while (rmq__props_next(&it, &k, &kl, &v, &vl)) {
                        char *kz = strndup(k, kl), *vz = strndup(v, vl);
                        rmq__props_append(&re, 0, kz, vz);
                        free(kz);
                        free(vz);
                        cnt++;
                }
                assert_int_equal(re.len, strlen(props));
                assert_memory_equal(re.data, props, re.len);
                assert_int_equal(rmq__props_get(props, strlen(props),
                                                RMQ_PROP_WAIT, &v, &vl),
                                 0);
                assert_true(rmq__streqn(v, vl, "true"));
                if (cmd->code == RMQ_REQ_SEND_BATCH_MESSAGE)
                        assert_int_equal(cnt, 1);
                else
                        assert_int_equal(rmq__props_get(props, strlen(props),
                                                        RMQ_PROP_UNIQ_KEY, &v,
                                                        &vl),
                                         0);
                if (strstr(names[i], "delay-level2")) {
                        assert_int_equal(rmq__props_get(props, strlen(props),
                                                        RMQ_PROP_DELAY, &v,
                                                        &vl),
                                         0);
                        assert_true(rmq__streqn(v, vl, "2"));
                }
                if (strstr(names[i], "tx-half")) {
                        assert_int_equal(rmq__props_get(props, strlen(props),
                                                        RMQ_PROP_TRAN_MSG, &v,
                                                        &vl),
                                         0);
                        assert_true(rmq__streqn(v, vl, "true"));
                        assert_int_equal(rmq__props_get(props, strlen(props),
                                                        RMQ_PROP_PGROUP, &v,
                                                        &vl),
                                         0);
                        assert_true(rmq__streqn(v, vl, "PG_TX_DEMO"));
                }
                if (strstr(names[i], "user-props")) {
                        assert_int_equal(rmq__props_get(props, strlen(props),
                                                        "unicode", &v, &vl),
                                         0);
                        assert_true(rmq__streqn(v, vl, "h\xc3\xa9llo"));
                        assert_false(rmq__prop_is_reserved("unicode"));
                }
                rmq__buf_free(&re);
                rmq__cmd_destroy(cmd);
                seen++;
        }
        rmq_test_strv_free(names);
        assert_int_equal(seen, 18);
}

static void check_batch(const char *prefix) {
        rmq_cmd_t *cmd = rmq_test_fixture_cmd(prefix, NULL, 0);
        rmq_rd_t rd;
        rmq_buf_t re = RMQ_BUF_INIT;
        int i        = 0;
        rmq__rd_init(&rd, cmd->body, cmd->body_len);
        while (rmq__rd_remains(&rd) > 0) {
                rmq_batch_elem_t el;
                char body[32], key[32];
                const char *v;
                size_t vl;
                assert_int_equal(rmq__batch_decode_next(&rd, &el), RMQ_OK);
                assert_int_equal(el.storeSize, 133);
                assert_int_equal(el.magicCode, 0);
                assert_int_equal(el.bodyCRC, 0);
                assert_int_equal(el.flag, 0);
                snprintf(body, sizeof(body), "hello batch %d", i);
                assert_int_equal(el.bodyLen, strlen(body));
                assert_memory_equal(el.body, body, el.bodyLen);
                snprintf(key, sizeof(key), "batch-%d", i);
                assert_int_equal(rmq__props_get(el.properties,
                                                el.propertiesLen,
                                                RMQ_PROP_KEYS, &v, &vl),
                                 0);
                assert_true(rmq__streqn(v, vl, key));
                assert_int_equal(rmq__props_get(el.properties,
                                                el.propertiesLen,
                                                RMQ_PROP_TAGS, &v, &vl),
                                 0);
                assert_true(rmq__streqn(v, vl, "TagB"));
                assert_int_equal(rmq__props_get(el.properties,
                                                el.propertiesLen,
                                                RMQ_PROP_UNIQ_KEY, &v, &vl),
                                 0);
                assert_int_equal(vl, 56);
                assert_int_equal(rmq__batch_encode_one(&re, el.flag, el.body,
                                                       el.bodyLen,
                                                       el.properties,
                                                       el.propertiesLen),
                                 RMQ_OK);
                i++;
        }
        assert_int_equal(rd.err, RMQ_OK);
        assert_int_equal(i, 3);
        assert_int_equal(re.len, cmd->body_len);
        assert_memory_equal(re.data, cmd->body, re.len);
        rmq__buf_free(&re);
        rmq__cmd_destroy(cmd);
}

static void test_batch_body(void **state) {
        (void)state;
        check_batch("011-");
        check_batch("110-");
}

static void test_compressed_send_matches_java(void **state) {
        rmq_cmd_t *cmd = rmq_test_fixture_cmd("013-", NULL, 0);
        int32_t sysFlag;
        uint8_t *raw = NULL;
        size_t rawlen = 0;
        rmq_deflater_t *dfl = rmq__deflater_new(5);
        rmq_buf_t z = RMQ_BUF_INIT;
        int round;
        (void)state;
        assert_int_equal(rmq__cmd_ext_i32(cmd, "f", &sysFlag), 0);
        assert_int_equal(sysFlag, 769);
        assert_int_equal(sysFlag, RMQ_SYSFLAG_COMPRESSED |
                                      RMQ_SYSFLAG_COMPRESSION_ZLIB);
        assert_int_equal(rmq__msg_body_decompress(sysFlag, cmd->body,
                                                  cmd->body_len, 4 << 20,
                                                  &raw, &rawlen),
                         RMQ_OK);
        assert_int_equal(rawlen, 5040);
        assert_memory_equal(raw, "big body 0123456789 abcdefghijklmnopqrst",
                            40);
        /* The same stream as Java's Deflater(5), byte for byte, and the
         * same again when the compressor is reused. */
        assert_non_null(dfl);
        for (round = 0; round < 3; round++) {
                rmq__buf_reset(&z);
                assert_int_equal(rmq__deflater_compress(dfl, raw, rawlen, &z),
                                 RMQ_OK);
                assert_int_equal(z.len, cmd->body_len);
                assert_memory_equal(z.data, cmd->body, z.len);
                assert_int_equal(z.data[0], 0x78);
                assert_int_equal(z.data[1], 0x5e);
        }
        /* Appends after what the buffer holds. */
        rmq__buf_reset(&z);
        rmq__buf_put_str(&z, "xy");
        assert_int_equal(rmq__deflater_compress(dfl, raw, rawlen, &z), RMQ_OK);
        assert_int_equal(z.len, 2 + cmd->body_len);
        assert_memory_equal(z.data + 2, cmd->body, cmd->body_len);
        assert_null(rmq__deflater_new(10));
        rmq__buf_free(&z);
        rmq__deflater_destroy(dfl);
        rmq__free(raw);
        rmq__cmd_destroy(cmd);
}

static void test_zlib_limits(void **state) {
        size_t big = 8u << 20;
        uint8_t *zeros = calloc(1, big), *out = NULL;
        size_t outlen = 0;
        rmq_deflater_t *dfl = rmq__deflater_new(9);
        rmq_buf_t z = RMQ_BUF_INIT;
        (void)state;
        assert_int_equal(rmq__deflater_compress(dfl, zeros, big, &z), RMQ_OK);
        assert_true(z.len < 64 * 1024); /* a bomb: 8 MiB from a few KiB */
        assert_int_equal(rmq__zlib_inflate(z.data, z.len, 1 << 20, &out,
                                           &outlen),
                         RMQ_ERR__MSG_TOO_LARGE);
        assert_null(out);
        assert_int_equal(rmq__zlib_inflate(z.data, z.len, big - 1, &out,
                                           &outlen),
                         RMQ_ERR__MSG_TOO_LARGE);
        /* exactly the limit is fine */
        assert_int_equal(rmq__zlib_inflate(z.data, z.len, big, &out, &outlen),
                         RMQ_OK);
        assert_int_equal(outlen, big);
        assert_memory_equal(out, zeros, big);
        rmq__free(out);
        /* truncated, corrupt, empty: clean errors */
        assert_int_equal(rmq__zlib_inflate(z.data, z.len - 5, big, &out,
                                           &outlen),
                         RMQ_ERR__BAD_MSG);
        assert_int_equal(rmq__zlib_inflate(z.data, 1, big, &out, &outlen),
                         RMQ_ERR__BAD_MSG);
        assert_int_equal(rmq__zlib_inflate("", 0, big, &out, &outlen),
                         RMQ_ERR__BAD_MSG);
        z.data[1] ^= 0xff; /* header check fails */
        assert_int_equal(rmq__zlib_inflate(z.data, z.len, big, &out, &outlen),
                         RMQ_ERR__BAD_MSG);
        /* bytes after the end of the stream are ignored, as Java does */
        rmq__buf_reset(&z);
        assert_int_equal(rmq__deflater_compress(dfl, "abc", 3, &z), RMQ_OK);
        rmq__buf_put_str(&z, "trailing");
        assert_int_equal(rmq__zlib_inflate(z.data, z.len, 3, &out, &outlen),
                         RMQ_OK);
        assert_int_equal(outlen, 3);
        assert_memory_equal(out, "abc", 3);
        rmq__free(out);
        /* an empty body compresses and inflates to nothing */
        rmq__buf_reset(&z);
        assert_int_equal(rmq__deflater_compress(dfl, NULL, 0, &z), RMQ_OK);
        assert_int_equal(rmq__zlib_inflate(z.data, z.len, 0, &out, &outlen),
                         RMQ_OK);
        assert_int_equal(outlen, 0);
        rmq__free(out);
        /* unsupported and unknown compression types */
        assert_int_equal(rmq__msg_body_decompress(RMQ_SYSFLAG_COMPRESSED |
                                                      RMQ_SYSFLAG_COMPRESSION_LZ4,
                                                  z.data, z.len, 10, &out,
                                                  &outlen),
                         RMQ_ERR__NOT_SUPPORTED);
        assert_int_equal(rmq__msg_body_decompress(RMQ_SYSFLAG_COMPRESSED |
                                                      (5 << 8),
                                                  z.data, z.len, 10, &out,
                                                  &outlen),
                         RMQ_ERR__BAD_MSG);
        /* legacy senders: compressed bit, no type marker */
        assert_int_equal(rmq__msg_body_decompress(RMQ_SYSFLAG_COMPRESSED,
                                                  z.data, z.len, 10, &out,
                                                  &outlen),
                         RMQ_OK);
        rmq__free(out);
        rmq__buf_free(&z);
        rmq__deflater_destroy(dfl);
        free(zeros);
}

static void make_view(rmq_msg_view_t *mv, const char *topic, bool v6) {
        static const char props[] = "KEYS\001k1\002UNIQ_KEY\001ABC";
        memset(mv, 0, sizeof(*mv));
        mv->bodyCRC         = 77;
        mv->queueId         = 3;
        mv->flag            = 9;
        mv->queueOffset     = 1234567890123LL;
        mv->commitLogOffset = 9876543210LL;
        mv->sysFlag         = RMQ_SYSFLAG_TRANSACTION_PREPARED;
        mv->bornTimestamp   = 1795617273225LL;
        mv->storeTimestamp  = 1795617273228LL;
        assert_int_equal(rmq__msg_host_parse(v6 ? "fd00::2:47210"
                                                : "10.1.2.3:47210",
                                             &mv->bornHost),
                         0);
        assert_int_equal(rmq__msg_host_parse(v6 ? "[fd00::1]:10911"
                                                : "127.0.0.1:10911",
                                             &mv->storeHost),
                         0);
        mv->reconsumeTimes            = 2;
        mv->preparedTransactionOffset = 42;
        mv->body                      = (const uint8_t *)"payload";
        mv->bodyLen                   = 7;
        mv->topic                     = topic;
        mv->topicLen                  = strlen(topic);
        mv->properties                = props;
        mv->propertiesLen             = sizeof(props) - 1;
}

static void assert_views_equal(const rmq_msg_view_t *a,
                               const rmq_msg_view_t *b) {
        assert_int_equal(a->bodyCRC, b->bodyCRC);
        assert_int_equal(a->queueId, b->queueId);
        assert_int_equal(a->flag, b->flag);
        assert_int_equal(a->queueOffset, b->queueOffset);
        assert_int_equal(a->commitLogOffset, b->commitLogOffset);
        assert_int_equal(a->bornTimestamp, b->bornTimestamp);
        assert_int_equal(a->storeTimestamp, b->storeTimestamp);
        assert_memory_equal(&a->bornHost, &b->bornHost, sizeof(a->bornHost));
        assert_memory_equal(&a->storeHost, &b->storeHost,
                            sizeof(a->storeHost));
        assert_int_equal(a->reconsumeTimes, b->reconsumeTimes);
        assert_int_equal(a->preparedTransactionOffset,
                         b->preparedTransactionOffset);
        assert_int_equal(a->bodyLen, b->bodyLen);
        assert_memory_equal(a->body, b->body, a->bodyLen);
        assert_int_equal(a->topicLen, b->topicLen);
        assert_memory_equal(a->topic, b->topic, a->topicLen);
        assert_int_equal(a->propertiesLen, b->propertiesLen);
        assert_memory_equal(a->properties, b->properties, a->propertiesLen);
}

static void test_ipv6_and_v2_round_trip(void **state) {
        char longtopic[301];
        rmq_msg_view_t in, out;
        rmq_buf_t buf = RMQ_BUF_INIT;
        rmq_rd_t rd;
        char id[RMQ_OFFSET_MSG_ID_MAX + 1], addr[80];
        int64_t off;
        (void)state;
        memset(longtopic, 'T', 300);
        longtopic[300] = '\0';
        /* IPv6 hosts, short topic: V1 with the V6 sysFlag bits set */
        make_view(&in, "TopicV6", true);
        assert_int_equal(rmq__msg_encode_stored(&buf, &in), RMQ_OK);
        assert_int_equal(rmq__msg_stored_size(&in), buf.len);
        /* long topic, IPv4 hosts: V2 (int16 topic length) */
        make_view(&in, longtopic, false);
        assert_int_equal(rmq__msg_encode_stored(&buf, &in), RMQ_OK);
        rmq__rd_init(&rd, buf.data, buf.len);
        make_view(&in, "TopicV6", true);
        assert_int_equal(rmq__msg_decode_next(&rd, &out), RMQ_OK);
        assert_int_equal(out.magicCode, RMQ_MSG_MAGIC_V1);
        assert_int_equal(out.sysFlag, RMQ_SYSFLAG_TRANSACTION_PREPARED |
                                          RMQ_SYSFLAG_BORNHOST_V6 |
                                          RMQ_SYSFLAG_STOREHOST_V6);
        assert_views_equal(&in, &out);
        assert_host(&out.bornHost, "fd00:0:0:0:0:0:0:2:47210");
        /* 56-character offsetMsgId for an IPv6 store host */
        assert_int_equal(rmq__offset_msg_id_create(&out.storeHost,
                                                   out.commitLogOffset, id),
                         56);
        assert_int_equal(rmq__offset_msg_id_decode_addr(id, 56, addr,
                                                        sizeof(addr), &off),
                         RMQ_OK);
        assert_string_equal(addr, "fd00:0:0:0:0:0:0:1:10911");
        assert_int_equal(off, 9876543210LL);
        make_view(&in, longtopic, false);
        assert_int_equal(rmq__msg_decode_next(&rd, &out), RMQ_OK);
        assert_int_equal(out.magicCode, RMQ_MSG_MAGIC_V2);
        assert_int_equal(out.sysFlag, RMQ_SYSFLAG_TRANSACTION_PREPARED);
        assert_views_equal(&in, &out);
        assert_int_equal(rmq__rd_remains(&rd), 0);
        /* what cannot be encoded is refused, nothing appended */
        rmq__buf_reset(&buf);
        in.propertiesLen = 40000;
        assert_int_equal(rmq__msg_encode_stored(&buf, &in),
                         RMQ_ERR__MSG_TOO_LARGE);
        in.propertiesLen = 3;
        in.storeHost.ipLen = 5;
        assert_int_equal(rmq__msg_encode_stored(&buf, &in),
                         RMQ_ERR__MSG_TOO_LARGE);
        assert_int_equal(buf.len, 0);
        rmq__buf_free(&buf);
}

/* Every truncation, and every corruption of a length field, of a real
 * pull body fails cleanly (run under valgrind/ASan to catch a stray
 * read). */
static void test_malformed_stored_messages(void **state) {
        rmq_cmd_t *cmd = rmq_test_fixture_cmd("048-", NULL, 0); /* 3 messages */
        size_t len = cmd->body_len, cut;
        uint8_t *copy = malloc(len);
        rmq_rd_t rd;
        rmq_msg_view_t mv;
        size_t first;
        (void)state;
        rmq__rd_init(&rd, cmd->body, len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        first = (size_t)mv.storeSize;
        for (cut = 0; cut < first; cut++) {
                uint8_t *t = malloc(cut ? cut : 1);
                memcpy(t, cmd->body, cut);
                rmq__rd_init(&rd, t, cut);
                if (cut == 0) {
                        assert_int_equal(rmq__rd_remains(&rd), 0);
                } else {
                        assert_int_equal(rmq__msg_decode_next(&rd, &mv),
                                         RMQ_ERR__BAD_MSG);
                        assert_int_equal(rd.err, RMQ_ERR__BAD_MSG);
                        /* sticky: the next call fails too */
                        assert_int_equal(rmq__msg_decode_next(&rd, &mv),
                                         RMQ_ERR__BAD_MSG);
                }
                free(t);
        }
#define CORRUPT(off, val)                                                      \
        do {                                                                   \
                memcpy(copy, cmd->body, len);                                  \
                rmq__be32_write(copy + (off), (uint32_t)(val));                \
                rmq__rd_init(&rd, copy, len);                                  \
                assert_int_equal(rmq__msg_decode_next(&rd, &mv),               \
                                 RMQ_ERR__BAD_MSG);                            \
        } while (0)
        CORRUPT(0, 0x7fffffff);        /* TOTALSIZE past the end */
        CORRUPT(0, -1);                /* negative TOTALSIZE */
        CORRUPT(0, first - 1);         /* TOTALSIZE short of the fields */
        CORRUPT(0, first + 1);         /* TOTALSIZE past the fields */
        CORRUPT(4, RMQ_MSG_MAGIC_BLANK); /* not a message */
        CORRUPT(4, 0x12345678);        /* bad magic */
        CORRUPT(84, 0x7fffffff);       /* BODYLEN past the end */
        CORRUPT(84, -5);               /* negative BODYLEN */
        /* sysFlag claims IPv6 hosts: the lengths no longer add up */
        CORRUPT(36, RMQ_SYSFLAG_STOREHOST_V6);
#undef CORRUPT
        /* V1 topic length above 127 (Java reads a negative byte) */
        memcpy(copy, cmd->body, len);
        rmq__rd_init(&rd, copy, len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        copy[(const uint8_t *)mv.topic - copy - 1] = 0x80;
        rmq__rd_init(&rd, copy, len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_ERR__BAD_MSG);
        /* negative properties length */
        memcpy(copy, cmd->body, len);
        rmq__rd_init(&rd, copy, len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        rmq__be16_write(copy + ((const uint8_t *)mv.properties - copy - 2),
                        0x8001);
        rmq__rd_init(&rd, copy, len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_ERR__BAD_MSG);
        /* a good message followed by garbage: the first decodes, then the
         * error */
        memcpy(copy, cmd->body, len);
        rmq__rd_init(&rd, copy, first + 3);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_ERR__BAD_MSG);
        free(copy);
        rmq__cmd_destroy(cmd);
}

static void test_malformed_batch(void **state) {
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_rd_t rd;
        rmq_batch_elem_t el;
        size_t cut;
        char big[40000];
        (void)state;
        assert_int_equal(rmq__batch_encode_one(&b, 7, "body", 4, "A\001b", 3),
                         RMQ_OK);
        assert_int_equal(b.len, 20 + 4 + 2 + 3);
        for (cut = 1; cut < b.len; cut++) {
                rmq__rd_init(&rd, b.data, cut);
                assert_int_equal(rmq__batch_decode_next(&rd, &el),
                                 RMQ_ERR__BAD_MSG);
        }
        rmq__rd_init(&rd, b.data, b.len);
        assert_int_equal(rmq__batch_decode_next(&rd, &el), RMQ_OK);
        assert_int_equal(el.flag, 7);
        /* TOTALSIZE that disagrees with the fields */
        rmq__be32_write(b.data, 28);
        rmq__rd_init(&rd, b.data, b.len);
        assert_int_equal(rmq__batch_decode_next(&rd, &el), RMQ_ERR__BAD_MSG);
        /* negative body length */
        rmq__be32_write(b.data, 29);
        rmq__be32_write(b.data + 16, (uint32_t)-1);
        rmq__rd_init(&rd, b.data, b.len);
        assert_int_equal(rmq__batch_decode_next(&rd, &el), RMQ_ERR__BAD_MSG);
        /* properties over Short.MAX_VALUE are refused */
        memset(big, 'x', sizeof(big));
        rmq__buf_reset(&b);
        assert_int_equal(rmq__batch_encode_one(&b, 0, "", 0, big, sizeof(big)),
                         RMQ_ERR__MSG_TOO_LARGE);
        assert_int_equal(b.len, 0);
        rmq__buf_free(&b);
}

static void test_offset_msg_id(void **state) {
        rmq_msg_host_t h;
        int64_t off;
        char addr[80];
        char id[RMQ_OFFSET_MSG_ID_MAX + 1];
        (void)state;
        /* from fixture 012 (batch send response) */
        assert_int_equal(rmq__offset_msg_id_decode_addr(
                             "7F00000100002A9F0000000000000367", 32, addr,
                             sizeof(addr), &off),
                         RMQ_OK);
        assert_string_equal(addr, "127.0.0.1:10911");
        assert_int_equal(off, 0x367);
        /* lower case is accepted (Java upper-cases first) */
        assert_int_equal(rmq__offset_msg_id_decode(
                             "7f00000100002a9f0000000000000367", 32, &h, &off),
                         RMQ_OK);
        assert_int_equal(rmq__offset_msg_id_create(&h, off, id), 32);
        assert_string_equal(id, "7F00000100002A9F0000000000000367");
        /* bad ids */
        assert_int_equal(rmq__offset_msg_id_decode("", 0, &h, &off),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq__offset_msg_id_decode(
                             "7F00000100002A9F000000000000036", 31, &h, &off),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq__offset_msg_id_decode(
                             "7G00000100002A9F0000000000000367", 32, &h, &off),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq__offset_msg_id_decode(
                             "FD000000000000000000000000000002400230946E097EB94C52",
                             52, &h, &off),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq__msg_host_parse("nohost", &h), -1);
        assert_int_equal(rmq__msg_host_parse("1.2.3.4:99999", &h), -1);
        assert_int_equal(rmq__msg_host_parse("example.com:80", &h), -1);
}

static void test_properties_rules(void **state) {
        const char *v;
        size_t vl;
        rmq_props_iter_t it;
        const char *k;
        size_t kl, n = 0;
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_prop_t props[] = {{"A", "1"}, {"B", NULL}, {"C", "x\001y"}};
        static const char s[] = "\002a\001\002\001b\002abc\002k\001v\001w"
                                "\002d\0011\002d\0012\002";
        (void)state;
        /* empty value, empty name, no separator: skipped (Java rules);
         * the value runs to the next \002 and may hold \001 */
        rmq__props_iter_init(&it, s, sizeof(s) - 1);
        while (rmq__props_next(&it, &k, &kl, &v, &vl)) {
                if (n == 0) {
                        assert_true(rmq__streqn(k, kl, "k"));
                        assert_true(rmq__streqn(v, vl, "v\001w"));
                }
                n++;
        }
        assert_int_equal(n, 3);
        assert_int_equal(rmq__props_get(s, sizeof(s) - 1, "a", &v, &vl), -1);
        assert_int_equal(rmq__props_get(s, sizeof(s) - 1, "abc", &v, &vl), -1);
        /* a repeated name: the last one wins, as in Java's HashMap */
        assert_int_equal(rmq__props_get(s, sizeof(s) - 1, "d", &v, &vl), 0);
        assert_true(rmq__streqn(v, vl, "2"));
        assert_int_equal(rmq__props_get(NULL, 0, "d", &v, &vl), -1);
        /* encoder: null values skipped, no trailing separator */
        rmq__props_encode(&b, props, 3);
        assert_int_equal(b.len, 9);
        assert_memory_equal(b.data, "A\0011\002C\001x\001y", 9);
        rmq__buf_reset(&b);
        rmq__props_encode(&b, props + 1, 1);
        assert_int_equal(b.len, 0);
        rmq__buf_free(&b);
}

static void test_constants(void **state) {
        (void)state;
        assert_true(rmq__prop_is_reserved(RMQ_PROP_KEYS));
        assert_true(rmq__prop_is_reserved("UNIQ_KEY"));
        assert_true(rmq__prop_is_reserved("INNER_MULTI_QUEUE_OFFSET"));
        /* not in 4.9.8's STRING_HASH_SET */
        assert_false(rmq__prop_is_reserved(RMQ_PROP_TRANSACTION_CHECK_TIMES));
        assert_false(rmq__prop_is_reserved(RMQ_PROP_INNER_MULTI_DISPATCH));
        assert_false(rmq__prop_is_reserved("color"));
        assert_false(rmq__prop_is_reserved(NULL));
        /* the pull sysFlags seen on the wire */
        assert_int_equal(rmq__pull_sysflag_build(false, true, false, false,
                                                 false),
                         2);
        assert_int_equal(rmq__pull_sysflag_build(true, true, false, false,
                                                 false),
                         3);
        assert_int_equal(rmq__pull_sysflag_build(false, true, true, false,
                                                 true),
                         22);
        assert_int_equal(rmq__sysflag_set_transaction(
                             RMQ_SYSFLAG_TRANSACTION_PREPARED | 1,
                             RMQ_SYSFLAG_TRANSACTION_COMMIT),
                         9);
        assert_int_equal(RMQ_MSG_MAGIC_V1, -626843481);
        assert_int_equal(RMQ_MSG_MAGIC_V2, -626843477);
        assert_int_equal(RMQ_MSG_MAGIC_BLANK, -875286124);
        /* CRC-32 check value, masked as Java's UtilAll.crc32 */
        assert_int_equal(rmq__crc32_java("123456789", 9), 0x4BF43926);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_stored_body_matches_index),
            cmocka_unit_test(test_check_transaction_offset_msg_id),
            cmocka_unit_test(test_send_header_properties),
            cmocka_unit_test(test_batch_body),
            cmocka_unit_test(test_compressed_send_matches_java),
            cmocka_unit_test(test_zlib_limits),
            cmocka_unit_test(test_ipv6_and_v2_round_trip),
            cmocka_unit_test(test_malformed_stored_messages),
            cmocka_unit_test(test_malformed_batch),
            cmocka_unit_test(test_offset_msg_id),
            cmocka_unit_test(test_properties_rules),
            cmocka_unit_test(test_constants),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
