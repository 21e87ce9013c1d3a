"""Alert history for statistics (docs/statistics.md): GET /api/v1/alerts/history over a period
(day=, week=, month=) with hall, rule and severity filters, paged over everything stored, and
its CSV export. The history rows are written into the hub's store while it is stopped (as the
alert engine would have written them over a month), then read through the API."""

import csv
import io
import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402

# (alert id, local time, kind, state, severity): LH-03 has 4 rows in October (3 of them P2),
# LH-00 2 in October, LH-03 1 in September; the month filter must leave September out.
ROWS = [
    ("R1:LH-03:A", "2026-09-30T10:00:00+08:00", "firing", "firing", "P2"),
    ("R1:LH-03:A", "2026-10-08T09:10:00+08:00", "firing", "firing", "P2"),
    ("R1:LH-03:A", "2026-10-08T09:40:00+08:00", "resolved", "resolved", "P2"),
    ("R3:LH-03", "2026-10-09T11:00:00+08:00", "firing", "firing", "P3"),
    ("R1:LH-03:B", "2026-10-31T16:00:00+08:00", "firing", "firing", "P2"),
    ("R1:LH-00:A", "2026-10-09T10:00:00+08:00", "firing", "firing", "P2"),
    ("R12:LH-00", "2026-10-10T15:00:00+08:00", "firing", "firing", "P1"),
]


def ms(rfc):
    import datetime
    return int(datetime.datetime.fromisoformat(rfc).timestamp() * 1000)


class TestAlertHistory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = cwtest.Hub(clock="2026-11-02T10:00:00+08:00@1")
        cls.hub.term()
        con = sqlite3.connect(cls.hub.db)
        with con:
            con.executemany("INSERT INTO alert_history(alert, at_ms, real_ms, kind, state,"
                            " severity, detail) VALUES(?,?,?,?,?,?,?)",
                            [(a, ms(t), ms(t), k, s, sev, "说明, \"引号\"")
                             for a, t, k, s, sev in ROWS])
        con.close()
        cls.hub.start()

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def get(self, q, user="city"):
        st, body = self.hub.get("/api/v1/alerts/history?" + q, cookie=self.hub.cookie(user))
        self.assertEqual(st, 200, body)
        return body

    def test_month_hall_severity_paged(self):
        # October, LH-03, P2: rows 2, 3 and 5 of ROWS; two per page
        q = "month=2026-10&hall=LH-03&severity=P2&limit=2"
        p1 = self.get(q)
        self.assertEqual([(r["alert"], r["at"][:16]) for r in p1["history"]],
                         [("R1:LH-03:A", "2026-10-08T09:10"), ("R1:LH-03:A", "2026-10-08T09:40")])
        p2 = self.get(q + "&after=%d" % p1["next"])
        self.assertEqual([(r["alert"], r["at"][:16]) for r in p2["history"]],
                         [("R1:LH-03:B", "2026-10-31T16:00")])
        self.assertNotIn("next", p2)

    def test_rule_and_day_and_week(self):
        self.assertEqual([r["alert"] for r in self.get("month=2026-10&rule=R1")["history"]],
                         ["R1:LH-03:A", "R1:LH-03:A", "R1:LH-03:B", "R1:LH-00:A"])
        self.assertEqual([r["alert"] for r in self.get("day=2026-10-09")["history"]],
                         ["R3:LH-03", "R1:LH-00:A"])
        # 2026-W41 is 10-05..10-11: rows 2, 3, 4, 6, 7
        self.assertEqual(len(self.get("week=2026-W41")["history"]), 5)

    def test_roles(self):
        rows = self.get("month=2026-10", user="lh03")["history"]
        self.assertEqual({r["alert"].split(":")[1] for r in rows}, {"LH-03"})
        st, _ = self.hub.get("/api/v1/alerts/history?hall=LH-00", cookie=self.hub.cookie("lh03"))
        self.assertEqual(st, 403)
        st, body = self.hub.get("/api/v1/alerts/history?month=2026-13",
                                cookie=self.hub.cookie("city"))
        self.assertEqual(st, 400)
        self.assertIn("month", body["error"])

    def test_csv_export(self):
        r = self.hub.request("GET", "/api/v1/alerts/history?month=2026-10&format=csv",
                             cookie=self.hub.cookie("city"))
        self.assertEqual(r.status, 200)
        self.assertIn("text/csv", r.header("content-type"))
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(io.StringIO(r.body.decode("utf-8-sig"))))
        self.assertEqual(rows[0], ["id", "告警", "时间", "类型", "状态", "级别", "用户", "详情"])
        # October: every row of ROWS but the September one, in id order
        self.assertEqual([(x[1], x[5]) for x in rows[1:]],
                         [(a, sev) for a, t, k, s, sev in ROWS[1:]])
        self.assertEqual(rows[1][7], "说明, \"引号\"")


if __name__ == "__main__":
    cwtest.main()
