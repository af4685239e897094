/**
 * What a step plan needs of the live bus, read with the program's read-only identity (JetStream
 * stream and durable information only, which the preview user may ask): each catalogue stream's
 * subjects, size and last sequence, and the catalogue's durables wherever they are, with what each
 * still has to deliver (durables made by hand are not read). When one the step moves has something
 * in flight, it is read again `sampleMs` later, and the acknowledged deliveries in between give its
 * rate (for a drain estimate); a preview that moves none does not wait.
 */
import type { ConsumerInfo, JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { ERR } from "../jetstream/client";
import type { ConnectionArgs } from "../jetstream/connection-args";
import type { WireStreamConfig } from "../jetstream/wire";
import { readOrGone } from "../providers/jetstream-resource";
import { sleep } from "../poll";

export interface LiveStream {
  name: string;
  subjects: string[];
  messages: number;
  lastSeq: number;
  config: WireStreamConfig;
}

export interface LiveDurable {
  stream: string;
  name: string;
  filters: string[];
  /** Stored, not yet delivered (num_pending). */
  pending: number;
  /** Delivered, not yet acknowledged (num_ack_pending). */
  ackPending: number;
  /** Of those, delivered more than once (num_redelivered). */
  redelivered: number;
  /** The stream sequence every message up to which is acknowledged. */
  ackFloor: number;
  /** Its ack wait (ns) and most deliveries: how long a move waits for what is out for acknowledgement. */
  ackWaitNs?: number;
  maxDeliver?: number;
  /** Acknowledged deliveries per second over the look's sample, when it sampled. */
  ackRate?: number;
}

export interface LiveBus {
  streams: Record<string, LiveStream>;
  durables: LiveDurable[];
  /** How long the rates were sampled over (ms), when any was. */
  sampledMs?: number;
}

/** The look at one durable. */
export function liveDurable(ci: ConsumerInfo): LiveDurable {
  const c = ci.config;
  return {
    stream: ci.stream_name,
    name: ci.name,
    filters: c.filter_subjects ?? (c.filter_subject ? [c.filter_subject] : []),
    pending: ci.num_pending,
    ackPending: ci.num_ack_pending,
    redelivered: ci.num_redelivered,
    ackFloor: ci.ack_floor.stream_seq,
    ...(c.ack_wait ? { ackWaitNs: c.ack_wait } : {}),
    ...(c.max_deliver ? { maxDeliver: c.max_deliver } : {}),
  };
}

function liveStream(si: StreamInfo): LiveStream {
  return { name: si.config.name, subjects: si.config.subjects ?? [], messages: si.state.messages, lastSeq: si.state.last_seq, config: si.config as WireStreamConfig };
}

/**
 * Reads the named streams (those missing are left out) and the named durables on each; samples the
 * rates of those `sample` picks (the ones the step moves) when they have something in flight.
 */
export async function readLiveBus(
  jsm: JetStreamManager,
  streamNames: readonly string[],
  durableNames: readonly string[],
  c: ConnectionArgs,
  opts: { sampleMs?: number; sample?: (d: LiveDurable) => boolean } = {},
): Promise<LiveBus> {
  const sampleMs = opts.sampleMs ?? 1_000;
  const streams: Record<string, LiveStream> = {};
  const first: ConsumerInfo[] = [];
  const durableOn = (stream: string, name: string) => readOrGone(`durable ${name} on stream ${stream}: read`, c, [ERR.CONSUMER_NOT_FOUND, ERR.STREAM_NOT_FOUND], () => jsm.consumers.info(stream, name));
  for (const name of streamNames) {
    const si = await readOrGone(`stream ${name}: read`, c, [ERR.STREAM_NOT_FOUND], () => jsm.streams.info(name));
    if (!si) continue;
    streams[name] = liveStream(si);
    for (const d of durableNames) {
      const ci = await durableOn(name, d);
      if (ci) first.push(ci);
    }
  }
  const durables = first.map(liveDurable);
  const busy = first.filter((ci, i) => ci.num_pending + ci.num_ack_pending > 0 && (opts.sample?.(durables[i]) ?? true));
  if (!busy.length || sampleMs <= 0) return { streams, durables };
  const began = Date.now();
  await sleep(sampleMs);
  for (const ci of busy) {
    const again = await durableOn(ci.stream_name, ci.name);
    if (!again) continue;
    const d = durables.find((x) => x.stream === ci.stream_name && x.name === ci.name)!;
    d.ackRate = ackRate(ci, again, Date.now() - began);
  }
  return { streams, durables, sampledMs: Date.now() - began };
}

/** Acknowledged deliveries per second between two looks at one durable (its ack floor's delivery count). */
export function ackRate(before: Pick<ConsumerInfo, "ack_floor">, after: Pick<ConsumerInfo, "ack_floor">, ms: number): number {
  return ms > 0 ? Math.max(0, after.ack_floor.consumer_seq - before.ack_floor.consumer_seq) / (ms / 1000) : 0;
}
