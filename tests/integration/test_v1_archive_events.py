"""Buildhub v1's archive events through the real daemon (`serve --queue --v1-archive-events`):
every case of v1's own Lambda tests (fixtures-lambda-s3-event.json), sent as S3 notifications
through fauxqs to a server on 127.0.0.1 whose archive is a test server serving that case's
listings and metadata; the records stored must be exactly the ones v1 expected. Then what v1
could not do: a build file announced before its metadata is remembered, and its record is made
when the metadata's own event arrives, even when the archive's listing does not show the file;
and one bad record in an event does not lose the others. All servers are started and stopped
here by process id."""
import copy
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, TempDir, fixture, wait_until  # noqa: E402
from sync_servers import Fauxqs, stop_all  # noqa: E402
from test_v1_inventory import REAL_ARCHIVE, ArchiveServer  # noqa: E402

# v1's tests check the records an event makes exactly (call_count, assert_called_with on the
# only call), except this one, which asserts only that the multi build is among them
# (assert_any_call): its -l10n listing also offers fr, which v1's code (and ours) records too.
PARTIAL = {"FromNightlyMetadataAndroid.test_from_nightly_multi_arm"}

# v1's fake_event: the S3 record of its tests (time and size as its expected records show them).
EVENT_TIME = "2017-08-08T17:06:52.030Z"
EVENT_SIZE = 51001024


def lambda_cases():
    with open(fixture("buildhub1", "fixtures-lambda-s3-event.json")) as f:
        doc = json.load(f)["test_lambda_s3_event.py"]
    classes = {}
    for name, case in doc.items():
        cls, test = name.split(".", 1)
        if test == "remote_content":
            classes.setdefault(cls, {"content": {}, "cases": []})["content"] = case
        elif "events" in case and not test.startswith("test_metrics_"):  # those only count metrics
            classes.setdefault(cls, {"content": {}, "cases": []})["cases"].append((test, case))
    return classes


def event_body(key, sns=False, time_=EVENT_TIME, size=EVENT_SIZE):
    body = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventTime": time_,
                         "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": "net-mozaws-prod-delivery-firefox"},
                                "object": {"key": key, "size": size}}}]}
    if sns:
        return json.dumps({"Type": "Notification", "Message": json.dumps(body)})
    return json.dumps(body)


def without_id(record, archive_url):
    out = copy.deepcopy(record)
    out.pop("id", None)
    out["download"]["url"] = archive_url + out["download"]["url"][len(REAL_ARCHIVE):]
    return out


class V1ArchiveEvents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.queue = Fauxqs()
        cls.queues = 0

    @classmethod
    def tearDownClass(cls):
        stop_all(cls.queue)

    def serve(self, data, archive, *extra):
        os.makedirs(data, exist_ok=True)
        V1ArchiveEvents.queues += 1
        url = self.queue.create_queue("archive-events-%d" % self.queues)
        server = Server(data, "--queue", url, "--wait-seconds", "1", "--v1-archive-events",
                        "--v1-archive-url", archive.url, *extra).start()
        return server, url

    def records(self, server):
        status, _, body = server.request("/api/search", "POST", json.dumps({"size": 1000}).encode(),
                                         {"Content-Type": "application/json"})
        self.assertEqual(status, 200)
        return [{k: v for k, v in hit["_source"].items() if k != "id"} for hit in json.loads(body)["hits"]["hits"]]

    def stored_total(self, server):
        return server.get_json("/api/records")[2]["builds"]["total"]

    def drain(self, url):
        wait_until(lambda: self.queue.counts(url) == (0, 0), what="the queue to drain")

    def test_every_lambda_case_of_v1(self):
        checked = 0
        for cls, spec in sorted(lambda_cases().items()):
            for test, case in spec["cases"]:
                with self.subTest(case=cls + "." + test), TempDir() as d:
                    archive = ArchiveServer(d, spec["content"]).__enter__()
                    server = None
                    try:
                        server, url = self.serve(os.path.join(d, "data"), archive)
                        for event in case["events"]:
                            self.queue.send(url, event_body(event["key"], sns=event["kind"] == "fake_sns_routed_event"))
                        self.drain(url)
                        want = [without_id(r, archive.url) for r in case["expected_created_records"]]
                        wait_until(lambda: self.stored_total(server) >= len(want), what="the records")
                        key = lambda r: r["download"]["url"]  # noqa: E731
                        got = sorted(self.records(server), key=key)
                        if cls + "." + test in PARTIAL:
                            for record in want:
                                self.assertIn(record, got)
                            self.assertGreater(len(got), len(want))
                        else:
                            self.assertEqual(got, sorted(want, key=key))
                        checked += 1
                    finally:
                        if server:
                            server.stop()
                        archive.__exit__(None, None, None)
        self.assertGreaterEqual(checked, 30)

    def test_a_file_announced_before_its_metadata_gets_its_record_when_the_metadata_arrives(self):
        folder = "pub/firefox/nightly/2017/08/2017-08-05-10-03-34-mozilla-central"
        l10n_file = folder + "-l10n/firefox-57.0a1.ru.linux-x86_64.tar.bz2"
        metadata_key = folder + "/firefox-57.0a1.en-US.linux-x86_64.json"
        metadata = {"buildid": "20170805100334", "moz_pkg_platform": "linux-x86_64",
                    "moz_source_repo": "MOZ_SOURCE_REPO=https://hg.mozilla.org/mozilla-central",
                    "moz_source_stamp": "933a04a91ce3bd44b230937083a835cb60637084", "moz_update_channel": "nightly"}
        with TempDir() as d:
            archive = ArchiveServer(d, {}).__enter__()
            data = os.path.join(d, "data")
            server = None
            try:
                server, url = self.serve(data, archive)
                # The localized build first: no metadata yet, so no record, but it is remembered.
                self.queue.send(url, event_body(l10n_file, time_="2017-08-05T12:00:01.500Z", size=777))
                self.drain(url)
                self.assertEqual(self.stored_total(server), 0)
                with open(os.path.join(data, "v1", "pending-archive-files.json")) as f:
                    self.assertEqual([p["key"] for p in json.load(f)], [l10n_file])
                # A restart keeps the memory.
                server.stop()
                server = Server(data, *server.extra).start()
                # The metadata is published; the archive's listings do not show the localized file
                # yet (the CDN lags), so only the memory can make its record.
                archive.publish({metadata_key: metadata, folder + "/": {"prefixes": [], "files": []},
                                 folder + "-l10n/": {"prefixes": [], "files": []}})
                self.queue.send(url, event_body(metadata_key))
                self.drain(url)
                wait_until(lambda: self.stored_total(server) == 1, what="the remembered record")
                [record] = self.records(server)
                self.assertEqual(record["download"], {"url": archive.url + l10n_file, "size": 777,
                                                      "date": "2017-08-05T12:00:01Z", "mimetype": "application/x-bzip2"})
                self.assertEqual((record["target"]["locale"], record["build"]["id"]), ("ru", "20170805100334"))
                with open(os.path.join(data, "v1", "pending-archive-files.json")) as f:
                    self.assertEqual(json.load(f), [])
            finally:
                if server:
                    server.stop()
                archive.__exit__(None, None, None)

    def test_one_bad_record_does_not_lose_the_others_and_an_unreachable_archive_keeps_the_message(self):
        rc = "pub/firefox/candidates/56.0b1-candidates/build4/linux-x86_64/"
        metadata = {"buildid": "20170808170225", "moz_pkg_platform": "linux-x86_64",
                    "moz_source_repo": "MOZ_SOURCE_REPO=https://hg.mozilla.org/releases/mozilla-beta",
                    "moz_source_stamp": "da6760885a24e03e13f3b566f319fc255dbb4027", "moz_update_channel": "beta"}
        listing = {"prefixes": [], "files": [{"name": "firefox-56.0b1.tar.bz2", "size": 5, "last_modified": "2017-08-03T20:55:11Z"}]}
        content = {rc: {"prefixes": ["en-US/", "ca/", "x_y_zz_q/"], "files": []}, rc + "en-US/": listing, rc + "ca/": listing,
                   rc + "x_y_zz_q/": listing,  # a locale v1's check_record refuses
                   rc + "en-US/firefox-56.0b1.json": metadata}
        with TempDir() as d:
            archive = ArchiveServer(d, content).__enter__()
            server = None
            try:
                server, url = self.serve(os.path.join(d, "data"), archive)
                self.queue.send(url, event_body(rc + "en-US/firefox-56.0b1.json"))
                self.drain(url)
                wait_until(lambda: self.stored_total(server) == 2, what="the two good records")
                self.assertEqual(sorted(r["target"]["locale"] for r in self.records(server)), ["ca", "en-US"])
                status, _, body = server.request("/api/rejections")
                self.assertEqual(status, 200)
                self.assertIn("x_y_zz_q", body.decode())
            finally:
                if server:
                    server.stop()
                archive.__exit__(None, None, None)
        # The archive down: the message stays on the queue.
        with TempDir() as d:
            archive = ArchiveServer(d, content).__enter__()
            archive.url = "http://127.0.0.1:9/"
            server = None
            try:
                server, url = self.serve(os.path.join(d, "data"), archive, "--max-attempts", "1")
                self.queue.send(url, event_body(rc + "en-US/firefox-56.0b1.json"))
                wait_until(lambda: "message kept for a later attempt" in server.read_log(), what="the message to be kept")
                self.assertEqual(sum(self.queue.counts(url)), 1)
                self.assertEqual(self.stored_total(server), 0)
            finally:
                if server:
                    server.stop()
                archive.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
