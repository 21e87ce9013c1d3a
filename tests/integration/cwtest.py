"""cwtest: shared harness for citywall's integration tests (real hub, real port, real sqlite).

Each test_*.py file imports this module, defines unittest.TestCase classes and ends with
`cwtest.main()`, which runs them and prints a final line exactly "N passed, N failed"
(the format CI reads), exiting non-zero when anything failed.

Environment:
  CW_SOURCE_DIR   repository root (default: two levels above this file)
  CW_BUILD_DIR    build directory holding citywall-hub and citywall-sim
                  (default: $CW_SOURCE_DIR/build, else the newest $CW_SOURCE_DIR/build*/)
  CW_SLOW_TESTS=1 also run the tests that need more than 30 s
  CW_KEEP_TMP=1   keep every hub's temp dir (db, stderr log) after the run

Only the standard library and python3-websocket (websocket-client) are used.
"""

import atexit
import copy
import ctypes
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import websocket  # python3-websocket (websocket-client)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("CW_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
DEFAULT_CLOCK = "2026-11-23T09:00:00+08:00@1"
DAY = "2026-11-23"
SLOW = os.environ.get("CW_SLOW_TESTS") == "1"

# Demo credentials (SPEC §9).
TOKEN_ALL_HALLS = "demo-hall"
TOKEN_LH03 = "demo-LH-03"
TOKEN_WALL = "demo-wall"
ACCOUNTS = {"admin": "admin", "city": "city", "lh03": "lh03"}

LIVE_PROTO = "citywall-live.v1"
INGEST_PROTO = "citywall-ingest.v1"


def slow(fn):
    """Decorator: run only with CW_SLOW_TESTS=1 (tests that need more than 30 s)."""
    return unittest.skipUnless(SLOW, "needs CW_SLOW_TESTS=1")(fn)


def _find_build_dir():
    env = os.environ.get("CW_BUILD_DIR")
    if env:
        return os.path.abspath(env)
    default = os.path.join(SOURCE_DIR, "build")
    if os.path.exists(os.path.join(default, "citywall-hub")):
        return default
    cands = glob.glob(os.path.join(SOURCE_DIR, "build*", "citywall-hub"))
    if cands:
        return os.path.dirname(max(cands, key=os.path.getmtime))
    return default


BUILD_DIR = _find_build_dir()
HUB_BIN = os.path.join(BUILD_DIR, "citywall-hub")
SIM_BIN = os.path.join(BUILD_DIR, "citywall-sim")
DEMO_CONFIG = os.path.join(SOURCE_DIR, "config", "demo.yaml")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def at(hhmmss, day=DAY):
    """'08:10' or '08:10:30' or '08:10:30.250' -> '2026-11-23T08:10:30.250+08:00'."""
    parts = hhmmss.split(":")
    if len(parts) == 2:
        parts.append("00")
    sec = parts[2]
    if "." not in sec:
        sec += ".000"
    return "%sT%s:%s:%s+08:00" % (day, parts[0], parts[1], sec)


def ev(hall, seq, type_, at_, feed=None, **data):
    """One event envelope (SPEC §3.1). `at_` is a full RFC 3339 string or a time of day for
    at()."""
    if "T" not in at_:
        at_ = at(at_)
    e = {"hall": hall, "seq": seq, "type": type_, "at": at_, "data": data}
    if feed is not None:
        e["feed"] = feed
    return e


# ---------------------------------------------------------------------------------------------
# RFC 7396 merge patch (independent of the hub's C implementation)

def merge_patch(target, patch):
    """Return target with the RFC 7396 merge patch applied (inputs are not modified)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


def find_nulls(doc, path=""):
    """Paths of every null value in a JSON document (live state must hold none)."""
    out = []
    if doc is None:
        out.append(path or "/")
    elif isinstance(doc, dict):
        for k, v in doc.items():
            out += find_nulls(v, path + "/" + str(k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += find_nulls(v, path + "/" + str(i))
    return out


def find_keys(doc, key):
    """Every value stored under `key` anywhere in a JSON document."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == key:
                out.append(v)
            out += find_keys(v, key)
    elif isinstance(doc, list):
        for v in doc:
            out += find_keys(v, key)
    return out


def by_id(coll):
    """A topic collection as {id: entry}, whether the hub sends an object keyed by id or a list
    of objects that carry "id"."""
    if coll is None:
        return {}
    if isinstance(coll, dict):
        return coll
    return {e["id"]: e for e in coll}


def as_list(doc, *keys):
    """A REST collection as a list: the document itself, or the first of `keys` it holds."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for k in keys:
            if isinstance(doc.get(k), list):
                return doc[k]
    raise AssertionError("expected a list (or an object with one of %r), got %s" %
                         (keys, json.dumps(doc)[:300]))


def wait_until(pred, timeout, interval=0.02, what="condition"):
    """Poll pred() until it returns a truthy value (returned) or the deadline passes
    (AssertionError naming `what`)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except AssertionError as e:  # a predicate may assert; keep polling until the deadline
            last_exc = e
        if time.monotonic() >= deadline:
            msg = "timed out after %.1f s waiting for %s" % (timeout, what)
            if last_exc is not None:
                msg += ": %s" % last_exc
            raise AssertionError(msg)
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# HTTP

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<Resp %d %s>" % (self.status, self.body[:300])


def http_request(port, method, path, body=None, token=None, cookie=None, headers=None,
                 timeout=15):
    """One HTTP request to 127.0.0.1:port. body: bytes, str, or a JSON-able object."""
    h = {}
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
        h["Content-Type"] = "application/json"
    elif isinstance(body, str):
        body = body.encode("utf-8")
        h["Content-Type"] = "application/json"
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if cookie is not None:
        h["Cookie"] = cookie
    if headers:
        h.update(headers)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.getheaders(), data)
    finally:
        conn.close()


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------------------------------------
# The hub process

_live_hubs = []


def _pdeathsig():
    # The hub dies with the test process (CTest timeouts, ^C).
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Hub:
    """A citywall-hub on a free loopback port with its own temp dir and sqlite file."""

    def __init__(self, clock=DEFAULT_CLOCK, config=None, extra_args=(), start=True,
                 ready_timeout=30):
        if not os.path.exists(HUB_BIN):
            raise AssertionError("citywall-hub not found at %s (set CW_BUILD_DIR)" % HUB_BIN)
        self.tmp = tempfile.mkdtemp(prefix="cwtest-")
        self.db = os.path.join(self.tmp, "hub.db")
        self.config = config or DEMO_CONFIG
        self.clock = clock
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.starts = 0
        self._cookies = {}
        self.ready_s = None
        _live_hubs.append(self)
        if start:
            self.start(ready_timeout)

    # -- process control

    def _args(self):
        a = [HUB_BIN, "--config", self.config, "--listen", "127.0.0.1:%d" % self.port,
             "--db", self.db]
        if self.clock:
            a += ["--clock", self.clock]
        return a + self.extra_args

    def start(self, ready_timeout=30, clock=None):
        """Start (or start again, on the same db and port) and wait for /readyz 200.
        Returns the seconds from spawn to ready."""
        if clock is not None:
            self.clock = clock
        for attempt in range(3):
            if self.port is None or attempt > 0:
                self.port = free_port()
            self.starts += 1
            self.stderr_path = os.path.join(self.tmp, "hub-%d.stderr" % self.starts)
            errf = open(self.stderr_path, "wb")
            t0 = time.monotonic()
            self.spawn_t = t0
            self.proc = subprocess.Popen(self._args(), stdin=subprocess.DEVNULL,
                                         stdout=errf, stderr=errf, cwd=self.tmp,
                                         preexec_fn=_pdeathsig)
            errf.close()
            ok = self._wait_ready(ready_timeout)
            if ok:
                self.ready_s = time.monotonic() - t0
                return self.ready_s
            if self.proc.poll() is not None and b"in use" in self._stderr_bytes() \
                    and attempt < 2 and self.starts == 1:
                continue  # lost the port race: try another port
            break
        self.kill9()
        raise AssertionError("hub did not become ready within %d s (exit %r); stderr:\n%s" %
                             (ready_timeout, self.proc.returncode, self.stderr_tail()))

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                r = http_request(self.port, "GET", "/readyz", timeout=2)
                if r.status == 200:
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.02)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()

    def term(self, timeout=15):
        """SIGTERM and wait; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("hub did not exit within %d s of SIGTERM" % timeout)

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def restart(self, ready_timeout=30, clock=None, kill=True):
        """kill -9 (unless already dead), start again on the same db and port; returns the
        spawn-to-ready seconds."""
        if kill:
            self.kill9()
        self._cookies = {}
        return self.start(ready_timeout, clock=clock)

    def sanitized(self):
        """True when the hub runs with AddressSanitizer (its RSS then says little)."""
        try:
            with open("/proc/%d/maps" % self.proc.pid) as f:
                return "libasan" in f.read()
        except OSError:
            return False

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def _stderr_bytes(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()
        except OSError:
            return b""

    def stderr_tail(self, n=4000):
        return self._stderr_bytes()[-n:].decode("utf-8", "replace")

    def sanitizer_reports(self):
        """Sanitizer reports (ASan, UBSan, LSan) in any of this hub's stderr logs."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.tmp, "hub-*.stderr"))):
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                i = text.find(marker)
                if i >= 0:
                    out.append("%s: %s" % (os.path.basename(path), text[max(0, i - 200):i + 3000]))
        return out

    def close(self):
        """Kill the hub and remove its temp dir; raises AssertionError if a sanitizer
        reported anything in its logs."""
        self.kill9()
        if self in _live_hubs:
            _live_hubs.remove(self)
        reports = self.sanitizer_reports()
        if os.environ.get("CW_KEEP_TMP") != "1" and not reports:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            log("kept", self.tmp)
        if reports:
            raise AssertionError("sanitizer reports from the hub:\n" + "\n".join(reports))

    # -- URLs

    @property
    def http_url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def ws_url(self):
        return "ws://127.0.0.1:%d" % self.port

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.port

    # -- HTTP helpers

    def request(self, method, path, body=None, token=None, cookie=None, headers=None,
                timeout=15):
        return http_request(self.port, method, path, body, token, cookie, headers, timeout)

    def get(self, path, token=None, cookie=None):
        """GET; returns (status, json)."""
        r = self.request("GET", path, token=token, cookie=cookie)
        return r.status, r.json

    def post(self, path, obj, token=None, cookie=None):
        r = self.request("POST", path, body=obj, token=token, cookie=cookie)
        return r.status, r.json

    def post_events(self, token, events):
        """POST /api/v1/events; returns (status, json)."""
        r = self.request("POST", "/api/v1/events", body=events, token=token, timeout=60)
        return r.status, r.json

    def ingest(self, events, token=TOKEN_ALL_HALLS):
        """Post events that must all be accepted; returns the reply."""
        st, body = self.post_events(token, events)
        if st != 200 or body.get("rejected"):
            raise AssertionError("ingest failed: %d %s" % (st, json.dumps(body)[:1000]))
        return body

    def login(self, user, pw=None):
        """POST /api/v1/login; returns the cookie header value 'cw_session=...'."""
        r = self.request("POST", "/api/v1/login",
                         body={"user": user, "password": ACCOUNTS[user] if pw is None else pw})
        if r.status != 200:
            raise AssertionError("login %s: %d %s" % (user, r.status, r.body[:300]))
        c = session_cookie(r)
        if c is None:
            raise AssertionError("login %s: no cw_session cookie in %r" % (user, r.headers))
        return c

    def cookie(self, user):
        """A cached session cookie for a demo account."""
        if user not in self._cookies:
            self._cookies[user] = self.login(user)
        return self._cookies[user]

    def admin_get(self, path):
        return self.get(path, cookie=self.cookie("admin"))

    def hall(self, hall_id, token=TOKEN_WALL):
        st, body = self.get("/api/v1/halls/" + hall_id, token=token)
        if st != 200:
            raise AssertionError("GET /api/v1/halls/%s: %d %r" % (hall_id, st, body))
        return body

    def snapshot(self, token=TOKEN_WALL, cookie=None):
        """The city topic as REST serves it (the data, unwrapped if the hub wraps it)."""
        if cookie is not None:
            token = None
        st, body = self.get("/api/v1/snapshot", token=token, cookie=cookie)
        if st != 200:
            raise AssertionError("GET /api/v1/snapshot: %d %r" % (st, body))
        return unwrap_snapshot(body)

    def metrics(self):
        r = self.request("GET", "/metrics")
        if r.status != 200:
            raise AssertionError("GET /metrics: %d" % r.status)
        return parse_prometheus(r.body.decode("utf-8"))

    def all_events(self, hall, token=TOKEN_WALL, cookie=None, extra=""):
        """Every stored event of a hall, following the pages of GET /api/v1/events."""
        if token is None and cookie is None:
            cookie = self.cookie("admin")
        out = []
        after = None
        for _ in range(100000):
            q = "/api/v1/events?hall=%s%s" % (hall, extra)
            if after is not None:
                q += "&after=%s" % after
            st, body = self.get(q, token=None if cookie else token, cookie=cookie)
            if st != 200:
                raise AssertionError("GET %s: %d %r" % (q, st, body))
            page = as_list(body, "events", "items")
            out += page
            nxt = None
            if isinstance(body, dict):
                for k in ("next", "next_after", "after", "cursor"):
                    if body.get(k) not in (None, "", False):
                        nxt = body[k]
                        break
            if not page or (isinstance(body, dict) and nxt is None and not body.get("more")):
                break
            if nxt is None:
                nxt = event_cursor(page[-1])
            if nxt == after:
                raise AssertionError("GET %s: the page cursor did not advance (next=%r)" %
                                     (q, nxt))
            after = nxt
        return out


def allowed_origin(hub):
    """An Origin a browser WebSocket of this hub may use: the first allowed origin of its
    config (server.allowed_origins), else the hub's own."""
    import re
    try:
        with open(hub.config, encoding="utf-8") as f:
            m = re.search(r"allowed_origins:\s*\[\s*\"?([^\",\]]+)", f.read())
        if m:
            return m.group(1).strip()
    except OSError:
        pass
    return hub.origin


def write_config(hub, edits=()):
    """Copy config/demo.yaml into the hub's temp dir with `edits` applied (a list of
    (old, new) text replacements, each of which must match exactly once) and point the hub at
    it (before hub.start()). Returns the path."""
    with open(DEMO_CONFIG, encoding="utf-8") as f:
        text = f.read()
    for old, new in edits:
        n = text.count(old)
        if n != 1:
            raise AssertionError("config edit %r matches %d times" % (old, n))
        text = text.replace(old, new)
    path = os.path.join(hub.tmp, "config.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    hub.config = path
    return path


def hub_with_config(edits, **kw):
    """A started Hub running an edited copy of the demo config."""
    h = Hub(start=False, **kw)
    try:
        write_config(h, edits)
        h.start()
    except BaseException:
        h.close()
        raise
    return h


def unwrap_snapshot(body):
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "halls" not in body:
        return body["data"]
    return body


def event_cursor(e):
    for k in ("id", "rowid", "cursor"):
        if k in e:
            return e[k]
    raise AssertionError("cannot page events: no cursor in %s" % json.dumps(e)[:300])


def stored_event(e):
    """The event envelope of an entry of GET /api/v1/events (entries may wrap it)."""
    if isinstance(e.get("event"), dict):
        return e["event"]
    return e


def session_cookie(resp):
    """'cw_session=VALUE' from a response's Set-Cookie headers, or None."""
    for v in resp.header_all("Set-Cookie"):
        first = v.split(";")[0].strip()
        if first.startswith("cw_session=") and len(first) > len("cw_session="):
            return first
    return None


def parse_prometheus(text):
    """{'name{labels}': value} for every sample line."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key, val = line.rsplit(None, 1)
            out[key] = float(val)
        except ValueError:
            # a timestamp after the value
            parts = line.rsplit(None, 2)
            out[parts[0]] = float(parts[1])
    return out


@atexit.register
def _cleanup_hubs():
    for h in list(_live_hubs):
        try:
            h.close()
        except Exception:
            pass


# ---------------------------------------------------------------------------------------------
# Live clients

class Closed(Exception):
    pass


class LiveClient:
    """A /live client (websocket-client) with a reader thread.

    Every message is recorded with its arrival time (time.monotonic()); snapshots and deltas
    are applied to `state[topic]` (snapshot + RFC 7396 merge patches). `cond` is notified on
    every message; use wait_for()."""

    def __init__(self, hub, token=None, cookie=None, origin=None, auth=True, connect=True,
                 timeout=10):
        self.hub = hub
        self.token = token
        self.cookie = cookie
        self.origin = origin
        self.msgs = []          # (t, msg)
        self.state = {}         # topic -> doc
        self.rev = {}           # topic -> last rev
        self.epoch = None
        self.hello = None
        self.errors = []
        self.close_code = None
        self.closed = False
        self.bad = []           # protocol violations seen by the reader
        self.cond = threading.Condition()
        self.ws = None
        self._thread = None
        if connect:
            self.connect(timeout)
            if auth and token is not None:
                self.send({"op": "auth", "token": token})

    def connect(self, timeout=10):
        opts = {"subprotocols": [LIVE_PROTO], "timeout": timeout}
        if self.cookie is not None:
            opts["cookie"] = self.cookie
            opts["origin"] = self.origin or self.hub.origin  # a page the hub served
        elif self.origin is not None:
            opts["origin"] = self.origin
        else:
            opts["suppress_origin"] = True  # a wall or tool is not a browser
        self.ws = websocket.create_connection(self.hub.ws_url + "/live", **opts)
        self.ws.settimeout(None)
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    def send(self, obj):
        self.ws.send(json.dumps(obj))

    def subscribe(self, topics, since=None, max_hz=None):
        m = {"op": "subscribe", "topics": list(topics)}
        if since is not None:
            m["since"] = since
        if max_hz is not None:
            m["max_hz"] = max_hz
        self.send(m)

    def _reader(self):
        try:
            while True:
                opcode, data = ws_read(self.ws)
                t = time.monotonic()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    code = None
                    if len(data) >= 2:
                        code = int.from_bytes(data[:2], "big")
                    with self.cond:
                        self.close_code = code
                        self.closed = True
                        self.cond.notify_all()
                    return
                try:
                    msg = json.loads(data.decode("utf-8"))
                except ValueError:
                    with self.cond:
                        self.bad.append("not JSON: %r" % data[:200])
                    continue
                with self.cond:
                    self._apply(msg)
                    self.msgs.append((t, msg))
                    self.cond.notify_all()
        except Exception:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def _apply(self, msg):
        op = msg.get("op")
        if op == "hello":
            self.hello = msg
            self.epoch = msg.get("epoch")
        elif op == "error":
            self.errors.append(msg)
        elif op in ("snapshot", "delta"):
            topic = msg.get("topic")
            rev = msg.get("rev")
            if topic in self.rev and rev is not None and rev <= self.rev[topic]:
                self.bad.append("%s %s rev %r after rev %r" % (op, topic, rev, self.rev[topic]))
            if op == "snapshot":
                self.state[topic] = msg.get("data")
            else:
                if topic not in self.state:
                    self.bad.append("delta for %s before its snapshot" % topic)
                self.state[topic] = merge_patch(self.state.get(topic, {}), msg.get("data"))
            self.rev[topic] = rev
            if msg.get("epoch") is not None:
                self.epoch = msg["epoch"]
        elif op == "recovered":
            topic = msg.get("topic")
            if msg.get("rev") is not None:
                self.rev[topic] = max(self.rev.get(topic, 0), msg["rev"])

    def wait_for(self, pred, timeout=5, what="condition"):
        """Wait until pred(self) is truthy (checked under the lock at every message)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                try:
                    v = pred(self)
                except (KeyError, TypeError, IndexError, AttributeError, AssertionError):
                    v = None
                if v:
                    return v
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("live client: timed out after %.1f s waiting for %s; "
                                         "last messages: %s" % (timeout, what,
                                                                self._tail()))
                if self.closed:
                    # allow a final check, then give up
                    self.cond.wait(min(left, 0.05))
                    try:
                        v = pred(self)
                    except (KeyError, TypeError, IndexError, AttributeError, AssertionError):
                        v = None
                    if v:
                        return v
                    raise AssertionError("live client closed (code %r) while waiting for %s; "
                                         "last messages: %s" % (self.close_code, what,
                                                                self._tail()))
                self.cond.wait(left)

    def _tail(self, n=5):
        return json.dumps([m for _, m in self.msgs[-n:]])[:1500]

    def wait_op(self, op, timeout=5, topic=None, after=0):
        """The first message with that op (and topic) at index >= after; returns (i, msg)."""
        def pred(c):
            for i in range(after, len(c.msgs)):
                m = c.msgs[i][1]
                if m.get("op") == op and (topic is None or m.get("topic") == topic):
                    return (i, m)
            return None
        return self.wait_for(pred, timeout, "op %s%s" % (op, " " + topic if topic else ""))

    def wait_hello(self, timeout=5):
        return self.wait_op("hello", timeout)[1]

    def wait_snapshot(self, topic, timeout=5):
        return self.wait_op("snapshot", timeout, topic)[1]

    def wait_error(self, timeout=6):
        return self.wait_op("error", timeout)[1]

    def wait_closed(self, timeout=5):
        self.wait_for(lambda c: c.closed, timeout, "close")
        return self.close_code

    def get_state(self, topic):
        with self.cond:
            return copy.deepcopy(self.state.get(topic))

    def ops(self, topic=None):
        with self.cond:
            return [m for _, m in self.msgs if topic is None or m.get("topic") == topic]

    def close(self):
        try:
            self.ws.close(timeout=1)
        except Exception:
            pass
        try:
            self.ws.shutdown()
        except Exception:
            pass


def ingest_ws(hub, token=TOKEN_ALL_HALLS, timeout=10, **opts):
    """A raw /ingest WebSocket (websocket-client object, blocking recv with timeout)."""
    header = []
    if token is not None:
        header.append("Authorization: Bearer " + token)
    return websocket.create_connection(hub.ws_url + "/ingest", subprotocols=[INGEST_PROTO],
                                       header=header, timeout=timeout, suppress_origin=True,
                                       **opts)


def ws_read(ws):
    """(opcode, bytes) of the next data or close frame of a websocket-client socket. Unlike
    recv_data(), a close frame is returned even when answering it fails (a peer that closed the
    TCP connection right after its close frame); pings are answered."""
    A = websocket.ABNF
    while True:
        frame = ws.recv_frame()
        if frame is None:
            raise websocket.WebSocketConnectionClosedException("no frame")
        op = frame.opcode
        if op in (A.OPCODE_TEXT, A.OPCODE_BINARY, A.OPCODE_CONT):
            ws.cont_frame.validate(frame)
            ws.cont_frame.add(frame)
            if ws.cont_frame.is_fire(frame):
                opcode, fr = ws.cont_frame.extract(frame)
                return opcode, fr.data
        elif op == A.OPCODE_CLOSE:
            try:
                ws.send_close()
            except (OSError, websocket.WebSocketException):
                pass
            return op, frame.data
        elif op == A.OPCODE_PING:
            try:
                ws.pong(frame.data)
            except (OSError, websocket.WebSocketException):
                pass


def ws_recv(ws, timeout=5):
    """One message from a websocket-client socket: ('text', obj) or ('close', code)."""
    ws.settimeout(timeout)
    opcode, data = ws_read(ws)
    if opcode == websocket.ABNF.OPCODE_CLOSE:
        return "close", (int.from_bytes(data[:2], "big") if len(data) >= 2 else None)
    return "text", json.loads(data.decode("utf-8"))


def ws_frame(payload, opcode=1):
    """One masked client frame (RFC 6455) holding payload (str or bytes)."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def raw_ws(hub, path, protocol, headers=(), rcvbuf=None, timeout=5):
    """A WebSocket opened by hand on a plain socket (for clients that misbehave, e.g. never
    read). Returns (socket, response head as str); raises AssertionError if not upgraded."""
    import base64
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", hub.port))
    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: %s\r\n" % (path, hub.port, key, protocol))
    for h in headers:
        req += h + "\r\n"
    s.sendall((req + "\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(1)  # byte by byte: leave any frame that follows in the kernel buffer
        if not d:
            raise AssertionError("raw ws: closed during handshake: %r" % head)
        head += d
    text = head.decode("latin-1")
    if " 101 " not in text.split("\r\n")[0]:
        s.close()
        raise AssertionError("raw ws: not upgraded: %s" % text.split("\r\n")[0])
    return s, text


# ---------------------------------------------------------------------------------------------
# Hall registry helpers

def hall_biz(info):
    """[{id,name,category,sla_s}] of a GET /halls/{id} document."""
    return as_list(info.get("biz"))


def hall_windows(info):
    return as_list(info.get("windows"))


def windows_for_biz(info, biz_id):
    return [w["id"] for w in hall_windows(info) if biz_id in w.get("biz", [])]


def pick_biz_with_windows(info, n=2):
    """(biz entry, [window ids serving it]) for the first biz served by >= n windows."""
    for b in hall_biz(info):
        ws = windows_for_biz(info, b["id"])
        if len(ws) >= n:
            return b, ws
    raise AssertionError("hall %s has no biz type served by %d windows: %s" %
                         (info.get("id"), n, json.dumps(info)[:800]))


class Feeder:
    """Numbered events for one (hall, feed): Feeder(hub, "LH-03").issued() -> an event with the
    next seq and a fresh ticket of the hall's first biz type."""

    def __init__(self, hub, hall, feed=None, token=TOKEN_ALL_HALLS, at_="08:30", start_seq=0):
        self.hub, self.hall, self.feed, self.token, self.at = hub, hall, feed, token, at_
        self.seq = start_seq
        self.n = 0
        info = hub.hall(hall)
        self.biz = hall_biz(info)[0]["id"]
        self.windows = windows_for_biz(info, self.biz)
        self.sent = []

    def event(self, type_, **data):
        self.seq += 1
        return ev(self.hall, self.seq, type_, self.at, feed=self.feed, **data)

    def issued(self):
        self.n += 1
        return self.event("ticket.issued", ticket="%s-%s-%d" % (self.biz, self.feed or "m",
                                                                self.n),
                          biz=self.biz, channel="kiosk", priority="normal")

    def heartbeat(self):
        return self.event("hall.heartbeat")

    def review(self, level, comment=None, **extra):
        self.n += 1
        d = dict(review="RV-%s-%d" % (self.feed or "m", self.n), level=level,
                 channel="evaluator", real_name=False, **extra)
        if comment is not None:
            d["comment"] = comment
        return self.event("review.submitted", **d)

    def send(self, events):
        """Post and require every event accepted; returns the reply."""
        st, body = self.hub.post_events(self.token, events)
        if st != 200 or body.get("rejected") or body.get("accepted") != len(events):
            raise AssertionError("ingest: %d %s" % (st, json.dumps(body)[:1000]))
        self.sent += events
        return body


# ---------------------------------------------------------------------------------------------
# KPI expectations

class Range:
    """Expected value lo <= v <= hi."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __repr__(self):
        return "Range(%r, %r)" % (self.lo, self.hi)


class ZeroOrAbsent:
    """A zero count: present as 0, or absent."""

    def __repr__(self):
        return "0-or-absent"


ABSENT = object()


def kpi_diff(actual, expected, tol=0.002):
    """Mismatches between a kpi object and expectations: ints exact, floats within tol when
    <= 1 (rates) or 0.06 above (a score rounded to 1 decimal), Range, ZeroOrAbsent, ABSENT.
    Returns a list of strings (empty when all match)."""
    out = []
    actual = actual or {}
    for k, exp in expected.items():
        has = k in actual
        v = actual.get(k)
        if exp is ABSENT:
            if has:
                out.append("%s: expected absent, got %r" % (k, v))
        elif isinstance(exp, ZeroOrAbsent):
            if has and v != 0:
                out.append("%s: expected 0 or absent, got %r" % (k, v))
        elif not has:
            out.append("%s: missing (expected %r)" % (k, exp))
        elif isinstance(exp, Range):
            if not isinstance(v, (int, float)) or not exp.lo <= v <= exp.hi:
                out.append("%s: %r not in [%r, %r]" % (k, v, exp.lo, exp.hi))
        elif isinstance(exp, float):
            t = tol if abs(exp) <= 1 else 0.06  # rates to 3 decimals; scores to 1 decimal
            if not isinstance(v, (int, float)) or abs(v - exp) > t:
                out.append("%s: %r != %r" % (k, v, exp))
        else:
            if v != exp or isinstance(v, bool) != isinstance(exp, bool):
                out.append("%s: %r != %r" % (k, v, exp))
    return out


def business_elapsed_s(hub, speed=1.0):
    """An upper bound on the business seconds elapsed since the hub's clock started."""
    return (time.monotonic() - hub.spawn_t) * speed


# ---------------------------------------------------------------------------------------------
# Runner

class _Result(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    """Run the TestCases of __main__; print 'N passed, N failed'; exit 1 on any failure."""
    import __main__
    suite = unittest.defaultTestLoader.loadTestsFromModule(__main__)
    if len(sys.argv) > 1:  # optional name filter: test_x.py Class.test_name ...
        wanted = sys.argv[1:]
        flat = []

        def walk(s):
            for t in s:
                if isinstance(t, unittest.TestSuite):
                    walk(t)
                else:
                    flat.append(t)
        walk(suite)
        suite = unittest.TestSuite([t for t in flat if any(w in t.id() for w in wanted)])
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=_Result)
    t0 = time.monotonic()
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    sys.stdout.flush()
    log("(%.1f s, %d skipped)" % (time.monotonic() - t0, len(result.skipped)))
    print("%d passed, %d failed" % (result.passed, failed), flush=True)
    _cleanup_hubs()
    sys.exit(1 if failed else 0)
