#!/usr/bin/env bash
# The test command, in two tiers (test/tiers.js; README, "Tests"):
#   bash scripts/test.sh [fast]   pure tests, the nats-server tests on one server, the field table
#                                 against the server, the local stack through the engine
#   bash scripts/test.sh full     everything: the 3-node cluster tests, every engine suite and
#                                 every control-plane suite (CI's .ci/run)
# It installs what is missing (only the tools the tier runs), type-checks, builds bin/, and runs
# jest. Further arguments go to jest (for example a path or -t "name").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tier=fast
case "${1:-}" in
  fast | full) tier="$1" && shift ;;
esac
started=$SECONDS
bash scripts/setup.sh "$([ "$tier" = full ] && echo all || echo fast)"
tools_s=$((SECONDS - started))
echo "[test] ${tier} tier: type-check, then build bin/ (the providers run compiled, as the engine loads them)" >&2
npx --no-install tsc --noEmit -p .
bash scripts/build.sh
echo "[test] jest, ${tier} tier" >&2
jest_started=$SECONDS
EVENT_BUS_TEST_TIER="$tier" npx --no-install jest --ci "$@"
# A whole tier's run is judged again from what its reporter recorded (test/helpers/suite-times-reporter.js):
# one full run here exited 0 with 4 failed tests.
if [ "$#" -eq 0 ] && ! node -e "process.exit(require('./.state/test-times/${tier}.json').passed ? 0 : 1)"; then
  echo "[test] ${tier} tier FAILED: jest reported failed tests (see above)" >&2
  exit 1
fi
echo "[test] ${tier} tier passed: install ${tools_s}s, type-check and build $((jest_started - started - tools_s))s, jest $((SECONDS - jest_started))s; whole command $((SECONDS - started))s" >&2
[ "$#" -eq 0 ] && node scripts/suite-times.js "$tier" --top 12 >&2 || true
