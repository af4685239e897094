/**
 * The seeds' ingest-service, as its code is written ("Gradual Traffic Shift"), run as the process
 * of a pod, with a steady stream of incoming events standing in for its HTTP callers:
 * - for each core event (HRV, sleep) it picks its stream with
 *   `Math.random() < parseFloat(process.env.NEW_TOPOLOGY_PERCENTAGE || '0')`: STREAM_CORE_NAME if
 *   so, else STREAM_LEGACY_NAME, and publishes with that stream as the expected stream (the one
 *   way a JetStream publisher uses a stream name). The seeds give no such choice for vendor
 *   webhooks: those publish to their subject naming no stream;
 * - every event carries its id as Nats-Msg-Id (JetStream's duplicate window);
 * - a refused publish is an error answer to its caller, who sends the same event again (the
 *   double retries it, choosing again, and records every refusal);
 * - SIGTERM: it stops taking events, finishes the one in hand (or, refused, gives it back to its
 *   caller) and exits.
 * /health answers 200 once it is connected. Test-only: EVENT_BUS_TEST_RECORDS,
 * EVENT_BUS_TEST_HTTP_PORT, EVENT_BUS_TEST_EVENT_INTERVAL_MS (the time between events).
 */
import * as http from "node:http";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { HEALTH_PORT_ENV, recorder } from "./records";

const env = process.env;
const pod = env.POD_NAME ?? env.HOSTNAME ?? `ingest-${process.pid}`;
const record = recorder(pod);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The events it takes: two core ones (stream chosen by the seeds' rule) and a vendor webhook. */
export const INGEST_EVENTS = [
  { subject: "athlete-ally.hrv.raw-received", core: true },
  { subject: "sleep.summary", core: true },
  { subject: "vendor.oura.sleep", core: false },
] as const;

let running = true;
let connected = false;

async function main(): Promise<void> {
  record({ t: "start" });
  const nc = await connect({ servers: (env.NATS_URL ?? "nats://127.0.0.1:4222").split(","), user: env.NATS_USER, pass: env.NATS_PASSWORD, name: pod });
  const js = jetstream(nc, { timeout: 5_000 });
  connected = true;
  process.once("SIGTERM", () => (running = false));
  const interval = Number(env.EVENT_BUS_TEST_EVENT_INTERVAL_MS ?? 20);
  for (let n = 0; running; n++) {
    const event = INGEST_EVENTS[n % INGEST_EVENTS.length];
    const id = `${pod}/${n}`;
    const firstAt = Date.now();
    for (let attempts = 1; ; attempts++) {
      // Chosen per request, as the seeds' code does.
      const expected = event.core
        ? Math.random() < parseFloat(env.NEW_TOPOLOGY_PERCENTAGE || "0")
          ? (env.STREAM_CORE_NAME ?? "AA_CORE_HOT")
          : (env.STREAM_LEGACY_NAME ?? "ATHLETE_ALLY_EVENTS")
        : undefined;
      try {
        const ack = await js.publish(event.subject, JSON.stringify({ id, n }), { msgID: id, timeout: 2_000, ...(expected ? { expect: { streamName: expected } } : {}) });
        record({ t: "published", id, subject: event.subject, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate, attempts, firstAt, expected });
        break;
      } catch (e) {
        record({ t: "refused", id, subject: event.subject, expected, reason: (e as Error).message });
        // Shutting down, it answers its caller with an error instead of trying again: the caller
        // sends the event anew, to a pod that is not going away (a new request, a new id).
        if (!running) {
          record({ t: "abandoned", id, subject: event.subject });
          break;
        }
        await sleep(50);
      }
    }
    await sleep(interval);
  }
  await nc.flush().catch(() => undefined);
  await nc.close();
  record({ t: "stop" });
  process.exit(0);
}

const port = Number(env[HEALTH_PORT_ENV] ?? 0);
if (port) {
  http
    .createServer((_req, res) => {
      res.writeHead(connected ? 200 : 503, { "content-type": "application/json" });
      // The pod's name, so that a probe that reached another pod's process is not taken as this one's.
      res.end(JSON.stringify({ status: connected ? "ok" : "starting", pod }));
    })
    .listen(port, "127.0.0.1")
    .unref();
}

main().catch((e) => {
  console.error(`ingest-service: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
