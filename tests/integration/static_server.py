"""A static file server for tests: serves ROOT on 127.0.0.1:<ephemeral port>, writes the port to
PORT_FILE. Paths listed in REDIRECTS (a JSON file {"/path": "location"}) answer 302 with that
Location. With --rate BYTES_PER_SECOND, bodies are sent slowly (a slow mirror), so a test can
stop a worker while it downloads.

    python3 static_server.py ROOT PORT_FILE [--redirects FILE] [--rate N]
"""
import argparse
import http.server
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loopback_http import serve_forever  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("port_file")
    p.add_argument("--redirects")
    p.add_argument("--rate", type=int, default=0)
    args = p.parse_args()
    redirects = {}
    if args.redirects:
        with open(args.redirects) as f:
            redirects = json.load(f)
    root = os.path.abspath(args.root)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=root, **kw)

        def log_message(self, *a):
            pass

        def do_GET(self):
            path = self.path.split("?")[0]
            if path in redirects:
                self.send_response(302)
                self.send_header("Location", redirects[path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if args.rate <= 0:
                return super().do_GET()
            f = self.send_head()
            if f is None:
                return
            with f:
                while True:
                    chunk = f.read(max(1, args.rate // 10))
                    if not chunk:
                        break
                    try:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError):
                        return  # the client went away (a test killed it)
                    time.sleep(0.1)

    serve_forever(Handler, args.port_file)


if __name__ == "__main__":
    main()
