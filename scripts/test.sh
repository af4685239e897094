#!/usr/bin/env bash
# The test command: installs what is missing, type-checks, and runs every test against real
# nats-server processes. Extra arguments go to jest (for example a path or -t "name").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
started=$SECONDS
bash scripts/setup.sh
echo "[test] type-check, then build bin/ (the providers run compiled, as the engine loads them)" >&2
npx --no-install tsc --noEmit -p .
bash scripts/build.sh
echo "[test] jest" >&2
npx --no-install jest --ci "$@"
echo "[test] suite finished in $((SECONDS - started))s" >&2
