"""What the wall says about itself and its numbers (issue 12 items 2, 3 and 6), read from its
--text-dump under Xvfb (helpers in test_wall.py):

- every gateway down: the header's hall counts, the map legend and the alert badges agree with
  each other, with the list (rows shown + "还有 N 条") and with the hub (item 3);
- a wrong token: 认证失败 / authentication failed on screen and on stderr, and the hub logs the
  refusal with the peer and the token's first 4 characters only (item 2);
- no display: exit 2 with the reason (item 2);
- the data-state words: while live "实时 · 变化于 …" (never "更新于"), while stale the 断开 badge
  and one "数据截至 N秒前" shared by the header and every panel; `language: en` gives the
  English forms (item 6).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_wall  # noqa: E402
from test_wall import LAYOUTS, WALL_BIN, cwtest, read_dump, texts, wall_env  # noqa: E402

FRAMED = {"kpi", "map", "ranking", "trend", "alerts", "cameras"}


def run(cmd, timeout=120, env=None):
    p = subprocess.run(cmd, env=env or wall_env(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")


def xvfb(*args):
    return ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", WALL_BIN] + list(args)


def alert_counts(hub):
    """{(rule, muted): count} of the hub's firing alerts (muted: silenced or inhibited)."""
    r = hub.request("GET", "/api/v1/alerts?state=all", token=cwtest.TOKEN_WALL)
    rows = [a for a in cwtest.as_list(json.loads(r.body), "alerts") if a.get("state") == "firing"]
    out = {}
    for a in rows:
        k = (a["rule"], bool(a.get("silenced") or a.get("inhibited")))
        out[k] = out.get(k, 0) + 1
    return out


class TestEveryGatewayDown(unittest.TestCase):
    """No gateway has sent anything since the day began (clock 09:30 at 60x, halls open from
    08:30): R15 数据中断 fires for all 20 halls (P2) and inhibits each hall's R8 在岗不足 (P2):
    40 alerts listed, 20 active P2 and 20 inhibited. Hand-computed, every surface must say:
    header 服务中心 0/20 运行 · 离线 20; legend 正常 0 预警 0 告警 0 离线 20 休息 0; badges P2 20
    and 静默/抑制 20 (= 40); list rows + 还有 N 条 = 40."""

    def test_numbers_agree(self):
        tmp = tempfile.mkdtemp(prefix="cwwall-")
        hub = cwtest.Hub(clock="2026-11-23T09:30:00+08:00@60")
        try:
            want = {("R15", False): 20, ("R8", True): 20}
            cwtest.wait_until(lambda: alert_counts(hub) == want, 60, interval=0.5,
                              what="R15 for every hall and R8 inhibited (%r)" % want)
            snap = hub.snapshot()
            self.assertEqual({h["status"] for h in snap["halls"].values()}, {"offline"})
            dump_path = os.path.join(tmp, "wall.jsonl")
            rc, log = run(xvfb("--hub", hub.ws_url, "--token", cwtest.TOKEN_WALL, "--layout",
                               os.path.join(LAYOUTS, "1080p.yaml"), "--screenshot",
                               os.path.join(tmp, "wall.png"), "--frames", "60",
                               "--text-dump", dump_path))
            self.assertEqual(rc, 0, log[-3000:])
            self.assertEqual(alert_counts(hub), want, "the hub changed during the screenshot")
            d = read_dump(dump_path)
            header = [t["text"] for t in texts(d, "header")]
            self.assertIn("服务中心 0/20 运行 · 离线 20 · 摄像头 0/74 在线", header)
            mapt = [t["text"] for t in texts(d, "map")]
            for lab in ("正常 0", "预警 0", "告警 0", "离线 20", "休息 0"):
                self.assertIn(lab, mapt)
            al = [t["text"] for t in texts(d, "alerts")]
            self.assertIn("P2 20", al)
            self.assertIn("静默/抑制 20", al)
            self.assertFalse([t for t in al if re.fullmatch(r"P[134?] \d+", t)], al)
            rows = al.count("P2")  # one severity pill per row shown
            more = [int(m.group(1)) for t in al for m in [re.fullmatch(r"还有 (\d+) 条告警", t)] if m]
            self.assertEqual(len(more), 1, al)
            self.assertEqual(rows + more[0], 40, (rows, more))
            self.assertGreater(rows, 0)
        finally:
            hub.close()
            if os.environ.get("CW_KEEP_TMP") != "1":
                shutil.rmtree(tmp, ignore_errors=True)


class TestWrongTokenAndNoDisplay(unittest.TestCase):
    def test_wrong_token(self):
        tmp = tempfile.mkdtemp(prefix="cwwall-")
        hub = cwtest.Hub()
        token = "not-the-wall-token-3141592653"
        try:
            dump_path = os.path.join(tmp, "wall.jsonl")
            rc, log = run(xvfb("--hub", hub.ws_url, "--token", token, "--screenshot",
                               os.path.join(tmp, "wall.png"), "--frames", "60",
                               "--text-dump", dump_path))
            self.assertEqual(rc, 0, log[-3000:])
            self.assertIn("认证失败 / authentication failed", log)
            self.assertIn("refused the token", log)
            header = [t["text"] for t in texts(read_dump(dump_path), "header")]
            self.assertIn("认证失败", header)
            self.assertTrue(any("authentication failed" in t for t in header), header)
            self.assertFalse(any("与中枢断开" in t for t in header), header)
            hub_log = hub.stderr_tail(20000)
            self.assertRegex(hub_log, r'/live auth refused from [^ ]*127\.0\.0\.1: unknown token '
                                      r'"not-\.\.\."')
            self.assertNotIn(token, hub_log)
            self.assertNotIn(token[:5], hub_log)
        finally:
            hub.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_no_display(self):
        env = wall_env()
        for k in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
            env.pop(k, None)
        rc, log = run([WALL_BIN, "--hub", "ws://127.0.0.1:9", "--token", "demo-wall"],
                      timeout=30, env=env)
        self.assertEqual(rc, 2, log)
        self.assertIn("citywall-wall: no display: set DISPLAY or SDL_VIDEODRIVER=offscreen", log)
        self.assertNotIn("XDG_RUNTIME_DIR", log)


def as_of_seconds(d):
    """{panel: [N, ...]} of every "数据截至 N秒前" text."""
    out = {}
    for t in texts(d):
        m = re.search(r"数据截至 (\d+)秒前", t["text"])
        if m:
            out.setdefault(t["panel"], []).append(int(m.group(1)))
    return out


class TestDataState(unittest.TestCase):
    def test_live_then_stale_words_agree(self):
        tmp = tempfile.mkdtemp(prefix="cwwall-")
        hub = cwtest.Hub(clock=test_wall.CLOCK)
        wall = None
        try:
            test_wall.script(hub)
            dump_path = os.path.join(tmp, "live.jsonl")
            wall = subprocess.Popen(
                xvfb("--hub", hub.ws_url, "--token", cwtest.TOKEN_WALL, "--layout",
                     os.path.join(LAYOUTS, "1080p.yaml"), "--text-dump", dump_path, "--windowed"),
                env=wall_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(tmp, "wall.log"), "wb"), start_new_session=True)

            def dump():
                try:
                    return read_dump(dump_path)
                except (OSError, ValueError):
                    return None

            def live():
                d = dump()
                return d if d and test_wall.kpi_values(d) == test_wall.EXPECTED_KPI else None
            d = cwtest.wait_until(live, 30, what="the wall live")
            words = [t["text"] for t in texts(d)]
            self.assertFalse([w for w in words if "更新于" in w or w == "STALE"], words)
            self.assertIn("实时", [t["text"] for t in texts(d, "header")])
            for panel in ("alerts", "map", "ranking", "trend"):
                self.assertTrue(any(t["text"].startswith("实时 · 变化于 ")
                                    for t in texts(d, panel)), panel)

            hub.kill9()

            def stale():
                d = dump()
                if not d:
                    return None
                n = as_of_seconds(d)
                badges = {t["panel"] for t in texts(d) if t["text"] == "断开"}
                return d if {"header"} | FRAMED - {"cameras"} <= set(n) and \
                    {"header"} | FRAMED - {"cameras"} <= badges else None
            cwtest.wait_until(stale, 20, what="断开 and 数据截至 on the header and every panel")

            def agree():
                d = stale()
                if not d:
                    return None
                allv = [v for vs in as_of_seconds(d).values() for v in vs]
                return d if max(allv) - min(allv) <= 1 else None
            # one source (the last message on the live connection): the same age everywhere,
            # give or take the second a panel's redraw may lag -- within a few redraws of the
            # change (a panel whose age stopped counting never agrees)
            d = cwtest.wait_until(agree, 5, what="the same 数据截至 age on every panel")
            self.assertTrue(any(t["text"].startswith("与中枢断开 · 数据截至 ")
                                for t in texts(d, "header")))
            self.assertNotIn("STALE", [t["text"] for t in texts(d)])
        finally:
            if wall is not None and wall.poll() is None:
                os.killpg(wall.pid, signal.SIGKILL)
                wall.wait()
            hub.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_english(self):
        tmp = tempfile.mkdtemp(prefix="cwwall-")
        hub = cwtest.Hub(clock=test_wall.CLOCK)
        try:
            test_wall.script(hub)
            with open(os.path.join(LAYOUTS, "1080p.yaml"), encoding="utf-8") as f:
                text = f.read()
            lay = os.path.join(tmp, "en.yaml")
            with open(lay, "w", encoding="utf-8") as f:
                f.write("language: en\n" + text)
            live_dump = os.path.join(tmp, "live.jsonl")
            rc, log = run(xvfb("--hub", hub.ws_url, "--token", cwtest.TOKEN_WALL, "--layout", lay,
                               "--screenshot", os.path.join(tmp, "live.png"), "--frames", "60",
                               "--text-dump", live_dump))
            self.assertEqual(rc, 0, log[-3000:])
            d = read_dump(live_dump)
            self.assertIn("LIVE", [t["text"] for t in texts(d, "header")])
            self.assertTrue(any(t["text"].startswith("live · changed ") and t["text"].endswith(
                " s ago") for t in texts(d, "alerts")), texts(d, "alerts"))
            # the panels' own words in English too (issue 12 item 6): titles, KPI labels, the
            # duration rule's English form -- 800 s of average wait is "13 min 20 s"
            words = [t["text"] for t in texts(d)]
            for title in ("Hall ranking", "Halls on the map", "Today", "Hall cameras",
                          "Live alerts"):
                self.assertIn(title, words)
            kpi = [t["text"] for t in texts(d, "kpi")]
            for label in ("tickets today", "waiting now", "average wait", "good reviews"):
                self.assertIn(label, kpi)
            self.assertIn("13 min 20 s", kpi)
            for zh in ("服务中心排行", "今日取号", "平均等候", "实时告警", "大厅监控"):
                self.assertNotIn(zh, words)
            # nothing listens on a free port: never connected
            stale_dump = os.path.join(tmp, "stale.jsonl")
            rc, log = run(xvfb("--hub", "ws://127.0.0.1:%d" % cwtest.free_port(), "--token",
                               cwtest.TOKEN_WALL, "--layout", lay, "--screenshot",
                               os.path.join(tmp, "stale.png"), "--frames", "30",
                               "--text-dump", stale_dump))
            self.assertEqual(rc, 0, log[-3000:])
            d = read_dump(stale_dump)
            header = [t["text"] for t in texts(d, "header")]
            self.assertIn("STALE", header)
            self.assertIn("not connected to the hub yet · retrying", header)
            self.assertIn("no data yet", [t["text"] for t in texts(d, "alerts")])
            self.assertFalse([t for t in texts(d) if t["text"] in ("断开", "认证失败")])
        finally:
            hub.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    cwtest.main()
