"""Security limits and transport (SPEC §8): connections per peer address, TLS on the listener
(HTTPS and WSS with a self-signed certificate made at test time), session cookie flags."""

import json
import os
import socket
import ssl
import subprocess
import sys
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
                                         sslopt={"ca_certs": self.cert}, timeout=5)
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


if __name__ == "__main__":
    cwtest.main()
