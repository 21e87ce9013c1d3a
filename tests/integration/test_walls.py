"""Walls decided in the hub (server/wallctl.c; SPEC §4 wall/<id>, §7 /walls): the `walls:`
config and its errors, the live topic wall/main (who may subscribe, what it carries), and the
pin rules of alarm choreography (告警联动) without a wall process: pins of one class rotating
every pin_s, a P1 pre-empting P2s, an operator's show above every alert and ending after
show_s, a cleared alert kept for grace_s (cleared) and then released, every step recorded.

Hub: the demo city at real speed from 10:00 on Monday 2026-11-23 (every hall open), R8, R14 and
R15 off, no startup grace, R1 resolving as soon as nobody waits too long; wall `main` with
pin_s 2, grace_s 2, show_s 2 (real seconds)."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402

CLOCK = "2026-11-23T10:00:00+08:00@1"
DAY = "2026-11-23"
NOW = cwtest.at("16:59:59", DAY)
EDITS = [
    ("\nalerts:\n",
     "\nalerts:\n  startup_grace_s: 0\n  rules: {R8: {enabled: false}, R14: {enabled: false},"
     " R15: {enabled: false}, R1: {keep_firing_for: 0}}\n"),
    ("    pin_s: 20\n", "    pin_s: 2\n"),
    ("    grace_s: 30\n", "    grace_s: 2\n"),
    ("    show_s: 60\n", "    show_s: 2\n"),
]


def check_config(text):
    path = os.path.join(cwtest.Hub(start=False).tmp, "walls.yaml")
    with open(cwtest.DEMO_CONFIG, encoding="utf-8") as f:
        base = f.read()
    base = base[:base.index("\nwalls:\n")] + "\n" + text
    with open(path, "w", encoding="utf-8") as f:
        f.write(base)
    p = subprocess.run([cwtest.HUB_BIN, "--config", path, "--check-config"],
                       capture_output=True, text=True, timeout=60)
    line = base[:base.index("walls:")].count("\n") + 1  # the line of `walls:`
    return p.returncode, p.stderr + p.stdout, line


class TestWallsConfig(unittest.TestCase):
    def test_errors_name_file_line_and_field(self):
        rc, out, line = check_config(
            "walls:\n"
            "  - id: main\n"
            "    hosts:\n"
            "      - {id: a, viewport: [0, 0, 1920]}\n"
            "      - {id: a, viewport: [0, 0, 1920, 1080]}\n"
            "    tour_s: 1\n"
            "    colour: red\n"
            "  - id: main\n"
            "    hosts: []\n"
            "    scenes: []\n")
        self.assertNotEqual(rc, 0, out)
        # the lines, counted from `walls:` (line L): hosts[0] L+3, hosts[1] L+4, tour_s L+5,
        # colour L+6, the second wall L+7, its scenes L+9
        for want in (":%d: walls[0].hosts[0].viewport: must be [x, y, width, height]" % (line + 3),
                     ":%d: walls[0].hosts[1].id: duplicate" % (line + 4),
                     ":%d: walls[0].tour_s:" % (line + 5),
                     ":%d: walls[0].colour: unknown key" % (line + 6),
                     ":%d: walls[1].id: duplicate" % (line + 7),
                     ":%d: walls[1].scenes: must name at least one scene" % (line + 9)):
            self.assertIn(want, out)

    def test_demo_config_is_valid(self):
        p = subprocess.run([cwtest.HUB_BIN, "--config", cwtest.DEMO_CONFIG, "--check-config"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)


class TestWallsPins(unittest.TestCase):
    def setUp(self):
        self.hub = cwtest.hub_with_config(EDITS, clock=CLOCK)
        self.addCleanup(self.hub.close)
        self.seq = {}

    def send(self, hall, type_, at_, **data):
        self.seq[hall] = self.seq.get(hall, 0) + 1
        self.hub.ingest([cwtest.ev(hall, self.seq[hall], type_, at_, **data)])

    def issue(self, hall, at_hm):
        self.send(hall, "ticket.issued", cwtest.at(at_hm, DAY), ticket="A001", biz="A",
                  channel="kiosk", priority="normal")

    def wall(self):
        st, body = self.hub.get("/api/v1/walls", cookie=self.hub.cookie("admin"))
        self.assertEqual(st, 200)
        return body["walls"][0]

    def hero_is(self, hall, timeout=5):
        return cwtest.wait_until(lambda: (self.wall().get("hero") or {}).get("hall") == hall
                                 and self.wall(), timeout, interval=0.05,
                                 what="hero %s (have %s)" % (hall, self.wall().get("hero")))

    def show(self, body, user="city"):
        r = self.hub.request("POST", "/api/v1/walls/main/show", body=body,
                             cookie=self.hub.cookie(user), headers={"Origin": self.hub.origin})
        self.assertEqual(r.status, 200, r.body)
        return r.json["wall"]

    def test_live_topic_roles(self):
        wall = cwtest.LiveClient(self.hub, token=cwtest.TOKEN_WALL)
        self.addCleanup(wall.close)
        wall.subscribe(["wall/main"])
        snap = wall.wait_snapshot("wall/main")
        d = snap["data"]
        self.assertEqual((d["id"], d["scene"], d["tour"]["paused"], d["tour"]["dwell_s"]),
                         ("main", "overview", False, 15))
        self.assertEqual(d["scenes"], ["overview", "hall", "cameras", "statistics", "night"])
        self.assertEqual(d["pins"], [])
        self.assertNotIn("hero", d)
        # an operator's show reaches the subscriber as a delta
        self.show({"hall": "LH-07", "pin": True})
        wall.wait_for(lambda c: (c.get_state("wall/main").get("hero") or {}).get("hall")
                      == "LH-07", 3, what="hero LH-07 in the topic")
        # a hall account may not follow a wall; an unknown wall is an unknown topic
        lh = cwtest.LiveClient(self.hub, cookie=self.hub.cookie("lh03"),
                               origin=self.hub.origin)
        self.addCleanup(lh.close)
        lh.subscribe(["wall/main"])
        self.assertEqual(lh.wait_error()["code"], "forbidden")
        wall.subscribe(["wall/nope"])
        self.assertEqual(wall.wait_error()["code"], "unknown_topic")

    def test_rotation_preemption_operator_grace(self):
        # two P2s (R1: A001 waited 65 and 70 min > 60): pinned in the order they fired
        self.issue("LH-03", "08:55")
        self.hero_is("LH-03")
        self.issue("LH-05", "08:50")
        w = cwtest.wait_until(lambda: len(self.wall()["pins"]) == 2 and self.wall(), 5,
                              what="two pins")
        self.assertEqual([p["hall"] for p in w["pins"]], ["LH-03", "LH-05"])
        # one class: they rotate every pin_s = 2 s
        t0 = time.monotonic()
        self.hero_is("LH-05", timeout=5)
        self.hero_is("LH-03", timeout=5)
        self.assertGreater(time.monotonic() - t0, 1.5)
        # a P1 (R10: a sensitive comment, 人身安全 weight 10) pre-empts at once
        self.send("LH-07", "review.submitted", NOW, review="RV-1", level=1, channel="evaluator",
                  real_name=False, window="A01", comment="再不给办我就跳楼")
        w = self.hero_is("LH-07", timeout=3)
        self.assertEqual((w["hero"]["severity"], w["hero"]["rule"], w["hero"]["camera"]),
                         ("P1", "R10", "LH-07-CAM-W01"))
        # it holds: no rotation into the P2s while it fires (polled over 2.5 s > pin_s)
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            self.assertEqual(self.wall()["hero"]["hall"], "LH-07")
            time.sleep(0.25)
        # an operator's show (not pinned) takes the slot over every alert, for show_s = 2 s
        w = self.show({"hall": "LH-10"})
        self.assertEqual((w["hero"]["hall"], w["hero"]["reason"], w["hero"]["by"]),
                         ("LH-10", "operator", "city"))
        self.hero_is("LH-07", timeout=5)  # the show ended: the P1 again
        # LH-03's R1 clears: its pin says so for grace_s = 2 s, then it is released
        self.send("LH-03", "ticket.called", NOW, ticket="A001", window="A01")
        cwtest.wait_until(lambda: [p for p in self.wall()["pins"]
                                   if p["hall"] == "LH-03" and p["cleared"]], 5,
                          what="LH-03 cleared")
        cwtest.wait_until(lambda: not [p for p in self.wall()["pins"] if p["hall"] == "LH-03"],
                          5, what="LH-03 released")
        log = [(r["action"], r["who"], r["what"].split(" ")[0]) for r in reversed(self.wall()["log"])]
        self.assertEqual(log, [("pin", "alert R1", "LH-03"), ("pin", "alert R1", "LH-05"),
                               ("pin", "alert R10", "LH-07"), ("show", "city", "LH-10"),
                               ("release", "city", "LH-10"), ("clear", "alert R1", "LH-03"),
                               ("release", "alert R1", "LH-03")])

    def test_reload_keeps_the_state(self):
        """SIGHUP reloads the config: a wall that is still configured keeps its pins."""
        self.show({"hall": "LH-07", "pin": True})
        self.hub.hup()
        cwtest.wait_until(lambda: b"config reloaded" in self.hub._stderr_bytes(), 10,
                          what="the reload")
        w = self.wall()
        self.assertEqual((w["hero"]["hall"], w["hero"]["reason"]), ("LH-07", "operator"))


SCHEDULE = [
    ("    scenes: [overview, hall, cameras, statistics, night]   # night: config/walls/3x3.yaml\n",
     "    scenes: [overview, hall, cameras, statistics, night]\n"
     "    playlist: [{scene: overview, dwell_s: 5}, {scene: cameras, dwell_s: 5}]\n"
     "    schedule:\n"
     "      - {days: workday, from: \"17:30\", to: \"24:00\", scene: night}\n"
     "      - {days: offday, scene: night}\n"),
]


class TestWallsSchedule(unittest.TestCase):
    """Scenes by the business clock and calendar: working days play the playlist (overview 5 s,
    cameras 5 s) until 17:30, then the night scene; days off are night all day; 2026-10-10 is a
    调休 Saturday (a working day in config/demo.yaml's calendar), 2026-10-17 an ordinary one."""

    def scene(self, hub):
        st, body = hub.get("/api/v1/walls", cookie=hub.cookie("admin"))
        w = body["walls"][0]
        return w["scene"], w["scene_by"], w

    def hub(self, clock):
        h = cwtest.hub_with_config(SCHEDULE, clock=clock)
        self.addCleanup(h.close)
        return h

    def test_across_1730_on_a_working_day(self):
        # Monday 2026-11-23 17:29:50 at 1x... 10 real seconds to 17:30: the playlist first
        hub = self.hub("2026-11-23T17:29:50+08:00@1")
        self.assertEqual(self.scene(hub)[:2], ("overview", "playlist"))
        # the playlist moves on after 5 s: cameras (still before 17:30)
        cwtest.wait_until(lambda: self.scene(hub)[:2] == ("cameras", "playlist"), 8,
                          interval=0.1, what="cameras after 5 s")
        # 17:30: the night scene, recorded
        cwtest.wait_until(lambda: self.scene(hub)[:2] == ("night", "schedule"), 12,
                          interval=0.1, what="night at 17:30")
        log = self.scene(hub)[2]["log"]
        self.assertEqual((log[0]["action"], log[0]["who"], log[0]["what"], log[0]["why"]),
                         ("scene", "schedule", "night", "schedule entry 1 (working day)"))

    def test_tiaoxiu_saturday_works_an_ordinary_saturday_does_not(self):
        hub = self.hub("2026-10-10T10:00:00+08:00@1")  # 调休 Saturday: a working day
        self.assertEqual(self.scene(hub)[:2], ("overview", "playlist"))
        hub2 = self.hub("2026-10-17T10:00:00+08:00@1")  # an ordinary Saturday: a day off
        self.assertEqual(self.scene(hub2)[:2], ("night", "schedule"))

    def test_operator_scene_holds_for_show_s(self):
        hub = self.hub("2026-11-23T10:00:00+08:00@1")
        r = hub.request("POST", "/api/v1/walls/main/show", body={"scene": "statistics"},
                        cookie=hub.cookie("city"), headers={"Origin": hub.origin})
        self.assertEqual(r.status, 200)
        w = r.json["wall"]
        self.assertEqual((w["scene"], w["scene_by"]), ("statistics", "operator"))
        self.assertIn("scene_until_ms", w)


if __name__ == "__main__":
    cwtest.main()
