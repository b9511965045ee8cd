"""The partial of real Firefox trees: Debian's firefox-esr, the oldest 140.x and the newest
version the registry offers (printed), packed as complete MARs (tests/support/firefox_mars.py:
symlinks dropped; update-settings.ini, channel-prefs.js, a precomplete and a removed-files with
remove, rmdir and rmrfdir lines added). The .debs and the complete MARs are cached between runs.

Checks: `buildhub partial --verify` succeeds; `buildhub apply` of the partial to the old tree
gives the new tree byte for byte; the manifest holds every kind of instruction the trees call
for; the per-file decisions agree with Mozilla's own run on these packages
(fixtures/mar/samples/ff140-to-ff153.partial.per-file-decisions.tsv) except where our diff
beats mbsdiff (libxul.so: our patch is smaller than the full file, theirs was not), and every
difference is printed with its reason."""
import csv
import filecmp
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../support"))
from harness import BIN, SHARED, TempDir, run  # noqa: E402
import firefox_mars  # noqa: E402

DECISIONS = os.path.join(SHARED, "fixtures/mar/samples/ff140-to-ff153.partial.per-file-decisions.tsv")


def same_tree(a, b):
    def clean(c):
        return not (c.left_only or c.right_only or c.diff_files or c.funny_files) and all(clean(s) for s in c.subdirs.values())
    return clean(filecmp.dircmp(a, b, ignore=[]))


class DebianFirefoxPartial(unittest.TestCase):
    def test_partial_applies_and_decides_like_mozilla(self):
        with TempDir() as d:
            old_mar, new_mar, old_v, new_v, old_tree, new_tree = firefox_mars.complete_mars(
                os.path.join(d, "trees"), os.path.abspath(BIN), keep_trees=True)
            print(f"firefox-esr {old_v} -> {new_v}", file=sys.stderr)
            out = os.path.join(d, "partial.mar")
            r = run("partial", old_mar, new_mar, "-o", out, "--cache-dir", os.path.join(d, "cache"), "--verify", "--json",
                    check=0)
            summary = json.loads(r.stdout)
            self.assertTrue(summary["verified"])
            self.assertTrue(summary["x86_bcj"])
            self.assertEqual(summary["channel_id"], firefox_mars.CHANNEL)
            self.assertEqual(summary["product_version"], firefox_mars.product_version(new_v))
            kinds = {line.split(" ")[0] for line in summary["manifest"]}
            self.assertEqual(kinds, {"add", "add-if-not", "patch", "remove", "rmdir", "rmrfdir"})

            install = os.path.join(d, "install")
            os.rename(old_tree, install)
            r = run("apply", out, install, "--channel-id", firefox_mars.CHANNEL, "--version",
                    firefox_mars.product_version(old_v), check=0)
            self.assertIn("applied partial update", r.stdout)
            self.assertTrue(same_tree(install, new_tree), "the applied tree differs from the new one")

            ours = {f["path"]: f for f in summary["files"]}
            with open(DECISIONS) as f:
                theirs = {row["path"]: row for row in csv.DictReader(f, delimiter="\t")}
            differences = []
            for path, row in sorted(theirs.items()):
                mine = ours.get(path)
                self.assertIsNotNone(mine, f"{path} is in Mozilla's run, not in ours")
                if mine["decision"] == row["decision"]:
                    continue
                # Ours must follow the rule itself: a patch exactly when it is smaller than the full file.
                self.assertEqual(mine["decision"], "patch" if mine["patch_bytes"] < mine["full_bytes"] else "add", mine)
                differences.append(f"{path}: ours {mine['decision']} (patch {mine['patch_bytes']} vs full "
                                   f"{mine['full_bytes']}), Mozilla {row['decision']} (mbsdiff patch "
                                   f"{row['patch_xz_bytes']} vs full {row['full_xz_bytes']})")
            print("decisions that differ from Mozilla's run:\n  " + "\n  ".join(differences), file=sys.stderr)
            self.assertEqual(ours["libxul.so"]["decision"], "patch")
            self.assertLess(ours["libxul.so"]["patch_bytes"], ours["libxul.so"]["full_bytes"])
            self.assertLessEqual(len(differences), 3, differences)

            # A warm run gives the same bytes without a single diff.
            again = os.path.join(d, "again.mar")
            warm = json.loads(run("partial", old_mar, new_mar, "-o", again, "--cache-dir", os.path.join(d, "cache"),
                                  "--json", check=0).stdout)
            self.assertEqual(warm["diffs"], 0)
            self.assertTrue(filecmp.cmp(out, again, shallow=False))


if __name__ == "__main__":
    unittest.main()
