"""Fault: a gateway connection dropped mid-batch (SPEC §3.2, §3.3, §10). A batch cut off in
the middle of its HTTP body or of its WebSocket frame is not applied; a batch sent whole on a
connection dropped before its ack arrived may or may not be stored, and the gateway's resend
from its last ack applies each event exactly once."""

import json
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402

ROUNDS = 20
BATCH = 40


class DroppedMidBatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = cwtest.Hub()

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def stored(self, st):
        return len(faultlib.stored_seqs(self.hub, st))

    def resend(self, st, acked):
        """The gateway reconnects and resends from its last ack; returns the reply."""
        lo = acked[st.key] + 1
        evs = [st.event(s) for s in range(lo, lo + BATCH)]
        body = self.hub.ingest(evs)
        acked[st.key] = body["acked"][st.key]
        self.assertEqual(acked[st.key], lo + BATCH - 1)
        return body

    def test_http_body_cut_then_resend(self):
        hub = self.hub
        st = faultlib.Stream(hub, "LH-04", "http")
        acked = {st.key: 0}
        for rnd in range(ROUNDS):
            lo = acked[st.key] + 1
            body = json.dumps([st.event(s) for s in range(lo, lo + BATCH)]).encode()
            before = self.stored(st)
            s = socket.create_connection(("127.0.0.1", hub.port), timeout=5)
            s.sendall(("POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n" % (cwtest.TOKEN_ALL_HALLS, len(body)))
                      .encode() + body[:len(body) * (rnd % 9 + 1) // 10])
            s.close()  # dropped mid-body
            # the hub is still serving and stored nothing of the cut batch
            cwtest.wait_until(lambda: hub.request("GET", "/healthz").status == 200, 5,
                              what="healthz")
            self.assertEqual(self.stored(st), before)
            reply = self.resend(st, acked)
            self.assertEqual((reply["accepted"], reply["duplicates"]), (BATCH, 0))
        n, lost, dups = faultlib.check_exactly_once(self, hub, st, acked[st.key], "http")
        self.assertEqual(n, ROUNDS * BATCH)
        issued = sum(1 for e in st.events if e["type"] == "ticket.issued")
        self.assertEqual(hub.hall("LH-04")["kpi"]["issued"], issued)
        faultlib.write_result("dropped_http", {"rounds": ROUNDS, "events": n, "lost": lost,
                                               "duplicates": dups, "applied_twice": 0})

    def test_ws_frame_cut_and_ack_lost_then_resend(self):
        hub = self.hub
        st = faultlib.Stream(hub, "LH-06", "ws")
        acked = {st.key: 0}
        dup_total = 0
        t0 = time.monotonic()
        for rnd in range(ROUNDS):
            lo = acked[st.key] + 1
            payload = json.dumps([st.event(s) for s in range(lo, lo + BATCH)])
            frame = cwtest.ws_frame(payload)
            before = self.stored(st)
            s, _ = cwtest.raw_ws(hub, "/ingest", cwtest.INGEST_PROTO,
                                 headers=["Authorization: Bearer " + cwtest.TOKEN_ALL_HALLS])
            if rnd % 2 == 0:
                s.sendall(frame[:len(frame) // 2])  # dropped mid-frame: nothing applied
                s.close()
                cwtest.wait_until(lambda: hub.request("GET", "/healthz").status == 200, 5,
                                  what="healthz")
                self.assertEqual(self.stored(st), before)
                reply = self.resend(st, acked)
                self.assertEqual((reply["accepted"], reply["duplicates"]), (BATCH, 0))
            else:
                s.sendall(frame)  # whole, but the ack never reaches the gateway
                s.close()
                # the gateway resends from its last ack: stored ones are duplicates
                reply = self.resend(st, acked)
                self.assertEqual(reply["accepted"] + reply["duplicates"], BATCH)
                self.assertIn(reply["duplicates"], (0, BATCH))  # one batch, one commit
                dup_total += reply["duplicates"]
        n, lost, dups = faultlib.check_exactly_once(self, hub, st, acked[st.key], "ws")
        self.assertEqual(n, ROUNDS * BATCH)
        issued = sum(1 for e in st.events if e["type"] == "ticket.issued")
        self.assertEqual(hub.hall("LH-06")["kpi"]["issued"], issued)
        faultlib.write_result("dropped_ws", {
            "rounds": ROUNDS, "events": n, "lost": lost, "duplicates": dups,
            "resent_as_duplicates": dup_total, "wall_s": round(time.monotonic() - t0, 1)})


if __name__ == "__main__":
    cwtest.main()
