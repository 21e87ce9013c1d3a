"""The wall's province view (docs/wall.md, docs/cluster.md) under Xvfb: a province hub over two
cities (tests/integration/test_province.py's NATS leaf nodes), the wall with the province
layout (config/walls/province.yaml: panels with `source: province`).

Hand count: city c1 (临海市) takes 2 tickets at LH-00 and 1 at LH-03, city c2 (黄岩区) 2 at
HY-00; nobody is called, so c1 has 3 waiting and c2 2, the province 5 issued and 5 waiting.
With the test layout's classes [1, 3, 50] c1 (3 waiting) is class "some" (amber) and c2
(2 waiting) "low" (green). The screenshot goes to $CW_BUILD_DIR/artifacts/wall-province.png,
and with CW_UPDATE_SHOTS=1 also to docs/screens/wall-province.png.
"""

import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fault"))
import cwtest  # noqa: E402
import test_province as tp  # noqa: E402
import test_wall as tw  # noqa: E402

SHOT = os.path.join(cwtest.BUILD_DIR, "artifacts", "wall-province.png")
DOC_SHOT = os.path.join(cwtest.SOURCE_DIR, "docs", "screens", "wall-province.png")


def amber(p):  # scene_waiting_color(2) (255,184,0) at 78 % over the map's blue
    return p[0] > 150 and p[1] > 110 and p[2] < 90


def green(p):  # scene_waiting_color(1) (46,200,140) at 78 % over the map's blue
    return p[0] < 90 and p[1] > 140 and 90 < p[2] < 190


def count(img, box, pred):
    x0, y0, x1, y1 = [int(v) for v in box]
    return sum(1 for y in range(y0, y1, 2) for x in range(x0, x1, 2) if pred(tw.pixel(img, x, y)))


class WallProvince(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cwwallprov-")
        tp.start_province(cls)
        p = cwtest.LiveClient(cls.prov, token=cwtest.TOKEN_WALL)
        p.subscribe(["province"])
        for hub, hall, n, tok in ((cls.c1, "LH-00", 2, cwtest.TOKEN_ALL_HALLS),
                                  (cls.c1, "LH-03", 1, cwtest.TOKEN_ALL_HALLS),
                                  (cls.c2, "HY-00", 2, tp.C2_TOKEN)):
            f = cwtest.Feeder(hub, hall, token=tok, feed="w%s" % hall)
            f.send([f.issued() for _ in range(n)])
        p.wait_for(lambda c: "province" in c.state and c.state["province"]["kpi"]["issued"] == 5,
                   30, what="5 tickets in the province")
        p.close()
        layout = os.path.join(cls.tmp, "province.yaml")
        with open(os.path.join(tw.LAYOUTS, "province.yaml"), encoding="utf-8") as f:
            text = f.read()
        assert "source: province, title: 各县市区等候人数" in text
        with open(layout, "w", encoding="utf-8") as f:
            f.write(text.replace("source: province, title: 各县市区等候人数",
                                 "source: province, classes: [1, 3, 50], title: 各县市区等候人数"))
        cls.png = os.path.join(cls.tmp, "wall.png")
        dump = os.path.join(cls.tmp, "wall.jsonl")
        cls.rc, cls.log = tw.run_wall(cls.prov, "--layout", layout, "--screenshot", cls.png,
                                      "--frames", "60", "--text-dump", dump)
        cls.dump = tw.read_dump(dump) if os.path.exists(dump) else []

    @classmethod
    def tearDownClass(cls):
        tp.stop_province(cls)
        if os.environ.get("CW_KEEP_TMP") != "1":
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_1_map_colours_each_city_by_its_people_waiting(self):
        self.assertEqual(self.rc, 0, self.log[-3000:])
        cities = {d["city"]: d for d in self.dump if d.get("panel") == "map" and "city" in d}
        self.assertEqual(sorted(cities), ["c1", "c2"], cities)
        self.assertEqual((cities["c1"]["feature"], cities["c1"]["waiting"],
                          cities["c1"]["class"]), ("临海市", 3, "some"))
        self.assertEqual((cities["c2"]["feature"], cities["c2"]["waiting"],
                          cities["c2"]["class"]), ("黄岩区", 2, "low"))
        texts = [t["text"] for t in tw.texts(self.dump, "map")]
        for t in ("临海市", "3 人等候", "黄岩区", "2 人等候", "椒江区"):
            self.assertIn(t, texts)
        # the pixels: each county is filled in its class colour
        img = tw.read_png(self.png)
        self.assertGreater(count(img, cities["c1"]["box"], amber), 300)
        self.assertGreater(count(img, cities["c2"]["box"], green), 100)
        os.makedirs(os.path.dirname(SHOT), exist_ok=True)
        shutil.copyfile(self.png, SHOT)
        if os.environ.get("CW_UPDATE_SHOTS") == "1":
            shutil.copyfile(self.png, DOC_SHOT)
        cwtest.log("screenshot: %s" % SHOT)

    def test_2_kpi_strip_and_ranking(self):
        k = tw.kpi_values(self.dump)
        self.assertEqual((k.get("今日取号"), k.get("当前等候")), ("5", "5"), k)
        self.assertNotIn("开放窗口", k)  # the province strip has no windows cell
        ranked = sorted((d["rank"], d["city"]) for d in self.dump
                        if d.get("panel") == "ranking" and "city" in d)
        self.assertEqual(sorted(c for _, c in ranked), ["c1", "c2"], ranked)
        names = [t["text"] for t in tw.texts(self.dump, "ranking")]
        self.assertIn("临海市", names)
        self.assertIn("黄岩区", names)
        self.assertNotIn("断开", [t["text"] for t in tw.texts(self.dump)])


if __name__ == "__main__":
    cwtest.main()
