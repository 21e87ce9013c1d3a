"""Fault: kill -9 of the hub at random moments while two gateways (one HTTP, one WebSocket)
stream acknowledged events (SPEC §3.2, §10). After every restart each acknowledged
(hall, feed, seq) is stored exactly once; at the end the KPIs equal those of a clean hub fed
the same stored events. CW_FAULT_ROUNDS (default 10) sets the rounds, CW_FAULT_SEED the seed."""

import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402

ROUNDS = int(os.environ.get("CW_FAULT_ROUNDS", "10"))
SEED = int(os.environ.get("CW_FAULT_SEED", str(int(time.time()))))


class Kill9Rounds(unittest.TestCase):
    def test_kill9_rounds_exactly_once_and_kpis_equal_clean_replay(self):
        rng = random.Random(SEED)
        cwtest.log("seed %d (CW_FAULT_SEED=%d reproduces the kill moments)" % (SEED, SEED))
        hub = cwtest.Hub()
        try:
            streams = [faultlib.Stream(hub, "LH-03", "queue"), faultlib.Stream(hub, "LH-07")]
            transports = ["http", "ws"]
            acked = {}
            restarts = []
            t_start = time.monotonic()
            for rnd in range(ROUNDS):
                gws = [faultlib.Gateway(hub, st, tr, acked).start()
                       for st, tr in zip(streams, transports)]
                base = dict(acked)
                cwtest.wait_until(lambda: all(acked.get(st.key, 0) > base.get(st.key, 0)
                                              for st in streams) or
                                  any(g.error for g in gws), 20,
                                  what="an acknowledged batch on every gateway")
                time.sleep(rng.uniform(0.0, 0.8))  # the random kill moment, not a wait
                hub.kill9()
                for g in gws:
                    g.stop()
                    self.assertIsNone(g.error, "gateway %s: %r" % (g.stream.key, g.error))
                t = hub.restart(kill=False)
                restarts.append(t)
                for st in streams:
                    faultlib.check_exactly_once(self, hub, st, acked.get(st.key, 0),
                                                "round %d" % rnd)
                cwtest.log("round %d: acked %r, sent %r, restart to ready %.3f s" %
                           (rnd, acked, {st.key: len(st.events) for st in streams}, t))
            # a last clean pass: the gateways resend from their acks and finish
            gws = [faultlib.Gateway(hub, st, tr, acked, limit=len(st.events)).start()
                   for st, tr in zip(streams, transports)]
            for g in gws:
                cwtest.wait_until(lambda: acked.get(g.stream.key, 0) >= len(g.stream.events)
                                  or g.error, 60, what="the final resend")
                g.stop()
                self.assertIsNone(g.error)
            totals = {"stored": 0, "lost": 0, "duplicates": 0}
            for st in streams:
                n, lost, dups = faultlib.check_exactly_once(self, hub, st, acked[st.key],
                                                            "final")
                self.assertEqual(n, len(st.events))  # complete after the resend
                totals["stored"] += n
                totals["lost"] += lost
                totals["duplicates"] += dups
            halls = {st.hall: faultlib.steady_kpi(hub.hall(st.hall)["kpi"]) for st in streams}
            city = faultlib.steady_kpi(hub.snapshot()["kpi"])
            want_halls, want_city = faultlib.replay_kpis(
                streams, {st.key: len(st.events) for st in streams})
            self.assertEqual(halls, want_halls)
            self.assertEqual(city, want_city)
            self.assertGreater(halls["LH-03"].get("issued", 0), 0)
            self.assertEqual(hub.sanitizer_reports(), [])
            restarts.sort()
            faultlib.write_result("kill9", {
                "rounds": ROUNDS, "seed": SEED, "events": totals["stored"],
                "lost": totals["lost"], "duplicates": totals["duplicates"],
                "restart_s_median": round(restarts[len(restarts) // 2], 3),
                "restart_s_max": round(restarts[-1], 3),
                "wall_s": round(time.monotonic() - t_start, 1)})
        finally:
            hub.close()


if __name__ == "__main__":
    cwtest.main()
