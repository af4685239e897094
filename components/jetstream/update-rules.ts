/**
 * Which changes the pinned nats-server makes in place and which it refuses (so the resource
 * must be replaced), field by field, as test/jetstream/update-rules.server.test.ts proves
 * against the server. A replace is only ever planned when the user allowed it.
 */
import { isDeepStrictEqual } from "node:util";
import type { ConsumerConfigArgs } from "./consumer-args";
import type { StreamConfigArgs } from "./stream-args";
import {
  canonicalConsumerWire,
  canonicalStreamWire,
  consumerFromWire,
  CONSUMER_FIELDS,
  consumerToWire,
  streamFromWire,
  STREAM_FIELDS,
  streamToWire,
  type WireConsumerConfig,
  type WireStreamConfig,
} from "./wire";

export interface FieldChange {
  /** The user-facing field name. */
  field: string;
  old: unknown;
  new: unknown;
  /** "update": the server changes it in place; "replace": it refuses, the resource must be recreated. */
  kind: "update" | "replace";
  /** Why a replace is needed, in the server's terms. */
  reason?: string;
}

export interface ConfigDiff {
  changes: FieldChange[];
  /** Changes the server refuses even though no replace would help, with what to do instead. */
  blocked: string[];
}

type Rule<W> = (o: W, n: W) => string | undefined;

const same = (a: unknown, b: unknown) => isDeepStrictEqual(a ?? null, b ?? null);
const turnedOff = (what: string) => (o: boolean | undefined, n: boolean | undefined) => (o && !n ? what : undefined);
const always = (what: string) => () => what;

/** Stream fields whose change the server refuses, with the server's reason. */
export const STREAM_REPLACE_RULES: Partial<Record<keyof WireStreamConfig, Rule<never>>> = {
  name: always("a stream's name identifies it"),
  storage: always("the server can not change storage type (err_code 10052)"),
  retention: ((o: string, n: string) =>
    o === "workqueue" || n === "workqueue" ? "the server can not change retention to or from workqueue" : undefined) as Rule<never>,
  sealed: turnedOff("a sealed stream can not be unsealed") as Rule<never>,
  deny_delete: turnedOff("the server can not cancel deny-delete") as Rule<never>,
  deny_purge: turnedOff("the server can not cancel deny-purge") as Rule<never>,
  allow_msg_ttl: turnedOff("message TTLs can not be disabled once enabled") as Rule<never>,
  mirror: ((o: unknown, n: unknown) =>
    n === undefined ? undefined : o === undefined ? "an existing stream can not become a mirror" : "a mirror's configuration can not be updated (err_code 10055)") as Rule<never>,
};

/** Consumer fields fixed at creation. */
export const CONSUMER_REPLACE_RULES: Partial<Record<keyof WireConsumerConfig, Rule<never>>> = {
  durable_name: always("a consumer's durable name identifies it"),
  deliver_policy: always("deliver policy can not be updated (err_code 10012)"),
  opt_start_seq: always("the start sequence can not be updated"),
  opt_start_time: always("the start time can not be updated"),
  ack_policy: always("ack policy can not be updated"),
  replay_policy: always("replay policy can not be updated"),
  mem_storage: always("consumer storage can not be changed"),
  max_waiting: always("max waiting can not be updated"),
  idle_heartbeat: always("idle heartbeat can not be updated"),
  flow_control: always("flow control can not be updated"),
  deliver_subject: ((o: unknown, n: unknown) =>
    o === undefined && n !== undefined
      ? "a pull consumer can not become a push consumer"
      : o !== undefined && n === undefined
        ? "a push consumer can not become a pull consumer"
        : undefined) as Rule<never>,
};

function diffFields<A, W>(
  fields: ReadonlyArray<readonly [keyof A, keyof W]>,
  rules: Partial<Record<keyof W, Rule<never>>>,
  oldWire: W,
  newWire: W,
  oldArgs: A,
  newArgs: A,
): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [arg, wire] of fields) {
    const o = oldWire[wire];
    const n = newWire[wire];
    if (same(o, n)) continue;
    const rule = rules[wire] as ((o: unknown, n: unknown) => string | undefined) | undefined;
    const reason = rule?.(o, n);
    changes.push({ field: String(arg), old: oldArgs[arg], new: newArgs[arg], kind: reason ? "replace" : "update", ...(reason ? { reason } : {}) });
  }
  return changes;
}

/** Field-by-field changes from one stream configuration to another, each classified. */
export function diffStream(olds: StreamConfigArgs, news: StreamConfigArgs): ConfigDiff {
  return diffStreamWire(streamToWire(olds), streamToWire(news));
}

/** The same, from wire configurations (for instance the server's live one against the desired one). */
export function diffStreamWire(oldWire: WireStreamConfig, newWire: WireStreamConfig): ConfigDiff {
  const o = canonicalStreamWire(oldWire);
  const n = canonicalStreamWire(newWire);
  const changes = diffFields(STREAM_FIELDS, STREAM_REPLACE_RULES, o, n, streamFromWire(o), streamFromWire(n));
  const blocked: string[] = [];
  const changed = new Set(changes.map((c) => c.field));
  if (changed.has("replicas") && changed.has("placement") && !changes.some((c) => c.kind === "replace")) {
    blocked.push("replicas and placement can not change in one update (err_code 10123): change one, run `pulumi up`, then the other");
  }
  return { changes, blocked };
}

export function diffConsumer(olds: ConsumerConfigArgs, news: ConsumerConfigArgs): ConfigDiff {
  const changes = olds.stream === news.stream ? [] : [{ field: "stream", old: olds.stream, new: news.stream, kind: "replace" as const, reason: "a consumer can not move to another stream" }];
  const d = diffConsumerWire(consumerToWire(olds), consumerToWire(news), olds.stream, news.stream);
  return { changes: [...changes, ...d.changes], blocked: d.blocked };
}

export function diffConsumerWire(oldWire: WireConsumerConfig, newWire: WireConsumerConfig, oldStream = "", newStream = oldStream): ConfigDiff {
  const o = canonicalConsumerWire(oldWire);
  const n = canonicalConsumerWire(newWire);
  return { changes: diffFields(CONSUMER_FIELDS, CONSUMER_REPLACE_RULES, o, n, consumerFromWire(oldStream, o), consumerFromWire(newStream, n)), blocked: [] };
}

/** A change list as one readable line per field, for plans and error messages. */
export function describeChanges(changes: readonly FieldChange[]): string {
  const show = (v: unknown) => (v === undefined ? "(default)" : JSON.stringify(v));
  return changes.map((c) => `${c.field}: ${show(c.old)} -> ${show(c.new)}${c.kind === "replace" ? ` [replace: ${c.reason}]` : ""}`).join("; ");
}
