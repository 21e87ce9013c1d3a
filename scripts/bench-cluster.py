#!/usr/bin/python3
"""Cluster mode against the single hub, in one run on this machine (docs/cluster.md).

    scripts/bench-cluster.py [--duration 10] [--failovers 20]   (CW_BUILD_DIR: default build-bench)

Starts a real 3-node NATS JetStream cluster (loopback), two cluster hubs and one embedded hub,
all from the same build, and measures, interleaved:
- ingest (citywall-bench ingest, HTTP, 4 clients x batches of 1,000): the embedded hub, then
  cluster hub a, twice;
- fan-out of 200 events/s: 200 /live clients on the embedded hub; 200 on cluster hub a; 2 x 100
  on hubs a and b (each bench publishes 100 events/s to its own hub, LH-00 and LH-01);
- failover: a /live client on hub a holding city + 2 halls; kill -9 of hub a; the time until
  hub b answers its resume with `recovered` (connect + subscribe with since); hub a restarted;
  N runs, p50/p99.
Prints a markdown table (for BENCHMARKS.md) and the raw JSON lines.
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("CW_BUILD_DIR", os.path.join(ROOT, "build-bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import cwtest  # noqa: E402
import natscluster  # noqa: E402

BENCH = os.path.join(os.environ["CW_BUILD_DIR"], "citywall-bench")


def bench(args, hub, duration):
    cmd = [BENCH] + args + ["--duration", str(duration), "--hub", "http://127.0.0.1:%d" % hub.port,
                            "--hub-pid", str(hub.proc.pid)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def result(p):
    out, _ = p.communicate(timeout=600)
    last = [ln for ln in out.splitlines() if ln.startswith("{")]
    return json.loads(last[-1]) if last else {"error": out[-500:]}


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def ingest_rows(single, a, duration):
    rows = []
    args = ["ingest", "--clients", "4", "--batch", "1000"]
    for rnd in range(2):
        for name, hub in (("single hub", single), ("cluster hub a", a)):
            ld = load()
            r = result(bench(args, hub, duration))
            rows.append(("ingest, HTTP, 4 x 1,000, %s (round %d)" % (name, rnd + 1),
                         " ".join(args), ld, r))
    return rows


def fanout_rows(single, a, b, duration):
    rows = []
    for name, hub in (("single hub, 200 clients", single), ("cluster hub a, 200 clients", a)):
        args = ["fanout", "--clients", "200", "--rate", "200"]
        ld = load()
        rows.append(("fan-out, %s" % name, " ".join(args), ld, result(bench(args, hub, duration))))
    args = ["fanout", "--clients", "100", "--rate", "100"]
    ld = load()  # each bench writes a hall of its own ("nothing else may write that hall")
    pa, pb = bench(args + ["--hall", "LH-00"], a, duration), bench(args + ["--hall", "LH-01"], b,
                                                                    duration)
    rows.append(("fan-out, cluster hubs a + b, 100 clients each (hub a's bench)", " ".join(args),
                 ld, result(pa)))
    rows.append(("fan-out, cluster hubs a + b, 100 clients each (hub b's bench)", " ".join(args),
                 ld, result(pb)))
    return rows


def failovers(hubs, n):
    a, b = hubs
    topics = ["city", "hall/LH-03", "hall/LH-07"]
    times = []
    f = cwtest.Feeder(b, "LH-03", feed="failover")
    for i in range(n):
        live = cwtest.LiveClient(a, token=cwtest.TOKEN_WALL)
        live.subscribe(topics)
        live.wait_for(lambda c: all(t in c.state for t in topics), what="snapshots on a")
        before = live.state["hall/LH-03"]["kpi"]["issued"]
        f.send([f.issued()])
        live.wait_for(lambda c: c.state["hall/LH-03"]["kpi"]["issued"] > before, what="ticket")
        since = {"epoch": live.epoch, "rev": max(live.rev.values())}
        t0 = time.monotonic()
        a.kill9()
        live.close()
        moved = cwtest.LiveClient(b, token=cwtest.TOKEN_WALL)
        moved.subscribe(topics, since=since)
        moved.wait_for(lambda c: {m["topic"] for _, m in c.msgs if m.get("op") == "recovered"}
                       >= set(topics), what="recovered on b")
        times.append(time.monotonic() - t0)
        if any(m.get("op") == "snapshot" for _, m in moved.msgs):
            raise AssertionError("run %d: a snapshot instead of recovered" % i)
        moved.close()
        hubs.restart(a, kill=False)
    times.sort()
    return times


def fmt(r):
    if "error" in r:
        return "error: %s" % r["error"]
    keys = ("events_per_s", "deliveries_per_s", "p50_ms", "p99_ms", "max_ms", "undelivered",
            "errors", "hub_cpu_pct", "hub_rss_mb")
    return ", ".join("%s %s" % (k, r[k]) for k in keys if k in r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--failovers", type=int, default=20)
    o = ap.parse_args()
    nats = natscluster.NatsCluster(3)
    hubs = natscluster.ClusterHubs(nats, 2)
    single = cwtest.Hub()
    try:
        rows = ingest_rows(single, hubs[0], o.duration)
        rows += fanout_rows(single, hubs[0], hubs[1], o.duration)
        ft = failovers(hubs, o.failovers)
    finally:
        single.close()
        hubs.close()
        nats.close()
    print("| run | command | load | result |\n|---|---|---|---|")
    for name, cmd, ld, r in rows:
        print("| %s | `citywall-bench %s --duration %d` | %.2f | %s |" % (name, cmd, o.duration, ld,
                                                                       fmt(r)))
    p = lambda q: ft[min(len(ft) - 1, int(q * len(ft)))]  # noqa: E731
    print("| failover: hub a killed -> `recovered` from hub b, %d runs | scripts/bench-cluster.py |"
          " | p50 %.0f ms, p99 %.0f ms, max %.0f ms |" % (len(ft), p(0.5) * 1000, p(0.99) * 1000,
                                                         ft[-1] * 1000))
    for name, cmd, ld, r in rows:
        print(json.dumps({"run": name, "load": ld, **r}))


if __name__ == "__main__":
    main()
