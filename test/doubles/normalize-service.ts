/**
 * The seeds' normalize-service, as strict as its code is written (phase-2-three-stream-topology.md,
 * "Stream Binding Fallback" and "Dual-API Pull Loop"), run as the process of a pod:
 * - it reads the flags from its environment (EVENT_STREAM_MODE, STREAM_*_NAME,
 *   NORMALIZE_HRV_DURABLE, HRV_BATCH_SIZE, HRV_EXPIRES_MS, HRV_IDLE_BACKOFF_MS, NATS_URL) and
 *   signs in as NATS_USER / NATS_PASSWORD;
 * - at startup, once, it binds each durable: in `multi` mode the hot stream's, else the legacy
 *   one's ("Trying next candidate"); in `single` mode the legacy one only. Finding none, it exits
 *   1 ("Failed to find HRV consumer on any available stream"), which Kubernetes restarts;
 * - after that it never looks again: if its durable disappears its fetches keep failing, it
 *   neither binds again nor exits;
 * - it acknowledges each message after processing it;
 * - SIGTERM: it finishes the batch in hand, flushes its acks and exits.
 * /health answers 200 once every durable is bound (the readiness probe), naming the streams.
 * Test-only: EVENT_BUS_TEST_RECORDS (where it records what it did), EVENT_BUS_TEST_HTTP_PORT
 * (the loopback port its container's "http" port maps to).
 */
import * as http from "node:http";
import { connect } from "@nats-io/transport-node";
import { jetstream, type Consumer } from "@nats-io/jetstream";
import { HEALTH_PORT_ENV, recorder } from "./records";

const env = process.env;
const pod = env.POD_NAME ?? env.HOSTNAME ?? `normalize-${process.pid}`;
const record = recorder(pod);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const int = (v: string | undefined, d: number) => (v === undefined || v === "" ? d : Number.parseInt(v, 10));

const mode = env.EVENT_STREAM_MODE ?? "multi";
const legacy = env.STREAM_LEGACY_NAME ?? "ATHLETE_ALLY_EVENTS";
/** The durables the service reads: the HRV one from the flags, the Oura one by its fixed name (the seeds keep both names). */
const durables = [
  { key: "hrv", durable: env.NORMALIZE_HRV_DURABLE ?? "normalize-hrv-durable", hot: env.STREAM_CORE_NAME ?? "AA_CORE_HOT" },
  { key: "oura", durable: "normalize-oura", hot: env.STREAM_VENDOR_NAME ?? "AA_VENDOR_HOT" },
];
const batchSize = int(env.HRV_BATCH_SIZE, 10);
const expiresMs = int(env.HRV_EXPIRES_MS, 5000);
const idleBackoffMs = int(env.HRV_IDLE_BACKOFF_MS, 50);

let running = true;
const bound: Record<string, string> = {};

async function main(): Promise<void> {
  console.log(`[event-bus] Stream mode: ${mode}`);
  record({ t: "start", mode });
  const nc = await connect({ servers: (env.NATS_URL ?? "nats://127.0.0.1:4222").split(","), user: env.NATS_USER, pass: env.NATS_PASSWORD, name: pod });
  const js = jetstream(nc, { timeout: 5_000 });

  const consumers: Array<{ key: string; consumer: Consumer }> = [];
  for (const d of durables) {
    const candidates = mode === "multi" ? [d.hot, legacy] : [legacy];
    let found: Consumer | undefined;
    for (const stream of candidates) {
      try {
        found = await js.consumers.get(stream, d.durable);
        bound[d.key] = stream;
        console.log(`Found existing ${d.key} consumer on ${stream}: ${d.durable}`);
        record({ t: "bound", key: d.key, stream, durable: d.durable });
        break;
      } catch (e) {
        console.log(`Consumer not found on ${stream}. Trying next candidate. (${(e as Error).message})`);
      }
    }
    if (!found) {
      const reason = `Failed to find ${d.key.toUpperCase()} consumer on any available stream`;
      console.error(reason);
      record({ t: "bind-failed", key: d.key, reason });
      process.exit(1);
    }
    consumers.push({ key: d.key, consumer: found });
  }

  const loops = consumers.map(({ key, consumer }) => pullLoop(key, consumer));
  process.once("SIGTERM", () => (running = false));
  await Promise.all(loops);
  await nc.flush().catch(() => undefined);
  await nc.close();
  record({ t: "stop" });
  process.exit(0);
}

async function pullLoop(key: string, consumer: Consumer): Promise<void> {
  while (running) {
    let n = 0;
    try {
      const batch = await consumer.fetch({ max_messages: batchSize, expires: expiresMs });
      for await (const m of batch) {
        record({ t: "processed", id: m.headers?.get("Nats-Msg-Id") || m.string(), key, stream: m.info.stream, seq: m.info.streamSequence, redelivered: m.info.redelivered });
        m.ack();
        n++;
        if (!running) break;
      }
    } catch (e) {
      // The seeds' loop logs and goes on: no rebind, no exit.
      record({ t: "fetch-failed", key, reason: (e as Error).message });
    }
    if (n === 0) await sleep(idleBackoffMs);
  }
}

const port = Number(env[HEALTH_PORT_ENV] ?? 0);
if (port) {
  http
    .createServer((_req, res) => {
      const ready = durables.every((d) => bound[d.key]);
      res.writeHead(ready ? 200 : 503, { "content-type": "application/json" });
      // The pod's name, so that a probe that reached another pod's process is not taken as this one's.
      res.end(JSON.stringify({ status: ready ? "ok" : "starting", stream: bound.hrv, bound, pod }));
    })
    .listen(port, "127.0.0.1")
    .unref();
}

main().catch((e) => {
  console.error(`normalize-service: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
