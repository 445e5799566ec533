#!/usr/bin/env python3
"""Tests of tools/generate_dataset.py: deterministic output, the counts and
codes the benchmarks rely on, references that resolve, no personal data.

Usage: python3 tests/tools/generate_dataset_test.py   (ctest: generate_dataset_test)
"""

import collections
import importlib.util
import json
import os
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    "generate_dataset", os.path.join(ROOT, "tools", "generate_dataset.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

SCALE = "0.002"  # 20 wards, 200 beds, 400 encounters


def make(out, *extra):
    return gen.generate(gen.parse_args(["--out", out, "--scale", SCALE, *extra]))


def entries(out, manifest):
    for name in manifest["bundles"]:
        with open(os.path.join(out, "bundles", name), encoding="utf-8") as f:
            bundle = json.load(f)
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
        yield from bundle["entry"]


def ids(out, name):
    with open(os.path.join(out, "ids", name), encoding="utf-8") as f:
        return f.read().split()


class GenerateDatasetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "a")
        cls.manifest = make(cls.out, "--bundle-size", "100")
        cls.entries = list(entries(cls.out, cls.manifest))
        cls.by_ref = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
                      for e in cls.entries}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def resources(self, type_, physical=None):
        out = []
        for e in self.entries:
            r = e["resource"]
            if r["resourceType"] != type_:
                continue
            if physical and r["physicalType"]["coding"][0]["code"] != physical:
                continue
            out.append(r)
        return out

    def test_same_parameters_give_identical_files(self):
        other = os.path.join(self.tmp.name, "b")
        make(other, "--bundle-size", "100")
        for name in self.manifest["bundles"]:
            with open(os.path.join(self.out, "bundles", name), "rb") as f1, \
                    open(os.path.join(other, "bundles", name), "rb") as f2:
                self.assertEqual(f1.read(), f2.read(), name)

    def test_another_seed_gives_other_data(self):
        other = os.path.join(self.tmp.name, "seed2")
        manifest = make(other, "--bundle-size", "100", "--seed", "2")
        self.assertNotEqual(list(entries(other, manifest)), self.entries)

    def test_counts_follow_the_scale(self):
        self.assertEqual(len(self.resources("Location", "wa")), 20)
        self.assertEqual(len(self.resources("Location", "bd")), 200)
        self.assertEqual(len(self.resources("Encounter")), 400)
        self.assertGreaterEqual(len(self.resources("Organization")), 2)
        self.assertEqual(self.manifest["resources"], len(self.entries))
        for name, type_, physical in (("beds.txt", "Location", "bd"),
                                      ("wards.txt", "Location", "wa"),
                                      ("encounters.txt", "Encounter", None)):
            self.assertEqual(ids(self.out, name),
                             [r["id"] for r in self.resources(type_, physical)])

    def test_bundles_hold_puts_to_type_and_id(self):
        for name in self.manifest["bundles"]:
            with open(os.path.join(self.out, "bundles", name), encoding="utf-8") as f:
                self.assertLessEqual(len(json.load(f)["entry"]), 100)
        for e in self.entries:
            r = e["resource"]
            self.assertEqual(e["request"],
                             {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"})

    def test_json_bytes_are_the_compact_resources(self):
        total = sum(len(json.dumps(e["resource"], separators=(",", ":"),
                                   ensure_ascii=False).encode("utf-8")) for e in self.entries)
        self.assertEqual(self.manifest["resource-json-bytes"], total)

    def test_references_resolve_except_the_opaque_subject(self):
        def refs(value):
            if isinstance(value, dict):
                for k, v in value.items():
                    if k == "reference":
                        yield v
                    else:
                        yield from refs(v)
            elif isinstance(value, list):
                for v in value:
                    yield from refs(v)
        for e in self.entries:
            for reference in refs(e["resource"]):
                if reference.startswith("Patient/"):
                    self.assertRegex(reference, r"^Patient/pseudo-[0-9a-f]{16}$")
                else:
                    self.assertIn(reference, self.by_ref)

    def test_location_hierarchy_and_bed_codes(self):
        for ward in self.resources("Location", "wa"):
            parent = self.by_ref[ward["partOf"]["reference"]]
            self.assertEqual(parent["physicalType"]["coding"][0]["code"], "bu")
            self.assertIn("managingOrganization", ward)
        statuses = collections.Counter()
        for bed in self.resources("Location", "bd"):
            self.assertEqual(bed["status"], "active")
            self.assertEqual(bed["physicalType"]["coding"][0]["system"],
                             "http://terminology.hl7.org/CodeSystem/location-physical-type")
            parent = self.by_ref[bed["partOf"]["reference"]]
            self.assertEqual(parent["physicalType"]["coding"][0]["code"], "wa")
            self.assertEqual(bed["operationalStatus"]["system"],
                             "http://terminology.hl7.org/CodeSystem/v2-0116")
            statuses[bed["operationalStatus"]["code"]] += 1
            self.assertTrue(bed["identifier"][0]["value"])
        self.assertLessEqual(set(statuses), set("UOCHIK"))
        self.assertGreater(statuses["O"], statuses["U"])
        self.assertGreater(statuses["U"], 0)

    def test_encounters_are_pseudonymous_and_coded(self):
        allowed = {"resourceType", "id", "status", "class", "subject", "period", "location",
                   "serviceProvider"}
        occupied = {f"Location/{r['id']}" for r in self.resources("Location", "bd")
                    if r["operationalStatus"]["code"] == "O"}
        for enc in self.resources("Encounter"):
            self.assertLessEqual(set(enc), allowed)
            self.assertIn(enc["status"], {"in-progress", "finished", "planned"})
            self.assertEqual(enc["class"]["system"],
                             "http://terminology.hl7.org/CodeSystem/v3-ActCode")
            self.assertIn(enc["class"]["code"], {"IMP", "EMER", "AMB"})
            bed, ward = (loc["location"]["reference"] for loc in enc["location"])
            self.assertEqual(self.by_ref[bed]["partOf"]["reference"], ward)
            if enc["status"] == "in-progress":
                self.assertNotIn("end", enc["period"])
                self.assertIn(bed, occupied)
            if enc["status"] == "finished":
                self.assertLess(enc["period"]["start"], enc["period"]["end"])

    def test_copies_and_limit_reach_an_exact_count_with_distinct_ids(self):
        out = os.path.join(self.tmp.name, "big")
        base = self.manifest["resources"]
        manifest = make(out, "--copies", "3", "--limit", str(2 * base + 7))
        self.assertEqual(manifest["resources"], 2 * base + 7)
        all_ids = [f"{e['request']['url']}" for e in entries(out, manifest)]
        self.assertEqual(len(all_ids), len(set(all_ids)))
        self.assertIn("Location/c1-bed-000001", all_ids)
        self.assertIn("Organization/c2-org-0001", all_ids)


if __name__ == "__main__":
    unittest.main()
