#!/usr/bin/env python3
"""Generates the synthetic regional data set for the whole-server benchmarks.

Deterministic for a given --seed, --scale, --copies and --limit: hospital
Organizations, their building Locations, wards, beds (with HL7 v2 table 0116
operational status) and Encounters that occupy those beds. No personal data:
an Encounter's subject is an opaque, random Patient id that names nobody.

Output directory:
  bundles/bundle-NNNNNN.json  transaction Bundles, --bundle-size entries each,
                              every entry a PUT to Type/id (dependencies first:
                              organizations, buildings, wards, beds, encounters)
  ids/beds.txt, ids/wards.txt, ids/encounters.txt   one id per line (for wrk)
  manifest.json               parameters, counts, total bytes of resource JSON
                              (compact UTF-8, as in the Bundles); written last,
                              so a directory with a manifest is complete

Usage: tools/generate_dataset.py --out DIR [--scale 1.0] [--seed 1]
                                 [--copies 1] [--limit N] [--bundle-size 1000]
Scale 1.0: 10,000 wards, 100,000 beds, 200,000 encounters (about 310,000
resources). --copies K repeats the whole set K times under distinct ids
(prefix "cK-"); --limit stops at exactly N resources (for example 1,000,000
for the cold-start test).
"""

import argparse
import datetime
import json
import os
import random
import shutil
import sys

FORMAT_VERSION = 1

LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
BED_STATUS = "http://terminology.hl7.org/CodeSystem/v2-0116"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
# Swedish HSA-id, the identifier system of the regional model; the values are
# synthetic ("BENCH-...") and name no real unit.
HSA_ID = "urn:oid:1.2.752.29.4.19"
BED_ID = "http://example.org/fhir-engine-bench/bed-id"
WARD_ID = "http://example.org/fhir-engine-bench/ward-id"

# Share of beds per HL7 v2 table 0116 code: a busy region runs at ~85%
# occupancy, with a few beds closed, being cleaned, isolated or contaminated.
BED_STATUS_WEIGHTS = [
    ("O", "Occupied", 0.82),
    ("U", "Unoccupied", 0.11),
    ("C", "Closed", 0.03),
    ("H", "Housekeeping", 0.025),
    ("I", "Isolated", 0.01),
    ("K", "Contaminated", 0.005),
]
ENCOUNTER_CLASS = {
    "IMP": "inpatient encounter",
    "EMER": "emergency",
    "AMB": "ambulatory",
}
# Fixed "now" so that the data set does not depend on the day it is made.
REFERENCE_TIME = datetime.datetime(2026, 1, 15, 8, 0, 0, tzinfo=datetime.timezone.utc)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="output directory (replaced when it exists)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="1.0: 10,000 wards, 100,000 beds, 200,000 encounters")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--copies", type=int, default=1,
                   help="repeat the data set under distinct ids (for a larger store)")
    p.add_argument("--limit", type=int, default=0,
                   help="stop after exactly this many resources (0: no limit)")
    p.add_argument("--bundle-size", type=int, default=1000)
    args = p.parse_args(argv)
    if not 0 < args.scale <= 100:
        p.error("--scale must be in (0, 100]")
    if not 1 <= args.copies <= 1000:
        p.error("--copies must be from 1 to 1000")
    if args.limit < 0:
        p.error("--limit must not be negative")
    if not 1 <= args.bundle_size <= 100000:
        p.error("--bundle-size must be from 1 to 100000")
    return args


def counts_for_scale(scale):
    wards = max(1, round(10000 * scale))
    beds = max(wards, round(100000 * scale))
    encounters = max(1, round(200000 * scale))
    hospitals = max(2, round(wards / 250))
    return {"hospitals": hospitals, "wards": wards, "beds": beds, "encounters": encounters}


def coding(system, code, display):
    return {"system": system, "code": code, "display": display}


def ref(type_, id_):
    return {"reference": f"{type_}/{id_}"}


def instant(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_copy(counts, seed, prefix):
    """Yields (type, id, resource dict) for one copy of the data set.

    Every copy draws the same random sequence, so copies differ only in ids.
    """
    rng = random.Random(seed)
    hospitals = [f"{prefix}org-{n:04d}" for n in range(1, counts["hospitals"] + 1)]
    for n, org_id in enumerate(hospitals, 1):
        yield "Organization", org_id, {
            "resourceType": "Organization",
            "id": org_id,
            "identifier": [{"system": HSA_ID, "value": f"BENCH-{prefix}ORG-{n:04d}"}],
            "active": True,
            "type": [{"coding": [coding(ORGANIZATION_TYPE, "prov", "Healthcare Provider")]}],
            "name": f"Hospital {prefix}{n}",
        }

    buildings = []  # (building id, hospital id)
    for h, org_id in enumerate(hospitals, 1):
        for b in range(rng.randint(1, 4)):
            bldg_id = f"{prefix}bldg-{len(buildings) + 1:04d}"
            buildings.append((bldg_id, org_id))
            yield "Location", bldg_id, {
                "resourceType": "Location",
                "id": bldg_id,
                "status": "active",
                "name": f"Hospital {prefix}{h} building {chr(ord('A') + b)}",
                "mode": "instance",
                "physicalType": {"coding": [coding(LOCATION_PHYSICAL_TYPE, "bu", "Building")]},
                "managingOrganization": ref("Organization", org_id),
            }

    wards = []  # (ward id, hospital id)
    for w in range(1, counts["wards"] + 1):
        bldg_id, org_id = buildings[rng.randrange(len(buildings))]
        ward_id = f"{prefix}ward-{w:05d}"
        wards.append((ward_id, org_id))
        yield "Location", ward_id, {
            "resourceType": "Location",
            "id": ward_id,
            "identifier": [{"system": WARD_ID, "value": f"W{prefix}{w:05d}"}],
            "status": "active",
            "name": f"Ward {prefix}{w}",
            "mode": "instance",
            "physicalType": {"coding": [coding(LOCATION_PHYSICAL_TYPE, "wa", "Ward")]},
            "managingOrganization": ref("Organization", org_id),
            "partOf": ref("Location", bldg_id),
        }

    codes = [c for c, _, _ in BED_STATUS_WEIGHTS]
    weights = [w for _, _, w in BED_STATUS_WEIGHTS]
    displays = {c: d for c, d, _ in BED_STATUS_WEIGHTS}
    beds = []  # (bed id, ward index, status code)
    n_wards, n_beds = counts["wards"], counts["beds"]
    bed_in_ward, previous_ward = 0, -1
    for b in range(n_beds):
        ward_index = b * n_wards // n_beds  # contiguous, evenly spread beds per ward
        bed_in_ward = bed_in_ward + 1 if ward_index == previous_ward else 1
        previous_ward = ward_index
        status = rng.choices(codes, weights)[0]
        bed_id = f"{prefix}bed-{b + 1:06d}"
        beds.append((bed_id, ward_index, status))
        yield "Location", bed_id, {
            "resourceType": "Location",
            "id": bed_id,
            "identifier": [{"system": BED_ID, "value": f"B{prefix}{b + 1:06d}"}],
            "status": "active",
            "operationalStatus": coding(BED_STATUS, status, displays[status]),
            "name": f"Bed {bed_in_ward}",
            "mode": "instance",
            "physicalType": {"coding": [coding(LOCATION_PHYSICAL_TYPE, "bd", "Bed")]},
            "partOf": ref("Location", wards[ward_index][0]),
        }

    # One in-progress inpatient stay per occupied bed (while encounters last),
    # a few planned admissions, and finished stays and visits for the rest.
    occupied = [bed for bed in beds if bed[2] == "O"]
    n_enc = counts["encounters"]
    for e in range(n_enc):
        enc_id = f"{prefix}enc-{e + 1:07d}"
        if e < len(occupied) and e < n_enc * 0.45:
            bed_id, ward_index, _ = occupied[e]
            status, cls = "in-progress", "IMP"
            start = REFERENCE_TIME - datetime.timedelta(minutes=rng.randrange(20 * 24 * 60))
            end = None
            loc_status = "active"
        else:
            bed_id, ward_index, _ = beds[rng.randrange(len(beds))]
            if rng.random() < 0.08:
                status, cls, loc_status = "planned", "IMP", "planned"
                start = REFERENCE_TIME + datetime.timedelta(minutes=rng.randrange(14 * 24 * 60))
                end = None
            else:
                status, loc_status = "finished", "completed"
                cls = rng.choices(["IMP", "EMER", "AMB"], [0.7, 0.2, 0.1])[0]
                start = REFERENCE_TIME - datetime.timedelta(minutes=rng.randrange(365 * 24 * 60))
                stay_minutes = (rng.randrange(24 * 60, 14 * 24 * 60) if cls == "IMP"
                                else rng.randrange(30, 12 * 60))
                end = start + datetime.timedelta(minutes=stay_minutes)
        ward_id, org_id = wards[ward_index]
        period = {"start": instant(start)}
        if end is not None:
            period["end"] = instant(end)
        yield "Encounter", enc_id, {
            "resourceType": "Encounter",
            "id": enc_id,
            "status": status,
            "class": coding(ACT_CODE, cls, ENCOUNTER_CLASS[cls]),
            "subject": ref("Patient", f"{prefix}pseudo-{rng.getrandbits(64):016x}"),
            "period": period,
            "location": [
                {"location": ref("Location", bed_id), "status": loc_status, "period": period},
                {"location": ref("Location", ward_id), "status": loc_status, "period": period},
            ],
            "serviceProvider": ref("Organization", org_id),
        }


def generate(args):
    counts = counts_for_scale(args.scale)
    final = os.path.abspath(args.out)
    tmp = final + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "bundles"))
    os.makedirs(os.path.join(tmp, "ids"))
    id_files = {name: open(os.path.join(tmp, "ids", f"{name}.txt"), "w", encoding="utf-8")
                for name in ("beds", "wards", "encounters")}
    per_type = {}
    total = 0
    json_bytes = 0
    bundle_files = []
    entries = []

    def flush():
        name = f"bundle-{len(bundle_files) + 1:06d}.json"
        text = ('{"resourceType":"Bundle","type":"transaction","entry":[' + ",".join(entries) +
                "]}\n")
        with open(os.path.join(tmp, "bundles", name), "w", encoding="utf-8") as f:
            f.write(text)
        bundle_files.append(name)
        entries.clear()

    done = False
    for copy in range(args.copies):
        prefix = "" if copy == 0 else f"c{copy}-"
        for type_, id_, resource in generate_copy(counts, args.seed, prefix):
            text = json.dumps(resource, separators=(",", ":"), ensure_ascii=False)
            json_bytes += len(text.encode("utf-8"))
            entries.append('{"resource":' + text + ',"request":{"method":"PUT","url":"' +
                           type_ + "/" + id_ + '"}}')
            key = type_ if type_ != "Location" else "Location/" + resource["physicalType"][
                "coding"][0]["code"]
            per_type[key] = per_type.get(key, 0) + 1
            if key == "Location/bd":
                id_files["beds"].write(id_ + "\n")
            elif key == "Location/wa":
                id_files["wards"].write(id_ + "\n")
            elif type_ == "Encounter":
                id_files["encounters"].write(id_ + "\n")
            total += 1
            if len(entries) == args.bundle_size:
                flush()
            if args.limit and total == args.limit:
                done = True
                break
        if done:
            break
    if entries:
        flush()
    for f in id_files.values():
        f.close()

    manifest = {
        "generator": "tools/generate_dataset.py",
        "format-version": FORMAT_VERSION,
        "seed": args.seed,
        "scale": args.scale,
        "copies": args.copies,
        "limit": args.limit,
        "bundle-size": args.bundle_size,
        "counts-per-copy": counts,
        "resources": total,
        "resources-by-kind": per_type,
        "resource-json-bytes": json_bytes,
        "bundles": bundle_files,
    }
    with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)
    return manifest


def main(argv):
    args = parse_args(argv)
    manifest = generate(args)
    print(f"generate_dataset: {manifest['resources']} resources "
          f"({manifest['resource-json-bytes'] / 1e6:.1f} MB of resource JSON) in "
          f"{len(manifest['bundles'])} bundles under {os.path.abspath(args.out)}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
