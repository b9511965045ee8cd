"""A stand-in for archive.mozilla.org for tests: serves CONTENT (a JSON file {"path": answer}) on
127.0.0.1:<ephemeral port> and writes the port to PORT_FILE. An answer that is an object or a
list is sent as JSON (a directory listing or a metadata file), a string as text, a number as
that status with no body; any other path is a 404. CONTENT is read again when it changes, so a
test can publish files while the server runs. Every request's path is appended to
PORT_FILE + ".log", so a test can count what was asked.

    python3 archive_server.py CONTENT PORT_FILE
"""
import http.server
import json
import os
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loopback_http import serve_forever  # noqa: E402


def main():
    content_file, port_file = sys.argv[1], sys.argv[2]
    state = {"mtime": None, "content": {}}
    lock = threading.Lock()

    def current():
        with lock:
            mtime = os.stat(content_file).st_mtime_ns
            if mtime != state["mtime"]:
                with open(content_file) as f:
                    state["content"] = json.load(f)
                state["mtime"] = mtime
            return state["content"]

    current()
    log = open(port_file + ".log", "a")

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            path = urllib.parse.unquote(self.path.split("?")[0].lstrip("/"))
            log.write(path + "\n")
            log.flush()
            answer = current().get(path)
            if answer is None:
                self.send_response(404)
                body, kind = b"<html>Not Found</html>", "text/html"
            elif isinstance(answer, int):
                self.send_response(answer)
                body, kind = b"", "text/plain"
            elif isinstance(answer, str):
                self.send_response(200)
                body, kind = answer.encode(), "text/plain"
            else:
                self.send_response(200)
                body, kind = json.dumps(answer).encode(), "application/json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    serve_forever(Handler, port_file)


if __name__ == "__main__":
    main()
