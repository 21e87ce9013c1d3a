#!/usr/bin/python3
"""Where a cluster hub's time goes while it takes ingest (docs/cluster.md, BENCHMARKS.md).

    scripts/profile-cluster.py [--duration 15]   (CW_BUILD_DIR: default build-bench)

Starts a real 3-node NATS JetStream cluster (loopback) and two cluster hubs from the build,
runs `citywall-bench ingest --clients 4 --batch 1000` against hub a, and samples hub a with
`perf record` (499 Hz, every thread) for the middle of the run; prints the bench's result and
`perf report`'s top symbols by self time, per thread (the service thread, the store writer,
the NATS library's threads)."""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("CW_BUILD_DIR", os.path.join(ROOT, "build-bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import natscluster  # noqa: E402

BENCH = os.path.join(os.environ["CW_BUILD_DIR"], "citywall-bench")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=15)
    o = ap.parse_args()
    nats = natscluster.NatsCluster(3)
    hubs = natscluster.ClusterHubs(nats, 2)
    data = os.path.join(tempfile.mkdtemp(prefix="cwprof-"), "perf.data")
    try:
        a = hubs[0]
        bench = subprocess.Popen([BENCH, "ingest", "--clients", "4", "--batch", "1000",
                                  "--duration", str(o.duration), "--hub",
                                  "http://127.0.0.1:%d" % a.port, "--hub-pid", str(a.proc.pid)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(2)  # past the bench's start-up: sample the steady state, not a condition
        perf = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "-o", data, "-p",
                               str(a.proc.pid), "--", "sleep", str(max(1, o.duration - 4))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        out, _ = bench.communicate(timeout=600)
        print(out.strip().splitlines()[-1] if out.strip() else "bench: no result")
        if perf.returncode != 0:
            print("perf record failed: %s" % perf.stderr.strip())
            return
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                              "--sort", "comm,dso,sym", "--percent-limit", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        print("\n".join(ln for ln in rep.stdout.splitlines() if ln and not ln.startswith("#")))
    finally:
        hubs.close()
        nats.close()


main()
