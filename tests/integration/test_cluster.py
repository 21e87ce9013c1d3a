"""Cluster mode (docs/cluster.md): a real 3-node NATS JetStream cluster on loopback and two
hubs of one city sharing one replicated log.

- an event taken in at hub A reaches a live client of hub B; the same batch sent to B again is
  all duplicates (exact dedupe across hubs), and both stores hold the same rows in the same
  order;
- after a mixed morning of events sent alternately to A and B, every hall's KPIs and the
  city's are equal on both hubs and equal to a clean single hub fed the same events;
- a hub stopped while the other takes events catches up from its own store plus the log
  (it consumes only what it missed: its log position, not history);
- a webhook receiver gets exactly one post when an alert fires on both hubs, and exactly one
  resolved post after the hub that sent the first was killed (the notifier lease moved);
- with two of the three NATS nodes down there is no quorum: ingest answers 503 (nothing is
  acknowledged) within cluster.ack_wait_ms, and works again when a node comes back.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))
import alerttest  # noqa: E402
import cwtest  # noqa: E402
import faultlib  # noqa: E402
import natscluster  # noqa: E402

nats = None


def setUpModule():
    global nats
    nats = natscluster.NatsCluster(3)


def tearDownModule():
    nats.close()


def heartbeat(hall, seq, sec):
    return cwtest.ev(hall, seq, "hall.heartbeat", "09:00:%02d" % sec, feed="hb")


def stored_rows(hub):
    """(id, hall, feed, seq, type, body) of every stored event, in the hub's store order."""
    import sqlite3
    db = sqlite3.connect(hub.db, timeout=10)  # WAL: reads beside the hub's writer
    try:
        return db.execute("SELECT e.id, e.hall, f.feed, e.seq, e.type, e.body FROM events e"
                          " JOIN feeds f ON f.id = e.feed_id ORDER BY e.id").fetchall()
    finally:
        db.close()


class TwoHubs(unittest.TestCase):
    def setUp(self):
        self.hubs = natscluster.ClusterHubs(nats, 2, ack_wait_ms=3000)
        self.a, self.b = self.hubs

    def tearDown(self):
        self.hubs.close()

    def test_event_at_a_reaches_a_live_client_of_b_and_dedupe_is_exact(self):
        live = cwtest.LiveClient(self.b, token=cwtest.TOKEN_WALL)
        live.subscribe(["hall/LH-03"])
        live.wait_for(lambda c: "hall/LH-03" in c.state, what="LH-03 snapshot on hub b")
        f = cwtest.Feeder(self.a, "LH-03")
        before = live.state["hall/LH-03"]["kpi"]["issued"]
        batch = [f.issued(), f.issued(), f.issued()]
        t = time.monotonic()
        st, body = self.a.post_events(cwtest.TOKEN_ALL_HALLS, batch)
        self.assertEqual((st, body["accepted"], body["duplicates"]), (200, 3, 0), body)
        live.wait_for(lambda c: c.state["hall/LH-03"]["kpi"]["issued"] == before + 3,
                      what="3 tickets issued at hub a seen on hub b")
        cwtest.log("ack at a -> delta on b: %.0f ms" % ((time.monotonic() - t) * 1000))
        # a gateway failing over to b resends the same batch: nothing is applied twice
        st, body = self.b.post_events(cwtest.TOKEN_ALL_HALLS, batch)
        self.assertEqual((st, body["accepted"], body["duplicates"]), (200, 0, 3), body)
        self.assertEqual(body["acked"], {"LH-03": 3})
        natscluster.wait_converged(self.hubs)
        rows = stored_rows(self.a)
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows, stored_rows(self.b), "both stores: same rows, same order")
        live.close()

    def test_kpis_equal_on_both_hubs_and_a_clean_hub_after_a_mixed_morning(self):
        streams = [faultlib.Stream(self.a, h) for h in ("LH-00", "LH-03", "LH-07")]
        n = 120
        for st in streams:
            for seq in range(1, n + 1):
                st.event(seq)
        # batches of 10 alternately to a and b, the streams interleaved
        for lo in range(1, n + 1, 10):
            for i, st in enumerate(streams):
                hub = self.hubs[(lo // 10 + i) % 2]
                evs = [st.events[s - 1] for s in range(lo, lo + 10)]
                code, body = hub.post_events(cwtest.TOKEN_ALL_HALLS, evs)
                self.assertEqual((code, body.get("accepted")), (200, 10), body)
        natscluster.wait_converged(self.hubs)
        clean_halls, clean_city = faultlib.replay_kpis(streams, {st.key: n for st in streams})
        for hub in self.hubs:
            for st in streams:
                self.assertEqual(faultlib.steady_kpi(hub.hall(st.hall)["kpi"]),
                                 clean_halls[st.hall], "hub %s hall %s" % (hub.name, st.hall))
            self.assertEqual(faultlib.steady_kpi(hub.snapshot()["kpi"]), clean_city,
                             "hub %s city" % hub.name)
        # a hand check of one figure: LH-03's stream opens 3 windows, so 120 events = 3
        # window.opened + 16 blocks of 7 (112) + 5 more; each block issues 2 tickets (its 1st
        # and 4th events) and the 5 extra events include 2 more issues -> 34 issued
        self.assertEqual(len(streams[1].wins), 3)
        self.assertEqual(self.a.hall("LH-03")["kpi"]["issued"], 34)

    def test_a_stopped_hub_catches_up_from_its_store_and_the_log(self):
        f = cwtest.Feeder(self.a, "LH-07")
        f.send([f.issued() for _ in range(5)])
        pos = natscluster.wait_converged(self.hubs)
        self.b.term()
        for _ in range(4):
            f.send([f.issued() for _ in range(5)])
        self.hubs.restart(self.b, kill=False)
        with open(self.b.stderr_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
        self.assertIn("consuming after log position %d" % pos, log)
        natscluster.wait_converged(self.hubs)
        self.assertEqual(self.b.hall("LH-07")["kpi"]["issued"], 25)
        self.assertEqual(stored_rows(self.a), stored_rows(self.b))

    def test_a_client_resumes_on_the_other_hub_with_recovered(self):
        topics = ["city", "hall/LH-03", "hall/LH-07"]
        a_live = cwtest.LiveClient(self.a, token=cwtest.TOKEN_WALL)
        a_live.subscribe(topics)
        a_live.wait_for(lambda c: all(t in c.state for t in topics), what="snapshots on a")
        f3, f7 = cwtest.Feeder(self.a, "LH-03"), cwtest.Feeder(self.b, "LH-07")
        for i in range(5):
            f3.send([f3.issued(), f3.issued()])
            f7.send([f7.issued()])
        a_live.wait_for(lambda c: c.state["hall/LH-03"]["kpi"]["issued"] == 10 and
                        c.state["hall/LH-07"]["kpi"]["issued"] == 5, what="15 tickets on a")
        self.assertEqual(a_live.epoch, self.b_epoch(), "one epoch: the log's")
        since = {"epoch": a_live.epoch, "rev": max(a_live.rev.values())}
        self.a.kill9()
        a_live.close()
        # the wall goes to hub b with what it holds and where it was
        cwtest.wait_until(lambda: natscluster.applied_position(self.b) >= since["rev"], 10,
                          what="hub b at the client's position")
        b_live = cwtest.LiveClient(self.b, token=cwtest.TOKEN_WALL)
        b_live.state = {t: dict(a_live.state[t]) for t in topics}
        b_live.rev = dict(a_live.rev)
        t = time.monotonic()
        b_live.subscribe(topics, since=since)
        b_live.wait_for(lambda c: {m["topic"] for _, m in c.msgs if m.get("op") == "recovered"}
                        >= set(topics), what="recovered on hub b for every topic")
        took = time.monotonic() - t
        snaps = [m["topic"] for _, m in b_live.msgs if m.get("op") == "snapshot"]
        self.assertEqual(snaps, [], "no snapshot: the history covers the client")
        cwtest.log("resumed on hub b with recovered in %.0f ms" % (took * 1000))
        # more events while on b: the client's state stays equal to b's own
        f3b = cwtest.Feeder(self.b, "LH-03", start_seq=f3.seq)
        f3b.n = f3.n
        f3b.send([f3b.issued()])
        b_live.wait_for(lambda c: c.state["hall/LH-03"]["kpi"]["issued"] == 11,
                        what="the 11th ticket at LH-03 on hub b")
        fresh = cwtest.LiveClient(self.b, token=cwtest.TOKEN_WALL)
        fresh.subscribe(topics)
        fresh.wait_for(lambda c: all(t in c.state for t in topics), what="fresh snapshots")

        def at_same_revs():  # the waits move every second: compare at one rev per topic
            with b_live.cond, fresh.cond:
                if all(b_live.rev.get(t) == fresh.rev.get(t) for t in topics):
                    return {t: (b_live.state[t], fresh.state[t]) for t in topics}
            return None
        pairs = cwtest.wait_until(at_same_revs, 10, what="both clients at the same revs")
        for t, (resumed, snap) in pairs.items():
            self.assertEqual(resumed, snap, "%s: the resumed state differs from a snapshot" % t)
        self.assertEqual(b_live.bad, [])
        b_live.close()
        fresh.close()

    def test_both_hubs_publish_the_same_documents_at_the_same_revs(self):
        """Every hub holds the same state at the same log position: two clients, one per hub,
        see the same city and hall documents at every rev both saw (waits and ages included:
        they move at the log's ticks)."""
        topics = ["city", "hall/LH-03"]
        seen = []
        for hub in self.hubs:
            c = cwtest.LiveClient(hub, token=cwtest.TOKEN_WALL)
            c.subscribe(topics)
            c.wait_for(lambda c: all(t in c.state for t in topics), what="snapshots")
            seen.append(c)
        f = cwtest.Feeder(self.a, "LH-03")
        for i in range(6):
            f.send([f.issued()])
            seen[0].wait_for(lambda c: c.state["hall/LH-03"]["kpi"]["issued"] == f.n, 5,
                             what="ticket %d on a" % f.n)
            seen[1].wait_for(lambda c: c.state["hall/LH-03"]["kpi"]["issued"] == f.n, 5,
                             what="ticket %d on b" % f.n)
        docs = []
        for c in seen:
            by_rev = {}
            state = {}
            with c.cond:
                for _, m in c.msgs:
                    if m.get("op") not in ("snapshot", "delta") or m.get("topic") not in topics:
                        continue
                    t = m["topic"]
                    state[t] = (m["data"] if m["op"] == "snapshot"
                                else cwtest.merge_patch(state[t], m["data"]))
                    if m["op"] == "delta":
                        by_rev[(t, m["rev"])] = state[t]
            docs.append(by_rev)
            c.close()
        common = sorted(set(docs[0]) & set(docs[1]), key=lambda k: (k[1], k[0]))
        self.assertGreater(len(common), 6, "deltas both clients saw")
        for k in common:
            self.assertEqual(docs[0][k], docs[1][k], "%s at rev %d" % k)

    def b_epoch(self):
        c = cwtest.LiveClient(self.b, token=cwtest.TOKEN_WALL)
        try:
            c.wait_for(lambda c: c.hello, what="hello from b")
            return c.hello["epoch"]
        finally:
            c.close()

    def test_without_a_quorum_nothing_is_acknowledged_then_ingest_resumes(self):
        f = cwtest.Feeder(self.a, "LH-05")
        f.send([f.issued()])
        nats.kill9(1)
        nats.kill9(2)
        try:
            t = time.monotonic()
            second = f.issued()
            st, body = self.a.post_events(cwtest.TOKEN_ALL_HALLS, [second])
            took = time.monotonic() - t
            self.assertEqual(st, 503, body)
            self.assertIn("send it again", body.get("error", ""))
            self.assertLess(took, 3.0 + 2.0, "answered after %.1f s" % took)
        finally:
            nats.start(1)
            nats.start(2)
        # the gateway sends the batch again until it is acknowledged
        def resend():
            st, body = self.a.post_events(cwtest.TOKEN_ALL_HALLS, [second])
            return st == 200 and body["acked"] == {"LH-05": 2}
        cwtest.wait_until(resend, 60, interval=0.5, what="ingest acknowledged again")
        natscluster.wait_converged(self.hubs, 30)
        self.assertEqual(self.b.hall("LH-05")["kpi"]["issued"], 2)


def readyz_cluster(hub):
    st, body = hub.get("/readyz")
    return (body or {}).get("cluster", {})


class Webhooks(unittest.TestCase):
    def test_one_post_per_transition_across_the_cluster_and_after_the_sender_dies(self):
        rx = alerttest.Receiver().start()
        self.addCleanup(rx.stop)
        base = alerttest.write_config(os.path.join(nats.tmp, "alerts-%d.yaml" % id(self)),
                                      webhooks=[rx.url])
        hubs = natscluster.ClusterHubs(nats, 2, base=base,
                                       clock="2026-11-23T10:00:00+08:00@60")
        self.addCleanup(hubs.close)
        cwtest.wait_until(lambda: sum(bool(readyz_cluster(h).get("notifier")) for h in hubs)
                          == 1, 15, what="one notifier in the cluster")
        # a ticket waiting since 09:20 at 10:00 on a 30 min SLA: R1 fires (on both hubs)
        alerttest.Sender(hubs[0]).issue("LH-00", "A001", "A", "09:20")
        for h in hubs:
            alerttest.wait_alert(h, "R1:LH-00:A", "firing", timeout=10)
        rx.wait_count(1, timeout=15)
        time.sleep(7)  # the standby window (5 s) and a few group waits: nothing more is sent
        self.assertEqual(len(rx.payloads()), 1, [p["status"] for p in rx.payloads()])
        sender = next(h for h in hubs if readyz_cluster(h).get("notifier"))
        other = next(h for h in hubs if h is not sender)
        sender.kill9()
        cwtest.wait_until(lambda: readyz_cluster(other).get("notifier"), 15,
                          what="the other hub takes the notifier lease")
        s = alerttest.Sender(other)
        s.seq = {"LH-00": 1}
        s.one("LH-00", "ticket.called", alerttest.NOW, ticket="A001", window="A01")
        alerttest.wait_alert(other, "R1:LH-00:A", "resolved", timeout=10)
        got = rx.wait_count(2, timeout=15)
        time.sleep(3)  # a few group waits: nothing more
        got = rx.payloads()
        self.assertEqual([p["status"] for p in got], ["firing", "resolved"])
        self.assertEqual(got[1]["alerts"][0]["startsAt"], got[0]["alerts"][0]["startsAt"])


class OperatorActions(unittest.TestCase):
    def test_acks_silences_and_closures_reach_every_hub(self):
        base = alerttest.write_config(os.path.join(nats.tmp, "ops-%d.yaml" % id(self)))
        hubs = natscluster.ClusterHubs(nats, 2, base=base,
                                       clock="2026-11-23T10:00:00+08:00@60")
        self.addCleanup(hubs.close)
        a, b = hubs
        alerttest.Sender(a).issue("LH-00", "A001", "A", "09:20")
        for h in hubs:
            alerttest.wait_alert(h, "R1:LH-00:A", "firing", timeout=10)
        # an acknowledgement on a is seen on b
        admin_a, city_b = a.cookie("admin"), b.cookie("city")
        st, body = a.post("/api/v1/alerts/R1:LH-00:A/ack", {"note": "已派人"}, cookie=admin_a)
        self.assertEqual(st, 200, body)
        cwtest.wait_until(lambda: (alerttest.alert(b, "R1:LH-00:A").get("ack") or {})
                          .get("by") == "admin", 5, what="the ack on hub b")
        # a silence made on b is on a with the same id; expired on a, it is expired on b
        st, sil = b.post("/api/v1/silences",
                         {"matchers": [{"name": "hall", "value": "LH-03"}],
                          "endsAt": alerttest.at("18:00"), "comment": "演练"}, cookie=city_b)
        self.assertEqual(st, 201, sil)

        def listed(hub):
            st, body = hub.get("/api/v1/silences", token=cwtest.TOKEN_WALL)
            return {x["id"]: x for x in body["silences"]}
        cwtest.wait_until(lambda: sil["id"] in listed(a), 5, what="the silence on hub a")
        self.assertEqual(listed(a)[sil["id"]]["createdBy"], "city")
        self.assertEqual(listed(b)[sil["id"]]["status"]["state"], "active")
        r = a.request("DELETE", "/api/v1/silences/" + sil["id"], cookie=admin_a,
                      headers={"Origin": a.origin})
        self.assertEqual(r.status, 200, r)
        cwtest.wait_until(lambda: listed(b)[sil["id"]]["status"]["state"] == "expired", 5,
                          what="the silence expired on hub b")
        # a closure made on a closes the hall on both hubs, at the same log position
        st, body = a.post("/api/v1/halls/LH-03/closure",
                          {"from": alerttest.at("09:00"), "to": alerttest.at("18:00"),
                           "reason": "停电"}, cookie=admin_a)
        self.assertEqual(st, 201, body)
        for h in hubs:
            cwtest.wait_until(lambda: h.hall("LH-03")["status"] == "closed", 5,
                              what="LH-03 closed on hub %s" % h.name)

    def test_sessions_and_lockouts_hold_on_every_hub(self):
        """A browser behind a load balancer moves from hub a to hub b: its session is known
        there; a logout on b ends it on a; a lockout earned on a holds on b."""
        a, b = self.two_hubs()
        cookie = a.login("city")
        cwtest.wait_until(lambda: b.get("/api/v1/snapshot", cookie=cookie)[0] == 200, 5,
                          what="hub a's session accepted on hub b")
        r = b.request("POST", "/api/v1/logout", cookie=cookie, headers={"Origin": b.origin})
        self.assertEqual(r.status, 200, r)
        cwtest.wait_until(lambda: a.get("/api/v1/snapshot", cookie=cookie)[0] == 401, 5,
                          what="the session ended on hub a")
        for _ in range(5):  # login_attempts: 5
            r = a.request("POST", "/api/v1/login", body={"user": "lh03", "password": "wrong"})
            self.assertEqual(r.status, 401, r)

        def locked_on_b():
            r = b.request("POST", "/api/v1/login", body={"user": "lh03", "password": "lh03"})
            return r.status == 429 and r
        r = cwtest.wait_until(locked_on_b, 5, what="lh03 locked out on hub b too")
        self.assertIn("too many failed logins", r.body.decode())

    def two_hubs(self):
        base = alerttest.write_config(os.path.join(nats.tmp, "two-%d.yaml" % id(self)))
        hubs = natscluster.ClusterHubs(nats, 2, base=base)
        self.addCleanup(hubs.close)
        return hubs

    def test_case_updates_on_two_hubs_at_once_are_both_kept(self):
        """Each hub numbers its own operator feed (operator.<hub id>): two case updates of one
        hall made on two hubs at the same moment are both events, neither a conflict."""
        base = alerttest.write_config(os.path.join(nats.tmp, "cases-%d.yaml" % id(self)))
        hubs = natscluster.ClusterHubs(nats, 2, base=base,
                                       clock="2026-11-23T10:00:00+08:00@60")
        self.addCleanup(hubs.close)
        a, b = hubs
        s = alerttest.Sender(a)
        for rid in ("RV-1", "RV-2"):
            s.one("LH-00", "review.submitted", "09:50", review=rid, level=2,
                  channel="evaluator", real_name=False)
        natscluster.wait_converged(hubs)
        st1, r1 = a.post("/api/v1/cases/RV-1", {"state": "closed"}, cookie=a.cookie("admin"))
        st2, r2 = b.post("/api/v1/cases/RV-2", {"state": "closed"}, cookie=b.cookie("admin"))
        self.assertEqual((st1, st2), (202, 202), (r1, r2))  # accepted: an event of the log
        for h in hubs:
            def states():
                st, body = h.admin_get("/api/v1/cases?hall=LH-00")
                return {c["review"]: c["state"] for c in body["cases"]}
            cwtest.wait_until(lambda: states() == {"RV-1": "closed", "RV-2": "closed"}, 5,
                              what="both cases closed on hub %s (%r)" % (h.name, states()))
        natscluster.wait_converged(hubs)
        feeds = [r[2] for r in stored_rows(a) if r[4] == "review.case"]
        self.assertEqual(sorted(feeds), ["operator.a", "operator.b"])


if __name__ == "__main__":
    cwtest.main()
