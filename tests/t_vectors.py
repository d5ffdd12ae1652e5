"""Vectors in Redis (docs/state.md, "Vectors") and the format marker, against a real
redis-server: a probe day flushed in pieces, out of order and late is one field of runs
(in its month's hash) whose text is checked against counts worked out from the events,
days of one month share the hash and a late day merges into it, the utilization vector
of 408 entries and a probe day of 2,880 distinct entries go through BITFIELD and runs
whole, every snapshot equals the in-memory replay, and a database holding state of
another format (the old "vec" hashes, no marker, another marker) is refused."""
import json
import os
import random
import shutil
import struct
import tempfile

from t_redis import RedisTestError, assert_same, replay_redis, run, shared_server

DAY = "2026-03-10"  # local days in +08:00 (the default offset)
CONFIG = {"services": [{"id": "svc-a", "provider": "p1", "dept": "d1"},
                       {"id": "svc-b", "provider": "p1", "dept": "d1"},
                       {"id": "svc-c", "provider": "p1", "dept": "d1"}]}
FLUSH = {"CQE_FLUSH_EVERY": "37"}  # many small flushes: a day arrives in pieces


class Files:
    """A temporary directory with the config and NDJSON files, removed on exit."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="cqe-vectors-")
        self.config = self.path("config.json")
        with open(self.config, "w") as f:
            json.dump(CONFIG, f)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, events):
        p = self.path(name)
        with open(p, "w", encoding="utf-8") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        return p


def probe(service, day, minute, site, ok):
    return {"v": 1, "id": f"{service}-{day}-{minute}-{site}", "type": "probe",
            "ts": f"{day}T{minute // 60:02d}:{minute % 60:02d}:{7 * site % 60:02d}+08:00",
            "provider": "p1", "service": service, "ok": ok}


def shuffled(events, seed):
    events = list(events)
    random.Random(seed).shuffle(events)
    return events


def runs_text(counts):
    """The run form of a day given as 1,440 (ok, fail) pairs: "<count>*<ok>,<fail>" runs
    of equal pairs joined by ';' (docs/state.md)."""
    out, i = [], 0
    while i < len(counts):
        j = i
        while j < len(counts) and counts[j] == counts[i]:
            j += 1
        out.append(f"{j - i}*{counts[i][0]},{counts[i][1]}")
        i = j
    return ";".join(out)


def month_key(srv, service, day):
    """The hash of the service's month, whose field DD holds the day's runs."""
    keys = srv.cmd("KEYS", f"cqe:{{p*}}:P|{service}|{day[:7]}*")
    if len(keys) != 1 or not keys[0].endswith(f"|{day[:7]}:runs|2880|".encode()):
        raise RedisTestError(f"{service} {day[:7]}: expected one runs|2880| hash, found {keys!r}")
    return keys[0]


def day_runs(srv, service, day):
    return srv.cmd("HGET", month_key(srv, service, day), day[8:]).decode()


def check_state(srv, files, paths, what):
    """snapshot --state equals the in-memory replay of the same files."""
    mem = run(["replay", "--quiet", "--config", files.config, *paths]).stdout
    red = run(["snapshot", "--state", srv.url(), "--config", files.config]).stdout
    assert_same(what, mem, red)


def test_probe_day_in_pieces_out_of_order_and_late():
    srv = shared_server()
    with Files() as fs:
        # svc-a: two sites all day, one failure at minute 600 from site 2; the morning,
        # then the afternoon, then a third site's late results (its first 10 minutes
        # and a failure at minute 1000) after the day looks complete
        morning = [probe("svc-a", DAY, m, s, not (m == 600 and s == 2)) for m in range(720) for s in (1, 2)]
        # svc-b: a clean day probed every minute by two sites
        clean = [probe("svc-b", DAY, m, s, True) for m in range(1440) for s in (1, 2)]
        afternoon = [probe("svc-a", DAY, m, s, True) for m in range(720, 1440) for s in (1, 2)]
        late = [probe("svc-a", DAY, m, 3, True) for m in range(10)] + [probe("svc-a", DAY, 1000, 3, False)]
        # svc-a on two more days: the next day of the month (its hash), a day of April
        next_day = [probe("svc-a", "2026-03-11", m, 1, True) for m in range(60)]
        april = [probe("svc-a", "2026-04-01", 0, 1, True)]
        paths = [fs.write("1.ndjson", shuffled(morning + clean, 1)),
                 fs.write("2.ndjson", shuffled(afternoon + next_day, 2)),
                 fs.write("3.ndjson", shuffled(late + april, 3))]
        day = [[0, 0] for _ in range(1440)]
        expected = []
        for piece in (morning, afternoon, late):
            for e in piece:  # svc-a on DAY only
                m = int(e["ts"][11:13]) * 60 + int(e["ts"][14:16])
                day[m][0 if e["ok"] else 1] += 1
            expected.append(runs_text([tuple(c) for c in day]))
        # worked out by hand from the events above
        hand = ["600*2,0;1*1,1;119*2,0;720*0,0", "600*2,0;1*1,1;839*2,0",
                "10*3,0;590*2,0;1*1,1;399*2,0;1*2,1;439*2,0"]
        if expected != hand:
            raise RedisTestError(f"the test's own expectation is off: {expected} vs {hand}")
        for n in (1, 2, 3):  # each run resumes after the lines the previous one consumed
            replay_redis(srv.url(), 3, paths[:n], config=fs.config, env=FLUSH)
            got = day_runs(srv, "svc-a", DAY)
            if got != hand[n - 1]:
                raise RedisTestError(f"svc-a after file {n}: {got[:300]!r}, expected {hand[n - 1]!r}")
            check_state(srv, fs, paths[:n], f"after file {n}")
        march = srv.cmd("HGETALL", month_key(srv, "svc-a", DAY))
        want = {b"10": hand[2].encode(), b"11": b"60*1,0;1380*0,0"}
        if dict(zip(march[::2], march[1::2])) != want:
            raise RedisTestError(f"svc-a's March hash: {march!r}, expected {want!r}")
        if srv.cmd("HGETALL", month_key(srv, "svc-a", "2026-04-01")) != [b"01", b"1*1,0;1439*0,0"]:
            raise RedisTestError("svc-a's April hash is not one day with one probe at minute 0")
        clean = month_key(srv, "svc-b", DAY)
        if srv.cmd("HGETALL", clean) != [DAY[8:].encode(), b"1440*2,0"]:
            raise RedisTestError(f"a clean day is one run: {srv.cmd('HGETALL', clean)!r}")


def test_full_vectors_408_and_2880_entries():
    """Every entry of the utilization vector (4 metrics x (weight + 101 buckets)) and of a
    probe day (1,440 minutes, no two neighbours equal) is non-zero."""
    srv = shared_server()
    srv.cmd("FLUSHALL")
    with Files() as fs:
        metrics, weights = [], [0] * 408
        for b in range(101):
            for r in range(3):  # three resources: the vector is split over partitions
                w = 60 + b + r
                x = b / 100
                metrics.append({"v": 1, "id": f"m-{b}-{r}", "type": "metric",
                                "ts": f"{DAY}T{b // 60:02d}:{b % 60:02d}:00+08:00", "provider": "p1",
                                "resource": f"vm-{r}", "pool": "pool-a", "cpu": x, "mem": x, "disk": x,
                                "net": x, "interval_s": w})
                for m in range(4):  # weight at m*102, bucket b at m*102 + 1 + b
                    weights[m * 102] += w
                    weights[m * 102 + 1 + b] += w
        probes, day = [], []
        for m in range(1440):
            ok, fail = 1 + m % 3, m % 2
            day.append((ok, fail))
            probes += [probe("svc-c", DAY, m, s, True) for s in range(ok)]
            probes += [probe("svc-c", DAY, m, 10 + s, False) for s in range(fail)]
        half = len(metrics) // 2
        paths = [fs.write("1.ndjson", shuffled(metrics[:half] + probes[::2], 4)),
                 fs.write("2.ndjson", shuffled(metrics[half:] + probes[1::2], 5))]
        replay_redis(srv.url(), 3, paths, config=fs.config, env=FLUSH)
        keys = srv.cmd("KEYS", "cqe:{p*}:U|2026-03|p1:*")
        vec_keys = [k for k in keys if k.endswith(b":i64|408|wh")]
        if not vec_keys or len(vec_keys) > 3:
            raise RedisTestError(f"the utilization vector: one i64|408|wh key per partition, found {keys!r}")
        total = [0] * 408
        for k in vec_keys:
            raw = srv.cmd("GET", k)
            if len(raw) % 8 or len(raw) > 408 * 8:
                raise RedisTestError(f"{k!r}: {len(raw)} bytes, not whole int64 entries")
            for i, (v,) in enumerate(struct.iter_unpack(">q", raw)):
                total[i] += v
        if total != weights:
            bad = [i for i in range(408) if total[i] != weights[i]]
            raise RedisTestError(f"utilization vector entries {bad[:10]} differ: "
                                 f"{[total[i] for i in bad[:5]]} vs {[weights[i] for i in bad[:5]]}")
        got = day_runs(srv, "svc-c", DAY)
        if got.count(";") != 1439 or got != runs_text(day):
            raise RedisTestError(f"svc-c: {got[:200]!r}... is not 1,440 runs of one minute each")
        check_state(srv, fs, paths, "full vectors")


def refused(args, words):
    proc = run(args, expect=None)
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode == 0 or any(w not in err for w in words):
        raise RedisTestError(f"cloudqe {' '.join(args[:3])} exited {proc.returncode}; stderr should name "
                             f"{words}: {err[-1500:]}")


def test_format_marker_written_and_other_formats_refused():
    srv = shared_server()
    with Files() as fs:
        ev = fs.write("e.ndjson", [probe("svc-a", DAY, m, 1, True) for m in range(5)])
        # an empty namespace: snapshot reads nothing and writes nothing; a replay marks it
        run(["snapshot", "--state", srv.url(), "--config", fs.config])
        if srv.cmd("DBSIZE") != 0:
            raise RedisTestError("snapshot of an empty database wrote keys")
        replay_redis(srv.url(), 2, [ev], config=fs.config)
        if srv.cmd("GET", "cqe:format") != b"2":
            raise RedisTestError(f"cqe:format is {srv.cmd('GET', 'cqe:format')!r}, expected '2'")
        replay_redis(srv.url(), 2, [ev], config=fs.config)  # its own format: resumes
        # the format before the marker: vectors as "vec" hashes
        cases = [(("HSET", "cqe:{p0}:P|svc-a|2026-03-10:vec", "2880|0|", "1"), "format 1"),
                 (("SET", "cqe:{p1}:pos", "7"), "format 1"),
                 (("SET", "cqe:format", "3"), "format 3")]
        for setup, found in cases:
            srv.cmd("FLUSHALL")
            srv.cmd(*setup)
            words = ["namespace cqe", found, "format 2", "empty database", "no migration"]
            refused(["replay", "--state", srv.url(), "--partitions", "2", "--config", fs.config, ev], words)
            refused(["snapshot", "--state", srv.url(), "--config", fs.config], words)
            if srv.cmd("DBSIZE") != 1:
                raise RedisTestError(f"a refused namespace was written to ({setup}): {srv.cmd('KEYS', '*')!r}")
        # a partition count alone is no state: marked, then resumed with that count
        srv.cmd("FLUSHALL")
        srv.cmd("SET", "cqe:partitions", "2")
        replay_redis(srv.url(), 2, [ev], config=fs.config)
        if srv.cmd("GET", "cqe:format") != b"2":
            raise RedisTestError("a namespace holding only its partition count was not marked")
