/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "protocol/rmq_names.h"

static const char *const system_topics[] = {
    "TBW102", "SCHEDULE_TOPIC_XXXX", "BenchmarkTest",
    "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRACE_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT"};

static const char *const not_allowed_send_topics[] = {
    "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT"};

static bool in_list(const char *s, const char *const *list, size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                if (!strcmp(s, list[i]))
                        return true;
        return false;
}

bool rmq__is_system_topic(const char *topic) {
        /* TopicValidator.isSystemTopic: the set, or the rmq_sys_ prefix */
        return in_list(topic, system_topics, RMQ_ARRAY_SIZE(system_topics)) ||
               !strncmp(topic, "rmq_sys_", 8);
}

bool rmq__is_not_allowed_send_topic(const char *topic) {
        /* Checked per send: most topics differ from the list at the first
         * letter (all of it starts with S, R, T or O). */
        switch (topic[0]) {
        case 'S': case 'R': case 'T': case 'O':
                return in_list(topic, not_allowed_send_topics,
                               RMQ_ARRAY_SIZE(not_allowed_send_topics));
        default:
                return false;
        }
}

bool rmq__is_retry_topic(const char *topic) {
        return topic && !strncmp(topic, RMQ_RETRY_GROUP_TOPIC_PREFIX, 7);
}

bool rmq__is_dlq_topic(const char *topic) {
        return topic && !strncmp(topic, RMQ_DLQ_GROUP_TOPIC_PREFIX, 5);
}

/* ^[%|a-zA-Z0-9_-]+$, one lookup a character. */
static const uint8_t name_char[256] = {
    ['%'] = 1, ['|'] = 1, ['_'] = 1, ['-'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1};

bool rmq__name_illegal(const char *s) {
        for (; *s; s++)
                if (!name_char[(unsigned char)*s])
                        return true;
        return false;
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
               c == '\v';
}


const char *rmq__check_topic(const char *topic, char *buf, size_t size) {
        size_t len = 0;
        bool blank = true, illegal = false;
        /* One pass (every send checks its topic): blank, length and legal
         * characters, reported in Validators.checkTopic's order. */
        if (!topic)
                return "The specified topic is blank";
        for (; topic[len]; len++) {
                char c = topic[len];
                if (name_char[(unsigned char)c]) {
                        blank = false;
                } else {
                        illegal = true;
                        if (!is_space(c))
                                blank = false;
                }
        }
        if (blank)
                return "The specified topic is blank";
        if (len > RMQ_TOPIC_MAX_LENGTH) {
                snprintf(buf, size,
                         "The specified topic is longer than topic max "
                         "length %d.",
                         RMQ_TOPIC_MAX_LENGTH);
                return buf;
        }
        if (illegal) {
                snprintf(buf, size,
                         "The specified topic[%s] contains illegal "
                         "characters, allowing only ^[%%|a-zA-Z0-9_-]+$",
                         topic);
                return buf;
        }
        return NULL;
}

const char *rmq__check_group(const char *group, char *buf, size_t size) {
        if (rmq__str_is_blank(group))
                return "the specified group is blank";
        if (strlen(group) > RMQ_CHARACTER_MAX_LENGTH)
                return "the specified group is longer than group max length "
                       "255.";
        if (rmq__name_illegal(group)) {
                snprintf(buf, size,
                         "the specified group[%s] contains illegal "
                         "characters, allowing only ^[%%|a-zA-Z0-9_-]+$",
                         group);
                return buf;
        }
        return NULL;
}

char *rmq__retry_topic(const char *group) {
        return rmq__asprintf("%s%s", RMQ_RETRY_GROUP_TOPIC_PREFIX, group);
}

char *rmq__dlq_topic(const char *group) {
        return rmq__asprintf("%s%s", RMQ_DLQ_GROUP_TOPIC_PREFIX, group);
}

static bool is_system_resource(const char *r) {
        return *r && (rmq__is_system_topic(r) ||
                      !strncmp(r, RMQ_SYS_CONSUMER_GROUP_PREFIX,
                               strlen(RMQ_SYS_CONSUMER_GROUP_PREFIX)));
}

static const char *without_retry_dlq(const char *r, const char **prefix) {
        *prefix = "";
        if (rmq__is_retry_topic(r)) {
                *prefix = RMQ_RETRY_GROUP_TOPIC_PREFIX;
                return r + strlen(RMQ_RETRY_GROUP_TOPIC_PREFIX);
        }
        if (rmq__is_dlq_topic(r)) {
                *prefix = RMQ_DLQ_GROUP_TOPIC_PREFIX;
                return r + strlen(RMQ_DLQ_GROUP_TOPIC_PREFIX);
        }
        return r;
}

static bool starts_with_ns(const char *r, const char *ns) {
        size_t n = strlen(ns);
        return !strncmp(r, ns, n) && r[n] == '%';
}

char *rmq__ns_wrap(const char *ns, const char *resource) {
        const char *prefix, *bare;
        if (!resource)
                return NULL;
        if (!ns || !*ns || !*resource || is_system_resource(resource))
                return rmq__strdup(resource);
        bare = without_retry_dlq(resource, &prefix);
        if (starts_with_ns(bare, ns))
                return rmq__strdup(resource); /* isAlreadyWithNamespace */
        return rmq__asprintf("%s%s%%%s", prefix, ns, bare);
}

void rmq__ns_unwrap_inplace(char *resource, const char *ns) {
        const char *prefix;
        char *bare;
        size_t nslen;
        if (!resource || !ns || !*ns || !*resource)
                return;
        bare = (char *)(uintptr_t)without_retry_dlq(resource, &prefix);
        if (!starts_with_ns(bare, ns) || is_system_resource(resource))
                return;
        nslen = strlen(ns);
        memmove(bare, bare + nslen + 1, strlen(bare + nslen + 1) + 1);
}

char *rmq__ns_unwrap(const char *resource, const char *ns) {
        char *s;
        if (!resource)
                return NULL;
        s = rmq__strdup(resource);
        rmq__ns_unwrap_inplace(s, ns);
        return s;
}
