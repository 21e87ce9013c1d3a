"""Error answers for people and for programs (issue 12 item 7): a browser that navigates to a bad
URL (Accept: text/html) gets a page in Chinese and English with the hub's message, the same status
and a link back to the dashboard; API clients (no Accept, or application/json, e.g. the
dashboard's own fetch and curl) keep SPEC §7's JSON {"error"}."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cwtest  # noqa: E402

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
hub = None


def setUpModule():
    global hub
    hub = cwtest.Hub()


def tearDownModule():
    if hub:
        hub.close()


class TestErrorPages(unittest.TestCase):
    def get(self, path, headers=None, cookie=None):
        return hub.request("GET", path, headers=headers, cookie=cookie)

    def assert_page(self, r, status, words):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.header("content-type").startswith("text/html"), r.header("content-type"))
        body = r.body.decode("utf-8")
        self.assertIn('data-error="%d"' % status, body)
        self.assertIn('href="/"', body)
        for w in words:
            self.assertIn(w, body)
        return body

    def assert_json(self, r, status):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.header("content-type").startswith("application/json"), r.header("content-type"))
        self.assertIn("error", json.loads(r.body))

    def test_bad_url(self):
        body = self.assert_page(self.get("/no/such/page", HTML), 404,
                                ["页面不存在", "Page not found", "no such resource: /no/such/page"])
        self.assertNotIn('{"error"', body)
        self.assert_json(self.get("/no/such/page"), 404)
        self.assert_json(self.get("/no/such/page", {"Accept": "application/json"}), 404)

    def test_markup_in_the_url_is_escaped(self):
        body = self.assert_page(self.get("/x%3Cscript%3Ealert(1)%3C/script%3E", HTML), 404, [])
        self.assertNotIn("<script>", body)
        self.assertIn("&lt;script&gt;", body)

    def test_other_hall_and_unknown_hall(self):
        lh03 = hub.cookie("lh03")
        self.assert_page(self.get("/api/v1/halls/LH-05", HTML, cookie=lh03), 403, ["无权访问", "Forbidden"])
        self.assert_json(self.get("/api/v1/halls/LH-05", cookie=lh03), 403)
        city = hub.cookie("city")
        self.assert_page(self.get("/api/v1/halls/LH-99", HTML, cookie=city), 404, ["页面不存在", "LH-99"])
        self.assert_json(self.get("/api/v1/halls/LH-99", cookie=city), 404)

    def test_success_is_untouched(self):
        r = self.get("/api/v1/halls/LH-03", HTML, cookie=hub.cookie("lh03"))
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.body)["id"], "LH-03")
        r = self.get("/", HTML)
        self.assertEqual(r.status, 200)
        self.assertIn(b"js/main.js", r.body)


if __name__ == "__main__":
    cwtest.main()
