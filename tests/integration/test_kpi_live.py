"""KPIs (SPEC §5) for scripted mornings, checked in REST (GET /halls/{id}, /snapshot) and in the
live topics `hall/<id>` and `city` (SPEC §4). Every expected value is computed by hand in the
comments next to the events."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import ev, Range, ZeroOrAbsent, TOKEN_WALL  # noqa: E402


class TestMorningLH03(unittest.TestCase):
    """A morning at LH-03 on the clock 2026-11-23T09:00:00+08:00@1 (a Monday, a working day).

    Events (all before the clock's now):
      08:00 window w0 opened (staff s0)        08:05 window w1 opened (staff s1)
      08:10 T1 issued   08:12 T2 issued   08:15 T3 issued   08:20 T4 issued   (biz b)
      08:20 T1 called at w0      W(T1) = 08:20 - 08:10 = 600 s
      08:21 T1 started at w0     (service start)
      08:25 T2 called at w1      W(T2) = 08:25 - 08:12 = 780 s (never started: call = start)
      08:31 T1 finished          S(T1) = 08:31 - 08:21 = 600 s
      08:32 T3 called at w0      W(T3) = 08:32 - 08:15 = 1020 s
      08:32:30 review 5 (w0)
      08:34 T3 no-show (skip)
      08:40 T2 finished          S(T2) = 08:40 - 08:25 = 900 s
      08:41 review 4 (w1)        08:42 review 2 (w1, real name) -> a 差评 and its case
    Now (>= 09:00): T4 waits since 08:20.
      issued 4, waiting 1, serving 0, finished 2, no_show 1, no_show_rate 1/4 = 0.25
      avg_wait_s = (600 + 780 + 1020) / 3 = 800;  avg_service_s = (600 + 900) / 2 = 750
      windows_open 2 (both idle), windows_serving 0
      reviews 3, good_rate 2/3 (5, 4), satisfied_rate 2/3, bad_reviews 1,
      score = (5 + 4 + 2) / 3 * 20 = 73.33, bad_cases_open 1
      max_wait_live_s = now - 08:20 in [2400, 2400 + seconds since the hub started]
      biz b: waiting 1, ewt_s = 1 waiting x 750 (mean S of the last 60 min) / 2 staffed = 375
      sl_60m: the 3 calls (08:20..08:32) are in the last 60 min; share with W <= SLA
    """

    @classmethod
    def setUpClass(cls):
        cls.hub = cwtest.Hub()
        info = cls.hub.hall("LH-03")
        cls.info = info
        b, wins = cwtest.pick_biz_with_windows(info, 2)
        cls.b, cls.sla = b["id"], b.get("sla_s", 1800)
        cls.w0, cls.w1 = wins[0], wins[1]
        cls.ncams = len(cwtest.as_list(info.get("cameras", [])))
        # live clients subscribed before anything happens
        cls.live = cwtest.LiveClient(cls.hub, token=TOKEN_WALL)
        cls.live.subscribe(["city", "hall/LH-03"])
        cls.live.wait_snapshot("hall/LH-03")
        cls.live.wait_snapshot("city")
        b_, w0, w1 = cls.b, cls.w0, cls.w1
        T = ["%s9%02d" % (b_, i) for i in range(1, 5)]
        cls.T = T
        E = [
            ev("LH-03", 1, "window.opened", "08:00", window=w0, staff="S0301"),
            ev("LH-03", 2, "window.opened", "08:05", window=w1, staff="S0302"),
            ev("LH-03", 3, "ticket.issued", "08:10", ticket=T[0], biz=b_, channel="kiosk",
               priority="normal"),
            ev("LH-03", 4, "ticket.issued", "08:12", ticket=T[1], biz=b_, channel="wechat",
               priority="normal"),
            ev("LH-03", 5, "ticket.issued", "08:15", ticket=T[2], biz=b_, channel="kiosk",
               priority="green"),
            ev("LH-03", 6, "ticket.issued", "08:20", ticket=T[3], biz=b_, channel="appointment",
               priority="appointment"),
            ev("LH-03", 7, "ticket.called", "08:20", ticket=T[0], window=w0, staff="S0301"),
            ev("LH-03", 8, "ticket.started", "08:21", ticket=T[0], window=w0, staff="S0301"),
            ev("LH-03", 9, "ticket.called", "08:25", ticket=T[1], window=w1, staff="S0302"),
            ev("LH-03", 10, "ticket.finished", "08:31", ticket=T[0], window=w0, result="done"),
            ev("LH-03", 11, "ticket.called", "08:32", ticket=T[2], window=w0, staff="S0301"),
            ev("LH-03", 12, "review.submitted", "08:32:30", review="R0301", level=5,
               channel="evaluator", window=w0, staff="S0301", ticket=T[0], real_name=False),
            ev("LH-03", 13, "ticket.no_show", "08:34", ticket=T[2], window=w0, action="skip"),
            ev("LH-03", 14, "ticket.finished", "08:40", ticket=T[1], window=w1,
               result="supplement"),
            ev("LH-03", 15, "review.submitted", "08:41", review="R0302", level=4,
               channel="qrcode", window=w1, staff="S0302", ticket=T[1], real_name=False),
            ev("LH-03", 16, "review.submitted", "08:42", review="R0303", level=2,
               channel="evaluator", window=w1, staff="S0302", real_name=True,
               comment="等了很久"),
        ]
        # two batches, so that the live side sees more than one change
        cls.acks = [cls.hub.ingest(E[:9]), cls.hub.ingest(E[9:])]

    @classmethod
    def tearDownClass(cls):
        cls.live.close()
        cls.hub.close()

    def expected_kpi(self):
        over = 1 if 2400 > self.sla else 0
        sl = sum(1 for w in (600, 780, 1020) if w <= self.sla) / 3.0
        up = 2400 + cwtest.business_elapsed_s(self.hub) + 1.5
        exp = {
            "issued": 4, "waiting": 1, "serving": ZeroOrAbsent(), "suspended": ZeroOrAbsent(),
            "finished": 2, "no_show": 1, "no_show_rate": 0.25,
            "avg_wait_s": 800, "avg_service_s": 750,
            "max_wait_live_s": Range(2400, up),
            "sl_60m": sl,
            "windows_open": 2, "windows_serving": ZeroOrAbsent(),
            "windows_paused": ZeroOrAbsent(),
            "reviews": 3, "good_rate": 2 / 3.0, "satisfied_rate": 2 / 3.0, "bad_reviews": 1,
            "score": 220 / 3.0,
            "bad_cases_open": 1, "bad_cases_overdue": ZeroOrAbsent(),
            "cameras_online": ZeroOrAbsent(),
        }
        exp["over_sla_waiting"] = over if over else ZeroOrAbsent()
        if self.ncams:
            exp["cameras_total"] = self.ncams
        return exp

    def test_acks(self):
        self.assertEqual(self.acks[0]["acked"], {"LH-03": 9})
        self.assertEqual(self.acks[1]["acked"], {"LH-03": 16})
        self.assertEqual(self.acks[0]["accepted"] + self.acks[1]["accepted"], 16)

    def test_rest_hall_kpi(self):
        def check():
            kpi = self.hub.hall("LH-03")["kpi"]
            d = cwtest.kpi_diff(kpi, self.expected_kpi())
            assert not d, "%s (kpi %r)" % (d, kpi)
            return True
        cwtest.wait_until(check, 3, what="GET /halls/LH-03 kpi")

    def test_rest_city_kpi(self):
        # only LH-03 has events: the city sums are LH-03's
        exp = self.expected_kpi()
        for k in ("cameras_total", "windows_planned", "cameras_online"):
            exp.pop(k, None)

        def check():
            snap = self.hub.snapshot()
            d = cwtest.kpi_diff(snap["kpi"], exp)
            assert not d, "%s (kpi %r)" % (d, snap["kpi"])
            d = cwtest.kpi_diff(snap["halls"]["LH-03"]["kpi"], exp)
            assert not d, "halls.LH-03: %s" % d
            self.assertEqual(snap["day"], "2026-11-23")
            self.assertEqual(len(snap["halls"]), 20)
            return True
        cwtest.wait_until(check, 3, what="GET /snapshot kpi")

    def test_live_hall_topic(self):
        def check(c):
            doc = c.state["hall/LH-03"]
            d = cwtest.kpi_diff(doc.get("kpi"), self.expected_kpi())
            assert not d, d
            return True
        try:
            self.live.wait_for(check, 3, "hall/LH-03 kpi")
        except AssertionError:
            doc = self.live.get_state("hall/LH-03")
            self.fail("hall/LH-03 kpi: %s" % cwtest.kpi_diff(doc.get("kpi"),
                                                             self.expected_kpi()))
        doc = self.live.get_state("hall/LH-03")
        self.assertEqual(cwtest.find_nulls(doc), [])
        # per biz type
        biz = cwtest.by_id(doc["biz"])[self.b]
        d = cwtest.kpi_diff(biz, {"waiting": 1, "ewt_s": 375,
                                  "max_wait_live_s": Range(2400, 2400 + cwtest.business_elapsed_s(
                                      self.hub) + 1.5)})
        self.assertEqual(d, [], biz)
        self.assertEqual(biz.get("category"), [x for x in cwtest.hall_biz(self.info)
                                               if x["id"] == self.b][0]["category"])
        # windows: both open (idle) with their staff
        wins = cwtest.by_id(doc["windows"])
        self.assertEqual(wins[self.w0]["status"], "open", wins[self.w0])
        self.assertEqual(wins[self.w1]["status"], "open", wins[self.w1])
        self.assertEqual(wins[self.w0]["staff"], "S0301")
        self.assertEqual(wins[self.w1]["staff"], "S0302")
        self.assertNotIn("ticket", wins[self.w0])  # no current ticket: absent, not null
        # the last reviews, newest data included
        revs = cwtest.as_list(doc["reviews"]) if not isinstance(doc["reviews"], dict) \
            else list(doc["reviews"].values())
        self.assertEqual(sorted(r["level"] for r in revs), [2, 4, 5])

    def test_live_city_topic(self):
        exp = {"issued": 4, "waiting": 1, "finished": 2, "no_show": 1, "avg_wait_s": 800,
               "avg_service_s": 750, "reviews": 3, "bad_reviews": 1, "score": 220 / 3.0,
               "windows_open": 2}

        def check(c):
            doc = c.state["city"]
            assert not cwtest.kpi_diff(doc["kpi"], exp)
            assert not cwtest.kpi_diff(doc["halls"]["LH-03"]["kpi"], exp)
            return True
        try:
            self.live.wait_for(check, 3, "city kpi")
        except AssertionError:
            doc = self.live.get_state("city")
            self.fail("city kpi: %s" % cwtest.kpi_diff(doc["kpi"], exp))
        doc = self.live.get_state("city")
        lh03 = doc["halls"]["LH-03"]
        self.assertEqual(lh03["last_event_at"][:16], "2026-11-23T08:42")
        self.assertIn(lh03["status"], ("ok", "closed", "warn", "alert"))
        for hid, h in doc["halls"].items():
            if hid != "LH-03":
                self.assertEqual(cwtest.kpi_diff(h.get("kpi"), {"issued": ZeroOrAbsent(),
                                                                "reviews": ZeroOrAbsent()}),
                                 [], hid)
        # a hall with no reviews: the review rates are absent, not 0 or null
        other = doc["halls"]["LH-05"].get("kpi", {})
        for k in ("good_rate", "satisfied_rate", "score", "avg_wait_s", "avg_service_s",
                  "no_show_rate"):
            self.assertNotIn(k, other)
        self.assertEqual(cwtest.find_nulls(doc), [])

    def test_max_wait_advances_with_business_time(self):
        # time-driven values are recomputed once per business second (speed 1 here)
        def mw(c):
            return c.state["hall/LH-03"]["kpi"]["max_wait_live_s"]
        first = self.live.wait_for(lambda c: mw(c), 3, "max_wait_live_s")
        later = self.live.wait_for(lambda c: mw(c) >= first + 2 and mw(c), 5,
                                   "max_wait_live_s to advance by 2 s")
        self.assertLessEqual(later, first + 4)


class TestEdgeRules(unittest.TestCase):
    """Recycle, recall, transfer, suspend, void in one hall (the first hall with two biz types
    served by windows), clock 09:00@1.

      08:00 wA opened, wB opened (wA serves bA, wB serves bB; may be one window)
      08:10 P1 issued (bA)   08:12 P2 issued (bA)
      08:20 P1 called at wA            W(P1) tentatively 600
      08:21 P1 recalled (重呼)          W unchanged
      08:22 P1 no-show, recycle        back to waiting with entry 08:10; no_show 1
      08:25 P2 called at wA            W(P2 in bA) = 780
      08:26 P2 transferred to bB       a new wait in bB, entry 08:26
      08:30 P1 called at wA            W(P1) replaced: 08:30 - 08:10 = 1200
      08:31 P1 started; 08:33 suspended; 08:35 resumed; 08:40 finished   S(P1) = 540
      08:41 P2 called at wB            W(P2 in bB) = 08:41 - 08:26 = 900
      08:42 P3 issued (bA); 08:43 P3 voided
    Now: issued 3 (a transfer is not an issue), waiting 0, serving 1 (P2), suspended 0,
      finished 1, no_show 1, no_show_rate 1/3, avg_wait_s = (1200 + 780 + 900) / 3 = 960,
      avg_service_s 540; windows: wB serving (and wA open when it is another window).
    """

    @classmethod
    def setUpClass(cls):
        cls.hub = cwtest.Hub()
        st, body = cls.hub.get("/api/v1/halls", token=TOKEN_WALL)
        assert st == 200, (st, body)
        cls.hall = None
        for h in cwtest.as_list(body, "halls"):
            info = cls.hub.hall(h["id"])
            bz = cwtest.hall_biz(info)
            if len(bz) < 2:
                continue
            wa = cwtest.windows_for_biz(info, bz[0]["id"])
            wb = cwtest.windows_for_biz(info, bz[1]["id"])
            if wa and wb:
                cls.hall, cls.bA, cls.bB = h["id"], bz[0]["id"], bz[1]["id"]
                cls.wA = wa[0]
                cls.wB = wb[0] if wb[0] != wa[0] or len(wb) == 1 else wb[1]
                break
        assert cls.hall, "no hall with two biz types served by windows"

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def test_edge_rules(self):
        H, bA, bB, wA, wB = self.hall, self.bA, self.bB, self.wA, self.wB
        E = [ev(H, 1, "window.opened", "08:00", window=wA, staff="E01")]
        if wB != wA:
            E.append(ev(H, 2, "window.opened", "08:00", window=wB, staff="E02"))
        s = 10
        script = [
            ("08:10", "ticket.issued", dict(ticket="P1", biz=bA, channel="kiosk",
                                            priority="normal")),
            ("08:12", "ticket.issued", dict(ticket="P2", biz=bA, channel="online",
                                            priority="vip")),
            ("08:20", "ticket.called", dict(ticket="P1", window=wA)),
            ("08:21", "ticket.recalled", dict(ticket="P1", window=wA)),
            ("08:22", "ticket.no_show", dict(ticket="P1", window=wA, action="recycle")),
            ("08:25", "ticket.called", dict(ticket="P2", window=wA, staff="E01")),
            ("08:26", "ticket.transferred", dict(ticket="P2", window=wA, to_biz=bB)),
            ("08:30", "ticket.called", dict(ticket="P1", window=wA, staff="E01")),
            ("08:31", "ticket.started", dict(ticket="P1", window=wA, staff="E01")),
            ("08:33", "ticket.suspended", dict(ticket="P1", window=wA, reason="材料复印")),
            ("08:35", "ticket.resumed", dict(ticket="P1", window=wA)),
            ("08:40", "ticket.finished", dict(ticket="P1", window=wA, result="done",
                                              case="330100-2026-000123")),
            ("08:41", "ticket.called", dict(ticket="P2", window=wB, staff="E02")),
            ("08:42", "ticket.issued", dict(ticket="P3", biz=bA, channel="counter",
                                            priority="normal")),
            ("08:43", "ticket.voided", dict(ticket="P3", reason="citizen left")),
        ]
        for t, typ, data in script:
            E.append(ev(H, s, typ, t, **data))
            s += 1
        self.hub.ingest(E)
        exp = {"issued": 3, "waiting": ZeroOrAbsent(), "serving": 1,
               "suspended": ZeroOrAbsent(), "finished": 1, "no_show": 1,
               "no_show_rate": 1 / 3.0, "avg_wait_s": 960, "avg_service_s": 540,
               "windows_open": 2 if wB != wA else 1, "windows_serving": 1}

        def check():
            kpi = self.hub.hall(H)["kpi"]
            d = cwtest.kpi_diff(kpi, exp)
            assert not d, "%s (kpi %r)" % (d, kpi)
            return True
        cwtest.wait_until(check, 3, what="GET /halls/%s kpi" % H)
        live = cwtest.LiveClient(self.hub, token=TOKEN_WALL)
        try:
            live.subscribe(["hall/" + H])
            snap = live.wait_snapshot("hall/" + H)
            wins = cwtest.by_id(snap["data"]["windows"])
            self.assertEqual(wins[wB]["status"], "serving", wins[wB])
            self.assertEqual(wins[wB]["ticket"], "P2", wins[wB])
            if wA != wB:
                self.assertEqual(wins[wA]["status"], "open", wins[wA])
            bz = cwtest.by_id(snap["data"]["biz"])
            self.assertEqual(bz[bA].get("waiting", 0), 0)
            self.assertEqual(bz[bB].get("waiting", 0), 0)
        finally:
            live.close()
        # a suspend then a pause: the paused window is counted
        more = [ev(H, s, "ticket.issued", "08:50", ticket="P4", biz=bA, channel="kiosk",
                   priority="normal"),
                ev(H, s + 1, "ticket.called", "08:51", ticket="P4", window=wA),
                ev(H, s + 2, "ticket.suspended", "08:52", ticket="P4", window=wA),
                ev(H, s + 3, "window.paused", "08:52", window=wA, reason="break")]
        self.hub.ingest(more)
        exp2 = {"issued": 4, "suspended": 1, "serving": 1, "windows_paused": 1,
                "windows_open": 1 if wB != wA else ZeroOrAbsent(),
                "avg_wait_s": (1200 + 780 + 900 + 60) / 4.0}

        def check2():
            kpi = self.hub.hall(H)["kpi"]
            d = cwtest.kpi_diff(kpi, exp2)
            assert not d, "%s (kpi %r)" % (d, kpi)
            return True
        cwtest.wait_until(check2, 3, what="kpi after suspend + pause")


if __name__ == "__main__":
    cwtest.main()
