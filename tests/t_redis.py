"""The Redis state store against a real redis-server on a free loopback port (issue 5):
`replay --state redis://... --partitions N` then `snapshot --state ...` must print, byte
for byte, what an in-memory `replay` prints for the same events, whatever happens in
between (fault points, SIGKILL, a Redis restart with AOF, Redis Cluster, any N).

The binary is $CLOUDQE (default build/san/cloudqe; relative paths from the repo root).
Each test starts the servers it needs and fails when one cannot start."""
import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASES_DIR = os.path.join(HERE, "cases")
TIMEOUT_S = 180
FLUSH_EVERY = "100"  # small flushes: many transactions on a small input
# a generated month of a small province (~18k lines, every family)
GEN_ARGS = ["--seed", "1", "--days", "30", "--vms", "12", "--hosts", "2", "--services", "15",
            "--metric-interval-s", "3600", "--probe-interval-s", "1800"]


class RedisTestError(AssertionError):
    pass


def binary():
    path = os.environ.get("CLOUDQE", "build/san/cloudqe")
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


# ---------------------------------------------------------------- a tiny RESP client

class ReplyError(Exception):
    pass


def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _parse(f):
    line = f.readline()
    if not line:
        raise ConnectionError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise ReplyError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_parse(f) for _ in range(n)]
    raise ConnectionError(f"bad reply {line!r}")


def resp(port, *args, timeout=5.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(_encode(args))
        with s.makefile("rb") as f:
            return _parse(f)


def free_port():
    """A free loopback port <= 55535: a cluster-enabled redis-server also listens on
    port + 10000, and refuses ports above that."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 55535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


class RedisServer:
    """A private redis-server; stop() ends it. Extra args are redis-server options."""

    def __init__(self, *extra):
        if not shutil.which("redis-server"):
            raise RedisTestError("redis-server is not installed (make setup installs it)")
        self.dir = tempfile.mkdtemp(prefix="cqe-redis-")
        self.port = free_port()
        self.extra = list(extra)
        self.proc = None
        self.start()

    def start(self):
        log = open(os.path.join(self.dir, "redis.log"), "ab")
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", self.dir, *self.extra]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if resp(self.port, "PING", timeout=1) == "PONG":
                    return
            except (OSError, ReplyError):
                pass
            time.sleep(0.05)
        tail = open(os.path.join(self.dir, "redis.log"), "rb").read()[-2000:]
        self.stop()
        raise RedisTestError(f"redis-server did not start on port {self.port}: "
                             f"{tail.decode('utf-8', 'replace')}")

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def cmd(self, *args):
        return resp(self.port, *args)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


_shared = None


def shared_server():
    """One plain server for the tests that need nothing special (flushed per use)."""
    global _shared
    if _shared is None or _shared.proc is None or _shared.proc.poll() is not None:
        _shared = RedisServer()
        atexit.register(_shared.cleanup)
    _shared.cmd("FLUSHALL")
    return _shared


# ---------------------------------------------------------------- running cloudqe

def run(args, env=None, timeout=TIMEOUT_S, expect=0):
    exe = binary()
    if not os.path.exists(exe):
        raise RedisTestError(f"cloudqe binary missing: {exe} (set CLOUDQE or build it)")
    full_env = dict(os.environ)
    full_env.update(env or {})
    try:
        proc = subprocess.run([exe, *args], cwd=ROOT, capture_output=True, timeout=timeout,
                              env=full_env)
    except subprocess.TimeoutExpired:
        raise RedisTestError(f"timed out after {timeout}s: cloudqe {' '.join(args)}")
    if expect is not None and proc.returncode != expect:
        raise RedisTestError(f"cloudqe {' '.join(args)} exited {proc.returncode}, expected "
                             f"{expect}\nstderr: {proc.stderr.decode('utf-8', 'replace')[-3000:]}")
    return proc


def replay_args(url, partitions, files, config=None):
    args = ["replay", "--state", url, "--partitions", str(partitions)]
    if config:
        args += ["--config", config]
    return args + list(files)


def replay_redis(url, partitions, files, config=None, env=None, expect=0):
    e = {"CQE_FLUSH_EVERY": FLUSH_EVERY}
    e.update(env or {})
    return run(replay_args(url, partitions, files, config), env=e, expect=expect)


def snapshot(url, args=(), config=None):
    cmd = ["snapshot", "--state", url] + (["--config", config] if config else []) + list(args)
    return run(cmd).stdout


def first_difference(a, b):
    la, lb = a.decode("utf-8", "replace").splitlines(), b.decode("utf-8", "replace").splitlines()
    for n, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            return f"line {n} differs:\n  memory: {x[:500]}\n  redis:  {y[:500]}"
    return f"line counts differ: memory {len(la)}, redis {len(lb)}"


def assert_same(what, mem, red):
    if mem != red:
        raise RedisTestError(f"{what}: snapshot from Redis differs from the in-memory replay; "
                             + first_difference(mem, red))
    if not mem.strip():
        raise RedisTestError(f"{what}: the in-memory replay printed nothing to compare")


# ---------------------------------------------------------------- the generated input

_gen = {}


def _golden_mix(path):
    """Every golden case's events, 12 times, with ids made unique per copy (a case's own
    duplicates stay duplicates); lines that are not JSON objects are kept as they are."""
    with open(path, "w", encoding="utf-8") as out:
        for copy in range(12):
            for case in sorted(os.listdir(CASES_DIR)):
                ev = os.path.join(CASES_DIR, case, "events.ndjson")
                if not os.path.isfile(ev):
                    continue
                for line in open(ev, encoding="utf-8"):
                    line = line.rstrip("\n")
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        out.write(line + "\n")
                        continue
                    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                        obj["id"] = f"{obj['id']}~{case}~{copy}"
                    out.write(json.dumps(obj, ensure_ascii=False) + "\n")


def generated():
    """(events path, in-memory replay stdout) of a small generated province, cached."""
    if "path" not in _gen:
        d = tempfile.mkdtemp(prefix="cqe-redis-gen-")
        atexit.register(shutil.rmtree, d, True)
        path = os.path.join(d, "events.ndjson")
        proc = run(["gen", *GEN_ARGS, "--out", path], expect=None)
        if not (proc.returncode == 0 and os.path.exists(path) and os.path.getsize(path) > 0):
            _golden_mix(path)
        _gen["path"] = path
        _gen["mem"] = run(["replay", "--quiet", path]).stdout
    return _gen["path"], _gen["mem"]


# ---------------------------------------------------------------- 1. golden cases

def _case_args(case_dir, args, period=None):
    out = [os.path.join(case_dir, a) if os.path.isfile(os.path.join(case_dir, a)) else a
           for a in args]
    if period is not None:
        for i, a in enumerate(out[:-1]):
            if a == "--period":
                out[i + 1] = period
    return out


def test_golden_cases_equal_memory():
    srv = shared_server()
    names = sorted(d for d in os.listdir(CASES_DIR) if os.path.isdir(os.path.join(CASES_DIR, d)))
    if not names:
        raise RedisTestError("no golden cases under tests/cases/")
    problems = []
    for case in names:
        d = os.path.join(CASES_DIR, case)
        config, events = os.path.join(d, "config.json"), os.path.join(d, "events.ndjson")
        expected = json.load(open(os.path.join(d, "expected.json"), encoding="utf-8"))
        periods = []
        for check in expected["checks"]:
            if check.get("period") not in periods:
                periods.append(check.get("period"))
        srv.cmd("FLUSHALL")
        try:
            replay_redis(srv.url(), 3, [events], config=config)
            for period in periods or [None]:
                args = _case_args(d, expected["args"], period)
                mem = run(["replay", "--quiet", "--config", config, *args, events]).stdout
                assert_same(f"{case} period {period}", mem, snapshot(srv.url(), args, config))
        except RedisTestError as e:
            problems.append(str(e))
    if problems:
        raise RedisTestError(f"{len(problems)} of {len(names)} cases differ:\n" + "\n".join(problems))


# ---------------------------------------------------------------- 2. fault points

def test_fault_points_then_restart():
    srv = shared_server()
    path, mem = generated()
    for point in ("before_exec", "after_exec", "mid_pipeline"):
        srv.cmd("FLUSHALL")
        replay_redis(srv.url(), 3, [path], env={"CQE_FAULT": point, "CQE_FAULT_AFTER": "4"},
                     expect=77)
        positions = [srv.cmd("GET", f"cqe:{{p{p}}}:pos") for p in range(3)]
        if all(p is None for p in positions):
            raise RedisTestError(f"{point}: no flush reached Redis before the fault")
        replay_redis(srv.url(), 3, [path])
        assert_same(f"fault {point}", mem, snapshot(srv.url()))


# ---------------------------------------------------------------- 3. SIGKILL five times

def test_sigkill_five_times():
    srv = shared_server()
    path, mem = generated()
    t0 = time.time()
    replay_redis(srv.url(), 3, [path])
    clean_s = time.time() - t0
    srv.cmd("FLUSHALL")
    rng = random.Random(5)
    env = dict(os.environ, CQE_FLUSH_EVERY=FLUSH_EVERY)
    killed = 0
    for _ in range(5):
        proc = subprocess.Popen([binary(), *replay_args(srv.url(), 3, [path])], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.1, 0.3) * clean_s)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        _, errb = proc.communicate(timeout=TIMEOUT_S)
        if proc.returncode not in (0, -signal.SIGKILL):
            raise RedisTestError(f"replay exited {proc.returncode}: {errb.decode()[-2000:]}")
    if killed < 3:
        raise RedisTestError(f"only {killed} of 5 kills hit a running replay: input too small")
    replay_redis(srv.url(), 3, [path])
    assert_same(f"after {killed} SIGKILLs", mem, snapshot(srv.url()))


# ---------------------------------------------------------------- 4. Redis restarted

def test_redis_restart_with_aof():
    path, mem = generated()
    srv = RedisServer("--appendonly", "yes", "--appendfsync", "always")
    try:
        env = dict(os.environ, CQE_FLUSH_EVERY=FLUSH_EVERY)
        proc = subprocess.Popen([binary(), *replay_args(srv.url(), 3, [path])], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while srv.cmd("GET", "cqe:{p0}:pos") is None and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        if proc.poll() is not None:
            raise RedisTestError("the replay ended before Redis could be restarted: input too small")
        srv.kill()
        time.sleep(0.5)
        srv.start()
        _, errb = proc.communicate(timeout=TIMEOUT_S)
        err = errb.decode("utf-8", "replace")
        if proc.returncode != 0:
            raise RedisTestError(f"replay across the Redis restart exited {proc.returncode}: "
                                 f"{err[-3000:]}")
        outage_lines = [line for line in err.splitlines() if "retrying" in line]
        if len(outage_lines) != 1:
            raise RedisTestError(f"expected one log line for the outage, got {len(outage_lines)}:\n"
                                 + "\n".join(outage_lines[:10]))
        assert_same("Redis restarted mid-run", mem, snapshot(srv.url()))
    finally:
        srv.cleanup()


# ---------------------------------------------------------------- 5. Redis Cluster

def test_cluster_one_node_accepts_every_transaction():
    path, mem = generated()
    srv = RedisServer("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
    try:
        srv.cmd("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        deadline = time.time() + 15
        while b"cluster_state:ok" not in srv.cmd("CLUSTER", "INFO"):
            if time.time() > deadline:
                raise RedisTestError("the one-node cluster never reached cluster_state:ok")
            time.sleep(0.1)
        proc = replay_redis(srv.url(), 3, [path])
        if b"CROSSSLOT" in proc.stderr:
            raise RedisTestError("CROSSSLOT: " + proc.stderr.decode()[-2000:])
        assert_same("one-node cluster", mem, snapshot(srv.url()))
    finally:
        srv.cleanup()


# ---------------------------------------------------------------- 6. any partitioning

def test_partitions_1_3_8_equal():
    srv = shared_server()
    path, mem = generated()
    for n in (1, 3, 8):
        srv.cmd("FLUSHALL")
        replay_redis(srv.url(), n, [path])
        assert_same(f"--partitions {n}", mem, snapshot(srv.url()))
    # resuming with another split is refused (it would apply events twice)
    proc = replay_redis(srv.url(), 3, [path], expect=None)
    if proc.returncode == 0 or b"partitions" not in proc.stderr:
        raise RedisTestError("resuming --partitions 8 state with --partitions 3 was not refused")


# ---------------------------------------------------------------- least privilege

# The ACL of docs/state.md: every command cloudqe sends, on its own keys only.
ACL_RULES = ["resetkeys", "~cqe:*", "resetchannels", "-@all", "+select", "+get", "+set", "+hincrby", "+bitfield", "+hget", "+hset", "+hgetall", "+zadd",
             "+zrange", "+sadd", "+smembers", "+rpush", "+ltrim", "+lrange", "+scan", "+evalsha",
             "+script|load"]


def test_acl_user_password_file_least_privilege():
    srv = shared_server()
    path, mem = generated()
    secret = "pw-" + "".join(random.Random(7).choice("abcdefghijkmnpqrstuvwxyz23456789")
                             for _ in range(20))
    srv.cmd("ACL", "SETUSER", "cqe-worker", "on", ">" + secret, *ACL_RULES)
    d = tempfile.mkdtemp(prefix="cqe-redis-acl-")
    try:
        def config(pw):
            pw_file = os.path.join(d, "pw-" + str(len(os.listdir(d))))
            with open(pw_file, "w") as f:
                f.write(pw + "\n")
            cfg = os.path.join(d, "config-" + str(len(os.listdir(d))) + ".json")
            with open(cfg, "w") as f:
                json.dump({"redis": {"user": "cqe-worker", "password_file": pw_file}}, f)
            return cfg

        good = config(secret)
        url = srv.url(3)
        proc = replay_redis(url, 3, [path], config=good)
        if secret.encode() in proc.stderr:
            raise RedisTestError("the password appeared on stderr")
        assert_same("ACL user", mem, snapshot(url, config=good))
        entries = [dict(zip(e[::2], e[1::2])) for e in srv.cmd("ACL", "LOG") or []]
        denied = [e for e in entries if e.get(b"reason") in (b"command", b"key", b"channel")]
        if denied:
            raise RedisTestError(f"denied by the documented ACL: {denied!r}")
        bad_secret = secret + "-wrong"
        proc = run(["snapshot", "--state", url, "--config", config(bad_secret)], expect=1)
        if bad_secret.encode() in proc.stderr or b"WRONGPASS" not in proc.stderr:
            raise RedisTestError("a refused password must be reported without being shown: "
                                 + proc.stderr.decode("utf-8", "replace")[-1000:])
    finally:
        srv.cmd("ACL", "DELUSER", "cqe-worker")
        srv.cmd("ACL", "LOG", "RESET")
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- the flush script

def _counts(srv, partitions):
    out = []
    for p in range(partitions):
        h = srv.cmd("HGETALL", f"cqe:{{p{p}}}:count") or []
        out.append({k.decode(): int(v) for k, v in zip(h[::2], h[1::2])})
    return out


def test_lost_reply_is_applied_once():
    """A flush whose script ran but whose reply was lost with the connection is sent
    again; the script finds its own new position and applies nothing twice."""
    srv = shared_server()
    path, mem = generated()
    proc = replay_redis(srv.url(), 3, [path], env={"CQE_FAULT": "lost_reply", "CQE_FAULT_AFTER": "2"})
    summary = json.loads([ln for ln in proc.stderr.decode().splitlines() if "replay_summary" in ln][-1])
    read = sum(c.get("read", 0) for c in _counts(srv, 3))
    if read != summary["lines"]:
        raise RedisTestError(f"lost reply: Redis counts {read} lines read, the run read {summary['lines']}")
    assert_same("lost reply", mem, snapshot(srv.url()))


def test_dedup_chunks_trimmed_whole():
    """One chunk of 8-byte fingerprints per flush; whole chunks go once the newer ones hold
    the window; the ids forgotten past the window are counted in Redis and the summary."""
    srv = shared_server()
    path, _ = generated()
    window, every = 50, 20
    d = tempfile.mkdtemp(prefix="cqe-redis-dedup-")
    try:
        cfg = os.path.join(d, "config.json")
        with open(cfg, "w") as f:
            json.dump({"dedup_window": window}, f)
        proc = replay_redis(srv.url(), 1, [path], config=cfg, env={"CQE_FLUSH_EVERY": str(every)})
    finally:
        shutil.rmtree(d, ignore_errors=True)
    summary = json.loads([ln for ln in proc.stderr.decode().splitlines() if "replay_summary" in ln][-1])
    chunks = srv.cmd("LRANGE", "cqe:{p0}:dedup", "0", "-1")
    sizes = [len(c) for c in chunks]
    if any(s % 8 or s == 0 or s > 8 * every for s in sizes):
        raise RedisTestError(f"dedup chunks must be 1 to {every} fingerprints of 8 bytes: {sizes}")
    ids = sum(sizes) // 8
    count = _counts(srv, 1)[0]
    if count.get("dedup_ids") != ids:
        raise RedisTestError(f"dedup_ids {count.get('dedup_ids')} but the list holds {ids}")
    # the chunks after the oldest hold fewer than the window; all of them at least the window
    if not (ids - sizes[0] // 8 < window <= ids):
        raise RedisTestError(f"trimmed wrongly: {ids} ids in chunks {sizes}, window {window}")
    applied = summary["applied"]
    if summary["dedup_forgotten"] != applied - window or count.get("dedup_forgotten") != applied - window:
        raise RedisTestError(f"forgotten: summary {summary['dedup_forgotten']}, Redis "
                             f"{count.get('dedup_forgotten')}, expected {applied} - {window}")
    if summary["dedup_held"] != window:
        raise RedisTestError(f"the worker holds {summary['dedup_held']} ids, window {window}")
