#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Consumer benchmark driver: bench_consumer on a prefilled topic (128 B x
# 200000 and 1 KiB x 100000 messages by default), push consumer and lite
# pull consumer (subscribe and assign modes), in two set-ups, the idle
# wake-ups, and the instructions per delivered message.
#
#   bench/run_consumer.sh [--quick] [--no-callgrind] [--no-idle]
#                         [--build-dir DIR] [--out DIR] [--rounds N]
#                         [--idle-secs S] [--specs "128:200000 1024:100000"]
#
# Build first (Release):
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel -j2 --target bench_consumer
#
# Set-ups, each round a new consumer group (so it starts from the first
# offset of the same prefilled messages):
#   in-process  bench_consumer -s SIZE -m N: the mock cluster in the same
#               process (the benchmark's default), no pinning; "client
#               cpu" is the process's CPU minus the mock thread's.
#   split       the mock in its own process (bench_consumer --serve-mock,
#               prefilled once per size) on CPU 1, the consumer on CPU 0
#               (taskset on whole processes); "client cpu" is the
#               consumer process's getrusage, "server cpu" the mock's
#               (/proc/P/stat).
# Consumer settings: Java's defaults (consumeThreadMin 20,
# consumeMessageBatchMaxSize 1, pullBatchSize 32), and in the split set-up
# also 2 threads with consumeMessageBatchMaxSize 32. The lite pull rows
# (bench_consumer --lite subscribe|assign) use the lite pull consumer's
# Java defaults (pullBatchSize 10, autoCommit, pullThresholdForAll 10000)
# and one thread that polls and counts.
#
# Idle: bench_consumer --idle S (in-process mock, empty topic): wake-ups
# per second of the consumer's threads (the target is under 5), from
# /proc/self/task/N/status.
#
# Instructions per delivered message (consumer process only, callgrind):
# the mock runs natively on CPU 1, prefilled with N messages, and
#   valgrind --tool=callgrind --callgrind-out-file=cg.%p \
#       build-rel/bench/bench_consumer -n <mock> --no-prefill -s SIZE \
#       -m N --cg-warmup N/5
# consumes N/5 messages as warm-up (consumer start, rebalance, first
# pulls), then CALLGRIND_ZERO_STATS, and after the last message
# CALLGRIND_DUMP_STATS_AT writes cg.<pid>.1: its "totals:" line (every
# thread of the consumer process) divided by the "measured" count the
# benchmark prints is the figure. The functions with the highest self
# cost go to the log (callgrind_annotate). The same again with --lite
# subscribe and --lite assign, on the same mock (a new group each).
set -euo pipefail

# shellcheck source=bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"
idle=1
idle_secs=""
specs="128:200000 1024:100000"

while [ $# -gt 0 ]; do
        case "$1" in
        --no-idle) idle=0 ;;
        --idle-secs) idle_secs=$2; shift ;;
        --specs) specs=$2; shift ;;
        *) bench_common_opt "$@"; shift $((bench_shift - 1)) ;;
        esac
        shift
done

cons="$build/bench/bench_consumer"
bench_need "build bench_consumer first" "$cons"

if [ $quick = 1 ]; then
        rounds=${rounds:-1}
        idle_secs=${idle_secs:-10}
        specs="128:20000 1024:10000"
        cg_n=10000
else
        rounds=${rounds:-3}
        idle_secs=${idle_secs:-60}
        cg_n=100000
fi
bench_open_log consumer

# start_mock SIZE COUNT -> mock_ns, mock_pid (prefilled, on CPU 1)
start_mock() {
        local f="$out/mock.out"
        bench_serve "$f" 1200 taskset -c 1 "$cons" --serve-mock -s "$1" -m "$2" \
                2>> "$out/stderr.log" || { echo "the mock did not start" >&2; exit 1; }
        mock_ns=$(awk '/^namesrv/ {print $2}' "$f")
        mock_pid=$(awk '/^namesrv/ {print $4}' "$f")
}

# run_rounds LABEL CMD... -> one table row from the medians of $rounds runs
table=()
run_rounds() {
        local label=$1 r line rate=() wall=() cpu=() cli=() srv=() rss=()
        shift
        for r in $(seq "$rounds"); do
                line=$("$@" --quiet 2>> "$out/stderr.log" | tee -a "$log" | grep '^result') || {
                        say "# $label round $r failed"; return 1; }
                rate+=("$(field rate "$line")")
                wall+=("$(field wall_ns_per_msg "$line")")
                cpu+=("$(field cpu_ns_per_msg "$line")")
                cli+=("$(field client_cpu_ns_per_msg "$line")")
                srv+=("$(field server_cpu_ns_per_msg "$line")")
                rss+=("$(field max_rss_kb "$line")")
        done
        # the server column: "-" with the in-process mock (no process)
        row=$(printf '%-42s %9.0f %8.0f %9.0f %9.0f %9s %9s' "$label" \
                "$(median "${rate[@]}")" "$(median "${wall[@]}")" \
                "$(median "${cpu[@]}")" "$(median "${cli[@]}")" \
                "$(median "${srv[@]}" | awk '{print $1 < 0 ? "-" : sprintf("%.0f", $1)}')" \
                "$(median "${rss[@]}")")
        say "$row"
        table+=("$row")
}

bench_header "consumer (push, lite pull)"
say "# $rounds round(s) per row, medians; ns per message; rss in kB (getrusage ru_maxrss)"
say "$(printf '%-42s %9s %8s %9s %9s %9s %9s' case msgs/s wall cpu client server max_rss)"

for spec in $specs; do
        size=${spec%%:*}
        n=${spec#*:}
        run_rounds "in-process $size B x $n w20 b1" \
                "$cons" -s "$size" -m "$n"
        for mode in subscribe assign; do
                run_rounds "in-process $size B x $n lite $mode" \
                        "$cons" -s "$size" -m "$n" --lite "$mode"
        done
        start_mock "$size" "$n"
        run_rounds "split $size B x $n w20 b1" \
                taskset -c 0 "$cons" -n "$mock_ns" --no-prefill -s "$size" \
                -m "$n" --server-pid "$mock_pid"
        run_rounds "split $size B x $n w2 b32" \
                taskset -c 0 "$cons" -n "$mock_ns" --no-prefill -s "$size" \
                -m "$n" --server-pid "$mock_pid" -w 2 -b 32
        for mode in subscribe assign; do
                run_rounds "split $size B x $n lite $mode" \
                        taskset -c 0 "$cons" -n "$mock_ns" --no-prefill \
                        -s "$size" -m "$n" --server-pid "$mock_pid" \
                        --lite "$mode"
        done
        cleanup
done

if [ $idle = 1 ]; then
        say "# idle: bench_consumer --idle $idle_secs (in-process mock)"
        "$cons" --idle "$idle_secs" 2>> "$out/stderr.log" | tee -a "$log" | grep -v '^result'
fi

if [ $callgrind = 1 ] && command -v valgrind > /dev/null; then
        for size in 128 1024; do
                start_mock "$size" "$cg_n"
                for mode in push subscribe assign; do
                        # push: cg.128.*, "body=128", "128 B"; lite:
                        # cg.128-lite-assign.*, "body=128 lite assign", ...
                        tag=$size what="body=$size" label="$size B" lite=()
                        if [ "$mode" != push ]; then
                                tag=$size-lite-$mode
                                what="body=$size lite $mode"
                                label="$size B lite $mode"
                                lite=(--lite "$mode")
                        fi
                        rm -f "$out"/cg."$tag".*
                        taskset -c 0 valgrind --tool=callgrind \
                                --callgrind-out-file="$out/cg.$tag.%p" \
                                "$cons" -n "$mock_ns" --no-prefill -s "$size" \
                                -m "$cg_n" --cg-warmup $((cg_n / 5)) --quiet \
                                --timeout 600 "${lite[@]}" > "$out/cg.$tag.txt" \
                                2> "$out/cg.$tag.err" || {
                                say "# callgrind $what failed, see $out/cg.$tag.err"
                                continue
                        }
                        f=$(find "$out" -name "cg.$tag.*.1" | head -1)
                        ir=$(bench_cg_totals "$f")
                        m=$(sed -n 's/^callgrind: measured \([0-9]*\) messages.*/\1/p' "$out/cg.$tag.txt")
                        say "$(printf 'callgrind_instructions %s: %s Ir for %s messages, %.0f instructions/message' \
                                "$what" "$ir" "$m" "$(echo "$ir / $m" | bc -l)")"
                        # Inclusive instructions per message of the library's
                        # functions (self costs and the percentages of this
                        # valgrind's callgrind_annotate are not usable for a
                        # dump taken mid-run; frames open across the zeroing
                        # -- thread entry points and loops -- are left out).
                        callgrind_annotate --inclusive=yes --threshold=100 "$f" 2> /dev/null |
                                grep -E '^ *[0-9,]+ \(.*bench_consumer\]' |
                                grep -vE ':(thread_trampoline|pool_worker|io_thread|async_job|poll_thread) ' |
                                head -30 | awk -v m="$m" -v s="$label" '{ gsub(",", "", $1)
                                        fn = $(NF - 1); sub(/^[^:]*:/, "", fn)
                                        printf "# cg %s inclusive: %7.0f Ir/msg  %s\n", s, $1 / m, fn }' |
                                tee -a "$log" || true
                done
                cleanup
        done
        say "# callgrind profiles: $out/cg.<size>[-lite-<mode>].<pid>.1 (read totals:, see the header)"
fi

bench_footer
echo
echo "== summary (medians; ns per message) =="
printf '%-42s %9s %8s %9s %9s %9s %9s\n' case msgs/s wall cpu client server max_rss
printf '%s\n' "${table[@]}"
grep -E '^(idle:|callgrind_instructions)' "$log" || true
