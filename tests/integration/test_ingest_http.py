"""Ingest over HTTP (SPEC §3.1-§3.3): acks, duplicates, per-event rejection, whole-body errors,
named feeds, conflicts, quarantine, gaps."""

import json
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import ev, TOKEN_ALL_HALLS, TOKEN_LH03  # noqa: E402

hub = None
LH03 = None       # GET /halls/LH-03
BIZ = None        # a biz id of LH-03
WIN = None        # a window id of LH-03 serving BIZ


def setUpModule():
    global hub, LH03, BIZ, WIN
    hub = cwtest.Hub()
    LH03 = hub.hall("LH-03")
    b, wins = cwtest.pick_biz_with_windows(LH03, 1)
    BIZ, WIN = b["id"], wins[0]


def tearDownModule():
    if hub:
        hub.close()


def issued(hall, seq, ticket, t, biz=None, feed=None):
    return ev(hall, seq, "ticket.issued", t, feed=feed, ticket=ticket, biz=biz or BIZ,
              channel="kiosk", priority="normal")


def quarantine():
    st, body = hub.admin_get("/api/v1/quarantine")
    assert st == 200, (st, body)
    return cwtest.as_list(body, "quarantine", "items", "events")


def q_matches(entry, feed, seq):
    """Does a quarantine entry hold the event (LH-03, feed, seq)? The event may be stored as
    an object or as its raw text, at the top level or under event/body."""
    s = json.dumps(entry, ensure_ascii=False)
    for k in ("event", "body"):
        v = entry.get(k)
        if isinstance(v, str):
            try:
                entry = dict(entry, **{k: json.loads(v)})
            except ValueError:
                pass
    cands = [entry] + [entry[k] for k in ("event", "body") if isinstance(entry.get(k), dict)]
    for c in cands:
        if c.get("seq") == seq and c.get("feed", "main") == feed:
            return True
    return bool(re.search(r'"feed": "%s"' % re.escape(feed), s)) and \
        bool(re.search(r'"seq": %d\b' % seq, s))


def q_reason(entry):
    for k in ("reason", "error", "why"):
        if isinstance(entry.get(k), str):
            return entry[k]
    return json.dumps(entry, ensure_ascii=False)


class TestAckAndDuplicates(unittest.TestCase):
    def test_valid_batch_then_resend(self):
        batch = [
            ev("LH-03", 1, "window.opened", "08:01", window=WIN, staff="T0001"),
            issued("LH-03", 2, "Q001", "08:02"),
            issued("LH-03", 3, "Q002", "08:03"),
            ev("LH-03", 4, "ticket.called", "08:04", ticket="Q001", window=WIN, staff="T0001"),
            ev("LH-03", 5, "hall.heartbeat", "08:05"),
            issued("LH-03", 6, "Q003", "08:06"),
        ]
        r = hub.request("POST", "/api/v1/events", body=batch, token=TOKEN_ALL_HALLS)
        self.assertEqual(r.status, 200, r)
        self.assertIn("application/json", r.header("Content-Type") or "")
        body = r.json
        self.assertEqual(body["accepted"], 6, body)
        self.assertEqual(body.get("duplicates", 0), 0, body)
        self.assertEqual(body.get("rejected", []), [], body)
        self.assertEqual(body["acked"], {"LH-03": 6}, body)

        st, body = hub.post_events(TOKEN_ALL_HALLS, batch)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 0, body)
        self.assertEqual(body["duplicates"], 6, body)
        self.assertEqual(body.get("rejected", []), [], body)
        self.assertEqual(body["acked"], {"LH-03": 6}, body)

        # partial resend overlapping new events: 2 duplicates + 1 new
        st, body = hub.post_events(TOKEN_ALL_HALLS, batch[4:] + [issued("LH-03", 7, "Q004",
                                                                         "08:07")])
        self.assertEqual((st, body["accepted"], body["duplicates"], body["acked"]),
                         (200, 1, 2, {"LH-03": 7}), body)

    def test_named_feed_acks(self):
        batch = [issued("LH-03", s, "N%03d" % s, "08:1%d" % s, feed="queue") for s in (1, 2, 3)]
        st, body = hub.post_events(TOKEN_ALL_HALLS, batch)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 3, body)
        self.assertEqual(body["acked"], {"LH-03/queue": 3}, body)

    def test_several_halls_in_one_batch(self):
        info = hub.hall("LH-04")
        b4 = cwtest.hall_biz(info)[0]["id"]
        batch = [issued("LH-03", 1, "H001", "08:20", feed="multi"),
                 issued("LH-04", 1, "H001", "08:20", biz=b4, feed="multi"),
                 issued("LH-04", 2, "H002", "08:21", biz=b4, feed="multi"),
                 ev("LH-04", 3, "hall.heartbeat", "08:22")]
        st, body = hub.post_events(TOKEN_ALL_HALLS, batch)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 4, body)
        self.assertEqual(body["acked"], {"LH-03/multi": 1, "LH-04/multi": 2, "LH-04": 3}, body)


class TestRejection(unittest.TestCase):
    def test_mixed_batch(self):
        F = "mix"
        good = lambda s, t: issued("LH-03", s, t, "08:3%d" % (s % 10), feed=F)  # noqa: E731
        no_window = ev("LH-03", 3, "ticket.called", "08:33", feed=F, ticket="M001")
        bad_at = issued("LH-03", 5, "M005", "08:35", feed=F)
        bad_at["at"] = "yesterday at nine"
        no_ticket = issued("LH-03", 9, "x", "08:39", feed=F)
        del no_ticket["data"]["ticket"]
        batch = [
            good(1, "M001"),                                                        # 0 ok
            ev("LH-03", 2, "ticket.teleported", "08:32", feed=F, ticket="M001"),    # 1 type
            no_window,                                                              # 2 window
            ev("LH-03", 4, "ticket.called", "08:34", feed=F, ticket="M001",
               window="ZZ99"),                                                      # 3 window
            issued("LH-03", 0, "M000", "08:34", feed=F),                            # 4 seq 0
            bad_at,                                                                 # 5 at
            good(6, "M002"),                                                        # 6 ok
            issued("LH-03", 7, "M007", "08:37", biz="ZZ", feed=F),                  # 7 biz
            ev("LH-03", 8, "ticket.issued", "08:38", feed=F, ticket="M008", biz=BIZ,
               channel="pigeon", priority="normal"),                                # 8 channel
            no_ticket,                                                              # 9 ticket
            issued("LH-03", 11, "X" * 33, "08:39", feed=F),                         # 10 ticket
            ev("LH-03", 12, "review.submitted", "08:39", feed=F, review="RV-M1",
               level=7, channel="evaluator", real_name=False),                      # 11 level
            ev("LH-03", 13, "window.opened", "08:39", feed=F, window=WIN,
               staff=12345),                                                        # 12 staff
            good(14, "M003"),                                                       # 13 ok
        ]
        expect_field = {1: "type", 2: "data.window", 3: "data.window", 4: "seq", 5: "at",
                        7: "data.biz", 8: "data.channel", 9: "data.ticket", 10: "data.ticket",
                        11: "data.level", 12: "data.staff"}
        st, body = hub.post_events(TOKEN_ALL_HALLS, batch)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 3, body)
        self.assertEqual(body.get("duplicates", 0), 0, body)
        self.assertEqual(body["acked"], {"LH-03/mix": 14}, body)
        rej = {r["index"]: r["error"] for r in body["rejected"]}
        self.assertEqual(sorted(rej), sorted(expect_field), body)
        for i, field in expect_field.items():
            self.assertIn(field, rej[i], "index %d: %r should name %s" % (i, rej[i], field))
        self.assertIn("ticket.called", rej[2])  # "ticket.called: data.window missing"
        self.assertIn("missing", rej[2])

        # the valid ones are stored (seq 1, 6, 14 of feed mix) and nothing else of that feed
        events = [cwtest.stored_event(e) for e in hub.all_events("LH-03")]
        mix = sorted(e["seq"] for e in events if e.get("feed") == F)
        self.assertEqual(mix, [1, 6, 14])

        # the quarantine lists the rejected ones with their reasons
        q = quarantine()
        for i, field in expect_field.items():
            seq = batch[i]["seq"]
            if seq == 0:
                continue  # no valid key to look it up by
            hits = [e for e in q if q_matches(e, F, seq)]
            self.assertTrue(hits, "rejected event %d (seq %d) not in quarantine" % (i, seq))
            self.assertIn(field, q_reason(hits[0]), hits[0])

    def test_token_may_not_write_other_hall(self):
        info5 = hub.hall("LH-05")
        b5 = cwtest.hall_biz(info5)[0]["id"]
        batch = [issued("LH-03", 1, "K001", "08:40", feed="tok"),
                 issued("LH-05", 1, "K001", "08:40", biz=b5, feed="tok")]
        st, body = hub.post_events(TOKEN_LH03, batch)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 1, body)
        self.assertEqual(len(body["rejected"]), 1, body)
        self.assertEqual(body["rejected"][0]["index"], 1, body)
        self.assertIn("hall LH-05 not allowed for this token", body["rejected"][0]["error"])
        self.assertEqual(body["acked"].get("LH-03/tok"), 1, body)
        self.assertNotIn("LH-05/tok", body["acked"], body)

    def test_unknown_hall(self):
        st, body = hub.post_events(TOKEN_ALL_HALLS, [issued("LH-99", 1, "U1", "08:41")])
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 0, body)
        self.assertEqual(body["rejected"][0]["index"], 0, body)
        self.assertIn("hall", body["rejected"][0]["error"])

    def test_quarantined_key_does_not_block(self):
        st, body = hub.post_events(TOKEN_ALL_HALLS, [
            ev("LH-03", 1, "ticket.called", "08:42", feed="qfix", ticket="F1", window="ZZ99")])
        self.assertEqual((st, body["accepted"], len(body["rejected"])), (200, 0, 1), body)
        st, body = hub.post_events(TOKEN_ALL_HALLS, [issued("LH-03", 1, "F1", "08:42",
                                                            feed="qfix")])
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 1, body)
        self.assertEqual(body.get("duplicates", 0), 0, body)
        self.assertEqual(body["acked"], {"LH-03/qfix": 1}, body)

    def test_conflict_is_duplicate_and_quarantined(self):
        first = issued("LH-03", 1, "C001", "08:43", feed="conf")
        st, body = hub.post_events(TOKEN_ALL_HALLS, [first])
        self.assertEqual((st, body["accepted"]), (200, 1), body)
        # same key, same JSON value with keys in another order: a plain duplicate
        same = {"data": dict(reversed(list(first["data"].items()))), "at": first["at"],
                "type": first["type"], "seq": 1, "feed": "conf", "hall": "LH-03"}
        st, body = hub.post_events(TOKEN_ALL_HALLS, [same])
        self.assertEqual((st, body["accepted"], body["duplicates"]), (200, 0, 1), body)
        self.assertFalse([e for e in quarantine() if q_matches(e, "conf", 1)],
                         "an identical resend must not be quarantined")
        # same key, different data: a duplicate, and quarantined as a conflict
        other = issued("LH-03", 1, "C999", "08:43", feed="conf")
        st, body = hub.post_events(TOKEN_ALL_HALLS, [other])
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 0, body)
        self.assertEqual(body["duplicates"], 1, body)
        self.assertEqual(body.get("rejected", []), [], body)
        self.assertEqual(body["acked"], {"LH-03/conf": 1}, body)
        hits = [e for e in quarantine() if q_matches(e, "conf", 1)]
        self.assertEqual(len(hits), 1, hits)
        self.assertIn("conflict", json.dumps(hits[0]), hits[0])
        self.assertIn("C999", json.dumps(hits[0]), "the second body is what is quarantined")


class TestWholeBody(unittest.TestCase):
    def assertError(self, r, status):
        self.assertEqual(r.status, status, r)
        self.assertIsInstance(r.json, dict, r)
        self.assertIsInstance(r.json.get("error"), str, r)
        self.assertTrue(r.json["error"], r)

    def test_not_an_array(self):
        r = hub.request("POST", "/api/v1/events", body=issued("LH-03", 1, "Z", "08:00"),
                        token=TOKEN_ALL_HALLS)
        self.assertError(r, 400)

    def test_not_json(self):
        r = hub.request("POST", "/api/v1/events", body=b"[{\"hall\":", token=TOKEN_ALL_HALLS)
        self.assertError(r, 400)

    def test_no_token(self):
        r = hub.request("POST", "/api/v1/events", body=[issued("LH-03", 1, "Z", "08:00",
                                                               feed="auth")])
        self.assertError(r, 401)

    def test_bad_token(self):
        r = hub.request("POST", "/api/v1/events", body=[issued("LH-03", 1, "Z", "08:00",
                                                               feed="auth")],
                        token="demo-hall-not")
        self.assertError(r, 401)
        # nothing was stored under that key
        st, body = hub.post_events(TOKEN_ALL_HALLS, [issued("LH-03", 1, "Z", "08:00",
                                                            feed="auth")])
        self.assertEqual(body["accepted"], 1, body)

    def test_content_length_over_limit(self):
        # 413 decided from Content-Length before the body is read: send no body at all.
        s = socket.create_connection(("127.0.0.1", hub.port), timeout=5)
        try:
            s.sendall(("POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n" % (hub.port, TOKEN_ALL_HALLS,
                                                       4 * 1024 * 1024 + 1)).encode())
            status, body = read_http_response(s)
        finally:
            s.close()
        self.assertEqual(status, 413, body)
        self.assertIn("error", json.loads(body.decode() or "{}"), body)

    def test_at_limit_content_length_is_read(self):
        # exactly 4 MiB (the limit itself) of valid JSON is accepted
        one = json.dumps(ev("LH-03", 1, "hall.heartbeat", "08:00", feed="big"))
        pad = 4 * 1024 * 1024 - len(one) - 2
        body = ("[" + one + " " * pad + "]").encode()
        self.assertEqual(len(body), 4 * 1024 * 1024)
        r = hub.request("POST", "/api/v1/events", body=body, token=TOKEN_ALL_HALLS, timeout=30)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["accepted"], 1, r)

    def test_chunked_body_over_limit(self):
        s = socket.create_connection(("127.0.0.1", hub.port), timeout=10)
        try:
            s.sendall(("POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n" % (hub.port, TOKEN_ALL_HALLS)
                       ).encode())
            chunk = b" " * 65536
            frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            sent = 0
            try:
                s.sendall(b"1\r\n[\r\n")
                while sent < 6 * 1024 * 1024:
                    s.sendall(frame)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            status, body = read_http_response(s)
        finally:
            s.close()
        self.assertEqual(status, 413, body)

    def test_too_many_events(self):
        batch = [ev("LH-03", s, "hall.heartbeat", "08:00", feed="many") for s in
                 range(1, 5002)]
        r = hub.request("POST", "/api/v1/events", body=batch, token=TOKEN_ALL_HALLS)
        self.assertError(r, 413)
        st, body = hub.post_events(TOKEN_ALL_HALLS, batch[:5000])
        self.assertEqual((st, body["accepted"], body["acked"]), (200, 5000, {"LH-03/many": 5000}),
                         body)


def read_http_response(s, timeout=10):
    """(status, body bytes) of one HTTP/1.1 response read from a raw socket."""
    s.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > deadline:
            raise AssertionError("no response headers: %r" % buf[:300])
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        buf += d
    if b"\r\n\r\n" not in buf:
        raise AssertionError("connection closed without a response: %r" % buf[:300])
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    clen = None
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            clen = int(v.strip())
    while clen is not None and len(body) < clen and time.monotonic() < deadline:
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not d:
            break
        body += d
    return status, body


class TestGaps(unittest.TestCase):
    def test_gap_filled_later_is_applied(self):
        info = hub.hall("LH-07")
        b7 = cwtest.hall_biz(info)[0]["id"]
        before = hub.hall("LH-07")["kpi"].get("issued", 0)
        mk = lambda s: issued("LH-07", s, "G%d" % s, "08:0%d" % s, biz=b7)  # noqa: E731
        st, body = hub.post_events(TOKEN_ALL_HALLS, [mk(1), mk(2), mk(5)])
        self.assertEqual((st, body["accepted"], body["acked"]), (200, 3, {"LH-07": 5}), body)
        st, body = hub.post_events(TOKEN_ALL_HALLS, [mk(3), mk(4)])
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 2, body)
        self.assertEqual(body.get("duplicates", 0), 0, body)
        self.assertEqual(body["acked"], {"LH-07": 4}, body)
        self.assertEqual(hub.hall("LH-07")["kpi"]["issued"], before + 5)
        self.assertEqual(hub.hall("LH-07")["kpi"]["waiting"], 5)
        # resend all five: duplicates, not applied again
        st, body = hub.post_events(TOKEN_ALL_HALLS, [mk(s) for s in range(1, 6)])
        self.assertEqual((body["accepted"], body["duplicates"], body["acked"]),
                         (0, 5, {"LH-07": 5}), body)
        self.assertEqual(hub.hall("LH-07")["kpi"]["issued"], before + 5)


class TestEnvelopeEdges(unittest.TestCase):
    def test_seq_range(self):
        top = 2 ** 53 - 1
        st, body = hub.post_events(TOKEN_ALL_HALLS, [
            ev("LH-03", top, "hall.heartbeat", "08:50", feed="seqmax"),
            ev("LH-03", top + 1, "hall.heartbeat", "08:50", feed="seqover"),
            ev("LH-03", -1, "hall.heartbeat", "08:50", feed="seqneg"),
            dict(ev("LH-03", 1, "hall.heartbeat", "08:50", feed="seqfrac"), seq=1.5),
            dict(ev("LH-03", 1, "hall.heartbeat", "08:50", feed="seqstr"), seq="1"),
        ])
        self.assertEqual(st, 200, body)
        self.assertEqual(body["accepted"], 1, body)
        self.assertEqual(body["acked"], {"LH-03/seqmax": top}, body)
        self.assertEqual(sorted(r["index"] for r in body["rejected"]), [1, 2, 3, 4], body)
        for r in body["rejected"]:
            self.assertIn("seq", r["error"], r)

    def test_unknown_fields_kept_and_ignored(self):
        e = issued("LH-03", 1, "U001", "08:51", feed="extra")
        e["data"]["queue_position"] = 7
        e["gateway_version"] = "2.3.1"
        st, body = hub.post_events(TOKEN_ALL_HALLS, [e])
        self.assertEqual((st, body["accepted"]), (200, 1), body)
        stored = [cwtest.stored_event(x) for x in hub.all_events("LH-03")
                  if cwtest.stored_event(x).get("feed") == "extra"]
        self.assertEqual(len(stored), 1)
        self.assertEqual(stored[0]["data"]["queue_position"], 7)
        self.assertEqual(stored[0]["gateway_version"], "2.3.1")

    def test_at_offsets(self):
        # the same instant written in UTC and in +08:00 is the same business time
        a = issued("LH-03", 1, "Z001", "08:52", feed="tz")
        a["at"] = "2026-11-23T00:52:00Z"
        b = issued("LH-03", 2, "Z002", "08:52", feed="tz")
        b["at"] = "2026-11-23T08:52:00+08:00"
        c = issued("LH-03", 3, "Z003", "08:52", feed="tz")
        c["at"] = "2026-11-23 08:52:00"  # no offset: rejected
        st, body = hub.post_events(TOKEN_ALL_HALLS, [a, b, c])
        self.assertEqual(body["accepted"], 2, body)
        self.assertEqual([r["index"] for r in body["rejected"]], [2], body)
        self.assertIn("at", body["rejected"][0]["error"])


class TestRateLimit(unittest.TestCase):
    def test_429_over_rate(self):
        h = cwtest.hub_with_config([("ingest_rate_per_token: 0",
                                     "ingest_rate_per_token: 100")])
        try:
            b = cwtest.hall_biz(h.hall("LH-03"))[0]["id"]
            statuses, accepted = [], 0
            for k in range(10):  # 1,000 events at once against 100 events/s
                batch = [issued("LH-03", 100 * k + i, "L%04d" % (100 * k + i), "08:00",
                                biz=b) for i in range(1, 101)]
                r = h.request("POST", "/api/v1/events", body=batch, token=TOKEN_ALL_HALLS)
                statuses.append(r.status)
                if r.status == 200:
                    accepted += r.json["accepted"]
                else:
                    self.assertEqual(r.status, 429, r)
                    self.assertIn("error", r.json)
            self.assertIn(429, statuses)
            self.assertEqual(len(h.all_events("LH-03")), accepted,
                             "a 429 batch must store nothing")
        finally:
            h.close()


if __name__ == "__main__":
    cwtest.main()
