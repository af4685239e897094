/**
 * The program's look at the bus before a phase that retires the legacy stream (components/topology/bus-look.ts),
 * against a real server: durables that have not drained the legacy stream hold it (the preview
 * keeps it and says why), and a server that can not be reached makes the look judge nothing while
 * the provider's delete still refuses.
 */
import * as net from "node:net";
import * as pulumi from "@pulumi/pulumi";
import { AckPolicy, jetstream } from "@nats-io/jetstream";
import { parseStackConfig, type StackConfig } from "../../components/config/stack-config";
import { closeConnections } from "../../components/jetstream/client";
import type { ConnectionArgs } from "../../components/jetstream/connection-args";
import * as streams from "../../components/providers/stream-provider";
import { LOOK_TIMEOUT_MS, lookAtBus, unseenWarning } from "../../components/topology/bus-look";
import { computeTopology } from "../../components/topology/topology";
import { addStream, openManager, publishStored, waitFor } from "../helpers/jetstream";
import { freePort, startServer, type ServerNode } from "../helpers/nats-servers";

describe("the program's look at the legacy stream", () => {
  let server: ServerNode;
  let admin: Awaited<ReturnType<typeof openManager>>;
  const configFor = (phase: number, servers: string[]): StackConfig =>
    parseStackConfig({ environment: "local", migrationPhase: phase, nats: { servers }, retention: { legacyQuietPeriod: "1s" } });

  beforeAll(async () => {
    server = await startServer();
    admin = await openManager([server.url]);
  });
  afterAll(async () => {
    await admin?.close();
    await closeConnections();
    await server?.stop();
  });

  /** The legacy stream with two messages a durable has not read, quiet for longer than its quiet period. */
  async function undrainedLegacy(c: StackConfig): Promise<void> {
    await addStream(admin.jsm, { name: c.streams.legacy, subjects: ["legacy-look.>"] });
    await admin.jsm.consumers.add(c.streams.legacy, { durable_name: "reader", ack_policy: AckPolicy.Explicit });
    for (let i = 0; i < 2; i++) await publishStored(admin.nc, "legacy-look.hrv", String(i));
    const last = Date.parse((await admin.jsm.streams.info(c.streams.legacy)).state.last_ts);
    await new Promise((r) => setTimeout(r, Math.max(0, last + 1_100 - Date.now())));
  }

  afterEach(async () => {
    for await (const name of admin.jsm.streams.names()) await admin.jsm.streams.delete(name);
  });

  it("undrained: in the phase that retires it, the legacy stream is held, saying which durable has what left; once drained nothing holds it", async () => {
    const c = configFor(3, [server.url]);
    await undrainedLegacy(c);
    // Before the retiring phase it is not looked at.
    const before = await lookAtBus(configFor(2, [server.url]), pulumi.output({ servers: [server.url] }));
    expect({ seen: before.seen, legacyHold: before.legacyHold }).toEqual({ seen: "seen", legacyHold: undefined });

    const look = await lookAtBus(c, pulumi.output({ servers: [server.url] }));
    expect({ seen: look.seen, legacyHold: look.legacyHold }).toEqual({
      seen: "seen",
      legacyHold: `stream ${c.streams.legacy}: holds 2 messages and its consumers have not drained it (reader: 2 undelivered, 0 unacknowledged)`,
    });
    // Held, the preview keeps the legacy stream instead of planning a delete the provider would refuse.
    const held = computeTopology(c, undefined, { legacyHold: look.legacyHold });
    expect(held.streams.map((s) => s.role)).toContain("legacy");
    expect(computeTopology(c).streams.map((s) => s.role)).not.toContain("legacy");

    const reader = await jetstream(admin.nc).consumers.get(c.streams.legacy, "reader");
    for (let i = 0; i < 2; i++) await (await reader.next())!.ackAck();
    await waitFor("the reader's acks to be recorded", async () => (await admin.jsm.consumers.info(c.streams.legacy, "reader")).num_ack_pending === 0);
    const drained = await lookAtBus(c, pulumi.output({ servers: [server.url] }));
    expect({ seen: drained.seen, legacyHold: drained.legacyHold }).toEqual({ seen: "seen", legacyHold: undefined });
  });

  it("unreachable: the look judges nothing and says so, and the provider's delete still refuses the undrained stream", async () => {
    const c = configFor(3, [server.url]);
    await undrainedLegacy(c);

    // The server stopped: refused connections.
    await server.halt();
    try {
      const look = await lookAtBus(c, pulumi.output({ servers: [server.url] }));
      expect(look).toEqual({ seen: "unreachable" });
      expect(unseenWarning(look, [server.url])).toMatch(/the bus was not looked at \(no answer from nats:\/\/127\.0\.0\.1:\d+, waited up to 10 s\).*the legacy stream's retirement was not judged/);
    } finally {
      await server.start();
      // The test's own connection gave up on the stopped server: a new one.
      await admin.close();
      admin = await openManager([server.url]);
    }

    // A listener that takes the connection and never answers.
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => void held.push(socket));
    const port = await freePort();
    await new Promise<void>((r) => silent.listen(port, "127.0.0.1", () => r()));
    try {
      const started = Date.now();
      const connection: ConnectionArgs = { servers: [`nats://127.0.0.1:${port}`], connectTimeoutMs: 1_000 };
      expect(await lookAtBus(configFor(3, connection.servers), pulumi.output(connection))).toEqual({ seen: "unreachable" });
      // It did ask the listener (not failed before connecting, which also reads as "unreachable")...
      expect(held.length).toBeGreaterThan(0);
      // ...and gave up by its deadline, not never: a bound generous for a slow machine that only a
      // look ignoring LOOK_TIMEOUT_MS reaches.
      expect(Date.now() - started).toBeLessThan(2 * LOOK_TIMEOUT_MS + 5_000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((r) => silent.close(r));
    }

    // The look left the judgement to the provider, whose delete refuses what has not been drained.
    const connection = { servers: [server.url] };
    const { props } = await streams.read(c.streams.legacy, { name: c.streams.legacy, claims: {}, deleteWhenDrained: true, quietPeriod: "1s", connection } as unknown as streams.StreamOutputs);
    await expect(streams.deleteStream(c.streams.legacy, props!)).rejects.toThrow(/holds 2 messages and its consumers have not drained it \(reader: 2 undelivered, 0 unacknowledged\); refusing to delete it/);
    expect((await admin.jsm.streams.info(c.streams.legacy)).state.messages).toBe(2);
  });
});
