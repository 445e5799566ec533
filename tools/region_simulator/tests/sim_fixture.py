"""Shared helpers for the simulator tests: a temporary region, and a simulator HTTP server on
loopback with a manual clock."""

import json
import os
import tempfile
import urllib.error
import urllib.request

from region_simulator.cli import Runner
from region_simulator.http_api import start_server
from region_simulator.region import Region
from region_simulator.sim_time import parse_instant

START_MS = parse_instant("2026-11-23T06:00:00+01:00")


def make_region(seed=11, record_events=False, drop_dir=None):
    drop = drop_dir or tempfile.mkdtemp(prefix="region-sim-test-")
    return Region(seed, START_MS, drop, record_events=record_events)


class ServedRegion:
    """A region behind its HTTP server (manual clock); close() stops the server."""

    def __init__(self, seed=5):
        self.dir = tempfile.mkdtemp(prefix="region-sim-http-")
        self.region = Region(seed, START_MS, os.path.join(self.dir, "drop"))
        self.truth_file = os.path.join(self.dir, "truth.json")
        self.runner = Runner(self.region, 1.0, True, self.truth_file, 60, 5)
        self.server = start_server(self.runner)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def request(self, method, path, body=None):
        """(status, parsed JSON body, headers) of one real HTTP request."""
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST"
                                                                    else None)
        req = urllib.request.Request(self.base + path if path.startswith("/") else path,
                                     data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, json.loads(response.read()), response.headers
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read()), error.headers

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body=None):
        return self.request("POST", path, body)
