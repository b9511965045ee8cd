"""`buildhub import-kinto` from both sides of Kinto, started and stopped here by process id on
127.0.0.1: a Kinto-shaped HTTP server (kinto_server.py) serving v1's own records page by page
with Next-Page, and a real PostgreSQL (initdb + pg_ctl as the postgres user, a private port and
socket directory) holding Kinto's records table. Every valid record is stored once; an invalid
one is a rejection (or, with --skip-invalid, only counted); an import interrupted by a failing
page, or stopped with --max-records, resumes where it stopped and reads nothing twice.

Then Kinto's read API of `buildhub serve`, as v1's clients use it: the listing followed page by
page through Next-Page (as Buildhub2's kinto-migration and kinto_http do), Kinto's filters and
sorts, records by id, ETag/If-None-Match and _since, Kinto's error bodies; and our own
import-kinto reading our server as it reads Kinto."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import ScriptServer, Server, TempDir, fixture, run  # noqa: E402
from sync_servers import free_port, wait_for_port  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"


def v1_records():
    """v1's records from its own tests (inventory and Lambda), as Kinto held them: with id,
    last_modified and schema; plus one without a build (Buildhub2's --skip-invalid case)."""
    records = {}
    with open(fixture("buildhub1", "fixtures-inventory-to-records.json")) as f:
        doc = json.load(f)
    for r in doc["test_inventory_to_records_functional.py"]["CsvToRecordsTest.test_load_simple_file"]["asserted_equal_values"][0]:
        records[r["data"]["id"]] = r["data"]
    with open(fixture("buildhub1", "fixtures-lambda-functional-expected-records.json")) as f:
        for r in json.load(f)["test_lambda_s3_event_functional.py"]["LambdaTest.test_load_into_kinto"]["asserted_equal_values"]:
            records[r["id"]] = r
    out = []
    for i, (rid, r) in enumerate(sorted(records.items())):
        r = dict(r, last_modified=1500000000000 + i, schema=1497000000000)
        out.append(r)
    out.append({"id": "firefox_broken_1-0_linux-x86_64_en-us", "last_modified": 1400000000000, "schema": 1,
                "source": {"product": "firefox"}, "target": {"version": "1.0"}})
    return out


def document(record):
    return {k: v for k, v in record.items() if k not in ("id", "last_modified", "schema")}


class KintoServer(ScriptServer):
    """kinto_server.py serving `records`; fail_page(n) makes page n answer 503 (None: no more)."""

    def __init__(self, d, records):
        records_file = os.path.join(d, "kinto-records.json")
        with open(records_file, "w") as f:
            json.dump(records, f)
        super().__init__("kinto_server.py", d, records_file, "PORT_FILE")

    def __enter__(self):
        super().__enter__()
        self.url = "http://127.0.0.1:%d/v1" % self.port
        return self

    def fail_page(self, page):
        if page is None:
            os.unlink(self.port_file + ".fail")
        else:
            with open(self.port_file + ".fail", "w") as f:
                f.write(str(page))


class PostgreSQL:
    """A throwaway PostgreSQL 15 cluster on 127.0.0.1, run as the postgres user."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="bh-pg-")
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        data = self.data = os.path.join(self.dir, "data")
        as_postgres = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.getuid() == 0 else ["sh", "-c"]
        subprocess.run(as_postgres + ["%s/initdb -D %s -U postgres -A trust --no-locale -E UTF8 >%s/initdb.log 2>&1"
                                      % (PG_BIN, data, self.dir)], check=True)
        self.proc = subprocess.Popen(as_postgres + ["exec %s/postgres -D %s -p %d -k %s -c listen_addresses=127.0.0.1 "
                                                    "-c fsync=off >%s/pg.log 2>&1" % (PG_BIN, data, self.port, self.dir, self.dir)])
        wait_for_port(self.port, self.proc)
        self.url = "postgresql://postgres@127.0.0.1:%d/postgres" % self.port
        return self

    def sql(self, text):
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "-d", "postgres"], input=text, text=True, check=True, capture_output=True)

    def __exit__(self, *exc):
        # The server's own process id, from its postmaster.pid: SIGINT is PostgreSQL's fast
        # shutdown. Then the su that started it ends too.
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                os.kill(int(f.readline()), signal.SIGINT)
        except (OSError, ValueError):
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def stored(data):
    with Server(data) as server:
        status, _, body = server.request("/api/search", "POST", json.dumps({"size": 1000}).encode(),
                                         {"Content-Type": "application/json"})
        assert status == 200
        _, _, rejections = server.get_json("/api/rejections?limit=100")
    docs = [{k: v for k, v in hit["_source"].items() if k != "id"} for hit in json.loads(body)["hits"]["hits"]]
    return docs, rejections


def key(doc):
    return doc["download"]["url"]


class ImportKinto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.records = v1_records()
        cls.valid = [document(r) for r in cls.records if "build" in r]
        assert len(cls.valid) >= 10

    def import_kinto(self, data, *args, check=0):
        proc = run("import-kinto", "--data-dir", data, *args, check=check)
        return (json.loads(proc.stdout) if proc.stdout.strip() else None), proc

    def test_http_pages_rejections_and_skip_invalid(self):
        with TempDir() as d, KintoServer(d, self.records) as kinto:
            data = os.path.join(d, "data")
            summary, proc = self.import_kinto(data, "--server", kinto.url, "--page-size", "4", check=3)
            pages = (len(self.records) + 3) // 4
            self.assertEqual((summary["pages"], summary["read"], summary["inserted"], summary["rejected"]),
                             (pages, len(self.records), len(self.valid), 1))
            self.assertTrue(summary["finished"])
            self.assertIn("firefox_broken_1-0_linux-x86_64_en-us", proc.stderr)
            docs, rejections = stored(data)
            self.assertEqual(sorted(docs, key=key), sorted(self.valid, key=key))
            self.assertEqual([r["origin"] for r in rejections["rejections"]], ["kinto:firefox_broken_1-0_linux-x86_64_en-us"])
            # Again, skipping the invalid one: nothing new, nothing rejected.
            again, _ = self.import_kinto(data, "--server", kinto.url, "--page-size", "4", "--skip-invalid")
            self.assertEqual((again["inserted"], again["already_present"], again["rejected"], again["skipped_invalid"]),
                             (0, len(self.valid), 0, 1))

    def test_http_interrupted_by_a_failing_page_resumes_there(self):
        with TempDir() as d, KintoServer(d, self.records) as kinto:
            data = os.path.join(d, "data")
            kinto.fail_page(3)
            _, proc = self.import_kinto(data, "--server", kinto.url, "--page-size", "4", "--skip-invalid",
                                        "--max-attempts", "1", check=6)
            self.assertIn("503", proc.stderr)
            first = kinto.asked()
            self.assertEqual(len(first), 3)  # pages 1, 2 and the failing 3
            kinto.fail_page(None)
            summary, _ = self.import_kinto(data, "--server", kinto.url, "--page-size", "4", "--skip-invalid", "--resume")
            self.assertTrue(summary["resumed"])
            asked = kinto.asked()[len(first):]
            self.assertEqual(asked[0], first[2])  # it starts with the page that failed
            self.assertNotIn(first[0], asked)
            docs, _ = stored(data)
            self.assertEqual(sorted(docs, key=key), sorted(self.valid, key=key))

    def test_bad_sources_are_clear_errors(self):
        with TempDir() as d, KintoServer(d, self.records) as kinto:
            data = os.path.join(d, "data")
            _, proc = self.import_kinto(data, "--server", kinto.url, "--collection", "nope", "--max-attempts", "1", check=6)
            self.assertIn("403", proc.stderr)
            _, proc = self.import_kinto(data, "--server", kinto.url + "/nothing", "--max-attempts", "1", check=4)
            self.assertIn("404", proc.stderr)
            self.import_kinto(data, check=2)  # neither --server nor --database
            self.import_kinto(data, "--server", kinto.url, "--database", "postgresql://x/y", check=2)
            _, proc = self.import_kinto(data, "--database", "postgresql://postgres@127.0.0.1:%d/x" % free_port(), check=6)
            self.assertIn("connecting to PostgreSQL", proc.stderr)

    def test_database_in_pieces_then_resumed(self):
        with TempDir() as d, PostgreSQL() as pg:
            rows = []
            for r in self.records:
                data = {k: v for k, v in r.items() if k not in ("id", "last_modified")}
                rows.append("('%s', '/buckets/build-hub/collections/releases', 'record', to_timestamp(%d / 1000.0), $j$%s$j$, false)"
                            % (r["id"], r["last_modified"], json.dumps(data)))
            # A tombstone and another collection's record: neither is read.
            rows.append("('gone', '/buckets/build-hub/collections/releases', 'record', now(), '{\"deleted\": true}', true)")
            other = dict(self.records[0], download=dict(self.records[0]["download"], url="https://elsewhere/x.tar.bz2"))
            rows.append("('other', '/buckets/build-hub/collections/other', 'record', now(), $j$%s$j$, false)" % json.dumps(other))
            pg.sql("CREATE TABLE records (id TEXT NOT NULL, parent_id TEXT NOT NULL, collection_id TEXT NOT NULL, "
                   "last_modified TIMESTAMP NOT NULL, data JSONB NOT NULL DEFAULT '{}'::JSONB, "
                   "deleted BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (id, parent_id, collection_id));\n"
                   "INSERT INTO records VALUES %s;" % ",\n".join(rows))
            data = os.path.join(d, "data")
            first, _ = self.import_kinto(data, "--database", pg.url, "--page-size", "3", "--max-records", "6", "--skip-invalid")
            self.assertEqual((first["pages"], first["read"], first["finished"]), (2, 6, False))
            rest, _ = self.import_kinto(data, "--database", pg.url, "--page-size", "3", "--skip-invalid", "--resume")
            self.assertTrue(rest["finished"])
            self.assertEqual(first["read"] + rest["read"], len(self.records))
            self.assertEqual(first["inserted"] + rest["inserted"], len(self.valid))
            self.assertEqual(first["skipped_invalid"] + rest["skipped_invalid"], 1)
            docs, _ = stored(data)
            self.assertEqual(sorted(docs, key=key), sorted(self.valid, key=key))
            # A new record in Kinto: a resumed run reads only it.
            new = dict(self.records[0], id="zz_new_record")
            new["download"] = dict(new["download"], url=new["download"]["url"] + ".new", size=1)
            pg.sql("INSERT INTO records VALUES ('zz_new_record', '/buckets/build-hub/collections/releases', 'record', now(), "
                   "$j$%s$j$, false);" % json.dumps({k: v for k, v in new.items() if k not in ("id", "last_modified")}))
            latest, _ = self.import_kinto(data, "--database", pg.url, "--page-size", "3", "--resume")
            self.assertEqual((latest["read"], latest["inserted"]), (1, 1))


RECORDS_PATH = "/v1/buckets/build-hub/collections/releases/records"


class KintoReadApi(unittest.TestCase):
    """v1's records imported from a Kinto server, then read back through our Kinto API."""

    @classmethod
    def setUpClass(cls):
        cls.records = [r for r in v1_records() if "build" in r]
        cls.dir = TempDir().__enter__()
        cls.data = os.path.join(cls.dir, "data")
        with KintoServer(cls.dir, v1_records()) as kinto:
            run("import-kinto", "--data-dir", cls.data, "--server", kinto.url, "--skip-invalid")
        cls.server = Server(cls.data).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def follow(self, query):
        """Every page of a listing through its Next-Page links (absolute URLs, as Kinto's):
        the records, the pages' Total-Records and how many pages there were."""
        url, records, totals, pages = self.server.url(RECORDS_PATH + query), [], set(), 0
        while url:
            with urllib.request.urlopen(url, timeout=30) as resp:
                body = json.loads(resp.read())
                url = resp.headers.get("Next-Page")
                totals.add(int(resp.headers["Total-Records"]))
                self.assertEqual(resp.headers["Access-Control-Allow-Origin"], "*")
                self.assertIn("Next-Page", resp.headers["Access-Control-Expose-Headers"])
            records += body["data"]
            pages += 1
            self.assertLess(pages, 100)
        self.assertEqual(len(totals), 1)
        return records, totals.pop(), pages

    def expected(self, keep=lambda r: True):
        return [{k: v for k, v in r.items() if k != "schema"} for r in self.records if keep(r)]

    def test_listing_gives_back_kintos_records_ids_and_timestamps(self):
        got, total, pages = self.follow("?_limit=4")
        want = sorted(self.expected(), key=lambda r: -r["last_modified"])
        self.assertEqual(got, [dict(sorted(r.items())) for r in got])  # nothing but the record's fields
        self.assertEqual([r["id"] for r in got], [r["id"] for r in want])
        self.assertEqual(got, want)
        self.assertEqual(total, len(want))
        self.assertEqual(pages, (len(want) + 3) // 4)
        for r in want[:5]:
            status, headers, body = self.server.get_json(RECORDS_PATH + "/" + r["id"])
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(json.dumps(body["data"])), r)
            self.assertEqual(headers["ETag"], '"%d"' % r["last_modified"])

    def test_filters_and_sorts_as_kinto(self):
        linux = lambda r: r["target"]["platform"] == "linux-x86_64"  # noqa: E731
        got, total, _ = self.follow("?target.platform=linux-x86_64&_sort=last_modified&_limit=3")
        self.assertEqual(got, sorted(self.expected(linux), key=lambda r: r["last_modified"]))
        self.assertEqual(total, len(got))
        self.assertGreater(total, 1)
        got, _, _ = self.follow("?in_target.locale=fr,en-US&_sort=-target.version,id&_limit=2")
        want = sorted(self.expected(lambda r: r["target"]["locale"] in ("fr", "en-US")), key=lambda r: r["id"])
        want = sorted(want, key=lambda r: r["target"]["version"], reverse=True)
        self.assertEqual(got, want)
        middle = sorted(r["last_modified"] for r in self.records)[len(self.records) // 2]
        got, _, _ = self.follow('?_since="%d"&_sort=last_modified' % middle)
        self.assertEqual([r["last_modified"] for r in got], sorted(r["last_modified"] for r in self.records if r["last_modified"] > middle))
        got, _, _ = self.follow("?has_target.channel=true&not_target.channel=release&_fields=target.channel")
        self.assertTrue(got)
        for r in got:
            self.assertEqual(set(r), {"id", "last_modified", "target"})
            self.assertNotEqual(r["target"]["channel"], "release")

    def test_zz_etag_and_new_records_since_it(self):  # last: it stores a record
        status, headers, _ = self.server.get_json(RECORDS_PATH + "?_limit=1")
        etag = headers["ETag"]
        status, _, _ = self.server.request(RECORDS_PATH + "?_limit=1", headers={"If-None-Match": etag})
        self.assertEqual(status, 304)
        # A Buildhub2 record stored afterwards: v1's id computed from its URL, newer than all.
        run("ingest", "--data-dir", self.data, fixture("buildhub2", "valid-buildhub-release-channel.json"))
        new, _, _ = self.follow("?_since=%s" % etag.strip('"'))
        self.assertEqual([r["id"] for r in new], ["firefox_70-0rc2_win64_en-us"])
        self.assertGreater(new[0]["last_modified"], int(etag.strip('"')))
        status, _, _ = self.server.request(RECORDS_PATH + "?_limit=1", headers={"If-None-Match": etag})
        self.assertEqual(status, 200)

    def test_errors_are_kintos(self):
        for query, name in (("?_limit=x", "_limit"), ("?_since=yesterday", "_since"), ("?_token=%21", "_token"),
                            ("?has_build.id=perhaps", "has_build.id"), ("?a%20b=1", "a b")):
            status, _, body = self.server.get_json(RECORDS_PATH + query)
            self.assertEqual((status, body["code"], body["errno"], body["error"]), (400, 400, 107, "Invalid parameters"), query)
            self.assertEqual(body["details"][0]["name"], name)
            self.assertEqual(body["details"][0]["location"], "querystring")
        status, _, body = self.server.get_json(RECORDS_PATH + "/no_such_record")
        self.assertEqual((status, body["errno"], body["details"]), (404, 110, {"id": "no_such_record", "resource_name": "record"}))
        status, _, body = self.server.get_json("/v1/")
        self.assertEqual((status, body["project_name"]), (200, "buildhub"))

    def test_import_kinto_reads_our_api_as_it_reads_kinto(self):
        with TempDir() as d:
            copy = os.path.join(d, "copy")
            summary = json.loads(run("import-kinto", "--data-dir", copy, "--server", self.server.url("/v1"),
                                     "--page-size", "5").stdout)
            docs, _ = stored(copy)
            self.assertEqual(summary["inserted"], len(self.records))
            self.assertEqual(sorted(docs, key=key), sorted(map(document, self.records), key=key))


if __name__ == "__main__":
    unittest.main()
