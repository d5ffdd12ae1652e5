#!/usr/bin/env bash
# End-to-end benchmark (part of `make bench`): librdkafka's mock cluster -> `cloudqe run`
# (decode, processors, Redis) on one pinned core, beside the raw consume-and-parse rate
# measured in the same run with the same consumer settings; Redis commands per 1,000
# events; one worker versus two. The broker and Redis run on the other core.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/rel/cloudqe
OUT=${BENCH_DIR:-build/bench}
CPU=${BENCH_CPU:-1}
OTHER=$(( CPU == 0 ? 1 : 0 ))
mkdir -p "$OUT"
. bench/lib.sh
build_consume

# ~300-byte events of every type, no malformed lines; 128 partitions keep every
# partition under the mock's ~5 MiB retention
"$BIN" gen --seed 21 --days 2 --vms 600 --hosts 20 --bad-share 0 --dup-share 0 --late-share 0 \
    --out "$OUT/e2e.ndjson" --config-out "$OUT/e2e.gen.json" 2>/dev/null
N=$(wc -l < "$OUT/e2e.ndjson")
start_mock 128
start_redis
"$BIN" produce --bootstrap "$BOOT" --topic cloudqe.events --quiet "$OUT/e2e.ndjson" > "$OUT/produce.out"
echo "input: $N events on cloudqe.events (128 partitions); worker on core $CPU, broker and Redis on core $OTHER"

taskset -c "$CPU" "$OUT/bench_consume" "$BOOT" cloudqe.events bench-raw "$N"

config() { # $1 = group, $2 = redis db
    python3 - "$OUT/e2e.gen.json" "$BOOT" "$1" "127.0.0.1:$RPORT/$2" > "$OUT/e2e.$1.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
c.update(clock="event", redis={"url": "redis://" + sys.argv[4]},
         kafka={"bootstrap.servers": sys.argv[2], "group.id": sys.argv[3],
                "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000})
print(json.dumps(c, ensure_ascii=False))
PY
}

run_workers() { # $1 = workers, $2 = group, $3 = db
    config "$2" "$3"
    local start end pids=()
    start=$(date +%s.%N)
    for i in $(seq "$1"); do
        if [ "$1" = 1 ]; then
            taskset -c "$CPU" "$BIN" run --config "$OUT/e2e.$2.json" --listen 127.0.0.1:0 --progress 1 \
                2>"$OUT/run.$2.$i.log" &
        else
            "$BIN" run --config "$OUT/e2e.$2.json" --listen 127.0.0.1:0 --progress 1 \
                2>"$OUT/run.$2.$i.log" &
        fi
        pids+=($!)
    done
    "$BIN" produce --bootstrap "$BOOT" --topic cloudqe.events --group "$2" --wait --quiet /dev/null >/dev/null
    end=$(date +%s.%N)
    kill -TERM "${pids[@]}"
    wait "${pids[@]}" 2>/dev/null || true
    python3 - "$1" "$start" "$end" "$N" "$OUT"/run."$2".*.log <<'PY'
import json, re, statistics, sys
workers, start, end, n = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rates, cmds, events = [], 0, 0
for path in sys.argv[5:]:
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.search(r"run: (\d+) events \((\d+)/s\), lag (\d+)", line)
        if m and int(m.group(2)) > 0 and int(m.group(3)) > 0:
            rates.append(int(m.group(2)))
        if line.startswith("{") and '"run_summary"' in line:
            s = json.loads(line); cmds += s["redis_commands"]; events += s["events"]
per = statistics.median(rates) if rates else 0
print(f"{workers} worker(s): {n} events to lag 0 in {end - start:.1f} s wall (group join included)"
      + (f"; steady {per:.0f} events/s per worker (median of 1-s progress lines)" if rates else "")
      + (f"; {1000 * cmds / events:.0f} Redis commands per 1,000 events" if events else ""))
PY
}
run_workers 1 e2e1 0
run_workers 2 e2e2 1
