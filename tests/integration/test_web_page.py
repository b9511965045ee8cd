"""The web page as the real binary serves it: caching, compression, CSP and --web-dir."""
import gzip
import os
import re
import shutil
import unittest

from harness import Server, TempDir

ROOT = os.path.join(os.path.dirname(__file__), "../..")


def asset_paths(index_html):
    return sorted(set(re.findall(rb'(/assets/[0-9a-f]+/[A-Za-z0-9_.-]+)"', index_html)))


class WebPageTest(unittest.TestCase):
    def test_index_assets_and_caching(self):
        with TempDir() as tmp, Server(tmp, "--demo-records", "20") as server:
            status, headers, page = server.request("/")
            self.assertEqual(status, 200)
            self.assertTrue(headers["Content-Type"].startswith("text/html"))
            self.assertEqual(headers["Cache-Control"], "no-cache")
            csp = headers["Content-Security-Policy"]
            self.assertIn("default-src 'self'", csp)
            self.assertNotIn("http", csp, "no other origin is allowed")
            self.assertNotIn("unsafe-inline", csp.split("script-src", 1)[-1].split(";")[0])
            self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
            self.assertIn(b'placeholder="e.g. firefox 68 linux"', page)
            self.assertNotIn(b"{{ASSETS}}", page)
            assets = asset_paths(page)
            self.assertTrue(any(p.endswith(b"/main.js") for p in assets), assets)
            self.assertTrue(any(p.endswith(b"/app.css") for p in assets), assets)
            version = assets[0].split(b"/")[2]

            # A build page is the same document; the script reads the id from the path.
            status, _, build_page = server.request("/builds/20190101000000")
            self.assertEqual((status, build_page), (200, page))

            # Revalidation: the ETag comes back, a matching If-None-Match gets 304 with no body.
            etag = headers["ETag"]
            status, headers304, body = server.request("/", headers={"If-None-Match": etag})
            self.assertEqual((status, body), (304, b""))
            self.assertEqual(headers304["ETag"], etag)
            status, _, _ = server.request("/", headers={"If-None-Match": 'W/' + etag})
            self.assertEqual(status, 304, "weak comparison, as RFC 9110 asks for GET")
            status, _, _ = server.request("/", headers={"If-None-Match": '"other"'})
            self.assertEqual(status, 200)

            total_compressed = len(gzip.compress(page))
            for path in assets:
                path = path.decode()
                status, plain_headers, plain = server.request(path)
                self.assertEqual(status, 200, path)
                self.assertNotIn("Content-Encoding", plain_headers)
                self.assertIn("immutable", plain_headers["Cache-Control"])
                self.assertIn("max-age=31536000", plain_headers["Cache-Control"])
                if path.endswith(".js"):
                    self.assertEqual(plain_headers["Content-Type"], "text/javascript; charset=utf-8")
                status, gz_headers, gz = server.request(path, headers={"Accept-Encoding": "gzip"})
                self.assertEqual((status, gz_headers["Content-Encoding"]), (200, "gzip"))
                self.assertEqual(gzip.decompress(gz), plain, path)
                self.assertNotEqual(gz_headers["ETag"], plain_headers["ETag"], "one validator per coding")
                status, br_headers, br = server.request(path, headers={"Accept-Encoding": "gzip, deflate, br"})
                self.assertEqual((status, br_headers["Content-Encoding"]), (200, "br"))
                self.assertLess(len(br), len(plain))
                total_compressed += len(br)
                # br refused explicitly: gzip it is.
                status, h, _ = server.request(path, headers={"Accept-Encoding": "br;q=0, gzip"})
                self.assertEqual(h.get("Content-Encoding"), "gzip")
            self.assertLessEqual(total_compressed, 100 * 1024, "page weight (compressed, all assets)")

            # Another version's asset, the index through /assets, and paths that leave the tree: 404.
            for bad in (f"/assets/000000000000/main.js", f"/assets/{version.decode()}/index.html",
                        f"/assets/{version.decode()}/nothing.js", f"/assets/{version.decode()}/..%2Fmain.js",
                        f"/assets/{version.decode()}/%2e%2e"):
                status, headers, body = server.request(bad)
                self.assertEqual(status, 404, bad)
                self.assertIn(b"error", body)

            status, headers, body = server.request("/", method="HEAD")
            self.assertEqual((status, body), (200, b""))
            status, headers, _ = server.request("/", method="POST", body=b"x")
            self.assertEqual(status, 405)

    def test_web_dir_serves_from_disk_without_restart(self):
        with TempDir() as tmp:
            web = os.path.join(tmp, "web")
            shutil.copytree(os.path.join(ROOT, "web"), web)
            data = os.path.join(tmp, "data")
            os.mkdir(data)
            with Server(data, "--demo-records", "5", "--web-dir", web) as server:
                status, _, page = server.request("/")
                self.assertEqual(status, 200)
                css = [p.decode() for p in asset_paths(page) if p.endswith(b"/app.css")][0]
                status, headers, body = server.request(css)
                self.assertEqual(status, 200)
                self.assertEqual(headers["Cache-Control"], "no-cache", "files on disk change: revalidate")
                status, headers, _ = server.request(css, headers={"Accept-Encoding": "br, gzip"})
                self.assertEqual(status, 200)
                self.assertNotIn("Content-Encoding", headers, "read per request: sent as it is")
                with open(os.path.join(web, "app.css"), "a") as f:
                    f.write("\n/* edited while the server runs */\n")
                status, _, page2 = server.request("/")
                css2 = [p.decode() for p in asset_paths(page2) if p.endswith(b"/app.css")][0]
                self.assertNotEqual(css, css2, "an edit gives the assets a new version")
                status, _, body2 = server.request(css2)
                self.assertEqual(status, 200)
                self.assertIn(b"edited while the server runs", body2)
                # The page's directory vanished: a clear server error, not a crash.
                shutil.rmtree(web)
                status, _, body = server.request("/")
                self.assertGreaterEqual(status, 500)
                self.assertIn(b"error", body)
                status, _, _ = server.request("/__lbheartbeat__")
                self.assertEqual(status, 200)

    def test_web_dir_must_exist(self):
        from harness import run
        with TempDir() as tmp:
            proc = run("serve", "--data-dir", tmp, "--listen", "127.0.0.1:0", "--web-dir",
                       os.path.join(tmp, "missing"))
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("missing", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
