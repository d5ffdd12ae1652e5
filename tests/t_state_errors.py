"""Refused credentials and permissions of the Redis state store, against a real
redis-server on a free loopback port (started as tests/t_redis.py does): `replay --state`
and `snapshot --state` must stop at once (exit 1, well under 5 s, no retrying) on a wrong
password or an ACL user without a permission, naming what Redis refused. And a URL
without a port means 6379 whether it comes from --state or from redis.url."""
import json
import os
import shutil
import socket
import tempfile
import time

import t_redis
from t_redis import ACL_RULES, RedisServer, RedisTestError, run, shared_server

HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS = os.path.join(HERE, "cases", "duplicate_id", "events.ndjson")
AT_ONCE_S = 5.0
PASSWORD = "pw-state-errors-7f3k"

class Workdir:
    """A temporary directory for configs and password files, removed on exit."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="cqe-state-err-")
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)

    def config(self, redis):
        """A config file whose `redis` section is the given dict; a "password" entry is
        written to a password file instead."""
        redis = dict(redis)
        if "password" in redis:
            pw = os.path.join(self.dir, f"pw-{len(os.listdir(self.dir))}")
            with open(pw, "w") as f:
                f.write(redis.pop("password") + "\n")
            redis["password_file"] = pw
        path = os.path.join(self.dir, f"config-{len(os.listdir(self.dir))}.json")
        with open(path, "w") as f:
            json.dump({"redis": redis}, f)
        return path


def refused_at_once(args, words):
    """Runs cloudqe args: it must exit 1 within AT_ONCE_S with every word on stderr,
    without the retry line (a refusal is final) and without the password."""
    t0 = time.monotonic()
    proc = run(args, expect=1, timeout=60)
    took = time.monotonic() - t0
    err = proc.stderr.decode("utf-8", "replace")
    if took >= AT_ONCE_S:
        raise RedisTestError(f"cloudqe {' '.join(args)} took {took:.1f}s to fail (retried a "
                             f"final refusal?): {err[-1000:]}")
    missing = [w for w in words if w not in err]
    if missing or "retrying" in err or PASSWORD in err:
        raise RedisTestError(f"cloudqe {' '.join(args)}: stderr should name {words} (missing "
                             f"{missing}), not retry, not show the password: {err[-1000:]}")


def both_commands(url, config, words):
    """replay --state and snapshot --state are both refused at once."""
    refused_at_once(["replay", "--state", url, "--partitions", "2", "--config", config, EVENTS],
                    words)
    refused_at_once(["snapshot", "--state", url, "--config", config], words)


def with_user(srv, rules, fn):
    srv.cmd("ACL", "SETUSER", "cqe-err", "reset", "on", ">" + PASSWORD, *rules)
    try:
        fn()
    finally:
        srv.cmd("ACL", "DELUSER", "cqe-err")


def test_wrong_password_fails_at_once():
    srv = shared_server()
    with Workdir() as w:
        cfg = w.config({"user": "cqe-err", "password": PASSWORD + "-wrong"})
        with_user(srv, ACL_RULES,
                  lambda: both_commands(srv.url(), cfg, ["WRONGPASS", f"127.0.0.1:{srv.port}"]))


def test_acl_user_without_a_command_fails_at_once():
    """No `script|load`: refused while the connection is set up."""
    srv = shared_server()
    rules = [r for r in ACL_RULES if r != "+script|load"]
    with Workdir() as w:
        cfg = w.config({"user": "cqe-err", "password": PASSWORD})
        with_user(srv, rules,
                  lambda: both_commands(srv.url(), cfg, ["NOPERM", "SCRIPT LOAD"]))


def test_acl_user_without_the_keys_fails_at_once():
    """Every command but only other keys: refused by the first command on a key, inside
    the retried operations (partition claim, partition count)."""
    srv = shared_server()
    rules = ["~other:*" if r == "~cqe:*" else r for r in ACL_RULES]
    with Workdir() as w:
        cfg = w.config({"user": "cqe-err", "password": PASSWORD})
        with_user(srv, rules, lambda: both_commands(srv.url(), cfg, ["NOPERM", "key"]))
    if srv.cmd("DBSIZE") != 0:
        raise RedisTestError("a refused replay wrote keys")


# ---------------------------------------------------------------- the default port

def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def server_on(port):
    """A RedisServer on a given port (t_redis picks free ports)."""
    pick = t_redis.free_port
    t_redis.free_port = lambda: port
    try:
        return RedisServer()
    finally:
        t_redis.free_port = pick


def test_url_without_port_means_6379_for_state_and_config():
    url = "redis://127.0.0.1/0"
    with Workdir() as w:
        plain = w.config({})
        from_config = w.config({"url": url})
        proc = run(["check-config", from_config])
        if f"redis {url}".encode() not in proc.stdout:
            raise RedisTestError(f"check-config did not take {url}: {proc.stdout!r}")
        # what check-config refuses, --state refuses with the same reason
        for bad, why in (("redis://127.0.0.1:0/0", "bad port"),
                         ("redis://u:hunter2@127.0.0.1/0", "credentials in the url")):
            c = run(["check-config", w.config({"url": bad})], expect=1).stderr
            s = run(["snapshot", "--state", bad, "--config", plain], expect=1).stderr
            if why.encode() not in c or why.encode() not in s or b"hunter2" in c + s:
                raise RedisTestError(f"{bad}: check-config said {c[-300:]!r}, --state said "
                                     f"{s[-300:]!r}; both should say {why!r}")
        if not port_free(6379):
            # someone else's server: do not write to it; both forms must still reach 6379
            for args in (["snapshot", "--state", url, "--config", plain],
                         ["snapshot", "--config", from_config]):
                p = run(args, expect=None)
                if p.returncode != 0 and b"127.0.0.1:6379" not in p.stderr:
                    raise RedisTestError(f"{args} did not go to 6379: {p.stderr[-500:]!r}")
            return
        for args in (["snapshot", "--state", url, "--config", plain],
                     ["snapshot", "--config", from_config]):
            refused_at_once(args, ["127.0.0.1:6379"])  # nothing listens yet
        srv = server_on(6379)
        try:
            run(["replay", "--state", url, "--partitions", "2", EVENTS])
            if srv.cmd("GET", "cqe:partitions") != b"2":
                raise RedisTestError("replay --state redis://127.0.0.1/0 did not write to 6379")
            a = run(["snapshot", "--state", url, "--config", plain]).stdout
            b = run(["snapshot", "--config", from_config]).stdout
            if not a.strip() or a != b:
                raise RedisTestError("snapshot --state URL and redis.url URL differ")
        finally:
            srv.cleanup()
