/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mock against the frames captured from a real 4.9.8 name server and
 * broker (../shared/fixtures/wire). Each capture run is replayed in order
 * on a fresh mock: every captured client request is sent as it was; for
 * each captured name server or broker response, the mock's answer to the
 * paired request must have the same code, the same serialize type, the
 * same ext field names and a body of the same shape (JSON: the same keys
 * recursively; stored messages: the same count, topics and property
 * names). The requests the broker starts itself (NOTIFY_CONSUMER_IDS_
 * CHANGED, CHECK_TRANSACTION_STATE, a forwarded GET_CONSUMER_RUNNING_INFO)
 * are compared with what the mock sends.
 *
 * Where the capture relied on state its frames do not show (messages sent
 * by clients whose frames were not kept, a newer heartbeat, commit log
 * offsets of the real broker), that state is set up first from the
 * expected answer: topics from the route, messages from the pull body,
 * subscriptions from the pull's subVersion, the commit log offset of the
 * message a CONSUMER_SEND_MSG_BACK names.
 */
#include "common/rmq_time.h"
#include "mock_client.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_names.h"
#include "protocol/rmq_route.h"

#define MAX_FRAMES 256

typedef struct frame_s {
        char name[160];
        rmq_cmd_t *cmd;
        char src[16], dst[16];
        char code_name[64];
        char rest[96]; /* after the code name, without -rmqbin */
        bool rmqbin;
        int run; /* 1: JSON clients, 3: admin, 2: ROCKETMQ clients */
        int pair; /* response: index of its request; request: response */
        char born[24]; /* a replayed send's bornTimestamp (born_now) */
} frame_t;

typedef struct replay_s {
        rmq_mock_cluster_t *mc;
        mtc_t *c;   /* the clients */
        mtc_t *adm; /* mqadmin */
        const char *ns, *b0;
        rmq_heartbeat_data_t *hbs[32]; /* heartbeats sent, newest last */
        size_t hb_cnt;
        int checked;
} replay_t;

static frame_t frames[MAX_FRAMES];
static size_t nframes;

static int code_of(const char *name) {
        int c;
        for (c = 0; c < 400; c++) {
                const char *n = rmq__request_code_name(c);
                if (n && !strcmp(n, name))
                        return c;
        }
        return -1;
}

/* "NNN-src2dst-CODE[-rest][-rmqbin].bin" */
static void parse_name(frame_t *f) {
        char tmp[160], *p, *dash, *two;
        size_t n;
        int num = atoi(f->name);
        snprintf(tmp, sizeof(tmp), "%s", f->name);
        n = strlen(tmp);
        if (n > 4)
                tmp[n - 4] = '\0';
        if ((n = strlen(tmp)) > 7 && !strcmp(tmp + n - 7, "-rmqbin")) {
                f->rmqbin  = true;
                tmp[n - 7] = '\0';
        }
        p    = strchr(tmp, '-') + 1;
        dash = strchr(p, '-');
        *dash = '\0';
        two   = strchr(p, '2');
        snprintf(f->src, sizeof(f->src), "%.*s", (int)(two - p), p);
        snprintf(f->dst, sizeof(f->dst), "%s", two + 1);
        p = dash + 1;
        /* The code name is the longest prefix of upper case and '_'. */
        for (n = 0; p[n] && (p[n] == '_' || (p[n] >= 'A' && p[n] <= 'Z') ||
                             (p[n] >= '0' && p[n] <= '9'));
             n++)
                ;
        while (n && code_of(p) < 0) {
                char save = p[n];
                p[n]      = '\0';
                if (code_of(p) >= 0) {
                        p[n] = save;
                        break;
                }
                p[n] = save;
                while (n && p[n - 1] != '_')
                        n--;
                if (n)
                        n--;
        }
        snprintf(f->code_name, sizeof(f->code_name), "%.*s", (int)n, p);
        snprintf(f->rest, sizeof(f->rest), "%s", p[n] == '-' ? p + n + 1 : "");
        f->run = num <= 90 ? 1 : num <= 100 ? 3 : 2;
}

static bool is_server(const char *who) {
        return !strcmp(who, "namesrv") || !strcmp(who, "broker");
}

/* The tag of a response: the part of its name after the result. */
static const char *response_tag(const frame_t *f) {
        const char *r = f->rest;
        const char *d;
        if (strncmp(r, "response-", 9))
                return "";
        r += 9;
        d = strchr(r, '-');
        return d ? d + 1 : r;
}

static const char *response_result(const frame_t *f, char *buf, size_t size) {
        const char *r = f->rest + 9, *d = strchr(r, '-');
        snprintf(buf, size, "%.*s", d ? (int)(d - r) : (int)strlen(r), r);
        return buf;
}

static void load_frames(void) {
        size_t n, i;
        char **names = rmq_test_fixture_list(&n);
        nframes      = 0;
        for (i = 0; i < n && nframes < MAX_FRAMES; i++) {
                frame_t *f = &frames[nframes];
                size_t len;
                char err[200];
                uint8_t *data = rmq_test_fixture_load(names[i], &len, NULL, 0);
                memset(f, 0, sizeof(*f));
                snprintf(f->name, sizeof(f->name), "%s", names[i]);
                if (rmq__cmd_decode(data, len, &f->cmd, err, sizeof(err)))
                        fail_msg("%s: %s", names[i], err);
                free(data);
                parse_name(f);
                f->pair = -1;
                nframes++;
        }
        rmq_test_strv_free(names);
        /* Pair every server response with the nearest earlier request of
         * the same code, run and serialize type whose name carries the
         * response's tag (or result). */
        for (i = 0; i < nframes; i++) {
                frame_t *r = &frames[i];
                const char *tag;
                char result[48];
                size_t j;
                int best = -1, any = -1;
                if (!rmq__cmd_is_response(r->cmd) || !is_server(r->src))
                        continue;
                tag = response_tag(r);
                if (!*tag)
                        tag = response_result(r, result, sizeof(result));
                for (j = i; j-- > 0;) {
                        frame_t *q = &frames[j];
                        if (rmq__cmd_is_response(q->cmd) || q->pair >= 0 ||
                            q->run != r->run || q->rmqbin != r->rmqbin ||
                            strcmp(q->code_name, r->code_name) ||
                            strcmp(q->dst, r->src))
                                continue;
                        if (any < 0)
                                any = (int)j;
                        if (best < 0 && strstr(q->rest, tag))
                                best = (int)j;
                }
                if (best < 0)
                        best = any;
                if (best >= 0) {
                        r->pair             = best;
                        frames[best].pair   = (int)i;
                }
        }
}

static void free_frames(void) {
        size_t i;
        for (i = 0; i < nframes; i++)
                rmq__cmd_destroy(frames[i].cmd);
        nframes = 0;
}

/* ---- shape comparison ---- */

static bool json_shape_eq(const cJSON *a, const cJSON *b, char *why,
                          size_t size);

static const cJSON *first_rawkey(const cJSON *o) {
        const cJSON *c;
        for (c = o->child; c; c = c->next)
                if (c->type & RMQ_JSON_RAWKEY)
                        return c;
        return NULL;
}

static bool obj_shape_eq(const cJSON *a, const cJSON *b, char *why,
                         size_t size) {
        const cJSON *c, *ra = first_rawkey(a), *rb = first_rawkey(b);
        /* MessageQueue-keyed maps: keys are data; compare one entry. */
        if (ra || rb) {
                cJSON *ka, *kb;
                bool ok;
                if (!ra || !rb) {
                        snprintf(why, size, "object-keyed map empty on one side");
                        return false;
                }
                ka = rmq__json_parse(ra->string, strlen(ra->string), NULL, 0);
                kb = rmq__json_parse(rb->string, strlen(rb->string), NULL, 0);
                ok = ka && kb && json_shape_eq(ka, kb, why, size) &&
                     json_shape_eq(ra, rb, why, size);
                cJSON_Delete(ka);
                cJSON_Delete(kb);
                return ok;
        }
        for (c = a->child; c; c = c->next) {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(b, c->string);
                if (!o) {
                        snprintf(why, size, "member \"%s\" missing", c->string);
                        return false;
                }
                if (!json_shape_eq(c, o, why, size))
                        return false;
        }
        for (c = b->child; c; c = c->next)
                if (!cJSON_GetObjectItemCaseSensitive(a, c->string)) {
                        snprintf(why, size, "extra member \"%s\"", c->string);
                        return false;
                }
        return true;
}

static bool json_shape_eq(const cJSON *a, const cJSON *b, char *why,
                          size_t size) {
        if (cJSON_IsObject(a) != cJSON_IsObject(b) ||
            cJSON_IsArray(a) != cJSON_IsArray(b)) {
                snprintf(why, size, "type differs at \"%s\"",
                         a->string ? a->string : "");
                return false;
        }
        if (cJSON_IsObject(a))
                return obj_shape_eq(a, b, why, size);
        if (cJSON_IsArray(a)) {
                if (!a->child != !b->child) {
                        snprintf(why, size, "array \"%s\" empty on one side",
                                 a->string ? a->string : "");
                        return false;
                }
                return !a->child || json_shape_eq(a->child, b->child, why, size);
        }
        return true;
}

/* Property names of a stored message, sorted into one string. */
static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void prop_names(const rmq_msg_view_t *mv, char *out, size_t size) {
        rmq_props_iter_t it;
        const char *k, *v;
        size_t kl, vl, n = 0, i;
        char *names[64];
        rmq__props_iter_init(&it, mv->properties, mv->propertiesLen);
        while (n < 64 && rmq__props_next(&it, &k, &kl, &v, &vl)) {
                bool dup = false;
                char *s  = strndup(k, kl);
                for (i = 0; i < n; i++)
                        if (!strcmp(names[i], s))
                                dup = true;
                if (dup)
                        free(s);
                else
                        names[n++] = s;
        }
        qsort(names, n, sizeof(char *), cmp_str);
        out[0] = '\0';
        for (i = 0; i < n; i++) {
                strncat(out, names[i], size - strlen(out) - 2);
                strncat(out, ",", size - strlen(out) - 1);
                free(names[i]);
        }
}

static bool stored_shape_eq(const rmq_cmd_t *a, const rmq_cmd_t *b, char *why,
                            size_t size) {
        rmq_rd_t ra, rb;
        rmq_msg_view_t ma, mb;
        char pa[400], pb[400];
        int i = 0;
        rmq__rd_init(&ra, a->body, a->body_len);
        rmq__rd_init(&rb, b->body, b->body_len);
        while (rmq__rd_remains(&ra) > 0) {
                if (rmq__rd_remains(&rb) == 0) {
                        snprintf(why, size, "fewer messages (%d)", i);
                        return false;
                }
                if (rmq__msg_decode_next(&ra, &ma) ||
                    rmq__msg_decode_next(&rb, &mb)) {
                        snprintf(why, size, "message %d does not decode", i);
                        return false;
                }
                if (ma.topicLen != mb.topicLen ||
                    memcmp(ma.topic, mb.topic, ma.topicLen)) {
                        snprintf(why, size, "message %d topic %.*s vs %.*s", i,
                                 (int)ma.topicLen, ma.topic, (int)mb.topicLen,
                                 mb.topic);
                        return false;
                }
                prop_names(&ma, pa, sizeof(pa));
                prop_names(&mb, pb, sizeof(pb));
                if (strcmp(pa, pb)) {
                        snprintf(why, size, "message %d properties {%s} vs {%s}",
                                 i, pa, pb);
                        return false;
                }
                i++;
        }
        if (rmq__rd_remains(&rb) > 0) {
                snprintf(why, size, "more messages than %d", i);
                return false;
        }
        return true;
}

static bool ext_names_eq(const rmq_cmd_t *a, const rmq_cmd_t *b, char *why,
                         size_t size) {
        uint32_t i;
        for (i = 0; i < a->ext_cnt; i++)
                if (!rmq__cmd_ext(b, a->ext[i].key)) {
                        snprintf(why, size, "ext field %s missing",
                                 a->ext[i].key);
                        return false;
                }
        for (i = 0; i < b->ext_cnt; i++)
                if (!rmq__cmd_ext(a, b->ext[i].key)) {
                        snprintf(why, size, "extra ext field %s",
                                 b->ext[i].key);
                        return false;
                }
        return true;
}

/* want: the captured frame; got: the mock's. */
static void compare(const char *name, const rmq_cmd_t *want,
                    const rmq_cmd_t *got) {
        char why[1200] = "";
        if (want->code != got->code)
                fail_msg("%s: code %d, mock answered %d (%s)", name, want->code,
                         got->code, got->remark ? got->remark : "");
        if (want->serialize_type != got->serialize_type)
                fail_msg("%s: serialize type %d vs %d", name,
                         want->serialize_type, got->serialize_type);
        if ((want->flag & RMQ_CMD_FLAG_ONEWAY) != (got->flag & RMQ_CMD_FLAG_ONEWAY))
                fail_msg("%s: oneway flag differs", name);
        if (!ext_names_eq(want, got, why, sizeof(why)))
                fail_msg("%s: %s", name, why);
        if (!want->body_len != !got->body_len)
                fail_msg("%s: body %zu vs %zu bytes", name, want->body_len,
                         got->body_len);
        if (!want->body_len)
                return;
        if (want->body[0] == '{' || want->body[0] == '[') {
                char e1[128], e2[128];
                cJSON *a = rmq__json_parse((const char *)want->body,
                                           want->body_len, e1, sizeof(e1));
                cJSON *b = rmq__json_parse((const char *)got->body,
                                           got->body_len, e2, sizeof(e2));
                bool ok;
                if (!a || !b)
                        fail_msg("%s: body JSON: %s / %s", name,
                                 a ? "" : e1, b ? "" : e2);
                ok = json_shape_eq(a, b, why, sizeof(why));
                cJSON_Delete(a);
                cJSON_Delete(b);
                if (!ok)
                        fail_msg("%s: body shape: %s\n  mock: %.*s", name, why,
                                 (int)RMQ_MIN(got->body_len, 600), got->body);
                return;
        }
        if (!stored_shape_eq(want, got, why, sizeof(why)))
                fail_msg("%s: stored messages: %s", name, why);
}

/* ---- state set-up ---- */

static void remember_hb(replay_t *rp, const rmq_cmd_t *req) {
        rmq_heartbeat_data_t *hb;
        char err[128];
        if (!req->body_len ||
            rmq__heartbeat_decode(req->body, req->body_len, &hb, err,
                                  sizeof(err)))
                return;
        if (rp->hb_cnt == 32) {
                rmq__heartbeat_destroy(rp->hbs[0]);
                memmove(rp->hbs, rp->hbs + 1, 31 * sizeof(*rp->hbs));
                rp->hb_cnt--;
        }
        rp->hbs[rp->hb_cnt++] = hb;
}

static rmq_consumer_data_t *hb_group(rmq_heartbeat_data_t *hb,
                                     const char *group) {
        size_t i;
        for (i = 0; i < hb->consumerDataSet_cnt; i++)
                if (!strcmp(hb->consumerDataSet[i].groupName, group))
                        return &hb->consumerDataSet[i];
        return NULL;
}

static void send_hb(replay_t *rp, mtc_t *c, const rmq_heartbeat_data_t *hb) {
        rmq_buf_t b    = RMQ_BUF_INIT;
        rmq_cmd_t *req = mtc_req(RMQ_REQ_HEART_BEAT, NULL), *resp;
        rmq__heartbeat_encode(hb, &b);
        rmq__cmd_set_body_copy(req, b.data, b.len);
        rmq__buf_free(&b);
        resp = mtc_call(c, rp->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
}

/* The group subscribes \p topic at \p version or later (a heartbeat the
 * capture does not show). Returns false if it did already. */
static void ensure_subscription(replay_t *rp, const char *group,
                                const char *topic, int64_t version,
                                const char *client_id) {
        rmq_heartbeat_data_t *hb = NULL;
        rmq_consumer_data_t *cd;
        rmq_subscription_data_t *sd = NULL;
        size_t i;
        for (i = rp->hb_cnt; i-- > 0 && !hb;)
                if (hb_group(rp->hbs[i], group))
                        hb = rp->hbs[i];
        if (!hb) {
                hb = rmq__heartbeat_new(client_id ? client_id
                                                  : "192.0.2.2@fixture");
                rmq__heartbeat_add_consumer(hb, group, RMQ_HB_CONSUME_PASSIVELY,
                                            RMQ_HB_CLUSTERING,
                                            RMQ_HB_CONSUME_FROM_FIRST_OFFSET,
                                            false);
                rp->hbs[rp->hb_cnt++] = hb;
        }
        if (client_id && strcmp(hb->clientID, client_id)) {
                rmq__free(hb->clientID);
                hb->clientID = rmq__strdup(client_id);
        }
        cd = hb_group(hb, group);
        for (i = 0; i < cd->subscriptionDataSet_cnt; i++)
                if (!strcmp(cd->subscriptionDataSet[i].topic, topic))
                        sd = &cd->subscriptionDataSet[i];
        if (!sd) {
                rmq_subscription_data_t n;
                rmq__subscription_build(&n, topic, "*", "TAG", version);
                rmq__consumer_data_add_subscription(cd, &n);
                rmq__subscription_clear(&n);
        } else if (sd->subVersion < version) {
                sd->subVersion = version;
        }
        send_hb(rp, rp->c, hb);
}

static int64_t ext_i64(const rmq_cmd_t *cmd, const char *key) {
        int64_t v = 0;
        rmq__cmd_ext_i64(cmd, key, &v);
        return v;
}

/* Stores a copy of \p mv at the end of a queue: a one-element batch keeps
 * its properties as they are (plus CLUSTER). */
static void store_copy(replay_t *rp, const char *topic, int qid,
                       const rmq_msg_view_t *mv) {
        rmq_buf_t b = RMQ_BUF_INIT;
        char q[16], f[16];
        rmq_cmd_t *req, *resp;
        snprintf(q, sizeof(q), "%d", qid);
        snprintf(f, sizeof(f), "%d", mv->sysFlag & ~RMQ_SYSFLAG_TRANSACTION_MASK &
                                         ~(RMQ_SYSFLAG_BORNHOST_V6 |
                                           RMQ_SYSFLAG_STOREHOST_V6));
        assert_int_equal(rmq__batch_encode_one(&b, mv->flag, mv->body,
                                               mv->bodyLen, mv->properties,
                                               mv->propertiesLen),
                         RMQ_OK);
        req = mtc_req(RMQ_REQ_SEND_BATCH_MESSAGE, "a", "PG_FIXTURE", "b",
                      topic, "c", "TBW102", "d", "4", "e", q, "f", f, "g",
                      "1795617272914", "h", "0", "j", "0", "m", "true", NULL);
        rmq__cmd_set_body_copy(req, b.data, b.len);
        rmq__buf_free(&b);
        resp = mtc_call(rp->c, rp->b0, req);
        if (resp->code)
                fail_msg("store copy in %s: %d %s", topic, resp->code,
                         resp->remark ? resp->remark : "");
        rmq__cmd_destroy(resp);
}

/* The queue holds, at the offsets the expected pull answer shows,
 * messages like those of the answer, and as many as its maxOffset. */
static void fill_queue(replay_t *rp, const rmq_cmd_t *req,
                       const rmq_cmd_t *want) {
        const char *topic = rmq__cmd_ext(req, "topic");
        int qid           = (int)ext_i64(req, "queueId");
        int64_t target    = ext_i64(want, "maxOffset");
        int64_t max;
        rmq_rd_t rd;
        rmq_msg_view_t mv, last;
        bool have = false;
        if (rmq_mock_queue_max_offset(rp->mc, topic, 0, qid) < 0)
                rmq_mock_topic_create(rp->mc, topic, 0, RMQ_MAX(qid + 1, 4),
                                      RMQ_MAX(qid + 1, 4));
        max = rmq_mock_queue_max_offset(rp->mc, topic, 0, qid);
        rmq__rd_init(&rd, want->body, want->body_len);
        while (rmq__rd_remains(&rd) > 0 && !rmq__msg_decode_next(&rd, &mv)) {
                while (max <= mv.queueOffset) {
                        store_copy(rp, topic, qid, &mv);
                        max++;
                }
                last = mv;
                have = true;
        }
        if (!have) { /* PULL_NOT_FOUND: up to the requested offset */
                rmq_msg_view_t filler;
                memset(&filler, 0, sizeof(filler));
                filler.body     = (const uint8_t *)"filler";
                filler.bodyLen  = 6;
                filler.properties = "TAGS\001filler";
                filler.propertiesLen = 11;
                target = ext_i64(req, "queueOffset");
                last   = filler;
        }
        while (max < target) {
                store_copy(rp, topic, qid, &last);
                max++;
        }
}

/* The commit log offset, in the mock, of the message whose UNIQ_KEY is
 * \p uniq in \p topic (sending a copy first if there is none). */
static int64_t commit_offset_of_uniq(replay_t *rp, const char *topic,
                                     const char *uniq) {
        int q;
        int64_t o;
        for (q = 0; q < 16; q++) {
                for (o = 0; o < rmq_mock_queue_max_offset(rp->mc, topic, 0, q);
                     o++) {
                        rmq_mock_msg_t *m;
                        const char *u;
                        rmq_msg_host_t h;
                        int64_t off = -1;
                        if (rmq_mock_message_get(rp->mc, topic, 0, q, o, &m))
                                continue;
                        u = rmq_mock_msg_property(m, "UNIQ_KEY");
                        if (u && !strcmp(u, uniq))
                                rmq__offset_msg_id_decode(
                                    rmq_mock_msg_offset_msg_id(m),
                                    strlen(rmq_mock_msg_offset_msg_id(m)), &h,
                                    &off);
                        rmq_mock_msg_destroy(m);
                        if (off >= 0)
                                return off;
                }
        }
        fail_msg("no message %s in %s", uniq, topic);
        return -1;
}

/* Sets up what the expected answer \p want of \p req needs. */
static void setup_for(replay_t *rp, rmq_cmd_t *req, const rmq_cmd_t *want) {
        const char *topic = rmq__cmd_ext(req, "topic");
        const char *group = rmq__cmd_ext(req, "consumerGroup");
        int32_t flag      = 0;
        switch (req->code) {
        case RMQ_REQ_GET_ROUTEINFO_BY_TOPIC:
                /* Created by a client the capture does not show. */
                if (want->code == 0 &&
                    rmq_mock_queue_max_offset(rp->mc, topic, 0, 0) < 0) {
                        rmq_topic_route_data_t *r;
                        char err[128];
                        assert_int_equal(rmq__topic_route_decode(
                                             want->body, want->body_len, &r,
                                             err, sizeof(err)),
                                         RMQ_OK);
                        rmq_mock_topic_create(rp->mc, topic, 0,
                                              r->queueDatas[0].readQueueNums,
                                              r->queueDatas[0].writeQueueNums);
                        rmq_mock_topic_set_perm(rp->mc, topic, 0,
                                                r->queueDatas[0].perm);
                        rmq__topic_route_destroy(r);
                }
                break;
        case RMQ_REQ_PULL_MESSAGE:
                rmq__cmd_ext_i32(req, "sysFlag", &flag);
                /* delayed and retried messages are due by now */
                rmq_test_sleep_ms(30);
                if (want->code == RMQ_ERR_SUBSCRIPTION_NOT_LATEST)
                        break;
                if (!(flag & RMQ_PULL_FLAG_SUBSCRIPTION))
                        ensure_subscription(rp, group, topic,
                                            ext_i64(req, "subVersion"), NULL);
                if (want->code == 0 || want->code == RMQ_ERR_PULL_NOT_FOUND)
                        fill_queue(rp, req, want);
                break;
        case RMQ_REQ_CONSUMER_SEND_MSG_BACK: {
                char off[24];
                snprintf(off, sizeof(off), "%lld",
                         (long long)commit_offset_of_uniq(
                             rp, rmq__cmd_ext(req, "originTopic"),
                             rmq__cmd_ext(req, "originMsgId")));
                rmq__cmd_ext_add(req, "offset", off);
                break;
        }
        default:
                break;
        }
}

/* mqadmin's view needs the consumer online with its subscriptions and
 * offsets (run 3 was captured against a broker with that state). */
static void setup_admin_state(replay_t *rp) {
        size_t i;
        for (i = 0; i < nframes; i++) {
                const frame_t *f = &frames[i];
                if (f->run != 3)
                        continue;
                if (f->cmd->code == RMQ_REQ_GET_CONSUMER_RUNNING_INFO &&
                    !rmq__cmd_is_response(f->cmd) && !strcmp(f->src, "admin")) {
                        const char *g = rmq__cmd_ext(f->cmd, "consumerGroup");
                        const char *c = rmq__cmd_ext(f->cmd, "clientId");
                        char *retry   = rmq__retry_topic(g);
                        rmq_mock_topic_create(rp->mc, "TopicTest", 0, 4, 4);
                        ensure_subscription(rp, g, "TopicTest", 1, c);
                        ensure_subscription(rp, g, retry, 1, c);
                        rmq__free(retry);
                }
                if (f->cmd->code == 0 && rmq__cmd_is_response(f->cmd) &&
                    strstr(f->name, "GET_CONSUME_STATS")) {
                        rmq_mq_offset_t *e;
                        size_t n, k;
                        char err[128];
                        assert_int_equal(rmq__offset_table_decode(
                                             f->cmd->body, f->cmd->body_len,
                                             "offsetTable", "consumerOffset",
                                             &e, &n, err, sizeof(err)),
                                         RMQ_OK);
                        for (k = 0; k < n; k++) {
                                char q[16], o[24];
                                snprintf(q, sizeof(q), "%d", (int)e[k].mq.queueId);
                                snprintf(o, sizeof(o), "%lld",
                                         (long long)e[k].offset);
                                rmq__cmd_destroy(mtc_call(
                                    rp->c, rp->b0,
                                    mtc_req(RMQ_REQ_UPDATE_CONSUMER_OFFSET,
                                            "consumerGroup", "CG_CONC_r1",
                                            "topic", e[k].mq.topic, "queueId",
                                            q, "commitOffset", o, NULL)));
                        }
                        rmq__offset_table_free(e, n);
                }
        }
}

/* ---- replay ---- */

static replay_t rp_state;

/* One mock for every run: run 2 and run 3 were captured against the
 * broker run 1 left (its queues hold run 1's messages first). */
static void replay_start(replay_t *rp) {
        char err[64];
        memset(rp, 0, sizeof(*rp));
        assert_int_equal(rmq_mock_cluster_new(&rp->mc, 1, err, sizeof(err)),
                         RMQ_OK);
        rp->ns = rmq_mock_cluster_namesrv_addr(rp->mc);
        rp->b0 = rmq_mock_broker_addr(rp->mc, 0);
        /* Time runs faster, and held pulls are answered at once. */
        rmq_mock_cluster_set(rp->mc, "delayTimeScale", "0.001", err,
                             sizeof(err));
        rmq_mock_cluster_set(rp->mc, "longPollingEnable", "false", err,
                             sizeof(err));
        rmq_mock_cluster_set(rp->mc, "shortPollingTimeMills", "5", err,
                             sizeof(err));
        rmq_mock_cluster_set(rp->mc, "transactionCheckInterval", "20", err,
                             sizeof(err));
        rmq_mock_cluster_set(rp->mc, "transactionTimeOut", "0", err,
                             sizeof(err));
}

static void replay_end(replay_t *rp) {
        size_t i;
        rmq_mock_cluster_destroy(rp->mc);
        for (i = 0; i < rp->hb_cnt; i++)
                rmq__heartbeat_destroy(rp->hbs[i]);
        rp->hb_cnt = 0;
}

/* The captured answer of the client to a forwarded request, used by the
 * test client to answer the mock the same way. */
static void set_client_answer(replay_t *rp, int run) {
        size_t i;
        for (i = 0; i < nframes; i++)
                if (frames[i].run == run && rmq__cmd_is_response(frames[i].cmd) &&
                    !strcmp(frames[i].src, "client"))
                        rp->c->running_answer = frames[i].cmd;
}

/* A captured send is replayed as born now: a half message born more than
 * fileReservedTime (72 h) ago would be discarded unchecked
 * (TransactionalMessageServiceImpl#needSkip), so the captured
 * CHECK_TRANSACTION_STATE could not be compared. \p buf (which lives
 * as long as \p req) receives the new value. */
static void born_now(rmq_cmd_t *req, char *buf, size_t size) {
        uint32_t i;
        if (req->code != RMQ_REQ_SEND_MESSAGE &&
            req->code != RMQ_REQ_SEND_MESSAGE_V2 &&
            req->code != RMQ_REQ_SEND_BATCH_MESSAGE)
                return;
        snprintf(buf, size, "%lld", (long long)rmq__wall_ms());
        for (i = 0; i < req->ext_cnt; i++) {
                if (strcmp(req->ext[i].key, "g") &&
                    strcmp(req->ext[i].key, "bornTimestamp"))
                        continue;
                req->ext[i].val  = buf;
                req->ext[i].vlen = (uint32_t)strlen(buf);
        }
}

static void replay_run(int run) {
        replay_t *rpp = &rp_state;
#define rp (*rpp)
        size_t i;
        /* New client processes: the previous run's connections close. */
        rp.c       = mtc_new();
        rp.adm     = mtc_new();
        rp.checked = 0;
        for (i = 0; i < rp.hb_cnt; i++)
                rmq__heartbeat_destroy(rp.hbs[i]);
        rp.hb_cnt = 0;
        set_client_answer(&rp, run);
        for (i = 0; i < nframes; i++)
                if (frames[i].run == run && rmq__cmd_is_response(frames[i].cmd) &&
                    is_server(frames[i].src) && frames[i].pair < 0)
                        fail_msg("%s: no request to pair with", frames[i].name);
        if (run == 3)
                setup_admin_state(&rp);
        for (i = 0; i < nframes; i++) {
                frame_t *f = &frames[i];
                mtc_t *who;
                const char *addr;
                rmq_cmd_t *resp = NULL;
                rmq_err_t e;
                if (f->run != run || rmq__cmd_is_response(f->cmd) ||
                    !is_server(f->dst))
                        continue;
                who  = !strcmp(f->src, "admin") ? rp.adm : rp.c;
                addr = !strcmp(f->dst, "namesrv") ? rp.ns : rp.b0;
                f->cmd->opaque = rmq__cmd_next_opaque();
                if (f->pair >= 0)
                        setup_for(&rp, f->cmd, frames[f->pair].cmd);
                if (f->cmd->code == RMQ_REQ_HEART_BEAT)
                        remember_hb(&rp, f->cmd);
                born_now(f->cmd, f->born, sizeof(f->born));
                if (f->pair < 0 && rmq__cmd_is_oneway(f->cmd)) {
                        assert_int_equal(rmq__remoting_invoke_oneway(
                                             who->rm, addr, f->cmd, 3000),
                                         RMQ_OK);
                        continue;
                }
                e = rmq__remoting_invoke_sync(who->rm, addr, f->cmd, 5000,
                                              &resp, NULL, 0);
                if (e && f->pair >= 0)
                        fail_msg("%s: no answer (%s)", f->name,
                                 rmq_err2name(e));
                if (f->pair >= 0) {
                        compare(frames[f->pair].name, frames[f->pair].cmd,
                                resp);
                        rp.checked++;
                }
                rmq__cmd_destroy(resp);
        }
        /* The requests the broker sent by itself. */
        for (i = 0; i < nframes; i++) {
                frame_t *f = &frames[i];
                rmq_cmd_t *got;
                mtc_t *who = rp.c;
                if (f->run != run || rmq__cmd_is_response(f->cmd) ||
                    !is_server(f->src))
                        continue;
                if (f->cmd->code == RMQ_REQ_REGISTER_BROKER)
                        continue; /* a broker's, not the mock's */
                if (!mtc_inbox_wait(who, f->cmd->code, 1, 3000))
                        fail_msg("%s: the mock sent no %s", f->name,
                                 f->code_name);
                got = mtc_inbox_take(who, f->cmd->code);
                compare(f->name, f->cmd, got);
                rmq__cmd_destroy(got);
                rp.checked++;
        }
        fprintf(stderr, "run %d: %d frames compared\n", run, rp.checked);
        assert_true(rp.checked > 0);
        mtc_destroy(rp.c);
        mtc_destroy(rp.adm);
        rp.c = rp.adm = NULL;
#undef rp
}

static void test_run1_json_clients(void **state) {
        (void)state;
        replay_run(1);
}

static void test_run3_admin(void **state) {
        (void)state;
        replay_run(3);
}

static void test_run2_rocketmq_serialize(void **state) {
        (void)state;
        replay_run(2);
}

static int group_setup(void **state) {
        (void)state;
        load_frames();
        replay_start(&rp_state);
        return nframes ? 0 : -1;
}

static int group_teardown(void **state) {
        (void)state;
        if (rp_state.c) {
                mtc_destroy(rp_state.c);
                mtc_destroy(rp_state.adm);
        }
        replay_end(&rp_state);
        free_frames();
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_run1_json_clients),
            cmocka_unit_test(test_run2_rocketmq_serialize),
            cmocka_unit_test(test_run3_admin),
        };
        return cmocka_run_group_tests_name("mock_fixtures", tests, group_setup,
                                           group_teardown);
}
