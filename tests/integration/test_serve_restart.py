"""Ingest a directory, serve, query over HTTP, SIGTERM, restart on the same data: nothing lost."""
import json
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, TempDir, run  # noqa: E402


class ServeRestartTest(unittest.TestCase):
    def test_ingest_serve_restart(self):
        with TempDir() as tmp:
            data = os.path.join(tmp, "data")
            docs = os.path.join(tmp, "docs")
            run("demo-data", "--records", "300", "--seed", "5", "--out", docs, check=0)
            out = run("ingest", "--data-dir", data, "--json", docs, check=0)
            self.assertEqual(json.loads(out.stdout)["inserted"], 300)

            server = Server(data).start()
            try:
                status, headers, body = server.get_json("/api/records")
                self.assertEqual(status, 200)
                self.assertEqual(body, {"builds": {"total": 300}})
                self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
                self.assertIn("X-Response-Time", headers)

                # Another process adds records while the server runs (WAL, two connections).
                run("demo-data", "--records", "20", "--seed", "6", "--out", os.path.join(tmp, "more.ndjson"), check=0)
                run("ingest", "--data-dir", data, "-q", os.path.join(tmp, "more.ndjson"), check=0)
                self.assertEqual(server.get_json("/api/records")[2]["builds"]["total"], 320)
            finally:
                self.assertEqual(server.stop(signal.SIGTERM), 0, server.read_log())
            self.assertIn('"msg":"shutdown requested"', server.read_log())
            self.assertIn('"signal":"SIGTERM"', server.read_log())

            with Server(data) as again:
                self.assertEqual(again.get_json("/api/records")[2], {"builds": {"total": 320}})
                # The same content again is still stored once.
                out = run("ingest", "--data-dir", data, "--json", docs, check=0)
                self.assertEqual(json.loads(out.stdout)["already_present"], 300)
                self.assertEqual(again.get_json("/api/records")[2]["builds"]["total"], 320)
            self.assertEqual(again.proc.returncode, 0)

    def test_sigint_also_stops_cleanly(self):
        with TempDir() as tmp:
            server = Server(tmp).start()
            self.assertEqual(server.stop(signal.SIGINT), 0)
            self.assertIn('"signal":"SIGINT"', server.read_log())

    def test_ops_endpoints(self):
        with TempDir() as tmp:
            with Server(tmp, "--demo-records", "50") as server:
                status, _, body = server.get_json("/__heartbeat__")
                self.assertEqual((status, body["status"], body["checks"]["store"]), (200, "ok", "ok"))
                status, _, body = server.get_json("/__lbheartbeat__")
                self.assertEqual(status, 200)
                status, _, body = server.get_json("/__version__")
                self.assertEqual(status, 200)
                self.assertEqual(set(body), {"source", "version", "commit", "build"})
                # Demo data on first start with an empty store.
                self.assertEqual(server.get_json("/api/records")[2]["builds"]["total"], 50)
                status, headers, text = server.request("/metrics")
                self.assertEqual(status, 200)
                self.assertTrue(headers["Content-Type"].startswith("text/plain"))
                self.assertIn(b'buildhub_http_requests_total{action="records_count",method="GET",status="200"} 1',
                              text)
                self.assertIn(b"# TYPE buildhub_http_request_duration_seconds histogram", text)
                status, headers, page = server.request("/")
                self.assertEqual(status, 200)
                self.assertIn(b'<input id="q"', page)
                self.assertEqual(headers["Cache-Control"], "no-cache")
                self.assertIn("default-src 'self'", headers["Content-Security-Policy"])
                status, _, body = server.get_json("/api/nothing-here")
                self.assertEqual(status, 404)
                self.assertIn("error", body)
                status, headers, _ = server.request("/api/records", method="DELETE")
                self.assertEqual(status, 405)
                self.assertEqual(headers["Allow"], "GET, HEAD")
            # Demo data is only for an empty store: a restart does not add more.
            with Server(tmp, "--demo-records", "50") as server:
                self.assertEqual(server.get_json("/api/records")[2]["builds"]["total"], 50)


if __name__ == "__main__":
    unittest.main(verbosity=2)
