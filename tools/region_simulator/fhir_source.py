"""One hospital's EHR FHIR R4 API as the engine's fhir-rest adapter sees it: the published
versions of its Organization, Locations and Encounters, rendered in the hospital dialect
(/tmp/dialects.txt section 1), searched by _lastUpdated with stable keyset paging."""

import bisect
import urllib.parse

from .sim_time import format_instant, parse_instant

BED_STATUS_SYSTEM = "https://ehr.example.org/fhir/CodeSystem/bed-status"
BED_TYPE_SYSTEM = "https://ehr.example.org/fhir/CodeSystem/bed-type"
WARD_TYPE_SYSTEM = "https://ehr.example.org/fhir/CodeSystem/ward-type"
READY_EXTENSION = "https://ehr.example.org/fhir/StructureDefinition/utskrivningsklar"
PNR_SYSTEM = "http://electronichealth.se/identifier/personnummer"
HSA_SYSTEM = "urn:oid:1.2.752.29.4.19"
PHYSICAL_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/location-physical-type"
BED_STATUS_DISPLAY = {
    "LEDIG": "Ledig", "BELAGD": "Belagd", "RESERVERAD": "Reserverad", "STANGD": "Stängd",
    "EJBEMANNAD": "Ej bemannad", "STADNING": "Städning", "ISOLERING": "Isolering",
}
RESOURCE_TYPES = ("Organization", "Location", "Encounter")
DEFAULT_COUNT = 100
MAX_COUNT = 1000
SEARCH_PARAMS = {"_lastUpdated", "_count", "_cursor", "_format", "status"}


class SearchError(ValueError):
    """A search the API refuses; the HTTP layer answers 400 with an OperationOutcome."""


class _Entry:
    __slots__ = ("data", "version", "last_updated_ms", "seq")


class FhirSource:
    """The published state of one hospital. Not thread-safe (the server holds one lock)."""

    def __init__(self, hospital):
        self.hospital = hospital
        self.source = hospital.source
        self.name = f"{hospital.source}-fhir"
        self.kind = "fhir-rest"
        self.paused = False
        self.last_change_ms = None
        self._seq = 0
        self._entries = {t: {} for t in RESOURCE_TYPES}
        # Per type, an append-only list of (lastUpdated ms, seq, id): a resource's live entry is
        # the one whose seq equals its _Entry.seq; older ones are skipped and compacted away.
        self._log = {t: [] for t in RESOURCE_TYPES}
        self._stale = {t: 0 for t in RESOURCE_TYPES}
        self._wards = {w.local_id: w for w in hospital.wards}
        self._beds = {b.local_id: b for b in hospital.beds}

    # ------------------------------------------------------------------------- publishing
    def upsert(self, resource_type, resource_id, data, now_ms):
        """Stores data as the resource's current content; a new version only if it changed."""
        entries = self._entries[resource_type]
        entry = entries.get(resource_id)
        if entry is not None and entry.data == data:
            return False
        if entry is None:
            entry = _Entry()
            entry.version = 0
            entries[resource_id] = entry
        else:
            self._stale[resource_type] += 1
        self._seq += 1
        entry.data = data
        entry.version += 1
        entry.last_updated_ms = now_ms
        entry.seq = self._seq
        log = self._log[resource_type]
        if log and log[-1][0] > now_ms:
            raise ValueError("simulated time went backwards")
        log.append((now_ms, self._seq, resource_id))
        self.last_change_ms = now_ms
        if self._stale[resource_type] > max(1024, len(entries)):
            self._compact(resource_type)
        return True

    def _compact(self, resource_type):
        entries = self._entries[resource_type]
        self._log[resource_type] = [item for item in self._log[resource_type]
                                    if entries[item[2]].seq == item[1]]
        self._stale[resource_type] = 0

    def publish_static(self, now_ms):
        self.upsert("Organization", "H1", ("org",), now_ms)
        self.upsert("Location", "SITE1", ("site",), now_ms)
        for ward in self.hospital.wards:
            self.upsert("Location", ward.local_id, ("ward",), now_ms)

    def publish_bed(self, bed, now_ms):
        self.upsert("Location", bed.local_id, ("bed", bed.op, bed.status), now_ms)

    def publish_encounter(self, enc, now_ms):
        data = ("enc", enc.status, enc.patient_no, enc.pnr, enc.start_ms,
                tuple(tuple(loc) for loc in enc.locations), enc.ready_ms, enc.end_ms)
        self.upsert("Encounter", enc.local_id, data, now_ms)

    # ------------------------------------------------------------------ published queries
    def published(self, resource_type):
        """(id, data) of every published resource of the type."""
        return ((rid, e.data) for rid, e in self._entries[resource_type].items())

    def bed(self, local_id):
        return self._beds.get(local_id)

    def ward(self, local_id):
        return self._wards.get(local_id)

    # -------------------------------------------------------------------------- rendering
    def render(self, resource_type, resource_id):
        entry = self._entries[resource_type].get(resource_id)
        if entry is None:
            return None
        resource = self._render_data(resource_type, resource_id, entry.data)
        resource["meta"] = {"versionId": str(entry.version),
                            "lastUpdated": format_instant(entry.last_updated_ms)}
        return resource

    def _render_data(self, resource_type, rid, data):
        kind = data[0]
        org_ref = {"reference": "Organization/H1"}
        if kind == "org":
            return {"resourceType": "Organization", "id": rid, "active": True,
                    "identifier": [{"system": HSA_SYSTEM, "value": self.hospital.hsa_id}],
                    "name": self.hospital.name}
        if kind == "site":
            return {"resourceType": "Location", "id": rid, "status": "active", "mode": "instance",
                    "name": self.hospital.site_name,
                    "physicalType": _physical_type("si", "Site"),
                    "managingOrganization": org_ref}
        if kind == "ward":
            ward = self._wards[rid]
            return {"resourceType": "Location", "id": rid, "status": "active", "mode": "instance",
                    "name": ward.name,
                    "type": [{"coding": [{"system": WARD_TYPE_SYSTEM, "code": ward.ward_type}]}],
                    "physicalType": _physical_type("wa", "Ward"),
                    "partOf": {"reference": "Location/SITE1"},
                    "managingOrganization": org_ref}
        if kind == "bed":
            bed = self._beds[rid]
            _, op, status = data
            return {"resourceType": "Location", "id": rid, "status": status,
                    "operationalStatus": {"system": BED_STATUS_SYSTEM, "code": op,
                                          "display": BED_STATUS_DISPLAY[op]},
                    "name": f"Säng {bed.number}", "mode": "instance",
                    "type": [{"coding": [{"system": BED_TYPE_SYSTEM, "code": bed.bed_type}]}],
                    "physicalType": _physical_type("bd", "Bed"),
                    "partOf": {"reference": f"Location/{bed.ward.local_id}"},
                    "managingOrganization": org_ref}
        _, status, patient_no, pnr, start_ms, locations, ready_ms, end_ms = data
        period = {"start": format_instant(start_ms)}
        if end_ms is not None:
            period["end"] = format_instant(end_ms)
        resource = {"resourceType": "Encounter", "id": rid}
        if ready_ms is not None:
            resource["extension"] = [{"url": READY_EXTENSION,
                                      "valueDateTime": format_instant(ready_ms)}]
        resource.update({
            "status": status,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                      "code": "IMP", "display": "inpatient encounter"},
            "subject": {"reference": f"Patient/P{patient_no}", "display": f"Patient {patient_no}",
                        "identifier": {"system": PNR_SYSTEM, "value": pnr}},
            "period": period,
            "location": [_encounter_location(loc) for loc in locations],
            "serviceProvider": org_ref,
        })
        return resource

    # ---------------------------------------------------------------------------- search
    def search(self, resource_type, query, now_ms, base_url):
        """A searchset Bundle for GET {base}/{type}?{query}; raises SearchError on bad input."""
        if resource_type not in self._entries:
            raise SearchError(f"this server has no resource type '{resource_type}'")
        params = urllib.parse.parse_qs(query, keep_blank_values=True)
        for name in params:
            if name not in SEARCH_PARAMS:
                raise SearchError(f"unknown search parameter '{name}' (known: "
                                  f"{', '.join(sorted(SEARCH_PARAMS))})")
        count = DEFAULT_COUNT
        if "_count" in params:
            try:
                count = int(params["_count"][-1])
            except ValueError:
                raise SearchError("_count must be a whole number") from None
            if count < 1:
                raise SearchError("_count must be at least 1")
            count = min(count, MAX_COUNT)
        lower, upper = _last_updated_bounds(params.get("_lastUpdated", []))
        statuses = None
        if "status" in params:
            statuses = {s for v in params["status"] for s in v.split(",") if s}
        after = (-1, -1)
        if "_cursor" in params:
            try:
                ts_text, seq_text = params["_cursor"][-1].split(".")
                after = (int(ts_text), int(seq_text))
            except ValueError:
                raise SearchError("_cursor is not a cursor this server gave out") from None
        entries = self._entries[resource_type]
        log = self._log[resource_type]
        start = bisect.bisect_right(log, (after[0], after[1], "\uffff"))
        if lower is not None and lower[0] > after[0]:
            start = max(start, bisect.bisect_left(log, (lower[0], -1, "")))
        found = []
        last_key = None
        more = False
        for i in range(start, len(log)):
            ts, seq, rid = log[i]
            if entries[rid].seq != seq:
                continue
            if lower is not None and (ts < lower[0] or (ts == lower[0] and not lower[1])):
                continue
            if upper is not None and (ts > upper[0] or (ts == upper[0] and not upper[1])):
                continue
            if statuses is not None and \
                    self._status_of(resource_type, entries[rid].data) not in statuses:
                continue
            if len(found) == count:
                more = True
                break
            found.append(rid)
            last_key = (ts, seq)
        kept = [(k, v) for k, vs in params.items() for v in vs if k != "_cursor"]
        self_url = f"{base_url}/{resource_type}?" + urllib.parse.urlencode(
            kept + ([("_cursor", f"{after[0]}.{after[1]}")] if "_cursor" in params else []))
        links = [{"relation": "self", "url": self_url}]
        if more:
            next_params = [(k, v) for k, v in kept if k != "_count"] + [
                ("_count", str(count)), ("_cursor", f"{last_key[0]}.{last_key[1]}")]
            links.append({"relation": "next", "url": f"{base_url}/{resource_type}?"
                                                     + urllib.parse.urlencode(next_params)})
        return {
            "resourceType": "Bundle", "type": "searchset",
            "meta": {"lastUpdated": format_instant(now_ms)},
            "link": links,
            "entry": [{"fullUrl": f"{base_url}/{resource_type}/{rid}",
                       "resource": self.render(resource_type, rid),
                       "search": {"mode": "match"}} for rid in found],
        }

    @staticmethod
    def _status_of(resource_type, data):
        if resource_type == "Location":
            return data[2] if data[0] == "bed" else "active"
        if resource_type == "Organization":
            return None
        return data[1]


def _physical_type(code, display):
    return {"coding": [{"system": PHYSICAL_TYPE_SYSTEM, "code": code, "display": display}]}


def _encounter_location(loc):
    bed_id, status, start_ms, end_ms = loc
    period = {"start": format_instant(start_ms)}
    if end_ms is not None:
        period["end"] = format_instant(end_ms)
    return {"location": {"reference": f"Location/{bed_id}"}, "status": status, "period": period}


def _last_updated_bounds(values):
    """(lower, upper) from _lastUpdated values; each bound is (ms, inclusive) or None."""
    lower = upper = None
    for value in values:
        prefix, text = (value[:2], value[2:]) if value[:2] in (
            "gt", "ge", "lt", "le", "eq") else ("eq", value)
        try:
            ms = parse_instant(text)
        except ValueError:
            raise SearchError(f"_lastUpdated '{value}' is not a date-time with a zone") from None
        if prefix in ("gt", "ge", "eq"):
            bound = (ms, prefix != "gt")
            if lower is None or bound[0] > lower[0] or (bound[0] == lower[0] and not bound[1]):
                lower = bound
        if prefix in ("lt", "le", "eq"):
            bound = (ms, prefix != "lt")
            if upper is None or bound[0] < upper[0] or (bound[0] == upper[0] and not bound[1]):
                upper = bound
    return lower, upper
