"""The simulator's camera picture leaves the bottom of the frame to the wall (issue 12 item 7):
the wall draws its tile caption (camera · hall, live dot) over the bottom ~20 % of every camera
tile, where the burnt-in clock used to sit and overlap it. One decoded frame of a sub-stream
(320x180, what tiles play) must have its text (shaded boxes: pixels well darker than the
camera's plain tint; the moving ball is brighter, never darker) in the top band only.

Needs the sim's RTSP cameras (gst-rtsp-server) and gst-launch-1.0 with rtspsrc and avdec_h264;
skipped where they are missing."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402

CLOCK = "2026-11-23T09:30:00+08:00@1"
W, H = 320, 180


def gst_ok():
    if not shutil.which("gst-launch-1.0") or not shutil.which("gst-inspect-1.0"):
        return False
    for el in ("rtspsrc", "avdec_h264", "rtph264depay"):
        if subprocess.run(["gst-inspect-1.0", el], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            return False
    return True


class TestSimCameraOsd(unittest.TestCase):
    @unittest.skipUnless(gst_ok(), "gst-launch-1.0 with rtspsrc/avdec_h264 not installed")
    def test_text_in_the_top_band_only(self):
        hub = cwtest.Hub(clock=CLOCK)
        tmp = tempfile.mkdtemp(prefix="cw-osd-")
        sim = None
        try:
            rport = cwtest.free_port()
            log = open(os.path.join(tmp, "sim.log"), "wb")
            sim = subprocess.Popen([cwtest.SIM_BIN, "--hub", hub.http_url, "--token",
                                    cwtest.TOKEN_ALL_HALLS, "--config", cwtest.DEMO_CONFIG,
                                    "--clock", CLOCK, "--rtsp-port", str(rport), "--duration", "60"],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   preexec_fn=cwtest._pdeathsig)
            log.close()
            url = "rtsp://127.0.0.1:%d/LH-00-CAM-W01/sub" % rport
            frames = os.path.join(tmp, "f-%03d.rgb")

            def grab():
                subprocess.run(["gst-launch-1.0", "-q", "rtspsrc", "location=" + url, "latency=100",
                                "!", "rtph264depay", "!", "avdec_h264", "!", "videoconvert", "!",
                                "video/x-raw,format=RGB,width=%d,height=%d" % (W, H), "!",
                                "identity", "eos-after=12", "!", "multifilesink",
                                "location=" + frames],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=40)
                got = sorted(glob.glob(os.path.join(tmp, "f-*.rgb")))
                return got if len(got) >= 10 else None
            got = cwtest.wait_until(grab, 90, interval=1, what="frames from " + url)
            data = open(got[-1], "rb").read()
            self.assertEqual(len(data), W * H * 3)
            px = [data[i:i + 3] for i in range(0, len(data), 3)]
            luma = [(299 * p[0] + 587 * p[1] + 114 * p[2]) // 1000 for p in px]
            tint = Counter(luma).most_common(1)[0][0]  # the camera's plain background
            dark = [[luma[y * W + x] < tint - 25 for x in range(W)] for y in range(H)]
            rows = [sum(r) for r in dark]
            top = sum(rows[:int(H * 0.4)])
            bottom = sum(rows[int(H * 0.75):])
            cwtest.log("tint luma %d; dark pixels: top 40 %% %d, bottom 25 %% %d" % (tint, top, bottom))
            self.assertGreater(top, 500, "the shaded title/clock boxes in the top band")
            self.assertEqual(bottom, 0, "no burnt-in text where the wall draws its caption")
        finally:
            if sim:
                sim.kill()
                sim.wait()
            hub.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    cwtest.main()
