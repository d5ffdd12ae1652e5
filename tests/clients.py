"""Real clients of cloudqe's outputs, for the tests (a helper module: run.py collects only
t_*.py). Both are installed by scripts/setup.sh (`make setup`):
  duckdb_rows(sql)       DuckDB (@duckdb/node-api in tests/clients/node_modules, run by node
                         through tests/clients/duckdb_query.mjs): one SQL statement in an
                         in-memory database, the rows as dicts.
  kcat_consume(...)      Debian's kcat: a topic's messages read from the beginning, each as
                         (key, value, partition, offset).
  kcat_produce(...)      kcat -P: keyed messages, one a line.
  Browser()              Debian's chromium, headless, driven by playwright-core (in
                         tests/clients/node_modules) through tests/clients/dashboard_browser.mjs:
                         open a page, wait for a condition, read what it shows, click,
                         take a screenshot.
Each raises AssertionError, with the client's stderr, when the client fails."""
import json
import os
import select
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DUCKDB_QUERY = os.path.join(HERE, "clients", "duckdb_query.mjs")
DASHBOARD_BROWSER = os.path.join(HERE, "clients", "dashboard_browser.mjs")
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


class Browser:
    """A headless chromium (playwright-core, dashboard_browser.mjs) kept open across a test's
    steps: each method sends one command and returns its answer (a dict), or raises
    AssertionError with the browser's error and what the page showed then. Use as a
    context manager: the browser and its fresh profile go away on exit."""

    def __init__(self, timeout_s=90):
        node = _need("node")
        if not os.path.isdir(os.path.join(HERE, "clients", "node_modules", "playwright-core")):
            raise AssertionError(f"tests/clients/node_modules has no playwright-core {SETUP_HINT}")
        if not os.path.exists(os.environ.get("CHROMIUM", "/usr/bin/chromium")):
            raise AssertionError(f"/usr/bin/chromium is not installed {SETUP_HINT}")
        self.timeout_s = timeout_s
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([node, DASHBOARD_BROWSER], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)

    def _err(self):
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-4000:]

    def send(self, cmd, **args):
        """Sends {"cmd": cmd, **args}; returns the answer. Raises AssertionError when the
        command failed, with the page's state at the failure."""
        self.proc.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode("utf-8"))
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout_s)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            raise AssertionError(f"the browser client gave no answer to {cmd!r} within {self.timeout_s} s "
                                 f"(exit {self.proc.poll()}):\n{self._err()}")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise AssertionError(f"browser {cmd} {json.dumps(args, ensure_ascii=False)[:300]} failed: "
                                 f"{answer.get('error')}\npage then: "
                                 f"{json.dumps(answer.get('page'), ensure_ascii=False)[:3000]}")
        return answer

    def open(self, url):
        return self.send("open", url=url)

    def wait(self, js, timeout_ms=30000):
        """Waits until the JavaScript expression is truthy in the page; returns its value."""
        return self.send("wait", js=js, timeout_ms=timeout_ms)["value"]

    def read(self):
        """What the page shows (dashboard_browser.mjs, read()); console errors under
        "console_errors"."""
        a = self.send("read")
        return dict(a["page"], console_errors=a["console_errors"])

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("close")
                self.proc.stdin.close()
                self.proc.wait(30)
            except (AssertionError, OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
