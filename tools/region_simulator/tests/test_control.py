"""The control and truth endpoints over real HTTP: admit, pause/resume (503 while paused),
step with the manual clock, GET /truth and the truth file."""

import json
import unittest

from region_simulator.tests.sim_fixture import ServedRegion


def find(node, reference):
    if node["reference"] == reference:
        return node
    for child in node.get("children", []):
        found = find(child, reference)
        if found:
            return found
    return None


class Control(unittest.TestCase):
    def setUp(self):
        self.served = ServedRegion(seed=12)

    def tearDown(self):
        self.served.close()

    def test_admit_occupies_a_free_bed_in_the_truth(self):
        status, truth, _ = self.served.get("/truth")
        self.assertEqual(status, 200)
        status, admitted, _ = self.served.post("/control/admit", {"hospital": "lyc"})
        self.assertEqual(status, 200, admitted)
        self.assertTrue(admitted["bed"].startswith("Location/lyc-W"))
        _, after, _ = self.served.get("/truth")
        before_ward = find(truth["region"], admitted["ward"])["beds"]
        after_ward = find(after["region"], admitted["ward"])["beds"]
        self.assertEqual(after_ward["occupied"], before_ward["occupied"] + 1)
        self.assertEqual(after_ward["free"], before_ward["free"] - 1)
        bed_id = admitted["bed"].split("lyc-", 1)[1]
        status, bed, _ = self.served.get(f"/lyc/fhir/Location/{bed_id}")
        self.assertEqual(bed["operationalStatus"]["code"], "BELAGD")
        enc_id = admitted["encounter"].split("lyc-", 1)[1]
        status, enc, _ = self.served.get(f"/lyc/fhir/Encounter/{enc_id}")
        self.assertEqual((status, enc["location"][-1]["location"]["reference"]),
                         (200, f"Location/{bed_id}"))

    def test_admit_to_a_named_bed_and_refusals(self):
        hospital = self.served.region.layout.hospital_by_source["nus"]
        free = next(b for b in hospital.beds if b.op == "LEDIG")
        status, admitted, _ = self.served.post(f"/control/admit?hospital=nus&bed={free.local_id}")
        self.assertEqual((status, admitted["bed"]), (200, f"Location/nus-{free.local_id}"))
        status, error, _ = self.served.post(f"/control/admit?hospital=nus&bed={free.local_id}")
        self.assertEqual(status, 400)
        self.assertIn("not free", error["error"])
        self.assertEqual(self.served.post("/control/admit?hospital=nope")[0], 400)
        self.assertEqual(self.served.post("/control/admit", ["not", "an", "object"])[0], 400)

    def test_pause_gives_503_and_resume_publishes_what_changed(self):
        status, _, _ = self.served.post("/control/pause-source?name=nus-fhir")
        self.assertEqual(status, 200)
        status, outcome, headers = self.served.get("/nus/fhir/Location")
        self.assertEqual((status, outcome["resourceType"]), (503, "OperationOutcome"))
        self.assertEqual(headers["Retry-After"], "5")
        _, paused_truth, _ = self.served.get("/truth")
        self.served.post("/control/step?seconds=21600")
        _, later_truth, _ = self.served.get("/truth")
        nus = "Organization/nus-H1"
        self.assertEqual(find(paused_truth["region"], nus)["beds"],
                         find(later_truth["region"], nus)["beds"])
        self.assertTrue(next(s for s in later_truth["sources"] if s["name"] == "nus-fhir")[
            "paused"])
        self.assertEqual(self.served.post("/control/resume-source?name=nus")[0], 200)
        self.assertEqual(self.served.get("/nus/fhir/Location?_count=1")[0], 200)
        _, resumed, _ = self.served.get("/truth")
        live = self.served.region.layout.hospital_by_source["nus"].beds
        self.assertEqual(find(resumed["region"], nus)["beds"]["free"],
                         sum(1 for b in live if b.op == "LEDIG" and b.status == "active"))

    def test_pausing_a_json_municipality(self):
        code = self.served.region.json_sources[0].member.code
        self.served.post(f"/control/pause-source?name=kommun-json-{code}")
        self.assertEqual(self.served.get(f"/kommun/{code}/platser")[0], 503)
        self.served.post(f"/control/resume-source?name=kommun-json-{code}")
        self.assertEqual(self.served.get(f"/kommun/{code}/platser")[0], 200)
        self.assertEqual(self.served.post("/control/pause-source?name=nope")[0], 400)
        self.assertEqual(self.served.post("/control/pause-source")[0], 400)

    def test_step_advances_time_and_rewrites_the_truth_file(self):
        _, before, _ = self.served.get("/truth")
        status, stepped, _ = self.served.post("/control/step?seconds=3600")
        self.assertEqual(status, 200)
        self.assertGreater(stepped["simulated_time"], before["simulated_time"])
        with open(self.served.truth_file, encoding="utf-8") as truth_file:
            written = json.load(truth_file)
        self.assertEqual(written["simulated_time"], stepped["simulated_time"])
        _, now, _ = self.served.get("/truth")
        self.assertEqual(written["region"], now["region"])
        self.assertEqual(self.served.post("/control/step?seconds=-1")[0], 400)
        self.assertEqual(self.served.post("/control/step?seconds=abc")[0], 400)
        self.assertEqual(self.served.post("/control/nothing")[0], 404)


if __name__ == "__main__":
    unittest.main()
