#!/usr/bin/env bash
# Installs the Debian packages rocketmq-c needs to build and test.
# Idempotent; uses sudo when not root.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libuv1-dev libcjson-dev zlib1g-dev
      libssl-dev libcmocka-dev)
missing=()
for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
        exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "==> installing: ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
