"""The progress line of the long commands (replay, report, gen, produce): with stderr on a
terminal (a pseudo-terminal here) and an input that takes a second or two, stderr shows
"<command>: N events, R ev/s, P% done, M:SS left", redrawn with "\\r" and erased (spaces,
then "\\r") before anything else is written; with stderr on a pipe, or with --quiet, there
is no progress text at all. The inputs are generated once: `gen --days 1` (about 82,000
lines) for replay and report (as .zst: the share counts compressed bytes), three copies
of it for produce (into `cloudqe mock-kafka`), and `gen --days 14` into /dev/null."""
import atexit
import functools
import os
import pty
import re
import subprocess
import tempfile
import threading

import t_kafka

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOUDQE = os.environ.get("CLOUDQE", os.path.join(ROOT, "build/san/cloudqe"))
TIMEOUT_S = 120
LINE = re.compile(r"\r(replay|report|gen|produce): (\d+) events, (\d+) ev/s, (\d+)% done, (\d+:\d\d(:\d\d)?) left")

@functools.lru_cache(maxsize=None)
def inputs():
    """The generated day (NDJSON and .zst) and its configuration, made once."""
    work = tempfile.TemporaryDirectory(prefix="cqe-progress-")
    atexit.register(work.cleanup)
    paths = {"dir": work.name, "events": os.path.join(work.name, "events.ndjson"),
             "config": os.path.join(work.name, "config.json")}
    paths["zst"] = paths["events"] + ".zst"
    gen = ["gen", "--seed", "7", "--days", "1", "--vms", "250", "--hosts", "10"]
    subprocess.run([CLOUDQE, *gen, "--out", paths["events"], "--config-out", paths["config"]], check=True,
                   capture_output=True, timeout=TIMEOUT_S)
    subprocess.run(["zstd", "-q", "-k", paths["events"]], check=True, timeout=TIMEOUT_S)
    return paths


def on_terminal(args):
    """Runs cloudqe with stderr on a pseudo-terminal; returns (exit code, bytes seen there)."""
    master, slave = pty.openpty()
    chunks = []

    def drain():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the slave side closed it
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.Popen([CLOUDQE, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=slave)
        os.close(slave)
        slave = None
        code = proc.wait(TIMEOUT_S)
        reader.join(10)
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def on_pipe(args):
    proc = subprocess.run([CLOUDQE, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=TIMEOUT_S)
    return proc.returncode, proc.stderr.decode("utf-8", "replace")


def check_progress(command, text):
    lines = [m for m in LINE.finditer(text) if m.group(1) == command]
    assert lines, f"no progress line of {command} in {text[:1500]!r}"
    shares = [int(m.group(4)) for m in lines]
    counts = [int(m.group(2)) for m in lines]
    assert shares == sorted(shares) and all(0 <= s <= 100 for s in shares), shares
    assert counts == sorted(counts) and counts[0] > 0, counts
    # erased before what follows: the last line is overwritten by spaces, then "\r"
    last = lines[-1]
    width = last.end() - last.start() - 1
    rest = text[last.end():]
    assert rest.startswith("\r" + " " * width + "\r"), repr(rest[:200])
    assert not LINE.search(rest)


def check_silent(text):
    assert "ev/s" not in text and "\r" not in text.replace("\r\n", ""), text[:1500]


def test_replay():
    i = inputs()
    args = ["replay", "--config", i["config"], i["events"]]
    code, text = on_terminal(args)
    assert code == 0, text[-2000:]
    check_progress("replay", text)
    assert '"kind":"replay_summary"' in text  # the summary still comes, after the line
    code, text = on_pipe(args)
    assert code == 0 and '"kind":"replay_summary"' in text, text[-2000:]
    check_silent(text)
    code, text = on_terminal(["replay", "--quiet", "--config", i["config"], i["events"]])
    assert code == 0 and '"kind":"replay_summary"' in text, text[-2000:]
    check_silent(text)


def test_report():
    i = inputs()
    out = tempfile.mkdtemp(dir=i["dir"])
    args = ["report", "--config", i["config"], "--period", "2026-03", "--out", out, i["zst"]]
    code, text = on_terminal(args)
    assert code == 0, text[-2000:]
    check_progress("report", text)
    assert os.path.exists(os.path.join(out, "report-2026-03.json"))
    code, text = on_pipe(args)
    assert code == 0, text[-2000:]
    check_silent(text)


def test_gen():
    args = ["gen", "--seed", "1", "--days", "14", "--vms", "500", "--hosts", "10", "--out", "/dev/null"]
    code, text = on_terminal(args)
    assert code == 0, text[-2000:]
    check_progress("gen", text)
    assert '"kind":"gen_summary"' in text
    code, text = on_pipe(args)
    assert code == 0 and '"kind":"gen_summary"' in text, text[-2000:]
    check_silent(text)


def test_produce():
    i = inputs()
    kafka = t_kafka.MockKafka(i["dir"], partitions=4, brokers=1)
    try:
        files = [i["events"]] * 3
        args = ["produce", "--bootstrap", kafka.bootstrap, "--topic", "progress"]
        code, text = on_terminal(args + files)
        assert code == 0, text[-2000:]
        check_progress("produce", text)
        with open(i["events"], "rb") as f:
            lines = sum(1 for line in f if line.strip())
        assert f"produce: {3 * lines} lines" in text, text[-2000:]  # the summary, after the line
        code, text = on_pipe(args + files)
        assert code == 0, text[-2000:]
        check_silent(text)
        code, text = on_terminal(args + ["--quiet"] + files)
        assert code == 0, text[-2000:]
        check_silent(text)
    finally:
        kafka.stop()
