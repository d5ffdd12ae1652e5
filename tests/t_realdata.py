"""Real data and the generator through `cloudqe replay`.

Each real source (tests/data/real: trimmed copies, each with its SOURCE.txt, mapped by
scripts/adapt_real.py) is replayed on its own, with periods that hold its data, and
checked against facts true by construction: every line accounted for, no dead letters, a
snapshot per provider, ratios in [0, 1], and figures recomputed here from the same
events (time-weighted CPU mean and max, incident counts, probe-down minutes) or from the
source rows themselves (CUA recovery times).
`cloudqe gen` must be deterministic, and its replay must dead-letter exactly the
malformed lines it reports. Binary: $CLOUDQE (default build/san/cloudqe)."""
import collections
import csv
import datetime
import glob
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLOUDQE = os.environ.get("CLOUDQE", "build/san/cloudqe")
if not os.path.isabs(CLOUDQE):
    CLOUDQE = os.path.join(ROOT, CLOUDQE)
DATA = os.path.join(HERE, "data", "real")
ADAPTER = os.path.join(ROOT, "scripts", "adapt_real.py")

# Per source: rows read per input file (None = all) and the periods replayed. The
# trimmed copies are the samples (tests/data/real/README.md): each replay takes seconds
# under ASan.
PLAN = {
    "planetlab": {"limit": None, "periods": ["2011-03", "2011"]},
    "nab": {"limit": None, "periods": ["2014-02", "2014-04", "2014", "2013-Q4"]},
    "cua": {"limit": None, "periods": ["2018", "2019-Q3", "2020", "2021"]},
    "upptime": {"limit": None, "periods": ["2026-03", "2026-Q2", "2026"]},
    "lanl": {"limit": None, "periods": ["2003", "2004-Q2", "2005-06"]},
}


# ---- helpers ---------------------------------------------------------------------------


def ts_ms(v):
    """Event time to integer ms UTC (the contract's two forms)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(v)
    t = v[:-1] + "+00:00" if v.endswith(("Z", "z")) else v
    dt = datetime.datetime.fromisoformat(t)
    return int(dt.timestamp()) * 1000 + dt.microsecond // 1000


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, **kw)


def json_line(stderr, kind):
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith('{"kind":"%s"' % kind):
            return json.loads(line)
    raise AssertionError("no %s line on stderr:\n%s" % (kind, stderr[-3000:]))


def adapt(tmp, source):
    out = os.path.join(tmp, source + ".ndjson")
    cfg = os.path.join(tmp, source + ".json")
    cmd = ["python3", ADAPTER, "--data", DATA, "--sources", source, "--out", out, "--config-out", cfg]
    if PLAN[source]["limit"] is not None:
        cmd += ["--limit", str(PLAN[source]["limit"])]
    p = run(cmd, text=True)
    assert p.returncode == 0, p.stderr[-3000:]
    return out, cfg, json_line(p.stderr, "adapt_summary")


def replay(tmp, events, cfg, periods=(), extra=()):
    dl = os.path.join(tmp, "dead.ndjson")
    cmd = [CLOUDQE, "replay", "--config", cfg, "--dead-letters", dl]
    for p in periods:
        cmd += ["--period", p]
    cmd += list(extra) + [events]
    p = run(cmd, timeout=600)
    stdout = p.stdout.decode("utf-8", "replace")
    stderr = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, "replay exit %d:\n%s" % (p.returncode, stderr[-3000:])
    records = [json.loads(x) for x in stdout.splitlines() if x.strip()]
    return records, json_line(stderr, "replay_summary"), dl


def read_events(path):
    """First copy of every id, in file order (the replay's dedup)."""
    seen = set()
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e["id"] in seen:
                continue
            seen.add(e["id"])
            e["_ms"] = ts_ms(e["ts"])
            out.append(e)
    return out


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def check_accounting(summary, lines):
    assert summary["lines"] == lines, (summary["lines"], lines)
    total = summary["applied"] + summary["duplicates"] + summary["dead_letters"]
    assert total == summary["lines"], summary


def snapshots(records):
    return [r for r in records if r.get("kind") == "snapshot"]


def span(rec):
    return ts_ms(rec["start"]), ts_ms(rec["end"])


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def check_ratios(records):
    for r in records:
        figs = r.get("figures", r)
        for key in ("availability", "probe_coverage", "cpu_mean", "mem_mean", "disk_mean", "net_mean"):
            v = figs.get(key)
            assert v is None or 0.0 <= v <= 1.0, (key, v, r.get("target", r.get("service")))


def in_target(e, target):
    return target == "platform" or e["provider"] == target


def check_cpu(snaps, events):
    """cpu_mean = sum(cpu * interval_s) / sum(interval_s) over samples with ts in P;
    cpu_max exact."""
    metrics = [e for e in events if e["type"] == "metric" and "cpu" in e]
    checked = 0
    for s in snaps:
        lo, hi = span(s)
        xs = [e for e in metrics if lo <= e["_ms"] < hi and in_target(e, s["target"])]
        figs = s["figures"]
        if not xs:
            assert figs.get("cpu_mean") is None, (s["target"], s["period"], figs.get("cpu_mean"))
            continue
        w = sum(e.get("interval_s", 60) for e in xs)
        mean = sum(e["cpu"] * e.get("interval_s", 60) for e in xs) / w
        assert figs["cpu_mean"] is not None and close(figs["cpu_mean"], mean), \
            (s["target"], s["period"], figs["cpu_mean"], mean)
        assert close(figs["cpu_max"], max(e["cpu"] for e in xs), 1e-12), (s["target"], s["period"])
        checked += 1
    return checked


def check_incidents(snaps, events):
    """figures.incidents = incidents whose first open has ts in P, attributed to the
    provider of that open."""
    first = {}
    for e in events:
        if e["type"] == "incident" and e["action"] == "open":
            k = (e["_ms"], e["id"])
            if e["incident"] not in first or k < first[e["incident"]][0]:
                first[e["incident"]] = (k, e)
    for s in snaps:
        lo, hi = span(s)
        want = sum(1 for k, e in first.values() if lo <= k[0] < hi and in_target(e, s["target"]))
        assert s["figures"]["incidents"] == want, (s["target"], s["period"], s["figures"]["incidents"], want)


def providers_with_snapshots(snaps):
    return {s["target"] for s in snaps}


def replay_source(source):
    tmp = tempfile.mkdtemp(prefix="cqe-real-")
    try:
        out, cfg, asum = adapt(tmp, source)
        src = asum["sources"][source]
        assert src["rows_read"] > 0 and src["events"] > 0, src
        lines = count_lines(out)
        assert lines == asum["events"], (lines, asum["events"])
        records, summary, dl = replay(tmp, out, cfg, PLAN[source]["periods"])
        check_accounting(summary, lines)
        assert summary["dead_letters"] == 0, (summary.get("dead_by_reason"), open(dl).read(2000))
        snaps = snapshots(records)
        want = set(src["providers"]) | {"platform"}
        assert want <= providers_with_snapshots(snaps), (want, providers_with_snapshots(snaps))
        got_periods = {s["period"] for s in snaps}
        assert set(PLAN[source]["periods"]) <= got_periods, got_periods
        check_ratios(records)
        events = read_events(out)
        return events, records, snaps, summary
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- the real sources ---------------------------------------------------------------------


def test_adapter_all_sources_valid():
    """The whole adapter run (every source, bounded): counts add up, ids and times fit
    the contract, and the configuration passes check-config."""
    tmp = tempfile.mkdtemp(prefix="cqe-real-")
    try:
        out = os.path.join(tmp, "all.ndjson.zst")
        cfg = os.path.join(tmp, "all.json")
        p = run(["python3", ADAPTER, "--data", DATA, "--out", out, "--config-out", cfg, "--limit", "500"],
                text=True)
        assert p.returncode == 0, p.stderr[-3000:]
        asum = json_line(p.stderr, "adapt_summary")
        assert set(asum["sources"]) == set(PLAN), asum["sources"].keys()
        plain = os.path.join(tmp, "all.ndjson")
        subprocess.run(["zstd", "-q", "-d", out, "-o", plain], check=True)
        n = 0
        with open(plain, encoding="utf-8") as f:
            for line in f:
                e = json.loads(line)
                n += 1
                assert 1 <= len(e["id"]) <= 128 and e["v"] == 1, e
                assert 946684800000 <= ts_ms(e["ts"]) < 4133980800000, e
        assert n == asum["events"] == sum(s["events"] for s in asum["sources"].values())
        lanl = asum["sources"]["lanl"]
        assert lanl["skipped"].get("ts_before_2000", 0) > 0, lanl  # 1996-1999 rows
        c = run([CLOUDQE, "check-config", cfg], text=True)
        assert c.returncode == 0, c.stdout + c.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_planetlab_cpu_mean():
    events, records, snaps, _ = replay_source("planetlab")
    assert check_cpu(snaps, events) >= 2  # planetlab and platform have samples
    for s in snaps:
        assert s["figures"]["incidents"] == 0


def test_nab_cpu_and_anomaly_incidents():
    events, records, snaps, _ = replay_source("nab")
    assert check_cpu(snaps, events) >= 2
    check_incidents(snaps, events)


CQE_OFFSET = datetime.timezone(datetime.timedelta(hours=8))  # utc_offset's default


def period_ms(label):
    """[start, end) in ms of a period id ("2019", "2019-Q3", "2019-07") at +08:00."""
    year = int(label[:4])
    if len(label) == 4:
        first, months = 1, 12
    elif label[5] == "Q":
        first, months = 3 * int(label[6]) - 2, 3
    else:
        first, months = int(label[5:7]), 1
    last = first + months
    start = datetime.datetime(year, first, 1, tzinfo=CQE_OFFSET)
    end = datetime.datetime(year + (last - 1) // 12, (last - 1) % 12 + 1, 1, tzinfo=CQE_OFFSET)
    return int(start.timestamp()) * 1000, int(end.timestamp()) * 1000


def cua_recoveries(operator_anchor="2019-01-01T00:00:00Z"):
    """{(provider, start ms, end ms, row key)} of the CUA incidents, read from the source
    CSVs: one incident per distinct (vendor, service id - the name where there is none -,
    location, severity, times) row, so the 7 GCP incidents listed again under a renamed
    product are one each; recovered after end - start; rows ending before they start are
    not incidents (docs/real-data.md).
    Operator-reported rows are seconds from operator_anchor (the adapter's default); the
    provider is the company of the file name ("github-status_..." -> github)."""
    base = os.path.join(DATA, "cua_cloud_incidents")
    rows = set()
    with open(os.path.join(base, "infra_cloud_incidents_2018_2020.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            key = (r["vendor"], r["service_id"] or r["service_name"]) + tuple(
                r[k] for k in ("location", "status", "event_start_time", "event_end_time",
                               "first_notification"))
            rows.add((r["vendor"].lower(), ts_ms(r["event_start_time"]), ts_ms(r["event_end_time"]), key))
    anchor = ts_ms(operator_anchor)
    for path in sorted(glob.glob(os.path.join(base, "operator_reported", "*.csv"))):
        company = os.path.basename(path).split("_")[0].replace("-status", "")
        with open(path, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                start = anchor + round(float(r["start_time"]) * 1000)
                end = anchor + round(float(r["end_time"]) * 1000)
                rows.add((company, start, end, (path, r["start_time"], r["end_time"], r["status"])))
    return {(p, s, e, k) for p, s, e, k in rows if e >= s}


def test_cua_incidents():
    events, records, snaps, summary = replay_source("cua")
    check_incidents(snaps, events)
    assert any(s["figures"]["incidents"] > 0 for s in snaps if s["target"] == "aws")
    # mttr_s = mean recovery time of the incidents opened in P (every row has an end)
    recoveries = cua_recoveries()
    with_value = 0
    for s in snaps:
        lo, hi = period_ms(s["period"])
        assert (lo, hi) == span(s), (s["period"], span(s))
        times = [e - st for p, st, e, _ in recoveries
                 if lo <= st < hi and (s["target"] == "platform" or p == s["target"])]
        got = s["figures"]["mttr_s"]
        if not times:
            assert got is None, (s["target"], s["period"], got)
            continue
        want = sum(times) / len(times) / 1000.0
        assert got is not None and close(got, want, 1e-12), (s["target"], s["period"], got, want)
        with_value += 1
    assert with_value >= 10, with_value


def test_upptime_probe_minutes():
    events, records, snaps, _ = replay_source("upptime")
    complete = {s["period"]: span(s) for s in snaps if s.get("complete")}
    # probe-down minutes: UTC minutes with results of which more than half failed
    per = collections.defaultdict(lambda: [0, 0])
    for e in events:
        if e["type"] == "probe":
            c = per[(e["service"], e["_ms"] // 60000)]
            c[0] += 1
            c[1] += not e["ok"]
    checked = 0
    for r in records:
        if r.get("kind") != "service" or r["period"] not in complete:
            continue
        lo, hi = complete[r["period"]]
        want = sum(1 for (svc, minute), (n, bad) in per.items()
                   if svc == r["service"] and lo <= minute * 60000 < hi and 2 * bad > n)
        assert r["probe_down_minutes"] == want, (r["service"], r["period"], r["probe_down_minutes"], want)
        # no incidents, no maintenance, 7x24: downtime is exactly the down minutes
        assert close(r["downtime_s"], 60.0 * want, 1e-9), (r["service"], r["downtime_s"], want)
        if r["agreed_s"]:
            assert close(r["availability"], 1 - r["downtime_s"] / r["agreed_s"], 1e-12)
        checked += 1
    assert checked > 0, "no service record of a complete period"


Y2000_AT_LOS_ALAMOS = datetime.datetime(1999, 12, 31, 17, 0)  # 2000-01-01Z at -07:00


def test_lanl_failures():
    events, records, snaps, summary = replay_source("lanl")
    check_incidents(snaps, events)
    assert any(s["figures"]["incidents"] > 0 for s in snaps if s["target"] == "lanl")
    # a row repeated word for word repeats its open and resolve: counted from the CSV
    # over the rows the adapter keeps (started from 2000-01-01Z on)
    seen, repeats = set(), 0
    path = os.path.join(DATA, "lanl_failures", "LA-UR-05-7318-failure-data-1996-2005.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        started = next(rows).index("Prob Started")
        for row in rows:
            if datetime.datetime.strptime(row[started], "%m/%d/%Y %H:%M") >= Y2000_AT_LOS_ALAMOS:
                repeats += 2 * (tuple(row) in seen)
            seen.add(tuple(row))
    assert repeats > 0 and summary["duplicates"] == repeats, (summary["duplicates"], repeats)


# ---- the generator ---------------------------------------------------------------------------

GEN_ARGS = ["gen", "--seed", "20260301", "--days", "2", "--services", "40", "--vms", "150",
            "--hosts", "10", "--dup-share", "0.01", "--bad-share", "0.005"]


def gen(tmp, name):
    out = os.path.join(tmp, name)
    cfg = out + ".config.json"
    p = run([CLOUDQE] + GEN_ARGS + ["--out", out, "--config-out", cfg])
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-3000:]
    return out, cfg, json_line(p.stderr.decode("utf-8", "replace"), "gen_summary")


def test_gen_deterministic_and_replayed():
    tmp = tempfile.mkdtemp(prefix="cqe-gen-")
    try:
        a, cfg_a, ga = gen(tmp, "a.ndjson")
        b, cfg_b, gb = gen(tmp, "b.ndjson.zst")
        plain_b = os.path.join(tmp, "b.ndjson")
        subprocess.run(["zstd", "-q", "-d", b, "-o", plain_b], check=True)
        with open(a, "rb") as fa, open(plain_b, "rb") as fb:
            assert fa.read() == fb.read(), "same seed, different bytes"
        with open(cfg_a, "rb") as fa, open(cfg_b, "rb") as fb:
            assert fa.read() == fb.read(), "same seed, different configuration"
        for k in ("lines", "by_type", "duplicates", "malformed"):
            assert ga[k] == gb[k], k
        assert ga["malformed"] > 0 and ga["duplicates"] > 0 and ga["late"] > 0, ga
        lines = count_lines(a)
        assert lines == ga["lines"]
        c = run([CLOUDQE, "check-config", cfg_a], text=True)
        assert c.returncode == 0, c.stdout + c.stderr

        records, s, dl = replay(tmp, a, cfg_a)
        check_accounting(s, lines)
        assert s["dead_letters"] == ga["malformed"], (s["dead_letters"], ga["malformed"],
                                                      s.get("dead_by_reason"), ga["malformed_by_kind"])
        assert s["duplicates"] >= ga["duplicates"], (s["duplicates"], ga["duplicates"])
        assert count_lines(dl) == s["dead_letters"]
        for t, n in ga["by_type"].items():  # the valid lines, once each
            assert s["by_type"].get(t, 0) == n, (t, s["by_type"].get(t), n)
        snaps = snapshots(records)
        assert {"gz-telecom", "gz-unicom", "gz-mobile", "platform"} <= providers_with_snapshots(snaps)
        check_ratios(records)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_gen_options_refused():
    p = run([CLOUDQE, "gen", "--days", "2"])
    assert p.returncode == 2, p.returncode  # --seed is required
    p = run([CLOUDQE, "gen", "--seed", "1", "--days", "2", "--late-share", "2"])
    assert p.returncode == 2, p.returncode
    p = run([CLOUDQE, "gen", "--help"])
    assert p.returncode == 0 and b"--metric-interval-s" in p.stdout
