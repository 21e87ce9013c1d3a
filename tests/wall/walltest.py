"""Helpers for the hub-driven wall tests (tests/wall/test_wall_sync.py, test_wall_alarm.py):
wall hosts (`citywall-wall --wall main --layout config/walls/3x3.yaml --viewport ...`) each under
its own `xvfb-run`, with --present-log (one JSON line per presented frame that shows a new
city or wall state: t_ms, mono_us, wall_rev, step, hero, hero_id) and --text-dump."""

import json
import os
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import cwtest  # noqa: E402
import test_wall as tw  # noqa: E402

LAYOUT_3X3 = os.path.join(tw.LAYOUTS, "3x3.yaml")
# the 3x3 wall's bottom row (config/walls/3x3.yaml: screen (c, 2) shows canvas x from c * 1944,
# y from 2 * 1104 = 2208): the ranking | the camera grid's left half with the hero | its right
VIEWPORTS = {"r3c1": "0,2208,1920,1080", "r3c2": "1944,2208,1920,1080",
             "r3c3": "3888,2208,1920,1080"}


def read_jsonl(path):
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass  # a line being written
    except OSError:
        pass
    return out


class Host:
    """One wall host: a citywall-wall process following wall `wall` at a viewport."""

    def __init__(self, hub, name, viewport, tmp, wall="main", extra=()):
        self.hub, self.name, self.viewport, self.wall = hub, name, viewport, wall
        self.present = os.path.join(tmp, "%s.present.jsonl" % name)
        self.dump = os.path.join(tmp, "%s.dump.jsonl" % name)
        self.log = os.path.join(tmp, "%s.log" % name)
        self.extra = list(extra)
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        if os.path.exists(self.present):
            os.rename(self.present, self.present + ".%d" % self.starts)
        args = tw.wall_cmd(self.hub, "--layout", LAYOUT_3X3, "--viewport", self.viewport,
                           "--wall", self.wall, "--windowed", "--present-log", self.present,
                           "--text-dump", self.dump, *self.extra)
        self.proc = subprocess.Popen(args, env=tw.wall_env(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"),
                                     start_new_session=True)

    def kill(self):
        """SIGKILL the whole session (xvfb-run, Xvfb and the wall)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def lines(self):
        """Present-log lines that carry the wall state."""
        return [ln for ln in read_jsonl(self.present) if ln.get("wall_rev", 0) > 0]

    def wall_dump(self):
        """The text dump's {"panel":"wall",...} line (the state the last frame showed)."""
        for d in read_jsonl(self.dump):
            if d.get("panel") == "wall":
                return d
        return None

    def texts(self):
        return [d for d in read_jsonl(self.dump) if "text" in d]


def first_shown(lines, pred):
    """mono_us of the first present line satisfying pred, or None."""
    for ln in lines:
        if pred(ln):
            return ln["mono_us"]
    return None


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def make_tmp():
    return tempfile.mkdtemp(prefix="cwwallsync-")
