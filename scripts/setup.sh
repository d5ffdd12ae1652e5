#!/usr/bin/env bash
# Installs the Debian packages cloudqe builds and tests with, when missing.
# As root it runs apt-get; otherwise it prints the exact apt-get line and stops.
# (fonts-wqy-microhei: a CJK font, so the dashboard's Chinese renders in headless chromium.)
# Then it installs the npm packages, each pinned in its package-lock.json, with `npm ci`
# where node_modules is missing or older than the lock file: the test clients
# (tests/clients: @duckdb/node-api, playwright-core) and the dashboard's charts
# (sinks/dashboard: echarts, embedded in the binary; the Makefile does the same).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES="gcc make pkg-config librdkafka-dev libjansson-dev libzstd-dev zstd libhiredis-dev libssl-dev
redis-server redis-tools python3 python3-jsonschema clang libclang-rt-dev time cppcheck clang-format
kcat nodejs npm libmicrohttpd-dev chromium python3-prometheus-client
fonts-wqy-microhei"

# A package is there when dpkg has it installed; nodejs and npm also when their command is
# on PATH (a Node.js build such as NodeSource's bundles npm, provides "npm" and conflicts
# with Debian's npm package, which apt-get then cannot install).
present() {
    case "$1" in
        nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
        npm) command -v npm >/dev/null 2>&1 && return 0 ;;
    esac
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=""
for p in $PACKAGES; do
    present "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "cloudqe needs these Debian packages:$missing" >&2
        echo "run as root: apt-get update && apt-get install -y$missing" >&2
        exit 1
    fi
    echo "setup: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $missing >/dev/null
fi

# npm writes node_modules/.package-lock.json at the end of a complete install: a missing
# one means no node_modules, or an install that did not finish.
for CLIENTS in tests/clients sinks/dashboard; do
    if [ ! -f "$CLIENTS/node_modules/.package-lock.json" ] ||
        [ "$CLIENTS/package-lock.json" -nt "$CLIENTS/node_modules/.package-lock.json" ]; then
        log=$(mktemp "${TMPDIR:-/tmp}/cloudqe-npm-ci.XXXXXX")
        if ! npm ci --prefix "$CLIENTS" --no-audit --no-fund >"$log" 2>&1; then
            head -n 20 "$log" >&2
            echo "setup: this failed (its whole output is in $log): npm ci --prefix $CLIENTS --no-audit --no-fund" >&2
            exit 1
        fi
        rm -f "$log"
    fi
done
