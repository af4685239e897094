/**
 * Live traffic for migration tests: a publisher that retries on "no stream" (503) with a stable
 * message id until its message is stored. It records everything; its loops are bounded and stop
 * by themselves. (What reads the messages is the service double: test/helpers/service-double.ts.)
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream } from "@nats-io/jetstream";

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
