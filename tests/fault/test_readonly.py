"""Fault: the store's file system turns read-only under a running hub (SPEC §3.3, §10). Ingest
then answers 503 with a message naming the cause and acknowledges nothing that was not saved;
when writes are possible again the service recovers by itself, and every acknowledged event is
stored exactly once, also after a kill -9. Then, with the hub down, the file system is really
remounted read-only: the hub refuses to start on it, naming the cause, and starts once it is
writable again.

Linux refuses `mount -o remount,ro` while a process holds a file of that file system open for
writing ("mount point is busy"), and sqlite holds its database open for writing as long as the
hub runs; the test checks that first. So while the hub runs, the read-only file system is made
the way the kernel shows it to a process: strace attaches to the hub and every write, sync and
truncate it makes (pwrite64, pwritev, fdatasync, fsync, ftruncate; the socket writes are send
and write) fails with EROFS. Needs root (mount, ptrace) and strace; skipped otherwise."""

import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402

BATCH = 200
EROFS_TEXT = "Read-only file system"  # strerror(EROFS)


class ReadOnly(unittest.TestCase):
    def setUp(self):
        self.strace = None
        if not shutil.which("strace"):
            self.skipTest("strace is not installed")
        self.hub, self.mnt = faultlib.hub_on_tmpfs(self, 32)
        self.hub.start()

    def tearDown(self):
        self.stop_ro()
        self.hub.kill9()
        faultlib.unmount_tmpfs(self.mnt)
        self.hub.close()

    def remount(self, mode):
        return subprocess.run(["mount", "-o", "remount," + mode, self.mnt],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def start_ro(self):
        """Every file write, sync and truncate of the hub fails with EROFS from now on."""
        self.strace = subprocess.Popen(
            ["strace", "-f", "-qq", "-o", "/dev/null", "-p", str(self.hub.proc.pid),
             "-e", "trace=pwrite64,pwritev,pwritev2,fdatasync,fsync,ftruncate",
             "-e", "inject=pwrite64,pwritev,pwritev2,fdatasync,fsync,ftruncate:error=EROFS"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop_ro(self):
        if self.strace:
            self.strace.send_signal(signal.SIGINT)  # detaches; the hub runs on untouched
            self.strace.wait(10)
            self.strace = None

    def test_read_only_store_503_nothing_acked_unsaved_and_recovers(self):
        hub = self.hub
        st = faultlib.Stream(hub, "LH-11", "ro")
        acked = {st.key: 0}
        post = faultlib.batch_poster(self, hub, st, acked, BATCH)

        for _ in range(5):
            self.assertEqual(post()[0], 200)
        self.assertEqual(acked[st.key], 5 * BATCH)
        # the kernel keeps a file system writable while sqlite has its db open for writing
        r = self.remount("ro")
        self.assertNotEqual(r.returncode, 0, "remount,ro succeeded under the running hub")
        self.assertIn("busy", r.stdout)
        self.start_ro()
        t_ro = time.monotonic()
        refusal = {}

        def refused():
            code, body = post()  # acked before strace attached: stored, checked below
            if code != 200:
                refusal["r"] = (code, body)
            return code != 200
        cwtest.wait_until(refused, 30, interval=0.05, what="a refusal on the read-only store")
        first_s = time.monotonic() - t_ro
        code, body = refusal["r"]
        self.assertEqual(code, 503, body)
        self.assertIn(EROFS_TEXT, body["error"])
        self.assertTrue(body["error"].endswith("; nothing was acknowledged"), body)
        self.assertNotIn("acked", body)
        acked_at_ro = acked[st.key]
        for _ in range(3):  # while read-only: every batch refused, nothing acknowledged
            code, body = post()
            self.assertEqual(code, 503, body)
            self.assertIn(EROFS_TEXT, body["error"])
        self.assertEqual(acked[st.key], acked_at_ro)
        self.assertIn(EROFS_TEXT, hub.stderr_tail(20000))
        # reads go on: the hall's state holds every acknowledged event
        issued = lambda n: sum(1 for s in range(1, n + 1)  # noqa: E731
                               if st.events[s - 1]["type"] == "ticket.issued")
        self.assertEqual(hub.hall("LH-11")["kpi"]["issued"], issued(acked_at_ro))
        # writable again: the hub recovers by itself
        self.stop_ro()
        t_rw = time.monotonic()
        cwtest.wait_until(lambda: post()[0] == 200, 30, interval=0.2,
                          what="ingest 200 after the store became writable")
        recover_s = time.monotonic() - t_rw
        for _ in range(3):
            self.assertEqual(post()[0], 200)
        faultlib.check_exactly_once(self, hub, st, acked[st.key], "recovered")
        t = hub.restart()  # kill -9
        n, lost, dups = faultlib.check_exactly_once(self, hub, st, acked[st.key],
                                                    "after kill -9")
        self.assertEqual(n, acked[st.key])
        self.assertEqual(hub.hall("LH-11")["kpi"]["issued"], issued(n))
        # the hub is down: now the kernel remounts read-only; the hub doesn't start on it
        hub.kill9()
        r = self.remount("ro")
        self.assertEqual(r.returncode, 0, r.stdout)
        with self.assertRaises(AssertionError):
            hub.start(ready_timeout=10)
        self.assertRegex(hub.stderr_tail(4000), r"store: .*(readonly|read-only|Read-only)")
        hub.kill9()
        self.assertEqual(self.remount("rw").returncode, 0)
        hub.start()
        n2, _, _ = faultlib.check_exactly_once(self, hub, st, acked[st.key], "rw again")
        self.assertEqual(n2, n)
        faultlib.write_result("read_only", {
            "events": n, "lost": lost, "duplicates": dups, "first_refusal": refusal["r"][1]
            ["error"], "first_refusal_s": round(first_s, 2), "recover_s": round(recover_s, 2),
            "restart_s": round(t, 3)})


if __name__ == "__main__":
    cwtest.main()
