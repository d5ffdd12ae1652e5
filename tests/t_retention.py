"""Retention (docs/state.md "Retention") against a real redis-server: `cloudqe retain`
archives every year that ended keep_years before --as-of to DIR/period=<id>/part-*.ndjson.zst
(read back with the zstd CLI), marks it in Redis, and deletes its state keys.

The state spans 2024-11 to 2025-02; with keep_years 1 and as-of 2026-01-15 (+08:00) the
cutoff is 2025-01-15, so the year 2024 (ended 2025-01-01) goes and 2025 stays. Checked:
the archive equals `snapshot --period` taken before; no 2024 key is left; the 2025
snapshots are unchanged; a second run is a no-op; a crash before or after the marker
then a re-run converges to the same state and files; an event of 2024 is dead-lettered
(period_archived); keys written after the archive (the race) are removed by the next run;
and each family's rule on hand-made events."""
import glob
import json
import os
import shutil
import subprocess
import tempfile

import t_redis as R

AS_OF = "2026-01-15T00:00:00+08:00"
BEFORE_MS = 1735660800000  # 2025-01-01T00:00:00+08:00 = 2024-12-31T16:00:00Z
GEN = ["--seed", "3", "--days", "100", "--start", "2024-11-01", "--vms", "8", "--hosts", "2",
       "--services", "12", "--metric-interval-s", "7200", "--probe-interval-s", "3600"]
ARCHIVED = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2024-Q{q}" for q in range(1, 5)] + ["2024"]
KEPT = ["2025-01", "2025-02", "2025-Q1", "2025"]
COMPARED = ["2024-11", "2024-12", "2024-Q4", "2024"]

_data = {}


def data():
    """(dir, events path, config path with retention) of the generated province, cached."""
    if not _data:
        d = tempfile.mkdtemp(prefix="cqe-ret-")
        ev, cfg = os.path.join(d, "events.ndjson"), os.path.join(d, "config.json")
        R.run(["gen", *GEN, "--out", ev, "--config-out", cfg])
        c = json.load(open(cfg, encoding="utf-8"))
        c["retention"] = {"keep_years": 1}
        json.dump(c, open(cfg, "w", encoding="utf-8"), ensure_ascii=False)
        _data.update(dir=d, events=ev, config=cfg)
    return _data["dir"], _data["events"], _data["config"]


def snapshots(url, cfg, periods):
    return {p: R.snapshot(url, ["--period", p, "--as-of", AS_OF], cfg) for p in periods}


def retain(url, cfg, archive, *extra, env=None, expect=0):
    proc = R.run(["retain", "--config", cfg, "--state", url, "--archive", archive, "--as-of", AS_OF,
                  *extra], env=env, expect=expect)
    lines = proc.stdout.decode().splitlines()
    return json.loads(lines[-1]) if expect == 0 else None


def state_keys(srv):
    keys, cursor = [], b"0"
    while True:
        cursor, batch = srv.cmd("SCAN", cursor, "MATCH", "cqe:{p*}:*", "COUNT", "1000")
        keys += [k.decode() for k in batch]
        if cursor == b"0":
            return sorted(set(keys))


def month_2024(key):
    """Whether a Redis key names a 2024 month or day bucket (U|2024-11|..., P|svc|2024-11-03)."""
    store_key = key.split(":", 2)[2].rsplit(":", 1)[0]
    return any(part.startswith("2024-") for part in store_key.split("|")[1:])


def archive_files(archive):
    out = {}
    for path in glob.glob(os.path.join(archive, "period=*", "part-*.ndjson.zst")):
        period = os.path.basename(os.path.dirname(path))[len("period="):]
        if period in out:
            raise AssertionError(f"two files for period {period}")
        out[period] = path
    return out


def unzstd(path):
    return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout


def build_state(srv, partitions=4):
    d, ev, cfg = data()
    R.replay_redis(srv.url(), partitions, [ev], cfg)
    return cfg


def check_archived(srv, cfg, archive, before):
    """The end state every way of running retain must reach."""
    files = archive_files(archive)
    assert sorted(files) == sorted(ARCHIVED), sorted(files)
    for p in COMPARED:
        if unzstd(files[p]) != before[p]:
            raise AssertionError(f"archive of {p} differs from `snapshot --period {p}` before retention; "
                                 + R.first_difference(before[p], unzstd(files[p])))
    left = [k for k in state_keys(srv) if month_2024(k)]
    assert not left, f"{len(left)} keys of 2024 left, e.g. {left[:3]}"
    after = snapshots(srv.url(), cfg, KEPT)
    for p in KEPT:
        R.assert_same(f"snapshot {p} after retention", before[p], after[p])
    assert int(srv.cmd("HGET", "cqe:retention", "before")) == BEFORE_MS
    assert srv.cmd("HGET", "cqe:retention", "through") == b"2024-12"


def test_retain_archives_then_second_run_is_noop():
    srv = R.shared_server()
    cfg = build_state(srv)
    before = snapshots(srv.url(), cfg, COMPARED + KEPT)
    keys0 = state_keys(srv)
    n_2024 = sum(month_2024(k) for k in keys0)
    assert n_2024 > 100, n_2024
    archive = os.path.join(tempfile.mkdtemp(prefix="cqe-ret-arch-"), "lake")

    dry = retain(srv.url(), cfg, archive, "--dry-run")
    assert dry["dry_run"] and dry["periods_written"] == 17 and dry["bytes_written"] == 0, dry
    assert not os.path.exists(archive) and state_keys(srv) == keys0
    assert srv.cmd("EXISTS", "cqe:retention") == 0

    s = retain(srv.url(), cfg, archive)
    assert (s["years_archived"], s["months_archived"], s["periods_written"]) == (1, 12, 17), s
    assert s["kept_from"] == "2025-01-01T00:00:00+08:00" and s["kept_from_before"] is None, s
    assert s["keys_deleted"] == dry["keys_deleted"] == len(keys0) - len(state_keys(srv)), s
    assert s["keys_deleted"] >= n_2024 and s["earlier_keys_deleted"] == 0, s
    assert s["bytes_written"] == sum(os.path.getsize(f) for f in archive_files(archive).values()), s
    assert s["records"] == sum(unzstd(f).count(b"\n") for f in archive_files(archive).values()), s
    check_archived(srv, cfg, archive, before)

    stamp = {p: (os.path.getmtime(f), os.path.getsize(f)) for p, f in archive_files(archive).items()}
    keys1 = state_keys(srv)
    again = retain(srv.url(), cfg, archive)
    assert (again["periods_written"], again["keys_deleted"], again["earlier_keys_deleted"]) == (0, 0, 0), again
    assert again["kept_from_before"] == "2025-01-01T00:00:00+08:00", again
    assert state_keys(srv) == keys1
    assert stamp == {p: (os.path.getmtime(f), os.path.getsize(f)) for p, f in archive_files(archive).items()}


def test_retain_crash_then_rerun_converges():
    for point in ("retain_before_mark", "retain_after_mark"):
        srv = R.shared_server()
        cfg = build_state(srv)
        before = snapshots(srv.url(), cfg, COMPARED + KEPT)
        keys0 = state_keys(srv)
        archive = os.path.join(tempfile.mkdtemp(prefix="cqe-ret-crash-"), "lake")
        retain(srv.url(), cfg, archive, env={"CQE_FAULT": point}, expect=77)
        # stopped with the files durable and nothing deleted
        assert sorted(archive_files(archive)) == sorted(ARCHIVED), point
        assert state_keys(srv) == keys0, point
        assert srv.cmd("EXISTS", "cqe:retention") == (1 if point == "retain_after_mark" else 0), point
        assert not glob.glob(os.path.join(archive, "period=*", "*.tmp-*")), point
        s = retain(srv.url(), cfg, archive)
        # before the marker the run is redone whole (the same files replaced); after it the
        # archive is kept and only the deletion is left
        assert s["periods_written"] == (17 if point == "retain_before_mark" else 0), (point, s)
        assert s["keys_deleted"] == len(keys0) - len(state_keys(srv)) > 0, (point, s)
        earlier = s["keys_deleted"] if point == "retain_after_mark" else 0
        assert s["earlier_keys_deleted"] == earlier, (point, s)
        check_archived(srv, cfg, archive, before)
        shutil.rmtree(os.path.dirname(archive), ignore_errors=True)


def test_archived_event_dead_lettered_and_race_keys_removed():
    srv = R.shared_server()
    cfg = build_state(srv)
    archive = os.path.join(tempfile.mkdtemp(prefix="cqe-ret-late-"), "lake")
    retain(srv.url(), cfg, archive)
    d, ev, _ = data()
    late = os.path.join(tempfile.mkdtemp(prefix="cqe-ret-late-"), "late.ndjson")
    audit = {"v": 1, "type": "audit", "provider": "gz-late", "op": "OP-LATE", "actor": "a",
             "target": "vm-1"}
    with open(late, "w", encoding="utf-8") as f:
        f.write(json.dumps(dict(audit, id="late-2024", ts="2024-11-20T10:00:00+08:00")) + "\n")
        f.write(json.dumps(dict(audit, id="late-2025", ts="2025-02-20T10:00:00+08:00")) + "\n")
    dl = os.path.join(os.path.dirname(late), "dead.ndjson")
    proc = R.run(R.replay_args(srv.url(), 4, [ev, late], cfg) + ["--dead-letters", dl])
    summary = json.loads(proc.stderr.decode().strip().splitlines()[-1])
    assert (summary["lines"], summary["applied"], summary["dead_letters"]) == (2, 1, 1), summary
    dead = [json.loads(x) for x in open(dl, encoding="utf-8")]
    assert len(dead) == 1 and dead[0]["reason"] == "period_archived", dead
    assert "late-2024" in dead[0]["raw"] and "ts 2024-11-20T10:00:00+08:00" in dead[0]["detail"], dead
    assert "2025-01-01T00:00:00+08:00" in dead[0]["detail"], dead
    names = state_keys(srv)
    assert not [k for k in names if month_2024(k)]
    assert [k for k in names if "AU|2025-02|gz-late:" in k], "the 2025 event was not applied"

    # a worker that had not seen the marker yet flushes a 2024 cell: the next run removes it
    srv.cmd("HINCRBY", "cqe:{p2}:AU|2024-11|gz-late:sum", "n", "1")
    srv.cmd("SADD", "cqe:{p3}:PS|2024-12:set", "svc-x")
    s = retain(srv.url(), cfg, archive)
    assert (s["periods_written"], s["keys_deleted"], s["earlier_keys_deleted"]) == (0, 2, 2), s
    assert not [k for k in state_keys(srv) if month_2024(k)]


def _events():
    """Hand-made events of every kind whose retention is not decided by a month in its key."""
    e = []

    def add(**kw):
        e.append(dict({"v": 1, "provider": "p1"}, **kw))
    # incidents: closed in 2024 (goes), open across the year end (stays: its last record is
    # in 2025), never resolved (stays), resolved then reopened (stays)
    add(id="i1o", type="incident", ts="2024-11-02T10:00:00+08:00", incident="I-CLOSED", action="open",
        service="s1", severity=3)
    add(id="i1r", type="incident", ts="2024-11-02T12:00:00+08:00", incident="I-CLOSED", action="resolve")
    add(id="i2o", type="incident", ts="2024-12-31T23:00:00+08:00", incident="I-SPAN", action="open",
        service="s1", severity=3)
    add(id="i2r", type="incident", ts="2025-01-01T01:00:00+08:00", incident="I-SPAN", action="resolve")
    add(id="i3o", type="incident", ts="2024-11-05T10:00:00+08:00", incident="I-OPEN", action="open",
        service="s1", severity=4)
    add(id="i4o", type="incident", ts="2024-11-06T10:00:00+08:00", incident="I-REOPEN", action="open",
        service="s1", severity=4)
    add(id="i4r", type="incident", ts="2024-11-06T11:00:00+08:00", incident="I-REOPEN", action="resolve")
    add(id="i4x", type="incident", ts="2024-11-07T11:00:00+08:00", incident="I-REOPEN", action="reopen")
    # assets: added in 2024 (stays: in every later inventory), added then removed (goes)
    add(id="a1", type="asset", ts="2024-11-03T10:00:00+08:00", asset="S-ADDED", **{"class": "server"},
        action="add", domestic=True)
    add(id="a2", type="asset", ts="2024-11-03T10:00:00+08:00", asset="S-GONE", **{"class": "server"},
        action="add", domestic=False)
    add(id="a2r", type="asset", ts="2024-12-03T10:00:00+08:00", asset="S-GONE", **{"class": "server"},
        action="remove", domestic=False)
    # tickets: opened and closed in 2024 (goes), opened 2024 closed 2025 (stays)
    add(id="t1o", type="ticket", ts="2024-11-10T09:00:00+08:00", ticket="T-2024", action="open",
        due="2024-11-11T09:00:00+08:00")
    add(id="t1c", type="ticket", ts="2024-11-10T19:00:00+08:00", ticket="T-2024", action="close")
    add(id="t2o", type="ticket", ts="2024-12-30T09:00:00+08:00", ticket="T-SPAN", action="open",
        due="2025-01-02T09:00:00+08:00")
    add(id="t2c", type="ticket", ts="2025-01-02T08:00:00+08:00", ticket="T-SPAN", action="close")
    # a probe in 2024 (its day and month go; the service's first probe, its attribution, stays)
    add(id="pr1", type="probe", ts="2024-11-03T10:00:00+08:00", service="s1", ok=True)
    # the registry: something in 2025 so the 2025 periods have data
    add(id="au1", type="audit", ts="2025-01-10T10:00:00+08:00", op="OP1", actor="x", target="vm-1",
        ticket_ref="CHG-1")
    return e


def test_family_rules_on_hand_made_events():
    srv = R.shared_server()
    d = tempfile.mkdtemp(prefix="cqe-ret-fam-")
    ev, cfg = os.path.join(d, "events.ndjson"), os.path.join(d, "config.json")
    with open(ev, "w", encoding="utf-8") as f:
        for x in _events():
            f.write(json.dumps(x) + "\n")
    json.dump({"utc_offset": "+08:00", "retention": {"keep_years": 1},
               "services": [{"id": "s1", "provider": "p1"}]}, open(cfg, "w"))
    R.replay_redis(srv.url(), 2, [ev], cfg)
    before = snapshots(srv.url(), cfg, KEPT)
    s = retain(srv.url(), cfg, os.path.join(d, "lake"))
    assert s["periods_written"] == 17, s
    stores = {k.split(":", 2)[2].rsplit(":", 1)[0] for k in state_keys(srv)}
    for kept in ("I|I-SPAN", "I|I-OPEN", "I|I-REOPEN", "AS|S-ADDED", "T|T-SPAN", "PF|s1", "G|prov",
                 "AU|2025-01|p1"):
        assert kept in stores, (kept, sorted(stores))
    for gone in ("I|I-CLOSED", "AS|S-GONE", "T|T-2024", "P|s1|2024-11-03", "PS|2024-11"):
        assert gone not in stores, (gone, sorted(stores))
    after = snapshots(srv.url(), cfg, KEPT)
    for p in KEPT:
        R.assert_same(f"snapshot {p} after retention", before[p], after[p])
    # the asset added in 2024 still counts in 2025: of the servers S-ADDED (domestic) and
    # S-GONE (removed in 2024), one is in the inventory and it is domestic: B4.1 = 1/1
    recs = [json.loads(x) for x in after["2025-01"].decode().splitlines()]
    plat = [x for x in recs if x.get("target") == "platform"][0]
    assert plat["indicators"]["B4.1"]["value"] == 1.0, plat["indicators"]["B4.1"]


def test_cluster_retain_deletes_on_every_master():
    """On a three-master Redis Cluster: the 8 partitions spread over the masters; retain
    deletes the 2024 keys on each, the marker lives on its own slot's master."""
    import t_cluster as C

    def body(c):
        d, ev, cfg = data()
        R.run(R.replay_args(c.url(0), 8, [ev], cfg), env={"CQE_FLUSH_EVERY": "500"})
        before = snapshots(c.url(1), cfg, COMPARED + KEPT)

        def keys_by_node():
            out = []
            for p in c.ports:
                cursor, found = b"0", set()
                while True:
                    cursor, batch = R.resp(p, "SCAN", cursor, "MATCH", "cqe:{p*}:*", "COUNT", "1000")
                    found.update(k.decode() for k in batch)
                    if cursor == b"0":
                        break
                out.append(found)
            return out
        old = [sum(month_2024(k) for k in ks) for ks in keys_by_node()]
        assert all(n > 0 for n in old), old  # every master holds 2024 keys
        archive = os.path.join(c.dir, "lake")
        s = retain(c.url(2), cfg, archive)
        assert s["periods_written"] == 17 and s["keys_deleted"] >= sum(old), (s, old)
        assert [sum(month_2024(k) for k in ks) for ks in keys_by_node()] == [0, 0, 0]
        files = archive_files(archive)
        for p in COMPARED:
            assert unzstd(files[p]) == before[p], p
        after = snapshots(c.url(0), cfg, KEPT)
        for p in KEPT:
            R.assert_same(f"cluster snapshot {p} after retention", before[p], after[p])
        marker = None
        for p in c.ports:
            try:
                marker = R.resp(p, "HGET", "cqe:retention", "before")
                break
            except R.ReplyError as e:
                if not str(e).startswith("MOVED"):
                    raise
        assert int(marker) == BEFORE_MS, marker
        assert retain(c.url(1), cfg, archive)["keys_deleted"] == 0
    C.with_cluster(body)


def test_run_worker_dead_letters_archived_events():
    """`cloudqe run` reads the marker when its partitions open: with `before` at
    2026-03-02T00:00+08:00 (as a retain would have left it), every event of 2026-03-01 in
    the stream is dead-lettered period_archived and none of that day's keys exists."""
    import t_kafka as K
    cut_ms = 1772380800000  # 2026-03-02T00:00:00+08:00

    def body(s):
        K.redis_cmd(s.redis.port, "HSET", "cqe:retention", "before", str(cut_ms))
        verdicts = subprocess.run([K.binary(), "decode", s.inp["events"]], capture_output=True,
                                  check=True).stdout.decode().splitlines()
        want = sum(1 for v in map(json.loads, verdicts) if v.get("ok") and v["ts"] < cut_ms)
        assert want > 1000, want
        w = s.worker()
        s.produce()
        s.wait_consumed()
        s.stop_worker(w)
        dead = [json.loads(x) for x in open(os.path.join(s.dir, "dl-1.ndjson"), encoding="utf-8")]
        archived = [x for x in dead if x["reason"] == "period_archived"]
        assert len(archived) == want, (len(archived), want)
        assert all("2026-03-01T" in x["detail"].split(" is in ")[0] for x in archived), archived[:2]
        keys = [k for k in K.redis_cmd(s.redis.port, "KEYS", "cqe:*")]
        keys = [k.decode() if isinstance(k, bytes) else k for k in keys]
        # probe days live in one hash per service and month, a field per day (state.md)
        days = set()
        for k in keys:
            if ":P|" in k and "|2026-03:runs|" in k:
                days.update(f.decode() if isinstance(f, bytes) else f
                            for f in K.redis_cmd(s.redis.port, "HKEYS", k))
        assert days and "01" not in days, sorted(days)
        assert "02" in days, "the second day was not applied"
    K._run("retention", body)
