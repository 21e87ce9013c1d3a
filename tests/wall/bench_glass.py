"""Event-to-glass (SPEC §10): ingest ack -> the first frame the wall presents that shows it.

Starts a hub (tests/integration/cwtest.py), a wall under xvfb-run with --present-log (a JSON
line {t_ms, rev, issued} after each presented frame that shows a new city state), then posts
one `ticket.issued` for LH-03 at a time at --rate events/s. Event k is on glass at the first
presented frame whose city `issued` >= k; latency = that frame's t_ms - the moment the ingest
answer (the ack) came back. Both clocks are this machine's CLOCK_REALTIME.

    CW_BUILD_DIR=build python3 tests/wall/bench_glass.py [--layout FILE] [--events N] [--rate R]

The default layout is the 1080p one without its camera panel (the SPEC's figure is with camera
tiles off). --cameras uses the full 1080p layout and starts `citywall-sim --scenario quiet
--rtsp-port P --rtsp-control -` (heartbeats only), then stops and starts 20 of its cameras so
that they are announced online with their URLs: 16 tiles play while the events go in. Prints a summary and, last, one JSON line
{"mode":"glass","samples":..,"p50_ms":..,"p99_ms":..}.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import cwtest  # noqa: E402
from cwtest import ev  # noqa: E402


def no_cameras_layout(tmp):
    src = os.path.join(cwtest.SOURCE_DIR, "config", "walls", "1080p.yaml")
    out, skip = [], False
    with open(src, encoding="utf-8") as f:
        for line in f:
            if line.startswith("  - type: cameras"):
                skip = True
                continue
            if skip and line.startswith("    "):
                continue
            skip = False
            out.append(line)
    path = os.path.join(tmp, "1080p-nocam.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(out))
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layout")
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--rate", type=float, default=10)
    ap.add_argument("--cameras", action="store_true")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cwglass-")
    layout = a.layout or (os.path.join(cwtest.SOURCE_DIR, "config", "walls", "1080p.yaml")
                          if a.cameras else no_cameras_layout(tmp))
    log = os.path.join(tmp, "present.jsonl")
    clock = "2026-11-23T10:00:00+08:00@1"
    hub = cwtest.Hub(clock=clock)
    sim = None
    if a.cameras:
        sim = subprocess.Popen([cwtest.SIM_BIN, "--hub", hub.http_url, "--token",
                                cwtest.TOKEN_ALL_HALLS, "--clock", clock, "--scenario", "quiet",
                                "--rtsp-port", str(cwtest.free_port()), "--rtsp-control", "-"],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
        cams = []
        for h in ("LH-00", "LH-01", "LH-02"):
            cams += [c["id"] for c in cwtest.as_list(hub.hall(h)["cameras"])]
        for cid in cams[:20]:
            sim.stdin.write(("stop %s\nstart %s\n" % (cid, cid)).encode())
        sim.stdin.flush()
    env = dict(os.environ, LP_NUM_THREADS=os.environ.get("LP_NUM_THREADS", "2"))
    env.pop("DISPLAY", None)
    wall = subprocess.Popen(["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24",
                             os.path.join(cwtest.BUILD_DIR, "citywall-wall"), "--hub", hub.ws_url,
                             "--token", cwtest.TOKEN_WALL, "--layout", layout, "--present-log", log,
                             "--stats"], env=env, stdin=subprocess.DEVNULL,
                            stdout=open(os.path.join(tmp, "wall.out"), "w"),
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def up():
            try:
                with open(log) as f:
                    return any(json.loads(l)["rev"] > 0 for l in f if l.strip())
            except OSError:
                return False
        cwtest.wait_until(up, 30, interval=0.1, what="the wall showing the city")
        time.sleep(8 if a.cameras else 1)  # the tiles' first frames
        acks = []
        t0 = time.monotonic()
        for k in range(1, a.events + 1):
            due = t0 + (k - 1) / a.rate
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            hub.ingest([ev("LH-03", k, "ticket.issued", "09:59", ticket="G%05d" % k, biz="A",
                           channel="kiosk", priority="normal")])
            acks.append(time.time() * 1000.0)
        time.sleep(2)
    finally:
        os.killpg(wall.pid, signal.SIGTERM)
        wall.wait()
        if sim is not None:
            os.killpg(sim.pid, signal.SIGTERM)
            sim.wait()
            sim.stdin.close()
        hub.close()
    with open(log) as f:
        shown = [json.loads(l) for l in f if l.strip()]
    lat = []
    for k, t_ack in enumerate(acks, 1):
        t = next((p["t_ms"] for p in shown if p["issued"] >= k), None)
        if t is not None:
            lat.append(max(0.0, t - t_ack))
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100.0 * len(lat)))] if lat else 0.0
    shutil.rmtree(tmp, ignore_errors=True)
    print("event-to-glass: %d events at %.0f/s, %d shown; p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
          "max %.1f ms (layout %s)" % (len(acks), a.rate, len(lat), pct(50), pct(90), pct(99),
                                       lat[-1] if lat else 0, layout))
    print(json.dumps({"mode": "glass", "samples": len(lat), "p50_ms": round(pct(50), 1),
                      "p99_ms": round(pct(99), 1)}))


if __name__ == "__main__":
    main()
