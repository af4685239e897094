/**
 * The seeds' migration walked on a real 3-node cluster with replicas 3: phase 0 -> 1 -> 2 -> 3
 * and back 3 -> 2 -> 1 -> 0, each step one real `pulumi up` of the production stack (its own
 * stack file, with the cluster's addresses and without its Kubernetes part), with a publisher on
 * every moved subject and a drainer on every durable throughout. Nothing lost, nothing
 * duplicated, no step meets the server's overlap error.
 */
import { parseStackConfig, type Phase } from "../../components/config/stack-config";
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, type EngineStack } from "../helpers/engine";
import { openManager } from "../helpers/jetstream";
import { NatsCluster, startCluster } from "../helpers/nats-servers";
import { Drainer, Publisher } from "../helpers/traffic";

const SUBJECTS = ["athlete-ally.hrv.raw-received", "sleep.night", "vendor.oura.sleep"];
const CONSUMED = new Set(["athlete-ally.hrv.raw-received", "vendor.oura.sleep"]);
const WALK: Phase[] = [1, 2, 3, 2, 1, 0];
const modeOf = (phase: Phase) => (phase === 0 ? "single" : "multi");

/** The event-bus resources a `pulumi up` changed, as its output lists them. */
function changedResources(output: string): string[] {
  return [...output.matchAll(/^\s*(\+-|[+~-])\s+pulumi-nodejs:dynamic\/event-bus:(?:Stream|Consumer) event-bus-(\S+) (created|updated|deleted|replaced)/gm)].map((m) => `${m[3]} ${m[2]}`);
}

describe("migration - the walk 0 -> 3 -> 0 on a 3-node cluster, replicas 3, under live traffic", () => {
  let cluster: NatsCluster;
  let stack: EngineStack;
  beforeAll(async () => {
    cluster = await startCluster(3);
    // The legacy stream keeps messages 12 s here instead of 24h, so that phase 3 can find it empty
    // soon; the drainer reads every durable continuously, well within that (a client fetch that
    // meets a durable being deleted or created again can stall for ~5 s before it gives up).
    stack = await engineStack("production", {
      overrides: { kubernetes: undefined, nats: { servers: cluster.urls }, retention: { legacyMaxAge: "12s" }, migrationPhase: 0, mode: "single" },
    });
  });
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    await cluster?.stop();
  });

  it("loses nothing, duplicates nothing, and never meets the overlap error", async () => {
    const up = (phase: Phase) => stack.ok(["up", "--yes", "--skip-preview", "--config", `event-bus:migrationPhase=${phase}`, "--config", `event-bus:mode=${modeOf(phase)}`]);
    await up(0);

    const { nc, jsm, close } = await openManager(cluster.urls);
    const names = parseStackConfig({ environment: "production", nats: { servers: cluster.urls } }).streams;
    const publisher = new Publisher(nc);
    const drainer = new Drainer(nc, [
      [names.legacy, "normalize-hrv-durable"],
      [names.legacy, "normalize-oura"],
      [names.core, "normalize-hrv-durable"],
      [names.vendor, "normalize-oura"],
    ]);
    publisher.start(SUBJECTS);
    drainer.start();
    const windows: string[] = [];
    try {
      let from: Phase = 0;
      for (const to of WALK) {
        await new Promise((r) => setTimeout(r, 300)); // traffic flows in each phase
        if (to === 3) {
          // What an operator waits for: the legacy stream empty (its max age after its last message).
          for (let i = 0; i < 150 && (await jsm.streams.info(names.legacy)).state.messages > 0; i++) await new Promise((r) => setTimeout(r, 200));
        }
        const refusalsBefore = publisher.refusals.length;
        const startedAt = Date.now();
        const applied = await up(to);
        const took = Date.now() - startedAt;
        await new Promise((r) => setTimeout(r, 200));
        const refused = publisher.refusals.slice(refusalsBefore);
        const kinds = [...new Set(refused.map((r) => `${r.subject}: ${r.reason}`))];
        const span = refused.length ? Math.max(...refused.map((r) => r.at)) - Math.min(...refused.map((r) => r.at)) : 0;
        windows.push(`${from}->${to}: ${refused.length} refused publishes over ${span} ms [${kinds.join(" | ")}]; pulumi up ${took} ms: ${changedResources(applied.stdout).join(", ")}`);
        for (const r of refused) expect(r.reason).not.toMatch(/overlap/);
        from = to;
      }
    } finally {
      console.log(windows.join("\n"));
      await publisher.stop();
      await drainer.drainAll();
    }
    try {
      // Nothing is left undelivered or unacknowledged on any durable.
      for await (const si of jsm.streams.list()) {
        for await (const ci of jsm.consumers.list(si.config.name)) {
          expect({ durable: `${si.config.name}/${ci.name}`, pending: ci.num_pending, unacked: ci.num_ack_pending }).toEqual({ durable: `${si.config.name}/${ci.name}`, pending: 0, unacked: 0 });
        }
      }
    } finally {
      await close();
    }

    // Every publish was acknowledged once and never as a duplicate. A refused attempt is either a
    // "no stream" answer (503, which the client reports as "jetstream is not enabled") or, when the
    // subject moved while the message was in flight, no answer at all; both are retried with the
    // same message id. Whether a retry ever stored a second copy shows in what the durables read.
    const published = [...publisher.published.entries()];
    expect(published.length).toBeGreaterThan(1_000);
    expect(published.filter(([, p]) => p.duplicate)).toEqual([]);
    expect(publisher.refusals.filter((r) => !/no responders|503|jetstream is not enabled|timeout/i.test(r.reason))).toEqual([]);
    // ...and every message a durable reads was received and acknowledged exactly once.
    const expected = published.filter(([, p]) => CONSUMED.has(p.subject)).map(([id]) => id);
    const missing = expected.filter((id) => !drainer.received.has(id));
    const twice = [...drainer.received.entries()].filter(([, n]) => n > 1);
    if (missing.length) console.log(`missing first at ${JSON.stringify(publisher.published.get(missing[0]))}\n${drainer.trace.filter((t) => t.includes(names.legacy)).slice(-60).join("\n")}`);
    const where = (id: string) => `${id} (${publisher.published.get(id)!.stream} #${publisher.published.get(id)!.seq})`;
    expect({ missing: missing.slice(0, 5).map(where), missingCount: missing.length }).toEqual({ missing: [], missingCount: 0 });
    expect(twice).toEqual([]);
    expect(drainer.errors).toEqual([]);
    expect(drainer.received.size).toBe(expected.length);
    const timeouts = publisher.refusals.filter((r) => /timeout/.test(r.reason)).length;
    console.log(`migration walk: ${published.length} messages published, ${expected.length} consumed exactly once, ${timeouts} in-flight publishes retried after a timeout`);
  }, 240_000);
});
