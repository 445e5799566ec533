#!/usr/bin/env bash
# The whole-server benchmark: installs what is missing (wrk among it), builds
# fhir-engine (Release, in build-release/), then runs bench/server_bench.py,
# which generates the data set (cached by its parameters), starts the server
# and runs the phases. Prints a markdown block for bench/RESULTS.md.
#
# Usage: bench/run_server_bench.sh [--no-build] [server_bench.py options]
#   e.g. bench/run_server_bench.sh --scale 0.02 --mode put
#        bench/run_server_bench.sh --cold-start-resources 1000000
#        bench/run_server_bench.sh --phases read,search --wrk-duration 60s
# See bench/README.md, or bench/server_bench.py --help for every option.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=1
args=()
for a in "$@"; do
  if [[ "$a" == "--no-build" ]]; then build=0; else args+=("$a"); fi
done

bash "$root/tools/setup.sh"
if ((build)); then
  echo "==> building fhir-engine (Release) in $root/build-release" >&2
  (cd "$root" && cmake --preset release >/dev/null &&
    cmake --build build-release -j2 --target fhir-engine >&2)
fi

command="bench/run_server_bench.sh${*:+ $*}"
exec python3 "$root/bench/server_bench.py" --engine "$root/build-release/engine/fhir-engine" \
  --command "$command" "${args[@]}"
