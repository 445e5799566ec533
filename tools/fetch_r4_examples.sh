#!/usr/bin/env bash
# Fetches the official FHIR R4 definitions and examples (npm package
# hl7.fhir.r4.examples 4.0.1) into DEST/package, once. Used by the corpus tests,
# the benchmarks and tools/derive_r4_base.py. The engine's build never needs it.
#
# Usage: tools/fetch_r4_examples.sh DEST
set -euo pipefail
dest=${1:?usage: fetch_r4_examples.sh DEST}
readonly pkg="hl7.fhir.r4.examples@4.0.1"
# sha256 of the published tarball, checked so a changed package cannot slip in.
readonly sha256="dce87f1b5b9341867033f7d1f544fa1b5232503f6d62813887ac6b8a8b6cb682"

if [[ -f "$dest/package/.complete" ]]; then exit 0; fi
command -v npm >/dev/null || { echo "fetch_r4_examples: npm is missing (run tools/setup.sh)" >&2; exit 1; }
mkdir -p "$dest"
tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null 2>npm.log) || {
  cat "$tmp/npm.log" >&2; echo "fetch_r4_examples: npm pack $pkg failed" >&2; exit 1; }
tarball=$(ls "$tmp"/*.tgz)
actual=$(sha256sum "$tarball" | cut -d' ' -f1)
if [[ "$actual" != "$sha256" ]]; then
  echo "fetch_r4_examples: $pkg has sha256 $actual, expected $sha256" >&2; exit 1
fi
rm -rf "$dest/package"
tar -xzf "$tarball" -C "$dest"
touch "$dest/package/.complete"
echo "fetch_r4_examples: $pkg in $dest/package ($(ls "$dest/package" | wc -l) files)"
