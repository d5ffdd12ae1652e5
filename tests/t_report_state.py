"""`cloudqe report` from the Redis state (issue 13): the events of tests/cases/overlap_scopes,
plus one duplicate and one dead letter, replayed into a real redis-server over 3
partitions, give with `report --state` the same report as `report FILE`: the JSON equal
key for key and the Markdown equal line for line (docs/cli.md: the counters agree too,
as a re-sent copy is routed to the partition of its original)."""
import json
import os
import tempfile

import t_redis
from t_explain import run  # cloudqe from the repo root, the exit code checked

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASE = os.path.join(HERE, "cases", "overlap_scopes")
CONFIG = os.path.join(CASE, "config.json")
AS_OF = "2026-04-01T00:00:00+08:00"


def events_with_dup_and_dead(d):
    """The case's events, its first line once more (a duplicate) and a line of an unknown
    type (a dead letter): 1 duplicate and 1 dead letter whatever the source."""
    lines = open(os.path.join(CASE, "events.ndjson"), encoding="utf-8").read().splitlines()
    path = os.path.join(d, "events.ndjson")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines + [lines[0], '{"v":1,"id":"zz","type":"nope","ts":"2026-03-02T00:00:00+08:00"}'])
                + "\n")
    return path, len(lines)


def report(out, source, period="2026-03", extra=()):
    run(["report", "--config", CONFIG, "--period", period, "--as-of", AS_OF, "--out", out, *extra, *source])
    doc = json.load(open(os.path.join(out, f"report-{period}.json"), encoding="utf-8"))
    md = open(os.path.join(out, f"report-{period}.md"), encoding="utf-8").read()
    return doc, md


def test_state_and_files_give_the_same_report():
    srv = t_redis.shared_server()
    with tempfile.TemporaryDirectory() as d:
        ev, n = events_with_dup_and_dead(d)
        run(["replay", "--config", CONFIG, "--state", srv.url(), "--partitions", "3", ev])
        mem, md_mem = report(os.path.join(d, "files"), [ev])
        red, md_red = report(os.path.join(d, "state"), ["--state", srv.url()])
    # the one thing that differs: when each was generated (docs/cli.md)
    assert mem["generated"].pop("at") and red["generated"].pop("at")
    assert mem == red, "report JSON differs between FILE and --state"
    assert [ln for ln in md_mem.splitlines() if not ln.startswith("生成 Generated: ")] == \
        [ln for ln in md_red.splitlines() if not ln.startswith("生成 Generated: ")], "Markdown differs"
    assert red["events"]["read"] == n + 2 and red["events"]["duplicates"] == 1 and red["events"]["dead_letters"] == 1
    # every line of the case is a valid, distinct event: n applied, 1 duplicate, 1 dead letter
    assert f"计入 Events applied: {n} · 重复丢弃 duplicates dropped: 1 · 死信 dead letters: 1 " in md_red, md_red[:600]
    # the dead letter's reason is kept in the state as in the file's reading (unknown type)
    assert red["events"]["dead_letters_by_reason"] == {"unknown_type": 1}, red["events"]
    quality = md_red.split("## 数据质量 Data quality")[1].split("\n## ")[0]
    assert f"| 读取事件 Events read | {n + 2} | 100.00 % |" in quality, quality
    assert f"| 重复丢弃 Duplicates dropped | 1 | {100 / (n + 2):.2f} % |" in quality, quality
    assert "| `unknown_type` | 1 | 未知的事件类型 an event type the spec does not define |" in quality, quality
    assert {t["target"] for t in red["targets"]} == {"p1", "platform"}


def test_state_and_files_are_one_or_the_other():
    srv = t_redis.shared_server()
    p = run(["report", "--period", "2026", "--state", srv.url(), os.path.join(CASE, "events.ndjson")], expect=2)
    assert "either --state URL or event FILEs" in p.stderr, p.stderr
    p = run(["report", "--period", "2026", "--state", "redis://127.0.0.1:1/0", "--out",
             tempfile.mkdtemp(prefix="cqe-rep-")], expect=1)
    assert p.stderr.startswith("report: "), p.stderr
