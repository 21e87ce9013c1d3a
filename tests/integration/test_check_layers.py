"""scripts/check-layers (the "calls go one way" gate of scripts/test) on folders written here:
it must find a circle of calls through three files and name the calls that make it, take a
static function of the same name in another file for no call, and pass a folder that only
calls down."""

import os
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "check-layers")


def run(files):
    d = tempfile.mkdtemp(prefix="cwlayers-")
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    p = subprocess.run(["/usr/bin/python3", SCRIPT, d], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class CheckLayers(unittest.TestCase):
    def test_a_circle_through_three_files_is_refused_and_named(self):
        rc, out, err = run({
            "top.c": "int mid(void);\nint top(void)\n{\n    return mid();\n}\n",
            "mid.c": "int low(void);\nint mid(void)\n{\n    return low();\n}\n",
            # low calls top back: top -> mid -> low -> top
            "low.c": "int top(void);\nint low(void)\n{\n    return top() + 1;\n}\n",
        })
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("a circle of calls: low.c, mid.c, top.c", err)
        self.assertIn("low.c -> top.c: top", err)
        self.assertIn("mid.c -> low.c: low", err)
        self.assertIn("top.c -> mid.c: mid", err)

    def test_calls_that_go_down_pass(self):
        rc, out, err = run({
            "top.c": "int mid(void);\nint low(void);\nint top(void)\n{\n    return mid() + low();\n}\n",
            "mid.c": "int low(void);\nint mid(void)\n{\n    return low();\n}\n",
            # a static helper named like a function above is its own, not a call up
            "low.c": "static int top(void)\n{\n    return 1;\n}\nint low(void)\n{\n    return top();\n}\n",
        })
        self.assertEqual(rc, 0, (out, err))
        self.assertIn("3 C files in 1 folders, calls go one way", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
