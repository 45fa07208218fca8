# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034
#
# What the benchmark drivers (bench/run_*.sh) share; sourced after their
# `set -euo pipefail`:
#   . "$(dirname "$0")/bench_lib.sh"
#
# Sets here (bench/), root (the source tree) and the defaults of the options
# every driver takes: build, out, quick, callgrind, rounds (SC2034: they
# are the drivers' variables).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build="$root/build-rel"
out=""
quick=0
callgrind=1
rounds=""

# bench_common_opt ARGS... -> handles an option every driver takes and sets
# bench_shift to the words it used; exits on --help (prints the driver's
# header comment) and on an unknown option.
bench_common_opt() {
        bench_shift=1
        case "$1" in
        --quick) quick=1 ;;
        --no-callgrind) callgrind=0 ;;
        --build-dir) build=$2; bench_shift=2 ;;
        --out) out=$2; bench_shift=2 ;;
        --rounds) rounds=$2; bench_shift=2 ;;
        -h|--help) sed -n "3,$(($(grep -n "^set -euo" "$0" | cut -d: -f1) - 1))p" "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
        esac
}

# bench_need HINT PROGRAM... -> exits unless every PROGRAM is built
# ("no PROGRAM: HINT") and there are 2 CPUs for the split pinning.
bench_need() {
        local hint=$1 b
        shift
        for b in "$@"; do
                [ -x "$b" ] || { echo "no $b: $hint" >&2; exit 2; }
        done
        if [ "$(nproc)" -lt 2 ]; then
                echo "needs 2 CPUs for the split pinning (have $(nproc))" >&2
                exit 2
        fi
}

# bench_open_log NAME -> out (default build/bench-results/NAME-<time>) and
# an empty log, $out/NAME.log
bench_open_log() {
        out=${out:-"$build/bench-results/$1-$(date +%Y%m%d-%H%M%S)"}
        mkdir -p "$out"
        log="$out/$1.log"
        : > "$log"
}

say() { echo "$@" | tee -a "$log"; }

# Servers started in the background (pids in servers) are killed by
# cleanup, and on exit.
servers=()
cleanup() {
        local p
        for p in "${servers[@]}"; do
                kill "$p" 2>/dev/null || true
        done
        for p in "${servers[@]}"; do
                wait "$p" 2>/dev/null || true
        done
        servers=()
}
trap cleanup EXIT

# bench_wait_line FILE TRIES -> waits (TRIES x 50 ms at most) until FILE has
# a line; fails if it has none by then
bench_wait_line() {
        local _
        for _ in $(seq "$2"); do
                [ -s "$1" ] && return 0
                sleep 0.05
        done
        return 1
}

# bench_serve FILE TRIES CMD... -> runs CMD in the background (a server:
# cleanup stops it; its pid in bench_server_pid) with its output in FILE,
# emptied first, and waits as bench_wait_line FILE TRIES
bench_serve() {
        local f=$1 tries=$2
        shift 2
        : > "$f"
        "$@" > "$f" &
        bench_server_pid=$!
        servers+=("$bench_server_pid")
        bench_wait_line "$f" "$tries"
}

# field NAME LINE -> value of NAME=value in LINE
field() { echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# bench_cg_totals FILE -> the instructions of a callgrind dump ("totals:")
bench_cg_totals() { awk '/^totals:/ {print $2; exit}' "$1"; }

# bench_header WHAT -> the first log line (commit, date, machine, libuv);
# starts the clock of bench_footer
bench_header() {
        bench_start=$(date +%s)
        say "# rocketmq-c $1 benchmark $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')" \
            "$(date -u +%FT%TZ), $(nproc) CPUs, $(uname -r), libuv $(pkg-config --modversion libuv 2>/dev/null || echo '?')"
}

# bench_footer -> the last log line (time taken, where the log is)
bench_footer() { say "# total $(( $(date +%s) - bench_start ))s; log $log"; }
