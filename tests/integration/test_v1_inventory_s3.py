"""`buildhub inventory` end to end: an S3 inventory in s3rver (dated folders, manifest.json, CSV.gz
pieces under public/ as Mozilla publishes them) and an archive server on 127.0.0.1, both started
and stopped here by process id. The run must store exactly the records v1's functional test
expected; a second run reads the pieces from the cache, asks the archive no metadata and inserts
nothing; a piece that does not match its manifest is skipped and reported, not fatal."""
import gzip
import hashlib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, TempDir, fixture, run  # noqa: E402
from sync_servers import S3rver, S3Writer, stop_all  # noqa: E402
from test_v1_inventory import ArchiveServer, archive_content, expected_records, localized  # noqa: E402

BUCKET = "inventory"
TEMPLATE = "public/inventories/net-mozaws-prod-delivery-{inventory}/delivery-{inventory}/"


def prefix_of(inventory):
    return TEMPLATE.replace("{inventory}", inventory)


def manifest(pieces):
    """An AWS inventory manifest.json naming `pieces` ([(key relative to the bucket root, bytes)])."""
    return json.dumps({
        "sourceBucket": "net-mozaws-prod-delivery-firefox", "destinationBucket": "arn:aws:s3:::" + BUCKET,
        "version": "2016-11-30", "creationTimestamp": "1501545600000", "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size, LastModifiedDate, ETag",
        "files": [{"key": key, "size": len(body), "MD5checksum": hashlib.md5(body).hexdigest()} for key, body in pieces]})


class V1InventoryFromS3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.d = cls.tmp.__enter__()
        cls.expected = expected_records()
        cls.s3 = S3rver(os.path.join(cls.d, "s3"), [BUCKET])
        cls.archive = ArchiveServer(cls.d, archive_content(cls.expected)).__enter__()
        with open(fixture("buildhub1", "inventory-simple.csv"), "rb") as f:
            rows = [line for line in f.read().splitlines(keepends=True) if line.strip()]
        half = len(rows) // 2
        # Firefox's inventory: two pieces, the second made of two gzip members (as concatenated
        # uploads are); the archive inventory (thunderbird, mobile...): one piece of nothing useful.
        first = gzip.compress(b"".join(rows[:half]))
        second = gzip.compress(b"".join(rows[half:half + 2])) + gzip.compress(b"".join(rows[half + 2:]))
        other = gzip.compress(b'"b","pub/thunderbird/README.txt","10","2017-06-02T15:20:10.000Z","e"\n')
        ff, ar = prefix_of("firefox"), prefix_of("archive")
        ff_key = ff[len("public/"):]
        ar_key = ar[len("public/"):]
        cls.pieces = {"firefox": [(ff_key + "data/one.csv.gz", first), (ff_key + "data/two.csv.gz", second)],
                      "archive": [(ar_key + "data/three.csv.gz", other)]}
        objects = [
            # An older run whose piece is gone: reading it would fail.
            (ff + "2017-07-30T00-11Z/manifest.json", manifest([(ff_key + "data/gone.csv.gz", b"x")])),
            (ff + "2017-08-01T00-11Z/manifest.json", manifest(cls.pieces["firefox"])),
            (ff + "hive/dt=2017-08-01-00-00/symlink.txt", "not a run"),
            (ar + "2017-08-01T00-12Z/manifest.json", manifest(cls.pieces["archive"])),
        ]
        objects += [("public/" + key, body) for key, body in cls.pieces["firefox"] + cls.pieces["archive"]]
        S3Writer(cls.s3.endpoint).put_many(BUCKET, objects)

    @classmethod
    def tearDownClass(cls):
        stop_all(cls.s3)
        cls.archive.__exit__(None, None, None)
        cls.tmp.__exit__(None, None, None)

    def inventory(self, data, *extra, prefix=TEMPLATE, check=0):
        proc = run("inventory", "--data-dir", data, "--bucket", self.s3.url(BUCKET), "--no-sign-request",
                   "--prefix", prefix, "--inventory", "firefox,archive", "--archive-url", self.archive.url,
                   "--max-attempts", "2", *extra, check=check)
        return json.loads(proc.stdout), proc

    def stored(self, data):
        with Server(data) as server:
            status, _, body = server.request("/api/search", "POST", json.dumps({"size": 1000}).encode(),
                                             {"Content-Type": "application/json"})
            self.assertEqual(status, 200)
        return [hit["_source"] for hit in json.loads(body)["hits"]["hits"]]

    def test_the_newest_inventory_into_the_store_then_nothing_new(self):
        data = os.path.join(self.d, "data")
        summary, _ = self.inventory(data)
        self.assertEqual(summary["manifests"], [prefix_of("firefox") + "2017-08-01T00-11Z/manifest.json",
                                                prefix_of("archive") + "2017-08-01T00-12Z/manifest.json"])
        self.assertEqual((summary["pieces"], summary["pieces_downloaded"], summary["bad_pieces"]), (3, 3, 0))
        with open(fixture("buildhub1", "inventory-simple.csv")) as f:
            csv_rows = len([line for line in f.read().splitlines() if line.strip()])
        self.assertEqual(summary["rows"], csv_rows + 1)  # and the archive inventory's one row
        self.assertEqual((summary["records"], summary["inserted"], summary["rejected"]),
                         (len(self.expected), len(self.expected), 0))
        want = []
        for record in self.expected:
            doc = localized(record, self.archive.url)
            del doc["id"]
            want.append(doc)
        got = [{k: v for k, v in doc.items() if k != "id"} for doc in self.stored(data)]
        key = lambda r: r["download"]["url"]  # noqa: E731
        self.assertEqual(sorted(got, key=key), sorted(want, key=key))
        cache = os.path.join(data, "v1", "inventory-pieces")
        self.assertEqual(sorted(os.listdir(cache)), sorted(hashlib.md5(b).hexdigest() + ".csv.gz"
                                                           for p in self.pieces.values() for _, b in p))
        self.assertTrue(os.path.exists(os.path.join(data, "v1", "metadata.json")))

        asked_before = len(self.archive.asked())
        again, _ = self.inventory(data)
        asked = self.archive.asked()[asked_before:]
        self.assertEqual((again["pieces_cached"], again["pieces_downloaded"]), (3, 0))
        self.assertEqual((again["records"], again["inserted"], again["already_present"]), (len(self.expected), 0, len(self.expected)))
        # No metadata file is asked for again: only the candidates folders are listed (v1 scans
        # them every run, and so do we).
        self.assertTrue(all(p.endswith("/") and "/candidates/" in p for p in asked), asked)
        self.assertGreaterEqual(again["metadata_memo_hits"], len(self.expected))

    def test_a_piece_unlike_its_manifest_is_skipped_and_reported(self):
        bad_prefix = "public/inventories/bad/"
        good = gzip.compress(open(fixture("buildhub1", "inventory-simple.csv"), "rb").read())
        # The manifest describes one piece, the bucket holds other bytes of the same size.
        listed = manifest([("inventories/bad/data/good.csv.gz", good),
                           ("inventories/bad/data/changed.csv.gz", good[:-1] + b"\1")])
        writer = S3Writer(self.s3.endpoint)
        writer.put_many(BUCKET, [(bad_prefix + "2018-01-01T00-00Z/manifest.json", listed),
                                 (bad_prefix + "data/good.csv.gz", good),
                                 (bad_prefix + "data/changed.csv.gz", good[:-1] + b"\0")])
        data = os.path.join(self.d, "data-bad")
        summary, proc = self.inventory(data, prefix=bad_prefix, check=3)
        self.assertEqual((summary["pieces"], summary["bad_pieces"], summary["pieces_downloaded"]), (2, 1, 1))
        self.assertIn("changed.csv.gz", proc.stderr)
        self.assertIn("MD5", proc.stderr)
        self.assertEqual(summary["inserted"], len(self.expected))

    def test_a_damaged_gzip_stream_is_a_bad_piece_and_the_rows_before_it_count(self):
        prefix = "public/inventories/damaged/"
        good = gzip.compress(open(fixture("buildhub1", "inventory-simple.csv"), "rb").read())
        cut = good[: len(good) // 2]  # as the manifest says (its MD5), but not a whole gzip stream
        S3Writer(self.s3.endpoint).put_many(BUCKET, [
            (prefix + "2018-01-01T00-00Z/manifest.json", manifest([("inventories/damaged/data/cut.csv.gz", cut)])),
            (prefix + "data/cut.csv.gz", cut)])
        summary, proc = self.inventory(os.path.join(self.d, "data-damaged"), prefix=prefix, check=3)
        self.assertEqual((summary["pieces"], summary["bad_pieces"]), (1, 1))
        self.assertIn("damaged gzip stream", proc.stderr)
        self.assertEqual(summary["rejected"], 0)

    def test_no_dated_folder_and_a_bad_manifest_are_clear_errors(self):
        data = os.path.join(self.d, "data-none")
        proc = run("inventory", "--data-dir", data, "--bucket", self.s3.url(BUCKET), "--no-sign-request",
                   "--prefix", "public/nothing-here/", "--archive-url", self.archive.url, check=4)
        self.assertIn("no dated inventory folder", proc.stderr)
        S3Writer(self.s3.endpoint).put(BUCKET, "public/broken/2018-01-01T00-00Z/manifest.json", '{"files": 3}')
        proc = run("inventory", "--data-dir", data, "--bucket", self.s3.url(BUCKET), "--no-sign-request",
                   "--prefix", "public/broken/", "--archive-url", self.archive.url, "--max-attempts", "1", check=6)
        self.assertIn("no files array", proc.stderr)
        pieces = os.path.join(data, "v1", "inventory-pieces")
        self.assertEqual(os.listdir(pieces) if os.path.isdir(pieces) else [], [])


if __name__ == "__main__":
    unittest.main()
