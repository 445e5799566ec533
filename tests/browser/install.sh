#!/usr/bin/env bash
# Installs the browser test's npm dependencies (package-lock.json, exactly)
# into DIR, once: a later run with the same lock file does nothing.
#
# Usage: tests/browser/install.sh DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: install.sh DIR}
mkdir -p "$dir"
if [[ -f "$dir/package-lock.json" && -d "$dir/node_modules/playwright-core" ]] &&
   cmp -s "$here/package-lock.json" "$dir/package-lock.json"; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dir/"
cd "$dir"
npm ci --no-audit --no-fund --ignore-scripts
