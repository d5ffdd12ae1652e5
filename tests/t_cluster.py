"""The Redis state store on a real 3-node Redis Cluster (issue 10): three `redis-server
--cluster-enabled yes` on free loopback ports joined by `redis-cli --cluster create`.
Partition N's keys are in the slot of its hash tag {pN}; cloudqe routes every transaction
to that slot's master and follows MOVED and ASK. After each scenario `snapshot` must
print, byte for byte, what an in-memory `replay` prints:
  a. replay --partitions 8, then snapshot;
  b. a replay during which `redis-cli --cluster reshard` moves the slots of partitions;
  d. a replay that resumes while the slot of a partition is half migrated by hand (ASK:
     ASKING then the transaction on the importing node), the migration finished meanwhile;
  c. the Kafka exactly-once run (mock-kafka, produce, run workers) with a resharding and
     a restart of one master in the middle.

The binary is $CLOUDQE (default build/san/cloudqe). Each test starts its own servers and
fails when one cannot start; every process it starts is stopped when it ends."""
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

import t_kafka as K
import t_redis as R

# the partitions' slots (CRC16 of "p<n>" mod 16384) and where `redis-cli --cluster
# create` puts them: node 0 holds 0-5460 (p3 3689, p7 3821), node 1 5461-10922 (p2 7752,
# p6 7884), node 2 10923-16383 (p1 11819, p5 11951, p0 15882, p4 16014)
SLOT_P = {0: 15882, 1: 11819, 2: 7752, 3: 3689, 4: 16014, 5: 11951, 6: 7884, 7: 3821}
# redis-cli reshard moves the lowest slots of the source: these moves take partitions
RESHARDS = [(2, 0, 1100),  # 10923-12022 (p1, p5) from node 2 to node 0
            (0, 1, 3900)]  # 0-3899 (p3, p7) from node 0 to node 1
# a generated month, larger than t_redis's so that reshardings land mid-run
GEN_ARGS = ["--seed", "2", "--days", "30", "--vms", "30", "--hosts", "3", "--services", "20",
            "--metric-interval-s", "900", "--probe-interval-s", "900"]
TIMEOUT_S = 300


class ClusterTestError(AssertionError):
    pass


class Cluster:
    """Three masters, no replicas, each in its own directory (own nodes.conf and AOF)."""

    def __init__(self, workdir, aof_always=False):
        if not shutil.which("redis-server") or not shutil.which("redis-cli"):
            raise ClusterTestError("redis-server / redis-cli are not installed (make setup installs them)")
        self.dir = workdir
        self.aof_always = aof_always
        self.ports = [R.free_port() for _ in range(3)]
        while len(set(self.ports)) < 3:
            self.ports = [R.free_port() for _ in range(3)]
        self.procs = [None, None, None]
        try:
            for i in range(3):
                self.start(i)
            self.cli("--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                     "--cluster-replicas", "0", "--cluster-yes")
            self.wait_ok()
            self.ids = [R.resp(p, "CLUSTER", "MYID").decode() for p in self.ports]
        except Exception:
            self.stop()
            raise

    def start(self, i):
        d = os.path.join(self.dir, f"node{i}")
        os.makedirs(d, exist_ok=True)
        log = open(os.path.join(d, "redis.log"), "ab")
        extra = ["--appendfsync", "always"] if self.aof_always else []
        self.procs[i] = subprocess.Popen(
            ["redis-server", "--port", str(self.ports[i]), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "yes", *extra, "--dir", d],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.procs[i].poll() is not None:
                break
            try:
                if R.resp(self.ports[i], "PING", timeout=1) == "PONG":
                    return
            except (OSError, R.ReplyError):  # ReplyError: LOADING
                pass
            time.sleep(0.05)
        raise ClusterTestError(f"redis-server {i} did not start on port {self.ports[i]}: " + self.log_tail(i))

    def log_tail(self, i):
        with open(os.path.join(self.dir, f"node{i}", "redis.log"), "rb") as f:
            return f.read()[-1500:].decode("utf-8", "replace")

    def cli(self, *args):
        p = subprocess.run(["redis-cli", *args], capture_output=True, timeout=TIMEOUT_S)
        if p.returncode != 0 or b"[ERR]" in p.stdout:
            raise ClusterTestError(f"redis-cli {' '.join(args[:2])} failed: " +
                                   (p.stdout + p.stderr).decode("utf-8", "replace")[-2000:])
        return p.stdout

    def wait_ok(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if all(b"cluster_state:ok" in R.resp(p, "CLUSTER", "INFO") for p in self.ports):
                    return
            except (OSError, R.ReplyError):
                pass
            time.sleep(0.1)
        raise ClusterTestError("the cluster never reached cluster_state:ok")

    def url(self, i=0):
        return f"redis://127.0.0.1:{self.ports[i]}/0"

    @property
    def port(self):  # t_kafka's Scenario reads .port of its Redis
        return self.ports[0]

    def owner(self, slot):
        """The index of the master serving slot, as node 0 sees the map."""
        for r in R.resp(self.ports[0], "CLUSTER", "SLOTS"):
            if r[0] <= slot <= r[1]:
                return self.ports.index(r[2][1])
        raise ClusterTestError(f"slot {slot} is served by no node")

    def get(self, key):
        """GET through the slot's master (redirections followed by asking each node)."""
        for p in self.ports:
            try:
                return R.resp(p, "GET", key)
            except R.ReplyError as e:
                if not str(e).startswith(("MOVED", "ASK")):
                    raise
        raise ClusterTestError(f"no node serves {key}")

    def reshard(self, src, dst, slots):
        self.cli("--cluster", "reshard", f"127.0.0.1:{self.ports[dst]}", "--cluster-from", self.ids[src],
                 "--cluster-to", self.ids[dst], "--cluster-slots", str(slots), "--cluster-yes")

    def restart(self, i):
        """SIGTERM (Redis writes its AOF out), then the same node again."""
        self.procs[i].terminate()
        self.procs[i].wait(15)
        time.sleep(0.5)
        self.start(i)
        self.wait_ok()

    def stat(self, section, name):
        """A count summed over the nodes: INFO commandstats calls (cmdstat_asking) or
        INFO errorstats counts (errorstat_MOVED): what clients were told and did."""
        total = 0
        for p in self.ports:
            for line in R.resp(p, "INFO", section).decode().splitlines():
                if line.startswith(name + ":"):
                    total += int(line.split("=")[1].split(",")[0])
        return total

    def stop(self):
        for p in self.procs:
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


_gen = {}


def generated():
    """(events path, in-memory replay stdout), made once."""
    if "path" not in _gen:
        d = tempfile.mkdtemp(prefix="cqe-cluster-gen-")
        R.atexit.register(shutil.rmtree, d, True)
        path = os.path.join(d, "events.ndjson")
        R.run(["gen", *GEN_ARGS, "--out", path])
        _gen["path"] = path
        _gen["mem"] = R.run(["replay", "--quiet", path]).stdout
    return _gen["path"], _gen["mem"]


@contextlib.contextmanager
def closed_after(d, close):
    """Runs close() at the end; with CQE_KEEP=1 a failure says where its logs are."""
    try:
        yield
    except Exception:
        if os.environ.get("CQE_KEEP") == "1":
            print(f"  (logs kept in {d})")
        raise
    finally:
        close()


def with_cluster(body, aof_always=False):
    d = tempfile.mkdtemp(prefix="cqe-cluster-")
    c = Cluster(d, aof_always)

    def close():
        c.stop()
        if os.environ.get("CQE_KEEP") != "1":
            shutil.rmtree(d, ignore_errors=True)
    with closed_after(d, close):
        body(c)


def replay_args(url, path):
    return ["replay", "--state", url, "--partitions", "8", path]


# ---------------------------------------------------------------- a. replay, snapshot

def test_a_replay_then_snapshot_equals_memory():
    path, mem = generated()

    def body(c):
        owners = {c.owner(s) for s in SLOT_P.values()}
        if owners != {0, 1, 2}:
            raise ClusterTestError(f"the partitions' slots are not on all three masters: {owners}")
        R.run(replay_args(c.url(0), path), env={"CQE_FLUSH_EVERY": "200"})
        for p in range(8):  # every partition's position sits on the master of its slot
            if c.get(f"cqe:{{p{p}}}:pos") is None:
                raise ClusterTestError(f"partition {p} has no position")
        R.assert_same("3-node cluster", mem, R.snapshot(c.url(1)))
        # a cluster has database 0 only: another is refused, clearly
        proc = R.run(["snapshot", "--state", c.url(0).replace("/0", "/2")], expect=1)
        if b"database 0 only" not in proc.stderr:
            raise ClusterTestError("database 2 on a cluster was not refused clearly: " + proc.stderr.decode())
        # redis.cluster false: one server, whose MOVED replies are final errors
        cfg = os.path.join(c.dir, "one-server.json")
        with open(cfg, "w") as f:
            json.dump({"redis": {"cluster": False}}, f)
        proc = R.run(["replay", "--config", cfg, *replay_args(c.url(0), path)[1:]], expect=1)
        if b"MOVED" not in proc.stderr:
            raise ClusterTestError("redis.cluster false on a cluster did not meet MOVED: " + proc.stderr.decode())
    with_cluster(body)


# ---------------------------------------------------------------- b. resharding mid-replay

def test_b_reshard_during_replay():
    path, mem = generated()

    def body(c):
        env = dict(os.environ, CQE_FLUSH_EVERY="200")
        proc = subprocess.Popen([R.binary(), *replay_args(c.url(0), path)], cwd=R.ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        errors = []

        def reshard():
            try:
                for src, dst, n in RESHARDS:
                    c.reshard(src, dst, n)
            except Exception as e:  # reported by the test body
                errors.append(e)
        deadline = time.time() + 60
        while c.get("cqe:{p1}:pos") is None and time.time() < deadline and proc.poll() is None:
            time.sleep(0.02)
        if proc.poll() is not None:
            raise ClusterTestError("the replay ended before the resharding began: input too small")
        t = threading.Thread(target=reshard)
        t.start()
        t.join(TIMEOUT_S)
        running_after = proc.poll() is None
        _, errb = proc.communicate(timeout=TIMEOUT_S)
        if errors:
            raise errors[0]
        if proc.returncode != 0:
            raise ClusterTestError(f"replay exited {proc.returncode}: {errb.decode()[-3000:]}")
        moved = {p: c.owner(SLOT_P[p]) for p in (1, 5, 3, 7)}
        if moved != {1: 0, 5: 0, 3: 1, 7: 1}:
            raise ClusterTestError(f"the resharding did not move the partitions' slots: {moved}")
        seen = {k: c.stat("errorstats", "errorstat_" + k) for k in ("MOVED", "ASK", "TRYAGAIN")}
        seen["ASKING"] = c.stat("commandstats", "cmdstat_asking")
        print(f"  (replay running after the resharding: {running_after}; redirections {seen})")
        if not seen["MOVED"]:
            raise ClusterTestError("the replay met no MOVED: the resharding did not land mid-run")
        R.assert_same("resharded mid-replay", mem, R.snapshot(c.url(2)))
    with_cluster(body)


# ---------------------------------------------------------------- d. ASK, step by step

def test_d_resume_while_a_slot_migrates():
    path, mem = generated()
    d = tempfile.mkdtemp(prefix="cqe-cluster-half-")
    half = os.path.join(d, "half.ndjson")
    with open(path, "rb") as f:
        lines = f.readlines()
    with open(half, "wb") as f:
        f.writelines(lines[:len(lines) // 2])

    def body(c):
        slot = SLOT_P[1]
        src = c.owner(slot)
        dst = (src + 1) % 3
        sp, dp = c.ports[src], c.ports[dst]
        R.run(replay_args(c.url(0), half), env={"CQE_FLUSH_EVERY": "200"})
        meta = {f"cqe:{{p1}}:{m}".encode() for m in ("pos", "dedup", "count")}

        def migrate(keys):
            for i in range(0, len(keys), 100):
                R.resp(sp, "MIGRATE", "127.0.0.1", dp, "", 0, 5000, "KEYS", *keys[i:i + 100])
        # the slot half moved: every state key of partition 1 on dst, its meta keys not yet
        R.resp(dp, "CLUSTER", "SETSLOT", slot, "IMPORTING", c.ids[src])
        R.resp(sp, "CLUSTER", "SETSLOT", slot, "MIGRATING", c.ids[dst])
        keys = R.resp(sp, "CLUSTER", "GETKEYSINSLOT", slot, 1000000)
        migrate([k for k in keys if k not in meta])
        env = dict(os.environ, CQE_FLUSH_EVERY="200")
        proc = subprocess.Popen([R.binary(), *replay_args(c.url(0), path)], cwd=R.ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            # partition 1's next flush meets the migration: its script call names the
            # position (still on src) and state keys (already on dst), so src answers
            # TRYAGAIN (or ASK, then ASKING on dst) and the flush waits, quietly retrying
            deadline = time.time() + 60
            while (c.stat("commandstats", "cmdstat_asking") == 0 and
                   c.stat("errorstats", "errorstat_TRYAGAIN") == 0):
                if proc.poll() is not None or time.time() > deadline:
                    raise ClusterTestError("the flush never met the migration (no TRYAGAIN, no ASKING): " +
                                           proc.stderr.read().decode()[-2000:])
                time.sleep(0.02)
            if proc.poll() is not None:
                raise ClusterTestError("the replay did not wait for the migration")
            migrate(R.resp(sp, "CLUSTER", "GETKEYSINSLOT", slot, 1000000))
            time.sleep(0.5)  # the flush may now be applied on dst through ASKING
            for p in (dp, sp, c.ports[3 - src - dst]):
                R.resp(p, "CLUSTER", "SETSLOT", slot, "NODE", c.ids[dst])
            _, errb = proc.communicate(timeout=TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise ClusterTestError(f"replay exited {proc.returncode}: {errb.decode()[-3000:]}")
        redirected = c.stat("errorstats", "errorstat_ASK") + c.stat("errorstats", "errorstat_TRYAGAIN")
        if c.owner(slot) != dst or redirected == 0:
            raise ClusterTestError("the slot did not move, or no ASK / TRYAGAIN was given")
        R.assert_same("resumed across a migration", mem, R.snapshot(c.url(src)))
    try:
        with_cluster(body)
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- c. Kafka exactly-once

class ClusterScenario(K.Scenario):
    """t_kafka's scenario with a 3-node cluster in place of its one redis-server."""

    def __init__(self, name):
        made = []

        def cluster(workdir, aof=False):
            made.append(Cluster(os.path.join(workdir, "cluster"), aof_always=aof))
            return made[-1]
        plain, K.Redis = K.Redis, cluster
        try:
            super().__init__(name, aof=True)
        finally:
            K.Redis = plain

    def positions(self):
        out = []
        for i in range(K.PARTITIONS):
            v = self.redis.get(f"cqe:{{p{i}}}:pos")
            out.append(None if v is None else int(v))
        return out


def test_c_kafka_run_with_reshard_and_restart():
    s = ClusterScenario("cluster")
    with closed_after(s.dir, s.close):
        c = s.redis
        s.produce(lines_per_s=8000, hold_at=0.75)
        w = s.worker()
        s.wait_assigned(w)
        time.sleep(1.5)
        for src, dst, n in RESHARDS:
            c.reshard(src, dst, n)
        victim = c.owner(SLOT_P[0])  # the master of partitions 0 and 4
        c.restart(victim)
        time.sleep(1)
        s.release.set()
        s.wait_consumed()
        s.stop_worker(w)
        s.check_no_loss([w])
        s.check_every_partition()
        moved = {p: c.owner(SLOT_P[p]) for p in (1, 3)}
        if moved != {1: 0, 3: 1}:
            raise ClusterTestError(f"the resharding did not move the partitions' slots: {moved}")
        if not c.stat("errorstats", "errorstat_MOVED"):
            raise ClusterTestError("the worker met no MOVED: the resharding did not land mid-run")
        s.check_equal()
