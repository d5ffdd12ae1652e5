"""Adversarial streams (docs/limits.md) against a real redis-server: a flood of updates of
incidents never opened, and a flood of unique ids. Each must leave Redis and the worker
bounded by the documented limits, count exactly what it refused or forgot (computed here
from the input by the documented rules), and leave the normal incidents' figures as a
replay without the flood gives them.

The binary is $CLOUDQE (default build/san/cloudqe); the floods whose peak RSS is measured
run the release build $CLOUDQE_REL (default build/rel/cloudqe) when it exists."""
import json
import os
import shutil
import socket
import subprocess
import tempfile

import t_redis as R

# the documented defaults (docs/limits.md)
PENDING_LIMIT = 10000
PARTITIONS = 4
FLOOD = 200000
# docs/limits.md: Redis bytes per held event of a flooded incident, and the worker's peak
# RSS (release build; see measured_binary)
REDIS_BYTES_PER_HELD = 400
RSS_INCIDENT_FLOOD_MB = 48
RSS_ID_FLOOD_MB = 24
RSS_RUN_FLOOD_MB = 48
RSS_FACTOR_SAN = 25  # AddressSanitizer's quarantine and shadow: ~0.5 GB whatever the input
ID_FLOOD = 1000000
ID_WINDOW = 100000
ID_FLUSH_EVERY = 20000

SERVICES = [{"id": "s1", "provider": "p1", "dept": "d1", "target": 0.999},
            {"id": "s2", "provider": "p1", "dept": "d1"},
            {"id": "s3", "provider": "p2", "dept": "d2"}]


def fnv1a(s):
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def partition_of(key, n):
    """The partition `replay --state` routes an event to (replay_redis.c: FNV-1a of the
    events.md key modulo the partitions)."""
    return fnv1a(key) % n


def ts(day, minute):
    return f"2026-03-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00+08:00"


def incident(id_, inc, action, day, minute, provider="p1", **extra):
    ev = {"v": 1, "id": id_, "type": "incident", "ts": ts(day, minute), "provider": provider,
          "incident": inc, "action": action}
    ev.update(extra)
    return json.dumps(ev)


def normal_events():
    """(before, after): normal incidents of three services; three of them get an update
    before their open (legitimately held), one is never opened. The events after the
    flood only touch incidents opened before it."""
    before, after = [], []
    for k in range(30):
        inc, svc = f"N{k:02d}", SERVICES[k % 3]
        day, m = 2 + k % 25, 60 * (k % 20)
        if k % 10 == 3:  # an update that arrives before its open
            before.append(incident(f"n{k}-upd", inc, "update", day, m + 5, svc["provider"], severity=2))
        before.append(incident(f"n{k}-open", inc, "open", day, m, svc["provider"], service=svc["id"],
                               severity=1 + k % 4))
        after.append(incident(f"n{k}-ack", inc, "ack", day, m + 10, svc["provider"]))
        if k % 4:
            after.append(incident(f"n{k}-res", inc, "resolve", day, m + 40 + k, svc["provider"]))
    before.append(incident("orph-1", "NEVER", "ack", 9, 100, "p2"))
    return before, after


def flood_events():
    return [incident(f"fl-{i:06d}", f"FX-{i:06d}", "update", 1 + i % 28, i % 1440, "fx")
            for i in range(FLOOD)]


def simulate_gate(lines, partitions, limit):
    """The rule of docs/readings.md 25, per partition in input order: returns (refused ids,
    events held per partition at the end, flood incidents admitted)."""
    opened = [set() for _ in range(partitions)]
    held = [dict() for _ in range(partitions)]
    refused, admitted = [], set()
    for line in lines:
        ev = json.loads(line)
        if ev["type"] != "incident":
            continue
        p = partition_of(ev["incident"], partitions)
        inc, h = ev["incident"], held[p]
        if ev["action"] == "open":
            opened[p].add(inc)
            h.pop(inc, None)
        elif inc in opened[p]:
            pass
        elif sum(h.values()) < limit:  # small enough here: at most limit entries
            h[inc] = h.get(inc, 0) + 1
        else:
            refused.append(ev["id"])
            continue
        if inc.startswith("FX-"):
            admitted.add(inc)
    return refused, [sum(h.values()) for h in held], admitted


def summary_of(stderr, kind):
    return json.loads([ln for ln in stderr.decode().splitlines() if f'"kind":"{kind}"' in ln][-1])


def run_measured(args, env=None):
    """Runs cloudqe to completion under /usr/bin/time (scripts/setup.sh installs it);
    returns (stdout, stderr, peak RSS in MB): the kernel's maximum resident set of the
    cloudqe process itself (a child of this process would also count this one's pages)."""
    exe = measured_binary()
    full_env = dict(os.environ)
    full_env.update(env or {})
    with tempfile.NamedTemporaryFile(prefix="cqe-rss-") as t:
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", t.name, exe, *args], cwd=R.ROOT,
                              capture_output=True, env=full_env, timeout=R.TIMEOUT_S)
        if proc.returncode != 0:
            raise R.RedisTestError(f"cloudqe {' '.join(args)} exited {proc.returncode}: "
                                   f"{proc.stderr.decode('utf-8', 'replace')[-2000:]}")
        rss_kb = int(open(t.name).read().split()[-1])
    return proc.stdout, proc.stderr, rss_kb / 1024.0


def measured_binary():
    """The release build ($CLOUDQE_REL, default build/rel/cloudqe) when it exists: peak
    RSS is documented for it (AddressSanitizer's quarantine and shadow add ~0.5 GB);
    else $CLOUDQE with the bound multiplied by RSS_FACTOR_SAN."""
    rel = os.environ.get("CLOUDQE_REL", "build/rel/cloudqe")
    rel = rel if os.path.isabs(rel) else os.path.join(R.ROOT, rel)
    return rel if os.path.exists(rel) else R.binary()


def rss_bound(mb):
    return mb * (RSS_FACTOR_SAN if "/san/" in measured_binary() else 1)


def used_memory(srv):
    info = srv.cmd("INFO", "memory").decode()
    return int(next(ln.split(":")[1] for ln in info.splitlines() if ln.startswith("used_memory:")))


def redis_counts(srv, partitions):
    total = {}
    for c in R._counts(srv, partitions):
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    return total


def scan_count(srv, pattern):
    n, cursor = 0, b"0"
    while True:
        cursor, keys = srv.cmd("SCAN", cursor, "MATCH", pattern, "COUNT", "10000")
        n += len(keys)
        if cursor == b"0":
            return n


def resp_db(port, db, *args):
    """One command on database db (SELECT and the command on one connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(R._encode(["SELECT", str(db)]) + R._encode(args))
        with s.makefile("rb") as f:
            R._parse(f)
            return R._parse(f)


def write(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def lines_of(out, target_not):
    """Output lines of the snapshot whose target is none of target_not."""
    keep = []
    for ln in out.decode().splitlines():
        rec = json.loads(ln)
        if rec.get("target") not in target_not:
            keep.append(ln)
    return keep


def test_incident_flood_bounded_counted_and_normal_figures_unchanged():
    srv = R.shared_server()
    d = tempfile.mkdtemp(prefix="cqe-adv-inc-")
    try:
        before, after = normal_events()
        flood = flood_events()
        cfg = os.path.join(d, "config.json")
        with open(cfg, "w") as f:
            json.dump({"services": SERVICES, "clock": "event"}, f)  # the default limit
        normal, flooded = os.path.join(d, "normal.ndjson"), os.path.join(d, "flooded.ndjson")
        write(normal, before + after)
        write(flooded, before + flood + after)
        args = ["--as-of", "2026-04-01T00:00:00+08:00", "--period", "2026-03"]

        # the normal incidents alone, through Redis: the baseline of keys and memory
        R.run(R.replay_args(srv.url(), PARTITIONS, [normal], cfg))
        base_keys, base_mem = srv.cmd("DBSIZE"), used_memory(srv)
        expected = R.snapshot(srv.url(), args, cfg)
        srv.cmd("FLUSHALL")

        dead = os.path.join(d, "dead.ndjson")
        _, err, rss = run_measured(["replay", "--dead-letters", dead] +
                                   R.replay_args(srv.url(), PARTITIONS, [flooded], cfg)[1:])
        summary = summary_of(err, "replay_summary")
        refused, held, admitted = simulate_gate(before + flood + after, PARTITIONS, PENDING_LIMIT)

        # counted: the summary, Redis's count hash and the dead letters, each = the rule's count
        counts = redis_counts(srv, PARTITIONS)
        got_dead = [json.loads(ln) for ln in open(dead, encoding="utf-8")]
        dead_ids = [json.loads(r["raw"])["id"] for r in got_dead if r["reason"] == "incident_pending_limit"]
        assert len(refused) > FLOOD - PARTITIONS * PENDING_LIMIT - 1, len(refused)
        assert summary["incident_pending_limit"] == len(refused), (summary, len(refused))
        assert counts.get("incident_pending_limit") == len(refused), (counts, len(refused))
        assert dead_ids == refused, (len(dead_ids), len(refused))
        assert summary["dead_letters"] == len(refused) and counts["dead_letters"] == len(refused)
        assert summary["incident_pending_held"] == sum(held), (summary, held)
        assert all(h <= PENDING_LIMIT for h in held), held

        # bounded: Redis holds one key per admitted flood incident, and no more memory than
        # REDIS_BYTES_PER_HELD per held event
        flood_keys = scan_count(srv, "cqe:{p*}:I|FX-*")
        assert flood_keys == len(admitted) <= PARTITIONS * PENDING_LIMIT, (flood_keys, len(admitted))
        keys = srv.cmd("DBSIZE")
        # + per partition: its gate's key, and the counters of the month its refusals were
        # received in (readings 28)
        assert keys <= base_keys + PARTITIONS * PENDING_LIMIT + 2 * PARTITIONS, (keys, base_keys)
        grown = used_memory(srv) - base_mem
        assert grown <= REDIS_BYTES_PER_HELD * PARTITIONS * PENDING_LIMIT, grown
        assert rss <= rss_bound(RSS_INCIDENT_FLOOD_MB), rss

        # the normal incidents' figures: every target but the platform (which also counts
        # the flood's held events as incident_orphans) and the flood's provider
        got = R.snapshot(srv.url(), args, cfg)
        a, b = lines_of(expected, {"platform", "fx"}), lines_of(got, {"platform", "fx"})
        for x, y in zip(a, b):
            jx, jy = json.loads(x), json.loads(y)
            cx, cy = jx.pop("counters", None), jy.pop("counters", None)
            if cy is not None:  # the stream's counters: the flood's events are in them
                assert cy["dead_letters"] == cx["dead_letters"] + len(refused), (cx, cy)
                assert cy["events"] == cx["events"] + FLOOD - len(refused), (cx, cy)
            diff = {k: (jx.get(k), jy.get(k)) for k in set(jx) | set(jy) if jx.get(k) != jy.get(k)}
            assert not diff, (jx.get("target"), jx.get("service"), str(diff)[:1500])
        assert len(a) == len(b), (len(a), len(b))
        assert len(lines_of(expected, {"platform", "fx"})) > 3
        print(f"  incident flood: {len(refused)} refused, {sum(held)} held, {flood_keys} flood keys, "
              f"Redis +{grown / 1e6:.1f} MB ({grown / max(1, sum(held)):.0f} B per held event), "
              f"peak RSS {rss:.0f} MB")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_incident_flood_resumed_after_sigkill_equals_one_run():
    """The gate is part of the partition's state: a replay killed between flushes and
    started again refuses exactly the events one clean run refuses."""
    srv = R.shared_server()
    d = tempfile.mkdtemp(prefix="cqe-adv-kill-")
    try:
        before, after = normal_events()
        flood = [incident(f"fl-{i:05d}", f"FX-{i:05d}", "update", 1 + i % 28, i % 1440, "fx")
                 for i in range(3000)]
        lines = before + flood + after
        cfg = os.path.join(d, "config.json")
        with open(cfg, "w") as f:
            json.dump({"services": SERVICES, "clock": "event", "incident_pending_limit": 500}, f)
        path = os.path.join(d, "events.ndjson")
        write(path, lines)
        refused, held, _ = simulate_gate(lines, 2, 500)
        env = {"CQE_FLUSH_EVERY": "200"}
        for _ in range(3):
            R.replay_redis(srv.url(), 2, [path], cfg, env={**env, "CQE_FAULT": "after_exec", "CQE_FAULT_AFTER": "3"},
                           expect=77)
        R.replay_redis(srv.url(), 2, [path], cfg, env=env)
        R.replay_redis(srv.url(1), 2, [path], cfg, env=env)  # one clean run, in database 1
        counts = redis_counts(srv, 2)
        assert counts["read"] == len(lines), counts
        assert counts.get("incident_pending_limit") == len(refused), (counts, len(refused))
        for p in range(2):
            gate = []
            for db in (0, 1):
                h = resp_db(srv.port, db, "HGETALL", f"cqe:{{p{p}}}:IP:sum") or []
                o = resp_db(srv.port, db, "SMEMBERS", f"cqe:{{p{p}}}:IO:set") or []
                c = resp_db(srv.port, db, "HGETALL", f"cqe:{{p{p}}}:count") or []
                c = {k: v for k, v in zip(c[::2], c[1::2]) if k != b"dedup_ids"}
                gate.append((dict(zip(h[::2], h[1::2])), set(o), c))
            assert gate[0] == gate[1], p
            held_now = sum(int(v) for k, v in gate[0][0].items() if k not in gate[0][1])
            assert held_now == held[p], (p, held_now, held)
        assert R.snapshot(srv.url(), (), cfg) == R.snapshot(srv.url(1), (), cfg)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_unique_id_flood_bounded_by_the_window():
    """1M unique ids over four partitions with dedup_window W: each partition forgets
    exactly its ids beyond W, Redis keeps at most W + one flush of fingerprints per
    partition, and the worker's memory follows the window, not the ids."""
    srv = R.shared_server()
    d = tempfile.mkdtemp(prefix="cqe-adv-ids-")
    try:
        # four services that land in four different partitions
        services, k = [], 0
        while len(services) < PARTITIONS:
            s = f"u{k}"
            if partition_of(s, PARTITIONS) not in {partition_of(x, PARTITIONS) for x in services}:
                services.append(s)
            k += 1
        cfg = os.path.join(d, "config.json")
        with open(cfg, "w") as f:
            json.dump({"services": [{"id": s, "provider": "p1"} for s in services], "clock": "event",
                       "dedup_window": ID_WINDOW}, f)
        path = os.path.join(d, "ids.ndjson")
        per = [0] * PARTITIONS
        with open(path, "w") as f:
            for i in range(ID_FLOOD):
                s = services[(i * 7) % 5 % PARTITIONS]  # uneven shares
                per[partition_of(s, PARTITIONS)] += 1
                f.write('{"v":1,"id":"u-%07d","type":"probe","ts":"2026-03-02T%02d:%02d:00+08:00",'
                        '"provider":"p1","service":"%s","ok":true}\n' % (i, (i // 60) % 24, i % 60, s))
        _, err, rss = run_measured(R.replay_args(srv.url(), PARTITIONS, [path], cfg),
                                   env={"CQE_FLUSH_EVERY": str(ID_FLUSH_EVERY)})
        summary = summary_of(err, "replay_summary")
        forgotten = sum(max(0, n - ID_WINDOW) for n in per)
        counts = redis_counts(srv, PARTITIONS)
        assert summary["applied"] == ID_FLOOD and summary["duplicates"] == 0, summary
        assert summary["dedup_forgotten"] == forgotten, (summary, forgotten, per)
        assert counts["dedup_forgotten"] == forgotten, (counts, forgotten)
        assert summary["dedup_held"] == sum(min(n, ID_WINDOW) for n in per), summary
        for p in range(PARTITIONS):
            chunks = srv.cmd("LRANGE", f"cqe:{{p{p}}}:dedup", "0", "-1") or []
            ids = sum(len(c) for c in chunks) // 8
            assert min(per[p], ID_WINDOW) <= ids <= ID_WINDOW + ID_FLUSH_EVERY, (p, ids, per[p])
        # the worker: 14 B per id held at a full window, at most twice while growing
        assert summary["dedup_bytes"] <= 2 * 14 * PARTITIONS * ID_WINDOW, summary
        assert rss <= rss_bound(RSS_ID_FLOOD_MB), rss
        print(f"  id flood: forgotten {forgotten}, dedup {summary['dedup_bytes'] / 1e6:.1f} MB, "
              f"Redis {used_memory(srv) / 1e6:.1f} MB, peak RSS {rss:.0f} MB")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def vm_hwm_mb(pid):
    """The peak resident set of a running process (VmHWM of /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:")) / 1024.0


def test_run_incident_flood_on_mock_kafka():
    """The same flood through `cloudqe run` (one Kafka partition, produced as fast as the
    group commits lets `produce` run ahead):
    the worker refuses what the rule refuses, counts it in Redis and run_summary, and its
    peak RSS stays under the documented bound."""
    import t_kafka as K
    d = tempfile.mkdtemp(prefix="cqe-adv-run-")
    mock = redis = worker = None
    try:
        mock, redis = K.MockKafka(d, partitions=1, brokers=1), K.Redis(d)
        before, after = normal_events()
        lines = before + flood_events() + after
        refused, held, _ = simulate_gate(lines, 1, PENDING_LIMIT)
        path, cfg = os.path.join(d, "events.ndjson"), os.path.join(d, "config.json")
        write(path, lines)
        with open(cfg, "w") as f:
            json.dump({"services": SERVICES, "clock": "event",
                       "kafka": {"bootstrap.servers": mock.bootstrap}}, f)
        log = os.path.join(d, "worker.log")
        with open(log, "wb") as lf:
            worker = subprocess.Popen([measured_binary(), "run", "--config", cfg, "--state", redis.url(),
                                       "--listen", "127.0.0.1:0", "--progress", "3600", "--dead-letters", os.path.join(d, "dead.ndjson")],
                                      stdout=subprocess.DEVNULL, stderr=lf)
        # paced by the group's commits (the mock cluster keeps a bounded log), then waits
        # until the group has committed every message
        subprocess.run([R.binary(), "produce", "--config", cfg, "--group", "cloudqe", "--wait", "--quiet",
                        "--wait-timeout", str(K.STEP_TIMEOUT_S), path], check=True, capture_output=True,
                       timeout=2 * K.STEP_TIMEOUT_S)

        def flushed():
            if worker.poll() is not None:
                raise K.KafkaTestError("worker exited: " + open(log).read()[-2000:])
            pos = K.redis_cmd(redis.port, "GET", "cqe:{p0}:pos")
            return pos is not None and int(pos) == len(lines)
        K.wait_for(flushed, K.STEP_TIMEOUT_S, "the worker to flush every message")
        rss = vm_hwm_mb(worker.pid)
        worker.terminate()
        worker.wait(60)
        summary = json.loads([ln for ln in open(log) if '"kind":"run_summary"' in ln][-1])
        h = K.redis_cmd(redis.port, "HGETALL", "cqe:{p0}:count")
        counts = {k.decode(): int(v) for k, v in zip(h[::2], h[1::2])}
        assert summary["incident_pending_limit"] == len(refused), (summary, len(refused))
        assert counts["incident_pending_limit"] == len(refused) == counts["dead_letters"], counts
        assert counts["applied"] == len(lines) - len(refused) and summary["lost"] == 0, (counts, summary)
        assert sum(1 for _ in open(os.path.join(d, "dead.ndjson"))) == len(refused)
        # the dead-letter topic carries each refusal with its reason (the pipeline's own)
        import t_run_faults as F
        topic = [json.loads(m) for m in F.read_topic(mock.bootstrap, "cloudqe.dead_letters", 1)]
        assert len(topic) == len(refused), (len(topic), len(refused))
        assert {x["reason"] for x in topic} == {"incident_pending_limit"}, topic[:2]
        assert rss <= rss_bound(RSS_RUN_FLOOD_MB), rss
        print(f"  run: {len(refused)} refused, {held[0]} held, worker peak RSS {rss:.0f} MB")
    finally:
        if worker and worker.poll() is None:
            worker.kill()
            worker.wait()
        for s in (mock, redis):
            if s:
                s.stop()
        shutil.rmtree(d, ignore_errors=True)
