#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Builds the seed corpora for the fuzzers from the captured wire fixtures:
#   OUTDIR/corpus-frame  every fixture frame, plus a few multi-frame streams
#   OUTDIR/corpus-json   the fastjson bodies of the fixtures (bodies that
#                        start with '{' or '['), plus hand-written fastjson
#                        oddities
#
# usage: fuzz/seed.sh [OUTDIR]      (default: the fuzz/ directory)
# The fixtures are read from $RMQ_FIXTURES_DIR, by default
# ../shared/fixtures/wire beside the checkout.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
fix=${RMQ_FIXTURES_DIR:-$here/../../shared/fixtures/wire}

if [ ! -d "$fix" ]; then
        echo "seed.sh: no fixtures directory $fix (set RMQ_FIXTURES_DIR)" >&2
        exit 1
fi

mkdir -p "$out/corpus-frame" "$out/corpus-json"

nframes=0
njson=0
for f in "$fix"/*.bin; do
        name=$(basename "$f" .bin)
        cp "$f" "$out/corpus-frame/$name.bin"
        nframes=$((nframes + 1))

        # Frame: [len:4][type:1 headerLen:3][header][body], big-endian.
        set -- $(od -An -tu1 -N8 "$f")
        [ $# -eq 8 ] || continue
        hlen=$(( ($6 << 16) | ($7 << 8) | $8 ))
        first=$(tail -c +$((9 + hlen)) "$f" | od -An -tu1 -N1 | tr -d ' \n')
        case "$first" in
        123 | 91) # '{' or '['
                tail -c +$((9 + hlen)) "$f" >"$out/corpus-json/$name.json"
                njson=$((njson + 1))
                ;;
        esac
done

# Several frames back to back, JSON and ROCKETMQ headers mixed, for the
# stream decoder.
stream() {
        dst=$1
        shift
        : >"$out/corpus-frame/$dst"
        for p in "$@"; do
                cat "$fix/$p"-*.bin >>"$out/corpus-frame/$dst"
        done
        nframes=$((nframes + 1))
}
stream stream-send-sync.bin 005 007
stream stream-send-rmqbin.bin 105 106 109
stream stream-pull-mixed.bin 042 146 082 076

# fastjson writes some bodies that are not JSON.
odd() {
        printf '%s' "$2" >"$out/corpus-json/odd-$1.json"
        njson=$((njson + 1))
}
odd objkey '{{"brokerName":"b","queueId":0,"topic":"T"}:5}'
odd numkey '{0:"127.0.0.1:10911"}'
odd numkeys '{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster"}'
odd offsettable '{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":20,"consumerOffset":12,"lastTimestamp":1795617273289},{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"brokerOffset":7,"consumerOffset":7,"lastTimestamp":0}},"consumeTps":0.5}'
odd nested-objkey '{{{"a":1}:[1,2]}:{"x":null}}'
odd numbers '[9223372036854775807,-9223372036854775808,0,-0,1.5e3,0.1,1E-7,123456789012345678901234567890]'
odd escapes '{"s":"\u00e9\ud83d\ude00\ud800 \"\\\/\b\f\n\r\t","":""}'
odd literals '[true,false,null,[],{},[[]],{"k":{}}]'

echo "seed.sh: $nframes frame seeds in $out/corpus-frame," \
        "$njson JSON seeds in $out/corpus-json"
