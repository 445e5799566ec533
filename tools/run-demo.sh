#!/usr/bin/env bash
# README quick start: installs what is missing, builds the engine (Release, in
# build/) and starts the FHIR server on config/demo.json, loaded with the demo
# resources in config/demo/ through its own API. Ctrl-C stops it.
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

# The engine's main job: the FHIR REST server on config/demo.json (database
# build/demo/fhir-engine.db), loaded with the demo resources in config/demo/
# (one hospital, one ward, one free bed) through its own API.
serve_demo() {
  local out="$build/demo"
  mkdir -p "$out"
  cd "$out"
  "$engine" serve --config "$root/config/demo.json" >"$out/engine.log" &
  engine_pid=$!
  trap 'kill -TERM "$engine_pid" 2>/dev/null; wait "$engine_pid" 2>/dev/null' EXIT INT TERM
  local base=""
  for _ in $(seq 1 100); do
    base=$(grep -o '"base":"[^"]*"' "$out/engine.log" 2>/dev/null | head -n 1 | cut -d'"' -f4 || true)
    [[ -n "$base" ]] && break
    kill -0 "$engine_pid" 2>/dev/null || { cat "$out/engine.log" >&2; echo "run-demo: the engine did not start" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$base" ]] || { echo "run-demo: no 'listening' line from the engine" >&2; exit 1; }
  local f type id
  for f in "$root"/config/demo/*.json; do
    type=$(grep -o '"resourceType": *"[^"]*"' "$f" | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/')
    id=$(grep -o '"id": *"[^"]*"' "$f" | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/')
    curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/fhir+json' \
      --data-binary @"$f" "$base/$type/$id"
    echo "    loaded $type/$id"
  done
  echo
  echo "fhir-engine is serving the demo region:"
  echo "  FHIR endpoint:  $base   (try: curl $base/$type/$id)"
  echo "  metadata:       $base/metadata"
  echo "  health:         ${base%/fhir}/health"
  echo "  log:            $out/engine.log"
  echo "Press Ctrl-C to stop."
  wait "$engine_pid"
}

serve_demo
