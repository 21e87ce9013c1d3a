"""citywall-wall against a real hub under Xvfb (SPEC §1, §4, §5): what the KPI strip, the map,
the alert list and the fleet report show for a scripted day, STALE when the hub dies and the
recovery when it comes back, and the 3x3 layout's bezel-compensated output and viewports.

The wall runs as `xvfb-run -a -s "-screen 0 1920x1080x24" citywall-wall ...` with
LP_NUM_THREADS=2 (Mesa llvmpipe). What it shows is read from --text-dump (JSON lines
{panel, text, x, y, w, h, size}, canvas pixels; map markers as {panel, marker, status, x, y, r})
and from the --screenshot PNG (decoded here with zlib; no imaging library needed).

The hub's clock is 2026-11-23 (a Monday) 19:00 at real speed: every hall is closed (no queue,
window or silence alerts), so the picture is exactly the scripted events of the morning.
"""

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import cwtest  # noqa: E402
from cwtest import ev  # noqa: E402

WALL_BIN = os.path.join(cwtest.BUILD_DIR, "citywall-wall")
LAYOUTS = os.path.join(cwtest.SOURCE_DIR, "config", "walls")
CLOCK = "2026-11-23T19:00:00+08:00@1"

# theme colours (display/scene.h)
COL_BG = (3, 10, 26)
COL_ALERT = (255, 77, 79)
COL_WARN = (255, 184, 0)
COL_CLOSED = (74, 110, 168)
COL_ACCENT = (63, 208, 255)


# ------------------------------------------------------------------------------------------
# PNG (8-bit RGB / RGBA, non-interlaced: what screenshot.c writes)

def read_png(path):
    """(width, height, rows) with rows[y] a bytes object of 3 bytes per pixel."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: %s" % path
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        elif typ == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ft, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 0xff
            elif ft == 2:
                line[x] = (line[x] + b) & 0xff
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xff
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 0xff
        prev = line
        if bpp == 4:
            line = bytearray(v for k, v in enumerate(line) if k % 4 != 3)
        rows.append(bytes(line))
    return w, h, rows


def pixel(img, x, y):
    w, h, rows = img
    x, y = int(round(x)), int(round(y))
    return tuple(rows[y][3 * x:3 * x + 3])


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])


# ------------------------------------------------------------------------------------------
# Running the wall

def wall_cmd(hub, *args):
    return ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", WALL_BIN,
            "--hub", hub.ws_url, "--token", cwtest.TOKEN_WALL] + list(args)


def wall_env():
    env = dict(os.environ)
    env["LP_NUM_THREADS"] = "2"
    env.pop("DISPLAY", None)
    # ASan and UBSan stay on for the wall, but not LeakSanitizer: Mesa's software driver is
    # dlclose()d at exit, so what it keeps is reported from an "<unknown module>" that no
    # suppression can name. Leaks in the wall's own modules are checked by the cmocka suites
    # (tests/wall/test_layout.c, test_tour.c, test_video.c), which run with leak detection.
    opts = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=0"
    return env


def run_wall(hub, *args, timeout=120):
    """Run the wall to completion; returns (exit code, stderr)."""
    p = subprocess.run(wall_cmd(hub, *args), env=wall_env(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")


def read_dump(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def texts(dump, panel=None):
    return [d for d in dump if "text" in d and (panel is None or d["panel"] == panel)]


def kpi_values(dump):
    """{label: value text} of the KPI strip: the value is the biggest text in the label's cell
    (the same horizontal span), above the label."""
    items = texts(dump, "kpi")
    out = {}
    for lab in items:
        if lab["text"] not in ("今日取号", "当前等候", "平均等候", "超时等候", "开放窗口",
                               "今日办结", "好评率", "今日差评", "服务水平"):
            continue
        cx = lab["x"] + lab["w"] / 2
        cands = [v for v in items if v is not lab and v["y"] < lab["y"]
                 and abs(v["x"] + v["w"] / 2 - cx) < 110 and v["size"] > lab["size"]]
        if cands:
            big = max(cands, key=lambda v: v["size"])
            out[lab["text"]] = big["text"]
    return out


# ------------------------------------------------------------------------------------------
# The scripted day (LH-03 only; every other hall has no event)

def script(hub):
    """A morning at LH-03 (same events as tests/integration/test_kpi_live.py):
      08:00 w0 opened, 08:05 w1 opened; T1..T4 issued 08:10, 08:12, 08:15, 08:20
      T1 called 08:20 (W 600 s), started 08:21, finished 08:31
      T2 called 08:25 (W 780 s), finished 08:40
      T3 called 08:32 (W 1020 s), no-show 08:34
      reviews 5 (08:32:30), 4 (08:41), 2 (08:42, real name: a 差评; R10 fires P3, an ordinary
      case: docs/alerts.md, it colours its hall `warn` for its first 30 min of firing)
    At 19:00 the city (= LH-03) shows:
      今日取号 4, 当前等候 1 (T4), 平均等候 (600 + 780 + 1020) / 3 = 800 s = 13分20秒
      (the one duration rule, docs/decisions.md),
      超时等候 1 (T4 has waited 10 h 40 min, over any SLA), 开放窗口 2, 今日办结 2,
      好评率 2/3 = 66.7 %, 今日差评 1."""
    info = hub.hall("LH-03")
    b, wins = cwtest.pick_biz_with_windows(info, 2)
    b, w0, w1 = b["id"], wins[0], wins[1]
    T = ["%s9%02d" % (b, i) for i in range(1, 5)]
    E = [
        ev("LH-03", 1, "window.opened", "08:00", window=w0, staff="S0301"),
        ev("LH-03", 2, "window.opened", "08:05", window=w1, staff="S0302"),
        ev("LH-03", 3, "ticket.issued", "08:10", ticket=T[0], biz=b, channel="kiosk",
           priority="normal"),
        ev("LH-03", 4, "ticket.issued", "08:12", ticket=T[1], biz=b, channel="wechat",
           priority="normal"),
        ev("LH-03", 5, "ticket.issued", "08:15", ticket=T[2], biz=b, channel="kiosk",
           priority="green"),
        ev("LH-03", 6, "ticket.issued", "08:20", ticket=T[3], biz=b, channel="appointment",
           priority="appointment"),
        ev("LH-03", 7, "ticket.called", "08:20", ticket=T[0], window=w0, staff="S0301"),
        ev("LH-03", 8, "ticket.started", "08:21", ticket=T[0], window=w0, staff="S0301"),
        ev("LH-03", 9, "ticket.called", "08:25", ticket=T[1], window=w1, staff="S0302"),
        ev("LH-03", 10, "ticket.finished", "08:31", ticket=T[0], window=w0, result="done"),
        ev("LH-03", 11, "ticket.called", "08:32", ticket=T[2], window=w0, staff="S0301"),
        ev("LH-03", 12, "review.submitted", "08:32:30", review="R0301", level=5,
           channel="evaluator", window=w0, staff="S0301", ticket=T[0], real_name=False),
        ev("LH-03", 13, "ticket.no_show", "08:34", ticket=T[2], window=w0, action="skip"),
        ev("LH-03", 14, "ticket.finished", "08:40", ticket=T[1], window=w1, result="supplement"),
        ev("LH-03", 15, "review.submitted", "08:41", review="R0302", level=4,
           channel="qrcode", window=w1, staff="S0302", ticket=T[1], real_name=False),
        ev("LH-03", 16, "review.submitted", "08:42", review="R0303", level=2,
           channel="evaluator", window=w1, staff="S0302", real_name=True, comment="等了很久"),
    ]
    hub.ingest(E)


EXPECTED_KPI = {"今日取号": "4", "当前等候": "1", "平均等候": "13分20秒", "超时等候": "1",
                "开放窗口": "2", "今日办结": "2", "好评率": "66.7", "今日差评": "1"}


class TestWall1080p(unittest.TestCase):
    """One screenshot of the 1080p layout with its text dump."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cwwall-")
        cls.hub = cwtest.Hub(clock=CLOCK)
        script(cls.hub)
        # the hub agrees with the hand-computed values
        snap = cls.hub.snapshot()
        k = snap["kpi"]
        assert (k["issued"], k["waiting"], k["avg_wait_s"], k["finished"]) == (4, 1, 800, 2), k
        cls.png = os.path.join(cls.tmp, "wall.png")
        cls.dump_path = os.path.join(cls.tmp, "wall.jsonl")
        t0 = time.monotonic()
        cls.rc, cls.log = run_wall(cls.hub, "--layout", os.path.join(LAYOUTS, "1080p.yaml"),
                                   "--screenshot", cls.png, "--frames", "90",
                                   "--text-dump", cls.dump_path, "--stats")
        cls.wall_s = time.monotonic() - t0
        cls.dump = read_dump(cls.dump_path) if os.path.exists(cls.dump_path) else []

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()
        if os.environ.get("CW_KEEP_TMP") != "1":
            shutil.rmtree(cls.tmp, ignore_errors=True)
        else:
            cwtest.log("kept", cls.tmp)

    def test_exit_and_files(self):
        self.assertEqual(self.rc, 0, self.log[-3000:])
        self.assertEqual(png_size(self.png), (1920, 1080))
        self.assertIn("frame time p50", self.log)
        self.assertLess(self.wall_s, 60)

    def test_kpi_strip(self):
        self.assertEqual(kpi_values(self.dump), EXPECTED_KPI,
                         json.dumps(texts(self.dump, "kpi"), ensure_ascii=False)[:3000])
        units = [t["text"] for t in texts(self.dump, "kpi")]
        self.assertIn("%", units)   # 66.7 %
        self.assertNotIn("分", units)  # a duration carries its units in its text: 13分20秒

    def test_not_stale(self):
        self.assertNotIn("断开", [t["text"] for t in texts(self.dump)])
        self.assertIn("实时", [t["text"] for t in texts(self.dump, "header")])

    def test_clock_follows_the_hub(self):
        """The header shows the hub's business time (19:00:xx), not this machine's."""
        times = [t["text"] for t in texts(self.dump, "header")
                 if len(t["text"]) == 8 and t["text"][2] == ":" and t["text"][5] == ":"]
        self.assertEqual(len(times), 1, times)
        self.assertTrue(times[0].startswith("19:0"), times)
        self.assertIn("2026年11月23日 星期一", [t["text"] for t in texts(self.dump, "header")])

    def test_alert_listed(self):
        """The bad review fires R10 (P3, an ordinary case) at LH-03: listed with its hall and
        title."""
        al = [t["text"] for t in texts(self.dump, "alerts")]
        self.assertIn("P3", al)
        self.assertIn("江南街道", al)
        self.assertIn("差评", al)

    def test_ranking_lists_every_hall(self):
        names = [t["text"] for t in texts(self.dump, "ranking")]
        for n in ("市行政服务中心", "江南街道", "桃渚镇", "上盘镇"):
            self.assertIn(n, names)
        ranks = [t["text"] for t in texts(self.dump, "ranking") if t["text"].isdigit()]
        self.assertEqual(sorted(int(r) for r in ranks), list(range(1, 21)))

    def test_map_markers_and_pixels(self):
        img = read_png(self.png)
        marks = {d["marker"]: d for d in self.dump if d.get("panel") == "map" and "marker" in d}
        self.assertEqual(len(marks), 20, sorted(marks))
        # LH-03 warns (R10 P3, fired at 19:00 when the hub first saw the day); every other hall
        # is closed at 19:00
        self.assertEqual(marks["LH-03"]["status"], "warn")
        self.assertEqual(marks["LH-10"]["status"], "closed")
        self.assertEqual(pixel(img, marks["LH-03"]["x"], marks["LH-03"]["y"]), COL_WARN)
        for hid in ("LH-08", "LH-10", "LH-19"):
            self.assertEqual(pixel(img, marks[hid]["x"], marks[hid]["y"]), COL_CLOSED, hid)
        # geography: LH-08 (120.85 E, 28.93 N) and LH-19 (121.55 E, 28.84 N); equirectangular
        # at the outline's middle latitude 28.853: px per degree of longitude / px per degree
        # of latitude = cos(28.853 deg) = 0.8759
        a, b = marks["LH-08"], marks["LH-19"]
        kx = (b["x"] - a["x"]) / (121.55 - 120.85)
        c = marks["LH-10"]  # 121.02 E, 28.97 N
        ky = (b["y"] - c["y"]) / (28.97 - 28.84)
        self.assertGreater(kx, 0)
        self.assertAlmostEqual(kx / ky, 0.8759, delta=0.02)
        # the mainland's shape on the wall (issue 12 item 4; the dashboard's is checked in
        # tests/web/test_firstrun.mjs): its GeoJSON extent is 0.87793 deg of longitude by
        # 0.40235 deg of latitude, so on screen it is 0.87793 kx / (0.40235 ky) wide per high;
        # on the ground 0.87793 cos(28.865 deg) / 0.40235 = 1.911
        shown = 0.87793 * kx / (0.40235 * ky)
        cwtest.log("wall: mainland %.3f wide per high (kx/ky %.4f); real 1.911" % (shown, kx / ky))
        self.assertAlmostEqual(shown / 1.911, 1, delta=0.025)

    def test_background(self):
        img = read_png(self.png)
        # the gaps between panels are the theme's background
        self.assertEqual(pixel(img, 5, 600), COL_BG)
        self.assertEqual(pixel(img, 1910, 1075), COL_BG)
        self.assertEqual(pixel(img, 421, 500), COL_BG)


class TestStaleAndRecovery(unittest.TestCase):
    """A running wall (not a screenshot): its fleet report reaches GET /api/v1/clients; kill -9
    of the hub turns every panel STALE while the last picture stays; after the hub restarts
    the wall reconnects and the STALE badges go."""

    def test_stale_then_recovered(self):
        tmp = tempfile.mkdtemp(prefix="cwwall-")
        hub = cwtest.Hub(clock=CLOCK)
        wall = None
        try:
            script(hub)
            dump_path = os.path.join(tmp, "live.jsonl")
            wall = subprocess.Popen(wall_cmd(hub, "--layout", os.path.join(LAYOUTS, "1080p.yaml"),
                                             "--text-dump", dump_path, "--windowed"),
                                    env=wall_env(), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(tmp, "wall.log"), "wb"),
                                    start_new_session=True)

            def dump():
                try:
                    return read_dump(dump_path)
                except (OSError, ValueError):
                    return None

            def live():
                d = dump()
                return d if d and kpi_values(d) == EXPECTED_KPI and not any(
                    t["text"] == "断开" for t in texts(d)) else None
            cwtest.wait_until(live, 30, what="the wall showing the scripted KPIs")

            # the fleet report (every 10 s)
            def reported():
                st, body = hub.admin_get("/api/v1/clients")
                rows = cwtest.as_list(body, "clients")
                walls = [r for r in rows if r.get("role") == "wall" and r.get("fps") is not None]
                return walls[0] if walls else None
            w = cwtest.wait_until(reported, 25, interval=0.5, what="the wall's report")
            self.assertEqual(w["viewport"], "0,0,1920,1080")
            self.assertIs(w["stale"], False)
            self.assertGreater(w["rev"], 0)
            self.assertIn("frame_p99_ms", w)

            hub.kill9()

            def stale():
                d = dump()
                if not d:
                    return None
                badges = [t for t in texts(d) if t["text"] == "断开"]
                # every framed panel and the header show it; the numbers stay
                panels = {t["panel"] for t in badges}
                return d if {"header", "kpi", "map", "ranking", "trend", "alerts"} <= panels \
                    else None
            d = cwtest.wait_until(stale, 15, what="断开 (stale) on every panel")
            self.assertEqual(kpi_values(d), EXPECTED_KPI)  # the last picture is kept
            self.assertTrue(any(t["text"].startswith("与中枢断开") for t in texts(d, "header")))

            hub.start()  # same db, same port
            cwtest.wait_until(live, 30, what="the wall recovered (no STALE, KPIs back)")
            self.assertIsNone(wall.poll())
        finally:
            if wall is not None and wall.poll() is None:
                os.killpg(wall.pid, signal.SIGTERM)
                try:
                    wall.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(wall.pid, signal.SIGKILL)
                    wall.wait()
            hub.close()
            if os.environ.get("CW_KEEP_TMP") != "1":
                shutil.rmtree(tmp, ignore_errors=True)


class TestWall3x3(unittest.TestCase):
    """The 3x3 layout: 5760x3240 output for a 5808x3288 canvas (24 px bezels), KPI cells off
    the seams, and one screen of it through --viewport."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cwwall-")
        cls.hub = cwtest.Hub(clock=CLOCK)
        script(cls.hub)

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()
        if os.environ.get("CW_KEEP_TMP") != "1":
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_full_wall(self):
        png = os.path.join(self.tmp, "3x3.png")
        dump_path = os.path.join(self.tmp, "3x3.jsonl")
        rc, log = run_wall(self.hub, "--layout", os.path.join(LAYOUTS, "3x3.yaml"),
                           "--screenshot", png, "--frames", "12", "--text-dump", dump_path)
        self.assertEqual(rc, 0, log[-3000:])
        self.assertEqual(png_size(png), (5760, 3240))
        d = read_dump(dump_path)
        vals = kpi_values(d)
        for k, v in EXPECTED_KPI.items():
            self.assertEqual(vals.get(k), v, k)
        # no KPI text crosses a bezel band [1920, 1944) or [3864, 3888)
        for t in texts(d, "kpi"):
            for b0 in (1920, 3864):
                self.assertFalse(t["x"] < b0 + 24 and t["x"] + t["w"] > b0, t)
        img = read_png(png)
        # the middle screen's map marker of LH-03: canvas (x, y) -> output (x - 24, y - 24)
        m = [x for x in d if x.get("marker") == "LH-03"][0]
        self.assertEqual(pixel(img, m["x"] - 24, m["y"] - 24), COL_WARN)

    def test_viewport_one_screen(self):
        png = os.path.join(self.tmp, "mid.png")
        rc, log = run_wall(self.hub, "--layout", os.path.join(LAYOUTS, "3x3.yaml"),
                           "--viewport", "1944,1104,1920,1080", "--screenshot", png,
                           "--frames", "12")
        self.assertEqual(rc, 0, log[-3000:])
        self.assertEqual(png_size(png), (1920, 1080))
        img = read_png(png)
        # the map panel (canvas x 1968, y 1128, scale 1.6) has its title's accent bar at canvas
        # x 1968 + 19 .. + 6.4, y about 1147 .. 1176: output x 46, y 57 on this screen
        self.assertEqual(pixel(img, 46, 57), COL_ACCENT)

    def test_bad_viewport(self):
        rc, log = run_wall(self.hub, "--layout", os.path.join(LAYOUTS, "3x3.yaml"),
                           "--viewport", "5000,0,2000,100", "--screenshot",
                           os.path.join(self.tmp, "x.png"))
        self.assertEqual(rc, 2)
        self.assertIn("--viewport 5000,0,2000,100: outside the 5808x3288 canvas", log)


if __name__ == "__main__":
    if not os.path.exists(WALL_BIN):
        print("citywall-wall not found at %s (set CW_BUILD_DIR)" % WALL_BIN, file=sys.stderr)
        print("0 passed, 1 failed")
        sys.exit(1)
    if shutil.which("xvfb-run") is None:
        print("xvfb-run not installed (apt-get install xvfb)", file=sys.stderr)
        print("0 passed, 1 failed")
        sys.exit(1)
    cwtest.main()
