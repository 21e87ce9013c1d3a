"""Fault: the hub is killed (kill -9) while live clients watch (SPEC §4, §10). Every client
sees its connection end within 2 s (what a wall or browser turns into STALE), and after the
restart each one reconnects with its last {epoch, rev}, gets a fresh snapshot of the new
epoch and converges to the hub's state, which still holds every acknowledged event. The STALE
rendering itself is tested by the wall and dashboard suites."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402

N_CLIENTS = 20
ROUNDS = 3


class HubKilledWhileWatched(unittest.TestCase):
    def test_clients_see_the_loss_within_2s_and_resume(self):
        hub = cwtest.Hub()
        clients = []
        try:
            f = cwtest.Feeder(hub, "LH-11", feed="watch")
            f.send([f.issued() for _ in range(5)])
            clients = [cwtest.LiveClient(hub, token=cwtest.TOKEN_WALL) for _ in range(N_CLIENTS)]
            for c in clients:
                c.subscribe(["city"])
            for c in clients:
                c.wait_snapshot("city", timeout=10)
            detect, resume = [], []
            for rnd in range(ROUNDS):
                f.send([f.issued() for _ in range(3)])
                issued = f.n
                for c in clients:
                    c.wait_for(lambda c: c.state["city"]["halls"]["LH-11"]["kpi"]["issued"]
                               == issued, 5, "issued=%d before the kill" % issued)
                since = [{"epoch": c.epoch, "rev": c.rev["city"]} for c in clients]
                t_kill = time.monotonic()
                hub.kill9()
                for c in clients:
                    c.wait_for(lambda c: c.closed, 2, "the client to see the hub gone")
                    detect.append(time.monotonic() - t_kill)
                old_epoch = clients[0].epoch
                hub.restart(kill=False)
                t_up = time.monotonic()
                fresh = []
                for c, s in zip(clients, since):
                    n = cwtest.LiveClient(hub, token=cwtest.TOKEN_WALL)
                    n.subscribe(["city"], since=s)
                    fresh.append(n)
                for n in fresh:
                    n.wait_for(lambda n: n.state["city"]["halls"]["LH-11"]["kpi"]["issued"]
                               == issued, 10, "issued=%d after the restart" % issued)
                    self.assertNotEqual(n.epoch, old_epoch)
                    self.assertIn("snapshot", [m.get("op") for _, m in n.msgs])
                    self.assertEqual(n.bad, [])
                resume.append(time.monotonic() - t_up)
                for c in clients:
                    c.close()
                clients = fresh
                cwtest.log("round %d: loss seen within %.3f s (max), resumed %.3f s after ready"
                           % (rnd, max(detect[-N_CLIENTS:]), resume[-1]))
            self.assertLess(max(detect), 2.0)
            faultlib.write_result("hub_kill_watchers", {
                "rounds": ROUNDS, "clients": N_CLIENTS, "events": f.seq,
                "loss_seen_max_s": round(max(detect), 3),
                "resume_after_ready_max_s": round(max(resume), 3)})
        finally:
            for c in clients:
                c.close()
            hub.close()


if __name__ == "__main__":
    cwtest.main()
