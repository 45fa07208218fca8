#!/usr/bin/env bash
# Runs every example against a fresh rmq-mock-cluster and fails if any of
# them fails: the producers, the admin queries, then the push and lite
# pull consumers on what producers sent (each must print exactly the
# messages sent, the orderly one in order; the lite pull ones also resume
# from what they committed, seek to the first, last or a timed offset, and
# stop cleanly on SIGINT). Usage: run_examples.sh <mock-binary> <examples-dir>
set -euo pipefail
mock=$1
dir=$2
tmp=$(mktemp -d)
# Waits for a mock started with its output in $1 and prints its name
# server address (fails, showing the output, if it never says it).
wait_namesrv() {
        for _ in $(seq 100); do
                grep -q '^namesrv: ' "$1" && break
                sleep 0.05
        done
        local a
        a=$(sed -n 's/^namesrv: //p' "$1" | head -1)
        [ -n "$a" ] || { echo "$2 did not start" >&2; cat "$1" >&2; return 1; }
        echo "$a"
}
log=$tmp/mock.log
"$mock" --brokers 2 --namesrv-port 0 >"$log" 2>&1 &
pid=$!
tpid=
acl_pid=
trap 'kill $pid $tpid $acl_pid 2>/dev/null; wait $pid $tpid $acl_pid 2>/dev/null; rm -rf "$tmp"' EXIT
addr=$(wait_namesrv "$log" mock)
"$dir/producer_sync" -n "$addr" -c 3
"$dir/producer_sync" -n "$addr" -c 1 -s 10000    # compressed
"$dir/producer_async" -n "$addr" -c 20
"$dir/producer_orderly" -n "$addr" -o 3 -s 2
"$dir/producer_batch" -n "$addr" -b 5

# Admin queries: the 4 messages producer_sync sent with key-sync, each
# queue's offsets, and one message again by its msgId.
"$dir/admin_query" -n "$addr" -t TopicTest -k key-sync >"$tmp/admin.out"
cat "$tmp/admin.out"
[ "$(grep -c '^msg TopicTest .* key-sync ' "$tmp/admin.out")" -eq 4 ] ||
        { echo "admin_query: want 4 messages with key-sync"; exit 1; }
grep -q '^queue ' "$tmp/admin.out" || { echo "admin_query: no queue"; exit 1; }
id=$(awk '/^msg /{print $5; exit}' "$tmp/admin.out")
"$dir/admin_query" -n "$addr" -t TopicTest -i "$id" >"$tmp/admin_id.out"
grep -q "^msg TopicTest [0-9]* [0-9]* $id " "$tmp/admin_id.out" ||
        { echo "admin_query -i $id: not found"; cat "$tmp/admin_id.out"; exit 1; }
# With its own in-process mock cluster.
"$dir/admin_query" >"$tmp/admin_mock.out"
[ "$(grep -c '^msg ' "$tmp/admin_mock.out")" -eq 5 ] ||
        { echo "admin_query (mock): want 4 + 1 messages"; exit 1; }

# expect FILE COUNT: FILE has COUNT lines, one per message sent
expect() {
        local n
        n=$(wc -l <"$1")
        cat "$1"
        [ "$n" -eq "$2" ] || { echo "$1: $n lines, want $2"; exit 1; }
}

# Concurrent: the 6 messages of producer_sync, from the first offset.
"$dir/producer_sync" -n "$addr" -t TopicConsume -c 6 >/dev/null
timeout 60 "$dir/push_consumer" -n "$addr" -t TopicConsume -g CG_EX \
        -c 6 --from first >"$tmp/push.out"
expect "$tmp/push.out" 6
[ "$(awk '{print $NF}' "$tmp/push.out" | sort -n | tr '\n' ' ')" = \
  "0 1 2 3 4 5 " ] || { echo "push_consumer: not the bodies sent"; exit 1; }

# Orderly: 3 orders x 3 steps; each order's steps in the order sent.
"$dir/producer_orderly" -n "$addr" -t TopicOrderConsume -o 3 -s 3 >/dev/null
timeout 60 "$dir/push_consumer_orderly" -n "$addr" -t TopicOrderConsume \
        -g CG_EX_ORDERLY -c 9 --from first >"$tmp/orderly.out"
expect "$tmp/orderly.out" 9
awk '{ if ($NF != next_step[$6] + 0) { print "out of order: " $0; bad = 1 }
       next_step[$6] = $NF + 1 } END { exit bad }' "$tmp/orderly.out"

# Broadcasting: two consumers of one group both get all 6 messages.
for i in 1 2; do
        timeout 60 "$dir/push_consumer_broadcast" -n "$addr" \
                -t TopicConsume -g CG_EX_BROADCAST -c 6 --from first \
                -X "rocketmq.client.localOffsetStoreDir=$tmp/offsets" \
                >"$tmp/broadcast$i.out" &
        eval "bc$i=\$!"
done
# shellcheck disable=SC2154
wait "$bc1" && wait "$bc2"
expect "$tmp/broadcast1.out" 6
expect "$tmp/broadcast2.out" 6

# bodies FILE... -> the last field (the number in "Hello RocketMQ N") of
# every line, sorted, on one line; upto N -> "0 1 ... N "
bodies() { cat "$@" | awk '{print $NF}' | sort -n | tr '\n' ' '; }
upto() { seq 0 "$1" | tr '\n' ' '; }

# sized FILE SIZE: every line has a body of SIZE bytes (a regular
# expression), and all message ids differ
sized() {
        awk -v s="^($2)\$" '$8 !~ s { print "body length " $8 ": " $0; bad = 1 }
                           END { exit bad }' "$1"
        [ "$(awk '{print $4}' "$1" | sort -u | wc -l)" -eq "$(wc -l <"$1")" ] ||
                { echo "$1: a message twice"; exit 1; }
}

# wait_for FILE TEXT: up to 30 s for a line with TEXT in FILE
wait_for() {
        for _ in $(seq 600); do
                grep -q "$2" "$1" 2>/dev/null && return 0
                sleep 0.05
        done
        echo "$1: no \"$2\" after 30 s"; cat "$1"; exit 1
}

# Lite pull, subscribe (autoCommit): 24 messages of producer_sync, 3 on
# each of the 8 queues, in two runs of one group, 4 then 20. The first run
# stops inside a poll batch and seeks that queue back to its first
# message not printed, so the second run gets exactly the rest.
"$dir/producer_sync" -n "$addr" -t TopicLite -c 24 >/dev/null
timeout 30 "$dir/lite_pull_subscribe" -n "$addr" -t TopicLite \
        -g CG_EX_LITE -c 4 --from first >"$tmp/lite1.out"
expect "$tmp/lite1.out" 4
timeout 30 "$dir/lite_pull_subscribe" -n "$addr" -t TopicLite \
        -g CG_EX_LITE -c 20 >"$tmp/lite2.out"
expect "$tmp/lite2.out" 20
[ "$(bodies "$tmp/lite1.out" "$tmp/lite2.out")" = "$(upto 23)" ] ||
        { echo "lite_pull_subscribe: not the bodies sent, once each"; exit 1; }
# Without -c it runs until SIGINT, then shuts down cleanly (status 0);
# the group has committed everything, so it prints nothing.
timeout --preserve-status -k 30 -s INT 2 "$dir/lite_pull_subscribe" \
        -n "$addr" -t TopicLite -g CG_EX_LITE >"$tmp/lite_int.out"
expect "$tmp/lite_int.out" 0

# Lite pull, assign (commitSync after each poll): every queue from its
# first offset; 10 ends inside a poll batch, which is committed only up to
# its first message not printed.
timeout 30 "$dir/lite_pull_assign" -n "$addr" -t TopicLite \
        -g CG_EX_ASSIGN -c 10 --from first >"$tmp/assign1.out"
expect "$tmp/assign1.out" 10
sized "$tmp/assign1.out" '[0-9]*' # distinct messages
# --from last: only what is sent after the seek, 16 messages of 7 bytes,
# two on every queue, stored 1 s or more after the first 24.
sleep 1
since=$(date +%s%3N)
timeout 30 "$dir/lite_pull_assign" -n "$addr" -t TopicLite \
        -g CG_EX_ASSIGN_LAST -c 16 --from last >"$tmp/assign_last.out" \
        2>"$tmp/assign_last.err" &
al=$!
wait_for "$tmp/assign_last.err" "^polling"
"$dir/producer_sync" -n "$addr" -t TopicLite -c 16 -s 7 >/dev/null
wait "$al" || { cat "$tmp/assign_last.err"; exit 1; }
expect "$tmp/assign_last.out" 16
sized "$tmp/assign_last.out" 7
# --from TIME: each queue starts at the stored message nearest that time:
# the first of its two new ones.
timeout 30 "$dir/lite_pull_assign" -n "$addr" -t TopicLite \
        -g CG_EX_ASSIGN_TIME -c 16 --from "$since" >"$tmp/assign_time.out"
expect "$tmp/assign_time.out" 16
sized "$tmp/assign_time.out" 7
# Without --from the queues resume at the offsets the first run committed:
# the other 14 of the first 24, then the 16.
timeout 30 "$dir/lite_pull_assign" -n "$addr" -t TopicLite \
        -g CG_EX_ASSIGN -c 30 >"$tmp/assign2.out"
expect "$tmp/assign2.out" 30
sized "$tmp/assign2.out" '[0-9]*'
awk '$8 != 7' "$tmp/assign2.out" >"$tmp/assign2_old.out"
[ "$(bodies "$tmp/assign1.out" "$tmp/assign2_old.out")" = "$(upto 23)" ] ||
        { echo "lite_pull_assign: did not resume where it committed"; exit 1; }
# Request-reply: the requester and the responder as two programs (the
# topic made by a first send, which the responder skips: no
# REPLY_TO_CLIENT), sync then async; then both in one program, with its
# own in-process mock cluster.
"$dir/producer_sync" -n "$addr" -t TopicRequest -c 1 >/dev/null
timeout 60 "$dir/request_reply" -n "$addr" -t TopicRequest --role responder \
        -c 6 >"$tmp/responder.out" &
rsp=$!
timeout 60 "$dir/request_reply" -n "$addr" -t TopicRequest --role requester \
        -c 3 -T 10000 >"$tmp/requester.out"
timeout 60 "$dir/request_reply" -n "$addr" -t TopicRequest --role requester \
        -c 3 -T 10000 -a >"$tmp/requester_async.out"
wait "$rsp"
expect "$tmp/requester.out" 3
expect "$tmp/requester_async.out" 3
expect "$tmp/responder.out" 6
grep -q '^reply 2 pong:request-2$' "$tmp/requester_async.out" ||
        { echo "request_reply -a: reply 2 missing"; exit 1; }
"$dir/request_reply" -c 4 >"$tmp/request_mock.out"
[ "$(grep -c '^reply ' "$tmp/request_mock.out")" -eq 4 ] ||
        { echo "request_reply (mock): want 4 replies"; exit 1; }
# Transactions: on the shared mock the commits and rollbacks (its 60 s
# check rounds are too slow for the UNKNOW ones: -c 2), then every state
# with the check-backs on the example's own in-process mock.
timeout 60 "$dir/transaction_producer" -n "$addr" -c 2 >"$tmp/txn.out"
[ "$(grep -c '^sent [01] .* COMMIT_MESSAGE$\|^sent [01] .* ROLLBACK_MESSAGE$' "$tmp/txn.out")" -eq 2 ] ||
        { echo "transaction_producer -n: want 2 sends"; cat "$tmp/txn.out"; exit 1; }
timeout 60 "$dir/transaction_producer" -c 6 >"$tmp/txn_mock.out"
[ "$(grep -c '^check [25] ' "$tmp/txn_mock.out")" -ge 2 ] ||
        { echo "transaction_producer: want the checks of 2 and 5"; cat "$tmp/txn_mock.out"; exit 1; }
# ACL: a second mock cluster enforcing plain_acl.yml (as JSON); the
# producer signs with the right secret (also with a security token), then
# a wrong secret is refused with the broker's reason and never printed.
cat >"$tmp/acl.json" <<'ACL'
{"accounts": [{"accessKey": "RocketMQ", "secretKey": "12345678",
               "defaultTopicPerm": "DENY", "defaultGroupPerm": "SUB",
               "topicPerms": ["TopicAcl=PUB|SUB"]}]}
ACL
acl_log=$tmp/mock_acl.log
"$mock" --brokers 1 --namesrv-port 0 --topic TopicAcl:4 \
        --acl "$tmp/acl.json" >"$acl_log" 2>&1 &
acl_pid=$!
acl_addr=$(wait_namesrv "$acl_log" "ACL mock")
"$dir/producer_acl" -n "$acl_addr" --access-key RocketMQ \
        --secret-key 12345678 TopicAcl >"$tmp/acl.out"
expect "$tmp/acl.out" 3
ROCKETMQ_SECRET_KEY=12345678 "$dir/producer_acl" -n "$acl_addr" -c 1 \
        --access-key RocketMQ --security-token sts-token TopicAcl \
        >"$tmp/acl_token.out"
expect "$tmp/acl_token.out" 1
if "$dir/producer_acl" -n "$acl_addr" -c 1 --access-key RocketMQ \
        --secret-key wrong-secret-42 TopicAcl >"$tmp/acl_bad.out" \
        2>"$tmp/acl_bad.err"; then
        echo "producer_acl: a wrong secret was accepted"; exit 1
fi
grep -q 'Check signature failed for accessKey=RocketMQ' "$tmp/acl_bad.err" ||
        { echo "producer_acl: no ACL reason"; cat "$tmp/acl_bad.err"; exit 1; }
! grep -q 'wrong-secret-42' "$tmp/acl_bad.out" "$tmp/acl_bad.err" ||
        { echo "producer_acl: the secret was printed"; exit 1; }
# A producer without permission on the topic.
if "$dir/producer_acl" -n "$acl_addr" -c 1 --access-key RocketMQ \
        --secret-key 12345678 TopicOther >/dev/null 2>"$tmp/acl_perm.err"; then
        echo "producer_acl: a send without permission was accepted"; exit 1
fi
grep -q 'No default permission for topic:TopicOther' "$tmp/acl_perm.err" ||
        { echo "producer_acl: no permission reason"; cat "$tmp/acl_perm.err"; exit 1; }

# TLS: a second mock serving TLS with a test CA and certificate it
# writes itself (--tls-selfsigned: no openssl command needed); a
# producer and a consumer verify it against that CA, one more send goes
# without verification, and a client without --tls is refused.
tlog=$tmp/mock_tls.log
"$mock" --brokers 1 --namesrv-port 0 --tls-selfsigned "$tmp/pki" \
        >"$tlog" 2>&1 &
tpid=$!
taddr=$(wait_namesrv "$tlog" "TLS mock")
"$dir/producer_sync" -n "$taddr" -t TopicTls -c 3 --tls --tls-ca "$tmp/pki/ca.pem"
timeout 60 "$dir/push_consumer" -n "$taddr" -t TopicTls -g CG_EX_TLS -c 3 \
        --from first --tls --tls-ca "$tmp/pki/ca.pem" >"$tmp/tls.out"
expect "$tmp/tls.out" 3
"$dir/producer_sync" -n "$taddr" -t TopicTls -c 1 --tls-no-verify \
        2>"$tmp/tls_noverify.err"
grep -q 'without server verification' "$tmp/tls_noverify.err" ||
        { echo "--tls-no-verify: no warning"; cat "$tmp/tls_noverify.err"; exit 1; }
if timeout 60 "$dir/producer_sync" -n "$taddr" -t TopicTls -c 1 \
        >/dev/null 2>"$tmp/tls_plain.err"; then
        echo "a plain-text producer reached the TLS mock"; exit 1
fi
grep -q 'send 0 failed' "$tmp/tls_plain.err" ||
        { echo "plain producer: want a failed send"; cat "$tmp/tls_plain.err"; exit 1; }
echo "all examples ran"
