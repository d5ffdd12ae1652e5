"""Golden cases: every directory under tests/cases/ holds events.ndjson, config.json,
expected.json and WORKING.md (the hand derivation of every expected number).

For each case two tests are produced (run by tests/run.py through cases()):
  golden.<case>        replay the events and evaluate every check of expected.json;
  golden.<case>.order  per fixed seed, shuffle the events and add a retried copy of an
                       event of every partition (the partition `replay --state` routes
                       it to by its Kafka key member, events.md), then replay that
                       (a) in memory with `--streams 3`, (b) into a private Redis over 3
                       partitions (more when 3 leave the case in one), each with its own
                       dedup memory (semantics.md, Time), read back with `snapshot`: both
                       must print the plain run's records, the duplicates counter raised
                       by the copies, and meet every check of expected.json. Needs
                       redis-server (make setup installs it).
test_case_files checks that every case's files are well formed (no binary needed).

expected.json: {"args": [...], "checks": [...]}. `args` are extra replay arguments and
always hold --as-of and --period. A check names a record by kind and key:
  {"kind":"snapshot","target":T,"period":P, ...}
  {"kind":"service","service":S,"period":P, ...}
  {"kind":"dept","dept":D,"period":P, ...}
and then one of
  "exists": true|false                  the record is (not) printed;
  "path": [...], "value": V             the value at path (list of keys / indexes);
                                        numbers match within 1e-9 absolute or relative,
                                        null, strings, booleans and lists exactly;
  "path": [...], "contains": X          the list at path holds X.
A case may check several periods: the replay is then run once per period named by its
checks, with the value after --period replaced (Readings 9: a period gives the same
numbers however it is asked).

The binary is $CLOUDQE (default build/san/cloudqe; relative paths are from the repo
root)."""
import atexit
import json
import os
import random
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASES_DIR = os.path.join(HERE, "cases")
TOL = 1e-9
SHUFFLE_SEEDS = (11, 29, 97)
STREAMS = 3
PARTITIONS = 3
TIMEOUT_S = 300
KEY_OF_KIND = {"snapshot": "target", "service": "service", "dept": "dept"}


class CheckFailed(AssertionError):
    pass


def binary():
    path = os.environ.get("CLOUDQE", "build/san/cloudqe")
    if not os.path.isabs(path):
        path = os.path.join(ROOT, path)
    return path


def case_names():
    if not os.path.isdir(CASES_DIR):
        return []
    return sorted(d for d in os.listdir(CASES_DIR)
                  if os.path.isdir(os.path.join(CASES_DIR, d)))


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_event_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def periods_of(expected):
    seen = []
    for check in expected["checks"]:
        if check["period"] not in seen:
            seen.append(check["period"])
    return seen


def args_for_period(args, period):
    """args with the value after --period replaced (args unchanged without --period)."""
    out = list(args)
    for i, a in enumerate(out[:-1]):
        if a == "--period":
            out[i + 1] = period
    return out


def run_replay(case, config, args, events, extra=(), command="replay"):
    exe = binary()
    if not os.path.exists(exe):
        raise CheckFailed(f"{case}: cloudqe binary missing: {exe} (set CLOUDQE or build it)")
    case_dir = os.path.dirname(config)
    # arguments naming a file of the case directory (e.g. --model model.json) resolve there
    args = [os.path.join(case_dir, a) if os.path.isfile(os.path.join(case_dir, a)) else a for a in args]
    cmd = [exe, command, *extra, "--config", config, *args] + ([events] if events else [])
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"{case}: replay timed out after {TIMEOUT_S}s: {' '.join(cmd)}")
    if proc.returncode != 0:
        raise CheckFailed(f"{case}: replay exited {proc.returncode}: {' '.join(cmd)}\n"
                          f"stderr: {proc.stderr.decode('utf-8', 'replace')[-3000:]}")
    return proc.stdout


def index_records(case, stdout):
    """{(kind, key, period): record} of the snapshot, service and dept lines."""
    recs = {}
    for n, line in enumerate(stdout.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as e:
            raise CheckFailed(f"{case}: stdout line {n} is not JSON ({e}): {line[:200]}")
        kind = rec.get("kind") if isinstance(rec, dict) else None
        if kind in KEY_OF_KIND:
            recs[(kind, rec.get(KEY_OF_KIND[kind]), rec.get("period"))] = rec
    return recs


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def same_value(expected, got):
    if is_number(expected):
        if not is_number(got):
            return False
        diff = abs(float(got) - float(expected))
        return diff <= TOL or diff <= TOL * abs(float(expected))
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return type(got) is type(expected) and got == expected
    return got == expected


def walk(rec, path):
    cur = rec
    for step in path:
        if isinstance(cur, dict) and isinstance(step, str) and step in cur:
            cur = cur[step]
        elif isinstance(cur, list) and isinstance(step, int) and -len(cur) <= step < len(cur):
            cur = cur[step]
        else:
            return False, None
    return True, cur


def describe(check):
    key = KEY_OF_KIND[check["kind"]]
    return f"{check['kind']} {key}={check[key]!r} period={check['period']}"


def evaluate(case, check, recs):
    """None when the check holds, else a message."""
    kind = check["kind"]
    rec = recs.get((kind, check[KEY_OF_KIND[kind]], check["period"]))
    where = describe(check)
    if "exists" in check:
        if (rec is not None) != check["exists"]:
            return f"{case}: {where}: expected exists={check['exists']}, " \
                   f"got {'a record' if rec is not None else 'no record'}"
        return None
    if rec is None:
        return f"{case}: {where}: no such record in the output"
    found, got = walk(rec, check["path"])
    if not found:
        return f"{case}: {where} path {check['path']}: missing in the record"
    if "contains" in check:
        if not isinstance(got, list) or check["contains"] not in got:
            return f"{case}: {where} path {check['path']}: expected to contain " \
                   f"{check['contains']!r}, got {got!r}"
        return None
    if not same_value(check["value"], got):
        return f"{case}: {where} path {check['path']}: expected {check['value']!r}, got {got!r}"
    return None


def run_golden(case):
    d = os.path.join(CASES_DIR, case)
    expected = load_json(os.path.join(d, "expected.json"))
    config = os.path.join(d, "config.json")
    events = os.path.join(d, "events.ndjson")
    by_period = {}
    if "--period" in expected["args"]:
        for period in periods_of(expected):
            out = run_replay(case, config, args_for_period(expected["args"], period), events)
            by_period[period] = index_records(case, out)
    else:
        recs = index_records(case, run_replay(case, config, expected["args"], events))
        by_period = {p: recs for p in periods_of(expected)}
    problems = []
    for check in expected["checks"]:
        msg = evaluate(case, check, by_period[check["period"]])
        if msg:
            problems.append(msg)
    if problems:
        raise CheckFailed(f"{len(problems)} of {len(expected['checks'])} checks failed:\n"
                          + "\n".join(problems))


def event_id(line):
    try:
        obj = json.loads(line)
        return obj.get("id") if isinstance(obj, dict) else None
    except ValueError:
        return None


# The member a producer keys each type by (events.md, "Keys on Kafka"); the id where the
# member is absent. `replay --state --partitions N` routes a line to hash(key) mod N, an
# undecodable line to partition 0; the hash is FNV-1a 64 started from 1469598103934665603
# (pipeline/replay_redis.c: the standard offset basis less its last digit).
KEY_MEMBER = {"incident": "incident", "maintenance": "window", "ticket": "ticket", "backup": "job",
              "drill": "drill", "vuln": "vuln", "migration": "migration", "audit": "op",
              "survey": "response", "asset": "asset", "metric": "resource", "probe": "service"}


def partition_of(line, n):
    try:
        ev = json.loads(line)
    except ValueError:
        return 0
    if not isinstance(ev, dict):
        return 0
    key = ev.get(KEY_MEMBER.get(ev.get("type")))
    if not isinstance(key, str):
        key = ev.get("id")
    if not isinstance(key, str):
        return 0
    h = 1469598103934665603
    for b in key.encode("utf-8"):
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h % n


def partitions_for(case, lines):
    """PARTITIONS, or the next count that puts the case's events in two partitions or more."""
    for n in range(PARTITIONS, PARTITIONS + 6):
        if len({partition_of(line, n) for line in lines}) >= 2:
            return n
    raise CheckFailed(f"{case}: the events fall in one partition for every count tried")


def with_retries(lines, seed, n):
    """A shuffled copy of lines plus one retried copy of an event of each of n partitions,
    placed after its original with other partitions' events in between where there are
    any (a producer retry: same id, same key, same partition). Returns (lines, number of
    copies added)."""
    rng = random.Random(seed)
    out = list(lines)
    rng.shuffle(out)
    firsts = {}
    for pos, line in enumerate(out):
        if event_id(line) is not None:
            firsts.setdefault(partition_of(line, n), pos)
    for part, pos in sorted(firsts.items(), key=lambda kv: -kv[1]):
        at = rng.randint(pos + 1, len(out))
        others = [q for q in range(pos + 1, len(out)) if partition_of(out[q], n) != part]
        if others and at <= others[0]:  # nothing of another partition in between
            at = others[-1] + 1
        out.insert(at, out[pos])
    return out, len(firsts)


def first_difference(want, got):
    la, lb = want.decode("utf-8", "replace").splitlines(), got.decode("utf-8", "replace").splitlines()
    for n, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            return f"line {n} differs:\n  plain:    {x[:600]}\n  shuffled: {y[:600]}"
    return f"line counts differ: plain {len(la)}, shuffled {len(lb)}"


def records(stdout, more_duplicates=0):
    """The records of stdout, re-serialised, with every snapshot's counters.duplicates
    raised by more_duplicates: what the same events plus that many dropped copies print."""
    out = []
    for line in stdout.decode("utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("kind") == "snapshot":
            rec["counters"]["duplicates"] += more_duplicates
        out.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(out).encode("utf-8")


_redis = []


def redis_server():
    """One private redis-server (tests/t_redis.py) for the partitioned runs, flushed."""
    if not _redis:
        import t_redis
        _redis.append(t_redis.RedisServer())
        atexit.register(_redis[0].cleanup)
    _redis[0].cmd("FLUSHALL")
    return _redis[0]


def replay_partitioned(case, config, path, lines, n):
    """`replay --state --partitions n` of path into a flushed Redis: one pipeline, one
    dedup memory per partition. Checks that each partition consumed the lines
    partition_of gives it, by the position (last line number) Redis holds for it.
    Returns the state URL."""
    srv = redis_server()
    run_replay(case, config, ["--state", srv.url(), "--partitions", str(n)], path)
    last = {partition_of(line, n): no for no, line in enumerate(lines, 1)}
    for part in range(n):
        pos = srv.cmd("GET", f"cqe:{{p{part}}}:pos")
        want = str(last[part]).encode() if part in last else None
        if pos != want:
            raise CheckFailed(f"{case}: partition {part} holds position {pos!r}, expected {want!r}: "
                              f"cloudqe routes differently from partition_of")
    return srv.url()


def period_arg(args):
    return args[args.index("--period") + 1] if "--period" in args[:-1] else None


def run_order(case):
    """Per seed, a shuffled copy with retried events (with_retries) through `--streams N`
    in memory and through N partitions in Redis (`snapshot --state`): both must print
    the plain run's records, duplicates counter raised by the copies, and meet every
    check of expected.json."""
    d = os.path.join(CASES_DIR, case)
    expected = load_json(os.path.join(d, "expected.json"))
    config = os.path.join(d, "config.json")
    events = os.path.join(d, "events.ndjson")
    lines = read_event_lines(events)
    n = partitions_for(case, lines)
    arg_sets = [expected["args"]]
    if "--period" in expected["args"]:
        arg_sets = [args_for_period(expected["args"], p) for p in periods_of(expected)]
    plain = [run_replay(case, config, args, events) for args in arg_sets]
    with tempfile.TemporaryDirectory(prefix="cqe-golden-") as tmp:
        for seed in SHUFFLE_SEEDS:
            mixed, added = with_retries(lines, seed, n)
            path = os.path.join(tmp, f"shuffled-{seed}.ndjson")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(mixed) + "\n")
            url = replay_partitioned(case, config, path, mixed, n)
            for args, out in zip(arg_sets, plain):
                want = records(out, added)
                runs = {f"--streams {STREAMS}": run_replay(case, config, args, path,
                                                          extra=("--streams", str(STREAMS))),
                        f"{n} partitions": run_replay(case, config, args, None,
                                                               command="snapshot", extra=("--state", url))}
                for how, got in runs.items():
                    where = f"{case}: args {args}, seed {seed}, {how}, {added} retried copies"
                    if records(got) != want:
                        raise CheckFailed(f"{where}: differs from the plain run; "
                                          + first_difference(want, records(got)))
                    recs = index_records(case, got)
                    problems = [m for m in (evaluate(case, c, recs) for c in expected["checks"]
                                            if period_arg(args) in (None, c["period"])) if m]
                    if problems:
                        raise CheckFailed(f"{where}:\n" + "\n".join(problems))


def cases():
    out = []
    for name in case_names():
        out.append((name, lambda n=name: run_golden(n)))
        out.append((name + ".order", lambda n=name: run_order(n)))
    return out


# ---------------------------------------------------------------- case file checks

EVENT_TYPES = {"incident", "probe", "metric", "maintenance", "ticket", "backup", "drill",
               "vuln", "migration", "audit", "survey", "asset"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
CONFIG_KEYS = {"utc_offset", "services", "holidays", "workdays", "maintenance_notice_s",
               "degraded_weight", "incident_deadlines", "rpo_target_s", "drill_required_per_year",
               "vuln_deadlines_s", "survey_dimensions", "survey_level_scores", "idle_cpu_below",
               "idle_cpu_share", "idle_mem_below", "max_message_bytes", "dedup_window", "clock"}
# type -> (always required, {action: required with that action}) for the types cases use
TYPE_RULES = {
    "incident": (("incident", "action"), {"open": ("service", "severity")}),
    "probe": (("service", "ok"), {}),
    "maintenance": (("window", "action"), {"schedule": ("start", "end")}),
    "ticket": (("ticket", "action"), {"open": ("due",), "feedback": ("satisfied",)}),
}
ACTIONS = {"incident": {"open", "ack", "resolve", "reopen", "update"},
           "maintenance": {"schedule", "cancel"}, "ticket": {"open", "close", "feedback"}}


def is_int(x):
    return (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())


def check_event(where, ev):
    problems = []
    if not isinstance(ev, dict):
        return [f"{where}: not a JSON object"]
    if not (is_int(ev.get("v")) and ev.get("v") == 1):
        problems.append(f"{where}: v must be 1")
    if not (isinstance(ev.get("id"), str) and 1 <= len(ev["id"]) <= 128):
        problems.append(f"{where}: bad id")
    if ev.get("type") not in EVENT_TYPES:
        problems.append(f"{where}: bad type {ev.get('type')!r}")
    ts = ev.get("ts")
    if isinstance(ts, str):
        if not RFC3339.match(ts):
            problems.append(f"{where}: ts not RFC 3339 with offset: {ts}")
    elif not (is_int(ts) and 946684800000 <= ts < 4133980800000):
        problems.append(f"{where}: bad ts {ts!r}")
    if not (isinstance(ev.get("provider"), str) and 1 <= len(ev["provider"]) <= 128):
        problems.append(f"{where}: bad provider")
    if "dept" in ev and not (isinstance(ev["dept"], str) and ev["dept"]):
        problems.append(f"{where}: bad dept")
    rules = TYPE_RULES.get(ev.get("type"))
    if rules:
        always, by_action = rules
        need = list(always) + list(by_action.get(ev.get("action"), ()))
        problems += [f"{where}: missing {k}" for k in need if k not in ev]
        if ev.get("type") in ACTIONS and ev.get("action") not in ACTIONS[ev["type"]]:
            problems.append(f"{where}: bad action {ev.get('action')!r}")
        for k in ("start", "end", "due"):
            if k in ev and not (isinstance(ev[k], str) and RFC3339.match(ev[k])):
                problems.append(f"{where}: {k} not RFC 3339")
        if "severity" in ev and not (is_int(ev["severity"]) and 1 <= ev["severity"] <= 4):
            problems.append(f"{where}: bad severity")
        if "scope" in ev and not (is_number(ev["scope"]) and 0 < ev["scope"] <= 1):
            problems.append(f"{where}: bad scope")
        if "impact" in ev and ev["impact"] not in ("outage", "degraded", "none"):
            problems.append(f"{where}: bad impact")
        if "cause" in ev and ev["cause"] not in ("provider", "customer", "third_party",
                                                 "force_majeure"):
            problems.append(f"{where}: bad cause")
        for k in ("ok", "satisfied"):
            if k in ev and not isinstance(ev[k], bool):
                problems.append(f"{where}: {k} not boolean")
    return problems


def check_case_files(case):
    d = os.path.join(CASES_DIR, case)
    problems = []
    for fname in ("events.ndjson", "config.json", "expected.json", "WORKING.md"):
        if not os.path.isfile(os.path.join(d, fname)):
            problems.append(f"{case}: {fname} missing")
    if problems:
        return problems
    seen = {}
    lines = read_event_lines(os.path.join(d, "events.ndjson"))
    if not 3 <= len(lines) <= 40:
        problems.append(f"{case}: {len(lines)} events (keep cases at 3-40)")
    for n, line in enumerate(lines, 1):
        where = f"{case}/events.ndjson:{n}"
        try:
            ev = json.loads(line)
        except ValueError as e:
            problems.append(f"{where}: not JSON: {e}")
            continue
        problems += check_event(where, ev)
        if isinstance(ev, dict) and isinstance(ev.get("id"), str):
            if ev["id"] in seen and seen[ev["id"]] != ev:
                problems.append(f"{where}: id {ev['id']!r} reused for different content")
            seen[ev["id"]] = ev
    try:
        cfg = load_json(os.path.join(d, "config.json"))
        if not isinstance(cfg, dict):
            problems.append(f"{case}/config.json: not an object")
        else:
            problems += [f"{case}/config.json: unknown key {k}" for k in cfg if k not in CONFIG_KEYS]
            for s in cfg.get("services", []):
                if not (isinstance(s, dict) and isinstance(s.get("id"), str)
                        and isinstance(s.get("provider"), str)):
                    problems.append(f"{case}/config.json: bad service {s!r}")
    except ValueError as e:
        problems.append(f"{case}/config.json: not JSON: {e}")
    try:
        exp = load_json(os.path.join(d, "expected.json"))
    except ValueError as e:
        return problems + [f"{case}/expected.json: not JSON: {e}"]
    if not (isinstance(exp, dict) and isinstance(exp.get("args"), list)
            and all(isinstance(a, str) for a in exp["args"])
            and isinstance(exp.get("checks"), list) and exp["checks"]):
        return problems + [f"{case}/expected.json: needs args (strings) and non-empty checks"]
    for flag in ("--as-of", "--period"):
        if flag not in exp["args"][:-1]:
            problems.append(f"{case}/expected.json: args lack {flag} VALUE")
    for n, c in enumerate(exp["checks"]):
        where = f"{case}/expected.json check {n}"
        if not isinstance(c, dict) or c.get("kind") not in KEY_OF_KIND:
            problems.append(f"{where}: bad kind")
            continue
        if not isinstance(c.get(KEY_OF_KIND[c["kind"]]), str) or not isinstance(c.get("period"), str):
            problems.append(f"{where}: needs {KEY_OF_KIND[c['kind']]} and period")
        modes = [m for m in ("exists", "value", "contains") if m in c]
        if len(modes) != 1:
            problems.append(f"{where}: needs exactly one of exists/value/contains")
        elif modes[0] == "exists":
            if not isinstance(c["exists"], bool) or "path" in c:
                problems.append(f"{where}: exists must be a boolean, without path")
        elif not (isinstance(c.get("path"), list) and c["path"]
                  and all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in c["path"])):
            problems.append(f"{where}: path must be a non-empty list of keys")
        extra = set(c) - {"kind", KEY_OF_KIND[c["kind"]], "period", "path", "value", "contains",
                          "exists"}
        if extra:
            problems.append(f"{where}: unknown fields {sorted(extra)}")
    return problems


def test_case_files():
    names = case_names()
    problems = [] if names else ["no golden cases under tests/cases/"]
    for name in names:
        problems += check_case_files(name)
    if problems:
        raise CheckFailed("\n".join(problems))
