/**
 * The one mapping between what users write (camelCase, duration strings) and JetStream's wire
 * configuration (snake_case, nanoseconds), in both directions, with the server's defaults made
 * explicit so that a configuration and what the server stores compare field by field.
 */
import type { ConsumerConfig, StreamConfig } from "@nats-io/jetstream";
import type { ConsumerConfigArgs } from "./consumer-args";
import { formatDuration, parseDuration } from "./durations";
import type { StreamConfigArgs, StreamSourceArgs } from "./stream-args";

/** Server default for the duplicate window when max_age does not make it shorter. */
export const DEFAULT_DUPLICATE_WINDOW_NANOS = 120_000_000_000;
export const DEFAULT_ACK_WAIT_NANOS = 30_000_000_000;
export const DEFAULT_MAX_ACK_PENDING = 1_000;
export const DEFAULT_MAX_WAITING = 512;

function nanos(text: string | undefined, fallback = 0): number {
  if (text === undefined) return fallback;
  const d = parseDuration(text);
  if ("problem" in d) throw new Error(`invalid duration "${text}": ${d.problem}`);
  return d.nanos;
}

/** Keeps only the keys whose value is set, so wire objects carry no `undefined`. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function userMetadata(m: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !k.startsWith("_nats.")));
}

// ---------------------------------------------------------------- streams

/** The wire form of the fields this project manages. Server-owned extras are dropped. */
export type WireStreamConfig = Pick<
  StreamConfig,
  | "name"
  | "subjects"
  | "description"
  | "retention"
  | "storage"
  | "num_replicas"
  | "max_age"
  | "max_msgs"
  | "max_bytes"
  | "max_msg_size"
  | "max_msgs_per_subject"
  | "max_consumers"
  | "discard"
  | "discard_new_per_subject"
  | "duplicate_window"
  | "deny_delete"
  | "deny_purge"
  | "allow_rollup_hdrs"
  | "allow_direct"
  | "mirror_direct"
  | "allow_msg_ttl"
  | "sealed"
  | "mirror"
  | "sources"
  | "republish"
  | "placement"
  | "compression"
  | "metadata"
>;

type WireSource = NonNullable<StreamConfig["mirror"]>;

function sourceToWire(s: StreamSourceArgs): WireSource {
  return compact({
    name: s.name,
    opt_start_seq: s.optStartSeq,
    opt_start_time: s.optStartTime,
    filter_subject: s.filterSubject,
    external: s.external ? compact({ api: s.external.api, deliver: s.external.deliver ?? "" }) : undefined,
  }) as WireSource;
}

function sourceFromWire(w: WireSource): StreamSourceArgs {
  return compact({
    name: w.name,
    optStartSeq: w.opt_start_seq || undefined,
    optStartTime: w.opt_start_time && !w.opt_start_time.startsWith("0001-") ? w.opt_start_time : undefined,
    filterSubject: w.filter_subject || undefined,
    external: w.external?.api ? compact({ api: w.external.api, deliver: w.external.deliver || undefined }) : undefined,
  });
}

/** The complete wire configuration for a stream, every server default made explicit. */
export function streamToWire(a: StreamConfigArgs): WireStreamConfig {
  const maybeNanos = (text: string | undefined) => (text === undefined ? undefined : nanos(text));
  return canonicalStreamWire(
    compact({
      name: a.name,
      subjects: a.subjects,
      description: a.description,
      retention: a.retention as WireStreamConfig["retention"] | undefined,
      storage: a.storage as WireStreamConfig["storage"] | undefined,
      num_replicas: a.replicas,
      max_age: maybeNanos(a.maxAge),
      max_msgs: a.maxMsgs,
      max_bytes: a.maxBytes,
      max_msg_size: a.maxMsgSize,
      max_msgs_per_subject: a.maxMsgsPerSubject,
      max_consumers: a.maxConsumers,
      discard: a.discard as WireStreamConfig["discard"] | undefined,
      discard_new_per_subject: a.discardNewPerSubject,
      duplicate_window: maybeNanos(a.duplicateWindow),
      deny_delete: a.denyDelete,
      deny_purge: a.denyPurge,
      allow_rollup_hdrs: a.allowRollup,
      allow_direct: a.allowDirect,
      mirror_direct: a.mirrorDirect,
      allow_msg_ttl: a.allowMsgTtl,
      sealed: a.sealed,
      mirror: a.mirror ? sourceToWire(a.mirror) : undefined,
      sources: a.sources?.map(sourceToWire),
      republish: a.republish ? { src: a.republish.src ?? ">", dest: a.republish.dest, headers_only: a.republish.headersOnly ?? false } : undefined,
      placement: a.placement ? { cluster: a.placement.cluster ?? "", tags: a.placement.tags ?? [] } : undefined,
      compression: a.compression as WireStreamConfig["compression"] | undefined,
      metadata: a.metadata,
    }),
  );
}

/** The user-facing configuration of a stream as the server holds it (for read and refresh). */
export function streamFromWire(w: Partial<StreamConfig> & { name: string }): StreamConfigArgs {
  const full = canonicalStreamWire(w);
  return compact({
    name: full.name,
    subjects: full.subjects.length ? full.subjects : undefined,
    description: full.description || undefined,
    retention: full.retention as StreamConfigArgs["retention"],
    storage: full.storage as StreamConfigArgs["storage"],
    replicas: full.num_replicas,
    maxAge: formatDuration(full.max_age),
    maxMsgs: full.max_msgs,
    maxBytes: full.max_bytes,
    maxMsgSize: full.max_msg_size,
    maxMsgsPerSubject: full.max_msgs_per_subject,
    maxConsumers: full.max_consumers,
    discard: full.discard as StreamConfigArgs["discard"],
    discardNewPerSubject: full.discard_new_per_subject,
    duplicateWindow: formatDuration(full.duplicate_window),
    denyDelete: full.deny_delete,
    denyPurge: full.deny_purge,
    allowRollup: full.allow_rollup_hdrs,
    allowDirect: full.allow_direct,
    mirrorDirect: full.mirror_direct || undefined,
    allowMsgTtl: full.allow_msg_ttl,
    sealed: full.sealed,
    mirror: full.mirror ? sourceFromWire(full.mirror) : undefined,
    sources: full.sources?.length ? full.sources.map(sourceFromWire) : undefined,
    republish: full.republish ? compact({ src: full.republish.src, dest: full.republish.dest, headersOnly: full.republish.headers_only }) : undefined,
    placement: full.placement ? compact({ cluster: full.placement.cluster || undefined, tags: full.placement.tags?.length ? full.placement.tags : undefined }) : undefined,
    compression: full.compression as StreamConfigArgs["compression"],
    metadata: Object.keys(full.metadata ?? {}).length ? full.metadata : undefined,
  });
}

/**
 * A wire configuration (ours or the server's) with absent fields set to the server's defaults
 * and server-owned extras removed: two streams are configured alike exactly when these match.
 */
export function canonicalStreamWire(w: Partial<StreamConfig> & { name: string }): WireStreamConfig & { subjects: string[] } {
  const maxAge = w.max_age ?? 0;
  const defaultWindow = maxAge > 0 ? Math.min(maxAge, DEFAULT_DUPLICATE_WINDOW_NANOS) : DEFAULT_DUPLICATE_WINDOW_NANOS;
  const hasOrigin = w.mirror !== undefined || (w.sources?.length ?? 0) > 0;
  const full: WireStreamConfig & { subjects: string[] } = {
    name: w.name,
    subjects: w.subjects?.length ? [...w.subjects] : hasOrigin ? [] : [w.name],
    description: w.description ?? "",
    retention: w.retention ?? ("limits" as WireStreamConfig["retention"]),
    storage: w.storage ?? ("file" as WireStreamConfig["storage"]),
    num_replicas: w.num_replicas || 1,
    max_age: maxAge,
    max_msgs: w.max_msgs ?? -1,
    max_bytes: w.max_bytes ?? -1,
    max_msg_size: w.max_msg_size ?? -1,
    max_msgs_per_subject: w.max_msgs_per_subject ?? -1,
    max_consumers: w.max_consumers ?? -1,
    discard: w.discard ?? ("old" as WireStreamConfig["discard"]),
    discard_new_per_subject: w.discard_new_per_subject ?? false,
    duplicate_window: w.duplicate_window || defaultWindow,
    deny_delete: w.deny_delete ?? false,
    deny_purge: w.deny_purge ?? false,
    allow_rollup_hdrs: w.allow_rollup_hdrs ?? false,
    allow_direct: w.allow_direct ?? false,
    mirror_direct: w.mirror_direct ?? false,
    allow_msg_ttl: w.allow_msg_ttl ?? false,
    sealed: w.sealed ?? false,
    mirror: w.mirror ? sourceToWire(sourceFromWire(w.mirror)) : undefined,
    sources: w.sources?.length ? w.sources.map((s) => sourceToWire(sourceFromWire(s))) : undefined,
    republish: w.republish ? { src: w.republish.src || ">", dest: w.republish.dest, headers_only: w.republish.headers_only ?? false } : undefined,
    placement:
      w.placement && (w.placement.cluster || w.placement.tags?.length)
        ? { cluster: w.placement.cluster ?? "", tags: w.placement.tags ?? [] }
        : undefined,
    compression: w.compression ?? ("none" as WireStreamConfig["compression"]),
    metadata: userMetadata(w.metadata),
  };
  // Sealing makes the server deny deletes and purges and discard new messages.
  return full.sealed ? { ...full, deny_delete: true, deny_purge: true, discard: "new" as WireStreamConfig["discard"] } : full;
}

/** Which wire field holds each user-facing stream field. */
export const STREAM_FIELDS: ReadonlyArray<readonly [keyof StreamConfigArgs, keyof WireStreamConfig]> = [
  ["name", "name"],
  ["subjects", "subjects"],
  ["description", "description"],
  ["retention", "retention"],
  ["storage", "storage"],
  ["replicas", "num_replicas"],
  ["maxAge", "max_age"],
  ["maxMsgs", "max_msgs"],
  ["maxBytes", "max_bytes"],
  ["maxMsgSize", "max_msg_size"],
  ["maxMsgsPerSubject", "max_msgs_per_subject"],
  ["maxConsumers", "max_consumers"],
  ["discard", "discard"],
  ["discardNewPerSubject", "discard_new_per_subject"],
  ["duplicateWindow", "duplicate_window"],
  ["denyDelete", "deny_delete"],
  ["denyPurge", "deny_purge"],
  ["allowRollup", "allow_rollup_hdrs"],
  ["allowDirect", "allow_direct"],
  ["mirrorDirect", "mirror_direct"],
  ["allowMsgTtl", "allow_msg_ttl"],
  ["sealed", "sealed"],
  ["mirror", "mirror"],
  ["sources", "sources"],
  ["republish", "republish"],
  ["placement", "placement"],
  ["compression", "compression"],
  ["metadata", "metadata"],
];

// ---------------------------------------------------------------- consumers

export type WireConsumerConfig = Pick<
  ConsumerConfig,
  | "durable_name"
  | "name"
  | "description"
  | "filter_subject"
  | "filter_subjects"
  | "ack_policy"
  | "ack_wait"
  | "deliver_policy"
  | "opt_start_seq"
  | "opt_start_time"
  | "max_deliver"
  | "max_ack_pending"
  | "backoff"
  | "replay_policy"
  | "sample_freq"
  | "inactive_threshold"
  | "headers_only"
  | "num_replicas"
  | "mem_storage"
  | "metadata"
  | "max_waiting"
  | "max_batch"
  | "max_expires"
  | "max_bytes"
  | "deliver_subject"
  | "deliver_group"
  | "idle_heartbeat"
  | "flow_control"
  | "rate_limit_bps"
>;

const DELIVER_TO_WIRE: Record<string, string> = {
  all: "all",
  last: "last",
  new: "new",
  byStartSequence: "by_start_sequence",
  byStartTime: "by_start_time",
  lastPerSubject: "last_per_subject",
};
const DELIVER_FROM_WIRE = Object.fromEntries(Object.entries(DELIVER_TO_WIRE).map(([k, v]) => [v, k]));

/** The complete wire configuration for a durable consumer, every default made explicit. */
export function consumerToWire(a: ConsumerConfigArgs): WireConsumerConfig {
  const push = a.deliverSubject !== undefined;
  const ackPolicy = a.ackPolicy ?? "explicit";
  return canonicalConsumerWire({
    durable_name: a.durableName,
    name: a.durableName,
    description: a.description,
    filter_subject: a.filterSubject,
    filter_subjects: a.filterSubjects ? [...a.filterSubjects] : undefined,
    ack_policy: ackPolicy as WireConsumerConfig["ack_policy"],
    ack_wait: nanos(a.ackWait, DEFAULT_ACK_WAIT_NANOS),
    deliver_policy: DELIVER_TO_WIRE[a.deliverPolicy ?? "all"] as WireConsumerConfig["deliver_policy"],
    opt_start_seq: a.optStartSeq,
    opt_start_time: a.optStartTime,
    max_deliver: a.maxDeliver ?? -1,
    max_ack_pending: a.maxAckPending ?? (ackPolicy === "none" ? -1 : DEFAULT_MAX_ACK_PENDING),
    backoff: a.backoff?.map((d) => nanos(d)),
    replay_policy: (a.replayPolicy ?? "instant") as WireConsumerConfig["replay_policy"],
    sample_freq: a.sampleFreq,
    inactive_threshold: nanos(a.inactiveThreshold),
    headers_only: a.headersOnly ?? false,
    num_replicas: a.replicas ?? 0,
    mem_storage: a.memoryStorage ?? false,
    metadata: userMetadata(a.metadata),
    max_waiting: push ? undefined : a.maxWaiting ?? DEFAULT_MAX_WAITING,
    max_batch: a.maxBatch,
    max_expires: a.maxExpires ? nanos(a.maxExpires) : undefined,
    max_bytes: a.maxBytes,
    deliver_subject: a.deliverSubject,
    deliver_group: a.deliverGroup,
    idle_heartbeat: a.idleHeartbeat ? nanos(a.idleHeartbeat) : undefined,
    flow_control: a.flowControl,
    rate_limit_bps: a.rateLimitBps,
  });
}

/** Absent fields at the server's defaults, zero values dropped the way the server omits them. */
export function canonicalConsumerWire(w: Partial<ConsumerConfig>): WireConsumerConfig {
  const push = Boolean(w.deliver_subject);
  const ackPolicy = w.ack_policy ?? ("none" as WireConsumerConfig["ack_policy"]);
  // One filter in a list is the same consumer as that filter on its own.
  const list = w.filter_subjects?.length ? w.filter_subjects : undefined;
  const filters = list && list.length > 1 ? list : undefined;
  return compact({
    durable_name: w.durable_name,
    name: w.name || w.durable_name,
    description: w.description || undefined,
    filter_subject: (list?.length === 1 ? list[0] : w.filter_subject) || undefined,
    filter_subjects: filters ? [...filters] : undefined,
    ack_policy: ackPolicy,
    // With backoff, the server waits the first backoff step for an ack.
    ack_wait: w.backoff?.length ? w.backoff[0] : w.ack_wait || DEFAULT_ACK_WAIT_NANOS,
    deliver_policy: w.deliver_policy ?? ("all" as WireConsumerConfig["deliver_policy"]),
    opt_start_seq: w.opt_start_seq || undefined,
    opt_start_time: w.opt_start_time || undefined,
    max_deliver: w.max_deliver || -1,
    max_ack_pending: w.max_ack_pending || (ackPolicy === "none" ? -1 : DEFAULT_MAX_ACK_PENDING),
    backoff: w.backoff?.length ? [...w.backoff] : undefined,
    replay_policy: w.replay_policy ?? ("instant" as WireConsumerConfig["replay_policy"]),
    sample_freq: w.sample_freq || undefined,
    inactive_threshold: w.inactive_threshold || 0,
    headers_only: w.headers_only ?? false,
    num_replicas: w.num_replicas ?? 0,
    mem_storage: w.mem_storage ?? false,
    metadata: userMetadata(w.metadata),
    max_waiting: push ? undefined : w.max_waiting || DEFAULT_MAX_WAITING,
    max_batch: w.max_batch || undefined,
    max_expires: w.max_expires || undefined,
    max_bytes: w.max_bytes || undefined,
    deliver_subject: w.deliver_subject || undefined,
    deliver_group: w.deliver_group || undefined,
    idle_heartbeat: w.idle_heartbeat || undefined,
    flow_control: w.flow_control || undefined,
    rate_limit_bps: w.rate_limit_bps || undefined,
  });
}

/**
 * The body of a consumer update: every managed field present, cleared ones as undefined, so
 * that merging it into the live configuration removes what the user removed.
 */
export function consumerUpdateConfig(w: WireConsumerConfig): WireConsumerConfig {
  const out: Record<string, unknown> = {};
  for (const [, key] of CONSUMER_FIELDS) out[key] = w[key];
  out.name = w.name;
  return out as WireConsumerConfig;
}

/** The user-facing configuration of a consumer as the server holds it. */
export function consumerFromWire(stream: string, w: Partial<ConsumerConfig>): ConsumerConfigArgs {
  const c = canonicalConsumerWire(w);
  const dur = (n: number | undefined) => (n ? formatDuration(n) : undefined);
  return compact({
    stream,
    durableName: c.durable_name ?? c.name ?? "",
    description: c.description,
    filterSubject: c.filter_subject,
    filterSubjects: c.filter_subjects,
    ackPolicy: c.ack_policy as ConsumerConfigArgs["ackPolicy"],
    ackWait: dur(c.ack_wait),
    deliverPolicy: DELIVER_FROM_WIRE[c.deliver_policy as string] as ConsumerConfigArgs["deliverPolicy"],
    optStartSeq: c.opt_start_seq,
    optStartTime: c.opt_start_time,
    maxDeliver: c.max_deliver,
    maxAckPending: c.max_ack_pending,
    backoff: c.backoff?.map((n) => formatDuration(n)),
    replayPolicy: c.replay_policy as ConsumerConfigArgs["replayPolicy"],
    sampleFreq: c.sample_freq,
    inactiveThreshold: dur(c.inactive_threshold),
    headersOnly: c.headers_only,
    replicas: c.num_replicas || undefined,
    memoryStorage: c.mem_storage,
    metadata: Object.keys(c.metadata ?? {}).length ? c.metadata : undefined,
    maxWaiting: c.max_waiting,
    maxBatch: c.max_batch,
    maxExpires: dur(c.max_expires),
    maxBytes: c.max_bytes,
    deliverSubject: c.deliver_subject,
    deliverGroup: c.deliver_group,
    idleHeartbeat: dur(c.idle_heartbeat),
    flowControl: c.flow_control,
    rateLimitBps: c.rate_limit_bps,
  });
}

/** Which wire field holds each user-facing consumer field. */
export const CONSUMER_FIELDS: ReadonlyArray<readonly [keyof ConsumerConfigArgs, keyof WireConsumerConfig]> = [
  ["durableName", "durable_name"],
  ["description", "description"],
  ["filterSubject", "filter_subject"],
  ["filterSubjects", "filter_subjects"],
  ["ackPolicy", "ack_policy"],
  ["ackWait", "ack_wait"],
  ["deliverPolicy", "deliver_policy"],
  ["optStartSeq", "opt_start_seq"],
  ["optStartTime", "opt_start_time"],
  ["maxDeliver", "max_deliver"],
  ["maxAckPending", "max_ack_pending"],
  ["backoff", "backoff"],
  ["replayPolicy", "replay_policy"],
  ["sampleFreq", "sample_freq"],
  ["inactiveThreshold", "inactive_threshold"],
  ["headersOnly", "headers_only"],
  ["replicas", "num_replicas"],
  ["memoryStorage", "mem_storage"],
  ["metadata", "metadata"],
  ["maxWaiting", "max_waiting"],
  ["maxBatch", "max_batch"],
  ["maxExpires", "max_expires"],
  ["maxBytes", "max_bytes"],
  ["deliverSubject", "deliver_subject"],
  ["deliverGroup", "deliver_group"],
  ["idleHeartbeat", "idle_heartbeat"],
  ["flowControl", "flow_control"],
  ["rateLimitBps", "rate_limit_bps"],
];
