"""The hub's event loop (--event-loop uv|poll; docs/decisions.md "the hub on libuv"): with
live clients and an ingest socket busy, SIGHUP reloads the config and everything stays
connected; SIGTERM answers the ingest work in flight, closes every client with 1001 and exits
0 within the drain bound; nothing acknowledged is lost. Run for both loops, uv first (the
default)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import TOKEN_WALL  # noqa: E402

NAME = "name: 江南街道便民服务中心"
RENAMED = "江南街道便民服务中心（改）"
LIVE_CLIENTS = 20
BATCH = 200
WINDOW = 4          # ingest batches on the wire before their acks
EXIT_BOUND_S = 10   # SIGTERM to exit: the hub's drain is bounded at 5 s


def mapped(pid, name):
    with open("/proc/%d/maps" % pid) as f:
        return name in f.read()


class IngestPump:
    """One /ingest socket kept busy from a thread: WINDOW batches of BATCH events on the wire,
    the next sent as each ack comes, until the hub closes the socket. Records every ack."""

    def __init__(self, hub, feeder):
        self.ws = cwtest.ingest_ws(hub)
        self.f = feeder
        self.key = "%s/%s" % (feeder.hall, feeder.feed)
        self.sent_seq = 0
        self.acked = 0          # highest seq acknowledged
        self.acks = []          # (time.monotonic(), seq)
        self.close_code = None
        self.send_failed = False
        self.stopped = False  # no more batches: the ones on the wire are the last
        self.cond = threading.Condition()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _send(self):
        """The next batch; once the hub has closed its side a send fails, and the close frame
        that is still to be read ends the run."""
        if self.send_failed or self.stopped:
            return
        batch = [self.f.issued() for _ in range(BATCH)]
        try:
            self.ws.send(json.dumps(batch))
            self.sent_seq = batch[-1]["seq"]
        except OSError:
            self.send_failed = True

    def _run(self):
        try:
            for _ in range(WINDOW):
                self._send()
            while True:
                kind, m = cwtest.ws_recv(self.ws, 20)
                if kind == "close":
                    with self.cond:
                        self.close_code = m
                        self.cond.notify_all()
                    return
                if "ack" not in m:
                    raise AssertionError("unexpected ingest message %r" % m)
                with self.cond:
                    self.acked = max(self.acked, m["ack"].get(self.key, 0))
                    self.acks.append((time.monotonic(), self.acked))
                    self.cond.notify_all()
                self._send()
        except Exception as e:  # noqa: BLE001 -- the socket ends with the hub
            with self.cond:
                if self.close_code is None:
                    self.close_code = "error: %r" % e
                self.cond.notify_all()

    def wait_acks(self, n, timeout=10):
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.acks) >= n or self.close_code, timeout)
        if not ok or len(self.acks) < n:
            raise AssertionError("%d ingest acks (close %r), wanted %d" %
                                 (len(self.acks), self.close_code, n))

    def wait_closed(self, timeout):
        with self.cond:
            self.cond.wait_for(lambda: self.close_code is not None, timeout)
        self.t.join(timeout)
        return self.close_code


class TestEventLoop(unittest.TestCase):
    def run_loop(self, loop):
        hub = cwtest.Hub(start=False, extra_args=["--event-loop", loop])
        try:
            path = cwtest.write_config(hub)
            hub.start()
            self.assertEqual(mapped(hub.proc.pid, "libwebsockets-evlib_uv"), loop == "uv",
                             "the libuv plugin is loaded exactly when --event-loop uv")
            live = []
            for _ in range(LIVE_CLIENTS):
                lc = cwtest.LiveClient(hub, token=TOKEN_WALL)
                lc.subscribe(["city"])
                live.append(lc)
            for lc in live:
                lc.wait_snapshot("city")
            pump = IngestPump(hub, cwtest.Feeder(hub, "LH-03", feed="evloop"))
            pump.wait_acks(3)

            # SIGHUP: the new name everywhere, nobody disconnected, ingest still acked
            with open(path, encoding="utf-8") as f:
                text = f.read()
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(text.replace(NAME, "name: " + RENAMED, 1))
            os.replace(path + ".tmp", path)
            hub.hup()
            cwtest.wait_until(lambda: hub.hall("LH-03")["name"] == RENAMED, 10,
                              what="the reloaded name in GET /halls/LH-03")
            for lc in live:
                lc.wait_for(lambda c: c.state["city"]["halls"]["LH-03"]["name"] == RENAMED, 10,
                            "the reloaded name on every live client")
                self.assertFalse(lc.closed, "live clients stay connected across a reload")
            n = len(pump.acks)
            pump.wait_acks(n + 3)

            # SIGTERM with ingest in flight: acked, clients closed 1001, exit 0 in bound
            pump.stopped = True
            t0 = time.monotonic()
            hub.proc.send_signal(signal.SIGTERM)
            rc = hub.proc.wait(EXIT_BOUND_S)
            took = time.monotonic() - t0
            self.assertEqual(rc, 0, hub.stderr_tail())
            self.assertLess(took, EXIT_BOUND_S)
            self.assertIn("SIGTERM: finishing in-flight work", hub.stderr_tail(20000))
            self.assertIn("citywall-hub: stopped", hub.stderr_tail(2000))
            self.assertEqual(pump.wait_closed(5), 1001, "the ingest socket closed 'going away'")
            for lc in live:
                self.assertEqual(lc.wait_closed(5), 1001)
            acked = pump.acked
            self.assertGreater(acked, 0)

            # nothing acknowledged was lost: every acked event is in the state after a restart
            hub.start()
            issued = hub.hall("LH-03")["kpi"]["issued"]
            self.assertGreaterEqual(issued, acked, "acked %d, stored %d" % (acked, issued))
            self.assertLessEqual(issued, pump.sent_seq)
            self.assertEqual(hub.hall("LH-03")["name"], RENAMED)
            self.assertEqual(hub.term(), 0, hub.stderr_tail())
        finally:
            hub.close()

    def test_uv(self):
        self.run_loop("uv")

    def test_poll(self):
        self.run_loop("poll")

    def test_bad_loop_name(self):
        hub = cwtest.Hub(start=False, extra_args=["--event-loop", "epoll"])
        try:
            hub.port = cwtest.free_port()
            p = subprocess.run(hub._args(), capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 2)
            self.assertIn(b"--event-loop: 'epoll' is not uv or poll", p.stderr)
        finally:
            hub.close()


if __name__ == "__main__":
    unittest.main()
