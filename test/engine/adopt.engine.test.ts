/**
 * Adopting the live bus: production as it is before this project, built with the `nats` CLI
 * from the seeds' settings on a 3-node cluster (ATHLETE_ALLY_EVENTS with messages and its two
 * durables with pending messages, as create-streams.js / create-consumers.js made them; AA_DLQ
 * from phase 0 with a description of its own). The first `pulumi up` of the production stack
 * takes them over: the preview lists the differences and stops until the stack file opts in;
 * then they are made in place, and nothing is deleted, re-created or lost.
 */
import { execFileSync } from "node:child_process";
import { jetstream, type ConsumerInfo, type StreamInfo } from "@nats-io/jetstream";
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, type EngineStack } from "../helpers/engine";
import { openManager, publishStored } from "../helpers/jetstream";
import { NATS_CLI_BIN, startCluster, type NatsCluster } from "../helpers/nats-servers";

const HRV = "athlete-ally.hrv.raw-received";

describe("engine - adopting the live bus made by hand", () => {
  let cluster: NatsCluster;
  let stack: EngineStack;
  let admin: Awaited<ReturnType<typeof openManager>>;
  beforeAll(async () => {
    cluster = await startCluster(3);
    admin = await openManager(cluster.urls);
    const nats = (...args: string[]) => execFileSync(NATS_CLI_BIN, ["--server", cluster.urls.join(","), ...args], { stdio: "pipe" });
    nats("stream", "add", "ATHLETE_ALLY_EVENTS", "--subjects", "athlete-ally.>,vendor.oura.>,sleep.*", "--storage", "file", "--retention", "limits", "--discard", "old", "--max-age", "24h", "--replicas", "3", "--defaults");
    nats("stream", "add", "AA_DLQ", "--subjects", "dlq.>", "--storage", "file", "--max-age", "14d", "--replicas", "3", "--description", "Dead letters (phase 0, by hand)", "--defaults");
    for (const [durable, filter] of [
      ["normalize-hrv-durable", HRV],
      ["normalize-oura", "vendor.oura.>"],
    ]) {
      nats("consumer", "add", "ATHLETE_ALLY_EVENTS", durable, "--pull", "--filter", filter, "--ack", "explicit", "--deliver", "all", "--max-deliver", "5", "--wait", "60s", "--max-pending", "1000", "--replay", "instant", "--defaults");
    }
    for (let i = 0; i < 30; i++) await publishStored(admin.nc, HRV, `hrv-${i}`);
    for (let i = 0; i < 12; i++) await publishStored(admin.nc, "vendor.oura.sleep", `oura-${i}`);
    for (let i = 0; i < 5; i++) await publishStored(admin.nc, "sleep.night", `sleep-${i}`);
    // The service has read the first 10 HRV messages: the durable has delivery state to keep.
    const hrv = await jetstream(admin.nc).consumers.get("ATHLETE_ALLY_EVENTS", "normalize-hrv-durable");
    for await (const m of await hrv.fetch({ max_messages: 10, expires: 2_000 })) await m.ackAck();
    stack = await engineStack("production", { overrides: { kubernetes: undefined, nats: { servers: cluster.urls }, migrationPhase: 0, mode: "single" } });
  });
  afterAll(async () => {
    await admin?.close();
    await closeConnections();
    stack?.remove();
    await cluster?.stop();
  });

  const snapshot = async () => {
    const streams: Record<string, Pick<StreamInfo, "created"> & { messages: number; lastSeq: number; description?: string }> = {};
    const durables: Record<string, Pick<ConsumerInfo, "created" | "num_pending"> & { acked: number }> = {};
    for await (const si of admin.jsm.streams.list()) {
      streams[si.config.name] = { created: si.created, messages: si.state.messages, lastSeq: si.state.last_seq, description: si.config.description };
      for await (const ci of admin.jsm.consumers.list(si.config.name)) durables[`${si.config.name}/${ci.name}`] = { created: ci.created, num_pending: ci.num_pending, acked: ci.ack_floor.stream_seq };
    }
    return { streams, durables };
  };

  it("the preview lists the differences and changes nothing; the opt-in in the stack file makes them in place; nothing is lost or re-created", async () => {
    const before = await snapshot();
    expect(Object.keys(before.streams).sort()).toEqual(["AA_DLQ", "ATHLETE_ALLY_EVENTS"]);
    expect(before.durables["ATHLETE_ALLY_EVENTS/normalize-hrv-durable"]).toMatchObject({ num_pending: 20 });

    // The engine stops a preview at the first resource whose check fails; the streams are checked
    // concurrently, so that is the legacy stream or the DLQ, each with its exact differences.
    const preview = await stack.run(["preview"]);
    const said = preview.stdout + preview.stderr;
    expect(preview.code).not.toBe(0);
    const refusals = [
      /stream ATHLETE_ALLY_EVENTS: already exists on the server with a different configuration: description: \(default\) -> "athlete-ally events, single-stream topology \(being retired\)"; allowDirect: true -> false\. Nothing was changed\./,
      /stream AA_DLQ: already exists on the server with a different configuration: description: "Dead letters \(phase 0, by hand\)" -> "dead letters of every consumer"; allowDirect: true -> false\. Nothing was changed\./,
    ];
    expect(refusals.filter((r) => r.test(said)).length).toBeGreaterThanOrEqual(1);
    expect(said).toMatch(/set `event-bus:adoptExisting: "true"` in the stack file/);
    // The durables made by the seeds' script already match: they are taken over as they are.
    expect(said).not.toMatch(/consumer normalize-hrv-durable on stream ATHLETE_ALLY_EVENTS: already exists/);

    // `pulumi up` previews first, so it stops the same way, before any server is touched.
    const refused = await stack.run(["up", "--yes"]);
    expect(refused.code).not.toBe(0);
    expect(await snapshot()).toEqual(before);

    await stack.ok(["config", "set", "event-bus:adoptExisting", "true"]);
    const shown = await stack.ok(["preview", "--diff"]);
    // With the opt-in the preview passes and shows, per resource taken over, what changes in place.
    expect(shown.stdout).toMatch(/adopting\s*:\s*"description: \(default\) -> \\"athlete-ally events, single-stream topology \(being retired\)\\"; allowDirect: true -> false"/);
    expect(shown.stdout).toMatch(/adopting\s*:\s*"description: \\"Dead letters \(phase 0, by hand\)\\" -> \\"dead letters of every consumer\\"/);
    await stack.ok(["up", "--yes"]);

    const after = await snapshot();
    for (const name of ["ATHLETE_ALLY_EVENTS", "AA_DLQ"]) {
      expect({ name, created: after.streams[name].created, messages: after.streams[name].messages, lastSeq: after.streams[name].lastSeq }).toEqual({
        name,
        created: before.streams[name].created,
        messages: before.streams[name].messages,
        lastSeq: before.streams[name].lastSeq,
      });
    }
    expect(after.streams.ATHLETE_ALLY_EVENTS.description).toBe("athlete-ally events, single-stream topology (being retired)");
    expect(after.streams.AA_DLQ.description).toBe("dead letters of every consumer");
    for (const id of ["ATHLETE_ALLY_EVENTS/normalize-hrv-durable", "ATHLETE_ALLY_EVENTS/normalize-oura"]) expect(after.durables[id]).toEqual(before.durables[id]);
    // The streams the migration hands subjects to were created ahead, without durables.
    expect(Object.keys(after.streams).sort()).toEqual(["AA_CORE_HOT", "AA_DLQ", "AA_VENDOR_HOT", "ATHLETE_ALLY_EVENTS"]);
    expect(Object.keys(after.durables).sort()).toEqual(["ATHLETE_ALLY_EVENTS/normalize-hrv-durable", "ATHLETE_ALLY_EVENTS/normalize-oura"]);
    await stack.ok(["preview", "--expect-no-changes"]);

    // The service continues where it stopped: the 20 HRV messages it had not read, none again.
    const hrv = await jetstream(admin.nc).consumers.get("ATHLETE_ALLY_EVENTS", "normalize-hrv-durable");
    const read: string[] = [];
    for await (const m of await hrv.fetch({ max_messages: 50, expires: 2_000 })) {
      read.push(m.string());
      await m.ackAck();
    }
    expect(read).toEqual(Array.from({ length: 20 }, (_, i) => `hrv-${i + 10}`));
  }, 180_000);
});
