#!/usr/bin/env python3
"""Derives the engine's FHIR R4 type model from the official definitions.

Reads the npm package hl7.fhir.r4.examples 4.0.1 and writes, into OUTPUT_DIR:
- type-model.json (from Bundle-types.json and Bundle-resources.json): every
  primitive type, complex type and resource with its element paths, types
  (choice [x] included), cardinality (min >= 1: mandatory), whether it is in
  the _summary=true form (isSummary), content references, XML attribute
  representation, reference target profiles and bindings;
- search-parameters.json (from Bundle-searchParams.json): every R4
  SearchParameter with what the store's indexer and the search API need
  (code, base types, type, FHIRPath expression, targets, modifiers,
  comparators, chains, composite components).

Usage: tools/derive_r4_base.py PACKAGE_DIR OUTPUT_DIR
The output is deterministic (sorted, compact JSON) so CI can check that the
committed files are what this script derives.
"""
import json
import sys

FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex"
JSON_NUMBER_TYPES = {"integer", "decimal", "positiveInt", "unsignedInt"}


def type_code(element, t, resource_names):
    """The FHIR type of one element type entry.

    R4 writes the types of Element.id, Extension.url, Resource.id and the
    primitives' value as FHIRPath system types (System.String ...) with the
    FHIR type in an extension; this returns the FHIR type.
    """
    code = t["code"]
    if not code.startswith("http://hl7.org/fhirpath/System."):
        return code
    fhir_type = next((x["valueUrl"] for x in t.get("extension", [])
                      if x["url"] == FHIR_TYPE_EXT), None)
    path = element["path"].split(".")
    # The 4.0.1 snapshots call Resource.id 'string', but the specification
    # defines it as 'id' (Resource.id: "Logical id of this artifact", type id).
    if len(path) == 2 and path[1] == "id" and path[0] in resource_names:
        return "id"
    return fhir_type or "string"


def derive_element(element, resource_names):
    out = {"path": element["path"], "min": element.get("min", 0),
           "max": element.get("max", "*")}
    if "contentReference" in element:
        out["contentReference"] = element["contentReference"].lstrip("#")
    types = []
    for t in element.get("type", []):
        entry = {"code": type_code(element, t, resource_names)}
        if t.get("targetProfile"):
            entry["targetProfile"] = t["targetProfile"]
        if t.get("profile"):
            entry["profile"] = t["profile"]
        types.append(entry)
    if types:
        out["types"] = types
    if "xmlAttr" in element.get("representation", []):
        out["xmlAttr"] = True
    # Written only when true: most elements are not in the summary.
    if element.get("isSummary"):
        out["isSummary"] = True
    binding = element.get("binding")
    if binding and binding.get("valueSet"):
        out["binding"] = {"strength": binding["strength"], "valueSet": binding["valueSet"]}
    return out


SEARCH_PARAM_FIELDS = ("url", "code", "base", "type", "expression", "target", "modifier",
                       "comparator", "multipleOr", "multipleAnd", "chain", "xpathUsage")


def derive_search_parameters(package_dir):
    with open(f"{package_dir}/Bundle-searchParams.json", encoding="utf-8") as f:
        bundle = json.load(f)
    params = []
    for entry in bundle["entry"]:
        sp = entry["resource"]
        out = {k: sp[k] for k in SEARCH_PARAM_FIELDS if k in sp}
        if sp.get("component"):
            out["component"] = [{"definition": c["definition"], "expression": c["expression"]}
                                for c in sp["component"]]
        params.append(out)
    params.sort(key=lambda p: p["url"])
    return {"fhirVersion": "4.0.1",
            "source": "hl7.fhir.r4.examples 4.0.1: Bundle-searchParams.json",
            "derivedBy": "tools/derive_r4_base.py",
            "searchParameters": params}


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        f.write("\n")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    package_dir, output_dir = sys.argv[1], sys.argv[2]
    sds = []
    for name in ("Bundle-types.json", "Bundle-resources.json"):
        with open(f"{package_dir}/{name}", encoding="utf-8") as f:
            bundle = json.load(f)
        sds += [e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "StructureDefinition"]
    resource_names = {sd["type"] for sd in sds if sd["kind"] == "resource"}

    primitives, types = [], []
    for sd in sorted(sds, key=lambda s: s["id"]):
        elements = sd["snapshot"]["element"]
        if sd["kind"] == "primitive-type":
            value = next(e for e in elements if e["path"] == sd["id"] + ".value")
            regex = next((x["valueString"] for t in value.get("type", [])
                          for x in t.get("extension", []) if x["url"] == REGEX_EXT), None)
            entry = {"name": sd["id"],
                     "json": ("boolean" if sd["id"] == "boolean" else
                              "number" if sd["id"] in JSON_NUMBER_TYPES else "string")}
            if regex:
                entry["regex"] = regex
            primitives.append(entry)
        entry = {"name": sd["id"], "type": sd["type"], "kind": sd["kind"],
                 "abstract": sd.get("abstract", False),
                 "derivation": sd.get("derivation", "specialization"),
                 "url": sd["url"]}
        if sd.get("baseDefinition"):
            entry["base"] = sd["baseDefinition"].rsplit("/", 1)[-1]
        entry["elements"] = [derive_element(e, resource_names) for e in elements[1:]]
        types.append(entry)

    model = {"fhirVersion": "4.0.1",
             "source": "hl7.fhir.r4.examples 4.0.1: Bundle-types.json, Bundle-resources.json",
             "derivedBy": "tools/derive_r4_base.py",
             "primitives": primitives, "types": types}
    write_json(f"{output_dir}/type-model.json", model)
    write_json(f"{output_dir}/search-parameters.json", derive_search_parameters(package_dir))


if __name__ == "__main__":
    main()
