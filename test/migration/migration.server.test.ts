/**
 * The seeds' migration, judged by services that bind as the seeds' normalize-service does (a
 * double with 3 replicas: test/helpers/service-double.ts), on a real 3-node cluster with
 * replicas 3, every step one real `pulumi up` of the production stack (its own stack file, the
 * cluster's addresses, no Kubernetes part). A retrying publisher sends HRV, sleep and Oura events
 * throughout. Time is compressed: the legacy stream keeps messages 20 s (a message left where no
 * service reads it ages out and counts as lost), and its quiet period before retirement is 20 s
 * (the first 2 -> 3 keeps the stream, its preview saying until when; the next one retires it).
 *
 * The walk: 0 single -> 0 multi (the services restart) -> 1 -> 2 -> 3 -> 2 -> 1 -> 0 -> 1 -> 2,
 * then the seeds' emergency switch back to single (phase 0, mode single, in one `pulumi up`).
 * For each step: messages lost, processed twice, overlap errors, and the catch-up time (from
 * the start of the step until everything published before it was processed).
 */
import { parseStackConfig, type Phase } from "../../components/config/stack-config";
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, type EngineStack } from "../helpers/engine";
import { openManager } from "../helpers/jetstream";
import { NatsCluster, startCluster } from "../helpers/nats-servers";
import { ServiceDouble, type DurableBinding, type StreamMode } from "../helpers/service-double";
import { Publisher } from "../helpers/traffic";
import { poll } from "../../components/poll";

const HRV = "athlete-ally.hrv.raw-received";
const OURA = "vendor.oura.sleep";
const SUBJECTS = [HRV, "sleep.night", OURA];
const CONSUMED = new Set([HRV, OURA]);

interface Step {
  phase: Phase;
  mode: StreamMode;
  label: string;
}
const WALK: Step[] = [
  { phase: 0, mode: "multi", label: "0 single -> 0 multi" },
  { phase: 1, mode: "multi", label: "0 -> 1" },
  { phase: 2, mode: "multi", label: "1 -> 2" },
  { phase: 3, mode: "multi", label: "2 -> 3" },
  { phase: 2, mode: "multi", label: "3 -> 2 (rollback)" },
  { phase: 1, mode: "multi", label: "2 -> 1 (rollback)" },
  { phase: 0, mode: "multi", label: "1 -> 0 (rollback)" },
  { phase: 1, mode: "multi", label: "0 -> 1 (again)" },
  { phase: 2, mode: "multi", label: "1 -> 2 (again)" },
  { phase: 0, mode: "single", label: "2 -> 0 single (emergency switch)" },
];

/** The event-bus resources a `pulumi up` changed, as its output lists them. */
function changedResources(output: string): string[] {
  return [...output.matchAll(/^\s*(\+-|[+~-])\s+pulumi-nodejs:dynamic\/event-bus:(?:Stream|Consumer) event-bus-(\S+) (created|updated|deleted|replaced)/gm)].map((m) => `${m[3]} ${m[2]}`);
}

describe("migration - services bound as the seeds' normalize-service, through every step and rollback on 3 nodes, replicas 3", () => {
  let cluster: NatsCluster;
  let stack: EngineStack;
  beforeAll(async () => {
    cluster = await startCluster(3);
    stack = await engineStack("production", {
      overrides: {
        kubernetes: undefined,
        nats: { servers: cluster.urls },
        retention: { legacyMaxAge: "20s", legacyQuietPeriod: "20s" },
        migrationPhase: 0,
        mode: "single",
      },
    });
  });
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    await cluster?.stop();
  });

  it("loses nothing, processes nothing twice, never meets the overlap error; each step catches up", async () => {
    const up = (s: { phase: Phase; mode: StreamMode }) =>
      stack.run(["up", "--yes", "--skip-preview", "--config", `event-bus:migrationPhase=${s.phase}`, "--config", `event-bus:mode=${s.mode}`]);
    const flagsOf = async () => JSON.stringify((JSON.parse((await stack.ok(["stack", "output", "--json"])).stdout) as { flags: unknown }).flags);
    const first = await up({ phase: 0, mode: "single" });
    expect(first.code).toBe(0);

    const names = parseStackConfig({ environment: "production", nats: { servers: cluster.urls } }).streams;
    const bindings: DurableBinding[] = [
      { key: "hrv", durable: "normalize-hrv-durable", hot: names.core, legacy: names.legacy },
      { key: "oura", durable: "normalize-oura", hot: names.vendor, legacy: names.legacy },
    ];
    const { nc, jsm, close } = await openManager(cluster.urls);
    const publisher = new Publisher(nc, 50_000, 300_000);
    const service = new ServiceDouble(nc, bindings, 3);
    service.start("single");
    publisher.start(SUBJECTS, 2);
    let flags = await flagsOf();

    const steps: Array<{ label: string; startedAt: number; upMs: number; restarted: boolean; changed: string[]; durables: string[]; bound: string }> = [];
    try {
      for (const step of WALK) {
        await new Promise((r) => setTimeout(r, 1_500)); // traffic flows in each phase
        const startedAt = Date.now();
        if (step.phase === 3) {
          // The legacy stream received its last message seconds ago. The preview already keeps it
          // and says until when; the up keeps it too (nothing fails); the one after the quiet period retires it.
          const preview = await stack.ok(["preview", "--config", `event-bus:migrationPhase=3`, "--config", `event-bus:mode=multi`]);
          const said = preview.stdout + preview.stderr;
          expect(said).toMatch(/stream ATHLETE_ALLY_EVENTS: received its last message at \S+; it is retired only after 20s without one \(not before \S+\); it stays in this phase until then/);
          expect(said).not.toMatch(/event-bus-stream-legacy delete/);
          const held = await up(step);
          expect(held.code).toBe(0);
          expect(changedResources(held.stdout)).toEqual([]);
          expect((await jsm.streams.info(names.legacy)).config.name).toBe(names.legacy);
          const until = Date.parse(/not before (\S+)\)/.exec(said)![1]);
          await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now() + 200)));
        }
        const applied = await up(step);
        if (applied.code !== 0) throw new Error(`${step.label}: pulumi up failed\n${applied.stdout}\n${applied.stderr}`);
        const upMs = Date.now() - startedAt;
        // The Deployments roll after the durables are in place, and only when the flags changed.
        const next = await flagsOf();
        const restarted = next !== flags;
        if (restarted) await service.rollTo(step.mode);
        flags = next;

        // A durable exists only where the services must bind, and every replica is bound there.
        const durables: string[] = [];
        for await (const si of jsm.streams.list()) for await (const ci of jsm.consumers.list(si.config.name)) durables.push(`${si.config.name}/${ci.name}`);
        const expected = { hrv: step.phase >= 2 ? names.core : names.legacy, oura: step.phase >= 1 ? names.vendor : names.legacy };
        expect(durables.sort()).toEqual([`${expected.hrv}/normalize-hrv-durable`, `${expected.oura}/normalize-oura`].sort());
        for (let i = 0; i < 100 && !(service.boundStreams("hrv").every((s) => s === expected.hrv) && service.boundStreams("oura").every((s) => s === expected.oura)); i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        expect({ step: step.label, hrv: service.boundStreams("hrv"), oura: service.boundStreams("oura") }).toEqual({
          step: step.label,
          hrv: [expected.hrv, expected.hrv, expected.hrv],
          oura: [expected.oura, expected.oura, expected.oura],
        });
        steps.push({ label: step.label, startedAt, upMs, restarted, changed: changedResources(applied.stdout), durables, bound: `hrv on ${expected.hrv}, oura on ${expected.oura}` });
      }
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await publisher.stop();
      // Everything published is processed within a bounded wait, or counts as lost.
      const wanted = [...publisher.published.entries()].filter(([, p]) => CONSUMED.has(p.subject)).map(([id]) => id);
      await poll({ timeoutMs: 30_000, intervalMs: 200 }, () => (wanted.every((id) => service.counts.has(id)) ? true : undefined));
      await service.stop();
      await close();
    }

    const published = [...publisher.published.entries()].filter(([, p]) => CONSUMED.has(p.subject));
    const endOf = (i: number) => (i + 1 < steps.length ? steps[i + 1].startedAt : Number.MAX_SAFE_INTEGER);
    const startOf = (i: number) => (i === 0 ? 0 : steps[i].startedAt);
    const rows = steps.map((s, i) => {
      const mine = published.filter(([, p]) => p.at >= startOf(i) && p.at < endOf(i));
      const before = published.filter(([, p]) => p.at < s.startedAt);
      const lost = mine.filter(([id]) => !service.counts.has(id)).length;
      const twice = mine.filter(([id]) => (service.counts.get(id) ?? 0) > 1).length;
      const overlap = publisher.refusals.filter((r) => r.at >= startOf(i) && r.at < endOf(i) && /overlap/i.test(r.reason)).length;
      const unprocessed = before.filter(([id]) => !service.processedAt.has(id)).length;
      const caughtUp = unprocessed ? Number.NaN : Math.max(0, ...before.map(([id]) => service.processedAt.get(id)! - s.startedAt));
      // How long a message published during the step waited for a service (the switch's cost).
      const during = mine.filter(([, p]) => p.at >= s.startedAt && p.at < s.startedAt + s.upMs);
      const waitedMs = Math.max(0, ...during.map(([id, p]) => (service.processedAt.get(id) ?? Number.NaN) - p.at));
      return { step: s.label, published: mine.length, lost, twice, overlap, catchUpMs: caughtUp, maxWaitDuringUpMs: waitedMs, upMs: s.upMs, restarted: s.restarted, changed: s.changed.join(", ") };
    });
    console.log(`migration with the service double (3 replicas):\n${rows.map((r) => JSON.stringify(r)).join("\n")}`);
    const fallbacks = service.logs.filter((l) => l.includes("Trying next candidate")).length;
    console.log(`processed ${service.counts.size} of ${published.length} messages; ${fallbacks} "Trying next candidate" lines; publisher refusals ${publisher.refusals.length}`);

    expect(published.length).toBeGreaterThan(2_000);
    expect([...publisher.published.values()].filter((p) => p.duplicate)).toEqual([]);
    for (const r of rows) expect({ step: r.step, lost: r.lost, twice: r.twice, overlap: r.overlap }).toEqual({ step: r.step, lost: 0, twice: 0, overlap: 0 });
    for (const r of rows) expect({ step: r.step, caughtUp: Number.isFinite(r.catchUpMs) }).toEqual({ step: r.step, caughtUp: true });
    expect(rows.filter((r) => r.restarted).map((r) => r.step)).toEqual(["0 single -> 0 multi", "2 -> 0 single (emergency switch)"]);
  }, 420_000);
});
