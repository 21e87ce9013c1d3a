"""Reports (docs/statistics.md): the daily and monthly reports as CSV (parsed back), XLSX (read
back with openpyxl) and PDF (through pdftotext; page 1 kept as a PNG artifact), the role rule,
and the daily report the hub writes by itself -- on the hand-computed fixture of
statsfixture.py (its docstring says what happened; the figures below are computed from it)."""

import csv
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
import statsfixture  # noqa: E402

HUB = None
ARTIFACTS = os.path.join(cwtest.BUILD_DIR, "artifacts")


def setUpModule():
    global HUB
    HUB = statsfixture.start_hub()


def tearDownModule():
    if HUB:
        HUB.close()


def report(path, user="city"):
    r = HUB.request("GET", "/api/v1/reports/" + path, cookie=HUB.cookie(user))
    if r.status != 200:
        raise AssertionError("GET %s: %d %r" % (path, r.status, r.body[:300]))
    return r


def csv_tables(body):
    """{table title: [rows]} of a report CSV (title line, header, rows, empty line)."""
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM"
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    tables, cur = {}, None
    for ln in lines[3:]:
        if not ln:
            cur = None
        elif cur is None:
            cur = tables.setdefault(ln[0], [])
        else:
            cur.append(ln)
    return tables


# The monthly report of LH-03 for 2026-10 (everything of the fixture's week, plus R4 closed on
# 10-12): issued 21, finished 20, 一次办结率 18/20 = 90.0 %, 补正率 10.0 %, no-shows 1,
# W 300 min / 21 = 14.29 -> 14.3 min, S 202 / 20 = 10.1 min, 6 reviews, 好评率 50.0 %, 差评 2,
# 回访率 2/2 = 100.0 %, 整改率: due in October R3 (10-10) and R4 (10-12), both on time: 100.0 %.
MONTH_LH03 = {"取号量": "21", "办结量": "20", "一次办结率(%)": "90.0", "补正率(%)": "10.0",
              "过号": "1", "平均等候(分钟)": "14.3", "平均办理(分钟)": "10.1", "评价数": "6",
              "好评率(%)": "50.0", "差评数": "2", "回访率(%)": "100.0", "整改率(%)": "100.0"}


class TestReports(unittest.TestCase):
    def test_daily_city_csv(self):
        r = report("daily?day=2026-10-09&format=csv")
        self.assertIn("text/csv", r.header("content-type"))
        t = csv_tables(r.body)
        head = dict((k, v) for k, v in t["总体指标"][1:])
        # 10-09: LH-03 issued A 8 + A900 + B 2 = 11, LH-00 A 10 + B 5 = 15 -> 26; finished 10 + 15
        self.assertEqual((head["取号量"], head["办结量"]), ("26", "25"))
        # done: LH-03 A 7 + B 2 = 9, LH-00 A 9 + B 5 = 14 -> 23 / 25 = 92.0 %
        self.assertEqual(head["一次办结率(%)"], "92.0")
        # W: LH-03 8x20 + 10 + 2x5 = 180, LH-00 10x8 + 5x12 = 140 -> 320 / 26 = 12.3 min
        self.assertEqual(head["平均等候(分钟)"], "12.3")
        halls = {row[0].split()[0]: row for row in t["各中心"][1:]}
        self.assertEqual(len(halls), 20)  # every hall of the city, quiet ones with zeros
        # LH-03: 11, 10, 9/10 = 90.0, W 180/11 = 16.4, S (4x6 + 4x10 + 2x15) / 10 = 9.4,
        # 1 no-show, reviews R4 2 and R5 5: 2, 好评率 50.0, 1 差评
        self.assertEqual(halls["LH-03"][1:],
                         ["11", "10", "90.0", "16.4", "9.4", "1", "2", "50.0", "1"])
        self.assertEqual(halls["LH-07"][1:3], ["0", "0"])

    def test_monthly_hall_xlsx(self):
        import openpyxl  # python3-openpyxl
        r = report("monthly?month=2026-10&hall=LH-03&format=xlsx", user="lh03")
        wb = openpyxl.load_workbook(io.BytesIO(r.body))
        ws = wb["表1"]
        self.assertEqual(ws["A1"].value, "江南街道便民服务中心 政务服务月报")
        got = dict(ws.iter_rows(min_row=4, max_col=2, values_only=True))
        self.assertEqual(got, {k: float(v) for k, v in MONTH_LH03.items()})
        # the staff sheet: W2031 程琳 served 7 of 6.0 min, 好评率 1/3 = 33.3, 1 差评,
        # attendance 1530 / (18 working days x 420) = 20.2 %, 2nd in LH-03; W2032 is listed
        # for 约谈 (last in September and October)
        staff = {row[1]: row for row in wb["表3"].iter_rows(min_row=4, values_only=True)}
        self.assertEqual(staff["W2031"][2:9], ("程琳", 7, 6.0, 33.3, 1, 20.2, 2))
        self.assertEqual(staff["W2032"][9], "是")

    def test_monthly_hall_pdf(self):
        r = report("monthly?month=2026-10&hall=LH-03&format=pdf", user="lh03")
        self.assertEqual(r.header("content-type"), "application/pdf")
        tmp = tempfile.mkdtemp(prefix="cwpdf-")
        try:
            pdf = os.path.join(tmp, "r.pdf")
            with open(pdf, "wb") as f:
                f.write(r.body)
            info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
            self.assertIn("595.276 x 841.89 pts (A4)", info)
            text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                                  text=True, check=True).stdout
            lines = [ln.split() for ln in text.splitlines()]
            for name, value in MONTH_LH03.items():
                self.assertIn([name, value], lines, name)
            self.assertIn("江南街道便民服务中心 政务服务月报", text)
            self.assertIn("程琳", text)
            self.assertRegex(text, r"第\s*1\s*页\s*/\s*共\s*\d+\s*页")
            os.makedirs(ARTIFACTS, exist_ok=True)
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                            pdf, os.path.join(ARTIFACTS, "stats-report-monthly-LH-03")],
                           check=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_roles(self):
        for path in ("daily?day=2026-10-09&hall=LH-00&format=pdf",
                     "monthly?month=2026-10&hall=LH-00&format=csv",
                     "daily?day=2026-10-09&format=csv"):  # the city's report
            r = HUB.request("GET", "/api/v1/reports/" + path, cookie=HUB.cookie("lh03"))
            self.assertEqual(r.status, 403, path)
        for path, word in (("daily?format=csv", "day"), ("daily?day=2026-10-09&format=doc",
                                                          "format"),
                           ("monthly?month=2026-1&format=csv", "month")):
            r = HUB.request("GET", "/api/v1/reports/" + path, cookie=HUB.cookie("city"))
            self.assertEqual(r.status, 400, path)
            self.assertIn(word, r.json["error"])
        r = HUB.request("GET", "/api/v1/reports/weekly?week=2026-W41", cookie=HUB.cookie("city"))
        self.assertEqual(r.status, 404)


class Receiver(http.server.BaseHTTPRequestHandler):
    """The report webhook: keeps every JSON body POSTed to it."""
    bodies = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        Receiver.bodies.append(json.loads(self.rfile.read(n)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class TestDailyWriter(unittest.TestCase):
    def test_city_daily_report_written_after_the_day_closes(self):
        # the fixture up to 10-10 (the 调休 Saturday), the clock 10 s before its midnight
        srv = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        h = cwtest.Hub(start=False, clock="2026-10-10T23:59:50+08:00@1")
        try:
            path = cwtest.write_config(h, statsfixture.CONFIG_EDITS)
            reports = os.path.join(h.tmp, "reports")
            with open(path, "a", encoding="utf-8") as f:
                f.write("\nstats: {reports_dir: %s, report_webhook: \"http://127.0.0.1:%d/r\"}\n"
                        % (reports, srv.server_port))
            h.start()
            evs = [e for e in statsfixture.events() if e["at"][:10] <= "2026-10-10"]
            h.ingest(evs)
            want = ["citywall-daily-2026-10-10." + x for x in ("pdf", "xlsx", "csv")]

            def listed():
                st, body = h.get("/api/v1/reports", cookie=h.cookie("city"))
                files = [r["file"] for r in body["reports"]]
                return files if all(w in files for w in want) else None
            files = cwtest.wait_until(listed, 30, interval=0.2, what="the 10-10 daily report")
            self.assertEqual(files[:3], sorted(want, reverse=True))  # newest first
            with open(os.path.join(reports, want[2]), "rb") as f:
                head = dict((r[0], r[1]) for r in csv_tables(f.read())["总体指标"][1:])
            # 10-10: LH-03 A 2 + B 2 = 4, LH-00 A 10 + B 5 + B900 = 16 -> 20 issued, all
            # finished; done: LH-00 A i=9 supplement -> 19 / 20 = 95.0 %
            self.assertEqual((head["取号量"], head["办结量"]), ("20", "20"))
            self.assertEqual(head["一次办结率(%)"], "95.0")
            # a hall account is not given the city's reports
            st, body = h.get("/api/v1/reports", cookie=h.cookie("lh03"))
            self.assertEqual((st, body["reports"]), (200, []))
            got = cwtest.wait_until(lambda: [b for b in Receiver.bodies
                                             if b.get("day") == "2026-10-10"], 15,
                                    what="the webhook of the 10-10 report")
            self.assertEqual(got[0]["files"], [w for w in reversed(want)])
        finally:
            h.close()
            srv.shutdown()


if __name__ == "__main__":
    cwtest.main()
