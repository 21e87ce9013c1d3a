"""citywall-gateway against a real hub (docs/gateway.md): the command line (--check-config
errors as FILE:LINE: FIELD, --dry-run, --status, exit codes), a malformed vendor record kept
in the gateway's own quarantine with its reason while the records behind it go through, the
ODBC tailer (sqlite through libsqliteodbc) taking the rows inserted while the gateway was
down exactly once, CSV files taken once and moved aside (also after a crash between the commit
and the move), the outbox alarm, and several hub URLs tried in turn."""

import glob
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
import gwtest  # noqa: E402
from cwtest import wait_until  # noqa: E402
from gwtest import queue_record  # noqa: E402


def run_gw(*args, timeout=30):
    p = subprocess.run([gwtest.GW_BIN] + list(args), capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class CommandLine(unittest.TestCase):
    def test_help_version_and_usage_errors(self):
        rc, out, _ = run_gw("--help")
        self.assertEqual(rc, 0)
        self.assertIn("--dry-run FILE", out)
        rc, out, _ = run_gw("--version")
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("citywall-gateway "), out)
        rc, _, err = run_gw("--check-config")
        self.assertEqual(rc, 2)
        self.assertIn("--config FILE is required", err)

    def test_check_config_names_file_line_and_field(self):
        tmp = self._tmp()
        path = os.path.join(tmp, "bad.yaml")
        with open(path, "w") as f:
            f.write("gateway:\n"                       # 1
                    "  outbox: /tmp/x.db\n"            # 2
                    "  colour: blue\n"                 # 3
                    "hub:\n"                           # 4
                    "  urls: [ftp://hub]\n"            # 5
                    "  token: t\n"                     # 6
                    "inputs:\n"                        # 7
                    "  - name: q\n"                    # 8
                    "    kind: http\n"                 # 9
                    "    path: /in/q\n"                # 10
                    "    map:\n"                       # 11
                    "      hall: {value: LH-03}\n"     # 12
                    "      at: ts\n"                   # 13
                    "      at_format: iso\n"           # 14
                    "      data:\n"                    # 15
                    "        level: {field: s, type: float}\n")  # 16
        rc, out, err = run_gw("--config", path, "--check-config")
        self.assertEqual(rc, 2, out + err)
        lines = err.strip().split("\n")
        self.assertEqual(lines, [
            "%s:3: gateway.colour: unknown key" % path,
            "%s:5: hub.urls: 'ftp://hub': must be an http:// or https:// URL" % path,
            "%s:12: inputs[0].map.type: required field missing" % path,
            "%s:14: inputs[0].map.at_format: must be rfc3339, local, unix or unix_ms" % path,
            "%s:16: inputs[0].map.data.level.type: must be string, int or bool" % path,
        ])

    def test_demo_config_checks_and_dry_runs(self):
        demo = os.path.join(cwtest.SOURCE_DIR, "config", "gateway-demo.yaml")
        rc, out, err = run_gw("--config", demo, "--check-config")
        self.assertEqual(rc, 0, err)
        self.assertIn("OK (4 inputs, 1 hubs)", out)
        sample = os.path.join(cwtest.SOURCE_DIR, "config", "gateway-samples", "queue.json")
        rc, out, err = run_gw("--config", demo, "--dry-run", sample)
        self.assertEqual(rc, 0, err)
        events = [cwtest.json.loads(line) for line in out.strip().split("\n")]
        self.assertEqual(events[0], {"hall": "LH-03", "feed": "LH-03-queue",
                                     "type": "ticket.issued",
                                     "at": "2026-11-23T09:00:05.000+08:00",
                                     "data": {"ticket": "A001", "biz": "A", "channel": "kiosk",
                                              "priority": "normal"}})
        self.assertEqual(events[2]["data"], {"ticket": "A001", "window": "A01",
                                             "result": "done"})
        self.assertEqual(len(events), 3)
        self.assertIn("quarantine: input queue-hook: record 3 (serialNo 4): field action: "
                      "unknown code 'XX' (for type)", err)
        csv = os.path.join(cwtest.SOURCE_DIR, "config", "gateway-samples", "windows.csv")
        rc, out, err = run_gw("--config", demo, "--dry-run", csv)
        self.assertEqual(rc, 0, err)
        events = [cwtest.json.loads(line) for line in out.strip().split("\n")]
        self.assertEqual([e["type"] for e in events],
                         ["window.opened", "window.opened", "window.paused", "window.resumed"])
        self.assertEqual(events[2]["data"], {"window": "B01", "reason": "lunch"})  # 午休

    def _tmp(self):
        import tempfile
        d = tempfile.mkdtemp(prefix="cwgw-cli-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


class WithHub(unittest.TestCase):
    def setUp(self):
        self.hub = cwtest.Hub(clock=None)
        self.gws = []

    def tearDown(self):
        try:
            for g in self.gws:
                g.close()
        finally:
            self.hub.close()

    def gateway(self, **kw):
        g = gwtest.Gateway(self.hub, **kw)
        self.gws.append(g)
        return g

    def test_malformed_record_is_quarantined_and_never_blocks(self):
        gw = self.gateway(inputs=("queue",))
        recs = [queue_record(1, "Q001"),
                queue_record(2, "Q002", action="ZZ"),            # unknown code
                queue_record(3, "Q003", bizCode="99"),           # unknown biz code
                queue_record(4, "Q004", ts="yesterday"),         # bad time
                queue_record(5, "Q005", winNo="Z99", action="JH"),  # unknown window (hub check)
                queue_record(6, "Q006")]
        st, body = gw.post_queue(recs)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["taken"], 2)
        self.assertEqual(body["quarantined"], [
            {"index": 1, "error": "input queue-hook: record 1 (serialNo 2): field action: "
                                  "unknown code 'ZZ' (for type)"},
            {"index": 2, "error": "input queue-hook: record 2 (serialNo 3): field bizCode: "
                                  "unknown code '99' (for biz)"},
            {"index": 3, "error": "input queue-hook: record 3 (serialNo 4): field ts: "
                                  "'yesterday' is not YYYY-MM-DD HH:MM:SS"},
            {"index": 4, "error": "input queue-hook: record 4 (serialNo 5): ticket.called: "
                                  "data.window: unknown window 'Z99' for hall LH-03"},
        ])
        # the records behind the bad ones reach the hub, in order, seqs 1..2
        wait_until(lambda: len(gwtest.hub_feeds(self.hub).get("queue", [])) == 2, 10,
                   interval=0.1, what="2 queue events at the hub")
        feeds = gwtest.hub_feeds(self.hub)
        gwtest.check_feed(self, "queue", feeds["queue"], lambda e: e["data"]["ticket"],
                          ["Q001", "Q006"])
        rows = gw.quarantine_rows()
        self.assertEqual([(r[0], r[1]) for r in rows],
                         [("queue-hook", "1 (serialNo 2)"), ("queue-hook", "2 (serialNo 3)"),
                          ("queue-hook", "3 (serialNo 4)"), ("queue-hook", "4 (serialNo 5)")])
        self.assertIn("unknown code 'ZZ'", rows[0][2])
        self.assertEqual(cwtest.json.loads(rows[0][3])["ticketNo"], "Q002")
        # the hub quarantined nothing: the gateway kept the bad records itself
        st, q = self.hub.admin_get("/api/v1/quarantine")
        self.assertEqual(cwtest.as_list(q, "quarantine", "items"), [])
        s = gw.status()
        self.assertEqual(s["quarantined"], 4)
        self.assertEqual([q["ref"] for q in s["quarantine_recent"]],
                         ["4 (serialNo 5)", "3 (serialNo 4)", "2 (serialNo 3)", "1 (serialNo 2)"])
        # not JSON: 400, nothing taken
        st, body = gw.request("POST", "/in/queue", None)
        self.assertEqual(st, 400, body)

    def test_vendor_retry_after_a_lost_answer_is_taken_once(self):
        gw = self.gateway(inputs=("queue",))
        recs = [queue_record(1, "R001"), queue_record(2, "R002", action="ZZ"),
                queue_record(3, "R003")]
        st, body = gw.post_queue(recs)
        self.assertEqual((st, body["taken"], body["repeats"], len(body["quarantined"])),
                         (200, 2, 0, 1))
        # the vendor did not get that answer and sends the same body again, the bad record
        # corrected: the two taken are repeats, the corrected one is taken now
        recs[1] = queue_record(2, "R002")
        st, body = gw.post_queue(recs + [queue_record(4, "R004")])
        self.assertEqual((st, body["taken"], body["repeats"], body["quarantined"]),
                         (200, 2, 2, []))
        wait_until(lambda: len(gwtest.hub_feeds(self.hub).get("queue", [])) == 4, 10,
                   interval=0.1, what="4 queue events at the hub")
        gwtest.check_feed(self, "queue", gwtest.hub_feeds(self.hub)["queue"],
                          lambda e: e["data"]["ticket"], ["R001", "R003", "R002", "R004"])
        # a record id seen twice in one body is taken once
        st, body = gw.post_queue([queue_record(5, "R005"), queue_record(5, "R005")])
        self.assertEqual((body["taken"], body["repeats"]), (1, 1))

    def test_odbc_sqlite_tailer_takes_rows_inserted_while_down_exactly_once(self):
        gw = self.gateway(inputs=("reviews",))
        gwtest.insert_reviews(gw.vendor_db, 1, 3)
        wait_until(lambda: len(gwtest.hub_feeds(self.hub).get("reviews", [])) == 3, 15,
                   interval=0.1, what="3 reviews at the hub")
        gw.kill9()
        gwtest.insert_reviews(gw.vendor_db, 4, 120)  # more than one poll's batch (50)
        gwtest.insert_reviews(gw.vendor_db, 124, 1, score=7)  # level 7: quarantined
        gwtest.insert_reviews(gw.vendor_db, 125, 2)
        gw.start()
        wait_until(lambda: len(gwtest.hub_feeds(self.hub).get("reviews", [])) == 125, 30,
                   interval=0.2, what="125 reviews at the hub")
        feeds = gwtest.hub_feeds(self.hub)
        expected = ["R%d" % i for i in range(1, 127) if i != 124]
        gwtest.check_feed(self, "reviews", feeds["reviews"], lambda e: e["data"]["review"],
                          expected)
        self.assertEqual(feeds["reviews"][0]["data"], {"review": "R1", "level": 5,
                                                       "channel": "evaluator",
                                                       "real_name": False})
        rows = gw.quarantine_rows()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][1], "id=124 (id 124)")
        self.assertIn("review.submitted: data.level", rows[0][2])
        rc, out, err = gw.cli("--status")
        self.assertEqual(rc, 0, err)
        st = cwtest.json.loads(out)
        self.assertEqual(st["positions"], {"reviews-db": "126"})
        wait_until(lambda: gw.outbox_depth() == 0, 10, what="an empty outbox")

    def test_csv_files_taken_once_and_moved_aside(self):
        gw = self.gateway(inputs=("windows",))
        ts = gwtest.local_ts()
        gwtest.drop_csv(gw.csv_dir, "a.csv", [(ts, "C001", "k"), (ts, "C002", "w")])
        done = os.path.join(gw.csv_dir, "done")
        wait_until(lambda: os.path.exists(os.path.join(done, "a.csv")), 10,
                   what="a.csv moved to done/")
        self.assertFalse(os.path.exists(os.path.join(gw.csv_dir, "a.csv")))
        # a crash between the commit and the move: the same file back in the folder (same
        # name, size and mtime) is recognised as taken and only moved again
        gw.kill9()
        st = os.stat(os.path.join(done, "a.csv"))
        shutil.copy(os.path.join(done, "a.csv"), os.path.join(gw.csv_dir, "a.csv"))
        os.utime(os.path.join(gw.csv_dir, "a.csv"), ns=(st.st_atime_ns, st.st_mtime_ns))
        # a row with a field too many is quarantined; the rows after it go through
        gwtest.drop_csv(gw.csv_dir, "b.csv", [(ts, "C003", "k"), (ts, "C004,extra", "k"),
                                              (ts, "C005", "x"), (ts, "C006", "w")])
        gw.start()
        wait_until(lambda: len(gwtest.hub_feeds(self.hub).get("csv", [])) == 4, 15,
                   interval=0.1, what="4 csv events at the hub")
        wait_until(lambda: os.path.exists(os.path.join(done, "a.csv.1")), 10,
                   what="the re-dropped a.csv moved aside again")
        feeds = gwtest.hub_feeds(self.hub)
        gwtest.check_feed(self, "csv", feeds["csv"], lambda e: e["data"]["ticket"],
                          ["C001", "C002", "C003", "C006"])
        rows = gw.quarantine_rows()
        self.assertEqual([r[1] for r in rows], ["b.csv:3", "b.csv:4"])
        self.assertIn("4 fields, the header has 3", rows[0][2])
        self.assertIn("field channel: unknown code 'x' (for channel)", rows[1][2])
        self.assertEqual(sorted(os.listdir(done)), ["a.csv", "a.csv.1", "b.csv"])

    def test_hub_urls_tried_in_turn_and_outbox_alarm(self):
        dead = "http://127.0.0.1:%d" % cwtest.free_port()
        gw = self.gateway(inputs=("queue",), hub_urls=[dead, self.hub.http_url],
                          alarm_events=3)
        st, body = gw.post_queue([queue_record(i, "U%03d" % i) for i in range(1, 6)])
        self.assertEqual((st, body["taken"]), (200, 5))
        wait_until(lambda: len(gwtest.hub_feeds(self.hub).get("queue", [])) == 5, 15,
                   interval=0.1, what="5 events through the second hub URL")
        s = gw.status()
        self.assertEqual(s["hub"], self.hub.http_url)
        self.assertGreaterEqual(s["failures"], 1)
        # the hub goes away: the outbox grows past alarm_events -> ALARM line and metric
        self.hub.kill9()
        st, body = gw.post_queue([queue_record(i, "U%03d" % i) for i in range(6, 11)])
        self.assertEqual((st, body["taken"]), (200, 5))
        wait_until(lambda: gw.status()["alarm"], 5, interval=0.1, what="the outbox alarm")
        self.assertIn("ALARM: the outbox holds 5 events (alarm_events 3)", gw.stderr_tail())
        st, text = gw.request("GET", "/metrics")
        self.assertIn("citywall_gateway_outbox_events 5\n", text)
        self.assertIn("citywall_gateway_outbox_alarm 1\n", text)
        self.hub.restart()
        wait_until(lambda: not gw.status()["alarm"], 20, interval=0.2,
                   what="the alarm to clear once the hub is back")
        feeds = gwtest.hub_feeds(self.hub)
        gwtest.check_feed(self, "queue", feeds["queue"], lambda e: e["data"]["ticket"],
                          ["U%03d" % i for i in range(1, 11)])


class Cameras(unittest.TestCase):
    """(d) camera status from RTSP probing: the simulator's RTSP cameras (real gst-rtsp-server
    streams, stopped and started through --rtsp-control) probed by the gateway."""

    def test_rtsp_probes_announce_camera_status_changes(self):
        sim_bin = cwtest.SIM_BIN
        hub = cwtest.Hub(clock=None)
        gw = sim = None
        port = cwtest.free_port()
        simlog = open(os.path.join(hub.tmp, "sim.err"), "wb")
        try:
            sim = subprocess.Popen([sim_bin, "--dump", "--scenario", "quiet", "--halls", "LH-03",
                                    "--config", cwtest.DEMO_CONFIG, "--rtsp-port", str(port),
                                    "--rtsp-control", "-"], stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=simlog,
                                   preexec_fn=cwtest._pdeathsig)

            def listening():
                import socket
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    return True
                except OSError:
                    if sim.poll() is not None:
                        raise AssertionError("citywall-sim exited %r" % sim.returncode)
                    return False
            wait_until(listening, 30, interval=0.1, what="the sim's RTSP server")
            base = "rtsp://127.0.0.1:%d/" % port
            dead = "rtsp://127.0.0.1:%d/LH-03-CAM-S01/main" % cwtest.free_port()
            cams = """
  - name: cameras
    kind: rtsp
    hall: LH-03
    feed: cams
    every_s: 1
    timeout_ms: 4000
    cameras:
      - {id: LH-03-CAM-W01, url: %(b)sLH-03-CAM-W01/main, sub: %(b)sLH-03-CAM-W01/sub}
      - {id: LH-03-CAM-Q01, url: %(b)sLH-03-CAM-Q01/main}
      - {id: LH-03-CAM-S01, url: %(d)s}
""" % {"b": base, "d": dead}
            gw = gwtest.Gateway(hub, inputs=(), extra_inputs=cams)

            def statuses():
                out = {}
                for e in gwtest.hub_feeds(hub).get("cams", []):
                    out.setdefault(e["data"]["camera"], []).append(e["data"]["status"])
                return out
            wait_until(lambda: statuses() == {"LH-03-CAM-W01": ["online"],
                                              "LH-03-CAM-Q01": ["online"],
                                              "LH-03-CAM-S01": ["offline"]},
                       40, interval=0.2, what="the first probes at the hub")
            ev = [e for e in gwtest.hub_feeds(hub)["cams"]
                  if e["data"]["camera"] == "LH-03-CAM-W01"][0]
            self.assertEqual(ev["data"], {"camera": "LH-03-CAM-W01", "status": "online",
                                          "main": base + "LH-03-CAM-W01/main",
                                          "sub": base + "LH-03-CAM-W01/sub"})
            sim.stdin.write(b"stop LH-03-CAM-Q01\n")
            sim.stdin.flush()
            wait_until(lambda: statuses().get("LH-03-CAM-Q01") == ["online", "offline"], 30,
                       interval=0.2, what="LH-03-CAM-Q01 offline at the hub")
            # a restarted gateway does not announce unchanged statuses again
            gw.kill9()
            sim.stdin.write(b"start LH-03-CAM-Q01\n")
            sim.stdin.flush()
            gw.start()
            wait_until(lambda: statuses().get("LH-03-CAM-Q01") == ["online", "offline", "online"],
                       30, interval=0.2, what="LH-03-CAM-Q01 online again")
            st = statuses()
            self.assertEqual(st["LH-03-CAM-W01"], ["online"])
            self.assertEqual(st["LH-03-CAM-S01"], ["offline"])
            feed = gwtest.hub_feeds(hub)["cams"]
            self.assertEqual([e["seq"] for e in feed], list(range(1, len(feed) + 1)))
            cams = {c["id"]: c["status"] for c in hub.hall("LH-03")["cameras"]}
            self.assertEqual(cams["LH-03-CAM-Q01"], "online")
            self.assertEqual(cams["LH-03-CAM-S01"], "offline")
        finally:
            try:
                if gw:
                    gw.close()
            finally:
                if sim:
                    sim.kill()
                    sim.wait()
                simlog.close()
                hub.close()


class SilentCamera:
    """A fake RTSP camera on a free loopback port: it answers OPTIONS, DESCRIBE (an H.264 SDP),
    SETUP and PLAY like a camera, then never sends a packet (a frozen encoder)."""

    SDP = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=silent\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n")

    def __init__(self):
        import socket
        import threading
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import threading
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buf = b""
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    lines = head.decode("latin-1").split("\r\n")
                    method, url = lines[0].split(" ")[:2]
                    hdrs = {}
                    for ln in lines[1:]:
                        k, _, v = ln.partition(":")
                        hdrs[k.strip().lower()] = v.strip()
                    self.requests.append(method)
                    out = "RTSP/1.0 200 OK\r\nCSeq: %s\r\n" % hdrs.get("cseq", "0")
                    body = ""
                    if method == "OPTIONS":
                        out += "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n"
                    elif method == "DESCRIBE":
                        body = self.SDP
                        out += ("Content-Type: application/sdp\r\nContent-Base: %s/\r\n" %
                                url.rstrip("/"))
                    elif method == "SETUP":
                        out += "Transport: %s\r\nSession: 12345678\r\n" % hdrs.get("transport")
                    elif method in ("PLAY", "TEARDOWN", "GET_PARAMETER"):
                        out += "Session: 12345678\r\n"
                    out += "Content-Length: %d\r\n\r\n%s" % (len(body), body)
                    conn.sendall(out.encode())
        except OSError:
            return
        finally:
            conn.close()

    def close(self):
        self.sock.close()


class CameraStates(unittest.TestCase):
    def test_probe_tells_no_frame_from_offline(self):
        silent = SilentCamera()
        self.addCleanup(silent.close)
        tmp = tempfile.mkdtemp(prefix="cwgw-cam-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cfg = os.path.join(tmp, "gw.yaml")
        dead = cwtest.free_port()
        with open(cfg, "w") as f:
            f.write("gateway: {outbox: %s/o.db, city_config: %s}\n"
                    "hub: {urls: ['http://127.0.0.1:1'], token: t}\n"
                    "inputs:\n"
                    "  - name: cams\n"
                    "    kind: rtsp\n"
                    "    hall: LH-03\n"
                    "    timeout_ms: 1500\n"
                    "    cameras:\n"
                    "      - {id: LH-03-CAM-W01, url: 'rtsp://127.0.0.1:%d/cam/main'}\n"
                    "      - {id: LH-03-CAM-Q01, url: 'rtsp://127.0.0.1:%d/cam/main'}\n" %
                    (tmp, cwtest.DEMO_CONFIG, silent.port, dead))
        rc, out, err = run_gw("--config", cfg, "--dry-run", "-", "--input", "cams")
        self.assertEqual(rc, 0, err)
        evs = [cwtest.json.loads(line) for line in out.strip().split("\n")]
        self.assertEqual([(e["type"], e["data"]["camera"], e["data"]["status"]) for e in evs],
                         [("camera.status", "LH-03-CAM-W01", "no_frame"),
                          ("camera.status", "LH-03-CAM-Q01", "offline")])
        self.assertIn("DESCRIBE", silent.requests)

def _pg_bin():
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(cands[-1]) if cands else None


def _pg_odbc():
    try:
        out = subprocess.run(["odbcinst", "-q", "-d"], capture_output=True).stdout.decode()
    except OSError:
        return False
    return "[PostgreSQL Unicode]" in out


class PostgresServer:
    """A throw-away PostgreSQL server on a free loopback port (trust auth, as the postgres
    user when the test runs as root, which PostgreSQL refuses to run as)."""

    def __init__(self):
        self.bin = _pg_bin()
        self.tmp = tempfile.mkdtemp(prefix="cwpg-")
        self.data = os.path.join(self.tmp, "data")
        self.port = cwtest.free_port()
        self.as_user = []
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam("postgres")
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        subprocess.run(self.as_user + [os.path.join(self.bin, "initdb"), "-D", self.data, "-A",
                                       "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=120)
        self.log = open(os.path.join(self.tmp, "pg.log"), "wb")
        self.proc = subprocess.Popen(
            self.as_user + [os.path.join(self.bin, "postgres"), "-D", self.data, "-p",
                            str(self.port), "-k", self.tmp, "-c",
                            "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL,
            preexec_fn=cwtest._pdeathsig)

        def ready():
            r = subprocess.run([os.path.join(self.bin, "pg_isready"), "-h", "127.0.0.1", "-p",
                                str(self.port)], capture_output=True)
            return r.returncode == 0
        wait_until(ready, 60, interval=0.2, what="PostgreSQL to accept connections")

    def sql(self, text):
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "-v", "ON_ERROR_STOP=1", "-q", "-c", text], check=True,
                       capture_output=True, timeout=60)

    @property
    def dsn(self):
        return ("Driver=PostgreSQL Unicode;Servername=127.0.0.1;Port=%d;Database=postgres;"
                "Username=postgres;" % self.port)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


@unittest.skipUnless(_pg_bin() and _pg_odbc(), "needs postgresql and odbc-postgresql")
class PostgresTailer(unittest.TestCase):
    def test_odbc_postgres_tailer_takes_rows_inserted_while_down_exactly_once(self):
        pg = PostgresServer()
        hub = cwtest.Hub(clock=None)
        gw = None
        try:
            pg.sql("CREATE TABLE evaluation(id bigint PRIMARY KEY, review_no text, score int, "
                   "real_name int, created_at timestamp(0))")

            def insert(first, n):
                pg.sql("INSERT INTO evaluation SELECT i, 'P' || i, 4, 1, "
                       "(now() AT TIME ZONE 'Asia/Shanghai') FROM generate_series(%d, %d) i" %
                       (first, first + n - 1))
            insert(1, 3)
            gw = gwtest.Gateway(hub, inputs=("reviews",), odbc_dsn=pg.dsn)
            wait_until(lambda: len(gwtest.hub_feeds(hub).get("reviews", [])) == 3, 20,
                       interval=0.1, what="3 PostgreSQL rows at the hub")
            gw.kill9()
            insert(4, 77)
            gw.start()
            wait_until(lambda: len(gwtest.hub_feeds(hub).get("reviews", [])) == 80, 30,
                       interval=0.2, what="80 PostgreSQL rows at the hub")
            feeds = gwtest.hub_feeds(hub)
            gwtest.check_feed(self, "reviews", feeds["reviews"], lambda e: e["data"]["review"],
                              ["P%d" % i for i in range(1, 81)])
            self.assertEqual(feeds["reviews"][0]["data"],
                             {"review": "P1", "level": 4, "channel": "evaluator",
                              "real_name": True})
            self.assertEqual(gw.quarantine_rows(), [])
        finally:
            try:
                if gw:
                    gw.close()
            finally:
                hub.close()
                pg.close()


if __name__ == "__main__":
    cwtest.main()
