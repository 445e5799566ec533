"""The sources speak exactly the dialects of the source-dialect contract: CSV (Latin-1, ';', the
exact header), XML (well-formed, the plats elements), JSON (offset paging) and the hospital FHIR
API (searchset Bundles with next links, R4 shapes, _lastUpdated)."""

import glob
import os
import re
import unittest
import urllib.parse
import xml.etree.ElementTree as ElementTree

from region_simulator.municipal_sources import CSV_HEADER
from region_simulator.sim_time import MS_PER_DAY, MS_PER_HOUR
from region_simulator.tests.sim_fixture import START_MS, ServedRegion, make_region

STATUSES = {"Ledig", "Belagd", "Städning", "Stängd"}
PLACE_TYPES = {"korttidsplats": "korttid", "särskilt boende": "boende"}
BED_OPS = {"LEDIG", "BELAGD", "RESERVERAD", "STANGD", "EJBEMANNAD", "STADNING", "ISOLERING"}
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def read_bytes(path):
    with open(path, "rb") as source:
        return source.read()


class DropFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.region = make_region(seed=8)
        cls.region.advance_to(START_MS + 6 * MS_PER_HOUR)
        cls.region.export_files()
        cls.folder = cls.region.drop_dir

    def test_csv_is_latin1_semicolon_with_the_exact_header(self):
        files = sorted(glob.glob(os.path.join(self.folder, "csv", "*.csv")))
        self.assertTrue(files)
        codes = {m.code for m in self.region.find_source("kommun-csv").members}
        seen_codes = set()
        saw_non_ascii = False
        for path in files:
            raw = read_bytes(path)
            if any(b > 127 for b in raw):
                saw_non_ascii = True
                with self.assertRaises(UnicodeDecodeError):  # Latin-1, so not UTF-8
                    raw.decode("utf-8")
            lines = raw.decode("iso-8859-1").splitlines()
            self.assertEqual(lines[0], CSV_HEADER)
            keys = set()
            for line in lines[1:]:
                kommun, enhet, enhetstyp, plats, platstyp, status, uppdaterad = line.split(";")
                seen_codes.add(kommun)
                self.assertRegex(kommun, r"^\d{4}$")
                self.assertEqual(PLACE_TYPES[platstyp], enhetstyp)
                self.assertIn(status, STATUSES)
                self.assertRegex(plats, r"^\d+$")
                self.assertRegex(uppdaterad, r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
                self.assertNotIn((kommun, enhet, plats), keys)
                keys.add((kommun, enhet, plats))
        self.assertTrue(saw_non_ascii, "expected 'särskilt boende' / 'Städning' in Latin-1")
        self.assertEqual(seen_codes, codes)

    def test_no_temporary_files_are_left(self):
        self.assertEqual(glob.glob(os.path.join(self.folder, "*", "*.part")), [])

    def test_xml_is_well_formed_with_the_plats_elements(self):
        files = sorted(glob.glob(os.path.join(self.folder, "xml", "*.xml")))
        self.assertTrue(files)
        for path in files:
            root = ElementTree.parse(path).getroot()
            self.assertEqual(root.tag, "platser")
            self.assertTrue(read_bytes(path).startswith(
                b'<?xml version="1.0" encoding="ISO-8859-1"?>'))
            for plats in root:
                self.assertEqual(plats.tag, "plats")
                self.assertRegex(plats.get("kommun"), r"^\d{4}$")
                self.assertTrue(plats.get("enhet"))
                self.assertRegex(plats.get("nr"), r"^\d+$")
                self.assertIn(plats.findtext("typ"), PLACE_TYPES)
                self.assertIn(plats.findtext("status"), STATUSES)
                self.assertRegex(plats.findtext("uppdaterad"), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")

    def test_a_new_file_is_written_only_when_places_changed(self):
        self.assertEqual(self.region.export_files(), [])

    def test_an_unchanged_snapshot_is_exported_again_on_schedule(self):
        region = make_region(seed=9)
        for drop in region.drop_sources:
            drop.scheduled_ms = 15 * 60 * 1000
        region.export_files()
        region.advance_to(START_MS + 60 * 1000)
        for drop in region.drop_sources:  # nothing has changed since: freeze the live state
            for member in drop.members:
                member.live_records = (lambda m=member: dict(m.published))
        self.assertEqual(region.export_files(), [])  # not due yet
        region.simulation.now_ms = START_MS + 15 * 60 * 1000
        again = region.export_files()
        members = sum(len(drop.members) for drop in region.drop_sources)
        self.assertEqual(len(again), members)  # every municipality, content unchanged
        paused = region.drop_sources[0]
        paused.paused = True
        region.simulation.now_ms = START_MS + 30 * 60 * 1000
        self.assertEqual(len(region.export_files()), members - len(paused.members))


class HttpSources(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.served = ServedRegion(seed=6)
        cls.served.post("/control/step?seconds=7200")

    @classmethod
    def tearDownClass(cls):
        cls.served.close()

    def page_through(self, url):
        resources, pages = [], 0
        while url:
            status, bundle, _ = self.served.get(url)
            self.assertEqual(status, 200, bundle)
            self.assertEqual(bundle["resourceType"], "Bundle")
            self.assertEqual(bundle["type"], "searchset")
            self.assertRegex(bundle["meta"]["lastUpdated"], INSTANT)
            links = {link["relation"]: link["url"] for link in bundle["link"]}
            self.assertIn("self", links)
            for entry in bundle.get("entry", []):
                self.assertEqual(entry["search"]["mode"], "match")
                self.assertTrue(entry["fullUrl"].endswith(
                    f"/{entry['resource']['resourceType']}/{entry['resource']['id']}"))
                resources.append(entry["resource"])
            url = links.get("next")
            pages += 1
        return resources, pages

    def test_location_paging_returns_every_location_once(self):
        resources, pages = self.page_through("/nus/fhir/Location?_count=50")
        ids = [r["id"] for r in resources]
        hospital = self.served.region.layout.hospital_by_source["nus"]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(len(ids), 1 + len(hospital.wards) + len(hospital.beds))
        self.assertGreater(pages, 10)
        for resource in resources:
            self.assertRegex(resource["meta"]["lastUpdated"], INSTANT)
            self.assertRegex(resource["meta"]["versionId"], r"^[1-9]\d*$")
            physical = resource["physicalType"]["coding"][0]["code"]
            if physical == "bd":
                self.assertIn(resource["operationalStatus"]["code"], BED_OPS)
                self.assertRegex(resource["id"], r"^W\d+-\d\d$")
                self.assertEqual(resource["partOf"]["reference"],
                                 "Location/" + resource["id"].split("-")[0])
                self.assertEqual(resource["managingOrganization"]["reference"], "Organization/H1")
                self.assertIn(resource["status"], ("active", "suspended"))
            elif physical == "wa":
                self.assertEqual(resource["partOf"]["reference"], "Location/SITE1")
            else:
                self.assertEqual((physical, resource["id"]), ("si", "SITE1"))

    def test_encounters_have_the_dialect_shape(self):
        resources, _ = self.page_through("/skl/fhir/Encounter?_count=200")
        self.assertTrue(resources)
        ready = 0
        for enc in resources:
            self.assertIn(enc["status"], ("in-progress", "finished"))
            self.assertEqual(enc["class"]["code"], "IMP")
            self.assertEqual(enc["subject"]["identifier"]["system"],
                             "http://electronichealth.se/identifier/personnummer")
            self.assertRegex(enc["subject"]["identifier"]["value"], r"^\d{12}$")
            self.assertEqual(enc["serviceProvider"]["reference"], "Organization/H1")
            self.assertEqual(enc["location"][-1]["status"],
                             "active" if enc["status"] == "in-progress" else "completed")
            if enc["status"] == "finished":
                self.assertIn("end", enc["period"])
                self.assertIn("end", enc["location"][-1]["period"])
            for ext in enc.get("extension", []):
                self.assertEqual(ext["url"],
                                 "https://ehr.example.org/fhir/StructureDefinition/utskrivningsklar")
                self.assertRegex(ext["valueDateTime"], INSTANT)
                ready += 1
        self.assertGreater(ready, 0)

    def test_last_updated_search_returns_only_newer_versions(self):
        all_locations, _ = self.page_through("/lyc/fhir/Location?_count=1000")
        times = sorted(r["meta"]["lastUpdated"] for r in all_locations)
        cut = times[len(times) // 2]
        newer, _ = self.page_through("/lyc/fhir/Location?_lastUpdated=" +
                                     urllib.parse.quote("gt" + cut) + "&_count=7")
        self.assertEqual(sorted(r["id"] for r in newer),
                         sorted(r["id"] for r in all_locations if r["meta"]["lastUpdated"] > cut))

    def test_changes_while_paging_are_not_lost(self):
        status, first, _ = self.served.get("/nus/fhir/Location?_count=100")
        self.assertEqual(status, 200)
        self.served.post("/control/step?seconds=3600")
        seen = {r["resource"]["id"]: r["resource"]["meta"]["versionId"] for r in first["entry"]}
        url = next(l["url"] for l in first["link"] if l["relation"] == "next")
        rest, _ = self.page_through(url)
        seen.update({r["id"]: r["meta"]["versionId"] for r in rest})
        hospital = self.served.region.layout.hospital_by_source["nus"]
        self.assertEqual(len(seen), 1 + len(hospital.wards) + len(hospital.beds))

    def test_read_and_bad_searches(self):
        status, resource, headers = self.served.get("/nus/fhir/Organization/H1")
        self.assertEqual(status, 200)
        self.assertEqual(resource["identifier"][0]["system"], "urn:oid:1.2.752.29.4.19")
        self.assertEqual(headers["ETag"], f'W/"{resource["meta"]["versionId"]}"')
        for bad in ("/nus/fhir/Location?name=x", "/nus/fhir/Location?_count=zero",
                    "/nus/fhir/Location?_lastUpdated=gtyesterday"):
            status, outcome, _ = self.served.get(bad)
            self.assertEqual(status, 400, bad)
            self.assertEqual(outcome["resourceType"], "OperationOutcome")
        self.assertEqual(self.served.get("/nus/fhir/Patient")[0], 400)
        self.assertEqual(self.served.get("/nus/fhir/Location/nope")[0], 404)
        self.assertEqual(self.served.get("/xyz/fhir/Location")[0], 404)
        status, capability, _ = self.served.get("/nus/fhir/metadata")
        self.assertEqual((status, capability["fhirVersion"]), (200, "4.0.1"))

    def test_json_api_pages_by_offset(self):
        source = self.served.region.json_sources[0]
        code = source.member.code
        records, offset = [], 0
        while True:
            status, page, _ = self.served.get(f"/kommun/{code}/platser?offset={offset}&limit=7")
            self.assertEqual(status, 200)
            records.extend(page)
            if len(page) < 7:
                break
            offset += 7
        self.assertEqual(len(records), len(source.member.municipality.places))
        self.assertEqual(len({r["plats"] for r in records}), len(records))
        for record in records:
            self.assertEqual(set(record), {"kommun", "enhet", "enhetstyp", "plats", "platstyp",
                                           "status", "uppdaterad"})
            self.assertEqual(record["kommun"], code)
            self.assertIn(record["status"], STATUSES)
            self.assertEqual(PLACE_TYPES[record["platstyp"]], record["enhetstyp"])
            self.assertRegex(record["uppdaterad"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
        self.assertEqual(self.served.get(f"/kommun/{code}/platser?offset=-1")[0], 400)
        self.assertEqual(self.served.get(f"/kommun/{code}/platser?limit=5000")[0], 400)


if __name__ == "__main__":
    unittest.main()
