#!/usr/bin/env bash
# The README's main command: install what is missing, build, and run the local stack against a
# local nats-server (scripts/local.ts). Arguments go to scripts/local.ts (--phase N, --once).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh local
bash scripts/build.sh
exec node -r ts-node/register/transpile-only scripts/local.ts "$@"
