"""Latency of the issue-3 queries over HTTP: one keep-alive client, p50/p90 of REPS requests
after 5 warm-up ones. Queries come from bench/search_queries.json (BUILD_ID substituted).

Usage: bench/search_latency.py PORT BUILD_ID QUERIES.json [REPS]
"""
import http.client
import json
import statistics
import sys
import time

port, build_id, queries_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 50
queries = json.load(open(queries_path))
conn = http.client.HTTPConnection("127.0.0.1", port)
print("| query | p50 (ms) | p90 (ms) | hits.total |\n|---|---|---|---|")
for name, q in queries.items():
    if name.startswith("_"):
        continue
    body = json.dumps(q).replace("BUILD_ID", build_id)
    times = []
    for i in range(reps + 5):
        t = time.perf_counter()
        conn.request("POST", "/api/search", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            sys.exit(f"{name}: HTTP {resp.status}: {data[:200]!r}")
        if i >= 5:
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    total = json.loads(data)["hits"]["total"]
    print(f"| {name} | {statistics.median(times):.2f} | {times[int(len(times) * 0.9)]:.2f} | {total} |")
