"""`buildhub partial` and `buildhub apply` on the real binary: Mozilla's golden partial
(synthetic-partial fixture), the per-file cache shared by two processes, damaged cache entries,
bad input, and updates that must be refused with the installation left exactly as it was,
a full disk included (a small tmpfs, mounted in a private mount namespace)."""
import csv
import filecmp
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, SHARED, TempDir, run  # noqa: E402

GOLDEN = os.path.join(SHARED, "fixtures/mar/synthetic-partial")
FROM = os.path.join(GOLDEN, "synthfox-1.0.complete.mar")
TO = os.path.join(GOLDEN, "synthfox-2.0.complete.mar")


def snapshot(root):
    """path -> (kind, mode, bytes): what 'left exactly as it was' compares."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", stat.S_IMODE(st.st_mode), f.read())
    return out


def unpack(mar, dest):
    os.makedirs(dest, exist_ok=True)
    run("mar", "-C", dest, "-x", mar, "--decompress", check=0)
    os.unlink(os.path.join(dest, "updatev3.manifest"))
    return dest


def same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    def clean(c):
        return not (c.left_only or c.right_only or c.diff_files or c.funny_files) and all(clean(s) for s in c.subdirs.values())
    return clean(cmp)


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def complete_mar(tree, out, version, channel="test-channel"):
    """A complete MAR of `tree` as make_full_update.sh packs one (manifest, reverse order, xz)."""
    files = sorted((os.path.relpath(os.path.join(d, n), tree) for d, _, ns in os.walk(tree) for n in ns), reverse=True)
    write(os.path.join(tree, "updatev3.manifest"),
          ("type \"complete\"\n" + "".join(f'add "{f}"\n' for f in files)).encode())
    run("mar", "--compress", "xz", "-H", channel, "-V", version, "-C", tree, "-c", out, "updatev3.manifest", *files,
        check=0)
    os.unlink(os.path.join(tree, "updatev3.manifest"))


def test_golden_partial_matches_mozillas():
    with TempDir() as d:
        out = os.path.join(d, "p.mar")
        r = run("partial", FROM, TO, "-o", out, "--no-cache", "--json", "--verify", check=0)
        summary = json.loads(r.stdout)
        with open(os.path.join(GOLDEN, "synthfox-1.0-2.0.partial.updatev3.manifest.txt")) as f:
            want = [line for line in f.read().splitlines()[1:] if line]
        assert summary["manifest"] == want, summary["manifest"]
        assert summary["verified"] and summary["channel_id"] == "synthfox-test" and summary["product_version"] == "2.0"
        assert "verified in" in r.stderr, r.stderr
        by_path = {f["path"]: f for f in summary["files"]}
        with open(os.path.join(GOLDEN, "synthfox-1.0-2.0.partial.per-file-decisions.tsv")) as f:
            for row in f:
                fields = row.split()
                values = dict(kv.split("=") for kv in fields[1:])
                want_decision = "patch" if int(values["patch_xz"]) < int(values["full_xz"]) else "add"
                assert by_path[fields[0]]["decision"] == want_decision, (fields[0], by_path[fields[0]])
                assert by_path[fields[0]]["full_bytes"] == int(values["full_xz"])
        # Same entries, same order as Mozilla's partial (`mar -t` listings, sizes aside).
        ours = [line.split("\t")[2] for line in run("mar", "-t", out, check=0).stdout.splitlines()[1:]]
        theirs = [line.split("\t")[2] for line in run("mar", "-t", os.path.join(GOLDEN, "synthfox-1.0-2.0.partial.mar"),
                                                     check=0).stdout.splitlines()[1:]]
        assert ours == theirs, (ours, theirs)
        # Applying it to 1.0's files gives 2.0's, as the updater would.
        tree = unpack(FROM, os.path.join(d, "tree"))
        r = run("apply", out, tree, "--channel-id", "synthfox-test", "--version", "1.0", check=0)
        assert "applied partial update" in r.stdout and "4 patched" in r.stdout, r.stdout
        assert same_tree(tree, unpack(TO, os.path.join(d, "want")))


def test_cache_is_shared_safely_and_damage_is_recomputed():
    with TempDir() as d:
        cache = os.path.join(d, "cache")
        procs = [subprocess.Popen([BIN, "partial", FROM, TO, "-o", os.path.join(d, f"p{i}.mar"), "--cache-dir", cache,
                                   "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(2)]
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
        assert filecmp.cmp(os.path.join(d, "p0.mar"), os.path.join(d, "p1.mar"), shallow=False)
        warm = json.loads(run("partial", FROM, TO, "-o", os.path.join(d, "warm.mar"), "--cache-dir", cache, "--json",
                              check=0).stdout)
        assert warm["diffs"] == 0 and warm["cache"]["hits"] == 5, warm["cache"]
        assert filecmp.cmp(os.path.join(d, "p0.mar"), os.path.join(d, "warm.mar"), shallow=False)
        patches = [os.path.join(dp, n) for dp, _, ns in os.walk(cache) for n in ns if n.endswith(".patch")]
        assert len(patches) == 5, patches
        for p in patches:
            with open(p, "r+b") as f:
                f.seek(os.path.getsize(p) // 2)
                b = f.read(1)
                f.seek(-1, 1)
                f.write(bytes([b[0] ^ 0xFF]))
        again = json.loads(run("partial", FROM, TO, "-o", os.path.join(d, "again.mar"), "--cache-dir", cache, "--json",
                               check=0).stdout)
        assert again["diffs"] == 5 and again["cache"]["hits"] == 0, again
        assert filecmp.cmp(os.path.join(d, "p0.mar"), os.path.join(d, "again.mar"), shallow=False)


def test_bad_input_is_refused_and_writes_nothing():
    with TempDir() as d:
        out = os.path.join(d, "out.mar")
        r = run("partial", os.path.join(d, "missing.mar"), TO, "-o", out)
        assert r.returncode == 4 and "missing.mar" in r.stderr, r.stderr
        junk = os.path.join(d, "junk.mar")
        write(junk, b"MAR1 this is not a MAR at all")
        r = run("partial", junk, TO, "-o", out)
        assert r.returncode == 3 and "junk.mar" in r.stderr, r.stderr
        # TO without a precomplete: the script refuses such a tree, so do we.
        tree = os.path.join(d, "t")
        write(os.path.join(tree, "a.txt"), b"a")
        complete_mar(tree, os.path.join(d, "noprecomplete.mar"), "2.0")
        r = run("partial", FROM, os.path.join(d, "noprecomplete.mar"), "-o", out, "--no-cache")
        assert r.returncode == 3 and "precomplete" in r.stderr, r.stderr
        r = run("partial", FROM, TO, "-o", out, "--compression", "lz4")
        assert r.returncode == 2, r.stderr
        assert not os.path.exists(out)
        r = run("apply", junk, d)
        assert r.returncode == 3, r.stderr
        r = run("apply", FROM, os.path.join(d, "no-such-dir"))
        assert r.returncode == 2, r.stderr


def test_verify_removes_a_partial_that_does_not_apply():
    """A directory that becomes a file: the script's order adds the file before removing the
    directory's contents, so the updater would refuse the partial; --verify finds out."""
    with TempDir() as d:
        old, new = os.path.join(d, "old"), os.path.join(d, "new")
        write(os.path.join(old, "a/b"), b"inside a directory")
        write(os.path.join(new, "a"), b"now a file")
        for tree in (old, new):
            write(os.path.join(tree, "precomplete"), b"")
        complete_mar(old, os.path.join(d, "old.mar"), "1.0")
        complete_mar(new, os.path.join(d, "new.mar"), "2.0")
        out = os.path.join(d, "out.mar")
        r = run("partial", os.path.join(d, "old.mar"), os.path.join(d, "new.mar"), "-o", out, "--no-cache", "--verify")
        assert r.returncode == 3, (r.returncode, r.stderr)
        assert "verification failed" in r.stderr and "removed" in r.stderr, r.stderr
        assert not os.path.exists(out)
        # Without --verify the same partial is written (it is what Mozilla's script would make).
        run("partial", os.path.join(d, "old.mar"), os.path.join(d, "new.mar"), "-o", out, "--no-cache", check=0)
        assert os.path.exists(out)


class Refusals(unittest.TestCase):
    """Each refused update leaves the installation byte-identical."""

    def setUp(self):
        self.tmp = TempDir()
        self.d = self.tmp.__enter__()
        self.from_tree = os.path.join(self.d, "from")
        self.to_tree = os.path.join(self.d, "to")
        rng = random.Random(13)
        big_old = bytes(rng.getrandbits(8) for _ in range(200_000))
        big_new = big_old[:50_000] + b"inserted" + big_old[50_000:]
        for tree, app, extra in ((self.from_tree, big_old, b"old"), (self.to_tree, big_new, b"new")):
            write(os.path.join(tree, "app.bin"), app, 0o755)
            write(os.path.join(tree, "lib/helper.so"), b"helper " + extra)
            write(os.path.join(tree, "precomplete"), b'remove "app.bin"\n')
        # TO ships a file too large for the small disk below.
        write(os.path.join(self.to_tree, "big/data.bin"), bytes(rng.getrandbits(8) for _ in range(3_000_000)))
        self.from_mar = os.path.join(self.d, "from.mar")
        self.to_mar = os.path.join(self.d, "to.mar")
        complete_mar(self.from_tree, self.from_mar, "1.0", "test-channel")
        complete_mar(self.to_tree, self.to_mar, "2.0", "test-channel")
        self.partial = os.path.join(self.d, "partial.mar")
        run("partial", self.from_mar, self.to_mar, "-o", self.partial, "--no-cache", "--verify", check=0)
        self.install = os.path.join(self.d, "install")
        shutil.copytree(self.from_tree, self.install)

    def tearDown(self):
        self.tmp.__exit__(None, None, None)

    def refused(self, *args, needle, directory=None):
        directory = directory or self.install
        before = snapshot(directory)
        r = run("apply", *args, directory)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn(needle, r.stderr)
        self.assertEqual(snapshot(directory), before)
        return r

    def test_applies_when_everything_is_right(self):
        run("apply", self.partial, self.install, "--channel-id", "test-channel", "--version", "1.0", check=0)
        self.assertTrue(same_tree(self.install, self.to_tree))

    def test_wrong_source_file(self):
        with open(os.path.join(self.install, "app.bin"), "r+b") as f:
            f.seek(1000)
            f.write(b"\x00\x01\x02")
        self.refused(self.partial, needle="CRC")

    def test_truncated_patch(self):
        bad = os.path.join(self.d, "truncated.mar")
        stage = os.path.join(self.d, "stage")
        os.makedirs(stage)
        run("mar", "-C", stage, "-x", self.partial, "--decompress", check=0)
        patch = os.path.join(stage, "app.bin.patch")
        with open(patch, "rb") as f:
            data = f.read()
        write(patch, data[:-10])
        names = [line.split("\t")[2] for line in run("mar", "-t", self.partial, check=0).stdout.splitlines()[1:]]
        run("mar", "--compress", "xz", "-H", "test-channel", "-V", "2.0", "-C", stage, "-c", bad, *names, check=0)
        r = self.refused(bad, needle="app.bin")
        self.assertIn("instruction", r.stderr)

    def test_paths_escaping_the_directory(self):
        outside = os.path.join(self.d, "outside")
        os.makedirs(outside)
        os.symlink(outside, os.path.join(self.install, "link"))
        for name, manifest in (("dotdot", 'add "../x"\n'), ("absolute", 'add "/tmp/x"\n'),
                               ("symlink", 'add "link/x"\n')):
            stage = os.path.join(self.d, "stage-" + name)
            write(os.path.join(stage, "updatev3.manifest"), b'type "partial"\n' + manifest.encode())
            write(os.path.join(stage, "link/x"), b"evil")
            mar = os.path.join(self.d, name + ".mar")
            run("mar", "--compress", "xz", "-H", "c", "-V", "2", "-C", stage, "-c", mar, "updatev3.manifest", "link/x",
                check=0)
            self.refused(mar, needle={"dotdot": "..", "absolute": "absolute", "symlink": "symlink"}[name])
        self.assertEqual(os.listdir(outside), [])

    def test_product_and_channel(self):
        self.refused(self.partial, "--channel-id", "firefox-mozilla-release", needle="not among the accepted")
        self.refused(self.partial, "--version", "3.0", needle="downgrade")

    def test_full_disk(self):
        """The install on a 1 MiB tmpfs: TO's 3 MB file cannot be staged; nothing changes."""
        if shutil.which("unshare") is None:
            self.skipTest("unshare is not installed")
        script = (
            'set -e; mount -t tmpfs -o size=1m tmpfs "$1"; cp -a "$2"/. "$1"/; '
            'before=$(cd "$1" && find . -printf "%p %m %s\\n" | sort && find . -type f -exec sha256sum {} + | sort); '
            'if "$3" apply "$4" "$1" 2>"$5"; then echo APPLIED; exit 1; fi; '
            'after=$(cd "$1" && find . -printf "%p %m %s\\n" | sort && find . -type f -exec sha256sum {} + | sort); '
            '[ "$before" = "$after" ] || { echo CHANGED; exit 1; }; echo UNCHANGED')
        mount_point = os.path.join(self.d, "small")
        os.makedirs(mount_point)
        err = os.path.join(self.d, "err")
        cmd = ["unshare", "-m", "bash", "-c", script, "_", mount_point, self.from_tree, os.path.abspath(BIN),
               self.partial, err]
        if os.geteuid() != 0:
            cmd.insert(1, "-r")
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0 and "UNCHANGED" not in r.stdout and "APPLIED" not in r.stdout and "CHANGED" not in r.stdout:
            self.skipTest(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        self.assertIn("UNCHANGED", r.stdout, r.stdout + r.stderr)
        with open(err) as f:
            self.assertIn("No space left on device", f.read())


    def test_failure_while_committing_is_undone(self):
        """The install on a tmpfs with only N free inodes: with few, staging fails; with one fewer
        than the update needs, the staged files are ready, originals have been moved aside and
        results renamed in, and making the new directory 'big' fails: everything is undone."""
        if shutil.which("unshare") is None:
            self.skipTest("unshare is not installed")
        script = (
            'for n in 3 4 5 6 7 8 9; do mount -t tmpfs -o size=16m tmpfs "$1" || exit 9; cp -a "$2"/. "$1"/; '
            'used=$(df --output=iused "$1" | tail -1); mount -o remount,nr_inodes=$((used + n)) "$1"; '
            'before=$(cd "$1" && find . -printf "%p %m %s\\n" | sort && find . -type f -exec sha256sum {} + | sort); '
            'if "$3" apply "$4" "$1" 2>"$5"; then echo "n=$n applied"; else '
            'after=$(cd "$1" && find . -printf "%p %m %s\\n" | sort && find . -type f -exec sha256sum {} + | sort); '
            '[ "$before" = "$after" ] && s=unchanged || s=CHANGED; echo "n=$n $s $(tr "\\n" " " < "$5")"; fi; '
            'umount "$1"; done')
        mount_point = os.path.join(self.d, "small")
        os.makedirs(mount_point)
        cmd = ["unshare", "-m", "bash", "-c", script, "_", mount_point, self.from_tree, os.path.abspath(BIN),
               self.partial, os.path.join(self.d, "err")]
        if os.geteuid() != 0:
            cmd.insert(1, "-r")
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 9 or not r.stdout:
            self.skipTest(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        lines = r.stdout.splitlines()
        self.assertNotIn("CHANGED", r.stdout, r.stdout)
        self.assertTrue(any("unchanged" in l and "installing 'big/data.bin'" in l for l in lines), r.stdout)
        self.assertTrue(any("unchanged" in l and "staging" in l for l in lines), r.stdout)
        self.assertTrue(lines[-1].endswith("applied"), r.stdout)


class PartialCli(unittest.TestCase):
    test_golden_partial_matches_mozillas = staticmethod(test_golden_partial_matches_mozillas)
    test_cache_is_shared_safely_and_damage_is_recomputed = staticmethod(test_cache_is_shared_safely_and_damage_is_recomputed)
    test_bad_input_is_refused_and_writes_nothing = staticmethod(test_bad_input_is_refused_and_writes_nothing)
    test_verify_removes_a_partial_that_does_not_apply = staticmethod(test_verify_removes_a_partial_that_does_not_apply)


if __name__ == "__main__":
    unittest.main()
