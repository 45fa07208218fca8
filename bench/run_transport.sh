#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Transport benchmark driver: our transport (rmq_remoting) against a bare
# libuv loopback echo with the same frames, in one invocation, reference and
# candidate alternating, medians of several runs.
#
#   bench/run_transport.sh [--quick] [--no-callgrind] [--build-dir DIR]
#                          [--out DIR] [--rounds N] [--secs S]
#
# Build first (Release):
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DRMQ_BUILD_EXAMPLES=OFF
#   cmake --build build-rel -j2 --target bench_transport
#
# Pinning: the servers run in their own processes. "split" puts the servers
# on CPU 1 and the client on CPU 0; "same" puts everything on CPU 0. Both
# reference and candidate are pinned the same way (taskset on the whole
# process, so every thread of it).
#
# Output: one line per case and candidate,
#   <case> <params> pin=<p> <variant>: ref X req/s, rmq Y req/s, ratio R (median of N)
# and '#' lines with per-round figures, client/server CPU per request and
# VmHWM. The full log goes to $OUT/transport.log.
#
# Instructions per request (candidate client process only, callgrind):
#   valgrind --tool=callgrind --callgrind-out-file=cg.%p \
#       build-rel/bench/bench_transport client --impl rmq --port <rmq server> \
#       --w 1000 --body 1024 --count 20000
# runs 20000 warm-up requests, then brackets 20000 measured ones with
# CALLGRIND_ZERO_STATS / CALLGRIND_DUMP_STATS_AT, which writes cg.<pid>.1:
# its "totals:" divided by 20000 is the figure. This script does exactly
# that (servers native, pinned split) unless --no-callgrind.
#
# The environment reaches every server and client, so allocator settings can
# be compared without rebuilding, e.g. glibc without heap trimming:
#   GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456:glibc.malloc.top_pad=16777216 \
#       bench/run_transport.sh --no-callgrind
set -euo pipefail

# shellcheck source=bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"
secs=""

while [ $# -gt 0 ]; do
        case "$1" in
        --secs) secs=$2; shift ;;
        *) bench_common_opt "$@"; shift $((bench_shift - 1)) ;;
        esac
        shift
done

bin="$build/bench/bench_transport"
bench_need "build the bench_transport target first" "$bin"

if [ $quick = 1 ]; then
        rounds=${rounds:-3}
        secs=${secs:-0.25}
        warmup=0.05
        cg_count=2000
else
        rounds=${rounds:-5}
        secs=${secs:-0.6}
        warmup=0.15
        cg_count=20000
fi
bench_open_log transport

# start_server IMPL CPU -> sets srv_port and srv_pid
start_server() {
        local impl=$1 cpu=$2 f="$out/server-$1.out"
        bench_serve "$f" 100 taskset -c "$cpu" "$bin" server --impl "$impl" || true
        srv_pid=$bench_server_pid
        srv_port=$(awk '/^port/ {print $2}' "$f")
        [ -n "$srv_port" ] || { echo "server $impl did not start" >&2; exit 1; }
}

# run_pinning LABEL SERVER_CPU CLIENT_CPU CASES...
# a case is "pipelined:W:BODY" or "sync:BODY"
run_pinning() {
        local label=$1 scpu=$2 ccpu=$3 c
        shift 3
        start_server ref "$scpu"; ref_port=$srv_port; ref_pid=$srv_pid
        start_server rmq "$scpu"; rmq_port=$srv_port; rmq_pid=$srv_pid
        for c in "$@"; do
                local kind=${c%%:*} args
                if [ "$kind" = pipelined ]; then
                        local rest=${c#pipelined:}
                        args=(--case pipelined --w "${rest%%:*}" --body "${rest#*:}"
                              --impls ref,rmq,rmq-loop)
                else
                        args=(--case sync --body "${c#sync:}"
                              --impls ref,ref-hop,rmq)
                fi
                taskset -c "$ccpu" "$bin" compare --label "pin=$label" \
                        --ref-port "$ref_port" --rmq-port "$rmq_port" \
                        --ref-pid "$ref_pid" --rmq-pid "$rmq_pid" \
                        --rounds "$rounds" --secs "$secs" --warmup "$warmup" \
                        "${args[@]}" | tee -a "$log"
        done
        cleanup
}

bench_header transport
say "# rounds $rounds, window ${secs}s after ${warmup}s warm-up, each run a fresh client process"

if [ $quick = 1 ]; then
        run_pinning split 1 0 pipelined:1000:1024 sync:1024
else
        run_pinning split 1 0 pipelined:1000:1024 pipelined:100:1024 \
                pipelined:10000:1024 pipelined:1000:128 sync:1024 sync:128
        run_pinning same 0 0 pipelined:1000:1024 sync:1024
fi

if [ $callgrind = 1 ] && command -v valgrind > /dev/null; then
        start_server ref 1; ref_port=$srv_port
        start_server rmq 1; rmq_port=$srv_port
        for impl in ref rmq rmq-loop; do
                port=$rmq_port
                [ $impl = ref ] && port=$ref_port
                rm -f "$out"/cg.$impl.*
                taskset -c 0 valgrind --tool=callgrind \
                        --callgrind-out-file="$out/cg.$impl.%p" \
                        "$bin" client --impl $impl --port "$port" --w 1000 \
                        --body 1024 --count "$cg_count" \
                        > "$out/cg.$impl.txt" 2> "$out/cg.$impl.err" || {
                        say "# callgrind $impl failed, see $out/cg.$impl.err"
                        continue
                }
                f=$(ls "$out"/cg.$impl.*.1 2> /dev/null | head -1)
                ir=$(bench_cg_totals "$f")
                say "$(printf 'callgrind_instructions pipelined_async w=1000 body=1024 client=%s: %s Ir for %s requests, %.0f instructions/request' \
                        "$impl" "$ir" "$cg_count" "$(echo "$ir / $cg_count" | bc -l)")"
        done
        say "# callgrind profiles: callgrind_annotate $out/cg.rmq.<pid>.1"
        cleanup
fi

bench_footer
echo
echo "== summary =="
grep -v '^#' "$log" || true
grep '^# summary' "$log" || true
