"""`buildhub ingest` and `demo-data` from the command line: outcomes, exit codes, configuration."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import TempDir, fixture, run  # noqa: E402


class IngestCliTest(unittest.TestCase):
    def test_fixtures_and_duplicates(self):
        with TempDir() as data:
            files = [fixture("buildhub2", n) for n in ("valid-buildhub.json", "valid-buildhub-release-channel.json",
                                                       "valid-buildhub-fennec-release-channel.json")]
            out = run("ingest", "--data-dir", data, "--json", *files, check=0)
            self.assertEqual(json.loads(out.stdout),
                             {**json.loads(out.stdout), "read": 3, "inserted": 3, "already_present": 0, "rejected": 0})
            out = run("ingest", "--data-dir", data, "-v", files[0], check=0)
            self.assertIn("already present", out.stderr)
            self.assertIn("v1:465552ab2ea1b5039a086987b70c598c", out.stderr)
            self.assertIn("read 1, inserted 0, already present 1, rejected 0", out.stderr)

    def test_stdin_ndjson_and_demo_data_determinism(self):
        with TempDir() as tmp:
            a = run("demo-data", "--records", "100", "--seed", "3", check=0).stdout
            b = run("demo-data", "--records", "100", "--seed", "3", check=0).stdout
            c = run("demo-data", "--records", "100", "--seed", "4", check=0).stdout
            self.assertEqual(a, b)
            self.assertNotEqual(a, c)
            self.assertEqual(len(a.splitlines()), 100)
            out = run("ingest", "--data-dir", tmp, "--json", "-", stdin=a, check=0)
            self.assertEqual(json.loads(out.stdout)["inserted"], 100)

    def test_environment_and_flag_precedence(self):
        with TempDir() as tmp:
            env_dir = os.path.join(tmp, "from-env")
            flag_dir = os.path.join(tmp, "from-flag")
            f = fixture("buildhub2", "valid-buildhub.json")
            run("ingest", f, env={"BUILDHUB_DATA_DIR": env_dir}, check=0)
            self.assertTrue(os.path.exists(os.path.join(env_dir, "buildhub.sqlite3")))
            run("ingest", "--data-dir", flag_dir, f, env={"BUILDHUB_DATA_DIR": env_dir}, check=0)
            self.assertTrue(os.path.exists(os.path.join(flag_dir, "buildhub.sqlite3")))

    def test_help_everywhere(self):
        for cmd in ([], ["ingest"], ["demo-data"], ["serve"]):
            out = run(*cmd, "--help", check=0)
            self.assertIn("Usage", out.stdout)
        self.assertIn("BUILDHUB_DATA_DIR", run("ingest", "--help").stdout)
        self.assertIn("BUILDHUB_LISTEN", run("serve", "--help").stdout)
        self.assertEqual(run("no-such-command").returncode, 2)
        self.assertEqual(run("ingest").returncode, 2)  # PATH is required
        self.assertIn("buildhub 0.", run("--version", check=0).stdout)

    def test_store_from_newer_version_is_refused_with_its_own_exit_code(self):
        import sqlite3
        with TempDir() as data:
            run("ingest", "--data-dir", data, fixture("buildhub2", "valid-buildhub.json"), check=0)
            db = sqlite3.connect(os.path.join(data, "buildhub.sqlite3"))
            db.execute("UPDATE schema_version SET version = 1000")
            db.commit()
            db.close()
            out = run("ingest", "--data-dir", data, fixture("buildhub2", "valid-buildhub.json"))
            self.assertEqual(out.returncode, 5)
            self.assertIn("newer than this buildhub knows", out.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
