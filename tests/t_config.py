"""The configuration file, two ways: every case below goes to `cloudqe check-config` and
to schemas/config.schema.json (Debian's python3-jsonschema, Draft 2020-12); both must
give the same verdict, and a refusal from C must name the file and the JSON path.

A case is (name, config, path): path None means valid; otherwise the JSON path the C
message must name. C_ONLY cases break a rule no schema can express: the schema accepts
them, C must refuse. Configs are Python values, or RAW(text) for exact bytes."""
import copy
import json
import os
import random
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCHEMA = os.path.join(ROOT, "schemas", "config.schema.json")
EXAMPLE = os.path.join(ROOT, "docs", "examples", "config.json")


def cloudqe():
    path = os.environ.get("CLOUDQE", "build/san/cloudqe")
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


class RAW(str):
    """Exact file text, not a Python value to serialise."""


SVC = {"id": "svc-a", "provider": "gz-telecom"}
LONG_ID = "政" * 128


def svc(**kw):
    d = dict(SVC)
    d.update(kw)
    return {"services": [d]}


CASES = [
    # the whole file
    ("empty object", {}, None),
    ("only evaluation keys", {"utc_offset": "+08:00", "clock": "event"}, None),
    ("not an object", [], "$"),
    ("unknown top key", {"utc_ofset": "+08:00"}, "$.utc_ofset"),
    ("unknown top key, far from any", {"zzz": 1}, "$.zzz"),
    # utc_offset
    ("utc_offset -05:30", {"utc_offset": "-05:30"}, None),
    ("utc_offset Z", {"utc_offset": "Z"}, None),
    ("utc_offset short hour", {"utc_offset": "+8:00"}, "$.utc_offset"),
    ("utc_offset 24h", {"utc_offset": "+24:00"}, "$.utc_offset"),
    ("utc_offset minutes 60", {"utc_offset": "+08:60"}, "$.utc_offset"),
    ("utc_offset number", {"utc_offset": 480}, "$.utc_offset"),
    ("utc_offset zone name", {"utc_offset": "Asia/Shanghai"}, "$.utc_offset"),
    # services
    ("services full entry", {"services": [
        {"id": "svc-a", "provider": "p", "dept": "市公安局", "target": 0.9995,
         "calendar": "5x8", "weight": 2.5},
        {"id": LONG_ID, "provider": "p", "target": 1}]}, None),
    ("services not array", {"services": {}}, "$.services"),
    ("service not object", {"services": ["svc-a"]}, "$.services[0]"),
    ("service missing provider", {"services": [{"id": "a"}]}, "$.services[0]"),
    ("service missing id", {"services": [{"provider": "p"}]}, "$.services[0]"),
    ("service unknown key", {"services": [dict(SVC), dict(SVC, id="b"),
                                          dict(SVC, id="c", targte=0.99)]},
     "$.services[2].targte"),
    ("service id empty", svc(id=""), "$.services[0].id"),
    ("service id 129 chars", svc(id=LONG_ID + "x"), "$.services[0].id"),
    ("service provider number", svc(provider=7), "$.services[0].provider"),
    ("service dept empty", svc(dept=""), "$.services[0].dept"),
    ("service target 0", svc(target=0), "$.services[0].target"),
    ("service target above 1", svc(target=1.5), "$.services[0].target"),
    ("service target string", svc(target="0.999"), "$.services[0].target"),
    ("service calendar 24x7", svc(calendar="24x7"), "$.services[0].calendar"),
    ("service weight 0", svc(weight=0), "$.services[0].weight"),
    ("service weight negative", svc(weight=-1), "$.services[0].weight"),
    ("service weight boolean", svc(weight=True), "$.services[0].weight"),
    ("service weight beyond 2^53", svc(weight=9007199254740993), None),
    # holidays and workdays
    ("dates valid", {"holidays": ["2026-01-01", "2024-02-29", "2000-02-29", "2026-01-01"],
                     "workdays": ["2026-02-14"]}, None),
    ("holidays not array", {"holidays": "2026-01-01"}, "$.holidays"),
    ("holiday 29 Feb of a common year", {"holidays": ["2026-01-01", "2026-02-29"]},
     "$.holidays[1]"),
    ("holiday 29 Feb 1900", {"holidays": ["1900-02-29"]}, "$.holidays[0]"),
    ("holiday 31 April", {"holidays": ["2026-04-31"]}, "$.holidays[0]"),
    ("holiday month 13", {"holidays": ["2026-13-01"]}, "$.holidays[0]"),
    ("holiday short month", {"holidays": ["2026-1-01"]}, "$.holidays[0]"),
    ("holiday number", {"holidays": [20260101]}, "$.holidays[0]"),
    ("holiday with time", {"holidays": ["2026-01-01T00:00:00Z"]}, "$.holidays[0]"),
    ("workday 30 Feb", {"workdays": ["2026-02-30"]}, "$.workdays[0]"),
    # durations and counts
    ("notice 0", {"maintenance_notice_s": 0}, None),
    ("notice 60.0 is an integer", {"maintenance_notice_s": 60.0}, None),
    ("notice negative", {"maintenance_notice_s": -1}, "$.maintenance_notice_s"),
    ("notice fraction", {"maintenance_notice_s": 1.5}, "$.maintenance_notice_s"),
    ("notice string", {"maintenance_notice_s": "60"}, "$.maintenance_notice_s"),
    ("notice boolean", {"maintenance_notice_s": True}, "$.maintenance_notice_s"),
    ("notice over 100 years", {"maintenance_notice_s": 3153600001}, "$.maintenance_notice_s"),
    ("rpo 0", {"rpo_target_s": 0}, "$.rpo_target_s"),
    ("degraded_weight bounds", {"degraded_weight": 0}, None),
    ("degraded_weight above 1", {"degraded_weight": 1.01}, "$.degraded_weight"),
    ("degraded_weight null", {"degraded_weight": None}, "$.degraded_weight"),
    # incident deadlines
    ("deadlines partial", {"incident_deadlines": {"2": {"ack_s": 60, "fix_s": 120}}}, None),
    ("deadlines not object", {"incident_deadlines": []}, "$.incident_deadlines"),
    ("deadlines severity 5", {"incident_deadlines": {"5": {"ack_s": 1, "fix_s": 2}}},
     '$.incident_deadlines["5"]'),
    ("deadline missing fix_s", {"incident_deadlines": {"1": {"ack_s": 600}}},
     '$.incident_deadlines["1"]'),
    ("deadline ack 0", {"incident_deadlines": {"1": {"ack_s": 0, "fix_s": 1}}},
     '$.incident_deadlines["1"].ack_s'),
    ("deadline unknown key", {"incident_deadlines": {"3": {"ack_s": 1, "fix_s": 2, "resp_s": 3}}},
     '$.incident_deadlines["3"].resp_s'),
    ("deadline not object", {"incident_deadlines": {"4": 900}}, '$.incident_deadlines["4"]'),
    # drills and vulnerabilities
    ("drills partial", {"drill_required_per_year": {"dr": 0}}, None),
    ("drills negative", {"drill_required_per_year": {"dr": -1}}, "$.drill_required_per_year.dr"),
    ("drills fraction", {"drill_required_per_year": {"emergency": 1.5}},
     "$.drill_required_per_year.emergency"),
    ("drills unknown kind", {"drill_required_per_year": {"tabletop": 1}},
     "$.drill_required_per_year.tabletop"),
    ("vulns partial", {"vuln_deadlines_s": {"critical": 86400}}, None),
    ("vulns unknown level", {"vuln_deadlines_s": {"urgent": 1}}, "$.vuln_deadlines_s.urgent"),
    ("vulns 0", {"vuln_deadlines_s": {"low": 0}}, "$.vuln_deadlines_s.low"),
    # survey
    ("dims replace", {"survey_dimensions": {"服务态度": 2, "效率": 0.5}}, None),
    ("dims empty", {"survey_dimensions": {}}, "$.survey_dimensions"),
    ("dims not object", {"survey_dimensions": ["服务态度"]}, "$.survey_dimensions"),
    ("dim weight 0", {"survey_dimensions": {"x": 0}}, "$.survey_dimensions.x"),
    ("dim weight string", {"survey_dimensions": {"服务态度": "1"}}, '$.survey_dimensions["服务态度"]'),
    ("dim name empty", {"survey_dimensions": {"": 1}}, '$.survey_dimensions[""]'),
    ("dim name 129 chars", {"survey_dimensions": {LONG_ID + "x": 1}},
     '$.survey_dimensions["%s…"]' % LONG_ID[:48]),  # paths show 48 code points of a key
    ("levels valid", {"survey_level_scores": [0, 25, 50, 75.5, 100]}, None),
    ("levels 4 items", {"survey_level_scores": [0, 30, 60, 100]}, "$.survey_level_scores"),
    ("levels 6 items", {"survey_level_scores": [0, 20, 40, 60, 80, 100]}, "$.survey_level_scores"),
    ("level string", {"survey_level_scores": ["0", 30, 60, 80, 100]}, "$.survey_level_scores[0]"),
    ("level above 100", {"survey_level_scores": [0, 30, 60, 80, 101]}, "$.survey_level_scores[4]"),
    # idle rule, limits, clock
    ("idle bounds", {"idle_cpu_below": 0, "idle_cpu_share": 1, "idle_mem_below": 0.5}, None),
    ("idle_cpu_below negative", {"idle_cpu_below": -0.1}, "$.idle_cpu_below"),
    ("idle_cpu_share above 1", {"idle_cpu_share": 1.1}, "$.idle_cpu_share"),
    ("idle_mem_below string", {"idle_mem_below": "0.2"}, "$.idle_mem_below"),
    ("max_message_bytes 1024", {"max_message_bytes": 1024}, None),
    ("max_message_bytes 1023", {"max_message_bytes": 1023}, "$.max_message_bytes"),
    ("max_message_bytes fraction", {"max_message_bytes": 2048.5}, "$.max_message_bytes"),
    ("dedup_window 0", {"dedup_window": 0}, None),
    ("dedup_window negative", {"dedup_window": -1}, "$.dedup_window"),
    ("dedup_window 1e300", {"dedup_window": 1e300}, "$.dedup_window"),
    ("clock event", {"clock": "event"}, None),
    ("clock capitalised", {"clock": "Wall"}, "$.clock"),
    ("clock null", {"clock": None}, "$.clock"),
    # redis
    ("redis full", {"redis": {"url": "redis://[::1]:6379/15", "user": "cloudqe",
                              "password_env": "REDIS_PASSWORD", "db": 15}}, None),
    ("redis ipv4 no db", {"redis": {"url": "redis://127.0.0.1:6379",
                                    "password_file": "/run/secrets/redis"}}, None),
    ("redis password refused", {"redis": {"url": "redis://h:6379", "password": "hunter2"}},
     "$.redis.password"),
    # one parser for redis.url and --state (core/redis_url.c): the port defaults to 6379
    ("redis url without port", {"redis": {"url": "redis://h"}}, None),
    ("redis url without port, db", {"redis": {"url": "redis://h/0"}}, None),
    ("redis url user", {"redis": {"url": "redis://cloudqe@h:6379/1"}}, None),
    ("redis url empty user", {"redis": {"url": "redis://@h:6379"}}, "$.redis.url"),
    ("redis url no host", {"redis": {"url": "redis://:6379"}}, "$.redis.url"),
    ("redis url port 0", {"redis": {"url": "redis://h:0"}}, "$.redis.url"),
    ("redis url port 65536", {"redis": {"url": "redis://h:65536"}}, "$.redis.url"),
    ("redis url port leading 0", {"redis": {"url": "redis://h:06379"}}, "$.redis.url"),
    ("redis url trailing slash", {"redis": {"url": "redis://h:6379/"}}, "$.redis.url"),
    ("redis url db leading 0", {"redis": {"url": "redis://h:6379/01"}}, "$.redis.url"),
    ("redis url credentials", {"redis": {"url": "redis://u:secret@h:6379"}}, "$.redis.url"),
    ("redis url tls scheme", {"redis": {"url": "rediss://h:6379"}}, "$.redis.url"),
    ("redis user empty", {"redis": {"user": ""}}, "$.redis.user"),
    ("redis password_file empty", {"redis": {"password_file": ""}}, "$.redis.password_file"),
    ("redis password_env bad name", {"redis": {"password_env": "1X"}}, "$.redis.password_env"),
    ("redis both password sources", {"redis": {"password_file": "/f", "password_env": "P"}},
     "$.redis"),
    ("redis db negative", {"redis": {"db": -1}}, "$.redis.db"),
    ("redis db fraction", {"redis": {"db": 1.5}}, "$.redis.db"),
    ("redis db too large", {"redis": {"db": 1000000000}}, "$.redis.db"),
    ("redis db equal to url's", {"redis": {"url": "redis://h:6379/2", "db": 2}}, None),
    ("redis unknown key", {"redis": {"host": "h"}}, "$.redis.host"),
    ("redis not object", {"redis": "redis://h:6379"}, "$.redis"),
    # kafka
    ("kafka properties", {"kafka": {"bootstrap.servers": "127.0.0.1:9092",
                                    "enable.idempotence": True, "linger.ms": 5}}, None),
    ("kafka not object", {"kafka": []}, "$.kafka"),
    ("kafka array value", {"kafka": {"bootstrap.servers": ["a", "b"]}},
     '$.kafka["bootstrap.servers"]'),
    ("kafka null value", {"kafka": {"linger.ms": None}}, '$.kafka["linger.ms"]'),
    ("kafka empty name", {"kafka": {"": "x"}}, '$.kafka[""]'),
    # secret-bearing librdkafka properties (docs/config.md): references only, never literals
    ("kafka secret as env ref", {"kafka": {"sasl.password": "${env:KAFKA_PASSWORD}"}}, None),
    ("kafka secret as file ref", {"kafka": {"ssl.key.password": "${file:/run/secrets/key}"}}, None),
    ("kafka secret as env object", {"kafka": {"ssl.keystore.password": {"env": "KS_PASSWORD"}}}, None),
    ("kafka secret as file object", {"kafka": {"ssl.key.pem": {"file": "/run/secrets/key.pem"}}}, None),
    # a reference fills only a property librdkafka never shows (else a CONFWARN may echo it)
    ("kafka env object, any property", {"kafka": {"bootstrap.servers": {"env": "KAFKA_BROKERS"}}},
     '$.kafka["bootstrap.servers"]'),
    ("kafka env ref, non-secret property", {"kafka": {"client.id": "${env:CLIENT}"}}, '$.kafka["client.id"]'),
    ("kafka env ref, sasl.username", {"kafka": {"sasl.username": "${env:KAFKA_USER}"}}, None),
    ("kafka literal sasl.username", {"kafka": {"sasl.username": "cloudqe"}}, None),
    ("kafka public and path values stay literal", {"kafka": {
        "sasl.username": "cloudqe", "ssl.key.location": "/etc/cloudqe/key.pem",
        "ssl.certificate.pem": "-----BEGIN CERTIFICATE-----", "ssl.ca.location": "/etc/ca.pem"}}, None),
    ("kafka literal sasl.password", {"kafka": {"sasl.password": "hunter2"}},
     '$.kafka["sasl.password"]'),
    ("kafka literal ssl.key.password", {"kafka": {"ssl.key.password": "hunter2"}},
     '$.kafka["ssl.key.password"]'),
    ("kafka literal ssl.keystore.password", {"kafka": {"ssl.keystore.password": "hunter2"}},
     '$.kafka["ssl.keystore.password"]'),
    ("kafka literal ssl.key.pem", {"kafka": {"ssl.key.pem": "-----BEGIN PRIVATE KEY-----"}},
     '$.kafka["ssl.key.pem"]'),
    ("kafka literal oauth client secret", {"kafka": {"sasl.oauthbearer.client.secret": "s"}},
     '$.kafka["sasl.oauthbearer.client.secret"]'),
    ("kafka literal assertion key pem", {"kafka": {"sasl.oauthbearer.assertion.private.key.pem": "k"}},
     '$.kafka["sasl.oauthbearer.assertion.private.key.pem"]'),
    ("kafka literal oauthbearer config", {"kafka": {"sasl.oauthbearer.config": "principal=admin"}},
     '$.kafka["sasl.oauthbearer.config"]'),
    ("kafka literal jaas config", {"kafka": {"sasl.jaas.config": "x required password='s';"}},
     '$.kafka["sasl.jaas.config"]'),
    ("kafka secret as number", {"kafka": {"sasl.password": 1234}}, '$.kafka["sasl.password"]'),
    ("kafka secret as boolean", {"kafka": {"sasl.password": True}}, '$.kafka["sasl.password"]'),
    ("kafka secret env ref bad name", {"kafka": {"sasl.password": "${env:1X}"}},
     '$.kafka["sasl.password"]'),
    ("kafka secret empty file ref", {"kafka": {"sasl.password": "${file:}"}},
     '$.kafka["sasl.password"]'),
    ("kafka secret other scheme", {"kafka": {"sasl.password": "${vault:kafka}"}},
     '$.kafka["sasl.password"]'),
    ("kafka secret object with both", {"kafka": {"sasl.password": {"env": "P", "file": "/f"}}},
     '$.kafka["sasl.password"]'),
    ("kafka secret object env empty", {"kafka": {"sasl.password": {"env": ""}}},
     '$.kafka["sasl.password"]'),
    ("kafka object of another key", {"kafka": {"linger.ms": {"value": 5}}}, '$.kafka["linger.ms"]'),
    # topics
    ("topics full", {"topics": {"input": ["a.events", "b_events-2"], "snapshots": "s",
                                "alerts": "a", "dead_letters": "x" * 249}}, None),
    ("topics input empty", {"topics": {"input": []}}, "$.topics.input"),
    ("topics input string", {"topics": {"input": "cloudqe.events"}}, "$.topics.input"),
    ("topics input repeated", {"topics": {"input": ["a", "a"]}}, "$.topics.input[1]"),
    ("topic with space", {"topics": {"snapshots": "my topic"}}, "$.topics.snapshots"),
    ("topic dot", {"topics": {"alerts": "."}}, "$.topics.alerts"),
    ("topic 250 chars", {"topics": {"dead_letters": "x" * 250}}, "$.topics.dead_letters"),
    ("topic unknown role", {"topics": {"metrics": "m"}}, "$.topics.metrics"),
    # the rest of cloudqe's own keys
    ("output_dir empty", {"output_dir": ""}, "$.output_dir"),
    ("output_dir number", {"output_dir": 5}, "$.output_dir"),
    ("snapshot_interval_s 0", {"snapshot_interval_s": 0}, "$.snapshot_interval_s"),
    ("resolve_after_s negative", {"resolve_after_s": -5}, "$.resolve_after_s"),
    ("no_data_after_s string", {"no_data_after_s": "600"}, "$.no_data_after_s"),
    ("max_pending_events 0", {"max_pending_events": 0}, "$.max_pending_events"),
    ("retention keep_years 1", {"retention": {"keep_years": 1}}, None),
    ("retention keep_years 0", {"retention": {"keep_years": 0}}, "$.retention.keep_years"),
    ("retention keep_years 1.5", {"retention": {"keep_years": 1.5}}, "$.retention.keep_years"),
    ("retention keep_years string", {"retention": {"keep_years": "2"}}, "$.retention.keep_years"),
    ("retention without keep_years", {"retention": {}}, "$.retention"),
    ("retention unknown key", {"retention": {"keep_year": 2}}, "$.retention.keep_year"),
    ("retention not an object", {"retention": 2}, "$.retention"),
    ("own keys valid", {"output_dir": "/var/lib/cloudqe/out", "snapshot_interval_s": 10,
                        "resolve_after_s": 1, "no_data_after_s": 3600,
                        "max_pending_events": 1}, None),
]

# Rules JSON Schema cannot express: the schema accepts these, C refuses.
C_ONLY = [
    ("duplicate service id", {"services": [dict(SVC), dict(SVC, id="b"), dict(SVC)]},
     "$.services[2].id"),
    ("redis db conflicts with url", {"redis": {"url": "redis://h:6379/2", "db": 3}},
     "$.redis.db"),
]


def text_of(cfg):
    if isinstance(cfg, RAW):
        return str(cfg)
    return json.dumps(cfg, ensure_ascii=False, indent=1)


def check_config(text):
    """Runs cloudqe check-config on text; returns (exit status, stdout, stderr, path)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        f.write(text)
        path = f.name
    try:
        proc = subprocess.run([cloudqe(), "check-config", path], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    finally:
        os.unlink(path)
    return proc.returncode, proc.stdout, proc.stderr, path


def validator():
    import jsonschema

    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def json_path(parts):
    """A jsonschema error path in the notation of the C messages."""
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        elif p and (p[0].isascii() and (p[0].isalpha() or p[0] == "_")) and \
                all(c.isascii() and (c.isalnum() or c == "_") for c in p):
            out += "." + p
        else:
            out += "[%s]" % json.dumps(p, ensure_ascii=False)
    return out


def within(outer, inner):
    """True when JSON path inner is outer or below it."""
    return inner == outer or (inner.startswith(outer) and inner[len(outer)] in ".[")


def all_errors(errors):
    for e in errors:
        yield e
        yield from all_errors(e.context or [])


def judge(val, name, cfg, path, c_only):
    """Problems with one case, as a list of lines."""
    problems = []
    text = text_of(cfg)
    errors = list(val.iter_errors(json.loads(text)))
    rc, out, err, file = check_config(text)
    if rc not in (0, 1):
        return ["%s: check-config exited %d: %s" % (name, rc, err[-800:])]
    schema_ok, c_ok = not errors, rc == 0
    if c_only:
        if not schema_ok:
            problems.append("%s: C-only rule, yet the schema refuses it: %s" % (
                name, "; ".join(e.message[:100] for e in errors)))
    elif schema_ok != c_ok:
        problems.append("%s: schema says %s, C says %s (%s)" % (
            name, "valid" if schema_ok else "invalid: " + errors[0].message[:100],
            "valid" if c_ok else "invalid", (out + err).strip()[:300]))
    if c_ok != (path is None):
        problems.append("%s: expected %s, C said: %s" % (
            name, "valid" if path is None else "a refusal at " + path, (out + err).strip()[:300]))
    if path is None:
        if c_ok and not out.startswith(file + ": ok ("):
            problems.append("%s: unexpected ok line %r" % (name, out))
        return problems
    if not c_ok and not err.startswith("check-config: %s: %s: " % (file, path)):
        problems.append("%s: C message does not start with file and path %s: %s" % (
            name, path, err.strip()[:300]))
    if errors and not any(within(json_path(e.absolute_path), path) for e in all_errors(errors)):
        problems.append("%s: no schema error at or above %s: %s" % (
            name, path, "; ".join("%s %s" % (json_path(e.absolute_path), e.message[:80])
                                  for e in errors)))
    return problems


def test_schema_and_c_agree():
    val = validator()
    problems = []
    for name, cfg, path in CASES:
        problems += judge(val, name, cfg, path, False)
    for name, cfg, path in C_ONLY:
        problems += judge(val, name, cfg, path, True)
    n = len(CASES) + len(C_ONLY)
    assert not problems, "%d problems over %d cases:\n" % (len(problems), n) + "\n".join(problems)


def test_secrets_message():
    rc, _, err, _ = check_config(text_of({"redis": {"password": "hunter2"}}))
    assert rc == 1 and "password_file or password_env" in err, err
    assert "never the config or command line" in err, err
    assert "hunter2" not in err, "a refused secret was echoed: " + err
    rc, _, err, _ = check_config(text_of({"redis": {"url": "redis://u:hunter2@h:6379"}}))
    assert rc == 1 and "hunter2" not in err and "password_file" in err, err


def test_kafka_secret_message():
    """A literal secret in a Kafka property is refused like redis.password: the message
    names the JSON path and the fix, and never echoes the value."""
    for name, value in [("sasl.password", "hunter2"), ("ssl.key.pem", "hunter2-pem"),
                        ("sasl.oauthbearer.client.secret", "hunter2"),
                        ("sasl.oauthbearer.client.credentials.client.secret", "hunter2"),
                        ("sasl.oauthbearer.assertion.private.key.passphrase", "hunter2")]:
        rc, _, err, file = check_config(text_of({"kafka": {"bootstrap.servers": "h:9092", name: value}}))
        assert rc == 1, err
        shown = name if len(name) <= 48 else name[:48] + "…"  # a path shows 48 code points of a key
        assert err.startswith('check-config: %s: $.kafka["%s"]: refused: a literal secret' % (file, shown)), err
        assert "${env:NAME}" in err and "${file:/path}" in err, err
        assert "hunter2" not in err, "a refused secret was echoed: " + err
    # a malformed reference is not echoed either (it may be a pasted secret)
    rc, _, err, _ = check_config(text_of({"kafka": {"sasl.password": "${hunter2}"}}))
    assert rc == 1 and "hunter2" not in err, err


def test_unknown_key_lists_known_keys():
    _, _, err, _ = check_config(text_of({"services": [dict(SVC), dict(SVC, id="b"),
                                                      dict(SVC, id="c", targte=1)]}))
    assert "$.services[2].targte: unknown key" in err, err
    assert "known keys are id, provider, dept, target, calendar, weight" in err, err
    assert 'did you mean "target"' in err, err


def test_syntax_errors_name_line_and_column():
    rc, _, err, file = check_config('{\n  "clock": "wall",\n  "dedup_window": ,\n}\n')
    assert rc == 1 and err.startswith("check-config: " + file + ": line 3 column "), err
    rc, _, err, file = check_config('{"clock": "wall", "clock": "event"}')
    assert rc == 1 and "duplicate" in err and "line 1" in err, err


def test_syntax_error_echoes_no_value():
    """Jansson's "near '<token>'" would quote the file's bytes: a secret cut short by a
    typo, or bytes that are not UTF-8. Syntax errors give the line, column and reason."""
    rc, _, err, file = check_config('{"kafka": {"sasl.password": "hunter2}}\n')
    assert rc == 1 and err.startswith("check-config: " + file + ": line ") and "invalid JSON" in err, err
    assert "hunter2" not in err, "a secret was echoed: " + err
    rc, _, err, file = check_config('{"kafka": {"sasl.password": hunter2}}')
    assert rc == 1 and "hunter2" not in err, err
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as f:
        f.write(b'{"clock": "\xc8\xd1"}')
    proc = subprocess.run([cloudqe(), "check-config", f.name], capture_output=True, timeout=60)
    os.unlink(f.name)
    assert proc.returncode == 1, proc
    proc.stderr.decode("utf-8")  # the message is text even when the file is not


def test_missing_file():
    proc = subprocess.run([cloudqe(), "check-config", "/nonexistent/cloudqe.json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.startswith("check-config: /nonexistent/cloudqe.json: "), \
        proc.stderr


def test_usage():
    proc = subprocess.run([cloudqe(), "check-config", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "check-config" in proc.stdout, proc
    proc = subprocess.run([cloudqe(), "check-config"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2, proc


def test_example_config():
    with open(EXAMPLE, encoding="utf-8") as f:
        text = f.read()
    doc = json.loads(text)
    errors = list(validator().iter_errors(doc))
    assert not errors, "; ".join(e.message for e in errors)
    with open(SCHEMA, encoding="utf-8") as f:
        top = set(json.load(f)["properties"])
    assert set(doc) == top, "the example misses keys: %s" % sorted(top - set(doc))
    rc, out, err, _ = check_config(text)
    assert rc == 0, err
    assert "%d services" % len(doc["services"]) in out, out


# Values the mutation test puts anywhere in the example: boundaries of every rule.
PROBES = [0, 1, -1, 0.5, 1.0, 2.5, 100, 100.5, 1023, 1024, 1e-300, 1e10, 3153600000,
          3153600001, 9007199254740992, 9007199254740993, "", "x", "+08:00", "Z", "+24:00",
          "2026-01-01", "2026-02-29", "redis://h:1/0", "redis://h:65535/999999999",
          "redis://h:1/1000000000", "a.b", "..", True, False, None, [], {}, ["a"], ["a", "a"],
          [0, 1, 2, 3, 4], {"a": 1}, "7x24", "5x8", "wall", "event", "政" * 128, "政" * 129,
          {"env": "P"}, {"file": "/f"}, "${env:P}", "${file:/f}"]


def json_paths(o, p=()):
    yield p
    if isinstance(o, dict):
        for k, v in o.items():
            yield from json_paths(v, p + (k,))
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from json_paths(v, p + (i,))


def test_random_mutations_agree():
    """The example with one value replaced, removed or added, seeded: same verdicts."""
    val = validator()
    with open(EXAMPLE, encoding="utf-8") as f:
        base = json.load(f)
    rng = random.Random(20260301)
    problems = []
    for _ in range(150):
        doc = copy.deepcopy(base)
        where = rng.choice([p for p in json_paths(doc) if p])
        parent = doc
        for k in where[:-1]:
            parent = parent[k]
        roll = rng.random()
        if roll < 0.7 or isinstance(parent, list):
            parent[where[-1]] = copy.deepcopy(rng.choice(PROBES))
        elif roll < 0.85:
            del parent[where[-1]]
        else:
            key = rng.choice(["x", "1", "db", "password", "dr", "input", "id", "", "sasl.password"])
            parent[key] = copy.deepcopy(rng.choice(PROBES))
        text = text_of(doc)
        errors = list(val.iter_errors(json.loads(text)))
        rc, out, err, _ = check_config(text)
        # librdkafka judges the kafka properties, beyond any schema: there C may refuse more
        c_only = where[0] == "kafka" and not errors and rc == 1
        if rc not in (0, 1) or ((not errors) != (rc == 0) and not c_only):
            problems.append("%s: schema says %s, C says (exit %d) %s" % (
                json_path(where), errors[0].message[:100] if errors else "valid", rc,
                (out + err).strip()[:200]))
    assert not problems, "\n".join(problems)
