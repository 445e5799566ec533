#!/usr/bin/env bash
# README quick start: installs what is missing, builds the engine (in build/), starts the region
# simulator (tools/region-simulator) and the engine on config/demo.json, waits until the region's
# capacity numbers are live and prints the dashboard and FHIR URLs. Ctrl-C stops both.
#
# Every run starts fresh: the simulator restarts its region from the same seed and start time, so
# the engine's database and the drop folders of an earlier run (build/demo/) are removed first.
# The pseudonym key (build/demo/pseudonym.key) is kept.
#
# Usage: tools/run-demo.sh   (from any directory; docs/quick-start.md)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
engine="$build/engine/fhir-engine"
out="$build/demo"         # config/demo.json's drop folders are ../build/demo/sim-drop
engine_port=8080          # as in config/demo.json
sim_port=8090             # the adapters' base URLs in config/demo.json
speed=60                  # one real minute is one simulated hour
seed=1

bash "$root/tools/setup.sh"
echo "==> building fhir-engine in $build"
if [[ -f "$build/CMakeCache.txt" ]]; then
  # An existing build tree keeps its own configuration (re-configuring would rebuild everything).
  cmake -S "$root" -B "$build" >/dev/null
else
  # Warnings are not errors here: a newer compiler's new warning must not stop a quick start
  # (CI and tools/run-tests.sh build with -Werror).
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFHIR_ENGINE_WERROR=OFF >/dev/null
fi
cmake --build "$build" --target fhir-engine
built_at=$(date +%s)

for port in "$engine_port" "$sim_port"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "run-demo: something already listens on 127.0.0.1:$port (another demo?); stop it first" >&2
    exit 1
  fi
done

# Fresh state (see the header); the adapters check at start that their folders exist.
mkdir -p "$out"
rm -rf "$out/sim-drop" "$out"/fhir-engine.db "$out"/fhir-engine.db-* "$out/truth.json"
mkdir -p "$out/sim-drop/csv/done" "$out/sim-drop/xml/done"

# config/demo.json reads the mappings' pseudonym key from the environment; made once, kept.
if [[ -z "${FHIR_ENGINE_PSEUDONYM_KEY:-}" ]]; then
  if [[ ! -s "$out/pseudonym.key" ]]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$out/pseudonym.key")
  fi
  chmod 600 "$out/pseudonym.key"
  FHIR_ENGINE_PSEUDONYM_KEY=$(<"$out/pseudonym.key")
fi
export FHIR_ENGINE_PSEUDONYM_KEY

sim_pid=""
engine_pid=""
stop_all() {
  local status=$?
  trap - EXIT INT TERM
  set +e  # a child already gone (or stopped by the same Ctrl-C) must not cut the clean-up short
  [[ -n "$engine_pid" ]] && kill -TERM "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null
  [[ -n "$sim_pid" ]] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  echo "run-demo: stopped the engine and the simulator"
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

fail() {
  echo "run-demo: $1" >&2
  for log in "$out/simulator.log" "$out/engine.log"; do
    [[ -f "$log" ]] && { echo "--- last lines of $log" >&2; tail -n 20 "$log" >&2; }
  done
  exit 1
}

echo "==> starting the region simulator on 127.0.0.1:$sim_port (seed $seed, speed $speed)"
python3 "$root/tools/region-simulator" --seed "$seed" --speed "$speed" --port "$sim_port" \
  --drop-dir "$out/sim-drop" --truth-file "$out/truth.json" >"$out/simulator.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$out/simulator.log" 2>/dev/null && break
  kill -0 "$sim_pid" 2>/dev/null || fail "the simulator did not start"
  sleep 0.1
done
grep -q "listening on" "$out/simulator.log" || fail "the simulator did not start listening"

echo "==> starting fhir-engine on config/demo.json"
(cd "$out" && exec "$engine" serve --config "$root/config/demo.json") >"$out/engine.log" 2>&1 &
engine_pid=$!
base=""
for _ in $(seq 1 200); do
  base=$(grep -o '"base":"[^"]*"' "$out/engine.log" 2>/dev/null | head -n 1 | cut -d'"' -f4 || true)
  [[ -n "$base" ]] && break
  kill -0 "$engine_pid" 2>/dev/null || fail "the engine did not start"
  sleep 0.1
done
[[ -n "$base" ]] || fail "no 'listening' line from the engine"
site=${base%/fhir}

# Live: the region's rollup counts beds (the adapters have stored and mapped the first records).
echo "==> waiting for the first capacity numbers"
beds=0
for _ in $(seq 1 240); do
  beds=$(curl -fsS "$site/capacity/summary" 2>/dev/null | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["region"]["beds"]["total"])' 2>/dev/null || echo 0)
  [[ "$beds" -gt 0 ]] && break
  kill -0 "$engine_pid" 2>/dev/null || fail "the engine stopped"
  sleep 0.5
done
[[ "$beds" -gt 0 ]] || fail "no capacity numbers after 2 minutes"
live_after=$(($(date +%s) - built_at))

cat <<EOF

The demo region is live ($beds beds counted, ${live_after} s after the build finished):
  dashboard:        $site/
  FHIR base:        $base
  try:
    curl -s '$base/Location?physical-type=wa&_count=5&_summary=true'
    curl -s '$base/Measure/regional-bed-capacity/\$evaluate-measure'
    curl -s '$site/capacity/summary'
    curl -s -X POST 'http://127.0.0.1:$sim_port/control/pause-source?name=nus-fhir'   # stale after 20 s
  simulator:        http://127.0.0.1:$sim_port   (truth: http://127.0.0.1:$sim_port/truth)
  logs:             $out/engine.log, $out/simulator.log
  what to try:      docs/quick-start.md
Press Ctrl-C to stop both.
EOF
wait "$engine_pid" || true
engine_pid=""
fail "the engine stopped"
