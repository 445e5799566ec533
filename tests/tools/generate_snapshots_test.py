#!/usr/bin/env python3
"""Tests of tools/generate_snapshots.py: every regional profile's committed
snapshot exists and equals what the script generates now, the differential's
constraints land on the right snapshot elements, and widening is refused.

Usage: python3 tests/tools/generate_snapshots_test.py R4_PACKAGE_DIR
       (ctest: generate_snapshots_test, after fetch_r4_examples)
"""

import copy
import importlib.util
import json
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    "generate_snapshots", os.path.join(ROOT, "tools", "generate_snapshots.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
PACKAGE = None  # set from argv in __main__
SD = "https://fhir-engine.example.org/fhir/StructureDefinition/"


def source(name):
    for file_name, path in gen.sources():
        if file_name == f"StructureDefinition-{name}.json":
            return gen.load_json(path)
    raise AssertionError(f"no regional StructureDefinition {name}")


def by_id(sd):
    return {e["id"]: e for e in sd["snapshot"]["element"]}


class CommittedSnapshots(unittest.TestCase):
    def test_every_profile_has_an_up_to_date_snapshot(self):
        bases = gen.BaseDefinitions(PACKAGE)
        names = [n for n, _ in gen.sources()]
        self.assertGreaterEqual(len(names), 9)  # 6 profiles, 3 extensions
        for name, path in gen.sources():
            out = os.path.join(gen.OUT_DIR, name)
            self.assertTrue(os.path.isfile(out), f"{name}: no snapshot (run tools/generate_snapshots.py)")
            with open(out, encoding="utf-8") as f:
                committed = f.read()
            self.assertEqual(committed, gen.render(gen.generate(gen.load_json(path), bases)),
                             f"{name}: snapshot is stale (run tools/generate_snapshots.py)")

    def test_check_mode_agrees(self):
        self.assertEqual(gen.main(["generate_snapshots.py", PACKAGE, "--check"]), 0)


class Generation(unittest.TestCase):
    def setUp(self):
        self.bases = gen.BaseDefinitions(PACKAGE)

    def test_bed_constraints_land_on_their_elements(self):
        e = by_id(gen.generate(source("RegionalBed"), self.bases))
        self.assertEqual(e["Location.operationalStatus"]["min"], 1)
        self.assertEqual(e["Location.operationalStatus"]["binding"]["strength"], "required")
        self.assertEqual(e["Location.physicalType"]["patternCodeableConcept"]["coding"][0]["code"], "bd")
        self.assertEqual(e["Location.partOf"]["min"], 1)
        self.assertEqual(e["Location.partOf"]["type"][0]["targetProfile"],
                         [SD + "RegionalRoom", SD + "RegionalWard"])
        cat = e["Location.extension:bedCategory"]
        self.assertEqual((cat["sliceName"], cat["min"], cat["max"]), ("bedCategory", 1, "1"))
        self.assertEqual(cat["type"][0]["profile"], [SD + "bed-category"])
        keys = [c["key"] for c in e["Location"]["constraint"]]
        self.assertIn("reg-bed-1", keys)
        self.assertIn("dom-2", keys)  # the base's are kept
        self.assertEqual(e["Location.name"]["base"], {"path": "Location.name", "min": 0, "max": "1"})

    def test_slices_and_unfolded_types_are_in_snapshot_order(self):
        sd = gen.generate(source("RegionalOrganization"), self.bases)
        ids = [x["id"] for x in sd["snapshot"]["element"]]
        i = ids.index("Organization.identifier")
        self.assertEqual(ids[i + 1], "Organization.identifier:hsaId")
        self.assertLess(ids.index("Organization.identifier:hsaId.system"),
                        ids.index("Organization.identifier:municipalityCode"))
        self.assertLess(ids.index("Organization.identifier:municipalityCode.assigner"),
                        ids.index("Organization.active"))
        e = by_id(sd)
        self.assertEqual(e["Organization.identifier:hsaId.system"]["fixedUri"], "urn:oid:1.2.752.29.4.19")
        self.assertEqual(e["Organization.identifier"]["slicing"]["discriminator"],
                         [{"type": "value", "path": "system"}])
        enc = by_id(gen.generate(source("RegionalEncounter"), self.bases))
        self.assertEqual(enc["Encounter.subject.identifier.system"]["path"], "Encounter.subject.identifier.system")
        self.assertEqual(enc["Encounter.subject.display"]["max"], "0")

    def refused(self, name, element_id, **change):
        sd = source(name)
        for e in sd["differential"]["element"]:
            if e["id"] == element_id:
                e.update(change)
                break
        else:
            sd["differential"]["element"].append(dict({"id": element_id, "path": element_id}, **change))
        with self.assertRaises(gen.SnapshotError) as ctx:
            gen.generate(sd, self.bases)
        self.assertIn(element_id, str(ctx.exception))

    def test_widening_is_refused(self):
        self.refused("RegionalSite", "Location.name", max="*")
        self.refused("RegionalSite", "Location.meta", min=0, max="2")
        self.refused("RegionalEncounter", "Encounter.status", min=0)
        self.refused("RegionalSite", "Location.managingOrganization", type=[{"code": "string"}])
        self.refused("RegionalEncounter", "Encounter.status",  # required in R4 itself
                     binding={"strength": "extensible", "valueSet": "http://example.org/vs"})
        self.refused("RegionalSite", "Location.notAnElement", min=1)

    def test_a_slice_of_an_unsliced_element_is_refused(self):
        sd = source("RegionalSite")
        sd["differential"]["element"].append(
            {"id": "Location.alias:x", "path": "Location.alias", "sliceName": "x"})
        with self.assertRaises(gen.SnapshotError):
            gen.generate(sd, self.bases)

    def test_only_core_bases_are_supported(self):
        sd = copy.deepcopy(source("RegionalBed"))
        sd["baseDefinition"] = SD + "RegionalSite"
        with self.assertRaises(gen.SnapshotError):
            gen.generate(sd, self.bases)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: generate_snapshots_test.py R4_PACKAGE_DIR")
    PACKAGE = sys.argv.pop(1)
    unittest.main()
