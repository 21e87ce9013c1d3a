"""Fault, cluster mode: the dashboard in Chromium, served by hub a of a two-hub cluster whose
config lists both hubs (cluster.public_urls), loses hub a (kill -9) while tickets keep coming
in through hub b (docs/cluster.md "Browsers").

- the page is live again on hub b within 2 s of the kill, showing the hand-counted figure,
  and it got there by resuming: the city topic took no second snapshot and got `recovered`;
- it never shows a wrong number: every value its 今日取号 card ever showed (a
  MutationObserver in browser_failover.mjs) is one the city held at some log position (a
  reference client of hub b saw every rev), in order, and it ends at the hand count;
- while live on hub b it says so (the banner offers the page on hub b);
- when hub a is back the page returns to it (REST works again), by resuming again.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if os.environ.get("CW_BUILD_DIR"):
    os.environ["CW_BUILD_DIR"] = os.path.abspath(os.environ["CW_BUILD_DIR"])
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402
import natscluster  # noqa: E402
from test_reconnect import Lines  # noqa: E402
from test_security import handshake  # noqa: E402

WATCH_JS = os.path.join(HERE, "browser_failover.mjs")
LIVE_S = 2.0


class ClusterBrowser(unittest.TestCase):
    def setUp(self):
        node = shutil.which("node") or shutil.which("nodejs")
        if not node or not os.path.exists(os.path.join(cwtest.SOURCE_DIR, "node_modules",
                                                       "playwright-core")):
            raise unittest.SkipTest("node and playwright-core (scripts/setup) are needed")
        self.node = node
        self.nats = natscluster.NatsCluster(3)
        self.hubs = natscluster.ClusterHubs(self.nats, 2, public_urls=True)
        self.page = None

    def tearDown(self):
        if self.page and self.page.poll() is None:
            self.page.stdin.close()
            try:
                self.page.wait(20)
            except subprocess.TimeoutExpired:
                self.page.kill()
        self.hubs.close()
        self.nats.close()

    def test_page_moves_to_hub_b_with_recovered_and_no_wrong_number(self):
        a, b = self.hubs
        # the hubs tell the page the cluster's hubs (GET /api/v1/me)
        st, me = a.get("/api/v1/me", cookie=a.login("city"))
        self.assertEqual(st, 200, me)
        self.assertEqual(me["hubs"], ["http://127.0.0.1:%d" % a.port,
                                      "http://127.0.0.1:%d" % b.port])
        # only the listed hubs' origins pass hub b's Origin rule (SECURITY.md S8), and hub a's
        # pages may connect to hub b (CSP connect-src)
        proto = "citywall-live.v1"
        st, _ = handshake(b, "/live", proto, ["Origin: http://127.0.0.1:%d" % a.port])
        self.assertEqual(st, 101)
        other = "http://127.0.0.1:%d" % cwtest.free_port()
        st, body = handshake(b, "/live", proto, ["Origin: " + other])
        self.assertEqual(st, 403, body)
        self.assertEqual(json.loads(body)["error"], "origin %s is not allowed for /live" % other)
        csp = dict((k.lower(), v) for k, v in a.request("GET", "/").headers)[
            "content-security-policy"]
        self.assertIn("connect-src 'self' ws://127.0.0.1:%d wss://127.0.0.1:%d ws://127.0.0.1:%d "
                      "ws://127.0.0.1:%d;" % (a.port, a.port, a.port, b.port), csp)
        ref = cwtest.LiveClient(b, token=cwtest.TOKEN_WALL)  # every rev hub b published
        ref.subscribe(["city"])
        ref.wait_for(lambda c: "city" in c.state, what="reference snapshot")
        # an empty store: no ticket yet
        self.assertEqual(ref.state["city"]["kpi"]["issued"], 0)
        self.shot = os.path.join(cwtest.BUILD_DIR, "artifacts", "cluster-browser-moved.png")
        os.makedirs(os.path.dirname(self.shot), exist_ok=True)
        self.page = subprocess.Popen([self.node, WATCH_JS, "http://127.0.0.1:%d" % a.port,
                                      "city", self.shot], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=None, text=True)
        lines = Lines(stream=self.page.stdout)
        fa = cwtest.Feeder(a, "LH-03", feed="gw-a")
        fa.send([fa.issued() for _ in range(3)])
        # hand count: 3 tickets issued through hub a
        before = cwtest.wait_until(
            lambda: next((ln for ln in reversed(lines.poll()) if ln["state"] == "live" and
                          ln["issued"] == "3" and ln["home"]), None), 30, interval=0.05,
            what="the page on hub a showing 3 tickets")
        self.assertEqual(before["city_snapshots"], 1, before)
        self.assertEqual(before["banner"], "", before)
        t_kill = int(time.time() * 1000)
        a.kill9()
        fb = cwtest.Feeder(b, "LH-03", feed="gw-b")
        fb.send([fb.issued() for _ in range(2)])
        # hand count: 3 + 2 = 5 tickets, the last two through hub b after the kill
        try:
            after = cwtest.wait_until(
                lambda: lines.first(t_kill, lambda ln: ln["state"] == "live" and ln["hello"] and
                                    not ln["home"] and ln["issued"] == "5"), 10,
                interval=0.05, what="the page live on hub b showing 5 tickets")
        except AssertionError:
            cwtest.log("the page after the kill: %s" % "\n".join(
                json.dumps(ln, ensure_ascii=False) for ln in lines.poll()[-6:]))
            raise
        took = (after["t_ms"] - t_kill) / 1000.0
        cwtest.log("hub a killed: the page showed 5 tickets live on hub b after %.3f s "
                   "(city snapshots %d, recovered %d, moves %d)" %
                   (took, after["city_snapshots"], after["city_recovered"], after["moves"]))
        self.assertEqual(after["url"], "ws://127.0.0.1:%d/live" % b.port)
        self.assertEqual(after["city_snapshots"], 1, "no new snapshot of the city: %r" % after)
        self.assertGreaterEqual(after["city_recovered"], 1, after)
        self.assertEqual(after["topic_issued"], 5)
        self.assertLess(took, LIVE_S)
        self.assertIn("127.0.0.1:%d" % b.port, after["banner"])
        self.assertEqual(after["errors"], [])
        faultlib.write_result("cluster_browser_failover", {"shown_s": round(took, 3)})
        # hub a back (same port and store): the page goes home (it probes hub a every 3 s),
        # again by resuming, and its REST calls work again; one more ticket through hub a
        t_back = int(time.time() * 1000)
        self.hubs.restart(a, kill=False)
        fa.send([fa.issued()])
        # hand count: 5 + 1 = 6
        home = cwtest.wait_until(
            lambda: lines.first(t_back, lambda ln: ln["state"] == "live" and ln["home"] and
                                ln["hello"] and ln["issued"] == "6" and
                                ln["city_recovered"] + ln["city_snapshots"] >= 3), 30,
            interval=0.05,
            what="the page back on hub a showing 6 tickets")
        cwtest.log("hub a back: the page returned to it %.1f s after its restart began "
                   "(city snapshots %d, recovered %d)" % ((home["t_ms"] - t_back) / 1000.0,
                                                          home["city_snapshots"],
                                                          home["city_recovered"]))
        self.assertEqual(home["url"], "ws://127.0.0.1:%d/live" % a.port)
        self.assertEqual(home["city_snapshots"], 1, "no new snapshot of the city: %r" % home)
        self.assertGreaterEqual(home["city_recovered"], 2, home)
        self.assertEqual(home["banner"], "", home)
        self.assertEqual(home["errors"], [])
        # never a wrong number: every value the card showed is one the city held at a log
        # position, in the order of the log, ending at the hand count
        ref.wait_for(lambda c: c.state["city"]["kpi"]["issued"] == 6, what="ref at 6")
        with ref.cond:
            state, held = None, []
            for _, m in ref.msgs:
                if m.get("topic") != "city" or m.get("op") not in ("snapshot", "delta"):
                    continue
                state = m["data"] if m["op"] == "snapshot" else cwtest.merge_patch(state,
                                                                                  m["data"])
                held.append(state["kpi"]["issued"])
        shown = [s for s in home["shown"] if s not in ("", "—")]
        cwtest.log("the card showed %r; the log held %r" % (shown, sorted(set(held))))
        self.assertEqual(shown[-1], "6")
        nums = [int(s) for s in shown]
        self.assertEqual(nums, sorted(nums), "the card went back")
        for n in nums:
            self.assertIn(n, held, "the card showed %d, never held by the city" % n)
        ref.close()


if __name__ == "__main__":
    cwtest.main()
