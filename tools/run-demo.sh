#!/usr/bin/env bash
# README quick start: installs what is missing, builds the engine (Release, in
# build/) and runs its main job on the bundled demo data in config/demo/.
#
# Usage: tools/run-demo.sh   (from any directory)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
engine="$build/engine/fhir-engine"

bash "$root/tools/setup.sh"
echo "==> building fhir-engine (Release) in $build"
# Warnings are not errors here: a newer compiler's new warning must not stop a
# quick start (CI, tools/run-tests.sh, builds with -Werror).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFHIR_ENGINE_WERROR=OFF >/dev/null
cmake --build "$build" --target fhir-engine

# Until `serve` exists: a tour of the CLI over config/demo/ (one hospital, one
# ward, one free bed), with the outputs written to build/demo/.
cli_tour() {
  local demo="$root/config/demo" out="$build/demo"
  mkdir -p "$out"
  echo
  echo "==> fhir-engine version"
  "$engine" version

  echo
  echo "==> fhir-engine validate config/demo/*.json"
  # Each file's verdict goes to stderr; the OperationOutcomes (a Bundle) to a file.
  "$engine" validate "$demo"/*.json >"$out/validation.json"
  echo "    OperationOutcomes: $out/validation.json"

  echo
  echo "==> fhir-engine convert --to xml --pretty, and back to JSON"
  local f name count=0
  for f in "$demo"/*.json; do
    name=$(basename "$f" .json)
    "$engine" convert --to xml --pretty "$f" >"$out/$name.xml"
    "$engine" convert --to json --pretty "$out/$name.xml" >"$out/$name.roundtrip.json"
    # The round trip must give the same canonical JSON as converting the original.
    if ! cmp -s <("$engine" convert --to json "$f") <("$engine" convert --to json "$out/$name.xml"); then
      echo "run-demo: $name changed in the JSON -> XML -> JSON round trip" >&2
      exit 1
    fi
    echo "    $name.json -> $out/$name.xml -> $name.roundtrip.json (same resource)"
    count=$((count + 1))
  done

  echo
  echo "==> the bed as FHIR XML ($out/location-bed.xml)"
  cat "$out/location-bed.xml"
  echo
  echo "run-demo: validated and converted $count demo resources; outputs in $out"
}

# The engine's main job (one line; becomes: exec "$engine" serve --config "$root/config/demo.json").
cli_tour
