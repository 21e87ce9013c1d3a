"""Alarm choreography (告警联动) on a hub-driven wall (docs/wall.md "Alarm choreography"): real
alerts raised by real events on a running hub pull their hall to the hero slot of every host of
wall `main`; here the host of the 3x3 wall's bottom-middle screen (the camera grid's hero slot),
under Xvfb, with its present log, text dump and a screenshot.

Hub: the demo city at real speed from 10:00 on Monday 2026-11-23 (every hall open), R8, R14
and R15 off (no staffing, camera or silence alerts from halls that send nothing), no startup
grace, R1 resolving at once when nobody waits too long (keep_firing_for 0); the wall's pins of
cleared alerts are kept for grace_s = 4 s.

1. ticket A001 issued at LH-03 at 08:55 has waited 65 min > 60: R1 P2 (SPEC §6) -> within
   2 s the hero shows LH-03 (江南街道) with R1's title, its waiting-area camera LH-03-CAM-Q01
   (config/demo.yaml: the queue rules show the queue area), on glass: the text dump's hero
   band and its red pixels in a screenshot;
2. A001 is called: R1 resolves -> the hero says · 已恢复, and 4 s later the pin is released
   (no hero); both are recorded in GET /api/v1/walls;
3. R1 P2 at LH-05 (hero LH-05), then a level-1 review at LH-07 window A01 whose comment holds
   跳楼 (人身安全, weight 10): R10 P1 pre-empts the P2 -> the hero shows LH-07 with its window
   camera LH-07-CAM-W01, and LH-05 waits in the pins.
Alarm -> hero times (event posted -> first presented frame showing the hall) are printed."""

import os
import shutil
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import walltest as wt  # noqa: E402
from walltest import cwtest, tw  # noqa: E402

CLOCK = "2026-11-23T10:00:00+08:00@1"
DAY = "2026-11-23"
NOW = cwtest.at("16:59:59", DAY)  # clamped by the hub to its business now
EDITS = [
    ("\nalerts:\n",
     "\nalerts:\n  startup_grace_s: 0\n  rules: {R8: {enabled: false}, R14: {enabled: false},"
     " R15: {enabled: false}, R1: {keep_firing_for: 0}}\n"),
    ("    grace_s: 30\n", "    grace_s: 4\n"),
]
HERO_WITHIN_S = 2.0


def hero_band_pixel(host, text_prefix, png):
    """The screenshot's pixel inside the hero's reason band, left of its text (which starts
    8 * scale = 12.8 px into the band), in the host's viewport; None when the text is absent."""
    vx, vy = [int(v) for v in host.viewport.split(",")[:2]]
    items = [t for t in tw.read_dump(png + ".dump") if "text" in t and
             t["text"].startswith(text_prefix)]
    if not items:
        return None, None
    t = items[0]
    img = tw.read_png(png)
    return tw.pixel(img, int(t["x"] - 6 - vx), int(t["y"] + t["h"] / 2 - vy)), t


class TestWallAlarm(unittest.TestCase):
    def setUp(self):
        self.tmp = wt.make_tmp()
        self.hub = cwtest.hub_with_config(EDITS, clock=CLOCK)
        self.host = wt.Host(self.hub, "r3c2", wt.VIEWPORTS["r3c2"], self.tmp)
        self.seq = {}

    def tearDown(self):
        self.host.stop()
        self.hub.close()
        if os.environ.get("CW_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("kept", self.tmp)

    def send(self, hall, type_, at_, **data):
        self.seq[hall] = self.seq.get(hall, 0) + 1
        t0 = time.time()
        self.hub.ingest([cwtest.ev(hall, self.seq[hall], type_, at_, **data)])
        return t0

    def wall_doc(self):
        st, body = self.hub.get("/api/v1/walls", cookie=self.hub.cookie("admin"))
        self.assertEqual(st, 200)
        return body["walls"][0]

    def hero_on_glass(self, hall, t0, what):
        """Waits for the first presented frame whose hero is `hall`; returns seconds from t0."""
        def shown():
            for ln in self.host.lines():
                if ln["hero"] == hall and ln["t_ms"] / 1000.0 >= t0:
                    return ln
            return None
        ln = cwtest.wait_until(shown, 15, interval=0.05, what=what)
        return ln["t_ms"] / 1000.0 - t0

    def screenshot(self, name):
        png = os.path.join(self.tmp, name)
        rc, out = tw.run_wall(self.hub, "--layout", wt.LAYOUT_3X3, "--viewport",
                              self.host.viewport, "--wall", "main", "--screenshot", png,
                              "--frames", "30", "--text-dump", png + ".dump")
        self.assertEqual(rc, 0, out[-2000:])
        return png

    def test_alarms_pull_their_hall_forward(self):
        self.host.start()
        cwtest.wait_until(lambda: self.host.lines(), 60, what="the host showing the wall")
        times = []

        # 1. R1 P2 at LH-03
        t0 = self.send("LH-03", "ticket.issued", cwtest.at("08:55", DAY), ticket="A001",
                       biz="A", channel="kiosk", priority="normal")
        dt = self.hero_on_glass("LH-03", t0, "the hero showing LH-03 (R1)")
        times.append(dt)
        self.assertLess(dt, HERO_WITHIN_S)
        hero = self.wall_doc()["hero"]
        self.assertEqual((hero["hall"], hero["rule"], hero["severity"], hero["camera"]),
                         ("LH-03", "R1", "P2", "LH-03-CAM-Q01"))
        self.assertEqual(hero["title"], "单号等候超时")
        band = "告警联动 · P2 · 江南街道 · 单号等候超时"

        def band_text():
            t = [x for x in self.host.texts() if x["text"].startswith(band)]
            return t[0] if t else None
        t = cwtest.wait_until(band_text, 5, what="the hero band in the text dump")
        self.assertIn("已持续", t["text"])  # the alert's age (business time)
        png = self.screenshot("hero-r1.png")
        px, item = hero_band_pixel(self.host, band, png)
        self.assertIsNotNone(item, "hero band not in the screenshot's text dump")
        # the band is DRAW_RGBA(120, 16, 24, 240) over the tile: dark red
        self.assertTrue(px[0] >= 90 and px[1] <= 40 and px[2] <= 50, px)

        # 2. A001 called: R1 resolves -> · 已恢复, then released after the grace period
        self.send("LH-03", "ticket.called", NOW, ticket="A001", window="A01")
        cwtest.wait_until(lambda: [x for x in self.host.texts() if x["text"].startswith(band)
                                   and x["text"].endswith("· 已恢复")], 10,
                          what="· 已恢复 on the hero")
        t_clear = time.time()
        cwtest.wait_until(lambda: (self.host.wall_dump() or {}).get("hero") == "", 15,
                          what="the pin released")
        released = time.time() - t_clear
        self.assertGreater(released, 2.5)  # grace_s 4 (minus the text dump's 1 s period)
        log = self.wall_doc()["log"]
        actions = [(r["action"], r["what"].split(" ")[0]) for r in reversed(log)]
        self.assertEqual(actions[:3], [("pin", "LH-03"), ("clear", "LH-03"),
                                       ("release", "LH-03")])
        self.assertEqual(log[-1]["who"], "alert R1")

        # 3. P2 at LH-05, then a P1 at LH-07 pre-empts it
        t0 = self.send("LH-05", "ticket.issued", cwtest.at("08:50", DAY), ticket="A001",
                       biz="A", channel="kiosk", priority="normal")
        times.append(self.hero_on_glass("LH-05", t0, "the hero showing LH-05 (R1)"))
        t0 = self.send("LH-07", "review.submitted", NOW, review="RV-1", level=1,
                       channel="evaluator", real_name=False, window="A01",
                       comment="再不给办我就跳楼")
        dt = self.hero_on_glass("LH-07", t0, "the P1 at LH-07 pre-empting")
        times.append(dt)
        self.assertLess(dt, HERO_WITHIN_S)
        w = self.wall_doc()
        self.assertEqual((w["hero"]["hall"], w["hero"]["rule"], w["hero"]["severity"],
                          w["hero"]["camera"]), ("LH-07", "R10", "P1", "LH-07-CAM-W01"))
        self.assertEqual(sorted(p["hall"] for p in w["pins"]), ["LH-05", "LH-07"])
        print("alarm -> hero (event posted -> first frame showing the hall): %s s"
              % ", ".join("%.3f" % x for x in times), file=sys.stderr)
        if os.environ.get("CW_WALL_SHOTS"):
            shutil.copy(png, os.path.join(os.environ["CW_WALL_SHOTS"], "wall-hero-r1.png"))


if __name__ == "__main__":
    cwtest.main()
