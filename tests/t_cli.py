"""The command line explains itself (issue 12, docs/cli.md): `--version` names the
version, the build and the libraries; every --help ends on an example and names no test
hook; `report --out` is made and proved writable before any input is read; an unknown
--target, an unreadable input, a bad value fail at once with `<command>: <message>` and
the exit codes of docs/cli.md; a repeated --period is honoured.

Runs the real binary ($CLOUDQE, default build/san/cloudqe) and, for --target, a private
redis-server."""
import errno
import json
import os
import re
import shutil
import subprocess
import tempfile

import t_redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOUDQE = os.environ.get("CLOUDQE", os.path.join(ROOT, "build/san/cloudqe"))
if not os.path.isabs(CLOUDQE):
    CLOUDQE = os.path.join(ROOT, CLOUDQE)
CASE = os.path.join(ROOT, "tests/cases/platform_targets")  # providers p1, p2 (config), p3 (events)
CONFIG = os.path.join(CASE, "config.json")
EVENTS = os.path.join(CASE, "events.ndjson")
AS_OF = "2026-04-01T00:00:00+08:00"
# the commands issue 12 names; `cloudqe --help` may list more, and each is checked too
NAMED = {"run", "replay", "check-config", "report", "gen", "snapshot", "retain", "produce",
         "mock-kafka", "decode", "version"}


def cq(args, cwd=None, timeout=60):
    return subprocess.run([CLOUDQE, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def commands():
    """The command names `cloudqe --help` lists (two-space indent, name, summary)."""
    out = cq(["--help"]).stdout
    names = []
    for line in out.split("\n\n")[1].splitlines():
        m = re.match(r"  (\S+) +\S", line)
        assert m, "unexpected line in the command list: %r" % line
        names.append(m.group(1))
    return names


def example_of(text):
    """The first invocation under the "Example" heading of a help text."""
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Example"))
    return lines[at + 1].strip()


def records(stdout):
    return [json.loads(ln) for ln in stdout.splitlines() if ln.strip()]


def test_version_names_the_version_the_build_and_the_libraries():
    outs = [cq(a) for a in (["--version"], ["version"], ["-V"])]
    for r in outs:
        assert r.returncode == 0 and r.stderr == "", (r.returncode, r.stderr)
        assert r.stdout == outs[0].stdout, "--version, version and -V differ"
    got = dict(ln.split(" ", 1) for ln in outs[0].stdout.splitlines())
    header = open(os.path.join(ROOT, "core/version.h"), encoding="utf-8").read()
    assert got["cloudqe"] == re.search(r'#define CQE_VERSION "([^"]+)"', header).group(1)
    # each library as its own package says (pkg-config reads the .pc files, not cloudqe)
    for name, pkg in [("librdkafka", "rdkafka"), ("jansson", "jansson"), ("zstd", "libzstd"),
                      ("hiredis", "hiredis"), ("libmicrohttpd", "libmicrohttpd"), ("openssl", "libcrypto")]:
        want = subprocess.run(["pkg-config", "--modversion", pkg], capture_output=True,
                              text=True, check=True).stdout.strip()
        assert got.get(name) == want, "%s: --version says %r, pkg-config %r" % (name, got.get(name), want)
    m = re.fullmatch(r"(\S+) \((\d{4}-\d{2}-\d{2})\)", got["build"])
    assert m, "build line %r is not 'DESCRIBE (YYYY-MM-DD)'" % got["build"]
    describe = m.group(1).removesuffix("-dirty")
    commit = re.search(r"-g([0-9a-f]+)$", describe)
    commit = commit.group(1) if commit else describe
    date = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%cs", commit],
                          capture_output=True, text=True)
    assert date.returncode == 0, "build names %r, not a commit of this repository" % commit
    assert date.stdout.strip() == m.group(2), (date.stdout, m.group(2))
    # a tree without .git still builds, and names its build "unknown"
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(os.path.join(ROOT, "Makefile"), d)
        r = subprocess.run(["make", "-s", "-C", d, "build/gen/cmd/build_info.h"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        text = open(os.path.join(d, "build/gen/cmd/build_info.h"), encoding="utf-8").read()
        assert '#define CQE_BUILD "unknown"' in text, text


def test_every_help_has_an_example_and_the_docs_list_it():
    names = commands()
    assert NAMED <= set(names), "missing from cloudqe --help: %s" % (NAMED - set(names))
    docs = open(os.path.join(ROOT, "docs/cli.md"), encoding="utf-8").read().replace("\\|", "|")
    top = cq(["--help"])
    assert top.returncode == 0 and top.stderr == "" and "Example" in top.stdout, top
    assert example_of(top.stdout).startswith("cloudqe "), top.stdout
    for name in names:
        r = cq([name, "--help"])
        assert r.returncode == 0 and r.stderr == "", (name, r.returncode, r.stderr)
        assert "\nExample" in r.stdout, "%s --help has no Example:\n%s" % (name, r.stdout)
        ex = example_of(r.stdout)
        first = "cloudqe --version" if name == "version" else "cloudqe %s " % name
        assert ex.startswith(first), "%s: the example %r does not run cloudqe %s" % (name, ex, name)
        assert "`%s`" % name in docs and ex in docs, "docs/cli.md lacks %s or its example %r" % (name, ex)


def test_report_help_lists_its_options():
    r = cq(["report", "--help"])
    assert r.returncode == 0, r.stderr
    for opt in ("--period ID", "--out DIR", "--config FILE", "--model FILE", "--as-of TIME"):
        assert opt in r.stdout, "report --help does not list %s:\n%s" % (opt, r.stdout)
    # an option of a sibling command is not silently taken
    r = cq(["report", "--table", "--period", "2026", EVENTS])
    assert r.returncode == 2 and r.stderr.startswith("report: unrecognized option '--table'"), r.stderr


def test_help_names_no_test_hook_and_testing_md_documents_them():
    hooks = set()
    for top in ("core", "ingest", "processors", "sinks", "pipeline", "cmd", "tools"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith(".c"):
                    text = open(os.path.join(dirpath, f), encoding="utf-8").read()
                    hooks |= set(re.findall(r'getenv\("(CQE_[A-Z_]+)"\)', text))
    assert {"CQE_FAULT", "CQE_FAULT_AFTER", "CQE_FLUSH_EVERY"} <= hooks, hooks
    for name in [""] + commands():
        r = cq([name, "--help"] if name else ["--help"])
        assert "CQE_" not in r.stdout, "%s --help names a test hook:\n%s" % (name or "cloudqe", r.stdout)
    testing = open(os.path.join(ROOT, "docs/testing.md"), encoding="utf-8").read()
    for h in hooks:
        assert "`%s" % h in testing, "docs/testing.md does not document %s" % h
    for f in os.listdir(os.path.join(ROOT, "docs")):
        if f.endswith(".md") and f != "testing.md":
            text = open(os.path.join(ROOT, "docs", f), encoding="utf-8").read()
            assert "CQE_FAULT" not in text, "docs/%s documents a test hook outside docs/testing.md" % f


def test_report_out_is_made_and_checked_before_any_input_is_read():
    with tempfile.TemporaryDirectory() as d:
        base = ["report", "--config", CONFIG, "--as-of", AS_OF, "--period", "2026-03"]
        # the README's form: a relative --out with a trailing slash, missing, two levels deep
        r = cq(base + ["--out", "reports/2026/", EVENTS], cwd=d)
        assert r.returncode == 0, r.stderr
        assert r.stderr == "report: wrote reports/2026/report-2026-03.md and .json\n", r.stderr
        doc = json.load(open(os.path.join(d, "reports/2026/report-2026-03.json"), encoding="utf-8"))
        assert doc["period"] == "2026-03" and {t["target"] for t in doc["targets"]} == {"p1", "p2", "p3", "platform"}
        # --out below a regular file: refused before the input is read. The input is a
        # pipe nobody writes to: reading it first would block until the timeout.
        blocker, fifo = os.path.join(d, "file"), os.path.join(d, "fifo")
        open(blocker, "w").close()
        os.mkfifo(fifo)
        r = cq(base + ["--out", blocker + "/x", fifo], timeout=30)
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert r.stderr == "report: cannot create %s/x: %s\n" % (blocker, os.strerror(errno.ENOTDIR)), r.stderr
        # a write that fails after the work names the file and the system's reason
        out = os.path.join(d, "out")
        os.makedirs(os.path.join(out, "report-2026-03.json"))
        r = cq(base + ["--out", out, EVENTS])
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert r.stderr.endswith("report: cannot write %s/report-2026-03.json: %s\n" % (
            out, os.strerror(errno.EISDIR))), r.stderr


def test_inputs_are_checked_before_any_is_read():
    with tempfile.TemporaryDirectory() as d:
        fifo, missing = os.path.join(d, "fifo"), os.path.join(d, "missing.ndjson")
        os.mkfifo(fifo)
        enoent = os.strerror(errno.ENOENT)
        # the pipe comes first and nobody writes to it: a command that read before
        # checking every name would block there until the timeout
        for args in (["replay", fifo, missing],
                     ["replay", "--state", "redis://127.0.0.1:1/0", fifo, missing],
                     ["report", "--period", "2026", "--out", os.path.join(d, "r"), fifo, missing],
                     ["produce", "--bootstrap", "127.0.0.1:1", fifo, missing],
                     ["decode", missing]):
            r = cq(args, timeout=30)
            assert r.returncode == 1, (args, r.returncode, r.stderr)
            assert r.stderr == "%s: cannot read %s: %s\n" % (args[0], missing, enoent), (args, r.stderr)
        for cmd in ("replay", "decode"):
            r = cq([cmd, d])
            assert (r.returncode, r.stderr) == (1, "%s: cannot read %s: %s\n" % (cmd, d, os.strerror(errno.EISDIR)))


def test_repeated_period_is_honoured():
    r = cq(["replay", "--config", CONFIG, "--as-of", AS_OF, "--no-services", "--period", "2026-03",
            "--period", "2026-Q1", "--period", "2026", EVENTS])
    assert r.returncode == 0, r.stderr
    got = [(x["period"], x["target"]) for x in records(r.stdout) if x["kind"] == "snapshot"]
    want = [(p, t) for p in ("2026-03", "2026-Q1", "2026") for t in ("p1", "p2", "p3", "platform")]
    assert got == want, got
    with tempfile.TemporaryDirectory() as d:
        r = cq(["report", "--config", CONFIG, "--as-of", AS_OF, "--period", "2026-03", "--period", "2026",
                "--out", d, EVENTS])
        assert r.returncode == 0, r.stderr
        for p in ("2026-03", "2026"):
            assert json.load(open(os.path.join(d, "report-%s.json" % p), encoding="utf-8"))["period"] == p
            assert os.path.exists(os.path.join(d, "report-%s.md" % p))


def test_unknown_target_names_the_known_targets():
    srv = t_redis.RedisServer()
    try:
        r = cq(["replay", "--state", srv.url(), "--partitions", "2", "--config", CONFIG, EVENTS])
        assert r.returncode == 0, r.stderr
        base = ["snapshot", "--state", srv.url(), "--config", CONFIG, "--as-of", AS_OF]
        r = cq(base + ["--target", "p9"])
        assert (r.returncode, r.stdout) == (2, ""), (r.returncode, r.stdout[:300])
        assert r.stderr == "snapshot: --target p9: no such target; the known targets are " \
                           "platform, p1, p2, p3\n", r.stderr
        r = cq(base + ["--target", "p2", "--period", "2026-03", "--period", "2026-Q1"])
        assert r.returncode == 0, r.stderr
        assert [(x["kind"], x["target"], x["period"]) for x in records(r.stdout)] == [
            ("snapshot", "p2", "2026-03"), ("snapshot", "p2", "2026-Q1")]
    finally:
        srv.cleanup()


def test_messages_name_their_command_and_exit_codes_follow_docs():
    usage = [
        (["no-such-command"], "cloudqe: unknown command 'no-such-command'"),
        (["replay", "--period", "2026-13", EVENTS], "replay: --period 2026-13: use 2026, 2026-Q1 or 2026-03"),
        (["snapshot", "--as-of", "yesterday"], "snapshot: --as-of yesterday: use RFC 3339"),
        (["replay"] + ["--period", "2026"] * 65 + [EVENTS], "replay: at most 64 --period options"),
        (["report", "--period", "2026"], "report: name at least one FILE"),
        (["report", EVENTS], "report: give --period ID"),
        (["retain"], "retain: give --config FILE and --archive DIR"),
        (["run", "--flush-every", "0"], "run: --flush-every takes a number >= 1"),
        (["produce", "--wait"], "produce: --wait needs --group"),
        (["mock-kafka", "--brokers", "0"], "mock-kafka: --brokers takes a number from 1 to 64"),
        (["gen", "--seed", "x", "--days", "1"], "gen: --seed wants an integer"),
        (["decode", "--max-bytes", "-1"], "decode: --max-bytes wants a byte count"),
        (["decode", "a", "b"], "decode: unexpected argument 'b'"),
        (["version", "extra"], "version: unexpected argument 'extra'"),
    ]
    usage += [([c, "--no-such-option"], "%s: unrecognized option '--no-such-option'" % c) for c in commands()]
    for args, first in usage:
        r = cq(args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stderr.startswith(first), (args, r.stderr[:300])
    runtime = [
        (["check-config", "/nonexistent/x.json"], "check-config: /nonexistent/x.json: "),
        (["snapshot", "--state", "redis://127.0.0.1:1/0"], "snapshot: "),
        (["replay", "--config", "/nonexistent/x.json", EVENTS], "replay: /nonexistent/x.json: "),
    ]
    for args, first in runtime:
        r = cq(args)
        assert r.returncode == 1 and r.stderr.startswith(first), (args, r.returncode, r.stderr[:300])
    top = cq(["--help"]).stdout
    assert "0 done, 1 a runtime" in top and "2 a usage error" in top and "docs/cli.md" in top, top
