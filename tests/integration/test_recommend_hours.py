"""智能分流 and opening hours (SPEC §7 "closed halls last, with when they open"; issue 12 item 7).

The demo city's halls open 08:30-17:00 (the centre, LH-00) or 08:30-16:30 (the towns), all with
lunch 12:00-13:30, Mon-Fri. 2026-11-23 is a Monday.

- 12:10 (lunch): every hall is closed; each one is listed with opens_at 13:30 (not "休息" on top
  of the list as before), ranked by travel + wait among equals;
- 10:00 with LH-05 closed 10:00-11:00 and LH-03 closed for the rest of the day: LH-05 comes last
  with opens_at 11:00, LH-03 is left out (it will not open again today), the others are open
  and ranked by travel + wait;
- 16:45: the towns (LH-06..LH-19, until 16:30) have closed for the day and are left out; the
  city centre and the street centres (LH-00..LH-05, the city default 08:30-17:00) remain, open.
"""

import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import at, TOKEN_WALL  # noqa: E402

CAT = "social-security"


def haversine_km(lat1, lng1, lat2, lng2):
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def serving(hub):
    st, body = hub.get("/api/v1/halls", token=TOKEN_WALL)
    assert st == 200, (st, body)
    halls = cwtest.as_list(body, "halls")
    return {h["id"]: h for h in halls if any(b.get("category") == CAT for b in h["biz"])}


def recommend(hub, lat, lng):
    st, body = hub.get("/api/v1/recommend?lat=%s&lng=%s&category=%s" % (lat, lng, CAT),
                       token=TOKEN_WALL)
    assert st == 200, (st, body)
    return body["halls"]


class TestRecommendHours(unittest.TestCase):
    def check_order_by_travel(self, res, halls, lat, lng):
        # nothing waits anywhere (ewt 0): travel decides, i.e. distance
        d = [haversine_km(lat, lng, halls[r["hall"]]["lat"], halls[r["hall"]]["lng"]) for r in res]
        self.assertEqual(d, sorted(d), [r["hall"] for r in res])

    def test_lunch_all_closed_with_when_they_open(self):
        hub = cwtest.Hub(clock="2026-11-23T12:10:00+08:00@1")
        try:
            halls = serving(hub)
            lat, lng = halls["LH-00"]["lat"], halls["LH-00"]["lng"]
            res = recommend(hub, lat, lng)
            self.assertEqual(sorted(r["hall"] for r in res), sorted(halls))
            for r in res:
                self.assertIs(r["open"], False, r)
                self.assertEqual(r["opens_at"], "2026-11-23T13:30:00.000+08:00", r)
            self.check_order_by_travel(res, halls, lat, lng)
            self.assertEqual(res[0]["hall"], "LH-00")
        finally:
            hub.close()

    def test_closures_last_or_left_out(self):
        hub = cwtest.Hub(clock="2026-11-23T10:00:00+08:00@1")
        try:
            halls = serving(hub)
            self.assertIn("LH-03", halls)
            self.assertIn("LH-05", halls)
            admin = hub.cookie("admin")
            st, r = hub.post("/api/v1/halls/LH-05/closure",
                             {"from": at("10:00"), "to": at("11:00"), "reason": "停电"}, cookie=admin)
            self.assertIn(st, (200, 201), r)
            st, r = hub.post("/api/v1/halls/LH-03/closure",
                             {"from": at("10:00"), "to": "2026-11-24T00:00:00+08:00", "reason": "检修"},
                             cookie=admin)
            self.assertIn(st, (200, 201), r)
            lat, lng = halls["LH-05"]["lat"], halls["LH-05"]["lng"]  # LH-05 is the nearest
            res = recommend(hub, lat, lng)
            ids = [r["hall"] for r in res]
            self.assertNotIn("LH-03", ids)
            self.assertEqual(sorted(ids), sorted(set(halls) - {"LH-03"}))
            self.assertEqual(ids[-1], "LH-05")
            self.assertEqual((res[-1]["open"], res[-1]["opens_at"]),
                             (False, "2026-11-23T11:00:00.000+08:00"))
            for r in res[:-1]:
                self.assertIs(r["open"], True, r)
                self.assertNotIn("opens_at", r)
            self.check_order_by_travel(res[:-1], halls, lat, lng)
        finally:
            hub.close()

    def test_after_the_towns_close(self):
        hub = cwtest.Hub(clock="2026-11-23T16:45:00+08:00@1")
        try:
            halls = serving(hub)
            lat, lng = halls["LH-06"]["lat"], halls["LH-06"]["lng"]  # a town's own doorstep
            res = recommend(hub, lat, lng)
            want = sorted(h for h in halls if int(h[3:]) <= 5)
            self.assertGreaterEqual(len(want), 2)
            self.assertEqual(sorted(r["hall"] for r in res), want)
            self.assertTrue(all(r["open"] for r in res), res)
            self.check_order_by_travel(res, halls, lat, lng)
        finally:
            hub.close()


if __name__ == "__main__":
    cwtest.main()
