"""Store schema migrations (issue 19, server/migrate.c): a hub opens a store made by the
previous schema (fixtures/store-v0.db.gz: the unversioned store of main at cc1b5c1, holding 691
events of hall LH-03 on 2026-11-23 from `citywall-sim --dump --clock
2026-11-23T08:00:00+08:00@10000 --duration 2 --halls LH-03 --seed 5`, feed v0), migrates it in
place and serves exactly the KPIs of a fresh hub fed the same events; a store stamped with a
newer version is refused with a message naming both versions, and left untouched."""

import gzip
import os
import shutil
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402
from cwtest import TOKEN_LH03  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                       "store-v0.db.gz")
CLOCK = "2026-11-23T13:40:00+08:00@1"
SCHEMA_VERSION = 1
TIME_DRIVEN = ("max_wait_live_s", "over_sla_waiting", "sl_60m", "windows_planned")


def steady(kpi):
    return {k: v for k, v in (kpi or {}).items() if k not in TIME_DRIVEN}


def user_version(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


class Migration(unittest.TestCase):
    def unpack(self, hub):
        os.makedirs(hub.tmp, exist_ok=True)
        with gzip.open(FIXTURE, "rb") as src, open(hub.db, "wb") as dst:
            shutil.copyfileobj(src, dst)

    def test_previous_schema_migrated_in_place_with_every_kpi_equal(self):
        old = cwtest.Hub(clock=CLOCK, start=False)
        fresh = cwtest.Hub(clock=CLOCK)
        try:
            self.unpack(old)
            self.assertEqual(user_version(old.db), 0)
            db = sqlite3.connect(old.db)
            bodies = [r[0] for r in db.execute("SELECT body FROM events ORDER BY id")]
            db.close()
            self.assertEqual(len(bodies), 691)
            old.start()
            self.assertIn("migrated from schema version 0 to %d" % SCHEMA_VERSION,
                          old.stderr_tail())
            # the fresh hub gets the same events
            events = [cwtest.json.loads(b) for b in bodies]
            body = fresh.ingest(events, token=TOKEN_LH03)
            self.assertEqual(body["acked"], {"LH-03/v0": 691})
            # a resend to the migrated hub is a duplicate: its dedupe index came through
            st, body = old.post_events(TOKEN_LH03, events[:10])
            self.assertEqual((st, body["accepted"], body["duplicates"]), (200, 0, 10))
            a, b = old.hall("LH-03"), fresh.hall("LH-03")
            self.assertEqual(steady(a["kpi"]), steady(b["kpi"]))
            self.assertGreater(a["kpi"]["issued"], 50)
            sa, sb = old.snapshot(), fresh.snapshot()
            self.assertEqual(steady(sa["kpi"]), steady(sb["kpi"]))
            self.assertEqual(len(old.all_events("LH-03")), 691)
            old.term()
            self.assertEqual(user_version(old.db), SCHEMA_VERSION)
            # and it opens again without migrating
            old.start()
            self.assertNotIn("migrated", old.stderr_tail())
            self.assertEqual(steady(old.hall("LH-03")["kpi"]), steady(b["kpi"]))
        finally:
            old.close()
            fresh.close()

    def test_store_from_a_newer_hub_is_refused_and_untouched(self):
        hub = cwtest.Hub(clock=CLOCK, start=False)
        try:
            self.unpack(hub)
            db = sqlite3.connect(hub.db)
            db.execute("PRAGMA user_version = 7")
            db.commit()
            db.close()
            before = open(hub.db, "rb").read()
            hub.port = cwtest.free_port()
            p = cwtest.subprocess.run(hub._args(), capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 1)
            self.assertIn("citywall-hub: store: %s has schema version 7, newer than this hub's "
                          "%d" % (hub.db, SCHEMA_VERSION), p.stderr.decode())
            self.assertEqual(open(hub.db, "rb").read(), before)
            self.assertEqual(user_version(hub.db), 7)
        finally:
            hub.close()

    def test_new_store_is_stamped(self):
        hub = cwtest.Hub(clock=CLOCK)
        try:
            self.assertNotIn("migrated", hub.stderr_tail())
            self.assertEqual(user_version(hub.db), SCHEMA_VERSION)
        finally:
            hub.close()


if __name__ == "__main__":
    cwtest.main()
