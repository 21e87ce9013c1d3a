"""REST API and operational endpoints (SPEC §7): health, readiness, metrics, the hall registry,
stored events (paged and filtered), history, recommendation, closures, clients, errors."""

import json
import math
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import ev, at, TOKEN_ALL_HALLS, TOKEN_WALL  # noqa: E402

hub = None


def setUpModule():
    global hub
    hub = cwtest.Hub()


def tearDownModule():
    if hub:
        hub.close()


def q(s):
    return urllib.parse.quote(s, safe="")


class TestOps(unittest.TestCase):
    def test_health_ready(self):
        for path in ("/healthz", "/readyz"):
            r = hub.request("GET", path)
            self.assertEqual(r.status, 200, path)

    def test_metrics_count_real_events(self):
        f = cwtest.Feeder(hub, "LH-11", feed="metrics")
        r = hub.request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("text/plain"),
                        r.header("Content-Type"))
        text = r.body.decode()
        self.assertIn("# TYPE", text)
        m0 = cwtest.parse_prometheus(text)
        K = 37
        batch = [f.issued() for _ in range(K)]
        f.send(batch)
        st, body = hub.post_events(TOKEN_ALL_HALLS, batch[:11])  # 11 duplicates
        self.assertEqual(body["duplicates"], 11)
        bad = [ev("LH-11", 100 + i, "ticket.issued", "08:00", feed="metrics", ticket="x",
                  biz="ZZ", channel="kiosk", priority="normal") for i in range(3)]
        st, body = hub.post_events(TOKEN_ALL_HALLS, bad)
        self.assertEqual(len(body["rejected"]), 3)
        m1 = hub.metrics()
        d = {k: m1.get(k, 0) - m0.get(k, 0) for k in m1}
        # 37 new + 11 resent + 3 invalid received; 37 stored; 11 duplicates; 3 rejected, all
        # 3 in quarantine
        expect = {"citywall_events_received_total": K + 11 + 3,
                  "citywall_events_accepted_total": K,
                  "citywall_events_duplicate_total": 11,
                  "citywall_events_rejected_total": 3,
                  "citywall_quarantine_size": 3}
        self.assertEqual({k: d.get(k) for k in expect}, expect)
        for name in ("citywall_ready", "citywall_feed_gap_events", "citywall_store_commit_seconds_count",
                     "citywall_fanout_seconds_count", "citywall_events_in_per_second"):
            self.assertIn(name, m1)
        self.assertEqual(m1["citywall_ready"], 1)


class TestRegistry(unittest.TestCase):
    def test_halls(self):
        st, body = hub.get("/api/v1/halls", token=TOKEN_WALL)
        self.assertEqual(st, 200, body)
        halls = cwtest.as_list(body, "halls")
        self.assertEqual([h["id"] for h in halls], ["LH-%02d" % i for i in range(20)])
        cats = set()
        for h in halls:
            self.assertTrue(h["name"])
            self.assertIn(h["level"], ("city", "county", "town", "village"))
            self.assertTrue(28.4 < h["lat"] < 29.3 and 120.7 < h["lng"] < 121.8, h)  # Linhai
            biz = cwtest.as_list(h["biz"])
            self.assertTrue(biz, h["id"])
            for b in biz:
                self.assertTrue(b["id"] and b["name"] and b["category"], b)
                self.assertIsInstance(b["sla_s"], int)
                cats.add(b["category"])
            for w in cwtest.as_list(h["windows"]):
                self.assertTrue(set(w["biz"]) <= {b["id"] for b in biz}, w)
                self.assertIsInstance(w["cameras"], list)
            camids = {c["id"] for c in cwtest.as_list(h["cameras"])}
            for c in cwtest.as_list(h["cameras"]):
                self.assertIn(c["area"], ("window", "waiting", "entrance", "self_service",
                                          "back_office"))
                self.assertIn(c["status"], ("unknown", "online", "offline", "no_frame"))
            for w in cwtest.as_list(h["windows"]):
                self.assertTrue(set(w["cameras"]) <= camids, w)
        self.assertEqual(halls[0]["level"], "city")
        self.assertIn("social-security", cats)
        for h in halls[1:]:
            self.assertEqual(h.get("parent"), "LH-00", h["id"])

    def test_hall_detail(self):
        h = hub.hall("LH-03")
        for k in ("id", "name", "level", "parent", "lat", "lng", "biz", "windows", "cameras",
                  "kpi"):
            self.assertIn(k, h)
        self.assertEqual(h["id"], "LH-03")
        self.assertIsInstance(h["kpi"], dict)
        st, body = hub.get("/api/v1/halls/LH-99", token=TOKEN_WALL)
        self.assertEqual(st, 404, body)
        self.assertIn("error", body)


class TestEvents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # 1,200 events at LH-12: seq i at 08:00:00 + i s (i = 1..1200); every 4th a heartbeat
        info = hub.hall("LH-12")
        cls.biz = cwtest.hall_biz(info)[0]["id"]
        E = []
        for i in range(1, 1201):
            t = "08:%02d:%02d" % (i // 60, i % 60)
            if i % 4 == 0:
                E.append(ev("LH-12", i, "hall.heartbeat", t))
            else:
                E.append(ev("LH-12", i, "ticket.issued", t, ticket="E%04d" % i, biz=cls.biz,
                            channel="kiosk", priority="normal"))
        for i in range(0, 1200, 400):
            hub.ingest(E[i:i + 400])
        cls.E = E

    def test_paged(self):
        # one page first: it must not hold everything (paging is exercised)
        st, body = hub.get("/api/v1/events?hall=LH-12", token=TOKEN_WALL)
        self.assertEqual(st, 200, body)
        page = cwtest.as_list(body, "events", "items")
        self.assertGreater(len(page), 0)
        evs = [cwtest.stored_event(e) for e in hub.all_events("LH-12")]
        self.assertEqual([e["seq"] for e in evs], list(range(1, 1201)))
        e5 = evs[4]
        self.assertEqual((e5["hall"], e5["type"], e5["data"]["ticket"]),
                         ("LH-12", "ticket.issued", "E0005"))
        self.assertEqual(e5["at"][:19], "2026-11-23T08:00:05")
        if len(page) < 1200:
            cwtest.log("events page size %d (paged)" % len(page))

    def test_filters(self):
        evs = [cwtest.stored_event(e) for e in
               hub.all_events("LH-12", extra="&type=hall.heartbeat")]
        self.assertEqual([e["seq"] for e in evs], list(range(4, 1201, 4)))
        frm, to = at("08:05:00.500"), at("08:10:00.500")
        evs = [cwtest.stored_event(e) for e in
               hub.all_events("LH-12", extra="&from=%s&to=%s" % (q(frm), q(to)))]
        self.assertEqual([e["seq"] for e in evs], list(range(301, 601)))

    def test_filters_paged(self):
        # a time window holding more than one page; `after` comes last, as a client appends it
        frm, to = at("08:00:00.500"), at("08:15:00.500")
        evs = [cwtest.stored_event(e) for e in
               hub.all_events("LH-12", extra="&from=%s&to=%s" % (q(frm), q(to)))]
        self.assertEqual([e["seq"] for e in evs], list(range(1, 901)))

    def test_bad_params(self):
        st, body = hub.get("/api/v1/events?hall=LH-12&from=yesterday", token=TOKEN_WALL)
        self.assertEqual(st, 400, body)
        self.assertIn("error", body)


class TestHistory(unittest.TestCase):
    def test_history_series(self):
        # a hub on a fast clock: 60 business seconds per real second
        h = cwtest.Hub(clock="2026-11-23T09:00:00+08:00@60")
        try:
            f = cwtest.Feeder(h, "LH-03", at_="08:50")
            f.send([f.issued() for _ in range(5)])
            frm, to = at("08:00"), at("12:00")
            path = "/api/v1/history?hall=LH-03&from=%s&to=%s&step=60" % (q(frm), q(to))

            def series():
                st, body = h.get(path, token=TOKEN_WALL)
                assert st == 200, (st, body)
                pts = cwtest.as_list(body, "series", "points", "items")
                return pts if len(pts) >= 3 else None
            pts = cwtest.wait_until(series, 15, interval=0.3, what="3 history points")
            ts = []
            for p in pts:
                t = p.get("t") or p.get("at") or p.get("time") or p.get("ts")
                self.assertIsNotNone(t, p)
                ts.append(t)
            self.assertEqual(ts, sorted(ts))
            # the roll-ups after the events were ingested show the 5 tickets
            kp = [p.get("kpi", p) for p in pts]
            self.assertIn(5, [k.get("issued") for k in kp], pts)
            # step >= 1 min: a smaller step is refused, or served at 1 min
            st, body = h.get(path.replace("step=60", "step=30"), token=TOKEN_WALL)
            if st != 400:
                self.assertEqual(st, 200, body)
                self.assertGreaterEqual(body.get("step", 60), 60, body)
            # step 120 (after from= and to=, as a browser builds the query): points 2 min
            # apart (the last bucket may still be filling)
            st, body = h.get(path.replace("step=60", "step=120"), token=TOKEN_WALL)
            self.assertEqual(st, 200, body)
            self.assertEqual(body.get("step"), 120, {k: v for k, v in body.items()
                                                     if k != "series"})
            t2 = [p["t"] for p in cwtest.as_list(body, "series")]
            mins = [int(t[11:13]) * 60 + int(t[14:16]) for t in t2]
            gaps = [b - a for a, b in zip(mins, mins[1:])]
            self.assertTrue(gaps and all(g == 2 for g in gaps[:-1]) and gaps[-1] in (1, 2), t2)
        finally:
            h.close()


def haversine_km(lat1, lng1, lat2, lng2):
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


class TestRecommend(unittest.TestCase):
    def test_ranking(self):
        st, body = hub.get("/api/v1/halls", token=TOKEN_WALL)
        halls = cwtest.as_list(body, "halls")
        serving = {h["id"]: h for h in halls
                   if any(b["category"] == "social-security" for b in cwtest.as_list(h["biz"]))}
        lat, lng = 28.86, 121.14
        nearest = min(serving, key=lambda i: haversine_km(lat, lng, serving[i]["lat"],
                                                          serving[i]["lng"]))
        # load the nearest hall: 20 waiting, no staffed window, no service yet:
        # ewt = 20 x SLA/2 / max(1, 0)
        info = hub.hall(nearest)
        b = [x for x in cwtest.hall_biz(info) if x["category"] == "social-security"][0]
        E = [ev(nearest, i, "ticket.issued", "08:40", feed="rec", ticket="RC%02d" % i,
                biz=b["id"], channel="kiosk", priority="normal") for i in range(1, 21)]
        hub.ingest(E)
        ewt_nearest = 20 * b["sla_s"] / 2

        def get():
            st, body = hub.get("/api/v1/recommend?lat=%s&lng=%s&category=social-security"
                               % (lat, lng), token=TOKEN_WALL)
            assert st == 200, (st, body)
            return cwtest.as_list(body, "halls", "items", "results")
        res = cwtest.wait_until(lambda: [r for r in get() if r.get("ewt_s")], 3,
                                what="recommendation with ewt_s")
        res = get()
        ids = [r.get("hall") or r.get("id") for r in res]
        self.assertEqual(sorted(ids), sorted(serving), "the halls serving the category")
        by = {i: r for i, r in zip(ids, res)}
        self.assertAlmostEqual(by[nearest]["ewt_s"], ewt_nearest, delta=1)
        keys = {}
        for i, r in zip(ids, res):
            d_km = haversine_km(lat, lng, serving[i]["lat"], serving[i]["lng"])
            if "distance_m" in r:
                self.assertAlmostEqual(r["distance_m"], d_km * 1000, delta=max(5, d_km * 5))
            elif "distance_km" in r:
                self.assertAlmostEqual(r["distance_km"], d_km, delta=max(0.005, d_km * 0.005))
            else:
                self.fail("no distance figure in %r" % r)
            travel = d_km / 30 * 3600
            if "travel_s" in r:
                self.assertAlmostEqual(r["travel_s"], travel, delta=max(2, travel * 0.01))
            keys[i] = travel + r["ewt_s"]
        expected = sorted(ids, key=lambda i: keys[i])
        self.assertEqual(ids, expected)
        self.assertNotEqual(ids[0], nearest, "20 waiting at the nearest hall push it down")


class TestClosureClientsErrors(unittest.TestCase):
    def test_closure(self):
        h = cwtest.Hub()  # its own hub: a closed hall changes recommendations
        try:
            body = {"from": at("08:00"), "to": at("18:00"), "reason": "停电检修"}
            st, r = h.post("/api/v1/halls/LH-03/closure", body, token=TOKEN_WALL)
            self.assertIn(st, (401, 403), r)
            # 09:00 on a Monday is inside LH-03's opening hours: not closed
            self.assertNotEqual(h.snapshot()["halls"]["LH-03"]["status"], "closed")
            st, r = h.post("/api/v1/halls/LH-03/closure", body, cookie=h.cookie("lh03"))
            self.assertIn(st, (200, 201, 403), r)  # a hall manager may or may not close
            st, r = h.post("/api/v1/halls/LH-03/closure", body, cookie=h.cookie("admin"))
            self.assertIn(st, (200, 201), r)
            cwtest.wait_until(lambda: h.snapshot()["halls"]["LH-03"]["status"] == "closed", 3,
                              what="LH-03 status closed")
            self.assertNotEqual(h.snapshot()["halls"]["LH-05"]["status"], "closed")
            st, r = h.post("/api/v1/halls/LH-03/closure", {"from": "soon", "reason": "x"},
                           cookie=h.cookie("admin"))
            self.assertEqual(st, 400, r)
            st, r = h.post("/api/v1/halls/LH-99/closure", body, cookie=h.cookie("admin"))
            self.assertEqual(st, 404, r)
            st, r = h.admin_get("/api/v1/audit")
            self.assertEqual(st, 200, r)
            self.assertIn("停电检修", json.dumps(r, ensure_ascii=False))
            st, r = h.get("/api/v1/audit", cookie=h.cookie("city"))
            self.assertEqual(st, 403, r)
        finally:
            h.close()

    def test_clients(self):
        wall = cwtest.LiveClient(hub, token=TOKEN_WALL)
        browser = cwtest.LiveClient(hub, cookie=hub.cookie("city"))
        try:
            wall.subscribe(["city"])
            snap = wall.wait_snapshot("city")
            wall.send({"op": "report", "viewport": "0,0,1920,1080", "fps": 59.9,
                       "frame_p99_ms": 21.5, "rev": snap["rev"], "stale": False,
                       "cameras": {"LH-03-CAM-W01": "ok"}})
            browser.wait_hello()

            def listed():
                st, body = hub.admin_get("/api/v1/clients")
                assert st == 200, (st, body)
                rows = cwtest.as_list(body, "clients")
                walls = [r for r in rows if r.get("role") == "wall"]
                users = [r for r in rows if r.get("user") == "city"]
                if walls and users and walls[0].get("fps") is not None:
                    return walls[0]
            w = cwtest.wait_until(listed, 3, what="wall (with its report) and browser listed")
            self.assertAlmostEqual(w["fps"], 59.9, delta=0.05)
            self.assertEqual(w.get("rev"), snap["rev"])
            self.assertIn("viewport", w)
        finally:
            wall.close()
            browser.close()

    def test_404_405(self):
        c = hub.cookie("admin")
        for path in ("/api/v1/nope", "/api/v1/halls/LH-03/nope"):
            r = hub.request("GET", path, cookie=c)
            self.assertEqual(r.status, 404, path)
            self.assertIsInstance(r.json.get("error"), str, r)
            self.assertIn("application/json", r.header("Content-Type") or "")
        for method, path in (("PUT", "/api/v1/halls"), ("DELETE", "/api/v1/snapshot"),
                             ("GET", "/api/v1/login"), ("POST", "/api/v1/halls/LH-03"),
                             ("DELETE", "/api/v1/events")):
            r = hub.request(method, path, body={} if method != "GET" else None, cookie=c)
            self.assertEqual(r.status, 405, "%s %s: %r" % (method, path, r))
            self.assertIsInstance(r.json.get("error"), str, r)

    def test_alerts_list(self):
        st, body = hub.admin_get("/api/v1/alerts?state=all")
        self.assertEqual(st, 200, body)
        cwtest.as_list(body, "alerts")
        st, body = hub.admin_get("/api/v1/alerts?state=bogus")
        self.assertEqual(st, 400, body)

    def test_reviews_and_cases(self):
        f = cwtest.Feeder(hub, "LH-13", feed="cases")
        f.send([f.review(1, comment="办事太慢"), f.review(5)])
        rid = f.sent[0]["data"]["review"]
        st, body = hub.admin_get("/api/v1/reviews?hall=LH-13&bad=1")
        self.assertEqual(st, 200, body)
        self.assertEqual([r.get("review") or r.get("id") for r in
                          cwtest.as_list(body, "reviews")], [rid])
        st, body = hub.admin_get("/api/v1/reviews?hall=LH-13")
        self.assertEqual(len(cwtest.as_list(body, "reviews")), 2)
        st, body = hub.admin_get("/api/v1/cases")
        self.assertEqual(st, 200, body)
        self.assertIn(rid, json.dumps(body))

if __name__ == "__main__":
    cwtest.main()
