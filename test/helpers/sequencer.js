/**
 * Jest's own order (the last run's failures first, then the longest), after a rank for a run with
 * nothing cached, such as CI's fresh clone: the suites that take longest start first, so that no
 * worker is left with one long suite at the end. It also tells the global setup whether a suite of
 * this run needs the shared control plane (Jest sorts before it runs the global setup, in the same
 * process).
 */
const Sequencer = require("@jest/test-sequencer").default;
const { rank, SHARED_KUBE_WANTED_ENV, usesSharedControlPlane } = require("../tiers");

class TierSequencer extends Sequencer {
  sort(tests) {
    process.env[SHARED_KUBE_WANTED_ENV] = tests.some((t) => usesSharedControlPlane(t.path)) ? String(process.pid) : "";
    const known = tests.some((t) => this.time(t) !== undefined);
    const sorted = super.sort([...tests]);
    if (known) return sorted;
    return sorted.map((t, i) => [t, i]).sort(([a, i], [b, j]) => rank(a.path) - rank(b.path) || i - j).map(([t]) => t);
  }
}

module.exports = TierSequencer;
