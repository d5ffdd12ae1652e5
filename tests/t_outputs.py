"""The workers speak (issue 11): snapshots, service and department records and alerts, out
of `cloudqe run` itself, read back with real clients: the topics with kcat, the Redis keys
with redis-cli, the lake files with DuckDB (@duckdb/node-api). Every figure a worker
emits is checked against `cloudqe replay` of the same events, or against values worked
out by hand from outputs.md below.

Alert cases (a catalog service of target 0.999 probed every minute from two sites):
  - a 20-minute full outage fires burn_1h_5m at its second minute (burn_long =
    60 s / 3600 s / 0.001 = 16.7 > 14.4, burn_short = 60/300/0.001 = 200) and resolves it
    once, resolve_after_s after the 5-minute window came clean (00:25 + 300 s);
  - the same outage inside an announced maintenance window fires nothing;
  - probes failing every other minute fire each rule once and never flap;
  - a worker SIGKILLed while an alert fires does not decide it twice.
Every process a test starts is stopped when it ends."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import clients
from t_kafka import KafkaTestError, MockKafka, Redis, binary, redis_cmd, wait_for

STEP_TIMEOUT_S = 120


def rfc(day, minute, second=0):
    """2026-03-<day> at minute `minute` of the day, +08:00."""
    return "2026-03-%02dT%02d:%02d:%02d+08:00" % (day, minute // 60, minute % 60, second)


def probe(i, day, minute, ok, site, service="svc-a"):
    return {"v": 1, "id": f"p-{service}-{site}-{day}-{minute}-{i}", "type": "probe", "ts": rfc(day, minute),
            "provider": "prov-1", "service": service, "ok": ok, "site": site}


class Stream:
    """A mock cluster, a redis-server and workers, fed the given events."""

    def __init__(self, name, extra_config=None, partitions=4, brokers=1):
        self.dir = tempfile.mkdtemp(prefix=f"cqe-out-{name}-")
        self.procs = []
        self.mock = self.redis = None
        try:
            self.mock = MockKafka(self.dir, partitions=partitions, brokers=brokers)
            self.redis = Redis(self.dir)
        except Exception:
            self.close()
            raise
        self.out_dir = os.path.join(self.dir, "lake")
        cfg = {"clock": "event",
               "services": [{"id": "svc-a", "provider": "prov-1", "dept": "dept-1", "target": 0.999},
                            {"id": "svc-b", "provider": "prov-1", "dept": "dept-1", "target": 0.99}],
               "kafka": {"bootstrap.servers": self.mock.bootstrap, "group.id": "cloudqe",
                         "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000},
               "redis": {"url": self.redis.url()},
               "output_dir": self.out_dir, "output_roll_s": 1, "snapshot_interval_s": 3600}
        cfg.update(extra_config or {})
        self.cfg = cfg
        self.config = os.path.join(self.dir, "config.json")
        with open(self.config, "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        self.n_workers = 0

    def worker(self):
        self.n_workers += 1
        path = os.path.join(self.dir, f"worker-{self.n_workers}.log")
        log = open(path, "ab")
        p = subprocess.Popen([binary(), "run", "--config", self.config, "--flush-ms", "200", "--progress", "1",
                              "--no-dead-letter-topic", "--listen", "127.0.0.1:0"], stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        p.log_path = path
        self.procs.append(p)
        return p

    def log_of(self, p):
        with open(p.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def produce(self, events_or_path):
        """Publishes the events (a list of dicts, or a file) and waits until the group
        consumed them."""
        if isinstance(events_or_path, str):
            path = events_or_path
        else:
            path = os.path.join(self.dir, f"events-{time.time_ns()}.ndjson")
            with open(path, "w", encoding="utf-8") as f:
                for e in events_or_path:
                    f.write(json.dumps(e) + "\n")
        p = subprocess.run([binary(), "produce", "--config", self.config, "--group", "cloudqe", "--wait",
                            "--wait-timeout", str(STEP_TIMEOUT_S), path], capture_output=True,
                           timeout=STEP_TIMEOUT_S + 30)
        if p.returncode != 0:
            raise KafkaTestError("produce failed: " + p.stderr.decode()[-2000:])

    def meta(self, field):
        v = redis_cmd(self.redis.port, "HGET", "cqe:{out}:meta", field)
        return None if v is None else (v.decode() if isinstance(v, bytes) else v)

    def wait_alerts_reach(self, ts_ms, timeout=STEP_TIMEOUT_S):
        """Waits until the output role decided alerts up to event time ts_ms."""
        wait_for(lambda: int(self.meta("alert_now") or -1) >= ts_ms, timeout, f"alerts decided up to {ts_ms}")

    def stream(self, name):
        """The records of an output stream in Redis (redis-cli, as an operator reads it)."""
        out = subprocess.run(["redis-cli", "-p", str(self.redis.port), "--json", "XRANGE", f"cqe:{{out}}:{name}",
                              "-", "+"], capture_output=True, timeout=30)
        if out.returncode != 0:
            raise KafkaTestError("redis-cli XRANGE failed: " + out.stderr.decode())
        entries = json.loads(out.stdout or b"[]")
        return [json.loads(fields[1]) for _id, fields in entries]

    def stop(self, p, sig=signal.SIGTERM, expect=0):
        if p.poll() is None:
            p.send_signal(sig)
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise KafkaTestError("a worker did not stop within 60 s:\n" + self.log_of(p)[-3000:])
        if expect is not None and rc != expect:
            raise KafkaTestError(f"worker exited {rc}, expected {expect}:\n" + self.log_of(p)[-4000:])

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.mock:
            self.mock.stop()
        if self.redis:
            self.redis.stop()
        if os.environ.get("CQE_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


def run(name, body, **kw):
    s = Stream(name, **kw)
    try:
        body(s)
    except Exception:
        if os.environ.get("CQE_KEEP") == "1":
            print(f"  (kept in {s.dir})")
        raise
    finally:
        s.close()


def ms(text):
    """Milliseconds of an RFC 3339 time with +08:00."""
    from datetime import datetime
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def probes(day, minutes, down, service="svc-a"):
    """Two sites probing every minute of `minutes`; down(minute) says whether both fail."""
    return [probe(0, day, m, not down(m), site, service) for m in minutes for site in ("a", "b")]


def burn_records(alerts, rule):
    return [a for a in alerts if a["rule"] == rule]


# ---------------------------------------------------------------- alerts

def test_outage_fires_and_resolves_burn_1h_5m_once():
    """Probes 00:00-03:00 on 2026-03-02; both sites fail 01:00-01:19 (20 down minutes)."""
    def body(s):
        w = s.worker()
        events = probes(2, range(0, 181), lambda m: 60 <= m < 80)
        s.produce(events)
        s.wait_alerts_reach(ms(rfc(2, 180)))
        alerts = s.stream("alerts")
        fast = burn_records(alerts, "burn_1h_5m")
        assert [a["state"] for a in fast] == ["firing", "resolved"], fast
        fire, res = fast
        # the first down minute [01:00, 01:01) counts 60 s once event time reaches 01:01
        assert fire["since"] == rfc(2, 61) and fire["at"] == rfc(2, 61), fire
        assert abs(fire["burn_long"] - 60 / 3600 / 0.001) < 1e-6 and abs(fire["burn_short"] - 60 / 300 / 0.001) < 1e-6
        assert fire["threshold"] == 14.4 and fire["severity"] == "page" and fire["service"] == "svc-a"
        assert fire["provider"] == "prov-1" and fire["target"] == 0.999
        # the 5-minute window is clean from 01:25; resolved resolve_after_s (300 s) later
        assert res["since"] == fire["since"] and res["id"] == fire["id"] and res["at"] == rfc(2, 90), res
        # svc-b never probed: no alert of it; every rule fired at most once
        assert all(a["service"] == "svc-a" for a in alerts)
        for rule in ("burn_1h_5m", "burn_6h_30m", "burn_1d_2h", "burn_3d_6h", "sla_breach"):
            assert sum(1 for a in alerts if a["rule"] == rule and a["state"] == "firing") == 1, (rule, alerts)
        # the same records on the alerts topic, read with kcat
        topic = clients.kcat_consume(s.mock.bootstrap, "cloudqe.alerts", count=len(alerts), timeout_s=60)
        assert sorted(json.loads(v)["id"] + json.loads(v)["state"] for _k, v, _p, _o in topic) == \
            sorted(a["id"] + a["state"] for a in alerts)
        assert all(k == "svc-a" for k, _v, _p, _o in topic)
        s.stop(w)
    run("outage", body)


def test_outage_inside_announced_maintenance_fires_nothing():
    def body(s):
        w = s.worker()
        window = {"v": 1, "id": "w1", "type": "maintenance", "ts": rfc(1, 0), "provider": "prov-1", "window": "W1",
                  "action": "schedule", "service": "svc-a", "start": rfc(2, 55), "end": rfc(2, 90)}
        s.produce([window] + probes(2, range(0, 181), lambda m: 60 <= m < 80))
        s.wait_alerts_reach(ms(rfc(2, 180)))
        assert s.stream("alerts") == []
        s.stop(w)
    run("maintenance", body)


def test_flapping_probe_does_not_flap_the_alert():
    """Both sites fail every other minute 01:00-02:59, then all is well until 06:00."""
    def body(s):
        w = s.worker()
        s.produce(probes(2, range(0, 361), lambda m: 60 <= m < 180 and m % 2 == 0))
        s.wait_alerts_reach(ms(rfc(2, 360)))
        alerts = s.stream("alerts")
        fast = burn_records(alerts, "burn_1h_5m")
        assert [a["state"] for a in fast] == ["firing", "resolved"], fast
        # fires at 01:01 (one down minute: 16.7 and 200); the 5-minute window holds a
        # down minute until 02:59 ends: clean from 03:04, resolved at 03:09
        assert fast[0]["since"] == rfc(2, 61) and fast[1]["at"] == rfc(2, 189), fast
        for rule in ("burn_1h_5m", "burn_6h_30m", "burn_1d_2h", "burn_3d_6h"):
            states = [a["state"] for a in burn_records(alerts, rule)]
            assert states in (["firing"], ["firing", "resolved"]), (rule, states)
        s.stop(w)
    run("flapping", body)


def test_sigkill_while_firing_decides_once():
    def body(s):
        w = s.worker()
        s.produce(probes(2, range(0, 70), lambda m: m >= 60))
        s.wait_alerts_reach(ms(rfc(2, 69)))
        before = s.stream("alerts")
        assert [a["state"] for a in burn_records(before, "burn_1h_5m")] == ["firing"], before
        s.stop(w, signal.SIGKILL, expect=None)
        w2 = s.worker()
        s.produce(probes(2, range(70, 181), lambda m: m < 80))
        s.wait_alerts_reach(ms(rfc(2, 180)))
        after = s.stream("alerts")
        fast = burn_records(after, "burn_1h_5m")
        assert [a["state"] for a in fast] == ["firing", "resolved"], fast
        assert fast[0]["id"] == fast[1]["id"] == burn_records(before, "burn_1h_5m")[0]["id"]
        # what reached the topic: at least once, and every id with one content per state.
        # The emitter delivers the Redis stream to Kafka after the decision is stored, so
        # the topic is read until it holds every decided record (or the step times out).
        want = {(a["id"], a["state"]) for a in after}
        topic = []

        def topic_holds_every_record():
            topic[:] = [json.loads(v) for _k, v, _p, _o in clients.kcat_consume(s.mock.bootstrap, "cloudqe.alerts")]
            return want <= {(a["id"], a["state"]) for a in topic}
        wait_for(topic_holds_every_record, STEP_TIMEOUT_S, "every alert record on the alerts topic")
        seen = {}
        for a in topic:
            assert seen.setdefault((a["id"], a["state"]), a) == a, (a, seen[(a["id"], a["state"])])
        assert {(a["id"], a["state"]) for a in topic} == {(a["id"], a["state"]) for a in after}
        s.stop(w2)
    run("kill-firing", body)


# ---------------------------------------------------------------- snapshots

def without(rec, *keys):
    return {k: v for k, v in rec.items() if k not in keys}


def test_snapshots_reach_kafka_redis_and_lake_files():
    """A generated day and a half (gen --seed 7, a small fleet) through one worker; its
    last tick (on SIGTERM) must print what `cloudqe replay` prints for the same file."""
    def body(s):
        events = os.path.join(s.dir, "gen.ndjson")
        gen_cfg = os.path.join(s.dir, "gen.json")
        subprocess.run([binary(), "gen", "--seed", "7", "--days", "2", "--vms", "60", "--hosts", "4",
                        "--services", "20", "--out", events, "--config-out", gen_cfg], check=True,
                       capture_output=True, timeout=STEP_TIMEOUT_S)
        with open(gen_cfg, encoding="utf-8") as f:
            g = json.load(f)
        s.cfg.update({k: v for k, v in g.items() if k not in ("kafka", "redis", "clock")})
        with open(s.config, "w", encoding="utf-8") as f:
            json.dump(s.cfg, f)
        w = s.worker()
        s.produce(events)
        s.stop(w)  # SIGTERM: the role's last tick, over everything consumed
        replay = subprocess.run([binary(), "replay", "--config", s.config, "--quiet", events],
                                capture_output=True, timeout=STEP_TIMEOUT_S)
        assert replay.returncode == 0, replay.stderr.decode()[-2000:]
        expected = [json.loads(line) for line in replay.stdout.splitlines()]

        # Kafka: every record of the snapshots topic, read with kcat
        topic = [json.loads(v) for _k, v, _p, _o in clients.kcat_consume(s.mock.bootstrap, "cloudqe.snapshots")]
        snaps = [r for r in topic if r["kind"] == "snapshot"]
        assert snaps, "no snapshot on the topic"
        last_as_of = max(r["as_of"] for r in snaps)
        # the last tick's records (the tail of each stream in Redis) are replay's, in its
        # order, revision and counters aside; Kafka holds the same records
        for kind, stream in (("snapshot", "snapshots"), ("service", "services"), ("dept", "depts")):
            want = [without(r, "revision", "counters") for r in expected if r["kind"] == kind]
            kept = s.stream(stream)
            got = [without(r, "revision", "counters") for r in kept[len(kept) - len(want):]]
            assert len(got) == len(want), (kind, len(got), len(want))
            for i, (x, y) in enumerate(zip(got, want)):
                assert x == y, f"{kind} {i} of the last tick differs from replay:\n{json.dumps(x)[:1500]}\n{json.dumps(y)[:1500]}"
            on_topic = sorted(json.dumps(r, sort_keys=True) for r in topic if r["kind"] == kind)
            assert on_topic == sorted(json.dumps(r, sort_keys=True) for r in kept), kind
        assert all(r["as_of"] == last_as_of for r in s.stream("snapshots")[-len(
            [r for r in expected if r["kind"] == "snapshot"]):])
        # one content per (target, period, revision): each decision made once
        decided = {}
        for r in snaps:
            key = (r["target"], r["period"], r["revision"])
            assert without(decided.setdefault(key, r), "as_of", "counters") == without(r, "as_of", "counters"), key
        # revisions of a period only grow along the topic of a target
        for target in {r["target"] for r in snaps}:
            revs = [r["revision"] for r in snaps if r["target"] == target and r["period"] == "2026-03"]
            assert revs == sorted(revs) and revs[0] == 1, (target, revs)

        # counters per target and period: every event of the file lies in March
        summary = json.loads([l for l in s.log_of(w).splitlines() if l.startswith('{"kind":"run_summary"')][-1])
        final = {r["target"]: r for r in s.stream("snapshots")[-len([r for r in expected if r["kind"] == "snapshot"]):]
                 if r["period"] == "2026-03"}
        c = final["platform"]["counters"]
        assert c["events"] == summary["applied"] and c["duplicates"] == summary["duplicates"], (c, summary)
        assert c["late"] == 0 and c["dead_letters"] == 0, c  # dead letters count where received (today)
        assert sum(r["counters"]["events"] for t, r in final.items() if t != "platform") == c["events"]
        assert all(0 < r["counters"]["events"] < c["events"] for t, r in final.items() if t != "platform")
        # Redis: the latest record per (target, period) as a readable key (redis-cli)
        platform = [r for r in expected if r["kind"] == "snapshot" and r["target"] == "platform"
                    and r["period"] == "2026-03"][0]
        cli = subprocess.run(["redis-cli", "-p", str(s.redis.port), "GET", "cqe:{out}:snapshot:platform:2026-03"],
                             capture_output=True, timeout=30)
        latest = json.loads(cli.stdout)
        assert without(latest, "revision", "counters") == without(platform, "revision", "counters")
        assert latest["revision"] == max(r["revision"] for r in snaps
                                         if r["target"] == "platform" and r["period"] == "2026-03")

        # the lake: DuckDB reads every closed file; nothing half-written is visible
        glob = os.path.join(s.out_dir, "snapshots", "**", "*.ndjson.zst")
        rows = clients.duckdb_rows(f"SELECT count(*) AS n, count(DISTINCT dt) AS days FROM read_json('{glob}')")
        assert rows == [{"n": len(snaps), "days": rows[0]["days"]}] and rows[0]["days"] >= 1, rows
        rows = clients.duckdb_rows(
            "SELECT target, revision, score, figures.availability AS availability FROM read_json('%s') "
            "WHERE period = '2026-03' AND target = 'platform' ORDER BY revision DESC LIMIT 1" % glob)
        assert rows[0]["revision"] == latest["revision"]
        assert rows[0]["availability"] == platform["figures"]["availability"]
        assert rows[0]["score"] == platform["score"]
        services = [r for r in topic if r["kind"] == "service"]
        rows = clients.duckdb_rows("SELECT count(*) AS n FROM read_json('%s')" %
                                   os.path.join(s.out_dir, "services", "**", "*.ndjson.zst"))
        assert rows == [{"n": len(services)}]
        for root, _dirs, files in os.walk(s.out_dir):
            for name in files:
                assert name.endswith(".ndjson.zst") and name.startswith("part-"), os.path.join(root, name)
                assert "/dt=" in root and "/hour=" in root, root
    run("snapshots", body, extra_config={"snapshot_interval_s": 3600})


def test_late_incident_reemits_march_with_a_higher_revision():
    """An incident opened and resolved in March; probes run on into May; the resolve's
    correction (a second resolve, earlier) arrives after May's ticks."""
    def body(s):
        w = s.worker()
        inc = [{"v": 1, "id": "i1-open", "type": "incident", "ts": "2026-03-10T10:00:00+08:00", "provider": "prov-1",
                "incident": "I1", "action": "open", "service": "svc-a", "severity": 2},
               {"v": 1, "id": "i1-res", "type": "incident", "ts": "2026-03-10T12:00:00+08:00", "provider": "prov-1",
                "incident": "I1", "action": "resolve"}]
        days = [{"v": 1, "id": f"d-{m}-{d}", "type": "probe", "ts": "2026-%02d-%02dT12:00:00+08:00" % (m, d),
                 "provider": "prov-1", "service": "svc-b", "ok": True, "site": "a"}
                for m in (3, 4, 5) for d in (1, 15, 28)]
        s.produce(inc + days)
        # the incident and the probes lie in different partitions, which flush apart: wait
        # for a May tick and for a March record that holds all five March events
        def march_whole():
            recs = s.stream("snapshots")
            march = [r for r in recs if r["period"] == "2026-03" and r["target"] == "platform"]
            return any(r["period"] == "2026-05" for r in recs) and march and march[-1]["counters"]["events"] == 5
        wait_for(march_whole, STEP_TIMEOUT_S, "a May tick and March with its five events")
        march = [r for r in s.stream("snapshots") if r["period"] == "2026-03" and r["target"] == "platform"]
        first = march[-1]
        assert first["figures"]["downtime_s"] == 7200.0, first["figures"]
        assert first["counters"] == {"events": 5, "dead_letters": 0, "duplicates": 0, "late": 0}, first["counters"]
        time.sleep(1.5)  # the workers read which months were emitted once a second
        # the late event: an update taking the incident's end back to 11:00 (outputs.md, revision + 1)
        s.produce([{"v": 1, "id": "i1-res-early", "type": "incident", "ts": "2026-03-10T11:00:00+08:00",
                    "provider": "prov-1", "incident": "I1", "action": "resolve"}])
        s.produce([{"v": 1, "id": "d-5-30", "type": "probe", "ts": "2026-05-30T12:00:00+08:00", "provider": "prov-1",
                    "service": "svc-b", "ok": True, "site": "a"}])
        wait_for(lambda: any(r["period"] == "2026-03" and r["target"] == "platform" and
                             r["revision"] > first["revision"] for r in s.stream("snapshots")),
                 STEP_TIMEOUT_S, "March emitted again")
        again = [r for r in s.stream("snapshots") if r["period"] == "2026-03" and r["target"] == "platform"][-1]
        assert again["revision"] == first["revision"] + 1
        assert again["figures"]["downtime_s"] == 3600.0, again["figures"]
        assert again["complete"] is True and again["as_of"] > first["as_of"]
        assert again["counters"] == {"events": 6, "dead_letters": 0, "duplicates": 0, "late": 1}, again["counters"]
        s.stop(w)
    run("late", body, extra_config={"snapshot_interval_s": 86400})


# ---------------------------------------------------------------- exactly once, for outputs

def outage_day():
    """svc-a probed every minute of 2026-03-03 from two sites, down 02:00-02:19,
    08:00-08:29, 14:00-14:09 and 20:00-20:04 (local time)."""
    down = [(120, 140), (480, 510), (840, 850), (1200, 1205)]
    return probes(3, range(0, 1440), lambda m: any(a <= m < b for a, b in down))


def paced_produce(s, events, per_s):
    """`cloudqe produce` fed on stdin at per_s events a second (a thread); returns the
    process and the thread."""
    import threading
    p = subprocess.Popen([binary(), "produce", "--config", s.config, "--group", "cloudqe", "--max-ahead", "500",
                          "--wait", "--wait-timeout", str(STEP_TIMEOUT_S), "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s.procs.append(p)
    lines = [(json.dumps(e) + "\n").encode() for e in events]

    def feed():
        t0 = time.time()
        try:
            for i in range(0, len(lines), 20):
                p.stdin.write(b"".join(lines[i:i + 20]))
                p.stdin.flush()
                ahead = (i + 20) / per_s - (time.time() - t0)
                if ahead > 0:
                    time.sleep(ahead)
            p.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return p, t


def outputs_of(s):
    """(alert (id, state) set, snapshot id -> content, the latest platform March record)."""
    alerts = [json.loads(v) for _k, v, _p, _o in clients.kcat_consume(s.mock.bootstrap, "cloudqe.alerts")]
    snaps = [json.loads(v) for _k, v, _p, _o in clients.kcat_consume(s.mock.bootstrap, "cloudqe.snapshots")]
    snaps = [r for r in snaps if r["kind"] == "snapshot"]
    decided = {}
    for r in snaps:
        key = (r["target"], r["period"], r["revision"])
        first = decided.setdefault(key, r)
        assert without(first, "as_of", "counters") == without(r, "as_of", "counters"), f"{key} decided twice"
    for target, period in {(t, p) for t, p, _r in decided}:
        revs = sorted(r for t, p, r in decided if (t, p) == (target, period))
        assert revs == list(range(1, len(revs) + 1)), (target, period, revs)  # none lost
    latest = json.loads(subprocess.run(["redis-cli", "-p", str(s.redis.port), "GET",
                                        "cqe:{out}:snapshot:platform:2026-03"], capture_output=True).stdout)
    return {(a["id"], a["state"], a["rule"], a["since"]) for a in alerts}, decided, latest


def test_outputs_exactly_once_through_sigkills_and_a_broker_outage():
    """Three workers, five SIGKILLs (the output role's holder among them), a broker outage:
    the alerts decided are a clean run's, every snapshot revision carries one content and
    none is missing, and the last snapshot is the clean run's. The stream is one service's
    probes (one partition): alerts step through event time up to the largest ts merged
    (outputs.md), so only a stream whose partitions are merged in step decides the same
    alerts whatever the timing (readings.md)."""
    import random
    events = outage_day()
    clean = {}

    def clean_body(s):
        w = s.worker()
        s.produce(events)
        s.stop(w)
        clean["out"] = outputs_of(s)
    run("eo-clean", clean_body, extra_config={"snapshot_interval_s": 3600}, partitions=4)

    def chaos_body(s):
        rng = random.Random(11)
        alive = [s.worker(), s.worker(), s.worker()]
        workers = list(alive)
        p, feeder = paced_produce(s, events, per_s=150)
        for k in range(5):
            time.sleep(rng.uniform(1.5, 3.0))
            holder = [w for w in alive if "holds the output role" in s.log_of(w)]
            victim = holder[-1] if k % 2 == 0 and holder else alive[rng.randrange(len(alive))]
            s.stop(victim, signal.SIGKILL, expect=None)
            alive.remove(victim)
            fresh = s.worker()
            alive.append(fresh)
            workers.append(fresh)
            if k == 2:
                s.mock.command("broker_down 2")
                time.sleep(2)
                s.mock.command("broker_up 2")
        feeder.join(STEP_TIMEOUT_S)
        assert p.wait(STEP_TIMEOUT_S) == 0, "produce did not see the group consume everything"
        s.wait_alerts_reach(ms(rfc(3, 1439)))
        for w in alive:
            s.stop(w)
        alerts, decided, latest = outputs_of(s)
        c_alerts, c_decided, c_latest = clean["out"]
        assert alerts == c_alerts, (sorted(alerts ^ c_alerts))
        assert len([a for a in alerts if a[1] == "firing"]) >= 8  # 4 outages x (1h, 6h rules) at least
        assert without(latest, "revision", "counters") == without(c_latest, "revision", "counters")
        assert sum("holds the output role" in s.log_of(w) for w in workers) >= 2  # the role moved
    run("eo-chaos", chaos_body, extra_config={"snapshot_interval_s": 3600}, partitions=4, brokers=3)


# ---------------------------------------------------------------- least privilege

def documented_acl():
    """The rules of `run` with outputs, as docs/state.md writes them."""
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "state.md"),
              encoding="utf-8") as f:
        lines = [l.strip() for l in f if l.strip().startswith("ACL SETUSER cloudqe on >PASSWORD")]
    rules = [r for r in lines if "+eval " in r + " " and "+xadd" in r]
    assert rules, "docs/state.md has no ACL line of run with outputs"
    return rules[0].split()[4:]


def test_run_with_the_documented_acl_and_refused_without_eval():
    def body(s):
        secret = "pw-out-acl-2026"
        pw_file = os.path.join(s.dir, "pw")
        with open(pw_file, "w") as f:
            f.write(secret + "\n")
        rules = documented_acl()
        redis_cmd(s.redis.port, "ACL", "SETUSER", "cqe-out", "on", ">" + secret, *rules)
        s.cfg["redis"] = {"url": s.redis.url(), "user": "cqe-out", "password_file": pw_file}
        with open(s.config, "w", encoding="utf-8") as f:
            json.dump(s.cfg, f)
        w = s.worker()
        s.produce(probes(2, range(0, 70), lambda m: m >= 60))
        s.wait_alerts_reach(ms(rfc(2, 69)))
        assert [a["state"] for a in burn_records(s.stream("alerts"), "burn_1h_5m")] == ["firing"]
        s.stop(w)
        log = redis_cmd(s.redis.port, "ACL", "LOG") or []
        assert log == [], log
        # the same user without +eval: the role cannot decide, and the worker says so and stops
        redis_cmd(s.redis.port, "ACL", "SETUSER", "cqe-out", "-eval")
        w = s.worker()
        try:
            w.wait(60)
        except subprocess.TimeoutExpired:
            raise KafkaTestError("a worker whose output role is refused must stop:\n" + s.log_of(w)[-2000:])
        assert w.returncode == 1 and "NOPERM" in s.log_of(w), (w.returncode, s.log_of(w)[-2000:])
        assert secret not in s.log_of(w)
    run("acl", body)


# ---------------------------------------------------------------- a lake that cannot be written

def test_unwritable_lake_pauses_reports_and_loses_nothing():
    """output_dir lies under a regular file (ENOTDIR, also for root): the worker reports
    it once, pauses, decides nothing new; once the directory can be made, every record
    the streams hold reaches the files."""
    def body(s):
        blocker = os.path.join(s.dir, "blocker")
        with open(blocker, "w") as f:
            f.write("not a directory\n")
        s.cfg["output_dir"] = os.path.join(blocker, "lake")
        with open(s.config, "w", encoding="utf-8") as f:
            json.dump(s.cfg, f)
        w = s.worker()
        s.produce(probes(2, range(0, 70), lambda m: m >= 60))
        wait_for(lambda: "lake files failed" in s.log_of(w), STEP_TIMEOUT_S, "the lake failure reported")
        wait_for(lambda: "PAUSED (outputs)" in s.log_of(w), 30, "the worker paused")
        log = s.log_of(w)
        assert log.count("lake files failed") == 1 and "Not a directory" in log, log[-2000:]
        os.remove(blocker)
        os.makedirs(blocker)
        wait_for(lambda: "lake files delivered again" in s.log_of(w), 60, "delivery resumed")
        s.stop(w)  # the last tick, and the open files closed
        for stream in ("snapshots", "alerts"):
            kept = s.stream(stream)
            glob = os.path.join(blocker, "lake", stream, "**", "*.ndjson.zst")
            rows = clients.duckdb_rows(f"SELECT count(*) AS n FROM read_json('{glob}')")
            assert kept and rows == [{"n": len(kept)}], (stream, rows, len(kept))
    run("lake-full", body)
