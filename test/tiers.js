/**
 * The test tiers (README, "Tests"): which suites each runs, on how many Jest workers, and which
 * suites share the run's one Kubernetes control plane. jest.config.js, the sequencer and the
 * helpers read it; `bash scripts/test.sh` runs the fast tier, `bash scripts/test.sh full` (and CI's
 * `.ci/run`) the full one. Jest run directly, with no tier named, runs the full tier.
 */

/** The variable that names the tier; jest.config.js sets it for the workers when it was not set. */
const TIER_ENV = "EVENT_BUS_TEST_TIER";
/**
 * Set by the sequencer, to the PID of Jest's main process, when a suite of the run needs the shared
 * control plane; read by the global setup in that same process (a Jest that a test starts inherits
 * the variable, but not the PID).
 */
const SHARED_KUBE_WANTED_ENV = "EVENT_BUS_SHARED_KUBE_WANTED";

/**
 * Suites only the full tier runs, each with why. Inside the suites the fast tier runs, what needs a
 * 3-node cluster (R3) is a `describe` the fast tier skips (test/helpers/tier.ts).
 */
const FULL_ONLY = [
  ["\\.kube\\.test\\.ts$", "a Kubernetes control plane and the Kubernetes plugin"],
  ["\\.promtool\\.test\\.ts$", "promtool"],
  ["(?<!/local)\\.engine\\.test\\.ts$", "whole stacks through the engine (the local stack's own engine suite runs in both tiers)"],
];

/**
 * Workers per tier, on purpose: the fast tier's suites are mostly CPU (two cores, two workers);
 * the full tier's longest suites wait on rolls, drains and quiet periods, so a third worker's
 * suites fill those waits. Never more than test/helpers/nats-servers.ts has port slices for.
 */
const TIERS = {
  fast: { maxWorkers: 2, ignore: FULL_ONLY.map(([pattern]) => pattern) },
  full: { maxWorkers: 3, ignore: [] },
};

/** Suites with a control plane of their own: their pods are Ready without processes (kwok's own stages). */
const OWN_CONTROL_PLANE = [/\/test\/kubernetes\/control-plane\.kube\.test\.ts$/];

/** Whether a suite runs its stacks on the run's shared control plane (pods as processes). */
function usesSharedControlPlane(testPath) {
  return /\.kube\.test\.ts$/.test(testPath) && !OWN_CONTROL_PLANE.some((re) => re.test(testPath));
}

/** The tier a value names (undefined: full); anything else fails naming the variable. */
function tierOf(value) {
  const name = value === undefined || value === "" ? "full" : value;
  if (!Object.prototype.hasOwnProperty.call(TIERS, name)) {
    throw new Error(`${TIER_ENV}=${JSON.stringify(value)}: expected one of ${Object.keys(TIERS).join(", ")}`);
  }
  return name;
}

/** Longest first when nothing is known of the last run: control-plane suites, then the engine's, then servers', then pure ones. */
function rank(testPath) {
  if (/\.kube\.test\.ts$/.test(testPath)) return 0;
  if (/\.engine\.test\.ts$/.test(testPath)) return 1;
  if (/\.(server|promtool)\.test\.ts$/.test(testPath)) return 2;
  return 3;
}

module.exports = { TIER_ENV, SHARED_KUBE_WANTED_ENV, TIERS, FULL_ONLY, tierOf, usesSharedControlPlane, rank };
