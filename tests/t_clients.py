"""The test clients of tests/clients.py against known inputs, so that a test that reads
cloudqe's outputs through them can trust what they return:
  - DuckDB (duckdb_rows) over zstd NDJSON files in a Hive layout: counts and sums match
    hand-counted values, an in-progress `.part-*.ndjson.zst.tmp` file is not read, the
    partition columns dt and hour are exposed; the JSON forms of DuckDB's value types;
    an SQL error comes back as an AssertionError with DuckDB's message.
  - kcat (kcat_produce, kcat_consume) against librdkafka's mock cluster
    (`cloudqe mock-kafka`, binary $CLOUDQE, default build/rel/cloudqe: `make build`):
    keyed messages read back with their keys, values, partitions and offsets.
Every file and process a test makes is removed or stopped when it ends, also on failure."""
import os
import select
import shutil
import subprocess
import tempfile
import time

from clients import duckdb_rows, kcat_consume, kcat_produce

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def binary():
    path = os.environ.get("CLOUDQE", "build/rel/cloudqe")
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def write_zst(path, records):
    """Writes records (JSON lines, already text) to path, zstd-compressed by the zstd CLI
    (python3 has no zstd module here)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = "".join(r + "\n" for r in records).encode("utf-8")
    subprocess.run(["zstd", "-q", "-f", "-o", path], input=data, check=True, timeout=30)


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


# ---------------------------------------------------------------- DuckDB

def test_duckdb_hive_snapshots():
    d = tempfile.mkdtemp(prefix="cqe-clients-duckdb-")
    try:
        day = os.path.join(d, "snapshots", "dt=2026-03-01")
        write_zst(os.path.join(day, "hour=10", "part-w-0.ndjson.zst"), [
            '{"id":"a","provider":"p1","score":1.5}',
            '{"id":"b","provider":"p2","score":2}',
            '{"id":"c","provider":"p1","score":3.25}',
        ])
        write_zst(os.path.join(day, "hour=11", "part-w-1.ndjson.zst"), [
            '{"id":"d","provider":"p2","score":4}',
            '{"id":"e","provider":"p1","score":10.5}',
        ])
        # a writer's file still in progress: must not be read (it would make n 6, s 1021.25)
        tmp = os.path.join(day, "hour=11", ".part-w-2.ndjson.zst.tmp")
        write_zst(tmp, ['{"id":"x","provider":"p1","score":1000}'])
        glob = sql_str(os.path.join(d, "snapshots", "**", "*.ndjson.zst"))

        # the temporary file is there and under **: only the pattern keeps it out
        files = {r["file"] for r in duckdb_rows(f"SELECT file FROM glob({sql_str(os.path.join(d, 'snapshots', '**'))})")}
        assert tmp in files, files

        rows = duckdb_rows(f"SELECT count(*) AS n, sum(score) AS s FROM read_json({glob})")
        assert rows == [{"n": 5, "s": 21.25}], rows

        # Hive partitions: DuckDB (1.5.6) detects the key=value directories by itself
        # (hive_partitioning is auto-detected; no hive_partitioning=true is needed) and
        # casts the values (hive_types_autocast): dt is a DATE, hour a BIGINT.
        rows = duckdb_rows(f"SELECT dt, hour, count(*) AS n, sum(score) AS s, typeof(dt) AS dt_type, "
                           f"typeof(hour) AS hour_type FROM read_json({glob}) GROUP BY ALL ORDER BY hour")
        assert rows == [
            {"dt": "2026-03-01", "hour": 10, "n": 3, "s": 6.75, "dt_type": "DATE", "hour_type": "BIGINT"},
            {"dt": "2026-03-01", "hour": 11, "n": 2, "s": 14.5, "dt_type": "DATE", "hour_type": "BIGINT"},
        ], rows
        rows = duckdb_rows(f"SELECT provider, list(id ORDER BY id) AS ids, sum(score) AS s "
                           f"FROM read_json({glob}) WHERE dt = DATE '2026-03-01' GROUP BY provider ORDER BY provider")
        assert rows == [{"provider": "p1", "ids": ["a", "c", "e"], "s": 15.25},
                        {"provider": "p2", "ids": ["b", "d"], "s": 6.0}], rows
        # the columns come from the paths: without hive partitioning they are gone
        rows = duckdb_rows(f"SELECT * FROM read_json({glob}, hive_partitioning = false) ORDER BY id LIMIT 1")
        assert rows == [{"id": "a", "provider": "p1", "score": 1.5}], rows
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_duckdb_glob_reads_dot_files():
    """DuckDB's glob does not skip a dot-prefixed name: a writer's temporary name must not
    end in .ndjson.zst (the .tmp suffix, not the leading dot, keeps it out of the glob)."""
    d = tempfile.mkdtemp(prefix="cqe-clients-dot-")
    try:
        write_zst(os.path.join(d, "hour=10", ".part-w-9.ndjson.zst"), ['{"score":7}'])
        write_zst(os.path.join(d, "hour=10", "part-w-0.ndjson.zst"), ['{"score":1}'])
        rows = duckdb_rows(f"SELECT count(*) AS n, sum(score) AS s FROM read_json({sql_str(d + '/**/*.ndjson.zst')})")
        assert rows == [{"n": 2, "s": 8}], rows
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_duckdb_value_forms():
    rows = duckdb_rows(
        "SELECT 42::BIGINT AS i, 9007199254740991::BIGINT AS safe, 9007199254740993::BIGINT AS big, "
        "-170141183460469231731687303715884105727::HUGEINT AS huge, 12.50::DECIMAL(10,2) AS dec, "
        "0.25::DOUBLE AS dbl, 'nan'::DOUBLE AS nan, DATE '2026-03-01' AS d, "
        "TIMESTAMP '2026-03-01 10:00:05.25' AS ts, TIMESTAMPTZ '2026-03-01 10:00:00+08' AS tstz, "
        "{'k': 1, 'v': [1, NULL, 3], 'w': {'d': DATE '2026-03-02'}} AS st, "
        "MAP {'p1': 1.5::DOUBLE, 'p2': 2.0} AS m, [[1, 2], []] AS l, NULL AS z, true AS b, "
        "'é \"q\"\t' AS s")
    assert rows == [{
        "i": 42, "safe": 9007199254740991, "big": "9007199254740993",
        "huge": "-170141183460469231731687303715884105727", "dec": 12.5, "dbl": 0.25, "nan": "NaN",
        "d": "2026-03-01", "ts": "2026-03-01T10:00:05.25", "tstz": "2026-03-01T02:00:00+00:00",
        "st": {"k": 1, "v": [1, None, 3], "w": {"d": "2026-03-02"}},
        "m": {"p1": 1.5, "p2": 2.0}, "l": [[1, 2], []], "z": None, "b": True, "s": 'é "q"\t',
    }], rows
    assert duckdb_rows("SELECT * FROM range(3) WHERE range > 5") == []
    assert duckdb_rows("SELECT range AS r FROM range(3)") == [{"r": 0}, {"r": 1}, {"r": 2}]


def test_duckdb_error():
    try:
        duckdb_rows("SELECT * FROM no_such_table_cqe")
    except AssertionError as e:
        assert "no_such_table_cqe" in str(e) and "exited 1" in str(e), str(e)
    else:
        raise AssertionError("duckdb_rows accepted a query of a missing table")


# ---------------------------------------------------------------- kcat

class MockKafka:
    """`cloudqe mock-kafka` on free loopback ports; stop() ends it."""

    def __init__(self, workdir, brokers=1, partitions=4, timeout_s=20):
        self.log_path = os.path.join(workdir, "mock-kafka.log")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([binary(), "mock-kafka", "--brokers", str(brokers), "--partitions",
                                          str(partitions), "--control", "tcp:0"],
                                         stdout=subprocess.PIPE, stderr=log)
        # unbuffered reads of the pipe (select() does not see lines a buffered reader holds)
        self.bootstrap = None
        out = b""
        deadline = time.time() + timeout_s
        while self.bootstrap is None and time.time() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if not ready:
                if self.proc.poll() is not None:
                    break
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
            for line in out.decode("utf-8", "replace").splitlines(keepends=True):
                if line.startswith("bootstrap=") and line.endswith("\n"):
                    self.bootstrap = line.strip().partition("=")[2]
        if self.bootstrap is None:
            self.stop()
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                raise AssertionError("mock-kafka did not start: " + f.read()[-1500:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None


def test_kcat_keyed_roundtrip():
    assert os.path.exists(binary()), f"{binary()} is missing: make build"
    d = tempfile.mkdtemp(prefix="cqe-clients-kcat-")
    mock = None
    try:
        mock = MockKafka(d, brokers=1, partitions=4)
        topic = "cqe.clients.test"
        sent = [("vm-1", "a"), ("vm-2", "b:with:colons"), ("vm-3", "tab\there é"), ("vm-1", "second"),
                ("vm-4", ""), ("vm-2", '{"json":1,"x":"y:z"}'), ("vm-5", "five"), ("vm-1", "third")]
        kcat_produce(mock.bootstrap, topic, sent[:5])
        kcat_produce(mock.bootstrap, topic, sent[5:])

        got = kcat_consume(mock.bootstrap, topic, count=len(sent), timeout_s=30)
        assert sorted((k, v) for k, v, _, _ in got) == sorted(sent), got
        # one partition a key, in range; each partition's offsets 0, 1, ...; per key, send order
        parts = {}
        for key, _, partition, _ in got:
            parts.setdefault(key, set()).add(partition)
        assert all(len(p) == 1 and next(iter(p)) in range(4) for p in parts.values()), parts
        for partition in {p for _, _, p, _ in got}:
            offsets = [o for _, _, p, o in got if p == partition]
            assert offsets == list(range(len(offsets))), (partition, offsets)
        for key in parts:
            assert [v for k, v, _, _ in got if k == key] == [v for k, v in sent if k == key], (key, got)

        # to the end of every partition (-e): the same messages
        assert kcat_consume(mock.bootstrap, topic, timeout_s=30) == got
        # waiting for one more than there is times out, as an AssertionError
        t0 = time.time()
        try:
            kcat_consume(mock.bootstrap, topic, count=len(sent) + 1, timeout_s=3)
        except AssertionError as e:
            assert "timed out" in str(e), str(e)
        else:
            raise AssertionError("kcat_consume returned more messages than were produced")
        assert time.time() - t0 < 15
    finally:
        if mock:
            mock.stop()
        shutil.rmtree(d, ignore_errors=True)
