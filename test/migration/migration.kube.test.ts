/**
 * The seeds' migration of production, through the real engine and the real Kubernetes provider,
 * with every pod a process (test/helpers/kube-stack.ts): 3 NATS pods with replicas 3, 3
 * normalize-service pods (10 for the canary steps) that bind once at startup as the seeds' code
 * does, and 3 ingest-service pods publishing throughout, choosing their expected stream with
 * NEW_TOPOLOGY_PERCENTAGE as the seeds' code does. Every step is one `pulumi up` from the
 * production stack file; Kubernetes does the rolling. Time is compressed: the legacy stream's
 * quiet period before retirement is 60 s, a pull waits at most 1 s (HRV_EXPIRES_MS).
 *
 * The walk runs twice: as it is, then with one normalize pod deleted in the middle of each step
 * once its up is changing something, before it ends (Kubernetes starts a new one mid-step). Per
 * step: published, lost, processed twice (and why), publishes refused, the longest a caller
 * retried, the longest a message waited, pods restarted, crashes, `pulumi up` seconds; the last
 * three of what callers and readers see must stay inside WALK_BOUNDS (production-run.ts).
 */
import { closeConnections } from "../../components/jetstream/client";
import { poll, sleep } from "../../components/poll";
import { plannedSteps, printedPlan } from "../helpers/engine";
import type { KubeStack } from "../helpers/kube-stack";
import { boundNow, NORMALIZE, productionRun, stopPublishing, strikeWhenUnderWay, WALK_BOUNDS } from "./production-run";
import { formatRows, overBounds, stepRows, type StepWindow } from "./walk";


interface Step {
  label: string;
  config: Record<string, unknown>;
  /** Where the durables are once the step is done (hrv, oura). */
  bound: { hrv: string; oura: string };
}

const L = "ATHLETE_ALLY_EVENTS";
const k8s = (normalizeReplicas: number, canaryPercent = 0) => ({ normalize: { ...NORMALIZE, replicas: normalizeReplicas }, canaryPercent });
const at = (phase: number, mode: "single" | "multi", kubernetes = k8s(3)) => ({ migrationPhase: phase, mode, kubernetes });
const where = (phase: number) => ({ hrv: phase >= 2 ? "AA_CORE_HOT" : L, oura: phase >= 1 ? "AA_VENDOR_HOT" : L });
/** How many normalize pods a step's configuration runs (stable and canary together). */
const normalizePods = (config: Record<string, unknown>) => (config.kubernetes as { normalize: { replicas: number } }).normalize.replicas;

const WALK: Step[] = [
  { label: "canary 10%", config: at(0, "single", k8s(10, 10)), bound: where(0) },
  { label: "canary 50%", config: at(0, "single", k8s(10, 50)), bound: where(0) },
  { label: "canary 100%", config: at(0, "single", k8s(10, 100)), bound: where(0) },
  { label: "0 multi (canary done)", config: at(0, "multi"), bound: where(0) },
  { label: "0 -> 1", config: at(1, "multi"), bound: where(1) },
  { label: "1 -> 2", config: at(2, "multi"), bound: where(2) },
  { label: "2 -> 3 (after the quiet period)", config: at(3, "multi"), bound: where(3) },
  { label: "3 -> 2 (rollback)", config: at(2, "multi"), bound: where(2) },
  { label: "2 -> 1 (rollback)", config: at(1, "multi"), bound: where(1) },
  { label: "1 -> 0 (rollback)", config: at(0, "multi"), bound: where(0) },
  { label: "0 -> 1 (again)", config: at(1, "multi"), bound: where(1) },
  { label: "1 -> 2 (again)", config: at(2, "multi"), bound: where(2) },
  { label: "2 -> 0 single (emergency switch)", config: { ...at(0, "single"), allowPhaseJump: true }, bound: where(0) },
];

describe("migration - production on Kubernetes, every pod a process, services as strict as the seeds' code", () => {
  let k: KubeStack;
  beforeAll(async () => {
    k = await productionRun(at(0, "single"));
  }, 180_000);
  afterAll(async () => {
    await closeConnections();
    await k?.stop();
  });

  /** `pulumi up` of one step: the stack file changed as a pull request would change it; `strike` runs once the up changes something. */
  const up = async (config: Record<string, unknown>, strike?: () => Promise<unknown>) => {
    k.configure(config);
    const struck = strikeWhenUnderWay(strike);
    const r = await k.stack.run(["up", "--yes", "--skip-preview"], { started: struck.started });
    return { ...r, endedAt: Date.now(), strike: await struck.done() };
  };
  /** Each service Deployment's revision (the deployment controller's count of pod template changes). */
  const revisions = async (): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await k.cluster.list("Deployment", k.namespace)).filter((d: any) => /-service(-canary)?$/.test(d.metadata.name)).map((d: any) => [d.metadata.name as string, d.metadata.annotations?.["deployment.kubernetes.io/revision"] as string]),
    );
  /** What the printed plan says of the services: each Deployment's fate, and where the normalize pods bind afterwards. */
  const servicesSaid = (plan: string[]) => ({
    rolls: Object.fromEntries(
      plan
        .map((l) => /^ {2}(\S+-service(?:-canary)?) (rolls|created|deleted|stays)\b/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
    ),
    bound: Object.fromEntries([...(plan.find((l) => l.startsWith("  afterwards: normalize-service binds")) ?? "").matchAll(/normalize-(hrv-durable|oura) on (\w+)/g)].map((m) => [m[1] === "oura" ? "oura" : "hrv", m[2]])),
  });
  /** One normalize pod deleted: its name and when. */
  const deleteNormalizePod = async () => {
    const pods = (await k.cluster.list("Pod", k.namespace, "app=normalize-service")).filter((p: any) => !p.metadata.deletionTimestamp);
    if (!pods.length) return undefined;
    await k.cluster.remove("Pod", pods[0].metadata.name, k.namespace);
    return { pod: pods[0].metadata.name as string, at: Date.now() };
  };

  it("every step and rollback, the canary and the emergency switch: 0 lost, 0 crashes, every duplicate explained; again with a pod deleted mid-step", async () => {
    const first = await up(at(0, "single"));
    if (first.code !== 0) throw new Error(`first up failed\n${first.stdout}\n${first.stderr}`);
    const windows: Array<StepWindow & { walk: number }> = [];
    for (const walk of [1, 2]) {
      for (const step of WALK) {
        let plan: string[] = [];
        await sleep(2_000); // traffic flows in each phase
        if (step.config.migrationPhase === 3) {
          // The preview keeps the legacy stream and says until when; the up after that time retires it.
          k.configure(step.config);
          const preview = await k.stack.ok(["preview"], { env: k.asPreview });
          const said = preview.stdout + preview.stderr;
          expect(said).toMatch(/stream ATHLETE_ALLY_EVENTS: received its last message at \S+; it is retired only after 60s without one \(not before \S+\)/);
          const until = Date.parse(/not before (\S+)\)/.exec(said)![1]);
          await sleep(Math.max(0, until - Date.now() + 500));
        }
        if (walk === 1) {
          // The pull request's preview of the step, as the preview job runs it: signed in as the
          // read-only event-bus-preview (the admin password is not in its environment). It plans the step.
          k.configure(step.config);
          const preview = await k.stack.run(["preview", "--json"], { env: k.asPreview });
          if (preview.code !== 0) throw new Error(`${step.label}: the read-only preview failed\n${preview.stdout.slice(-4000)}\n${preview.stderr}`);
          expect({ step: step.label, changes: plannedSteps(preview.stdout).some(([op]) => op !== "same" && op !== "read") }).toEqual({ step: step.label, changes: true });
          plan = printedPlan(preview.stdout);
          console.log(`${step.label}: the preview's plan\n${plan.join("\n")}`);
        }
        const revisionsBefore = await revisions();
        const startedAt = Date.now();
        // The second walk deletes one normalize pod once the step's up is changing something, before it ends.
        const r = await up(step.config, walk === 2 ? deleteNormalizePod : undefined);
        const upMs = r.endedAt - startedAt;
        if (r.code !== 0) throw new Error(`walk ${walk}, ${step.label}: pulumi up failed\n${r.stdout.slice(-4000)}\n${r.stderr}\n${await k.agent.describe(k.namespace)}`);
        const deleted = r.strike as { pod: string; at: number } | undefined;
        k.agent.assertHealthy();
        // Every normalize pod the step runs is ready and bound where the durables are now (a deleted pod's replacement included).
        const expected = step.bound;
        const pods = normalizePods(step.config);
        const settled = await poll({ timeoutMs: 30_000, intervalMs: 250 }, async () => {
          const b = await boundNow(k);
          return b.length === pods && b.every((x) => x.hrv === expected.hrv && x.oura === expected.oura) ? b : undefined;
        });
        expect({ walk, step: step.label, deletedMidStep: walk === 1 || (deleted !== undefined && deleted.at < r.endedAt), bound: settled ? `${pods} pods, everywhere expected` : await boundNow(k) }).toEqual({
          walk,
          step: step.label,
          deletedMidStep: true,
          bound: `${pods} pods, everywhere expected`,
        });
        if (walk === 1) {
          // The plan the preview printed, against what the up did: the Deployments it said roll rolled
          // (a new revision), and no other; those it said are made or deleted were; the pods bind where it said.
          const after = await revisions();
          const done = Object.fromEntries(
            [...new Set([...Object.keys(revisionsBefore), ...Object.keys(after)])].map((d) => [d, !revisionsBefore[d] ? "created" : !after[d] ? "deleted" : revisionsBefore[d] !== after[d] ? "rolls" : "stays"]),
          );
          expect({ step: step.label, ...servicesSaid(plan) }).toEqual({ step: step.label, rolls: done, bound: expected });
        }
        windows.push({ walk, label: `${walk === 2 ? "[pod deleted] " : ""}${step.label}`, startedAt, upMs, endsAt: Number.MAX_SAFE_INTEGER });
        if (windows.length > 1) windows[windows.length - 2].endsAt = startedAt;
      }
    }
    await sleep(2_000);
    // Publishing stops; everything published is processed within a bounded wait, or counts as lost.
    const stoppedAt = Date.now();
    windows[windows.length - 1].endsAt = stoppedAt;
    const records = await stopPublishing(k);
    const rows = stepRows(records, k.agent.events, windows);
    console.log(`migration walk, production on Kubernetes (3 NATS pods R3, 3 normalize pods, 10 for the canary, 3 ingest pods):\n${formatRows(rows)}`);
    const published = records.filter((r) => r.t === "published").length;
    const processed = new Set(records.filter((r) => r.t === "processed").map((r) => (r as { id: string }).id)).size;
    console.log(`published ${published} events, processed ${processed} distinct; crashes ${k.agent.crashes().length}`);

    expect(published).toBeGreaterThan(5_000);
    for (const r of rows) {
      expect({ step: r.step, lost: r.lost, crashes: r.crashes, unexplained: r.twiceWhy.includes("unexplained") }).toEqual({ step: r.step, lost: 0, crashes: 0, unexplained: false });
    }
    // What ingest's callers and the readers saw, step by step, inside the bounds production-run.ts states.
    expect(rows.flatMap((r) => overBounds(r, WALK_BOUNDS))).toEqual([]);
    expect(k.agent.crashes()).toEqual([]);
  }, 1_800_000);
});
