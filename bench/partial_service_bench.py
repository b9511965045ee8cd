#!/usr/bin/env python3
"""The issue-16 benchmark: the partial service (`buildhub serve --workers`) on loopback.

1. Downloads of a cached partial (the firefox-esr pair's): time to first byte over 200 requests and
   throughput over 10 downloads, one client and four at once, against Python's http.server serving
   the same file in the same run (the peer: a plain static file server).
2. The firefox-esr pair through the service: a cold job (every cache level empty), a warm job (the
   same request after the job and its partial were deleted: the complete MARs and the patches are
   cached) and a repeated request for a done partial.
3. N "locales" of one version pair: the big files identical, three small files different per
   locale (application.ini and platform.ini in both trees, removed-files in the new one). N cold
   jobs (every cache dropped before each) against the same N jobs with the caches kept.

Every job's partial is checked: the cold and warm firefox MARs are byte-identical, and each
locale's partial equals what `buildhub partial` makes from the same two MARs.

Usage: partial_service_bench.py BUILDHUB FROM.mar TO.mar VERSIONS OUT.md [--locales N]
"""
import argparse
import hashlib
import json
import lzma
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ADMIN = "bench-admin-token-0123456789abcdef"
# Files changed per locale: small text files (a locale's strings), never the big binaries.
LOCALE_FILES = ("application.ini", "platform.ini")


def sha512_file(path):
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def call(url, method="GET", body=None, headers=None, timeout=600):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Process:
    """A server started here on 127.0.0.1 that writes its port to a file; stopped by its PID."""

    def __init__(self, argv, port_file, log):
        self.port_file = port_file
        self.log = open(log, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"partial-service bench: {argv[0]} did not start (see {log})")
            time.sleep(0.05)
        self.port = int(open(port_file).read())

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=60)
        self.log.close()


def curl_times(url, runs):
    """[(time_starttransfer s, speed bytes/s)] of `runs` sequential downloads to /dev/null."""
    out = []
    for _ in range(runs):
        r = subprocess.run(["curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{time_starttransfer} %{speed_download}", url],
                           capture_output=True, text=True, check=True)
        ttfb, speed = r.stdout.split()
        out.append((float(ttfb), float(speed)))
    return out


def parallel_throughput(url, clients, size):
    """Aggregate bytes/s of `clients` curl downloads at once (three rounds, the median)."""
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        procs = [subprocess.Popen(["curl", "-sS", "--fail", "-o", "/dev/null", url]) for _ in range(clients)]
        for p in procs:
            if p.wait() != 0:
                raise SystemExit("partial-service bench: a parallel download failed")
        rounds.append(clients * size / (time.perf_counter() - start))
    return statistics.median(rounds)


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


class Bench:
    def __init__(self, args, work):
        self.args, self.work = args, work
        self.bin = args.buildhub
        self.www = os.path.join(work, "www")
        os.makedirs(self.www)

    def serve_file(self, src, name):
        dst = os.path.join(self.www, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.symlink(os.path.abspath(src), dst)
        return name

    def start_servers(self):
        here = os.path.dirname(os.path.abspath(__file__))
        static = os.path.join(here, "../tests/integration/static_server.py")
        self.static = Process([sys.executable, static, self.www, os.path.join(self.work, "static.port")],
                              os.path.join(self.work, "static.port"), os.path.join(self.work, "static.log"))
        self.data = os.path.join(self.work, "data")
        os.makedirs(self.data)
        tokens = os.path.join(self.work, "admin-tokens")
        with open(tokens, "w") as f:
            f.write(ADMIN + "\n")
        self.hub = Process([self.bin, "serve", "--data-dir", self.data, "--listen", "127.0.0.1:0",
                            "--port-file", os.path.join(self.work, "hub.port"), "--workers", "1",
                            "--fetch-allow-host", "127.0.0.1", "--fetch-allow-internal", "127.0.0.1",
                            "--admin-token-file", tokens, "--no-access-log"],
                           os.path.join(self.work, "hub.port"), os.path.join(self.work, "hub.log"))

    def stop_servers(self):
        for p in (getattr(self, "hub", None), getattr(self, "static", None)):
            if p:
                p.stop()

    def admin(self, path, method="POST", body=b""):
        return call(self.hub.url(path), method, body, {"Authorization": f"Bearer {ADMIN}"})

    def job(self, from_name, to_name, extra=None):
        """Submits a job by URL and waits: (seconds from POST to done, the job's record)."""
        body = {"from": {"url": self.static.url("/" + from_name), "sha512": self.hashes[from_name]},
                "to": {"url": self.static.url("/" + to_name), "sha512": self.hashes[to_name]}, **(extra or {})}
        start = time.perf_counter()
        status, raw = call(self.hub.url("/api/partials"), "POST", json.dumps(body).encode(),
                           {"Content-Type": "application/json"})
        if status not in (200, 202):
            raise SystemExit(f"partial-service bench: submission answered {status}: {raw[:300]}")
        ident = json.loads(raw)["id"]
        while True:
            status, raw = call(self.hub.url(f"/api/partials/{ident}"))
            doc = json.loads(raw)
            if doc.get("state") == "done":
                return time.perf_counter() - start, doc
            if doc.get("state") == "failed" or (status >= 400 and status != 409):
                raise SystemExit(f"partial-service bench: job {ident} failed ({status}): {raw[:500]}")
            time.sleep(0.02)

    def mar_bytes(self, ident):
        status, raw = call(self.hub.url(f"/api/partials/{ident}/mar"))
        if status != 200:
            raise SystemExit(f"partial-service bench: downloading {ident} answered {status}")
        return raw

    # --- locales ---------------------------------------------------------------------------
    def make_locale_pairs(self, from_mar, to_mar, count):
        """`count` pairs of MARs: FROM and TO without libxul.so (so that 20 cold jobs take minutes,
        not half an hour), each locale with its own application.ini and platform.ini (both trees)
        and removed-files (the new tree). Entries are re-packed as stored (their compressed bytes
        reused), so only the changed files are compressed again."""
        pairs = []
        for side, mar in (("from", from_mar), ("to", to_mar)):
            raw = os.path.join(self.work, f"raw-{side}")
            os.makedirs(raw)
            subprocess.run([self.bin, "mar", "-C", raw, "-x", mar], check=True)
            os.unlink(os.path.join(raw, "libxul.so"))
        info = {}
        for side, mar in (("from", from_mar), ("to", to_mar)):
            listing = subprocess.run([self.bin, "mar", "-T", mar], capture_output=True, text=True, check=True).stdout
            fields = dict(line.strip().lstrip("- ").split(": ", 1) for line in listing.splitlines() if ": " in line)
            info[side] = (fields["MAR channel name"].strip(), fields["Product version"].strip())
        locales = [f"x{i:02d}" for i in range(count)]
        for locale in locales:
            names = {}
            for side in ("from", "to"):
                tree = os.path.join(self.work, f"locale-{side}")
                shutil.rmtree(tree, ignore_errors=True)
                shutil.copytree(os.path.join(self.work, f"raw-{side}"), tree, copy_function=os.link)
                changed = list(LOCALE_FILES) + (["removed-files"] if side == "to" else [])
                for rel in changed:
                    path = os.path.join(tree, rel)
                    text = lzma.decompress(open(path, "rb").read())
                    text += f"\n# locale {locale} ({side})\n[Locale]\nName={locale}\n".encode()
                    os.unlink(path)  # a hard link to the shared copy: write a new file
                    with open(path, "wb") as f:
                        f.write(lzma.compress(text, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                                              filters=[{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2, "preset": 6}]))
                entries = sorted((os.path.relpath(os.path.join(d, n), tree) for d, _, ns in os.walk(tree) for n in ns
                                  if n != "updatev3.manifest"), reverse=True)
                out = os.path.join(self.work, "locales", locale, f"{side}.complete.mar")
                os.makedirs(os.path.dirname(out), exist_ok=True)
                channel, version = info[side]
                subprocess.run([self.bin, "mar", "-H", channel, "-V", version, "-C", tree, "-c", out,
                                "updatev3.manifest", *entries], check=True)
                names[side] = self.serve_file(out, f"locales/{locale}/{side}.complete.mar")
                self.hashes[names[side]] = sha512_file(out)
            pairs.append((locale, names["from"], names["to"]))
        return pairs

    def run(self):
        a = self.args
        self.hashes = {}
        from_name = self.serve_file(a.from_mar, "ff/from.complete.mar")
        to_name = self.serve_file(a.to_mar, "ff/to.complete.mar")
        self.hashes[from_name] = sha512_file(a.from_mar)
        self.hashes[to_name] = sha512_file(a.to_mar)
        print(f"partial-service bench: making {a.locales} locale pairs", flush=True)
        pairs = self.make_locale_pairs(a.from_mar, a.to_mar, a.locales)
        self.start_servers()
        try:
            return self.measure(from_name, to_name, pairs)
        finally:
            self.stop_servers()

    def measure(self, from_name, to_name, pairs):
        a = self.args
        r = {}
        # 2. The firefox-esr pair: cold, then the same request again once deleted (warm).
        r["cold"], cold = self.job(from_name, to_name)
        print(f"partial-service bench: firefox cold job {r['cold']:.2f} s", flush=True)
        cold_mar = self.mar_bytes(cold["id"])
        status, _ = self.admin(f"/api/partials/{cold['id']}", "DELETE")
        assert status == 200, status
        r["warm"], warm = self.job(from_name, to_name)
        print(f"partial-service bench: firefox warm job {r['warm']:.2f} s", flush=True)
        if self.mar_bytes(warm["id"]) != cold_mar:
            raise SystemExit("partial-service bench: the warm partial differs from the cold one")
        r["again"], _ = self.job(from_name, to_name)
        r["cold_job"], r["warm_job"] = cold, warm
        r["partial_bytes"] = len(cold_mar)

        # 1. Downloads of the cached partial, ours against a static file server on the same bytes.
        partial_file = os.path.join(self.work, "www", "cached.partial.mar")
        with open(partial_file, "wb") as f:
            f.write(cold_mar)
        ours = self.hub.url(f"/partial/{warm['id']}")
        peer = self.static.url("/cached.partial.mar")
        for url in (ours, peer):
            curl_times(url, 2)  # the first download loads the partial (ours) and warms the page cache
        r["ours_dl"] = curl_times(ours, a.downloads)
        r["peer_dl"] = curl_times(peer, a.downloads)
        r["ours_ttfb"] = [t for t, _ in curl_ttfb_range(ours, a.ttfb_runs)]
        r["peer_ttfb"] = [t for t, _ in curl_ttfb_range(peer, a.ttfb_runs)]
        r["ours_par"] = parallel_throughput(ours, 4, len(cold_mar))
        r["peer_par"] = parallel_throughput(peer, 4, len(cold_mar))
        print("partial-service bench: downloads measured", flush=True)

        # 3. Locales: every cache dropped before each job, then the same jobs with the caches kept.
        cold_times, cached_times, locale_sizes = [], [], []
        for locale, f, t in pairs:
            status, _ = self.admin("/api/admin/caches/drop")
            assert status == 200, status
            seconds, doc = self.job(f, t)
            cold_times.append(seconds)
            status, _ = self.admin(f"/api/partials/{doc['id']}", "DELETE")  # so the second round builds it again
            assert status == 200, status
            print(f"partial-service bench: locale {locale} cold {seconds:.2f} s", flush=True)
        status, _ = self.admin("/api/admin/caches/drop")
        assert status == 200, status
        for locale, f, t in pairs:
            seconds, doc = self.job(f, t)
            cached_times.append(seconds)
            locale_sizes.append(doc["size"])
            print(f"partial-service bench: locale {locale} with the caches {seconds:.2f} s", flush=True)
            if locale == pairs[-1][0]:
                # The last one checked against `buildhub partial` on the same MARs, no cache.
                want = os.path.join(self.work, "want.mar")
                subprocess.run([self.bin, "partial", os.path.join(self.www, f), os.path.join(self.www, t), "-o", want],
                               check=True, capture_output=True)
                if self.mar_bytes(doc["id"]) != open(want, "rb").read():
                    raise SystemExit(f"partial-service bench: locale {locale}'s partial differs from `buildhub partial`'s")
        r["locale_cold"], r["locale_cached"], r["locale_sizes"] = cold_times, cached_times, locale_sizes
        status, raw = self.admin("/api/admin/stats", "GET")
        r["stats"] = json.loads(raw) if status == 200 else {}
        return r


def curl_ttfb_range(url, runs):
    """Time to first byte: each request asks for the first 64 KiB (Range), so the time measured
    is the answer's start, not the transfer of the rest."""
    out = []
    for _ in range(runs):
        r = subprocess.run(["curl", "-sS", "--fail", "-r", "0-65535", "-o", "/dev/null", "-w", "%{time_starttransfer} %{speed_download}", url],
                           capture_output=True, text=True, check=True)
        ttfb, speed = r.stdout.split()
        out.append((float(ttfb), float(speed)))
    return out


def report(r, args):
    ms = lambda s: f"{s * 1000:.2f} ms"  # noqa: E731
    mbs = lambda b: f"{b / 1e6:.0f} MB/s"  # noqa: E731
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    lines = [f"# Partial service benchmark: {os.cpu_count()} cores, {cpu}, {time.strftime('%Y-%m-%d', time.gmtime())}",
             "", f"{args.versions}; complete MARs {os.path.getsize(args.from_mar)} and {os.path.getsize(args.to_mar)} bytes; "
             f"the partial {r['partial_bytes']} bytes. Python {platform.python_version()} http.server is the peer.", ""]
    o_ttfb, p_ttfb = r["ours_ttfb"], r["peer_ttfb"]
    o_full = [t for t, _ in r["ours_dl"]]
    p_full = [t for t, _ in r["peer_dl"]]
    o_speed = statistics.median(s for _, s in r["ours_dl"])
    p_speed = statistics.median(s for _, s in r["peer_dl"])
    lines += ["| download of the cached partial | buildhub GET /partial/<id> | peer: python http.server | peer / ours (time), ours / peer (throughput) |",
              "|---|---:|---:|---:|",
              f"| time to first byte, p50 ({len(o_ttfb)} requests, `curl -r 0-65535`) | {ms(statistics.median(o_ttfb))} | {ms(statistics.median(p_ttfb))} | {statistics.median(p_ttfb) / statistics.median(o_ttfb):.1f}x |",
              f"| time to first byte, p95 | {ms(percentile(o_ttfb, 0.95))} | {ms(percentile(p_ttfb, 0.95))} | {percentile(p_ttfb, 0.95) / percentile(o_ttfb, 0.95):.1f}x |",
              f"| time to first byte of the whole file, p50 ({len(o_full)} downloads) | {ms(statistics.median(o_full))} | {ms(statistics.median(p_full))} | {statistics.median(p_full) / statistics.median(o_full):.1f}x |",
              f"| throughput, one client (median of {len(o_full)}) | {mbs(o_speed)} | {mbs(p_speed)} | {o_speed / p_speed:.1f}x |",
              f"| throughput, four clients at once (aggregate, median of 3 rounds) | {mbs(r['ours_par'])} | {mbs(r['peer_par'])} | {r['ours_par'] / r['peer_par']:.1f}x |",
              ""]
    cj, wj = r["cold_job"], r["warm_job"]
    phases = ("download", "extract", "diff", "compress", "write")
    def phase_row(name, doc):
        t = doc.get("timings", {})
        return f"| {name} | " + " | ".join(f"{t.get(p, 0):.2f}" for p in phases) + f" | {t.get('total', 0):.2f} |"
    lines += ["| firefox-esr pair through the service | POST to done | partial bytes |", "|---|---:|---:|",
              f"| cold job (every cache empty) | {r['cold']:.2f} s | {cj['size']} |",
              f"| warm job (job and partial deleted; complete MARs and patches cached; byte-identical) | {r['warm']:.2f} s | {wj['size']} |",
              f"| the same request once done (POST answers 200, then one GET) | {ms(r['again'])} | |",
              "", "Job phases (seconds, from the job records):", "",
              "| job | " + " | ".join(phases) + " | total |", "|---|" + "---:|" * (len(phases) + 1),
              phase_row("cold", cj), phase_row("warm", wj), ""]
    lc, lk = r["locale_cold"], r["locale_cached"]
    lines += [f"| {len(lc)} locales of one pair (firefox-esr trees without libxul.so) | total | per job, median | first job | the rest, median |",
              "|---|---:|---:|---:|---:|",
              f"| cold: every cache dropped before each job | {sum(lc):.2f} s | {statistics.median(lc):.2f} s | {lc[0]:.2f} s | {statistics.median(lc[1:]) if len(lc) > 1 else 0:.2f} s |",
              f"| with the caches (L1 complete MARs, L2 patches) | {sum(lk):.2f} s | {statistics.median(lk):.2f} s | {lk[0]:.2f} s | {statistics.median(lk[1:]) if len(lk) > 1 else 0:.2f} s |",
              f"| cold / cached | **{sum(lc) / sum(lk):.1f}x** | | | |", ""]
    caches = r["stats"].get("caches", {})
    if caches:
        lines += ["Cache counters at the end (`GET /api/admin/stats`):", "", "```", json.dumps(caches, indent=1, sort_keys=True), "```", ""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("buildhub")
    p.add_argument("from_mar")
    p.add_argument("to_mar")
    p.add_argument("versions")
    p.add_argument("out")
    p.add_argument("--locales", type=int, default=20)
    p.add_argument("--downloads", type=int, default=10)
    p.add_argument("--ttfb-runs", type=int, default=200)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bh-partial-service-") as work:
        r = Bench(args, work).run()
    text = report(r, args)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
