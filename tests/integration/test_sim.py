"""The simulator against a real hub (SPEC §1): citywall-sim on the hub's clock produces traffic
that the hub accepts whole (nothing quarantined) and that moves the city KPIs."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import TOKEN_ALL_HALLS, TOKEN_WALL  # noqa: E402

CLOCK = "2026-11-23T09:00:00+08:00@60"


class TestSim(unittest.TestCase):
    def test_sim_drives_the_hub(self):
        self.assertTrue(os.path.exists(cwtest.SIM_BIN), "citywall-sim not found at %s" %
                        cwtest.SIM_BIN)
        hub = cwtest.Hub(clock=CLOCK)
        try:
            out = open(os.path.join(hub.tmp, "sim.out"), "wb")
            sim = subprocess.Popen([cwtest.SIM_BIN, "--hub", hub.http_url, "--token",
                                    TOKEN_ALL_HALLS, "--config", cwtest.DEMO_CONFIG,
                                    "--clock", CLOCK, "--seed", "7", "--duration", "8"],
                                   stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=cwtest._pdeathsig)
            out.close()
            t0 = time.monotonic()

            def issued():
                return hub.snapshot(token=TOKEN_WALL)["kpi"].get("issued", 0)
            first = cwtest.wait_until(issued, 6, interval=0.1,
                                      what="the city's issued KPI to become > 0")
            self.assertGreater(first, 0)
            # two reads 1 s apart differ while the sim runs
            reads = [issued()]
            time.sleep(1.0)  # the spacing of two reads is the point of the check
            reads.append(issued())
            cwtest.log("city issued: %r (at %.1f s)" % (reads, time.monotonic() - t0))
            self.assertGreater(reads[1], reads[0])
            try:
                rc = sim.wait(20)
            except subprocess.TimeoutExpired:
                sim.kill()
                sim.wait()
                self.fail("citywall-sim --duration 8 still running after %.0f s" %
                          (time.monotonic() - t0))
            with open(os.path.join(hub.tmp, "sim.out"), "rb") as f:
                simlog = f.read().decode("utf-8", "replace")
            self.assertEqual(rc, 0, simlog[-2000:])
            elapsed = time.monotonic() - t0
            self.assertLess(elapsed, 14, "--duration 8 ran %.1f s" % elapsed)
            # nothing it sent was rejected or conflicting
            st, body = hub.admin_get("/api/v1/quarantine")
            self.assertEqual(st, 200, body)
            q = cwtest.as_list(body, "quarantine", "items", "events")
            self.assertEqual(q, [], "quarantined sim events: %s" % str(q[:5])[:2000])
            m = hub.metrics()
            rej = {k: v for k, v in m.items() if "reject" in k and v}
            self.assertEqual(rej, {}, rej)
            # it exercised several halls and opened windows
            snap = hub.snapshot(token=TOKEN_WALL)
            busy = [h for h, d in snap["halls"].items() if d.get("kpi", {}).get("issued")]
            self.assertGreaterEqual(len(busy), 3, busy)
            self.assertGreater(snap["kpi"].get("windows_open", 0), 0)
        finally:
            hub.close()


if __name__ == "__main__":
    cwtest.main()
