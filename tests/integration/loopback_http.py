"""What the small test servers beside this file share: serve a handler class on 127.0.0.1 at an
ephemeral port, one thread per request, and announce the port by writing it to a file
atomically (the test waits for the file, then reads the port)."""
import http.server
import os
import socketserver


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve_forever(handler_class, port_file):
    with _Server(("127.0.0.1", 0), handler_class) as server:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(tmp, port_file)
        server.serve_forever()
