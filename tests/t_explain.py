"""`cloudqe explain` (issue 13): the evidence behind a leaf worked out by hand on the small
case tests/explain/ (two services, overlapping incidents, probe-down minutes, an excluded
and a late maintenance window, late and pending tickets; the hand derivation is in
tests/explain/WORKING.md and in the comments below), the contributions of a node with a
not-evaluable child, --json against schemas/explain.schema.json, event files versus the
Redis state, the invariants (evidence adds up to the figure, contributions to the score)
on a generated province month, and the refusals (exit 2 naming what is known).

The binary is $CLOUDQE (default build/san/cloudqe; relative paths from the repo root)."""
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASE = os.path.join(HERE, "explain")
CONFIG = os.path.join(CASE, "config.json")
EVENTS = os.path.join(CASE, "events.ndjson")
AS_OF = "2026-04-01T00:00:00+08:00"  # March complete: the span is all 31 days
MONTH_S = 31 * 86400  # 2,678,400 s
TOL = 1e-9


def binary():
    path = os.environ.get("CLOUDQE", "build/san/cloudqe")
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def run(args, expect=0):
    p = subprocess.run([binary(), *args], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert p.returncode == expect, f"cloudqe {' '.join(args)}: exit {p.returncode}, expected {expect}\n{p.stderr[-3000:]}"
    return p


def explain(indicator=None, target="p1", source=(EVENTS,), json_out=True, config=CONFIG, as_of=AS_OF,
            period="2026-03"):
    args = ["explain", "--config", config, "--target", target, "--period", period, "--as-of", as_of]
    if indicator:
        args += ["--indicator", indicator]
    if json_out:
        args.append("--json")
    out = run(args + list(source)).stdout
    return json.loads(out) if json_out else out


def close(a, b, what):
    assert abs(a - b) <= TOL * max(1.0, abs(a), abs(b)), f"{what}: {a!r} != {b!r}"


def by_id(items):
    return {i.get("id"): i for i in items}


# ---------------------------------------------------------------- availability by hand

# s1 (7x24, weight 2, target 0.999). Agreed 2,678,400 s. W1 (03-05 02:00-04:00, announced
# 03-01, >= 86400 s ahead) excludes 7200 s -> counted 2,671,200 s. On 03-10: I1 10:00-11:00
# outage scope 0.5 (weight 0.5), I2 10:30-11:30 outage (weight 1); the probe minute 10:45
# (2 of 2 failed) is down. Largest weight per instant:
#   10:00-10:30 I1 0.5: 1800 s -> 900 down
#   10:30-11:30 I2 1  : 3600 s - the probe minute 60 s = 3540 s -> 3540 down
#   10:45-10:46 probe : 60 s -> 60 down
# 03-12: 08:00 (1 of 1 failed) and 08:01 (2 of 3) are down, 08:02 (1 of 2: not more than
# half) is up -> one run 08:00-08:02, 120 s. 03-05: I4 03:30-04:30 (weight 1) inside W1
# until 04:00 -> 1800 s counted; the probe minute 03:00 lies in W1 -> not counted.
# I3 (03-15) is customer-caused -> not counted.
# s1 downtime = 900 + 3540 + 1800 + 60 + 120 = 6420 s; A_s1 = 1 - 6420 / 2671200 < 0.999
S1_DOWN = 900 + 3540 + 1800 + 60 + 120
S1_COUNTED = MONTH_S - 7200
A_S1 = 1 - S1_DOWN / S1_COUNTED
# s2 (weight 1, target 0.998): W2 (03-20 01:00-02:00) announced 03-19 12:00, 13 h ahead
# (< 86400 s) -> not excluded. I5 01:30-02:30 weight 1, probe minute 01:40 down:
# 3600 - 60 = 3540 s for I5 + 60 s probe = 3600 s; A_s2 = 1 - 3600 / 2678400 >= 0.998
S2_DOWN = 3540 + 60
A_S2 = 1 - S2_DOWN / MONTH_S
A11 = (2 * A_S1 + 1 * A_S2) / 3


def test_availability_evidence_by_hand():
    r = explain("A1.1")
    close(r["value"], A11, "A1.1")
    ev = r["evidence"]
    assert ev["leaf"] == "A1.1"
    items = ev["items"]
    assert [i["id"] for i in items] == ["s1", "s2"], "largest effect first"
    s1, s2 = items
    close(s1["effect"], 2 / 3 * (1 - A_S1), "s1 pull")
    close(s2["effect"], 1 / 3 * (1 - A_S2), "s2 pull")
    close(s1["effect"] + s2["effect"], 1 - r["value"], "pulls add up to 1 - A1.1")
    assert (s1["side"], s2["side"]) == ("missed", "met")
    close(s1["agreed_s"], MONTH_S, "s1 agreed")
    close(s1["maintenance_s"], 7200, "s1 maintenance")
    close(s1["counted_s"], S1_COUNTED, "s1 counted")
    close(s1["downtime_s"], S1_DOWN, "s1 down")
    close(s1["availability"], A_S1, "A_s1")
    assert s1["probe_down_minutes"] == 4  # 10:45, 08:00, 08:01 and 03:00 (in W1) are minutes of the span
    want = [("incident", "I4", "2026-03-05T03:30:00+08:00", "2026-03-05T04:30:00+08:00", 1800, 1, 1800),
            ("incident", "I1", "2026-03-10T10:00:00+08:00", "2026-03-10T10:30:00+08:00", 1800, 0.5, 900),
            ("incident", "I2", "2026-03-10T10:30:00+08:00", "2026-03-10T11:30:00+08:00", 3540, 1, 3540),
            ("probe_down", None, "2026-03-10T10:45:00+08:00", "2026-03-10T10:46:00+08:00", 60, 1, 60),
            ("probe_down", None, "2026-03-12T08:00:00+08:00", "2026-03-12T08:02:00+08:00", 120, 1, 120)]
    got = [(i["kind"], i.get("id"), i["from"], i["to"], i["seconds"], i["weight"], i["down_s"])
           for i in s1["intervals"]]
    assert got == want, got
    close(sum(i["down_s"] for i in s1["intervals"]), s1["downtime_s"], "intervals add up to downtime")
    inc = [(i["id"], i["side"], i["seconds"], i["down_s"]) for i in s1["incidents"]]
    assert inc == [("I2", "counted", 3540, 3540), ("I4", "counted", 1800, 1800), ("I1", "counted", 1800, 900),
                   ("I3", "not_counted", 0, 0)], inc
    assert by_id(s1["incidents"])["I3"]["reason"] == "not provider-caused"
    probe = sum(i["down_s"] for i in s1["intervals"] if i["kind"] == "probe_down")
    close(sum(i["down_s"] for i in s1["incidents"]) + probe, S1_DOWN, "incidents + probe runs")
    assert [(w["id"], w["side"], w["seconds"]) for w in s1["maintenance"]] == [("W1", "excluded", 7200)]
    # s2: the late window is listed with why, and excludes nothing
    close(s2["downtime_s"], S2_DOWN, "s2 down")
    close(s2["maintenance_s"], 0, "s2 maintenance")
    [w2] = s2["maintenance"]
    assert (w2["id"], w2["side"], w2["seconds"]) == ("W2", "not_excluded", 0) and "announced" in w2["reason"]
    assert [(i["kind"], i.get("id"), i["seconds"]) for i in s2["intervals"]] == [("incident", "I5", 3540),
                                                                                ("probe_down", None, 60)]


def test_a_service_never_down():
    """A third service of p1 with no event at all: no down interval to sort (its list was
    NULL, which qsort may not be given: the sanitizer build stopped here), availability 1,
    effect 0, listed last; s1 and s2 keep their down seconds."""
    work = tempfile.mkdtemp(prefix="cqe-explain-up-")
    try:
        with open(CONFIG, encoding="utf-8") as f:
            cfg = json.load(f)
        cfg["services"].append({"id": "s3", "provider": "p1", "dept": "d1", "target": 0.99})
        config = os.path.join(work, "config.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        items = explain("A1.1", config=config)["evidence"]["items"]
        assert [(i["id"], i["downtime_s"]) for i in items] == [("s1", S1_DOWN), ("s2", S2_DOWN), ("s3", 0)], items
        assert items[2]["availability"] == 1 and items[2]["effect"] == 0 and "intervals" not in items[2], items[2]
        assert explain(config=config)["node"]["id"] == "total"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_evidence_equals_the_snapshot_figures():
    """The leaf's value and each service's seconds are the replay's own figures."""
    out = run(["replay", "--config", CONFIG, "--period", "2026-03", "--as-of", AS_OF, EVENTS]).stdout
    recs = [json.loads(line) for line in out.splitlines()]
    snap = next(r for r in recs if r["kind"] == "snapshot" and r["target"] == "p1")
    svc = {r["service"]: r for r in recs if r["kind"] == "service"}
    r = explain("A1.1")
    close(r["value"], snap["figures"]["A1.1"], "A1.1")
    for it in r["evidence"]["items"]:
        for k in ("agreed_s", "maintenance_s", "downtime_s", "availability"):
            close(it[k], svc[it["id"]][k], f"{it['id']} {k}")
    close(sum(i["downtime_s"] for i in r["evidence"]["items"]), snap["figures"]["downtime_s"], "target down")
    close(r["score"], snap["score"], "score")


# ---------------------------------------------------------------- tickets by hand

def test_late_tickets_behind_a2_3():
    # T1 closed before due, T5 closed before due: on time. T2 due 03-06 09:00, closed 03-07
    # 09:00: late, elapsed 172800 s, deadline 86400 s. T3 opened 03-25 10:00, due 03-26
    # 10:00, still open at 04-01 00:00: late, elapsed 6 d 14 h = 568800 s. T4 opened 03-31
    # 12:00, due 04-02 12:00: pending (elapsed 43200 s of 172800). A2.3 = 2 / (2 + 2) = 0.5.
    r = explain("A2.3")
    close(r["value"], 0.5, "A2.3")
    ev = r["evidence"]
    assert ev["summary"] == {"on_time": 2, "late": 2, "pending": 1}, ev["summary"]
    got = [(i["id"], i["side"], i["elapsed_s"], i["deadline_s"], i.get("overrun_s"), i["effect"])
           for i in ev["items"]]
    assert got == [("T3", "late", 568800, 86400, 482400, 0.25), ("T2", "late", 172800, 86400, 86400, 0.25),
                   ("T4", "pending", 43200, 172800, None, 0)], got
    close(sum(i["effect"] for i in ev["items"]), 1 - r["value"], "effects add up to 1 - A2.3")
    # C3: T5 is the one complaint of 5 tickets opened in March: 100 x 1 / 5 = 20
    c3 = explain("C3")
    close(c3["value"], 20, "C3")
    assert [(i["id"], i["effect"]) for i in c3["evidence"]["items"]] == [("T5", 20)]


# ---------------------------------------------------------------- nodes by hand

def test_node_with_a_not_evaluable_child():
    # A5: A5.1 weight 3 = 1 of 2 services met (s2) -> 0.5 -> 50 points; A5.2 weight 3 has no
    # migration -> not evaluable; A5.3 weight 2 = 10 of 10 audit events traced -> 100 points.
    # Re-normalised over 3 + 2 = 5: shares 3/5 and 2/5; contributions 30 and 40; A5 = 70.
    r = explain("A5")
    kids = by_id(r["children"])
    close(kids["A5.1"]["share"], 3 / 5, "A5.1 share")
    close(kids["A5.1"]["contribution"], 30, "A5.1 contribution")
    assert kids["A5.2"]["evaluable"] is False and kids["A5.2"]["share"] == 0
    assert kids["A5.2"]["contribution"] is None
    close(kids["A5.3"]["share"], 2 / 5, "A5.3 share")
    close(kids["A5.3"]["contribution"], 40, "A5.3 contribution")
    close(r["node"]["points"], 70, "A5")
    assert r["not_evaluable"] == ["A5.2"]
    assert (r["weight_total"], r["weight_evaluable"]) == (8, 5)
    # raise most: A5.1 gap 3/5 x (100 - 50) = 30, A5.3 2/5 x 0 = 0
    assert [(g["id"], g["gap"]) for g in r["raise"]] == [("A5.1", 30), ("A5.3", 0)]
    # the node's share of the total: A = 50 of the evaluable 50 + 25 (B has nothing); A5 = 8
    # of A's evaluable A1 14 + A2 12 + A5 8 = 34 (A3 and A4 have nothing)
    close(r["node"]["share_of_total"], 50 / 75 * 8 / 34, "A5 share of total")


def test_root_contributions_and_largest_gap():
    r = explain()
    kids = by_id(r["children"])
    assert r["not_evaluable"] == ["B"]
    close(kids["A"]["share"], 50 / 75, "A share")
    close(kids["C"]["share"], 25 / 75, "C share")
    close(sum(k["contribution"] for k in r["children"] if k["contribution"] is not None), r["score"],
          "contributions add up to the score")
    # C has only C3 (20 complaints per 100 -> curve [[0,100],[5,0]] -> 0 points): its share of
    # the total is 1/3 and its gap 1/3 x 100, the largest of all
    top = r["raise"][0]
    assert top["id"] == "C3"
    close(top["gap"], 100 / 3, "C3 gap")
    assert r["grade_en"] == "fail" and r["score"] < 60


# ---------------------------------------------------------------- utilization by hand

UCASE = os.path.join(HERE, "explain_util")  # WORKING.md there holds the arithmetic
UCONFIG = os.path.join(UCASE, "config.json")
UEVENTS = os.path.join(UCASE, "events.ndjson")
BANDS = [f"{10 * k}-{10 * k + 10}%" for k in range(10)]


def uexplain(indicator, target="p1", json_out=True, source=(UEVENTS,)):
    return explain(indicator, target=target, source=source, json_out=json_out, config=UCONFIG)


def of_kind(items, kind):
    return [i for i in items if i["kind"] == kind]


def assert_bands(dist, want, what):
    """want: {band id: weight share}; the other bands hold nothing."""
    assert [b["id"] for b in dist["bands"]] == BANDS, dist["bands"]
    cum = 0
    for k, b in enumerate(dist["bands"]):
        share = want.get(BANDS[k], 0)
        cum += share
        close(b["from"], k / 10, f"{what} {b['id']} from")
        close(b["to"], (k + 1) / 10, f"{what} {b['id']} to")
        close(b["share"], share, f"{what} {b['id']} share")
        close(b["cum_share"], cum, f"{what} {b['id']} cumulative")
        close(b["weight_s"], share * dist["weight_s"], f"{what} {b['id']} weight")
    close(sum(b["share"] for b in dist["bands"]), 1, f"{what}: the bands add up to 1")


def test_util_memory_resources_by_hand():
    # p1 memory: v1 2400 s, 1560; v2 3600 s, 720; v3 1800 s, 900; the host h1 2400 s, 1920.
    # W = 10200, mean 5100 / 10200 = 0.5. pull = w / W x (resource mean - 0.5).
    r = uexplain("B1.2")
    close(r["value"], 0.5, "B1.2")
    items = r["evidence"]["items"]
    got = [(i["kind"], i.get("id")) for i in items]
    assert got == [("resource", "v2"), ("remainder", None), ("resource", "v1"), ("pool", "p1"),
                   ("resource", "v3")], got
    res = by_id(of_kind(items, "resource"))
    want = {"v1": (0.65, 4 / 17, 0.6 / 17, "above"), "v2": (0.2, 6 / 17, -1.8 / 17, "below"),
            "v3": (0.5, 3 / 17, 0.0, "at")}
    for rid, (mean, share, pull, side) in want.items():
        it = res[rid]
        close(it["mean"], mean, f"{rid} mean")
        close(it["weight_share"], share, f"{rid} weight share")
        close(it["pull"], pull, f"{rid} pull")
        close(it["effect"], abs(pull), f"{rid} effect")
        assert it["side"] == side and it["against"] is False, it
    [rest] = of_kind(items, "remainder")  # h1: a host, in the mean but not a vm resource
    close(rest["weight_share"], 4 / 17, "remainder share")
    close(rest["mean"], 0.8, "remainder mean")
    close(rest["pull"], 1.2 / 17, "remainder pull")
    # the decomposition: the listed pulls and the remainder's add up to 0 (shares to 1)
    close(sum(i["pull"] for i in of_kind(items, "resource")) + rest["pull"], 0, "pulls add up to 0")
    close(sum(i["weight_share"] for i in of_kind(items, "resource")) + rest["weight_share"], 1, "shares")
    [pool] = of_kind(items, "pool")
    assert (pool["side"], pool["pull"], pool["effect"]) == ("at", 0, 0), pool


def test_util_low_cpu_vms_by_hand():
    # p1 cpu weight 10800 s (v1 2400, v2 4800, v3 1200, h1 2400); under idle_cpu_below 0.2:
    # v2 all 4800 s (0.10 and 0.196), v1 600 of 2400 s, v3 none. Not a pull: no "pull".
    r = uexplain("B1.1")
    close(r["value"], 3865.2 / 10800, "B1.1")
    items = r["evidence"]["items"]
    got = [(i["kind"], i["id"], i["side"]) for i in items]
    assert got == [("resource", "v2", "low_cpu"), ("resource", "v1", "not_low_cpu"), ("pool", "p1", "at"),
                   ("resource", "v3", "not_low_cpu")], got
    want = {"v2": (1.0, 4 / 9), "v1": (0.25, 2 / 9), "v3": (0.0, 1 / 9)}
    res = by_id(of_kind(items, "resource"))
    for rid, (low, share) in want.items():
        it = res[rid]
        close(it["low_cpu_share"], low, f"{rid} time under the idle threshold")
        close(it["weight_share"], share, f"{rid} weight share")
        close(it["idle_cpu_below"], 0.2, f"{rid} threshold")
        assert "pull" not in it and "mean" not in it and it["effect"] == 0, it
    # the host's 2400 s are in the mean, not in the list
    close(sum(i["weight_share"] for i in res.values()), 7 / 9, "listed vms' weight")


def test_util_distribution_by_hand():
    r = uexplain("B1.2")
    d = r["evidence"]["distribution"]
    assert d["weight_s"] == 10200
    close(d["p50"], 0.5, "mem p50")
    close(d["p95"], 0.9, "mem p95")
    close(d["max"], 0.9, "mem max")
    assert_bands(d, {"20-30%": 6 / 17, "30-40%": 2 / 17, "50-60%": 1 / 17, "70-80%": 3 / 17, "80-90%": 4 / 17,
                     "90-100%": 1 / 17}, "B1.2")
    r = uexplain("B1.1")  # 0.196 is under the idle threshold 0.2 but rounds to the 20-30 % band
    d = r["evidence"]["distribution"]
    assert d["weight_s"] == 10800
    close(d["p50"], 0.2, "cpu p50")
    close(d["p95"], 0.9, "cpu p95")
    assert_bands(d, {"0-10%": 1 / 18, "10-20%": 1 / 3, "20-30%": 1 / 9, "40-50%": 1 / 6, "60-70%": 2 / 9,
                     "90-100%": 1 / 9}, "B1.1")
    r = uexplain("B2")  # disk: the pools and the distribution, no resource list
    close(r["value"], 0.45, "B2")
    assert [i["kind"] for i in r["evidence"]["items"]] == ["pool"]
    assert_bands(r["evidence"]["distribution"], {"0-10%": 0.2, "50-60%": 0.8}, "B2")
    assert uexplain("B1.3")["evidence"]["distribution"] is None  # not a mean of samples


def test_util_platform_pools_by_hand():
    r = uexplain("B1.2", target="platform")
    close(r["value"], 28 / 65, "platform B1.2")
    pools = by_id(of_kind(r["evidence"]["items"], "pool"))
    close(pools["p1"]["weight_share"], 17 / 26, "p1 share")
    close(pools["p1"]["pull"], 153 / 3380, "p1 pull")
    close(pools["p2"]["pull"], -153 / 3380, "p2 pull")
    assert (pools["p1"]["side"], pools["p2"]["side"]) == ("above", "below")
    close(by_id(of_kind(r["evidence"]["items"], "resource"))["v9"]["pull"], -153 / 3380, "v9 is p2")
    assert r["evidence"]["distribution"]["weight_s"] == 15600
    r = uexplain("B1.1", target="platform")
    mean = 4981.2 / 16200
    close(r["value"], mean, "platform B1.1")
    pools = by_id(of_kind(r["evidence"]["items"], "pool"))
    close(pools["p1"]["pull"], 2 / 3 * (3865.2 / 10800 - mean), "p1 cpu pull")
    close(pools["p2"]["pull"], 1 / 3 * (1116 / 5400 - mean), "p2 cpu pull")
    close(pools["p1"]["pull"] + pools["p2"]["pull"], 0, "pool pulls add up to 0")
    v9 = by_id(of_kind(r["evidence"]["items"], "resource"))["v9"]
    close(v9["low_cpu_share"], 1 / 3, "v9 under the threshold")
    close(v9["weight_share"], 1 / 3, "v9 weight share")


def test_util_text_is_bilingual_and_cut():
    out = uexplain("B1.2", json_out=False)
    for want in ("分布 Distribution", "50–60 %", "5.88 %", "资源 resource v2", "其余 remainder",
                 "拉动 pull -0.1058823529", "等于均值 at the mean", "低于均值 below the mean"):
        assert want in out, f"{want!r} missing from:\n{out}"
    out = uexplain("B1.1", json_out=False)
    for want in ("CPU低于空闲阈值时间占比 time under idle_cpu_below", "空闲CPU阈值 idle_cpu_below 0.2",
                 "低CPU low CPU", "p50 0.2"):
        assert want in out, f"{want!r} missing from:\n{out}"
    assert "拉动 pull" not in out.split("资源池 pool")[0], "B1.1 vms carry no pull"
    # 25 vms: the text lists 20 and says how many more; --json lists every one
    import tempfile
    d = tempfile.mkdtemp(prefix="cqe-explain-util-")
    path = os.path.join(d, "events.ndjson")
    with open(path, "w", encoding="utf-8") as f:
        for k in range(25):
            f.write(json.dumps({"v": 1, "id": f"m{k}", "type": "metric", "ts": "2026-03-02T00:00:00+08:00",
                                "provider": "p1", "resource": f"vm{k:02d}", "pool": "a", "kind": "vm",
                                "cpu": 0.5, "mem": k / 100, "interval_s": 60}) + "\n")
    out = uexplain("B1.2", json_out=False, source=(path,))
    assert "  20. 资源 resource" in out and "  21. " not in out, out
    assert "另有 6 项 and 6 more (--json lists them all)" in out, out  # 25 vms + the pool
    assert len(uexplain("B1.2", source=(path,))["evidence"]["items"]) == 26


def test_util_files_and_state_give_the_same_record():
    import t_redis
    srv = t_redis.shared_server()
    run(["replay", "--config", UCONFIG, "--state", srv.url(), "--partitions", "2", UEVENTS])
    for ind in ("B1.1", "B1.2", "B2"):
        for target in ("p1", "platform"):
            mem = uexplain(ind, target=target)
            red = uexplain(ind, target=target, source=("--state", srv.url()))
            assert mem == red, f"{ind} {target}: files and --state differ"


# ---------------------------------------------------------------- schema, text, refusals

def validator():
    from jsonschema import Draft202012Validator
    with open(os.path.join(ROOT, "schemas/explain.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_valid(v, rec, what):
    errors = [f"{e.json_path}: {e.message}" for e in v.iter_errors(rec)]
    assert not errors, f"{what}: " + "; ".join(errors[:5])


def test_json_follows_the_schema():
    v = validator()
    for ind in (None, "A", "A5", "A1.1", "A2.1", "A2.3", "A5.1", "A5.2", "A5.3", "C3"):
        assert_valid(v, explain(ind), ind or "total")
    for ind in ("B1.1", "B1.2", "B1.3", "B2", "B3"):
        for target in ("p1", "platform"):
            assert_valid(v, uexplain(ind, target=target), f"{ind} {target}")
    bad = uexplain("B1.2")
    del bad["evidence"]["distribution"]
    assert list(v.iter_errors(bad)), "an evidence object without its distribution must not validate"
    # and the schema refuses what it should: a leaf without its evidence
    bad = explain("A1.1")
    del bad["evidence"]
    assert list(v.iter_errors(bad)), "a leaf record without evidence must not validate"


def test_text_is_bilingual():
    out = explain("A1.1", json_out=False)
    for want in ("服务可用率 service availability", "证据 Evidence", "区间 down intervals", "维护 maintenance",
                 "曲线 Curve", "I2", "3540"):
        assert want in out, f"{want!r} missing from:\n{out}"
    out = explain("A5", json_out=False)
    for want in ("贡献 contribution", "不可评 not evaluable", "重新归一 Re-normalised", "最能提分"):
        assert want in out, f"{want!r} missing from:\n{out}"


def test_unknown_target_indicator_period_exit_2():
    base = ["explain", "--config", CONFIG, "--as-of", AS_OF]
    p = run(base + ["--target", "nobody", "--period", "2026-03", EVENTS], expect=2)
    assert "nobody" in p.stderr and "platform" in p.stderr and "p1" in p.stderr, p.stderr
    p = run(base + ["--target", "p1", "--period", "2026-03", "--indicator", "Z9", EVENTS], expect=2)
    assert "Z9" in p.stderr and "A1.1" in p.stderr and "C3" in p.stderr, p.stderr
    p = run(base + ["--target", "p1", "--period", "March", EVENTS], expect=2)
    assert "2026-Q1" in p.stderr, p.stderr
    run(base + ["--target", "p1", "--period", "2026-03"], expect=2)  # neither files nor --state
    assert "Example:" in run(["explain", "--help"]).stdout


# ---------------------------------------------------------------- files versus Redis

def test_files_and_state_give_the_same_record():
    import t_redis
    srv = t_redis.shared_server()
    run(["replay", "--config", CONFIG, "--state", srv.url(), "--partitions", "3", EVENTS])
    for ind in (None, "A1.1", "A2.3", "A5"):
        mem = explain(ind)
        red = explain(ind, source=("--state", srv.url()))
        assert mem == red, f"{ind}: files and --state differ"
    text_mem = explain("A1.1", json_out=False)
    assert text_mem == explain("A1.1", source=("--state", srv.url()), json_out=False)


# ---------------------------------------------------------------- invariants, generated data

_gen = []


def generated():
    """A generated province month (the generator's small shape), once."""
    if not _gen:
        import tempfile
        d = tempfile.mkdtemp(prefix="cqe-explain-")
        path, cfg = os.path.join(d, "events.ndjson"), os.path.join(d, "config.json")
        run(["gen", "--seed", "7", "--days", "30", "--vms", "12", "--hosts", "2", "--services", "8",
             "--probe-share", "0.5", "--metric-interval-s", "3600", "--probe-interval-s", "1800", "--out", path,
             "--config-out", cfg])
        _gen.extend((path, cfg))
    return _gen


# what each leaf's effects add up to (docs/scoring.md, "explain")
GAP = {"A1.2": lambda v: v, "C3": lambda v: v, "B1.3": lambda v: v, "C1": lambda v: 100 - v}


def test_invariants_on_a_generated_month():
    path, cfg = generated()
    v = validator()
    first = run(["replay", "--config", cfg, "--no-services", path]).stdout.splitlines()[0]
    period, as_of = json.loads(first)["period"], json.loads(first)["as_of"]
    checked = 0

    def args(ind):
        return (["explain", "--config", cfg, "--target", "platform", "--period", period, "--as-of", as_of,
                 "--json"] +
                (["--indicator", ind] if ind else []) + [path])
    for ind in (None, "A", "A1.1", "A2.1", "A2.2", "A2.3", "A3.1", "A3.2", "A3.3", "A4.2", "A5.3", "B1.1",
                "B1.2", "B1.3", "B2", "B3", "B4.1", "C1", "C2", "C3"):
        r = json.loads(run(args(ind)).stdout)
        assert_valid(v, r, ind or "total")
        if "children" in r:
            if r["node"]["points"] is not None:
                close(sum(k["contribution"] or 0 for k in r["children"]), r["node"]["points"], f"{ind} sum")
            continue
        if r["value"] is None:
            continue
        items = r["evidence"]["items"]
        if ind in ("B1.1", "B1.2", "B2", "B3"):
            close(sum(i["pull"] for i in items if i["kind"] == "pool"), 0, f"{ind}: pool pulls add up to 0")
            if ind == "B1.2":  # the vm resources and the rest (hosts) decompose the mean
                close(sum(i["pull"] for i in items if i["kind"] != "pool"), 0, "resource pulls add up to 0")
            close(sum(b["share"] for b in r["evidence"]["distribution"]["bands"]), 1, f"{ind} bands")
        elif ind != "A3.3":  # drills: an unplanned success is not a planned one's
            gap = GAP.get(ind, lambda x: 1 - x)(r["value"])
            close(sum(i["effect"] for i in items), gap, f"{ind}: effects add up to the gap")
        if ind == "A1.1":
            for s in items:
                close(sum(i["down_s"] for i in s.get("intervals", [])), s["downtime_s"], f"{s['id']} down")
                close(sum(w["seconds"] for w in s.get("maintenance", [])), s["maintenance_s"],
                      f"{s['id']} maintenance")
        checked += 1
    assert checked >= 8, f"only {checked} leaves had a value on the generated month"


def test_every_count_label_is_bilingual():
    """On the generated month, the tallies of every leaf (计数 Counts:) read in Chinese
    with the English beside: no key of the JSON shows through untranslated."""
    import re
    path, cfg = generated()
    first = json.loads(run(["replay", "--config", cfg, "--no-services", path]).stdout.splitlines()[0])
    seen = 0
    for ind in ("A1.2", "A2.1", "A2.2", "A2.3", "A3.2", "A3.3", "A4.1", "A4.2", "A5.2", "B1.3", "B4.1", "B4.2",
                "C1", "C3"):
        out = run(["explain", "--config", cfg, "--target", "platform", "--period", first["period"], "--as-of",
                   first["as_of"], "--indicator", ind, path]).stdout
        for line in out.splitlines():
            if not line.startswith("计数 Counts:"):
                continue
            # "label number" pairs, two spaces apart; each label holds a Chinese character
            for pair in line[len("计数 Counts:"):].strip().split("  "):
                label = pair.rsplit(" ", 1)[0]
                assert re.search(r"[\u4e00-\u9fff]", label), f"{ind}: {label!r} untranslated in {line!r}"
                seen += 1
    assert seen >= 10, seen


def test_service_probed_up_only_has_no_down_interval():
    """A service whose probes all succeed (no down interval, no incident): A1.1 is 1, its
    evidence lists the service with 0 down seconds and no intervals (this once passed a
    null array to qsort, which UBSan stops)."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        ev = os.path.join(d, "up.ndjson")
        with open(ev, "w", encoding="utf-8") as f:
            for day in (1, 31):
                f.write(json.dumps({"v": 1, "id": f"pr{day}", "type": "probe", "provider": "p1", "service": "s1",
                                    "ts": f"2026-03-{day:02d}T00:00:00+08:00", "ok": True}) + "\n")
        r = json.loads(run(["explain", "--target", "p1", "--period", "2026-03", "--as-of", AS_OF, "--indicator",
                            "A1.1", "--json", ev]).stdout)
    assert r["value"] == 1 and r["node"]["points"] == 100, r
    (item,) = r["evidence"]["items"]
    assert item["id"] == "s1" and item["downtime_s"] == 0 and not item.get("intervals"), item
