"""A backfill of 10,000 keys from s3rver on 127.0.0.1 (1,000 of them buildhub.json: valid ones,
invalid ones, duplicates of others' content), pages of 1,000: exact counts; killed with SIGKILL
mid-way and resumed (nothing missed, nothing doubled); run again (nothing new); one object changed
(one new record); and the S3 server stopped and restarted in the middle of a run."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Server, TempDir, fixture, run  # noqa: E402
from sync_servers import S3rver, S3Writer, stop_all  # noqa: E402

VALID = json.load(open(fixture("buildhub2", "valid-buildhub.json")))
KEYS, MATCHED, INVALID, DUPLICATES = 10_000, 1_000, 50, 50
UNIQUE = MATCHED - INVALID - DUPLICATES


def doc(i):
    d = json.loads(json.dumps(VALID))
    d["build"]["id"] = "2019%010d" % i
    return json.dumps(d)


def objects():
    """10,000 keys in 100 folders; every tenth is a buildhub.json."""
    items, valid_bodies = [], []
    for i in range(KEYS):
        folder = "pub/firefox/nightly/%03d" % (i % 100)
        if i % 10:
            items.append(("%s/file-%05d.txt" % (folder, i), "x"))
            continue
        n = i // 10
        if n < INVALID:
            body = json.dumps({"build": {"id": n}})
        elif n < INVALID + DUPLICATES:
            body = None  # filled below with an earlier valid document
        else:
            body = doc(n)
            valid_bodies.append(body)
        items.append(("%s/firefox-%05d.en-US.linux-x86_64.buildhub.json" % (folder, i), body))
    dup = 0
    for j, (key, body) in enumerate(items):
        if body is None:
            items[j] = (key, valid_bodies[dup])
            dup += 1
    return items


class SyncBackfillTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp_ctx = TempDir()
        cls.tmp = cls.tmp_ctx.__enter__()
        cls.s3 = S3rver(os.path.join(cls.tmp, "s3"), ["archive"])
        cls.items = objects()
        S3Writer(cls.s3.endpoint, threads=16).put_many("archive", cls.items)

    @classmethod
    def tearDownClass(cls):
        stop_all(cls.s3)
        cls.tmp_ctx.__exit__(None, None, None)

    def backfill(self, data, *extra):
        out = run("backfill", "--data-dir", data, "--bucket", self.s3.url("archive"), "--json", "-q", *extra)
        self.assertIn(out.returncode, (0, 3), out.stderr[-3000:])
        return json.loads(out.stdout)

    def totals(self, data):
        with Server(data) as server:
            _, _, records = server.get_json("/api/records")
            _, _, rejections = server.get_json("/api/rejections?limit=1")
        return records["builds"]["total"], rejections["total"]

    def state_pages(self, data):
        d = os.path.join(data, "backfill")
        if not os.path.isdir(d):
            return 0
        for name in os.listdir(d):
            if ".tmp." in name:
                # An atomic write's temporary file: the state it holds is not the state until
                # the rename (a SIGKILL can land between the two and leave it behind).
                continue
            try:
                with open(os.path.join(d, name)) as f:
                    return json.load(f)["pages"]
            except (OSError, ValueError):
                return 0
        return 0

    def test_counts_kill_resume_rerun_and_change(self):
        with TempDir() as data:
            # Killed with SIGKILL after a few committed pages.
            proc = subprocess.Popen([BIN, "backfill", "--data-dir", data, "--bucket", self.s3.url("archive"),
                                     "--jobs", "2", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 120
            while self.state_pages(data) < 3 and proc.poll() is None and time.time() < deadline:
                time.sleep(0.005)
            self.assertIsNone(proc.poll(), "the backfill finished before it could be killed")
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            killed_at = self.state_pages(data)
            self.assertGreaterEqual(killed_at, 3)
            self.assertLess(killed_at, 10)

            resumed = self.backfill(data, "--resume")
            self.assertTrue(resumed["resumed"])
            self.assertEqual(resumed["listed"], KEYS - killed_at * 1000)
            records, rejections = self.totals(data)
            self.assertEqual((records, rejections), (UNIQUE, INVALID))  # nothing missed, nothing doubled

            again = self.backfill(data)
            self.assertEqual((again["listed"], again["matched"], again["unchanged"], again["downloaded"],
                              again["inserted"], again["rejected"]), (KEYS, MATCHED, MATCHED, 0, 0, 0))

            # One object changes (one no other key duplicates): one new record.
            key = "pub/firefox/nightly/090/firefox-09990.en-US.linux-x86_64.buildhub.json"
            self.assertIn(key, dict(self.items))
            S3Writer(self.s3.endpoint).put("archive", key, doc(999_999))
            changed = self.backfill(data)
            self.assertEqual((changed["downloaded"], changed["inserted"], changed["unchanged"]), (1, 1, MATCHED - 1))
            self.assertEqual(self.totals(data), (UNIQUE + 1, INVALID))

    def test_exact_counts_with_the_s3_server_restarted_mid_run(self):
        with TempDir() as data:
            proc = subprocess.Popen([BIN, "backfill", "--data-dir", data, "--bucket", self.s3.url("archive"),
                                     "--jobs", "2", "--json", "-q", "--max-attempts", "30"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.time() + 120
            while self.state_pages(data) < 2 and proc.poll() is None and time.time() < deadline:
                time.sleep(0.005)
            self.assertIsNone(proc.poll(), "the backfill finished before the server could be stopped")
            self.s3.stop()
            time.sleep(1.5)
            self.s3.start()  # same port, same objects
            out, err = proc.communicate(timeout=300)
            self.assertEqual(proc.returncode, 3, err[-3000:])  # rejections, not a failure
            summary = json.loads(out)
            self.assertEqual((summary["listed"], summary["matched"], summary["downloaded"], summary["inserted"],
                              summary["already_present"], summary["rejected"]),
                             (KEYS, MATCHED, MATCHED, UNIQUE, DUPLICATES, INVALID))
            self.assertIn('"msg":"retrying"', err)
            self.assertEqual(self.totals(data), (UNIQUE, INVALID))


if __name__ == "__main__":
    unittest.main()
