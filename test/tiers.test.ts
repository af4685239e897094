/**
 * The test tiers (test/tiers.js) hold what they say: the fast tier runs no suite that needs a tool
 * it does not build, the full tier runs every suite, no tier asks for more workers than there are
 * port slices, and the suites that run pods share the run's control plane.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { FULL_ONLY, rank, SHARED_KUBE_WANTED_ENV, tierOf, TIERS, usesSharedControlPlane } from "./tiers";
import { MAX_PORT_WORKERS, REPO_ROOT } from "./helpers/nats-servers";

/** Every suite in the repository, as Jest's testMatch finds them. */
function suites(dir = path.join(REPO_ROOT, "test")): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" ? [] : suites(p);
    return e.name.endsWith(".test.ts") ? [p] : [];
  });
}
const inTier = (tier: "fast" | "full") => suites().filter((p) => !TIERS[tier].ignore.some((re) => new RegExp(re).test(p)));
const rel = (p: string) => path.relative(REPO_ROOT, p);

describe("test tiers", () => {
  it("the full tier runs every suite", () => {
    expect(inTier("full").length).toBe(suites().length);
  });

  it("the fast tier runs the local stack through the engine, the field table against the server, and no control plane, promtool or other engine suite", () => {
    const fast = inTier("fast").map(rel);
    expect(fast).toContain("test/engine/local.engine.test.ts");
    expect(fast).toContain("test/jetstream/update-rules.server.test.ts");
    expect(fast).toContain("test/jetstream/field-coverage.test.ts");
    expect(fast.filter((p) => /\.(kube|promtool)\.test\.ts$/.test(p) || (p.endsWith(".engine.test.ts") && p !== "test/engine/local.engine.test.ts"))).toEqual([]);
    // What it leaves to the full tier, by name, each for a reason FULL_ONLY gives.
    const left = suites().map(rel).filter((p) => !fast.includes(p));
    expect(left).toEqual(expect.arrayContaining(["test/migration/migration.kube.test.ts", "test/migration/faults.kube.test.ts", "test/monitoring/alerts.promtool.test.ts", "test/engine/upgrade.engine.test.ts"]));
    expect(FULL_ONLY.every(([, why]) => why.length > 0)).toBe(true);
  });

  it("the tiers' workers fit the port slices, and a tier is named or refused", () => {
    for (const t of Object.values(TIERS)) expect(t.maxWorkers).toBeLessThanOrEqual(MAX_PORT_WORKERS);
    expect(tierOf(undefined)).toBe("full");
    expect(tierOf("fast")).toBe("fast");
    expect(() => tierOf("quick")).toThrow('EVENT_BUS_TEST_TIER="quick": expected one of fast, full');
  });

  it("the suites that run pods share the control plane; the fake-pod one keeps its own", () => {
    const shared = suites().filter(usesSharedControlPlane).map(rel).sort();
    expect(shared).toEqual([
      "test/engine/helm-adopt.kube.test.ts",
      "test/engine/kubernetes-adopt.kube.test.ts",
      "test/engine/kubernetes-stacks.kube.test.ts",
      "test/migration/faults.kube.test.ts",
      "test/migration/migration.kube.test.ts",
      "test/migration/secure-walk.kube.test.ts",
      "test/runbook/runbook-kubectl.kube.test.ts",
    ]);
    expect(usesSharedControlPlane(path.join(REPO_ROOT, "test/kubernetes/control-plane.kube.test.ts"))).toBe(false);
    expect(SHARED_KUBE_WANTED_ENV).toBe("EVENT_BUS_SHARED_KUBE_WANTED");
  });

  it("with nothing known of the last run, the control-plane suites start first, then the engine's, the servers', the pure ones", () => {
    expect(["a/x.test.ts", "a/y.server.test.ts", "a/z.engine.test.ts", "a/w.kube.test.ts"].sort((a, b) => rank(a) - rank(b))).toEqual(["a/w.kube.test.ts", "a/z.engine.test.ts", "a/y.server.test.ts", "a/x.test.ts"]);
  });
});
