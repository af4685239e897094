#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine: npm packages from the lock file
# and the pinned tools (scripts/install-tools.sh; `setup.sh local` only those the local stack
# runs). Each part is skipped when already current.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "[setup] node_modules already match package-lock.json" >&2
fi
bash scripts/install-tools.sh "$@"
