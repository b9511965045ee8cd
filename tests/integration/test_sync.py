"""Archive sync against real servers on 127.0.0.1: s3rver (S3), fauxqs (SQS), and a proxy that
checks every SigV4 signature with botocore. Backfill, the S3-event daemon (inside `serve` and
alone), the push endpoint, rejections, and faults (a stalling server, wrong credentials)."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, TempDir, fixture, run, wait_until  # noqa: E402
from sync_servers import Fauxqs, S3rver, S3Writer, free_port, s3_event, stop_all, wait_for_port  # noqa: E402

VALID = json.load(open(fixture("buildhub2", "valid-buildhub.json")))
CREDS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}


def record(build_id, channel="nightly"):
    doc = json.loads(json.dumps(VALID))
    doc["build"]["id"] = build_id
    doc["target"]["channel"] = channel
    return doc


def search_build_id(server, build_id):
    body = json.dumps({"query": {"term": {"build.id": build_id}}, "size": 10}).encode()
    status, _, data = server.request("/api/search", "POST", body, {"Content-Type": "application/json"})
    assert status == 200, data
    return json.loads(data)["hits"]["total"]


class SigV4Proxy:
    """tests/integration/sigv4_proxy.py under Debian's python (botocore), stopped by PID."""

    def __init__(self, upstream_port, directory, secret="S3RVER"):
        self.port = free_port()
        self.counts_file = os.path.join(directory, "proxy-%d.json" % self.port)
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "sigv4_proxy.py"), str(self.port),
             str(upstream_port), "S3RVER", secret, self.counts_file],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.proc.stdout.readline()
        self.proc.stdout.close()
        wait_for_port(self.port, self.proc)

    def counts(self):
        if not os.path.exists(self.counts_file):
            return {"verified": 0, "refused": 0}
        with open(self.counts_file) as f:
            return json.load(f)

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)


class SyncTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp_ctx = TempDir()
        cls.tmp = cls.tmp_ctx.__enter__()
        cls.s3 = S3rver(os.path.join(cls.tmp, "s3"), ["archive", "events"])
        cls.writer = S3Writer(cls.s3.endpoint)

    @classmethod
    def tearDownClass(cls):
        stop_all(cls.s3)
        cls.tmp_ctx.__exit__(None, None, None)

    def test_backfill_counts_rejections_and_signed_requests_checked_by_botocore(self):
        items = [("pub/firefox/%02d/firefox-1.en-US.linux-x86_64.buildhub.json" % i, json.dumps(record("20190101%06d" % i)))
                 for i in range(20)]
        items += [("pub/firefox/dup/buildhub.json", items[0][1]),           # the same content at another key
                  ("pub/firefox/bad/buildhub.json", json.dumps({"build": {}})),  # invalid
                  ("pub/firefox/notjson/buildhub.json", "{"),
                  ("pub/firefox/readme.txt", "not a record"),
                  ("pub/firefox/buildhub.json.gz", "not a record either"),
                  ("pub/firefox/with space/a+b.buildhub.json", json.dumps(record("20190102000000")))]
        self.writer.put_many("archive", items)
        with TempDir() as data:
            proxy = SigV4Proxy(self.s3.port, data)
            try:
                dry = json.loads(run("backfill", "--data-dir", data, "--bucket", "s3://archive/pub/firefox/",
                                     "--endpoint-url", proxy.endpoint, "--json", "--dry-run", env=CREDS,
                                     check=0).stdout)
                self.assertEqual((dry["listed"], dry["matched"], dry["to_download"], dry["downloaded"]), (26, 24, 24, 0))
                metrics_file = os.path.join(data, "backfill.prom")
                out = run("backfill", "--data-dir", data, "--bucket", "s3://archive/pub/firefox/", "--endpoint-url",
                          proxy.endpoint, "--json", "--jobs", "4", "--metrics-file", metrics_file, env=CREDS)
                self.assertEqual(out.returncode, 3, out.stderr)  # something was rejected
                summary = json.loads(out.stdout)
                self.assertEqual((summary["listed"], summary["matched"], summary["downloaded"], summary["inserted"],
                                  summary["already_present"], summary["rejected"]), (26, 24, 24, 21, 1, 2), summary)
                counts = proxy.counts()
                self.assertGreaterEqual(counts["verified"], 25)
                self.assertEqual(counts["refused"], 0)
                self.assertIn("rejected s3://archive/pub/firefox/bad/buildhub.json", out.stderr)
                with open(metrics_file) as f:
                    metrics = f.read()
                for line in ("buildhub_backfill_listed_total 26", "buildhub_backfill_matched_total 24",
                             "buildhub_backfill_inserted_total 21", "buildhub_backfill_not_inserted_total 1",
                             "buildhub_backfill_rejected_total 2", "buildhub_backfill_seconds_count 1"):
                    self.assertIn(line, metrics)

                # Again: every key is known (stored or rejected), nothing is downloaded.
                again = json.loads(run("backfill", "--data-dir", data, "--bucket", proxy.endpoint + "/archive/pub/firefox/",
                                       "--json", env=CREDS, check=0).stdout)
                self.assertEqual((again["unchanged"], again["downloaded"], again["inserted"]), (24, 0, 0))

                # A wrong secret: S3 refuses, the run says so and stops (exit 6), nothing is lost.
                wrong = run("backfill", "--data-dir", data, "--bucket", "s3://archive/pub/", "--endpoint-url",
                            proxy.endpoint, "--max-attempts", "1",
                            env={"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "wrong"})
                self.assertEqual(wrong.returncode, 6, wrong.stderr)
                self.assertIn("refused access", wrong.stderr)
                self.assertIn("SignatureDoesNotMatch", wrong.stderr)
            finally:
                proxy.stop()
            with Server(data) as server:
                _, _, rejections = server.get_json("/api/rejections")
                self.assertEqual(rejections["total"], 2)
                keys = sorted(r["key"] for r in rejections["rejections"])
                self.assertEqual(keys, ["pub/firefox/bad/buildhub.json", "pub/firefox/notjson/buildhub.json"])
                self.assertTrue(all(r["source"] == "backfill" and r["etag"] and r["reason"] for r in rejections["rejections"]))
                self.assertEqual(search_build_id(server, "20190102000000"), 1)  # the key with a space and a '+'

    def test_events_inside_serve_with_poison_and_missing_keys(self):
        queue = Fauxqs()
        try:
            url = queue.create_queue("buildhub-events")
            with TempDir() as data:
                server = Server(data, "--queue", url, "--s3-endpoint-url", self.s3.endpoint, "--wait-seconds", "1")
                with server:
                    send_times = {}
                    for i, sns in enumerate((False, True)):
                        key = "pub/events/%d/buildhub.json" % i
                        build_id = "2020020200000%d" % i
                        etag = self.writer.put("events", key, json.dumps(record(build_id)))
                        send_times[build_id] = time.time()
                        queue.send(url, s3_event("events", key, etag, sns=sns))
                        wait_until(lambda: search_build_id(server, build_id) == 1, what=build_id)
                    # Poison: not JSON, not an S3 event, an invalid record; then a 404 key; then a good one.
                    queue.send(url, "this is not json")
                    queue.send(url, json.dumps({"hello": "world"}))
                    bad_etag = self.writer.put("events", "pub/events/bad/buildhub.json", json.dumps({"build": 1}))
                    queue.send(url, s3_event("events", "pub/events/bad/buildhub.json", bad_etag))
                    queue.send(url, s3_event("events", "pub/events/gone/buildhub.json", "0" * 32))
                    queue.send(url, s3_event("events", "pub/events/notes.txt", "1" * 32))
                    etag = self.writer.put("events", "pub/events/9/buildhub.json", json.dumps(record("20200202000009")))
                    queue.send(url, s3_event("events", "pub/events/9/buildhub.json", etag, sns=True))
                    wait_until(lambda: search_build_id(server, "20200202000009") == 1, what="the message after poison")
                    wait_until(lambda: queue.counts(url) == (0, 0), what="an empty queue")
                    _, _, rejections = server.get_json("/api/rejections?limit=10")
                    self.assertEqual(rejections["total"], 3)
                    reasons = [r["reason"] for r in rejections["rejections"]]
                    self.assertTrue(any("not JSON" in r for r in reasons), reasons)
                    self.assertTrue(any("not an S3 event" in r for r in reasons), reasons)
                    self.assertTrue(any(r["key"] == "pub/events/bad/buildhub.json" for r in rejections["rejections"]))
                    _, _, metrics = server.request("/metrics")
                    metrics = metrics.decode()
                    for line in ("buildhub_sqs_messages_total 8", "buildhub_sqs_inserted_total 3",
                                 "buildhub_sqs_key_matched_total 5", "buildhub_sqs_not_key_matched_total 1",
                                 "buildhub_sqs_missing_total 1", "buildhub_sqs_deleted_total 8"):
                        self.assertIn(line, metrics)
                    self.assertIn("gone/buildhub.json", server.read_log())
                self.assertEqual(server.proc.returncode, 0)
        finally:
            queue.stop()

    def test_standalone_daemon_killed_and_restarted_loses_no_message(self):
        queue = Fauxqs()
        try:
            url = queue.create_queue("restart-events")
            items = [("pub/restart/%03d/buildhub.json" % i, json.dumps(record("2021030300%04d" % i))) for i in range(60)]
            etags = self.writer.put_many("events", items)
            with TempDir() as data:
                def daemon():
                    port = free_port()
                    proc = subprocess.Popen([BIN, "daemon", "--data-dir", data, "--queue", url, "--s3-endpoint-url",
                                             self.s3.endpoint, "--wait-seconds", "1", "--visibility-timeout", "2",
                                             "--listen", "127.0.0.1:%d" % port],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                    wait_for_port(port, proc)  # listening: its signal handling is in place

                    def received():
                        with socket.create_connection(("127.0.0.1", port)) as c:
                            c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                            text = b""
                            while True:
                                chunk = c.recv(65536)
                                if not chunk:
                                    break
                                text += chunk
                        for line in text.decode().splitlines():
                            if line.startswith("buildhub_sqs_messages_total "):
                                return int(float(line.split()[1]))
                        return 0
                    return proc, received

                first, first_received = daemon()

                def trickle():
                    for key, _ in items:
                        queue.send(url, s3_event("events", key, etags[key], sns=True))
                        time.sleep(0.02)

                sender = threading.Thread(target=trickle)
                sender.start()
                wait_until(lambda: first_received() >= 10, what="the first daemon to be busy")
                os.kill(first.pid, signal.SIGKILL)  # mid-stream: messages in hand are neither deleted nor lost
                first.wait()
                sender.join()
                second, _ = daemon()
                wait_until(lambda: queue.counts(url) == (0, 0), timeout=60, what="the queue to drain")
                second.send_signal(signal.SIGTERM)
                _, err = second.communicate(timeout=30)
                self.assertEqual(second.returncode, 0, err.decode())
                with Server(data) as server:
                    _, _, total = server.get_json("/api/records")
                    self.assertEqual(total["builds"]["total"], 60)
        finally:
            queue.stop()

    def test_daemon_keeps_messages_it_cannot_handle_and_copies_release_as_beta_on_request(self):
        queue = Fauxqs()
        try:
            url = queue.create_queue("kept-events")
            release = record("20230505050505", channel="release")
            release["source"]["product"] = "firefox"
            etag = self.writer.put("events", "pub/kept/buildhub.json", json.dumps(release))
            with TempDir() as data:
                # S3 unreachable: the message stays on the queue (hidden for its retry delay), logged
                # with its receive count; nothing is stored or rejected.
                dead = free_port()
                proc = subprocess.Popen([BIN, "daemon", "--data-dir", data, "--queue", url, "--s3-endpoint-url",
                                         "http://127.0.0.1:%d" % dead, "--wait-seconds", "1", "--max-attempts", "1"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                queue.send(url, s3_event("events", "pub/kept/buildhub.json", etag))
                wait_until(lambda: queue.counts(url) == (0, 1), what="the message to be in flight")
                time.sleep(1.5)
                proc.send_signal(signal.SIGTERM)
                _, err = proc.communicate(timeout=30)
                self.assertEqual(proc.returncode, 0, err)
                self.assertIn('"msg":"message kept for a later attempt"', err)
                self.assertIn('"receive_count":1', err)
                self.assertEqual(sum(queue.counts(url)), 1)  # not deleted
                # With S3 back (and the option on), the same message is ingested twice: release and beta.
                queue.call("PurgeQueue", {"QueueUrl": url})
                queue.send(url, s3_event("events", "pub/kept/buildhub.json", etag))
                proc = subprocess.Popen([BIN, "daemon", "--data-dir", data, "--queue", url, "--s3-endpoint-url",
                                         self.s3.endpoint, "--wait-seconds", "1", "--release-as-beta"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                wait_until(lambda: queue.counts(url) == (0, 0), what="the queue to drain")
                proc.send_signal(signal.SIGTERM)
                _, err = proc.communicate(timeout=30)
                self.assertEqual(proc.returncode, 0, err)
                with Server(data) as server:
                    body = json.dumps({"query": {"term": {"build.id": "20230505050505"}},
                                       "aggs": {"c": {"terms": {"field": "target.channel"}}}, "size": 0}).encode()
                    _, _, data_ = server.request("/api/search", "POST", body, {"Content-Type": "application/json"})
                    buckets = json.loads(data_)["aggregations"]["c"]["buckets"]
                    self.assertEqual(sorted(b["key"] for b in buckets), ["beta", "release"])
        finally:
            queue.stop()

    def test_push_statuses_and_searchable_at_once(self):
        with TempDir() as data:
            token = "push-token-" + "x" * 20
            token_file = os.path.join(data, "tokens")
            with open(token_file, "w") as f:
                f.write("# build machines\n%s\n" % token)
            with Server(data, "--push-token-file", token_file) as server:
                auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
                doc = json.dumps(record("20220404040404")).encode()
                status, headers, body = server.request("/api/builds", "POST", doc, auth)
                self.assertEqual(status, 201, body)
                created = json.loads(body)
                self.assertEqual(headers["Location"], "/api/records/%d" % created["id"])
                self.assertEqual(search_build_id(server, "20220404040404"), 1)  # the very next search
                status, _, body = server.request("/api/builds", "POST", doc, auth)
                self.assertEqual((status, json.loads(body)["id"]), (200, created["id"]))
                bad = record("20220404040405")
                bad["target"]["os"] = "plan9"
                del bad["source"]
                status, _, body = server.request("/api/builds", "POST", json.dumps(bad).encode(), auth)
                self.assertEqual(status, 400)
                pointers = [e["pointer"] for e in json.loads(body)["errors"]]
                self.assertEqual(sorted(pointers), ["/source", "/target/os"])
                for headers_ in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic " + token}):
                    status, h, _ = server.request("/api/builds", "POST", doc, headers_)
                    self.assertEqual(status, 401)
                    self.assertIn("Bearer", h["WWW-Authenticate"])
                status, _, _ = server.request("/api/builds", "POST", b" " * (2 << 20), auth)
                self.assertEqual(status, 413)
                _, _, rejections = server.get_json("/api/rejections")
                self.assertEqual(rejections["total"], 1)
                self.assertEqual(rejections["rejections"][0]["source"], "push")
        with TempDir() as data:
            with Server(data) as server:  # no tokens configured: pushing is refused
                status, _, body = server.request("/api/builds", "POST", b"{}", {"Authorization": "Bearer anything"})
                self.assertEqual(status, 401)
                self.assertIn("not enabled", json.loads(body)["error"])

    def test_a_stalling_server_is_timed_out_and_retried(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        accepted = []

        def accept_and_stall():
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                accepted.append(conn)  # never answers

        threading.Thread(target=accept_and_stall, daemon=True).start()
        try:
            with TempDir() as data:
                started = time.time()
                out = run("backfill", "--data-dir", data, "--bucket",
                          "http://127.0.0.1:%d/bucket" % listener.getsockname()[1], "--timeout-ms", "300",
                          "--max-attempts", "3")
                self.assertEqual(out.returncode, 6, out.stderr)
                self.assertIn("after 3 attempts", out.stderr)
                self.assertIn("timed out", out.stderr)
                self.assertEqual(len(accepted), 3)
                self.assertLess(time.time() - started, 60)
        finally:
            listener.close()

    def test_bad_arguments_are_usage_errors(self):
        with TempDir() as data:
            for args in (["backfill", "--data-dir", data, "--bucket", "ftp://x/y"],
                         ["backfill", "--data-dir", data, "--bucket", "s3://"],
                         ["daemon", "--data-dir", data, "--queue", "not a url"]):
                out = run(*args)
                self.assertEqual(out.returncode, 3, (args, out.stderr))
                self.assertIn("buildhub:", out.stderr)
            self.assertEqual(run("backfill", "--data-dir", data).returncode, 2)  # --bucket is required
            # A damaged resume state is refused with what to do, not guessed at.
            state = os.path.join(data, "state.json")
            for damage in ("", "{", "[]", '{"bucket": 1}', "[" * 100):
                with open(state, "w") as f:
                    f.write(damage)
                out = run("backfill", "--data-dir", data, "--bucket", self.s3.url("archive"), "--state-file", state,
                          "--resume")
                self.assertEqual(out.returncode, 8, (damage, out.stderr))
                self.assertIn("is damaged", out.stderr)
                self.assertIn("run without --resume", out.stderr)


if __name__ == "__main__":
    unittest.main()
