"""One wall, many hosts (docs/wall.md "One wall, many hosts"): three citywall-wall processes
drive the bottom row of the 3x3 wall (`--wall main --viewport ...`), each under its own Xvfb,
against a real hub whose `walls:` entry steps the tour every 2 s. The hub decides the tour
position (the live topic wall/main); every host shows it.

- after 5 tour steps every host has shown every step, in order, and the same one at the end
  (present logs and text dumps), and the switch times of each step (CLOCK_MONOTONIC of the
  first presented frame showing it, one machine) lie close together: the skew is printed
  (p50 / p99 / max) and must stay under SKEW_MAX_MS;
- one host killed (SIGKILL) and started again shows the current step with its first wall
  frame, and follows the next steps with the others.

The hub's clock is 19:00 on a Monday (every hall closed: no alert pins the hero here)."""

import os
import shutil
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import walltest as wt  # noqa: E402
from walltest import cwtest  # noqa: E402

CLOCK = "2026-11-23T19:00:00+08:00@1"
TOUR_S = 2
# One frame at 60 Hz is 16.7 ms. The hosts here are three ASan builds on Mesa llvmpipe sharing
# two cores with the hub and their X servers, so a host may be busy drawing the previous frame
# when the step arrives; the bound allows for that, and the measured figures are printed.
SKEW_MAX_MS = 50


class TestWallSync(unittest.TestCase):
    def setUp(self):
        self.tmp = wt.make_tmp()
        self.hub = cwtest.hub_with_config([("    tour_s: 15\n", "    tour_s: %d\n" % TOUR_S)],
                                          clock=CLOCK)
        self.hosts = [wt.Host(self.hub, n, vp, self.tmp) for n, vp in sorted(wt.VIEWPORTS.items())]

    def tearDown(self):
        for h in self.hosts:
            h.stop()
        self.hub.close()
        if os.environ.get("CW_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("kept", self.tmp)

    def steps_shown(self, h):
        """{step: mono_us of the first frame that showed it}."""
        out = {}
        for ln in h.lines():
            out.setdefault(ln["step"], ln["mono_us"])
        return out

    def test_three_hosts_one_tour(self):
        for h in self.hosts:
            h.start()
        # every host shows the wall's state
        cwtest.wait_until(lambda: all(h.lines() for h in self.hosts), 60,
                          what="every host presenting the wall state")
        start = max(max(self.steps_shown(h)) for h in self.hosts)

        # five tour steps after the last host joined, every host shows each one
        def five_more():
            shown = [self.steps_shown(h) for h in self.hosts]
            return all(all(s in sh for s in range(start + 1, start + 6)) for sh in shown)
        cwtest.wait_until(five_more, 6 * TOUR_S + 30, interval=0.2,
                          what="5 tour steps shown on all three hosts")
        shown = [self.steps_shown(h) for h in self.hosts]
        skews = []
        for s in range(start + 1, start + 6):
            t = [sh[s] for sh in shown]
            skews.append((max(t) - min(t)) / 1000.0)
        # the hub's steps are TOUR_S apart: so are the frames that show them (each host)
        for sh in shown:
            gaps = [(sh[s + 1] - sh[s]) / 1e6 for s in range(start + 1, start + 5)]
            for g in gaps:
                self.assertAlmostEqual(g, TOUR_S, delta=0.25, msg=gaps)
        print("scene switch skew over 3 hosts, %d steps: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (len(skews), wt.percentile(skews, 50), wt.percentile(skews, 99), max(skews)),
              file=sys.stderr)
        self.assertLessEqual(max(skews), SKEW_MAX_MS, skews)

        # the text dumps agree (the same wall rev, step and hero) once a step has settled
        def dumps_agree():
            d = [h.wall_dump() for h in self.hosts]
            if not all(d):
                return None
            keys = {(x["rev"], x["step"], x["hero"]) for x in d}
            return d if len(keys) == 1 else None
        d = cwtest.wait_until(dumps_agree, 10, interval=0.1, what="the three text dumps agree")
        self.assertEqual(d[0]["wall"], "main")
        self.assertEqual(d[0]["scene"], "overview")

        # the hub lists the three hosts with their reports (every 10 s)
        def listed():
            st, body = self.hub.get("/api/v1/walls", cookie=self.hub.cookie("admin"))
            hosts = {h["id"]: h for h in body["walls"][0]["hosts"]}
            ok = all(hosts[n]["connected"] and "fps" in hosts[n].get("report", {})
                     for n in wt.VIEWPORTS)
            return hosts if ok else None
        hosts = cwtest.wait_until(listed, 25, interval=0.5, what="hosts in GET /api/v1/walls")
        self.assertFalse(hosts["r1c1"]["connected"])
        self.assertEqual(hosts["r3c2"]["viewport"], [1944, 2208, 1920, 1080])
        self.assertEqual(hosts["r3c2"]["report"]["wall"], "main")

        # one host killed and restarted rejoins the current state at once
        victim = self.hosts[1]
        victim.kill()
        t_start = time.monotonic()
        victim.start()
        first = cwtest.wait_until(lambda: (victim.lines() or [None])[0], 60, interval=0.1,
                                  what="the restarted host's first wall frame")
        joined_s = time.monotonic() - t_start
        # the step it showed first is the one the hub had when that frame was presented
        others = [self.steps_shown(h) for h in (self.hosts[0], self.hosts[2])]
        current = [max(s for s, t in sh.items() if t <= first["mono_us"]) for sh in others]
        # A step that changed while the new host was between receiving its state and presenting
        # its first frame (fonts, GL: slower on a loaded machine) shows on its second frame; its
        # first may then show the step before, if the change is under IN_FLIGHT_US old.
        IN_FLIGHT_US = 1_000_000
        allowed = set(current)
        for sh, cur in zip(others, current):
            before = [(t, s) for s, t in sh.items() if t < sh[cur]]
            if before and first["mono_us"] - sh[cur] < IN_FLIGHT_US:
                allowed.add(max(before)[1])  # the step shown just before cur
        self.assertIn(first["step"], allowed, (first, current, others))
        print("restarted host: first wall frame %.1f s after spawn (Xvfb, GL, fonts, connect), "
              "step %d = the others' %r" % (joined_s, first["step"], current), file=sys.stderr)
        # and it follows the next step with the others
        nxt = first["step"] + 1
        cwtest.wait_until(lambda: all(nxt in self.steps_shown(h) for h in self.hosts),
                          TOUR_S + 15, interval=0.2, what="the next step on all hosts")
        t = [self.steps_shown(h)[nxt] for h in self.hosts]
        print("after the restart, step %d skew %.1f ms" % (nxt, (max(t) - min(t)) / 1000.0),
              file=sys.stderr)
        self.assertLessEqual((max(t) - min(t)) / 1000.0, SKEW_MAX_MS)


if __name__ == "__main__":
    cwtest.main()
