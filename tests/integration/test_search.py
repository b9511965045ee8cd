"""/api/search over HTTP on the real binary: the API surface, errors, freshness and restart."""
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, TempDir, run  # noqa: E402

QUERIES = [
    {"size": 0, "aggs": {"p": {"terms": {"field": "target.platform", "size": 100}}}},
    {"size": 5, "sort": [{"download.date": "desc"}], "query": {"query_string": {"query": "firefox* linux*", "default_operator": "AND"}}},
    {"size": 3, "sort": [{"target.version_sort": "desc"}, "_doc"], "_source": ["target.version"]},
    {"size": 0, "aggs": {"m": {"date_histogram": {"field": "build.date", "interval": "month"}}}},
    {"size": 0, "aggs": {"p": {"terms": {"field": "target.platform"}, "aggs": {"t": {"top_hits": {"size": 1, "sort": [{"build.date": "desc"}]}}}}}},
]


def post(server, path, body):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    status, headers, raw = server.request(path, method="POST", body=data.encode() if isinstance(data, str) else data,
                                          headers={"Content-Type": "application/json"})
    return status, headers, json.loads(raw)


def without_took(answer):
    answer = dict(answer)
    answer.pop("took", None)
    return answer


class SearchTest(unittest.TestCase):
    def test_api(self):
        with TempDir() as tmp:
            data = os.path.join(tmp, "data")
            os.makedirs(data)
            with Server(data, "--demo-records", "400") as server:
                status, headers, body = post(server, "/api/search", {"size": 1})
                self.assertEqual(status, 200)
                self.assertEqual(body["hits"]["total"], 400)
                hit = body["hits"]["hits"][0]
                self.assertEqual((hit["_index"], hit["_type"], hit["_id"]), ("buildhub2", "doc", "1"))
                self.assertEqual(hit["_source"]["id"], 1)
                self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
                self.assertIn("X-Response-Time", headers)

                # GET without a body is match_all; ?q= is a query_string (Buildhub v1 behaviour).
                status, _, body = server.get_json("/api/search")
                self.assertEqual((status, body["hits"]["total"], len(body["hits"]["hits"])), (200, 400, 10))
                status, _, body = server.get_json("/api/search?q=source.product:thunderbird&size=1000")
                self.assertEqual(status, 200)
                self.assertTrue(0 < body["hits"]["total"] < 400)
                self.assertTrue(all(h["_source"]["source"]["product"] == "thunderbird" for h in body["hits"]["hits"]))
                # The legacy v1 URL answers POST directly (no redirect that would turn it into a GET).
                status, _, legacy = post(server, "/v1/buckets/build-hub/collections/releases/search",
                                         {"size": 0, "query": {"term": {"source.product": "thunderbird"}}})
                self.assertEqual((status, legacy["hits"]["total"]), (200, body["hits"]["total"]))

                # /api/records/<id>
                status, _, record = server.get_json("/api/records/7")
                self.assertEqual((status, record["id"]), (200, 7))
                self.assertIn("build", record)
                self.assertEqual(server.get_json("/api/records/100000")[0], 404)
                self.assertEqual(server.get_json("/api/records/abc")[0], 404)

                # Client mistakes are 400s in Elasticsearch's error shape, never 500.
                for bad in ["{", "[]", '{"size": "x"}', '{"size": 1001}', '{"from": 9999, "size": 2}',
                            '{"query": {"nope": {}}}', '{"aggs": {"a": {"date": {}}}}', '{"query": {"bool": {"filter": [{}]}}}',
                            '{"query":' + '{"bool":{"must":' * 200 + '{}' + '}}' * 200 + '}', "\xff\xfe",
                            '{"size": 1e400}', '{"query": {"range": {"download.size": {"gte": -1e999}}}}',
                            '{"track_total_hits": 10}']:
                    status, _, err = post(server, "/api/search", bad)
                    self.assertEqual(status, 400, bad[:60])
                    self.assertEqual(err["status"], 400, bad[:60])
                    self.assertIsInstance(err["error"]["type"], str, bad[:60])
                    self.assertIsInstance(err["error"]["reason"], str, bad[:60])
                    self.assertIsInstance(err["error"]["root_cause"][0]["reason"], str, bad[:60])
                status, _, err = post(server, "/api/search", "{")
                self.assertEqual(err["error"]["type"], "json_parse_exception")
                status, _, err = post(server, "/api/search", {"query": {"nope": {}}})
                self.assertEqual((err["error"]["type"], err["error"]["reason"]), ("parsing_exception", "unknown query [nope]"))
                status, _, err = post(server, "/api/search", {"aggs": {"d": {"date_histogram": {"field": "build.date", "interval": "1s"}}}})
                self.assertEqual((status, err["error"]["type"]), (400, "search_phase_execution_exception"))
                self.assertEqual(err["error"]["root_cause"][0]["type"], "too_many_buckets_exception")
                status, _, err = server.get_json("/api/search?q=target.version:(")
                self.assertEqual((status, err["error"]["root_cause"][0]["type"]), (400, "query_shard_exception"))
                status, _, _ = server.get_json("/__heartbeat__")
                self.assertEqual(status, 200)

    def test_fresh_and_equal_after_restart(self):
        with TempDir() as tmp:
            data = os.path.join(tmp, "data")
            os.makedirs(data)
            more = os.path.join(tmp, "more.ndjson")
            run("demo-data", "--records", "50", "--seed", "9", "--out", more, check=0)
            server = Server(data, "--demo-records", "300").start()
            try:
                self.assertEqual(post(server, "/api/search", {"size": 0})[2]["hits"]["total"], 300)
                # Another process stores records: the index follower picks them up within its poll
                # interval (250 ms by default) plus the catch-up.
                run("ingest", "--data-dir", data, "-q", more, check=0)
                deadline = time.time() + 10
                while post(server, "/api/search", {"size": 0})[2]["hits"]["total"] != 350 and time.time() < deadline:
                    time.sleep(0.05)
                self.assertEqual(post(server, "/api/search", {"size": 0})[2]["hits"]["total"], 350)
                before = [without_took(post(server, "/api/search", q)[2]) for q in QUERIES]
            finally:
                self.assertEqual(server.stop(signal.SIGTERM), 0, server.read_log())
            with Server(data) as again:
                after = [without_took(post(again, "/api/search", q)[2]) for q in QUERIES]
            self.assertEqual(before, after)


if __name__ == "__main__":
    unittest.main()
