/**
 * A stand-in for the seeds' normalize-service, binding its durables exactly as the seeds
 * describe it (phase-2-three-stream-topology.md, "Stream Binding Fallback"; phase-b, "Found
 * existing HRV consumer on X" / "Trying next candidate"):
 * - EVENT_STREAM_MODE=single: the durable on the legacy stream only;
 * - EVENT_STREAM_MODE=multi: the hot stream's durable if it exists, else the legacy one;
 * - it binds at startup, and again when its consumer disappears (a real pod would crash and be
 *   restarted into the same search); it reads no other key;
 * - it processes each message and acknowledges it (after processing, as the service does);
 * - a Deployment of it restarts, pod by pod, when the flags ConfigMap changes (maxSurge 1,
 *   maxUnavailable 0, as the stack's Deployments roll).
 * It records what it processed, when, and where each replica is bound.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, type Consumer } from "@nats-io/jetstream";

export type StreamMode = "single" | "multi";

/** One durable the service reads: its hot stream (tried first in multi mode) and the legacy one. */
export interface DurableBinding {
  key: string;
  durable: string;
  hot: string;
  legacy: string;
}

/** The streams a replica tries, in order, for a durable in a mode. */
export function bindingCandidates(b: DurableBinding, mode: StreamMode): string[] {
  return mode === "multi" ? [b.hot, b.legacy] : [b.legacy];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ServiceReplica {
  /** Where each durable is bound now (undefined while searching). */
  readonly boundTo: Record<string, string | undefined> = {};
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(
    private readonly nc: NatsConnection,
    readonly mode: StreamMode,
    bindings: DurableBinding[],
    private readonly service: ServiceDouble,
    readonly name: string,
  ) {
    this.loops = bindings.map((b) => this.run(b));
  }

  private async bind(b: DurableBinding): Promise<Consumer | undefined> {
    const js = jetstream(this.nc, { timeout: 2_000 });
    for (const stream of bindingCandidates(b, this.mode)) {
      try {
        const consumer = await js.consumers.get(stream, b.durable);
        this.boundTo[b.key] = stream;
        this.service.log(`${this.name}: Found existing ${b.key} consumer on ${stream}: ${b.durable}`);
        return consumer;
      } catch {
        this.service.log(`${this.name}: ${b.key} consumer not on ${stream}; Trying next candidate`);
      }
    }
    this.boundTo[b.key] = undefined;
    return undefined;
  }

  private async run(b: DurableBinding): Promise<void> {
    while (this.running) {
      const consumer = await this.bind(b);
      if (!consumer) {
        await sleep(200); // a pod without a durable to bind crash-loops into the same search
        continue;
      }
      while (this.running) {
        try {
          const batch = await consumer.fetch({ max_messages: 10, expires: 1_000 });
          let n = 0;
          for await (const m of batch) {
            this.service.processed(m.headers?.get("Nats-Msg-Id") ?? m.string(), b.key, this.boundTo[b.key]!);
            await m.ackAck();
            n++;
          }
          // An idle pull also ends quietly when the durable was deleted: look whether it is still there.
          if (n === 0) await consumer.info(false);
        } catch (e) {
          // The durable is gone (or the read failed): bind again, as the service would after a restart.
          this.service.log(`${this.name}: ${b.key} read failed (${(e as Error).message}); binding again`);
          break;
        }
      }
    }
  }

  /** Stops after finishing (and acknowledging) the batch in hand. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

export class ServiceDouble {
  /** Per message id: how many times it was processed. */
  readonly counts = new Map<string, number>();
  /** Per message id: when it was first processed. */
  readonly processedAt = new Map<string, number>();
  /** Per message id: the stream it was processed from, the first time. */
  readonly processedFrom = new Map<string, string>();
  readonly logs: string[] = [];
  replicas: ServiceReplica[] = [];
  private generation = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly bindings: DurableBinding[],
    private readonly replicaCount: number,
  ) {}

  log(line: string): void {
    this.logs.push(`${Date.now()} ${line}`);
  }

  processed(id: string, _key: string, stream: string): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    if (!this.processedAt.has(id)) {
      this.processedAt.set(id, Date.now());
      this.processedFrom.set(id, stream);
    }
  }

  start(mode: StreamMode): void {
    this.generation++;
    this.replicas = Array.from({ length: this.replicaCount }, (_, i) => new ServiceReplica(this.nc, mode, this.bindings, this, `pod-${this.generation}-${i}`));
  }

  /** A rolling restart into a mode: each new pod starts before an old one stops. */
  async rollTo(mode: StreamMode): Promise<void> {
    this.generation++;
    const next: ServiceReplica[] = [];
    for (let i = 0; i < this.replicas.length; i++) {
      next.push(new ServiceReplica(this.nc, mode, this.bindings, this, `pod-${this.generation}-${i}`));
      await this.replicas[i].stop();
    }
    this.replicas = next;
  }

  /** Where the replicas are bound for a durable (one entry per replica). */
  boundStreams(key: string): Array<string | undefined> {
    return this.replicas.map((r) => r.boundTo[key]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.stop()));
  }
}
