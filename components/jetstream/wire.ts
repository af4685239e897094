/**
 * The mapping between what users write (camelCase, duration strings) and JetStream's wire
 * configuration (snake_case, nanoseconds), both ways, with the server's defaults made explicit so
 * that a configuration and what the server stores compare field by field. All of it comes from
 * the field tables (stream-fields.ts, consumer-fields.ts).
 */
import type { ConsumerConfig, StreamConfig } from "@nats-io/jetstream";
import type { ConsumerConfigArgs } from "./consumer-args";
import { CONSUMER_FIELDS } from "./consumer-fields";
import { canonicalOf, fromWireOf, toWireOf } from "./fields";
import type { StreamConfigArgs } from "./stream-args";
import { STREAM_FIELDS } from "./stream-fields";

/** A stream's wire configuration: the managed fields; server-owned extras are dropped. */
export type WireStreamConfig = Partial<StreamConfig> & { name: string };
export type WireConsumerConfig = Partial<ConsumerConfig>;

/** The complete wire configuration for a stream, every server default made explicit. */
export function streamToWire(a: StreamConfigArgs): WireStreamConfig & { subjects: string[] } {
  return toWireOf(STREAM_FIELDS, a) as WireStreamConfig & { subjects: string[] };
}

/** A wire configuration (ours or the server's) with absent fields at the server's defaults and server-owned extras removed. */
export function canonicalStreamWire(w: WireStreamConfig): WireStreamConfig & { subjects: string[] } {
  return canonicalOf(STREAM_FIELDS, w) as WireStreamConfig & { subjects: string[] };
}

/** The user-facing configuration of a stream as the server holds it (for read and refresh). */
export function streamFromWire(w: WireStreamConfig): StreamConfigArgs {
  return fromWireOf(STREAM_FIELDS, w) as StreamConfigArgs;
}

/** The complete wire configuration for a durable consumer, every default made explicit. */
export function consumerToWire(a: ConsumerConfigArgs): WireConsumerConfig {
  return canonicalConsumerWire(toWireOf(CONSUMER_FIELDS, a));
}

/** Absent fields at the server's defaults, zero values dropped the way the server omits them; `name` is the durable's. */
export function canonicalConsumerWire(w: WireConsumerConfig): WireConsumerConfig {
  const c = canonicalOf(CONSUMER_FIELDS, w) as WireConsumerConfig;
  return { ...c, name: w.name || c.durable_name };
}

/** The user-facing configuration of a consumer as the server holds it. */
export function consumerFromWire(stream: string, w: WireConsumerConfig): ConsumerConfigArgs {
  return { stream, ...fromWireOf(CONSUMER_FIELDS, { ...w, durable_name: w.durable_name ?? w.name ?? "" }) } as ConsumerConfigArgs;
}

/**
 * The body of a consumer update: every managed field present, cleared ones as undefined, so
 * that merging it into the live configuration removes what the user removed.
 */
export function consumerUpdateConfig(w: WireConsumerConfig): WireConsumerConfig {
  const out: Record<string, unknown> = { name: w.name };
  for (const f of Object.values(CONSUMER_FIELDS)) out[f.wire] = (w as Record<string, unknown>)[f.wire];
  return out as WireConsumerConfig;
}
