"""How old each hall's data is (数据中断, docs/wall.md "What it shows"): a hall that should be
sending (open) whose last event is older than 5 business minutes shows 数据中断 with that age in
the ranking (in place of its numbers, which are as old) and on the map (in its label), on the
1080p wall under Xvfb.

Hub: the demo city at 20x from 10:00 on Monday 2026-11-23 (a business minute every 3 real
seconds; every hall open). LH-03 (江南街道) sends one heartbeat at 10:00 and then nothing: R15 fires for it
after 5 minutes (its status turns offline), and its age then is more than 5 minutes. LH-05
(邵家渡街道) sends a heartbeat again just before the wall starts: its data is fresh, no label.
Halls that never sent anything have no age to show (no label either)."""

import os
import re
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import walltest as wt  # noqa: E402
from walltest import cwtest, tw  # noqa: E402

CLOCK = "2026-11-23T10:00:00+08:00@20"
NOW = cwtest.at("16:59:59", "2026-11-23")  # clamped by the hub to its business now


class TestWallDataAge(unittest.TestCase):
    def test_silent_hall_shows_its_age(self):
        tmp = wt.make_tmp()
        hub = cwtest.Hub(clock=CLOCK)
        try:
            hub.ingest([cwtest.ev("LH-03", 1, "hall.heartbeat", NOW),
                        cwtest.ev("LH-05", 1, "hall.heartbeat", NOW)])
            cwtest.wait_until(lambda: hub.snapshot()["halls"]["LH-03"]["status"] == "offline",
                              60, interval=0.25, what="R15 for LH-03 (5 business minutes)")
            hub.ingest([cwtest.ev("LH-05", 2, "hall.heartbeat", NOW)])
            png = os.path.join(tmp, "age.png")
            rc, out = tw.run_wall(hub, "--layout", os.path.join(tw.LAYOUTS, "1080p.yaml"),
                                  "--screenshot", png, "--frames", "30", "--text-dump",
                                  png + ".dump")
            self.assertEqual(rc, 0, out[-2000:])
            dump = tw.read_dump(png + ".dump")
            rank = tw.texts(dump, "ranking")
            name = [t for t in rank if t["text"] == "江南街道"]
            self.assertEqual(len(name), 1, [t["text"] for t in rank])
            # the label on the same row (same middle), right of the name, where its numbers were
            row = [t for t in rank if abs((t["y"] + t["h"] / 2) - (name[0]["y"] + name[0]["h"] / 2))
                   < 3 and t["x"] > name[0]["x"] and t["text"].startswith("数据中断")]
            self.assertEqual(len(row), 1, rank)
            m = re.fullmatch(r"数据中断 (\d+)分钟", row[0]["text"])
            self.assertTrue(m, row[0]["text"])
            # R15 fired after > 5 business minutes; the wall's frame came within ~15 real s
            # (= 5 business minutes at 20x) of that
            self.assertTrue(5 <= int(m.group(1)) <= 10, row[0]["text"])
            self.assertFalse([t for t in rank if t["text"].startswith("数据中断") and t is not row[0]])
            labels = [t["text"] for t in tw.texts(dump, "map")]
            # the map's 数据中断 box (top right) lists it with the same age; its marker's label
            # says it too when there is room (the centre of the 1080p map is crowded)
            age = row[0]["text"].split(" ")[1]
            self.assertIn("数据中断", labels)
            self.assertIn("江南街道 " + age, labels)
            self.assertFalse([x for x in labels if x.startswith("邵家渡街道 ")], labels)
            self.assertFalse([x for x in labels if x.startswith("邵家渡街道 ·")], labels)
        finally:
            hub.close()
            if os.environ.get("CW_KEEP_TMP") != "1":
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    cwtest.main()
