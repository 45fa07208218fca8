#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs a small
# program outside the tree with `pkg-config --cflags --libs rocketmq-c`
# (shared and static) and with CMake's find_package(rocketmq-c).
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name rocketmq-c.pc | head -1)")/..
export PKG_CONFIG_PATH=$libdir/pkgconfig
# The installed headers must compile as C99 and as C++ too.
cc -std=c99 -Wall -Wextra -Werror -fsyntax-only \
   $(pkg-config --cflags rocketmq-c) -x c - <<<'#include <rocketmq/rocketmq.h>
int main(void){return rmq_version()==0;}'
if command -v c++ >/dev/null; then
        c++ -Wall -Werror -fsyntax-only $(pkg-config --cflags rocketmq-c) \
            -x c++ - <<<'#include <rocketmq/rocketmq.h>
int main(){return rmq_version()==0;}'
fi
cc -o "$tmp/consumer_shared" "$src/tests/pkgconfig/consumer.c" \
   $(pkg-config --cflags --libs rocketmq-c)
LD_LIBRARY_PATH=$libdir "$tmp/consumer_shared"
cc -o "$tmp/consumer_static" "$src/tests/pkgconfig/consumer.c" \
   $(pkg-config --cflags rocketmq-c) "$libdir/librocketmq-c.a" \
   $(pkg-config --libs --static libuv libcjson zlib libcrypto) -lpthread
"$tmp/consumer_static"
cmake -S "$src/tests/pkgconfig" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/cm" >/dev/null
LD_LIBRARY_PATH=$libdir "$tmp/cm/consumer_cmake"
# Only rmq_-prefixed symbols may be exported (librdkafka's 0006 idea).
bad=$(nm -D --defined-only "$libdir/librocketmq-c.so" | awk '{print $3}' | grep -v '^rmq_' || true)
if [ -n "$bad" ]; then
        echo "exported symbols without the rmq_ prefix:"; echo "$bad"; exit 1
fi
echo "pkg-config, static and find_package consumers OK"
