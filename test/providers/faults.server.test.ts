/**
 * Faults: a node of the 3-node cluster stops in the middle of a batch of replicas-3 creates and
 * updates; every operation completes or fails with a clear error, and running the same batch
 * again converges. With no server at all, the error is clear and comes within seconds.
 */
import { closeConnections } from "../../components/jetstream/client";
import { DEFAULT_RETRY_BUDGET_MS } from "../../components/jetstream/connection-args";
import * as streams from "../../components/providers/stream-provider";
import { openManager, waitFor } from "../helpers/jetstream";
import { freePort, getJson, NatsCluster, startCluster, startServer } from "../helpers/nats-servers";
import { describeCluster } from "../helpers/tier";

const BATCH = 8;

describeCluster("providers under faults", () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startCluster(3);
  });
  afterAll(async () => {
    await closeConnections();
    await cluster?.stop();
  });

  // The first run gives up fast so the test stays short; the second keeps the default budget.
  let retryBudgetMs: number | undefined = 4_000;
  const inputs = (i: number, maxAge: string) => ({
    name: `FAULT_${i}`,
    subjects: [`fault.${i}.>`],
    replicas: 3,
    maxAge,
    connection: { servers: cluster.urls, ...(retryBudgetMs === undefined ? {} : { retryBudgetMs }) },
  });

  /**
   * Brings each stream to 1h and then 2h as two `pulumi up`s would, keeping engine-like state:
   * a stream whose create succeeded is updated from its recorded outputs, not created again.
   */
  const state = new Map<number, streams.StreamOutputs>();
  async function runBatch(): Promise<Array<{ i: number; ok: boolean; error?: string; endedAt: number }>> {
    return Promise.all(
      Array.from({ length: BATCH }, async (_, i) => {
        try {
          if (!state.has(i)) state.set(i, (await streams.create(inputs(i, "1h"))).outs as streams.StreamOutputs);
          const { outs } = await streams.updateStream(`FAULT_${i}`, state.get(i)!, inputs(i, "2h"));
          state.set(i, outs as streams.StreamOutputs);
          return { i, ok: true, endedAt: Date.now() };
        } catch (e) {
          return { i, ok: false, error: (e as Error).message, endedAt: Date.now() };
        }
      }),
    );
  }

  it("a node stopped mid-batch: each operation completes or fails clearly, and a second run converges", async () => {
    const leaderName = await cluster.waitForMetaLeader();
    const victim = cluster.servers.find((s) => s.name === leaderName)!;
    let batchEnded = false;
    const batch = runBatch().finally(() => {
      batchEnded = true;
    });
    // The kill lands once the batch is at work on the node it stops: the node holds a replica of
    // one of its streams (a create under way, the updates still to come). Polled over the monitor
    // port, so that nothing but the batch talks to JetStream.
    await waitFor("the node to hold a stream of the batch, or the batch to end", async () => batchEnded || Number((await getJson(`${victim.monitorUrl}/jsz`))?.streams ?? 0) > 0, 30_000);
    const killedAt = Date.now();
    await victim.kill();
    const first = await batch;
    // The fault hit the batch: operations were still under way when the node stopped (otherwise
    // this run proved nothing about faults, and says so).
    const underWay = first.filter((r) => r.endedAt >= killedAt);
    expect(underWay.length).toBeGreaterThan(0);
    // Each completed (and then holds what it was given) or failed with a clear error: which stream, which step, and the server's answer or the fault.
    for (const r of first) {
      if (r.ok) expect(state.get(r.i)).toMatchObject({ name: `FAULT_${r.i}`, maxAge: "2h" });
      else expect(r.error).toMatch(new RegExp(`^stream FAULT_${r.i}: (connect|read|create|update)[^:]*: .+`));
    }

    await victim.start();
    await cluster.waitForMetaLeader();
    retryBudgetMs = undefined;
    const second = await runBatch();
    expect(second.filter((r) => !r.ok)).toEqual([]);

    const { jsm, close } = await openManager(cluster.urls);
    try {
      for (let i = 0; i < BATCH; i++) {
        const si = await jsm.streams.info(`FAULT_${i}`);
        expect(si.config.num_replicas).toBe(3);
        expect(si.config.max_age).toBe(2 * 3600e9);
      }
    } finally {
      await close();
    }
    // Reported so the note can say how the first run went.
    console.log(`faults: first run ${underWay.length}/${BATCH} under way at the kill, ${first.filter((r) => r.ok).length}/${BATCH} completed, ${first.filter((r) => !r.ok).length} failed clearly; second run ${BATCH}/${BATCH}; e.g. "${first.find((r) => !r.ok)?.error ?? "none"}"`);
  }, 120_000);
});

describe("providers with no server", () => {
  it("nothing listening: a clear error within seconds", async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await streams.create({ name: "NOWHERE", subjects: ["nowhere.>"], connection: { servers: [`nats://127.0.0.1:${port}`] } }).catch((e) => e);
    // One attempt: a refused connection is not retried (a retried one ends "(after N attempts)").
    expect((err as Error).message).toMatch(new RegExp(`^stream NOWHERE: connect: can not reach NATS at nats://127\\.0\\.0\\.1:${port}: [^()]+$`));
    // So it fails at once, far short of the retry budget that retrying it would wait out.
    expect(Date.now() - started).toBeLessThan(DEFAULT_RETRY_BUDGET_MS);
  });

  it("the server goes away after connecting: a clear error within seconds, not a hang", async () => {
    const server = await startServer();
    const connection = { servers: [server.url], connectTimeoutMs: 2_000 };
    try {
      const { outs } = await streams.create({ name: "GONE", subjects: ["gone.>"], connection });
      await server.kill();
      const started = Date.now();
      const err = await streams.read("GONE", outs as streams.StreamOutputs).catch((e) => e);
      const message = (err as Error).message;
      expect(message).toMatch(/^stream GONE: read: can not reach NATS at nats:\/\/127\.0\.0\.1:\d+ \(no server for \d+s\)$/);
      // Given up once no server answered for longer than the connect timeout, as the error says...
      expect(Number(/no server for (\d+)s/.exec(message)![1])).toBeGreaterThanOrEqual(2);
      // ...and soon after it: at most one more attempt (itself bounded by the connect timeout) and a
      // pause come after that. Generous for a slow machine; a read that ignored the connect timeout
      // would go on for the retry budget (30 s).
      expect(Date.now() - started).toBeLessThan(3 * connection.connectTimeoutMs + 5_000);
    } finally {
      await closeConnections();
      await server.stop();
    }
  });
});
