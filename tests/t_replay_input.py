"""Bad input through `cloudqe replay`, end to end: every kind of refused line becomes a
dead letter with the right reason, origin line and raw bytes; nothing stops the replay;
applied + duplicates + dead letters = lines read; a truncated .zst file stops the replay
with an error naming the file and the lines read before the cut."""
import base64
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOUDQE = os.environ.get("CLOUDQE", os.path.join(ROOT, "build/san/cloudqe"))

GOOD = ('{"v":1,"id":"p-%d","type":"probe","ts":"2026-03-01T08:00:00+08:00",'
        '"provider":"p1","service":"s1","ok":true}')

# (raw line bytes, expected reason or None for applied / "dup" for a duplicate)
LINES = [
    (GOOD % 1, None),
    (GOOD % 1, "dup"),                                             # same id again
    ('{"v":1,"id":"x"', "json_syntax"),                            # truncated JSON
    ('{"v":1,' + '"a":[' * 70 + ']' * 70 + '}', "json_syntax"),    # nesting deeper than 64
    (b'{"v":1,"id":"\xff\xfe"}', "bad_utf8"),                     # invalid UTF-8
    (b'{"v":1,\x00"id":"n"}', "json_syntax"),                     # raw NUL byte
    ('{"v":1,"id":"big","type":"probe","x":1e999}', "bad_value"),  # number out of range
    ('{"v":2,"id":"v2","type":"probe"}', "unsupported_version"),
    ('{"v":1,"id":"u","type":"weather","ts":1772323200000,"provider":"p1"}', "unknown_type"),
    ('{"v":1,"id":"m","type":"probe","ts":1772323200000,"provider":"p1","ok":true}', "missing_field"),
    ('{"v":1,"id":"t","type":"probe","ts":1772323200000,"provider":"p1","service":"s1","ok":"yes"}', "bad_type"),
    ('{"v":1,"id":"ts","type":"probe","ts":"1999-12-31T00:00:00Z","provider":"p1","service":"s1","ok":true}',
     "bad_value"),
    (GOOD % 2, None),
]


def run(args):
    return subprocess.run([CLOUDQE, "replay", *args], capture_output=True)


def summary(stderr):
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.startswith('{"kind":"replay_summary"'):
            return json.loads(line)
    raise AssertionError("no replay_summary on stderr:\n" + stderr.decode("utf-8", "replace")[-2000:])


def test_every_bad_line_is_a_dead_letter_with_its_reason():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "in.ndjson")
        with open(path, "wb") as f:
            for raw, _ in LINES:
                f.write(raw if isinstance(raw, bytes) else raw.encode())
                f.write(b"\n")
            f.write(b"\n")  # a blank line: skipped
            f.write(b'{"v":1,"id":"huge","pad":"' + b"x" * (2 << 20) + b'"}\n')  # over 1 MiB
            f.write((GOOD % 3).encode() + b"\n")
        dl = os.path.join(d, "dead.ndjson")
        r = run(["--as-of", "2026-03-02T00:00:00+08:00", "--period", "2026-03", "--dead-letters", dl, path])
        assert r.returncode == 0, r.stderr.decode()[-2000:]
        s = summary(r.stderr)
        expect_dead = [reason for _, reason in LINES if reason not in (None, "dup")] + ["too_large"]
        assert s["lines"] == len(LINES) + 2, s
        assert s["applied"] == 3 and s["duplicates"] == 1, s
        assert s["dead_letters"] == len(expect_dead), s
        assert s["applied"] + s["duplicates"] + s["dead_letters"] == s["lines"]
        recs = [json.loads(x) for x in open(dl, encoding="utf-8")]
        assert [x["reason"] for x in recs] == expect_dead, [x["reason"] for x in recs]
        # origin names the file and the physical line; raw holds the exact bytes
        bad_lines = [i + 1 for i, (_, reason) in enumerate(LINES) if reason not in (None, "dup")]
        assert [x["origin"]["line"] for x in recs[:-1]] == bad_lines
        assert all(x["origin"]["file"] == path for x in recs)
        utf8 = next(x for x in recs if x["reason"] == "bad_utf8")
        assert base64.b64decode(utf8["raw_b64"]) == LINES[4][0]
        nul = next(x for x in recs if x["origin"]["line"] == 6)
        assert base64.b64decode(nul["raw_b64"]) == LINES[5][0]
        assert recs[-1]["origin"]["line"] == len(LINES) + 2  # blank line still numbered
        for x in recs:
            assert x["detail"], x
        missing = next(x for x in recs if x["reason"] == "missing_field")
        assert "service" in missing["detail"], missing["detail"]
        # the three probes of s1 were applied: the service is in scope
        out = [json.loads(x) for x in r.stdout.decode().splitlines()]
        svc = [x for x in out if x["kind"] == "service"]
        assert [x["service"] for x in svc] == ["s1"]


def test_truncated_zst_fails_naming_the_file_and_the_lines_read():
    with tempfile.TemporaryDirectory() as d:
        plain = os.path.join(d, "in.ndjson")
        with open(plain, "w") as f:
            for i in range(20000):
                f.write(GOOD % i + "\n")
        subprocess.run(["zstd", "-q", "-f", plain, "-o", plain + ".zst"], check=True)
        whole = run(["--period", "2026-03", plain + ".zst"])
        assert whole.returncode == 0, whole.stderr.decode()[-2000:]
        assert summary(whole.stderr)["applied"] == 20000
        data = open(plain + ".zst", "rb").read()
        cut = os.path.join(d, "cut.ndjson.zst")
        open(cut, "wb").write(data[: len(data) // 2])
        # the complete lines before the cut, as zstd itself decompresses them
        z = subprocess.run(["zstd", "-q", "-d", "-c", cut], capture_output=True)
        assert z.returncode != 0 and 0 < z.stdout.count(b"\n") < 20000
        complete = z.stdout.count(b"\n")
        for args in (["--period", "2026-03", cut], ["--period", "2026-03", plain, cut]):
            r = run(args)
            err = r.stderr.decode()
            assert r.returncode == 1, (r.returncode, err[-2000:])
            assert r.stdout == b"", r.stdout[:200]
            assert "%s: truncated: the zstd stream ends inside a frame after %d complete lines" % (
                cut, complete) in err, err[-2000:]
