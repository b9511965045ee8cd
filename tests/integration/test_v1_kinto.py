"""`buildhub import-kinto` from both sides of Kinto, started and stopped here by process id on
127.0.0.1: a Kinto-shaped HTTP server (kinto_server.py) serving v1's own records page by page
with Next-Page, and a real PostgreSQL (initdb + pg_ctl as the postgres user, a private port and
socket directory) holding Kinto's records table. Every valid record is stored once; an invalid
one is a rejection (or, with --skip-invalid, only counted); an import interrupted by a failing
page, or stopped with --max-records, resumes where it stopped and reads nothing twice."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

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


if __name__ == "__main__":
    unittest.main()
