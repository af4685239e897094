/**
 * Live traffic for migration tests: a publisher that retries on "no stream" (503) with a stable
 * message id until its message is stored, and a drainer that reads and acknowledges every
 * durable it is given. Both record everything, and both loops are bounded and stop by themselves.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, type JsMsg } from "@nats-io/jetstream";

export interface PublishRecord {
  subject: string;
  stream: string;
  seq: number;
  attempts: number;
  duplicate: boolean;
  at: number;
}

export class Publisher {
  readonly published = new Map<string, PublishRecord>();
  /** Every refused attempt: when, on which subject, and what the server or client said. */
  readonly refusals: Array<{ subject: string; at: number; reason: string }> = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly maxPerSubject = 50_000,
    private readonly maxMs = 180_000,
  ) {}

  start(subjects: string[], pauseMs = 1): void {
    this.running = true;
    const deadline = Date.now() + this.maxMs;
    const js = jetstream(this.nc, { timeout: 2_000 });
    this.loops = subjects.map(async (subject) => {
      for (let n = 0; this.running && n < this.maxPerSubject && Date.now() < deadline; n++) {
        const id = `${subject}#${n}`;
        for (let attempts = 1; ; attempts++) {
          try {
            const ack = await js.publish(subject, id, { msgID: id, timeout: 2_000 });
            this.published.set(id, { subject, stream: ack.stream, seq: ack.seq, attempts, duplicate: ack.duplicate, at: Date.now() });
            break;
          } catch (e) {
            this.refusals.push({ subject, at: Date.now(), reason: (e as Error).message });
            if (Date.now() > deadline) throw new Error(`publisher gave up on ${id}`);
            await new Promise((r) => setTimeout(r, 1));
          }
        }
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

export class Drainer {
  /** How many times each message id was received (and acknowledged). */
  readonly received = new Map<string, number>();
  /** Failures other than a missing stream or durable (which is normal in some phases). */
  readonly errors: string[] = [];
  /** Every read, for diagnosing a failed run: when it started and ended and what it returned. */
  readonly trace: string[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly durables: Array<[stream: string, durable: string]>,
  ) {}

  /** One loop per durable, each fetching and acknowledging until stopped. */
  start(maxMs = 240_000): void {
    this.running = true;
    const deadline = Date.now() + maxMs;
    this.loops = this.durables.map(async ([stream, durable]) => {
      while (this.running && Date.now() < deadline) {
        const got = await this.read(stream, durable);
        if (got < 0) await new Promise((r) => setTimeout(r, 20));
      }
    });
  }

  /** Reads one batch: how many it acknowledged, -1 when the stream or durable does not exist, -2 on another fault. */
  private async read(stream: string, durable: string): Promise<number> {
    const started = Date.now();
    const n = await this.readOnce(stream, durable);
    this.trace.push(`${started}..${Date.now()} ${stream}/${durable}: ${n}`);
    return n;
  }

  private async readOnce(stream: string, durable: string): Promise<number> {
    const js = jetstream(this.nc);
    try {
      const consumer = await js.consumers.get(stream, durable);
      const batch = await consumer.fetch({ max_messages: 500, expires: 1_000 });
      let n = 0;
      for await (const m of batch) {
        await this.take(m);
        n++;
      }
      return n;
    } catch (e) {
      const message = (e as Error).message;
      if (/not found/i.test(message)) return -1;
      // Deleted while being read (the legacy stream retiring, or being created again): try again.
      // A read that times out while the cluster creates or deletes the stream is simply tried again.
      if (!/consumer deleted|no responders|heartbeats missed|timeout/i.test(message)) this.errors.push(`${stream}/${durable}: ${message}`);
      return -2;
    }
  }

  private async take(m: JsMsg): Promise<void> {
    const id = m.headers?.get("Nats-Msg-Id") ?? m.string();
    this.received.set(id, (this.received.get(id) ?? 0) + 1);
    await m.ackAck();
  }

  /** Stops the loops, then reads every durable until one full round finds nothing left. */
  async drainAll(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (let round = 0; round < 100; round++) {
      const got = await Promise.all(this.durables.map(([s, d]) => this.read(s, d)));
      if (got.every((n) => n === 0 || n === -1)) return;
    }
  }
}
