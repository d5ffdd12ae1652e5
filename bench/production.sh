#!/usr/bin/env bash
# The production shape (part of `make bench`): N events (default 1,000,000) of the mix of
# bench/mix_events.py on a 128-partition topic of librdkafka's mock cluster, consumed by
# one `cloudqe run` pinned to one core, beside the raw consume-and-parse rate on the same
# topic in the same run. Broker and Redis share the other core. RUNS runs (default 3),
# medians with [min-max]: events/s, consumer CPU s per 1M events, Redis CPU s per 1M
# events, Redis commands per 1,000 events, worker peak RSS, Redis memory at the end.
# RUN_ARGS adds options to `cloudqe run` (e.g. "--flush-ms 3000"); each run's Redis
# `INFO commandstats` is kept in $OUT/commandstats.<run>.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/rel/cloudqe
OUT=${BENCH_DIR:-build/bench}/production
N=${N:-1000000}
RUNS=${RUNS:-3}
PARTS=${PARTS:-128}
CPU=${BENCH_CPU:-1}
OTHER=$((CPU == 0 ? 1 : 0))
mkdir -p "$OUT"
. bench/lib.sh
build_consume
[ -s "$OUT/mix.$N.ndjson" ] || python3 bench/mix_events.py "$N" 1 "$OUT/mix.$N.ndjson" "$OUT/mix.json"
start_mock "$PARTS"
start_redis
"$BIN" produce --bootstrap "$BOOT" --topic cloudqe.events --quiet "$OUT/mix.$N.ndjson" >/dev/null
echo "input: $N events (70 % metric, 15 % incident, 15 % probe; bench/mix_events.py) on $PARTS partitions;" \
    "worker on core $CPU, broker and Redis on core $OTHER; $RUNS runs"

redis_cpu() { redis-cli -p "$RPORT" INFO cpu | tr -d '\r' |
    awk -F: '/^used_cpu_(sys|user):/ {s += $2} END {printf "%.3f", s}'; }

: >"$OUT/results.txt"
for run in $(seq "$RUNS"); do
    raw=$(taskset -c "$CPU" "$OUT/bench_consume" "$BOOT" cloudqe.events "raw-$run-$$" "$N" |
        sed -n 's/.* \([0-9]*\) events\/s.*/\1/p')
    redis-cli -p "$RPORT" FLUSHALL >/dev/null
    redis-cli -p "$RPORT" CONFIG RESETSTAT >/dev/null
    python3 - "$OUT/mix.json" "$BOOT" "cqe-$run-$$" "$RPORT" >"$OUT/run.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
c.update(clock="event", redis={"url": "redis://127.0.0.1:%s/0" % sys.argv[4]},
         kafka={"bootstrap.servers": sys.argv[2], "group.id": sys.argv[3],
                "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000})
print(json.dumps(c, ensure_ascii=False))
PY
    cpu0=$(redis_cpu)
    start=$(date +%s.%N)
    taskset -c "$CPU" /usr/bin/time -f "TIME %U %S %M" -o "$OUT/time.$run" \
        "$BIN" run --config "$OUT/run.json" --listen 127.0.0.1:0 --no-dead-letter-topic --progress 1 ${RUN_ARGS:-} 2>"$OUT/run.$run.log" &
    rp=$!
    "$BIN" produce --bootstrap "$BOOT" --topic cloudqe.events --group "cqe-$run-$$" --wait --quiet /dev/null >/dev/null
    end=$(date +%s.%N)
    pkill -TERM -P "$rp" || true # the worker under /usr/bin/time: time itself would just die
    wait "$rp" || true
    cpu1=$(redis_cpu)
    redis-cli -p "$RPORT" INFO commandstats | tr -d '\r' | grep '^cmdstat_' >"$OUT/commandstats.$run"
    mem=$(redis-cli -p "$RPORT" INFO memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)/\1/p')
    python3 - "$N" "$raw" "$start" "$end" "$cpu0" "$cpu1" "$mem" "$OUT/time.$run" "$OUT/run.$run.log" \
        >>"$OUT/results.txt" <<'PY'
import json, re, statistics, sys
n, raw, start, end, c0, c1, mem = (int(sys.argv[1]), int(sys.argv[2] or 0), float(sys.argv[3]),
                                   float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]))
u, s, rss = open(sys.argv[8]).read().split("TIME ")[1].split()
rates, summary = [], {}
for line in open(sys.argv[9], encoding="utf-8", errors="replace"):
    m = re.search(r"run: (\d+) events \((\d+)/s\), lag (\d+)", line)
    if m and int(m.group(2)) > 0 and int(m.group(3)) > 0:
        rates.append(int(m.group(2)))
    if line.startswith("{") and '"run_summary"' in line:
        summary = json.loads(line)
events = summary.get("events", 0)
# steady rate: the median of the 1-s progress lines while behind; a run too short for
# them falls back to events over the wall time to lag 0 (group join included)
print(json.dumps({"raw_eps": raw, "eps": statistics.median(rates) if rates else events / (end - start),
                  "wall_to_lag0_s": end - start, "consumer_cpu_s_per_1m": (float(u) + float(s)) * 1e6 / n,
                  "redis_cpu_s_per_1m": (c1 - c0) * 1e6 / n, "peak_rss_mb": int(rss) / 1024,
                  "cmds_per_1000": 1000 * summary.get("redis_commands", 0) / events if events else 0,
                  "redis_used_mb": mem / 2**20, "events": events}))
PY
    tail -n 1 "$OUT/results.txt"
done
python3 - "$OUT/results.txt" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def f(k, fmt):
    v = [r[k] for r in rows]
    return (fmt % statistics.median(v)) + " [" + (fmt % min(v)) + "–" + (fmt % max(v)) + "]"
print("| | events/s | consumer CPU s / 1M | redis CPU s / 1M | redis cmds / 1k events | peak RSS MB | redis MB |")
print("|---|---|---|---|---|---|---|")
print("| cloudqe run | %s | %s | %s | %s | %s | %s |" % (f("eps", "%.0f"), f("consumer_cpu_s_per_1m", "%.1f"),
      f("redis_cpu_s_per_1m", "%.2f"), f("cmds_per_1000", "%.0f"), f("peak_rss_mb", "%.0f"), f("redis_used_mb", "%.0f")))
print("| raw consume + json_loadb | %s | | | | | |" % f("raw_eps", "%.0f"))
ratio = [r["eps"] / r["raw_eps"] for r in rows if r["raw_eps"]]
if ratio:
    print("cloudqe / raw consume-and-parse, pair by pair: median %.2f [%.2f–%.2f]" %
          (statistics.median(ratio), min(ratio), max(ratio)))
PY
