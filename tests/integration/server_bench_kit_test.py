#!/usr/bin/env python3
"""Runs the whole-server benchmark kit (bench/server_bench.py with the data
generator, loader, wrk scripts and durable PUT tool) against the real binary
on a tiny data set, and checks that every phase produced coherent results:
the kit must keep working while nobody is looking at its numbers. No timing
is asserted.

Usage: python3 tests/integration/server_bench_kit_test.py FHIR_ENGINE_BINARY
(ctest: server_bench_kit_test; needs wrk, which tools/setup.sh installs)
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENGINE = ""


class ServerBenchKitTest(unittest.TestCase):
    def test_every_phase_runs_on_a_tiny_data_set(self):
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = os.path.join(tmp, "run")
            proc = subprocess.run(
                [sys.executable, os.path.join(ROOT, "bench", "server_bench.py"), "--engine", ENGINE,
                 "--scale", "0.002", "--mode", "put", "--load-connections", "2",
                 "--wrk-threads", "1", "--wrk-connections", "2", "--wrk-duration", "1s",
                 "--durable-seconds", "1", "--data-cache", os.path.join(tmp, "data"),
                 "--run-dir", run_dir],
                capture_output=True, text=True, timeout=300)
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            with open(os.path.join(run_dir, "results.json"), encoding="utf-8") as f:
                r = json.load(f)
            resources = r["dataset"]["resources"]
            self.assertGreater(resources, 600)
            self.assertGreater(r["rss"]["VmRSS"], 0)
            self.assertEqual(r["load"]["stored"], resources)
            self.assertEqual(r["load"]["failed-requests"], 0)
            self.assertGreater(r["size"]["db-bytes"], 0)
            self.assertEqual(r["size"]["wal-bytes"], 0)  # after wal_checkpoint(TRUNCATE)
            self.assertGreater(r["read"]["responses"], 0)
            self.assertEqual(r["read"]["non-2xx"], 0)
            self.assertEqual(r["read"]["socket-errors"], 0)
            s = r["search"]
            self.assertGreater(s["responses"], 0)
            if s["non-2xx"] + s["wrong-body"] < s["responses"]:
                # Search answers: pages hold at most _count=20 entries, and on this
                # data about one (the unoccupied beds of one ward).
                self.assertLessEqual(s["mean-entries"], 20)
            self.assertGreater(r["durable"]["puts"], 0)
            self.assertEqual(r["durable"]["failed-puts"], 0)
            self.assertGreater(r["durable"]["fsync-per-s"], 0)
            self.assertGreater(r["cold"]["first-read-s"], 0)
            self.assertGreaterEqual(r["cold"]["first-read-s"], r["cold"]["listening-s"])
            with open(os.path.join(run_dir, "summary.md"), encoding="utf-8") as f:
                summary = f.read()
            self.assertIn("| durable PUT/s over fsync/s |", summary)
            self.assertIn(summary, proc.stdout)
            self.assertFalse(os.path.exists(os.path.join(run_dir, "bench.db")))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: server_bench_kit_test.py FHIR_ENGINE_BINARY [unittest options]")
    ENGINE = sys.argv.pop(1)
    unittest.main()
