"""Cluster mode test support: a real 3-node NATS JetStream cluster on loopback (Debian's
nats-server) and citywall hubs configured to share one replicated log (docs/cluster.md).

    nats = NatsCluster()                 # 3 nodes, JetStream, routes between them
    hubs = ClusterHubs(nats, 2)          # hubs "a" and "b" on one stream
    hubs[0].post_events(...); hubs[1].snapshot()
    nats.kill9(1); nats.start(1)         # lose and bring back one node
    hubs.close(); nats.close()
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import cwtest

NATS_BIN = shutil.which("nats-server") or "/usr/bin/nats-server"


def _http_ok(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except Exception:
        return False


class NatsCluster:
    """n nats-server processes with JetStream (file storage in a temp dir), one cluster."""

    def __init__(self, n=3, name="cw"):
        if not os.path.exists(NATS_BIN):
            raise AssertionError("nats-server not found (scripts/setup installs it)")
        self.tmp = tempfile.mkdtemp(prefix="cwnats-")
        self.n = n
        self.client = [cwtest.free_port() for _ in range(n)]
        self.route = [cwtest.free_port() for _ in range(n)]
        self.monitor = [cwtest.free_port() for _ in range(n)]
        self.procs = [None] * n
        routes = ", ".join("nats-route://127.0.0.1:%d" % p for p in self.route)
        for i in range(n):
            with open(self._conf(i), "w") as f:
                f.write("server_name: n%d\nlisten: 127.0.0.1:%d\nhttp: 127.0.0.1:%d\n"
                        "jetstream { store_dir: \"%s\" }\n"
                        "cluster { name: %s, listen: 127.0.0.1:%d, routes: [%s] }\n" %
                        (i, self.client[i], self.monitor[i], os.path.join(self.tmp, "js%d" % i),
                         name, self.route[i], routes))
        for i in range(n):
            self.start(i, wait=False)
        for i in range(n):
            self.wait_healthy(i)

    def _conf(self, i):
        return os.path.join(self.tmp, "n%d.conf" % i)

    @property
    def urls(self):
        return ["nats://127.0.0.1:%d" % p for p in self.client]

    def start(self, i, wait=True):
        log = open(os.path.join(self.tmp, "n%d.log" % i), "ab")
        self.procs[i] = subprocess.Popen([NATS_BIN, "-c", self._conf(i)], stdout=log,
                                         stderr=subprocess.STDOUT)
        log.close()
        if wait:
            self.wait_healthy(i)

    def wait_healthy(self, i, timeout=30):
        url = "http://127.0.0.1:%d/healthz" % self.monitor[i]
        cwtest.wait_until(lambda: _http_ok(url), timeout, what="nats node %d healthy" % i)

    def kill9(self, i):
        p = self.procs[i]
        if p and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait(10)
        self.procs[i] = None

    def jsz(self, i):
        """The node's JetStream report (/jsz?streams=1), parsed."""
        import json
        url = "http://127.0.0.1:%d/jsz?streams=1" % self.monitor[i]
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read().decode())

    def stream_leader(self, stream):
        """Index of the node leading the stream's replicas (asked of any live node)."""
        for i in range(self.n):
            if not self.procs[i]:
                continue
            for acc in self.jsz(i).get("account_details", []):
                for s in acc.get("stream_detail", []):
                    leader = (s.get("cluster") or {}).get("leader")
                    if s["name"] == stream and leader:
                        return int(leader.lstrip("n"))
        raise AssertionError("no leader known for stream %s" % stream)

    def close(self):
        for i in range(self.n):
            p = self.procs[i]
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if not os.environ.get("CW_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)


def cluster_config(nats, stream, ack_wait_ms=12000, base=None, extra=""):
    """A copy of the demo config (or `base`) with a `cluster` section (plus `extra`, lines of
    that section); returns its path."""
    base = base or cwtest.DEMO_CONFIG
    with open(base, encoding="utf-8") as f:
        text = f.read()
    src_dir = os.path.dirname(os.path.abspath(base))
    # relative paths in the config (city.map) are relative to its directory
    text = re.sub(r"(map:\s*)(\.\./\S+)",
                  lambda m: m.group(1) + os.path.normpath(os.path.join(src_dir, m.group(2))),
                  text)
    text += ("\ncluster:\n  nats: [%s]\n  stream: %s\n  subject: cw.%s\n  replicas: %d\n"
             "  ack_wait_ms: %d\n" % (", ".join(nats.urls), stream, stream.lower(),
                                      min(3, nats.n), ack_wait_ms)) + extra
    path = os.path.join(nats.tmp, "%s.yaml" % stream)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


class ClusterHubs(list):
    """n hubs ("a", "b", ...) of one city on one stream. Their business clocks are aligned: each
    starts at the first hub's clock plus the real time since it started (speed 1)."""

    _streams = 0

    def __init__(self, nats, n=2, ack_wait_ms=12000, base=None, clock=None, public_urls=False):
        super().__init__()
        self.base_clock = clock or cwtest.DEFAULT_CLOCK
        ClusterHubs._streams += 1
        self.stream = "CWT%d_%d" % (os.getpid(), ClusterHubs._streams)
        # public_urls: the hubs' ports are chosen first and listed as cluster.public_urls (the
        # dashboard's failover, docs/cluster.md "Browsers")
        self.ports = [cwtest.free_port() for _ in range(n)] if public_urls else []
        extra = "  public_urls: [%s]\n" % ", ".join(
            "http://127.0.0.1:%d" % p for p in self.ports) if public_urls else ""
        self.config = cluster_config(nats, self.stream, ack_wait_ms, base, extra)
        self.t0 = None
        for i in range(n):
            self.add(chr(ord("a") + i))

    def clock(self):
        start, speed = self.base_clock.split("@")
        if self.t0 is None:
            self.t0 = time.time()
            return self.base_clock
        return shift_clock(start, (time.time() - self.t0) * float(speed)) + "@" + speed

    def add(self, name):
        hub = cwtest.Hub(config=self.config, clock=self.clock(), extra_args=["--hub-id", name],
                         start=False)
        if len(self) < len(self.ports):
            hub.port = self.ports[len(self)]
        hub.name = name
        hub.start(clock=self.clock() if self else None)
        self.append(hub)
        return hub

    def restart(self, hub, kill=True):
        """Start hub again (after kill9), its clock aligned with the others'."""
        return hub.restart(kill=kill, clock=self.clock())

    def close(self):
        for h in self:
            h.close()


def shift_clock(rfc3339, seconds):
    """rfc3339 ("2026-11-23T09:00:00+08:00") plus seconds, in the same offset."""
    from datetime import datetime, timedelta
    t = datetime.fromisoformat(rfc3339) + timedelta(seconds=seconds)
    return t.isoformat(timespec="milliseconds")


def applied_position(hub):
    """The hub's applied log position (from /readyz)."""
    st, body = hub.get("/readyz")
    return (body or {}).get("cluster", {}).get("applied", -1)


def wait_converged(hubs, timeout=20):
    """Until every hub has applied the same log position (and nothing is left to apply)."""
    def same():
        pos = [applied_position(h) for h in hubs]
        return len(set(pos)) == 1 and pos[0] > 0
    cwtest.wait_until(same, timeout, what="hubs at the same log position")
    return applied_position(hubs[0])
