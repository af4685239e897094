/**
 * The verify command's checks against a real 3-node cluster carrying the production topology:
 * they pass on a healthy bus and fail, on the right row, for each seeded fault.
 */
import { parseStackConfig, type Phase } from "../../components/config/stack-config";
import { closeConnections } from "../../components/jetstream/client";
import { verifyBus, type CheckRow } from "../../scripts/lib/verify-bus";
import { engineStack, type EngineStack } from "../helpers/engine";
import { openManager } from "../helpers/jetstream";
import { NatsCluster, startCluster } from "../helpers/nats-servers";

const failing = (rows: CheckRow[]) => rows.filter((r) => !r.pass).map((r) => `${r.check}: ${r.seen}`);

describe("verify - the live bus checks", () => {
  let cluster: NatsCluster;
  let admin: Awaited<ReturnType<typeof openManager>>;
  const config = (phase: Phase) => parseStackConfig({ environment: "production", migrationPhase: phase, nats: { servers: cluster.urls } });
  let stack: EngineStack;
  const up = (phase: Phase) => stack.ok(["up", "--yes", "--skip-preview", "--config", `event-bus:migrationPhase=${phase}`]);
  const verify = (phase: Phase) => verifyBus(config(phase), { servers: cluster.urls }, { observeMs: 500 });

  beforeAll(async () => {
    cluster = await startCluster(3);
    admin = await openManager(cluster.urls);
    // The production stack from its own file, applied by the engine, without its Kubernetes part.
    stack = await engineStack("production", { overrides: { kubernetes: undefined, nats: { servers: cluster.urls }, mode: "multi" } });
    await up(3);
  });
  afterAll(async () => {
    await admin?.close();
    await closeConnections();
    stack?.remove();
    await cluster?.stop();
  });

  it("a healthy bus passes every check, the test event landing in AA_CORE_HOT", async () => {
    const rows = await verify(3);
    expect(failing(rows)).toEqual([]);
    expect(rows.map((r) => r.check)).toEqual([
      "stream AA_CORE_HOT",
      "stream AA_VENDOR_HOT",
      "stream AA_DLQ",
      "consumer normalize-hrv-durable on AA_CORE_HOT",
      "consumer normalize-oura on AA_VENDOR_HOT",
      "legacy stream ATHLETE_ALLY_EVENTS idle",
      "DLQ AA_DLQ takes no new dead letters",
      "test event on athlete-ally.hrv.raw-received stored",
      "test event counted by normalize-hrv-durable",
    ]);
    expect(rows.find((r) => r.check.startsWith("test event on"))!.seen).toMatch(/^in AA_CORE_HOT #\d+$/);
  });

  it("a missing consumer fails its row and the test event's", async () => {
    await admin.jsm.consumers.delete("AA_CORE_HOT", "normalize-hrv-durable");
    try {
      expect(failing(await verify(3))).toEqual([
        expect.stringMatching(/^consumer normalize-hrv-durable on AA_CORE_HOT: consumer not found/),
        "test event counted by normalize-hrv-durable: durable missing",
      ]);
    } finally {
      // What the provider tells a user to do: refresh (the durable drops out of state), then up.
      await stack.ok(["refresh", "--yes"]);
      await up(3);
      expect((await admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).config.filter_subject).toBe("athlete-ally.hrv.raw-received");
    }
  }, 60_000);

  it("a wrong filter fails the consumer's row, naming the field", async () => {
    await admin.jsm.consumers.update("AA_CORE_HOT", "normalize-hrv-durable", { filter_subject: "athlete-ally.hrv.>" });
    try {
      expect(failing(await verify(3))).toEqual(['consumer normalize-hrv-durable on AA_CORE_HOT: filterSubject is "athlete-ally.hrv.>", expected "athlete-ally.hrv.raw-received"']);
    } finally {
      await admin.jsm.consumers.update("AA_CORE_HOT", "normalize-hrv-durable", { filter_subject: "athlete-ally.hrv.raw-received" });
    }
  });

  it("a legacy stream still receiving after the cut-over fails the idle check", async () => {
    await up(2);
    let publishing = true;
    const publisher = (async () => {
      // The legacy stream captures only its own name in phase 2: something still writes there.
      for (let i = 0; publishing && i < 2_000; i++) {
        await admin.nc.request("ATHLETE_ALLY_EVENTS", "stray").catch(() => undefined);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      expect(failing(await verify(2))).toEqual([expect.stringMatching(/^legacy stream ATHLETE_ALLY_EVENTS idle: \d+ new messages$/)]);
    } finally {
      publishing = false;
      await publisher;
    }
  }, 60_000);
});
