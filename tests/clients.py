"""Real clients of cloudqe's outputs, for the tests (a helper module: run.py collects only
t_*.py). Both are installed by scripts/setup.sh (`make setup`):
  duckdb_rows(sql)       DuckDB (@duckdb/node-api in tests/clients/node_modules, run by node
                         through tests/clients/duckdb_query.mjs): one SQL statement in an
                         in-memory database, the rows as dicts.
  kcat_consume(...)      Debian's kcat: a topic's messages read from the beginning, each as
                         (key, value, partition, offset).
  kcat_produce(...)      kcat -P: keyed messages, one a line.
Either raises AssertionError, with the client's stderr, when the client fails."""
import json
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DUCKDB_QUERY = os.path.join(HERE, "clients", "duckdb_query.mjs")
SETUP_HINT = "(make setup installs it: scripts/setup.sh)"


def _need(command):
    path = shutil.which(command)
    if not path:
        raise AssertionError(f"{command} is not installed {SETUP_HINT}")
    return path


def duckdb_rows(sql, timeout_s=120):
    """Runs one SQL statement in an in-memory DuckDB (cwd: the repo root, so relative paths
    in the SQL are from there); returns the result rows as dicts, column -> value, as
    duckdb_query.mjs prints them: integers as int (a 64/128-bit one outside +-2**53-1 as a
    decimal str), DECIMAL/DOUBLE as float or int, DATE/TIMESTAMP as ISO strings, nested
    values as lists and dicts."""
    node = _need("node")
    if not os.path.isdir(os.path.join(HERE, "clients", "node_modules", "@duckdb", "node-api")):
        raise AssertionError(f"tests/clients/node_modules has no @duckdb/node-api {SETUP_HINT}")
    proc = subprocess.run([node, DUCKDB_QUERY, sql], cwd=ROOT, capture_output=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise AssertionError(f"duckdb_query.mjs exited {proc.returncode} on {sql!r}:\n"
                             + proc.stderr.decode("utf-8", "replace")[-4000:])
    return [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines() if line]


def kcat_consume(bootstrap, topic, count=None, timeout_s=30, extra_args=()):
    """Reads `topic` from the beginning with `kcat -C -J` (one JSON envelope a message:
    {"topic","partition","offset","tstype","ts","broker","key","payload"[, "headers"]}, the
    key and payload JSON strings or null, so neither can be confused with a separator).
    Without count it stops at the end of every partition (-e); with count it waits until
    that many messages have arrived (-c). Returns [(key, value, partition, offset)] sorted
    by (partition, offset); key and value are str, or None for a null key or payload. Bytes
    that are not UTF-8 come back as surrogate escapes
    (value.encode("utf-8", "surrogateescape") gives the original bytes). Raises
    AssertionError when kcat fails or times out (with what it had printed)."""
    kcat = _need("kcat")
    args = [kcat, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-J", "-q", *extra_args]
    args += ["-c", str(count)] if count is not None else ["-e"]
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as e:  # subprocess.run has killed kcat
        raise AssertionError(f"kcat timed out after {timeout_s}s on {topic!r} (count={count}); it had printed:\n"
                             + (e.stdout or b"").decode("utf-8", "replace")[-2000:]
                             + (e.stderr or b"").decode("utf-8", "replace")[-2000:]) from None
    if proc.returncode != 0:
        raise AssertionError(f"kcat exited {proc.returncode} on {topic!r}:\n"
                             + proc.stderr.decode("utf-8", "replace")[-4000:])
    out = []
    for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
        if not line.strip():
            continue
        m = json.loads(line)
        out.append((m["key"], m["payload"], int(m["partition"]), int(m["offset"])))
    out.sort(key=lambda r: (r[2], r[3]))
    if count is not None and len(out) != count:
        raise AssertionError(f"kcat read {len(out)} messages from {topic!r}, expected {count}")
    return out


def kcat_produce(bootstrap, topic, pairs, delimiter=":", partition=None, timeout_s=30):
    """Produces [(key, value)] with `kcat -P -K<delimiter>`, one message a line (kcat splits
    a line at the first delimiter: a key may not hold it, a value may; neither may hold a
    newline); kcat flushes, so the messages are delivered when it returns."""
    kcat = _need("kcat")
    lines = []
    for key, value in pairs:
        if delimiter in key or "\n" in key or "\n" in value:
            raise ValueError(f"kcat_produce cannot send {(key, value)!r} with -K{delimiter}, line by line")
        lines.append(f"{key}{delimiter}{value}\n")
    args = [kcat, "-P", "-b", bootstrap, "-t", topic, "-K", delimiter]
    if partition is not None:
        args += ["-p", str(partition)]
    proc = subprocess.run(args, input="".join(lines).encode("utf-8"), capture_output=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise AssertionError(f"kcat -P exited {proc.returncode} on {topic!r}:\n"
                             + proc.stderr.decode("utf-8", "replace")[-4000:])
