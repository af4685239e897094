/**
 * Every phase step and rollback previewed before its `pulumi up`, through the real engine on the
 * local stack: each preview plans exactly the resources that carry what moves (the stream that
 * gives the subjects up, the one that takes them, the durable that follows them; phase 3 deletes
 * only the legacy stream, and the step back only makes it again), with no replace, and the up then
 * does exactly what its preview planned.
 */
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, plannedSteps, type EngineStack } from "../helpers/engine";
import { openManager } from "../helpers/jetstream";
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
  beforeAll(async () => {
    server = await startServer();
    stack = await engineStack("local", { overrides: { nats: { servers: [server.url] }, migrationPhase: 0, mode: "single", retention: { legacyQuietPeriod: "1s" } } });
    await stack.ok(["up", "--yes", "--skip-preview"]);
  }, 120_000);
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    await server?.stop();
  });

  it.each(WALK)("$to: previewed, then applied as planned", async ({ phase, mode, plan }) => {
    await stack.ok(["config", "set", "event-bus:migrationPhase", String(phase)]);
    await stack.ok(["config", "set", "event-bus:mode", mode]);
    if (phase === 3) await new Promise((r) => setTimeout(r, 1_500)); // the legacy stream's quiet period (1s) passes
    const planned = plannedSteps((await stack.ok(["preview", "--json"])).stdout)
      .filter(([op]) => op !== "same")
      .sort();
    const up = await stack.ok(["up", "--yes", "--skip-preview"]);
    console.log(`${phase}: planned ${JSON.stringify(planned)}`);
    expect(planned).toEqual(plan);
    expect(appliedSteps(up.stdout)).toEqual(planned);
    await stack.ok(["preview", "--expect-no-changes"]);
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
