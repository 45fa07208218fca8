/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Delay levels (ScheduleMessageService): a message with DELAY n > 0 is
 * stored in SCHEDULE_TOPIC_XXXX queue n-1 with REAL_TOPIC / REAL_QID
 * (CommitLog#asyncPutMessage), invisible to its topic until the level's
 * delay (times delayTimeScale) has passed since it was stored; then a copy
 * is put in the real topic and queue (messageTimeup).
 */
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"

/* MessageStoreConfig.messageDelayLevel "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m
 * 7m 8m 9m 10m 20m 30m 1h 2h" */
static const int64_t delay_ms[RMQ_MOCK_DELAY_LEVELS] = {
    1000,   5000,   10000,  30000,  60000,  120000,  180000, 240000,  300000,
    360000, 420000, 480000, 540000, 600000, 1200000, 1800000, 3600000, 7200000};

static int64_t level_delay(const rmq_mock_cluster_t *mc, int32_t level) {
        double ms;
        if (level < 1)
                level = 1;
        if (level > RMQ_MOCK_DELAY_LEVELS)
                level = RMQ_MOCK_DELAY_LEVELS;
        ms = (double)delay_ms[level - 1] * mc->opts.delayTimeScale;
        return ms < 0 ? 0 : (int64_t)ms;
}

void rmq__mock_sched_rearm(rmq_mock_broker_t *mb) {
        rmq_mock_sched_t *first;
        if (rmq__list_empty(&mb->sched)) {
                rmq__timer_stop(mb->ep.mc->io, &mb->sched_timer);
                mb->sched_timer_due = 0;
                return;
        }
        first = RMQ_CONTAINER_OF(mb->sched.next, rmq_mock_sched_t, link);
        rmq__mock_timer_arm(mb->ep.mc, &mb->sched_timer, &mb->sched_timer_due,
                            first->due);
}

void rmq__mock_sched_add(rmq_mock_broker_t *mb, rmq_mock_stored_t *sm,
                         int32_t level) {
        rmq_mock_sched_t *s = rmq__calloc(1, sizeof(*s));
        rmq_list_t *n;
        s->commit_offset = (int64_t)sm->node.key;
        s->due = rmq__mock_now(mb->ep.mc) + level_delay(mb->ep.mc, level);
        /* Sorted by due time; equal times keep their order. */
        for (n = mb->sched.prev; n != &mb->sched; n = n->prev)
                if (RMQ_CONTAINER_OF(n, rmq_mock_sched_t, link)->due <= s->due)
                        break;
        rmq__list_insert_head(n, &s->link);
        rmq__mock_sched_rearm(mb);
}

/* mirrors ScheduleMessageService#messageTimeup and the delivery of
 * DeliverDelayedMessageTimerTask#executeOnTimeup */
static void deliver(rmq_mock_broker_t *mb, int64_t commit_offset) {
        rmq_mock_cluster_t *mc = mb->ep.mc;
        rmq_mock_stored_t *sm  = rmq__mock_lookup(mb, commit_offset);
        rmq_mock_inner_t in;
        rmq_mock_stored_t *out;
        rmq_msg_view_t mv;
        const char *real_topic, *real_qid;
        int32_t qid;
        if (!sm)
                return; /* truncated meanwhile */
        rmq__mock_inner_from_stored(&in, sm, &mv);
        /* propertiesString = the map as parsed; DELAY is then cleared and
         * WAIT set to false in the map only. */
        rmq__mock_inner_sync_props(&in);
        rmq__mock_props_put(&in.props, RMQ_PROP_WAIT, "false");
        rmq__mock_props_del(&in.props, RMQ_PROP_DELAY);
        real_topic = rmq__mock_props_get(&in.props, RMQ_PROP_REAL_TOPIC);
        real_qid   = rmq__mock_props_get(&in.props, RMQ_PROP_REAL_QID);
        if (!real_topic || !real_qid || rmq__parse_i32(real_qid, &qid) ||
            !rmq__mock_topic_get(mb, real_topic)) {
                rmq__log(&mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: delayed message at %lld has no valid real "
                         "topic/queue: dropped",
                         mb->name, (long long)sm->node.key);
                rmq__mock_inner_clear(&in);
                return;
        }
        rmq__mock_inner_set_topic(&in, real_topic);
        in.queue_id = qid;
        if (rmq__mock_put(mb, &in, &out) != RMQ_MOCK_PUT_OK)
                rmq__log(&mc->lg, RMQ_LOG_WARN, "MOCK",
                         "%s: delayed message for %s could not be put",
                         mb->name, real_topic);
        rmq__mock_inner_clear(&in);
}

void rmq__mock_sched_timer_cb(rmq_timer_t *t, void *arg) {
        rmq_mock_broker_t *mb = arg;
        int64_t now           = rmq__mock_now(mb->ep.mc);
        RMQ_UNUSED(t);
        mb->sched_timer_due = 0;
        /* A stopped broker delivers nothing; rmq__mock_sched_rearm()
         * resumes when it is up again. */
        if (!mb->ep.up)
                return;
        while (!rmq__list_empty(&mb->sched)) {
                rmq_mock_sched_t *s = RMQ_CONTAINER_OF(mb->sched.next,
                                                       rmq_mock_sched_t, link);
                if (s->due > now)
                        break;
                rmq__list_remove(&s->link);
                deliver(mb, s->commit_offset);
                rmq__free(s);
        }
        rmq__mock_sched_rearm(mb);
}

void rmq__mock_sched_free(rmq_mock_broker_t *mb) {
        while (!rmq__list_empty(&mb->sched))
                rmq__free(RMQ_CONTAINER_OF(rmq__list_pop_head(&mb->sched),
                                           rmq_mock_sched_t, link));
}
