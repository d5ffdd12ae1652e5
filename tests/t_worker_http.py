"""The workers' own endpoint (issue 12): every `cloudqe run` serves /metrics, /healthz and
/readyz on --listen. A worker on a mock cluster and a private redis-server consumes a
hand-made file whose counts are known:
  12 distinct probes (applied), 3 exact copies of the first three (duplicates), and
  6 refused lines: json_syntax 2, missing_field 1, unknown_type 1, unsupported_version 1,
  bad_type 1 (dead letters) — 21 messages consumed;
/metrics (parsed by prometheus_client) must say exactly that once flushed, every family
named cloudqe_* with HELP and TYPE, lag 0 on every held partition, a cumulative flush
histogram; /readyz is 503 before an assignment and while Redis is down, 200 otherwise.
Then the token rule, `--listen off` and a busy port, with no Kafka at all (the endpoint
starts before anything else). Every process a test starts is stopped when it ends."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from t_kafka import KafkaTestError, MockKafka, Redis, binary, wait_for

PARTITIONS = 4
TIMEOUT_S = 90
REASONS = ["json_syntax", "missing_field", "bad_type", "bad_value", "too_large", "bad_utf8", "unknown_type",
           "unsupported_version", "period_archived", "incident_pending_limit"]


def probe(i, service, minute):
    return json.dumps({"v": 1, "id": f"p-{i}", "type": "probe", "ts": "2026-03-02T00:%02d:00+08:00" % minute,
                       "provider": "prov-1", "service": service, "ok": True, "site": "s1"})


def hand_made_lines():
    """The input and its counts, by hand (see the module's docstring)."""
    good = [probe(i, "svc-a" if i % 2 else "svc-b", i) for i in range(1, 13)]
    refused = [
        '{"v":1,"id":"p-90",',  # json_syntax
        '{"v":1,"id":"p-91","type":"probe"',  # json_syntax
        '{"v":1,"id":"p-92","type":"probe","ts":"2026-03-02T00:01:00+08:00","provider":"prov-1","ok":true,'
        '"site":"s1"}',  # missing_field: service
        '{"v":1,"id":"p-93","type":"bogus","ts":"2026-03-02T00:01:00+08:00"}',  # unknown_type
        '{"v":3,"id":"p-94","type":"probe","ts":"2026-03-02T00:01:00+08:00","provider":"prov-1",'
        '"service":"svc-a","ok":true,"site":"s1"}',  # unsupported_version
        '{"v":1,"id":"p-95","type":"probe","ts":"2026-03-02T00:01:00+08:00","provider":"prov-1",'
        '"service":"svc-a","ok":"yes","site":"s1"}',  # bad_type
    ]
    lines = good + refused + good[:3]  # the copies come after their originals
    counts = {"consumed": 21, "applied": 12, "duplicates": 3,
              "dead": {"json_syntax": 2, "missing_field": 1, "unknown_type": 1, "unsupported_version": 1,
                       "bad_type": 1}}
    return lines, counts


def get(url, token=None, timeout=10):
    """(status, body text) of a GET."""
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def start_run(args, log_path, env=None):
    log = open(log_path, "ab")
    p = subprocess.Popen([binary(), "run", *args], stdout=subprocess.DEVNULL, stderr=log,
                         env={**os.environ, **(env or {})})
    log.close()
    p.log_path = log_path
    return p


def read_log(p):
    with open(p.log_path, encoding="utf-8", errors="replace") as f:
        return f.read()


def endpoint_of(p, timeout=30):
    """The base URL the worker printed ("run: metrics on http://HOST:PORT/metrics")."""
    found = {}

    def printed():
        if p.poll() is not None:
            raise KafkaTestError(f"run exited ({p.returncode}) before its endpoint:\n" + read_log(p)[-3000:])
        m = re.search(r"run: metrics on (http://[^/\s]+)/metrics", read_log(p))
        if m:
            found["url"] = m.group(1)
        return bool(m)
    wait_for(printed, timeout, "the endpoint's address line")
    return found["url"]


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            return p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise KafkaTestError("run did not stop within 60 s:\n" + read_log(p)[-3000:])
    return p.returncode


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(fams, family, sample=None, **labels):
    f = fams[family]
    sample = sample or (family + "_total" if f.type == "counter" else family)
    for s in f.samples:
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise KafkaTestError(f"no sample {sample}{labels} in {family}")


def test_metrics_equal_hand_counts_and_readiness_follows_redis():
    d = tempfile.mkdtemp(prefix="cqe-whttp-")
    mock = redis = p = None
    try:
        mock = MockKafka(d, partitions=PARTITIONS, brokers=1)
        redis = Redis(d)
        redis.stop()  # down at start: the worker waits for it, its endpoint already up
        cfg = os.path.join(d, "config.json")
        with open(cfg, "w") as f:
            json.dump({"clock": "event",
                       "services": [{"id": "svc-a", "provider": "prov-1", "dept": "dept-1", "target": 0.999},
                                    {"id": "svc-b", "provider": "prov-1", "dept": "dept-1", "target": 0.99}],
                       "kafka": {"bootstrap.servers": mock.bootstrap, "session.timeout.ms": 6000,
                                 "heartbeat.interval.ms": 1000},
                       "redis": {"url": redis.url()}, "output_dir": os.path.join(d, "lake")}, f)
        lines, want = hand_made_lines()
        events = os.path.join(d, "events.ndjson")
        with open(events, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = start_run(["--config", cfg, "--listen", "127.0.0.1:0", "--flush-ms", "200", "--progress", "1",
                       "--no-dead-letter-topic"], os.path.join(d, "worker.log"))
        base = endpoint_of(p)

        # no Redis, no assignment yet: alive, not ready, both reasons named; no token set
        assert get(base + "/healthz") == (200, "ok\n")
        status, body = get(base + "/readyz")
        assert status == 503 and "no partitions assigned" in body and "redis unreachable" in body, (status, body)

        redis.start()
        wait_for(lambda: get(base + "/readyz") == (200, "ready\n"), TIMEOUT_S, "/readyz 200 once assigned")

        produce = subprocess.run([binary(), "produce", "--config", cfg, "--group", "cloudqe", "--wait", "--quiet",
                                  "--wait-timeout", str(TIMEOUT_S), events], capture_output=True,
                                 timeout=TIMEOUT_S + 30)
        if produce.returncode != 0:
            raise KafkaTestError("produce failed: " + produce.stderr.decode()[-2000:])

        last = {}

        def counted():
            status, text = get(base + "/metrics")
            assert status == 200, (status, text)
            fams = families(text)
            last["fams"], last["text"] = fams, text
            return (value(fams, "cloudqe_events_consumed") == want["consumed"] and
                    value(fams, "cloudqe_events_applied") == want["applied"] and
                    value(fams, "cloudqe_duplicates") == want["duplicates"] and
                    sum(s.value for s in fams["cloudqe_dead_letters"].samples
                        if s.name == "cloudqe_dead_letters_total") == sum(want["dead"].values()))
        try:
            wait_for(counted, TIMEOUT_S, "the flushed counts on /metrics")
        except KafkaTestError:
            raise KafkaTestError("metrics never reached the hand counts:\n" + last.get("text", "")[:6000])
        fams = last["fams"]

        # a family without HELP or TYPE parses with no documentation or type "unknown"
        for name, f in fams.items():
            assert name.startswith("cloudqe_"), name
            assert f.documentation and f.type in ("counter", "gauge", "histogram"), (name, f.type)
        for reason in REASONS:
            assert value(fams, "cloudqe_dead_letters", reason=reason) == want["dead"].get(reason, 0), reason
        assert value(fams, "cloudqe_assigned_partitions") == PARTITIONS
        assert value(fams, "cloudqe_data_lost_messages") == 0
        assert [s.labels["version"] for s in fams["cloudqe_build_info"].samples if s.value == 1], "build_info"

        # lag: one series per held partition, 0 once everything was consumed
        def lag_zero():
            fams2 = families(get(base + "/metrics")[1])
            lags = {(s.labels["topic"], s.labels["partition"]): s.value for s in fams2["cloudqe_consumer_lag"].samples}
            last["lags"] = lags
            return sorted(int(k[1]) for k in lags) == list(range(PARTITIONS)) and set(lags.values()) == {0}
        try:
            wait_for(lag_zero, 30, "lag 0 on every partition")
        except KafkaTestError:
            raise KafkaTestError(f"lags: {last.get('lags')}")

        # the flush histogram: flushes were timed, buckets cumulative, +Inf = count
        h = fams["cloudqe_flush_duration_seconds"]
        buckets = [(float(s.labels["le"]), s.value) for s in h.samples if s.name.endswith("_bucket")]
        count = value(fams, "cloudqe_flush_duration_seconds", "cloudqe_flush_duration_seconds_count")
        assert count > 0
        assert [b for b, _ in buckets] == sorted(b for b, _ in buckets) and buckets[-1][0] == float("inf")
        assert all(buckets[i][1] <= buckets[i + 1][1] for i in range(len(buckets) - 1)), buckets
        assert buckets[-1][1] == count
        assert value(fams, "cloudqe_flush_duration_seconds", "cloudqe_flush_duration_seconds_sum") > 0

        # the lone worker takes the output role
        wait_for(lambda: value(families(get(base + "/metrics")[1]), "cloudqe_output_role") == 1, 30,
                 "the output role on the only worker")

        # Redis stopped: not ready, naming it; back: ready again
        redis.stop()
        wait_for(lambda: get(base + "/readyz")[0] == 503, 30, "/readyz 503 with Redis stopped")
        status, body = get(base + "/readyz")
        assert status == 503 and "redis unreachable" in body, body
        assert get(base + "/healthz")[0] == 200

        # the worker and its output role keep reading Redis (the role's meta every second,
        # the positions every pass): their connections count the failed attempts
        def redis_errors():
            fam = families(get(base + "/metrics")[1])["cloudqe_redis_errors"]
            return sum(x.value for x in fam.samples)
        wait_for(lambda: redis_errors() >= 1, 30, "a Redis error counted while Redis is stopped")
        redis.start()
        wait_for(lambda: get(base + "/readyz") == (200, "ready\n"), TIMEOUT_S, "/readyz 200 with Redis back")
        assert redis_errors() >= 1  # a counter: never back to 0
        rc = stop(p)
        assert rc == 0, read_log(p)[-3000:]
        p = None
    finally:
        if p and p.poll() is None:
            p.kill()
            p.wait()
        if mock:
            mock.stop()
        if redis:
            redis.stop()
        if os.environ.get("CQE_KEEP") != "1":
            shutil.rmtree(d, ignore_errors=True)


def nowhere():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "redis://127.0.0.1:%d/0" % s.getsockname()[1]


def test_token_off_loopback_busy_port_and_off():
    d = tempfile.mkdtemp(prefix="cqe-whttp-tok-")
    procs = []
    env = {k: v for k, v in os.environ.items() if k != "CLOUDQE_TOKEN"}
    try:
        # off loopback without a token: refused at start
        r = subprocess.run([binary(), "run", "--state", nowhere(), "--listen", "0.0.0.0:0"], capture_output=True,
                           text=True, timeout=30, env=env)
        assert r.returncode == 1 and "0.0.0.0:0" in r.stderr and "not a loopback address" in r.stderr \
            and "CLOUDQE_TOKEN" in r.stderr, (r.returncode, r.stderr)

        # a busy port: a startup error naming the address, errno and the fixes
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            addr = "127.0.0.1:%d" % busy.getsockname()[1]
            r = subprocess.run([binary(), "run", "--state", nowhere(), "--listen", addr], capture_output=True,
                               text=True, timeout=30, env=env)
        assert r.returncode == 1 and addr in r.stderr and "in use" in r.stderr and "EADDRINUSE" in r.stderr \
            and ":0" in r.stderr and "--listen off" in r.stderr, (r.returncode, r.stderr)

        # a token from the environment, off loopback: /metrics needs it, the probes do not
        p = start_run(["--state", nowhere(), "--listen", "0.0.0.0:0"], os.path.join(d, "env.log"),
                      env={"CLOUDQE_TOKEN": "s3cret-env"})
        procs.append(p)
        base = endpoint_of(p).replace("0.0.0.0", "127.0.0.1")
        status, body = get(base + "/metrics")
        assert status == 401 and "bearer token" in body, (status, body)
        assert get(base + "/metrics", token="wrong")[0] == 401
        status, body = get(base + "/metrics", token="s3cret-env")
        assert status == 200 and "cloudqe_events_consumed_total 0" in body, (status, body[:500])
        assert get(base + "/healthz") == (200, "ok\n")
        status, body = get(base + "/readyz")  # waiting for Redis: no partitions, Redis named
        assert status == 503 and "no partitions assigned" in body and "redis unreachable" in body, body
        assert "s3cret-env" not in read_log(p)

        # --token-file, on loopback: a set token is asked for there too
        tok = os.path.join(d, "token")
        with open(tok, "w") as f:
            f.write("from-file\n")
        p2 = start_run(["--state", nowhere(), "--listen", "127.0.0.1:0", "--token-file", tok],
                       os.path.join(d, "file.log"), env=env)
        procs.append(p2)
        base2 = endpoint_of(p2)
        assert get(base2 + "/metrics")[0] == 401
        assert get(base2 + "/metrics", token="from-file")[0] == 200

        # --listen off: no endpoint, and the worker still starts (waits for Redis)
        p3 = start_run(["--state", nowhere(), "--listen", "off"], os.path.join(d, "off.log"), env=env)
        procs.append(p3)
        wait_for(lambda: "waiting for Redis" in read_log(p3), 30, "the worker without endpoint to start")
        assert "metrics on" not in read_log(p3)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(d, ignore_errors=True)
