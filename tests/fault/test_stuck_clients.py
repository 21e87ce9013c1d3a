"""Fault: 1,000 live clients that subscribe and never read, beside 100 healthy ones (SPEC §4
pacing and slow clients, §10). The healthy clients keep their latency (ack -> the change in
their state), the hub's memory stays bounded, and every stuck client is closed once it has
accepted no bytes for 30 s (4008 too_slow when the close frame can still be sent)."""

import json
import os
import resource
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402

N_STUCK = 1000
N_HEALTHY = 100
TOPICS = ["city", "alerts"] + ["hall/LH-%02d" % i for i in range(20)]
CLOSE_4008 = b"\x88\x0a\x0f\xa8too_slow"  # an unmasked close frame: 4008 "too_slow"


def issued_in(msg, hall):
    try:
        return msg["data"]["halls"][hall]["kpi"]["issued"]
    except (KeyError, TypeError):
        return None


class StuckClients(unittest.TestCase):
    def test_1000_stuck_beside_100_healthy(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = min(hard, 8192)
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        hub = cwtest.Hub()
        stuck, healthy = [], []
        try:
            # every hall holds 20 reviews with 1,890-byte comments: its topic's snapshot is big
            big = "大厅排队时间太长，" * 70
            for h in range(20):
                fh = cwtest.Feeder(hub, "LH-%02d" % h, feed="prefill")
                fh.send([fh.review(2, comment=big) for _ in range(20)])
            t0 = time.monotonic()
            # each stuck client asks for every topic's snapshot several times (the loopback
            # kernel buffers hold megabytes: a client is stuck once they are full)
            sub = cwtest.ws_frame(json.dumps({"op": "subscribe", "topics": TOPICS}))
            for _ in range(N_STUCK):
                s, _ = cwtest.raw_ws(hub, "/live", cwtest.LIVE_PROTO, rcvbuf=4096)
                s.sendall(cwtest.ws_frame(json.dumps({"op": "auth", "token": cwtest.TOKEN_WALL}))
                          + sub)
                stuck.append(s)
            t_stuck = time.monotonic()
            for _ in range(N_HEALTHY):
                c = cwtest.LiveClient(hub, token=cwtest.TOKEN_WALL)
                c.subscribe(["city"])
                healthy.append(c)
            for c in healthy:
                c.wait_snapshot("city", timeout=30)
            cwtest.log("connected %d stuck in %.1f s, %d healthy in %.1f s" %
                       (N_STUCK, t_stuck - t0, N_HEALTHY, time.monotonic() - t_stuck))
            rss0 = hub.rss_kb()
            f = cwtest.Feeder(hub, "LH-09", feed="stuckfault")
            lat = []
            t_stream = time.monotonic()
            n = 0
            while time.monotonic() - t_stream < 10.0:
                f.send([f.issued()] + [f.review(3, comment=big) for _ in range(3)])
                n += 1
                t_ack = time.monotonic()
                for c in healthy:
                    c.wait_for(lambda c: issued_in({"data": c.state.get("city")}, "LH-09") == n,
                               5, "healthy client sees issued=%d" % n)
                for c in healthy:
                    with c.cond:
                        ts = [t for t, m in c.msgs if t >= t_ack and issued_in(m, "LH-09") == n]
                    lat.append((ts[0] if ts else time.monotonic()) - t_ack)
            lat_ms = sorted(x * 1000 for x in lat)
            p50 = lat_ms[len(lat_ms) // 2]
            p99 = lat_ms[int(len(lat_ms) * 0.99)]
            rss1 = hub.rss_kb()
            cwtest.log("healthy latency over %d events x %d clients: p50 %.1f ms p99 %.1f ms "
                       "max %.1f ms; hub RSS %d -> %d kB" % (n, N_HEALTHY, p50, p99,
                                                           lat_ms[-1], rss0, rss1))
            # §10's fan-out target (p99 75 ms, 2,000 clients) is a benchmark; here the 100
            # clients are Python threads sharing 2 loaded cores with a sanitizer build, so the
            # bound only proves that no healthy client waits on a stuck one (that would take
            # the 30 s stuck timeout); the measured figures go to TESTING.md
            self.assertLess(p99, 1000, lat_ms[-20:])
            # bounded: at most client_buffer_bytes (1 MiB) per stuck client, plus 64 MiB
            bound_kb = N_STUCK * 1024 + 64 * 1024
            if not hub.sanitized():  # ASan keeps freed memory resident
                self.assertLess(rss1 - rss0, bound_kb, "hub RSS grew %d kB" % (rss1 - rss0))
            # events keep flowing; the stuck ones are closed after 30 s without accepting bytes
            stop = threading.Event()

            def keep_streaming():
                k = 0
                while not stop.wait(0.2):
                    f.send([f.issued()] + [f.review(3, comment=big) for _ in range(3)])
                    if k < 8:  # fresh snapshots of every topic, 8 times over: the loopback
                        k += 1  # kernel buffers (megabytes) fill, the clients are stuck
                        for s in stuck:
                            s.sendall(sub)
            th = threading.Thread(target=keep_streaming, daemon=True)
            th.start()
            t_close0 = time.monotonic()
            try:
                cwtest.wait_until(lambda: hub.metrics().get("citywall_live_too_slow_total", 0)
                                  >= N_STUCK, 60, interval=0.5, what="%d too_slow closes (%r)"
                                  % (N_STUCK, hub.metrics().get("citywall_live_too_slow_total")))
            finally:
                stop.set()
                th.join(10)
            t_closed = time.monotonic() - t_stream
            rss2 = hub.rss_kb()
            if not hub.sanitized():
                self.assertLess(rss2 - rss0, bound_kb, "hub RSS grew %d kB" % (rss2 - rss0))
            n = f.n
            # the hub lists only the healthy clients now
            st, body = hub.admin_get("/api/v1/clients")
            self.assertEqual(st, 200)
            self.assertEqual(len(cwtest.as_list(body, "clients")), N_HEALTHY)
            # a sample of the stuck sockets read to the end: closed by the hub (their kernel
            # buffers hold ~1 MB each, so reading all 1,000 would take a minute)
            with_4008 = eof = 0
            SAMPLE = 20
            for s in stuck[:: N_STUCK // SAMPLE]:
                s.settimeout(10)
                tail = b""
                while True:
                    try:
                        d = s.recv(1 << 20)
                    except (ConnectionResetError, socket.timeout):
                        break
                    if not d:
                        eof += 1
                        break
                    tail = (tail + d)[-64:]
                if CLOSE_4008 in tail:
                    with_4008 += 1
            self.assertEqual(eof, SAMPLE, "stuck sockets not closed by the hub")
            for c in healthy:
                self.assertFalse(c.closed, "a healthy client was closed (%r)" % c.close_code)
                self.assertEqual(c.bad, [])
            m = hub.metrics()
            self.assertEqual(m["citywall_live_too_slow_total"], N_STUCK)
            faultlib.write_result("stuck_clients", {
                "stuck": N_STUCK, "healthy": N_HEALTHY, "events": f.seq,
                "p50_ms": round(p50, 1), "p99_ms": round(p99, 1), "max_ms": round(lat_ms[-1], 1),
                "rss_kb_before": rss0, "rss_kb_after": rss1, "rss_kb_at_close": rss2, "sanitized": hub.sanitized(),
                "closed": int(m["citywall_live_too_slow_total"]), "sample_read_to_eof": eof,
                "sample_close_frame_4008": with_4008,
                "closed_after_s": round(t_closed, 1), "wait_close_s": round(
                    time.monotonic() - t_close0, 1)})
        finally:
            for s in stuck:
                s.close()
            for c in healthy:
                c.close()
            hub.close()


if __name__ == "__main__":
    cwtest.main()
