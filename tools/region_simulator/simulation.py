"""The region's patient flow as a seeded discrete-event simulation: admissions at daily rhythms,
transfers, medically-ready patients waiting for a municipal short-term place, discharges,
cleaning, closures, and municipal short-term and residential stays.

Every change of a bed, an Encounter or a municipal place is handed to the publisher
(on_bed / on_encounter / on_place); the publisher decides what the sources show."""

import hashlib
import heapq
import math
import random

from .region_layout import RegionLayout
from .sim_time import MS_PER_DAY, MS_PER_HOUR, MS_PER_MIN, local_hour_and_weekday

# Hourly admission profile (Stockholm hour 0..23), normalised below to a mean of 1.
_ADMISSION_PROFILE_RAW = [0.3, 0.25, 0.2, 0.2, 0.2, 0.3, 0.5, 0.9, 1.4, 1.7, 1.9, 2.0,
                          1.9, 1.7, 1.5, 1.3, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
ADMISSION_PROFILE = [w * 24 / sum(_ADMISSION_PROFILE_RAW) for w in _ADMISSION_PROFILE_RAW]
WEEKDAY_FACTOR = [1.12] * 5 + [0.7] * 2  # mean 1 over a week
TARGET_OCCUPANCY = 0.88
# Mean length of stay in days (medical part), by ward type.
MEAN_STAY_DAYS = {"MED": 5.0, "KIR": 4.0, "ORT": 5.0, "GER": 7.0, "BARN": 3.0,
                  "PSY": 12.0, "IVA": 3.0}
# Share of patients who need a municipal short-term place when medically ready.
NEEDS_MUNICIPAL = {"MED": 0.15, "KIR": 0.08, "ORT": 0.2, "GER": 0.35, "BARN": 0.0,
                   "PSY": 0.05, "IVA": 0.0}
ISOLATION_SHARE = 0.04
MOVE_SHARE = 0.05
WEEKEND_UNSTAFFED_SHARE = 0.08
SHORT_TERM_STAY_DAYS = 14.0
RESIDENTIAL_STAY_DAYS = 900.0


class Encounter:
    __slots__ = ("hospital", "local_id", "patient_no", "pnr", "start_ms", "locations", "status",
                 "ready_ms", "end_ms", "bed", "home", "needs_municipal", "phase")

    def __init__(self, hospital, local_id, patient_no, pnr, start_ms, bed, home, needs_municipal):
        self.hospital = hospital
        self.local_id = local_id
        self.patient_no = patient_no
        self.pnr = pnr
        self.start_ms = start_ms
        self.locations = [[bed.local_id, "active", start_ms, None]]
        self.status = "in-progress"
        self.ready_ms = None
        self.end_ms = None
        self.bed = bed
        self.home = home
        self.needs_municipal = needs_municipal
        self.phase = "iva" if bed.ward.ward_type == "IVA" else "ward"


class NullPublisher:
    def on_bed(self, bed):
        pass

    def on_encounter(self, encounter):
        pass

    def on_place(self, place):
        pass


class SimulationError(ValueError):
    """A control request that cannot be carried out (unknown or occupied bed...)."""


class Simulation:
    """Not thread-safe: the caller serialises access (the HTTP server holds one lock)."""

    def __init__(self, layout: RegionLayout, seed, start_ms, publisher=None, record_events=False):
        self.layout = layout
        self.rng = random.Random(seed)
        self.now_ms = start_ms
        self.start_ms = start_ms
        self.publisher = publisher or NullPublisher()
        self._queue = []
        self._seq = 0
        self._digest = hashlib.sha256()
        self.event_count = 0
        self._probe_beds = set()  # (source, bed id) flipped by probe_bed, owned by the caller
        self.events = [] if record_events else None
        self.refused_admissions = 0
        self._encounter_no = {h.source: 1000 for h in layout.hospitals}
        self._patient_no = 0
        self.active_encounters = {}
        self._ward_rate = {}
        for hospital in layout.hospitals:
            for ward in hospital.wards:
                self._ward_rate[ward] = (len(ward.beds) * TARGET_OCCUPANCY
                                         / MEAN_STAY_DAYS[ward.ward_type] / 24.0)
        self._catchment = {}
        for hospital in layout.hospitals:
            codes = hospital.catchment
            weights = [layout.municipality_by_code[c].weight for c in codes]
            self._catchment[hospital.source] = (codes, weights)
        self._initial_state()
        self._schedule(start_ms, "hour", None)

    # ----------------------------------------------------------------------------- events
    def _schedule(self, at_ms, kind, subject):
        self._seq += 1
        heapq.heappush(self._queue, (int(at_ms), self._seq, kind, subject))

    def _record(self, kind, detail):
        line = f"{self.now_ms} {kind} {detail}"
        self._digest.update(line.encode() + b"\n")
        self.event_count += 1
        if self.events is not None:
            self.events.append(line)

    def event_digest(self):
        return self._digest.hexdigest()

    def advance_to(self, target_ms):
        """Runs every event due at or before target_ms; simulated time then reads target_ms."""
        while self._queue and self._queue[0][0] <= target_ms:
            at_ms, _, kind, subject = heapq.heappop(self._queue)
            self.now_ms = max(self.now_ms, at_ms)
            getattr(self, "_on_" + kind)(subject)
        self.now_ms = max(self.now_ms, target_ms)

    # ---------------------------------------------------------------------------- helpers
    def _poisson(self, lam):
        if lam <= 0:
            return 0
        if lam > 30:
            return max(0, int(round(self.rng.gauss(lam, math.sqrt(lam)))))
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def _stay_ms(self, mean_days, sigma=0.6):
        mu = math.log(mean_days) - sigma * sigma / 2
        return int(self.rng.lognormvariate(mu, sigma) * MS_PER_DAY)

    def _daytime(self, at_ms, first_hour, last_hour, weekends=True):
        """The first moment at or after at_ms within [first_hour, last_hour) local time."""
        t = at_ms
        for _ in range(24 * 8):
            hour, weekday = local_hour_and_weekday(t)
            if first_hour <= hour < last_hour and (weekends or weekday < 5):
                return t
            t = (t // MS_PER_HOUR + 1) * MS_PER_HOUR + self.rng.randrange(0, 20 * MS_PER_MIN)
        return t

    def _set_bed(self, bed, op, status="active"):
        bed.op = op
        bed.status = status
        self._record("bed", f"{bed.hospital.source}/{bed.local_id} {op} {status}")
        self.publisher.on_bed(bed)

    def _set_place(self, place, status):
        place.status = status
        place.changed_ms = self.now_ms
        self._record("place", f"{place.unit.municipality.code}/{place.unit.code}/{place.nr} "
                              f"{status}")
        self.publisher.on_place(place)

    def _new_pnr(self):
        # Synthetic 12-digit numbers with a deliberately wrong Luhn check digit: they have the
        # shape of a personnummer but can never be a valid one (no real person's number).
        self._patient_no += 1
        year = 1930 + self.rng.randrange(0, 90)
        body = f"{year % 100:02d}{self.rng.randrange(1, 13):02d}{self.rng.randrange(1, 29):02d}" \
               f"{self.rng.randrange(0, 1000):03d}"
        digits = [int(c) for c in body]
        total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d
                    for i, d in enumerate(digits))
        check = (10 - total % 10) % 10
        return self._patient_no, f"{year // 100}{body}{(check + 1) % 10}"

    def _free_bed(self, wards, start_index=0):
        count = len(wards)
        for i in range(count):
            ward = wards[(start_index + i) % count]
            free = [b for b in ward.beds if b.op == "LEDIG" and b.status == "active"]
            if free:
                return self.rng.choice(free)
        return None

    def _admit(self, bed, start_ms=None, isolate=None):
        hospital = bed.hospital
        self._encounter_no[hospital.source] += 1
        patient_no, pnr = self._new_pnr()
        codes, weights = self._catchment[hospital.source]
        home = self.layout.municipality_by_code[self.rng.choices(codes, weights)[0]]
        ward_type = bed.ward.ward_type
        needs = self.rng.random() < NEEDS_MUNICIPAL[ward_type]
        enc = Encounter(hospital, f"E{self._encounter_no[hospital.source]}", patient_no, pnr,
                        self.now_ms if start_ms is None else start_ms, bed, home, needs)
        bed.encounter = enc
        self.active_encounters[(hospital.source, enc.local_id)] = enc
        if isolate is None:
            isolate = self.rng.random() < ISOLATION_SHARE
        op = "ISOLERING" if isolate else "BELAGD"
        self._record("admit", f"{hospital.source}/{enc.local_id} {bed.local_id}")
        self._set_bed(bed, op)
        self.publisher.on_encounter(enc)
        return enc

    def _leave_bed(self, enc):
        bed = enc.bed
        enc.locations[-1][1] = "completed"
        enc.locations[-1][3] = self.now_ms
        bed.encounter = None
        self._set_bed(bed, "STADNING")
        self._schedule(self.now_ms + self.rng.randrange(30, 121) * MS_PER_MIN, "clean", bed)

    def _discharge(self, enc):
        self._leave_bed(enc)
        enc.status = "finished"
        enc.end_ms = self.now_ms
        del self.active_encounters[(enc.hospital.source, enc.local_id)]
        self._record("discharge", f"{enc.hospital.source}/{enc.local_id}")
        self.publisher.on_encounter(enc)

    def _move(self, enc, bed):
        self._record("transfer", f"{enc.hospital.source}/{enc.local_id} {enc.bed.local_id} "
                                 f"-> {bed.local_id}")
        self._leave_bed(enc)
        enc.bed = bed
        enc.locations.append([bed.local_id, "active", self.now_ms, None])
        bed.encounter = enc
        self._set_bed(bed, "BELAGD")
        self.publisher.on_encounter(enc)

    def _schedule_stay(self, enc, from_ms):
        ward_type = enc.bed.ward.ward_type
        self._schedule(from_ms + self._stay_ms(MEAN_STAY_DAYS[ward_type]), "ready", enc)

    def _discharge_time(self, ready_ms):
        # Discharges happen in the afternoon; at weekends some wait for Monday.
        t = self._daytime(ready_ms, 11, 19)
        hour, weekday = local_hour_and_weekday(t)
        if weekday >= 5 and self.rng.random() < 0.4:
            t = self._daytime(t + (7 - weekday) * MS_PER_DAY - hour * MS_PER_HOUR, 11, 19)
        return t + self.rng.randrange(0, 90) * MS_PER_MIN

    # ----------------------------------------------------------------------- initial state
    def _initial_state(self):
        rng = self.rng
        start = self.start_ms
        for hospital in self.layout.hospitals:
            for bed in hospital.beds:
                draw = rng.random()
                if draw < 0.86:
                    ward_type = bed.ward.ward_type
                    stay = self._stay_ms(MEAN_STAY_DAYS[ward_type])
                    elapsed = int(stay * rng.random())
                    enc = self._admit(bed, start_ms=start - elapsed)
                    if enc.needs_municipal and rng.random() < 0.35:
                        enc.ready_ms = start - rng.randrange(1, 4 * 24) * MS_PER_HOUR
                        self.publisher.on_encounter(enc)
                        self._schedule(self._daytime(start + rng.randrange(1, 48) * MS_PER_HOUR,
                                                     8, 16, weekends=False), "muni_try", enc)
                    else:
                        self._schedule(start + stay - elapsed, "ready", enc)
                elif draw < 0.88:
                    self._set_bed(bed, "STADNING")
                    self._schedule(start + rng.randrange(5, 120) * MS_PER_MIN, "clean", bed)
                elif draw < 0.90:
                    self._set_bed(bed, "STANGD", "suspended")
                    self._schedule(start + rng.randrange(6, 72) * MS_PER_HOUR, "unblock", bed)
                else:
                    self.publisher.on_bed(bed)
        for municipality in self.layout.municipalities:
            for place in municipality.places:
                place.changed_ms = start
                draw = rng.random()
                short = place.unit.kind == "korttid"
                if draw < (0.8 if short else 0.94):
                    place.status = "Belagd"
                    if short:
                        end = start + rng.randrange(1, 20 * 24) * MS_PER_HOUR
                        self._schedule(end, "short_end", place)
                    else:
                        end = start + int(rng.expovariate(1 / RESIDENTIAL_STAY_DAYS) * MS_PER_DAY)
                        self._schedule(end, "residential_end", place)
                elif draw < (0.85 if short else 0.96):
                    place.status = "Städning"
                    self._schedule(start + rng.randrange(1, 8) * MS_PER_HOUR, "place_clean", place)
                elif draw < (0.87 if short else 0.97):
                    place.status = "Stängd"
                    self._schedule(start + rng.randrange(1, 7) * MS_PER_DAY, "place_open", place)
                elif not short:
                    self._schedule(start + int(rng.expovariate(1 / 5.0) * MS_PER_DAY),
                                   "residential_fill", place)
                self.publisher.on_place(place)

    # ---------------------------------------------------------------------- event handlers
    def _on_hour(self, _):
        now = self.now_ms
        next_hour = (now // MS_PER_HOUR + 1) * MS_PER_HOUR
        span = next_hour - now
        hour, weekday = local_hour_and_weekday(now)
        factor = ADMISSION_PROFILE[hour] * WEEKDAY_FACTOR[weekday] * span / MS_PER_HOUR
        for hospital in self.layout.hospitals:
            for ward in hospital.wards:
                for _ in range(self._poisson(self._ward_rate[ward] * factor)):
                    self._schedule(now + self.rng.randrange(0, span), "arrival", ward)
            for _ in range(self._poisson(len(hospital.beds) * 0.0004 * span / MS_PER_HOUR)):
                bed = hospital.beds[self.rng.randrange(len(hospital.beds))]
                if bed.op == "LEDIG":
                    self._set_bed(bed, "STANGD", "suspended")
                    self._schedule(now + self.rng.randrange(6, 72) * MS_PER_HOUR, "unblock", bed)
            if weekday == 4 and hour == 16:
                for ward in hospital.wards:
                    if ward.ward_type == "IVA":
                        continue
                    free = [b for b in ward.beds if b.op == "LEDIG"]
                    wanted = int(round(len(ward.beds) * WEEKEND_UNSTAFFED_SHARE))
                    for bed in free[:wanted]:
                        self._set_bed(bed, "EJBEMANNAD")
            if weekday == 0 and hour == 7:
                for bed in hospital.beds:
                    if bed.op == "EJBEMANNAD":
                        self._set_bed(bed, "LEDIG")
        daytime = weekday < 5 and 8 <= hour < 17
        for municipality in self.layout.municipalities:
            short_places = [p for u in municipality.units if u.kind == "korttid" for p in u.places]
            if daytime:
                per_hour = len(short_places) * 0.8 / SHORT_TERM_STAY_DAYS * 0.5 * 7 / 5 / 9
                for _ in range(self._poisson(per_hour * span / MS_PER_HOUR)):
                    self._schedule(now + self.rng.randrange(0, span), "community_short", municipality)
            for _ in range(self._poisson(len(municipality.places) * 0.0002 * span / MS_PER_HOUR)):
                place = municipality.places[self.rng.randrange(len(municipality.places))]
                if place.status == "Ledig":
                    self._set_place(place, "Stängd")
                    self._schedule(now + self.rng.randrange(1, 7) * MS_PER_DAY, "place_open", place)
        self._schedule(next_hour, "hour", None)

    def _on_arrival(self, ward):
        wards = ward.hospital.wards_by_type[ward.ward_type]
        bed = self._free_bed([ward] + wards, 0)
        if bed is None:
            self.refused_admissions += 1
            self._record("refused", f"{ward.hospital.source}/{ward.local_id}")
            return
        enc = self._admit(bed)
        stay = self._stay_ms(MEAN_STAY_DAYS[ward.ward_type])
        self._schedule(self.now_ms + stay, "ready", enc)
        if enc.phase == "ward" and self.rng.random() < MOVE_SHARE:
            self._schedule(self.now_ms + int(stay * self.rng.uniform(0.2, 0.6)), "ward_move", enc)

    def _on_ward_move(self, enc):
        if enc.status != "in-progress" or enc.ready_ms is not None:
            return
        current = enc.bed.ward
        others = [w for w in enc.hospital.wards_by_type[current.ward_type] if w is not current]
        if not others:
            return
        bed = self._free_bed(others, self.rng.randrange(len(others)))
        if bed is not None:
            self._move(enc, bed)

    def _on_ready(self, enc):
        if enc.status != "in-progress":
            return
        if enc.phase == "iva":
            wards = enc.hospital.wards_by_type.get("MED", []) + enc.hospital.wards_by_type.get(
                "KIR", [])
            bed = self._free_bed(wards, self.rng.randrange(len(wards))) if wards else None
            if bed is None:
                self._schedule(self.now_ms + 2 * MS_PER_HOUR, "ready", enc)
                return
            enc.phase = "ward"
            self._move(enc, bed)
            self._schedule_stay(enc, self.now_ms)
            return
        if enc.needs_municipal:
            enc.ready_ms = self.now_ms
            self._record("discharge-ready", f"{enc.hospital.source}/{enc.local_id}")
            self.publisher.on_encounter(enc)
            wait = max(4 * MS_PER_HOUR, int(self.rng.expovariate(1 / 2.0) * MS_PER_DAY))
            self._schedule(self._daytime(self.now_ms + wait, 8, 16, weekends=False), "muni_try",
                           enc)
        else:
            self._schedule(self._discharge_time(self.now_ms), "discharge", enc)

    def _on_discharge(self, enc):
        if enc.status == "in-progress":
            self._discharge(enc)

    def _on_muni_try(self, enc):
        if enc.status != "in-progress":
            return
        free = [p for p in enc.home.short_term_places() if p.status == "Ledig"]
        if not free:
            retry = self.now_ms + self.rng.randrange(3, 9) * MS_PER_HOUR
            self._schedule(self._daytime(retry, 8, 16, weekends=False), "muni_try", enc)
            return
        place = self.rng.choice(free)
        self._record("to-municipality", f"{enc.hospital.source}/{enc.local_id} "
                                        f"{enc.home.code}/{place.unit.code}/{place.nr}")
        self._discharge(enc)
        self._occupy_short_term(place)

    def _occupy_short_term(self, place):
        self._set_place(place, "Belagd")
        stay = max(MS_PER_DAY, self._stay_ms(SHORT_TERM_STAY_DAYS))
        self._schedule(self.now_ms + stay, "short_end", place)

    def _on_community_short(self, municipality):
        free = [p for p in municipality.short_term_places() if p.status == "Ledig"]
        if free:
            self._occupy_short_term(self.rng.choice(free))

    def _on_short_end(self, place):
        if place.status != "Belagd":
            return
        if self.rng.random() < 0.3:
            homes = [p for u in place.unit.municipality.units if u.kind == "boende"
                     for p in u.places if p.status == "Ledig"]
            if homes:
                home = self.rng.choice(homes)
                self._set_place(home, "Belagd")
                self._schedule(self.now_ms + int(self.rng.expovariate(1 / RESIDENTIAL_STAY_DAYS)
                                                 * MS_PER_DAY), "residential_end", home)
        self._set_place(place, "Städning")
        self._schedule(self.now_ms + self.rng.randrange(2, 9) * MS_PER_HOUR, "place_clean", place)

    def _on_residential_end(self, place):
        if place.status != "Belagd":
            return
        self._set_place(place, "Städning")
        self._schedule(self.now_ms + self.rng.randrange(12, 49) * MS_PER_HOUR, "place_clean",
                       place)

    def _on_place_clean(self, place):
        if place.status != "Städning":
            return
        self._set_place(place, "Ledig")
        if place.unit.kind == "boende":
            self._schedule(self.now_ms + int(self.rng.expovariate(1 / 5.0) * MS_PER_DAY),
                           "residential_fill", place)

    def _on_residential_fill(self, place):
        if place.status != "Ledig":
            return
        self._set_place(place, "Belagd")
        self._schedule(self.now_ms + int(self.rng.expovariate(1 / RESIDENTIAL_STAY_DAYS)
                                         * MS_PER_DAY), "residential_end", place)

    def _on_place_open(self, place):
        if place.status == "Stängd":
            self._set_place(place, "Ledig")
            if place.unit.kind == "boende":
                self._schedule(self.now_ms + MS_PER_DAY, "residential_fill", place)

    def _on_clean(self, bed):
        if bed.op == "STADNING":
            self._set_bed(bed, "LEDIG")

    def _on_unblock(self, bed):
        if bed.op == "STANGD":
            self._set_bed(bed, "LEDIG")

    # ------------------------------------------------------------------------- control
    def admit_now(self, source=None, bed_id=None):
        """Admits one patient now to the named bed, or to the first free bed (of the named
        hospital, else of the region). Returns the Encounter. Raises SimulationError."""
        hospitals = self.layout.hospitals
        if source is not None:
            if source not in self.layout.hospital_by_source:
                raise SimulationError(f"unknown hospital source '{source}'")
            hospitals = [self.layout.hospital_by_source[source]]
        bed = None
        if bed_id is not None:
            if source is None:
                raise SimulationError("a bed needs its hospital: give hospital=SOURCE")
            bed = next((b for b in hospitals[0].beds if b.local_id == bed_id), None)
            if bed is None:
                raise SimulationError(f"hospital '{source}' has no bed '{bed_id}'")
            if bed.op != "LEDIG" or bed.status != "active":
                raise SimulationError(f"bed '{bed_id}' is not free (it is {bed.op})")
        else:
            bed = next((b for h in hospitals for b in h.beds
                        if b.op == "LEDIG" and b.status == "active"), None)
            if bed is None:
                raise SimulationError("no free bed")
        enc = self._admit(bed, isolate=False)
        self._schedule_stay(enc, self.now_ms)
        return enc

    def probe_bed(self, source, bed_id):
        """Flips one bed for latency probes: a free bed (LEDIG) becomes closed (STANGD, suspended)
        and the probe's own; each later call alternates it between closed and housekeeping
        (STADNING). A free bed has no pending clean or unblock event, and the simulation admits
        only to free beds, so the bed stays the caller's. Returns
        the bed; raises SimulationError for an unknown bed or one in any other state."""
        hospital = self.layout.hospital_by_source.get(source)
        if hospital is None:
            raise SimulationError(f"unknown hospital source '{source}'")
        bed = next((b for b in hospital.beds if b.local_id == bed_id), None)
        if bed is None:
            raise SimulationError(f"hospital '{source}' has no bed '{bed_id}'")
        owned = self._probe_beds
        key = (source, bed_id)
        if key in owned and bed.op == "STANGD":
            self._set_bed(bed, "STADNING")
        elif (key in owned and bed.op == "STADNING") or (
                bed.op == "LEDIG" and bed.status == "active" and bed.encounter is None):
            owned.add(key)
            self._set_bed(bed, "STANGD", "suspended")
        else:
            raise SimulationError(f"bed '{bed_id}' cannot be probed (it is {bed.op})")
        return bed
