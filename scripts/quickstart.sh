#!/usr/bin/env bash
# Quickstart: installs the dependencies, builds rocketmq-c, starts the
# built-in mock cluster (no RocketMQ needed), sends messages with the
# example producers, shows what the mock broker stored, and receives the
# messages of TopicTest with the example push consumer.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/deps.sh
echo "==> building"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" --target rmq-mock-cluster producer_sync \
        producer_async producer_orderly producer_batch push_consumer >/dev/null

log=$(mktemp)
echo "==> starting the mock cluster (2 brokers)"
build/rmq-mock-cluster --brokers 2 --namesrv-port 0 --print-messages >"$log" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null; wait $mock 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
        grep -q '^namesrv: ' "$log" && break
        sleep 0.1
done
addr=$(sed -n 's/^namesrv: //p' "$log" | head -1)
if [ -z "$addr" ]; then
        echo "the mock cluster did not start:"; cat "$log"; exit 1
fi
echo "    name server at $addr"
export NAMESRV_ADDR=$addr

n_sync=4 n_async=4 n_batch=3
echo "==> sync producer: $n_sync messages"
timeout 60 build/examples/producer_sync -t TopicTest -c $n_sync
echo "==> async producer: $n_async messages"
timeout 60 build/examples/producer_async -t TopicTest -c $n_async
echo "==> ordered producer: 2 orders x 2 steps (same order -> same queue)"
timeout 60 build/examples/producer_orderly -t TopicOrder -o 2 -s 2
echo "==> batch producer: $n_batch messages in one request"
timeout 60 build/examples/producer_batch -t TopicTest -b $n_batch

sleep 0.2
echo "==> what the mock broker stored"
grep -E '^(message|stored)' "$log" || cat "$log"

n=$((n_sync + n_async + n_batch))
echo "==> push consumer: the $n messages of TopicTest, from the first offset"
echo "    (topic queueId queueOffset msgId tags keys reconsumeTimes bodyLength body)"
timeout 60 build/examples/push_consumer -t TopicTest -g CG_QUICKSTART \
        -c $n --from first
echo "==> quickstart done"
