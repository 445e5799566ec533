#!/usr/bin/env bash
# Installs what building, testing and benchmarking the engine need on Debian 12.
# Idempotent: when every package is already installed it does nothing and
# prints nothing. Runs as root (CI) or through sudo when that is available.
#
# Usage: tools/setup.sh
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libboost1.81-dev rapidjson-dev libxml2-dev libssl-dev
  libsqlitecpp-dev libsqlite3-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 ca-certificates curl wrk
  chromium
)
# npm fetches the official FHIR example package for the tests. A node/npm that
# is already on PATH from another source (NodeSource, nvm) is used as it is:
# Debian's npm would conflict with NodeSource's nodejs, which bundles its own.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then exit 0; fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup.sh: missing packages: ${missing[*]}" >&2
  echo "setup.sh: not root and sudo is not available; install them as root, then rerun" >&2
  exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/fhir-engine-setup.XXXXXX")
trap 'rm -f "$log"' EXIT
run() {
  if ! "$@" >>"$log" 2>&1; then
    cat "$log" >&2
    echo "setup.sh: failed: $*" >&2
    exit 1
  fi
}

echo "setup.sh: installing ${missing[*]}"
run "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q
run "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
  install -y -q --no-install-recommends "${missing[@]}"
