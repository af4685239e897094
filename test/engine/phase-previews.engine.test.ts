/**
 * Every phase step and rollback previewed before its `pulumi up`, through the real engine on the
 * local stack: each preview plans exactly the resources that carry what moves (the stream that
 * gives the subjects up, the one that takes them, the durable that follows them; phase 3 deletes
 * only the legacy stream, and the step back only makes it again), with no replace, and the up then
 * does exactly what its preview planned. Each preview also prints the step's plan in the bus's
 * terms (components/plan), and the up then does what it said: the same subjects moved, the same
 * durables moved, each starting after the sequence it named, the legacy stream retired when it said.
 */
import { closeConnections } from "../../components/jetstream/client";
import { subjectMoves } from "../../components/plan/step-plan";
import { engineStack, plannedSteps, printedPlan, type EngineStack } from "../helpers/engine";
import { openManager, publishStored } from "../helpers/jetstream";
import { startServer, type ServerNode } from "../helpers/nats-servers";

/** What an up did, from its summary: resource name -> operation, as the preview names them. */
function appliedSteps(upOutput: string): Array<[string, string]> {
  const verbs: Record<string, string> = { created: "create", updated: "update", deleted: "delete", replaced: "replace", "creating replacement": "create-replacement", "deleting original": "delete-replaced" };
  const out: Array<[string, string]> = [];
  for (const m of upOutput.matchAll(/^\s+[+~-]+\s+\S+ (\S+) (created|updated|deleted|replaced)\b/gm)) {
    if (m[1] !== "event-bus-local") out.push([verbs[m[2]], m[1]]);
  }
  return out.sort();
}

/** Each step, and what it moves: the streams that give up and take the subjects, and the durable that follows them. */
const VENDOR_MOVE = [["update", "event-bus-consumer-oura"], ["update", "event-bus-stream-legacy"], ["update", "event-bus-stream-vendor"]];
const CORE_MOVE = [["update", "event-bus-consumer-hrv"], ["update", "event-bus-stream-core"], ["update", "event-bus-stream-legacy"]];
const WALK = [
  { to: "0, mode single -> multi", phase: 0, mode: "multi", plan: [] as string[][] },
  { to: "0 -> 1", phase: 1, mode: "multi", plan: VENDOR_MOVE },
  { to: "1 -> 2", phase: 2, mode: "multi", plan: CORE_MOVE },
  { to: "2 -> 3 (the legacy stream retired after its quiet period)", phase: 3, mode: "multi", plan: [["delete", "event-bus-stream-legacy"]] },
  { to: "3 -> 2 (rollback: the legacy stream made again, capturing nothing of ours)", phase: 2, mode: "multi", plan: [["create", "event-bus-stream-legacy"]] },
  { to: "2 -> 1 (rollback)", phase: 1, mode: "multi", plan: CORE_MOVE },
  { to: "1 -> 0 (rollback)", phase: 0, mode: "multi", plan: VENDOR_MOVE },
];

describe("engine - every phase step and rollback previewed: the plan is what up does", () => {
  let server: ServerNode;
  let stack: EngineStack;
  let admin: Awaited<ReturnType<typeof openManager>>;
  /** What each stream captures, and where each durable is, with the sequence it starts after. */
  const bus = async () => {
    const subjects: Record<string, string[]> = {};
    const durables: Record<string, { stream: string; startsAfter: number }> = {};
    for await (const si of admin.jsm.streams.list()) {
      subjects[si.config.name] = si.config.subjects ?? [];
      for await (const ci of admin.jsm.consumers.list(si.config.name)) durables[ci.name] = { stream: si.config.name, startsAfter: ci.config.opt_start_seq ? ci.config.opt_start_seq - 1 : 0 };
    }
    const phase = (await stack.ok(["stack", "output", "migrationPhase"])).stdout.trim();
    return { subjects, durables, phase: Number(phase) };
  };
  beforeAll(async () => {
    server = await startServer();
    admin = await openManager([server.url]);
    stack = await engineStack("local", { overrides: { nats: { servers: [server.url] }, migrationPhase: 0, mode: "single", retention: { legacyQuietPeriod: "1s" } } });
    await stack.ok(["up", "--yes", "--skip-preview"]);
  }, 120_000);
  afterAll(async () => {
    await admin?.close();
    await closeConnections();
    stack?.remove();
    await server?.stop();
  });

  it.each(WALK)("$to: previewed, then applied as planned", async ({ phase, mode, plan }) => {
    await stack.ok(["config", "set", "event-bus:migrationPhase", String(phase)]);
    await stack.ok(["config", "set", "event-bus:mode", mode]);
    // Something else the legacy stream captures until phase 2 is published (no durable reads it),
    // so that its sequence has moved on when a durable moves back to it.
    if (phase < 3) await publishStored(admin.nc, "sleep.night", `before ${phase}`).catch(() => undefined);
    if (phase === 3) await new Promise((r) => setTimeout(r, 1_500)); // the legacy stream's quiet period (1s) passes
    const before = await bus();
    const preview = (await stack.ok(["preview", "--json"])).stdout;
    const planned = plannedSteps(preview)
      .filter(([op]) => op !== "same" && op !== "read")
      .sort();
    const said = printedPlan(preview);
    const up = await stack.ok(["up", "--yes", "--skip-preview"]);
    console.log(`${phase}: planned ${JSON.stringify(planned)}\n${said.join("\n")}`);
    expect(planned).toEqual(plan);
    expect(appliedSteps(up.stdout)).toEqual(planned);
    await stack.ok(["preview", "--expect-no-changes"]);

    // The printed plan against what the up did on the server.
    const after = await bus();
    expect(said[0]).toMatch(new RegExp(`^Step plan: phase ${before.phase === phase ? phase : `${before.phase} -> ${phase}`}, mode .*\\(the bus: live;`));
    const subjectsSaid = said.flatMap((l) => /^ {2}subject (\S+): (\S+) -> (\S+)/.exec(l)?.slice(1) ?? []);
    const subjectsDone = subjectMoves(before.subjects, after.subjects).flatMap((m) => [m.subject, m.from ?? "?", m.to ?? "?"]);
    expect(subjectsSaid).toEqual(subjectsDone);
    const durablesSaid = said.flatMap((l) => /^ {2}durable (\S+): (\S+) -> (\S+), starts after (\S+) sequence (\d+)/.exec(l)?.slice(1) ?? []);
    const durablesDone = Object.entries(after.durables)
      .filter(([name, d]) => before.durables[name]?.stream !== d.stream)
      .flatMap(([name, d]) => [name, before.durables[name]?.stream ?? "(new)", d.stream, d.stream, String(d.startsAfter)]);
    expect(durablesSaid).toEqual(durablesDone);
    const legacySaid = said.find((l) => l.startsWith("Legacy stream"));
    expect({ legacySaid: /deleted now/.test(legacySaid ?? ""), gone: !("ATHLETE_ALLY_EVENTS" in after.subjects) && "ATHLETE_ALLY_EVENTS" in before.subjects }).toEqual({ legacySaid: phase === 3, gone: phase === 3 });
  }, 180_000);

  it("ends where it began: phase 0 has the legacy stream capturing everything", async () => {
    const { jsm, close } = await openManager([server.url]);
    try {
      expect((await jsm.streams.info("ATHLETE_ALLY_EVENTS")).config.subjects).toEqual(["athlete-ally.>", "vendor.oura.>", "sleep.*"]);
    } finally {
      await close();
    }
  });
});
