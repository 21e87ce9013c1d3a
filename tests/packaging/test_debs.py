"""Packages (issue 19, docs/deploy.md): `cpack -G DEB` in a packaging build folder gives
citywall-hub, -wall, -gateway, -tools and -common with the right dependencies, files,
conffiles and maintainer scripts; `systemd-analyze verify` accepts the units; and, when run
as root (CI), the packages install with dpkg, the hub starts the way its unit starts it (user
citywall, its working directory, ExecStartPre then ExecStart with the unit's arguments) and
answers /readyz and its dashboard from /usr/share/citywall, `dpkg -r` keeps configs and data,
and `dpkg -P` leaves nothing but the citywall user.

CW_DEB_BUILD_DIR names a packaging build folder to use (configured with
-DCW_DATA_DIR=/usr/share/citywall); otherwise one is configured and built under
$CW_BUILD_DIR/deb-build (several minutes on two cores). CW_DEB_INSTALL=0 skips the dpkg part
even as root."""

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
import cwtest  # noqa: E402
from cwtest import log, wait_until  # noqa: E402

VERSION = "0.1.0"
PKGS = ["citywall-common", "citywall-hub", "citywall-gateway", "citywall-tools",
        "citywall-wall"]


def sh(*args, check=True, **kw):
    p = subprocess.run(list(args), capture_output=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(args), p.returncode,
                                                   p.stdout.decode(errors="replace")[-3000:],
                                                   p.stderr.decode(errors="replace")[-3000:]))
    return p


def build_debs():
    bdir = os.environ.get("CW_DEB_BUILD_DIR") or os.path.join(cwtest.BUILD_DIR, "deb-build")
    cache = os.path.join(bdir, "CMakeCache.txt")
    if not os.path.exists(cache) or "CW_DATA_DIR:PATH=/usr/share/citywall" not in open(cache).read():
        sh("cmake", "-S", cwtest.SOURCE_DIR, "-B", bdir, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
           "-DCW_BUILD_TESTS=OFF", "-DCW_DATA_DIR=/usr/share/citywall")
    t = __import__("time").monotonic()
    sh("nice", "cmake", "--build", bdir, "-j%d" % (os.cpu_count() or 2))
    for f in glob.glob(os.path.join(bdir, "*.deb")):
        os.remove(f)
    sh("cpack", "-G", "DEB", cwd=bdir)
    log("built and packaged in %.0f s" % (__import__("time").monotonic() - t))
    debs = {}
    for f in glob.glob(os.path.join(bdir, "*.deb")):
        name = sh("dpkg-deb", "-f", f, "Package").stdout.decode().strip()
        debs[name] = f
    return debs


def field(deb, name):
    return sh("dpkg-deb", "-f", deb, name).stdout.decode().strip()


def contents(deb):
    out = sh("dpkg-deb", "-c", deb).stdout.decode()
    return {line.split()[-1].lstrip(".") for line in out.splitlines() if line.strip()}


def deps(deb):
    return [d.strip() for d in field(deb, "Depends").split(",") if d.strip()]


def unit_value(path, key):
    """Every value of key= in a unit file, in order."""
    out = []
    for line in open(path):
        if line.startswith(key + "="):
            out.append(line[len(key) + 1:].strip())
    return out


class Debs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("cpack") or not shutil.which("dpkg-deb"):
            raise unittest.SkipTest("needs cpack and dpkg-deb")
        cls.debs = build_debs()

    def test_packages_files_and_dependencies(self):
        debs = self.debs
        self.assertEqual(sorted(debs), sorted(PKGS))
        for name, deb in debs.items():
            self.assertEqual(field(deb, "Version"), VERSION)
            self.assertEqual(os.path.basename(deb),
                             "%s_%s_%s.deb" % (name, VERSION, field(deb, "Architecture")))
        self.assertEqual(field(debs["citywall-common"], "Architecture"), "all")
        self.assertEqual(field(debs["citywall-hub"], "Architecture"), "amd64")
        want = {
            "citywall-hub": ["adduser", "citywall-common (= %s)" % VERSION, "libwebsockets17",
                             "libsqlite3-0", "libsodium23", "libjansson4", "libfyaml0",
                             "libcurl4"],
            "citywall-gateway": ["adduser", "unixodbc", "libodbc2", "libwebsockets17",
                                 "libsqlite3-0", "libcurl4", "libfyaml0"],
            "citywall-wall": ["citywall-common (= %s)" % VERSION, "libsdl2-2.0-0",
                              "libgstreamer1.0-0", "gstreamer1.0-libav", "fonts-noto-cjk",
                              "libharfbuzz0b", "libfreetype6"],
            "citywall-tools": ["citywall-common (= %s)" % VERSION, "libgstrtspserver-1.0-0",
                               "gstreamer1.0-plugins-ugly"],
        }
        for name, libs in want.items():
            d = deps(debs[name])
            names = [re.split(r"[ (]", x)[0] for x in d]
            for lib in libs:
                if "(" in lib:
                    self.assertIn(lib, d, "%s Depends: %s" % (name, d))
                else:
                    self.assertIn(lib, names, "%s Depends: %s" % (name, d))
        self.assertEqual(field(debs["citywall-gateway"], "Recommends"),
                         "libsqliteodbc | odbc-postgresql, gstreamer1.0-plugins-good")
        files = {n: contents(d) for n, d in debs.items()}
        for n, paths in {
            "citywall-hub": ["/usr/bin/citywall-hub", "/etc/citywall/hub.yaml",
                             "/lib/systemd/system/citywall-hub.service",
                             "/usr/share/citywall/assets/web/index.html",
                             "/usr/share/citywall/assets/web/vendor/echarts.min.js",
                             "/usr/share/doc/citywall-hub/deploy.md"],
            "citywall-gateway": ["/usr/bin/citywall-gateway", "/etc/citywall/gateway.yaml",
                                 "/lib/systemd/system/citywall-gateway.service",
                                 "/usr/share/doc/citywall-gateway/gateway.md"],
            "citywall-wall": ["/usr/bin/citywall-wall", "/etc/citywall/wall.env",
                              "/usr/lib/systemd/user/citywall-wall.service",
                              "/usr/share/citywall/config/walls/1080p.yaml"],
            "citywall-tools": ["/usr/bin/citywall-sim", "/usr/bin/citywall-bench"],
            "citywall-common": ["/usr/share/citywall/config/demo.yaml",
                                "/usr/share/citywall/assets/map/linhai.geojson"],
        }.items():
            for p in paths:
                self.assertIn(p, files[n], "%s lacks %s" % (n, p))
        # no file is in two packages (dpkg would refuse to install them together)
        seen = {}
        for n, paths in files.items():
            for p in paths:
                if p.endswith("/"):
                    continue
                self.assertNotIn(p, seen, "%s in %s and %s" % (p, seen.get(p), n))
                seen[p] = n
        for n, conf in [("citywall-hub", "/etc/citywall/hub.yaml\n"),
                        ("citywall-gateway", "/etc/citywall/gateway.yaml\n"),
                        ("citywall-wall", "/etc/citywall/wall.env\n")]:
            tmp = tempfile.mkdtemp(prefix="cwdeb-")
            try:
                sh("dpkg-deb", "-e", debs[n], tmp)
                self.assertEqual(open(os.path.join(tmp, "conffiles")).read(), conf)
                for s in (("postinst", "prerm", "postrm") if n != "citywall-wall" else ()):
                    self.assertTrue(os.access(os.path.join(tmp, s), os.X_OK), "%s %s" % (n, s))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

    def test_units_sandboxed_and_verified(self):
        tmp = tempfile.mkdtemp(prefix="cwdeb-units-")
        try:
            for n in ("citywall-hub", "citywall-gateway", "citywall-wall"):
                sh("dpkg-deb", "-x", self.debs[n], tmp)
            units = {u: os.path.join(tmp, p) for u, p in [
                ("hub", "lib/systemd/system/citywall-hub.service"),
                ("gateway", "lib/systemd/system/citywall-gateway.service"),
                ("wall", "usr/lib/systemd/user/citywall-wall.service")]}
            for u in ("hub", "gateway"):
                path = units[u]
                for key, val in [("User", "citywall"), ("NoNewPrivileges", "yes"),
                                 ("ProtectSystem", "strict"),
                                 ("ReadWritePaths", "/var/lib/citywall"),
                                 ("Restart", "on-failure"), ("PrivateTmp", "yes"),
                                 ("ProtectHome", "yes")]:
                    self.assertEqual(unit_value(path, key), [val], "%s %s" % (u, key))
            self.assertEqual(unit_value(units["hub"], "ExecReload"), ["/bin/kill -HUP $MAINPID"])
            self.assertEqual(unit_value(units["wall"], "Restart"), ["on-failure"])
            self.assertEqual(unit_value(units["wall"], "WantedBy"), ["graphical-session.target"])
            # systemd-analyze verify: clean once installed (see Install); here only the
            # not-yet-installed /usr/bin programs may be reported
            xdg = os.path.join(tmp, "xdg")
            os.mkdir(xdg, 0o700)
            env = dict(os.environ, XDG_RUNTIME_DIR=xdg)
            for u, user in (("hub", False), ("gateway", False), ("wall", True)):
                args = ["systemd-analyze"] + (["--user"] if user else []) + ["verify", units[u]]
                p = subprocess.run(args, capture_output=True, env=env)
                lines = [ln for ln in (p.stdout + p.stderr).decode().splitlines()
                         if ln.strip() and not re.search(
                             r"Command /usr/bin/citywall-\w+ is not executable", ln)]
                self.assertEqual(lines, [], "systemd-analyze verify %s" % u)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _can_install():
    if os.environ.get("CW_DEB_INSTALL") == "0" or os.geteuid() != 0:
        return False
    return sh("dpkg-query", "-W", "citywall-hub", check=False).returncode != 0


@unittest.skipUnless(_can_install(), "needs root and no citywall packages installed "
                                     "(CW_DEB_INSTALL=0 skips)")
class Install(unittest.TestCase):
    def test_install_start_as_the_unit_does_remove_and_purge(self):
        debs = build_debs() if not hasattr(Debs, "debs") else Debs.debs
        order = ["citywall-common", "citywall-hub", "citywall-gateway", "citywall-tools",
                 "citywall-wall"]
        try:
            sh("dpkg", "-i", *[debs[n] for n in order])
            pw = sh("getent", "passwd", "citywall").stdout.decode().strip().split(":")
            self.assertEqual(pw[5], "/var/lib/citywall")
            st = os.stat("/var/lib/citywall")
            self.assertEqual(oct(st.st_mode & 0o777), "0o750")
            self.assertEqual(st.st_uid, int(pw[2]))
            conf = os.stat("/etc/citywall/hub.yaml")
            self.assertEqual(oct(conf.st_mode & 0o777), "0o640")
            self.assertEqual(conf.st_gid, int(pw[3]))
            # the units verify cleanly now that their programs are installed
            xdg = tempfile.mkdtemp(prefix="cwxdg-")
            os.chmod(xdg, 0o700)
            for args in (["verify", "/lib/systemd/system/citywall-hub.service",
                          "/lib/systemd/system/citywall-gateway.service"],
                         ["--user", "verify", "/usr/lib/systemd/user/citywall-wall.service"]):
                p = subprocess.run(["systemd-analyze"] + args, capture_output=True,
                                   env=dict(os.environ, XDG_RUNTIME_DIR=xdg))
                self.assertEqual((p.stdout + p.stderr).decode().strip(), "", args)
            shutil.rmtree(xdg, ignore_errors=True)
            # the gateway's packaged config checks as its unit's ExecStartPre does
            unit = "/lib/systemd/system/citywall-gateway.service"
            pre = shlex.split(unit_value(unit, "ExecStartPre")[0])
            p = sh("runuser", "-u", "citywall", "--", *pre, cwd="/var/lib/citywall")
            self.assertIn(b"OK (2 inputs, 1 hubs)", p.stdout)
            self._start_hub_as_unit()
            # dpkg -r keeps configs and data, dpkg -P removes them
            sh("dpkg", "-r", *reversed(order))
            self.assertFalse(os.path.exists("/usr/bin/citywall-hub"))
            self.assertTrue(os.path.exists("/etc/citywall/hub.yaml"))
            self.assertTrue(os.path.exists("/var/lib/citywall/hub.db"))
            sh("dpkg", "-P", *reversed(order))
            for p in ("/etc/citywall", "/var/lib/citywall", "/usr/share/citywall",
                      "/lib/systemd/system/citywall-hub.service", "/usr/bin/citywall-gateway"):
                self.assertFalse(os.path.exists(p), "%s left after purge" % p)
            self.assertEqual(sh("dpkg-query", "-W", "citywall-*", check=False).stdout, b"")
            # the system user stays (Debian policy)
            self.assertEqual(sh("getent", "passwd", "citywall", check=False).returncode, 0)
        finally:
            sh("dpkg", "-P", *reversed(order), check=False)

    def _start_hub_as_unit(self):
        """ExecStartPre, then ExecStart as User= in WorkingDirectory=, with the unit's
        environment (CITYWALL_HUB_ARGS set as /etc/default/citywall-hub would)."""
        unit = "/lib/systemd/system/citywall-hub.service"
        user = unit_value(unit, "User")[0]
        wd = unit_value(unit, "WorkingDirectory")[0]
        port = cwtest.free_port()
        env = {"PATH": "/usr/bin:/bin", "CITYWALL_HUB_ARGS": "--listen 127.0.0.1:%d" % port}

        def expand(cmd):
            out = []
            for w in shlex.split(cmd):
                if w.startswith("$"):
                    out += shlex.split(env.get(w[1:], ""))
                else:
                    out.append(w)
            return out
        pre = expand(unit_value(unit, "ExecStartPre")[0])
        sh("runuser", "-u", user, "--", *pre, cwd=wd)
        cmd = expand(unit_value(unit, "ExecStart")[0])
        self.assertEqual(cmd[:5], ["/usr/bin/citywall-hub", "--config", "/etc/citywall/hub.yaml",
                                   "--db", "/var/lib/citywall/hub.db"])
        log_path = os.path.join(tempfile.gettempdir(), "cwdeb-hub-%d.log" % port)
        with open(log_path, "wb") as logf:
            proc = subprocess.Popen(["setpriv", "--reuid", user, "--regid", user,
                                     "--init-groups", "--"] + cmd, cwd=wd, env=env,
                                    stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                                    preexec_fn=cwtest._pdeathsig)
        try:
            def ready():
                if proc.poll() is not None:
                    raise AssertionError("hub exited %r: %s" %
                                         (proc.returncode, open(log_path).read()[-2000:]))
                try:
                    return cwtest.http_request(port, "GET", "/readyz", timeout=2).status == 200
                except OSError:
                    return False
            wait_until(ready, 60, interval=0.1, what="the packaged hub's /readyz")
            r = cwtest.http_request(port, "GET", "/", timeout=5)
            self.assertEqual(r.status, 200)
            self.assertIn(b"<html", r.body.lower())
            r = cwtest.http_request(port, "GET", "/map/linhai.geojson", timeout=5)
            self.assertEqual(r.status, 200)
            st = os.stat("/var/lib/citywall/hub.db")
            self.assertEqual(st.st_uid, int(sh("id", "-u", user).stdout))
            proc.terminate()
            self.assertEqual(proc.wait(30), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.remove(log_path)


if __name__ == "__main__":
    cwtest.main()
