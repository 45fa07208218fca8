#!/usr/bin/env bash
# Runs every example against a fresh rmq-mock-cluster and fails if any of
# them fails: the producers, then the push consumers on what producers
# sent (each must print exactly the messages sent, the orderly one in
# order). Usage: run_examples.sh <mock-binary> <examples-dir>
set -euo pipefail
mock=$1
dir=$2
tmp=$(mktemp -d)
log=$tmp/mock.log
"$mock" --brokers 2 --namesrv-port 0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
        grep -q '^namesrv: ' "$log" && break
        sleep 0.05
done
addr=$(sed -n 's/^namesrv: //p' "$log" | head -1)
[ -n "$addr" ] || { echo "mock did not start"; cat "$log"; exit 1; }
"$dir/producer_sync" -n "$addr" -c 3
"$dir/producer_sync" -n "$addr" -c 1 -s 10000    # compressed
"$dir/producer_async" -n "$addr" -c 20
"$dir/producer_orderly" -n "$addr" -o 3 -s 2
"$dir/producer_batch" -n "$addr" -b 5

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
echo "all examples ran"
