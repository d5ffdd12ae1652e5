#!/usr/bin/env python3
"""Maps the public operations data in tests/data/real/ onto cloudqe events
(NDJSON, docs/spec/events.md) plus a matching configuration JSON, so cloudqe runs
on real shapes: gaps, bursts, duplicates, overlaps, out-of-order rows, odd time
formats. Python 3 standard library only. docs/real-data.md explains each mapping.

usage: adapt_real.py [--data DIR] --out FILE(.zst) [--config-out FILE]
                     [--sources planetlab,nab,cua,upptime,lanl] [--limit N]
                     [--upptime-mode down|changes|all] [--upptime-step-s S]
                     [--cua-operator-anchor RFC3339]

Prints a table of rows read, events written and rows skipped (with the reason) per
source on stderr, then one line {"kind":"adapt_summary",...} with the same counts."""
import argparse
import collections
import csv
import datetime
import glob
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(ROOT, "tests", "data", "real")
SOURCES = ("planetlab", "nab", "cua", "upptime", "lanl")

UTC = datetime.timezone.utc
TS_MIN = datetime.datetime(2000, 1, 1, tzinfo=UTC)
TS_MAX = datetime.datetime(2101, 1, 1, tzinfo=UTC)  # exclusive


class Skip(Exception):
    """A row that cannot be mapped; the message is the reason counted."""


# ---- helpers -----------------------------------------------------------------------


def rfc3339(dt):
    """RFC 3339 with the datetime's own offset; milliseconds only when present."""
    off = dt.utcoffset()
    if dt.microsecond:
        s = dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03d" % (dt.microsecond // 1000)
    else:
        s = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if not off:
        return s + "Z"
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return "%s%s%02d:%02d" % (s, sign, minutes // 60, minutes % 60)


def in_range(dt):
    if not (TS_MIN <= dt < TS_MAX):
        raise Skip("ts_outside_2000_2100")
    return dt


def parse_iso(text):
    """ISO 8601 with offset or Z ("2018-12-13T04:00:00.000Z", "...+00:00")."""
    t = (text or "").strip()
    if not t:
        raise Skip("missing_time")
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.datetime.fromisoformat(t)
    except ValueError:
        raise Skip("bad_time_format")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def parse_naive(text, fmt, tz):
    t = (text or "").strip()
    if not t:
        raise Skip("missing_time")
    try:
        return datetime.datetime.strptime(t, fmt).replace(tzinfo=tz)
    except ValueError:
        raise Skip("bad_time_format")


def slug(text, limit=100):
    """Lower-case ASCII identifier: transliterated, runs of other characters -> '-'."""
    t = unicodedata.normalize("NFKD", text or "")
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    return t[:limit].strip("-") or "unnamed"


def ident(text):
    """An identifier of 1..128 code points (longer ones keep a hash to stay unique)."""
    if 1 <= len(text) <= 128:
        return text
    h = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    return text[:100] + "~" + h


def digest(*parts):
    """Stable id part from a row's mapped content: identical rows, identical ids."""
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


class Stats:
    def __init__(self):
        self.rows = 0
        self.events = 0
        self.skipped = collections.Counter()
        self.notes = collections.Counter()
        self.providers = set()

    def as_dict(self):
        return {
            "rows_read": self.rows,
            "events": self.events,
            "rows_skipped": sum(self.skipped.values()),
            "skipped": dict(sorted(self.skipped.items())),
            "notes": dict(sorted(self.notes.items())),
            "providers": sorted(self.providers),
        }


class Output:
    """NDJSON sink: a file, a .zst through the zstd CLI, or stdout for '-'."""

    def __init__(self, path):
        self.proc = None
        if path == "-":
            self.f = sys.stdout.buffer
        elif path.endswith(".zst"):
            self.proc = subprocess.Popen(["zstd", "-q", "-f", "-o", path], stdin=subprocess.PIPE)
            self.f = self.proc.stdin
        else:
            self.f = open(path, "wb")
        self.buf = []
        self.lines = 0

    def write(self, ev):
        self.buf.append(json.dumps(ev, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        self.lines += 1
        if len(self.buf) >= 4096:
            self.flush()

    def flush(self):
        if self.buf:
            self.f.write(b"\n".join(self.buf) + b"\n")
            self.buf = []

    def close(self):
        self.flush()
        if self.proc:
            self.f.close()
            if self.proc.wait() != 0:
                raise SystemExit("adapt_real: zstd failed")
        elif self.f is not sys.stdout.buffer:
            self.f.close()
        else:
            self.f.flush()


class Catalog:
    """Services for the configuration's catalog (first seen wins)."""

    def __init__(self):
        self.services = collections.OrderedDict()

    def add(self, service, provider, target=0.999):
        if service not in self.services:
            self.services[service] = {"id": service, "provider": provider, "target": target,
                                      "calendar": "7x24"}


def event(ev_id, ev_type, ts, provider, **fields):
    ev = {"v": 1, "id": ident(ev_id), "type": ev_type, "ts": ts, "provider": provider}
    ev.update(fields)
    return ev


def read_csv(path, limit):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        for i, row in enumerate(reader):
            if limit is not None and i >= limit:
                break
            yield header, row


# ---- planetlab_cpu: CPU % of VMs every 5 min, one day ----------------------------------

PLANETLAB_BASE = datetime.datetime(2011, 3, 3, tzinfo=UTC)


def adapt_planetlab(data, out, cat, st, args):
    path = os.path.join(data, "planetlab_cpu", "planetlab_20110303_wide.csv")
    for header, row in read_csv(path, args.limit):
        st.rows += 1
        try:
            if not row or not row[0].strip():
                raise Skip("no_vm_name")
            vm = ident(row[0])
            for col, cell in zip(header[1:], row[1:]):
                try:
                    offset = int(col.lstrip("t"))
                    pct = int(cell)
                except ValueError:
                    st.notes["sample_not_integer"] += 1
                    continue
                if not 0 <= pct <= 100:
                    st.notes["sample_outside_0_100"] += 1
                    continue
                ts = in_range(PLANETLAB_BASE + datetime.timedelta(seconds=offset))
                out.write(event("pl-%s-%d" % (vm, offset), "metric", rfc3339(ts), "planetlab",
                                resource=vm, pool="planetlab", kind="vm", cpu=pct / 100,
                                interval_s=300, source="planetlab-comon"))
                st.events += 1
        except Skip as e:
            st.skipped[str(e)] += 1
    st.providers.add("planetlab")


# ---- nab_cloudwatch: CloudWatch CPU series + labelled anomaly windows -----------------

NAB_FMT = "%Y-%m-%d %H:%M:%S"


def nab_pool(stem):
    for prefix in ("ec2", "rds", "elb", "iio", "grok"):
        if stem.startswith(prefix):
            return "nab-" + prefix
    return "nab-asg" if "asg" in stem else "nab-other"


def nab_intervals(times):
    """interval_s per row: seconds to the next distinct timestamp of the file, or the
    file's median step when that is not in (0, 4 x median] (a gap or the last row)."""
    distinct = sorted(set(times))
    steps = [int((b - a).total_seconds()) for a, b in zip(distinct, distinct[1:])]
    steps = [s for s in steps if s > 0]
    median = int(statistics.median(steps)) if steps else 300
    median = min(max(median, 1), 86400)
    nxt = {}
    for a, b in zip(distinct, distinct[1:]):
        d = int((b - a).total_seconds())
        nxt[a] = d if 0 < d <= 4 * median else None
    return median, nxt


def adapt_nab(data, out, cat, st, args):
    base = os.path.join(data, "nab_cloudwatch")
    files = sorted(glob.glob(os.path.join(base, "realAWSCloudwatch", "*.csv")) +
                   glob.glob(os.path.join(base, "realKnownCause", "*.csv")))
    for path in files:
        stem = os.path.splitext(os.path.basename(path))[0]
        if "cpu_utilization" not in stem:
            st.notes["files_not_cpu_percent(windows_only)"] += 1
            continue
        rows = []
        for _, row in read_csv(path, args.limit):
            st.rows += 1
            try:
                if len(row) < 2:
                    raise Skip("short_row")
                ts = in_range(parse_naive(row[0], NAB_FMT, UTC))
                try:
                    pct = float(row[1])
                except ValueError:
                    raise Skip("value_not_number")
                if not 0 <= pct <= 100:
                    raise Skip("cpu_outside_0_100")
                rows.append((ts, pct, row[1]))
            except Skip as e:
                st.skipped[str(e)] += 1
        median, nxt = nab_intervals([r[0] for r in rows])
        for ts, pct, raw in rows:
            step = nxt.get(ts)
            if step is None:
                step = median
                st.notes["interval_fallback_to_median"] += 1
            # the id is the row's content: a repeated (ts, value) row repeats the event
            out.write(event("nab-%s-%s" % (stem, digest(ts.isoformat(), raw)), "metric",
                            rfc3339(ts), "aws", resource=stem, pool=nab_pool(stem), kind="vm",
                            cpu=pct / 100, interval_s=step, source="nab-cloudwatch"))
            st.events += 1
    # anomaly windows of every file -> degraded incidents on the file's resource
    try:
        with open(os.path.join(base, "anomaly_windows.json"), encoding="utf-8") as f:
            windows = json.load(f)
    except (OSError, ValueError):
        windows = {}
        st.notes["anomaly_windows_unreadable"] += 1
    for key in sorted(windows):
        stem = os.path.splitext(os.path.basename(key))[0]
        for k, win in enumerate(windows[key] or []):
            st.rows += 1
            try:
                if not isinstance(win, list) or not win:
                    raise Skip("bad_window")
                start = in_range(parse_naive(str(win[0])[:19], NAB_FMT, UTC))
                end = None
                if len(win) > 1 and win[1]:
                    end = in_range(parse_naive(str(win[1])[:19], NAB_FMT, UTC))
                    if end < start:
                        raise Skip("end_before_start")
                inc = "nab-%s-w%d" % (stem, k + 1)
                out.write(event(inc + "-open", "incident", rfc3339(start), "aws", incident=inc,
                                action="open", service=stem, severity=3, impact="degraded",
                                category="anomaly", source="nab-labels"))
                st.events += 1
                if end is not None:
                    out.write(event(inc + "-resolve", "incident", rfc3339(end), "aws",
                                    incident=inc, action="resolve", source="nab-labels"))
                    st.events += 1
                else:
                    st.notes["window_without_end"] += 1
                cat.add(stem, "aws")
            except Skip as e:
                st.skipped[str(e)] += 1
    st.providers.add("aws")


# ---- cua_cloud_incidents: AWS/GCP/Azure status-page incidents + operator reports -------

CUA_SEVERITY = {"2": 1, "1": 2, "0": 3, "3": 3, "-1": 3}
CUA_IMPACT = {"2": "outage", "1": "degraded", "0": "degraded", "3": "outage", "-1": "outage"}


def cua_service(row):
    vendor = row["vendor"].strip().lower()
    sid = row.get("service_id", "").strip()
    loc = row.get("location", "").strip()
    if sid:
        if vendor == "gcp" and loc and loc not in ("Unknown", "Multi-region"):
            sid = "%s-%s" % (sid, slug(loc, 40))
        return ident(sid)
    name = slug(row.get("service_name", ""), 80)
    return ident("%s@%s" % (name, slug(loc, 40)) if loc else name)


def adapt_cua(data, out, cat, st, args):
    base = os.path.join(data, "cua_cloud_incidents")
    with open(os.path.join(base, "infra_cloud_incidents_2018_2020.csv"), newline="",
              encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if args.limit is not None and i >= args.limit:
                break
            st.rows += 1
            try:
                provider = row.get("vendor", "").strip().lower()
                if provider not in ("aws", "gcp", "azure"):
                    raise Skip("unknown_vendor")
                status = row.get("status", "").strip()
                if status not in CUA_SEVERITY:
                    raise Skip("unknown_status")
                start = in_range(parse_iso(row["event_start_time"]))
                end = None
                if row.get("event_end_time", "").strip():
                    end = in_range(parse_iso(row["event_end_time"]))
                    if end < start:
                        raise Skip("end_before_start")
                else:
                    st.notes["no_end_time(no_resolve)"] += 1
                ack = None
                first = row.get("first_notification", "").strip()
                if first and first[:4] not in ("1969", "1970"):  # the epoch (any TZ) = none
                    try:
                        ack = in_range(parse_iso(first))
                    except Skip:
                        st.notes["first_notification_unusable"] += 1
                else:
                    st.notes["no_first_notification(no_ack)"] += 1
                service = cua_service(row)
                inc = "cua-%s-%s" % (provider, digest(provider, service, row.get("location", ""),
                                                      status, row["event_start_time"],
                                                      row.get("event_end_time", ""), first))
                src = "cua-" + provider + "-status"
                out.write(event(inc + "-open", "incident", rfc3339(start), provider, incident=inc,
                                action="open", service=service, severity=CUA_SEVERITY[status],
                                impact=CUA_IMPACT[status], source=src))
                st.events += 1
                if ack is not None:
                    if ack < start:
                        st.notes["ack_before_open(kept)"] += 1
                    if end is not None and ack > end:
                        st.notes["ack_after_resolve(kept)"] += 1
                    out.write(event(inc + "-ack", "incident", rfc3339(ack), provider, incident=inc,
                                    action="ack", source=src))
                    st.events += 1
                if end is not None:
                    if end == start:
                        st.notes["zero_length"] += 1
                    out.write(event(inc + "-resolve", "incident", rfc3339(end), provider,
                                    incident=inc, action="resolve", source=src))
                    st.events += 1
                cat.add(service, provider)
                st.providers.add(provider)
            except Skip as e:
                st.skipped[str(e)] += 1
    # operator-reported incidents: seconds relative to an undisclosed first incident
    anchor = parse_iso(args.cua_operator_anchor)
    for path in sorted(glob.glob(os.path.join(base, "operator_reported", "*.csv"))):
        with open(path, newline="", encoding="utf-8") as f:
            for i, row in enumerate(csv.DictReader(f)):
                if args.limit is not None and i >= args.limit:
                    break
                st.rows += 1
                try:
                    service = ident(row.get("service", "").strip() or slug(os.path.basename(path)))
                    provider = slug(service.split("_")[0].replace("-status", ""), 40)
                    try:
                        s0 = float(row["start_time"])
                        e0 = float(row["end_time"]) if row.get("end_time", "").strip() else None
                        sev_frac = float(row.get("status") or 0)
                    except ValueError:
                        raise Skip("not_a_number")
                    start = in_range(anchor + datetime.timedelta(seconds=s0))
                    end = None
                    if e0 is not None:
                        end = in_range(anchor + datetime.timedelta(seconds=e0))
                        if end < start:
                            raise Skip("end_before_start")
                    severity = 2 if sev_frac >= 0.5 else 3 if sev_frac >= 0.1 else 4
                    inc = "cuaop-%s-%s" % (slug(service, 60), digest(row.get("start_time"),
                                                                   row.get("end_time"), sev_frac))
                    src = "cua-operator-reported"
                    out.write(event(inc + "-open", "incident", rfc3339(start), provider,
                                    incident=inc, action="open", service=service, severity=severity,
                                    source=src))
                    st.events += 1
                    if end is not None:
                        out.write(event(inc + "-resolve", "incident", rfc3339(end), provider,
                                        incident=inc, action="resolve", source=src))
                        st.events += 1
                    cat.add(service, provider)
                    st.providers.add(provider)
                except Skip as e:
                    st.skipped[str(e)] += 1


# ---- upptime_probes: status-change commits of monitored sites ---------------------------

UPPTIME_PROVIDER = "dhbern"
UPPTIME_SITE = "upptime-gha"


def adapt_upptime(data, out, cat, st, args):
    base = os.path.join(data, "upptime_probes")
    rows = []
    for header, row in read_csv(os.path.join(base, "upptime_status_commits.csv"), args.limit):
        st.rows += 1
        try:
            rec = dict(zip(header, row))
            ts = in_range(parse_iso(rec.get("commit_time_utc", "")))
            status = rec.get("status", "").strip()
            if status not in ("up", "down"):
                raise Skip("unknown_status")
            site = rec.get("site_slug", "").strip()
            if not site:
                raise Skip("no_site_slug")
            try:
                ms = int(rec.get("response_ms") or 0)
            except ValueError:
                ms = 0
            rows.append((ts, ident(site), status == "up", max(ms, 0), rec.get("commit", "")))
        except Skip as e:
            st.skipped[str(e)] += 1
    last_ts = max((r[0] for r in rows), default=None)
    monitored = set(configured_sites(data))
    by_site = collections.defaultdict(list)
    for r in rows:
        by_site[r[1]].append(r)
    # the recorded rows, in file order
    for ts, site, ok, ms, commit in rows:
        fields = {"service": site, "site": UPPTIME_SITE, "ok": ok}
        if ok or ms > 0:
            fields["latency_ms"] = ms
        out.write(event("up-%s-%s" % (commit or digest(ts.isoformat()), site), "probe",
                        rfc3339(ts), UPPTIME_PROVIDER, source="upptime", **fields))
        st.events += 1
    # the state between two rows of a site, sampled every step
    step = datetime.timedelta(seconds=args.upptime_step_s)
    for site in sorted(by_site):
        seq = sorted(by_site[site], key=lambda r: (r[0], r[4]))
        for i, (ts, _, ok, _, _) in enumerate(seq):
            if args.upptime_mode == "changes" or (ok and args.upptime_mode == "down"):
                continue
            if i + 1 < len(seq):
                until = seq[i + 1][0]
            elif site in monitored:
                until = last_ts
                if not ok:
                    st.notes["outage_open_at_end(expanded_to_last_row)"] += 1
            else:  # dropped from the configuration: nobody probed it any more
                if not ok:
                    st.notes["outage_of_unconfigured_site(not_expanded_past_its_last_row)"] += 1
                continue
            t = ts + step
            while t < until:
                out.write(event("up-%s-%d-x" % (site, int(t.timestamp())), "probe", rfc3339(t),
                                UPPTIME_PROVIDER, service=site, site=UPPTIME_SITE, ok=ok,
                                source="upptime-expanded"))
                st.events += 1
                st.notes["expanded_probes"] += 1
                t += step
    st.providers.add(UPPTIME_PROVIDER)


GERMAN = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "&": " and "}


def upptime_slug(name):
    """The slug Upptime derives from a site name: camelCase and letter/number runs are
    split ("RdL" -> "rd-l", "AA91" -> "aa-91"), German letters transliterated."""
    t = "".join(GERMAN.get(c, c) for c in name)
    t = re.sub(r"([A-Z]{2,})(\d+)", r"\1 \2", t)
    t = re.sub(r"([a-z\d]+)([A-Z]{2,})", r"\1 \2", t)
    t = re.sub(r"([a-z\d])([A-Z])", r"\1 \2", t)
    t = re.sub(r"([A-Z]+)([A-Z][a-rt-z\d]+)", r"\1 \2", t)
    return slug(t)


def configured_sites(data):
    """Slugs of the sites configured at HEAD (explicit_slug, else from the name)."""
    path = os.path.join(data, "upptime_probes", "sites_config.csv")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return [ident((row.get("explicit_slug") or "").strip() or upptime_slug(row.get("name", "")))
                    for row in csv.DictReader(f)]
    except OSError:
        return []


def upptime_catalog(data, cat):
    """Sites configured at HEAD join the catalog; the demo sites of the template do not."""
    for s in configured_sites(data):
        cat.add(s, UPPTIME_PROVIDER)


# ---- lanl_failures: HPC node failures 1996-2005 ---------------------------------------------

LANL_TZ = datetime.timezone(datetime.timedelta(hours=-7))  # Mountain Standard Time
LANL_FMT = "%m/%d/%Y %H:%M"
LANL_CAUSES = ("Facilities", "Hardware", "Human Error", "Network", "Undetermined", "Software")
LANL_SEVERITY = {"facilities": 2, "network": 3}


def adapt_lanl(data, out, cat, st, args):
    path = os.path.join(data, "lanl_failures", "LA-UR-05-7318-failure-data-1996-2005.csv")
    nodes = {}
    with open(path, newline="", encoding="utf-8") as f:  # node count per system
        for row in csv.DictReader(f):
            try:
                n = int(row.get("nodes") or 0)
            except ValueError:
                n = 0
            if n > 0:
                nodes.setdefault(row.get("System", ""), n)
    with open(path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if args.limit is not None and i >= args.limit:
                break
            st.rows += 1
            try:
                system = (row.get("System") or "").strip()
                if not system:
                    raise Skip("no_system")
                start = parse_naive(row.get("Prob Started"), LANL_FMT, LANL_TZ)
                if start < TS_MIN:
                    raise Skip("ts_before_2000")
                in_range(start)
                end = None
                if (row.get("Prob Fixed") or "").strip():
                    end = in_range(parse_naive(row["Prob Fixed"], LANL_FMT, LANL_TZ))
                    if end < start:
                        raise Skip("end_before_start")
                else:
                    st.notes["no_fix_time(no_resolve)"] += 1
                cause = next((c for c in LANL_CAUSES if (row.get(c) or "").strip()), None)
                category = cause.lower().replace(" ", "_") if cause else "unknown"
                service = "lanl-system-%s" % system
                # the incident's id is the row's content: repeated rows repeat the events
                inc = "lanl-%s" % digest(*[row.get(k, "") for k in sorted(row)])
                fields = {"incident": inc, "action": "open", "service": service,
                          "severity": LANL_SEVERITY.get(category, 4), "impact": "outage",
                          "category": category, "cause": "provider"}
                if system in nodes:
                    fields["scope"] = 1 / nodes[system]
                else:
                    st.notes["system_without_node_count(scope_1)"] += 1
                node = (row.get("nodenumz") or "").strip()
                if node:
                    fields["node"] = node  # extra field: ignored by cloudqe, kept for people
                out.write(event(inc + "-open", "incident", rfc3339(start), "lanl", source="lanl",
                                **fields))
                st.events += 1
                if end is not None:
                    if end == start:
                        st.notes["zero_length"] += 1
                    out.write(event(inc + "-resolve", "incident", rfc3339(end), "lanl",
                                    incident=inc, action="resolve", source="lanl"))
                    st.events += 1
                cat.add(service, "lanl", 0.99)
            except Skip as e:
                st.skipped[str(e)] += 1
    st.providers.add("lanl")


# ---- main -------------------------------------------------------------------------------------

ADAPTERS = {"planetlab": adapt_planetlab, "nab": adapt_nab, "cua": adapt_cua,
            "upptime": adapt_upptime, "lanl": adapt_lanl}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="the real-data folder [%(default)s]")
    p.add_argument("--out", required=True, help="events NDJSON; .zst via the zstd CLI; - = stdout")
    p.add_argument("--config-out", help="configuration JSON with the services seen")
    p.add_argument("--sources", default=",".join(SOURCES), help="comma list of %s" % ",".join(SOURCES))
    p.add_argument("--limit", type=int, help="read at most N data rows of each input file")
    p.add_argument("--upptime-mode", choices=("down", "changes", "all"), default="down",
                   help="expand states between rows: down only, none, or all [%(default)s]")
    p.add_argument("--upptime-step-s", type=int, default=60,
                   help="seconds between expanded probe results [%(default)s]")
    p.add_argument("--cua-operator-anchor", default="2019-01-01T00:00:00Z",
                   help="instant of second 0 of the operator-reported files [%(default)s]")
    a = p.parse_args(argv)
    a.sources = [s.strip() for s in a.sources.split(",") if s.strip()]
    bad = [s for s in a.sources if s not in ADAPTERS]
    if bad:
        p.error("unknown source(s): %s" % ", ".join(bad))
    if a.limit is not None and a.limit < 0:
        p.error("--limit must be >= 0")
    if not 1 <= a.upptime_step_s <= 86400:
        p.error("--upptime-step-s must be in 1..86400")
    return a


def main(argv):
    args = parse_args(argv)
    if not os.path.isdir(args.data):
        raise SystemExit("adapt_real: no data folder at %s (use --data)" % args.data)
    out = Output(args.out)
    cat = Catalog()
    stats = collections.OrderedDict()
    for name in args.sources:
        st = stats[name] = Stats()
        ADAPTERS[name](args.data, out, cat, st, args)
        if name == "upptime":
            upptime_catalog(args.data, cat)
    out.close()
    if args.config_out:
        with open(args.config_out, "w", encoding="utf-8") as f:
            json.dump({"services": list(cat.services.values())}, f, ensure_ascii=False, indent=1)
            f.write("\n")
    err = sys.stderr
    err.write("%-10s %10s %10s %10s  %s\n" % ("source", "rows read", "events", "skipped", "why / notes"))
    for name, st in stats.items():
        d = st.as_dict()
        why = ", ".join("%s=%d" % kv for kv in d["skipped"].items())
        notes = ", ".join("%s=%d" % kv for kv in d["notes"].items())
        err.write("%-10s %10d %10d %10d  %s\n" % (name, d["rows_read"], d["events"], d["rows_skipped"],
                                                  "; ".join(x for x in (why, notes) if x)))
    summary = {"kind": "adapt_summary", "events": out.lines, "services": len(cat.services),
               "sources": {k: v.as_dict() for k, v in stats.items()}}
    err.write(json.dumps(summary, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
