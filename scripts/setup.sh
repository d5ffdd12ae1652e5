#!/usr/bin/env bash
# Installs the Debian packages cloudqe builds and tests with, when missing.
# As root it runs apt-get; otherwise it prints the exact apt-get line and stops.
set -euo pipefail
PACKAGES="gcc make pkg-config librdkafka-dev libjansson-dev libzstd-dev zstd libhiredis-dev libssl-dev
redis-server redis-tools python3 python3-jsonschema clang libclang-rt-dev time cppcheck clang-format"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "cloudqe needs these Debian packages:$missing" >&2
    echo "run as root: apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing >/dev/null
