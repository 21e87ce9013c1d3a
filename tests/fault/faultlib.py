"""faultlib: shared pieces of the fault suite (tests/fault): a deterministic event stream per
(hall, feed), gateways that resend from their last ack over HTTP or WebSocket, and the
exactly-once check of a hub's store against what was acknowledged.

The hub harness is tests/integration/cwtest.py."""

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import cwtest  # noqa: E402,F401

TIME_DRIVEN = ("max_wait_live_s", "over_sla_waiting", "sl_60m", "windows_planned")


def steady_kpi(kpi):
    """A kpi object without the values that depend on the wall-clock moment of the query."""
    return {k: v for k, v in (kpi or {}).items() if k not in TIME_DRIVEN}


def _at(tenths):
    """08:00:00.0 + tenths * 0.1 s as RFC 3339 (+08:00) on the harness's business day."""
    ms = tenths * 100
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return cwtest.at("%02d:%02d:%02d.%03d" % (8 + h, m, s, ms))


class Stream:
    """The events of one (hall, feed) gateway, event(seq) is deterministic: the windows open,
    then blocks of 7: issued, called, finished, issued, called, no_show, review."""

    def __init__(self, hub, hall, feed=None):
        self.hall, self.feed = hall, feed
        b, wins = cwtest.pick_biz_with_windows(hub.hall(hall), 2)
        self.biz, self.wins = b["id"], wins
        self.key = hall if feed is None else "%s/%s" % (hall, feed)
        self.events = []

    def _make(self, seq):
        pre = len(self.wins)
        tag = self.feed or "m"
        if seq <= pre:
            return cwtest.ev(self.hall, seq, "window.opened", _at(seq), feed=self.feed,
                             window=self.wins[seq - 1], staff="W9%03d" % seq)
        i = seq - pre - 1
        blk, k = divmod(i, 7)
        w = self.wins[blk % len(self.wins)]
        t1, t2 = "T%s%06dA" % (tag, blk), "T%s%06dB" % (tag, blk)
        at_ = _at(seq)
        mk = lambda typ, **d: cwtest.ev(self.hall, seq, typ, at_, feed=self.feed, **d)  # noqa
        if k == 0:
            return mk("ticket.issued", ticket=t1, biz=self.biz, channel="kiosk",
                      priority="normal")
        if k == 1:
            return mk("ticket.called", ticket=t1, window=w)
        if k == 2:
            return mk("ticket.finished", ticket=t1, window=w, result="done")
        if k == 3:
            return mk("ticket.issued", ticket=t2, biz=self.biz, channel="wechat",
                      priority="normal")
        if k == 4:
            return mk("ticket.called", ticket=t2, window=w)
        if k == 5:
            return mk("ticket.no_show", ticket=t2, window=w, action="skip")
        return mk("review.submitted", review="R%s%06d" % (tag, blk), level=1 + blk % 5,
                  channel="evaluator", window=w, real_name=False)

    def event(self, seq):
        while len(self.events) < seq:
            self.events.append(self._make(len(self.events) + 1))
        return self.events[seq - 1]


class Gateway:
    """A hall gateway thread: sends batches of `batch` events from its last ack, over "http"
    or "ws"; stops at `limit` events, on stop(), or when the hub goes away (it then records
    the error; a new Gateway on the same stream resends from `acked`)."""

    def __init__(self, hub, stream, transport, acked, batch=50, limit=200000,
                 token=cwtest.TOKEN_ALL_HALLS, retry_503=False):
        self.hub, self.stream, self.transport = hub, stream, transport
        # retry_503: a 503 ("send it again", nothing acknowledged) is resent after 0.2 s, as a
        # real gateway does, instead of being an error; retried counts them, max_gap_s is the
        # longest time between two acknowledged batches
        self.retry_503, self.retried, self.max_gap_s = retry_503, 0, 0.0
        self.acked = acked           # shared dict key -> highest acked seq
        self.batch, self.limit, self.token = batch, limit, token
        self.batches = 0
        self.sent = 0
        self.error = None            # a protocol problem (test failure)
        self.died = None             # the connection went away (expected when killed)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._t.start()
        return self

    def stop(self, timeout=20):
        self._stop.set()
        self._t.join(timeout)
        if self._t.is_alive():
            raise AssertionError("gateway %s did not stop" % self.stream.key)

    def _batch(self):
        lo = self.acked.get(self.stream.key, 0) + 1
        hi = min(lo + self.batch - 1, self.limit)
        return [self.stream.event(s) for s in range(lo, hi + 1)]

    def _note(self, acked):
        v = acked.get(self.stream.key)
        if v is not None:
            self.acked[self.stream.key] = max(self.acked.get(self.stream.key, 0), v)

    def _run(self):
        ws = None
        try:
            if self.transport == "ws":
                ws = cwtest.ingest_ws(self.hub, token=self.token, timeout=10)
            last_ack = time.monotonic()
            while not self._stop.is_set():
                evs = self._batch()
                if not evs:
                    return
                self.sent += len(evs)
                if self.transport == "http":
                    st, body = self.hub.post_events(self.token, evs)
                    if st == 503 and self.retry_503:
                        self.retried += 1
                        time.sleep(0.2)  # a gateway's pause before sending again
                        continue
                    if st != 200 or body.get("rejected"):
                        self.error = (st, body)
                        return
                    self._note(body["acked"])
                else:
                    ws.send(json.dumps(evs))
                    kind, m = cwtest.ws_recv(ws, timeout=20)
                    if (self.retry_503 and kind == "text" and "error" in m and
                            "send it again" in m.get("error", "")):
                        self.retried += 1
                        time.sleep(0.2)
                        continue
                    if kind != "text" or "ack" not in m:
                        self.error = (kind, m)
                        return
                    self._note(m["ack"])
                now = time.monotonic()
                self.max_gap_s = max(self.max_gap_s, now - last_ack)
                last_ack = now
                self.batches += 1
        except Exception as e:  # the hub died under us
            self.died = repr(e)
        finally:
            if ws is not None:
                try:
                    ws.close(timeout=1)
                except Exception:
                    pass


def hub_on_tmpfs(tc, size_mb):
    """A hub (not started) whose db lies on a fresh tmpfs of size_mb, for the store-fault
    tests; skips the test when the tmpfs cannot be mounted (needs root). Returns (hub, mnt);
    the test calls unmount_tmpfs(mnt) when done."""
    hub = cwtest.Hub(start=False)
    mnt = os.path.join(hub.tmp, "store")
    os.mkdir(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % size_mb, "tmpfs", mnt],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        hub.close()
        tc.skipTest("cannot mount a tmpfs (needs root): %s" % r.stdout.decode()[:200])
    hub.db = os.path.join(mnt, "hub.db")
    return hub, mnt


def unmount_tmpfs(mnt):
    subprocess.run(["mount", "-o", "remount,rw", mnt], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    subprocess.run(["umount", "-l", mnt])


def batch_poster(tc, hub, stream, acked, batch):
    """A gateway's next-batch step for the store-fault tests: POST the `batch` events after
    acked[stream.key]; on 200 nothing may be rejected and the ack moves on. Returns
    post() -> (status, body)."""
    def post():
        lo = acked[stream.key] + 1
        evs = [stream.event(s) for s in range(lo, lo + batch)]
        code, body = hub.post_events(cwtest.TOKEN_ALL_HALLS, evs)
        if code == 200:
            tc.assertEqual(body.get("rejected", []), [])
            acked[stream.key] = max(acked[stream.key], body["acked"][stream.key])
        return code, body
    return post


def stored_seqs(hub, stream):
    """Every seq stored for the stream's (hall, feed), in store order."""
    out = []
    for e in hub.all_events(stream.hall):
        e = cwtest.stored_event(e)
        if (e.get("feed") or "main") == (stream.feed or "main"):
            out.append((e["seq"], e))
    return out


def check_exactly_once(tc, hub, stream, acked_seq, label):
    """Assert every acknowledged seq of the stream is stored exactly once, nothing beyond what
    was sent is stored, and each stored event equals what was sent. Returns (stored, lost,
    duplicates)."""
    got = stored_seqs(hub, stream)
    seqs = [s for s, _ in got]
    counts = Counter(seqs)
    dups = sum(n - 1 for n in counts.values() if n > 1)
    lost = [s for s in range(1, acked_seq + 1) if s not in counts]
    tc.assertEqual(dups, 0, "%s %s: %d duplicates" % (label, stream.key, dups))
    tc.assertEqual(lost[:10], [], "%s %s: %d acknowledged events lost" %
                   (label, stream.key, len(lost)))
    tc.assertLessEqual(max(seqs or [0]), len(stream.events),
                       "%s %s: stored a seq never sent" % (label, stream.key))
    for s, e in got[:: max(1, len(got) // 200)]:  # a sample of bodies, compared exactly
        sent = stream.events[s - 1]
        tc.assertEqual((e["type"], e["data"]), (sent["type"], sent["data"]),
                       "%s %s seq %d" % (label, stream.key, s))
    return len(seqs), len(lost), dups


def replay_kpis(streams, stored):
    """KPIs of a clean hub fed exactly the stored events (stored: key -> max contiguous seq).
    Returns ({hall: steady kpi}, city steady kpi)."""
    clean = cwtest.Hub()
    try:
        for st in streams:
            evs = [st.events[s - 1] for s in range(1, stored[st.key] + 1)]
            for i in range(0, len(evs), 2000):
                r = clean.ingest(evs[i:i + 2000])
                assert r["accepted"] == len(evs[i:i + 2000]), r
        halls = {st.hall: steady_kpi(clean.hall(st.hall)["kpi"]) for st in streams}
        city = steady_kpi(clean.snapshot()["kpi"])
        return halls, city
    finally:
        clean.close()


def write_result(name, row):
    """Append one measured row (a dict) to $CW_FAULT_RESULTS (a JSON-lines file) when set,
    and log it."""
    row = dict(row, test=name, when=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    cwtest.log("RESULT " + json.dumps(row, sort_keys=True))
    path = os.environ.get("CW_FAULT_RESULTS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(row, sort_keys=True) + "\n")


# ------------------------------------------------------------------------------------------
# A TCP proxy that can stop forwarding (blackhole, half-open) and move to another upstream

class Proxy:
    """A loopback TCP proxy (asyncio, on a thread of its own) in front of 127.0.0.1:upstream.

    forward(c2s, s2c) sets, per direction, whether bytes flow: client -> server (c2s) and
    server -> client (s2c). A stopped direction stops *reading* its source, so nothing is
    lost or reordered -- bytes wait in the kernel's buffers as they would on a path whose
    packets are dropped and retransmitted -- and flow again when it is resumed: both stopped is
    a blackhole, one stopped a half-open link. New connections are accepted (and connected
    upstream) whatever the mode. set_upstream(port) sends new connections to another port;
    a connection whose upstream cannot be reached, or closes, is closed on the client side."""

    def __init__(self, upstream_port):
        import asyncio
        self._asyncio = asyncio
        self.upstream = upstream_port
        self.loop = asyncio.new_event_loop()
        self._conns = set()
        self._ready = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        self._ready.wait(10)
        self.port = self._server.sockets[0].getsockname()[1]

    def _run(self):
        asyncio = self._asyncio
        asyncio.set_event_loop(self.loop)
        self.gates = {"c2s": asyncio.Event(), "s2c": asyncio.Event()}
        for g in self.gates.values():
            g.set()
        self._server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0))
        self._ready.set()
        self.loop.run_forever()

    async def _pump(self, reader, writer, gate):
        try:
            while True:
                await gate.wait()
                data = await reader.read(65536)
                if not data:
                    break
                await gate.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _serve(self, creader, cwriter):
        asyncio = self._asyncio
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            cwriter.close()
            return
        pair = (cwriter, swriter)
        self._conns.add(pair)
        try:
            await asyncio.gather(self._pump(creader, swriter, self.gates["c2s"]),
                                 self._pump(sreader, cwriter, self.gates["s2c"]))
        finally:
            self._conns.discard(pair)

    def _call(self, fn):
        done = threading.Event()

        def run():
            fn()
            done.set()
        self.loop.call_soon_threadsafe(run)
        done.wait(5)

    def forward(self, c2s=True, s2c=True):
        def apply():
            for name, on in (("c2s", c2s), ("s2c", s2c)):
                (self.gates[name].set if on else self.gates[name].clear)()
        self._call(apply)

    def set_upstream(self, port):
        self.upstream = port

    def close(self):
        def stop():
            self._server.close()
            for cw, sw in list(self._conns):
                cw.close()
                sw.close()
        self._call(stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._t.join(5)
