"""Fault, cluster mode (docs/cluster.md): 3 NATS nodes + 2 hubs on one replicated log.

- kill -9 of the hub two gateways (one HTTP, one WebSocket) ingest through, at random moments,
  CW_FAULT_ROUNDS rounds (default 10), the hub killed alternating: the gateways fail over to
  the other hub and resend from their last ack. After every round each acknowledged
  (hall, feed, seq) is stored exactly once on the surviving hub; at the end both hubs hold the
  same rows in the same order, and their KPIs equal a clean single hub fed the same events;
- kill -9 of one NATS node while the gateways ingest: ingest goes on (two of three replicas
  are a quorum), nothing acknowledged is lost, and the node rejoins and holds the whole
  stream again.
"""

import os
import random
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402
import natscluster  # noqa: E402
from test_cluster import stored_rows  # noqa: E402

ROUNDS = int(os.environ.get("CW_FAULT_ROUNDS", "10"))
SEED = int(os.environ.get("CW_FAULT_SEED", str(int(time.time()))))


def run_gateways(hub, streams, acked, transports=("http", "ws"), limit=None):
    """Gateways that resend a batch answered 503 ("send it again"), as real ones do."""
    return [faultlib.Gateway(hub, st, tr, acked, limit=limit if limit is not None else 200000,
                             retry_503=True).start()
            for st, tr in zip(streams, transports)]


def wait_progress(streams, acked, gws, base, timeout=20):
    cwtest.wait_until(lambda: all(acked.get(st.key, 0) > base.get(st.key, 0) for st in streams)
                      or any(g.error for g in gws), timeout,
                      what="an acknowledged batch on every gateway")


class ClusterFailover(unittest.TestCase):
    def setUp(self):
        self.nats = natscluster.NatsCluster(3)
        self.hubs = natscluster.ClusterHubs(self.nats, 2)

    def tearDown(self):
        self.hubs.close()
        self.nats.close()

    def finish_and_check(self, streams, acked, hub):
        """The gateways resend through `hub` from their acks and finish; then exactly once on
        both hubs, the same rows on both, KPIs as a clean hub's."""
        gws = run_gateways(hub, streams, acked,
                           limit=None)
        for g, st in zip(gws, streams):
            g.limit = len(st.events)
        for g in gws:
            cwtest.wait_until(lambda: acked.get(g.stream.key, 0) >= len(g.stream.events)
                              or g.error, 60, what="the final resend")
            g.stop()
            self.assertIsNone(g.error)
        natscluster.wait_converged(self.hubs, 60)
        totals = {"stored": 0, "lost": 0, "duplicates": 0}
        for h in self.hubs:
            for st in streams:
                s, lost, dups = faultlib.check_exactly_once(self, h, st, len(st.events),
                                                            "final, hub %s" % h.name)
                if h is self.hubs[0]:
                    totals["stored"] += s
                    totals["lost"] += lost
                    totals["duplicates"] += dups
        self.assertEqual(stored_rows(self.hubs[0]), stored_rows(self.hubs[1]),
                         "both stores: the same rows in the same order")
        halls, city = faultlib.replay_kpis(streams, {st.key: len(st.events) for st in streams})
        for h in self.hubs:
            for st in streams:
                self.assertEqual(faultlib.steady_kpi(h.hall(st.hall)["kpi"]), halls[st.hall],
                                 "hub %s %s" % (h.name, st.hall))
            self.assertEqual(faultlib.steady_kpi(h.snapshot()["kpi"]), city, "hub %s" % h.name)
        return totals

    def test_kill9_of_a_hub_gateways_fail_over_exactly_once(self):
        rng = random.Random(SEED)
        cwtest.log("seed %d (CW_FAULT_SEED=%d reproduces the kill moments)" % (SEED, SEED))
        streams = [faultlib.Stream(self.hubs[0], "LH-03", "queue"),
                   faultlib.Stream(self.hubs[0], "LH-07")]
        acked = {}
        failover = []
        for rnd in range(ROUNDS):
            victim, other = self.hubs[rnd % 2], self.hubs[(rnd + 1) % 2]
            gws = run_gateways(victim, streams, acked)
            wait_progress(streams, acked, gws, dict(acked))
            time.sleep(rng.uniform(0.0, 0.8))  # the random kill moment, not a wait
            victim.kill9()
            for g in gws:
                g.stop()
                self.assertIsNone(g.error, "gateway %s: %r" % (g.stream.key, g.error))
            # fail over: the same gateways resend from their last ack through the other hub
            t = time.monotonic()
            base = dict(acked)
            gws = run_gateways(other, streams, acked)
            wait_progress(streams, acked, gws, base)
            failover.append(time.monotonic() - t)
            for g in gws:
                g.stop()
                self.assertIsNone(g.error, "gateway %s on %s: %r" % (g.stream.key, other.name,
                                                                     g.error))
            for st in streams:
                faultlib.check_exactly_once(self, other, st, acked.get(st.key, 0),
                                            "round %d, hub %s" % (rnd, other.name))
            self.hubs.restart(victim, kill=False)
            cwtest.log("round %d: hub %s killed, acked %r, first ack through hub %s after "
                       "%.3f s" % (rnd, victim.name, acked, other.name, failover[-1]))
        totals = self.finish_and_check(streams, acked, self.hubs[0])
        failover.sort()
        faultlib.write_result("cluster_kill9_hub", {
            "rounds": ROUNDS, "seed": SEED, **totals,
            "failover_first_ack_p50_s": round(failover[len(failover) // 2], 3),
            "failover_first_ack_max_s": round(failover[-1], 3)})
        cwtest.log("%d rounds: %r; first ack after failover p50 %.3f s, max %.3f s" %
                   (ROUNDS, totals, failover[len(failover) // 2], failover[-1]))

    def test_kill9_of_a_nats_node_ingest_goes_on(self):
        streams = [faultlib.Stream(self.hubs[0], "LH-03", "queue"),
                   faultlib.Stream(self.hubs[0], "LH-07")]
        acked = {}
        gws = run_gateways(self.hubs[0], streams, acked)
        wait_progress(streams, acked, gws, {})
        # the worst node to lose: the one leading the stream (a new leader must be elected)
        victim = self.nats.stream_leader(self.hubs.stream)
        self.nats.kill9(victim)
        base = dict(acked)
        t = time.monotonic()
        for _ in range(4):  # two of three replicas are a quorum: ingest goes on
            wait_progress(streams, acked, gws, dict(acked), timeout=30)
        took = time.monotonic() - t
        gap = max(g.max_gap_s for g in gws)
        retried = sum(g.retried for g in gws)
        cwtest.log("stream leader n%d killed: 4 more acknowledged batches on every gateway "
                   "within %.3f s; longest time between two acks %.3f s; %d batches answered "
                   "503 and sent again" % (victim, took, gap, retried))
        faultlib.write_result("cluster_kill9_nats_leader",
                              {"four_batches_s": round(took, 3), "max_ack_gap_s": round(gap, 3),
                               "resent_503": retried})
        for g in gws:
            self.assertIsNone(g.error, "gateway %s: %r" % (g.stream.key, g.error))
            self.assertIsNone(g.died, "gateway %s: %r" % (g.stream.key, g.died))
        self.nats.start(victim)
        for g in gws:
            g.stop()
        self.finish_and_check(streams, acked, self.hubs[1])
        # the node that was down holds the whole stream again
        last = natscluster.applied_position(self.hubs[0])

        def caught_up():
            for acc in self.nats.jsz(victim).get("account_details", []):
                for s in acc.get("stream_detail", []):
                    if s["name"] == self.hubs.stream:
                        return s["state"]["last_seq"] >= last
            return False
        cwtest.wait_until(caught_up, 30, interval=0.2, what="the restarted node caught up")


if __name__ == "__main__":
    cwtest.main()
