"""`buildhub mar` end to end: Mozilla's options on the real binary, the fixture MARs from
build-mar, round trips through create/list/extract/sign/verify/strip/export/import/refresh, and
refusals of bad input (exit 3, nothing written outside the target)."""
import filecmp
import hashlib
import json
import os
import random
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, SHARED, TempDir, run  # noqa: E402

FIX = os.path.join(SHARED, "fixtures/mar/build-mar-tests")


def rows(listing):
    """The (size, mode, name) set of a `-t`/`-T` listing, ours or build-mar's."""
    out, in_table = set(), False
    for line in listing.splitlines():
        if line.startswith("SIZE"):
            in_table = True
            continue
        if in_table and line.strip():
            size, mode, name = line.split(None, 2)
            out.add((int(size), int(mode, 8), name.strip()))
    return out


def tree_files(root):
    found = []
    for d, _, files in os.walk(root):
        for f in files:
            found.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(found)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_listings_match_saved_output():
    for name in ("test-bz2.mar", "test-xz.mar"):
        t = run("mar", "-t", os.path.join(FIX, name), check=0).stdout
        assert t.startswith("SIZE\tMODE\tNAME\n"), t
        assert rows(t) == rows(open(os.path.join(FIX, name + ".list-t.txt")).read()), name
        big = run("mar", "-T", os.path.join(FIX, name), check=0).stdout
        assert rows(big) == rows(open(os.path.join(FIX, name + ".list-T.txt")).read()), name
        n = 1 if name == "test-bz2.mar" else 0
        assert big.startswith(f"Signature block found with {n} signature{'s' if n != 1 else ''}\n"
                              "1 additional block found:\n  - Product Information Block:\n"
                              "    - MAR channel name: thunderbird-comm-esr\n    - Product version: 100.0\n\nSIZE"), big
        listing = json.loads(run("mar", "-T", "--json", os.path.join(FIX, name), check=0).stdout)
        assert listing["product_information"] == {"channel": "thunderbird-comm-esr", "version": "100.0"}
        assert {e["compression"] for e in listing["entries"]} == {"bz2" if "bz2" in name else "xz"}


def test_extract_raw_and_decompressed():
    with TempDir() as d:
        os.makedirs(os.path.join(d, "dec"))
        run("mar", "-C", os.path.join(d, "dec"), "-x", os.path.join(FIX, "test-bz2.mar"), "--decompress", check=0)
        saved = os.path.join(FIX, "test-bz2.extracted")
        assert tree_files(os.path.join(d, "dec")) == tree_files(saved)
        for f in tree_files(saved):
            assert filecmp.cmp(os.path.join(d, "dec", f), os.path.join(saved, f), shallow=False), f
            assert os.stat(os.path.join(d, "dec", f)).st_mode & 0o777 == 0o664
        os.makedirs(os.path.join(d, "raw"))
        run("mar", "-C", os.path.join(d, "raw"), "-x", os.path.join(FIX, "test-bz2.mar"), check=0)
        with open(os.path.join(d, "raw", "update.manifest"), "rb") as f:
            assert f.read(3) == b"BZh"  # Mozilla's -x writes the stored bytes


def make_tree(root):
    rng = random.Random(5)
    os.makedirs(os.path.join(root, "defaults/pref"))
    with open(os.path.join(root, "firefox"), "wb") as f:
        f.write(bytes(rng.randrange(256) if i % 5 == 0 else i % 256 for i in range(300000)))
    os.chmod(os.path.join(root, "firefox"), 0o755)
    with open(os.path.join(root, "application.ini"), "w") as f:
        f.write("[App]\nBuildID=20261123000000\n")
    with open(os.path.join(root, "defaults/pref/channel-prefs.js"), "w") as f:
        f.write('pref("app.update.channel", "release");\n')
    with open(os.path.join(root, "empty"), "w") as f:
        pass
    return ["firefox", "application.ini", "defaults/pref/channel-prefs.js", "empty"]


def test_create_list_extract_round_trips():
    with TempDir() as d:
        tree = os.path.join(d, "tree")
        files = make_tree(tree)
        for extra in (["--compress", "xz"], ["--compress", "xz", "--x86"], ["--compress", "bzip2"]):
            # -C applies before the archive path, as in Mozilla's tool: the MAR lands in the tree.
            run("mar", *extra, "-H", "firefox-mozilla-release", "-V", "153.0", "-C", tree, "-c", "../a.mar", *files,
                check=0)
            run("mar", *extra, "-H", "firefox-mozilla-release", "-V", "153.0", "-C", tree, "-c", "../b.mar", *files,
                check=0)
            assert sha(os.path.join(d, "a.mar")) == sha(os.path.join(d, "b.mar")), extra
            listing = rows(run("mar", "-t", os.path.join(d, "a.mar"), check=0).stdout)
            assert {(name, mode) for _, mode, name in listing} == {
                ("firefox", 0o755), ("application.ini", 0o644), ("defaults/pref/channel-prefs.js", 0o644),
                ("empty", 0o644)}
            out = os.path.join(d, "out")
            subprocess.run(["rm", "-rf", out], check=True)
            os.makedirs(out)
            run("mar", "-C", out, "-x", os.path.join(d, "a.mar"), "--decompress", check=0)
            assert tree_files(out) == sorted(files)
            for f in files:
                assert filecmp.cmp(os.path.join(out, f), os.path.join(tree, f), shallow=False), (extra, f)
        # Stored as is, an empty file would be a zero-length entry, which the updater refuses.
        r = run("mar", "-H", "c", "-V", "1", "-C", tree, "-c", "../c.mar", "empty")
        assert r.returncode == 3 and "zero-length" in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(d, "c.mar"))
        # Mozilla's own error texts for a missing -H / -V.
        r = run("mar", "-V", "1", "-c", os.path.join(d, "x.mar"), os.path.join(tree, "firefox"))
        assert r.returncode == 3 and "MAR channel ID not specified" in r.stderr


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def test_sign_verify_strip_export_import_refresh():
    with TempDir() as d:
        tree = os.path.join(d, "tree")
        files = make_tree(tree)
        run("mar", "--compress", "xz", "-H", "firefox-mozilla-release", "-V", "153.0", "-C", tree, "-c",
            "../unsigned.mar", *files, check=0)
        k1, k2 = os.path.join(d, "k1.pem"), os.path.join(d, "k2.pem")
        openssl("genrsa", "-out", k1, "4096")
        openssl("genrsa", "-out", k2, "4096")
        openssl("rsa", "-in", k1, "-pubout", "-out", os.path.join(d, "k1.pub.pem"))
        openssl("rsa", "-in", k2, "-pubout", "-out", os.path.join(d, "k2.pub.pem"))
        # A DER X.509 certificate, what Mozilla's non-NSS `mar -D` is given.
        openssl("req", "-x509", "-new", "-key", k1, "-subj", "/CN=buildhub test", "-days", "1", "-outform", "DER",
                "-out", os.path.join(d, "k1.der"))
        u, s1, s2 = (os.path.join(d, n) for n in ("unsigned.mar", "s1.mar", "s2.mar"))
        run("mar", "--key", k1, "-s", u, s1, check=0)
        run("mar", "--key", k2, "-s", u, s2, check=0)
        big = run("mar", "-T", s1, check=0).stdout
        assert "Signature block found with 1 signature\n" in big
        assert json.loads(run("mar", "-t", "--json", s1, check=0).stdout)["signatures"] == [
            {"algorithm_id": 2, "algorithm": "rsa-pkcs1-sha384", "size": 512}]
        run("mar", "-D", os.path.join(d, "k1.der"), "-v", s1, check=0)
        run("mar", "-D0", os.path.join(d, "k1.pub.pem"), "-v", s1, check=0)
        bad = run("mar", "-D", os.path.join(d, "k2.pub.pem"), "-v", s1)
        assert bad.returncode == 3 and "does not verify" in bad.stderr, bad.stderr
        # A flipped byte in the data fails verification.
        data = bytearray(open(s1, "rb").read())
        data[len(data) // 2] ^= 1
        flipped = os.path.join(d, "flipped.mar")
        open(flipped, "wb").write(data)
        assert run("mar", "-D", os.path.join(d, "k1.der"), "-v", flipped).returncode == 3
        # Strip: the unsigned bytes come back, and verification fails.
        stripped = os.path.join(d, "stripped.mar")
        run("mar", "-r", s1, stripped, check=0)
        assert sha(stripped) == sha(u)
        r = run("mar", "-D", os.path.join(d, "k1.der"), "-v", stripped)
        assert r.returncode == 3 and "not signed" in r.stderr
        # Export signature 0 of s1, import it into s2: s2 becomes s1.
        sig = os.path.join(d, "sig.b64")
        run("mar", "-n0", "-X", s1, sig, check=0)
        imported = os.path.join(d, "imported.mar")
        run("mar", "-n0", "-I", s2, sig, imported, check=0)
        assert sha(imported) == sha(s1)
        run("mar", "-D", os.path.join(d, "k1.der"), "-v", imported, check=0)
        assert run("mar", "-X", s1, sig).returncode == 3  # no index
        # Two signatures, verified in order.
        both = os.path.join(d, "both.mar")
        run("mar", "--key", k1, "--key", k2, "-s", u, both, check=0)
        run("mar", "-D0", os.path.join(d, "k1.pub.pem"), "-D1", os.path.join(d, "k2.pub.pem"), "-v", both, check=0)
        assert run("mar", "-D0", os.path.join(d, "k2.pub.pem"), "-D1", os.path.join(d, "k1.pub.pem"), "-v",
                   both).returncode == 3
        # NSS databases are named as unsupported, not silently ignored.
        r = run("mar", "-d", d, "-n", "cert", "-s", u, os.path.join(d, "nss.mar"))
        assert r.returncode == 3 and "NSS" in r.stderr
        # -i rewrites the product information in place: same inode, same size.
        before = os.stat(u)
        run("mar", "-H", "firefox-mozilla-beta", "-V", "154.0b1", "-i", u, check=0)
        after = os.stat(u)
        assert (before.st_ino, before.st_size) == (after.st_ino, after.st_size)
        assert "MAR channel name: firefox-mozilla-beta\n    - Product version: 154.0b1" in \
            run("mar", "-T", u, check=0).stdout
        r = run("mar", "-H", "x", "-V", "1", "-i", s1)
        assert r.returncode == 3 and "signed" in r.stderr


def test_bad_input_is_refused_cleanly():
    with TempDir() as d:
        whole = open(os.path.join(FIX, "test-xz.mar"), "rb").read()
        for cut in (0, 3, 10, 100, len(whole) - 1):
            p = os.path.join(d, f"cut{cut}.mar")
            open(p, "wb").write(whole[:cut])
            r = run("mar", "-t", p)
            assert r.returncode == 3 and "malformed MAR" in r.stderr, (cut, r.stderr)
            assert r.stdout == ""
        # An entry named ../escape (the writer refuses such names, so the index is patched).
        tree = os.path.join(d, "tree")
        os.makedirs(tree)
        open(os.path.join(tree, "escapeX"), "w").write("boo\n")
        evil = os.path.join(d, "evil.mar")
        run("mar", "-H", "c", "-V", "1", "-C", tree, "-c", "../evil.mar", "escapeX", check=0)
        data = open(evil, "rb").read().replace(b"escapeX\0", b"../esc\0\0")
        open(evil, "wb").write(data)
        target = os.path.join(d, "target")
        os.makedirs(target)
        r = run("mar", "-C", target, "-x", evil)
        assert r.returncode == 3 and "climbs out" in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(d, "esc")) and os.listdir(target) == []
        assert run("mar", "-t", os.path.join(d, "missing.mar")).returncode == 4
        r = run("mar", "-Q", "x")
        assert r.returncode == 2 and "unknown option" in r.stderr and "usage:" in r.stderr
        assert run("mar").returncode == 2
        assert run("mar", "--help", check=0).stdout.startswith("usage: buildhub mar")


class MarCli(unittest.TestCase):
    test_listings_match_saved_output = staticmethod(test_listings_match_saved_output)
    test_extract_raw_and_decompressed = staticmethod(test_extract_raw_and_decompressed)
    test_create_list_extract_round_trips = staticmethod(test_create_list_extract_round_trips)
    test_sign_verify_strip_export_import_refresh = staticmethod(test_sign_verify_strip_export_import_refresh)
    test_bad_input_is_refused_cleanly = staticmethod(test_bad_input_is_refused_cleanly)


if __name__ == "__main__":
    unittest.main()
