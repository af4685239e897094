/**
 * The `local` stack under the real Pulumi engine (pulumi preview / up / refresh / destroy) on a
 * real nats-server: what a user sees from the first preview to the last destroy.
 */
import { execFileSync } from "node:child_process";
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, plannedOps, type EngineStack } from "../helpers/engine";
import { openManager, publishStored } from "../helpers/jetstream";
import { NATS_CLI_BIN, startServer, type ServerNode } from "../helpers/nats-servers";

describe("engine - the local stack through pulumi preview, up, refresh and destroy", () => {
  let server: ServerNode;
  let stack: EngineStack;
  beforeAll(async () => {
    server = await startServer();
    stack = await engineStack("local", { overrides: { nats: { servers: [server.url] } } });
  });
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    await server?.stop();
  });

  const streamInfo = async (name: string) => {
    const { jsm, close } = await openManager([server.url]);
    try {
      return await jsm.streams.info(name);
    } finally {
      await close();
    }
  };

  it("preview plans the creates, up makes them, and a second preview plans nothing", async () => {
    const first = await stack.ok(["preview", "--json"]);
    expect(plannedOps(first.stdout)).toEqual({ create: 6 });
    await stack.ok(["up", "--yes"]);
    expect((await streamInfo("AA_CORE_HOT")).config.subjects).toEqual(["athlete-ally.>", "sleep.*"]);
    await stack.ok(["preview", "--expect-no-changes"]);
    const again = await stack.ok(["preview", "--json"]);
    expect(plannedOps(again.stdout)).toEqual({});
  }, 120_000);

  it("a hand edit with the nats CLI shows in refresh, and the next up restores the stack's settings", async () => {
    execFileSync(NATS_CLI_BIN, ["--server", server.url, "stream", "edit", "AA_VENDOR_HOT", "--description", "edited by hand", "--max-age", "1h", "-f"], { stdio: "pipe" });
    const refresh = await stack.ok(["refresh", "--yes", "--diff"]);
    expect(refresh.stdout).toMatch(/~ pulumi-nodejs:dynamic\/event-bus:Stream: \(update\)\s+\[id=AA_VENDOR_HOT\]/);
    expect(refresh.stdout).toMatch(/~ description\s+: "vendor webhook events \(hot\)" => "edited by hand"/);
    expect(refresh.stdout).toMatch(/~ maxAge\s+: "2d" => "1h"/);
    const preview = await stack.ok(["preview", "--json"]);
    expect(plannedOps(preview.stdout)).toEqual({ update: 1 });
    await stack.ok(["up", "--yes"]);
    const info = await streamInfo("AA_VENDOR_HOT");
    expect({ description: info.config.description, maxAgeNs: info.config.max_age }).toEqual({ description: "vendor webhook events (hot)", maxAgeNs: 48 * 3600 * 1e9 });
    await stack.ok(["preview", "--expect-no-changes"]);
  }, 120_000);

  it("a config change that needs a replace fails the preview, naming the field and the reason", async () => {
    await stack.ok(["config", "set", "--path", "event-bus:hrvConsumer.durable", "normalize-hrv-v2"]);
    try {
      const r = await stack.run(["preview"]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/durableName/);
      expect(r.stdout + r.stderr).toMatch(/allowReplace/);
      // Nothing changed on the server.
      const { jsm, close } = await openManager([server.url]);
      try {
        expect((await jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).name).toBe("normalize-hrv-durable");
      } finally {
        await close();
      }
    } finally {
      await stack.ok(["config", "rm", "--path", "event-bus:hrvConsumer.durable"]);
    }
  }, 120_000);

  it("with allowReplace, a durable rename is the engine's replacement: the new durable is created before the old one is deleted", async () => {
    const { jsm, close } = await openManager([server.url]);
    try {
      await stack.ok(["config", "set", "event-bus:allowReplace", "true"]);
      await stack.ok(["config", "set", "--path", "event-bus:hrvConsumer.durable", "normalize-hrv-v2"]);
      const preview = await stack.ok(["preview", "--json"]);
      // A durable's name is its identity: a replacement; the other four store the new flag.
      expect(plannedOps(preview.stdout)).toEqual({ replace: 1, update: 4 });
      const up = await stack.ok(["up", "--yes"]);
      expect(up.stdout).toMatch(/event-bus-consumer-hrv creating replacement[\s\S]*event-bus-consumer-hrv deleting original/);
      const names: string[] = [];
      for await (const ci of jsm.consumers.list("AA_CORE_HOT")) names.push(ci.name);
      expect(names).toEqual(["normalize-hrv-v2"]);
      await stack.ok(["config", "rm", "--path", "event-bus:hrvConsumer.durable"]);
      await stack.ok(["up", "--yes"]);
      expect((await jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).name).toBe("normalize-hrv-durable");
      await stack.ok(["config", "rm", "event-bus:allowReplace"]);
      await stack.ok(["up", "--yes"]);
      await stack.ok(["preview", "--expect-no-changes"]);
    } finally {
      await stack.run(["config", "rm", "event-bus:allowReplace"]);
      await stack.run(["config", "rm", "--path", "event-bus:hrvConsumer.durable"]);
      await close();
    }
  }, 180_000);

  it("destroy refuses a stream with messages and a durable with pending messages, and succeeds after the forceDelete opt-in", async () => {
    const { nc, close } = await openManager([server.url]);
    try {
      await publishStored(nc, "dlq.normalize.hrv.raw-received", "dead letter");
      await publishStored(nc, "athlete-ally.hrv.raw-received", "not read yet");
    } finally {
      await close();
    }
    const refused = await stack.run(["destroy", "--yes", "--continue-on-error"]);
    expect(refused.code).not.toBe(0);
    const said = refused.stdout + refused.stderr;
    expect(said).toMatch(/AA_DLQ.*holds 1 message/s);
    expect(said).toMatch(/normalize-hrv-durable.*has 1 messages not yet delivered/s);
    expect(said).toContain("pulumi config set event-bus:forceDelete true");
    expect((await streamInfo("AA_DLQ")).state.messages).toBe(1);
    expect((await streamInfo("AA_CORE_HOT")).state.messages).toBe(1);

    // The documented opt-in: set it, apply it, then destroy.
    await stack.ok(["config", "set", "event-bus:forceDelete", "true"]);
    await stack.ok(["up", "--yes"]);
    await stack.ok(["destroy", "--yes"]);
    const { jsm, close: closeAdmin } = await openManager([server.url]);
    try {
      const names: string[] = [];
      for await (const si of jsm.streams.list()) names.push(si.config.name);
      expect(names).toEqual([]);
    } finally {
      await closeAdmin();
    }
  }, 180_000);
});
