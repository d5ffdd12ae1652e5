#!/usr/bin/env python3
"""Writes the peers' event shape for `make bench`: ~290-byte contract events, 70 % metric,
15 % incident (random ids and actions), 15 % probe, Chinese dept/zone, one hour of ts.
usage: gen_peers_mix.py N OUT [SEED]   (deterministic for a seed)"""
import random
import sys

PROVIDERS = ["gz-telecom", "gz-mobile", "gz-unicom", "szy-cloud"]
DEPTS = ["市公安局", "市卫健委", "市教育局", "市交通运输局", "市人社局", "市税务局", "市民政局", "市财政局"]
ZONES = ["政务外网", "互联网"]
SOURCES = ["zabbix-gz-01", "prometheus-am", "nagios-sz-02", "zabbix-gz-02"]
ACTIONS = ["open", "ack", "resolve", "update"]
IMPACTS = ["outage", "degraded", "none"]
SITES = ["广州-电信", "深圳-移动", "佛山-联通", "珠海-电信"]


def event(i, rnd):
    pick = rnd.randrange(100)
    kind = "metric" if pick < 70 else "incident" if pick < 85 else "probe"
    minute, second, ms = (i // 60000) % 60, (i // 1000) % 60, i % 1000
    head = ('{"v":1,"id":"%s-%010d-%06x","type":"%s","ts":"2026-03-01T08:%02d:%02d.%03d+08:00",'
            '"provider":"%s","dept":"%s","zone":"%s"' %
            (kind[0], i, rnd.getrandbits(24), kind, minute, second, ms, rnd.choice(PROVIDERS),
             rnd.choice(DEPTS), rnd.choice(ZONES)))
    if kind == "metric":
        res = rnd.randrange(2000)
        return head + (',"source":"%s","resource":"vm-%05d","pool":"pool-%s","kind":"vm",'
                       '"interval_s":60,"cpu":%.2f,"mem":%.2f,"disk":%.2f,"net":%.2f}' %
                       (rnd.choice(SOURCES), res, "abcd"[res % 4], rnd.randrange(100) / 100,
                        rnd.randrange(100) / 100, rnd.randrange(100) / 100, rnd.randrange(100) / 100))
    if kind == "incident":
        return head + (',"source":"itsm-gz-01","incident":"INC-%06d","action":"%s","service":"svc-%04d",'
                       '"severity":%d,"impact":"%s","scope":0.%d,"category":"network"}' %
                       (rnd.randrange(100000), rnd.choice(ACTIONS), rnd.randrange(300),
                        rnd.randint(1, 4), rnd.choice(IMPACTS), rnd.randint(1, 9)))
    ok = rnd.randrange(50) != 0
    return head + (',"source":"boce-probe-02","service":"svc-%04d","ok":%s,"site":"%s",'
                   '"latency_ms":%d,"http_status":%d}' %
                   (rnd.randrange(300), "true" if ok else "false", rnd.choice(SITES),
                    rnd.randrange(3000), 200 if ok else 503))


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    with open(out, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(event(i, rnd) + "\n")


if __name__ == "__main__":
    main()
