"""Buildhub v1's inventory route on the real binary: `buildhub inventory-to-records` reads v1's
own inventory-simple.csv, asks an archive server on 127.0.0.1 (started and stopped here by
process id) for the builds' metadata, and must print exactly the records v1's functional test
expected; a second run with the metadata cache asks the archive nothing; the pipe into
`buildhub ingest -` stores them; bad rows and an archive that is down are reported, not fatal."""
import copy
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, ScriptServer, TempDir, fixture, run  # noqa: E402

REAL_ARCHIVE = "https://archive.mozilla.org/"


def expected_records():
    with open(fixture("buildhub1", "fixtures-inventory-to-records.json")) as f:
        doc = json.load(f)
    return [r["data"] for r in doc["test_inventory_to_records_functional.py"]
            ["CsvToRecordsTest.test_load_simple_file"]["asserted_equal_values"][0]]


def metadata_of(record):
    """The metadata file v1 read for a record, rebuilt from what merge_metadata put in it."""
    build, source = record["build"], record["source"]
    md = {"buildid": build["id"], "moz_source_repo": "MOZ_SOURCE_REPO=" + source["repository"],
          "moz_source_stamp": source["revision"], "moz_update_channel": record["target"]["channel"],
          "moz_pkg_platform": record["target"]["platform"]}
    for field, key in (("as", "as"), ("cc", "cc"), ("cxx", "cxx"), ("ld", "ld"), ("host", "host_alias"), ("target", "target_alias")):
        if field in build:
            md[key] = build[field]
    return md


def archive_content(records):
    """What archive.mozilla.org held for v1's functional test: each record's metadata where v1's
    rules (buildhub-reference 2.4) look for it, the candidates folders a release needs, and nothing
    else (404)."""
    content = {}
    for rec in records:
        path = rec["download"]["url"][len(REAL_ARCHIVE):]
        md = metadata_of(rec)
        version, platform = rec["target"]["version"], rec["target"]["platform"]
        if "nightly" in rec["target"]["channel"]:
            # The en-US build's name with .json for its archive extension.
            name = path.replace("-l10n", "").replace(".installer", "")
            for ext in ("tar.bz2", "tar.gz", "zip", "dmg", "apk", "exe"):
                if name.endswith("." + ext):
                    name = name[: -len(ext)] + "json"
                    break
            content[name] = md
        elif "rc" in version:
            folder, lang = path.rsplit("/", 2)[0], path.rsplit("/", 2)[1]
            product = "firefox" if rec["source"]["product"] == "devedition" else rec["source"]["product"]
            content[f"{folder.rsplit('/', 0)[0]}/en-US/{product}-{version.split('rc')[0]}.json".replace(f"/{lang}/", "/en-US/")] = md
        else:
            product, number = rec["source"]["product"], rec["build"]["number"]
            base = f"pub/{product}/candidates/"
            listing = content.setdefault(base, {"prefixes": ["archived/"], "files": []})
            listing["prefixes"].append(f"{version}-candidates/")
            content[f"{base}{version}-candidates/"] = {"prefixes": [f"build{n}/" for n in range(1, number + 1)], "files": []}
            folder_platform = platform.replace("-eme-free", "").replace("-sha1", "")
            if folder_platform.startswith("macosx"):
                folder_platform = folder_platform.replace("macosx", "mac")
            folder = f"{base}{version}-candidates/build{number}/{folder_platform}/en-US/"
            content[folder] = {"prefixes": [], "files": [{"name": "Firefox Setup.exe"}, {"name": f"{product}-{version}.json"}]}
            md = dict(md)
            del md["moz_pkg_platform"]
            content[folder + f"{product}-{version}.json"] = md
    return content


class ArchiveServer(ScriptServer):
    """archive_server.py serving `content` ({path: answer}), which publish() can replace."""

    def __init__(self, d, content):
        self.content_file = os.path.join(d, "archive-%d.json" % id(self))
        with open(self.content_file, "w") as f:
            json.dump(content, f)
        super().__init__("archive_server.py", d, self.content_file, "PORT_FILE")

    def __enter__(self):
        super().__enter__()
        self.url = "http://127.0.0.1:%d/" % self.port
        return self

    def publish(self, content):
        """Replaces what the archive serves (the server reads the file again when it changes)."""
        tmp = self.content_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(content, f)
        os.replace(tmp, self.content_file)


def localized(record, archive_url):
    """A v1 record as our run gives it: the same, with the archive's URL in place of the real one."""
    out = copy.deepcopy(record)
    out["download"]["url"] = archive_url + out["download"]["url"][len(REAL_ARCHIVE):]
    return out


class V1Inventory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.d = cls.tmp.__enter__()
        cls.expected = expected_records()
        assert len(cls.expected) >= 2
        cls.archive = ArchiveServer(cls.d, archive_content(cls.expected)).__enter__()
        with open(fixture("buildhub1", "inventory-simple.csv")) as f:
            cls.csv = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.archive.__exit__(None, None, None)
        cls.tmp.__exit__(None, None, None)

    def to_records(self, *extra, stdin=None, check=0, archive=None):
        proc = run("inventory-to-records", "--archive-url", archive or self.archive.url, *extra,
                   stdin=self.csv if stdin is None else stdin, check=check)
        summary = json.loads(proc.stderr.strip().splitlines()[-1])
        return [json.loads(line) for line in proc.stdout.splitlines()], summary, proc

    def test_the_records_v1_expected_and_a_second_run_asks_nothing(self):
        cache = os.path.join(self.d, "metadata-cache.json")
        got, summary, _ = self.to_records("--v1-format", "--metadata-cache", cache)
        want = [{"data": localized(r, self.archive.url)} for r in self.expected]
        self.assertEqual(sorted(got, key=lambda r: r["data"]["id"]), sorted(want, key=lambda r: r["data"]["id"]))
        self.assertEqual(summary["records"], len(self.expected))
        self.assertEqual(summary["rows"], len([line for line in self.csv.splitlines() if line]))
        self.assertGreater(summary["archive_requests"], 0)
        self.assertTrue(os.path.exists(cache))
        again, summary2, _ = self.to_records("--v1-format", "--metadata-cache", cache)
        self.assertEqual(again, got)
        self.assertGreaterEqual(summary2["metadata_memo_hits"], summary["records"])
        # Only the candidates scan is asked again (it is not kept between runs, as in v1).
        asked_before = len(self.archive.asked())
        self.to_records("--v1-format", "--metadata-cache", cache)
        asked = self.archive.asked()[asked_before:]
        self.assertTrue(all(p.endswith("/") and "/candidates/" in p for p in asked), asked)

    def test_keep_incomplete_and_without_metadata(self):
        every, summary, _ = self.to_records("--v1-format", "--keep-incomplete")
        self.assertEqual(len(every), summary["records"])
        self.assertGreater(len(every), len(self.expected))
        self.assertEqual(summary["incomplete"], 0)
        paths_only, summary, _ = self.to_records("--no-metadata", "--v1-format")
        self.assertEqual(summary["archive_requests"], 0)
        self.assertEqual(len(paths_only), len(every))
        self.assertTrue(all("build" not in r["data"] for r in paths_only))

    def test_the_pipe_into_ingest(self):
        data = os.path.join(self.d, "data-pipe")
        proc = run("inventory-to-records", "--archive-url", self.archive.url, stdin=self.csv, check=0)
        docs = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual(len(docs), len(self.expected))
        self.assertTrue(all("id" not in doc for doc in docs), "buildhub.json documents have no v1 id")
        ingest = run("ingest", "--data-dir", data, "-", "--json", stdin=proc.stdout, check=0)
        summary = json.loads(ingest.stdout)
        self.assertEqual((summary["inserted"], summary["rejected"]), (len(self.expected), 0))
        again = json.loads(run("ingest", "--data-dir", data, "-", "--json", stdin=proc.stdout, check=0).stdout)
        self.assertEqual((again["inserted"], again["already_present"]), (0, len(self.expected)))

    def test_a_file_on_stdin_reads_as_the_pipe_does(self):
        # A regular file on stdin is mapped rather than read; the records are the pipe's, also
        # when the shell has already read part of the file (the descriptor's offset is kept).
        piped, _, _ = self.to_records("--no-metadata", "--v1-format")
        extra = '"b","pub/firefox/releases/52.0/linux-x86_64/de/firefox-52.0.tar.bz2","1","2017-06-02T15:20:10Z","e"\n'
        path = os.path.join(self.d, "inventory.csv")
        with open(path, "w") as f:
            f.write(extra + self.csv.replace("\n", "\r\n"))
        for skip in (0, len(extra)):
            with open(path, "rb") as f:
                f.seek(skip)
                proc = subprocess.run([BIN, "inventory-to-records", "--archive-url", self.archive.url, "--no-metadata",
                                       "--v1-format"], stdin=f, capture_output=True, text=True, timeout=600)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            got = [json.loads(line) for line in proc.stdout.splitlines()]
            self.assertEqual(got[len(got) - len(piped):], piped)
            self.assertEqual(len(got), len(piped) + (1 if skip == 0 else 0))

    def test_bad_rows_are_reported_and_the_rest_goes_on(self):
        bad = ('"b","pub/firefox/releases/52.0/linux-x86_64/de/firefox-52.0.tar.bz2","lots","2017-06-02T15:20:10Z","e"\n'
               '"unterminated\n' + self.csv)
        got, summary, proc = self.to_records("--v1-format", stdin=bad, check=3)
        self.assertEqual(summary["bad_rows"], 2)
        self.assertEqual(len(got), len(self.expected))
        self.assertIn("lots", proc.stderr)

    def test_an_over_long_line_is_one_bad_row_and_the_run_goes_on(self):
        long_line = '"b","pub/firefox/' + "x" * (17 << 20) + '.exe","1","2017-06-02T15:20:10Z","e"\n'
        got, summary, proc = self.to_records("--v1-format", stdin=long_line + self.csv, check=3)
        self.assertEqual(summary["bad_rows"], 1)
        self.assertEqual(summary["rows"], 1 + len([line for line in self.csv.splitlines() if line]))
        self.assertEqual(len(got), len(self.expected))
        self.assertIn("row 1: longer than 16 MiB", proc.stderr)

    def test_an_archive_that_is_down_is_exit_6_and_nothing_is_printed_wrong(self):
        got, summary, proc = self.to_records("--v1-format", "--max-attempts", "2", archive="http://127.0.0.1:9/", check=6)
        self.assertEqual(got, [])
        self.assertGreater(summary["metadata_unavailable"], 0)
        self.assertIn("no answer from the archive", proc.stderr)

    def test_bad_flags_are_usage_errors(self):
        for args in (["--archive-url", "ftp://x/"], ["--archive-url", "http://x"], ["--jobs", "0"]):
            proc = run("inventory-to-records", *args, stdin="", check=2)
            self.assertTrue(proc.stderr)


if __name__ == "__main__":
    unittest.main()
