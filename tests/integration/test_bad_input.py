"""Bad input gets a clear error, never a crash, and loses nothing already stored."""
import json
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, TempDir, fixture, run  # noqa: E402


def count(data):
    out = run("ingest", "--data-dir", data, "--json", "-", stdin="", check=0)
    return json.loads(out.stdout)


class BadInputTest(unittest.TestCase):
    def test_each_bad_file_is_reported_and_the_batch_goes_on(self):
        with TempDir() as tmp:
            data = os.path.join(tmp, "data")
            docs = os.path.join(tmp, "docs")
            os.makedirs(docs)
            good = open(fixture("buildhub2", "valid-buildhub.json"), "rb").read()
            # Something stored before the bad batch, which must survive it.
            run("ingest", "--data-dir", data, fixture("buildhub2", "valid-buildhub-release-channel.json"), check=0)

            cases = {
                "a-truncated.buildhub.json": (good[: len(good) // 2], "invalid JSON at byte"),
                "b-array.buildhub.json": (b"[1, 2, 3]", "expected a JSON object, got an array"),
                "c-ten-mb.buildhub.json": (b'{"pad": "' + b"x" * (10 << 20) + b'"}', "larger than the limit"),
                "d-bad-utf8.buildhub.json": (b'{"build": "\xff\xfe"}', "invalid UTF-8 in JSON at byte 11"),
                "e-schema.buildhub.json": (good.replace(b'"os": "mac"', b'"os": "beos"'),
                                           "/target/os: must be one of linux, win, mac, android, maemo"),
                "f-good.buildhub.json": (good, None),
            }
            for name, (content, _) in cases.items():
                with open(os.path.join(docs, name), "wb") as f:
                    f.write(content)
            # A link to a file that fails with EIO on read (unreadable even for root).
            os.symlink("/proc/self/mem", os.path.join(docs, "g-unreadable.buildhub.json"))

            out = run("ingest", "--data-dir", data, docs)
            self.assertEqual(out.returncode, 3, out.stderr)
            for name, (_, message) in cases.items():
                if message:
                    self.assertRegex(out.stderr, f"rejected [^\\n]*{name}: [^\\n]*{message}")
            self.assertRegex(out.stderr, "rejected [^\n]*g-unreadable.buildhub.json: read failed")
            self.assertIn("read 7, inserted 1, already present 0, rejected 6", out.stderr)

            with Server(data) as server:
                self.assertEqual(server.get_json("/api/records")[2]["builds"]["total"], 2)

    def test_bad_pushes_are_400s_recorded_and_never_500s(self):
        with TempDir() as data:
            token = "bad-input-token-0123456789"
            with open(os.path.join(data, "tokens"), "w") as f:
                f.write(token + "\n")
            with Server(data, "--push-token-file", os.path.join(data, "tokens")) as server:
                auth = {"Authorization": "Bearer " + token}
                good = open(fixture("buildhub2", "valid-buildhub.json"), "rb").read()
                bodies = [b"", b"{", b"[]", b"null", b'"str"', b"{}", b'{"build": "\xff\xfe"}', b"[" * 100000,
                          b'{"a": 1, "a": 2}', good[: len(good) // 2], good.replace(b'"os": "mac"', b'"os": 7'),
                          b"\x00" * 100, good + b"garbage"]
                for body in bodies:
                    status, _, answer = server.request("/api/builds", "POST", body, auth)
                    self.assertEqual(status, 400, (body[:40], answer[:200]))
                    self.assertTrue(json.loads(answer)["error"])
                for target in ("/api/rejections?limit=x", "/api/rejections?before=0", "/api/rejections?limit=99999",
                               "/api/rejections?%ff=1"):
                    status, _, _ = server.request(target)
                    self.assertEqual(status, 400, target)
                _, _, listed = server.get_json("/api/rejections?limit=1000")
                self.assertEqual(listed["total"], len(bodies))
                self.assertEqual(server.get_json("/api/records")[2]["builds"]["total"], 0)

    def test_bad_ndjson_lines_on_stdin(self):
        with TempDir() as data:
            good = run("demo-data", "--records", "2", "--seed", "1", check=0).stdout.splitlines()
            stdin = "\n".join([good[0], "{oops", "[]", "", "\"str\"", good[1], "{\"build\": 1}"]) + "\n"
            out = run("ingest", "--data-dir", data, "-", stdin=stdin)
            self.assertEqual(out.returncode, 3)
            self.assertIn("rejected stdin:2: invalid JSON at byte", out.stderr)
            self.assertIn("rejected stdin:3: expected a JSON object, got an array", out.stderr)
            self.assertIn("rejected stdin:5: expected a JSON object, got a string", out.stderr)
            self.assertIn("rejected stdin:7: /build: must be an object, got integer", out.stderr)
            self.assertIn("read 6, inserted 2, already present 0, rejected 4", out.stderr)

    def test_missing_path(self):
        with TempDir() as data:
            out = run("ingest", "--data-dir", data, os.path.join(data, "nope.json"))
            self.assertEqual(out.returncode, 3)
            self.assertIn("no such file or directory", out.stderr)

    def test_bad_listen_address_is_a_clear_usage_error(self):
        with TempDir() as data:
            for listen, message in (("nonsense", "expected HOST:PORT"), ("127.0.0.1:99999", "port of 0-65535"),
                                    ("999.1.1.1:80", "bad listen address"), ("[::1]", "expected [ADDRESS]:PORT")):
                out = run("serve", "--data-dir", data, "--listen", listen)
                self.assertEqual(out.returncode, 3, out.stderr)
                self.assertIn(message, out.stderr)
            with Server(data) as server:
                out = run("serve", "--data-dir", data, "--listen", f"127.0.0.1:{server.port}")
                self.assertEqual(out.returncode, 6, out.stderr)
                self.assertIn("cannot listen", out.stderr)

    def test_server_answers_client_mistakes_with_4xx(self):
        with TempDir() as data:
            with Server(data, "--max-body-bytes", "1000", "--read-timeout-ms", "2000") as server:
                def raw(payload):
                    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                        s.sendall(payload)
                        chunks = []
                        while True:
                            b = s.recv(65536)
                            if not b:
                                break
                            chunks.append(b)
                        return b"".join(chunks)
                self.assertTrue(raw(b"BLAH\r\n\r\n").startswith(b"HTTP/1.1 400"))
                self.assertTrue(raw(b"POST /api/records HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000)
                                .startswith(b"HTTP/1.1 413"))
                self.assertTrue(raw(b"GET / HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431"))
                self.assertTrue(raw(b"GET /%zz HTTP/1.1\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 400"))
                # Still alive and correct afterwards.
                self.assertEqual(server.get_json("/api/records")[2], {"builds": {"total": 0}})
            self.assertEqual(server.proc.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
