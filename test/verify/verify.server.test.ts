/**
 * The verify command's checks against a real 3-node cluster carrying the production topology:
 * they pass on a healthy bus and fail, on the right row, for each seeded fault.
 */
import { parseStackConfig, type Phase } from "../../components/config/stack-config";
import { closeConnections } from "../../components/jetstream/client";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { jetstream } from "@nats-io/jetstream";
import { PROBE, verifyBus, type CheckRow, type VerifyOptions } from "../../scripts/lib/verify-bus";
import { engineStack, type EngineStack } from "../helpers/engine";
import { openManager } from "../helpers/jetstream";
import { NatsCluster, startCluster } from "../helpers/nats-servers";
import { describeCluster } from "../helpers/tier";

const failing = (rows: CheckRow[]) => rows.filter((r) => !r.pass).map((r) => `${r.check}: ${r.seen}`);

describeCluster("verify - the live bus checks", () => {
  let cluster: NatsCluster;
  let admin: Awaited<ReturnType<typeof openManager>>;
  const config = (phase: Phase) => parseStackConfig({ environment: "production", migrationPhase: phase, nats: { servers: cluster.urls } });
  let stack: EngineStack;
  const up = (phase: Phase) => stack.ok(["up", "--yes", "--skip-preview", "--config", `event-bus:migrationPhase=${phase}`]);
  const verify = (phase: Phase, options: VerifyOptions = {}) => verifyBus(config(phase), { servers: cluster.urls }, { observeMs: 500, probe: true, ...options });

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
      "pending on normalize-hrv-durable (AA_CORE_HOT)",
      "pending on normalize-oura (AA_VENDOR_HOT)",
      "probe on athlete-ally.hrv.raw-received stored",
      "probe counted by normalize-hrv-durable",
      "probe on vendor.oura.event-bus-probe stored",
      "probe counted by normalize-oura",
    ]);
    expect(rows.find((r) => r.check === "probe on athlete-ally.hrv.raw-received stored")!.seen).toMatch(/^in AA_CORE_HOT #\d+$/);
    expect(rows.find((r) => r.check === "probe on vendor.oura.event-bus-probe stored")!.seen).toMatch(/^in AA_VENDOR_HOT #\d+$/);
    // The probes are recognisable as probes: header, message id and body.
    const m = await admin.jsm.streams.getMessage("AA_VENDOR_HOT", { last_by_subj: "vendor.oura.event-bus-probe" });
    expect(m!.header.get(PROBE.header)).toBe("true");
    expect(m!.header.get("Nats-Msg-Id")).toMatch(/^event-bus-verify-vendor-\d+$/);
    expect(JSON.parse(m!.string())).toMatchObject({ probe: true, userId: PROBE.userId });
    expect(rows.find((r) => r.check === "pending on normalize-oura (AA_VENDOR_HOT)")!.seen).toMatch(/^\d+ not delivered, 0 not acknowledged$/);
  });

  it("production: nothing is written unless --probe says so", async () => {
    const before = (await admin.jsm.streams.info("AA_CORE_HOT")).state.last_seq;
    const rows = await verify(3, { probe: undefined });
    expect(rows.filter((r) => r.check.startsWith("probe")).map((r) => `${r.check}: ${r.seen}`)).toEqual([
      "probe on athlete-ally.hrv.raw-received: not written into production (pass --probe)",
      "probe on vendor.oura.event-bus-probe: not written into production (pass --probe)",
    ]);
    expect((await admin.jsm.streams.info("AA_CORE_HOT")).state.last_seq).toBe(before);
  });

  it("with an ingest URL, the HRV probe goes through POST /ingest/hrv", async () => {
    // A stand-in for ingest-service: it publishes what it is posted, as the seeds' service does.
    const js = jetstream(admin.nc);
    const posted: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    const ingest = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", async () => {
        posted.push({ headers: req.headers, body });
        if (req.url !== "/ingest/hrv") {
          res.writeHead(404).end();
          return;
        }
        await js.publish("athlete-ally.hrv.raw-received", body);
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => ingest.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(ingest.address() as AddressInfo).port}`;
      const rows = await verify(3, { ingestUrl: url });
      expect(rows.find((r) => r.check.startsWith("probe on athlete-ally.hrv.raw-received"))).toMatchObject({ check: `probe on athlete-ally.hrv.raw-received stored via ${url}/ingest/hrv`, pass: true });
      expect(posted).toHaveLength(1);
      expect(posted[0].headers[PROBE.header.toLowerCase()]).toBe("true");
      expect(JSON.parse(posted[0].body)).toMatchObject({ probe: true, userId: PROBE.userId, rmssd: 55 });
      expect(failing(rows)).toEqual([]);
    } finally {
      await new Promise((r) => ingest.close(r));
    }
  });

  it("a missing consumer fails its row, its pending count and its probe's", async () => {
    await admin.jsm.consumers.delete("AA_CORE_HOT", "normalize-hrv-durable");
    try {
      expect(failing(await verify(3))).toEqual([
        expect.stringMatching(/^consumer normalize-hrv-durable on AA_CORE_HOT: consumer not found/),
        "pending on normalize-hrv-durable (AA_CORE_HOT): durable missing",
        "probe counted by normalize-hrv-durable: durable missing",
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

  it("after a rollback, a durable the hand-over created by start sequence is as configured", async () => {
    // 2 -> 1: the legacy stream claims the core subjects back, after messages it already holds
    // (the strays above), so normalize-hrv-durable is created there by start sequence. Nothing
    // reads the probes left on the hot durable, so the move is told not to wait (forceDelete).
    await stack.ok(["up", "--yes", "--skip-preview", "--config", "event-bus:migrationPhase=1", "--config", "event-bus:forceDelete=true"]);
    const live = await admin.jsm.consumers.info("ATHLETE_ALLY_EVENTS", "normalize-hrv-durable");
    expect(live.config.deliver_policy).toBe("by_start_sequence");
    const rows = await verify(1, { probe: false });
    expect(rows.filter((r) => r.check.startsWith("consumer ")).map((r) => [r.check, r.pass])).toEqual([
      ["consumer normalize-hrv-durable on ATHLETE_ALLY_EVENTS", true],
      ["consumer normalize-oura on AA_VENDOR_HOT", true],
    ]);
  }, 90_000);

  it("phase 3 inside the legacy stream's quiet period: the stream is held, and verify passes while it receives nothing", async () => {
    // Back to phase 2; a stray lands on the legacy stream, so its 14-day quiet period starts now.
    await stack.ok(["up", "--yes", "--skip-preview", "--config", "event-bus:migrationPhase=2", "--config", "event-bus:forceDelete=true"]);
    await admin.nc.request("ATHLETE_ALLY_EVENTS", "stray", { timeout: 5_000 });
    // (`--config` writes to the stack file: forceDelete, set above, would retire the stream at once.)
    await stack.ok(["up", "--yes", "--skip-preview", "--config", "event-bus:migrationPhase=3", "--config", "event-bus:forceDelete=false"]);
    expect((await admin.jsm.streams.info("ATHLETE_ALLY_EVENTS")).state.messages).toBeGreaterThan(0);
    const rows = await verify(3, { probe: false });
    const legacy = rows.find((r) => r.check === "legacy stream ATHLETE_ALLY_EVENTS idle")!;
    expect(legacy).toMatchObject({ pass: true, seen: expect.stringMatching(/^held \(stream ATHLETE_ALLY_EVENTS: received its last message at \S+; it is retired only after 14d without one \(not before \S+\)\); no new messages$/) });
    expect(failing(rows)).toEqual([]);
  }, 120_000);
});
