"""Stream workers on the real Kafka protocol (issue 6): `cloudqe mock-kafka` (librdkafka's
mock cluster), a private redis-server, `cloudqe produce` and `cloudqe run` workers, all on
free loopback ports. After every scenario `cloudqe snapshot --state ...` must print, byte
for byte, what an in-memory `cloudqe replay` prints for the same file:
  1. a plain run;                       2. fault point after EXEC before the Kafka commit,
  3. three workers joining and leaving;    then five random SIGKILLs;
  4. brokers down/up, request errors;   5. redis-server restarted mid-stream.

The binary is $CLOUDQE (default build/san/cloudqe; relative paths from the repo root).
The input is `gen --seed 3 --days 2` with a smaller fleet (--vms 200 --hosts 10, ~148k
lines) so that the five scenarios fit in about three minutes under the sanitizers;
CQE_KAFKA_FULL=1 uses the full default fleet (~1.2M lines). A test whose server cannot
start fails. Every process a test starts is stopped when it ends."""
import atexit
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PARTITIONS = 8
GROUP = "cloudqe"
AS_OF = "2026-03-03T00:00:00+08:00"
PERIOD = "2026-03"
GEN_ARGS = ["--seed", "3", "--days", "2"]
if os.environ.get("CQE_KAFKA_FULL") != "1":
    GEN_ARGS += ["--vms", "200", "--hosts", "10"]
STEP_TIMEOUT_S = 120


class KafkaTestError(AssertionError):
    pass


def binary():
    path = os.environ.get("CLOUDQE", "build/san/cloudqe")
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise KafkaTestError(f"timed out after {timeout}s waiting for {what}")


# ---------------------------------------------------------------- RESP, for redis

def redis_cmd(port, *args, timeout=5.0):
    """Sends one command; returns the reply (str, int, bytes, list or None)."""
    payload = b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x if isinstance(x, bytes) else str(x).encode() for x in args))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        with s.makefile("rb") as f:
            return _reply(f)


def _reply(f):
    line = f.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body.decode()
    if kind == b"-":
        raise KafkaTestError("redis error: " + body.decode())
    if kind == b":":
        return int(body)
    if kind == b"$":
        n = int(body)
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind == b"*":
        n = int(body)
        return None if n < 0 else [_reply(f) for _ in range(n)]
    raise KafkaTestError(f"unexpected redis reply {line!r}")


# ---------------------------------------------------------------- servers

class Redis:
    def __init__(self, workdir, aof=False):
        if not shutil.which("redis-server"):
            raise KafkaTestError("redis-server is not installed (make setup installs it)")
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.aof = aof
        self.proc = None
        self.start()

    def start(self):
        persist = ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        log = open(os.path.join(self.dir, "redis.log"), "ab")
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--dir", self.dir, *persist],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def up():
            if self.proc.poll() is not None:
                raise KafkaTestError("redis-server exited at start: " + self.log_tail())
            try:
                return redis_cmd(self.port, "PING", timeout=1) == "PONG"
            except (OSError, ConnectionError, KafkaTestError):  # KafkaTestError: LOADING
                return False
        wait_for(up, 15, f"redis-server on port {self.port}")

    def log_tail(self):
        with open(os.path.join(self.dir, "redis.log"), "rb") as f:
            return f.read()[-1500:].decode("utf-8", "replace")

    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class MockKafka:
    def __init__(self, workdir, partitions=PARTITIONS, brokers=3):
        self.log_path = os.path.join(workdir, "mock-kafka.log")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([binary(), "mock-kafka", "--brokers", str(brokers), "--partitions",
                                      str(partitions), "--control", "tcp:0"],
                                     stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()
        info = {}
        deadline = time.time() + 20
        while len(info) < 2 and time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            key, _, value = line.strip().partition("=")
            info[key] = value
        if "bootstrap" not in info or "control" not in info:
            self.stop()
            raise KafkaTestError("mock-kafka did not start: " + open(self.log_path).read()[-1500:])
        self.bootstrap = info["bootstrap"]
        host, _, port = info["control"].rpartition(":")
        self.control = (host, int(port))

    def command(self, line):
        with socket.create_connection(self.control, timeout=10) as s:
            s.sendall(line.encode() + b"\n")
            with s.makefile("r") as f:
                reply = f.readline().strip()
        if reply != "ok":
            raise KafkaTestError(f"mock-kafka {line!r}: {reply}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------- input, oracle

_input = {}


def generated_input():
    """The generated file, its configuration and the replay's stdout (made once)."""
    if _input:
        return _input
    d = tempfile.mkdtemp(prefix="cqe-kafka-input-")
    atexit.register(shutil.rmtree, d, True)
    events, cfg = os.path.join(d, "events.ndjson"), os.path.join(d, "gen-config.json")
    subprocess.run([binary(), "gen", *GEN_ARGS, "--out", events, "--config-out", cfg], check=True,
                   capture_output=True, timeout=STEP_TIMEOUT_S)
    with open(cfg, encoding="utf-8") as f:
        config = json.load(f)
    config["clock"] = "event"
    replay = subprocess.run([binary(), "replay", "--config", cfg, "--as-of", AS_OF, "--period", PERIOD,
                             "--quiet", events], capture_output=True, timeout=STEP_TIMEOUT_S)
    if replay.returncode != 0:
        raise KafkaTestError("replay failed: " + replay.stderr.decode()[-2000:])
    with open(events, "rb") as f:
        lines = [line for line in f if line.strip()]
    _input.update(dir=d, events=events, config=config, expected=replay.stdout, lines=lines)
    return _input


class Scenario:
    """One mock cluster, one redis-server, a producer and workers in a scratch dir."""

    def __init__(self, name, aof=False):
        self.inp = generated_input()
        self.dir = tempfile.mkdtemp(prefix=f"cqe-kafka-{name}-")
        self.procs = []
        self.mock = self.redis = None
        try:
            self.mock = MockKafka(self.dir)
            self.redis = Redis(self.dir, aof=aof)
        except Exception:
            self.close()
            raise
        cfg = dict(self.inp["config"])
        cfg["kafka"] = {"bootstrap.servers": self.mock.bootstrap, "session.timeout.ms": 6000,
                        "heartbeat.interval.ms": 1000, "topic.metadata.refresh.interval.ms": 5000}
        self.config = os.path.join(self.dir, "config.json")
        with open(self.config, "w", encoding="utf-8") as f:
            json.dump(cfg, f, ensure_ascii=False)
        self.producer = self.feeder = None
        self.n_workers = 0

    # the producer reads stdin, fed at a steady rate so that faults land mid-stream
    def produce(self, lines_per_s=None, hold_at=None):
        """Feeds the file to `cloudqe produce` on stdin; with hold_at (a share of the
        lines) the rest waits for self.release, so that the stream outlasts a scenario."""
        self.release = threading.Event()
        log = open(os.path.join(self.dir, "produce.log"), "ab")
        self.producer = subprocess.Popen([binary(), "produce", "--config", self.config, "--group", GROUP,
                                          "--max-ahead", "5000", "--wait", "--wait-timeout", str(STEP_TIMEOUT_S),
                                          "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        log.close()
        self.procs.append(self.producer)
        lines = self.inp["lines"]

        def feed():
            try:
                chunk = 1000
                t0 = time.time()
                held = False
                for i in range(0, len(lines), chunk):
                    if hold_at is not None and not held and i >= hold_at * len(lines):
                        self.release.wait(STEP_TIMEOUT_S)
                        held = True
                        t0 = time.time() - i / lines_per_s if lines_per_s else t0
                    self.producer.stdin.write(b"".join(lines[i:i + chunk]))
                    if lines_per_s:
                        ahead = (i + chunk) / lines_per_s - (time.time() - t0)
                        if ahead > 0:
                            time.sleep(ahead)
                self.producer.stdin.close()
            except (BrokenPipeError, ValueError):
                pass
        self.feeder = threading.Thread(target=feed, daemon=True)
        self.feeder.start()

    def worker(self, env=None):
        self.n_workers += 1
        path = os.path.join(self.dir, f"worker-{self.n_workers}.log")
        log = open(path, "ab")
        p = subprocess.Popen([binary(), "run", "--config", self.config, "--state", self.redis.url(),
                              "--listen", "127.0.0.1:0",  # several workers on one host
                              # small flushes: many transactions to crash between
                              "--flush-every", "5000", "--flush-ms", "200",
                              "--progress", "1", "--dead-letters", os.path.join(self.dir, f"dl-{self.n_workers}.ndjson")],
                             stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})})
        log.close()
        p.log_path = path
        self.procs.append(p)
        return p

    @staticmethod
    def log_of(p):
        with open(p.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_assigned(self, p, timeout=40):
        def assigned():
            if p.poll() is not None:
                raise KafkaTestError(f"worker exited ({p.returncode}) before its assignment:\n" +
                                     self.log_of(p)[-3000:])
            return re.search(r"kafka: assigned [1-9]", self.log_of(p)) is not None
        wait_for(assigned, timeout, "a worker's partition assignment")

    def wait_consumed(self, timeout=STEP_TIMEOUT_S):
        """Waits for the producer: it exits once the group has committed everything."""
        self.feeder.join(timeout)
        try:
            rc = self.producer.wait(timeout)
        except subprocess.TimeoutExpired:
            raise KafkaTestError("the group did not consume everything in time")
        out = self.producer.stdout.read().decode()
        if rc != 0:
            raise KafkaTestError(f"produce exited {rc}: {out}\n" +
                                 open(os.path.join(self.dir, "produce.log")).read()[-3000:])
        summary = json.loads(out.strip().splitlines()[-1])
        if summary["delivered"] != len(self.inp["lines"]):
            raise KafkaTestError(f"produced {summary['delivered']} of {len(self.inp['lines'])} lines")

    def stop_worker(self, p, sig=signal.SIGTERM, expect=0):
        if p.poll() is None:
            p.send_signal(sig)
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise KafkaTestError("a worker did not stop within 60 s of SIGTERM:\n" + self.log_of(p)[-3000:])
        if expect is not None and rc != expect:
            raise KafkaTestError(f"worker exited {rc}, expected {expect}:\n" + self.log_of(p)[-4000:])
        return rc

    def check_equal(self):
        snap = subprocess.run([binary(), "snapshot", "--config", self.config, "--state", self.redis.url(),
                               "--as-of", AS_OF, "--period", PERIOD], capture_output=True,
                              timeout=STEP_TIMEOUT_S)
        if snap.returncode != 0:
            raise KafkaTestError("snapshot failed: " + snap.stderr.decode()[-2000:])
        if snap.stdout != self.inp["expected"]:
            a, b = self.inp["expected"].splitlines(), snap.stdout.splitlines()
            diff = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            raise KafkaTestError(f"snapshot differs from replay at line {diff + 1} ({len(b)} vs {len(a)} lines):\n"
                                 f"replay:   {a[diff][:600] if diff < len(a) else '(none)'}\n"
                                 f"snapshot: {b[diff][:600] if diff < len(b) else '(none)'}")

    def positions(self):
        """Every partition's stored next offset (None when never flushed)."""
        out = []
        for i in range(PARTITIONS):
            v = redis_cmd(self.redis.port, "GET", f"cqe:{{p{i}}}:pos")
            out.append(None if v is None else int(v))
        return out

    def check_every_partition(self):
        pos = self.positions()
        if None in pos or sum(pos) != len(self.inp["lines"]):
            raise KafkaTestError(f"partition positions {pos} do not cover the {len(self.inp['lines'])} messages")

    def check_no_loss(self, workers):
        for p in workers:
            log = self.log_of(p)
            if "DATA LOSS" in log:
                raise KafkaTestError("a worker reported data loss:\n" + log[-3000:])

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.mock:
            self.mock.stop()
        if self.redis:
            self.redis.stop()
        if os.environ.get("CQE_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


def _run(name, body, aof=False):
    s = Scenario(name, aof=aof)
    try:
        body(s)
    except Exception:
        if os.environ.get("CQE_KEEP") == "1":
            print(f"  (logs of {name} kept in {s.dir})")
        raise
    finally:
        s.close()


# ---------------------------------------------------------------- the scenarios

def test_1_run_equals_replay():
    def body(s):
        w = s.worker()
        s.produce()
        s.wait_consumed()
        s.stop_worker(w)
        s.check_no_loss([w])
        s.check_every_partition()
        s.check_equal()
    _run("plain", body)


def test_2_fault_after_exec_and_sigkills():
    def body(s):
        rng = random.Random(6)
        s.produce(lines_per_s=8000, hold_at=0.7)
        # the fault point: state and offsets in Redis, the Kafka commit never sent
        w = s.worker(env={"CQE_FAULT": "after_exec_before_commit", "CQE_FAULT_AFTER": "3"})
        rc = w.wait(STEP_TIMEOUT_S)
        if rc != 77:
            raise KafkaTestError(f"the fault point did not fire (exit {rc}):\n" + s.log_of(w)[-3000:])
        workers = [w]
        # two members at all times; five times one of them dies by SIGKILL at a random
        # moment and a replacement joins (one session timeout per kill)
        alive = [s.worker(), s.worker()]
        workers += alive
        for _ in range(5):
            for a in alive:
                s.wait_assigned(a)
            time.sleep(rng.uniform(0.3, 1.5))
            victim = alive.pop(rng.randrange(len(alive)))
            s.stop_worker(victim, signal.SIGKILL, expect=None)
            fresh = s.worker()
            alive.append(fresh)
            workers.append(fresh)
        s.release.set()  # the last 30 % of the stream
        s.wait_consumed()
        for a in alive:
            s.stop_worker(a)
        s.check_no_loss(workers)
        s.check_every_partition()
        s.check_equal()
    _run("kills", body)


def test_3_workers_join_and_leave():
    def body(s):
        s.produce(lines_per_s=10000, hold_at=0.75)
        w1 = s.worker()
        s.wait_assigned(w1)
        time.sleep(1)
        w2 = s.worker()
        s.wait_assigned(w2)
        w3 = s.worker()
        s.wait_assigned(w3)
        time.sleep(1)
        s.stop_worker(w1)
        time.sleep(2)
        s.stop_worker(w2)
        s.release.set()
        s.wait_consumed()
        s.stop_worker(w3)
        workers = [w1, w2, w3]
        s.check_no_loss(workers)
        for i, w in enumerate(workers, 1):
            summary = [l for l in s.log_of(w).splitlines() if l.startswith('{"kind":"run_summary"')]
            if not summary or json.loads(summary[-1])["events"] <= 0:
                raise KafkaTestError(f"worker {i} consumed nothing:\n" + s.log_of(w)[-3000:])
        s.check_every_partition()
        s.check_equal()
    _run("group", body)


def test_4_broker_faults():
    def body(s):
        s.produce(lines_per_s=12000, hold_at=0.75)
        w = s.worker()
        s.wait_assigned(w)
        time.sleep(1)
        s.mock.command("broker_down 2")
        time.sleep(2)
        s.mock.command("broker_up 2")
        s.mock.command("request_error Fetch 5 NOT_LEADER_FOR_PARTITION")
        s.mock.command("request_error Fetch 2 _TRANSPORT")
        s.mock.command("request_error OffsetCommit 3 REQUEST_TIMED_OUT")
        s.mock.command("request_error Produce 3 NOT_LEADER_FOR_PARTITION")
        time.sleep(1.5)
        s.mock.command("broker_down 3")
        s.mock.command("broker_down 1")
        time.sleep(2)
        s.mock.command("broker_up 1")
        s.mock.command("broker_up 3")
        s.release.set()
        s.wait_consumed()
        s.stop_worker(w)
        s.check_no_loss([w])
        s.check_every_partition()
        s.check_equal()
    _run("brokers", body)


def test_5_redis_restart():
    def body(s):
        s.produce(lines_per_s=12000, hold_at=0.75)
        w = s.worker()
        s.wait_assigned(w)
        time.sleep(2)
        s.redis.stop()
        time.sleep(1.5)
        s.redis.start()
        s.release.set()
        s.wait_consumed()
        s.stop_worker(w)
        s.check_no_loss([w])
        s.check_every_partition()
        s.check_equal()
    _run("redis", body, aof=True)
