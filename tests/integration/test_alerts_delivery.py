"""Alert delivery against a real hub (SPEC §6, §7): Alertmanager v4 webhooks from the durable
outbox (a receiver that is down gets everything, in order, when it comes back), a restart in
the middle of a firing alert (kill -9: still firing, not sent again), silences (absolute and
recurring, per role), acknowledgements, the `alerts` live topic and its role views, the hub's
own H2 alert, and the simulator's scenarios on the demo city.

The clock runs at 60x from 10:00 on Monday 2026-11-23; the group wait is 1 s of real time
(alerts.group_wait_s) unless a test says otherwise."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import TOKEN_ALL_HALLS, TOKEN_WALL  # noqa: E402
import alerttest as at  # noqa: E402
from alerttest import NOW  # noqa: E402

CLOCK = "2026-11-23T10:00:00+08:00@60"


def by_status(payload):
    return sorted((a["labels"]["alertname"] + ":" + a["labels"].get("hall", ""), a["status"])
                  for a in payload["alerts"])


class Base(unittest.TestCase):
    def hub(self, clock=CLOCK, **kw):
        h = at.hub_with(clock, **kw)
        self.addCleanup(h.close)
        self.s = at.Sender(h)
        return h

    def receiver(self, start=True):
        rx = at.Receiver()
        if start:
            rx.start()
        self.addCleanup(rx.stop)
        return rx


class TestWebhooks(Base):
    def test_receiver_down_then_up_gets_everything_in_order(self):
        """Three notifications are queued while the receiver (added with --webhook) is down:
        R1 firing; R1 + R14 firing; R1 resolved + R14 firing. When it comes up it gets the
        three, in that order, once each, in the v4 format."""
        rx = self.receiver(start=False)
        hub = self.hub(extra_args=["--webhook", rx.url])
        self.s.issue("LH-00", "A001", "A", "09:20")
        at.wait_alert(hub, "R1:LH-00:A", "firing", "P3", timeout=5)
        unsent = lambda n: len(at.db_rows(hub, "SELECT id FROM outbox WHERE sent_ms IS NULL"
                                               " AND receiver = ?", (rx.url,))) >= n
        cwtest.wait_until(lambda: unsent(1), 10, what="outbox row 1")
        self.s.one("LH-00", "camera.status", "09:58", camera="LH-00-CAM-Q1", status="offline")
        at.wait_alert(hub, "R14:LH-00:LH-00-CAM-Q1", "firing", "P3", timeout=5)
        cwtest.wait_until(lambda: unsent(2), 10, what="outbox row 2")
        self.s.one("LH-00", "ticket.called", NOW, ticket="A001", window="A01")
        at.wait_alert(hub, "R1:LH-00:A", "resolved", timeout=10)
        cwtest.wait_until(lambda: unsent(3), 10, what="outbox row 3")
        self.assertEqual(rx.payloads(), [])
        time.sleep(2)  # the receiver stays down a while longer: retries back off meanwhile
        rx.start()
        got = rx.wait_count(3, timeout=70)
        time.sleep(1.5)  # nothing more may follow (no duplicates)
        got = rx.payloads()
        self.assertEqual(len(got), 3, json.dumps(got, ensure_ascii=False)[:2000])
        for p in got:
            at.check_am_payload(self, p)
            self.assertEqual(p["groupLabels"], {"hall": "LH-00"})
            self.assertEqual(p["commonLabels"]["hall"], "LH-00")
        self.assertEqual(by_status(got[0]), [("R1:LH-00", "firing")])
        self.assertEqual(by_status(got[1]), [("R14:LH-00", "firing"), ("R1:LH-00", "firing")])
        self.assertEqual(by_status(got[2]), [("R14:LH-00", "firing"), ("R1:LH-00", "resolved")])
        self.assertEqual(got[2]["status"], "firing")
        r1 = [a for a in got[2]["alerts"] if a["labels"]["alertname"] == "R1"][0]
        self.assertNotEqual(r1["endsAt"], "0001-01-01T00:00:00Z")
        self.assertEqual(r1["fingerprint"], got[0]["alerts"][0]["fingerprint"])
        self.assertIn("社保业务", r1["annotations"]["summary"])
        self.assertEqual(json.loads(r1["annotations"]["evidence"])["waiting"], 1)
        with rx.lock:
            self.assertTrue(all(g[1] == "/alertmanager" for g in rx.got))
            self.assertTrue(all(g[3] == "application/json" for g in rx.got))
        # the outbox knows they were delivered; the first one needed retries
        cwtest.wait_until(lambda: not at.db_rows(hub, "SELECT id FROM outbox WHERE sent_ms IS"
                                                      " NULL"), 5, what="outbox drained")
        rows = at.db_rows(hub, "SELECT attempts FROM outbox ORDER BY id")
        self.assertEqual(len(rows), 3)
        self.assertGreaterEqual(rows[0][0], 2)

    def test_group_wait_default_10s(self):
        """Without alerts.group_wait_s the group wait is 10 s of real time: the first
        notification arrives no sooner than 10 s after the alert fired."""
        rx = self.receiver()
        a = at.alerts_section()
        del a["group_wait_s"]
        hub = self.hub(alerts=a, webhooks=[rx.url])
        self.s.issue("LH-00", "A001", "A", "09:20")
        at.wait_alert(hub, "R1:LH-00:A", "firing", timeout=5)
        t_fire = time.monotonic()
        rx.wait_count(1, timeout=20)
        with rx.lock:
            t_got = rx.got[0][0]
        self.assertGreaterEqual(t_got - t_fire, 9.0)
        self.assertLess(t_got - t_fire, 14.0)

    def test_restart_in_the_middle_of_a_firing_alert(self):
        """kill -9 while R1 fires (its firing notification delivered): after the restart it is
        still firing with the same start, and it is not sent again; its resolve is."""
        rx = self.receiver()
        hub = self.hub(webhooks=[rx.url])
        self.s.issue("LH-00", "A001", "A", "09:20")
        a = at.wait_alert(hub, "R1:LH-00:A", "firing", "P3", timeout=5)
        rx.wait_count(1, timeout=10)
        cwtest.wait_until(lambda: at.db_rows(
            hub, "SELECT 1 FROM alerts WHERE id = 'R1:LH-00:A' AND"
                 " json_extract(body, '$.notified') = 1"), 5, what="notified mark stored")
        cwtest.wait_until(lambda: at.db_rows(hub, "SELECT 1 FROM outbox WHERE sent_ms IS NOT"
                                                  " NULL"), 5, what="sent mark stored")
        hub.restart()
        b = at.wait_alert(hub, "R1:LH-00:A", "firing", "P3", timeout=5)
        self.assertEqual(b["started"], a["started"])
        self.assertIn("restored", hub.stderr_tail())
        time.sleep(3)  # 3 group waits: nothing may be sent for the restored alert
        self.assertEqual(len(rx.payloads()), 1)
        self.s.one("LH-00", "ticket.called", NOW, ticket="A001", window="A01")
        at.wait_alert(hub, "R1:LH-00:A", "resolved", timeout=10)
        got = rx.wait_count(2, timeout=10)
        self.assertEqual(by_status(got[1]), [("R1:LH-00", "resolved")])
        self.assertEqual(got[1]["alerts"][0]["startsAt"], got[0]["alerts"][0]["startsAt"])
        history = [k for k in at.history(hub, "R1:LH-00:A")]
        self.assertEqual(history.count("firing"), 1, history)

    def test_outbox_backlog_raises_h2(self):
        """H2 (the hub's own alert): with outbox_age_min 0.05 (3 s) and the receiver down, the
        oldest notification waits too long: H2 fires; the receiver comes up, the outbox
        drains, H2 resolves."""
        rx = self.receiver(start=False)
        hub = self.hub(alerts=at.alerts_section(rules={"H2": {"outbox_age_min": 0.05}}),
                       webhooks=[rx.url])
        self.s.issue("LH-00", "A001", "A", "09:20")
        a = at.wait_alert(hub, "H2", "firing", "P2", timeout=15)
        self.assertIsNone(a.get("hall"))
        self.assertGreaterEqual(a["evidence"]["oldest_age_s"], 3)
        rx.start()
        at.wait_alert(hub, "H2", "resolved", timeout=80)
        hub_payloads = [p for p in rx.payloads() if p["groupLabels"] == {}]
        self.assertTrue(hub_payloads)
        self.assertEqual(hub_payloads[0]["groupKey"], "{}:{}")


class TestHubSelf(Base):
    def test_h1_h3_h4(self):
        """The hub's own rules with thresholds that the test can reach: H1 with disk_free 1
        (any disk that is not empty is "low"), H3 with quarantine_per_min 1 (one rejected
        event between two 10-s samples is 6 per minute), H4 for a feed gap (seq 1, then 4) and
        for an event 7 min old (skew > 5 min) that is the hall's latest."""
        hub = self.hub(alerts=at.alerts_section(rules={"H1": {"disk_free": 1},
                                                       "H3": {"quarantine_per_min": 1}}))
        a = at.wait_alert(hub, "H1", "firing", "P1", timeout=5)
        self.assertTrue(a["evidence"]["store_writable"])
        self.assertLess(a["evidence"]["disk_free"], 1)
        self.assertNotIn("hall", a)
        # H1 is the hub's: a hall account does not see it
        self.assertNotIn("H1", at.alerts(hub, cookie=hub.cookie("lh03"), token=None))
        st, body = hub.post_events(TOKEN_ALL_HALLS, [
            cwtest.ev("LH-03", 1, "hall.heartbeat", at.at("09:53")),
            cwtest.ev("LH-03", 4, "hall.heartbeat", at.at("09:53:30")),
            cwtest.ev("LH-03", 5, "ticket.issued", at.at("09:54"), ticket="A1", biz="Z")])
        self.assertEqual((st, body["accepted"], len(body["rejected"])), (200, 2, 1), body)
        a = at.wait_alert(hub, "H4:gaps", "firing", "P4", timeout=5)
        self.assertEqual(a["evidence"]["missing_seqs"], 2)
        a = at.wait_alert(hub, "H4:LH-03:skew", "firing", "P3", timeout=5)
        self.assertGreater(a["evidence"]["skew_s"], 300)
        self.assertEqual(a["hall"], "LH-03")
        a = at.wait_alert(hub, "H3", "firing", "P3", timeout=25)
        self.assertGreaterEqual(a["evidence"]["quarantined"], 1)
        # the gap fills: H4:gaps resolves after keep_firing_for
        st, body = hub.post_events(TOKEN_ALL_HALLS, [
            cwtest.ev("LH-03", 2, "hall.heartbeat", at.at(NOW)),
            cwtest.ev("LH-03", 3, "hall.heartbeat", at.at(NOW))])
        self.assertEqual(body["accepted"], 2, body)
        at.wait_alert(hub, "H4:gaps", "resolved", timeout=10)
        at.wait_alert(hub, "H4:LH-03:skew", "resolved", timeout=10)


class TestOperators(Base):
    def test_silences_acks_and_roles(self):
        rx = self.receiver()
        hub = self.hub(webhooks=[rx.url])
        admin, city, lh03 = hub.cookie("admin"), hub.cookie("city"), hub.cookie("lh03")
        only_lh03 = {"matchers": [{"name": "hall", "value": "LH-03"},
                                  {"name": "alertname", "value": "R1"}],
                     "endsAt": at.at("11:30"), "comment": "镇中心系统切换"}
        r = hub.request("POST", "/api/v1/silences", body=only_lh03, token=TOKEN_WALL)
        self.assertEqual(r.status, 403)
        st, body = hub.post("/api/v1/silences", dict(only_lh03, matchers=[
            {"name": "hall", "value": "LH-00"}]), cookie=lh03)
        self.assertEqual(st, 403, body)
        st, body = hub.post("/api/v1/silences", {"matchers": []}, cookie=admin)
        self.assertEqual(st, 400, body)
        st, body = hub.post("/api/v1/silences", {"matchers": [{"name": "hall", "value": "x"}]},
                            cookie=admin)
        self.assertEqual(st, 400, body)  # neither endsAt nor a recurrence
        st, sil = hub.post("/api/v1/silences", only_lh03, cookie=lh03)
        self.assertEqual(st, 201, sil)
        self.assertEqual(sil["status"]["state"], "active")
        self.assertEqual(sil["createdBy"], "lh03")
        # both halls' tickets wait 40 min: R1 at both; LH-03's is silenced
        self.s.issue("LH-00", "A001", "A", "09:20")
        self.s.issue("LH-03", "A001", "A", "09:20")
        at.wait_alert(hub, "R1:LH-00:A", "firing", timeout=5)
        a = at.wait_alert(hub, "R1:LH-03:A", "firing", timeout=5)
        self.assertTrue(a["silenced"])
        self.assertEqual(a["silence"], sil["id"])
        self.assertIn("R1:LH-03:A", at.alerts(hub, state="silenced"))
        self.assertNotIn("R1:LH-03:A", at.alerts(hub, state="firing"))
        self.assertIn("R1:LH-00:A", at.alerts(hub, state="firing"))
        rx.wait_count(1, timeout=10)
        time.sleep(1.5)
        self.assertEqual([p["groupLabels"]["hall"] for p in rx.payloads()], ["LH-00"])
        # who sees which silence
        for who, n in ((lh03, 1), (admin, 1), (city, 1)):
            st, body = hub.get("/api/v1/silences", cookie=who)
            self.assertEqual((st, len(body["silences"])), (200, n), body)
        # a recurring silence by admin: every working day 09:00-11:00, LH-00's R1
        st, rec = hub.post("/api/v1/silences", {
            "matchers": [{"name": "alertname", "value": "R1"},
                         {"name": "hall", "value": "LH-0[0]", "isRegex": True}],
            "recurrence": {"days": "workdays", "from": "09:00", "to": "11:00"},
            "comment": "早高峰"}, cookie=admin)
        self.assertEqual(st, 201, rec)
        self.assertEqual(rec["recurrence"], {"days": "workdays", "from": "09:00", "to": "11:00"})
        self.assertNotIn("endsAt", rec)
        cwtest.wait_until(lambda: at.alert(hub, "R1:LH-00:A")["silenced"], 5,
                          what="LH-00's R1 silenced by the recurring silence")
        st, body = hub.get("/api/v1/silences", cookie=lh03)
        self.assertEqual(len(body["silences"]), 1)  # not the admin's LH-00 silence
        # acknowledgements: who may, and what it records
        r = hub.request("POST", "/api/v1/alerts/R1:LH-00:A/ack", body={"note": "x"},
                        token=TOKEN_WALL)
        self.assertEqual(r.status, 403)
        st, body = hub.post("/api/v1/alerts/R1:LH-00:A/ack", {"note": "x"}, cookie=lh03)
        self.assertEqual(st, 404, body)
        st, body = hub.post("/api/v1/alerts/R1:LH-00:A/ack", {"note": "已增开 A 类窗口"},
                            cookie=city)
        self.assertEqual(st, 200, body)
        self.assertEqual((body["ack"]["by"], body["ack"]["note"]), ("city", "已增开 A 类窗口"))
        self.assertEqual(body["state"], "firing")
        self.assertEqual(at.alert(hub, "R1:LH-00:A")["ack"]["by"], "city")
        st, body = hub.post("/api/v1/alerts/R1:LH-03:A/ack", {}, cookie=lh03)
        self.assertEqual(st, 200, body)
        # lh03 expires its silence: LH-03's R1 is notified
        r = hub.request("DELETE", "/api/v1/silences/" + sil["id"], cookie=lh03)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json["status"]["state"], "expired")
        r = hub.request("DELETE", "/api/v1/silences/" + rec["id"], cookie=lh03)
        self.assertEqual(r.status, 404)
        got = rx.wait_count(2, timeout=10)
        self.assertEqual(got[1]["groupLabels"]["hall"], "LH-03")
        self.assertEqual(by_status(got[1]), [("R1:LH-03", "firing")])
        self.assertEqual(got[1]["alerts"][0]["annotations"]["acknowledged_by"], "lh03")
        # LH-00's R1 resolves while silenced: the resolved notification is sent anyway
        self.s.one("LH-00", "ticket.called", NOW, ticket="A001", window="A01")
        at.wait_alert(hub, "R1:LH-00:A", "resolved", timeout=10)
        got = rx.wait_count(3, timeout=10)
        self.assertEqual(by_status(got[2]), [("R1:LH-00", "resolved")])
        self.assertEqual(got[2]["alerts"][0]["annotations"]["ack_note"], "已增开 A 类窗口")
        # every operator action is in the audit log
        st, body = hub.admin_get("/api/v1/audit")
        acts = [(a["user"], a["action"]) for a in body["audit"]]
        for want in (("lh03", "silence_add"), ("admin", "silence_add"), ("city", "alert_ack"),
                     ("lh03", "alert_ack"), ("lh03", "silence_expire")):
            self.assertIn(want, acts)

    def test_rest_validation(self):
        hub = self.hub()
        st, body = hub.get("/api/v1/alerts?state=bogus", token=TOKEN_WALL)
        self.assertEqual(st, 400, body)
        st, body = hub.get("/api/v1/alerts", token=TOKEN_ALL_HALLS)
        self.assertEqual(st, 403, body)
        st, body = hub.get("/api/v1/alerts/R1:LH-00:nope", token=TOKEN_WALL)
        self.assertEqual(st, 404, body)
        st, body = hub.get("/api/v1/cases", token=TOKEN_WALL)
        self.assertEqual((st, body), (200, {"cases": []}))
        st, body = hub.admin_get("/api/v1/cases?state=nope")
        self.assertEqual(st, 400, body)
        st, body = hub.get("/api/v1/alerts?hall=LH-00", cookie=hub.cookie("lh03"))
        self.assertEqual(st, 403, body)
        r = hub.request("DELETE", "/api/v1/silences/s-000000000000", cookie=hub.cookie("admin"))
        self.assertEqual(r.status, 404)
        st, body = hub.post("/api/v1/silences", {"matchers": [{"name": "hall", "value": "(",
                                                               "isRegex": True}],
                                                 "endsAt": at.at("12:00")},
                            cookie=hub.cookie("admin"))
        self.assertEqual(st, 400, body)
        st, body = hub.post("/api/v1/silences", {"matchers": [{"name": "hall", "value": "LH-00"}],
                                                 "recurrence": {"from": "13:00", "to": "12:00"}},
                            cookie=hub.cookie("admin"))
        self.assertEqual(st, 400, body)


class TestLiveTopic(Base):
    def test_alerts_topic_and_views(self):
        hub = self.hub()
        wall = cwtest.LiveClient(hub, token=TOKEN_WALL)
        self.addCleanup(wall.close)
        adm = cwtest.LiveClient(hub, cookie=hub.cookie("admin"))
        self.addCleanup(adm.close)
        lh03 = cwtest.LiveClient(hub, cookie=hub.cookie("lh03"))
        self.addCleanup(lh03.close)
        for c in (wall, adm, lh03):
            c.wait_hello()
            c.subscribe(["alerts"])
            c.wait_snapshot("alerts")
        self.assertEqual(wall.get_state("alerts"), {})
        self.s.one("LH-00", "review.submitted", "09:58", review="RV-7", level=1,
                   channel="qrcode", real_name=False, staff="W1001",
                   comment="ＡＢＣ　１２３，身份证330102199001011234")
        self.s.issue("LH-03", "A001", "A", "09:20")
        both = lambda c: {"R10:LH-00:RV-7", "R1:LH-03:A"} <= set(c.state.get("alerts", {}))
        wall.wait_for(both, 10, what="both alerts on the wall")
        adm.wait_for(both, 10, what="both alerts for admin")
        lh03.wait_for(lambda c: "R1:LH-03:A" in c.state.get("alerts", {}), 10,
                      what="LH-03's alert for lh03")
        self.assertEqual(set(lh03.get_state("alerts")), {"R1:LH-03:A"})
        w = wall.get_state("alerts")["R10:LH-00:RV-7"]
        self.assertEqual(w["severity"], "P1")
        self.assertEqual(w["evidence"]["sensitive"]["term"], "ABC 123")
        self.assertNotIn("comment", w["evidence"])
        self.assertNotIn("staff_name", w["evidence"])
        ad = adm.get_state("alerts")["R10:LH-00:RV-7"]
        self.assertEqual(ad["evidence"]["comment"], "ＡＢＣ　１２３，身份证3301**********1234")
        self.assertEqual(ad["evidence"]["staff_name"], "张三")
        for c in (wall, adm, lh03):
            self.assertEqual(cwtest.find_nulls(c.get_state("alerts")), [])
            self.assertEqual(c.bad, [])
        # the case closes: R10 leaves the topic
        st, body = hub.post("/api/v1/cases/RV-7", {"state": "closed"}, cookie=hub.cookie("admin"))
        self.assertEqual(st, 202, body)
        wall.wait_for(lambda c: "R10:LH-00:RV-7" not in c.state["alerts"], 10,
                      what="R10 gone from the topic")
        self.assertIn("R1:LH-03:A", wall.get_state("alerts"))


class TestSimScenarios(Base):
    def run_sim(self, hub, scenario, clock, seconds):
        out = open(os.path.join(hub.tmp, "sim-%s.out" % scenario), "wb")
        sim = subprocess.Popen([cwtest.SIM_BIN, "--hub", hub.http_url, "--token", TOKEN_ALL_HALLS,
                                "--config", cwtest.DEMO_CONFIG, "--clock", clock, "--seed", "3",
                                "--duration", str(seconds), "--scenario", scenario],
                               stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               preexec_fn=cwtest._pdeathsig)
        out.close()
        self.addCleanup(lambda: (sim.poll() is None and sim.kill(), sim.wait()))
        return sim

    def test_bad_review_and_silent_hall_scenarios(self):
        """The demo city with the simulator: `bad-review` makes LH-03's level-1 review naming
        跳楼 a P1 R10 with the term recorded, and the webhook gets it; `silent-hall` makes LH-05
        silent from 2 business minutes on: R15 fires (hall offline) and inhibits its queue
        alerts."""
        clock = "2026-11-23T09:00:00+08:00@60"
        rx = self.receiver()
        hub = cwtest.Hub(clock=clock, extra_args=["--webhook", rx.url])
        self.addCleanup(hub.close)
        self.run_sim(hub, "bad-review", clock, 30)

        def p1():
            return [a for a in at.alerts(hub).values()
                    if a["rule"] == "R10" and a["hall"] == "LH-03" and a["severity"] == "P1"]
        got = cwtest.wait_until(p1, 20, interval=0.2, what="a P1 R10 at LH-03")
        self.assertEqual(got[0]["evidence"]["sensitive"]["term"], "跳楼")
        self.assertEqual(got[0]["evidence"]["sensitive"]["category"], "人身安全")

        def delivered():
            for p in rx.payloads():
                for a in p["alerts"]:
                    if a["labels"].get("alertname") == "R10" and a["labels"]["severity"] == "P1":
                        return p
            return None
        p = cwtest.wait_until(delivered, 30, interval=0.2, what="the P1 R10 delivered")
        at.check_am_payload(self, p)
        self.assertEqual(p["groupLabels"], {"hall": "LH-03"})
        for p in rx.payloads():
            at.check_am_payload(self, p)

        hub2 = cwtest.Hub(clock=clock)
        self.addCleanup(hub2.close)
        self.run_sim(hub2, "silent-hall", clock, 40)
        a = at.wait_alert(hub2, "R15:LH-05", "firing", "P2", timeout=35)
        self.assertGreaterEqual(a["evidence"]["silent_min"], 5)
        self.assertEqual(hub2.snapshot()["halls"]["LH-05"]["status"], "offline")
        others = [k for k, v in at.alerts(hub2, state="active").items()
                  if v["rule"] == "R15" and v["hall"] != "LH-05"]
        self.assertEqual(others, [])


if __name__ == "__main__":
    cwtest.main()
