"""`cloudqe serve` (issue 12): the read-only HTTP JSON API over what real `cloudqe run`
workers left in a real redis-server, on a hand-made event file whose figures are worked
out here from docs/spec/semantics.md and docs/outputs.md:

2026-03-01 (+08:00), minutes 00:00-01:59, two probe sites a minute for two catalog
services of prov-1 / dept-1 (test config of t_outputs.Stream):
  - svc-a (target 0.999): both sites fail 01:30-01:59. as_of = the largest ts = 01:59,
    so the observed span is 119 min = 7140 s and 29 down minutes (01:30-01:58) count:
    downtime 1740 s, availability 1 - 1740/7140, sla_met false. Alerts (event time):
    burn_1h_5m fires at 01:31 (60 s/3600 s/0.001 = 16.7 > 14.4, 60/300/0.001 = 200),
    burn_6h_30m at 01:33 (180/21600/0.001 = 8.3 > 6; two minutes give 5.6), burn_1d_2h
    and burn_3d_6h at 01:35 (300 s: 3.47 > 3, 1.16 > 1; four minutes give 2.78, 0.93),
    sla_breach: all five fire and none resolves before 01:59.
  - svc-b (target 0.99): both sites fail at 01:40 only: downtime 60 s, availability
    1 - 60/7140 = 0.99160 >= 0.99, sla_met true; its month-to-date availability never
    drops below 0.99 (1 - 60/6060 at 01:41), so no alert of svc-b.
  - platform and dept-1 availability: the plain mean, (A_a + A_b) / 2.
  - two VMs of pool-1 every 5 min (interval_s 300): vm-1 cpu 0.5 mem 0.25, vm-2 cpu 0.1
    mem 0.75: cpu mean 0.3, p95 0.50 (half the weight in bucket 10, half in 50), mem mean
    0.5, p95 0.75, no disk or net samples, 2 resources.
  - incidents of svc-b (impact none: no down time): INC-1 opened 00:50, acked 00:55,
    never resolved (open, elapsed 69 min = 4140 s); INC-2 opened 00:20, resolved 00:40.
Every response is validated against schemas/api.schema.json."""
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from t_kafka import KafkaTestError, Redis, binary, redis_cmd, wait_for
from t_outputs import Stream, probe, rfc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A_A = 1 - 1740 / 7140
A_B = 1 - 60 / 7140


def events():
    ev = []
    for m in range(0, 120):
        for site in ("a", "b"):
            ev.append(probe(0, 1, m, m < 90, site, "svc-a"))
            ev.append(probe(0, 1, m, m != 100, site, "svc-b"))
    for m in range(0, 120, 5):
        for vm, cpu, mem in (("vm-1", 0.5, 0.25), ("vm-2", 0.1, 0.75)):
            ev.append({"v": 1, "id": f"m-{vm}-{m}", "type": "metric", "ts": rfc(1, m), "provider": "prov-1",
                       "dept": "dept-1", "resource": vm, "pool": "pool-1", "kind": "vm", "interval_s": 300,
                       "cpu": cpu, "mem": mem})

    def inc(n, m, action, **kw):
        e = {"v": 1, "id": f"i-{n}-{action}", "type": "incident", "ts": rfc(1, m), "provider": "prov-1",
             "dept": "dept-1", "incident": n, "action": action}
        e.update(kw)
        return e
    ev += [inc("INC-2", 20, "open", service="svc-b", severity=4, impact="none"), inc("INC-2", 40, "resolve"),
           inc("INC-1", 50, "open", service="svc-b", severity=3, impact="none"), inc("INC-1", 55, "ack")]
    return ev


# ---------------------------------------------------------------- helpers

_VALIDATORS = {}


def validate(name, doc):
    import jsonschema
    if not _VALIDATORS:
        with open(os.path.join(ROOT, "schemas", "api.schema.json"), encoding="utf-8") as f:
            root = json.load(f)
        jsonschema.Draft202012Validator.check_schema(root)
        for d in root["$defs"]:
            _VALIDATORS[d] = jsonschema.Draft202012Validator(
                {"$schema": root["$schema"], "$defs": root["$defs"], "$ref": f"#/$defs/{d}"})
    errors = [f"{e.json_path}: {e.message}" for e in _VALIDATORS[name].iter_errors(doc)]
    assert not errors, (name, errors[:5])


class Serve:
    """A `cloudqe serve` process; get() counts every answer by status class."""

    def __init__(self, args, env=None, token=None):
        self.token = token
        self.log = tempfile.NamedTemporaryFile(prefix="cqe-serve-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([binary(), "serve", "--listen", "127.0.0.1:0"] + args, stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=env)
        self.seen = {}
        self.port = None
        wait_for(lambda: self._port() or self.proc.poll() is not None, 30, "serve to listen")
        if not self.port:
            raise KafkaTestError("serve did not start:\n" + self.text())

    def _port(self):
        t = self.text()
        if "(port " in t:
            self.port = int(t.split("(port ")[1].split(")")[0])
        return self.port

    def text(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def get(self, path, token=None, raw=False):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        tok = token if token is not None else self.token
        if tok:
            req.add_header("Authorization", "Bearer " + tok)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, body, ctype = r.status, r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, e.read(), e.headers.get("Content-Type")
        self.seen[status // 100] = self.seen.get(status // 100, 0) + 1
        if raw:
            return status, body.decode()
        assert ctype.startswith("application/json"), (path, status, ctype, body[:200])
        doc = json.loads(body)
        if status >= 400:
            validate("error", doc)
            assert doc["error"]["status"] == status
        return status, doc

    def ok(self, path, schema):
        status, doc = self.get(path)
        assert status == 200, (path, status, doc)
        validate(schema, doc)
        return doc

    def refused(self, path, status, *words):
        got, doc = self.get(path)
        msg = doc["error"]["message"]
        assert got == status and all(w in msg for w in words), (path, got, msg, words)
        return msg

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise KafkaTestError("serve did not stop on SIGTERM:\n" + self.text())
            assert rc == 0, (rc, self.text())
        os.unlink(self.log.name)


def metric_families(text):
    from prometheus_client.parser import text_string_to_metric_families
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    assert fams and all(n.startswith("cloudqe_") for n in fams), sorted(fams)
    return fams


def sample(fams, family, **labels):
    for s in fams[family].samples:
        if s.name in (family, family + "_total") and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise AssertionError((family, labels))


def without(rec, *keys):
    return {k: v for k, v in rec.items() if k not in keys}


def close(x, y):
    return abs(x - y) < 1e-9


# ---------------------------------------------------------------- tests

def test_api_values_by_hand_and_as_cloudqe_snapshot():
    s = Stream("serve", partitions=1)  # one partition: the alert sequence is order-free (readings 27)
    srv = fast = None
    try:
        w = s.worker()
        s.produce(events())
        s.stop(w)  # SIGTERM: the role's last tick over everything, as_of 01:59
        srv = Serve(["--config", s.config, "--refresh", "1"])
        wait_for(lambda: srv.get("/readyz", raw=True)[0] == 200, 60, "serve ready")
        check_values(s, srv)
        check_refusals(srv)
        check_metrics(srv)
        # --rate 2: a bucket of 4; a burst of 20 meets 429s, counted in /metrics
        fast = Serve(["--config", s.config, "--rate", "2"])
        burst = [fast.get("/healthz", raw=True)[0] for _ in range(20)]
        assert burst[:4] == [200] * 4 and burst.count(429) >= 10, burst
        status, doc = fast.get("/api/v1/targets")
        assert status == 429 and "slow down" in doc["error"]["message"], doc
        got = []
        wait_for(lambda: got.append(fast.get("/metrics", raw=True)) or got[-1][0] == 200, 30, "the bucket to refill")
        fams = metric_families(got[-1][1])
        assert sample(fams, "cloudqe_serve_rate_limited") == fast.seen[4], (fast.seen, fams)
        check_redis_down(s, srv)
    finally:
        for x in (srv, fast):
            if x:
                x.stop()
        s.close()


def check_values(s, srv):
    # the index lists every endpoint
    idx = srv.ok("/api/v1", "index")
    paths = {e["path"] for e in idx["endpoints"]}
    assert {"/api/v1/targets", "/api/v1/snapshot", "/api/v1/services", "/api/v1/history", "/metrics"} <= paths

    t = srv.ok("/api/v1/targets", "targets")
    assert t["as_of"] == "2026-03-01T01:59:00+08:00", t
    assert [x["target"] for x in t["targets"]] == ["platform", "prov-1"], t
    assert {p["period"] for p in t["periods"]} == {"2026-03", "2026-Q1", "2026"}, t
    assert t["current"] == {"month": "2026-03", "quarter": "2026-Q1", "year": "2026"}

    # /snapshot: the record the output role stored, plus the model's tree
    snap = srv.ok("/api/v1/snapshot", "snapshot")  # defaults: platform, the current month
    stored = json.loads(redis_cmd(s.redis.port, "GET", "cqe:{out}:snapshot:platform:2026-03"))
    assert without(snap, "tree") == stored
    assert snap["as_of"] == "2026-03-01T01:59:00+08:00"
    f = snap["figures"]
    assert close(f["availability"], (A_A + A_B) / 2) and f["downtime_s"] == 1740 + 60, f
    assert close(f["cpu_mean"], 0.3) and close(f["mem_mean"], 0.5) and f["cpu_p95"] == 0.5 and f["mem_p95"] == 0.75
    assert f["disk_mean"] is None and f["net_mean"] is None and f["services"] == 2
    with open(os.path.join(ROOT, "schemas", "default-model.json"), encoding="utf-8") as fh:
        model = json.load(fh)
    tree = snap["tree"]
    assert tree["score"] == snap["score"] and [c["id"] for c in tree["children"]] == [n["id"] for n in model["tree"]]

    def walk(node, mnode):
        ind = snap["indicators"][node["id"]]
        assert node["name"] == mnode["name"] and node["name_en"] == mnode["en"] and node["weight"] == mnode["weight"]
        assert node["score"] == ind["score"] and node["evaluable"] == ind["evaluable"], node["id"]
        assert node["value"] == ind.get("value"), node["id"]
        assert [c["id"] for c in node["children"]] == [c["id"] for c in mnode.get("children", [])]
        for c, mc in zip(node["children"], mnode.get("children", [])):
            walk(c, mc)
    for c, mc in zip(tree["children"], model["tree"]):
        walk(c, mc)
    a11 = tree["children"][0]["children"][0]["children"][0]
    assert a11["id"] == "A1.1" and a11["name"] == "服务可用率" and close(a11["value"], (A_A + A_B) / 2)

    # the same as `cloudqe snapshot` of the same Redis (its counters are stream totals)
    out = subprocess.run([binary(), "snapshot", "--config", s.config, "--period", "2026-03"], capture_output=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    cli = [json.loads(line) for line in out.stdout.splitlines()]
    cli_snap = {r["target"]: r for r in cli if r["kind"] == "snapshot"}
    assert without(snap, "tree", "revision", "counters") == without(cli_snap["platform"], "revision", "counters")

    snaps = srv.ok("/api/v1/snapshots?period=2026-03", "snapshots")
    assert [r["target"] for r in snaps["snapshots"]] == ["platform", "prov-1"]
    for r in snaps["snapshots"]:
        assert without(r, "revision", "counters") == without(cli_snap[r["target"]], "revision", "counters")

    # services: by availability ascending; the records `cloudqe snapshot` prints
    sv = srv.ok("/api/v1/services?period=2026-03", "services")
    assert sv["total"] == 2 and [x["service"] for x in sv["services"]] == ["svc-a", "svc-b"], sv
    a, b = sv["services"]
    assert a["downtime_s"] == 1740 and a["agreed_s"] == 7140 and close(a["availability"], A_A) and a["sla_met"] is False
    assert a["probe_down_minutes"] == 29 and a["incidents"] == 0
    assert b["downtime_s"] == 60 and close(b["availability"], A_B) and b["sla_met"] is True and b["incidents"] == 2
    assert sv["as_of"] == "2026-03-01T01:59:00+08:00"
    cli_sv = sorted((r for r in cli if r["kind"] == "service"), key=lambda r: r["service"])
    assert sv["services"] == cli_sv
    below = srv.ok("/api/v1/services?period=2026-03&below_target=true", "services")
    assert [x["service"] for x in below["services"]] == ["svc-a"] and below["total"] == 1
    page = srv.ok("/api/v1/services?period=2026-03&limit=1&offset=1&provider=prov-1&dept=dept-1", "services")
    assert [x["service"] for x in page["services"]] == ["svc-b"] and page["total"] == 2

    d = srv.ok("/api/v1/depts?period=2026-03", "depts")
    assert d["depts"] == [r for r in cli if r["kind"] == "dept"]
    dept = d["depts"][0]
    assert dept["dept"] == "dept-1" and close(dept["availability"], (A_A + A_B) / 2)
    assert close(dept["cpu_mean"], 0.3) and close(dept["mem_mean"], 0.5) and dept["resources"] == 2

    u = srv.ok("/api/v1/utilization?period=2026-03", "utilization")
    assert len(u["pools"]) == 1, u
    p = u["pools"][0]
    assert p["provider"] == "prov-1" and p["resources"] == 2 and close(p["cpu_mean"], 0.3) and p["cpu_p95"] == 0.5
    assert close(p["mem_mean"], 0.5) and p["mem_p95"] == 0.75 and p["disk_mean"] is None and p["net_mean"] is None
    assert srv.ok("/api/v1/utilization?period=2026-02", "utilization")["pools"] == []

    inc = srv.ok("/api/v1/incidents", "incidents")
    assert inc["incidents"] == [{"id": "INC-1", "service": "svc-b", "provider": "prov-1", "dept": "dept-1",
                                 "severity": 3, "status": "acknowledged", "opened": rfc(1, 50),
                                 "elapsed_s": 69 * 60}], inc
    assert srv.ok("/api/v1/incidents?service=svc-a", "incidents")["incidents"] == []

    # alerts: the five of svc-a fire; the stream holds exactly those records
    al = srv.ok("/api/v1/alerts", "alerts")
    rules = {x["rule"]: x for x in al["firing"]}
    assert sorted(rules) == ["burn_1d_2h", "burn_1h_5m", "burn_3d_6h", "burn_6h_30m", "sla_breach"], rules
    assert all(x["service"] == "svc-a" for x in al["firing"])
    fire = rules["burn_1h_5m"]
    assert fire["since"] == rfc(1, 91) and close(fire["burn_long"], 60 / 3600 / 0.001)
    assert close(fire["burn_short"], 60 / 300 / 0.001)
    assert rules["burn_6h_30m"]["since"] == rfc(1, 93) and rules["burn_1d_2h"]["since"] == rfc(1, 95)
    assert rules["burn_3d_6h"]["since"] == rfc(1, 95)
    stream = s.stream("alerts")
    assert al["recent"] == stream[::-1], (al["recent"], stream)
    assert srv.ok("/api/v1/alerts?limit=2", "alerts")["recent"] == stream[::-1][:2]

    # explain: the record `cloudqe explain --json` prints for the same state, root and leaf
    import t_explain
    v = t_explain.validator()
    for target, ind in (("platform", None), ("prov-1", "A1.1"), ("prov-1", "A")):
        q = f"/api/v1/explain?period=2026-03&target={target}" + (f"&indicator={ind}" if ind else "")
        status, got = srv.get(q)
        assert status == 200, (q, got)
        t_explain.assert_valid(v, got, q)
        cli_args = [binary(), "explain", "--config", s.config, "--state", s.cfg["redis"]["url"], "--period", "2026-03",
                    "--target", target, "--json"]
        out = subprocess.run(cli_args + (["--indicator", ind] if ind else []), capture_output=True, timeout=120)
        assert out.returncode == 0, out.stderr.decode()
        assert got == json.loads(out.stdout), (q, got)
    leaf = srv.ok("/api/v1/explain?period=2026-03&target=prov-1&indicator=A1.1", "explain")
    svcs = {i["id"]: i for i in leaf["evidence"]["items"] if i["kind"] == "service"}
    assert svcs["svc-a"]["downtime_s"] == 1740 and close(svcs["svc-a"]["availability"], A_A), svcs
    assert svcs["svc-b"]["downtime_s"] == 60 and close(svcs["svc-b"]["availability"], A_B), svcs
    assert [i["id"] for i in leaf["evidence"]["items"]][0] == "svc-a"  # the largest effect first
    assert "items_total" not in leaf["evidence"]
    one = srv.ok("/api/v1/explain?period=2026-03&target=prov-1&indicator=A1.1&limit=1", "explain")
    t_explain.assert_valid(v, one, "limit=1")
    assert one["evidence"]["items"] == leaf["evidence"]["items"][:1] and one["evidence"]["items_total"] == 2, one

    # history: the snapshots stream of (platform, 2026-03), oldest first
    h = srv.ok("/api/v1/history?period=2026-03", "history")
    mine = [r for r in s.stream("snapshots") if r["target"] == "platform" and r["period"] == "2026-03"]
    assert [(x["as_of"], x["revision"], x["score"]) for x in h["points"]] == \
        [(r["as_of"], r["revision"], r["score"]) for r in mine], (h, mine)
    assert h["points"][-1]["availability"] == snap["figures"]["availability"] and "months" not in h
    q = srv.ok("/api/v1/history?period=2026-Q1&target=prov-1", "history")
    prov_march = json.loads(redis_cmd(s.redis.port, "GET", "cqe:{out}:snapshot:prov-1:2026-03"))
    assert q["months"] == [{"period": "2026-03", "score": prov_march["score"],
                            "availability": prov_march["figures"]["availability"],
                            "cpu_mean": prov_march["figures"]["cpu_mean"], "mem_mean": prov_march["figures"]["mem_mean"]}]


def check_refusals(srv):
    srv.refused("/api/v1/snapshot?period=2026-3", 400, "period", "2026-Q1", "2026-03")
    srv.refused("/api/v1/services?period=2026-Q5", 400, "period")
    srv.refused("/api/v1/services?below_target=yes", 400, "below_target", "true or false")
    srv.refused("/api/v1/services?limit=0", 400, "limit", "1 to 1000")
    srv.refused("/api/v1/services?limit=1001", 400, "limit", "1 to 1000")
    srv.refused("/api/v1/alerts?limit=abc", 400, "limit", "1 to 1000")
    srv.refused("/api/v1/services?offset=-1", 400, "offset")
    srv.refused("/api/v1/services?foo=1", 400, "unknown parameter 'foo'", "below_target")
    srv.refused("/api/v1/targets?period=2026", 400, "unknown parameter 'period'", "no parameters")
    srv.refused("/api/v1/snapshot?period=2026&period=2025", 400, "'period' given twice")
    srv.refused("/api/v1/snapshot?target=", 400, "target is empty")
    srv.refused("/api/v1/snapshot?target=nope&period=2026-03", 404, "unknown target 'nope'", "platform, prov-1")
    srv.refused("/api/v1/history?target=nope", 404, "unknown target 'nope'")
    srv.refused("/api/v1/snapshot?period=2025-01", 404, "no snapshot of platform for period 2025-01",
                "/api/v1/targets")
    srv.refused("/api/v1/services?provider=nope", 404, "unknown provider 'nope'")
    srv.refused("/api/v1/incidents?service=nope", 404, "unknown service 'nope'")
    srv.refused("/api/v1/explain?period=2026-03&indicator=Z9", 404, "Z9", "A1.1")
    srv.refused("/api/v1/explain?period=2026-03&target=nope", 404, "nope", "prov-1")
    srv.refused("/api/v1/explain?indicator=", 400, "indicator is empty")
    srv.refused("/api/v1/explain?limit=0", 400, "limit", "1 to 100000")
    srv.refused("/api/v1/nope", 404, "no such path", "/api/v1")
    srv.refused("/api/v2", 404, "no such path")


def check_metrics(srv):
    status, text = srv.get("/metrics", raw=True)
    assert status == 200
    fams = metric_families(text)
    # every answer before this one, by class (this one is counted after it is written)
    assert sample(fams, "cloudqe_serve_requests", code="2xx") == srv.seen[2] - 1, (srv.seen, text)
    assert sample(fams, "cloudqe_serve_requests", code="4xx") == srv.seen[4]
    assert sample(fams, "cloudqe_serve_requests", code="5xx") == srv.seen.get(5, 0)
    assert sample(fams, "cloudqe_serve_unauthorized") == 0 and sample(fams, "cloudqe_serve_rate_limited") == 0
    assert sample(fams, "cloudqe_serve_loads") >= 1 and sample(fams, "cloudqe_serve_ready") == 1
    assert sample(fams, "cloudqe_serve_last_load_duration_seconds") > 0
    assert sample(fams, "cloudqe_serve_snapshots") == 6 and sample(fams, "cloudqe_serve_alerts_firing") == 5
    assert fams["cloudqe_serve_requests"].type == "counter"


def check_redis_down(s, srv):
    s.redis.stop()
    wait_for(lambda: srv.get("/readyz", raw=True)[0] == 503, 60, "/readyz 503 once Redis is down")
    status, text = srv.get("/readyz", raw=True)
    assert text.startswith("not ready:") and ("connect" in text.lower() or "redis" in text.lower()), text
    srv.refused("/api/v1/targets", 503, "not available")
    srv.refused("/api/v1/services", 503, "not available")
    assert srv.get("/healthz", raw=True) == (200, "ok\n") and srv.proc.poll() is None
    fams = metric_families(srv.get("/metrics", raw=True)[1])
    assert sample(fams, "cloudqe_serve_redis_errors") >= 1 and sample(fams, "cloudqe_serve_ready") == 0


def test_token_required_off_loopback_and_checked():
    d = tempfile.mkdtemp(prefix="cqe-serve-tok-")
    redis = Redis(d)
    servers = []
    try:
        # no token and not loopback: refused before anything starts
        p = subprocess.run([binary(), "serve", "--state", redis.url(), "--listen", "0.0.0.0:0"], capture_output=True,
                           timeout=30, env={k: v for k, v in os.environ.items() if k != "CLOUDQE_TOKEN"})
        assert p.returncode == 2 and b"not a loopback address" in p.stderr and b"--token-file" in p.stderr, p
        tok = os.path.join(d, "token")
        with open(tok, "w", encoding="utf-8") as f:
            f.write("s3cret-Token\n")  # the trailing newline is not part of it
        env = dict(os.environ, CLOUDQE_TOKEN="env-Token")
        for args, good, e in ((["--token-file", tok], "s3cret-Token", None), ([], "env-Token", env)):
            srv = Serve(["--state", redis.url()] + args, env=e)
            servers.append(srv)
            for bad in ("", good + "x", good[:-1], "wrong", good.lower()):
                st, doc = srv.get("/api/v1", token=bad)
                assert st == 401 and "bearer token" in doc["error"]["message"], (bad, st, doc)
            assert srv.get("/api/v1/nope", token="")[0] == 401  # paths are not told without the token
            st, doc = srv.get("/api/v1", token=good)
            assert st == 200, doc
            validate("index", doc)
            assert srv.get("/healthz", raw=True, token="")[0] == 200  # open
            assert srv.get("/readyz", raw=True, token="")[0] in (200, 503)  # open
            fams = metric_families(srv.get("/metrics", token=good, raw=True)[1])
            assert sample(fams, "cloudqe_serve_unauthorized") == srv.seen[4], srv.seen
            assert good not in srv.text(), srv.text()
    finally:
        for srv in servers:
            srv.stop()
        redis.stop()
