"""Alert delivery against a real hub (SPEC §6, §7): Alertmanager v4 webhooks from the durable
outbox (a receiver that is down gets everything, in order, when it comes back), a restart in
the middle of a firing alert (kill -9: still firing, not sent again), silences (absolute and
recurring, per role), acknowledgements, the `alerts` live topic and its role views, the hub's
own H2 alert, and the simulator's scenarios on the demo city.

The clock runs at 60x from 10:00 on Monday 2026-11-23; the group wait is 1 s of real time
(alerts.group_wait_s) unless a test says otherwise."""

import datetime
import json
import os
import re
import sqlite3
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


class TestEscalation(Base):
    def test_two_levels_across_lunch(self):
        """督办: R10 escalates after 5 working minutes per level (alerts.escalation). A bad
        review just before lunch (12:00-13:30 in this city) goes P3 -> P2 to the city level 5
        working minutes after it fired -- after lunch -- and P2 -> P1 to the leader level 5
        minutes later. Each level's receiver gets only alerts escalated to it; every step is in
        the alert (REST, the `alerts` topic) and in GET /alerts/history."""
        hall_rx, city_rx, leader_rx = self.receiver(), self.receiver(), self.receiver()
        hub = self.hub(clock="2026-11-23T11:56:00+08:00@240", webhooks=[hall_rx.url],
                       alerts=at.alerts_section(escalation={
                           "city": [city_rx.url], "leader": [leader_rx.url],
                           "policies": [{"rule": "R10", "after_min": 5}]}))
        self.s.one("LH-00", "review.submitted", NOW, review="RV-1", level=2,
                   channel="evaluator", real_name=False, window="A01")
        a = at.wait_alert(hub, "R10:LH-00:RV-1", "firing", "P3", timeout=5)
        started = datetime.datetime.fromisoformat(a["started"])
        self.assertLess(started.time(), datetime.time(12, 0))

        def working(t, minutes):
            """t + minutes of working time, Monday 08:30-12:00 and 13:30-17:00 (by hand)."""
            left = datetime.timedelta(minutes=minutes)
            for a_, b_ in (((8, 30), (12, 0)), ((13, 30), (17, 0))):
                a_ = max(t, t.replace(hour=a_[0], minute=a_[1], second=0, microsecond=0))
                b_ = t.replace(hour=b_[0], minute=b_[1], second=0, microsecond=0)
                if a_ >= b_:
                    continue
                if b_ - a_ >= left:
                    return a_ + left
                left -= b_ - a_
            raise AssertionError("not within the day")
        due1 = working(started, 5)
        due2 = working(due1, 5)
        self.assertGreaterEqual(due1.time(), datetime.time(13, 30))  # across lunch
        iso = lambda d: d.isoformat(timespec="milliseconds")

        a = cwtest.wait_until(
            lambda: (lambda x: x if x and x.get("escalation_level") == 2 else None)(
                at.alert(hub, "R10:LH-00:RV-1")), 60, interval=0.2, what="two escalations")
        self.assertEqual(a["severity"], "P1")
        self.assertTrue(a["escalated"])
        steps = a["escalation"]["steps"]
        self.assertEqual([(x["level"], x["to"], x["from"], x["severity"], x["at"]) for x in steps],
                         [(1, "city", "P3", "P2", iso(due1)), (2, "leader", "P2", "P1", iso(due2))])

        def sev_seen(rx, sev):
            return any(al["labels"]["alertname"] == "R10" and al["labels"]["severity"] == sev
                       for p in rx.payloads() for al in p["alerts"])
        for rx, sevs in ((hall_rx, ("P3", "P2", "P1")), (city_rx, ("P2", "P1")),
                         (leader_rx, ("P1",))):
            for sev in sevs:
                cwtest.wait_until(lambda: sev_seen(rx, sev), 15, interval=0.1,
                                  what="%s at %s" % (sev, rx.url))
        self.assertFalse(sev_seen(city_rx, "P3"))
        self.assertFalse(sev_seen(leader_rx, "P2"))
        for rx, lv in ((city_rx, 1), (leader_rx, 2)):
            for p in rx.payloads():
                at.check_am_payload(self, p)
                for al in p["alerts"]:
                    self.assertGreaterEqual(int(al["annotations"]["escalation_level"]), lv)
        st, body = hub.admin_get("/api/v1/alerts/history?alert=R10:LH-00:RV-1")
        self.assertEqual(st, 200, body)
        esc = [(h["detail"], h["at"]) for h in body["history"] if h["kind"] == "escalated"]
        self.assertEqual(esc, [("P3 -> P2, to city", iso(due1)), ("P2 -> P1, to leader", iso(due2))])
        # an acknowledgement records who; the alert stays escalated
        st, body = hub.post("/api/v1/alerts/R10:LH-00:RV-1/ack", {"note": "已督办"},
                            cookie=hub.cookie("city"))
        self.assertEqual((st, body["ack"]["by"]), (200, "city"), body)
        self.assertEqual(body["escalation_level"], 2)


    def test_kill9_between_escalation_and_its_notification(self):
        """kill -9 after an escalation is stored but before its notification is queued (a
        group wait of 5 s keeps them apart): after the restart the step is not taken again and
        the city level is notified exactly once. A second review escalating later is the
        marker: its notification follows the first one in the city receiver's order."""
        city_rx = self.receiver()
        hub = self.hub(alerts=at.alerts_section(group_wait_s=5, escalation={
            "city": [city_rx.url], "policies": [{"rule": "R10", "severity": "P3",
                                                 "after_min": 1}]}))
        self.s.one("LH-00", "review.submitted", NOW, review="RV-1", level=2,
                   channel="evaluator", real_name=False)
        cwtest.wait_until(lambda: at.history(hub, "R10:LH-00:RV-1").count("escalated") == 1, 10,
                          interval=0.05, what="the escalation stored")
        self.assertEqual(at.db_rows(hub, "SELECT id FROM outbox WHERE receiver = ?",
                                    (city_rx.url,)), [])
        hub.restart()
        got = city_rx.wait_count(1, timeout=15)
        self.assertEqual([(a["labels"]["review"], a["labels"]["severity"])
                          for a in got[0]["alerts"]], [("RV-1", "P2")])
        self.s.one("LH-00", "review.submitted", NOW, review="RV-2", level=2,
                   channel="evaluator", real_name=False)
        cwtest.wait_until(
            lambda: any(a["labels"]["review"] == "RV-2" for p in city_rx.payloads()
                        for a in p["alerts"]), 20, interval=0.1, what="RV-2 at the city level")
        got = city_rx.payloads()
        self.assertEqual(len(got), 2, got)
        self.assertEqual(sorted(a["labels"]["review"] for a in got[1]["alerts"]),
                         ["RV-1", "RV-2"])
        self.assertEqual(at.history(hub, "R10:LH-00:RV-1").count("escalated"), 1)


class TestRouting(Base):
    def test_route_tree_receivers_and_templates(self):
        """alerts.route sends each alert to exactly the receivers its route names, each in its
        own format: Alertmanager v4 (the root), generic JSON, DingTalk, WeCom and Feishu robots
        (markdown with the hall, its KPI and a dashboard link), and holds non-P1 notifications
        during a receiver's quiet hours (09:00-12:00 here; the clock runs from 10:00).

        Expected (by hand from the tree): R1:LH-03:A -> ding + json; R1:LH-00:A -> am (no
        child matches); R10:LH-00:RV-1 (P1) -> wecom + quiet (a P1 is not held);
        R10:LH-00:RV-2 (P3, a city-level hall) -> feishu; R10:LH-03:RV-3 (P3) -> ding +
        quiet, held."""
        rx = {n: self.receiver() for n in ("am", "json", "ding", "wecom", "feishu", "quiet")}
        types = {"am": "alertmanager", "json": "json", "ding": "dingtalk", "wecom": "wecom",
                 "feishu": "feishu", "quiet": "dingtalk"}
        receivers = [{"name": n, "type": types[n], "url": rx[n].url} for n in rx]
        receivers[-1]["quiet"] = "09:00-12:00"
        route = {"receiver": "am", "group_by": ["hall"], "group_wait": "1s", "routes": [
            {"match": {"hall": "LH-03"}, "receiver": "ding", "continue": True},
            {"match": {"severity": "P1"}, "receiver": "wecom", "continue": True},
            {"match": {"severity": "P1"}, "receiver": "quiet"},
            {"match": {"rule": "R10", "level": "city"}, "receiver": "feishu"},
            {"match": {"rule": "R1", "level": "town"}, "receiver": "json"},
            {"match": {"rule": "R10", "severity": "P3", "hall": "LH-03"}, "receiver": "quiet"},
        ]}
        hub = self.hub(alerts=at.alerts_section(receivers=receivers, route=route))
        self.s.issue("LH-03", "A001", "A", "09:20")
        self.s.issue("LH-00", "A001", "A", "09:25")
        for hall, rid, level, comment in (("LH-00", "RV-1", 1, "再不给办我就跳楼"),
                                          ("LH-00", "RV-2", 2, None), ("LH-03", "RV-3", 2, None)):
            d = dict(review=rid, level=level, channel="evaluator", real_name=False)
            if comment:
                d["comment"] = comment
            self.s.one(hall, "review.submitted", NOW, **d)
        want = {"am": {"R1:LH-00:A"}, "json": {"R1:LH-03:A"},
                "ding": {"R1:LH-03:A", "R10:LH-03:RV-3"}, "wecom": {"R10:LH-00:RV-1"},
                "feishu": {"R10:LH-00:RV-2"}, "quiet": {"R10:LH-00:RV-1"}}

        def ids(name):
            got = set()
            for p in rx[name].payloads():
                if types[name] == "alertmanager":
                    got |= {a["generatorURL"].split("id=")[1] for a in p["alerts"]}
                elif types[name] == "json":
                    got |= {a["id"] for a in p["alerts"]}
                else:
                    text = json.dumps(p, ensure_ascii=False)
                    got |= set(re.findall(r"告警编号：`([^`]+)`", text))
            return got
        for name in rx:
            cwtest.wait_until(lambda: ids(name) >= want[name], 20, interval=0.1,
                              what="%s gets %s (has %s)" % (name, want[name], ids(name)))
        # the outbox holds exactly what each receiver's route names (the held one is not queued)
        db = sqlite3.connect(hub.db)
        self.addCleanup(db.close)
        for name in rx:
            rows = [json.loads(r[0]) for r in db.execute(
                "SELECT payload FROM outbox WHERE receiver = ? ORDER BY id", (rx[name].url,))]
            self.assertTrue(rows, name)
            self.assertEqual(ids(name), want[name], name)
        # the formats
        for p in rx["am"].payloads():
            at.check_am_payload(self, p)
            self.assertEqual((p["receiver"], p["groupLabels"]), ("am", {"hall": "LH-00"}))
        for p in rx["json"].payloads():
            self.assertEqual((p["receiver"], p["status"]), ("json", "firing"))
            self.assertEqual(p["alerts"][0]["rule"], "R1")
            self.assertEqual(p["alerts"][0]["status"], "firing")
        for name in ("ding", "quiet"):
            for p in rx[name].payloads():
                self.assertEqual(set(p), {"msgtype", "markdown"})
                self.assertEqual(p["msgtype"], "markdown")
                self.assertEqual(set(p["markdown"]), {"title", "text"})
        ding = "\n".join(p["markdown"]["text"] for p in rx["ding"].payloads())
        self.assertIn("江南街道便民服务中心", ding)
        self.assertIn("当前：等候 1 人", ding)
        self.assertIn("/#/hall/LH-03)", ding)
        for p in rx["wecom"].payloads():
            self.assertEqual(set(p), {"msgtype", "markdown"})
            self.assertEqual(set(p["markdown"]), {"content"})
            self.assertIn("[P1] 差评 · 市行政服务中心", p["markdown"]["content"])
            self.assertIn("/#/hall/LH-00)", p["markdown"]["content"])
        for p in rx["feishu"].payloads():
            self.assertEqual(p["msg_type"], "interactive")
            self.assertEqual(p["card"]["header"]["title"]["tag"], "plain_text")
            el = p["card"]["elements"]
            self.assertEqual([e["tag"] for e in el], ["markdown"])
            self.assertIn("[P3] 差评 · 市行政服务中心", el[0]["content"])


if __name__ == "__main__":
    cwtest.main()
