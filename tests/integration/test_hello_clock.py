"""The live hello carries the hub's business clock (SPEC §1, §4: `now`, `speed`).

A hub started with --clock 2026-11-23T09:30:00+08:00@60 must say, in every hello, the business
instant it is at and the speed 60, so that clients (dashboard, wall, bench) never guess the
clock. The tolerances are computed from the test's own real-time measurements, not picked:

- first hello: the hub anchored START at some real instant after the test spawned it (t_spawn)
  and sent the hello before the client received it (t_rx), so
  0 <= now - START <= (t_rx - t_spawn) x 60 (+ 1 ms of the hub's ms rounding);
- a second hello later: now2 - now1 lies in [(t_req2 - t_rx1) x 60, (t_rx2 - t_req1) x 60]
  (each hello was sent between its auth request and its arrival).

And the bench: `citywall-bench fanout` without --clock against that hub (whose business day,
2026-11-23, is not today's real date) measures, taking the day from the hello.
"""

import datetime
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402

START = "2026-11-23T09:30:00+08:00"
SPEED = 60
HUB = None
T_SPAWN = None


def setUpModule():
    global HUB, T_SPAWN
    T_SPAWN = time.monotonic()
    HUB = cwtest.Hub(clock="%s@%d" % (START, SPEED))


def tearDownModule():
    if HUB:
        HUB.close()


def ms(rfc):
    return datetime.datetime.fromisoformat(rfc).timestamp() * 1000.0


def hello_timed(**kw):
    """Connect, authenticate, wait for the hello: (t_request, t_received, hello)."""
    c = cwtest.LiveClient(HUB, auth=False, **kw)
    try:
        t_req = time.monotonic()
        if "cookie" not in kw:
            c.send({"op": "auth", "token": cwtest.TOKEN_WALL})
        i, m = c.wait_op("hello", timeout=10)
        return t_req, c.msgs[i][0], m
    finally:
        c.close()


class TestHelloClock(unittest.TestCase):
    def test_hello_now_follows_the_clock_at_speed_60(self):
        t_req1, t_rx1, h1 = hello_timed()
        self.assertEqual(h1["speed"], SPEED, h1)
        self.assertIsInstance(h1["speed"], int)  # "speed":60, as in SPEC §4, not 60.0
        self.assertRegex(h1["now"], r"^2026-11-23T\d\d:\d\d:\d\d\.\d{3}\+08:00$")
        d1 = ms(h1["now"]) - ms(START)
        # the hub reads a monotonic clock in whole ms: its business now moves in steps of
        # SPEED ms, so each bound gets one step of slack
        hi = (t_rx1 - T_SPAWN) * 1000.0 * SPEED + SPEED
        cwtest.log("hello 1: now %s = START + %.0f ms (allowed 0..%.0f)" % (h1["now"], d1, hi))
        self.assertGreaterEqual(d1, 0)
        self.assertLessEqual(d1, hi)

        # ~1.5 s of real time later: 90 business seconds on
        cwtest.wait_until(lambda: time.monotonic() - t_rx1 >= 1.5, 5, what="1.5 s to pass")
        t_req2, t_rx2, h2 = hello_timed()
        d = ms(h2["now"]) - ms(h1["now"])
        lo = (t_req2 - t_rx1) * 1000.0 * SPEED - SPEED
        hi = (t_rx2 - t_req1) * 1000.0 * SPEED + SPEED
        cwtest.log("hello 2: %.0f business ms after hello 1 (allowed %.0f..%.0f)" % (d, lo, hi))
        self.assertGreaterEqual(d, lo)
        self.assertLessEqual(d, hi)

    def test_browser_hello_has_the_clock_too(self):
        _, _, h = hello_timed(cookie=HUB.cookie("city"))
        self.assertEqual((h["user"], h["role"], h["speed"]), ("city", "city", SPEED))
        self.assertTrue(h["now"].startswith("2026-11-23T"), h)


class TestBenchTakesTheHubClock(unittest.TestCase):
    def test_fanout_without_clock_flag(self):
        bench = os.path.join(cwtest.BUILD_DIR, "citywall-bench")
        issued0 = HUB.hall("LH-07")["kpi"].get("issued", 0)
        p = subprocess.run([bench, "fanout", "--hub", HUB.http_url, "--config", cwtest.DEMO_CONFIG,
                            "--duration", "1", "--clients", "3", "--rate", "20", "--hall", "LH-07"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           timeout=120, cwd=cwtest.SOURCE_DIR)
        out = p.stdout.decode().splitlines()
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 0, "stdout %s\nstderr %s" % (out[-5:], err[-2000:]))
        res = json.loads(out[-1])
        self.assertEqual((res["mode"], res["clients"]), ("fanout", 3))
        self.assertGreater(res["events"], 0)
        # every published ticket counts in the hub's business day: the bench used its clock
        cwtest.wait_until(lambda: HUB.hall("LH-07")["kpi"].get("issued", 0) - issued0 == res["events"],
                          10, what="issued to move by the bench's events")
        self.assertEqual(res["deliveries"], res["events"] * 3, res)


if __name__ == "__main__":
    cwtest.main()
