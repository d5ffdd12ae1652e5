"""The report identifies itself (issue 13, evidence an authority can sign): when it was
generated and by which cloudqe version (core/version.h), the SHA-256 of the model and of
the configuration it was made with (or "built-in" / "defaults"), the events read with
their duplicates and dead letters and the first and last event time; and it says how
much of the period the data cover, warning when it is under half of the elapsed time
(a month of data scored as a year)."""
import datetime
import hashlib
import json
import os
import re
import tempfile

from t_explain import run  # cloudqe from the repo root, the exit code checked

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL = os.path.join(HERE, "cases", "x_custom_model", "model.json")
# two probes of one service, on March 1st and March 31st at 00:00 (+08:00): the data span 30 days
EVENTS = [
    '{"v":1,"id":"pr1","type":"probe","ts":"2026-03-01T00:00:00+08:00","provider":"p1","service":"s1","ok":true}',
    '{"v":1,"id":"pr2","type":"probe","ts":"2026-03-31T00:00:00+08:00","provider":"p1","service":"s1","ok":true}',
    '{"v":1,"id":"pr2","type":"probe","ts":"2026-03-31T00:00:00+08:00","provider":"p1","service":"s1","ok":true}',
    '{"v":1,"id":"x1","type":"no-such-type","ts":"2026-03-15T00:00:00+08:00"}',
]


def version():
    text = open(os.path.join(ROOT, "core", "version.h"), encoding="utf-8").read()
    return re.search(r'#define CQE_VERSION "([^"]+)"', text).group(1)


def reports(d, extra):
    ev = os.path.join(d, "events.ndjson")
    open(ev, "w", encoding="utf-8").write("\n".join(EVENTS) + "\n")
    out = os.path.join(d, "out")
    run(["report", "--period", "2026-03", "--period", "2026", "--as-of", "2027-01-01T00:00:00+08:00",
         "--out", out, *extra, ev])
    res = {}
    for p in ("2026-03", "2026"):
        res[p] = (json.load(open(os.path.join(out, f"report-{p}.json"), encoding="utf-8")),
                  open(os.path.join(out, f"report-{p}.md"), encoding="utf-8").read())
    return res


def test_identity_coverage_and_warning():
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as d:
        res = reports(d, ["--model", MODEL])
    after = datetime.datetime.now(datetime.timezone.utc)
    sha = hashlib.sha256(open(MODEL, "rb").read()).hexdigest()
    for period, (doc, md) in res.items():
        g = doc["generated"]
        at = datetime.datetime.fromisoformat(g["at"])
        assert before <= at <= after, (before, g["at"], after)
        assert g["version"] == version()
        assert g["model"] == {"file": MODEL, "sha256": sha}, g
        assert g["config"] == {"file": None, "sha256": "defaults"}, g
        # 4 lines read: 2 applied, pr2 once more (a duplicate), an unknown type (a dead letter)
        assert doc["events"] == {"read": 4, "applied": 2, "duplicates": 1, "dead_letters": 1,
                                 "dead_letters_by_reason": {"unknown_type": 1},
                                 "first": "2026-03-01T00:00:00+08:00", "last": "2026-03-31T00:00:00+08:00"}, doc
        assert f"by cloudqe {version()}" in md and sha in md and "配置 Configuration: defaults" in md
        assert "首个事件 first event: 2026-03-01T00:00:00+08:00 · 末个事件 last event: 2026-03-31T00:00:00+08:00" in md
        assert "计入 Events applied: 2 · 重复丢弃 duplicates dropped: 1 · 死信 dead letters: 1 " in md
    # March, complete at as_of: 31 days elapsed, 30 covered -> 30/31 = 96.8 % -> no warning
    doc, md = res["2026-03"]
    cov = doc["coverage"]
    assert cov["elapsed_s"] == 31 * 86400 and cov["covered_s"] == 30 * 86400, cov
    assert abs(cov["share"] - 30 / 31) < 1e-12 and cov["warning"] is None, cov
    # (the probe coverage table flags p1's 2 probed minutes of 44640 with its own ⚠ row mark)
    assert "96.8 %" in md and "Warning" not in md and "⚠ 数据仅覆盖" not in md
    # the year: 365 days elapsed, the same 30 covered -> 30/365 = 8.2 % < 50 % -> warned,
    # at the top and beside each target's score
    doc, md = res["2026"]
    cov = doc["coverage"]
    assert cov["elapsed_s"] == 365 * 86400 and cov["covered_s"] == 30 * 86400, cov
    assert abs(cov["share"] - 30 / 365) < 1e-12, cov
    assert "8.2 %" in cov["warning"] and "2026" in cov["warning"], cov
    assert "警告 Warning:** 事件仅覆盖本周期已过时间的 8.2 %" in md and "(365.0 天中的 30.0 天)" not in md
    assert "事件跨越本周期已过时间的 8.2 %（365.0 天中的 30.0 天）" in md
    assert md.count("⚠ 数据仅覆盖部分周期 data cover part of the period only") == len(doc["targets"]) >= 1, md


def test_built_in_model_is_named_as_such():
    with tempfile.TemporaryDirectory() as d:
        doc, _ = reports(d, [])["2026"]
    assert doc["generated"]["model"] == {"file": None, "sha256": "built-in"}
