"""The archive-sync benchmark behind bench/run-sync.sh (see there)."""
import http.client
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from sync_servers import Fauxqs, S3rver, S3Writer, free_port, s3_event, stop_all  # noqa: E402

BIN = os.path.join(REPO, "build", "release", "src", "buildhub")
AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else "aws"  # Debian's awscli, not a pyenv shim
KEYS, MESSAGES, DEST = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
MATCHED = KEYS // 10
AWS_ENV = dict(os.environ, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER", AWS_DEFAULT_REGION="us-east-1",
               AWS_PAGER="", AWS_CLI_AUTO_PROMPT="off")
VALID = json.load(open(os.path.join(REPO, "..", "shared", "fixtures", "buildhub2", "valid-buildhub.json")))


def doc(i):
    d = json.loads(json.dumps(VALID))
    d["build"]["id"] = "2019%010d" % i
    return json.dumps(d)


def timed(cmd, env=None):
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit("%s failed (%d): %s" % (" ".join(cmd[:3]), proc.returncode, proc.stderr[-2000:]))
    return elapsed, proc.stdout


def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def create_bucket(endpoint, name):
    host, port = endpoint.split("//")[1].split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request("PUT", "/" + name, b"", {"Content-Type": "application/octet-stream"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status


def compare(endpoint, work, tag):
    """buildhub vs awscli on one server: listing the whole bucket; downloading the same 10% of objects
    (bucket `docs` holds exactly the buildhub.json of `archive`); and the whole job on `archive`."""
    rows = {}
    ours_list, out = timed([BIN, "backfill", "--data-dir", os.path.join(work, "list-" + tag), "--bucket",
                            endpoint + "/archive", "--dry-run", "--json", "-q"])
    summary = json.loads(out)
    assert summary["listed"] == KEYS and summary["to_download"] == MATCHED, summary
    aws_list, out = timed([AWS, "s3api", "list-objects-v2", "--bucket", "archive", "--endpoint-url", endpoint,
                           "--page-size", "1000", "--query", "length(Contents)", "--output", "text"], env=AWS_ENV)
    assert sum(int(x) for x in out.split()) == KEYS, out[:200]
    rows["listing"] = (ours_list, aws_list, KEYS, "keys")

    def aws_copy(bucket, dest, *filters):
        elapsed, _ = timed([AWS, "s3", "cp", "--recursive", "--only-show-errors", "s3://%s/" % bucket, dest,
                            *filters, "--endpoint-url", endpoint], env=AWS_ENV)
        copied = sum(len(f) for _, _, f in os.walk(dest))
        assert copied == MATCHED, copied
        shutil.rmtree(dest, ignore_errors=True)
        return elapsed

    ours_docs, out = timed([BIN, "backfill", "--data-dir", os.path.join(work, "docs-" + tag), "--bucket",
                            endpoint + "/docs", "--json", "-q"])
    assert json.loads(out)["inserted"] == MATCHED, out
    rows["downloads"] = (ours_docs, aws_copy("docs", os.path.join(work, "aws-docs-" + tag)), MATCHED, "objects")

    ours_full, out = timed([BIN, "backfill", "--data-dir", os.path.join(work, "full-" + tag), "--bucket",
                            endpoint + "/archive", "--json", "-q"])
    assert json.loads(out)["inserted"] == MATCHED, out
    rows["whole bucket"] = (ours_full, aws_copy("archive", os.path.join(work, "aws-full-" + tag), "--exclude", "*",
                                                "--include", "*buildhub.json"), MATCHED, "objects")
    return rows


def seed(endpoint, items):
    """`archive`: every item; `docs`: only its buildhub.json objects, under the same keys."""
    writer = S3Writer(endpoint, threads=16)
    writer.put_many("archive", items)
    writer.put_many("docs", [(k, b) for k, b in items if k.endswith("buildhub.json")])


def records_total(port):
    """Records a search finds (match_all): what "searchable" means."""
    request = urllib.request.Request("http://127.0.0.1:%d/api/search" % port, data=b'{"size": 0}', method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)["hits"]["total"]


def daemon_run(s3, queue, writer, work):
    """MESSAGES S3 events, each for its own object, end to end through `serve --queue`."""
    url = queue.create_queue("bench-events")
    events = [("pub/events/%05d/buildhub.json" % i, doc(10_000_000 + i)) for i in range(MESSAGES)]
    etags = writer.put_many("events", events)
    port = free_port()
    log = open(os.path.join(work, "serve.log"), "wb")
    server = subprocess.Popen([BIN, "serve", "--data-dir", os.path.join(work, "daemon"), "--listen",
                               "127.0.0.1:%d" % port, "--queue", url, "--s3-endpoint-url", s3.endpoint,
                               "--wait-seconds", "1", "--no-access-log"], stdout=log, stderr=log)
    try:
        deadline = time.time() + 60
        while True:
            try:
                records_total(port)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        # One event at a time first: latency from send to searchable.
        latencies = []
        for key, _ in events[:20]:
            before = records_total(port)
            t0 = time.perf_counter()
            queue.send(url, s3_event("events", key, etags[key], sns=True))
            while records_total(port) == before:
                time.sleep(0.002)
            latencies.append(time.perf_counter() - t0)
        # Then the rest as fast as the queue takes them (SendMessageBatch, 4 senders).
        rest = events[20:]
        t0 = time.perf_counter()

        def sender(part):
            for j in range(0, len(part), 10):
                entries = [{"Id": str(n), "MessageBody": s3_event("events", k, etags[k], sns=True)}
                           for n, (k, _) in enumerate(part[j:j + 10])]
                queue.call("SendMessageBatch", {"QueueUrl": url, "Entries": entries})

        threads = [threading.Thread(target=sender, args=(rest[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        send_s = time.perf_counter() - t0
        while records_total(port) < MESSAGES:
            time.sleep(0.05)
        return len(rest), time.perf_counter() - t0, send_s, sorted(latencies)
    finally:
        server.terminate()
        server.wait(timeout=60)


def main():
    work = tempfile.mkdtemp(prefix="bh-sync-bench-")
    s3 = queue = None
    try:
        s3 = S3rver(os.path.join(work, "s3"), ["archive", "docs", "events"])
        writer = S3Writer(s3.endpoint, threads=16)
        items = []
        for i in range(KEYS):
            folder = "pub/firefox/nightly/%04d" % (i % 1000)
            if i % 10 == 0:
                items.append(("%s/firefox-%06d.en-US.linux-x86_64.buildhub.json" % (folder, i), doc(i)))
            else:
                items.append(("%s/firefox-%06d.txt" % (folder, i), "x" * 64))
        t0 = time.perf_counter()
        seed(s3.endpoint, items)
        seed_s = time.perf_counter() - t0
        print("seeded s3rver with %d keys in %.1f s" % (KEYS, seed_s), file=sys.stderr)
        aws_version = subprocess.run([AWS, "--version"], capture_output=True, text=True, env=AWS_ENV).stdout.strip()
        tables = {"s3rver 3.7.1 (objects on disk)": compare(s3.endpoint, work, "s3rver")}
        # The same bucket on fauxqs's S3 (in memory): a faster server shows more of the clients' own cost.
        queue = Fauxqs()
        create_bucket(queue.endpoint, "archive")
        create_bucket(queue.endpoint, "docs")
        seed(queue.endpoint, items)
        tables["fauxqs 2.4.1's S3 (objects in memory)"] = compare(queue.endpoint, work, "fauxqs")
        sent, daemon_s, send_s, latencies = daemon_run(s3, queue, writer, work)

        mem = int(open("/proc/meminfo").readline().split()[1]) // (1024 * 1024)
        lines = ["Archive sync on 127.0.0.1, side by side in one run; %s." % aws_version,
                 "Machine: %s, %d cores, %d GiB RAM." % (cpu(), os.cpu_count(), mem + 1),
                 "Bucket: %d keys (pages of 1,000), %d of them buildhub.json (~1.6 KB each); seeding s3rver took "
                 "%.0f s (both buckets)." % (KEYS, MATCHED, seed_s), ""]
        for server_name, rows in tables.items():
            lines += ["On %s:" % server_name, "",
                      "| | buildhub s | awscli s | buildhub per s | awscli per s | ratio |",
                      "|---|---|---|---|---|---|"]
            for name, (ours, aws, n, unit) in rows.items():
                lines.append("| %s (%d %s) | %.2f | %.2f | %.0f | %.0f | **%.1f×** |"
                             % (name, n, unit, ours, aws, n / ours, n / aws, aws / ours))
            lines.append("")
        lines += ["`listing`: `buildhub backfill --dry-run` vs `aws s3api list-objects-v2 --page-size 1000` over the "
                  "whole bucket. `downloads`: the same %d buildhub.json objects, alone in a bucket of their own: "
                  "`buildhub backfill` into a fresh store (list, download, validate, store) vs `aws s3 cp --recursive` "
                  "(list, download, write files). `whole bucket`: `buildhub backfill` of all %d keys vs `aws s3 cp "
                  "--recursive --exclude '*' --include '*buildhub.json'` of the same bucket." % (MATCHED, KEYS), "",
                  "Daemon (`serve --queue`, fauxqs SQS, s3rver S3): %d S3 events (SNS-wrapped) end to end, event "
                  "sent to record searchable: %.0f events/s (%.1f s; sending took %.1f s). One event at a time: "
                  "median %.0f ms, max %.0f ms (20 samples)."
                  % (sent, sent / daemon_s, daemon_s, send_s, latencies[len(latencies) // 2] * 1000,
                     latencies[-1] * 1000)]
        report = "\n".join(lines) + "\n"
        with open(DEST, "w") as f:
            f.write(report)
        print(report)
    finally:
        stop_all(queue, s3)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
