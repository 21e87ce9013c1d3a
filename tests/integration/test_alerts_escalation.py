"""Escalation (督办) and routing of alerts against a real hub and local receivers (issue 15;
docs/alerts.md "Escalation", "Routing"): escalation through two levels on the business clock
across a lunch break and across a 调休 weekend, kill -9 between an escalation and its
notification, and a route tree sending each alert to exactly its receivers in their own
formats (Alertmanager v4, JSON, DingTalk, WeCom, Feishu robots), with quiet hours.

Expected instants are worked out in the tests from the city's hours (08:30-17:00, lunch
12:00-13:30, 调休 Saturday 2026-10-10) and the alert's own start."""

import datetime
import json
import os
import re
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
import alerttest as at  # noqa: E402
from alerttest import NOW  # noqa: E402

CLOCK = "2026-11-23T10:00:00+08:00@60"


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


    def test_two_levels_across_a_tiaoxiu_weekend(self):
        """督办 on the business calendar: a bad review firing on Friday 2026-10-09 after 16:00
        escalates after 40 working minutes per level; the rest of Friday counts, the night
        does not, and Saturday 10-10 is a make-up working day (调休, Monday's hours 08:30-12:00
        and 13:30-17:00 in this city): the second step falls on Saturday morning."""
        city_rx, leader_rx = self.receiver(), self.receiver()
        hub = self.hub(clock="2026-10-09T16:00:00+08:00@2400", alerts=at.alerts_section(
            escalation={"city": [city_rx.url], "leader": [leader_rx.url],
                        "policies": [{"rule": "R10", "after_min": 40}]}))
        s = at.Sender(hub, day="2026-10-09")
        s.one("LH-00", "review.submitted", "16:00:00", review="RV-1", level=2,
              channel="evaluator", real_name=False)
        a = at.wait_alert(hub, "R10:LH-00:RV-1", "firing", timeout=5)
        started = datetime.datetime.fromisoformat(a["started"])
        self.assertEqual(started.date(), datetime.date(2026, 10, 9))
        self.assertLess(started.time(), datetime.time(16, 20))

        def working(t, minutes):
            """t + working minutes over Fri 10-09 and the 调休 Sat 10-10 (by hand)."""
            left = datetime.timedelta(minutes=minutes)
            for day in (datetime.date(2026, 10, 9), datetime.date(2026, 10, 10)):
                for a_, b_ in ((datetime.time(8, 30), datetime.time(12, 0)),
                               (datetime.time(13, 30), datetime.time(17, 0))):
                    a_ = max(t, datetime.datetime.combine(day, a_, t.tzinfo))
                    b_ = datetime.datetime.combine(day, b_, t.tzinfo)
                    if a_ >= b_:
                        continue
                    if b_ - a_ >= left:
                        return a_ + left
                    left -= b_ - a_
            raise AssertionError("not within Friday and Saturday")
        due1 = working(started, 40)
        due2 = working(due1, 40)
        self.assertEqual(due2.date(), datetime.date(2026, 10, 10))  # the make-up Saturday
        a = cwtest.wait_until(
            lambda: (lambda x: x if x and x.get("escalation_level") == 2 else None)(
                at.alert(hub, "R10:LH-00:RV-1")), 90, interval=0.2, what="two escalations")
        iso = lambda d: d.isoformat(timespec="milliseconds")
        self.assertEqual([x["at"] for x in a["escalation"]["steps"]], [iso(due1), iso(due2)])
        self.assertEqual(a["severity"], "P1")
        leader_rx.wait_count(1, timeout=15)

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


    def test_routed_rows_survive_a_restart(self):
        """A routed receiver that is down: its row waits in the durable outbox; kill -9, restart,
        the receiver comes up and gets it once; the group is not sent again after the restart
        (a later alert of another hall is the next, and last, message)."""
        rx = self.receiver(start=False)
        hub = self.hub(alerts=at.alerts_section(
            receivers=[{"name": "ops", "type": "json", "url": rx.url}],
            route={"receiver": "ops", "group_wait": "1s"}))
        self.s.issue("LH-00", "A001", "A", "09:20")
        at.wait_alert(hub, "R1:LH-00:A", "firing", "P3", timeout=5)
        cwtest.wait_until(lambda: at.db_rows(hub, "SELECT id FROM outbox WHERE receiver = ?",
                                             (rx.url,)), 10, what="the routed row queued")
        cwtest.wait_until(lambda: at.db_rows(
            hub, "SELECT 1 FROM alerts WHERE id = 'R1:LH-00:A' AND"
                 " json_extract(body, '$.route_sent') IS NOT NULL"), 5, what="its mark stored")
        hub.restart()
        rx.start()
        got = rx.wait_count(1, timeout=20)
        self.assertEqual([(a["id"], a["status"]) for a in got[0]["alerts"]],
                         [("R1:LH-00:A", "firing")])
        self.s.issue("LH-03", "A001", "A", "09:20")
        got = rx.wait_count(2, timeout=20)
        self.assertEqual(len(got), 2)
        self.assertEqual([a["id"] for a in got[1]["alerts"]], ["R1:LH-03:A"])


if __name__ == "__main__":
    cwtest.main()
