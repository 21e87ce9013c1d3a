"""Fault: a hall gateway through a hub outage and its own kill -9s (issue 19, docs/gateway.md).

citywall-gateway runs three inputs that produce events all along -- a vendor posting webhooks
(取叫号), an evaluator table tailed over ODBC (sqlite through libsqliteodbc) and an export job
dropping CSV files -- plus heartbeats. The hub is killed and stays down for CW_GW_OUTAGE_S
(60) seconds; meanwhile the gateway is kill -9'd CW_GW_KILLS (10) times at random moments
(CW_FAULT_SEED reproduces them) and started again. When the hub is back and the inputs stop,
the hub must hold, per feed, seqs 1..N once each and in the inputs' order: every webhook
record the vendor was answered 200 for (the vendor sends a batch again until it is answered;
a batch committed but not answered before a kill comes back as a repeat and is taken once),
every row of the table, every row of every CSV file; no conflict in the
hub's quarantine (a seq never reused for another event) and nothing in the gateway's."""

import os
import random
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import cwtest  # noqa: E402
import gwtest  # noqa: E402
from cwtest import log, wait_until  # noqa: E402

OUTAGE_S = float(os.environ.get("CW_GW_OUTAGE_S", "60"))
KILLS = int(os.environ.get("CW_GW_KILLS", "10"))
SEED = int(os.environ.get("CW_FAULT_SEED", str(int(time.time()))))


class GatewayOutage(unittest.TestCase):
    def test_hub_outage_and_gateway_kill9_lose_nothing_send_nothing_twice(self):
        rng = random.Random(SEED)
        log("seed %d (CW_FAULT_SEED=%d reproduces the kill moments)" % (SEED, SEED))
        hub = cwtest.Hub(clock=None)
        gw = gwtest.Gateway(hub, heartbeat_s=2)
        stop = threading.Event()
        told = []        # webhook tickets answered 200, in the order they were sent
        attempted = []   # every webhook ticket sent
        rows = [0]       # table rows inserted: ids 1..rows[0]
        csv_tickets = []  # every CSV row's ticket, file by file
        errors = []

        repeats = [0]

        def webhook():
            # a vendor system: it sends a batch again until it gets a 200 (a lost answer after
            # the gateway's commit makes that a repeat, taken once thanks to dedupe_days)
            serial = 0
            prng = random.Random(SEED + 1)
            batch = []
            while not stop.is_set():
                if not batch:
                    for _ in range(prng.randint(1, 4)):
                        serial += 1
                        batch.append(gwtest.queue_record(serial, "W%05d" % serial))
                    attempted.extend(r["ticketNo"] for r in batch)
                try:
                    st, body = gw.post_queue(batch, timeout=5)
                except OSError:
                    st, body = None, None
                if st == 200:
                    if body.get("taken") + body.get("repeats") != len(batch):
                        errors.append("webhook answer %r for %d records" % (body, len(batch)))
                    repeats[0] += body.get("repeats")
                    told.extend(r["ticketNo"] for r in batch)
                    batch = []
                time.sleep(0.03)

        def table():
            while not stop.is_set():
                gwtest.insert_reviews(gw.vendor_db, rows[0] + 1, 1)
                rows[0] += 1
                time.sleep(0.1)

        def folder():
            n = 0
            while not stop.is_set():
                n += 1
                tickets = ["F%04d-%d" % (n, i) for i in range(3)]
                gwtest.drop_csv(gw.csv_dir, "export-%04d.csv" % n,
                                [(gwtest.local_ts(), t, "k") for t in tickets])
                csv_tickets.extend(tickets)
                time.sleep(0.4)

        threads = [threading.Thread(target=f, daemon=True) for f in (webhook, table, folder)]
        try:
            for t in threads:
                t.start()
            time.sleep(3)
            hub.kill9()
            t_down = time.monotonic()
            log("hub down; %d webhook records told taken so far" % len(told))
            kill_at = sorted(rng.uniform(1, OUTAGE_S - 2) for _ in range(KILLS))
            for i, k in enumerate(kill_at):
                delay = t_down + k - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                gw.kill9()
                time.sleep(rng.uniform(0, 0.5))
                gw.start()
                log("gateway kill -9 #%d at +%.1f s of the outage (outbox %d events)" %
                    (i + 1, time.monotonic() - t_down, gw.outbox_depth()))
            delay = t_down + OUTAGE_S - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            depth = gw.outbox_depth()
            log("outbox holds %d events after %.0f s of outage" % (depth, OUTAGE_S))
            self.assertGreater(depth, 100)
            hub.restart()
            t_up = time.monotonic()
            time.sleep(3)
            stop.set()
            t_stop = time.monotonic()
            for t in threads:
                t.join(10)
            self.assertEqual(errors, [])
            wait_until(lambda: gw.outbox_depth() == 0 and
                       not [f for f in os.listdir(gw.csv_dir) if f.endswith(".csv")] and
                       gw.status()["positions"].get("reviews-db") == str(rows[0]),
                       120, interval=0.2, what="the gateway to take and forward everything")
            log("outbox drained %.1f s after the hub came back (the inputs went on for 3 s; "
                "%.1f s after they stopped)" % (time.monotonic() - t_up,
                                                time.monotonic() - t_stop))

            feeds = gwtest.hub_feeds(hub)
            # webhook: every record told taken, none twice, in the vendor's order
            queue = feeds.get("queue", [])
            got = [e["data"]["ticket"] for e in queue]
            self.assertEqual([e["seq"] for e in queue], list(range(1, len(queue) + 1)))
            self.assertEqual(len(got), len(set(got)), "a webhook record stored twice")
            self.assertEqual(got, sorted(got), "webhook records out of order")
            missing = sorted(set(told) - set(got))
            self.assertEqual(missing, [], "told taken but not at the hub")
            self.assertTrue(set(got) <= set(attempted))
            # every batch was sent again until answered: only the last one may be unanswered
            self.assertLessEqual(len(attempted) - len(told), 4)
            log("feed queue: %d events (%d told taken, %d sent, %d repeats of a batch whose "
                "answer a kill cut), seqs 1..%d, exactly once" %
                (len(got), len(told), len(attempted), repeats[0], len(got)))
            gwtest.check_feed(self, "reviews", feeds.get("reviews", []),
                              lambda e: e["data"]["review"],
                              ["R%d" % i for i in range(1, rows[0] + 1)])
            gwtest.check_feed(self, "csv", feeds.get("csv", []), lambda e: e["data"]["ticket"],
                              csv_tickets)
            hb = [e["seq"] for e in feeds.get("gw-hb", [])]
            self.assertEqual(hb, list(range(1, len(hb) + 1)), "heartbeat seqs")
            self.assertGreater(len(hb), 0)
            st, q = hub.admin_get("/api/v1/quarantine")
            self.assertEqual(cwtest.as_list(q, "quarantine", "items"), [],
                             "the hub quarantined something (a conflict: a seq reused?)")
            self.assertEqual(gw.quarantine_rows(), [])
            log("%d gateway starts, %d events at the hub in all" %
                (gw.starts, sum(len(v) for v in feeds.values())))
        finally:
            stop.set()
            try:
                gw.close()
            finally:
                hub.close()


if __name__ == "__main__":
    cwtest.main()
