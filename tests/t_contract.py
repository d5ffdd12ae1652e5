"""The differential contract test: every message of tests/contract/*.ndjson goes through
the C decoder (`cloudqe decode`) and through the JSON Schemas of schemas/ (Debian's
python3-jsonschema, Draft 2020-12), and both must agree with the recorded verdict.

A corpus line is one JSON object:
  rule    what it exercises, "<type|envelope|json|bytes>.<field>.<case>"
  expect  the decoder's reason: "ok" or a dead-letter reason code
  schema  true when JSON Schema can express the rule: then the schema's verdict must
          agree (valid <-> "ok") and one of its errors must map to `expect`; false for
          decoder-only rules, whose messages the schema must accept when they parse
  field   (optional) a field the decoder's detail must name
  order   (optional) true when the message breaks several rules to pin the decoder's
          order of checks; a decoder-only such entry is not shown to the schema
  msg | raw | raw_b64   the message: a JSON value, exact text, or base64 bytes
Messages are one per line when fed to the decoder, so none may contain a raw newline.
"""
import base64
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "contract")
SCHEMAS = os.path.join(ROOT, "schemas")
MAX_BYTES = 2048  # max_message_bytes given to the decoder; the too_large cases assume it
REASONS = {"json_syntax", "missing_field", "bad_type", "bad_value", "too_large", "bad_utf8",
           "unknown_type", "unsupported_version"}
SCHEMA_BASE = "https://cloudqe.example/schemas/"
TYPES = ["incident", "probe", "metric", "maintenance", "ticket", "backup", "drill", "vuln",
         "migration", "audit", "survey", "asset"]


def cloudqe():
    path = os.environ.get("CLOUDQE", "build/san/cloudqe")
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def load_corpus():
    entries = []
    for name in sorted(os.listdir(CORPUS)):
        if not name.endswith(".ndjson"):
            continue
        with open(os.path.join(CORPUS, name), encoding="utf-8") as f:
            for no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                e = json.loads(line)
                e["where"] = "%s:%d (%s)" % (name, no, e["rule"])
                if "msg" in e:
                    e["bytes"] = json.dumps(e["msg"], ensure_ascii=False,
                                            separators=(",", ":")).encode()
                elif "raw" in e:
                    e["bytes"] = e["raw"].encode("utf-8", "surrogatepass")
                else:
                    e["bytes"] = base64.b64decode(e["raw_b64"])
                assert b"\n" not in e["bytes"], e["where"] + ": raw newline in a message"
                assert e["expect"] == "ok" or e["expect"] in REASONS, e["where"]
                entries.append(e)
    return entries


_corpus = None


def corpus():
    global _corpus
    if _corpus is None:
        _corpus = load_corpus()
    return _corpus


def schema_store():
    store = {}
    for name in sorted(os.listdir(SCHEMAS)):
        if name.endswith(".schema.json"):
            with open(os.path.join(SCHEMAS, name), encoding="utf-8") as f:
                doc = json.load(f)
            store[doc.get("$id", SCHEMA_BASE + name)] = doc
    return store


def validator(schema_file):
    import jsonschema

    store = schema_store()
    root = store[SCHEMA_BASE + schema_file]
    resolver = jsonschema.RefResolver.from_schema(root, store=store)
    return jsonschema.Draft202012Validator(root, resolver=resolver)


NOT_JSON = object()


def parse_for_schema(data):
    """The message as Python's json reads it, or NOT_JSON when it is not JSON text at
    all (bad UTF-8, syntax errors, NaN/Infinity, which the schemas never see)."""
    def no_constants(name):
        raise ValueError("non-standard constant " + name)
    try:
        text = data.decode("utf-8")
        return json.loads(text, parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError):
        return NOT_JSON


def schema_reasons(errors):
    """Dead-letter reasons the schema errors stand for (schemas/README.md's table)."""
    out = set()
    for e in errors:
        kw, path = e.validator, list(e.absolute_path)
        if kw in ("required", "anyOf"):
            out.add("missing_field")
        elif path == ["v"] and kw == "const":
            out.add("unsupported_version")
        elif path == ["type"] and kw == "enum":
            out.add("unknown_type")
        elif kw == "type":
            out.add("bad_value" if not path else "bad_type")
        elif kw in ("enum", "const", "minimum", "maximum", "exclusiveMinimum",
                    "exclusiveMaximum", "minLength", "maxLength", "pattern"):
            out.add("bad_value")
        else:
            out.add("unmapped:" + kw)
    return out


def run_decoder(entries):
    with tempfile.NamedTemporaryFile("wb", suffix=".ndjson", delete=False) as f:
        for e in entries:
            f.write(e["bytes"] + b"\n")
        path = f.name
    try:
        proc = subprocess.run([cloudqe(), "decode", "--max-bytes", str(MAX_BYTES), path],
                              cwd=ROOT, capture_output=True, timeout=120)
    finally:
        os.unlink(path)
    assert proc.returncode == 0, (
        "cloudqe decode failed (exit %d): %s\n(is `decode` registered in cmd/main.c?)"
        % (proc.returncode, proc.stderr.decode(errors="replace")[-2000:]))
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(out) == len(entries), "decode printed %d verdicts for %d lines" % (
        len(out), len(entries))
    return out


def test_schemas_are_valid_2020_12():
    import jsonschema

    store = schema_store()
    want = {t + ".schema.json" for t in TYPES} | {"event.schema.json", "dead_letter.schema.json"}
    missing = sorted(n for n in want if SCHEMA_BASE + n not in store)
    assert not missing, "missing schemas: %s" % missing
    for name in sorted(want):
        doc = store[SCHEMA_BASE + name]
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        jsonschema.Draft202012Validator.check_schema(doc)


def test_decoder_matches_corpus():
    entries = corpus()
    verdicts = run_decoder(entries)
    bad = []
    for e, v in zip(entries, verdicts):
        got = "ok" if v["ok"] else v.get("reason", "error:" + v.get("error", "?"))
        if got != e["expect"]:
            bad.append("%s: expected %s, decoder said %s (%s)" % (
                e["where"], e["expect"], got, v.get("detail", "")))
        elif e.get("field") and '"%s"' % e["field"] not in v.get("detail", ""):
            bad.append("%s: detail does not name field %r: %s" % (
                e["where"], e["field"], v.get("detail")))
        elif v["ok"] and isinstance(e.get("msg", {}).get("ts"), (int, float)) \
                and v["ts"] != int(e["msg"]["ts"]):
            bad.append("%s: ts %s decoded as %s" % (e["where"], e["msg"]["ts"], v["ts"]))
    assert not bad, "%d of %d disagree:\n" % (len(bad), len(entries)) + "\n".join(bad)


def test_schema_matches_corpus():
    val = validator("event.schema.json")
    bad = []
    for e in corpus():
        if e.get("order") and not e["schema"]:
            continue
        inst = e["msg"] if "msg" in e else parse_for_schema(e["bytes"])
        if inst is NOT_JSON:
            if e["schema"]:
                bad.append("%s: marked schema-expressible but is not JSON text" % e["where"])
            continue
        errors = list(val.iter_errors(inst))
        if not e["schema"]:
            # decoder-only: the schema cannot see the problem, so it must accept
            if errors:
                bad.append("%s: decoder-only rule, yet the schema refuses it: %s" % (
                    e["where"], "; ".join(x.message[:120] for x in errors)))
            continue
        if e["expect"] == "ok":
            if errors:
                bad.append("%s: valid for the decoder, schema refuses: %s" % (
                    e["where"], "; ".join(x.message[:120] for x in errors)))
            continue
        if not errors:
            bad.append("%s: expected %s, the schema accepts it" % (e["where"], e["expect"]))
            continue
        reasons = schema_reasons(errors)
        if e["expect"] not in reasons:
            bad.append("%s: expected %s, schema errors map to %s (%s)" % (
                e["where"], e["expect"], sorted(reasons),
                "; ".join("%s at %s" % (x.validator, list(x.absolute_path)) for x in errors)))
    assert not bad, "%d disagree:\n" % len(bad) + "\n".join(bad)


def test_type_schemas_stand_alone():
    """Each <type>.schema.json validates its own events without event.schema.json's
    dispatch: the corpus entries of that type get the same verdict from it."""
    vals = {t: validator(t + ".schema.json") for t in TYPES}
    bad = []
    for e in corpus():
        inst = e.get("msg")
        if not (e["schema"] and isinstance(inst, dict) and inst.get("type") in vals):
            continue
        ok = not list(vals[inst["type"]].iter_errors(inst))
        if ok != (e["expect"] == "ok"):
            bad.append("%s: %s.schema.json says %s" % (
                e["where"], inst["type"], "valid" if ok else "invalid"))
    assert not bad, "\n".join(bad)


def test_corpus_covers_every_rule():
    """Valid events of every type and action; for every field of every schema an invalid
    case per kind of rule it carries (type, value, presence); every reason code."""
    entries = corpus()
    store = schema_store()
    base = SCHEMA_BASE
    seen = {}
    for e in entries:
        seen.setdefault(e["expect"], set()).add(e["rule"])
    missing = []
    for reason in REASONS:
        if reason not in seen:
            missing.append("no case for reason " + reason)

    def cases(prefix, expect):
        return [r for r in seen.get(expect, ()) if r.startswith(prefix + ".")]

    ok_msgs = [e["msg"] for e in entries if e["expect"] == "ok" and isinstance(e.get("msg"), dict)]
    for t in TYPES:
        doc = store[base + t + ".schema.json"]
        actions = doc["properties"].get("action", {}).get("enum", [None])
        for a in actions:
            if not any(m.get("type") == t and m.get("action") == a for m in ok_msgs):
                missing.append("no valid %s event with action %s" % (t, a))
        conditional = {f for c in doc.get("allOf", []) for f in c["then"]["required"]}
        for f, spec in doc["properties"].items():
            if f == "type":
                continue
            prefix = "%s.%s" % (t, f)
            if not cases(prefix, "bad_type"):
                missing.append("no bad_type case for " + prefix)
            constrained = any(k in json.dumps(spec) for k in (
                "enum", "minimum", "maximum", "identifier", "nonEmptyString", "time", "ratio",
                "Minimum"))
            if constrained and not cases(prefix, "bad_value"):
                missing.append("no bad_value case for " + prefix)
            if (f in doc["required"] or f in conditional) and not cases(prefix, "missing_field"):
                missing.append("no missing_field case for " + prefix)
    env = store[base + "event.schema.json"]["$defs"]["envelope"]
    for f in env["properties"]:
        prefix = "envelope." + f
        if not any(r.startswith(prefix + ".") for rs in seen.values() for r in rs):
            missing.append("no case for " + prefix)
    decoder_only = {e["rule"].rsplit(".", 1)[0] for e in entries if not e["schema"]}
    for rule in ("bytes.too_large", "bytes.bad_utf8", "json.syntax", "json.depth", "json.limit",
                 "envelope.ts", "maintenance.end"):
        if rule not in decoder_only:
            missing.append("no decoder-only case for " + rule)
    assert not missing, "\n".join(missing)


def test_dead_letters_match_schema():
    """Dead letters built from the decoder's verdicts, as outputs.md describes them,
    validate against dead_letter.schema.json; malformed ones do not."""
    val = validator("dead_letter.schema.json")
    entries = corpus()
    verdicts = run_decoder(entries)
    bad = []
    for i, (e, v) in enumerate(zip(entries, verdicts)):
        if v["ok"]:
            continue
        rec = {"kind": "dead_letter", "v": 1, "reason": v["reason"], "detail": v["detail"],
               "origin": {"file": "corpus.ndjson", "line": i + 1},
               "received_at": "2026-03-18T10:00:00.250+08:00"}
        data = e["bytes"]
        try:
            if b"\0" in data:
                raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL")
            rec["raw"] = data.decode("utf-8")
        except UnicodeDecodeError:
            rec["raw_b64"] = base64.b64encode(data).decode()
        if i % 2:
            rec["origin"] = {"topic": "cloudqe.events", "partition": 3, "offset": i}
        errors = list(val.iter_errors(rec))
        if errors:
            bad.append("%s: %s" % (e["where"], errors[0].message))
    good = {"kind": "dead_letter", "reason": "bad_value", "detail": "d",
            "origin": {"partition": 0, "offset": 0}, "received_at": "2026-03-18T10:00:00Z",
            "raw_b64": "AA=="}
    assert not list(val.iter_errors(good))
    for change in ({"reason": "none"}, {"kind": "snapshot"}, {"raw": "x"},
                   {"origin": {"file": "f"}}, {"origin": {"file": "f", "line": 0}},
                   {"origin": {"partition": -1, "offset": 0}}, {"raw_b64": "A==="},
                   {"received_at": "2026-03-18 10:00:00"}, {"detail": None}):
        rec = dict(good, **change)
        if not list(val.iter_errors(rec)):
            bad.append("dead letter schema accepts %s" % change)
    assert not bad, "\n".join(bad)


# Values a mutation may put in a field: every JSON type, boundaries of the ranges in the
# contract, strings of the enumerations. Time strings are either valid (and between the
# base maintenance window's start and end) or break the pattern, so every verdict here
# is one JSON Schema can express.
POOL = [None, True, False, 0, 1, -1, 2, 4, 5, 6, 0.5, 1.0, 1.5, 60, 86400, 86401, 1e19, -1e19,
        946684800000, 4133980800000, 1772327520000, "", "x", "a" * 128, "a" * 129, "编" * 129,
        "open", "ack", "update", "schedule", "cancel", "close", "feedback", "plan", "done",
        "found", "fixed", "add", "remove", "high", "dr", "emergency", "host", "vm", "server",
        "degraded", "customer", "probe", "metric", "survey", "2026-03-07T02:00:00+08:00",
        "2026-03-07T02:00:00", "2026-03-07", [], [1], {}, {"q": 3}, {"q": 9}]


def test_random_mutations_agree():
    """Seeded random edits of the valid corpus events (a field removed, or set to a value
    from POOL or one the schema-expressible corpus gives that field): the decoder accepts
    exactly what the schema accepts, and refuses with a reason one of the schema's
    errors maps to."""
    import random

    rng = random.Random(20260301)
    val = validator("event.schema.json")
    bases = [e["msg"] for e in corpus() if e["expect"] == "ok" and isinstance(e.get("msg"), dict)
             and e["schema"]]
    seen_values = {}
    for e in corpus():
        if e["schema"] and isinstance(e.get("msg"), dict):
            for k, x in e["msg"].items():
                if k not in ("start", "end"):  # mixed windows could end before they start
                    seen_values.setdefault(k, []).append(x)
    muts = []
    for i in range(4000):
        m = json.loads(json.dumps(rng.choice(bases)))
        for _ in range(rng.choice((1, 1, 1, 2))):
            keys = list(m.keys())
            k = rng.choice(keys + ["answers", "cpu", "service", "dept"])
            if k in m and rng.random() < 0.3:
                del m[k]
            elif k in seen_values and rng.random() < 0.6:
                m[k] = rng.choice(seen_values[k])
            else:
                m[k] = rng.choice(POOL)
        m["id"] = m.get("id") if not isinstance(m.get("id"), str) else "mut-%d" % i
        muts.append({"where": "mutation %d: %s" % (i, json.dumps(m, ensure_ascii=False)[:300]),
                     "bytes": json.dumps(m, ensure_ascii=False, separators=(",", ":")).encode(),
                     "msg": m})
    verdicts = run_decoder(muts)
    bad = []
    for e, v in zip(muts, verdicts):
        errors = list(val.iter_errors(e["msg"]))
        if v["ok"] != (not errors):
            bad.append("%s: decoder %s, schema %s" % (
                e["where"], "ok" if v["ok"] else v.get("reason"),
                "; ".join(x.message[:100] for x in errors) or "valid"))
        elif errors and v.get("reason") not in schema_reasons(errors):
            bad.append("%s: decoder says %s (%s), schema errors map to %s" % (
                e["where"], v.get("reason"), v.get("detail"), sorted(schema_reasons(errors))))
    assert not bad, "%d of %d disagree:\n" % (len(bad), len(muts)) + "\n".join(bad[:30])
