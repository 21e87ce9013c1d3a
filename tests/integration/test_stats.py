"""Statistics over periods (docs/statistics.md): roll-ups rebuilt byte for byte, period KPIs,
scorecards, rankings and the 约谈 flag, role rules -- on the hand-computed fixture of
statsfixture.py (read its docstring first: every figure below is computed from it by hand)."""

import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
import statsfixture  # noqa: E402
from cwtest import TOKEN_WALL  # noqa: E402

HUB = None


def setUpModule():
    global HUB
    HUB = statsfixture.start_hub()


def tearDownModule():
    if HUB:
        HUB.close()


def stats(query, user="city"):
    st, body = HUB.get("/api/v1/stats?" + query, cookie=HUB.cookie(user))
    if st != 200:
        raise AssertionError("GET /api/v1/stats?%s: %d %r" % (query, st, body))
    return body


def row(doc, **keys):
    for r in doc["rows"]:
        if all(r.get(k) == v for k, v in keys.items()):
            return r
    raise AssertionError("no row %r in %r" % (keys, [dict((k, r.get(k)) for k in keys)
                                                     for r in doc["rows"]]))


class TestPeriodKpis(unittest.TestCase):
    def assertNear(self, a, b):
        self.assertAlmostEqual(a, b, places=6)

    def test_week_lh03(self):
        k = row(stats("week=2026-W41&level=hall"), hall="LH-03")["kpi"]
        # issued: A 4 + 8 + 2 = 14, A900 1, B 2 x 3 = 6 -> 21; every ticket called once: 21
        self.assertEqual(k["issued"], 21)
        self.assertEqual(k["calls"], 21)
        # finished: 14 A + 6 B = 20 (A900 was a no-show); supplement: A i=3 on 10-08 and 10-09
        self.assertEqual(k["finished"], 20)
        self.assertEqual(k["supplement"], 2)
        self.assertEqual(k["done"], 18)
        self.assertNear(k["done_rate"], 18 / 20)        # 一次办结率 0.9
        self.assertNear(k["supplement_rate"], 2 / 20)   # 补正率 0.1
        self.assertEqual(k["no_show"], 1)
        self.assertNear(k["no_show_rate"], 1 / 21)
        # W: A 4x10 + 8x20 + 2x30 = 260 min, A900 10, B 6x5 = 30 -> 300 min over 21 visits
        # (the mean of the daily means would be different: never used)
        self.assertNear(k["avg_wait_s"], 300 * 60 / 21)            # 857.142857 s
        # S: A01 7 x 6 = 42, A02 7 x 10 = 70, B01 6 x 15 = 90 -> 202 min over 20
        self.assertNear(k["avg_service_s"], 202 * 60 / 20)         # 606 s
        ch = k["channels"]
        # kiosk: A even i: 2 + 4 + 1 = 7, plus A900 -> 8; wechat 7; appointment 6 (B)
        self.assertEqual(ch["kiosk"]["issued"], 8)
        self.assertEqual(ch["wechat"]["issued"], 7)
        self.assertEqual(ch["appointment"]["issued"], 6)
        self.assertNear(ch["kiosk"]["share"], 8 / 21)
        self.assertNear(ch["appointment"]["share"], 6 / 21)
        # kiosk W: 2x10 + 4x20 + 1x30 + A900 10 = 140 min / 8; wechat: 20 + 80 + 30 = 130 / 7
        self.assertNear(ch["kiosk"]["avg_wait_s"], 140 * 60 / 8)    # 1050 s
        self.assertNear(ch["wechat"]["avg_wait_s"], 130 * 60 / 7)
        self.assertNear(ch["appointment"]["avg_wait_s"], 300)
        self.assertNotIn("online", ch)

    def test_week_reviews_lh03(self):
        k = row(stats("week=2026-W41&level=hall"), hall="LH-03")["kpi"]
        # R1 5, R2 4, R3 1, R4 2, R5 5, R6 3 (R7 removed by its upheld appeal): 6 reviews
        self.assertEqual(k["reviews"], 6)
        self.assertNear(k["good_rate"], 3 / 6)       # R1, R2, R5
        self.assertNear(k["satisfied_rate"], 4 / 6)  # + R6
        self.assertEqual(k["bad_reviews"], 2)        # R3, R4
        self.assertNear(k["score"], 20 / 6 * 20)     # (5+4+1+2+5+3) / 6 x 20 = 66.67
        # 回访率: R3 and R4 contacted / 2 bad reviews
        self.assertEqual(k["contacted"], 2)
        self.assertNear(k["contact_rate"], 1.0)
        # 整改率: due in the week: R3 (10-10 17:00 across the 调休 Saturday; R4 is due
        # 10-12, after the Sunday off); R3 closed 10-10 16:00: on time -> 1 / 1
        self.assertEqual(k["rectify_due"], 1)
        self.assertEqual(k["rectify_on_time"], 1)
        self.assertNear(k["rectify_rate"], 1.0)
        self.assertEqual(k["appeals"], {"appealed": 1, "upheld": 1, "rejected": 0})

    def test_next_week_rectification(self):
        # W42: R4 is due 10-12 17:00 and was closed 10-12 10:00 -> 1 / 1; R7 (due 10-13) was
        # upheld on appeal and does not count
        k = row(stats("week=2026-W42&level=hall"), hall="LH-03")["kpi"]
        self.assertEqual((k["rectify_due"], k["rectify_on_time"]), (1, 1))
        k0 = row(stats("week=2026-W42&level=hall"), hall="LH-00")["kpi"]
        self.assertNotIn("rectify_rate", k0)  # nothing due there that week

    def test_week_city_total(self):
        doc = stats("week=2026-W41")
        k = doc["total"]
        self.assertEqual(doc["period"], {"kind": "week", "label": "2026-W41", "from": "2026-10-05",
                                         "to": "2026-10-11", "days": 7})
        # LH-00: issued A 30 + B 15 + B900 = 46; city 21 + 46 = 67
        self.assertEqual(k["issued"], 67)
        # LH-00 finished 46 (done 43, supplement 3); city 66, done 61
        self.assertEqual(k["finished"], 66)
        self.assertNear(k["done_rate"], 61 / 66)
        # LH-00 W: A 30x8 = 240, B 15x12 = 180, B900 30 (the last call) = 450 over 46;
        # city 300 + 450 = 750 min over 67 visits
        self.assertNear(k["avg_wait_s"], 750 * 60 / 67)
        # LH-00 S: A01 15x5 = 75, A02 15x7 = 105, B01 15x9 + 9 = 144 -> 324; city 526 / 66
        self.assertNear(k["avg_service_s"], 526 * 60 / 66)
        # reviews: LH-03 6, LH-00 4 (R10 2, R11 5, R12 4, R13 4) -> 10; good 3 + 3 = 6
        self.assertEqual(k["reviews"], 10)
        self.assertNear(k["good_rate"], 0.6)
        self.assertNear(k["score"], (20 + 15) / 10 * 20)  # 70
        # bad: R3, R4, R10; contacted R3, R4 -> 回访率 2/3
        self.assertNear(k["contact_rate"], 2 / 3)
        # due in the week: R3 (on time), R10 (10-10 17:00, closed 10-12: late) -> 整改率 1/2
        self.assertEqual((k["rectify_due"], k["rectify_on_time"]), (2, 1))
        self.assertNear(k["rectify_rate"], 0.5)

    def test_day_and_month_and_range(self):
        # 10-09 at LH-03: A 8 + A900 + B 2 = 11 issued; finished 8 + 2 = 10
        k = row(stats("day=2026-10-09&level=hall"), hall="LH-03")["kpi"]
        self.assertEqual((k["issued"], k["finished"]), (11, 10))
        # W: 8x20 + 10 + 2x5 = 180 min over 11
        self.assertNear(k["avg_wait_s"], 180 * 60 / 11)
        # the month and a custom range over the three days give the week's ticket figures
        for q in ("month=2026-10", "from=2026-10-08&to=2026-10-10"):
            k = row(stats(q + "&level=hall"), hall="LH-03")["kpi"]
            self.assertEqual(k["issued"], 21, q)
            self.assertNear(k["avg_wait_s"], 300 * 60 / 21)

    def test_window_attendance(self):
        doc = stats("week=2026-W41&level=window&hall=LH-03")
        a01 = row(doc, hall="LH-03", window="A01")["kpi"]
        # A01: 08:30-17:00 signed each of 3 days = 3 x 510 = 1530 min, lunch 3 x 90 = 270;
        # planned: 3 working days x (510 - 90 lunch) = 1260
        att = a01["attendance"]
        self.assertNear(att["signed_min"], 1530)
        self.assertEqual(att["planned_min"], 1260)
        self.assertNear(att["rate"], 1530 / 1260)
        self.assertNear(att["pause_min"]["lunch"], 270)
        # B01 closed at 12:00 on 10-10: 510 + 510 + 210 = 1230 min, lunch 2 x 90
        b01 = row(doc, hall="LH-03", window="B01")["kpi"]["attendance"]
        self.assertNear(b01["signed_min"], 1230)
        self.assertNear(b01["pause_min"]["lunch"], 180)
        # A01 served 7 (even i) and called A900 too: no-show share 1 / 8
        self.assertEqual(a01["finished"], 7)
        self.assertNear(a01["no_show_share"], 1 / 8)
        # LH-03's staffing plan: 08:30-12:00 all 8 windows (210 x 8 = 1680), 13:30-17:00 7
        # windows (210 x 7 = 1470) on mon-fri and on the 调休 Saturday: 3150 x 3 = 9450
        h = row(stats("week=2026-W41&level=hall&hall=LH-03"), hall="LH-03")["kpi"]
        self.assertEqual(h["attendance"]["planned_min"], 9450)
        self.assertNear(h["attendance"]["signed_min"], 1530 + 1530 + 1230)

    def test_staff_and_biz_levels(self):
        doc = stats("week=2026-W41&level=staff&hall=LH-03")
        w2032 = row(doc, hall="LH-03", staff="W2032")
        self.assertEqual(w2032["name"], "曹阳")  # a city account sees names
        # W2032 at A02: odd i: 2 + 4 + 1 = 7 finished, S 10 min each
        self.assertEqual(w2032["kpi"]["finished"], 7)
        self.assertNear(w2032["kpi"]["avg_service_s"], 600)
        b = row(stats("week=2026-W41&level=biz&hall=LH-00"), hall="LH-00", biz="B")
        self.assertEqual(b["name"], "医保业务")
        # B: 15 + B900 issued; 2 calls for B900 -> 17 calls; W (180 + 30) / 16
        self.assertEqual((b["kpi"]["issued"], b["kpi"]["calls"]), (16, 17))
        self.assertNear(b["kpi"]["avg_wait_s"], 210 * 60 / 16)
        # the wall token reads figures but gets no staff names (SPEC §4)
        st, doc = HUB.get("/api/v1/stats?week=2026-W41&level=staff&hall=LH-03", token=TOKEN_WALL)
        self.assertEqual(st, 200)
        self.assertNotIn("name", row(doc, staff="W2032"))

    def test_compare_previous(self):
        doc = stats("week=2026-W41&compare=1")
        self.assertEqual(doc["previous"]["period"]["label"], "2026-W40")
        self.assertEqual(doc["previous"]["total"]["issued"], 0)  # the 国庆 week before: nothing
        self.assertNotIn("avg_wait_s", doc["previous"]["total"])  # no data: absent

    def test_roles_and_errors(self):
        st, body = HUB.get("/api/v1/stats?week=2026-W41&hall=LH-00", cookie=HUB.cookie("lh03"))
        self.assertEqual(st, 403, body)
        doc = stats("week=2026-W41&level=hall", user="lh03")
        self.assertEqual([r["hall"] for r in doc["rows"]], ["LH-03"])
        self.assertEqual(doc["total"]["issued"], 21)  # only its hall is summed
        for q, word in (("", "period"), ("week=2026-W99", "week"), ("month=2026-13", "month"),
                        ("day=2026-10-09&level=floor", "level"),
                        ("from=2026-10-09&to=2026-10-01", "before")):
            st, body = HUB.get("/api/v1/stats?" + q, cookie=HUB.cookie("city"))
            self.assertEqual(st, 400, q)
            self.assertIn(word, body["error"], q)


class TestScorecards(unittest.TestCase):
    def test_october_staff_ranking_and_interview(self):
        st, doc = HUB.get("/api/v1/scorecards?month=2026-10&level=staff",
                          cookie=HUB.cookie("city"))
        self.assertEqual(st, 200, doc)
        cards = {r["staff"]: r for r in doc["rows"]}
        # scores (mean level x 20), October: W2033 R5 5 -> 100 (R7 upheld: removed);
        # W2031 R1 5, R4 2, R6 3 -> 66.67; W2032 R2 4, R3 1 -> 50;
        # W1002 R11 5 -> 100; W1007 R13 4 -> 80; W1001 R10 2, R12 4 -> 60
        # hall rankings: LH-03 W2033, W2031, W2032; LH-00 W1002, W1007, W1001
        self.assertEqual([cards[s]["rank_hall"] for s in ("W2033", "W2031", "W2032")], [1, 2, 3])
        self.assertEqual([cards[s]["rank_hall"] for s in ("W1002", "W1007", "W1001")], [1, 2, 3])
        # city: W1002 and W2033 tie at 100; W1002 served more (15 vs 6) -> 1, 2; then W1007 80,
        # W2031 66.7, W1001 60, W2032 50
        self.assertEqual([cards[s]["rank_city"] for s in
                          ("W1002", "W2033", "W1007", "W2031", "W1001", "W2032")],
                         [1, 2, 3, 4, 5, 6])
        # bottom_n 1: W2032 and W1001 are last in their halls in October; in September
        # (W2031 5, W2032 2, W2033 4; W1001 5, W1002 3, W1007 4) W2032 and W1002 were:
        # only W2032 is at the bottom two months in a row -> 约谈
        self.assertTrue(cards["W2032"]["bottom"] and cards["W1001"]["bottom"])
        self.assertEqual([(r["hall"], r["staff"]) for r in doc["interview"]],
                         [("LH-03", "W2032")])
        self.assertEqual(doc["interview"][0]["months"], ["2026-09", "2026-10"])
        self.assertTrue(cards["W2032"]["interview"])
        self.assertFalse(cards["W1001"]["interview"])

    def test_scorecard_w2031(self):
        st, doc = HUB.get("/api/v1/scorecards?month=2026-10&level=staff&hall=LH-03",
                          cookie=HUB.cookie("lh03"))
        self.assertEqual(st, 200, doc)
        c = {r["staff"]: r for r in doc["rows"]}["W2031"]
        self.assertEqual(c["name"], "程琳")
        # served at A01: 7 tickets of 6 min; calls 8 (A900 no-show) -> no-show share 1/8
        self.assertEqual(c["served"], 7)
        self.assertAlmostEqual(c["avg_service_s"], 360)
        self.assertAlmostEqual(c["no_show_share"], 1 / 8)
        self.assertEqual(c["reviews"], 3)
        self.assertAlmostEqual(c["good_rate"], 1 / 3)
        self.assertEqual(c["bad_reviews"], 1)
        # R4 due 10-12 in October, closed 10-12 10:00: on time
        self.assertEqual((c["rectify_due"], c["rectify_on_time"]), (1, 1))
        # October 2026 working days: 10-08, 10-09, 10-10 (调休) and 3 full weeks from 10-12:
        # 18 x 420 min = 7560 planned; signed 1530
        self.assertAlmostEqual(c["attendance_rate"], 1530 / 7560)
        self.assertEqual(c["rank_city"], 4)  # the city ranking counts every hall
        self.assertTrue(all(r["hall"] == "LH-03" for r in doc["rows"]))
        st, _ = HUB.get("/api/v1/scorecards?month=2026-10&hall=LH-00", cookie=HUB.cookie("lh03"))
        self.assertEqual(st, 403)


class TestRebuild(unittest.TestCase):
    TABLES = ("stats_day", "stats_tickets", "stats_windows", "stats_reviews")

    def dump(self, db):
        c = sqlite3.connect(db)
        try:
            return {t: c.execute("SELECT * FROM %s ORDER BY 1, 2, 3, 4, 5, 6" % t).fetchall()
                    for t in self.TABLES}
        finally:
            c.close()

    def test_rebuild_gives_identical_tables(self):
        h = statsfixture.start_hub()
        try:
            h.term()
            before = self.dump(h.db)
            self.assertGreater(len(before["stats_day"]), 50)
            r = subprocess.run([cwtest.HUB_BIN, "--config", h.config, "--db", h.db,
                                "--rebuild-rollups"], capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("rebuilt from %d events" % len(statsfixture.events()), r.stdout)
            self.assertEqual(self.dump(h.db), before)
        finally:
            h.close()


class TestLateEventAfterANewDay(unittest.TestCase):
    def test_a_past_days_ticket_finished_after_the_next_day_began(self):
        """The fold forgets its cached records when a newer business day begins
        (server/stats_fold_cache.c); a late event of a past day's ticket then reads the ticket
        back from stats_tickets. LH-03 A001 on 10-08: issued 09:00 (kiosk, biz A), called
        09:10 at A01 -- then a ticket of 10-09, each batch on its own -- then A001's finish at
        09:16, sent late as a gateway's resend after an outage would be. 10-08: issued 1,
        finished 1, W 600 s, S 360 s (from the call it read back); 10-09: issued 1, finished 0."""
        h = cwtest.Hub(clock="2026-10-13T20:00:00+08:00@1")
        try:
            d0, d1 = "2026-10-08", "2026-10-09"
            batches = [
                [("ticket.issued", d0, 540, dict(ticket="A001", biz="A", channel="kiosk",
                                                 priority="normal")),
                 ("ticket.called", d0, 550, dict(ticket="A001", window="A01", staff="W2031"))],
                [("ticket.issued", d1, 540, dict(ticket="A001", biz="A", channel="kiosk",
                                                 priority="normal"))],
                [("ticket.finished", d0, 556, dict(ticket="A001", window="A01", result="done"))],
            ]
            seq = 0
            for b in batches:
                evs = []
                for type_, day, minutes, data in b:
                    seq += 1
                    evs.append(cwtest.ev("LH-03", seq, type_, statsfixture.t(day, minutes),
                                         feed="late", **data))
                h.ingest(evs)
            cookie = h.cookie("city")

            def kpi(day):
                st, body = h.get("/api/v1/stats?day=%s&level=hall" % day, cookie=cookie)
                self.assertEqual(st, 200, body)
                return row(body, hall="LH-03")["kpi"]
            k = kpi(d0)
            self.assertEqual((k["issued"], k["calls"], k["finished"], k["done"]), (1, 1, 1, 1))
            self.assertAlmostEqual(k["avg_wait_s"], 600, places=6)
            self.assertAlmostEqual(k["avg_service_s"], 360, places=6)
            k = kpi(d1)
            self.assertEqual((k["issued"], k["finished"]), (1, 0))
        finally:
            h.close()


if __name__ == "__main__":
    cwtest.main()
