/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client instance's internals, shared by its files:
 *
 *   rmq_client.c            registry, lifecycle, members, route and broker
 *                           tables, broker lookups
 *   rmq_client_tasks.c      scheduled tasks (route refresh, heartbeat,
 *                           offset persistence) and the rebalance service
 *   rmq_client_processor.c  broker-initiated requests
 *                           (ClientRemotingProcessor)
 *
 * Locks, in the only order they nest: route_lock (route updates and the
 * member callouts they make), then lock (every table below). Both are
 * library locks (rmq__lock): nothing is logged and no application code
 * runs under them.
 */
#ifndef RMQ_CLIENT_INT_H
#define RMQ_CLIENT_INT_H

#include <stdatomic.h>

#include "client/rmq_client.h"
#include "common/rmq_io.h"
#include "common/rmq_thread.h"
#include "rocketmq/rmq_mock.h"
#include "rocketmq/rmq_producer.h"

enum { CI_CREATE_JUST, CI_RUNNING, CI_SHUTDOWN_ALREADY, CI_START_FAILED };

/* A registered producer or consumer. */
typedef struct rmq_member_s {
        rmq_member_kind_t kind;
        char *group;
        const rmq_member_ops_t *ops;
        void *impl;
        int refs;     /* callouts in progress (ci->lock) */
        bool removed; /* unregistering: no new callouts */
} rmq_member_t;

/* One broker name's addresses (brokerAddrTable) and the version each
 * answered its last heartbeat with (brokerVersionTable). */
typedef struct rmq_broker_entry_s {
        size_t cnt;
        rmq_broker_addr_t *addrs;
        int *versions;
} rmq_broker_entry_t;

/* A periodic task: a loop timer that queues the task on the scheduler
 * thread, at most once at a time. */
typedef struct rmq_client_task_s {
        rmq_timer_t timer;
        rmq_job_t job;
        struct rmq_client_s *ci;
        void (*run)(struct rmq_client_s *ci);
        atomic_bool queued;
} rmq_client_task_t;

struct rmq_client_s {
        rmq_list_t link;
        int refcnt; /* registry lock */
        char client_id[256];
        char client_ip[64];
        rmq_conf_t *conf;
        rmq_logger_t lg;

        uv_mutex_t route_lock;
        uv_mutex_t lock;
        uv_cond_t member_cond; /* a member's callouts ended */
        int state;
        rmq_strmap_t routes;  /* topic -> rmq_topic_route_data_t * */
        rmq_strmap_t brokers; /* brokerName -> rmq_broker_entry_t * */
        rmq_member_t **members;
        size_t member_cnt;
        bool has_consumers;
        uint64_t hb_times;
        uint64_t rnd; /* xorshift state (lock) */

        rmq_io_t *io;
        rmq_pool_t *pool;  /* callbacks and broker requests */
        rmq_pool_t *sched; /* scheduled tasks */
        rmq_pool_t *pull;  /* pull service (with the first consumer) */
        rmq_remoting_t *rm;
        rmq_client_task_t task_route;
        rmq_client_task_t task_heartbeat;
        rmq_client_task_t task_persist;
        rmq_client_task_t task_stats;
        bool tasks_on;
        /* Name server lookup over HTTP (rmq_client_namesrv.c): on when
         * no name server is configured; the list last applied (the
         * starting thread, then the scheduler thread only). */
        bool ns_lookup;
        rmq_client_task_t task_namesrv;
        char *ns_fetched;
        /* the instance's own producer (defaultMQProducer), made on first
         * use; inner_lock */
        uv_mutex_t inner_lock;
        rmq_producer_t *inner;
        /* Bytes of pulled messages its consumers hold (the memory budget,
         * consumer.memory.budget of the instance's conf). */
        _Atomic int64_t held_bytes;
        /* consumerStatsManager, shared by the consumers */
        struct rmq_consumer_stats_s *stats;

        /* Rebalance service (with the first consumer). */
        uv_thread_t rb_tid;
        bool rb_started;
        uv_mutex_t rb_lock;
        uv_cond_t rb_cond;
        bool rb_wakeup;
        bool rb_stop;

        rmq_mock_cluster_t *mock; /* test.mock.brokers */

        /* requests waiting for a reply (rmq_request_future.c) */
        struct rmq_req_table_s *req_table;
};

/* ---- name server lookup (rmq_client_namesrv.c) ---- */
/* MixAll.getWSAddr (with TopAddressing's unit suffix) into \p dst. */
void rmq__client_ws_addr(const rmq_conf_t *conf, char *dst, size_t size);
/* MQClientAPIImpl.fetchNameServerAddr: fetches the list and applies it
 * when it changed; a failure is logged and the old list kept. Returns
 * true if a list was fetched. Not on the loop thread. */
bool rmq__client_fetch_namesrv(rmq_client_t *ci);

/* ---- members (rmq_client.c) ---- */
/* The registered members of \p kind (-1: all), each referenced: call out
 * without a lock, then rmq__client_members_put(). */
rmq_member_t **rmq__client_members_get(rmq_client_t *ci, int kind, size_t *np);
void rmq__client_members_put(rmq_client_t *ci, rmq_member_t **v, size_t n);
/* The member of \p kind and \p group, referenced, or NULL; release it with
 * rmq__client_member_unref(). */
rmq_member_t *rmq__client_member_find(rmq_client_t *ci, int kind,
                                      const char *group);
void rmq__client_member_unref(rmq_client_t *ci, rmq_member_t *m);

/* Every broker address (with brokerId), copied: free with
 * rmq__client_addrs_free. \p masters_only: brokerId 0 only. */
typedef struct rmq_client_addr_s {
        char *broker_name;
        int64_t broker_id;
        char *addr;
} rmq_client_addr_t;
rmq_client_addr_t *rmq__client_addrs(rmq_client_t *ci, bool masters_only,
                                     size_t *np);
void rmq__client_addrs_free(rmq_client_addr_t *v, size_t n);
/* Records the version \p addr of \p broker_name answered a heartbeat
 * with. */
void rmq__client_broker_version_set(rmq_client_t *ci, const char *broker_name,
                                    const char *addr, int version);
/* cleanOfflineBroker. */
void rmq__client_clean_offline_brokers(rmq_client_t *ci);
/* True if \p addr is in some stored route (isBrokerInNameServer). */
bool rmq__client_addr_in_routes(rmq_client_t *ci, const char *addr);

/* ---- tasks and services (rmq_client_tasks.c) ---- */
void rmq__client_tasks_start(rmq_client_t *ci);
/* Stops the timers and waits for a task in progress. */
void rmq__client_tasks_stop(rmq_client_t *ci);
/* Starts the rebalance service (idempotent; ci->lock held). */
void rmq__client_rebalance_start(rmq_client_t *ci);
/* Stops and joins it (no lock held). */
void rmq__client_rebalance_stop(rmq_client_t *ci);
/* Collects the topics of every member and refreshes their routes
 * (updateTopicRouteInfoFromNameServer for all). */
void rmq__client_refresh_routes(rmq_client_t *ci);

/* ---- broker requests (rmq_client_processor.c) ---- */
/* The answer to a broker request from \p addr (NULL: none is sent), as
 * ClientRemotingProcessor.processRequest gives it; \p req is borrowed.
 * On the callback pool (tests call it directly). */
rmq_cmd_t *rmq__client_answer(rmq_client_t *ci, const char *addr,
                              const rmq_cmd_t *req);
/* Registers the processor for the broker-initiated request codes on
 * \p ci->rm (before traffic). */
void rmq__client_processor_register(rmq_client_t *ci);

#endif /* RMQ_CLIENT_INT_H */
