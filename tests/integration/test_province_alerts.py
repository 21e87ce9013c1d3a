"""The province's silent-city alert R16 (docs/alerts.md): the province hub of
tests/integration/test_province.py (two cities on their own NATS domains, leaf nodes of the
province's NATS) with R16's threshold at SILENT_S business seconds (the clock runs at real
speed) and a webhook receiver.

City 1's leaf link is cut: its ticks (one record per business second) stop reaching the
province, and R16:c1 fires within SILENT_S + a few seconds, naming city 1 and not city 2; city
2's records keep flowing, so R16:c2 never appears. The link returns: the province catches up
and R16:c1 resolves. The receiver gets exactly one firing and one resolved post for R16.
"""

import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fault"))
import alerttest  # noqa: E402
import cwtest  # noqa: E402
import test_province as tp  # noqa: E402

SILENT_S = 6


def r16_posts(rx):
    """(status, alert ids) of the webhook posts about R16."""
    out = []
    for p in rx.payloads():
        ids = [a["labels"].get("alertname") for a in p.get("alerts", [])]
        if "R16" in ids:
            out.append((p["status"], [a["labels"].get("city") for a in p["alerts"]]))
    return out


class ProvinceAlerts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = alerttest.Receiver().start()
        tp.start_province(cls, alerts=alerttest.alerts_section(
            rules={"R16": {"silent_s": SILENT_S}}), webhooks=[cls.rx.url])

    @classmethod
    def tearDownClass(cls):
        tp.stop_province(cls)
        cls.rx.stop()

    def test_a_silent_city_fires_and_resolves(self):
        # both cities reach the province: a ticket from each (issued now: no queue alert)
        p = cwtest.LiveClient(self.prov, token=cwtest.TOKEN_WALL)
        p.subscribe(["province"])
        for hub, hall, tok in ((self.c1, "LH-00", cwtest.TOKEN_ALL_HALLS),
                               (self.c2, "HY-00", tp.C2_TOKEN)):
            f = cwtest.Feeder(hub, hall, token=tok, feed="a%s" % hall, at_="09:00")
            f.send([f.issued()])
        p.wait_for(lambda c: "province" in c.state and c.state["province"]["kpi"]["issued"] == 2,
                   30, what="a ticket from each city in the province")
        p.close()
        self.assertIsNone(alerttest.alert(self.prov, "R16:c1"))
        self.assertIsNone(alerttest.alert(self.prov, "R16:c2"))

        self.nodes.proxy["c1"].forward(False, False)
        t_cut = time.monotonic()
        a = alerttest.wait_alert(self.prov, "R16:c1", "firing", timeout=SILENT_S + 20)
        fired = time.monotonic() - t_cut
        self.assertLess(fired, SILENT_S + 5)
        self.assertEqual(a["severity"], "P2")
        self.assertEqual(a["scope"], {"kind": "city", "city": "c1"})
        self.assertIn("临海市 数据中断", a["summary"]["zh"])
        self.assertIsNone(alerttest.alert(self.prov, "R16:c2"))  # city 2 still flows
        self.rx.wait_count(1, timeout=15)
        cwtest.wait_until(lambda: r16_posts(self.rx), 15, what="the R16 firing post")
        self.wall_shows_the_silent_city()

        self.nodes.proxy["c1"].forward(True, True)
        t_back = time.monotonic()
        alerttest.wait_alert(self.prov, "R16:c1", "resolved", timeout=60)
        resolved = time.monotonic() - t_back
        cwtest.wait_until(lambda: len(r16_posts(self.rx)) >= 2, 15, what="the R16 resolved post")
        time.sleep(3)  # a few group waits (1 s): nothing more is sent (an absence, not a wait)
        self.assertEqual(r16_posts(self.rx), [("firing", ["c1"]), ("resolved", ["c1"])])
        self.assertIsNone(alerttest.alert(self.prov, "R16:c2"))
        cwtest.log("R16:c1 fired %.1f s after the cut (threshold %d s), resolved %.1f s after "
                   "the link returned" % (fired, SILENT_S, resolved))

    def wall_shows_the_silent_city(self):
        """The province wall (config/walls/province.yaml) during the cut: city 1's county and
        ranking row say 数据中断 (its figures would be stale), city 2's county its figure."""
        wall = os.path.join(cwtest.BUILD_DIR, "citywall-wall")
        if not (os.path.exists(wall) and shutil.which("xvfb-run")):
            return  # a build without the wall: the alert is tested all the same
        sys.path.insert(0, os.path.join(HERE, "..", "wall"))
        import test_wall as tw  # noqa: E402
        tmp = tempfile.mkdtemp(prefix="cwprovalert-")
        self.addCleanup(shutil.rmtree, tmp, True)
        dump = os.path.join(tmp, "wall.jsonl")
        rc, log = tw.run_wall(self.prov, "--layout", os.path.join(tw.LAYOUTS, "province.yaml"),
                              "--screenshot", os.path.join(tmp, "wall.png"), "--frames", "30",
                              "--text-dump", dump)
        self.assertEqual(rc, 0, log[-2000:])
        cities = {d["city"]: d for d in tw.read_dump(dump)
                  if d.get("panel") == "map" and "city" in d}
        self.assertEqual((cities["c1"]["silent"], cities["c2"]["silent"]), (True, False))
        texts = [t["text"] for t in tw.texts(tw.read_dump(dump), "map")]
        self.assertIn("数据中断", texts)
        self.assertIn("1 人等候", texts)  # city 2's one ticket
        ranking = [t["text"] for t in tw.texts(tw.read_dump(dump), "ranking")]
        self.assertIn("数据中断", ranking)  # city 1's row, instead of its stale figures
        shot = os.path.join(cwtest.BUILD_DIR, "artifacts", "wall-province-silent.png")
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        shutil.copyfile(os.path.join(tmp, "wall.png"), shot)


if __name__ == "__main__":
    cwtest.main()
