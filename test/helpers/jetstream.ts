import { randomUUID } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, JetStreamManager, type Consumer, type StreamConfig, type StreamInfo } from "@nats-io/jetstream";
import { isTransient } from "../../components/jetstream/client";
import type { NatsConnection } from "@nats-io/nats-core";
import { poll } from "../../components/poll";

/** A plain client connection for tests, closed by the returned `close`. */
export async function openManager(servers: string[], auth: { user?: string; pass?: string } = {}): Promise<{ nc: NatsConnection; jsm: JetStreamManager; close(): Promise<void> }> {
  const nc = await connect({ servers, timeout: 5_000, ...auth });
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  return { nc, jsm, close: () => nc.close() };
}

/**
 * Publishes through JetStream until a stream stores the message. Right after a stream is created
 * on a cluster, the node a client is connected to may not know its subjects yet ("no responders").
 */
export async function publishStored(nc: NatsConnection, subject: string, payload: string, timeoutMs = 5_000): Promise<{ stream: string; seq: number }> {
  const js = jetstream(nc);
  let failure: unknown;
  // One message id across the attempts: an attempt whose ack timed out on a busy machine may have
  // been stored, and the stream's duplicate window drops the retry instead of storing it twice.
  const msgID = randomUUID();
  const ack = await poll({ timeoutMs, intervalMs: 20 }, () => js.publish(subject, payload, { timeout: 1_000, msgID }).catch((e) => void (failure = e)));
  if (ack) return ack;
  throw failure;
}

/** Polls `probe` until it returns true (or fails after `timeoutMs`, saying what it waited for). */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  if (!(await poll({ timeoutMs, intervalMs: 20 }, async () => ((await probe()) ? true : undefined)))) throw new Error(`timed out waiting for ${what}`);
}

/**
 * Adds a stream for a test's setup, waiting out the faults the providers also wait out (a busy
 * 2-core machine can make a cluster see a peer offline for a moment: "no suitable peers").
 */
export async function addStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, timeoutMs = 15_000): Promise<StreamInfo> {
  let failure: unknown;
  const added = await poll({ timeoutMs, intervalMs: 100 }, () =>
    jsm.streams.add(config).catch((e) => {
      if (!isTransient(e)) throw e;
      failure = e;
      return undefined;
    }),
  );
  if (added) return added;
  throw failure;
}

/**
 * A reader bound to a durable, as a service's pull loop is: `batch` messages per fetch, each
 * acknowledged (fire-and-forget unless `ackAck`), then `pauseMs`, until `done()` says so. Its
 * promise ends with the loop; `read` holds the bodies it processed.
 */
export function startReader(consumer: Consumer, opts: { batch: number; pauseMs: number; done: (read: string[]) => boolean; ackAck?: boolean }): { read: string[]; finished: Promise<void> } {
  const read: string[] = [];
  const finished = (async () => {
    while (!opts.done(read)) {
      for await (const m of await consumer.fetch({ max_messages: opts.batch, expires: 1_000 })) {
        read.push(m.string());
        if (opts.ackAck) await m.ackAck();
        else m.ack();
      }
      await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  })();
  return { read, finished };
}
