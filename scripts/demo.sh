#!/usr/bin/env bash
# `make demo` (file-replay form): generates a synthetic province month, replays it and
# prints the score table per provider and the counts of what was read.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/rel/cloudqe
D=${DEMO_DIR:-build/demo}
mkdir -p "$D"
echo "== generating a province month (3 providers, 20 departments, 200 services, 300 VMs)"
"$B" gen --seed 42 --days 31 --start 2026-03-01 --vms 300 --hosts 20 \
    --out "$D/month.ndjson.zst" --config-out "$D/config.json" 2>"$D/gen.log"
echo "== replaying $D/month.ndjson.zst"
"$B" replay --config "$D/config.json" --period 2026-03 --table \
    --dead-letters "$D/dead_letters.ndjson.zst" "$D/month.ndjson.zst"
