"""citywall-bench against a real hub (SPEC §1, §10): each mode runs for ~2 s and ends with one
JSON line whose keys and values agree with what the hub itself counted.

- ingest over HTTP and over WS: every event the bench reports as acknowledged is one the hub
  counts in citywall_events_accepted_total (the hub's counter moves by exactly `events`),
  full batches only (events = batches x --batch), nothing rejected;
- fanout: every subscribed client shows every published ticket (deliveries = events x
  clients), and the hall's `issued` KPI moved by exactly `events`; also over midnight, when
  the hall's count starts again at 0 (a hub whose clock crosses into a new business day);
- glass (~3 s, under xvfb-run with the build's citywall-wall; skipped when either is missing):
  every published ticket was presented by the wall (samples = events, unshown 0), the hall's
  `issued` KPI moved by exactly `events`, and the wall presented frames;
- the command line: --help / --version exit 0, bad usage exits 2.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402

BENCH_BIN = os.path.join(cwtest.BUILD_DIR, "citywall-bench")
WALL_BIN = os.path.join(cwtest.BUILD_DIR, "citywall-wall")
HUB = None


def setUpModule():
    global HUB
    HUB = cwtest.Hub()


def tearDownModule():
    if HUB:
        HUB.close()


def bench(*args, timeout=120, prefix=()):
    """Run citywall-bench (after `prefix`, e.g. xvfb-run); returns (exit code, stdout lines,
    stderr)."""
    if not os.path.exists(BENCH_BIN):
        raise AssertionError("citywall-bench not found at %s (set CW_BUILD_DIR)" % BENCH_BIN)
    p = subprocess.run(list(prefix) + [BENCH_BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout, cwd=cwtest.SOURCE_DIR)
    return (p.returncode, p.stdout.decode("utf-8", "replace").splitlines(),
            p.stderr.decode("utf-8", "replace"))


def run_mode(*args, prefix=()):
    """Run a measuring mode against HUB; returns the last stdout line as JSON."""
    rc, out, err = bench(*args, "--hub", HUB.http_url, "--config", cwtest.DEMO_CONFIG,
                         "--clock", HUB.clock, "--hub-pid", str(HUB.proc.pid), prefix=prefix)
    if rc != 0 or not out:
        raise AssertionError("citywall-bench %s: exit %d\nstdout:\n%s\nstderr:\n%s" %
                             (" ".join(args), rc, "\n".join(out), err[-3000:]))
    try:
        res = json.loads(out[-1])
    except ValueError:
        raise AssertionError("last line is not JSON: %r" % out[-1])
    if len(out) < 3:
        raise AssertionError("expected a result table before the JSON line, got %r" % out)
    return res


def accepted_total():
    return HUB.metrics()["citywall_events_accepted_total"]


class TestBenchUsage(unittest.TestCase):
    def test_help_and_version(self):
        rc, out, _ = bench("--help")
        self.assertEqual(rc, 0)
        self.assertTrue(out[0].startswith("usage: citywall-bench"), out[:1])
        rc, out, _ = bench("--version")
        self.assertEqual((rc, out[0].split()[0]), (0, "citywall-bench"))

    def test_bad_usage_exits_2(self):
        url = "http://127.0.0.1:1"
        for args in ([], ["ingest"], ["bogus", "--hub", url], ["ingest", "--hub", "ftp://x"],
                     ["ingest", "--hub", url, "--transport", "udp"],
                     ["ingest", "--hub", url, "--batch", "0"],
                     ["ingest", "--hub", url, "--duration", "x"],
                     ["fanout", "--hub", url, "--transport", "ws"],
                     ["glass", "--hub", url],  # no --wall-bin
                     ["ingest", "--hub", url, "--wall-bin", "/bin/true"],
                     ["ingest", "--hub", url, "--nope"]):
            rc, _, err = bench(*args)
            self.assertEqual(rc, 2, "%r: exit %d, stderr %s" % (args, rc, err))
            self.assertIn("citywall-bench:", err)

    def test_unreachable_hub_exits_1(self):
        rc, _, err = bench("ingest", "--hub", "http://127.0.0.1:%d" % cwtest.free_port(),
                           "--config", cwtest.DEMO_CONFIG, "--duration", "1")
        self.assertEqual(rc, 1, err)
        self.assertIn("readyz", err)


class TestBenchIngest(unittest.TestCase):
    def check_ingest(self, res, transport, clients, batch):
        for k in ("mode", "transport", "events_per_s", "p50_ms", "p99_ms", "events", "batches"):
            self.assertIn(k, res)
        self.assertEqual((res["mode"], res["transport"], res["clients"], res["batch"]),
                         ("ingest", transport, clients, batch))
        self.assertGreater(res["events"], 0)
        self.assertEqual(res["events"], res["batches"] * batch, res)  # full batches only
        self.assertGreater(res["events_per_s"], 0)
        self.assertAlmostEqual(res["events_per_s"], res["events"] / res["duration_s"],
                               delta=res["events_per_s"] * 0.01 + 1)
        self.assertTrue(0 < res["p50_ms"] <= res["p99_ms"] <= res["max_ms"], res)
        self.assertEqual((res["rejected"], res["errors"]), (0, 0), res)
        self.assertGreater(res["hub_cpu_pct"], 0)
        self.assertGreater(res["hub_rss_mb"], 1)

    def test_http(self):
        before = accepted_total()
        # 2 streams x 60,000 events in batches of 500: every batch is full
        res = run_mode("ingest", "--duration", "2", "--clients", "2", "--batch", "500",
                       "--events", "120000", "--seed", "3")
        self.check_ingest(res, "http", 2, 500)
        self.assertEqual(accepted_total() - before, res["events"])

    def test_ws(self):
        before = accepted_total()
        res = run_mode("ingest", "--transport", "ws", "--duration", "2", "--clients", "1",
                       "--batch", "500", "--events", "60000", "--halls", "5")
        self.check_ingest(res, "ws", 1, 500)
        self.assertEqual(accepted_total() - before, res["events"])


class TestBenchFanout(unittest.TestCase):
    def test_fanout(self):
        issued0 = HUB.hall("LH-07")["kpi"].get("issued", 0)
        res = run_mode("fanout", "--duration", "2", "--clients", "20", "--rate", "100",
                       "--hall", "LH-07")
        for k in ("mode", "clients", "deliveries_per_s", "p50_ms", "p99_ms", "max_ms"):
            self.assertIn(k, res)
        self.assertEqual((res["mode"], res["clients"]), ("fanout", 20))
        # 100 events/s for 2 s: one due at t=0, then one every 10 ms
        self.assertTrue(150 <= res["events"] <= 201, res)
        self.assertEqual(res["deliveries"], res["events"] * 20)
        self.assertEqual(res["undelivered"], 0)
        self.assertGreater(res["deliveries_per_s"], 0)
        self.assertTrue(0 <= res["p50_ms"] <= res["p99_ms"] <= res["max_ms"], res)
        self.assertEqual(res["errors"], 0)
        self.assertIn("hub_rss_mb", res)
        self.assertEqual(HUB.hall("LH-07")["kpi"]["issued"] - issued0, res["events"])


class TestBenchFanoutEvery(unittest.TestCase):
    def test_every_prints_each_intervals_latencies(self):
        """--every 1 over 3.5 s: a line a second before the table (t_s 1, 2, 3; one may be
        late or missing on a loaded machine), each with ordered percentiles; the deliveries of
        the lines up to t_s T are T s of 50 events/s x 5 clients = 250 T, within one second's
        worth (the shards hand their samples over every 0.2 s, deliveries lag the sends)."""
        rc, out, err = bench("fanout", "--duration", "3.5", "--clients", "5", "--rate", "50",
                             "--hall", "LH-05", "--every", "1", "--hub", HUB.http_url,
                             "--config", cwtest.DEMO_CONFIG, "--clock", HUB.clock)
        self.assertEqual(rc, 0, "\n".join(out) + err[-2000:])
        res = json.loads(out[-1])
        pat = re.compile(r"^every  t_s (\d+)  deliveries (\d+)  send -> client p50 ([0-9.]+) ms"
                         r"  p99 ([0-9.]+) ms  max ([0-9.]+) ms$")
        lines = [pat.match(x) for x in out if x.startswith("every")]
        self.assertTrue(len(lines) >= 2 and all(lines), out)
        table = next(i for i, x in enumerate(out) if x.startswith("citywall-bench fanout:"))
        self.assertLess(out.index(lines[-1].group(0)), table)
        ts = [int(m.group(1)) for m in lines]
        self.assertEqual(ts[0], 1, out)
        self.assertTrue(all(b > a for a, b in zip(ts, ts[1:])) and ts[-1] <= 4, out)
        for m in lines:
            p50, p99, mx = map(float, m.group(3, 4, 5))
            self.assertGreater(int(m.group(2)), 0, m.group(0))
            self.assertTrue(0 <= p50 <= p99 <= mx, m.group(0))
        total = sum(int(m.group(2)) for m in lines)
        self.assertLessEqual(abs(total - 250 * ts[-1]), 250, out)
        self.assertLessEqual(total, res["deliveries"])


class TestStoreCache(unittest.TestCase):
    def test_db_cache_mib_bounds_sqlites_memory(self):
        """server.db_cache_mib 1: sqlite's page caches (writer and reader) stay at 1 MiB each
        while 60,000 events make a database of ~15 MB -- sqlite's memory (its whole heap,
        /metrics) ends under 2 x 1 MiB + 1 MiB for the schema and statements. The default
        (64 MiB) holds ~20 MB after the same ingest (BENCHMARKS.md)."""
        hub = cwtest.hub_with_config([("  db: var/demo.db", "  db: var/demo.db\n  db_cache_mib: 1")])
        try:
            rc, out, err = bench("ingest", "--duration", "60", "--clients", "2", "--batch", "1000",
                                 "--events", "60000", "--hub", hub.http_url, "--config",
                                 cwtest.DEMO_CONFIG, timeout=180)
            self.assertEqual(rc, 0, "\n".join(out) + err[-2000:])
            res = json.loads(out[-1])
            self.assertEqual(res["events"], 60000, res)
            db = sum(os.path.getsize(hub.db + x) for x in ("", "-wal")
                     if os.path.exists(hub.db + x))
            self.assertGreater(db, 8 << 20)  # the cache could have grown past the bound
            mem = hub.metrics()["citywall_sqlite_memory_bytes"]
            self.assertLess(mem, 3 << 20, "sqlite holds %d bytes" % mem)
        finally:
            hub.close()


class TestBenchFanoutOverMidnight(unittest.TestCase):
    def test_deliveries_are_counted_across_a_new_business_day(self):
        # the hall's `issued` starts again at 0 when a day begins (scripts/hub-soak runs a
        # sped-up clock through several): events of both days count, none is undelivered
        hub = cwtest.Hub(clock="2026-11-23T23:59:52+08:00@1")
        try:
            day0 = hub.snapshot().get("day")
            if day0 != "2026-11-23":
                self.skipTest("the hub took too long to start: its day is already %s" % day0)
            rc, out, err = bench("fanout", "--duration", "10", "--clients", "10", "--rate", "20",
                                 "--hall", "LH-07", "--hub", hub.http_url, "--config",
                                 cwtest.DEMO_CONFIG, "--hub-pid", str(hub.proc.pid))
            self.assertEqual(rc, 0, "\n".join(out) + err[-2000:])
            res = json.loads(out[-1])
            self.assertEqual(hub.snapshot().get("day"), "2026-11-24")  # the run crossed midnight
            # 20 events/s for 10 s: one due at t=0, then one every 50 ms
            self.assertTrue(150 <= res["events"] <= 201, res)
            after = hub.hall("LH-07")["kpi"].get("issued", 0)  # the new day's count
            self.assertTrue(0 < after < res["events"], (after, res))
            self.assertEqual(res["deliveries"], res["events"] * 10)
            self.assertEqual(res["undelivered"], 0)
            self.assertEqual(res["errors"], 0)
        finally:
            hub.close()


class TestBenchGlass(unittest.TestCase):
    def test_glass(self):
        if not shutil.which("xvfb-run"):
            self.skipTest("xvfb-run is not installed (apt-get install xvfb)")
        if not os.access(WALL_BIN, os.X_OK):
            self.skipTest("no citywall-wall in %s (SDL2/GStreamer missing at configure time?)"
                          % cwtest.BUILD_DIR)
        issued0 = HUB.hall("LH-06")["kpi"].get("issued", 0)
        res = run_mode("glass", "--wall-bin", WALL_BIN, "--duration", "3", "--rate", "20",
                       "--hall", "LH-06",
                       prefix=("xvfb-run", "-a", "-s", "-screen 0 1920x1080x24"))
        for k in ("mode", "samples", "p50_ms", "p99_ms", "max_ms", "events", "frames", "fps"):
            self.assertIn(k, res)
        self.assertEqual(res["mode"], "glass")
        # 20 events/s for 3 s: one due at t=0, then one every 50 ms
        self.assertTrue(45 <= res["events"] <= 61, res)
        self.assertEqual((res["samples"], res["unshown"], res["errors"]),
                         (res["events"], 0, 0), res)
        self.assertTrue(0 < res["p50_ms"] <= res["p99_ms"] <= res["max_ms"], res)
        self.assertGreater(res["frames"], 0)
        self.assertGreater(res["fps"], 0)
        self.assertTrue(0 < res["states"] <= res["frames"] + 1, res)
        self.assertGreater(res["wall_rss_mb"], 1)
        self.assertEqual(HUB.hall("LH-06")["kpi"]["issued"] - issued0, res["events"])


if __name__ == "__main__":
    cwtest.main()
