"""Durability and restart (SPEC §1 signals, §3.2, §10 reliability): nothing acknowledged is lost
after kill -9, nothing is applied twice on resend, the state after restart equals the state
before, SIGTERM exits 0 and closes clients with 1001, sessions survive a restart, the business
clock never runs backwards."""

import json
import os
import random
import subprocess
import sys
import threading
import time
import unittest
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import ev, TOKEN_ALL_HALLS, TOKEN_WALL  # noqa: E402

TIME_DRIVEN = ("max_wait_live_s", "over_sla_waiting", "sl_60m", "windows_planned")


def steady_kpi(kpi):
    return {k: v for k, v in kpi.items() if k not in TIME_DRIVEN}


def morning(hall, biz, wins, n=30):
    """n tickets issued; every third called and finished; one more called per window (one of
    them then a no-show); 5 reviews; the windows opened."""
    E = []
    seq = 0

    def add(t, typ, **d):
        nonlocal seq
        seq += 1
        E.append(ev(hall, seq, typ, t, **d))
    for i, w in enumerate(wins):
        add("08:0%d" % i, "window.opened", window=w, staff="W20%02d" % i)
    for i in range(n):
        add("08:%02d:%02d" % (10 + i // 6, (i * 10) % 60), "ticket.issued", ticket="K%03d" % i,
            biz=biz, channel="kiosk", priority="normal")
    for j, i in enumerate(range(0, n, 3)):
        w = wins[j % len(wins)]
        add("08:%02d" % (20 + j), "ticket.called", ticket="K%03d" % i, window=w)
        add("08:%02d:30" % (20 + j), "ticket.finished", ticket="K%03d" % i, window=w,
            result="done")
    for k, w in enumerate(wins):
        add("08:35:%02d" % k, "ticket.called", ticket="K%03d" % (3 * k + 1), window=w)
    add("08:40", "ticket.no_show", ticket="K001", window=wins[0], action="skip")
    for lv, i in zip((5, 5, 4, 3, 1), range(5)):
        add("08:41:%02d" % i, "review.submitted", review="RK%d" % i, level=lv,
            channel="evaluator", window=wins[0], real_name=False)
    return E


class TestKillRestart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = cwtest.Hub()
        info = cls.hub.hall("LH-03")
        b, wins = cwtest.pick_biz_with_windows(info, 2)
        cls.biz, cls.wins = b["id"], wins
        cls.bizs = {h: cwtest.hall_biz(cls.hub.hall(h))[0]["id"]
                    for h in ("LH-10", "LH-11", "LH-12")}

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def test_1_state_survives_kill9(self):
        hub = self.hub
        E = morning("LH-03", self.biz, self.wins)
        reply = hub.ingest(E)
        self.assertEqual(reply["acked"], {"LH-03": len(E)})
        before = hub.hall("LH-03")["kpi"]
        self.assertEqual(before["issued"], 30)
        snap_before = hub.snapshot()
        t = hub.restart()
        cwtest.log("restart to ready after kill -9: %.3f s" % t)
        self.assertLess(t, 10)
        after = hub.hall("LH-03")["kpi"]
        self.assertEqual(steady_kpi(after), steady_kpi(before))
        self.assertGreaterEqual(after["max_wait_live_s"], before["max_wait_live_s"])
        snap_after = hub.snapshot()
        self.assertEqual(steady_kpi(snap_after["kpi"]), steady_kpi(snap_before["kpi"]))
        stored = hub.all_events("LH-03")
        self.assertEqual(sorted(cwtest.stored_event(e)["seq"] for e in stored),
                         list(range(1, len(E) + 1)))
        # resend after restart: all duplicates, nothing applied twice
        st, body = hub.post_events(TOKEN_ALL_HALLS, E)
        self.assertEqual((st, body["accepted"], body["duplicates"]), (200, 0, len(E)), body)
        self.assertEqual(steady_kpi(hub.hall("LH-03")["kpi"]), steady_kpi(before))

    def test_2_kill9_while_streaming(self):
        """Three rounds: a gateway streams batches and resends from its last ack; the hub is
        killed at a random moment and restarted each round."""
        hub = self.hub
        halls = sorted(self.bizs)
        events = {h: [] for h in halls}   # every event generated, events[h][seq - 1]
        acked = {h: 0 for h in halls}

        def make(h, s):
            if s % 10 == 0:
                return ev(h, s, "hall.heartbeat", "08:45")
            return ev(h, s, "ticket.issued", "08:45", ticket="S%06d" % s, biz=self.bizs[h],
                      channel="online", priority="normal")

        def check_store(label):
            stored = {}
            for h in halls:
                seqs = [cwtest.stored_event(e)["seq"] for e in hub.all_events(h)]
                dup = [s for s, n in Counter(seqs).items() if n > 1]
                self.assertEqual(dup, [], "%s %s: seqs stored more than once" % (label, h))
                missing = set(range(1, acked[h] + 1)) - set(seqs)
                self.assertEqual(sorted(missing)[:10], [], "%s %s: acked events lost (%d)" %
                                 (label, h, len(missing)))
                self.assertLessEqual(max(seqs), len(events[h]))
                stored[h] = set(seqs)
                n_issued = sum(1 for s in seqs if s % 10 != 0)
                self.assertEqual(hub.hall(h)["kpi"].get("issued", 0), n_issued,
                                 "%s %s: issued != stored ticket.issued events" % (label, h))
            return stored

        for rnd in range(3):
            state = {"batches": 0, "error": None}
            stop = threading.Event()

            def stream():
                pos = dict(acked)  # resend from the last ack
                try:
                    while not stop.is_set():
                        batch = []
                        for h in halls:
                            for s in range(pos[h] + 1, pos[h] + 61):
                                if s > len(events[h]):
                                    events[h].append(make(h, s))
                                batch.append(events[h][s - 1])
                            pos[h] += 60
                        st, body = hub.post_events(TOKEN_ALL_HALLS, batch)
                        if st != 200 or body.get("rejected"):
                            state["error"] = (st, body)
                            return
                        for k, v in body["acked"].items():
                            acked[k] = max(acked[k], v)
                        state["batches"] += 1
                except Exception as e:  # the hub died under us: expected
                    state["died"] = repr(e)

            th = threading.Thread(target=stream)
            th.start()
            cwtest.wait_until(lambda: state["batches"] >= 3 or state["error"], 10,
                              what="three acked batches")
            time.sleep(random.uniform(0.0, 0.5))  # a random moment, not a wait for a condition
            hub.kill9()
            stop.set()
            th.join(15)
            self.assertIsNone(state["error"])
            t = hub.restart(kill=False)
            cwtest.log("round %d: killed after %d acked batches; acked %r, generated %r; "
                       "restart to ready %.3f s" % (rnd, state["batches"], acked,
                                                    {h: len(v) for h, v in events.items()}, t))
            check_store("round %d" % rnd)

        stored = check_store("final")
        # resend everything: what was stored is a duplicate, the rest is applied once
        allsent = [e for h in halls for e in events[h]]
        n_stored = sum(len(v) for v in stored.values())
        dups = acc = 0
        for i in range(0, len(allsent), 3000):
            st, body = hub.post_events(TOKEN_ALL_HALLS, allsent[i:i + 3000])
            self.assertEqual(st, 200, body)
            self.assertEqual(body.get("rejected", []), [])
            dups += body["duplicates"]
            acc += body["accepted"]
        self.assertEqual((dups, acc), (n_stored, len(allsent) - n_stored))
        for h in halls:
            self.assertEqual(hub.hall(h)["kpi"]["issued"],
                             sum(1 for e in events[h] if e["type"] == "ticket.issued"))
        # and once more: all duplicates, nothing applied twice
        st, body = hub.post_events(TOKEN_ALL_HALLS, allsent[:3000])
        self.assertEqual((body["accepted"], body["duplicates"]), (0, min(3000, len(allsent))))
        for h in halls:
            self.assertEqual(hub.hall(h)["kpi"]["issued"],
                             sum(1 for e in events[h] if e["type"] == "ticket.issued"))


class TestSignalsAndSessions(unittest.TestCase):
    def test_sigterm_exits_0_and_closes_clients_1001(self):
        hub = cwtest.Hub()
        try:
            f = cwtest.Feeder(hub, "LH-03")
            f.send([f.issued(), f.issued()])
            lc = cwtest.LiveClient(hub, token=TOKEN_WALL)
            lc.subscribe(["city"])
            lc.wait_snapshot("city")
            rc = hub.term()
            self.assertEqual(rc, 0, hub.stderr_tail())
            self.assertEqual(lc.wait_closed(5), 1001)
            hub.start()
            self.assertEqual(hub.hall("LH-03")["kpi"]["issued"], 2)
        finally:
            hub.close()

    def test_session_survives_restart(self):
        hub = cwtest.Hub()
        try:
            c = hub.login("admin")
            self.assertEqual(hub.get("/api/v1/snapshot", cookie=c)[0], 200)
            hub.restart()
            st, body = hub.get("/api/v1/snapshot", cookie=c)
            self.assertEqual(st, 200, body)
            self.assertEqual(hub.term(), 0)
            hub.start()
            self.assertEqual(hub.get("/api/v1/snapshot", cookie=c)[0], 200)
        finally:
            hub.close()

    def test_clock_never_runs_backwards(self):
        hub = cwtest.Hub()
        try:
            f = cwtest.Feeder(hub, "LH-03", at_="08:30")
            f.send([f.issued()])
            mw = hub.hall("LH-03")["kpi"]["max_wait_live_s"]
            self.assertGreaterEqual(mw, 1800)  # now >= 09:00, entered 08:30
            hub.restart(clock="2026-11-23T08:00:00+08:00@1")
            kpi = hub.hall("LH-03")["kpi"]
            self.assertEqual(kpi["issued"], 1)
            self.assertGreaterEqual(kpi["max_wait_live_s"], 1800)
            self.assertEqual(hub.snapshot()["day"], "2026-11-23")
        finally:
            hub.close()


def config_copy(hub, edit=None):
    return cwtest.write_config(hub, edit or ())


def rewrite(path, edits):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for old, new in edits:
        assert text.count(old) == 1, (old, text.count(old))
        text = text.replace(old, new)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


class TestReload(unittest.TestCase):
    NAME = "name: 江南街道便民服务中心"

    def test_sighup_reload_and_refusal(self):
        hub = cwtest.Hub(start=False)
        try:
            path = config_copy(hub)
            hub.start()
            f = cwtest.Feeder(hub, "LH-03")
            f.send([f.issued(), f.issued()])
            lc = cwtest.LiveClient(hub, token=TOKEN_WALL)
            lc.subscribe(["hall/LH-03"])
            lc.wait_snapshot("hall/LH-03")
            # a valid change: LH-03 renamed
            rewrite(path, [(self.NAME, self.NAME + "（新址）")])
            hub.hup()
            cwtest.wait_until(lambda: hub.hall("LH-03")["name"] == "江南街道便民服务中心（新址）", 5,
                              what="the reloaded name in GET /halls/LH-03")
            lc.wait_for(lambda c: c.state["hall/LH-03"]["name"] == "江南街道便民服务中心（新址）", 5,
                        "the reloaded name on the live client")
            self.assertFalse(lc.closed, "clients stay connected across a reload")
            self.assertEqual(hub.hall("LH-03")["kpi"]["issued"], 2, "state kept across reload")
            # a broken change: refused, the running config kept, errors logged with file:line
            rewrite(path, [("level: town\n    parent: LH-00\n    location: {lat: 28.832",
                            "level: metropolis\n    parent: LH-00\n    location: {lat: 28.832")])
            hub.hup()
            cwtest.wait_until(lambda: "metropolis" in hub.stderr_tail(20000), 5,
                              what="the config error in the log")
            log = hub.stderr_tail(20000)
            self.assertRegex(log, r"config\.yaml:\d+:.*level")
            self.assertTrue(hub.alive())
            info = hub.hall("LH-03")
            self.assertEqual((info["name"], info["level"]), ("江南街道便民服务中心（新址）", "town"))
            f.send([f.issued()])
            self.assertEqual(hub.hall("LH-03")["kpi"]["issued"], 3)
            self.assertFalse(lc.closed)
            st, audit = hub.admin_get("/api/v1/audit")
            self.assertIn("reload", json.dumps(audit), "config reloads are audited")
            lc.close()
        finally:
            hub.close()


class TestCli(unittest.TestCase):
    def run_hub(self, *args):
        p = subprocess.run([cwtest.HUB_BIN] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        return p.returncode, p.stdout.decode("utf-8", "replace"), \
            p.stderr.decode("utf-8", "replace")

    def test_help_version_usage(self):
        rc, out, err = self.run_hub("--help")
        self.assertEqual(rc, 0)
        self.assertIn("--config", out + err)
        # users have the docs/ files, not the SPEC (issue 12 item 7)
        self.assertNotIn("SPEC", out + err)
        for doc in ("README.md", "docs/config.md", "docs/alerts.md"):
            self.assertIn(doc, out)
            self.assertTrue(os.path.exists(os.path.join(cwtest.SOURCE_DIR, doc)), doc)
        rc, out, err = self.run_hub("--version")
        self.assertEqual(rc, 0)
        self.assertRegex(out + err, r"\d+\.\d+")
        rc, out, err = self.run_hub("--no-such-option")
        self.assertEqual(rc, 2)
        rc, out, err = self.run_hub("--config", cwtest.DEMO_CONFIG, "--clock", "yesterday")
        self.assertEqual(rc, 2, err)

    def test_check_config(self):
        rc, out, err = self.run_hub("--config", cwtest.DEMO_CONFIG, "--check-config")
        self.assertEqual(rc, 0, err)
        hub = cwtest.Hub(start=False)
        try:
            path = config_copy(hub, [("{id: LH-03-CAM-Q01, name: 等候区, area: waiting}",
                                      "{id: LH-03-CAM-Q01, name: 等候区, area: roof}")])
            with open(path, encoding="utf-8") as f:
                line = [i + 1 for i, t in enumerate(f) if "area: roof" in t][0]
            rc, out, err = self.run_hub("--config", path, "--check-config")
            self.assertIn(rc, (1, 2), err)
            self.assertIn("%s:%d:" % (path, line), err)
            self.assertIn("area", err)
            # the hub itself refuses to start on it
            rc, out, err = self.run_hub("--config", path, "--db", hub.db, "--listen",
                                        "127.0.0.1:%d" % cwtest.free_port())
            self.assertIn(rc, (1, 2), err)
        finally:
            hub.close()


if __name__ == "__main__":
    cwtest.main()
