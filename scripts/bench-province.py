#!/usr/bin/python3
"""Province catch-up after a cut leaf link (docs/cluster.md, "Province cascade").

    scripts/bench-province.py [--cut 120] [--ingest 60]     (CW_BUILD_DIR: default build-bench)

The setup of tests/integration/test_province.py (two cities, each a JetStream domain with one
hub, leaf nodes of the province's NATS through proxies; the province hub sources both). City 1's
link is cut; `citywall-bench ingest` (HTTP, 4 clients x 1,000) writes to city 1 for --ingest
seconds, the link stays cut for --cut seconds in all, then it is restored and the time until
the province hub's log position covers everything city 1 stored is measured. Prints one line.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("CW_BUILD_DIR", os.path.join(ROOT, "build-bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import cwtest  # noqa: E402
import test_province  # noqa: E402


def stream_last(mon_port, name):
    url = "http://127.0.0.1:%d/jsz?streams=1" % mon_port
    with urllib.request.urlopen(url, timeout=5) as r:
        d = json.loads(r.read().decode())
    for acc in d.get("account_details", []):
        for s in acc.get("stream_detail", []):
            if s["name"] == name:
                return s["state"]["last_seq"], s["state"]["messages"]
    return 0, 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cut", type=int, default=120)
    ap.add_argument("--ingest", type=int, default=60)
    o = ap.parse_args()
    P = test_province.Province
    P.setUpClass()
    try:
        n = P.nodes
        n.proxy["c1"].forward(False, False)
        t_cut = time.monotonic()
        bench = os.path.join(os.environ["CW_BUILD_DIR"], "citywall-bench")
        out = subprocess.run([bench, "ingest", "--clients", "4", "--batch", "1000", "--duration",
                              str(o.ingest), "--hub", "http://127.0.0.1:%d" % P.c1.port,
                              "--config", P.c1.config], capture_output=True, text=True)
        res = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
        while time.monotonic() - t_cut < o.cut:
            time.sleep(1)  # the rest of the cut: the link stays down, the city idles
        c1_last, c1_msgs = stream_last(n.mon["c1"], "CW_C1")
        p0, _ = stream_last(n.mon["province"], "PROVINCE")
        n.proxy["c1"].forward(True, True)
        t0 = time.monotonic()
        def caught():
            last, msgs = stream_last(n.mon["province"], "PROVINCE")
            st, body = P.prov.get("/readyz")
            lag = (body or {}).get("cluster", {}).get("lag", 1)
            return msgs >= c1_msgs and lag == 0
        cwtest.wait_until(caught, 1800, interval=0.5, what="the province caught up")
        took = time.monotonic() - t0
        print(json.dumps({"cut_s": o.cut, "events_during_cut": res.get("events"),
                          "city_ingest_events_per_s": res.get("events_per_s"),
                          "city1_records": c1_msgs, "province_records_before": p0,
                          "catch_up_s": round(took, 1),
                          "events_per_s_caught_up": round(res.get("events", 0) / took)}))
    finally:
        P.tearDownClass()


if __name__ == "__main__":
    main()
