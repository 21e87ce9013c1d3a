"""Fault: the store's disk fills up (SPEC §3.3, §10). The hub's database lives on a small
tmpfs; a filler file takes the rest. Ingest then answers 503 with a message and acknowledges
nothing that was not saved; when the space returns the service recovers by itself, and every
acknowledged event is stored exactly once, also after a kill -9. Needs root (mount); skipped
otherwise."""

import errno
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import cwtest  # noqa: E402

BATCH = 200


class DiskFull(unittest.TestCase):
    def setUp(self):
        self.hub, self.mnt = faultlib.hub_on_tmpfs(self, 16)
        self.hub.start()

    def tearDown(self):
        self.hub.kill9()
        faultlib.unmount_tmpfs(self.mnt)
        self.hub.close()

    def fill(self):
        path = os.path.join(self.mnt, "filler")
        chunk = b"\0" * 65536
        with open(path, "wb", buffering=0) as f:
            while True:
                try:
                    f.write(chunk)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
        small = b"\0" * 512
        with open(path, "ab", buffering=0) as f:  # the last blocks too
            while True:
                try:
                    f.write(small)
                except OSError:
                    break
        return path

    def test_disk_full_503_nothing_acked_unsaved_and_recovers(self):
        hub = self.hub
        st = faultlib.Stream(hub, "LH-09", "disk")
        acked = {st.key: 0}
        post = faultlib.batch_poster(self, hub, st, acked, BATCH)

        for _ in range(5):
            self.assertEqual(post()[0], 200)
        filler = self.fill()
        t_full = time.monotonic()
        codes = []
        full_reply = None
        for _ in range(200):  # pages the WAL already holds may take a few more batches
            code, body = post()
            codes.append(code)
            if code != 200:
                full_reply = (code, body)
                break
        self.assertIsNotNone(full_reply, "no refusal after %d batches on a full disk" %
                             len(codes))
        code, body = full_reply
        self.assertEqual(code, 503, body)
        self.assertIsInstance(body.get("error"), str)
        self.assertNotIn("acked", body)
        acked_at_full = acked[st.key]
        # while full: every batch is refused, nothing acknowledged
        for _ in range(3):
            code, body = post()
            self.assertEqual(code, 503, body)
        self.assertEqual(acked[st.key], acked_at_full)
        faultlib.check_exactly_once(self, hub, st, acked[st.key], "while full")
        # space returns: the hub recovers by itself
        os.unlink(filler)
        t_free = time.monotonic()
        cwtest.wait_until(lambda: post()[0] == 200, 30, interval=0.2,
                          what="ingest 200 after the space returned")
        recover_s = time.monotonic() - t_free
        for _ in range(3):
            self.assertEqual(post()[0], 200)
        n1, lost1, dups1 = faultlib.check_exactly_once(self, hub, st, acked[st.key],
                                                       "recovered")
        t = hub.restart()  # kill -9
        n, lost, dups = faultlib.check_exactly_once(self, hub, st, acked[st.key],
                                                    "after kill -9")
        self.assertEqual(n, acked[st.key])
        issued = sum(1 for s in range(1, n + 1) if st.events[s - 1]["type"] == "ticket.issued")
        self.assertEqual(hub.hall("LH-09")["kpi"]["issued"], issued)
        faultlib.write_result("disk_full", {
            "events": n, "lost": lost, "duplicates": dups,
            "batches_200_after_fill": codes.count(200), "first_refusal": full_reply[1]["error"],
            "full_s": round(t_free - t_full, 2), "recover_s": round(recover_s, 2),
            "restart_s": round(t, 3)})


if __name__ == "__main__":
    cwtest.main()
