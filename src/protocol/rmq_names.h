/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resource names: topic and group validation (Validators, TopicValidator),
 * system topics, retry and DLQ names (MixAll) and namespaces
 * (NamespaceUtil).
 */
#ifndef RMQ_NAMES_H
#define RMQ_NAMES_H

#include "common/rmq_common.h"

#define RMQ_TOPIC_MAX_LENGTH     127 /* Validators.TOPIC_MAX_LENGTH */
#define RMQ_CHARACTER_MAX_LENGTH 255 /* Validators.CHARACTER_MAX_LENGTH */

#define RMQ_AUTO_CREATE_TOPIC_KEY "TBW102"
#define RMQ_RETRY_GROUP_TOPIC_PREFIX "%RETRY%"
#define RMQ_DLQ_GROUP_TOPIC_PREFIX "%DLQ%"
#define RMQ_DEFAULT_PRODUCER_GROUP "DEFAULT_PRODUCER"
#define RMQ_DEFAULT_CONSUMER_GROUP "DEFAULT_CONSUMER"
#define RMQ_SYS_CONSUMER_GROUP_PREFIX "CID_RMQ_SYS_"
#define RMQ_DEFAULT_TRACE_REGION_ID "DefaultRegion"
/* MixAll.REPLY_TOPIC_POSTFIX: a cluster's reply topic is
 * <cluster>_REPLY_TOPIC (MixAll.getReplyTopic). */
#define RMQ_REPLY_TOPIC_POSTFIX "_REPLY_TOPIC"

/* TopicValidator.isTopicOrGroupIllegal: true if \p s has a character
 * outside ^[%|a-zA-Z0-9_-]+$. */
bool rmq__name_illegal(const char *s);

/* Validators.checkTopic. Returns NULL or the reason (static or written
 * into \p buf). */
const char *rmq__check_topic(const char *topic, char *buf, size_t size);
/* Validators.checkGroup. */
const char *rmq__check_group(const char *group, char *buf, size_t size);

/* TopicValidator.isSystemTopic / isNotAllowedSendTopic. */
bool rmq__is_system_topic(const char *topic);
bool rmq__is_not_allowed_send_topic(const char *topic);
bool rmq__is_retry_topic(const char *topic);
bool rmq__is_dlq_topic(const char *topic);

/* "%RETRY%<group>" / "%DLQ%<group>" (MixAll.getRetryTopic/getDLQTopic),
 * freshly allocated. */
char *rmq__retry_topic(const char *group);
char *rmq__dlq_topic(const char *group);

/* NamespaceUtil.wrapNamespace / withoutNamespace(resource, namespace);
 * freshly allocated (a copy of the input when nothing changes). */
char *rmq__ns_wrap(const char *ns, const char *resource);
char *rmq__ns_unwrap(const char *resource, const char *ns);
/* The same in place (the result is never longer). */
void rmq__ns_unwrap_inplace(char *resource, const char *ns);

#endif /* RMQ_NAMES_H */
