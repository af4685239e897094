/**
 * Which changes the pinned nats-server makes in place and which it refuses (so the resource
 * must be replaced), field by field as the field tables say, and as
 * test/jetstream/update-rules.server.test.ts proves against the server. A replace is only ever
 * planned when the user allowed it.
 */
import type { ConsumerConfigArgs } from "./consumer-args";
import { CONSUMER_FIELDS } from "./consumer-fields";
import { diffOf, type FieldChange } from "./fields";
import type { StreamConfigArgs } from "./stream-args";
import { STREAM_FIELDS } from "./stream-fields";
import { consumerToWire, streamToWire, type WireConsumerConfig, type WireStreamConfig } from "./wire";

export type { FieldChange } from "./fields";

export interface ConfigDiff {
  changes: FieldChange[];
  /** Changes the server refuses even though no replace would help, with what to do instead. */
  blocked: string[];
}

/** Field-by-field changes from one stream configuration to another, each classified. */
export function diffStream(olds: StreamConfigArgs, news: StreamConfigArgs): ConfigDiff {
  return diffStreamWire(streamToWire(olds), streamToWire(news));
}

/** The same, from wire configurations (for instance the server's live one against the desired one). */
export function diffStreamWire(oldWire: WireStreamConfig, newWire: WireStreamConfig): ConfigDiff {
  const changes = diffOf(STREAM_FIELDS, oldWire, newWire);
  const changed = new Set(changes.map((c) => c.field));
  const blocked =
    changed.has("replicas") && changed.has("placement") && !changes.some((c) => c.kind === "replace")
      ? ["replicas and placement can not change in one update (err_code 10123): change one, run `pulumi up`, then the other"]
      : [];
  return { changes, blocked };
}

/**
 * A durable's changes. A change of stream is a move, which the provider makes in one update (the
 * old durable drained, the new one created on the new stream, the old one deleted), so every
 * other change goes with it in place: nothing the server refuses on a live durable applies.
 */
export function diffConsumer(olds: ConsumerConfigArgs, news: ConsumerConfigArgs): ConfigDiff {
  const changes = diffConsumerWire(consumerToWire(olds), consumerToWire(news)).changes;
  if (olds.stream === news.stream) return { changes, blocked: [] };
  const moved: FieldChange = { field: "stream", old: olds.stream, new: news.stream, kind: "update" };
  return { changes: [moved, ...changes.map((c) => ({ field: c.field, old: c.old, new: c.new, kind: "update" as const }))], blocked: [] };
}

export function diffConsumerWire(oldWire: WireConsumerConfig, newWire: WireConsumerConfig): ConfigDiff {
  return { changes: diffOf(CONSUMER_FIELDS, oldWire, newWire), blocked: [] };
}

/** A change list as one readable line per field, for plans and error messages. */
export function describeChanges(changes: readonly FieldChange[]): string {
  const show = (v: unknown) => (v === undefined ? "(default)" : JSON.stringify(v));
  return changes.map((c) => `${c.field}: ${show(c.old)} -> ${show(c.new)}${c.kind === "replace" ? ` [replace: ${c.reason}]` : ""}`).join("; ");
}
