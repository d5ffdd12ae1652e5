"""The configuration's `kafka` object as librdkafka reads it (issue 9): `check-config`
builds the librdkafka configuration without connecting and refuses an unknown property
or a value librdkafka refuses, naming $.kafka["<name>"] and librdkafka's reason; `run`
reports an unknown property as one, even when its value is a secret reference; and a
secret's text never reaches stdout or stderr, whatever property it was put in.

No broker is needed: every refusal happens before a connection. `run` gets a private
redis-server (it connects to Redis before Kafka) and a bootstrap address where nothing
listens; it is killed after a few seconds when it does not exit on its own."""
import json
import os
import subprocess
import tempfile

from t_redis import RedisServer, binary, free_port

SECRET = "hunter2-S3CR3T-4711"


def write_config(d, cfg):
    path = os.path.join(d, "config.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f)
    return path


def check_config(cfg, env=None):
    with tempfile.TemporaryDirectory() as d:
        path = write_config(d, cfg)
        p = subprocess.run([binary(), "check-config", path], capture_output=True, text=True,
                           timeout=60, env=env)
        return p.returncode, p.stdout, p.stderr, path


def secret_env(**extra):
    env = dict(os.environ, CQE_T_KAFKA_SECRET=SECRET)
    env.update(extra)
    return env


def run_briefly(cfg, env, seconds=6):
    """`cloudqe run` until it exits or for `seconds` (then SIGKILL). Returns (exit status,
    or None when it had to be stopped, and stdout + stderr)."""
    with tempfile.TemporaryDirectory() as d:
        path = write_config(d, cfg)
        p = subprocess.Popen([binary(), "run", "--config", path, "--listen", "127.0.0.1:0", "--no-dead-letter-topic"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        try:
            out, _ = p.communicate(timeout=seconds)
            return p.returncode, out.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            p.kill()  # only its output matters: no need to wait for a clean stop
            out, _ = p.communicate()
            return None, out.decode("utf-8", "replace")


def nowhere():
    """A loopback address where no broker listens."""
    return "127.0.0.1:%d" % free_port()


def test_check_config_refuses_an_unknown_property():
    rc, out, err, path = check_config({"kafka": {"bootstrap.servers": "127.0.0.1:9092",
                                                 "linger.msx": 5}})
    assert rc == 1, (rc, out, err)
    assert err.startswith('check-config: %s: $.kafka["linger.msx"]: not a librdkafka property' % path), err
    assert 'No such configuration property: "linger.msx"' in err, err  # librdkafka's reason


def test_check_config_refuses_a_value_librdkafka_refuses():
    rc, out, err, path = check_config({"kafka": {"auto.offset.reset": "sideways"}})
    assert rc == 1, (rc, out, err)
    assert err.startswith('check-config: %s: $.kafka["auto.offset.reset"]: refused by librdkafka: ' % path), err
    assert 'Invalid value "sideways" for configuration property "auto.offset.reset"' in err, err


def test_check_config_accepts_real_properties_without_reading_secrets():
    cfg = {"kafka": {"bootstrap.servers": "k1:9093,k2:9093", "security.protocol": "sasl_ssl",
                     "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "cloudqe",
                     "sasl.password": "${file:/nonexistent/kafka-password}",
                     "ssl.key.password": "${env:CQE_T_KAFKA_UNSET}",
                     "session.timeout.ms": 6000, "enable.idempotence": True, "linger.ms": 5,
                     "queued.min.messages": 300000}}
    rc, out, err, path = check_config(cfg)
    assert rc == 0, (rc, out, err)
    assert out.startswith(path + ": ok (") and "10 kafka properties" in out, out


def test_check_config_refuses_an_unknown_property_holding_a_secret():
    rc, out, err, path = check_config({"kafka": {"sasl.pasword": "${env:CQE_T_KAFKA_SECRET}"}},
                                      env=secret_env())
    assert rc == 1, (rc, out, err)
    assert err.startswith('check-config: %s: $.kafka["sasl.pasword"]: not a librdkafka property' % path), err
    assert SECRET not in out + err


def test_secret_in_a_property_librdkafka_logs_is_refused_and_never_echoed():
    # librdkafka 2.0.2 echoes sasl.mechanism in a CONFWARN ("set to `...` but
    # security.protocol is not configured for SASL"); bootstrap.servers and client.id
    # appear in its connection logs
    for prop in ("sasl.mechanism", "client.id", "bootstrap.servers"):
        cfg = {"kafka": {"bootstrap.servers": nowhere(), prop: "${env:CQE_T_KAFKA_SECRET}"}}
        rc, out, err, path = check_config(cfg, env=secret_env())
        assert rc == 1, (prop, rc, out, err)
        assert err.startswith('check-config: %s: $.kafka["%s"]: a secret' % (path, prop)), err
        assert SECRET not in out + err, (prop, out + err)


def test_run_never_echoes_a_secret_and_names_an_unknown_property():
    redis = RedisServer()
    try:
        base = {"redis": {"url": redis.url()}, "topics": {"input": ["cloudqe.events"]}}
        # a secret in a property librdkafka logs: refused before any client exists
        cfg = dict(base, kafka={"bootstrap.servers": nowhere(),
                                "sasl.mechanism": "${env:CQE_T_KAFKA_SECRET}"})
        rc, out = run_briefly(cfg, secret_env())
        assert SECRET not in out, out[-3000:]
        assert rc == 1 and '$.kafka["sasl.mechanism"]: a secret' in out, (rc, out[-3000:])
        # an unknown property holding a secret: named as unknown, not as a refused secret
        cfg = dict(base, kafka={"bootstrap.servers": nowhere(),
                                "sasl.pasword": "${env:CQE_T_KAFKA_SECRET}"})
        rc, out = run_briefly(cfg, secret_env())
        assert rc == 1, (rc, out[-3000:])
        assert '$.kafka["sasl.pasword"]: not a librdkafka property' in out, out[-3000:]
        assert "refused the secret" not in out and SECRET not in out, out[-3000:]
        # a secret where it belongs is taken and not shown: the worker starts and waits
        # for the broker
        cfg = dict(base, kafka={"bootstrap.servers": nowhere(),
                                "security.protocol": "sasl_plaintext",
                                "sasl.mechanism": "PLAIN", "sasl.username": "cloudqe",
                                "sasl.password": "${env:CQE_T_KAFKA_SECRET}"})
        rc, out = run_briefly(cfg, secret_env(), seconds=4)
        assert rc is None, (rc, out[-3000:])  # still running: the configuration was taken
        assert SECRET not in out, out[-3000:]
    finally:
        redis.cleanup()
