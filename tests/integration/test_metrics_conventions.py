"""/metrics follows the Prometheus conventions (issue 12 item 7): `promtool check metrics` (Debian
package prometheus, installed by scripts/setup) finds nothing to lint in the hub's exposition after
real traffic (ingest, a live client); the latency histograms are in the base unit (seconds), and
their bucket bounds and sums are consistent with that unit."""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import ev, at  # noqa: E402

PROMTOOL = shutil.which("promtool")
hub = None


def setUpModule():
    global hub
    hub = cwtest.Hub()


def tearDownModule():
    if hub:
        hub.close()


class TestMetricsConventions(unittest.TestCase):
    def exposition(self):
        c = cwtest.LiveClient(hub, token=cwtest.TOKEN_WALL)
        try:
            c.subscribe(["city"])
            c.wait_snapshot("city")
            hub.ingest([ev("LH-01", i + 1, "ticket.issued", at("09:00:%02d" % i), feed="prom",
                           ticket="A%03d" % i, biz="A", channel="kiosk", priority="normal")
                        for i in range(5)])
            c.wait_for(lambda cl: cl.state.get("city", {}).get("halls", {}).get("LH-01", {})
                       .get("kpi", {}).get("issued") == 5, 5, "the live client sees the tickets")
        finally:
            c.close()
        r = hub.request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        return r.body.decode("utf-8")

    @unittest.skipUnless(PROMTOOL, "promtool not installed (Debian package prometheus: scripts/setup)")
    def test_promtool_check_metrics(self):
        text = self.exposition()
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual((p.returncode, out.strip()), (0, ""), "promtool check metrics:\n" + out)

    def test_histograms_in_seconds(self):
        m = cwtest.parse_prometheus(self.exposition())
        for name in ("citywall_store_commit_seconds", "citywall_ingest_ack_seconds",
                     "citywall_fanout_seconds"):
            self.assertIn(name + "_count", m)
            self.assertNotIn(name.replace("_seconds", "_ms") + "_count", m)
        # at least the one commit of the ingest above, and it took well under a minute
        n, s = m["citywall_store_commit_seconds_count"], m["citywall_store_commit_seconds_sum"]
        self.assertGreaterEqual(n, 1)
        self.assertLess(s / n, 60)
        text = hub.request("GET", "/metrics").body.decode()
        # the smallest bucket bound is 0.5 ms = 0.0005 s
        self.assertIn('citywall_fanout_seconds_bucket{le="0.0005"}', text)


if __name__ == "__main__":
    cwtest.main()
