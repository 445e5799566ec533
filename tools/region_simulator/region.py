"""The simulated region as a whole: the layout, the simulation, and the sources it publishes
through (one FHIR API per hospital, CSV and XML drop folders, one JSON API per JSON
municipality). Implements the simulation's publisher and the pause/resume controls."""

import json
import os

from .fhir_source import FhirSource
from .ground_truth import compute_truth
from .municipal_sources import DropFolderSource, JsonApiSource
from .region_layout import RegionLayout
from .simulation import Simulation


class UnknownSource(ValueError):
    pass


class Region:
    """Not thread-safe: the HTTP server and the clock loop share one lock around it."""

    def __init__(self, seed, start_ms, drop_dir, scale=1, record_events=False):
        self.layout = RegionLayout(scale)
        self.fhir_sources = [FhirSource(h) for h in self.layout.hospitals]
        self._fhir_by_source = {f.source: f for f in self.fhir_sources}
        self.drop_dir = drop_dir
        by_dialect = {"csv": [], "xml": [], "json": []}
        for municipality in self.layout.municipalities:
            by_dialect[municipality.dialect].append(municipality)
        self.drop_sources = [
            DropFolderSource("kommun-csv", "csv", os.path.join(drop_dir, "csv"), by_dialect["csv"]),
            DropFolderSource("kommun-xml", "xml", os.path.join(drop_dir, "xml"), by_dialect["xml"]),
        ]
        self.json_sources = [JsonApiSource(f"kommun-json-{m.code}", m) for m in by_dialect["json"]]
        self._json_by_code = {s.member.code: s for s in self.json_sources}
        self._place_json = {m.code: s for s in self.json_sources for m in [s.member.municipality]}
        # Encounters that changed while their hospital's source was paused, by source.
        self._unpublished = {f.source: {} for f in self.fhir_sources}
        self._start_ms = start_ms
        self._ready = False
        for fhir in self.fhir_sources:
            fhir.publish_static(start_ms)
        self.simulation = Simulation(self.layout, seed, start_ms, publisher=self,
                                     record_events=record_events)
        self._ready = True
        self.export_files()

    # -------------------------------------------------------------------- publisher hooks
    def on_bed(self, bed):
        fhir = self._fhir_by_source[bed.hospital.source]
        if not fhir.paused:
            fhir.publish_bed(bed, self._now())

    def on_encounter(self, enc):
        fhir = self._fhir_by_source[enc.hospital.source]
        if fhir.paused:
            self._unpublished[fhir.source][enc.local_id] = enc
        else:
            fhir.publish_encounter(enc, self._now())

    def on_place(self, place):
        json_source = self._place_json.get(place.unit.municipality.code)
        if json_source is not None:
            json_source.publish_place(place, self._now())
        # Drop-folder municipalities publish when their next file is written.

    def _now(self):
        # The simulation sets its clock before it calls a hook; during construction the
        # initial state is stamped with the start time.
        return self.simulation.now_ms if self._ready else self._start_ms

    # --------------------------------------------------------------------------- sources
    def sources(self):
        return [*self.fhir_sources, *self.drop_sources, *self.json_sources]

    def municipal_members(self):
        for drop in self.drop_sources:
            yield from drop.members
        for source in self.json_sources:
            yield source.member

    def fhir_source(self, source):
        return self._fhir_by_source.get(source)

    def json_source(self, code):
        return self._json_by_code.get(code)

    def find_source(self, name):
        for source in self.sources():
            if name == source.name or name == getattr(source, "source", None):
                return source
        raise UnknownSource(f"unknown source '{name}' (known: "
                            f"{', '.join(s.name for s in self.sources())})")

    def pause(self, name):
        self.find_source(name).paused = True

    def resume(self, name):
        """Publishes again; everything that changed while paused is published at once."""
        source = self.find_source(name)
        source.paused = False
        now = self.simulation.now_ms
        if isinstance(source, FhirSource):
            hospital = source.hospital
            for bed in hospital.beds:
                source.publish_bed(bed, now)
            for enc in self._unpublished[hospital.source].values():
                source.publish_encounter(enc, now)
            self._unpublished[hospital.source].clear()
        elif isinstance(source, JsonApiSource):
            source.publish(now)
        else:
            source.export(now)

    # ------------------------------------------------------------------------ operations
    def advance_to(self, target_ms):
        self.simulation.advance_to(target_ms)

    def export_files(self):
        written = []
        for drop in self.drop_sources:
            written.extend(drop.export(self.simulation.now_ms))
        return written

    def truth(self):
        return compute_truth(self, self.simulation.now_ms)

    def write_truth(self, path):
        document = self.truth()
        temporary = path + ".part"
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=1)
            out.write("\n")
        os.replace(temporary, path)
        return document
