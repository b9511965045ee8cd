"""`buildhub diff` / `buildhub patch` on the real binary: Mozilla's MBDIFF10 vectors, seeded round
trips, BSDIFF40 output checked by Debian's own bspatch, and refusals of bad patches."""
import filecmp
import os
import random
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SHARED, TempDir, run  # noqa: E402

VECTORS = os.path.join(SHARED, "fixtures/mar/mbdiff10-vectors")


def pair(rng, size):
    old = bytearray(rng.getrandbits(8) for _ in range(size))
    new = bytearray(old)
    for _ in range(rng.randrange(1, 4)):
        p = rng.randrange(len(new) + 1)
        new[p:p] = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200)))
    for _ in range(len(new) // 100):
        new[rng.randrange(len(new))] = rng.getrandbits(8)
    if rng.random() < 0.3 and len(new) > 10:
        half = len(new) // 2
        new = new[half:] + new[:half]
    return bytes(old), bytes(new)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def test_mozilla_vectors_apply():
    with TempDir() as d:
        for name in sorted({f.split(".")[0] for f in os.listdir(VECTORS)}):
            out = os.path.join(d, name + ".out")
            run("patch", os.path.join(VECTORS, name + ".old"), os.path.join(VECTORS, name + ".mbdiff10.patch"), out,
                check=0)
            assert filecmp.cmp(out, os.path.join(VECTORS, name + ".new"), shallow=False), name


def test_round_trips_and_bspatch_agrees():
    have_bspatch = shutil.which("bspatch") is not None
    assert have_bspatch or os.environ.get("CI") != "true", "bspatch (Debian bsdiff) must be installed in CI"
    with TempDir() as d:
        for seed in range(1, 41):
            rng = random.Random(seed)
            old, new = pair(rng, rng.choice([0, 1, 100, 5000, 70000]))
            o, n, p, r = (os.path.join(d, x) for x in ("old", "new", "patch", "result"))
            write(o, old)
            write(n, new)
            run("diff", o, n, p, "--threads", str(1 + seed % 2), check=0)
            run("patch", o, p, r, check=0)
            assert open(r, "rb").read() == new, f"seed {seed}"
            if have_bspatch and seed % 4 == 0:
                run("diff", "--format", "bsdiff40", o, n, p + ".bsdiff", check=0)
                subprocess.run(["bspatch", o, r + ".bs", p + ".bsdiff"], check=True, capture_output=True)
                assert open(r + ".bs", "rb").read() == new, f"bspatch, seed {seed}"


def test_large_pair_through_the_sparse_index_and_bspatch_agrees():
    # 9 MiB: the old file is indexed at every 4th position and sorted in 8 merged slices.
    have_bspatch = shutil.which("bspatch") is not None
    rng = random.Random(5)
    old = rng.randbytes(9 << 20)
    moved = old[(3 << 20) + 1:(3 << 20) + 300001]  # a block at an odd offset, across no boundary in particular
    new = bytearray(old[:5 << 20] + b"inserted" + moved + old[5 << 20:])
    for _ in range(2000):
        new[rng.randrange(len(new))] = rng.getrandbits(8)
    new = bytes(new)
    with TempDir() as d:
        o, n, p, r = (os.path.join(d, x) for x in ("old", "new", "patch", "result"))
        write(o, old)
        write(n, new)
        run("diff", o, n, p, check=0)
        run("patch", o, p, r, check=0)
        assert open(r, "rb").read() == new
        header = open(p, "rb").read(32)
        extra_length = int.from_bytes(header[28:32], "big")
        assert extra_length < 64 * 1024, f"the moved block and the edits must be matched, extra block {extra_length}"
        if have_bspatch:
            run("diff", "--format", "bsdiff40", o, n, p + ".bsdiff", check=0)
            subprocess.run(["bspatch", o, r + ".bs", p + ".bsdiff"], check=True, capture_output=True)
            assert open(r + ".bs", "rb").read() == new


def test_bad_patches_are_refused():
    with TempDir() as d:
        old = os.path.join(VECTORS, "01-text.old")
        good = open(os.path.join(VECTORS, "01-text.mbdiff10.patch"), "rb").read()
        out = os.path.join(d, "out")
        cases = {
            "truncated": (good[:40], "malformed MBDIFF10 patch"),
            "bad magic": (b"XXDIFF10" + good[8:], "no MBDIFF10 magic"),
            "bsdiff": (b"BSDIFF40" + good[8:], "BSDIFF40"),
            "huge result": (good[:16] + b"\xff\xff\xff\xff" + good[20:], "over 2 GiB"),
        }
        for name, (data, phrase) in cases.items():
            p = os.path.join(d, "p")
            write(p, data)
            r = run("patch", old, p, out)
            assert r.returncode == 3 and phrase in r.stderr, (name, r.returncode, r.stderr)
            assert not os.path.exists(out), name
        r = run("patch", os.path.join(VECTORS, "02-identical.old"), os.path.join(VECTORS, "01-text.mbdiff10.patch"), out)
        assert r.returncode == 3 and "5000 bytes" in r.stderr, r.stderr
        assert run("patch", os.path.join(d, "missing"), os.path.join(d, "p"), out).returncode == 4
        assert run("diff", old).returncode == 2


def test_patch_keeps_the_old_mode_and_replaces_a_symlink():
    rng = random.Random(11)
    old, new = pair(rng, 3000)
    with TempDir() as d:
        o, n, p = (os.path.join(d, x) for x in ("old", "new", "patch"))
        write(o, old)
        write(n, new)
        run("diff", o, n, p, check=0)
        # Patching an executable in place keeps it executable, as the updater does.
        os.chmod(o, 0o750)
        run("patch", o, p, o, check=0)
        assert open(o, "rb").read() == new
        assert os.stat(o).st_mode & 0o7777 == 0o750, oct(os.stat(o).st_mode)
        # A symlink given as NEW is replaced by the patched file; its target is left alone.
        write(o, old)
        os.chmod(o, 0o644)
        target, link = os.path.join(d, "target"), os.path.join(d, "link")
        write(target, b"untouched")
        os.symlink(target, link)
        run("patch", o, p, link, check=0)
        assert not os.path.islink(link) and open(link, "rb").read() == new
        assert open(target, "rb").read() == b"untouched"
        assert os.stat(link).st_mode & 0o7777 == 0o644


class DiffCli(unittest.TestCase):
    test_patch_keeps_the_old_mode_and_replaces_a_symlink = staticmethod(test_patch_keeps_the_old_mode_and_replaces_a_symlink)
    test_mozilla_vectors_apply = staticmethod(test_mozilla_vectors_apply)
    test_round_trips_and_bspatch_agrees = staticmethod(test_round_trips_and_bspatch_agrees)
    test_large_pair_through_the_sparse_index_and_bspatch_agrees = staticmethod(
        test_large_pair_through_the_sparse_index_and_bspatch_agrees)
    test_bad_patches_are_refused = staticmethod(test_bad_patches_are_refused)


if __name__ == "__main__":
    unittest.main()
