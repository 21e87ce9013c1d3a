"""Province cascade (docs/cluster.md): two cities, each a NATS JetStream domain of its own with
one hub, joined to a province's NATS as leaf nodes; the province hub's stream sources both
cities' logs across the leaf links and applies them.

- the province topic's KPIs per city equal each city hub's own, and province-wide they are
  the sum (hand check: 3 + 2 tickets issued);
- city 1's leaf link is cut (a proxy stops forwarding both ways) for 30 s while city 1 takes
  events: city 1's own live client sees no gap, the province stays at what it had; when the
  link is back the province catches up with nothing lost and nothing counted twice.
"""

import copy
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fault"))
import alerttest  # noqa: E402
import cwtest  # noqa: E402
import faultlib  # noqa: E402
import natscluster  # noqa: E402

CUT_S = float(os.environ.get("CW_PROVINCE_CUT_S", "30"))


def halls_of(prefix):
    """alerttest's two halls, renamed for another county (ids, windows' cameras, cameras)."""
    out = copy.deepcopy(alerttest.HALLS)
    text = json.dumps(out, ensure_ascii=False).replace("LH-", prefix + "-")
    return json.loads(text)


def city_config(path, halls, creds, nats_url, stream, subject):
    parts = ["server: %s" % json.dumps({"tick_ms": 50}),
             "city: %s" % json.dumps(alerttest.CITY, ensure_ascii=False),
             "halls: %s" % json.dumps(halls, ensure_ascii=False),
             "alerts: %s" % json.dumps(alerttest.alerts_section(), ensure_ascii=False),
             creds,
             "cluster: %s" % json.dumps({"nats": [nats_url], "stream": stream,
                                         "subject": subject, "replicas": 1})]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")
    return path


C2_TOKEN = "c2-hall"
C2_TOKEN_LINE = "  - {name: c2-hall, role: hall, halls: all, sha256: %s}\n" % (
    hashlib.sha256(C2_TOKEN.encode()).hexdigest())
WALL_LINE = [ln for ln in alerttest.demo_credentials().splitlines() if "demo-wall" in ln][0]


class Nodes:
    """The province's NATS node (domain `province`, leaf nodes in) and one node per city
    (domain c1, c2), each a leaf of the province through a proxy that can cut the link."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="cwprov-")
        self.procs = []
        self.leaf = cwtest.free_port()
        self.port = {n: cwtest.free_port() for n in ("province", "c1", "c2")}
        self.mon = {n: cwtest.free_port() for n in ("province", "c1", "c2")}
        self.start("province", "leafnodes { listen: 127.0.0.1:%d }" % self.leaf)
        self.proxy = {}
        for c in ("c1", "c2"):
            self.proxy[c] = faultlib.Proxy(self.leaf)
            self.start(c, 'leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:%d" } ] }'
                       % self.proxy[c].port)

    def start(self, name, extra):
        conf = os.path.join(self.tmp, name + ".conf")
        with open(conf, "w") as f:
            f.write('server_name: %s\nlisten: 127.0.0.1:%d\nhttp: 127.0.0.1:%d\n'
                    'jetstream { store_dir: "%s", domain: %s }\n%s\n' %
                    (name, self.port[name], self.mon[name], os.path.join(self.tmp, "js-" + name),
                     name, extra))
        log = open(os.path.join(self.tmp, name + ".log"), "wb")
        self.procs.append(subprocess.Popen([natscluster.NATS_BIN, "-c", conf], stdout=log,
                                           stderr=subprocess.STDOUT))
        url = "http://127.0.0.1:%d/healthz" % self.mon[name]
        cwtest.wait_until(lambda: natscluster._http_ok(url), 30, what="nats %s" % name)

    def url(self, name):
        return "nats://127.0.0.1:%d" % self.port[name]

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(10)
        for p in self.proxy.values():
            p.close()
        if not os.environ.get("CW_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)


def start_province(obj, alerts=None, webhooks=()):
    """Start the NATS nodes, the two city hubs and the province hub as obj.nodes, obj.c1,
    obj.c2, obj.prov (the province hub's `alerts` section and webhooks as given)."""
    obj.nodes = n = Nodes()
    creds1 = alerttest.demo_credentials().rstrip("\n") + "\n"
    creds2 = "tokens:\n" + C2_TOKEN_LINE + WALL_LINE + "\n"
    h1, h2 = alerttest.HALLS, halls_of("HY")
    cfg1 = city_config(os.path.join(n.tmp, "c1.yaml"), h1, creds1, n.url("c1"), "CW_C1",
                       "cw.c1.log")
    cfg2 = city_config(os.path.join(n.tmp, "c2.yaml"), h2, creds2, n.url("c2"), "CW_C2",
                       "cw.c2.log")
    pcfg = os.path.join(n.tmp, "province.yaml")
    with open(pcfg, "w", encoding="utf-8") as f:
        f.write("\n".join([
            "server: %s" % json.dumps({"tick_ms": 50}),
            "city: %s" % json.dumps(dict(alerttest.CITY, name="台州市"), ensure_ascii=False),
            "halls: %s" % json.dumps(h1 + h2, ensure_ascii=False),
            "alerts: %s" % json.dumps(alerts or alerttest.alerts_section(), ensure_ascii=False),
            "webhooks: %s" % json.dumps(list(webhooks)),
            creds1.rstrip("\n") + "\n" + C2_TOKEN_LINE,
            "cluster: %s" % json.dumps({
                "nats": [n.url("province")], "stream": "PROVINCE",
                "subject": "cw.province.log", "replicas": 1,
                "sources": [{"stream": "CW_C1", "domain": "c1"},
                            {"stream": "CW_C2", "domain": "c2"}]}),
            "province: %s" % json.dumps({"name": "台州市", "cities": [
                {"id": "c1", "name": "临海市", "halls": ["LH-00", "LH-03"]},
                {"id": "c2", "name": "黄岩区", "halls": ["HY-00", "HY-03"]}]},
                ensure_ascii=False)]) + "\n")
    obj.c1 = cwtest.Hub(config=cfg1, extra_args=["--hub-id", "c1"])
    obj.c2 = cwtest.Hub(config=cfg2, extra_args=["--hub-id", "c2"])
    obj.prov = cwtest.Hub(config=pcfg, extra_args=["--hub-id", "province"])


def stop_province(obj):
    for h in (obj.c1, obj.c2, obj.prov):
        h.close()
    obj.nodes.close()


class Province(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_province(cls)

    @classmethod
    def tearDownClass(cls):
        stop_province(cls)

    def province(self):
        c = cwtest.LiveClient(self.prov, token=cwtest.TOKEN_WALL)
        c.subscribe(["province"])
        c.wait_for(lambda c: "province" in c.state, what="the province topic")
        return c

    def issue(self, hub, hall, n, token):
        f = cwtest.Feeder(hub, hall, token=token, feed="t%d" % int(time.monotonic() * 1000))
        f.send([f.issued() for _ in range(n)])

    def test_1_cities_sum_up_in_the_province(self):
        p = self.province()
        self.issue(self.c1, "LH-00", 2, cwtest.TOKEN_ALL_HALLS)
        self.issue(self.c1, "LH-03", 1, cwtest.TOKEN_ALL_HALLS)
        self.issue(self.c2, "HY-00", 2, C2_TOKEN)
        # hand count: city 1 issued 2 + 1 = 3, city 2 issued 2, the province 5
        p.wait_for(lambda c: c.state["province"]["kpi"]["issued"] == 5, 20,
                   what="5 tickets in the province")
        doc = p.state["province"]
        self.assertEqual(doc["name"], "台州市")
        self.assertEqual(doc["cities"]["c1"]["kpi"]["issued"], 3)
        self.assertEqual(doc["cities"]["c2"]["kpi"]["issued"], 2)
        # the drill-down's hall ids, as province.cities[].halls in the config
        self.assertEqual(doc["cities"]["c1"]["hall_ids"], ["LH-00", "LH-03"])
        self.assertEqual(doc["cities"]["c2"]["hall_ids"], ["HY-00", "HY-03"])
        self.assertEqual(faultlib.steady_kpi(doc["cities"]["c1"]["kpi"]),
                         faultlib.steady_kpi(self.c1.snapshot()["kpi"]))
        p.close()
        self.page_shows_the_cities()
        # a hall account does not see the province
        lh03 = cwtest.LiveClient(self.prov, cookie=self.prov.login("lh03"))
        lh03.subscribe(["province"])
        lh03.wait_for(lambda c: c.errors, what="forbidden")
        self.assertEqual(lh03.errors[0]["code"], "forbidden")
        lh03.close()

    def page_shows_the_cities(self):
        """The dashboard's 全省一张网 view in Chromium: a row per city with its figures; a
        city's row drills down to its halls, a hall's row to the hall view, and back."""
        node = shutil.which("node") or shutil.which("nodejs")
        if not node or not os.path.exists(os.path.join(cwtest.SOURCE_DIR, "node_modules",
                                                       "playwright-core")):
            self.skipTest("node and playwright-core (scripts/setup) are needed for the page")
        shot = os.path.join(cwtest.BUILD_DIR, "artifacts", "province.png")
        city_shot = os.path.join(cwtest.BUILD_DIR, "artifacts", "province-city.png")
        hall_shot = os.path.join(cwtest.BUILD_DIR, "artifacts", "province-hall.png")
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        out = subprocess.run([node, os.path.join(cwtest.SOURCE_DIR, "tests", "web",
                                                  "province_page.mjs"),
                              "http://127.0.0.1:%d" % self.prov.port, shot, city_shot, hall_shot],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr[-2000:])
        page = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertEqual(page["errors"], [])
        self.assertIn("全省一张网", page["nav"])
        # the header names the province (config province.name 台州市), not the demo city
        self.assertEqual(page["title"], "台州市政务服务一张网")
        self.assertEqual(page["doc_title"], "台州市政务服务一张网")
        rows = {r[0]: r for r in page["rows"]}
        # columns: city, halls, issued, waiting, ...; hand count as above
        self.assertEqual(rows["临海市"][1:3], ["2", "3"])
        self.assertEqual(rows["黄岩区"][1:3], ["2", "2"])
        cwtest.log("province page: %r; screenshot %s" % (page["rows"], shot))
        # the drill-down into 临海市 (the first row): its halls, hand count LH-00 2 tickets
        # issued (both waiting), LH-03 1 (waiting); the city's strip 2 + 1 = 3
        city = page["city"]
        self.assertEqual(city["hash"], "#/province/c1")
        self.assertEqual(city["title"], "临海市")
        self.assertEqual(city["ids"], ["LH-00", "LH-03"])
        halls = {r[0]: r for r in city["rows"]}
        # columns: hall, issued, waiting, ...
        self.assertEqual(halls["市行政服务中心"][1:3], ["2", "2"])
        self.assertEqual(halls["江南街道"][1:3], ["1", "1"])
        self.assertTrue(city["strip"][0].startswith("3"), city["strip"])
        self.assertEqual(page["hall_hash"], "#/hall/LH-00?from=c1")
        self.assertEqual(page["hall_name"], "市行政服务中心")
        self.assertEqual(page["hall_back"], {"text": "‹ 返回临海市", "href": "#/province/c1"})
        self.assertEqual(page["hall_back_hash"], "#/province/c1")
        self.assertEqual(page["back_hash"], "#/province")
        self.assertEqual(len(page["back_rows"]), 2)
        # 黄岩区 clicked on the map: its halls, hand count HY-00 2 issued, HY-03 none
        mc = page["map_city"]
        self.assertEqual(mc["hash"], "#/province/c2")
        self.assertEqual(mc["title"], "黄岩区")
        self.assertEqual(mc["ids"], ["HY-00", "HY-03"])
        self.assertEqual([r[1] for r in mc["rows"]], ["2", "0"])
        cwtest.log("drill-down: %r; screenshot %s" % (city["rows"], city_shot))

    def test_2_a_cut_leaf_link_then_the_province_catches_up(self):
        p = self.province()
        p.wait_for(lambda c: c.state["province"]["kpi"]["issued"] >= 5, 20, what="baseline")
        base = p.state["province"]["cities"]["c1"]["kpi"]["issued"]
        city = cwtest.LiveClient(self.c1, token=cwtest.TOKEN_WALL)  # city 1's own wall
        city.subscribe(["city"])
        city.wait_for(lambda c: "city" in c.state, what="city 1 snapshot")
        self.nodes.proxy["c1"].forward(False, False)
        t_cut = time.monotonic()
        sent = 0
        gaps = []
        while time.monotonic() - t_cut < CUT_S:
            t = time.monotonic()
            self.issue(self.c1, "LH-03", 1, cwtest.TOKEN_ALL_HALLS)
            sent += 1
            city.wait_for(lambda c: c.state["city"]["kpi"]["issued"] == base + sent, 5,
                          what="city 1's own client sees ticket %d" % sent)
            gaps.append(time.monotonic() - t)
            time.sleep(0.5)  # a ticket every half second, not a wait for a condition
        province_during = p.state["province"]["cities"]["c1"]["kpi"]["issued"]
        self.nodes.proxy["c1"].forward(True, True)
        t_back = time.monotonic()
        p.wait_for(lambda c: c.state["province"]["cities"]["c1"]["kpi"]["issued"] ==
                   base + sent, 120, what="the province caught up with city 1")
        caught = time.monotonic() - t_back
        cwtest.log("cut %.0f s: city 1 took %d tickets (its client saw each within %.3f s); "
                   "the province showed %d of them during the cut and caught up %.1f s after "
                   "the link returned" % (CUT_S, sent, max(gaps), province_during - base,
                                          caught))
        self.assertLess(max(gaps), 2.0)
        doc = p.state["province"]
        c1, c2 = self.c1.snapshot()["kpi"], self.c2.snapshot()["kpi"]
        for k in ("issued", "waiting", "finished", "no_show", "reviews"):
            self.assertEqual(doc["cities"]["c1"]["kpi"][k], c1[k], k)
            self.assertEqual(doc["cities"]["c2"]["kpi"][k], c2[k], k)
            self.assertEqual(doc["kpi"][k], c1[k] + c2[k], k)
        p.close()
        city.close()


if __name__ == "__main__":
    cwtest.main()
