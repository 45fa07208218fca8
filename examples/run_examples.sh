#!/usr/bin/env bash
# Runs every producer example against a fresh rmq-mock-cluster and fails
# if any of them fails. Usage: run_examples.sh <mock-binary> <examples-dir>
set -euo pipefail
mock=$1
dir=$2
log=$(mktemp)
"$mock" --brokers 2 --namesrv-port 0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
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
echo "all examples ran"
