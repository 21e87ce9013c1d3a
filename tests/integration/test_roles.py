"""Accounts, sessions and role views (SPEC §4 role views, §7 login/logout, §8 privacy and
origins): what admin, city, a hall manager (lh03) and a wall may see."""

import json
import os
import sys
import unittest

import websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import ev, TOKEN_ALL_HALLS, TOKEN_WALL  # noqa: E402

hub = None
PHONE, PHONE_MASKED = "13812345678", "138****5678"
IDNO, IDNO_MASKED = "330102199001011234", "3301**********1234"
COMMENT = "窗口人员态度一般，请回电%s，身份证%s。" % (PHONE, IDNO)
STAFF, STAFF_NAME = "W2031", "程琳"  # LH-03 staff in config/demo.yaml


def setUpModule():
    global hub
    hub = cwtest.Hub()
    info3 = hub.hall("LH-03")
    b3, w3 = cwtest.pick_biz_with_windows(info3, 1)
    b5 = cwtest.hall_biz(hub.hall("LH-05"))[0]["id"]
    hub.ingest([
        ev("LH-03", 1, "window.opened", "08:30", window=w3[0], staff=STAFF),
        ev("LH-03", 2, "ticket.issued", "08:31", ticket="R1", biz=b3["id"], channel="kiosk",
           priority="normal"),
        ev("LH-03", 3, "ticket.issued", "08:32", ticket="R2", biz=b3["id"], channel="kiosk",
           priority="normal"),
        ev("LH-03", 4, "ticket.called", "08:33", ticket="R1", window=w3[0], staff=STAFF),
        ev("LH-03", 5, "review.submitted", "08:40", review="RV-PII", level=2,
           channel="evaluator", window=w3[0], staff=STAFF, real_name=True, comment=COMMENT),
        ev("LH-05", 1, "ticket.issued", "08:31", ticket="R1", biz=b5, channel="kiosk",
           priority="normal"),
    ])
    # a rejected review (level 9) with the same PII: its body goes to quarantine
    st, body = hub.post_events(TOKEN_ALL_HALLS, [
        ev("LH-03", 6, "review.submitted", "08:41", review="RV-PII2", level=9,
           channel="evaluator", real_name=True, comment=COMMENT)])
    assert st == 200 and len(body["rejected"]) == 1, body
    st, body = hub.post_events(TOKEN_ALL_HALLS, [
        ev("LH-05", 2, "ticket.called", "08:41", ticket="R1", window="NOPE")])
    assert st == 200 and len(body["rejected"]) == 1, body


def tearDownModule():
    if hub:
        hub.close()


def dump(doc):
    return json.dumps(doc, ensure_ascii=False)


class TestLogin(unittest.TestCase):
    def test_login_cookie_attributes(self):
        r = hub.request("POST", "/api/v1/login", body={"user": "admin", "password": "admin"})
        self.assertEqual(r.status, 200, r)
        cookies = [v for v in r.header_all("Set-Cookie") if v.startswith("cw_session=")]
        self.assertEqual(len(cookies), 1, r.headers)
        attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
        self.assertIn("httponly", attrs, cookies[0])
        self.assertIn("samesite=strict", attrs, cookies[0])
        self.assertGreater(len(cookies[0].split(";")[0]), len("cw_session=") + 16,
                           "session id too short to be unguessable")
        st, _ = hub.get("/api/v1/snapshot", cookie=cwtest.session_cookie(r))
        self.assertEqual(st, 200)

    def test_wrong_password(self):
        r = hub.request("POST", "/api/v1/login", body={"user": "city", "password": "nope"})
        self.assertEqual(r.status, 401, r)
        self.assertIn("error", r.json)
        self.assertIsNone(cwtest.session_cookie(r))

    def test_unknown_user(self):
        r = hub.request("POST", "/api/v1/login", body={"user": "mallory", "password": "x"})
        self.assertEqual(r.status, 401, r)
        self.assertIsNone(cwtest.session_cookie(r))

    def test_no_credentials(self):
        for path in ("/api/v1/snapshot", "/api/v1/halls", "/api/v1/halls/LH-03",
                     "/api/v1/quarantine"):
            st, body = hub.get(path)
            self.assertEqual(st, 401, path)
            self.assertIn("error", body)
        st, body = hub.get("/api/v1/snapshot", cookie="cw_session=forged0123456789abcdef")
        self.assertEqual(st, 401)

    def test_logout_invalidates_cookie(self):
        h = cwtest.Hub()  # its own hub: sessions end here
        try:
            c = h.login("city")
            other = h.login("city")  # a second session of the same user
            self.assertEqual(h.get("/api/v1/snapshot", cookie=c)[0], 200)
            r = h.request("POST", "/api/v1/logout", cookie=c)
            self.assertIn(r.status, (200, 204), r)
            st, body = h.get("/api/v1/snapshot", cookie=c)
            self.assertEqual(st, 401, body)
            self.assertEqual(h.get("/api/v1/snapshot", cookie=other)[0], 200,
                             "logout ends that session only")
            # and the live socket does not accept it either
            lc = cwtest.LiveClient(h, cookie=c)
            try:
                err = lc.wait_for(lambda c: c.errors or (c.closed and ["closed"]), 7,
                                  "refusal of a logged-out session")
                self.assertIsNone(lc.hello)
                if err != ["closed"]:
                    self.assertIn(err[0]["code"], ("auth_required", "auth_failed"))
            finally:
                lc.close()
        finally:
            h.close()

    def test_hall_token_cannot_read(self):
        st, _ = hub.get("/api/v1/snapshot", token=TOKEN_ALL_HALLS)
        self.assertIn(st, (401, 403))


class TestHallManager(unittest.TestCase):
    """lh03 sees only LH-03 everywhere."""

    def test_snapshot_only_own_hall(self):
        snap = hub.snapshot(cookie=hub.cookie("lh03"))
        self.assertEqual(list(snap["halls"]), ["LH-03"])
        self.assertEqual(snap["kpi"]["issued"], 2)  # LH-03's 2, not LH-05's
        admin = hub.snapshot(cookie=hub.cookie("admin"))
        self.assertEqual(admin["kpi"]["issued"], 3)
        self.assertEqual(len(admin["halls"]), 20)

    def test_rest_other_hall_forbidden(self):
        c = hub.cookie("lh03")
        st, body = hub.get("/api/v1/halls/LH-05", cookie=c)
        self.assertEqual(st, 403, body)
        self.assertIn("error", body)
        st, body = hub.get("/api/v1/halls/LH-03", cookie=c)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["kpi"]["issued"], 2)
        st, body = hub.get("/api/v1/halls", cookie=c)
        self.assertEqual(st, 200)
        self.assertEqual([h["id"] for h in cwtest.as_list(body, "halls")], ["LH-03"])
        st, body = hub.get("/api/v1/events?hall=LH-05", cookie=c)
        self.assertEqual(st, 403, body)

    def test_quarantine_only_own_hall(self):
        st, body = hub.get("/api/v1/quarantine", cookie=hub.cookie("lh03"))
        self.assertEqual(st, 200, body)
        halls = {q.get("hall") for q in cwtest.as_list(body, "quarantine")}
        self.assertEqual(halls, {"LH-03"})
        st, body = hub.admin_get("/api/v1/quarantine")
        halls = {q.get("hall") for q in cwtest.as_list(body, "quarantine")}
        self.assertEqual(halls, {"LH-03", "LH-05"})

    def test_live_other_hall_forbidden(self):
        lc = cwtest.LiveClient(hub, cookie=hub.cookie("lh03"))
        try:
            hello = lc.wait_hello()
            self.assertEqual(hello["role"], "hall")
            self.assertEqual(hello["user"], "lh03")
            lc.subscribe(["hall/LH-05"])
            err = lc.wait_error()
            self.assertEqual(err["code"], "forbidden", err)
            lc.subscribe(["city", "hall/LH-03"])
            city = lc.wait_snapshot("city")["data"]
            self.assertEqual(list(city["halls"]), ["LH-03"])
            self.assertEqual(city["kpi"]["issued"], 2)
            hall = lc.wait_snapshot("hall/LH-03")["data"]
            # a hall manager sees staff names and (masked) comments of its own hall
            self.assertIn(STAFF_NAME, dump(hall))
            self.assertIn(PHONE_MASKED, dump(hall))
            self.assertNotIn("hall/LH-05", [m.get("topic") for m in lc.ops()])
        finally:
            lc.close()


class TestPrivacy(unittest.TestCase):
    def test_wall_sees_ids_not_names_nor_comments(self):
        lc = cwtest.LiveClient(hub, token=TOKEN_WALL)
        try:
            lc.subscribe(["hall/LH-03", "city"])
            hall = lc.wait_snapshot("hall/LH-03")["data"]
            self.assertIn(STAFF, dump(hall))
            self.assertNotIn(STAFF_NAME, dump(hall))
            self.assertEqual(cwtest.find_keys(hall, "staff_name"), [])
            self.assertEqual(cwtest.find_keys(hall, "comment"), [])
            self.assertNotIn(PHONE_MASKED, dump(hall))
            revs = hall["reviews"] if isinstance(hall["reviews"], list) else \
                list(hall["reviews"].values())
            self.assertEqual([r["level"] for r in revs], [2])
        finally:
            lc.close()

    def test_wall_rest_reviews(self):
        st, body = hub.get("/api/v1/reviews?hall=LH-03", token=TOKEN_WALL)
        self.assertEqual(st, 200, body)
        self.assertNotIn(STAFF_NAME, dump(body))
        self.assertEqual(cwtest.find_keys(body, "comment"), [])

    def test_admin_sees_names_and_masked_comments(self):
        lc = cwtest.LiveClient(hub, cookie=hub.cookie("admin"))
        try:
            self.assertEqual(lc.wait_hello()["role"], "admin")
            lc.subscribe(["hall/LH-03"])
            hall = lc.wait_snapshot("hall/LH-03")["data"]
        finally:
            lc.close()
        text = dump(hall)
        self.assertIn(STAFF_NAME, text)
        comments = cwtest.find_keys(hall, "comment")
        self.assertEqual(len(comments), 1, comments)
        self.assertIn(PHONE_MASKED, comments[0])
        self.assertIn(IDNO_MASKED, comments[0])
        self.assertNotIn(PHONE, text)
        self.assertNotIn(IDNO, text)
        self.assertEqual(comments[0], COMMENT.replace(PHONE, PHONE_MASKED)
                         .replace(IDNO, IDNO_MASKED))

    def test_no_raw_pii_in_rest(self):
        """Masked in every REST response; only admin may read the raw text, each read
        audited (SPEC §8)."""
        paths = ("/api/v1/events?hall=LH-03", "/api/v1/snapshot", "/api/v1/halls/LH-03",
                 "/api/v1/quarantine", "/api/v1/cases", "/api/v1/alerts?state=all",
                 "/api/v1/reviews?hall=LH-03")
        leaks = []
        for who in ("wall", "city", "lh03"):
            for path in paths:
                if who == "wall":
                    st, body = hub.get(path, token=TOKEN_WALL)
                else:
                    st, body = hub.get(path, cookie=hub.cookie(who))
                if st == 200 and (PHONE in dump(body) or IDNO in dump(body)):
                    leaks.append("%s %s" % (who, path))
        for path in paths:
            st, body = hub.admin_get(path)
            if st == 200 and (PHONE in dump(body) or IDNO in dump(body)):
                st, audit = hub.admin_get("/api/v1/audit")
                if not [a for a in cwtest.as_list(audit, "audit")
                        if a.get("action") not in ("login", "logout")
                        and ("RV-PII" in dump(a) or path.split("?")[0] in dump(a))]:
                    leaks.append("admin %s (raw, not audited)" % path)
        self.assertFalse(leaks, "raw phone / ID numbers in REST answers: %s" % leaks)

    def test_admin_rest_reviews_masked(self):
        for path in ("/api/v1/reviews?hall=LH-03", "/api/v1/reviews?hall=LH-03&bad=1"):
            st, body = hub.admin_get(path)
            self.assertEqual(st, 200, body)
            t = dump(body)
            self.assertIn(PHONE_MASKED, t, path)
            self.assertIn(IDNO_MASKED, t, path)
            self.assertNotIn(PHONE, t, path)
            self.assertNotIn(IDNO, t, path)

    def test_city_account_sees_names(self):
        st, body = hub.get("/api/v1/reviews?hall=LH-03", cookie=hub.cookie("city"))
        self.assertEqual(st, 200, body)
        self.assertIn(PHONE_MASKED, dump(body))
        self.assertNotIn(PHONE, dump(body))


class TestOrigin(unittest.TestCase):
    def test_foreign_origin_refused(self):
        cookie = hub.cookie("admin")
        try:
            ws = websocket.create_connection(hub.ws_url + "/live",
                                             subprotocols=[cwtest.LIVE_PROTO], cookie=cookie,
                                             origin="http://evil.example", timeout=5)
        except websocket.WebSocketBadStatusException as e:
            self.assertIn(e.status_code, (403, 401, 400), e)
            return
        except (ConnectionError, websocket.WebSocketException):
            return  # dropped during the handshake: refused
        # upgraded: it must not get a session
        try:
            ws.send(json.dumps({"op": "subscribe", "topics": ["city"]}))
            kind, m = cwtest.ws_recv(ws, 5)
            self.assertFalse(kind == "text" and m.get("op") in ("hello", "snapshot"),
                             "a foreign origin got %r" % m)
        except (websocket.WebSocketException, ConnectionError):
            pass
        finally:
            ws.close(timeout=1)

    def test_allowed_origins_accepted(self):
        # the hub's own origin, and one from server.allowed_origins in the config
        for origin in (hub.origin, cwtest.allowed_origin(hub)):
            lc = cwtest.LiveClient(hub, cookie=hub.cookie("admin"), origin=origin)
            try:
                self.assertEqual(lc.wait_hello()["user"], "admin", origin)
            finally:
                lc.close()


class TestLockout(unittest.TestCase):
    def test_login_lockout(self):
        h = cwtest.Hub()
        try:
            for _ in range(5):
                r = h.request("POST", "/api/v1/login", body={"user": "city", "password": "x"})
                self.assertEqual(r.status, 401, r)
            r = h.request("POST", "/api/v1/login", body={"user": "city", "password": "city"})
            self.assertIn(r.status, (401, 429), "locked out after 5 failures: %r" % r)
            self.assertIsNone(cwtest.session_cookie(r))
            self.assertIn("error", r.json)
            st, audit = h.admin_get("/api/v1/audit")
            self.assertIn("city", json.dumps(audit))
        finally:
            h.close()


if __name__ == "__main__":
    cwtest.main()
