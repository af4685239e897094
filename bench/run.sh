#!/usr/bin/env bash
# Runs one bench (bench/NAME.bench.ts) or all of them, against real servers from the test helper.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh >/dev/null
bash scripts/build.sh
export EVENT_BUS_PID_LEDGER="$(mktemp -d)"
for f in bench/${1:-*}.bench.ts; do
  node -r ts-node/register/transpile-only "$f"
done
