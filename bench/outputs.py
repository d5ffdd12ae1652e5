#!/usr/bin/env python3
"""The workers' voice, measured (part of `make bench`; issue 11):
  1. alert latency under load: N events of bench/mix_events.py are produced into 128
     partitions and consumed by one `cloudqe run` (pinned to one core, clock wall, ticks
     every 60 s) while a deciding pair of failed probes for a fresh service is produced
     every 1.5 s (event time just after the mix's hour); the
     latency of each is from just before its produce to the Kafka timestamp of its
     burn_1h_5m firing record on cloudqe.alerts (read with kcat). p50 and p99 (with 30
     samples, p99 is the largest but one).
  2. a tick on a province: one generated day of 100,000 resources (hourly) and 10,000
     services (10 % probed every 5 minutes) written by `replay --state --partitions 128`,
     then a worker on an empty 128-partition topic makes its first tick and, on SIGTERM,
     its last: the time of each pass, Redis round trips and Redis CPU per tick.
usage: outputs.py OUT_DIR   (env: N events [1000000], BENCH_CPU [1])"""
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build/rel/cloudqe")
CPU = int(os.environ.get("BENCH_CPU", "1"))
OTHER = 0 if CPU else 1
N = int(os.environ.get("N", "1000000"))
INJECTIONS = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rig:
    def __init__(self, out, partitions):
        self.out, self.procs = out, []
        os.makedirs(out, exist_ok=True)
        mock = subprocess.Popen(["taskset", "-c", str(OTHER), BIN, "mock-kafka", "--brokers", "1", "--partitions",
                                 str(partitions)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(mock)
        line = mock.stdout.readline()
        self.boot = line.strip().split("=", 1)[1]
        self.rport = free_port()
        self.procs.append(subprocess.Popen(["taskset", "-c", str(OTHER), "redis-server", "--port", str(self.rport),
                                            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", out],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(100):
            if self.redis("PING") == "PONG":
                break
            time.sleep(0.1)

    def redis(self, *args):
        p = subprocess.run(["redis-cli", "-p", str(self.rport), *args], capture_output=True, text=True)
        return p.stdout.strip()

    def redis_cpu(self):
        info = self.redis("INFO", "cpu")
        return sum(float(v) for k, v in re.findall(r"used_cpu_(sys|user):([0-9.]+)", info))

    def redis_calls(self):
        return sum(int(c) for c in re.findall(r"calls=(\d+)", self.redis("INFO", "commandstats")))

    def config(self, base, **extra):
        c = json.load(open(base, encoding="utf-8")) if base else {}
        c.update(redis={"url": f"redis://127.0.0.1:{self.rport}/0"},
                 kafka={"bootstrap.servers": self.boot, "group.id": "bench-out", "session.timeout.ms": 6000,
                        "heartbeat.interval.ms": 1000}, **extra)
        path = os.path.join(self.out, "run.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(c, f, ensure_ascii=False)
        return path

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def summary_of(log):
    lines = [l for l in open(log, encoding="utf-8", errors="replace") if l.startswith('{"kind":"run_summary"')]
    return json.loads(lines[-1]) if lines else {}


def alert_latency(out, load_kind):
    """load_kind "mix": the peers' mix (bench/mix_events.py: 15 % incidents over 100,000
    random ids, one hour); "province": two generated days (gen: 4,000 VMs every 5
    minutes, 1,000 services, incidents at the generator's rates)."""
    rig = Rig(os.path.join(out, "latency-" + load_kind), 128)
    try:
        if load_kind == "mix":
            mix, mix_cfg = os.path.join(out, f"mix.{N}.ndjson"), os.path.join(out, "mix.json")
            after = "2026-03-01T09:%02d:00+08:00"  # the mix is one hour from 08:00
            if not os.path.exists(mix):
                subprocess.run(["python3", os.path.join(ROOT, "bench/mix_events.py"), str(N), "1", mix, mix_cfg],
                               check=True)
        else:
            mix, mix_cfg = os.path.join(out, "gen2d.ndjson"), os.path.join(out, "gen2d.json")
            after = "2026-03-03T00:%02d:00+08:00"  # two days from 2026-03-01
            if not os.path.exists(mix):
                subprocess.run([BIN, "gen", "--seed", "31", "--days", "2", "--vms", "4000", "--hosts", "200",
                                "--services", "1000", "--metric-interval-s", "300", "--out", mix, "--config-out",
                                mix_cfg], check=True, stderr=subprocess.DEVNULL)
        cfg = rig.config(mix_cfg, clock="wall", snapshot_interval_s=60, output_dir=os.path.join(rig.out, "lake"))
        alerts = subprocess.Popen(["kcat", "-C", "-b", rig.boot, "-t", "cloudqe.alerts", "-o", "end", "-J", "-q", "-u"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        rig.procs.append(alerts)
        fired = {}

        def read_alerts():
            for line in alerts.stdout:
                env = json.loads(line)
                a = json.loads(env["payload"])
                if a["rule"] == "burn_1h_5m" and a["state"] == "firing" and a["service"].startswith("lat-"):
                    fired.setdefault(a["service"], env["ts"] / 1000.0)
        threading.Thread(target=read_alerts, daemon=True).start()
        log = os.path.join(rig.out, "run.log")
        worker = subprocess.Popen(["taskset", "-c", str(CPU), BIN, "run", "--config", cfg, "--no-dead-letter-topic",
                                   "--listen", "127.0.0.1:0", "--progress", "1"], stderr=open(log, "w"))
        rig.procs.append(worker)
        time.sleep(4)  # the group join; kcat at the end of the topic
        # the load: the mix, produced while the deciding events go in
        load = subprocess.Popen([BIN, "produce", "--bootstrap", rig.boot, "--topic", "cloudqe.events", "--quiet",
                                 mix], stdout=subprocess.DEVNULL)
        rig.procs.append(load)
        sent, loaded = {}, 0
        for k in range(INJECTIONS):
            svc = f"lat-{k:02d}"
            lines = []
            for m in (0, 1):  # two failed minutes just after the load's events: burn 16.7 and 200
                ts = after % (30 + m)
                for site in ("a", "b"):
                    lines.append(svc + "\t" + json.dumps({"v": 1, "id": f"{svc}-{m}-{site}", "type": "probe",
                                                          "ts": ts, "provider": "gz-telecom", "service": svc,
                                                          "ok": False, "site": site}))
            loaded += load.poll() is None
            sent[svc] = time.time()
            subprocess.run(["kcat", "-P", "-b", rig.boot, "-t", "cloudqe.events", "-K", "\t"],
                           input="\n".join(lines) + "\n", text=True, check=True)
            time.sleep(1.5)
        deadline = time.time() + 60
        while len(fired) < INJECTIONS and time.time() < deadline:
            time.sleep(0.2)
        load.wait(600)
        worker.send_signal(signal.SIGTERM)
        worker.wait(120)
        lat = sorted(fired[s] - sent[s] for s in sent if s in fired)
        s = summary_of(log)
        print("alert latency (%s), produce -> burn_1h_5m on cloudqe.alerts: %d of %d fired, %d sent while the "
              "load (%d events) was being produced" % (load_kind, len(lat), INJECTIONS, loaded, s.get("events", 0)))
        if lat:
            p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))]
            print("| p50 | p90 | p99 | max | passes | pass time total | ticks | alert records |")
            print("|---|---|---|---|---|---|---|---|")
            print("| %.0f ms | %.0f ms | %.0f ms | %.0f ms | %d | %.1f s | %d | %d |" % (
                1000 * statistics.median(lat), 1000 * lat[int(0.9 * (len(lat) - 1))], 1000 * p99, 1000 * lat[-1],
                s["output"]["passes"], s["output"]["pass_ms_total"] / 1000, s["output"]["ticks"],
                s["output"]["alerts"]))
    finally:
        rig.close()


def province_tick(out):
    rig = Rig(os.path.join(out, "tick"), 128)
    try:
        day, day_cfg = os.path.join(out, "province-day.ndjson.zst"), os.path.join(out, "province-day.json")
        if not os.path.exists(day):
            subprocess.run([BIN, "gen", "--seed", "21", "--days", "1", "--vms", "95000", "--hosts", "5000",
                            "--services", "10000", "--metric-interval-s", "3600", "--probe-share", "0.1",
                            "--probe-interval-s", "300", "--bad-share", "0", "--dup-share", "0", "--late-share", "0",
                            "--out", day, "--config-out", day_cfg], check=True, stderr=subprocess.DEVNULL)
        cfg = rig.config(day_cfg, clock="event", output_dir=os.path.join(rig.out, "lake"))
        t0 = time.time()
        subprocess.run([BIN, "replay", "--config", cfg, "--state", f"redis://127.0.0.1:{rig.rport}/0",
                        "--partitions", "128", "--quiet", "--no-services", day], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        keys = rig.redis("DBSIZE")
        mem = re.search(r"used_memory:(\d+)", rig.redis("INFO", "memory")).group(1)
        print("province day in Redis: %s keys, %.0f MB (replay --state --partitions 128: %.0f s)" %
              (keys, int(mem) / 2**20, time.time() - t0))
        subprocess.run([BIN, "produce", "--bootstrap", rig.boot, "--topic", "cloudqe.events", "--quiet", "/dev/null"],
                       stdout=subprocess.DEVNULL)
        cpu0, calls0 = rig.redis_cpu(), rig.redis_calls()
        log = os.path.join(rig.out, "run.log")
        worker = subprocess.Popen(["taskset", "-c", str(CPU), BIN, "run", "--config", cfg, "--no-dead-letter-topic",
                                   "--listen", "127.0.0.1:0", "--progress", "1"], stderr=open(log, "w"))
        rig.procs.append(worker)
        deadline = time.time() + 600
        while not rig.redis("HGET", "cqe:{out}:meta", "tick") and time.time() < deadline:
            time.sleep(0.2)
        cpu1, calls1 = rig.redis_cpu(), rig.redis_calls()
        worker.send_signal(signal.SIGTERM)
        worker.wait(600)
        cpu2, calls2 = rig.redis_cpu(), rig.redis_calls()
        s = summary_of(log)["output"]
        print("| tick | pass time | Redis commands | Redis CPU |\n|---|---|---|---|")
        print("| first (at start) | %d ms | %d | %.2f s |" % (s["pass_ms_total"] - s["last_pass_ms"], calls1 - calls0,
                                                              cpu1 - cpu0))
        print("| last (on SIGTERM) | %d ms | %d | %.2f s |" % (s["last_pass_ms"], calls2 - calls1, cpu2 - cpu1))
        print("(%d snapshot records per tick; passes %d, ticks %d)" % (s["snapshots"] / max(1, s["ticks"]),
                                                                       s["passes"], s["ticks"]))
    finally:
        rig.close()


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/bench/outputs")
    os.makedirs(out, exist_ok=True)
    which = os.environ.get("PARTS_OF_BENCH", "latency tick").split()
    if "latency" in which:
        alert_latency(out, "mix")
        alert_latency(out, "province")
    if "tick" in which:
        province_tick(out)
