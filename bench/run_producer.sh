#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Producer benchmark driver: bench_producer (sync with 1 and 4 threads,
# async with a window of 1000) against the mock cluster in its own process,
# beside the bare libuv limits measured in the same run with frames of the
# same sizes (bench_transport's reference client and server: ping-pong and
# pipelined), reference and candidate alternating, medians of several runs.
#
#   bench/run_producer.sh [--quick] [--no-callgrind] [--build-dir DIR]
#                         [--out DIR] [--rounds N] [--secs S] [--bodies "128 1024"]
#
# Build first (Release):
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel -j2 --target bench_producer bench_transport
#
# Pinning (taskset on whole processes, so every thread of each): the
# servers -- the mock cluster (bench_producer --serve-mock) and the bare
# libuv echo server (bench_transport server --impl ref) -- on CPU 1, the
# clients -- bench_producer and bench_transport's reference client -- on
# CPU 0. A fresh mock is started for every case (it keeps every message it
# stores, in memory).
#
# Frame sizes: a short calibration run of the producer (sync, one thread)
# measures the bytes per message the mock read and wrote (/proc/<mock>/io
# rchar and wchar), and
# the reference client and server then exchange frames of exactly those
# sizes (--req-bytes, --resp-bytes).
#
# Cases and their reference:
#   sync  -w 1   vs bare ping-pong (one request in flight)
#   sync  -w 4   vs bare pipelined with 4 in flight
#   async window 1000 (one sending thread) vs bare pipelined with 1000 in flight
#
# Output: a table per case with the reference and producer msgs/s, their
# ratio, client CPU and server CPU per message (medians), and the RT of the
# producer; the full log goes to $OUT/producer.log.
#
# Instructions per sent message (client process only, callgrind): the mock
# runs natively on CPU 1 and
#   valgrind --tool=callgrind --callgrind-out-file=cg.%p \
#       build-rel/bench/bench_producer -n <mock> -a -s 1024 --count 20000
# sends 20000 warm-up messages, then brackets 20000 measured ones with
# CALLGRIND_ZERO_STATS / CALLGRIND_DUMP_STATS_AT, which writes cg.<pid>.1:
# its "totals:" line (not "summary:", which this valgrind doubles for
# multi-threaded dumps) divided by 20000 is the figure. This script does
# exactly that (and the same for 128 B and for sync with one thread) unless
# --no-callgrind.
set -euo pipefail

# shellcheck source=bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"
secs=""
bodies="128 1024"

while [ $# -gt 0 ]; do
        case "$1" in
        --secs) secs=$2; shift ;;
        --bodies) bodies=$2; shift ;;
        *) bench_common_opt "$@"; shift $((bench_shift - 1)) ;;
        esac
        shift
done

prod="$build/bench/bench_producer"
tran="$build/bench/bench_transport"
bench_need "build bench_producer and bench_transport first" "$prod" "$tran"

if [ $quick = 1 ]; then
        rounds=${rounds:-3}
        secs=${secs:-0.3}
        warmup=0.15
        cg_count=2000
        cases="sync1 async"
else
        rounds=${rounds:-5}
        secs=${secs:-1.0}
        warmup=0.3
        cg_count=20000
        cases="sync1 sync4 async"
fi
window=1000
bench_open_log producer

# serve FILE CMD... -> bench_serve; exits if the server does not start
serve() {
        local f=$1
        shift
        bench_serve "$f" 200 "$@" || { echo "server did not start: $f" >&2; exit 1; }
}

# start_mock -> mock_ns, mock_pid
start_mock() {
        local f="$out/mock.out"
        serve "$f" taskset -c 1 "$prod" --serve-mock
        mock_ns=$(awk '/^namesrv/ {print $2}' "$f")
        mock_pid=$(awk '/^namesrv/ {print $4}' "$f")
}

# start_ref RESP_BYTES -> ref_port, ref_pid
start_ref() {
        local f="$out/ref.out"
        serve "$f" taskset -c 1 "$tran" server --impl ref --resp-bytes "$1"
        ref_port=$(awk '/^port/ {print $2}' "$f")
        ref_pid=$(awk '/^port/ {print $4}' "$f")
}

# producer_args CASE BODY
producer_args() {
        case $1 in
        sync1) echo "-w 1 -s $2" ;;
        sync4) echo "-w 4 -s $2" ;;
        async) echo "-a --window $window -s $2" ;;
        esac
}

# ref_args CASE BODY REQ
ref_args() {
        case $1 in
        sync1) echo "--case sync --body $2 --req-bytes $3" ;;
        sync4) echo "--case pipelined --w 4 --body $2 --req-bytes $3" ;;
        async) echo "--case pipelined --w $window --body $2 --req-bytes $3" ;;
        esac
}

ref_label() {
        case $1 in
        sync1) echo "bare ping-pong" ;;
        sync4) echo "bare pipelined w=4" ;;
        async) echo "bare pipelined w=$window" ;;
        esac
}

bench_header producer
say "# rounds $rounds, window ${secs}s after ${warmup}s warm-up; servers on CPU 1, clients on CPU 0"

table=()
for body in $bodies; do
        # Calibration: frame sizes as the mock sees them (one send in
        # flight, so the bytes read and written in the window belong to
        # exactly the messages completed in it).
        start_mock
        line=$(taskset -c 0 "$prod" -n "$mock_ns" -w 1 -s "$body" -d 0.3 \
                --warmup 0.1 --result --quiet --server-pid "$mock_pid" | grep '^result')
        req=$(printf '%.0f' "$(field req_bytes_per_msg "$line")")
        resp=$(printf '%.0f' "$(field resp_bytes_per_msg "$line")")
        say "# body $body: request frame $req bytes, response frame $resp bytes (measured at the mock)"
        cleanup
        for c in $cases; do
                start_mock
                start_ref "$resp"
                r_rate=(); r_cli=(); r_srv=(); p_rate=(); p_cli=(); p_srv=(); p_rt=(); p_fail=0
                for r in $(seq "$rounds"); do
                        # shellcheck disable=SC2046
                        line=$(taskset -c 0 "$tran" client --impl ref --port "$ref_port" \
                                --server-pid "$ref_pid" --secs "$secs" --warmup "$warmup" \
                                $(ref_args "$c" "$body" "$req") | grep '^result')
                        r_rate+=("$(field rate "$line")")
                        r_cli+=("$(field client_cpu_us_per_req "$line")")
                        r_srv+=("$(field server_cpu_us_per_req "$line")")
                        echo "# $c body=$body round $r ref: $line" >> "$log"
                        # shellcheck disable=SC2046
                        line=$(taskset -c 0 "$prod" -n "$mock_ns" $(producer_args "$c" "$body") \
                                -d "$secs" --warmup "$warmup" --result --quiet \
                                --server-pid "$mock_pid" | grep '^result')
                        p_rate+=("$(field rate "$line")")
                        p_cli+=("$(field client_cpu_us_per_msg "$line")")
                        p_srv+=("$(field server_cpu_us_per_msg "$line")")
                        p_rt+=("$(field avg_rt_ms "$line")")
                        p_fail=$((p_fail + $(field failures "$line")))
                        echo "# $c body=$body round $r producer: $line" >> "$log"
                done
                mr=$(median "${r_rate[@]}"); mp=$(median "${p_rate[@]}")
                row=$(printf '%-6s %5d  %-20s %9.0f  %9.0f  %5.2f   %6.2f / %6.2f   %6.2f / %6.2f   %7.3f  %d' \
                        "$c" "$body" "$(ref_label "$c")" "$mr" "$mp" "$(echo "$mp / $mr" | bc -l)" \
                        "$(median "${r_cli[@]}")" "$(median "${p_cli[@]}")" \
                        "$(median "${r_srv[@]}")" "$(median "${p_srv[@]}")" \
                        "$(median "${p_rt[@]}")" "$p_fail")
                say "$row"
                table+=("$row")
                cleanup
        done
done

if [ $callgrind = 1 ] && command -v valgrind > /dev/null; then
        for spec in "async:1024" "async:128" "sync1:1024"; do
                c=${spec%%:*}; body=${spec#*:}
                start_mock
                rm -f "$out"/cg.$c.$body.*
                # shellcheck disable=SC2046
                taskset -c 0 valgrind --tool=callgrind \
                        --callgrind-out-file="$out/cg.$c.$body.%p" \
                        "$prod" -n "$mock_ns" $(producer_args "$c" "$body") \
                        --count "$cg_count" > "$out/cg.$c.$body.txt" \
                        2> "$out/cg.$c.$body.err" || {
                        say "# callgrind $c $body failed, see $out/cg.$c.$body.err"
                        cleanup
                        continue
                }
                f=$(ls "$out"/cg.$c.$body.*.1 2> /dev/null | head -1)
                ir=$(bench_cg_totals "$f")
                say "$(printf 'callgrind_instructions %s body=%s: %s Ir for %s messages, %.0f instructions/message' \
                        "$c" "$body" "$ir" "$cg_count" "$(echo "$ir / $cg_count" | bc -l)")"
                cleanup
        done
        say "# callgrind profiles: $out/cg.<case>.<body>.<pid>.1 (read totals:, see the header)"
fi

# Memory and threads of a started producer alone (mock in its own process).
start_mock
taskset -c 0 "$prod" -n "$mock_ns" -a -s 1024 -c 1 --quiet | grep '^process' | sed 's/^/# producer /' | tee -a "$log"
cleanup

bench_footer
echo
echo "== summary (msgs/s medians; ratio = producer / bare; cpu = us per message) =="
echo "case   body   reference             ref msg/s   producer  ratio   client cpu ref/prod   server cpu ref/mock   rt ms   failures"
printf '%s\n' "${table[@]}"
grep '^callgrind_instructions' "$log" || true
