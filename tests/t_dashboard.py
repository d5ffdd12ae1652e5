"""The live dashboard (docs/dashboard.md), in a real browser: `cloudqe serve` over a
redis-server filled by a real `cloudqe run` worker (mock Kafka, events produced with
`cloudqe produce`, clock event), the page opened in Debian's chromium (headless,
playwright-core: tests/clients/dashboard_browser.mjs). What the page shows is checked
against the API and against Redis itself (redis-cli GET of the latest snapshot key).

The data: three providers, five services probed every minute from two sites on
2026-03-02, resources sampled every 5 minutes, an incident, tickets, backups, surveys.
svc-portal (target 0.999) is down from 01:00 to the end of the first batch (02:59):
burn_1h_5m fires at 01:01 (60 s / 3600 s / 0.001 = 16.7 > 14.4 and 60/300/0.001 = 200),
and stays firing (the outage never ends in the batch); month-to-date it is far below its
target. A second batch (03:00-03:59) makes new ticks: the page must follow without a
reload.

Scores on the page are the snapshot's `score` rounded to 2 decimals (model.md: round
only when printing), ties upward (JavaScript's toFixed on the double's exact value);
availabilities are percentages with 3 decimals."""
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from decimal import ROUND_HALF_UP, Decimal

import clients
from t_kafka import KafkaTestError, Redis, binary, free_port, wait_for
from t_outputs import ms, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACT = os.path.join(ROOT, "build", "artifacts", "dashboard.png")
EXPLAIN_ARTIFACT = os.path.join(ROOT, "build", "artifacts", "dashboard-explain.png")
PERIOD = "2026-03"
TOKEN = "s3cret-dashboard-token"
PROVIDERS = {"gz-telecom": "svc-portal svc-gis", "gz-mobile": "svc-oa svc-hr", "gz-unicom": "svc-tax"}
SERVICES = [
    {"id": "svc-portal", "provider": "gz-telecom", "dept": "政务服务中心", "target": 0.999},
    {"id": "svc-gis", "provider": "gz-telecom", "dept": "自然资源局", "target": 0.995},
    {"id": "svc-oa", "provider": "gz-mobile", "dept": "市政府办公厅", "target": 0.999},
    {"id": "svc-hr", "provider": "gz-mobile", "dept": "人社局", "target": 0.99},
    {"id": "svc-tax", "provider": "gz-unicom", "dept": "税务局", "target": 0.999},
]
PORTAL_DOWN_FROM = 60  # minute of 2026-03-02 from which svc-portal fails every probe


def at(minute, second=0):
    return "2026-03-02T%02d:%02d:%02d+08:00" % (minute // 60, minute % 60, second)


def events(minutes):
    """The events of the given minutes of 2026-03-02 (see the module's doc)."""
    out = []
    for m in minutes:
        for s in SERVICES:
            down = (s["id"] == "svc-portal" and m >= PORTAL_DOWN_FROM) or (s["id"] == "svc-hr" and 30 <= m < 33)
            for site in ("gz", "sz"):
                out.append({"v": 1, "id": f"p-{s['id']}-{site}-{m}", "type": "probe", "ts": at(m),
                            "provider": s["provider"], "service": s["id"], "ok": not down, "site": site,
                            "latency_ms": 40 + (m * 7 + len(site)) % 30})
        if m % 5 == 0:
            for i, prov in enumerate(PROVIDERS):
                for r in range(2):
                    phase = (m / 180.0 + r * 0.3 + i * 0.2) * 2 * math.pi
                    out.append({"v": 1, "id": f"m-{prov}-{r}-{m}", "type": "metric", "ts": at(m), "provider": prov,
                                "resource": f"vm-{prov}-{r}", "pool": f"pool-{prov}", "interval_s": 300,
                                "cpu": round(0.25 + 0.12 * i + 0.1 * math.sin(phase), 4),
                                "mem": round(0.45 + 0.08 * i + 0.05 * math.cos(phase), 4),
                                "disk": 0.55, "net": round(0.2 + 0.05 * r, 4)})
        if m == 40:  # svc-gis: an incident of severity 3, acknowledged and fixed on time
            out.append({"v": 1, "id": "inc-gis-open", "type": "incident", "ts": at(40), "provider": "gz-telecom",
                        "incident": "inc-gis-1", "action": "open", "service": "svc-gis", "severity": 3})
            out.append({"v": 1, "id": "inc-gis-ack", "type": "incident", "ts": at(44), "provider": "gz-telecom",
                        "incident": "inc-gis-1", "action": "ack"})
            out.append({"v": 1, "id": "inc-gis-fix", "type": "incident", "ts": at(52), "provider": "gz-telecom",
                        "incident": "inc-gis-1", "action": "resolve"})
        if m % 30 == 10:
            for prov, svcs in PROVIDERS.items():
                t = f"t-{prov}-{m}"
                out.append({"v": 1, "id": t + "-o", "type": "ticket", "ts": at(m), "provider": prov, "ticket": t,
                            "action": "open", "due": at(m + 20)})
                out.append({"v": 1, "id": t + "-c", "type": "ticket", "ts": at(m + 12), "provider": prov, "ticket": t,
                            "action": "close"})
                out.append({"v": 1, "id": t + "-f", "type": "ticket", "ts": at(m + 14), "provider": prov, "ticket": t,
                            "action": "feedback", "satisfied": m % 60 != 40})
                for svc in svcs.split():
                    out.append({"v": 1, "id": f"b-{svc}-{m}", "type": "backup", "ts": at(m), "provider": prov,
                                "job": f"job-{svc}-{m}", "service": svc, "ok": True})
        if m == 20:
            for i, s in enumerate(SERVICES):
                out.append({"v": 1, "id": f"sv-{s['id']}", "type": "survey", "ts": at(20), "provider": s["provider"],
                            "response": f"r-{s['id']}", "dept": s["dept"], "service": s["id"],
                            "answers": {"服务态度": 5 - i % 2, "响应及时性": 4, "问题解决": 4 - i % 3, "服务能力": 4,
                                        "信息安全": 5}})
    return out


# ---------------------------------------------------------------- cloudqe serve

class Serve:
    """`cloudqe serve` on a free loopback port over the stream's Redis, optionally with a
    token file; ready once /readyz answers 200."""

    def __init__(self, workdir, config, token=None, name="serve"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [binary(), "serve", "--config", config, "--listen", f"127.0.0.1:{self.port}", "--refresh", "1"]
        if token:
            path = os.path.join(workdir, f"{name}.token")
            with open(path, "w", encoding="utf-8") as f:
                f.write(token + "\n")
            args += ["--token-file", path]
        self.log_path = os.path.join(workdir, f"{name}.log")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(lambda: self._ready(), 60, f"cloudqe serve ready on {self.base}")

    def _ready(self):
        if self.proc.poll() is not None:
            raise KafkaTestError(f"cloudqe serve exited {self.proc.returncode}:\n{self.log()}")
        try:
            return self.get("/readyz")[0] == 200
        except OSError:
            return False

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()[-3000:]

    def get(self, path, token=None, method="GET"):
        """(status, headers, body bytes) of one request."""
        req = urllib.request.Request(self.base + path, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def api(self, path, token=None):
        status, _h, body = self.get(path, token)
        assert status == 200, (path, status, body[:500])
        return json.loads(body)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise KafkaTestError("cloudqe serve did not stop on SIGTERM within 30 s:\n" + self.log())


def redis_snapshot(s, target, period):
    """The latest snapshot of (target, period) as redis-cli reads it from Redis."""
    out = subprocess.run(["redis-cli", "-p", str(s.redis.port), "GET", f"cqe:{{out}}:snapshot:{target}:{period}"],
                         capture_output=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip(), (target, period, out.stderr)
    return json.loads(out.stdout)


def shown_score(x):
    """The page's text of a score: 2 decimals, a tie upward (toFixed on the double's value)."""
    return str(Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def model_names():
    """id -> (name, en) of the default model (schemas/default-model.json)."""
    with open(os.path.join(ROOT, "schemas", "default-model.json"), encoding="utf-8") as f:
        model = json.load(f)
    out = {}

    def walk(nodes):
        for n in nodes:
            out[n["id"]] = (n["name"], n["en"])
            walk(n.get("children", []))
    walk(model["tree"])
    return out


def card(page, target):
    found = [c for c in page["cards"] if c["target"] == target]
    assert len(found) == 1, (target, page["cards"])
    return found[0]


def as_of_is(raw):
    return f"document.getElementById('as-of').dataset.asOf === {json.dumps(raw)}"


SCORES_SHOWN = "[...document.querySelectorAll('#cards .score')].length >= 4 && " \
               "[...document.querySelectorAll('#cards .score')].every((e) => e.textContent !== '—')"


# ---------------------------------------------------------------- the page's files

def test_page_files_are_versioned_open_and_offline():
    """/ and /assets/<name>: the embedded files, versioned and cached for good, open without
    the token (the API is not), and not one external URL."""
    work = tempfile.mkdtemp(prefix="cqe-page-")
    redis = server = None
    try:
        redis = Redis(work)
        config = os.path.join(work, "config.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump({"redis": {"url": redis.url()}}, f)
        server = Serve(work, config, token=TOKEN)
        status, h, page = server.get("/")
        assert status == 200 and h["Content-Type"] == "text/html; charset=utf-8", (status, dict(h))
        assert h["Cache-Control"] == "no-cache", dict(h)
        assert server.get("/", method="HEAD")[0] == 200
        html = page.decode("utf-8")
        refs = re.findall(r'(?:src|href)="assets/([^"?]+)\?v=([0-9a-f]{16})"', html)
        assert sorted(n for n, _v in refs) == ["dashboard.css", "dashboard.js", "echarts.min.js", "i18n.js"], refs
        versions = {v for _n, v in refs}
        assert len(versions) == 1 and "{{v}}" not in html, refs
        version = versions.pop()
        with open(os.path.join(ROOT, "sinks", "dashboard", "index.html"), encoding="utf-8") as f:
            assert html == f.read().replace("{{v}}", version)
        sources = {"dashboard.js": "sinks/dashboard/dashboard.js", "dashboard.css": "sinks/dashboard/dashboard.css",
                   "i18n.js": "sinks/dashboard/i18n.js",
                   "echarts.min.js": "sinks/dashboard/node_modules/echarts/dist/echarts.min.js"}
        texts = {"index.html": html}
        for name, src in sources.items():
            status, h, body = server.get(f"/assets/{name}?v={version}")
            with open(os.path.join(ROOT, src), "rb") as f:
                assert status == 200 and body == f.read(), (name, status)
            ctype = "text/css" if name.endswith(".css") else "text/javascript"
            assert h["Content-Type"] == ctype + "; charset=utf-8", (name, dict(h))
            assert h["Cache-Control"] == "public, max-age=31536000, immutable", (name, dict(h))
            # without the version (or another one): served, but to be checked again
            assert server.get(f"/assets/{name}")[1]["Cache-Control"] == "no-cache"
            assert server.get(f"/assets/{name}?v=0000000000000000")[1]["Cache-Control"] == "no-cache"
            texts[name] = body.decode("utf-8")
        for path in ("/assets/nope.js", "/assets/", "/assets/index.html"):
            status, h, body = server.get(path)
            assert status == 404 and json.loads(body)["error"]["status"] == 404, (path, status, body)
        # the API wants the token, the page does not
        assert server.get("/api/v1/targets")[0] == 401
        assert server.get("/api/v1/targets", token=TOKEN)[0] != 401
        # air-gapped: the page's own files name no URL at all; in ECharts only XML namespace
        # names (never fetched) and the licence links of its header comments
        url = re.compile(r"https?://[^\s\"'<>)]*")
        for name in ("index.html", "dashboard.js", "dashboard.css", "i18n.js"):
            assert not url.findall(texts[name]), (name, url.findall(texts[name]))
        allowed = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/2000/xmlns/",
                   "http://www.w3.org/XML/1998/namespace", "http://www.apache.org/licenses/LICENSE-2.0",
                   "https://github.com/ecomfe/zrender/blob/master/LICENSE"}
        found = set(url.findall(texts["echarts.min.js"]))
        assert found <= allowed, found - allowed
        # the page forbids itself any other origin (Content-Security-Policy)
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
        assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "script-src 'self';" in csp, csp
    finally:
        if server:
            server.stop()
        if redis:
            redis.stop()
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- the page in a browser

def produce_until(s, start, end, step=45):
    """Produces the minutes [start, end) in chunks of step minutes, each consumed and seen
    by the output role before the next: the ticks in between give the charts their points."""
    for c in range(start, end, step):
        s.produce(events(range(c, min(c + step, end))))
        s.wait_alerts_reach(ms(at(min(c + step, end) - 1)))


def check_scores(page, s, server, lang="zh"):
    """The platform's and gz-telecom's score, grade and dimensions as the page shows them
    equal the API's snapshot and Redis's key (redis-cli GET), rounded to 2 decimals."""
    names = model_names()
    for target in ("platform", "gz-telecom"):
        api = server.api(f"/api/v1/snapshot?target={target}&period={PERIOD}")
        red = redis_snapshot(s, target, PERIOD)
        assert api["score"] == red["score"] and api["grade"] == red["grade"] and api["as_of"] == red["as_of"], \
            (target, api["score"], red["score"])
        c = card(page, target)
        assert c["score"] == shown_score(red["score"]), (target, c["score"], red["score"])
        assert c["grade"] == (red["grade"] if lang == "zh" else red["grade_en"]), (target, c["grade"], red["grade"])
        assert [d["id"] for d in c["dims"]] == ["A", "B", "C"], c["dims"]
        for d in c["dims"]:
            assert d["score"] == shown_score(red["indicators"][d["id"]]["score"]), (target, d)
            assert d["name"] == names[d["id"]][0 if lang == "zh" else 1], d


# ---------------------------------------------------------------- the "why" panel

PANEL = "document.getElementById('explain')"
# evidence of gz-telecom's A1.1 at the end of the first batch, by hand (module doc): as_of
# is the last event, 02:59:00, so each service's agreed time so far is 03-01 00:00 to 03-02
# 02:59 = 86400 + 10740 = 97140 s. svc-portal: both sites fail every probe from 01:00, so
# the minutes 01:00 .. 02:58 are probe-down minutes (02:59 begins at as_of, outside the
# span): 119 x 60 = 7140 s. svc-gis: inc-gis-1, opened 00:40 and resolved 00:52, a
# provider's outage: 720 s. Weights 1 and 1: effect = 1/2 x down / 97140, 0.0368 for
# svc-portal and 0.0037 for svc-gis: svc-portal first.
PORTAL_DOWN_S = (179 - PORTAL_DOWN_FROM) * 60  # 7140
GIS_DOWN_S = (52 - 40) * 60  # 720


def explain_api(server, target, indicator=None):
    q = f"/api/v1/explain?target={target}&period={PERIOD}" + (f"&indicator={indicator}" if indicator else "")
    return server.api(q)


def panel_is(b, node):
    """Waits until the panel shows the explain record of node; returns what it shows."""
    b.wait(f"{PANEL}.dataset.id === {json.dumps(node)} && {PANEL}.dataset.state === 'ok' && "
           f"document.querySelector('#explain .x-node-id')?.textContent === {json.dumps(node)}")
    return b.read()


def check_evidence(x, api, downs):
    """The panel's items are the API's, largest effect first; downs: (id, down s) by hand."""
    items = api["evidence"]["items"]
    assert [(i["id"], i["kind"]) for i in x["items"]] == [(i["id"], i["kind"]) for i in items[:20]], x["items"]
    assert [(i["id"], i["downtime_s"]) for i in items] == downs, items
    for shown, want in zip(x["items"], items):
        assert shown["fields"]["downtime_s"] == {"label": "停机（秒）", "value": "%d" % want["downtime_s"]}, shown
        assert shown["effect"] == "%.10g" % want["effect"] and shown["side"] == "未达标", shown
        assert [(n["kind"], n["id"], n["fields"]["down_s"]["value"]) for n in shown["nested"]] == \
            [(n["kind"], n.get("id"), "%d" % n["down_s"]) for k in ("intervals", "incidents", "maintenance")
             for n in want.get(k, [])], shown["nested"]


def check_explain_panel(b, s, server):
    """The "why" panel: a provider's leaf row, its total (the contributions add up to the
    score shown), a drill from "what would raise the score most", a node with what was
    re-normalised away, the English switch, the keyboard and Esc. The page is on platform,
    the month, in Chinese."""
    wait_for(lambda: explain_api(server, "gz-telecom", "A1.1")["as_of"] == at(179), 30,
             "serve's evaluated state at the last event of the first batch")
    b.send("click", selector='#cards .card[data-target="gz-telecom"]')
    b.wait("document.getElementById('tree-title')?.textContent.includes('gz-telecom') && "
           "document.querySelector('#tree .node[data-id=\"A1\"]')")
    # a click on A1 opens it as before; a click on its leaf A1.1 opens the panel
    b.send("click", selector='#tree .node[data-id="A1"] .n-name')
    b.send("click", selector='#tree .node[data-id="A1.1"] .n-name')
    page = panel_is(b, "A1.1")
    x, api = page["explain"], explain_api(server, "gz-telecom", "A1.1")
    assert x["open"] and x["as_of"] == at(179) and x["title"] == "为什么" and "gz-telecom" in x["meta"], x
    check_evidence(x, api, [("svc-portal", PORTAL_DOWN_S), ("svc-gis", GIS_DOWN_S)])
    assert x["items"][0]["nested"][0]["fields"]["from"]["value"] == "2026-03-02 01:00:00", x["items"][0]
    assert x["value"] == "%.10g" % api["value"] and x["points"] == shown_score(api["node"]["points"]), x
    assert x["segment"] == "在曲线端点之外：取 [0.99, 0]", x["segment"]  # 0.9595... < 0.99: 0 points
    assert "explain=A1.1" in page["href"] and "target=gz-telecom" in page["href"], page["href"]
    assert x["command"].endswith("--target gz-telecom --period 2026-03 --indicator A1.1"), x["command"]
    assert page["tree"][[r["id"] for r in page["tree"]].index("A1.1")]["points"].endswith(x["points"])

    # the total: the contributions shown add up to the score shown, 2 decimals
    b.send("click", selector="#tree-meta [data-why]")
    x = panel_is(b, "total")["explain"]
    root = explain_api(server, "gz-telecom")
    assert x["score"] == shown_score(root["score"]) == b.wait("document.querySelector('#tree-meta b').textContent"), x
    assert [c["id"] for c in x["children"]] == ["A", "B", "C"], x["children"]
    for shown, want in zip(x["children"], root["children"]):
        assert shown["cells"][4] == "%.4f" % want["contribution"], (shown, want)
    assert shown_score(sum(Decimal(c["cells"][4]) for c in x["children"])) == x["score"], x["children"]
    assert x["sum"][4] == "%.4f" % sum(c["contribution"] for c in root["children"]), x["sum"]
    top = [g["id"] for g in root["raise"] if g["gap"] > 0][:5]
    assert [r["id"] for r in x["raise"]] == top and "B1.1" in top, (x["raise"], top)

    # drill from "what would raise the score most" into a utilization leaf: its evidence
    # and the distribution's bands as a chart
    b.send("click", selector='#explain .x-raise-item[data-why="B1.1"]')
    x = panel_is(b, "B1.1")["explain"]
    b11 = explain_api(server, "gz-telecom", "B1.1")
    assert [i["id"] for i in x["items"]] == [i["id"] for i in b11["evidence"]["items"][:20]], x["items"]
    assert x["bands"] == {"shown": True, "canvases": 1} and x["headings"][0].startswith("分布"), x
    # up the path to B: B4 has nothing, its weight is re-normalised away
    b.send("click", selector='#explain .x-path [data-why="B"]')
    x = panel_is(b, "B")["explain"]
    node_b = explain_api(server, "gz-telecom", "B")
    assert node_b["not_evaluable"] == ["B4"], node_b["not_evaluable"]
    assert x["renorm"] == "重新归一：可评权重 %g / 总权重 %g（不可评：B4）" % (
        node_b["weight_evaluable"], node_b["weight_total"]), x["renorm"]
    assert [c["cells"][3] for c in x["children"] if c["id"] == "B4"] == ["不可评价"], x["children"]

    # English: the panel's words change, the numbers stay
    b.send("click", selector='#lang button[data-lang="en"]')
    b.wait(f"document.documentElement.lang === 'en' && {PANEL}.querySelector('h3')?.textContent === 'Children'")
    x = b.read()["explain"]
    assert x["title"] == "Why" and x["renorm"].startswith("Re-normalised: evaluable weight"), x
    b.send("click", selector='#explain .x-raise-item[data-why="B1.1"]')
    x = panel_is(b, "B1.1")["explain"]
    assert x["headings"][1].startswith("Evidence") and x["items"][0]["kind_label"] == "pool", x
    b.send("click", selector='#lang button[data-lang="zh"]')
    b.wait("document.documentElement.lang === 'zh-CN'")

    # Esc closes, the address loses ?explain=, the focus goes back to where the panel opened
    b.send("press", key="Escape")
    b.wait(f"{PANEL}.hidden && document.activeElement === document.querySelector('#tree-meta [data-why]')")
    assert "explain=" not in b.read()["href"]
    # by keyboard: the row's button, Enter
    b.wait("(document.querySelector('#tree .why[data-why=\"A1.1\"]').focus(), true)")
    b.send("press", key="Enter")
    assert panel_is(b, "A1.1")["explain"]["focus_inside"]
    b.send("press", key="Escape")
    b.wait(f"{PANEL}.hidden")


def test_dashboard_in_a_browser():
    """Scores, grades, the tree, a firing alert, services below target, the period and
    provider choices, the English switch, the "why" panel (its deep link, its 404 and 401,
    following a new as_of), live updates without a reload, the token from the fragment and
    the errors (401, server down), against a real worker's Redis."""
    def body(s):
        w = s.worker()
        produce_until(s, 0, 180)
        server = Serve(s.dir, s.config)
        guarded = None
        with clients.Browser() as b:
            # the page shows what the API and Redis hold
            red = redis_snapshot(s, "platform", PERIOD)
            b.open(f"{server.base}/?refresh=1")
            b.wait(SCORES_SHOWN + " && " + as_of_is(red["as_of"]) + " && document.querySelector('#below .svc-row')"
                   " && document.querySelector('#alerts .row.alert')", 30000)
            page = b.read()
            assert not page["error"]["shown"] and not page["console_errors"], page
            assert page["lang"] == "zh-CN" and page["title"] == "政务云服务质量评价", page["title"]
            assert page["as_of"]["text"] == red["as_of"].replace("T", " ")[:19] + " +08:00", page["as_of"]
            assert page["period"] == {"kind": "月度", "value": PERIOD, "label": "2026年3月"}, page["period"]
            assert [c["target"] for c in page["cards"]] == ["platform", "gz-mobile", "gz-telecom", "gz-unicom"]
            check_scores(page, s, server)
            names = model_names()
            rows = {r["id"]: r for r in page["tree"]}
            assert set(rows) >= {"A", "A1", "A5", "B", "B2", "C", "C3"}, sorted(rows)  # first level open
            assert rows["A"]["name"].endswith("A " + names["A"][0]) and rows["A"]["points"] == shown_score(
                red["indicators"]["A"]["score"]), rows["A"]
            # a leaf's value as the snapshot holds it, 6 significant digits (0.55: disk 0.55 everywhere)
            assert rows["B2"]["value"] == "%.6g" % red["indicators"]["B2"]["value"] == "0.55", rows["B2"]
            # burn_1h_5m of svc-portal fired at 01:01 and never resolved: listed, as Redis has it
            fired = [a for a in s.stream("alerts") if a["rule"] == "burn_1h_5m" and a["service"] == "svc-portal"]
            assert [a["state"] for a in fired] == ["firing"] and fired[0]["since"] == at(61), fired
            shown = [a for a in page["alerts"] if a["rule"] == "burn_1h_5m" and a["service"] == "svc-portal"]
            assert len(shown) == 1 and shown[0]["id"] == fired[0]["id"], page["alerts"]
            assert shown[0]["cells"][3] == "03-02 01:01" and shown[0]["cells"][4] == "16.7 / 200.0", shown
            # below target: svc-portal, down since 01:00 out of the month's agreed time to date
            svc = server.api(f"/api/v1/services?period={PERIOD}&below_target=true")
            as_of_ms = ms(svc["as_of"])
            avail = 1 - (as_of_ms - ms(at(60))) / (as_of_ms - ms("2026-03-01T00:00:00+08:00"))
            portal = [r for r in page["below"] if r["service"] == "svc-portal"]
            assert len(portal) == 1 and portal[0]["cells"][3] == "%.3f%%" % (avail * 100), (portal, avail)
            assert [r["service"] for r in page["below"]] == [r["service"] for r in svc["services"]], page["below"]

            # no flicker: a poll that brings the same data rebuilds nothing (the elements stay)
            b.wait("(document.querySelector('#cards .card').__probe = document.querySelector('#tree .node').__probe"
                   " = 'kept')")
            updated = b.read()["updated"]
            b.wait(f"document.getElementById('updated')?.textContent !== {json.dumps(updated)}")
            assert b.wait("[document.querySelector('#cards .card').__probe, document.querySelector('#tree .node')"
                          ".__probe, document.querySelectorAll('#chart-trend canvas').length]") == ["kept", "kept", 1]

            # a provider and a period chosen stay chosen across refreshes
            b.send("click", selector='#cards .card[data-target="gz-telecom"]')
            tel = redis_snapshot(s, "gz-telecom", PERIOD)
            b.wait("document.querySelector('#tree .node[data-id=\"A\"] .n-points')?.textContent.endsWith("
                   f"{json.dumps(shown_score(tel['indicators']['A']['score']))}) && "
                   "document.getElementById('tree-title')?.textContent.includes('gz-telecom')")
            b.send("click", selector='#kinds button[data-kind="year"]')
            year = redis_snapshot(s, "platform", "2026")
            b.wait("document.getElementById('period').value === '2026' && document.querySelector("
                   f"'#cards .card[data-target=\"platform\"] .score')?.textContent === {json.dumps(shown_score(year['score']))}")
            updated = b.read()["updated"]
            b.wait(f"document.getElementById('updated')?.textContent !== {json.dumps(updated)}")  # a later poll
            page = b.read()
            assert page["period"]["value"] == "2026" and card(page, "gz-telecom")["selected"], page["period"]
            b.send("click", selector='#kinds button[data-kind="month"]')
            b.send("click", selector='#cards .card[data-target="platform"]')
            b.wait("document.getElementById('period').value === '2026-03' && document.querySelector("
                   f"'#cards .card[data-target=\"platform\"] .score')?.textContent === {json.dumps(shown_score(red['score']))}"
                   " && document.getElementById('tree-title')?.textContent.includes('全平台')")

            # English: labels, grades and indicator names switch; remembered across a reload
            b.send("click", selector='#lang button[data-lang="en"]')
            b.wait("document.documentElement.lang === 'en'")
            page = b.read()
            assert page["title"] == "Government cloud service quality" and page["labels"]["alerts"] == "Firing alerts"
            assert page["period"] == {"kind": "Month", "value": PERIOD, "label": "Mar 2026"}, page["period"]
            assert rows["A"]["name"] != [r for r in page["tree"] if r["id"] == "A"][0]["name"], page["tree"][0]
            assert [r for r in page["tree"] if r["id"] == "A"][0]["name"].endswith("A " + names["A"][1])
            check_scores(page, s, server, lang="en")
            b.send("reload")
            b.wait(SCORES_SHOWN + " && document.documentElement.lang === 'en'")
            assert b.read()["labels"]["tree"].startswith("Indicators")
            b.send("click", selector='#lang button[data-lang="zh"]')
            b.wait("document.documentElement.lang === 'zh-CN'")

            # why: the explain panel (/api/v1/explain) of the tree's rows and total
            check_explain_panel(b, s, server)
            # an unknown target: the API's 404 in the panel, naming the known ones
            b.open(f"{server.base}/?refresh=1&target=gz-nowhere&explain=A1.1")
            b.wait(f"{PANEL}.dataset.state === 'error'")
            x = b.read()["explain"]
            assert x["open"] and x["error"]["status"] == "404" and "gz-telecom" in x["error"]["text"], x
            # the deep link: ?explain= opens the panel on load, for ?target= and ?period=
            b.open(f"{server.base}/?refresh=1&target=gz-telecom&period={PERIOD}&explain=A1.1")
            x = panel_is(b, "A1.1")["explain"]
            check_evidence(x, explain_api(server, "gz-telecom", "A1.1"),
                           [("svc-portal", PORTAL_DOWN_S), ("svc-gis", GIS_DOWN_S)])
            # an unchanged poll asks nothing and rebuilds nothing, the panel's content included
            b.wait("(document.querySelector('#explain .x-item').__probe = 'kept')")
            explains = [u for u in b.send("requests")["urls"] if "/api/v1/explain" in u]
            for _ in range(2):
                updated = b.read()["updated"]
                b.wait(f"document.getElementById('updated')?.textContent !== {json.dumps(updated)}")
            assert b.wait("document.querySelector('#explain .x-item').__probe") == "kept"
            assert [u for u in b.send("requests")["urls"] if "/api/v1/explain" in u] == explains, explains

            # live: another hour of events, new ticks; the same page (no reload) follows
            marker = b.read()["marker"]
            produce_until(s, 180, 240, step=30)
            red = redis_snapshot(s, "platform", PERIOD)
            assert ms(red["as_of"]) >= ms(at(230)), red["as_of"]
            b.wait(as_of_is(red["as_of"]), 30000)
            b.wait(f"document.querySelector('#cards .card[data-target=\"platform\"] .score')?.textContent === "
                   f"{json.dumps(shown_score(red['score']))}", 30000)
            page = b.read()
            assert page["marker"] == marker, "the page was reloaded"
            check_scores(page, s, server)
            # the open panel follows the new as_of: svc-portal down from 01:00 to as_of
            b.wait(f"{PANEL}.dataset.asOf === {json.dumps(red['as_of'])}", 30000)
            x = b.read()["explain"]
            check_evidence(x, explain_api(server, "gz-telecom", "A1.1"),
                           [("svc-portal", (ms(red["as_of"]) - ms(at(PORTAL_DOWN_FROM))) // 1000),
                            ("svc-gis", GIS_DOWN_S)])
            time.sleep(0.3)
            print("  screenshot: " + b.send("screenshot", path=EXPLAIN_ARTIFACT)["path"])
            b.send("press", key="Escape")
            b.wait(f"{PANEL}.hidden")
            b.wait("document.querySelectorAll('#chart-trend canvas').length > 0")
            time.sleep(0.5)  # the charts draw on the next animation frame
            shot = b.send("screenshot", path=ARTIFACT)["path"]
            print(f"  screenshot: {shot}")
            origins = {re.match(r"^[a-z]+://[^/]*", u).group(0) for u in b.send("requests")["urls"]}
            assert origins == {server.base}, origins

            # with a token: none in the URL, an error in the page; #token=... works and leaves
            # the address bar; the server going away is an error in the page, the data kept
            guarded = Serve(s.dir, s.config, token=TOKEN, name="guarded")
            b.open(f"{guarded.base}/?refresh=1&explain=A1.1")
            b.wait("!document.getElementById('error').hidden", 15000)
            page = b.read()
            assert page["error"]["status"] == "401" and "#token=" in page["error"]["text"], page["error"]
            assert page["explain"]["error"] == {"status": "401", "text": page["error"]["text"]}, page["explain"]
            assert not page["cards"], page["cards"]
            b.open(f"{guarded.base}/?refresh=1&period=2026-Q1#token={TOKEN}")  # and a period asked for
            b.wait(SCORES_SHOWN)
            page = b.read()
            assert not page["error"]["shown"] and page["token_kept"], page["error"]
            assert page["hash"] == "" and TOKEN not in page["href"], page["href"]
            quarter = redis_snapshot(s, "platform", "2026-Q1")
            assert page["period"] == {"kind": "季度", "value": "2026-Q1", "label": "2026年第1季度"}, page["period"]
            assert card(page, "platform")["score"] == shown_score(quarter["score"]), (page["cards"], quarter["score"])
            guarded.stop()
            b.wait("document.getElementById('error').dataset.status === '0'", 15000)
            page = b.read()
            assert "cloudqe serve" in page["error"]["text"], page["error"]
            assert card(page, "platform")["score"] == shown_score(quarter["score"]), page["cards"]
        server.stop()
        s.stop(w)
    run("dashboard", body, extra_config={"services": SERVICES, "snapshot_interval_s": 600}, partitions=1)
