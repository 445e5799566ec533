#!/usr/bin/env bash
# The whole check, as CI runs it (.ci/run): set-up, format check, build and
# ctest in build/, the derived R4 type model check, then an AddressSanitizer +
# UBSan build and ctest in build-asan/. Stops at the first failure; the last
# line says which step failed, or how many tests passed.
#
# Usage: tools/run-tests.sh   (from any directory)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

step="start"
passed=0
failed=0
log=$(mktemp "${TMPDIR:-/tmp}/fhir-engine-tests.XXXXXX")
finish() {
  local rc=$?
  rm -f "$log"
  if ((rc == 0)); then
    echo "run-tests: ${passed} passed, ${failed} failed"
  else
    echo "run-tests: FAILED at step '$step' (exit $rc)" >&2
  fi
}
trap finish EXIT

begin() {
  step=$1
  echo
  echo "==> $step"
}

# Runs ctest on build dir $1 and adds its counts to the totals.
run_ctest() {
  ctest --test-dir "$1" --output-on-failure --no-tests=error --timeout 600 -j2 2>&1 | tee "$log"
  local summary
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
  if [[ $summary =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=$((failed + BASH_REMATCH[1]))
    passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
  fi
}

begin "set-up (tools/setup.sh)"
bash tools/setup.sh

begin "format check (clang-format)"
if command -v clang-format >/dev/null 2>&1; then
  mapfile -t sources < <(find engine tests bench adapters -type f \
    \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' -o -name '*.cpp' \) 2>/dev/null | sort)
  if ((${#sources[@]} > 0)); then
    if ! clang-format --dry-run --Werror "${sources[@]}" 2>"$log"; then
      head -n 40 "$log" >&2
      echo "unformatted files:" >&2
      grep -oE '^[^ :]+:[0-9]+:[0-9]+: error' "$log" | cut -d: -f1 | sort -u | sed 's/^/  /' >&2
      echo "run-tests: fix with: clang-format -i FILE..." >&2
      exit 1
    fi
  fi
  echo "${#sources[@]} files formatted ($(clang-format --version))"
else
  echo "clang-format is not installed: format check skipped"
fi

begin "build (build/)"
# Type and -Werror are set, not inherited: tools/run-demo.sh builds Release in build/ too.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFHIR_ENGINE_WERROR=ON >/dev/null
cmake --build build

begin "tests (build/)"
run_ctest build

begin "derived R4 definitions (tools/derive_r4_base.py)"
# The ctest fixture has fetched the package; this is a no-op then.
bash tools/fetch_r4_examples.sh build/r4-examples
rm -rf build/r4-base.derived && mkdir -p build/r4-base.derived
python3 tools/derive_r4_base.py build/r4-examples/package build/r4-base.derived
for f in type-model.json search-parameters.json; do
  if ! cmp "fhir-profiles/r4-base/$f" "build/r4-base.derived/$f"; then
    echo "run-tests: fhir-profiles/r4-base/$f is not what tools/derive_r4_base.py derives;" \
      "regenerate: tools/derive_r4_base.py build/r4-examples/package fhir-profiles/r4-base" >&2
    exit 1
  fi
done
rm -rf build/r4-base.definitions && mkdir -p build/r4-base.definitions
python3 tools/derive_profile_base.py build/r4-examples/package fhir-profiles/regional/snapshots \
  build/r4-base.definitions >/dev/null
if ! diff -rq --exclude=README.md build/r4-base.definitions fhir-profiles/r4-base/definitions; then
  echo "run-tests: fhir-profiles/r4-base/definitions is not what tools/derive_profile_base.py derives;" \
    "regenerate: tools/derive_profile_base.py build/r4-examples/package" \
    "fhir-profiles/regional/snapshots fhir-profiles/r4-base/definitions" >&2
  exit 1
fi
echo "fhir-profiles/r4-base/ is up to date"

begin "build with AddressSanitizer + UBSan (build-asan/)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFHIR_ENGINE_WERROR=ON \
  -DFHIR_ENGINE_SANITIZE=ON -DFHIR_ENGINE_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan

begin "tests with AddressSanitizer + UBSan (build-asan/)"
run_ctest build-asan

step="done"
