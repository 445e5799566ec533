#!/usr/bin/env python3
"""Derives the FHIR R4 base definitions the profile validator needs at run time.

The regional profiles (fhir-profiles/regional/snapshots) are full snapshots,
but the validator checks each element's datatype against that datatype's own
base StructureDefinition (Identifier, CodeableConcept, Reference, Extension,
...) and tests bound codes against the bound ValueSets. The server must not
read the official package (build/r4-examples) at run time, so this script
copies just that closure out of it:

- every StructureDefinition reached from the regional snapshots through an
  element's type code or type profile, transitively (primitive types
  included: the validator names them; they are small);
- every ValueSet bound with strength required or extensible anywhere in those
  definitions, the ValueSets they include, and the CodeSystems they draw on
  (CodeSystems of more than MAX_CONCEPTS concepts are left out: membership in
  them is then "unknown", which the validator does not report as an error).

Documentation-only keys (definition, comment, requirements, mapping, text,
differential) are dropped to keep the files small. The output is
deterministic (sorted keys, one file per resource), so CI can check that the
committed files are what this script derives.

Usage: tools/derive_profile_base.py PACKAGE_DIR REGIONAL_SNAPSHOTS_DIR OUTPUT_DIR
"""
import glob
import json
import os
import sys

MAX_CONCEPTS = 2000
DOC_KEYS = {"definition", "comment", "requirements", "mapping", "alias"}
TOP_DROP = {"text", "differential", "mapping", "contact", "description", "purpose",
            "copyright", "extension"}


def load_dir(pattern):
    out = {}
    for f in sorted(glob.glob(pattern)):
        with open(f, encoding="utf-8") as fh:
            d = json.load(fh)
        if "url" in d:
            out[d["url"]] = d
    return out


def strip_sd(sd):
    out = {k: v for k, v in sd.items() if k not in TOP_DROP}
    elements = []
    for e in sd.get("snapshot", {}).get("element", []):
        elements.append({k: v for k, v in e.items() if k not in DOC_KEYS})
    out["snapshot"] = {"element": elements}
    return out


def strip_plain(resource):
    return {k: v for k, v in resource.items() if k not in TOP_DROP}


def canonical(url):
    return url.split("|", 1)[0]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    package, regional, output = sys.argv[1:]
    base_sds = load_dir(os.path.join(package, "StructureDefinition-*.json"))
    value_sets = load_dir(os.path.join(package, "ValueSet-*.json"))
    code_systems = load_dir(os.path.join(package, "CodeSystem-*.json"))
    start = load_dir(os.path.join(regional, "*.json"))

    wanted_sds, wanted_vs, wanted_cs = set(), set(), set()
    pending = list(start.values())
    while pending:
        sd = pending.pop()
        for e in sd.get("snapshot", {}).get("element", []):
            for t in e.get("type", []):
                refs = [t.get("code", "")] + t.get("profile", [])
                for ref in refs:
                    url = ref if ref.startswith("http") else \
                        "http://hl7.org/fhir/StructureDefinition/" + ref
                    url = canonical(url)
                    if url in base_sds and url not in wanted_sds:
                        wanted_sds.add(url)
                        pending.append(base_sds[url])
            binding = e.get("binding", {})
            if binding.get("strength") in ("required", "extensible") and "valueSet" in binding:
                wanted_vs.add(canonical(binding["valueSet"]))

    vs_pending = list(wanted_vs)
    while vs_pending:
        url = vs_pending.pop()
        vs = value_sets.get(url)
        if vs is None:
            continue
        for inc in vs.get("compose", {}).get("include", []):
            for sub in inc.get("valueSet", []):
                sub = canonical(sub)
                if sub not in wanted_vs:
                    wanted_vs.add(sub)
                    vs_pending.append(sub)
            system = inc.get("system")
            if system in code_systems and "concept" not in inc and "filter" not in inc:
                wanted_cs.add(system)

    def count(concepts):
        return sum(1 + count(c.get("concept", [])) for c in concepts)

    os.makedirs(output, exist_ok=True)
    for old in glob.glob(os.path.join(output, "*.json")):
        os.remove(old)
    written = 0

    def write(resource):
        nonlocal written
        name = "%s-%s.json" % (resource["resourceType"], resource["id"])
        with open(os.path.join(output, name), "w", encoding="utf-8") as fh:
            json.dump(resource, fh, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            fh.write("\n")
        written += 1

    for url in sorted(wanted_sds):
        write(strip_sd(base_sds[url]))
    for url in sorted(wanted_vs):
        if url in value_sets:
            write(strip_plain(value_sets[url]))
    for url in sorted(wanted_cs):
        cs = code_systems[url]
        if count(cs.get("concept", [])) <= MAX_CONCEPTS:
            write(strip_plain(cs))
    print("wrote %d definitions to %s" % (written, output), file=sys.stderr)


if __name__ == "__main__":
    main()
