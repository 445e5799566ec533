"""The region's true capacity picture, from what the sources have published, in regional ids
and the counting rules of docs/capacity.md: beds by state and category, discharge-ready
patients, per organization, site and ward, and when each source last changed."""

from .region_layout import BED_TYPE_CATEGORY, PLACE_TYPE_CATEGORY
from .sim_time import MS_PER_DAY, format_instant

STATES = ("occupied", "free", "closed", "housekeeping", "isolated", "unknown")
HOSPITAL_STATE = {
    "LEDIG": "free", "BELAGD": "occupied", "RESERVERAD": "occupied", "STANGD": "closed",
    "EJBEMANNAD": "closed", "STADNING": "housekeeping", "ISOLERING": "isolated",
}
MUNICIPAL_STATE = {"Ledig": "free", "Belagd": "occupied", "Städning": "housekeeping",
                   "Stängd": "closed"}


def hospital_bed_state(op, status):
    if status == "suspended":
        return "closed"
    state = HOSPITAL_STATE.get(op, "unknown")
    if state == "free" and status != "active":
        return "closed"
    return state


class _Node:
    def __init__(self, kind, reference, name):
        self.kind = kind
        self.reference = reference
        self.name = name
        self.beds = dict.fromkeys(STATES, 0)
        self.by_category = {}
        self.ready = []
        self.children = {}

    def child(self, kind, reference, name):
        node = self.children.get(reference)
        if node is None:
            node = self.children[reference] = _Node(kind, reference, name)
        return node

    def to_json(self, extra=None):
        total = sum(self.beds.values())
        out = {"kind": self.kind, "reference": self.reference, "name": self.name}
        if extra:
            out.update(extra)
        out["beds"] = dict(total=total, **self.beds)
        out["by_category"] = {c: dict(total=sum(v.values()), **v)
                              for c, v in sorted(self.by_category.items())}
        out["discharge_ready"] = {"patients": len(self.ready),
                                  "wait_days_total": round(sum(self.ready), 4),
                                  "wait_days_max": round(max(self.ready), 4) if self.ready else 0}
        if self.kind != "ward":
            out["children"] = [c.to_json() for c in sorted(
                self.children.values(), key=lambda n: (n.name, n.reference))]
        return out


def _count(path, category, state):
    for node in path:
        node.beds[state] += 1
        counts = node.by_category.get(category)
        if counts is None:
            counts = node.by_category[category] = dict.fromkeys(STATES, 0)
        counts[state] += 1


def compute_truth(region, now_ms):
    """The truth document (see docs/simulator.md) for the region's published state."""
    root = _Node("region", "", "Region")
    for fhir in region.fhir_sources:
        src = fhir.source
        org = None
        wards = {}
        for rid, data in fhir.published("Organization"):
            org = root.child("organization", f"Organization/{src}-{rid}", fhir.hospital.name)
        if org is None:
            continue
        site = None
        for rid, data in fhir.published("Location"):
            if data[0] == "site":
                site = org.child("site", f"Location/{src}-{rid}", fhir.hospital.site_name)
        if site is None:
            continue
        for rid, data in fhir.published("Location"):
            if data[0] == "ward":
                ward = fhir.ward(rid)
                wards[rid] = site.child("ward", f"Location/{src}-{rid}", ward.name)
        bed_ward = {}
        for rid, data in fhir.published("Location"):
            if data[0] != "bed":
                continue
            bed = fhir.bed(rid)
            ward_node = wards.get(bed.ward.local_id)
            if ward_node is None or data[2] == "inactive":
                continue
            bed_ward[rid] = ward_node
            _count((root, org, site, ward_node), BED_TYPE_CATEGORY[bed.bed_type],
                   hospital_bed_state(data[1], data[2]))
        for rid, data in fhir.published("Encounter"):
            _, status, _, _, _, locations, ready_ms, _ = data
            if status != "in-progress" or ready_ms is None:
                continue
            active = [loc for loc in locations if loc[1] == "active"]
            bed_id = (active or list(locations))[-1][0]
            wait = max(0.0, (now_ms - ready_ms) / MS_PER_DAY)
            ward_node = bed_ward.get(bed_id)
            path = (root, org, site, ward_node) if ward_node else (root, org)
            for node in path:
                node.ready.append(wait)
    for member in region.municipal_members():
        if not member.published:
            continue
        code = member.code
        org = root.child("organization", f"Organization/kommun-{code}", f"Kommun {code}")
        site = org.child("site", f"Location/kommun-{code}", f"Kommun {code} vård och omsorg")
        for nr, (unit, _, _, place_type, status, _) in member.published.items():
            ward = site.child("ward", f"Location/kommun-{code}-{unit}", unit)
            _count((root, org, site, ward), PLACE_TYPE_CATEGORY[place_type],
                   MUNICIPAL_STATE.get(status, "unknown"))
    region_json = root.to_json()
    for org_json in region_json["children"]:
        reference = org_json["reference"]
        org_json["organization_kind"] = ("municipality" if reference.startswith(
            "Organization/kommun-") else "hospital")
    sources = []
    for source in region.sources():
        last = source.last_change_ms
        sources.append({"name": source.name, "kind": source.kind, "paused": source.paused,
                        "last_change": format_instant(last) if last is not None else None})
    return {
        "generated": format_instant(now_ms),
        "simulated_time": format_instant(now_ms),
        "events": region.simulation.event_count,
        "event_digest": region.simulation.event_digest(),
        "region": region_json,
        "sources": sources,
    }
