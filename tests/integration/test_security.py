"""Security limits and transport (SPEC §8): connections per peer address, TLS on the listener
(HTTPS and WSS with a self-signed certificate made at test time), session cookie flags, the
Origin rule on both WebSocket paths, security headers, the login lockout across a restart, and
the cap on bytes queued for one live client (limits.client_buffer_bytes)."""

import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
import websocket  # noqa: E402


def refused(sock, timeout=5):
    """True when the hub closes a freshly accepted socket without answering a request."""
    sock.settimeout(timeout)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = sock.recv(4096)
    except (ConnectionResetError, BrokenPipeError):
        return True
    return data == b""


class ConnLimit(unittest.TestCase):
    LIMIT = 5

    def setUp(self):
        self.hub = cwtest.hub_with_config([("max_conns_per_addr: 20000",
                                            "max_conns_per_addr: %d" % self.LIMIT)])
        self.socks = []

    def tearDown(self):
        for s in self.socks:
            s.close()
        self.hub.close()

    def conn(self):
        s = socket.create_connection(("127.0.0.1", self.hub.port), timeout=5)
        self.socks.append(s)
        return s

    def test_sixth_connection_from_one_address_is_refused_and_counted(self):
        # five live WebSocket clients hold five connections from 127.0.0.1
        clients = [cwtest.LiveClient(self.hub, token=cwtest.TOKEN_WALL)
                   for _ in range(self.LIMIT)]
        for c in clients:
            c.wait_hello()
        extra = self.conn()
        self.assertTrue(refused(extra), "the 6th connection was served")
        # one client leaves: its slot is given back, a new connection is served
        clients.pop().close()

        def served():
            s = self.conn()
            return not refused(s)
        cwtest.wait_until(served, 5, interval=0.1, what="a slot freed by a closed client")
        for c in clients:
            c.close()
        # after every client is gone the limit applies to new connections only
        cwtest.wait_until(lambda: self.hub.request("GET", "/healthz").status == 200, 5,
                          what="healthz after the clients left")
        m = self.hub.metrics()
        self.assertGreaterEqual(m["citywall_limit_conns_total"], 1)
        self.assertIn("over %d connections from one address" % self.LIMIT,
                      self.hub.stderr_tail(20000))

    def test_plain_tcp_sockets_count_and_are_released(self):
        held = [self.conn() for _ in range(self.LIMIT)]
        cwtest.wait_until(lambda: refused(self.conn(), 2), 5, interval=0.05,
                          what="refusal at the limit")
        for s in held:
            s.close()
        cwtest.wait_until(lambda: not refused(self.conn(), 2), 5, interval=0.05,
                          what="service after the held sockets closed")


class Tls(unittest.TestCase):
    def setUp(self):
        self.hub = cwtest.Hub(start=False)
        tmp = self.hub.tmp
        self.cert = os.path.join(tmp, "cert.pem")
        self.key = os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", self.key, "-out", self.cert, "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cwtest.write_config(self.hub, [("  retention_days: 400\n",
                                        "  retention_days: 400\n  tls: {cert: \"%s\", key: \"%s\"}\n"
                                        % (self.cert, self.key))])
        self.hub.port = cwtest.free_port()
        self.err = open(os.path.join(tmp, "hub-1.stderr"), "wb")
        self.hub.stderr_path = self.err.name
        self.hub.proc = subprocess.Popen(self.hub._args(), stdout=self.err, stderr=self.err,
                                         cwd=tmp, preexec_fn=cwtest._pdeathsig)
        self.ctx = ssl.create_default_context(cafile=self.cert)
        cwtest.wait_until(lambda: self.https("GET", "/readyz")[0] == 200, 30, interval=0.1,
                          what="https /readyz")

    def tearDown(self):
        self.err.close()
        self.hub.close()

    def https(self, method, path, body=None, headers=None):
        import http.client
        try:
            c = http.client.HTTPSConnection("127.0.0.1", self.hub.port, context=self.ctx,
                                            timeout=5)
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            c.close()
            return r.status, data, r.getheaders()
        except (OSError, ssl.SSLError):
            return None, b"", []

    def test_https_ingest_and_login(self):
        ev = cwtest.ev("LH-03", 1, "hall.heartbeat", "08:30")
        st, data, _ = self.https("POST", "/api/v1/events", json.dumps([ev]),
                                 {"Authorization": "Bearer demo-hall",
                                  "Content-Type": "application/json"})
        self.assertEqual(st, 200, data)
        self.assertEqual(json.loads(data)["acked"], {"LH-03": 1})
        st, data, headers = self.https("POST", "/api/v1/login",
                                       json.dumps({"user": "city", "password": "city"}),
                                       {"Content-Type": "application/json"})
        self.assertEqual(st, 200, data)
        cookies = [v for k, v in headers if k.lower() == "set-cookie" and "cw_session=" in v]
        self.assertTrue(cookies, headers)
        flags = [f.strip().lower() for f in cookies[0].split(";")]
        self.assertIn("httponly", flags)
        self.assertTrue(any(f.startswith("samesite=") for f in flags), flags)
        self.assertIn("secure", flags)

    def test_plain_http_is_not_served(self):
        with self.assertRaises(Exception):
            r = cwtest.http_request(self.hub.port, "GET", "/readyz", timeout=3)
            if r.status != 200:
                raise OSError(r.status)

    def test_wss_live_with_token(self):
        ws = websocket.create_connection("wss://127.0.0.1:%d/live" % self.hub.port,
                                         subprotocols=[cwtest.LIVE_PROTO],
                                         sslopt={"ca_certs": self.cert}, timeout=5,
                                         suppress_origin=True)  # a tool, not a browser
        try:
            ws.send(json.dumps({"op": "auth", "token": cwtest.TOKEN_WALL}))
            hello = json.loads(ws.recv())
            self.assertEqual(hello["op"], "hello")
            self.assertEqual(hello["role"], "wall")
        finally:
            ws.close()

    def test_untrusted_certificate_is_rejected_by_a_verifying_client(self):
        ctx = ssl.create_default_context()  # system CAs only
        s = socket.create_connection(("127.0.0.1", self.hub.port), timeout=5)
        with self.assertRaises(ssl.SSLCertVerificationError):
            ctx.wrap_socket(s, server_hostname="127.0.0.1")
        s.close()


INGEST_PROTO = "citywall-ingest.v1"
EVIL = "http://evil.example"


def handshake(hub, path, protocol, headers=()):
    """A WebSocket upgrade request by hand; returns (status, body bytes) of the answer."""
    s = socket.create_connection(("127.0.0.1", hub.port), timeout=5)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: %s\r\n" % (path, hub.port, key, protocol))
        s.sendall((req + "".join(h + "\r\n" for h in headers) + "\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            d = s.recv(4096)
            if not d:
                break
            data += d
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else None
        if status != 101:
            while True:  # the refusal's body, up to the close
                d = s.recv(4096)
                if not d:
                    break
                body += d
        return status, body
    finally:
        s.close()


class Origin(unittest.TestCase):
    """SPEC §8: a WebSocket handshake that carries an Origin must name an allowed origin (the
    config's server.allowed_origins, or the hub's own), on /live and /ingest alike."""

    @classmethod
    def setUpClass(cls):
        cls.hub = cwtest.Hub()

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def refused(self, path, proto, origin, extra=()):
        st, body = handshake(self.hub, path, proto, ["Origin: " + origin] + list(extra))
        self.assertEqual(st, 403, body)
        return json.loads(body)["error"]

    def test_foreign_origin_refused_on_live_and_ingest(self):
        hub = self.hub
        before = hub.metrics()
        admin = "Cookie: " + hub.cookie("admin")
        self.assertEqual(self.refused("/live", cwtest.LIVE_PROTO, EVIL, [admin]),
                         "origin http://evil.example is not allowed for /live")
        self.assertEqual(self.refused("/ingest", INGEST_PROTO, EVIL,
                                      ["Authorization: Bearer " + cwtest.TOKEN_ALL_HALLS]),
                         "origin http://evil.example is not allowed for /ingest")
        # the hub's origin under another scheme or port, and an Origin too long to compare
        self.refused("/ingest", INGEST_PROTO, "http://127.0.0.1:%d" % (hub.port + 1))
        self.refused("/live", cwtest.LIVE_PROTO, "https://" + "a" * 300 + ".example", [admin])
        after = hub.metrics()
        key = 'citywall_ws_origin_refused_total{path="%s"}'
        for path in ("/live", "/ingest"):
            self.assertEqual(after[key % path] - before.get(key % path, 0), 2, path)
        log = hub.stderr_tail(20000)
        self.assertIn("WebSocket /live refused: Origin http://evil.example is not an allowed "
                      "origin", log)
        self.assertIn("WebSocket /ingest refused: Origin http://evil.example is not an "
                      "allowed origin", log)

    def test_own_and_configured_origins_and_no_origin_accepted(self):
        hub = self.hub
        allowed = cwtest.allowed_origin(hub)
        self.assertEqual(allowed, "http://127.0.0.1:8080")  # config/demo.yaml
        for origin in (hub.origin, allowed, None):
            extra = [] if origin is None else ["Origin: " + origin]
            # /ingest: a gateway (no Origin) or a page of an allowed origin, with a hall token
            s, _ = cwtest.raw_ws(hub, "/ingest", INGEST_PROTO,
                                 headers=["Authorization: Bearer " + cwtest.TOKEN_ALL_HALLS] +
                                 extra)
            try:
                ev = cwtest.ev("LH-05", 1 + [hub.origin, allowed, None].index(origin),
                               "hall.heartbeat", "08:30", feed="origin")
                s.sendall(cwtest.ws_frame(json.dumps(ev)))
                s.settimeout(10)
                data = b""
                while b'"ack"' not in data:
                    d = s.recv(4096)
                    self.assertTrue(d, "closed without an ack (origin %r)" % origin)
                    data += d
                self.assertIn(b'{"ack":{"LH-05/origin":%d}}' % ev["seq"], data)
            finally:
                s.close()
            # /live: the browser's cookie, or a wall token without Origin
            if origin is None:
                lc = cwtest.LiveClient(hub, token=cwtest.TOKEN_WALL)
                self.assertEqual(lc.wait_hello()["role"], "wall")
            else:
                lc = cwtest.LiveClient(hub, cookie=hub.cookie("admin"), origin=origin)
                self.assertEqual(lc.wait_hello()["user"], "admin")
            lc.close()


CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self' ws://127.0.0.1:{p} wss://127.0.0.1:{p}; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class Headers(unittest.TestCase):
    def test_security_headers_on_static_files_and_api(self):
        hub = cwtest.Hub()
        try:
            want = {"content-security-policy": CSP.format(p=hub.port),
                    "x-content-type-options": "nosniff",
                    "referrer-policy": "no-referrer",
                    "x-frame-options": "DENY"}
            cases = [("/", None, 200, "text/html; charset=utf-8"),
                     ("/js/main.js", None, 200, "text/javascript; charset=utf-8"),
                     ("/css/app.css", None, 200, "text/css; charset=utf-8"),
                     ("/api/v1/snapshot", cwtest.TOKEN_WALL, 200, "application/json"),
                     ("/api/v1/snapshot", None, 401, "application/json"),
                     ("/no/such/file", None, 404, "application/json"),
                     ("/metrics", None, 200, "text/plain; version=0.0.4; charset=utf-8")]
            for path, token, status, ctype in cases:
                r = hub.request("GET", path, token=token)
                self.assertEqual(r.status, status, path)
                h = {k.lower(): v for k, v in r.headers}
                self.assertEqual(h.get("content-type"), ctype, path)
                for k, v in want.items():
                    self.assertEqual(h.get(k), v, "%s: %s" % (path, k))
            # the page loads no inline script the policy would block
            page = hub.request("GET", "/").body.decode("utf-8")
            self.assertNotRegex(page, r"<script(?![^>]*\bsrc=)[^>]*>")
            self.assertNotRegex(page, r"\son[a-z]+=")
        finally:
            hub.close()


class LockoutRestart(unittest.TestCase):
    LOCK_S = 8  # login_lockout_s for this test (demo: 300)

    def test_lockout_survives_a_restart_until_it_expires(self):
        hub = cwtest.hub_with_config([("login_lockout_s: 300",
                                       "login_lockout_s: %d" % self.LOCK_S)])
        try:
            def login(pw):
                r = hub.request("POST", "/api/v1/login", body={"user": "city", "password": pw})
                return r.status, r.json
            for i in range(4):
                self.assertEqual(login("wrong")[0], 401, i)
            t_fifth = time.monotonic()  # the lock starts when the hub counts this one
            self.assertEqual(login("wrong")[0], 401)
            st, body = login("city")  # the right password: locked out all the same
            self.assertEqual((st, body), (429, {"error": "too many failed logins; try again "
                                                         "later"}))
            self.assertEqual(hub.metrics()["citywall_login_lockouts_total"], 1)
            # the lock is in the store before the kill (the hub writes it after the answer)
            import sqlite3
            row = {}

            def stored():
                db = sqlite3.connect("file:%s?mode=ro" % hub.db, uri=True, timeout=5)
                try:
                    r = db.execute("SELECT count, locked_until_ms, peer FROM login_failures"
                                   " WHERE user = 'city'").fetchone()
                finally:
                    db.close()
                row["r"] = r
                return r is not None and r[1] > 0
            cwtest.wait_until(stored, 10, interval=0.05, what="the lockout row in the store")
            count, until_ms, peer = row["r"]
            self.assertIn(peer, ("127.0.0.1", "::ffff:127.0.0.1"))  # as lws names the peer
            self.assertEqual(count, 0)  # reset when the lock was set
            left_ms = until_ms - time.time() * 1000
            self.assertTrue(0 < left_ms <= self.LOCK_S * 1000, left_ms)
            hub.restart()  # kill -9, same db
            self.assertLess(time.monotonic() - t_fifth, self.LOCK_S - 2, "restart too slow")
            self.assertEqual(login("city")[0], 429)
            m = hub.metrics()
            self.assertEqual(m["citywall_login_lockouts_total"], 1)  # counted by the new process
            self.assertEqual(m["citywall_login_failures_total"], 0)
            # the lock expires LOCK_S after the fifth failure, not after the restart
            cwtest.wait_until(lambda: login("city")[0] == 200, self.LOCK_S + 10, interval=0.2,
                              what="login after the lock expired")
            self.assertGreaterEqual(time.monotonic() - t_fifth, self.LOCK_S - 0.05)
            # a success clears the counter: 4 more failures don't lock
            for i in range(4):
                self.assertEqual(login("wrong")[0], 401, i)
            self.assertEqual(login("city")[0], 200)
        finally:
            hub.close()


class ClientBuffer(unittest.TestCase):
    """limits.client_buffer_bytes caps the replies queued for one /live client that doesn't
    read: over it the client is too slow (4008) at once, without waiting 30 s."""
    CAP = 4096

    def test_unread_replies_over_the_cap_close_4008(self):
        hub = cwtest.hub_with_config([("client_buffer_bytes: 1048576",
                                       "client_buffer_bytes: %d" % self.CAP)])
        s = None
        try:
            big = "大厅排队时间太长，" * 70
            for h in range(10):
                fh = cwtest.Feeder(hub, "LH-%02d" % h, feed="prefill")
                fh.send([fh.review(2, comment=big) for _ in range(20)])
            s, _ = cwtest.raw_ws(hub, "/live", cwtest.LIVE_PROTO, rcvbuf=4096)
            topics = ["city"] + ["hall/LH-%02d" % i for i in range(10)]
            sub = cwtest.ws_frame(json.dumps({"op": "subscribe", "topics": topics}))
            s.sendall(cwtest.ws_frame(json.dumps({"op": "auth", "token": cwtest.TOKEN_WALL}))
                      + sub * 4)
            t0 = time.monotonic()
            # pongs are '{"op":"pong"}', 13 bytes: once the socket is full, 316 of them fill
            # the 4,096-byte cap; keep pinging until the hub gives up on the client
            pings = cwtest.ws_frame(json.dumps({"op": "ping"})) * 500

            def judged():
                return hub.metrics().get("citywall_live_too_slow_total", 0) >= 1
            for _ in range(20):  # nothing is sent once the hub has closed (that would be RST)
                s.sendall(pings)
                try:
                    cwtest.wait_until(judged, 1, interval=0.05, what="too slow")
                    break
                except AssertionError:
                    pass
            self.assertTrue(judged(), "the client was not judged too slow")
            judged_s = time.monotonic() - t0
            self.assertLess(judged_s, 25)  # the cap, not the 30 s without progress
            frames = read_ws_frames(s, time.monotonic() + 20)
            self.assertTrue(frames)
            op, payload = frames[-1]
            self.assertEqual(op, 8, "last frame opcode %d" % op)
            self.assertEqual(payload, b"\x0f\xa8too_slow")  # 4008 "too_slow"
            self.assertEqual(hub.metrics()["citywall_live_too_slow_total"], 1)
            cwtest.log("client buffer cap %d B: judged too slow after %.1f s, %d frames read"
                       % (self.CAP, judged_s, len(frames)))
        finally:
            if s:
                s.close()
            hub.close()


def read_ws_frames(sock, deadline):
    """Server frames (unmasked) until a close frame or EOF: [(opcode, payload)]."""
    buf, out = b"", []
    while time.monotonic() < deadline:
        while len(buf) >= 2:
            op, n, hl = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if n == 126:
                n, hl = (int.from_bytes(buf[2:4], "big"), 4) if len(buf) >= 4 else (None, 0)
            elif n == 127:
                n, hl = (int.from_bytes(buf[2:10], "big"), 10) if len(buf) >= 10 else (None, 0)
            if n is None or len(buf) < hl + n:
                break
            out.append((op, buf[hl:hl + n]))
            buf = buf[hl + n:]
            if op == 8:
                return out
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            d = sock.recv(1 << 20)
        except (socket.timeout, ConnectionResetError):
            break
        if not d:
            break
        buf += d
    return out


if __name__ == "__main__":
    cwtest.main()
