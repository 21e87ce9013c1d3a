"""The business calendar and the business day (SPEC §1 clock, §2 calendar, §4 hall status):
2026 holidays and make-up working days from config/demo.yaml, the day roll-over at local
midnight, late events of the previous day, future `at` clamped to now."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import TOKEN_ALL_HALLS, TOKEN_WALL  # noqa: E402


def status_at(clock, hall="LH-03"):
    h = cwtest.Hub(clock=clock)
    try:
        snap = h.snapshot()
        return snap["day"], snap["halls"][hall]["status"]
    finally:
        h.close()


class TestCalendar(unittest.TestCase):
    # LH-03 opens Monday..Friday 08:30-17:00 (no Saturday hours), on 调休 days like a weekday.
    def test_working_monday_open(self):
        self.assertEqual(status_at("2026-11-23T10:00:00+08:00"), ("2026-11-23", "ok"))

    def test_before_opening_closed(self):
        self.assertEqual(status_at("2026-11-23T08:00:00+08:00"), ("2026-11-23", "closed"))

    def test_after_closing_closed(self):
        self.assertEqual(status_at("2026-11-23T17:30:00+08:00"), ("2026-11-23", "closed"))

    def test_national_day_holiday_closed(self):
        # 2026-10-01 (Thursday) is a day off
        self.assertEqual(status_at("2026-10-01T10:00:00+08:00"), ("2026-10-01", "closed"))

    def test_makeup_saturday_open(self):
        # 2026-10-10 (Saturday) is a make-up working day (调休上班)
        self.assertEqual(status_at("2026-10-10T10:00:00+08:00"), ("2026-10-10", "ok"))

    def test_plain_sunday_closed(self):
        self.assertEqual(status_at("2026-10-11T10:00:00+08:00"), ("2026-10-11", "closed"))

    def test_spring_festival_closed_and_makeup_open(self):
        self.assertEqual(status_at("2026-02-16T10:00:00+08:00")[1], "closed")  # Monday, 春节
        self.assertEqual(status_at("2026-02-14T10:00:00+08:00")[1], "ok")      # Saturday, 调休

    def test_saturday_hours_of_city_centre(self):
        # LH-00 also opens on Saturdays 09:00-12:00; LH-03 does not
        h = cwtest.Hub(clock="2026-11-28T10:00:00+08:00")
        try:
            snap = h.snapshot()
            self.assertEqual(snap["halls"]["LH-00"]["status"], "ok")
            self.assertEqual(snap["halls"]["LH-03"]["status"], "closed")
        finally:
            h.close()


class TestBusinessDay(unittest.TestCase):
    def test_day_rolls_over_at_midnight(self):
        # 23:59:00 at 20x: midnight comes after 3 real seconds
        hub = cwtest.Hub(clock="2026-11-23T23:59:00+08:00@20")
        try:
            f = cwtest.Feeder(hub, "LH-03", at_="23:58")
            f.send([f.issued(), f.issued()])
            kpi = hub.hall("LH-03")["kpi"]
            self.assertEqual((kpi["issued"], kpi["waiting"]), (2, 2))
            lc = cwtest.LiveClient(hub, token=TOKEN_WALL)
            lc.subscribe(["city"])
            lc.wait_snapshot("city")
            lc.wait_for(lambda c: c.state["city"]["day"] == "2026-11-24", 8, "day 2026-11-24")
            snap = hub.snapshot()
            self.assertEqual(snap["day"], "2026-11-24")
            kpi = snap["halls"]["LH-03"]["kpi"]
            # waiting tickets were voided at midnight and do not carry over
            self.assertEqual(kpi.get("waiting", 0), 0, kpi)
            self.assertEqual(kpi.get("issued", 0), 0, kpi)
            self.assertNotIn("max_wait_live_s", kpi)
            # a late event of the previous day is stored, acknowledged, and does not count today
            st, body = hub.post_events(TOKEN_ALL_HALLS, [f.issued()])
            self.assertEqual((st, body["accepted"]), (200, 1), body)
            self.assertEqual(hub.hall("LH-03")["kpi"].get("issued", 0), 0)
            self.assertEqual(len(hub.all_events("LH-03")), 3)
            # and an event of the new day does
            f.at = cwtest.at("00:00:30", day="2026-11-24")
            f.send([f.issued()])
            cwtest.wait_until(lambda: hub.hall("LH-03")["kpi"].get("issued") == 1, 3,
                              what="issued 1 on the new day")
            lc.close()
        finally:
            hub.close()

    def test_future_at_is_clamped_to_now(self):
        hub = cwtest.Hub()  # 09:00@1
        try:
            m0 = hub.metrics().get("citywall_events_clamped_total", 0)
            f = cwtest.Feeder(hub, "LH-15")
            f.at = cwtest.at("10:30")  # 90 min in the future
            f.send([f.issued()])
            kpi = hub.hall("LH-15")["kpi"]
            self.assertEqual(kpi["waiting"], 1)
            # entered = now (clamped), not 10:30: it has waited 0 s, not -5400 s
            self.assertGreaterEqual(kpi["max_wait_live_s"], 0)
            self.assertLessEqual(kpi["max_wait_live_s"], cwtest.business_elapsed_s(hub) + 1)
            self.assertEqual(hub.metrics().get("citywall_events_clamped_total", 0) - m0, 1)
            # a day not yet begun is not today: the event still counts today (clamped)
            f.at = cwtest.at("09:00", day="2026-11-24")
            f.send([f.issued()])
            self.assertEqual(hub.hall("LH-15")["kpi"]["issued"], 2)
        finally:
            hub.close()


if __name__ == "__main__":
    cwtest.main()
