"""The simulation itself: determinism with a seed, conservation of beds and patients, daily
rhythms, and that the truth counts only what the sources have published."""

import unittest

from region_simulator.ground_truth import STATES
from region_simulator.sim_time import MS_PER_DAY, MS_PER_HOUR, local_hour_and_weekday
from region_simulator.tests.sim_fixture import START_MS, make_region


def walk(node):
    yield node
    for child in node.get("children", []):
        yield from walk(child)


class Determinism(unittest.TestCase):
    def test_same_seed_gives_same_events_and_truth(self):
        first, second = make_region(seed=42, record_events=True), make_region(
            seed=42, record_events=True)
        for region in (first, second):
            region.advance_to(START_MS + 3 * MS_PER_DAY)
            region.export_files()
        self.assertGreater(len(first.simulation.events), 1000)
        self.assertEqual(first.simulation.events, second.simulation.events)
        self.assertEqual(first.truth(), second.truth())

    def test_another_seed_gives_another_stream(self):
        first, second = make_region(seed=1), make_region(seed=2)
        for region in (first, second):
            region.advance_to(START_MS + MS_PER_DAY)
        self.assertNotEqual(first.simulation.event_digest(), second.simulation.event_digest())

    def test_stepping_in_pieces_equals_one_step(self):
        whole, pieces = make_region(seed=9), make_region(seed=9)
        whole.advance_to(START_MS + MS_PER_DAY)
        for hour in range(1, 25):
            pieces.advance_to(START_MS + hour * MS_PER_HOUR)
        self.assertEqual(whole.simulation.event_digest(), pieces.simulation.event_digest())


class Conservation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.region = make_region(seed=3, record_events=True)
        cls.region.advance_to(START_MS + 7 * MS_PER_DAY)
        cls.region.export_files()
        cls.truth = cls.region.truth()

    def test_no_bed_holds_two_patients(self):
        seen = {}
        for (source, _), enc in self.region.simulation.active_encounters.items():
            active = [loc for loc in enc.locations if loc[1] == "active"]
            self.assertEqual(len(active), 1, enc.local_id)
            key = (source, active[0][0])
            self.assertNotIn(key, seen, f"{key} holds {seen.get(key)} and {enc.local_id}")
            seen[key] = enc.local_id
            self.assertIs(enc.bed.encounter, enc)
            self.assertIn(enc.bed.op, ("BELAGD", "ISOLERING"))
        for hospital in self.region.layout.hospitals:
            for bed in hospital.beds:
                if bed.op in ("BELAGD", "ISOLERING"):
                    self.assertIsNotNone(bed.encounter, bed.local_id)
                else:
                    self.assertIsNone(bed.encounter, bed.local_id)

    def test_counts_add_up_at_every_level(self):
        region = self.truth["region"]
        self.assertEqual(region["beds"]["total"], self.region.layout.bed_count())
        for node in walk(region):
            beds = node["beds"]
            self.assertEqual(beds["total"], sum(beds[s] for s in STATES), node["reference"])
            for state in ("total",) + STATES:
                self.assertEqual(beds[state], sum(c[state] for c in node["by_category"].values()))
                if "children" in node and node["children"]:
                    self.assertEqual(beds[state], sum(c["beds"][state] for c in node["children"]),
                                     f"{node['reference']} {state}")

    def test_discharge_ready_patients_match_the_encounters(self):
        ready = [e for e in self.region.simulation.active_encounters.values()
                 if e.ready_ms is not None]
        self.assertGreater(len(ready), 0)
        self.assertEqual(self.truth["region"]["discharge_ready"]["patients"], len(ready))

    def test_patients_reach_municipal_places(self):
        moves = [e for e in self.region.simulation.events if " to-municipality " in e]
        self.assertGreater(len(moves), 5)

    def test_admissions_follow_the_daily_rhythm(self):
        by_hour = [0] * 24
        for line in self.region.simulation.events:
            ms, kind, _ = line.split(" ", 2)
            if kind == "admit" and int(ms) >= START_MS:
                by_hour[local_hour_and_weekday(int(ms))[0]] += 1
        self.assertGreater(sum(by_hour[10:14]), 2 * sum(by_hour[1:5]))

    def test_all_bed_states_occur(self):
        hospital_ops = {b.op for h in self.region.layout.hospitals for b in h.beds}
        self.assertTrue({"BELAGD", "LEDIG", "STANGD"} <= hospital_ops, hospital_ops)
        events = " ".join(self.region.simulation.events)
        for op in ("STADNING", "EJBEMANNAD", "ISOLERING"):
            self.assertIn(op, events)


class PublishedOnly(unittest.TestCase):
    def test_a_paused_hospital_keeps_its_last_published_truth(self):
        region = make_region(seed=4)
        region.pause("nus")
        before = next(o for o in region.truth()["region"]["children"]
                      if o["reference"] == "Organization/nus-H1")
        region.advance_to(START_MS + 2 * MS_PER_DAY)
        live_free = sum(1 for b in region.layout.hospital_by_source["nus"].beds
                        if b.op == "LEDIG")
        after = next(o for o in region.truth()["region"]["children"]
                     if o["reference"] == "Organization/nus-H1")
        self.assertEqual(before["beds"], after["beds"])
        region.resume("nus")
        resumed = next(o for o in region.truth()["region"]["children"]
                       if o["reference"] == "Organization/nus-H1")
        self.assertEqual(resumed["beds"]["free"], live_free)
        self.assertNotEqual(resumed["beds"], before["beds"])

    def test_drop_folder_municipalities_count_only_after_their_file(self):
        region = make_region(seed=4)
        csv = region.find_source("kommun-csv")
        codes = {m.code for m in csv.members}
        region.pause("kommun-csv")
        region.advance_to(START_MS + 2 * MS_PER_DAY)
        before = {o["reference"]: o["beds"] for o in region.truth()["region"]["children"]}
        self.assertEqual([f for f in region.export_files() if f.endswith(".csv")], [])
        after_export = {o["reference"]: o["beds"] for o in region.truth()["region"]["children"]}
        for code in codes:  # paused: nothing written, nothing new counted
            self.assertEqual(before[f"Organization/kommun-{code}"],
                             after_export[f"Organization/kommun-{code}"])
        live = {m.code: sum(1 for p in m.municipality.places if p.status == "Ledig")
                for m in csv.members}
        region.resume("kommun-csv")
        resumed = {o["reference"]: o["beds"] for o in region.truth()["region"]["children"]}
        for code in codes:
            self.assertEqual(resumed[f"Organization/kommun-{code}"]["free"], live[code])


class Scale(unittest.TestCase):
    def test_scale_multiplies_the_region(self):
        from region_simulator.region_layout import RegionLayout
        self.assertEqual(RegionLayout(4).bed_count(), 4 * RegionLayout(1).bed_count())
        with self.assertRaises(ValueError):
            RegionLayout(0)


if __name__ == "__main__":
    unittest.main()
