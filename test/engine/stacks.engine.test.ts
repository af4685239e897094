/**
 * The JetStream part of the staging and production stacks under the real Pulumi engine, from
 * their own stack files: only the server addresses and the Kubernetes part are overridden
 * (the Kubernetes and random resource plugins are not available to this project's machines).
 */
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, type EngineStack } from "../helpers/engine";
import { openManager } from "../helpers/jetstream";
import { startCluster, startServer } from "../helpers/nats-servers";

const ONLY_JETSTREAM = { kubernetes: undefined };

async function streamsOn(urls: string[]): Promise<Record<string, { subjects: string[]; replicas: number }>> {
  const { jsm, close } = await openManager(urls);
  try {
    const out: Record<string, { subjects: string[]; replicas: number }> = {};
    for await (const si of jsm.streams.list()) out[si.config.name] = { subjects: si.config.subjects ?? [], replicas: si.config.num_replicas };
    return out;
  } finally {
    await close();
  }
}

describe("engine - staging and production from their stack files", () => {
  afterAll(() => closeConnections());

  it("staging (one server): up applies Pulumi.staging.yaml's phase with replicas 1, and a second preview plans nothing", async () => {
    const server = await startServer();
    const stack: EngineStack = await engineStack("staging", { overrides: { ...ONLY_JETSTREAM, nats: { servers: [server.url] } } });
    try {
      await stack.ok(["up", "--yes"]);
      expect(await streamsOn([server.url])).toEqual({
        AA_CORE_HOT: { subjects: ["athlete-ally.>", "sleep.*"], replicas: 1 },
        AA_VENDOR_HOT: { subjects: ["vendor.>"], replicas: 1 },
        AA_DLQ: { subjects: ["dlq.>"], replicas: 1 },
      });
      await stack.ok(["preview", "--expect-no-changes"]);
    } finally {
      await closeConnections();
      stack.remove();
      await server.stop();
    }
  }, 120_000);

  it("production (3-node cluster): up applies Pulumi.production.yaml's phase 0 with replicas 3, protected from destroy", async () => {
    const cluster = await startCluster(3);
    const stack: EngineStack = await engineStack("production", { overrides: { ...ONLY_JETSTREAM, nats: { servers: cluster.urls } } });
    try {
      await stack.ok(["up", "--yes"]);
      expect(await streamsOn(cluster.urls)).toEqual({
        ATHLETE_ALLY_EVENTS: { subjects: ["athlete-ally.>", "vendor.oura.>", "sleep.*"], replicas: 3 },
        AA_CORE_HOT: { subjects: ["AA_CORE_HOT"], replicas: 3 },
        AA_VENDOR_HOT: { subjects: ["AA_VENDOR_HOT"], replicas: 3 },
        AA_DLQ: { subjects: ["dlq.>"], replicas: 3 },
      });
      await stack.ok(["preview", "--expect-no-changes"]);
      const destroy = await stack.run(["destroy", "--yes"]);
      expect(destroy.code).not.toBe(0);
      expect(destroy.stdout + destroy.stderr).toMatch(/protect/);
      expect(Object.keys(await streamsOn(cluster.urls)).sort()).toEqual(["AA_CORE_HOT", "AA_DLQ", "AA_VENDOR_HOT", "ATHLETE_ALLY_EVENTS"]);
    } finally {
      await closeConnections();
      stack.remove();
      await cluster.stop();
    }
  }, 180_000);
});
