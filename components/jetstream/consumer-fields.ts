/**
 * Every field of a durable JetStream consumer this project manages, one descriptor each (see
 * components/jetstream/fields.ts): the user's name, the server's name, what a user may write,
 * the server's default, and whether the pinned server updates it in place or the consumer must
 * be replaced, with its reason. Proven in test/jetstream/update-rules.server.test.ts.
 */
import { z } from "zod";
import { formatDuration } from "./durations";
import { durationField, fixed, metadataField, nanos, plain, type FieldTable } from "./fields";
import { duration, enumOf, flag, limit, metadata, name, positiveInt, replicas, subject, timestamp } from "./validation";

export const ACK_POLICY = ["explicit", "all", "none"] as const;
export const DELIVER_POLICY = ["all", "last", "new", "byStartSequence", "byStartTime", "lastPerSubject"] as const;
export const REPLAY_POLICY = ["instant", "original"] as const;
export const PRIORITY_POLICY = ["none", "overflow", "pinnedClient", "prioritized"] as const;

export const DEFAULT_ACK_WAIT_NANOS = 30_000_000_000;
export const DEFAULT_MAX_ACK_PENDING = 1_000;
export const DEFAULT_MAX_WAITING = 512;
/** How long the server keeps a pinned client without a pull before pinning another. */
export const DEFAULT_PRIORITY_TIMEOUT_NANOS = 120_000_000_000;

/** User names of enumerations whose wire names differ (camelCase against snake_case). */
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** -1 (unlimited) or a count of at least 1. */
const unlimitedOrPositive = (what: string) => limit(what).refine((n) => n !== 0, { error: `expected ${what} of -1 (unlimited) or at least 1` });
const set = (v: unknown) => v || undefined;
const push = (w: { deliver_subject?: string }) => Boolean(w.deliver_subject);
/** A time in UTC as the server writes it; the server's zero time (a resumed consumer) is no time. */
const utc = (t?: string) => (t && Date.parse(t) > 0 ? new Date(t).toISOString().replace(".000Z", "Z") : undefined);

export const CONSUMER_FIELDS = {
  durableName: { wire: "durable_name", schema: name("durable consumer"), canonical: (v) => v, change: fixed("a consumer's durable name identifies it") },
  description: { wire: "description", schema: z.string({ error: "expected a description string" }).max(4096).optional(), canonical: set, change: "update" },
  filterSubject: {
    wire: "filter_subject",
    schema: subject.optional(),
    // One filter in a list is the same consumer as that filter on its own.
    canonical: (v: string | undefined, w) => (w.filter_subjects?.length === 1 ? w.filter_subjects[0] : v) || undefined,
    change: "update",
  },
  filterSubjects: {
    wire: "filter_subjects",
    schema: z.array(subject, { error: "expected a list of filter subjects" }).min(1).optional(),
    canonical: (v?: string[]) => (v && v.length > 1 ? [...v] : undefined),
    change: "update",
  },
  ackPolicy: {
    wire: "ack_policy",
    schema: enumOf("ackPolicy", ACK_POLICY).optional(),
    // Left out, a durable of ours acknowledges explicitly; the server's own default is none.
    toWire: (v?: string) => v ?? "explicit",
    canonical: (v) => v ?? "none",
    change: fixed("ack policy can not be updated"),
  },
  ackWait: {
    ...durationField("ack_wait", duration.optional(), { serverDefault: DEFAULT_ACK_WAIT_NANOS }),
    // With backoff, the server waits the first backoff step for an ack.
    canonical: (v: number | undefined, w) => (w.backoff?.length ? w.backoff[0] : v || DEFAULT_ACK_WAIT_NANOS),
  },
  deliverPolicy: {
    wire: "deliver_policy",
    schema: enumOf("deliverPolicy", DELIVER_POLICY).optional(),
    toWire: (v?: string) => v && snake(v),
    fromWire: camel,
    canonical: (v) => v ?? "all",
    change: fixed("deliver policy can not be updated (err_code 10012)"),
  },
  optStartSeq: plain("opt_start_seq", z.number().int().min(1, { error: "expected optStartSeq of at least 1" }).optional(), undefined, fixed("the start sequence can not be updated"), set),
  optStartTime: { wire: "opt_start_time", schema: timestamp.optional(), canonical: set, change: fixed("the start time can not be updated") },
  maxDeliver: { wire: "max_deliver", schema: unlimitedOrPositive("maxDeliver").optional(), canonical: (v) => v || -1, change: "update" },
  maxAckPending: {
    wire: "max_ack_pending",
    schema: unlimitedOrPositive("maxAckPending").optional(),
    canonical: (v: number | undefined, w) => v || ((w.ack_policy ?? "none") === "none" ? -1 : DEFAULT_MAX_ACK_PENDING),
    change: "update",
  },
  backoff: {
    wire: "backoff",
    schema: z.array(duration, { error: "expected backoff as a list of durations" }).min(1).optional(),
    toWire: (v?: string[]) => v?.map(nanos),
    fromWire: (v: number[]) => v.map((n) => formatDuration(n)),
    canonical: (v?: number[]) => (v?.length ? [...v] : undefined),
    change: "update",
  },
  replayPolicy: plain("replay_policy", enumOf("replayPolicy", REPLAY_POLICY).optional(), "instant", fixed("replay policy can not be updated")),
  sampleFreq: {
    wire: "sample_freq",
    schema: z.string().regex(/^\d{1,3}%?$/, { error: 'expected sampleFreq as a percentage such as "10%"' }).optional(),
    canonical: set,
    change: "update",
  },
  inactiveThreshold: durationField("inactive_threshold", duration.optional(), { shownAtZero: false }),
  headersOnly: plain("headers_only", flag("headersOnly").optional(), false),
  replicas: plain("num_replicas", replicas.optional(), 0, "update", set),
  memoryStorage: plain("mem_storage", flag("memoryStorage").optional(), false, fixed("consumer storage can not be changed")),
  metadata: metadataField(metadata.optional()),
  // Pull consumers.
  maxWaiting: { wire: "max_waiting", schema: positiveInt("maxWaiting").optional(), canonical: (v, w) => (push(w) ? undefined : v || DEFAULT_MAX_WAITING), change: fixed("max waiting can not be updated") },
  maxBatch: { wire: "max_batch", schema: positiveInt("maxBatch").optional(), canonical: set, change: "update" },
  maxExpires: durationField("max_expires", duration.optional()),
  maxBytes: { wire: "max_bytes", schema: positiveInt("maxBytes").optional(), canonical: set, change: "update" },
  // Push consumers: set deliverSubject.
  deliverSubject: {
    wire: "deliver_subject",
    schema: subject.optional(),
    canonical: set,
    change: (o, n) =>
      o === undefined && n !== undefined ? "a pull consumer can not become a push consumer" : o !== undefined && n === undefined ? "a push consumer can not become a pull consumer" : undefined,
  },
  deliverGroup: { wire: "deliver_group", schema: name("deliver group").optional(), canonical: set, change: "update" },
  idleHeartbeat: durationField("idle_heartbeat", duration.optional(), { change: fixed("idle heartbeat can not be updated") }),
  flowControl: { wire: "flow_control", schema: flag("flowControl").optional(), canonical: set, change: fixed("flow control can not be updated") },
  rateLimitBps: { wire: "rate_limit_bps", schema: positiveInt("rateLimitBps").optional(), canonical: set, change: "update" },
  pauseUntil: {
    wire: "pause_until",
    schema: timestamp.optional(),
    // The server stores the time in UTC. A time already past resumes the consumer, and the
    // configuration then differs until the time is removed (compared without the clock, on purpose).
    toWire: utc,
    canonical: utc,
    change: "update",
  },
  priorityGroups: {
    wire: "priority_groups",
    schema: z.array(z.string().regex(/^[a-zA-Z0-9/_=-]{1,16}$/, { error: "expected a priority group of 1 to 16 letters, digits, '/', '_', '=' or '-'" })).min(1).optional(),
    canonical: (v?: string[]) => (v?.length ? [...v] : undefined),
    change: "update",
  },
  priorityPolicy: {
    wire: "priority_policy",
    schema: enumOf("priorityPolicy", PRIORITY_POLICY).optional(),
    toWire: (v?: string) => v && snake(v),
    fromWire: camel,
    canonical: (v?: string) => (v && v !== "none" ? v : undefined),
    change: "update",
  },
  priorityTimeout: {
    ...durationField("priority_timeout", duration.optional()),
    canonical: (v: number | undefined, w) => v || (w.priority_policy === "pinned_client" ? DEFAULT_PRIORITY_TIMEOUT_NANOS : undefined),
  },
} satisfies FieldTable;

/** Fields of the server's ConsumerConfig that are not a field of their own here, and why. */
export const UNMANAGED_CONSUMER_FIELDS: Readonly<Record<string, string>> = {
  name: "a durable's name is its durable_name (components/jetstream/wire.ts sets it)",
  direct: "set by the server for its own mirror and source consumers, never by a client",
  sourcing: "set by the server for its own mirror and source consumers, never by a client",
};
