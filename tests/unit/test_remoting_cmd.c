/* SPDX-License-Identifier: Apache-2.0 */
/* RemotingCommand codec: every captured frame decodes to what INDEX.md
 * says, re-encodes to the same bytes, both serialize types round-trip, and
 * the streaming decoder handles any chunking and rejects bad lengths. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "remoting/rmq_remoting_cmd.h"
#include "testutil.h"

static void check_against_index(const char *file, const rmq_cmd_t *cmd,
                                size_t frame_len) {
        char body_desc[256];
        char *hdr = rmq_test_index_header(file, body_desc, sizeof(body_desc));
        cJSON *j, *ext, *it;
        size_t n = 0;
        assert_non_null(hdr);
        j = cJSON_Parse(hdr);
        assert_non_null(j);
        assert_int_equal(cmd->code,
                         cJSON_GetObjectItem(j, "code")->valueint);
        assert_int_equal(cmd->flag,
                         cJSON_GetObjectItem(j, "flag")->valueint);
        assert_int_equal(cmd->opaque,
                         cJSON_GetObjectItem(j, "opaque")->valueint);
        assert_int_equal(cmd->version,
                         cJSON_GetObjectItem(j, "version")->valueint);
        assert_string_equal(rmq__language_name(cmd->language),
                            cJSON_GetObjectItem(j, "language")->valuestring);
        /* JSON headers name their type; INDEX.md lists binary headers
         * without it, and their file names end in -rmqbin. */
        it = cJSON_GetObjectItem(j, "serializeTypeCurrentRPC");
        assert_string_equal(
            cmd->serialize_type == RMQ_SERIALIZE_JSON ? "JSON" : "ROCKETMQ",
            it ? it->valuestring
               : (strstr(file, "-rmqbin") ? "ROCKETMQ" : "JSON"));
        it = cJSON_GetObjectItem(j, "remark");
        if (it)
                assert_string_equal(cmd->remark, it->valuestring);
        else
                assert_null(cmd->remark);
        ext = cJSON_GetObjectItem(j, "extFields");
        cJSON_ArrayForEach(it, ext) {
                const char *v = rmq__cmd_ext(cmd, it->string);
                if (!v)
                        fail_msg("%s: ext field %s missing", file, it->string);
                assert_string_equal(v, it->valuestring);
                n++;
        }
        assert_int_equal(n, cmd->ext_cnt);
        if (!strcmp(body_desc, "none")) {
                assert_int_equal(cmd->body_len, 0);
        } else {
                unsigned long blen = strtoul(body_desc, NULL, 10);
                assert_int_equal(cmd->body_len, blen);
        }
        assert_true(cmd->body_len < frame_len);
        cJSON_Delete(j);
        free(hdr);
}

static void test_every_fixture_decodes_as_indexed(void **state) {
        size_t n, i;
        char **files = rmq_test_fixture_list(&n);
        (void)state;
        assert_true(n >= 170);
        for (i = 0; i < n; i++) {
                size_t len;
                char err[256] = "";
                uint8_t *f    = rmq_test_fixture_load(files[i], &len, NULL, 0);
                rmq_cmd_t *cmd = NULL;
                rmq_err_t e = rmq__cmd_decode(f, len, &cmd, err, sizeof(err));
                if (e)
                        fail_msg("%s: %s", files[i], err);
                check_against_index(files[i], cmd, len);
                rmq__cmd_destroy(cmd);
                free(f);
        }
        rmq_test_strv_free(files);
}

/* The frame \p f with a blank after every ':' and ',' of its JSON header
 * (outside strings): the decoder's fast paths need the compact form
 * fastjson writes, so this one takes the general paths. */
static uint8_t *spaced_frame(const uint8_t *f, size_t len, size_t *outlen) {
        uint32_t hlen = rmq__be32_read(f + 4) & 0xffffff;
        size_t i, o   = 8;
        uint8_t *g    = malloc(len * 2 + 8);
        bool in_str = false, esc = false;
        for (i = 8; i < 8 + hlen; i++) {
                uint8_t c = f[i];
                g[o++]    = c;
                if (in_str) {
                        if (esc)
                                esc = false;
                        else if (c == '\\')
                                esc = true;
                        else if (c == '"')
                                in_str = false;
                } else if (c == '"') {
                        in_str = true;
                } else if (c == ':' || c == ',') {
                        g[o++] = ' ';
                }
        }
        memcpy(g + o, f + 8 + hlen, len - 8 - hlen);
        *outlen = o + len - 8 - hlen;
        rmq__be32_write(g, (uint32_t)(*outlen - 4));
        rmq__be32_write(g + 4, (rmq__be32_read(f + 4) & 0xff000000u) |
                                   (uint32_t)(o - 8));
        return g;
}

static void assert_same_cmd(const char *file, const rmq_cmd_t *a,
                            const rmq_cmd_t *b) {
        uint32_t i;
        if (a->code != b->code || a->flag != b->flag ||
            a->opaque != b->opaque || a->version != b->version ||
            a->language != b->language || a->ext_cnt != b->ext_cnt ||
            (a->remark == NULL) != (b->remark == NULL) ||
            a->body_len != b->body_len)
                fail_msg("%s: fast and general JSON decoding differ", file);
        if (a->remark && strcmp(a->remark, b->remark))
                fail_msg("%s: remarks differ", file);
        for (i = 0; i < a->ext_cnt; i++)
                if (strcmp(a->ext[i].key, b->ext[i].key) ||
                    a->ext[i].vlen != b->ext[i].vlen ||
                    memcmp(a->ext[i].val, b->ext[i].val, a->ext[i].vlen))
                        fail_msg("%s: ext field %u differs", file, i);
        if (a->body_len && memcmp(a->body, b->body, a->body_len))
                fail_msg("%s: bodies differ", file);
}

/* Every JSON fixture decodes the same through the fast paths (as
 * captured) and the general ones (blanks added). */
static void test_json_fast_paths_agree(void **state) {
        size_t n, i, json = 0;
        char **files = rmq_test_fixture_list(&n);
        (void)state;
        for (i = 0; i < n; i++) {
                size_t len, glen;
                uint8_t *f     = rmq_test_fixture_load(files[i], &len, NULL, 0);
                rmq_cmd_t *a   = NULL, *b = NULL;
                uint8_t *g;
                if (f[4] != RMQ_SERIALIZE_JSON) {
                        free(f);
                        continue;
                }
                json++;
                g = spaced_frame(f, len, &glen);
                assert_int_equal(rmq__cmd_decode(f, len, &a, NULL, 0), RMQ_OK);
                if (rmq__cmd_decode(g, glen, &b, NULL, 0))
                        fail_msg("%s: spaced frame rejected", files[i]);
                assert_same_cmd(files[i], a, b);
                rmq__cmd_destroy(a);
                rmq__cmd_destroy(b);
                free(g);
                free(f);
        }
        assert_true(json >= 100);
        rmq_test_strv_free(files);
}

/* Headers near the fast paths' edges decode as the general path says. */
static void test_json_fast_path_edges(void **state) {
        static const struct {
                const char *hdr;
                int ok, code, opaque, lang;
        } cases[] = {
            {"{\"code\":0,\"flag\":1,\"language\":\"JAVA\",\"opaque\":8,"
             "\"serializeTypeCurrentRPC\":\"JSON\",\"version\":409}",
             1, 0, 8, 0},
            /* a key spelled with an escape, a key that only starts like one */
            {"{\"\\u0063ode\":5,\"codeX\":7,\"opaque\":9}", 1, 5, 9, 1},
            /* numbers: ten digits, a sign, a suffix, overflow */
            {"{\"code\":1234567890,\"opaque\":-3}", 1, 1234567890, -3, 1},
            {"{\"code\":+12,\"opaque\":1}", 1, 12, 1, 1},
            {"{\"code\":12a}", 0, 0, 0, 0},
            {"{\"code\":2147483648}", 0, 0, 0, 0},
            {"{\"code\":1.5}", 0, 0, 0, 0},
            {"{\"code\":3", 0, 0, 0, 0},
            {"{\"code\" :3}", 1, 3, 0, 1},
            /* serializeTypeCurrentRPC with other values */
            {"{\"code\":1,\"serializeTypeCurrentRPC\":\"JSONX\"}", 1, 1, 0, 1},
            {"{\"code\":1,\"serializeTypeCurrentRPC\":null}", 1, 1, 0, 1},
            {"{\"code\":1,\"serializeTypeCurrentRPC\":\"JSON", 0, 0, 0, 0},
            {"{\"code\":1,\"version\":4}x", 0, 0, 0, 0},
        };
        size_t i;
        (void)state;
        for (i = 0; i < RMQ_ARRAY_SIZE(cases); i++) {
                size_t hlen = strlen(cases[i].hdr);
                uint8_t *f  = malloc(hlen + 8);
                rmq_cmd_t *cmd = NULL;
                rmq_err_t err;
                rmq__be32_write(f, (uint32_t)(hlen + 4));
                rmq__be32_write(f + 4, (uint32_t)hlen);
                memcpy(f + 8, cases[i].hdr, hlen);
                err = rmq__cmd_decode(f, hlen + 8, &cmd, NULL, 0);
                if ((err == RMQ_OK) != cases[i].ok)
                        fail_msg("case %zu: %s", i, cases[i].hdr);
                if (cmd) {
                        assert_int_equal(cmd->code, cases[i].code);
                        assert_int_equal(cmd->opaque, cases[i].opaque);
                        if (cases[i].lang == 0)
                                assert_int_equal(cmd->language, RMQ_LANG_JAVA);
                }
                rmq__cmd_destroy(cmd);
                free(f);
        }
}

/* A pooled decode (the transport's path for small frames) gives the same
 * command as the plain one, re-encodes to the same bytes, and survives
 * the caller's buffer being overwritten; larger frames fall back. */
static void test_every_fixture_decodes_pooled(void **state) {
        size_t n, i, pooled = 0;
        char **files       = rmq_test_fixture_list(&n);
        rmq_freelist_t *fl = rmq__freelist_new(sizeof(rmq_cmd_t) + 512, 4);
        (void)state;
        for (i = 0; i < n; i++) {
                size_t len;
                uint8_t *f     = rmq_test_fixture_load(files[i], &len, NULL, 0);
                rmq_cmd_t *cmd = NULL;
                rmq_buf_t out  = RMQ_BUF_INIT;
                char err[256]  = "";
                if (rmq__cmd_decode_pooled(f, len, fl, &cmd, err,
                                           sizeof(err)))
                        fail_msg("%s: %s", files[i], err);
                assert_true((cmd->home != NULL) == (len <= 512));
                pooled += cmd->home != NULL;
                memset(f, 0xA5, len); /* a view: the copy must not care */
                free(f);
                f = rmq_test_fixture_load(files[i], &len, NULL, 0);
                check_against_index(files[i], cmd, len);
                rmq__cmd_encode(cmd, &out);
                if (out.len != len || memcmp(out.data, f, len))
                        fail_msg("%s: re-encoded frame differs", files[i]);
                rmq__buf_free(&out);
                rmq__cmd_destroy(cmd);
                free(f);
        }
        assert_true(pooled > 0);
        rmq__freelist_release(fl);
        rmq_test_strv_free(files);
}

/* take_body on a pooled command hands out a copy that outlives it. */
static void test_take_body_pooled(void **state) {
        rmq_cmd_t *req = rmq__cmd_new_request(RMQ_REQ_SEND_MESSAGE_V2), *d;
        rmq_freelist_t *fl = rmq__freelist_new(sizeof(rmq_cmd_t) + 512, 4);
        rmq_buf_t out      = RMQ_BUF_INIT;
        const uint8_t *body;
        size_t blen;
        void *storage;
        (void)state;
        rmq__cmd_ext_add(req, "b", "TopicTest");
        rmq__cmd_set_body_ref(req, "0123456789", 10);
        rmq__cmd_encode(req, &out);
        assert_int_equal(rmq__cmd_decode_pooled(out.data, out.len, fl, &d,
                                                NULL, 0),
                         RMQ_OK);
        assert_non_null(d->home);
        storage = rmq__cmd_take_body(d, &body, &blen);
        assert_non_null(storage);
        assert_ptr_equal(storage, body);
        assert_int_equal(blen, 10);
        assert_null(d->body);
        assert_string_equal(rmq__cmd_ext(d, "b"), "TopicTest");
        rmq__cmd_destroy(d);
        assert_memory_equal(body, "0123456789", 10);
        free(storage);
        rmq__cmd_destroy(req);
        rmq__buf_free(&out);
        rmq__freelist_release(fl);
}

static void test_every_fixture_reencodes_to_same_bytes(void **state) {
        size_t n, i, same = 0;
        char **files = rmq_test_fixture_list(&n);
        (void)state;
        for (i = 0; i < n; i++) {
                size_t len;
                uint8_t *f    = rmq_test_fixture_load(files[i], &len, NULL, 0);
                rmq_cmd_t *cmd = NULL;
                rmq_buf_t out  = RMQ_BUF_INIT;
                assert_int_equal(rmq__cmd_decode(f, len, &cmd, NULL, 0),
                                 RMQ_OK);
                rmq__cmd_encode(cmd, &out);
                if (out.len != len || memcmp(out.data, f, len))
                        fail_msg("%s: re-encoded frame differs (%zu vs %zu "
                                 "bytes)",
                                 files[i], out.len, len);
                same++;
                rmq__buf_free(&out);
                rmq__cmd_destroy(cmd);
                free(f);
        }
        assert_int_equal(same, n);
        rmq_test_strv_free(files);
}

static void roundtrip(int stype) {
        rmq_cmd_t *req = rmq__cmd_new_request(RMQ_REQ_SEND_MESSAGE_V2), *d;
        rmq_buf_t out  = RMQ_BUF_INIT;
        static const char body[] = "hello \x01 body";
        req->serialize_type = stype;
        rmq__cmd_ext_add(req, "a", "PG");
        rmq__cmd_ext_add(req, "i", "UNIQ_KEY\001ABC\002TAGS\001t\"q\\");
        rmq__cmd_ext_add_i64(req, "g", INT64_MIN);
        rmq__cmd_ext_add_bool(req, "k", false);
        rmq__cmd_ext_add(req, "u", "h\xc3\xa9llo \xe2\x82\xac");
        rmq__cmd_ext_add(req, "a", "PG2"); /* replaces */
        rmq__cmd_set_remark(req, "line1\nline2\ttab");
        req->flag = RMQ_CMD_FLAG_ONEWAY;
        rmq__cmd_set_body_ref(req, body, sizeof(body) - 1);
        rmq__cmd_encode(req, &out);
        assert_int_equal(out.data[4], stype);
        assert_int_equal(rmq__cmd_decode(out.data, out.len, &d, NULL, 0),
                         RMQ_OK);
        assert_int_equal(d->code, RMQ_REQ_SEND_MESSAGE_V2);
        assert_int_equal(d->opaque, req->opaque);
        assert_int_equal(d->flag, RMQ_CMD_FLAG_ONEWAY);
        assert_int_equal(d->language, RMQ_LANG_CPP);
        assert_int_equal(d->version, RMQ_REMOTING_VERSION);
        assert_int_equal(d->serialize_type, stype);
        assert_int_equal(d->ext_cnt, 5);
        assert_string_equal(rmq__cmd_ext(d, "a"), "PG2");
        assert_string_equal(rmq__cmd_ext(d, "i"),
                            "UNIQ_KEY\001ABC\002TAGS\001t\"q\\");
        assert_string_equal(rmq__cmd_ext(d, "g"), "-9223372036854775808");
        assert_string_equal(rmq__cmd_ext(d, "k"), "false");
        assert_string_equal(rmq__cmd_ext(d, "u"), "h\xc3\xa9llo \xe2\x82\xac");
        assert_string_equal(d->remark, "line1\nline2\ttab");
        assert_int_equal(d->body_len, sizeof(body) - 1);
        assert_memory_equal(d->body, body, sizeof(body) - 1);
        {
                int64_t v;
                assert_int_equal(rmq__cmd_ext_i64(d, "g", &v), 0);
                assert_true(v == INT64_MIN);
                assert_int_equal(rmq__cmd_ext_i64(d, "a", &v), -1);
        }
        rmq__cmd_destroy(d);
        rmq__cmd_destroy(req);
        rmq__buf_free(&out);
}

static void test_roundtrip_json(void **state) {
        (void)state;
        roundtrip(RMQ_SERIALIZE_JSON);
}

static void test_roundtrip_rocketmq(void **state) {
        (void)state;
        roundtrip(RMQ_SERIALIZE_ROCKETMQ);
}

/* Referenced and "plain" ext fields, numbers written in place, and a
 * command on the stack encode to the same bytes as copied fields. */
static void test_ext_refs_and_plain(void **state) {
        static const char key_g[] = "g", topic[] = "TopicTest";
        static const int64_t nums[] = {
            0, -1, 7, 9, 10, 11, 99, 100, 101, 999, 1000, -9, -10, -11,
            999999999, 1000000000, 4294967295LL, 4294967296LL,
            1795617272914LL, 999999999999999999LL, 1000000000000000000LL,
            INT64_MAX - 1, INT64_MIN + 1, INT64_MIN, INT64_MAX};
        static char big[1500];
        int round;
        (void)state;
        memset(big, 'x', sizeof(big));
        big[100] = '"';
        big[700] = '\001';
        /* rounds 2 and 3 add a long field: the JSON header no longer fits
         * the encoder's scratch and is sized exactly first. */
        for (round = 0; round < 4; round++) {
                int stype = round & 1 ? RMQ_SERIALIZE_ROCKETMQ
                                      : RMQ_SERIALIZE_JSON;
                rmq_cmd_t stack, *copy = rmq__cmd_new_request(310);
                rmq_buf_t a = RMQ_BUF_INIT, b = RMQ_BUF_INIT;
                char num[32];
                size_t i;
                rmq__cmd_init_request(&stack, 310);
                stack.opaque = copy->opaque;
                stack.serialize_type = copy->serialize_type = stype;
                rmq__cmd_ext_append_ref(&stack, "b", 1, topic,
                                        sizeof(topic) - 1, true, true);
                rmq__cmd_ext_append(copy, "b", topic, sizeof(topic) - 1);
                assert_ptr_equal(rmq__cmd_ext(&stack, "b"), topic);
                for (i = 0; i < RMQ_ARRAY_SIZE(nums); i++) {
                        rmq__cmd_ext_append_ref_i64(&stack, key_g, 1, true,
                                                    nums[i]);
                        snprintf(num, sizeof(num), "%lld",
                                 (long long)nums[i]);
                        rmq__cmd_ext_append(copy, key_g, num, strlen(num));
                        assert_string_equal(stack.ext[stack.ext_cnt - 1].val,
                                            num);
                        assert_int_equal(stack.ext[stack.ext_cnt - 1].vlen,
                                         strlen(num));
                }
                /* not plain: scanned and escaped */
                rmq__cmd_ext_append_ref(&stack, "i", 1, "a\001b\"c", 5,
                                        true, false);
                rmq__cmd_ext_append(copy, "i", "a\001b\"c", 5);
                /* a plain field replaced by a value that needs escaping */
                rmq__cmd_ext_append_ref(&stack, "q", 1, "x", 1, true, true);
                rmq__cmd_ext_append(copy, "q", "x", 1);
                rmq__cmd_ext_add(&stack, "q", "\"quoted\"");
                rmq__cmd_ext_add(copy, "q", "\"quoted\"");
                if (round >= 2) {
                        rmq__cmd_ext_append_ref(&stack, "z", 1, big,
                                                sizeof(big), false, false);
                        rmq__cmd_ext_append(copy, "z", big, sizeof(big));
                        rmq__cmd_ext_append_ref_i64(&stack, "y", 1, true, 5);
                        rmq__cmd_ext_append(copy, "y", "5", 1);
                }
                rmq__cmd_encode(&stack, &a);
                rmq__cmd_encode(copy, &b);
                assert_int_equal(a.len, b.len);
                assert_memory_equal(a.data, b.data, a.len);
                rmq__cmd_fini(&stack);
                rmq__cmd_destroy(copy);
                rmq__buf_free(&a);
                rmq__buf_free(&b);
        }
}

static void test_response_echoes_request(void **state) {
        rmq_cmd_t *req  = rmq__cmd_new_request(RMQ_REQ_HEART_BEAT);
        rmq_cmd_t *resp = rmq__cmd_new_response(RMQ_ERR_SYSTEM_BUSY, "busy");
        (void)state;
        req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
        req->flag           = RMQ_CMD_FLAG_ONEWAY;
        rmq__cmd_reply_to(resp, req);
        assert_int_equal(resp->opaque, req->opaque);
        assert_int_equal(resp->flag, RMQ_CMD_FLAG_RESPONSE);
        assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
        assert_true(rmq__cmd_next_opaque() != req->opaque);
        rmq__cmd_destroy(req);
        rmq__cmd_destroy(resp);
}

typedef struct collect_s {
        uint8_t *stream;
        size_t off;
        size_t frames;
        int mismatch;
        size_t views;
} collect_t;

static int collect_cb(uint8_t *frame, size_t len, void *opaque) {
        collect_t *c = opaque;
        if (c->off + len > (size_t)-1 ||
            memcmp(c->stream + c->off, frame, len))
                c->mismatch = 1;
        c->off += len;
        c->frames++;
        free(frame);
        return 0;
}

static void test_stream_any_chunking(void **state) {
        size_t n, i, total = 0;
        char **files = rmq_test_fixture_list(&n);
        uint8_t *stream = NULL;
        int round;
        (void)state;
        for (i = 0; i < n; i++) {
                size_t len;
                uint8_t *f = rmq_test_fixture_load(files[i], &len, NULL, 0);
                stream     = realloc(stream, total + len);
                memcpy(stream + total, f, len);
                total += len;
                free(f);
        }
        srand(12345);
        for (round = 0; round < 200; round++) {
                rmq_frame_decoder_t dec;
                collect_t c = {stream, 0, 0, 0, 0};
                size_t off  = 0;
                rmq__fdec_init(&dec, RMQ_FRAME_MAX_LENGTH_DEFAULT);
                while (off < total) {
                        size_t chunk = round == 0 ? 1
                                                  : (size_t)(rand() % 700) + 1;
                        if (chunk > total - off)
                                chunk = total - off;
                        assert_int_equal(rmq__fdec_feed(&dec, stream + off,
                                                        chunk, collect_cb, &c,
                                                        NULL, 0),
                                         0);
                        off += chunk;
                }
                assert_int_equal(c.frames, n);
                assert_int_equal(c.off, total);
                assert_false(c.mismatch);
                rmq__fdec_free(&dec);
        }
        free(stream);
        rmq_test_strv_free(files);
}

static int collect_view_cb(const uint8_t *frame, size_t len, void *opaque) {
        collect_t *c = opaque;
        if (memcmp(c->stream + c->off, frame, len))
                c->mismatch = 1;
        c->off += len;
        c->frames++;
        c->views++;
        return 0;
}

/* With a view callback, frames fed whole come as views, the others as
 * owned buffers, in stream order, whatever the chunking. */
static void test_stream_views_any_chunking(void **state) {
        size_t n, i, total = 0, views = 0;
        char **files    = rmq_test_fixture_list(&n);
        uint8_t *stream = NULL;
        int round;
        (void)state;
        for (i = 0; i < n; i++) {
                size_t len;
                uint8_t *f = rmq_test_fixture_load(files[i], &len, NULL, 0);
                stream     = realloc(stream, total + len);
                memcpy(stream + total, f, len);
                total += len;
                free(f);
        }
        srand(54321);
        for (round = 0; round < 200; round++) {
                rmq_frame_decoder_t dec;
                collect_t c = {stream, 0, 0, 0, 0};
                size_t off  = 0;
                rmq__fdec_init(&dec, RMQ_FRAME_MAX_LENGTH_DEFAULT);
                rmq__fdec_set_view(&dec, collect_view_cb, 512);
                while (off < total) {
                        size_t chunk = round == 0   ? total
                                       : round == 1 ? 1
                                                    : (size_t)(rand() % 3000) + 1;
                        if (chunk > total - off)
                                chunk = total - off;
                        assert_int_equal(rmq__fdec_feed(&dec, stream + off,
                                                        chunk, collect_cb, &c,
                                                        NULL, 0),
                                         0);
                        off += chunk;
                }
                assert_int_equal(c.frames, n);
                assert_int_equal(c.off, total);
                assert_false(c.mismatch);
                if (round == 1)
                        assert_int_equal(c.views, 0);
                views += c.views;
                rmq__fdec_free(&dec);
        }
        assert_true(views > 0);
        free(stream);
        rmq_test_strv_free(files);
}

static void test_stream_direct_reads(void **state) {
        /* The zero-copy path: after a length word, read the rest straight
         * into the decoder's frame buffer. */
        size_t len;
        uint8_t *f = rmq_test_fixture_load("042-", &len, NULL, 0);
        rmq_frame_decoder_t dec;
        collect_t c = {f, 0, 0, 0, 0};
        uint8_t *dst;
        size_t room;
        (void)state;
        rmq__fdec_init(&dec, 0);
        assert_null(rmq__fdec_direct(&dec, &room));
        assert_int_equal(rmq__fdec_feed(&dec, f, 6, collect_cb, &c, NULL, 0),
                         0);
        dst = rmq__fdec_direct(&dec, &room);
        assert_non_null(dst);
        assert_int_equal(room, len - 6);
        memcpy(dst, f + 6, 10);
        assert_int_equal(rmq__fdec_commit(&dec, 10, collect_cb, &c), 0);
        assert_int_equal(c.frames, 0);
        dst = rmq__fdec_direct(&dec, &room);
        memcpy(dst, f + 16, room);
        assert_int_equal(rmq__fdec_commit(&dec, room, collect_cb, &c), 0);
        assert_int_equal(c.frames, 1);
        assert_false(c.mismatch);
        rmq__fdec_free(&dec);
        free(f);
}

static void test_stream_rejects_bad_lengths(void **state) {
        static const uint8_t tiny[]  = {0, 0, 0, 3, 0, 0, 0};
        static const uint8_t huge[]  = {0x01, 0x00, 0x00, 0x01};
        static const uint8_t neg[]   = {0x80, 0x00, 0x00, 0x00};
        rmq_frame_decoder_t dec;
        char err[128] = "";
        collect_t c   = {NULL, 0, 0, 0, 0};
        (void)state;
        rmq__fdec_init(&dec, RMQ_FRAME_MAX_LENGTH_DEFAULT);
        assert_int_equal(rmq__fdec_feed(&dec, tiny, sizeof(tiny), collect_cb,
                                        &c, err, sizeof(err)),
                         -1);
        assert_non_null(strstr(err, "frame length 3"));
        rmq__fdec_free(&dec);
        rmq__fdec_init(&dec, RMQ_FRAME_MAX_LENGTH_DEFAULT);
        assert_int_equal(rmq__fdec_feed(&dec, huge, sizeof(huge), collect_cb,
                                        &c, err, sizeof(err)),
                         -1);
        assert_non_null(strstr(err, "16777217"));
        rmq__fdec_free(&dec);
        rmq__fdec_init(&dec, RMQ_FRAME_MAX_LENGTH_DEFAULT);
        assert_int_equal(rmq__fdec_feed(&dec, neg, sizeof(neg), collect_cb,
                                        &c, NULL, 0),
                         -1);
        rmq__fdec_free(&dec);
        assert_int_equal(c.frames, 0);
}

static void expect_bad(const uint8_t *f, size_t len, const char *why) {
        rmq_cmd_t *cmd = (rmq_cmd_t *)1;
        char err[200]  = "";
        assert_int_equal(rmq__cmd_decode(f, len, &cmd, err, sizeof(err)),
                         RMQ_ERR__BAD_MSG);
        assert_null(cmd);
        if (!strstr(err, why))
                fail_msg("expected \"%s\" in \"%s\"", why, err);
}

static void test_decode_rejects_malformed(void **state) {
        static const uint8_t truncated[] = {0x00, 0x00, 0x00, 0x10, 0x00};
        static const uint8_t hlen_over[] = {0, 0, 0, 6, 0, 0, 0, 9, '{', '}'};
        static const uint8_t bad_type[]  = {0, 0, 0, 6, 7, 0, 0, 2, '{', '}'};
        static const uint8_t no_code[]   = {0, 0, 0, 6, 0, 0, 0, 2, '{', '}'};
        static const uint8_t bad_json[]  = {0, 0, 0, 8, 0, 0, 0, 4,
                                            '{', '"', 'c', ':'};
        /* ROCKETMQ header whose remark length runs past the header. */
        static const uint8_t bin_remark[] = {0, 0, 0, 21, 1, 0, 0, 17,
                                             0, 10, 0, 0, 1, 0, 0, 0,
                                             1, 0, 0, 0, 0, 0, 0, 0x7f,
                                             0};
        /* ROCKETMQ header whose ext length disagrees with the header. */
        static const uint8_t bin_ext[] = {0, 0, 0, 25, 1, 0, 0, 21, 0, 10,
                                          0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
                                          0, 0, 0, 0, 0, 0, 0, 9};
        (void)state;
        expect_bad(truncated, sizeof(truncated), "frame too short");
        expect_bad(hlen_over, sizeof(hlen_over), "inconsistent frame");
        expect_bad(bad_type, sizeof(bad_type), "serialize type 7");
        expect_bad(no_code, sizeof(no_code), "JSON remoting header");
        expect_bad(bad_json, sizeof(bad_json), "JSON remoting header");
        expect_bad(bin_remark, sizeof(bin_remark), "ROCKETMQ remoting header");
        expect_bad(bin_ext, sizeof(bin_ext), "ROCKETMQ remoting header");
}

static void test_take_body_keeps_header(void **state) {
        size_t len, blen;
        uint8_t *f = rmq_test_fixture_load("042-", &len, NULL, 0);
        rmq_cmd_t *cmd;
        const uint8_t *body;
        void *storage;
        (void)state;
        assert_int_equal(rmq__cmd_decode(f, len, &cmd, NULL, 0), RMQ_OK);
        storage = rmq__cmd_take_body(cmd, &body, &blen);
        assert_non_null(storage);
        assert_int_equal(blen, 221);
        memset(storage, 0, len); /* the header must not live there anymore */
        assert_string_equal(rmq__cmd_ext(cmd, "nextBeginOffset"), "1");
        assert_string_equal(cmd->remark, "FOUND");
        free(storage);
        rmq__cmd_destroy(cmd);
        free(f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_fixture_decodes_as_indexed),
            cmocka_unit_test(test_every_fixture_reencodes_to_same_bytes),
            cmocka_unit_test(test_every_fixture_decodes_pooled),
            cmocka_unit_test(test_json_fast_paths_agree),
            cmocka_unit_test(test_json_fast_path_edges),
            cmocka_unit_test(test_take_body_pooled),
            cmocka_unit_test(test_stream_views_any_chunking),
            cmocka_unit_test(test_roundtrip_json),
            cmocka_unit_test(test_roundtrip_rocketmq),
            cmocka_unit_test(test_ext_refs_and_plain),
            cmocka_unit_test(test_response_echoes_request),
            cmocka_unit_test(test_stream_any_chunking),
            cmocka_unit_test(test_stream_direct_reads),
            cmocka_unit_test(test_stream_rejects_bad_lengths),
            cmocka_unit_test(test_decode_rejects_malformed),
            cmocka_unit_test(test_take_body_keeps_header),
        };
        return cmocka_run_group_tests_name("remoting_cmd", tests, NULL, NULL);
}
