"""alerttest: helpers shared by the alerting integration tests (test_alerts*.py).

- write_config(): a small two-hall city (LH-00 and LH-03, so the demo credentials apply) with
  an `alerts` section chosen by the test; R8 and R15 are off unless a test turns them on
  (every hall that sends nothing would otherwise raise them).
- Sender: events for a hub with a seq per (hall); times are times of day on 2026-11-23.
- Receiver: a local webhook receiver (http.server in a thread) that records every POST.
- alert()/wait_alert(): GET /api/v1/alerts polling with a deadline.
- db(): read-only peeks into the hub's sqlite file (history, outbox).
"""

import copy
import http.server
import json
import os
import re
import sqlite3
import threading
import time

import cwtest
from cwtest import TOKEN_ALL_HALLS, TOKEN_WALL

CITY = {
    "code": "331082",
    "name": "测试市",
    "timezone": "Asia/Shanghai",
    "categories": [{"id": "social-security", "name": "社会保障"}, {"id": "tax", "name": "税务"}],
    "hours": {"mon-fri": {"open": "08:30-17:00", "lunch": "12:00-13:30"}},
    "calendar": {"holidays": ["2026-10-01..2026-10-07"], "workdays": ["2026-10-10"]},
    "cases": {"contact_days": 1, "rectify_days": 15},
}

HALLS = [
    {"id": "LH-00", "name": "市行政服务中心", "level": "city",
     "location": {"lat": 28.858, "lng": 121.145},
     "biz": [{"id": "A", "name": "社保业务", "category": "social-security", "sla_min": 30},
             {"id": "B", "name": "税务办理", "category": "tax", "sla_min": 20}],
     "windows": [{"id": "A01", "biz": ["A"], "cameras": ["LH-00-CAM-W1"]},
                 {"id": "A02", "biz": ["A"]},
                 {"id": "B01", "biz": ["B"]}],
     "staff": [{"id": "W1001", "name": "张三"}, {"id": "W1002", "name": "李四"}],
     "cameras": [{"id": "LH-00-CAM-W1", "name": "窗口区", "area": "window"},
                 {"id": "LH-00-CAM-Q1", "name": "等候区", "area": "waiting"},
                 {"id": "LH-00-CAM-Q2", "name": "等候区二", "area": "waiting"},
                 {"id": "LH-00-CAM-E1", "name": "大门", "area": "entrance"},
                 {"id": "LH-00-CAM-E2", "name": "侧门", "area": "entrance"},
                 {"id": "LH-00-CAM-S1", "name": "自助区", "area": "self_service"}]},
    {"id": "LH-03", "name": "江南街道便民服务中心", "level": "town", "parent": "LH-00",
     "location": {"lat": 28.84, "lng": 121.16},
     "biz": [{"id": "A", "name": "社保业务", "category": "social-security", "sla_min": 30}],
     "windows": [{"id": "A01", "biz": ["A"]}, {"id": "A02", "biz": ["A"]}]},
]

LEXICON = {
    "人身安全": {"weight": 10, "terms": ["自杀", "跳楼"]},
    "作风": {"weight": 4, "terms": ["态度恶劣", "推诿"]},
    "测试": {"weight": 6, "terms": ["ABC 123"]},
}

DAY = "2026-11-23"
# An `at` later than the hub's business now is clamped to now (SPEC §3.1): events stamped NOW
# happen "now" on the hub's virtual clock, whatever the test's own timing.
NOW = "16:59:59"


def demo_credentials():
    """The `accounts:` and `tokens:` blocks of config/demo.yaml, as text."""
    with open(cwtest.DEMO_CONFIG, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^accounts:.*?(?=^lexicon:|^# 敏感词)", text, re.S | re.M)
    if not m:
        raise AssertionError("no accounts/tokens blocks in %s" % cwtest.DEMO_CONFIG)
    return m.group(0)


def alerts_section(rules=None, halls=None, biz=None, **top):
    """The `alerts` mapping: R8 and R15 off, group wait 1 s, no startup grace, plus overrides."""
    r = {"R8": {"enabled": False}, "R15": {"enabled": False}}
    for k, v in (rules or {}).items():
        r.setdefault(k, {}).update(v)
    a = {"group_wait_s": 1, "startup_grace_s": 0, "rules": r}
    if halls:
        a["halls"] = halls
    if biz:
        a["biz"] = biz
    a.update(top)
    return a


def write_config(path, alerts=None, webhooks=(), city=None):
    """Write a config file; every section but the credentials is JSON (a YAML subset)."""
    c = copy.deepcopy(CITY)
    if city:
        c.update(city)
    parts = [
        "server: %s" % json.dumps({"tick_ms": 50}),
        "city: %s" % json.dumps(c, ensure_ascii=False),
        "halls: %s" % json.dumps(HALLS, ensure_ascii=False),
        "lexicon: %s" % json.dumps(LEXICON, ensure_ascii=False),
        "webhooks: %s" % json.dumps(list(webhooks)),
        "alerts: %s" % json.dumps(alerts if alerts is not None else alerts_section(),
                                  ensure_ascii=False),
        demo_credentials(),
    ]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")
    return path


def hub_with(clock, alerts=None, webhooks=(), extra_args=(), start=True, city=None):
    """A hub on a config of its own (written into a fresh temp dir)."""
    hub = cwtest.Hub(clock=clock, start=False, extra_args=extra_args)
    hub.config = write_config(os.path.join(hub.tmp, "alerts.yaml"), alerts, webhooks, city)
    if start:
        hub.start()
    return hub


def at(hhmm, day=DAY):
    return cwtest.at(hhmm, day)


class Sender:
    """Events for one hub: send(hall, type, "09:30", **data) with the next seq of that hall."""

    def __init__(self, hub, day=DAY, token=TOKEN_ALL_HALLS):
        self.hub, self.day, self.token = hub, day, token
        self.seq = {}

    def ev(self, hall, type_, time_, **data):
        self.seq[hall] = self.seq.get(hall, 0) + 1
        t = time_ if "T" in time_ else at(time_, self.day)
        return cwtest.ev(hall, self.seq[hall], type_, t, **data)

    def send(self, events):
        st, body = self.hub.post_events(self.token, events)
        if st != 200 or body.get("rejected") or body.get("accepted") != len(events):
            raise AssertionError("ingest: %d %s" % (st, json.dumps(body)[:1000]))
        return body

    def one(self, hall, type_, time_, **data):
        return self.send([self.ev(hall, type_, time_, **data)])

    def issue(self, hall, ticket, biz, time_):
        return self.one(hall, "ticket.issued", time_, ticket=ticket, biz=biz, channel="kiosk",
                        priority="normal")


# ---------------------------------------------------------------------------------------------
# REST

def alerts(hub, state=None, token=TOKEN_WALL, cookie=None, hall=None):
    q = "/api/v1/alerts"
    args = []
    if state:
        args.append("state=" + state)
    if hall:
        args.append("hall=" + hall)
    if args:
        q += "?" + "&".join(args)
    st, body = hub.get(q, token=None if cookie else token, cookie=cookie)
    if st != 200:
        raise AssertionError("GET %s: %d %r" % (q, st, body))
    return {a["id"]: a for a in body["alerts"]}


def alert(hub, id_, **kw):
    return alerts(hub, **kw).get(id_)


def wait_alert(hub, id_, state, severity=None, timeout=15, **kw):
    """Wait until alert id_ is in `state` (and `severity`); returns it."""
    def pred():
        a = alert(hub, id_, **kw)
        if a and a["state"] == state and (severity is None or a["severity"] == severity):
            return a
        return None
    return cwtest.wait_until(pred, timeout, interval=0.05,
                             what="%s %s %s (last: %s)" % (id_, state, severity or "",
                                                           _brief(alert(hub, id_, **kw))))


def _brief(a):
    return None if a is None else "%s %s" % (a["state"], a["severity"])


# ---------------------------------------------------------------------------------------------
# sqlite peeks (the hub's store; read-only, WAL allows it beside the hub)

def db_rows(hub, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % hub.db, uri=True, timeout=5)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def history(hub, id_):
    return [r[0] for r in db_rows(hub, "SELECT kind FROM alert_history WHERE alert = ? ORDER BY id",
                                  (id_,))]


def seed_days(hub, rows):
    """Write alert_days rows [(hall, yyyymmdd, body-dict)] into a hub's store before it starts."""
    con = sqlite3.connect(hub.db)
    try:
        con.execute("CREATE TABLE IF NOT EXISTS alert_days(hall TEXT NOT NULL, day INTEGER NOT"
                    " NULL, body TEXT NOT NULL, PRIMARY KEY(hall, day)) WITHOUT ROWID")
        con.executemany("INSERT OR REPLACE INTO alert_days(hall, day, body) VALUES(?,?,?)",
                        [(h, d, json.dumps(b)) for h, d, b in rows])
        con.commit()
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# the webhook receiver

class Receiver:
    """POSTs to http://127.0.0.1:PORT/... are recorded as (monotonic time, path, JSON body)."""

    def __init__(self, port=None):
        self.port = port or cwtest.free_port()
        self.got = []
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    @property
    def url(self):
        return "http://127.0.0.1:%d/alertmanager" % self.port

    def start(self):
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                try:
                    obj = json.loads(body.decode("utf-8"))
                except ValueError:
                    obj = {"_invalid": body[:200].decode("utf-8", "replace")}
                with rx.lock:
                    rx.got.append((time.monotonic(), self.path, obj,
                                   self.headers.get("Content-Type")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def payloads(self):
        with self.lock:
            return [g[2] for g in self.got]

    def wait_count(self, n, timeout=30):
        return cwtest.wait_until(lambda: len(self.payloads()) >= n and self.payloads(), timeout,
                                 interval=0.05, what="%d webhook payloads (have %d)" %
                                 (n, len(self.payloads())))


def check_am_payload(tc, p):
    """Prometheus Alertmanager webhook v4 format (what a receiver parses)."""
    for k in ("version", "groupKey", "status", "receiver", "groupLabels", "commonLabels",
              "commonAnnotations", "externalURL", "alerts"):
        tc.assertIn(k, p, "payload without %s: %s" % (k, json.dumps(p)[:500]))
    tc.assertEqual(p["version"], "4")
    tc.assertIn(p["status"], ("firing", "resolved"))
    tc.assertTrue(p["alerts"])
    for a in p["alerts"]:
        for k in ("status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
                  "fingerprint"):
            tc.assertIn(k, a)
        tc.assertIn(a["status"], ("firing", "resolved"))
        tc.assertRegex(a["startsAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        tc.assertRegex(a["endsAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        if a["status"] == "firing":
            tc.assertEqual(a["endsAt"], "0001-01-01T00:00:00Z")
        tc.assertRegex(a["fingerprint"], r"^[0-9a-f]{16}$")
        tc.assertTrue(all(isinstance(v, str) for v in a["labels"].values()))
        tc.assertTrue(all(isinstance(v, str) for v in a["annotations"].values()))
        tc.assertIn("alertname", a["labels"])
        tc.assertIn("severity", a["labels"])
    if p["status"] == "firing":
        tc.assertTrue(any(a["status"] == "firing" for a in p["alerts"]))
    else:
        tc.assertTrue(all(a["status"] == "resolved" for a in p["alerts"]))
