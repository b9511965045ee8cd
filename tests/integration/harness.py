"""Helpers for integration tests that drive the real `buildhub` binary.

Servers listen on 127.0.0.1 with an ephemeral port (read back through --port-file) and are
stopped by their own process id.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = os.environ.get("BUILDHUB_BIN", "build/release/src/buildhub")
SHARED = os.environ.get("BUILDHUB_SHARED_DIR", os.path.join(os.path.dirname(__file__), "../../../shared"))


def run(*args, stdin=None, env=None, check=None):
    """Runs buildhub with args; returns CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    full_env.pop("BUILDHUB_DATA_DIR", None)
    if env:
        full_env.update(env)
    proc = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, env=full_env, timeout=600)
    if check is not None and proc.returncode != check:
        raise AssertionError(f"buildhub {' '.join(args)} exited {proc.returncode}, wanted {check}\n"
                             f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="bh-it-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


class Server:
    """`buildhub serve` on 127.0.0.1:<ephemeral>, stopped by PID."""

    def __init__(self, data_dir, *extra):
        self.data_dir = data_dir
        self.extra = extra
        self.proc = None
        self.port = None

    def start(self):
        port_file = os.path.join(self.data_dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(os.path.join(self.data_dir, "server.log"), "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0", "--port-file", port_file,
             *self.extra],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited early with {self.proc.returncode}: {self.read_log()}")
            if os.path.exists(port_file):
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    return self
            time.sleep(0.05)
        raise AssertionError("server did not start: " + self.read_log())

    def read_log(self):
        with open(os.path.join(self.data_dir, "server.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, path, method="GET", body=None, headers=None):
        """Returns (status, headers dict, body bytes); HTTP errors are returned, not raised."""
        req = urllib.request.Request(self.url(path), data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get_json(self, path):
        status, headers, body = self.request(path)
        return status, headers, json.loads(body)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def fixture(*parts):
    return os.path.join(SHARED, "fixtures", *parts)


def wait_until(predicate, timeout=20, what="condition"):
    """Polls `predicate` until it returns something true (returned), or fails the test."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class ScriptServer:
    """One of the test servers beside this file (`python3 SCRIPT ... PORT_FILE ...`): started on
    127.0.0.1, its port read from the file it writes, stopped by its process id. `args` may hold
    the placeholder PORT_FILE, replaced by the port file's path (kept in `port_file`, so a test can
    read the server's request log at port_file + ".log")."""

    def __init__(self, script, directory, *args):
        self.script, self.args = script, args
        self.port_file = os.path.join(directory, "%s-%d.port" % (os.path.splitext(script)[0], id(self)))
        self.proc = None

    def __enter__(self):
        args = [self.port_file if a == "PORT_FILE" else a for a in self.args]
        self.proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), self.script), *args])
        wait_until(lambda: os.path.exists(self.port_file) or self.proc.poll() is not None, timeout=30,
                   what=self.script + " to start")
        if self.proc.poll() is not None:
            raise AssertionError("%s exited with %s" % (self.script, self.proc.returncode))
        with open(self.port_file) as f:
            self.port = int(f.read())
        return self

    def asked(self):
        """The paths requested so far, in order."""
        try:
            with open(self.port_file + ".log") as f:
                return f.read().split()
        except FileNotFoundError:
            return []

    def __exit__(self, *exc):
        os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)
