"""`cloudqe report --model M --compare-model M2` (issue 13, re-scoring): the case
tests/cases/x_custom_model graded under its own model (scores worked out by hand in its
WORKING.md) and under a second model that differs in two places, from the event file
and from the Redis state alike: the "compare" object and the Markdown table carry both
gradings and the difference, all computed by hand below."""
import copy
import json
import os
import tempfile

import t_redis
from t_explain import run  # cloudqe from the repo root, the exit code checked

HERE = os.path.dirname(os.path.abspath(__file__))
CASE = os.path.join(HERE, "cases", "x_custom_model")
MODEL = os.path.join(CASE, "model.json")
EVENTS = os.path.join(CASE, "events.ndjson")
ARGS = ["--config", os.path.join(CASE, "config.json"), "--as-of", "2026-03-31T00:00:00+08:00",
        "--period", "2026-03", "--model", MODEL]
TOL = 1e-9

# Base (WORKING.md of the case): p1 87.5 优秀, p2 70 良好, p3 10 不合格, platform 250/3 良好.
# The second model: weight of Q 2 -> 1 and the band 优秀 from 85 -> 90.
#   p1: Q 86.25, U 90 -> (1*86.25 + 1*90)/2 = 176.25/2 = 88.125 -> < 90 -> 良好; diff +0.625
#   p2: U not evaluable -> root = Q = 70 whatever Q's weight -> 良好; diff 0
#   p3: root = Q = 10 -> 不合格; diff 0
#   platform: Q 80, U 90 -> (80 + 90)/2 = 85 -> < 90 -> 良好; diff 85 - 250/3 = 5/3
EXPECTED = {
    "p1": (87.5, "优秀", 88.125, "良好", 0.625),
    "p2": (70.0, "良好", 70.0, "良好", 0.0),
    "p3": (10.0, "不合格", 10.0, "不合格", 0.0),
    "platform": (250 / 3, "良好", 85.0, "良好", 5 / 3),
}
MD_ROWS = [  # the same, as the Markdown table prints them (2 decimals, signed difference);
    # 88.125 and 0.625 are exact in binary, and printf rounds an exact tie to even: .12, .62
    "| p1 | 87.50 | 优秀 | 88.12 | 良好 | +0.62 |",
    "| p2 | 70.00 | 良好 | 70.00 | 良好 | +0.00 |",
    "| p3 | 10.00 | 不合格 | 10.00 | 不合格 | +0.00 |",
    "| platform | 83.33 | 良好 | 85.00 | 良好 | +1.67 |",
]


def second_model(d):
    m = json.load(open(MODEL, encoding="utf-8"))
    m2 = copy.deepcopy(m)
    next(n for n in m2["tree"] if n["id"] == "Q")["weight"] = 1
    next(g for g in m2["grades"] if g["name"] == "优秀")["min"] = 90
    path = os.path.join(d, "draft.json")
    json.dump(m2, open(path, "w", encoding="utf-8"), ensure_ascii=False)
    return path


def report(out, source, extra=()):
    run(["report", *ARGS, "--out", out, *extra, *source])
    doc = json.load(open(os.path.join(out, "report-2026-03.json"), encoding="utf-8"))
    md = open(os.path.join(out, "report-2026-03.md"), encoding="utf-8").read()
    return doc, md


def check_compare(doc, md, m2):
    cmp = doc["compare"]
    assert cmp["model"] == m2
    rows = {r["target"]: r for r in cmp["targets"]}
    assert set(rows) == set(EXPECTED), rows
    for t, (bs, bg, s, g, diff) in EXPECTED.items():
        r = rows[t]
        assert abs(r["base_score"] - bs) < TOL and r["base_grade"] == bg, (t, r)
        assert abs(r["score"] - s) < TOL and r["grade"] == g, (t, r)
        assert abs(r["difference"] - diff) < TOL, (t, r)
    # the report's own gradings stay those of the base model
    own = {r["target"]: r for r in doc["targets"]}
    assert abs(own["p1"]["score"] - 87.5) < TOL and own["p1"]["grade"] == "优秀"
    for row in MD_ROWS:
        assert row in md, f"{row!r} not in the Markdown:\n{md[:1500]}"
    assert "模型比较 Model comparison" in md
    assert "| 评价对象 Target | 基准得分 Score (base) | 基准等级 Grade (base) | 对比得分 Score (compared) |" in md
    # the method section states the bands of the report's own model (85 / 70 / 50 here)
    assert "等级 Grade bands (this report's model): 优秀 excellent ≥ 85, 良好 good ≥ 70, 合格 pass ≥ 50, " \
        "不合格 fail 其余 below." in md, md


def test_compare_model_from_files_and_state():
    srv = t_redis.shared_server()
    with tempfile.TemporaryDirectory() as d:
        m2 = second_model(d)
        run(["replay", "--config", os.path.join(CASE, "config.json"), "--state", srv.url(), "--partitions", "3",
             EVENTS])
        mem, md_mem = report(os.path.join(d, "f"), [EVENTS], ["--compare-model", m2])
        red, md_red = report(os.path.join(d, "s"), ["--state", srv.url()], ["--compare-model", m2])
        check_compare(mem, md_mem, m2)
        check_compare(red, md_red, m2)
        plain, _ = report(os.path.join(d, "p"), [EVENTS])
    assert "compare" not in plain
    assert {t["target"]: t["grade"] for t in plain["targets"]} == {t: e[1] for t, e in EXPECTED.items()}


def test_compare_model_invalid_is_refused_before_reading():
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.json")
        open(bad, "w").write('{"grades": []}')
        p = run(["report", *ARGS, "--out", d, "--compare-model", bad, EVENTS], expect=1)
        assert p.stderr.startswith("report: ") and "bad.json" in p.stderr, p.stderr
        assert not os.path.exists(os.path.join(d, "report-2026-03.json"))


def test_snapshot_rescores_the_state_under_another_model():
    """`snapshot --state --model M2` grades the stored figures under the second model
    without reading an event: the scores and grades of EXPECTED's second model, by hand
    above; under the base model the state gives the base ones."""
    srv = t_redis.shared_server()
    with tempfile.TemporaryDirectory() as d:
        m2 = second_model(d)
        run(["replay", "--config", os.path.join(CASE, "config.json"), "--state", srv.url(), "--partitions", "3",
             EVENTS])
        args = ["snapshot", "--state", srv.url(), "--config", os.path.join(CASE, "config.json"), "--as-of",
                "2026-03-31T00:00:00+08:00", "--period", "2026-03", "--no-services"]
        for model, col in ((m2, 2), (MODEL, 0)):
            recs = [json.loads(line) for line in run(args + ["--model", model]).stdout.splitlines()]
            got = {r["target"]: (r["score"], r["grade"]) for r in recs if r["kind"] == "snapshot"}
            assert set(got) == set(EXPECTED), got
            for t, e in EXPECTED.items():
                score, grade = got[t]
                assert abs(score - e[col]) < TOL and grade == e[col + 1], (model, t, got[t], e)


def test_report_lists_what_would_raise_each_score():
    """Each target's leaves by weighted gap, share of the total x (100 - points), by hand
    from WORKING.md of the case (base model: Q weight 2, U weight 1; A5.3 1 and C1 3 in
    Q; B1.1 alone evaluable in U):
      p1: C1 1/2 x (100 - 90) = 5; A5.3 2/3 x 1/4 = 1/6 x (100 - 75) = 25/6; B1.1 1/3 x 10
      p2 (U not evaluable, Q is the root): C1 3/4 x (100 - 60) = 30; A5.3 1/4 x 0 = 0
      platform: C1 1/2 x 20 = 10, then A5.3 1/6 x 20 and B1.1 1/3 x 10 (both 10/3)."""
    with tempfile.TemporaryDirectory() as d:
        doc, md = report(os.path.join(d, "r"), [EVENTS])
    raise_of = {t["target"]: [(r["id"], r["share"], r["points"], r["gap"]) for r in t["raise"]]
                for t in doc["targets"]}
    want = {"p1": [("C1", 1 / 2, 90, 5), ("A5.3", 1 / 6, 75, 25 / 6), ("B1.1", 1 / 3, 90, 10 / 3)],
            "p2": [("C1", 3 / 4, 60, 30), ("A5.3", 1 / 4, 100, 0)]}
    for t, rows in want.items():
        assert [r[0] for r in raise_of[t]] == [r[0] for r in rows], (t, raise_of[t])
        for got, exp in zip(raise_of[t], rows):
            assert all(abs(g - e) < TOL for g, e in zip(got[1:], exp[1:])), (t, got, exp)
    plat = raise_of["platform"]
    assert plat[0][0] == "C1" and abs(plat[0][3] - 10) < TOL and {r[0] for r in plat[1:]} == {"A5.3", "B1.1"}
    assert all(abs(r[3] - 10 / 3) < TOL for r in plat[1:]), plat
    p1 = md.split("\n## p1\n")[1].split("\n## ")[0]
    assert "| C1 满意度调查得分 (survey score) | 50.00 % | 90.00 | 5.00 |" in p1, p1
    assert "| A5.3 操作可追溯率 (operation traceability) | 16.67 % | 75.00 | 4.17 |" in p1, p1
    assert "`cloudqe explain --target p1 --period 2026-03 --indicator C1`" in p1, p1
