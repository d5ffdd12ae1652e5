"""The report gives probe coverage per provider (issue 13: "give probe coverage per
provider, and flag any figure whose period is mostly uncovered"), a method section and
a department section. The case is made by hand: March 2026 as of 01:00 on March 1st
(+08:00) is 60 minutes; p1's service answered probes in 20 of them (33.3 %, flagged
below 50 %), p2's in 45 (75.0 %, not flagged)."""
import json
import os
import subprocess
import tempfile

from t_explain import run  # cloudqe from the repo root, the exit code checked


def probes(provider, service, minutes):
    return [json.dumps({"v": 1, "id": f"{service}-{m}", "type": "probe",
                        "ts": f"2026-03-01T00:{m:02d}:00+08:00", "provider": provider,
                        "service": service, "ok": True}) for m in range(minutes)]


def test_probe_coverage_table_flags_low_provider():
    with tempfile.TemporaryDirectory() as d:
        ev = os.path.join(d, "events.ndjson")
        lines = probes("p1", "s1", 20) + probes("p2", "s2", 45)
        open(ev, "w", encoding="utf-8").write("\n".join(lines) + "\n")
        out = os.path.join(d, "out")
        run(["report", "--period", "2026-03", "--as-of", "2026-03-01T01:00:00+08:00", "--out", out, ev])
        doc = json.load(open(os.path.join(out, "report-2026-03.json"), encoding="utf-8"))
        md = open(os.path.join(out, "report-2026-03.md"), encoding="utf-8").read()
    cov = {t["target"]: t["figures"]["probe_coverage"] for t in doc["targets"]}
    assert abs(cov["p1"] - 20 / 60) < 1e-12 and abs(cov["p2"] - 45 / 60) < 1e-12, cov
    table = md.split("## 探测覆盖 Probe coverage per provider")[1].split("\n## ")[0]
    rows = {r.split("|")[1].strip(): r for r in table.splitlines() if r.startswith("| p")}
    assert set(rows) == {"p1", "p2"}, table
    assert "33.3 %" in rows["p1"] and "⚠ 低于 50 %，可用性仅基于部分拨测 below 50 %" in rows["p1"], rows
    assert "75.0 %" in rows["p2"] and "⚠" not in rows["p2"], rows
    # first and last event of the data: minute 0 and minute 44
    assert "数据起止 Data span: 2026-03-01T00:00:00+08:00 – 2026-03-01T00:44:00+08:00" in table, table
    assert "## 评分方法 Method" in md and "docs/scoring.md" in md and "≥ 90" in md and "≥ 75" in md
    assert "## 部门 Departments" in md


def test_department_section():
    """s1 of p1 belongs to department d1 (configuration); probed every minute of the
    60, failing at minute 5: availability 59/60 = 98.333 %, one service, no resources,
    no samples of cpu or memory and no survey (n/a)."""
    with tempfile.TemporaryDirectory() as d:
        ev, cfg = os.path.join(d, "events.ndjson"), os.path.join(d, "cfg.json")
        lines = [json.dumps({"v": 1, "id": f"s1-{m}", "type": "probe", "ts": f"2026-03-01T00:{m:02d}:00+08:00",
                             "provider": "p1", "service": "s1", "ok": m != 5}) for m in range(60)]
        open(ev, "w", encoding="utf-8").write("\n".join(lines) + "\n")
        json.dump({"services": [{"id": "s1", "provider": "p1", "dept": "d1"}]}, open(cfg, "w"))
        out = os.path.join(d, "out")
        run(["report", "--config", cfg, "--period", "2026-03", "--as-of", "2026-03-01T01:00:00+08:00",
             "--out", out, ev])
        doc = json.load(open(os.path.join(out, "report-2026-03.json"), encoding="utf-8"))
        md = open(os.path.join(out, "report-2026-03.md"), encoding="utf-8").read()
    [dept] = doc["departments"]
    assert dept["dept"] == "d1" and abs(dept["availability"] - 59 / 60) < 1e-12, dept
    section = md.split("## 部门 Departments")[1]
    assert "| d1 | 98.333 % | n/a | n/a | n/a | 1 | 0 |" in section, section
    # values carry their units: A1.1 a ratio in % (59/60; below the curve's 0.99: 0 points),
    # A1.2 a count (no incidents: 100 points); A1 = (0 x 10 + 100 x 4) / 14 = 28.57 points
    p1 = md.split("\n## p1\n")[1]
    assert "A1.1 服务可用率 (service availability) | 98.333 % | 0.00 points | 10 |" in p1, p1
    assert "A1.2 重大故障次数 (major faults) | 0 (count) | 100.00 points | 4 |" in p1, p1
    assert "A1 可用性 (availability) |  | 28.57 points | 14 |" in p1, p1


def test_provider_names_from_configuration():
    """The configuration names p1 (providers map, docs/config.md); p2 is not named and
    appears by its id. A provider entry other than {"name": ...} is refused."""
    with tempfile.TemporaryDirectory() as d:
        ev, cfg = os.path.join(d, "events.ndjson"), os.path.join(d, "cfg.json")
        open(ev, "w", encoding="utf-8").write("\n".join(probes("p1", "s1", 30) + probes("p2", "s2", 30)) + "\n")
        json.dump({"providers": {"p1": {"name": "贵州电信"}}}, open(cfg, "w"))
        out = os.path.join(d, "out")
        run(["report", "--config", cfg, "--period", "2026-03", "--as-of", "2026-03-01T01:00:00+08:00",
             "--out", out, ev])
        doc = json.load(open(os.path.join(out, "report-2026-03.json"), encoding="utf-8"))
        md = open(os.path.join(out, "report-2026-03.md"), encoding="utf-8").read()
        assert doc["provider_names"] == {"p1": "贵州电信"}, doc["provider_names"]
        assert "\n## 贵州电信 (p1)\n" in md and "\n## p2\n" in md, md
        assert "| 贵州电信 (p1) | 50.0 % |" in md and "| p2 | 50.0 % |" in md, md
        json.dump({"providers": {"p1": {"nom": "x"}}}, open(cfg, "w"))
        r = subprocess.run([os.environ["CLOUDQE"], "check-config", cfg], capture_output=True, text=True)
        assert r.returncode == 1 and "$.providers.p1" in r.stderr, (r.returncode, r.stderr)
