/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message queue allocation strategies (see rmq_allocate.h).
 *
 * @see Java: client/.../consumer/rebalance/ and common/.../consistenthash/
 */
#include <stdio.h>

#include <openssl/evp.h>

#include "common/rmq_str.h"
#include "consumer/rmq_allocate.h"

typedef enum rmq_allocate_kind_t {
        RMQ_ALLOCATE_AVG,
        RMQ_ALLOCATE_AVG_BY_CIRCLE,
        RMQ_ALLOCATE_CONFIG,
        RMQ_ALLOCATE_MACHINE_ROOM,
        RMQ_ALLOCATE_MACHINE_ROOM_NEARBY,
        RMQ_ALLOCATE_CONSISTENT_HASH,
        RMQ_ALLOCATE_CUSTOM
} rmq_allocate_kind_t;

struct rmq_allocate_s {
        rmq_allocate_kind_t kind;
        char *name; /* getName() */

        /* CONFIG: AllocateMessageQueueByConfig.messageQueueList */
        rmq_mq_t *config;
        size_t config_cnt;

        /* MACHINE_ROOM: AllocateMessageQueueByMachineRoom.consumeridcs */
        char **idcs;
        size_t idc_cnt;

        /* MACHINE_ROOM_NEARBY */
        rmq_allocate_t *inner;
        rmq_allocate_broker_room_cb_t *broker_room;
        rmq_allocate_consumer_room_cb_t *cons_room;

        /* CONSISTENT_HASH; hash NULL is MD5Hash */
        int vnode_cnt;
        rmq_allocate_hash_cb_t *hash;

        /* CUSTOM */
        rmq_allocate_cb_t *cb;

        void *opaque; /* for whichever callbacks the kind has */
        void (*opaque_free)(void *opaque); /* custom: frees opaque */
};

/* ---- helpers ---- */

/* A growing result list (Java's ArrayList<MessageQueue> result). */
typedef struct mqv_s {
        rmq_mq_t *v;
        size_t cnt;
        size_t cap;
} mqv_t;

static void mqv_reserve(mqv_t *r, size_t more) {
        size_t cap;
        if (r->cnt + more <= r->cap)
                return;
        cap = r->cap ? r->cap : 8;
        while (cap < r->cnt + more)
                cap *= 2;
        r->v   = rmq__realloc(r->v, cap * sizeof(*r->v));
        r->cap = cap;
}

/* result.add(mq): appends a copy. */
static void mqv_add(mqv_t *r, const rmq_mq_t *mq) {
        mqv_reserve(r, 1);
        rmq__mq_copy(&r->v[r->cnt++], mq);
}

/* result.addAll(list): moves the \p n queues of \p mqs (an array from
 * rmq__allocate) to the end of \p r and frees the array. */
static void mqv_take(mqv_t *r, rmq_mq_t *mqs, size_t n) {
        if (n > 0) {
                mqv_reserve(r, n);
                memcpy(r->v + r->cnt, mqs, n * sizeof(*mqs));
                r->cnt += n;
        }
        rmq__free(mqs);
}

static void mqv_free(mqv_t *r) {
        rmq__mq_array_free(r->v, r->cnt);
        memset(r, 0, sizeof(*r));
}

/* List.indexOf(currentCID) for a non-NULL \p cid: the first equal entry,
 * or -1. NULL entries never match (String.equals(null) is false). */
static ptrdiff_t cid_index(const char *const *cid_all, size_t cid_cnt,
                           const char *cid) {
        size_t i;
        for (i = 0; i < cid_cnt; i++)
                if (cid_all[i] && !strcmp(cid_all[i], cid))
                        return (ptrdiff_t)i;
        return -1;
}

/*
 * mirrors AbstractAllocateMessageQueueStrategy.check. Returns an error for
 * the arguments Java rejects with IllegalArgumentException (same
 * messages). Otherwise returns RMQ_OK with *indexp = cidAll.indexOf
 * (currentCID), -1 when absent (Java's check returns false: empty result).
 */
static rmq_err_t check(const char *current_cid, const rmq_mq_t *mq_all,
                       size_t mq_cnt, const char *const *cid_all,
                       size_t cid_cnt, ptrdiff_t *indexp, char *errstr,
                       size_t errstr_size) {
        *indexp = -1;
        if (!current_cid || !*current_cid)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "currentCID is empty");
        if (!mq_all || mq_cnt == 0)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "mqAll is null or mqAll empty");
        if (!cid_all || cid_cnt == 0)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "cidAll is null or cidAll empty");
        *indexp = cid_index(cid_all, cid_cnt, current_cid);
        return RMQ_OK;
}

/* Formats into a growing scratch buffer; returns the length. */
static size_t scratch_key(char **bufp, size_t *capp, const char *cid, int idx,
                          const rmq_mq_t *mq) {
        for (;;) {
                int n = mq ? rmq__mq_format(mq, *bufp, *capp)
                           : snprintf(*bufp, *capp, "%s-%d", cid ? cid : "null",
                                      idx);
                if (n >= 0 && (size_t)n < *capp)
                        return (size_t)n;
                *capp = n >= 0 ? (size_t)n + 1 : *capp * 2;
                *bufp = rmq__realloc(*bufp, *capp);
        }
}

/* Decodes one UTF-8 sequence at *pp (not at the NUL) and advances. An
 * invalid sequence reads as one U+FFFD, as Java's decoder reads it. */
static uint32_t utf8_next(const unsigned char **pp) {
        const unsigned char *p = *pp;
        uint32_t cp            = p[0];
        size_t n, i;
        if (cp < 0x80) {
                *pp = p + 1;
                return cp;
        }
        if ((cp & 0xe0) == 0xc0) {
                cp &= 0x1f;
                n = 1;
        } else if ((cp & 0xf0) == 0xe0) {
                cp &= 0x0f;
                n = 2;
        } else if ((cp & 0xf8) == 0xf0) {
                cp &= 0x07;
                n = 3;
        } else {
                *pp = p + 1;
                return 0xfffd;
        }
        for (i = 1; i <= n; i++) {
                if ((p[i] & 0xc0) != 0x80) {
                        *pp = p + 1;
                        return 0xfffd;
                }
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        *pp = p + n + 1;
        return cp;
}

/* The first UTF-16 code unit of a code point. */
static uint32_t utf16_first(uint32_t cp) {
        return cp < 0x10000 ? cp : 0xd800 + ((cp - 0x10000) >> 10);
}

/* mirrors String.compareTo (NULL sorts first). At the first differing
 * code point the first UTF-16 units decide; if they are equal, both are
 * supplementary with the same high surrogate, and the code point order is
 * the low surrogate order. */
int rmq__allocate_java_strcmp(const char *a, const char *b) {
        const unsigned char *pa = (const unsigned char *)a;
        const unsigned char *pb = (const unsigned char *)b;
        if (!a || !b)
                return a ? 1 : (b ? -1 : 0);
        while (*pa && *pb) {
                uint32_t ca = utf8_next(&pa), cb = utf8_next(&pb);
                uint32_t ua, ub;
                if (ca == cb)
                        continue;
                ua = utf16_first(ca);
                ub = utf16_first(cb);
                if (ua != ub)
                        return ua < ub ? -1 : 1;
                return ca < cb ? -1 : 1;
        }
        return (*pa != 0) - (*pb != 0);
}

static int java_strcmp_qsort(const void *a, const void *b) {
        return rmq__allocate_java_strcmp(*(const char *const *)a,
                                         *(const char *const *)b);
}

/* ---- AllocateMessageQueueAveragely ---- */

/* mirrors AllocateMessageQueueAveragely.allocate (after check). Consumer
 * \p index takes a contiguous block; the first mqAll.size() % cidAll.size()
 * consumers take one queue more. */
static void allocate_averagely(ptrdiff_t index, const rmq_mq_t *mq_all,
                               size_t mq_cnt, size_t cid_cnt, mqv_t *out) {
        int64_t size = (int64_t)mq_cnt, cids = (int64_t)cid_cnt;
        int64_t idx = (int64_t)index, mod = size % cids;
        int64_t average, start, range, i;
        if (size <= cids)
                average = 1;
        else if (mod > 0 && idx < mod)
                average = size / cids + 1;
        else
                average = size / cids;
        start = (mod > 0 && idx < mod) ? idx * average : idx * average + mod;
        range = RMQ_MIN(average, size - start);
        for (i = 0; i < range; i++)
                mqv_add(out, &mq_all[(start + i) % size]);
}

/* ---- AllocateMessageQueueAveragelyByCircle ---- */

/* mirrors AllocateMessageQueueAveragelyByCircle.allocate (after check):
 * queues index, index + cidAll.size(), ... */
static void allocate_by_circle(ptrdiff_t index, const rmq_mq_t *mq_all,
                               size_t mq_cnt, size_t cid_cnt, mqv_t *out) {
        size_t i;
        for (i = (size_t)index; i < mq_cnt; i++)
                if (i % cid_cnt == (size_t)index)
                        mqv_add(out, &mq_all[i]);
}

/* ---- AllocateMessageQueueByMachineRoom ---- */

/*
 * Whether brokerName.split("@") has exactly two elements, and its first
 * one. String.split drops trailing empty strings, so "idc@name@" and
 * "idc@name@@" have two elements, "idc@" and "idc@@" one, "@" none, and
 * "@name" has two with an empty idc.
 */
static bool split_idc(const char *broker_name, const char **idcp,
                      size_t *idc_lenp) {
        const char *at, *second, *end, *p;
        if (!broker_name)
                return false; /* Java: NullPointerException */
        at = strchr(broker_name, '@');
        if (!at)
                return false; /* one element (also for "") */
        second = at + 1;
        end    = strchr(second, '@');
        if (!end)
                end = second + strlen(second);
        if (end == second)
                return false; /* the second element is empty: at most one
                               * element survives, or it is not the last */
        for (p = end; *p; p++)
                if (*p != '@')
                        return false; /* a third non-empty element */
        *idcp     = broker_name;
        *idc_lenp = (size_t)(at - broker_name);
        return true;
}

/* mirrors AllocateMessageQueueByMachineRoom.allocate (after check). Takes
 * the queues whose brokerName is "idc@name" with idc in consumeridcs, then
 * gives each consumer mod = n / cidAll.size() consecutive ones and the
 * first rem = n % cidAll.size() consumers one more from the tail. */
static void allocate_by_machine_room(const rmq_allocate_t *s, ptrdiff_t index,
                                     const rmq_mq_t *mq_all, size_t mq_cnt,
                                     size_t cid_cnt, mqv_t *out) {
        const rmq_mq_t **pre = rmq__calloc(mq_cnt, sizeof(*pre));
        size_t n             = 0, i, j, mod, rem, start;
        for (i = 0; i < mq_cnt; i++) {
                const char *idc;
                size_t idc_len;
                if (!split_idc(mq_all[i].brokerName, &idc, &idc_len))
                        continue;
                for (j = 0; j < s->idc_cnt; j++) {
                        if (rmq__streqn(idc, idc_len, s->idcs[j])) {
                                pre[n++] = &mq_all[i];
                                break;
                        }
                }
        }
        mod   = n / cid_cnt;
        rem   = n % cid_cnt;
        start = mod * (size_t)index;
        for (i = start; i < start + mod; i++)
                mqv_add(out, pre[i]);
        if (rem > (size_t)index)
                mqv_add(out, pre[(size_t)index + mod * cid_cnt]);
        rmq__free(pre);
}

/* ---- AllocateMachineRoomNearby ---- */

/* Copies a resolver's answer; NULL for no room (null or empty). */
static char *room_copy(const char *room) {
        return room && *room ? rmq__strdup(room) : NULL;
}

/*
 * mirrors AllocateMachineRoomNearby.allocate (after check). Queues and
 * consumers are grouped by machine room. The current consumer first gets
 * its inner-strategy share of the queues in its own room, among the
 * consumers of that room; then, for every other room that has queues but
 * no consumer, in String.compareTo order of the room names (Java's
 * TreeMap), its share of that room's queues among all consumers.
 */
static rmq_err_t allocate_nearby(const rmq_allocate_t *s,
                                 const char *consumer_group,
                                 const char *current_cid,
                                 const rmq_mq_t *mq_all, size_t mq_cnt,
                                 const char *const *cid_all, size_t cid_cnt,
                                 mqv_t *out, char *errstr, size_t errstr_size) {
        char buf[RMQ_ALLOCATE_ROOM_MAX];
        char **mq_room        = rmq__calloc(mq_cnt, sizeof(*mq_room));
        char **cid_room       = rmq__calloc(cid_cnt, sizeof(*cid_room));
        rmq_mq_t *sub_mqs     = rmq__calloc(mq_cnt, sizeof(*sub_mqs));
        const char **sub_cids = rmq__calloc(cid_cnt, sizeof(*sub_cids));
        const char **rooms    = rmq__calloc(mq_cnt, sizeof(*rooms));
        char *cur_room        = NULL;
        rmq_err_t err         = RMQ_OK;
        size_t i, j, r, room_cnt = 0, n, k;
        rmq_mq_t *res;
        size_t res_cnt;

        for (i = 0; i < mq_cnt; i++) {
                mq_room[i] = room_copy(
                    s->broker_room(&mq_all[i], buf, sizeof(buf), s->opaque));
                if (!mq_room[i]) {
                        char *desc;
                        size_t cap = 128;
                        desc       = rmq__malloc(cap);
                        scratch_key(&desc, &cap, NULL, 0, &mq_all[i]);
                        err = rmq__seterr(
                            errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                            "Machine room is null for mq %s", desc);
                        rmq__free(desc);
                        goto out;
                }
        }
        for (i = 0; i < cid_cnt; i++) {
                cid_room[i] = room_copy(
                    s->cons_room(cid_all[i], buf, sizeof(buf), s->opaque));
                if (!cid_room[i]) {
                        err = rmq__seterr(
                            errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                            "Machine room is null for consumer id %s",
                            cid_all[i] ? cid_all[i] : "null");
                        goto out;
                }
        }
        /* Java asks once more for the current consumer. A null answer here
         * is a NullPointerException (TreeMap.remove(null)); an empty one
         * matches no room. */
        {
                const char *cr =
                    s->cons_room(current_cid, buf, sizeof(buf), s->opaque);
                if (!cr) {
                        err = rmq__seterr(
                            errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                            "Machine room is null for consumer id %s",
                            current_cid);
                        goto out;
                }
                cur_room = rmq__strdup(cr);
        }

        /* 1. The queues of the current consumer's room, shared among the
         * consumers of that room. */
        for (i = n = 0; i < mq_cnt; i++)
                if (!strcmp(mq_room[i], cur_room))
                        sub_mqs[n++] = mq_all[i]; /* shallow: borrowed */
        for (i = k = 0; i < cid_cnt; i++)
                if (!strcmp(cid_room[i], cur_room))
                        sub_cids[k++] = cid_all[i];
        if (n > 0) {
                err = rmq__allocate(s->inner, consumer_group, current_cid,
                                    sub_mqs, n, sub_cids, k, &res, &res_cnt,
                                    errstr, errstr_size);
                if (err)
                        goto out;
                mqv_take(out, res, res_cnt);
        }

        /* 2. Rooms with queues but no consumer, in TreeMap key order:
         * their queues are shared among all consumers. */
        for (i = 0; i < mq_cnt; i++)
                if (strcmp(mq_room[i], cur_room))
                        rooms[room_cnt++] = mq_room[i];
        qsort(rooms, room_cnt, sizeof(*rooms), java_strcmp_qsort);
        for (r = 0; r < room_cnt; r++) {
                bool has_consumer = false;
                if (r > 0 && !strcmp(rooms[r], rooms[r - 1]))
                        continue; /* same key */
                for (j = 0; j < cid_cnt && !has_consumer; j++)
                        has_consumer = !strcmp(cid_room[j], rooms[r]);
                if (has_consumer)
                        continue;
                for (i = n = 0; i < mq_cnt; i++)
                        if (!strcmp(mq_room[i], rooms[r]))
                                sub_mqs[n++] = mq_all[i];
                err = rmq__allocate(s->inner, consumer_group, current_cid,
                                    sub_mqs, n, cid_all, cid_cnt, &res,
                                    &res_cnt, errstr, errstr_size);
                if (err)
                        goto out;
                mqv_take(out, res, res_cnt);
        }

out:
        for (i = 0; i < mq_cnt; i++)
                rmq__free(mq_room[i]);
        for (i = 0; i < cid_cnt; i++)
                rmq__free(cid_room[i]);
        rmq__free(mq_room);
        rmq__free(cid_room);
        rmq__free(sub_mqs);
        rmq__free(sub_cids);
        rmq__free(rooms);
        rmq__free(cur_room);
        return err;
}

/* ---- AllocateMessageQueueConsistentHash / ConsistentHashRouter ---- */

int64_t rmq__allocate_md5_hash(const char *key, size_t len) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        if (!EVP_Digest(key, len, md, &md_len, EVP_md5(), NULL) || md_len < 4)
                return -1;
        return (int64_t)(((uint32_t)md[0] << 24) | ((uint32_t)md[1] << 16) |
                         ((uint32_t)md[2] << 8) | (uint32_t)md[3]);
}

/* One ring entry: TreeMap<Long, VirtualNode> key and the physical node,
 * as the index of the first cidAll entry with the same id. */
typedef struct ring_ent_s {
        int64_t key;
        size_t owner;
} ring_ent_t;

/* The ring while it is built: an open-addressing map from ring position
 * to owner, so that a put on an existing position replaces the node. */
typedef struct ring_map_s {
        ring_ent_t *slot;
        bool *used;
        size_t mask;
        size_t cnt;
} ring_map_t;

static size_t ring_slot(const ring_map_t *m, int64_t key) {
        uint64_t h = (uint64_t)key; /* splitmix64 finaliser */
        size_t i;
        h ^= h >> 30;
        h *= UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 27;
        h *= UINT64_C(0x94d049bb133111eb);
        h ^= h >> 31;
        for (i = (size_t)h & m->mask;; i = (i + 1) & m->mask)
                if (!m->used[i] || m->slot[i].key == key)
                        return i;
}

static int ring_ent_cmp(const void *a, const void *b) {
        int64_t x = ((const ring_ent_t *)a)->key;
        int64_t y = ((const ring_ent_t *)b)->key;
        return x < y ? -1 : x > y;
}

/* String.equals, with NULL equal only to NULL. */
static bool same_id(const char *a, const char *b) {
        return a && b ? !strcmp(a, b) : a == b;
}

/* Java's HashFunction.hash over the UTF-8 bytes of \p key. */
static int64_t ring_hash(const rmq_allocate_t *s, const char *key, size_t len) {
        return s->hash ? s->hash(key, s->opaque)
                       : rmq__allocate_md5_hash(key, len);
}

/*
 * mirrors AllocateMessageQueueConsistentHash.allocate (after check) with
 * ConsistentHashRouter: every consumer adds virtualNodeCnt virtual nodes
 * keyed "<cid>-<i>", i counting on from the nodes the same id already has
 * on the ring (getExistingReplicas: an id listed twice gets 10..19 the
 * second time; a node replaced by a later put on the same position no
 * longer counts). A put on an existing position replaces its node. A
 * queue goes to the node at the first position >= hash(mq.toString())
 * (SortedMap.tailMap), wrapping to the first position.
 */
static rmq_err_t allocate_consistent_hash(const rmq_allocate_t *s,
                                          const char *current_cid,
                                          const rmq_mq_t *mq_all, size_t mq_cnt,
                                          const char *const *cid_all,
                                          size_t cid_cnt, mqv_t *out,
                                          char *errstr, size_t errstr_size) {
        size_t total = cid_cnt * (size_t)s->vnode_cnt, cap = 1, i, j;
        size_t *canon, *replicas, ring_cnt = 0, key_cap = 128, me;
        ring_map_t map = {0};
        ring_ent_t *ring;
        char *key;
        rmq_err_t err = RMQ_OK;

        if (total == 0)
                return RMQ_OK; /* empty ring: routeNode returns null */

        /* Physical nodes are equal when their keys are (isVirtualNodeOf). */
        canon    = rmq__calloc(cid_cnt, sizeof(*canon));
        replicas = rmq__calloc(cid_cnt, sizeof(*replicas));
        for (i = 0; i < cid_cnt; i++) {
                canon[i] = i;
                for (j = 0; j < i; j++) {
                        if (same_id(cid_all[i], cid_all[j])) {
                                canon[i] = canon[j];
                                break;
                        }
                }
        }

        while (cap < 2 * total)
                cap *= 2;
        map.slot = rmq__calloc(cap, sizeof(*map.slot));
        map.used = rmq__calloc(cap, sizeof(*map.used));
        map.mask = cap - 1;
        key      = rmq__malloc(key_cap);

        /* ConsistentHashRouter(pNodes, vNodeCount): addNode per consumer. */
        for (i = 0; i < cid_cnt; i++) {
                size_t existing = replicas[canon[i]];
                for (j = 0; j < (size_t)s->vnode_cnt; j++) {
                        size_t len = scratch_key(&key, &key_cap, cid_all[i],
                                                 (int)(j + existing), NULL);
                        int64_t h  = ring_hash(s, key, len);
                        size_t at;
                        if (!s->hash && h < 0) {
                                err = rmq__seterr(errstr, errstr_size,
                                                  RMQ_ERR__FAIL,
                                                  "MD5 is not available");
                                goto out;
                        }
                        at = ring_slot(&map, h);
                        if (map.used[at]) {
                                replicas[map.slot[at].owner]--;
                        } else {
                                map.used[at] = true;
                                map.cnt++;
                        }
                        map.slot[at].key   = h;
                        map.slot[at].owner = canon[i];
                        replicas[canon[i]]++;
                }
        }

        /* The TreeMap: positions in signed (Long) order. */
        ring = map.slot; /* compacted in place */
        for (i = 0; i < cap; i++)
                if (map.used[i])
                        ring[ring_cnt++] = map.slot[i];
        qsort(ring, ring_cnt, sizeof(*ring), ring_ent_cmp);

        me = canon[cid_index(cid_all, cid_cnt, current_cid)];
        for (i = 0; i < mq_cnt; i++) {
                size_t len = scratch_key(&key, &key_cap, NULL, 0, &mq_all[i]);
                int64_t h  = ring_hash(s, key, len);
                size_t lo = 0, hi = ring_cnt;
                if (!s->hash && h < 0) {
                        err = rmq__seterr(errstr, errstr_size, RMQ_ERR__FAIL,
                                          "MD5 is not available");
                        goto out;
                }
                while (lo < hi) { /* first position >= h */
                        size_t mid = lo + (hi - lo) / 2;
                        if (ring[mid].key < h)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                if (lo == ring_cnt)
                        lo = 0;
                if (ring[lo].owner == me)
                        mqv_add(out, &mq_all[i]);
        }

out:
        rmq__free(key);
        rmq__free(map.slot);
        rmq__free(map.used);
        rmq__free(canon);
        rmq__free(replicas);
        return err;
}

/* ---- constructors ---- */

static rmq_allocate_t *allocate_new(rmq_allocate_kind_t kind,
                                    const char *name) {
        rmq_allocate_t *s = rmq__calloc(1, sizeof(*s));
        s->kind           = kind;
        s->name           = rmq__strdup(name);
        return s;
}

rmq_allocate_t *rmq__allocate_averagely(void) {
        return allocate_new(RMQ_ALLOCATE_AVG, "AVG");
}

rmq_allocate_t *rmq__allocate_by_circle(void) {
        return allocate_new(RMQ_ALLOCATE_AVG_BY_CIRCLE, "AVG_BY_CIRCLE");
}

rmq_allocate_t *rmq__allocate_by_config(const rmq_mq_t *mqs, size_t n) {
        rmq_allocate_t *s = allocate_new(RMQ_ALLOCATE_CONFIG, "CONFIG");
        size_t i;
        if (mqs && n > 0) {
                s->config     = rmq__calloc(n, sizeof(*s->config));
                s->config_cnt = n;
                for (i = 0; i < n; i++)
                        rmq__mq_copy(&s->config[i], &mqs[i]);
        }
        return s;
}

rmq_allocate_t *rmq__allocate_by_machine_room(const char *const *idcs,
                                              size_t n) {
        rmq_allocate_t *s =
            allocate_new(RMQ_ALLOCATE_MACHINE_ROOM, "MACHINE_ROOM");
        size_t i;
        if (idcs && n > 0) {
                s->idcs = rmq__calloc(n, sizeof(*s->idcs));
                for (i = 0; i < n; i++)
                        if (idcs[i])
                                s->idcs[s->idc_cnt++] = rmq__strdup(idcs[i]);
        }
        return s;
}

rmq_allocate_t *rmq__allocate_machine_room_nearby(
    rmq_allocate_t *inner, rmq_allocate_broker_room_cb_t *broker_room,
    rmq_allocate_consumer_room_cb_t *cons_room, void *opaque) {
        rmq_allocate_t *s;
        char *name;
        if (!inner || !broker_room || !cons_room) {
                rmq__allocate_destroy(inner);
                return NULL;
        }
        name = rmq__asprintf("MACHINE_ROOM_NEARBY-%s", inner->name);
        s    = allocate_new(RMQ_ALLOCATE_MACHINE_ROOM_NEARBY, name);
        rmq__free(name);
        s->inner       = inner;
        s->broker_room = broker_room;
        s->cons_room   = cons_room;
        s->opaque      = opaque;
        return s;
}

rmq_allocate_t *rmq__allocate_consistent_hash_custom(
    int virtual_node_cnt, rmq_allocate_hash_cb_t *hash, void *opaque) {
        rmq_allocate_t *s;
        if (virtual_node_cnt < 0)
                return NULL;
        s = allocate_new(RMQ_ALLOCATE_CONSISTENT_HASH, "CONSISTENT_HASH");
        s->vnode_cnt = virtual_node_cnt;
        s->hash      = hash;
        s->opaque    = opaque;
        return s;
}

rmq_allocate_t *rmq__allocate_consistent_hash(int virtual_node_cnt) {
        return rmq__allocate_consistent_hash_custom(virtual_node_cnt, NULL,
                                                    NULL);
}

rmq_allocate_t *rmq__allocate_custom(const char *name, rmq_allocate_cb_t *cb,
                                     void *opaque) {
        return rmq__allocate_custom_owned(name, cb, opaque, NULL);
}

rmq_allocate_t *rmq__allocate_custom_owned(const char *name,
                                           rmq_allocate_cb_t *cb, void *opaque,
                                           void (*opaque_free)(void *)) {
        rmq_allocate_t *s;
        if (!name || !cb) {
                if (opaque_free)
                        opaque_free(opaque);
                return NULL;
        }
        s              = allocate_new(RMQ_ALLOCATE_CUSTOM, name);
        s->cb          = cb;
        s->opaque      = opaque;
        s->opaque_free = opaque_free;
        return s;
}

void rmq__allocate_destroy(rmq_allocate_t *s) {
        size_t i;
        if (!s)
                return;
        rmq__mq_array_free(s->config, s->config_cnt);
        for (i = 0; i < s->idc_cnt; i++)
                rmq__free(s->idcs[i]);
        rmq__free(s->idcs);
        rmq__allocate_destroy(s->inner);
        if (s->opaque_free)
                s->opaque_free(s->opaque);
        rmq__free(s->name);
        rmq__free(s);
}

const char *rmq__allocate_name(const rmq_allocate_t *s) {
        return s->name;
}

/* ---- allocate ---- */

rmq_err_t rmq__allocate(const rmq_allocate_t *s, const char *consumer_group,
                        const char *current_cid, const rmq_mq_t *mq_all,
                        size_t mq_cnt, const char *const *cid_all,
                        size_t cid_cnt, rmq_mq_t **resultp, size_t *result_cnt,
                        char *errstr, size_t errstr_size) {
        mqv_t out     = {0};
        rmq_err_t err = RMQ_OK;
        ptrdiff_t index;
        size_t i;

        *resultp    = NULL;
        *result_cnt = 0;

        switch (s->kind) {
        case RMQ_ALLOCATE_CONFIG:
                /* AllocateMessageQueueByConfig runs no check. */
                for (i = 0; i < s->config_cnt; i++)
                        mqv_add(&out, &s->config[i]);
                break;

        case RMQ_ALLOCATE_CUSTOM:
                err = s->cb(consumer_group, current_cid, mq_all, mq_cnt,
                            cid_all, cid_cnt, resultp, result_cnt, errstr,
                            errstr_size, s->opaque);
                if (err) {
                        rmq__mq_array_free(*resultp, *result_cnt);
                        *resultp    = NULL;
                        *result_cnt = 0;
                }
                return err;

        default:
                err = check(current_cid, mq_all, mq_cnt, cid_all, cid_cnt,
                            &index, errstr, errstr_size);
                if (err || index < 0)
                        return err;
                switch (s->kind) {
                case RMQ_ALLOCATE_AVG:
                        allocate_averagely(index, mq_all, mq_cnt, cid_cnt,
                                           &out);
                        break;
                case RMQ_ALLOCATE_AVG_BY_CIRCLE:
                        allocate_by_circle(index, mq_all, mq_cnt, cid_cnt,
                                           &out);
                        break;
                case RMQ_ALLOCATE_MACHINE_ROOM:
                        allocate_by_machine_room(s, index, mq_all, mq_cnt,
                                                 cid_cnt, &out);
                        break;
                case RMQ_ALLOCATE_MACHINE_ROOM_NEARBY:
                        err = allocate_nearby(s, consumer_group, current_cid,
                                              mq_all, mq_cnt, cid_all, cid_cnt,
                                              &out, errstr, errstr_size);
                        break;
                case RMQ_ALLOCATE_CONSISTENT_HASH:
                        err = allocate_consistent_hash(
                            s, current_cid, mq_all, mq_cnt, cid_all, cid_cnt,
                            &out, errstr, errstr_size);
                        break;
                default:
                        break;
                }
                break;
        }

        if (err) {
                mqv_free(&out);
                return err;
        }
        if (out.cnt == 0) {
                mqv_free(&out);
                return RMQ_OK;
        }
        *resultp    = out.v;
        *result_cnt = out.cnt;
        return RMQ_OK;
}
