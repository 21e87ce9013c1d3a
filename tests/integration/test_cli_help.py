"""Every binary's --help (issue 12 item 7): the usage synopsis names every option the help
describes below it (the wall's omitted --status-log and --present-log), and it points users to
files they have (docs/, README.md), not to the SPEC."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402


def help_text(binary):
    p = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=20, env=dict(os.environ, SDL_VIDEODRIVER="dummy"))
    return p.returncode, p.stdout.decode("utf-8", "replace")


def synopsis_and_options(text):
    """(the usage lines' options, the options described on '  --x' lines)."""
    lines = text.splitlines()
    syn = []
    for ln in lines:
        if ln.startswith("usage:") or (syn and ln.startswith(" ") and not ln.lstrip().startswith("--")
                                       and ln.strip().startswith("[")):
            syn.append(ln)
        elif syn and not ln.strip():
            break
        elif syn and not ln.startswith("usage:") and ln.startswith("       citywall"):
            syn.append(ln)
        elif syn:
            break
    described = set(re.findall(r"^  (--[a-z-]+)", text, re.M))
    return set(re.findall(r"--[a-z-]+", " ".join(syn))), described


class TestHelp(unittest.TestCase):
    def check(self, name, always_ok=("--help", "--version")):
        binary = os.path.join(cwtest.BUILD_DIR, name)
        if not os.path.exists(binary):
            self.skipTest("%s not built" % name)
        rc, out = help_text(binary)
        self.assertEqual(rc, 0, out)
        syn, described = synopsis_and_options(out)
        self.assertTrue(described, out)
        missing = sorted(described - syn - set(always_ok))
        self.assertEqual(missing, [], "%s: options described but not in the usage line:\n%s" % (name, out))
        self.assertNotIn("SPEC", out)
        return out

    def test_hub(self):
        out = self.check("citywall-hub")
        self.assertIn("docs/config.md", out)

    def test_wall(self):
        out = self.check("citywall-wall")
        for opt in ("--status-log", "--present-log"):
            self.assertIn(opt, out.split("\n  --")[0])


if __name__ == "__main__":
    cwtest.main()
