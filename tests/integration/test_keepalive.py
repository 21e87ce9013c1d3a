"""Liveness of the hub's connections (docs/decisions.md "memory over hours, WebSocket
liveness"): lws's validity timer is off, and every accepted socket -- /live, /ingest, plain
HTTP keep-alive -- has TCP keepalive on, first probe after 60 s idle. Read from the kernel's
own socket table (/proc/net/tcp6 and tcp: the `tr` field is 2 while the keepalive timer is
armed, `tm->when` in USER_HZ ticks), on both event loops."""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import TOKEN_WALL  # noqa: E402

USER_HZ = os.sysconf("SC_CLK_TCK")
KA_IDLE_S = 60  # server/main.c: .ka_time


def hub_sockets(port):
    """(remote port, timer kind, seconds to expiry) of every established socket whose local
    port is the hub's."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as f:
            next(f)
            for line in f:
                cols = line.split()
                local, remote, state, timer = cols[1], cols[2], cols[3], cols[5]
                if state != "01" or int(local.rsplit(":", 1)[1], 16) != port:
                    continue
                kind, when = timer.split(":")
                out.append((int(remote.rsplit(":", 1)[1], 16), int(kind, 16),
                            int(when, 16) / USER_HZ))
    return out


class KeepaliveTest(unittest.TestCase):
    def check_loop(self, loop):
        hub = cwtest.Hub(extra_args=["--event-loop", loop])
        try:
            live = cwtest.LiveClient(hub, token=TOKEN_WALL)
            live.subscribe(["city"])
            live.wait_for(lambda c: "city" in c.state, 10, "the city snapshot")
            ingest = cwtest.ingest_ws(hub)
            http = socket.create_connection(("127.0.0.1", hub.port))
            http.sendall(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            self.assertIn(b"200", http.recv(4096).split(b"\r\n")[0])
            mine = {live.ws.sock.getsockname()[1], ingest.sock.getsockname()[1],
                    http.getsockname()[1]}
            # a socket with bytes in flight shows its retransmit timer (1) instead, for the
            # microseconds loopback takes to ack them: wait for a sample where all are idle
            def idle_three():
                socks = [s for s in hub_sockets(hub.port) if s[0] in mine]
                return socks if len(socks) == 3 and all(s[1] == 2 for s in socks) else None
            socks = cwtest.wait_until(idle_three, 10,
                                      what="the hub's three sockets with their keepalive timer")
            for rport, kind, left in socks:
                cwtest.log("%s: hub socket to :%d keepalive, first probe in %.1f s"
                           % (loop, rport, left))
                self.assertGreater(left, 0)
                self.assertLessEqual(left, KA_IDLE_S)
            live.close()
            ingest.close()
            http.close()
        finally:
            hub.close()

    def test_uv(self):
        self.check_loop("uv")

    def test_poll(self):
        self.check_loop("poll")


if __name__ == "__main__":
    cwtest.main()
