#!/usr/bin/python3
"""Sizing measurements for docs/sizing.md (part of `make bench`): Redis memory per
service-month of probes and per resource-month of metrics, each from a generated month
replayed into a private redis-server; the duplicate-id memory apart (it is bounded by
partitions x dedup_window, not by data); worker peak RSS by partitions and by resources;
and a province-year (10^5 resources every 5 min, 10^4 services probed every minute)
extrapolated from those per-unit figures.
usage: sizing.py [OUT_DIR]   env: SVC (probed services, 40), VMS (resources, 300),
       DAYS (30), BIN (build/rel/cloudqe)"""
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import t_redis  # noqa: E402  (the tests' RESP client and private redis-server)

BIN = os.path.join(ROOT, os.environ.get("BIN", "build/rel/cloudqe"))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/bench/sizing")
SVC = int(os.environ.get("SVC", "40"))
VMS = int(os.environ.get("VMS", "300"))
DAYS = int(os.environ.get("DAYS", "30"))
PARTS = 8
MIB = 2 ** 20
QUIET = ["--bad-share", "0", "--dup-share", "0", "--late-share", "0"]


def gen(name, args):
    events, config = os.path.join(OUT, name + ".ndjson.zst"), os.path.join(OUT, name + ".json")
    if not os.path.exists(events):
        subprocess.run([BIN, "gen", "--seed", "21", "--days", str(DAYS)] + args + QUIET +
                       ["--out", events, "--config-out", config], check=True, stderr=subprocess.DEVNULL)
    return events, config


def peak_rss_kib(cmd):
    """Runs cmd under /usr/bin/time; returns (peak RSS KiB, wall s, stderr)."""
    t0 = time.time()
    p = subprocess.run(["/usr/bin/time", "-f", "PEAK %M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode:
        raise SystemExit("failed: %s\n%s" % (" ".join(cmd), p.stderr[-2000:]))
    return int(p.stderr.rsplit("PEAK ", 1)[1].split()[0]), time.time() - t0, p.stderr


def memory_by_family(srv):
    """Sums MEMORY USAGE over every key, by store-key prefix (the family's letters), with
    the partitions' meta keys (pos, dedup, count) apart. Returns {prefix: (keys, bytes)}."""
    out, cursor = {}, "0"
    while True:
        cursor, keys = srv.cmd("SCAN", cursor, "COUNT", "1000")
        for k in keys:
            name = k.decode("utf-8", "replace")
            rest = name.split("}:", 1)[1] if "}:" in name else name
            fam = rest.split("|", 1)[0].split(":", 1)[0] if "|" in rest or ":" in rest else rest
            n, b = out.get(fam, (0, 0))
            out[fam] = (n + 1, b + int(srv.cmd("MEMORY", "USAGE", k, "SAMPLES", "0")))
        if cursor in (b"0", "0"):
            return out


def month_into_redis(name, events, config, parts=PARTS):
    srv = t_redis.RedisServer()
    try:
        base = int(info(srv)["used_memory"])
        rss, wall, err = peak_rss_kib([BIN, "replay", "--config", config, "--state", srv.url(),
                                       "--partitions", str(parts), "--quiet", events])
        used = int(info(srv)["used_memory"]) - base
        fams = memory_by_family(srv)
        summary = next((json.loads(l) for l in err.splitlines() if '"replay_summary"' in l), {})
        return {"name": name, "used": used, "families": fams, "rss_kib": rss, "wall_s": wall,
                "events": summary.get("applied", 0)}
    finally:
        srv.cleanup()


def info(srv):
    text = srv.cmd("INFO", "memory").decode()
    return dict(l.split(":", 1) for l in text.splitlines() if ":" in l)


def per(fams, names):
    return sum(fams.get(n, (0, 0))[1] for n in names), sum(fams.get(n, (0, 0))[0] for n in names)


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = ("pos", "dedup", "count")
    print("== Redis memory per unit: generated %d-day months into a private redis-server "
          "(replay --state --partitions %d)" % (DAYS, PARTS))
    probes = month_into_redis("probes", *gen("probes", [
        "--services", str(SVC), "--probe-share", "1", "--probe-interval-s", "60",
        "--vms", "0", "--hosts", "0"]))
    metrics = month_into_redis("metrics", *gen("metrics", [
        "--services", "10", "--probe-share", "0", "--vms", str(VMS), "--hosts", "0",
        "--metric-interval-s", "300"]))
    metrics128 = month_into_redis("metrics, 128 partitions", *gen("metrics", []), parts=128)
    rows = []
    for m in (probes, metrics):
        for fam, (n, b) in sorted(m["families"].items(), key=lambda kv: -kv[1][1]):
            rows.append((m["name"], fam, n, b))
    print("| month | key family | keys | MEMORY USAGE bytes |")
    print("|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %d | %d |" % r)
    p_bytes, p_keys = per(probes["families"], ("P",))
    svc_day = p_bytes / (SVC * DAYS)
    # per resource: UR (idle-share inputs) and its UDR member; per provider or department
    # and partition: the U vectors and UD sums, whatever the resources
    r_bytes, _ = per(metrics["families"], ("UR", "UDR"))
    u_bytes, u_keys = per(metrics["families"], ("U",))
    ud_bytes, ud_keys = per(metrics["families"], ("UD",))
    res_month = r_bytes / VMS  # one key of each per resource and month, whatever the days
    u_key = u_bytes / max(u_keys, 1)  # one provider's vector in one partition and month
    ud_key = ud_bytes / max(ud_keys, 1)  # one department's sums in one partition and month
    dd = {m["name"]: per(m["families"], ("dedup",))[0] for m in (probes, metrics)}
    # everything else the probes month holds (tickets, backups, surveys, incidents, ... at
    # the generator's rates for its services), per service and month
    skip = set(meta) | {"P", "U", "UD", "UDR", "UR", "cqe"}
    other = sum(b for f, (n, b) in probes["families"].items() if f not in skip)
    other_month = other / SVC * 30 / DAYS
    ids = {m["name"]: m["events"] for m in (probes, metrics)}
    print()
    print("| figure | value |")
    print("|---|---|")
    print("| probe state per service-day (P keys, %d services probed every minute from 2-3 sites) | %.0f B |"
          % (SVC, svc_day))
    print("| probe state per service-month | %.1f KiB |" % (svc_day * 30 / 1024))
    print("| metric state per resource-month (UR, UDR keys; %d VMs every 5 min) | %.0f B |"
          % (VMS, res_month))
    print("| other families per service-month at the generator's rates (tickets, backups, surveys, "
          "incidents, ...; every key but P, U*, meta) | %.1f KiB |" % (other_month / 1024))
    print("| per provider, partition and month, whatever the resources (U key) | %.0f B |" % u_key)
    print("| per department, partition and month, whatever the resources (UD key) | %.0f B |" % ud_key)
    for k in ("probes", "metrics"):
        if ids[k]:
            print("| duplicate-id memory in Redis, %s month (%d events, all within the window) | %.1f B per id |"
                  % (k, ids[k], dd[k] / ids[k]))
    print("| worker peak RSS, replay --state --partitions %d, probes month (%d events) | %.0f MB |"
          % (PARTS, probes["events"], probes["rss_kib"] / 1024))
    print("| worker peak RSS, replay --state --partitions %d, metrics month (%d events) | %.0f MB |"
          % (PARTS, metrics["events"], metrics["rss_kib"] / 1024))

    per_part = (metrics128["rss_kib"] - metrics["rss_kib"]) / 1024 / (128 - PARTS)
    print("| worker peak RSS, the metrics month over 128 partitions | %.0f MB (%.2f MB per partition more) |"
          % (metrics128["rss_kib"] / 1024, per_part))
    print("| Redis, the metrics month over 128 instead of %d partitions | %.0f MB instead of %.0f MB |"
          % (PARTS, metrics128["used"] / 1e6, metrics["used"] / 1e6))

    # a province-year: 10^4 services x 365 days of probes, 10^5 resources x 12 months
    year_probes = 1e4 * 365 * svc_day
    year_metrics = 1e5 * 12 * res_month + 128 * 12 * (4 * u_key + 300 * ud_key)
    ev_year = (1e5 * 365 * 288) + (1e4 * 365 * 1440 * 2.5)
    window = 10 ** 6
    dedup_default = 128 * window * 8
    print()
    print("== a province-year, extrapolated (10^5 resources every 5 min, 10^4 services probed "
          "every minute from 2-3 sites; %.2e events)" % ev_year)
    print("| part | Redis memory |")
    print("|---|---|")
    print("| probe state (3.65 M service-days) | %.0f MiB |" % (year_probes / MIB))
    print("| metric state (1.2 M resource-months; U, UD of 4 providers, 300 departments, 128 partitions) | %.0f MiB |"
          % (year_metrics / MIB))
    print("| state, total | %.0f MiB |" % ((year_probes + year_metrics) / MIB))
    print("| (beside the goal) other families at the generator's rates, 10^4 services x 12 months | %.0f MiB |"
          % (1e4 * 12 * other_month / MIB))
    print("| duplicate-id memory at 128 partitions x dedup_window %d (8 B per id) | %.0f MiB |"
          % (window, dedup_default / MIB))
    print("| total with the default window | %.0f MiB (goal 2,048) |"
          % ((year_probes + year_metrics + dedup_default) / MIB))


if __name__ == "__main__":
    main()
