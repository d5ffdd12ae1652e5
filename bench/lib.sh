# Shared by the end-to-end benchmarks (sourced): a free loopback port, the mock Kafka
# cluster and a private redis-server on core $OTHER, and their clean-up on exit.
# Needs BIN, OUT and OTHER set by the caller.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# start_mock PARTITIONS: sets BOOT to the mock cluster's bootstrap address.
start_mock() {
    taskset -c "$OTHER" "$BIN" mock-kafka --brokers 1 --partitions "$1" >"$OUT/mock.out" 2>"$OUT/mock.err" &
    PIDS+=($!)
    for _ in $(seq 50); do grep -q bootstrap= "$OUT/mock.out" 2>/dev/null && break; sleep 0.2; done
    BOOT=$(sed -n 's/^bootstrap=//p' "$OUT/mock.out")
    [ -n "$BOOT" ] || { echo "mock-kafka did not start: $(cat "$OUT/mock.err")" >&2; exit 1; }
}

# start_redis: sets RPORT to a private redis-server's port (no persistence).
start_redis() {
    RPORT=$(free_port)
    taskset -c "$OTHER" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$OUT" >"$OUT/redis.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "redis-server did not start: $(tail -n 3 "$OUT/redis.log")" >&2
    exit 1
}

# build_consume: the raw consume-and-parse reference consumer, into $OUT.
build_consume() {
    cc -std=c11 -D_DEFAULT_SOURCE -O2 bench/bench_consume.c $(pkg-config --cflags --libs rdkafka jansson) \
        -o "$OUT/bench_consume"
}
