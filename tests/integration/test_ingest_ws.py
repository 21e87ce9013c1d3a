"""Ingest over WebSocket (SPEC §3.3): /ingest, subprotocol citywall-ingest.v1, Authorization
header, one event or an array per message, acks, per-event errors, size and auth closes."""

import json
import os
import sys
import unittest

import websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import ev, TOKEN_ALL_HALLS, TOKEN_LH03  # noqa: E402

hub = None
BIZ = WIN = None


def setUpModule():
    global hub, BIZ, WIN
    hub = cwtest.Hub()
    b, wins = cwtest.pick_biz_with_windows(hub.hall("LH-03"), 1)
    BIZ, WIN = b["id"], wins[0]


def tearDownModule():
    if hub:
        hub.close()


def issued(seq, ticket, feed="ws", hall="LH-03", biz=None):
    return ev(hall, seq, "ticket.issued", "08:%02d" % (seq % 60), feed=feed, ticket=ticket,
              biz=biz or BIZ, channel="wechat", priority="normal")


def read_until_ack(ws, key, seq, timeout=5):
    """Messages up to and including the ack that reaches (key, >= seq); returns (errors, acks)."""
    errors, acks = [], []
    while True:
        kind, m = cwtest.ws_recv(ws, timeout)
        if kind == "close":
            raise AssertionError("connection closed with %r while waiting for ack %s:%d (errors "
                                 "so far %r)" % (m, key, seq, errors))
        if "ack" in m:
            acks.append(m["ack"])
            if m["ack"].get(key, 0) >= seq:
                return errors, acks
        elif "error" in m:
            errors.append(m)
        else:
            raise AssertionError("unexpected ingest message %r" % m)


class TestIngestWS(unittest.TestCase):
    def setUp(self):
        self.ws = cwtest.ingest_ws(hub)

    def tearDown(self):
        try:
            self.ws.close(timeout=1)
        except Exception:
            pass

    def test_subprotocol_and_acks(self):
        self.assertEqual(self.ws.subprotocol, cwtest.INGEST_PROTO)
        self.ws.send(json.dumps(issued(1, "W001")))
        kind, m = cwtest.ws_recv(self.ws)
        self.assertEqual((kind, m), ("text", {"ack": {"LH-03/ws": 1}}))
        self.ws.send(json.dumps([issued(2, "W002"), issued(3, "W003"), issued(4, "W004")]))
        kind, m = cwtest.ws_recv(self.ws)
        self.assertEqual((kind, m), ("text", {"ack": {"LH-03/ws": 4}}))
        # a resend is acknowledged, not applied again
        issued_before = hub.hall("LH-03")["kpi"]["issued"]
        self.ws.send(json.dumps([issued(3, "W003"), issued(4, "W004")]))
        kind, m = cwtest.ws_recv(self.ws)
        self.assertEqual((kind, m), ("text", {"ack": {"LH-03/ws": 4}}))
        self.assertEqual(hub.hall("LH-03")["kpi"]["issued"], issued_before)
        # what the socket acked is stored: the same events over HTTP are duplicates
        st, body = hub.post_events(TOKEN_ALL_HALLS, [issued(s, "W%03d" % s) for s in (1, 2, 3, 4)])
        self.assertEqual((st, body["accepted"], body["duplicates"]), (200, 0, 4), body)

    def test_bad_event_keeps_connection(self):
        bad = ev("LH-03", 2, "ticket.called", "08:10", feed="wsbad", ticket="B001",
                 window="ZZ99")
        self.ws.send(json.dumps(issued(1, "B001", feed="wsbad")))
        read_until_ack(self.ws, "LH-03/wsbad", 1)
        self.ws.send(json.dumps(bad))
        self.ws.send(json.dumps(issued(3, "B003", feed="wsbad")))
        errors, _ = read_until_ack(self.ws, "LH-03/wsbad", 3)
        self.assertEqual(len(errors), 1, errors)
        self.assertEqual(errors[0]["hall"], "LH-03")
        self.assertEqual(errors[0]["seq"], 2)
        self.assertIn("data.window", errors[0]["error"])
        # an array with a bad event in the middle: the good ones are stored
        self.ws.send(json.dumps([issued(4, "B004", feed="wsbad"),
                                 dict(issued(5, "B005", feed="wsbad"), type="ticket.nope"),
                                 issued(6, "B006", feed="wsbad")]))
        errors, acks = read_until_ack(self.ws, "LH-03/wsbad", 6)
        self.assertEqual([(e["hall"], e["seq"]) for e in errors], [("LH-03", 5)], errors)
        self.assertIn("type", errors[0]["error"])
        self.assertEqual(acks[-1]["LH-03/wsbad"], 6)
        st, body = hub.post_events(TOKEN_ALL_HALLS, [issued(s, "B%03d" % s, feed="wsbad")
                                                     for s in (1, 3, 4, 6)])
        self.assertEqual((body["accepted"], body["duplicates"]), (0, 4), body)

    def test_hall_not_allowed(self):
        ws = cwtest.ingest_ws(hub, token=TOKEN_LH03)
        try:
            b5 = cwtest.hall_biz(hub.hall("LH-05"))[0]["id"]
            ws.send(json.dumps([issued(1, "P001", hall="LH-05", feed="wstok", biz=b5),
                                issued(1, "P001", feed="wstok")]))
            errors, _ = read_until_ack(ws, "LH-03/wstok", 1)
            self.assertEqual(len(errors), 1, errors)
            self.assertEqual((errors[0]["hall"], errors[0]["seq"]), ("LH-05", 1))
            self.assertIn("hall LH-05 not allowed for this token", errors[0]["error"])
        finally:
            ws.close(timeout=1)

    def test_message_at_limit_is_accepted(self):
        one = json.dumps(ev("LH-03", 1, "hall.heartbeat", "08:00", feed="wsbig"))
        msg = "[" + one + " " * (1024 * 1024 - len(one) - 2) + "]"
        self.assertEqual(len(msg), 1024 * 1024)
        self.ws.send(msg)
        kind, m = cwtest.ws_recv(self.ws, 10)
        self.assertEqual((kind, m), ("text", {"ack": {"LH-03/wsbig": 1}}))

    def test_message_over_limit_closes_1009(self):
        one = json.dumps(ev("LH-03", 1, "hall.heartbeat", "08:00", feed="wshuge"))
        msg = "[" + one + " " * (1024 * 1024 - len(one) - 1) + "]"
        self.assertEqual(len(msg), 1024 * 1024 + 1)
        self.ws.send(msg)
        kind, code = cwtest.ws_recv(self.ws, 10)
        self.assertEqual((kind, code), ("close", 1009))
        # nothing of it was stored
        st, body = hub.post_events(TOKEN_ALL_HALLS, [json.loads(one)])
        self.assertEqual(body["accepted"], 1, body)


class TestIngestWSAuth(unittest.TestCase):
    def _refused(self, token):
        try:
            ws = cwtest.ingest_ws(hub, token=token)
        except websocket.WebSocketBadStatusException as e:
            self.assertIn(e.status_code, (401, 403), e)
            return
        try:
            ws.send(json.dumps(issued(1, "A1", feed="wsauth")))
            kind, code = cwtest.ws_recv(ws, 5)
            self.assertEqual((kind, code), ("close", 1008))
        except (websocket.WebSocketConnectionClosedException, ConnectionError) as e:
            self.fail("connection dropped without a 1008 close: %r" % e)
        finally:
            ws.close(timeout=1)

    def test_bad_token(self):
        self._refused("demo-hall-wrong")

    def test_no_token(self):
        self._refused(None)

    def test_wall_token_cannot_ingest(self):
        self._refused(cwtest.TOKEN_WALL)


class TestIngestWSRate(unittest.TestCase):
    def test_rate_limit_closes_1008(self):
        h = cwtest.hub_with_config([("ingest_rate_per_token: 0", "ingest_rate_per_token: 100")])
        try:
            ws = cwtest.ingest_ws(h)
            b = cwtest.hall_biz(h.hall("LH-03"))[0]["id"]
            code = None
            try:
                for k in range(10):  # 1,000 events at once against 100 events/s
                    try:
                        ws.send(json.dumps([issued(100 * k + i, "R%04d" % (100 * k + i),
                                                   feed="wsrate", biz=b)
                                            for i in range(1, 101)]))
                    except (BrokenPipeError, ConnectionResetError):
                        break  # closed by the hub: its close frame is waiting to be read
                while code is None:
                    kind, m = cwtest.ws_recv(ws, 5)
                    if kind == "close":
                        code = m
            except (websocket.WebSocketConnectionClosedException, ConnectionError) as e:
                self.fail("dropped without a close frame: %r" % e)
            finally:
                ws.close(timeout=1)
            self.assertEqual(code, 1008)
        finally:
            h.close()


if __name__ == "__main__":
    cwtest.main()
