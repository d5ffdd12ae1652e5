"""Numbers in cloudqe's JSON output, end to end (docs/outputs.md, "Numbers"): a real is
written with the fewest digits that read back as the same double (as Python's repr
writes it), an integer-valued real keeps ".0", integers stay integers.

One incident of s1 lasts 267.84 s (00:00:00 to 00:04:27.840) in March 2026 (31 days,
2,678,400 s agreed, 7x24), so by semantics.md availability = 1 − 267.84 / 2678400 =
0.9999; %.17g would write it 0.99990000000000001, and downtime_s 267.84 as
267.83999999999997."""
import json
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOUDQE = os.environ.get("CLOUDQE", os.path.join(ROOT, "build/san/cloudqe"))

CONFIG = {"services": [{"id": "s1", "provider": "p1", "dept": "d1", "target": 0.99995}]}
EVENTS = [
    {"v": 1, "id": "i1-open", "type": "incident", "ts": "2026-03-10T00:00:00+08:00", "provider": "p1",
     "incident": "I1", "action": "open", "service": "s1", "severity": 2},
    {"v": 1, "id": "i1-resolve", "type": "incident", "ts": "2026-03-10T00:04:27.840+08:00", "provider": "p1",
     "incident": "I1", "action": "resolve"},
]
ARGS = ["--as-of", "2026-04-01T00:00:00+08:00", "--period", "2026-03"]
DOWN_S = 267.84
AGREED_S = 31 * 86400
AVAILABILITY = 1 - DOWN_S / AGREED_S  # the formula of semantics.md, in IEEE doubles


def _files(d):
    cfg, ev = os.path.join(d, "config.json"), os.path.join(d, "events.ndjson")
    with open(cfg, "w") as f:
        json.dump(CONFIG, f)
    with open(ev, "w") as f:
        f.write("".join(json.dumps(e) + "\n" for e in EVENTS))
    return cfg, ev


def _member(text, key):
    """The raw text of every value of "key" in JSON text (numbers only)."""
    return re.findall(r'"%s":\s*(-?[0-9][0-9.eE+-]*)' % re.escape(key), text)


def test_hand_computed_values_are_what_we_expect():
    # the premise of this file: the shortest forms are the ones written above
    assert repr(AVAILABILITY) == "0.9999" and "%.17g" % AVAILABILITY == "0.99990000000000001"
    assert repr(DOWN_S) == "267.84" and "%.17g" % DOWN_S == "267.83999999999997"


def test_replay_prints_shortest_reals():
    with tempfile.TemporaryDirectory() as d:
        cfg, ev = _files(d)
        r = subprocess.run([CLOUDQE, "replay", "--config", cfg, *ARGS, "--quiet", ev], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        lines = {}
        for line in r.stdout.splitlines():
            rec = json.loads(line)
            name = {"snapshot": "target", "service": "service", "dept": "dept"}[rec["kind"]]
            lines[(rec["kind"], rec[name])] = line
        svc, p1, dept = lines[("service", "s1")], lines[("snapshot", "p1")], lines[("dept", "d1")]
        assert _member(svc, "availability") == ["0.9999"], svc
        assert _member(svc, "downtime_s") == ["267.84"], svc
        assert _member(svc, "agreed_s") == ["2678400.0"], svc  # a whole real keeps ".0"
        assert _member(svc, "target") == ["0.99995"], svc
        assert _member(svc, "incidents") == ["1"], svc  # an integer stays one
        assert _member(dept, "availability") == ["0.9999"], dept
        fig = json.loads(p1)["figures"]
        assert _member(p1, "availability") == ["0.9999"] and _member(p1, "mttr_s") == ["267.84"], p1
        # read back: the same doubles, the same types
        assert fig["availability"] == AVAILABILITY and isinstance(fig["agreed_s"], float)
        assert fig["agreed_s"] == AGREED_S and fig["incidents"] == 1 and isinstance(fig["incidents"], int)
        assert "0000000000" not in r.stdout and "9999999999" not in r.stdout, r.stdout


def test_report_json_shortest_reals():
    with tempfile.TemporaryDirectory() as d:
        cfg, ev = _files(d)
        r = subprocess.run([CLOUDQE, "report", "--config", cfg, *ARGS, "--out", d, ev], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        text = open(os.path.join(d, "report-2026-03.json"), encoding="utf-8").read()
        doc = json.loads(text)
        p1 = [t for t in doc["targets"] if t["target"] == "p1"][0]
        # s1 missed its 0.99995 target: listed with the shortest availability
        assert p1["sla_missed"] == [{"service": "s1", "availability": AVAILABILITY, "target": 0.99995,
                                     "downtime_s": DOWN_S}], p1["sla_missed"]
        assert '"availability": 0.9999,' in text and '"downtime_s": 267.84' in text, text[:2000]
        assert "0.99990000000000001" not in text and "267.83999999999997" not in text
