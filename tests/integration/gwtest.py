"""gwtest: a real citywall-gateway process for the tests (tests/integration/test_gateway.py,
tests/fault/test_gateway_outage.py): its config written into a temp dir with a free loopback
port, a vendor sqlite table it tails over ODBC (libsqliteodbc), a CSV drop folder, and helpers
to post webhooks, read its /status, its own quarantine (sqlite) and the hub's events.

Only the standard library is used (sqlite3 for the vendor table and the outbox file)."""

import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time

import cwtest
from cwtest import log, wait_until

GW_BIN = os.path.join(cwtest.BUILD_DIR, "citywall-gateway")

# A vendor's 取叫号 webhook record -> ticket.issued; action codes, local time stamps.
QUEUE_MAP = """
    map:
      id: serialNo
      hall: {field: hallCode, codes: {"331082003": LH-03}}
      type: {field: action, codes: {QH: ticket.issued, JH: ticket.called}}
      at: ts
      at_format: local
      tz: "+08:00"
      data:
        ticket: ticketNo
        biz: {field: bizCode, codes: {"01": A, "02": B}}
        channel: {field: source, codes: {"1": kiosk, "2": wechat}}
        priority: {field: vip, codes: {"0": normal, "1": green}, default: normal}
        window: winNo
"""

REVIEW_MAP = """
    map:
      id: id
      hall: {value: LH-03}
      type: {value: review.submitted}
      at: created_at
      at_format: local
      data:
        review: review_no
        level: {field: score, type: int}
        channel: {value: evaluator}
        real_name: {field: real_name, type: bool, default: "0"}
"""

CSV_MAP = """
    map:
      hall: {value: LH-03}
      type: {value: ticket.issued}
      at: time
      at_format: local
      data:
        ticket: ticket
        biz: {value: B}
        channel: {field: channel, codes: {k: kiosk, w: wechat}}
        priority: {value: normal}
"""


def local_ts(t=None):
    """'YYYY-MM-DD HH:MM:SS' of real time t in +08:00 (the vendor systems' local time)."""
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t + 8 * 3600))


def create_vendor_table(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS evaluation(id INTEGER PRIMARY KEY, review_no TEXT, "
               "score INTEGER, real_name INTEGER, created_at TEXT)")
    db.commit()
    db.close()


def insert_reviews(path, first, n, score=5):
    """Rows id first..first+n-1 with review_no 'R<id>'."""
    db = sqlite3.connect(path, timeout=30)
    db.executemany("INSERT INTO evaluation(id, review_no, score, real_name, created_at) "
                   "VALUES(?, ?, ?, 0, ?)",
                   [(i, "R%d" % i, score, local_ts()) for i in range(first, first + n)])
    db.commit()
    db.close()


def drop_csv(folder, name, rows):
    """Write a CSV file elsewhere and rename it into the folder (as an export job must)."""
    tmp = os.path.join(folder, "." + name + ".part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("time,ticket,channel\r\n")
        for r in rows:
            f.write("%s,%s,%s\r\n" % r)
    os.rename(tmp, os.path.join(folder, name))


class Gateway:
    """A citywall-gateway with webhook, ODBC (sqlite) and CSV inputs feeding `hub`."""

    def __init__(self, hub, heartbeat_s=None, inputs=("queue", "reviews", "windows"),
                 extra_gateway="", hub_urls=None, odbc_dsn=None, start=True, alarm_events=None,
                 max_events=None, extra_inputs=""):
        if not os.path.exists(GW_BIN):
            raise AssertionError("citywall-gateway not found at %s" % GW_BIN)
        self.hub = hub
        self.tmp = tempfile.mkdtemp(prefix="cwgw-")
        self.outbox = os.path.join(self.tmp, "outbox.db")
        self.vendor_db = os.path.join(self.tmp, "vendor.db")
        self.csv_dir = os.path.join(self.tmp, "drop")
        os.mkdir(self.csv_dir)
        create_vendor_table(self.vendor_db)
        self.port = cwtest.free_port()
        self.proc = None
        self.starts = 0
        urls = hub_urls or [hub.http_url]
        lines = ["gateway:",
                 "  name: test-gw",
                 "  outbox: %s" % self.outbox,
                 "  listen: 127.0.0.1:%d" % self.port,
                 "  city_config: %s" % cwtest.DEMO_CONFIG]
        if alarm_events:
            lines.append("  alarm_events: %d" % alarm_events)
        if max_events:
            lines.append("  max_events: %d" % max_events)
        if heartbeat_s:
            lines.append("  heartbeat: {every_s: %d, feed: gw-hb, halls: [LH-03]}" % heartbeat_s)
        lines += [extra_gateway] if extra_gateway else []
        lines += ["hub:", "  urls: [%s]" % ", ".join(urls), "  token: demo-LH-03",
                  "  retry_max_ms: 1000", "inputs:"]
        if "queue" in inputs:
            lines += ["  - name: queue-hook", "    kind: http", "    path: /in/queue",
                      "    dedupe_days: 7", "    feed: queue" + QUEUE_MAP.rstrip("\n")]
        if "reviews" in inputs:
            dsn = odbc_dsn or "Driver=SQLite3;Database=%s" % self.vendor_db
            lines += ["  - name: reviews-db", "    kind: odbc", '    dsn: "%s"' % dsn,
                      "    table: evaluation", "    key: id", "    poll_ms: 100",
                      "    batch: 50", "    feed: reviews" + REVIEW_MAP.rstrip("\n")]
        if "windows" in inputs:
            lines += ["  - name: windows-csv", "    kind: csv", "    dir: %s" % self.csv_dir,
                      "    poll_ms: 100", "    feed: csv" + CSV_MAP.rstrip("\n")]
        if extra_inputs:
            lines.append(extra_inputs.rstrip("\n"))
        self.config = os.path.join(self.tmp, "gateway.yaml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        if start:
            self.start()

    def start(self, timeout=20):
        self.starts += 1
        self.stderr_path = os.path.join(self.tmp, "gw-%d.stderr" % self.starts)
        errf = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([GW_BIN, "--config", self.config], stdin=subprocess.DEVNULL,
                                     stdout=errf, stderr=errf, cwd=self.tmp,
                                     preexec_fn=cwtest._pdeathsig)
        errf.close()

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("gateway exited %r:\n%s" % (self.proc.returncode,
                                                                 self.stderr_tail()))
            try:
                return self.request("GET", "/healthz", timeout=1)[0] == 200
            except OSError:
                return False
        wait_until(up, timeout, interval=0.02, what="the gateway's /healthz")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def term(self, timeout=30):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stderr_tail(self, n=4000):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def sanitizer_reports(self):
        out = []
        for i in range(1, self.starts + 1):
            p = os.path.join(self.tmp, "gw-%d.stderr" % i)
            try:
                text = open(p, "rb").read().decode("utf-8", "replace")
            except OSError:
                continue
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                j = text.find(marker)
                if j >= 0:
                    out.append("%s: %s" % (p, text[max(0, j - 200):j + 3000]))
        return out

    def close(self):
        """Stop it (SIGTERM, so LeakSanitizer runs) and fail on sanitizer reports."""
        if self.alive():
            try:
                self.term()
            except subprocess.TimeoutExpired:
                self.kill9()
                raise AssertionError("gateway did not exit within 30 s of SIGTERM")
        reports = self.sanitizer_reports()
        if reports:
            raise AssertionError("sanitizer reports from the gateway:\n" + "\n".join(reports))
        if os.environ.get("CW_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- HTTP

    def request(self, method, path, body=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data,
                         headers={"Content-Type": "application/json"} if data else {})
            r = conn.getresponse()
            raw = r.read()
            try:
                doc = json.loads(raw.decode()) if raw else None
            except ValueError:
                doc = raw.decode("utf-8", "replace")
            return r.status, doc
        finally:
            conn.close()

    def post_queue(self, records, timeout=10):
        return self.request("POST", "/in/queue", records, timeout=timeout)

    def status(self):
        st, doc = self.request("GET", "/status")
        if st != 200:
            raise AssertionError("GET /status: %d %r" % (st, doc))
        return doc

    def cli(self, *args, timeout=30):
        """Run citywall-gateway --config CONFIG ARGS...; returns (rc, stdout, stderr)."""
        p = subprocess.run([GW_BIN, "--config", self.config] + list(args), capture_output=True,
                           timeout=timeout)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def quarantine_rows(self):
        db = sqlite3.connect(self.outbox, timeout=30)
        try:
            return db.execute("SELECT input, ref, reason, record FROM quarantine ORDER BY id")\
                .fetchall()
        finally:
            db.close()

    def outbox_depth(self):
        db = sqlite3.connect(self.outbox, timeout=30)
        try:
            return db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        finally:
            db.close()


def queue_record(serial, ticket, action="QH", ts=None, **extra):
    r = {"serialNo": serial, "hallCode": "331082003", "action": action, "ticketNo": ticket,
         "bizCode": "01", "source": "1", "ts": ts or local_ts()}
    r.update(extra)
    return r


def hub_feeds(hub, hall="LH-03"):
    """The hub's stored events of a hall as {feed: [event, ...] in seq order}."""
    out = {}
    for e in hub.all_events(hall):
        ev = e.get("event", e)
        out.setdefault(ev.get("feed", "main"), []).append(ev)
    for v in out.values():
        v.sort(key=lambda ev: ev["seq"])
    return out


def check_feed(testcase, feed, events, key, expected):
    """Feed events hold seqs 1..N once each, in order, and their keys equal `expected` in
    that order (expected: the list of vendor keys in the order the inputs took them)."""
    seqs = [e["seq"] for e in events]
    testcase.assertEqual(seqs, list(range(1, len(seqs) + 1)),
                         "feed %s: seqs are not 1..N once each: %s" % (feed, seqs[:50]))
    got = [key(e) for e in events]
    testcase.assertEqual(len(got), len(set(got)), "feed %s: a record stored twice" % feed)
    testcase.assertEqual(got, expected, "feed %s: stored records differ from those taken" % feed)
    log("feed %s: %d events, seqs 1..%d, exactly once, in order" % (feed, len(got), len(got)))
