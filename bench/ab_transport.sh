#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Before/after figures for a transport change: two builds of
# bench_transport (A = before, B = after), each client against the rmq
# server of its own build, runs alternating A, B, A, B, ...; prints medians
# and B/A.
#
#   bench/ab_transport.sh A_BIN B_BIN [rounds] [client options...]
#
# e.g. (A built from the parent commit in build-base):
#   bench/ab_transport.sh build-base/bench/bench_transport \
#       build-rel/bench/bench_transport 7 --impl rmq-loop --w 1000 --body 1024
# Pinning as run_transport.sh "split": servers on CPU 1, clients on CPU 0
# (SERVER_CPU / CLIENT_CPU override).
set -euo pipefail

a=$1 b=$2
rounds=${3:-7}
shift 3 || shift $#
[ $# -gt 0 ] || set -- --impl rmq --w 1000 --body 1024
scpu=${SERVER_CPU:-1}
ccpu=${CLIENT_CPU:-0}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

start() { # BIN NAME -> port in $tmp/NAME.port
        taskset -c "$scpu" "$1" server --impl rmq > "$tmp/$2.out" &
        pids+=($!)
        echo $! > "$tmp/$2.pid"
        for _ in $(seq 100); do [ -s "$tmp/$2.out" ] && break; sleep 0.05; done
        awk '{print $2}' "$tmp/$2.out" > "$tmp/$2.port"
}
start "$a" A
start "$b" B

for r in $(seq "$rounds"); do
        for v in A B; do
                bin=$a
                [ $v = B ] && bin=$b
                taskset -c "$ccpu" "$bin" client --port "$(cat "$tmp/$v.port")" \
                        --server-pid "$(cat "$tmp/$v.pid")" --secs "${SECS:-0.6}" \
                        --warmup 0.15 "$@" | sed "s/^/$v /" | tee -a "$tmp/runs"
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
        for (i = 2; i <= NF; i++) {
                split($i, kv, "=")
                if (kv[1] == "rate") rate[v, ++n[v]] = kv[2]
                if (kv[1] == "client_cpu_us_per_req") ccpu[v, n[v]] = kv[2]
                if (kv[1] == "server_cpu_us_per_req") scpu[v, n[v]] = kv[2]
                if (kv[1] == "vm_hwm_kb") hwm[v, n[v]] = kv[2]
        }
}
END {
        split("A B", vs, " ")
        for (k = 1; k <= 2; k++) {
                v = vs[k]
                for (i = 1; i <= n[v]; i++) { r[i] = rate[v, i]; c[i] = ccpu[v, i]; s[i] = scpu[v, i]; h[i] = hwm[v, i] }
                mr[v] = med(r, n[v]); mc[v] = med(c, n[v]); ms[v] = med(s, n[v]); mh[v] = med(h, n[v])
                printf "%s: median %.0f req/s, client cpu %.2f us/req, server cpu %.2f us/req, VmHWM %d kB (%d runs)\n", v, mr[v], mc[v], ms[v], mh[v], n[v]
        }
        printf "B/A: rate %.2f, client cpu %.2f, server cpu %.2f\n", mr["B"] / mr["A"], mc["B"] / mc["A"], ms["B"] / ms["A"]
}' "$tmp/runs"
