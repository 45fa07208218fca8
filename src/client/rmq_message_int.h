/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Outgoing message internals (Java Message / MessageAccessor) and the
 * MessageQueue value type shared by the producer and consumers.
 */
#ifndef RMQ_MESSAGE_INT_H
#define RMQ_MESSAGE_INT_H

#include <stdatomic.h>

#include "common/rmq_buf.h"
#include "common/rmq_common.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_msg_id.h"
#include "rocketmq/rmq_message.h"

/* A body shared by a message and the sends that still use it. */
typedef struct rmq_body_s {
        atomic_int refcnt;
        void *data;
        size_t len;
        rmq_body_free_cb_t *free_cb;
        void *opaque;
} rmq_body_t;

rmq_body_t *rmq__body_retain(rmq_body_t *body);
void rmq__body_release(rmq_body_t *body);

/* A property: name and value in one allocation ("name\0value\0", freed
 * through name) when `owned`, else both static strings (the WAIT=true
 * every message starts with). */
typedef struct rmq_msg_prop_s {
        const char *name;
        const char *value;
        bool owned;
} rmq_msg_prop_t;

/* Inline room of a message (a new message usually needs no allocation
 * besides its own): properties, and a topic shorter than this. */
#define RMQ_MSG_PROPS_INLINE 4
#define RMQ_MSG_TOPIC_INLINE 64

/* id_state of a message. */
enum { RMQ_MSG_ID_NONE, RMQ_MSG_ID_WRITING, RMQ_MSG_ID_SET };

struct rmq_message_s {
        char *topic; /* topic_inline, heap, or NULL */
        int32_t flag;
        rmq_body_t *body;
        rmq_msg_prop_t *props; /* props_inline or heap */
        size_t prop_cnt;
        size_t prop_cap;
        /* The id its first send gave it (Java's setUniqID writes UNIQ_KEY
         * into the Message): set once, then never changed. msg_id is
         * written by the one thread that moves id_state from NONE to
         * WRITING, and read only after SET (acquire). */
        atomic_int id_state;
        char msg_id[RMQ_MSG_ID_MAX + 1];
        rmq_msg_prop_t props_inline[RMQ_MSG_PROPS_INLINE];
        char topic_inline[RMQ_MSG_TOPIC_INLINE];
};

/* The id of \p msg for a send, into \p out (RMQ_MSG_ID_MAX + 1 bytes),
 * as MessageClientIDSetter.setUniqID leaves it on the caller's Message:
 * the id an earlier send recorded in it, else a new one (rmq__msg_id_create)
 * that is recorded. Thread-safe; returns the length. */
size_t rmq__message_uniq_id(rmq_message_t *msg, char *out);

/* rmq_message_dup() keeping the id: a copy that stands for the same
 * message (the send's copy for hooks and selectors). */
rmq_message_t *rmq__message_dup_same(const rmq_message_t *msg);
/* Records \p from's id in \p msg unless \p msg has one already (the
 * caller's message after a send of its rmq__message_dup_same copy). */
void rmq__message_adopt_id(rmq_message_t *msg, const rmq_message_t *from);

/* Sets a property without the user-property checks (Java putProperty). */
void rmq__message_put_property(rmq_message_t *msg, const char *name,
                               const char *value);
void rmq__message_remove_property(rmq_message_t *msg, const char *name);

/* The properties string of \p msg as a send writes it (k\001v\002...,
 * no trailing separator; sendKernelImpl): UNIQ_KEY when \p uniq_add is
 * given (the message has none of its own) and INSTANCE_ID when
 * \p instance_id is (the namespace, Message.setInstanceId; a message's own
 * INSTANCE_ID is replaced), then the message's properties in the order
 * they were set; with \p retry_topic, RECONSUME_TIME and
 * MAX_RECONSUME_TIMES are left out and parsed into \p reconsume and
 * \p max_reconsume (the header's fields) instead.
 *
 * The order differs from Java's, whose messageProperties2String walks a
 * HashMap (fixture 015 has color, KEYS, unicode, UNIQ_KEY, WAIT, TAGS);
 * the broker parses the string into a map, so order carries no meaning.
 *
 * Writes what fits in \p cap bytes at \p out (NULL with 0 to measure) and
 * returns the whole length: a caller whose buffer was too small calls
 * again with a larger one. No NUL is written. */
size_t rmq__message_encode_props(const rmq_message_t *msg, const char *uniq_add,
                                 const char *instance_id, bool retry_topic,
                                 char *out, size_t cap, int32_t *reconsume,
                                 int32_t *max_reconsume);

#endif /* RMQ_MESSAGE_INT_H */
