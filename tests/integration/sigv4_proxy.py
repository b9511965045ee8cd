"""A signature-checking proxy: every request must carry an AWS Signature V4 that botocore (Debian's
python3-botocore, AWS's own Python implementation) computes the same from the received bytes; good
ones are forwarded to the real server behind, bad ones get 403 SignatureDoesNotMatch. s3rver and
fauxqs do not check signatures, so this is how the tests check buildhub's.

    /usr/bin/python3 sigv4_proxy.py PORT UPSTREAM_PORT ACCESS_KEY SECRET COUNTS_FILE

Listens on 127.0.0.1:PORT only; writes {"verified": n, "refused": m} to COUNTS_FILE after each request.
"""
import http.client
import http.server
import json
import re
import sys
import threading

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

PORT, UPSTREAM, ACCESS, SECRET, COUNTS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                  r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")
lock = threading.Lock()
counts = {"verified": 0, "refused": 0}


def expected_signature(method, path, headers, body):
    m = AUTH.match(headers.get("authorization", ""))
    if not m:
        return None, "no SigV4 Authorization header"
    access, _date, region, service, signed, signature = m.groups()
    if access != ACCESS:
        return None, "unknown access key " + access
    names = signed.split(";")
    host = headers.get("host", "")
    request = AWSRequest(method=method, url="http://%s%s" % (host, path), data=body,
                         headers={n: headers[n] for n in names if n in headers})
    auth_class = S3SigV4Auth if service == "s3" else SigV4Auth
    auth = auth_class(Credentials(ACCESS, SECRET), service, region)
    request.context["timestamp"] = headers["x-amz-date"]
    if service == "s3":
        request.context["payload_signing_enabled"] = True
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    return (expected == signature), canonical


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        ok, detail = expected_signature(self.command, self.path, headers, body)
        with lock:
            counts["verified" if ok else "refused"] += 1
            with open(COUNTS, "w") as f:
                json.dump(counts, f)
        if not ok:
            message = ("<Error><Code>SignatureDoesNotMatch</Code><Message>%s</Message></Error>" %
                       (detail or "").replace("<", "&lt;")).encode()
            self.send_response(403)
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)
            return
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        forward = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream.request(self.command, self.path, body, forward)
        r = upstream.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("listening", flush=True)
server.serve_forever()
