"""`cloudqe run` under the faults of issue 9, on the real Kafka protocol (`cloudqe
mock-kafka`) and a private redis-server, both on free loopback ports (servers and
helpers from t_kafka.py):
  1. dead letters too large for the broker (200 KB of 0x01, a message over the limit)
     never stop the worker: they are published cut, with the whole length and SHA-256;
  2. a Redis split over another partition count is refused with exit 1, no crash;
  3. WRONGPASS and NOPERM from Redis stop the worker at once (exit 1);
  4. SIGTERM while Redis is down exits within a bound, non-zero, naming the partitions
     left unflushed;
  5. the dead-letter file holds each origin (topic, partition, offset) once, also when a
     partition is consumed again after a rebalance or a reload.
Every process a test starts is stopped when it ends."""
import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import jsonschema

import t_kafka as K

PARTITIONS = 4
GROUP = "cloudqe"
AS_OF = "2026-03-02T00:00:00+08:00"
PERIOD = "2026-03"
RAW_MAX = 65536  # dead_letter_raw_max's default


class RunFaultError(AssertionError):
    pass


# ---------------------------------------------------------------- a topic, read back

class _Message(ctypes.Structure):
    _fields_ = [("err", ctypes.c_int), ("rkt", ctypes.c_void_p), ("partition", ctypes.c_int32),
                ("payload", ctypes.c_void_p), ("len", ctypes.c_size_t), ("key", ctypes.c_void_p),
                ("key_len", ctypes.c_size_t), ("offset", ctypes.c_int64), ("_private", ctypes.c_void_p)]


def read_topic(bootstrap, topic, partitions, timeout=30):
    """Every message of topic (all partitions, from the start), through librdkafka's
    simple consumer (no group): a list of payload bytes."""
    lib = ctypes.CDLL("librdkafka.so.1")
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                      ctypes.c_size_t]
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_topic_new.restype = ctypes.c_void_p
    lib.rd_kafka_topic_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    lib.rd_kafka_consume_start.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64]
    lib.rd_kafka_consume_stop.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_consume.restype = ctypes.POINTER(_Message)
    lib.rd_kafka_consume.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int]
    lib.rd_kafka_message_destroy.argtypes = [ctypes.POINTER(_Message)]
    lib.rd_kafka_topic_destroy.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_destroy.argtypes = [ctypes.c_void_p]
    errstr = ctypes.create_string_buffer(512)
    conf = lib.rd_kafka_conf_new()
    for k, v in (("bootstrap.servers", bootstrap), ("enable.partition.eof", "true")):
        if lib.rd_kafka_conf_set(conf, k.encode(), v.encode(), errstr, 512) != 0:
            raise RunFaultError(f"librdkafka {k}: {errstr.value.decode()}")
    rk = lib.rd_kafka_new(1, conf, errstr, 512)  # RD_KAFKA_CONSUMER
    if not rk:
        raise RunFaultError("librdkafka consumer: " + errstr.value.decode())
    rkt = lib.rd_kafka_topic_new(rk, topic.encode(), None)
    out = []
    try:
        for p in range(partitions):
            lib.rd_kafka_consume_start(rkt, p, -2)  # RD_KAFKA_OFFSET_BEGINNING
            deadline = time.time() + timeout
            while time.time() < deadline:
                m = lib.rd_kafka_consume(rkt, p, 1000)
                if not m:
                    continue
                err, payload = m.contents.err, ctypes.string_at(m.contents.payload, m.contents.len)
                lib.rd_kafka_message_destroy(m)
                if err == -191:  # RD_KAFKA_RESP_ERR__PARTITION_EOF
                    break
                if err == 0:
                    out.append(payload)
            else:
                raise RunFaultError(f"{topic} [{p}] not read to its end in {timeout}s")
            lib.rd_kafka_consume_stop(rkt, p)
    finally:
        lib.rd_kafka_topic_destroy(rkt)
        lib.rd_kafka_destroy(rk)
    return out


# ---------------------------------------------------------------- one cluster, one redis

class Rig:
    """A mock cluster, a redis-server, a small generated input with its configuration,
    and the workers started on them, in a scratch dir."""

    def __init__(self, name, redis_args=(), gen_args=()):
        self.dir = tempfile.mkdtemp(prefix=f"cqe-runfault-{name}-")
        self.procs = []
        self.mock = self.redis = None
        try:
            self.mock = K.MockKafka(self.dir, partitions=PARTITIONS)
            self.redis = K.Redis(self.dir)
            if redis_args:
                K.redis_cmd(self.redis.port, *redis_args)
        except Exception:
            self.close()
            raise
        self.events = os.path.join(self.dir, "events.ndjson")
        gen_cfg = os.path.join(self.dir, "gen-config.json")
        subprocess.run([K.binary(), "gen", "--seed", "7", "--days", "1", "--vms", "20", "--hosts", "2",
                        "--services", "20", *gen_args, "--out", self.events, "--config-out", gen_cfg],
                       check=True, capture_output=True, timeout=60)
        with open(gen_cfg, encoding="utf-8") as f:
            self.cfg = json.load(f)
        self.cfg["clock"] = "event"
        self.cfg["kafka"] = {"bootstrap.servers": self.mock.bootstrap, "session.timeout.ms": 6000,
                             "heartbeat.interval.ms": 1000, "topic.metadata.refresh.interval.ms": 5000}
        self.config = os.path.join(self.dir, "config.json")
        self.write_config()
        self.n_workers = 0

    def write_config(self):
        with open(self.config, "w", encoding="utf-8") as f:
            json.dump(self.cfg, f, ensure_ascii=False)

    def add_lines(self, raw_lines):
        """Appends raw lines (bytes, without newline) to the input; returns their numbers."""
        with open(self.events, "rb") as f:
            n = sum(1 for line in f if line.strip())
        with open(self.events, "ab") as f:
            for line in raw_lines:
                f.write(line + b"\n")
        return list(range(n + 1, n + 1 + len(raw_lines)))

    def produce(self, path=None, timeout=120):
        """Publishes the input (or path) and waits until the group has committed it all."""
        return subprocess.Popen([K.binary(), "produce", "--config", self.config, "--group", GROUP, "--wait",
                                 "--wait-timeout", str(timeout), "--quiet", path or self.events],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def worker(self, *extra, env=None):
        self.n_workers += 1
        path = os.path.join(self.dir, f"worker-{self.n_workers}.log")
        log = open(path, "ab")
        p = subprocess.Popen([K.binary(), "run", "--config", self.config, "--state", self.redis.url(),
                              "--listen", "127.0.0.1:0", "--flush-every", "500", "--flush-ms", "200", "--progress", "1", *extra],
                             stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})})
        log.close()
        p.log_path = path
        self.procs.append(p)
        return p

    log_of = staticmethod(K.Scenario.log_of)

    def wait_produced(self, producer, workers, timeout=120):
        """Waits for the producer's --wait while every worker stays up."""
        deadline = time.time() + timeout
        while producer.poll() is None:
            for w in workers:
                if w.poll() is not None:
                    producer.kill()
                    producer.wait()
                    raise RunFaultError(f"a worker exited ({w.returncode}) before consuming the input:\n" +
                                        self.log_of(w)[-3000:])
            if time.time() > deadline:
                producer.kill()
                producer.wait()
                raise RunFaultError("the group did not consume the input in time")
            time.sleep(0.1)
        out, err = producer.communicate()
        if producer.returncode != 0:
            raise RunFaultError(f"produce exited {producer.returncode}: {out.decode()} {err.decode()[-2000:]}")

    def stop(self, p, timeout=60):
        """SIGTERM; returns (exit code, seconds it took)."""
        t0 = time.time()
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise RunFaultError(f"a worker did not stop within {timeout}s of SIGTERM:\n" + self.log_of(p)[-3000:])
        return rc, time.time() - t0

    def check_equal_to_replay(self):
        replay = subprocess.run([K.binary(), "replay", "--config", self.config, "--as-of", AS_OF, "--period",
                                 PERIOD, "--quiet", self.events], capture_output=True, timeout=120)
        if replay.returncode != 0:
            raise RunFaultError("replay failed: " + replay.stderr.decode()[-2000:])
        snap = subprocess.run([K.binary(), "snapshot", "--config", self.config, "--state", self.redis.url(),
                               "--as-of", AS_OF, "--period", PERIOD], capture_output=True, timeout=120)
        if snap.returncode != 0:
            raise RunFaultError("snapshot failed: " + snap.stderr.decode()[-2000:])
        if snap.stdout != replay.stdout or not replay.stdout:
            raise RunFaultError("the state in Redis differs from an in-memory replay of the input")

    # the same processes, servers and scratch dir as t_kafka's scenarios
    close = K.Scenario.close


def _with_rig(name, body, **kw):
    rig = Rig(name, **kw)
    try:
        body(rig)
    except Exception:
        if os.environ.get("CQE_KEEP") == "1":
            print(f"  (logs of {name} kept in {rig.dir})")
        raise
    finally:
        rig.close()


def _no_crash(log):
    if "AddressSanitizer" in log or "runtime error" in log or "Segmentation" in log:
        raise RunFaultError("the worker crashed:\n" + log[-3000:])


# ---------------------------------------------------------------- the tests

def test_1_oversized_dead_letters_never_stop_the_worker():
    ones = b"\x01" * 204800           # escaped as \u0001: a 1.2 MB record uncut
    huge = b"x" * (1300 * 1024)         # over max_message_bytes and the broker's 1 MB

    def body(rig):
        lines = rig.add_lines([ones, huge])
        w = rig.worker("--dead-letters", os.path.join(rig.dir, "dl.ndjson"))
        rig.wait_produced(rig.produce(), [w])
        rc, _ = rig.stop(w)
        log = rig.log_of(w)
        _no_crash(log)
        if rc != 0:
            raise RunFaultError(f"worker exited {rc}:\n{log[-3000:]}")
        rig.check_equal_to_replay()
        records = [json.loads(m) for m in read_topic(rig.mock.bootstrap, "cloudqe.dead_letters", PARTITIONS)]
        with open(os.path.join(K.ROOT, "schemas", "dead_letter.schema.json"), encoding="utf-8") as f:
            schema = jsonschema.Draft202012Validator(json.load(f))
        bad = [e.message for r in records for e in schema.iter_errors(r)]
        if bad:
            raise RunFaultError("published dead letters break dead_letter.schema.json: " + "; ".join(bad[:3]))
        by_size = {r.get("raw_bytes"): r for r in records if r.get("raw_truncated")}
        # 0x01 is written \u0001 (6 bytes): the most whole characters within RAW_MAX
        r = by_size.get(len(ones))
        if not r or r["raw"] != "\x01" * (RAW_MAX // 6) or r["reason"] != "json_syntax":
            raise RunFaultError(f"no cut dead letter of the 0x01 message: {sorted(by_size)}")
        if r["raw_sha256"] != hashlib.sha256(ones).hexdigest():
            raise RunFaultError("the 0x01 dead letter's raw_sha256 is not the message's")
        r = by_size.get(len(huge))
        if not r or r["raw"] != "x" * RAW_MAX or r["reason"] != "too_large":
            raise RunFaultError(f"no cut dead letter of the over-limit message: {sorted(by_size)}")
        if r["raw_sha256"] != hashlib.sha256(huge).hexdigest():
            raise RunFaultError("the over-limit dead letter's raw_sha256 is not the message's")
        small = [r for r in records if not r.get("raw_truncated")]
        if any("raw_bytes" in r or "raw_sha256" in r for r in small):
            raise RunFaultError("a dead letter that was not cut carries raw_bytes/raw_sha256")
        if len(records) != 2 + 162 or len(lines) != 2:  # gen's malformed lines (seed 7) and ours
            raise RunFaultError(f"{len(records)} dead letters on the topic, expected 164")
    _with_rig("big", body, gen_args=("--bad-share", "0.02"))


def test_2_other_partition_count_is_refused_without_crash():
    def body(rig):
        w = rig.worker()
        try:
            rc = w.wait(90)
        except subprocess.TimeoutExpired:
            raise RunFaultError("the worker did not refuse a Redis split over 3 partitions:\n" +
                                rig.log_of(w)[-3000:])
        log = rig.log_of(w)
        _no_crash(log)
        if rc != 1 or "split over 3 partitions" not in log:
            raise RunFaultError(f"exit {rc}, expected 1 with the partition count named:\n{log[-3000:]}")
    _with_rig("count", body, redis_args=("SET", "cqe:partitions", "3"))


def _denied(name, redis_args, user):
    def body(rig):
        rig.cfg["redis"] = {"password_env": "CQE_TEST_REDIS_PW"}
        if user:
            rig.cfg["redis"]["user"] = user
        rig.write_config()
        t0 = time.time()
        w = rig.worker(env={"CQE_TEST_REDIS_PW": "not-the-password" if not user else "pw"})
        try:
            rc = w.wait(20)
        except subprocess.TimeoutExpired:
            raise RunFaultError(f"{name}: the worker still retries after 20 s:\n" + rig.log_of(w)[-3000:])
        log = rig.log_of(w)
        _no_crash(log)
        if rc != 1 or name not in log or time.time() - t0 > 15:
            raise RunFaultError(f"{name}: exit {rc}, expected 1 at once naming {name}:\n{log[-3000:]}")
    _with_rig(name.lower(), body, redis_args=redis_args)


def test_3_wrongpass_stops_at_once():
    _denied("WRONGPASS", ("CONFIG", "SET", "requirepass", "the-password"), None)


def test_3_noperm_stops_at_once():
    _denied("NOPERM", ("ACL", "SETUSER", "cqe", "on", ">pw", "~*", "-@all", "+auth", "+hello"), "cqe")


def test_4_sigterm_with_redis_down_is_bounded():
    def body(rig):
        w = rig.worker()
        rig.wait_produced(rig.produce(), [w])
        rig.redis.stop()
        more = os.path.join(rig.dir, "more.ndjson")
        with open(rig.events, "rb") as src, open(more, "wb") as dst:
            dst.write(src.read())  # copies: consumed, never flushed
        subprocess.run([K.binary(), "produce", "--config", rig.config, "--quiet", more], check=True,
                       capture_output=True, timeout=60)
        K.wait_for(lambda: re.search(r"flush failed", rig.log_of(w)) is not None, 60,
                   "a failed flush with Redis down")
        rc, took = rig.stop(w, timeout=90)
        log = rig.log_of(w)
        _no_crash(log)
        if rc == 0 or took > 20:
            raise RunFaultError(f"exit {rc} after {took:.1f}s; expected non-zero within 20 s:\n{log[-3000:]}")
        m = re.search(r"not flushed: (cloudqe\.events \[\d+\](, )?)+", log)
        if not m:
            raise RunFaultError("the partitions left unflushed are not named:\n" + log[-3000:])
    _with_rig("down", body)


def test_5_dead_letter_file_once_per_origin():
    def body(rig):
        dl = os.path.join(rig.dir, "dl.ndjson")
        w = rig.worker("--dead-letters", dl, "--no-dead-letter-topic")
        rig.wait_produced(rig.produce(), [w])
        # move every position back to the start: each flush is then refused (the position
        # moved), the partitions are reloaded and their messages consumed again
        for i in range(PARTITIONS):
            K.redis_cmd(rig.redis.port, "SET", f"cqe:{{p{i}}}:pos", "0")
        more = os.path.join(rig.dir, "more.ndjson")
        with open(more, "wb") as f:
            f.write(b"not json\n" * 40)
        rig.wait_produced(rig.produce(more), [w])
        rc, _ = rig.stop(w)
        log = rig.log_of(w)
        _no_crash(log)
        if rc != 0:
            raise RunFaultError(f"worker exited {rc}:\n{log[-3000:]}")
        with open(dl, encoding="utf-8") as f:
            origins = [json.dumps(json.loads(line)["origin"], sort_keys=True) for line in f]
        if len(origins) != len(set(origins)) or len(set(origins)) != 162 + 40:
            raise RunFaultError(f"{len(origins)} dead letters for {len(set(origins))} origins, expected 202 once")
    _with_rig("once", body, gen_args=("--bad-share", "0.02"))
