#!/usr/bin/env python3
"""Generates the snapshot of every regional StructureDefinition (profiles and
extensions in fhir-profiles/regional/) from its differential and the base R4
StructureDefinitions of the npm package hl7.fhir.r4.examples 4.0.1 (fetched by
tools/fetch_r4_examples.sh), and writes them to fhir-profiles/regional/snapshots/.

The output is derived: never edit it by hand; change the differential and rerun.

Usage:
  tools/generate_snapshots.py R4_PACKAGE_DIR            # (re)write the snapshots
  tools/generate_snapshots.py R4_PACKAGE_DIR --check    # exit 1 if any is stale

What it implements (the core of the R4 snapshot algorithm, profiling.html):
- starts from the base type's snapshot (the baseDefinition must be a core R4
  StructureDefinition: no profile-on-profile);
- matches each differential element to a snapshot element by id;
- an element below one the base does not expand (Encounter.subject.identifier)
  unfolds its parent's single data type from that type's snapshot;
- a slice (id with ':name') is inserted after the sliced element's subtree and
  its earlier slices, as a copy of the sliced element and its children;
- applies min, max, type (narrowed: each code must be one of the base's, with
  profile/targetProfile), fixed[x] / pattern[x], binding, slicing, mustSupport,
  short / definition / comment, and appends constraints;
- refuses widening: min below the base's, max above it, a type the base lacks,
  a required binding made weaker.

What it does not: profiles derived from other profiles, re-slicing, slices of
choice elements by type (value[x]:valueX), contentReference elements
(Questionnaire.item.item), and merging a fixed/pattern with the base's one.
"""
import copy
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGIONAL = os.path.join(ROOT, "fhir-profiles", "regional")
SOURCES = ("profiles", "extensions")
OUT_DIR = os.path.join(REGIONAL, "snapshots")
CORE = "http://hl7.org/fhir/StructureDefinition/"
MAX_FILE_BYTES = 4 * 1024 * 1024
STRENGTH = {"example": 0, "preferred": 1, "extensible": 2, "required": 3}
COPIED = ("short", "definition", "comment", "requirements", "mustSupport", "isModifier",
          "isSummary", "slicing", "sliceName", "maxLength", "meaningWhenMissing")


class SnapshotError(Exception):
    """A differential that cannot be applied (names the profile and element)."""


def load_json(path):
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise SnapshotError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class BaseDefinitions:
    """The core StructureDefinitions of the R4 package, read on demand."""

    def __init__(self, package_dir):
        self.package_dir = package_dir
        self.cache = {}

    def snapshot(self, type_name):
        if type_name not in self.cache:
            path = os.path.join(self.package_dir, f"StructureDefinition-{type_name}.json")
            if not os.path.isfile(path):
                raise SnapshotError(f"no base StructureDefinition for '{type_name}' in {self.package_dir}")
            self.cache[type_name] = load_json(path)["snapshot"]["element"]
        return self.cache[type_name]


def parent_id(element_id):
    return element_id.rsplit(".", 1)[0] if "." in element_id else None


def in_subtree(element_id, root_id):
    return element_id == root_id or element_id.startswith(root_id + ".") or \
        element_id.startswith(root_id + ":")


def subtree_end(elements, index):
    """Index just past the element at index and everything below or sliced from it."""
    root_id = elements[index]["id"]
    end = index + 1
    while end < len(elements) and in_subtree(elements[end]["id"], root_id):
        end += 1
    return end


def rebase(element, old_id, old_path, new_id, new_path):
    e = copy.deepcopy(element)
    e["id"] = new_id + e["id"][len(old_id):]
    e["path"] = new_path + e["path"][len(old_path):]
    return e


def find(elements, element_id):
    for i, e in enumerate(elements):
        if e["id"] == element_id:
            return i
    return None


def unfold(elements, index, bases, where):
    """Inserts the children of elements[index] from its data type's snapshot."""
    parent = elements[index]
    types = {t["code"] for t in parent.get("type", [])}
    if len(types) != 1:
        raise SnapshotError(f"{where}: cannot unfold {parent['id']} (types {sorted(types)})")
    type_name = types.pop()
    children = bases.snapshot(type_name)[1:]
    elements[index + 1:index + 1] = [
        rebase(c, type_name, type_name, parent["id"], parent["path"]) for c in children]


def locate(elements, element_id, bases, where):
    """The index of element_id, creating it by unfolding or slicing as needed."""
    i = find(elements, element_id)
    if i is not None:
        return i
    last = element_id.rsplit(".", 1)[-1]
    if ":" in last:  # a new slice of an element that exists (or can be made to)
        name = last.split(":", 1)[1]
        sliced_id = element_id[: -len(last)] + last.split(":", 1)[0]
        s = locate(elements, sliced_id, bases, where)
        if "slicing" not in elements[s] and elements[s]["path"].split(".")[-1] != "extension":
            raise SnapshotError(f"{where}: slice {element_id} of an element without slicing")
        end = subtree_end(elements, s)
        copies = [rebase(e, sliced_id, elements[s]["path"], element_id, elements[s]["path"])
                  for e in elements[s:end] if ":" not in e["id"][len(sliced_id):]]
        copies[0]["sliceName"] = name
        copies[0].pop("slicing", None)
        elements[end:end] = copies
        return end
    pid = parent_id(element_id)
    if pid is None:
        raise SnapshotError(f"{where}: {element_id} is not in the base")
    p = locate(elements, pid, bases, where)
    if subtree_end(elements, p) == p + 1:
        unfold(elements, p, bases, where)
    i = find(elements, element_id)
    if i is None:
        raise SnapshotError(f"{where}: {element_id} is not an element of the base")
    return i


def card_max(value):
    return float("inf") if value == "*" else int(value)


def constrain(target, diff, where):
    """Applies one differential element to its snapshot element, refusing widening."""
    eid = target["id"]
    if "min" in diff:
        if diff["min"] < target.get("min", 0):
            raise SnapshotError(f"{where}: {eid} min {diff['min']} below the base's {target['min']}")
        target["min"] = diff["min"]
    if "max" in diff:
        if card_max(diff["max"]) > card_max(target.get("max", "*")):
            raise SnapshotError(f"{where}: {eid} max {diff['max']} above the base's {target['max']}")
        target["max"] = diff["max"]
    if target.get("min", 0) > card_max(target.get("max", "*")):
        raise SnapshotError(f"{where}: {eid} min above max")
    if "type" in diff:
        base_codes = {t["code"] for t in target.get("type", [])}
        for t in diff["type"]:
            if t["code"] not in base_codes:
                raise SnapshotError(f"{where}: {eid} type {t['code']} is not one of {sorted(base_codes)}")
        target["type"] = copy.deepcopy(diff["type"])
    if "binding" in diff:
        old = target.get("binding", {}).get("strength")
        if old == "required" and diff["binding"].get("strength") != "required":
            raise SnapshotError(f"{where}: {eid} weakens a required binding")
        target["binding"] = copy.deepcopy(diff["binding"])
    for key, value in diff.items():
        if key.startswith("fixed") or key.startswith("pattern"):
            if any(k.startswith(("fixed", "pattern")) for k in target):
                raise SnapshotError(f"{where}: {eid} already has a fixed or pattern value")
            target[key] = copy.deepcopy(value)
    for key in COPIED:
        if key in diff:
            target[key] = copy.deepcopy(diff[key])
    if "constraint" in diff:
        known = {c["key"] for c in target.get("constraint", [])}
        for c in diff["constraint"]:
            if c["key"] in known:
                raise SnapshotError(f"{where}: {eid} constraint {c['key']} already defined")
            target.setdefault("constraint", []).append(copy.deepcopy(c))


def generate(sd, bases):
    """The StructureDefinition sd with its snapshot generated."""
    where = sd.get("url", sd.get("id", "?"))
    base_url = sd.get("baseDefinition", "")
    if not base_url.startswith(CORE) or sd.get("derivation") != "constraint":
        raise SnapshotError(f"{where}: only constraints on core R4 types are supported ({base_url})")
    base_type = base_url[len(CORE):]
    if base_type != sd.get("type"):
        raise SnapshotError(f"{where}: type {sd.get('type')} differs from the base {base_type}")
    elements = copy.deepcopy(bases.snapshot(base_type))
    for diff in sd.get("differential", {}).get("element", []):
        if "id" not in diff or "path" not in diff:
            raise SnapshotError(f"{where}: a differential element without id or path")
        if diff["path"] != ".".join(s.split(":")[0] for s in diff["id"].split(".")):
            raise SnapshotError(f"{where}: {diff['id']} does not match its path {diff['path']}")
        i = locate(elements, diff["id"], bases, where)
        constrain(elements[i], diff, where)
    out = copy.deepcopy(sd)
    out["snapshot"] = {"element": elements}
    return out


def render(resource):
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"


def sources():
    for sub in SOURCES:
        folder = os.path.join(REGIONAL, sub)
        for name in sorted(os.listdir(folder)):
            if name.startswith("StructureDefinition-") and name.endswith(".json"):
                yield name, os.path.join(folder, name)


def main(argv):
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != "--check"):
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    bases = BaseDefinitions(argv[1])
    check = len(argv) == 3
    stale = []
    try:
        for name, path in sources():
            text = render(generate(load_json(path), bases))
            out = os.path.join(OUT_DIR, name)
            current = open(out, encoding="utf-8").read() if os.path.isfile(out) else None
            if check:
                if current != text:
                    stale.append(name)
            elif current != text:
                os.makedirs(OUT_DIR, exist_ok=True)
                with open(out, "w", encoding="utf-8") as f:
                    f.write(text)
                print(f"generate_snapshots: wrote {os.path.relpath(out, ROOT)}")
    except (SnapshotError, OSError, ValueError, KeyError) as e:
        print(f"generate_snapshots: {e}", file=sys.stderr)
        return 1
    if stale:
        print("generate_snapshots: stale or missing snapshots (run tools/generate_snapshots.py): " +
              ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
