#!/usr/bin/env bash
# `make demo`: the main job on the embedded default. Starts librdkafka's mock Kafka
# cluster and a private redis-server on free loopback ports, generates a province month,
# publishes it, runs two stream workers (one is SIGKILLed and restarted on the way),
# waits until the group has consumed everything, prints the score table per provider
# from the Redis state and checks it against an in-memory replay of the same file, then
# answers "why this grade?" for the lowest provider (cloudqe explain) and writes the annual
# report from the same state (cloudqe report --state).
# The live dashboard (cloudqe serve) is up from the start; on a terminal (CI not "true") it
# stays up at the end until Ctrl-C. Everything it starts is stopped at the end, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${CLOUDQE:-build/rel/cloudqe}
PARTITIONS=${DEMO_PARTITIONS:-16}
# a province month (March): 3 providers, 20 departments, 200 services, 520 monitored
# resources sampled every 15 minutes: about 2 M events
GEN_ARGS=(--seed 42 --days 31 --start 2026-03-01 --vms 500 --hosts 20 --metric-interval-s 900)
PERIOD=2026-03

[ -x "$BIN" ] || { echo "demo: $BIN is missing; run make build" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cloudqe-demo.XXXXXX")
PIDS=()

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "${DEMO_KEEP:-0}" = 1 ]; then
        echo "demo: files kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
STAYING=0 # set while only the dashboard is kept up (the end, on a terminal): Ctrl-C ends well
trap 'echo; [ "$STAYING" = 1 ] && exit 0; echo "demo: interrupted, stopping everything" >&2; exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
prefix() { # prefix each line of stdin with $1 (stderr of a background process)
    while IFS= read -r line; do printf '%s %s\n' "$1" "$line" >&2; done
}

say "generating a province month: cloudqe gen ${GEN_ARGS[*]}"
"$BIN" gen "${GEN_ARGS[@]}" --out "$WORK/events.ndjson.zst" --config-out "$WORK/gen.json" 2> "$WORK/gen.log"
python3 -c 'import json,sys; s=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print("demo: %d lines, %d events (%d late, %d duplicates, %d malformed), %.0f MB" % (s["lines"], s["events"], s["late"], s["duplicates"], s["malformed"], s["bytes"]/1e6))' "$WORK/gen.log" >&2

if ! "$BIN" run --help >/dev/null 2>&1; then
    # the stream commands are not wired into this build: show the in-memory result
    say "stream workers not built in; in-memory replay instead"
    python3 - "$WORK/gen.json" "$WORK/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8")); c["clock"] = "event"
json.dump(c, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
EOF
    "$BIN" replay --config "$WORK/config.json" --period "$PERIOD" --table "$WORK/events.ndjson.zst"
    exit 0
fi

say "starting redis-server and the mock Kafka cluster (3 brokers, $PARTITIONS partitions)"
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
    > "$WORK/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
    redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli -p "$RPORT" ping >/dev/null || { echo "demo: redis-server did not start" >&2; cat "$WORK/redis.log" >&2; exit 1; }
"$BIN" mock-kafka --brokers 3 --partitions "$PARTITIONS" --control tcp:0 > "$WORK/mock.out" 2> "$WORK/mock.log" &
PIDS+=($!)
for _ in $(seq 100); do
    grep -q '^bootstrap=' "$WORK/mock.out" && break
    sleep 0.1
done
BOOTSTRAP=$(sed -n 's/^bootstrap=//p' "$WORK/mock.out")
[ -n "$BOOTSTRAP" ] || { echo "demo: mock-kafka did not start" >&2; cat "$WORK/mock.log" >&2; exit 1; }
STATE="redis://127.0.0.1:$RPORT/0"
echo "demo: redis $STATE, kafka bootstrap $BOOTSTRAP" >&2

# the generated catalog, event-time clock, the brokers and the state
python3 - "$WORK/gen.json" "$WORK/config.json" "$BOOTSTRAP" "$STATE" "$WORK/lake" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
c["clock"] = "event"
c["kafka"] = {"bootstrap.servers": sys.argv[3], "group.id": "cloudqe",
              "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}
c["redis"] = {"url": sys.argv[4]}
# the workers' outputs: a tick per day of event time, lake files closed every 5 s
c["output_dir"] = sys.argv[5]
c["snapshot_interval_s"] = 86400
c["output_roll_s"] = 5
# one more catalog service, for the outage the demo stages at the end
first = c["services"][0]
c["services"].append({"id": "svc-demo-portal", "provider": first["provider"],
                      "dept": first.get("dept", "demo"), "target": 0.999})
json.dump(c, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, indent=1)
EOF

# the live dashboard over the same Redis (docs/dashboard.md), up while the month streams in
DASH_PORT=${DEMO_DASHBOARD_PORT:-$(free_port)}
DASH_URL="http://127.0.0.1:$DASH_PORT/"
"$BIN" serve --config "$WORK/config.json" --listen "127.0.0.1:$DASH_PORT" --refresh 2 2> >(prefix "[serve]") &
PIDS+=($!)
say "dashboard: $DASH_URL (open it now: it follows the stream live)"

start_worker() { # $1: worker number; sets WPID
    "$BIN" run --config "$WORK/config.json" --listen 127.0.0.1:0 --progress 3 --no-dead-letter-topic \
        --dead-letters "$WORK/dead-letters-$1.ndjson" 2> >(prefix "[worker $1]") &
    WPID=$!
    PIDS+=($WPID)
}

say "two workers join group cloudqe; cloudqe produce publishes the month, paced by the group"
T0=$(date +%s)
start_worker 1; W1=$WPID
start_worker 2; W2=$WPID
"$BIN" produce --config "$WORK/config.json" --group cloudqe --max-ahead 20000 --wait \
    "$WORK/events.ndjson.zst" > "$WORK/produce.out" 2> >(prefix "[produce] ") &
PPID_=$!
PIDS+=($PPID_)

# when about 40 % of the month is in Redis, worker 2 dies without warning and comes back:
# its partitions resume at the offsets stored with their state, nothing lost or doubled
LINES=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["lines"])' "$WORK/gen.log")
consumed() { # the next offsets stored in Redis, summed over the partitions
    local sum=0 p v
    for ((p = 0; p < PARTITIONS; p++)); do
        v=$(redis-cli -p "$RPORT" GET "cqe:{p$p}:pos" 2>/dev/null || true)
        [[ "$v" =~ ^[0-9]+$ ]] && sum=$((sum + v))
    done
    echo "$sum"
}
while kill -0 "$PPID_" 2>/dev/null && [ "$(consumed)" -lt $((LINES * 4 / 10)) ] 2>/dev/null; do
    sleep 0.3
done
if kill -0 "$PPID_" 2>/dev/null && kill -0 "$W2" 2>/dev/null; then
    say "$(consumed) of $LINES events in Redis: SIGKILL worker 2 (no flush, no goodbye) and start it again"
    kill -9 "$W2"
    wait "$W2" 2>/dev/null || true
    start_worker 2; W2=$WPID
    echo "demo: the group notices after session.timeout.ms (6 s) and reassigns; the partitions resume at the offsets stored in Redis" >&2
fi
wait "$PPID_" || { echo "demo: produce failed" >&2; exit 1; }
T1=$(date +%s)
say "the group has consumed everything (lag 0) in $((T1 - T0)) s"
rcli() { redis-cli -p "$RPORT" "$@"; }

say "an outage: svc-demo-portal (target 99.9 %) is down 01:00-01:20 on April 1 (probes every minute, two sites)"
python3 - "$WORK/config.json" "$WORK/outage.ndjson" <<'EOF'
import json, sys
svc = json.load(open(sys.argv[1], encoding="utf-8"))["services"][-1]
with open(sys.argv[2], "w") as f:
    for m in range(0, 121):
        for site in ("gz", "sz"):
            f.write(json.dumps({"v": 1, "id": f"demo-outage-{site}-{m}", "type": "probe",
                                "ts": "2026-04-01T%02d:%02d:00+08:00" % (m // 60, m % 60),
                                "provider": svc["provider"], "service": svc["id"],
                                "ok": not 60 <= m < 80, "site": site}) + "\n")
EOF
"$BIN" produce --config "$WORK/config.json" --group cloudqe --wait "$WORK/outage.ndjson" > /dev/null \
    2> >(prefix "[produce] ")
demo_alerts() { # the alert records of svc-demo-portal in the Redis stream, one line each
    rcli --json XRANGE 'cqe:{out}:alerts' - + | python3 -c '
import json, sys
for _id, fields in json.load(sys.stdin):
    a = json.loads(fields[1])
    if a["service"] == "svc-demo-portal" and a["rule"] == "burn_1h_5m":
        print("  %-8s %-10s %s since %s at %s  burn %.1f / %.1f > %g" % (a["state"], a["rule"], a["severity"],
              a["since"][11:16], a["at"][11:16], a["burn_long"], a["burn_short"], a["threshold"]))'
}
for _ in $(seq 300); do
    demo_alerts | grep -q resolved && break
    sleep 0.2
done
echo "demo: burn_1h_5m of svc-demo-portal (event time; the worker holding the output role decided it once):" >&2
demo_alerts >&2
demo_alerts | grep -q resolved || { echo "demo: the alert did not fire and clear" >&2; exit 1; }

say "stopping the workers (SIGTERM: the output role makes a last tick first)"
kill "$W1" "$W2"
wait "$W1" "$W2" 2>/dev/null || true
sleep 0.2

say "scores from the Redis state: cloudqe snapshot --state $STATE --period $PERIOD --table"
"$BIN" snapshot --config "$WORK/config.json" --state "$STATE" --period "$PERIOD" --table | tee "$WORK/stream.txt"

say "the same files replayed in memory (cloudqe replay --table) give"
"$BIN" replay --config "$WORK/config.json" --period "$PERIOD" --table --quiet "$WORK/events.ndjson.zst" \
    "$WORK/outage.ndjson" > "$WORK/replay.txt" 2> /dev/null
if cmp -s "$WORK/stream.txt" "$WORK/replay.txt"; then
    echo "identical scores: exactly once through Kafka, two workers and a SIGKILL" >&2
else
    echo "DIFFERENT scores:" >&2
    diff "$WORK/replay.txt" "$WORK/stream.txt" | head -20 >&2
    exit 1
fi

# "why this grade?": the evidence behind the lowest provider grade, from the same state
LOWEST=$("$BIN" snapshot --config "$WORK/config.json" --state "$STATE" --period "$PERIOD" --no-services |
    python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.strip()]
provs = [r for r in recs if r["kind"] == "snapshot" and r["target"] != "platform" and r["score"] is not None]
print(min(provs, key=lambda r: r["score"])["target"])')
say "why this grade? cloudqe explain --state $STATE --target $LOWEST --period $PERIOD"
"$BIN" explain --config "$WORK/config.json" --state "$STATE" --target "$LOWEST" --period "$PERIOD"
TOP_LEAF=$("$BIN" explain --config "$WORK/config.json" --state "$STATE" --target "$LOWEST" --period "$PERIOD" \
    --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["raise"][0]["id"])')
say "the evidence behind its largest gap: cloudqe explain ... --indicator $TOP_LEAF (first lines; --json lists every item)"
"$BIN" explain --config "$WORK/config.json" --state "$STATE" --target "$LOWEST" --period "$PERIOD" \
    --indicator "$TOP_LEAF" > "$WORK/explain-leaf.txt"
head -24 "$WORK/explain-leaf.txt"
YEAR=${PERIOD%%-*}
say "the annual report from the same state: cloudqe report --state $STATE --period $YEAR"
"$BIN" report --config "$WORK/config.json" --state "$STATE" --period "$YEAR" --out "$WORK/reports" 2>&1 |
    sed 's/^/  /' >&2
sed -n '1,/^| 评价对象 Target/p' "$WORK/reports/report-$YEAR.md" | sed 's/^/  /'
echo "  … (the report goes on: gradings, probe coverage, data quality, method, one section per provider," \
    "departments: $WORK/reports/report-$YEAR.md and .json)" >&2

say "what the workers emitted by themselves"
python3 - "$BOOTSTRAP" <<'EOF2' >&2
import json, subprocess, sys
for topic in ("cloudqe.snapshots", "cloudqe.alerts"):
    out = subprocess.run(["kcat", "-C", "-b", sys.argv[1], "-t", topic, "-o", "beginning", "-e", "-q", "-J"],
                         capture_output=True, timeout=60).stdout.decode().splitlines()
    kinds = {}
    for line in out:
        rec = json.loads(json.loads(line)["payload"])
        k = rec["kind"] + ("/" + rec["state"] if rec["kind"] == "alert" else "")
        kinds[k] = kinds.get(k, 0) + 1
    print("  Kafka %-18s %6d records: %s" % (topic, len(out), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
EOF2
echo "  Redis: the latest snapshot per target and period (redis-cli GET 'cqe:{out}:snapshot:platform:$PERIOD'):" >&2
rcli GET "cqe:{out}:snapshot:platform:$PERIOD" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("    platform %s revision %d, as_of %s, complete %s: score %.2f %s (%s), availability %.5f" % (
      s["period"], s["revision"], s["as_of"], s["complete"], s["score"], s["grade"], s["grade_en"],
      s["figures"]["availability"]))' >&2
echo "  Redis streams: $(for k in snapshots services depts alerts; do printf '%s %s  ' "$k" "$(rcli XLEN "cqe:{out}:$k")"; done)" >&2
echo "  lake files: $(find "$WORK/lake" -name '*.ndjson.zst' | wc -l) closed files under $WORK/lake, e.g." >&2
find "$WORK/lake" -name '*.ndjson.zst' | sort | head -3 | sed "s|$WORK/|    |" >&2

say "DuckDB over the lake files: the last revision of every $PERIOD snapshot"
SQL="SELECT target, max(revision) AS revisions, round(arg_max(score, revision), 2) AS score,
  arg_max(grade_en, revision) AS grade, round(arg_max(figures.availability, revision), 5) AS availability
  FROM read_json('$WORK/lake/snapshots/**/*.ndjson.zst') WHERE period = '$PERIOD' GROUP BY target ORDER BY target"
echo "  $SQL" | tr -s ' \n' ' ' | fold -w 110 | sed 's/^/  /' >&2
echo >&2
if [ -d tests/clients/node_modules/@duckdb/node-api ]; then
    node tests/clients/duckdb_query.mjs "$SQL" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
print("  %-14s %9s %7s %-9s %s" % ("target", "revisions", "score", "grade", "availability"))
for r in rows:
    print("  %-14s %9d %7.2f %-9s %.5f" % (r["target"], r["revisions"], r["score"], r["grade"], r["availability"]))' >&2
else
    echo "  (DuckDB's client is not installed: make setup installs it)" >&2
fi

say "where everything is"
cat >&2 <<EOF2
  Kafka topics     cloudqe.snapshots (snapshot, service, dept records), cloudqe.alerts
                   kcat -C -b $BOOTSTRAP -t cloudqe.snapshots -o beginning -e -J
  Redis            redis-cli -p $RPORT GET 'cqe:{out}:snapshot:platform:$PERIOD'
                   redis-cli -p $RPORT --json XRANGE 'cqe:{out}:alerts' - + COUNT 5
  lake files       $WORK/lake/<snapshots|services|depts|alerts>/dt=YYYY-MM-DD/hour=HH/part-*.ndjson.zst
  docs             docs/outputs.md (every record, key and file; recipes), docs/operating.md
  dashboard        $DASH_URL?period=$PERIOD (cloudqe serve; the JSON API under /api/v1)
  why a grade      $BIN explain --config $WORK/config.json --state $STATE --target $LOWEST --period $PERIOD [--indicator ID]
  annual report    $WORK/reports/report-$YEAR.md (cloudqe report --state … --period $YEAR)
  (DEMO_KEEP=1 make demo keeps the files; the servers stop with the demo)
EOF2
if [ -t 0 ] && [ "${CI:-}" != true ]; then
    STAYING=1
    echo "dashboard stays up at $DASH_URL — Ctrl-C to stop (the demo's month: $DASH_URL?period=$PERIOD)" >&2
    while :; do sleep 3600 & wait $!; done
fi
