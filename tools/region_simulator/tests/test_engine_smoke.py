"""Smoke test against the real fhir-engine (FHIR_ENGINE_BINARY, set by ctest): the config the
simulator writes passes check-config, and with identity adapters the engine pulls every source."""

import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from region_simulator import engine_config
from region_simulator.cli import Runner
from region_simulator.http_api import start_server
from region_simulator.region import Region
from region_simulator.tests.sim_fixture import START_MS

BINARY = os.environ.get("FHIR_ENGINE_BINARY", "")


@unittest.skipUnless(BINARY and os.access(BINARY, os.X_OK), "FHIR_ENGINE_BINARY not set")
class EngineSmoke(unittest.TestCase):
    def test_engine_pulls_every_source_without_mappings(self):
        folder = tempfile.mkdtemp(prefix="region-sim-engine-")
        region = Region(21, START_MS, os.path.join(folder, "drop"))
        runner = Runner(region, 1.0, True, None, 60, 5)
        server = start_server(runner)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            engine_port = probe.getsockname()[1]
        config_path = os.path.join(folder, "engine.json")
        engine_config.write_config(config_path, engine_config.build_config(
            region, server.server_address[1], config_path, "", with_mappings=False,
            engine_port=engine_port, poll_interval_s=1))
        check = subprocess.run([BINARY, "check-config", config_path], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        engine = subprocess.Popen([BINARY, "serve", "--config", config_path], cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            hospital = region.layout.hospital_by_source["nus"]
            expected = 2 + len(hospital.wards) + len(hospital.beds)  # Organization, site, ...
            deadline = time.monotonic() + 60
            adapters = {}
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{engine_port}/health",
                                                timeout=5) as response:
                        adapters = {a["name"]: a for a in json.load(response)["adapters"]}
                except OSError:
                    adapters = {}
                if adapters and all(a["stored"] > 0 for a in adapters.values()) and \
                        adapters["nus-fhir"]["stored"] >= expected:
                    break
                time.sleep(0.2)
            self.assertEqual(set(adapters), {s.name for s in region.sources()})
            for name, adapter in adapters.items():
                self.assertGreater(adapter["stored"], 0, name)
                self.assertEqual(adapter["quarantined"], 0, name)
            self.assertGreaterEqual(adapters["nus-fhir"]["stored"], expected)
        finally:
            engine.terminate()
            engine.wait(timeout=30)
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    unittest.main()
