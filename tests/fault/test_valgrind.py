"""Leaks: a short hub session under valgrind (ingest over HTTP and WebSocket, a live client,
a login, then SIGTERM) reports no definite leaks and no memory errors. Valgrind can't run a
sanitizer build, so this uses the unsanitized hub of $CW_SOURCE_DIR/build (scripts/test builds
it first) or $CW_VALGRIND_BUILD; skipped when there's none or valgrind is missing."""

import os
import re
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402


def plain_hub():
    for d in (os.environ.get("CW_VALGRIND_BUILD"), cwtest.BUILD_DIR,
              os.path.join(cwtest.SOURCE_DIR, "build")):
        if not d:
            continue
        exe = os.path.join(d, "citywall-hub")
        if not os.path.exists(exe):
            continue
        with open(exe, "rb") as f:
            if b"__asan_init" in f.read():
                continue
        return exe
    return None


class ValgrindHub(cwtest.Hub):
    def __init__(self, exe, log, **kw):
        self.exe, self.vlog = exe, log
        super().__init__(start=False, **kw)

    def _args(self):
        a = super()._args()
        return ["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite",
                "--error-exitcode=99", "--log-file=" + self.vlog, self.exe] + a[1:]


class Valgrind(unittest.TestCase):
    def test_short_session_no_definite_leaks(self):
        exe = plain_hub()
        if not exe or not shutil.which("valgrind"):
            self.skipTest("needs valgrind and an unsanitized citywall-hub (%r)" % exe)
        log = os.path.join(cwtest.BUILD_DIR, "valgrind-hub.log")
        hub = ValgrindHub(exe, log)
        try:
            t0 = time.monotonic()
            hub.start(ready_timeout=180)
            st = faultlib.Stream(hub, "LH-03", "vg")
            acked = {}
            g = faultlib.Gateway(hub, st, "http", acked, limit=300).start()
            w = faultlib.Gateway(hub, faultlib.Stream(hub, "LH-05", "vgws"), "ws", acked,
                                 limit=300).start()
            c = cwtest.LiveClient(hub, token=cwtest.TOKEN_WALL)
            c.subscribe(["city", "hall/LH-03"])
            c.wait_snapshot("city", timeout=30)
            cwtest.wait_until(lambda: acked.get("LH-03/vg") == 300 and
                              acked.get("LH-05/vgws") == 300, 120, interval=0.2,
                              what="600 events acknowledged")
            g.stop()
            w.stop()
            c.wait_for(lambda c: c.state["city"]["halls"]["LH-03"]["kpi"].get("issued", 0) > 0,
                       30, "the live client sees the events")
            cookie = hub.cookie("city")
            self.assertTrue(cookie)
            c.close()
            code = hub.term(timeout=120)
            with open(log) as f:
                text = f.read()
            m = re.search(r"definitely lost: ([\d,]+) bytes", text)
            definite = int(m.group(1).replace(",", "")) if m else 0
            errs = re.search(r"ERROR SUMMARY: (\d+) errors", text)
            self.assertEqual(code, 0, text[-3000:])
            self.assertEqual(definite, 0, text[-3000:])
            self.assertIsNotNone(errs, text[-2000:])
            self.assertEqual(int(errs.group(1)), 0, text[-3000:])
            faultlib.write_result("valgrind", {
                "events": 600, "definitely_lost_bytes": definite,
                "errors": int(errs.group(1)), "exit": code, "log": log,
                "wall_s": round(time.monotonic() - t0, 1)})
        finally:
            hub.close()


if __name__ == "__main__":
    cwtest.main()
