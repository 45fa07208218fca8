#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Before/after figures for a producer change: two builds of bench_producer
# (A = before, B = after) send alternately (A, B, A, B, ...) to one mock
# cluster in its own process (served by A's build, so both clients face the
# same broker); prints medians and B/A.
#
#   bench/ab_producer.sh A_BIN B_BIN [rounds] [bench_producer options...]
#
# e.g. (A built from the parent commit, copied to build-base):
#   bench/ab_producer.sh build-base/bench_producer \
#       build-rel/bench/bench_producer 7 -a -s 1024
# Pinning as run_producer.sh: the mock on CPU 1, the clients on CPU 0
# (SERVER_CPU / CLIENT_CPU override); SECS (default 1) and WARMUP (0.3)
# set the measured window.
set -euo pipefail

a=$1 b=$2
rounds=${3:-7}
shift 3 || shift $#
[ $# -gt 0 ] || set -- -a -s 1024
scpu=${SERVER_CPU:-1}
ccpu=${CLIENT_CPU:-0}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

taskset -c "$scpu" "$a" --serve-mock > "$tmp/mock.out" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/mock.out" ] && break; sleep 0.05; done
ns=$(awk '/^namesrv/ {print $2}' "$tmp/mock.out")
mpid=$(awk '/^namesrv/ {print $4}' "$tmp/mock.out")

for r in $(seq "$rounds"); do
        for v in A B; do
                bin=$a
                [ $v = B ] && bin=$b
                taskset -c "$ccpu" "$bin" -n "$ns" --server-pid "$mpid" \
                        -d "${SECS:-1}" --warmup "${WARMUP:-0.3}" --result \
                        --quiet "$@" | grep '^result' | sed "s/^/$v /" |
                        tee -a "$tmp/runs"
        done
done

awk '
function med(arr, n,   i, j, t) {
        for (i = 1; i <= n; i++)
                for (j = i + 1; j <= n; j++)
                        if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
        return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{
        v = $1
        n[v]++
        for (i = 2; i <= NF; i++) {
                split($i, kv, "=")
                if (kv[1] == "rate") rate[v, n[v]] = kv[2]
                if (kv[1] == "client_cpu_us_per_msg") ccpu[v, n[v]] = kv[2]
                if (kv[1] == "client_user_us_per_msg") cusr[v, n[v]] = kv[2]
                if (kv[1] == "client_sys_us_per_msg") csys[v, n[v]] = kv[2]
                if (kv[1] == "server_cpu_us_per_msg") scpu[v, n[v]] = kv[2]
                if (kv[1] == "avg_rt_ms") rt[v, n[v]] = kv[2]
                if (kv[1] == "vm_hwm_kb") hwm[v, n[v]] = kv[2]
        }
}
END {
        split("A B", vs, " ")
        for (k = 1; k <= 2; k++) {
                v = vs[k]
                for (i = 1; i <= n[v]; i++) { r[i] = rate[v, i]; c[i] = ccpu[v, i]; u[i] = cusr[v, i]; y[i] = csys[v, i]; s[i] = scpu[v, i]; t[i] = rt[v, i]; h[i] = hwm[v, i] }
                mr[v] = med(r, n[v]); mc[v] = med(c, n[v]); mu[v] = med(u, n[v]); my[v] = med(y, n[v]); ms[v] = med(s, n[v]); mt[v] = med(t, n[v]); mh[v] = med(h, n[v])
                printf "%s: median %.0f msgs/s, client cpu %.2f us/msg (user %.2f, sys %.2f), mock cpu %.2f us/msg, avg rt %.3f ms, VmHWM %d kB (%d runs)\n", v, mr[v], mc[v], mu[v], my[v], ms[v], mt[v], mh[v], n[v]
        }
        printf "B/A: rate %.2f, client cpu %.2f (user %.2f, sys %.2f), mock cpu %.2f, rt %.2f\n", mr["B"] / mr["A"], mc["B"] / mc["A"], (mu["A"] ? mu["B"] / mu["A"] : 0), (my["A"] ? my["B"] / my["A"] : 0), ms["B"] / ms["A"], mt["B"] / mt["A"]
}' "$tmp/runs"
