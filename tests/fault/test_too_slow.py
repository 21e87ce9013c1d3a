"""Fault: a /live client that stops reading (SPEC §4 slow clients). Once it has accepted no
bytes for 30 s while the hub has something for it, the hub judges it too slow
(citywall_live_too_slow_total) and closes it with 4008 "too_slow" as soon as its socket takes
the close frame. Here the client reads again right after the judgement: everything sent before
arrives in order, then the close frame 4008 "too_slow"; the hub no longer lists it."""

import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402

STUCK_S = 30  # SPEC §4: accepted no bytes for 30 s
TOPICS = ["city"] + ["hall/LH-%02d" % i for i in range(10)]


def read_frames(sock, deadline):
    """Server frames (unmasked) from sock until a close frame or EOF: a list of
    (opcode, payload)."""
    buf = b""
    out = []
    while time.monotonic() < deadline:
        # parse what is buffered
        while len(buf) >= 2:
            op, n, hl = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, hl = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, hl = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < hl + n:
                break
            out.append((op, buf[hl:hl + n]))
            buf = buf[hl + n:]
            if op == 8:
                return out
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            d = sock.recv(1 << 20)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not d:
            break
        buf += d
    return out


class TooSlow(unittest.TestCase):
    def test_stalled_client_gets_4008_when_it_reads_again(self):
        hub = cwtest.Hub()
        stop = threading.Event()
        th = None
        s = None
        try:
            # ten halls hold 20 reviews with 1,890-byte comments: their snapshots are big
            big = "大厅排队时间太长，" * 70
            for h in range(10):
                fh = cwtest.Feeder(hub, "LH-%02d" % h, feed="prefill")
                fh.send([fh.review(2, comment=big) for _ in range(20)])
            s, _ = cwtest.raw_ws(hub, "/live", cwtest.LIVE_PROTO, rcvbuf=4096)
            sub = cwtest.ws_frame(json.dumps({"op": "subscribe", "topics": TOPICS}))
            s.sendall(cwtest.ws_frame(json.dumps({"op": "auth", "token": cwtest.TOKEN_WALL}))
                      + sub)
            t_connect = time.monotonic()
            f = cwtest.Feeder(hub, "LH-09", feed="slowfault")

            def keep_streaming():
                # events, and fresh snapshots of every topic each time: the loopback buffers
                # (megabytes) fill, then the client has accepted nothing while the hub still
                # has something for it
                while not stop.wait(0.3):
                    f.send([f.issued(), f.review(3, comment=big)])
                    s.sendall(sub)
            th = threading.Thread(target=keep_streaming, daemon=True)
            th.start()
            # 30 s from the moment the loopback buffers are full; filling them takes seconds on
            # a quiet machine and longer on a loaded one (the whole suite runs two at a time)
            try:
                cwtest.wait_until(
                    lambda: hub.metrics().get("citywall_live_too_slow_total", 0) >= 1,
                    STUCK_S + 90, interval=0.2, what="the stalled client judged too slow")
            except AssertionError:
                m = hub.metrics()
                cwtest.log("metrics at the timeout: %s" % {k: v for k, v in m.items()
                                                           if "live" in k or "client" in k})
                raise
            judged_s = time.monotonic() - t_connect
            stop.set()
            th.join(10)
            # the client reads again: the backlog, then the close frame
            frames = read_frames(s, time.monotonic() + 20)
            self.assertTrue(frames, "nothing received")
            op, payload = frames[-1]
            self.assertEqual(op, 8, "the last frame is not a close frame: opcode %d" % op)
            self.assertEqual(int.from_bytes(payload[:2], "big"), 4008, payload)
            self.assertEqual(payload[2:], b"too_slow")
            texts = [json.loads(p.decode("utf-8")) for o, p in frames if o == 1]
            self.assertEqual(texts[0]["op"], "hello", texts[0])
            self.assertEqual(texts[0]["role"], "wall")
            snaps = [m for m in texts if m.get("op") == "snapshot"]
            self.assertGreaterEqual(len(snaps), len(TOPICS))
            # stalled no sooner than the stuck time allows, counted once
            self.assertGreaterEqual(judged_s, STUCK_S)
            m = hub.metrics()
            self.assertEqual(m["citywall_live_too_slow_total"], 1)
            st, body = hub.admin_get("/api/v1/clients")
            self.assertEqual(st, 200)
            self.assertEqual([c for c in cwtest.as_list(body, "clients")
                              if c.get("role") == "wall"], [])
            faultlib.write_result("too_slow_4008", {
                "judged_after_s": round(judged_s, 1), "frames_read": len(frames),
                "snapshots": len(snaps), "close_code": 4008})
        finally:
            stop.set()
            if th:
                th.join(10)
            if s:
                s.close()
            hub.close()


if __name__ == "__main__":
    cwtest.main()
