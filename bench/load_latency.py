"""Latency under load, for bench/run-load.sh (Python standard library only).

  heavy PORT N        N heavy searches at once ({"size":1000, query_string "*a* OR *b* OR *c*"});
                      meanwhile /__lbheartbeat__, /__heartbeat__ and /api/records, one after another
  ingest BIN DIR N    N demo records ingested by another `buildhub ingest` process into the store of
                      the server whose port is in DIR/port; meanwhile heartbeats and a term search
                      every 0.1 s; then the time until every record is searchable

Prints one JSON object: latency percentiles in milliseconds.
"""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HEAVY = json.dumps({"size": 1000, "query": {"query_string": {"query": "*a* OR *b* OR *c*"}}}).encode()


def call(port, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST" if body else "GET",
                                 headers={"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            data, status = r.read(), r.status
    except urllib.error.HTTPError as e:
        data, status = e.read(), e.code
    return status, (time.monotonic() - started) * 1000, data


def percentiles(values):
    v = sorted(values)
    if not v:
        return {}
    pick = lambda q: round(v[min(len(v) - 1, int(q * len(v)))], 2)
    return {"n": len(v), "p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": round(v[-1], 2)}


def heavy(port, n):
    results = []
    threads = [threading.Thread(target=lambda: results.append(call(port, "/api/search", HEAVY)[:2])) for _ in range(n)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    ops = []
    while any(t.is_alive() for t in threads):
        for path in ("/__lbheartbeat__", "/__heartbeat__", "/api/records"):
            ops.append(call(port, path)[1])
        time.sleep(0.02)
    for t in threads:
        t.join()
    return {"searches": percentiles([ms for _, ms in results]), "statuses": sorted(s for s, _ in results),
            "ops_during_searches": percentiles(ops)}


def ingest(binary, data_dir, n):
    port = int(open(os.path.join(data_dir, "port")).read())
    started = time.monotonic()
    gen = subprocess.Popen([binary, "demo-data", "--records", str(n), "--seed", "3"], stdout=subprocess.PIPE)
    ing = subprocess.Popen([binary, "ingest", "--data-dir", data_dir, "-q", "-"], stdin=gen.stdout)
    gen.stdout.close()
    beats, searches = [], []
    body = b'{"size":3,"query":{"term":{"target.channel":"nightly"}}}'
    while ing.poll() is None:
        beats.append(call(port, "/__heartbeat__")[1])
        beats.append(call(port, "/__lbheartbeat__")[1])
        searches.append(call(port, "/api/search", body)[1])
        time.sleep(0.1)
    ingested = time.monotonic() - started
    while json.loads(call(port, "/api/search", b'{"size":0}')[2])["hits"]["total"] < n:
        time.sleep(0.05)
    return {"heartbeats": percentiles(beats), "searches": percentiles(searches),
            "ingest_seconds": round(ingested, 1), "all_searchable_seconds": round(time.monotonic() - started, 1)}


if __name__ == "__main__":
    if sys.argv[1] == "heavy":
        print(json.dumps(heavy(int(sys.argv[2]), int(sys.argv[3]))))
    else:
        print(json.dumps(ingest(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
