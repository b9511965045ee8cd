"""The partial service end to end on the real binary: complete MARs served by a static file
server on 127.0.0.1 (started and stopped here by process id), Senbonzakura's API and the JSON
API (by URL and by build in the hub), coalescing, refused URLs and redirects, hash mismatches,
admin routes, a worker killed mid-job whose lease expires, and polls during a job."""
import concurrent.futures
import copy
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, SHARED, ScriptServer, Server, TempDir, run  # noqa: E402
from test_partial_cli import complete_mar, same_tree, write  # noqa: E402

ADMIN = "admin-token-for-tests-0123456789"


class StaticServer(ScriptServer):
    def __init__(self, root, *extra):
        super().__init__("static_server.py", os.path.dirname(os.path.abspath(root)), root, "PORT_FILE", *extra)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"


def sha512(path):
    with open(path, "rb") as f:
        return hashlib.sha512(f.read()).hexdigest()


def make_pair(d, size=300_000, seed=7):
    """Two trees and their complete MARs; returns (from_tree, to_tree, from_mar, to_mar)."""
    rng = random.Random(seed)
    big_old = bytes(rng.getrandbits(8) for _ in range(size))
    big_new = big_old[: size // 3] + b"a new function" + big_old[size // 3:]
    trees = []
    for name, app, extra in (("from", big_old, b"old"), ("to", big_new, b"new")):
        tree = os.path.join(d, name)
        write(os.path.join(tree, "libxul.so"), app, 0o755)
        write(os.path.join(tree, "omni.ja"), b"omni " + extra * 100)
        write(os.path.join(tree, "precomplete"), b'remove "libxul.so"\n')
        trees.append(tree)
    return trees


def form(**fields):
    return urllib.parse.urlencode(fields).encode()


def wait_state(server, path, states, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, _, body = server.request(path)
        doc = json.loads(body) if body[:1] == b"{" else {}
        if doc.get("state") in states or (status == 200 and "done" in states and not body.startswith(b"{")):
            return status, doc, body
        time.sleep(0.1)
    raise AssertionError(f"{path} never reached {states}: {status} {body[:300]}")


class PartialService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.d = cls.tmp.__enter__()
        cls.www = os.path.join(cls.d, "www")
        rel = "pub/firefox/releases/{v}/update/linux-x86_64/en-US/firefox-{v}.complete.mar"
        cls.from_tree, cls.to_tree = make_pair(cls.d)
        cls.from_mar = os.path.join(cls.www, rel.format(v="1.0"))
        cls.to_mar = os.path.join(cls.www, rel.format(v="2.0"))
        os.makedirs(os.path.dirname(cls.from_mar))
        os.makedirs(os.path.dirname(cls.to_mar))
        complete_mar(cls.from_tree, cls.from_mar, "1.0", "test-channel")
        complete_mar(cls.to_tree, cls.to_mar, "2.0", "test-channel")
        with open(os.path.join(cls.d, "redirects.json"), "w") as f:
            json.dump({"/moved.mar": "/" + rel.format(v="1.0"), "/to-localhost.mar": "http://localhost:1/x.mar"}, f)
        cls.static = StaticServer(cls.www, "--redirects", os.path.join(cls.d, "redirects.json")).__enter__()
        cls.data = os.path.join(cls.d, "data")
        os.makedirs(cls.data)
        # Two builds in the hub whose complete MARs the default URL template finds on the static server.
        with open(os.path.join(SHARED, "fixtures/buildhub2/valid-buildhub-release-channel.json")) as f:
            base = json.load(f)
        for v, build_id in (("1.0", "20260101000000"), ("2.0", "20260201000000")):
            rec = copy.deepcopy(base)
            rec["build"]["id"] = build_id
            rec["target"].update(version=v, platform="linux-x86_64", locale="en-US", os="linux")
            rec["download"]["url"] = cls.static.url(f"/pub/firefox/releases/{v}/linux-x86_64/en-US/firefox-{v}.tar.bz2")
            write(os.path.join(cls.d, "records", f"{v}.buildhub.json"), json.dumps(rec).encode())
        run("ingest", "--data-dir", cls.data, os.path.join(cls.d, "records"), check=0)
        env_tokens = os.path.join(cls.d, "admin-tokens")
        write(env_tokens, (ADMIN + "\n").encode())
        cls.server = Server(cls.data, "--workers", "2", "--fetch-allow-host", "127.0.0.1,localhost",
                            "--fetch-allow-internal", "127.0.0.1", "--admin-token-file", env_tokens,
                            "--retry-pause-ms", "100").__enter__()
        cls.fields = dict(mar_from=cls.static.url("/" + rel.format(v="1.0")), mar_to=cls.static.url("/" + rel.format(v="2.0")),
                          mar_from_hash=sha512(cls.from_mar), mar_to_hash=sha512(cls.to_mar))

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.static.__exit__(None, None, None)
        cls.tmp.__exit__(None, None, None)

    def apply_and_compare(self, mar_bytes):
        out = os.path.join(self.d, f"p-{time.time_ns()}.mar")
        with open(out, "wb") as f:
            f.write(mar_bytes)
        install = os.path.join(self.d, f"install-{time.time_ns()}")
        subprocess.run(["cp", "-a", self.from_tree, install], check=True)
        run("apply", out, install, check=0)
        self.assertTrue(same_tree(install, self.to_tree))

    def test_senbonzakura_api_end_to_end(self):
        status, _, body = self.server.request("/partial", "POST", form(**self.fields),
                                              {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertIn(status, (201, 202), body)
        ident = json.loads(body).get("identifier") or json.loads(body)["result"].rsplit("/", 1)[1]
        self.assertEqual(ident, f"{self.fields['mar_from_hash']}-{self.fields['mar_to_hash']}")
        status, doc, mar = wait_state(self.server, f"/partial/{ident}", {"done", "failed"})
        self.assertEqual(status, 200, doc)
        self.apply_and_compare(mar)
        # Known now: 201 with the URL; the v1 form too.
        status, _, body = self.server.request("/v1/partial", "POST", json.dumps(self.fields).encode(),
                                              {"Content-Type": "application/json"})
        self.assertEqual(status, 201, body)
        self.assertTrue(json.loads(body)["result"].endswith(f"/partial/{ident}"))
        # Ranges, ETags, the job's record.
        status, headers, part = self.server.request(f"/partial/{ident}", headers={"Range": "bytes=10-19"})
        self.assertEqual((status, part), (206, mar[10:20]))
        self.assertEqual(headers["Content-Range"], f"bytes 10-19/{len(mar)}")
        status, _, _ = self.server.request(f"/partial/{ident}", headers={"If-None-Match": headers["ETag"]})
        self.assertEqual(status, 304)
        status, _, _ = self.server.request(f"/partial/{ident}", headers={"Range": f"bytes={len(mar)}-"})
        self.assertEqual(status, 416)
        status, _, job = self.server.get_json(f"/api/partials/{ident}")
        self.assertEqual(job["state"], "done")
        self.assertEqual(job["sha512"], hashlib.sha512(mar).hexdigest())
        self.assertEqual(job["size"], len(mar))
        for phase in ("download", "extract", "diff", "compress", "write"):
            self.assertIn(phase, job["timings"])
        self.assertTrue(any(line.startswith("patch") for line in job["manifest"]), job["manifest"])

    def test_by_build_in_the_hub(self):
        body = {"from": {"build_id": "20260101000000", "platform": "linux-x86_64", "locale": "en-US"},
                "to": {"product": "firefox", "version": "2.0", "platform": "linux-x86_64", "locale": "en-US",
                       "channel": "release"},
                "channel_id": "test-channel"}
        status, _, raw = self.server.request("/api/partials", "POST", json.dumps(body).encode())
        self.assertIn(status, (200, 202), raw)
        job = json.loads(raw)
        self.assertTrue(job["request"]["from"]["url"].endswith("/releases/1.0/update/linux-x86_64/en-US/firefox-1.0.complete.mar"))
        status, doc, _ = wait_state(self.server, f"/api/partials/{job['id']}", {"done", "failed"})
        self.assertEqual(doc["state"], "done", doc)
        status, _, mar = self.server.request(f"/api/partials/{job['id']}/mar")
        self.assertEqual(status, 200)
        self.apply_and_compare(mar)
        # A build that is not there, named in the answer.
        missing = copy.deepcopy(body)
        missing["from"]["build_id"] = "19990101000000"
        status, _, raw = self.server.request("/api/partials", "POST", json.dumps(missing).encode())
        self.assertEqual(status, 404, raw)
        self.assertIn("19990101000000", json.loads(raw)["error"])

    def test_identical_concurrent_requests_run_one_job(self):
        fields = dict(self.fields, product_version="2.0-coalesce")
        def post(_):
            return self.server.request("/partial", "POST", form(**fields), {"Content-Type": "application/x-www-form-urlencoded"})
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(post, range(32)))
        ids = {json.loads(b).get("identifier") or json.loads(b)["result"].rsplit("/", 1)[1] for s, _, b in answers}
        self.assertEqual(len(ids), 1)
        self.assertTrue(all(s in (201, 202) for s, _, _ in answers))
        ident = ids.pop()
        _, doc, _ = wait_state(self.server, f"/api/partials/{ident}", {"done", "failed"})
        self.assertEqual(doc["state"], "done")
        self.assertEqual(doc["attempts"], 1)
        _, _, listing = self.server.get_json("/api/partials?limit=500")
        self.assertEqual(sum(1 for j in listing["partials"] if j["id"] == ident), 1)

    def test_hash_mismatch_fails_with_a_clear_error_and_admin_can_retry(self):
        fields = dict(self.fields, mar_from_hash="0" * 128)
        status, _, body = self.server.request("/partial", "POST", form(**fields), {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 202, body)
        ident = json.loads(body)["identifier"]
        _, doc, _ = wait_state(self.server, f"/api/partials/{ident}", {"failed", "done"})
        self.assertEqual(doc["state"], "failed")
        self.assertIn("SHA-512 mismatch", doc["error"])
        status, _, body = self.server.request(f"/partial/{ident}")
        self.assertEqual(status, 409)
        self.assertIn("SHA-512 mismatch", json.loads(body)["error"])
        # Admin routes need the token.
        self.assertEqual(self.server.request(f"/api/partials/{ident}/retry", "POST")[0], 401)
        self.assertEqual(self.server.request("/api/admin/stats", headers={"Authorization": "Bearer wrong-token-wrong-token"})[0], 401)
        auth = {"Authorization": f"Bearer {ADMIN}"}
        status, _, body = self.server.request(f"/api/partials/{ident}/retry", "POST", headers=auth)
        self.assertEqual(status, 202, body)
        _, doc, _ = wait_state(self.server, f"/api/partials/{ident}", {"failed"})
        self.assertEqual(doc["attempts"], 1)
        status, _, body = self.server.request(f"/api/partials/{ident}", "DELETE", headers=auth)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.server.request(f"/api/partials/{ident}")[0], 404)
        for bad in (b"[", b"[" * 4000, b'{"level": "everything"}', b'{"hash": "abc"}', b'{"level": 3}'):
            status, _, body = self.server.request("/api/admin/caches/drop", "POST", bad, auth)
            self.assertEqual(status, 400, (bad[:20], body))
            self.assertIn("error", json.loads(body))
        status, _, stats = self.server.request("/api/admin/stats", headers=auth)
        self.assertEqual(status, 200)
        self.assertIn("complete", json.loads(stats)["caches"])

    def test_refused_urls_and_redirects(self):
        # A host not on the list: refused at once.
        fields = dict(self.fields, mar_from="http://example.invalid/x.mar")
        status, _, body = self.server.request("/partial", "POST", form(**fields), {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 400)
        self.assertIn("example.invalid", json.loads(body)["error"])
        # A redirect to localhost (allowed as a name, but its loopback address is not allowed). FROM is
        # cached by its hash from the other tests: drop it, so it is fetched.
        status, _, body = self.server.request("/api/admin/caches/drop", "POST", b'{"level": "complete"}',
                                              {"Authorization": f"Bearer {ADMIN}"})
        self.assertEqual(status, 200, body)
        fields = dict(self.fields, mar_from=self.static.url("/to-localhost.mar"), product_version="redirect")
        status, _, body = self.server.request("/partial", "POST", form(**fields), {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 202, body)
        _, doc, _ = wait_state(self.server, f"/api/partials/{json.loads(body)['identifier']}", {"failed", "done"})
        self.assertEqual(doc["state"], "failed")
        self.assertIn("loopback", doc["error"])
        self.assertIn("redirected", doc["error"])
        # An allowed redirect is followed.
        fields = dict(self.fields, mar_from=self.static.url("/moved.mar"), product_version="moved")
        status, _, body = self.server.request("/partial", "POST", form(**fields), {"Content-Type": "application/x-www-form-urlencoded"})
        _, doc, _ = wait_state(self.server, f"/api/partials/{json.loads(body)['identifier']}", {"failed", "done"})
        self.assertEqual(doc["state"], "done", doc)

    def test_bad_requests_and_unknown_identifiers(self):
        status, _, body = self.server.request("/partial", "POST", form(mar_from="ftp://x"), {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 400)
        error = json.loads(body)["error"]
        for field in ("mar_from", "mar_to", "mar_from_hash", "mar_to_hash"):
            self.assertIn(field, error)
        for bad in (b"", b"[", b"[]", b'{"from": 1}', b'{"from": {"url": "http://127.0.0.1/x", "sha512": "zz"}}',
                    b"[" * 5000, b'{"from": {}, "to": {}, "extra": 1}'):
            status, _, body = self.server.request("/api/partials", "POST", bad)
            self.assertEqual(status, 400, (bad[:40], body))
            self.assertIn("error", json.loads(body))
        self.assertEqual(self.server.request("/partial/" + "a" * 128 + "-" + "b" * 128)[0], 404)
        self.assertEqual(self.server.request("/api/partials/not-an-id")[0], 404)
        self.assertEqual(self.server.request("/api/partials?state=bogus")[0], 400)

    def test_polls_and_downloads_while_a_job_runs(self):
        status, _, body = self.server.request("/partial", "POST", form(**self.fields), {"Content-Type": "application/x-www-form-urlencoded"})
        done_id = json.loads(body).get("identifier") or json.loads(body)["result"].rsplit("/", 1)[1]
        wait_state(self.server, f"/partial/{done_id}", {"done"})
        fields = dict(self.fields, product_version="busy")
        status, _, body = self.server.request("/partial", "POST", form(**fields), {"Content-Type": "application/x-www-form-urlencoded"})
        running = json.loads(body)["identifier"]
        def hit(i):
            path = f"/api/partials/{running}" if i % 2 else f"/partial/{done_id}"
            return self.server.request(path)[0]
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(hit, range(100)))
        self.assertTrue(all(s in (200, 202) for s in statuses), statuses)
        self.assertEqual(self.server.request("/__heartbeat__")[0], 200)
        wait_state(self.server, f"/api/partials/{running}", {"done"})


class KilledWorker(unittest.TestCase):
    def test_a_killed_workers_job_completes_elsewhere_byte_identical(self):
        with TempDir() as d:
            www = os.path.join(d, "www")
            os.makedirs(www)
            from_tree, to_tree = make_pair(d, size=1_500_000, seed=11)
            complete_mar(from_tree, os.path.join(www, "from.mar"), "1.0")
            complete_mar(to_tree, os.path.join(www, "to.mar"), "2.0")
            reference = os.path.join(d, "reference.mar")
            run("partial", os.path.join(www, "from.mar"), os.path.join(www, "to.mar"), "-o", reference, "--no-cache", check=0)
            data = os.path.join(d, "data")
            os.makedirs(data)
            common = ["--fetch-allow-host", "127.0.0.1", "--fetch-allow-internal", "127.0.0.1", "--lease-ms", "1500",
                      "--job-poll-ms", "100"]
            # A slow mirror: the download alone takes about three seconds.
            with StaticServer(www, "--rate", "500000") as static, Server(data, "--workers", "0", *common) as server:
                log_a = open(os.path.join(d, "worker-a.log"), "wb")
                worker_a = subprocess.Popen([BIN, "worker", "--data-dir", data, *common], stdout=log_a, stderr=log_a)
                fields = dict(mar_from=static.url("/from.mar"), mar_to=static.url("/to.mar"),
                              mar_from_hash=sha512(os.path.join(www, "from.mar")), mar_to_hash=sha512(os.path.join(www, "to.mar")))
                status, _, body = server.request("/partial", "POST", form(**fields), {"Content-Type": "application/x-www-form-urlencoded"})
                ident = json.loads(body)["identifier"]
                _, doc, _ = wait_state(server, f"/api/partials/{ident}", {"running"}, timeout=30)
                self.assertIn(f":{worker_a.pid}:", doc["worker"])
                os.kill(worker_a.pid, signal.SIGKILL)
                worker_a.wait()
                log_a.close()
                log_b = open(os.path.join(d, "worker-b.log"), "wb")
                worker_b = subprocess.Popen([BIN, "worker", "--data-dir", data, *common], stdout=log_b, stderr=log_b)
                try:
                    _, doc, _ = wait_state(server, f"/api/partials/{ident}", {"done", "failed"}, timeout=120)
                    self.assertEqual(doc["state"], "done", doc)
                    self.assertEqual(doc["attempts"], 2)
                    self.assertIn(f":{worker_b.pid}:", doc["worker"])
                    status, _, mar = server.request(f"/partial/{ident}")
                    self.assertEqual(status, 200)
                    with open(reference, "rb") as f:
                        self.assertEqual(mar, f.read())
                finally:
                    os.kill(worker_b.pid, signal.SIGTERM)
                    worker_b.wait(timeout=60)
                    log_b.close()


if __name__ == "__main__":
    unittest.main()
