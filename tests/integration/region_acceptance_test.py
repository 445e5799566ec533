"""Issue #6 acceptance, end to end: the region simulator (tools/region-simulator) runs a simulated
week at --speed and stops its clock (--duration-s); the real fhir-engine reads it through the
written config and the shipped mappings. Then GET /capacity/summary must equal the simulator's
GET /truth for every organization, site and ward and every bed category, to the bed, with no record
quarantined; and a paused hospital source and a paused municipal source must be flagged stale in
the summary and the MeasureReport, and clear again when resumed.

Needs FHIR_ENGINE_BINARY (ctest sets it); skipped without it."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

BINARY = os.environ.get("FHIR_ENGINE_BINARY", "")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIMULATOR = os.path.join(REPO, "tools", "region-simulator")

WEEK_S = 7 * 86400
# A week in about 40 s of real time: room for the stale check while the clock runs.
SPEED = WEEK_S / 40
# A fixed Monday in the past: the event stream is the same on every run, and the engine's clock
# (the wall clock) is always later than the simulated one (see wait days below).
START = "2025-11-17T06:00:00+01:00"
SEED = 7
QUIET_TIMEOUT_S = 60
# For the paused sources; above the longest gap between two files of an active drop folder
# (the export interval 2 s, settle 1 s, poll 1 s). The others keep 60 s (drop folders more).
STALE_AFTER_S = 8
# A hospital, a JSON municipality and a drop folder (kommun-csv: six municipalities).
PAUSED = ("skl-fhir", "kommun-json-2480", "kommun-csv")
sys.path.insert(0, os.path.join(REPO, "tools"))
from region_simulator.region_layout import MUNICIPALITIES  # noqa: E402 (the layout's table)
CSV_MUNICIPALITIES = [code for code, _, _, dialect in MUNICIPALITIES if dialect == "csv"]
MEASURE = "regional-bed-capacity"
STALE_EXT = "https://fhir-engine.example.org/fhir/StructureDefinition/capacity-stale"
STALE_SOURCE_EXT = \
    "https://fhir-engine.example.org/fhir/StructureDefinition/capacity-stale-source"
COUNTED = ("beds", "by_category")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method, url, timeout=30):
    req = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def parse_instant_s(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def index_nodes(node, out, path="region"):
    """reference -> (path, node) for every node of a summary or truth tree."""
    out[node.get("reference", "")] = (path, node)
    for child in node.get("children", []):
        index_nodes(child, out, f"{path} > {child.get('kind')} {child.get('reference')}")
    return out


def differences(summary, truth, offset_days):
    """Readable lines for every node whose counts differ. Bed counts and discharge-ready patients
    must be equal; wait days differ by exactly patients * offset_days (the engine counts them to
    its wall clock, the truth to the simulated clock), within rounding."""
    engine_nodes = index_nodes(summary["region"], {})
    truth_nodes = index_nodes(truth["region"], {})
    lines = []
    for ref in sorted(set(engine_nodes) | set(truth_nodes)):
        if ref not in engine_nodes:
            lines.append(f"{truth_nodes[ref][0]}: in the truth, missing in the summary")
            continue
        if ref not in truth_nodes:
            lines.append(f"{engine_nodes[ref][0]}: in the summary, missing in the truth")
            continue
        path, mine = engine_nodes[ref]
        _, theirs = truth_nodes[ref]
        for key in COUNTED:
            if mine.get(key) != theirs.get(key):
                lines.append(f"{path}: {key} engine {json.dumps(mine.get(key), sort_keys=True)}"
                             f" != truth {json.dumps(theirs.get(key), sort_keys=True)}")
        ours, real = mine["discharge_ready"], theirs["discharge_ready"]
        if ours["patients"] != real["patients"]:
            lines.append(f"{path}: discharge-ready patients engine {ours['patients']} != truth "
                         f"{real['patients']}")
            continue
        # Both sides round to two decimals; allow that per patient plus a little clock jitter.
        slack = 0.02 * max(1, real["patients"]) + 0.01
        expected_total = real["wait_days_total"] + real["patients"] * offset_days
        if abs(ours["wait_days_total"] - expected_total) > slack:
            lines.append(f"{path}: wait_days_total engine {ours['wait_days_total']} != truth "
                         f"{real['wait_days_total']} + {real['patients']} x {offset_days:.3f}")
        if real["patients"] and abs(ours["wait_days_max"] - (real["wait_days_max"]
                                                             + offset_days)) > 0.03:
            lines.append(f"{path}: wait_days_max engine {ours['wait_days_max']} != truth "
                         f"{real['wait_days_max']} + {offset_days:.3f}")
    return lines


@unittest.skipUnless(BINARY and os.access(BINARY, os.X_OK), "FHIR_ENGINE_BINARY not set")
class RegionAcceptance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="region-acceptance-")
        cls.processes = []
        cls.logs = []
        config_path = os.path.join(cls.dir, "engine.json")
        port_file = os.path.join(cls.dir, "sim.port")
        cls.engine_port = free_port()
        cls.simulator = subprocess.Popen(
            [sys.executable, SIMULATOR, "--seed", str(SEED), "--start", START,
             "--speed", str(SPEED), "--duration-s", str(WEEK_S),
             "--drop-dir", os.path.join(cls.dir, "drop"), "--export-interval-s", "2",
             "--port-file", port_file, "--write-config", config_path,
             "--engine-port", str(cls.engine_port),
             "--engine-database", os.path.join(cls.dir, "engine.db"),
             "--poll-interval-s", "1", "--stale-after-s", "60"],
            stdout=subprocess.DEVNULL, stderr=cls.open_log("sim.log"))
        cls.processes.append(cls.simulator)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file) or not os.path.exists(config_path):
            if time.monotonic() > deadline or cls.simulator.poll() is not None:
                raise RuntimeError("the simulator did not start: " + cls.log("sim.log"))
            time.sleep(0.05)
        with open(port_file, encoding="utf-8") as f:
            cls.sim = f"http://127.0.0.1:{int(f.read())}"
        # The paused sources get a short stale-after; the others keep 60 s and must stay fresh.
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        for adapter in config["adapters"]:
            if adapter["name"] in PAUSED:
                adapter["stale-after-s"] = STALE_AFTER_S
        with open(config_path, "w", encoding="utf-8") as f:
            json.dump(config, f)
        env = dict(os.environ, FHIR_ENGINE_PSEUDONYM_KEY="acceptance-test-key-0123456789abcdef")
        cls.engine = subprocess.Popen(
            [BINARY, "serve", "--config", config_path], cwd=cls.dir, env=env,
            stdout=subprocess.DEVNULL, stderr=cls.open_log("engine.log"))
        cls.processes.append(cls.engine)
        cls.base = f"http://127.0.0.1:{cls.engine_port}"
        cls.started = time.monotonic()

    @classmethod
    def open_log(cls, name):
        handle = open(os.path.join(cls.dir, name), "w", encoding="utf-8")
        cls.logs.append(handle)
        return handle

    @classmethod
    def log(cls, name):
        try:
            with open(os.path.join(cls.dir, name), encoding="utf-8", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    @classmethod
    def tearDownClass(cls):
        for process in reversed(cls.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for handle in cls.logs:
            handle.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def wait_for(self, what, check, timeout_s):
        """Polls check() (returns (done, detail)) until done or the bound; fails with detail."""
        deadline = time.monotonic() + timeout_s
        detail = None
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    self.fail(f"{process.args[0]} exited ({process.returncode}) before {what}:\n"
                              f"{self.log('engine.log')}\n{self.log('sim.log')}")
            try:
                done, detail = check()
            except (OSError, ValueError, KeyError) as error:
                done, detail = False, f"{type(error).__name__}: {error}"
            if done:
                return detail
            time.sleep(0.5)
        self.fail(f"{what} within {timeout_s} s:\n{detail}\nengine log:\n"
                  f"{self.log('engine.log')}\nsimulator log:\n{self.log('sim.log')}")

    def summary(self):
        status, body = http("GET", self.base + "/capacity/summary")
        self.assertEqual(status, 200, body)
        return body

    def evaluate(self, subject=None):
        query = {"periodStart": "2000-01-01", "periodEnd": "2100-01-01"}
        if subject:
            query["subject"] = subject
        status, body = http("GET", f"{self.base}/fhir/Measure/{MEASURE}/$evaluate-measure?"
                                   + urllib.parse.urlencode(query))
        self.assertEqual(status, 200, body)
        return body

    def test_2_rollup_equals_the_truth_after_a_simulated_week(self):
        # Runs after test_1 (unittest sorts by name), which paused and resumed sources mid-week.
        started = self.started
        end_s = parse_instant_s(START) + WEEK_S

        def week_passed():
            _, truth = http("GET", self.sim + "/truth")
            return parse_instant_s(truth["simulated_time"]) >= end_s, truth["simulated_time"]
        self.wait_for("a simulated week", week_passed, 90)
        week_real_s = time.monotonic() - started

        def matches():
            _, truth = http("GET", self.sim + "/truth")
            summary = self.summary()
            offset_days = (parse_instant_s(summary["generated"])
                           - parse_instant_s(truth["simulated_time"])) / 86400
            lines = differences(summary, truth, offset_days)
            return not lines, f"{len(lines)} differing values, the first:\n" + "\n".join(
                lines[:15])
        self.wait_for("the engine's rollup to equal the simulator's truth", matches,
                      QUIET_TIMEOUT_S)
        _, truth = http("GET", self.sim + "/truth")
        nodes = index_nodes(truth["region"], {})
        kinds = [n.get("kind") for _, n in nodes.values()]
        # Every organization (3 hospitals, 15 municipalities), site and ward was compared.
        self.assertEqual(kinds.count("organization"), 18)
        self.assertGreater(kinds.count("ward"), 18)
        self.assertEqual(truth["region"]["beds"]["total"], 1474)
        self.assertGreater(truth["events"], 1000)
        status, quarantine = http("GET", self.base + "/admin/quarantine?_count=5")
        self.assertEqual(status, 200, quarantine)
        self.assertEqual(quarantine["total"], 0, json.dumps(quarantine["entries"], indent=1)[:3000])
        summary = self.summary()
        self.assertFalse(summary["region"]["stale"], summary["sources"])
        print(f"\nregion acceptance: a simulated week in {week_real_s:.1f} s, "
              f"{truth['events']} events, matched after {time.monotonic() - started:.1f} s",
              file=sys.stderr)

    def test_1_paused_sources_go_stale_and_clear(self):
        # While the simulated week runs (sources export and change), once the engine has read
        # every bed of the region and every source is fresh.
        def ready():
            summary = self.summary()
            return (summary["region"]["beds"]["total"] == 1474 and not summary["region"]["stale"],
                    f"beds {summary['region']['beds']}, sources {summary['sources']}")
        self.wait_for("every bed read and every source fresh", ready, QUIET_TIMEOUT_S)
        for name in PAUSED:
            status, body = http("POST", f"{self.sim}/control/pause-source?name={name}")
            self.assertEqual(status, 200, body)
        try:
            expected_orgs = {"Organization/skl-H1", "Organization/kommun-2480"} | {
                f"Organization/kommun-{code}" for code in CSV_MUNICIPALITIES}

            def flagged():
                # The source list is evaluated when read, the tree's flags on the rollup's
                # freshness tick (every second): wait for both.
                summary = self.summary()
                stale = {s["name"] for s in summary["sources"] if s["stale"]}
                orgs = {c["reference"]: c for c in summary["region"]["children"]}
                stale_orgs = {ref for ref, node in orgs.items() if node["stale"]}
                return (stale == set(PAUSED) and stale_orgs == expected_orgs
                        and summary["region"]["stale"]), \
                    f"stale sources {sorted(stale)}, organizations {sorted(stale_orgs)}, " \
                    f"region {summary['region']['stale']}; not flagged: " + "; ".join(
                        f"{ref} sources {orgs[ref]['sources']} beds {orgs[ref]['beds']['total']}"
                        for ref in sorted(expected_orgs - stale_orgs) if ref in orgs)
            self.wait_for("the paused sources and their nodes flagged stale", flagged, 30)
            summary = self.summary()
            organizations = {c["reference"]: c for c in summary["region"]["children"]}
            stale_orgs = {ref for ref, node in organizations.items() if node["stale"]}
            self.assertEqual(stale_orgs, expected_orgs)
            for ref in stale_orgs:
                self.assertTrue(set(organizations[ref]["sources"]) & set(PAUSED), ref)
            # The MeasureReports: the region's and the stale hospital's (its reporter).
            for subject, expected in ((None, set(PAUSED)),
                                      ("Organization/skl-H1", {"skl-fhir"}),
                                      (f"Organization/kommun-{CSV_MUNICIPALITIES[0]}",
                                       {"kommun-csv"}),
                                      ("Organization/nus-H1", set())):
                report = self.evaluate(subject)
                ext = report.get("extension", [])
                stale = [e["valueBoolean"] for e in ext if e["url"] == STALE_EXT]
                named = {e["valueString"] for e in ext if e["url"] == STALE_SOURCE_EXT}
                self.assertEqual(stale, [bool(expected)], (subject, ext))
                self.assertEqual(named, expected, subject)
                if subject:
                    self.assertEqual(report["reporter"]["reference"], subject)
        finally:
            for name in PAUSED:
                http("POST", f"{self.sim}/control/resume-source?name={name}")

        def cleared():
            summary = self.summary()
            stale = [s["name"] for s in summary["sources"] if s["stale"]]
            return not stale and not summary["region"]["stale"], f"still stale: {stale}"
        self.wait_for("the stale flags to clear after resuming", cleared, 30)
        report = self.evaluate()
        self.assertIn({"url": STALE_EXT, "valueBoolean": False}, report["extension"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
