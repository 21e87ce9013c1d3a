"""Fault: an RTSP camera killed and restored, seen on a running wall (issue 6 item 3; SPEC §10,
docs/wall.md "Cameras"). A real hub, a real citywall-sim serving LH-03's four cameras over
RTSP and feeding the hub (so `hall/LH-03` lists them online with their URLs), and the real
citywall-wall under Xvfb (Mesa llvmpipe, LP_NUM_THREADS=2) with tests/wall/camera_loss.yaml:
1280x720, a 2x2 grid without a hero slot, so each camera has its own tile and nothing tours
or pins a camera away.

What the wall shows is read from its --status-log: after every presented frame that changed a
camera stream's state (and every second) a line {t_ms, frames, ft_ms: [frame times since the
last line], cameras: {camera: "ok" | "no_signal"}} -- the streams the tiles play, "ok" while a
tile shows live video; a camera missing from it has no tile. t_ms is the wall's real clock
after the frame was presented, compared with this process's clock at the moment of the fault.

Two faults, one after the other, on one wall:

1. Announced: `stop LH-03-CAM-W01` on the sim's --rtsp-control. Its streams stall with their
   connections open and the sim sends `camera.status offline` (as a camera gateway would); then
   `start`. Within 2 s of the stop W01's tile shows NO SIGNAL, and it keeps its tile (NO
   SIGNAL · 摄像头离线) while the hub has it offline -- an on-screen camera that goes offline
   does not leave the grid; within 5 s of the start W01 plays again. The other three keep
   playing throughout.
2. Silent: the sim is frozen (SIGSTOP): every stream stalls with its connection open and the hub
   is told nothing -- the hard case, which only the wall's own 1.5 s threshold can catch.
   Within 2 s every tile must show NO SIGNAL; within 5 s of SIGCONT every tile plays again.

Frame times (render start -> presented) of every frame from the first all-live line to the end
must stay at p99 <= 50 ms and max <= 200 ms: stream teardown and rebuild happen off the render
thread. The start-up frames (fonts, the static layer, the first data) are reported apart.

Business clock 2026-11-23 (a Monday) 09:30 at real speed with seed 1: LH-03 is open and no
random camera flap falls within the run (checked with `citywall-sim --dump`); R14 needs 60 s
of business time offline, so no alert interferes.
"""

import json
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

# the hub runs in its temp dir: a relative CW_BUILD_DIR (as TESTING.md writes it) must not be
# resolved there
if os.environ.get("CW_BUILD_DIR"):
    os.environ["CW_BUILD_DIR"] = os.path.abspath(os.environ["CW_BUILD_DIR"])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402

WALL_BIN = os.path.join(cwtest.BUILD_DIR, "citywall-wall")
LAYOUT = os.path.join(cwtest.SOURCE_DIR, "tests", "wall", "camera_loss.yaml")
CLOCK = "2026-11-23T09:30:00+08:00@1"
HALL = "LH-03"
CAMS = ["LH-03-CAM-E01", "LH-03-CAM-Q01", "LH-03-CAM-S01", "LH-03-CAM-W01"]
VICTIM = "LH-03-CAM-W01"
NO_SIGNAL_S = 2.0     # issue 6: NO SIGNAL within 2 s
LIVE_AGAIN_S = 5.0    # and live video within 5 s of the return
DEAD_S = 3.0          # how long each fault lasts (longer than the 1.5 s NO SIGNAL threshold)
STEADY_LINES = 3      # status lines (about a second each) of steady play before each fault
FT_P99_MS = 50.0
FT_MAX_MS = 200.0


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def percentile(xs, p):
    """Nearest rank, as the wall's --stats computes it."""
    s = sorted(xs)
    if not s:
        return 0.0
    i = min(len(s) - 1, max(0, -(-len(s) * p // 100) - 1))
    return s[int(i)]


def descendants(root):
    """{pid: comm} of every process below root."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append((int(d), comm))
    out, todo = {}, [root]
    while todo:
        for pid, comm in kids.get(todo.pop(), []):
            out[pid] = comm
            todo.append(pid)
    return out


def sanitizer_report(path):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    for marker in ("ERROR: AddressSanitizer", "runtime error:"):
        i = text.find(marker)
        if i >= 0:
            return text[max(0, i - 200):i + 3000]
    return None


class StatusLog:
    """The wall's --status-log, read incrementally."""

    def __init__(self, path):
        self.path, self.pos, self.lines = path, 0, []

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return self.lines
        end = data.rfind(b"\n")
        if end >= 0:
            for raw in data[:end].split(b"\n"):
                if raw.strip():
                    self.lines.append(json.loads(raw))
            self.pos += end + 1
        return self.lines

    def last(self):
        self.poll()
        return self.lines[-1] if self.lines else None

    def first_after(self, t_ms, pred):
        """The first line at or after t_ms (wall clock, ms) whose cameras satisfy pred."""
        for ln in self.poll():
            if ln["t_ms"] >= t_ms and pred(ln["cameras"]):
                return ln
        return None


class CameraLoss(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cwcamloss-")
        self.hub = cwtest.Hub(clock=CLOCK)
        self.sim = self.xvfb = None
        env = dict(os.environ)
        # GStreamer and Mesa keep memory until exit; sanitizer errors still fail the test
        opts = env.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=0"
        self.env = env

    def tearDown(self):
        if self.xvfb is not None and self.xvfb.poll() is None:
            os.killpg(self.xvfb.pid, signal.SIGKILL)
            self.xvfb.wait()
        if self.sim is not None and self.sim.poll() is None:
            self.sim.send_signal(signal.SIGCONT)
            self.sim.kill()
            self.sim.wait()
        self.hub.close()
        if os.environ.get("CW_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            cwtest.log("kept", self.tmp)

    def start_sim(self):
        self.rtsp_port = cwtest.free_port()
        self.sim_log = os.path.join(self.tmp, "sim.log")
        self.sim = subprocess.Popen(
            [cwtest.SIM_BIN, "--config", cwtest.DEMO_CONFIG, "--hub", self.hub.http_url,
             "--token", cwtest.TOKEN_ALL_HALLS, "--clock", CLOCK, "--halls", HALL,
             "--rtsp-port", str(self.rtsp_port), "--rtsp-control", "-"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=open(self.sim_log, "wb"), env=self.env, preexec_fn=cwtest._pdeathsig)

        def announced():
            cams = {c["id"]: c for c in cwtest.as_list(self.hub.hall(HALL).get("cameras"),
                                                        "cameras")}
            return all(cams.get(c, {}).get("status") == "online" for c in CAMS)
        cwtest.wait_until(announced, 20, interval=0.1,
                          what="hall/%s listing its 4 cameras online" % HALL)

    def control(self, line):
        self.sim.stdin.write((line + "\n").encode())
        self.sim.stdin.flush()

    def start_wall(self):
        self.status_path = os.path.join(self.tmp, "status.jsonl")
        self.wall_out = os.path.join(self.tmp, "wall.out")
        self.wall_log = os.path.join(self.tmp, "wall.log")
        env = dict(self.env, LP_NUM_THREADS="2")
        env.pop("DISPLAY", None)
        self.xvfb = subprocess.Popen(
            ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", WALL_BIN, "--hub",
             self.hub.ws_url, "--token", cwtest.TOKEN_WALL, "--layout", LAYOUT, "--windowed",
             "--status-log", self.status_path, "--stats"],
            env=env, stdin=subprocess.DEVNULL, stdout=open(self.wall_out, "wb"),
            stderr=open(self.wall_log, "wb"), start_new_session=True)
        self.status = StatusLog(self.status_path)

    def wall_pid(self):
        pids = [p for p, c in descendants(self.xvfb.pid).items() if c == "citywall-wall"]
        self.assertEqual(len(pids), 1, "the wall under xvfb-run: %r" % pids)
        return pids[0]

    def wall_sanitized(self):
        with open("/proc/%d/maps" % self.wall_pid()) as f:
            return "libasan" in f.read()

    def stop_wall(self):
        """SIGTERM to the wall itself (not Xvfb, so it can print its stats); its exit code."""
        os.kill(self.wall_pid(), signal.SIGTERM)
        return self.xvfb.wait(30)

    def wait_state(self, t_ms, pred, timeout, what):
        return cwtest.wait_until(lambda: self.status.first_after(t_ms, pred), timeout,
                                 interval=0.02, what=what)

    def steady(self, since_ms, what):
        """Every camera plays (a line at or after since_ms); then STEADY_LINES more lines in
        which they all still do. Returns the first all-live line."""
        all_ok = lambda c: all(c.get(x) == "ok" for x in CAMS)  # noqa: E731
        first = self.wait_state(since_ms, all_ok, 30, "every tile live (%s)" % what)
        n0 = len(self.status.poll())
        cwtest.wait_until(lambda: len(self.status.poll()) >= n0 + STEADY_LINES, 10,
                          what="%d status lines of steady play" % STEADY_LINES)
        for ln in self.status.lines[n0 - 1:]:
            self.assertTrue(all_ok(ln["cameras"]), "a tile stopped playing by itself: %r" % ln)
        return first

    def test_camera_killed_and_restored(self):
        if not os.path.exists(WALL_BIN):
            self.fail("citywall-wall not found at %s (set CW_BUILD_DIR)" % WALL_BIN)
        if shutil.which("xvfb-run") is None:
            self.fail("xvfb-run not installed (apt-get install xvfb)")
        load0 = loadavg()
        self.start_sim()
        self.start_wall()
        live0 = self.steady(0, "start")
        t_live0 = live0["t_ms"]

        # ---- 1. announced: stop / start one camera through the sim's control channel
        others = [c for c in CAMS if c != VICTIM]
        t_stop = time.time() * 1000
        self.control("stop " + VICTIM)
        # the camera keeps its tile (the grid does not rotate): NO SIGNAL, never "left"
        gone = self.wait_state(t_stop, lambda c: c.get(VICTIM) == "no_signal", NO_SIGNAL_S + 3,
                               "%s shown as NO SIGNAL" % VICTIM)
        a_gone_ms = gone["t_ms"] - t_stop
        a_how = "no_signal"
        cwtest.wait_until(lambda: time.time() * 1000 - t_stop >= DEAD_S * 1000, DEAD_S + 1,
                          what="the outage lasting %.0f s" % DEAD_S)
        for ln in self.status.poll():
            if ln["t_ms"] >= gone["t_ms"]:
                self.assertEqual(ln["cameras"].get(VICTIM), "no_signal",
                                 "%s left its tile or showed live while down: %r" % (VICTIM, ln))
        t_start = time.time() * 1000
        self.control("start " + VICTIM)
        back = self.wait_state(t_start, lambda c: c.get(VICTIM) == "ok", LIVE_AGAIN_S + 5,
                               "%s live again" % VICTIM)
        a_back_ms = back["t_ms"] - t_start
        for ln in self.status.poll():
            if ln["t_ms"] >= t_stop:
                for c in others:
                    self.assertEqual(ln["cameras"].get(c), "ok",
                                     "%s stopped playing while %s was down: %r" % (c, VICTIM, ln))

        # ---- 2. silent: the sim frozen, every stream stalls and the hub is told nothing
        self.steady(back["t_ms"], "after the announced outage")
        t_freeze = time.time() * 1000
        self.sim.send_signal(signal.SIGSTOP)
        try:
            dark = self.wait_state(t_freeze, lambda c: all(c.get(x) == "no_signal" for x in CAMS),
                                   NO_SIGNAL_S + 5, "NO SIGNAL on every tile")
            s_dark_ms = dark["t_ms"] - t_freeze
            first_dark = {}
            for ln in self.status.poll():
                for c in CAMS:
                    if ln["t_ms"] >= t_freeze and c not in first_dark and \
                            ln["cameras"].get(c) == "no_signal":
                        first_dark[c] = ln["t_ms"] - t_freeze
            cwtest.wait_until(lambda: time.time() * 1000 - t_freeze >= DEAD_S * 1000,
                              DEAD_S + 1, what="the freeze lasting %.0f s" % DEAD_S)
        finally:
            t_thaw = time.time() * 1000
            self.sim.send_signal(signal.SIGCONT)
        lit = self.wait_state(t_thaw, lambda c: all(c.get(x) == "ok" for x in CAMS),
                              LIVE_AGAIN_S + 10, "every tile live again after SIGCONT")
        s_back_ms = lit["t_ms"] - t_thaw
        self.steady(lit["t_ms"], "after the silent outage")
        for ln in self.status.poll():
            if t_freeze <= ln["t_ms"] <= t_thaw:
                self.assertEqual(sorted(ln["cameras"]), CAMS, "a camera left the grid: %r" % ln)

        # ---- the wall's frame times, and its exit
        sanitized = self.wall_sanitized()
        rc = self.stop_wall()
        lines = self.status.poll()
        load1 = loadavg()
        with open(self.wall_out, encoding="utf-8", errors="replace") as f:
            out = f.read()
        with open(self.wall_log, encoding="utf-8", errors="replace") as f:
            wlog = f.read()
        self.assertEqual(rc, 0, "wall exit %r:\n%s" % (rc, wlog[-3000:]))
        for path, who in ((self.wall_log, "wall"), (self.sim_log, "sim")):
            rep = sanitizer_report(path)
            self.assertIsNone(rep, "sanitizer report from the %s:\n%s" % (who, rep))
        all_ft = [x for ln in lines for x in ln["ft_ms"]]
        # ft_ms of a line are the frames since the previous line: the window starts with the
        # line after the first all-live one
        i0 = next(i for i, ln in enumerate(lines) if ln["t_ms"] == t_live0)
        run_ft = [x for ln in lines[i0 + 1:] for x in ln["ft_ms"]]
        self.assertEqual(lines[-1]["frames"], len(all_ft), "a frame time missing in the log")
        self.assertIn("%d frames in" % len(all_ft), out, "--stats disagrees: %s" % out)
        worst = max(lines[i0 + 1:], key=lambda ln: max(ln["ft_ms"] or [0]))
        # per phase (a line's frames are those just before its t_ms), to tell the faults'
        # cost from the machine's load: steady play, the announced outage, the silent one
        phases = {}
        for name, lo, hi in (("steady", t_live0, t_stop), ("announced", t_stop, t_freeze),
                             ("silent", t_freeze, float("inf"))):
            ft = [x for ln in lines[i0 + 1:] if lo < ln["t_ms"] <= hi for x in ln["ft_ms"]]
            phases[name] = "%d frames, p99 %.1f, max %.1f ms" % (
                len(ft), percentile(ft, 99), max(ft or [0]))
        row = {
            "announced_not_live_ms": round(a_gone_ms), "announced_how": a_how,
"announced_live_again_ms": round(a_back_ms),
            "silent_no_signal_ms": round(s_dark_ms),
            "silent_no_signal_per_camera_ms": {c: round(v) for c, v in first_dark.items()},
            "silent_live_again_ms": round(s_back_ms),
            "frames": len(run_ft), "run_s": round((lines[-1]["t_ms"] - t_live0) / 1000, 1),
            "ft_p50_ms": percentile(run_ft, 50), "ft_p99_ms": percentile(run_ft, 99),
            "ft_max_ms": max(run_ft), "ft_max_at_s": round((worst["t_ms"] - t_stop) / 1000, 1),
            "ft_phases": phases, "startup_frames": len(all_ft) - len(run_ft),
            "startup_ft_max_ms": max(all_ft[:len(all_ft) - len(run_ft)] or [0]),
            "loadavg_start": load0, "loadavg_end": load1,
            "build": os.path.basename(os.path.normpath(cwtest.BUILD_DIR)),
            "ft_asserted": not sanitized,
        }
        faultlib.write_result("camera_loss", row)

        self.assertLessEqual(a_gone_ms, NO_SIGNAL_S * 1000, row)
        self.assertLessEqual(a_back_ms, LIVE_AGAIN_S * 1000, row)
        self.assertLessEqual(s_dark_ms, NO_SIGNAL_S * 1000, row)
        self.assertLessEqual(s_back_ms, LIVE_AGAIN_S * 1000, row)
        # the 1.5 s threshold (VIDEO_NO_SIGNAL_MS) is what catches a silent stall: not sooner
        self.assertGreaterEqual(min(first_dark.values()), 1500 - 100, row)
        # SPEC §10's frame times are for an optimised wall: an ASan+UBSan one (scripts/test's
        # build) is measured and reported, not held to them
        if sanitized:
            cwtest.log("sanitized wall: frame times reported, not asserted")
            return
        self.assertLessEqual(row["ft_p99_ms"], FT_P99_MS, row)
        self.assertLessEqual(row["ft_max_ms"], FT_MAX_MS, row)


if __name__ == "__main__":
    cwtest.main()
