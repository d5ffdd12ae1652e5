#!/usr/bin/env bash
# `make bench`: builds the benchmark binaries and measures, on one pinned core, the
# decoder and processors against the raw Jansson parse rate on the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/rel/cloudqe
OUT=${BENCH_DIR:-build/bench}
mkdir -p "$OUT"
PKG="$(pkg-config --cflags --libs rdkafka jansson libzstd hiredis)"
cc -std=c11 -D_DEFAULT_SOURCE -O2 -g $(make -s --no-print-directory print-inc) bench/bench_decode.c \
    build/rel/libcqe.a $PKG -lm -lpthread -o "$OUT/bench_decode"
CPU=${BENCH_CPU:-1}
echo "== decode / processors, one core (taskset -c $CPU; events per CPU second, medians of 3)"
# a mix of every type at ~300 bytes: few resources so metrics do not swamp the rest
"$BIN" gen --seed 11 --days 3 --vms 40 --hosts 4 --services 200 --bad-share 0 --dup-share 0 \
    --late-share 0 --out "$OUT/mix.ndjson" 2>/dev/null
taskset -c "$CPU" "$OUT/bench_decode" "$OUT/mix.ndjson" 3 | tee "$OUT/mix.decode.txt"
echo "== the peers' mix (200,000 events of ~288 B: 70 % metric, 15 % incident, 15 % probe)"
python3 bench/gen_peers_mix.py 200000 "$OUT/peers.ndjson" 1
taskset -c "$CPU" "$OUT/bench_decode" "$OUT/peers.ndjson" 3 | tee "$OUT/peers.decode.txt"
echo "== in-memory replay against the raw json_loadb rate of the same bytes (goal: >= 0.8 x)"
printf '%-12s %16s %22s %7s\n' mix "json_loadb ev/s" "decode+apply ev/s" ratio
for m in mix peers; do
    sed -n 's/^ratio: json_loadb \([0-9]*\) events\/s, decode+apply \([0-9]*\) events\/s, \([0-9.]*\) x$/\1 \2 \3/p' \
        "$OUT/$m.decode.txt" | { read -r raw app ratio; printf '%-12s %16s %22s %6sx\n' "$m" "$raw" "$app" "$ratio"; }
done
echo "== output records: json_dumps at 17 digits against cqe_json_dumps (shortest reals)"
cc -std=c11 -D_DEFAULT_SOURCE -O2 -g $(make -s --no-print-directory print-inc) bench/bench_records.c \
    build/rel/libcqe.a $PKG -lm -lpthread -o "$OUT/bench_records"
"$BIN" replay --quiet "$OUT/mix.ndjson" >"$OUT/mix.records.ndjson" 2>/dev/null
taskset -c "$CPU" "$OUT/bench_records" "$OUT/mix.records.ndjson" 5
echo "== metric-heavy (a generated day of 2,000 VMs every 5 minutes)"
"$BIN" gen --seed 12 --days 1 --vms 2000 --hosts 100 --bad-share 0 --dup-share 0 --late-share 0 \
    --out "$OUT/metrics.ndjson" 2>/dev/null
taskset -c "$CPU" "$OUT/bench_decode" "$OUT/metrics.ndjson" 2
echo "== memory: a generated week, 100,000 resources sampled hourly, 10,000 services"
"$BIN" gen --seed 13 --days 7 --vms 95000 --hosts 5000 --services 10000 --metric-interval-s 3600 \
    --probe-share 0.1 --probe-interval-s 300 --bad-share 0 --dup-share 0 --late-share 0 \
    --out "$OUT/week.ndjson.zst" --config-out "$OUT/week.json" 2>"$OUT/week.gen.log"
/usr/bin/time -f "replay: %e s wall, %M KiB peak RSS" taskset -c "$CPU" \
    "$BIN" replay --config "$OUT/week.json" --no-services --quiet "$OUT/week.ndjson.zst" \
    >/dev/null 2>"$OUT/week.replay.log" || true
grep -h '"kind":"replay_summary"' "$OUT/week.replay.log" | cut -c1-200
tail -n 1 "$OUT/week.replay.log"
echo "== end to end: Kafka (mock) -> cloudqe run -> Redis"
bash bench/bench_kafka.sh
echo "== production shape: 128 partitions, 1M events (bench/production.sh; N, RUNS, PARTS override)"
bash bench/production.sh
echo "== production shape with the workers' outputs off (--no-outputs): what the output role costs ingest"
BENCH_DIR="$OUT/no-outputs" RUN_ARGS="--no-outputs" bash bench/production.sh | tail -n 4
echo "== outputs: alert latency under load, a tick on a province day (bench/outputs.py)"
N=${OUTPUTS_N:-3000000} /usr/bin/python3 bench/outputs.py "$OUT/outputs"
echo "== sizing: Redis memory per service-month and resource-month, a province-year (bench/sizing.py)"
/usr/bin/python3 bench/sizing.py "$OUT/sizing"
# The peers' side-by-side harness lives outside this repository: PEERS_HARNESS names its
# run_peers.sh; the cloudqe row is then measured in the same run as the peers'.
if [ -n "${PEERS_HARNESS:-}" ]; then
    echo "== the peers' harness, cloudqe beside them ($PEERS_HARNESS)"
    CQE="$BIN" PEERS="${PEERS:-c_ref_agg c_ref_pipe rsyslog python_pipeline}" bash "$PEERS_HARNESS"
fi
