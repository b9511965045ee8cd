"""A Kinto-shaped server for tests: serves RECORDS (a JSON list of Kinto records) as
/v1/buckets/B/collections/C/records?_limit=N pages, newest first as Kinto sorts them, with a
Next-Page header naming the next page (its _token is the offset), on 127.0.0.1:<ephemeral port>
written to PORT_FILE. While the file PORT_FILE + ".fail" exists and names a page number (1 for the
first), that page answers 503. Every request's path is appended to PORT_FILE + ".log".

    python3 kinto_server.py RECORDS PORT_FILE
"""
import http.server
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loopback_http import serve_forever  # noqa: E402


def main():
    records_file, port_file = sys.argv[1], sys.argv[2]
    with open(records_file) as f:
        records = sorted(json.load(f), key=lambda r: -r["last_modified"])
    log = open(port_file + ".log", "a")

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, status, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            log.write(self.path + "\n")
            log.flush()
            url = urllib.parse.urlparse(self.path)
            parts = url.path.strip("/").split("/")
            if len(parts) != 6 or parts[:2] != ["v1", "buckets"] or parts[3] != "collections" or parts[5] != "records":
                return self.send(404, {"code": 404, "errno": 111, "error": "Not Found"})
            if (parts[2], parts[4]) != ("build-hub", "releases"):
                return self.send(403, {"code": 403, "errno": 121, "error": "Forbidden"})
            query = urllib.parse.parse_qs(url.query)
            limit = int(query.get("_limit", ["25"])[0])
            offset = int(query.get("_token", ["0"])[0])
            page = offset // limit + 1
            try:
                with open(port_file + ".fail") as f:
                    if int(f.read()) == page:
                        return self.send(503, {"code": 503, "errno": 201, "error": "Service Unavailable"})
            except OSError:
                pass
            chunk = records[offset:offset + limit]
            headers = [("Total-Records", str(len(records)))]
            if offset + limit < len(records):
                next_query = urllib.parse.urlencode({"_limit": limit, "_token": offset + limit})
                headers.append(("Next-Page", "http://127.0.0.1:%d%s?%s" % (self.server.server_address[1], url.path, next_query)))
            self.send(200, {"data": chunk}, headers)

    serve_forever(Handler, port_file)


if __name__ == "__main__":
    main()
