"""Screenshots of a hub-driven wall for docs/screens/ (not a test): the demo city (hub + sim with
its RTSP cameras at 10x from 10:00 on a Monday), wall `main` of config/demo.yaml; the 3x3
layout's bottom row rendered by three hosts at once (`citywall-wall --wall main --viewport ...
--screenshot`), stitched side by side (with the 24 px bezel between them; the tour paused so that the hosts,
rendered one after the other, show one step) into
wall-3hosts.png; then ticket A900 at LH-03 issued 65 business minutes ago (R1 P2) and the
bottom-middle host's screenshot of the hero it promotes: wall-hero-r1.png; then the night scene
(the day's summary where the camera wall is) on the bottom row's two right hosts: wall-night.png.

    CW_BUILD_DIR=build-asan /usr/bin/python3 tests/wall/shots_walls.py OUTDIR
"""

import os
import struct
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import walltest as wt  # noqa: E402
from walltest import cwtest, tw  # noqa: E402

CLOCK = "2026-11-23T10:00:00+08:00@10"
BEZEL = 24


def write_png(path, w, h, rows):
    raw = b"".join(b"\x00" + r for r in rows)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def shot(hub, viewport, png, extra=(), frames="60"):
    return subprocess.Popen(tw.wall_cmd(hub, "--layout", wt.LAYOUT_3X3, "--viewport", viewport,
                                        "--wall", "main", "--screenshot", png, "--frames", frames,
                                        "--text-dump", png + ".dump", *extra),
                            env=tw.wall_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    hub = cwtest.Hub(clock=CLOCK)
    rtsp = cwtest.free_port()
    sim = subprocess.Popen([os.path.join(cwtest.BUILD_DIR, "citywall-sim"), "--hub", hub.http_url,
                            "--token", cwtest.TOKEN_ALL_HALLS, "--config", cwtest.DEMO_CONFIG,
                            "--clock", CLOCK, "--rtsp-port", str(rtsp)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def cams_online():
            snap = hub.snapshot()
            return snap and sum(h.get("kpi", {}).get("cameras_online", 0)
                                for h in snap["halls"].values()) >= 20
        cwtest.wait_until(cams_online, 60, interval=0.5, what="the sim's cameras online")
        names = sorted(wt.VIEWPORTS)
        pngs = [os.path.join(out, "host-%s.png" % n) for n in names]
        # the tour paused (POST /api/v1/walls/main/tour): the three hosts are rendered one after
        # the other (three at once starve this 2-core machine: their streams time out) at the
        # same tour step, as three machines would show it at once
        r = hub.request("POST", "/api/v1/walls/main/tour", body={"paused": True},
                        cookie=hub.cookie("admin"), headers={"Origin": hub.origin})
        assert r.status == 200, r.body
        for n, p in zip(names, pngs):
            shot(hub, wt.VIEWPORTS[n], p, frames="120").wait(180)
        imgs = [tw.read_png(p) for p in pngs]
        h = imgs[0][1]
        w = sum(i[0] for i in imgs) + BEZEL * (len(imgs) - 1)
        bezel = b"\x00\x00\x00" * BEZEL
        rows = [bezel.join(i[2][y] for i in imgs) for y in range(h)]
        write_png(os.path.join(out, "wall-3hosts.png"), w, h, rows)
        for p in pngs:
            os.remove(p)
            os.remove(p + ".dump")
        # an R1 at LH-03
        hub.ingest([cwtest.ev("LH-03", 900001, "ticket.issued", biz_ago(hub, 65), ticket="A900",
                              biz="A", channel="kiosk", priority="normal")])
        cwtest.wait_until(lambda: (hub.get("/api/v1/walls", cookie=hub.cookie("admin"))[1]
                                   ["walls"][0].get("hero") or {}).get("hall") == "LH-03", 20,
                          interval=0.2, what="hero LH-03")
        png = os.path.join(out, "wall-hero-r1.png")
        shot(hub, wt.VIEWPORTS["r3c2"], png).wait(180)
        os.remove(png + ".dump")
        # the night scene (an operator's choice here; a schedule would do the same after 17:30):
        # the bottom row's two right screens side by side
        r = hub.request("POST", "/api/v1/walls/main/show", body={"scene": "night"},
                        cookie=hub.cookie("admin"), headers={"Origin": hub.origin})
        assert r.status == 200, r.body
        night = [os.path.join(out, "night-%s.png" % n) for n in ("r3c2", "r3c3")]
        for n, p in zip(("r3c2", "r3c3"), night):
            shot(hub, wt.VIEWPORTS[n], p, frames="60").wait(180)
        imgs = [tw.read_png(p) for p in night]
        rows = [bezel.join(i[2][y] for i in imgs) for y in range(imgs[0][1])]
        write_png(os.path.join(out, "wall-night.png"), imgs[0][0] * 2 + BEZEL, imgs[0][1], rows)
        for p in night:
            os.remove(p)
            os.remove(p + ".dump")
        print("wrote", os.path.join(out, "wall-3hosts.png"), png,
              os.path.join(out, "wall-night.png"))
    finally:
        sim.terminate()
        sim.wait(20)
        hub.close()


def biz_ago(hub, minutes):
    """RFC 3339 of the hub's business now minus `minutes` (from GET /api/v1/history's `to`)."""
    st, body = hub.get("/api/v1/history?step=60", token=cwtest.TOKEN_WALL)
    ms = cwtest_parse(body["to"]) - minutes * 60000
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(ms / 1000 + 8 * 3600))


def cwtest_parse(s):
    import datetime
    return int(datetime.datetime.fromisoformat(s).timestamp() * 1000)


if __name__ == "__main__":
    main()
