#!/usr/bin/env python3
"""The production-shape event mix of `make bench` (bench/production.sh): N events of about
290 bytes, 70 % metric (2,000 resources), 15 % incident (random ids and actions over
100,000 incidents), 15 % probe (300 services from 4 sites), four providers, Chinese
department and zone names, one hour of 2026-03-01. Deterministic for a seed.
usage: mix_events.py N SEED EVENTS_OUT CONFIG_OUT"""
import json
import random
import sys

PROVIDERS = ["gz-telecom", "gz-mobile", "gz-unicom", "szy-cloud"]
DEPTS = ["市公安局", "市卫健委", "市教育局", "市交通运输局", "市人社局", "市税务局", "市民政局", "市财政局"]
ZONES = ["政务外网", "互联网"]
SITES = ["广州-电信", "深圳-移动", "佛山-联通", "珠海-电信"]
ACTIONS = ["open", "ack", "resolve", "update"]
IMPACTS = ["outage", "degraded", "none"]
SERVICES = 300


def event(i, rnd):
    kind = rnd.randrange(100)
    prov = PROVIDERS[rnd.randrange(4)]
    ms = i % 1000
    sec = (i // 1000) % 60
    minute = (i // 60000) % 60
    head = ('{"v":1,"id":"%s-%010d-%06x","type":"%s","ts":"2026-03-01T08:%02d:%02d.%03d+08:00",'
            '"provider":"%s","dept":"%s","zone":"%s"')
    if kind < 70:
        res = rnd.randrange(2000)
        return (head % ("m", i, rnd.getrandbits(24), "metric", minute, sec, ms, prov,
                        DEPTS[rnd.randrange(8)], ZONES[rnd.randrange(2)])
                + ',"source":"zabbix-gz-0%d","resource":"vm-%05d","pool":"pool-%s","kind":"vm",'
                  '"interval_s":60,"cpu":%.2f,"mem":%.2f,"disk":%.2f,"net":%.2f}'
                % (1 + rnd.randrange(2), res, "abcd"[res % 4], rnd.random(), rnd.random(),
                   rnd.random(), rnd.random()))
    if kind < 85:
        return (head % ("i", i, rnd.getrandbits(24), "incident", minute, sec, ms, prov,
                        DEPTS[rnd.randrange(8)], ZONES[rnd.randrange(2)])
                + ',"source":"itsm-gz-01","incident":"INC-%06d","action":"%s","service":"svc-%04d",'
                  '"severity":%d,"impact":"%s","scope":0.%d,"category":"network"}'
                % (rnd.randrange(100000), ACTIONS[rnd.randrange(4)], rnd.randrange(SERVICES),
                   1 + rnd.randrange(4), IMPACTS[rnd.randrange(3)], 1 + rnd.randrange(9)))
    ok = rnd.randrange(50) != 0
    return (head % ("p", i, rnd.getrandbits(24), "probe", minute, sec, ms, prov,
                    DEPTS[rnd.randrange(8)], ZONES[rnd.randrange(2)])
            + ',"source":"boce-probe-02","service":"svc-%04d","ok":%s,"site":"%s","latency_ms":%d}'
            % (rnd.randrange(SERVICES), "true" if ok else "false", SITES[rnd.randrange(4)],
               rnd.randrange(3000)))


def main():
    n, seed = int(sys.argv[1]), int(sys.argv[2])
    rnd = random.Random(seed)
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        for i in range(n):
            out.write(event(i, rnd) + "\n")
    services = [{"id": "svc-%04d" % i, "provider": PROVIDERS[i % 4], "dept": DEPTS[i % 8],
                 "target": 0.999, "calendar": "7x24"} for i in range(SERVICES)]
    with open(sys.argv[4], "w", encoding="utf-8") as out:
        json.dump({"utc_offset": "+08:00", "services": services}, out, ensure_ascii=False)


if __name__ == "__main__":
    main()
